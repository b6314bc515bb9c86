// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl bench: one measurement of one I/O path, or of the buffers
 * themselves; scripts/bench runs the matrix of them side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "bench.h"

const char *const bench_path_names[BENCH_NR_PATHS] = {
	[BENCH_DMABUF] = "dmabuf",
	[BENCH_DIRECT] = "direct",
	[BENCH_P2PMEM] = "p2pmem",
	[BENCH_PREAD_MEMCPY] = "pread-memcpy",
	[BENCH_MIGRATED] = "migrated",
	[BENCH_BOUNCE] = "bounce",
};

const char *const bench_workload_names[BENCH_NR_WORKLOADS] = {
	[BENCH_RANDREAD] = "randread",
	[BENCH_READ] = "read",
	[BENCH_WRITE] = "write",
	[BENCH_COPY] = "copy",
	[BENCH_MAP] = "map",
	[BENCH_MIGRATE] = "migrate",
};

const char *const bench_engine_names[BENCH_NR_ENGINES] = {
	[BENCH_IOCTL] = "ioctl",
	[BENCH_IO_URING] = "io_uring",
	[BENCH_PSYNC] = "psync",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl bench --workload randread|read|write --path PATH\n"
		"                    [--engine ENGINE] [OPTIONS] DEVICE|FILE\n"
		"       p2pctl bench --workload copy --path PATH [OPTIONS] SRC DST\n"
		"       p2pctl bench --workload map --provider PCI [OPTIONS] DEVICE\n"
		"       p2pctl bench --workload migrate --provider PCI [OPTIONS]\n"
		"\n"
		"Measure one way of moving data between block devices and memory,\n"
		"so that the ways can be compared side by side on one machine.\n"
		"Each I/O of a round has its own memory; rounds repeat for the\n"
		"given time, then the last round's data is checked against the\n"
		"devices read back.  Reported: I/Os per second, MB/s, the CPU time\n"
		"of the whole machine (/proc/stat) and of p2pctl per I/O, the bytes\n"
		"the CPU copied per byte moved, and the device mappings made.\n"
		"\n"
		"Paths (--path):\n"
		"  dmabuf        a dma-buf P2P buffer on --provider, by fd\n"
		"  direct        O_DIRECT into host memory\n"
		"  p2pmem        O_DIRECT into an mmap of the provider's sysfs\n"
		"                p2pmem/allocate (the upstream page-based P2P)\n"
		"  pread-memcpy  O_DIRECT into host memory, then memcpy into the\n"
		"                mmapped buffer (and out of it for writes)\n"
		"  migrated      as dmabuf, the buffer moved to system memory first\n"
		"  bounce        as dmabuf, with BLK_DMABUF_BOUNCE: the block\n"
		"                layer's CPU copy\n"
		"\n"
		"Engines (--engine), what issues the I/O:\n"
		"  ioctl     dma-buf paths (their default): on a block device\n"
		"            BLKDMABUFRW per I/O at queue depth 1, one\n"
		"            BLKDMABUFRWBATCH per round above (and for copy); on a\n"
		"            regular file FIDMABUFRW, queue depth 1 only\n"
		"  io_uring  dma-buf paths: the buffer registered in the ring\n"
		"            (IORING_REGISTER_DMABUF; IORING_DMABUF_BOUNCE for\n"
		"            bounce), READ_FIXED/WRITE_FIXED at --queue-depth.\n"
		"            Host-memory paths: READ/WRITE (their default above\n"
		"            queue depth 1)\n"
		"  psync     host-memory paths: pread/pwrite (their default at\n"
		"            queue depth 1)\n"
		"\n"
		"Workloads (--workload):\n"
		"  randread  random blocks of the whole DEVICE (or FILE)\n"
		"  read      DEVICE's (FILE's) first SIZE bytes, in order\n"
		"  write     over DEVICE's (FILE's) first SIZE bytes, in order\n"
		"  copy      SRC's first SIZE bytes to DST's, through the memory\n"
		"  map       attach and map a SIZE buffer for DEVICE's PCI function,\n"
		"            in the BAR and in system memory: time and DMA segments\n"
		"  migrate   move a SIZE buffer to system memory and back, against\n"
		"            a memcpy of the same bytes out of and into the BAR\n"
		"\n"
		"A FILE is a regular file of a filesystem on a block device (ext4,\n"
		"xfs), opened with O_DIRECT: the filesystem's direct I/O moves the\n"
		"data.  It must hold SIZE bytes (write overwrites them in place).\n"
		"copy and map take block devices.\n"
		"\n"
		"Options:\n"
		"  --provider PCI      the P2PDMA provider of the buffer or p2pmem\n"
		"  --size S            memory, and the devices' region (default 64M)\n"
		"  --dst-offset O      copy: where DST's region starts (default 0; SRC\n"
		"                      and DST may then be one device)\n"
		"  --block-size S      bytes per I/O (default 4K for randread, else 1M)\n"
		"  --queue-depth N     I/Os in flight, 1 to %u (default 1)\n"
		"  --engine ENGINE     ioctl, io_uring or psync (see above)\n"
		"  --seconds T         how long to repeat rounds (default 3)\n"
		"  --seed N            of the random offsets and the written pattern\n"
		"                      (default 1)\n"
		"  --allow-write       write and copy overwrite the region of DEVICE\n"
		"                      (DST): say so\n"
		"  --no-verify         do not read the data back afterwards (for runs\n"
		"                      whose kernel calls are traced: the read-back\n"
		"                      would count); verified is then false\n"
		"  --json              one JSON object instead of text\n"
		"\n"
		"JSON keys: path, workload, device, dst, provider, size, dst_offset,\n"
		"block_size, queue_depth, engine, target (block or file), seconds,\n"
		"rounds, ios, bytes, iops, mb_per_s, cpu_us_per_io (machine),\n"
		"self_cpu_us_per_io (p2pctl), cpu_bytes, cpu_bytes_per_byte,\n"
		"setup_cpu_bytes (the move of migrated, before the timed rounds),\n"
		"maps, maps_per_io, retries (io_uring requests issued again after\n"
		"-EAGAIN), kernel_path (native, bounce or null), verified.  With\n"
		"the io_uring engine maps are the exporter's count of mappings\n"
		"made, and cpu_bytes on the bounce path every byte moved.\n"
		"map: bar and system, each segments, bus_segments, mode, reps,\n"
		"us {median, min, max}.  migrate: to_system_mb_s, to_bar_mb_s,\n"
		"memcpy_from_bar_mb_s, memcpy_to_bar_mb_s {median, min, max},\n"
		"reps.\n"
		"\n"
		"Exit status: 0 success; 1 the measurement failed or its data was\n"
		"wrong; 2 bad usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl bench --workload randread --path dmabuf --provider 0000:05:00.0 \\\n"
		"      --queue-depth 32 /dev/nvme2n1\n"
		"  p2pctl bench --workload read --path direct /dev/nvme2n1\n"
		"  p2pctl bench --workload randread --path dmabuf --engine io_uring \\\n"
		"      --provider 0000:05:00.0 --queue-depth 32 --size 32M \\\n"
		"      /mnt/data/seq.bin\n"
		"  p2pctl bench --workload map --provider 0000:05:00.0 --size 256M \\\n"
		"      /dev/nvme2n1\n",
		BENCH_MAX_SLOTS);
}

