// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf P2P importer: any DMA-BUF as DMA segments for one device, mapped
 * once, cached, and safe across the exporter's moves.
 *
 * An import is a dynamic attachment with allow_peer2peer, shared by every
 * user of the same (buffer, device) pair through a cache.  Its current map
 * is published under RCU; I/O takes a reference on it (percpu_ref, so the
 * hot path touches no shared cache line) and drops it when the device is
 * done with the addresses.
 *
 * In-flight DMA across moves is kept safe by a synchronous drain, not by
 * fences: move_notify() (reservation lock held) unpublishes the map, kills
 * its reference, waits until every holder has dropped it and unmaps.  That
 * wait needs nothing from the exporter or the reservation lock, so it cannot
 * close a lock cycle (the fence-based design of the io_uring dma-buf RFC
 * deadlocked against amdgpu's restore worker and TTM); it is bounded by the
 * device's own I/O timeout.  Holders must therefore never wait on the
 * reservation lock, or on anything that does, while they hold a map
 * reference.
 *
 * The cache keeps a reference on each buffer it holds.  A reaper drops a
 * buffer's imports once the cache holds the last references to its file,
 * i.e. about a second after userspace closed its last fd and the last I/O
 * finished, so cached mappings never keep freed buffers alive.
 */
#define pr_fmt(fmt) "dma-buf-p2p-import: " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-p2p.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/* How long one wait for an exporter's fences may take. */
#define P2P_IMPORT_FENCE_TIMEOUT	(10 * HZ)
/* How often the drain in move_notify complains about slow I/O. */
#define P2P_IMPORT_DRAIN_WARN		(10 * HZ)
/* How often the reaper looks for buffers nobody else holds. */
#define P2P_IMPORT_REAP_PERIOD		HZ

struct p2p_import_seg {
	u64 offset;		/* of the segment's first byte in the buffer */
	dma_addr_t addr;
	u32 len;
};

struct dma_buf_p2p_map {
	struct percpu_ref users;	/* holders that may use the addresses */
	struct completion drained;	/* users hit zero after the kill */
	struct dma_buf_p2p_import *imp;
	struct sg_table *sgt;		/* NULL for a CPU-only import */
	struct p2p_import_seg *segs;
	unsigned int nr_segs;
	u64 size;			/* bytes the segments cover */
	bool bus_addr;			/* every segment is a PCI bus address */
	bool need_sync;			/* streaming DMA needs cache syncs */
	/*
	 * The exporter's KERNEL fences when the map was made (a move it
	 * may still be copying): no DMA before it signals.  NULL if none.
	 */
	struct dma_fence *ready;
	struct rcu_head rcu;
};

struct dma_buf_p2p_import {
	struct kref ref;		/* the cache's and each user's */
	atomic_t users;			/* references other than the cache's */
	struct hlist_node hnode;	/* in p2p_imports while cached */
	struct list_head node;		/* on a list of imports to drop */
	bool cached;
	struct dma_buf *dmabuf;		/* our reference */
	struct device *dev;		/* NULL: the CPU only; referenced */
	struct dma_buf_attachment *attach;
	/*
	 * The map users get; changes only under dmabuf->resv.  Readers
	 * take a reference under rcu_read_lock(), freed maps wait for a
	 * grace period.
	 */
	struct dma_buf_p2p_map __rcu *map;
	bool dead;			/* no new maps; under dmabuf->resv */
};

/*
 * Protects p2p_imports (keyed by buffer) and each import's hnode and cached
 * flag, and orders cache lookups against the reaper's reference checks.
 * Never held while taking a reservation lock, nor taken under one.
 */
static DEFINE_MUTEX(p2p_imports_lock);
static DEFINE_HASHTABLE(p2p_imports, 8);
static unsigned int p2p_imports_nr;	/* cached imports */

static void p2p_import_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(p2p_import_reaper, p2p_import_reap);

static struct {
	atomic64_t imports;		/* alive now */
	atomic64_t maps;		/* created */
	atomic64_t invalidations;	/* maps dropped on move_notify */
	atomic64_t cpu_bytes;		/* copied by the CPU helpers */
} p2p_import_stats;

static void p2p_map_drained(struct percpu_ref *ref)
{
	struct dma_buf_p2p_map *map = container_of(ref, struct dma_buf_p2p_map,
						   users);

	complete(&map->drained);
}

static void p2p_map_free_rcu(struct rcu_head *rcu)
{
	struct dma_buf_p2p_map *map = container_of(rcu, struct dma_buf_p2p_map,
						   rcu);

	dma_fence_put(map->ready);
	kvfree(map->segs);
	kfree(map);
}

static struct dma_buf_p2p_map *p2p_map_alloc(struct dma_buf_p2p_import *imp)
{
	struct dma_buf_p2p_map *map;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;
	if (percpu_ref_init(&map->users, p2p_map_drained, 0, GFP_KERNEL)) {
		kfree(map);
		return NULL;
	}
	init_completion(&map->drained);
	map->imp = imp;
	return map;
}

/* Flattens the device's DMA view so that an offset finds its segment fast. */
static int p2p_map_index(struct dma_buf_p2p_map *map)
{
	struct scatterlist *sg;
	u64 offset = 0;
	unsigned int i;

	map->nr_segs = map->sgt->nents;
	map->segs = kvcalloc(map->nr_segs, sizeof(*map->segs), GFP_KERNEL);
	if (!map->segs)
		return -ENOMEM;

	map->bus_addr = true;
	for_each_sgtable_dma_sg(map->sgt, sg, i) {
		map->segs[i].offset = offset;
		map->segs[i].addr = sg_dma_address(sg);
		map->segs[i].len = sg_dma_len(sg);
		offset += sg_dma_len(sg);
		if (sg_dma_is_bus_address(sg))
			continue;
		map->bus_addr = false;
		/* Any segment bounced or not coherent: sync them all. */
		if (!map->need_sync &&
		    dma_need_sync(map->imp->dev, sg_dma_address(sg)))
			map->need_sync = true;
	}
	map->size = offset;
	return 0;
}

/* Maps the buffer for the import's device; reservation lock held. */
static struct dma_buf_p2p_map *p2p_map_create(struct dma_buf_p2p_import *imp)
{
	struct dma_buf_p2p_map *map;
	int ret;

	dma_resv_assert_held(imp->dmabuf->resv);

	map = p2p_map_alloc(imp);
	if (!map)
		return ERR_PTR(-ENOMEM);

	map->sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(map->sgt)) {
		ret = PTR_ERR(map->sgt);
		goto out_free_map;
	}
	ret = p2p_map_index(map);
	if (ret)
		goto out_unmap;
	/* Exporters may hand out the map before their copy has finished. */
	ret = dma_resv_get_singleton(imp->dmabuf->resv, DMA_RESV_USAGE_KERNEL,
				     &map->ready);
	if (ret)
		goto out_free_segs;
	atomic64_inc(&p2p_import_stats.maps);
	return map;

out_free_segs:
	kvfree(map->segs);
out_unmap:
	dma_buf_unmap_attachment(imp->attach, map->sgt, DMA_BIDIRECTIONAL);
out_free_map:
	percpu_ref_exit(&map->users);
	kfree(map);
	return ERR_PTR(ret);
}

