// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl verify: compare a range of a dma-buf, read through its CPU mapping
 * inside DMA_BUF_IOCTL_SYNC START/END READ, with the seeded pattern, zeros
 * or a file's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl.h"

#define CHUNK		(64 << 10)
#define SHOW_BYTES	16

enum source { SOURCE_NONE, SOURCE_SEED, SOURCE_ZERO, SOURCE_FILE };

struct expect {
	enum source source;
	uint64_t seed;
	const char *path;
	int file;
	uint64_t file_offset;
	bool has_file_offset;
	char what[PATH_MAX + 32];	/* "seed 0x2a", "zeros", "PATH at 0x0" */
};

static void usage(FILE *f)
{
	fputs("usage: p2pctl verify FD|--pid PID --fd N [--offset O] [--length L]\n"
	      "                     (--seed S | --zero | --file PATH [--file-offset O])\n"
	      "\n"
	      "Compare a range of a dma-buf, read through its CPU mapping between\n"
	      "DMA_BUF_IOCTL_SYNC START and END (READ), with the pattern of seed S\n"
	      "that 'p2pctl fill --seed S' writes, with zeros, or with the bytes of\n"
	      "PATH from offset O on (default 0).  Prints 'OK: N bytes ...' when they\n"
	      "match; otherwise 'MISMATCH: M of N bytes ...', the first offset that\n"
	      "differs with the expected and actual bytes there and the bytes after it.\n"
	      "\n"
	      P2PCTL_RANGE_HELP
	      "  --seed S       the pattern of seed S (0 to 2^64-1: 42, 0x2a)\n"
	      "  --zero         zeros\n"
	      "  --file PATH    the bytes of a file (or block device)\n"
	      "  --file-offset O  where in PATH the range's first byte is\n"
	      "\n"
	      "Sizes are bytes, with an optional K, M, G, T suffix (powers of 1024);\n"
	      "numbers may be hexadecimal (0x1000).\n"
	      "\n"
	      P2PCTL_PATTERN_HELP
	      "\n"
	      "Exit status: 0 the range matches; 1 it does not, or the check failed\n"
	      "(the fd is closed, not a dma-buf or not mappable; the range is past\n"
	      "the end of the buffer or PATH is too short: ERANGE); 2 bad usage.\n"
	      "\n"
	      "Examples:\n"
	      "  p2pctl alloc ... -- sh -c 'p2pctl fill $P2P_FD --seed 7 &&\n"
	      "                              p2pctl verify $P2P_FD --seed 7'\n"
	      "  p2pctl verify 3 --offset 4K --length 1M --seed 0x2a\n"
	      "  p2pctl verify --pid 1234 --fd 7 --file /dev/nvme0n1 --file-offset 1G\n", f);
}

/* Opens --file and checks it has the range's bytes: an exit code. */
static int open_file(const struct p2pctl_range *r, struct expect *e)
{
	unsigned long long fo = e->file_offset, len = r->length;
	off_t size;

	e->file = open(e->path, O_RDONLY | O_CLOEXEC);
	if (e->file < 0) {
		p2pctl_err("verify", errno, "open %s", e->path);
		return P2PCTL_EXIT_ERROR;
	}
	if (r->length > UINT64_MAX - e->file_offset) {
		p2pctl_err("verify", ERANGE,
			   "%s: file offset 0x%llx + length 0x%llx overflows",
			   e->path, fo, len);
		goto out_close;
	}
	/* Files and block devices tell their size; pread() fails on pipes. */
	size = lseek(e->file, 0, SEEK_END);
	if (size < 0) {
		p2pctl_err("verify", errno, "size of %s", e->path);
		goto out_close;
	}
	if ((uint64_t)size < e->file_offset + r->length) {
		p2pctl_err("verify", ERANGE,
			   "%s has 0x%llx bytes: too short for 0x%llx bytes from offset 0x%llx",
			   e->path, (unsigned long long)size, len, fo);
		goto out_close;
	}
	return P2PCTL_EXIT_OK;

out_close:
	close(e->file);
	e->file = -1;
	return P2PCTL_EXIT_ERROR;
}

/*
 * The bytes expected at @pos .. @pos + @len - 1 of the range (buffer offset
 * r->offset + @pos): 0 or -errno.
 */
