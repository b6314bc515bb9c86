// SPDX-License-Identifier: GPL-2.0
/*
 * PCI functions, P2PDMA providers and block devices as sysfs shows them.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pci.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define SYS_BLOCK	"/sys/block"

bool pci_parse_addr(const char *s, struct pci_func *pci)
{
	unsigned int domain, bus, dev, fn;
	char end;

	if (sscanf(s, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4 ||
	    bus > 0xff || dev > 0x1f || fn > 7)
		return false;
	snprintf(pci->addr, sizeof(pci->addr), "%04x:%02x:%02x.%x",
		 domain, bus, dev, fn);
	pci->id.domain = domain;
	pci->id.bdf = bus << 8 | dev << 3 | fn;
	return true;
}

static void driver_name(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/driver", dir) < (int)sizeof(path))
		n = readlink(path, target, sizeof(target) - 1);
	else
		n = -1;
	if (n < 0) {
		snprintf(buf, len, "-");
		return;
	}
	target[n] = '\0';
	snprintf(buf, len, "%s", strrchr(target, '/') + 1);
}

static int cmp_provider(const void *a, const void *b)
{
	const struct p2p_provider *pa = a, *pb = b;

	return strcmp(pa->pci.addr, pb->pci.addr);
}

static int cmp_block_dev(const void *a, const void *b)
{
	const struct block_dev *ba = a, *bb = b;

	return strcmp(ba->name, bb->name);
}

int p2p_list_providers(int dev, struct p2p_provider *out, int max)
{
	struct dma_buf_p2p_list_providers list = { 0 };
	struct dma_buf_p2p_provider_info *info;
	char dir[PATH_MAX];
	int n;

	/* Ask for the count, then for that many: providers rarely change. */
	if (ioctl(dev, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list))
		return -errno;
	info = calloc(list.count ? list.count : 1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	list.providers = (uintptr_t)info;
	if (ioctl(dev, DMA_BUF_P2P_IOC_LIST_PROVIDERS, &list)) {
		n = -errno;
		free(info);
		return n;
	}

	for (n = 0; n < (int)list.count && n < max; n++) {
		struct p2p_provider *p = &out[n];

		snprintf(p->pci.addr, sizeof(p->pci.addr), "%04x:%02x:%02x.%x",
			 info[n].pci.domain, info[n].pci.bdf >> 8,
			 (info[n].pci.bdf >> 3) & 0x1f, info[n].pci.bdf & 7);
		p->pci.id = info[n].pci;
		p->bar = info[n].bar == DMA_BUF_P2P_BAR_NONE ? -1 :
			 (int)info[n].bar;
		p->size = info[n].size;
		p->available = info[n].available;
		p->published = info[n].flags & DMA_BUF_P2P_PROVIDER_PUBLISHED;
		snprintf(dir, sizeof(dir), PCI_DEVICES "/%s", p->pci.addr);
		driver_name(dir, p->driver, sizeof(p->driver));
	}
	n = list.count;
	free(info);
	qsort(out, n < max ? n : max, sizeof(*out), cmp_provider);
	return n;
}

bool pci_func_of_sysfs(const char *path, struct pci_func *pci)
{
	char real[PATH_MAX], *tok, *save;
	bool found = false;

	if (!realpath(path, real))
		return false;
	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save))
		if (pci_parse_addr(tok, pci))
			found = true;
	return found;
}

static bool block_dev_pci(const char *name, struct pci_func *pci)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_BLOCK "/%s", name);
	return pci_func_of_sysfs(path, pci);
}

int p2p_list_block_devs(struct block_dev *out, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(SYS_BLOCK);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct block_dev b;

		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= sizeof(b.name) ||
		    !block_dev_pci(de->d_name, &b.pci))
			continue;
		snprintf(b.name, sizeof(b.name), "%s", de->d_name);
		if (n < max)
			out[n] = b;
		n++;
	}
	closedir(d);
	qsort(out, n < max ? n : max, sizeof(*out), cmp_block_dev);
	return n;
}