/*
 * Unpublishes the current map, waits until no I/O uses it and unmaps it.
 * Reservation lock held (for a CPU-only import: the last reference gone).
 */
static void p2p_import_invalidate(struct dma_buf_p2p_import *imp)
{
	struct dma_buf_p2p_map *map;

	map = rcu_dereference_protected(imp->map,
					!imp->attach ||
					dma_resv_held(imp->dmabuf->resv));
	if (!map)
		return;
	RCU_INIT_POINTER(imp->map, NULL);

	percpu_ref_kill(&map->users);
	/* Bounded by the device's I/O timeout, after which it fails the I/O. */
	while (!wait_for_completion_timeout(&map->drained,
					    P2P_IMPORT_DRAIN_WARN))
		dev_warn(imp->dev, "still waiting for I/O on a moving dma-buf\n");

	if (map->sgt)
		dma_buf_unmap_attachment(imp->attach, map->sgt,
					 DMA_BIDIRECTIONAL);
	/* A dead ref fails every later tryget; RCU readers may still look. */
	percpu_ref_exit(&map->users);
	call_rcu(&map->rcu, p2p_map_free_rcu);
}

static void p2p_import_move_notify(struct dma_buf_attachment *attach)
{
	struct dma_buf_p2p_import *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (rcu_access_pointer(imp->map))
		atomic64_inc(&p2p_import_stats.invalidations);
	p2p_import_invalidate(imp);
}

