// SPDX-License-Identifier: MIT
/*
 * p2pctl copy against the ground truth: NVMe to NVMe through a VRAM BAR
 * buffer, a vgem GEM buffer, a udmabuf and a system heap buffer; virtio-blk
 * through the bounce path; files on ext4 through FIDMABUFRW, the same path
 * as the disk under it; files on tmpfs and 9p through the CPU.  Every copy
 * that writes a disk is checked on the disk's image (read by the host's
 * file, as p2p_blk_io does; files on ext4 read out of the filesystem's
 * image with debugfs), and its --json report against what the topology
 * says: the path each direction took, why, and the bytes the CPU copied.
 * Then every error with its exit status and message, a mismatch that
 * --verify must catch, and the progress bar's rules.
 *
 * Disk regions, as igt-tests/p2p_blk_io.c lays them out (the images are
 * shared with it; tests never run at the same time):
 *
 *   NVMe [0, 64 MiB)      read region: the sources
 *   NVMe [96, 112 MiB)    write region: each test's target slice on cmb0,
 *                         far0 or peer0, read from the image before the
 *                         copy and written back (and checked) after it,
 *                         also when the test fails (an exit handler)
 *   vblk [0, 32 MiB)      read region
 *   vblk [48, 64 MiB)     write region of virtio-blk-bounce, restored
 *   ext4 (peer0's namespace 2, p2p_ext4.h): its seeded files are sources;
 *                         the tests write files of their own, removed
 *                         after the image is checked
 *
 * Copies are checked to change their slice: the sources are other
 * regions of other disks, which the seeded images make differ.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-heap.h>
#include <linux/fs.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_ext4.h"
#include "p2p_slice.h"
#include "p2p_json.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl copy moves the right bytes between NVMe, "
		     "virtio-blk and files through every kind of dma-buf, "
		     "reports the path and the CPU's share truthfully, and "
		     "fails cleanly.");

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)

#define WRITE_SLICE	(96 * MiB)
#define VBLK_WRITE	(48 * MiB)
/* Why p2pctl has the CPU copy a file, on a kernel without FIDMABUFRW. */
#define NO_FIDMABUFRW	"this kernel has no FIDMABUFRW"

#define SRC_FILE	"/tmp/p2pctl-copy-src"
#define DST_FILE	"/tmp/p2pctl-copy-dst"
#define MNT_DIR		"/tmp/p2pctl-copy-mnt"

enum { CMB, PEER, FAR };

struct disk {
	char dev[48];		/* /dev/nvme0n1 */
	char name[32];		/* nvme0n1 */
	const char *image;
	const struct p2p_pci *pci;	/* NULL for virtio-blk */
};

struct env {
	struct p2p_machine m;
	struct disk nvme[3];
	struct disk vblk;
};

/* ------------------------------------------------------------------ */
/* Running p2pctl                                                       */

/* All of file @path, NUL-terminated, as a run's output. */
static void slurp(const char *path, char **buf, size_t *len)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	igt_assert_eq(fstat(fd, &st), 0);
	*len = st.st_size;
	*buf = malloc(*len + 1);
	igt_assert(*buf);
	igt_assert_eq(read(fd, *buf, *len), (ssize_t)*len);
	(*buf)[*len] = '\0';
	close(fd);
}

/* p2pctl ARGS, split at spaces; stderr is a pipe, never a terminal. */
#define run(r, ...) p2pctl_runf(r, NULL, __VA_ARGS__)
/*
 * p2pctl copy ARGS with the ioctl engine: for the checks of its calls (one
 * BLKDMABUFRWBATCH or FIDMABUFRW per window) and of the order in which it
 * maps the buffer (for SRC's device, then DST's, window after window).
 */
#define copy_ioctl(r, fmt, ...) \
	p2pctl_runf(r, NULL, "copy --engine ioctl " fmt, __VA_ARGS__)

/* A failure: status @status, exactly @msg (a whole line) on stderr, no stdout. */
static void expect_fail(const struct p2p_result *r, int status, const char *msg)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s\n", msg);
	igt_assert_f(r->status == status, "exit status %d, expected %d; "
		     "stderr: %s\n", r->status, status, r->err);
	igt_assert_f(strstr(r->err, line), "expected on stderr:\n%s"
		     "got:\n%s", line, r->err);
	igt_assert_f(!r->out[0], "stdout on failure: %s\n", r->out);
}

static void expect_ok(const struct p2p_result *r)
{
	igt_assert_f(r->status == 0, "exit status %d; stderr: %s\n",
		     r->status, r->err);
	/* stderr is a file: no progress bar, no warnings. */
	igt_assert_f(!r->err[0], "unexpected stderr: %s\n", r->err);
}

/* ------------------------------------------------------------------ */
/* --json, through python3's parser                                     */

/* The report's basics, and its figures for the log. */
static void json_common(const struct p2p_json *j, uint64_t bytes)
{
	p2p_json_expect_u64(j, "bytes", bytes);
	igt_assert(p2p_json_double(j, "seconds") > 0);
	igt_info("%" PRIu64 " bytes in %s s (%.1f MiB/s); read %s (%s), write "
		 "%s (%s); CPU bytes %" PRIu64 " (%s per payload byte)\n",
		 bytes, p2p_json_text(j, "seconds"),
		 p2p_json_double(j, "bytes_per_second") / MiB,
		 p2p_json_text(j, "read.path"),
		 p2p_json_text(j, "read.reason"),
		 p2p_json_text(j, "write.path"),
		 p2p_json_text(j, "write.reason"),
		 p2p_json_u64(j, "cpu_bytes.total"),
		 p2p_json_text(j, "cpu_bytes.per_payload_byte"));
}

/* ------------------------------------------------------------------ */
/* Ground truth                                                         */

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	igt_assert_f(fd >= 0, "cannot create %s: %m\n", path);
	igt_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	igt_assert_f(!stat(path, &st), "stat %s: %m\n", path);
	return st.st_size;
}

/* ------------------------------------------------------------------ */
/* FIDMABUFRW, asked directly                                           */

/*
 * The errno of a FIDMABUFRW with no buffer on file @path: ENOTTY without
 * the ioctl, EOPNOTSUPP for a filesystem it cannot do (checked first),
 * else what the missing buffer gives.
 */
static int fidmabufrw_errno(const char *path)
{
	struct blk_dmabuf_rw rw = { .dmabuf_fd = -1 };
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	igt_assert(ioctl(fd, FIDMABUFRW, &rw) < 0);
	err = errno;
	close(fd);
	igt_debug("FIDMABUFRW on %s: %s\n", path, strerror(err));
	return err;
}

/*
 * The reason p2pctl must give for copying file @path, on a filesystem of
 * type @fstype without a block device, with the CPU.
 */
static const char *cpu_reason(const char *path, const char *fstype,
			      char *buf, size_t len)
{
	int err = fidmabufrw_errno(path);

	if (err == ENOTTY)
		return NO_FIDMABUFRW;
	igt_assert_f(err == EOPNOTSUPP, "FIDMABUFRW on %s (%s): %s, not "
		     "EOPNOTSUPP\n", path, fstype, strerror(err));
	snprintf(buf, len, "%s has no block device", fstype);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Target slices: saved before a copy, written back after               */

/* Saves a slice of @d and makes sure @new_bytes would change it. */
static void slice_save(struct p2p_slice *s, const struct disk *d, uint64_t off,
		       size_t len, const uint8_t *new_bytes)
{
	p2p_slice_save(s, d->dev, d->image, off, len);
	igt_assert_f(memcmp(s->old, new_bytes, len),
		     "%s at %" PRIu64 " MiB already holds the bytes to copy\n",
		     d->name, off / MiB);
}

/* @d's image at @off does not hold @new_bytes yet: a copy changes it. */
static void expect_change(const struct disk *d, uint64_t off,
			  const uint8_t *new_bytes, size_t len)
{
	uint8_t *now = p2p_file_dup(d->image, off, len);

	igt_assert_f(memcmp(now, new_bytes, len), "%s at %" PRIu64 " MiB "
		     "already holds the bytes to copy\n", d->name, off / MiB);
	free(now);
}

/* ------------------------------------------------------------------ */
/* The machine                                                          */

static void disk_find(struct disk *d, const char *serial, const char *image,
		      const struct p2p_pci *pci)
{
	igt_assert_f(p2p_block_by_serial(serial, d->name, sizeof(d->name)),
		     "no block device with serial %s\n", serial);
	snprintf(d->dev, sizeof(d->dev), "/dev/%s", d->name);
	d->image = image;
	d->pci = pci;
}

static const char *mode_of(const struct env *e, const struct p2p_pci *provider,
			   const struct p2p_pci *device)
{
	static const char *const names[] = {
		[DMA_BUF_P2P_MODE_SYSTEM] = "system",
		[DMA_BUF_P2P_MODE_BUS] = "p2p-bus",
		[DMA_BUF_P2P_MODE_HOST_BRIDGE] = "p2p-host-bridge",
	};

	return names[p2p_expected_mode(provider, device,
				       e->m.host_bridge_p2p)];
}

/* A DRM node of vgem: "card" for the primary, "renderD" for render. */
static bool vgem_node(const char *prefix, char *path, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		drmVersionPtr v;
		int fd;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, len, "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		found = v && !strcmp(v->name, "vgem");
		drmFreeVersion(v);
		close(fd);
	}
	closedir(dir);
	return found;
}

/* ------------------------------------------------------------------ */
/* The tests                                                            */

/*
 * SRC slice of @src -> a buffer given by @via -> DST slice of @dst: the
 * report parsed into @j, the image checked and written back.
 */
static void copy_checked(const struct disk *src, uint64_t src_off,
			 const struct disk *dst, uint64_t dst_off,
			 uint64_t len, const char *via, struct p2p_json *j)
{
	struct p2p_result r = { };
	struct p2p_slice s;
	uint8_t *want;

	want = p2p_file_dup(src->image, src_off, len);
	slice_save(&s, dst, dst_off, len, want);
	run(&r, "copy %s %s %s --offset %" PRIu64 " --dst-offset %" PRIu64
	    " --length %" PRIu64 " --verify --json", src->dev, dst->dev, via,
	    src_off, dst_off, len);
	expect_ok(&r);
	p2p_json_parse(j, r.out);
	p2p_json_expect_text(j, "verify.match", "true");
	p2p_check_file(dst->image, dst_off, want, len, "the copied slice");
	p2p_slice_restore(&s);
	free(want);
}

