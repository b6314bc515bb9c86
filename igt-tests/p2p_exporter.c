// SPDX-License-Identifier: MIT
/*
 * The dma-buf P2P exporter through its UAPI: allocation and its errors,
 * query, CPU mappings that land in the BAR's backing file, explicit
 * migration both ways, and a PRIME importer (vgem) that cannot reach the
 * BAR, for which the buffer moves to system memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "igt.h"
#include "p2p_buffer.h"
#include "p2p_bytes.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("Allocate dma-bufs in a peer BAR, map them with the "
		     "CPU, migrate them and import them elsewhere.");

static void test_alloc_invalid(int dev, const struct p2p_machine *m)
{
	struct dma_buf_p2p_alloc a;
	int fd = -1;

	igt_assert_eq(__p2p_alloc(dev, &m->vram, 0, O_RDWR, &fd), -EINVAL);
	igt_assert_eq(__p2p_alloc(dev, &m->vram, UINT64_MAX, O_RDWR, &fd),
		      -EINVAL);
	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_RDWR | O_APPEND, &fd),
		      -EINVAL);
	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_WRONLY, &fd), -EINVAL);
	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_ACCMODE, &fd),
		      -EINVAL);
	/* Far larger than any provider: refused before any allocation. */
	igt_assert_eq(__p2p_alloc(dev, &m->vram, 1ull << 50, O_RDWR, &fd),
		      -ENOSPC);
	/* Larger than the whole provider. */
	igt_assert_eq(__p2p_alloc(dev, &m->vram, m->vram_size + 4096,
				  O_RDWR, &fd),
		      -ENOSPC);
	/* The far NVMe has no CMB; no function at 0000:ff:1f.7. */
	igt_assert_eq(__p2p_alloc(dev, &m->nvme[2].pci, 4096, O_RDWR, &fd),
		      -ENXIO);

	a = (struct dma_buf_p2p_alloc){ .provider = m->vram.id, .size = 4096 };
	a.provider.bdf = 0xffff;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), -ENODEV);
	a.provider.bdf = 0x10000;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), -EINVAL);

	a = (struct dma_buf_p2p_alloc){ .provider = m->vram.id, .size = 4096 };
	a.flags = 1;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), -EINVAL);
	a.flags = 0;
	a.__pad = 1;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), -EINVAL);
	a.__pad = 0;
	a.fd = 3;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a), -EINVAL);
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_ALLOC, NULL), -EFAULT);
}

static void test_alloc_fd_flags(int dev, const struct p2p_machine *m)
{
	int fd = -1;

	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_RDWR | O_CLOEXEC, &fd),
		      0);
	igt_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	igt_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);

	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_RDONLY, &fd), 0);
	igt_assert(!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	igt_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	igt_assert(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		   MAP_FAILED);
	igt_assert_eq(errno, EACCES);
	close(fd);
}

/* A dma-buf of another exporter. */
static int vgem_dmabuf(int vgem)
{
	struct drm_mode_create_dumb c = { .width = 64, .height = 64, .bpp = 32 };

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	return prime_handle_to_fd(vgem, c.handle);
}

static void test_query(int dev, const struct p2p_machine *m, int vgem)
{
	struct p2p_query q;
	uint64_t total = 0;
	int fd, other;

	/* Rounded up to the page size, in the BAR, one or few chunks. */
	fd = p2p_alloc(dev, &m->vram, (64 << 20) - 100, O_RDWR | O_CLOEXEC);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u64(q.q.size, 64 << 20);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
	igt_assert_eq_u32(q.q.provider.domain, m->vram.id.domain);
	igt_assert_eq_u32(q.q.provider.bdf, m->vram.id.bdf);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq_u32(q.q.pin_count, 0);
	igt_assert(q.q.nr_chunks >= 1);
	for (uint32_t i = 0; i < q.q.nr_chunks; i++)
		total += q.chunks[i].size;
	igt_assert_eq_u64(total, q.q.size);
	igt_info("64 MiB buffer in %u chunk(s)\n", q.q.nr_chunks);

	/* Out fields must be zero. */
	memset(&q, 0, sizeof(q));
	q.q.fd = fd;
	q.q.size = 1;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q.q), -EINVAL);
	q.q.size = 0;
	q.q.flags = 1;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_QUERY, &q.q), -EINVAL);

	/* Not our dma-buf, not a dma-buf, not a file. */
	other = vgem_dmabuf(vgem);
	igt_assert_eq(__p2p_query(dev, other, &q), -EOPNOTSUPP);
	close(other);
	igt_assert_eq(__p2p_query(dev, dev, &q), -EINVAL);
	igt_assert_eq(__p2p_query(dev, 1000, &q), -EBADF);
	close(fd);
}

