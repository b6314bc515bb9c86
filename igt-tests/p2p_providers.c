// SPDX-License-Identifier: MIT
/*
 * The P2PDMA providers of the test machine and how each device reaches
 * them, through sysfs and DMA_BUF_P2P_IOC_REACH.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("P2PDMA providers are published and every device "
		     "reaches them as the PCI topology and the CPU say.");

static const char *const path_names[] = {
	[DMA_BUF_P2P_PATH_NONE] = "none",
	[DMA_BUF_P2P_PATH_BUS] = "p2p-bus",
	[DMA_BUF_P2P_PATH_HOST_BRIDGE] = "p2p-host-bridge",
};

static int reach(int fd, struct dma_buf_p2p_reach *r)
{
	int err = 0;

	if (igt_ioctl(fd, DMA_BUF_P2P_IOC_REACH, r))
		err = -errno;
	errno = 0;
	return err;
}

static void check_provider(const struct p2p_pci *pci, uint64_t size)
{
	igt_assert_f(p2p_sysfs_u64(pci->addr, "p2pmem/published") == 1,
		     "%s does not publish its p2pmem\n", pci->addr);
	igt_assert_eq_u64(p2p_sysfs_u64(pci->addr, "p2pmem/size"), size);
	igt_assert_cmpu64(p2p_sysfs_u64(pci->addr, "p2pmem/available"),
			  <=, >, size);
}

static void test_providers_published(const struct p2p_machine *m)
{
	char drv[64];

	check_provider(&m->vram, m->vram_size);
	p2p_pci_driver(m->vram.addr, drv, sizeof(drv));
	igt_assert_f(!strcmp(drv, "p2p-bar"),
		     "VRAM stand-in bound to '%s', not p2p-bar\n", drv);
	igt_assert_eq(p2p_sysfs_u64(m->vram.addr, "p2p_bar"), 2);

	check_provider(&m->nvme[0].pci, m->cmb_size);
	p2p_pci_driver(m->nvme[0].pci.addr, drv, sizeof(drv));
	igt_assert_f(!strcmp(drv, "nvme"), "CMB NVMe bound to '%s'\n", drv);
}

static const struct dma_buf_p2p_provider_info *
find_info(const struct dma_buf_p2p_provider_info *info, uint32_t n,
	  const struct p2p_pci *pci)
{
	for (uint32_t i = 0; i < n; i++)
		if (info[i].pci.domain == pci->id.domain &&
		    info[i].pci.bdf == pci->id.bdf)
			return &info[i];
	igt_assert_f(0, "provider %s not listed\n", pci->addr);
	return NULL;
}

static void check_info(const struct dma_buf_p2p_provider_info *info,
		       const struct p2p_pci *pci, uint64_t size, int bar)
{
	igt_assert_eq_u64(info->size, size);
	igt_assert_eq_u64(info->size, p2p_sysfs_u64(pci->addr, "p2pmem/size"));
	igt_assert_eq_u64(info->available,
			  p2p_sysfs_u64(pci->addr, "p2pmem/available"));
	igt_assert_eq_u32(info->bar, bar);
	igt_assert_eq_u32(info->flags, DMA_BUF_P2P_PROVIDER_PUBLISHED |
			  DMA_BUF_P2P_PROVIDER_CPU_MAPPABLE);
}

static void test_list_providers(int fd, const struct p2p_machine *m)
{
	struct dma_buf_p2p_provider_info info[8] = {};
	struct dma_buf_p2p_list_providers list = {};

	/* Count only, then all of them, then fewer than there are. */
	igt_assert_eq(igt_ioctl(fd, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list), 0);
	igt_assert_eq_u32(list.count, 2);

	list.providers = (uintptr_t)info;
	list.count = 8;
	igt_assert_eq(igt_ioctl(fd, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list), 0);
	igt_assert_eq_u32(list.count, 2);
	/* BAR ground truth: p2p-bar says; the CMB is the 64 MiB BAR. */
	check_info(find_info(info, 2, &m->vram), &m->vram, m->vram_size,
		   p2p_sysfs_u64(m->vram.addr, "p2p_bar"));
	check_info(find_info(info, 2, &m->nvme[0].pci), &m->nvme[0].pci,
		   m->cmb_size, p2p_pci_bar_of_size(m->nvme[0].pci.addr,
						    m->cmb_size));

	memset(info, 0, sizeof(info));
	list.count = 1;
	igt_assert_eq(igt_ioctl(fd, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list), 0);
	igt_assert_eq_u32(list.count, 2);
	igt_assert(info[0].size && !info[1].size);

	list.flags = 1;
	igt_assert_eq(igt_ioctl(fd, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list), -1);
	igt_assert_eq(errno, EINVAL);
	list.flags = 0;
	list.providers = 8;
	igt_assert_eq(igt_ioctl(fd, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list), -1);
	igt_assert_eq(errno, EFAULT);
}

