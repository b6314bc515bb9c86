/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pctl bench: what its files share.  bench.c parses the command line,
 * runs one measurement and reports it; bench-mem.c sets up the memory each
 * path moves data into; bench-io.c issues the I/O (the io_uring dma-buf
 * engine through uring-dmabuf.c); bench-buffer.c measures the buffers
 * themselves (mapping, migration).
 */
#ifndef P2PCTL_BENCH_H
#define P2PCTL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>
#include <linux/blk-dmabuf.h>

#include "p2pctl.h"
#include "pci.h"
#include "uring-dmabuf.h"

#define BENCH_CMD		"bench"
/* Most I/Os per round: each has its own slot of the memory. */
#define BENCH_MAX_SLOTS		1024U

/* How the data gets between the device and the memory. */
enum bench_path {
	BENCH_DMABUF,		/* (a) a P2P buffer by fd (enum bench_engine) */
	BENCH_DIRECT,		/* (b) O_DIRECT into host memory */
	BENCH_P2PMEM,		/* (c) O_DIRECT into sysfs p2pmem/allocate */
	BENCH_PREAD_MEMCPY,	/* (d) O_DIRECT into host memory + memcpy */
	BENCH_MIGRATED,		/* (e) as (a), the buffer in system memory */
	BENCH_BOUNCE,		/* (e) as (a), BLK_DMABUF_BOUNCE */
	BENCH_NR_PATHS,
};

enum bench_workload {
	BENCH_RANDREAD,		/* random block reads */
	BENCH_READ,		/* sequential reads */
	BENCH_WRITE,		/* sequential writes */
	BENCH_COPY,		/* SRC -> memory -> DST */
	BENCH_MAP,		/* attach + map of a whole buffer */
	BENCH_MIGRATE,		/* BAR <-> system memory vs memcpy */
	BENCH_NR_WORKLOADS,
};

/* What issues the I/O of a path. */
enum bench_engine {
	BENCH_IOCTL,		/* dma-buf: BLKDMABUFRW*, FIDMABUFRW */
	BENCH_IO_URING,		/* dma-buf: registered, READ/WRITE_FIXED;
				 * host memory: READ/WRITE */
	BENCH_PSYNC,		/* host memory: pread/pwrite */
	BENCH_NR_ENGINES,
};

extern const char *const bench_path_names[BENCH_NR_PATHS];
extern const char *const bench_workload_names[BENCH_NR_WORKLOADS];
extern const char *const bench_engine_names[BENCH_NR_ENGINES];

/*
 * CPU time, in seconds: of the whole machine, all of it not idle (the
 * kernel measures idle time when its tick stops in idle; the busy time a
 * tick samples misses what an emulated CPU does between ticks), and of
 * this process.
 */
struct bench_cpu {
	double wall;		/* when sampled */
	double idle;		/* /proc/stat: idle + iowait, all CPUs */
	double self;		/* getrusage(): user + system */
};

struct bench {
	/* The command line. */
	enum bench_path path;
	enum bench_workload workload;
	enum bench_engine engine;
	const char *dev_path, *dst_path;
	struct pci_func provider;
	bool has_provider;
	uint64_t size;		/* memory, and the region of each device */
	uint64_t dst_offset;	/* where DST's region starts */
	uint64_t block_size;
	uint32_t queue_depth;
	double seconds;
	uint64_t seed;
	bool allow_write, no_verify, json;

	/* Devices: SRC (the device, or a regular file) and, for copy, DST. */
	int dev, dst;
	bool dev_is_file;	/* FIDMABUFRW, not BLKDMABUFRW */
	uint64_t dev_bytes, dst_bytes;
	struct pci_func dev_pci;
	bool has_dev_pci;

	/* Memory (bench-mem.c). */
	int p2p;		/* /dev/dma-buf-p2p, or -1 */
	int buf_fd;		/* the dma-buf, or -1 */
	uint8_t *buf_map;	/* its CPU mapping */
	uint8_t *host;		/* host memory (direct, pread-memcpy) */
	uint8_t *p2pmem;	/* the p2pmem/allocate mapping */
	int p2pmem_fd;
	uint64_t setup_cpu_bytes;	/* the exporter's copy (migrated) */

	/* One round of I/O: each slot one I/O, at its own memory. */
	uint32_t slots;
	uint64_t *offsets;	/* device offset of each slot this round */
	struct blk_dmabuf_io *ios;
	uint64_t pass_base;	/* dst_offset while writing DST, else 0 */
	struct io_uring ring;	/* the host-memory paths' */
	bool ring_ready;
	struct uring_dmabuf uring;	/* the dma-buf paths': SRC in slot 0,
					 * DST in slot 1 */
	struct uring_dmabuf_io *uios;
	uint32_t uring_paths[2];	/* BLK_DMABUF_PATH_* of each slot */
	uint64_t rng;

	/* Results of the timed rounds. */
	uint64_t rounds, ios_done, bytes;
	uint64_t cpu_bytes;	/* copied by the CPU: kernel and p2pctl */
	uint64_t maps;		/* device mappings the kernel made */
	uint32_t kernel_path;	/* BLK_DMABUF_PATH_* of the last call */
	uint64_t retries;	/* io_uring requests issued again (-EAGAIN) */
	double wall;
	double cpu_busy, cpu_self;	/* seconds, over the timed rounds */
	bool verified;
};

/* Repeated timings: their median, minimum and maximum. */
struct bench_stat {
	double median, min, max;
};

/* bench.c */
/* dmabuf, migrated and bounce: a dma-buf the kernel moves data into. */
bool bench_is_dmabuf_path(enum bench_path p);
double bench_now(void);
void bench_cpu_sample(struct bench_cpu *c);
/* The machine's busy CPU seconds between two samples. */
double bench_cpu_busy(const struct bench_cpu *c0, const struct bench_cpu *c1);
/* Sorts @v. */
struct bench_stat bench_stat_of(double *v, int n);
/* "name": {"median": .., "min": .., "max": ..}, in JSON, scaled by @scale. */
void bench_json_stat(const char *name, struct bench_stat s, double scale);

/* bench-mem.c: 0, or an exit code after saying why not. */
int bench_mem_setup(struct bench *b);
void bench_mem_teardown(struct bench *b);
/* Where slot @slot's bytes are, as the CPU sees them. */
uint8_t *bench_slot_data(const struct bench *b, uint32_t slot);
/* DMA_BUF_IOCTL_SYNC around CPU access to the dma-buf, if there is one. */
int bench_cpu_access(const struct bench *b, bool start, bool write);
/* DMA_BUF_P2P_IOC_MIGRATE of the dma-buf: 0 or -errno. */
int bench_move(const struct bench *b, uint32_t placement);
/*
 * The exporter's counts: bytes its CPU copies moved, and mappings it made
 * (of the BAR and of system memory, for every device): 0 or -errno.
 */
int bench_exporter_stats(const struct bench *b, uint64_t *copied,
			 uint64_t *maps);

/* bench-io.c: 0, or -errno after saying why. */
int bench_io_setup(struct bench *b);
void bench_io_teardown(struct bench *b);
/* One round: plan the offsets, issue every slot's I/O, wait. */
int bench_io_round(struct bench *b);
/* Compares the last round's data with the devices, read back. */
int bench_io_verify(struct bench *b);

/* bench-buffer.c: the map and migrate workloads; an exit code. */
int bench_map(struct bench *b);
int bench_migrate(struct bench *b);

#endif /* P2PCTL_BENCH_H */
