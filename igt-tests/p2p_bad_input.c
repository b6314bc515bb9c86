// SPDX-License-Identifier: MIT
/*
 * Bad input, all of it in one place: every ioctl of /dev/dma-buf-p2p
 * (include/uapi/linux/dma-buf-p2p.h) and BLKDMABUFRW and BLKDMABUFRWBATCH
 * (include/uapi/linux/blk-dmabuf.h) called with invalid arguments from one
 * table per ioctl, each case with the errno its header documents; p2pctl's
 * commands with bad command lines and bad objects, each with its exit status
 * and exact message; the provider unbound under a buffer; and a fuzzer of
 * the same ioctls with a fixed seed.
 *
 * A case passes only if the call fails with exactly its errno and changes
 * nothing: not the argument (the kernel writes out fields on success only),
 * not the process's fds, not the VRAM provider's free memory, not our main
 * buffer's state (its QUERY) or bytes, and, for calls that would write a
 * disk, not one byte of the host's image behind it.  Every write that is
 * tried aims at the last 4 MiB of peer0 (the region p2p_blk_io's
 * invalid-inputs keeps for the same purpose), which the block subtests read
 * from the image first and check, byte for byte, at the end.
 *
 * Calls whose argument the kernel cannot write back after it did its work
 * (a read-only argument of BLKDMABUFRW or DMA_BUF_P2P_IOC_PROBE) name
 * a buffer of their own (FD_SCRATCH), so that the work they did is not
 * mistaken for a change.
 *
 * Truncated and oversized structs: the drivers match the whole request
 * number, size included, so any other _IOC_SIZE (or direction) is not their
 * ioctl at all: ENOTTY, from /dev/dma-buf-p2p as from the block layer and
 * the NVMe driver below it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf-p2p.h>
#include <linux/dma-heap.h>
#include <linux/fs.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_proc.h"
#include "p2p_slice.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("Every ioctl and every p2pctl command refuses bad "
		     "input with the documented errno or exit status and "
		     "message, and changes nothing; a fixed-seed fuzzer of the "
		     "ioctls leaves the kernel alive, leaks nothing and gets "
		     "only documented errnos.");

#define KiB		((uint64_t)1 << 10)
#define MiB		((uint64_t)1 << 20)
#define PAGE		4096

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define BUF_SIZE	(1 * MiB)	/* our buffers */
#define FOREIGN_SIZE	(64 * KiB)	/* other exporters' buffers */
#define SLICE_SIZE	(4 * MiB)	/* peer0's end: rejected writes aim here */
#define SCRATCH_SIZE	(256 * KiB)	/* what argument pointers point into */
#define CHUNKS_OFF	(192 * KiB)	/* QUERY's chunks, in the scratch */
#define NR_IOS		(BLK_DMABUF_BATCH_MAX + 1)
#define ARG_MAX		256		/* larger than every struct + 8 */
/* An address no user pointer has: the kernel's direct map. */
#define KERNEL_ADDR	0xffff888000000000ull

#define EXPORTER_BUFFERS "/sys/kernel/debug/dma-buf-p2p/buffers"
#define DST_FILE	"/tmp/p2p_bad_input.dst"
#define NO_SOCKET	"/tmp/p2p_bad_input.nosock"

/* The fds the cases name.  FD_FAMILY, in a case's .on, is the family's. */
enum {
	FD_FAMILY,
	FD_BUF,		/* ours, O_RDWR, in the BAR, holds ctx.pattern */
	FD_BUF_RO,	/* ours, O_RDONLY */
	FD_ATT,		/* ours, imported by vgem: pinned in system memory */
	FD_SYS,		/* ours, moved to system memory */
	FD_SCRATCH,	/* ours, for calls that do work before they fail */
	FD_VGEM,	/* vgem's, through PRIME */
	FD_UDMABUF,
	FD_HEAP,	/* the system heap's, O_RDWR */
	FD_HEAP_WO,	/* the system heap's, O_WRONLY */
	FD_NULL,	/* /dev/null */
	FD_CLOSED,	/* a number no fd has */
	FD_NEG,		/* -1 */
	FD_BIG,		/* INT_MAX */
	FD_DEV,		/* /dev/dma-buf-p2p */
	FD_BLK,		/* peer0, O_RDWR */
	FD_BLK_RO,	/* peer0, O_RDONLY */
	FD_BLK_WO,	/* peer0, O_WRONLY */
	NR_FDS
};


/* The PCI functions the cases name. */
enum {
	PCI_VRAM,	/* p2p-bar's provider */
	PCI_CMB,	/* cmb0: NVMe, a provider */
	PCI_PEER,	/* peer0: NVMe below the switch, no CMB */
	PCI_FAR,	/* far0: NVMe behind the other root port, no CMB */
	PCI_HOST,	/* 0000:00:00.0, the host bridge */
	PCI_ABSENT,	/* 0000:ff:1f.7: no such function */
	PCI_BAD_DOMAIN,	/* domain 0x7fff */
	PCI_NEG_DOMAIN,	/* domain 0xffffffff */
	PCI_BDF_OVER,	/* bdf 0x10000 */
	NR_PCI
};

/* How a case's value for a field is found. */
enum {
	K_LIT,		/* the value itself */
	K_FD,		/* fd slot FD_* */
	K_DOM,		/* domain of PCI_* */
	K_BDF,		/* bdf of PCI_* */
	K_SCRATCH,	/* the scratch memory + value */
	K_NONE,		/* a PROT_NONE page */
	K_RO,		/* a read-only page (a copy of the scratch's first) */
	K_KERNEL,	/* KERNEL_ADDR */
	K_TAIL,		/* value bytes before the PROT_NONE page */
	K_DEV,		/* peer0's size + (int64_t)value */
	K_SLICE,	/* the slice's offset + (int64_t)value */
	K_VRAM,		/* the VRAM provider's size + (int64_t)value */
};

struct set {
	uint16_t off;
	uint16_t size;
	uint8_t kind;
	uint64_t val;
};

/* Where the argument is. */
enum {
	ARG_STRUCT,	/* in ordinary memory */
	ARG_NULL,
	ARG_NONE,	/* on a PROT_NONE page */
	ARG_RO,		/* on a read-only page */
	ARG_KERNEL,	/* at KERNEL_ADDR */
	ARG_TAIL,	/* its last 8 bytes on a PROT_NONE page */
};

/* The request's direction, when not the struct's. */
enum { DIR_SAME, DIR_NONE, DIR_R, DIR_W, DIR_RW };

#define CASE_BOTH	(1 << 0)	/* BLKDMABUFRW: as a read, then a write */
#define CASE_WRITES	(1 << 1)	/* batch: every entry a write */
#define CASE_NOFILE	(1 << 2)	/* no fd number free (RLIMIT_NOFILE) */
#define CASE_FULL	(1 << 3)	/* no VRAM free */
#define CASE_RO_DISK	(1 << 4)	/* peer0 read-only (BLKROSET) */

struct ioc_case {
	const char *what;
	int err;
	unsigned int flags;	/* CASE_* */
	int on;			/* the fd the call goes to, FD_FAMILY */
	int arg;		/* ARG_* */
	int dir;		/* DIR_* */
	int dsize;		/* the request's size minus the struct's */
	int entry;		/* the batch entry @eset changes */
	struct set set[6];
	struct set eset[3];
};

struct family {
	const char *name;
	unsigned long req;
	size_t size;
	int on;				/* FD_* it goes to */
	void (*good)(void *arg);	/* a valid argument */
	bool has_fd;			/* a u32 fd at offset 0 */
	const struct ioc_case *cases;
	size_t nr_cases;
};

struct ctx {
	struct p2p_machine m;
	int fd[NR_FDS];
	struct dma_buf_p2p_pci_id pci[NR_PCI];
	int vgem;
	uint32_t att_handle;	/* vgem's handle of FD_ATT */
	uint8_t *map;		/* FD_BUF's CPU mapping */
	uint8_t *pattern;	/* what FD_BUF holds */
	char peer[48];		/* "/dev/nvme1n1" */
	char peer_name[32];	/* "nvme1n1" */
	uint64_t dev_size;
	uint64_t slice;		/* where the slice starts: dev_size - 4 MiB */
	uint32_t lbs;
	uint8_t *scratch;	/* SCRATCH_SIZE bytes, then: */
	uint8_t *guard;		/* a PROT_NONE page, then: */
	uint8_t *ro;		/* a read-only page */
	unsigned long taint;
};

static struct ctx ctx;

/* ------------------------------------------------------------------ */
/* The process and the machine                                          */

static unsigned long read_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");

	igt_assert(f);
	igt_assert_eq(fscanf(f, "%lu", &t), 1);
	fclose(f);
	return t;
}

/* The VRAM provider's free p2pmem; UINT64_MAX while it is unbound. */
static uint64_t vram_available(void)
{
	char buf[64];

	if (!p2p_sysfs_read(ctx.m.vram.addr, "p2pmem/available", buf,
			    sizeof(buf)))
		return UINT64_MAX;
	return strtoull(buf, NULL, 0);
}

static bool buffers_alive(void)
{
	char line[256];
	bool any = false;
	FILE *f;

	f = fopen(EXPORTER_BUFFERS, "re");
	if (!f)
		return false;
	while (!any && fgets(line, sizeof(line), f))
		any = !strncmp(line, "buffer ", 7);
	fclose(f);
	return any;
}

/*
 * The importer cache lets go of a closed buffer about a second after its
 * last close, and the provider's free memory grows then: wait for the
 * buffers of the process before us, so that it does not grow under a case.
 */
static void settle(void)
{
	for (int i = 0; i < 100 && buffers_alive(); i++)
		usleep(50 * 1000);
	if (buffers_alive())
		igt_warn("buffers of an earlier process are still alive\n");
}

/* A buffer holding all the VRAM that is free (-1 when none is). */
static int fill_vram(void)
{
	uint64_t avail = vram_available();
	int fd = -1;

	if (avail)
		fd = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, avail,
			       O_RDWR | O_CLOEXEC);
	igt_assert_eq_u64(vram_available(), 0);
	return fd;
}

/* peer0 read-only, and back; also from the exit handler (a signal). */
static volatile sig_atomic_t ro_disk_fd = -1;

static void set_disk_ro(int fd, int ro)
{
	if (ioctl(fd, BLKROSET, &ro))
		igt_warn("BLKROSET %d: %m\n", ro);
	ro_disk_fd = ro ? fd : -1;
}

static void ro_disk_restore(int sig)
{
	int zero = 0;

	(void)sig;
	if (ro_disk_fd >= 0)
		ioctl(ro_disk_fd, BLKROSET, &zero);
}

/* ------------------------------------------------------------------ */
/* The fixture                                                          */

static void open_peer(void)
{
	const struct p2p_nvme *peer = &ctx.m.nvme[1];
	uint64_t size;
	int lbs;

	igt_assert_f(p2p_block_by_serial(peer->serial, ctx.peer_name,
					 sizeof(ctx.peer_name)),
		     "no disk with serial %s\n", peer->serial);
	snprintf(ctx.peer, sizeof(ctx.peer), "/dev/%s", ctx.peer_name);
	ctx.fd[FD_BLK] = open(ctx.peer, O_RDWR | O_CLOEXEC);
	igt_assert_f(ctx.fd[FD_BLK] >= 0, "%s: %m\n", ctx.peer);
	/* Not close-on-exec: p2pctl's dump gets it. */
	ctx.fd[FD_BLK_RO] = open(ctx.peer, O_RDONLY);
	igt_assert_fd(ctx.fd[FD_BLK_RO]);
	ctx.fd[FD_BLK_WO] = open(ctx.peer, O_WRONLY | O_CLOEXEC);
	igt_assert_fd(ctx.fd[FD_BLK_WO]);
	igt_assert_eq(ioctl(ctx.fd[FD_BLK], BLKGETSIZE64, &size), 0);
	igt_assert_eq(ioctl(ctx.fd[FD_BLK], BLKSSZGET, &lbs), 0);
	ctx.dev_size = size;
	ctx.lbs = lbs;
	/* 256 is then never aligned, 4096 always. */
	igt_assert_f(lbs == 512 || lbs == 4096, "logical blocks of %d\n",
		     lbs);
	igt_assert(size > 2 * SLICE_SIZE);
	ctx.slice = size - SLICE_SIZE;
}

static void open_foreign(void)
{
	struct drm_mode_create_dumb dumb = { .width = 128, .height = 128,
					     .bpp = 32 };
	struct dma_heap_allocation_data ha = { .len = FOREIGN_SIZE };
	int memfd, heap;

	ctx.vgem = drm_open_driver(DRIVER_VGEM);
	do_ioctl(ctx.vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	igt_assert_eq_u64(dumb.size, FOREIGN_SIZE);
	/* Read-write: reads from a disk into it are valid. */
	ctx.fd[FD_VGEM] = prime_handle_to_fd_for_mmap(ctx.vgem, dumb.handle);
	igt_assert_fd(ctx.fd[FD_VGEM]);
	igt_assert_eq(fcntl(ctx.fd[FD_VGEM], F_SETFD, 0), 0);

	/* Every case runs: a machine without these skips the test. */
	ctx.fd[FD_UDMABUF] = p2p_udmabuf(FOREIGN_SIZE, 0, &memfd);
	close(memfd);

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	igt_require_f(heap >= 0, "no /dev/dma_heap/system: %m\n");
	ha.fd_flags = O_RDWR;
	igt_assert_eq(p2p_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &ha), 0);
	ctx.fd[FD_HEAP] = ha.fd;
	ha.fd = 0;
	ha.fd_flags = O_WRONLY;
	igt_assert_eq(p2p_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &ha), 0);
	ctx.fd[FD_HEAP_WO] = ha.fd;
	close(heap);
}