static void check_reach(int fd, const struct p2p_pci *provider,
			const struct p2p_pci *client, bool host_bridge_p2p)
{
	struct dma_buf_p2p_reach r = {
		.provider = provider->id,
		.client = client->id,
	};
	uint32_t path, distance;

	p2p_expected_path(provider, client, host_bridge_p2p, &path, &distance);
	igt_assert_eq(reach(fd, &r), 0);
	igt_info("%s -> %s: %s distance %u (expected %s %u)\n", client->addr,
		 provider->addr, path_names[r.path % 3], r.distance,
		 path_names[path], distance);
	igt_assert_eq_u32(r.path, path);
	igt_assert_eq_u32(r.distance, distance);
}

static void test_reach_topology(int fd, const struct p2p_machine *m)
{
	const struct p2p_pci *providers[] = { &m->vram, &m->nvme[0].pci };
	uint32_t path, distance;

	/* The harness's mode must be the one the guest CPU really gives. */
	igt_assert_eq(p2p_cpu_host_bridge_p2p(), m->host_bridge_p2p);

	/* The topology must hold both kinds of pair the suite relies on. */
	p2p_expected_path(&m->vram, &m->nvme[1].pci, true, &path, &distance);
	igt_assert_eq_u32(path, DMA_BUF_P2P_PATH_BUS);
	igt_assert_eq_u32(distance, 4);
	p2p_expected_path(&m->vram, &m->nvme[2].pci, true, &path, &distance);
	igt_assert_eq_u32(path, DMA_BUF_P2P_PATH_HOST_BRIDGE);

	/* The CMB NVMe is both a provider and a client. */
	for (int p = 0; p < 2; p++) {
		check_reach(fd, providers[p], &m->vram, m->host_bridge_p2p);
		for (int n = 0; n < 3; n++)
			check_reach(fd, providers[p], &m->nvme[n].pci,
				    m->host_bridge_p2p);
	}
}

static void test_reach_invalid(int fd, const struct p2p_machine *m)
{
	const struct dma_buf_p2p_reach good = {
		.provider = m->vram.id,
		.client = m->nvme[1].pci.id,
	};
	struct dma_buf_p2p_reach r;

	r = good;
	igt_assert_eq(reach(fd, &r), 0);

	r = good;
	r.flags = 1;
	igt_assert_eq(reach(fd, &r), -EINVAL);
	r = good;
	r.__pad = 1;
	igt_assert_eq(reach(fd, &r), -EINVAL);
	r = good;
	r.path = DMA_BUF_P2P_PATH_BUS;
	igt_assert_eq(reach(fd, &r), -EINVAL);
	r = good;
	r.distance = 4;
	igt_assert_eq(reach(fd, &r), -EINVAL);
	r = good;
	r.client.bdf = 0x10000;
	igt_assert_eq(reach(fd, &r), -EINVAL);

	/* No PCI function at 0000:ff:1f.7, nor in domain 0x7fff. */
	r = good;
	r.client.bdf = 0xffff;
	igt_assert_eq(reach(fd, &r), -ENODEV);
	r = good;
	r.provider.domain = 0x7fff;
	igt_assert_eq(reach(fd, &r), -ENODEV);

	/* The far NVMe has no CMB: it provides nothing. */
	r = good;
	r.provider = m->nvme[2].pci.id;
	igt_assert_eq(reach(fd, &r), -ENXIO);

	igt_assert_eq(reach(fd, NULL), -EFAULT);
	igt_assert_eq(igt_ioctl(fd, _IO(DMA_BUF_P2P_IOC_BASE, 0x5f), NULL), -1);
	igt_assert_eq(errno, ENOTTY);
}

igt_main
{
	struct p2p_machine m;
	int fd = -1;

	igt_fixture {
		p2p_machine_load(&m);
		fd = open("/dev/dma-buf-p2p", O_RDWR | O_CLOEXEC);
		igt_assert_f(fd >= 0, "cannot open /dev/dma-buf-p2p: %m\n");
	}

	igt_describe("The VRAM stand-in (through p2p-bar) and the NVMe CMB "
		     "publish p2pmem of the configured sizes.");
	igt_subtest("providers-published")
		test_providers_published(&m);

	igt_describe("DMA_BUF_P2P_IOC_LIST_PROVIDERS lists both providers "
		     "with the size, free space and BAR sysfs shows.");
	igt_subtest("list-providers")
		test_list_providers(fd, &m);

	igt_describe("Every device reaches every provider by the path and "
		     "distance the sysfs topology and the CPU's host bridge "
		     "give: p2p-bus in the switch, the host bridge only on AMD Zen.");
	igt_subtest("reach-matches-topology")
		test_reach_topology(fd, &m);

	igt_describe("DMA_BUF_P2P_IOC_REACH rejects bad input with the "
		     "documented errno.");
	igt_subtest("reach-invalid")
		test_reach_invalid(fd, &m);

	igt_fixture
		close(fd);
}