static void test_mmap_reaches_vram(int dev, const struct p2p_machine *m)
{
	size_t size = 8 << 20;
	struct p2p_query q;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, size);
	/* New buffers come cleared: the VRAM file held seeded bytes. */
	for (size_t i = 0; i < size; i++)
		igt_assert_f(!p[i], "byte %zu of a new buffer is %#x\n", i, p[i]);
	p2p_fill_pattern(p, size, 0x3000);
	p2p_query(dev, fd, &q);
	p2p_check_vram_pattern(m, &q, 0x3000);
	p2p_check_pattern(p, size, 0x3000, "CPU mapping");
	munmap(p, size);
	close(fd);
}

static void test_migrate_round_trip(int dev, const struct p2p_machine *m)
{
	size_t size = 4 << 20;
	struct p2p_query q;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, size);

	for (int round = 0; round < 3; round++) {
		uint64_t seed = 0x4000 + 2 * round;

		/* Written in the BAR, read back from system memory. */
		p2p_fill_pattern(p, size, seed);
		igt_assert_eq(__p2p_migrate(dev, fd,
					    DMA_BUF_P2P_PLACEMENT_SYSTEM), 0);
		p2p_query(dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		igt_assert_eq_u32(q.q.nr_chunks, 0);
		igt_assert_eq_u64(q.q.migrations_to_system, round + 1);
		p2p_check_pattern(p, size, seed,
				  "after the move to system memory");

		/* Written in system memory, back in the BAR and its file. */
		p2p_fill_pattern(p, size, seed + 1);
		igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR),
			      0);
		p2p_query(dev, fd, &q);
		igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		igt_assert_eq_u64(q.q.migrations_to_bar, round + 1);
		igt_assert_eq_u64(q.q.bytes_copied, 2 * (round + 1) * size);
		p2p_check_pattern(p, size, seed + 1,
				  "after the move back to the BAR");
		p2p_check_vram_pattern(m, &q, seed + 1);
	}

	/* Moving where it is does nothing; bad input is refused. */
	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u64(q.q.migrations_to_bar, 3);
	igt_assert_eq(__p2p_migrate(dev, fd, 7), -EINVAL);
	igt_assert_eq(__p2p_migrate(dev, dev, DMA_BUF_P2P_PLACEMENT_SYSTEM),
		      -EINVAL);

	munmap(p, size);
	close(fd);
}

static void test_vgem_import(int dev, const struct p2p_machine *m, int vgem)
{
	size_t size = 2 << 20;
	struct p2p_query q;
	uint32_t handle;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, size);
	p2p_fill_pattern(p, size, 0x5000);

	/* vgem is no PCI device and needs struct pages: system memory. */
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);
	igt_assert_eq_u32(q.q.nr_attachments, 1);
	igt_info("attached: %s mode %u reason %u flags %#x\n", q.att[0].device,
		 q.att[0].mode, q.att[0].reason, q.att[0].flags);
	igt_assert_eq_u32(q.att[0].mode, DMA_BUF_P2P_MODE_SYSTEM);
	igt_assert_eq_u32(q.att[0].reason, DMA_BUF_P2P_REASON_NO_PEER2PEER);
	igt_assert_eq_u32(q.att[0].pci.domain, UINT32_MAX);
	igt_assert(q.att[0].flags & DMA_BUF_P2P_ATTACH_MAPPED);
	igt_assert(q.q.pin_count >= 1);
	igt_assert_eq_u64(q.q.maps_system, 1);

	/* Data intact in system memory (vgem does not map imports). */
	p2p_check_pattern(p, size, 0x5000, "our mapping after the import");

	/* Pinned for vgem: it cannot go back to the BAR. */
	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR),
		      -EBUSY);

	/* Once vgem lets go, it can. */
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	p2p_query(dev, fd, &q);
	p2p_check_vram_pattern(m, &q, 0x5000);

	munmap(p, size);
	close(fd);
}

#define RACE_ROUNDS 200

struct race {
	int dev, vgem, fd;
	size_t size;
	const uint8_t *map;
	atomic_int errors;
	atomic_int moves, imports, reads;
};

