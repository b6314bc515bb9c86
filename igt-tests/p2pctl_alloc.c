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
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("p2pctl alloc allocates what it says, hands the fd to a "
		     "command or over a unix socket, and p2pctl connect "
		     "receives it; errors exit with the documented status and "
		     "message.");

#define MAX_CHUNKS	256
/* This binary, re-executed by p2pctl as CMD, runs helper_main() instead. */
#define HELPER_ENV	"P2PCTL_TEST_HELPER"

static char p2pctl[PATH_MAX], self[PATH_MAX];

struct result {
	int status;		/* exit status; 128 + N for signal N */
	char out[64 << 10];
	char err[16 << 10];
};

struct proc {
	pid_t pid;
	int out, err;		/* read ends of its stdout and stderr */
};

struct query {
	struct dma_buf_p2p_query q;
	struct dma_buf_p2p_chunk_info chunks[MAX_CHUNKS];
};

static const char flatten_py[] =
	"import json, sys\n"
	"def pairs(kv):\n"
	"    d = {}\n"
	"    for k, v in kv:\n"
	"        if k in d:\n"
	"            sys.exit('duplicate key ' + k)\n"
	"        d[k] = v\n"
	"    return d\n"
	"def walk(path, v):\n"
	"    if isinstance(v, dict):\n"
	"        print('%s={%d}' % (path, len(v)))\n"
	"        for k, x in v.items():\n"
	"            walk(path + '.' + k if path else k, x)\n"
	"    elif isinstance(v, list):\n"
	"        print('%s=[%d]' % (path, len(v)))\n"
	"        for i, x in enumerate(v):\n"
	"            walk('%s.%d' % (path, i), x)\n"
	"    else:\n"
	"        print('%s=%s' % (path, json.dumps(v)))\n"
	"d = json.loads(sys.stdin.read(), object_pairs_hook=pairs)\n"
	"if not isinstance(d, dict):\n"
	"    sys.exit('not a JSON object')\n"
	"walk('', d)\n";

/* ---- the helper: this binary as the command p2pctl runs ---- */

static void pci_str(const struct dma_buf_p2p_pci_id *id, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", id->domain, id->bdf >> 8,
		 (id->bdf >> 3) & 0x1f, id->bdf & 7);
}

/*
 * P2PCTL_TEST_HELPER=query[:SEED]: describe the buffer at $P2P_FD as
 * key=value lines (the shape json_flatten() gives), with the CRC-32 of its
 * bytes; with SEED, then fill it with that pattern through its mmap.
 */
static int helper(const char *what)
{
	const char *env = getenv("P2P_FD");
	struct query q = { 0 };
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
	q.q.nr_chunks = MAX_CHUNKS;
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
	for (uint32_t i = 0; i < q.q.nr_chunks && i < MAX_CHUNKS; i++)
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

/* p2pctl sits in the build tree next to this test's directory. */
static void find_p2pctl(void)
{
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	igt_assert(n > 0);
	self[n] = '\0';
	igt_assert(snprintf(p2pctl, sizeof(p2pctl), "%s", self) <
		   (int)sizeof(p2pctl));
	*strrchr(p2pctl, '/') = '\0';
	igt_assert(strlen(p2pctl) + 32 < sizeof(p2pctl));
	strcat(p2pctl, "/../userspace/p2pctl/p2pctl");
	igt_require_f(access(p2pctl, X_OK) == 0, "no p2pctl at %s\n", p2pctl);
}

static int child_stdin = -1;

/* Starts @argv with stdout and stderr to pipes, @env ("K=V") added. */
static void spawn(struct proc *p, char *const argv[], const char *env)
{
	int o[2], e[2];

	igt_assert(!pipe2(o, O_CLOEXEC) && !pipe2(e, O_CLOEXEC));
	fflush(stdout);
	fflush(stderr);
	p->pid = fork();
	igt_assert(p->pid >= 0);
	if (!p->pid) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		if (child_stdin >= 0)
			dup2(child_stdin, 0);
		if (env)
			putenv((char *)env);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(126);
	}
	close(o[1]);
	close(e[1]);
	p->out = o[0];
	p->err = e[0];
}

