// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: moving the data, one buffer window at a time: block devices
 * through BLKDMABUFRWBATCH and regular files through FIDMABUFRW (the kernel
 * reads into and writes out of the dma-buf), files the kernel cannot do
 * that for through the buffer's mmap (copy-uring.c does the windows of the
 * io_uring engine); and which path each direction took, and why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <xf86drm.h>

#include "copy.h"

static void note_path(struct direction *d, const char *path,
		      const char *reason)
{
	for (int i = 0; i < d->nseen; i++)
		if (!strcmp(d->seen[i].path, path) &&
		    !strcmp(d->seen[i].reason, reason))
			return;
	if (d->nseen == MAX_SEEN)
		return;
	d->seen[d->nseen].path = path;
	snprintf(d->seen[d->nseen].reason, sizeof(d->seen[0].reason), "%s",
		 reason);
	d->nseen++;
}

static const struct dma_buf_p2p_attach_info *
find_attachment(const struct copy *c, const struct dma_buf_p2p_query *q,
		const struct pci_func *pci)
{
	uint32_t n = q->nr_attachments < MAX_ATTACHMENTS ? q->nr_attachments :
			MAX_ATTACHMENTS;

	for (uint32_t i = 0; i < n; i++)
		if (c->buf.att[i].pci.domain == pci->id.domain &&
		    c->buf.att[i].pci.bdf == pci->id.bdf)
			return &c->buf.att[i];
	return NULL;
}

/*
 * What a block I/O call (BLKDMABUFRWBATCH, or FIDMABUFRW on a file) did
 * with the buffer.  For p2pctl's buffers the exporter says where the
 * buffer is and how the block device under @e is attached; other exporters
 * say nothing.
 */
void copy_note_block_path(struct copy *c, const struct endpoint *e,
			  uint32_t kpath, struct direction *d)
{
	const struct dma_buf_p2p_attach_info *att = NULL, *other = NULL;
	struct dma_buf_p2p_query q = { 0 };
	char reason[REASON_LEN];
	uint32_t n;

	if (c->buf.ours && !copy_buffer_query(c, &q)) {
		if (e->has_pci)
			att = find_attachment(c, &q, &e->pci);
		n = q.nr_attachments < MAX_ATTACHMENTS ? q.nr_attachments :
		    MAX_ATTACHMENTS;
		for (uint32_t i = 0; i < n && !other; i++)
			if (c->buf.att[i].mode == DMA_BUF_P2P_MODE_SYSTEM &&
			    c->buf.att[i].reason != DMA_BUF_P2P_REASON_NONE)
				other = &c->buf.att[i];
	} else if (c->buf.ours) {
		/* It stopped answering: say nothing rather than guess. */
		c->buf.ours = false;
	}

	if (kpath == BLK_DMABUF_PATH_BOUNCE) {
		if (att)
			snprintf(reason, sizeof(reason), "bounce: the buffer "
				 "could not be mapped for %s", endpoint_dev(e));
		else
			snprintf(reason, sizeof(reason), "bounce: %s's driver "
				 "does no dma-buf DMA", endpoint_dev(e));
		note_path(d, "bounce", reason);
		return;
	}
	if (!c->buf.ours) {
		snprintf(reason, sizeof(reason), "native: exporter %s does not "
			 "say where its buffer is", c->buf.exporter);
		note_path(d, "native", reason);
		return;
	}
	if (q.placement == DMA_BUF_P2P_PLACEMENT_BAR) {
		/* The device DMAed the provider's memory. */
		if (att && att->mode != DMA_BUF_P2P_MODE_SYSTEM)
			note_path(d, "p2p", p2pctl_mode_name(att->mode));
		else
			note_path(d, "p2p", "p2p: the buffer is in the BAR");
		return;
	}
	if (att && att->mode == DMA_BUF_P2P_MODE_SYSTEM)
		snprintf(reason, sizeof(reason), "system: %s",
			 p2pctl_reason_name(att->reason));
	else if (other)
		snprintf(reason, sizeof(reason), "system: moved for %s (%s)",
			 other->device, p2pctl_reason_name(other->reason));
	else
		snprintf(reason, sizeof(reason), "system: the buffer is in "
			 "system memory");
	note_path(d, "system", reason);
}

/* ------------------------------------------------------------------ */
/* Moving the data                                                      */

void copy_progress(struct copy *c)
{
	/* Each byte goes in and out: half the work each way. */
	p2pctl_progress_update(&c->progress, (c->read_done + c->written) / 2);
}

