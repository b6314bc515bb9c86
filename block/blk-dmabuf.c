// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O to and from DMA-BUF ranges.
 *
 * Bios carry a reference on a dma-buf P2P map and a byte offset into the
 * buffer (include/linux/blk-dmabuf.h).  Drivers that declare a DMA device
 * (block_device_operations.dmabuf_device) get bios whose map is for that
 * device and build their descriptors from it: no pinning, no mapping per
 * I/O.  Everything else is bounced here: the bio is cut into pieces of at
 * most BIO_MAX_VECS pages, each piece goes to the driver as an ordinary bio
 * over system pages, and the CPU copies between those pages and the buffer
 * (before submission for writes, in a worker after completion for reads).
 *
 * The BLKDMABUFRW and BLKDMABUFRWBATCH ioctls on block devices and
 * FIDMABUFRW on regular files (include/uapi/linux/blk-dmabuf.h) are the user
 * entry points.  FIDMABUFRW runs the file's own direct I/O over an
 * ITER_DMABUF iterator, which bio_iov_iter_get_pages() turns into DMA-BUF
 * bios (bio_iov_dmabuf_set()).
 */
#define pr_fmt(fmt) "blk-dmabuf: " fmt

#include <linux/bio.h>
#include <linux/blk-dmabuf.h>
#include <linux/blk-integrity.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-p2p.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/blk-dmabuf.h>

#include "blk.h"

/* Largest piece of a bounced bio: one full bio_vec array of pages. */
#define BLK_DMABUF_BOUNCE_MAX		(BIO_MAX_VECS * PAGE_SIZE)
/* Largest bio the ioctls build; the block layer splits it further. */
#define BLK_DMABUF_BIO_MAX		SZ_1G

static struct bio_set blk_dmabuf_bio_set;	/* splits and bounce bios */
static struct bio_set blk_dmabuf_req_set;	/* the ioctls' bios */
static struct workqueue_struct *blk_dmabuf_wq;	/* copies after reads */

static struct {
	atomic64_t native_requests;	/* issued, retries included */
	atomic64_t native_bytes;
	atomic64_t bounce_bios;
	atomic64_t bounce_bytes;
} blk_dmabuf_stats;

/**
 * bio_set_dmabuf() - make a bio carry a DMA-BUF range
 * @bio: a bio allocated without bio_vecs, not yet submitted
 * @map: a map reference the bio owns from here: bio_uninit() drops it
 * @offset: byte offset of the range in the buffer
 * @len: bytes
 *
 * Context: any context.
 */
void bio_set_dmabuf(struct bio *bio, struct dma_buf_p2p_map *map, u64 offset,
		    unsigned int len)
{
	WARN_ON_ONCE(bio->bi_max_vecs);
	bio->bi_dmabuf_map = map;
	bio->bi_iter.bi_size = len;
	bio_dmabuf_iter_set_offset(&bio->bi_iter, offset);
	bio->bi_opf |= REQ_NOMERGE;
	bio_set_flag(bio, BIO_DMABUF);
}
EXPORT_SYMBOL_GPL(bio_set_dmabuf);

/**
 * bio_iov_dmabuf_set() - bio_iov_iter_get_pages() of an ITER_DMABUF iterator
 * @bio: a bio allocated without bio_vecs
 * @iter: the iterator, advanced by what the bio carries from here
 *
 * The bio carries as much of the range as one bio may (the block layer
 * splits it for the device) and a reference on the current map of the
 * iterator's import: the import's device DMAs it when the bio reaches that
 * device's disk, the block layer bounces it otherwise.
 *
 * Context: process context; sleeps to map the buffer unless the bio is
 * REQ_NOWAIT.
 * Return: 0, or the errno of mapping the buffer (-EAGAIN for REQ_NOWAIT).
 */
int bio_iov_dmabuf_set(struct bio *bio, struct iov_iter *iter)
{
	/* All of a request's range (io_uring's are u32), block aligned. */
	size_t len = min_t(size_t, iov_iter_count(iter),
			   round_down(UINT_MAX, PAGE_SIZE));
	unsigned int flags = DMA_BUF_P2P_MAP_UNINTERRUPTIBLE;
	struct dma_buf_p2p_map *map;

	if (WARN_ON_ONCE(!len))
		return -EINVAL;
	/*
	 * Submission cannot restart: a signal (or io_uring's task work) must
	 * not fail it.  The waits are bounded by the exporter's fences.
	 */
	if (bio->bi_opf & REQ_NOWAIT)
		flags |= DMA_BUF_P2P_MAP_NOWAIT;
	map = dma_buf_p2p_map_get_flags(iter->dmabuf_import, NULL, flags);
	if (IS_ERR(map))
		return PTR_ERR(map);
	bio_set_dmabuf(bio, map, iter->iov_offset, len);
	iov_iter_advance(iter, len);
	return 0;
}

