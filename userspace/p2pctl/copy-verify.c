// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy --verify: SRC and DST ranges read back (O_DIRECT where
 * possible, so the page cache cannot hide what is on the medium) and
 * compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"

/* A fresh look at @e's data: O_DIRECT where it works, else buffered. */
struct reader {
	int direct;
	int plain;
};

static int reader_open(const struct endpoint *e, struct reader *r)
{
	char path[64];
	int err;

	/* The same file, not whatever the path names now. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->fd);
	r->direct = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	r->plain = open(path, O_RDONLY | O_CLOEXEC);
	if (r->plain < 0) {
		err = errno;
		p2pctl_err(CMD, err, "verify: open %s %s", e->role, e->path);
		if (r->direct >= 0)
			close(r->direct);
		return -err;
	}
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->direct >= 0)
		close(r->direct);
	close(r->plain);
}

/* Up to @len bytes at @off; fewer only at the end of the file. */
static ssize_t reader_read(const struct endpoint *e, struct reader *r,
			   uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		int fd = r->direct >= 0 ? r->direct : r->plain;
		ssize_t n = pread(fd, buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && fd == r->direct) {
			/* Unaligned for O_DIRECT (files): go buffered. */
			close(r->direct);
			r->direct = -1;
			continue;
		}
		if (n < 0) {
			int err = errno;

			p2pctl_err(CMD, err, "verify: read %s %s at byte %llu",
				   e->role, e->path,
				   (unsigned long long)(off + done));
			return -err;
		}
		if (!n)
			break;
		done += n;
	}
	return (ssize_t)done;
}

int copy_verify(struct copy *c)
{
	struct reader rs, rd;
	uint8_t *a, *b;
	uint64_t pos;
	int ret;

	a = aligned_alloc(PAGE, VERIFY_CHUNK);
	b = aligned_alloc(PAGE, VERIFY_CHUNK);
	if (!a || !b) {
		free(a);
		free(b);
		p2pctl_err(CMD, ENOMEM, "verify");
		return -ENOMEM;
	}
	ret = reader_open(&c->src, &rs);
	if (ret)
		goto out_free;
	ret = reader_open(&c->dst, &rd);
	if (ret)
		goto out_close_src;

	c->verified = true;
	c->match = true;
	for (pos = 0; pos < c->length && c->match; pos += VERIFY_CHUNK) {
		size_t n = c->length - pos < VERIFY_CHUNK ? c->length - pos :
			   VERIFY_CHUNK;
		ssize_t na, nb;

		na = reader_read(&c->src, &rs, a, n, c->src.offset + pos);
		nb = na < 0 ? 0 : reader_read(&c->dst, &rd, b, n,
					      c->dst.offset + pos);
		if (na < 0 || nb < 0) {
			c->verified = false;
			ret = (int)(na < 0 ? na : nb);
			break;
		}
		if ((size_t)na == n && (size_t)nb == n && !memcmp(a, b, n))
			continue;
		/* The first difference, or where one of them ended. */
		for (size_t i = 0; i < n; i++) {
			if (i >= (size_t)na || i >= (size_t)nb ||
			    a[i] != b[i]) {
				c->match = false;
				c->mismatch = pos + i;
				break;
			}
		}
	}

	reader_close(&rd);
out_close_src:
	reader_close(&rs);
out_free:
	free(b);
	free(a);
	return ret;
}
