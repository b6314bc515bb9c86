/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pctl: shared declarations of the commands and their helpers.
 */
#ifndef P2PCTL_H
#define P2PCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/dma-buf-p2p.h>

/* Exit codes, documented in p2pctl --help. */
#define P2PCTL_EXIT_OK		0
#define P2PCTL_EXIT_ERROR	1	/* the operation failed */
#define P2PCTL_EXIT_USAGE	2	/* bad command line */

#define P2P_DEV_PATH	"/dev/dma-buf-p2p"
/* The cap on system memory held by buffers moved out of their providers. */
#define P2PCTL_MAX_SYSTEM_BYTES \
	"/sys/class/misc/dma-buf-p2p/max_system_bytes"

struct p2pctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* "strerror (ENAME)" of errno @err into @buf, e.g. "No such device (ENODEV)". */
const char *p2pctl_strerror(int err, char *buf, size_t len);
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
/*
 * A number at the start of @s (decimal, 0x hex or 0 octal; no sign, no
 * blanks), @end after it: 0, -EINVAL or -ERANGE.
 */
int p2pctl_parse_u64(const char *s, uint64_t *out, char **end);
/* "4096", "0x1000", "4K", "64M", "64MiB", "1G"...: 0, -EINVAL or -ERANGE. */
int p2pctl_parse_size(const char *s, uint64_t *out);
/* /dev/dma-buf-p2p opened read-write, or -errno after printing why. */
int p2pctl_open_dev(const char *cmd);
/* An fd number of this process given as @arg; prints why not. */
int p2pctl_parse_fd(const char *cmd, const char *arg, int *fd);
/* A duplicate of fd @target of process @pid (pidfd_getfd); prints why not. */
int p2pctl_steal_fd(const char *cmd, pid_t pid, int target, int *fd);
/*
 * The command line of a command whose only option is --json (and --help):
 * -1 to go on, else the exit code to return after --help or a usage error.
 */
int p2pctl_json_only(const char *cmd, int argc, char **argv,
		     void (*usage)(FILE *f), bool *json);
/*
 * The value of @key in /proc/self/fdinfo/@fd, e.g. "exp_name" (a dma-buf's
 * exporter) or "mnt_id": whether found.
 */
bool p2pctl_fdinfo(int fd, const char *key, char *buf, size_t len);
/* DMA_BUF_P2P_IOC_QUERY of @fd into @q (arrays may be NULL): 0 or -errno. */
int p2pctl_query(int dev, int fd, struct dma_buf_p2p_query *q,
		 struct dma_buf_p2p_attach_info *att, uint32_t max_att,
		 struct dma_buf_p2p_chunk_info *chunks, uint32_t max_chunks);

/*
 * target.c: the buffer a command works on, FD or --pid PID --fd N.
 */
enum {
	P2PCTL_OPT_PID = 0x100,
	P2PCTL_OPT_FD,
	P2PCTL_OPT_OFFSET,
	P2PCTL_OPT_LENGTH,
};

#define P2PCTL_TARGET_OPTIONS \
	{ "pid", required_argument, NULL, P2PCTL_OPT_PID }, \
	{ "fd", required_argument, NULL, P2PCTL_OPT_FD }

struct p2pctl_target {
	/* Set by p2pctl_target_opt(). */
	const char *pid_arg;	/* --pid, or NULL */
	const char *n_arg;	/* --fd, or NULL */
	/* Set by p2pctl_target_get(). */
	int fd;			/* usable in this process */
	bool stolen;		/* a pidfd_getfd() duplicate: close it */
	int pid;		/* the process named, 0 for p2pctl's own */
	int target;		/* the fd's number in that process */
	char name[48];		/* "fd 3", "fd 5 of process 1234" */
};

#define P2PCTL_TARGET_INIT { .fd = -1 }

