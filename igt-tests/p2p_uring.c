// SPDX-License-Identifier: MIT
/*
 * io_uring with DMA-BUFs as registered buffers (IORING_REGISTER_DMABUF,
 * patches/0011, userspace/include/io_uring_dmabuf.h): a dma-buf goes into a
 * slot of a sparse registered buffer table, bound to one block device, and
 * IORING_OP_READ_FIXED / WRITE_FIXED on O_DIRECT files of that device take
 * byte offsets into it.  NVMe peer0 reads into and writes out of a VRAM BAR
 * buffer 32 requests at a time, raw and through files of the ext4 on its
 * namespace 2; the bounce path; both on an IOPOLL ring; every invalid
 * input; a system-heap buffer larger than 1 GiB; buffers that move or whose
 * provider goes away under a stream of reads; a slot emptied while requests
 * are in flight; and user memory next to a dma-buf in one table.
 *
 * Ground truth is what the host can read, as in p2p_blk_io.c: the disk
 * images and the VRAM file in the run directory, which the guest sees at
 * the same path through the 9p share (read around the page cache), and the
 * ext4's seeded files (lib/p2p_ext4.h).  Every completed read is checked
 * byte for byte as it completes, and the whole buffer again at the end
 * against a model of what each request put where (so a stray write shows).
 *
 * Disk regions (the NVMe images are 128 MiB; see p2p_blk_io.c's map):
 *
 *   peer0 [0, 64 MiB)     read region: only ever read
 *   peer0 [72, 96 MiB)    this test's write region (unused by the others),
 *                         saved first and written back (lib/p2p_slice.h)
 *   vblk  [0, 32 MiB)     read region
 *   ext4: seq.bin is read; the writes go to a file made and removed again
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/fs.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_ext4.h"
#include "p2p_proc.h"
#include "p2p_slice.h"
#include "p2p_topology.h"
#include "p2p_uring.h"

IGT_TEST_DESCRIPTION("DMA-BUFs as io_uring registered buffers: fixed reads "
		     "and writes at queue depth 32 between NVMe (raw and "
		     "ext4 files) and a VRAM BAR buffer, the bounce path, "
		     "polled I/O, bad input, buffers past 1 GiB, moves and "
		     "provider unbind under a stream, and unregistration "
		     "freeing the buffer.");

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

#define QD		32
#define RING_ENTRIES	64
#define NR_SLOTS	8	/* the sparse table */
#define SLOT		5	/* the slot the tests use: not the first */

#define READ_REGION	(64 * MiB)	/* of peer0 */
#define READ_BUF	(64 * MiB)
#define READ_CHUNK	(1 * MiB)
#define READ_IOS	128
#define WRITE_OFF	(72 * MiB)	/* of peer0 */
#define WRITE_LEN	(24 * MiB)
#define WRITE_PIECE_MAX	(512 * KiB)
#define MAX_PIECES	(WRITE_LEN / 512)
#define VBLK_REGION	(32 * MiB)

#define SEQ_FILE	"seq.bin"	/* 48 MiB of seeded data */
#define SMALL_FILE	"small.bin"	/* 4 KiB */
#define NEW_FILE	"p2p-uring-new.bin"

#define EXPORTER_BUFFERS "/sys/kernel/debug/dma-buf-p2p/buffers"

enum { CMB, PEER, FAR };

struct env {
	struct p2p_machine m;
	int dev;		/* /dev/dma-buf-p2p */
	char peer_dev[48];	/* peer0's namespace 1, "/dev/nvme1n1" */
	const char *peer_image;
	int peer;		/* it, O_RDWR | O_DIRECT */
	uint32_t lbs;		/* its logical block size */
	/* The mode the exporter gives peer0 for VRAM memory. */
	uint32_t peer_mode;
	bool pin_kernel;	/* no CONFIG_DMABUF_MOVE_NOTIFY: mapping pins */
	struct p2p_ext4 fs;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static uint64_t rnd(uint64_t *state)
{
	return p2p_splitmix64(state);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *path_name(uint32_t path)
{
	return path == BLK_DMABUF_PATH_NATIVE ? "native" :
	       path == BLK_DMABUF_PATH_BOUNCE ? "bounce" : "?";
}

/* A block device by name, O_DIRECT plus @flags, close-on-exec. */
static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT | O_CLOEXEC);

	igt_assert_f(fd >= 0, "cannot open %s with O_DIRECT: %m\n", path);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Buffers: a dma-buf, its CPU mapping, and a model of its bytes         */

struct vbuf {
	int fd;
	uint8_t *map;
	size_t size;
	uint8_t *model;		/* what the buffer must hold */
};

static void vbuf_init(struct vbuf *b, int fd, size_t size, int fill)
{
	b->fd = fd;
	b->size = size;
	b->map = p2p_map(fd, size);
	b->model = p2p_xalloc(size);
	memset(b->model, fill, size);
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(b->map, fill, size);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* A VRAM BAR buffer of @size, every byte @fill. */
static void vbuf_vram(struct env *e, struct vbuf *b, size_t size, int fill)
{
	vbuf_init(b, p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC),
		  size, fill);
}

/* The buffer's bytes become @src (and the model with them). */
static void vbuf_fill(struct vbuf *b, const uint8_t *src)
{
	memcpy(b->model, src, b->size);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(b->map, src, b->size);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* The whole buffer holds its model: through the mmap, inside CPU access. */
static void vbuf_check(const struct vbuf *b, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s, the whole buffer through its mmap",
		 what);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_bytes(b->map, b->model, b->size, msg);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/* A BAR buffer holds its model in the host's VRAM file too. */
static void vbuf_check_vram(const struct env *e, const struct vbuf *b,
			    const char *what)
{
	struct p2p_query q;
	char msg[160];
	uint8_t *got;

	p2p_query(e->dev, b->fd, &q);
	igt_assert_f(q.q.placement == DMA_BUF_P2P_PLACEMENT_BAR,
		     "%s: the buffer is not in the BAR\n", what);
	got = p2p_vram_dup(&e->m, &q, b->size);
	snprintf(msg, sizeof(msg), "%s, in the VRAM file at the buffer's BAR "
		 "offsets", what);
	p2p_check_bytes(got, b->model, b->size, msg);
	free(got);
}

static void vbuf_free(struct vbuf *b)
{
	munmap(b->map, b->size);
	close(b->fd);
	free(b->model);
	b->fd = -1;
}

/* ------------------------------------------------------------------ */
/* Counters: the importer's and the block layer's (debugfs)              */

struct counters {
	long long imports, maps, invalidations, cpu_bytes;
	long long native_bytes, bounce_bytes;
};

static void read_counters(struct counters *c)
{
	c->imports = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
	c->maps = p2p_debugfs_key(P2P_IMPORT_STATS, "maps");
	c->invalidations = p2p_debugfs_key(P2P_IMPORT_STATS, "invalidations");
	c->cpu_bytes = p2p_debugfs_key(P2P_IMPORT_STATS, "cpu_bytes");
	c->native_bytes = p2p_debugfs_key(P2P_BLK_STATS, "native_bytes");
	c->bounce_bytes = p2p_debugfs_key(P2P_BLK_STATS, "bounce_bytes");
}

/* Every byte between @a and @b went the native way, none by the CPU. */
static void assert_all_native(const struct counters *a,
			      const struct counters *b, uint64_t bytes)
{
	igt_assert_f(b->native_bytes - a->native_bytes == (long long)bytes,
		     "%lld bytes went the native way, expected %" PRIu64 "\n",
		     b->native_bytes - a->native_bytes, bytes);
	igt_assert_f(b->bounce_bytes == a->bounce_bytes,
		     "%lld bytes bounced, expected none\n",
		     b->bounce_bytes - a->bounce_bytes);
	igt_assert_f(b->cpu_bytes == a->cpu_bytes,
		     "the importer's CPU helpers copied %lld bytes\n",
		     b->cpu_bytes - a->cpu_bytes);
}

/* Every byte between @a and @b bounced, copied once by the CPU. */
static void assert_all_bounced(const struct counters *a,
			       const struct counters *b, uint64_t bytes)
{
	igt_assert_f(b->bounce_bytes - a->bounce_bytes == (long long)bytes,
		     "%lld bytes bounced, expected %" PRIu64 "\n",
		     b->bounce_bytes - a->bounce_bytes, bytes);
	igt_assert_f(b->native_bytes == a->native_bytes,
		     "%lld bytes went the native way, expected none\n",
		     b->native_bytes - a->native_bytes);
	igt_assert_f(b->cpu_bytes - a->cpu_bytes == (long long)bytes,
		     "the CPU copied %lld bytes, expected %" PRIu64 "\n",
		     b->cpu_bytes - a->cpu_bytes, bytes);
}

static const struct dma_buf_p2p_attach_info *
find_attachment(const struct p2p_query *q, const struct p2p_pci *pci)
{
	for (uint32_t i = 0; i < q->q.nr_attachments; i++)
		if (q->att[i].pci.domain == pci->id.domain &&
		    q->att[i].pci.bdf == pci->id.bdf)
			return &q->att[i];
	return NULL;
}

/*
 * After native I/O from peer0 into a VRAM buffer: still in the BAR, never
 * moved or copied, peer0 attached with the topology's P2P mode.
 */
static void assert_stayed_p2p(const struct env *e, int fd)
{
	const struct dma_buf_p2p_attach_info *att;
	struct p2p_query q;

	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	igt_assert_eq_u64(q.q.bytes_copied, 0);
	igt_assert_eq_u64(q.q.maps_system, 0);
	att = find_attachment(&q, &e->m.nvme[PEER].pci);
	igt_assert_f(att, "peer0 (%s) is not attached to the buffer\n",
		     e->m.nvme[PEER].pci.addr);
	igt_assert_eq_u32(att->mode, e->peer_mode);
	igt_assert_eq_u32(att->reason, DMA_BUF_P2P_REASON_NONE);
	igt_assert(att->flags & DMA_BUF_P2P_ATTACH_DYNAMIC);
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

/*
 * @n reads into @buf_size bytes of buffer, cut in slots of @slot bytes
 * (request k in slot k % slots): every other one a whole slot, the others
 * shorter at an offset inside theirs, from anywhere in [0, @region) of the
 * file, all multiples of @lbs.
 */
static void make_reads(struct p2p_uring_io *ios, unsigned int n,
		       uint64_t buf_size, uint64_t slot, uint64_t region,
		       uint32_t lbs, uint64_t seed)
{
	uint64_t state = seed;

	for (unsigned int k = 0; k < n; k++) {
		uint64_t s = k % (buf_size / slot), len = slot;

		if (k % 2)
			len = (1 + rnd(&state) % (slot / lbs)) * lbs;
		ios[k] = (struct p2p_uring_io){
			.buf_offset = s * slot +
				      rnd(&state) % ((slot - len) / lbs + 1) *
				      lbs,
			.file_offset = rnd(&state) %
				       ((region - len) / lbs + 1) * lbs,
			.len = len,
		};
	}
}

/*
 * Writes covering [@base, @base + @len) of the file once, in pieces of
 * 1 to WRITE_PIECE_MAX bytes (multiples of @lbs) issued in a shuffled
 * order, from consecutive buffer offsets in that order: the buffer's
 * layout is not the file's.  Returns how many.
 */
static unsigned int make_writes(struct p2p_uring_io *ios, uint64_t base,
				uint64_t len, uint32_t lbs, uint64_t seed)
{
	uint64_t state = seed, off = 0, b = 0;
	unsigned int n = 0;

	while (off < len) {
		uint64_t plen = (1 + rnd(&state) % (WRITE_PIECE_MAX / lbs)) *
				lbs;

		if (plen > len - off)
			plen = len - off;
		igt_assert(n < MAX_PIECES);
		ios[n++] = (struct p2p_uring_io){
			.file_offset = base + off,
			.len = plen,
		};
		off += plen;
	}
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = rnd(&state) % (i + 1);
		struct p2p_uring_io t = ios[i];

		ios[i] = ios[j];
		ios[j] = t;
	}
	for (unsigned int i = 0; i < n; i++) {
		ios[i].buf_offset = b;
		b += ios[i].len;
	}
	return n;
}

/* What the file's [@base, @base + @len) holds after make_writes()'s. */
static uint8_t *written_bytes(const struct p2p_uring_io *ios, unsigned int n,
			      const uint8_t *src, uint64_t base, uint64_t len)
{
	uint8_t *want = p2p_xalloc(len);

	for (unsigned int i = 0; i < n; i++)
		memcpy(want + ios[i].file_offset - base,
		       src + ios[i].buf_offset, ios[i].len);
	return want;
}

/* Checks each read as it completes, against the file's bytes. */
struct read_check {
	struct vbuf *b;
	const uint8_t *truth;	/* the file from offset 0 */
	const char *what;
	uint64_t bytes;
};

static void read_done(const struct p2p_uring_io *io, void *priv)
{
	struct read_check *rc = priv;
	char msg[192];

	igt_assert_f(io->res == (int32_t)io->len, "%s: a read of %u bytes at "
		     "%#" PRIx64 " into buffer offset %#" PRIx64 " returned %d "
		     "(%s)\n", rc->what, io->len, io->file_offset,
		     io->buf_offset, io->res,
		     io->res < 0 ? p2p_errno_name(-io->res) : "short");
	snprintf(msg, sizeof(msg), "%s: %u bytes of the file at %#" PRIx64
		 " read into buffer offset %#" PRIx64, rc->what, io->len,
		 io->file_offset, io->buf_offset);
	p2p_check_bytes(rc->b->map + io->buf_offset,
			rc->truth + io->file_offset, io->len, msg);
	memcpy(rc->b->model + io->buf_offset, rc->truth + io->file_offset,
	       io->len);
	rc->bytes += io->len;
}

static void write_done(const struct p2p_uring_io *io, void *priv)
{
	uint64_t *bytes = priv;

	igt_assert_f(io->res == (int32_t)io->len, "a write of %u bytes at "
		     "%#" PRIx64 " from buffer offset %#" PRIx64 " returned %d "
		     "(%s)\n", io->len, io->file_offset, io->buf_offset,
		     io->res,
		     io->res < 0 ? p2p_errno_name(-io->res) : "short");
	*bytes += io->len;
}

/*
 * @n reads at QD32, each checked as it completes; as many in flight at
 * once as there may be (the first 32 take disjoint buffer ranges).
 */
static uint64_t run_reads(struct io_uring *ring, int fd, struct vbuf *b,
			  const uint8_t *truth, struct p2p_uring_io *ios,
			  unsigned int n, const char *what)
{
	struct read_check rc = { .b = b, .truth = truth, .what = what };
	unsigned int most;

	most = p2p_uring_run(ring, fd, SLOT, false, ios, n, QD, read_done, &rc);
	igt_info("%s: %u reads, %" PRIu64 " bytes, up to %u in flight, all "
		 "verified\n", what, n, rc.bytes, most);
	igt_assert_eq(most, n < QD ? n : QD);
	return rc.bytes;
}

static uint64_t run_writes(struct io_uring *ring, int fd,
			   struct p2p_uring_io *ios, unsigned int n,
			   const char *what)
{
	uint64_t bytes = 0;
	unsigned int most;

	most = p2p_uring_run(ring, fd, SLOT, true, ios, n, QD, write_done,
			     &bytes);
	igt_info("%s: %u writes, %" PRIu64 " bytes, up to %u in flight\n",
		 what, n, bytes, most);
	igt_assert_eq(most, n < QD ? n : QD);
	return bytes;
}

/* ------------------------------------------------------------------ */
/* Raw block device                                                     */

static void test_read_raw(struct env *e)
{
	struct p2p_uring_io ios[READ_IOS];
	struct counters c0, c1;
	struct io_uring ring;
	struct vbuf b;
	uint8_t *truth;
	uint64_t bytes;
	uint32_t path;

	truth = p2p_file_dup(e->peer_image, 0, READ_REGION);
	vbuf_vram(e, &b, READ_BUF, 0x5a);
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);

	read_counters(&c0);
	path = p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer, 0);
	igt_info("registered a %" PRIu64 " MiB VRAM buffer for %s: path %s\n",
		 (uint64_t)READ_BUF / MiB, e->peer_dev, path_name(path));
	igt_assert_eq_u32(path, BLK_DMABUF_PATH_NATIVE);