/* bio_uninit() of a DMA-BUF bio that owns its map (not a clone). */
void __bio_dmabuf_uninit(struct bio *bio)
{
	dma_buf_p2p_map_put(bio->bi_dmabuf_map);
	bio->bi_dmabuf_map = NULL;
	bio_clear_flag(bio, BIO_DMABUF);
}

/**
 * blk_rq_dmabuf_account() - count a DMA-BUF request a driver served natively
 * @rq: the request, about to be issued with premapped addresses
 *
 * Context: any context.
 */
void blk_rq_dmabuf_account(struct request *rq)
{
	atomic64_inc(&blk_dmabuf_stats.native_requests);
	atomic64_add(blk_rq_bytes(rq), &blk_dmabuf_stats.native_bytes);
}
EXPORT_SYMBOL_GPL(blk_rq_dmabuf_account);

static struct device *blk_dmabuf_device(struct block_device *bdev)
{
	const struct block_device_operations *fops = bdev->bd_disk->fops;

	return fops->dmabuf_device ? fops->dmabuf_device(bdev) : NULL;
}

struct blk_dmabuf_bounce {
	struct bio *orig;		/* the piece of the DMA-BUF bio */
	struct bio *bio;		/* the same I/O over system pages */
	struct work_struct work;
};

static void blk_dmabuf_bounce_free(struct blk_dmabuf_bounce *bb)
{
	bio_free_pages(bb->bio);
	bio_put(bb->bio);
	kfree(bb);
}

/* Copies between the buffer and the pages; @to_buf after a read. */
static int blk_dmabuf_bounce_copy(struct bio *orig, struct bio *bio,
				  bool to_buf)
{
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_cpu cpu;
	struct bvec_iter_all iter;
	struct bio_vec *bv;
	u64 offset;
	int ret;

	imp = dma_buf_p2p_map_import(bio_dmabuf_map(orig));
	ret = dma_buf_p2p_cpu_begin(&cpu, dma_buf_p2p_import_dmabuf(imp),
				    to_buf ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (ret)
		return ret;
	offset = bio_dmabuf_offset(orig);
	bio_for_each_segment_all(bv, bio, iter) {
		void *p = bvec_virt(bv);

		if (to_buf)
			dma_buf_p2p_cpu_write(&cpu, offset, p, bv->bv_len);
		else
			dma_buf_p2p_cpu_read(&cpu, p, offset, bv->bv_len);
		offset += bv->bv_len;
	}
	return dma_buf_p2p_cpu_end(&cpu);
}

static void blk_dmabuf_bounce_read_done(struct work_struct *work)
{
	struct blk_dmabuf_bounce *bb = container_of(work, typeof(*bb), work);
	struct bio *orig = bb->orig;
	int ret;

	ret = blk_dmabuf_bounce_copy(orig, bb->bio, true);
	if (ret)
		orig->bi_status = errno_to_blk_status(ret);
	blk_dmabuf_bounce_free(bb);
	bio_endio(orig);
}

static void blk_dmabuf_bounce_end_io(struct bio *bio)
{
	struct blk_dmabuf_bounce *bb = bio->bi_private;
	struct bio *orig = bb->orig;

	if (bio->bi_status) {
		orig->bi_status = bio->bi_status;
	} else if (bio_op(bio) == REQ_OP_READ) {
		/* The copy maps the buffer, which may sleep. */
		INIT_WORK(&bb->work, blk_dmabuf_bounce_read_done);
		queue_work(blk_dmabuf_wq, &bb->work);
		return;
	}
	blk_dmabuf_bounce_free(bb);
	bio_endio(orig);
}

/* Bounces a piece of at most BLK_DMABUF_BOUNCE_MAX bytes. */
static void blk_dmabuf_bounce_piece(struct bio *orig)
{
	unsigned int len = orig->bi_iter.bi_size;
	struct blk_dmabuf_bounce *bb;
	struct bio *bio;
	int ret = -ENOMEM;

	bb = kmalloc(sizeof(*bb), GFP_NOIO);
	if (!bb)
		goto fail;
	bio = bio_alloc_bioset(orig->bi_bdev, DIV_ROUND_UP(len, PAGE_SIZE),
			       orig->bi_opf & ~REQ_NOMERGE, GFP_NOIO,
			       &blk_dmabuf_bio_set);
	bio->bi_iter.bi_sector = orig->bi_iter.bi_sector;
	bio->bi_ioprio = orig->bi_ioprio;
	bio->bi_write_hint = orig->bi_write_hint;
	bio->bi_end_io = blk_dmabuf_bounce_end_io;
	bio->bi_private = bb;
	bb->orig = orig;
	bb->bio = bio;

	while (len) {
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE);
		struct page *page = alloc_page(GFP_NOIO);

		if (!page)
			goto fail_free;
		__bio_add_page(bio, page, n, 0);
		len -= n;
	}
	if (op_is_write(bio_op(bio))) {
		ret = blk_dmabuf_bounce_copy(orig, bio, false);
		if (ret)
			goto fail_free;
	}
	atomic64_inc(&blk_dmabuf_stats.bounce_bios);
	atomic64_add(orig->bi_iter.bi_size, &blk_dmabuf_stats.bounce_bytes);
	submit_bio_noacct(bio);
	return;

fail_free:
	blk_dmabuf_bounce_free(bb);
fail:
	orig->bi_status = errno_to_blk_status(ret);
	bio_endio(orig);
}

