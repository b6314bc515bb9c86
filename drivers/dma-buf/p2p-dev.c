// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dma-buf-p2p: the userspace entry point of the dma-buf P2P framework
 *
 * The ioctls are described in include/uapi/linux/dma-buf-p2p.h.  The device
 * is root-only (0600); udev rules may hand it to a group.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/uaccess.h>
#include <uapi/linux/dma-buf-p2p.h>

static struct pci_dev *p2p_dev_get_pci(const struct dma_buf_p2p_pci_id *id)
{
	return pci_get_domain_bus_and_slot(id->domain, PCI_BUS_NUM(id->bdf),
					   id->bdf & 0xff);
}

static u32 p2p_dev_path(enum pci_p2pdma_map_type map)
{
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return DMA_BUF_P2P_PATH_BUS;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return DMA_BUF_P2P_PATH_HOST_BRIDGE;
	default:
		return DMA_BUF_P2P_PATH_NONE;
	}
}

static long p2p_dev_reach(struct dma_buf_p2p_reach __user *uarg)
{
	struct pci_dev *provider, *client;
	struct dma_buf_p2p_reach arg;
	int dist = 0;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	if (arg.flags || arg.path || arg.distance || arg.__pad ||
	    arg.provider.bdf > 0xffff || arg.client.bdf > 0xffff)
		return -EINVAL;

	provider = p2p_dev_get_pci(&arg.provider);
	if (!provider)
		return -ENODEV;

	client = p2p_dev_get_pci(&arg.client);
	if (!client) {
		ret = -ENODEV;
		goto out_put_provider;
	}

	if (!pci_has_p2pmem(provider)) {
		ret = -ENXIO;
		goto out_put_client;
	}

	arg.path = p2p_dev_path(pci_p2pdma_client_map_type(provider,
							   &client->dev,
							   &dist));
	arg.distance = arg.path == DMA_BUF_P2P_PATH_NONE ? 0 : dist;
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;

out_put_client:
	pci_dev_put(client);
out_put_provider:
	pci_dev_put(provider);
	return ret;
}

static long p2p_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case DMA_BUF_P2P_IOC_REACH:
		return p2p_dev_reach((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations p2p_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= p2p_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice p2p_dev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "dma-buf-p2p",
	.fops	= &p2p_dev_fops,
	.mode	= 0600,
};

static int __init p2p_dev_init(void)
{
	return misc_register(&p2p_dev_misc);
}

static void __exit p2p_dev_exit(void)
{
	misc_deregister(&p2p_dev_misc);
}

module_init(p2p_dev_init);
module_exit(p2p_dev_exit);

MODULE_DESCRIPTION("Peer-to-peer DMA-BUFs in PCI BAR memory");
MODULE_LICENSE("GPL");