/*
 * One window between the buffer and a block device: entries of a block
 * each, as many batches as BLK_DMABUF_BATCH_MAX needs.  @good gets the
 * bytes from the window's start known to have moved.
 */
static int block_io(struct copy *c, const struct endpoint *e, bool write,
		    uint64_t pos, uint64_t len, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	uint64_t off = 0;

	*good = 0;
	while (off < len) {
		struct blk_dmabuf_rw_batch b = { .dmabuf_fd = c->buf.fd };
		uint64_t start = off;
		uint32_t nr = 0;
		int err;

		while (off < len && nr < c->max_ios) {
			uint64_t n = len - off < c->block_size ?
				     len - off : c->block_size;

			c->ios[nr++] = (struct blk_dmabuf_io) {
				.buf_offset = off,
				.dev_offset = e->offset + pos + off,
				.length = (uint32_t)n,
				.flags = write ? BLK_DMABUF_WRITE : 0,
			};
			off += n;
		}
		b.ios = (uintptr_t)c->ios;
		b.nr_ios = nr;
		b.queue_depth = c->queue_depth;
		if (!drmIoctl(e->fd, BLKDMABUFRWBATCH, &b)) {
			d->calls++;
			d->maps += b.maps;
			d->cpu_bytes += b.cpu_bytes;
			c->block_cpu += b.cpu_bytes;
			copy_note_block_path(c, e, b.path, d);
			*good = off;
			if (write)
				c->written += off - start;
			else
				c->read_done += off - start;
			copy_progress(c);
			continue;
		}

		/* EIO: the entries say which failed; the first one is named. */
		err = errno;
		if (err == EIO) {
			uint32_t i;

			for (i = 0; i < nr && !c->ios[i].result; i++)
				*good += c->ios[i].length;
			if (i < nr) {
				err = -c->ios[i].result;
				start = c->ios[i].buf_offset;
			}
		}
		copy_io_fail(c, e, write, err, e->offset + pos + start, NULL);
		return -err;
	}
	return 0;
}

/*
 * pwrite() from or pread() into the buffer's mapping.  A filesystem that
 * pins the user pages of an I/O (9p, FUSE and NFS direct I/O) cannot pin
 * an exporter's PFN mapping (vgem's, a GPU driver's VRAM) and fails with
 * EFAULT: such a chunk goes through a bounce buffer in ordinary memory.
 */
static ssize_t file_rw(struct copy *c, const struct endpoint *e, bool write,
		       void *map, size_t n, off_t at)
{
	ssize_t r;

	r = write ? pwrite(e->fd, map, n, at) : pread(e->fd, map, n, at);
	if (r >= 0 || errno != EFAULT)
		return r;
	if (!c->bounce) {
		c->bounce = malloc(c->block_size);
		if (!c->bounce)
			return -1;
	}
	if (write) {
		memcpy(c->bounce, map, n);
		return pwrite(e->fd, c->bounce, n, at);
	}
	r = pread(e->fd, c->bounce, n, at);
	if (r > 0)
		memcpy(map, c->bounce, r);
	return r;
}

/* A failed I/O at byte @at of @e, and what its errno means (@why). */
void copy_io_fail(struct copy *c, const struct endpoint *e, bool write,
		  int err, uint64_t at, const char *why)
{
	char what[320];

	if (write)
		snprintf(what, sizeof(what), "buffer -> %s %s at byte %llu",
			 e->role, e->path, (unsigned long long)at);
	else
		snprintf(what, sizeof(what), "%s %s -> buffer at byte %llu",
			 e->role, e->path, (unsigned long long)at);
	p2pctl_progress_finish(&c->progress);
	if (why)
		p2pctl_err(CMD, err, "%s (%s)", what, why);
	else
		p2pctl_err(CMD, err, "%s", what);
}

/*
 * Bytes [@from, @len) of a window between the buffer and a regular file,
 * by the CPU, for @reason.  @good gets the bytes from the window's start
 * known to have moved.
 */
