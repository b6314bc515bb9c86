// SPDX-License-Identifier: MIT
/*
 * p2pctl alloc and p2pctl connect against the ground truth: the buffer the
 * kernel reports (DMA_BUF_P2P_IOC_QUERY, issued by this test or by this
 * test's binary re-executed as the command that gets the fd), the bytes in
 * the host's VRAM file at the BAR offsets p2pctl prints, and the fd that
 * arrives over the socket; and every error path with its exit status and
 * message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_json.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl alloc allocates what it says, hands the fd to a "
		     "command or over a unix socket, and p2pctl connect "
		     "receives it; errors exit with the documented status and "
		     "message.");

/* This binary, re-executed by p2pctl as CMD, runs helper_main() instead. */
#define HELPER_ENV	"P2PCTL_TEST_HELPER"

/* This test's binary, which p2pctl runs as CMD. */
static char self[PATH_MAX];

/* ---- the helper: this binary as the command p2pctl runs ---- */

static void pci_str(const struct dma_buf_p2p_pci_id *id, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", id->domain, id->bdf >> 8,
		 (id->bdf >> 3) & 0x1f, id->bdf & 7);
}

/*
 * P2PCTL_TEST_HELPER=query[:SEED]: describe the buffer at $P2P_FD as
 * key=value lines (the shape p2p_json_parse() gives), with the CRC-32 of
 * its bytes; with SEED, then fill it with that pattern through its mmap.
 */
static int helper(const char *what)
{
	const char *env = getenv("P2P_FD");
	struct p2p_query q = { 0 };
	char pci[32], *end;
	uint64_t seed = 0;
	int fd, dev, fl;
	bool write;
	void *p;

	if (strncmp(what, "query", 5) || !env) {
		fprintf(stderr, "helper: bad request '%s' or no P2P_FD\n", what);
		return 3;
	}
	write = what[5] == ':';
	if (write)
		seed = strtoull(what + 6, NULL, 0);
	fd = (int)strtol(env, &end, 10);
	if (*end || fd < 0 || (fl = fcntl(fd, F_GETFD)) < 0) {
		fprintf(stderr, "helper: P2P_FD=%s is not an open fd\n", env);
		return 3;
	}
	printf("fd=%d\ncloexec=%d\n", fd, !!(fl & FD_CLOEXEC));
	fl = fcntl(fd, F_GETFL) & O_ACCMODE;
	printf("accmode=\"%s\"\n", fl == O_RDWR ? "rdwr" :
	       fl == O_RDONLY ? "rdonly" : "other");

	dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
	q.q.fd = fd;
	q.q.chunks = (uintptr_t)q.chunks;
	q.q.nr_chunks = P2P_MAX_CHUNKS;
	if (dev < 0 || ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q.q)) {
		fprintf(stderr, "helper: query fd %d: %m\n", fd);
		return 3;
	}
	close(dev);
	pci_str(&q.q.provider, pci, sizeof(pci));
	printf("provider=\"%s\"\nsize=%llu\nplacement=%u\npins=%u\n"
	       "attachments=%u\nchunks=[%u]\n", pci,
	       (unsigned long long)q.q.size, q.q.placement, q.q.pin_count,
	       q.q.nr_attachments, q.q.nr_chunks);
	for (uint32_t i = 0; i < q.q.nr_chunks && i < P2P_MAX_CHUNKS; i++)
		printf("chunks.%u.bar_offset=%llu\nchunks.%u.size=%llu\n", i,
		       (unsigned long long)q.chunks[i].bar_offset, i,
		       (unsigned long long)q.chunks[i].size);

	p = mmap(NULL, q.q.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "helper: mmap fd %d: %m\n", fd);
		return 3;
	}
	printf("crc=%u\n", p2p_crc32(p, q.q.size));
	if (write)
		p2p_fill_pattern(p, q.q.size, seed);
	munmap(p, q.q.size);
	return 0;
}

__attribute__((constructor)) static void helper_main(void)
{
	const char *what = getenv(HELPER_ENV);

	if (what) {
		int ret = helper(what);

		fflush(stdout);
		_exit(ret);
	}
}

/* ---- running p2pctl ---- */

/* p2pctl ARGS...: its exit status. */
#define run(r, ...) p2pctl_run(r, __VA_ARGS__)

