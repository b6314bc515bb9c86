// SPDX-License-Identifier: MIT
/*
 * Who may do what.  /dev/dma-buf-p2p is mode 0660: root and its group
 * allocate, nobody else opens it.  A member of the group without
 * CAP_SYS_ADMIN learns nothing of where a buffer is (QUERY hides its BAR
 * chunks, debugfs is root's).  A buffer is reached only through its fd:
 * another user of the same group cannot take it from its owner (ptrace
 * rules for pidfd_getfd, /proc/PID/fd) with the ioctls or p2pctl.  And the
 * system memory that buffers moved out of their providers hold is capped
 * by max_system_bytes: a move past it fails with EDQUOT and keeps the
 * buffer's bytes, block I/O takes the bounce path instead, and a provider
 * going away still moves its buffers out.
 *
 * The users are made up (no passwd entries needed): each child process
 * drops to its uid and groups with setresuid() and setgroups().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("Only root and the device's group allocate; no BAR "
		     "address reaches a user without CAP_SYS_ADMIN; no user "
		     "reaches another's buffer without its fd; buffers moved "
		     "to system memory stay under max_system_bytes.");

#define MiB		((uint64_t)1 << 20)
#define BUF_SIZE	MiB

#define DEV_GID		4300	/* the device's group while the test runs */
#define UID_A		4301	/* a member of it */
#define UID_B		4302	/* another member */
#define UID_OUT		4303	/* not a member */
/* Where user A keeps its buffer's fd: never open in other processes. */
#define FD_A		200

#define DEBUGFS		"/sys/kernel/debug/dma-buf-p2p/"

struct env {
	struct p2p_machine m;
	int dev;
};

/* ------------------------------------------------------------------ */
/* Users                                                                */

/* This process becomes user @uid, in the device's group when @member. */
static void become(uid_t uid, bool member)
{
	gid_t group = DEV_GID;

	igt_assert_eq(setgroups(member ? 1 : 0, &group), 0);
	igt_assert_eq(setresgid(uid, uid, uid), 0);
	igt_assert_eq(setresuid(uid, uid, uid), 0);
	/*
	 * A change of credentials makes a process undumpable, which alone
	 * hides its /proc files and refuses ptrace to other users: undo it,
	 * so that only the uid protects the buffer below.
	 */
	igt_assert_eq(prctl(PR_SET_DUMPABLE, 1), 0);
	igt_assert_eq(geteuid(), uid);
}

static uid_t spawn_uid;
static bool spawn_member;

static void spawn_become(void)
{
	become(spawn_uid, spawn_member);
}