static void test_nvme_vram_nvme(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	const char *rmode = mode_of(e, &e->m.vram, peer->pci);
	const char *wmode = mode_of(e, &e->m.vram, cmb->pci);
	char via[64], line[512];
	struct p2p_result r = { };
	struct p2p_json j = { };
	struct p2p_slice s;
	uint8_t *want;

	igt_assert_f(strcmp(rmode, "system") && strcmp(wmode, "system"),
		     "topology: peer0 and cmb0 must reach the VRAM BAR\n");
	snprintf(via, sizeof(via), "--via %s", e->m.vram.addr);
	copy_checked(peer, 8 * MiB, cmb, WRITE_SLICE, 16 * MiB, via, &j);
	json_common(&j, 16 * MiB);
	p2p_json_expect_text(&j, "src.path", peer->dev);
	p2p_json_expect_text(&j, "src.type", "block");
	p2p_json_expect_text(&j, "dst.name", cmb->name);
	p2p_json_expect_u64(&j, "dst.offset", WRITE_SLICE);
	p2p_json_expect_text(&j, "buffer.via", "provider");
	p2p_json_expect_text(&j, "buffer.provider", e->m.vram.addr);
	p2p_json_expect_u64(&j, "buffer.size", 16 * MiB);
	p2p_json_expect_text(&j, "buffer.placement_before", "bar");
	p2p_json_expect_text(&j, "buffer.placement_after", "bar");
	p2p_json_expect_u64(&j, "buffer.migrations_to_system", 0);
	p2p_json_expect_u64(&j, "buffer.migrations_to_bar", 0);
	/*
	 * Peer-to-peer both ways: the CPU copied nothing at all.  By
	 * default io_uring: 16 requests of 1 MiB each way, the buffer mapped
	 * once for each disk, when it was registered.
	 */
	p2p_json_expect_text(&j, "engine", "io_uring");
	p2p_json_expect_text(&j, "engine_reason", "null");
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "read.reason", rmode);
	p2p_json_expect_u64(&j, "read.requests", 16);
	p2p_json_expect_u64(&j, "read.calls", 0);
	p2p_json_expect_u64(&j, "read.maps", 1);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_text(&j, "write.reason", wmode);
	p2p_json_expect_u64(&j, "write.requests", 16);
	p2p_json_expect_u64(&j, "write.maps", 1);
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.exporter", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.files", 0);
	igt_assert(p2p_json_double(&j, "cpu_bytes.per_payload_byte") == 0.0);

	/*
	 * The human report says the same, with the ioctl engine: one batch
	 * of 256 KiB I/Os at QD 8 each way.
	 */
	want = p2p_file_dup(peer->image, 8 * MiB, 16 * MiB);
	slice_save(&s, cmb, WRITE_SLICE, 16 * MiB, want);
	copy_ioctl(&r, "%s %s %s --offset 8M --dst-offset 96M --length 16M "
		   "--block-size 256K --queue-depth 8 --verify", peer->dev,
		   cmb->dev, via);
	expect_ok(&r);
	igt_info("%s", r.out);
	snprintf(line, sizeof(line), "copied   16777216 bytes (16M) from %s "
		 "to %s in ", peer->dev, cmb->dev);
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	igt_assert(strstr(r.out, "engine   ioctl (--engine ioctl)\n"));
	snprintf(line, sizeof(line), "read     %s -> buffer: p2p (%s), 1 "
		 "call, 1 mapping\n", peer->dev, rmode);
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	snprintf(line, sizeof(line), "write    buffer -> %s: p2p (%s), 1 "
		 "call, 1 mapping\n", cmb->dev, wmode);
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	igt_assert(strstr(r.out, "placement bar -> bar, migrations 0 to "
			  "system, 0 to bar\n"));
	igt_assert(strstr(r.out, "cpu      0 bytes copied by the CPU, "
			  "0.000 per payload byte: block I/O 0, exporter "
			  "migrations 0, files 0\n"));
	igt_assert(strstr(r.out, "verify   SRC and DST ranges match\n"));
	p2p_check_file(cmb->image, WRITE_SLICE, want, 16 * MiB,
		       "the copied slice");
	p2p_slice_restore(&s);
	free(want);
}

static void test_far_nvme(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *far = &e->nvme[FAR];
	const char *mode = mode_of(e, &e->m.vram, far->pci);
	struct dma_buf_p2p_alloc a = {
		.provider = e->m.vram.id,
		.size = 8 * MiB,
		.fd_flags = O_RDWR,	/* inherited by p2pctl */
	};
	char via[64], reason[256];
	struct p2p_json j = { };
	int dev;

	igt_info("far0 reaches the VRAM BAR as: %s\n", mode);
	snprintf(via, sizeof(via), "--via %s --block-size 256K --engine ioctl",
		 e->m.vram.addr);
	copy_checked(peer, 24 * MiB, far, WRITE_SLICE, 16 * MiB, via, &j);
	json_common(&j, 16 * MiB);
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "read.reason", mode_of(e, &e->m.vram,
							peer->pci));
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.files", 0);

	if (strcmp(mode, "system")) {
		/* Through the host bridge: still no CPU copy. */
		p2p_json_expect_text(&j, "write.path", "p2p");
		p2p_json_expect_text(&j, "write.reason", mode);
		p2p_json_expect_text(&j, "buffer.placement_after", "bar");
		p2p_json_expect_u64(&j, "buffer.migrations_to_system", 0);
		p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	} else {
		/* No route: the exporter moved the buffer for far0, says why. */
		p2p_json_expect_text(&j, "write.path", "system");
		p2p_json_expect_text(&j, "write.reason", "system: no-p2p-path");
		p2p_json_expect_text(&j, "buffer.placement_before", "bar");
		p2p_json_expect_text(&j, "buffer.placement_after", "system");
		p2p_json_expect_u64(&j, "buffer.migrations_to_system", 1);
		p2p_json_expect_u64(&j, "cpu_bytes.exporter", 16 * MiB);
		p2p_json_expect_u64(&j, "cpu_bytes.total", 16 * MiB);
		igt_assert(p2p_json_double(&j, "cpu_bytes.per_payload_byte") ==
			   1.0);
	}

	/*
	 * Two windows through an 8 MiB VRAM buffer of the test's own, by fd:
	 * where far0 cannot reach it, the second window's read lands in
	 * system memory too, moved there for far0.
	 */
	dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
	igt_assert_fd(dev);
	igt_assert_eq(ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), 0);
	snprintf(via, sizeof(via), "--via-fd %u --engine ioctl", a.fd);
	copy_checked(peer, 24 * MiB, far, WRITE_SLICE, 16 * MiB, via, &j);
	json_common(&j, 16 * MiB);
	p2p_json_expect_text(&j, "buffer.via", "fd");
	p2p_json_expect_u64(&j, "buffer.window", 8 * MiB);
	p2p_json_expect_text(&j, "buffer.placement_before", "bar");
	p2p_json_expect_u64(&j, "read.calls", 2);
	if (strcmp(mode, "system")) {
		p2p_json_expect_text(&j, "read.path", "p2p");
		p2p_json_expect_text(&j, "write.path", "p2p");
		p2p_json_expect_text(&j, "buffer.placement_after", "bar");
		p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	} else {
		snprintf(reason, sizeof(reason), "p2p (p2p-bus), then system "
			 "(system: moved for %s (no-p2p-path))",
			 e->m.nvme[FAR].pci.addr);
		p2p_json_expect_text(&j, "read.path", "mixed");
		p2p_json_expect_text(&j, "read.reason", reason);
		p2p_json_expect_text(&j, "write.path", "system");
		p2p_json_expect_text(&j, "buffer.placement_after", "system");
		p2p_json_expect_u64(&j, "buffer.migrations_to_system", 1);
		p2p_json_expect_u64(&j, "cpu_bytes.exporter", 8 * MiB);
		p2p_json_expect_u64(&j, "cpu_bytes.total", 8 * MiB);
	}
	close(a.fd);
	close(dev);
}

static void test_auto_provider(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *far = &e->nvme[FAR];
	const char *provider;
	struct p2p_result r = { };
	struct p2p_json j = { };
	uint8_t *want;
	char msg[512];

	/* peer0 reaches both providers below the switch: one of them. */
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --offset 4M --length 4M --json", peer->dev,
	    DST_FILE);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	p2p_json_expect_text(&j, "buffer.via", "auto");
	provider = p2p_json_text(&j, "buffer.provider");
	igt_assert_f(!strcmp(provider, e->m.vram.addr) ||
		     !strcmp(provider, e->m.nvme[CMB].pci.addr),
		     "chose %s\n", provider);
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "read.reason", "p2p-bus");
	want = p2p_file_dup(peer->image, 4 * MiB, 4 * MiB);
	p2p_check_file(DST_FILE, 0, want, 4 * MiB, "peer0 copied to a file");
	free(want);

	/* far0: through the host bridge, or no provider at all. */
	run(&r, "copy %s %s --length 1M --json", far->dev, DST_FILE);
	if (!strcmp(mode_of(e, &e->m.vram, far->pci), "system") &&
	    !strcmp(mode_of(e, &e->m.nvme[CMB].pci, far->pci), "system")) {
		snprintf(msg, sizeof(msg), "p2pctl: copy: no published P2PDMA "
			 "provider with 1M free is reachable peer-to-peer by "
			 "%s (see 'p2pctl list'); name the buffer with --via, "
			 "--via-fd or --via-gem", far->name);
		expect_fail(&r, 1, msg);
	} else {
		expect_ok(&r);
		p2p_json_parse(&j, r.out);
		p2p_json_expect_text(&j, "read.path", "p2p");
		p2p_json_expect_text(&j, "read.reason", "p2p-host-bridge");
	}
	unlink(DST_FILE);
}

static void test_via_gem(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	char node[PATH_MAX], via[PATH_MAX + 16];
	struct p2p_json j = { };

	igt_require_f(vgem_node("card", node, sizeof(node)),
		      "no vgem primary node in /dev/dri\n");
	snprintf(via, sizeof(via), "--via-gem %s", node);
	copy_checked(peer, 32 * MiB, cmb, WRITE_SLICE, 8 * MiB, via, &j);
	json_common(&j, 8 * MiB);
	p2p_json_expect_text(&j, "buffer.via", "gem");
	p2p_json_expect_text(&j, "buffer.drm_node", node);
	p2p_json_expect_text(&j, "buffer.drm_driver", "vgem");
	p2p_json_expect_text(&j, "buffer.provider", "null");
	p2p_json_expect_text(&j, "buffer.placement_before", "null");
	igt_assert(p2p_json_u64(&j, "buffer.size") >= 8 * MiB);
	/*
	 * NVMe DMAs the GEM object's pages itself, both ways, by io_uring:
	 * vgem does not count its mappings.
	 */
	p2p_json_expect_text(&j, "engine", "io_uring");
	p2p_json_expect_text(&j, "read.path", "native");
	p2p_json_expect_text(&j, "write.path", "native");
	p2p_json_expect_u64(&j, "read.requests", 8);
	p2p_json_expect_u64(&j, "write.requests", 8);
	p2p_json_expect_text(&j, "read.maps", "null");
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 0);
	p2p_json_expect_text(&j, "cpu_bytes.exporter", "null");
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
}

/*
 * NVMe to a file in the run directory through vgem: 9p pins the user pages
 * of a write, which vgem's PFN mapping does not allow (EFAULT), so p2pctl
 * bounces those chunks through ordinary memory.
 */