/* One line of @p's stdout, as soon as it is there. */
static void read_line(struct proc *p, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	size_t n = 0;

	while (n < len - 1) {
		igt_assert_f(poll(&pfd, 1, 60000) == 1,
			     "no output from p2pctl in 60 s\n");
		igt_assert_f(read(p->out, buf + n, 1) == 1,
			     "p2pctl ended its output early: '%.*s'\n",
			     (int)n, buf);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
}

/* The rest of @p's output, and its exit status. */
static void collect(struct proc *p, struct result *r)
{
	struct pollfd pfd[2] = {
		{ .fd = p->out, .events = POLLIN },
		{ .fd = p->err, .events = POLLIN },
	};
	char *buf[2] = { r->out, r->err };
	size_t cap[2] = { sizeof(r->out), sizeof(r->err) }, n[2] = { 0, 0 };
	int open_fds = 2, status;

	while (open_fds) {
		igt_assert_f(poll(pfd, 2, 60000) > 0,
			     "p2pctl did not finish in 60 s\n");
		for (int i = 0; i < 2; i++) {
			char tmp[4096];
			ssize_t k;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			k = read(pfd[i].fd, tmp, sizeof(tmp));
			if (k <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if ((size_t)k > cap[i] - 1 - n[i])
				k = cap[i] - 1 - n[i];
			memcpy(buf[i] + n[i], tmp, k);
			n[i] += k;
		}
	}
	r->out[n[0]] = '\0';
	r->err[n[1]] = '\0';
	while (waitpid(p->pid, &status, 0) < 0)
		igt_assert(errno == EINTR);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
}

#define MAX_ARGS 32

static void vargs(char **argv, const char *first, va_list ap)
{
	int n = 0;

	argv[n++] = p2pctl;
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		igt_assert(n < MAX_ARGS - 1);
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
}

static void spawn_p2pctl(struct proc *p, const char *env, const char *first,
			 ...)
{
	char *argv[MAX_ARGS];
	va_list ap;

	va_start(ap, first);
	vargs(argv, first, ap);
	va_end(ap);
	spawn(p, argv, env);
}

/* p2pctl ARGS... (NULL-terminated), with @env added; returns its status. */
static int run_env(struct result *r, const char *env, const char *first, ...)
{
	char *argv[MAX_ARGS];
	struct proc p;
	va_list ap;

	va_start(ap, first);
	vargs(argv, first, ap);
	va_end(ap);
	spawn(&p, argv, env);
	collect(&p, r);
	igt_debug("p2pctl %s ... -> %d\nstdout: %s\nstderr: %s\n", first,
		  r->status, r->out, r->err);
	return r->status;
}

#define run(r, ...) run_env(r, NULL, __VA_ARGS__, NULL)

static void expect_err(const struct result *r, const char *want)
{
	igt_assert_f(!strcmp(r->err, want), "stderr '%s', expected '%s'\n",
		     r->err, want);
	igt_assert_f(!r->out[0], "output on failure: '%s'\n", r->out);
}

/* ---- JSON, flattened by python3 into path=value lines ---- */

static void json_flatten(const char *json, struct result *flat)
{
	char *argv[] = { "python3", "-c", (char *)flatten_py, NULL };
	size_t len = strlen(json);
	struct proc p;
	int fd;

	igt_assert_f(len && json[len - 1] == '\n' && !memchr(json, '\n', len - 1),
		     "JSON output is not one line: '%s'\n", json);
	fd = memfd_create("json", MFD_CLOEXEC);
	igt_assert_fd(fd);
	igt_assert_eq(write(fd, json, len), (ssize_t)len);
	igt_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	child_stdin = fd;
	spawn(&p, argv, NULL);
	child_stdin = -1;
	close(fd);
	collect(&p, flat);
	igt_assert_f(flat->status == 0, "not valid JSON (%s): '%s'\n",
		     flat->err, json);
}

/* The value at a path, NULL when absent. */
static const char *jget(const struct result *flat, const char *fmt, ...)
{
	static char value[512];
	char key[256];
	const char *line;
	size_t klen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	klen = strlen(key);
	for (line = flat->out; *line; line = strchr(line, '\n') + 1) {
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			size_t n = strcspn(line + klen + 1, "\n");

			igt_assert(n < sizeof(value));
			memcpy(value, line + klen + 1, n);
			value[n] = '\0';
			return value;
		}
		if (!strchr(line, '\n'))
			break;
	}
	return NULL;
}

static uint64_t jnum(const struct result *flat, const char *key)
{
	const char *v = jget(flat, "%s", key);
	char *end;
	uint64_t n;

	igt_assert_f(v, "no '%s' in:\n%s\n", key, flat->out);
	n = strtoull(v, &end, 10);
	igt_assert_f(end != v && !*end, "'%s' is '%s', not a number\n", key, v);
	return n;
}

static void jexpect(const struct result *flat, const char *key,
		    const char *want)
{
	const char *v = jget(flat, "%s", key);

	igt_assert_f(v && !strcmp(v, want), "'%s' is '%s', expected '%s'\n",
		     key, v ? v : "(absent)", want);
}

/* ---- the kernel's view ---- */

static int p2p_open(void)
{
	int dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);

	igt_assert_f(dev >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
	return dev;
}

static int alloc_buf(int dev, const struct p2p_pci *provider, uint64_t size)
{
	struct dma_buf_p2p_alloc a = {
		.provider = provider->id,
		.size = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_eq(igt_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), 0);
	return (int)a.fd;
}

static void query(int dev, int fd, struct query *q)
{
	memset(q, 0, sizeof(*q));
	q->q.fd = fd;
	q->q.chunks = (uintptr_t)q->chunks;
	q->q.nr_chunks = MAX_CHUNKS;
	igt_assert_eq(igt_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q->q), 0);
	igt_assert_lte(q->q.nr_chunks, MAX_CHUNKS);
}