	make_reads(ios, READ_IOS, READ_BUF, READ_CHUNK, READ_REGION, e->lbs,
		   0x0a1);
	bytes = run_reads(&ring, e->peer, &b, truth, ios, READ_IOS,
			  "peer0 into VRAM");
	read_counters(&c1);
	assert_all_native(&c0, &c1, bytes);
	/* Mapped once, at registration; no request mapped or copied. */
	if (!e->pin_kernel)
		igt_assert_f(c1.maps - c0.maps == 1, "%lld mappings made for "
			     "one registration and %d reads\n",
			     c1.maps - c0.maps, READ_IOS);
	assert_stayed_p2p(e, b.fd);
	vbuf_check(&b, "after the reads");
	vbuf_check_vram(e, &b, "after the reads");

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	vbuf_free(&b);
	free(truth);
}

static void test_write_raw(struct env *e)
{
	struct p2p_uring_io *ios = calloc(MAX_PIECES, sizeof(*ios));
	struct counters c0, c1;
	struct p2p_slice s;
	struct io_uring ring;
	uint8_t *src, *want;
	struct vbuf b;
	uint64_t bytes;
	unsigned int n;

	igt_assert(ios);
	p2p_slice_save(&s, e->peer_dev, e->peer_image, WRITE_OFF, WRITE_LEN);
	src = p2p_xalloc(WRITE_LEN);
	/* Seeded from what the slice holds: the write always changes it. */
	p2p_fill_pattern(src, WRITE_LEN, 0x3717e ^ p2p_crc32(s.old, 64 * KiB));
	n = make_writes(ios, WRITE_OFF, WRITE_LEN, e->lbs, 0x3717e);
	want = written_bytes(ios, n, src, WRITE_OFF, WRITE_LEN);
	igt_assert(memcmp(want, s.old, WRITE_LEN));

	vbuf_vram(e, &b, WRITE_LEN, 0);
	vbuf_fill(&b, src);
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	bytes = run_writes(&ring, e->peer, ios, n, "VRAM to peer0");
	igt_assert_eq_u64(bytes, WRITE_LEN);
	igt_assert_f(!fsync(e->peer), "fsync %s: %m\n", e->peer_dev);
	read_counters(&c1);
	assert_all_native(&c0, &c1, WRITE_LEN);
	assert_stayed_p2p(e, b.fd);

	p2p_check_file(e->peer_image, WRITE_OFF, want, WRITE_LEN,
		       "24 MiB written from VRAM at QD32, in the host's image");
	vbuf_check(&b, "the source after the writes");

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	vbuf_free(&b);
	p2p_slice_restore(&s);
	free(want);
	free(src);
	free(ios);
}

/* ------------------------------------------------------------------ */
/* Files of the ext4 on peer0's namespace 2                             */

static void test_read_file(struct env *e)
{
	const uint32_t lbs = e->fs.lbs;
	struct p2p_uring_io ios[READ_IOS];
	uint64_t size, small_size, bytes;
	struct counters c0, c1;
	struct io_uring ring;
	uint8_t *truth, *small;
	struct vbuf b;
	int fd, fd2;

	truth = p2p_ext4_truth_dup(&e->fs, SEQ_FILE, 0, &size);
	small = p2p_ext4_truth_dup(&e->fs, SMALL_FILE, 0, &small_size);
	igt_assert(size >= 32 * MiB && !(size % lbs));
	igt_assert(small_size && !(small_size % lbs) && small_size <= MiB);
	vbuf_vram(e, &b, 32 * MiB, 0x5a);
	fd = p2p_ext4_open(&e->fs, SEQ_FILE, O_RDONLY | O_DIRECT, 0);

	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	read_counters(&c0);
	/* For the file: the filesystem's block device is the target. */
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, fd, 0),
			  BLK_DMABUF_PATH_NATIVE);
	make_reads(ios, READ_IOS, 32 * MiB, READ_CHUNK, size, lbs, 0xf11e);
	bytes = run_reads(&ring, fd, &b, truth, ios, READ_IOS, SEQ_FILE);

	/* Another file of the same filesystem, through the same slot. */
	fd2 = p2p_ext4_open(&e->fs, SMALL_FILE, O_RDONLY | O_DIRECT, 0);
	ios[0] = (struct p2p_uring_io){ .buf_offset = 7 * MiB,
					.len = small_size };
	bytes += run_reads(&ring, fd2, &b, small, ios, 1, SMALL_FILE);
	close(fd2);
	read_counters(&c1);
	assert_all_native(&c0, &c1, bytes);
	assert_stayed_p2p(e, b.fd);
	vbuf_check(&b, "after the file reads");
	vbuf_check_vram(e, &b, "after the file reads");

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	close(fd);
	vbuf_free(&b);
	free(small);
	free(truth);
}

