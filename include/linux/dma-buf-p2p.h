/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf P2P: what P2PDMA providers use of the framework.
 *
 * Providers: the driver that published the memory with
 * pci_p2pdma_add_resource() may register transfer ops: the exporter then
 * moves buffers between the provider's memory and system memory with the
 * provider's DMA engine instead of the CPU.
 *
 * Importers: a driver that DMAs to or from any DMA-BUF (ours, a GPU
 * driver's, udmabuf, a DMA-BUF heap's) without struct pages.  An import is
 * one dynamic, peer-to-peer capable attachment of a buffer to a device,
 * cached per (buffer, device) and shared by every user; a map is the
 * device's current DMA view of the whole buffer.  I/O holds a map reference
 * for as long as the device may touch the addresses; when the exporter moves
 * the buffer (move_notify) the import stops handing out that map, waits for
 * the references to drain and unmaps it, and the next user maps again.
 * Devices that cannot DMA to the buffer copy through the CPU helpers.
 */
#ifndef _LINUX_DMA_BUF_P2P_H
#define _LINUX_DMA_BUF_P2P_H

#include <linux/bits.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/iosys-map.h>
#include <linux/kconfig.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct dma_buf_p2p_import;
struct dma_buf_p2p_map;
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

/**
 * struct dma_buf_p2p_iter - walks the DMA segments behind a byte range
 * @map: the map walked
 * @seg: index of the segment the next address comes from
 * @seg_off: bytes of that segment already consumed
 * @left: bytes of the range not yet returned
 */
struct dma_buf_p2p_iter {
	const struct dma_buf_p2p_map *map;
	unsigned int seg;
	u64 seg_off;
	u64 left;
};

/**
 * struct dma_buf_p2p_cpu - a CPU access window on a whole buffer
 * @dmabuf: the buffer
 * @vmap: its kernel mapping, system or I/O memory
 * @dir: the access, as dma_buf_begin_cpu_access() takes it: DMA_FROM_DEVICE
 *	when the CPU only reads the buffer, DMA_TO_DEVICE when it only writes,
 *	DMA_BIDIRECTIONAL for both
 */
struct dma_buf_p2p_cpu {
	struct dma_buf *dmabuf;
	struct iosys_map vmap;
	enum dma_data_direction dir;
};

#if IS_ENABLED(CONFIG_DMABUF_P2P_IMPORTER)
struct dma_buf_p2p_import *dma_buf_p2p_import_get(struct dma_buf *dmabuf,
						  struct device *dev);
struct dma_buf_p2p_import *dma_buf_p2p_import_get_fd(int fd,
						     struct device *dev);
void dma_buf_p2p_import_put(struct dma_buf_p2p_import *imp);
struct dma_buf *dma_buf_p2p_import_dmabuf(const struct dma_buf_p2p_import *imp);
struct device *dma_buf_p2p_import_device(const struct dma_buf_p2p_import *imp);
void dma_buf_p2p_forget_device(struct device *dev);
int dma_buf_p2p_wait_idle(struct dma_buf *dmabuf, bool write);

/* dma_buf_p2p_map_get_flags() */
#define DMA_BUF_P2P_MAP_NOWAIT		BIT(0)
#define DMA_BUF_P2P_MAP_UNINTERRUPTIBLE	BIT(1)

struct dma_buf_p2p_map *dma_buf_p2p_map_get(struct dma_buf_p2p_import *imp,
					    bool *created);
struct dma_buf_p2p_map *
dma_buf_p2p_map_get_flags(struct dma_buf_p2p_import *imp, bool *created,
			  unsigned int flags);
void dma_buf_p2p_map_put(struct dma_buf_p2p_map *map);
struct dma_buf_p2p_import *dma_buf_p2p_map_import(const struct dma_buf_p2p_map *map);
bool dma_buf_p2p_map_is_bus_addr(const struct dma_buf_p2p_map *map);
void dma_buf_p2p_map_sync(const struct dma_buf_p2p_map *map, u64 offset,
			  u64 len, enum dma_data_direction dir, bool for_device);

int dma_buf_p2p_iter_init(struct dma_buf_p2p_iter *iter,
			  const struct dma_buf_p2p_map *map, u64 offset, u64 len);
bool dma_buf_p2p_iter_next(struct dma_buf_p2p_iter *iter, dma_addr_t *addr,
			   u32 *len);

int dma_buf_p2p_cpu_begin(struct dma_buf_p2p_cpu *cpu, struct dma_buf *dmabuf,
			  enum dma_data_direction dir);
void dma_buf_p2p_cpu_write(struct dma_buf_p2p_cpu *cpu, u64 offset,
			   const void *src, size_t len);
void dma_buf_p2p_cpu_read(struct dma_buf_p2p_cpu *cpu, void *dst, u64 offset,
			  size_t len);
void dma_buf_p2p_cpu_clear(struct dma_buf_p2p_cpu *cpu, u64 offset,
			   size_t len);
int dma_buf_p2p_cpu_end(struct dma_buf_p2p_cpu *cpu);
int dma_buf_p2p_clear(struct dma_buf *dmabuf, u64 offset, u64 len);
#else
static inline struct dma_buf_p2p_import *
dma_buf_p2p_import_get(struct dma_buf *dmabuf, struct device *dev)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline struct dma_buf_p2p_import *
dma_buf_p2p_import_get_fd(int fd, struct device *dev)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void dma_buf_p2p_import_put(struct dma_buf_p2p_import *imp)
{
}

static inline void dma_buf_p2p_forget_device(struct device *dev)
{
}

static inline struct dma_buf *
dma_buf_p2p_import_dmabuf(const struct dma_buf_p2p_import *imp)
{
	return NULL;
}

static inline int dma_buf_p2p_clear(struct dma_buf *dmabuf, u64 offset,
				    u64 len)
{
	return -EOPNOTSUPP;
}
#endif

#endif /* _LINUX_DMA_BUF_P2P_H */