/* The flattened buffer description at @prefix has @q's chunks. */
static void expect_chunks(const struct result *flat, const char *prefix,
			  const struct query *q)
{
	char key[64], want[16];

	snprintf(key, sizeof(key), "%schunks", prefix);
	snprintf(want, sizeof(want), "[%u]", q->q.nr_chunks);
	jexpect(flat, key, want);
	for (uint32_t i = 0; i < q->q.nr_chunks; i++) {
		snprintf(key, sizeof(key), "%schunks.%u.bar_offset", prefix, i);
		igt_assert_eq_u64(jnum(flat, key), q->chunks[i].bar_offset);
		snprintf(key, sizeof(key), "%schunks.%u.size", prefix, i);
		igt_assert_eq_u64(jnum(flat, key), q->chunks[i].size);
	}
}

/* Chunks as a flattened description (alloc's JSON, the helper) has them. */
static uint32_t chunks_of(const struct result *flat, struct query *q)
{
	uint32_t n;

	igt_assert(sscanf(jget(flat, "chunks") ?: "", "[%u]", &n) == 1);
	igt_assert_lte(n, MAX_CHUNKS);
	for (uint32_t i = 0; i < n; i++) {
		char key[64];

		snprintf(key, sizeof(key), "chunks.%u.bar_offset", i);
		q->chunks[i].bar_offset = jnum(flat, key);
		snprintf(key, sizeof(key), "chunks.%u.size", i);
		q->chunks[i].size = jnum(flat, key);
	}
	q->q.nr_chunks = n;
	return n;
}

