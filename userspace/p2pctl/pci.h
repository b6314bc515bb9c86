/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI functions, P2PDMA providers and block devices as sysfs shows them.
 */
#ifndef P2PCTL_PCI_H
#define P2PCTL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/dma-buf-p2p.h>

#define PCI_ADDR_LEN 24	/* "dddddddd:bb:dd.f" and a NUL */

struct pci_func {
	char addr[PCI_ADDR_LEN];
	struct dma_buf_p2p_pci_id id;
};

struct p2p_provider {
	struct pci_func pci;
	char driver[64];
	int bar;		/* -1 when in no standard BAR */
	uint64_t size;
	uint64_t available;
	bool published;
};

struct block_dev {
	char name[64];
	struct pci_func pci;	/* the PCI function that does its DMA */
};

bool pci_parse_addr(const char *s, struct pci_func *pci);
/*
 * The PCI function that does a device's DMA: the last PCI address in the
 * real path of its sysfs entry @path (/sys/block/nvme0n1 resolves to
 * /sys/devices/pci0000:00/.../0000:03:00.0/nvme/nvme0/nvme0n1).  Virtual
 * devices (loop, ram) have none.
 */
bool pci_func_of_sysfs(const char *path, struct pci_func *pci);

/*
 * Fill @out with up to @max entries; return how many there are (may be
 * more than @max) or -errno.  Providers come from DMA_BUF_P2P_IOC_LIST_
 * PROVIDERS on @dev, an open /dev/dma-buf-p2p.
 */
int p2p_list_providers(int dev, struct p2p_provider *out, int max);
int p2p_list_block_devs(struct block_dev *out, int max);

#endif /* P2PCTL_PCI_H */
