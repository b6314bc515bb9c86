// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl bench: the memory each path moves data into.  A dma-buf P2P
 * buffer on the provider (dmabuf, migrated, bounce; pread-memcpy's
 * destination), host memory (direct; pread-memcpy's staging) or the
 * upstream page-based P2P memory, an mmap of the provider's sysfs
 * p2pmem/allocate file (p2pmem).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <xf86drm.h>

#include "bench.h"

#define PAGE		4096

static bool uses_dmabuf(enum bench_path p)
{
	return p != BENCH_DIRECT && p != BENCH_P2PMEM;
}

static int alloc_dmabuf(struct bench *b)
{
	struct dma_buf_p2p_alloc a = {
		.provider = b->provider.id,
		.size = b->size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char sz[16];
	int err;

	b->p2p = p2pctl_open_dev(BENCH_CMD);
	if (b->p2p < 0)
		return P2PCTL_EXIT_ERROR;
	if (drmIoctl(b->p2p, DMA_BUF_P2P_IOC_ALLOC, &a)) {
		err = errno;
		p2pctl_err(BENCH_CMD, err, "alloc %s on %s%s",
			   p2pctl_fmt_size(b->size, sz, sizeof(sz)),
			   b->provider.addr,
			   err == ENXIO ? " (not a P2PDMA provider)" : "");
		return P2PCTL_EXIT_ERROR;
	}
	b->buf_fd = (int)a.fd;
	b->buf_map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  b->buf_fd, 0);
	if (b->buf_map == MAP_FAILED) {
		b->buf_map = NULL;
		p2pctl_err(BENCH_CMD, errno, "mmap the buffer");
		return P2PCTL_EXIT_ERROR;
	}
	return 0;
}

int bench_move(const struct bench *b, uint32_t placement)
{
	struct dma_buf_p2p_migrate m = {
		.fd = (uint32_t)b->buf_fd,
		.placement = placement,
	};

	return drmIoctl(b->p2p, DMA_BUF_P2P_IOC_MIGRATE, &m) ? -errno : 0;
}

/* The migrated path: the buffer in system memory before any I/O. */
static int move_to_system(struct bench *b)
{
	uint64_t before, after, maps;
	int ret;

	ret = bench_exporter_stats(b, &before, &maps);
	if (!ret)
		ret = bench_move(b, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	if (!ret)
		ret = bench_exporter_stats(b, &after, &maps);
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "move the buffer to system memory");
		return P2PCTL_EXIT_ERROR;
	}
	b->setup_cpu_bytes = after - before;
	return 0;
}

static int map_p2pmem(struct bench *b)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/p2pmem/allocate", b->provider.addr);
	b->p2pmem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->p2pmem_fd < 0) {
		p2pctl_err(BENCH_CMD, errno, "open %s%s", path,
			   errno == ENOENT ? " (not a P2PDMA provider)" : "");
		return P2PCTL_EXIT_ERROR;
	}
	b->p2pmem = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 b->p2pmem_fd, 0);
	if (b->p2pmem == MAP_FAILED) {
		b->p2pmem = NULL;
		p2pctl_err(BENCH_CMD, errno, "mmap %s", path);
		return P2PCTL_EXIT_ERROR;
	}
	return 0;
}

int bench_mem_setup(struct bench *b)
{
	int ret;

	if (uses_dmabuf(b->path)) {
		ret = alloc_dmabuf(b);
		if (ret)
			return ret;
	}
	if (b->path == BENCH_DIRECT || b->path == BENCH_PREAD_MEMCPY) {
		b->host = aligned_alloc(PAGE, b->size);
		if (!b->host) {
			p2pctl_err(BENCH_CMD, ENOMEM, "host memory");
			return P2PCTL_EXIT_ERROR;
		}
		/* Faulted in now, not in the timed rounds. */
		memset(b->host, 0, b->size);
	}
	if (b->path == BENCH_P2PMEM) {
		ret = map_p2pmem(b);
		if (ret)
			return ret;
	}

	/* What writes send: a pattern; what reads replace: a filler. */
	ret = bench_cpu_access(b, true, true);
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "start CPU access to the buffer");
		return P2PCTL_EXIT_ERROR;
	}
	for (uint32_t i = 0; i < b->size / b->block_size; i++) {
		uint8_t *p = bench_slot_data(b, i);

		if (b->workload == BENCH_WRITE)
			p2pctl_pattern(p, i * b->block_size, b->block_size,
				       b->seed);
		else
			memset(p, 0x5a, b->block_size);
	}
	bench_cpu_access(b, false, true);

	if (b->path == BENCH_MIGRATED)
		return move_to_system(b);
	return 0;
}

void bench_mem_teardown(struct bench *b)
{
	if (b->buf_map)
		munmap(b->buf_map, b->size);
	if (b->buf_fd >= 0)
		close(b->buf_fd);
	if (b->p2p >= 0)
		close(b->p2p);
	if (b->p2pmem)
		munmap(b->p2pmem, b->size);
	if (b->p2pmem_fd >= 0)
		close(b->p2pmem_fd);
	free(b->host);
}

uint8_t *bench_slot_data(const struct bench *b, uint32_t slot)
{
	uint64_t off = (uint64_t)slot * b->block_size;

	switch (b->path) {
	case BENCH_DIRECT:
		return b->host + off;
	case BENCH_P2PMEM:
		return b->p2pmem + off;
	default:
		return b->buf_map + off;
	}
}

int bench_cpu_access(const struct bench *b, bool start, bool write)
{
	struct dma_buf_sync s = {
		.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			 (write ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ),
	};

	if (b->buf_fd < 0)
		return 0;
	return drmIoctl(b->buf_fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

int bench_exporter_stats(const struct bench *b, uint64_t *copied,
			 uint64_t *maps)
{
	struct dma_buf_p2p_query q;
	int ret;

	ret = p2pctl_query(b->p2p, b->buf_fd, &q, NULL, 0, NULL, 0);
	if (!ret) {
		*copied = q.bytes_copied;
		*maps = q.maps_bus + q.maps_host_bridge + q.maps_system;
	}
	return ret;
}
