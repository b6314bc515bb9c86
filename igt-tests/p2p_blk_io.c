// SPDX-License-Identifier: MIT
/*
 * Block I/O between block devices and dma-bufs through BLKDMABUFRW and
 * BLKDMABUFRWBATCH (include/uapi/linux/blk-dmabuf.h): NVMe DMA straight into
 * the VRAM stand-in's BAR and the NVMe CMB, into other exporters' buffers
 * (vgem, udmabuf, the system heap), the bounce path of virtio-blk, batches,
 * every invalid input, PRPs and SGLs, and buffers that move or
 * controllers that reset or go away while I/O streams.
 *
 * Ground truth is what the host can read: the disk images and the VRAM file
 * in the run directory (build/vm/MODE), which the guest sees at the same
 * path through the 9p share.  scripts/guest-init mounts that share without a
 * cache= option, i.e. cache=none, so reads go to QEMU's 9p server every time;
 * the images are opened with O_DIRECT too (which forces the same on any 9p
 * mount), and the files are the devices: QEMU writes a request through to
 * the image before it completes it, and both ioctls return only once every
 * byte has moved.  Buffers are checked through their own mmap and, while
 * they are in the BAR, in the VRAM file at the BAR offsets QUERY reports.
 *
 * Disk regions (the NVMe images are 128 MiB, vblk.img 64 MiB):
 *
 *   NVMe [0, 64 MiB)      read region: tests only ever read it
 *   NVMe [64, 96 MiB)     unused
 *   NVMe [96, 128 MiB)    write region, a slice per test:
 *     [96, 112 MiB)         vram-write-to-nvme and prp-and-sgl (peer0,
 *                           one after the other); cmb-relay's target
 *                           (far0, or cmb0 where far0 cannot reach the CMB)
 *     [112, 116 MiB)        vgem-target (peer0)
 *     [116, 120 MiB)        udmabuf-target (peer0)
 *     [120, 124 MiB)        system-heap-target (peer0)
 *     [124, 128 MiB)        invalid-inputs: the rejected writes aim here
 *                           (and at the device's last bytes); must not change
 *   vblk [0, 32 MiB)      read region
 *   vblk [48, 64 MiB)     write region of virtio-blk-bounce
 *
 * scripts/vm writes new images only with --fresh (make check always passes
 * it) or when one is missing; a plain scripts/vm run keeps what the last one
 * wrote.  So every write test reads its slice from the image first, writes
 * bytes checked to differ from them (a pattern seeded from those bytes, or
 * another region's), checks the image, then writes the old bytes back and
 * checks again: reruns see the same images whether or not they were
 * reseeded, and a write that did nothing cannot pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/blk-dmabuf.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <linux/udmabuf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_proc.h"
#include "p2p_slice.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("Read and write block devices straight into and out "
		     "of dma-bufs: NVMe peer-to-peer into BARs, other "
		     "exporters' buffers, the bounce path, batches, bad input, "
		     "and buffers that move while I/O streams.");

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)

#define READ_SIZE		(64 * MiB)
#define WRITE_VRAM		(96 * MiB)
#define WRITE_VGEM		(112 * MiB)
#define WRITE_UDMABUF		(116 * MiB)
#define WRITE_HEAP		(120 * MiB)
#define WRITE_INVALID		(124 * MiB)
#define SLICE_FOREIGN		(4 * MiB)
#define VBLK_READ_SIZE		(32 * MiB)
#define VBLK_WRITE		(48 * MiB)

enum { CMB, PEER, FAR };

#define EXPORTER_DEBUGFS "/sys/kernel/debug/dma-buf-p2p/"

/* A block device of the test machine, the image behind it. */
struct bdev {
	const char *serial;
	char name[32];
	const char *image;
	int fd;			/* opened O_RDWR */
	uint64_t size;
	uint32_t lbs;		/* logical block size */
	const struct p2p_pci *pci;	/* NVMe controller; NULL for virtio */
};

