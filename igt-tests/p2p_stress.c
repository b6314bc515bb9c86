// SPDX-License-Identifier: MIT
/*
 * A bounded concurrency stress run of the whole stack: threads allocate,
 * close, dup, migrate, query and probe dma-buf P2P buffers, write and check
 * them through mmap, read disks into them and write them to disks
 * (BLKDMABUFRW, BLKDMABUFRWBATCH) and import them into vgem, all at random
 * from a fixed seed, on a shared pool of buffers, so that the same buffer
 * sees several of these at once.  Every byte that moves is checked, and the
 * kernel log must stay clean (scripts/check-kernel-log).
 *
 * The model.  Each page of each buffer, and of each disk region the test
 * owns, has a struct src: what it must hold (zeros, a seekable pattern, or
 * a page of a disk image as it was before the run).  A buffer is cut into
 * stripes and a disk region into 512 KiB stripes, each with a mutex that a
 * data op (mmap write or check, disk read or write) holds while it moves
 * and checks the pages under it; a data op takes at most one buffer stripe,
 * then at most one disk stripe.  Everything else (moves, queries, probes,
 * vgem imports, dups, closes) runs without those locks, so it races with
 * the data ops on purpose.  A buffer is closed by the last op that holds a
 * reference on it, so no op ever passes a closed (or reused) fd number.
 *
 * Ground truth: data ops check the bytes through a fresh mmap of the range,
 * disk writes in the host's image file; a buffer that is closed is checked
 * whole through its mmap and, back in the VRAM's BAR, in the host's VRAM
 * file at the chunks QUERY reports; at the end each disk region is checked
 * in its image, byte for byte, against the model and written back.
 *
 * Errors.  A call may fail only with these, each counted, anything else
 * fails the test:
 *   EBUSY   MIGRATE, PROBE, BLKDMABUFRW(BATCH) and the vgem import, only
 *           while another op that pins the buffer overlapped the call: a
 *           vgem import (pins it in system memory until released), PROBE
 *           with DMA_BUF_P2P_PROBE_VMAP (vmap pins), any PROBE on the pin
 *           kernel (mapping pins), and disk I/O (mapping pins on the pin
 *           kernel, and bounced I/O vmaps the buffer on every kernel).  A
 *           transfer refused that way is retried with BLK_DMABUF_BOUNCE,
 *           which must work.  An unflagged transfer may take the bounce path
 *           only under the same condition (its device's mapping was refused).
 *   ENOSPC  ALLOC and MIGRATE to the BAR of a buffer on the NVMe's CMB
 *           (64 MiB, shared with the driver); the VRAM (256 MiB) always has
 *           room for the whole pool, checked before the run.
 *
 * Disk regions: [0, 1 MiB) of cmb0, peer0 and far0 are read only (as in
 * p2p_blk_io.c); [64, 66 MiB) of each, which no other test uses, is written,
 * saved from the image first and written back at the end (or from an exit
 * handler when the test fails).  Both are small: the host's images are
 * read through 9p, and written back with a flush.
 *
 * Reproducing: P2P_STRESS_SEED=<seed> P2P_STRESS_OPS=<ops per thread> pick
 * the seed and the run's length.  Op N of thread T and all its random
 * choices come from a generator seeded by the seed, T and N alone, so a
 * seed gives every thread the same ops again; which buffers they find, and
 * how they interleave, differ from run to run.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_proc.h"
#include "p2p_slice.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("Threads allocating, mapping, migrating, doing I/O, "
		     "importing and closing dma-buf P2P buffers at random from "
		     "a fixed seed: no unexpected error, every byte checked.");

#define KiB		((uint64_t)1 << 10)
#define MiB		((uint64_t)1 << 20)
#define PAGE		4096u

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_OPS		16		/* kinds of op */

#define NR_THREADS	6
#define DEFAULT_SEED	0x5eed5157ull
#define DEFAULT_OPS	1200		/* per thread */

#define NR_SLOTS	12		/* buffers alive at once, at most */
#define MAX_PAGES	1024		/* 4 MiB */
#define CMB_MAX_PAGES	64		/* CPU access to the CMB is MMIO */
#define MAX_STRIPES	8
#define MAX_RANGE	(MAX_PAGES / MAX_STRIPES)	/* pages of a data op */
#define BATCH_MAX	16

#define READ_LEN	(1 * MiB)	/* each disk's read-only head */
#define READ_PAGES	(READ_LEN / PAGE)
#define SLICE_OFF	(64 * MiB)	/* each disk's region to write */
#define SLICE_LEN	(2 * MiB)
#define SLICE_PAGES	(SLICE_LEN / PAGE)
#define DISK_STRIPE_PAGES MAX_RANGE
#define NR_DISK_STRIPES	(SLICE_PAGES / DISK_STRIPE_PAGES)

/* The importer lets go of a closed buffer within about a second. */
#define RELEASE_TIMEOUT_MS 5000


enum { DISK_CMB, DISK_PEER, DISK_FAR, NR_DISKS };
enum { PROV_VRAM, PROV_CMB, NR_PROVIDERS };

static const char *const provider_names[NR_PROVIDERS] = { "VRAM", "CMB" };

/* What one page must hold. */
enum { SRC_ZERO, SRC_PATTERN, SRC_IMAGE };

struct src {
	uint8_t kind;
	uint8_t disk;		/* SRC_IMAGE: whose image */
	uint64_t key;		/* SRC_PATTERN: seed; SRC_IMAGE: its offset */
	uint64_t pos;		/* SRC_PATTERN: offset in the seed's stream */
};

struct disk {
	const char *name;	/* "cmb0" */
	char dev[48];		/* "/dev/nvme0n1" */
	const char *image;
	int fd;			/* the block device, O_RDWR */
	int image_fd;		/* the host's image, p2p_image_open() */
	uint8_t *head;		/* its first READ_LEN bytes */
	struct p2p_slice slice;	/* [SLICE_OFF, +SLICE_LEN), saved */
	struct src *model;	/* SLICE_PAGES: what the slice holds */
	pthread_mutex_t lock[NR_DISK_STRIPES];	/* model's stripes, the I/O */
};

enum { SLOT_FREE, SLOT_ALLOCATING, SLOT_LIVE, SLOT_CLOSING };

struct slot {
	/* Under stress.lock. */
	int state;
	int refs;		/* the table's while live, and each op's */

	/* Set before the slot goes live, constant until it is free again. */
	int fd;
	int provider;		/* PROV_* */
	unsigned int pages;
	unsigned int nr_stripes;
	unsigned int stripe_pages;
	struct src *model;	/* pages entries, each under its stripe lock */
	pthread_mutex_t lock[MAX_STRIPES];

	/* The vgem import: held from one op to another. */
	pthread_mutex_t vgem_lock;
	uint32_t vgem_handle;	/* 0: none */

	/* See struct pin_window. */
	atomic_int pins;
	atomic_ulong pin_gen;
	atomic_int data_ops;	/* data ops running on it */
};

struct op_stats {
	atomic_ulong calls, done, skipped, ebusy, enospc;
};

struct worker;

struct op {
	const char *name;
	unsigned int weight;
	/* OP_DONE, OP_SKIPPED or OP_FAILED (after fail()). */
	int (*fn)(struct worker *w);
};

enum { OP_DONE, OP_SKIPPED, OP_FAILED };

struct stress {
	struct p2p_machine m;
	int dev;			/* /dev/dma-buf-p2p */
	int vgem;
	int vram_fd;			/* the host's VRAM file */
	bool pin_kernel;
	const struct p2p_pci *provider[NR_PROVIDERS];
	uint32_t mode[NR_PROVIDERS][NR_DISKS];	/* PROBE's mode */
	struct disk disk[NR_DISKS];

	uint64_t seed;
	unsigned int ops;		/* per thread */

	pthread_mutex_t lock;		/* the slots' state and refs */
	struct slot slot[NR_SLOTS];

	atomic_bool stop;
	pthread_mutex_t fail_lock;	/* failure */
	char failure[1024];		/* the first one */

	struct op_stats stats[MAX_OPS];
	atomic_ulong verified;		/* bytes */
	atomic_ulong moves;		/* MIGRATE calls that moved a buffer */
	atomic_ulong moves_during_data;	/* ... with a data op on it */
	atomic_ulong pinned_bounces;	/* transfers another op's pin bounced */
	atomic_ulong exporter_moves[2];	/* QUERY's, of closed buffers */
	atomic_ulong allocated, retired;
};

struct worker {
	struct stress *st;
	int id;			/* NR_THREADS: the main thread */
	uint64_t seq;		/* the thread's generator: one draw an op */
	uint64_t rng;		/* the op's generator, seeded from seq */
	unsigned int op;	/* the op's number in this thread */
	const char *op_name;
	struct op_stats *os;
	uint8_t *want, *got;	/* MAX_PAGES each */
};