/* The VRAM file holds pattern @seed at @q's chunks, @size bytes in all. */
static void check_vram(const struct p2p_machine *m, const struct query *q,
		       uint64_t size, uint64_t seed)
{
	uint8_t *got = malloc(size), *want = malloc(size);
	uint64_t done = 0;
	int file;

	igt_assert(got && want);
	igt_assert_f(q->q.nr_chunks, "no chunks to look at\n");
	file = open(m->vram_file, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(file);
	for (uint32_t i = 0; i < q->q.nr_chunks; i++) {
		igt_assert(done + q->chunks[i].size <= size);
		igt_assert_eq(pread(file, got + done, q->chunks[i].size,
				    q->chunks[i].bar_offset),
			      (ssize_t)q->chunks[i].size);
		done += q->chunks[i].size;
	}
	close(file);
	igt_assert_eq_u64(done, size);
	p2p_fill_pattern(want, size, seed);
	for (uint64_t i = 0; i < size; i++)
		igt_assert_f(got[i] == want[i],
			     "VRAM file: byte %llu of the buffer is %#x, "
			     "expected %#x\n", (unsigned long long)i, got[i],
			     want[i]);
	free(got);
	free(want);
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
	static struct result r, flat, helper_flat;
	static struct query printed;
	char env[64], *nl, want[64];
	const uint64_t seed = 0xa110c;
	/* 3M + 100 bytes: alloc reports the size rounded up to pages. */
	const uint64_t size = (3 << 20) + 4096;
	uint8_t *zeros;

	snprintf(env, sizeof(env), HELPER_ENV "=query:%#llx",
		 (unsigned long long)seed);
	igt_assert_eq(run_env(&r, env, "alloc", "--provider", m->vram.addr,
			      "--size", "3145828", "--json", "--", self, NULL),
		      0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);

	/* alloc's one line, then the helper's lines. */
	nl = strchr(r.out, '\n');
	igt_assert(nl);
	memcpy(helper_flat.out, nl + 1, strlen(nl + 1) + 1);
	nl[1] = '\0';
	json_flatten(r.out, &flat);
	igt_info("alloc --json: %s", r.out);

	jexpect(&flat, "", "{6}");
	snprintf(want, sizeof(want), "\"%s\"", m->vram.addr);
	jexpect(&flat, "provider", want);
	jexpect(&helper_flat, "provider", want);
	igt_assert_eq_u64(jnum(&flat, "size"), size);
	igt_assert_eq_u64(jnum(&helper_flat, "size"), size);
	jexpect(&flat, "placement", "\"bar\"");
	igt_assert_eq_u64(jnum(&helper_flat, "placement"),
			  DMA_BUF_P2P_PLACEMENT_BAR);
	jexpect(&flat, "socket", "null");
	/* The fd it printed is the one CMD got, open across exec. */
	igt_assert_eq_u64(jnum(&flat, "fd"), jnum(&helper_flat, "fd"));
	igt_assert_eq_u64(jnum(&helper_flat, "cloexec"), 0);
	jexpect(&helper_flat, "accmode", "\"rdwr\"");
	/* A new buffer reads as zeros; the chunks are QUERY's. */
	zeros = calloc(1, size);
	igt_assert(zeros);
	igt_assert_eq_u64(jnum(&helper_flat, "crc"), p2p_crc32(zeros, size));
	free(zeros);
	igt_assert(chunks_of(&flat, &printed) >= 1);
	expect_chunks(&helper_flat, "", &printed);

	check_vram(m, &printed, size, seed);
}

/* The text form, and the short PCI form, on the NVMe CMB. */
static void test_text(const struct p2p_machine *m)
{
	static struct result r, helper_flat;
	static struct query q;
	char want[512], *chunks;
	const char *short_addr = m->nvme[0].pci.addr + 5;

	igt_require_f(!strncmp(m->nvme[0].pci.addr, "0000:", 5),
		      "the CMB is not in PCI domain 0\n");
	igt_assert_eq(run_env(&r, HELPER_ENV "=query", "alloc", "--provider",
			      short_addr, "--size", "1M", "--", self, NULL), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	igt_info("alloc:\n%s", r.out);

	chunks = strstr(r.out, "\nfd=");
	igt_assert(chunks);
	memcpy(helper_flat.out, chunks + 1, strlen(chunks + 1) + 1);
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
		 (unsigned long long)jnum(&helper_flat, "fd"));
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
	jexpect(&helper_flat, "provider", want);
}

/* -- CMD: the status comes back, a ^C-like death as 128 + N. */
static void test_run_command(const struct p2p_machine *m)
{
	static struct result r, flat, info;
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

	/* Options after -- are CMD's, and $P2P_FD names the buffer. */
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "2M", "--json", "--", "sh", "-c",
			  "exec \"$0\" info --json \"$P2P_FD\"", p2pctl), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	nl = strchr(r.out, '\n');
	igt_assert(nl);
	json_flatten(nl + 1, &info);
	nl[1] = '\0';
	json_flatten(r.out, &flat);
	igt_assert_eq_u64(jnum(&info, "fd"), jnum(&flat, "fd"));
	jexpect(&info, "pid", "null");
	snprintf(want, sizeof(want), "\"%s\"", m->vram.addr);
	jexpect(&info, "provider", want);
	igt_assert_eq_u64(jnum(&info, "size"), 2 << 20);
	jexpect(&info, "placement", "\"bar\"");
	igt_assert(jnum(&flat, "chunks.0.size") > 0);
	igt_assert_eq_u64(jnum(&info, "chunks.0.bar_offset"),
			  jnum(&flat, "chunks.0.bar_offset"));
	jexpect(&info, "chunks", jget(&flat, "chunks"));
}