double bench_now(void)
{
	return p2pctl_now();
}

void bench_cpu_sample(struct bench_cpu *c)
{
	unsigned long long user, nice, sys, idle, iowait;
	struct rusage ru;
	FILE *f;

	c->idle = 0;
	f = fopen("/proc/stat", "re");
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice,
			   &sys, &idle, &iowait) == 5)
			c->idle = (double)(idle + iowait) / sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	c->wall = bench_now();
	getrusage(RUSAGE_SELF, &ru);
	c->self = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

double bench_cpu_busy(const struct bench_cpu *c0, const struct bench_cpu *c1)
{
	double busy = (c1->wall - c0->wall) * sysconf(_SC_NPROCESSORS_ONLN) -
		      (c1->idle - c0->idle);

	return busy > 0 ? busy : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench_stat bench_stat_of(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (struct bench_stat){
		.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
		.min = v[0],
		.max = v[n - 1],
	};
}

void bench_json_stat(const char *name, struct bench_stat s, double scale)
{
	printf("\"%s\": {\"median\": %.6g, \"min\": %.6g, \"max\": %.6g}", name,
	       s.median * scale, s.min * scale, s.max * scale);
}

/* Command line ------------------------------------------------------ */

static int lookup(const char *cmd_opt, const char *arg,
		  const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	p2pctl_usage_err(BENCH_CMD, "unknown %s '%s'", cmd_opt, arg);
	return -1;
}

bool bench_is_dmabuf_path(enum bench_path p)
{
	return p == BENCH_DMABUF || p == BENCH_MIGRATED || p == BENCH_BOUNCE;
}

/* The engine's default for the path, or the one asked for if it fits. */
static int check_engine(struct bench *b, bool has_engine)
{
	bool dmabuf = bench_is_dmabuf_path(b->path);

	if (b->workload >= BENCH_MAP)
		return -1;
	if (!has_engine) {
		b->engine = dmabuf ? BENCH_IOCTL :
			    b->queue_depth > 1 ? BENCH_IO_URING : BENCH_PSYNC;
		return -1;
	}
	if (dmabuf ? b->engine == BENCH_PSYNC : b->engine == BENCH_IOCTL) {
		p2pctl_usage_err(BENCH_CMD, "--engine %s is not one of %s's (%s)",
				 bench_engine_names[b->engine],
				 bench_path_names[b->path],
				 dmabuf ? "ioctl, io_uring" : "psync, io_uring");
		return P2PCTL_EXIT_USAGE;
	}
	if (b->engine == BENCH_PSYNC && b->queue_depth > 1) {
		p2pctl_usage_err(BENCH_CMD,
				 "--engine psync issues one I/O at a time: --queue-depth 1 or --engine io_uring");
		return P2PCTL_EXIT_USAGE;
	}
	return -1;
}

enum {
	OPT_PATH = 0x200, OPT_WORKLOAD, OPT_PROVIDER, OPT_SIZE, OPT_BS,
	OPT_QD, OPT_SECONDS, OPT_SEED, OPT_ALLOW_WRITE, OPT_NO_VERIFY,
	OPT_DST_OFFSET, OPT_ENGINE,
};

static int parse_options(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, OPT_PATH },
		{ "workload", required_argument, NULL, OPT_WORKLOAD },
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "dst-offset", required_argument, NULL, OPT_DST_OFFSET },
		{ "block-size", required_argument, NULL, OPT_BS },
		{ "queue-depth", required_argument, NULL, OPT_QD },
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "allow-write", no_argument, NULL, OPT_ALLOW_WRITE },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool has_path = false, has_workload = false, has_engine = false;
	uint64_t v;
	char *end;
	int c, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PATH:
			i = lookup("path", optarg, bench_path_names,
				   BENCH_NR_PATHS);
			if (i < 0)
				return P2PCTL_EXIT_USAGE;
			b->path = i;
			has_path = true;
			break;
		case OPT_WORKLOAD:
			i = lookup("workload", optarg, bench_workload_names,
				   BENCH_NR_WORKLOADS);
			if (i < 0)
				return P2PCTL_EXIT_USAGE;
			b->workload = i;
			has_workload = true;
			break;
		case OPT_ENGINE:
			i = lookup("engine", optarg, bench_engine_names,
				   BENCH_NR_ENGINES);
			if (i < 0)
				return P2PCTL_EXIT_USAGE;
			b->engine = i;
			has_engine = true;
			break;
		case OPT_PROVIDER:
			if (!pci_parse_addr(optarg, &b->provider)) {
				p2pctl_usage_err(BENCH_CMD,
						 "--provider: '%s' is not a PCI address (DDDD:BB:DD.F)",
						 optarg);
				return P2PCTL_EXIT_USAGE;
			}
			b->has_provider = true;
			break;
		case OPT_SIZE:
		case OPT_BS:
			if (p2pctl_parse_size(optarg, &v) || !v) {
				p2pctl_usage_err(BENCH_CMD, "--%s: bad size '%s'",
						 c == OPT_SIZE ? "size" : "block-size",
						 optarg);
				return P2PCTL_EXIT_USAGE;
			}
			*(c == OPT_SIZE ? &b->size : &b->block_size) = v;
			break;
		case OPT_DST_OFFSET:
			if (p2pctl_parse_size(optarg, &b->dst_offset)) {
				p2pctl_usage_err(BENCH_CMD,
						 "--dst-offset: bad size '%s'",
						 optarg);
				return P2PCTL_EXIT_USAGE;
			}
			break;
		case OPT_QD:
			if (p2pctl_parse_u64(optarg, &v, &end) || *end || !v ||
			    v > BENCH_MAX_SLOTS) {
				p2pctl_usage_err(BENCH_CMD,
						 "--queue-depth: '%s' is not 1 to %u",
						 optarg, BENCH_MAX_SLOTS);
				return P2PCTL_EXIT_USAGE;
			}
			b->queue_depth = v;
			break;
		case OPT_SECONDS:
			b->seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(b->seconds > 0) ||
			    b->seconds > 3600) {
				p2pctl_usage_err(BENCH_CMD,
						 "--seconds: '%s' is not a time over 0 and up to 3600",
						 optarg);
				return P2PCTL_EXIT_USAGE;
			}
			break;
		case OPT_SEED:
			if (p2pctl_parse_seed(BENCH_CMD, optarg, &b->seed))
				return P2PCTL_EXIT_USAGE;
			break;
		case OPT_ALLOW_WRITE:
			b->allow_write = true;
			break;
		case OPT_NO_VERIFY:
			b->no_verify = true;
			break;
		case 'j':
			b->json = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err(BENCH_CMD, "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (!has_workload) {
		p2pctl_usage_err(BENCH_CMD, "--workload is required");
		return P2PCTL_EXIT_USAGE;
	}
	if (b->workload >= BENCH_MAP) {
		if (has_path || has_engine) {
			p2pctl_usage_err(BENCH_CMD, "--%s: %s measures buffers, not a path",
					 has_path ? "path" : "engine",
					 bench_workload_names[b->workload]);
			return P2PCTL_EXIT_USAGE;
		}
	} else if (!has_path) {
		p2pctl_usage_err(BENCH_CMD, "--path is required for %s",
				 bench_workload_names[b->workload]);
		return P2PCTL_EXIT_USAGE;
	}
	return check_engine(b, has_engine);
}

