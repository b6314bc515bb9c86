// SPDX-License-Identifier: MIT
/*
 * p2pctl bench: every path moves the right bytes and counts what it did,
 * short runs only (timings are make bench's business, never asserted here).
 *
 * Disk use: [0, 4 MiB) of peer0 (written by the write workload) and of
 * cmb0 (the copy's destination), saved before and written back after,
 * checked in the host's images each time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_bytes.h"
#include "p2p_json.h"
#include "p2p_slice.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl bench: each I/O path reads, writes and copies "
		     "the right bytes (checked in the disk images), accounts "
		     "CPU copies and mappings as the path does, measures the "
		     "buffers, and refuses bad command lines.");

#define MiB ((uint64_t)1 << 20)
#define REGION		(4 * MiB)
#define RAND_SLOTS	1024	/* BENCH_MAX_SLOTS: 4 KiB I/Os per round */

enum { CMB, PEER, FAR };

struct env {
	struct p2p_machine m;
	char dev[3][48];	/* /dev/nvmeXn1 by role */
};

static const struct path {
	const char *name;
	const char *kernel_path;	/* JSON, quoted, or null */
	unsigned int cpu_copies;	/* per byte moved, per direction */
	bool dmabuf;			/* through the kernel import */
} paths[] = {
	{ "dmabuf", "\"native\"", 0, true },
	{ "direct", "null", 0, false },
	{ "p2pmem", "null", 0, false },
	{ "pread-memcpy", "null", 1, false },
	{ "migrated", "\"native\"", 0, true },
	{ "bounce", "\"bounce\"", 1, true },
};

#define NR_PATHS	(sizeof(paths) / sizeof(paths[0]))

/* p2pctl bench --json ARGS: succeeded, quiet on stderr, parsed into @j. */
__attribute__((format(printf, 2, 3)))
static void bench_json(struct p2p_json *j, const char *fmt, ...)
{
	struct p2p_result r = { 0 };
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	p2pctl_runf(&r, NULL, "bench --json %s", args);
	igt_assert_f(r.status == 0, "bench %s: exit status %d; stderr: %s\n",
		     args, r.status, r.err);
	igt_assert_f(!r.err[0], "bench %s: stderr: %s\n", args, r.err);
	igt_info("bench %s: %s", args, r.out);
	memset(j, 0, sizeof(*j));
	p2p_json_parse(j, r.out);
	p2p_result_fini(&r);
}

/* What every I/O report says, whatever the path. */
static void check_io_report(const struct p2p_json *j, const struct path *p,
			    const char *workload, uint64_t bs, uint32_t qd,
			    uint64_t slots)
{
	uint64_t rounds = p2p_json_u64(j, "rounds");
	uint64_t ios = p2p_json_u64(j, "ios");
	uint64_t bytes = p2p_json_u64(j, "bytes");
	uint64_t cpu = p2p_json_u64(j, "cpu_bytes");
	uint64_t copies = p->cpu_copies;

	p2p_json_expect_text(j, "path", p->name);
	p2p_json_expect_text(j, "workload", workload);
	p2p_json_expect_u64(j, "block_size", bs);
	p2p_json_expect_u64(j, "queue_depth", qd);
	p2p_json_expect(j, "true", "verified");
	p2p_json_expect(j, p->kernel_path, "kernel_path");
	igt_assert_f(rounds > 0, "no round ran\n");
	igt_assert_eq_u64(ios, rounds * slots);
	igt_assert_eq_u64(bytes, ios * bs);
	/* The copy moves each byte twice: in, then out. */
	if (!strcmp(workload, "copy"))
		copies *= 2;
	igt_assert_eq_u64(cpu, copies * bytes);
	igt_assert_eq_u64(p2p_json_u64(j, "setup_cpu_bytes"),
			  !strcmp(p->name, "migrated") ? REGION : 0);
}

/* Mappings the kernel made during the timed rounds. */
static void check_maps(const struct env *e, const struct p2p_json *j,
		       const struct path *p, uint32_t qd)
{
	uint64_t maps = p2p_json_u64(j, "maps");
	uint64_t want = 0;

	/* The pin kernel maps for each call; elsewhere the first map stays. */
	if (p->dmabuf && strcmp(p->name, "bounce") && !e->m.move_notify)
		want = qd > 1 ? p2p_json_u64(j, "rounds") :
				p2p_json_u64(j, "ios");
	igt_assert_eq_u64(maps, want);
}