/* --serve: the fd arrives over the socket and outlives alloc. */
static void test_serve(const struct p2p_machine *m)
{
	static struct result r, flat;
	static struct query printed, q;
	char path[108], line[4096], want[160];
	const uint64_t size = 2 << 20;
	struct proc p;
	struct stat st;
	int dev, fd;
	void *map;

	sock_path(path, sizeof(path), "serve");
	spawn_p2pctl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		     "2M", "--json", "--serve", path, NULL);
	/* Printed once the socket listens. */
	read_line(&p, line, sizeof(line));
	igt_info("alloc --serve: %s", line);
	json_flatten(line, &flat);
	snprintf(want, sizeof(want), "\"%s\"", path);
	jexpect(&flat, "socket", want);
	igt_assert_eq(stat(path, &st), 0);
	igt_assert(S_ISSOCK(st.st_mode));

	fd = recv_fd(path);
	igt_assert_fd(fd);
	collect(&p, &r);
	igt_assert_eq(r.status, 0);
	igt_assert_f(!r.out[0] && !r.err[0], "more output: '%s' '%s'\n",
		     r.out, r.err);
	igt_assert_f(stat(path, &st) && errno == ENOENT,
		     "%s is still there\n", path);

	/* alloc is gone; the buffer is ours, as it said. */
	dev = p2p_open();
	query(dev, fd, &q);
	snprintf(want, sizeof(want), "\"%04x:%02x:%02x.%x\"",
		 q.q.provider.domain, q.q.provider.bdf >> 8,
		 (q.q.provider.bdf >> 3) & 0x1f, q.q.provider.bdf & 7);
	jexpect(&flat, "provider", want);
	igt_assert_eq_u64(q.q.size, size);
	igt_assert_eq_u64(jnum(&flat, "size"), size);
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
	static struct result r, flat, info, helper_flat, rest;
	static struct query printed;
	char path[108], line[4096];
	struct proc p;

	sock_path(path, sizeof(path), "connect");

	/* Ground truth: QUERY in the command connect runs. */
	spawn_p2pctl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		     "8M", "--json", "--serve", path, NULL);
	read_line(&p, line, sizeof(line));
	json_flatten(line, &flat);
	igt_assert_eq(run_env(&helper_flat, HELPER_ENV "=query:0xc0",
			      "connect", path, "--", self, NULL), 0);
	igt_assert_f(!helper_flat.err[0], "stderr: %s\n", helper_flat.err);
	collect(&p, &rest);
	igt_assert_eq(rest.status, 0);
	jexpect(&helper_flat, "provider", jget(&flat, "provider"));
	igt_assert_eq_u64(jnum(&helper_flat, "size"), 8 << 20);
	igt_assert_eq_u64(jnum(&helper_flat, "cloexec"), 0);
	chunks_of(&flat, &printed);
	expect_chunks(&helper_flat, "", &printed);
	/* Written by the receiver; alloc has exited, the bytes stay. */
	check_vram(m, &printed, 8 << 20, 0xc0);

	/* End to end: p2pctl info on the fd that came over the socket. */
	spawn_p2pctl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		     "1M", "--json", "--serve", path, NULL);
	read_line(&p, line, sizeof(line));
	json_flatten(line, &flat);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c",
			  "exec \"$0\" info --json \"$P2P_FD\"", p2pctl), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	collect(&p, &rest);
	igt_assert_eq(rest.status, 0);
	json_flatten(r.out, &info);
	jexpect(&info, "provider", jget(&flat, "provider"));
	igt_assert_eq_u64(jnum(&info, "size"), 1 << 20);
	jexpect(&info, "placement", "\"bar\"");
	jexpect(&info, "pins", "0");
	jexpect(&info, "attachments", "[0]");
	chunks_of(&flat, &printed);
	expect_chunks(&info, "", &printed);
	jexpect(&info, "counters.migrations_to_system", "0");
}