/**
 * blk_dmabuf_submit_bounced() - bounce a DMA-BUF bio the disk cannot take
 * @bio: a bio being submitted
 *
 * Called first thing in submit_bio_noacct().  Lets through ordinary bios and
 * DMA-BUF bios whose map is for the device that DMAs for the disk; serves
 * those with a CPU-only map through system pages, and fails the others.
 *
 * Context: process context (bouncing a write maps the buffer).
 * Return: true when the bio was taken over (and will complete by itself).
 */
bool blk_dmabuf_submit_bounced(struct bio *bio)
{
	struct dma_buf_p2p_import *imp;
	struct device *dev;

	if (likely(!bio_is_dmabuf(bio)))
		return false;

	imp = dma_buf_p2p_map_import(bio_dmabuf_map(bio));
	dev = dma_buf_p2p_import_device(imp);
	if (dev) {
		if (dev == blk_dmabuf_device(bio->bi_bdev))
			return false;
		/*
		 * Premapped for a device the disk no longer DMAs through:
		 * bouncing would take the buffer's lock while holding the
		 * device's map reference, which a move waits for.
		 */
		bio_io_error(bio);
		return true;
	}

	if (bio->bi_opf & REQ_NOWAIT) {
		bio_wouldblock_error(bio);
		return true;
	}
	/*
	 * The pieces complete @bio, which no poll would find: @bio is never
	 * queued, so it has no cookie.  Unpolled, they go to queues that
	 * raise interrupts, as a split bio does in bio_split_rw_at().
	 */
	bio_clear_polled(bio);
	while (bio->bi_iter.bi_size > BLK_DMABUF_BOUNCE_MAX) {
		struct bio *split;

		split = bio_split(bio, BLK_DMABUF_BOUNCE_MAX >> SECTOR_SHIFT,
				  GFP_NOIO, &blk_dmabuf_bio_set);
		bio_chain(split, bio);
		blk_dmabuf_bounce_piece(split);
	}
	blk_dmabuf_bounce_piece(bio);
	return true;
}

/*
 * One ioctl call: the I/Os it issues and how they went.  Completions hold a
 * reference, so that waking the caller never touches a freed call.
 */
struct blk_dmabuf_call {
	refcount_t refs;
	struct block_device *bdev;
	struct dma_buf *dmabuf;
	struct dma_buf_p2p_import *imp;
	bool bounce;			/* BLK_DMABUF_BOUNCE: never native */
	u32 path;
	u32 maps;
	s32 result;			/* of a BLKDMABUFRW call */
	atomic_t inflight;
	wait_queue_head_t wait;
};

/*
 * One I/O of a call: a batch entry or a piece of a transfer.  Allocated
 * with its bio, as the bio set's front padding: one allocation per I/O.
 */
struct blk_dmabuf_req {
	struct blk_dmabuf_call *call;
	s32 *result;			/* set only on failure */
	struct bio bio;			/* last */
};

static void blk_dmabuf_call_put(struct blk_dmabuf_call *call)
{
	if (refcount_dec_and_test(&call->refs))
		kfree(call);
}

static void blk_dmabuf_end_io(struct bio *bio)
{
	struct blk_dmabuf_req *req = container_of(bio, typeof(*req), bio);
	struct blk_dmabuf_call *call = req->call;

	if (bio->bi_status)
		*req->result = blk_status_to_errno(bio->bi_status);
	bio_put(bio);		/* the request and the map reference with it */
	/* The result is visible before the count: pairs with smp_rmb(). */
	smp_mb__before_atomic();
	atomic_dec(&call->inflight);
	wake_up(&call->wait);
	blk_dmabuf_call_put(call);
}

/*
 * Errors of attaching or mapping for the disk's device after which the
 * bounce path still serves the call: the exporter cannot or will not map
 * the buffer for that device (pinned out of its reach, no P2P path and no
 * fallback, an exporter without dynamic mapping support...).
 */
static bool blk_dmabuf_can_bounce(long err)
{
	switch (err) {
	case -ENODEV:		/* the device is going away */
	case -ENOMEM:
	case -ERESTARTSYS:
	case -EINTR:
	case -ETIMEDOUT:	/* the exporter's fences never signalled */
		return false;
	default:
		return true;
	}
}

