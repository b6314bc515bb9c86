// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: SRC -> dma-buf -> DST, one buffer-sized window at a time.
 *
 * Block devices read into and write out of the buffer in the kernel
 * (BLKDMABUFRWBATCH): a driver that DMAs dma-bufs itself (nvme-pci) moves
 * the data peer-to-peer when it reaches the buffer's memory, through system
 * memory when the exporter moved the buffer there for it, and the block
 * layer bounces it through system pages for every other driver.  Regular
 * files go the same way with FIDMABUFRW, the filesystem's own direct I/O
 * into and out of the buffer, where the filesystem has a block device and
 * the range its logical block alignment; the CPU copies the others through
 * the buffer's mmap.  The report says which path each direction took and
 * why, and counts every byte the CPU copied: the bounce path's, the
 * exporter's migrations' and the files'.
 */
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "copy.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: p2pctl copy SRC DST [--via PROVIDER | --via-fd N | --via-gem DRMNODE]\n"
"                   [--offset O] [--dst-offset O] [--length L]\n"
"                   [--block-size B] [--queue-depth Q] [--engine E]\n"
"                   [--verify] [--json]\n"
"\n"
"Copy bytes from SRC to DST through a dma-buf.  SRC and DST are block\n"
"devices or regular files; DST must exist and is opened read-write (a file\n"
"grows when the range reaches past its end, and is never truncated).\n"
"\n"
"Block devices read into the buffer and write out of it in the kernel,\n"
"BLOCK bytes per I/O, Q I/Os in flight.  An NVMe drive that reaches the\n"
"buffer's memory moves the data peer-to-peer and the CPU copies nothing;\n"
"other drivers take the bounce path (the CPU copies every byte).  The\n"
"buffer holds min(length, 64M) bytes and is reused window after window.\n"
"\n"
"Regular files on a filesystem with direct I/O to a block device (ext4,\n"
"xfs) go through the same path as block devices: the filesystem's own\n"
"direct I/O, peer-to-peer when its disk reaches the buffer.  That needs\n"
"the file offset to be a multiple of that block device's logical block\n"
"size; a read's end is rounded up to it (past the end of the file reads\n"
"as zeros), a write's last partial block is written by the CPU.  Files\n"
"elsewhere (tmpfs, 9p, NFS, overlay), unaligned offsets and kernels\n"
"without FIDMABUFRW: the CPU copies the file through the buffer's mmap,\n"
"and the report says why.\n"
"\n"
"Engines, what issues the I/O in the kernel:\n"
"  io_uring  the buffer registered once per device as a fixed buffer\n"
"            (IORING_REGISTER_DMABUF), then READ_FIXED/WRITE_FIXED\n"
"            requests on O_DIRECT descriptors; a file's last partial\n"
"            block as with ioctl\n"
"  ioctl     BLKDMABUFRWBATCH for block devices, one FIDMABUFRW per\n"
"            window for files\n"
"\n"
"The buffer:\n"
"  --via PROVIDER   allocate it on that P2PDMA provider (a PCI address from\n"
"                   'p2pctl list'); smaller when the provider has less free\n"
"  --via-fd N       use dma-buf fd N, inherited open read-write (any\n"
"                   exporter: 'p2pctl alloc', a GPU driver, udmabuf, heaps)\n"
"  --via-gem NODE   a dumb buffer of DRM node NODE (/dev/dri/cardN), exported\n"
"                   with PRIME: the GPU stack's path (vgem, any KMS driver)\n"
"  default          the first published provider with room that every block\n"
"                   device (a file's: its filesystem's) reaches\n"
"                   peer-to-peer, below a switch first\n"
"\n"
"  --offset O       first byte of SRC (default 0)\n"
"  --dst-offset O   first byte of DST (default 0)\n"
"  --length L       bytes to copy (default: from O to the end of SRC)\n"
"  --block-size B   bytes per I/O, a multiple of 512 up to 64M (default 1M)\n"
"  --queue-depth Q  I/Os in flight, 1 to 4096 (default 32)\n"
"  --engine E       io_uring or ioctl.  Default: io_uring where the kernel\n"
"                   and the endpoints take it, else ioctl, and the report\n"
"                   says why; --engine io_uring fails instead\n"
"  --verify         read both ranges back afterwards (O_DIRECT where\n"
"                   possible) and compare them\n"
"  --json           one JSON object instead of the report\n"
"\n"
"Offsets and the length must be multiples of the logical block size of\n"
"the block devices (files take any); both ranges must lie inside them.\n"
"Ranges of the same device or file must not overlap.  A progress bar\n"
"appears on stderr when it is a terminal and the copy takes more than a\n"
"second.\n"
"\n"
"The report gives the bytes, time and throughput; the engine (and why not\n"
"io_uring); for each direction the path taken (p2p, system, bounce, cpu;\n"
"native for other exporters' buffers) and why (for p2pctl's buffers the\n"
"attachment's mode and reason: p2p-bus, p2p-host-bridge, system:\n"
"no-p2p-path...), the calls, io_uring requests and mappings; the\n"
"buffer's placement before and after and its migrations; and the bytes\n"
"the CPU copied (block I/O: the kernel's bounce path, and zeros it put\n"
"past a file's end; the exporter's migrations; files: p2pctl's own\n"
"copies), also per payload byte.\n"
"\n"
"Exit status: 0 copied (and verified, with --verify); 1 failed: nothing is\n"
"reported as copied, the error says how much of DST was written; 2 bad\n"
"command line.\n"
"\n"
"Examples:\n"
"  p2pctl copy /dev/nvme1n1 /dev/nvme2n1 --via 0000:05:00.0 --length 1G\n"
"  p2pctl copy /dev/nvme1n1 /dev/nvme0n1 --offset 1G --dst-offset 2G \\\n"
"      --length 256M --block-size 128K --queue-depth 64 --verify\n"
"  p2pctl copy /dev/nvme1n1 /dev/nvme0n1 --via-gem /dev/dri/card0 --json\n"
"  p2pctl copy /srv/ext4/weights.bin /dev/nvme0n1 --via 0000:05:00.0 --verify\n"
"  p2pctl alloc --provider 0000:05:00.0 --size 16M -- sh -c \\\n"
"      'p2pctl copy disk.img /dev/nvme0n1 --via-fd $P2P_FD'\n");
}

