// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl fill: write the seeded pattern (or zeros) to a range of any
 * dma-buf the CPU can map, inside DMA_BUF_IOCTL_SYNC START/END WRITE.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "p2pctl.h"

static void usage(FILE *f)
{
	fputs("usage: p2pctl fill FD|--pid PID --fd N [--offset O] [--length L]\n"
	      "                   (--seed S | --zero)\n"
	      "\n"
	      "Write the pattern of seed S, or zeros, to a range of a dma-buf through\n"
	      "its CPU mapping, between DMA_BUF_IOCTL_SYNC START and END (WRITE).  Any\n"
	      "dma-buf that can be mapped read-write will do: dma-buf-p2p's, udmabuf,\n"
	      "DMA heaps, GEM exports.  Check it with 'p2pctl verify --seed S'.\n"
	      "\n"
	      P2PCTL_RANGE_HELP
	      "  --seed S       the pattern of seed S (0 to 2^64-1: 42, 0x2a)\n"
	      "  --zero         zeros\n"
	      "\n"
	      "Sizes are bytes, with an optional K, M, G, T suffix (powers of 1024);\n"
	      "numbers may be hexadecimal (0x1000).\n"
	      "\n"
	      P2PCTL_PATTERN_HELP
	      "\n"
	      "Exit status: 0 written; 1 failed (the fd is closed, not a dma-buf,\n"
	      "read-only or not mappable; the range is past the end of the buffer:\n"
	      "ERANGE); 2 bad usage.\n"
	      "\n"
	      "Examples:\n"
	      "  p2pctl alloc ... -- sh -c 'p2pctl fill $P2P_FD --seed 42'\n"
	      "  p2pctl fill 3 --offset 4K --length 1M --seed 0x2a\n"
	      "  p2pctl fill --pid 1234 --fd 7 --zero\n", f);
}

int p2pctl_fill(int argc, char **argv)
{
	static const struct option opts[] = {
		P2PCTL_RANGE_OPTIONS,
		{ "seed", required_argument, NULL, 's' },
		{ "zero", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct p2pctl_range r = P2PCTL_RANGE_INIT;
	bool has_seed = false, zero = false;
	uint64_t seed = 0;
	int c, ret, end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = p2pctl_range_opt("fill", &r, c, optarg);
		if (ret < 0)
			return P2PCTL_EXIT_USAGE;
		if (ret)
			continue;
		switch (c) {
		case 's':
			if (p2pctl_parse_seed("fill", optarg, &seed))
				return P2PCTL_EXIT_USAGE;
			has_seed = true;
			break;
		case 'z':
			zero = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("fill", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (has_seed == zero) {
		p2pctl_usage_err("fill", zero ? "--seed or --zero, not both" :
				 "what to write: --seed S or --zero");
		return P2PCTL_EXIT_USAGE;
	}

	ret = p2pctl_range_open("fill", &r, argc, argv, true);
	if (ret)
		return ret;
	ret = p2pctl_range_begin("fill", &r);
	if (!ret) {
		if (zero)
			memset(r.data, 0, r.length);
		else
			p2pctl_pattern(r.data, r.offset, r.length, seed);
	}
	end = p2pctl_range_end("fill", &r);
	return ret ? ret : end;
}