/**
 * blk_dmabuf_import() - pick the path of I/O between a disk and a buffer
 * @bdev: the block device (or partition)
 * @dmabuf: the buffer
 * @bounce: take the bounce path even where the disk could DMA the buffer
 * @path: out: BLK_DMABUF_PATH_NATIVE or BLK_DMABUF_PATH_BOUNCE
 * @maps: out, added to: the device mappings this call created
 *
 * The disk's DMA device gets an import when its exporter maps the buffer
 * for it now; otherwise, where that can change nothing (see
 * blk_dmabuf_can_bounce()), the bounce path's CPU-only import.  Bios made
 * from the import (bio_set_dmabuf(), ITER_DMABUF iterators) reach the disk
 * natively or through the bounce path accordingly.
 *
 * Context: process context, may sleep; interrupted by signals.
 * Return: the import, which the caller puts, or an ERR_PTR().
 */
struct dma_buf_p2p_import *blk_dmabuf_import(struct block_device *bdev,
					     struct dma_buf *dmabuf,
					     bool bounce, u32 *path,
					     u32 *maps)
{
	struct device *dev = blk_dmabuf_device(bdev);
	struct dma_buf_p2p_import *imp;
	struct dma_buf_p2p_map *map;
	bool created;
	long err;

	if (dev && !bounce) {
		/*
		 * Inside the queue, so that removal (which freezes it before
		 * the driver forgets the device's imports) cannot miss this
		 * one, and no import is made for a device already gone.
		 */
		err = blk_queue_enter(bdev_get_queue(bdev), 0);
		if (err)
			return ERR_PTR(err);
		imp = dma_buf_p2p_import_get(dmabuf, dev);
		blk_queue_exit(bdev_get_queue(bdev));
		if (IS_ERR(imp)) {
			err = PTR_ERR(imp);
		} else {
			map = dma_buf_p2p_map_get(imp, &created);
			if (!IS_ERR(map)) {
				*maps += created;
				dma_buf_p2p_map_put(map);
				*path = BLK_DMABUF_PATH_NATIVE;
				return imp;
			}
			dma_buf_p2p_import_put(imp);
			err = PTR_ERR(map);
		}
		if (!blk_dmabuf_can_bounce(err))
			return ERR_PTR(err);
	}
	imp = dma_buf_p2p_import_get(dmabuf, NULL);
	if (!IS_ERR(imp))
		*path = BLK_DMABUF_PATH_BOUNCE;
	return imp;
}
EXPORT_SYMBOL_GPL(blk_dmabuf_import);

static int blk_dmabuf_call_start(struct blk_dmabuf_call *call)
{
	call->imp = blk_dmabuf_import(call->bdev, call->dmabuf, call->bounce,
				      &call->path, &call->maps);
	return PTR_ERR_OR_ZERO(call->imp);
}

static int blk_dmabuf_submit(struct blk_dmabuf_call *call, u64 buf_offset,
			     u64 dev_offset, u32 len, bool write, s32 *result)
{
	struct dma_buf_p2p_map *map;
	struct blk_dmabuf_req *req;
	struct bio *bio;
	bool created;

	/* Allocate first: reclaim must never wait on a map we hold. */
	bio = bio_alloc_bioset(call->bdev, 0,
			       (write ? REQ_OP_WRITE : REQ_OP_READ) | REQ_SYNC,
			       GFP_KERNEL, &blk_dmabuf_req_set);
	req = container_of(bio, typeof(*req), bio);
	map = dma_buf_p2p_map_get(call->imp, &created);
	if (IS_ERR(map)) {
		bio_put(bio);
		return PTR_ERR(map);
	}
	call->maps += created;
	req->call = call;
	req->result = result;
	refcount_inc(&call->refs);

	bio->bi_iter.bi_sector = dev_offset >> SECTOR_SHIFT;
	bio_set_dmabuf(bio, map, buf_offset, len);
	bio->bi_end_io = blk_dmabuf_end_io;
	atomic_inc(&call->inflight);
	submit_bio(bio);
	return 0;
}

/*
 * Waits until at most @depth I/Os are in flight.  A fatal signal stops the
 * wait for room (-EINTR), never the wait for completion (@depth 0): pages
 * of the buffer must not be touched after the call returns.
 */
static int blk_dmabuf_wait(struct blk_dmabuf_call *call, int depth)
{
	if (!depth) {
		wait_event(call->wait, !atomic_read(&call->inflight));
		smp_rmb();	/* the results, after the count */
		return 0;
	}
	if (wait_event_killable(call->wait,
				atomic_read(&call->inflight) < depth))
		return -EINTR;
	return 0;
}

