// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf P2P exporter: buffers in a P2PDMA provider's memory (a PCI BAR:
 * GPU VRAM, an NVMe CMB, a BAR published by p2p-bar), exported as dma-bufs.
 *
 * Placement.  A buffer's pages are either all in its provider's memory
 * (BAR) or all in system memory (SYSTEM).  Attach classifies the importer:
 * a PCI device that allows peer2peer and has a P2PDMA route to the provider
 * gets P2P mappings (PCI bus addresses below a common switch, DMA addresses
 * through the host bridge); anything else needs SYSTEM.  The buffer stays in
 * the BAR while every attachment that maps or pins it can reach the BAR.
 * Mapping or pinning for one that cannot moves it to SYSTEM, unless it is
 * pinned in the BAR: then that map or pin fails with -EBUSY.  It goes back
 * to the BAR only on request (DMA_BUF_P2P_IOC_MIGRATE), which is refused
 * while it is pinned or a static importer that cannot reach the BAR is
 * attached.  A dynamic importer that cannot reach it does not hold it back:
 * it is told, and its next map moves the buffer to SYSTEM again.  Importers
 * that cache their mappings (the importer library does) would otherwise keep
 * a buffer out of the BAR for as long as its fd lives.
 *
 * Moves.  Under the reservation lock: wait for the importers' fences, add a
 * kernel fence for the copy, tell dynamic importers (move_notify), wait for
 * fences they added, zap CPU mappings, copy (with the provider's transfer
 * ops if it registered some, else the CPU), signal the fence.
 * CPU mappings fault the current placement back in.  vmap pins.
 *
 * Revoke.  When a provider's driver unbinds (unbind, hot-unplug, removal),
 * every buffer still in its memory is moved to system memory first, pinned
 * or not: fds, CPU mappings and data stay valid, dynamic importers remap,
 * and the provider's teardown, which waits for every p2pmem page to come
 * back, never hangs on us.  Only a buffer vmapped by a kernel user stays,
 * with a warning.  No buffer is allocated on, or moved back to, a provider
 * that is going away (-ENODEV).
 *
 * Limits.  A buffer is as large as its provider's free memory allows; once
 * moved out it holds as much system memory, and all buffers out of their
 * providers hold at most max_system_bytes (an attribute of the misc
 * device, half of RAM unless root changes it): a move out that would pass
 * it fails with -EDQUOT.
 *
 * Locking.  Everything a move changes (placement, pages, chunks, the
 * attachments' mappings, counters) is protected by the dma-buf's
 * reservation lock, dmabuf->resv.  p2p_buffers_lock is taken before it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <uapi/linux/dma-buf-p2p.h>

#include "p2p-exporter.h"
#include "p2p-placement.h"
#include "p2p-transfer.h"

/*
 * System memory the buffers moved out of their providers may hold, all of
 * them together.  A move out gives the buffer's provider memory back to the
 * next allocation: without a cap, allocating and moving out in turn would
 * take all of RAM.  Half of RAM when the module loads; root changes it in
 * the misc device's max_system_bytes attribute (0: no buffer may move out).
 * Moves a provider forces as it goes away ignore it: the data has nowhere
 * else to go.
 */
static unsigned long max_system_bytes;
static atomic_long_t p2p_system_bytes;	/* what they hold now */

static ssize_t max_system_bytes_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(max_system_bytes));
}

static ssize_t max_system_bytes_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned long bytes;
	int ret;

	ret = kstrtoul(buf, 0, &bytes);
	if (ret)
		return ret;
	WRITE_ONCE(max_system_bytes, bytes);
	return count;
}
static DEVICE_ATTR_RW(max_system_bytes);

static ssize_t system_bytes_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&p2p_system_bytes));
}
static DEVICE_ATTR_RO(system_bytes);

static struct attribute *p2p_exporter_attrs[] = {
	&dev_attr_max_system_bytes.attr,
	&dev_attr_system_bytes.attr,
	NULL
};

static const struct attribute_group p2p_exporter_group = {
	.attrs = p2p_exporter_attrs,
};

/* The attributes of /dev/dma-buf-p2p's device: the system memory cap. */
const struct attribute_group *p2p_exporter_groups[] = {
	&p2p_exporter_group,
	NULL
};

/* How long a move waits for importers to finish their DMA. */
#define P2P_MOVE_TIMEOUT	(10 * HZ)
/* sg entries are unsigned int long; keep them page aligned. */
#define P2P_MAX_SEGMENT		ALIGN_DOWN(UINT_MAX, PAGE_SIZE)

/* One physically contiguous p2pmem allocation. */
struct p2p_chunk {
	void *kaddr;
	size_t size;
};

/* What happened on one provider, kept while the module is loaded. */
struct p2p_provider_stats {
	struct list_head node;		/* in p2p_providers */
	struct pci_dev *pdev;		/* a reference */
	atomic64_t allocs;
	atomic64_t maps[3];		/* by DMA_BUF_P2P_MODE_* */
	atomic64_t migrations[2];	/* by destination placement */
	atomic64_t bytes_copied;	/* by the CPU, for migrations */
	atomic64_t bytes_mapped_p2p;	/* handed to P2P importers */
};

struct p2p_buffer {
	struct list_head node;		/* in p2p_buffers */
	struct p2p_provider_stats *stats;
	struct dma_buf *dmabuf;
	struct pci_dev *provider;
	size_t size;
	pgoff_t nr_pages;
	u64 fence_context;

	/* All below: protected by dmabuf->resv. */
	u32 placement;			/* DMA_BUF_P2P_PLACEMENT_* */
	struct page **pages;		/* every page of the placement */
	struct p2p_chunk *chunks;	/* BAR placement: the allocations */
	unsigned int nr_chunks;
	struct list_head mappings;	/* live p2p_mappings */
	unsigned int pin_count;		/* pins and vmaps */
	unsigned int vmap_count;
	void *vaddr;
	u64 fence_seqno;
	u64 migrations[2];		/* by destination placement */
	u64 bytes_copied;
	u64 maps[3];			/* by DMA_BUF_P2P_MODE_* */
};