static void test_via_gem_to_9p(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER];
	char node[PATH_MAX], path[PATH_MAX], line[PATH_MAX + 256];
	char reason[128];
	struct p2p_result r = { };
	uint8_t *want;

	igt_require_f(vgem_node("card", node, sizeof(node)),
		      "no vgem primary node in /dev/dri\n");
	snprintf(path, sizeof(path), "%s.gem-copy", e->m.vram_file);
	write_file(path, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --offset 4M --length 4M --via-gem %s", peer->dev,
	    path, node);
	expect_ok(&r);
	igt_info("%s", r.out);
	/* One window, which the CPU wrote: no block device under 9p. */
	snprintf(line, sizeof(line), "write    buffer -> %s: cpu (%s), 1 "
		 "call\n", path, cpu_reason(path, "9p", reason,
					    sizeof(reason)));
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	want = p2p_file_dup(peer->image, 4 * MiB, 4 * MiB);
	p2p_check_file(path, 0, want, 4 * MiB, "peer0 through vgem to 9p");
	free(want);
	unlink(path);
}

static void test_via_fd_udmabuf(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	char via[96];
	struct p2p_json j = { };
	int memfd, buf;

	/* 12 MiB through a 4 MiB buffer: three windows, 8 I/Os each. */
	/* Not close-on-exec: the shell passes it on to p2pctl. */
	buf = p2p_udmabuf(4 * MiB, 0, &memfd);
	snprintf(via, sizeof(via), "--via-fd %d --block-size 512K "
		 "--queue-depth 4", buf);
	copy_checked(peer, 40 * MiB, cmb, WRITE_SLICE, 12 * MiB, via, &j);
	json_common(&j, 12 * MiB);
	p2p_json_expect_text(&j, "buffer.via", "fd");
	p2p_json_expect_u64(&j, "buffer.fd", buf);
	p2p_json_expect_text(&j, "buffer.exporter", "udmabuf");
	p2p_json_expect_u64(&j, "buffer.size", 4 * MiB);
	p2p_json_expect_u64(&j, "buffer.window", 4 * MiB);
	p2p_json_expect_u64(&j, "block_size", 512 * KiB);
	p2p_json_expect_u64(&j, "queue_depth", 4);
	/* io_uring: eight requests per window and direction, no ioctl. */
	p2p_json_expect_text(&j, "engine", "io_uring");
	p2p_json_expect_text(&j, "read.path", "native");
	p2p_json_expect_u64(&j, "read.requests", 24);
	p2p_json_expect_u64(&j, "read.calls", 0);
	p2p_json_expect_text(&j, "write.path", "native");
	p2p_json_expect_u64(&j, "write.requests", 24);
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	close(buf);
	close(memfd);
}

static void test_via_fd_heap(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	struct dma_heap_allocation_data a = {
		.len = 4 * MiB,
		.fd_flags = O_RDWR,	/* inherited by p2pctl */
	};
	char via[64];
	struct p2p_json j = { };
	int heap;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	igt_require_f(heap >= 0, "no /dev/dma_heap/system: %m\n");
	igt_assert_eq(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a), 0);
	snprintf(via, sizeof(via), "--via-fd %u", a.fd);
	copy_checked(peer, 52 * MiB, cmb, WRITE_SLICE, 8 * MiB, via, &j);
	json_common(&j, 8 * MiB);
	p2p_json_expect_text(&j, "buffer.exporter", "system");
	p2p_json_expect_u64(&j, "read.requests", 8);
	p2p_json_expect_text(&j, "read.path", "native");
	p2p_json_expect_text(&j, "write.path", "native");
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	close(a.fd);
	close(heap);
}

static void test_virtio_blk(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	const struct disk *vb = &e->vblk;
	char via[64], reason[128];
	struct p2p_json j = { };

	igt_require_f(e->m.vblk.serial[0], "no virtio-blk disk (P2P_VBLK)\n");
	snprintf(via, sizeof(via), "--via %s", e->m.vram.addr);
	snprintf(reason, sizeof(reason), "bounce: %s's driver does no "
		 "dma-buf DMA", vb->name);

	/*
	 * NVMe -> VRAM -> virtio-blk: the write bounces, once per byte
	 * (io_uring's registration for virtio-blk said so).
	 */
	copy_checked(peer, 4 * MiB, vb, VBLK_WRITE, 16 * MiB, via, &j);
	json_common(&j, 16 * MiB);
	p2p_json_expect_text(&j, "engine", "io_uring");
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "write.path", "bounce");
	p2p_json_expect_text(&j, "write.reason", reason);
	p2p_json_expect_u64(&j, "write.cpu_bytes", 16 * MiB);
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 16 * MiB);
	p2p_json_expect_u64(&j, "cpu_bytes.total", 16 * MiB);
	igt_assert(p2p_json_double(&j, "cpu_bytes.per_payload_byte") == 1.0);

	/* virtio-blk -> VRAM -> NVMe: the read bounces. */
	copy_checked(vb, 0, cmb, WRITE_SLICE, 16 * MiB, via, &j);
	json_common(&j, 16 * MiB);
	p2p_json_expect_text(&j, "read.path", "bounce");
	p2p_json_expect_text(&j, "read.reason", reason);
	p2p_json_expect_u64(&j, "read.cpu_bytes", 16 * MiB);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_u64(&j, "cpu_bytes.total", 16 * MiB);
}

static void test_file_to_nvme(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER];
	const size_t len = 16 * MiB;
	char reason[128];
	struct p2p_result r = { };
	struct p2p_json j = { };
	struct p2p_slice s;
	uint8_t *data;

	data = p2p_xalloc(len);
	p2p_fill_pattern(data, len, 0xf11e);
	write_file(SRC_FILE, data, len);
	slice_save(&s, peer, WRITE_SLICE, len, data);
	run(&r, "copy %s %s --via %s --dst-offset 96M --verify --json",
	    SRC_FILE, peer->dev, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, len);
	p2p_json_expect_text(&j, "src.type", "file");
	p2p_json_expect_text(&j, "src.filesystem.type", "tmpfs");
	p2p_json_expect_text(&j, "src.filesystem.device", "null");
	p2p_json_expect_text(&j, "read.path", "cpu");
	p2p_json_expect_text(&j, "read.reason", cpu_reason(SRC_FILE, "tmpfs",
							   reason,
							   sizeof(reason)));
	p2p_json_expect_u64(&j, "read.cpu_bytes", len);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_u64(&j, "cpu_bytes.files", len);
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.total", len);
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(peer->image, WRITE_SLICE, data, len,
		       "a file copied to NVMe");
	p2p_slice_restore(&s);
	unlink(SRC_FILE);
	free(data);
}

static void test_nvme_to_file(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER];
	const size_t len = 16 * MiB;
	uint8_t *want, zeros[1000] = { 0 };
	struct p2p_result r = { };
	char reason[128];
	struct stat st;
	struct p2p_json j = { };

	/* An unaligned file offset: files have no block size. */
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --via %s --offset 48M --length 16M "
	    "--dst-offset 1000 --verify --json", peer->dev, DST_FILE,
	    e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, len);
	p2p_json_expect_text(&j, "dst.type", "file");
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "dst.filesystem.type", "tmpfs");
	p2p_json_expect_text(&j, "write.path", "cpu");
	p2p_json_expect_text(&j, "write.reason", cpu_reason(DST_FILE, "tmpfs",
							    reason,
							    sizeof(reason)));
	p2p_json_expect_u64(&j, "cpu_bytes.files", len);
	p2p_json_expect_u64(&j, "cpu_bytes.total", len);
	p2p_json_expect_text(&j, "verify.match", "true");

	/* The file grew to hold the range, and holds peer0's bytes. */
	igt_assert_eq(stat(DST_FILE, &st), 0);
	igt_assert_eq_u64(st.st_size, 1000 + len);
	want = p2p_file_dup(peer->image, 48 * MiB, len);
	p2p_check_file(DST_FILE, 1000, want, len, "NVMe copied to a file");
	p2p_check_file(DST_FILE, 0, zeros, sizeof(zeros), "the file's hole");
	free(want);
	unlink(DST_FILE);
}

/* ------------------------------------------------------------------ */
/* Files on ext4                                                        */

struct ext4 {
	struct p2p_ext4 fs;
	const char *name;		/* its block device: "nvme1n2" */
	const struct p2p_pci *pci;	/* the controller that DMAs for it */
	/* The kernel has FIDMABUFRW: p2pctl must use it here. */
	bool kernel;
};

/* The test machine's ext4 filesystem, mounted until the test ends. */
static void ext4_setup(struct env *e, struct ext4 *x)
{
	char path[PATH_MAX];
	int err;

	p2p_ext4_load(&x->fs);
	x->name = strrchr(x->fs.dev, '/') + 1;
	x->pci = NULL;
	for (int i = 0; i < 3; i++)
		if (!strcmp(e->m.nvme[i].serial, x->fs.serial))
			x->pci = &e->m.nvme[i].pci;
	igt_assert_f(x->pci, "the ext4 filesystem is on %s, not one of the "
		     "machine's NVMe controllers\n", x->fs.serial);
	p2p_ext4_mount(&x->fs);
	p2p_ext4_umount_at_exit(&x->fs);

	/* Past the ENOTTY of old kernels and the EOPNOTSUPP of tmpfs. */
	p2p_ext4_path(&x->fs, "seq.bin", path, sizeof(path));
	err = fidmabufrw_errno(path);
	igt_assert_f(err != EOPNOTSUPP, "FIDMABUFRW: ext4 on %s has no direct "
		     "I/O\n", x->name);
	x->kernel = err != ENOTTY;
	igt_info("ext4 on %s (%u-byte blocks), %s\n", x->name, x->fs.lbs,
		 x->kernel ? "FIDMABUFRW: the files' own direct I/O" :
			     "no FIDMABUFRW: the CPU copies the files");
}

/*
 * @x unmounted, and mounted nowhere else: only then does the image hold
 * what was written (a second mount keeps the filesystem alive).
 */
static void ext4_umount(struct ext4 *x)
{
	char line[512], dev[64];
	FILE *f;

	igt_assert_eq(p2p_ext4_umount(&x->fs), 0);
	f = fopen("/proc/self/mounts", "re");
	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		igt_assert_f(sscanf(line, "%63s", dev) != 1 ||
			     strcmp(dev, x->fs.dev), "%s is still mounted: "
			     "%s", x->fs.dev, line);
	fclose(f);
}

/* The "filesystem" of a --json report's endpoint @end: @x's. */
static void expect_ext4(const struct p2p_json *j, const char *end,
			const struct ext4 *x)
{
	char key[64];

	snprintf(key, sizeof(key), "%s.type", end);
	p2p_json_expect_text(j, key, "file");
	snprintf(key, sizeof(key), "%s.filesystem.type", end);
	p2p_json_expect_text(j, key, "ext4");
	snprintf(key, sizeof(key), "%s.filesystem.device", end);
	p2p_json_expect_text(j, key, x->name);
	snprintf(key, sizeof(key), "%s.filesystem.logical_block_size", end);
	p2p_json_expect_u64(j, key, x->fs.lbs);
}

/*
 * Direction @dir ("read", "write") of a copy of a file on @x, whose
 * FIDMABUFRW part went through a VRAM buffer: peer-to-peer with the mode
 * the topology gives, in @calls calls; the CPU path with its reason on a
 * kernel without FIDMABUFRW.
 */