static void *race_migrate(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		int err = __p2p_migrate(r->dev, r->fd, i & 1 ?
					DMA_BUF_P2P_PLACEMENT_BAR :
					DMA_BUF_P2P_PLACEMENT_SYSTEM);

		/* EBUSY: vgem has it pinned (or attached) right now. */
		if (err && err != -EBUSY)
			atomic_fetch_add(&r->errors, 1);
		else if (!err)
			atomic_fetch_add(&r->moves, 1);
	}
	return NULL;
}

static void *race_import(void *arg)
{
	struct race *r = arg;
	uint32_t handle;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		if (drmPrimeFDToHandle(r->vgem, r->fd, &handle) ||
		    drmCloseBufferHandle(r->vgem, handle))
			atomic_fetch_add(&r->errors, 1);
		else
			atomic_fetch_add(&r->imports, 1);
	}
	return NULL;
}

static void *race_read(void *arg)
{
	struct race *r = arg;
	uint8_t *want = malloc(r->size);

	p2p_fill_pattern(want, r->size, 0x7000);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		if (memcmp(r->map, want, r->size))
			atomic_fetch_add(&r->errors, 1);
		else
			atomic_fetch_add(&r->reads, 1);
	}
	free(want);
	return NULL;
}

static void *race_query(void *arg)
{
	struct race *r = arg;
	struct p2p_query q;

	for (int i = 0; i < RACE_ROUNDS; i++)
		if (__p2p_query(r->dev, r->fd, &q) || q.q.size != r->size)
			atomic_fetch_add(&r->errors, 1);
	return NULL;
}