/* p2pctl ARGS... run as user @uid: its exit status, output in @r. */
#define p2pctl_as(r, uid, member, fmt, ...) ({ \
	struct p2p_spawn how_ = P2P_SPAWN_DEFAULT; \
	spawn_uid = (uid); \
	spawn_member = (member); \
	how_.setup = spawn_become; \
	p2pctl_runf(r, &how_, fmt, ##__VA_ARGS__); })

static void restore_dev_group(int sig)
{
	(void)sig;
	if (chown("/dev/dma-buf-p2p", 0, 0))
		igt_warn("cannot give /dev/dma-buf-p2p back to root: %m\n");
}

/* The device belongs to DEV_GID until the test ends. */
static void dev_to_group(void)
{
	igt_install_exit_handler(restore_dev_group);
	igt_assert_eq(chown("/dev/dma-buf-p2p", 0, DEV_GID), 0);
}

/* One-int messages between a test and its child. */
struct chan {
	int up[2];	/* child -> test */
	int down[2];	/* test -> child */
};

static void chan_open(struct chan *c)
{
	igt_assert_eq(pipe2(c->up, O_CLOEXEC), 0);
	igt_assert_eq(pipe2(c->down, O_CLOEXEC), 0);
}

static void chan_close(struct chan *c)
{
	for (int i = 0; i < 2; i++) {
		close(c->up[i]);
		close(c->down[i]);
	}
}

static void chan_send(int fd, int v)
{
	igt_assert_eq(write(fd, &v, sizeof(v)), sizeof(v));
}

static int chan_recv(int fd)
{
	int v;

	igt_assert_eq(read(fd, &v, sizeof(v)), sizeof(v));
	return v;
}

/* A duplicate of fd @target of process @pid, or -errno. */
static int take_fd(pid_t pid, int target)
{
	int pidfd, fd, err;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	igt_assert_f(pidfd >= 0, "pidfd_open(%d): %m\n", (int)pid);
	fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
	err = errno;
	close(pidfd);
	return fd >= 0 ? fd : -err;
}

/*
 * As user A (a member): a BUF_SIZE buffer in VRAM holding pattern @seed at
 * FD_A, then its pid to the test through @c; it lives until the test says.
 */
static void user_a_buffer(struct env *e, struct chan *c, uint64_t seed)
{
	int fd, dev;
	uint8_t *p;

	become(UID_A, true);
	dev = p2p_dev_open();
	fd = p2p_alloc(dev, &e->m.vram, BUF_SIZE, O_RDWR);
	igt_assert_eq(dup2(fd, FD_A), FD_A);
	close(fd);
	p = p2p_map(FD_A, BUF_SIZE);
	p2p_fill_pattern(p, BUF_SIZE, seed);
	chan_send(c->up[1], getpid());
	chan_recv(c->down[0]);
	/* Whatever the others tried, the bytes are A's. */
	p2p_check_pattern(p, BUF_SIZE, seed, "user A's buffer at the end");
	munmap(p, BUF_SIZE);
	close(FD_A);
	close(dev);
}

/*
 * Runs @fn as a second child while A lives, and waits for it alone (A
 * waits for the test's word): true when it got to its end.
 */
static bool run_beside_a(struct env *e, pid_t a,
			 void (*fn)(struct env *e, pid_t a))
{
	int done[2], v = 0;

	igt_assert_eq(pipe2(done, O_CLOEXEC), 0);
	igt_fork(child, 1) {
		fn(e, a);
		chan_send(done[1], 1);
	}
	/* Only the child holds the write end now: a failure reads EOF. */
	close(done[1]);
	if (read(done[0], &v, sizeof(v)) != sizeof(v))
		v = 0;
	close(done[0]);
	return v == 1;
}

/* User A (a child) with its buffer, once the device is the group's. */
static pid_t user_a_start(struct env *e, struct chan *c, uint64_t seed)
{
	dev_to_group();
	chan_open(c);
	igt_fork(child, 1)
		user_a_buffer(e, c, seed);
	return chan_recv(c->up[0]);
}

/* User A checks its bytes and goes. */
static void user_a_stop(struct chan *c)
{
	chan_send(c->down[1], 0);
	igt_waitchildren();
	chan_close(c);
}

/* Root takes A's buffer: its chunks in the VRAM file hold @seed. */
static void check_a_buffer(struct env *e, pid_t a, uint64_t seed)
{
	struct p2p_query q;
	int fd = take_fd(a, FD_A);

	igt_assert_f(fd >= 0, "root cannot take user A's fd: %s\n",
		     strerror(-fd));
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_lt(0, (int)q.q.nr_chunks);
	p2p_check_vram_pattern(&e->m, &q, seed);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Who may open the device                                              */

static void test_device_access(struct env *e)
{
	struct p2p_result r = { 0 };
	struct stat st;

	igt_assert_eq(stat("/dev/dma-buf-p2p", &st), 0);
	igt_assert(S_ISCHR(st.st_mode));
	igt_assert_f((st.st_mode & 07777) == 0660, "mode %04o\n",
		     st.st_mode & 07777);
	igt_assert_eq(st.st_uid, 0);
	dev_to_group();

	igt_fork(child, 1) {
		become(UID_OUT, false);
		igt_assert_eq(open("/dev/dma-buf-p2p", O_RDWR), -1);
		igt_assert_eq(errno, EACCES);
		igt_assert_eq(open("/dev/dma-buf-p2p", O_RDONLY), -1);
		igt_assert_eq(errno, EACCES);
	}
	igt_waitchildren();

	igt_fork(child, 1) {
		struct dma_buf_p2p_provider_info info[8];
		struct dma_buf_p2p_list_providers l = {
			.providers = (uintptr_t)info, .count = 8,
		};
		int dev, fd;
		uint8_t *p;

		become(UID_A, true);
		dev = p2p_dev_open();
		igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_LIST_PROVIDERS,
					&l), 0);
		igt_assert_lt(0, (int)l.count);
		fd = p2p_alloc(dev, &e->m.vram, BUF_SIZE, O_RDWR);
		p = p2p_map(fd, BUF_SIZE);
		p2p_fill_pattern(p, BUF_SIZE, 0x5ec1);
		p2p_check_pattern(p, BUF_SIZE, 0x5ec1, "a member's buffer");
		munmap(p, BUF_SIZE);
		close(fd);
		close(dev);
	}
	igt_waitchildren();

	/* p2pctl says why. */
	igt_assert_eq(p2pctl_as(&r, UID_OUT, false, "list"), 1);
	p2p_expect_err(&r, "p2pctl: list: open /dev/dma-buf-p2p (root and "
		       "its group only): Permission denied (EACCES)\n");
	igt_assert_eq(p2pctl_as(&r, UID_OUT, false, "alloc --provider %s "
				"--size 1M", e->m.vram.addr), 1);
	p2p_expect_err(&r, "p2pctl: alloc: open /dev/dma-buf-p2p (root and "
		       "its group only): Permission denied (EACCES)\n");
	igt_assert_eq(p2pctl_as(&r, UID_A, true, "alloc --provider %s "
				"--size 1M --quiet -- true", e->m.vram.addr),
		      0);
	p2p_result_fini(&r);
}