/*
 * A mapping handed to an importer.  It may outlive the pages it maps: after
 * a move, importers unmap when they get to it, when BAR pages may be gone
 * with their provider and system pages back with the page allocator.
 */
struct p2p_mapping {
	struct sg_table sgt;
	struct list_head node;		/* in p2p_buffer.mappings */
	struct device *dev;		/* the importing device */
	enum dma_data_direction dir;
	bool stale;			/* unmap without touching the pages */
};

struct p2p_attachment {
	struct pci_dev *pci;		/* the PCI function doing the DMA */
	u32 mode;			/* DMA_BUF_P2P_MODE_* */
	u32 reason;			/* DMA_BUF_P2P_REASON_* */
	/* Protected by dmabuf->resv: the live mapping, for CPU syncs. */
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

/*
 * Every buffer, and the providers being unbound, for revoking.  Protects
 * p2p_buffers, p2p_dying and each buffer's node; taken before any buffer's
 * reservation lock.
 */
static DEFINE_MUTEX(p2p_buffers_lock);
static LIST_HEAD(p2p_buffers);
static LIST_HEAD(p2p_dying);
/* Also under p2p_buffers_lock: the providers' counters. */
static LIST_HEAD(p2p_providers);
static struct dentry *p2p_debugfs;

struct p2p_dying_provider {
	struct list_head node;
	struct pci_dev *pdev;
};

static bool p2p_provider_dying(struct pci_dev *pdev)
{
	struct p2p_dying_provider *d;

	lockdep_assert_held(&p2p_buffers_lock);
	list_for_each_entry(d, &p2p_dying, node)
		if (d->pdev == pdev)
			return true;
	return false;
}

static struct p2p_provider_stats *p2p_provider_stats(struct pci_dev *pdev)
{
	struct p2p_provider_stats *stats;

	lockdep_assert_held(&p2p_buffers_lock);
	list_for_each_entry(stats, &p2p_providers, node)
		if (stats->pdev == pdev)
			return stats;

	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return NULL;
	stats->pdev = pci_dev_get(pdev);
	list_add_tail(&stats->node, &p2p_providers);
	return stats;
}

/*
 * A move's fence.  It may outlive the buffer (anyone can hold a reference),
 * so it carries its own lock.
 */
struct p2p_fence {
	struct dma_fence base;
	spinlock_t lock;		/* base's lock */
};

static const char *p2p_fence_driver_name(struct dma_fence *fence)
{
	return "dma-buf-p2p";
}

static const char *p2p_fence_timeline_name(struct dma_fence *fence)
{
	return "migration";
}

static const struct dma_fence_ops p2p_fence_ops = {
	.get_driver_name = p2p_fence_driver_name,
	.get_timeline_name = p2p_fence_timeline_name,
};

/* The DMA layer maps P2P pages only for a PCI device itself. */
static struct pci_dev *p2p_pci_of(struct device *dev)
{
	return dev_is_pci(dev) ? to_pci_dev(dev) : NULL;
}

static void p2p_free_chunks(struct pci_dev *provider, struct p2p_chunk *chunks,
			    unsigned int nr_chunks)
{
	while (nr_chunks--)
		pci_free_p2pmem(provider, chunks[nr_chunks].kaddr,
				chunks[nr_chunks].size);
	kfree(chunks);
}

/*
 * Allocate the buffer in the provider's memory, in chunks as large as the
 * free space allows, and fill @pages.
 */
static int p2p_alloc_bar(struct p2p_buffer *buf, struct page **pages,
			 struct p2p_chunk **chunksp, unsigned int *nr_chunksp)
{
	size_t left = buf->size, want = buf->size;
	struct p2p_chunk *chunks = NULL, *grown;
	unsigned int nr_chunks = 0, cap = 0;
	pgoff_t pg = 0;
	size_t off;
	void *kaddr;

	while (left) {
		want = min(want, left);
		kaddr = pci_alloc_p2pmem(buf->provider, want);
		if (!kaddr) {
			if (want == PAGE_SIZE)
				goto out_nospc;
			want = max_t(size_t, PAGE_SIZE,
				     round_down(want / 2, PAGE_SIZE));
			continue;
		}
		if (nr_chunks == cap) {
			cap = cap ? 2 * cap : 4;
			grown = krealloc_array(chunks, cap, sizeof(*chunks),
					       GFP_KERNEL);
			if (!grown) {
				pci_free_p2pmem(buf->provider, kaddr, want);
				p2p_free_chunks(buf->provider, chunks, nr_chunks);
				return -ENOMEM;
			}
			chunks = grown;
		}
		chunks[nr_chunks].kaddr = kaddr;
		chunks[nr_chunks].size = want;
		nr_chunks++;
		for (off = 0; off < want; off += PAGE_SIZE)
			pages[pg++] = virt_to_page(kaddr + off);
		left -= want;
	}
	*chunksp = chunks;
	*nr_chunksp = nr_chunks;
	return 0;

out_nospc:
	p2p_free_chunks(buf->provider, chunks, nr_chunks);
	return -ENOSPC;
}

static void p2p_free_system(struct page **pages, pgoff_t nr_pages)
{
	while (nr_pages--)
		__free_page(pages[nr_pages]);
}

/* Largest block p2p_alloc_system() asks for: 2 MiB with 4 KiB pages. */
#define P2P_SYSTEM_MAX_ORDER	min(9, MAX_PAGE_ORDER)

/*
 * System pages for the whole buffer, in blocks as large as the allocator
 * gives without working for them (down to single pages): fewer, longer DMA
 * segments for importers, fewer calls to allocate and copy.  Blocks are
 * split, so that every page is freed on its own.
 */
static int p2p_alloc_system(struct p2p_buffer *buf, struct page **pages)
{
	unsigned int order = P2P_SYSTEM_MAX_ORDER;
	pgoff_t pg = 0, i;

	while (pg < buf->nr_pages) {
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
		struct page *page;

		while ((1UL << order) > buf->nr_pages - pg)
			order--;
		if (order)
			gfp |= __GFP_NORETRY | __GFP_NOMEMALLOC;
		page = alloc_pages(gfp, order);
		if (!page) {
			if (order) {
				order--;
				continue;
			}
			p2p_free_system(pages, pg);
			return -ENOMEM;
		}
		split_page(page, order);
		for (i = 0; i < (1UL << order); i++)
			pages[pg++] = page + i;
	}
	return 0;
}

/*
 * Count @size bytes of system memory against max_system_bytes.  Checked
 * before it is added, so that concurrent moves never see each other's
 * charge that failed.
 */
static int p2p_system_charge(size_t size, bool force)
{
	long held = atomic_long_read(&p2p_system_bytes);

	do {
		if (!force && held + size > READ_ONCE(max_system_bytes))
			return -EDQUOT;
	} while (!atomic_long_try_cmpxchg(&p2p_system_bytes, &held,
					  held + size));
	return 0;
}

static void p2p_system_uncharge(size_t size)
{
	atomic_long_sub(size, &p2p_system_bytes);
}

static void p2p_free_backing(struct p2p_buffer *buf)
{
	if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR) {
		p2p_free_chunks(buf->provider, buf->chunks, buf->nr_chunks);
	} else {
		p2p_free_system(buf->pages, buf->nr_pages);
		p2p_system_uncharge(buf->size);
	}
	kvfree(buf->pages);
	buf->pages = NULL;
	buf->chunks = NULL;
	buf->nr_chunks = 0;
}