/* The positional arguments and what the workload needs. */
static int check_usage(struct bench *b, int argc, char **argv)
{
	int want = b->workload == BENCH_COPY ? 2 :
		   b->workload == BENCH_MIGRATE ? 0 : 1;

	if (argc - optind != want) {
		p2pctl_usage_err(BENCH_CMD, "%s takes %s",
				 bench_workload_names[b->workload],
				 want == 2 ? "SRC and DST" :
				 want ? "one DEVICE" : "no device");
		return P2PCTL_EXIT_USAGE;
	}
	if (want)
		b->dev_path = argv[optind];
	if (want == 2)
		b->dst_path = argv[optind + 1];
	if (!b->has_provider && (b->workload >= BENCH_MAP ||
				 b->path != BENCH_DIRECT)) {
		p2pctl_usage_err(BENCH_CMD, "--provider is required for %s",
				 b->workload >= BENCH_MAP ?
				 bench_workload_names[b->workload] :
				 bench_path_names[b->path]);
		return P2PCTL_EXIT_USAGE;
	}
	if ((b->workload == BENCH_WRITE || b->workload == BENCH_COPY) &&
	    !b->allow_write) {
		p2pctl_usage_err(BENCH_CMD,
				 "%s overwrites the first %llu bytes of %s: add --allow-write",
				 bench_workload_names[b->workload],
				 (unsigned long long)b->size,
				 b->dst_path ? b->dst_path : b->dev_path);
		return P2PCTL_EXIT_USAGE;
	}
	if (!b->block_size)
		b->block_size = b->workload == BENCH_RANDREAD ? 4096 : 1 << 20;
	if (b->block_size % 4096 || b->block_size > (1U << 30) ||
	    b->size % b->block_size) {
		p2pctl_usage_err(BENCH_CMD,
				 "--block-size must be a multiple of 4K, at most 1G, that divides --size");
		return P2PCTL_EXIT_USAGE;
	}
	if (b->size % 4096 || b->dst_offset % 4096) {
		p2pctl_usage_err(BENCH_CMD,
				 "--size and --dst-offset must be multiples of 4K");
		return P2PCTL_EXIT_USAGE;
	}
	if (b->dst_offset && b->workload != BENCH_COPY) {
		p2pctl_usage_err(BENCH_CMD, "--dst-offset is for copy");
		return P2PCTL_EXIT_USAGE;
	}
	return -1;
}