static void expect_ext4_dir(const struct env *e, const struct p2p_json *j,
			    const char *dir, const struct ext4 *x,
			    uint64_t calls, uint64_t bytes)
{
	char key[64];

	snprintf(key, sizeof(key), "%s.path", dir);
	p2p_json_expect_text(j, key, x->kernel ? "p2p" : "cpu");
	snprintf(key, sizeof(key), "%s.reason", dir);
	p2p_json_expect_text(j, key, x->kernel ? mode_of(e, &e->m.vram, x->pci) :
				     NO_FIDMABUFRW);
	snprintf(key, sizeof(key), "%s.calls", dir);
	p2p_json_expect_u64(j, key, calls);
	snprintf(key, sizeof(key), "%s.cpu_bytes", dir);
	p2p_json_expect_u64(j, key, x->kernel ? 0 : bytes);
}

static void test_ext4_file_to_nvme(struct env *e)
{
	const struct disk *cmb = &e->nvme[CMB];
	const uint64_t len = 8 * MiB;
	struct dma_buf_p2p_alloc a = {
		.provider = e->m.vram.id,
		.size = 4 * MiB,
		.fd_flags = O_RDWR,	/* inherited by p2pctl */
	};
	char src[PATH_MAX], line[PATH_MAX + 256], reason[128];
	uint8_t *seq, *sparse, *tail;
	uint64_t size, tail_size, up;
	struct p2p_result r = { };
	struct p2p_json j = { };
	struct p2p_slice s;
	struct ext4 x;
	int dev;

	ext4_setup(e, &x);
	seq = p2p_ext4_truth_dup(&x.fs, "seq.bin", 0, &size);
	igt_assert_eq_u64(size, 48 * MiB);
	p2p_ext4_path(&x.fs, "seq.bin", src, sizeof(src));
	/* One slice for all the copies, each of which changes it. */
	slice_save(&s, cmb, WRITE_SLICE, len, seq + 16 * MiB);

	/* 8 MiB from the middle of seq.bin: one window, one call. */
	copy_ioctl(&r, "%s %s --via %s --offset 16M --length 8M --dst-offset "
	    "96M --verify --json", src, cmb->dev, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, len);
	expect_ext4(&j, "src", &x);
	p2p_json_expect_u64(&j, "src.offset", 16 * MiB);
	p2p_json_expect_text(&j, "dst.type", "block");
	p2p_json_expect_text(&j, "dst.filesystem", "null");
	expect_ext4_dir(e, &j, "read", &x, 1, len);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_u64(&j, "cpu_bytes.block_io", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.files", x.kernel ? 0 : len);
	p2p_json_expect_u64(&j, "cpu_bytes.total", x.kernel ? 0 : len);
	if (x.kernel) {
		/* The file's own extents, DMAed by its disk into the BAR. */
		p2p_json_expect_u64(&j, "read.maps", 1);
		igt_assert(p2p_json_double(&j, "cpu_bytes.per_payload_byte") ==
			   0.0);
	}
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(cmb->image, WRITE_SLICE, seq + 16 * MiB, len,
		       "seq.bin's middle copied to cmb0");

	/* The human report says the same, as for a block device. */
	expect_change(cmb, WRITE_SLICE, seq, len);
	copy_ioctl(&r, "%s %s --via %s --length 8M --dst-offset 96M", src,
	    cmb->dev, e->m.vram.addr);
	expect_ok(&r);
	igt_info("%s", r.out);
	if (x.kernel)
		snprintf(line, sizeof(line), "read     %s -> buffer: p2p (%s), "
			 "1 call, 1 mapping\n", src,
			 mode_of(e, &e->m.vram, x.pci));
	else
		snprintf(line, sizeof(line), "read     %s -> buffer: cpu (%s), "
			 "1 call\n", src, NO_FIDMABUFRW);
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	snprintf(line, sizeof(line), "files %s\n", x.kernel ? "0" : "8M");
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
	p2p_check_file(cmb->image, WRITE_SLICE, seq, len,
		       "seq.bin's start copied to cmb0");

	/* Through a 4 MiB VRAM buffer of the test's own: two windows. */
	dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
	igt_assert_fd(dev);
	igt_assert_eq(ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), 0);
	expect_change(cmb, WRITE_SLICE, seq + 32 * MiB, len);
	copy_ioctl(&r, "%s %s --via-fd %u --offset 32M --length 8M --dst-offset "
	    "96M --verify --json", src, cmb->dev, a.fd);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, len);
	p2p_json_expect_u64(&j, "buffer.window", 4 * MiB);
	expect_ext4_dir(e, &j, "read", &x, 2, len);
	p2p_json_expect_u64(&j, "write.calls", 2);
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(cmb->image, WRITE_SLICE, seq + 32 * MiB, len,
		       "seq.bin's end copied to cmb0 in two windows");
	close(a.fd);
	close(dev);

	/* An offset not a multiple of the disk's blocks: the CPU reads. */
	expect_change(cmb, WRITE_SLICE, seq + 1000, MiB);
	copy_ioctl(&r, "%s %s --via %s --offset 1000 --length 1M --dst-offset "
	    "96M --verify --json", src, cmb->dev, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, MiB);
	p2p_json_expect_text(&j, "read.path", "cpu");
	if (x.kernel)
		snprintf(reason, sizeof(reason), "offset 1000 is not a "
			 "multiple of the logical block size of %s (%u)",
			 x.name, x.fs.lbs);
	p2p_json_expect_text(&j, "read.reason", x.kernel ? reason :
			     NO_FIDMABUFRW);
	p2p_json_expect_u64(&j, "cpu_bytes.files", MiB);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_check_file(cmb->image, WRITE_SLICE, seq + 1000, MiB,
		       "seq.bin from byte 1000 copied to cmb0");
	free(seq);

	/* sparse.bin: its hole reads as zeros, and goes to the disk so. */
	sparse = p2p_ext4_truth_dup(&x.fs, "sparse.bin", 0, &size);
	igt_assert_eq_u64(size, 4 * MiB);
	p2p_ext4_path(&x.fs, "sparse.bin", src, sizeof(src));
	expect_change(cmb, WRITE_SLICE, sparse, size);
	copy_ioctl(&r, "%s %s --via %s --dst-offset 96M --verify --json", src,
	    cmb->dev, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, size);
	p2p_json_expect_text(&j, "read.path", x.kernel ? "p2p" : "cpu");
	p2p_json_expect_u64(&j, "read.calls", 1);
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(cmb->image, WRITE_SLICE, sparse, size,
		       "sparse.bin copied to cmb0");
	p2p_slice_restore(&s);
	free(sparse);

	/*
	 * tail.bin, whose end is in the middle of a block, to a tmpfs file:
	 * read rounded up to the block in one call, the kernel zeroing the
	 * block past end of file (its CPU bytes), written by the CPU.
	 */
	tail = p2p_ext4_truth_dup(&x.fs, "tail.bin", 0, &tail_size);
	up = (tail_size + x.fs.lbs - 1) / x.fs.lbs * x.fs.lbs;
	igt_assert_f(up != tail_size, "tail.bin ends on a block boundary\n");
	p2p_ext4_path(&x.fs, "tail.bin", src, sizeof(src));
	write_file(DST_FILE, (const uint8_t *)"", 0);
	copy_ioctl(&r, "%s %s --via %s --verify --json", src, DST_FILE,
	    e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, tail_size);
	expect_ext4(&j, "src", &x);
	p2p_json_expect_text(&j, "read.path", x.kernel ? "p2p" : "cpu");
	p2p_json_expect_u64(&j, "read.calls", 1);
	p2p_json_expect_u64(&j, "read.cpu_bytes",
			    x.kernel ? up - tail_size : tail_size);
	p2p_json_expect_u64(&j, "cpu_bytes.block_io",
			    x.kernel ? up - tail_size : 0);
	p2p_json_expect_text(&j, "write.path", "cpu");
	p2p_json_expect_text(&j, "write.reason", cpu_reason(DST_FILE, "tmpfs",
							    reason,
							    sizeof(reason)));
	p2p_json_expect_u64(&j, "write.cpu_bytes", tail_size);
	p2p_json_expect_text(&j, "verify.match", "true");
	igt_assert_eq_u64(file_size(DST_FILE), tail_size);
	p2p_check_file(DST_FILE, 0, tail, tail_size, "tail.bin copied to tmpfs");
	unlink(DST_FILE);
	free(tail);
	ext4_umount(&x);
}

/* A file of @x's that the test writes, and what it must hold. */
struct ext4_out {
	const char *name;
	uint8_t *want;
	uint64_t size;
};

/*
 * File @path is exactly @want, read through the page cache: O_DIRECT
 * (p2p_check_file()) cannot read a size that is not a multiple of blocks;
 * the image is checked after unmounting.
 */
