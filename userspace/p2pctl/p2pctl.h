/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pctl: shared declarations of the commands and their helpers.
 */
#ifndef P2PCTL_H
#define P2PCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/dma-buf-p2p.h>

/* Exit codes, documented in p2pctl --help. */
#define P2PCTL_EXIT_OK		0
#define P2PCTL_EXIT_ERROR	1	/* the operation failed */
#define P2PCTL_EXIT_USAGE	2	/* bad command line */

#define P2P_DEV_PATH	"/dev/dma-buf-p2p"

struct p2pctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Errors name the command, the object and the errno: see STYLE.md. */
void p2pctl_err(const char *cmd, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void p2pctl_usage_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats @bytes as 64M, 1.5G, 4K or 512 into @buf. */
const char *p2pctl_fmt_size(uint64_t bytes, char *buf, size_t len);

/* JSON string output with escaping. */
void p2pctl_json_str(const char *s);

/* util.c */
/* "4096", "0x1000", "4K", "64M", "64MiB", "1G"...: 0, -EINVAL or -ERANGE. */
int p2pctl_parse_size(const char *s, uint64_t *out);
/* /dev/dma-buf-p2p opened read-write, or -errno after printing why. */
int p2pctl_open_dev(const char *cmd);
/* An fd number of this process given as @arg; prints why not. */
int p2pctl_parse_fd(const char *cmd, const char *arg, int *fd);
/* A duplicate of fd @target of process @pid (pidfd_getfd); prints why not. */
int p2pctl_steal_fd(const char *cmd, pid_t pid, int target, int *fd);
/* DMA_BUF_P2P_IOC_QUERY of @fd into @q (arrays may be NULL): 0 or -errno. */
int p2pctl_query(int dev, int fd, struct dma_buf_p2p_query *q,
		 struct dma_buf_p2p_attach_info *att, uint32_t max_att,
		 struct dma_buf_p2p_chunk_info *chunks, uint32_t max_chunks);

/* The commands, one file each. */
int p2pctl_list(int argc, char **argv);
int p2pctl_alloc(int argc, char **argv);
int p2pctl_connect(int argc, char **argv);
int p2pctl_info(int argc, char **argv);
int p2pctl_copy(int argc, char **argv);
int p2pctl_fill(int argc, char **argv);
int p2pctl_dump(int argc, char **argv);
int p2pctl_verify(int argc, char **argv);
int p2pctl_migrate(int argc, char **argv);
int p2pctl_stats(int argc, char **argv);

#endif /* P2PCTL_H */
