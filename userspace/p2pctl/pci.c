// SPDX-License-Identifier: GPL-2.0
/*
 * PCI functions, P2PDMA providers and block devices as sysfs shows them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		 domain & 0xffff, bus, dev, fn);
	pci->id.domain = domain;
	pci->id.bdf = bus << 8 | dev << 3 | fn;
	return true;
}

static int read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64(const char *dir, const char *attr, uint64_t *v)
{
	char buf[64], *end;
	int ret;

	ret = read_attr(dir, attr, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
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

int p2p_list_providers(struct p2p_provider *out, int max)
{
	char dir[PATH_MAX];
	struct dirent *de;
	uint64_t v;
	int n = 0;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct p2p_provider p = { .bar = -1 };

		if (!pci_parse_addr(de->d_name, &p.pci))
			continue;
		snprintf(dir, sizeof(dir), PCI_DEVICES "/%s", de->d_name);
		/* Only functions with a p2pmem pool have p2pmem/size. */
		if (read_u64(dir, "p2pmem/size", &p.size))
			continue;
		read_u64(dir, "p2pmem/available", &p.available);
		p.published = !read_u64(dir, "p2pmem/published", &v) && v;
		/* p2p-bar says which BAR it published; nvme does not. */
		if (!read_u64(dir, "p2p_bar", &v))
			p.bar = v;
		driver_name(dir, p.driver, sizeof(p.driver));
		if (n < max)
			out[n] = p;
		n++;
	}
	closedir(d);
	qsort(out, n < max ? n : max, sizeof(*out), cmp_provider);
	return n;
}

/*
 * The PCI function that does a block device's DMA: the last PCI address in
 * its sysfs path (/sys/devices/pci0000:00/.../0000:03:00.0/nvme/nvme0/
 * nvme0n1).  Virtual devices (loop, ram) have none.
 */
static bool block_dev_pci(const char *name, struct pci_func *pci)
{
	char path[PATH_MAX], real[PATH_MAX], *tok, *save;
	bool found = false;

	snprintf(path, sizeof(path), SYS_BLOCK "/%s", name);
	if (!realpath(path, real))
		return false;
	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save))
		if (pci_parse_addr(tok, pci))
			found = true;
	return found;
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