/* Wait for the fences importers added in move_notify, not for @ours. */
static int p2p_wait_importers(struct dma_resv *resv, struct dma_fence *ours)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	long ret;

	dma_resv_for_each_fence(&cursor, resv, DMA_RESV_USAGE_BOOKKEEP, fence) {
		if (fence == ours)
			continue;
		ret = dma_fence_wait_timeout(fence, false, P2P_MOVE_TIMEOUT);
		if (ret <= 0)
			return ret ?: -ETIMEDOUT;
	}
	return 0;
}

/*
 * Move the buffer.  @force is for a provider that goes away: pins and
 * importers that do not finish in time cannot keep the buffer in its memory.
 */
static int p2p_buffer_move(struct p2p_buffer *buf, u32 to, bool force)
{
	struct dma_resv *resv = buf->dmabuf->resv;
	struct dma_buf_attachment *attach;
	struct p2p_chunk *chunks = NULL;
	struct p2p_mapping *mapping;
	unsigned int nr_chunks = 0;
	struct p2p_fence *pfence;
	struct dma_fence *fence;
	struct page **pages;
	long lret;
	bool cpu;
	int ret;

	dma_resv_assert_held(resv);
	ret = p2p_move_check(buf->placement, to, buf->pin_count && !force,
			     false);
	if (ret <= 0)
		return ret;

	/* Importers' DMA to the old pages must be over before they change. */
	lret = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
				     P2P_MOVE_TIMEOUT);
	if (lret <= 0 && !force)
		return lret ?: -ETIMEDOUT;

	if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM) {
		ret = p2p_system_charge(buf->size, force);
		if (ret)
			return ret;
	}
	pages = kvmalloc_array(buf->nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto out_uncharge;
	}
	if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM)
		ret = p2p_alloc_system(buf, pages);
	else
		ret = p2p_alloc_bar(buf, pages, &chunks, &nr_chunks);
	if (ret)
		goto out_free_pages;

	ret = dma_resv_reserve_fences(resv, 1);
	if (ret)
		goto out_free_backing;
	pfence = kzalloc(sizeof(*pfence), GFP_KERNEL);
	if (!pfence) {
		ret = -ENOMEM;
		goto out_free_backing;
	}
	spin_lock_init(&pfence->lock);
	fence = &pfence->base;
	dma_fence_init(fence, &p2p_fence_ops, &pfence->lock,
		       buf->fence_context, ++buf->fence_seqno);
	dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_KERNEL);

	/* Importers drop their mappings and wait for the copy to remap. */
	dma_buf_move_notify(buf->dmabuf);
	ret = p2p_wait_importers(resv, fence);
	if (ret && force) {
		pci_warn(buf->provider, "importers of a %zu byte buffer did not stop DMA in time: moving it anyway\n",
			 buf->size);
		ret = 0;
	}
	if (ret) {
		/* Nothing moved, the data is intact: they remap it in place. */
		dma_fence_signal(fence);
		dma_fence_put(fence);
		goto out_free_backing;
	}
	if (force && buf->pin_count)
		pci_warn(buf->provider, "moving a pinned %zu byte buffer out: its importers' mappings are stale\n",
			 buf->size);

	/* What devices wrote must be visible to the copy. */
	list_for_each_entry(mapping, &buf->mappings, node) {
		if (!mapping->stale)
			dma_sync_sgtable_for_cpu(mapping->dev, &mapping->sgt,
						 mapping->dir);
		/* The pages go away: a late unmap must not touch them. */
		mapping->stale = true;
	}
	list_for_each_entry(attach, &buf->dmabuf->attachments, node)
		((struct p2p_attachment *)attach->priv)->sgt = NULL;

	unmap_mapping_range(buf->dmabuf->file->f_mapping, 0, 0, 1);
	cpu = p2p_transfer(buf->provider, pages, buf->pages, buf->nr_pages,
			   to == DMA_BUF_P2P_PLACEMENT_BAR);
	dma_fence_signal(fence);
	dma_fence_put(fence);

	p2p_free_backing(buf);
	buf->placement = to;
	buf->pages = pages;
	buf->chunks = chunks;
	buf->nr_chunks = nr_chunks;
	buf->migrations[to]++;
	atomic64_inc(&buf->stats->migrations[to]);
	if (cpu) {
		buf->bytes_copied += buf->size;
		atomic64_add(buf->size, &buf->stats->bytes_copied);
	}
	return 0;