/*
 * A regular file for O_DIRECT: its filesystem does direct I/O (tmpfs and
 * 9p do not) and it holds the region.  Offsets and lengths are multiples
 * of 4K, which suits every logical block size there is.  An exit code.
 */
static int open_file(struct bench *b, const char *path, bool write, int *fd,
		     uint64_t *bytes)
{
	struct stat st;

	*fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (*fd < 0) {
		p2pctl_err(BENCH_CMD, errno, "open %s with O_DIRECT%s%s", path,
			   write ? " for writing" : "",
			   errno == EINVAL ?
			   " (its filesystem has no direct I/O)" : "");
		return P2PCTL_EXIT_ERROR;
	}
	if (fstat(*fd, &st)) {
		p2pctl_err(BENCH_CMD, errno, "size of %s", path);
		return P2PCTL_EXIT_ERROR;
	}
	*bytes = st.st_size;
	if (*bytes < b->size) {
		p2pctl_err(BENCH_CMD, ERANGE,
			   "%s has %llu bytes, --size is %llu (make it longer first: fallocate, dd)",
			   path, (unsigned long long)*bytes,
			   (unsigned long long)b->size);
		return P2PCTL_EXIT_ERROR;
	}
	b->dev_is_file = true;
	return 0;
}

/*
 * A block device (or for randread, read and write a regular file) opened
 * for O_DIRECT, its size checked: an exit code.
 */
