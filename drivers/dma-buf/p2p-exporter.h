/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the /dev/dma-buf-p2p ioctls need of the exporter; private to
 * dma-buf-p2p.ko.
 */
#ifndef _DMA_BUF_P2P_EXPORTER_H
#define _DMA_BUF_P2P_EXPORTER_H

#include <linux/types.h>

struct attribute_group;
struct pci_dev;
struct dma_buf;
struct dma_buf_p2p_query;
struct dma_buf_p2p_attach_info;
struct dma_buf_p2p_chunk_info;
struct dma_buf_p2p_probe;
struct device;

struct dma_buf *p2p_exporter_alloc(struct pci_dev *provider, size_t size,
				   int fd_flags);
bool p2p_exporter_owns(struct dma_buf *dmabuf);
int p2p_exporter_query(struct dma_buf *dmabuf, struct dma_buf_p2p_query *q,
		       struct dma_buf_p2p_attach_info *att,
		       struct dma_buf_p2p_chunk_info *chunks);
int p2p_exporter_migrate(struct dma_buf *dmabuf, u32 placement);
int p2p_exporter_probe(struct dma_buf *dmabuf, struct device *dev,
		       struct dma_buf_p2p_probe *probe);
extern const struct attribute_group *p2p_exporter_groups[];

int p2p_exporter_init(void);
void p2p_exporter_exit(void);

#endif /* _DMA_BUF_P2P_EXPORTER_H */