out_free_backing:
	if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM)
		p2p_free_system(pages, buf->nr_pages);
	else
		p2p_free_chunks(buf->provider, chunks, nr_chunks);
out_free_pages:
	kvfree(pages);
out_uncharge:
	if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM)
		p2p_system_uncharge(buf->size);
	return ret;
}

static int p2p_exporter_attach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	enum pci_p2pdma_map_type map = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	struct p2p_buffer *buf = dmabuf->priv;
	struct p2p_attachment *a;
	int dist;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	a->pci = p2p_pci_of(attach->dev);
	if (attach->peer2peer && a->pci)
		map = pci_p2pdma_client_map_type(buf->provider, attach->dev,
						 &dist);
	a->mode = p2p_classify(attach->peer2peer, a->pci, map, &a->reason);

	/* Importers that cannot reach the BAR never see its pages. */
	if (a->mode == DMA_BUF_P2P_MODE_SYSTEM)
		attach->peer2peer = false;
	attach->priv = a;
	return 0;
}

static void p2p_exporter_detach(struct dma_buf *dmabuf,
				struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
}

/*
 * Whether some attached device cannot reach the BAR; with @static_only,
 * some device that could not follow a move either.
 */
static bool p2p_buffer_needs_system(struct p2p_buffer *buf, bool static_only)
{
	struct dma_buf_attachment *attach;
	struct p2p_attachment *a;

	list_for_each_entry(attach, &buf->dmabuf->attachments, node) {
		a = attach->priv;
		if (a->mode != DMA_BUF_P2P_MODE_SYSTEM)
			continue;
		if (!static_only || !dma_buf_attachment_is_dynamic(attach))
			return true;
	}
	return false;
}

static int p2p_exporter_pin(struct dma_buf_attachment *attach)
{
	struct p2p_buffer *buf = attach->dmabuf->priv;
	u32 to;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	/* Pinned, it must stay reachable by every attached device. */
	to = p2p_required_placement(buf->placement,
				    p2p_buffer_needs_system(buf, false));
	ret = p2p_buffer_move(buf, to, false);
	if (!ret)
		buf->pin_count++;
	return ret;
}

static void p2p_exporter_unpin(struct dma_buf_attachment *attach)
{
	struct p2p_buffer *buf = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	buf->pin_count--;
}

/*
 * The table of the BAR placement: an entry per chunk (several for a chunk
 * longer than a segment), without walking every page as
 * sg_alloc_table_from_pages() would: a 1 GiB buffer is 262144 pages.
 */
static int p2p_bar_sgt(struct p2p_buffer *buf, struct sg_table *sgt)
{
	unsigned int i, nents = 0;
	struct scatterlist *sg;
	pgoff_t pg = 0;
	int ret;

	for (i = 0; i < buf->nr_chunks; i++)
		nents += DIV_ROUND_UP(buf->chunks[i].size, P2P_MAX_SEGMENT);
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;

	sg = sgt->sgl;
	for (i = 0; i < buf->nr_chunks; i++) {
		size_t left = buf->chunks[i].size;

		while (left) {
			size_t len = min_t(size_t, left, P2P_MAX_SEGMENT);

			/* A chunk's pages are contiguous, as its memory is. */
			sg_set_page(sg, buf->pages[pg], len, 0);
			pg += len >> PAGE_SHIFT;
			left -= len;
			sg = sg_next(sg);
		}
	}
	return 0;
}

static struct sg_table *p2p_exporter_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct p2p_buffer *buf = attach->dmabuf->priv;
	struct p2p_attachment *a = attach->priv;
	struct p2p_mapping *mapping;
	unsigned long attrs = 0;
	struct sg_table *sgt;
	u32 mode, to;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);

	to = p2p_required_placement(buf->placement,
				    a->mode == DMA_BUF_P2P_MODE_SYSTEM);
	ret = p2p_buffer_move(buf, to, false);
	if (ret)
		return ERR_PTR(ret);

	mapping = kzalloc(sizeof(*mapping), GFP_KERNEL);
	if (!mapping)
		return ERR_PTR(-ENOMEM);
	sgt = &mapping->sgt;
	if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR)
		ret = p2p_bar_sgt(buf, sgt);
	else
		ret = sg_alloc_table_from_pages_segment(sgt, buf->pages,
							buf->nr_pages, 0,
							buf->size,
							P2P_MAX_SEGMENT,
							GFP_KERNEL);
	if (ret)
		goto out_free_mapping;

	/* The BAR is not cached by the CPU: nothing to sync. */
	if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR)
		attrs = DMA_ATTR_SKIP_CPU_SYNC;
	ret = dma_map_sgtable(attach->dev, sgt, dir, attrs);
	if (ret)
		goto out_free_table;

	/* BAR pages never need a sync: treat them as stale from the start. */
	mapping->stale = buf->placement == DMA_BUF_P2P_PLACEMENT_BAR;
	mapping->dev = attach->dev;
	mapping->dir = dir;
	list_add(&mapping->node, &buf->mappings);
	a->sgt = sgt;
	a->dir = dir;
	mode = buf->placement == DMA_BUF_P2P_PLACEMENT_BAR ?
	       a->mode : DMA_BUF_P2P_MODE_SYSTEM;
	buf->maps[mode]++;
	atomic64_inc(&buf->stats->maps[mode]);
	if (mode != DMA_BUF_P2P_MODE_SYSTEM)
		atomic64_add(buf->size, &buf->stats->bytes_mapped_p2p);
	return sgt;

out_free_table:
	sg_free_table(sgt);
out_free_mapping:
	kfree(mapping);
	return ERR_PTR(ret);
}

static void p2p_exporter_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct p2p_mapping *mapping = container_of(sgt, struct p2p_mapping, sgt);
	struct p2p_attachment *a = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	dma_unmap_sgtable(attach->dev, sgt, dir,
			  mapping->stale ? DMA_ATTR_SKIP_CPU_SYNC : 0);
	sg_free_table(sgt);
	list_del(&mapping->node);
	kfree(mapping);
	if (a->sgt == sgt)
		a->sgt = NULL;
}