static void test_concurrent(int dev, const struct p2p_machine *m, int vgem)
{
	void *(*const fns[])(void *) = {
		race_migrate, race_import, race_read, race_read, race_query,
	};
	struct race r = { .dev = dev, .vgem = vgem, .size = 1 << 20 };
	pthread_t threads[5];
	struct p2p_query q;
	uint8_t *p;

	r.fd = p2p_alloc(dev, &m->vram, r.size, O_RDWR | O_CLOEXEC);
	p = p2p_map(r.fd, r.size);
	p2p_fill_pattern(p, r.size, 0x7000);
	r.map = p;

	for (int i = 0; i < 5; i++)
		igt_assert_eq(pthread_create(&threads[i], NULL, fns[i], &r), 0);
	for (int i = 0; i < 5; i++)
		igt_assert_eq(pthread_join(threads[i], NULL), 0);

	igt_info("%d moves, %d imports, %d verified reads, %d errors\n",
		 atomic_load(&r.moves), atomic_load(&r.imports),
		 atomic_load(&r.reads), atomic_load(&r.errors));
	igt_assert_eq(atomic_load(&r.errors), 0);
	igt_assert_eq(atomic_load(&r.imports), RACE_ROUNDS);
	igt_assert_eq(atomic_load(&r.reads), 2 * RACE_ROUNDS);
	igt_assert(atomic_load(&r.moves) > 0);

	/* Quiet again: back in the BAR, every byte where it belongs. */
	igt_assert_eq(__p2p_migrate(dev, r.fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	p2p_query(dev, r.fd, &q);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq_u32(q.q.pin_count, 0);
	p2p_check_vram_pattern(m, &q, 0x7000);
	p2p_check_pattern(p, r.size, 0x7000, "the CPU mapping after the race");

	munmap(p, r.size);
	close(r.fd);
}

static int __probe(int dev, int fd, const struct p2p_pci *device,
		   struct dma_buf_p2p_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->device = device->id;
	/* Also read it through the kernel's vmap: a CRC of what it sees. */
	p->flags = DMA_BUF_P2P_PROBE_VMAP;
	return p2p_ioctl(dev, DMA_BUF_P2P_IOC_PROBE, p);
}

/* The mode an attached device gets: the same path the reach ioctl gives. */
static uint32_t expected_mode(const struct p2p_machine *m,
			      const struct p2p_pci *device)
{
	return p2p_expected_mode(&m->vram, device, m->host_bridge_p2p);
}

static void test_probe_nvme(int dev, const struct p2p_machine *m)
{
	size_t size = 64 << 20;
	struct dma_buf_p2p_probe p;
	struct p2p_query q;
	uint8_t *map;
	uint32_t crc;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	map = p2p_map(fd, size);
	p2p_fill_pattern(map, size, 0x8000);
	crc = p2p_crc32(map, size);

	/* The NVMe controllers that can reach the BAR map it in place. */
	for (int n = 0; n < 3; n++) {
		uint32_t mode = expected_mode(m, &m->nvme[n].pci);

		if (mode == DMA_BUF_P2P_MODE_SYSTEM)
			continue;
		igt_assert_eq(__probe(dev, fd, &m->nvme[n].pci, &p), 0);
		igt_info("%s NVMe %s: mode %u, %u DMA segment(s) for 64 MiB\n",
			 m->nvme[n].role, m->nvme[n].pci.addr, p.mode,
			 p.nr_segments);
		igt_assert_eq_u32(p.mode, mode);
		igt_assert_eq_u32(p.reason, DMA_BUF_P2P_REASON_NONE);
		igt_assert_eq_u32(p.placement, DMA_BUF_P2P_PLACEMENT_BAR);
		igt_assert_eq_u64(p.size, size);
		/* Below the switch the DMA layer hands out bus addresses. */
		igt_assert_eq_u32(p.bus_segments,
				  mode == DMA_BUF_P2P_MODE_BUS ? p.nr_segments : 0);
		/* The kernel's vmap of the BAR sees what the CPU mmap wrote. */
		igt_assert_eq_u32(p.vmap_crc32, crc);
		/* Contiguous chunks, not pages: a handful of segments. */
		p2p_query(dev, fd, &q);
		igt_assert_lte(p.nr_segments, 4 * q.q.nr_chunks);
		igt_assert_eq_u64(q.q.migrations_to_system, 0);
	}
	p2p_query(dev, fd, &q);
	igt_assert_eq_u64(q.q.maps_bus + q.q.maps_host_bridge,
			  m->host_bridge_p2p ? 3 : 2);
	igt_assert_eq_u32(q.q.nr_attachments, 0);
	igt_assert_eq_u32(q.q.pin_count, 0);

	/* Without a host bridge route, the far NVMe gets system memory. */
	if (!m->host_bridge_p2p) {
		igt_assert_eq(__probe(dev, fd, &m->nvme[2].pci, &p), 0);
		igt_assert_eq_u32(p.mode, DMA_BUF_P2P_MODE_SYSTEM);
		igt_assert_eq_u32(p.reason, DMA_BUF_P2P_REASON_NO_PATH);
		igt_assert_eq_u32(p.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
		igt_assert_eq_u64(p.size, size);
		igt_assert_eq_u32(p.bus_segments, 0);
		igt_assert_eq_u32(p.vmap_crc32, crc);
		igt_info("far NVMe: system memory, %u DMA segment(s)\n",
			 p.nr_segments);
		p2p_query(dev, fd, &q);
		igt_assert_eq_u64(q.q.migrations_to_system, 1);
		igt_assert_eq_u64(q.q.maps_system, 1);
		p2p_check_pattern(map, size, 0x8000,
				  "after the far NVMe's map");
	}

	/* Bad input. */
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.device = m->nvme[1].pci.id;
	p.flags = 2;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_PROBE, &p), -EINVAL);
	p.flags = 0;
	p.nr_segments = 1;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_PROBE, &p), -EINVAL);
	p.nr_segments = 0;
	p.device.bdf = 0xffff;
	igt_assert_eq(p2p_ioctl(dev, DMA_BUF_P2P_IOC_PROBE, &p), -ENODEV);

	munmap(map, size);
	close(fd);
}

static void test_cpu_access_sync(int dev, const struct p2p_machine *m,
				 int vgem)
{
	const uint64_t rw = DMA_BUF_SYNC_RW;
	size_t size = 1 << 20;
	struct p2p_query q;
	uint32_t handle;
	uint8_t *p;
	int fd;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, size);

	/* In the BAR: bracket CPU writes, they reach the host file. */
	igt_assert_eq(__p2p_cpu_access(fd, DMA_BUF_SYNC_START | rw), 0);
	p2p_fill_pattern(p, size, 0x9000);
	igt_assert_eq(__p2p_cpu_access(fd, DMA_BUF_SYNC_END | rw), 0);
	p2p_query(dev, fd, &q);
	p2p_check_vram_pattern(m, &q, 0x9000);

	/* In system memory with a device mapping live: synced both ways. */
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	igt_assert_eq(__p2p_cpu_access(fd, DMA_BUF_SYNC_START | rw), 0);
	p2p_check_pattern(p, size, 0x9000,
			  "system memory, inside a CPU access");
	p2p_fill_pattern(p, size, 0x9001);
	igt_assert_eq(__p2p_cpu_access(fd, DMA_BUF_SYNC_END | rw), 0);
	igt_assert_eq(__p2p_cpu_access(fd, 0x80), -EINVAL);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);

	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	p2p_query(dev, fd, &q);
	p2p_check_vram_pattern(m, &q, 0x9001);
	munmap(p, size);
	close(fd);
}