/* How to run p2pctl with @env ("K=V") added, for the helper. */
static const struct p2p_spawn *with_env(const char *env)
{
	static struct p2p_spawn how = P2P_SPAWN_DEFAULT;

	how.env = env;
	return &how;
}

static void find_self(void)
{
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	igt_assert(n > 0);
	self[n] = '\0';
}

/* ---- the kernel's view ---- */

/* The flattened buffer description at @prefix has @q's chunks. */
static void expect_chunks(const struct p2p_json *flat, const char *prefix,
			  const struct p2p_query *q)
{
	char want[16];

	snprintf(want, sizeof(want), "[%u]", q->q.nr_chunks);
	p2p_json_expect(flat, want, "%schunks", prefix);
	for (uint32_t i = 0; i < q->q.nr_chunks; i++) {
		igt_assert_eq_u64(p2p_json_u64(flat, "%schunks.%u.bar_offset",
					       prefix, i),
				  q->chunks[i].bar_offset);
		igt_assert_eq_u64(p2p_json_u64(flat, "%schunks.%u.size",
					       prefix, i),
				  q->chunks[i].size);
	}
}

/* Chunks as a flattened description (alloc's JSON, the helper) has them. */
static uint32_t chunks_of(const struct p2p_json *flat, struct p2p_query *q)
{
	uint32_t n;

	igt_assert(sscanf(p2p_json_get(flat, "chunks") ?: "", "[%u]", &n) == 1);
	igt_assert_lte(n, P2P_MAX_CHUNKS);
	for (uint32_t i = 0; i < n; i++) {
		q->chunks[i].bar_offset =
			p2p_json_u64(flat, "chunks.%u.bar_offset", i);
		q->chunks[i].size = p2p_json_u64(flat, "chunks.%u.size", i);
	}
	q->q.nr_chunks = n;
	return n;
}

/* The VRAM file holds pattern @seed at @q's chunks, @size bytes in all. */
static void check_vram(const struct p2p_machine *m, struct p2p_query *q,
		       uint64_t size, uint64_t seed)
{
	/* @q has only the chunks p2pctl printed; their sum must be @size. */
	q->q.size = size;
	p2p_check_vram_pattern(m, q, seed);
}

/* ---- unix sockets, the way another program would use them ---- */

static void sock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/p2pctl-test-%d-%s", (int)getpid(), name);
	unlink(buf);
}

static int sock_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	igt_assert_fd(s);
	strcpy(addr.sun_path, path);
	igt_assert_eq(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	igt_assert_eq(listen(s, 1), 0);
	return s;
}

/* Connects to @path and receives one fd (-1 when none comes). */
static int recv_fd(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	int s, fd = -1;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	igt_assert_fd(s);
	strcpy(addr.sun_path, path);
	igt_assert_f(!connect(s, (struct sockaddr *)&addr, sizeof(addr)),
		     "connect to %s: %m\n", path);
	igt_assert_eq(recvmsg(s, &msg, MSG_CMSG_CLOEXEC), 1);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
	close(s);
	return fd;
}

/*
 * A server in a child process: accepts one client on @path and sends it
 * @fd (none when @fd < 0), as another program serving buffers would.
 */
static pid_t serve_once(const char *path, int fd)
{
	int s = sock_listen(path);
	pid_t pid;

	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		char byte = 'x';
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cmsg;
		int c = accept(s, NULL, NULL);

		if (c < 0)
			_exit(1);
		if (fd >= 0) {
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		}
		_exit(sendmsg(c, &msg, MSG_NOSIGNAL) == 1 ? 0 : 1);
	}
	close(s);
	return pid;
}

static void reap(pid_t pid, const char *path)
{
	int status;

	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
		     "the test's server failed (%#x)\n", status);
	unlink(path);
}

/* ---- the subtests ---- */

/*
 * alloc --json, checked against what the command it runs sees through
 * QUERY; that command fills the buffer, which must then be in the VRAM
 * file at the BAR offsets alloc printed.
 */
