/* SPDX-License-Identifier: GPL-2.0 */
/*
 * io_uring with DMA-BUFs as registered buffers (IORING_REGISTER_DMABUF,
 * userspace/include/io_uring_dmabuf.h): a ring whose buffer table starts
 * empty (sparse), dma-bufs put into its slots for one target each (a block
 * device, or a file of a filesystem on one), and READ_FIXED/WRITE_FIXED
 * between a byte range of a slot's buffer and an O_DIRECT file of that
 * device, many in flight.  For p2pctl's I/O engines (bench --engine
 * io_uring, copy): functions return 0 (or a count) or -errno, and the
 * *_why() helpers say what an errno means here.
 */
#ifndef P2PCTL_URING_DMABUF_H
#define P2PCTL_URING_DMABUF_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "io_uring_dmabuf.h"

struct uring_dmabuf {
	struct io_uring ring;
	uint32_t depth;		/* most requests in flight */
	uint32_t nr_slots;	/* of the buffer table */
	uint32_t in_flight;	/* queued or submitted, not yet reaped */
	uint64_t retries;	/* requests issued again after -EAGAIN */
	bool ready;
};

/* One fixed read or write. */
struct uring_dmabuf_io {
	uint32_t slot;		/* the registered dma-buf */
	int fd;			/* O_DIRECT, on the slot's target device */
	bool write;		/* buffer -> fd; else fd -> buffer */
	uint64_t buf_offset;	/* byte offset into the dma-buf */
	uint64_t file_offset;
	uint32_t len;
	int32_t res;		/* out: bytes moved, or -errno */
};

/*
 * A ring for @depth requests in flight (1 to 4096) with a table of
 * @nr_slots empty buffer slots.  On failure @u is not ready:
 * uring_dmabuf_exit() does nothing.  A zeroed @u is not ready either.
 */
int uring_dmabuf_init(struct uring_dmabuf *u, uint32_t depth,
		      uint32_t nr_slots);
/* Closes the ring: every slot's buffer is let go once its I/O is done. */
void uring_dmabuf_exit(struct uring_dmabuf *u);

/*
 * Puts dma-buf @dmabuf_fd into empty slot @slot for direct I/O to the
 * block device of @target_fd (that device, or a file of a filesystem on
 * it); @flags IORING_DMABUF_BOUNCE or 0.  *@path gets BLK_DMABUF_PATH_NATIVE
 * or BLK_DMABUF_PATH_BOUNCE.  uring_dmabuf_register_why() explains errors.
 */
int uring_dmabuf_register(struct uring_dmabuf *u, uint32_t slot,
			  int dmabuf_fd, int target_fd, uint32_t flags,
			  uint32_t *path);
/* Empties slot @slot; its buffer goes once its requests have completed. */
int uring_dmabuf_unregister(struct uring_dmabuf *u, uint32_t slot);

/*
 * Queues @io with user data @data (not submitted yet): -EBUSY when @depth
 * requests are already in flight.
 */
int uring_dmabuf_queue(struct uring_dmabuf *u, const struct uring_dmabuf_io *io,
		       uint64_t data);
/*
 * Submits what is queued.  After an error of the ring itself (not of a
 * request) here or in uring_dmabuf_reap() or _run(), close the ring:
 * requests may still be queued or in flight.
 */
int uring_dmabuf_submit(struct uring_dmabuf *u);
/*
 * One completion: 1 with its user data and result (bytes or -errno) in
 * *@data and *@res, 0 when none is there and @wait is false.
 */
int uring_dmabuf_reap(struct uring_dmabuf *u, bool wait, uint64_t *data,
		      int32_t *res);

/*
 * Runs @n requests in order, at most @depth in flight (their buffer ranges
 * must not overlap while in flight: the caller's to arrange; nothing else
 * may be queued or in flight on @u), each issued again when it completes
 * with -EAGAIN; sets each one's @res and calls @done (when not NULL) as it
 * completes.  After a failure nothing more is queued, and what is in
 * flight is reaped.  Returns 0 when every request moved all its bytes;
 * else the first failure's -errno, or -EIO for a short transfer (its @res
 * says how far it got).
 */
int uring_dmabuf_run(struct uring_dmabuf *u, struct uring_dmabuf_io *ios,
		     uint32_t n,
		     void (*done)(const struct uring_dmabuf_io *io, void *priv),
		     void *priv);

/* What an errno of uring_dmabuf_register() means, or NULL. */
const char *uring_dmabuf_register_why(int err);
/* What an errno of a fixed read or write of a dma-buf means, or NULL. */
const char *uring_dmabuf_io_why(int err);

#endif /* P2PCTL_URING_DMABUF_H */