static int open_device(struct bench *b, const char *path, bool write, int *fd,
		       uint64_t *bytes, uint64_t offset)
{
	bool file_ok = fd == &b->dev && b->workload <= BENCH_WRITE;
	struct stat st;
	int lbs;

	/* Before opening: O_DIRECT is EINVAL on what is no block device. */
	if (stat(path, &st)) {
		p2pctl_err(BENCH_CMD, errno, "open %s", path);
		return P2PCTL_EXIT_ERROR;
	}
	if (S_ISREG(st.st_mode) && file_ok)
		return open_file(b, path, write, fd, bytes);
	if (!S_ISBLK(st.st_mode)) {
		p2pctl_err(BENCH_CMD, ENOTBLK, "%s%s", path,
			   S_ISREG(st.st_mode) ?
			   " (copy and map take block devices)" : "");
		return P2PCTL_EXIT_ERROR;
	}
	*fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (*fd < 0) {
		p2pctl_err(BENCH_CMD, errno, "open %s%s", path,
			   write ? " for writing" : "");
		return P2PCTL_EXIT_ERROR;
	}
	if (ioctl(*fd, BLKGETSIZE64, bytes) || ioctl(*fd, BLKSSZGET, &lbs)) {
		p2pctl_err(BENCH_CMD, errno, "size of %s", path);
		return P2PCTL_EXIT_ERROR;
	}
	if (b->block_size % lbs) {
		p2pctl_err(BENCH_CMD, EINVAL,
			   "--block-size %llu is not a multiple of %s's logical block size %d",
			   (unsigned long long)b->block_size, path, lbs);
		return P2PCTL_EXIT_ERROR;
	}
	if (b->workload != BENCH_MAP && *bytes < offset + b->size) {
		p2pctl_err(BENCH_CMD, ERANGE, "%s has %llu bytes, %s is %llu",
			   path, (unsigned long long)*bytes,
			   offset ? "--dst-offset + --size" : "--size",
			   (unsigned long long)(offset + b->size));
		return P2PCTL_EXIT_ERROR;
	}
	if (fd == &b->dev) {
		char sys[64];

		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u",
			 major(st.st_rdev), minor(st.st_rdev));
		b->has_dev_pci = pci_func_of_sysfs(sys, &b->dev_pci);
	}
	return 0;
}