static const struct dma_buf_attach_ops p2p_import_attach_ops = {
	.allow_peer2peer = true,
	.move_notify = p2p_import_move_notify,
};

static struct dma_buf_p2p_import *p2p_import_create(struct dma_buf *dmabuf,
						    struct device *dev)
{
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	int ret;

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return ERR_PTR(-ENOMEM);
	kref_init(&imp->ref);
	INIT_HLIST_NODE(&imp->hnode);
	INIT_LIST_HEAD(&imp->node);
	get_dma_buf(dmabuf);
	imp->dmabuf = dmabuf;

	if (!dev) {
		/* The CPU needs no mapping: one map that never goes away. */
		map = p2p_map_alloc(imp);
		if (!map) {
			ret = -ENOMEM;
			goto out_put_dmabuf;
		}
		map->size = dmabuf->size;
		RCU_INIT_POINTER(imp->map, map);
		goto out_count;
	}

	imp->dev = get_device(dev);
	imp->attach = dma_buf_dynamic_attach(dmabuf, dev,
					     &p2p_import_attach_ops, imp);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		goto out_put_device;
	}

out_count:
	atomic64_inc(&p2p_import_stats.imports);
	return imp;

out_put_device:
	put_device(imp->dev);
out_put_dmabuf:
	dma_buf_put(dmabuf);
	kfree(imp);
	return ERR_PTR(ret);
}

static void p2p_import_release(struct kref *ref)
{
	struct dma_buf_p2p_import *imp = container_of(ref, typeof(*imp), ref);

	if (imp->attach) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		imp->dead = true;
		p2p_import_invalidate(imp);
		dma_resv_unlock(imp->dmabuf->resv);
		dma_buf_detach(imp->dmabuf, imp->attach);
		put_device(imp->dev);
	} else {
		p2p_import_invalidate(imp);
	}
	dma_buf_put(imp->dmabuf);
	atomic64_dec(&p2p_import_stats.imports);
	kfree(imp);
}

static struct dma_buf_p2p_import *p2p_import_lookup(struct dma_buf *dmabuf,
						    struct device *dev)
{
	struct dma_buf_p2p_import *imp;

	lockdep_assert_held(&p2p_imports_lock);
	hash_for_each_possible(p2p_imports, imp, hnode, (unsigned long)dmabuf) {
		if (imp->dmabuf == dmabuf && imp->dev == dev) {
			kref_get(&imp->ref);
			return imp;
		}
	}
	return NULL;
}

/**
 * dma_buf_p2p_import_get() - the import of a buffer for a device
 * @dmabuf: any DMA-BUF
 * @dev: the device that will DMA to and from it, or NULL for the CPU only
 *	(for users that copy with dma_buf_p2p_cpu_begin() and friends but
 *	want one code path with devices that DMA)
 *
 * Finds the cached import of @dmabuf for @dev or attaches @dev (dynamically,
 * peer-to-peer capable) and caches the new import.  The cache holds a
 * reference to @dmabuf until the caller and every other holder of the
 * buffer's file have let go.
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: the import, with a reference for the caller, or an ERR_PTR()
 * (the exporter's errno from the attach, or -ENOMEM).
 */
struct dma_buf_p2p_import *dma_buf_p2p_import_get(struct dma_buf *dmabuf,
						  struct device *dev)
{
	struct dma_buf_p2p_import *imp, *found;

	mutex_lock(&p2p_imports_lock);
	imp = p2p_import_lookup(dmabuf, dev);
	mutex_unlock(&p2p_imports_lock);
	if (imp)
		goto out_user;

	/* Attaching may take the reservation lock: outside the cache lock. */
	imp = p2p_import_create(dmabuf, dev);
	if (IS_ERR(imp))
		return imp;

	mutex_lock(&p2p_imports_lock);
	found = p2p_import_lookup(dmabuf, dev);
	if (!found) {
		kref_get(&imp->ref);	/* the cache's */
		hash_add(p2p_imports, &imp->hnode, (unsigned long)dmabuf);
		imp->cached = true;
		p2p_imports_nr++;
		/* Never postponed: a steady stream of imports must not starve it. */
		queue_delayed_work(system_wq, &p2p_import_reaper,
				   P2P_IMPORT_REAP_PERIOD);
	}
	mutex_unlock(&p2p_imports_lock);

	if (found) {
		kref_put(&imp->ref, p2p_import_release);
		imp = found;
	}
out_user:
	atomic_inc(&imp->users);
	return imp;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_import_get);