#define DEBUGFS "/sys/kernel/debug/dma-buf-p2p/"

struct provider_counters {
	long long allocs, maps_bus, maps_hb, maps_sys, to_sys, to_bar, copied,
		  mapped_p2p;
};

static void read_counters(const struct p2p_pci *pci, struct provider_counters *c)
{
	char line[512], name[32];
	bool found = false;
	FILE *f;

	f = fopen(DEBUGFS "providers", "re");
	igt_assert_f(f, "no " DEBUGFS "providers: %m\n");
	igt_assert(fgets(line, sizeof(line), f));	/* the header */
	while (fgets(line, sizeof(line), f)) {
		igt_assert_eq(sscanf(line, "%31s %lld %lld %lld %lld %lld %lld %lld %lld",
				     name, &c->allocs, &c->maps_bus, &c->maps_hb,
				     &c->maps_sys, &c->to_sys, &c->to_bar,
				     &c->copied, &c->mapped_p2p), 9);
		if (!strcmp(name, pci->addr)) {
			found = true;
			break;
		}
	}
	fclose(f);
	if (!found)
		memset(c, 0, sizeof(*c));
}

/* The debugfs "buffers" entry of @fd, lines joined. */
static void read_buffer_entry(int fd, char *out, size_t len)
{
	char line[512], head[64];
	bool in = false;
	struct stat st;
	size_t used = 0;
	FILE *f;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(head, sizeof(head), "buffer %lu ", (unsigned long)st.st_ino);
	out[0] = '\0';
	f = fopen(DEBUGFS "buffers", "re");
	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "buffer ", 7))
			in = !strncmp(line, head, strlen(head));
		if (in && used + strlen(line) < len) {
			strcpy(out + used, line);
			used += strlen(line);
		}
	}
	fclose(f);
	igt_assert_f(used, "buffer %lu not in debugfs\n",
		     (unsigned long)st.st_ino);
}

static void test_debugfs(int dev, const struct p2p_machine *m, int vgem)
{
	struct provider_counters before, after;
	size_t size = 2 << 20;
	struct dma_buf_p2p_probe p;
	char entry[4096], want[128];
	uint32_t handle;
	int fd;

	read_counters(&m->vram, &before);
	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	igt_assert_eq(__probe(dev, fd, &m->nvme[1].pci, &p), 0);

	read_buffer_entry(fd, entry, sizeof(entry));
	igt_info("%s", entry);
	snprintf(want, sizeof(want), "provider %s size %zu placement bar ",
		 m->vram.addr, size);
	igt_assert_f(strstr(entry, want), "no '%s'\n", want);
	igt_assert(strstr(entry, "  chunk bar-offset 0x"));

	igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), 0);
	read_buffer_entry(fd, entry, sizeof(entry));
	igt_info("%s", entry);
	igt_assert(strstr(entry, "placement system "));
	igt_assert(strstr(entry, "  attachment vgem mode system reason importer-needs-pages mapped\n"));
	igt_assert(!strstr(entry, "chunk"));
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);

	read_counters(&m->vram, &after);
	igt_assert_eq(after.allocs - before.allocs, 1);
	igt_assert_eq(after.maps_bus - before.maps_bus, 1);
	igt_assert_eq(after.maps_sys - before.maps_sys, 1);
	igt_assert_eq(after.to_sys - before.to_sys, 1);
	igt_assert_eq(after.copied - before.copied, (long long)size);
	igt_assert_eq(after.mapped_p2p - before.mapped_p2p, (long long)size);
	close(fd);
}