static void remove_file(const struct env *e, const char *name)
{
	char path[PATH_MAX];

	p2p_ext4_path(&e->fs, name, path, sizeof(path));
	igt_assert_f(!unlink(path) || errno == ENOENT, "unlink %s: %m\n",
		     path);
}

static void test_write_file(struct env *e)
{
	struct p2p_uring_io *ios = calloc(MAX_PIECES, sizeof(*ios));
	struct counters c0, c1;
	struct io_uring ring;
	uint8_t *src, *want, *got;
	struct vbuf b;
	uint64_t size;
	unsigned int n;
	int fd, dir;

	igt_assert(ios);
	src = p2p_xalloc(WRITE_LEN);
	p2p_fill_pattern(src, WRITE_LEN, 0xf11e5);
	n = make_writes(ios, 0, WRITE_LEN, e->fs.lbs, 0xf11e5);
	want = written_bytes(ios, n, src, 0, WRITE_LEN);

	remove_file(e, NEW_FILE);
	fd = p2p_ext4_open(&e->fs, NEW_FILE,
			   O_CREAT | O_EXCL | O_RDWR | O_DIRECT, 0644);
	/* Unwritten extents: each write converts its part when it is done. */
	igt_assert_f(!fallocate(fd, 0, 0, WRITE_LEN), "fallocate %s: %m\n",
		     NEW_FILE);
	vbuf_vram(e, &b, WRITE_LEN, 0);
	vbuf_fill(&b, src);
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, fd, 0),
			  BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq_u64(run_writes(&ring, fd, ios, n, NEW_FILE), WRITE_LEN);
	igt_assert_f(!fsync(fd), "fsync %s: %m\n", NEW_FILE);
	read_counters(&c1);
	assert_all_native(&c0, &c1, WRITE_LEN);
	assert_stayed_p2p(e, b.fd);
	vbuf_check(&b, "the source after the writes");

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	close(fd);
	vbuf_free(&b);

	/* Where the data ended up: the host's image, after an unmount. */
	igt_assert_eq(p2p_ext4_umount(&e->fs), 0);
	got = p2p_ext4_image_dup(&e->fs, NEW_FILE, &size);
	igt_assert_f(got, "no /%s in %s\n", NEW_FILE, e->fs.image);
	igt_assert_f(size == WRITE_LEN, "/%s in %s is %" PRIu64 " bytes, "
		     "expected %" PRIu64 "\n", NEW_FILE, e->fs.image, size,
		     (uint64_t)WRITE_LEN);
	p2p_check_bytes(got, want, WRITE_LEN,
			"24 MiB written at QD32 to a file, in the host's "
			"image");

	p2p_ext4_mount(&e->fs);
	remove_file(e, NEW_FILE);
	dir = p2p_ext4_open(&e->fs, ".", O_RDONLY | O_DIRECTORY, 0);
	igt_assert_eq(syncfs(dir), 0);
	close(dir);
	free(got);
	free(want);
	free(src);
	free(ios);
}

/* ------------------------------------------------------------------ */
/* The bounce path                                                      */

static void test_bounce(struct env *e)
{
	const uint64_t size = 16 * MiB, wlen = 4 * MiB;
	struct p2p_uring_io *ios = calloc(MAX_PIECES, sizeof(*ios));
	struct counters c0, c1, c2;
	struct p2p_query q;
	struct p2p_slice s;
	struct io_uring ring;
	uint8_t *truth, *want;
	char vblk_dev[48], name[32];
	uint64_t bytes;
	unsigned int n;
	struct vbuf b;
	int vblk, lbs;

	igt_assert(ios);
	truth = p2p_file_dup(e->peer_image, 0, READ_REGION);
	vbuf_vram(e, &b, size, 0x5a);
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);

	/* Asked for on an NVMe that reaches the buffer. */
	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    IORING_DMABUF_BOUNCE),
			  BLK_DMABUF_PATH_BOUNCE);
	make_reads(ios, 64, size, size / 32, READ_REGION, e->lbs, 0xb0);
	bytes = run_reads(&ring, e->peer, &b, truth, ios, 64,
			  "peer0 into VRAM, bounced");
	read_counters(&c1);
	assert_all_bounced(&c0, &c1, bytes);
	/* No device ever attached; the buffer never moved. */
	p2p_query(e->dev, b.fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	igt_assert_eq_u64(q.q.bytes_copied, 0);
	vbuf_check(&b, "after the bounced reads");
	vbuf_check_vram(e, &b, "after the bounced reads");

	/* And out of it, to the write region. */
	p2p_slice_save(&s, e->peer_dev, e->peer_image, WRITE_OFF, wlen);
	n = make_writes(ios, WRITE_OFF, wlen, e->lbs, 0xb1);
	want = written_bytes(ios, n, b.model, WRITE_OFF, wlen);
	igt_assert(memcmp(want, s.old, wlen));
	igt_assert_eq_u64(run_writes(&ring, e->peer, ios, n,
				     "VRAM to peer0, bounced"), wlen);
	igt_assert_f(!fsync(e->peer), "fsync %s: %m\n", e->peer_dev);
	read_counters(&c2);
	assert_all_bounced(&c1, &c2, wlen);
	p2p_check_file(e->peer_image, WRITE_OFF, want, wlen,
		       "4 MiB bounced from VRAM, in the host's image");
	p2p_slice_restore(&s);
	free(want);

	/*
	 * virtio-blk cannot DMA a dma-buf: registering for it without the
	 * flag takes the bounce path too.  The slot is reused once emptied.
	 */
	p2p_uring_unregister(&ring, SLOT);
	igt_assert_f(e->m.vblk.serial[0],
		     "the harness names no virtio-blk disk (P2P_VBLK)\n");
	igt_assert(p2p_block_by_serial(e->m.vblk.serial, name, sizeof(name)));
	snprintf(vblk_dev, sizeof(vblk_dev), "/dev/%s", name);
	vblk = open_direct(vblk_dev, O_RDONLY);
	igt_assert_eq(ioctl(vblk, BLKSSZGET, &lbs), 0);
	free(truth);
	truth = p2p_file_dup(e->m.vblk.image, 0, VBLK_REGION);
	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, vblk, 0),
			  BLK_DMABUF_PATH_BOUNCE);
	make_reads(ios, 64, size, size / 32, VBLK_REGION, lbs, 0xb2);
	bytes = run_reads(&ring, vblk, &b, truth, ios, 64, "virtio-blk into "
			  "VRAM");
	read_counters(&c1);
	assert_all_bounced(&c0, &c1, bytes);
	vbuf_check(&b, "after the virtio-blk reads");
	vbuf_check_vram(e, &b, "after the virtio-blk reads");

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	close(vblk);
	vbuf_free(&b);
	free(truth);
	free(ios);
}

/* ------------------------------------------------------------------ */
/* Polled I/O                                                           */

/* Block device @dev's ("/dev/nvme1n1") queue attribute @attr, a number. */
static uint64_t queue_attr(const char *dev, const char *attr)
{
	char path[PATH_MAX], val[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s",
		 strrchr(dev, '/') + 1, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	igt_assert_f(read(fd, val, sizeof(val) - 1) > 0, "read %s: %m\n",
		     path);
	close(fd);
	return strtoull(val, NULL, 10);
}

/*
 * The kernel log from here on: /dev/kmsg, read from its end, without
 * blocking.  A polled request that nobody polls still completes, when the
 * NVMe driver's timeout handler finds it 30 s later ("timeout, completion
 * polled"): the data is right, only the log tells.
 */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	igt_assert_f(fd >= 0, "cannot open /dev/kmsg: %m\n");
	igt_assert_f(lseek(fd, 0, SEEK_END) >= 0, "lseek /dev/kmsg: %m\n");
	return fd;
}

/* No NVMe request timed out since kmsg_open_at_end(); closes @kmsg. */
static void assert_no_nvme_timeout(int kmsg)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records overwritten */
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		igt_assert_f(n > 0, "read /dev/kmsg: %m\n");
		rec[n] = 0;
		igt_assert_f(!strstr(rec, "I/O tag") || !strstr(rec, "timeout"),
			     "an NVMe request timed out: %s", rec);
	}
	close(kmsg);
}

/*
 * Reads (1 MiB and shorter: larger than peer0's largest request, so split)
 * and writes through @ring, an IOPOLL ring, on the path @flags registers
 * the buffer for; every byte checked, the written region restored.
 */
static void iopoll_round(struct env *e, struct io_uring *ring,
			 struct vbuf *b, const uint8_t *truth,
			 struct p2p_uring_io *ios, uint32_t flags,
			 uint64_t seed)
{
	const uint64_t wlen = 4 * MiB;
	bool bounce = flags & IORING_DMABUF_BOUNCE;
	const char *path = bounce ? "bounced" : "native";
	struct counters c0, c1;
	struct p2p_slice s;
	char what[64];
	uint64_t bytes;
	uint8_t *want;
	unsigned int n;

	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(ring, SLOT, b->fd,
						    e->peer, flags),
			  bounce ? BLK_DMABUF_PATH_BOUNCE :
				   BLK_DMABUF_PATH_NATIVE);
	make_reads(ios, 32, b->size, READ_CHUNK, READ_REGION, e->lbs, seed);
	snprintf(what, sizeof(what), "peer0 into VRAM, polled, %s", path);
	bytes = run_reads(ring, e->peer, b, truth, ios, 32, what);

	p2p_slice_save(&s, e->peer_dev, e->peer_image, WRITE_OFF, wlen);
	n = make_writes(ios, WRITE_OFF, wlen, e->lbs, seed + 1);
	want = written_bytes(ios, n, b->model, WRITE_OFF, wlen);
	igt_assert(memcmp(want, s.old, wlen));
	snprintf(what, sizeof(what), "VRAM to peer0, polled, %s", path);
	igt_assert_eq_u64(run_writes(ring, e->peer, ios, n, what), wlen);
	igt_assert_f(!fsync(e->peer), "fsync %s: %m\n", e->peer_dev);
	read_counters(&c1);
	if (bounce)
		assert_all_bounced(&c0, &c1, bytes + wlen);
	else
		assert_all_native(&c0, &c1, bytes + wlen);
	snprintf(what, sizeof(what), "4 MiB written polled (%s) from VRAM, "
		 "in the host's image", path);
	p2p_check_file(e->peer_image, WRITE_OFF, want, wlen, what);
	p2p_slice_restore(&s);
	free(want);
	p2p_uring_unregister(ring, SLOT);
}

