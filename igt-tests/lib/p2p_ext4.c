// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fs.h>

#include "igt.h"
#include "p2p_bytes.h"
#include "p2p_ext4.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

/* The host's debugfs: the guest's root is the host's. */
static const char *const debugfs_paths[] = {
	"/usr/sbin/debugfs", "/sbin/debugfs",
};

/* The next field of "A:B:C:D" at *@s, into @buf; false when none. */
static bool next_field(const char **s, char *buf, size_t len, bool last)
{
	const char *end = last ? *s + strlen(*s) : strchr(*s, ':');
	size_t n;

	if (!end || end == *s)
		return false;
	n = end - *s;
	if (n >= len)
		return false;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s = *end ? end + 1 : end;
	return true;
}

void p2p_ext4_load(struct p2p_ext4 *fs)
{
	const char *v = getenv("P2P_EXT4"), *s = v;
	char nsid[16], name[32], *end;
	struct stat st;
	int fd, lbs;

	memset(fs, 0, sizeof(*fs));
	igt_require_f(v, "no ext4 filesystem in this machine (P2P_EXT4 is "
		      "not set)\n");
	/* The paths are absolute and hold no ':' (scripts/vm's run dir). */
	igt_assert_f(next_field(&s, fs->serial, sizeof(fs->serial), false) &&
		     next_field(&s, nsid, sizeof(nsid), false) &&
		     next_field(&s, fs->image, sizeof(fs->image), false) &&
		     next_field(&s, fs->files, sizeof(fs->files), true),
		     "P2P_EXT4='%s' is not SERIAL:NSID:IMAGE:FILES\n", v);
	fs->nsid = strtoul(nsid, &end, 10);
	igt_assert_f(*end == '\0' && fs->nsid, "P2P_EXT4: bad nsid '%s'\n",
		     nsid);
	igt_assert_f(!stat(fs->image, &st) && S_ISREG(st.st_mode),
		     "P2P_EXT4: no image at %s\n", fs->image);
	igt_assert_f(!stat(fs->files, &st) && S_ISDIR(st.st_mode),
		     "P2P_EXT4: no ground-truth directory at %s\n", fs->files);

	igt_assert_f(p2p_nvme_ns_by_serial(fs->serial, fs->nsid, name,
					   sizeof(name)),
		     "no namespace %u on the NVMe controller with serial %s\n",
		     fs->nsid, fs->serial);
	snprintf(fs->dev, sizeof(fs->dev), "/dev/%s", name);
	fd = open(fs->dev, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", fs->dev);
	igt_assert_eq(ioctl(fd, BLKSSZGET, &lbs), 0);
	close(fd);
	igt_assert(lbs >= 512 && lbs <= 4096);
	fs->lbs = lbs;
	igt_debug("ext4: %s namespace %u is %s (%u-byte blocks), image %s, "
		  "files %s\n", fs->serial, fs->nsid, fs->dev, fs->lbs,
		  fs->image, fs->files);
}

void p2p_ext4_mount(struct p2p_ext4 *fs)
{
	igt_assert_f(!fs->mnt[0], "%s is mounted already on %s\n", fs->dev,
		     fs->mnt);
	snprintf(fs->mnt, sizeof(fs->mnt), "/tmp/p2p-ext4.XXXXXX");
	igt_assert_f(mkdtemp(fs->mnt), "mkdtemp: %m\n");
	if (mount(fs->dev, fs->mnt, "ext4", MS_NOATIME, NULL)) {
		int err = errno;

		rmdir(fs->mnt);
		fs->mnt[0] = '\0';
		igt_assert_f(0, "cannot mount %s (ext4): %s\n", fs->dev,
			     strerror(err));
	}
	igt_debug("ext4: %s mounted on %s\n", fs->dev, fs->mnt);
}

int p2p_ext4_umount(struct p2p_ext4 *fs)
{
	if (!fs->mnt[0])
		return 0;
	if (umount(fs->mnt))
		return -errno;
	rmdir(fs->mnt);
	fs->mnt[0] = '\0';
	return 0;
}

static struct p2p_ext4 *mounted_at_exit;

/*
 * Exit handlers run before the process's fds are closed, so a plain
 * umount can fail with EBUSY on a file the test still holds: detach
 * instead, and the filesystem is unmounted when the last fd goes.
 */
static void umount_on_exit(int sig)
{
	(void)sig;
	if (mounted_at_exit && mounted_at_exit->mnt[0])
		umount2(mounted_at_exit->mnt, MNT_DETACH);
}

void p2p_ext4_umount_at_exit(struct p2p_ext4 *fs)
{
	if (!mounted_at_exit)
		igt_install_exit_handler(umount_on_exit);
	mounted_at_exit = fs;
}

void p2p_ext4_path(const struct p2p_ext4 *fs, const char *name, char *buf,
		   size_t len)
{
	igt_assert_f(fs->mnt[0], "%s is not mounted\n", fs->dev);
	igt_assert((size_t)snprintf(buf, len, "%s/%s", fs->mnt, name) < len);
}

int p2p_ext4_open(const struct p2p_ext4 *fs, const char *name, int flags,
		  mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	p2p_ext4_path(fs, name, path, sizeof(path));
	fd = open(path, flags | O_CLOEXEC, mode);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	return fd;
}

/* All of file @path in a new p2p_xalloc() buffer of at least @alloc. */
static uint8_t *file_dup(const char *path, size_t alloc, uint64_t *size)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	igt_assert_eq(fstat(fd, &st), 0);
	*size = st.st_size;
	if (alloc < *size)
		alloc = *size;
	buf = p2p_xalloc(alloc ? alloc : 1);
	memset(buf, 0, alloc);
	if (*size)
		p2p_pread_all(fd, buf, *size, 0, path);
	close(fd);
	return buf;
}