/* The VRAM stand-in bound to p2p-bar, as the test machine has it. */
static void test_unbind_provider(int dev, const struct p2p_machine *m,
				 int vgem)
{
	size_t size = 4 << 20;
	struct p2p_query q;
	uint32_t handle;
	uint8_t *p;
	int fd, fd2;

	fd = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	p = p2p_map(fd, size);
	p2p_fill_pattern(p, size, 0x6000);
	/* A second buffer with an importer attached (vgem pins it). */
	fd2 = p2p_alloc(dev, &m->vram, size, O_RDWR | O_CLOEXEC);
	igt_assert_eq(drmPrimeFDToHandle(vgem, fd2, &handle), 0);

	/* The provider goes away with live, mapped, attached buffers. */
	p2p_vram_unbind(m);
	p2p_query(dev, fd2, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u32(q.q.nr_attachments, 1);
	igt_assert_eq(drmCloseBufferHandle(vgem, handle), 0);
	close(fd2);
	fd2 = -1;

	p2p_query(dev, fd, &q);
	igt_assert_eq_u32(q.q.placement, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	igt_assert_eq_u64(q.q.migrations_to_system, 1);
	p2p_check_pattern(p, size, 0x6000, "the CPU mapping after the unbind");
	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR),
		      -ENODEV);
	igt_assert_eq(__p2p_alloc(dev, &m->vram, 4096, O_RDWR, &fd2), -ENXIO);

	/* Back again, the buffer can return, byte for byte. */
	p2p_vram_rebind(m);
	igt_assert_eq(__p2p_migrate(dev, fd, DMA_BUF_P2P_PLACEMENT_BAR), 0);
	p2p_query(dev, fd, &q);
	p2p_check_vram_pattern(m, &q, 0x6000);
	p2p_check_pattern(p, size, 0x6000, "the CPU mapping after the rebind");

	munmap(p, size);
	close(fd);
}

igt_main
{
	struct p2p_machine m;
	int dev = -1, vgem = -1;

	igt_fixture {
		p2p_machine_load(&m);
		dev = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
		igt_assert_f(dev >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
		vgem = drm_open_driver(DRIVER_VGEM);
	}

	igt_describe("DMA_BUF_P2P_IOC_ALLOC rejects bad input with the "
		     "documented errno.");
	igt_subtest("alloc-invalid")
		test_alloc_invalid(dev, &m);

	igt_describe("O_CLOEXEC and O_RDONLY/O_RDWR reach the dma-buf fd.");
	igt_subtest("alloc-fd-flags")
		test_alloc_fd_flags(dev, &m);

	igt_describe("Query reports size, placement, provider and chunks, and "
		     "rejects other fds with the documented errno.");
	igt_subtest("query")
		test_query(dev, &m, vgem);

	igt_describe("A new buffer reads as zeros; bytes written through the "
		     "dma-buf's mmap are in the host file behind the BAR at the "
		     "buffer's offsets.");
	igt_subtest("mmap-reaches-vram-file")
		test_mmap_reaches_vram(dev, &m);

	igt_describe("Explicit moves to system memory and back keep every "
		     "byte, and the same CPU mapping follows the buffer.");
	igt_subtest("migrate-round-trip")
		test_migrate_round_trip(dev, &m);

	igt_describe("vgem imports the fd through PRIME: the buffer moves to "
		     "system memory, data intact, the query says why; it moves "
		     "back once vgem lets go.");
	igt_subtest("vgem-import-migrates")
		test_vgem_import(dev, &m, vgem);

	igt_describe("NVMe controllers that reach the BAR map a 64 MiB buffer "
		     "in place, in a handful of DMA segments of bus addresses, "
		     "with the mode the topology gives; one that cannot moves it "
		     "to system memory; a kernel vmap reads the same bytes.");
	igt_subtest("probe-nvme")
		test_probe_nvme(dev, &m);

	igt_describe("DMA_BUF_IOCTL_SYNC brackets CPU access in the BAR and in "
		     "system memory with a live device mapping; the bytes "
		     "written inside it are where they belong.");
	igt_subtest("cpu-access-sync")
		test_cpu_access_sync(dev, &m, vgem);

	igt_describe("debugfs shows each buffer's placement, chunks and "
		     "attachments, and each provider's counters move by what "
		     "was done.");
	igt_subtest("debugfs")
		test_debugfs(dev, &m, vgem);

	igt_describe("Threads migrating, importing through vgem, reading "
		     "through the CPU mapping and querying one buffer at once: "
		     "no error, no torn data, no splat.");
	igt_subtest("concurrent-migrate-import-read")
		test_concurrent(dev, &m, vgem);

	igt_describe("Unbinding the provider with live buffers, a CPU mapping "
		     "and an attached importer does not hang: the buffers move "
		     "to system memory, data and mapping intact, and refuse to "
		     "go back until the provider returns.");
	igt_subtest("unbind-provider-evacuates")
		test_unbind_provider(dev, &m, vgem);

	igt_fixture {
		p2p_vram_rebind(&m);
		close(vgem);
		close(dev);
	}
}
