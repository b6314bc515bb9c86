// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dma-buf-p2p: the userspace entry point of the dma-buf P2P framework
 *
 * The ioctls are described in include/uapi/linux/dma-buf-p2p.h.  The device
 * is root-only (0600); udev rules may hand it to a group.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/dma-buf-p2p.h>

#include "p2p-exporter.h"

#define P2P_VALID_FD_FLAGS	(O_CLOEXEC | O_ACCMODE)
/* Larger arrays get the first entries and the true count. */
#define P2P_QUERY_MAX_ATTACH	256
#define P2P_QUERY_MAX_CHUNKS	65536

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

static long p2p_dev_list_providers(struct dma_buf_p2p_list_providers __user *uarg)
{
	struct dma_buf_p2p_provider_info __user *out;
	struct dma_buf_p2p_list_providers arg;
	struct dma_buf_p2p_provider_info info;
	struct pci_dev *pdev = NULL;
	size_t size, avail;
	u32 n = 0;
	int bar;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;

	out = u64_to_user_ptr(arg.providers);
	for_each_pci_dev(pdev) {
		if (pci_p2pmem_info(pdev, &size, &avail, &bar))
			continue;
		if (out && n < arg.count) {
			memset(&info, 0, sizeof(info));
			info.pci.domain = pci_domain_nr(pdev->bus);
			info.pci.bdf = pci_dev_id(pdev);
			info.bar = bar < 0 ? DMA_BUF_P2P_BAR_NONE : bar;
			info.flags = DMA_BUF_P2P_PROVIDER_CPU_MAPPABLE |
				     (pci_has_p2pmem(pdev) ?
				      DMA_BUF_P2P_PROVIDER_PUBLISHED : 0);
			info.size = size;
			info.available = avail;
			if (copy_to_user(&out[n], &info, sizeof(info))) {
				pci_dev_put(pdev);
				return -EFAULT;
			}
		}
		n++;
	}

	arg.count = n;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* A provider by PCI address, with a reference: ENODEV, ENXIO. */
static struct pci_dev *p2p_dev_get_provider(const struct dma_buf_p2p_pci_id *id)
{
	struct pci_dev *pdev;

	if (id->bdf > 0xffff)
		return ERR_PTR(-EINVAL);
	pdev = p2p_dev_get_pci(id);
	if (!pdev)
		return ERR_PTR(-ENODEV);
	if (!pci_has_p2pmem(pdev)) {
		pci_dev_put(pdev);
		return ERR_PTR(-ENXIO);
	}
	return pdev;
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
	    arg.client.bdf > 0xffff)
		return -EINVAL;

	provider = p2p_dev_get_provider(&arg.provider);
	if (IS_ERR(provider))
		return PTR_ERR(provider);
	client = p2p_dev_get_pci(&arg.client);
	if (!client) {
		ret = -ENODEV;
		goto out_put_provider;
	}

	arg.path = p2p_dev_path(pci_p2pdma_client_map_type(provider,
							   &client->dev,
							   &dist));
	arg.distance = arg.path == DMA_BUF_P2P_PATH_NONE ? 0 : dist;
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;

	pci_dev_put(client);
out_put_provider:
	pci_dev_put(provider);
	return ret;
}

static long p2p_dev_alloc(struct dma_buf_p2p_alloc __user *uarg)
{
	struct dma_buf_p2p_alloc arg;
	size_t pool_size, pool_avail;
	struct pci_dev *provider;
	struct dma_buf *dmabuf;
	int fd, bar;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.fd || arg.__pad ||
	    (arg.fd_flags & ~P2P_VALID_FD_FLAGS) ||
	    ((arg.fd_flags & O_ACCMODE) != O_RDONLY &&
	     (arg.fd_flags & O_ACCMODE) != O_RDWR) ||
	    !arg.size || arg.size > SIZE_MAX - PAGE_SIZE)
		return -EINVAL;

	provider = p2p_dev_get_provider(&arg.provider);
	if (IS_ERR(provider))
		return PTR_ERR(provider);
	/* Larger than the whole provider: no page array worth allocating. */
	if (pci_p2pmem_info(provider, &pool_size, &pool_avail, &bar) ||
	    arg.size > pool_size) {
		pci_dev_put(provider);
		return -ENOSPC;
	}

	dmabuf = p2p_exporter_alloc(provider, PAGE_ALIGN(arg.size),
				    arg.fd_flags & O_ACCMODE);
	pci_dev_put(provider);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	/* Install the fd only once userspace has its number. */
	fd = get_unused_fd_flags(arg.fd_flags & O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_put_dmabuf;
	}
	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		put_unused_fd(fd);
		ret = -EFAULT;
		goto out_put_dmabuf;
	}
	/* The fd owns our reference to the dma-buf from here. */
	fd_install(fd, dmabuf->file);
	return 0;

out_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