struct env {
	struct p2p_machine m;
	int dev;		/* /dev/dma-buf-p2p */
	struct bdev nvme[3];
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

/* The tests' fixed-seed random numbers. */
static uint64_t rnd(uint64_t *state)
{
	return p2p_splitmix64(state);
}


static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A pattern seed that depends on what the region holds now. */
static uint64_t seed_for(uint64_t base, const uint8_t *old, size_t len)
{
	return base ^ p2p_crc32(old, len < 64 * KiB ? len : 64 * KiB);
}

/* ------------------------------------------------------------------ */
/* Ground truth: the images and the VRAM file, read as the host has them */

static void check_image(const struct bdev *b, uint64_t off, const uint8_t *want,
			size_t len, const char *what)
{
	uint8_t *got = p2p_file_dup(b->image, off, len);
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s at %#" PRIx64, what, b->image, off);
	p2p_check_bytes(got, want, len, msg);
	free(got);
}

/* ------------------------------------------------------------------ */
/* Block devices                                                        */

static void bdev_open(struct bdev *b, const char *serial, const char *image,
		      const struct p2p_pci *pci)
{
	char path[64];
	struct stat st;
	int lbs;

	memset(b, 0, sizeof(*b));
	b->serial = serial;
	b->image = image;
	b->pci = pci;
	igt_assert_f(p2p_block_by_serial(serial, b->name, sizeof(b->name)),
		     "no block device with serial %s\n", serial);
	snprintf(path, sizeof(path), "/dev/%s", b->name);
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_f(b->fd >= 0, "cannot open %s: %m\n", path);
	igt_assert_eq(ioctl(b->fd, BLKGETSIZE64, &b->size), 0);
	igt_assert_eq(ioctl(b->fd, BLKSSZGET, &lbs), 0);
	b->lbs = lbs;
	igt_assert_eq(stat(image, &st), 0);
	igt_assert_f((uint64_t)st.st_size == b->size,
		     "%s is %" PRIu64 " bytes, its image %s %lld\n", path,
		     b->size, image, (long long)st.st_size);
	igt_debug("%s: /dev/%s, %" PRIu64 " bytes, %u-byte blocks\n", serial,
		  b->name, b->size, b->lbs);
}

static void bdev_close(struct bdev *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static void blk_rw(const struct bdev *b, int buf, uint32_t flags,
		   uint64_t buf_offset, uint64_t dev_offset, uint64_t length,
		   struct blk_dmabuf_rw *rw)
{
	int err = p2p_blk_rw(b->fd, buf, flags, buf_offset, dev_offset, length,
			   rw);

	igt_assert_f(!err, "%s %" PRIu64 " bytes at %#" PRIx64 " of %s: %s\n",
		     flags & BLK_DMABUF_WRITE ? "writing" : "reading", length,
		     dev_offset, b->name, strerror(-err));
	igt_info("%s %s %" PRIu64 " MiB at %" PRIu64 " MiB: path %s, "
		 "maps %u, cpu_bytes %" PRIu64 "\n",
		 b->name, flags & BLK_DMABUF_WRITE ? "write" : "read",
		 length / MiB, dev_offset / MiB,
		 rw->path == BLK_DMABUF_PATH_NATIVE ? "native" :
		 rw->path == BLK_DMABUF_PATH_BOUNCE ? "bounce" : "?",
		 rw->maps, (uint64_t)rw->cpu_bytes);
}

/*
 * The pin kernel (CONFIG_DMABUF_MOVE_NOTIFY off): mapping pins, so the
 * importer keeps no mapping between calls; each call maps once.
 */
static bool pin_kernel;

/* The native path: the device DMAed the buffer, the CPU copied nothing. */
static void assert_native(const struct blk_dmabuf_rw *rw, uint32_t maps)
{
	igt_assert_eq_u32(rw->path, BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq_u64(rw->cpu_bytes, 0);
	igt_assert_eq_u32(rw->maps, pin_kernel ? 1 : maps);
}

/* After a call: the mapping stays cached, except on the pin kernel. */
static void assert_mapped_after_call(const struct dma_buf_p2p_attach_info *att)
{
	igt_assert_eq(!!(att->flags & DMA_BUF_P2P_ATTACH_MAPPED), !pin_kernel);
}

/* ------------------------------------------------------------------ */
/* dma-bufs                                                             */

static const struct dma_buf_p2p_attach_info *
find_attachment(const struct p2p_query *q, const struct p2p_pci *pci)
{
	for (uint32_t i = 0; i < q->q.nr_attachments; i++)
		if (q->att[i].pci.domain == pci->id.domain &&
		    q->att[i].pci.bdf == pci->id.bdf)
			return &q->att[i];
	igt_assert_f(0, "%s is not attached to the buffer (%u attachments)\n",
		     pci->addr, q->q.nr_attachments);
	return NULL;
}

/* Check a buffer's bytes through its mmap, inside a CPU access. */
static void check_map(int fd, const uint8_t *map, const uint8_t *want,
		      size_t len, const char *what)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s, through the dma-buf's mmap", what);
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	p2p_check_bytes(map, want, len, msg);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

static void fill_map(int fd, uint8_t *map, const uint8_t *src, size_t len)
{
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(map, src, len);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

static void set_map(int fd, uint8_t *map, int c, size_t len)
{
	p2p_cpu_access(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(map, c, len);
	p2p_cpu_access(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* The first @len bytes of a BAR buffer, from the host's VRAM file. */
static void check_vram_file(const struct env *e, int fd, const uint8_t *want,
			    size_t len, const char *what)
{
	struct p2p_query q;
	char msg[256];
	uint8_t *got;

	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	got = p2p_vram_dup(&e->m, &q, len);
	snprintf(msg, sizeof(msg), "%s, in the VRAM file at the buffer's "
		 "BAR offsets", what);
	p2p_check_bytes(got, want, len, msg);
	free(got);
}

/* The mode the exporter should give @device for memory of @provider. */
static uint32_t expected_mode(const struct env *e,
			      const struct p2p_pci *provider,
			      const struct p2p_pci *device)
{
	return p2p_expected_mode(provider, device, e->m.host_bridge_p2p);
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case DMA_BUF_P2P_MODE_SYSTEM:
		return "system";
	case DMA_BUF_P2P_MODE_BUS:
		return "p2p-bus";
	case DMA_BUF_P2P_MODE_HOST_BRIDGE:
		return "p2p-host-bridge";
	default:
		return "?";
	}
}

/* ------------------------------------------------------------------ */
/* Counters: importer, block layer, exporter providers (debugfs)         */

struct provider_counters {
	long long allocs, maps_bus, maps_hb, maps_sys, to_sys, to_bar, copied,
		  mapped_p2p;
};

struct counters {
	long long imports, maps, invalidations, cpu_bytes;
	long long native_bios, native_bytes, bounce_bios, bounce_bytes;
	struct provider_counters vram, cmb;
};

static void read_provider(const struct p2p_pci *pci,
			  struct provider_counters *c)
{
	char line[512], name[32];
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(EXPORTER_DEBUGFS "providers", "re");
	igt_assert_f(f, "no " EXPORTER_DEBUGFS "providers: %m\n");
	igt_assert(fgets(line, sizeof(line), f));	/* the header */
	while (fgets(line, sizeof(line), f)) {
		struct provider_counters t;

		igt_assert_eq(sscanf(line, "%31s %lld %lld %lld %lld %lld %lld %lld %lld",
				     name, &t.allocs, &t.maps_bus, &t.maps_hb,
				     &t.maps_sys, &t.to_sys, &t.to_bar,
				     &t.copied, &t.mapped_p2p), 9);
		if (!strcmp(name, pci->addr))
			*c = t;
	}
	fclose(f);
}

static void read_counters(const struct env *e, struct counters *c)
{
	c->imports = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
	c->maps = p2p_debugfs_key(P2P_IMPORT_STATS, "maps");
	c->invalidations = p2p_debugfs_key(P2P_IMPORT_STATS, "invalidations");
	c->cpu_bytes = p2p_debugfs_key(P2P_IMPORT_STATS, "cpu_bytes");
	c->native_bios = p2p_debugfs_key(P2P_BLK_STATS, "native_requests");
	c->native_bytes = p2p_debugfs_key(P2P_BLK_STATS, "native_bytes");
	c->bounce_bios = p2p_debugfs_key(P2P_BLK_STATS, "bounce_bios");
	c->bounce_bytes = p2p_debugfs_key(P2P_BLK_STATS, "bounce_bytes");
	read_provider(&e->m.vram, &c->vram);
	read_provider(&e->m.nvme[CMB].pci, &c->cmb);
}

/* What the block layer counted between @a and @b: all native, or all bounced. */
static void assert_blk_native(const struct counters *a,
			      const struct counters *b, uint64_t bytes)
{
	igt_assert_eq_u64(b->native_bytes - a->native_bytes, bytes);
	igt_assert_f(b->native_bios > a->native_bios,
		     "native_requests did not grow\n");
	igt_assert_eq_u64(b->bounce_bytes - a->bounce_bytes, 0);
	igt_assert_eq_u64(b->bounce_bios - a->bounce_bios, 0);
	/* Nothing went through the importer's CPU helpers. */
	igt_assert_eq_u64(b->cpu_bytes - a->cpu_bytes, 0);
}

/* No CPU copy by the exporter: no buffer of the provider moved. */
static void assert_no_exporter_copy(const struct provider_counters *a,
				    const struct provider_counters *b)
{
	igt_assert_eq_u64(b->copied - a->copied, 0);
	igt_assert_eq_u64(b->to_sys - a->to_sys, 0);
	igt_assert_eq_u64(b->to_bar - a->to_bar, 0);
}

/* ------------------------------------------------------------------ */
/* Write a buffer to a device slice, check the image, put the old bytes back */

/*
 * @map holds @len bytes at buffer offset 0 that differ from the slice's
 * @old bytes: write them natively at @dev_offset and check the image, then
 * put the old bytes back the same way.  @maps: what the first write must
 * report.
 */
static void write_check_restore(const struct bdev *b, int buf, uint8_t *map,
				uint64_t dev_offset, size_t len,
				const uint8_t *old, uint32_t maps,
				const char *what)
{
	struct blk_dmabuf_rw rw;
	uint8_t *want = p2p_xalloc(len);

	p2p_cpu_access(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	memcpy(want, map, len);
	p2p_cpu_access(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	igt_assert_f(memcmp(want, old, len),
		     "%s: the slice already holds the bytes to write\n", what);

	blk_rw(b, buf, BLK_DMABUF_WRITE, 0, dev_offset, len, &rw);
	assert_native(&rw, maps);
	check_image(b, dev_offset, want, len, what);

	fill_map(buf, map, old, len);
	blk_rw(b, buf, BLK_DMABUF_WRITE, 0, dev_offset, len, &rw);
	assert_native(&rw, 0);
	check_image(b, dev_offset, old, len, "restoring the slice");
	free(want);
}

/* ------------------------------------------------------------------ */
/* The tests                                                            */

static void test_nvme_read_vram(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = READ_SIZE;
	uint32_t mode = expected_mode(e, &e->m.vram, peer->pci);
	const struct dma_buf_p2p_attach_info *att;
	struct counters c0, c1, c2;
	struct blk_dmabuf_rw rw;
	struct p2p_query q;
	uint8_t *want, *map;
	int fd;

	igt_assert_f(mode != DMA_BUF_P2P_MODE_SYSTEM,
		     "topology: peer0 must reach the VRAM BAR\n");
	want = p2p_file_dup(peer->image, 0, size);
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);

	read_counters(e, &c0);
	blk_rw(peer, fd, 0, 0, 0, size, &rw);
	read_counters(e, &c1);
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, size);
	igt_assert_eq_u64(c1.maps - c0.maps, 1);
	assert_no_exporter_copy(&c0.vram, &c1.vram);

	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	igt_assert_eq_u64(q.q.bytes_copied, 0);
	igt_assert_eq_u64(q.q.maps_system, 0);
	igt_assert_eq_u64(mode == DMA_BUF_P2P_MODE_BUS ? q.q.maps_bus :
			  q.q.maps_host_bridge, 1);
	att = find_attachment(&q, peer->pci);
	igt_info("attachment %s: mode %s reason %u flags %#x\n", att->device,
		 mode_name(att->mode), att->reason, att->flags);
	igt_assert_eq_u32(att->mode, mode);
	igt_assert_eq_u32(att->reason, DMA_BUF_P2P_REASON_NONE);
	igt_assert(att->flags & DMA_BUF_P2P_ATTACH_DYNAMIC);
	assert_mapped_after_call(att);

	check_map(fd, map, want, size, "64 MiB read from peer0");
	check_vram_file(e, fd, want, size, "64 MiB read from peer0");

	/* Again, over other bytes: the cached mapping, no new one. */
	set_map(fd, map, 0x5a, size);
	blk_rw(peer, fd, 0, 0, 0, size, &rw);
	read_counters(e, &c2);
	assert_native(&rw, 0);
	assert_blk_native(&c1, &c2, size);
	igt_assert_eq_u64(c2.maps - c1.maps, pin_kernel);
	assert_no_exporter_copy(&c0.vram, &c2.vram);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.maps_bus + q.q.maps_host_bridge, 1 + pin_kernel);
	check_map(fd, map, want, size, "the second read");
	check_vram_file(e, fd, want, size, "the second read");

	munmap(map, size);
	close(fd);
	free(want);
}

static void test_vram_write_nvme(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = 16 * MiB;
	struct counters c0, c1;
	struct blk_dmabuf_rw rw;
	uint8_t *old, *want, *map;
	struct p2p_query q;
	int fd;

	old = p2p_file_dup(peer->image, WRITE_VRAM, size);
	want = p2p_xalloc(size);
	p2p_fill_pattern(want, size, seed_for(0x10000, old, size));
	igt_assert(memcmp(want, old, size));

	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);
	fill_map(fd, map, want, size);
	check_vram_file(e, fd, want, size, "the pattern");

	read_counters(e, &c0);
	blk_rw(peer, fd, BLK_DMABUF_WRITE, 0, WRITE_VRAM, size, &rw);
	read_counters(e, &c1);
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, size);
	assert_no_exporter_copy(&c0.vram, &c1.vram);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(find_attachment(&q, peer->pci)->mode,
			  expected_mode(e, &e->m.vram, peer->pci));
	check_image(peer, WRITE_VRAM, want, size, "16 MiB written from VRAM");

	/* The old bytes back, through the cached mapping. */
	fill_map(fd, map, old, size);
	blk_rw(peer, fd, BLK_DMABUF_WRITE, 0, WRITE_VRAM, size, &rw);
	assert_native(&rw, 0);
	check_image(peer, WRITE_VRAM, old, size, "restoring the slice");

	munmap(map, size);
	close(fd);
	free(want);
	free(old);
}

static void test_cmb_relay(struct env *e)
{
	const struct p2p_pci *cmb = &e->m.nvme[CMB].pci;
	const struct bdev *src = &e->nvme[PEER], *dst;
	const uint64_t size = 16 * MiB, src_off = 8 * MiB;
	const struct dma_buf_p2p_attach_info *att;
	struct counters c0, c1;
	struct blk_dmabuf_rw rw;
	uint32_t src_mode, dst_mode;
	uint8_t *want, *old, *map;
	struct p2p_query q;
	int fd;

	/* Through the far NVMe if it reaches the CMB, else the CMB's own. */
	dst = &e->nvme[FAR];
	if (expected_mode(e, cmb, dst->pci) == DMA_BUF_P2P_MODE_SYSTEM)
		dst = &e->nvme[CMB];
	src_mode = expected_mode(e, cmb, src->pci);
	dst_mode = expected_mode(e, cmb, dst->pci);
	igt_info("relay peer0 -> CMB of cmb0 (%s) -> %s (%s)\n",
		 mode_name(src_mode), dst->serial, mode_name(dst_mode));
	igt_assert(src_mode != DMA_BUF_P2P_MODE_SYSTEM);
	igt_assert(dst_mode != DMA_BUF_P2P_MODE_SYSTEM);

	want = p2p_file_dup(src->image, src_off, size);
	old = p2p_file_dup(dst->image, WRITE_VRAM, size);
	igt_assert(memcmp(want, old, size));
	fd = p2p_alloc(e->dev, cmb, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);

	read_counters(e, &c0);
	blk_rw(src, fd, 0, 0, src_off, size, &rw);
	assert_native(&rw, 1);
	check_map(fd, map, want, size, "16 MiB read from peer0 into the CMB");

	blk_rw(dst, fd, BLK_DMABUF_WRITE, 0, WRITE_VRAM, size, &rw);
	assert_native(&rw, 1);
	read_counters(e, &c1);
	assert_blk_native(&c0, &c1, 2 * size);
	assert_no_exporter_copy(&c0.cmb, &c1.cmb);

	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.provider.bdf, cmb->id.bdf);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u64(q.q.migrations_to_system, 0);
	att = find_attachment(&q, src->pci);
	igt_assert_eq_u32(att->mode, src_mode);
	att = find_attachment(&q, dst->pci);
	igt_assert_eq_u32(att->mode, dst_mode);
	igt_assert_eq_u32(att->reason, DMA_BUF_P2P_REASON_NONE);
	check_image(dst, WRITE_VRAM, want, size, "peer0's bytes relayed");

	fill_map(fd, map, old, size);
	blk_rw(dst, fd, BLK_DMABUF_WRITE, 0, WRITE_VRAM, size, &rw);
	assert_native(&rw, 0);
	check_image(dst, WRITE_VRAM, old, size, "restoring the slice");

	munmap(map, size);
	close(fd);
	free(old);
	free(want);
}

/* The buffer's entry in the exporter's debugfs "buffers", lines joined. */
static bool buffer_entry(ino_t ino, char *out, size_t len)
{
	char line[512], head[64];
	bool in = false, found = false;
	size_t used = 0;
	FILE *f;

	snprintf(head, sizeof(head), "buffer %lu ", (unsigned long)ino);
	if (out)
		out[0] = '\0';
	f = fopen(EXPORTER_DEBUGFS "buffers", "re");
	igt_assert_f(f, "no " EXPORTER_DEBUGFS "buffers: %m\n");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "buffer ", 7))
			in = !strncmp(line, head, strlen(head));
		if (!in)
			continue;
		found = true;
		if (out && used + strlen(line) < len) {
			strcpy(out + used, line);
			used += strlen(line);
		}
	}
	fclose(f);
	return found;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	igt_assert_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static void test_far_nvme(struct env *e)
{
	const struct bdev *far = &e->nvme[FAR];
	const uint64_t size = 16 * MiB, off = 24 * MiB;
	uint32_t mode = expected_mode(e, &e->m.vram, far->pci);
	const struct dma_buf_p2p_attach_info *att;
	char entry[4096], line[160];
	struct counters c0, c1;
	struct blk_dmabuf_rw rw;
	uint8_t *want, *map;
	struct p2p_query q;
	int fd;

	igt_info("far0 reaches the VRAM BAR as: %s\n", mode_name(mode));
	want = p2p_file_dup(far->image, off, size);
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);

	read_counters(e, &c0);
	blk_rw(far, fd, 0, 0, off, size, &rw);
	read_counters(e, &c1);
	/* The NVMe DMAs the buffer itself, wherever the exporter put it. */
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, size);

	p2p_query(e->dev, fd, &q);
	att = find_attachment(&q, far->pci);
	igt_info("placement %s, attachment %s mode %s reason %u\n",
		 q.q.placement == DMA_BUF_P2P_PLACEMENT_BAR ? "bar" : "system",
		 att->device, mode_name(att->mode), att->reason);
	igt_assert_eq_u32(att->mode, mode);
	assert_mapped_after_call(att);
	igt_assert(buffer_entry(fd_ino(fd), entry, sizeof(entry)));
	igt_info("%s", entry);

	if (mode == DMA_BUF_P2P_MODE_SYSTEM) {
		/* No route: the exporter moved it, and says why. */
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		igt_assert_eq_u32(att->reason, DMA_BUF_P2P_REASON_NO_PATH);
		igt_assert_eq_u64(q.q.migrations_to_system, 1);
		igt_assert_eq_u64(q.q.bytes_copied, size);
		igt_assert_eq_u64(q.q.maps_system, 1);
		igt_assert_eq_u64(c1.vram.to_sys - c0.vram.to_sys, 1);
		snprintf(line, sizeof(line), "  attachment %s mode system "
			 "reason no-p2p-path", att->device);
		igt_assert_f(strstr(entry, line), "no '%s' in debugfs\n", line);
		check_map(fd, map, want, size, "16 MiB read from far0");

		/* Cached: no new mapping, no new move. */
		set_map(fd, map, 0x5a, size);
		blk_rw(far, fd, 0, 0, off, size, &rw);
		assert_native(&rw, 0);
		p2p_query(e->dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		igt_assert_eq_u64(q.q.migrations_to_system, 1);
		check_map(fd, map, want, size, "the second read from far0");

		/*
		 * far0 cannot reach the BAR but follows moves: it does not
		 * hold the buffer back from going there on request.  Its
		 * mapping goes, and its next read moves the buffer again.
		 */
		igt_assert_eq(__p2p_migrate(e->dev, fd,
					    DMA_BUF_P2P_PLACEMENT_BAR), 0);
		p2p_query(e->dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		igt_assert_eq_u64(q.q.migrations_to_bar, 1);
		att = find_attachment(&q, far->pci);
		igt_assert(!(att->flags & DMA_BUF_P2P_ATTACH_MAPPED));
		check_vram_file(e, fd, want, size, "far0's data moved to the BAR");
		check_map(fd, map, want, size, "far0's data moved to the BAR");

		set_map(fd, map, 0xa5, size);
		blk_rw(far, fd, 0, 0, off, size, &rw);
		assert_native(&rw, 1);
		p2p_query(e->dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		igt_assert_eq_u64(q.q.migrations_to_system, 2);
		check_map(fd, map, want, size, "a read from far0 after the move");
	} else {
		igt_assert_eq_u32(mode, DMA_BUF_P2P_MODE_HOST_BRIDGE);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		igt_assert_eq_u32(att->reason, DMA_BUF_P2P_REASON_NONE);
		igt_assert_eq_u64(q.q.migrations_to_system, 0);
		igt_assert_eq_u64(q.q.maps_host_bridge, 1);
		assert_no_exporter_copy(&c0.vram, &c1.vram);
		snprintf(line, sizeof(line), "  attachment %s mode "
			 "p2p-host-bridge reason -", att->device);
		igt_assert_f(strstr(entry, line), "no '%s' in debugfs\n", line);
		check_map(fd, map, want, size, "16 MiB read from far0");
		check_vram_file(e, fd, want, size, "16 MiB read from far0");
	}

	munmap(map, size);
	close(fd);
	free(want);
}

/*
 * Another exporter's buffer of @size bytes: read 4 MiB from peer0 into it
 * (checked through its mmap), then a pattern from it to peer0's @write_off
 * slice (checked on the image) and the old bytes back.
 */
static void check_foreign(struct env *e, int buf, size_t size,
			  uint64_t read_off, uint64_t write_off,
			  int memfd, const char *what)
{
	const struct bdev *peer = &e->nvme[PEER];
	const size_t len = SLICE_FOREIGN;
	struct counters c0, c1;
	struct blk_dmabuf_rw rw;
	uint8_t *want, *old, *map;

	igt_assert_f(size >= len, "%s buffer of %zu bytes\n", what, size);
	want = p2p_file_dup(peer->image, read_off, len);
	map = p2p_map(buf, size);
	set_map(buf, map, 0x5a, size);

	read_counters(e, &c0);
	blk_rw(peer, buf, 0, 0, read_off, len, &rw);
	read_counters(e, &c1);
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, len);
	igt_assert_eq_u64(c1.maps - c0.maps, 1);
	check_map(buf, map, want, len, what);
	if (memfd >= 0) {
		/* udmabuf: the memfd's pages are the buffer. */
		uint8_t *got = p2p_xalloc(len);

		igt_assert_eq(pread(memfd, got, len, 0), (ssize_t)len);
		p2p_check_bytes(got, want, len, "the udmabuf's memfd");
		free(got);
	}

	/* Buffer to device: a pattern unlike what the slice holds. */
	old = p2p_file_dup(peer->image, write_off, len);
	p2p_fill_pattern(want, len, seed_for(0x20000, old, len));
	fill_map(buf, map, want, len);
	write_check_restore(peer, buf, map, write_off, len, old, 0, what);

	munmap(map, size);
	free(old);
	free(want);
}

static void test_vgem_target(struct env *e)
{
	struct drm_mode_create_dumb c = { .width = 1024, .height = 1024,
					  .bpp = 32 };
	int vgem, buf;

	vgem = drm_open_driver(DRIVER_VGEM);
	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	buf = prime_handle_to_fd_for_mmap(vgem, c.handle);
	igt_assert_fd(buf);
	check_foreign(e, buf, c.size, 32 * MiB, WRITE_VGEM, -1, "vgem buffer");
	close(buf);
	igt_assert_eq(drmCloseBufferHandle(vgem, c.handle), 0);
	close(vgem);
}

static void test_udmabuf_target(struct env *e)
{
	int memfd, buf;

	buf = p2p_udmabuf(SLICE_FOREIGN, UDMABUF_FLAGS_CLOEXEC, &memfd);
	check_foreign(e, buf, SLICE_FOREIGN, 36 * MiB, WRITE_UDMABUF, memfd,
		      "udmabuf");
	close(buf);
	close(memfd);
}

static void test_system_heap_target(struct env *e)
{
	struct dma_heap_allocation_data a = {
		.len = SLICE_FOREIGN,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	igt_require_f(heap >= 0, "no /dev/dma_heap/system: %m\n");
	igt_assert_eq(p2p_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a), 0);
	check_foreign(e, a.fd, SLICE_FOREIGN, 40 * MiB, WRITE_HEAP, -1,
		      "system heap buffer");
	close(a.fd);
	close(heap);
}

static void assert_blk_bounce(const struct counters *a,
			      const struct counters *b, uint64_t bytes)
{
	igt_assert_eq_u64(b->bounce_bytes - a->bounce_bytes, bytes);
	igt_assert_f(b->bounce_bios > a->bounce_bios,
		     "bounce_bios did not grow\n");
	igt_assert_eq_u64(b->native_bytes - a->native_bytes, 0);
	igt_assert_eq_u64(b->native_bios - a->native_bios, 0);
	/* The importer's CPU helpers copied exactly that. */
	igt_assert_eq_u64(b->cpu_bytes - a->cpu_bytes, bytes);
}

static void test_virtio_blk_bounce(struct env *e)
{
	const uint64_t size = 16 * MiB, off = 4 * MiB;
	struct counters c0, c1, c2;
	struct blk_dmabuf_rw rw;
	uint8_t *want, *old, *map;
	struct p2p_query q;
	struct bdev vb;
	int fd;

	igt_assert_f(e->m.vblk.serial[0],
		     "the harness names no virtio-blk disk (P2P_VBLK)\n");
	bdev_open(&vb, e->m.vblk.serial, e->m.vblk.image, NULL);
	igt_assert(off + size <= VBLK_READ_SIZE);
	igt_assert(VBLK_WRITE + size <= vb.size);

	want = p2p_file_dup(vb.image, off, size);
	old = p2p_file_dup(vb.image, VBLK_WRITE, size);
	igt_assert(memcmp(want, old, size));
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);

	read_counters(e, &c0);
	blk_rw(&vb, fd, 0, 0, off, size, &rw);
	read_counters(e, &c1);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u64(rw.cpu_bytes, size);
	assert_blk_bounce(&c0, &c1, size);
	p2p_query(e->dev, fd, &q);
	igt_info("after the bounced read: placement %s, %u attachment(s)\n",
		 q.q.placement == DMA_BUF_P2P_PLACEMENT_BAR ? "bar" : "system",
		 q.q.nr_attachments);
	check_map(fd, map, want, size, "16 MiB bounced from virtio-blk");
	if (q.q.placement == DMA_BUF_P2P_PLACEMENT_BAR)
		check_vram_file(e, fd, want, size,
				"16 MiB bounced from virtio-blk");

	/* And back out to another region of the disk. */
	blk_rw(&vb, fd, BLK_DMABUF_WRITE, 0, VBLK_WRITE, size, &rw);
	read_counters(e, &c2);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u64(rw.cpu_bytes, size);
	assert_blk_bounce(&c1, &c2, size);
	check_image(&vb, VBLK_WRITE, want, size, "16 MiB bounced to virtio-blk");

	fill_map(fd, map, old, size);
	blk_rw(&vb, fd, BLK_DMABUF_WRITE, 0, VBLK_WRITE, size, &rw);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	check_image(&vb, VBLK_WRITE, old, size, "restoring the slice");

	munmap(map, size);
	close(fd);
	bdev_close(&vb);
	free(old);
	free(want);
}