static int file_cpu(struct copy *c, const struct endpoint *e, bool write,
		    uint64_t pos, uint64_t from, uint64_t len,
		    const char *reason, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	/* The CPU reads the buffer to write the file, and the other way. */
	struct dma_buf_sync sync = {
		.flags = write ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE,
	};
	uint64_t off = from;
	int err = 0;

	*good = from;
	sync.flags |= DMA_BUF_SYNC_START;
	if (drmIoctl(c->buf.fd, DMA_BUF_IOCTL_SYNC, &sync)) {
		err = errno;
		p2pctl_progress_finish(&c->progress);
		p2pctl_err(CMD, err, "CPU access to the dma-buf");
		return -err;
	}
	while (off < len) {
		size_t n = len - off < c->block_size ? len - off :
			   c->block_size;
		off_t at = (off_t)(e->offset + pos + off);
		ssize_t r;

		r = file_rw(c, e, write, c->buf.map + off, n, at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* A file that shrank since we looked, or is full. */
			err = r < 0 ? errno : write ? ENOSPC : ENODATA;
			break;
		}
		off += r;
		if (write)
			c->written += r;
		else
			c->read_done += r;
		copy_progress(c);
	}
	sync.flags &= ~DMA_BUF_SYNC_START;
	sync.flags |= DMA_BUF_SYNC_END;
	drmIoctl(c->buf.fd, DMA_BUF_IOCTL_SYNC, &sync);

	d->calls++;
	d->cpu_bytes += off - from;
	c->file_cpu += off - from;
	note_path(d, "cpu", reason);
	*good = off;
	if (err) {
		copy_io_fail(c, e, write, err, e->offset + pos + off, NULL);
		return -err;
	}
	return 0;
}

/*
 * Whether FIDMABUFRW's @err means the file cannot go that way (then
 * @e->cpu_reason says why) rather than that the copy failed.
 */
static bool file_kernel_refused(struct endpoint *e, int err)
{
	switch (err) {
	case ENOTTY:
		snprintf(e->cpu_reason, sizeof(e->cpu_reason),
			 "this kernel has no FIDMABUFRW");
		return true;
	case EOPNOTSUPP:
		/* Or it would serve this file through the page cache. */
		if (e->fs_dev[0])
			snprintf(e->cpu_reason, sizeof(e->cpu_reason),
				 "%s on %s does no direct I/O for this file",
				 e->fs_type, e->fs_dev);
		else
			snprintf(e->cpu_reason, sizeof(e->cpu_reason),
				 "%s has no block device", e->fs_type);
		return true;
	case EINVAL:
		/*
		 * The rest was checked here: offsets and length are not
		 * multiples of what the kernel takes as the logical block
		 * size (sysfs did not say, or said otherwise).
		 */
		snprintf(e->cpu_reason, sizeof(e->cpu_reason),
			 "FIDMABUFRW found the range unaligned for %s (EINVAL)",
			 e->fs_dev[0] ? e->fs_dev : e->fs_type);
		return true;
	default:
		return false;
	}
}

/*
 * Bytes [@from, @len) of a window between the buffer and a regular file
 * (@from is a multiple of the logical block size: the io_uring engine did
 * the bytes before it): the filesystem's own direct I/O with FIDMABUFRW,
 * on the same path as a block device's, as long as the kernel takes it;
 * else the CPU through the buffer's mapping.
 *
 * The file offset and length must be multiples of the logical block size
 * of the filesystem's block device.  A read whose end is not reads the
 * length rounded up, which the buffer has room for in all but an exact-fit
 * --via-fd buffer: FIDMABUFRW reads the file's bytes up to the end of that
 * block, zeros past end of file (so a file whose size is not a multiple
 * reads in one call), and the window uses what it asked for.  A write
 * whose end is not aligned writes the aligned part with FIDMABUFRW and the
 * rest, less than a block, with the CPU.  Writing the length rounded up
 * and truncating the file back instead would destroy the bytes a longer
 * file holds past the range, and leave the block's garbage in the file
 * when anything fails before the truncate: the split never touches a byte
 * outside the range.
 */
