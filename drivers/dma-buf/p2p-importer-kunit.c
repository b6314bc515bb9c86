// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the dma-buf P2P importer: the import cache, a map's life
 * across move_notify (including the drain of in-flight users), the segment
 * iterator, an exporter that refuses to map, a device that goes away, and
 * ITER_DMABUF iterators over an import.
 *
 * A minimal dynamic exporter stands in for real ones.  Its "DMA addresses"
 * are made up: they are only handed back, never given to hardware.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-p2p.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>

#define FAKE_MAX_SEGS	4

struct fake_buf {
	unsigned int nr_segs;
	dma_addr_t addr[FAKE_MAX_SEGS];
	u32 len[FAKE_MAX_SEGS];
	int map_err;		/* what the next map fails with, or 0 */
	/* A copy the next map starts, as TTM exporters do; then cleared. */
	struct dma_fence *fence_on_map;
	int maps;
	int unmaps;
	u8 mem[SZ_16K];		/* what the CPU sees through vmap */
};

static struct sg_table *fake_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct fake_buf *fb = attach->dmabuf->priv;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (fb->map_err)
		return ERR_PTR(fb->map_err);
	if (fb->fence_on_map) {
		if (dma_resv_reserve_fences(attach->dmabuf->resv, 1))
			return ERR_PTR(-ENOMEM);
		/* The reservation takes its own reference: drop ours. */
		dma_resv_add_fence(attach->dmabuf->resv, fb->fence_on_map,
				   DMA_RESV_USAGE_KERNEL);
		dma_fence_put(fb->fence_on_map);
		fb->fence_on_map = NULL;
	}
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	if (sg_alloc_table(sgt, fb->nr_segs, GFP_KERNEL)) {
		kfree(sgt);
		return ERR_PTR(-ENOMEM);
	}
	for_each_sgtable_sg(sgt, sg, i) {
		sg_dma_address(sg) = fb->addr[i];
		sg_dma_len(sg) = fb->len[i];
	}
	fb->maps++;
	return sgt;
}

static void fake_unmap(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct fake_buf *fb = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	sg_free_table(sgt);
	kfree(sgt);
	fb->unmaps++;
}

static int fake_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void fake_unpin(struct dma_buf_attachment *attach)
{
}

static void fake_release(struct dma_buf *dmabuf)
{
	kfree(dmabuf->priv);
}

static int fake_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct fake_buf *fb = dmabuf->priv;

	iosys_map_set_vaddr(map, fb->mem);
	return 0;
}

static void fake_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
}

static const struct dma_buf_ops fake_ops = {
	.map_dma_buf = fake_map,
	.unmap_dma_buf = fake_unmap,
	.pin = fake_pin,
	.unpin = fake_unpin,
	.release = fake_release,
	.vmap = fake_vmap,
	.vunmap = fake_vunmap,
};

/* 16 KiB in three segments: 4 KiB, 8 KiB, 4 KiB at scattered addresses. */
static struct dma_buf *fake_export(struct kunit *test, struct fake_buf **out)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;
	struct fake_buf *fb;

	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fb);
	fb->nr_segs = 3;
	fb->addr[0] = 0x10000;
	fb->len[0] = SZ_4K;
	fb->addr[1] = 0x30000;
	fb->len[1] = SZ_8K;
	fb->addr[2] = 0x90000;
	fb->len[2] = SZ_4K;

	exp_info.ops = &fake_ops;
	exp_info.size = SZ_16K;
	exp_info.flags = O_RDWR;
	exp_info.priv = fb;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		kfree(fb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	*out = fb;
	return dmabuf;
}

static void fake_move(struct dma_buf *dmabuf)
{
	dma_resv_lock(dmabuf->resv, NULL);
	dma_buf_move_notify(dmabuf);
	dma_resv_unlock(dmabuf->resv);
}

