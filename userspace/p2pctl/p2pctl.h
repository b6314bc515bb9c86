/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pctl: shared declarations of the commands and their helpers.
 */
#ifndef P2PCTL_H
#define P2PCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

int p2pctl_list(int argc, char **argv);

#endif /* P2PCTL_H */
