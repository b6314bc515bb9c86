// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl bench: the I/O of one round, each path the way its users issue
 * it.  The dma-buf paths use the kernel import, by one of two engines:
 * ioctl, BLKDMABUFRW per I/O at queue depth 1 (FIDMABUFRW on a regular
 * file), one BLKDMABUFRWBATCH per round above it; or io_uring, the buffer
 * registered in a ring (uring-dmabuf.c) and READ_FIXED/WRITE_FIXED at the
 * queue depth.  The host-memory paths use O_DIRECT: pread/pwrite, or
 * io_uring (above queue depth 1 unless told).  Every slot of a round has
 * its own memory, so that the data of the last round can be checked
 * afterwards against the devices (or the file) read back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include "bench.h"

/* splitmix64: random offsets from a fixed seed, the same on every path. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The buffer into slot @slot of the ring, for the device of @fd. */
static int uring_register(struct bench *b, uint32_t slot, int fd,
			  const char *path)
{
	uint32_t flags = b->path == BENCH_BOUNCE ? IORING_DMABUF_BOUNCE : 0;
	const char *why;
	int ret;

	ret = uring_dmabuf_register(&b->uring, slot, b->buf_fd, fd, flags,
				    &b->uring_paths[slot]);
	if (ret) {
		why = uring_dmabuf_register_why(-ret);
		p2pctl_err(BENCH_CMD, -ret,
			   "register the buffer in io_uring for %s%s%s%s", path,
			   why ? " (" : "", why ? why : "", why ? ")" : "");
	}
	return ret;
}

/* The io_uring dma-buf engine: SRC's registration in slot 0, DST's in 1. */
static int uring_setup(struct bench *b)
{
	int ret;

	b->uios = calloc(b->slots, sizeof(*b->uios));
	if (!b->uios) {
		p2pctl_err(BENCH_CMD, ENOMEM, "I/O list");
		return -ENOMEM;
	}
	ret = uring_dmabuf_init(&b->uring, b->queue_depth, 2);
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret,
			   "io_uring with %u entries and a buffer table",
			   b->queue_depth);
		return ret;
	}
	ret = uring_register(b, 0, b->dev, b->dev_path);
	if (!ret && b->dst >= 0)
		ret = uring_register(b, 1, b->dst, b->dst_path);
	return ret;
}

int bench_io_setup(struct bench *b)
{
	int ret;

	b->slots = b->size / b->block_size;
	if (b->slots > BENCH_MAX_SLOTS)
		b->slots = BENCH_MAX_SLOTS;
	b->offsets = calloc(b->slots, sizeof(*b->offsets));
	b->ios = calloc(b->slots, sizeof(*b->ios));
	if (!b->offsets || !b->ios) {
		p2pctl_err(BENCH_CMD, ENOMEM, "I/O list");
		return -ENOMEM;
	}
	b->rng = b->seed;
	if (bench_is_dmabuf_path(b->path))
		return b->engine == BENCH_IO_URING ? uring_setup(b) : 0;
	if (b->engine != BENCH_IO_URING)
		return 0;
	ret = io_uring_queue_init(b->queue_depth, &b->ring, 0);
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "io_uring with %u entries",
			   b->queue_depth);
		return ret;
	}
	b->ring_ready = true;
	return 0;
}

void bench_io_teardown(struct bench *b)
{
	if (b->ring_ready)
		io_uring_queue_exit(&b->ring);
	uring_dmabuf_exit(&b->uring);
	free(b->offsets);
	free(b->ios);
	free(b->uios);
}

/* The device offsets of this round's slots. */
static void plan_round(struct bench *b)
{
	uint64_t blocks = b->size / b->block_size;

	for (uint32_t i = 0; i < b->slots; i++) {
		uint64_t n = b->rounds * b->slots + i;

		if (b->workload == BENCH_RANDREAD)
			n = next_random(&b->rng) %
			    (b->dev_bytes / b->block_size);
		else
			n %= blocks;
		b->offsets[i] = n * b->block_size;
	}
}

/* Where on the device of the current pass slot @slot's I/O goes. */
static uint64_t dev_offset(const struct bench *b, uint32_t slot)
{
	return b->pass_base + b->offsets[slot];
}

/* dma-buf paths ----------------------------------------------------- */

static int dmabuf_rw(struct bench *b, int dev, uint32_t slot, bool write)
{
	struct blk_dmabuf_rw rw = {
		.dmabuf_fd = b->buf_fd,
		.flags = (write ? BLK_DMABUF_WRITE : 0) |
			 (b->path == BENCH_BOUNCE ? BLK_DMABUF_BOUNCE : 0),
		.buf_offset = (uint64_t)slot * b->block_size,
		.dev_offset = dev_offset(b, slot),
		.length = b->block_size,
	};

	/* A regular file: the same transfer through its filesystem. */
	if (drmIoctl(dev, b->dev_is_file && dev == b->dev ? FIDMABUFRW :
			  BLKDMABUFRW, &rw))
		return -errno;
	b->maps += rw.maps;
	b->cpu_bytes += rw.cpu_bytes;
	b->kernel_path = rw.path;
	return 0;
}