static struct stress stress;

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static uint64_t rnd(struct worker *w)
{
	return p2p_splitmix64(&w->rng);
}

static unsigned int below(struct worker *w, unsigned int n)
{
	return rnd(w) % n;
}


static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	uint64_t x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtoull(v, &end, 0);
	igt_assert_f(!errno && *end == '\0', "%s=%s is not a number\n", name,
		     v);
	return x;
}

/*
 * Records the test's first failure and stops every thread; the caller
 * unwinds and returns OP_FAILED.  Workers never igt_assert: a failed assert
 * ends only its own thread, and with it the locks it holds.
 */
__attribute__((format(printf, 2, 3)))
static int fail(struct worker *w, const char *fmt, ...)
{
	struct stress *st = w->st;
	va_list ap;
	int n;

	pthread_mutex_lock(&st->fail_lock);
	if (!st->failure[0]) {
		n = snprintf(st->failure, sizeof(st->failure),
			     "thread %d, op %u (%s): ", w->id, w->op,
			     w->op_name);
		va_start(ap, fmt);
		vsnprintf(st->failure + n, sizeof(st->failure) - n, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&st->fail_lock);
	atomic_store(&st->stop, true);
	return OP_FAILED;
}

static void tolerate(struct worker *w, int err)
{
	if (err == -EBUSY)
		atomic_fetch_add(&w->os->ebusy, 1);
	else if (err == -ENOSPC)
		atomic_fetch_add(&w->os->enospc, 1);
}

/* ------------------------------------------------------------------ */
/* The model: what a page holds                                         */

static const uint8_t *image_page(const struct stress *st, int disk,
				 uint64_t off)
{
	const struct disk *d = &st->disk[disk];

	if (off < READ_LEN)
		return d->head + off;
	return d->slice.old + (off - SLICE_OFF);
}

/* The pattern is p2pctl's: word n of a seed, seekable to any page. */
static void pattern_page(uint8_t *out, uint64_t seed, uint64_t pos)
{
	uint64_t word;

	for (unsigned int i = 0; i < PAGE / 8; i++) {
		word = htole64(p2pctl_pattern_word(seed, pos / 8 + i));
		memcpy(out + 8 * i, &word, 8);
	}
}

static void model_bytes(const struct stress *st, const struct src *src,
			unsigned int pages, uint8_t *out)
{
	for (unsigned int i = 0; i < pages; i++, out += PAGE) {
		switch (src[i].kind) {
		case SRC_ZERO:
			memset(out, 0, PAGE);
			break;
		case SRC_PATTERN:
			pattern_page(out, src[i].key, src[i].pos);
			break;
		default:
			memcpy(out, image_page(st, src[i].disk, src[i].key),
			       PAGE);
			break;
		}
	}
}

static void src_name(const struct stress *st, const struct src *s, char *buf,
		     size_t len)
{
	switch (s->kind) {
	case SRC_ZERO:
		snprintf(buf, len, "zeros");
		break;
	case SRC_PATTERN:
		snprintf(buf, len, "pattern %#" PRIx64 " at %#" PRIx64, s->key,
			 s->pos);
		break;
	default:
		snprintf(buf, len, "%s's image at %#" PRIx64,
			 st->disk[s->disk].name, s->key);
		break;
	}
}

/*
 * @got is @want, @pages pages whose model is @src; @what says where the
 * bytes were and @base is the offset of the first in it.
 */
static bool same_bytes(struct worker *w, const uint8_t *got,
		       const uint8_t *want, const struct src *src,
		       unsigned int pages, uint64_t base, const char *what)
{
	size_t len = (size_t)pages * PAGE, bad = 0, first = 0;
	char name[96];

	if (!memcmp(got, want, len)) {
		atomic_fetch_add(&w->st->verified, len);
		return true;
	}
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i] && !bad++)
			first = i;
	src_name(w->st, &src[first / PAGE], name, sizeof(name));
	fail(w, "%s: %zu of %zu bytes differ, first at %#" PRIx64 ": %#04x, "
	     "expected %#04x (its page should hold %s)\n", what, bad, len,
	     base + first, got[first], want[first], name);
	return false;
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */

static const char *slot_name(const struct slot *s, char *buf, size_t len)
{
	snprintf(buf, len, "the %u KiB %s buffer (fd %d)",
		 s->pages * PAGE / 1024, provider_names[s->provider], s->fd);
	return buf;
}

/*
 * A slot in state @from picked at random, moved to state @to (a live one
 * staying live gains a reference); NULL when there is none.
 */
static struct slot *slot_claim(struct worker *w, int from, int to)
{
	struct stress *st = w->st;
	unsigned int start = below(w, NR_SLOTS);
	struct slot *s = NULL;

