// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring with DMA-BUFs as registered buffers: a sparse buffer table,
 * IORING_REGISTER_DMABUF into its slots, and fixed reads and writes whose
 * address is a byte offset into the slot's buffer.  The kernel turns them
 * into DMA-BUF bios of the slot's device: the device DMAs the buffer from a
 * mapping made once per (buffer, device), or the block layer bounces
 * (reported at registration).  Nothing here copies data.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uring-dmabuf.h"

/* The most requests in flight: as many as a BLKDMABUFRWBATCH takes. */
#define URING_DMABUF_MAX_DEPTH	4096U

int uring_dmabuf_init(struct uring_dmabuf *u, uint32_t depth,
		      uint32_t nr_slots)
{
	int ret;

	if (!depth || depth > URING_DMABUF_MAX_DEPTH || !nr_slots)
		return -EINVAL;
	memset(u, 0, sizeof(*u));
	/* An SQ of @depth entries; the CQ is twice that, never overflowing. */
	ret = io_uring_queue_init(depth, &u->ring, 0);
	if (ret)
		return ret;
	ret = io_uring_register_buffers_sparse(&u->ring, nr_slots);
	if (ret) {
		io_uring_queue_exit(&u->ring);
		return ret;
	}
	u->depth = depth;
	u->nr_slots = nr_slots;
	u->ready = true;
	return 0;
}

void uring_dmabuf_exit(struct uring_dmabuf *u)
{
	if (!u->ready)
		return;
	io_uring_queue_exit(&u->ring);
	u->ready = false;
}

int uring_dmabuf_register(struct uring_dmabuf *u, uint32_t slot,
			  int dmabuf_fd, int target_fd, uint32_t flags,
			  uint32_t *path)
{
	struct io_uring_dmabuf_reg reg = {
		.buf_index = slot,
		.dmabuf_fd = dmabuf_fd,
		.target_fd = target_fd,
		.flags = flags,
	};
	long ret;

	do
		ret = syscall(__NR_io_uring_register, u->ring.ring_fd,
			      IORING_REGISTER_DMABUF, &reg, 1);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	*path = reg.path;
	return 0;
}

int uring_dmabuf_unregister(struct uring_dmabuf *u, uint32_t slot)
{
	struct iovec none = { 0 };
	__u64 tag = 0;
	int ret;

	ret = io_uring_register_buffers_update_tag(&u->ring, slot, &none, &tag,
						   1);
	return ret < 0 ? ret : 0;
}

int uring_dmabuf_queue(struct uring_dmabuf *u, const struct uring_dmabuf_io *io,
		       uint64_t data)
{
	struct io_uring_sqe *sqe;
	/* The address of a registered dma-buf is a byte offset into it. */
	void *addr = (void *)(uintptr_t)io->buf_offset;

	if (u->in_flight >= u->depth)
		return -EBUSY;
	/* The SQ has @depth entries at least: full only if bypassed. */
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY;
	if (io->write)
		io_uring_prep_write_fixed(sqe, io->fd, addr, io->len,
					  io->file_offset, (int)io->slot);
	else
		io_uring_prep_read_fixed(sqe, io->fd, addr, io->len,
					 io->file_offset, (int)io->slot);
	io_uring_sqe_set_data64(sqe, data);
	u->in_flight++;
	return 0;
}

int uring_dmabuf_submit(struct uring_dmabuf *u)
{
	int ret;

	do
		ret = io_uring_submit(&u->ring);
	while (ret == -EINTR);
	return ret < 0 ? ret : 0;
}

int uring_dmabuf_reap(struct uring_dmabuf *u, bool wait, uint64_t *data,
		      int32_t *res)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (wait) {
		do
			ret = io_uring_wait_cqe(&u->ring, &cqe);
		while (ret == -EINTR);
	} else {
		ret = io_uring_peek_cqe(&u->ring, &cqe);
		if (ret == -EAGAIN)
			return 0;
	}
	if (ret)
		return ret;
	*data = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(&u->ring, cqe);
	u->in_flight--;
	return 1;
}

int uring_dmabuf_run(struct uring_dmabuf *u, struct uring_dmabuf_io *ios,
		     uint32_t n,
		     void (*done)(const struct uring_dmabuf_io *io, void *priv),
		     void *priv)
{
	uint32_t next = 0;
	int ret = 0, r;

	while (u->in_flight || (!ret && next < n)) {
		/* Set by uring_dmabuf_reap(); gcc -O3 cannot tell. */
		uint64_t data = 0;
		int32_t res = 0;

		while (!ret && next < n && u->in_flight < u->depth) {
			ios[next].res = 0;
			r = uring_dmabuf_queue(u, &ios[next], next);
			if (r)
				return r;
			next++;
		}
		/* Submits, and waits for one completion at least. */
		r = io_uring_submit_and_wait(&u->ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			return ret ?: r;
		while ((r = uring_dmabuf_reap(u, false, &data, &res)) > 0) {
			struct uring_dmabuf_io *io = &ios[data];

			if (res == -EAGAIN && !ret) {
				/* Room: this one just left. */
				u->retries++;
				uring_dmabuf_queue(u, io, data);
				continue;
			}
			io->res = res;
			if (!ret && res < 0)
				ret = res;
			else if (!ret && (uint32_t)res != io->len)
				ret = -EIO;
			if (done)
				done(io, priv);
		}
		if (r < 0)
			return ret ?: r;
	}
	return ret;
}

const char *uring_dmabuf_register_why(int err)
{
	switch (err) {
	case EINVAL:
		return "not a dma-buf, or a kernel without IORING_REGISTER_DMABUF";
	case EBUSY:
		return "the slot holds a buffer already";
	case ENXIO:
		return "the ring has no buffer table";
	case EOPNOTSUPP:
		return "the target is neither a block device nor a file of a filesystem on one";
	case EBADF:
		return "a file descriptor is not open";
	case ENODEV:
		return "the device or the buffer's provider is gone";
	default:
		return NULL;
	}
}

const char *uring_dmabuf_io_why(int err)
{
	switch (err) {
	case EINVAL:
		return "io_uring: the file is not open with O_DIRECT, or an offset or length is not a multiple of the logical block size";
	case EXDEV:
		return "io_uring: the file is on another block device than the one the buffer was registered for";
	case EFAULT:
		return "io_uring: the range reaches outside the buffer, or the slot is empty";
	case ENODEV:
		return "io_uring: the device is gone";
	case EIO:
		return "io_uring: the device reported an error, or moved fewer bytes than asked";
	default:
		return NULL;
	}
}