int copy_file_io(struct copy *c, struct endpoint *e, bool write, uint64_t pos,
		 uint64_t from, uint64_t len, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	uint64_t at = e->offset + pos + from, lbs = e->fs_lbs, up, n;
	char reason[REASON_LEN];
	int err;

	*good = from;
	/* Where sysfs did not say, the kernel's EINVAL will. */
	if (!e->cpu_only && e->fs_dev[0] && at % lbs) {
		e->cpu_only = true;
		snprintf(e->cpu_reason, sizeof(e->cpu_reason), "offset %llu is "
			 "not a multiple of the logical block size of %s (%u)",
			 (unsigned long long)at, e->fs_dev, e->fs_lbs);
	}
	if (e->cpu_only)
		return file_cpu(c, e, write, pos, from, len, e->cpu_reason,
				good);

	/* From here on @n counts bytes from @from. */
	n = len - from;
	up = (n + lbs - 1) / lbs * lbs;
	n = !write && from + up <= c->buf.size ? up : n - n % lbs;
	if (n) {
		struct blk_dmabuf_rw rw = {
			.dmabuf_fd = c->buf.fd,
			.flags = write ? BLK_DMABUF_WRITE : 0,
			.buf_offset = from,
			.dev_offset = at,
			.length = n,
		};

		if (drmIoctl(e->fd, FIDMABUFRW, &rw)) {
			err = errno;
			if (file_kernel_refused(e, err)) {
				e->cpu_only = true;
				return file_cpu(c, e, write, pos, from, len,
						e->cpu_reason, good);
			}
			/* Part of the range may have moved: none is known. */
			copy_io_fail(c, e, write, err, at, NULL);
			return -err;
		}
		if (from + n > len)
			n = len - from;
		d->calls++;
		d->maps += rw.maps;
		d->cpu_bytes += rw.cpu_bytes;
		c->block_cpu += rw.cpu_bytes;
		copy_note_block_path(c, e, rw.path, d);
		*good = from + n;
		if (write)
			c->written += n;
		else
			c->read_done += n;
		copy_progress(c);
		if (from + n == len)
			return 0;
	}
	from += n;
	snprintf(reason, sizeof(reason), "the last %llu bytes, less than a "
		 "logical block of %s (%u)", (unsigned long long)(len - from),
		 e->fs_dev[0] ? e->fs_dev : e->fs_type, e->fs_lbs);
	return file_cpu(c, e, write, pos, from, len, reason, good);
}

/*
 * Whether FIDMABUFRW can move @e at all, asked before any alignment is
 * looked at, so that a file on tmpfs is said to have no block device
 * rather than to be unaligned: a call of length 0, which the kernel fails
 * with EINVAL once it has found a block device with direct I/O under the
 * file and a dma-buf in @c's fd.
 */
static void file_probe(struct copy *c, struct endpoint *e)
{
	struct blk_dmabuf_rw rw = { .dmabuf_fd = c->buf.fd };

	if (e->block || !drmIoctl(e->fd, FIDMABUFRW, &rw) || errno == EINVAL)
		return;
	/* Anything else is for the first real call to report. */
	if (file_kernel_refused(e, errno))
		e->cpu_only = true;
}

void copy_probe_files(struct copy *c)
{
	file_probe(c, &c->src);
	file_probe(c, &c->dst);
}

static int endpoint_io(struct copy *c, struct endpoint *e, bool write,
		       uint64_t pos, uint64_t len, uint64_t *good)
{
	if (e->registered)
		return copy_uring_io(c, e, write, pos, len, good);
	if (e->block)
		return block_io(c, e, write, pos, len, good);
	return copy_file_io(c, e, write, pos, 0, len, good);
}

/*
 * The page cache needs nothing from us: BLKDMABUFRW writes a block
 * device's dirty pages of the range back before it reads or writes, and
 * drops the cached pages a write makes stale, as O_DIRECT does;
 * FIDMABUFRW does the same for a file's (it is the file's direct I/O).
 */
int copy_run(struct copy *c)
{
	uint64_t pos, good;
	double start;
	int ret;

	p2pctl_progress_start(&c->progress, "copy", c->length);
	start = p2pctl_now();
	for (pos = 0; pos < c->length; pos += c->buf.window) {
		uint64_t n = c->length - pos < c->buf.window ?
			     c->length - pos : c->buf.window;

		ret = endpoint_io(c, &c->src, false, pos, n, &good);
		if (ret)
			return ret;
		ret = endpoint_io(c, &c->dst, true, pos, n, &good);
		c->copied = pos + good;
		if (ret)
			return ret;
	}
	/*
	 * Done means on the medium: neither a file's page cache nor a
	 * drive's volatile write cache is.
	 */
	if (fdatasync(c->dst.fd)) {
		ret = errno;
		p2pctl_progress_finish(&c->progress);
		p2pctl_err(CMD, ret, "flush DST %s", c->dst.path);
		c->copied = 0;
		return -ret;
	}
	c->seconds = p2pctl_now() - start;
	p2pctl_progress_finish(&c->progress);
	return 0;
}