static void test_iopoll(struct env *e)
{
	struct p2p_uring_io *ios = calloc(MAX_PIECES, sizeof(*ios));
	struct io_uring ring;
	uint8_t *truth;
	uint64_t max_kib;
	struct vbuf b;
	int kmsg;

	igt_assert(ios);
	igt_assert_f(queue_attr(e->peer_dev, "io_poll") == 1, "%s has no poll "
		     "queues: the harness boots with nvme.poll_queues=1\n",
		     e->peer_dev);
	max_kib = queue_attr(e->peer_dev, "max_hw_sectors_kb");
	igt_assert_f(max_kib * KiB < READ_CHUNK, "%s takes requests of %"
		     PRIu64 " KiB: reads of 1 MiB would not split\n",
		     e->peer_dev, max_kib);
	kmsg = kmsg_open_at_end();
	truth = p2p_file_dup(e->peer_image, 0, READ_REGION);
	vbuf_vram(e, &b, 32 * READ_CHUNK, 0x3c);
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, IORING_SETUP_IOPOLL);

	iopoll_round(e, &ring, &b, truth, ios, 0, 0x9011);
	assert_stayed_p2p(e, b.fd);
	iopoll_round(e, &ring, &b, truth, ios, IORING_DMABUF_BOUNCE, 0x9012);
	vbuf_check(&b, "after the polled reads");
	vbuf_check_vram(e, &b, "after the polled reads");
	assert_no_nvme_timeout(kmsg);

	io_uring_queue_exit(&ring);
	vbuf_free(&b);
	free(truth);
	free(ios);
}

/* ------------------------------------------------------------------ */
/* Invalid inputs                                                       */

/* Fds the registration cases name. */
enum {
	FD_DMABUF,		/* a VRAM buffer */
	FD_CLOSED,
	FD_MINUS1,
	FD_BDEV,		/* peer0: not a dma-buf */
	FD_MEMFD,
	FD_TMPFS_FILE,
	FD_TMPFS_DIR,
	FD_PIPE,
	FD_DEV_NULL,
	NR_FDS,
};

enum reg_field {
	R_INDEX, R_DMABUF, R_TARGET, R_FLAGS, R_PATH, R_RESV, R_RESV2_0,
	R_RESV2_1, R_NR_ARGS, R_ARG_NULL, R_ARG_UNMAPPED,
};

struct reg_case {
	const char *what;
	enum reg_field field;
	uint64_t value;		/* for an fd field: FD_* */
	int err;
};

static const struct reg_case reg_cases[] = {
	{ "an unknown flag", R_FLAGS, 1u << 1, EINVAL },
	{ "every flag bit", R_FLAGS, ~0u, EINVAL },
	{ "path set on input", R_PATH, BLK_DMABUF_PATH_NATIVE, EINVAL },
	{ "path set to bounce on input", R_PATH, BLK_DMABUF_PATH_BOUNCE,
	  EINVAL },
	{ "resv set", R_RESV, 1, EINVAL },
	{ "resv2[0] set", R_RESV2_0, 1, EINVAL },
	{ "resv2[1] set", R_RESV2_1, 1ull << 63, EINVAL },
	{ "nr_args 0", R_NR_ARGS, 0, EINVAL },
	{ "nr_args 2", R_NR_ARGS, 2, EINVAL },
	{ "a NULL argument", R_ARG_NULL, 0, EINVAL },
	{ "the argument on an unmapped page", R_ARG_UNMAPPED, 0, EFAULT },
	{ "the index one past the table", R_INDEX, NR_SLOTS, EINVAL },
	{ "the index UINT32_MAX", R_INDEX, UINT32_MAX, EINVAL },
	{ "a closed target fd", R_TARGET, FD_CLOSED, EBADF },
	{ "target fd -1", R_TARGET, FD_MINUS1, EBADF },
	{ "a closed dma-buf fd", R_DMABUF, FD_CLOSED, EBADF },
	{ "dma-buf fd -1", R_DMABUF, FD_MINUS1, EBADF },
	{ "a block device as the dma-buf", R_DMABUF, FD_BDEV, EINVAL },
	{ "a memfd as the dma-buf", R_DMABUF, FD_MEMFD, EINVAL },
	{ "a tmpfs file as the target", R_TARGET, FD_TMPFS_FILE, EOPNOTSUPP },
	{ "a directory as the target", R_TARGET, FD_TMPFS_DIR, EOPNOTSUPP },
	{ "a pipe as the target", R_TARGET, FD_PIPE, EOPNOTSUPP },
	{ "/dev/null as the target", R_TARGET, FD_DEV_NULL, EOPNOTSUPP },
	{ "the dma-buf itself as the target", R_TARGET, FD_DMABUF,
	  EOPNOTSUPP },
};