/*
 * CPU access to system memory needs the live device mappings synced; the
 * BAR is not cached by the CPU, only write-combined writes need draining.
 */
static int p2p_exporter_sync(struct dma_buf *dmabuf, bool for_cpu)
{
	struct p2p_buffer *buf = dmabuf->priv;
	struct p2p_mapping *mapping;
	int ret;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	if (buf->placement == DMA_BUF_P2P_PLACEMENT_SYSTEM) {
		list_for_each_entry(mapping, &buf->mappings, node) {
			if (mapping->stale)
				continue;
			if (for_cpu)
				dma_sync_sgtable_for_cpu(mapping->dev,
							 &mapping->sgt,
							 mapping->dir);
			else
				dma_sync_sgtable_for_device(mapping->dev,
							    &mapping->sgt,
							    mapping->dir);
		}
	} else if (!for_cpu) {
		/* CPU writes to the BAR reach it before devices look. */
		wmb();
	}
	dma_resv_unlock(dmabuf->resv);
	return 0;
}

static int p2p_exporter_begin_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir)
{
	return p2p_exporter_sync(dmabuf, true);
}

static int p2p_exporter_end_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir)
{
	return p2p_exporter_sync(dmabuf, false);
}

static vm_fault_t p2p_exporter_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2p_buffer *buf = vma->vm_private_data;
	struct dma_resv *resv = buf->dmabuf->resv;
	pgprot_t prot = vma->vm_page_prot;
	vm_fault_t ret;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	/* Interrupted: no PTE, the access faults again after the signal. */
	if (dma_resv_lock_interruptible(resv, NULL))
		return VM_FAULT_NOPAGE;

	/* Map the page where it is now; a move zaps it again. */
	if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR)
		prot = pgprot_writecombine(prot);
	ret = vmf_insert_pfn_prot(vma, vmf->address,
				  page_to_pfn(buf->pages[vmf->pgoff]), prot);
	dma_resv_unlock(resv);
	return ret;
}

static const struct vm_operations_struct p2p_exporter_vm_ops = {
	.fault = p2p_exporter_fault,
};

static int p2p_exporter_mmap(struct dma_buf *dmabuf,
			     struct vm_area_struct *vma)
{
	/* The pages move: private copies of them would go stale. */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;

	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &p2p_exporter_vm_ops;
	vma->vm_private_data = dmabuf->priv;
	return 0;
}

static int p2p_exporter_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct p2p_buffer *buf = dmabuf->priv;
	pgprot_t prot = PAGE_KERNEL;

	dma_resv_assert_held(dmabuf->resv);

	if (!buf->vmap_count) {
		/*
		 * One chunk of p2pmem is already in the kernel's map
		 * (pci_alloc_p2pmem() memory is memremapped): no vmap, which
		 * costs a page table per 2 MiB and a TLB flush when undone,
		 * for users that vmap for each small copy.
		 */
		if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR &&
		    buf->nr_chunks == 1) {
			buf->vaddr = buf->chunks[0].kaddr;
		} else {
			if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR)
				prot = pgprot_writecombine(prot);
			buf->vaddr = vmap(buf->pages, buf->nr_pages, VM_MAP,
					  prot);
			if (!buf->vaddr)
				return -ENOMEM;
		}
	}
	/* The kernel mapping stays valid: no move while it exists. */
	buf->vmap_count++;
	buf->pin_count++;

	if (buf->placement == DMA_BUF_P2P_PLACEMENT_BAR)
		iosys_map_set_vaddr_iomem(map, (void __iomem *)buf->vaddr);
	else
		iosys_map_set_vaddr(map, buf->vaddr);
	return 0;
}

static void p2p_exporter_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct p2p_buffer *buf = dmabuf->priv;

	dma_resv_assert_held(dmabuf->resv);

	buf->pin_count--;
	if (!--buf->vmap_count) {
		if (is_vmalloc_addr(buf->vaddr))
			vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
}

static void p2p_exporter_release(struct dma_buf *dmabuf)
{
	struct p2p_buffer *buf = dmabuf->priv;

	mutex_lock(&p2p_buffers_lock);
	list_del(&buf->node);
	mutex_unlock(&p2p_buffers_lock);

	/* The last reference: no importer, no mapping, no lock needed. */
	p2p_free_backing(buf);
	pci_dev_put(buf->provider);
	kfree(buf);
}

static const struct dma_buf_ops p2p_exporter_ops = {
	.attach = p2p_exporter_attach,
	.detach = p2p_exporter_detach,
	.pin = p2p_exporter_pin,
	.unpin = p2p_exporter_unpin,
	.map_dma_buf = p2p_exporter_map,
	.unmap_dma_buf = p2p_exporter_unmap,
	.begin_cpu_access = p2p_exporter_begin_cpu_access,
	.end_cpu_access = p2p_exporter_end_cpu_access,
	.mmap = p2p_exporter_mmap,
	.vmap = p2p_exporter_vmap,
	.vunmap = p2p_exporter_vunmap,
	.release = p2p_exporter_release,
};

/**
 * p2p_exporter_alloc - allocate a buffer on a provider and export it
 * @provider: a PCI function that publishes P2PDMA memory
 * @size: bytes, a multiple of PAGE_SIZE
 * @fd_flags: O_ACCMODE flags of the dma-buf's file
 *
 * Context: Process context.
 * Return: the dma-buf, or ERR_PTR(-ENOSPC) when the provider has no room,
 * ERR_PTR(-ENOMEM).
 */