	pthread_mutex_lock(&st->lock);
	for (unsigned int i = 0; i < NR_SLOTS; i++) {
		struct slot *t = &st->slot[(start + i) % NR_SLOTS];

		if (t->state == from) {
			if (to == SLOT_LIVE)
				t->refs++;
			t->state = to;
			s = t;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return s;
}

/* A live buffer picked at random, with a reference; NULL when none. */
static struct slot *slot_get(struct worker *w)
{
	return slot_claim(w, SLOT_LIVE, SLOT_LIVE);
}

/* @s, claimed by slot_claim(), is free again. */
static void slot_free(struct worker *w, struct slot *s)
{
	pthread_mutex_lock(&w->st->lock);
	s->state = SLOT_FREE;
	pthread_mutex_unlock(&w->st->lock);
}

static bool slot_retire(struct worker *w, struct slot *s);

/* Drops a reference; the last one closes the buffer (a closing slot). */
static void slot_put(struct worker *w, struct slot *s)
{
	struct stress *st = w->st;
	bool last;

	pthread_mutex_lock(&st->lock);
	last = !--s->refs;
	pthread_mutex_unlock(&st->lock);
	if (!last)
		return;

	slot_retire(w, s);
	slot_free(w, s);
}

/*
 * EBUSY is right only while something pins the buffer.  Each op that may
 * pin it counts itself in s->pins while it runs (a vgem import until its
 * release) and bumps s->pin_gen as it starts.  An op that got EBUSY then
 * asks whether another pinner overlapped it: one was running when it
 * started, started since, or is running now.
 */
struct pin_window {
	unsigned long gen;
	bool busy;
	int own;		/* 1 when the op pins, else 0 */
};

static void pin_begin(struct slot *s, int own, struct pin_window *pw)
{
	pw->own = own;
	pw->busy = atomic_fetch_add(&s->pins, own) > 0;
	pw->gen = atomic_fetch_add(&s->pin_gen, own) + own;
}

static bool pin_overlapped(struct slot *s, const struct pin_window *pw)
{
	return pw->busy || atomic_load(&s->pin_gen) != pw->gen ||
	       atomic_load(&s->pins) > pw->own;
}

static void pin_end(struct slot *s, const struct pin_window *pw)
{
	atomic_fetch_sub(&s->pins, pw->own);
}

/* A range of whole pages of a buffer, inside one stripe. */
struct range {
	unsigned int stripe;
	unsigned int page;	/* the first */
	unsigned int pages;
};

static void pick_range(struct worker *w, const struct slot *s,
		       struct range *r)
{
	unsigned int n = s->stripe_pages;

	r->stripe = below(w, s->nr_stripes);
	r->pages = below(w, 2) ? n : 1 + below(w, n);
	r->page = r->stripe * n + below(w, n - r->pages + 1);
}

/*
 * A data op on range @r of @s starts: its stripe locked, then @disk's (a
 * disk stripe's lock, or NULL); migrations count it from here.
 */
static void data_enter(struct slot *s, const struct range *r,
		       pthread_mutex_t *disk)
{
	pthread_mutex_lock(&s->lock[r->stripe]);
	if (disk)
		pthread_mutex_lock(disk);
	atomic_fetch_add(&s->data_ops, 1);
}

/* It ends: the locks go, and the op's reference on @s. */
static void data_leave(struct worker *w, struct slot *s,
		       const struct range *r, pthread_mutex_t *disk)
{
	atomic_fetch_sub(&s->data_ops, 1);
	if (disk)
		pthread_mutex_unlock(disk);
	pthread_mutex_unlock(&s->lock[r->stripe]);
	slot_put(w, s);
}

/* @pages pages of a disk region the test owns, inside one stripe. */
struct drange {
	struct disk *d;
	unsigned int stripe;
	unsigned int page;	/* in the slice */
};

static void pick_drange(struct worker *w, unsigned int pages,
			struct drange *r)
{
	r->d = &w->st->disk[below(w, NR_DISKS)];
	r->stripe = below(w, NR_DISK_STRIPES);
	r->page = r->stripe * DISK_STRIPE_PAGES +
		  below(w, DISK_STRIPE_PAGES - pages + 1);
}

static uint64_t drange_off(const struct drange *r)
{
	return SLICE_OFF + (uint64_t)r->page * PAGE;
}

/* ------------------------------------------------------------------ */
/* Checks shared by the ops                                             */

/* DMA_BUF_IOCTL_SYNC around CPU access (DMA_BUF_SYNC_READ or _WRITE). */
static int cpu_begin(int fd, uint64_t rw)
{
	return __p2p_cpu_access(fd, DMA_BUF_SYNC_START | rw);
}

static int cpu_end(int fd, uint64_t rw)
{
	return __p2p_cpu_access(fd, DMA_BUF_SYNC_END | rw);
}

/* The buffer's pages @page.. are their model, through a fresh mmap. */
static bool check_map(struct worker *w, struct slot *s, unsigned int page,
		      unsigned int pages, const char *what)
{
	size_t len = (size_t)pages * PAGE;
	char name[64], msg[160];
	uint8_t *map;
	int err;

	model_bytes(w->st, s->model + page, pages, w->want);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, s->fd,
		   (off_t)page * PAGE);
	if (map == MAP_FAILED) {
		fail(w, "mmap of %s at page %u: %m\n",
		     slot_name(s, name, sizeof(name)), page);
		return false;
	}
	err = cpu_begin(s->fd, DMA_BUF_SYNC_READ);
	if (!err) {
		memcpy(w->got, map, len);
		err = cpu_end(s->fd, DMA_BUF_SYNC_READ);
	}
	munmap(map, len);
	if (err) {
		fail(w, "DMA_BUF_IOCTL_SYNC on %s: %s\n",
		     slot_name(s, name, sizeof(name)), p2p_errno_name(-err));
		return false;
	}
	snprintf(msg, sizeof(msg), "%s, through the mmap of %s", what,
		 slot_name(s, name, sizeof(name)));
	return same_bytes(w, w->got, w->want, s->model + page, pages,
			  (uint64_t)page * PAGE, msg);
}

/* The disk pages @r.page.. are their model, in the host's image. */
static bool check_image(struct worker *w, const struct drange *r,
			unsigned int pages, const char *what)
{
	size_t len = (size_t)pages * PAGE, done = 0;
	uint64_t off = drange_off(r);
	char msg[160];

	model_bytes(w->st, r->d->model + r->page, pages, w->want);
	while (done < len) {
		ssize_t n = pread(r->d->image_fd, w->got + done, len - done,
				  off + done);

		if (n <= 0) {
			fail(w, "reading %s at %#" PRIx64 ": %s\n",
			     r->d->image, off + done,
			     n ? strerror(errno) : "end of file");
			return false;
		}
		done += n;
	}
	snprintf(msg, sizeof(msg), "%s, in %s", what, r->d->image);
	return same_bytes(w, w->got, w->want, r->d->model + r->page, pages,
			  off, msg);
}

/*
 * How a transfer went: the bounce path when asked for, else the native one,
 * or the bounce path when another pin kept the buffer from the device.
 */
static bool check_path(struct worker *w, uint32_t flags, uint32_t path,
		       uint64_t cpu_bytes, uint64_t len, bool pinned)
{
	if (path == BLK_DMABUF_PATH_BOUNCE &&
	    ((flags & BLK_DMABUF_BOUNCE) || pinned)) {
		if (!(flags & BLK_DMABUF_BOUNCE))
			atomic_fetch_add(&w->st->pinned_bounces, 1);
		if (cpu_bytes == len)
			return true;
	} else if (path == BLK_DMABUF_PATH_NATIVE &&
		   !(flags & BLK_DMABUF_BOUNCE)) {
		if (!cpu_bytes)
			return true;
	}
	fail(w, "%" PRIu64 " bytes%s took path %u with cpu_bytes %" PRIu64
	     "%s\n", len, flags & BLK_DMABUF_BOUNCE ?
	     " (BLK_DMABUF_BOUNCE)" : "", path, cpu_bytes,
	     pinned ? "" : ", and nothing pinned it");
	return false;
}

/* ------------------------------------------------------------------ */
/* Buffers come and go                                                  */

static int op_alloc(struct worker *w)
{
	static const unsigned int sizes[] = {
		1, 2, 4, 16, 64, 128, 256, 512, 1024,
	};
	struct stress *st = w->st;
	unsigned int pages;
	int provider, err, fd = -1;
	struct slot *s = NULL;
	struct p2p_query q;

	provider = below(w, 5) ? PROV_VRAM : PROV_CMB;
	do
		pages = sizes[below(w, NELEMS(sizes))];
	while (provider == PROV_CMB && pages > CMB_MAX_PAGES);

	s = slot_claim(w, SLOT_FREE, SLOT_ALLOCATING);
	if (!s)
		return OP_SKIPPED;

	err = __p2p_alloc(st->dev, st->provider[provider],
			  (uint64_t)pages * PAGE, O_RDWR | O_CLOEXEC, &fd);
	if (err) {
		slot_free(w, s);
		if (err == -ENOSPC && provider == PROV_CMB) {
			tolerate(w, err);
			return OP_DONE;
		}
		return fail(w, "%u KiB on the %s: %s\n", pages * PAGE / 1024,
			    provider_names[provider], p2p_errno_name(-err));
	}
	err = __p2p_query(st->dev, fd, &q);
	if (err || q.q.size != (uint64_t)pages * PAGE ||
	    q.q.placement != DMA_BUF_P2P_PLACEMENT_BAR) {
		close(fd);
		slot_free(w, s);
		return fail(w, "a new %u KiB buffer: QUERY %s, size %" PRIu64
			    ", placement %u\n", pages * PAGE / 1024,
			    p2p_errno_name(-err), (uint64_t)q.q.size,
			    q.q.placement);
	}

	s->fd = fd;
	s->provider = provider;
	s->pages = pages;
	s->nr_stripes = pages < MAX_STRIPES ? pages : MAX_STRIPES;
	s->stripe_pages = pages / s->nr_stripes;
	/* A new buffer comes cleared: SRC_ZERO. */
	s->model = calloc(pages, sizeof(*s->model));
	if (!s->model) {
		close(fd);
		slot_free(w, s);
		return fail(w, "out of memory\n");
	}
	s->vgem_handle = 0;
	atomic_store(&s->pins, 0);
	atomic_store(&s->data_ops, 0);
	atomic_fetch_add(&st->allocated, 1);

	pthread_mutex_lock(&st->lock);
	s->state = SLOT_LIVE;
	s->refs = 1;
	pthread_mutex_unlock(&st->lock);
	return OP_DONE;
}

/* The table's reference goes: the buffer closes with the last op's. */
static int op_close(struct worker *w)
{
	struct slot *s = slot_claim(w, SLOT_LIVE, SLOT_CLOSING);

	if (!s)
		return OP_SKIPPED;
	slot_put(w, s);
	return OP_DONE;
}

static bool vgem_release(struct worker *w, struct slot *s)
{
	char name[64];
	int ret;

	if (!s->vgem_handle)
		return true;
	ret = drmCloseBufferHandle(w->st->vgem, s->vgem_handle);
	if (ret) {
		fail(w, "vgem lets go of %s: %m\n",
		     slot_name(s, name, sizeof(name)));
		return false;
	}
	s->vgem_handle = 0;
	atomic_fetch_sub(&s->pins, 1);
	return true;
}

/* The buffer's bytes from the host's VRAM file, at its chunks. */
static bool vram_read(struct worker *w, const struct p2p_query *q,
		      uint8_t *out)
{
	const struct stress *st = w->st;
	uint64_t total = 0;

	for (uint32_t i = 0; i < q->q.nr_chunks; i++) {
		const struct dma_buf_p2p_chunk_info *c = &q->chunks[i];
		size_t done = 0;

		if (!c->size || c->bar_offset + c->size > st->m.vram_size ||
		    total + c->size > q->q.size) {
			fail(w, "chunk %u at %#" PRIx64 " of %" PRIu64
			     " bytes: not in a %" PRIu64 " byte buffer in "
			     "the BAR\n", i, (uint64_t)c->bar_offset,
			     (uint64_t)c->size, (uint64_t)q->q.size);
			return false;
		}
		while (done < c->size) {
			ssize_t n = pread(st->vram_fd, out + total + done,
					  c->size - done,
					  c->bar_offset + done);

			if (n <= 0) {
				fail(w, "reading %s: %s\n", st->m.vram_file,
				     n ? strerror(errno) : "end of file");
				return false;
			}
			done += n;
		}
		total += c->size;
	}
	if (total != q->q.size || !q->q.nr_chunks) {
		fail(w, "%u chunks of %" PRIu64 " bytes for a %" PRIu64
		     " byte buffer in the BAR\n", q->q.nr_chunks, total,
		     (uint64_t)q->q.size);
		return false;
	}
	return true;
}

/*
 * Closes a buffer nobody else uses any more, after checking all of it:
 * vgem lets go, it moves back to its provider (a CMB buffer may find no
 * room), nothing pins it, its mmap holds the model and, in the VRAM, so
 * does the host's file.
 */
static bool slot_retire(struct worker *w, struct slot *s)
{
	struct stress *st = w->st;
	char name[64], msg[160];
	struct p2p_query q;
	bool ok = false;
	int err, moved;

	slot_name(s, name, sizeof(name));
	if (!vgem_release(w, s))
		goto out_close;
	moved = __p2p_migrate(st->dev, s->fd, DMA_BUF_P2P_PLACEMENT_BAR);
	if (moved && !(moved == -ENOSPC && s->provider == PROV_CMB)) {
		fail(w, "moving %s back to its provider to close it: %s\n",
		     name, p2p_errno_name(-moved));
		goto out_close;
	}
	err = __p2p_query(st->dev, s->fd, &q);
	if (err) {
		fail(w, "QUERY of %s: %s\n", name, p2p_errno_name(-err));
		goto out_close;
	}
	if (q.q.pin_count) {
		fail(w, "%s is pinned %u times with no op on it\n", name,
		     q.q.pin_count);
		goto out_close;
	}
	atomic_fetch_add(&st->exporter_moves[0], q.q.migrations_to_system);
	atomic_fetch_add(&st->exporter_moves[1], q.q.migrations_to_bar);
	if (!check_map(w, s, 0, s->pages, "a buffer being closed"))
		goto out_close;
	if (s->provider == PROV_VRAM) {
		if (q.q.placement != DMA_BUF_P2P_PLACEMENT_BAR) {
			fail(w, "%s is not in the BAR after a MIGRATE there\n",
			     name);
			goto out_close;
		}
		if (!vram_read(w, &q, w->got))
			goto out_close;
		snprintf(msg, sizeof(msg), "%s, in the VRAM file at its chunks",
			 name);
		if (!same_bytes(w, w->got, w->want, s->model, s->pages, 0,
				msg))
			goto out_close;
	}
	ok = true;

out_close:
	close(s->fd);
	free(s->model);
	s->model = NULL;
	atomic_fetch_add(&st->retired, 1);
	return ok;
}

/* A dup of the fd is the same buffer, and closing it closes nothing. */
static int op_dup(struct worker *w)
{
	struct slot *s = slot_get(w);
	struct p2p_query q;
	char name[64];
	int fd, err;

	if (!s)
		return OP_SKIPPED;
	fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		slot_put(w, s);
		return fail(w, "dup: %m\n");
	}
	err = __p2p_query(w->st->dev, fd, &q);
	close(fd);
	if (err || q.q.size != (uint64_t)s->pages * PAGE) {
		fail(w, "QUERY through a dup of %s: %s, size %" PRIu64 "\n",
		     slot_name(s, name, sizeof(name)), p2p_errno_name(-err),
		     (uint64_t)q.q.size);
		slot_put(w, s);
		return OP_FAILED;
	}
	slot_put(w, s);
	return OP_DONE;
}