static void test_json(const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json flat, helper_flat;
	static struct p2p_query printed;
	char env[64], *nl, want[64];
	const uint64_t seed = 0xa110c;
	/* 3M + 100 bytes: alloc reports the size rounded up to pages. */
	const uint64_t size = (3 << 20) + 4096;
	uint8_t *zeros;

	snprintf(env, sizeof(env), HELPER_ENV "=query:%#llx",
		 (unsigned long long)seed);
	igt_assert_eq(p2pctl_runl(&r, with_env(env), "alloc", "--provider",
				  m->vram.addr, "--size", "3145828", "--json",
				  "--", self, NULL), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);

	/* alloc's one line, then the helper's lines. */
	nl = strchr(r.out, '\n');
	igt_assert(nl);
	p2p_json_from_lines(&helper_flat, nl + 1);
	nl[1] = '\0';
	p2p_json_parse(&flat, r.out);
	igt_info("alloc --json: %s", r.out);

	p2p_json_expect(&flat, "{6}", "%s", "");
	snprintf(want, sizeof(want), "\"%s\"", m->vram.addr);
	p2p_json_expect(&flat, want, "provider");
	p2p_json_expect(&helper_flat, want, "provider");
	igt_assert_eq_u64(p2p_json_u64(&flat, "size"), size);
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "size"), size);
	p2p_json_expect(&flat, "\"bar\"", "placement");
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "placement"),
			  DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_json_expect(&flat, "null", "socket");
	/* The fd it printed is the one CMD got, open across exec. */
	igt_assert_eq_u64(p2p_json_u64(&flat, "fd"),
			  p2p_json_u64(&helper_flat, "fd"));
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "cloexec"), 0);
	p2p_json_expect(&helper_flat, "\"rdwr\"", "accmode");
	/* A new buffer reads as zeros; the chunks are QUERY's. */
	zeros = calloc(1, size);
	igt_assert(zeros);
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "crc"),
			  p2p_crc32(zeros, size));
	free(zeros);
	igt_assert(chunks_of(&flat, &printed) >= 1);
	expect_chunks(&helper_flat, "", &printed);

	check_vram(m, &printed, size, seed);
}

/* The text form, and the short PCI form, on the NVMe CMB. */
static void test_text(const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json helper_flat;
	static struct p2p_query q;
	char want[512], *chunks;
	const char *short_addr = m->nvme[0].pci.addr + 5;

	igt_require_f(!strncmp(m->nvme[0].pci.addr, "0000:", 5),
		      "the CMB is not in PCI domain 0\n");
	igt_assert_eq(p2pctl_runl(&r, with_env(HELPER_ENV "=query"), "alloc",
				  "--provider", short_addr, "--size", "1M",
				  "--", self, NULL), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	igt_info("alloc:\n%s", r.out);

	chunks = strstr(r.out, "\nfd=");
	igt_assert(chunks);
	p2p_json_from_lines(&helper_flat, chunks + 1);
	chunks[1] = '\0';
	chunks_of(&helper_flat, &q);
	igt_assert(q.q.nr_chunks >= 1);

	snprintf(want, sizeof(want),
		 "Buffer\n"
		 "  provider   %s\n"
		 "  size       1M (1048576 bytes)\n"
		 "  placement  bar\n"
		 "  fd         %llu\n"
		 "Chunks\n"
		 "  BAR-OFFSET         SIZE\n", m->nvme[0].pci.addr,
		 (unsigned long long)p2p_json_u64(&helper_flat, "fd"));
	igt_assert_f(!strncmp(r.out, want, strlen(want)),
		     "got:\n%s\nexpected it to start with:\n%s\n", r.out, want);
	chunks = r.out + strlen(want);
	for (uint32_t i = 0; i < q.q.nr_chunks; i++) {
		char size[32];

		snprintf(size, sizeof(size), "%lluK",
			 (unsigned long long)q.chunks[i].size >> 10);
		if (q.chunks[i].size == 1 << 20)
			snprintf(size, sizeof(size), "1M");
		snprintf(want, sizeof(want), "  0x%-16llx %s\n",
			 (unsigned long long)q.chunks[i].bar_offset, size);
		igt_assert_f(!strncmp(chunks, want, strlen(want)),
			     "chunk %u: got '%s', expected '%s'\n", i, chunks,
			     want);
		chunks += strlen(want);
	}
	igt_assert_f(!*chunks, "trailing output '%s'\n", chunks);
	snprintf(want, sizeof(want), "\"%s\"", m->nvme[0].pci.addr);
	p2p_json_expect(&helper_flat, want, "provider");
}

/* -- CMD: the status comes back, a ^C-like death as 128 + N. */
static void test_run_command(const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json flat, info;
	char want[256], *nl;

	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--quiet", "--", "sh", "-c", "exit 7"), 7);
	igt_assert_f(!r.out[0] && !r.err[0], "--quiet printed '%s' '%s'\n",
		     r.out, r.err);

	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--quiet", "--", "sh", "-c", "kill -TERM $$"),
		      128 + SIGTERM);

	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--quiet", "--", "/nonexistent/cmd"), 127);
	igt_assert_f(!strcmp(r.err, "p2pctl: alloc: run /nonexistent/cmd: "
			     "No such file or directory (ENOENT)\n"),
		     "stderr: %s\n", r.err);

	/* Found but not executable: 126, as the shell says it. */
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--quiet", "--", "/proc/self/status"), 126);
	igt_assert_f(!strcmp(r.err, "p2pctl: alloc: run /proc/self/status: "
			     "Permission denied (EACCES)\n"),
		     "stderr: %s\n", r.err);

	/* Options after -- are CMD's, and $P2P_FD names the buffer. */
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "2M", "--json", "--", "sh", "-c",
			  "exec \"$0\" info --json \"$P2P_FD\"",
			  p2pctl_path), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	nl = strchr(r.out, '\n');
	igt_assert(nl);
	p2p_json_parse(&info, nl + 1);
	nl[1] = '\0';
	p2p_json_parse(&flat, r.out);
	igt_assert_eq_u64(p2p_json_u64(&info, "fd"), p2p_json_u64(&flat, "fd"));
	p2p_json_expect(&info, "null", "pid");
	snprintf(want, sizeof(want), "\"%s\"", m->vram.addr);
	p2p_json_expect(&info, want, "provider");
	igt_assert_eq_u64(p2p_json_u64(&info, "size"), 2 << 20);
	p2p_json_expect(&info, "\"bar\"", "placement");
	igt_assert(p2p_json_u64(&flat, "chunks.0.size") > 0);
	igt_assert_eq_u64(p2p_json_u64(&info, "chunks.0.bar_offset"),
			  p2p_json_u64(&flat, "chunks.0.bar_offset"));
	p2p_json_expect(&info, p2p_json_get(&flat, "chunks"), "chunks");
}