/*
 * The device's page cache, as O_DIRECT treats it: dirty pages of the range
 * reach the device before the transfer, and a write drops cached pages of
 * the range before and after it, so that no buffered user sees stale data
 * and no later writeback overwrites what the transfer wrote.
 */
static int blk_dmabuf_cache_before(struct block_device *bdev, u64 pos,
				   u64 len, bool write)
{
	struct address_space *mapping = bdev->bd_mapping;
	loff_t end = pos + len - 1;
	int ret;

	ret = filemap_write_and_wait_range(mapping, pos, end);
	if (ret || !write)
		return ret;
	return invalidate_inode_pages2_range(mapping, pos >> PAGE_SHIFT,
					     end >> PAGE_SHIFT);
}

static void blk_dmabuf_cache_after(struct block_device *bdev, u64 pos,
				   u64 len)
{
	/* As kiocb_invalidate_post_direct_write(): best effort. */
	invalidate_inode_pages2_range(bdev->bd_mapping, pos >> PAGE_SHIFT,
				      (pos + len - 1) >> PAGE_SHIFT);
}

/*
 * A disk being removed has its capacity set to 0 (nvme does it before the
 * block layer marks the disk dead): say "gone", not "out of range".
 */
static bool blk_dmabuf_disk_gone(struct block_device *bdev)
{
	return test_bit(GD_DEAD, &bdev->bd_disk->state) ||
	       !bdev_nr_sectors(bdev);
}

/*
 * Validation shared by the ioctls: an I/O's flags, alignment and buffer
 * range.
 */
static int blk_dmabuf_check_buf(struct blk_dmabuf_call *call, u64 buf_offset,
				u64 dev_offset, u64 len, u32 flags)
{
	unsigned int lbs = bdev_logical_block_size(call->bdev);
	u64 end;

	if (flags & ~BLK_DMABUF_WRITE)
		return -EINVAL;
	if (!len || !IS_ALIGNED(buf_offset | dev_offset | len, lbs))
		return -EINVAL;
	if (check_add_overflow(buf_offset, len, &end) ||
	    end > call->dmabuf->size)
		return -ERANGE;
	return 0;
}

/* Reading from the device writes the buffer, and the other way. */
static int blk_dmabuf_check_access(struct blk_dmabuf_call *call, bool write)
{
	fmode_t need = write ? FMODE_READ : FMODE_WRITE;

	return call->dmabuf->file->f_mode & need ? 0 : -EACCES;
}

/* The block device ioctls: the range of one I/O. */
static int blk_dmabuf_check_range(struct blk_dmabuf_call *call, u64 buf_offset,
				  u64 dev_offset, u64 len, u32 flags,
				  blk_mode_t mode)
{
	bool write = flags & BLK_DMABUF_WRITE;
	u64 end;
	int ret;

	ret = blk_dmabuf_check_buf(call, buf_offset, dev_offset, len, flags);
	if (ret)
		return ret;
	if (check_add_overflow(dev_offset, len, &end) ||
	    end > bdev_nr_bytes(call->bdev))
		return blk_dmabuf_disk_gone(call->bdev) ? -ENODEV : -ERANGE;
	if (!(mode & (write ? BLK_OPEN_WRITE : BLK_OPEN_READ)))
		return -EBADF;
	if (write && bdev_read_only(call->bdev))
		return -EPERM;
	return blk_dmabuf_check_access(call, write);
}

static struct blk_dmabuf_call *blk_dmabuf_call_open(struct block_device *bdev,
						    int fd)
{
	struct blk_dmabuf_call *call;

	if (blk_dmabuf_disk_gone(bdev))
		return ERR_PTR(-ENODEV);
	if (blk_get_integrity(bdev->bd_disk) || bdev_is_zoned(bdev))
		return ERR_PTR(-EOPNOTSUPP);
	call = kzalloc(sizeof(*call), GFP_KERNEL);
	if (!call)
		return ERR_PTR(-ENOMEM);
	refcount_set(&call->refs, 1);
	atomic_set(&call->inflight, 0);
	init_waitqueue_head(&call->wait);
	call->bdev = bdev;
	call->dmabuf = dma_buf_get(fd);
	if (IS_ERR(call->dmabuf)) {
		int ret = PTR_ERR(call->dmabuf);	/* EBADF or EINVAL */

		kfree(call);
		return ERR_PTR(ret);
	}
	return call;
}

static void blk_dmabuf_call_close(struct blk_dmabuf_call *call)
{
	dma_buf_put(call->dmabuf);
	blk_dmabuf_call_put(call);
}

static int blk_dmabuf_rw(struct block_device *bdev, blk_mode_t mode,
			 struct blk_dmabuf_rw __user *argp)
{
	struct blk_dmabuf_call *call;
	struct blk_dmabuf_rw rw;
	struct blk_plug plug;
	bool write;
	u64 done;
	int ret;