static int dmabuf_batch(struct bench *b, int dev, bool write)
{
	struct blk_dmabuf_rw_batch batch = {
		.dmabuf_fd = b->buf_fd,
		.flags = b->path == BENCH_BOUNCE ? BLK_DMABUF_BOUNCE : 0,
		.ios = (uintptr_t)b->ios,
		.nr_ios = b->slots,
		.queue_depth = b->queue_depth,
	};

	for (uint32_t i = 0; i < b->slots; i++)
		b->ios[i] = (struct blk_dmabuf_io){
			.buf_offset = (uint64_t)i * b->block_size,
			.dev_offset = dev_offset(b, i),
			.length = (uint32_t)b->block_size,
			.flags = write ? BLK_DMABUF_WRITE : 0,
		};
	if (drmIoctl(dev, BLKDMABUFRWBATCH, &batch))
		return -errno;
	b->maps += batch.maps;
	b->cpu_bytes += batch.cpu_bytes;
	b->kernel_path = batch.path;
	return 0;
}

/* Every slot's fixed read or write, at most queue_depth in flight. */
static int dmabuf_uring_pass(struct bench *b, int dev, bool write)
{
	uint32_t slot = dev == b->dst ? 1 : 0;
	uint64_t retries = b->uring.retries;
	int ret;

	for (uint32_t i = 0; i < b->slots; i++)
		b->uios[i] = (struct uring_dmabuf_io){
			.slot = slot,
			.fd = dev,
			.write = write,
			.buf_offset = (uint64_t)i * b->block_size,
			.file_offset = dev_offset(b, i),
			.len = (uint32_t)b->block_size,
		};
	ret = uring_dmabuf_run(&b->uring, b->uios, b->slots, NULL, NULL);
	b->retries += b->uring.retries - retries;
	if (ret)
		return ret;
	b->kernel_path = b->uring_paths[slot];
	/* The block layer's CPU copy of every byte; no count per request. */
	if (b->kernel_path == BLK_DMABUF_PATH_BOUNCE)
		b->cpu_bytes += (uint64_t)b->slots * b->block_size;
	return 0;
}

static int dmabuf_pass(struct bench *b, int dev, bool write)
{
	int ret = 0;

	if (b->engine == BENCH_IO_URING)
		return dmabuf_uring_pass(b, dev, write);
	if (b->queue_depth > 1 || b->workload == BENCH_COPY)
		return dmabuf_batch(b, dev, write);
	for (uint32_t i = 0; i < b->slots && !ret; i++)
		ret = dmabuf_rw(b, dev, i, write);
	return ret;
}

/* Host-memory paths ------------------------------------------------- */

/* Where the device DMAs slot @slot: the staging copy for pread-memcpy. */
static uint8_t *dma_target(const struct bench *b, uint32_t slot)
{
	if (b->path == BENCH_PREAD_MEMCPY)
		return b->host + (uint64_t)slot * b->block_size;
	return bench_slot_data(b, slot);
}

/* pread-memcpy: the CPU copy between the staging memory and the BAR. */
static void stage(struct bench *b, uint32_t slot, bool to_bar)
{
	uint8_t *host = dma_target(b, slot), *bar = bench_slot_data(b, slot);

	if (b->path != BENCH_PREAD_MEMCPY)
		return;
	if (to_bar)
		memcpy(bar, host, b->block_size);
	else
		memcpy(host, bar, b->block_size);
	b->cpu_bytes += b->block_size;
}

static int sync_pass(struct bench *b, int dev, bool write)
{
	for (uint32_t i = 0; i < b->slots; i++) {
		ssize_t n;

		if (write)
			stage(b, i, false);
		n = write ? pwrite(dev, dma_target(b, i), b->block_size,
				   dev_offset(b, i)) :
			    pread(dev, dma_target(b, i), b->block_size,
				  dev_offset(b, i));
		if (n < 0)
			return -errno;
		if ((uint64_t)n != b->block_size)
			return -EIO;
		if (!write)
			stage(b, i, true);
	}
	return 0;
}

static void uring_queue(struct bench *b, int dev, uint32_t slot, bool write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	/* Never NULL: at most queue_depth are in flight. */
	if (write) {
		stage(b, slot, false);
		io_uring_prep_write(sqe, dev, dma_target(b, slot),
				    b->block_size, dev_offset(b, slot));
	} else {
		io_uring_prep_read(sqe, dev, dma_target(b, slot),
				   b->block_size, dev_offset(b, slot));
	}
	io_uring_sqe_set_data64(sqe, slot);
}