static void p2p_import_cache_test(struct kunit *test)
{
	struct device *a = kunit_device_register(test, "p2p-import-a");
	struct device *b = kunit_device_register(test, "p2p-import-b");
	struct dma_buf_p2p_import *ia, *ia2, *ib;
	struct dma_buf *dmabuf;
	struct fake_buf *fb;

	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	dmabuf = fake_export(test, &fb);

	ia = dma_buf_p2p_import_get(dmabuf, a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ia));
	ia2 = dma_buf_p2p_import_get(dmabuf, a);
	ib = dma_buf_p2p_import_get(dmabuf, b);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ib));
	KUNIT_EXPECT_PTR_EQ(test, ia, ia2);
	KUNIT_EXPECT_PTR_NE(test, ia, ib);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_p2p_import_dmabuf(ia), dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_p2p_import_device(ib), b);
	/* Attaching maps nothing: the first I/O does. */
	KUNIT_EXPECT_EQ(test, fb->maps, 0);

	dma_buf_p2p_import_put(ia2);
	dma_buf_p2p_import_put(ia);
	dma_buf_p2p_import_put(ib);
	dma_buf_p2p_forget_device(a);
	dma_buf_p2p_forget_device(b);
	/* Forgotten: the next import of (buffer, a) is a new attachment. */
	KUNIT_EXPECT_EQ(test, list_count_nodes(&dmabuf->attachments), 0);
	dma_buf_put(dmabuf);
}

static void p2p_import_map_test(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "p2p-import-map");
	struct dma_buf_p2p_map *m1, *m2, *m3;
	struct dma_buf_p2p_import *imp;
	struct dma_buf *dmabuf;
	struct fake_buf *fb;
	bool created;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dmabuf = fake_export(test, &fb);
	imp = dma_buf_p2p_import_get(dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));

	m1 = dma_buf_p2p_map_get(imp, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m1));
	KUNIT_EXPECT_TRUE(test, created);
	m2 = dma_buf_p2p_map_get(imp, &created);
	KUNIT_EXPECT_PTR_EQ(test, m1, m2);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, fb->maps, 1);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_p2p_map_import(m1), imp);
	KUNIT_EXPECT_FALSE(test, dma_buf_p2p_map_is_bus_addr(m1));
	dma_buf_p2p_map_put(m2);
	dma_buf_p2p_map_put(m1);

	/* A move unmaps at once when nobody uses the map... */
	fake_move(dmabuf);
	KUNIT_EXPECT_EQ(test, fb->unmaps, 1);
	/* ...and the next user maps again. */
	m3 = dma_buf_p2p_map_get(imp, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m3));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_EQ(test, fb->maps, 2);
	dma_buf_p2p_map_put(m3);

	/* The exporter refuses: nothing is published, the error comes back. */
	fake_move(dmabuf);
	fb->map_err = -EBUSY;
	m3 = dma_buf_p2p_map_get(imp, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m3), -EBUSY);
	fb->map_err = 0;
	m3 = dma_buf_p2p_map_get(imp, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m3));
	KUNIT_EXPECT_TRUE(test, created);
	dma_buf_p2p_map_put(m3);

	dma_buf_p2p_import_put(imp);
	dma_buf_p2p_forget_device(dev);
	KUNIT_EXPECT_EQ(test, fb->maps, fb->unmaps);
	dma_buf_put(dmabuf);
}

struct p2p_mover {
	struct dma_buf *dmabuf;
	struct completion done;
};

static int p2p_mover_fn(void *data)
{
	struct p2p_mover *mv = data;

	fake_move(mv->dmabuf);
	complete(&mv->done);
	return 0;
}