/* ------------------------------------------------------------------ */
/* Placement: MIGRATE, QUERY, PROBE, vgem                               */

static int op_migrate(struct worker *w)
{
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	uint32_t to = below(w, 2);
	struct pin_window pw;
	struct p2p_query q;
	char name[64];
	bool data;
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	err = __p2p_query(st->dev, s->fd, &q);
	if (err) {
		ret = fail(w, "QUERY: %s\n", p2p_errno_name(-err));
		goto out;
	}
	data = atomic_load(&s->data_ops) > 0;
	pin_begin(s, 0, &pw);
	err = __p2p_migrate(st->dev, s->fd, to);
	data |= atomic_load(&s->data_ops) > 0;
	if ((err == -EBUSY && pin_overlapped(s, &pw)) ||
	    (err == -ENOSPC && to == DMA_BUF_P2P_PLACEMENT_BAR &&
	     s->provider == PROV_CMB)) {
		tolerate(w, err);
	} else if (err) {
		ret = fail(w, "moving %s to %s: %s%s\n",
			   slot_name(s, name, sizeof(name)),
			   to ? "system memory" : "the BAR", p2p_errno_name(-err),
			   err == -EBUSY ? ", and nothing pinned it" : "");
	} else if (q.q.placement != to) {
		atomic_fetch_add(&st->moves, 1);
		if (data)
			atomic_fetch_add(&st->moves_during_data, 1);
	}
	pin_end(s, &pw);
out:
	slot_put(w, s);
	return ret;
}

static int op_query(struct worker *w)
{
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	const struct p2p_pci *prov;
	struct p2p_query q;
	uint64_t total = 0;
	char name[64];
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	prov = st->provider[s->provider];
	err = __p2p_query(st->dev, s->fd, &q);
	for (uint32_t i = 0; !err && i < q.q.nr_chunks &&
	     i < P2P_MAX_CHUNKS; i++)
		total += q.chunks[i].size;
	if (err || q.q.size != (uint64_t)s->pages * PAGE ||
	    q.q.provider.domain != prov->id.domain ||
	    q.q.provider.bdf != prov->id.bdf ||
	    q.q.nr_attachments > P2P_MAX_ATTACH ||
	    (q.q.placement == DMA_BUF_P2P_PLACEMENT_BAR &&
	     (!q.q.nr_chunks || total != q.q.size)) ||
	    (q.q.placement == DMA_BUF_P2P_PLACEMENT_SYSTEM &&
	     q.q.nr_chunks) ||
	    q.q.placement > DMA_BUF_P2P_PLACEMENT_SYSTEM)
		ret = fail(w, "QUERY of %s: %s, size %" PRIu64 ", provider "
			   "%x:%x, placement %u, %u chunks of %" PRIu64
			   " bytes, %u attachments\n",
			   slot_name(s, name, sizeof(name)), p2p_errno_name(-err),
			   (uint64_t)q.q.size, q.q.provider.domain,
			   q.q.provider.bdf, q.q.placement, q.q.nr_chunks,
			   total, q.q.nr_attachments);
	slot_put(w, s);
	return ret;
}

/* Map for an NVMe, as its driver would: the topology's mode, all of it. */
static int op_probe(struct worker *w)
{
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	unsigned int n = below(w, NR_DISKS);
	bool vmap = !below(w, 3);
	struct dma_buf_p2p_probe p;
	struct pin_window pw;
	uint32_t mode, bus;
	char name[64];
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	mode = st->mode[s->provider][n];
	memset(&p, 0, sizeof(p));
	p.fd = s->fd;
	p.flags = vmap ? DMA_BUF_P2P_PROBE_VMAP : 0;
	p.device = st->m.nvme[n].pci.id;
	pin_begin(s, vmap || st->pin_kernel, &pw);
	err = p2p_ioctl(st->dev, DMA_BUF_P2P_IOC_PROBE, &p);
	if (err == -EBUSY && pin_overlapped(s, &pw)) {
		tolerate(w, err);
		goto out;
	}
	if (err) {
		ret = fail(w, "PROBE of %s for %s: %s%s\n",
			   slot_name(s, name, sizeof(name)),
			   st->disk[n].name, p2p_errno_name(-err),
			   err == -EBUSY ? ", and nothing pinned it" : "");
		goto out;
	}
	bus = p.placement == DMA_BUF_P2P_PLACEMENT_BAR &&
	      mode == DMA_BUF_P2P_MODE_BUS ? p.nr_segments : 0;
	if (p.mode != mode || p.size != (uint64_t)s->pages * PAGE ||
	    p.reason != (mode == DMA_BUF_P2P_MODE_SYSTEM ?
			 DMA_BUF_P2P_REASON_NO_PATH :
			 DMA_BUF_P2P_REASON_NONE) ||
	    (mode == DMA_BUF_P2P_MODE_SYSTEM &&
	     p.placement != DMA_BUF_P2P_PLACEMENT_SYSTEM) ||
	    p.placement > DMA_BUF_P2P_PLACEMENT_SYSTEM ||
	    !p.nr_segments || p.bus_segments != bus)
		ret = fail(w, "PROBE of %s for %s: mode %u (expected %u), "
			   "reason %u, placement %u, %u segments (%u bus), "
			   "%" PRIu64 " bytes\n",
			   slot_name(s, name, sizeof(name)),
			   st->disk[n].name, p.mode, mode, p.reason,
			   p.placement, p.nr_segments, p.bus_segments,
			   (uint64_t)p.size);
out:
	pin_end(s, &pw);
	slot_put(w, s);
	return ret;
}