static void check_ext4_file(const char *path, const uint8_t *want,
			    uint64_t size, const char *what)
{
	uint8_t *got = p2p_xalloc(size);
	int fd;

	igt_assert_eq_u64(file_size(path), size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	p2p_pread_all(fd, got, size, 0, path);
	close(fd);
	p2p_check_bytes(got, want, size, what);
	free(got);
}

/* @o's file, created empty (or with @o->want, @o->size), in @x. */
static void ext4_create(const struct ext4 *x, const struct ext4_out *o,
			bool filled, char *path, size_t len)
{
	int fd;

	fd = p2p_ext4_open(&x->fs, o->name, O_WRONLY | O_CREAT | O_TRUNC,
			   0644);
	if (filled)
		igt_assert_eq(write(fd, o->want, o->size), (ssize_t)o->size);
	igt_assert_eq(fsync(fd), 0);
	close(fd);
	p2p_ext4_path(&x->fs, o->name, path, len);
}

static void test_nvme_to_ext4_file(struct env *e)
{
	/* cmb0 reads: the write maps the buffer for ext4's disk anew. */
	const struct disk *cmb = &e->nvme[CMB];
	struct dma_buf_p2p_alloc a = {
		.provider = e->m.vram.id,
		.size = 4 * MiB,
		.fd_flags = O_RDWR,	/* inherited by p2pctl */
	};
	struct ext4_out out[] = {
		{ .name = "p2pctl-copy-dst.bin" },
		{ .name = "p2pctl-copy-mid.bin" },
		{ .name = "p2pctl-copy-unaligned.bin" },
		{ .name = "p2pctl-copy-tail.bin" },
	};
	struct ext4_out *dst = &out[0], *mid = &out[1], *una = &out[2];
	struct ext4_out *tail = &out[3];
	char path[PATH_MAX], src[PATH_MAX], line[PATH_MAX + 256];
	char reason[256];
	uint64_t up, part, rest;
	struct p2p_result r = { };
	struct p2p_json j = { };
	uint8_t *bytes;
	struct ext4 x;
	int dev;

	ext4_setup(e, &x);

	/* 8 MiB of cmb0 into a new, empty file: it grows to hold them. */
	dst->size = 16 * MiB;
	dst->want = p2p_file_dup(cmb->image, 8 * MiB, dst->size);
	ext4_create(&x, dst, false, path, sizeof(path));
	copy_ioctl(&r, "%s %s --via %s --offset 8M --length 8M --verify --json",
	    cmb->dev, path, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, 8 * MiB);
	p2p_json_expect_text(&j, "src.type", "block");
	expect_ext4(&j, "dst", &x);
	p2p_json_expect_text(&j, "read.path", "p2p");
	expect_ext4_dir(e, &j, "write", &x, 1, 8 * MiB);
	p2p_json_expect_u64(&j, "cpu_bytes.total", x.kernel ? 0 : 8 * MiB);
	p2p_json_expect_text(&j, "verify.match", "true");
	igt_assert_eq_u64(file_size(path), 8 * MiB);

	/* Its human report. */
	copy_ioctl(&r, "%s %s --via %s --offset 8M --length 8M", cmb->dev, path,
	    e->m.vram.addr);
	expect_ok(&r);
	igt_info("%s", r.out);
	if (x.kernel)
		snprintf(line, sizeof(line), "write    buffer -> %s: p2p (%s), "
			 "1 call, 1 mapping\n", path,
			 mode_of(e, &e->m.vram, x.pci));
	else
		snprintf(line, sizeof(line), "write    buffer -> %s: cpu (%s), "
			 "1 call\n", path, NO_FIDMABUFRW);
	igt_assert_f(strstr(r.out, line), "no '%s' in\n%s", line, r.out);

	/* 8 MiB more past its end, through a 4 MiB buffer: two windows. */
	dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
	igt_assert_fd(dev);
	igt_assert_eq(ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), 0);
	copy_ioctl(&r, "%s %s --via-fd %u --offset 16M --length 8M --dst-offset "
	    "8M --verify --json", cmb->dev, path, a.fd);
	close(a.fd);
	close(dev);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, 8 * MiB);
	p2p_json_expect_u64(&j, "buffer.window", 4 * MiB);
	p2p_json_expect_u64(&j, "read.calls", 2);
	expect_ext4_dir(e, &j, "write", &x, 2, 8 * MiB);
	p2p_json_expect_text(&j, "verify.match", "true");
	check_ext4_file(path, dst->want, dst->size, "cmb0 copied to ext4");

	/* Into the middle of a longer file: nothing else of it changes. */
	mid->size = 3 * MiB;
	mid->want = p2p_xalloc(mid->size);
	p2p_fill_pattern(mid->want, mid->size, 0xe4e4);
	ext4_create(&x, mid, true, path, sizeof(path));
	bytes = p2p_file_dup(cmb->image, 40 * MiB, MiB);
	memcpy(mid->want + MiB, bytes, MiB);
	free(bytes);
	copy_ioctl(&r, "%s %s --via %s --offset 40M --length 1M --dst-offset 1M "
	    "--verify --json", cmb->dev, path, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	expect_ext4_dir(e, &j, "write", &x, 1, MiB);
	check_ext4_file(path, mid->want, mid->size,
			"a file written in its middle");

	/* At an offset not a multiple of the disk's blocks: by the CPU. */
	una->size = 1000 + MiB;
	una->want = p2p_xalloc(una->size);
	memset(una->want, 0, 1000);
	bytes = p2p_file_dup(cmb->image, 4 * MiB, MiB);
	memcpy(una->want + 1000, bytes, MiB);
	free(bytes);
	ext4_create(&x, una, false, path, sizeof(path));
	copy_ioctl(&r, "%s %s --via %s --offset 4M --length 1M --dst-offset 1000 "
	    "--verify --json", cmb->dev, path, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	p2p_json_expect_text(&j, "write.path", "cpu");
	if (x.kernel)
		snprintf(reason, sizeof(reason), "offset 1000 is not a "
			 "multiple of the logical block size of %s (%u)",
			 x.name, x.fs.lbs);
	p2p_json_expect_text(&j, "write.reason", x.kernel ? reason :
			     NO_FIDMABUFRW);
	p2p_json_expect_u64(&j, "write.cpu_bytes", MiB);
	check_ext4_file(path, una->want, una->size,
			"cmb0 copied to ext4 at byte 1000");

	/*
	 * ext4 to ext4, tail.bin to a new file: a write whose end is in the
	 * middle of a block.  FIDMABUFRW writes the whole blocks, the CPU the
	 * rest; the file ends where tail.bin does.
	 */
	tail->want = p2p_ext4_truth_dup(&x.fs, "tail.bin", 0, &tail->size);
	up = (tail->size + x.fs.lbs - 1) / x.fs.lbs * x.fs.lbs;
	rest = tail->size % x.fs.lbs;
	part = tail->size - rest;
	igt_assert(rest);
	p2p_ext4_path(&x.fs, "tail.bin", src, sizeof(src));
	ext4_create(&x, tail, false, path, sizeof(path));
	copy_ioctl(&r, "%s %s --via %s --verify --json", src, path,
	    e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, tail->size);
	expect_ext4(&j, "src", &x);
	expect_ext4(&j, "dst", &x);
	if (x.kernel) {
		p2p_json_expect_text(&j, "read.path", "p2p");
		p2p_json_expect_u64(&j, "read.calls", 1);
		p2p_json_expect_u64(&j, "read.cpu_bytes", up - tail->size);
		p2p_json_expect_text(&j, "write.path", "mixed");
		snprintf(reason, sizeof(reason), "p2p (%s), then cpu (the last "
			 "%" PRIu64 " bytes, less than a logical block of %s "
			 "(%u))", mode_of(e, &e->m.vram, x.pci), rest, x.name,
			 x.fs.lbs);
		p2p_json_expect_text(&j, "write.reason", reason);
		p2p_json_expect_u64(&j, "write.calls", 2);
		p2p_json_expect_u64(&j, "write.cpu_bytes", rest);
		p2p_json_expect_u64(&j, "cpu_bytes.block_io", up - tail->size);
		p2p_json_expect_u64(&j, "cpu_bytes.files", rest);
		igt_info("%" PRIu64 " bytes by FIDMABUFRW, %" PRIu64 " by the "
			 "CPU\n", part, rest);
	} else {
		p2p_json_expect_text(&j, "write.path", "cpu");
		p2p_json_expect_u64(&j, "cpu_bytes.files", 2 * tail->size);
	}
	p2p_json_expect_text(&j, "verify.match", "true");
	check_ext4_file(path, tail->want, tail->size, "tail.bin copied");

	/* On the disk: each file out of the image, then removed. */
	ext4_umount(&x);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		uint64_t size;

		bytes = p2p_ext4_image_dup(&x.fs, out[i].name, &size);
		igt_assert_f(bytes, "no /%s in %s\n", out[i].name,
			     x.fs.image);
		igt_assert_eq_u64(size, out[i].size);
		snprintf(line, sizeof(line), "/%s in the image", out[i].name);
		p2p_check_bytes(bytes, out[i].want, size, line);
		free(bytes);
	}
	p2p_ext4_mount(&x.fs);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		p2p_ext4_path(&x.fs, out[i].name, path, sizeof(path));
		igt_assert_eq(unlink(path), 0);
		free(out[i].want);
	}
	ext4_umount(&x);
}

/* ------------------------------------------------------------------ */
/* The io_uring engine                                                  */

/*
 * Files on ext4 by io_uring: the buffer registered for the filesystem's
 * disk, the files' whole blocks as fixed reads and writes on O_DIRECT
 * descriptors, the part of a block at a file's end as the ioctl engine
 * does it.  Checked on cmb0's image, a tmpfs file and, after unmounting,
 * the filesystem's image.
 */
static void test_ext4_io_uring(struct env *e)
{
	const struct disk *cmb = &e->nvme[CMB];
	struct ext4_out out = { .name = "p2pctl-copy-uring.bin" };
	char src[PATH_MAX], path[PATH_MAX];
	uint8_t *seq, *tail, *got;
	uint64_t size, tail_size, up, whole;
	struct p2p_result r = { };
	struct p2p_json j = { };
	const char *mode;
	struct p2p_slice s;
	struct ext4 x;

	ext4_setup(e, &x);
	igt_require_f(x.kernel, "no FIDMABUFRW: no io_uring for files\n");
	mode = mode_of(e, &e->m.vram, x.pci);

	/* seq.bin [16, 24 MiB) to cmb0: eight reads of 1 MiB. */
	seq = p2p_ext4_truth_dup(&x.fs, "seq.bin", 0, &size);
	p2p_ext4_path(&x.fs, "seq.bin", src, sizeof(src));
	slice_save(&s, cmb, WRITE_SLICE, 8 * MiB, seq + 16 * MiB);
	run(&r, "copy %s %s --via %s --offset 16M --length 8M --dst-offset "
	    "96M --verify --json", src, cmb->dev, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, 8 * MiB);
	p2p_json_expect_text(&j, "engine", "io_uring");
	expect_ext4(&j, "src", &x);
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_text(&j, "read.reason", mode);
	p2p_json_expect_u64(&j, "read.requests", 8);
	p2p_json_expect_u64(&j, "read.calls", 0);
	p2p_json_expect_u64(&j, "read.maps", 1);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(cmb->image, WRITE_SLICE, seq + 16 * MiB, 8 * MiB,
		       "seq.bin by io_uring to cmb0");
	p2p_slice_restore(&s);
	free(seq);

	/*
	 * tail.bin to tmpfs: its whole blocks by requests of 1 MiB, the block
	 * holding its end by FIDMABUFRW (which zeros past the end).
	 */
	tail = p2p_ext4_truth_dup(&x.fs, "tail.bin", 0, &tail_size);
	up = (tail_size + x.fs.lbs - 1) / x.fs.lbs * x.fs.lbs;
	whole = tail_size - tail_size % x.fs.lbs;
	igt_assert_f(up != tail_size, "tail.bin ends on a block boundary\n");
	p2p_ext4_path(&x.fs, "tail.bin", src, sizeof(src));
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --via %s --verify --json", src, DST_FILE,
	    e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, tail_size);
	p2p_json_expect_text(&j, "engine", "io_uring");
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_u64(&j, "read.requests", (whole + MiB - 1) / MiB);
	p2p_json_expect_u64(&j, "read.calls", 1);
	p2p_json_expect_u64(&j, "read.cpu_bytes", up - tail_size);
	p2p_json_expect_text(&j, "write.path", "cpu");
	p2p_json_expect_u64(&j, "write.cpu_bytes", tail_size);
	p2p_json_expect_text(&j, "verify.match", "true");
	p2p_check_file(DST_FILE, 0, tail, tail_size, "tail.bin by io_uring");
	unlink(DST_FILE);
	free(tail);

	/* cmb0 [8, 16 MiB) into a new file: eight writes of 1 MiB. */
	out.size = 8 * MiB;
	out.want = p2p_file_dup(cmb->image, 8 * MiB, out.size);
	ext4_create(&x, &out, false, path, sizeof(path));
	run(&r, "copy %s %s --via %s --offset 8M --length 8M --verify --json",
	    cmb->dev, path, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	json_common(&j, out.size);
	p2p_json_expect_text(&j, "engine", "io_uring");
	expect_ext4(&j, "dst", &x);
	p2p_json_expect_text(&j, "write.path", "p2p");
	p2p_json_expect_text(&j, "write.reason", mode);
	p2p_json_expect_u64(&j, "write.requests", 8);
	p2p_json_expect_u64(&j, "write.calls", 0);
	p2p_json_expect_u64(&j, "cpu_bytes.total", 0);
	p2p_json_expect_text(&j, "verify.match", "true");

	/* On the disk, as the host reads the image. */
	ext4_umount(&x);
	got = p2p_ext4_image_dup(&x.fs, out.name, &size);
	igt_assert_f(got, "no /%s in %s\n", out.name, x.fs.image);
	igt_assert_eq_u64(size, out.size);
	p2p_check_bytes(got, out.want, size, "the io_uring-written file in "
			"the image");
	free(got);
	/* A new mount point: the path anew. */
	p2p_ext4_mount(&x.fs);
	p2p_ext4_path(&x.fs, out.name, path, sizeof(path));
	igt_assert_eq(unlink(path), 0);
	free(out.want);
	ext4_umount(&x);
}