/* ------------------------------------------------------------------ */
/* No addresses without CAP_SYS_ADMIN                                   */

/* User A's other process: QUERY, debugfs and p2pctl show no address. */
static void member_sees_no_addresses(struct env *e, pid_t a)
{
	struct dma_buf_p2p_chunk_info chunks[4], untouched[4];
	struct dma_buf_p2p_query q = { .fd = FD_A };
	struct p2p_result r = { 0 };
	int dev, fd;

	(void)e;
	/* A itself, through another process of A's: same uid. */
	become(UID_A, true);
	fd = take_fd(a, FD_A);
	igt_assert_f(fd >= 0, "user A cannot take its own fd: %s\n",
		     strerror(-fd));
	igt_assert_eq(dup2(fd, FD_A), FD_A);
	dev = p2p_dev_open();
	memset(chunks, 0xa5, sizeof(chunks));
	memset(untouched, 0xa5, sizeof(untouched));
	q.chunks = (uintptr_t)chunks;
	q.nr_chunks = 4;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q), 0);
	igt_assert_eq_u64(q.size, BUF_SIZE);
	igt_assert_eq_u32(q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(q.nr_chunks, 0);
	igt_assert(!memcmp(chunks, untouched, sizeof(chunks)));

	igt_assert_eq(open(DEBUGFS "buffers", O_RDONLY), -1);
	igt_assert_eq(errno, EACCES);
	igt_assert_eq(open(DEBUGFS "providers", O_RDONLY), -1);
	igt_assert_eq(errno, EACCES);

	/* p2pctl says they are hidden, and prints no offset. */
	igt_assert_eq(p2pctl_runf(&r, NULL, "info %d", FD_A), 0);
	igt_assert_f(strstr(r.out, "Chunks\n  (hidden: only CAP_SYS_ADMIN "
			    "sees BAR offsets)\n"), "%s", r.out);
	igt_assert_f(!strstr(r.out, "0x"), "%s", r.out);
	igt_assert_eq(p2pctl_runf(&r, NULL, "info --json %d", FD_A), 0);
	igt_assert_f(strstr(r.out, "\"chunks\":null"), "%s", r.out);
	p2p_result_fini(&r);
}

/*
 * The debugfs files themselves are root's: debugfs's own 0700 directory
 * would hide them from a member whatever their modes are.
 */
static void check_debugfs_modes(void)
{
	static const char *const files[] = { "buffers", "providers" };
	struct stat st;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), DEBUGFS "%s", files[i]);
		igt_assert_f(!stat(path, &st), "%s: %m\n", path);
		igt_assert_f(st.st_uid == 0 && (st.st_mode & 0777) == 0400,
			     "%s: uid %u, mode %o\n", path,
			     (unsigned int)st.st_uid,
			     (unsigned int)(st.st_mode & 0777));
	}
}

static void test_no_addresses(struct env *e)
{
	struct chan c;
	pid_t a = user_a_start(e, &c, 0x5ec2);

	check_debugfs_modes();

	if (run_beside_a(e, a, member_sees_no_addresses))
		/* Root sees where it is: A's bytes are there. */
		check_a_buffer(e, a, 0x5ec2);
	user_a_stop(&c);
}

/* ------------------------------------------------------------------ */
/* No buffer without its fd                                             */

/* User B: A's fd is out of reach. */
static void other_member_cannot_take(struct env *e, pid_t a)
{
	struct dma_buf_p2p_query q = { .fd = FD_A };
	char path[64];
	int dev;

	(void)e;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)a, FD_A);
	become(UID_B, true);
	igt_assert_eq(take_fd(a, FD_A), -EPERM);
	igt_assert_eq(open(path, O_RDWR), -1);
	igt_assert_eq(errno, EACCES);
	igt_assert_eq(open(path, O_RDONLY), -1);
	igt_assert_eq(errno, EACCES);
	/* The number means B's own fd table, where it is not open. */
	dev = p2p_dev_open();
	igt_assert_eq(fcntl(FD_A, F_GETFD), -1);
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q), -EBADF);
	close(dev);
}

