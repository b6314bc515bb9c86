// SPDX-License-Identifier: GPL-2.0
/*
 * What fill, dump and verify share: the seeded pattern, and a range of a
 * dma-buf given as FD or --pid PID --fd N, checked against the buffer's
 * size and mapped for the CPU inside DMA_BUF_IOCTL_SYNC.
 *
 * The pattern of seed S puts at buffer offset X byte X % 8 (little-endian
 * order) of
 *
 *	splitmix64(S + (X / 8 + 1) * 0x9e3779b97f4a7c15)
 *
 * where splitmix64(z) is Vigna's SplitMix64 finalizer:
 *
 *	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
 *	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *	z =  z ^ (z >> 31);
 *
 * i.e. word X / 8 is output number X / 8 (from 0) of a SplitMix64
 * generator seeded with S.  A byte depends on S and its offset in the
 * buffer only, so any range can be written and checked on its own, and the
 * same bytes at another offset do not pass for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>

#include <xf86drm.h>

#include "p2pctl.h"

#define SPLITMIX64_GAMMA	0x9e3779b97f4a7c15ull

uint64_t p2pctl_pattern_word(uint64_t seed, uint64_t index)
{
	uint64_t z = seed + (index + 1) * SPLITMIX64_GAMMA;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void p2pctl_pattern(void *buf, uint64_t offset, size_t len, uint64_t seed)
{
	uint8_t *p = buf;

	/* The bytes before the first whole word, then words, then the rest. */
	while (len && offset % 8) {
		*p++ = p2pctl_pattern_word(seed, offset / 8) >> (8 * (offset % 8));
		offset++;
		len--;
	}
	for (; len >= 8; p += 8, offset += 8, len -= 8) {
		uint64_t w = p2pctl_pattern_word(seed, offset / 8);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		memcpy(p, &w, 8);
	}
	for (; len; offset++, len--)
		*p++ = p2pctl_pattern_word(seed, offset / 8) >> (8 * (offset % 8));
}

int p2pctl_parse_seed(const char *cmd, const char *s, uint64_t *seed)
{
	char *end;

	if (p2pctl_parse_u64(s, seed, &end) || *end) {
		p2pctl_usage_err(cmd, "bad seed '%s': a number from 0 to 2^64-1",
				 s);
		return -EINVAL;
	}
	return 0;
}

int p2pctl_range_opt(const char *cmd, struct p2pctl_range *r, int c,
		     const char *arg)
{
	uint64_t *size;
	const char *name;
	int err;

	if (p2pctl_target_opt(&r->t, c, arg))
		return 1;
	switch (c) {
	case P2PCTL_OPT_OFFSET:
		size = &r->offset;
		name = "--offset";
		break;
	case P2PCTL_OPT_LENGTH:
		size = &r->length;
		name = "--length";
		r->has_length = true;
		break;
	default:
		return 0;
	}
	err = p2pctl_parse_size(arg, size);
	if (err) {
		p2pctl_usage_err(cmd, "bad %s '%s': %s", name, arg,
				 err == -ERANGE ? "over 2^64 bytes" :
				 "a size is a number with an optional K, M, G, T, P or E");
		return -1;
	}
	if (c == P2PCTL_OPT_LENGTH && !r->length) {
		p2pctl_usage_err(cmd, "--length 0: nothing to do");
		return -1;
	}
	return 1;
}

/* What the fd is when it is no dma-buf, for the message. */
static const char *fd_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return "a file fstat() fails on";
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a pipe";
	case S_IFSOCK:
		return "a socket";
	default:
		return "an anonymous inode (eventfd, epoll, ...)";
	}
}