#define URING_DISABLED	"/proc/sys/kernel/io_uring_disabled"

/* What io_uring_disabled held before engine-fallback changed it, else "". */
static char uring_disabled_saved[16];

static void uring_disabled_restore(int sig)
{
	(void)sig;
	if (uring_disabled_saved[0])
		p2p_sysfs_write(URING_DISABLED, uring_disabled_saved);
}

/*
 * Which engine, and why: io_uring where it can be had; the ioctls, with
 * the reason, where it cannot (io_uring switched off here) unless
 * io_uring was asked for, which then fails before any I/O; none when the
 * CPU copies both files.
 */
static void test_engine_fallback(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER];
	const char *reason = "io_uring is not available: Operation not "
			     "permitted (EPERM)";
	uint8_t *want, *data;
	struct p2p_result r = { };
	struct p2p_json j = { };
	char msg[256];
	ssize_t n;
	int fd;

	/* tmpfs to tmpfs: nothing for an engine to do. */
	data = p2p_xalloc(MiB);
	p2p_fill_pattern(data, MiB, 0xe9e9);
	write_file(SRC_FILE, data, MiB);
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --via %s --engine io_uring --json", SRC_FILE,
	    DST_FILE, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	p2p_json_expect_text(&j, "engine", "none");
	p2p_json_expect_text(&j, "engine_reason", "the CPU copies both SRC "
			     "and DST");
	p2p_check_file(DST_FILE, 0, data, MiB, "tmpfs to tmpfs");
	free(data);

	/* io_uring off for everyone (2): the ioctls copy, and say why. */
	fd = open(URING_DISABLED, O_RDONLY | O_CLOEXEC);
	igt_require_f(fd >= 0, "no %s: %m\n", URING_DISABLED);
	n = read(fd, uring_disabled_saved, sizeof(uring_disabled_saved) - 1);
	close(fd);
	igt_assert(n > 0);
	uring_disabled_saved[n] = '\0';
	uring_disabled_saved[strcspn(uring_disabled_saved, "\n")] = '\0';
	igt_install_exit_handler(uring_disabled_restore);
	igt_assert(p2p_sysfs_write(URING_DISABLED, "2"));

	want = p2p_file_dup(peer->image, 4 * MiB, 4 * MiB);
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --via %s --offset 4M --length 4M --json",
	    peer->dev, DST_FILE, e->m.vram.addr);
	expect_ok(&r);
	p2p_json_parse(&j, r.out);
	p2p_json_expect_text(&j, "engine", "ioctl");
	p2p_json_expect_text(&j, "engine_reason", reason);
	p2p_json_expect_text(&j, "read.path", "p2p");
	p2p_json_expect_u64(&j, "read.calls", 1);
	p2p_json_expect_u64(&j, "read.requests", 0);
	p2p_check_file(DST_FILE, 0, want, 4 * MiB, "peer0 by the ioctls");

	run(&r, "copy %s %s --via %s --offset 4M --length 4M", peer->dev,
	    DST_FILE, e->m.vram.addr);
	expect_ok(&r);
	snprintf(msg, sizeof(msg), "engine   ioctl (%s)\n", reason);
	igt_assert_f(strstr(r.out, msg), "no '%s' in\n%s", msg, r.out);

	/* Asked for: fails, and writes nothing. */
	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, "copy %s %s --via %s --offset 4M --length 4M --engine "
	    "io_uring", peer->dev, DST_FILE, e->m.vram.addr);
	snprintf(msg, sizeof(msg), "p2pctl: copy: --engine io_uring: %s",
		 reason);
	expect_fail(&r, 1, msg);
	igt_assert_eq_u64(file_size(DST_FILE), 0);

	igt_assert(p2p_sysfs_write(URING_DISABLED, uring_disabled_saved));
	uring_disabled_saved[0] = '\0';
	unlink(DST_FILE);
	unlink(SRC_FILE);
	free(want);
}

/*
 * p2pctl under ptrace: the first pread64() of @path that returns the byte
 * at file offset @at gets that byte flipped, as if the medium returned a
 * wrong byte.  Returns the exit status; *hit says whether it happened.
 */
static int run_flipping(const char *args, const char *path, uint64_t at,
			struct p2p_result *r, bool *hit)
{
	const char *out = "/tmp/p2pctl-copy-out", *err = "/tmp/p2pctl-copy-err";
	unsigned long nr = 0, fd = 0, buf = 0, off = 0;
	int status, sig;
	pid_t pid;

	*hit = false;
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execl("/bin/sh", "sh", "-c", args, (char *)NULL);
		_exit(127);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert(WIFSTOPPED(status));
	igt_assert_eq(ptrace(PTRACE_SETOPTIONS, pid, NULL,
			     PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
			     PTRACE_O_EXITKILL), 0);
	for (sig = 0;;) {
		struct __ptrace_syscall_info info;
		char link[64], target[PATH_MAX];
		ssize_t n;

		igt_assert_eq(ptrace(PTRACE_SYSCALL, pid, NULL, sig), 0);
		sig = 0;
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (WSTOPSIG(status) == SIGTRAP)	/* exec event */
			continue;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);
			continue;
		}
		igt_assert(ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				  sizeof(info), &info) > 0);
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			nr = info.entry.nr;
			fd = info.entry.args[0];
			buf = info.entry.args[1];
			off = info.entry.args[3];
			continue;
		}
		if (info.op != PTRACE_SYSCALL_INFO_EXIT || *hit ||
		    nr != SYS_pread64 || info.exit.rval <= 0 || at < off ||
		    at >= off + (uint64_t)info.exit.rval)
			continue;
		snprintf(link, sizeof(link), "/proc/%d/fd/%lu", pid, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path))
			continue;
		{
			unsigned long addr = buf + (at - off);
			unsigned long word = addr & ~7ul;
			long v;

			errno = 0;
			v = ptrace(PTRACE_PEEKDATA, pid, word, NULL);
			igt_assert_eq(errno, 0);
			v ^= 0xffl << (8 * (addr & 7));
			igt_assert_eq(ptrace(PTRACE_POKEDATA, pid, word, v), 0);
			*hit = true;
		}
	}
	p2p_result_fini(r);
	slurp(out, &r->out, &r->out_len);
	slurp(err, &r->err, &r->err_len);
	unlink(out);
	unlink(err);
	igt_debug("%s -> %#x\nstdout: %s\nstderr: %s\n", args, status, r->out,
		  r->err);
	igt_assert_f(WIFEXITED(status), "status %#x\n", status);
	r->status = WEXITSTATUS(status);
	return r->status;
}

static void test_verify_mismatch(struct env *e)
{
	const size_t len = 4 * MiB;
	const uint64_t at = MiB + 4242;
	char args[PATH_MAX + 256], msg[512];
	uint8_t *data, *got;
	struct p2p_result r = { };
	struct p2p_json j = { };
	bool hit;

#ifndef __x86_64__
	igt_skip("the pread64() interception is written for x86-64\n");
#endif
	data = p2p_xalloc(len);
	p2p_fill_pattern(data, len, 0x7e51f);
	write_file(SRC_FILE, data, len);
	write_file(DST_FILE, (const uint8_t *)"", 0);

	/* The copy is right; what --verify reads back of DST is not. */
	snprintf(args, sizeof(args), "exec %s copy %s %s --via %s --verify "
		 "--json", p2pctl_path, SRC_FILE, DST_FILE, e->m.vram.addr);
	run_flipping(args, DST_FILE, at, &r, &hit);
	igt_assert_f(hit, "p2pctl never read DST's byte %" PRIu64 " back\n",
		     at);
	snprintf(msg, sizeof(msg), "p2pctl: copy: verify: DST %s differs from "
		 "SRC %s at byte %" PRIu64 " of the range (SRC offset %" PRIu64
		 ", DST offset %" PRIu64 ")\n", DST_FILE, SRC_FILE, at, at, at);
	igt_assert_f(r.status == 1, "exit status %d; stderr: %s\n", r.status,
		     r.err);
	igt_assert_f(!strcmp(r.err, msg), "stderr:\n%s\nexpected:\n%s",
		     r.err, msg);
	/* The report is printed, and says it did not match. */
	p2p_json_parse(&j, r.out);
	p2p_json_expect_text(&j, "verify.match", "false");
	p2p_json_expect_u64(&j, "verify.first_mismatch", at);

	/* And a range of DST that really differs. */
	snprintf(args, sizeof(args), "exec %s copy %s %s --via %s --length 1M "
		 "--verify", p2pctl_path, SRC_FILE, DST_FILE, e->m.vram.addr);
	run_flipping(args, "/nonexistent", 0, &r, &hit);
	igt_assert_eq(r.status, 0);
	igt_assert(strstr(r.out, "verify   SRC and DST ranges match\n"));

	got = p2p_file_dup(DST_FILE, 0, len);
	p2p_check_bytes(got, data, len, "DST itself");
	free(got);
	free(data);
	unlink(SRC_FILE);
	unlink(DST_FILE);
}

static void test_usage_errors(void)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{ "copy", "missing SRC and DST" },
		{ "copy a", "missing DST" },
		{ "copy a b c", "unexpected argument 'c'" },
		{ "copy a b --bogus", "bad option" },
		{ "copy a b --length 0", "--length must not be 0" },
		{ "copy a b --length 12Q", "--length '12Q' is not a size "
		  "(e.g. 4096, 0x1000, 512K, 1G)" },
		{ "copy a b --offset -1", "--offset '-1' is not a size "
		  "(e.g. 4096, 0x1000, 512K, 1G)" },
		{ "copy a b --dst-offset 99999999999E", "--dst-offset "
		  "'99999999999E' is too large" },
		{ "copy a b --block-size 1000", "--block-size must be a "
		  "multiple of 512 up to 64M, not '1000'" },
		{ "copy a b --block-size 128M", "--block-size must be a "
		  "multiple of 512 up to 64M, not '128M'" },
		{ "copy a b --queue-depth 0", "--queue-depth must be 1 to "
		  "4096, not '0'" },
		{ "copy a b --queue-depth 4097", "--queue-depth must be 1 to "
		  "4096, not '4097'" },
		{ "copy a b --via 05:00.0", "'05:00.0' is not a PCI address "
		  "(DOMAIN:BUS:DEVICE.FUNCTION, e.g. 0000:05:00.0)" },
		{ "copy a b --via 0000:05:00.0 --via-gem /dev/dri/card0",
		  "give one of --via, --via-fd and --via-gem" },
		{ "copy a b --via-fd 0 --via-fd 1",
		  "give one of --via, --via-fd and --via-gem" },
		{ "copy a b --via-fd three",
		  "'three' is not a file descriptor number" },
		{ "copy a b --engine psync", "--engine must be io_uring or "
		  "ioctl, not 'psync'" },
	};
	struct p2p_result r = { };
	char msg[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(msg, sizeof(msg), "p2pctl: copy: %s (see 'p2pctl "
			 "copy --help')", cases[i].msg);
		run(&r, "%s", cases[i].args);
		expect_fail(&r, 2, msg);
	}

	igt_assert_eq(run(&r, "copy --help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl copy SRC DST [--via PROVIDER "
			  "| --via-fd N | --via-gem DRMNODE]\n"));
	igt_assert(strstr(r.out, "\nExamples:\n"));
	igt_assert(strstr(r.out, "\nExit status: 0 copied"));
	igt_assert(!r.err[0]);
}

