// SPDX-License-Identifier: MIT
/*
 * p2p-bar, the provider driver that publishes a PCI BAR as p2pmem: it binds
 * only where told, picks the right BAR, and the memory it publishes is the
 * device's: bytes written through a p2pmem mapping are in the file behind
 * the VRAM stand-in's BAR at the same offset, and the other way round.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("p2p-bar binds only where told and publishes the "
		     "device's own memory.");

#define DRV "/sys/bus/pci/drivers/p2p-bar"
#define MAP_PAGES 64

static bool bound_to_p2p_bar(const char *addr)
{
	char drv[64];

	p2p_pci_driver(addr, drv, sizeof(drv));
	return !strcmp(drv, "p2p-bar");
}

/* How the test machine runs: bound through driver_override. */
static void restore_binding(const char *addr)
{
	if (bound_to_p2p_bar(addr))
		return;
	p2p_pci_unbind(addr);
	p2p_sysfs_write(DRV "/remove_id", "1af4 1110");
	p2p_pci_set_override(addr, "p2p-bar");
	p2p_pci_probe(addr);
	igt_assert(bound_to_p2p_bar(addr));
}

static void test_no_automatic_binding(const struct p2p_machine *m)
{
	char drv[64];

	p2p_pci_unbind(m->vram.addr);
	p2p_pci_set_override(m->vram.addr, "\n");
	p2p_pci_probe(m->vram.addr);
	igt_assert_f(!bound_to_p2p_bar(m->vram.addr),
		     "p2p-bar took %s without being told to\n", m->vram.addr);

	/* Nor does it take devices that have their own driver. */
	for (int i = 0; i < 3; i++) {
		p2p_pci_driver(m->nvme[i].pci.addr, drv, sizeof(drv));
		igt_assert_f(!strcmp(drv, "nvme"), "%s bound to '%s'\n",
			     m->nvme[i].pci.addr, drv);
	}

	restore_binding(m->vram.addr);
	igt_assert_eq_u64(p2p_sysfs_u64(m->vram.addr, "p2pmem/size"),
			  m->vram_size);
}

/* new_id's driver_data names BAR N as N + 1. */
static void bind_new_id(const char *addr, unsigned int driver_data)
{
	char id[64];

	p2p_pci_unbind(addr);
	p2p_pci_set_override(addr, "\n");
	snprintf(id, sizeof(id), "1af4 1110 ffffffff ffffffff 0 0 %x",
		 driver_data);
	igt_assert(p2p_sysfs_write(DRV "/new_id", id));
	/* new_id probes matching devices; make sure ours was tried. */
	p2p_sysfs_write("/sys/bus/pci/drivers_probe", addr);
}

static void test_new_id_selects_bar(const struct p2p_machine *m)
{
	bind_new_id(m->vram.addr, 3);
	igt_assert(bound_to_p2p_bar(m->vram.addr));
	igt_assert_eq(p2p_sysfs_u64(m->vram.addr, "p2p_bar"), 2);
	igt_assert_eq_u64(p2p_sysfs_u64(m->vram.addr, "p2pmem/size"),
			  m->vram_size);
	igt_assert(p2p_sysfs_write(DRV "/remove_id", "1af4 1110"));
	restore_binding(m->vram.addr);
}

static void test_new_id_rejects_bad_bar(const struct p2p_machine *m)
{
	/*
	 * BAR 0 holds 256 bytes of registers: not page-sized, let alone a
	 * memory-hotplug subsection.  BAR 1 does not exist on ivshmem-plain.
	 * BARs 7 and 0x80000000 are no BARs at all.
	 */
	static const unsigned int bad_driver_data[] = { 1, 2, 8, 0x80000001 };

	for (int i = 0; i < 4; i++) {
		bind_new_id(m->vram.addr, bad_driver_data[i]);
		igt_assert_f(!bound_to_p2p_bar(m->vram.addr),
			     "p2p-bar bound with BAR %u\n",
			     bad_driver_data[i] - 1);
		igt_assert(p2p_sysfs_write(DRV "/remove_id", "1af4 1110"));
	}
	restore_binding(m->vram.addr);
}

/* CPU physical start and end of BAR @bar, from sysfs "resource". */
static void bar_range(const char *addr, int bar, uint64_t *start,
		      uint64_t *end)
{
	unsigned long long s, e, flags;
	char path[PATH_MAX], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", addr);
	f = fopen(path, "re");
	igt_assert(f);
	for (int i = 0; i <= bar; i++)
		igt_assert(fgets(line, sizeof(line), f));
	fclose(f);
	igt_assert_eq(sscanf(line, "%llx %llx %llx", &s, &e, &flags), 3);
	*start = s;
	*end = e;
}