/* --serve: the fd arrives over the socket and outlives alloc. */
static void test_serve(const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json flat;
	static struct p2p_query printed, q;
	char path[108], line[4096], want[160];
	const uint64_t size = 2 << 20;
	struct p2p_proc p;
	struct stat st;
	int dev, fd;
	void *map;

	sock_path(path, sizeof(path), "serve");
	p2pctl_spawnl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		      "2M", "--json", "--serve", path, NULL);
	/* Printed once the socket listens. */
	p2p_read_line(&p, line, sizeof(line));
	igt_info("alloc --serve: %s", line);
	p2p_json_parse(&flat, line);
	snprintf(want, sizeof(want), "\"%s\"", path);
	p2p_json_expect(&flat, want, "socket");
	igt_assert_eq(stat(path, &st), 0);
	igt_assert(S_ISSOCK(st.st_mode));

	fd = recv_fd(path);
	igt_assert_fd(fd);
	p2p_collect(&p, &r);
	igt_assert_eq(r.status, 0);
	igt_assert_f(!r.out[0] && !r.err[0], "more output: '%s' '%s'\n",
		     r.out, r.err);
	igt_assert_f(stat(path, &st) && errno == ENOENT,
		     "%s is still there\n", path);

	/* alloc is gone; the buffer is ours, as it said. */
	dev = p2p_dev_open();
	p2p_query(dev, fd, &q);
	snprintf(want, sizeof(want), "\"%04x:%02x:%02x.%x\"",
		 q.q.provider.domain, q.q.provider.bdf >> 8,
		 (q.q.provider.bdf >> 3) & 0x1f, q.q.provider.bdf & 7);
	p2p_json_expect(&flat, want, "provider");
	igt_assert_eq_u64(q.q.size, size);
	igt_assert_eq_u64(p2p_json_u64(&flat, "size"), size);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	expect_chunks(&flat, "", &q);
	chunks_of(&flat, &printed);

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	igt_assert(map != MAP_FAILED);
	p2p_fill_pattern(map, size, 0x5e7e);
	munmap(map, size);
	check_vram(m, &printed, size, 0x5e7e);
	close(fd);
	close(dev);
}