/*
 * BLK_DMABUF_BOUNCE on a device that reaches the buffer: the call bounces,
 * no device ever attaches, the buffer stays in the BAR untouched by any
 * exporter copy, and the bytes are right on both sides.
 */
static void test_forced_bounce(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = 16 * MiB, off = 8 * MiB;
	struct blk_dmabuf_io ios[16];
	struct blk_dmabuf_rw_batch b;
	struct counters c0, c1, c2;
	struct blk_dmabuf_rw rw;
	uint8_t *want, *old, *map;
	struct p2p_query q;
	int fd;

	want = p2p_file_dup(peer->image, off, size);
	old = p2p_file_dup(peer->image, WRITE_VRAM, size);
	igt_assert(memcmp(want, old, size));
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);
	set_map(fd, map, 0x5a, size);

	read_counters(e, &c0);
	blk_rw(peer, fd, BLK_DMABUF_BOUNCE, 0, off, size, &rw);
	read_counters(e, &c1);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u32(rw.maps, 0);
	igt_assert_eq_u64(rw.cpu_bytes, size);
	assert_blk_bounce(&c0, &c1, size);
	assert_no_exporter_copy(&c0.vram, &c1.vram);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	check_map(fd, map, want, size, "16 MiB bounced from peer0");
	check_vram_file(e, fd, want, size, "16 MiB bounced from peer0");

	/* Out to another slice as a batch of 1 MiB writes, then restored. */
	for (int i = 0; i < 16; i++)
		ios[i] = (struct blk_dmabuf_io){
			.buf_offset = i * MiB,
			.dev_offset = WRITE_VRAM + i * MiB,
			.length = MiB,
			.flags = BLK_DMABUF_WRITE,
		};
	b = (struct blk_dmabuf_rw_batch){
		.dmabuf_fd = fd,
		.flags = BLK_DMABUF_BOUNCE,
		.ios = (uintptr_t)ios,
		.nr_ios = 16,
		.queue_depth = 4,
	};
	igt_assert_eq(p2p_ioctl(peer->fd, BLKDMABUFRWBATCH, &b), 0);
	read_counters(e, &c2);
	for (int i = 0; i < 16; i++)
		igt_assert_eq(ios[i].result, 0);
	igt_assert_eq_u32(b.path, BLK_DMABUF_PATH_BOUNCE);
	igt_assert_eq_u32(b.maps, 0);
	igt_assert_eq_u64(b.cpu_bytes, size);
	assert_blk_bounce(&c1, &c2, size);
	assert_no_exporter_copy(&c0.vram, &c2.vram);
	check_image(peer, WRITE_VRAM, want, size, "16 MiB bounced to peer0");

	fill_map(fd, map, old, size);
	blk_rw(peer, fd, BLK_DMABUF_WRITE | BLK_DMABUF_BOUNCE, 0, WRITE_VRAM,
	       size, &rw);
	igt_assert_eq_u32(rw.path, BLK_DMABUF_PATH_BOUNCE);
	check_image(peer, WRITE_VRAM, old, size, "restoring the slice");

	munmap(map, size);
	close(fd);
	free(old);
	free(want);
}

#define BATCH_IOS	512
#define BATCH_IO_SIZE	(4 * KiB)

