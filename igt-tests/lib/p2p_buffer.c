// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_topology.h"

int p2p_ioctl(int fd, unsigned long req, void *arg)
{
	int err = 0;

	if (igt_ioctl(fd, req, arg))
		err = -errno;
	errno = 0;
	return err;
}

int p2p_dev_open(void)
{
	int dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);

	igt_assert_f(dev >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
	return dev;
}

int __p2p_alloc(int dev, const struct p2p_pci *provider, uint64_t size,
		uint32_t fd_flags, int *fd)
{
	struct dma_buf_p2p_alloc a = {
		.provider = provider->id,
		.size = size,
		.fd_flags = fd_flags,
	};
	int err = p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a);

	/* Out-parameters only on success, as the UAPI sets them. */
	if (!err)
		*fd = a.fd;
	return err;
}

int p2p_alloc(int dev, const struct p2p_pci *provider, uint64_t size,
	      uint32_t fd_flags)
{
	int fd = -1;

	igt_assert_eq(__p2p_alloc(dev, provider, size, fd_flags, &fd), 0);
	igt_assert_fd(fd);
	return fd;
}

int __p2p_query(int dev, int fd, struct p2p_query *q)
{
	memset(q, 0, sizeof(*q));
	q->q.fd = fd;
	q->q.attachments = (uintptr_t)q->att;
	q->q.nr_attachments = P2P_MAX_ATTACH;
	q->q.chunks = (uintptr_t)q->chunks;
	q->q.nr_chunks = P2P_MAX_CHUNKS;
	return p2p_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q->q);
}

void p2p_query(int dev, int fd, struct p2p_query *q)
{
	igt_assert_eq(__p2p_query(dev, fd, q), 0);
	igt_assert_lte(q->q.nr_chunks, P2P_MAX_CHUNKS);
	igt_assert_lte(q->q.nr_attachments, P2P_MAX_ATTACH);
}

int __p2p_migrate(int dev, int fd, uint32_t placement)
{
	struct dma_buf_p2p_migrate mig = { .fd = fd, .placement = placement };

	return p2p_ioctl(dev, DMA_BUF_P2P_IOC_MIGRATE, &mig);
}

void p2p_migrate(int dev, int fd, uint32_t placement)
{
	igt_assert_eq(__p2p_migrate(dev, fd, placement), 0);
}

int p2p_closed_fd(void)
{
	for (int fd = 200; fd < 1000; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return fd;
	igt_assert_f(0, "fds 200 to 999 are all open\n");
	return -1;
}

void p2p_dmabuf_exporter(int fd, char *buf, size_t len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	igt_assert_f(f, "%s: %m\n", path);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (sscanf(line, "exp_name: %63s", name) == 1) {
			snprintf(buf, len, "%s", name);
			break;
		}
	}
	fclose(f);
	igt_assert_f(buf[0], "no exp_name in %s\n", path);
}

int p2p_udmabuf(size_t size, uint32_t flags, int *memfd)
{
	struct udmabuf_create c = { .flags = flags, .size = size };
	int dev, buf;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	igt_require_f(dev >= 0, "no /dev/udmabuf: %m\n");
	*memfd = memfd_create("p2p-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	igt_assert_fd(*memfd);
	igt_assert_eq(ftruncate(*memfd, size), 0);
	igt_assert_eq(fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	c.memfd = *memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	igt_assert_f(buf >= 0, "UDMABUF_CREATE: %m\n");
	close(dev);
	return buf;
}

int p2p_blk_rw(int bdev, int buf, uint32_t flags, uint64_t buf_offset,
	       uint64_t dev_offset, uint64_t length, struct blk_dmabuf_rw *rw)
{
	*rw = (struct blk_dmabuf_rw){
		.dmabuf_fd = buf,
		.flags = flags,
		.buf_offset = buf_offset,
		.dev_offset = dev_offset,
		.length = length,
	};
	return p2p_ioctl(bdev, BLKDMABUFRW, rw);
}

void *p2p_map(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	igt_assert_f(p != MAP_FAILED, "mmap of the dma-buf: %m\n");
	return p;
}

int __p2p_cpu_access(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return p2p_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

void p2p_cpu_access(int fd, uint64_t flags)
{
	igt_assert_eq(__p2p_cpu_access(fd, flags), 0);
}

uint8_t *p2p_vram_dup(const struct p2p_machine *m, const struct p2p_query *q,
		      size_t len)
{
	uint8_t *got = p2p_xalloc(len);
	uint64_t total = 0;
	size_t done = 0;
	int file;

	igt_assert_f(q->q.nr_chunks > 0, "a BAR buffer without chunks\n");
	igt_assert_lte(q->q.nr_chunks, P2P_MAX_CHUNKS);
	igt_assert(len <= q->q.size);
	file = p2p_image_open(m->vram_file);
	for (uint32_t i = 0; i < q->q.nr_chunks; i++) {
		const struct dma_buf_p2p_chunk_info *c = &q->chunks[i];
		size_t n = c->size < len - done ? c->size : len - done;

		igt_assert(c->size && c->bar_offset + c->size <= m->vram_size);
		igt_assert(total + c->size <= q->q.size);
		total += c->size;
		if (n)
			p2p_pread_all(file, got + done, n, c->bar_offset,
				      m->vram_file);
		done += n;
	}
	close(file);
	igt_assert_eq_u64(total, q->q.size);
	igt_assert_eq_u64(done, len);
	return got;
}

void p2p_check_vram_pattern(const struct p2p_machine *m,
			    const struct p2p_query *q, uint64_t seed)
{
	uint8_t *got = p2p_vram_dup(m, q, q->q.size);

	p2p_check_pattern(got, q->q.size, seed,
			  "the buffer in the host's VRAM file");
	free(got);
}