/* alloc --serve to connect, and on to p2pctl info and to this test. */
static void test_serve_connect(const struct p2p_machine *m)
{
	static struct p2p_result r, rest;
	static struct p2p_json flat, info, helper_flat;
	static struct p2p_query printed;
	char path[108], line[4096];
	struct p2p_proc p;

	sock_path(path, sizeof(path), "connect");

	/* Ground truth: QUERY in the command connect runs. */
	p2pctl_spawnl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		      "8M", "--json", "--serve", path, NULL);
	p2p_read_line(&p, line, sizeof(line));
	p2p_json_parse(&flat, line);
	igt_assert_eq(p2pctl_runl(&helper_flat.flat,
				  with_env(HELPER_ENV "=query:0xc0"), "connect",
				  path, "--", self, NULL), 0);
	igt_assert_f(!helper_flat.flat.err[0], "stderr: %s\n",
		     helper_flat.flat.err);
	p2p_collect(&p, &rest);
	igt_assert_eq(rest.status, 0);
	p2p_json_expect(&helper_flat, p2p_json_get(&flat, "provider"),
			"provider");
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "size"), 8 << 20);
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "cloexec"), 0);
	chunks_of(&flat, &printed);
	expect_chunks(&helper_flat, "", &printed);
	/* Written by the receiver; alloc has exited, the bytes stay. */
	check_vram(m, &printed, 8 << 20, 0xc0);

	/* End to end: p2pctl info on the fd that came over the socket. */
	p2pctl_spawnl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		      "1M", "--json", "--serve", path, NULL);
	p2p_read_line(&p, line, sizeof(line));
	p2p_json_parse(&flat, line);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c",
			  "exec \"$0\" info --json \"$P2P_FD\"",
			  p2pctl_path), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	p2p_collect(&p, &rest);
	igt_assert_eq(rest.status, 0);
	p2p_json_parse(&info, r.out);
	p2p_json_expect(&info, p2p_json_get(&flat, "provider"), "provider");
	igt_assert_eq_u64(p2p_json_u64(&info, "size"), 1 << 20);
	p2p_json_expect(&info, "\"bar\"", "placement");
	p2p_json_expect(&info, "0", "pins");
	p2p_json_expect(&info, "[0]", "attachments");
	chunks_of(&flat, &printed);
	expect_chunks(&info, "", &printed);
	p2p_json_expect(&info, "0", "counters.migrations_to_system");
}

/* connect with a server that is not p2pctl: this test sends the fd. */
static void test_connect(const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json helper_flat;
	static struct p2p_query q;
	const uint64_t size = 1 << 20;
	char path[108];
	int dev, fd;
	uint8_t *map;
	pid_t server;

	dev = p2p_dev_open();
	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	igt_assert(map != MAP_FAILED);
	p2p_fill_pattern(map, size, 0xc011);
	p2p_query(dev, fd, &q);

	sock_path(path, sizeof(path), "client");
	server = serve_once(path, fd);
	igt_assert_eq(p2pctl_runl(&helper_flat.flat,
				  with_env(HELPER_ENV "=query"), "connect",
				  path, "--", self, NULL), 0);
	reap(server, path);
	igt_assert_f(!helper_flat.flat.err[0], "stderr: %s\n",
		     helper_flat.flat.err);
	/* The same buffer: its chunks, and the bytes this test wrote. */
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "crc"),
			  p2p_crc32(map, size));
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "size"), size);
	igt_assert_eq_u64(p2p_json_u64(&helper_flat, "cloexec"), 0);
	expect_chunks(&helper_flat, "", &q);

	/* CMD's exit status is connect's. */
	server = serve_once(path, fd);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c", "exit 5"), 5);
	reap(server, path);
	server = serve_once(path, fd);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c",
			  "kill -KILL $$"), 128 + SIGKILL);
	reap(server, path);

	munmap(map, size);
	close(fd);
	close(dev);
}