static void p2p_import_drain_test(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "p2p-import-drain");
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	struct task_struct *task;
	struct p2p_mover *mv;
	struct fake_buf *fb;
	bool done;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	/* Not test-managed: a stuck mover may outlive a failed test. */
	mv = kzalloc(sizeof(*mv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mv);
	mv->dmabuf = fake_export(test, &fb);
	init_completion(&mv->done);
	imp = dma_buf_p2p_import_get(mv->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	map = dma_buf_p2p_map_get(imp, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));

	/* An I/O holds the map: the move must wait for it. */
	task = kthread_run(p2p_mover_fn, mv, "p2p-import-mover");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_FALSE(test, wait_for_completion_timeout(&mv->done,
							     HZ / 5));
	KUNIT_EXPECT_EQ(test, fb->unmaps, 0);

	/* The I/O completes: the move unmaps and finishes. */
	dma_buf_p2p_map_put(map);
	done = wait_for_completion_timeout(&mv->done, 5 * HZ);
	KUNIT_ASSERT_TRUE(test, done);
	KUNIT_EXPECT_EQ(test, fb->unmaps, 1);

	dma_buf_p2p_import_put(imp);
	dma_buf_p2p_forget_device(dev);
	dma_buf_put(mv->dmabuf);
	kfree(mv);
}

static const char *fake_fence_name(struct dma_fence *fence)
{
	return "p2p-importer-kunit";
}

static const struct dma_fence_ops fake_fence_ops = {
	.get_driver_name = fake_fence_name,
	.get_timeline_name = fake_fence_name,
};

/* The default release frees the whole struct: base comes first. */
struct fake_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's */
};

struct p2p_mapper {
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	bool created;
	struct completion done;
};

static int p2p_mapper_fn(void *data)
{
	struct p2p_mapper *mp = data;

	mp->map = dma_buf_p2p_map_get(mp->imp, &mp->created);
	complete(&mp->done);
	return 0;
}

/*
 * The exporter returns the map while its copy into the memory still runs:
 * map_get waits for that copy, and holds no map reference while it waits,
 * so a move in the meantime (whose drain waits for references) goes
 * through.
 */
static void p2p_import_ready_test(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "p2p-import-ready");
	struct p2p_mover *mv;
	struct p2p_mapper *mp;
	struct fake_fence *ff;
	struct dma_fence *copy;
	struct fake_buf *fb;
	bool done;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	/* Not test-managed: stuck threads may outlive a failed test. */
	mv = kzalloc(sizeof(*mv), GFP_KERNEL);
	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, mv && mp && ff);
	spin_lock_init(&ff->lock);
	copy = &ff->base;
	dma_fence_init(copy, &fake_fence_ops, &ff->lock,
		       dma_fence_context_alloc(1), 1);

	mv->dmabuf = fake_export(test, &fb);
	init_completion(&mv->done);
	init_completion(&mp->done);
	mp->imp = dma_buf_p2p_import_get(mv->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mp->imp));

	fb->fence_on_map = dma_fence_get(copy);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(p2p_mapper_fn, mp,
						    "p2p-import-mapper")));
	/* Mapped, but the copy runs: map_get has not returned. */
	KUNIT_EXPECT_FALSE(test, wait_for_completion_timeout(&mp->done,
							     HZ / 5));
	KUNIT_EXPECT_EQ(test, fb->maps, 1);

	/* A move now must not wait for the mapper. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(p2p_mover_fn, mv,
						    "p2p-import-mover")));
	done = wait_for_completion_timeout(&mv->done, 5 * HZ);
	KUNIT_ASSERT_TRUE(test, done);
	KUNIT_EXPECT_EQ(test, fb->unmaps, 1);

	/* The copy ends: the mapper maps again and returns that map. */
	dma_fence_signal(copy);
	done = wait_for_completion_timeout(&mp->done, 5 * HZ);
	KUNIT_ASSERT_TRUE(test, done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mp->map));
	KUNIT_EXPECT_TRUE(test, mp->created);
	KUNIT_EXPECT_EQ(test, fb->maps, 2);
	dma_buf_p2p_map_put(mp->map);

	dma_buf_p2p_import_put(mp->imp);
	dma_buf_p2p_forget_device(dev);
	dma_buf_put(mv->dmabuf);
	dma_fence_put(copy);
	kfree(mp);
	kfree(mv);
}

