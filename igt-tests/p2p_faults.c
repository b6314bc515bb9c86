// SPDX-License-Identifier: MIT
/*
 * Allocation failures, one allocation at a time: for N = 1, 2, ... the
 * N-th allocation the kernel makes for this thread during an operation
 * fails (/proc/thread-self/fail-nth, with failslab and fail_page_alloc set
 * to fail sleeping allocations too), until an operation makes fewer than
 * N.  Each operation must then succeed or fail with ENOMEM, leave nothing
 * behind (fds, BAR memory, attachments) and never lose a byte: the buffer
 * and the disk are checked against the host's files after every step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_proc.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("Every allocation of allocating, mapping, probing and "
		     "migrating a buffer fails in turn: each operation "
		     "succeeds or says ENOMEM, leaks nothing and keeps every "
		     "byte.");

#define MiB ((uint64_t)1 << 20)
#define BUF_SIZE	(4 * MiB)
#define READ_LEN	MiB
#define BOUNCE_LEN	(128 * 1024)	/* 32 pages, each allocated */
/* More allocation sites than any operation has: the loop ends before. */
#define MAX_NTH		400

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"

struct env {
	struct p2p_machine m;
	int dev;
	int nth;		/* /proc/thread-self/fail-nth */
	char disk[48];		/* peer0 */
	int disk_fd;
	uint64_t avail0;	/* the VRAM's free bytes before a test */
	int fds0;		/* this process's open fds before a test */
};

static void set_attr(const char *dir, const char *attr, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", dir, attr);
	igt_assert_f(p2p_sysfs_write(path, value), "cannot write %s to %s\n",
		     value, path);
}

/*
 * Sleeping allocations fail too (by default only atomic ones do), single
 * pages as well as larger blocks, without a message or stack dump each.
 */
static void faults_setup(void)
{
	set_attr(FAILSLAB, "ignore-gfp-wait", "N");
	set_attr(FAILSLAB, "verbose", "0");
	set_attr(FAIL_PAGE, "ignore-gfp-wait", "N");
	set_attr(FAIL_PAGE, "ignore-gfp-highmem", "N");
	set_attr(FAIL_PAGE, "min-order", "0");
	set_attr(FAIL_PAGE, "verbose", "0");
}

/* Arms the @n-th allocation of this thread to fail. */
static void arm(const struct env *e, int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%d", n);

	igt_assert_eq(pwrite(e->nth, v, len, 0), len);
}

/*
 * Whether the armed failure happened (fail-nth reads 0), and disarms it
 * when it did not: nothing else of this thread's may fail by accident.
 */
static bool fired(const struct env *e)
{
	char v[16] = "";
	bool hit;

	igt_assert_lt(0, pread(e->nth, v, sizeof(v) - 1, 0));
	hit = atoi(v) == 0;
	if (!hit)
		igt_assert_eq(pwrite(e->nth, "0", 1, 0), 1);
	return hit;
}

static uint64_t vram_free(const struct env *e)
{
	return p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
}

static void baseline(struct env *e)
{
	e->avail0 = vram_free(e);
	e->fds0 = p2p_count_fds();
}

/* No fd and no BAR memory left over (the importer lets go in ~1 s). */
static void check_nothing_left(const struct env *e, const char *what)
{
	uint64_t avail = 0;

	igt_assert_f(p2p_count_fds() == e->fds0, "%s: %d fds open, %d before\n",
		     what, p2p_count_fds(), e->fds0);
	for (int i = 0; i < 100; i++, usleep(50000)) {	/* 5 s */
		avail = vram_free(e);
		if (avail == e->avail0)
			return;
	}
	igt_assert_f(0, "%s: %" PRIu64 " bytes of the VRAM still allocated\n",
		     what, e->avail0 - avail);
}

static void expect_ok_or_enomem(int err, int n, const char *what)
{
	igt_assert_f(!err || err == -ENOMEM,
		     "%s with allocation %d failing: %s\n", what, n,
		     strerror(-err));
}

/* ALLOC ------------------------------------------------------------- */

static void test_alloc(struct env *e)
{
	int n, failed = 0;

	baseline(e);
	for (n = 1; n <= MAX_NTH; n++) {
		struct p2p_query q;
		bool hit;
		int err, fd = -1;

		arm(e, n);
		err = __p2p_alloc(e->dev, &e->m.vram, BUF_SIZE,
				  O_RDWR | O_CLOEXEC, &fd);
		hit = fired(e);
		expect_ok_or_enomem(err, n, "ALLOC");
		failed += !!err;
		if (!err) {
			/* A buffer that came through is whole and cleared. */
			p2p_query(e->dev, fd, &q);
			igt_assert_eq_u64(q.q.size, BUF_SIZE);
			igt_assert_eq_u32(q.q.placement,
					  DMA_BUF_P2P_PLACEMENT_BAR);
			close(fd);
		}
		check_nothing_left(e, "ALLOC");
		if (!hit)
			break;
	}
	igt_info("ALLOC: %d allocations failed in turn, %d of them failed "
		 "the call\n", n - 1, failed);
	igt_assert_f(n > 1 && n <= MAX_NTH, "%d allocation sites\n", n - 1);
}