/* SRC and DST are the same block device and their regions meet. */
static bool same_range(const struct bench *b)
{
	struct stat s, d;

	if (fstat(b->dev, &s) || fstat(b->dst, &d) || s.st_rdev != d.st_rdev)
		return false;
	return b->dst_offset < b->size;
}

/* Report ------------------------------------------------------------ */

static const char *kernel_path_name(uint32_t path)
{
	switch (path) {
	case BLK_DMABUF_PATH_NATIVE:
		return "native";
	case BLK_DMABUF_PATH_BOUNCE:
		return "bounce";
	default:
		return NULL;
	}
}

static void json_head(const struct bench *b)
{
	printf("{\"path\": ");
	if (b->workload >= BENCH_MAP)
		printf("null");
	else
		p2pctl_json_str(bench_path_names[b->path]);
	printf(", \"workload\": ");
	p2pctl_json_str(bench_workload_names[b->workload]);
	printf(", \"device\": ");
	if (b->dev_path)
		p2pctl_json_str(b->dev_path);
	else
		printf("null");
	printf(", \"dst\": ");
	if (b->dst_path)
		p2pctl_json_str(b->dst_path);
	else
		printf("null");
	printf(", \"provider\": ");
	if (b->has_provider)
		p2pctl_json_str(b->provider.addr);
	else
		printf("null");
	printf(", \"size\": %llu, ", (unsigned long long)b->size);
}

/* Not the one the path has always used: say which. */
static bool engine_named(const struct bench *b)
{
	return bench_is_dmabuf_path(b->path) ? b->engine != BENCH_IOCTL :
	       b->engine != (b->queue_depth > 1 ? BENCH_IO_URING :
						  BENCH_PSYNC);
}