static void p2p_import_iter_test(struct kunit *test)
{
	static const struct {
		u64 offset, len;
		int ret;
		unsigned int nr;
		dma_addr_t addr[FAKE_MAX_SEGS];
		u32 seg_len[FAKE_MAX_SEGS];
	} cases[] = {
		{ 0, SZ_16K, 0, 3, { 0x10000, 0x30000, 0x90000 },
		  { SZ_4K, SZ_8K, SZ_4K } },
		/* Starts and ends inside segments. */
		{ 2048, 12288, 0, 3, { 0x10800, 0x30000, 0x90000 },
		  { 2048, SZ_8K, 2048 } },
		/* Inside one segment, at a segment's first byte. */
		{ SZ_4K + 512, 1024, 0, 1, { 0x30200 }, { 1024 } },
		{ SZ_4K, SZ_8K, 0, 1, { 0x30000 }, { SZ_8K } },
		{ SZ_16K, 0, 0, 0 },
		{ SZ_16K - 512, 1024, -ERANGE },
		{ SZ_16K + 1, 0, -ERANGE },
		{ U64_MAX, 2, -ERANGE },
		{ 512, U64_MAX, -ERANGE },
	};
	struct device *dev = kunit_device_register(test, "p2p-import-iter");
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	struct dma_buf *dmabuf;
	struct fake_buf *fb;
	unsigned int i, n;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dmabuf = fake_export(test, &fb);
	imp = dma_buf_p2p_import_get(dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	map = dma_buf_p2p_map_get(imp, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct dma_buf_p2p_iter iter;
		dma_addr_t addr;
		u32 len;
		int ret;

		ret = dma_buf_p2p_iter_init(&iter, map, cases[i].offset,
					    cases[i].len);
		KUNIT_EXPECT_EQ_MSG(test, ret, cases[i].ret, "case %u", i);
		if (ret)
			continue;
		for (n = 0; dma_buf_p2p_iter_next(&iter, &addr, &len); n++) {
			if (n >= cases[i].nr)
				break;
			KUNIT_EXPECT_EQ_MSG(test, addr, cases[i].addr[n],
					    "case %u segment %u", i, n);
			KUNIT_EXPECT_EQ_MSG(test, len, cases[i].seg_len[n],
					    "case %u segment %u", i, n);
		}
		KUNIT_EXPECT_EQ_MSG(test, n, cases[i].nr, "case %u", i);
	}

	dma_buf_p2p_map_put(map);
	dma_buf_p2p_import_put(imp);
	dma_buf_p2p_forget_device(dev);
	dma_buf_put(dmabuf);
}

static void p2p_import_forget_test(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "p2p-import-gone");
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	struct dma_buf *dmabuf;
	struct fake_buf *fb;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dmabuf = fake_export(test, &fb);
	imp = dma_buf_p2p_import_get(dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	map = dma_buf_p2p_map_get(imp, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	dma_buf_p2p_map_put(map);

	/* The device goes away while a user still holds the import. */
	dma_buf_p2p_forget_device(dev);
	KUNIT_EXPECT_EQ(test, fb->unmaps, 1);
	map = dma_buf_p2p_map_get(imp, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(map), -ENODEV);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&dmabuf->attachments), 1);

	/* The user lets go: detached. */
	dma_buf_p2p_import_put(imp);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&dmabuf->attachments), 0);
	dma_buf_put(dmabuf);
}

/*
 * An ITER_DMABUF iterator moves like a user buffer but copies nothing, is
 * never faultable, and clears through the CPU; a bio takes the range with
 * a map reference of its own, which it drops when freed.
 */
