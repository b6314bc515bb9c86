// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl connect: receive a dma-buf fd over a unix socket (SCM_RIGHTS, as
 * 'p2pctl alloc --serve' sends it) and run a command with it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "p2pctl.h"

/* A server may send more than one fd; we keep the first. */
#define MAX_FDS		8

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl connect SOCKET -- CMD [ARGS...]\n"
		"\n"
		"Connect to the unix socket path SOCKET, receive a dma-buf fd from\n"
		"it (SCM_RIGHTS, as 'p2pctl alloc --serve SOCKET' sends it), and run\n"
		"CMD with the fd inherited, its number in the environment as P2P_FD.\n"
		"Waits for CMD and exits with its status.  The buffer lives as long\n"
		"as CMD (or what it hands the fd to) keeps it.\n"
		"\n"
		"Exit status: CMD's status (128 + N when signal N killed it, 127\n"
		"when it is not found, 126 when it cannot be executed); 1 when\n"
		"SOCKET cannot be reached, sends no fd, or sends one that is not a\n"
		"dma-buf (EINVAL); 2 bad usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl alloc --provider 0000:05:00.0 --size 64M --serve /tmp/buf &\n"
		"  p2pctl connect /tmp/buf -- sh -c 'p2pctl info $P2P_FD'\n");
}

/* The first fd the server sends, close-on-exec; -errno when none. */
static int recv_fd(int sock)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	int fd = -1;
	ssize_t n;

	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t nfds;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;

			memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got);
		}
	}
	if (fd >= 0 && (msg.msg_flags & MSG_CTRUNC)) {
		close(fd);
		return -EMSGSIZE;
	}
	return fd >= 0 ? fd : -EPROTO;
}

int p2pctl_connect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char link[PATH_MAX], path_fd[32];
	const char *path;
	int nopts, sock, fd, ret, c;
	struct statfs st;
	char **cmd;
	ssize_t n;

	for (nopts = 1; nopts < argc && strcmp(argv[nopts], "--"); nopts++)
		;
	while ((c = getopt_long(nopts, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("connect", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (optind >= nopts) {
		p2pctl_usage_err("connect", "missing SOCKET");
		return P2PCTL_EXIT_USAGE;
	}
	path = argv[optind++];
	if (optind < nopts) {
		p2pctl_usage_err("connect", "unexpected argument '%s'%s",
				 argv[optind],
				 nopts < argc ? "" : " (a command goes after --)");
		return P2PCTL_EXIT_USAGE;
	}
	if (nopts >= argc || !argv[nopts + 1]) {
		p2pctl_usage_err("connect", "missing -- CMD");
		return P2PCTL_EXIT_USAGE;
	}
	cmd = argv + nopts + 1;
	if (!*path || strlen(path) >= sizeof(addr.sun_path)) {
		p2pctl_usage_err("connect", "bad socket path '%s' (1 to %zu bytes)",
				 path, sizeof(addr.sun_path) - 1);
		return P2PCTL_EXIT_USAGE;
	}
	memcpy(addr.sun_path, path, strlen(path));

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		p2pctl_err("connect", errno, "socket %s", path);
		return P2PCTL_EXIT_ERROR;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr))) {
		p2pctl_err("connect", errno, "connect to %s", path);
		close(sock);
		return P2PCTL_EXIT_ERROR;
	}
	fd = recv_fd(sock);
	close(sock);
	if (fd < 0) {
		p2pctl_err("connect", -fd, "%s: %s", path,
			   fd == -EPROTO ? "no fd received" :
			   fd == -EMSGSIZE ? "more fds sent than expected" :
			   "receive the fd");
		return P2PCTL_EXIT_ERROR;
	}

	/* dma-buf files live on the dma-buf pseudo filesystem. */
	if (fstatfs(fd, &st) || st.f_type != DMA_BUF_MAGIC) {
		snprintf(path_fd, sizeof(path_fd), "/proc/self/fd/%d", fd);
		n = readlink(path_fd, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = '\0';
		p2pctl_err("connect", EINVAL,
			   "%s: the fd received (%s) is not a dma-buf", path,
			   link[0] ? link : "?");
		close(fd);
		return P2PCTL_EXIT_ERROR;
	}

	ret = p2pctl_run_with_fd("connect", fd, cmd);
	close(fd);
	return ret;
}
