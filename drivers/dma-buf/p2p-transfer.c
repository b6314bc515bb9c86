// SPDX-License-Identifier: GPL-2.0
/*
 * Moving buffers between a provider's memory and system memory: through
 * the transfer ops a provider registered, else with the CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/dma-buf-p2p.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "p2p-transfer.h"

struct p2p_transfer {
	struct list_head node;
	struct pci_dev *provider;
	const struct dma_buf_p2p_transfer_ops *ops;
};

/*
 * The registered ops.  Copies hold it for reading while they run, so that
 * unregistering waits for them; taken inside buffers' reservation locks.
 */
static DECLARE_RWSEM(p2p_transfers_rwsem);
static LIST_HEAD(p2p_transfers);

static struct p2p_transfer *p2p_transfer_find(struct pci_dev *provider)
{
	struct p2p_transfer *t;

	lockdep_assert_held(&p2p_transfers_rwsem);
	list_for_each_entry(t, &p2p_transfers, node)
		if (t->provider == provider)
			return t;
	return NULL;
}

/**
 * dma_buf_p2p_register_transfer - copy a provider's buffers with its engine
 * @provider: the PCI function whose p2pmem the ops copy
 * @ops: the provider's transfer ops; must stay valid until unregistered
 *
 * Context: Process context.
 * Return: 0, -EEXIST when @provider has ops already, or -ENOMEM.
 */
int dma_buf_p2p_register_transfer(struct pci_dev *provider,
				  const struct dma_buf_p2p_transfer_ops *ops)
{
	struct p2p_transfer *t;
	int ret = 0;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->provider = provider;
	t->ops = ops;

	down_write(&p2p_transfers_rwsem);
	if (p2p_transfer_find(provider))
		ret = -EEXIST;
	else
		list_add(&t->node, &p2p_transfers);
	up_write(&p2p_transfers_rwsem);
	if (ret)
		kfree(t);
	return ret;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_register_transfer);

/**
 * dma_buf_p2p_unregister_transfer - back to CPU copies for a provider
 * @provider: as registered
 *
 * Waits for the copies running through the ops to finish.
 *
 * Context: Process context.
 */
void dma_buf_p2p_unregister_transfer(struct pci_dev *provider)
{
	struct p2p_transfer *t;

	down_write(&p2p_transfers_rwsem);
	t = p2p_transfer_find(provider);
	if (t)
		list_del(&t->node);
	up_write(&p2p_transfers_rwsem);
	kfree(t);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_unregister_transfer);

/* Most bytes one memcpy moves between two chances to reschedule. */
#define P2P_COPY_RUN_PAGES	(SZ_2M >> PAGE_SHIFT)

static void p2p_cpu_copy(struct page **dst, struct page **src,
			 unsigned long nr_pages, bool to_bar)
{
	unsigned long pg, n;

	for (pg = 0; pg < nr_pages; pg += n) {
		void *d = page_address(dst[pg]), *s = page_address(src[pg]);

		/* Pages contiguous on both sides: one copy. */
		for (n = 1; pg + n < nr_pages && n < P2P_COPY_RUN_PAGES &&
		     page_address(dst[pg + n]) == d + n * PAGE_SIZE &&
		     page_address(src[pg + n]) == s + n * PAGE_SIZE; n++)
			;
		/* The BAR side goes through its (uncached) kernel mapping. */
		if (to_bar)
			memcpy_toio((void __iomem *)d, s, n * PAGE_SIZE);
		else
			memcpy_fromio(d, (void __iomem *)s, n * PAGE_SIZE);
		cond_resched();
	}
}

/**
 * p2p_transfer - copy pages between a provider's memory and system memory
 * @provider: the provider
 * @dst: destination pages
 * @src: source pages
 * @nr_pages: how many
 * @to_bar: @dst are the provider's pages
 *
 * Context: Process context, may sleep.
 * Return: true when the CPU copied, false when the provider's ops did.
 */
bool p2p_transfer(struct pci_dev *provider, struct page **dst,
		  struct page **src, unsigned long nr_pages, bool to_bar)
{
	struct p2p_transfer *t;
	int ret = -ENOENT;

	down_read(&p2p_transfers_rwsem);
	t = p2p_transfer_find(provider);
	if (t)
		ret = t->ops->copy(provider, dst, src, nr_pages, to_bar);
	up_read(&p2p_transfers_rwsem);
	if (!ret)
		return false;

	if (t)
		dev_warn_ratelimited(&provider->dev, "transfer ops failed (%d), copying with the CPU\n",
				     ret);
	p2p_cpu_copy(dst, src, nr_pages, to_bar);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(p2p_transfer);
