// SPDX-License-Identifier: GPL-2.0
/*
 * p2p-bar: publish a PCI BAR as peer-to-peer DMA memory
 *
 * Boards with memory behind a BAR (FPGA and accelerator cards, GPU VRAM
 * apertures, QEMU's ivshmem) often have no driver that hands the BAR to the
 * P2PDMA core.  Bound to such a device, this driver publishes one memory BAR
 * as p2pmem, which every P2PDMA user (the dma-buf P2P exporter, nvmet, the
 * sysfs p2pmem/allocate file) can then allocate from.
 *
 * It has no ID table, so it never takes a device on its own: the
 * administrator names the device through driver_override
 *
 *   echo p2p-bar > /sys/bus/pci/devices/0000:03:00.0/driver_override
 *   echo 0000:03:00.0 > /sys/bus/pci/drivers_probe
 *
 * or through new_id, whose driver_data then selects the BAR: N + 1 for BAR N,
 * 0 for the default.  The default is the largest prefetchable memory BAR:
 * non-prefetchable BARs usually hold registers, which must never be handed
 * out as memory, so they are published only when named explicitly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sizes.h>

static int p2p_bar_select(struct pci_dev *pdev, kernel_ulong_t driver_data)
{
	resource_size_t best_len = 0;
	int bar, best = -ENODEV;

	if (driver_data) {
		if (driver_data > PCI_STD_NUM_BARS)
			return -EINVAL;
		bar = driver_data - 1;
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, bar))
			return -EINVAL;
		return bar;
	}

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		unsigned long flags = pci_resource_flags(pdev, bar);

		if (!(flags & IORESOURCE_MEM) || !(flags & IORESOURCE_PREFETCH))
			continue;
		if (pci_resource_len(pdev, bar) > best_len) {
			best_len = pci_resource_len(pdev, bar);
			best = bar;
		}
	}
	return best;
}

static ssize_t p2p_bar_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	int bar = (long)dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", bar);
}
static DEVICE_ATTR_RO(p2p_bar);

static struct attribute *p2p_bar_attrs[] = {
	&dev_attr_p2p_bar.attr,
	NULL
};
ATTRIBUTE_GROUPS(p2p_bar);

static int p2p_bar_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int bar, ret;

	bar = p2p_bar_select(pdev, id->driver_data);
	if (bar < 0) {
		if (id->driver_data)
			pci_err(pdev, "BAR %lu (new_id driver_data %lu) is not a memory BAR\n",
				id->driver_data - 1, id->driver_data);
		else
			pci_err(pdev, "no prefetchable memory BAR to publish\n");
		return bar;
	}

	/*
	 * p2pmem gets ZONE_DEVICE pages, which memory hotplug adds in whole
	 * subsections; it WARNs on anything smaller.
	 */
	if (!IS_ALIGNED(pci_resource_start(pdev, bar) |
			pci_resource_len(pdev, bar), SUBSECTION_SIZE)) {
		pci_err(pdev, "BAR %d %pR is not aligned to %lu KiB, cannot publish it\n",
			bar, pci_resource_n(pdev, bar), SUBSECTION_SIZE / SZ_1K);
		return -EINVAL;
	}

	/* The BAR must decode memory cycles; the device itself never DMAs. */
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	/*
	 * Device-managed: the pages go away when the driver unbinds, after
	 * every p2pmem allocation has been returned to the pool.
	 */
	ret = pci_p2pdma_add_resource(pdev, bar, 0, 0);
	if (ret) {
		pci_err(pdev, "cannot add BAR %d as p2pmem: %d\n", bar, ret);
		return ret;
	}

	dev_set_drvdata(&pdev->dev, (void *)(long)bar);
	pci_p2pmem_publish(pdev, true);
	pci_info(pdev, "publishing BAR %d %pR as p2pmem\n", bar,
		 pci_resource_n(pdev, bar));
	return 0;
}

static void p2p_bar_remove(struct pci_dev *pdev)
{
	/* Stop new allocations; the devm teardown then frees the pages. */
	pci_p2pmem_publish(pdev, false);
}

static struct pci_driver p2p_bar_driver = {
	.name		= "p2p-bar",
	.id_table	= NULL,	/* driver_override or new_id only */
	.probe		= p2p_bar_probe,
	.remove		= p2p_bar_remove,
	.dev_groups	= p2p_bar_groups,
};
module_pci_driver(p2p_bar_driver);

MODULE_DESCRIPTION("Publish a PCI BAR as peer-to-peer DMA memory");
MODULE_LICENSE("GPL");
