// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy with the io_uring engine: the buffer registered once for
 * each endpoint that does its I/O in the kernel (IORING_REGISTER_DMABUF:
 * SRC in slot 0, DST in slot 1), and each window as READ_FIXED or
 * WRITE_FIXED requests of a block each, queue-depth many in flight, on an
 * O_DIRECT descriptor of the endpoint.  Where io_uring cannot be had and
 * no engine was asked for, the ioctls do the copy and the report says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"

const char *copy_engine_name(enum engine engine)
{
	switch (engine) {
	case ENGINE_IO_URING:
		return "io_uring";
	case ENGINE_IOCTL:
		return "ioctl";
	case ENGINE_NONE:
		return "none";
	default:
		return "auto";
	}
}

/* c->engine_reason: why not io_uring, "WHAT: strerror (ENAME)". */
static void __attribute__((format(printf, 3, 4)))
no_uring(struct copy *c, int err, const char *fmt, ...)
{
	char why[128];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->engine_reason, sizeof(c->engine_reason), fmt, ap);
	va_end(ap);
	n = strlen(c->engine_reason);
	snprintf(c->engine_reason + n, sizeof(c->engine_reason) - n, ": %s",
		 p2pctl_strerror(err, why, sizeof(why)));
}

/* Whether @e reads or writes in the kernel (else the CPU copies it). */
static bool kernel_io(const struct endpoint *e)
{
	return e->block || !e->cpu_only;
}

/* The mappings the exporter made so far, for p2pctl's buffers. */
static uint64_t exporter_maps(struct copy *c)
{
	struct dma_buf_p2p_query q = { 0 };

	if (!c->buf.ours || copy_buffer_query(c, &q))
		return 0;
	return q.maps_bus + q.maps_host_bridge + q.maps_system;
}

/*
 * The buffer into slot @slot for @e, on an O_DIRECT descriptor of its own.
 * A failure sets c->engine_reason and returns -errno.
 */
static int endpoint_register(struct copy *c, struct endpoint *e,
			     uint32_t slot, bool write)
{
	struct direction *d = write ? &c->wr : &c->rd;
	const char *why;
	uint64_t maps;
	int ret;

	e->dio_fd = open(e->path, (write ? O_RDWR : O_RDONLY) | O_DIRECT |
			 O_CLOEXEC);
	if (e->dio_fd < 0) {
		ret = -errno;
		no_uring(c, -ret, "%s %s cannot be opened with O_DIRECT",
			 e->role, e->path);
		return ret;
	}
	maps = exporter_maps(c);
	ret = uring_dmabuf_register(&c->ring, slot, c->buf.fd, e->fd, 0,
				    &e->uring_path);
	if (ret) {
		/* The buffer is a dma-buf: its fdinfo named the exporter. */
		why = ret == -EINVAL ? "this kernel has no IORING_REGISTER_DMABUF" :
		      uring_dmabuf_register_why(-ret);
		if (why)
			no_uring(c, -ret, "registering the buffer for %s %s "
				 "(%s)", e->role, e->path, why);
		else
			no_uring(c, -ret, "registering the buffer for %s %s",
				 e->role, e->path);
		close(e->dio_fd);
		e->dio_fd = -1;
		return ret;
	}
	/* Registration maps the buffer for the device (or bounces). */
	d->maps += exporter_maps(c) - maps;
	d->maps_unknown = !c->buf.ours;
	e->slot = slot;
	e->registered = true;
	return 0;
}

static void endpoint_unregister(struct endpoint *e)
{
	if (e->dio_fd >= 0)
		close(e->dio_fd);
	e->dio_fd = -1;
	e->registered = false;
}

void copy_engine_teardown(struct copy *c)
{
	endpoint_unregister(&c->src);
	endpoint_unregister(&c->dst);
	/* Closing the ring lets go of both registrations. */
	uring_dmabuf_exit(&c->ring);
	free(c->uios);
	c->uios = NULL;
}

/* The ring and both registrations, or -errno with c->engine_reason set. */
static int uring_setup(struct copy *c)
{
	uint64_t n = (c->buf.window + c->block_size - 1) / c->block_size;
	int ret;

	ret = uring_dmabuf_init(&c->ring, c->queue_depth, 2);
	if (ret) {
		no_uring(c, -ret, "io_uring is not available");
		return ret;
	}
	if (kernel_io(&c->src)) {
		ret = endpoint_register(c, &c->src, 0, false);
		if (ret)
			return ret;
	}
	if (kernel_io(&c->dst)) {
		ret = endpoint_register(c, &c->dst, 1, true);
		if (ret)
			return ret;
	}
	c->uios = calloc(n, sizeof(*c->uios));
	if (!c->uios) {
		no_uring(c, ENOMEM, "%llu requests", (unsigned long long)n);
		return -ENOMEM;
	}
	c->max_uios = (uint32_t)n;
	return 0;
}

