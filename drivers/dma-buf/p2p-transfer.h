/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the exporter moves a buffer's pages; private to dma-buf-p2p.ko.
 */
#ifndef _DMA_BUF_P2P_TRANSFER_H
#define _DMA_BUF_P2P_TRANSFER_H

#include <linux/types.h>

struct page;
struct pci_dev;

bool p2p_transfer(struct pci_dev *provider, struct page **dst,
		  struct page **src, unsigned long nr_pages, bool to_bar);

#endif /* _DMA_BUF_P2P_TRANSFER_H */