/* MIGRATE ----------------------------------------------------------- */

/* The buffer holds @seed's pattern: through its mmap. */
static void check_map(int fd, const uint8_t *map, uint64_t seed,
		      const char *what)
{
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_pattern(map, BUF_SIZE, seed, what);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

static void migrate_steps(struct env *e, uint32_t to, int *sites,
			  int *failed)
{
	const uint64_t seed = 0xfa17 + to;
	uint32_t from = to == DMA_BUF_P2P_PLACEMENT_BAR ?
			DMA_BUF_P2P_PLACEMENT_SYSTEM :
			DMA_BUF_P2P_PLACEMENT_BAR;
	struct p2p_query q;
	uint8_t *map;
	int n, fd;

	fd = p2p_alloc(e->dev, &e->m.vram, BUF_SIZE, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, BUF_SIZE);
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	p2p_fill_pattern(map, BUF_SIZE, seed);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	for (n = 1; n <= MAX_NTH; n++) {
		bool hit;
		int err;

		if (from == DMA_BUF_P2P_PLACEMENT_SYSTEM)
			p2p_migrate(e->dev, fd, from);
		arm(e, n);
		err = __p2p_migrate(e->dev, fd, to);
		hit = fired(e);
		expect_ok_or_enomem(err, n, "MIGRATE");
		*failed += !!err;
		p2p_query(e->dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, err ? from : to);
		check_map(fd, map, seed, "the buffer after a move");
		if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM && !err)
			p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
		if (!hit)
			break;
	}
	*sites = n - 1;
	/* In the BAR again: the host's file behind it has every byte. */
	p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_query(e->dev, fd, &q);
	p2p_check_vram_pattern(&e->m, &q, seed);
	munmap(map, BUF_SIZE);
	close(fd);
}

static void test_migrate(struct env *e)
{
	int to_sys, to_bar, failed_sys = 0, failed_bar = 0;

	baseline(e);
	migrate_steps(e, DMA_BUF_P2P_PLACEMENT_SYSTEM, &to_sys, &failed_sys);
	migrate_steps(e, DMA_BUF_P2P_PLACEMENT_BAR, &to_bar, &failed_bar);
	check_nothing_left(e, "MIGRATE");
	igt_info("MIGRATE to system: %d allocations failed in turn, %d calls "
		 "failed; to the BAR: %d, %d\n", to_sys, failed_sys, to_bar,
		 failed_bar);
	igt_assert(to_sys > 0 && to_sys < MAX_NTH);
	igt_assert(to_bar > 0 && to_bar < MAX_NTH);
	/* Pages for 4 MiB must be allocated: some failure must show. */
	igt_assert_f(failed_sys > 0, "no move to system memory failed\n");
}

/* PROBE: attach and map for a device ------------------------------------ */

static void test_probe(struct env *e)
{
	const struct p2p_pci *peer = &e->m.nvme[1].pci;
	int n, failed = 0, fd;

	baseline(e);
	fd = p2p_alloc(e->dev, &e->m.vram, BUF_SIZE, O_RDWR | O_CLOEXEC);
	for (n = 1; n <= MAX_NTH; n++) {
		struct dma_buf_p2p_probe p = {
			.fd = (uint32_t)fd,
			.device = peer->id,
		};
		struct p2p_query q;
		bool hit;
		int err;

		arm(e, n);
		err = p2p_ioctl(e->dev, DMA_BUF_P2P_IOC_PROBE, &p);
		hit = fired(e);
		expect_ok_or_enomem(err, n, "PROBE");
		failed += !!err;
		if (!err)
			igt_assert_eq_u32(p.nr_segments, 1);
		/* The probe's attachment is gone either way. */
		p2p_query(e->dev, fd, &q);
		igt_assert_eq_u32(q.q.nr_attachments, 0);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		if (!hit)
			break;
	}
	close(fd);
	check_nothing_left(e, "PROBE");
	igt_info("PROBE: %d allocations failed in turn, %d calls failed\n",
		 n - 1, failed);
	igt_assert(n > 1 && n <= MAX_NTH);
	igt_assert_f(failed > 0, "no probe failed\n");
}