bool copy_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* ------------------------------------------------------------------ */
/* The command line                                                     */

enum {
	OPT_VIA = 0x100,
	OPT_VIA_FD,
	OPT_VIA_GEM,
	OPT_OFFSET,
	OPT_DST_OFFSET,
	OPT_LENGTH,
	OPT_BLOCK_SIZE,
	OPT_QUEUE_DEPTH,
	OPT_ENGINE,
	OPT_VERIFY,
	OPT_JSON,
};

static int parse_size_opt(const char *opt, const char *arg, uint64_t *out)
{
	int ret = p2pctl_parse_size(arg, out);

	if (ret == -ERANGE)
		p2pctl_usage_err(CMD, "%s '%s' is too large", opt, arg);
	else if (ret)
		p2pctl_usage_err(CMD, "%s '%s' is not a size (e.g. 4096, 0x1000, "
				 "512K, 1G)", opt, arg);
	return ret;
}

static int set_via(struct copy *c, enum via via, const char *arg)
{
	if (c->buf.via != VIA_AUTO) {
		p2pctl_usage_err(CMD, "give one of --via, --via-fd and --via-gem");
		return -EINVAL;
	}
	c->buf.via = via;
	c->buf.arg = arg;
	return 0;
}

/* 0, or an exit code after printing why. */
static int parse_args(struct copy *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, OPT_VIA },
		{ "via-fd", required_argument, NULL, OPT_VIA_FD },
		{ "via-gem", required_argument, NULL, OPT_VIA_GEM },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "dst-offset", required_argument, NULL, OPT_DST_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
		{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH },
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	uint64_t v;
	char *end;
	long qd;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_VIA:
			if (set_via(c, VIA_PROVIDER, optarg))
				return P2PCTL_EXIT_USAGE;
			if (!pci_parse_addr(optarg, &c->buf.provider)) {
				p2pctl_usage_err(CMD, "'%s' is not a PCI address "
						 "(DOMAIN:BUS:DEVICE.FUNCTION, "
						 "e.g. 0000:05:00.0)", optarg);
				return P2PCTL_EXIT_USAGE;
			}
			break;
		case OPT_VIA_FD:
			if (set_via(c, VIA_FD, optarg))
				return P2PCTL_EXIT_USAGE;
			ret = p2pctl_parse_fd(CMD, optarg, &c->buf.fd);
			if (ret)
				return ret == -EINVAL ? P2PCTL_EXIT_USAGE :
							P2PCTL_EXIT_ERROR;
			break;
		case OPT_VIA_GEM:
			if (set_via(c, VIA_GEM, optarg))
				return P2PCTL_EXIT_USAGE;
			break;
		case OPT_OFFSET:
			if (parse_size_opt("--offset", optarg, &c->src.offset))
				return P2PCTL_EXIT_USAGE;
			break;
		case OPT_DST_OFFSET:
			if (parse_size_opt("--dst-offset", optarg,
					   &c->dst.offset))
				return P2PCTL_EXIT_USAGE;
			break;
		case OPT_LENGTH:
			if (parse_size_opt("--length", optarg, &c->length))
				return P2PCTL_EXIT_USAGE;
			if (!c->length) {
				p2pctl_usage_err(CMD, "--length must not be 0");
				return P2PCTL_EXIT_USAGE;
			}
			c->has_length = true;
			break;
		case OPT_BLOCK_SIZE:
			if (parse_size_opt("--block-size", optarg, &v))
				return P2PCTL_EXIT_USAGE;
			if (!v || v % 512 || v > MAX_BLOCK_SIZE) {
				p2pctl_usage_err(CMD, "--block-size must be a "
						 "multiple of 512 up to 64M, not "
						 "'%s'", optarg);
				return P2PCTL_EXIT_USAGE;
			}
			c->block_size = v;
			break;
		case OPT_QUEUE_DEPTH:
			errno = 0;
			qd = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || qd < 1 ||
			    qd > BLK_DMABUF_BATCH_MAX) {
				p2pctl_usage_err(CMD, "--queue-depth must be 1 to "
						 "%d, not '%s'",
						 BLK_DMABUF_BATCH_MAX, optarg);
				return P2PCTL_EXIT_USAGE;
			}
			c->queue_depth = (uint32_t)qd;
			break;
		case OPT_ENGINE:
			if (!strcmp(optarg, "io_uring")) {
				c->engine_asked = ENGINE_IO_URING;
			} else if (!strcmp(optarg, "ioctl")) {
				c->engine_asked = ENGINE_IOCTL;
			} else {
				p2pctl_usage_err(CMD, "--engine must be io_uring "
						 "or ioctl, not '%s'", optarg);
				return P2PCTL_EXIT_USAGE;
			}
			break;
		case OPT_VERIFY:
			c->verify = true;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			p2pctl_usage_err(CMD, "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		p2pctl_usage_err(CMD, "missing %s", argc == optind ?
				 "SRC and DST" : "DST");
		return P2PCTL_EXIT_USAGE;
	}
	if (argc - optind > 2) {
		p2pctl_usage_err(CMD, "unexpected argument '%s'",
				 argv[optind + 2]);
		return P2PCTL_EXIT_USAGE;
	}
	c->src.path = argv[optind];
	c->dst.path = argv[optind + 1];
	return 0;
}