/* A valid registration of @buf into SLOT for peer0, changed by @c. */
static void run_reg_case(const struct env *e, struct io_uring *ring,
			 const int *fds, const struct reg_case *c)
{
	struct io_uring_dmabuf_reg reg = {
		.buf_index = SLOT,
		.dmabuf_fd = fds[FD_DMABUF],
		.target_fd = e->peer,
	};
	struct io_uring_dmabuf_reg *arg = &reg;
	unsigned int nr_args = 1;
	void *unmapped;
	uint32_t path_in;
	int err;

	switch (c->field) {
	case R_INDEX:
		reg.buf_index = c->value;
		break;
	case R_DMABUF:
		reg.dmabuf_fd = fds[c->value];
		break;
	case R_TARGET:
		reg.target_fd = fds[c->value];
		break;
	case R_FLAGS:
		reg.flags = c->value;
		break;
	case R_PATH:
		reg.path = c->value;
		break;
	case R_RESV:
		reg.resv = c->value;
		break;
	case R_RESV2_0:
		reg.resv2[0] = c->value;
		break;
	case R_RESV2_1:
		reg.resv2[1] = c->value;
		break;
	case R_NR_ARGS:
		nr_args = c->value;
		break;
	case R_ARG_NULL:
		arg = NULL;
		break;
	case R_ARG_UNMAPPED:
		unmapped = mmap(NULL, 4096, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(unmapped != MAP_FAILED);
		munmap(unmapped, 4096);
		arg = unmapped;
		break;
	}
	path_in = reg.path;
	err = __p2p_uring_register_dmabuf(ring->ring_fd, arg, nr_args);
	igt_info("register with %s: %s\n", c->what, p2p_errno_name(-err));
	igt_assert_f(err == -c->err, "IORING_REGISTER_DMABUF with %s: %s, "
		     "expected %s\n", c->what, p2p_errno_name(-err),
		     p2p_errno_name(c->err));
	igt_assert_f(reg.path == path_in, "IORING_REGISTER_DMABUF with %s "
		     "failed and wrote path %u\n", c->what, reg.path);
}

static void assert_reg_err(struct io_uring *ring,
			   struct io_uring_dmabuf_reg *reg, int err,
			   const char *what)
{
	int got = __p2p_uring_register_dmabuf(ring->ring_fd, reg, 1);

	igt_info("register %s: %s\n", what, p2p_errno_name(-got));
	igt_assert_f(got == -err, "IORING_REGISTER_DMABUF %s: %s, expected "
		     "%s\n", what, p2p_errno_name(-got), p2p_errno_name(err));
}

struct io_case {
	const char *what;
	int fd;
	unsigned int index;
	bool write;
	uint64_t buf_offset, file_offset;
	uint32_t len;
	int err;
};

static void run_io_case(struct io_uring *ring, const struct io_case *c)
{
	int res;

	if (c->fd < 0) {
		igt_info("fixed %s with %s: not in this machine, skipped\n",
			 c->write ? "write" : "read", c->what);
		return;
	}
	res = p2p_uring_rw1(ring, c->fd, c->index, c->write, c->buf_offset,
			    c->file_offset, c->len);
	igt_info("fixed %s with %s: %d (%s)\n", c->write ? "write" : "read",
		 c->what, res, res < 0 ? p2p_errno_name(-res) : "bytes");
	igt_assert_f(res == -c->err, "fixed %s with %s: %d (%s), expected "
		     "-%s\n", c->write ? "write" : "read", c->what, res,
		     res < 0 ? p2p_errno_name(-res) : "bytes moved",
		     p2p_errno_name(c->err));
}

static void test_invalid_inputs(struct env *e)
{
	const uint64_t size = 1 * MiB, lbs = e->lbs;
	char tmpl[] = "/tmp/p2p-uring.XXXXXX", tmpfile[64], name[32], path[64];
	struct io_uring ring, bare;
	struct io_uring_dmabuf_reg reg;
	int fds[NR_FDS], pipefd[2];
	int fds0, nocache, ro, far, other_ns = -1, second;
	uint8_t *img_before, *head;
	struct vbuf b;

	fds0 = p2p_count_fds();
	img_before = p2p_file_dup(e->peer_image, WRITE_OFF, MiB);
	vbuf_vram(e, &b, size, 0x5a);
	fds[FD_DMABUF] = b.fd;
	fds[FD_CLOSED] = p2p_closed_fd();
	fds[FD_MINUS1] = -1;
	fds[FD_BDEV] = e->peer;
	fds[FD_MEMFD] = memfd_create("p2p-uring", MFD_CLOEXEC);
	igt_assert_fd(fds[FD_MEMFD]);
	igt_assert_eq(ftruncate(fds[FD_MEMFD], size), 0);
	/* /tmp is a tmpfs in the test machine: no block device. */
	igt_assert(mkdtemp(tmpl));
	snprintf(tmpfile, sizeof(tmpfile), "%s/file", tmpl);
	fds[FD_TMPFS_FILE] = open(tmpfile, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	igt_assert_fd(fds[FD_TMPFS_FILE]);
	fds[FD_TMPFS_DIR] = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	igt_assert_fd(fds[FD_TMPFS_DIR]);
	igt_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	fds[FD_PIPE] = pipefd[0];
	fds[FD_DEV_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	igt_assert_fd(fds[FD_DEV_NULL]);

	/* No buffer table yet: ENXIO, whatever else is right. */
	igt_assert_eq(io_uring_queue_init(8, &bare, 0), 0);
	reg = (struct io_uring_dmabuf_reg){ .buf_index = 0, .dmabuf_fd = b.fd,
					    .target_fd = e->peer };
	assert_reg_err(&bare, &reg, ENXIO, "on a ring without a buffer table");

	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	for (size_t i = 0; i < sizeof(reg_cases) / sizeof(reg_cases[0]); i++)
		run_reg_case(e, &ring, fds, &reg_cases[i]);

	/* The slot is still empty: a good registration goes in... */
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	/* ...once. */
	reg = (struct io_uring_dmabuf_reg){ .buf_index = SLOT,
					    .dmabuf_fd = b.fd,
					    .target_fd = e->peer };
	assert_reg_err(&ring, &reg, EBUSY, "into a slot holding a dma-buf");
	if (reg.path)
		igt_info("note: the EBUSY registration wrote path %u back\n",
			 reg.path);

	/* Requests the registration does not cover. */
	nocache = open(e->peer_dev, O_RDWR | O_CLOEXEC);
	igt_assert_fd(nocache);
	ro = open_direct(e->peer_dev, O_RDONLY);
	igt_assert(p2p_block_by_serial(e->m.nvme[FAR].serial, name,
				       sizeof(name)));
	snprintf(path, sizeof(path), "/dev/%s", name);
	far = open_direct(path, O_RDWR);
	if (p2p_nvme_ns_by_serial(e->m.nvme[PEER].serial, 2, name,
				  sizeof(name))) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		other_ns = open_direct(path, O_RDWR);
	}
	second = SLOT == 2 ? 3 : 2;	/* an empty slot */
	{
		const struct io_case cases[] = {
			{ "an fd without O_DIRECT", nocache, SLOT, false, 0, 0,
			  lbs, EINVAL },
			{ "an fd without O_DIRECT", nocache, SLOT, true, 0,
			  WRITE_OFF, lbs, EINVAL },
			{ "far0 (another block device)", far, SLOT, false, 0,
			  0, lbs, EXDEV },
			{ "far0 (another block device)", far, SLOT, true, 0,
			  WRITE_OFF, lbs, EXDEV },
			{ "peer0's namespace 2 (another block device)",
			  other_ns, SLOT, false, 0, 0, lbs, EXDEV },
			{ "a range past the buffer's end", e->peer, SLOT,
			  false, size - lbs, 0, 2 * lbs, EFAULT },
			{ "a range past the buffer's end", e->peer, SLOT,
			  true, size - lbs, WRITE_OFF, 2 * lbs, EFAULT },
			{ "a range starting at the buffer's end", e->peer,
			  SLOT, false, size, 0, lbs, EFAULT },
			{ "buffer offset + length overflowing", e->peer, SLOT,
			  false, UINT64_MAX - lbs + 1, 0, lbs, EFAULT },
			{ "a file offset off the block size", e->peer, SLOT,
			  false, 0, lbs / 2, lbs, EINVAL },
			{ "a length off the block size", e->peer, SLOT, false,
			  0, 0, lbs + lbs / 2, EINVAL },
			{ "a buffer offset of 1", e->peer, SLOT, false, 1, 0,
			  lbs, EINVAL },
			{ "a read-only fd", ro, SLOT, true, 0, WRITE_OFF, lbs,
			  EBADF },
			{ "an empty slot", e->peer, second, false, 0, 0, lbs,
			  EFAULT },
			{ "a slot past the table", e->peer, NR_SLOTS, false, 0,
			  0, lbs, EFAULT },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_io_case(&ring, &cases[i]);
	}

	/* Nothing moved; the slot still works. */
	vbuf_check(&b, "the buffer after the bad requests");
	igt_assert_eq(p2p_uring_rw1(&ring, ro, SLOT, false, 0, 0, lbs), lbs);
	head = p2p_file_dup(e->peer_image, 0, lbs);
	memcpy(b.model, head, lbs);
	free(head);
	vbuf_check(&b, "the buffer after the bad calls");
	vbuf_check_vram(e, &b, "the buffer after the bad calls");
	p2p_check_file(e->peer_image, WRITE_OFF, img_before, MiB,
		       "the write region after the bad calls");

	/* The whole table unregistered: ENXIO again. */
	igt_assert_eq(io_uring_unregister_buffers(&ring), 0);
	reg = (struct io_uring_dmabuf_reg){ .buf_index = SLOT,
					    .dmabuf_fd = b.fd,
					    .target_fd = e->peer };
	assert_reg_err(&ring, &reg, ENXIO, "after the table was unregistered");

	io_uring_queue_exit(&ring);
	io_uring_queue_exit(&bare);
	if (other_ns >= 0)
		close(other_ns);
	close(far);
	close(ro);
	close(nocache);
	for (int i = FD_MEMFD; i < NR_FDS; i++)
		close(fds[i]);
	close(pipefd[1]);
	unlink(tmpfile);
	rmdir(tmpl);
	vbuf_free(&b);
	free(img_before);
	igt_assert_eq(p2p_count_fds(), fds0);
}

/* ------------------------------------------------------------------ */
/* Streams of reads while the buffer moves                              */

#define STREAM_BUF	(32 * MiB)
#define STREAM_CHUNK	(256 * KiB)
#define STREAM_SLOTS	(STREAM_BUF / STREAM_CHUNK)
#define STREAM_STALL_S	30
#define STREAM_ERRNOS	64	/* errnos counted apart; 0: the rest */
#define STREAM_EPOCHS	32
#define SLOT_ZERO	(-1ll)
#define SLOT_UNDEFINED	(-2ll)

/*
 * A thread keeping QD32 256 KiB reads from peer0's read region in flight
 * into distinct 256 KiB slots of a 32 MiB VRAM buffer, each checked as it
 * completes.  It never asserts (the test's thread does, from what it
 * counted); it drains what it has in flight before it ends.
 *
 * The test's thread starts a new epoch after each thing it does to the
 * buffer (a move, an unbind), and waits for reads submitted in that
 * epoch: those surely built their bios after the move, where reads
 * completed after it may have been in flight before.
 */
struct stream {
	struct io_uring ring;
	int bdev;
	struct vbuf b;
	const uint8_t *img;	/* peer0's read region */
	uint64_t seed;
	atomic_bool stop;
	atomic_int epoch;
	atomic_long ok, failed, mismatches;
	/* Verified reads by the epoch they were submitted in. */
	atomic_long ok_in[STREAM_EPOCHS];
	atomic_long errs[STREAM_ERRNOS];
	atomic_int last_err;
	/* Set by the thread once it ended: */
	unsigned int most;	/* requests in flight at once */
	unsigned int left;	/* in flight when it gave up */
	int ring_err;		/* submit or wait error (ETIME: a stall) */
	bool registered;	/* the buffer is in SLOT */
	long long slot[STREAM_SLOTS];	/* device offset each slot holds */
	char first_mismatch[160];
};

static void stream_complete(struct stream *s, unsigned int i, uint64_t doff,
			    int epoch, int res)
{
	if (res != (int)STREAM_CHUNK) {
		int err = res < 0 && -res < STREAM_ERRNOS ? -res : 0;

		s->slot[i] = SLOT_UNDEFINED;
		atomic_store(&s->last_err, res);
		atomic_fetch_add(&s->errs[err], 1);
		atomic_fetch_add(&s->failed, 1);
		return;
	}
	s->slot[i] = doff;
	if (memcmp(s->b.map + i * STREAM_CHUNK, s->img + doff, STREAM_CHUNK) &&
	    !atomic_fetch_add(&s->mismatches, 1))
		snprintf(s->first_mismatch, sizeof(s->first_mismatch),
			 "buffer offset %#" PRIx64 " after reading device "
			 "offset %#" PRIx64, i * STREAM_CHUNK, doff);
	atomic_fetch_add(&s->ok_in[epoch], 1);
	atomic_fetch_add(&s->ok, 1);
}

static void *stream_reader(void *arg)
{
	struct __kernel_timespec ts = { .tv_sec = STREAM_STALL_S };
	struct stream *s = arg;
	uint64_t state = s->seed, doff[STREAM_SLOTS];
	bool busy[STREAM_SLOTS] = { false };
	int epoch[STREAM_SLOTS];
	unsigned int nr = 0;

	for (;;) {
		struct io_uring_cqe *cqe;
		int ret;

		while (!atomic_load(&s->stop) && nr < QD) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
			unsigned int i = rnd(&state) % STREAM_SLOTS;
			void *addr;

			if (!sqe)
				break;
			while (busy[i])
				i = (i + 1) % STREAM_SLOTS;
			addr = (void *)(uintptr_t)(i * STREAM_CHUNK);
			doff[i] = rnd(&state) %
				  ((READ_REGION - STREAM_CHUNK) / 4096 + 1) *
				  4096;
			epoch[i] = atomic_load(&s->epoch);
			io_uring_prep_read_fixed(sqe, s->bdev, addr,
						 STREAM_CHUNK, doff[i], SLOT);
			io_uring_sqe_set_data64(sqe, i);
			busy[i] = true;
			nr++;
		}
		if (nr > s->most)
			s->most = nr;
		if (!nr)
			break;
		ret = io_uring_submit(&s->ring);
		if (ret < 0) {
			s->ring_err = -ret;
			break;
		}
		ret = io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts);
		if (ret == -EINTR)
			continue;
		if (ret) {
			s->ring_err = -ret;
			break;
		}
		do {
			unsigned int i = io_uring_cqe_get_data64(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&s->ring, cqe);
			busy[i] = false;
			nr--;
			stream_complete(s, i, doff[i], epoch[i], res);
		} while (!io_uring_peek_cqe(&s->ring, &cqe));
	}
	s->left = nr;
	return NULL;
}

static void stream_start(struct env *e, struct stream *s, pthread_t *th,
			 uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->bdev = e->peer;
	s->seed = seed;
	s->img = p2p_file_dup(e->peer_image, 0, READ_REGION);
	vbuf_vram(e, &s->b, STREAM_BUF, 0);
	for (int i = 0; i < (int)STREAM_SLOTS; i++)
		s->slot[i] = SLOT_ZERO;
	p2p_uring_init(&s->ring, RING_ENTRIES, NR_SLOTS, 0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&s->ring, SLOT, s->b.fd,
						    e->peer, 0),
			  BLK_DMABUF_PATH_NATIVE);
	s->registered = true;
	igt_assert_eq(pthread_create(th, NULL, stream_reader, s), 0);
}