static void test_alloc_errors(const struct p2p_machine *m)
{
	static struct p2p_result r;
	char want[512];

	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "12Q"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: bad size '12Q' (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "0"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: bad size '0' (must not be 0) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "16E"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: bad size '16E' (too large) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "-4K"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: bad size '-4K' (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--size", "4K"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: missing --provider (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr), 2);
	p2p_expect_err(&r, "p2pctl: alloc: missing --size (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", "vram", "--size", "4K"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: 'vram' is not a PCI address (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "sh"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: unexpected argument 'sh' (a command goes after --) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: missing CMD after -- (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", "/tmp/x", "--", "true"), 2);
	p2p_expect_err(&r, "p2pctl: alloc: --serve and -- CMD do not go together (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: alloc: bad option (see 'p2pctl alloc --help')\n"));

	/* The kernel's refusals, with the PCI address; CMD never runs. */
	igt_assert_eq(run(&r, "alloc", "--provider", "0000:ff:1f.7", "--size",
			  "4K", "--", "sh", "-c", "echo ran"), 1);
	p2p_expect_err(&r, "p2pctl: alloc: 4K on 0000:ff:1f.7: no such PCI function: No such device (ENODEV)\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->nvme[2].pci.addr,
			  "--size", "4K", "--", "sh", "-c", "echo ran"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: 4K on %s: it publishes no P2PDMA memory (see 'p2pctl list'): No such device or address (ENXIO)\n",
		 m->nvme[2].pci.addr);
	p2p_expect_err(&r, want);
	igt_assert_eq(m->vram_size, 256 << 20);
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "512M", "--", "sh", "-c", "echo ran"), 1);
	snprintf(want, sizeof(want), "p2pctl: alloc: 512M on %s (",
		 m->vram.addr);
	igt_assert_f(!strncmp(r.err, want, strlen(want)) &&
		     strstr(r.err, " free of 256M): No space left on device (ENOSPC)\n"),
		     "stderr: %s\n", r.err);
	igt_assert_f(!r.out[0], "stdout: %s\n", r.out);

	igt_assert_eq(run(&r, "alloc", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl alloc --provider PCI --size SIZE"));
	igt_assert(strstr(r.out, "JSON keys:"));
	igt_assert(strstr(r.out, "Exit status:"));
	igt_assert(strstr(r.out, "Examples:"));
}

static void test_serve_errors(const struct p2p_machine *m)
{
	static struct p2p_result r, second;
	char path[108], line[4096], want[512], longpath[200];
	struct p2p_proc p;
	struct stat st;
	int fd;

	/* Something is at the path: a file is not ours to remove. */
	sock_path(path, sizeof(path), "busy");
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	igt_assert_fd(fd);
	close(fd);
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", path), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: socket %s: the path exists: Address already in use (EADDRINUSE)\n",
		 path);
	p2p_expect_err(&r, want);
	igt_assert(!stat(path, &st) && S_ISREG(st.st_mode));
	unlink(path);

	/* Another alloc serves there: refused, and that one still works. */
	p2pctl_spawnl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		      "4K", "--serve", path, NULL);
	p2p_read_line(&p, line, sizeof(line));
	igt_assert_eq(run(&second, "alloc", "--provider", m->vram.addr,
			  "--size", "4K", "--serve", path), 1);
	p2p_expect_err(&second, want);
	fd = recv_fd(path);
	igt_assert_fd(fd);
	close(fd);
	p2p_collect(&p, &r);
	igt_assert_eq(r.status, 0);

	/* No such directory; a path too long for a unix socket. */
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", "/tmp/p2pctl-no-such-dir/s"), 1);
	p2p_expect_err(&r, "p2pctl: alloc: socket /tmp/p2pctl-no-such-dir/s: No such file or directory (ENOENT)\n");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", longpath), 2);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: bad socket path '%s' (1 to 107 bytes) (see 'p2pctl alloc --help')\n",
		 longpath);
	p2p_expect_err(&r, want);

	/* Stopped before anyone came: the socket goes too. */
	p2pctl_spawnl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		      "4K", "--serve", path, NULL);
	p2p_read_line(&p, line, sizeof(line));
	igt_assert_eq(kill(p.pid, SIGTERM), 0);
	p2p_collect(&p, &r);
	igt_assert_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: %s: Terminated before a client connected: Interrupted system call (EINTR)\n",
		 path);
	igt_assert_f(!strcmp(r.err, want), "stderr '%s'\n", r.err);
	igt_assert_f(stat(path, &st) && errno == ENOENT,
		     "%s is still there\n", path);
}

