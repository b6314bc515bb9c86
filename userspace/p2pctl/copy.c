// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: SRC -> dma-buf -> DST, one buffer-sized window at a time.
 *
 * Block devices read into and write out of the buffer in the kernel
 * (BLKDMABUFRWBATCH): a driver that DMAs dma-bufs itself (nvme-pci) moves
 * the data peer-to-peer when it reaches the buffer's memory, through system
 * memory when the exporter moved the buffer there for it, and the block
 * layer bounces it through system pages for every other driver.  Regular
 * files have no kernel import: the CPU copies them through the buffer's
 * mmap.  The report says which path each direction took and why, and counts
 * every byte the CPU copied: the bounce path's, the exporter's migrations'
 * and the files'.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/magic.h>

#include "p2pctl.h"
#include "pci.h"

#define CMD			"copy"
#define DEFAULT_BLOCK_SIZE	(1ULL << 20)
#define MAX_BLOCK_SIZE		(64ULL << 20)
/* The staging buffer p2pctl allocates: the length, up to this. */
#define MAX_WINDOW		(64ULL << 20)
#define PAGE			4096ULL
#define MAX_PROVIDERS		64
#define MAX_ATTACHMENTS		16
#define MAX_SEEN		4
#define VERIFY_CHUNK		(4U << 20)

#define FILE_REASON	"regular file: no kernel import for files yet"

/* SRC or DST. */
struct endpoint {
	const char *role;		/* "SRC", "DST" */
	const char *path;
	int fd;
	bool block;			/* else a regular file */
	struct stat st;
	uint64_t size;			/* bytes */
	uint32_t lbs;			/* logical block size, 1 for files */
	uint64_t offset;		/* of the range */
	/* Block devices: the whole disk, where this one starts on it. */
	dev_t disk;
	uint64_t disk_start;
	char name[64];			/* "nvme1n1" or the file's path */
	bool has_pci;
	struct pci_func pci;		/* the function that does its DMA */
};

/* What one direction (SRC -> buffer, buffer -> DST) did. */
struct direction {
	const char *name;		/* "read", "write" */
	uint64_t calls;			/* ioctls, or file windows */
	uint64_t maps;			/* mappings the ioctls made */
	uint64_t cpu_bytes;		/* bounced, or for files */
	struct {
		const char *path;	/* "p2p", "system", "cpu"... */
		char reason[128];
	} seen[MAX_SEEN];		/* each path taken, in order */
	int nseen;
};

enum via { VIA_AUTO, VIA_PROVIDER, VIA_FD, VIA_GEM };

struct buffer {
	enum via via;
	const char *arg;		/* the option's argument */
	int fd;
	bool own_fd;			/* ours to close (not --via-fd) */
	uint64_t size;			/* the whole dma-buf's */
	uint64_t window;		/* bytes of it each window uses */
	char exporter[64];		/* exp_name in fdinfo */
	struct pci_func provider;	/* VIA_AUTO and VIA_PROVIDER */
	struct p2pctl_gem gem;		/* VIA_GEM */
	uint8_t *map;			/* for files: the window, mapped */
	int dev;			/* /dev/dma-buf-p2p, or -1 */
	bool ours;			/* QUERY knows it */
	struct dma_buf_p2p_query before, after;
	struct dma_buf_p2p_attach_info att[MAX_ATTACHMENTS];
};

struct copy {
	struct endpoint src, dst;
	uint64_t length;
	bool has_length;
	uint64_t block_size;
	uint32_t queue_depth;
	bool verify, json;
	struct buffer buf;
	struct blk_dmabuf_io *ios;
	uint32_t max_ios;
	struct direction rd, wr;
	uint64_t ioctl_cpu;		/* cpu_bytes the ioctls reported */
	uint64_t file_cpu;		/* bytes the CPU copied for files */
	uint64_t read_done, written;	/* bytes through each direction */
	uint64_t copied;		/* bytes known to be in DST */
	double seconds;
	struct p2pctl_progress progress;
	bool verified, match;
	uint64_t mismatch;		/* offset in the range */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: p2pctl copy SRC DST [--via PROVIDER | --via-fd N | --via-gem DRMNODE]\n"
"                   [--offset O] [--dst-offset O] [--length L]\n"
"                   [--block-size B] [--queue-depth Q] [--verify] [--json]\n"
"\n"
"Copy bytes from SRC to DST through a dma-buf.  SRC and DST are block\n"
"devices or regular files; DST must exist and is opened read-write (a file\n"
"grows when the range reaches past its end, and is never truncated).\n"
"\n"
"Block devices read into the buffer and write out of it in the kernel\n"
"(BLKDMABUFRWBATCH), BLOCK bytes per I/O, Q I/Os in flight.  An NVMe drive\n"
"that reaches the buffer's memory moves the data peer-to-peer and the CPU\n"
"copies nothing; other drivers take the bounce path (the CPU copies every\n"
"byte).  Regular files have no kernel import yet: the CPU copies them\n"
"through the buffer's mmap.  The buffer holds min(length, 64M) bytes and\n"
"is reused window after window.\n"
"\n"
"The buffer:\n"
"  --via PROVIDER   allocate it on that P2PDMA provider (a PCI address from\n"
"                   'p2pctl list'); smaller when the provider has less free\n"
"  --via-fd N       use dma-buf fd N, inherited open read-write (any\n"
"                   exporter: 'p2pctl alloc', a GPU driver, udmabuf, heaps)\n"
"  --via-gem NODE   a dumb buffer of DRM node NODE (/dev/dri/cardN), exported\n"
"                   with PRIME: the GPU stack's path (vgem, any KMS driver)\n"
"  default          the first published provider with room that every block\n"
"                   device reaches peer-to-peer, below a switch first\n"
"\n"
"  --offset O       first byte of SRC (default 0)\n"
"  --dst-offset O   first byte of DST (default 0)\n"
"  --length L       bytes to copy (default: from O to the end of SRC)\n"
"  --block-size B   bytes per I/O, a multiple of 512 up to 64M (default 1M)\n"
"  --queue-depth Q  I/Os in flight, 1 to 4096 (default 32)\n"
"  --verify         read both ranges back afterwards (O_DIRECT where\n"
"                   possible) and compare them\n"
"  --json           one JSON object instead of the report\n"
"\n"
"Offsets and the length must be multiples of the logical block size of\n"
"the block devices; both ranges must lie inside them.  Ranges of the same\n"
"device or file must not overlap.  A progress bar appears on stderr when\n"
"it is a terminal and the copy takes more than a second.\n"
"\n"
"The report gives the bytes, time and throughput; for each direction the\n"
"path taken (p2p, system, bounce, cpu; native for other exporters' buffers)\n"
"and why (for p2pctl's buffers the attachment's mode and reason: p2p-bus,\n"
"p2p-host-bridge, system: no-p2p-path...); the buffer's placement before\n"
"and after and its migrations; and the bytes the CPU copied (bounce path +\n"
"the exporter's migrations + files), also per payload byte.\n"
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
"  p2pctl alloc 0000:05:00.0 16M -- sh -c \\\n"
"      'p2pctl copy disk.img /dev/nvme0n1 --via-fd $P2P_FD'\n");
}