static void test_bad_objects(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	struct dma_buf_p2p_alloc a = {
		.provider = e->m.vram.id,
		.size = MiB,
		.fd_flags = O_RDONLY,	/* inherited by p2pctl, read-only */
	};
	struct p2p_spawn stdin_src = P2P_SPAWN_DEFAULT;
	char msg[PATH_MAX + 1024], node[PATH_MAX];
	uint8_t page[8192];
	struct p2p_result r = { };
	int dev;

	memset(page, 0x5a, sizeof(page));
	write_file(SRC_FILE, page, sizeof(page));
	write_file(DST_FILE, page, sizeof(page));

	run(&r, "copy /nonexistent %s", DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: open SRC /nonexistent: No such file "
		    "or directory (ENOENT)");
	run(&r, "copy %s /nonexistent/dst", SRC_FILE);
	expect_fail(&r, 1, "p2pctl: copy: open DST /nonexistent/dst for "
		    "writing: No such file or directory (ENOENT)");
	run(&r, "copy /dev/null %s", DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: SRC /dev/null is neither a block "
		    "device nor a regular file: Block device required "
		    "(ENOTBLK)");
	run(&r, "copy %s /tmp", SRC_FILE);
	expect_fail(&r, 1, "p2pctl: copy: open DST /tmp for writing: Is a "
		    "directory (EISDIR)");

	/* Offsets, lengths and ranges, against the devices' block size. */
	run(&r, "copy %s %s --offset 1000 --length 1M", peer->dev, cmb->dev);
	snprintf(msg, sizeof(msg), "p2pctl: copy: offset 1000 is not a "
		 "multiple of the logical block size of SRC %s (512): Invalid "
		 "argument (EINVAL)", peer->dev);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --dst-offset 100000100", SRC_FILE, cmb->dev);
	snprintf(msg, sizeof(msg), "p2pctl: copy: dst-offset 100000100 is not "
		 "a multiple of the logical block size of DST %s (512): "
		 "Invalid argument (EINVAL)", cmb->dev);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --length 1000", peer->dev, DST_FILE);
	snprintf(msg, sizeof(msg), "p2pctl: copy: length 1000 is not a "
		 "multiple of the logical block size of SRC %s (512): Invalid "
		 "argument (EINVAL)", peer->dev);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --offset 128M", peer->dev, DST_FILE);
	snprintf(msg, sizeof(msg), "p2pctl: copy: offset 134217728 is at or "
		 "past the end of SRC %s (134217728 bytes, 128M): Numerical "
		 "result out of range (ERANGE)", peer->dev);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --offset 127M --length 2M", peer->dev, DST_FILE);
	snprintf(msg, sizeof(msg), "p2pctl: copy: range [133169152, 135266304) "
		 "reaches past the end of SRC %s (134217728 bytes, 128M): "
		 "Numerical result out of range (ERANGE)", peer->dev);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --length 16K", SRC_FILE, DST_FILE);
	snprintf(msg, sizeof(msg), "p2pctl: copy: range [0, 16384) reaches "
		 "past the end of SRC %s (8192 bytes, 8K): Numerical result "
		 "out of range (ERANGE)", SRC_FILE);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --dst-offset 127M --length 2M", peer->dev,
	    cmb->dev);
	snprintf(msg, sizeof(msg), "p2pctl: copy: range [133169152, 135266304) "
		 "reaches past the end of DST %s (134217728 bytes, 128M): "
		 "Numerical result out of range (ERANGE)", cmb->dev);
	expect_fail(&r, 1, msg);

	/* The same device or file: overlapping ranges are refused. */
	run(&r, "copy %s %s --length 8M --dst-offset 4M", peer->dev,
	    peer->dev);
	snprintf(msg, sizeof(msg), "p2pctl: copy: SRC %s [0, 8388608) and DST "
		 "%s [4194304, 12582912) overlap on %s: Invalid argument "
		 "(EINVAL)", peer->dev, peer->dev, peer->name);
	expect_fail(&r, 1, msg);
	/* Another name of the same file. */
	unlink(SRC_FILE ".link");
	igt_assert_eq(link(SRC_FILE, SRC_FILE ".link"), 0);
	run(&r, "copy %s %s --length 4096 --dst-offset 2048", SRC_FILE,
	    SRC_FILE ".link");
	expect_fail(&r, 1, "p2pctl: copy: SRC " SRC_FILE " [0, 4096) and DST "
		    SRC_FILE ".link [2048, 6144) overlap on the same file: "
		    "Invalid argument (EINVAL)");
	unlink(SRC_FILE ".link");

	/* Buffers that cannot be. */
	run(&r, "copy %s %s --via 0000:09:00.0", SRC_FILE, DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: alloc 8K on 0000:09:00.0 (no such "
		    "PCI function): No such device (ENODEV)");
	run(&r, "copy %s %s --via %s", SRC_FILE, DST_FILE,
	    e->m.nvme[PEER].pci.addr);
	snprintf(msg, sizeof(msg), "p2pctl: copy: alloc 8K on %s (not a "
		 "P2PDMA provider; see 'p2pctl list'): No such device or "
		 "address (ENXIO)", e->m.nvme[PEER].pci.addr);
	expect_fail(&r, 1, msg);
	run(&r, "copy %s %s --via-fd 987", SRC_FILE, DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: fd 987: Bad file descriptor "
		    "(EBADF)");
	stdin_src.stdin_fd = open(SRC_FILE, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(stdin_src.stdin_fd);
	p2pctl_runf(&r, &stdin_src, "copy %s %s --via-fd 0", SRC_FILE,
		    DST_FILE);
	close(stdin_src.stdin_fd);
	expect_fail(&r, 1, "p2pctl: copy: fd 0 is not a dma-buf: Invalid "
		    "argument (EINVAL)");
	dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
	igt_assert_fd(dev);
	igt_assert_eq(ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), 0);
	run(&r, "copy %s %s --via-fd %u", SRC_FILE, DST_FILE, a.fd);
	snprintf(msg, sizeof(msg), "p2pctl: copy: dma-buf fd %u is not open "
		 "read-write (SRC is read into it): Permission denied (EACCES)",
		 a.fd);
	expect_fail(&r, 1, msg);
	close(a.fd);
	close(dev);
	run(&r, "copy %s %s --via-gem /dev/null", SRC_FILE, DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: /dev/null is not a DRM device node: "
		    "No such device (ENODEV)");
	run(&r, "copy %s %s --via-gem /dev/dri/nonexistent", SRC_FILE,
	    DST_FILE);
	expect_fail(&r, 1, "p2pctl: copy: open DRM node /dev/dri/nonexistent: "
		    "No such file or directory (ENOENT)");
	if (vgem_node("renderD", node, sizeof(node))) {
		run(&r, "copy %s %s --via-gem %s", SRC_FILE, DST_FILE, node);
		snprintf(msg, sizeof(msg), "p2pctl: copy: %s (vgem) is a "
			 "render node; dumb buffers need the primary node "
			 "(/dev/dri/cardN): Permission denied (EACCES)", node);
		expect_fail(&r, 1, msg);
	}

	/* Nothing of it touched DST. */
	p2p_check_file(DST_FILE, 0, page, sizeof(page), "DST after the errors");
	unlink(SRC_FILE);
	unlink(DST_FILE);
}

static void mount_tmpfs(const char *opts)
{
	mkdir(MNT_DIR, 0755);
	igt_assert_f(!mount("tmpfs", MNT_DIR, "tmpfs", 0, opts),
		     "mount tmpfs %s on " MNT_DIR ": %m\n", opts);
}

static void umount_tmpfs(void)
{
	igt_assert_eq(umount2(MNT_DIR, MNT_DETACH), 0);
	rmdir(MNT_DIR);
}

static int ro_fd = -1;	/* a device set read-only, for the exit handler */

static void writable_on_exit(int sig)
{
	int zero = 0;

	(void)sig;
	if (ro_fd >= 0)
		ioctl(ro_fd, BLKROSET, &zero);
}

