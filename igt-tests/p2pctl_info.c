// SPDX-License-Identifier: MIT
/*
 * p2pctl info, migrate and stats against the ground truth: every field
 * against DMA_BUF_P2P_IOC_QUERY issued by this test, buffers held by this
 * test or by another process, data through the buffer's mmap and in the
 * host's VRAM file across moves, the counters against debugfs; and every
 * error path with its exit status and message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_json.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl info, migrate and stats report what the kernel "
		     "knows of a buffer and its counters, move buffers with "
		     "their data, and fail with the documented status and "
		     "message.");

#define DEBUGFS		"/sys/kernel/debug"

/* ---- arguments ---- */

/* p2pctl ARGS...: its exit status. */
#define run(r, ...) p2pctl_run(r, __VA_ARGS__)

/* A number as a command-line argument; a few live at once. */
static const char *num(long long v)
{
	static char buf[8][24];
	static int next;
	char *s = buf[next++ % 8];

	snprintf(s, sizeof(buf[0]), "%lld", v);
	return s;
}

/* ---- the kernel's view ---- */

static void pci_str(const struct dma_buf_p2p_pci_id *id, char *buf, size_t len)
{
	snprintf(buf, len, "\"%04x:%02x:%02x.%x\"", id->domain, id->bdf >> 8,
		 (id->bdf >> 3) & 0x1f, id->bdf & 7);
}

static const char *const mode_names[] = {
	[DMA_BUF_P2P_MODE_SYSTEM] = "\"system\"",
	[DMA_BUF_P2P_MODE_BUS] = "\"p2p-bus\"",
	[DMA_BUF_P2P_MODE_HOST_BRIDGE] = "\"p2p-host-bridge\"",
};

static const char *const reason_names[] = {
	[DMA_BUF_P2P_REASON_NONE] = "\"none\"",
	[DMA_BUF_P2P_REASON_NO_PEER2PEER] = "\"importer-needs-pages\"",
	[DMA_BUF_P2P_REASON_NOT_PCI] = "\"importer-not-pci\"",
	[DMA_BUF_P2P_REASON_NO_PATH] = "\"no-p2p-path\"",
};

/* info --json of fd @fd (of process @pid, 0 for its own) is exactly @q. */
static void expect_info(const struct p2p_json *flat, const struct p2p_query *q,
			int fd, int pid)
{
	const struct dma_buf_p2p_query *k = &q->q;
	char want[64];

	p2p_json_expect(flat, "{9}", "%s", "");
	p2p_json_expect_u64(flat, "fd", fd);
	p2p_json_expect(flat, pid ? num(pid) : "null", "pid");
	pci_str(&k->provider, want, sizeof(want));
	p2p_json_expect(flat, want, "provider");
	p2p_json_expect_u64(flat, "size", k->size);
	p2p_json_expect(flat, k->placement == DMA_BUF_P2P_PLACEMENT_BAR ?
			"\"bar\"" : "\"system\"", "placement");
	p2p_json_expect_u64(flat, "pins", k->pin_count);

	snprintf(want, sizeof(want), "[%u]", k->nr_attachments);
	p2p_json_expect(flat, want, "attachments");
	for (uint32_t i = 0; i < k->nr_attachments; i++) {
		const struct dma_buf_p2p_attach_info *a = &q->att[i];

		igt_assert_lt(a->mode, 3);
		igt_assert_lt(a->reason, 4);
		p2p_json_expect(flat, "{6}", "attachments.%u", i);
		snprintf(want, sizeof(want), "\"%s\"", a->device);
		p2p_json_expect(flat, want, "attachments.%u.device", i);
		if (a->pci.domain == UINT32_MAX)
			snprintf(want, sizeof(want), "null");
		else
			pci_str(&a->pci, want, sizeof(want));
		p2p_json_expect(flat, want, "attachments.%u.pci", i);
		p2p_json_expect(flat, mode_names[a->mode],
				"attachments.%u.mode", i);
		p2p_json_expect(flat, reason_names[a->reason],
				"attachments.%u.reason", i);
		p2p_json_expect(flat, a->flags & DMA_BUF_P2P_ATTACH_DYNAMIC ?
				"true" : "false", "attachments.%u.dynamic", i);
		p2p_json_expect(flat, a->flags & DMA_BUF_P2P_ATTACH_MAPPED ?
				"true" : "false", "attachments.%u.mapped", i);
	}

	snprintf(want, sizeof(want), "[%u]", k->nr_chunks);
	p2p_json_expect(flat, want, "chunks");
	for (uint32_t i = 0; i < k->nr_chunks; i++) {
		p2p_json_expect(flat, num(q->chunks[i].bar_offset),
				"chunks.%u.bar_offset", i);
		p2p_json_expect(flat, num(q->chunks[i].size), "chunks.%u.size",
				i);
	}

	p2p_json_expect(flat, "{6}", "counters");
	p2p_json_expect_u64(flat, "counters.migrations_to_system",
			    k->migrations_to_system);
	p2p_json_expect_u64(flat, "counters.migrations_to_bar",
			    k->migrations_to_bar);
	p2p_json_expect_u64(flat, "counters.bytes_copied", k->bytes_copied);
	p2p_json_expect_u64(flat, "counters.maps_bus", k->maps_bus);
	p2p_json_expect_u64(flat, "counters.maps_host_bridge",
			    k->maps_host_bridge);
	p2p_json_expect_u64(flat, "counters.maps_system", k->maps_system);
}

