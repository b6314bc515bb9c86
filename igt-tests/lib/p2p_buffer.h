/* SPDX-License-Identifier: MIT */
/*
 * dma-buf-p2p's buffers through its UAPI: allocation, query and migration
 * (each as __p2p_x(), returning 0 or -errno for the tests of errors, and as
 * p2p_x(), failing the test), CPU access through the dma-buf, and the
 * buffer's bytes as the host's VRAM file holds them.
 */
#ifndef P2P_BUFFER_H
#define P2P_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include <linux/dma-buf-p2p.h>

struct p2p_machine;
struct p2p_pci;

/* Enough for every buffer the tests make and every importer they attach. */
#define P2P_MAX_CHUNKS	256
#define P2P_MAX_ATTACH	16

/* DMA_BUF_P2P_IOC_QUERY's answer with room for its arrays. */
struct p2p_query {
	struct dma_buf_p2p_query q;
	struct dma_buf_p2p_attach_info att[P2P_MAX_ATTACH];
	struct dma_buf_p2p_chunk_info chunks[P2P_MAX_CHUNKS];
};

/* igt_ioctl(): 0 or -errno, with errno cleared. */
int p2p_ioctl(int fd, unsigned long req, void *arg);

/* /dev/dma-buf-p2p, close-on-exec. */
int p2p_dev_open(void);

int __p2p_alloc(int dev, const struct p2p_pci *provider, uint64_t size,
		uint32_t fd_flags, int *fd);
/* A buffer of @size on @provider; @fd_flags as DMA_BUF_P2P_IOC_ALLOC's. */
int p2p_alloc(int dev, const struct p2p_pci *provider, uint64_t size,
	      uint32_t fd_flags);

int __p2p_query(int dev, int fd, struct p2p_query *q);
/* Also checks that the arrays the kernel filled fit. */
void p2p_query(int dev, int fd, struct p2p_query *q);

int __p2p_migrate(int dev, int fd, uint32_t placement);
void p2p_migrate(int dev, int fd, uint32_t placement);

/*
 * An fd number that is not open, from 200 up: above what a test opens
 * later, so that it stays closed while the test uses it.
 */
int p2p_closed_fd(void);

/* The exporter's name of dma-buf @fd, as /proc/self/fdinfo says. */
void p2p_dmabuf_exporter(int fd, char *buf, size_t len);

/*
 * A udmabuf of @size bytes (UDMABUF_FLAGS_* @flags) over a new memfd, which
 * *@memfd gets: its pages are the buffer.  Skips without /dev/udmabuf.
 */
int p2p_udmabuf(size_t size, uint32_t flags, int *memfd);

struct blk_dmabuf_rw;

/*
 * BLKDMABUFRW on block device @bdev: @length bytes between dma-buf @buf at
 * @buf_offset and the device at @dev_offset (@flags: BLK_DMABUF_*); 0 or
 * -errno, the out fields in @rw.
 */
int p2p_blk_rw(int bdev, int buf, uint32_t flags, uint64_t buf_offset,
	       uint64_t dev_offset, uint64_t length, struct blk_dmabuf_rw *rw);

/* A shared read-write CPU mapping of the dma-buf @fd. */
void *p2p_map(int fd, size_t size);

/* DMA_BUF_IOCTL_SYNC with @flags (DMA_BUF_SYNC_*). */
int __p2p_cpu_access(int fd, uint64_t flags);
void p2p_cpu_access(int fd, uint64_t flags);

/*
 * The first @len bytes of the BAR buffer @q describes, read from the
 * host's VRAM file at its chunks' BAR offsets, in a new p2p_xalloc()
 * buffer.  Fails unless the buffer has chunks, each inside the BAR, whose
 * sizes add up to q->q.size.
 */
uint8_t *p2p_vram_dup(const struct p2p_machine *m, const struct p2p_query *q,
		      size_t len);

/* The whole BAR buffer @q describes holds p2p_fill_pattern()'s @seed. */
void p2p_check_vram_pattern(const struct p2p_machine *m,
			    const struct p2p_query *q, uint64_t seed);

#endif /* P2P_BUFFER_H */