	if (copy_from_user(&rw, argp, sizeof(rw)))
		return -EFAULT;
	if (rw.path || rw.maps || rw.cpu_bytes)
		return -EINVAL;
	call = blk_dmabuf_call_open(bdev, rw.dmabuf_fd);
	if (IS_ERR(call))
		return PTR_ERR(call);
	call->bounce = rw.flags & BLK_DMABUF_BOUNCE;
	ret = blk_dmabuf_check_range(call, rw.buf_offset, rw.dev_offset,
				     rw.length, rw.flags & ~BLK_DMABUF_BOUNCE,
				     mode);
	if (ret)
		goto out_close;
	write = rw.flags & BLK_DMABUF_WRITE;
	ret = blk_dmabuf_cache_before(bdev, rw.dev_offset, rw.length, write);
	if (ret)
		goto out_close;
	/* Reading from the device writes the buffer, and the other way. */
	ret = dma_buf_p2p_wait_idle(call->dmabuf, !write);
	if (ret)
		goto out_close;
	ret = blk_dmabuf_call_start(call);
	if (ret)
		goto out_close;

	/* One plug: the requests of the split bios reach the driver as a batch. */
	blk_start_plug(&plug);
	for (done = 0; done < rw.length && !ret; ) {
		u32 n = min_t(u64, rw.length - done, BLK_DMABUF_BIO_MAX);

		ret = blk_dmabuf_submit(call, rw.buf_offset + done,
					rw.dev_offset + done, n, write,
					&call->result);
		done += n;
	}
	blk_finish_plug(&plug);
	blk_dmabuf_wait(call, 0);
	dma_buf_p2p_import_put(call->imp);
	if (write)
		blk_dmabuf_cache_after(bdev, rw.dev_offset, rw.length);
	if (!ret)
		ret = call->result;
	if (!ret) {
		rw.path = call->path;
		rw.maps = call->maps;
		if (call->path == BLK_DMABUF_PATH_BOUNCE)
			rw.cpu_bytes = rw.length;
		if (copy_to_user(argp, &rw, sizeof(rw)))
			ret = -EFAULT;
	}
out_close:
	blk_dmabuf_call_close(call);
	return ret;
}

static int blk_dmabuf_rw_batch(struct block_device *bdev, blk_mode_t mode,
			       struct blk_dmabuf_rw_batch __user *argp)
{
	struct blk_dmabuf_rw_batch batch;
	struct blk_dmabuf_call *call;
	struct blk_plug plug;
	struct blk_dmabuf_io *ios;
	u64 cpu_bytes = 0;
	u32 i, qd, issued;
	int ret;

	if (copy_from_user(&batch, argp, sizeof(batch)))
		return -EFAULT;
	if ((batch.flags & ~BLK_DMABUF_BOUNCE) || batch.path || batch.maps ||
	    batch.cpu_bytes)
		return -EINVAL;
	if (!batch.nr_ios || batch.nr_ios > BLK_DMABUF_BATCH_MAX ||
	    batch.queue_depth > BLK_DMABUF_BATCH_MAX)
		return -EINVAL;
	qd = batch.queue_depth ?: BLK_DMABUF_DEFAULT_QD;

	ios = vmemdup_array_user(u64_to_user_ptr(batch.ios), batch.nr_ios,
				 sizeof(*ios));
	if (IS_ERR(ios))
		return PTR_ERR(ios);
	call = blk_dmabuf_call_open(bdev, batch.dmabuf_fd);
	if (IS_ERR(call)) {
		ret = PTR_ERR(call);
		goto out_free_ios;
	}
	call->bounce = batch.flags & BLK_DMABUF_BOUNCE;

	for (i = 0; i < batch.nr_ios; i++) {
		struct blk_dmabuf_io *io = &ios[i];

		if (io->result || io->__pad ||
		    io->length > BLK_DMABUF_BIO_MAX) {
			ret = -EINVAL;
			goto out_close;
		}
		ret = blk_dmabuf_check_range(call, io->buf_offset,
					     io->dev_offset, io->length,
					     io->flags, mode);
		if (ret)
			goto out_close;
	}

	for (i = 0; i < batch.nr_ios; i++) {
		ret = blk_dmabuf_cache_before(bdev, ios[i].dev_offset,
					      ios[i].length,
					      ios[i].flags & BLK_DMABUF_WRITE);
		if (ret)
			goto out_close;
	}

	/* Implicit sync once for the whole batch, for its strictest entry. */
	for (i = 0; i < batch.nr_ios; i++)
		if (!(ios[i].flags & BLK_DMABUF_WRITE))
			break;
	ret = dma_buf_p2p_wait_idle(call->dmabuf, i < batch.nr_ios);
	if (ret)
		goto out_close;
	ret = blk_dmabuf_call_start(call);
	if (ret)
		goto out_close;