/* info --json FD, QUERY right before and after (which must agree). */
static void check_info(int dev, int fd, const char *fd_arg, const char *pid,
		       int shown_fd, struct p2p_query *q)
{
	static struct p2p_result r;
	static struct p2p_json flat;
	static struct p2p_query after;

	p2p_query(dev, fd, q);
	if (pid)
		igt_assert_eq(run(&r, "info", "--json", "--pid", pid, "--fd",
				  fd_arg), 0);
	else
		igt_assert_eq(run(&r, "info", "--json", fd_arg), 0);
	p2p_query(dev, fd, &after);
	after.q.attachments = q->q.attachments;
	after.q.chunks = q->q.chunks;
	igt_assert_f(!memcmp(&q->q, &after.q, sizeof(q->q)) &&
		     !memcmp(q->att, after.att,
			     q->q.nr_attachments * sizeof(q->att[0])) &&
		     !memcmp(q->chunks, after.chunks,
			     q->q.nr_chunks * sizeof(q->chunks[0])),
		     "the buffer changed while p2pctl looked at it\n");
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	igt_info("info --json: %s", r.out);
	p2p_json_parse(&flat, r.out);
	expect_info(&flat, q, shown_fd, pid ? atoi(pid) : 0);
}

/* A vgem dumb buffer's dma-buf: another exporter's. */
static int vgem_dmabuf(int vgem)
{
	struct drm_mode_create_dumb c = { .width = 64, .height = 64, .bpp = 32 };
	int fd;

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	fd = prime_handle_to_fd(vgem, c.handle);
	/* p2pctl inherits it. */
	igt_assert_eq(fcntl(fd, F_SETFD, 0), 0);
	return fd;
}

/* Reads 4 KiB of NVMe @serial into @fd: its driver attaches (p2p-importer). */
static void nvme_read(const char *serial, int fd)
{
	struct blk_dmabuf_rw rw = {
		.dmabuf_fd = fd,
		.length = 4096,
	};
	char name[64], path[80];
	int bdev;

	igt_assert_f(p2p_block_by_serial(serial, name, sizeof(name)),
		     "no disk with serial %s\n", serial);
	snprintf(path, sizeof(path), "/dev/%s", name);
	bdev = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(bdev);
	igt_assert_f(!ioctl(bdev, BLKDMABUFRW, &rw), "read %s: %m\n", path);
	close(bdev);
}

/*
 * Another process holding @fd as its fd @as (and /dev/null as @as + 1),
 * until release_holder().
 */
struct holder {
	pid_t pid;
	int pipe;
};

