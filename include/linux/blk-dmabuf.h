/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bios that carry a DMA-BUF range instead of pages.
 *
 * Such a bio (BIO_DMABUF) holds a reference on a dma-buf P2P map (see
 * include/linux/dma-buf-p2p.h) in place of its bio_vec array, and the byte
 * offset into the buffer in its iterator: bi_idx and bi_bvec_done together
 * form a 64-bit offset, advanced with the bio.  It is never merged.  The
 * bio owns its map reference and drops it when it is freed; clones (splits)
 * borrow their parent's, which outlives them.
 *
 * Direct I/O builds such bios from an ITER_DMABUF iov_iter (include/linux/
 * uio.h) in bio_iov_iter_get_pages(): that is how a filesystem's direct
 * I/O (FIDMABUFRW) reaches a DMA-BUF.
 *
 * A driver declares support through block_device_operations.dmabuf_device:
 * the device that DMAs for the disk.  When the map belongs to that device,
 * the driver gets the bio and builds its descriptors from the premapped
 * addresses (dma_buf_p2p_iter_init()).  Every other bio is served by the
 * block layer's bounce path: system pages, copied by the CPU.
 */
#ifndef _LINUX_BLK_DMABUF_H
#define _LINUX_BLK_DMABUF_H

#include <linux/blk_types.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/wordpart.h>

struct block_device;
struct dma_buf;
struct dma_buf_p2p_import;
struct dma_buf_p2p_map;
struct file;
struct iov_iter;
struct request;

static inline u64 bio_dmabuf_iter_offset(const struct bvec_iter *iter)
{
	return (u64)iter->bi_idx << 32 | iter->bi_bvec_done;
}

static inline void bio_dmabuf_iter_set_offset(struct bvec_iter *iter,
					      u64 offset)
{
	iter->bi_idx = upper_32_bits(offset);
	iter->bi_bvec_done = lower_32_bits(offset);
}

static inline void bio_dmabuf_advance_iter(struct bvec_iter *iter,
					   unsigned int bytes)
{
	bio_dmabuf_iter_set_offset(iter, bio_dmabuf_iter_offset(iter) + bytes);
	iter->bi_size -= bytes;
}

#ifdef CONFIG_BLK_DMABUF
static inline bool bio_is_dmabuf(const struct bio *bio)
{
	return bio->bi_flags & (1U << BIO_DMABUF);
}

static inline struct dma_buf_p2p_map *bio_dmabuf_map(const struct bio *bio)
{
	return bio->bi_dmabuf_map;
}

static inline u64 bio_dmabuf_offset(const struct bio *bio)
{
	return bio_dmabuf_iter_offset(&bio->bi_iter);
}

void bio_set_dmabuf(struct bio *bio, struct dma_buf_p2p_map *map, u64 offset,
		    unsigned int len);
int bio_iov_dmabuf_set(struct bio *bio, struct iov_iter *iter);
void __bio_dmabuf_uninit(struct bio *bio);
bool blk_dmabuf_submit_bounced(struct bio *bio);
void blk_rq_dmabuf_account(struct request *rq);
int blk_dmabuf_file_ioctl(struct file *file, void __user *argp);
struct dma_buf_p2p_import *blk_dmabuf_import(struct block_device *bdev,
					     struct dma_buf *dmabuf,
					     bool bounce, u32 *path,
					     u32 *maps);

static inline void bio_dmabuf_uninit(struct bio *bio)
{
	/* Clones borrow the map of the bio they were cut from. */
	if (bio_is_dmabuf(bio) && !(bio->bi_flags & (1U << BIO_CLONED)))
		__bio_dmabuf_uninit(bio);
}
#else
static inline bool bio_is_dmabuf(const struct bio *bio)
{
	return false;
}

static inline int bio_iov_dmabuf_set(struct bio *bio, struct iov_iter *iter)
{
	return -EFAULT;
}

static inline void bio_dmabuf_uninit(struct bio *bio)
{
}

static inline int blk_dmabuf_file_ioctl(struct file *file, void __user *argp)
{
	return -ENOIOCTLCMD;
}

static inline bool blk_dmabuf_submit_bounced(struct bio *bio)
{
	return false;
}

static inline void blk_rq_dmabuf_account(struct request *rq)
{
}
#endif

#endif /* _LINUX_BLK_DMABUF_H */