/* One of our dma-bufs by fd, with a reference: EBADF, EINVAL, EOPNOTSUPP. */
static struct dma_buf *p2p_dev_get_buffer(u32 fd)
{
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return dmabuf;
	if (!p2p_exporter_owns(dmabuf)) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dmabuf;
}

static long p2p_dev_query(struct dma_buf_p2p_query __user *uarg)
{
	struct dma_buf_p2p_chunk_info *chunks = NULL;
	struct dma_buf_p2p_attach_info *att = NULL;
	struct dma_buf_p2p_query arg;
	u32 want_att, want_chunks;
	struct dma_buf *dmabuf;
	bool show_chunks;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* Everything after nr_chunks is output. */
	if (arg.flags || memchr_inv(&arg.provider, 0, sizeof(arg) -
				    offsetof(typeof(arg), provider)))
		return -EINVAL;

	dmabuf = p2p_dev_get_buffer(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	want_att = arg.attachments ? min(arg.nr_attachments,
					  P2P_QUERY_MAX_ATTACH) : 0;
	/* Where a buffer is in the BAR is for the administrator only. */
	show_chunks = arg.chunks && capable(CAP_SYS_ADMIN);
	want_chunks = show_chunks ? min(arg.nr_chunks, P2P_QUERY_MAX_CHUNKS) : 0;
	att = kcalloc(want_att, sizeof(*att), GFP_KERNEL);
	chunks = kvcalloc(want_chunks, sizeof(*chunks), GFP_KERNEL);
	if (!att || !chunks) {
		ret = -ENOMEM;
		goto out_free;
	}

	arg.nr_attachments = want_att;
	arg.nr_chunks = want_chunks;
	ret = p2p_exporter_query(dmabuf, &arg, att,
				 show_chunks ? chunks : NULL);
	if (ret)
		goto out_free;

	if (copy_to_user(u64_to_user_ptr(arg.attachments), att,
			 min(want_att, arg.nr_attachments) * sizeof(*att)) ||
	    copy_to_user(u64_to_user_ptr(arg.chunks), chunks,
			 min(want_chunks, arg.nr_chunks) * sizeof(*chunks)) ||
	    copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;

out_free:
	kvfree(chunks);
	kfree(att);
	dma_buf_put(dmabuf);
	return ret;
}

static long p2p_dev_migrate(struct dma_buf_p2p_migrate __user *uarg)
{
	struct dma_buf_p2p_migrate arg;
	struct dma_buf *dmabuf;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.__pad ||
	    (arg.placement != DMA_BUF_P2P_PLACEMENT_BAR &&
	     arg.placement != DMA_BUF_P2P_PLACEMENT_SYSTEM))
		return -EINVAL;

	dmabuf = p2p_dev_get_buffer(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	ret = p2p_exporter_migrate(dmabuf, arg.placement);
	dma_buf_put(dmabuf);
	return ret;
}

static long p2p_dev_probe(struct dma_buf_p2p_probe __user *uarg)
{
	struct dma_buf_p2p_probe arg;
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~DMA_BUF_P2P_PROBE_VMAP) || arg.device.bdf > 0xffff ||
	    memchr_inv(&arg.mode, 0, sizeof(arg) - offsetof(typeof(arg), mode)))
		return -EINVAL;

	dmabuf = p2p_dev_get_buffer(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	pdev = p2p_dev_get_pci(&arg.device);
	if (!pdev) {
		ret = -ENODEV;
		goto out_put_dmabuf;
	}

	ret = p2p_exporter_probe(dmabuf, &pdev->dev, &arg);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;

	pci_dev_put(pdev);
out_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

static long p2p_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case DMA_BUF_P2P_IOC_REACH:
		return p2p_dev_reach((void __user *)arg);
	case DMA_BUF_P2P_IOC_ALLOC:
		return p2p_dev_alloc((void __user *)arg);
	case DMA_BUF_P2P_IOC_QUERY:
		return p2p_dev_query((void __user *)arg);
	case DMA_BUF_P2P_IOC_MIGRATE:
		return p2p_dev_migrate((void __user *)arg);
	case DMA_BUF_P2P_IOC_LIST_PROVIDERS:
		return p2p_dev_list_providers((void __user *)arg);
	case DMA_BUF_P2P_IOC_PROBE:
		return p2p_dev_probe((void __user *)arg);
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
	/* Root and the group udev gives it; see the UAPI header. */
	.mode	= 0660,
	.groups	= p2p_exporter_groups,
};

static int __init p2p_dev_init(void)
{
	int ret;

	ret = p2p_exporter_init();
	if (ret)
		return ret;
	ret = misc_register(&p2p_dev_misc);
	if (ret)
		p2p_exporter_exit();
	return ret;
}

static void __exit p2p_dev_exit(void)
{
	misc_deregister(&p2p_dev_misc);
	p2p_exporter_exit();
}

module_init(p2p_dev_init);
module_exit(p2p_dev_exit);

MODULE_DESCRIPTION("Peer-to-peer DMA-BUFs in PCI BAR memory");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