struct dma_buf *p2p_exporter_alloc(struct pci_dev *provider, size_t size,
				   int fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct p2p_buffer *buf;
	struct dma_buf *dmabuf;
	unsigned int i;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->provider = pci_dev_get(provider);
	buf->size = size;
	buf->nr_pages = size >> PAGE_SHIFT;
	buf->placement = DMA_BUF_P2P_PLACEMENT_BAR;
	buf->fence_context = dma_fence_context_alloc(1);
	INIT_LIST_HEAD(&buf->mappings);

	buf->pages = kvmalloc_array(buf->nr_pages, sizeof(*buf->pages),
				    GFP_KERNEL);
	if (!buf->pages) {
		ret = -ENOMEM;
		goto out_free_buf;
	}

	/* A provider being unbound takes no new buffers. */
	mutex_lock(&p2p_buffers_lock);
	if (p2p_provider_dying(provider)) {
		ret = -ENODEV;
		goto out_unlock;
	}
	buf->stats = p2p_provider_stats(provider);
	if (!buf->stats) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = p2p_alloc_bar(buf, buf->pages, &buf->chunks, &buf->nr_chunks);
	if (ret)
		goto out_unlock;
	/* The memory may hold another user's data: hand it out cleared. */
	for (i = 0; i < buf->nr_chunks; i++)
		memset_io((void __iomem *)buf->chunks[i].kaddr, 0,
			  buf->chunks[i].size);

	exp.ops = &p2p_exporter_ops;
	exp.size = size;
	exp.flags = fd_flags;
	exp.priv = buf;
	dmabuf = dma_buf_export(&exp);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out_free_chunks;
	}
	/* The dma-buf owns buf from here: released in p2p_exporter_release. */
	buf->dmabuf = dmabuf;
	list_add_tail(&buf->node, &p2p_buffers);
	atomic64_inc(&buf->stats->allocs);
	mutex_unlock(&p2p_buffers_lock);
	return dmabuf;

out_free_chunks:
	p2p_free_chunks(provider, buf->chunks, buf->nr_chunks);
out_unlock:
	mutex_unlock(&p2p_buffers_lock);
	kvfree(buf->pages);
out_free_buf:
	pci_dev_put(buf->provider);
	kfree(buf);
	return ERR_PTR(ret);
}

/**
 * p2p_exporter_owns - whether a dma-buf is one of ours
 * @dmabuf: any dma-buf
 *
 * Context: Any context.
 * Return: true when p2p_exporter_alloc() made it.
 */
bool p2p_exporter_owns(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &p2p_exporter_ops;
}

static void p2p_pci_id(struct pci_dev *pdev, struct dma_buf_p2p_pci_id *id)
{
	if (!pdev) {
		id->domain = U32_MAX;
		id->bdf = U32_MAX;
		return;
	}
	id->domain = pci_domain_nr(pdev->bus);
	id->bdf = pci_dev_id(pdev);
}

/* Where @kaddr is in the provider's BARs. */
static u64 p2p_bar_offset(struct pci_dev *provider, void *kaddr)
{
	phys_addr_t phys = page_to_phys(virt_to_page(kaddr));
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (phys >= pci_resource_start(provider, bar) &&
		    phys <= pci_resource_end(provider, bar))
			return phys - pci_resource_start(provider, bar);
	return U64_MAX;
}

/**
 * p2p_exporter_query - report a buffer's state
 * @dmabuf: one of our dma-bufs
 * @q: filled in; q->nr_attachments and q->nr_chunks say on entry how many
 *	entries @att and @chunks have room for, on return how many there are
 * @att: attachment descriptions, or NULL
 * @chunks: BAR chunks, or NULL to hide where the buffer is
 *
 * Context: Process context; takes the reservation lock.
 * Return: 0, or -EINTR.
 */
int p2p_exporter_query(struct dma_buf *dmabuf, struct dma_buf_p2p_query *q,
		       struct dma_buf_p2p_attach_info *att,
		       struct dma_buf_p2p_chunk_info *chunks)
{
	struct p2p_buffer *buf = dmabuf->priv;
	struct dma_buf_attachment *attach;
	u32 n = 0, i;
	int ret;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;

	p2p_pci_id(buf->provider, &q->provider);
	q->size = buf->size;
	q->placement = buf->placement;
	q->pin_count = buf->pin_count;
	q->migrations_to_system = buf->migrations[DMA_BUF_P2P_PLACEMENT_SYSTEM];
	q->migrations_to_bar = buf->migrations[DMA_BUF_P2P_PLACEMENT_BAR];
	q->bytes_copied = buf->bytes_copied;
	q->maps_bus = buf->maps[DMA_BUF_P2P_MODE_BUS];
	q->maps_host_bridge = buf->maps[DMA_BUF_P2P_MODE_HOST_BRIDGE];
	q->maps_system = buf->maps[DMA_BUF_P2P_MODE_SYSTEM];

	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct p2p_attachment *a = attach->priv;

		if (att && n < q->nr_attachments) {
			struct dma_buf_p2p_attach_info *info = &att[n];

			strscpy(info->device, dev_name(attach->dev),
				sizeof(info->device));
			p2p_pci_id(a->pci, &info->pci);
			info->mode = a->mode;
			info->reason = a->reason;
			info->flags = (dma_buf_attachment_is_dynamic(attach) ?
				       DMA_BUF_P2P_ATTACH_DYNAMIC : 0) |
				      (a->sgt ? DMA_BUF_P2P_ATTACH_MAPPED : 0);
		}
		n++;
	}
	q->nr_attachments = n;

	if (chunks) {
		for (i = 0; i < buf->nr_chunks && i < q->nr_chunks; i++) {
			chunks[i].bar_offset =
				p2p_bar_offset(buf->provider,
					       buf->chunks[i].kaddr);
			chunks[i].size = buf->chunks[i].size;
		}
		q->nr_chunks = buf->nr_chunks;
	} else {
		q->nr_chunks = 0;
	}

	dma_resv_unlock(dmabuf->resv);
	return 0;
}

