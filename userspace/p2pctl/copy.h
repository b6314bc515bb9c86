/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pctl copy: what its files share.  copy.c parses the command line and
 * runs the steps; copy-endpoint.c opens and checks SRC and DST,
 * copy-buffer.c gets the dma-buf, copy-io.c moves the data (the ioctls and
 * the CPU), copy-uring.c with io_uring, copy-verify.c compares the ranges
 * afterwards and copy-report.c says what happened.
 */
#ifndef P2PCTL_COPY_H
#define P2PCTL_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/blk-dmabuf.h>

#include "p2pctl.h"
#include "pci.h"
#include "uring-dmabuf.h"


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
/* Why a direction took its path, one of them. */
#define REASON_LEN		160

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
	/*
	 * Regular files: their filesystem and the block device it does its
	 * direct I/O to, whose logical block size FIDMABUFRW's offsets and
	 * lengths must be multiples of (PAGE when sysfs does not say).
	 */
	char fs_type[32];		/* "ext4", "tmpfs", "9p", "nfs4" */
	char fs_dev[64];		/* "nvme1n2"; "" when none */
	uint32_t fs_lbs;
	/* Once FIDMABUFRW said no: the CPU copies the file, and why. */
	bool cpu_only;
	char cpu_reason[REASON_LEN];
	/* The io_uring engine: an O_DIRECT fd and the buffer's slot for it. */
	int dio_fd;
	bool registered;
	uint32_t slot;
	uint32_t uring_path;		/* BLK_DMABUF_PATH_* of the slot */
};

/* The block device that does @e's DMA: @e's own or its filesystem's. */
static inline const char *endpoint_dev(const struct endpoint *e)
{
	return e->block ? e->name : e->fs_dev;
}

/* What one direction (SRC -> buffer, buffer -> DST) did. */
struct direction {
	const char *name;		/* "read", "write" */
	uint64_t calls;			/* ioctls, and CPU passes over files */
	uint64_t requests;		/* io_uring reads or writes */
	uint64_t maps;			/* mappings made for it */
	bool maps_unknown;		/* io_uring, another exporter's buffer */
	uint64_t cpu_bytes;		/* bounced, cleared, or for files */
	struct {
		const char *path;	/* "p2p", "system", "cpu"... */
		char reason[REASON_LEN];
	} seen[MAX_SEEN];		/* each path taken, in order */
	int nseen;
};

enum via { VIA_AUTO, VIA_PROVIDER, VIA_FD, VIA_GEM };

/* What issues the block I/O: --engine, and what the copy used. */
enum engine { ENGINE_AUTO, ENGINE_IO_URING, ENGINE_IOCTL, ENGINE_NONE };

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
	enum engine engine_asked, engine;
	/* Why the copy does not use io_uring, when it does not. */
	char engine_reason[REASON_LEN];
	struct uring_dmabuf ring;
	struct uring_dmabuf_io *uios;
	uint32_t max_uios;
	bool verify, json;
	struct buffer buf;
	struct blk_dmabuf_io *ios;
	uint32_t max_ios;
	struct direction rd, wr;
	/*
	 * What the CPU copied in the kernel's block I/O: the bounce path's
	 * bytes and the zeros past a file's end (the ioctls report them; with
	 * io_uring every byte of a bounce slot).
	 */
	uint64_t block_cpu;
	uint64_t file_cpu;		/* bytes p2pctl's CPU copied for files */
	void *bounce;			/* block_size bytes, see file_rw() */
	uint64_t read_done, written;	/* bytes through each direction */
	uint64_t copied;		/* bytes known to be in DST */
	double seconds;
	struct p2pctl_progress progress;
	bool verified, match;
	uint64_t mismatch;		/* offset in the range */
};

/* copy.c */
/* The first line of the file @path: whether there was one. */
bool copy_read_line(const char *path, char *buf, size_t len);

/* copy-endpoint.c: 0, or an exit code after saying why not. */
int copy_endpoint_open(struct endpoint *e, bool write);
int copy_check_ranges(struct copy *c);

/* copy-buffer.c: 0, or an exit code after saying why not. */
int copy_buffer_get(struct copy *c);
int copy_buffer_map(struct copy *c);
int copy_buffer_query(struct copy *c, struct dma_buf_p2p_query *q);
void copy_buffer_put(struct buffer *b);

/* copy-io.c: 0 or -errno, after saying why; c->copied is in DST. */
void copy_probe_files(struct copy *c);
int copy_run(struct copy *c);
/* For copy-uring.c. */
void copy_note_block_path(struct copy *c, const struct endpoint *e,
			  uint32_t kpath, struct direction *d);
void copy_progress(struct copy *c);
int copy_file_io(struct copy *c, struct endpoint *e, bool write, uint64_t pos,
		 uint64_t from, uint64_t len, uint64_t *good);
void copy_io_fail(struct copy *c, const struct endpoint *e, bool write,
		  int err, uint64_t at, const char *why);

/*
 * copy-uring.c.  copy_engine_setup(): which engine the copy uses, with
 * io_uring its ring and registrations; 0 or an exit code after saying why
 * not (--engine io_uring that cannot be had).  copy_uring_io() moves one
 * window of a registered endpoint like copy-io.c's ioctls do.
 */
int copy_engine_setup(struct copy *c);
int copy_uring_io(struct copy *c, struct endpoint *e, bool write, uint64_t pos,
		  uint64_t len, uint64_t *good);
void copy_engine_teardown(struct copy *c);
const char *copy_engine_name(enum engine engine);

/* copy-verify.c: 0 or -errno; sets c->verified, c->match, c->mismatch. */
int copy_verify(struct copy *c);

/* copy-report.c */
void copy_print_text(const struct copy *c);
void copy_print_json(const struct copy *c);

#endif /* P2PCTL_COPY_H */