static void test_no_access_without_fd(struct env *e)
{
	struct p2p_result r = { 0 };
	char path[64], want[160];
	struct chan c;
	pid_t a = user_a_start(e, &c, 0x5ec3);

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)a, FD_A);
	/* B's failure shows when A is reaped. */
	if (!run_beside_a(e, a, other_member_cannot_take)) {
		user_a_stop(&c);
		return;
	}

	/* Nor with p2pctl: info, migrate, dump, copy. */
	snprintf(want, sizeof(want), "p2pctl: info: fd %d of process %d (no "
		 "ptrace access to it): Operation not permitted (EPERM)\n",
		 FD_A, (int)a);
	igt_assert_eq(p2pctl_as(&r, UID_B, true, "info --pid %d --fd %d",
				(int)a, FD_A), 1);
	p2p_expect_err(&r, want);
	igt_assert_eq(p2pctl_as(&r, UID_B, true, "migrate --pid %d --fd %d "
				"--to system", (int)a, FD_A), 1);
	igt_assert_f(strstr(r.err, "(no ptrace access to it): Operation not "
			    "permitted (EPERM)\n"), "%s", r.err);
	igt_assert_eq(p2pctl_as(&r, UID_B, true, "dump --pid %d --fd %d",
				(int)a, FD_A), 1);
	igt_assert_f(strstr(r.err, "Operation not permitted (EPERM)\n"),
		     "%s", r.err);
	snprintf(want, sizeof(want), "p2pctl: copy: open SRC %s: "
		 "Permission denied (EACCES)\n", path);
	igt_assert_eq(p2pctl_as(&r, UID_B, true, "copy %s /dev/null", path),
		      1);
	p2p_expect_err(&r, want);
	p2p_result_fini(&r);

	/* Nothing moved, nothing changed: A's bytes in the BAR. */
	check_a_buffer(e, a, 0x5ec3);
	user_a_stop(&c);
}

/* ------------------------------------------------------------------ */
/* The cap on system memory                                             */

static uint64_t saved_max = UINT64_MAX;

static void set_max(uint64_t v)
{
	char value[32];

	snprintf(value, sizeof(value), "%" PRIu64, v);
	igt_assert(p2p_sysfs_write(P2P_DEV_SYSFS "max_system_bytes", value));
	igt_assert_eq_u64(p2p_exporter_u64("max_system_bytes"), v);
}

static void restore_max(int sig)
{
	char value[32];

	(void)sig;
	if (saved_max == UINT64_MAX)
		return;
	snprintf(value, sizeof(value), "%" PRIu64, saved_max);
	p2p_sysfs_write(P2P_DEV_SYSFS "max_system_bytes", value);
}

/*
 * What the test's buffers may add to system memory from now on: @room
 * bytes.  Buffers other tests closed a moment ago may still be let go of
 * (the importer cache keeps them a second): wait until nothing changes.
 */
static uint64_t limit_room(uint64_t room)
{
	uint64_t held = p2p_exporter_u64("system_bytes"), prev;

	do {
		prev = held;
		usleep(1500 * 1000);
		held = p2p_exporter_u64("system_bytes");
	} while (held != prev);
	if (saved_max == UINT64_MAX) {
		saved_max = p2p_exporter_u64("max_system_bytes");
		igt_install_exit_handler(restore_max);
	}
	set_max(held + room);
	return held;
}