static void start_holder(struct holder *h, int fd, int as)
{
	int p[2];

	igt_assert_eq(pipe2(p, O_CLOEXEC), 0);
	h->pid = fork();
	igt_assert(h->pid >= 0);
	if (!h->pid) {
		char c;
		int null = open("/dev/null", O_RDONLY);

		close(p[1]);
		if (dup2(fd, as) != as || dup2(null, as + 1) != as + 1)
			_exit(1);
		close(fd);
		close(null);
		/* Until the test closes its end. */
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	h->pipe = p[1];
}

static void release_holder(struct holder *h)
{
	int status;

	close(h->pipe);
	igt_assert_eq(waitpid(h->pid, &status, 0), h->pid);
	igt_assert(WIFEXITED(status) && !WEXITSTATUS(status));
}

/* ---- info ---- */

static void test_info_json(int dev, const struct p2p_machine *m)
{
	const size_t size = 6 << 20;
	struct p2p_query q;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert(q.q.nr_chunks >= 1);

	/* Counters that move, a buffer in system memory, and back. */
	p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(q.q.nr_chunks, 0);
	p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	igt_assert_eq_u64(q.q.bytes_copied, 2 * size);
	close(fd);

	/* The NVMe CMB, the other provider. */
	fd = p2p_alloc(dev, &m->nvme[0].pci, 1 << 20, O_RDWR);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	close(fd);
}

static void test_info_text(int dev, const struct p2p_machine *m, int vgem)
{
	static struct p2p_result r;
	char want[2048], *at;
	struct p2p_query q;
	uint32_t handle;
	int fd;

	fd = p2p_alloc(dev, &m->vram, 2 << 20, O_RDWR);
	p2p_query(dev, fd, &q);
	igt_assert_eq(run(&r, "info", num(fd)), 0);
	igt_assert_f(!r.err[0], "stderr: %s\n", r.err);
	igt_info("info:\n%s", r.out);
	snprintf(want, sizeof(want),
		 "Buffer (fd %d)\n"
		 "  provider   %s\n"
		 "  size       2M (2097152 bytes)\n"
		 "  placement  bar\n"
		 "  pins       0\n"
		 "Attachments\n"
		 "  (none)\n"
		 "Chunks\n"
		 "  BAR-OFFSET         SIZE\n", fd, m->vram.addr);
	igt_assert_f(!strncmp(r.out, want, strlen(want)),
		     "got:\n%s\nexpected it to start with:\n%s\n", r.out, want);
	at = r.out + strlen(want);
	for (uint32_t i = 0; i < q.q.nr_chunks; i++) {
		snprintf(want, sizeof(want), "  0x%-16llx ",
			 (unsigned long long)q.chunks[i].bar_offset);
		igt_assert_f(!strncmp(at, want, strlen(want)),
			     "chunk %u: got '%s', expected '%s'\n", i, at, want);
		at = strchr(at, '\n') + 1;
	}
	snprintf(want, sizeof(want), "Counters\n"
		 "  %-21s 0\n  %-21s 0\n  %-21s 0\n"
		 "  %-21s 0\n  %-21s 0\n  %-21s 0\n",
		 "migrations-to-system", "migrations-to-bar", "bytes-copied",
		 "maps-bus", "maps-host-bridge", "maps-system");
	igt_assert_f(!strcmp(at, want), "counters: '%s'\n", at);

	/* vgem: an attachment without PCI, in system memory, pinned. */
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq(run(&r, "info", num(fd)), 0);
	igt_info("info:\n%s", r.out);
	snprintf(want, sizeof(want),
		 "  placement  system\n"
		 "  pins       %u\n"
		 "Attachments\n"
		 "  %-20s %-13s %-16s %-21s %-7s %s\n"
		 "  %-20s %-13s %-16s %-21s %-7s %s\n"
		 "Chunks\n"
		 "  (none: in system memory)\n"
		 "Counters\n"
		 "  migrations-to-system  1\n", q.q.pin_count,
		 "DEVICE", "PCI", "MODE", "REASON", "DYNAMIC", "MAPPED",
		 q.att[0].device, "-", "system", "importer-needs-pages", "no",
		 "yes");
	igt_assert_eq_u32(q.q.nr_attachments, 1);
	igt_assert_f(strstr(r.out, want), "got:\n%s\nexpected:\n%s\n", r.out,
		     want);
	snprintf(want, sizeof(want), "  %-21s %llu\n", "maps-system",
		 (unsigned long long)q.q.maps_system);
	igt_assert_f(strstr(r.out, want), "no '%s'\n", want);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	close(fd);
}

static void test_info_attachments(int dev, const struct p2p_machine *m,
				  int vgem)
{
	uint32_t path, dist, handle;
	struct p2p_query q;
	bool found = false;
	int fd;

	/* An NVMe controller that reaches the BAR, through the importer. */
	fd = p2p_alloc(dev, &m->vram, 1 << 20, O_RDWR);
	nvme_read(m->nvme[1].serial, fd);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	p2p_expected_path(&m->vram, &m->nvme[1].pci, m->host_bridge_p2p,
			  &path, &dist);
	for (uint32_t i = 0; i < q.q.nr_attachments; i++) {
		if (strcmp(q.att[i].device, m->nvme[1].pci.addr))
			continue;
		found = true;
		igt_assert_eq_u32(q.att[i].pci.bdf, m->nvme[1].pci.id.bdf);
		igt_assert_eq_u32(q.att[i].mode, path);
		igt_assert(q.att[i].flags & DMA_BUF_P2P_ATTACH_DYNAMIC);
	}
	igt_assert_f(found, "no attachment of %s\n", m->nvme[1].pci.addr);
	close(fd);

	/* vgem needs pages: system memory, pinned, and why. */
	fd = p2p_alloc(dev, &m->vram, 1 << 20, O_RDWR);
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	check_info(dev, fd, num(fd), NULL, fd, &q);
	igt_assert_eq_u32(q.q.nr_attachments, 1);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(q.att[0].reason, DMA_BUF_P2P_REASON_NO_PEER2PEER);
	igt_assert(q.q.pin_count >= 1);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	close(fd);
}

static void test_info_other_process(int dev, const struct p2p_machine *m)
{
	static struct p2p_result r;
	char want[256], pid[16];
	struct holder h;
	struct p2p_query q;
	int fd;

	fd = p2p_alloc(dev, &m->vram, 3 << 20, O_RDWR);
	p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	start_holder(&h, fd, 100);
	snprintf(pid, sizeof(pid), "%d", (int)h.pid);
	check_info(dev, fd, "100", pid, 100, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);

	igt_assert_eq(run(&r, "info", "--pid", pid, "--fd", "100"), 0);
	snprintf(want, sizeof(want), "Buffer (fd 100 of process %s)\n", pid);
	igt_assert_f(!strncmp(r.out, want, strlen(want)), "got '%s'\n", r.out);

	/* Its fd 101 is /dev/null, 102 is not open. */
	igt_assert_eq(run(&r, "info", "--pid", pid, "--fd", "101"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd 101 of process %s (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n",
		 pid);
	p2p_expect_err(&r, want);
	igt_assert_eq(run(&r, "info", "--pid", pid, "--fd", "102"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd 102 of process %s: Bad file descriptor (EBADF)\n",
		 pid);
	p2p_expect_err(&r, want);
	release_holder(&h);

	/* Gone now. */
	igt_assert_eq(run(&r, "info", "--pid", pid, "--fd", "100"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: process %s: No such process (ESRCH)\n", pid);
	p2p_expect_err(&r, want);
	close(fd);
}

static void test_info_errors(int dev, const struct p2p_machine *m, int vgem)
{
	static struct p2p_result r;
	char want[256], exp[64];
	int null, other, closed, fd;

	igt_assert_eq(run(&r, "info"), 2);
	p2p_expect_err(&r, "p2pctl: info: no buffer: give FD or --pid PID --fd N (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "abc"), 2);
	p2p_expect_err(&r, "p2pctl: info: 'abc' is not a file descriptor number (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "3", "4"), 2);
	p2p_expect_err(&r, "p2pctl: info: unexpected argument '4' (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "--pid", "1"), 2);
	p2p_expect_err(&r, "p2pctl: info: --pid and --fd go together (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "--fd", "3"), 2);
	p2p_expect_err(&r, "p2pctl: info: --pid and --fd go together (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "3", "--pid", "1", "--fd", "3"), 2);
	p2p_expect_err(&r, "p2pctl: info: give FD or --pid PID --fd N, not both (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "--pid", "x1", "--fd", "3"), 2);
	p2p_expect_err(&r, "p2pctl: info: 'x1' is not a process id (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "--pid", "1", "--fd", "-3"), 2);
	p2p_expect_err(&r, "p2pctl: info: '-3' is not a file descriptor number (see 'p2pctl info --help')\n");
	igt_assert_eq(run(&r, "info", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: info: bad option (see 'p2pctl info --help')\n"));
	igt_assert_eq(run(&r, "info", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl info [--json] FD"));
	igt_assert(strstr(r.out, "JSON keys:"));
	igt_assert(strstr(r.out, "Exit status:"));

	/* Closed, not a dma-buf, another exporter's dma-buf. */
	closed = p2p_closed_fd();
	igt_assert_eq(run(&r, "info", num(closed)), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd %d: Bad file descriptor (EBADF)\n", closed);
	p2p_expect_err(&r, want);

	null = open("/dev/null", O_RDONLY);
	igt_assert_fd(null);
	igt_assert_eq(run(&r, "info", num(null)), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd %d (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n",
		 null);
	p2p_expect_err(&r, want);
	close(null);

	other = vgem_dmabuf(vgem);
	p2p_dmabuf_exporter(other, exp, sizeof(exp));
	igt_assert_eq(run(&r, "info", "--json", num(other)), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd %d: a dma-buf of %s, not of dma-buf-p2p: Operation not supported (EOPNOTSUPP)\n",
		 other, exp);
	p2p_expect_err(&r, want);
	close(other);

	/* A CLOEXEC fd of ours does not reach p2pctl: not open there. */
	fd = p2p_alloc(dev, &m->vram, 4096, O_RDWR);
	igt_assert_eq(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	igt_assert_eq(run(&r, "info", num(fd)), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: info: fd %d: Bad file descriptor (EBADF)\n", fd);
	p2p_expect_err(&r, want);
	close(fd);
}

/* ---- migrate ---- */

/* "fd N: moved SIZE from A to B in X ms (RATE/s)\nplacement: B\n" */
static void expect_moved(const struct p2p_result *r, const char *name,
			 const char *size, const char *from, const char *to)
{
	char want[256];
	const char *p;
	double ms;

	igt_assert_f(!r->err[0], "stderr: %s\n", r->err);
	snprintf(want, sizeof(want), "%s: moved %s from %s to %s in ", name,
		 size, from, to);
	igt_assert_f(!strncmp(r->out, want, strlen(want)),
		     "got '%s', expected '%s...'\n", r->out, want);
	p = r->out + strlen(want);
	igt_assert_f(sscanf(p, "%lf ms (", &ms) == 1 && ms >= 0,
		     "no time in '%s'\n", r->out);
	p = strstr(p, " ms (");
	igt_assert(p);
	snprintf(want, sizeof(want), "/s)\nplacement: %s\n", to);
	igt_assert_f(strstr(p, want) && !strcmp(strstr(p, want), want),
		     "got '%s'\n", r->out);
}

static void test_migrate_round_trip(int dev, const struct p2p_machine *m)
{
	static struct p2p_result r;
	const size_t size = 4 << 20;
	char name[32], want[128];
	struct p2p_query q;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR);
	snprintf(name, sizeof(name), "fd %d", fd);
	p = p2p_map(fd, size);
	p2p_fill_pattern(p, size, 0x1a1a);

	/* To system memory: the same mapping reads the same bytes. */
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "system"), 0);
	igt_info("migrate: %s", r.out);
	expect_moved(&r, name, "4M", "bar", "system");
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);
	igt_assert_eq_u64(q.q.bytes_copied, size);
	p2p_check_pattern(p, size, 0x1a1a, "after the move to system memory");

	/* Again: nothing to do. */
	igt_assert_eq(run(&r, "migrate", "--to", "system", num(fd)), 0);
	snprintf(want, sizeof(want),
		 "%s: already in system, nothing moved\nplacement: system\n",
		 name);
	igt_assert_f(!strcmp(r.out, want), "got '%s'\n", r.out);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);

	/* Written in system memory; back in the BAR and its file. */
	p2p_fill_pattern(p, size, 0x2b2b);
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "bar"), 0);
	expect_moved(&r, name, "4M", "system", "bar");
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_bar, 1);
	igt_assert_eq_u64(q.q.bytes_copied, 2 * size);
	p2p_check_pattern(p, size, 0x2b2b, "after the move back to the BAR");
	p2p_check_vram_pattern(m, &q, 0x2b2b);

	munmap(p, size);
	close(fd);
}

static void test_migrate_json_pid(int dev, const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json flat;
	const size_t size = 2 << 20;
	char pid[16], name[48];
	struct holder h;
	struct p2p_query q;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR);
	p = p2p_map(fd, size);
	p2p_fill_pattern(p, size, 0x3c3c);
	start_holder(&h, fd, 77);
	snprintf(pid, sizeof(pid), "%d", (int)h.pid);

	/* Another process's fd: the move is the buffer's. */
	igt_assert_eq(run(&r, "migrate", "--json", "--pid", pid, "--fd", "77",
			  "--to", "system"), 0);
	igt_info("migrate --json: %s", r.out);
	p2p_json_parse(&flat, r.out);
	p2p_json_expect(&flat, "{9}", "%s", "");
	p2p_json_expect(&flat, "77", "fd");
	p2p_json_expect(&flat, pid, "pid");
	p2p_json_expect(&flat, "\"bar\"", "from");
	p2p_json_expect(&flat, "\"system\"", "to");
	p2p_json_expect(&flat, "\"system\"", "placement");
	p2p_json_expect(&flat, "true", "moved");
	p2p_json_expect_u64(&flat, "size", size);
	igt_assert(p2p_json_double(&flat, "seconds") >= 0);
	igt_assert(strtoull(p2p_json_text(&flat, "bytes_per_second"), NULL,
			   10) > 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	p2p_check_pattern(p, size, 0x3c3c,
			  "moved through another process's fd");

	snprintf(name, sizeof(name), "fd 77 of process %s", pid);
	igt_assert_eq(run(&r, "migrate", "--pid", pid, "--fd", "77", "--to",
			  "bar"), 0);
	expect_moved(&r, name, "2M", "system", "bar");
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_check_vram_pattern(m, &q, 0x3c3c);
	release_holder(&h);

	/* Not moved: JSON says so. */
	igt_assert_eq(run(&r, "migrate", "--json", num(fd), "--to", "bar"), 0);
	p2p_json_parse(&flat, r.out);
	p2p_json_expect(&flat, num(fd), "fd");
	p2p_json_expect(&flat, "null", "pid");
	p2p_json_expect(&flat, "false", "moved");
	p2p_json_expect(&flat, "\"bar\"", "from");
	p2p_json_expect(&flat, "\"bar\"", "placement");
	p2p_json_expect(&flat, "null", "bytes_per_second");

	munmap(p, size);
	close(fd);
}

static void test_migrate_errors(int dev, const struct p2p_machine *m,
				int vgem)
{
	static struct p2p_result r;
	char want[256], exp[64];
	uint32_t handle;
	struct p2p_query q;
	int fd, null, other, closed;

	fd = p2p_alloc(dev, &m->vram, 1 << 20, O_RDWR);

	igt_assert_eq(run(&r, "migrate", num(fd)), 2);
	p2p_expect_err(&r, "p2pctl: migrate: missing --to bar|system (see 'p2pctl migrate --help')\n");
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "vram"), 2);
	p2p_expect_err(&r, "p2pctl: migrate: --to 'vram': bar or system (see 'p2pctl migrate --help')\n");
	igt_assert_eq(run(&r, "migrate", "--to", "bar"), 2);
	p2p_expect_err(&r, "p2pctl: migrate: no buffer: give FD or --pid PID --fd N (see 'p2pctl migrate --help')\n");
	igt_assert_eq(run(&r, "migrate", "x", "--to", "bar"), 2);
	p2p_expect_err(&r, "p2pctl: migrate: 'x' is not a file descriptor number (see 'p2pctl migrate --help')\n");
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "bar", "extra"), 2);
	p2p_expect_err(&r, "p2pctl: migrate: unexpected argument 'extra' (see 'p2pctl migrate --help')\n");
	igt_assert_eq(run(&r, "migrate", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: migrate: bad option (see 'p2pctl migrate --help')\n"));
	igt_assert_eq(run(&r, "migrate", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl migrate [--json] FD --to bar|system"));
	igt_assert(strstr(r.out, "Exit status:"));

	/* Pinned in system memory by vgem: EBUSY, explained. */
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "bar"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: migrate: fd %d to bar: pinned, or a static importer that cannot reach the BAR is attached (%u pins, %u attachments): Device or resource busy (EBUSY)\n",
		 fd, q.q.pin_count, q.q.nr_attachments);
	p2p_expect_err(&r, want);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	igt_assert_eq(run(&r, "migrate", num(fd), "--to", "bar"), 0);

	closed = p2p_closed_fd();
	igt_assert_eq(run(&r, "migrate", num(closed), "--to", "bar"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: migrate: fd %d: Bad file descriptor (EBADF)\n", closed);
	p2p_expect_err(&r, want);

	null = open("/dev/null", O_RDONLY);
	igt_assert_fd(null);
	igt_assert_eq(run(&r, "migrate", num(null), "--to", "system"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: migrate: fd %d (/dev/null): not a dma-buf: Invalid argument (EINVAL)\n",
		 null);
	p2p_expect_err(&r, want);
	close(null);

	other = vgem_dmabuf(vgem);
	p2p_dmabuf_exporter(other, exp, sizeof(exp));
	igt_assert_eq(run(&r, "migrate", num(other), "--to", "system"), 1);
	snprintf(want, sizeof(want),
		 "p2pctl: migrate: fd %d: a dma-buf of %s, not of dma-buf-p2p: Operation not supported (EOPNOTSUPP)\n",
		 other, exp);
	p2p_expect_err(&r, want);
	close(other);
	close(fd);
}

/* ---- stats ---- */

#define MAX_PROV	8
#define MAX_KEYS	16

struct kv {
	int n;
	char key[MAX_KEYS][48];
	long long val[MAX_KEYS];
};

struct stats {
	int nprov, ncols;
	char pci[MAX_PROV][32];
	char col[MAX_KEYS][48];
	long long prov[MAX_PROV][MAX_KEYS];
	struct kv imp, blk;
};

static void read_kv(const char *path, struct kv *kv)
{
	char line[256];
	FILE *f = fopen(path, "re");

	igt_assert_f(f, "%s: %m\n", path);
	kv->n = 0;
	while (fgets(line, sizeof(line), f)) {
		igt_assert(kv->n < MAX_KEYS);
		igt_assert_eq(sscanf(line, "%47s %lld", kv->key[kv->n],
				     &kv->val[kv->n]), 2);
		kv->n++;
	}
	fclose(f);
}

static void read_stats(struct stats *s)
{
	char line[1024], *tok, *save;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(DEBUGFS "/dma-buf-p2p/providers", "re");
	igt_assert_f(f, "providers: %m\n");
	igt_assert(fgets(line, sizeof(line), f));
	tok = strtok_r(line, " \n", &save);
	igt_assert(tok && !strcmp(tok, "provider"));
	while ((tok = strtok_r(NULL, " \n", &save))) {
		igt_assert(s->ncols < MAX_KEYS);
		snprintf(s->col[s->ncols++], sizeof(s->col[0]), "%s", tok);
	}
	while (fgets(line, sizeof(line), f)) {
		int c = 0;

		igt_assert(s->nprov < MAX_PROV);
		tok = strtok_r(line, " \n", &save);
		snprintf(s->pci[s->nprov], sizeof(s->pci[0]), "%s", tok);
		while ((tok = strtok_r(NULL, " \n", &save))) {
			igt_assert(c < s->ncols);
			s->prov[s->nprov][c++] = strtoll(tok, NULL, 10);
		}
		igt_assert_eq(c, s->ncols);
		s->nprov++;
	}
	fclose(f);
	read_kv(DEBUGFS "/dma-buf-p2p-import/stats", &s->imp);
	read_kv(DEBUGFS "/blk-dmabuf/stats", &s->blk);
}

static const char *json_name(const char *name)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s", name);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
	return buf;
}

/* Index of provider @pci in stats --json. */
static int json_provider(const struct p2p_json *flat, const char *pci)
{
	char want[40];

	snprintf(want, sizeof(want), "\"%s\"", pci);
	for (int i = 0; p2p_json_get(flat, "providers.%d", i); i++) {
		const char *v = p2p_json_get(flat, "providers.%d.pci", i);

		if (v && !strcmp(v, want))
			return i;
	}
	igt_assert_f(0, "provider %s not in stats --json\n", pci);
	return -1;
}

/* A counter at a path of stats --json. */
#define json_ll(flat, ...) ((long long)p2p_json_u64(flat, __VA_ARGS__))

static void expect_stats(const struct p2p_json *flat, const struct stats *s)
{
	char want[32], prev[40] = "";

	p2p_json_expect(flat, "{3}", "%s", "");
	snprintf(want, sizeof(want), "[%d]", s->nprov);
	p2p_json_expect(flat, want, "providers");
	for (int p = 0; p < s->nprov; p++) {
		int i = json_provider(flat, s->pci[p]);

		snprintf(want, sizeof(want), "{%d}", s->ncols + 1);
		p2p_json_expect(flat, want, "providers.%d", i);
		for (int c = 0; c < s->ncols; c++)
			igt_assert_eq_u64(json_ll(flat, "providers.%d.%s", i,
						  json_name(s->col[c])),
					  s->prov[p][c]);
	}
	/* Sorted by PCI address. */
	for (int i = 0; i < s->nprov; i++) {
		const char *v = p2p_json_get(flat, "providers.%d.pci", i);

		igt_assert(v);
		igt_assert_f(strcmp(prev, v) < 0, "%s before %s\n", prev, v);
		snprintf(prev, sizeof(prev), "%s", v);
	}
	snprintf(want, sizeof(want), "{%d}", s->imp.n);
	p2p_json_expect(flat, want, "import");
	for (int k = 0; k < s->imp.n; k++)
		igt_assert_eq_u64(json_ll(flat, "import.%s", s->imp.key[k]),
				  s->imp.val[k]);
	snprintf(want, sizeof(want), "{%d}", s->blk.n);
	p2p_json_expect(flat, want, "block");
	for (int k = 0; k < s->blk.n; k++)
		igt_assert_eq_u64(json_ll(flat, "block.%s", s->blk.key[k]),
				  s->blk.val[k]);
}

/*
 * stats (--json when @json) while the counters stand still, and debugfs
 * as it was meanwhile: imports of closed buffers end a second late.
 */
static void stable_stats(struct p2p_result *r, bool json, struct stats *s)
{
	static struct stats after;

	for (int tries = 0; tries < 10; tries++) {
		read_stats(s);
		if (json)
			igt_assert_eq(run(r, "stats", "--json"), 0);
		else
			igt_assert_eq(run(r, "stats"), 0);
		read_stats(&after);
		if (!memcmp(s, &after, sizeof(*s))) {
			igt_assert_f(!r->err[0], "stderr: %s\n", r->err);
			return;
		}
		usleep(500 * 1000);
	}
	igt_assert_f(0, "the debugfs counters never stood still\n");
}

static long long prov_col(const struct stats *s, const char *pci,
			  const char *col)
{
	for (int p = 0; p < s->nprov; p++) {
		if (strcmp(s->pci[p], pci))
			continue;
		for (int c = 0; c < s->ncols; c++)
			if (!strcmp(s->col[c], col))
				return s->prov[p][c];
	}
	igt_assert_f(0, "no %s of %s in debugfs\n", col, pci);
	return -1;
}

static long long kv_val(const struct kv *kv, const char *key)
{
	for (int k = 0; k < kv->n; k++)
		if (!strcmp(kv->key[k], key))
			return kv->val[k];
	igt_assert_f(0, "no %s in debugfs\n", key);
	return -1;
}

/* The lines of a text section: its title line and the indented ones. */
static const char *section(const char *out, const char *title)
{
	static char buf[4096];
	const char *start = strstr(out, title), *end;

	igt_assert_f(start && (start == out || start[-1] == '\n'),
		     "no section '%s' in:\n%s\n", title, out);
	end = strchr(start, '\n');
	while (end && !strncmp(end + 1, "  ", 2))
		end = strchr(end + 1, '\n');
	igt_assert(end && end - start + 2 < (long)sizeof(buf));
	memcpy(buf, start, end - start + 1);
	buf[end - start + 1] = '\0';
	return buf;
}

static void test_stats(int dev, const struct p2p_machine *m)
{
	static struct p2p_result r;
	static struct p2p_json before, after;
	static struct stats s0, s1, st;
	static const char *const prov_keys[] = {
		"allocs", "maps-bus", "maps-host-bridge", "maps-system",
		"migrations-to-system", "migrations-to-bar", "bytes-copied",
		"bytes-mapped-p2p",
	};
	static const char *const imp_keys[] = {
		"imports", "maps", "invalidations", "cpu_bytes",
	};
	static const char *const blk_keys[] = {
		"native_requests", "native_bytes", "bounce_bios",
		"bounce_bytes",
	};
	const size_t size = 1 << 20;
	char want[1024];
	int fd, i;

	stable_stats(&r, true, &s0);
	p2p_json_parse(&before, r.out);
	expect_stats(&before, &s0);
	/* Both providers; the documented keys, no others. */
	igt_assert_eq(s0.ncols, 8);
	i = json_provider(&before, m->vram.addr);
	for (size_t k = 0; k < 8; k++)
		igt_assert(p2p_json_get(&before, "providers.%d.%s", i,
					json_name(prov_keys[k])));
	json_provider(&before, m->nvme[0].pci.addr);
	for (size_t k = 0; k < 4; k++) {
		igt_assert(p2p_json_get(&before, "import.%s", imp_keys[k]));
		igt_assert(p2p_json_get(&before, "block.%s", blk_keys[k]));
	}

	/* The text form has the same numbers, every one of them. */
	stable_stats(&r, false, &st);
	igt_info("stats:\n%s", r.out);
	for (int p = 0; p < st.nprov; p++) {
		char title[64], *got;
		size_t used;

		snprintf(title, sizeof(title), "Provider %s\n", st.pci[p]);
		got = strdup(section(r.out, title));
		used = snprintf(want, sizeof(want), "%s", title);
		for (int c = 0; c < st.ncols; c++)
			used += snprintf(want + used, sizeof(want) - used,
					 "  %-21s %lld\n", st.col[c],
					 st.prov[p][c]);
		igt_assert_f(!strcmp(got, want), "got:\n%s\nexpected:\n%s\n",
			     got, want);
		free(got);
	}
	for (int t = 0; t < 2; t++) {
		const struct kv *kv = t ? &st.blk : &st.imp;
		const char *title = t ? "Block I/O (blk-dmabuf)\n" :
				    "Importer (dma-buf-p2p-import)\n";
		size_t used = snprintf(want, sizeof(want), "%s", title);

		for (int k = 0; k < kv->n; k++)
			used += snprintf(want + used, sizeof(want) - used,
					 "  %-21s %lld\n", kv->key[k],
					 kv->val[k]);
		igt_assert_f(!strcmp(section(r.out, title), want),
			     "got:\n%s\nexpected:\n%s\n",
			     section(r.out, title), want);
	}

	/* An allocation, a round trip and an NVMe read move them. */
	fd = p2p_alloc(dev, &m->vram, size, O_RDWR);
	p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
	nvme_read(m->nvme[1].serial, fd);
	stable_stats(&r, true, &s1);
	p2p_json_parse(&after, r.out);
	expect_stats(&after, &s1);
	i = json_provider(&after, m->vram.addr);
	igt_assert_eq(json_ll(&after, "providers.%d.allocs", i) -
		      prov_col(&s0, m->vram.addr, "allocs"), 1);
	igt_assert_eq(json_ll(&after, "providers.%d.migrations_to_system", i) -
		      prov_col(&s0, m->vram.addr, "migrations-to-system"), 1);
	igt_assert_eq(json_ll(&after, "providers.%d.migrations_to_bar", i) -
		      prov_col(&s0, m->vram.addr, "migrations-to-bar"), 1);
	igt_assert_eq(json_ll(&after, "providers.%d.bytes_copied", i) -
		      prov_col(&s0, m->vram.addr, "bytes-copied"),
		      2 * (long long)size);
	igt_assert_eq(json_ll(&after, "block.native_bytes") -
		      kv_val(&s0.blk, "native_bytes"), 4096);
	igt_assert(json_ll(&after, "block.native_requests") >
		   kv_val(&s0.blk, "native_requests"));
	igt_assert(json_ll(&after, "import.maps") > kv_val(&s0.imp, "maps"));
	close(fd);
}

static void leave_debugfs(void)
{
	/* Only in this child's own mount namespace. */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    umount2(DEBUGFS, MNT_DETACH)) {
		fprintf(stderr, "cannot unmount debugfs: %m\n");
		_exit(125);
	}
}

static void test_stats_errors(void)
{
	static const struct p2p_spawn no_debugfs = {
		.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
		.setup = leave_debugfs,
	};
	static struct p2p_result r;

	igt_assert_eq(run(&r, "stats", "extra"), 2);
	p2p_expect_err(&r, "p2pctl: stats: unexpected argument 'extra' (see 'p2pctl stats --help')\n");
	igt_assert_eq(run(&r, "stats", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: stats: bad option (see 'p2pctl stats --help')\n"));
	igt_assert_eq(run(&r, "stats", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl stats [--json]"));
	igt_assert(strstr(r.out, "JSON keys:"));
	igt_assert(strstr(r.out, "Exit status:"));

	igt_assert_eq(p2pctl_runl(&r, &no_debugfs, "stats", "--json", NULL), 1);
	p2p_expect_err(&r, "p2pctl: stats: " DEBUGFS "/dma-buf-p2p/providers (is debugfs mounted and dma-buf-p2p loaded?): No such file or directory (ENOENT)\n");
}

igt_main
{
	struct p2p_machine m;
	int dev = -1, vgem = -1;

	igt_fixture {
		p2p_machine_load(&m);
		p2pctl_find();
		dev = p2p_dev_open();
		vgem = drm_open_driver(DRIVER_VGEM);
	}

	igt_describe("info --json of an fd p2pctl inherits is one JSON object "
		     "with every field QUERY reports, on both providers, in "
		     "the BAR and in system memory, counters included.");
	igt_subtest("info-json-matches-query")
		test_info_json(dev, &m);

	igt_describe("info's tables: provider, size, placement, pins, "
		     "attachments, chunks and counters as QUERY reports them.");
	igt_subtest("info-text-matches-query")
		test_info_text(dev, &m, vgem);

	igt_describe("Attachments in info --json are QUERY's: an NVMe "
		     "controller through the importer (PCI address, mode of "
		     "the topology, dynamic) and vgem (no PCI, system memory "
		     "because it needs pages, mapped, pinned).");
	igt_subtest("info-attachments")
		test_info_attachments(dev, &m, vgem);

	igt_describe("info --pid --fd reads another process's fd (pidfd_getfd): "
		     "the same answer as QUERY, and EINVAL, EBADF and ESRCH "
		     "for what that process does not hold.");
	igt_subtest("info-other-process")
		test_info_other_process(dev, &m);

	igt_describe("info exits 2 on bad command lines and 1 with the errno "
		     "for closed fds (EBADF), fds that are no dma-buf (EINVAL) "
		     "and other exporters' dma-bufs (EOPNOTSUPP, naming it).");
	igt_subtest("info-errors")
		test_info_errors(dev, &m, vgem);

	igt_describe("migrate moves a buffer to system memory and back, says "
		     "where it is and how fast it went; the data stays intact "
		     "in the CPU mapping and reaches the VRAM file.");
	igt_subtest("migrate-round-trip")
		test_migrate_round_trip(dev, &m);

	igt_describe("migrate --json and --pid --fd: another process's buffer "
		     "moves, data intact, and the JSON tells what happened.");
	igt_subtest("migrate-json-and-pid")
		test_migrate_json_pid(dev, &m);

	igt_describe("migrate exits 2 on bad command lines (no --to) and 1 on "
		     "EBUSY (pinned by vgem: explained), EBADF, EINVAL and "
		     "EOPNOTSUPP.");
	igt_subtest("migrate-errors")
		test_migrate_errors(dev, &m, vgem);

	igt_describe("stats --json has every debugfs counter of the providers, "
		     "the importer and block I/O, with the documented keys; "
		     "the text agrees; an allocation, moves and an NVMe read "
		     "move them by what was done.");
	igt_subtest("stats-matches-debugfs")
		test_stats(dev, &m);

	igt_describe("stats exits 2 on bad command lines and 1 naming the file "
		     "when debugfs is not mounted.");
	igt_subtest("stats-errors")
		test_stats_errors();

	igt_fixture {
		close(vgem);
		close(dev);
	}
}