static void setup(void)
{
	const int dev_flags = O_RDWR;	/* not O_CLOEXEC: p2pctl gets them */
	struct p2p_query q;
	uint8_t *old;
	uint64_t seed;

	p2p_machine_load(&ctx.m);
	settle();
	ctx.taint = read_taint();
	for (int i = 0; i < NR_FDS; i++)
		ctx.fd[i] = -1;
	ctx.fd[FD_DEV] = p2p_dev_open();
	open_peer();
	open_foreign();

	ctx.pci[PCI_VRAM] = ctx.m.vram.id;
	ctx.pci[PCI_CMB] = ctx.m.nvme[0].pci.id;
	ctx.pci[PCI_PEER] = ctx.m.nvme[1].pci.id;
	ctx.pci[PCI_FAR] = ctx.m.nvme[2].pci.id;
	ctx.pci[PCI_HOST] = (struct dma_buf_p2p_pci_id){ 0, 0 };
	ctx.pci[PCI_ABSENT] = (struct dma_buf_p2p_pci_id){ 0, 0xffff };
	ctx.pci[PCI_BAD_DOMAIN] = ctx.m.vram.id;
	ctx.pci[PCI_BAD_DOMAIN].domain = 0x7fff;
	ctx.pci[PCI_NEG_DOMAIN] = ctx.m.vram.id;
	ctx.pci[PCI_NEG_DOMAIN].domain = 0xffffffff;
	ctx.pci[PCI_BDF_OVER] = (struct dma_buf_p2p_pci_id){ 0, 0x10000 };

	/* Our buffers. FD_BUF holds a pattern unlike the slice's bytes. */
	ctx.fd[FD_BUF] = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, BUF_SIZE,
				   dev_flags);
	ctx.fd[FD_BUF_RO] = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, BUF_SIZE,
				      O_RDONLY);
	ctx.fd[FD_ATT] = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, BUF_SIZE,
				   dev_flags);
	igt_assert_eq(drmPrimeFDToHandle(ctx.vgem, ctx.fd[FD_ATT],
					 &ctx.att_handle), 0);
	ctx.fd[FD_SYS] = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, BUF_SIZE,
				   dev_flags);
	p2p_migrate(ctx.fd[FD_DEV], ctx.fd[FD_SYS],
		    DMA_BUF_P2P_PLACEMENT_SYSTEM);
	ctx.fd[FD_SCRATCH] = p2p_alloc(ctx.fd[FD_DEV], &ctx.m.vram, BUF_SIZE,
				       O_RDWR | O_CLOEXEC);
	p2p_query(ctx.fd[FD_DEV], ctx.fd[FD_ATT], &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);

	old = p2p_file_dup(ctx.m.nvme[1].image, ctx.slice, 64 * KiB);
	seed = 0xbad1 ^ p2p_crc32(old, 64 * KiB);
	ctx.pattern = p2p_xalloc(BUF_SIZE);
	p2p_fill_pattern(ctx.pattern, BUF_SIZE, seed);
	/* A rejected write that went through anyway must show. */
	igt_assert(memcmp(ctx.pattern, old, 64 * KiB));
	free(old);
	ctx.map = p2p_map(ctx.fd[FD_BUF], BUF_SIZE);
	memcpy(ctx.map, ctx.pattern, BUF_SIZE);

	ctx.fd[FD_NULL] = open("/dev/null", O_RDWR);
	igt_assert_fd(ctx.fd[FD_NULL]);
	ctx.fd[FD_CLOSED] = p2p_closed_fd();
	ctx.fd[FD_NEG] = -1;
	ctx.fd[FD_BIG] = INT_MAX;

	ctx.scratch = mmap(NULL, SCRATCH_SIZE + 2 * PAGE,
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(ctx.scratch != MAP_FAILED);
	ctx.guard = ctx.scratch + SCRATCH_SIZE;
	ctx.ro = ctx.guard + PAGE;
	igt_assert_eq(mprotect(ctx.guard, PAGE, PROT_NONE), 0);
	igt_assert_eq(mprotect(ctx.ro, PAGE, PROT_READ), 0);
}

static void teardown(void)
{
	if (ctx.att_handle)
		drmCloseBufferHandle(ctx.vgem, ctx.att_handle);
	for (int i = FD_BUF; i < NR_FDS; i++)
		if (ctx.fd[i] >= 0 && i != FD_CLOSED && i != FD_BIG)
			close(ctx.fd[i]);
	if (ctx.vgem >= 0)
		close(ctx.vgem);
}

/* ------------------------------------------------------------------ */
/* Running a case                                                       */

/* The state a failed call must leave as it was. */
struct state {
	int fds;
	uint64_t vram_avail;
	struct dma_buf_p2p_query q;	/* FD_BUF's */
};

static void snapshot(struct state *s)
{
	memset(s, 0, sizeof(*s));
	s->fds = p2p_count_fds();
	s->vram_avail = vram_available();
	s->q.fd = ctx.fd[FD_BUF];
	igt_assert_eq(p2p_ioctl(ctx.fd[FD_DEV], DMA_BUF_P2P_IOC_QUERY, &s->q),
		      0);
}

/* Differences of @b from @a, and of FD_BUF's bytes: 0 or 1 failure. */
static int state_changed(const char *label, const struct state *a,
			 const struct state *b)
{
	const char *what = NULL;

	if (a->fds != b->fds)
		what = "the number of open fds";
	else if (a->vram_avail != b->vram_avail)
		what = "the VRAM provider's free memory";
	else if (memcmp(&a->q, &b->q, sizeof(a->q)))
		what = "FD_BUF's QUERY (placement, counters, attachments)";
	else if (memcmp(ctx.map, ctx.pattern, BUF_SIZE))
		what = "FD_BUF's bytes";
	if (!what)
		return 0;
	igt_warn("%s: the call changed %s (fds %d -> %d, VRAM free %" PRIu64
		 " -> %" PRIu64 ")\n", label, what, a->fds, b->fds,
		 a->vram_avail, b->vram_avail);
	return 1;
}

/* The value @s names. */
static uint64_t resolve(const struct set *s)
{
	uint64_t v;

	switch (s->kind) {
	case K_LIT:
		v = s->val;
		break;
	case K_FD:
		v = (uint64_t)(int64_t)ctx.fd[s->val];
		break;
	case K_DOM:
		v = ctx.pci[s->val].domain;
		break;
	case K_BDF:
		v = ctx.pci[s->val].bdf;
		break;
	case K_SCRATCH:
		v = (uintptr_t)ctx.scratch + s->val;
		break;
	case K_NONE:
		v = (uintptr_t)ctx.guard;
		break;
	case K_RO:
		v = (uintptr_t)ctx.ro;
		break;
	case K_KERNEL:
		v = KERNEL_ADDR;
		break;
	case K_TAIL:
		v = (uintptr_t)ctx.guard - s->val;
		break;
	case K_DEV:
		v = ctx.dev_size + s->val;
		break;
	case K_SLICE:
		v = ctx.slice + s->val;
		break;
	case K_VRAM:
		v = ctx.m.vram_size + s->val;
		break;
	default:
		igt_assert_f(0, "value kind %u\n", s->kind);
	}
	return v;
}

/* Fields of @base as @set says (little-endian: the low bytes). */
static void apply(uint8_t *base, const struct set *set, size_t n,
		  bool *ro_copy)
{
	for (size_t i = 0; i < n && set[i].size; i++) {
		uint64_t v = resolve(&set[i]);

		*ro_copy |= set[i].kind == K_RO;
		memcpy(base + set[i].off, &v, set[i].size);
	}
}

/* The read-only page, holding @len bytes of @src. */
static void ro_fill(const void *src, size_t len)
{
	igt_assert_eq(mprotect(ctx.ro, PAGE, PROT_READ | PROT_WRITE), 0);
	memset(ctx.ro, 0, PAGE);
	memcpy(ctx.ro, src, len);
	igt_assert_eq(mprotect(ctx.ro, PAGE, PROT_READ), 0);
}

/* Where the call's argument goes, and how many of its bytes it can read. */
static void *place(int where, void *arg, size_t size, size_t *readable)
{
	uint8_t *p;

	*readable = 0;
	switch (where) {
	case ARG_NULL:
		return NULL;
	case ARG_NONE:
		return ctx.guard;
	case ARG_KERNEL:
		return (void *)(uintptr_t)KERNEL_ADDR;
	case ARG_RO:
		ro_fill(arg, size);
		*readable = size;
		return ctx.ro;
	case ARG_TAIL:
		p = ctx.guard - (size - 8);
		memcpy(p, arg, size - 8);
		*readable = size - 8;
		return p;
	default:
		*readable = size;
		return arg;
	}
}

static unsigned long request(const struct family *f, const struct ioc_case *tc)
{
	static const unsigned int dirs[] = {
		[DIR_NONE] = _IOC_NONE,
		[DIR_R] = _IOC_READ,
		[DIR_W] = _IOC_WRITE,
		[DIR_RW] = _IOC_READ | _IOC_WRITE,
	};
	unsigned int dir = tc->dir ? dirs[tc->dir] : _IOC_DIR(f->req);

	return _IOC(dir, _IOC_TYPE(f->req), _IOC_NR(f->req),
		    _IOC_SIZE(f->req) + tc->dsize);
}

/* Batch entries, in the scratch memory. */
static struct blk_dmabuf_io *entries(void)
{
	return (struct blk_dmabuf_io *)ctx.scratch;
}

/* Sets up what the case's flags ask for; returns what to undo. */
static int case_pre(const struct ioc_case *tc, struct rlimit *saved)
{
	struct rlimit lim;
	int fd;

	if (tc->flags & CASE_FULL)
		return fill_vram();
	if (tc->flags & CASE_RO_DISK)
		set_disk_ro(ctx.fd[FD_BLK], 1);
	if (tc->flags & CASE_NOFILE) {
		/* Every number below the limit taken: no fd can be made. */
		fd = fcntl(ctx.fd[FD_DEV], F_DUPFD, 0);
		igt_assert_fd(fd);
		close(fd);
		igt_assert_eq(getrlimit(RLIMIT_NOFILE, saved), 0);
		lim = *saved;
		lim.rlim_cur = fd;
		igt_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	}
	return -1;
}

static void case_post(const struct ioc_case *tc, const struct rlimit *saved,
		      int filler)
{
	if (tc->flags & CASE_NOFILE)
		igt_assert_eq(setrlimit(RLIMIT_NOFILE, saved), 0);
	if (tc->flags & CASE_RO_DISK)
		set_disk_ro(ctx.fd[FD_BLK], 0);
	if (filler >= 0)
		close(filler);
}

/* One call; 0 when it failed as the case says and changed nothing. */
static int run_case(const struct family *f, const struct ioc_case *tc,
		    bool write)
{
	uint8_t arg[ARG_MAX] __attribute__((aligned(8))), want[ARG_MAX];
	struct state before, after;
	bool ro_copy = false;
	struct rlimit saved;
	int on, ret, err, filler;
	size_t readable;
	char label[160];
	void *p;

	snprintf(label, sizeof(label), "%s, %s%s", f->name, tc->what,
		 write ? " (as a write)" : "");
	memset(arg, 0, sizeof(arg));
	f->good(arg);
	if (tc->flags & CASE_WRITES)
		for (int i = 0; i < NR_IOS; i++)
			entries()[i].flags |= BLK_DMABUF_WRITE;
	on = tc->on ? tc->on : f->on;
	apply(arg, tc->set, NELEMS(tc->set), &ro_copy);
	apply((uint8_t *)&entries()[tc->entry], tc->eset, NELEMS(tc->eset),
	      &ro_copy);
	/* After the case's flags: the same call, as a write. */
	if (write)
		((struct blk_dmabuf_rw *)arg)->flags |= BLK_DMABUF_WRITE;
	if (ro_copy)
		ro_fill(ctx.scratch, PAGE);
	p = place(tc->arg, arg, f->size, &readable);
	if (readable)
		memcpy(want, p, readable);

	snapshot(&before);
	filler = case_pre(tc, &saved);
	ret = ioctl(ctx.fd[on], request(f, tc), p);
	err = ret ? errno : 0;
	case_post(tc, &saved, filler);
	/* A buffer made by mistake must not leak into the next case. */
	if (!ret && f->req == DMA_BUF_P2P_IOC_ALLOC)
		close(((struct dma_buf_p2p_alloc *)p)->fd);
	snapshot(&after);

	igt_info("%s: %s\n", label, p2p_errno_name(err));
	if (ret != -1 || err != tc->err) {
		igt_warn("%s: got %s, expected %s\n", label, p2p_errno_name(err),
			 p2p_errno_name(tc->err));
		return 1;
	}
	if (readable && memcmp(p, want, readable)) {
		igt_warn("%s: the argument changed\n", label);
		return 1;
	}
	return state_changed(label, &before, &after);
}

/* The family's valid argument works: the cases differ from it in one way. */
static void run_control(const struct family *f)
{
	uint8_t arg[ARG_MAX] __attribute__((aligned(8)));
	int ret;

	memset(arg, 0, sizeof(arg));
	f->good(arg);
	/* Not FD_BUF: a valid call may change it (a read, a mapping). */
	if (f->has_fd)
		*(uint32_t *)arg = ctx.fd[FD_SCRATCH];
	ret = ioctl(ctx.fd[f->on], f->req, arg);
	igt_assert_f(!ret, "%s with a valid argument: %m\n", f->name);
	if (f->req == DMA_BUF_P2P_IOC_ALLOC)
		close(((struct dma_buf_p2p_alloc *)arg)->fd);
}

static void check_taint(void)
{
	unsigned long t = read_taint();

	igt_assert_f(t == ctx.taint, "the kernel got tainted: %#lx -> %#lx "
		     "(see its log)\n", ctx.taint, t);
}

static void test_family(const struct family *f)
{
	int failed = 0, run = 0;

	run_control(f);
	for (size_t i = 0; i < f->nr_cases; i++) {
		failed += run_case(f, &f->cases[i], false);
		run++;
		if (f->cases[i].flags & CASE_BOTH) {
			failed += run_case(f, &f->cases[i], true);
			run++;
		}
	}
	check_taint();
	igt_info("%s: %d calls, %zu table cases, %d failed\n", f->name, run,
		 f->nr_cases, failed);
	igt_assert_f(!failed, "%d of %d %s calls did not fail as documented "
		     "(see the warnings above)\n", failed, run, f->name);
}

/* ------------------------------------------------------------------ */
/* The tables                                                           */

/* Fields of struct T (each table defines T). */
#define FIELD(f)	offsetof(struct T, f), sizeof(((struct T *)0)->f)
#define SET(f, v)	{ FIELD(f), K_LIT, (uint64_t)(v) }
#define SET_K(f, k, v)	{ FIELD(f), (k), (uint64_t)(v) }
#define SET_FD(f, s)	{ FIELD(f), K_FD, (s) }
#define SET_PCI(f, s)	{ FIELD(f.domain), K_DOM, (s) }, \
			{ FIELD(f.bdf), K_BDF, (s) }

/* Where the argument is, and requests of other sizes or directions. */
#define ARG_CASES \
	{ "argument NULL", EFAULT, .arg = ARG_NULL }, \
	{ "argument on a PROT_NONE page", EFAULT, .arg = ARG_NONE }, \
	{ "argument at a kernel address", EFAULT, .arg = ARG_KERNEL }, \
	{ "argument's last 8 bytes on a PROT_NONE page", EFAULT, \
	  .arg = ARG_TAIL }
#define SIZE_CASES \
	{ "_IOC_SIZE 8 short (truncated struct)", ENOTTY, .dsize = -8 }, \
	{ "_IOC_SIZE 1 short", ENOTTY, .dsize = -1 }, \
	{ "_IOC_SIZE 8 over (oversized struct)", ENOTTY, .dsize = 8 }, \
	{ "_IOC_SIZE 4096 over", ENOTTY, .dsize = 4096 }, \
	{ "_IO(): no direction, size 0", ENOTTY, .dir = DIR_NONE, \
	  .dsize = -(int)sizeof(struct T) }, \
	{ "direction _IOC_READ only", ENOTTY, .dir = DIR_R }

static void good_reach(void *arg)
{
	struct dma_buf_p2p_reach *r = arg;

	r->provider = ctx.pci[PCI_VRAM];
	r->client = ctx.pci[PCI_PEER];
}