/**
 * p2p_exporter_migrate - move a buffer to the BAR or to system memory
 * @dmabuf: one of our dma-bufs
 * @placement: DMA_BUF_P2P_PLACEMENT_BAR or DMA_BUF_P2P_PLACEMENT_SYSTEM
 *
 * Context: Process context; takes the reservation lock.
 * Return: 0; -EBUSY when pinned, or when moving to the BAR while a static
 * importer that cannot reach it is attached; -ENOSPC; -EDQUOT when system
 * memory would pass max_system_bytes; -ENOMEM; -ETIMEDOUT when
 * importers do not finish their DMA in time; -EINTR.
 */
int p2p_exporter_migrate(struct dma_buf *dmabuf, u32 placement)
{
	struct p2p_buffer *buf = dmabuf->priv;
	int ret;

	/* Back to the BAR only while the provider is there to stay. */
	mutex_lock(&p2p_buffers_lock);
	if (placement == DMA_BUF_P2P_PLACEMENT_BAR &&
	    (p2p_provider_dying(buf->provider) ||
	     !pci_has_p2pmem(buf->provider))) {
		ret = -ENODEV;
		goto out_unlock_buffers;
	}

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		goto out_unlock_buffers;
	ret = p2p_move_check(buf->placement, placement, buf->pin_count,
			     placement == DMA_BUF_P2P_PLACEMENT_BAR &&
			     p2p_buffer_needs_system(buf, true));
	if (ret > 0)
		ret = p2p_buffer_move(buf, placement, false);
	dma_resv_unlock(dmabuf->resv);

out_unlock_buffers:
	mutex_unlock(&p2p_buffers_lock);
	return ret;
}

/* The probe's mapping never outlives the reservation lock it holds. */
static void p2p_probe_move_notify(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops p2p_probe_attach_ops = {
	.allow_peer2peer = true,
	.move_notify = p2p_probe_move_notify,
};

/* CRC-32 of the buffer read through dma_buf_vmap(), as zlib computes it. */
static int p2p_vmap_crc32(struct dma_buf *dmabuf, u32 *crc)
{
	struct iosys_map map;
	size_t off;
	void *page;
	int ret;

	dma_resv_assert_held(dmabuf->resv);
	page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	ret = dma_buf_vmap(dmabuf, &map);
	if (ret)
		goto out_free;

	*crc = ~0;
	for (off = 0; off < dmabuf->size; off += PAGE_SIZE) {
		iosys_map_memcpy_from(page, &map, off, PAGE_SIZE);
		*crc = crc32_le(*crc, page, PAGE_SIZE);
	}
	*crc = ~*crc;
	dma_buf_vunmap(dmabuf, &map);

out_free:
	kfree(page);
	return ret;
}

/**
 * p2p_exporter_probe - map a buffer for a device and report how it went
 * @dmabuf: one of our dma-bufs
 * @dev: the device to attach as
 * @probe: mode, reason, placement, nr_segments, bus_segments and size
 *	filled in; they are zero on entry
 *
 * The device is attached as a dynamic importer allowing P2P, the buffer is
 * mapped for it (moving to system memory if the device cannot reach the
 * BAR), read through a kernel vmap if probe->flags asks, then unmapped and
 * detached.
 *
 * Context: Process context; takes the reservation lock.
 * Return: 0, or the error attaching or mapping gave.
 */
int p2p_exporter_probe(struct dma_buf *dmabuf, struct device *dev,
		       struct dma_buf_p2p_probe *probe)
{
	struct p2p_buffer *buf = dmabuf->priv;
	struct dma_buf_attachment *attach;
	struct p2p_attachment *a;
	struct scatterlist *sg;
	struct sg_table *sgt;
	int ret, i;

	attach = dma_buf_dynamic_attach(dmabuf, dev, &p2p_probe_attach_ops,
					NULL);
	if (IS_ERR(attach))
		return PTR_ERR(attach);

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		goto out_detach;
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_unlock;
	}

	a = attach->priv;
	probe->mode = a->mode;
	probe->reason = a->reason;
	probe->placement = buf->placement;
	probe->nr_segments = sgt->nents;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		probe->size += sg_dma_len(sg);
		probe->bus_segments += sg_dma_is_bus_address(sg);
	}
	if (probe->flags & DMA_BUF_P2P_PROBE_VMAP)
		ret = p2p_vmap_crc32(dmabuf, &probe->vmap_crc32);
	dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);

out_unlock:
	dma_resv_unlock(dmabuf->resv);
out_detach:
	dma_buf_detach(dmabuf, attach);
	return ret;
}

/* Move every buffer out of @pdev's memory before its driver lets it go. */
static void p2p_exporter_revoke(struct pci_dev *pdev)
{
	struct p2p_dying_provider *dying;
	struct p2p_buffer *buf;
	int ret;

	dying = kmalloc(sizeof(*dying), GFP_KERNEL | __GFP_NOFAIL);
	dying->pdev = pdev;

	mutex_lock(&p2p_buffers_lock);
	list_add(&dying->node, &p2p_dying);
	list_for_each_entry(buf, &p2p_buffers, node) {
		if (buf->provider != pdev)
			continue;
		/* A buffer being released frees its p2pmem by itself. */
		if (!get_file_active(&buf->dmabuf->file))
			continue;

		dma_resv_lock(buf->dmabuf->resv, NULL);
		if (buf->vmap_count)
			ret = -EBUSY;
		else
			ret = p2p_buffer_move(buf, DMA_BUF_P2P_PLACEMENT_SYSTEM,
					      true);
		dma_resv_unlock(buf->dmabuf->resv);
		if (ret)
			pci_warn(pdev, "cannot move a %zu byte buffer out (%d): its teardown waits for it\n",
				 buf->size, ret);
		fput(buf->dmabuf->file);
	}
	mutex_unlock(&p2p_buffers_lock);
}

static void p2p_exporter_unrevoke(struct pci_dev *pdev)
{
	struct p2p_dying_provider *dying, *tmp;

	mutex_lock(&p2p_buffers_lock);
	list_for_each_entry_safe(dying, tmp, &p2p_dying, node) {
		if (dying->pdev == pdev) {
			list_del(&dying->node);
			kfree(dying);
		}
	}
	mutex_unlock(&p2p_buffers_lock);
}

