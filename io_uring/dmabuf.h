/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_DMABUF_H
#define IOU_DMABUF_H

#include <linux/io_uring_types.h>
#include <linux/types.h>

#include "rsrc.h"

struct dma_buf;
struct dma_buf_p2p_import;
struct iov_iter;

/**
 * struct io_dmabuf - a DMA-BUF in a registered buffer slot
 * @dmabuf: the buffer, referenced
 * @imp: its import for the target's block device (or the bounce path's)
 * @dev: the target's block device: requests must go to it
 * @path: BLK_DMABUF_PATH_NATIVE or BLK_DMABUF_PATH_BOUNCE
 */
struct io_dmabuf {
	struct dma_buf *dmabuf;
	struct dma_buf_p2p_import *imp;
	dev_t dev;
	u32 path;
};

#ifdef CONFIG_BLK_DMABUF
int io_register_dmabuf(struct io_ring_ctx *ctx, void __user *arg,
		       unsigned int nr_args);
int io_dmabuf_import(int ddir, struct iov_iter *iter, struct io_dmabuf *d,
		     u64 buf_addr, size_t len);
int io_dmabuf_prep_rw(struct io_kiocb *req, struct io_dmabuf *d,
		      struct kiocb *kiocb);
void io_dmabuf_release(struct io_dmabuf *d);
#else
static inline int io_register_dmabuf(struct io_ring_ctx *ctx,
				     void __user *arg, unsigned int nr_args)
{
	return -EOPNOTSUPP;
}

static inline int io_dmabuf_import(int ddir, struct iov_iter *iter,
				   struct io_dmabuf *d, u64 buf_addr,
				   size_t len)
{
	return -EFAULT;
}

static inline int io_dmabuf_prep_rw(struct io_kiocb *req,
				    struct io_dmabuf *d, struct kiocb *kiocb)
{
	return -EOPNOTSUPP;
}

static inline void io_dmabuf_release(struct io_dmabuf *d)
{
}
#endif

/* The DMA-BUF behind a fixed read or write's buffer, if it is one. */
static inline struct io_dmabuf *io_req_dmabuf(struct io_kiocb *req)
{
	if (req->opcode != IORING_OP_READ_FIXED &&
	    req->opcode != IORING_OP_WRITE_FIXED)
		return NULL;
	return req->imu->dmabuf;
}

#endif