#define T dma_buf_p2p_reach
static const struct ioc_case reach_cases[] = {
	{ "flags 1", EINVAL, .set = { SET(flags, 1) } },
	{ "flags 1 << 31", EINVAL, .set = { SET(flags, 1u << 31) } },
	{ "path (out) set", EINVAL,
	  .set = { SET(path, DMA_BUF_P2P_PATH_BUS) } },
	{ "distance (out) set", EINVAL, .set = { SET(distance, 4) } },
	{ "__pad set", EINVAL, .set = { SET(__pad, 1) } },
	{ "client bdf 0x10000", EINVAL,
	  .set = { SET_PCI(client, PCI_BDF_OVER) } },
	{ "provider bdf 0x10000", EINVAL,
	  .set = { SET_PCI(provider, PCI_BDF_OVER) } },
	{ "provider bdf 0xffffffff", EINVAL,
	  .set = { SET(provider.bdf, 0xffffffff) } },
	{ "provider 0000:ff:1f.7 (no such function)", ENODEV,
	  .set = { SET_PCI(provider, PCI_ABSENT) } },
	{ "provider in domain 0x7fff", ENODEV,
	  .set = { SET_PCI(provider, PCI_BAD_DOMAIN) } },
	{ "provider in domain 0xffffffff", ENODEV,
	  .set = { SET_PCI(provider, PCI_NEG_DOMAIN) } },
	{ "client 0000:ff:1f.7 (no such function)", ENODEV,
	  .set = { SET_PCI(client, PCI_ABSENT) } },
	{ "client in domain 0x7fff", ENODEV,
	  .set = { SET_PCI(client, PCI_BAD_DOMAIN) } },
	{ "provider far0 (an NVMe without CMB)", ENXIO,
	  .set = { SET_PCI(provider, PCI_FAR) } },
	{ "provider peer0 (an NVMe without CMB)", ENXIO,
	  .set = { SET_PCI(provider, PCI_PEER) } },
	{ "provider the host bridge", ENXIO,
	  .set = { SET_PCI(provider, PCI_HOST) } },
	{ "client absent and provider without p2pmem: ENXIO first", ENXIO,
	  .set = { SET_PCI(provider, PCI_FAR), SET_PCI(client, PCI_ABSENT) } },
	ARG_CASES,
	{ "argument read-only (the answer cannot be written)", EFAULT,
	  .arg = ARG_RO },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

static void good_alloc(void *arg)
{
	struct dma_buf_p2p_alloc *a = arg;

	a->provider = ctx.pci[PCI_VRAM];
	a->size = 4096;
	a->fd_flags = O_RDWR | O_CLOEXEC;
}

#define T dma_buf_p2p_alloc
static const struct ioc_case alloc_cases[] = {
	{ "size 0", EINVAL, .set = { SET(size, 0) } },
	{ "size UINT64_MAX", EINVAL, .set = { SET(size, UINT64_MAX) } },
	{ "size SIZE_MAX - 4095 (overflows rounded up)", EINVAL,
	  .set = { SET(size, SIZE_MAX - PAGE + 1) } },
	{ "size SIZE_MAX - 4096 (larger than the provider)", ENOSPC,
	  .set = { SET(size, SIZE_MAX - PAGE) } },
	{ "size 1 << 50", ENOSPC, .set = { SET(size, 1ull << 50) } },
	{ "size the VRAM's + 1", ENOSPC, .set = { SET_K(size, K_VRAM, 1) } },
	{ "size the whole VRAM while our buffers use some", ENOSPC,
	  .set = { SET_K(size, K_VRAM, 0) } },
	{ "size 4096 with no VRAM free", ENOSPC, .flags = CASE_FULL },
	{ "size 128 MiB on the 64 MiB CMB", ENOSPC,
	  .set = { SET_PCI(provider, PCI_CMB), SET(size, 128 * MiB) } },
	{ "fd_flags O_WRONLY", EINVAL, .set = { SET(fd_flags, O_WRONLY) } },
	{ "fd_flags O_ACCMODE (3)", EINVAL,
	  .set = { SET(fd_flags, O_ACCMODE) } },
	{ "fd_flags O_RDWR | O_APPEND", EINVAL,
	  .set = { SET(fd_flags, O_RDWR | O_APPEND) } },
	{ "fd_flags O_RDWR | O_NONBLOCK", EINVAL,
	  .set = { SET(fd_flags, O_RDWR | O_NONBLOCK) } },
	{ "fd_flags 1 << 31", EINVAL, .set = { SET(fd_flags, 1u << 31) } },
	{ "flags 1", EINVAL, .set = { SET(flags, 1) } },
	{ "flags 1 << 31", EINVAL, .set = { SET(flags, 1u << 31) } },
	{ "__pad set", EINVAL, .set = { SET(__pad, 1) } },
	{ "fd (out) 3", EINVAL, .set = { SET(fd, 3) } },
	{ "fd (out) 0xffffffff", EINVAL, .set = { SET(fd, 0xffffffff) } },
	{ "provider 0000:ff:1f.7 (no such function)", ENODEV,
	  .set = { SET_PCI(provider, PCI_ABSENT) } },
	{ "provider in domain 0x7fff", ENODEV,
	  .set = { SET_PCI(provider, PCI_BAD_DOMAIN) } },
	{ "provider bdf 0x10000", EINVAL,
	  .set = { SET_PCI(provider, PCI_BDF_OVER) } },
	{ "provider far0 (no P2PDMA memory)", ENXIO,
	  .set = { SET_PCI(provider, PCI_FAR) } },
	{ "provider the host bridge", ENXIO,
	  .set = { SET_PCI(provider, PCI_HOST) } },
	{ "no fd number free (RLIMIT_NOFILE)", EMFILE, .flags = CASE_NOFILE },
	ARG_CASES,
	{ "argument read-only (the new fd cannot be returned)", EFAULT,
	  .arg = ARG_RO },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

static void good_query(void *arg)
{
	struct dma_buf_p2p_query *q = arg;

	q->fd = ctx.fd[FD_BUF];
	q->attachments = (uintptr_t)ctx.scratch;
	q->nr_attachments = P2P_MAX_ATTACH;
	q->chunks = (uintptr_t)ctx.scratch + CHUNKS_OFF;
	q->nr_chunks = P2P_MAX_CHUNKS;
}

#define T dma_buf_p2p_query
static const struct ioc_case query_cases[] = {
	{ "flags 1", EINVAL, .set = { SET(flags, 1) } },
	{ "flags 1 << 31", EINVAL, .set = { SET(flags, 1u << 31) } },
	{ "provider.domain (out) set", EINVAL,
	  .set = { SET(provider.domain, 1) } },
	{ "provider.bdf (out) set", EINVAL, .set = { SET(provider.bdf, 8) } },
	{ "size (out) set", EINVAL, .set = { SET(size, 4096) } },
	{ "placement (out) set", EINVAL, .set = { SET(placement, 1) } },
	{ "pin_count (out) set", EINVAL, .set = { SET(pin_count, 1) } },
	{ "migrations_to_system (out) set", EINVAL,
	  .set = { SET(migrations_to_system, 1) } },
	{ "migrations_to_bar (out) set", EINVAL,
	  .set = { SET(migrations_to_bar, 1) } },
	{ "bytes_copied (out) set", EINVAL,
	  .set = { SET(bytes_copied, 1ull << 40) } },
	{ "maps_bus (out) set", EINVAL, .set = { SET(maps_bus, 1) } },
	{ "maps_host_bridge (out) set", EINVAL,
	  .set = { SET(maps_host_bridge, 1) } },
	{ "maps_system (out) set", EINVAL, .set = { SET(maps_system, 1) } },
	{ "fd closed", EBADF, .set = { SET_FD(fd, FD_CLOSED) } },
	{ "fd -1", EBADF, .set = { SET_FD(fd, FD_NEG) } },
	{ "fd INT_MAX", EBADF, .set = { SET_FD(fd, FD_BIG) } },
	{ "fd /dev/null (not a dma-buf)", EINVAL,
	  .set = { SET_FD(fd, FD_NULL) } },
	{ "fd /dev/dma-buf-p2p itself", EINVAL,
	  .set = { SET_FD(fd, FD_DEV) } },
	{ "fd a block device", EINVAL, .set = { SET_FD(fd, FD_BLK) } },
	{ "fd vgem's dma-buf", EOPNOTSUPP, .set = { SET_FD(fd, FD_VGEM) } },
	{ "fd a udmabuf", EOPNOTSUPP, .set = { SET_FD(fd, FD_UDMABUF) } },
	{ "fd a system heap dma-buf", EOPNOTSUPP,
	  .set = { SET_FD(fd, FD_HEAP) } },
	{ "chunks on a PROT_NONE page", EFAULT,
	  .set = { SET_K(chunks, K_NONE, 0) } },
	{ "chunks at a kernel address", EFAULT,
	  .set = { SET_K(chunks, K_KERNEL, 0) } },
	{ "chunks on a read-only page", EFAULT,
	  .set = { SET_K(chunks, K_RO, 0) } },
	{ "attachments on a PROT_NONE page, one attached (vgem)", EFAULT,
	  .set = { SET_FD(fd, FD_ATT), SET_K(attachments, K_NONE, 0) } },
	{ "attachments at a kernel address, one attached (vgem)", EFAULT,
	  .set = { SET_FD(fd, FD_ATT), SET_K(attachments, K_KERNEL, 0) } },
	ARG_CASES,
	{ "argument read-only (the answer cannot be written)", EFAULT,
	  .arg = ARG_RO },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

static void good_migrate(void *arg)
{
	struct dma_buf_p2p_migrate *mig = arg;

	/* Where it is: a valid call that moves nothing. */
	mig->fd = ctx.fd[FD_BUF];
	mig->placement = DMA_BUF_P2P_PLACEMENT_BAR;
}

#define T dma_buf_p2p_migrate
static const struct ioc_case migrate_cases[] = {
	{ "placement 2", EINVAL, .set = { SET(placement, 2) } },
	{ "placement 0xffffffff", EINVAL,
	  .set = { SET(placement, 0xffffffff) } },
	{ "flags 1", EINVAL, .set = { SET(flags, 1) } },
	{ "flags 1 << 31", EINVAL, .set = { SET(flags, 1u << 31) } },
	{ "__pad set", EINVAL, .set = { SET(__pad, 1) } },
	{ "fd closed", EBADF, .set = { SET_FD(fd, FD_CLOSED) } },
	{ "fd -1", EBADF, .set = { SET_FD(fd, FD_NEG) } },
	{ "fd /dev/null (not a dma-buf)", EINVAL,
	  .set = { SET_FD(fd, FD_NULL) } },
	{ "fd /dev/dma-buf-p2p itself", EINVAL,
	  .set = { SET_FD(fd, FD_DEV) } },
	{ "fd vgem's dma-buf", EOPNOTSUPP, .set = { SET_FD(fd, FD_VGEM) } },
	{ "fd a udmabuf", EOPNOTSUPP, .set = { SET_FD(fd, FD_UDMABUF) } },
	{ "fd a system heap dma-buf", EOPNOTSUPP,
	  .set = { SET_FD(fd, FD_HEAP) } },
	{ "to the BAR while vgem has it pinned in system memory", EBUSY,
	  .set = { SET_FD(fd, FD_ATT) } },
	{ "to the BAR with no VRAM free", ENOSPC, CASE_FULL,
	  .set = { SET_FD(fd, FD_SYS) } },
	ARG_CASES,
	SIZE_CASES,
	{ "direction _IOC_READ | _IOC_WRITE", ENOTTY, .dir = DIR_RW },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

static void good_list(void *arg)
{
	struct dma_buf_p2p_list_providers *l = arg;

	l->providers = (uintptr_t)ctx.scratch;
	l->count = 8;
}

#define T dma_buf_p2p_list_providers
static const struct ioc_case list_cases[] = {
	{ "flags 1", EINVAL, .set = { SET(flags, 1) } },
	{ "flags 1 << 31", EINVAL, .set = { SET(flags, 1u << 31) } },
	{ "providers on a PROT_NONE page", EFAULT,
	  .set = { SET_K(providers, K_NONE, 0) } },
	{ "providers at a kernel address", EFAULT,
	  .set = { SET_K(providers, K_KERNEL, 0) } },
	{ "providers on a read-only page", EFAULT,
	  .set = { SET_K(providers, K_RO, 0) } },
	{ "providers with room for 1 of the 2 claimed", EFAULT,
	  .set = { SET_K(providers, K_TAIL,
			 sizeof(struct dma_buf_p2p_provider_info)),
		   SET(count, 2) } },
	{ "providers 8 (the null page)", EFAULT,
	  .set = { SET(providers, 8) } },
	ARG_CASES,
	{ "argument read-only (the count cannot be written)", EFAULT,
	  .arg = ARG_RO },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

static void good_probe(void *arg)
{
	struct dma_buf_p2p_probe *pr = arg;

	pr->fd = ctx.fd[FD_BUF];
	pr->device = ctx.pci[PCI_PEER];
}

#define T dma_buf_p2p_probe
static const struct ioc_case probe_cases[] = {
	{ "flags 2", EINVAL, .set = { SET(flags, 2) } },
	{ "flags VMAP | 1 << 31", EINVAL,
	  .set = { SET(flags, DMA_BUF_P2P_PROBE_VMAP | 1u << 31) } },
	{ "mode (out) set", EINVAL, .set = { SET(mode, 1) } },
	{ "reason (out) set", EINVAL, .set = { SET(reason, 1) } },
	{ "placement (out) set", EINVAL, .set = { SET(placement, 1) } },
	{ "nr_segments (out) set", EINVAL, .set = { SET(nr_segments, 1) } },
	{ "bus_segments (out) set", EINVAL,
	  .set = { SET(bus_segments, 1) } },
	{ "vmap_crc32 (out) set", EINVAL, .set = { SET(vmap_crc32, 1) } },
	{ "size (out) set", EINVAL, .set = { SET(size, 4096) } },
	{ "device bdf 0x10000", EINVAL,
	  .set = { SET_PCI(device, PCI_BDF_OVER) } },
	{ "device 0000:ff:1f.7 (no such function)", ENODEV,
	  .set = { SET_PCI(device, PCI_ABSENT) } },
	{ "device in domain 0x7fff", ENODEV,
	  .set = { SET_PCI(device, PCI_BAD_DOMAIN) } },
	{ "device in domain 0xffffffff", ENODEV,
	  .set = { SET_PCI(device, PCI_NEG_DOMAIN) } },
	{ "fd closed", EBADF, .set = { SET_FD(fd, FD_CLOSED) } },
	{ "fd -1", EBADF, .set = { SET_FD(fd, FD_NEG) } },
	{ "fd /dev/null (not a dma-buf)", EINVAL,
	  .set = { SET_FD(fd, FD_NULL) } },
	{ "fd vgem's dma-buf", EOPNOTSUPP, .set = { SET_FD(fd, FD_VGEM) } },
	{ "fd a udmabuf", EOPNOTSUPP, .set = { SET_FD(fd, FD_UDMABUF) } },
	{ "fd a system heap dma-buf", EOPNOTSUPP,
	  .set = { SET_FD(fd, FD_HEAP) } },
	{ "fd closed and device absent: EBADF first", EBADF,
	  .set = { SET_FD(fd, FD_CLOSED), SET_PCI(device, PCI_ABSENT) } },
	ARG_CASES,
	/* The probe runs (on its own buffer), then cannot report. */
	{ "argument read-only (the report cannot be written)", EFAULT,
	  .arg = ARG_RO, .set = { SET_FD(fd, FD_SCRATCH) } },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on a block device", ENOTTY, .on = FD_BLK },
};

#undef T

/* Reads of 4 KiB at the slice; CASE_BOTH tries each as a write too. */
static void good_rw(void *arg)
{
	struct blk_dmabuf_rw *rw = arg;

	rw->dmabuf_fd = ctx.fd[FD_BUF];
	rw->dev_offset = ctx.slice;
	rw->length = 4096;
}

#define T blk_dmabuf_rw
static const struct ioc_case rw_cases[] = {
	{ "dma-buf fd closed", EBADF, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_CLOSED) } },
	{ "dma-buf fd -1", EBADF, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_NEG) } },
	{ "dma-buf fd INT_MAX", EBADF, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_BIG) } },
	{ "dma-buf fd /dev/null", EINVAL, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_NULL) } },
	{ "dma-buf fd the block device itself", EINVAL, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_BLK) } },
	{ "dma-buf fd /dev/dma-buf-p2p", EINVAL, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_DEV) } },
	{ "flag 1 << 2", EINVAL, CASE_BOTH, .set = { SET(flags, 1u << 2) } },
	{ "flag 1 << 31", EINVAL, CASE_BOTH,
	  .set = { SET(flags, 1u << 31) } },
	{ "BLK_DMABUF_BOUNCE | 1 << 2", EINVAL, CASE_BOTH,
	  .set = { SET(flags, BLK_DMABUF_BOUNCE | 1u << 2) } },
	{ "path (out) set", EINVAL, CASE_BOTH,
	  .set = { SET(path, BLK_DMABUF_PATH_NATIVE) } },
	{ "maps (out) set", EINVAL, CASE_BOTH, .set = { SET(maps, 1) } },
	{ "cpu_bytes (out) set", EINVAL, CASE_BOTH,
	  .set = { SET(cpu_bytes, 4096) } },
	{ "length 0", EINVAL, CASE_BOTH, .set = { SET(length, 0) } },
	{ "length 256 (under a block)", EINVAL, CASE_BOTH,
	  .set = { SET(length, 256) } },
	{ "length 4096 + 256", EINVAL, CASE_BOTH,
	  .set = { SET(length, 4096 + 256) } },
	{ "dev_offset not block aligned", EINVAL, CASE_BOTH,
	  .set = { SET_K(dev_offset, K_SLICE, 256) } },
	{ "buf_offset not block aligned", EINVAL, CASE_BOTH,
	  .set = { SET(buf_offset, 256) } },
	{ "buffer range past its end", ERANGE, CASE_BOTH,
	  .set = { SET(buf_offset, BUF_SIZE - 4096), SET(length, 8192) } },
	{ "buf_offset at the buffer's end", ERANGE, CASE_BOTH,
	  .set = { SET(buf_offset, BUF_SIZE) } },
	{ "buf_offset 1 << 40", ERANGE, CASE_BOTH,
	  .set = { SET(buf_offset, 1ull << 40) } },
	{ "length the buffer's + 4096", ERANGE, CASE_BOTH,
	  .set = { SET(length, BUF_SIZE + 4096) } },
	{ "length 1 GiB + 4096", ERANGE, CASE_BOTH,
	  .set = { SET(length, (1ull << 30) + 4096) } },
	{ "device range past its end", ERANGE, CASE_BOTH,
	  .set = { SET_K(dev_offset, K_DEV, -4096), SET(length, 8192) } },
	{ "dev_offset at the device's end", ERANGE, CASE_BOTH,
	  .set = { SET_K(dev_offset, K_DEV, 0) } },
	{ "dev_offset + length overflows", ERANGE, CASE_BOTH,
	  .set = { SET(dev_offset, ~(uint64_t)4095) } },
	{ "buf_offset + length overflows", ERANGE, CASE_BOTH,
	  .set = { SET(buf_offset, ~(uint64_t)4095) } },
	{ "length overflows from buf_offset 4096", ERANGE, CASE_BOTH,
	  .set = { SET(buf_offset, 4096), SET(length, ~(uint64_t)4095) } },
	{ "length 1 << 63", ERANGE, CASE_BOTH,
	  .set = { SET(length, 1ull << 63) } },
	{ "vgem buffer: range past its end", ERANGE, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_VGEM),
		   SET(buf_offset, FOREIGN_SIZE - 4096), SET(length, 8192) } },
	{ "udmabuf: range past its end", ERANGE, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_UDMABUF),
		   SET(buf_offset, FOREIGN_SIZE) } },
	{ "system heap buffer: range past its end", ERANGE, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_HEAP),
		   SET(length, FOREIGN_SIZE + 4096) } },
	{ "vgem buffer: buf_offset not block aligned", EINVAL, CASE_BOTH,
	  .set = { SET_FD(dmabuf_fd, FD_VGEM), SET(buf_offset, 256) } },
	{ "write to a device opened O_RDONLY", EBADF, .on = FD_BLK_RO,
	  .set = { SET(flags, BLK_DMABUF_WRITE) } },
	{ "bounced write to a device opened O_RDONLY", EBADF,
	  .on = FD_BLK_RO,
	  .set = { SET(flags, BLK_DMABUF_WRITE | BLK_DMABUF_BOUNCE) } },
	{ "read from a device opened O_WRONLY", EBADF, .on = FD_BLK_WO },
	{ "read into a dma-buf opened O_RDONLY", EACCES,
	  .set = { SET_FD(dmabuf_fd, FD_BUF_RO) } },
	{ "bounced read into a dma-buf opened O_RDONLY", EACCES,
	  .set = { SET_FD(dmabuf_fd, FD_BUF_RO),
		   SET(flags, BLK_DMABUF_BOUNCE) } },
	{ "write from a write-only (heap) dma-buf", EACCES,
	  .set = { SET_FD(dmabuf_fd, FD_HEAP_WO),
		   SET(flags, BLK_DMABUF_WRITE) } },
	{ "write to a read-only disk (BLKROSET)", EPERM, CASE_RO_DISK,
	  .set = { SET(flags, BLK_DMABUF_WRITE) } },
	{ "bounced write to a read-only disk (BLKROSET)", EPERM,
	  CASE_RO_DISK,
	  .set = { SET(flags, BLK_DMABUF_WRITE | BLK_DMABUF_BOUNCE) } },
	ARG_CASES,
	/* The read runs (into its own buffer), then cannot report. */
	{ "argument read-only (the report cannot be written)", EFAULT,
	  .arg = ARG_RO, .set = { SET_FD(dmabuf_fd, FD_SCRATCH) } },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on /dev/dma-buf-p2p", ENOTTY, .on = FD_DEV },
	{ "issued on /dev/null", ENOTTY, .on = FD_NULL },
};