/**
 * dma_buf_p2p_import_get_fd() - the import of a buffer given by fd
 * @fd: a DMA-BUF file descriptor of the calling process
 * @dev: as for dma_buf_p2p_import_get()
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: the import, or an ERR_PTR(): -EBADF when @fd is not open,
 * -EINVAL when it is not a DMA-BUF, or as dma_buf_p2p_import_get().
 */
struct dma_buf_p2p_import *dma_buf_p2p_import_get_fd(int fd,
						     struct device *dev)
{
	struct dma_buf_p2p_import *imp;
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	imp = dma_buf_p2p_import_get(dmabuf, dev);
	dma_buf_put(dmabuf);	/* the import holds its own reference */
	return imp;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_import_get_fd);

/*
 * Without CONFIG_DMABUF_MOVE_NOTIFY the dma-buf core pins what a dynamic
 * importer maps (the exporter may never move it), so a cached map would pin
 * the buffer until it is closed and refuse every other importer that needs
 * it elsewhere.  There, the map goes when the last user lets go of the
 * import, and the next user maps (and pins) again.
 *
 * Maps are made under the reservation lock by users, so the check under
 * that lock is final: a user that came after the count reached zero keeps
 * the map it made, and unmaps it in its own last put.
 */
static void p2p_import_unpin(struct dma_buf_p2p_import *imp)
{
	dma_resv_lock(imp->dmabuf->resv, NULL);
	if (!atomic_read(&imp->users))
		p2p_import_invalidate(imp);
	dma_resv_unlock(imp->dmabuf->resv);
}

/**
 * dma_buf_p2p_import_put() - drop a reference to an import
 * @imp: the import, or an ERR_PTR() or NULL (ignored)
 *
 * The caller must hold no map reference of @imp any more.  Without
 * CONFIG_DMABUF_MOVE_NOTIFY, the last user's put also unmaps (unpins).
 *
 * Context: process context, may sleep; no reservation lock held.
 */
void dma_buf_p2p_import_put(struct dma_buf_p2p_import *imp)
{
	if (IS_ERR_OR_NULL(imp))
		return;
	if (atomic_dec_and_test(&imp->users) &&
	    !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) && imp->attach)
		p2p_import_unpin(imp);
	kref_put(&imp->ref, p2p_import_release);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_import_put);

/**
 * dma_buf_p2p_import_dmabuf() - the buffer an import is of
 * @imp: the import
 *
 * Return: the DMA-BUF, valid while the caller holds @imp.
 */
struct dma_buf *dma_buf_p2p_import_dmabuf(const struct dma_buf_p2p_import *imp)
{
	return imp->dmabuf;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_import_dmabuf);

/**
 * dma_buf_p2p_import_device() - the device an import is for
 * @imp: the import
 *
 * Return: the device, or NULL for a CPU-only import.
 */
struct device *dma_buf_p2p_import_device(const struct dma_buf_p2p_import *imp)
{
	return imp->dev;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_import_device);

/* Whether the cache holds every reference to @imp's buffer; cache locked. */
static bool p2p_import_orphaned(struct dma_buf_p2p_import *imp)
{
	struct dma_buf_p2p_import *other;
	long cache_refs = 0;

	lockdep_assert_held(&p2p_imports_lock);
	hash_for_each_possible(p2p_imports, other, hnode,
			       (unsigned long)imp->dmabuf) {
		if (other->dmabuf != imp->dmabuf)
			continue;
		if (kref_read(&other->ref) > 1)
			return false;	/* in use */
		cache_refs++;
	}
	return file_count(imp->dmabuf->file) <= cache_refs;
}

/*
 * Moves from the cache to @out the imports of @dev, or (@dev NULL) those of
 * buffers nobody else holds; cache lock held.
 */
static void p2p_import_collect(struct list_head *out, struct device *dev)
{
	struct dma_buf_p2p_import *imp;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&p2p_imports_lock);
	/* Decide first: moving changes what p2p_import_orphaned() counts. */
	hash_for_each(p2p_imports, bkt, imp, hnode)
		imp->cached = dev ? imp->dev != dev : !p2p_import_orphaned(imp);
	hash_for_each_safe(p2p_imports, bkt, tmp, imp, hnode) {
		if (imp->cached)
			continue;
		hash_del(&imp->hnode);
		p2p_imports_nr--;
		list_add_tail(&imp->node, out);
	}
}

