// SPDX-License-Identifier: MIT
/*
 * File I/O between regular files and dma-bufs through FIDMABUFRW
 * (include/uapi/linux/blk-dmabuf.h): the filesystem's own direct I/O,
 * with the file's extents turned into bios that carry a VRAM BAR buffer's
 * range.
 *
 * The filesystem is the test machine's ext4 on NVMe peer0's namespace 2
 * (lib/p2p_ext4.h), made by scripts/mkimages from seeded files that stay in
 * the run directory as ground truth:
 *
 *   seq.bin     48 MiB of data
 *   small.bin   4 KiB
 *   tail.bin    1 MiB + 1000 bytes: ends inside a block
 *   sparse.bin  1 MiB of data, a 2 MiB hole, 1 MiB of data
 *
 * Reads are checked against those files, through the buffer's mmap and in
 * the host's VRAM file at the buffer's BAR offsets.  Writes go to files the
 * test makes (and removes again), never to those four; the main write test
 * checks them after an unmount in the host's image of the namespace
 * (debugfs), where the data ends up, not in the guest's caches.  peer0
 * sits below the switch with the VRAM stand-in: where the topology says it
 * reaches the BAR, every read and write of data must take the native path
 * unless the call asks for the bounce path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/magic.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_ext4.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("Read and write regular files on ext4 straight into "
		     "and out of a VRAM BAR dma-buf with FIDMABUFRW: whole "
		     "files, ends of file and holes, writes checked in the "
		     "host's image after an unmount, the bounce path, and "
		     "every invalid input.");

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)

enum { CMB, PEER, FAR };

/* The ground-truth files (scripts/mkimages). */
static const char *const truth_files[] = {
	"seq.bin", "small.bin", "tail.bin", "sparse.bin",
};
#define SPARSE		"sparse.bin"
#define SPARSE_SIZE	(4 * MiB)
#define SPARSE_HOLE	(1 * MiB)	/* the hole: [1 MiB, 3 MiB) */
#define SPARSE_HOLE_END	(3 * MiB)
#define SPARSE_HOLE_LEN	(SPARSE_HOLE_END - SPARSE_HOLE)

/* Files the tests make; removed again, so reruns find the image as made. */
#define NEW_FILE	"p2p-file-io-new.bin"
#define COPY_FILE	"p2p-file-io-copy.bin"
#define BOUNCE_FILE	"p2p-file-io-bounce.bin"
#define BAD_FILE	"p2p-file-io-bad.bin"

/* The buffer's bytes where a read must not write. */
#define FILL		0xa5

struct env {
	struct p2p_machine m;
	struct p2p_ext4 fs;
	int dev;		/* /dev/dma-buf-p2p */
	/* peer0 reaches the VRAM BAR: its I/O must take the native path. */
	bool reach;
};

/* A dma-buf in the VRAM stand-in's BAR and its CPU mapping. */
struct vbuf {
	int fd;
	uint8_t *map;
	size_t size;
};

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* ------------------------------------------------------------------ */
/* Buffers                                                              */

static void vbuf_alloc(struct env *e, struct vbuf *b, size_t size)
{
	b->size = align_up(size, 4096);
	b->fd = p2p_alloc(e->dev, &e->m.vram, b->size, O_RDWR | O_CLOEXEC);
	b->map = p2p_map(b->fd, b->size);
}

static void vbuf_free(struct vbuf *b)
{
	munmap(b->map, b->size);
	close(b->fd);
	b->fd = -1;
}