#undef T

/* Two reads of 4 KiB at the slice; NR_IOS of them in the scratch. */
static void good_batch(void *arg)
{
	struct blk_dmabuf_rw_batch *b = arg;
	struct blk_dmabuf_io *io = entries();

	memset(io, 0, NR_IOS * sizeof(*io));
	for (int i = 0; i < NR_IOS; i++) {
		io[i].buf_offset = (i % 2) * 4096;
		io[i].dev_offset = ctx.slice + (i % 2) * 4096;
		io[i].length = 4096;
	}
	b->dmabuf_fd = ctx.fd[FD_BUF];
	b->ios = (uintptr_t)io;
	b->nr_ios = 2;
}

/* Fields of the batch entry a case changes. */
#define E_FIELD(f)	offsetof(struct blk_dmabuf_io, f), \
			sizeof(((struct blk_dmabuf_io *)0)->f)
#define E_SET(f, v)	{ E_FIELD(f), K_LIT, (uint64_t)(v) }
#define E_SET_K(f, k, v) { E_FIELD(f), (k), (uint64_t)(v) }

#define T blk_dmabuf_rw_batch
static const struct ioc_case batch_cases[] = {
	{ "dma-buf fd closed", EBADF,
	  .set = { SET_FD(dmabuf_fd, FD_CLOSED) } },
	{ "dma-buf fd -1", EBADF, .set = { SET_FD(dmabuf_fd, FD_NEG) } },
	{ "dma-buf fd /dev/null", EINVAL,
	  .set = { SET_FD(dmabuf_fd, FD_NULL) } },
	{ "dma-buf fd the block device itself", EINVAL,
	  .set = { SET_FD(dmabuf_fd, FD_BLK) } },
	{ "flags BLK_DMABUF_WRITE (an entry's flag)", EINVAL,
	  .set = { SET(flags, BLK_DMABUF_WRITE) } },
	{ "flags 1 << 2", EINVAL, .set = { SET(flags, 1u << 2) } },
	{ "flags BLK_DMABUF_BOUNCE | 1 << 31", EINVAL,
	  .set = { SET(flags, BLK_DMABUF_BOUNCE | 1u << 31) } },
	{ "path (out) set", EINVAL,
	  .set = { SET(path, BLK_DMABUF_PATH_BOUNCE) } },
	{ "maps (out) set", EINVAL, .set = { SET(maps, 1) } },
	{ "cpu_bytes (out) set", EINVAL, .set = { SET(cpu_bytes, 1) } },
	{ "nr_ios 0", EINVAL, .set = { SET(nr_ios, 0) } },
	{ "nr_ios BLK_DMABUF_BATCH_MAX + 1", EINVAL,
	  .set = { SET(nr_ios, BLK_DMABUF_BATCH_MAX + 1) } },
	{ "nr_ios 0xffffffff", EINVAL, .set = { SET(nr_ios, 0xffffffff) } },
	{ "queue_depth BLK_DMABUF_BATCH_MAX + 1", EINVAL,
	  .set = { SET(queue_depth, BLK_DMABUF_BATCH_MAX + 1) } },
	{ "queue_depth 0xffffffff", EINVAL,
	  .set = { SET(queue_depth, 0xffffffff) } },
	{ "ios NULL", EFAULT, .set = { SET(ios, 0) } },
	{ "ios on a PROT_NONE page", EFAULT,
	  .set = { SET_K(ios, K_NONE, 0) } },
	{ "ios at a kernel address", EFAULT,
	  .set = { SET_K(ios, K_KERNEL, 0) } },
	{ "ios with room for 1 of 2 entries", EFAULT,
	  .set = { SET_K(ios, K_TAIL, sizeof(struct blk_dmabuf_io)) } },
	{ "nr_ios 4096, ios with room for 2", EFAULT,
	  .set = { SET(nr_ios, BLK_DMABUF_BATCH_MAX),
		   SET_K(ios, K_TAIL, 2 * sizeof(struct blk_dmabuf_io)) } },
	{ "entry __pad set", EINVAL, .entry = 1, .eset = { E_SET(__pad, 1) } },
	{ "entry result (out) set", EINVAL, .entry = 1,
	  .eset = { E_SET(result, -EIO) } },
	{ "entry flag 1 << 2", EINVAL, .entry = 1,
	  .eset = { E_SET(flags, 1u << 2) } },
	{ "entry flag BLK_DMABUF_BOUNCE (a call's flag)", EINVAL, .entry = 1,
	  .eset = { E_SET(flags, BLK_DMABUF_BOUNCE) } },
	{ "entry length 0", EINVAL, .entry = 1,
	  .eset = { E_SET(length, 0) } },
	{ "entry length 256", EINVAL, .entry = 1,
	  .eset = { E_SET(length, 256) } },
	{ "entry length 1 GiB + 512 (over 1 GiB)", EINVAL, .entry = 1,
	  .eset = { E_SET(length, (1u << 30) + 512) } },
	{ "entry length 0xffffffff", EINVAL, .entry = 1,
	  .eset = { E_SET(length, 0xffffffff) } },
	{ "entry dev_offset not block aligned", EINVAL, .entry = 1,
	  .eset = { E_SET_K(dev_offset, K_SLICE, 256) } },
	{ "entry buf_offset not block aligned", EINVAL, .entry = 1,
	  .eset = { E_SET(buf_offset, 256) } },
	{ "entry at the buffer's end", ERANGE, .entry = 1,
	  .eset = { E_SET(buf_offset, BUF_SIZE) } },
	{ "entry at the device's end", ERANGE, .entry = 1,
	  .eset = { E_SET_K(dev_offset, K_DEV, 0) } },
	{ "entry across the device's end", ERANGE, .entry = 1,
	  .eset = { E_SET_K(dev_offset, K_DEV, -4096),
		    E_SET(length, 8192) } },
	{ "entry dev_offset + length overflows", ERANGE, .entry = 1,
	  .eset = { E_SET(dev_offset, ~(uint64_t)4095) } },
	{ "entry buf_offset + length overflows", ERANGE, .entry = 1,
	  .eset = { E_SET(buf_offset, ~(uint64_t)4095) } },
	{ "entry past a vgem buffer's end", ERANGE, .entry = 1,
	  .set = { SET_FD(dmabuf_fd, FD_VGEM) },
	  .eset = { E_SET(buf_offset, FOREIGN_SIZE) } },
	{ "a valid write, then an unaligned one: nothing written", EINVAL,
	  CASE_WRITES, .entry = 1,
	  .eset = { E_SET_K(dev_offset, K_SLICE, 256) } },
	{ "the last of 4096 entries bad", EINVAL, .entry = 4095,
	  .set = { SET(nr_ios, BLK_DMABUF_BATCH_MAX) },
	  .eset = { E_SET(__pad, 1) } },
	{ "4096 writes, the last one bad: nothing written", EINVAL,
	  CASE_WRITES, .entry = 4095,
	  .set = { SET(nr_ios, BLK_DMABUF_BATCH_MAX) },
	  .eset = { E_SET(length, 0) } },
	{ "a write entry on a device opened O_RDONLY", EBADF,
	  .on = FD_BLK_RO, .entry = 1,
	  .eset = { E_SET(flags, BLK_DMABUF_WRITE) } },
	{ "read entries on a device opened O_WRONLY", EBADF,
	  .on = FD_BLK_WO },
	{ "read entries into a dma-buf opened O_RDONLY", EACCES,
	  .set = { SET_FD(dmabuf_fd, FD_BUF_RO) } },
	{ "write entries from a write-only (heap) dma-buf", EACCES,
	  CASE_WRITES, .set = { SET_FD(dmabuf_fd, FD_HEAP_WO) } },
	{ "write entries to a read-only disk (BLKROSET)", EPERM,
	  .flags = CASE_WRITES | CASE_RO_DISK },
	ARG_CASES,
	/* The reads run (into their own buffer), then cannot report. */
	{ "argument read-only (the report cannot be written)", EFAULT,
	  .arg = ARG_RO, .set = { SET_FD(dmabuf_fd, FD_SCRATCH) } },
	{ "ios read-only (the results cannot be written)", EFAULT,
	  .set = { SET_FD(dmabuf_fd, FD_SCRATCH), SET_K(ios, K_RO, 0) } },
	SIZE_CASES,
	{ "direction _IOC_WRITE only", ENOTTY, .dir = DIR_W },
	{ "issued on a dma-buf fd", ENOTTY, .on = FD_BUF },
	{ "issued on /dev/dma-buf-p2p", ENOTTY, .on = FD_DEV },
	{ "issued on /dev/null", ENOTTY, .on = FD_NULL },
};

