/* SPDX-License-Identifier: MIT */
/*
 * io_uring with DMA-BUFs as registered buffers (IORING_REGISTER_DMABUF,
 * userspace/include/io_uring_dmabuf.h), through liburing: a ring with a
 * sparse buffer table, a dma-buf put into one of its slots and taken out
 * again, and fixed reads and writes run many at a time.  Each call comes
 * as __p2p_uring_x(), returning 0 or -errno for the tests of errors, and
 * as p2p_uring_x(), failing the test with the errno's name.
 */
#ifndef P2P_URING_H
#define P2P_URING_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "io_uring_dmabuf.h"

/*
 * A ring of @entries entries, IORING_SETUP_* @flags, with a sparse table
 * of @nr_slots registered buffers, all empty.
 */
void p2p_uring_init(struct io_uring *ring, unsigned int entries,
		    unsigned int nr_slots, unsigned int flags);

/*
 * io_uring_register(IORING_REGISTER_DMABUF) on @ring_fd with @reg as it is
 * (nothing is checked or cleared) and @nr_args: 0 or -errno; the kernel
 * writes reg->path back on success.
 */
int __p2p_uring_register_dmabuf(int ring_fd, struct io_uring_dmabuf_reg *reg,
				unsigned int nr_args);
/*
 * Dma-buf @dmabuf_fd into empty slot @index of @ring, for direct I/O to
 * @target_fd's block device, @flags IORING_DMABUF_*; returns the path the
 * kernel reported (BLK_DMABUF_PATH_*).
 */
uint32_t p2p_uring_register_dmabuf(struct io_uring *ring, unsigned int index,
				   int dmabuf_fd, int target_fd,
				   uint32_t flags);

/* Empties slot @index (IORING_REGISTER_BUFFERS_UPDATE with no buffer). */
int __p2p_uring_unregister(struct io_uring *ring, unsigned int index);
void p2p_uring_unregister(struct io_uring *ring, unsigned int index);

/*
 * Queues one fixed read (or write) of @len bytes between byte @buf_offset
 * of the buffer in slot @index and @fd at @file_offset, with user_data
 * @data; p2p_uring_submit() submits what is queued.
 */
void p2p_uring_queue(struct io_uring *ring, int fd, unsigned int index,
		     bool write, uint64_t buf_offset, uint64_t file_offset,
		     uint32_t len, uint64_t data);
void p2p_uring_submit(struct io_uring *ring);
/*
 * The next completion: its res, and its user_data in *@data.  Fails the
 * test when none comes within a minute (@in_flight: how many may, for the
 * message).
 */
int p2p_uring_reap(struct io_uring *ring, unsigned int in_flight,
		   uint64_t *data);

/*
 * One fixed read (or write) of @len bytes between byte @buf_offset of the
 * buffer in slot @index and @fd at @file_offset, waited for: the cqe's
 * res (bytes moved, or -errno).  Fails the test when no completion comes
 * within a minute.
 */
int p2p_uring_rw1(struct io_uring *ring, int fd, unsigned int index,
		  bool write, uint64_t buf_offset, uint64_t file_offset,
		  uint32_t len);

/* One request of p2p_uring_run(). */
struct p2p_uring_io {
	/* Byte offset into the registered dma-buf (user memory: address) */
	uint64_t buf_offset;
	uint64_t file_offset;
	uint32_t len;
	int32_t res;		/* out: the cqe's res */
};

/* Called for each request as it completes, before its range is reused. */
typedef void (*p2p_uring_done_t)(const struct p2p_uring_io *io, void *priv);

/*
 * @n fixed reads (or writes) on @fd through slot @index, issued in order,
 * at most @qd in flight at once and never two whose buffer ranges overlap
 * (a request waits for the ones in its way).  Each gets its res and then
 * @done (when not NULL).  Fails the test when no completion comes within a
 * minute.  Returns the most requests that were in flight at once.
 */
unsigned int p2p_uring_run(struct io_uring *ring, int fd, unsigned int index,
			   bool write, struct p2p_uring_io *ios, unsigned int n,
			   unsigned int qd, p2p_uring_done_t done, void *priv);

#endif /* P2P_URING_H */
