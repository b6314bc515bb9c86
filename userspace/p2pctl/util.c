// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers every p2pctl command shares: sizes, the control device, dma-buf
 * fds given on the command line, and buffer queries.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p2pctl.h"

int p2pctl_parse_u64(const char *s, uint64_t *out, char **end)
{
	unsigned long long v;

	/* strtoull() would take " -1" and wrap it to 2^64 - 1. */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 0);
	if (errno)
		return -errno;
	*out = v;
	return 0;
}

int p2pctl_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	const char *u;
	uint64_t v;
	char *end;
	int shift, err;

	err = p2pctl_parse_u64(s, &v, &end);
	if (err)
		return err;
	if (!*end) {
		*out = v;
		return 0;
	}
	u = strchr(units, *end & ~0x20);
	if (!u || !*u)
		return -EINVAL;
	end++;
	/* 64M, 64MB, 64MiB all mean 64 << 20. */
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	shift = 10 * (int)(u - units + 1);
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int p2pctl_open_dev(const char *cmd)
{
	int fd = open(P2P_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		p2pctl_err(cmd, err, "open %s%s", P2P_DEV_PATH,
			   err == ENOENT ? " (is dma-buf-p2p loaded?)" :
			   err == EACCES ? " (root and its group only)" : "");
		return -err;
	}
	return fd;
}

int p2pctl_parse_fd(const char *cmd, const char *arg, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > INT32_MAX) {
		p2pctl_usage_err(cmd, "'%s' is not a file descriptor number",
				 arg);
		return -EINVAL;
	}
	if (fcntl((int)v, F_GETFD) < 0) {
		p2pctl_err(cmd, errno, "fd %ld", v);
		return -EBADF;
	}
	*fd = (int)v;
	return 0;
}

int p2pctl_steal_fd(const char *cmd, pid_t pid, int target, int *fd)
{
	int pidfd, ret;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int err = errno;

		/* Printing may change errno: return what pidfd_open() said. */
		p2pctl_err(cmd, err, "process %d", (int)pid);
		return -err;
	}
	ret = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
	if (ret < 0) {
		int err = errno;

		close(pidfd);
		/* Another user's process, or ptrace restricted (Yama). */
		p2pctl_err(cmd, err, "fd %d of process %d%s", target, (int)pid,
			   err == EPERM ? " (no ptrace access to it)" : "");
		return -err;
	}
	close(pidfd);
	*fd = ret;
	return 0;
}

int p2pctl_query(int dev, int fd, struct dma_buf_p2p_query *q,
		 struct dma_buf_p2p_attach_info *att, uint32_t max_att,
		 struct dma_buf_p2p_chunk_info *chunks, uint32_t max_chunks)
{
	memset(q, 0, sizeof(*q));
	q->fd = (uint32_t)fd;
	q->attachments = (uintptr_t)att;
	q->nr_attachments = att ? max_att : 0;
	q->chunks = (uintptr_t)chunks;
	q->nr_chunks = chunks ? max_chunks : 0;
	if (ioctl(dev, DMA_BUF_P2P_IOC_QUERY, q))
		return -errno;
	return 0;
}

bool p2pctl_fdinfo(int fd, const char *key, char *buf, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *value = line + klen + 1;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		value += strspn(value, " \t");
		value[strcspn(value, "\n")] = '\0';
		snprintf(buf, len, "%s", value);
		found = true;
	}
	fclose(f);
	return found;
}

int p2pctl_json_only(const char *cmd, int argc, char **argv,
		     void (*usage)(FILE *f), bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err(cmd, "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p2pctl_usage_err(cmd, "unexpected argument '%s'", argv[optind]);
		return P2PCTL_EXIT_USAGE;
	}
	return -1;
}