/* vgem imports the buffer (and keeps it, pinned in system memory). */
static int op_vgem_import(struct worker *w)
{
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	struct pin_window pw;
	struct p2p_query q;
	uint32_t handle, i;
	char name[64];
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	pthread_mutex_lock(&s->vgem_lock);
	if (s->vgem_handle) {
		ret = OP_SKIPPED;
		goto out;
	}
	pin_begin(s, 1, &pw);
	err = drmPrimeFDToHandle(st->vgem, s->fd, &handle) ? -errno : 0;
	if (err) {
		if (err == -EBUSY && pin_overlapped(s, &pw))
			tolerate(w, err);
		else
			ret = fail(w, "vgem imports %s: %s%s\n",
				   slot_name(s, name, sizeof(name)),
				   p2p_errno_name(-err), err == -EBUSY ?
				   ", and nothing else pinned it" : "");
		pin_end(s, &pw);
		goto out;
	}
	/* The pin is the slot's from here: vgem_release() drops it. */
	s->vgem_handle = handle;

	err = __p2p_query(st->dev, s->fd, &q);
	for (i = 0; !err && i < q.q.nr_attachments && i < P2P_MAX_ATTACH;
	     i++)
		if (!strcmp(q.att[i].device, "vgem"))
			break;
	if (err || q.q.placement != DMA_BUF_P2P_PLACEMENT_SYSTEM ||
	    !q.q.pin_count || i == q.q.nr_attachments ||
	    i == P2P_MAX_ATTACH ||
	    q.att[i].mode != DMA_BUF_P2P_MODE_SYSTEM ||
	    q.att[i].reason != DMA_BUF_P2P_REASON_NO_PEER2PEER)
		ret = fail(w, "%s imported by vgem: QUERY %s, placement %u, "
			   "pinned %u times, vgem %s\n",
			   slot_name(s, name, sizeof(name)), p2p_errno_name(-err),
			   q.q.placement, q.q.pin_count,
			   i < q.q.nr_attachments ? "attached" : "absent");
out:
	pthread_mutex_unlock(&s->vgem_lock);
	slot_put(w, s);
	return ret;
}

static int op_vgem_release(struct worker *w)
{
	struct slot *s = slot_get(w);
	int ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	pthread_mutex_lock(&s->vgem_lock);
	if (!s->vgem_handle)
		ret = OP_SKIPPED;
	else if (!vgem_release(w, s))
		ret = OP_FAILED;
	pthread_mutex_unlock(&s->vgem_lock);
	slot_put(w, s);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Data: CPU mappings                                                   */

/* A new pattern over a range, written and read back through an mmap. */
static int op_mmap_write(struct worker *w)
{
	struct slot *s = slot_get(w);
	uint64_t seed = rnd(w);
	char name[64], msg[128];
	struct range r;
	size_t len;
	uint8_t *map;
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	pick_range(w, s, &r);
	len = (size_t)r.pages * PAGE;
	slot_name(s, name, sizeof(name));

	data_enter(s, &r, NULL);
	for (unsigned int i = 0; i < r.pages; i++)
		s->model[r.page + i] = (struct src){
			.kind = SRC_PATTERN,
			.key = seed,
			.pos = (uint64_t)i * PAGE,
		};
	model_bytes(w->st, s->model + r.page, r.pages, w->want);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
		   (off_t)r.page * PAGE);
	if (map == MAP_FAILED) {
		ret = fail(w, "mmap of %s: %m\n", name);
		goto out;
	}
	err = cpu_begin(s->fd, DMA_BUF_SYNC_WRITE);
	if (!err) {
		memcpy(map, w->want, len);
		err = cpu_end(s->fd, DMA_BUF_SYNC_WRITE);
	}
	if (!err)
		err = cpu_begin(s->fd, DMA_BUF_SYNC_READ);
	if (!err) {
		memcpy(w->got, map, len);
		err = cpu_end(s->fd, DMA_BUF_SYNC_READ);
	}
	munmap(map, len);
	if (err) {
		ret = fail(w, "DMA_BUF_IOCTL_SYNC on %s: %s\n", name,
			   p2p_errno_name(-err));
		goto out;
	}
	snprintf(msg, sizeof(msg), "a write read back through the mmap of %s",
		 name);
	if (!same_bytes(w, w->got, w->want, s->model + r.page, r.pages,
			(uint64_t)r.page * PAGE, msg))
		ret = OP_FAILED;
out:
	data_leave(w, s, &r, NULL);
	return ret;
}