/* Takes --pid and --fd (getopt value @c): whether @c was one of them. */
bool p2pctl_target_opt(struct p2pctl_target *t, int c, const char *arg);
/*
 * The buffer from FD (argv[optind], the last argument) or the options;
 * prints why not.  Returns an exit code.
 */
int p2pctl_target_get(const char *cmd, struct p2pctl_target *t, int argc,
		      char **argv);
/* Closes what p2pctl_target_get() took. */
void p2pctl_target_put(struct p2pctl_target *t);

/* pattern.c: the seeded pattern and dma-buf ranges of fill, dump and verify. */

/*
 * Word @index (buffer bytes 8 * @index .. 8 * @index + 7, little-endian) of
 * the pattern of @seed: output number @index of SplitMix64 seeded with
 * @seed.  P2PCTL_PATTERN_HELP spells it out.
 */
uint64_t p2pctl_pattern_word(uint64_t seed, uint64_t index);
/* The pattern of @seed at buffer offsets @offset .. @offset + @len - 1. */
void p2pctl_pattern(void *buf, uint64_t offset, size_t len, uint64_t seed);
/* "42", "0x2a", "052": 0, or -EINVAL after a usage error naming @cmd. */
int p2pctl_parse_seed(const char *cmd, const char *s, uint64_t *seed);

#define P2PCTL_PATTERN_HELP \
	"The pattern of seed S has at buffer offset X byte X % 8 (little-endian)\n" \
	"of the 64-bit word SplitMix64(S + (X / 8 + 1) * 0x9e3779b97f4a7c15), where\n" \
	"SplitMix64(z): z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;\n" \
	"               z = (z ^ (z >> 27)) * 0x94d049bb133111eb;\n" \
	"               return z ^ (z >> 31);\n" \
	"in wrapping 64-bit arithmetic: output X / 8 (from 0) of a SplitMix64\n" \
	"generator seeded with S.  A byte depends on S and its offset in the\n" \
	"buffer only, so any range can be checked on its own.\n"

/* The options of every range command: --pid, --fd, --offset, --length. */
#define P2PCTL_RANGE_OPTIONS \
	P2PCTL_TARGET_OPTIONS, \
	{ "offset", required_argument, NULL, P2PCTL_OPT_OFFSET }, \
	{ "length", required_argument, NULL, P2PCTL_OPT_LENGTH }

#define P2PCTL_RANGE_HELP \
	"  FD             a dma-buf fd of p2pctl's own, inherited from its parent\n" \
	"                 (e.g. $P2P_FD in 'p2pctl alloc ... -- CMD')\n" \
	"  --pid PID --fd N  fd N of process PID instead (pidfd_getfd(2): needs\n" \
	"                 ptrace access to PID)\n" \
	"  --offset O     first byte of the range (default 0)\n" \
	"  --length L     bytes in the range (default: up to the buffer's end)\n"

/* A range of a dma-buf, from the command line to its CPU mapping. */
struct p2pctl_range {
	struct p2pctl_target t;	/* the buffer */
	/* Set by p2pctl_range_opt(). */
	uint64_t offset;
	uint64_t length;
	bool has_length;
	/* Set by p2pctl_range_open(). */
	bool write;
	uint64_t size;		/* the whole buffer's */
	/* Set by p2pctl_range_begin(). */
	void *map;
	size_t map_len;
	uint8_t *data;		/* the range's first byte */
};

#define P2PCTL_RANGE_INIT { .t = P2PCTL_TARGET_INIT }

/* 1 when @c was a range option, 0 when not, -1 after a usage error. */
int p2pctl_range_opt(const char *cmd, struct p2pctl_range *r, int c,
		     const char *arg);
/*
 * Gets the buffer (argv[optind] or --pid/--fd), checks it is a dma-buf,
 * the range is inside it and the fd's mode allows @write: an exit code.
 * Touches nothing in the buffer.
 */
int p2pctl_range_open(const char *cmd, struct p2pctl_range *r, int argc,
		      char **argv, bool write);
