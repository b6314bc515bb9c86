// SPDX-License-Identifier: MIT
/*
 * p2pctl fill, dump and verify against the ground truth.
 *
 * The test allocates every buffer itself (dma-buf-p2p's ioctl on the VRAM
 * stand-in, udmabuf, the system heap, vgem), leaves its fd without
 * FD_CLOEXEC and runs p2pctl with that fd number, so p2pctl inherits it
 * (or, for --pid/--fd, a child of the test holds it).  A model of what the
 * buffer should hold, kept by the test, is compared with the buffer through
 * the test's own mmap and, for VRAM buffers, with the host's file behind the
 * BAR at the offsets DMA_BUF_P2P_IOC_QUERY reports (shared with the guest
 * over 9p, see p2p_exporter.c).
 *
 * The pattern is the one p2pctl fill --help documents, written out again
 * below from that text and checked against SplitMix64's published
 * reference outputs: the test never links p2pctl's code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl fill, dump and verify write and read the "
		     "bytes that are really in the buffer, on dma-buf-p2p's "
		     "buffers and other exporters', and fail as documented.");

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* p2pctl ARGS (split at spaces), its stdout captured: the exit status. */
#define run(res, ...) p2pctl_runf(res, NULL, __VA_ARGS__)

/* p2pctl succeeded and said nothing on stderr. */
#define run_ok(res, ...) do { \
	igt_assert_eq(run(res, __VA_ARGS__), 0); \
	igt_assert_f(!(res)->err[0], "stderr: %s\n", (res)->err); \
} while (0)

static void expect_stderr(const struct p2p_result *res, const char *want)
{
	igt_assert_f(strstr(res->err, want), "stderr lacks '%s': %s\n", want,
		     res->err);
}

/* Failed with @status, printed nothing, and said @want (and @want2). */
static void expect_fail(const struct p2p_result *res, int status,
			const char *want,
			const char *want2)
{
	igt_assert_f(res->status == status, "exit %d, expected %d; stderr: %s\n",
		     res->status, status, res->err);
	igt_assert_f(!res->out_len, "stdout on failure: %s\n", res->out);
	expect_stderr(res, want);
	if (want2)
		expect_stderr(res, want2);
	/* One line, naming the command. */
	igt_assert_f(!strncmp(res->err, "p2pctl: ", 8) &&
		     strchr(res->err, '\n') == res->err + strlen(res->err) - 1,
		     "not one 'p2pctl: ' line: %s\n", res->err);
}

static void expect_stdout(const struct p2p_result *res, const char *want)
{
	igt_assert_f(strstr(res->out, want), "stdout lacks '%s': %s\n", want,
		     res->out);
}

/* A buffer, its mapping in the test and what it should hold. */
struct buf {
	const char *what;
	int fd;
	size_t size;
	uint8_t *map;
	uint8_t *model;
	bool vram;	/* dma-buf-p2p's: its chunks are in the VRAM file */
	int memfd;	/* udmabuf: the memfd whose pages it is, or -1 */
	uint8_t *alt;	/* another mapping of the same pages, or NULL */
};

/* Lets p2pctl inherit @fd across exec. */
static void inheritable(int fd)
{
	igt_assert_eq(fcntl(fd, F_SETFD, 0), 0);
}

/* Sets up @b around @fd: mapped, inheritable, modelled as zeros. */
static void buf_init(struct buf *b, const char *what, int fd, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->what = what;
	b->fd = fd;
	b->size = size;
	b->memfd = -1;
	b->model = calloc(1, size);
	igt_assert(b->model);
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	igt_assert_f(b->map != MAP_FAILED, "mmap of %s: %m\n", what);
	inheritable(fd);
}

static void buf_fini(struct buf *b)
{
	munmap(b->map, b->size);
	free(b->model);
	close(b->fd);
	if (b->memfd >= 0)
		close(b->memfd);
}

static void vram_buf(struct buf *b, int dev, const struct p2p_machine *m,
		     size_t size)
{
	/* No O_CLOEXEC: p2pctl inherits it. */
	buf_init(b, "VRAM buffer", p2p_alloc(dev, &m->vram, size, O_RDWR),
		 size);
	b->vram = true;
	/* New buffers come cleared. */
	for (size_t i = 0; i < size; i++)
		igt_assert_f(!b->map[i], "byte %zu of a new buffer\n", i);
}

/* The pattern of @seed over [off, off + len) of the model. */
static void model_pattern(struct buf *b, uint64_t seed, size_t off, size_t len)
{
	for (size_t x = off; x < off + len; x++)
		b->model[x] = p2pctl_pattern_byte(seed, x);
}

/* The test's own write through its mapping, in a CPU access. */
static void poke(struct buf *b, size_t off, const void *data, size_t len)
{
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(b->map + off, data, len);
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	memcpy(b->model + off, data, len);
}