	issued = 0;
	while (!ret && issued < batch.nr_ios) {
		ret = blk_dmabuf_wait(call, qd);
		if (ret)
			break;
		/*
		 * As many as there is room for under one plug: the driver
		 * gets them as a batch (nvme: one doorbell write).
		 */
		blk_start_plug(&plug);
		while (issued < batch.nr_ios &&
		       atomic_read(&call->inflight) < qd) {
			struct blk_dmabuf_io *io = &ios[issued];

			ret = blk_dmabuf_submit(call, io->buf_offset,
						io->dev_offset, io->length,
						io->flags & BLK_DMABUF_WRITE,
						&io->result);
			if (ret)
				break;
			issued++;
		}
		blk_finish_plug(&plug);
	}
	blk_dmabuf_wait(call, 0);
	dma_buf_p2p_import_put(call->imp);
	for (i = 0; i < issued; i++)
		if (ios[i].flags & BLK_DMABUF_WRITE)
			blk_dmabuf_cache_after(bdev, ios[i].dev_offset,
					       ios[i].length);
	if (ret)
		goto out_close;

	for (i = 0; i < batch.nr_ios; i++) {
		if (ios[i].result)
			ret = -EIO;
		else if (call->path == BLK_DMABUF_PATH_BOUNCE)
			cpu_bytes += ios[i].length;
	}
	batch.path = call->path;
	batch.maps = call->maps;
	batch.cpu_bytes = cpu_bytes;
	if (copy_to_user(u64_to_user_ptr(batch.ios), ios,
			 array_size(batch.nr_ios, sizeof(*ios))) ||
	    copy_to_user(argp, &batch, sizeof(batch)))
		ret = -EFAULT;

out_close:
	blk_dmabuf_call_close(call);
out_free_ios:
	kvfree(ios);
	return ret;
}