static void report_io(const struct bench *b)
{
	double ios = b->ios_done, cpu = b->cpu_busy, self = b->cpu_self;
	const char *kpath = kernel_path_name(b->kernel_path);
	char bs[16];

	if (b->json) {
		json_head(b);
		printf("\"dst_offset\": %llu, \"block_size\": %llu, \"queue_depth\": %u, \"engine\": \"%s\", \"target\": \"%s\", \"seconds\": %.3f, \"rounds\": %llu, \"ios\": %llu, \"bytes\": %llu, ",
		       (unsigned long long)b->dst_offset,
		       (unsigned long long)b->block_size, b->queue_depth,
		       bench_engine_names[b->engine],
		       b->dev_is_file ? "file" : "block", b->wall, (unsigned long long)b->rounds,
		       (unsigned long long)b->ios_done,
		       (unsigned long long)b->bytes);
		printf("\"iops\": %.1f, \"mb_per_s\": %.2f, \"cpu_us_per_io\": %.2f, \"self_cpu_us_per_io\": %.2f, ",
		       ios / b->wall, b->bytes / b->wall / 1e6,
		       cpu / ios * 1e6, self / ios * 1e6);
		printf("\"cpu_bytes\": %llu, \"cpu_bytes_per_byte\": %.4f, \"setup_cpu_bytes\": %llu, \"maps\": %llu, \"maps_per_io\": %.6f, \"retries\": %llu, \"kernel_path\": ",
		       (unsigned long long)b->cpu_bytes,
		       (double)b->cpu_bytes / b->bytes,
		       (unsigned long long)b->setup_cpu_bytes,
		       (unsigned long long)b->maps, b->maps / ios,
		       (unsigned long long)b->retries);
		if (kpath)
			p2pctl_json_str(kpath);
		else
			printf("null");
		printf(", \"verified\": %s}\n", b->verified ? "true" : "false");
		return;
	}
	printf("%s %s %s QD%u%s%s on %s%s%s: %llu I/Os in %.2f s\n",
	       bench_path_names[b->path], bench_workload_names[b->workload],
	       p2pctl_fmt_size(b->block_size, bs, sizeof(bs)), b->queue_depth,
	       engine_named(b) ? " via " : "",
	       engine_named(b) ? bench_engine_names[b->engine] : "",
	       b->dev_path, b->dst_path ? " -> " : "",
	       b->dst_path ? b->dst_path : "",
	       (unsigned long long)b->ios_done, b->wall);
	printf("  %.0f IOPS, %.1f MB/s\n", ios / b->wall,
	       b->bytes / b->wall / 1e6);
	printf("  CPU per I/O: %.1f us (the machine), %.1f us (p2pctl)\n",
	       cpu / ios * 1e6, self / ios * 1e6);
	printf("  CPU copies: %.3f bytes per byte moved", (double)b->cpu_bytes /
	       b->bytes);
	if (b->setup_cpu_bytes)
		printf(" (and %llu bytes moving the buffer before the rounds)",
		       (unsigned long long)b->setup_cpu_bytes);
	printf("\n  device mappings made: %llu%s%s\n",
	       (unsigned long long)b->maps, kpath ? "; kernel path " : "",
	       kpath ? kpath : "");
	if (b->retries)
		printf("  io_uring requests issued again after EAGAIN: %llu\n",
		       (unsigned long long)b->retries);
	printf("  data of the last round: %s\n", b->no_verify ? "not checked" :
	       b->verified ? "verified" : "WRONG");
}

/* The measurement --------------------------------------------------- */

