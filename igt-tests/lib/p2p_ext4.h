/* SPDX-License-Identifier: MIT */
/*
 * The test machine's ext4 filesystem: namespace 2 of NVMe peer0, made by
 * scripts/mkimages from seeded files that stay in the run directory as
 * ground truth.  scripts/vm names it in topology.env as
 *
 *   P2P_EXT4=SERIAL:NSID:IMAGE:FILES
 *   e.g. peer0:2:RUN/nvme-ext4.img:RUN/ext4-files
 *
 * (guest-init exports it).  The run directory is shared into the guest at
 * the same path, so both the image and the ground-truth files are the
 * host's.  QEMU writes the image through the host's page cache: once the
 * guest has unmounted the filesystem, the image holds everything written,
 * and p2p_ext4_image_dup() reads a file out of it as the host sees it
 * (debugfs, from the host's e2fsprogs).
 */
#ifndef P2P_EXT4_H
#define P2P_EXT4_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct p2p_ext4 {
	char serial[32];	/* the NVMe controller's, "peer0" */
	uint32_t nsid;		/* its namespace holding the filesystem */
	char image[PATH_MAX];	/* the host's image of that namespace */
	char files[PATH_MAX];	/* the ground-truth files, as in the image */
	char dev[48];		/* "/dev/nvme1n2" */
	uint32_t lbs;		/* the namespace's logical block size */
	char mnt[64];		/* mount point under /tmp; "" when unmounted */
};

/*
 * @fs from P2P_EXT4 and sysfs: the namespace's device and block size.
 * Skips when P2P_EXT4 is not set (not in the test machine); fails when
 * it is malformed or the namespace is missing.
 */
void p2p_ext4_load(struct p2p_ext4 *fs);

/* Mounts @fs (ext4, read-write) on a new directory under /tmp. */
void p2p_ext4_mount(struct p2p_ext4 *fs);
/*
 * Unmounts @fs and removes its mount point; nothing when it is not
 * mounted.  No asserts: exit handlers call it too.  Returns 0 or -errno.
 */
int p2p_ext4_umount(struct p2p_ext4 *fs);
/* Unmounts @fs when the test process exits, if it still is mounted. */
void p2p_ext4_umount_at_exit(struct p2p_ext4 *fs);

/* @name (relative to the filesystem's root) in the mounted @fs. */
void p2p_ext4_path(const struct p2p_ext4 *fs, const char *name, char *buf,
		   size_t len);
/* open(2) of @name in the mounted @fs, close-on-exec; fails the test. */
int p2p_ext4_open(const struct p2p_ext4 *fs, const char *name, int flags,
		  mode_t mode);

/* The path of ground-truth file @name: @fs->files/@name. */
void p2p_ext4_truth_path(const struct p2p_ext4 *fs, const char *name,
			 char *buf, size_t len);
/* The size of ground-truth file @name. */
uint64_t p2p_ext4_truth_size(const struct p2p_ext4 *fs, const char *name);
/*
 * Ground-truth file @name, whole, in a new p2p_xalloc() buffer of
 * @alloc bytes at least (the rest zeros, as a read past its end gives);
 * *@size gets the file's size.
 */
uint8_t *p2p_ext4_truth_dup(const struct p2p_ext4 *fs, const char *name,
			    size_t alloc, uint64_t *size);

/*
 * File @name of @fs as the host's image holds it, extracted with debugfs
 * ("dump -p /NAME OUT" on the image) in a new p2p_xalloc() buffer; *@size
 * gets its size.  NULL when the image has no such file.  Only while @fs is
 * unmounted: a mounted filesystem's image is not consistent.
 */
uint8_t *p2p_ext4_image_dup(const struct p2p_ext4 *fs, const char *name,
			    uint64_t *size);
/*
 * The same for @n files in one debugfs run (it takes seconds to start
 * over 9p): @bufs[i] and @sizes[i] for @names[i], @bufs[i] NULL when the
 * image has no such file.
 */
void p2p_ext4_image_dup_n(const struct p2p_ext4 *fs,
			  const char *const names[], size_t n,
			  uint8_t *bufs[], uint64_t sizes[]);

#endif /* P2P_EXT4_H */
