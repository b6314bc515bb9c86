// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>

#include "igt.h"
#include "p2p_proc.h"
#include "p2p_uring.h"

/* How long a ring may go without completing anything it has in flight. */
#define P2P_URING_STALL_S	60

void p2p_uring_init(struct io_uring *ring, unsigned int entries,
		    unsigned int nr_slots, unsigned int flags)
{
	int err;

	err = io_uring_queue_init(entries, ring, flags);
	igt_assert_f(!err, "io_uring_queue_init(%u, %#x): %s\n", entries,
		     flags, p2p_errno_name(-err));
	err = io_uring_register_buffers_sparse(ring, nr_slots);
	igt_assert_f(!err, "io_uring_register_buffers_sparse(%u): %s\n",
		     nr_slots, p2p_errno_name(-err));
}

int __p2p_uring_register_dmabuf(int ring_fd, struct io_uring_dmabuf_reg *reg,
				unsigned int nr_args)
{
	int err = 0;

	if (syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_DMABUF,
		    reg, nr_args))
		err = -errno;
	errno = 0;
	return err;
}

uint32_t p2p_uring_register_dmabuf(struct io_uring *ring, unsigned int index,
				   int dmabuf_fd, int target_fd,
				   uint32_t flags)
{
	struct io_uring_dmabuf_reg reg = {
		.buf_index = index,
		.dmabuf_fd = dmabuf_fd,
		.target_fd = target_fd,
		.flags = flags,
	};
	int err = __p2p_uring_register_dmabuf(ring->ring_fd, &reg, 1);

	igt_assert_f(!err, "IORING_REGISTER_DMABUF of dma-buf fd %d into slot "
		     "%u for fd %d (flags %#x): %s\n", dmabuf_fd, index,
		     target_fd, flags, p2p_errno_name(-err));
	igt_assert_f(reg.path == BLK_DMABUF_PATH_NATIVE ||
		     reg.path == BLK_DMABUF_PATH_BOUNCE,
		     "IORING_REGISTER_DMABUF reported path %u\n", reg.path);
	return reg.path;
}

int __p2p_uring_unregister(struct io_uring *ring, unsigned int index)
{
	struct iovec none = { 0 };
	__u64 tag = 0;
	int ret;

	ret = io_uring_register_buffers_update_tag(ring, index, &none, &tag, 1);
	return ret < 0 ? ret : 0;
}

void p2p_uring_unregister(struct io_uring *ring, unsigned int index)
{
	int err = __p2p_uring_unregister(ring, index);

	igt_assert_f(!err, "emptying registered buffer slot %u: %s\n", index,
		     p2p_errno_name(-err));
}

void p2p_uring_queue(struct io_uring *ring, int fd, unsigned int index,
		     bool write, uint64_t buf_offset, uint64_t file_offset,
		     uint32_t len, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	/* The address of a registered dma-buf is a byte offset into it. */
	void *addr = (void *)(uintptr_t)buf_offset;

	igt_assert_f(sqe, "the submission queue is full\n");
	if (write)
		io_uring_prep_write_fixed(sqe, fd, addr, len, file_offset,
					  index);
	else
		io_uring_prep_read_fixed(sqe, fd, addr, len, file_offset,
					 index);
	io_uring_sqe_set_data64(sqe, data);
}

void p2p_uring_submit(struct io_uring *ring)
{
	while (io_uring_sq_ready(ring)) {
		int ret = io_uring_submit(ring);

		igt_assert_f(ret >= 0, "io_uring_submit: %s\n",
			     p2p_errno_name(-ret));
		if (!ret)
			break;
	}
}

/*
 * The next completion, waited for at most P2P_URING_STALL_S seconds.  On an
 * IOPOLL ring the kernel polls instead of sleeping and gives up long before
 * the timeout (it ignores it), so the wait is repeated until the deadline.
 */
static struct io_uring_cqe *wait_cqe(struct io_uring *ring,
				     unsigned int in_flight)
{
	struct __kernel_timespec ts = { .tv_sec = P2P_URING_STALL_S };
	double deadline = p2p_now_s() + P2P_URING_STALL_S;
	struct io_uring_cqe *cqe = NULL;
	int ret;

	do
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	while (ret == -EINTR || (ret == -ETIME && p2p_now_s() < deadline));
	igt_assert_f(ret != -ETIME, "no completion in %d s with %u requests "
		     "in flight\n", P2P_URING_STALL_S, in_flight);
	igt_assert_f(!ret, "io_uring_wait_cqe: %s\n", p2p_errno_name(-ret));
	return cqe;
}

int p2p_uring_reap(struct io_uring *ring, unsigned int in_flight,
		   uint64_t *data)
{
	struct io_uring_cqe *cqe = wait_cqe(ring, in_flight);
	int res = cqe->res;

	*data = io_uring_cqe_get_data64(cqe);
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int p2p_uring_rw1(struct io_uring *ring, int fd, unsigned int index,
		  bool write, uint64_t buf_offset, uint64_t file_offset,
		  uint32_t len)
{
	uint64_t data;

	p2p_uring_queue(ring, fd, index, write, buf_offset, file_offset, len,
			0);
	p2p_uring_submit(ring);
	return p2p_uring_reap(ring, 1, &data);
}

static bool overlaps(const struct p2p_uring_io *a, const struct p2p_uring_io *b)
{
	return a->buf_offset < b->buf_offset + b->len &&
	       b->buf_offset < a->buf_offset + a->len;
}

unsigned int p2p_uring_run(struct io_uring *ring, int fd, unsigned int index,
			   bool write, struct p2p_uring_io *ios, unsigned int n,
			   unsigned int qd, p2p_uring_done_t done, void *priv)
{
	unsigned int *in_flight = calloc(qd, sizeof(*in_flight));
	unsigned int next = 0, nr = 0, most = 0, completed = 0;

	igt_assert(in_flight && qd);
	while (completed < n) {
		struct io_uring_cqe *cqe;

		while (next < n && nr < qd) {
			bool blocked = false;

			for (unsigned int i = 0; i < nr && !blocked; i++)
				blocked = overlaps(&ios[in_flight[i]],
						   &ios[next]);
			if (blocked)
				break;
			ios[next].res = INT32_MIN;
			p2p_uring_queue(ring, fd, index, write,
					ios[next].buf_offset,
					ios[next].file_offset, ios[next].len,
					next);
			in_flight[nr++] = next++;
		}
		if (nr > most)
			most = nr;
		p2p_uring_submit(ring);

		cqe = wait_cqe(ring, nr);
		do {
			unsigned int k = io_uring_cqe_get_data64(cqe), i;

			igt_assert_f(k < n, "a completion for request %u of "
				     "%u\n", k, n);
			for (i = 0; i < nr && in_flight[i] != k; i++)
				;
			igt_assert_f(i < nr, "two completions for request %u\n",
				     k);
			in_flight[i] = in_flight[--nr];
			ios[k].res = cqe->res;
			io_uring_cqe_seen(ring, cqe);
			completed++;
			if (done)
				done(&ios[k], priv);
		} while (!io_uring_peek_cqe(ring, &cqe));
	}
	free(in_flight);
	return most;
}