#undef T

#define FAMILY(n, r, t, o, g, fd, c) { \
	.name = (n), .req = (r), .size = sizeof(struct t), .on = (o), \
	.good = (g), .has_fd = (fd), .cases = (c), .nr_cases = NELEMS(c) }

static const struct family families[] = {
	FAMILY("DMA_BUF_P2P_IOC_REACH", DMA_BUF_P2P_IOC_REACH,
	       dma_buf_p2p_reach, FD_DEV, good_reach, false, reach_cases),
	FAMILY("DMA_BUF_P2P_IOC_ALLOC", DMA_BUF_P2P_IOC_ALLOC,
	       dma_buf_p2p_alloc, FD_DEV, good_alloc, false, alloc_cases),
	FAMILY("DMA_BUF_P2P_IOC_QUERY", DMA_BUF_P2P_IOC_QUERY,
	       dma_buf_p2p_query, FD_DEV, good_query, true, query_cases),
	FAMILY("DMA_BUF_P2P_IOC_MIGRATE", DMA_BUF_P2P_IOC_MIGRATE,
	       dma_buf_p2p_migrate, FD_DEV, good_migrate, true,
	       migrate_cases),
	FAMILY("DMA_BUF_P2P_IOC_LIST_PROVIDERS",
	       DMA_BUF_P2P_IOC_LIST_PROVIDERS, dma_buf_p2p_list_providers,
	       FD_DEV, good_list, false, list_cases),
	FAMILY("DMA_BUF_P2P_IOC_PROBE", DMA_BUF_P2P_IOC_PROBE,
	       dma_buf_p2p_probe, FD_DEV, good_probe, true, probe_cases),
	FAMILY("BLKDMABUFRW", BLKDMABUFRW, blk_dmabuf_rw, FD_BLK, good_rw,
	       true, rw_cases),
	FAMILY("BLKDMABUFRWBATCH", BLKDMABUFRWBATCH, blk_dmabuf_rw_batch,
	       FD_BLK, good_batch, true, batch_cases),
};

enum {
	FAM_REACH, FAM_ALLOC, FAM_QUERY, FAM_MIGRATE, FAM_LIST, FAM_PROBE,
	FAM_RW, FAM_BATCH,
};

/* ------------------------------------------------------------------ */
/* The block families: the slice's bytes before and after              */

static void test_block_family(const struct family *f)
{
	static struct p2p_slice slice;

	igt_install_exit_handler(ro_disk_restore);
	p2p_slice_save(&slice, ctx.peer, ctx.m.nvme[1].image, ctx.slice,
		       SLICE_SIZE);
	test_family(f);
	p2p_check_file(slice.image, slice.off, slice.old, slice.len,
		       "peer0's slice after the rejected writes");
	/* Unchanged: writing the same bytes back changes nothing. */
	p2p_slice_restore(&slice);
}

/* ------------------------------------------------------------------ */
/* The provider unbound under our buffers                              */

#define T dma_buf_p2p_migrate
static const struct ioc_case unbound_migrate[] = {
	{ "FD_BUF to the BAR of the unbound provider", ENODEV, .on = FD_DEV },
	{ "FD_SYS to the BAR of the unbound provider", ENODEV,
	  .set = { SET_FD(fd, FD_SYS) } },
};

#undef T

#define T dma_buf_p2p_alloc
static const struct ioc_case unbound_alloc[] = {
	{ "4096 bytes on the unbound provider", ENXIO, .on = FD_DEV },
};

#undef T

#define T dma_buf_p2p_reach
static const struct ioc_case unbound_reach[] = {
	{ "to the unbound provider", ENXIO, .on = FD_DEV },
};

#undef T