static void vbuf_set(const struct vbuf *b, int c)
{
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(b->map, c, b->size);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

static void vbuf_fill(const struct vbuf *b, uint64_t off, const uint8_t *src,
		      size_t len)
{
	igt_assert(off + len <= b->size);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(b->map + off, src, len);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* [@off, @off + @len) of the buffer through its mmap is @want. */
static void vbuf_check(const struct vbuf *b, uint64_t off, const uint8_t *want,
		       size_t len, const char *what)
{
	char msg[256];

	igt_assert(off + len <= b->size);
	snprintf(msg, sizeof(msg), "%s, through the dma-buf's mmap at %#"
		 PRIx64, what, off);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_bytes(b->map + off, want, len, msg);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/* Every byte of the buffer outside [@off, @off + @len) is still FILL. */
static void vbuf_check_around(const struct vbuf *b, uint64_t off, size_t len,
			      const char *what)
{
	size_t n = off > b->size - off - len ? off : b->size - off - len;
	uint8_t *fill = p2p_xalloc(n ? n : 1);
	char msg[256];

	memset(fill, FILL, n);
	snprintf(msg, sizeof(msg), "%s: the buffer outside the range", what);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_bytes(b->map, fill, off, msg);
	p2p_check_bytes(b->map + off + len, fill, b->size - off - len, msg);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	free(fill);
}

/*
 * [@off, @off + @len) of the buffer in the host's VRAM file, at the BAR
 * offsets QUERY reports, is @want: the data is in the BAR itself.
 */
static void vbuf_check_vram(const struct env *e, const struct vbuf *b,
			    uint64_t off, const uint8_t *want, size_t len,
			    const char *what)
{
	struct p2p_query q;
	char msg[256];
	uint8_t *got;

	p2p_query(e->dev, b->fd, &q);
	if (!e->reach) {
		igt_info("%s: buffer placement %u, not checked in the VRAM "
			 "file\n", what, q.q.placement);
		return;
	}
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	got = p2p_vram_dup(&e->m, &q, off + len);
	snprintf(msg, sizeof(msg), "%s, in the VRAM file at the buffer's BAR "
		 "offsets", what);
	p2p_check_bytes(got + off, want, len, msg);
	free(got);
}

/* ------------------------------------------------------------------ */
/* FIDMABUFRW                                                           */

static int file_rw(int file, int buf, uint32_t flags, uint64_t buf_offset,
		   uint64_t file_offset, uint64_t length,
		   struct blk_dmabuf_rw *rw)
{
	*rw = (struct blk_dmabuf_rw){
		.dmabuf_fd = buf,
		.flags = flags,
		.buf_offset = buf_offset,
		.dev_offset = file_offset,
		.length = length,
	};
	return p2p_ioctl(file, FIDMABUFRW, rw);
}

static const char *path_name(uint32_t path)
{
	switch (path) {
	case BLK_DMABUF_PATH_NATIVE:
		return "native";
	case BLK_DMABUF_PATH_BOUNCE:
		return "bounce";
	default:
		return "?";
	}
}

/* FIDMABUFRW that must succeed; @what names the file. */
static void file_rw_ok(int file, const struct vbuf *b, uint32_t flags,
		       uint64_t buf_offset, uint64_t file_offset,
		       uint64_t length, struct blk_dmabuf_rw *rw,
		       const char *what)
{
	int err = file_rw(file, b->fd, flags, buf_offset, file_offset, length,
			  rw);

	igt_assert_f(!err, "FIDMABUFRW %s %" PRIu64 " bytes at %#" PRIx64
		     " of %s: %s\n",
		     flags & BLK_DMABUF_WRITE ? "writing" : "reading", length,
		     file_offset, what, strerror(-err));
	igt_info("%s %s %" PRIu64 " bytes at %#" PRIx64 ": path %s, maps %u, "
		 "cpu_bytes %" PRIu64 "\n", what,
		 flags & BLK_DMABUF_WRITE ? "write" : "read", length,
		 file_offset, path_name(rw->path), rw->maps,
		 (uint64_t)rw->cpu_bytes);
}

/*
 * A call that moved data through the device: the native path where peer0
 * reaches the buffer, and @cpu_bytes copied or cleared by the CPU.
 */
static void assert_native(const struct env *e, const struct blk_dmabuf_rw *rw,
			  uint64_t cpu_bytes)
{
	if (!e->reach)
		return;
	igt_assert_eq_u32(rw->path, BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq_u64(rw->cpu_bytes, cpu_bytes);
}

/* Bytes of [@off, @off + @len) of @fd that are in holes (SEEK_HOLE). */
static uint64_t hole_bytes(int fd, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, holes = 0, pos = off;

	while (pos < end) {
		off_t hole = lseek(fd, pos, SEEK_HOLE), data;

		igt_assert_f(hole >= 0, "SEEK_HOLE: %m\n");
		if ((uint64_t)hole >= end)
			break;
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0) {
			igt_assert_eq(errno, ENXIO);	/* a hole to the end */
			data = end;
		}
		holes += ((uint64_t)data < end ? (uint64_t)data : end) - hole;
		pos = data;
	}
	return holes;
}

/*
 * The native path for a read of @len bytes at @off of a file of @size:
 * the CPU clears the bytes past end of file; it also clears holes, and
 * may count them (the UAPI does not say): either is accepted.
 */
static void assert_read_native(const struct env *e, int fd,
			       const struct blk_dmabuf_rw *rw, uint64_t off,
			       uint64_t len, uint64_t size)
{
	uint64_t past_eof = off + len > size ? off + len - size : 0;
	uint64_t data_len = len - past_eof;
	uint64_t holes = hole_bytes(fd, off, data_len);

	if (!e->reach)
		return;
	if (holes && holes == data_len) {
		/* Only a hole: no device I/O, whichever path it reports. */
		igt_assert_f(rw->path == BLK_DMABUF_PATH_NATIVE ||
			     rw->path == BLK_DMABUF_PATH_BOUNCE,
			     "path %u\n", rw->path);
	} else {
		igt_assert_eq_u32(rw->path, BLK_DMABUF_PATH_NATIVE);
	}
	igt_assert_f(rw->cpu_bytes == past_eof ||
		     (holes && rw->cpu_bytes == past_eof + holes),
		     "cpu_bytes %" PRIu64 ": expected %" PRIu64 " past end of "
		     "file (+ %" PRIu64 " in holes)\n",
		     (uint64_t)rw->cpu_bytes, past_eof, holes);
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

static void remove_file(const struct env *e, const char *name)
{
	char path[PATH_MAX];

	p2p_ext4_path(&e->fs, name, path, sizeof(path));
	igt_assert_f(!unlink(path) || errno == ENOENT, "unlink %s: %m\n",
		     path);
}

/* All of @len at @off through the page cache (plain pread). */
static uint8_t *pread_dup(int fd, uint64_t off, size_t len, const char *what)
{
	uint8_t *buf = p2p_xalloc(len);

	p2p_pread_all(fd, buf, len, off, what);
	return buf;
}

static void write_all(int fd, const uint8_t *src, size_t len, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, src + done, len - done);

		igt_assert_f(n > 0, "writing %s: %m\n", what);
		done += n;
	}
}

/* @fd holds exactly @want (@len bytes). */
static void check_fd(int fd, const uint8_t *want, size_t len, const char *what)
{
	struct stat st;
	uint8_t *got;

	igt_assert_eq(fstat(fd, &st), 0);
	igt_assert_f((uint64_t)st.st_size == len, "%s is %lld bytes, expected "
		     "%zu\n", what, (long long)st.st_size, len);
	got = pread_dup(fd, 0, len, what);
	p2p_check_bytes(got, want, len, what);
	free(got);
}

/* [@off, @off + @len) of ground-truth file @name. */
static uint8_t *truth_range(const struct env *e, const char *name,
			   uint64_t off, size_t len)
{
	char path[PATH_MAX + 256];

	p2p_ext4_truth_path(&e->fs, name, path, sizeof(path));
	return p2p_file_dup(path, off, len);
}

/* ------------------------------------------------------------------ */
/* The tests                                                            */

/*
 * @name read whole, rounded up to the logical block size, into a buffer
 * at @buf_offset: the file's bytes, zeros past its end, nothing else of
 * the buffer touched.
 */
static void read_whole(struct env *e, const char *name, uint64_t buf_offset)
{
	const uint32_t lbs = e->fs.lbs;
	struct blk_dmabuf_rw rw;
	uint64_t size, len;
	uint8_t *want;
	struct vbuf b;
	char what[128];
	int fd;

	size = p2p_ext4_truth_size(&e->fs, name);
	len = align_up(size, lbs);
	/* Zeros past the file's end: what the read must leave there. */
	want = p2p_ext4_truth_dup(&e->fs, name, len, &size);
	snprintf(what, sizeof(what), "%s (%" PRIu64 " bytes, read as %" PRIu64
		 ") at buffer offset %" PRIu64, name, size, len, buf_offset);

	/* A page of FILL after the range, to catch a read that overruns. */
	vbuf_alloc(e, &b, buf_offset + len + 4096);
	vbuf_set(&b, FILL);
	fd = p2p_ext4_open(&e->fs, name, O_RDONLY, 0);
	file_rw_ok(fd, &b, 0, buf_offset, 0, len, &rw, name);
	assert_read_native(e, fd, &rw, 0, len, size);

	vbuf_check(&b, buf_offset, want, len, what);
	vbuf_check_around(&b, buf_offset, len, what);
	vbuf_check_vram(e, &b, buf_offset, want, len, what);

	close(fd);
	vbuf_free(&b);
	free(want);
}

static void test_read_files(struct env *e)
{
	for (size_t i = 0; i < sizeof(truth_files) / sizeof(*truth_files); i++)
		read_whole(e, truth_files[i], 0);
	/* Not at the buffer's start, and not at a page boundary either. */
	read_whole(e, "tail.bin", 4096 + e->fs.lbs);
	read_whole(e, "small.bin", 64 * KiB);
}

static void test_read_holes(struct env *e)
{
	const uint64_t buf_offset = 64 * KiB, lbs = e->fs.lbs;
	const struct {
		const char *what;
		uint64_t off, len;
	} cases[] = {
		{ "the whole file", 0, SPARSE_SIZE },
		{ "the hole", SPARSE_HOLE, SPARSE_HOLE_LEN },
		{ "inside the hole only", SPARSE_HOLE + 512 * KiB, MiB },
		{ "one block inside the hole", 2 * MiB + lbs, lbs },
		{ "data into the hole", 512 * KiB, MiB },
		{ "the hole into data", SPARSE_HOLE_END - 512 * KiB, MiB },
		{ "the hole's last block and the data's first",
		  SPARSE_HOLE_END - lbs, 2 * lbs },
	};
	uint8_t *truth, *zeros;
	struct vbuf b;
	uint64_t size;
	int fd;

	truth = p2p_ext4_truth_dup(&e->fs, SPARSE, 0, &size);
	igt_assert_eq_u64(size, SPARSE_SIZE);
	zeros = p2p_xalloc(SPARSE_SIZE);
	memset(zeros, 0, SPARSE_SIZE);
	/* The ground truth: zeros in the hole, data around it. */
	p2p_check_bytes(truth + SPARSE_HOLE, zeros, SPARSE_HOLE_LEN,
			"the ground truth's hole");
	igt_assert(memcmp(truth, zeros, SPARSE_HOLE));
	igt_assert(memcmp(truth + SPARSE_HOLE_END, zeros,
			  SPARSE_SIZE - SPARSE_HOLE_END));

	fd = p2p_ext4_open(&e->fs, SPARSE, O_RDONLY, 0);
	/* Otherwise the test reads zeros from the disk and proves nothing. */
	igt_assert_f(hole_bytes(fd, 0, SPARSE_SIZE) == SPARSE_HOLE_LEN &&
		     hole_bytes(fd, SPARSE_HOLE, SPARSE_HOLE_LEN) ==
		     SPARSE_HOLE_LEN,
		     "%s in the filesystem has no hole at [1 MiB, 3 MiB)\n",
		     SPARSE);

	vbuf_alloc(e, &b, buf_offset + SPARSE_SIZE + 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct blk_dmabuf_rw rw;
		char what[160];

		snprintf(what, sizeof(what), "%s: %s, %" PRIu64 " bytes at %#"
			 PRIx64, SPARSE, cases[i].what, cases[i].len,
			 cases[i].off);
		vbuf_set(&b, FILL);
		file_rw_ok(fd, &b, 0, buf_offset, cases[i].off, cases[i].len,
			   &rw, what);
		assert_read_native(e, fd, &rw, cases[i].off, cases[i].len,
				   SPARSE_SIZE);
		vbuf_check(&b, buf_offset, truth + cases[i].off, cases[i].len,
			   what);
		vbuf_check_around(&b, buf_offset, cases[i].len, what);
		vbuf_check_vram(e, &b, buf_offset, truth + cases[i].off,
				cases[i].len, what);
	}
	vbuf_free(&b);
	close(fd);
	free(zeros);
	free(truth);
}

static void test_write_verify(struct env *e)
{
	const uint64_t lbs = e->fs.lbs;
	/* New: ends one logical block into a filesystem block. */
	const uint64_t new_len = 2 * MiB + lbs;
	/* Copy: 4 MiB of seq.bin, 1 MiB overwritten off block boundaries. */
	const uint64_t copy_len = 4 * MiB, over_off = 3 * MiB / 2 + lbs;
	const uint64_t over_len = MiB, over_buf = 512 * KiB;
	/* What the image must hold; the last two the test never opens. */
	const char *const names[] = {
		NEW_FILE, COPY_FILE, "small.bin", "tail.bin",
	};
	uint8_t *want[4], *got[4];
	uint64_t want_len[4], got_len[4];
	struct blk_dmabuf_rw rw;
	uint8_t *pattern, *seq;
	struct vbuf b;
	int fd;

	seq = truth_range(e, "seq.bin", 0, copy_len);
	pattern = p2p_xalloc(new_len);
	p2p_fill_pattern(pattern, new_len, 0xf11e);
	igt_assert(over_buf + over_len <= new_len);
	igt_assert(memcmp(pattern + over_buf, seq + over_off, over_len));

	remove_file(e, NEW_FILE);
	remove_file(e, COPY_FILE);
	vbuf_alloc(e, &b, new_len);
	vbuf_fill(&b, 0, pattern, new_len);

	/* A new file, written whole from the buffer: it grows. */
	fd = p2p_ext4_open(&e->fs, NEW_FILE, O_CREAT | O_EXCL | O_WRONLY, 0644);
	file_rw_ok(fd, &b, BLK_DMABUF_WRITE, 0, 0, new_len, &rw, NEW_FILE);
	assert_native(e, &rw, 0);
	igt_assert_eq(fsync(fd), 0);
	close(fd);
	want[0] = pattern;
	want_len[0] = new_len;

	/*
	 * A copy of seq.bin's start written through the page cache, then
	 * the buffer over its middle: the cached pages must not hide it.
	 */
	fd = p2p_ext4_open(&e->fs, COPY_FILE, O_CREAT | O_EXCL | O_RDWR, 0644);
	write_all(fd, seq, copy_len, COPY_FILE);
	igt_assert_eq(fsync(fd), 0);
	check_fd(fd, seq, copy_len, "the copy before the write");
	file_rw_ok(fd, &b, BLK_DMABUF_WRITE, over_buf, over_off, over_len, &rw,
		   COPY_FILE);
	assert_native(e, &rw, 0);
	want[1] = p2p_xalloc(copy_len);
	want_len[1] = copy_len;
	memcpy(want[1], seq, copy_len);
	memcpy(want[1] + over_off, pattern + over_buf, over_len);
	check_fd(fd, want[1], copy_len, "the copy through the page cache");
	igt_assert_eq(fsync(fd), 0);
	close(fd);
	vbuf_free(&b);

	for (int i = 2; i < 4; i++)
		want[i] = p2p_ext4_truth_dup(&e->fs, names[i], 0, &want_len[i]);

	/* Where the data ended up: the host's image, after an unmount. */
	igt_assert_eq(p2p_ext4_umount(&e->fs), 0);
	p2p_ext4_image_dup_n(&e->fs, names, 4, got, got_len);
	for (int i = 0; i < 4; i++) {
		char msg[PATH_MAX + 128];

		igt_assert_f(got[i], "no /%s in %s\n", names[i],
			     e->fs.image);
		igt_assert_f(got_len[i] == want_len[i], "/%s in %s is %" PRIu64
			     " bytes, expected %" PRIu64 "\n", names[i],
			     e->fs.image, got_len[i], want_len[i]);
		snprintf(msg, sizeof(msg), "/%s in the host's image %s",
			 names[i], e->fs.image);
		p2p_check_bytes(got[i], want[i], want_len[i], msg);
		free(got[i]);
	}

	p2p_ext4_mount(&e->fs);
	remove_file(e, NEW_FILE);
	remove_file(e, COPY_FILE);
	fd = p2p_ext4_open(&e->fs, ".", O_RDONLY | O_DIRECTORY, 0);
	igt_assert_eq(syncfs(fd), 0);
	close(fd);

	for (int i = 1; i < 4; i++)
		free(want[i]);
	free(pattern);
	free(seq);
}

static void test_bounce(struct env *e)
{
	const uint64_t off = 8 * MiB, len = 16 * MiB, wlen = 4 * MiB;
	const uint32_t lbs = e->fs.lbs;
	struct blk_dmabuf_rw rw;
	uint8_t *seq, *tail, *pattern;
	uint64_t tail_size, tail_len;
	struct p2p_query q;
	struct vbuf b;
	int fd;

	igt_assert(p2p_ext4_truth_size(&e->fs, "seq.bin") >= off + len);
	seq = truth_range(e, "seq.bin", off, len);
	vbuf_alloc(e, &b, len + 4096);

	/* Data: every byte through system pages, copied by the CPU. */
	vbuf_set(&b, FILL);
	fd = p2p_ext4_open(&e->fs, "seq.bin", O_RDONLY, 0);
	file_rw_ok(fd, &b, BLK_DMABUF_BOUNCE, 0, off, len, &rw, "seq.bin");
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u32(rw.maps, 0);
	igt_assert_eq_u64(rw.cpu_bytes, len);
	close(fd);
	vbuf_check(&b, 0, seq, len, "16 MiB of seq.bin bounced");
	vbuf_check_around(&b, 0, len, "16 MiB of seq.bin bounced");
	/* No device attached: the buffer stayed in the BAR. */
	p2p_query(e->dev, b.fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	vbuf_check_vram(e, &b, 0, seq, len, "16 MiB of seq.bin bounced");

	/* The end of a file: its bytes, then zeros, all counted. */
	tail_size = p2p_ext4_truth_size(&e->fs, "tail.bin");
	tail_len = align_up(tail_size, lbs);
	tail = p2p_ext4_truth_dup(&e->fs, "tail.bin", tail_len, &tail_size);
	vbuf_set(&b, FILL);
	fd = p2p_ext4_open(&e->fs, "tail.bin", O_RDONLY, 0);
	file_rw_ok(fd, &b, BLK_DMABUF_BOUNCE, 0, 0, tail_len, &rw, "tail.bin");
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u64(rw.cpu_bytes, tail_len);
	close(fd);
	vbuf_check(&b, 0, tail, tail_len, "tail.bin bounced");
	vbuf_check_around(&b, 0, tail_len, "tail.bin bounced");

	/* A write to a new file, read back through the page cache. */
	pattern = p2p_xalloc(wlen);
	p2p_fill_pattern(pattern, wlen, 0xb0c3);
	vbuf_fill(&b, 0, pattern, wlen);
	remove_file(e, BOUNCE_FILE);
	fd = p2p_ext4_open(&e->fs, BOUNCE_FILE, O_CREAT | O_EXCL | O_RDWR,
			   0644);
	file_rw_ok(fd, &b, BLK_DMABUF_WRITE | BLK_DMABUF_BOUNCE, 0, 0, wlen,
		   &rw, BOUNCE_FILE);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u32(rw.maps, 0);
	igt_assert_eq_u64(rw.cpu_bytes, wlen);
	check_fd(fd, pattern, wlen, "the file written through the bounce path");
	close(fd);
	remove_file(e, BOUNCE_FILE);

	vbuf_free(&b);
	free(pattern);
	free(tail);
	free(seq);
}

/* The files and buffers the bad-input cases name. */
enum { F_RW, F_RDONLY, F_WRONLY, F_APPEND, F_TAIL, F_TMPFS, F_DIR, F_NR };
enum { B_OK, B_RDONLY, B_NOT_DMABUF, B_CLOSED, B_NR };
enum { DIR_BOTH, DIR_READ, DIR_WRITE };

struct bad_case {
	const char *what;
	int err;
	int dir;
	int file;
	int buf;
	uint32_t flags;		/* beside the direction */
	uint64_t buf_offset, file_offset, length;
	uint32_t path, maps;
	uint64_t cpu_bytes;
};

#define BAD_SIZE	(64 * KiB)

static void test_bad_input(struct env *e)
{
	const uint64_t L = e->fs.lbs;
	const uint64_t tail_size = p2p_ext4_truth_size(&e->fs, "tail.bin");
	const uint64_t tail_end = align_up(tail_size, L);
	const uint64_t S = MiB;	/* the buffer's size */
	char tmpfs_path[] = "/tmp/p2p-file-io.XXXXXX", path[PATH_MAX];
	uint8_t *want, *pattern, *tmpfs_want;
	int file[F_NR], buf[B_NR];
	struct blk_dmabuf_rw rw;
	struct statfs sfs;
	struct vbuf b;

	/* Good values but for what a case changes: 4 KiB at offset 0. */
#define AT0	.length = 4096
	const struct bad_case cases[] = {
		{ "write to a file opened O_RDONLY", EBADF, DIR_WRITE,
		  F_RDONLY, B_OK, 0, AT0 },
		{ "read from a file opened O_WRONLY", EBADF, DIR_READ,
		  F_WRONLY, B_OK, 0, AT0 },
		{ "write to a file opened O_APPEND", EINVAL, DIR_WRITE,
		  F_APPEND, B_OK, 0, AT0 },
		{ "file offset not block aligned", EINVAL, DIR_BOTH, F_RW, B_OK,
		  0, .file_offset = L / 2, .length = 4096 },
		{ "buffer offset not block aligned", EINVAL, DIR_BOTH, F_RW,
		  B_OK, 0, .buf_offset = L / 2, .length = 4096 },
		{ "length not block aligned", EINVAL, DIR_BOTH, F_RW, B_OK, 0,
		  .length = 4096 + L / 2 },
		{ "zero length", EINVAL, DIR_BOTH, F_RW, B_OK, 0,
		  .file_offset = 4096 },
		{ "read of the block past the one holding end of file", ERANGE,
		  DIR_READ, F_TAIL, B_OK, 0, .file_offset = tail_end,
		  .length = L },
		{ "read from the start one block past end of file", ERANGE,
		  DIR_READ, F_TAIL, B_OK, 0, .length = tail_end + L },
		{ "read at end of a block-sized file", ERANGE, DIR_READ, F_RW,
		  B_OK, 0, .file_offset = BAD_SIZE, .length = L },
		{ "read with file offset + length overflowing", ERANGE,
		  DIR_READ, F_RW, B_OK, 0, .file_offset = ~(L - 1),
		  .length = 4096 },
		{ "write past the filesystem's largest file", EFBIG, DIR_WRITE,
		  F_RW, B_OK, 0, .file_offset = 1ull << 50, .length = 4096 },
		{ "a file on tmpfs", EOPNOTSUPP, DIR_BOTH, F_TMPFS, B_OK, 0,
		  AT0 },
		{ "a directory", ENOTTY, DIR_BOTH, F_DIR, B_OK, 0, AT0 },
		{ "fd not a dma-buf", EINVAL, DIR_BOTH, F_RW, B_NOT_DMABUF, 0,
		  AT0 },
		{ "closed dma-buf fd", EBADF, DIR_BOTH, F_RW, B_CLOSED, 0,
		  AT0 },
		{ "read into a dma-buf opened O_RDONLY", EACCES, DIR_READ, F_RW,
		  B_RDONLY, 0, AT0 },
		{ "buffer range past its end", ERANGE, DIR_BOTH, F_RW, B_OK, 0,
		  .buf_offset = S - 4096, .length = 8192 },
		{ "unknown flag 1 << 2", EINVAL, DIR_BOTH, F_RW, B_OK, 1u << 2,
		  AT0 },
		{ "unknown flag 1 << 31", EINVAL, DIR_BOTH, F_RW, B_OK,
		  1u << 31, AT0 },
		{ "path (out) set", EINVAL, DIR_BOTH, F_RW, B_OK, 0, AT0,
		  .path = BLK_DMABUF_PATH_NATIVE },
		{ "maps (out) set", EINVAL, DIR_BOTH, F_RW, B_OK, 0, AT0,
		  .maps = 1 },
		{ "cpu_bytes (out) set", EINVAL, DIR_BOTH, F_RW, B_OK, 0, AT0,
		  .cpu_bytes = 4096 },
	};
#undef AT0

	/* The target: 64 KiB written through the page cache. */
	want = p2p_xalloc(BAD_SIZE);
	p2p_fill_pattern(want, BAD_SIZE, 0xbad0);
	remove_file(e, BAD_FILE);
	file[F_RW] = p2p_ext4_open(&e->fs, BAD_FILE,
				   O_CREAT | O_EXCL | O_RDWR, 0644);
	write_all(file[F_RW], want, BAD_SIZE, BAD_FILE);
	igt_assert_eq(fsync(file[F_RW]), 0);
	file[F_RDONLY] = p2p_ext4_open(&e->fs, BAD_FILE, O_RDONLY, 0);
	file[F_WRONLY] = p2p_ext4_open(&e->fs, BAD_FILE, O_WRONLY, 0);
	file[F_APPEND] = p2p_ext4_open(&e->fs, BAD_FILE,
				       O_WRONLY | O_APPEND, 0);
	file[F_TAIL] = p2p_ext4_open(&e->fs, "tail.bin", O_RDONLY, 0);
	file[F_DIR] = p2p_ext4_open(&e->fs, ".", O_RDONLY | O_DIRECTORY, 0);

	/* A file where no block device is: the guest's /tmp. */
	igt_assert_eq(statfs("/tmp", &sfs), 0);
	igt_assert_f(sfs.f_type == TMPFS_MAGIC, "/tmp is not tmpfs here\n");
	file[F_TMPFS] = mkostemp(tmpfs_path, O_CLOEXEC);
	igt_assert_fd(file[F_TMPFS]);
	tmpfs_want = p2p_xalloc(BAD_SIZE);
	p2p_fill_pattern(tmpfs_want, BAD_SIZE, 0xbad1);
	write_all(file[F_TMPFS], tmpfs_want, BAD_SIZE, tmpfs_path);

	vbuf_alloc(e, &b, S);
	buf[B_OK] = b.fd;
	igt_assert_eq(__p2p_alloc(e->dev, &e->m.vram, S, O_RDONLY | O_CLOEXEC,
				  &buf[B_RDONLY]), 0);
	buf[B_NOT_DMABUF] = open("/dev/null", O_RDWR | O_CLOEXEC);
	igt_assert_fd(buf[B_NOT_DMABUF]);
	buf[B_CLOSED] = p2p_closed_fd();

	/* Controls: good calls work, and write back the file's own bytes. */
	vbuf_set(&b, FILL);
	file_rw_ok(file[F_RW], &b, 0, 0, 0, BAD_SIZE, &rw, BAD_FILE);
	vbuf_check(&b, 0, want, BAD_SIZE, "the control read");
	file_rw_ok(file[F_RW], &b, BLK_DMABUF_WRITE, 0, 0, BAD_SIZE, &rw,
		   BAD_FILE);
	file_rw_ok(file[F_RDONLY], &b, 0, 0, 0, 4096, &rw, BAD_FILE);
	file_rw_ok(file[F_WRONLY], &b, BLK_DMABUF_WRITE, 0, 0, 4096, &rw,
		   BAD_FILE);
	file_rw_ok(file[F_TAIL], &b, 0, 0, tail_end - L, L, &rw, "tail.bin");
	check_fd(file[F_RW], want, BAD_SIZE, "after the good calls");

	/* From here on nothing may move: the buffer holds other bytes. */
	pattern = p2p_xalloc(S);
	p2p_fill_pattern(pattern, S, 0xbad2);
	vbuf_fill(&b, 0, pattern, S);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct bad_case *c = &cases[i];

		for (int d = 0; d < 2; d++) {
			struct blk_dmabuf_rw r = {
				.dmabuf_fd = buf[c->buf],
				.flags = (d ? BLK_DMABUF_WRITE : 0) | c->flags,
				.buf_offset = c->buf_offset,
				.dev_offset = c->file_offset,
				.length = c->length,
				.path = c->path,
				.maps = c->maps,
				.cpu_bytes = c->cpu_bytes,
			};
			int err;

			if ((c->dir == DIR_READ && d) ||
			    (c->dir == DIR_WRITE && !d))
				continue;
			err = p2p_ioctl(file[c->file], FIDMABUFRW, &r);
			igt_info("FIDMABUFRW %s, %s: %s\n",
				 d ? "write" : "read", c->what,
				 err ? strerror(-err) : "success");
			igt_assert_f(err == -c->err, "%s (%s): got %s, "
				     "expected %s\n", c->what,
				     d ? "write" : "read",
				     err ? strerror(-err) : "success",
				     strerror(c->err));
			/* Nothing moved, nothing was written back. */
			igt_assert_eq_u32(r.path, c->path);
			igt_assert_eq_u32(r.maps, c->maps);
			igt_assert_eq_u64(r.cpu_bytes, c->cpu_bytes);
			check_fd(file[F_RW], want, BAD_SIZE, c->what);
			check_fd(file[F_TMPFS], tmpfs_want, BAD_SIZE, c->what);
		}
	}
	vbuf_check(&b, 0, pattern, S, "the buffer after the bad calls");

	for (int i = 0; i < F_NR; i++)
		close(file[i]);
	close(buf[B_RDONLY]);
	close(buf[B_NOT_DMABUF]);
	vbuf_free(&b);
	unlink(tmpfs_path);
	p2p_ext4_path(&e->fs, BAD_FILE, path, sizeof(path));
	igt_assert_eq(unlink(path), 0);
	free(tmpfs_want);
	free(pattern);
	free(want);
}

igt_main
{
	struct env e = { .dev = -1 };

	igt_fixture {
		struct blk_dmabuf_rw rw = { .dmabuf_fd = -1 };
		int fd, err;

		p2p_machine_load(&e.m);
		p2p_ext4_load(&e.fs);
		e.dev = p2p_dev_open();
		e.reach = p2p_expected_mode(&e.m.vram, &e.m.nvme[PEER].pci,
					    e.m.host_bridge_p2p) !=
			  DMA_BUF_P2P_MODE_SYSTEM;
		igt_info("peer0 %s the VRAM BAR; ext4 on %s, %u-byte blocks\n",
			 e.reach ? "reaches" : "does not reach", e.fs.dev,
			 e.fs.lbs);
		p2p_ext4_umount_at_exit(&e.fs);
		p2p_ext4_mount(&e.fs);

		/* A kernel without FIDMABUFRW says ENOTTY to anything. */
		fd = p2p_ext4_open(&e.fs, "small.bin", O_RDONLY, 0);
		err = p2p_ioctl(fd, FIDMABUFRW, &rw);
		close(fd);
		igt_assert_f(err == -EBADF, "FIDMABUFRW with dmabuf_fd -1: %s, "
			     "expected EBADF%s\n", strerror(-err),
			     err == -ENOTTY ?
			     " (no FIDMABUFRW in this kernel)" : "");
	}

	igt_describe("Each ground-truth file read whole (rounded up to the "
		     "logical block size) into a VRAM BAR buffer filled with "
		     "another byte: the file's bytes in the mmap and in the "
		     "host's VRAM file, zeros past end of file, nothing else "
		     "of the buffer touched; the native path, the CPU clearing "
		     "only the bytes past end of file (and holes).");
	igt_subtest("read-files")
		test_read_files(&e);

	igt_describe("sparse.bin's hole reads as zeros over a filled buffer: "
		     "the whole file, the hole, ranges inside it, and ranges "
		     "across its edges.");
	igt_subtest("read-holes")
		test_read_holes(&e);

	igt_describe("Writes from a VRAM buffer: a new file (ending inside a "
		     "filesystem block) and the middle of a copy written "
		     "through the page cache, off block boundaries; after "
		     "fsync and an unmount the host's image holds exactly "
		     "those bytes, the rest of the copy and the other files "
		     "intact.");
	igt_subtest("write-verify-after-unmount")
		test_write_verify(&e);

	igt_describe("BLK_DMABUF_BOUNCE: reads (also across end of file) and "
		     "a write take the bounce path, the CPU copies exactly the "
		     "bytes moved, no device attaches, the data is right.");
	igt_subtest("bounce")
		test_bounce(&e);

	igt_describe("FIDMABUFRW rejects every kind of bad input with the "
		     "documented errno, and nothing moves: the files and the "
		     "buffer keep their bytes.");
	igt_subtest("bad-input")
		test_bad_input(&e);

	igt_fixture {
		igt_assert_eq(p2p_ext4_umount(&e.fs), 0);
		close(e.dev);
	}
}