static void test_randread(struct env *e, uint32_t qd)
{
	const char *vram = e->m.vram.addr;

	for (size_t i = 0; i < NR_PATHS; i++) {
		struct p2p_json j;

		bench_json(&j, "--workload randread --path %s --provider %s "
			   "--size 4M --queue-depth %u --seconds 0.2 %s",
			   paths[i].name, vram, qd, e->dev[PEER]);
		check_io_report(&j, &paths[i], "randread", 4096, qd,
				RAND_SLOTS);
		check_maps(e, &j, &paths[i], qd);
		p2p_result_fini(&j.flat);
	}
}

/* The pattern of @seed over [0, REGION), as p2pctl fill --help defines it. */
static uint8_t *pattern(uint64_t seed)
{
	uint8_t *p = p2p_xalloc(REGION);

	for (uint64_t x = 0; x < REGION; x++)
		p[x] = p2pctl_pattern_byte(seed, x);
	return p;
}

static void test_write(struct env *e)
{
	const struct p2p_nvme *peer = &e->m.nvme[PEER];
	struct p2p_slice s;

	p2p_slice_save(&s, e->dev[PEER], peer->image, 0, REGION);
	for (size_t i = 0; i < NR_PATHS; i++) {
		uint64_t seed = 0xbe0c0 + i;
		uint8_t *want = pattern(seed);
		struct p2p_json j;

		igt_assert(memcmp(want, s.old, REGION));
		bench_json(&j, "--workload write --path %s --provider %s "
			   "--size 4M --queue-depth %u --seconds 0.2 --seed %" PRIu64
			   " --allow-write %s", paths[i].name, e->m.vram.addr,
			   i % 2 ? 4 : 1, seed, e->dev[PEER]);
		check_io_report(&j, &paths[i], "write", MiB, i % 2 ? 4 : 1, 4);
		p2p_check_file(peer->image, 0, want, REGION,
			       "peer0 after bench --workload write");
		p2p_result_fini(&j.flat);
		free(want);
	}
	p2p_slice_restore(&s);
}

/* Through a regular O_DIRECT write: what the copy must replace. */
static void fill_disk(const char *dev, int c)
{
	uint8_t *buf = p2p_xalloc(REGION);
	int fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);

	igt_assert_f(fd >= 0, "cannot open %s: %m\n", dev);
	memset(buf, c, REGION);
	igt_assert_eq(pwrite(fd, buf, REGION, 0), (ssize_t)REGION);
	igt_assert_eq(fsync(fd), 0);
	close(fd);
	free(buf);
}

static void test_copy(struct env *e)
{
	const struct p2p_nvme *cmb = &e->m.nvme[CMB];
	uint8_t *src = p2p_file_dup(e->m.nvme[PEER].image, 0, REGION), *old;
	struct p2p_slice s;

	p2p_slice_save(&s, e->dev[CMB], cmb->image, 0, REGION);
	for (size_t i = 0; i < NR_PATHS; i++) {
		struct p2p_json j;

		fill_disk(e->dev[CMB], 0xa0 + i);
		old = p2p_file_dup(cmb->image, 0, 4096);
		igt_assert_eq(old[0], 0xa0 + i);
		free(old);
		bench_json(&j, "--workload copy --path %s --provider %s "
			   "--size 4M --queue-depth 8 --seconds 0.2 "
			   "--allow-write %s %s", paths[i].name,
			   e->m.vram.addr, e->dev[PEER], e->dev[CMB]);
		check_io_report(&j, &paths[i], "copy", MiB, 8, 4);
		p2p_check_file(cmb->image, 0, src, REGION,
			       "cmb0 after bench --workload copy from peer0");
		p2p_result_fini(&j.flat);
	}
	p2p_slice_restore(&s);
	free(src);
}