static int p2p_exporter_bus_notify(struct notifier_block *nb,
				   unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_UNBIND_DRIVER:
		p2p_exporter_revoke(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
		/* A probe that failed after publishing p2pmem. */
		p2p_exporter_revoke(to_pci_dev(dev));
		p2p_exporter_unrevoke(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		p2p_exporter_unrevoke(to_pci_dev(dev));
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2p_exporter_bus_nb = {
	.notifier_call = p2p_exporter_bus_notify,
};

static const char *const p2p_mode_names[] = {
	[DMA_BUF_P2P_MODE_SYSTEM] = "system",
	[DMA_BUF_P2P_MODE_BUS] = "p2p-bus",
	[DMA_BUF_P2P_MODE_HOST_BRIDGE] = "p2p-host-bridge",
};

static const char *const p2p_reason_names[] = {
	[DMA_BUF_P2P_REASON_NONE] = "-",
	[DMA_BUF_P2P_REASON_NO_PEER2PEER] = "importer-needs-pages",
	[DMA_BUF_P2P_REASON_NOT_PCI] = "importer-not-pci",
	[DMA_BUF_P2P_REASON_NO_PATH] = "no-p2p-path",
};

static int p2p_providers_show(struct seq_file *m, void *unused)
{
	struct p2p_provider_stats *st;

	seq_puts(m, "provider allocs maps-bus maps-host-bridge maps-system migrations-to-system migrations-to-bar bytes-copied bytes-mapped-p2p\n");
	mutex_lock(&p2p_buffers_lock);
	list_for_each_entry(st, &p2p_providers, node)
		seq_printf(m, "%s %lld %lld %lld %lld %lld %lld %lld %lld\n",
			   pci_name(st->pdev), atomic64_read(&st->allocs),
			   atomic64_read(&st->maps[DMA_BUF_P2P_MODE_BUS]),
			   atomic64_read(&st->maps[DMA_BUF_P2P_MODE_HOST_BRIDGE]),
			   atomic64_read(&st->maps[DMA_BUF_P2P_MODE_SYSTEM]),
			   atomic64_read(&st->migrations[DMA_BUF_P2P_PLACEMENT_SYSTEM]),
			   atomic64_read(&st->migrations[DMA_BUF_P2P_PLACEMENT_BAR]),
			   atomic64_read(&st->bytes_copied),
			   atomic64_read(&st->bytes_mapped_p2p));
	mutex_unlock(&p2p_buffers_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2p_providers);

static void p2p_buffer_show(struct seq_file *m, struct p2p_buffer *buf)
{
	struct dma_buf_attachment *attach;
	unsigned int i;

	seq_printf(m, "buffer %lu provider %s size %zu placement %s pins %u vmaps %u migrations %llu/%llu\n",
		   file_inode(buf->dmabuf->file)->i_ino,
		   pci_name(buf->provider), buf->size,
		   buf->placement == DMA_BUF_P2P_PLACEMENT_BAR ? "bar" : "system",
		   buf->pin_count, buf->vmap_count,
		   buf->migrations[DMA_BUF_P2P_PLACEMENT_SYSTEM],
		   buf->migrations[DMA_BUF_P2P_PLACEMENT_BAR]);
	for (i = 0; i < buf->nr_chunks; i++)
		seq_printf(m, "  chunk bar-offset %#llx size %zu\n",
			   p2p_bar_offset(buf->provider, buf->chunks[i].kaddr),
			   buf->chunks[i].size);
	list_for_each_entry(attach, &buf->dmabuf->attachments, node) {
		struct p2p_attachment *a = attach->priv;

		seq_printf(m, "  attachment %s mode %s reason %s%s%s\n",
			   dev_name(attach->dev), p2p_mode_names[a->mode],
			   p2p_reason_names[a->reason],
			   dma_buf_attachment_is_dynamic(attach) ? " dynamic" : "",
			   a->sgt ? " mapped" : "");
	}
}

static int p2p_buffers_show(struct seq_file *m, void *unused)
{
	struct p2p_buffer *buf;
	int ret = 0;

	mutex_lock(&p2p_buffers_lock);
	list_for_each_entry(buf, &p2p_buffers, node) {
		if (!get_file_active(&buf->dmabuf->file))
			continue;
		ret = dma_resv_lock_interruptible(buf->dmabuf->resv, NULL);
		if (!ret) {
			p2p_buffer_show(m, buf);
			dma_resv_unlock(buf->dmabuf->resv);
		}
		fput(buf->dmabuf->file);
		if (ret)
			break;
	}
	mutex_unlock(&p2p_buffers_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(p2p_buffers);

/**
 * p2p_exporter_init - watch providers for removal, create debugfs files
 *
 * Context: Module init.
 * Return: 0 or a negative errno.
 */
int p2p_exporter_init(void)
{
	int ret;

	max_system_bytes = totalram_pages() / 2 * PAGE_SIZE;
	p2p_debugfs = debugfs_create_dir("dma-buf-p2p", NULL);
	debugfs_create_file("providers", 0400, p2p_debugfs, NULL,
			    &p2p_providers_fops);
	debugfs_create_file("buffers", 0400, p2p_debugfs, NULL,
			    &p2p_buffers_fops);
	ret = bus_register_notifier(&pci_bus_type, &p2p_exporter_bus_nb);
	if (ret)
		debugfs_remove_recursive(p2p_debugfs);
	return ret;
}

/**
 * p2p_exporter_exit - undo p2p_exporter_init()
 *
 * Context: Module exit; every buffer is gone (each holds the module).
 */
void p2p_exporter_exit(void)
{
	struct p2p_provider_stats *stats, *tmp;

	bus_unregister_notifier(&pci_bus_type, &p2p_exporter_bus_nb);
	debugfs_remove_recursive(p2p_debugfs);
	list_for_each_entry_safe(stats, tmp, &p2p_providers, node) {
		pci_dev_put(stats->pdev);
		kfree(stats);
	}
}