/* Until @n reads submitted in the current epoch are verified. */
static bool stream_wait(struct stream *s, long n, double timeout)
{
	double end = p2p_now_s() + timeout;
	int epoch = atomic_load(&s->epoch);

	while (atomic_load(&s->ok_in[epoch]) < n) {
		if (p2p_now_s() > end)
			return false;
		sleep_ms(5);
	}
	return true;
}

/* Reads submitted from now on are of a new epoch. */
static void stream_next_epoch(struct stream *s)
{
	igt_assert(atomic_load(&s->epoch) < STREAM_EPOCHS - 1);
	atomic_fetch_add(&s->epoch, 1);
}

static void stream_stop(struct stream *s, pthread_t th)
{
	char errs[256] = "none";
	size_t used = 0;

	atomic_store(&s->stop, true);
	igt_assert_eq(pthread_join(th, NULL), 0);
	for (int i = 1; i <= STREAM_ERRNOS; i++) {
		int err = i % STREAM_ERRNOS;	/* the catch-all last */
		long n = atomic_load(&s->errs[err]);

		if (n && used < sizeof(errs))
			used += snprintf(errs + used, sizeof(errs) - used,
					 "%s%s %ld", used ? ", " : "",
					 err ? p2p_errno_name(err) :
					 "short or other", n);
	}
	igt_info("stream: %ld reads verified, %ld failed (by errno: %s), %ld "
		 "mismatches, up to %u in flight\n", atomic_load(&s->ok),
		 atomic_load(&s->failed), errs, atomic_load(&s->mismatches),
		 s->most);
}

/* Every read completed whole with the right bytes; the ring never failed. */
static void stream_assert_clean(struct stream *s)
{
	int last = atomic_load(&s->last_err);

	igt_assert_f(!s->ring_err, "the stream's ring failed: %s, with %u "
		     "reads in flight\n", s->ring_err == ETIME ?
		     "no completion in 30 s" : p2p_errno_name(s->ring_err),
		     s->left);
	igt_assert_f(!atomic_load(&s->failed), "%ld reads failed, the last "
		     "with res %d (%s)\n", atomic_load(&s->failed), last,
		     last < 0 ? p2p_errno_name(-last) : "short");
	igt_assert_f(!atomic_load(&s->mismatches),
		     "%ld reads got wrong bytes; the first: %s\n",
		     atomic_load(&s->mismatches), s->first_mismatch);
	igt_assert_eq(s->most, QD);
}

/* The whole buffer as the stream left it, through mmap and the VRAM file. */
static void stream_check_final(struct env *e, struct stream *s)
{
	for (int i = 0; i < (int)STREAM_SLOTS; i++) {
		uint8_t *w = s->b.model + i * STREAM_CHUNK;

		if (s->slot[i] == SLOT_ZERO)
			memset(w, 0, STREAM_CHUNK);
		else if (s->slot[i] >= 0)
			memcpy(w, s->img + s->slot[i], STREAM_CHUNK);
		else	/* a failed read left it undefined: not compared */
			memcpy(w, s->b.map + i * STREAM_CHUNK, STREAM_CHUNK);
	}
	vbuf_check(&s->b, "after the stream");
	vbuf_check_vram(e, &s->b, "after the stream");
}

/* Empties the stream's slot (after the stream stopped). */
static void stream_unregister(struct stream *s)
{
	p2p_uring_unregister(&s->ring, SLOT);
	s->registered = false;
}

static void stream_free(struct stream *s)
{
	if (s->registered)
		stream_unregister(s);
	io_uring_queue_exit(&s->ring);
	vbuf_free(&s->b);
	free((void *)s->img);
}

#define MIGRATIONS 20