static void test_buffers(struct env *e)
{
	const char *mode = p2p_expected_mode(&e->m.vram, &e->m.nvme[PEER].pci,
					     e->m.host_bridge_p2p) ==
			   DMA_BUF_P2P_MODE_BUS ? "p2p-bus" : "p2p-host-bridge";
	uint64_t segs;
	struct p2p_json j;

	bench_json(&j, "--workload map --provider %s --size 4M --seconds 0.2 %s",
		   e->m.vram.addr, e->dev[PEER]);
	p2p_json_expect(&j, "null", "path");
	p2p_json_expect_text(&j, "workload", "map");
	/* One allocation of 4 MiB is one chunk: one P2P segment. */
	p2p_json_expect_u64(&j, "bar.segments", 1);
	p2p_json_expect_u64(&j, "bar.bus_segments",
			    !strcmp(mode, "p2p-bus") ? 1 : 0);
	p2p_json_expect_text(&j, "bar.mode", mode);
	igt_assert_f(p2p_json_u64(&j, "bar.reps") >= 3, "fewer than 3 maps\n");
	/* System memory: 4 KiB pages, some of them merged; none a bus one. */
	segs = p2p_json_u64(&j, "system.segments");
	igt_assert_f(segs >= 1 && segs <= REGION / 4096,
		     "%" PRIu64 " segments for 4 MiB of pages\n", segs);
	p2p_json_expect_u64(&j, "system.bus_segments", 0);
	igt_assert(p2p_json_double(&j, "bar.us.median") > 0);
	igt_assert(p2p_json_double(&j, "system.us.min") <=
		   p2p_json_double(&j, "system.us.max"));
	p2p_result_fini(&j.flat);

	/* bench checks the bytes survive the moves (exit 1 if not). */
	bench_json(&j, "--workload migrate --provider %s --size 4M --seconds 0.2",
		   e->m.vram.addr);
	p2p_json_expect(&j, "null", "device");
	igt_assert_f(p2p_json_u64(&j, "reps") >= 3, "fewer than 3 moves\n");
	igt_assert(p2p_json_double(&j, "to_system_mb_s.median") > 0);
	igt_assert(p2p_json_double(&j, "to_bar_mb_s.median") > 0);
	igt_assert(p2p_json_double(&j, "memcpy_from_bar_mb_s.median") > 0);
	igt_assert(p2p_json_double(&j, "memcpy_to_bar_mb_s.median") > 0);
	p2p_result_fini(&j.flat);
}

/* A failure: @status, exactly @msg on stderr, nothing on stdout. */
static void expect_fail(const char *args, int status, const char *msg)
{
	struct p2p_result r = { 0 };
	char want[512];

	p2pctl_runf(&r, NULL, "bench %s", args);
	igt_info("bench %s: %d %s", args, r.status, r.err);
	igt_assert_f(r.status == status, "bench %s: exit status %d, "
		     "expected %d; stderr: %s\n", args, r.status, status,
		     r.err);
	snprintf(want, sizeof(want), "p2pctl: bench: %s\n", msg);
	p2p_expect_err(&r, want);
	p2p_result_fini(&r);
}

#define SEE	" (see 'p2pctl bench --help')"

