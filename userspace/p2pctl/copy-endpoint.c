// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: SRC and DST, opened and checked (block device or regular
 * file, sizes, logical block alignment, ranges inside and apart) before any
 * I/O, so that what fails here has touched nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "copy.h"

/*
 * From sysfs: the disk a block device is on (itself, or a partition's
 * disk) and where it starts there, its name, and the PCI function that
 * does its DMA (the last PCI address in its device path).
 */
static void block_sysfs(struct endpoint *e)
{
	char path[PATH_MAX + 16], real[PATH_MAX], line[64], *tok, *save;
	char *slash;
	unsigned int maj, min;
	struct pci_func pci;

	e->disk = e->st.st_rdev;
	e->disk_start = 0;
	snprintf(e->name, sizeof(e->name), "%s", e->path);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u",
		 major(e->st.st_rdev), minor(e->st.st_rdev));
	if (!realpath(path, real))
		return;
	slash = strrchr(real, '/');
	snprintf(e->name, sizeof(e->name), "%s", slash + 1);

	snprintf(path, sizeof(path), "%s/partition", real);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/start", real);
		if (copy_read_line(path, line, sizeof(line)))
			e->disk_start = strtoull(line, NULL, 10) * 512;
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/dev", real);
		if (copy_read_line(path, line, sizeof(line)) &&
		    sscanf(line, "%u:%u", &maj, &min) == 2)
			e->disk = makedev(maj, min);
	}

	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (pci_parse_addr(tok, &pci)) {
			e->pci = pci;
			e->has_pci = true;
		}
	}
}

int copy_endpoint_open(struct endpoint *e, bool write)
{
	int lbs, err;

	e->fd = open(e->path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (e->fd < 0) {
		err = errno;
		p2pctl_err(CMD, err, "open %s %s%s", e->role, e->path,
			   write ? " for writing" : "");
		return -err;
	}
	if (fstat(e->fd, &e->st)) {
		err = errno;
		p2pctl_err(CMD, err, "stat %s %s", e->role, e->path);
		return -err;
	}
	if (S_ISREG(e->st.st_mode)) {
		e->size = e->st.st_size;
		e->lbs = 1;
		snprintf(e->name, sizeof(e->name), "%s", e->path);
		return 0;
	}
	if (!S_ISBLK(e->st.st_mode)) {
		p2pctl_err(CMD, ENOTBLK, "%s %s is neither a block device nor "
			   "a regular file", e->role, e->path);
		return -ENOTBLK;
	}
	e->block = true;
	if (ioctl(e->fd, BLKGETSIZE64, &e->size) ||
	    ioctl(e->fd, BLKSSZGET, &lbs)) {
		err = errno;
		p2pctl_err(CMD, err, "size of %s %s", e->role, e->path);
		return -err;
	}
	e->lbs = (uint32_t)lbs;
	block_sysfs(e);
	return 0;
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

static int check_aligned(const struct copy *c, const struct endpoint *e,
			 const char *opt)
{
	const struct {
		const char *what;
		uint64_t value;
	} sizes[] = {
		{ opt, e->offset },
		{ "length", c->length },
		{ "block size", c->block_size },
	};

	if (!e->block)
		return 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i].value % e->lbs) {
			p2pctl_err(CMD, EINVAL, "%s %llu is not a multiple of "
				   "the logical block size of %s %s (%u)",
				   sizes[i].what,
				   (unsigned long long)sizes[i].value, e->role,
				   e->path, e->lbs);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_inside(const struct copy *c, const struct endpoint *e)
{
	uint64_t end;
	char sz[16];

	if (add_overflows(e->offset, c->length, &end) ||
	    end > (uint64_t)INT64_MAX) {
		p2pctl_err(CMD, ERANGE, "offset %llu + length %llu of %s %s is "
			   "too large", (unsigned long long)e->offset,
			   (unsigned long long)c->length, e->role, e->path);
		return -ERANGE;
	}
	/* A regular file DST grows; nothing else does. */
	if ((e->block || e == &c->src) && end > e->size) {
		p2pctl_err(CMD, ERANGE, "range [%llu, %llu) reaches past the "
			   "end of %s %s (%llu bytes, %s)",
			   (unsigned long long)e->offset,
			   (unsigned long long)end, e->role, e->path,
			   (unsigned long long)e->size,
			   p2pctl_fmt_size(e->size, sz, sizeof(sz)));
		return -ERANGE;
	}
	return 0;
}

/* Both on one disk (or one file): where each range starts on it. */
static bool same_storage(const struct endpoint *a, const struct endpoint *b,
			 uint64_t *abase, uint64_t *bbase)
{
	if (a->block && b->block && a->disk == b->disk) {
		*abase = a->disk_start;
		*bbase = b->disk_start;
		return true;
	}
	if (!a->block && !b->block && a->st.st_dev == b->st.st_dev &&
	    a->st.st_ino == b->st.st_ino) {
		*abase = 0;
		*bbase = 0;
		return true;
	}
	return false;
}

/* All before any I/O: what fails here has touched nothing. */
int copy_check_ranges(struct copy *c)
{
	struct endpoint *s = &c->src, *d = &c->dst;
	uint64_t sb, db, s0, d0;
	char sz[16];

	if (!c->has_length) {
		if (s->offset >= s->size) {
			p2pctl_err(CMD, ERANGE, "offset %llu is at or past the "
				   "end of SRC %s (%llu bytes, %s)",
				   (unsigned long long)s->offset, s->path,
				   (unsigned long long)s->size,
				   p2pctl_fmt_size(s->size, sz, sizeof(sz)));
			return -ERANGE;
		}
		c->length = s->size - s->offset;
	}
	if (check_aligned(c, s, "offset") || check_aligned(c, d, "dst-offset"))
		return -EINVAL;
	if (check_inside(c, s) || check_inside(c, d))
		return -ERANGE;

	if (same_storage(s, d, &sb, &db)) {
		s0 = sb + s->offset;
		d0 = db + d->offset;
		if (s0 < d0 + c->length && d0 < s0 + c->length) {
			p2pctl_err(CMD, EINVAL, "SRC %s [%llu, %llu) and DST %s "
				   "[%llu, %llu) overlap on %s", s->path,
				   (unsigned long long)s->offset,
				   (unsigned long long)(s->offset + c->length),
				   d->path, (unsigned long long)d->offset,
				   (unsigned long long)(d->offset + c->length),
				   s->block ? s->name : "the same file");
			return -EINVAL;
		}
	}
	return 0;
}
