/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf P2P: what P2PDMA providers use of the framework.
 *
 * A provider (the driver that published the memory with
 * pci_p2pdma_add_resource()) may register transfer ops: the exporter then
 * moves buffers between the provider's memory and system memory with the
 * provider's DMA engine instead of the CPU.
 */
#ifndef _LINUX_DMA_BUF_P2P_H
#define _LINUX_DMA_BUF_P2P_H

#include <linux/errno.h>
#include <linux/kconfig.h>
#include <linux/types.h>

struct page;
struct pci_dev;

/**
 * struct dma_buf_p2p_transfer_ops - how a provider moves buffers
 * @copy: copy @nr_pages pages from @src to @dst.  With @to_bar, @dst are
 *	the provider's pages and @src system memory; without, the other way.
 *	Called with the buffer's reservation lock held, may sleep, and must
 *	have finished the copy when it returns 0.  On a negative errno the
 *	exporter copies with the CPU instead.
 */
struct dma_buf_p2p_transfer_ops {
	int (*copy)(struct pci_dev *provider, struct page **dst,
		    struct page **src, unsigned long nr_pages, bool to_bar);
};

#if IS_REACHABLE(CONFIG_DMABUF_P2P)
int dma_buf_p2p_register_transfer(struct pci_dev *provider,
				  const struct dma_buf_p2p_transfer_ops *ops);
void dma_buf_p2p_unregister_transfer(struct pci_dev *provider);
#else
static inline int
dma_buf_p2p_register_transfer(struct pci_dev *provider,
			      const struct dma_buf_p2p_transfer_ops *ops)
{
	return -EOPNOTSUPP;
}

static inline void dma_buf_p2p_unregister_transfer(struct pci_dev *provider)
{
}
#endif

#endif /* _LINUX_DMA_BUF_P2P_H */