static const char *fmt(uint64_t bytes, char *buf, size_t len)
{
	return p2pctl_fmt_size(bytes, buf, len);
}

static const char *placement_name(uint32_t placement)
{
	return placement == DMA_BUF_P2P_PLACEMENT_BAR ? "bar" : "system";
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case DMA_BUF_P2P_MODE_BUS:
		return "p2p-bus";
	case DMA_BUF_P2P_MODE_HOST_BRIDGE:
		return "p2p-host-bridge";
	default:
		return "system";
	}
}

/* The exporter's names, as its debugfs spells them. */
static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case DMA_BUF_P2P_REASON_NO_PEER2PEER:
		return "importer-needs-pages";
	case DMA_BUF_P2P_REASON_NOT_PCI:
		return "importer-not-pci";
	case DMA_BUF_P2P_REASON_NO_PATH:
		return "no-p2p-path";
	default:
		return "none";
	}
}

/* ioctl(), again after EINTR and EAGAIN, as drmIoctl() does. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

static bool read_line(const char *path, char *buf, size_t len)
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

/* ------------------------------------------------------------------ */
/* SRC and DST                                                          */

/*
 * From sysfs: the disk a block device is on (itself, or a partition's
 * disk) and where it starts there, its name, and the PCI function that
 * does its DMA (the last PCI address in its device path).
 */
static void block_sysfs(struct endpoint *e)
{
	char path[PATH_MAX + 16], real[PATH_MAX], line[64], *tok, *save;
	char *slash;
	unsigned int maj, min;
	struct pci_func pci;

	e->disk = e->st.st_rdev;
	e->disk_start = 0;
	snprintf(e->name, sizeof(e->name), "%s", e->path);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u",
		 major(e->st.st_rdev), minor(e->st.st_rdev));
	if (!realpath(path, real))
		return;
	slash = strrchr(real, '/');
	snprintf(e->name, sizeof(e->name), "%s", slash + 1);

	snprintf(path, sizeof(path), "%s/partition", real);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/start", real);
		if (read_line(path, line, sizeof(line)))
			e->disk_start = strtoull(line, NULL, 10) * 512;
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/dev", real);
		if (read_line(path, line, sizeof(line)) &&
		    sscanf(line, "%u:%u", &maj, &min) == 2)
			e->disk = makedev(maj, min);
	}

	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (pci_parse_addr(tok, &pci)) {
			e->pci = pci;
			e->has_pci = true;
		}
	}
}