/* FIDMABUFRW's checks of a file's range, after the shared ones. */
static int blk_dmabuf_check_file(struct blk_dmabuf_call *call,
				 struct file *file,
				 const struct blk_dmabuf_rw *rw, bool write)
{
	unsigned int lbs = bdev_logical_block_size(call->bdev);
	u64 end;
	int ret;

	ret = blk_dmabuf_check_buf(call, rw->buf_offset, rw->dev_offset,
				   rw->length, rw->flags & ~BLK_DMABUF_BOUNCE);
	if (ret)
		return ret;
	if (check_add_overflow(rw->dev_offset, rw->length, &end) ||
	    end > MAX_LFS_FILESIZE)
		return write ? -EFBIG : -ERANGE;
	if (!(file->f_mode & (write ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (write) {
		/* The write would land at end of file, not at dev_offset. */
		if (file->f_flags & O_APPEND)
			return -EINVAL;
	} else if (end > round_up(i_size_read(file_inode(file)), lbs)) {
		return -ERANGE;
	}
	return blk_dmabuf_check_access(call, write);
}

/*
 * The file's own direct I/O over the buffer's range, in pieces the VFS
 * takes.  Returns the bytes moved (fewer at end of file, or when the
 * filesystem is full) or a negative errno.  A read may return fewer bytes
 * than asked before end of file too; it goes on from there, so that only
 * bytes the filesystem says are past its end are left to be cleared.
 */
static ssize_t blk_dmabuf_file_io(struct blk_dmabuf_call *call,
				  struct file *file,
				  const struct blk_dmabuf_rw *rw, bool write)
{
	struct inode *inode = file_inode(file);
	u64 done = 0;

	while (done < rw->length) {
		size_t n = min_t(u64, rw->length - done, BLK_DMABUF_BIO_MAX);
		struct iov_iter iter;
		struct kiocb kiocb;
		ssize_t ret;

		init_sync_kiocb(&kiocb, file);
		kiocb.ki_flags |= IOCB_DIRECT;
		kiocb.ki_pos = rw->dev_offset + done;
		iov_iter_dmabuf(&iter, write ? ITER_SOURCE : ITER_DEST,
				call->imp, rw->buf_offset + done, n);
		if (write)
			ret = vfs_iocb_iter_write(file, &kiocb, &iter);
		else
			ret = vfs_iocb_iter_read(file, &kiocb, &iter);
		if (ret < 0)
			return ret;
		done += ret;
		if (ret < n && (write || !ret ||
				rw->dev_offset + done >= i_size_read(inode)))
			break;
	}
	return done;
}

/*
 * An ITER_DMABUF range cannot go through the page cache: a filesystem that
 * falls back to it fails its CPU copy with -EFAULT (or asks for buffered
 * I/O with -ENOTBLK).  The arguments were read already, so -EFAULT means
 * that, or a fatal signal during a CPU clear of a hole.
 */
static int blk_dmabuf_file_errno(ssize_t err)
{
	if (err == -EFAULT)
		return fatal_signal_pending(current) ? -EINTR : -EOPNOTSUPP;
	if (err == -ENOTBLK)
		return -EOPNOTSUPP;
	return err;
}

/**
 * blk_dmabuf_file_ioctl() - FIDMABUFRW
 * @file: the regular file the ioctl was issued on
 * @argp: its user argument, a struct blk_dmabuf_rw
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno, as include/uapi/linux/blk-dmabuf.h says.
 */
int blk_dmabuf_file_ioctl(struct file *file, void __user *argp)
{
	struct block_device *bdev = file_inode(file)->i_sb->s_bdev;
	struct blk_dmabuf_call *call;
	struct blk_dmabuf_rw rw;
	u64 cpu_bytes = 0;
	ssize_t done;
	bool write;
	int ret;

	if (copy_from_user(&rw, argp, sizeof(rw)))
		return -EFAULT;
	if (rw.path || rw.maps || rw.cpu_bytes)
		return -EINVAL;
	/* The filesystem's direct I/O to its own block device, or nothing. */
	if (!bdev || !(file->f_mode & FMODE_CAN_ODIRECT))
		return -EOPNOTSUPP;
	call = blk_dmabuf_call_open(bdev, rw.dmabuf_fd);
	if (IS_ERR(call))
		return PTR_ERR(call);
	call->bounce = rw.flags & BLK_DMABUF_BOUNCE;
	write = rw.flags & BLK_DMABUF_WRITE;
	ret = blk_dmabuf_check_file(call, file, &rw, write);
	if (ret)
		goto out_close;
	ret = dma_buf_p2p_wait_idle(call->dmabuf, !write);
	if (ret)
		goto out_close;
	ret = blk_dmabuf_call_start(call);
	if (ret)
		goto out_close;

	done = blk_dmabuf_file_io(call, file, &rw, write);
	if (done < 0) {
		ret = blk_dmabuf_file_errno(done);
	} else if (done < rw.length && write) {
		ret = -ENOSPC;
	} else if (done < rw.length) {
		/* The range's bytes past end of file read as zeros. */
		ret = dma_buf_p2p_clear(call->dmabuf, rw.buf_offset + done,
					rw.length - done);
		cpu_bytes = rw.length - done;
	}
	dma_buf_p2p_import_put(call->imp);
	if (ret)
		goto out_close;

	rw.path = call->path;
	rw.maps = call->maps;
	if (call->path == BLK_DMABUF_PATH_BOUNCE)
		cpu_bytes += done;
	rw.cpu_bytes = cpu_bytes;
	if (copy_to_user(argp, &rw, sizeof(rw)))
		ret = -EFAULT;
out_close:
	blk_dmabuf_call_close(call);
	return ret;
}

/**
 * blk_dmabuf_ioctl() - BLKDMABUFRW and BLKDMABUFRWBATCH
 * @bdev: the block device the ioctl was issued on
 * @mode: how it was opened
 * @cmd: the ioctl
 * @argp: its user argument
 *
 * Context: process context, may sleep.
 * Return: 0 or a negative errno, as include/uapi/linux/blk-dmabuf.h says.
 */
int blk_dmabuf_ioctl(struct block_device *bdev, blk_mode_t mode,
		     unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case BLKDMABUFRW:
		return blk_dmabuf_rw(bdev, mode, argp);
	case BLKDMABUFRWBATCH:
		return blk_dmabuf_rw_batch(bdev, mode, argp);
	default:
		return -ENOTTY;
	}
}

static int blk_dmabuf_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "native_requests %lld\n",
		   atomic64_read(&blk_dmabuf_stats.native_requests));
	seq_printf(m, "native_bytes %lld\n",
		   atomic64_read(&blk_dmabuf_stats.native_bytes));
	seq_printf(m, "bounce_bios %lld\n",
		   atomic64_read(&blk_dmabuf_stats.bounce_bios));
	seq_printf(m, "bounce_bytes %lld\n",
		   atomic64_read(&blk_dmabuf_stats.bounce_bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(blk_dmabuf_stats);

static int __init blk_dmabuf_init(void)
{
	struct dentry *dir;

	if (bioset_init(&blk_dmabuf_bio_set, BIO_POOL_SIZE, 0,
			BIOSET_NEED_BVECS) ||
	    bioset_init(&blk_dmabuf_req_set, BIO_POOL_SIZE,
			offsetof(struct blk_dmabuf_req, bio), 0))
		panic("blk-dmabuf: cannot allocate the bio sets\n");
	blk_dmabuf_wq = alloc_workqueue("blk-dmabuf",
					WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!blk_dmabuf_wq)
		panic("blk-dmabuf: cannot allocate the workqueue\n");

	dir = debugfs_create_dir("blk-dmabuf", NULL);
	debugfs_create_file("stats", 0400, dir, NULL, &blk_dmabuf_stats_fops);
	return 0;
}
subsys_initcall(blk_dmabuf_init);