static void test_failed_io(struct env *e)
{
	const struct disk *peer = &e->nvme[PEER], *cmb = &e->nvme[CMB];
	const char *dst = MNT_DIR "/dst";
	uint8_t page[4096], *want, *old;
	char msg[1024];
	struct p2p_result r = { };
	struct stat st;
	int one = 1, zero = 0;

	igt_require_f(!system("command -v setpriv >/dev/null"),
		      "no setpriv to run p2pctl as nobody\n");
	memset(page, 0x5a, sizeof(page));
	write_file(SRC_FILE, page, sizeof(page));

	/* A read-only DST: refused at open, by the filesystem... */
	mount_tmpfs("size=1m");
	write_file(dst, page, sizeof(page));
	igt_assert_eq(mount("tmpfs", MNT_DIR, "tmpfs",
			    MS_REMOUNT | MS_RDONLY, "size=1m"), 0);
	run(&r, "copy %s %s --via %s", SRC_FILE, dst, e->m.vram.addr);
	snprintf(msg, sizeof(msg), "p2pctl: copy: open DST %s for writing: "
		 "Read-only file system (EROFS)", dst);
	expect_fail(&r, 1, msg);
	umount_tmpfs();

	/* ...by permissions, for a user without them... */
	write_file(DST_FILE, page, sizeof(page));
	igt_assert_eq(chmod(DST_FILE, 0444), 0);
	p2p_runf(&r, NULL, "setpriv --reuid=65534 --regid=65534 --clear-groups "
		 "%s copy %s %s --via %s", p2pctl_path, SRC_FILE, DST_FILE,
		 e->m.vram.addr);
	snprintf(msg, sizeof(msg), "p2pctl: copy: open DST %s for writing: "
		 "Permission denied (EACCES)", DST_FILE);
	expect_fail(&r, 1, msg);
	unlink(DST_FILE);

	/* ...and by a read-only block device, at the first write. */
	old = p2p_file_dup(cmb->image, WRITE_SLICE, MiB);
	ro_fd = open(cmb->dev, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(ro_fd);
	igt_install_exit_handler(writable_on_exit);
	igt_assert_eq(ioctl(ro_fd, BLKROSET, &one), 0);
	run(&r, "copy %s %s --via %s --length 1M --dst-offset 96M", peer->dev,
	    cmb->dev, e->m.vram.addr);
	igt_assert_eq(ioctl(ro_fd, BLKROSET, &zero), 0);
	close(ro_fd);
	ro_fd = -1;
	snprintf(msg, sizeof(msg), "p2pctl: copy: buffer -> DST %s at byte "
		 "100663296: Operation not permitted (EPERM)", cmb->dev);
	expect_fail(&r, 1, msg);
	igt_assert(strstr(r.err, "p2pctl: copy: failed: 0 of 1048576 bytes "
			  "(0 of 1M) copied; DST holds SRC's bytes up to DST "
			  "offset 100663296 only\n"));
	p2p_check_file(cmb->image, WRITE_SLICE, old, MiB, "a read-only device");
	free(old);

	/* A DST that fills up half way: what was copied is said, and true. */
	mount_tmpfs("size=6m");
	write_file(dst, page, 0);
	run(&r, "copy %s %s --via %s --length 16M", peer->dev, dst,
	    e->m.vram.addr);
	igt_assert_eq(stat(dst, &st), 0);
	igt_info("the 6 MiB tmpfs took %lld bytes\n", (long long)st.st_size);
	igt_assert(st.st_size > 0 && st.st_size < (off_t)(16 * MiB));
	snprintf(msg, sizeof(msg), "p2pctl: copy: buffer -> DST %s at byte "
		 "%lld: No space left on device (ENOSPC)", dst,
		 (long long)st.st_size);
	expect_fail(&r, 1, msg);
	snprintf(msg, sizeof(msg), "p2pctl: copy: failed: %lld of 16777216 "
		 "bytes (", (long long)st.st_size);
	igt_assert_f(strstr(r.err, msg), "no '%s' in %s\n", msg, r.err);
	snprintf(msg, sizeof(msg), " of 16M) copied; DST holds SRC's bytes up "
		 "to DST offset %lld only\n", (long long)st.st_size);
	igt_assert_f(strstr(r.err, msg), "no '%s' in %s\n", msg, r.err);
	want = p2p_file_dup(peer->image, 0, st.st_size);
	p2p_check_file(dst, 0, want, st.st_size, "what was copied before ENOSPC");
	free(want);
	umount_tmpfs();
	unlink(SRC_FILE);
}

/* A copy of about 2 s in the test machine: 64 MiB, 4 KiB at a time. */
#define SLOW_COPY "copy %s %s --via %s --length 64M --block-size 4K " \
		  "--queue-depth 1 --json"

static void test_no_progress_without_tty(struct env *e)
{
	struct p2p_result r = { };
	struct p2p_json j = { };

	write_file(DST_FILE, (const uint8_t *)"", 0);
	run(&r, SLOW_COPY, e->nvme[PEER].dev, DST_FILE, e->m.vram.addr);
	expect_ok(&r);		/* stderr, a file, stays empty */
	p2p_json_parse(&j, r.out);
	igt_info("the copy took %s s with stderr a file\n",
		 p2p_json_text(&j, "seconds"));
	igt_assert_f(!strchr(r.out, '\r') && !strchr(r.out, '\033'),
		     "terminal control characters in stdout\n");
	unlink(DST_FILE);
}

static void test_progress_on_tty(struct env *e)
{
	struct p2p_spawn to_tty = P2P_SPAWN_DEFAULT;
	struct p2p_result r = { };
	struct p2p_json j = { };
	char tty[8192];
	int master, slave;
	struct p2p_proc p;
	size_t got = 0;
	double secs;
	ssize_t n;

	write_file(DST_FILE, (const uint8_t *)"", 0);
	p2p_pty_open(&master, &slave);
	to_tty.stderr_fd = slave;
	p2pctl_spawnf(&p, &to_tty, SLOW_COPY, e->nvme[PEER].dev, DST_FILE,
		      e->m.vram.addr);
	close(slave);
	/* Until the last writer closes the terminal: EIO. */
	while ((n = read(master, tty + got, sizeof(tty) - 1 - got)) > 0)
		got += n;
	tty[got] = '\0';
	close(master);
	p2p_collect(&p, &r);
	igt_assert_f(r.status == 0, "status %d; terminal: %s\n", r.status,
		     tty);

	p2p_json_parse(&j, r.out);
	secs = p2p_json_double(&j, "seconds");
	igt_info("the copy took %.2f s; %zu bytes on the terminal\n", secs,
		 got);
	if (secs < 0.9) {
		igt_assert_f(!got, "a bar for a copy under a second: %s\n", tty);
	} else if (secs > 1.3) {
		igt_assert_f(strstr(tty, "\r\033[Kcopy [") && strchr(tty, '%') &&
			     strstr(tty, "/s ETA "), "no progress bar on the "
			     "terminal: '%s'\n", tty);
		/* Erased at the end, so the report starts on a clean line. */
		igt_assert_f(got >= 4 && !strcmp(tty + got - 4, "\r\033[K"),
			     "the bar is left on the terminal\n");
	}
	unlink(DST_FILE);
}

igt_main
{
	struct env e = { 0 };

	igt_fixture {
		p2p_machine_load(&e.m);
		p2pctl_find();
		igt_require_f(!system("python3 -c '' 2>/dev/null"),
			      "no python3 to parse --json\n");
		for (int i = 0; i < 3; i++)
			disk_find(&e.nvme[i], e.m.nvme[i].serial,
				  e.m.nvme[i].image, &e.m.nvme[i].pci);
		if (e.m.vblk.serial[0])
			disk_find(&e.vblk, e.m.vblk.serial, e.m.vblk.image,
				  NULL);
	}

	igt_describe("NVMe -> VRAM BAR buffer -> NVMe, all below one switch: "
		     "the target image holds the source's bytes, both "
		     "directions are p2p with the topology's mode, the CPU "
		     "copied 0 bytes, the buffer stayed in the BAR; the human "
		     "report says the same.");
	igt_subtest("nvme-vram-nvme")
		test_nvme_vram_nvme(&e);

	igt_describe("NVMe -> VRAM -> the NVMe behind the other root port: "
		     "through the host bridge with no CPU copy where the CPU "
		     "routes P2P, else the buffer moves to system memory "
		     "(system: no-p2p-path) and the move's bytes are counted "
		     "as CPU bytes.");
	igt_subtest("far-nvme")
		test_far_nvme(&e);

	igt_describe("Without --via, the buffer goes on a provider every block "
		     "device reaches; when none does, the error says so and "
		     "what to do.");
	igt_subtest("auto-provider")
		test_auto_provider(&e);

	igt_describe("--via-gem with vgem: NVMe -> GEM dumb buffer -> NVMe, "
		     "both directions native with no CPU copy, the image "
		     "checked.");
	igt_subtest("via-gem-vgem")
		test_via_gem(&e);

	igt_describe("NVMe to a file on 9p through a vgem buffer: 9p has no "
		     "block device, so the CPU writes it; the filesystem "
		     "cannot pin vgem's mapping, p2pctl bounces and the file "
		     "holds the image's bytes.");
	igt_subtest("via-gem-to-9p-file")
		test_via_gem_to_9p(&e);

	igt_describe("--via-fd with an inherited udmabuf smaller than the "
		     "copy: the buffer is reused window by window, the image "
		     "checked.");
	igt_subtest("via-fd-udmabuf")
		test_via_fd_udmabuf(&e);

	igt_describe("--via-fd with a system dma-heap buffer: two windows, "
		     "native both ways, the image checked.");
	igt_subtest("via-fd-system-heap")
		test_via_fd_heap(&e);

	igt_describe("virtio-blk as DST and as SRC: that direction bounces, "
		     "the CPU bytes are exactly the length, both images "
		     "checked.");
	igt_subtest("virtio-blk-bounce")
		test_virtio_blk(&e);

	igt_describe("A tmpfs file to NVMe: read by the CPU (tmpfs has no "
		     "block device, or the kernel no FIDMABUFRW), written p2p, "
		     "the CPU bytes are the file's, the image checked.");
	igt_subtest("file-to-nvme")
		test_file_to_nvme(&e);

	igt_describe("NVMe to a tmpfs file at an unaligned offset: the file "
		     "grows and holds the image's bytes, written by the CPU, "
		     "which the report says why.");
	igt_subtest("nvme-to-file")
		test_nvme_to_file(&e);

	igt_describe("Files on ext4 (NVMe peer0's namespace 2) to NVMe: "
		     "FIDMABUFRW reads them peer-to-peer into the VRAM buffer "
		     "with no CPU copy, in one call per window; the text "
		     "report says so like a block device's; a hole reads as "
		     "zeros; an unaligned offset goes by the CPU and says why; "
		     "a file whose end is not aligned is read rounded up, the "
		     "kernel's zeros past end of file counted as CPU bytes.  "
		     "Every image checked against the ground truth.");
	igt_subtest("ext4-file-to-nvme")
		test_ext4_file_to_nvme(&e);

	igt_describe("NVMe to files on ext4: FIDMABUFRW writes peer-to-peer "
		     "with no CPU copy, growing a new file window by window "
		     "and touching only the range of a longer one; an "
		     "unaligned offset goes by the CPU and says why; a write "
		     "whose end is not aligned writes the whole blocks with "
		     "FIDMABUFRW and the rest with the CPU, the file ending "
		     "exactly where it should.  The files read back out of "
		     "the filesystem's image.");
	igt_subtest("nvme-to-ext4-file")
		test_nvme_to_ext4_file(&e);

	igt_describe("Files on ext4 by the io_uring engine: fixed reads and "
		     "writes of the files' blocks, checked on the disks' "
		     "images.");
	igt_subtest("ext4-io-uring")
		test_ext4_io_uring(&e);

	igt_describe("The engine and why: the ioctls where io_uring is "
		     "switched off, a failure when it was asked for, none "
		     "when the CPU copies both files.");
	igt_subtest("engine-fallback")
		test_engine_fallback(&e);

	igt_describe("--verify reports the first differing byte and exits 1 "
		     "when DST reads back wrong (one byte flipped in what it "
		     "reads), and passes when it reads back right.");
	igt_subtest("verify-mismatch")
		test_verify_mismatch(&e);

	igt_describe("Bad command lines exit 2 with the exact message and no "
		     "output; --help exits 0 with examples.");
	igt_subtest("usage-errors")
		test_usage_errors();

	igt_describe("Missing or wrong files, unaligned or out-of-range "
		     "offsets, overlapping ranges, unknown providers and "
		     "unusable buffers exit 1 with the object and the errno, "
		     "before any I/O.");
	igt_subtest("bad-objects")
		test_bad_objects(&e);

	igt_describe("Read-only DSTs (filesystem, permissions, block device) "
		     "and a DST that fills up exit 1, saying how much was "
		     "copied, which is what DST holds.");
	igt_subtest("failed-io")
		test_failed_io(&e);

	igt_describe("With stderr not a terminal, a copy of over a second "
		     "prints nothing but its report.");
	igt_subtest("no-progress-without-tty")
		test_no_progress_without_tty(&e);

	igt_describe("With stderr a terminal, a copy of over a second draws a "
		     "progress bar with rate and ETA and erases it at the end; "
		     "a shorter one draws none.");
	igt_subtest("progress-on-tty")
		test_progress_on_tty(&e);
}