static int uring_pass(struct bench *b, int dev, bool write)
{
	uint32_t queued = 0, inflight = 0;
	int ret = 0, r;

	/* After a failure: no more I/O, but reap what is in flight. */
	while (inflight || (!ret && queued < b->slots)) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;

		while (!ret && queued < b->slots &&
		       inflight < b->queue_depth) {
			uring_queue(b, dev, queued++, write);
			inflight++;
		}
		r = io_uring_submit_and_wait(&b->ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN)
			return ret ?: r;
		io_uring_for_each_cqe(&b->ring, head, cqe) {
			uint32_t slot = (uint32_t)io_uring_cqe_get_data64(cqe);

			if (cqe->res < 0 ||
			    (uint64_t)cqe->res != b->block_size) {
				if (!ret)
					ret = cqe->res < 0 ? cqe->res : -EIO;
			} else if (!write) {
				stage(b, slot, true);
			}
			n++;
		}
		io_uring_cq_advance(&b->ring, n);
		inflight -= n;
	}
	return ret;
}

static int host_pass(struct bench *b, int dev, bool write)
{
	int ret;

	if (b->path == BENCH_PREAD_MEMCPY) {
		ret = bench_cpu_access(b, true, true);
		if (ret)
			return ret;
	}
	ret = b->engine == BENCH_IO_URING ? uring_pass(b, dev, write) :
					    sync_pass(b, dev, write);
	if (b->path == BENCH_PREAD_MEMCPY)
		bench_cpu_access(b, false, true);
	return ret;
}

/* A round ----------------------------------------------------------- */

static int pass(struct bench *b, int dev, bool write)
{
	b->pass_base = dev == b->dst ? b->dst_offset : 0;
	return bench_is_dmabuf_path(b->path) ? dmabuf_pass(b, dev, write) :
					       host_pass(b, dev, write);
}

int bench_io_round(struct bench *b)
{
	int ret;

	plan_round(b);
	if (b->workload == BENCH_COPY) {
		ret = pass(b, b->dev, false);
		if (!ret)
			ret = pass(b, b->dst, true);
	} else {
		ret = pass(b, b->dev, b->workload == BENCH_WRITE);
	}
	if (ret) {
		const char *why = NULL;

		if (bench_is_dmabuf_path(b->path) &&
		    b->engine == BENCH_IO_URING)
			why = uring_dmabuf_io_why(-ret);
		else if (bench_is_dmabuf_path(b->path) && b->dev_is_file &&
			 ret == -EOPNOTSUPP)
			why = "FIDMABUFRW: the file's filesystem has no block device or no direct I/O for it";
		p2pctl_err(BENCH_CMD, -ret, "round %llu of %s on %s%s%s%s",
			   (unsigned long long)b->rounds,
			   bench_path_names[b->path], b->dev_path,
			   why ? " (" : "", why ? why : "",
			   why ? ")" : "");
		return ret;
	}
	b->rounds++;
	b->ios_done += b->slots;
	b->bytes += (uint64_t)b->slots * b->block_size;
	return 0;
}

/* Verification ------------------------------------------------------ */

static int read_back(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (uint64_t)n == len ? 0 : -EIO;
}

int bench_io_verify(struct bench *b)
{
	uint8_t *want = aligned_alloc(4096, b->block_size);
	uint8_t *got = aligned_alloc(4096, b->block_size);
	int ret = 0;

	if (!want || !got) {
		ret = -ENOMEM;
		goto out;
	}
	ret = bench_cpu_access(b, true, false);
	for (uint32_t i = 0; i < b->slots && !ret; i++) {
		const uint8_t *have = bench_slot_data(b, i);

		ret = read_back(b->dev, want, b->block_size, b->offsets[i]);
		if (!ret && b->workload == BENCH_COPY) {
			ret = read_back(b->dst, got, b->block_size,
					b->dst_offset + b->offsets[i]);
			have = got;
		}
		if (!ret && memcmp(want, have, b->block_size)) {
			p2pctl_err(BENCH_CMD, 0,
				   "%s: the data at %s offset %llu is wrong after the last round",
				   bench_path_names[b->path],
				   b->workload == BENCH_COPY ? b->dst_path :
				   b->dev_path,
				   (unsigned long long)(b->offsets[i] +
							(b->workload == BENCH_COPY ?
							 b->dst_offset : 0)));
			ret = -EIO;
		}
	}
	bench_cpu_access(b, false, false);
out:
	free(want);
	free(got);
	b->verified = !ret;
	return ret;
}