static int run_io(struct bench *b)
{
	struct bench_cpu c0, c1;
	uint64_t copied0 = 0, copied1 = 0, maps0 = 0, maps1 = 0;
	double t0;
	int ret;

	if (bench_io_setup(b))
		return P2PCTL_EXIT_ERROR;
	/* Not timed: the first mapping, page faults, caches. */
	ret = bench_io_round(b);
	if (ret)
		return P2PCTL_EXIT_ERROR;
	b->rounds = b->ios_done = b->bytes = b->cpu_bytes = b->maps = 0;
	b->retries = 0;

	ret = b->buf_fd >= 0 ? bench_exporter_stats(b, &copied0, &maps0) : 0;
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "query the buffer");
		return P2PCTL_EXIT_ERROR;
	}
	bench_cpu_sample(&c0);
	t0 = bench_now();
	do {
		ret = bench_io_round(b);
		if (ret)
			return P2PCTL_EXIT_ERROR;
	} while (bench_now() - t0 < b->seconds);
	b->wall = bench_now() - t0;
	bench_cpu_sample(&c1);
	ret = b->buf_fd >= 0 ? bench_exporter_stats(b, &copied1, &maps1) : 0;
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "query the buffer");
		return P2PCTL_EXIT_ERROR;
	}
	/* The exporter's copies while the rounds ran count too. */
	b->cpu_bytes += copied1 - copied0;
	/* io_uring says nothing of mappings: the exporter does. */
	if (bench_is_dmabuf_path(b->path) && b->engine == BENCH_IO_URING)
		b->maps = maps1 - maps0;
	b->cpu_busy = bench_cpu_busy(&c0, &c1);
	b->cpu_self = c1.self - c0.self;

	ret = b->no_verify ? 0 : bench_io_verify(b);
	report_io(b);
	return ret ? P2PCTL_EXIT_ERROR : P2PCTL_EXIT_OK;
}

static int run_buffer(struct bench *b)
{
	int ret;

	if (b->workload == BENCH_MAP && !b->has_dev_pci) {
		p2pctl_err(BENCH_CMD, ENODEV,
			   "%s: no PCI function does its DMA", b->dev_path);
		return P2PCTL_EXIT_ERROR;
	}
	if (b->json)
		json_head(b);
	else
		printf("%s of a %llu byte buffer on %s%s%s\n",
		       bench_workload_names[b->workload],
		       (unsigned long long)b->size, b->provider.addr,
		       b->dev_path ? " for " : "",
		       b->dev_path ? b->dev_pci.addr : "");
	ret = b->workload == BENCH_MAP ? bench_map(b) : bench_migrate(b);
	if (b->json)
		printf("}\n");
	return ret;
}

int p2pctl_bench(int argc, char **argv)
{
	struct bench b = {
		.size = 64ULL << 20,
		.queue_depth = 1,
		.seconds = 3,
		.seed = 1,
		.dev = -1,
		.dst = -1,
		.p2p = -1,
		.buf_fd = -1,
		.p2pmem_fd = -1,
	};
	bool write;
	int ret;

	ret = parse_options(&b, argc, argv);
	if (ret >= 0)
		return ret;
	ret = check_usage(&b, argc, argv);
	if (ret >= 0)
		return ret;

	write = b.workload == BENCH_WRITE;
	ret = 0;
	if (b.dev_path)
		ret = open_device(&b, b.dev_path, write, &b.dev, &b.dev_bytes, 0);
	if (!ret && b.dst_path)
		ret = open_device(&b, b.dst_path, true, &b.dst, &b.dst_bytes,
				  b.dst_offset);
	if (!ret && b.dst_path && same_range(&b)) {
		p2pctl_usage_err(BENCH_CMD,
				 "SRC and DST are one device and their regions overlap: give --dst-offset");
		ret = P2PCTL_EXIT_USAGE;
	}
	if (!ret && b.dev_is_file && bench_is_dmabuf_path(b.path) &&
	    b.engine == BENCH_IOCTL && b.queue_depth > 1) {
		p2pctl_usage_err(BENCH_CMD,
				 "FIDMABUFRW moves one range at a time: --queue-depth %u on a regular file needs --engine io_uring",
				 b.queue_depth);
		ret = P2PCTL_EXIT_USAGE;
	}
	if (ret)
		goto out;
	if (b.workload >= BENCH_MAP)
		b.path = BENCH_DMABUF;	/* the buffer, mapped */
	ret = bench_mem_setup(&b);
	if (!ret)
		ret = b.workload >= BENCH_MAP ? run_buffer(&b) : run_io(&b);
out:
	bench_io_teardown(&b);
	bench_mem_teardown(&b);
	if (b.dev >= 0)
		close(b.dev);
	if (b.dst >= 0)
		close(b.dst);
	return ret;
}