static int op_mmap_check(struct worker *w)
{
	struct slot *s = slot_get(w);
	struct range r;
	int ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	pick_range(w, s, &r);
	data_enter(s, &r, NULL);
	if (!check_map(w, s, r.page, r.pages, "a range checked"))
		ret = OP_FAILED;
	data_leave(w, s, &r, NULL);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Data: disks                                                          */

/*
 * One transfer; refused because another op pinned the buffer out of the
 * device's reach (EBUSY), it goes again through the bounce path.
 */
static int transfer(struct worker *w, struct slot *s, const struct disk *d,
		    uint32_t flags, uint64_t buf_off, uint64_t dev_off,
		    uint64_t len)
{
	struct blk_dmabuf_rw rw;
	struct pin_window pw;
	char name[64];
	bool pinned;
	int err;

	pin_begin(s, 1, &pw);
	err = p2p_blk_rw(d->fd, s->fd, flags, buf_off, dev_off, len, &rw);
	if (err == -EBUSY && pin_overlapped(s, &pw)) {
		tolerate(w, err);
		flags |= BLK_DMABUF_BOUNCE;
		err = p2p_blk_rw(d->fd, s->fd, flags, buf_off, dev_off, len, &rw);
	}
	pinned = pin_overlapped(s, &pw);
	pin_end(s, &pw);
	if (err)
		return fail(w, "%s %" PRIu64 " KiB at %#" PRIx64 " of %s %s "
			    "%s at %#" PRIx64 "%s: %s%s\n",
			    flags & BLK_DMABUF_WRITE ? "writing" : "reading",
			    len / KiB, dev_off, d->name,
			    flags & BLK_DMABUF_WRITE ? "from" : "into",
			    slot_name(s, name, sizeof(name)), buf_off,
			    flags & BLK_DMABUF_BOUNCE ? " (bounced)" : "",
			    p2p_errno_name(-err),
			    err == -EBUSY ? ", and nothing pinned it" : "");
	if (!check_path(w, flags, rw.path, rw.cpu_bytes, len, pinned))
		return OP_FAILED;
	return OP_DONE;
}

/* A disk range into a buffer range: the read-only head or an owned stripe. */
static int op_blk_read(struct worker *w)
{
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	bool owned = !below(w, 3);
	struct drange dr = { 0 };
	uint64_t dev_off;
	struct range r;
	uint32_t flags;
	char msg[64];
	int ret;

	if (!s)
		return OP_SKIPPED;
	pick_range(w, s, &r);
	flags = below(w, 8) ? 0 : BLK_DMABUF_BOUNCE;
	if (owned) {
		pick_drange(w, r.pages, &dr);
		dev_off = drange_off(&dr);
	} else {
		dr.d = &st->disk[below(w, NR_DISKS)];
		dev_off = (uint64_t)below(w, READ_PAGES - r.pages + 1) * PAGE;
	}

	data_enter(s, &r, owned ? &dr.d->lock[dr.stripe] : NULL);
	ret = transfer(w, s, dr.d, flags, (uint64_t)r.page * PAGE, dev_off,
		       (uint64_t)r.pages * PAGE);
	if (ret)
		goto out;
	for (unsigned int i = 0; i < r.pages; i++)
		s->model[r.page + i] = owned ? dr.d->model[dr.page + i] :
			(struct src){
				.kind = SRC_IMAGE,
				.disk = dr.d - st->disk,
				.key = dev_off + (uint64_t)i * PAGE,
			};
	snprintf(msg, sizeof(msg), "a read from %s", dr.d->name);
	if (!check_map(w, s, r.page, r.pages, msg))
		ret = OP_FAILED;
out:
	data_leave(w, s, &r, owned ? &dr.d->lock[dr.stripe] : NULL);
	return ret;
}

/* A buffer range onto an owned disk stripe, checked in the host's image. */
static int op_blk_write(struct worker *w)
{
	struct slot *s = slot_get(w);
	struct drange dr;
	struct range r;
	char msg[64];
	int ret;

	if (!s)
		return OP_SKIPPED;
	pick_range(w, s, &r);
	pick_drange(w, r.pages, &dr);

	data_enter(s, &r, &dr.d->lock[dr.stripe]);
	ret = transfer(w, s, dr.d,
		       BLK_DMABUF_WRITE | (below(w, 8) ? 0 : BLK_DMABUF_BOUNCE),
		       (uint64_t)r.page * PAGE, drange_off(&dr),
		       (uint64_t)r.pages * PAGE);
	if (ret)
		goto out;
	memcpy(dr.d->model + dr.page, s->model + r.page,
	       r.pages * sizeof(*s->model));
	snprintf(msg, sizeof(msg), "a write to %s", dr.d->name);
	if (!check_image(w, &dr, r.pages, msg))
		ret = OP_FAILED;
out:
	data_leave(w, s, &r, &dr.d->lock[dr.stripe]);
	return ret;
}

/*
 * BLKDMABUFRWBATCH: a buffer range cut into pieces, each read from its own
 * place in a disk's read-only head, issued in a shuffled order.
 */
static int op_blk_batch(struct worker *w)
{
	static const uint32_t depths[] = { 0, 1, 2, 4, 8 };
	struct stress *st = w->st;
	struct slot *s = slot_get(w);
	struct blk_dmabuf_io io[BATCH_MAX];
	struct blk_dmabuf_rw_batch b;
	struct pin_window pw;
	unsigned int nr, each, i;
	char name[64], msg[64];
	struct disk *d;
	struct range r;
	uint32_t flags;
	uint64_t total;
	bool pinned;
	int err, ret = OP_DONE;

	if (!s)
		return OP_SKIPPED;
	pick_range(w, s, &r);
	d = &st->disk[below(w, NR_DISKS)];
	nr = 1 + below(w, r.pages < BATCH_MAX ? r.pages : BATCH_MAX);
	each = r.pages / nr;
	total = (uint64_t)r.pages * PAGE;
	flags = below(w, 8) ? 0 : BLK_DMABUF_BOUNCE;
	memset(io, 0, sizeof(io));
	for (i = 0; i < nr; i++) {
		unsigned int pages = i == nr - 1 ? r.pages - i * each : each;

		io[i].buf_offset = (uint64_t)(r.page + i * each) * PAGE;
		io[i].length = pages * PAGE;
		io[i].dev_offset = (uint64_t)below(w, READ_PAGES - pages + 1) *
				   PAGE;
	}
	for (i = nr - 1; i > 0; i--) {
		unsigned int j = below(w, i + 1);
		struct blk_dmabuf_io t = io[i];

		io[i] = io[j];
		io[j] = t;
	}
	b = (struct blk_dmabuf_rw_batch){
		.dmabuf_fd = s->fd,
		.flags = flags,
		.ios = (uintptr_t)io,
		.nr_ios = nr,
		.queue_depth = depths[below(w, NELEMS(depths))],
	};

	data_enter(s, &r, NULL);
	pin_begin(s, 1, &pw);
	err = p2p_ioctl(d->fd, BLKDMABUFRWBATCH, &b);
	if (err == -EBUSY && pin_overlapped(s, &pw)) {
		tolerate(w, err);
		for (i = 0; i < nr; i++)
			io[i].result = 0;
		b.flags = flags |= BLK_DMABUF_BOUNCE;
		b.path = b.maps = 0;
		b.cpu_bytes = 0;
		err = p2p_ioctl(d->fd, BLKDMABUFRWBATCH, &b);
	}
	pinned = pin_overlapped(s, &pw);
	pin_end(s, &pw);
	slot_name(s, name, sizeof(name));
	if (err) {
		for (i = 0; i < nr && !io[i].result; i++)
			;
		ret = fail(w, "a batch of %u reads (%" PRIu64 " KiB) from %s "
			   "into %s%s: %s; entry %u: %s\n", nr, total / KiB,
			   d->name, name,
			   flags & BLK_DMABUF_BOUNCE ? " (bounced)" : "",
			   p2p_errno_name(-err), i,
			   i < nr ? p2p_errno_name(-io[i].result) : "-");
		goto out;
	}
	if (!check_path(w, flags, b.path, b.cpu_bytes, total, pinned)) {
		ret = OP_FAILED;
		goto out;
	}
	for (i = 0; i < nr; i++)
		for (unsigned int p = 0; p < io[i].length / PAGE; p++)
			s->model[io[i].buf_offset / PAGE + p] = (struct src){
				.kind = SRC_IMAGE,
				.disk = d - st->disk,
				.key = io[i].dev_offset + (uint64_t)p * PAGE,
			};
	snprintf(msg, sizeof(msg), "a batch of %u reads from %s", nr,
		 d->name);
	if (!check_map(w, s, r.page, r.pages, msg))
		ret = OP_FAILED;
out:
	data_leave(w, s, &r, NULL);
	return ret;
}

/* ------------------------------------------------------------------ */
/* random-ops                                                           */

static const struct op ops[] = {
	{ "alloc",		5, op_alloc },
	{ "close",		3, op_close },
	{ "dup-close",		2, op_dup },
	{ "migrate",		8, op_migrate },
	{ "query",		3, op_query },
	{ "probe",		4, op_probe },
	{ "mmap-write",		7, op_mmap_write },
	{ "mmap-check",		5, op_mmap_check },
	{ "blk-read",		7, op_blk_read },
	{ "blk-batch",		3, op_blk_batch },
	{ "blk-write",		5, op_blk_write },
	{ "vgem-import",	2, op_vgem_import },
	{ "vgem-release",	2, op_vgem_release },
};

_Static_assert(NELEMS(ops) <= MAX_OPS, "MAX_OPS is too small");

static const struct op *pick_op(struct worker *w)
{
	unsigned int total = 0, x;

	for (unsigned int i = 0; i < NELEMS(ops); i++)
		total += ops[i].weight;
	x = below(w, total);
	for (unsigned int i = 0; i < NELEMS(ops); i++) {
		if (x < ops[i].weight)
			return &ops[i];
		x -= ops[i].weight;
	}
	return &ops[0];
}

static void run_op(struct worker *w, const struct op *op)
{
	struct op_stats *os = &w->st->stats[op - ops];
	int ret;

	w->op_name = op->name;
	w->os = os;
	atomic_fetch_add(&os->calls, 1);
	ret = op->fn(w);
	if (ret == OP_DONE)
		atomic_fetch_add(&os->done, 1);
	else if (ret == OP_SKIPPED)
		atomic_fetch_add(&os->skipped, 1);
}

static void worker_init(struct worker *w, struct stress *st, int id)
{
	memset(w, 0, sizeof(*w));
	w->st = st;
	w->id = id;
	/* A generator of its own: the seed's stream, id steps along. */
	w->seq = st->seed;
	for (int i = 0; i <= id; i++)
		w->seq = p2p_splitmix64(&w->seq);
	w->rng = p2p_splitmix64(&w->seq);
	w->want = p2p_xalloc((size_t)MAX_PAGES * PAGE);
	w->got = p2p_xalloc((size_t)MAX_PAGES * PAGE);
}

static void worker_fini(struct worker *w)
{
	free(w->want);
	free(w->got);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (w->op = 0; w->op < w->st->ops && !atomic_load(&w->st->stop);
	     w->op++) {
		/* However many numbers the last op drew, this one's are set. */
		w->rng = p2p_splitmix64(&w->seq);
		run_op(w, pick_op(w));
	}
	return NULL;
}

/* Dma-bufs the importer holds now, over all its users. */
static long long import_count(void)
{
	return p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
}

static uint64_t provider_free(const struct stress *st, int provider)
{
	return p2p_sysfs_u64(st->provider[provider]->addr, "p2pmem/available");
}

static void disks_save(struct stress *st)
{
	for (int i = 0; i < NR_DISKS; i++) {
		struct disk *d = &st->disk[i];

		p2p_slice_save(&d->slice, d->dev, d->image, SLICE_OFF,
			       SLICE_LEN);
		d->head = p2p_file_dup(d->image, 0, READ_LEN);
		d->model = calloc(SLICE_PAGES, sizeof(*d->model));
		igt_assert(d->model);
		for (unsigned int p = 0; p < SLICE_PAGES; p++)
			d->model[p] = (struct src){
				.kind = SRC_IMAGE,
				.disk = i,
				.key = SLICE_OFF + (uint64_t)p * PAGE,
			};
	}
}

/*
 * Each disk region holds its model in the image; then its old bytes.  A
 * model may name any disk's bytes: all are checked before any is freed.
 */
static void disks_check_restore(struct stress *st)
{
	uint8_t *want = p2p_xalloc(SLICE_LEN);
	char what[64];

	for (int i = 0; i < NR_DISKS; i++) {
		struct disk *d = &st->disk[i];

		model_bytes(st, d->model, SLICE_PAGES, want);
		snprintf(what, sizeof(what), "%s's region after the run",
			 d->name);
		p2p_check_file(d->image, SLICE_OFF, want, SLICE_LEN, what);
		atomic_fetch_add(&st->verified, SLICE_LEN);
	}
	for (int i = 0; i < NR_DISKS; i++) {
		struct disk *d = &st->disk[i];

		p2p_slice_restore(&d->slice);
		free(d->model);
		free(d->head);
		d->model = NULL;
		d->head = NULL;
	}
	free(want);
}

static void print_stats(struct stress *st)
{
	igt_info("%-14s %7s %7s %7s %7s %7s\n", "op", "calls", "done",
		 "skipped", "EBUSY", "ENOSPC");
	for (unsigned int i = 0; i < NELEMS(ops); i++) {
		struct op_stats *os = &st->stats[i];

		igt_info("%-14s %7lu %7lu %7lu %7lu %7lu\n", ops[i].name,
			 atomic_load(&os->calls), atomic_load(&os->done),
			 atomic_load(&os->skipped), atomic_load(&os->ebusy),
			 atomic_load(&os->enospc));
	}
	igt_info("%lu buffers allocated, %lu closed; %lu MiB verified\n",
		 atomic_load(&st->allocated),
		 atomic_load(&st->retired),
		 atomic_load(&st->verified) / MiB);
	igt_info("MIGRATE moved a buffer %lu times, %lu of them with a data "
		 "op running on it; the exporter counted %lu moves to system "
		 "memory and %lu to the BAR\n", atomic_load(&st->moves),
		 atomic_load(&st->moves_during_data),
		 atomic_load(&st->exporter_moves[0]),
		 atomic_load(&st->exporter_moves[1]));
	igt_info("%lu transfers took the bounce path because another op "
		 "pinned the buffer out of the device's reach\n",
		 atomic_load(&st->pinned_bounces));
}

static void test_random_ops(struct stress *st)
{
	uint64_t vram0, cmb0, sys_room;
	struct worker w[NR_THREADS + 1], *main_w = &w[NR_THREADS];
	pthread_t th[NR_THREADS];
	long long imports0, imports = 0;
	double t0, t1, t2;
	bool back = false;
	int fds0;

	st->seed = env_u64("P2P_STRESS_SEED", DEFAULT_SEED);
	st->ops = env_u64("P2P_STRESS_OPS", DEFAULT_OPS);
	igt_info("seed %#" PRIx64 " (P2P_STRESS_SEED), %u threads of %u ops "
		 "(P2P_STRESS_OPS), %s kernel\n", st->seed, NR_THREADS,
		 st->ops, st->pin_kernel ? "pin" : "move_notify");

	/* Earlier tests' closed buffers go first, with their imports. */
	for (int t = 0; t < RELEASE_TIMEOUT_MS / 50 && import_count(); t++)
		usleep(50 * 1000);
	imports0 = import_count();

	/* The whole pool fits in the VRAM, and in system memory's quota. */
	vram0 = provider_free(st, PROV_VRAM);
	cmb0 = provider_free(st, PROV_CMB);
	igt_require_f(vram0 >= 2 * NR_SLOTS * MAX_PAGES * PAGE,
		      "%" PRIu64 " bytes of VRAM free\n", vram0);
	/* What earlier tests' buffers still hold counts against the cap. */
	sys_room = p2p_exporter_u64("max_system_bytes") -
		   p2p_exporter_u64("system_bytes");
	igt_require_f(sys_room >= 2 * NR_SLOTS * MAX_PAGES * PAGE,
		      "%" PRIu64 " bytes left under max_system_bytes\n",
		      sys_room);
	fds0 = p2p_count_fds();

	t0 = p2p_now_s();
	disks_save(st);
	atomic_store(&st->stop, false);
	st->failure[0] = '\0';

	/* Half the pool to start with, from the main thread's generator. */
	worker_init(main_w, st, NR_THREADS);
	main_w->op_name = "setup";
	main_w->os = &st->stats[0];
	for (int i = 0; i < NR_SLOTS / 2; i++)
		igt_assert_eq(op_alloc(main_w), OP_DONE);
	igt_assert_f(!st->failure[0], "%s", st->failure);

	t1 = p2p_now_s();
	for (int i = 0; i < NR_THREADS; i++) {
		worker_init(&w[i], st, i);
		igt_assert_eq(pthread_create(&th[i], NULL, worker_main, &w[i]),
			      0);
	}
	for (int i = 0; i < NR_THREADS; i++)
		igt_assert_eq(pthread_join(th[i], NULL), 0);
	t2 = p2p_now_s();
	if (st->failure[0])
		print_stats(st);
	igt_assert_f(!st->failure[0], "seed %#" PRIx64 ", %s", st->seed,
		     st->failure);

	/* Quiet again: every buffer checked whole, in the VRAM file too. */
	main_w->op_name = "final check";
	for (int i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &st->slot[i];

		if (s->state != SLOT_LIVE)
			continue;
		s->state = SLOT_CLOSING;
		s->refs = 0;
		igt_assert_f(slot_retire(main_w, s), "seed %#" PRIx64 ", %s",
			     st->seed, st->failure);
		s->state = SLOT_FREE;
	}
	disks_check_restore(st);
	worker_fini(main_w);
	for (int i = 0; i < NR_THREADS; i++)
		worker_fini(&w[i]);

	/*
	 * Nothing left: the importer lets go of closed buffers in ~1 s.  At
	 * least as much free as before, since a buffer an earlier test closed
	 * just before this one started may have gone back meanwhile.
	 */
	for (int t = 0; t < RELEASE_TIMEOUT_MS / 50 && !back; t++) {
		imports = import_count();
		back = provider_free(st, PROV_VRAM) >= vram0 &&
		       provider_free(st, PROV_CMB) >= cmb0 &&
		       imports <= imports0;
		if (!back)
			usleep(50 * 1000);
	}
	igt_assert_f(back, "%d ms after the last close: VRAM %" PRIu64
		     " bytes free (%" PRIu64 " before), CMB %" PRIu64 " (%"
		     PRIu64 "), %lld imports (%lld)\n", RELEASE_TIMEOUT_MS,
		     provider_free(st, PROV_VRAM), vram0,
		     provider_free(st, PROV_CMB), cmb0, imports, imports0);
	igt_assert_eq(p2p_count_fds(), fds0);

	print_stats(st);
	igt_info("%.1f s to save the disk regions, %.1f s of ops, %.1f s to "
		 "check and close everything\n", t1 - t0, t2 - t1,
		 p2p_now_s() - t2);
	for (unsigned int i = 0; i < NELEMS(ops); i++)
		igt_assert_f(atomic_load(&st->stats[i].done) > 0,
			     "%s never ran to the end\n", ops[i].name);
	igt_assert_f(atomic_load(&st->moves_during_data) > 0,
		     "no MIGRATE moved a buffer while a data op ran on it\n");
}

/* ------------------------------------------------------------------ */
/* mmap-writes-during-migration                                         */

#define MW_SIZE		(4 * MiB)
#define MW_WRITERS	2
#define MW_PASSES	6
#define MW_CHUNK	(64 * KiB)

struct mw {
	int dev, fd;
	uint64_t seed;
	volatile uint64_t *map;
	atomic_int writing;		/* writers not done */
	atomic_ulong moves;
	atomic_ulong moves_seen[MW_WRITERS];	/* during a writer's passes */
	pthread_mutex_t lock;		/* failure */
	char failure[256];
};

__attribute__((format(printf, 2, 3)))
static void mw_fail(struct mw *mw, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&mw->lock);
	if (!mw->failure[0]) {
		va_start(ap, fmt);
		vsnprintf(mw->failure, sizeof(mw->failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&mw->lock);
}

static bool mw_failed(struct mw *mw)
{
	bool failed;

	pthread_mutex_lock(&mw->lock);
	failed = mw->failure[0];
	pthread_mutex_unlock(&mw->lock);
	return failed;
}

/* Word @n of writer @id's pass @pass. */
static uint64_t mw_word(const struct mw *mw, int id, int pass, uint64_t n)
{
	return p2pctl_pattern_word(mw->seed + pass * MW_WRITERS + id, n);
}

struct mw_writer {
	struct mw *mw;
	int id;
};

/* Its half of the buffer, word by word, a new pattern each pass. */
static void *mw_writer(void *arg)
{
	struct mw *mw = ((struct mw_writer *)arg)->mw;
	int id = ((struct mw_writer *)arg)->id;
	const uint64_t words = MW_SIZE / MW_WRITERS / 8;
	const uint64_t base = id * words, chunk = MW_CHUNK / 8;
	unsigned long moves0 = atomic_load(&mw->moves);

	for (int pass = 0; pass < MW_PASSES && !mw_failed(mw); pass++) {
		for (uint64_t c = 0; c < words; c += chunk) {
			if (__p2p_cpu_access(mw->fd, DMA_BUF_SYNC_START |
					     DMA_BUF_SYNC_WRITE))
				mw_fail(mw, "DMA_BUF_IOCTL_SYNC failed\n");
			for (uint64_t n = c; n < c + chunk; n++)
				mw->map[base + n] = mw_word(mw, id, pass, n);
			if (__p2p_cpu_access(mw->fd, DMA_BUF_SYNC_END |
					     DMA_BUF_SYNC_WRITE))
				mw_fail(mw, "DMA_BUF_IOCTL_SYNC failed\n");
		}
		/* Every word of the pass survived the moves under it. */
		if (__p2p_cpu_access(mw->fd, DMA_BUF_SYNC_START |
				     DMA_BUF_SYNC_READ))
			mw_fail(mw, "DMA_BUF_IOCTL_SYNC failed\n");
		for (uint64_t n = 0; n < words; n++) {
			uint64_t got = mw->map[base + n];

			if (got != mw_word(mw, id, pass, n)) {
				mw_fail(mw, "writer %d, pass %d: word %#"
					PRIx64 " is %#" PRIx64 ", written %#"
					PRIx64 "%s\n", id, pass,
					(base + n) * 8, got,
					mw_word(mw, id, pass, n),
					pass && got == mw_word(mw, id,
							       pass - 1, n) ?
					" (the previous pass's word)" : "");
				break;
			}
		}
		if (__p2p_cpu_access(mw->fd, DMA_BUF_SYNC_END |
				     DMA_BUF_SYNC_READ))
			mw_fail(mw, "DMA_BUF_IOCTL_SYNC failed\n");
	}
	atomic_store(&mw->moves_seen[id], atomic_load(&mw->moves) - moves0);
	atomic_fetch_sub(&mw->writing, 1);
	return NULL;
}

static void *mw_migrator(void *arg)
{
	struct mw *mw = arg;
	uint32_t to = DMA_BUF_P2P_PLACEMENT_SYSTEM;

	while (atomic_load(&mw->writing) > 0 && !mw_failed(mw)) {
		int err = __p2p_migrate(mw->dev, mw->fd, to);

		/* Nothing pins it: every move must go through. */
		if (err) {
			mw_fail(mw, "moving the buffer to %s: %s\n",
				to ? "system memory" : "the BAR",
				strerror(-err));
			break;
		}
		atomic_fetch_add(&mw->moves, 1);
		to ^= 1;
	}
	return NULL;
}

static void test_mmap_writes_during_migration(struct stress *st)
{
	struct mw_writer args[MW_WRITERS];
	pthread_t writer[MW_WRITERS], migrator;
	struct p2p_query q;
	uint64_t *want;
	struct mw mw;
	double start;
	void *map;

	memset(&mw, 0, sizeof(mw));
	pthread_mutex_init(&mw.lock, NULL);
	mw.dev = st->dev;
	mw.seed = env_u64("P2P_STRESS_SEED", DEFAULT_SEED);
	mw.fd = p2p_alloc(st->dev, &st->m.vram, MW_SIZE, O_RDWR | O_CLOEXEC);
	map = p2p_map(mw.fd, MW_SIZE);
	mw.map = map;
	atomic_store(&mw.writing, MW_WRITERS);

	start = p2p_now_s();
	igt_assert_eq(pthread_create(&migrator, NULL, mw_migrator, &mw), 0);
	for (int i = 0; i < MW_WRITERS; i++) {
		args[i] = (struct mw_writer){ .mw = &mw, .id = i };
		igt_assert_eq(pthread_create(&writer[i], NULL, mw_writer,
					     &args[i]), 0);
	}
	for (int i = 0; i < MW_WRITERS; i++)
		igt_assert_eq(pthread_join(writer[i], NULL), 0);
	igt_assert_eq(pthread_join(migrator, NULL), 0);
	igt_info("%d writers, %d passes over %" PRIu64 " MiB in %.1f s; %lu "
		 "moves (%lu during writer 0's passes, %lu during writer "
		 "1's)\n", MW_WRITERS, MW_PASSES, MW_SIZE / MiB,
		 p2p_now_s() - start, atomic_load(&mw.moves),
		 atomic_load(&mw.moves_seen[0]),
		 atomic_load(&mw.moves_seen[1]));
	igt_assert_f(!mw.failure[0], "%s", mw.failure);
	for (int i = 0; i < MW_WRITERS; i++)
		igt_assert_f(atomic_load(&mw.moves_seen[i]) >= 2,
			     "writer %d saw %lu moves\n", i,
			     atomic_load(&mw.moves_seen[i]));

	/* Back in the BAR: the last pass, in the mmap and the VRAM file. */
	start = p2p_now_s();
	want = p2p_xalloc(MW_SIZE);
	for (int id = 0; id < MW_WRITERS; id++)
		for (uint64_t n = 0; n < MW_SIZE / MW_WRITERS / 8; n++)
			want[id * (MW_SIZE / MW_WRITERS / 8) + n] =
				mw_word(&mw, id, MW_PASSES - 1, n);
	p2p_migrate(st->dev, mw.fd, DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_query(st->dev, mw.fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_cpu_access(mw.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_bytes(map, (uint8_t *)want, MW_SIZE, "the mmap at the end");
	p2p_cpu_access(mw.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	{
		uint8_t *got = p2p_vram_dup(&st->m, &q, MW_SIZE);

		p2p_check_bytes(got, (uint8_t *)want, MW_SIZE,
				"the buffer in the VRAM file");
		free(got);
	}
	free(want);
	munmap(map, MW_SIZE);
	close(mw.fd);
	igt_info("checked in %.1f s\n", p2p_now_s() - start);
}

/* ------------------------------------------------------------------ */

static void disk_open(struct stress *st, int i)
{
	struct disk *d = &st->disk[i];
	char name[32];
	uint64_t size;

	d->name = st->m.nvme[i].serial;
	d->image = st->m.nvme[i].image;
	igt_assert_f(p2p_block_by_serial(d->name, name, sizeof(name)),
		     "no block device with serial %s\n", d->name);
	snprintf(d->dev, sizeof(d->dev), "/dev/%s", name);
	d->fd = open(d->dev, O_RDWR | O_CLOEXEC);
	igt_assert_f(d->fd >= 0, "cannot open %s: %m\n", d->dev);
	igt_assert_eq(ioctl(d->fd, BLKGETSIZE64, &size), 0);
	igt_assert_f(size >= SLICE_OFF + SLICE_LEN, "%s is %" PRIu64
		     " bytes\n", d->dev, size);
	d->image_fd = p2p_image_open(d->image);
	for (unsigned int s = 0; s < NR_DISK_STRIPES; s++)
		pthread_mutex_init(&d->lock[s], NULL);
}

igt_main
{
	struct stress *st = &stress;

	igt_fixture {
		p2p_machine_load(&st->m);
		st->pin_kernel = !st->m.move_notify;
		st->dev = p2p_dev_open();
		st->vgem = drm_open_driver(DRIVER_VGEM);
		st->vram_fd = p2p_image_open(st->m.vram_file);
		st->provider[PROV_VRAM] = &st->m.vram;
		st->provider[PROV_CMB] = &st->m.nvme[DISK_CMB].pci;
		for (int i = 0; i < NR_DISKS; i++) {
			disk_open(st, i);
			for (int p = 0; p < NR_PROVIDERS; p++)
				st->mode[p][i] = p2p_expected_mode(
					st->provider[p], &st->m.nvme[i].pci,
					st->m.host_bridge_p2p);
		}
		pthread_mutex_init(&st->lock, NULL);
		pthread_mutex_init(&st->fail_lock, NULL);
		for (int i = 0; i < NR_SLOTS; i++) {
			for (int s = 0; s < MAX_STRIPES; s++)
				pthread_mutex_init(&st->slot[i].lock[s], NULL);
			pthread_mutex_init(&st->slot[i].vgem_lock, NULL);
		}
	}

	igt_describe("Six threads do random ops (allocate, close, dup, "
		     "migrate, query, probe, mmap write and check, disk reads, "
		     "batches and writes, vgem import and release) on a shared "
		     "pool of VRAM and CMB buffers from a fixed seed: only the "
		     "documented errors, every byte moved checked against a "
		     "model (mmap, disk images, VRAM file), nothing leaked.");
	igt_subtest("random-ops")
		test_random_ops(st);

	igt_describe("Two threads write every word of a 4 MiB buffer "
		     "through its mmap, pass after pass, while a third moves "
		     "it between the BAR and system memory: no word is lost, "
		     "and the last pass is in the VRAM file.");
	igt_subtest("mmap-writes-during-migration")
		test_mmap_writes_during_migration(st);

	igt_fixture {
		for (int i = 0; i < NR_DISKS; i++) {
			close(st->disk[i].image_fd);
			close(st->disk[i].fd);
		}
		close(st->vram_fd);
		close(st->vgem);
		close(st->dev);
	}
}