static void test_usage_errors(struct env *e)
{
	const char *peer = e->dev[PEER];
	char args[256], msg[256];

	expect_fail("--path dmabuf /dev/null", 2, "--workload is required" SEE);
	expect_fail("--workload randread /dev/null", 2,
		    "--path is required for randread" SEE);
	expect_fail("--workload fastest --path dmabuf", 2,
		    "unknown workload 'fastest'" SEE);
	expect_fail("--workload read --path gds", 2, "unknown path 'gds'" SEE);
	expect_fail("--workload map --path dmabuf /dev/null", 2,
		    "--path: map measures buffers, not a path" SEE);
	expect_fail("--workload read --path dmabuf /dev/null", 2,
		    "--provider is required for dmabuf" SEE);
	expect_fail("--workload migrate", 2,
		    "--provider is required for migrate" SEE);
	expect_fail("--workload read --path direct", 2,
		    "read takes one DEVICE" SEE);
	expect_fail("--workload copy --path direct /dev/null", 2,
		    "copy takes SRC and DST" SEE);
	expect_fail("--workload migrate --provider 0000:05:00.0 /dev/null", 2,
		    "migrate takes no device" SEE);
	expect_fail("--workload read --path direct --provider 5 /dev/null", 2,
		    "--provider: '5' is not a PCI address (DDDD:BB:DD.F)" SEE);
	expect_fail("--workload write --path direct /dev/null", 2,
		    "write overwrites the first 67108864 bytes of /dev/null: "
		    "add --allow-write" SEE);
	expect_fail("--workload read --path direct --block-size 1000 /dev/null",
		    2, "--block-size must be a multiple of 4K, at most 1G, "
		    "that divides --size" SEE);
	expect_fail("--workload read --path direct --size 0 /dev/null", 2,
		    "--size: bad size '0'" SEE);
	expect_fail("--workload read --path direct --queue-depth 0 /dev/null",
		    2, "--queue-depth: '0' is not 1 to 1024" SEE);
	expect_fail("--workload read --path direct --queue-depth 1025 "
		    "/dev/null", 2, "--queue-depth: '1025' is not 1 to 1024"
		    SEE);
	expect_fail("--workload read --path direct --seconds 0 /dev/null", 2,
		    "--seconds: '0' is not a time over 0 and up to 3600" SEE);
	expect_fail("--workload read --path direct --seed x /dev/null", 2,
		    "bad seed 'x': a number from 0 to 2^64-1" SEE);

	snprintf(args, sizeof(args), "--workload copy --path direct "
		 "--allow-write --dst-offset 60M %s %s", peer, peer);
	expect_fail(args, 2, "SRC and DST are one device and their regions "
		    "overlap: give --dst-offset" SEE);
	expect_fail("--workload read --path direct --dst-offset 64M /dev/null",
		    2, "--dst-offset is for copy" SEE);

	/* Good command lines, bad objects: exit 1 with the errno. */
	expect_fail("--workload read --path direct /nonexistent", 1,
		    "open /nonexistent: No such file or directory (ENOENT)");
	expect_fail("--workload read --path direct /dev/null", 1,
		    "/dev/null: Block device required (ENOTBLK)");
	snprintf(args, sizeof(args), "--workload read --path direct --size 1G %s",
		 peer);
	snprintf(msg, sizeof(msg), "%s has %" PRIu64 " bytes, --size is %llu: "
		 "Numerical result out of range (ERANGE)", peer,
		 (uint64_t)128 * MiB, 1ULL << 30);
	expect_fail(args, 1, msg);
	snprintf(args, sizeof(args), "--workload read --path dmabuf "
		 "--provider %s %s", e->m.nvme[PEER].pci.addr, peer);
	snprintf(msg, sizeof(msg), "alloc 64M on %s (not a P2PDMA provider): "
		 "No such device or address (ENXIO)", e->m.nvme[PEER].pci.addr);
	expect_fail(args, 1, msg);
}

igt_main
{
	struct env e;

	igt_fixture {
		p2p_machine_load(&e.m);
		p2pctl_find();
		for (int i = 0; i < 3; i++) {
			char name[32];

			igt_assert_f(p2p_block_by_serial(e.m.nvme[i].serial,
							 name, sizeof(name)),
				     "no disk with serial %s\n",
				     e.m.nvme[i].serial);
			snprintf(e.dev[i], sizeof(e.dev[i]), "/dev/%s", name);
		}
	}

	igt_describe("4 KiB random reads at queue depth 1 on every path: the "
		     "data of the last round matches the disk read back, the "
		     "CPU copied what the path copies (pread-memcpy and bounce "
		     "one byte per byte, the others none), the dma-buf paths "
		     "map once (each call on the pin kernel).");
	igt_subtest("randread-qd1")
		test_randread(&e, 1);

	igt_describe("The same at queue depth 8: BLKDMABUFRWBATCH and "
		     "io_uring.");
	igt_subtest("randread-qd8")
		test_randread(&e, 8);

	igt_describe("1 MiB writes on every path: afterwards peer0's image "
		     "holds the documented pattern of the seed given; the "
		     "slice is written back.");
	igt_subtest("write-lands-on-disk")
		test_write(&e);

	igt_describe("peer0 -> memory -> cmb0 on every path: cmb0's image "
		     "holds peer0's bytes each time (overwritten in between); "
		     "the CPU copies twice on pread-memcpy and bounce.");
	igt_subtest("copy-lands-on-disk")
		test_copy(&e);

	igt_describe("map: one P2P segment for a 4 MiB BAR buffer (bus "
		     "addresses below the switch), none of the system memory "
		     "segments a bus one; migrate: the moves and memcpys all "
		     "measured, the bytes unchanged.");
	igt_subtest("buffers")
		test_buffers(&e);

	igt_describe("Bad command lines exit 2 with one precise message; a "
		     "missing device, one that is no block device, a region "
		     "past its end and a provider that is not one exit 1 with "
		     "the errno.");
	igt_subtest("usage-errors")
		test_usage_errors(&e);
}