static void test_provider_unbound(void)
{
	static struct p2p_result r;
	struct family f;
	char want[256];
	int failed = 0;

	p2pctl_find();
	p2p_vram_unbind(&ctx.m);
	igt_assert_eq_u64(vram_available(), UINT64_MAX);

	f = families[FAM_MIGRATE];
	for (size_t i = 0; i < NELEMS(unbound_migrate); i++)
		failed += run_case(&f, &unbound_migrate[i], false);
	f = families[FAM_ALLOC];
	for (size_t i = 0; i < NELEMS(unbound_alloc); i++)
		failed += run_case(&f, &unbound_alloc[i], false);
	f = families[FAM_REACH];
	for (size_t i = 0; i < NELEMS(unbound_reach); i++)
		failed += run_case(&f, &unbound_reach[i], false);

	p2pctl_runf(&r, NULL, "migrate %d --to bar", ctx.fd[FD_BUF]);
	snprintf(want, sizeof(want),
		 "p2pctl: migrate: fd %d to bar: the provider %s is gone: No such device (ENODEV)\n",
		 ctx.fd[FD_BUF], ctx.m.vram.addr);
	igt_info("p2pctl migrate, provider unbound: exit %d: %s", r.status,
		 r.err);
	if (r.status != 1 || strcmp(r.err, want) || r.out_len) {
		igt_warn("p2pctl migrate: exit %d, stderr '%s', expected 1 "
			 "and '%s'\n", r.status, r.err, want);
		failed++;
	}

	p2p_vram_rebind(&ctx.m);
	/* Back in its BAR, byte for byte. */
	p2p_migrate(ctx.fd[FD_DEV], ctx.fd[FD_BUF], DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_check_bytes(ctx.map, ctx.pattern, BUF_SIZE,
			"FD_BUF after the unbind and the way back");
	check_taint();
	igt_assert_f(!failed, "%d call(s) did not fail as documented\n",
		     failed);
}

/* ------------------------------------------------------------------ */
/* p2pctl                                                               */

#define CLI_HIDE	(1 << 0)	/* no /dev/dma-buf-p2p and no debugfs */
#define CLI_TTY		(1 << 1)	/* stdout a terminal */
#define CLI_FULL	(1 << 2)	/* no VRAM free */

struct cli_case {
	const char *what;
	const char *cmd;	/* p2pctl's arguments; @name@ is a variable */
	int status;
	const char *err;	/* all of stderr, variables likewise */
	unsigned int flags;	/* CLI_* */
};

#define USAGE(cmd, msg)	"p2pctl: " cmd ": " msg " (see 'p2pctl " cmd \
			" --help')\n"
#define BAD_OPTION(cmd, opt) \
	cmd ": unrecognized option '" opt "'\n" USAGE(cmd, "bad option")

static const struct cli_case cli_cases[] = {
	{ .what = "unknown command", "frobnicate", 2,
	  "p2pctl: unknown command 'frobnicate' (see 'p2pctl --help')\n" },
	{ .what = "help for two commands", "help copy fill", 2,
	  "p2pctl: help: one command at a time (see 'p2pctl --help')\n" },

	{ .what = "list: unknown option", "list --bogus", 2,
	  BAD_OPTION("list", "--bogus") },
	{ .what = "list: an argument", "list extra", 2,
	  USAGE("list", "unexpected argument 'extra'") },
	{ .what = "list: no /dev/dma-buf-p2p", "list", 1,
	  "p2pctl: list: open /dev/dma-buf-p2p (is dma-buf-p2p loaded?): No such file or directory (ENOENT)\n",
	  CLI_HIDE },

	{ .what = "alloc: a fractional size", "alloc --provider @vram@ --size 1.5M",
	  2, USAGE("alloc", "bad size '1.5M'") },
	{ .what = "alloc: device 0x20", "alloc --provider 0000:00:20.0 --size 4K", 2,
	  USAGE("alloc", "'0000:00:20.0' is not a PCI address") },
	{ .what = "alloc: --serve without its path",
	  "alloc --provider @vram@ --size 4K --serve", 2,
	  "alloc: option '--serve' requires an argument\n"
	  USAGE("alloc", "bad option") },
	{ .what = "alloc: --serve and a command",
	  "alloc --provider @vram@ --size 4K --serve @nosock@ -- true", 2,
	  USAGE("alloc", "--serve and -- CMD do not go together") },
	{ .what = "alloc: a provider without p2pmem",
	  "alloc --provider @far@ --size 4K -- true", 1,
	  "p2pctl: alloc: 4K on @far@: it publishes no P2PDMA memory (see 'p2pctl list'): No such device or address (ENXIO)\n" },
	{ .what = "alloc: no such PCI function",
	  "alloc --provider 0000:ff:1f.7 --size 1M -- true", 1,
	  "p2pctl: alloc: 1M on 0000:ff:1f.7: no such PCI function: No such device (ENODEV)\n" },
	{ .what = "alloc: no VRAM free", "alloc --provider @vram@ --size 4K -- true",
	  1,
	  "p2pctl: alloc: 4K on @vram@ (0 free of @vramsize@): No space left on device (ENOSPC)\n",
	  CLI_FULL },
	{ .what = "alloc: no /dev/dma-buf-p2p",
	  "alloc --provider @vram@ --size 4K -- true", 1,
	  "p2pctl: alloc: open /dev/dma-buf-p2p (is dma-buf-p2p loaded?): No such file or directory (ENOENT)\n",
	  CLI_HIDE },
	{ .what = "alloc: --serve in a missing directory",
	  "alloc --provider @vram@ --size 4K --serve /tmp/p2p_bad_input.nodir/s",
	  1,
	  "p2pctl: alloc: socket /tmp/p2p_bad_input.nodir/s: No such file or directory (ENOENT)\n" },

	{ .what = "connect: nothing", "connect", 2,
	  USAGE("connect", "missing SOCKET") },
	{ .what = "connect: no command", "connect @nosock@", 2,
	  USAGE("connect", "missing -- CMD") },
	{ .what = "connect: an extra argument", "connect @nosock@ extra -- true", 2,
	  USAGE("connect", "unexpected argument 'extra'") },
	{ .what = "connect: no such socket", "connect @nosock@ -- true", 1,
	  "p2pctl: connect: connect to @nosock@: No such file or directory (ENOENT)\n" },
	{ .what = "connect: not a socket", "connect /dev/null -- true", 1,
	  "p2pctl: connect: connect to /dev/null: Connection refused (ECONNREFUSED)\n" },

	{ .what = "info: no buffer", "info", 2,
	  USAGE("info", "no buffer: give FD or --pid PID --fd N") },
	{ .what = "info: not a number", "info 3x", 2,
	  USAGE("info", "'3x' is not a file descriptor number") },
	{ .what = "info: pid 0", "info --pid 0 --fd 3", 2,
	  USAGE("info", "'0' is not a process id") },
	{ .what = "info: two fds", "info @fd@ @fd@", 2,
	  USAGE("info", "unexpected argument '@fd@'") },
	{ .what = "info: a closed fd", "info @closed@", 1,
	  "p2pctl: info: fd @closed@: Bad file descriptor (EBADF)\n" },
	{ .what = "info: /dev/null", "info @nullfd@", 1,
	  "p2pctl: info: fd @nullfd@ (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n" },
	{ .what = "info: vgem's dma-buf", "info @vgemfd@", 1,
	  "p2pctl: info: fd @vgemfd@: a dma-buf of @vgemexp@, not of dma-buf-p2p: Operation not supported (EOPNOTSUPP)\n" },
	{ .what = "info: a system heap dma-buf", "info --json @heapfd@", 1,
	  "p2pctl: info: fd @heapfd@: a dma-buf of @heapexp@, not of dma-buf-p2p: Operation not supported (EOPNOTSUPP)\n" },
	{ .what = "info: a closed fd of another process",
	  "info --pid @pid@ --fd @closed@", 1,
	  "p2pctl: info: fd @closed@ of process @pid@: Bad file descriptor (EBADF)\n" },
	{ .what = "info: /dev/null of another process",
	  "info --pid @pid@ --fd @nullfd@", 1,
	  "p2pctl: info: fd @nullfd@ of process @pid@ (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n" },
	{ .what = "info: no such process", "info --pid 999999999 --fd 0", 1,
	  "p2pctl: info: process 999999999: No such process (ESRCH)\n" },

	{ .what = "copy: nothing", "copy", 2, USAGE("copy", "missing SRC and DST") },
	{ .what = "copy: no DST", "copy @peer@", 2, USAGE("copy", "missing DST") },
	{ .what = "copy: three paths", "copy @peer@ @dst@ extra", 2,
	  USAGE("copy", "unexpected argument 'extra'") },
	{ .what = "copy: --length 0", "copy @peer@ @dst@ --length 0", 2,
	  USAGE("copy", "--length must not be 0") },
	{ .what = "copy: --block-size 1000", "copy @peer@ @dst@ --block-size 1000", 2,
	  USAGE("copy", "--block-size must be a multiple of 512 up to 64M, not '1000'") },
	{ .what = "copy: --queue-depth 4097", "copy @peer@ @dst@ --queue-depth 4097",
	  2,
	  USAGE("copy", "--queue-depth must be 1 to 4096, not '4097'") },
	{ .what = "copy: --via not a PCI address", "copy @peer@ @dst@ --via vram", 2,
	  USAGE("copy", "'vram' is not a PCI address (DOMAIN:BUS:DEVICE.FUNCTION, e.g. 0000:05:00.0)") },
	{ .what = "copy: --via and --via-fd",
	  "copy @peer@ @dst@ --via @vram@ --via-fd @fd@", 2,
	  USAGE("copy", "give one of --via, --via-fd and --via-gem") },
	{ .what = "copy: --offset 99E", "copy @peer@ @dst@ --offset 99E", 2,
	  USAGE("copy", "--offset '99E' is too large") },
	{ .what = "copy: --dst-offset 1Q", "copy @peer@ @dst@ --dst-offset 1Q", 2,
	  USAGE("copy", "--dst-offset '1Q' is not a size (e.g. 4096, 0x1000, 512K, 1G)") },
	{ .what = "copy: --via-fd x", "copy @peer@ @dst@ --via-fd x", 2,
	  USAGE("copy", "'x' is not a file descriptor number") },
	{ .what = "copy: no SRC", "copy /nonexistent @dst@ --via-fd @fd@", 1,
	  "p2pctl: copy: open SRC /nonexistent: No such file or directory (ENOENT)\n" },
	{ .what = "copy: SRC a character device", "copy /dev/null @dst@ --via-fd @fd@",
	  1,
	  "p2pctl: copy: SRC /dev/null is neither a block device nor a regular file: Block device required (ENOTBLK)\n" },
	{ .what = "copy: no DST directory",
	  "copy @peer@ /nonexistent/dst --via-fd @fd@", 1,
	  "p2pctl: copy: open DST /nonexistent/dst for writing: No such file or directory (ENOENT)\n" },
	{ .what = "copy: --via-fd closed", "copy @peer@ @dst@ --via-fd @closed@", 1,
	  "p2pctl: copy: fd @closed@: Bad file descriptor (EBADF)\n" },
	{ .what = "copy: --via-fd /dev/null",
	  "copy @peer@ @dst@ --via-fd @nullfd@ --length 4K", 1,
	  "p2pctl: copy: fd @nullfd@ is not a dma-buf: Invalid argument (EINVAL)\n" },
	{ .what = "copy: --via-fd read-only",
	  "copy @peer@ @dst@ --via-fd @rofd@ --length 4K", 1,
	  "p2pctl: copy: dma-buf fd @rofd@ is not open read-write (SRC is read into it): Permission denied (EACCES)\n" },
	{ .what = "copy: --via a provider without p2pmem",
	  "copy @peer@ @dst@ --via @far@ --length 4K", 1,
	  "p2pctl: copy: alloc 4K on @far@ (not a P2PDMA provider; see 'p2pctl list'): No such device or address (ENXIO)\n" },
	{ .what = "copy: unaligned SRC offset",
	  "copy @peer@ @dst@ --via-fd @fd@ --offset 256 --length 4K", 1,
	  "p2pctl: copy: offset 256 is not a multiple of the logical block size of SRC @peer@ (@lbs@): Invalid argument (EINVAL)\n" },
	{ .what = "copy: SRC offset at its end",
	  "copy @peer@ @dst@ --via-fd @fd@ --offset @devsize@", 1,
	  "p2pctl: copy: offset @devsize@ is at or past the end of SRC @peer@ (@devsize@ bytes, @devsizefmt@): Numerical result out of range (ERANGE)\n" },
	{ .what = "copy: DST range past its end",
	  "copy @peer@ @peer@ --via-fd @fd@ --offset @slice@ --dst-offset @devsize@ --length 4K",
	  1,
	  "p2pctl: copy: range [@devsize@, @devend@) reaches past the end of DST @peer@ (@devsize@ bytes, @devsizefmt@): Numerical result out of range (ERANGE)\n" },
	{ .what = "copy: SRC and DST overlap",
	  "copy @peer@ @peer@ --via-fd @fd@ --offset @slice@ --dst-offset @slice@ --length 4K",
	  1,
	  "p2pctl: copy: SRC @peer@ [@slice@, @slice4k@) and DST @peer@ [@slice@, @slice4k@) overlap on @peername@: Invalid argument (EINVAL)\n" },

	{ .what = "fill: nothing to write", "fill @fd@", 2,
	  USAGE("fill", "what to write: --seed S or --zero") },
	{ .what = "fill: --seed and --zero", "fill @fd@ --seed 1 --zero", 2,
	  USAGE("fill", "--seed or --zero, not both") },
	{ .what = "fill: seed -1", "fill @fd@ --seed -1", 2,
	  USAGE("fill", "bad seed '-1': a number from 0 to 2^64-1") },
	{ .what = "fill: --length 0", "fill @fd@ --zero --length 0", 2,
	  USAGE("fill", "--length 0: nothing to do") },
	{ .what = "fill: --offset 1Z", "fill @fd@ --zero --offset 1Z", 2,
	  USAGE("fill", "bad --offset '1Z': a size is a number with an optional K, M, G, T, P or E") },
	{ .what = "fill: --length 99E", "fill @fd@ --zero --length 99E", 2,
	  USAGE("fill", "bad --length '99E': over 2^64 bytes") },
	{ .what = "fill: a closed fd", "fill @closed@ --zero", 1,
	  "p2pctl: fill: fd @closed@: Bad file descriptor (EBADF)\n" },
	{ .what = "fill: /dev/null", "fill @nullfd@ --zero", 1,
	  "p2pctl: fill: fd @nullfd@ is not a dma-buf but a character device: Invalid argument (EINVAL)\n" },
	{ .what = "fill: a read-only dma-buf", "fill @rofd@ --zero", 1,
	  "p2pctl: fill: fd @rofd@ is read-only (opened O_RDONLY): Permission denied (EACCES)\n" },
	{ .what = "fill: another process's read-only dma-buf",
	  "fill --pid @pid@ --fd @rofd@ --zero", 1,
	  "p2pctl: fill: fd @rofd@ of process @pid@ is read-only (opened O_RDONLY): Permission denied (EACCES)\n" },
	{ .what = "fill: offset at the end", "fill @fd@ --zero --offset 1M", 1,
	  "p2pctl: fill: fd @fd@: offset 0x100000 is past the end of the buffer (0x100000 bytes): Numerical result out of range (ERANGE)\n" },
	{ .what = "fill: range across the end",
	  "fill @fd@ --seed 7 --offset 1020K --length 8K", 1,
	  "p2pctl: fill: fd @fd@: offset 0xff000 + length 0x2000 is past the end of the buffer (0x100000 bytes): Numerical result out of range (ERANGE)\n" },
	{ .what = "fill: offset + length overflows",
	  "fill @fd@ --zero --offset 1 --length 0xffffffffffffffff", 1,
	  "p2pctl: fill: fd @fd@: offset 0x1 + length 0xffffffffffffffff overflows: Numerical result out of range (ERANGE)\n" },

	{ .what = "dump: --raw to a terminal", "dump @fd@ --raw", 2,
	  USAGE("dump", "--raw writes binary: redirect stdout to a file or a pipe"),
	  CLI_TTY },
	{ .what = "dump: unknown option", "dump @fd@ --bogus", 2,
	  BAD_OPTION("dump", "--bogus") },
	{ .what = "dump: two fds", "dump @fd@ 5", 2,
	  USAGE("dump", "unexpected argument '5'") },
	{ .what = "dump: /dev/null", "dump @nullfd@", 1,
	  "p2pctl: dump: fd @nullfd@ is not a dma-buf but a character device: Invalid argument (EINVAL)\n" },
	{ .what = "dump: a block device", "dump @blkrofd@", 1,
	  "p2pctl: dump: fd @blkrofd@ is not a dma-buf but a block device: Invalid argument (EINVAL)\n" },
	{ .what = "dump: a write-only dma-buf", "dump @heapwofd@", 1,
	  "p2pctl: dump: fd @heapwofd@ is write-only (opened O_WRONLY): Permission denied (EACCES)\n" },
	{ .what = "dump: range across the end", "dump @fd@ --offset 4K --length 1M", 1,
	  "p2pctl: dump: fd @fd@: offset 0x1000 + length 0x100000 is past the end of the buffer (0x100000 bytes): Numerical result out of range (ERANGE)\n" },

	{ .what = "verify: nothing to expect", "verify @fd@", 2,
	  USAGE("verify", "what to expect: --seed S, --zero or --file PATH") },
	{ .what = "verify: --seed and --zero", "verify @fd@ --seed 1 --zero", 2,
	  USAGE("verify", "one of --seed, --zero and --file, not more") },
	{ .what = "verify: --file-offset without --file",
	  "verify @fd@ --zero --file-offset 4K", 2,
	  USAGE("verify", "--file-offset goes with --file") },
	{ .what = "verify: --file-offset x", "verify @fd@ --file @dst@ --file-offset x",
	  2, USAGE("verify", "bad --file-offset 'x'") },
	{ .what = "verify: a closed fd", "verify @closed@ --zero", 1,
	  "p2pctl: verify: fd @closed@: Bad file descriptor (EBADF)\n" },
	{ .what = "verify: no such file", "verify @fd@ --file /nonexistent", 1,
	  "p2pctl: verify: open /nonexistent: No such file or directory (ENOENT)\n" },
	{ .what = "verify: a file too short", "verify @fd@ --file @dst@", 1,
	  "p2pctl: verify: @dst@ has 0x0 bytes: too short for 0x100000 bytes from offset 0x0: Numerical result out of range (ERANGE)\n" },
	{ .what = "verify: file offset + length overflows",
	  "verify @fd@ --file @peer@ --file-offset 0xffffffffffffffff", 1,
	  "p2pctl: verify: @peer@: file offset 0xffffffffffffffff + length 0x100000 overflows: Numerical result out of range (ERANGE)\n" },

	{ .what = "migrate: no --to", "migrate @fd@", 2,
	  USAGE("migrate", "missing --to bar|system") },
	{ .what = "migrate: --to disk", "migrate @fd@ --to disk", 2,
	  USAGE("migrate", "--to 'disk': bar or system") },
	{ .what = "migrate: --pid without --fd", "migrate --to bar --pid 1", 2,
	  USAGE("migrate", "--pid and --fd go together") },
	{ .what = "migrate: a closed fd", "migrate @closed@ --to bar", 1,
	  "p2pctl: migrate: fd @closed@: Bad file descriptor (EBADF)\n" },
	{ .what = "migrate: /dev/null", "migrate @nullfd@ --to system", 1,
	  "p2pctl: migrate: fd @nullfd@ (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n" },
	{ .what = "migrate: vgem's dma-buf", "migrate @vgemfd@ --to system", 1,
	  "p2pctl: migrate: fd @vgemfd@: a dma-buf of @vgemexp@, not of dma-buf-p2p: Operation not supported (EOPNOTSUPP)\n" },
	{ .what = "migrate: pinned by vgem", "migrate @attfd@ --to bar", 1,
	  "p2pctl: migrate: fd @attfd@ to bar: pinned, or a static importer that cannot reach the BAR is attached (@attpins@ pins, @attatts@ attachments): Device or resource busy (EBUSY)\n" },
	{ .what = "migrate: no VRAM free", "migrate @sysfd@ --to bar", 1,
	  "p2pctl: migrate: fd @sysfd@ to bar: no room in @vram@: No space left on device (ENOSPC)\n",
	  CLI_FULL },
	{ .what = "migrate: no /dev/dma-buf-p2p", "migrate @fd@ --to system", 1,
	  "p2pctl: migrate: open /dev/dma-buf-p2p (is dma-buf-p2p loaded?): No such file or directory (ENOENT)\n",
	  CLI_HIDE },

	{ .what = "stats: an argument", "stats extra", 2,
	  USAGE("stats", "unexpected argument 'extra'") },
	{ .what = "stats: unknown option", "stats --bogus", 2,
	  BAD_OPTION("stats", "--bogus") },
	{ .what = "stats: no debugfs", "stats", 1,
	  "p2pctl: stats: /sys/kernel/debug/dma-buf-p2p/providers (is debugfs mounted and dma-buf-p2p loaded?): No such file or directory (ENOENT)\n",
	  CLI_HIDE },

	{ .what = "bench: no device", "bench --workload read --path direct", 2,
	  USAGE("bench", "read takes one DEVICE") },
	{ .what = "bench: --seconds 5000",
	  "bench --workload read --path direct --seconds 5000 @peer@", 2,
	  USAGE("bench", "--seconds: '5000' is not a time over 0 and up to 3600") },
	{ .what = "bench: a write without --allow-write",
	  "bench --workload write --path direct @peer@", 2,
	  USAGE("bench", "write overwrites the first 67108864 bytes of @peer@: add --allow-write") },
	{ .what = "bench: unknown path", "bench --workload read --path gds @peer@", 2,
	  USAGE("bench", "unknown path 'gds'") },
	{ .what = "bench: a character device",
	  "bench --workload read --path direct /dev/null", 1,
	  "p2pctl: bench: /dev/null: Block device required (ENOTBLK)\n" },
	{ .what = "bench: no such device",
	  "bench --workload read --path direct /nonexistent", 1,
	  "p2pctl: bench: open /nonexistent: No such file or directory (ENOENT)\n" },
	{ .what = "bench: --size over the device",
	  "bench --workload randread --path direct --size 1G @peer@", 1,
	  "p2pctl: bench: @peer@ has @devsize@ bytes, --size is 1073741824: Numerical result out of range (ERANGE)\n" },
	{ .what = "bench: a provider without p2pmem",
	  "bench --workload read --path dmabuf --provider @far@ @peer@", 1,
	  "p2pctl: bench: alloc 64M on @far@ (not a P2PDMA provider): No such device or address (ENXIO)\n" },
};

#define NR_VARS		32

static struct {
	const char *name;
	char value[128];
} vars[NR_VARS];

__attribute__((format(printf, 2, 3)))
static void set_var(const char *name, const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < NR_VARS && vars[i].name; i++)
		if (!strcmp(vars[i].name, name))
			break;
	igt_assert(i < NR_VARS);
	vars[i].name = name;
	va_start(ap, fmt);
	vsnprintf(vars[i].value, sizeof(vars[i].value), fmt, ap);
	va_end(ap);
}

static void set_fd_var(const char *name, int slot)
{
	set_var(name, "%d", ctx.fd[slot]);
}

/* 128M, 1G: the sizes of the test machine's devices. */
static const char *mib_str(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= 1024 * MiB && !(bytes % (1024 * MiB)))
		snprintf(buf, len, "%" PRIu64 "G", bytes / (1024 * MiB));
	else
		snprintf(buf, len, "%" PRIu64 "M", bytes / MiB);
	igt_assert(!(bytes % MiB));
	return buf;
}

static void set_vars(void)
{
	struct p2p_query q;
	char s[32];

	set_var("vram", "%s", ctx.m.vram.addr);
	set_var("vramsize", "%s", mib_str(ctx.m.vram_size, s, sizeof(s)));
	set_var("far", "%s", ctx.m.nvme[2].pci.addr);
	set_var("peer", "%s", ctx.peer);
	set_var("peername", "%s", ctx.peer_name);
	set_var("lbs", "%u", ctx.lbs);
	set_var("devsize", "%" PRIu64, ctx.dev_size);
	set_var("devsizefmt", "%s", mib_str(ctx.dev_size, s, sizeof(s)));
	set_var("devend", "%" PRIu64, ctx.dev_size + 4096);
	set_var("slice", "%" PRIu64, ctx.slice);
	set_var("slice4k", "%" PRIu64, ctx.slice + 4096);
	set_fd_var("fd", FD_BUF);
	set_fd_var("rofd", FD_BUF_RO);
	set_fd_var("attfd", FD_ATT);
	set_fd_var("sysfd", FD_SYS);
	set_fd_var("nullfd", FD_NULL);
	set_fd_var("closed", FD_CLOSED);
	set_fd_var("vgemfd", FD_VGEM);
	set_fd_var("heapfd", FD_HEAP);
	set_fd_var("heapwofd", FD_HEAP_WO);
	set_fd_var("blkrofd", FD_BLK_RO);
	p2p_dmabuf_exporter(ctx.fd[FD_VGEM], s, sizeof(s));
	set_var("vgemexp", "%s", s);
	p2p_dmabuf_exporter(ctx.fd[FD_HEAP], s, sizeof(s));
	set_var("heapexp", "%s", s);
	p2p_query(ctx.fd[FD_DEV], ctx.fd[FD_ATT], &q);
	set_var("attpins", "%u", q.q.pin_count);
	set_var("attatts", "%u", q.q.nr_attachments);
	set_var("pid", "%d", (int)getpid());
	set_var("dst", DST_FILE);
	set_var("nosock", NO_SOCKET);
}