static void test_system_limit(struct env *e)
{
	int fd, vgem, ret;
	struct p2p_query q;
	uint32_t handle;
	uint64_t held;
	uint8_t *p;

	igt_assert_lt_u64(0, p2p_exporter_u64("max_system_bytes"));
	held = limit_room(BUF_SIZE - 4096);
	fd = p2p_alloc(e->dev, &e->m.vram, BUF_SIZE, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, BUF_SIZE);
	p2p_fill_pattern(p, BUF_SIZE, 0x5ec4);

	/* Asked for, and needed by an importer that cannot reach the BAR. */
	igt_assert_eq(__p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_SYSTEM),
		      -EDQUOT);
	vgem = drm_open_driver(DRIVER_VGEM);
	ret = drmPrimeFDToHandle(vgem, fd, &handle);
	igt_assert_f(ret && errno == EDQUOT, "vgem's import: %d, %m\n", ret);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq_u64(p2p_exporter_u64("system_bytes"), held);
	p2p_check_vram_pattern(&e->m, &q, 0x5ec4);

	/* With room it moves, and the bytes held are counted. */
	set_max(held + BUF_SIZE);
	p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(p2p_exporter_u64("system_bytes"), held + BUF_SIZE);
	p2p_check_pattern(p, BUF_SIZE, 0x5ec4, "the buffer in system memory");
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(p2p_exporter_u64("system_bytes"), held);

	/* A provider going away moves its buffers out, over the cap too. */
	set_max(held);
	p2p_vram_unbind(&e->m);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(p2p_exporter_u64("system_bytes"), held + BUF_SIZE);
	p2p_check_pattern(p, BUF_SIZE, 0x5ec4, "the buffer moved out by the "
			  "unbind");
	p2p_vram_rebind(&e->m);
	set_max(held + BUF_SIZE);
	p2p_migrate(e->dev, fd, DMA_BUF_P2P_PLACEMENT_BAR);
	p2p_query(e->dev, fd, &q);
	p2p_check_vram_pattern(&e->m, &q, 0x5ec4);

	munmap(p, BUF_SIZE);
	close(fd);
	close(vgem);
	igt_assert_eq_u64(p2p_exporter_u64("system_bytes"), held);
}

static void test_system_limit_bounces_io(struct env *e)
{
	const struct p2p_nvme *far = &e->m.nvme[2];
	struct blk_dmabuf_rw rw = { .length = BUF_SIZE };
	struct p2p_query q;
	char name[32], path[48];
	int fd, disk;
	uint8_t *want, *got;

	igt_require_f(p2p_expected_mode(&e->m.vram, &far->pci,
					 e->m.host_bridge_p2p) ==
		      DMA_BUF_P2P_MODE_SYSTEM,
		      "far0 reaches the VRAM peer-to-peer in this mode\n");
	igt_assert(p2p_block_by_serial(far->serial, name, sizeof(name)));
	snprintf(path, sizeof(path), "/dev/%s", name);
	disk = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(disk >= 0, "%s: %m\n", path);

	limit_room(0);
	fd = p2p_alloc(e->dev, &e->m.vram, BUF_SIZE, O_RDWR | O_CLOEXEC);
	rw.dmabuf_fd = fd;
	rw.dev_offset = 8 * MiB;
	igt_assert_eq(p2p_ioctl(disk, BLKDMABUFRW, &rw), 0);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);

	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	want = p2p_file_dup(far->image, rw.dev_offset, BUF_SIZE);
	got = p2p_vram_dup(&e->m, &q, BUF_SIZE);
	p2p_check_bytes(got, want, BUF_SIZE, "the VRAM after the bounced read");
	free(want);
	free(got);
	close(fd);
	close(disk);
}

igt_main
{
	struct env e;

	igt_fixture {
		p2p_machine_load(&e.m);
		e.dev = p2p_dev_open();
		p2pctl_find();
	}

	igt_describe("/dev/dma-buf-p2p is 0660: a user outside its group "
		     "cannot open it (EACCES, and p2pctl says so), a member "
		     "lists, allocates and maps.");
	igt_subtest("device-access")
		test_device_access(&e);

	igt_describe("A member without CAP_SYS_ADMIN gets no BAR offsets "
		     "from QUERY (nr_chunks 0, its array untouched) or p2pctl "
		     "info, and no debugfs; root finds the member's bytes in "
		     "the VRAM file.");
	igt_subtest("no-addresses-without-cap")
		test_no_addresses(&e);

	igt_describe("Another member cannot take a user's buffer: "
		     "pidfd_getfd EPERM, /proc/PID/fd EACCES, its fd number "
		     "EBADF in its own table, p2pctl info/migrate/dump/copy "
		     "refused; the buffer's bytes stay where they were.");
	igt_subtest("no-access-without-fd")
		test_no_access_without_fd(&e);

	igt_describe("max_system_bytes caps buffers in system memory: a move "
		     "past it is EDQUOT (asked for, or by vgem's import) and "
		     "keeps the buffer in the BAR, byte for byte; with room it "
		     "moves and system_bytes counts it; unbinding the provider "
		     "moves it out over the cap.");
	igt_subtest("system-memory-limit")
		test_system_limit(&e);

	igt_describe("With no room left under max_system_bytes, a read from "
		     "an NVMe that cannot reach the BAR takes the bounce path: "
		     "the buffer stays in the BAR with the disk's bytes.");
	igt_subtest("system-limit-bounces-io")
		test_system_limit_bounces_io(&e);

	igt_fixture
		close(e.dev);
}