static int endpoint_open(struct endpoint *e, bool write)
{
	int lbs, err;

	e->fd = open(e->path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (e->fd < 0) {
		err = errno;
		p2pctl_err(CMD, err, "open %s %s%s", e->role, e->path,
			   write ? " for writing" : "");
		return -err;
	}
	if (fstat(e->fd, &e->st)) {
		err = errno;
		p2pctl_err(CMD, err, "stat %s %s", e->role, e->path);
		return -err;
	}
	if (S_ISREG(e->st.st_mode)) {
		e->size = e->st.st_size;
		e->lbs = 1;
		snprintf(e->name, sizeof(e->name), "%s", e->path);
		return 0;
	}
	if (!S_ISBLK(e->st.st_mode)) {
		p2pctl_err(CMD, ENOTBLK, "%s %s is neither a block device nor "
			   "a regular file", e->role, e->path);
		return -ENOTBLK;
	}
	e->block = true;
	if (ioctl(e->fd, BLKGETSIZE64, &e->size) ||
	    ioctl(e->fd, BLKSSZGET, &lbs)) {
		err = errno;
		p2pctl_err(CMD, err, "size of %s %s", e->role, e->path);
		return -err;
	}
	e->lbs = (uint32_t)lbs;
	block_sysfs(e);
	return 0;
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

static int check_aligned(const struct copy *c, const struct endpoint *e,
			 const char *opt)
{
	if (!e->block)
		return 0;
	if (e->offset % e->lbs) {
		p2pctl_err(CMD, EINVAL, "%s %llu is not a multiple of the "
			   "logical block size of %s %s (%u)", opt,
			   (unsigned long long)e->offset, e->role, e->path,
			   e->lbs);
		return -EINVAL;
	}
	if (c->length % e->lbs) {
		p2pctl_err(CMD, EINVAL, "length %llu is not a multiple of the "
			   "logical block size of %s %s (%u)",
			   (unsigned long long)c->length, e->role, e->path,
			   e->lbs);
		return -EINVAL;
	}
	if (c->block_size % e->lbs) {
		p2pctl_err(CMD, EINVAL, "block size %llu is not a multiple of "
			   "the logical block size of %s %s (%u)",
			   (unsigned long long)c->block_size, e->role, e->path,
			   e->lbs);
		return -EINVAL;
	}
	return 0;
}

static int check_inside(const struct copy *c, const struct endpoint *e)
{
	uint64_t end;
	char sz[16];

	if (add_overflows(e->offset, c->length, &end) ||
	    end > (uint64_t)INT64_MAX) {
		p2pctl_err(CMD, ERANGE, "offset %llu + length %llu of %s %s is "
			   "too large", (unsigned long long)e->offset,
			   (unsigned long long)c->length, e->role, e->path);
		return -ERANGE;
	}
	/* A regular file DST grows; nothing else does. */
	if ((e->block || e == &c->src) && end > e->size) {
		p2pctl_err(CMD, ERANGE, "range [%llu, %llu) reaches past the "
			   "end of %s %s (%llu bytes, %s)",
			   (unsigned long long)e->offset,
			   (unsigned long long)end, e->role, e->path,
			   (unsigned long long)e->size,
			   fmt(e->size, sz, sizeof(sz)));
		return -ERANGE;
	}
	return 0;
}

/* Both on one disk (or one file): where each range starts on it. */
static bool same_storage(const struct endpoint *a, const struct endpoint *b,
			 uint64_t *abase, uint64_t *bbase)
{
	if (a->block && b->block && a->disk == b->disk) {
		*abase = a->disk_start;
		*bbase = b->disk_start;
		return true;
	}
	if (!a->block && !b->block && a->st.st_dev == b->st.st_dev &&
	    a->st.st_ino == b->st.st_ino) {
		*abase = 0;
		*bbase = 0;
		return true;
	}
	return false;
}

/* All before any I/O: what fails here has touched nothing. */
static int check_ranges(struct copy *c)
{
	struct endpoint *s = &c->src, *d = &c->dst;
	uint64_t sb, db, s0, d0;
	char sz[16];

	if (!c->has_length) {
		if (s->offset >= s->size) {
			p2pctl_err(CMD, ERANGE, "offset %llu is at or past the "
				   "end of SRC %s (%llu bytes, %s)",
				   (unsigned long long)s->offset, s->path,
				   (unsigned long long)s->size,
				   fmt(s->size, sz, sizeof(sz)));
			return -ERANGE;
		}
		c->length = s->size - s->offset;
	}
	if (check_aligned(c, s, "offset") || check_aligned(c, d, "dst-offset"))
		return -EINVAL;
	if (check_inside(c, s) || check_inside(c, d))
		return -ERANGE;

	if (same_storage(s, d, &sb, &db)) {
		s0 = sb + s->offset;
		d0 = db + d->offset;
		if (s0 < d0 + c->length && d0 < s0 + c->length) {
			p2pctl_err(CMD, EINVAL, "SRC %s [%llu, %llu) and DST %s "
				   "[%llu, %llu) overlap on %s", s->path,
				   (unsigned long long)s->offset,
				   (unsigned long long)(s->offset + c->length),
				   d->path, (unsigned long long)d->offset,
				   (unsigned long long)(d->offset + c->length),
				   s->block ? s->name : "the same file");
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The buffer                                                           */

static void exporter_name(int fd, char *buf, size_t len)
{
	char path[64], line[128];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exp_name:", 9)) {
			char *v = line + 9;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

/* The P2PDMA path from @dev's DMA function to @provider, NONE when none. */
static uint32_t reach(int dev, const struct p2p_provider *provider,
		      const struct endpoint *e)
{
	struct dma_buf_p2p_reach r = {
		.provider = provider->pci.id,
		.client = e->pci.id,
	};

	if (ioctl(dev, DMA_BUF_P2P_IOC_REACH, &r))
		return DMA_BUF_P2P_PATH_NONE;
	return r.path;
}

/*
 * --via: the provider's free bytes, to fit the buffer in; an unknown
 * address is left to ALLOC, whose errno says why.  Default: the first
 * published provider with room for @want that every block device with a
 * PCI function reaches, below a common switch before through the host
 * bridge.
 */
static int choose_provider(struct copy *c, uint64_t *want)
{
	static struct p2p_provider prov[MAX_PROVIDERS];
	const struct endpoint *ends[] = { &c->src, &c->dst };
	int n, best = -1, best_rank = 0;
	char sz[16];

	n = p2p_list_providers(c->buf.dev, prov, MAX_PROVIDERS);
	if (n < 0) {
		p2pctl_err(CMD, -n, "list the P2PDMA providers");
		return n;
	}
	if (n > MAX_PROVIDERS)
		n = MAX_PROVIDERS;

	if (c->buf.via == VIA_PROVIDER) {
		for (int i = 0; i < n; i++) {
			if (strcmp(prov[i].pci.addr, c->buf.provider.addr))
				continue;
			/* As much as fits: the copy takes more windows. */
			if (prov[i].available < *want &&
			    prov[i].available >= PAGE)
				*want = prov[i].available & ~(PAGE - 1);
		}
		return 0;
	}

	for (int i = 0; i < n; i++) {
		/* 2: all below a switch; 1: some through the host bridge */
		int rank = 2;

		if (!prov[i].published || prov[i].available < *want)
			continue;
		for (int e = 0; e < 2 && rank; e++) {
			if (!ends[e]->block || !ends[e]->has_pci)
				continue;
			switch (reach(c->buf.dev, &prov[i], ends[e])) {
			case DMA_BUF_P2P_PATH_BUS:
				break;
			case DMA_BUF_P2P_PATH_HOST_BRIDGE:
				rank = 1;
				break;
			default:
				rank = 0;
			}
		}
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
		}
	}
	if (best < 0) {
		p2pctl_err(CMD, 0, "no published P2PDMA provider with %s free "
			   "is reachable peer-to-peer by %s%s%s (see 'p2pctl "
			   "list'); name the buffer with --via, --via-fd or "
			   "--via-gem", fmt(*want, sz, sizeof(sz)),
			   c->src.block ? c->src.name : "",
			   c->src.block && c->dst.block ? " and " : "",
			   c->dst.block ? c->dst.name : "");
		return -ENODEV;
	}
	c->buf.provider = prov[best].pci;
	return 0;
}

static int alloc_on_provider(struct copy *c, uint64_t want)
{
	struct dma_buf_p2p_alloc a = {
		.provider = c->buf.provider.id,
		.size = want,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	const char *hint = "";
	char sz[16];
	int err;

	if (!xioctl(c->buf.dev, DMA_BUF_P2P_IOC_ALLOC, &a)) {
		c->buf.fd = (int)a.fd;
		c->buf.own_fd = true;
		return 0;
	}
	err = errno;
	if (err == ENODEV)
		hint = " (no such PCI function)";
	else if (err == ENXIO)
		hint = " (not a P2PDMA provider; see 'p2pctl list')";
	p2pctl_err(CMD, err, "alloc %s on %s%s", fmt(want, sz, sizeof(sz)),
		   c->buf.provider.addr, hint);
	return -err;
}

/* --via-fd: a dma-buf this process may write into. */
static int check_fd(struct copy *c)
{
	struct statfs sfs;
	int flags;

	if (fstatfs(c->buf.fd, &sfs) || sfs.f_type != DMA_BUF_MAGIC) {
		p2pctl_err(CMD, EINVAL, "fd %d is not a dma-buf", c->buf.fd);
		return -EINVAL;
	}
	flags = fcntl(c->buf.fd, F_GETFL);
	if (flags < 0 || (flags & O_ACCMODE) != O_RDWR) {
		p2pctl_err(CMD, EACCES, "dma-buf fd %d is not open read-write "
			   "(SRC is read into it)", c->buf.fd);
		return -EACCES;
	}
	return 0;
}

static int buffer_query(struct copy *c, struct dma_buf_p2p_query *q)
{
	return p2pctl_query(c->buf.dev, c->buf.fd, q, c->buf.att,
			    MAX_ATTACHMENTS, NULL, 0);
}

static int buffer_get(struct copy *c)
{
	struct buffer *b = &c->buf;
	uint64_t want, align;
	off_t size;
	char sz[16], al[16];
	int ret;

	want = (c->length + PAGE - 1) & ~(PAGE - 1);
	if (want > MAX_WINDOW)
		want = MAX_WINDOW;

	if (b->via == VIA_AUTO || b->via == VIA_PROVIDER) {
		b->dev = p2pctl_open_dev(CMD);
		if (b->dev < 0)
			return b->dev;
		ret = choose_provider(c, &want);
		if (ret)
			return ret;
		ret = alloc_on_provider(c, want);
		if (ret)
			return ret;
	} else {
		/* Only to ask whether it is ours: not needed otherwise. */
		b->dev = open(P2P_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (b->via == VIA_FD) {
			ret = check_fd(c);
			if (ret)
				return ret;
		} else {
			ret = p2pctl_gem_export(CMD, b->arg, want, &b->gem,
						&b->fd);
			if (ret)
				return ret;
			b->own_fd = true;
		}
	}

	size = lseek(b->fd, 0, SEEK_END);
	if (size <= 0) {
		ret = size < 0 ? errno : EINVAL;
		p2pctl_err(CMD, ret, "size of the dma-buf");
		return -ret;
	}
	b->size = size;
	exporter_name(b->fd, b->exporter, sizeof(b->exporter));

	/* Every window a whole number of blocks of both devices. */
	align = c->src.lbs > c->dst.lbs ? c->src.lbs : c->dst.lbs;
	b->window = b->size < c->length ? b->size : c->length;
	b->window -= b->window % align;
	if (!b->window) {
		p2pctl_err(CMD, EINVAL, "the dma-buf (%s) holds no whole block "
			   "of %s", fmt(b->size, sz, sizeof(sz)),
			   fmt(align, al, sizeof(al)));
		return -EINVAL;
	}

	b->ours = b->dev >= 0 && !buffer_query(c, &b->before);
	return 0;
}

/* Files need the CPU's view of the buffer. */
static int buffer_map(struct copy *c)
{
	void *p;
	int err;

	if (c->src.block && c->dst.block)
		return 0;
	p = mmap(NULL, c->buf.window, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->buf.fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		p2pctl_err(CMD, err, "mmap the dma-buf (%s) for the regular "
			   "file", c->buf.exporter);
		return -err;
	}
	c->buf.map = p;
	return 0;
}

static void buffer_put(struct buffer *b)
{
	if (b->map)
		munmap(b->map, b->window);
	if (b->own_fd && b->fd >= 0)
		close(b->fd);
	if (b->via == VIA_GEM)
		p2pctl_gem_close(&b->gem);
	if (b->dev >= 0)
		close(b->dev);
}

/* ------------------------------------------------------------------ */
/* The paths taken                                                      */

static void note_path(struct direction *d, const char *path,
		      const char *reason)
{
	for (int i = 0; i < d->nseen; i++)
		if (!strcmp(d->seen[i].path, path) &&
		    !strcmp(d->seen[i].reason, reason))
			return;
	if (d->nseen == MAX_SEEN)
		return;
	d->seen[d->nseen].path = path;
	snprintf(d->seen[d->nseen].reason, sizeof(d->seen[0].reason), "%s",
		 reason);
	d->nseen++;
}

static const struct dma_buf_p2p_attach_info *
find_attachment(const struct copy *c, const struct dma_buf_p2p_query *q,
		const struct pci_func *pci)
{
	uint32_t n = q->nr_attachments < MAX_ATTACHMENTS ? q->nr_attachments :
			MAX_ATTACHMENTS;

	for (uint32_t i = 0; i < n; i++)
		if (c->buf.att[i].pci.domain == pci->id.domain &&
		    c->buf.att[i].pci.bdf == pci->id.bdf)
			return &c->buf.att[i];
	return NULL;
}

/*
 * What a block I/O call did with the buffer.  For p2pctl's buffers the
 * exporter says where the buffer is and how the device is attached; other
 * exporters say nothing.
 */
static void note_block_path(struct copy *c, const struct endpoint *e,
			    uint32_t kpath, struct direction *d)
{
	const struct dma_buf_p2p_attach_info *att = NULL, *other = NULL;
	struct dma_buf_p2p_query q = { 0 };
	char reason[128];
	uint32_t n;

	if (c->buf.ours && !buffer_query(c, &q)) {
		if (e->has_pci)
			att = find_attachment(c, &q, &e->pci);
		n = q.nr_attachments < MAX_ATTACHMENTS ? q.nr_attachments :
		    MAX_ATTACHMENTS;
		for (uint32_t i = 0; i < n && !other; i++)
			if (c->buf.att[i].mode == DMA_BUF_P2P_MODE_SYSTEM &&
			    c->buf.att[i].reason != DMA_BUF_P2P_REASON_NONE)
				other = &c->buf.att[i];
	} else if (c->buf.ours) {
		/* It stopped answering: say nothing rather than guess. */
		c->buf.ours = false;
	}

	if (kpath == BLK_DMABUF_PATH_BOUNCE) {
		if (att)
			snprintf(reason, sizeof(reason), "bounce: the buffer "
				 "could not be mapped for %s", e->name);
		else
			snprintf(reason, sizeof(reason), "bounce: %s's driver "
				 "does no dma-buf DMA", e->name);
		note_path(d, "bounce", reason);
		return;
	}
	if (!c->buf.ours) {
		snprintf(reason, sizeof(reason), "native: exporter %s does not "
			 "say where its buffer is", c->buf.exporter);
		note_path(d, "native", reason);
		return;
	}
	if (q.placement == DMA_BUF_P2P_PLACEMENT_BAR) {
		/* The device DMAed the provider's memory. */
		if (att && att->mode != DMA_BUF_P2P_MODE_SYSTEM)
			note_path(d, "p2p", mode_name(att->mode));
		else
			note_path(d, "p2p", "p2p: the buffer is in the BAR");
		return;
	}
	if (att && att->mode == DMA_BUF_P2P_MODE_SYSTEM)
		snprintf(reason, sizeof(reason), "system: %s",
			 reason_name(att->reason));
	else if (other)
		snprintf(reason, sizeof(reason), "system: moved for %s (%s)",
			 other->device, reason_name(other->reason));
	else
		snprintf(reason, sizeof(reason), "system: the buffer is in "
			 "system memory");
	note_path(d, "system", reason);
}

/* ------------------------------------------------------------------ */
/* Moving the data                                                      */

static void progress(struct copy *c)
{
	/* Each byte goes in and out: half the work each way. */
	p2pctl_progress_update(&c->progress, (c->read_done + c->written) / 2);
}

/*
 * One window between the buffer and a block device: entries of a block
 * each, as many batches as BLK_DMABUF_BATCH_MAX needs.  @good gets the
 * bytes from the window's start known to have moved.
 */
static int block_io(struct copy *c, const struct endpoint *e, bool write,
		    uint64_t pos, uint64_t len, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	uint64_t off = 0;

	*good = 0;
	while (off < len) {
		struct blk_dmabuf_rw_batch b = { .dmabuf_fd = c->buf.fd };
		uint64_t start = off;
		uint32_t nr = 0;
		char at[16];
		int err;

		while (off < len && nr < c->max_ios) {
			uint64_t n = len - off < c->block_size ?
				     len - off : c->block_size;

			c->ios[nr++] = (struct blk_dmabuf_io) {
				.buf_offset = off,
				.dev_offset = e->offset + pos + off,
				.length = (uint32_t)n,
				.flags = write ? BLK_DMABUF_WRITE : 0,
			};
			off += n;
		}
		b.ios = (uintptr_t)c->ios;
		b.nr_ios = nr;
		b.queue_depth = c->queue_depth;
		if (!xioctl(e->fd, BLKDMABUFRWBATCH, &b)) {
			d->calls++;
			d->maps += b.maps;
			d->cpu_bytes += b.cpu_bytes;
			c->ioctl_cpu += b.cpu_bytes;
			note_block_path(c, e, b.path, d);
			*good = off;
			if (write)
				c->written += off - start;
			else
				c->read_done += off - start;
			progress(c);
			continue;
		}

		/* EIO: the entries say which failed; the first one is named. */
		err = errno;
		if (err == EIO) {
			uint32_t i;

			for (i = 0; i < nr && !c->ios[i].result; i++)
				*good += c->ios[i].length;
			if (i < nr) {
				err = -c->ios[i].result;
				start = c->ios[i].buf_offset;
			}
		}
		snprintf(at, sizeof(at), "%llu",
			 (unsigned long long)(e->offset + pos + start));
		p2pctl_progress_finish(&c->progress);
		if (write)
			p2pctl_err(CMD, err, "buffer -> %s %s at byte %s",
				   e->role, e->path, at);
		else
			p2pctl_err(CMD, err, "%s %s -> buffer at byte %s",
				   e->role, e->path, at);
		return -err;
	}
	return 0;
}

/* One window between the buffer and a regular file, by the CPU. */
static int file_io(struct copy *c, const struct endpoint *e, bool write,
		   uint64_t pos, uint64_t len, uint64_t *good)
{
	struct direction *d = write ? &c->wr : &c->rd;
	/* The CPU reads the buffer to write the file, and the other way. */
	struct dma_buf_sync sync = {
		.flags = write ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE,
	};
	uint64_t off = 0;
	int err = 0;

	*good = 0;
	sync.flags |= DMA_BUF_SYNC_START;
	if (xioctl(c->buf.fd, DMA_BUF_IOCTL_SYNC, &sync)) {
		err = errno;
		p2pctl_progress_finish(&c->progress);
		p2pctl_err(CMD, err, "CPU access to the dma-buf");
		return -err;
	}
	while (off < len) {
		size_t n = len - off < c->block_size ? len - off :
			   c->block_size;
		off_t at = (off_t)(e->offset + pos + off);
		ssize_t r;

		r = write ? pwrite(e->fd, c->buf.map + off, n, at) :
			    pread(e->fd, c->buf.map + off, n, at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* A file that shrank since we looked, or is full. */
			err = r < 0 ? errno : write ? ENOSPC : ENODATA;
			break;
		}
		off += r;
		if (write)
			c->written += r;
		else
			c->read_done += r;
		progress(c);
	}
	sync.flags &= ~DMA_BUF_SYNC_START;
	sync.flags |= DMA_BUF_SYNC_END;
	xioctl(c->buf.fd, DMA_BUF_IOCTL_SYNC, &sync);

	d->calls++;
	d->cpu_bytes += off;
	c->file_cpu += off;
	note_path(d, "cpu", FILE_REASON);
	*good = off;
	if (err) {
		p2pctl_progress_finish(&c->progress);
		if (write)
			p2pctl_err(CMD, err, "buffer -> %s %s at byte %llu",
				   e->role, e->path,
				   (unsigned long long)(e->offset + pos + off));
		else
			p2pctl_err(CMD, err, "%s %s -> buffer at byte %llu",
				   e->role, e->path,
				   (unsigned long long)(e->offset + pos + off));
		return -err;
	}
	return 0;
}

static int endpoint_io(struct copy *c, const struct endpoint *e, bool write,
		       uint64_t pos, uint64_t len, uint64_t *good)
{
	if (e->block)
		return block_io(c, e, write, pos, len, good);
	return file_io(c, e, write, pos, len, good);
}

/*
 * The block I/O skips the page cache: write out what is dirty in both
 * ranges first, so it neither goes unread nor lands on top of the copy
 * later.
 */
static void flush_page_cache(const struct endpoint *e, uint64_t len)
{
	if (e->block)
		sync_file_range(e->fd, (off64_t)e->offset, (off64_t)len,
				SYNC_FILE_RANGE_WAIT_BEFORE |
				SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER);
}

static int run_copy(struct copy *c)
{
	uint64_t pos, good;
	double start;
	int ret;

	flush_page_cache(&c->src, c->length);
	flush_page_cache(&c->dst, c->length);
	p2pctl_progress_start(&c->progress, "copy", c->length);
	start = p2pctl_now();
	for (pos = 0; pos < c->length; pos += c->buf.window) {
		uint64_t n = c->length - pos < c->buf.window ?
			     c->length - pos : c->buf.window;

		ret = endpoint_io(c, &c->src, false, pos, n, &good);
		if (ret)
			return ret;
		ret = endpoint_io(c, &c->dst, true, pos, n, &good);
		c->copied = pos + good;
		if (ret)
			return ret;
	}
	/* Done means on the medium: a file in the page cache is not. */
	if (fdatasync(c->dst.fd)) {
		ret = errno;
		p2pctl_progress_finish(&c->progress);
		p2pctl_err(CMD, ret, "flush DST %s", c->dst.path);
		c->copied = 0;
		return -ret;
	}
	c->seconds = p2pctl_now() - start;
	p2pctl_progress_finish(&c->progress);
	/* Cached pages of the DST range predate the copy. */
	if (c->dst.block)
		posix_fadvise(c->dst.fd, (off_t)c->dst.offset,
			      (off_t)c->length, POSIX_FADV_DONTNEED);
	return 0;
}

/* ------------------------------------------------------------------ */
/* --verify                                                             */

/* A fresh look at @e's data: O_DIRECT where it works, else buffered. */
struct reader {
	int direct;
	int plain;
};

static int reader_open(const struct endpoint *e, struct reader *r)
{
	char path[64];
	int err;

	/* The same file, not whatever the path names now. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->fd);
	r->direct = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	r->plain = open(path, O_RDONLY | O_CLOEXEC);
	if (r->plain < 0) {
		err = errno;
		p2pctl_err(CMD, err, "verify: open %s %s", e->role, e->path);
		if (r->direct >= 0)
			close(r->direct);
		return -err;
	}
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->direct >= 0)
		close(r->direct);
	close(r->plain);
}

/* Up to @len bytes at @off; fewer only at the end of the file. */
static ssize_t reader_read(const struct endpoint *e, struct reader *r,
			   uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		int fd = r->direct >= 0 ? r->direct : r->plain;
		ssize_t n = pread(fd, buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && fd == r->direct) {
			/* Unaligned for O_DIRECT (files): go buffered. */
			close(r->direct);
			r->direct = -1;
			continue;
		}
		if (n < 0) {
			int err = errno;

			p2pctl_err(CMD, err, "verify: read %s %s at byte %llu",
				   e->role, e->path,
				   (unsigned long long)(off + done));
			return -err;
		}
		if (!n)
			break;
		done += n;
	}
	return (ssize_t)done;
}

static int run_verify(struct copy *c)
{
	struct reader rs, rd;
	uint8_t *a, *b;
	uint64_t pos;
	int ret;

	a = aligned_alloc(PAGE, VERIFY_CHUNK);
	b = aligned_alloc(PAGE, VERIFY_CHUNK);
	if (!a || !b) {
		free(a);
		free(b);
		p2pctl_err(CMD, ENOMEM, "verify");
		return -ENOMEM;
	}
	ret = reader_open(&c->src, &rs);
	if (ret)
		goto out_free;
	ret = reader_open(&c->dst, &rd);
	if (ret)
		goto out_close_src;

	c->verified = true;
	c->match = true;
	for (pos = 0; pos < c->length && c->match; pos += VERIFY_CHUNK) {
		size_t n = c->length - pos < VERIFY_CHUNK ? c->length - pos :
			   VERIFY_CHUNK;
		ssize_t na, nb;

		na = reader_read(&c->src, &rs, a, n, c->src.offset + pos);
		nb = na < 0 ? 0 : reader_read(&c->dst, &rd, b, n,
					      c->dst.offset + pos);
		if (na < 0 || nb < 0) {
			c->verified = false;
			ret = (int)(na < 0 ? na : nb);
			break;
		}
		if ((size_t)na == n && (size_t)nb == n && !memcmp(a, b, n))
			continue;
		/* The first difference, or where one of them ended. */
		for (size_t i = 0; i < n; i++) {
			if (i >= (size_t)na || i >= (size_t)nb ||
			    a[i] != b[i]) {
				c->match = false;
				c->mismatch = pos + i;
				break;
			}
		}
	}

	reader_close(&rd);
out_close_src:
	reader_close(&rs);
out_free:
	free(b);
	free(a);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The report                                                           */

static const char *via_name(enum via via)
{
	switch (via) {
	case VIA_PROVIDER:
		return "provider";
	case VIA_FD:
		return "fd";
	case VIA_GEM:
		return "gem";
	default:
		return "auto";
	}
}

static uint64_t exporter_cpu(const struct copy *c)
{
	if (!c->buf.ours)
		return 0;
	return c->buf.after.bytes_copied - c->buf.before.bytes_copied;
}

static uint64_t cpu_total(const struct copy *c)
{
	return c->ioctl_cpu + exporter_cpu(c) + c->file_cpu;
}

static const char *dir_path(const struct direction *d)
{
	return d->nseen == 1 ? d->seen[0].path : d->nseen ? "mixed" : "none";
}

/* The reasons, "then"-joined when the path changed during the copy. */
static void dir_reason(const struct direction *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < d->nseen && used < len; i++) {
		if (d->nseen == 1)
			used += snprintf(buf + used, len - used, "%s",
					 d->seen[i].reason);
		else
			used += snprintf(buf + used, len - used, "%s%s (%s)",
					 i ? ", then " : "", d->seen[i].path,
					 d->seen[i].reason);
	}
}

static void json_endpoint(const struct endpoint *e)
{
	printf("{\"path\":");
	p2pctl_json_str(e->path);
	printf(",\"type\":\"%s\",\"name\":", e->block ? "block" : "file");
	p2pctl_json_str(e->name);
	printf(",\"offset\":%llu,\"size\":%llu,\"logical_block_size\":%u}",
	       (unsigned long long)e->offset, (unsigned long long)e->size,
	       e->lbs);
}

static void json_direction(const struct direction *d)
{
	char reason[4 * 160];

	dir_reason(d, reason, sizeof(reason));
	printf("{\"path\":\"%s\",\"reason\":", dir_path(d));
	p2pctl_json_str(reason);
	printf(",\"calls\":%llu,\"maps\":%llu,\"cpu_bytes\":%llu}",
	       (unsigned long long)d->calls, (unsigned long long)d->maps,
	       (unsigned long long)d->cpu_bytes);
}

static void print_json(const struct copy *c)
{
	const struct buffer *b = &c->buf;

	printf("{\"src\":");
	json_endpoint(&c->src);
	printf(",\"dst\":");
	json_endpoint(&c->dst);
	printf(",\"bytes\":%llu,\"seconds\":%.6f,\"bytes_per_second\":%.0f",
	       (unsigned long long)c->length, c->seconds,
	       c->seconds > 0 ? c->length / c->seconds : 0.0);
	printf(",\"block_size\":%llu,\"queue_depth\":%u",
	       (unsigned long long)c->block_size, c->queue_depth);

	printf(",\"buffer\":{\"via\":\"%s\",\"provider\":", via_name(b->via));
	if (b->via == VIA_AUTO || b->via == VIA_PROVIDER)
		p2pctl_json_str(b->provider.addr);
	else
		printf("null");
	printf(",\"fd\":");
	if (b->via == VIA_FD)
		printf("%d", b->fd);
	else
		printf("null");
	printf(",\"drm_node\":");
	if (b->via == VIA_GEM) {
		p2pctl_json_str(b->arg);
		printf(",\"drm_driver\":");
		p2pctl_json_str(b->gem.driver);
	} else {
		printf("null,\"drm_driver\":null");
	}
	printf(",\"exporter\":");
	p2pctl_json_str(b->exporter);
	printf(",\"size\":%llu,\"window\":%llu",
	       (unsigned long long)b->size, (unsigned long long)b->window);
	if (b->ours)
		printf(",\"placement_before\":\"%s\",\"placement_after\":\"%s\","
		       "\"migrations_to_system\":%llu,\"migrations_to_bar\":%llu}",
		       placement_name(b->before.placement),
		       placement_name(b->after.placement),
		       (unsigned long long)(b->after.migrations_to_system -
					    b->before.migrations_to_system),
		       (unsigned long long)(b->after.migrations_to_bar -
					    b->before.migrations_to_bar));
	else
		printf(",\"placement_before\":null,\"placement_after\":null,"
		       "\"migrations_to_system\":null,\"migrations_to_bar\":null}");

	printf(",\"read\":");
	json_direction(&c->rd);
	printf(",\"write\":");
	json_direction(&c->wr);

	printf(",\"cpu_bytes\":{\"total\":%llu,\"block_io\":%llu,\"exporter\":",
	       (unsigned long long)cpu_total(c),
	       (unsigned long long)c->ioctl_cpu);
	if (b->ours)
		printf("%llu", (unsigned long long)exporter_cpu(c));
	else
		printf("null");
	printf(",\"files\":%llu,\"per_payload_byte\":%.6f}",
	       (unsigned long long)c->file_cpu,
	       (double)cpu_total(c) / c->length);

	printf(",\"verify\":");
	if (!c->verified)
		printf("null");
	else if (c->match)
		printf("{\"match\":true}");
	else
		printf("{\"match\":false,\"first_mismatch\":%llu}",
		       (unsigned long long)c->mismatch);
	printf("}\n");
}

static void print_direction(const struct direction *d, const char *from,
			    const char *to)
{
	char reason[4 * 160];

	dir_reason(d, reason, sizeof(reason));
	if (d->nseen == 1)
		printf("%-8s %s -> %s: %s (%s)", d->name, from, to,
		       dir_path(d), reason);
	else
		printf("%-8s %s -> %s: mixed: %s", d->name, from, to, reason);
	printf(", %llu call%s", (unsigned long long)d->calls,
	       d->calls == 1 ? "" : "s");
	if (d->maps)
		printf(", %llu mapping%s", (unsigned long long)d->maps,
		       d->maps == 1 ? "" : "s");
	printf("\n");
}

static void print_human(const struct copy *c)
{
	const struct buffer *b = &c->buf;
	char s1[16], s2[16], s3[16], s4[16];
	uint64_t total = cpu_total(c);

	printf("%-8s %llu bytes (%s) from %s to %s in %.3f s: %s/s\n", "copied",
	       (unsigned long long)c->length, fmt(c->length, s1, sizeof(s1)),
	       c->src.path, c->dst.path, c->seconds,
	       fmt(c->seconds > 0 ? (uint64_t)(c->length / c->seconds) : 0,
		   s2, sizeof(s2)));

	printf("%-8s %s %s", "buffer", fmt(b->size, s1, sizeof(s1)),
	       b->exporter);
	switch (b->via) {
	case VIA_AUTO:
		printf(" on %s (chosen)", b->provider.addr);
		break;
	case VIA_PROVIDER:
		printf(" on %s", b->provider.addr);
		break;
	case VIA_FD:
		printf(" (fd %d)", b->fd);
		break;
	case VIA_GEM:
		printf(" (%s dumb buffer on %s)", b->gem.driver, b->arg);
		break;
	}
	if (b->window < c->length)
		printf(", %s windows", fmt(b->window, s2, sizeof(s2)));
	if (b->ours)
		printf(": placement %s -> %s, migrations %llu to system, %llu "
		       "to bar\n", placement_name(b->before.placement),
		       placement_name(b->after.placement),
		       (unsigned long long)(b->after.migrations_to_system -
					    b->before.migrations_to_system),
		       (unsigned long long)(b->after.migrations_to_bar -
					    b->before.migrations_to_bar));
	else
		printf(": placement not reported by its exporter\n");

	print_direction(&c->rd, c->src.path, "buffer");
	print_direction(&c->wr, "buffer", c->dst.path);

	printf("%-8s %llu bytes (%s) copied by the CPU, %.3f per payload byte: "
	       "block I/O %s, exporter migrations %s, files %s\n", "cpu",
	       (unsigned long long)total, fmt(total, s1, sizeof(s1)),
	       (double)total / c->length, fmt(c->ioctl_cpu, s2, sizeof(s2)),
	       b->ours ? fmt(exporter_cpu(c), s3, sizeof(s3)) : "unknown",
	       fmt(c->file_cpu, s4, sizeof(s4)));
	if (c->verified && c->match)
		printf("%-8s SRC and DST ranges match\n", "verify");
	else if (c->verified)
		printf("%-8s DST differs from SRC at byte %llu of the range\n",
		       "verify", (unsigned long long)c->mismatch);
}

/* ------------------------------------------------------------------ */

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
		   fmt(c->copied, s1, sizeof(s1)),
		   fmt(c->length, s2, sizeof(s2)),
		   (unsigned long long)(c->dst.offset + c->copied));
}

int p2pctl_copy(int argc, char **argv)
{
	struct copy c = {
		.src = { .role = "SRC", .fd = -1 },
		.dst = { .role = "DST", .fd = -1 },
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

	if (endpoint_open(&c.src, false) || endpoint_open(&c.dst, true) ||
	    check_ranges(&c) || buffer_get(&c) || buffer_map(&c) ||
	    setup_ios(&c))
		goto out;

	if (run_copy(&c)) {
		report_failure(&c);
		goto out;
	}
	if (c.buf.ours && buffer_query(&c, &c.buf.after))
		c.buf.ours = false;
	if (c.verify && run_verify(&c))
		goto out;

	if (c.json)
		print_json(&c);
	else
		print_human(&c);
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
	free(c.ios);
	buffer_put(&c.buf);
	if (c.dst.fd >= 0)
		close(c.dst.fd);
	if (c.src.fd >= 0)
		close(c.src.fd);
	return status;
}
