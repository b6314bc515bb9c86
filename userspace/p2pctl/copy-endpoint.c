// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: SRC and DST, opened and checked (block device or regular
 * file, sizes, logical block alignment, ranges inside and apart) before any
 * I/O, so that what fails here has touched nothing; for a regular file, its
 * filesystem and the block device under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/magic.h>

#include "copy.h"

/* What sysfs says of a block device. */
struct sysfs_block {
	char name[64];			/* "nvme1n1", "nvme1n1p2" */
	dev_t disk;			/* the whole disk */
	uint64_t start;			/* bytes, where it starts on the disk */
	uint32_t lbs;			/* the disk's; 0 when not said */
	bool has_pci;
	struct pci_func pci;		/* the function that does its DMA */
};

/*
 * From sysfs: the disk block device @dev is on (itself, or a partition's
 * disk) and where it starts there, its name, the disk's logical block size
 * and the PCI function that does its DMA (the last PCI address in its
 * device path).  False when sysfs has no such block device.
 */
static bool block_sysfs(dev_t dev, struct sysfs_block *b)
{
	char path[PATH_MAX + 32], real[PATH_MAX], line[64], *tok, *save;
	char *slash;
	unsigned int maj, min;
	struct pci_func pci;

	memset(b, 0, sizeof(*b));
	b->disk = dev;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	if (!realpath(path, real))
		return false;
	slash = strrchr(real, '/');
	snprintf(b->name, sizeof(b->name), "%s", slash + 1);

	snprintf(path, sizeof(path), "%s/partition", real);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/start", real);
		if (copy_read_line(path, line, sizeof(line)))
			b->start = strtoull(line, NULL, 10) * 512;
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/dev", real);
		if (copy_read_line(path, line, sizeof(line)) &&
		    sscanf(line, "%u:%u", &maj, &min) == 2)
			b->disk = makedev(maj, min);
	}
	/* Partitions have no queue of their own: the disk's. */
	snprintf(path, sizeof(path), "%s/queue/logical_block_size", real);
	if (copy_read_line(path, line, sizeof(line)))
		b->lbs = (uint32_t)strtoul(line, NULL, 10);

	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (pci_parse_addr(tok, &pci)) {
			b->pci = pci;
			b->has_pci = true;
		}
	}
	return true;
}

/*
 * The mount @fd is on, from the mount table (its id in the fd's fdinfo):
 * its filesystem's type ("ext4", "tmpfs", "9p", "nfs4") and the device
 * number of its superblock, which is what the kernel does direct I/O to.
 * Better than the file's st_dev (overlay's files have their layer's) and
 * f_type (9p's is the host filesystem's).  False when /proc cannot say.
 */
static bool fd_mount(int fd, char *type, size_t len, dev_t *dev)
{
	unsigned int maj, min;
	char *line = NULL, *sep, name[32], mnt_id[16];
	int id = -1, mid;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	if (p2pctl_fdinfo(fd, "mnt_id", mnt_id, sizeof(mnt_id)))
		sscanf(mnt_id, "%d", &id);
	f = id < 0 ? NULL : fopen("/proc/self/mountinfo", "re");
	/* "36 25 98:0 /root /mnt rw,noatime shared:1 - ext4 /dev/sda1 rw" */
	while (f && !found && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%d %*d %u:%u", &mid, &maj, &min) != 3 ||
		    mid != id)
			continue;
		sep = strstr(line, " - ");
		if (sep && sscanf(sep + 3, "%31s", name) == 1) {
			snprintf(type, len, "%s", name);
			*dev = makedev(maj, min);
			found = true;
		}
	}
	if (f)
		fclose(f);
	free(line);
	return found;
}

/* statfs(2) f_type of common filesystems, for when /proc cannot say. */
static const struct {
	unsigned long magic;
	const char *name;
} fs_types[] = {
	{ EXT4_SUPER_MAGIC, "ext4" },	/* ext2 and ext3 too */
	{ XFS_SUPER_MAGIC, "xfs" },
	{ BTRFS_SUPER_MAGIC, "btrfs" },
	{ F2FS_SUPER_MAGIC, "f2fs" },
	{ TMPFS_MAGIC, "tmpfs" },
	{ RAMFS_MAGIC, "ramfs" },
	{ V9FS_MAGIC, "9p" },
	{ OVERLAYFS_SUPER_MAGIC, "overlay" },
	{ NFS_SUPER_MAGIC, "nfs" },
	{ SMB2_SUPER_MAGIC, "smb3" },
	{ CIFS_SUPER_MAGIC, "cifs" },
	{ FUSE_SUPER_MAGIC, "fuse" },
	{ SQUASHFS_MAGIC, "squashfs" },
	{ EROFS_SUPER_MAGIC_V1, "erofs" },
};

static const char *fs_type_of(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return "the filesystem";
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++)
		if ((unsigned long)sfs.f_type == fs_types[i].magic)
			return fs_types[i].name;
	return "the filesystem";
}

/*
 * A regular file's filesystem, and the block device its direct I/O goes
 * to: filesystems on one block device (ext4, xfs) have its number; the
 * others (tmpfs, 9p, NFS, overlay, btrfs) an anonymous one that sysfs does
 * not know.
 */
static void file_fs(struct endpoint *e)
{
	dev_t dev = e->st.st_dev;
	struct sysfs_block b;

	if (!fd_mount(e->fd, e->fs_type, sizeof(e->fs_type), &dev))
		snprintf(e->fs_type, sizeof(e->fs_type), "%s",
			 fs_type_of(e->fd));
	/*
	 * Offsets and lengths a multiple of a page suit every logical block
	 * size there is: what FIDMABUFRW gets when sysfs does not say.
	 */
	e->fs_lbs = PAGE;
	if (!major(dev) || !block_sysfs(dev, &b))
		return;
	snprintf(e->fs_dev, sizeof(e->fs_dev), "%s", b.name);
	if (b.lbs)
		e->fs_lbs = b.lbs;
	e->has_pci = b.has_pci;
	e->pci = b.pci;
}

int copy_endpoint_open(struct endpoint *e, bool write)
{
	struct sysfs_block b;
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
		file_fs(e);
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
	e->disk = e->st.st_rdev;
	snprintf(e->name, sizeof(e->name), "%s", e->path);
	if (block_sysfs(e->st.st_rdev, &b)) {
		e->disk = b.disk;
		e->disk_start = b.start;
		snprintf(e->name, sizeof(e->name), "%s", b.name);
		e->has_pci = b.has_pci;
		e->pci = b.pci;
	}
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