/* @in with its variables replaced. */
static void expand(const char *in, char *out, size_t len)
{
	size_t n = 0;

	while (*in) {
		const char *end, *v = NULL;

		if (*in != '@') {
			igt_assert(n + 1 < len);
			out[n++] = *in++;
			continue;
		}
		end = strchr(in + 1, '@');
		igt_assert_f(end, "unterminated variable in '%s'\n", in);
		for (int i = 0; i < NR_VARS && vars[i].name; i++)
			if (strlen(vars[i].name) == (size_t)(end - in - 1) &&
			    !strncmp(vars[i].name, in + 1, end - in - 1))
				v = vars[i].value;
		igt_assert_f(v, "no variable '%.*s'\n", (int)(end - in - 1),
			     in + 1);
		igt_assert(n + strlen(v) < len);
		memcpy(out + n, v, strlen(v));
		n += strlen(v);
		in = end + 1;
	}
	out[n] = '\0';
}

/* In p2pctl's child only: a mount namespace without them. */
static void hide_dev_and_debugfs(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/dev", "tmpfs", 0, NULL) ||
	    mount("none", "/sys/kernel/debug", "tmpfs", 0, NULL)) {
		fprintf(stderr, "cannot hide /dev and debugfs: %m\n");
		_exit(125);
	}
}

/* One command line; 0 when it failed as the case says. */
static int run_cli(const struct cli_case *cc)
{
	static struct p2p_result r;
	struct p2p_spawn how = P2P_SPAWN_DEFAULT;
	char cmd[1024], want[1024];
	int master = -1, slave = -1, filler = -1;

	expand(cc->cmd, cmd, sizeof(cmd));
	expand(cc->err, want, sizeof(want));
	if (cc->flags & CLI_HIDE)
		how.setup = hide_dev_and_debugfs;
	if (cc->flags & CLI_TTY) {
		p2p_pty_open(&master, &slave);
		how.stdout_fd = slave;
	}
	if (cc->flags & CLI_FULL)
		filler = fill_vram();
	p2pctl_runf(&r, &how, "%s", cmd);
	if (filler >= 0)
		close(filler);
	if (master >= 0) {
		close(slave);
		close(master);
	}

	igt_info("p2pctl %s: exit %d: %s", cmd, r.status, r.err);
	if (r.status != cc->status || strcmp(r.err, want) || r.out_len) {
		igt_warn("p2pctl, %s: exit %d, stderr '%s', stdout %zu bytes; "
			 "expected exit %d, stderr '%s' and no output\n",
			 cc->what, r.status, r.err, r.out_len, cc->status,
			 want);
		return 1;
	}
	return 0;
}

static void test_p2pctl(void)
{
	static struct p2p_slice slice;
	struct state before, after;
	int failed = 0, fd;

	p2pctl_find();
	set_vars();
	fd = open(DST_FILE, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	igt_assert_fd(fd);
	close(fd);
	unlink(NO_SOCKET);
	p2p_slice_save(&slice, ctx.peer, ctx.m.nvme[1].image, ctx.slice,
		       SLICE_SIZE);

	snapshot(&before);
	for (size_t i = 0; i < NELEMS(cli_cases); i++)
		failed += run_cli(&cli_cases[i]);
	snapshot(&after);
	failed += state_changed("p2pctl", &before, &after);

	unlink(DST_FILE);
	p2p_check_file(slice.image, slice.off, slice.old, slice.len,
		       "peer0's slice after the refused copies");
	p2p_slice_restore(&slice);
	check_taint();
	igt_info("p2pctl: %zu table cases, %d failed\n", NELEMS(cli_cases),
		 failed);
	igt_assert_f(!failed, "%d of %zu p2pctl command lines did not fail "
		     "as documented (see the warnings above)\n", failed,
		     NELEMS(cli_cases));
}

/* ------------------------------------------------------------------ */
/* The fuzzer                                                           */

#define FUZZ_SEED	0x6261642d696e7075ull	/* "bad-inpu" */
#define FUZZ_CALLS	50000
#define FUZZ_ENTRIES	16	/* batch entries made to be nearly valid */
#define FUZZ_TIME_LIMIT	100	/* seconds: a stuck call fails the test */
#define FUZZ_REPORTED	10	/* bad calls shown in full */
#define MAX_ERRNO	134

static uint64_t fz_state;

/* The same calls on every run. */
static uint64_t fz(void)
{
	return p2p_splitmix64(&fz_state);
}

static uint64_t fz_below(uint64_t n)
{
	return fz() % n;
}

#define FZ_PICK(a)	((a)[fz_below(NELEMS(a))])

static const int fz_fd_slots[] = {
	FD_BUF, FD_BUF_RO, FD_ATT, FD_SYS, FD_SCRATCH, FD_VGEM, FD_UDMABUF,
	FD_HEAP, FD_HEAP_WO, FD_NULL, FD_CLOSED, FD_NEG, FD_BIG, FD_DEV,
	FD_BLK_RO,
};

static uint32_t fz_fd(void)
{
	if (!fz_below(16))
		return (uint32_t)fz();
	return (uint32_t)ctx.fd[FZ_PICK(fz_fd_slots)];
}

static struct dma_buf_p2p_pci_id fz_pci(void)
{
	struct dma_buf_p2p_pci_id id;

	if (fz_below(8))
		return ctx.pci[fz_below(NR_PCI)];
	id.domain = fz_below(4) ? 0 : (uint32_t)fz();
	id.bdf = fz_below(2) ? fz_below(0x10000) : (uint32_t)fz();
	return id;
}

/* Mostly 0 or valid bits, so that calls get past the flag checks. */
static uint32_t fz_flags(uint32_t valid)
{
	switch (fz_below(8)) {
	case 0:
	case 1:
		return valid & (uint32_t)fz();
	case 2:
		return 1u << fz_below(32);
	case 3:
		return (uint32_t)fz();
	default:
		return 0;
	}
}

/* Out fields and padding: mostly 0, likewise. */
static uint64_t fz_out(void)
{
	if (fz_below(16))
		return 0;
	return fz_below(2) ? 1 : fz();
}

/* A user pointer: into the scratch memory, or one that faults. */
static uint64_t fz_ptr(uint64_t off)
{
	switch (fz_below(16)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)ctx.guard;
	case 2:
		return (uintptr_t)ctx.ro;
	case 3:
		return KERNEL_ADDR + fz_below(MiB);
	case 4:
		return (uintptr_t)ctx.guard - 8 * (1 + fz_below(64));
	case 5:
		return 1 + fz_below(PAGE - 1);
	default:
		return (uintptr_t)ctx.scratch + off;
	}
}

static uint32_t fz_count(void)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 8, 16, 256, 4096, 65536, 0xffffffff,
	};

	return fz_below(8) ? FZ_PICK(v) : (uint32_t)fz();
}

/* An offset into something of @limit bytes: inside, at its edges, wild. */
static uint64_t fz_off(uint64_t limit)
{
	const uint64_t edges[] = {
		0, 256, 512, 4096, limit - 4096, limit - 512, limit,
		limit + 4096, 1ull << 40, 1ull << 63, UINT64_MAX - 4095,
		UINT64_MAX,
	};

	switch (fz_below(4)) {
	case 0:
	case 1:
		return fz_below(limit / 512) * 512;
	case 2:
		return FZ_PICK(edges);
	default:
		return fz_below(2) ? fz() : fz() & ~(uint64_t)511;
	}
}

static uint64_t fz_len(void)
{
	static const uint64_t edges[] = {
		0, 1, 256, 511, 512, 4096, FOREIGN_SIZE, BUF_SIZE,
		BUF_SIZE + 4096, 1ull << 30, (1ull << 30) + 512, 0xffffffff,
		1ull << 63, UINT64_MAX - 4095, UINT64_MAX,
	};

	switch (fz_below(4)) {
	case 0:
	case 1:
		return 512 * (1 + fz_below(128));
	case 2:
		return FZ_PICK(edges);
	default:
		return fz();
	}
}

static void fz_reach(void *arg)
{
	struct dma_buf_p2p_reach *r = arg;

	r->provider = fz_pci();
	r->client = fz_pci();
	r->flags = fz_flags(0);
	r->path = fz_out();
	r->distance = fz_out();
	r->__pad = fz_out();
}

static void fz_alloc(void *arg)
{
	static const uint32_t fd_flags[] = {
		O_RDWR, O_RDWR | O_CLOEXEC, O_RDONLY, O_RDONLY | O_CLOEXEC,
		O_WRONLY, O_ACCMODE, O_RDWR | O_NONBLOCK,
	};
	const uint64_t huge[] = {
		UINT64_MAX, SIZE_MAX - PAGE + 1, SIZE_MAX - PAGE, 1ull << 50,
		ctx.m.vram_size + 1, ctx.m.cmb_size + 1, ctx.m.vram_size,
	};
	struct dma_buf_p2p_alloc *a = arg;

	a->provider = fz_below(2) ? ctx.pci[fz_below(2)] : fz_pci();
	switch (fz_below(16)) {
	case 0:
		a->size = fz_below(2);
		break;
	case 1:
		a->size = FZ_PICK(huge);
		break;
	case 2:
		a->size = fz();
		break;
	case 3:
		/* Now and then all that is free: clearing it takes time. */
		a->size = fz_below(32) ? 1 + fz_below(MiB) : vram_available();
		break;
	default:
		a->size = 1 + fz_below(256 * KiB);
		break;
	}
	a->fd_flags = fz_below(8) ? FZ_PICK(fd_flags) : (uint32_t)fz();
	a->flags = fz_flags(0);
	a->fd = fz_out();
	a->__pad = fz_out();
}

static void fz_query(void *arg)
{
	const size_t out = offsetof(struct dma_buf_p2p_query, provider);
	struct dma_buf_p2p_query *q = arg;

	q->fd = fz_fd();
	q->flags = fz_flags(0);
	q->attachments = fz_ptr(0);
	q->chunks = fz_ptr(CHUNKS_OFF);
	q->nr_attachments = fz_count();
	q->nr_chunks = fz_count();
	if (fz_below(8))
		memset((uint8_t *)q + out, 0, sizeof(*q) - out);
}

static void fz_migrate(void *arg)
{
	struct dma_buf_p2p_migrate *mig = arg;

	mig->fd = fz_fd();
	mig->placement = fz_below(8) ? fz_below(3) : (uint32_t)fz();
	mig->flags = fz_flags(0);
	mig->__pad = fz_out();
}

static void fz_list(void *arg)
{
	struct dma_buf_p2p_list_providers *l = arg;

	l->providers = fz_ptr(0);
	l->count = fz_count();
	l->flags = fz_flags(0);
}

static void fz_probe(void *arg)
{
	const size_t out = offsetof(struct dma_buf_p2p_probe, mode);
	struct dma_buf_p2p_probe *pr = arg;

	pr->fd = fz_fd();
	pr->flags = fz_flags(DMA_BUF_P2P_PROBE_VMAP);
	pr->device = fz_pci();
	if (fz_below(8))
		memset((uint8_t *)pr + out, 0, sizeof(*pr) - out);
}

static uint32_t fz_blk_flags(void)
{
	static const uint32_t v[] = {
		0, BLK_DMABUF_BOUNCE, BLK_DMABUF_WRITE,
		BLK_DMABUF_WRITE | BLK_DMABUF_BOUNCE,
	};

	return fz_below(4) ? FZ_PICK(v) : fz_flags(0);
}

static void fz_rw(void *arg)
{
	struct blk_dmabuf_rw *rw = arg;

	rw->dmabuf_fd = fz_fd();
	rw->flags = fz_blk_flags();
	if (fz_below(2)) {
		/* A valid range: with a good fd, a read that runs. */
		rw->buf_offset = fz_below(FOREIGN_SIZE / 512) * 512;
		rw->dev_offset = fz_below(ctx.dev_size / 512 - 128) * 512;
		rw->length = 512 * (1 + fz_below(128));
	} else {
		rw->buf_offset = fz_off(fz_below(2) ? BUF_SIZE :
					FOREIGN_SIZE);
		rw->dev_offset = fz_off(ctx.dev_size);
		rw->length = fz_len();
	}
	rw->path = fz_out();
	rw->maps = fz_out();
	rw->cpu_bytes = fz_out();
}

static void fz_batch(void *arg)
{
	static const uint32_t qd[] = { 0, 0, 1, 2, 32, 4096, 4097 };
	struct blk_dmabuf_rw_batch *b = arg;
	struct blk_dmabuf_io *io = entries();
	bool valid;
	uint32_t n;

	b->dmabuf_fd = fz_fd();
	b->flags = fz_blk_flags();
	b->ios = fz_ptr(0);
	if (fz_below(4))
		b->nr_ios = 1 + fz_below(FUZZ_ENTRIES);
	else
		b->nr_ios = fz_count();
	b->queue_depth = fz_below(4) ? FZ_PICK(qd) : (uint32_t)fz();
	b->path = fz_out();
	b->maps = fz_out();
	b->cpu_bytes = fz_out();

	/* Half the batches with entries that are all valid reads. */
	valid = fz_below(2);
	n = b->nr_ios < NR_IOS ? b->nr_ios : NR_IOS;
	for (uint32_t i = 0; i < n; i++) {
		if (valid && i < FUZZ_ENTRIES) {
			io[i] = (struct blk_dmabuf_io){
				.buf_offset = fz_below(FOREIGN_SIZE / 512) * 512,
				.dev_offset = fz_below(ctx.dev_size / 512 - 128) *
					      512,
				.length = 512 * (1 + fz_below(128)),
			};
			continue;
		}
		if (i >= FUZZ_ENTRIES) {
			/* The rest is noise: the batch fails as a whole. */
			uint64_t *w = (uint64_t *)&io[i];

			for (size_t j = 0; j < sizeof(*io) / 8; j++)
				w[j] = fz();
			continue;
		}
		io[i].buf_offset = fz_off(BUF_SIZE);
		io[i].dev_offset = fz_off(ctx.dev_size);
		io[i].length = fz_below(8) ? 512 * (1 + fz_below(128)) :
					     (uint32_t)fz_len();
		io[i].flags = fz_below(8) ? 0 : fz_blk_flags();
		io[i].result = fz_out();
		io[i].__pad = fz_out();
	}
}

/* The errnos each header documents; 0 ends a list. */
static const int reach_errs[] = { EINVAL, ENODEV, ENXIO, EFAULT, 0 };

static const int alloc_errs[] = {
	EINVAL, ENODEV, ENXIO, ENOSPC, ENOMEM, EMFILE, EFAULT, 0
};

static const int query_errs[] = { EINVAL, EBADF, EOPNOTSUPP, EFAULT, 0 };