int copy_engine_setup(struct copy *c)
{
	int ret;

	if (!kernel_io(&c->src) && !kernel_io(&c->dst)) {
		/* The CPU copies both files: no engine has anything to do. */
		c->engine = ENGINE_NONE;
		snprintf(c->engine_reason, sizeof(c->engine_reason),
			 "the CPU copies both SRC and DST");
		return 0;
	}
	if (c->engine_asked == ENGINE_IOCTL) {
		c->engine = ENGINE_IOCTL;
		snprintf(c->engine_reason, sizeof(c->engine_reason),
			 "--engine ioctl");
		return 0;
	}
	ret = uring_setup(c);
	if (!ret) {
		c->engine = ENGINE_IO_URING;
		c->engine_reason[0] = '\0';
		return 0;
	}
	copy_engine_teardown(c);
	c->rd.maps = c->wr.maps = 0;
	c->rd.maps_unknown = c->wr.maps_unknown = false;
	if (c->engine_asked == ENGINE_IO_URING) {
		p2pctl_err(CMD, 0, "--engine io_uring: %s", c->engine_reason);
		return P2PCTL_EXIT_ERROR;
	}
	c->engine = ENGINE_IOCTL;
	return 0;
}

struct window {
	struct copy *c;
	struct direction *d;
	bool write;
};

static void request_done(const struct uring_dmabuf_io *io, void *priv)
{
	struct window *w = priv;

	w->d->requests++;
	if (io->res != (int32_t)io->len)
		return;
	if (w->write)
		w->c->written += io->len;
	else
		w->c->read_done += io->len;
	copy_progress(w->c);
}

/*
 * One window of registered endpoint @e.  A file's whole blocks go as
 * requests; copy_file_io() does the rest, less than a block, as the ioctl
 * engine does it (a read with FIDMABUFRW, zeros past end of file; a write
 * with the CPU).  @good gets the bytes from the window's start known to
 * have moved: requests complete out of order, so up to the first that did
 * not move all its bytes.
 */
int copy_uring_io(struct copy *c, struct endpoint *e, bool write, uint64_t pos,
		  uint64_t len, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	struct window w = { .c = c, .d = d, .write = write };
	uint64_t lbs = e->block ? e->lbs : e->fs_lbs;
	uint64_t at = e->offset + pos, n, off, maps;
	uint32_t nr = 0, i;
	int ret, err;

	*good = 0;
	/* A file offset the device cannot take goes the ioctl engine's way. */
	if (!e->block && (e->cpu_only || at % lbs))
		return copy_file_io(c, e, write, pos, 0, len, good);
	n = e->block ? len : len - len % lbs;
	for (off = 0; off < n; off += c->block_size)
		c->uios[nr++] = (struct uring_dmabuf_io) {
			.slot = e->slot,
			.fd = e->dio_fd,
			.write = write,
			.buf_offset = off,
			.file_offset = at + off,
			.len = (uint32_t)(n - off < c->block_size ?
					  n - off : c->block_size),
		};

	maps = exporter_maps(c);
	ret = uring_dmabuf_run(&c->ring, c->uios, nr, request_done, &w);
	d->maps += exporter_maps(c) - maps;
	for (i = 0; i < nr && c->uios[i].res == (int32_t)c->uios[i].len; i++)
		*good += c->uios[i].len;
	if (*good) {
		copy_note_block_path(c, e, e->uring_path, d);
		if (e->uring_path == BLK_DMABUF_PATH_BOUNCE) {
			/* The block layer's bounce copies every byte. */
			d->cpu_bytes += *good;
			c->block_cpu += *good;
		}
	}
	if (ret) {
		/* The first request in order that failed, else the ring. */
		err = -ret;
		if (i < nr && c->uios[i].res < 0)
			err = -c->uios[i].res;
		else if (i < nr && c->uios[i].res > 0)
			err = EIO;
		copy_io_fail(c, e, write, err, at + *good,
			     uring_dmabuf_io_why(err));
		return -err;
	}
	if (n == len)
		return 0;
	return copy_file_io(c, e, write, pos, n, len, good);
}