static void test_migrate_during_stream(struct env *e)
{
	int mig_err[MIGRATIONS] = { 0 }, mig_ok = 0;
	bool progressed = true;
	struct counters c0, c1;
	struct p2p_query q;
	struct stream s;
	pthread_t th;

	read_counters(&c0);
	stream_start(e, &s, &th, 0x5eed0011);
	for (int i = 0; i < MIGRATIONS && progressed; i++) {
		/* Reads issued since the last move: it left a live mapping. */
		progressed = stream_wait(&s, 2, 30);
		if (!progressed)
			break;
		mig_err[i] = __p2p_migrate(e->dev, s.b.fd, i % 2 ?
					   DMA_BUF_P2P_PLACEMENT_BAR :
					   DMA_BUF_P2P_PLACEMENT_SYSTEM);
		mig_ok += !mig_err[i];
		stream_next_epoch(&s);
	}
	if (progressed)
		progressed = stream_wait(&s, 2, 30);
	stream_stop(&s, th);
	read_counters(&c1);

	igt_info("%d of %d moves done; importer invalidations +%lld, maps "
		 "+%lld\n", mig_ok, MIGRATIONS,
		 c1.invalidations - c0.invalidations, c1.maps - c0.maps);
	igt_assert_f(progressed, "the stream stalled (%ld verified reads)\n",
		     atomic_load(&s.ok));
	stream_assert_clean(&s);
	p2p_query(e->dev, s.b.fd, &q);

	if (e->pin_kernel) {
		/*
		 * Mapping pins, and the slot keeps its mapping while the
		 * buffer is registered: it stays in the BAR, where it was
		 * mapped; moves there do nothing, moves away are refused.
		 * Nothing stays mapped to invalidate.
		 */
		for (int i = 0; i < MIGRATIONS; i++)
			igt_assert_f(mig_err[i] == (i % 2 ? 0 : -EBUSY),
				     "move %d to %s: %s, expected %s (the slot "
				     "pins the buffer in the BAR)\n", i,
				     i % 2 ? "the BAR" : "system memory",
				     p2p_errno_name(-mig_err[i]),
				     i % 2 ? "success" : "EBUSY");
		igt_assert_eq_u64(c1.invalidations - c0.invalidations, 0);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		igt_assert_eq_u32(q.q.pin_count, 1);
		igt_assert_eq_u64(q.q.migrations_to_system, 0);
		igt_assert_eq_u64(q.q.migrations_to_bar, 0);
		/* Emptied, the slot unpins it: it moves again. */
		stream_unregister(&s);
		p2p_migrate(e->dev, s.b.fd, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		p2p_migrate(e->dev, s.b.fd, DMA_BUF_P2P_PLACEMENT_BAR);
	} else {
		for (int i = 0; i < MIGRATIONS; i++)
			igt_assert_f(!mig_err[i], "move %d to %s: %s\n", i,
				     i % 2 ? "the BAR" : "system memory",
				     p2p_errno_name(-mig_err[i]));
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		/* Every move invalidated the mapping; the next bio remapped. */
		igt_assert_f(c1.invalidations - c0.invalidations >= MIGRATIONS,
			     "%lld invalidations for %d moves\n",
			     c1.invalidations - c0.invalidations, MIGRATIONS);
		igt_assert_f(c1.maps - c0.maps >= MIGRATIONS + 1,
			     "%lld mappings made for a registration and %d "
			     "moves\n", c1.maps - c0.maps, MIGRATIONS);
		igt_assert_eq_u64(q.q.migrations_to_system, MIGRATIONS / 2);
		igt_assert_eq_u64(q.q.migrations_to_bar, MIGRATIONS / 2);
	}
	stream_check_final(e, &s);
	stream_free(&s);
}

static void test_unbind_during_stream(struct env *e)
{
	struct p2p_query q;
	struct stream s;
	bool progressed;
	double t0, secs;
	pthread_t th;

	stream_start(e, &s, &th, 0x5eed0014);
	progressed = stream_wait(&s, 3, 30);
	t0 = p2p_now_s();
	p2p_vram_unbind(&e->m);
	secs = p2p_now_s() - t0;
	stream_next_epoch(&s);
	/* Reads issued after the unbind: into system memory. */
	if (progressed)
		progressed = stream_wait(&s, 3, 30);
	stream_stop(&s, th);
	igt_info("the unbind took %.2f s\n", secs);

	igt_assert_f(progressed, "the stream stalled (%ld verified reads)\n",
		     atomic_load(&s.ok));
	/* The buffer moved out of the BAR; the requests never noticed. */
	stream_assert_clean(&s);
	p2p_query(e->dev, s.b.fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);
	igt_assert_eq(__p2p_migrate(e->dev, s.b.fd, DMA_BUF_P2P_PLACEMENT_BAR),
		      -ENODEV);

	/* Back, the buffer returns to the BAR with the stream's bytes. */
	p2p_vram_rebind(&e->m);
	if (e->pin_kernel) {
		/*
		 * Mapping pins, and the slot keeps its mapping: the buffer
		 * stays where the requests after the unbind mapped it until
		 * the slot is emptied.
		 */
		igt_assert_eq(__p2p_migrate(e->dev, s.b.fd,
					    DMA_BUF_P2P_PLACEMENT_BAR), -EBUSY);
		p2p_query(e->dev, s.b.fd, &q);
		igt_assert_eq_u32(q.q.pin_count, 1);
		stream_unregister(&s);
		p2p_query(e->dev, s.b.fd, &q);
		igt_assert_eq_u32(q.q.pin_count, 0);
	}
	igt_assert_eq(__p2p_migrate(e->dev, s.b.fd, DMA_BUF_P2P_PLACEMENT_BAR),
		      0);
	stream_check_final(e, &s);
	stream_free(&s);
}

/* ------------------------------------------------------------------ */
/* Past 1 GiB                                                           */

static void test_beyond_1gib(struct env *e)
{
	const uint64_t size = GiB + 8 * MiB;
	struct dma_heap_allocation_data a = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct p2p_uring_io ios[8];
	struct counters c0, c1;
	struct io_uring ring;
	uint64_t state = 0x1619, bytes = 0;
	uint8_t *truth, *zeros;
	unsigned int most;
	struct vbuf b;
	int heap, err;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	igt_require_f(heap >= 0, "no /dev/dma_heap/system: %m\n");
	err = p2p_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a);
	igt_assert_f(!err, "1 GiB + 8 MiB from the system heap: %s\n",
		     p2p_errno_name(-err));
	close(heap);
	/* The heap clears new buffers; no model: 1 GiB more would not fit. */
	b = (struct vbuf){ .fd = a.fd, .size = size,
			   .map = p2p_map(a.fd, size) };
	truth = p2p_file_dup(e->peer_image, 0, READ_REGION);
	zeros = p2p_xalloc(2 * MiB);
	memset(zeros, 0, 2 * MiB);

	/* Across the old limit, up to the buffer's last byte, and its start. */
	ios[0] = (struct p2p_uring_io){ .buf_offset = GiB - 2 * MiB,
					.len = 4 * MiB };
	for (int i = 1; i < 7; i++)
		ios[i] = (struct p2p_uring_io){
			.buf_offset = GiB + (1 + i) * MiB, .len = MiB };
	ios[7] = (struct p2p_uring_io){ .buf_offset = 0, .len = MiB };
	for (int i = 0; i < 8; i++)
		ios[i].file_offset = rnd(&state) %
			((READ_REGION - ios[i].len) / e->lbs + 1) * e->lbs;
	igt_assert_eq_u64(ios[6].buf_offset + ios[6].len, size);

	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	read_counters(&c0);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	most = p2p_uring_run(&ring, e->peer, SLOT, false, ios, 8, QD, NULL,
			     NULL);
	read_counters(&c1);
	p2p_cpu_access(b.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (int i = 0; i < 8; i++) {
		char msg[128];

		igt_assert_f(ios[i].res == (int32_t)ios[i].len, "a read of %u "
			     "bytes into buffer offset %#" PRIx64 ": %d (%s)\n",
			     ios[i].len, ios[i].buf_offset, ios[i].res,
			     ios[i].res < 0 ? p2p_errno_name(-ios[i].res) :
			     "short");
		snprintf(msg, sizeof(msg), "%u bytes read into buffer offset "
			 "%#" PRIx64, ios[i].len, ios[i].buf_offset);
		p2p_check_bytes(b.map + ios[i].buf_offset,
				truth + ios[i].file_offset, ios[i].len, msg);
		bytes += ios[i].len;
	}
	/* Nothing landed next to them. */
	p2p_check_bytes(b.map + GiB - 4 * MiB, zeros, 2 * MiB,
			"the 2 MiB before the read across 1 GiB");
	p2p_check_bytes(b.map + MiB, zeros, MiB,
			"the MiB after the read at the start");
	p2p_cpu_access(b.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	igt_info("8 reads up to the buffer's end (%" PRIu64 " bytes), up to "
		 "%u in flight, all verified\n", bytes, most);
	igt_assert_eq(most, 8);
	assert_all_native(&c0, &c1, bytes);
	/* One block past the end is refused. */
	igt_assert_eq(p2p_uring_rw1(&ring, e->peer, SLOT, false, size - e->lbs,
				    0, 2 * e->lbs), -EFAULT);

	p2p_uring_unregister(&ring, SLOT);
	io_uring_queue_exit(&ring);
	vbuf_free(&b);
	free(zeros);
	free(truth);
}

/* ------------------------------------------------------------------ */
/* Unregistration                                                       */

/* Whether the exporter's debugfs lists the buffer with inode @ino. */
static bool buffer_listed(ino_t ino)
{
	char line[512], head[64];
	bool found = false;
	FILE *f;

	snprintf(head, sizeof(head), "buffer %lu ", (unsigned long)ino);
	f = fopen(EXPORTER_BUFFERS, "re");
	igt_assert_f(f, "no " EXPORTER_BUFFERS ": %m\n");
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, head, strlen(head));
	fclose(f);
	return found;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	igt_assert_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

struct freed_state {
	long long imports;
	bool listed;
	uint64_t avail;
};

static void freed_read(const struct env *e, ino_t ino, struct freed_state *f)
{
	f->imports = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
	f->listed = buffer_listed(ino);
	f->avail = p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
}

/*
 * Polls until the buffer @ino is gone: no import left beyond @imports,
 * not listed by the exporter, its BAR memory free again (@avail).
 */
static void assert_freed(const struct env *e, ino_t ino, long long imports,
			 uint64_t avail, const char *what)
{
	const double timeout = 10;
	double start = p2p_now_s();
	struct freed_state f;

	for (;;) {
		freed_read(e, ino, &f);
		if ((f.imports <= imports && !f.listed && f.avail == avail) ||
		    p2p_now_s() - start > timeout)
			break;
		sleep_ms(50);
	}
	igt_assert_f(f.imports <= imports && !f.listed && f.avail == avail,
		     "%s: %.0f s later, %lld imports (expected %lld), the "
		     "buffer %s, %" PRIu64 " bytes of VRAM free (expected %"
		     PRIu64 ")\n", what, timeout, f.imports, imports,
		     f.listed ? "still listed" : "gone", f.avail, avail);
	igt_info("%s: the import, the buffer and its VRAM gone after %.2f s\n",
		 what, p2p_now_s() - start);
}

/*
 * Waits until the import cache let go of earlier subtests' buffers (about
 * a second after their last fd closed), so that the VRAM's free space and
 * the import count only change with this subtest's buffers.
 */
static long long settle_imports(void)
{
	long long n;

	for (double t0 = p2p_now_s();
	     p2p_debugfs_key(P2P_IMPORT_STATS, "imports") &&
	     p2p_now_s() - t0 < 10;)
		sleep_ms(50);
	n = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
	igt_assert_f(!n, "%lld imports still cached 10 s after the earlier "
		     "subtests\n", n);
	return n;
}

#define UNREG_BUF	(4 * MiB)
#define UNREG_IO	(UNREG_BUF / QD)

static void test_unregister_frees(struct env *e)
{
	struct p2p_uring_io ios[QD];
	struct freed_state f;
	struct io_uring ring;
	struct p2p_query q;
	long long base;
	uint64_t avail0;
	uint8_t *truth, *got;
	unsigned int ready;
	struct vbuf b;
	int fds0;
	ino_t ino;

	fds0 = p2p_count_fds();
	truth = p2p_file_dup(e->peer_image, 0, UNREG_BUF);
	base = settle_imports();
	avail0 = p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	/* QD reads of a 32nd of the buffer each, the file's ranges reversed. */
	for (int i = 0; i < QD; i++)
		ios[i] = (struct p2p_uring_io){
			.buf_offset = i * UNREG_IO,
			.file_offset = (QD - 1 - i) * UNREG_IO,
			.len = UNREG_IO,
		};

	/* 1: the slot emptied while its requests are in flight. */
	vbuf_vram(e, &b, UNREG_BUF, 0x5a);
	ino = fd_ino(b.fd);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq(p2p_debugfs_key(P2P_IMPORT_STATS, "imports"), base + 1);
	assert_stayed_p2p(e, b.fd);
	for (int i = 0; i < QD; i++)
		p2p_uring_queue(&ring, e->peer, SLOT, false, ios[i].buf_offset,
				ios[i].file_offset, ios[i].len, i);
	p2p_uring_submit(&ring);
	p2p_uring_unregister(&ring, SLOT);
	ready = io_uring_cq_ready(&ring);
	igt_info("slot emptied with %u of %d reads completed\n", ready, QD);
	for (int n = 0; n < QD; n++) {
		uint64_t i;
		int res = p2p_uring_reap(&ring, QD - n, &i);

		igt_assert_f(res == (int)UNREG_IO, "read %" PRIu64 " of a slot "
			     "emptied under it: %d (%s)\n", i, res,
			     res < 0 ? p2p_errno_name(-res) : "short");
		memcpy(b.model + ios[i].buf_offset,
		       truth + ios[i].file_offset, ios[i].len);
	}
	vbuf_check(&b, "reads finished after the slot was emptied");
	igt_assert_eq(p2p_uring_rw1(&ring, e->peer, SLOT, false, 0, 0, e->lbs),
		      -EFAULT);
	freed_read(e, ino, &f);
	igt_info("emptied, the buffer's fd still open: %lld imports, buffer "
		 "%s\n", f.imports, f.listed ? "listed" : "gone");
	vbuf_free(&b);
	assert_freed(e, ino, base, avail0, "emptied, then the fd closed");

	/* 2: the slot holds the buffer's last reference. */
	vbuf_vram(e, &b, UNREG_BUF, 0x5a);
	ino = fd_ino(b.fd);
	p2p_query(e->dev, b.fd, &q);	/* its BAR offsets, for later */
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	munmap(b.map, b.size);
	close(b.fd);
	sleep(2);	/* the import cache's reaper runs every second */
	freed_read(e, ino, &f);
	igt_assert_f(f.listed && f.imports == base + 1 && f.avail < avail0,
		     "the fd closed, the buffer in a slot: %lld imports "
		     "(expected %lld), the buffer %s, %" PRIu64 " of %" PRIu64
		     " bytes of VRAM free\n", f.imports, base + 1,
		     f.listed ? "listed" : "gone", f.avail, avail0);
	p2p_uring_run(&ring, e->peer, SLOT, false, ios, QD, QD, NULL, NULL);
	for (int i = 0; i < QD; i++) {
		igt_assert_f(ios[i].res == (int)UNREG_IO, "read %d into a "
			     "buffer only the slot holds: %d (%s)\n", i,
			     ios[i].res, ios[i].res < 0 ?
			     p2p_errno_name(-ios[i].res) : "short");
		memcpy(b.model + ios[i].buf_offset,
		       truth + ios[i].file_offset, ios[i].len);
	}
	got = p2p_vram_dup(&e->m, &q, UNREG_BUF);
	p2p_check_bytes(got, b.model, UNREG_BUF, "reads into a buffer only the "
			"slot holds, in the VRAM file");
	free(got);
	free(b.model);
	p2p_uring_unregister(&ring, SLOT);
	assert_freed(e, ino, base, avail0, "the fd closed, then emptied");

	/* 3: the ring closed with the buffer in a slot. */
	vbuf_vram(e, &b, UNREG_BUF, 0x5a);
	ino = fd_ino(b.fd);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq(p2p_uring_rw1(&ring, e->peer, SLOT, false, 0, 0, e->lbs),
		      e->lbs);
	vbuf_free(&b);
	io_uring_queue_exit(&ring);
	assert_freed(e, ino, base, avail0, "the fd closed, then the ring");

	free(truth);
	igt_assert_eq(p2p_count_fds(), fds0);
}

/* ------------------------------------------------------------------ */
/* User memory next to a dma-buf                                        */

#define USER_SLOT	1
#define USER_IOS	16
#define USER_IO		(64 * KiB)
#define USER_BUF	(USER_IOS * USER_IO)

/* @n reads of @ios all completed whole. */
static void assert_all_done(const struct p2p_uring_io *ios, unsigned int n,
			    const char *what)
{
	for (unsigned int i = 0; i < n; i++)
		igt_assert_f(ios[i].res == (int32_t)ios[i].len, "%s: read %u "
			     "(%u bytes at %#" PRIx64 "): %d (%s)\n", what, i,
			     ios[i].len, ios[i].file_offset, ios[i].res,
			     ios[i].res < 0 ? p2p_errno_name(-ios[i].res) :
			     "short");
}

static void test_user_buffers_alongside(struct env *e)
{
	struct p2p_uring_io ios[USER_IOS];
	struct io_uring_dmabuf_reg reg;
	struct io_uring ring;
	uint8_t *truth, *ubuf, *want;
	struct iovec iov;
	long long base;
	uint64_t avail0;
	struct vbuf b;
	ino_t ino;

	base = settle_imports();
	avail0 = p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
	truth = p2p_file_dup(e->peer_image, 0, USER_BUF);
	ubuf = p2p_xalloc(USER_BUF);
	memset(ubuf, 0xa5, USER_BUF);
	vbuf_vram(e, &b, USER_BUF, 0x5a);
	ino = fd_ino(b.fd);

	/* User memory in slot 1, the dma-buf in SLOT of the same table. */
	p2p_uring_init(&ring, RING_ENTRIES, NR_SLOTS, 0);
	iov = (struct iovec){ .iov_base = ubuf, .iov_len = USER_BUF };
	igt_assert_eq(io_uring_register_buffers_update_tag(&ring, USER_SLOT,
							   &iov,
							   &(__u64){ 0 }, 1),
		      1);
	igt_assert_eq_u32(p2p_uring_register_dmabuf(&ring, SLOT, b.fd, e->peer,
						    0),
			  BLK_DMABUF_PATH_NATIVE);
	reg = (struct io_uring_dmabuf_reg){ .buf_index = USER_SLOT,
					    .dmabuf_fd = b.fd,
					    .target_fd = e->peer };
	assert_reg_err(&ring, &reg, EBUSY, "into a slot holding user memory");

	/* Reads into user memory take addresses, as they always did... */
	for (int i = 0; i < USER_IOS; i++)
		ios[i] = (struct p2p_uring_io){
			.buf_offset = (uintptr_t)ubuf + i * USER_IO,
			.file_offset = (USER_IOS - 1 - i) * USER_IO,
			.len = USER_IO,
		};
	p2p_uring_run(&ring, e->peer, USER_SLOT, false, ios, USER_IOS, QD,
		      NULL, NULL);
	assert_all_done(ios, USER_IOS, "user memory");
	want = p2p_xalloc(USER_BUF);
	for (int i = 0; i < USER_IOS; i++)
		memcpy(want + i * USER_IO, truth + ios[i].file_offset, USER_IO);
	p2p_check_bytes(ubuf, want, USER_BUF, "fixed reads into user memory");

	/* ...and into the dma-buf next to it, offsets. */
	for (int i = 0; i < USER_IOS; i++)
		ios[i].buf_offset = i * USER_IO;
	p2p_uring_run(&ring, e->peer, SLOT, false, ios, USER_IOS, QD, NULL,
		      NULL);
	assert_all_done(ios, USER_IOS, "the dma-buf");
	memcpy(b.model, want, USER_BUF);
	vbuf_check(&b, "fixed reads into the dma-buf next to user memory");

	/* The user slot emptied, then the table with the dma-buf in it. */
	p2p_uring_unregister(&ring, USER_SLOT);
	igt_assert_eq(io_uring_unregister_buffers(&ring), 0);
	vbuf_free(&b);
	assert_freed(e, ino, base, avail0, "the table unregistered, then the "
		     "fd closed");
	io_uring_queue_exit(&ring);
	free(want);
	free(ubuf);
	free(truth);
}

/* ------------------------------------------------------------------ */

igt_main
{
	struct env e = { .dev = -1, .peer = -1 };

	igt_fixture {
		struct io_uring_dmabuf_reg reg = { .dmabuf_fd = -1,
						   .target_fd = -1 };
		struct io_uring ring;
		char name[32];
		int err;

		p2p_machine_load(&e.m);
		e.pin_kernel = !e.m.move_notify;
		e.dev = p2p_dev_open();
		igt_assert(p2p_block_by_serial(e.m.nvme[PEER].serial, name,
					       sizeof(name)));
		snprintf(e.peer_dev, sizeof(e.peer_dev), "/dev/%s", name);
		e.peer_image = e.m.nvme[PEER].image;
		e.peer = open_direct(e.peer_dev, O_RDWR);
		igt_assert_eq(ioctl(e.peer, BLKSSZGET, &e.lbs), 0);
		e.peer_mode = p2p_expected_mode(&e.m.vram, &e.m.nvme[PEER].pci,
						e.m.host_bridge_p2p);
		igt_assert_f(e.peer_mode != DMA_BUF_P2P_MODE_SYSTEM,
			     "topology: peer0 must reach the VRAM BAR\n");
		igt_info("peer0 is %s, %u-byte blocks\n", e.peer_dev, e.lbs);

		/* Without a buffer table: ENXIO, or EINVAL without the op. */
		igt_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
		err = __p2p_uring_register_dmabuf(ring.ring_fd, &reg, 1);
		io_uring_queue_exit(&ring);
		igt_assert_f(err == -ENXIO, "IORING_REGISTER_DMABUF without a "
			     "buffer table: %s, expected ENXIO%s\n",
			     p2p_errno_name(-err),
			     err == -EINVAL ? " (no IORING_REGISTER_DMABUF in "
			     "this kernel)" : "");
	}

	igt_describe("32 fixed reads in flight at a time, 128 in all (1 MiB "
		     "and shorter, at varied offsets), from NVMe peer0's raw "
		     "namespace into a 64 MiB VRAM BAR buffer registered in a "
		     "sparse slot: the native path, every read's bytes checked "
		     "as it completes, the whole buffer in its mmap and the "
		     "VRAM file; mapped once, at registration, never copied "
		     "by the CPU or moved.");
	igt_subtest("read-raw-qd32")
		test_read_raw(&e);

	igt_describe("24 MiB of a seeded pattern written from a VRAM buffer "
		     "to peer0 in shuffled pieces at queue depth 32: the "
		     "host's disk image holds exactly those bytes, the buffer "
		     "is unchanged; the region is restored.");
	igt_subtest("write-raw-qd32")
		test_write_raw(&e);

	igt_subtest_group {
		igt_fixture {
			p2p_ext4_load(&e.fs);
			p2p_ext4_umount_at_exit(&e.fs);
			p2p_ext4_mount(&e.fs);
		}

		igt_describe("The same reads at queue depth 32 from seq.bin "
			     "on the ext4 of peer0's namespace 2, the buffer "
			     "registered for the file (so for the filesystem: "
			     "another file reads through the same slot), "
			     "checked against the ground-truth files.");
		igt_subtest("read-file-qd32")
			test_read_file(&e);

		igt_describe("24 MiB written at queue depth 32 into a new "
			     "preallocated file on the ext4; after fsync and "
			     "an unmount the host's image of the filesystem "
			     "holds exactly those bytes.");
		igt_subtest("write-file-qd32")
			test_write_file(&e);

		igt_fixture
			igt_assert_eq(p2p_ext4_umount(&e.fs), 0);
	}

	igt_describe("IORING_DMABUF_BOUNCE on an NVMe that reaches the buffer: "
		     "path bounce, reads and writes at queue depth 32 right "
		     "on both sides, exactly those bytes copied by the CPU, "
		     "no device attached; virtio-blk bounces without the "
		     "flag, through the same slot emptied and refilled.");
	igt_subtest("bounce")
		test_bounce(&e);

	igt_describe("The native and the bounce path on an IOPOLL ring (NVMe "
		     "poll queues): fixed reads larger than peer0's largest "
		     "request and writes at queue depth 32 all complete, with "
		     "the right bytes in the buffer and the host's image, and "
		     "none waits for the NVMe timeout handler to poll it.");
	igt_subtest("iopoll")
		test_iopoll(&e);

	igt_describe("Random 256 KiB fixed reads at queue depth 32 into a 32 "
		     "MiB VRAM buffer while it moves between the BAR and "
		     "system memory 20 times: every read completes with the "
		     "right bytes, every move invalidates peer0's mapping and "
		     "the next request maps again.  Without move_notify "
		     "(mapping pins) the registration pins the buffer in the "
		     "BAR: moves away are refused (EBUSY) until the slot is "
		     "emptied.");
	igt_subtest("migrate-during-stream")
		test_migrate_during_stream(&e);

	igt_describe("The same stream while the VRAM provider's driver is "
		     "unbound: the buffer moves to system memory, every read "
		     "before, during and after completes with the right "
		     "bytes; once the provider is back the buffer returns to "
		     "the BAR with the stream's bytes (without move_notify, "
		     "once the slot that pins it is emptied).");
	igt_subtest("unbind-provider-during-stream")
		test_unbind_during_stream(&e);

	igt_describe("IORING_REGISTER_DMABUF rejects every bad argument with "
		     "its errno (EINVAL, EFAULT, ENXIO, EBUSY, EBADF, "
		     "EOPNOTSUPP) and fixed requests the registration does "
		     "not cover fail with theirs (EINVAL, EXDEV, EFAULT, "
		     "EBADF); nothing moves, no fd leaks, the slot still "
		     "works.");
	igt_subtest("invalid-inputs")
		test_invalid_inputs(&e);

	igt_describe("A 1 GiB + 8 MiB system-heap buffer (past io_uring's old "
		     "1 GiB limit for registered buffers): fixed reads across "
		     "1 GiB and up to its last byte land right, one block "
		     "past the end is EFAULT.");
	igt_subtest("beyond-1gib")
		test_beyond_1gib(&e);

	igt_describe("Emptying the slot lets the buffer go: requests in "
		     "flight when the slot is emptied finish with the right "
		     "bytes; a buffer whose fd was closed lives in its slot "
		     "(and reads) until the slot is emptied or the ring "
		     "closed; then its import, its exporter entry and its "
		     "VRAM are gone, and no fd is left.");
	igt_subtest("unregister-frees")
		test_unregister_frees(&e);

	igt_describe("User memory and a dma-buf in the same buffer table: "
		     "fixed reads into the user memory (by address) and into "
		     "the dma-buf (by offset) both land right, a dma-buf "
		     "cannot go into the user memory's slot (EBUSY), and "
		     "unregistering the table lets both go.");
	igt_subtest("user-buffers-alongside")
		test_user_buffers_alongside(&e);

	igt_fixture {
		close(e.peer);
		close(e.dev);
	}
}