static int expected(const struct p2pctl_range *r, const struct expect *e,
		    uint64_t pos, uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	switch (e->source) {
	case SOURCE_SEED:
		p2pctl_pattern(buf, r->offset + pos, len, e->seed);
		return 0;
	case SOURCE_FILE:
		while (done < len) {
			n = pread(e->file, buf + done, len - done,
				  e->file_offset + pos + done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (!n)	/* shrunk since open_file() */
				return -ENODATA;
			done += n;
		}
		return 0;
	default:
		memset(buf, 0, len);
		return 0;
	}
}

static void show_bytes(const char *label, uint64_t offset, const uint8_t *p,
		       size_t n)
{
	printf("%s at 0x%llx:", label, (unsigned long long)offset);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", p[i]);
	putchar('\n');
}

/* Compares the mapped range: 0 match, 1 mismatch, or -errno. */
static int compare(const struct p2pctl_range *r, const struct expect *e)
{
	uint8_t *want, *got, show[SHOW_BYTES];
	uint64_t pos, first = 0, bad = 0;
	size_t n, i;
	int err = 0;

	want = malloc(2 * CHUNK);
	if (!want)
		return -ENOMEM;
	got = want + CHUNK;

	for (pos = 0; pos < r->length; pos += n) {
		n = r->length - pos < CHUNK ? r->length - pos : CHUNK;
		err = expected(r, e, pos, want, n);
		if (err)
			goto out_free;
		/* One sequential copy: BAR mappings are slow to read bytewise. */
		memcpy(got, r->data + pos, n);
		if (!memcmp(want, got, n))
			continue;
		for (i = 0; i < n; i++) {
			if (want[i] == got[i])
				continue;
			if (!bad)
				first = pos + i;
			bad++;
		}
	}

	if (!bad) {
		printf("OK: %llu bytes of %s from offset 0x%llx %s %s\n",
		       (unsigned long long)r->length, r->t.name,
		       (unsigned long long)r->offset,
		       e->source == SOURCE_ZERO ? "are" : "match", e->what);
		goto out_free;
	}

	n = r->length - first < SHOW_BYTES ? r->length - first : SHOW_BYTES;
	err = expected(r, e, first, want, n);
	if (err)
		goto out_free;
	memcpy(show, r->data + first, n);
	printf("MISMATCH: %llu of %llu bytes of %s from offset 0x%llx differ from %s\n",
	       (unsigned long long)bad, (unsigned long long)r->length, r->t.name,
	       (unsigned long long)r->offset, e->what);
	printf("first at offset 0x%llx: expected 0x%02x, actual 0x%02x\n",
	       (unsigned long long)(r->offset + first), want[0], show[0]);
	show_bytes("expected", r->offset + first, want, n);
	show_bytes("actual  ", r->offset + first, show, n);
	err = 1;

out_free:
	free(want);
	return err;
}

/* The option that says what to expect: an exit code. */
static int set_source(struct expect *e, enum source source)
{
	if (e->source != SOURCE_NONE && e->source != source) {
		p2pctl_usage_err("verify",
				 "one of --seed, --zero and --file, not more");
		return P2PCTL_EXIT_USAGE;
	}
	e->source = source;
	return P2PCTL_EXIT_OK;
}

int p2pctl_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		P2PCTL_RANGE_OPTIONS,
		{ "seed", required_argument, NULL, 's' },
		{ "zero", no_argument, NULL, 'z' },
		{ "file", required_argument, NULL, 'f' },
		{ "file-offset", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct p2pctl_range r = P2PCTL_RANGE_INIT;
	struct expect e = { .file = -1 };
	int c, ret, end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = p2pctl_range_opt("verify", &r, c, optarg);
		if (ret < 0)
			return P2PCTL_EXIT_USAGE;
		if (ret)
			continue;
		switch (c) {
		case 's':
			if (set_source(&e, SOURCE_SEED))
				return P2PCTL_EXIT_USAGE;
			if (p2pctl_parse_seed("verify", optarg, &e.seed))
				return P2PCTL_EXIT_USAGE;
			break;
		case 'z':
			if (set_source(&e, SOURCE_ZERO))
				return P2PCTL_EXIT_USAGE;
			break;
		case 'f':
			if (set_source(&e, SOURCE_FILE))
				return P2PCTL_EXIT_USAGE;
			e.path = optarg;
			break;
		case 'o':
			if (p2pctl_parse_size(optarg, &e.file_offset)) {
				p2pctl_usage_err("verify", "bad --file-offset '%s'",
						 optarg);
				return P2PCTL_EXIT_USAGE;
			}
			e.has_file_offset = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("verify", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (e.source == SOURCE_NONE) {
		p2pctl_usage_err("verify",
				 "what to expect: --seed S, --zero or --file PATH");
		return P2PCTL_EXIT_USAGE;
	}
	if (e.has_file_offset && e.source != SOURCE_FILE) {
		p2pctl_usage_err("verify", "--file-offset goes with --file");
		return P2PCTL_EXIT_USAGE;
	}
	if (e.source == SOURCE_SEED)
		snprintf(e.what, sizeof(e.what), "seed 0x%llx",
			 (unsigned long long)e.seed);
	else if (e.source == SOURCE_ZERO)
		snprintf(e.what, sizeof(e.what), "zeros");
	else
		snprintf(e.what, sizeof(e.what), "%s from offset 0x%llx",
			 e.path, (unsigned long long)e.file_offset);

	ret = p2pctl_range_open("verify", &r, argc, argv, false);
	if (ret)
		return ret;
	if (e.source == SOURCE_FILE) {
		ret = open_file(&r, &e);
		if (ret) {
			p2pctl_range_end("verify", &r);
			return ret;
		}
	}

	ret = p2pctl_range_begin("verify", &r);
	if (!ret) {
		int err = compare(&r, &e);

		if (err < 0)
			p2pctl_err("verify", -err, "%s", e.source == SOURCE_FILE ?
				   e.path : r.t.name);
		ret = err ? P2PCTL_EXIT_ERROR : P2PCTL_EXIT_OK;
	}
	end = p2pctl_range_end("verify", &r);
	if (e.file >= 0)
		close(e.file);
	return ret ? ret : end;
}