static void test_connect_errors(void)
{
	static struct p2p_result r;
	char path[108], want[512];
	pid_t server;
	int fd, s;

	sock_path(path, sizeof(path), "bad");

	/* Not a dma-buf: CMD does not run. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	igt_assert_fd(fd);
	server = serve_once(path, fd);
	close(fd);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c", "echo ran"),
		      1);
	reap(server, path);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: %s: the fd received (/dev/null) is not a dma-buf: Invalid argument (EINVAL)\n",
		 path);
	p2p_expect_err(&r, want);

	/* No fd at all. */
	server = serve_once(path, -1);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c", "echo ran"),
		      1);
	reap(server, path);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: %s: no fd received: Protocol error (EPROTO)\n",
		 path);
	p2p_expect_err(&r, want);

	/* Nobody there, or a socket nobody listens on. */
	igt_assert_eq(run(&r, "connect", path, "--", "true"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: connect to %s: No such file or directory (ENOENT)\n",
		 path);
	p2p_expect_err(&r, want);
	s = sock_listen(path);
	close(s);
	igt_assert_eq(run(&r, "connect", path, "--", "true"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: connect to %s: Connection refused (ECONNREFUSED)\n",
		 path);
	p2p_expect_err(&r, want);
	unlink(path);

	igt_assert_eq(run(&r, "connect"), 2);
	p2p_expect_err(&r, "p2pctl: connect: missing SOCKET (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path), 2);
	p2p_expect_err(&r, "p2pctl: connect: missing -- CMD (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path, "--"), 2);
	p2p_expect_err(&r, "p2pctl: connect: missing -- CMD (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path, "extra", "--", "true"), 2);
	p2p_expect_err(&r, "p2pctl: connect: unexpected argument 'extra' (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", "--bogus", path, "--", "true"), 2);
	igt_assert(strstr(r.err, "p2pctl: connect: bad option (see 'p2pctl connect --help')\n"));
	igt_assert_eq(run(&r, "connect", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl connect SOCKET -- CMD"));
	igt_assert(strstr(r.out, "Exit status:"));
}

igt_main
{
	struct p2p_machine m;

	igt_fixture {
		p2p_machine_load(&m);
		p2pctl_find();
		find_self();
	}

	igt_describe("alloc --json prints one JSON object whose provider, "
		     "size (rounded to pages), placement, fd and chunks are "
		     "what QUERY tells the command it runs; that command's "
		     "writes through the fd land in the VRAM file at the BAR "
		     "offsets alloc printed.");
	igt_subtest("json-matches-query")
		test_json(&m);

	igt_describe("alloc's tables on the NVMe CMB, named in lspci's short "
		     "form: provider, size, placement, fd and each chunk as "
		     "QUERY reports them.");
	igt_subtest("text-matches-query")
		test_text(&m);

	igt_describe("alloc -- CMD exits with CMD's status (128 + signal, 127 "
		     "when it cannot run), --quiet prints nothing, and "
		     "'p2pctl info $P2P_FD' in CMD sees the buffer alloc "
		     "printed.");
	igt_subtest("run-command")
		test_run_command(&m);

	igt_describe("alloc --serve prints once it listens, sends the fd to "
		     "the first client over SCM_RIGHTS, removes the socket and "
		     "exits 0; the buffer, as printed, lives on in the "
		     "receiver and its writes reach the VRAM file.");
	igt_subtest("serve-sends-fd")
		test_serve(&m);

	igt_describe("alloc --serve to connect -- CMD: CMD gets the buffer "
		     "alloc printed (QUERY in CMD, p2pctl info in CMD), open "
		     "across exec, and can write it after alloc exited.");
	igt_subtest("serve-to-connect")
		test_serve_connect(&m);

	igt_describe("connect takes a buffer from any SCM_RIGHTS server: CMD "
		     "reads the bytes the sender wrote, and connect exits with "
		     "CMD's status.");
	igt_subtest("connect-receives-fd")
		test_connect(&m);

	igt_describe("alloc's bad command lines exit 2, the kernel's ENODEV, "
		     "ENXIO and ENOSPC exit 1 with the size, PCI address and "
		     "errno, and CMD never runs.");
	igt_subtest("alloc-errors")
		test_alloc_errors(&m);

	igt_describe("--serve refuses a path in use (a file, another alloc's "
		     "live socket, which keeps working), a missing directory "
		     "and an overlong path, and removes its socket when "
		     "stopped.");
	igt_subtest("serve-errors")
		test_serve_errors(&m);

	igt_describe("connect fails with status 1 when the server sends no fd, "
		     "an fd that is not a dma-buf, or is not there, and with 2 "
		     "on bad command lines; CMD never runs.");
	igt_subtest("connect-errors")
		test_connect_errors();
}
