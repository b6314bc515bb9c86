// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl: list P2PDMA providers and who reaches them; allocate, inspect,
 * fill, copy and migrate dma-buf P2P buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "p2pctl.h"

static const struct p2pctl_cmd cmds[] = {
	{ "list", "P2PDMA providers and how each block device reaches them",
	  p2pctl_list },
	{ "alloc", "allocate a buffer on a provider, optionally run a command with it",
	  p2pctl_alloc },
	{ "connect", "receive a buffer's fd over a unix socket and run a command",
	  p2pctl_connect },
	{ "info", "a buffer's placement, attachments and counters",
	  p2pctl_info },
	{ "copy", "copy between block devices or files through a dma-buf",
	  p2pctl_copy },
	{ "fill", "fill a buffer range with a seeded pattern", p2pctl_fill },
	{ "dump", "print or write out a buffer range", p2pctl_dump },
	{ "verify", "check a buffer range against a seeded pattern",
	  p2pctl_verify },
	{ "migrate", "move a buffer to its provider's BAR or to system memory",
	  p2pctl_migrate },
	{ "stats", "counters of providers, the importer and block I/O",
	  p2pctl_stats },
	{ "bench", "measure an I/O path or the buffers, for side by side runs",
	  p2pctl_bench },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl [--help] [--version] COMMAND [ARGS...]\n"
		"\n"
		"Peer-to-peer DMA between PCI devices through dma-bufs.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n"
		"'p2pctl help COMMAND' or 'p2pctl COMMAND --help' describes a\n"
		"command.  Most commands need read-write access to\n"
		P2P_DEV_PATH " (root by default).\n"
		"\n"
		"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n");
}

const char *p2pctl_strerror(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	snprintf(buf, len, "%s (%s)", strerror(err), name ? name : "?");
	return buf;
}

void p2pctl_err(const char *cmd, int err, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	fprintf(stderr, "p2pctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", p2pctl_strerror(err, why, sizeof(why)));
	fputc('\n', stderr);
}

void p2pctl_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "p2pctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'p2pctl %s --help')\n", cmd);
}

const char *p2pctl_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = bytes;
	int u = -1;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else if (v == (uint64_t)v)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

void p2pctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	static char help_opt[] = "--help";

	if (argc < 2) {
		usage(stderr);
		return P2PCTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return P2PCTL_EXIT_OK;
	}
	/* 'p2pctl help COMMAND' is 'p2pctl COMMAND --help'. */
	if (!strcmp(argv[1], "help")) {
		if (argc > 3) {
			fprintf(stderr,
				"p2pctl: help: one command at a time (see 'p2pctl --help')\n");
			return P2PCTL_EXIT_USAGE;
		}
		argv[1] = argv[2];
		argv[2] = help_opt;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("p2pctl %s\n", P2PCTL_VERSION);
		return P2PCTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);

	fprintf(stderr, "p2pctl: unknown command '%s' (see 'p2pctl --help')\n",
		argv[1]);
	return P2PCTL_EXIT_USAGE;
}