static void test_batch_qd32(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = BATCH_IOS * BATCH_IO_SIZE;
	struct blk_dmabuf_io *ios = calloc(BATCH_IOS, sizeof(*ios));
	struct blk_dmabuf_rw_batch b;
	uint32_t slot[BATCH_IOS];
	uint64_t state = 0xba7c4;
	struct counters c0, c1;
	uint8_t *img, *want, *map;
	int fd;

	igt_assert(ios);
	/* Distinct buffer slots in a shuffled order, random device blocks. */
	for (int i = 0; i < BATCH_IOS; i++)
		slot[i] = i;
	for (int i = BATCH_IOS - 1; i > 0; i--) {
		int j = rnd(&state) % (i + 1);
		uint32_t t = slot[i];

		slot[i] = slot[j];
		slot[j] = t;
	}
	for (int i = 0; i < BATCH_IOS; i++) {
		ios[i].buf_offset = slot[i] * BATCH_IO_SIZE;
		ios[i].dev_offset = rnd(&state) % (READ_SIZE / BATCH_IO_SIZE) *
				    BATCH_IO_SIZE;
		ios[i].length = BATCH_IO_SIZE;
	}

	img = p2p_file_dup(peer->image, 0, READ_SIZE);
	want = p2p_xalloc(size);
	for (int i = 0; i < BATCH_IOS; i++)
		memcpy(want + ios[i].buf_offset, img + ios[i].dev_offset,
		       BATCH_IO_SIZE);
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);
	set_map(fd, map, 0x5a, size);

	b = (struct blk_dmabuf_rw_batch){
		.dmabuf_fd = fd,
		.ios = (uintptr_t)ios,
		.nr_ios = BATCH_IOS,
		.queue_depth = 32,
	};
	read_counters(e, &c0);
	igt_assert_eq(p2p_ioctl(peer->fd, BLKDMABUFRWBATCH, &b), 0);
	read_counters(e, &c1);
	igt_info("batch: path %u, maps %u, cpu_bytes %" PRIu64 "\n", b.path,
		 b.maps, (uint64_t)b.cpu_bytes);
	for (int i = 0; i < BATCH_IOS; i++)
		igt_assert_f(!ios[i].result, "entry %d: result %d\n", i,
			     ios[i].result);
	igt_assert_eq_u32(b.path, BLK_DMABUF_PATH_NATIVE);
	igt_assert_eq_u64(b.cpu_bytes, 0);
	igt_assert_eq_u32(b.maps, 1);
	assert_blk_native(&c0, &c1, size);

	check_map(fd, map, want, size, "512 random 4 KiB reads");
	check_vram_file(e, fd, want, size, "512 random 4 KiB reads");

	munmap(map, size);
	close(fd);
	free(want);
	free(img);
	free(ios);
}

/* prp-and-sgl -------------------------------------------------------- */

#define SGL_THRESHOLD	"/sys/module/nvme/parameters/sgl_threshold"

/* What sgl_threshold held while prp-and-sgl has it changed, else "". */
static char sgl_saved[32];

