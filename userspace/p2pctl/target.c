// SPDX-License-Identifier: GPL-2.0
/*
 * The buffer a command works on, as the command line names it: FD, an fd of
 * p2pctl's own (inherited from its parent), or --pid PID --fd N, fd N of
 * another process, duplicated with pidfd_getfd(2).  One parser for every
 * command, so that they all take and refuse the same words.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "p2pctl.h"

bool p2pctl_target_opt(struct p2pctl_target *t, int c, const char *arg)
{
	switch (c) {
	case P2PCTL_OPT_PID:
		t->pid_arg = arg;
		return true;
	case P2PCTL_OPT_FD:
		t->n_arg = arg;
		return true;
	default:
		return false;
	}
}

/* A decimal int of at least @min (no sign, no spaces): 0 or -EINVAL. */
static int parse_int(const char *s, long min, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int p2pctl_target_get(const char *cmd, struct p2pctl_target *t, int argc,
		      char **argv)
{
	const char *fd_arg = optind < argc ? argv[optind] : NULL;
	bool by_pid = t->pid_arg || t->n_arg;
	int ret;

	if (fd_arg && optind + 1 < argc) {
		p2pctl_usage_err(cmd, "unexpected argument '%s'",
				 argv[optind + 1]);
		return P2PCTL_EXIT_USAGE;
	}
	if (fd_arg && by_pid) {
		p2pctl_usage_err(cmd, "give FD or --pid PID --fd N, not both");
		return P2PCTL_EXIT_USAGE;
	}
	if (!fd_arg && !by_pid) {
		p2pctl_usage_err(cmd, "no buffer: give FD or --pid PID --fd N");
		return P2PCTL_EXIT_USAGE;
	}

	if (fd_arg) {
		ret = p2pctl_parse_fd(cmd, fd_arg, &t->fd);
		if (ret)
			return ret == -EINVAL ? P2PCTL_EXIT_USAGE :
						P2PCTL_EXIT_ERROR;
		t->stolen = false;
		t->pid = 0;
		t->target = t->fd;
		snprintf(t->name, sizeof(t->name), "fd %d", t->fd);
		return P2PCTL_EXIT_OK;
	}

	if (!t->pid_arg || !t->n_arg) {
		p2pctl_usage_err(cmd, "--pid and --fd go together");
		return P2PCTL_EXIT_USAGE;
	}
	if (parse_int(t->pid_arg, 1, &t->pid)) {
		p2pctl_usage_err(cmd, "'%s' is not a process id", t->pid_arg);
		return P2PCTL_EXIT_USAGE;
	}
	if (parse_int(t->n_arg, 0, &t->target)) {
		p2pctl_usage_err(cmd, "'%s' is not a file descriptor number",
				 t->n_arg);
		return P2PCTL_EXIT_USAGE;
	}
	if (p2pctl_steal_fd(cmd, t->pid, t->target, &t->fd))
		return P2PCTL_EXIT_ERROR;
	t->stolen = true;
	snprintf(t->name, sizeof(t->name), "fd %d of process %d", t->target,
		 t->pid);
	return P2PCTL_EXIT_OK;
}

void p2pctl_target_put(struct p2pctl_target *t)
{
	if (t->stolen && t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->stolen = false;
}