static void p2p_import_iov_iter_test(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "p2p-import-iov");
	struct dma_buf_p2p_import *imp;
	struct dma_buf *dmabuf;
	struct fake_buf *fb;
	struct page *pages[1];
	struct iov_iter iter;
	size_t start;
	u8 src[64];
	int i;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dmabuf = fake_export(test, &fb);
	memset(fb->mem, 0xa5, sizeof(fb->mem));
	memset(src, 0x5a, sizeof(src));
	imp = dma_buf_p2p_import_get(dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));

	iov_iter_dmabuf(&iter, ITER_DEST, imp, SZ_4K, SZ_8K);
	KUNIT_EXPECT_TRUE(test, iov_iter_is_dmabuf(&iter));
	KUNIT_EXPECT_FALSE(test, user_backed_iter(&iter));
	KUNIT_EXPECT_EQ(test, copy_to_iter(src, sizeof(src), &iter), 0);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), SZ_8K);
	KUNIT_EXPECT_EQ(test, fault_in_iov_iter_writeable(&iter, 100), 100);
	KUNIT_EXPECT_EQ(test, iov_iter_get_pages2(&iter, pages, SZ_4K, 1,
						  &start), -EFAULT);
	KUNIT_EXPECT_EQ(test, iov_iter_alignment(&iter), SZ_4K | SZ_8K);
	KUNIT_EXPECT_TRUE(test, iov_iter_is_aligned(&iter, 511, 511));

	iov_iter_advance(&iter, 100);
	KUNIT_EXPECT_EQ(test, iter.iov_offset, SZ_4K + 100);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), SZ_8K - 100);
	KUNIT_EXPECT_FALSE(test, iov_iter_is_aligned(&iter, 511, 511));
	iov_iter_revert(&iter, 50);
	KUNIT_EXPECT_EQ(test, iter.iov_offset, SZ_4K + 50);
	iov_iter_revert(&iter, 50);
	KUNIT_EXPECT_EQ(test, iter.iov_offset, SZ_4K);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), SZ_8K);

	/* A hole: the CPU clears exactly the first 4 KiB of the range. */
	KUNIT_EXPECT_EQ(test, iov_iter_zero(SZ_4K, &iter), SZ_4K);
	KUNIT_EXPECT_EQ(test, iter.iov_offset, SZ_8K);
	for (i = 0; i < SZ_16K; i++) {
		u8 want = i >= SZ_4K && i < SZ_8K ? 0 : 0xa5;

		if (fb->mem[i] != want) {
			KUNIT_FAIL(test, "byte %d is %#x, expected %#x", i,
				   fb->mem[i], want);
			break;
		}
	}

#if IS_ENABLED(CONFIG_BLK_DMABUF)
	{
		struct bio *bio = bio_kmalloc(0, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, bio);
		bio_init(bio, NULL, NULL, 0, REQ_OP_READ);
		KUNIT_ASSERT_EQ(test, bio_iov_iter_get_pages(bio, &iter), 0);
		KUNIT_EXPECT_TRUE(test, bio_is_dmabuf(bio));
		KUNIT_EXPECT_EQ(test, bio_dmabuf_offset(bio), SZ_8K);
		KUNIT_EXPECT_EQ(test, bio->bi_iter.bi_size, SZ_4K);
		KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 0);
		KUNIT_EXPECT_EQ(test, fb->maps, 1);

		/*
		 * Freeing the bio drops its reference: a move then unmaps
		 * at once (it would wait forever for a leaked one).
		 */
		bio_uninit(bio);
		kfree(bio);
		fake_move(dmabuf);
		KUNIT_EXPECT_EQ(test, fb->unmaps, 1);
	}
#endif
	dma_buf_p2p_import_put(imp);
	dma_buf_put(dmabuf);
}

static struct kunit_case p2p_importer_cases[] = {
	KUNIT_CASE(p2p_import_cache_test),
	KUNIT_CASE(p2p_import_map_test),
	KUNIT_CASE(p2p_import_drain_test),
	KUNIT_CASE(p2p_import_ready_test),
	KUNIT_CASE(p2p_import_iter_test),
	KUNIT_CASE(p2p_import_forget_test),
	KUNIT_CASE(p2p_import_iov_iter_test),
	{}
};

static struct kunit_suite p2p_importer_suite = {
	.name = "dma-buf-p2p-importer",
	.test_cases = p2p_importer_cases,
};

kunit_test_suite(p2p_importer_suite);

MODULE_DESCRIPTION("KUnit tests of the dma-buf P2P importer");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