static void p2p_import_put_list(struct list_head *list)
{
	struct dma_buf_p2p_import *imp, *next;

	list_for_each_entry_safe(imp, next, list, node) {
		list_del_init(&imp->node);
		kref_put(&imp->ref, p2p_import_release);
	}
}

static void p2p_import_reap(struct work_struct *work)
{
	LIST_HEAD(reaped);
	bool more;

	mutex_lock(&p2p_imports_lock);
	p2p_import_collect(&reaped, NULL);
	more = p2p_imports_nr;
	mutex_unlock(&p2p_imports_lock);

	p2p_import_put_list(&reaped);
	if (more)
		schedule_delayed_work(&p2p_import_reaper,
				      P2P_IMPORT_REAP_PERIOD);
}

/**
 * dma_buf_p2p_forget_device() - drop every cached import of a device
 * @dev: a device going away (a driver's remove, after its I/O was failed)
 *
 * Imports still in use stay alive until their users let go, but make no new
 * maps (dma_buf_p2p_map_get() returns -ENODEV); the others are unmapped and
 * detached before this returns.
 *
 * Context: process context, may sleep; no reservation lock held.
 */
void dma_buf_p2p_forget_device(struct device *dev)
{
	struct dma_buf_p2p_import *imp;
	LIST_HEAD(gone);

	mutex_lock(&p2p_imports_lock);
	p2p_import_collect(&gone, dev);
	mutex_unlock(&p2p_imports_lock);

	list_for_each_entry(imp, &gone, node) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		imp->dead = true;
		p2p_import_invalidate(imp);
		dma_resv_unlock(imp->dmabuf->resv);
	}
	p2p_import_put_list(&gone);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_forget_device);

/**
 * dma_buf_p2p_wait_idle() - wait for the buffer's fences before DMA
 * @dmabuf: the buffer
 * @write: the coming access writes the buffer (wait for readers too)
 *
 * Implicit synchronisation with the buffer's other users (a GPU still
 * writing it, say), bounded to 10 seconds.
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: 0, -ETIMEDOUT, or -ERESTARTSYS on a signal.
 */
int dma_buf_p2p_wait_idle(struct dma_buf *dmabuf, bool write)
{
	long ret;

	ret = dma_resv_wait_timeout(dmabuf->resv, dma_resv_usage_rw(write),
				    true, P2P_IMPORT_FENCE_TIMEOUT);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_wait_idle);

/* The exporter's own work on the buffer (a move) must end before DMA. */
static int p2p_import_wait_kernel(struct dma_buf *dmabuf, bool intr)
{
	long ret;

	ret = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_KERNEL, intr,
				    P2P_IMPORT_FENCE_TIMEOUT);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

static struct dma_buf_p2p_map *p2p_map_tryget(struct dma_buf_p2p_import *imp)
{
	struct dma_buf_p2p_map *map;

	/* Pairs with call_rcu() in p2p_import_invalidate(). */
	rcu_read_lock();
	map = rcu_dereference(imp->map);
	if (map && !percpu_ref_tryget_live_rcu(&map->users))
		map = NULL;
	rcu_read_unlock();
	return map;
}

/* The slow path: map the buffer for the device under its lock. */
static struct dma_buf_p2p_map *p2p_map_get_locked(struct dma_buf_p2p_import *imp,
						  bool *new, bool intr)
{
	struct dma_resv *resv = imp->dmabuf->resv;
	struct dma_buf_p2p_map *map;
	int ret;

	/* Pending moves end first, so that we never hold the lock for them. */
	ret = p2p_import_wait_kernel(imp->dmabuf, intr);
	if (ret)
		return ERR_PTR(ret);

	if (intr) {
		ret = dma_resv_lock_interruptible(resv, NULL);
		if (ret)
			return ERR_PTR(ret);
	} else {
		dma_resv_lock(resv, NULL);
	}
	/* Under the lock the published map is live: kills unpublish first. */
	map = rcu_dereference_protected(imp->map, dma_resv_held(resv));
	if (map) {
		percpu_ref_get(&map->users);
	} else if (imp->dead) {
		map = ERR_PTR(-ENODEV);
	} else {
		map = p2p_map_create(imp);
		if (!IS_ERR(map)) {
			percpu_ref_get(&map->users);
			rcu_assign_pointer(imp->map, map);
			*new = true;
		}
	}
	dma_resv_unlock(resv);
	return map;
}