static const int migrate_errs[] = {
	EINVAL, EBADF, EOPNOTSUPP, EFAULT, EBUSY, ENOSPC, EDQUOT, ENODEV, 0
};

static const int list_errs[] = { EINVAL, EFAULT, 0 };

static const int probe_errs[] = {
	EINVAL, EBADF, EOPNOTSUPP, EFAULT, ENODEV, EBUSY, EDQUOT, 0
};

static const int blk_errs[] = {
	EBADF, EINVAL, ERANGE, EPERM, EACCES, EBUSY, EDQUOT, EOPNOTSUPP,
	ENODEV, EFAULT, EIO, ETIMEDOUT, EINTR, 0
};

struct fz_ioctl {
	const char *name;
	unsigned long req;
	size_t size;
	void (*fill)(void *arg);
	const int *errs;
};

#define FZ_IOCTL(n, r, t, f, e) { n, r, sizeof(struct t), f, e }

/* The first six on /dev/dma-buf-p2p, the last two on peer0. */
static const struct fz_ioctl fz_ioctls[] = {
	FZ_IOCTL("REACH", DMA_BUF_P2P_IOC_REACH, dma_buf_p2p_reach, fz_reach,
		 reach_errs),
	FZ_IOCTL("ALLOC", DMA_BUF_P2P_IOC_ALLOC, dma_buf_p2p_alloc, fz_alloc,
		 alloc_errs),
	FZ_IOCTL("QUERY", DMA_BUF_P2P_IOC_QUERY, dma_buf_p2p_query, fz_query,
		 query_errs),
	FZ_IOCTL("MIGRATE", DMA_BUF_P2P_IOC_MIGRATE, dma_buf_p2p_migrate,
		 fz_migrate, migrate_errs),
	FZ_IOCTL("LIST_PROVIDERS", DMA_BUF_P2P_IOC_LIST_PROVIDERS,
		 dma_buf_p2p_list_providers, fz_list, list_errs),
	FZ_IOCTL("PROBE", DMA_BUF_P2P_IOC_PROBE, dma_buf_p2p_probe, fz_probe,
		 probe_errs),
	FZ_IOCTL("BLKDMABUFRW", BLKDMABUFRW, blk_dmabuf_rw, fz_rw, blk_errs),
	FZ_IOCTL("BLKDMABUFRWBATCH", BLKDMABUFRWBATCH, blk_dmabuf_rw_batch,
		 fz_batch, blk_errs),
};

#define FZ_P2P		6
#define FZ_OTHER	NELEMS(fz_ioctls)	/* other request numbers */
#define FZ_DMABUF	(FZ_OTHER + 1)		/* on a dma-buf fd */
#define FZ_ROWS		(FZ_OTHER + 2)

struct fz_stats {
	unsigned long calls[FZ_ROWS], ok[FZ_ROWS];
	unsigned long err[FZ_ROWS][MAX_ERRNO];
	unsigned long bad;
};

static bool in_list(int err, const int *list)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

/* A size near @size or anywhere in _IOC_SIZE's range. */
static unsigned int fz_size(size_t size)
{
	switch (fz_below(4)) {
	case 0:
		return size - 1 - fz_below(8);
	case 1:
		return size + 1 + fz_below(64);
	case 2:
		return fz_below(_IOC_SIZEMASK + 1);
	default:
		return size;
	}
}

static void fz_report(unsigned long i, const char *on, unsigned long req,
		      const void *p, const uint8_t *arg, size_t size, int err)
{
	char hex[3 * 64 + 1] = "";

	for (size_t j = 0; j < size && j < 64; j++)
		snprintf(hex + 3 * j, 4, "%02x ", arg[j]);
	igt_warn("fuzz call %lu on %s: request %#lx, argument %p: %s; "
		 "argument bytes: %s\n", i, on, req, p, p2p_errno_name(err), hex);
}

static void fz_print(const struct fz_stats *st)
{
	for (size_t r = 0; r < FZ_ROWS; r++) {
		char line[512];
		int n;

		n = snprintf(line, sizeof(line), "%-16s %6lu calls, %5lu ok",
			     r < FZ_OTHER ? fz_ioctls[r].name :
			     r == FZ_OTHER ? "other numbers" : "on a dma-buf",
			     st->calls[r], st->ok[r]);
		for (int e = 1; e < MAX_ERRNO; e++)
			if (st->err[r][e] && n < (int)sizeof(line))
				n += snprintf(line + n, sizeof(line) - n,
					      ", %s %lu", p2p_errno_name(e),
					      st->err[r][e]);
		igt_info("%s\n", line);
	}
}

/* One random call; false when its outcome is not a documented one. */
static bool fz_call(unsigned long i, struct fz_stats *st)
{
	static uint8_t arg[ARG_MAX] __attribute__((aligned(8)));
	static const int dmabuf_slots[] = { FD_BUF, FD_VGEM, FD_HEAP,
					    FD_UDMABUF, FD_SYS };
	const struct fz_ioctl *io;
	unsigned long req;
	int target, fd, k, row, ret, err;
	const char *on;
	void *p = arg;
	size_t readable;
	bool good;

	/* Where: the control device, a dma-buf, peer0 opened O_RDONLY. */
	target = fz_below(20);
	if (target < 11) {
		io = &fz_ioctls[fz_below(FZ_P2P)];
		fd = ctx.fd[target < 9 ? FD_DEV : FZ_PICK(dmabuf_slots)];
		on = target < 9 ? "/dev/dma-buf-p2p" : "a dma-buf";
	} else {
		io = &fz_ioctls[FZ_P2P + fz_below(2)];
		fd = ctx.fd[FD_BLK_RO];
		on = "peer0 (O_RDONLY)";
	}

	for (size_t j = 0; j < sizeof(arg) / 8; j++)
		((uint64_t *)arg)[j] = fz();
	if (fz_below(2)) {
		req = io->req;
		io->fill(arg);
	} else {
		/* Our ranges: 'b' 0x40-0x5f, and 0x12 144-145. */
		unsigned int nr = io >= &fz_ioctls[FZ_P2P] ?
				  144 + fz_below(2) : 0x40 + fz_below(32);

		req = _IOC(fz_below(4), _IOC_TYPE(io->req), nr,
			   fz_size(io->size));
	}
	for (k = 0; k < (int)FZ_OTHER; k++)
		if (fz_ioctls[k].req == req)
			break;

	/* One in 32 where no valid argument is: NULL ... ARG_TAIL. */
	if (!fz_below(32))
		p = place(ARG_NULL + fz_below(5), arg, io->size, &readable);

	ret = ioctl(fd, req, p);
	err = ret ? errno : 0;
	/* A buffer is ours to close, whatever made it. */
	if (!ret && k < (int)FZ_OTHER && fz_ioctls[k].req == DMA_BUF_P2P_IOC_ALLOC &&
	    fd == ctx.fd[FD_DEV])
		close(((struct dma_buf_p2p_alloc *)p)->fd);

	if (target == 9 || target == 10) {
		row = FZ_DMABUF;
		/* dma-buf's own ioctls are 'b' 0x00-0x3f: none of ours. */
		good = ret == -1 && err == ENOTTY;
	} else if (k == (int)FZ_OTHER) {
		row = FZ_OTHER;
		/* The drivers match the whole number, size included. */
		good = ret == -1 && err == ENOTTY;
	} else {
		row = k;
		good = !ret || in_list(err, fz_ioctls[k].errs);
	}
	st->calls[row]++;
	if (!ret)
		st->ok[row]++;
	else if (err > 0 && err < MAX_ERRNO)
		st->err[row][err]++;
	if (!good && st->bad++ < FUZZ_REPORTED)
		fz_report(i, on, req, p, arg, io->size, err);
	return good;
}

/* CRC-32 of each 4 MiB of peer0's image. */
static void image_crcs(uint32_t *crc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = p2p_file_dup(ctx.m.nvme[1].image, i * SLICE_SIZE,
					  SLICE_SIZE);

		crc[i] = p2p_crc32(b, SLICE_SIZE);
		free(b);
	}
}

static uint64_t cmb_available(void)
{
	return p2p_sysfs_u64(ctx.m.nvme[0].pci.addr, "p2pmem/available");
}

static void test_fuzz(void)
{
	static const int ours[] = { FD_BUF, FD_BUF_RO, FD_SYS, FD_SCRATCH };
	const size_t nr_crcs = ctx.dev_size / SLICE_SIZE;
	uint32_t placement[NELEMS(ours)], *crc0, *crc1;
	struct blk_dmabuf_rw rw = {};
	static struct fz_stats st;
	uint64_t vram0, cmb0;
	struct p2p_query q;
	double t0, t;
	int fds0, i;

	/* Every write the fuzzer asks for goes to a read-only open. */
	igt_assert_eq(fcntl(ctx.fd[FD_BLK_RO], F_GETFL) & O_ACCMODE,
		      O_RDONLY);
	igt_assert(!(ctx.dev_size % SLICE_SIZE));
	crc0 = calloc(nr_crcs, sizeof(*crc0));
	crc1 = calloc(nr_crcs, sizeof(*crc1));
	igt_assert(crc0 && crc1);
	image_crcs(crc0, nr_crcs);
	for (size_t j = 0; j < NELEMS(ours); j++) {
		p2p_query(ctx.fd[FD_DEV], ctx.fd[ours[j]], &q);
		placement[j] = q.q.placement;
	}
	fds0 = p2p_count_fds();
	vram0 = vram_available();
	cmb0 = cmb_available();

	fz_state = FUZZ_SEED;
	t0 = p2p_now_s();
	igt_set_timeout(FUZZ_TIME_LIMIT, "the fuzzer's calls");
	for (i = 0; i < FUZZ_CALLS; i++)
		fz_call(i, &st);
	igt_reset_timeout();
	t = p2p_now_s() - t0;
	igt_info("%d calls (seed %#llx) in %.1f s\n", FUZZ_CALLS,
		 (unsigned long long)FUZZ_SEED, t);
	fz_print(&st);

	/* The kernel still answers valid calls. */
	run_control(&families[FAM_REACH]);
	good_rw(&rw);
	rw.dmabuf_fd = ctx.fd[FD_SCRATCH];
	igt_assert_eq(p2p_ioctl(ctx.fd[FD_BLK_RO], BLKDMABUFRW, &rw), 0);
	check_taint();

	/* No fd left over; back where they were, the buffers free as much. */
	igt_assert_eq(p2p_count_fds(), fds0);
	for (size_t j = 0; j < NELEMS(ours); j++)
		p2p_migrate(ctx.fd[FD_DEV], ctx.fd[ours[j]], placement[j]);
	p2p_query(ctx.fd[FD_DEV], ctx.fd[FD_ATT], &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	for (int w = 0; w < 60 && (vram_available() != vram0 ||
				   cmb_available() != cmb0); w++)
		usleep(50 * 1000);
	igt_assert_eq_u64(vram_available(), vram0);
	igt_assert_eq_u64(cmb_available(), cmb0);

	/* Not one byte of the disk changed. */
	image_crcs(crc1, nr_crcs);
	for (size_t j = 0; j < nr_crcs; j++)
		igt_assert_f(crc0[j] == crc1[j], "peer0's image changed "
			     "between %zu and %zu MiB\n", j * 4, j * 4 + 4);
	free(crc0);
	free(crc1);
	igt_info("fuzz: %.1f s in all\n", p2p_now_s() - t0);
	igt_assert_f(!st.bad, "%lu of %d calls ended in an errno their "
		     "header does not document (first ones above)\n",
		     st.bad, FUZZ_CALLS);
}

igt_main
{
	igt_fixture
		setup();

	igt_describe("DMA_BUF_P2P_IOC_REACH: flags, padding and out fields "
		     "set, PCI functions that do not exist or publish no "
		     "memory, bad argument pointers, other request sizes and "
		     "directions, other fds: each with its errno, nothing "
		     "changed.");
	igt_subtest("reach")
		test_family(&families[FAM_REACH]);

	igt_describe("DMA_BUF_P2P_IOC_ALLOC: sizes 0, overflowing, larger "
		     "than the provider or its free memory, bad fd_flags, "
		     "flags, padding, out fd, providers, no fd number left, "
		     "an argument the new fd cannot be written to: no fd made, "
		     "no memory kept.");
	igt_subtest("alloc")
		test_family(&families[FAM_ALLOC]);

	igt_describe("DMA_BUF_P2P_IOC_QUERY: out fields set, fds closed, not "
		     "dma-bufs or other exporters' (vgem, udmabuf, the system "
		     "heap), arrays that cannot be written.");
	igt_subtest("query")
		test_family(&families[FAM_QUERY]);

	igt_describe("DMA_BUF_P2P_IOC_MIGRATE: bad placements, flags, "
		     "padding and fds, a buffer pinned by vgem (EBUSY), no "
		     "VRAM free (ENOSPC): the buffer stays where it is.");
	igt_subtest("migrate")
		test_family(&families[FAM_MIGRATE]);

	igt_describe("DMA_BUF_P2P_IOC_LIST_PROVIDERS: flags, arrays that "
		     "fault whole or half way, an argument that cannot be "
		     "written back.");
	igt_subtest("list-providers")
		test_family(&families[FAM_LIST]);

	igt_describe("DMA_BUF_P2P_IOC_PROBE: flags, out fields, devices and "
		     "fds that are not there or not ours: no mapping made.");
	igt_subtest("probe")
		test_family(&families[FAM_PROBE]);

	igt_describe("BLKDMABUFRW, reads and writes: bad fds, flags, out "
		     "fields, unaligned, empty, overflowing and out-of-range "
		     "ranges, the wrong open modes of the disk and the "
		     "dma-buf, a read-only disk: not one byte of the buffer "
		     "or of the disk image changes.");
	igt_subtest("blk-rw")
		test_block_family(&families[FAM_RW]);

	igt_describe("BLKDMABUFRWBATCH: the same for the call and each "
		     "entry, counts and queue depths over the limit, entry "
		     "arrays that fault, a bad entry after valid writes: "
		     "nothing is written.");
	igt_subtest("blk-rw-batch")
		test_block_family(&families[FAM_BATCH]);

	igt_describe("Every p2pctl command with bad command lines (exit 2) "
		     "and bad objects (exit 1): exactly the documented message "
		     "on stderr, nothing on stdout, nothing changed.");
	igt_subtest("p2pctl")
		test_p2pctl();

	igt_describe("With the VRAM provider unbound under live buffers, "
		     "moving one back, allocating on it and asking the way to "
		     "it fail with ENODEV and ENXIO (p2pctl says so too); "
		     "rebound, the buffer returns byte for byte.");
	igt_subtest("provider-unbound")
		test_provider_unbound();

	igt_describe("50000 random calls of every ioctl, its neighbours' "
		     "request numbers, on dma-bufs too, with edge values and "
		     "bad pointers, from a fixed seed: only documented "
		     "errnos, no fd or p2pmem leaked, no disk byte changed, "
		     "the kernel alive and untainted.");
	igt_subtest("fuzz")
		test_fuzz();

	igt_fixture
		teardown();
}