void p2p_ext4_truth_path(const struct p2p_ext4 *fs, const char *name,
			 char *buf, size_t len)
{
	igt_assert((size_t)snprintf(buf, len, "%s/%s", fs->files, name) < len);
}

uint64_t p2p_ext4_truth_size(const struct p2p_ext4 *fs, const char *name)
{
	char path[PATH_MAX + 256];
	struct stat st;

	p2p_ext4_truth_path(fs, name, path, sizeof(path));
	igt_assert_f(!stat(path, &st), "%s: %m\n", path);
	return st.st_size;
}

uint8_t *p2p_ext4_truth_dup(const struct p2p_ext4 *fs, const char *name,
			    size_t alloc, uint64_t *size)
{
	char path[PATH_MAX + 256];

	p2p_ext4_truth_path(fs, name, path, sizeof(path));
	return file_dup(path, alloc, size);
}

static const char *debugfs_path(void)
{
	for (size_t i = 0; i < sizeof(debugfs_paths) / sizeof(*debugfs_paths);
	     i++)
		if (!access(debugfs_paths[i], X_OK))
			return debugfs_paths[i];
	igt_require_f(0, "no debugfs (e2fsprogs) on the host\n");
	return NULL;
}

void p2p_ext4_image_dup_n(const struct p2p_ext4 *fs,
			  const char *const names[], size_t n,
			  uint8_t *bufs[], uint64_t sizes[])
{
	char dir[] = "/tmp/p2p-ext4-dump.XXXXXX", path[128], log[512];
	char *argv[] = { (char *)debugfs_path(), "-f", path, (char *)fs->image,
			 NULL };
	struct p2p_spawn how = P2P_SPAWN_DEFAULT;
	struct p2p_proc p;
	int status, fd;
	ssize_t len;
	FILE *cmds;

	igt_assert_f(!fs->mnt[0], "reading %s while it is mounted\n",
		     fs->image);
	igt_assert_f(mkdtemp(dir), "mkdtemp: %m\n");
	/* One run for all: debugfs takes seconds to start over 9p. */
	snprintf(path, sizeof(path), "%s/cmds", dir);
	cmds = fopen(path, "we");
	igt_assert_f(cmds, "%s: %m\n", path);
	for (size_t i = 0; i < n; i++)
		fprintf(cmds, "dump -p /%s %s/%zu\n", names[i], dir, i);
	igt_assert_eq(fclose(cmds), 0);

	/*
	 * Output to a file, and no time limit but the subtest's: a large
	 * file takes long over 9p, and debugfs prints nothing meanwhile.
	 */
	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	igt_assert_f(fd >= 0, "%s: %m\n", path);
	snprintf(path, sizeof(path), "%s/cmds", dir);
	how.stdout_fd = fd;
	how.stderr_fd = fd;
	p2p_spawn(&p, argv, &how);
	while (waitpid(p.pid, &status, 0) < 0)
		igt_assert_eq(errno, EINTR);
	len = pread(fd, log, sizeof(log) - 1, 0);
	log[len > 0 ? len : 0] = '\0';
	close(fd);
	igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
		     "%s -f %s %s: status %#x: %s\n", argv[0], path, fs->image,
		     status, log);

	for (size_t i = 0; i < n; i++) {
		/* debugfs says "File not found" and still exits 0. */
		snprintf(path, sizeof(path), "%s/%zu", dir, i);
		if (access(path, F_OK)) {
			igt_debug("no /%s in %s: %s\n", names[i], fs->image,
				  log);
			bufs[i] = NULL;
			sizes[i] = 0;
			continue;
		}
		bufs[i] = file_dup(path, 0, &sizes[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/cmds", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", dir);
	unlink(path);
	rmdir(dir);
}

uint8_t *p2p_ext4_image_dup(const struct p2p_ext4 *fs, const char *name,
			    uint64_t *size)
{
	uint8_t *buf;

	p2p_ext4_image_dup_n(fs, &name, 1, &buf, size);
	return buf;
}