/* Offset in BAR 2 of each mapped page, from its physical address. */
static void bar_offsets(const struct p2p_machine *m, const void *map,
			uint64_t *off, int pages)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t start, end;
	int fd;

	bar_range(m->vram.addr, 2, &start, &end);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	igt_assert_fd(fd);
	for (int i = 0; i < pages; i++) {
		uint64_t entry, vpn = ((uintptr_t)map + i * psize) / psize;
		uint64_t phys;

		igt_assert_eq(pread(fd, &entry, sizeof(entry), vpn * 8),
			      sizeof(entry));
		igt_assert_f(entry >> 63, "page %d of the mapping not present\n",
			     i);
		phys = (entry & ((1ull << 55) - 1)) * psize;
		igt_assert_f(phys >= start && phys + psize - 1 <= end,
			     "page %d at %#" PRIx64 " is outside BAR 2\n", i,
			     phys);
		off[i] = phys - start;
	}
	close(fd);
}

/* Maps MAP_PAGES pages of p2pmem from the VRAM stand-in, all faulted in. */
static void *map_p2pmem(const struct p2p_machine *m, int *fd)
{
	long psize = sysconf(_SC_PAGESIZE);
	char path[PATH_MAX];
	uint8_t *map;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 m->vram.addr);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_fd(*fd);
	map = mmap(NULL, MAP_PAGES * psize, PROT_READ | PROT_WRITE, MAP_SHARED,
		   *fd, 0);
	igt_assert(map != MAP_FAILED);
	for (int i = 0; i < MAP_PAGES; i++)
		(void)*(volatile uint8_t *)(map + i * psize);
	return map;
}

static void test_bar_write_reaches_file(const struct p2p_machine *m)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t off[MAP_PAGES];
	uint8_t *map, *want, *got;
	int fd, file;

	map = map_p2pmem(m, &fd);
	bar_offsets(m, map, off, MAP_PAGES);
	want = malloc(psize);
	got = malloc(psize);
	file = open(m->vram_file, O_RDONLY | O_CLOEXEC);
	igt_assert_fd(file);

	for (int i = 0; i < MAP_PAGES; i++) {
		p2p_fill_pattern(want, psize, 0x1000 + i);
		memcpy(map + i * psize, want, psize);
	}
	for (int i = 0; i < MAP_PAGES; i++) {
		p2p_fill_pattern(want, psize, 0x1000 + i);
		igt_assert_eq(pread(file, got, psize, off[i]), psize);
		igt_assert_f(!memcmp(got, want, psize),
			     "page %d: host file at %#" PRIx64 " differs\n", i,
			     off[i]);
	}

	close(file);
	free(got);
	free(want);
	munmap(map, MAP_PAGES * psize);
	close(fd);
}

static void test_file_write_reaches_bar(const struct p2p_machine *m)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t off[MAP_PAGES];
	uint8_t *map, *want;
	int fd, file;

	map = map_p2pmem(m, &fd);
	bar_offsets(m, map, off, MAP_PAGES);
	want = malloc(psize);
	/* Through the read-write 9p share: the host's write(2) on the file. */
	file = open(m->vram_file, O_RDWR | O_CLOEXEC);
	igt_assert_fd(file);

	for (int i = 0; i < MAP_PAGES; i++) {
		p2p_fill_pattern(want, psize, 0x2000 + i);
		igt_assert_eq(pwrite(file, want, psize, off[i]), psize);
	}
	for (int i = 0; i < MAP_PAGES; i++) {
		p2p_fill_pattern(want, psize, 0x2000 + i);
		igt_assert_f(!memcmp(map + i * psize, want, psize),
			     "page %d (BAR offset %#" PRIx64 ") differs from "
			     "the host file\n", i, off[i]);
	}

	close(file);
	free(want);
	munmap(map, MAP_PAGES * psize);
	close(fd);
}

igt_main
{
	struct p2p_machine m;

	igt_fixture {
		p2p_machine_load(&m);
		igt_require_f(access(DRV, F_OK) == 0, "p2p-bar is not loaded\n");
		restore_binding(m.vram.addr);
	}

	igt_describe("p2p-bar has no ID table: it takes no device unless "
		     "told to through driver_override or new_id.");
	igt_subtest("no-automatic-binding")
		test_no_automatic_binding(&m);

	igt_describe("new_id's driver_data selects the BAR to publish.");
	igt_subtest("new-id-selects-bar")
		test_new_id_selects_bar(&m);

	igt_describe("A BAR that is not memory, or too small to hold "
		     "ZONE_DEVICE pages, is refused: probe fails, no splat.");
	igt_subtest("new-id-rejects-bad-bar")
		test_new_id_rejects_bad_bar(&m);

	igt_describe("Bytes written through a p2pmem mapping land in the host "
		     "file behind the BAR at the same offset.");
	igt_subtest("bar-write-reaches-host-file")
		test_bar_write_reaches_file(&m);

	igt_describe("Bytes the host writes into the file behind the BAR read "
		     "back through a p2pmem mapping.");
	igt_subtest("host-file-write-reaches-bar")
		test_file_write_reaches_bar(&m);

	/* Leave the machine as the other tests expect it, even on failure. */
	igt_fixture
		restore_binding(m.vram.addr);
}
