// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl list: the P2PDMA providers, and how each block device's DMA
 * reaches each of them (DMA_BUF_P2P_IOC_REACH).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "p2pctl.h"
#include "pci.h"

#define MAX_PROVIDERS	64
#define MAX_BLOCK_DEVS	256

struct reach {
	const struct block_dev *dev;
	const struct p2p_provider *provider;
	struct dma_buf_p2p_reach r;
};

static const char *path_name(uint32_t path)
{
	switch (path) {
	case DMA_BUF_P2P_PATH_BUS:
		return "p2p-bus";
	case DMA_BUF_P2P_PATH_HOST_BRIDGE:
		return "p2p-host-bridge";
	default:
		return "not-reachable";
	}
}

static const char *path_reason(const struct dma_buf_p2p_reach *r)
{
	switch (r->path) {
	case DMA_BUF_P2P_PATH_BUS:
		return r->distance ? "below a common PCI switch" :
				     "the same PCI function";
	case DMA_BUF_P2P_PATH_HOST_BRIDGE:
		return "through the host bridge, which routes P2P";
	default:
		return "no common PCI switch, and the host bridge is not known to route P2P";
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl list [--json]\n"
		"\n"
		"List the P2PDMA providers (PCI functions that publish memory for\n"
		"peer-to-peer DMA: NVMe CMBs, BARs published by p2p-bar, ...) and,\n"
		"for each block device, how its DMA reaches each provider:\n"
		"  p2p-bus           below a common PCI switch, PCI bus addresses\n"
		"  p2p-host-bridge   up through a host bridge that routes P2P\n"
		"  not-reachable     neither: data must go through system memory\n"
		"\n"
		"  --json   one JSON object instead of tables\n"
		"\n"
		"Exit status: 0 success; 1 the control device cannot be opened\n"
		"(dma-buf-p2p not loaded, not root) or a query failed; 2 bad usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl list\n"
		"  p2pctl list --json | python3 -m json.tool\n");
}

static void print_tables(const struct p2p_provider *prov, int nprov,
			 const struct reach *reach, int nreach)
{
	char size[16], avail[16], bar[8];

	printf("Providers\n");
	printf("  %-13s %-9s %-4s %-7s %-7s %s\n", "PCI", "DRIVER", "BAR",
	       "SIZE", "FREE", "PUBLISHED");
	for (int i = 0; i < nprov; i++) {
		snprintf(bar, sizeof(bar), prov[i].bar < 0 ? "-" : "%d",
			 prov[i].bar);
		printf("  %-13s %-9s %-4s %-7s %-7s %s\n", prov[i].pci.addr,
		       prov[i].driver, bar,
		       p2pctl_fmt_size(prov[i].size, size, sizeof(size)),
		       p2pctl_fmt_size(prov[i].available, avail, sizeof(avail)),
		       prov[i].published ? "yes" : "no");
	}
	if (!nprov)
		printf("  (none)\n");

	printf("\nReach (block device -> provider)\n");
	printf("  %-9s %-13s %-13s %-16s %-4s %s\n", "DEVICE", "PCI",
	       "PROVIDER", "PATH", "DIST", "WHY");
	for (int i = 0; i < nreach; i++) {
		const struct reach *e = &reach[i];
		char dist[12];

		snprintf(dist, sizeof(dist),
			 e->r.path == DMA_BUF_P2P_PATH_NONE ? "-" : "%u",
			 e->r.distance);
		printf("  %-9s %-13s %-13s %-16s %-4s %s\n", e->dev->name,
		       e->dev->pci.addr, e->provider->pci.addr,
		       path_name(e->r.path), dist, path_reason(&e->r));
	}
	if (!nreach)
		printf("  (none)\n");
}

static void print_json(const struct p2p_provider *prov, int nprov,
		       const struct reach *reach, int nreach)
{
	printf("{\"providers\":[");
	for (int i = 0; i < nprov; i++) {
		printf("%s{\"pci\":", i ? "," : "");
		p2pctl_json_str(prov[i].pci.addr);
		printf(",\"driver\":");
		p2pctl_json_str(prov[i].driver);
		if (prov[i].bar < 0)
			printf(",\"bar\":null");
		else
			printf(",\"bar\":%d", prov[i].bar);
		printf(",\"size\":%llu,\"available\":%llu,\"published\":%s}",
		       (unsigned long long)prov[i].size,
		       (unsigned long long)prov[i].available,
		       prov[i].published ? "true" : "false");
	}
	printf("],\"reach\":[");
	for (int i = 0; i < nreach; i++) {
		const struct reach *e = &reach[i];

		printf("%s{\"device\":", i ? "," : "");
		p2pctl_json_str(e->dev->name);
		printf(",\"pci\":");
		p2pctl_json_str(e->dev->pci.addr);
		printf(",\"provider\":");
		p2pctl_json_str(e->provider->pci.addr);
		printf(",\"path\":\"%s\"", path_name(e->r.path));
		if (e->r.path == DMA_BUF_P2P_PATH_NONE)
			printf(",\"distance\":null");
		else
			printf(",\"distance\":%u", e->r.distance);
		printf(",\"reason\":");
		p2pctl_json_str(path_reason(&e->r));
		printf("}");
	}
	printf("]}\n");
}

int p2pctl_list(int argc, char **argv)
{
	static struct p2p_provider prov[MAX_PROVIDERS];
	static struct block_dev devs[MAX_BLOCK_DEVS];
	static struct reach reach[MAX_PROVIDERS * MAX_BLOCK_DEVS];
	int nprov, ndevs, nreach = 0, fd, ret;
	bool json = false;

	ret = p2pctl_json_only("list", argc, argv, usage, &json);
	if (ret >= 0)
		return ret;

	fd = p2pctl_open_dev("list");
	if (fd < 0)
		return P2PCTL_EXIT_ERROR;
	nprov = p2p_list_providers(fd, prov, MAX_PROVIDERS);
	if (nprov < 0) {
		p2pctl_err("list", -nprov, "cannot list the providers");
		goto out_close;
	}
	ndevs = p2p_list_block_devs(devs, MAX_BLOCK_DEVS);
	if (ndevs < 0) {
		p2pctl_err("list", -ndevs, "cannot read /sys/block");
		goto out_close;
	}
	if (nprov > MAX_PROVIDERS || ndevs > MAX_BLOCK_DEVS) {
		p2pctl_err("list", E2BIG, "%d providers and %d block devices",
			   nprov, ndevs);
		goto out_close;
	}

	for (int d = 0; d < ndevs; d++) {
		for (int p = 0; p < nprov; p++) {
			struct reach *e = &reach[nreach];

			*e = (struct reach) {
				.dev = &devs[d],
				.provider = &prov[p],
				.r.provider = prov[p].pci.id,
				.r.client = devs[d].pci.id,
			};
			if (ioctl(fd, DMA_BUF_P2P_IOC_REACH, &e->r)) {
				p2pctl_err("list", errno, "reach from %s to %s",
					   devs[d].name, prov[p].pci.addr);
				goto out_close;
			}
			nreach++;
		}
	}
	close(fd);

	if (json)
		print_json(prov, nprov, reach, nreach);
	else
		print_tables(prov, nprov, reach, nreach);
	return P2PCTL_EXIT_OK;

out_close:
	close(fd);
	return P2PCTL_EXIT_ERROR;
}