/**
 * dma_buf_p2p_map_get_flags() - a reference on the device's current map
 * @imp: the import
 * @created: set to true when this call had to map the buffer (may be NULL)
 * @flags: DMA_BUF_P2P_MAP_NOWAIT: fail with -EAGAIN rather than sleep (the
 *	map must be made, or the exporter's copy into it is still running);
 *	DMA_BUF_P2P_MAP_UNINTERRUPTIBLE: no signal ends the waits (for I/O
 *	submission that cannot restart; the fence wait is still bounded)
 *
 * The fast path takes a reference on the published map without a lock.
 * Otherwise the buffer is mapped for the device under its reservation lock,
 * after the exporter's pending moves have finished (waited for outside the
 * lock, so that an exporter blocked on its fences is never also blocked on
 * us).  Either way the exporter's copy into the memory behind the map (its
 * KERNEL fences when the map was made) has finished when this returns.
 * The addresses stay valid until the reference is dropped: a move
 * waits for it.  So the holder must drop it in finite time and must not
 * wait, while holding it, for this buffer's reservation lock.
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: the map, or an ERR_PTR(): -ENODEV when the device is gone,
 * -EAGAIN (NOWAIT) where it would sleep, -ERESTARTSYS on a signal
 * (without UNINTERRUPTIBLE), -ETIMEDOUT when the exporter's fences do not
 * signal in 10 seconds, or the exporter's errno from mapping (-EBUSY: the
 * buffer is pinned where this device cannot reach it).
 */
struct dma_buf_p2p_map *
dma_buf_p2p_map_get_flags(struct dma_buf_p2p_import *imp, bool *created,
			  unsigned int flags)
{
	bool intr = !(flags & DMA_BUF_P2P_MAP_UNINTERRUPTIBLE);
	struct dma_buf_p2p_map *map;
	struct dma_fence *ready;
	bool new = false;
	long ret;

	for (;;) {
		map = p2p_map_tryget(imp);
		if (!map) {
			if (flags & DMA_BUF_P2P_MAP_NOWAIT)
				return ERR_PTR(-EAGAIN);
			map = p2p_map_get_locked(imp, &new, intr);
			if (IS_ERR(map))
				return map;
		}
		/*
		 * Until the exporter's copy into the mapped memory is done,
		 * wait for it, holding no reference: the copy's mover may be
		 * waiting in move_notify for references to drain.
		 */
		ready = map->ready;
		if (likely(!ready || dma_fence_is_signaled(ready)))
			break;
		dma_fence_get(ready);
		dma_buf_p2p_map_put(map);
		if (flags & DMA_BUF_P2P_MAP_NOWAIT) {
			dma_fence_put(ready);
			return ERR_PTR(-EAGAIN);
		}
		ret = dma_fence_wait_timeout(ready, intr,
					     P2P_IMPORT_FENCE_TIMEOUT);
		dma_fence_put(ready);
		if (ret <= 0)
			return ERR_PTR(ret ?: -ETIMEDOUT);
	}
	if (created)
		*created = new;
	return map;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_get_flags);

/**
 * dma_buf_p2p_map_get() - a reference on the device's current map
 * @imp: the import
 * @created: set to true when this call had to map the buffer (may be NULL)
 *
 * dma_buf_p2p_map_get_flags() with no flags: waits interruptibly.
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: as dma_buf_p2p_map_get_flags().
 */
struct dma_buf_p2p_map *dma_buf_p2p_map_get(struct dma_buf_p2p_import *imp,
					    bool *created)
{
	return dma_buf_p2p_map_get_flags(imp, created, 0);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_get);

/**
 * dma_buf_p2p_map_put() - drop a map reference
 * @map: the map
 *
 * After this the device must not touch the map's addresses.
 *
 * Context: any context, including interrupts (I/O completion).
 */
void dma_buf_p2p_map_put(struct dma_buf_p2p_map *map)
{
	percpu_ref_put(&map->users);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_put);

/**
 * dma_buf_p2p_map_import() - the import a map belongs to
 * @map: the map
 *
 * Return: the import.
 */
struct dma_buf_p2p_import *dma_buf_p2p_map_import(const struct dma_buf_p2p_map *map)
{
	return map->imp;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_import);

/**
 * dma_buf_p2p_map_is_bus_addr() - whether the device reaches the buffer
 *	through PCI bus addresses (peer-to-peer below a switch)
 * @map: the map
 *
 * Return: true when every segment is a PCI bus address.
 */