/* connect with a server that is not p2pctl: this test sends the fd. */
static void test_connect(const struct p2p_machine *m)
{
	static struct result r, helper_flat;
	static struct query q;
	const uint64_t size = 1 << 20;
	char path[108];
	int dev, fd;
	uint8_t *map;
	pid_t server;

	dev = p2p_open();
	fd = alloc_buf(dev, &m->vram, size);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	igt_assert(map != MAP_FAILED);
	p2p_fill_pattern(map, size, 0xc011);
	query(dev, fd, &q);

	sock_path(path, sizeof(path), "client");
	server = serve_once(path, fd);
	igt_assert_eq(run_env(&helper_flat, HELPER_ENV "=query", "connect",
			      path, "--", self, NULL), 0);
	reap(server, path);
	igt_assert_f(!helper_flat.err[0], "stderr: %s\n", helper_flat.err);
	/* The same buffer: its chunks, and the bytes this test wrote. */
	igt_assert_eq_u64(jnum(&helper_flat, "crc"), p2p_crc32(map, size));
	igt_assert_eq_u64(jnum(&helper_flat, "size"), size);
	igt_assert_eq_u64(jnum(&helper_flat, "cloexec"), 0);
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
	static struct result r;
	char want[512];

	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "12Q"), 2);
	expect_err(&r, "p2pctl: alloc: bad size '12Q' (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "0"), 2);
	expect_err(&r, "p2pctl: alloc: bad size '0' (must not be 0) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "16E"), 2);
	expect_err(&r, "p2pctl: alloc: bad size '16E' (too large) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "-4K"), 2);
	expect_err(&r, "p2pctl: alloc: bad size '-4K' (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--size", "4K"), 2);
	expect_err(&r, "p2pctl: alloc: missing --provider (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr), 2);
	expect_err(&r, "p2pctl: alloc: missing --size (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", "vram", "--size", "4K"), 2);
	expect_err(&r, "p2pctl: alloc: 'vram' is not a PCI address (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "sh"), 2);
	expect_err(&r, "p2pctl: alloc: unexpected argument 'sh' (a command goes after --) (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--"), 2);
	expect_err(&r, "p2pctl: alloc: missing CMD after -- (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", "/tmp/x", "--", "true"), 2);
	expect_err(&r, "p2pctl: alloc: --serve and -- CMD do not go together (see 'p2pctl alloc --help')\n");
	igt_assert_eq(run(&r, "alloc", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: alloc: bad option (see 'p2pctl alloc --help')\n"));

	/* The kernel's refusals, with the PCI address; CMD never runs. */
	igt_assert_eq(run(&r, "alloc", "--provider", "0000:ff:1f.7", "--size",
			  "4K", "--", "sh", "-c", "echo ran"), 1);
	expect_err(&r, "p2pctl: alloc: 4K on 0000:ff:1f.7: no such PCI function: No such device (ENODEV)\n");
	igt_assert_eq(run(&r, "alloc", "--provider", m->nvme[2].pci.addr,
			  "--size", "4K", "--", "sh", "-c", "echo ran"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: 4K on %s: it publishes no P2PDMA memory (see 'p2pctl list'): No such device or address (ENXIO)\n",
		 m->nvme[2].pci.addr);
	expect_err(&r, want);
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
	static struct result r, second;
	char path[108], line[4096], want[512], longpath[200];
	struct proc p;
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
	expect_err(&r, want);
	igt_assert(!stat(path, &st) && S_ISREG(st.st_mode));
	unlink(path);

	/* Another alloc serves there: refused, and that one still works. */
	spawn_p2pctl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		     "4K", "--serve", path, NULL);
	read_line(&p, line, sizeof(line));
	igt_assert_eq(run(&second, "alloc", "--provider", m->vram.addr,
			  "--size", "4K", "--serve", path), 1);
	expect_err(&second, want);
	fd = recv_fd(path);
	igt_assert_fd(fd);
	close(fd);
	collect(&p, &r);
	igt_assert_eq(r.status, 0);

	/* No such directory; a path too long for a unix socket. */
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", "/tmp/p2pctl-no-such-dir/s"), 1);
	expect_err(&r, "p2pctl: alloc: socket /tmp/p2pctl-no-such-dir/s: No such file or directory (ENOENT)\n");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	igt_assert_eq(run(&r, "alloc", "--provider", m->vram.addr, "--size",
			  "4K", "--serve", longpath), 2);
	snprintf(want, sizeof(want),
		 "p2pctl: alloc: bad socket path '%s' (1 to 107 bytes) (see 'p2pctl alloc --help')\n",
		 longpath);
	expect_err(&r, want);

	/* Stopped before anyone came: the socket goes too. */
	spawn_p2pctl(&p, NULL, "alloc", "--provider", m->vram.addr, "--size",
		     "4K", "--serve", path, NULL);
	read_line(&p, line, sizeof(line));
	igt_assert_eq(kill(p.pid, SIGTERM), 0);
	collect(&p, &r);
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
	static struct result r;
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
	expect_err(&r, want);

	/* No fd at all. */
	server = serve_once(path, -1);
	igt_assert_eq(run(&r, "connect", path, "--", "sh", "-c", "echo ran"),
		      1);
	reap(server, path);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: %s: no fd received: Protocol error (EPROTO)\n",
		 path);
	expect_err(&r, want);

	/* Nobody there, or a socket nobody listens on. */
	igt_assert_eq(run(&r, "connect", path, "--", "true"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: connect to %s: No such file or directory (ENOENT)\n",
		 path);
	expect_err(&r, want);
	s = sock_listen(path);
	close(s);
	igt_assert_eq(run(&r, "connect", path, "--", "true"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: connect: connect to %s: Connection refused (ECONNREFUSED)\n",
		 path);
	expect_err(&r, want);
	unlink(path);

	igt_assert_eq(run(&r, "connect"), 2);
	expect_err(&r, "p2pctl: connect: missing SOCKET (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path), 2);
	expect_err(&r, "p2pctl: connect: missing -- CMD (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path, "--"), 2);
	expect_err(&r, "p2pctl: connect: missing -- CMD (see 'p2pctl connect --help')\n");
	igt_assert_eq(run(&r, "connect", path, "extra", "--", "true"), 2);
	expect_err(&r, "p2pctl: connect: unexpected argument 'extra' (see 'p2pctl connect --help')\n");
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
		find_p2pctl();
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