/* mmap()s the range and starts CPU access (DMA_BUF_IOCTL_SYNC): exit code. */
int p2pctl_range_begin(const char *cmd, struct p2pctl_range *r);
/* Ends CPU access, unmaps and closes what open took: an exit code. */
int p2pctl_range_end(const char *cmd, struct p2pctl_range *r);

/* info.c and alloc.c: a buffer's state, and commands run with one. */

/* A buffer's DMA_BUF_P2P_IOC_QUERY with all its attachments and chunks. */
struct p2pctl_buf {
	struct dma_buf_p2p_query q;
	struct dma_buf_p2p_attach_info *att;
	struct dma_buf_p2p_chunk_info *chunks;
	bool chunks_hidden;	/* in the BAR, but we lack CAP_SYS_ADMIN */
};

/* info.c: QUERY @fd into @b (free with p2pctl_buf_free()): 0 or -errno. */
int p2pctl_buf_query(int dev, int fd, struct p2pctl_buf *b);
void p2pctl_buf_free(struct p2pctl_buf *b);
/*
 * info.c: prints why QUERY or MIGRATE of @t failed with @err, naming
 * @what ("", " to bar"): not open, not a dma-buf, another exporter's.
 */
void p2pctl_buf_err(const char *cmd, int err, const struct p2pctl_target *t,
		    const char *what);
const char *p2pctl_placement_name(uint32_t placement);
/* How an attached device reaches the BAR, and why not: debugfs' names. */
const char *p2pctl_mode_name(uint32_t mode);
const char *p2pctl_reason_name(uint32_t reason);
void p2pctl_pci_id_str(const struct dma_buf_p2p_pci_id *id, char *buf,
		       size_t len);
/* info.c: the chunks as a table, and as a JSON array (or null). */
void p2pctl_print_chunks(const struct p2pctl_buf *b);
void p2pctl_json_chunks(const struct p2pctl_buf *b);

/*
 * alloc.c: runs @argv with @fd inherited (not close-on-exec) and its
 * number in $P2P_FD, waits; returns its exit status, 128 + the signal that
 * killed it, 127 when it cannot be run.
 */
int p2pctl_run_with_fd(const char *cmd, int fd, char **argv);

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
int p2pctl_bench(int argc, char **argv);

/*
 * progress.c and gem.c: p2pctl copy's progress bar and GEM buffers.
 */

/* progress.c: monotonic seconds. */
double p2pctl_now(void);

/*
 * A progress bar on stderr, drawn only when stderr is a terminal and the
 * work has run for a second; silent otherwise.  @done and @total count
 * whatever unit @what progresses in (bytes for copy).
 */
struct p2pctl_progress {
	const char *what;
	uint64_t total;
	uint64_t done;
	double start;
	double drawn;		/* when it was last drawn */
	bool tty;
	bool shown;		/* on the screen now */
};

void p2pctl_progress_start(struct p2pctl_progress *p, const char *what,
			   uint64_t total);
void p2pctl_progress_update(struct p2pctl_progress *p, uint64_t done);
/* Erases the bar, if it was drawn; call before printing anything else. */
void p2pctl_progress_finish(struct p2pctl_progress *p);

/* gem.c: a dumb buffer of a DRM driver, exported as a dma-buf. */
struct p2pctl_gem {
	int drm;		/* the DRM node, -1 once closed */
	uint32_t handle;	/* the dumb buffer's GEM handle */
	uint64_t size;		/* bytes, as the driver made it */
	char driver[32];	/* the DRM driver's name, e.g. "vgem" */
};

/*
 * A dumb buffer of at least @size bytes on DRM node @node (a primary node,
 * /dev/dri/cardN), exported read-write into @fd.  Returns 0, or -errno
 * after printing why not.
 */
int p2pctl_gem_export(const char *cmd, const char *node, uint64_t size,
		      struct p2pctl_gem *gem, int *fd);
void p2pctl_gem_close(struct p2pctl_gem *gem);

#endif /* P2PCTL_H */