static void compare(const uint8_t *got, const uint8_t *want, size_t len,
		    const char *what, const char *where)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s, %s", what, where);
	p2p_check_bytes(got, want, len, msg);
}

/* The bytes at the buffer's chunks in the host file behind the BAR. */
static void check_vram_file(const struct p2p_machine *m, int dev,
			    const struct buf *b)
{
	struct p2p_query q;
	uint8_t *got;

	p2p_query(dev, b->fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.size, b->size);
	got = p2p_vram_dup(m, &q, b->size);
	compare(got, b->model, b->size, b->what, "host VRAM file");
	free(got);
}

/* The buffer holds what the model says, wherever the test can look. */
static void check_buf(const struct p2p_machine *m, int dev, const struct buf *b)
{
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	compare(b->map, b->model, b->size, b->what, "the test's mmap");
	p2p_cpu_access(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	if (b->vram)
		check_vram_file(m, dev, b);
	if (b->alt)
		compare(b->alt, b->model, b->size, b->what,
			"the exporter's own mapping");
	if (b->memfd >= 0) {
		uint8_t *got = malloc(b->size);

		igt_assert(got);
		igt_assert_eq(pread(b->memfd, got, b->size, 0),
			      (ssize_t)b->size);
		compare(got, b->model, b->size, b->what, "the udmabuf's memfd");
		free(got);
	}
}

static void test_reference_values(const struct p2p_machine *m, int dev)
{
	/* SplitMix64's published outputs for seed 1234567 (Rosetta Code). */
	static const uint64_t ref[] = {
		6457827717110365317ull, 3203168211198807973ull,
		9817491932198370423ull, 4593380528125082431ull,
		16408922859458223821ull,
	};
	struct p2p_result res = { };
	struct buf b;

	/* The test's own rendering of the documented function first. */
	for (unsigned int i = 0; i < 5; i++)
		igt_assert_eq_u64(p2pctl_pattern_word(1234567, i), ref[i]);
	igt_assert_eq_u64(p2pctl_pattern_word(0, 0), 0xe220a8397b1dcdafull);

	vram_buf(&b, dev, m, 64 * KiB);
	run_ok(&res, "fill %d --seed 1234567", b.fd);
	igt_assert_f(!res.out_len, "fill printed: %s\n", res.out);
	p2p_cpu_access(b.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (unsigned int i = 0; i < 5; i++)
		for (unsigned int j = 0; j < 8; j++)
			igt_assert_eq_u32(b.map[8 * i + j],
					  (uint8_t)(ref[i] >> (8 * j)));
	p2p_cpu_access(b.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	model_pattern(&b, 1234567, 0, b.size);
	check_buf(m, dev, &b);

	/* Seed 0 starts with 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4. */
	run_ok(&res, "fill %d --seed 0 --length 16", b.fd);
	run_ok(&res, "dump %d --length 16", b.fd);
	igt_assert_f(!strcmp(res.out,
			     "00000000  af cd 1d 7b 39 a8 20 e2  f4 65 b9 a1 6a 9e 78 6e  |...{9. ..e..j.xn|\n"
			     "00000010\n"), "dump: %s\n", res.out);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_fill_vram(const struct p2p_machine *m, int dev)
{
	struct p2p_result res = { };
	struct buf b;

	vram_buf(&b, dev, m, 4 * MiB);
	run_ok(&res, "fill %d --seed 0x5eed", b.fd);
	model_pattern(&b, 0x5eed, 0, b.size);
	check_buf(m, dev, &b);

	/* Another seed, decimal, all 64 bits: every byte is rewritten. */
	run_ok(&res, "fill %d --seed 18446744073709551615", b.fd);
	model_pattern(&b, UINT64_MAX, 0, b.size);
	check_buf(m, dev, &b);

	run_ok(&res, "fill %d --zero", b.fd);
	memset(b.model, 0, b.size);
	check_buf(m, dev, &b);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_fill_sub_range(const struct p2p_machine *m, int dev)
{
	struct p2p_result res = { };
	struct buf b;

	vram_buf(&b, dev, m, 1 * MiB);
	run_ok(&res, "fill %d --seed 0xa", b.fd);
	model_pattern(&b, 0xa, 0, b.size);

	/* Unaligned at both ends: bytes depend on their buffer offset. */
	run_ok(&res, "fill %d --offset 4097 --length 10003 --seed 0xb", b.fd);
	model_pattern(&b, 0xb, 4097, 10003);
	check_buf(m, dev, &b);

	/* Suffixes and hex; a range inside one word; the very last byte. */
	run_ok(&res, "fill %d --offset 64K --length 0x1000 --seed 0xc", b.fd);
	model_pattern(&b, 0xc, 64 * KiB, 0x1000);
	run_ok(&res, "fill %d --offset 0x8003 --length 3 --zero", b.fd);
	memset(b.model + 0x8003, 0, 3);
	/* Up to the end when --length is left out. */
	run_ok(&res, "fill %d --offset 768K --seed 0xe", b.fd);
	model_pattern(&b, 0xe, 768 * KiB, 256 * KiB);
	run_ok(&res, "fill %d --offset 0xfffff --seed 0xd", b.fd);
	model_pattern(&b, 0xd, 0xfffff, 1);
	check_buf(m, dev, &b);

	/* Each range checks on its own; the whole does not. */
	run_ok(&res, "verify %d --offset 4097 --length 10003 --seed 0xb", b.fd);
	run_ok(&res, "verify %d --offset 0x8000 --length 3 --seed 0xa", b.fd);
	run_ok(&res, "verify %d --offset 0x8003 --length 3 --zero", b.fd);
	run_ok(&res, "verify %d --offset 768K --length 0x3ffff --seed 0xe",
	       b.fd);
	run_ok(&res, "verify %d --offset 0xfffff --seed 0xd", b.fd);
	igt_assert_eq(run(&res, "verify %d --offset 768K --seed 0xe", b.fd), 1);
	igt_assert_eq(run(&res, "verify %d --seed 0xa", b.fd), 1);
	p2p_result_fini(&res);
	buf_fini(&b);
}

/* verify failed, reporting @first with the model's byte as the actual one. */
static void expect_mismatch(const struct p2p_result *res, const struct buf *b,
			    uint64_t off, uint64_t len, uint8_t want_first,
			    uint64_t first, uint64_t count, const char *source)
{
	char line[256];

	igt_assert_f(res->status == 1, "verify exited %d\n", res->status);
	igt_assert_f(!res->err[0], "stderr: %s\n", res->err);
	snprintf(line, sizeof(line),
		 "MISMATCH: %" PRIu64 " of %" PRIu64 " bytes of fd %d from offset 0x%" PRIx64 " differ from %s\n",
		 count, len, b->fd, off, source);
	igt_assert_f(!strncmp(res->out, line, strlen(line)),
		     "expected '%s', got: %s\n", line, res->out);
	snprintf(line, sizeof(line),
		 "first at offset 0x%" PRIx64 ": expected 0x%02x, actual 0x%02x\n",
		 first, want_first, b->model[first]);
	expect_stdout(res, line);
	snprintf(line, sizeof(line), "actual   at 0x%" PRIx64 ": %02x", first,
		 b->model[first]);
	expect_stdout(res, line);
}

/* The first byte of [off, off + len) where the model is not @seed's. */
static uint64_t first_diff(const struct buf *b, uint64_t seed, uint64_t off,
			   uint64_t len, uint64_t *count)
{
	uint64_t first = UINT64_MAX;

	*count = 0;
	for (uint64_t x = off; x < off + len; x++) {
		if (b->model[x] == p2pctl_pattern_byte(seed, x))
			continue;
		if (first == UINT64_MAX)
			first = x;
		(*count)++;
	}
	return first;
}

static void test_verify_seed(const struct p2p_machine *m, int dev)
{
	const uint64_t bad = 0x12345;
	struct p2p_result res = { };
	uint64_t first, count;
	char want[160];
	uint8_t byte;
	struct buf b;

	vram_buf(&b, dev, m, 1 * MiB);
	run_ok(&res, "verify %d --zero", b.fd);
	snprintf(want, sizeof(want),
		 "OK: 1048576 bytes of fd %d from offset 0x0 are zeros\n", b.fd);
	igt_assert_f(!strcmp(res.out, want), "got: %s\n", res.out);

	run_ok(&res, "fill %d --seed 0x77", b.fd);
	model_pattern(&b, 0x77, 0, b.size);
	run_ok(&res, "verify %d --seed 0x77", b.fd);
	snprintf(want, sizeof(want),
		 "OK: 1048576 bytes of fd %d from offset 0x0 match seed 0x77\n",
		 b.fd);
	igt_assert_f(!strcmp(res.out, want), "got: %s\n", res.out);

	/* The wrong seed: most bytes differ, the test counts them. */
	run(&res, "verify %d --seed 0x78", b.fd);
	first = first_diff(&b, 0x78, 0, b.size, &count);
	expect_mismatch(&res, &b, 0, b.size, p2pctl_pattern_byte(0x78, first), first,
			count, "seed 0x78");
	run(&res, "verify %d --zero", b.fd);
	first = UINT64_MAX;
	count = 0;
	for (uint64_t x = 0; x < b.size; x++) {
		if (!b.model[x])
			continue;
		if (first == UINT64_MAX)
			first = x;
		count++;
	}
	expect_mismatch(&res, &b, 0, b.size, 0, first, count, "zeros");
	check_buf(m, dev, &b);

	/* One byte corrupted by the test: found, and only it. */
	byte = b.model[bad] ^ 0x5a;
	poke(&b, bad, &byte, 1);
	run(&res, "verify %d --seed 0x77", b.fd);
	expect_mismatch(&res, &b, 0, b.size, p2pctl_pattern_byte(0x77, bad), bad, 1,
			"seed 0x77");

	/* Ranges that end right before it or start right after it pass. */
	run_ok(&res, "verify %d --offset 0x12000 --length 0x345 --seed 0x77",
	       b.fd);
	expect_stdout(&res, "OK: 837 bytes of");
	run_ok(&res, "verify %d --offset 0x12346 --seed 0x77", b.fd);
	run(&res, "verify %d --offset 0x12000 --length 0x346 --seed 0x77",
	    b.fd);
	expect_mismatch(&res, &b, 0x12000, 0x346, p2pctl_pattern_byte(0x77, bad), bad,
			1, "seed 0x77");
	p2p_result_fini(&res);
	buf_fini(&b);
}

static int tmp_file(char *path)
{
	int fd;

	strcpy(path, "/tmp/p2pctl-fill-XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	igt_assert_fd(fd);
	return fd;
}

static void write_all(int fd, const void *buf, size_t len, off_t off)
{
	igt_assert_eq(pwrite(fd, buf, len, off), (ssize_t)len);
}

static void test_verify_file(const struct p2p_machine *m, int dev)
{
	const size_t junk = 100;
	struct p2p_result res = { };
	char path[64];
	uint8_t byte;
	struct buf b;
	int file;

	vram_buf(&b, dev, m, 256 * KiB);
	/* The test's own pattern, written through its own mapping. */
	for (size_t i = 0; i < b.size; i++)
		b.model[i] = i * 7 + (i >> 9);
	poke(&b, 0, b.model, b.size);
	file = tmp_file(path);
	byte = 0xee;
	for (size_t i = 0; i < junk; i++)
		write_all(file, &byte, 1, i);
	write_all(file, b.model, b.size, junk);

	run_ok(&res, "verify %d --file %s --file-offset %zu", b.fd, path, junk);
	expect_stdout(&res, "OK: 262144 bytes of");
	expect_stdout(&res, "match");
	run_ok(&res, "verify %d --offset 0x1000 --length 0x2000 --file %s "
	       "--file-offset %zu", b.fd, path, junk + 0x1000);

	/* The file's bytes at the wrong place: the first difference. */
	run(&res, "verify %d --file %s --length 0x1000", b.fd, path);
	igt_assert_eq(res.status, 1);
	{
		char want[160];

		snprintf(want, sizeof(want),
			 "first at offset 0x0: expected 0xee, actual 0x%02x\n",
			 b.model[0]);
		expect_stdout(&res, want);
	}

	/* One byte of the file changed: found at its buffer offset. */
	byte = b.model[0x3039] ^ 1;
	write_all(file, &byte, 1, junk + 0x3039);
	run(&res, "verify %d --file %s --file-offset %zu", b.fd, path, junk);
	{
		char want[160];

		snprintf(want, sizeof(want),
			 "MISMATCH: 1 of 262144 bytes of fd %d from offset 0x0 differ from %s from offset 0x64\n"
			 "first at offset 0x3039: expected 0x%02x, actual 0x%02x\n",
			 b.fd, path, byte, b.model[0x3039]);
		igt_assert_f(!strncmp(res.out, want, strlen(want)),
			     "expected %s, got %s\n", want, res.out);
	}

	/* Too short a file, a missing one, a directory. */
	run(&res, "verify %d --file %s --file-offset 101", b.fd, path);
	expect_fail(&res, 1, "too short", "(ERANGE)");
	run(&res, "verify %d --file /nonexistent/p2pctl", b.fd);
	expect_fail(&res, 1, "p2pctl: verify: open /nonexistent/p2pctl: ",
		    "(ENOENT)");
	close(file);
	unlink(path);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_dump(const struct p2p_machine *m, int dev)
{
	static const char hello[] = "Hello, P2P!";
	struct p2p_result res = { };
	struct buf b;

	vram_buf(&b, dev, m, 8 * KiB);
	poke(&b, 0x20, hello, strlen(hello));

	run_ok(&res, "dump %d --length 0x100", b.fd);
	igt_assert_f(!strcmp(res.out,
		"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00000020  48 65 6c 6c 6f 2c 20 50  32 50 21 00 00 00 00 00  |Hello, P2P!.....|\n"
		"00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00000100\n"), "dump: %s\n", res.out);

	/* Unaligned start, a short last line. */
	run_ok(&res, "dump %d --offset 0x25 --length 0x13", b.fd);
	igt_assert_f(!strcmp(res.out,
		"00000025  2c 20 50 32 50 21 00 00  00 00 00 00 00 00 00 00  |, P2P!..........|\n"
		"00000035  00 00 00                                          |...|\n"
		"00000038\n"), "dump: %s\n", res.out);

	/* The whole buffer: its last lines collapse up to the end. */
	run_ok(&res, "dump %d", b.fd);
	igt_assert_f(!strcmp(res.out,
		"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00000020  48 65 6c 6c 6f 2c 20 50  32 50 21 00 00 00 00 00  |Hello, P2P!.....|\n"
		"00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00002000\n"), "dump: %s\n", res.out);

	/* A line like the one above it but for one byte is printed. */
	poke(&b, 0x1ffe, "~", 1);
	run_ok(&res, "dump %d --offset 0x1fc0", b.fd);
	igt_assert_f(!strcmp(res.out,
		"00001fc0  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
		"*\n"
		"00001ff0  00 00 00 00 00 00 00 00  00 00 00 00 00 00 7e 00  |..............~.|\n"
		"00002000\n"), "dump: %s\n", res.out);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_dump_raw(const struct p2p_machine *m, int dev)
{
	struct p2p_result res = { };
	struct buf b;

	vram_buf(&b, dev, m, 1 * MiB);
	run_ok(&res, "fill %d --seed 0x4a4a", b.fd);
	model_pattern(&b, 0x4a4a, 0, b.size);
	/* The last byte, set by the test: raw is the buffer, not the pattern. */
	poke(&b, b.size - 1, "\x01", 1);

	run_ok(&res, "dump %d --raw", b.fd);
	igt_assert_eq_u64(res.out_len, b.size);
	compare((uint8_t *)res.out, b.model, b.size, b.what, "dump --raw");

	run_ok(&res, "dump %d --raw --offset 0x3003 --length 0x10001", b.fd);
	igt_assert_eq_u64(res.out_len, 0x10001);
	compare((uint8_t *)res.out, b.model + 0x3003, 0x10001, b.what,
		"dump --raw of a range");
	check_buf(m, dev, &b);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_dump_raw_tty(const struct p2p_machine *m, int dev)
{
	struct p2p_spawn to_tty = P2P_SPAWN_DEFAULT;
	struct p2p_result res = { };
	struct pollfd pfd;
	int master, slave;
	struct buf b;

	p2p_pty_open(&master, &slave);
	to_tty.stdout_fd = slave;

	vram_buf(&b, dev, m, 64 * KiB);
	p2pctl_runf(&res, &to_tty, "dump %d --raw", b.fd);
	expect_fail(&res, 2, "p2pctl: dump: --raw writes binary: redirect stdout",
		    "(see 'p2pctl dump --help')");
	pfd = (struct pollfd){ .fd = master, .events = POLLIN };
	igt_assert_eq(poll(&pfd, 1, 100), 0);

	/* The hexdump is fine on a terminal. */
	igt_assert_eq(p2pctl_runf(&res, &to_tty, "dump %d --length 16", b.fd),
		      0);
	igt_assert_eq(poll(&pfd, 1, 1000), 1);

	close(slave);
	close(master);
	p2p_result_fini(&res);
	buf_fini(&b);
}

static void test_pid_fd(const struct p2p_machine *m, int dev)
{
	const int target = 77;
	struct p2p_result res = { };
	int ready[2], status;
	pid_t child, gone;
	char c, want[64];
	struct buf b;

	vram_buf(&b, dev, m, 64 * KiB);
	/* Not p2pctl's: only the child has the buffer, at fd 77. */
	igt_assert_eq(fcntl(b.fd, F_SETFD, FD_CLOEXEC), 0);
	igt_assert(fcntl(target, F_GETFD) < 0);
	igt_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	child = fork();
	igt_assert(child >= 0);
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(b.fd, target) != target || write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	igt_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);

	run_ok(&res, "fill --pid %d --fd %d --offset 0x1000 --length 0x3000 --seed 9",
	       child, target);
	model_pattern(&b, 9, 0x1000, 0x3000);
	check_buf(m, dev, &b);
	run_ok(&res, "verify --pid %d --fd %d --offset 0x1000 --length 0x3000 --seed 9",
	       child, target);
	snprintf(want, sizeof(want), "of fd %d of process %d from offset 0x1000",
		 target, child);
	expect_stdout(&res, want);
	run_ok(&res, "dump --pid %d --fd %d --length 16", child, target);
	expect_stdout(&res, "00000000  00 00 00");
	run_ok(&res, "dump --raw --pid %d --fd %d --offset 0x1000 --length 0x3000",
	       child, target);
	compare((uint8_t *)res.out, b.model + 0x1000, 0x3000, b.what,
		"dump --raw --pid");

	/* An fd the child does not have; a process that is gone. */
	run(&res, "verify --pid %d --fd %d --zero", child, target + 1);
	snprintf(want, sizeof(want), "p2pctl: verify: fd %d of process %d: ",
		 target + 1, child);
	expect_fail(&res, 1, want, "(EBADF)");
	gone = fork();
	igt_assert(gone >= 0);
	if (!gone)
		_exit(0);
	igt_assert_eq(waitpid(gone, &status, 0), gone);
	run(&res, "fill --pid %d --fd %d --zero", gone, target);
	snprintf(want, sizeof(want), "p2pctl: fill: process %d: ", gone);
	expect_fail(&res, 1, want, "(ESRCH)");

	kill(child, SIGKILL);
	igt_assert_eq(waitpid(child, &status, 0), child);
	p2p_result_fini(&res);
	buf_fini(&b);
}

/* fill, verify and dump --raw on another exporter's buffer. */
static void exercise(const struct p2p_machine *m, int dev, struct buf *b)
{
	struct p2p_result res = { };
	uint64_t first, count;

	run_ok(&res, "fill %d --seed 0x1234", b->fd);
	model_pattern(b, 0x1234, 0, b->size);
	check_buf(m, dev, b);
	run_ok(&res, "fill %d --offset 0x1001 --length 0x2fff --zero", b->fd);
	memset(b->model + 0x1001, 0, 0x2fff);
	run_ok(&res, "fill %d --offset 0x20003 --length 77 --seed 0x99", b->fd);
	model_pattern(b, 0x99, 0x20003, 77);
	check_buf(m, dev, b);

	run_ok(&res, "verify %d --offset 0x1001 --length 0x2fff --zero", b->fd);
	run_ok(&res, "verify %d --offset 0x20003 --length 77 --seed 0x99",
	       b->fd);
	run_ok(&res, "verify %d --offset 0x4000 --length 0x1c003 --seed 0x1234",
	       b->fd);
	run(&res, "verify %d --seed 0x1234", b->fd);
	first = first_diff(b, 0x1234, 0, b->size, &count);
	expect_mismatch(&res, b, 0, b->size, p2pctl_pattern_byte(0x1234, first), first,
			count, "seed 0x1234");
	run_ok(&res, "dump %d --raw", b->fd);
	igt_assert_eq_u64(res.out_len, b->size);
	compare((uint8_t *)res.out, b->model, b->size, b->what, "dump --raw");
	p2p_result_fini(&res);
}

static void test_udmabuf(const struct p2p_machine *m, int dev)
{
	struct udmabuf_create c = { .size = 1 * MiB };	/* no CLOEXEC */
	int udev, memfd, fd;
	struct buf b;

	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	igt_require_f(udev >= 0, "no /dev/udmabuf: %m\n");
	memfd = memfd_create("p2pctl_fill", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	igt_assert_fd(memfd);
	igt_assert_eq(ftruncate(memfd, c.size), 0);
	igt_assert_eq(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	c.memfd = memfd;
	fd = ioctl(udev, UDMABUF_CREATE, &c);
	igt_assert_f(fd >= 0, "UDMABUF_CREATE: %m\n");
	close(udev);
	buf_init(&b, "udmabuf", fd, c.size);
	b.memfd = memfd;
	exercise(m, dev, &b);
	buf_fini(&b);
}

static void test_system_heap(const struct p2p_machine *m, int dev)
{
	struct dma_heap_allocation_data a = {
		.len = 1 * MiB,
		.fd_flags = O_RDWR,
	};
	struct buf b;
	int heap;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	igt_require_f(heap >= 0, "no /dev/dma_heap/system: %m\n");
	do_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a);
	close(heap);
	buf_init(&b, "system heap buffer", a.fd, a.len);
	exercise(m, dev, &b);
	buf_fini(&b);
}

static void test_vgem(const struct p2p_machine *m, int dev)
{
	struct drm_mode_create_dumb c = { .width = 256, .height = 1024,
					  .bpp = 32 };
	struct drm_mode_map_dumb md = { };
	struct buf b;
	int vgem, fd;

	vgem = drm_open_driver(DRIVER_VGEM);
	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	igt_assert_eq(drmPrimeHandleToFD(vgem, c.handle, DRM_RDWR, &fd), 0);
	buf_init(&b, "vgem buffer", fd, c.size);
	/* vgem's own mapping of the object, through the DRM fd. */
	md.handle = c.handle;
	do_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &md);
	b.alt = mmap(NULL, c.size, PROT_READ, MAP_SHARED, vgem, md.offset);
	igt_assert(b.alt != MAP_FAILED);
	exercise(m, dev, &b);
	munmap(b.alt, c.size);
	buf_fini(&b);
	igt_assert_eq(drmCloseBufferHandle(vgem, c.handle), 0);
	close(vgem);
}

static void test_errors(const struct p2p_machine *m, int dev)
{
	struct dma_buf_p2p_alloc a = {
		.provider = m->vram.id,
		.size = 4096,
		.fd_flags = O_RDONLY,
	};
	struct p2p_result res = { };
	char want[256];
	int memfd, pipes[2], nfd;
	struct buf b;

	vram_buf(&b, dev, m, 8 * KiB);

	/* Bad command lines: 2, before the buffer is looked at. */
	run(&res, "fill %d --seed xyz", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: bad seed 'xyz'", "--help");
	run(&res, "fill %d --seed -1", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: bad seed '-1'", NULL);
	run(&res, "verify %d --seed 18446744073709551616", b.fd);
	expect_fail(&res, 2, "p2pctl: verify: bad seed '18446744073709551616'",
		    NULL);
	run(&res, "fill %d", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: what to write: --seed S or --zero",
		    NULL);
	run(&res, "fill %d --seed 1 --zero", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: --seed or --zero, not both", NULL);
	run(&res, "verify %d", b.fd);
	expect_fail(&res, 2, "p2pctl: verify: what to expect", NULL);
	run(&res, "verify %d --seed 1 --zero", b.fd);
	expect_fail(&res, 2, "p2pctl: verify: one of --seed, --zero and --file",
		    NULL);
	run(&res, "verify %d --zero --file-offset 4", b.fd);
	expect_fail(&res, 2, "p2pctl: verify: --file-offset goes with --file",
		    NULL);
	run(&res, "fill %d --length 0 --seed 1", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: --length 0: nothing to do", NULL);
	run(&res, "fill %d --offset 12Q --seed 1", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: bad --offset '12Q'", NULL);
	run(&res, "dump %d --length 99999999999999999999", b.fd);
	expect_fail(&res, 2, "p2pctl: dump: bad --length", NULL);
	run(&res, "dump %d --bogus", b.fd);
	igt_assert_eq(res.status, 2);
	expect_stderr(&res, "p2pctl: dump: bad option");
	run(&res, "fill --seed 1");
	expect_fail(&res, 2, "p2pctl: fill: no buffer: give FD or --pid PID --fd N",
		    NULL);
	run(&res, "fill %d %d --seed 1", b.fd, b.fd);
	expect_fail(&res, 2, "p2pctl: fill: unexpected argument", NULL);
	run(&res, "fill abc --seed 1");
	expect_fail(&res, 2, "p2pctl: fill: 'abc' is not a file descriptor number",
		    NULL);
	run(&res, "fill --pid 1 --seed 1");
	expect_fail(&res, 2, "p2pctl: fill: --pid and --fd go together", NULL);
	run(&res, "dump %d --pid 1 --fd 3", b.fd);
	expect_fail(&res, 2, "p2pctl: dump: give FD or --pid PID --fd N, not both",
		    NULL);
	run(&res, "dump --pid 0 --fd 3");
	expect_fail(&res, 2, "p2pctl: dump: '0' is not a process id", NULL);

	/* The range against the buffer's size: 1, ERANGE. */
	run(&res, "fill %d --offset 0x2000 --seed 1", b.fd);
	snprintf(want, sizeof(want),
		 "p2pctl: fill: fd %d: offset 0x2000 is past the end of the buffer (0x2000 bytes): Numerical result out of range (ERANGE)\n",
		 b.fd);
	expect_fail(&res, 1, want, NULL);
	run(&res, "fill %d --offset 0x1000 --length 0x1001 --seed 1", b.fd);
	snprintf(want, sizeof(want),
		 "p2pctl: fill: fd %d: offset 0x1000 + length 0x1001 is past the end of the buffer (0x2000 bytes): ",
		 b.fd);
	expect_fail(&res, 1, want, "(ERANGE)");
	run(&res, "verify %d --length 8K1 --zero", b.fd);
	igt_assert_eq(res.status, 2);
	run(&res, "verify %d --length 0x2001 --zero", b.fd);
	expect_fail(&res, 1, "is past the end of the buffer", "(ERANGE)");
	run(&res, "dump %d --offset 0xffffffffffffff00 --length 0x200", b.fd);
	snprintf(want, sizeof(want),
		 "p2pctl: dump: fd %d: offset 0xffffffffffffff00 + length 0x200 overflows: ",
		 b.fd);
	expect_fail(&res, 1, want, "(ERANGE)");
	run(&res, "fill %d --offset 16E --seed 1", b.fd);
	expect_fail(&res, 2, "p2pctl: fill: bad --offset '16E'", NULL);

	/* No such fd; not a dma-buf. */
	nfd = p2p_closed_fd();
	run(&res, "fill %d --seed 1", nfd);
	snprintf(want, sizeof(want),
		 "p2pctl: fill: fd %d: Bad file descriptor (EBADF)\n", nfd);
	expect_fail(&res, 1, want, NULL);
	memfd = memfd_create("not-a-dma-buf", 0);
	igt_assert_fd(memfd);
	igt_assert_eq(ftruncate(memfd, 8192), 0);
	run(&res, "fill %d --seed 1", memfd);
	snprintf(want, sizeof(want),
		 "p2pctl: fill: fd %d is not a dma-buf but a regular file: Invalid argument (EINVAL)\n",
		 memfd);
	expect_fail(&res, 1, want, NULL);
	close(memfd);
	igt_assert_eq(pipe(pipes), 0);
	run(&res, "verify %d --zero", pipes[0]);
	snprintf(want, sizeof(want),
		 "p2pctl: verify: fd %d is not a dma-buf but a pipe: ", pipes[0]);
	expect_fail(&res, 1, want, "(EINVAL)");
	close(pipes[0]);
	close(pipes[1]);

	/* A read-only buffer cannot be filled, but can be read. */
	do_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a);
	run(&res, "fill %d --zero", a.fd);
	snprintf(want, sizeof(want),
		 "p2pctl: fill: fd %d is read-only (opened O_RDONLY): Permission denied (EACCES)\n",
		 a.fd);
	expect_fail(&res, 1, want, NULL);
	run_ok(&res, "verify %d --zero", a.fd);
	run_ok(&res, "dump %d", a.fd);
	close(a.fd);

	/* Help: 0, on stdout, with the pattern and the exit codes. */
	run_ok(&res, "fill --help");
	expect_stdout(&res, "usage: p2pctl fill");
	expect_stdout(&res, "SplitMix64(S + (X / 8 + 1) * 0x9e3779b97f4a7c15)");
	expect_stdout(&res, "Exit status");
	expect_stdout(&res, "Examples:");
	run_ok(&res, "dump --help");
	expect_stdout(&res, "usage: p2pctl dump");
	expect_stdout(&res, "Exit status");
	run_ok(&res, "verify --help");
	expect_stdout(&res, "usage: p2pctl verify");
	expect_stdout(&res, "SplitMix64");
	expect_stdout(&res, "Exit status");

	/* Nothing above touched the buffer. */
	check_buf(m, dev, &b);
	p2p_result_fini(&res);
	buf_fini(&b);
}

igt_main
{
	struct p2p_machine m;
	int dev = -1;

	igt_fixture {
		p2p_machine_load(&m);
		p2pctl_find();
		dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
		igt_assert_f(dev >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
	}

	igt_describe("fill writes SplitMix64's published reference outputs "
		     "for seed 1234567 and 0, as the test's own rendering of "
		     "the documented pattern computes them.");
	igt_subtest("pattern-reference-values")
		test_reference_values(&m, dev);

	igt_describe("fill --seed and --zero on a whole VRAM buffer: its mmap "
		     "and the host file behind the BAR hold the pattern.");
	igt_subtest("fill-vram")
		test_fill_vram(&m, dev);

	igt_describe("Unaligned sub-ranges get the bytes of their buffer "
		     "offsets and nothing outside them changes; each range "
		     "verifies on its own.");
	igt_subtest("fill-sub-range")
		test_fill_sub_range(&m, dev);

	igt_describe("verify passes the right seed and zeros, and on a wrong "
		     "seed or a byte the test corrupted exits 1 with the first "
		     "mismatching offset, both bytes and the count.");
	igt_subtest("verify-seed")
		test_verify_seed(&m, dev);

	igt_describe("verify --file [--file-offset] compares with a file's "
		     "bytes, finds a changed one, and refuses a short file.");
	igt_subtest("verify-file")
		test_verify_file(&m, dev);

	igt_describe("dump prints hexdump -C's format with '*' for repeated "
		     "lines, buffer offsets and a short last line.");
	igt_subtest("dump-hexdump")
		test_dump(&m, dev);

	igt_describe("dump --raw writes exactly the range's bytes.");
	igt_subtest("dump-raw")
		test_dump_raw(&m, dev);

	igt_describe("dump --raw refuses a terminal on stdout with status 2 "
		     "and writes nothing to it.");
	igt_subtest("dump-raw-refuses-tty")
		test_dump_raw_tty(&m, dev);

	igt_describe("--pid/--fd reach a buffer only another process holds; "
		     "a missing fd or process fails with its errno.");
	igt_subtest("pid-fd")
		test_pid_fd(&m, dev);

	igt_describe("fill, verify and dump work on other exporters' "
		     "mappable dma-bufs, checked through the exporter's own "
		     "view of the memory.");
	igt_subtest_with_dynamic("other-exporters") {
		igt_dynamic_f("udmabuf")
			test_udmabuf(&m, dev);
		igt_dynamic_f("system-heap")
			test_system_heap(&m, dev);
		igt_dynamic_f("vgem")
			test_vgem(&m, dev);
	}

	igt_describe("Every error exits with its documented status and one "
		     "message naming the command, the object and the errno, "
		     "and leaves the buffer alone.");
	igt_subtest("errors")
		test_errors(&m, dev);

	igt_fixture
		close(dev);
}