/* BLKDMABUFRW: import, map and I/O of a fresh buffer ------------------ */

/*
 * @len bytes read from peer0 into a new buffer each time, on the path
 * @flags (BLK_DMABUF_BOUNCE or 0) asks for.
 */
static void test_read(struct env *e, uint32_t flags, uint64_t len)
{
	const char *image = e->m.nvme[1].image;
	uint8_t *want = p2p_file_dup(image, 0, len);
	int n, failed = 0;

	baseline(e);
	for (n = 1; n <= MAX_NTH; n++) {
		struct blk_dmabuf_rw rw = {
			.length = len,
			.flags = flags,
		};
		uint8_t *map;
		bool hit;
		int err, fd;

		/* A new buffer each time: a new import and mapping too. */
		fd = p2p_alloc(e->dev, &e->m.vram, BUF_SIZE,
			       O_RDWR | O_CLOEXEC);
		map = p2p_map(fd, BUF_SIZE);
		rw.dmabuf_fd = fd;
		arm(e, n);
		err = p2p_ioctl(e->disk_fd, BLKDMABUFRW, &rw);
		hit = fired(e);
		expect_ok_or_enomem(err, n, "BLKDMABUFRW");
		failed += !!err;
		if (!err) {
			igt_assert_eq_u32(rw.path, flags & BLK_DMABUF_BOUNCE ?
					  BLK_DMABUF_PATH_BOUNCE :
					  BLK_DMABUF_PATH_NATIVE);
			p2p_cpu_access(fd, DMA_BUF_SYNC_START |
				       DMA_BUF_SYNC_READ);
			p2p_check_bytes(map, want, len, "the read from peer0");
			p2p_cpu_access(fd, DMA_BUF_SYNC_END |
				       DMA_BUF_SYNC_READ);
		}
		munmap(map, BUF_SIZE);
		close(fd);
		if (!hit)
			break;
	}
	check_nothing_left(e, "BLKDMABUFRW");
	igt_info("BLKDMABUFRW: %d allocations failed in turn, %d calls "
		 "failed\n", n - 1, failed);
	igt_assert(n > 1 && n <= MAX_NTH);
	igt_assert_f(failed > 0, "no read failed\n");
	/* The disk never saw a write: its image is what it was. */
	p2p_check_file(image, 0, want, len, "peer0 after the reads");
	free(want);
}

igt_main
{
	struct env e;

	igt_fixture {
		char name[32];

		p2p_machine_load(&e.m);
		e.dev = p2p_dev_open();
		e.nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		igt_assert_f(e.nth >= 0, "no fail-nth (CONFIG_FAULT_INJECTION "
			     "is in config/p2p.config): %m\n");
		faults_setup();
		igt_assert(p2p_block_by_serial(e.m.nvme[1].serial, name,
					       sizeof(name)));
		snprintf(e.disk, sizeof(e.disk), "/dev/%s", name);
		e.disk_fd = open(e.disk, O_RDONLY | O_CLOEXEC);
		igt_assert_f(e.disk_fd >= 0, "cannot open %s: %m\n", e.disk);
	}

	igt_describe("DMA_BUF_P2P_IOC_ALLOC with each of its allocations "
		     "failing in turn: a whole buffer or ENOMEM, no fd and no "
		     "BAR memory left behind.");
	igt_subtest("alloc-fails")
		test_alloc(&e);

	igt_describe("Moves to system memory and back with each allocation "
		     "failing in turn: the buffer is where it was or where it "
		     "went, never between, its bytes intact in the mmap and "
		     "in the VRAM file.");
	igt_subtest("migrate-fails")
		test_migrate(&e);

	igt_describe("DMA_BUF_P2P_IOC_PROBE (attach and map for peer0) with "
		     "each allocation failing in turn: mapped in one segment "
		     "or ENOMEM, and no attachment stays.");
	igt_subtest("probe-fails")
		test_probe(&e);

	igt_describe("BLKDMABUFRW into a new buffer (import, attach, map, "
		     "I/O) with each allocation failing in turn: the right "
		     "bytes or ENOMEM, nothing left, the disk untouched.");
	igt_subtest("read-fails")
		test_read(&e, 0, READ_LEN);

	igt_describe("The same on the bounce path (BLK_DMABUF_BOUNCE), whose "
		     "pages the call allocates: the right bytes or ENOMEM, "
		     "never EIO.");
	igt_subtest("read-bounced-fails")
		test_read(&e, BLK_DMABUF_BOUNCE, BOUNCE_LEN);

	igt_fixture {
		close(e.disk_fd);
		close(e.nth);
		close(e.dev);
	}
}