static int setup_ios(struct copy *c)
{
	uint64_t n = (c->buf.window + c->block_size - 1) / c->block_size;

	if (!c->src.block && !c->dst.block)
		return 0;
	c->max_ios = n < BLK_DMABUF_BATCH_MAX ? (uint32_t)n :
		     BLK_DMABUF_BATCH_MAX;
	c->ios = calloc(c->max_ios, sizeof(*c->ios));
	if (!c->ios) {
		p2pctl_err(CMD, ENOMEM, "%u I/O entries", c->max_ios);
		return -ENOMEM;
	}
	return 0;
}

static void report_failure(const struct copy *c)
{
	char s1[16], s2[16];

	p2pctl_err(CMD, 0, "failed: %llu of %llu bytes (%s of %s) copied; DST "
		   "holds SRC's bytes up to DST offset %llu only",
		   (unsigned long long)c->copied,
		   (unsigned long long)c->length,
		   p2pctl_fmt_size(c->copied, s1, sizeof(s1)),
		   p2pctl_fmt_size(c->length, s2, sizeof(s2)),
		   (unsigned long long)(c->dst.offset + c->copied));
}

int p2pctl_copy(int argc, char **argv)
{
	struct copy c = {
		.src = { .role = "SRC", .fd = -1, .dio_fd = -1 },
		.dst = { .role = "DST", .fd = -1, .dio_fd = -1 },
		.block_size = DEFAULT_BLOCK_SIZE,
		.queue_depth = BLK_DMABUF_DEFAULT_QD,
		.buf = { .fd = -1, .dev = -1, .gem = { .drm = -1 } },
		.rd = { .name = "read" },
		.wr = { .name = "write" },
	};
	int ret, status = P2PCTL_EXIT_ERROR;

	ret = parse_args(&c, argc, argv);
	if (ret)
		return ret < 0 ? P2PCTL_EXIT_OK : ret;

	if (copy_endpoint_open(&c.src, false) || copy_endpoint_open(&c.dst, true) ||
	    copy_check_ranges(&c) || copy_buffer_get(&c) || copy_buffer_map(&c) ||
	    setup_ios(&c))
		goto out;
	copy_probe_files(&c);
	if (copy_engine_setup(&c))
		goto out;

	if (copy_run(&c)) {
		report_failure(&c);
		goto out;
	}
	if (c.buf.ours && copy_buffer_query(&c, &c.buf.after))
		c.buf.ours = false;
	if (c.verify && copy_verify(&c))
		goto out;

	if (c.json)
		copy_print_json(&c);
	else
		copy_print_text(&c);
	if (c.verified && !c.match) {
		p2pctl_err(CMD, 0, "verify: DST %s differs from SRC %s at byte "
			   "%llu of the range (SRC offset %llu, DST offset %llu)",
			   c.dst.path, c.src.path,
			   (unsigned long long)c.mismatch,
			   (unsigned long long)(c.src.offset + c.mismatch),
			   (unsigned long long)(c.dst.offset + c.mismatch));
		goto out;
	}
	status = P2PCTL_EXIT_OK;
out:
	copy_engine_teardown(&c);
	free(c.bounce);
	free(c.ios);
	copy_buffer_put(&c.buf);
	if (c.dst.fd >= 0)
		close(c.dst.fd);
	if (c.src.fd >= 0)
		close(c.src.fd);
	return status;
}
