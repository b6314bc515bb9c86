// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl dump: a range of a dma-buf as hexdump -C shows a file, or its raw
 * bytes, read through its CPU mapping inside DMA_BUF_IOCTL_SYNC START/END
 * READ.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl.h"

#define LINE_BYTES	16

static void usage(FILE *f)
{
	fputs("usage: p2pctl dump FD|--pid PID --fd N [--offset O] [--length L] [--raw]\n"
	      "\n"
	      "Print a range of a dma-buf as 'hexdump -C' does: the buffer offset, 16\n"
	      "bytes in hex and as ASCII per line, a '*' for lines that repeat the one\n"
	      "above, and the offset the range ends at.  With --raw, write the bytes\n"
	      "themselves to stdout, which must not be a terminal.  The buffer is read\n"
	      "through its CPU mapping, between DMA_BUF_IOCTL_SYNC START and END (READ).\n"
	      "\n"
	      P2PCTL_RANGE_HELP
	      "  --raw          the bytes themselves\n"
	      "\n"
	      "Sizes are bytes, with an optional K, M, G, T suffix (powers of 1024);\n"
	      "numbers may be hexadecimal (0x1000).\n"
	      "\n"
	      "Exit status: 0 dumped; 1 failed (the fd is closed, not a dma-buf or\n"
	      "not mappable; the range is past the end of the buffer: ERANGE; stdout\n"
	      "failed); 2 bad usage, --raw to a terminal included.\n"
	      "\n"
	      "Examples:\n"
	      "  p2pctl alloc ... -- sh -c 'p2pctl dump $P2P_FD --length 256'\n"
	      "  p2pctl dump --pid 1234 --fd 7 --offset 1M --length 4K\n"
	      "  p2pctl dump 3 --raw > buffer.bin\n", f);
}

static void print_line(uint64_t offset, const uint8_t *p, size_t n)
{
	char hex[LINE_BYTES * 3 + 2], ascii[LINE_BYTES + 1];
	size_t used = 0;

	for (size_t i = 0; i < LINE_BYTES; i++) {
		if (i == LINE_BYTES / 2)
			hex[used++] = ' ';
		if (i < n)
			snprintf(hex + used, 4, "%02x ", p[i]);
		else
			memcpy(hex + used, "   ", 4);
		used += 3;
	}
	for (size_t i = 0; i < n; i++)
		ascii[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	ascii[n] = '\0';
	printf("%08llx  %s |%s|\n", (unsigned long long)offset, hex, ascii);
}

static void hexdump(const struct p2pctl_range *r)
{
	const uint8_t *prev = NULL;
	bool starred = false;

	for (uint64_t done = 0; done < r->length; done += LINE_BYTES) {
		const uint8_t *p = r->data + done;
		size_t n = r->length - done < LINE_BYTES ? r->length - done :
							   LINE_BYTES;

		/* Only whole lines repeat, as in hexdump. */
		if (prev && n == LINE_BYTES && !memcmp(p, prev, LINE_BYTES)) {
			if (!starred)
				puts("*");
			starred = true;
			continue;
		}
		print_line(r->offset + done, p, n);
		prev = p;
		starred = false;
	}
	printf("%08llx\n", (unsigned long long)(r->offset + r->length));
}

static int write_raw(const struct p2pctl_range *r)
{
	uint64_t done = 0;

	while (done < r->length) {
		ssize_t n = write(STDOUT_FILENO, r->data + done,
				  r->length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

int p2pctl_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		P2PCTL_RANGE_OPTIONS,
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct p2pctl_range r = P2PCTL_RANGE_INIT;
	bool raw = false;
	int c, ret, end, err = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = p2pctl_range_opt("dump", &r, c, optarg);
		if (ret < 0)
			return P2PCTL_EXIT_USAGE;
		if (ret)
			continue;
		switch (c) {
		case 'r':
			raw = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("dump", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (raw && isatty(STDOUT_FILENO)) {
		p2pctl_usage_err("dump",
				 "--raw writes binary: redirect stdout to a file or a pipe");
		return P2PCTL_EXIT_USAGE;
	}

	ret = p2pctl_range_open("dump", &r, argc, argv, false);
	if (ret)
		return ret;
	ret = p2pctl_range_begin("dump", &r);
	if (!ret) {
		if (raw) {
			err = write_raw(&r);
		} else {
			errno = 0;
			hexdump(&r);
			if (fflush(stdout) || ferror(stdout))
				err = errno ? -errno : -EIO;
		}
	}
	end = p2pctl_range_end("dump", &r);
	if (err) {
		p2pctl_err("dump", -err, "writing %s to stdout", r.t.name);
		return P2PCTL_EXIT_ERROR;
	}
	return ret ? ret : end;
}