bool dma_buf_p2p_map_is_bus_addr(const struct dma_buf_p2p_map *map)
{
	return map->sgt && map->bus_addr;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_is_bus_addr);

/**
 * dma_buf_p2p_map_sync() - make a range coherent for the device or the CPU
 * @map: the map
 * @offset: first byte of the range in the buffer
 * @len: bytes
 * @dir: the DMA direction of the I/O
 * @for_device: before the device's access; after it when false
 *
 * Does nothing where DMA is coherent and for peer-to-peer addresses.
 *
 * Context: any context.
 */
void dma_buf_p2p_map_sync(const struct dma_buf_p2p_map *map, u64 offset,
			  u64 len, enum dma_data_direction dir, bool for_device)
{
	struct dma_buf_p2p_iter iter;
	dma_addr_t addr;
	u32 n;

	if (likely(!map->need_sync))
		return;
	if (dma_buf_p2p_iter_init(&iter, map, offset, len))
		return;
	while (dma_buf_p2p_iter_next(&iter, &addr, &n)) {
		if (for_device)
			dma_sync_single_for_device(map->imp->dev, addr, n, dir);
		else
			dma_sync_single_for_cpu(map->imp->dev, addr, n, dir);
	}
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_map_sync);

/**
 * dma_buf_p2p_iter_init() - start walking the DMA segments of a range
 * @iter: the iterator
 * @map: a map the caller holds a reference on
 * @offset: first byte of the range in the buffer
 * @len: bytes in the range
 *
 * Finds the segment holding @offset in O(log segments).
 *
 * Context: any context.
 * Return: 0; -EINVAL for a CPU-only map; -ERANGE when the range is not
 * inside the mapped buffer.
 */