int p2pctl_range_open(const char *cmd, struct p2pctl_range *r, int argc,
		      char **argv, bool write)
{
	unsigned long long off = r->offset, len = r->length;
	struct statfs sfs;
	int ret, fl;
	off_t size;

	ret = p2pctl_target_get(cmd, &r->t, argc, argv);
	if (ret)
		return ret;

	if (fstatfs(r->t.fd, &sfs)) {
		p2pctl_err(cmd, errno, "%s", r->t.name);
		goto out_close;
	}
	if (sfs.f_type != DMA_BUF_MAGIC) {
		p2pctl_err(cmd, EINVAL, "%s is not a dma-buf but %s", r->t.name,
			   fd_kind(r->t.fd));
		goto out_close;
	}
	/* dma-bufs give their size, and only that, to lseek(SEEK_END). */
	size = lseek(r->t.fd, 0, SEEK_END);
	if (size < 0) {
		p2pctl_err(cmd, errno, "size of %s", r->t.name);
		goto out_close;
	}
	r->size = size;

	if (r->has_length && r->length > UINT64_MAX - r->offset) {
		p2pctl_err(cmd, ERANGE, "%s: offset 0x%llx + length 0x%llx overflows",
			   r->t.name, off, len);
		goto out_close;
	}
	if (r->offset >= r->size) {
		p2pctl_err(cmd, ERANGE,
			   "%s: offset 0x%llx is past the end of the buffer (0x%llx bytes)",
			   r->t.name, off, (unsigned long long)r->size);
		goto out_close;
	}
	if (!r->has_length) {
		r->length = r->size - r->offset;
	} else if (r->offset + r->length > r->size) {
		p2pctl_err(cmd, ERANGE,
			   "%s: offset 0x%llx + length 0x%llx is past the end of the buffer (0x%llx bytes)",
			   r->t.name, off, len, (unsigned long long)r->size);
		goto out_close;
	}

	fl = fcntl(r->t.fd, F_GETFL);
	if (fl < 0) {
		p2pctl_err(cmd, errno, "%s", r->t.name);
		goto out_close;
	}
	if (write && (fl & O_ACCMODE) == O_RDONLY) {
		p2pctl_err(cmd, EACCES, "%s is read-only (opened O_RDONLY)",
			   r->t.name);
		goto out_close;
	}
	if (!write && (fl & O_ACCMODE) == O_WRONLY) {
		p2pctl_err(cmd, EACCES, "%s is write-only (opened O_WRONLY)",
			   r->t.name);
		goto out_close;
	}
	r->write = write;
	return P2PCTL_EXIT_OK;

out_close:
	p2pctl_target_put(&r->t);
	return P2PCTL_EXIT_ERROR;
}

static int cpu_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return drmIoctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

int p2pctl_range_begin(const char *cmd, struct p2pctl_range *r)
{
	uint64_t rw = r->write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
	int prot = PROT_READ | (r->write ? PROT_WRITE : 0);
	int err;

	/*
	 * From the buffer's start, not from the range's first page: GEM
	 * exports built on the shmem helpers (vgem among them) ignore the
	 * mmap offset and always map from the object's first page.
	 */
	r->map_len = r->offset + r->length;
	r->map = mmap(NULL, r->map_len, prot, MAP_SHARED, r->t.fd, 0);
	if (r->map == MAP_FAILED) {
		err = errno;
		r->map = NULL;
		if (err == EACCES)
			p2pctl_err(cmd, err, "mmap of %s for %s", r->t.name,
				   r->write ? "writing" : "reading");
		else if (err == EINVAL || err == ENODEV)
			p2pctl_err(cmd, err,
				   "mmap of %s: its exporter gives no CPU mapping",
				   r->t.name);
		else
			p2pctl_err(cmd, err, "mmap of %s", r->t.name);
		return P2PCTL_EXIT_ERROR;
	}
	r->data = (uint8_t *)r->map + r->offset;

	err = cpu_sync(r->t.fd, DMA_BUF_SYNC_START | rw);
	if (err) {
		p2pctl_err(cmd, -err, "DMA_BUF_IOCTL_SYNC start of %s",
			   r->t.name);
		munmap(r->map, r->map_len);
		r->map = NULL;
		return P2PCTL_EXIT_ERROR;
	}
	return P2PCTL_EXIT_OK;
}

int p2pctl_range_end(const char *cmd, struct p2pctl_range *r)
{
	uint64_t rw = r->write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
	int ret = P2PCTL_EXIT_OK, err;

	if (r->map) {
		err = cpu_sync(r->t.fd, DMA_BUF_SYNC_END | rw);
		if (err) {
			p2pctl_err(cmd, -err, "DMA_BUF_IOCTL_SYNC end of %s",
				   r->t.name);
			ret = P2PCTL_EXIT_ERROR;
		}
		munmap(r->map, r->map_len);
		r->map = NULL;
	}
	p2pctl_target_put(&r->t);
	return ret;
}