static bool sgl_read(char *buf, size_t len)
{
	int fd = open(SGL_THRESHOLD, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static void sgl_set(const char *value)
{
	char now[32];

	igt_assert_f(p2p_sysfs_write(SGL_THRESHOLD, value),
		     "cannot write %s to " SGL_THRESHOLD ": %m\n", value);
	igt_assert(sgl_read(now, sizeof(now)));
	igt_assert_f(!strcmp(now, value),
		     SGL_THRESHOLD " reads %s after writing %s\n", now, value);
}

/* An exit handler too, so async-signal-safe: open, write, close. */
static void sgl_restore(int sig)
{
	(void)sig;
	if (sgl_saved[0])
		p2p_sysfs_write(SGL_THRESHOLD, sgl_saved);
}

/* The SGLS field of @b's Identify Controller data (bits 1:0: SGL support). */
static uint32_t nvme_sgls(const struct bdev *b)
{
	struct nvme_admin_cmd cmd = {
		.opcode = 0x06,		/* Identify */
		.data_len = 4096,
		.cdw10 = 1,		/* CNS 1: the controller */
	};
	char ctrl[64], path[80];
	uint8_t *id = p2p_xalloc(4096);
	uint32_t sgls;
	int fd, ret;

	igt_assert(p2p_nvme_ctrl_by_serial(b->serial, ctrl, sizeof(ctrl)));
	snprintf(path, sizeof(path), "/dev/%s", ctrl);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	cmd.addr = (uintptr_t)id;
	ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
	igt_assert_f(!ret, "Identify Controller on %s: %s\n", path,
		     ret < 0 ? strerror(errno) : "NVMe status error");
	close(fd);
	/* Bytes 539:536, little-endian. */
	sgls = id[536] | id[537] << 8 | id[538] << 16 | (uint32_t)id[539] << 24;
	free(id);
	return sgls;
}

struct sgl_pass {
	const char *threshold;
	const char *what;
	uint64_t udmabuf_off;	/* where the udmabuf's read starts */
	uint64_t seed;		/* of the patterns written */
};

/*
 * With the threshold set: 64 MiB from peer0 into a fresh VRAM buffer (one
 * contiguous P2P segment per request) and 16 MiB into a udmabuf (4 KiB
 * segments), then 16 MiB from each of them to the write slice and back.
 */
static void prp_sgl_pass(struct env *e, const struct sgl_pass *p)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t big = READ_SIZE, small = 16 * MiB;
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = small };
	uint8_t *want, *old, *pattern, *got, *vmap, *umap;
	struct counters c0, c1;
	struct blk_dmabuf_rw rw;
	int vram, udev, memfd, ubuf;
	struct p2p_query q;
	char what[96];

	igt_info("sgl_threshold %s: %s\n", p->threshold, p->what);
	sgl_set(p->threshold);
	want = p2p_file_dup(peer->image, 0, big);

	snprintf(what, sizeof(what), "64 MiB read into VRAM, %s", p->what);
	vram = p2p_alloc(e->dev, &e->m.vram, big, O_RDWR | O_CLOEXEC);
	vmap = p2p_map(vram, big);
	set_map(vram, vmap, 0x5a, big);
	p2p_query(e->dev, vram, &q);
	igt_info("the VRAM buffer: %u chunk(s), the first %" PRIu64 " bytes\n",
		 q.q.nr_chunks, (uint64_t)q.chunks[0].size);
	read_counters(e, &c0);
	blk_rw(peer, vram, 0, 0, 0, big, &rw);
	read_counters(e, &c1);
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, big);
	assert_no_exporter_copy(&c0.vram, &c1.vram);
	p2p_query(e->dev, vram, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(find_attachment(&q, peer->pci)->mode,
			  expected_mode(e, &e->m.vram, peer->pci));
	check_map(vram, vmap, want, big, what);
	check_vram_file(e, vram, want, big, what);

	snprintf(what, sizeof(what), "16 MiB read into a udmabuf, %s", p->what);
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	igt_assert_f(udev >= 0, "cannot open /dev/udmabuf: %m\n");
	memfd = memfd_create("p2p_blk_io", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	igt_assert_fd(memfd);
	igt_assert_eq(ftruncate(memfd, small), 0);
	igt_assert_eq(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	c.memfd = memfd;
	ubuf = ioctl(udev, UDMABUF_CREATE, &c);
	igt_assert_f(ubuf >= 0, "UDMABUF_CREATE of 16 MiB: %m\n");
	umap = p2p_map(ubuf, small);
	set_map(ubuf, umap, 0x5a, small);
	read_counters(e, &c0);
	blk_rw(peer, ubuf, 0, 0, p->udmabuf_off, small, &rw);
	read_counters(e, &c1);
	assert_native(&rw, 1);
	assert_blk_native(&c0, &c1, small);
	check_map(ubuf, umap, want + p->udmabuf_off, small, what);
	got = p2p_xalloc(small);
	p2p_pread_all(memfd, got, small, 0, "the udmabuf's memfd");
	p2p_check_bytes(got, want + p->udmabuf_off, small,
			"the udmabuf's memfd");
	free(got);

	/* Out of each buffer to the slice (differing bytes), and back. */
	old = p2p_file_dup(peer->image, WRITE_VRAM, small);
	pattern = p2p_xalloc(small);
	snprintf(what, sizeof(what), "16 MiB written from VRAM, %s", p->what);
	p2p_fill_pattern(pattern, small, seed_for(p->seed, old, small));
	fill_map(vram, vmap, pattern, small);
	write_check_restore(peer, vram, vmap, WRITE_VRAM, small, old, 0, what);
	snprintf(what, sizeof(what), "16 MiB written from a udmabuf, %s",
		 p->what);
	p2p_fill_pattern(pattern, small, seed_for(p->seed + 1, old, small));
	fill_map(ubuf, umap, pattern, small);
	write_check_restore(peer, ubuf, umap, WRITE_VRAM, small, old, 0, what);

	munmap(umap, small);
	close(ubuf);
	close(memfd);
	close(udev);
	munmap(vmap, big);
	close(vram);
	free(pattern);
	free(old);
	free(want);
}

static void test_prp_and_sgl(struct env *e)
{
	static const struct sgl_pass passes[] = {
		{ "0", "PRPs", 16 * MiB, 0x40000 },
		{ "1", "SGLs", 40 * MiB, 0x50000 },
	};
	char saved[sizeof(sgl_saved)];
	uint32_t sgls;
	int udev;

	igt_require_f(access(SGL_THRESHOLD, F_OK) == 0,
		      "no " SGL_THRESHOLD "\n");
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	igt_require_f(udev >= 0, "no /dev/udmabuf: %m\n");
	close(udev);
	igt_assert_f(sgl_read(saved, sizeof(saved)) && saved[0],
		     "cannot read " SGL_THRESHOLD "\n");
	sgls = nvme_sgls(&e->nvme[PEER]);
	igt_info("sgl_threshold is %s; peer0's controller: SGLS %#x, %s\n",
		 saved, sgls, sgls & 3 ? "takes SGLs" :
		 "no SGLs (every pass uses PRPs)");
	if (!(sgls & 3))
		igt_warn("peer0's controller takes no SGLs\n");

	/* From here on, however the test ends, the old value goes back. */
	memcpy(sgl_saved, saved, sizeof(saved));
	igt_install_exit_handler(sgl_restore);
	for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		prp_sgl_pass(e, &passes[i]);

	sgl_set(saved);
	sgl_saved[0] = '\0';
}

/* invalid-inputs ----------------------------------------------------- */

#define INV_BUF_SIZE	(1 * MiB)

enum { BUF_OK, BUF_CLOSED, BUF_NOT_DMABUF, BUF_RDONLY };
enum { DEV_RW, DEV_RDONLY };
enum { DIR_BOTH, DIR_READ, DIR_WRITE };

struct rw_case {
	const char *what;
	int err;
	int dir;
	int buf;
	int dev;
	uint32_t flags;		/* beside the direction */
	uint64_t buf_offset, dev_offset, length;
	uint32_t path, maps;
	uint64_t cpu_bytes;
};

struct batch_case {
	const char *what;
	int err;
	int buf;
	int dev;
	uint32_t flags;
	uint32_t nr_ios;		/* 0: two entries */
	bool zero_nr;
	uint32_t queue_depth;
	uint32_t path, maps;
	uint64_t cpu_bytes;
	bool bad_ptr, null_ptr;
	int entry;			/* which entry is changed, -1 none */
	uint32_t e_flags, e_length, e_pad;
	int32_t e_result;
	uint64_t e_buf_offset, e_dev_offset;
	bool e_set_offsets;
};

/* What the cases name: buffers (BUF_*), device fds (DEV_*), a bad pointer. */
struct inv {
	int buf[4];
	int dev[2];
	void *bad_ptr;
};

static void run_rw_case(const struct inv *iv, const struct rw_case *c)
{
	for (int d = 0; d < 2; d++) {
		uint32_t dir = d ? BLK_DMABUF_WRITE : 0;
		struct blk_dmabuf_rw rw = {
			.dmabuf_fd = iv->buf[c->buf],
			.flags = dir | c->flags,
			.buf_offset = c->buf_offset,
			.dev_offset = c->dev_offset,
			.length = c->length,
			.path = c->path,
			.maps = c->maps,
			.cpu_bytes = c->cpu_bytes,
		};
		int err;

		if ((c->dir == DIR_READ && d) || (c->dir == DIR_WRITE && !d))
			continue;
		err = p2p_ioctl(iv->dev[c->dev], BLKDMABUFRW, &rw);
		igt_info("BLKDMABUFRW %s, %s: %s\n", d ? "write" : "read",
			 c->what, err ? strerror(-err) : "success");
		igt_assert_f(err == -c->err, "%s (%s): got %s, expected %s\n",
			     c->what, d ? "write" : "read",
			     err ? strerror(-err) : "success",
			     strerror(c->err));
	}
}

static void run_batch_case(const struct inv *iv, const struct batch_case *c,
			   uint64_t good_dev)
{
	static struct blk_dmabuf_io ios[BLK_DMABUF_BATCH_MAX + 1];
	uint32_t nr = c->nr_ios ? c->nr_ios : 2;
	struct blk_dmabuf_rw_batch b;
	int err;

	/* Valid entries: reads of 4 KiB into two buffer pages. */
	memset(ios, 0, sizeof(ios));
	for (uint32_t i = 0; i < BLK_DMABUF_BATCH_MAX + 1; i++) {
		ios[i].buf_offset = (i % 2) * 4096;
		ios[i].dev_offset = good_dev + (i % 2) * 4096;
		ios[i].length = 4096;
	}
	if (c->entry >= 0) {
		struct blk_dmabuf_io *io = &ios[c->entry];

		io->flags = c->e_flags;
		io->length = c->e_length;
		io->__pad = c->e_pad;
		io->result = c->e_result;
		if (c->e_set_offsets) {
			io->buf_offset = c->e_buf_offset;
			io->dev_offset = c->e_dev_offset;
		}
	}
	b = (struct blk_dmabuf_rw_batch){
		.dmabuf_fd = iv->buf[c->buf],
		.flags = c->flags,
		.ios = c->null_ptr ? 0 : c->bad_ptr ? (uintptr_t)iv->bad_ptr :
		       (uintptr_t)ios,
		.nr_ios = c->zero_nr ? 0 : nr,
		.queue_depth = c->queue_depth,
		.path = c->path,
		.maps = c->maps,
		.cpu_bytes = c->cpu_bytes,
	};
	err = p2p_ioctl(iv->dev[c->dev], BLKDMABUFRWBATCH, &b);
	igt_info("BLKDMABUFRWBATCH, %s: %s\n", c->what,
		 err ? strerror(-err) : "success");
	igt_assert_f(err == -c->err, "batch, %s: got %s, expected %s\n",
		     c->what, err ? strerror(-err) : "success",
		     strerror(c->err));
}

static void test_invalid_inputs(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t S = INV_BUF_SIZE, W = WRITE_INVALID;
	struct blk_dmabuf_rw rw;
	uint8_t *map, *pattern, *img_before;
	uint64_t D, L;
	struct inv iv;
	char path[64];
	int closed;

	memset(&iv, 0, sizeof(iv));
	iv.dev[DEV_RW] = peer->fd;
	snprintf(path, sizeof(path), "/dev/%s", peer->name);
	iv.dev[DEV_RDONLY] = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(iv.dev[DEV_RDONLY]);
	D = peer->size;
	L = peer->lbs;
	igt_assert(L >= 2 && L <= 4096);
	igt_assert(W + 4 * MiB == D);	/* the slice ends the device */

	iv.buf[BUF_OK] = p2p_alloc(e->dev, &e->m.vram, S, O_RDWR | O_CLOEXEC);
	igt_assert_eq(__p2p_alloc(e->dev, &e->m.vram, S, O_RDONLY | O_CLOEXEC,
				  &iv.buf[BUF_RDONLY]), 0);
	iv.buf[BUF_NOT_DMABUF] = open("/dev/null", O_RDWR | O_CLOEXEC);
	igt_assert_fd(iv.buf[BUF_NOT_DMABUF]);
	iv.bad_ptr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	igt_assert(iv.bad_ptr != MAP_FAILED);

	img_before = p2p_file_dup(peer->image, W, 4 * MiB);

	/* Controls: the same calls with good input work (and change nothing). */
	igt_assert_eq(p2p_blk_rw(peer->fd, iv.buf[BUF_OK], 0, 0, W, 64 * KiB,
			       &rw), 0);
	igt_assert_eq(p2p_blk_rw(peer->fd, iv.buf[BUF_OK], BLK_DMABUF_WRITE, 0,
			       W, 64 * KiB, &rw), 0);
	igt_assert_eq(p2p_blk_rw(iv.dev[DEV_RDONLY], iv.buf[BUF_OK], 0, 0, W,
			       64 * KiB, &rw), 0);
	{
		struct batch_case good = { .what = "good", .entry = -1 };

		run_batch_case(&iv, &good, W);
	}
	check_image(peer, W, img_before, 4 * MiB, "after the good calls");

	/* From here on nothing may move. */
	map = p2p_map(iv.buf[BUF_OK], S);
	pattern = p2p_xalloc(S);
	p2p_fill_pattern(pattern, S, 0x30000);
	fill_map(iv.buf[BUF_OK], map, pattern, S);
	/* A number that was an fd a moment ago; nothing opens one until the end. */
	closed = dup(iv.buf[BUF_NOT_DMABUF]);
	igt_assert_fd(closed);
	close(closed);
	iv.buf[BUF_CLOSED] = closed;

	{
/* Good values but for what the case changes; direction, buffer, device 0. */
#define AT_W		.dev_offset = W, .length = 4096
		const struct rw_case rw_cases[] = {
			{ .what = "closed dma-buf fd", .err = EBADF,
			  .buf = BUF_CLOSED, AT_W },
			{ .what = "fd not a dma-buf", .err = EINVAL,
			  .buf = BUF_NOT_DMABUF, AT_W },
			{ .what = "unknown flag 1 << 2", .err = EINVAL,
			  .flags = 1u << 2, AT_W },
			{ .what = "unknown flag 1 << 31", .err = EINVAL,
			  .flags = 1u << 31, AT_W },
			{ .what = "path (out) set", .err = EINVAL,
			  .path = BLK_DMABUF_PATH_NATIVE, AT_W },
			{ .what = "maps (out) set", .err = EINVAL, .maps = 1, AT_W },
			{ .what = "cpu_bytes (out) set", .err = EINVAL,
			  .cpu_bytes = 4096, AT_W },
			{ .what = "zero length", .err = EINVAL, .dev_offset = W },
			{ .what = "device offset not block aligned",
			  .err = EINVAL, .dev_offset = W + L / 2, .length = 4096 },
			{ .what = "buffer offset not block aligned",
			  .err = EINVAL, .buf_offset = L / 2, AT_W },
			{ .what = "length not block aligned", .err = EINVAL,
			  .dev_offset = W, .length = 4096 + L / 2 },
			{ .what = "buffer range past its end", .err = ERANGE,
			  .buf_offset = S - 4096, .dev_offset = W, .length = 8192 },
			{ .what = "buffer offset at its end", .err = ERANGE,
			  .buf_offset = S, AT_W },
			{ .what = "length over the buffer", .err = ERANGE,
			  .dev_offset = W, .length = S + 4096 },
			{ .what = "device range past its end", .err = ERANGE,
			  .dev_offset = D - 4096, .length = 8192 },
			{ .what = "device offset at its end", .err = ERANGE,
			  .dev_offset = D, .length = 4096 },
			{ .what = "device offset + length overflows",
			  .err = ERANGE, .dev_offset = ~(L - 1), .length = 4096 },
			{ .what = "buffer offset + length overflows",
			  .err = ERANGE, .buf_offset = ~(L - 1), AT_W },
			{ .what = "length overflows", .err = ERANGE,
			  .buf_offset = 4096, .dev_offset = W,
			  .length = ~(L - 1) },
			{ .what = "write to a device opened O_RDONLY",
			  .err = EBADF, .dir = DIR_WRITE, .dev = DEV_RDONLY, AT_W },
			{ .what = "read into a dma-buf opened O_RDONLY",
			  .err = EACCES, .dir = DIR_READ, .buf = BUF_RDONLY, AT_W },
		};
#undef AT_W
		const uint32_t MAX = BLK_DMABUF_BATCH_MAX;
		/* Entries: valid 4 KiB reads; .entry says which one changes. */
		const struct batch_case batch_cases[] = {
			{ .what = "closed dma-buf fd", .err = EBADF,
			  .buf = BUF_CLOSED, .entry = -1 },
			{ .what = "fd not a dma-buf", .err = EINVAL,
			  .buf = BUF_NOT_DMABUF, .entry = -1 },
			{ .what = "flags: BLK_DMABUF_WRITE (an entry's)",
			  .err = EINVAL, .flags = BLK_DMABUF_WRITE,
			  .entry = -1 },
			{ .what = "path (out) set", .err = EINVAL,
			  .path = BLK_DMABUF_PATH_NATIVE, .entry = -1 },
			{ .what = "maps (out) set", .err = EINVAL, .maps = 1,
			  .entry = -1 },
			{ .what = "cpu_bytes (out) set", .err = EINVAL,
			  .cpu_bytes = 1, .entry = -1 },
			{ .what = "nr_ios 0", .err = EINVAL, .zero_nr = true,
			  .entry = -1 },
			{ .what = "nr_ios over BLK_DMABUF_BATCH_MAX",
			  .err = EINVAL, .nr_ios = MAX + 1, .entry = -1 },
			{ .what = "queue_depth over BLK_DMABUF_BATCH_MAX",
			  .err = EINVAL, .queue_depth = MAX + 1, .entry = -1 },
			{ .what = "ios unmapped", .err = EFAULT, .bad_ptr = true,
			  .entry = -1 },
			{ .what = "ios NULL", .err = EFAULT, .null_ptr = true,
			  .entry = -1 },
			{ .what = "entry padding set", .err = EINVAL, .entry = 1,
			  .e_length = 4096, .e_pad = 1 },
			{ .what = "entry result (out) set", .err = EINVAL,
			  .entry = 1, .e_length = 4096, .e_result = -5 },
			{ .what = "entry unknown flag", .err = EINVAL, .entry = 1,
			  .e_length = 4096, .e_flags = 1u << 2 },
			{ .what = "entry flag BLK_DMABUF_BOUNCE (a call's)",
			  .err = EINVAL, .entry = 1, .e_length = 4096,
			  .e_flags = BLK_DMABUF_BOUNCE },
			{ .what = "flags: unknown beside BLK_DMABUF_BOUNCE",
			  .err = EINVAL, .flags = BLK_DMABUF_BOUNCE | 1u << 2,
			  .entry = -1 },
			{ .what = "entry zero length", .err = EINVAL, .entry = 1,
			  .e_length = 0 },
			{ .what = "entry length not block aligned", .err = EINVAL,
			  .entry = 1, .e_length = 4096 + L / 2 },
			{ .what = "entry device offset not block aligned",
			  .err = EINVAL, .entry = 1, .e_length = 4096,
			  .e_set_offsets = true, .e_dev_offset = W + L / 2 },
			{ .what = "entry past the buffer's end", .err = ERANGE,
			  .entry = 1, .e_length = 4096, .e_set_offsets = true,
			  .e_buf_offset = S, .e_dev_offset = W },
			{ .what = "entry past the device's end", .err = ERANGE,
			  .entry = 1, .e_length = 8192, .e_set_offsets = true,
			  .e_dev_offset = D - 4096 },
			{ .what = "entry device offset overflows", .err = ERANGE,
			  .entry = 1, .e_length = 4096, .e_set_offsets = true,
			  .e_dev_offset = ~(L - 1) },
			/* The last of many valid entries is bad: none runs. */
			{ .what = "last of 4096 entries bad", .err = EINVAL,
			  .nr_ios = MAX, .entry = MAX - 1, .e_length = 4096,
			  .e_pad = 1 },
			{ .what = "write entry to a device opened O_RDONLY",
			  .err = EBADF, .dev = DEV_RDONLY, .entry = 1,
			  .e_length = 4096, .e_flags = BLK_DMABUF_WRITE },
			{ .what = "read entries into a dma-buf opened O_RDONLY",
			  .err = EACCES, .buf = BUF_RDONLY, .entry = -1 },
		};

		for (size_t i = 0; i < sizeof(rw_cases) / sizeof(rw_cases[0]); i++)
			run_rw_case(&iv, &rw_cases[i]);
		for (size_t i = 0;
		     i < sizeof(batch_cases) / sizeof(batch_cases[0]); i++)
			run_batch_case(&iv, &batch_cases[i], W);
	}
	{
		/* Entry 0 a valid write of the pattern, entry 1 bad. */
		struct blk_dmabuf_io ios[2] = {
			{ .buf_offset = 0, .dev_offset = W, .length = 64 * KiB,
			  .flags = BLK_DMABUF_WRITE },
			{ .buf_offset = 0, .dev_offset = W + L / 2,
			  .length = 4096, .flags = BLK_DMABUF_WRITE },
		};
		struct blk_dmabuf_rw_batch b = {
			.dmabuf_fd = iv.buf[BUF_OK],
			.ios = (uintptr_t)ios,
			.nr_ios = 2,
		};

		igt_assert_eq(p2p_ioctl(peer->fd, BLKDMABUFRWBATCH, &b),
			      -EINVAL);
	}

	/* Nothing moved: the buffer, its VRAM and the device are as before. */
	check_map(iv.buf[BUF_OK], map, pattern, S, "the buffer after bad calls");
	check_vram_file(e, iv.buf[BUF_OK], pattern, S,
			"the buffer after bad calls");
	check_image(peer, W, img_before, 4 * MiB, "the device after bad calls");

	munmap(iv.bad_ptr, 4096);
	munmap(map, S);
	close(iv.buf[BUF_OK]);
	close(iv.buf[BUF_RDONLY]);
	close(iv.buf[BUF_NOT_DMABUF]);
	close(iv.dev[DEV_RDONLY]);
	free(pattern);
	free(img_before);
}

/* Streams ------------------------------------------------------------ */

#define STREAM_BUF	(64 * MiB)
#define STREAM_CHUNK	(1 * MiB)
#define STREAM_SLOTS	(STREAM_BUF / STREAM_CHUNK)
#define SLOT_ZERO	(-1ll)
#define SLOT_UNDEFINED	(-2ll)
#define STREAM_ERRNOS	64		/* errnos counted one by one */
#define ERRNO_BIT(e)	(1ull << (e))

struct stream {
	const struct bdev *b;
	int fd;
	const uint8_t *map;
	const uint8_t *img;		/* the read region */
	uint64_t seed;
	uint64_t allowed_errs;		/* ERRNO_BIT()s besides success */
	atomic_bool stop;
	/* Set by another thread; calls that start after it are counted apart. */
	atomic_bool mark;
	atomic_long calls, ok, allowed, failed, mismatches, anomalies;
	atomic_long calls_after_mark, ok_after_mark;
	atomic_long maps;
	atomic_int last_err;
	/* Failures by [after the mark][errno]; errno 0: the larger ones. */
	atomic_long errs[2][STREAM_ERRNOS];
	long long slot[STREAM_SLOTS];	/* device offset each slot holds */
	char first_mismatch[160];
};

static void *stream_reader(void *arg)
{
	struct stream *s = arg;
	uint64_t state = s->seed;

	while (!atomic_load(&s->stop)) {
		uint64_t bi = rnd(&state) % STREAM_SLOTS;
		uint64_t doff = rnd(&state) %
				((READ_SIZE - STREAM_CHUNK) / 4096 + 1) * 4096;
		bool after = atomic_load(&s->mark);
		struct blk_dmabuf_rw rw;
		int err;

		err = p2p_blk_rw(s->b->fd, s->fd, 0, bi * STREAM_CHUNK, doff,
			       STREAM_CHUNK, &rw);
		atomic_fetch_add(&s->calls, 1);
		if (after)
			atomic_fetch_add(&s->calls_after_mark, 1);
		if (err) {
			bool counted = -err < STREAM_ERRNOS;

			s->slot[bi] = SLOT_UNDEFINED;
			atomic_store(&s->last_err, -err);
			atomic_fetch_add(&s->errs[after][counted ? -err : 0], 1);
			if (counted && (s->allowed_errs & ERRNO_BIT(-err)))
				atomic_fetch_add(&s->allowed, 1);
			else
				atomic_fetch_add(&s->failed, 1);
			continue;
		}
		if (after)
			atomic_fetch_add(&s->ok_after_mark, 1);
		if (rw.path != BLK_DMABUF_PATH_NATIVE || rw.cpu_bytes)
			atomic_fetch_add(&s->anomalies, 1);
		atomic_fetch_add(&s->maps, rw.maps);
		s->slot[bi] = doff;
		if (memcmp(s->map + bi * STREAM_CHUNK, s->img + doff,
			   STREAM_CHUNK)) {
			if (!atomic_fetch_add(&s->mismatches, 1))
				snprintf(s->first_mismatch,
					 sizeof(s->first_mismatch),
					 "buffer MiB %" PRIu64 " after reading "
					 "device offset %#" PRIx64, bi, doff);
		}
		atomic_fetch_add(&s->ok, 1);
	}
	return NULL;
}

/* Wait until the stream has @n more successful chunks than @since. */
static bool stream_wait(struct stream *s, long since, long n, double timeout)
{
	double end = p2p_now_s() + timeout;

	while (atomic_load(&s->ok) < since + n) {
		if (p2p_now_s() > end)
			return false;
		sleep_ms(5);
	}
	return true;
}

static void stream_start(struct env *e, struct stream *s, pthread_t *th,
			 uint64_t seed, uint64_t allowed_errs)
{
	memset(s, 0, sizeof(*s));
	s->b = &e->nvme[PEER];
	s->img = p2p_file_dup(s->b->image, 0, READ_SIZE);
	s->fd = p2p_alloc(e->dev, &e->m.vram, STREAM_BUF, O_RDWR | O_CLOEXEC);
	s->map = p2p_map(s->fd, STREAM_BUF);
	s->seed = seed;
	s->allowed_errs = allowed_errs;
	for (int i = 0; i < (int)STREAM_SLOTS; i++)
		s->slot[i] = SLOT_ZERO;	/* new buffers come cleared */
	igt_assert_eq(pthread_create(th, NULL, stream_reader, s), 0);
}

/*
 * The failed calls that started before (@after false) or after the mark by
 * errno, e.g. "EIO 3, ENODEV 12", or "none".
 */
static void stream_errnos(struct stream *s, bool after, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 1; i <= STREAM_ERRNOS; i++) {
		int e = i % STREAM_ERRNOS;	/* the catch-all bucket last */
		long n = atomic_load(&s->errs[after][e]);

		if (!n || used >= len)
			continue;
		used += snprintf(buf + used, len - used, "%s%s %ld",
				 used ? ", " : "", e ? p2p_errno_name(e) : "other",
				 n);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void stream_report(struct stream *s)
{
	char errs[256];

	stream_errnos(s, false, errs, sizeof(errs));
	igt_info("stream: %ld calls, %ld verified, %ld failed with an allowed "
		 "errno, %ld other failures (last errno %d); failures by errno%s: "
		 "%s; %ld mismatches, %ld path/cpu_bytes anomalies, %ld "
		 "mappings made\n",
		 atomic_load(&s->calls), atomic_load(&s->ok),
		 atomic_load(&s->allowed), atomic_load(&s->failed),
		 atomic_load(&s->last_err),
		 atomic_load(&s->mark) ? " of calls started before the mark" : "",
		 errs, atomic_load(&s->mismatches),
		 atomic_load(&s->anomalies), atomic_load(&s->maps));
	if (!atomic_load(&s->mark))
		return;
	stream_errnos(s, true, errs, sizeof(errs));
	igt_info("stream, calls started after the mark: %ld, %ld verified; "
		 "failures by errno: %s\n", atomic_load(&s->calls_after_mark),
		 atomic_load(&s->ok_after_mark), errs);
}

static void stream_stop(struct stream *s, pthread_t th)
{
	atomic_store(&s->stop, true);
	igt_assert_eq(pthread_join(th, NULL), 0);
	stream_report(s);
}

/* The whole buffer as the stream left it, through mmap and the VRAM file. */
static void stream_check_final(struct env *e, struct stream *s)
{
	uint8_t *want = p2p_xalloc(STREAM_BUF), *got = p2p_xalloc(STREAM_BUF);
	const uint8_t *map = s->map;
	int undefined = 0;

	for (int i = 0; i < (int)STREAM_SLOTS; i++) {
		uint8_t *w = want + i * STREAM_CHUNK;

		if (s->slot[i] == SLOT_ZERO)
			memset(w, 0, STREAM_CHUNK);
		else if (s->slot[i] >= 0)
			memcpy(w, s->img + s->slot[i], STREAM_CHUNK);
	}
	/* Slots whose last read failed hold undefined bytes: not compared. */
	p2p_cpu_access(s->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	memcpy(got, map, STREAM_BUF);
	p2p_cpu_access(s->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	for (int i = 0; i < (int)STREAM_SLOTS; i++)
		if (s->slot[i] == SLOT_UNDEFINED) {
			memcpy(want + i * STREAM_CHUNK, got + i * STREAM_CHUNK,
			       STREAM_CHUNK);
			undefined++;
		}
	igt_info("final check: %d of %d slots left undefined by failed reads\n",
		 undefined, (int)STREAM_SLOTS);
	p2p_check_bytes(got, want, STREAM_BUF, "the buffer after the stream");
	check_vram_file(e, s->fd, want, STREAM_BUF,
			"the buffer after the stream");
	free(got);
	free(want);
}

/* No read failed or read wrong bytes, and all went the native way. */
static void stream_assert_clean(struct stream *s)
{
	igt_assert_f(!atomic_load(&s->failed), "%ld reads failed, last: %s\n",
		     atomic_load(&s->failed),
		     strerror(atomic_load(&s->last_err)));
	igt_assert_f(!atomic_load(&s->mismatches),
		     "%ld chunks read wrong bytes; first: %s\n",
		     atomic_load(&s->mismatches), s->first_mismatch);
	igt_assert_eq(atomic_load(&s->anomalies), 0);
}

static void stream_free(struct stream *s)
{
	munmap((void *)s->map, STREAM_BUF);
	close(s->fd);
	free((void *)s->img);
}

#define MIGRATIONS 20

static void test_migrate_during_stream(struct env *e)
{
	struct counters c0, c1;
	int mig_err[MIGRATIONS] = { 0 }, mig_ok = 0;
	bool progressed = true;
	struct stream s;
	struct p2p_query q;
	pthread_t th;

	read_counters(e, &c0);
	stream_start(e, &s, &th, 0x5eed0001, 0);
	for (int i = 0; i < MIGRATIONS && progressed; i++) {
		long since = atomic_load(&s.ok);

		/* Reads between moves: each move finds a live mapping. */
		progressed = stream_wait(&s, since, 2, 30);
		if (!progressed)
			break;
		mig_err[i] = __p2p_migrate(e->dev, s.fd, i % 2 ?
					   DMA_BUF_P2P_PLACEMENT_BAR :
					   DMA_BUF_P2P_PLACEMENT_SYSTEM);
		mig_ok += !mig_err[i];
	}
	if (progressed)
		progressed = stream_wait(&s, atomic_load(&s.ok), 2, 30);
	stream_stop(&s, th);
	read_counters(e, &c1);

	igt_info("%d of %d moves done; importer invalidations +%lld, "
		 "maps +%lld\n", mig_ok, MIGRATIONS,
		 c1.invalidations - c0.invalidations, c1.maps - c0.maps);
	igt_assert_f(progressed, "the stream stalled (%ld verified chunks)\n",
		     atomic_load(&s.ok));
	stream_assert_clean(&s);
	p2p_query(e->dev, s.fd, &q);

	if (pin_kernel) {
		/*
		 * The pin kernel: a read in progress pins the buffer where it
		 * is, so a move may be refused (EBUSY) or land between two
		 * reads; nothing is invalidated, since nothing is mapped
		 * across calls, and every read sees the right bytes.
		 */
		for (int i = 0; i < MIGRATIONS; i++)
			igt_assert_f(!mig_err[i] || mig_err[i] == -EBUSY,
				     "move %d to %s: %s\n", i,
				     i % 2 ? "the BAR" : "system memory",
				     strerror(-mig_err[i]));
		igt_assert_eq_u64(c1.invalidations - c0.invalidations, 0);
		igt_assert_lte(q.q.migrations_to_system, MIGRATIONS / 2);
		igt_assert_lte(q.q.migrations_to_bar, MIGRATIONS / 2);
		/* Idle now: nothing pins it, back to the BAR to check it. */
		igt_assert_eq(__p2p_migrate(e->dev, s.fd,
					    DMA_BUF_P2P_PLACEMENT_BAR), 0);
		stream_check_final(e, &s);
		stream_free(&s);
		return;
	}

	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	for (int i = 0; i < MIGRATIONS; i++)
		igt_assert_f(!mig_err[i], "move %d to %s: %s\n", i,
			     i % 2 ? "the BAR" : "system memory",
			     strerror(-mig_err[i]));
	/* Every move invalidated the live mapping; the next read remapped. */
	igt_assert_f(c1.invalidations - c0.invalidations >= MIGRATIONS,
		     "%lld invalidations for %d moves\n",
		     c1.invalidations - c0.invalidations, MIGRATIONS);
	igt_assert_f(atomic_load(&s.maps) >= MIGRATIONS + 1,
		     "%ld mappings made for %d moves\n", atomic_load(&s.maps),
		     MIGRATIONS);
	igt_assert_eq_u64(q.q.migrations_to_system, MIGRATIONS / 2);
	igt_assert_eq_u64(q.q.migrations_to_bar, MIGRATIONS / 2);
	stream_check_final(e, &s);
	stream_free(&s);
}

static void test_unbind_during_stream(struct env *e)
{
	struct stream s;
	struct p2p_query q;
	bool progressed;
	double t0, secs;
	pthread_t th;
	long since;

	stream_start(e, &s, &th, 0x5eed0004, 0);
	progressed = stream_wait(&s, 0, 3, 30);
	atomic_store(&s.mark, true);
	t0 = p2p_now_s();
	p2p_vram_unbind(&e->m);
	secs = p2p_now_s() - t0;
	since = atomic_load(&s.ok);
	if (progressed)
		progressed = stream_wait(&s, since, 3, 30);
	stream_stop(&s, th);
	igt_info("the unbind took %.2f s\n", secs);

	igt_assert_f(progressed, "the stream stalled (%ld verified chunks)\n",
		     atomic_load(&s.ok));
	igt_assert_f(secs < 5, "the unbind took %.1f s\n", secs);
	/* The buffer moved out of the BAR; the reads never noticed. */
	stream_assert_clean(&s);
	p2p_query(e->dev, s.fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);
	igt_assert_eq(__p2p_migrate(e->dev, s.fd, DMA_BUF_P2P_PLACEMENT_BAR),
		      -ENODEV);

	/* Back, the buffer returns to the BAR with the stream's bytes. */
	p2p_vram_rebind(&e->m);
	igt_assert_eq(__p2p_migrate(e->dev, s.fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	stream_check_final(e, &s);
	stream_free(&s);
}

/*
 * A process writing two VRAM buffers to the disk in turn, killed mid-call:
 * it dies at once (the call waits only for the I/O it started), every
 * sector of the slice holds its old bytes or one buffer's, and the
 * buffers, their imports and their BAR memory are all released.
 */
static void test_kill_during_transfer(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = 32 * MiB, off = WRITE_VRAM;
	int ready[2], status, torn = 0, from[2] = { 0 };
	uint64_t avail0, avail = 0;
	uint8_t *data[2], *got;
	struct p2p_slice s;
	double t0, secs;
	char dev[48], c;
	pid_t pid;

	snprintf(dev, sizeof(dev), "/dev/%s", peer->name);
	p2p_slice_save(&s, dev, peer->image, off, size);
	for (int i = 0; i < 2; i++) {
		data[i] = p2p_xalloc(size);
		p2p_fill_pattern(data[i], size, 0x6b111 + i);
		igt_assert(memcmp(data[i], s.old, size));
	}
	avail0 = p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
	igt_assert_eq(pipe(ready), 0);

	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		struct blk_dmabuf_rw rw;
		int fd[2];

		for (int i = 0; i < 2; i++) {
			fd[i] = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR);
			fill_map(fd[i], p2p_map(fd[i], size), data[i], size);
		}
		igt_assert_eq(write(ready[1], "r", 1), 1);
		for (int i = 0; ; i ^= 1)
			p2p_blk_rw(peer->fd, fd[i], BLK_DMABUF_WRITE, 0, off,
				 size, &rw);
	}
	close(ready[1]);
	igt_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	sleep_ms(300);		/* well inside the stream of writes */
	t0 = p2p_now_s();
	igt_assert_eq(kill(pid, SIGKILL), 0);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	secs = p2p_now_s() - t0;
	igt_info("the writer died %.3f s after SIGKILL\n", secs);
	igt_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	igt_assert_f(secs < 5, "the writer took %.1f s to die\n", secs);

	got = p2p_file_dup(peer->image, off, size);
	for (uint64_t x = 0; x < size; x += 512) {
		if (!memcmp(got + x, data[0] + x, 512))
			from[0]++;
		else if (!memcmp(got + x, data[1] + x, 512))
			from[1]++;
		else if (memcmp(got + x, s.old + x, 512))
			torn++;
	}
	igt_info("after the kill: %d sectors from the first buffer, %d from "
		 "the second, %d old, %d neither\n", from[0], from[1],
		 (int)(size / 512) - from[0] - from[1] - torn, torn);
	igt_assert_eq(torn, 0);
	igt_assert_f(from[0] + from[1], "nothing written before the kill\n");

	/* The importer's cache lets go about a second after the last close. */
	for (t0 = p2p_now_s(); p2p_now_s() - t0 < 5; sleep_ms(50)) {
		avail = p2p_sysfs_u64(e->m.vram.addr, "p2pmem/available");
		if (avail == avail0)
			break;
	}
	igt_assert_f(avail == avail0, "%" PRIu64 " bytes of the VRAM still "
		     "allocated 5 s after the writer died\n", avail0 - avail);
	p2p_slice_restore(&s);
	free(got);
	free(data[0]);
	free(data[1]);
}

#define RESETS 3

static void test_reset_during_stream(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	char ctrl[64], path[PATH_MAX];
	bool reset_ok[RESETS] = { false }, progressed = true;
	long after[RESETS] = { 0 };
	struct stream s;
	pthread_t th;

	igt_assert(p2p_nvme_ctrl_by_serial(peer->serial, ctrl, sizeof(ctrl)));
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/reset_controller",
		 ctrl);

	/* A read the reset aborts may fail with EIO; nothing else may. */
	stream_start(e, &s, &th, 0x5eed0002, ERRNO_BIT(EIO));
	for (int i = 0; i < RESETS && progressed; i++) {
		long since;

		progressed = stream_wait(&s, atomic_load(&s.ok), 2, 30);
		if (!progressed)
			break;
		reset_ok[i] = p2p_sysfs_write(path, "1");
		/* It goes on after the reset. */
		since = atomic_load(&s.ok);
		progressed = stream_wait(&s, since, 3, 30);
		after[i] = atomic_load(&s.ok) - since;
	}
	stream_stop(&s, th);

	for (int i = 0; i < RESETS; i++)
		igt_info("reset %d of %s: %s, then %ld verified chunks\n", i,
			 ctrl, reset_ok[i] ? "done" : "failed", after[i]);
	igt_assert_f(progressed, "the stream stalled after a reset (%ld "
		     "verified chunks)\n", atomic_load(&s.ok));
	for (int i = 0; i < RESETS; i++)
		igt_assert_f(reset_ok[i], "writing %s failed\n", path);
	igt_assert_f(!atomic_load(&s.failed),
		     "%ld reads failed with something other than EIO, last: %s\n",
		     atomic_load(&s.failed), strerror(atomic_load(&s.last_err)));
	igt_assert_f(!atomic_load(&s.mismatches),
		     "%ld chunks read wrong bytes; first: %s\n",
		     atomic_load(&s.mismatches), s.first_mismatch);
	igt_assert_eq(atomic_load(&s.anomalies), 0);
	stream_check_final(e, &s);
	stream_free(&s);
}

/* Polls until the importer holds @imports imports and @ino is gone. */
static double wait_released(ino_t ino, long long imports, double timeout)
{
	double start = p2p_now_s();

	do {
		if (p2p_debugfs_key(P2P_IMPORT_STATS, "imports") <= imports &&
		    (!ino || !buffer_entry(ino, NULL, 0)))
			return p2p_now_s() - start;
		sleep_ms(50);
	} while (p2p_now_s() - start < timeout);
	return -1;
}

static void test_cache_released_on_close(struct env *e)
{
	const struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = 4 * MiB;
	struct blk_dmabuf_rw rw;
	char entry[4096], want[128];
	struct p2p_query q;
	long long base;
	double t;
	ino_t ino;
	int fd, fd2;

	/* Imports cached by earlier tests' buffers go away first. */
	t = wait_released(0, 0, 5);
	igt_assert_f(t >= 0, "%lld imports still cached 5 s after the "
		     "earlier tests\n", p2p_debugfs_key(P2P_IMPORT_STATS, "imports"));
	base = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");

	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	ino = fd_ino(fd);
	blk_rw(peer, fd, 0, 0, 0, MiB, &rw);
	assert_native(&rw, 1);
	igt_assert_eq_u64(p2p_debugfs_key(P2P_IMPORT_STATS, "imports"), base + 1);
	p2p_query(e->dev, fd, &q);
	snprintf(want, sizeof(want), "  attachment %s ",
		 find_attachment(&q, peer->pci)->device);
	igt_assert(buffer_entry(ino, entry, sizeof(entry)));
	igt_assert_f(strstr(entry, want), "no '%s' in\n%s", want, entry);

	/* Another fd keeps it: still cached 3 s after the first closes. */
	fd2 = dup(fd);
	igt_assert_fd(fd2);
	close(fd);
	sleep(3);
	igt_assert_eq_u64(p2p_debugfs_key(P2P_IMPORT_STATS, "imports"), base + 1);
	igt_assert(buffer_entry(ino, NULL, 0));
	blk_rw(peer, fd2, 0, MiB, 0, MiB, &rw);
	assert_native(&rw, 0);

	/* The last fd closes: the import and the buffer go within 3 s. */
	close(fd2);
	t = wait_released(ino, base, 3);
	igt_assert_f(t >= 0, "3 s after the last close: %lld imports "
		     "(expected %lld), buffer %s\n",
		     p2p_debugfs_key(P2P_IMPORT_STATS, "imports"), base,
		     buffer_entry(ino, NULL, 0) ? "still listed" : "gone");
	igt_info("import and buffer released %.2f s after the last close\n",
		 t);
}

/* remove-during-stream ----------------------------------------------- */

#define PCI_RESCAN		"/sys/bus/pci/rescan"
#define REMOVE_TIMEOUT		30
#define STREAM_EXIT_TIMEOUT	30
#define RESCAN_TIMEOUT		20
#define RELEASE_TIMEOUT		5

/* Set once peer0's function is removed, cleared when the rescan is done. */
static atomic_bool peer_removed;

/* An exit handler, so async-signal-safe: open, write, close. */
static void rescan_on_exit(int sig)
{
	(void)sig;
	if (atomic_load(&peer_removed))
		p2p_sysfs_write(PCI_RESCAN, "1");
}

struct remover {
	char path[PATH_MAX];	/* the function's "remove" */
	struct stream *s;
	bool ok;
	int err;
	double took;
};

static void *remove_function(void *arg)
{
	struct remover *r = arg;
	double start = p2p_now_s();

	r->ok = p2p_sysfs_write(r->path, "1");
	r->err = errno;
	r->took = p2p_now_s() - start;
	/* Stream calls that start from here on find the device gone. */
	atomic_store(&r->s->mark, true);
	return NULL;
}

static bool join_within(pthread_t th, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return !pthread_timedjoin_np(th, NULL, &ts);
}

/* The namespace with @serial, once its block device node is there. */
static bool namespace_back(const char *serial, char *name, size_t len)
{
	char path[64];

	if (!p2p_block_by_serial(serial, name, len))
		return false;
	snprintf(path, sizeof(path), "/dev/%s", name);
	return !access(path, F_OK);
}

/* The PCI address of the NVMe controller with @serial. */
static void ctrl_addr(const char *serial, char *addr, size_t len)
{
	char ctrl[64], path[PATH_MAX], target[PATH_MAX];

	igt_assert(p2p_nvme_ctrl_by_serial(serial, ctrl, sizeof(ctrl)));
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/device", ctrl);
	igt_assert_f(realpath(path, target), "%s: %m\n", path);
	snprintf(addr, len, "%s", strrchr(target, '/') + 1);
}

static void test_remove_during_stream(struct env *e)
{
	const uint64_t allowed = ERRNO_BIT(EIO) | ERRNO_BIT(ENODEV) |
				 ERRNO_BIT(ENXIO);
	const struct p2p_nvme *n = &e->m.nvme[PEER];
	struct bdev *peer = &e->nvme[PEER];
	const uint64_t size = 4 * MiB, off = 8 * MiB;
	char name[32], addr[64], before[256], after[256];
	struct blk_dmabuf_rw rw;
	ino_t stream_ino, ino;
	pthread_t th, rth;
	long long base, imports;
	uint8_t *want, *map;
	struct remover *r;
	struct stream *s;
	long failed;
	struct p2p_query q;
	double start;
	bool done;
	int fd;

	/* Heap, not stack: a thread stuck in the kernel outlives a failure. */
	s = calloc(1, sizeof(*s));
	r = calloc(1, sizeof(*r));
	igt_assert(s && r);
	snprintf(r->path, sizeof(r->path), "/sys/bus/pci/devices/%s/remove",
		 n->pci.addr);
	igt_require_f(!access(r->path, W_OK), "cannot write %s: %m\n", r->path);
	igt_require_f(!access(PCI_RESCAN, W_OK), "cannot write " PCI_RESCAN
		      ": %m\n");

	/* Imports cached by earlier tests' buffers go away first. */
	wait_released(0, 0, RELEASE_TIMEOUT);
	base = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
	igt_info("imports before the test: %lld\n", base);

	stream_start(e, s, &th, 0x5eed0003, allowed);
	stream_ino = fd_ino(s->fd);
	if (!stream_wait(s, 0, 4, 30)) {
		stream_stop(s, th);
		igt_assert_f(0, "the stream stalled before the removal (%ld "
			     "verified chunks)\n", atomic_load(&s->ok));
	}

	/* Remove peer0's function under the stream, in a thread: bounded. */
	r->s = s;
	igt_install_exit_handler(rescan_on_exit);
	atomic_store(&peer_removed, true);
	igt_assert_eq(pthread_create(&rth, NULL, remove_function, r), 0);
	done = join_within(rth, REMOVE_TIMEOUT);
	if (!done) {
		/* Not rescanned on exit: that would wait for the removal. */
		atomic_store(&peer_removed, false);
		atomic_store(&s->stop, true);
		igt_assert_f(0, "removing %s did not return within %d s "
			     "(stream: %ld calls, %ld verified)\n", n->pci.addr,
			     REMOVE_TIMEOUT, atomic_load(&s->calls),
			     atomic_load(&s->ok));
	}
	igt_info("removing %s took %.2f s: %s; %ld stream calls so far, %ld "
		 "verified\n", n->pci.addr, r->took,
		 r->ok ? "done" : strerror(r->err), atomic_load(&s->calls),
		 atomic_load(&s->ok));
	igt_assert_f(r->ok, "writing %s: %s\n", r->path, strerror(r->err));

	/* Let the stream meet the removed device, then stop it. */
	start = p2p_now_s();
	while (atomic_load(&s->calls_after_mark) < 16 && p2p_now_s() - start < 10)
		sleep_ms(5);
	atomic_store(&s->stop, true);
	done = join_within(th, STREAM_EXIT_TIMEOUT);
	stream_report(s);
	igt_assert_f(done, "the stream thread did not exit within %d s of the "
		     "removal (%ld calls started after it)\n",
		     STREAM_EXIT_TIMEOUT, atomic_load(&s->calls_after_mark));
	igt_assert_f(atomic_load(&s->calls_after_mark),
		     "no stream call started after the removal\n");
	igt_assert_f(!atomic_load(&s->ok_after_mark),
		     "%ld of %ld reads that started after the removal "
		     "succeeded\n", atomic_load(&s->ok_after_mark),
		     atomic_load(&s->calls_after_mark));
	/* Asserted at the end: a wrong errno must not hide the rest. */
	failed = atomic_load(&s->failed);
	stream_errnos(s, false, before, sizeof(before));
	stream_errnos(s, true, after, sizeof(after));
	if (failed)
		igt_warn("%ld reads failed with something other than EIO, "
			 "ENODEV or ENXIO\n", failed);
	igt_assert_f(!atomic_load(&s->mismatches),
		     "%ld chunks read wrong bytes; first: %s\n",
		     atomic_load(&s->mismatches), s->first_mismatch);
	igt_assert_eq(atomic_load(&s->anomalies), 0);
	stream_check_final(e, s);
	igt_info("imports with the stream's buffer and the removed device "
		 "still open: %lld\n", p2p_debugfs_key(P2P_IMPORT_STATS, "imports"));

	stream_free(s);
	bdev_close(peer);

	/* The function comes back, its namespace under some new name. */
	igt_assert_f(p2p_sysfs_write(PCI_RESCAN, "1"),
		     "cannot write " PCI_RESCAN ": %m\n");
	atomic_store(&peer_removed, false);
	start = p2p_now_s();
	while (!(done = namespace_back(n->serial, name, sizeof(name))) &&
	       p2p_now_s() - start < RESCAN_TIMEOUT)
		sleep_ms(100);
	igt_assert_f(done, "no namespace with serial %s %d s after the "
		     "rescan\n", n->serial, RESCAN_TIMEOUT);
	igt_info("%s is back as /dev/%s %.1f s after the rescan\n", n->serial,
		 name, p2p_now_s() - start);
	ctrl_addr(n->serial, addr, sizeof(addr));
	igt_assert_f(!strcmp(addr, n->pci.addr), "%s came back at %s, not "
		     "%s\n", n->serial, addr, n->pci.addr);
	bdev_open(peer, n->serial, n->image, &n->pci);

	want = p2p_file_dup(peer->image, off, size);
	fd = p2p_alloc(e->dev, &e->m.vram, size, O_RDWR | O_CLOEXEC);
	ino = fd_ino(fd);
	map = p2p_map(fd, size);
	set_map(fd, map, 0x5a, size);
	blk_rw(peer, fd, 0, 0, off, size, &rw);
	assert_native(&rw, 1);
	p2p_query(e->dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(find_attachment(&q, peer->pci)->mode,
			  expected_mode(e, &e->m.vram, peer->pci));
	check_map(fd, map, want, size, "4 MiB read after the rescan");
	check_vram_file(e, fd, want, size, "4 MiB read after the rescan");
	munmap(map, size);
	close(fd);
	bdev_close(peer);
	free(want);

	/* All closed: no import of either buffer, old device or new, stays. */
	start = p2p_now_s();
	do {
		imports = p2p_debugfs_key(P2P_IMPORT_STATS, "imports");
		done = imports <= base && !buffer_entry(stream_ino, NULL, 0) &&
		       !buffer_entry(ino, NULL, 0);
		if (!done)
			sleep_ms(50);
	} while (!done && p2p_now_s() - start < RELEASE_TIMEOUT);
	igt_assert_f(done, "%d s after everything was closed: %lld imports "
		     "(%lld before the test), the stream's buffer %s, the new "
		     "one %s\n", RELEASE_TIMEOUT, imports, base,
		     buffer_entry(stream_ino, NULL, 0) ? "listed" : "gone",
		     buffer_entry(ino, NULL, 0) ? "listed" : "gone");
	igt_info("imports back to %lld %.2f s after the last close\n", imports,
		 p2p_now_s() - start);

	igt_assert_f(!failed, "%ld reads failed with something other than "
		     "EIO, ENODEV or ENXIO; by errno, those started before "
		     "the removal returned: %s; after: %s\n", failed, before,
		     after);
	free(r);
	free(s);
}

igt_main
{
	struct env e = { .dev = -1 };

	for (int i = 0; i < 3; i++)
		e.nvme[i].fd = -1;

	igt_fixture {
		p2p_machine_load(&e.m);
		pin_kernel = !e.m.move_notify;
		e.dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
		igt_assert_f(e.dev >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
		for (int i = 0; i < 3; i++)
			bdev_open(&e.nvme[i], e.m.nvme[i].serial,
				  e.m.nvme[i].image, &e.m.nvme[i].pci);
	}

	igt_describe("64 MiB from the NVMe in the VRAM's switch straight into "
		     "a VRAM BAR buffer: native path, no CPU copy anywhere, the "
		     "buffer stays in the BAR with the topology's P2P mode, the "
		     "bytes are in the mmap and the VRAM file; a second read "
		     "uses the cached mapping.");
	igt_subtest("nvme-read-into-vram-p2p")
		test_nvme_read_vram(&e);

	igt_describe("16 MiB from a VRAM BAR buffer to the NVMe, checked on "
		     "the disk image, then restored.");
	igt_subtest("vram-write-to-nvme")
		test_vram_write_nvme(&e);

	igt_describe("NVMe to NVMe through the CMB: peer0 into a CMB buffer, "
		     "then out to far0 (or cmb0 itself where far0 cannot reach "
		     "the CMB); the target image holds the source's bytes.");
	igt_subtest("cmb-relay")
		test_cmb_relay(&e);

	igt_describe("The NVMe behind the other root port reads into a VRAM "
		     "buffer: through the host bridge where the CPU allows it, "
		     "else the buffer moves to system memory and QUERY and "
		     "debugfs say why; the data is right either way.");
	igt_subtest("far-nvme")
		test_far_nvme(&e);

	igt_describe("A vgem PRIME buffer as target: NVMe reads into it "
		     "natively, checked through its mmap, and writes from it "
		     "reach the disk image.");
	igt_subtest("vgem-target")
		test_vgem_target(&e);

	igt_describe("A udmabuf (sealed memfd) as target: NVMe reads land in "
		     "the memfd's pages, writes from it reach the disk image.");
	igt_subtest("udmabuf-target")
		test_udmabuf_target(&e);

	igt_describe("A system dma-heap buffer as target: NVMe reads into it, "
		     "writes from it reach the disk image.");
	igt_subtest("system-heap-target")
		test_system_heap_target(&e);

	igt_describe("virtio-blk has no native support: reads into and writes "
		     "from a VRAM buffer take the bounce path, the CPU copies "
		     "exactly the bytes moved, and the data is right on both "
		     "sides.");
	igt_subtest("virtio-blk-bounce")
		test_virtio_blk_bounce(&e);

	igt_describe("BLK_DMABUF_BOUNCE makes an NVMe that reaches the VRAM "
		     "BAR bounce: 16 MiB in with BLKDMABUFRW and out with a "
		     "batch, exactly those bytes copied by the CPU, no device "
		     "attached, the buffer still in the BAR; data checked in "
		     "the mmap, the VRAM file and the disk image.");
	igt_subtest("forced-bounce")
		test_forced_bounce(&e);

	igt_describe("BLKDMABUFRWBATCH: 512 random 4 KiB reads at queue depth "
		     "32 into distinct buffer offsets all succeed and each lands "
		     "where it belongs.");
	igt_subtest("batch-qd32")
		test_batch_qd32(&e);

	igt_describe("nvme-pci with PRPs only (sgl_threshold 0) and with SGLs "
		     "for every I/O request (sgl_threshold 1): 64 MiB into a "
		     "fresh VRAM buffer (one P2P segment) and 16 MiB into a "
		     "udmabuf (4 KiB segments) arrive intact, and 16 MiB from "
		     "each reach the disk image; the threshold is restored "
		     "however the test ends.");
	igt_subtest("prp-and-sgl")
		test_prp_and_sgl(&e);

	igt_describe("Both ioctls reject every kind of bad input with the "
		     "documented errno, and nothing moves: the buffer and the "
		     "disk keep their bytes.");
	igt_subtest("invalid-inputs")
		test_invalid_inputs(&e);

	igt_describe("Random 1 MiB reads into a 64 MiB VRAM buffer while it "
		     "moves between the BAR and system memory 20 times: every "
		     "read succeeds with the right bytes, every move invalidates "
		     "the NVMe's mapping and the next read remaps.");
	igt_subtest("migrate-during-stream")
		test_migrate_during_stream(&e);

	igt_describe("The same stream while the VRAM provider's driver is "
		     "unbound: within 5 s the buffer is in system memory, every "
		     "read before, during and after succeeds with the right "
		     "bytes, and once the provider is back the buffer returns "
		     "to the BAR, checked in the VRAM file.");
	igt_subtest("unbind-provider-during-stream")
		test_unbind_during_stream(&e);

	igt_describe("A process writing two VRAM buffers to peer0 in turn is "
		     "killed mid-call: it dies within 5 s, each sector of the "
		     "slice in the disk image holds its old bytes or one "
		     "buffer's, and the BAR memory is free again within 5 s.");
	igt_subtest("kill-during-transfer")
		test_kill_during_transfer(&e);

	igt_describe("The same stream while the NVMe controller is reset three "
		     "times: every read that succeeds has the right bytes, and "
		     "the stream goes on after each reset.");
	igt_subtest("reset-during-stream")
		test_reset_during_stream(&e);

	igt_describe("The importer's cached mapping holds a dma-buf only while "
		     "an fd of it is open: after the last close the import and "
		     "the buffer are gone within 3 s.");
	igt_subtest("cache-released-on-close")
		test_cache_released_on_close(&e);

	/* Last: the controller comes back under new names. */
	igt_describe("The read stream while peer0's PCI function is removed: "
		     "the removal returns within 30 s, reads started after it "
		     "fail with EIO, ENODEV or ENXIO and none returns wrong "
		     "bytes, the stream ends; after a rescan the namespace is "
		     "back and reads natively, and no import of the removed "
		     "controller outlives the buffers.");
	igt_subtest("remove-during-stream")
		test_remove_during_stream(&e);

	igt_fixture {
		for (int i = 0; i < 3; i++)
			bdev_close(&e.nvme[i]);
		close(e.dev);
	}
}
