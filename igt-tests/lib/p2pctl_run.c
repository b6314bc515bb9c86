// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "p2pctl_run.h"

#define MAX_ARGS	32
/* Without output for this long, the child is taken to hang. */
#define QUIET_MS	60000

char p2pctl_path[PATH_MAX];

void p2pctl_find(void)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	igt_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	/* build/meson/igt-tests/X -> build/meson/userspace/p2pctl/p2pctl */
	igt_assert(snprintf(p2pctl_path, sizeof(p2pctl_path),
			    "%s/../userspace/p2pctl/p2pctl", self) <
		   (int)sizeof(p2pctl_path));
	igt_require_f(access(p2pctl_path, X_OK) == 0, "no p2pctl at %s\n",
		      p2pctl_path);
}

void p2p_result_fini(struct p2p_result *r)
{
	free(r->out);
	free(r->err);
	r->out = NULL;
	r->err = NULL;
	r->out_len = 0;
	r->err_len = 0;
}

/* In the child: @fd becomes @target, unless the parent left it alone. */
static void child_dup(int fd, int target)
{
	if (fd >= 0 && fd != target && dup2(fd, target) < 0)
		_exit(126);
}

void p2p_spawn(struct p2p_proc *p, char *const argv[],
	       const struct p2p_spawn *how)
{
	static const struct p2p_spawn defaults = P2P_SPAWN_DEFAULT;
	int o[2] = { -1, -1 }, e[2] = { -1, -1 }, ex[2], err;
	ssize_t n;

	if (!how)
		how = &defaults;
	if (how->stdout_fd < 0)
		igt_assert(!pipe2(o, O_CLOEXEC));
	if (how->stderr_fd < 0)
		igt_assert(!pipe2(e, O_CLOEXEC));
	/* Closed by a successful exec; carries errno when exec fails. */
	igt_assert(!pipe2(ex, O_CLOEXEC));
	fflush(stdout);
	fflush(stderr);
	p->pid = fork();
	igt_assert(p->pid >= 0);
	if (!p->pid) {
		child_dup(how->stdout_fd >= 0 ? how->stdout_fd : o[1], 1);
		child_dup(how->stderr_fd >= 0 ? how->stderr_fd : e[1], 2);
		child_dup(how->stdin_fd, 0);
		if (how->env)
			putenv((char *)how->env);
		if (how->setup)
			how->setup();
		execvp(argv[0], argv);
		err = errno;
		igt_ignore_warn(write(ex[1], &err, sizeof(err)));
		_exit(127);
	}
	close(ex[1]);
	if (o[1] >= 0)
		close(o[1]);
	if (e[1] >= 0)
		close(e[1]);
	p->out = o[0];
	p->err = e[0];
	while ((n = read(ex[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(ex[0]);
	igt_assert_f(n == 0, "cannot run %s: %s\n", argv[0],
		     n == sizeof(err) ? strerror(err) : "exec failed");
}

void p2p_read_line(struct p2p_proc *p, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	size_t n = 0;

	igt_assert(p->out >= 0);
	while (n < len - 1) {
		igt_assert_f(poll(&pfd, 1, QUIET_MS) == 1,
			     "no output from %d in 60 s\n", (int)p->pid);
		igt_assert_f(read(p->out, buf + n, 1) == 1,
			     "output ended early: '%.*s'\n", (int)n, buf);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
}

/* Appends what @fd has to *@buf, growing it; false at end of file. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
	ssize_t k;

	if (*cap - *len < 4096 + 1) {
		*cap = *cap * 2 + 4096 + 1;
		*buf = realloc(*buf, *cap);
		igt_assert(*buf);
	}
	k = read(fd, *buf + *len, 4096);
	if (k < 0 && errno == EINTR)
		return true;
	if (k <= 0)
		return false;
	*len += k;
	return true;
}

void p2p_collect(struct p2p_proc *p, struct p2p_result *r)
{
	struct pollfd pfd[2] = {
		{ .fd = p->out, .events = POLLIN },
		{ .fd = p->err, .events = POLLIN },
	};
	char *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, cap[2] = { 0, 0 };
	int open_fds = (p->out >= 0) + (p->err >= 0), status;

	while (open_fds) {
		igt_assert_f(poll(pfd, 2, QUIET_MS) > 0,
			     "%d did not finish in 60 s\n", (int)p->pid);
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (drain(pfd[i].fd, &buf[i], &len[i], &cap[i]))
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open_fds--;
		}
	}
	while (waitpid(p->pid, &status, 0) < 0)
		igt_assert(errno == EINTR);

	p2p_result_fini(r);
	for (int i = 0; i < 2; i++) {
		if (!buf[i]) {
			buf[i] = malloc(1);
			igt_assert(buf[i]);
		}
		buf[i][len[i]] = '\0';
	}
	r->out = buf[0];
	r->out_len = len[0];
	r->err = buf[1];
	r->err_len = len[1];
	igt_assert_f(WIFEXITED(status), "%d died: status %#x; stderr: %s\n",
		     (int)p->pid, status, r->err);
	r->status = WEXITSTATUS(status);
}

/* Starts p2pctl FIRST... from a NULL-terminated list. */
static void vspawnl(struct p2p_proc *p, const struct p2p_spawn *how,
		    const char *first, va_list ap)
{
	char *argv[MAX_ARGS];
	int n = 0;

	argv[n++] = p2pctl_path;
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		igt_assert(n < MAX_ARGS - 1);
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
	igt_debug("running p2pctl %s ...\n", first ?: "(no arguments)");
	/* argv may go with this frame: p2p_spawn() returns after exec. */
	p2p_spawn(p, argv, how);
}

/* Starts the command line @fmt, split at spaces. */
static void vspawnf(struct p2p_proc *p, const struct p2p_spawn *how,
		    const char *fmt, va_list ap)
{
	char line[PATH_MAX + 4096], *argv[MAX_ARGS], *save = NULL;
	int argc = 0;

	igt_assert(vsnprintf(line, sizeof(line), fmt, ap) <
		   (int)sizeof(line));
	igt_debug("running %s\n", line);
	for (char *t = strtok_r(line, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		igt_assert(argc < MAX_ARGS - 1);
		argv[argc++] = t;
	}
	argv[argc] = NULL;
	igt_assert(argc > 0);
	p2p_spawn(p, argv, how);
}

/* Collects @p into @r, for the log too: its exit status. */
static int finish(struct p2p_proc *p, struct p2p_result *r)
{
	p2p_collect(p, r);
	igt_debug("-> %d\nstdout (%zu bytes): %.*s\nstderr: %s\n", r->status,
		  r->out_len, strlen(r->out) == r->out_len ? 4096 : 0, r->out,
		  r->err);
	return r->status;
}

void p2pctl_spawnl(struct p2p_proc *p, const struct p2p_spawn *how,
		   const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	vspawnl(p, how, first, ap);
	va_end(ap);
}

int p2pctl_runl(struct p2p_result *r, const struct p2p_spawn *how,
		const char *first, ...)
{
	struct p2p_proc p;
	va_list ap;

	va_start(ap, first);
	vspawnl(&p, how, first, ap);
	va_end(ap);
	return finish(&p, r);
}

void p2p_spawnf(struct p2p_proc *p, const struct p2p_spawn *how,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vspawnf(p, how, fmt, ap);
	va_end(ap);
}

int p2p_runf(struct p2p_result *r, const struct p2p_spawn *how,
	     const char *fmt, ...)
{
	struct p2p_proc p;
	va_list ap;

	va_start(ap, fmt);
	vspawnf(&p, how, fmt, ap);
	va_end(ap);
	return finish(&p, r);
}

void p2p_expect_err(const struct p2p_result *r, const char *want)
{
	igt_assert_f(!strcmp(r->err, want), "stderr '%s', expected '%s'\n",
		     r->err, want);
	igt_assert_f(!r->out_len, "output on failure: '%s'\n", r->out);
}

void p2p_pty_open(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	igt_require_f(*master >= 0, "no pseudo-terminal: %m\n");
	igt_require(!grantpt(*master) && !unlockpt(*master));
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	igt_require_f(*slave >= 0, "cannot open %s: %m\n", ptsname(*master));
	igt_assert(isatty(*slave));
}