int dma_buf_p2p_iter_init(struct dma_buf_p2p_iter *iter,
			  const struct dma_buf_p2p_map *map, u64 offset, u64 len)
{
	unsigned int lo = 0, hi;

	if (!map->sgt)
		return -EINVAL;
	if (offset > map->size || len > map->size - offset)
		return -ERANGE;

	/* The last segment starting at or before @offset. */
	hi = map->nr_segs;
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (map->segs[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	iter->map = map;
	iter->seg = lo;
	iter->seg_off = offset - (map->nr_segs ? map->segs[lo].offset : 0);
	iter->left = len;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_iter_init);

/**
 * dma_buf_p2p_iter_next() - the next DMA address and length of the range
 * @iter: the iterator
 * @addr: the address to DMA to or from
 * @len: bytes at @addr, up to the end of the segment or of the range
 *
 * Context: any context.
 * Return: false when the range is exhausted.
 */
bool dma_buf_p2p_iter_next(struct dma_buf_p2p_iter *iter, dma_addr_t *addr,
			   u32 *len)
{
	const struct p2p_import_seg *seg;
	u64 n;

	if (!iter->left)
		return false;
	seg = &iter->map->segs[iter->seg];
	n = min_t(u64, seg->len - iter->seg_off, iter->left);
	*addr = seg->addr + iter->seg_off;
	*len = n;

	iter->left -= n;
	iter->seg_off += n;
	if (iter->seg_off == seg->len) {
		iter->seg++;
		iter->seg_off = 0;
	}
	return true;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_iter_next);

/**
 * dma_buf_p2p_cpu_begin() - open a CPU access window on a buffer
 * @cpu: the window to fill
 * @dmabuf: the buffer
 * @dir: DMA_FROM_DEVICE to read it, DMA_TO_DEVICE to write it,
 *	DMA_BIDIRECTIONAL for both
 *
 * Maps the whole buffer into the kernel (which, for exporters that move,
 * keeps it where it is until dma_buf_p2p_cpu_end()) and makes it coherent
 * for the CPU.  For devices that cannot DMA to the buffer.
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: 0 or the exporter's errno (-EOPNOTSUPP when it has no vmap).
 */
int dma_buf_p2p_cpu_begin(struct dma_buf_p2p_cpu *cpu, struct dma_buf *dmabuf,
			  enum dma_data_direction dir)
{
	int ret;

	cpu->dmabuf = dmabuf;
	cpu->dir = dir;
	if (!dmabuf->ops->vmap)
		return -EOPNOTSUPP;
	ret = dma_buf_vmap_unlocked(dmabuf, &cpu->vmap);
	if (ret)
		return ret;
	ret = dma_buf_begin_cpu_access(dmabuf, dir);
	if (ret)
		dma_buf_vunmap_unlocked(dmabuf, &cpu->vmap);
	return ret;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_cpu_begin);

/**
 * dma_buf_p2p_cpu_write() - copy into the buffer
 * @cpu: an open window
 * @offset: where in the buffer
 * @src: kernel memory
 * @len: bytes; the caller checked the range against the buffer's size
 *
 * Context: any context the window was opened in.
 */
void dma_buf_p2p_cpu_write(struct dma_buf_p2p_cpu *cpu, u64 offset,
			   const void *src, size_t len)
{
	iosys_map_memcpy_to(&cpu->vmap, offset, src, len);
	atomic64_add(len, &p2p_import_stats.cpu_bytes);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_cpu_write);

/**
 * dma_buf_p2p_cpu_read() - copy out of the buffer
 * @cpu: an open window
 * @dst: kernel memory
 * @offset: where in the buffer
 * @len: bytes; the caller checked the range against the buffer's size
 *
 * Context: any context the window was opened in.
 */
void dma_buf_p2p_cpu_read(struct dma_buf_p2p_cpu *cpu, void *dst, u64 offset,
			  size_t len)
{
	iosys_map_memcpy_from(dst, &cpu->vmap, offset, len);
	atomic64_add(len, &p2p_import_stats.cpu_bytes);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_cpu_read);

/**
 * dma_buf_p2p_cpu_clear() - clear a range of the buffer
 * @cpu: an open window
 * @offset: where in the buffer
 * @len: bytes; the caller checked the range against the buffer's size
 *
 * Context: any context the window was opened in.
 */
void dma_buf_p2p_cpu_clear(struct dma_buf_p2p_cpu *cpu, u64 offset, size_t len)
{
	iosys_map_memset(&cpu->vmap, offset, 0, len);
	atomic64_add(len, &p2p_import_stats.cpu_bytes);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_cpu_clear);

/**
 * dma_buf_p2p_clear() - clear a range of a buffer with the CPU
 * @dmabuf: the buffer
 * @offset: where in the buffer
 * @len: bytes; the caller checked the range against the buffer's size
 *
 * What direct I/O into a buffer reads from holes, unwritten extents and
 * past end of file (iov_iter_zero() of an ITER_DMABUF iterator).
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: 0 or the exporter's errno from CPU access.
 */
int dma_buf_p2p_clear(struct dma_buf *dmabuf, u64 offset, u64 len)
{
	struct dma_buf_p2p_cpu cpu;
	int ret;

	ret = dma_buf_p2p_cpu_begin(&cpu, dmabuf, DMA_TO_DEVICE);
	if (ret)
		return ret;
	dma_buf_p2p_cpu_clear(&cpu, offset, len);
	return dma_buf_p2p_cpu_end(&cpu);
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_clear);

/**
 * dma_buf_p2p_cpu_end() - close a CPU access window
 * @cpu: the window dma_buf_p2p_cpu_begin() opened
 *
 * Context: process context, may sleep; no reservation lock held.
 * Return: 0 or the exporter's errno from ending CPU access (the data was
 * copied, but may not be visible to devices).
 */
int dma_buf_p2p_cpu_end(struct dma_buf_p2p_cpu *cpu)
{
	int ret;

	ret = dma_buf_end_cpu_access(cpu->dmabuf, cpu->dir);
	dma_buf_vunmap_unlocked(cpu->dmabuf, &cpu->vmap);
	return ret;
}
EXPORT_SYMBOL_GPL(dma_buf_p2p_cpu_end);

static int p2p_import_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "imports %lld\n", atomic64_read(&p2p_import_stats.imports));
	seq_printf(m, "maps %lld\n", atomic64_read(&p2p_import_stats.maps));
	seq_printf(m, "invalidations %lld\n",
		   atomic64_read(&p2p_import_stats.invalidations));
	seq_printf(m, "cpu_bytes %lld\n",
		   atomic64_read(&p2p_import_stats.cpu_bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2p_import_stats);

static int __init p2p_importer_init(void)
{
	struct dentry *dir = debugfs_create_dir("dma-buf-p2p-import", NULL);

	debugfs_create_file("stats", 0400, dir, NULL, &p2p_import_stats_fops);
	return 0;
}
late_initcall(p2p_importer_init);
