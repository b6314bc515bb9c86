// SPDX-License-Identifier: GPL-2.0
/*
 * DMA-BUFs as registered buffers (IORING_REGISTER_DMABUF).
 *
 * A registered DMA-BUF sits in a slot of the buffer table as user buffers
 * do, bound to one block device: that device's direct I/O, on the device
 * itself or on files of the filesystem on it.  READ_FIXED and WRITE_FIXED
 * take byte offsets into the buffer and get an ITER_DMABUF iterator over
 * the slot's dma-buf P2P import, which the block layer turns into DMA-BUF
 * bios (include/linux/blk-dmabuf.h): the device DMAs the buffer itself,
 * from addresses mapped once per (buffer, device), or the block layer
 * bounces through system pages.
 *
 * Requests hold no map.  Each bio holds the map it was built with until
 * it completes, so the exporter's move_notify waits for bios in flight and
 * the next bio maps the buffer where it now is: a move never fails a
 * request, and never gives it stale addresses.  A device that goes away
 * fails the bios that still come (-ENODEV from the import).  Emptying the
 * slot drops the import and the buffer once its requests have completed.
 */
#include <linux/blk-dmabuf.h>
#include <linux/blkdev.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-p2p.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <uapi/linux/blk-dmabuf.h>
#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "dmabuf.h"

/* The block device a file's direct I/O goes to: its own or its fs's. */
static struct block_device *io_dmabuf_bdev(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISBLK(inode->i_mode))
		return I_BDEV(file->f_mapping->host);
	if (S_ISREG(inode->i_mode))
		return inode->i_sb->s_bdev;
	return NULL;
}

void io_dmabuf_release(struct io_dmabuf *d)
{
	dma_buf_p2p_import_put(d->imp);
	dma_buf_put(d->dmabuf);
	kfree(d);
}

static struct io_dmabuf *io_dmabuf_get(const struct io_uring_dmabuf_reg *reg)
{
	struct block_device *bdev;
	struct io_dmabuf *d;
	struct file *target;
	u32 maps = 0;
	int ret;

	target = fget(reg->target_fd);
	if (!target)
		return ERR_PTR(-EBADF);
	bdev = io_dmabuf_bdev(target);
	if (!bdev) {
		ret = -EOPNOTSUPP;
		goto out_fput;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		ret = -ENOMEM;
		goto out_fput;
	}
	d->dev = bdev->bd_dev;
	d->dmabuf = dma_buf_get(reg->dmabuf_fd);
	if (IS_ERR(d->dmabuf)) {
		ret = PTR_ERR(d->dmabuf);
		goto out_free;
	}
	d->imp = blk_dmabuf_import(bdev, d->dmabuf,
				   reg->flags & IORING_DMABUF_BOUNCE, &d->path,
				   &maps);
	if (IS_ERR(d->imp)) {
		ret = PTR_ERR(d->imp);
		goto out_put;
	}
	fput(target);
	return d;

out_put:
	dma_buf_put(d->dmabuf);
out_free:
	kfree(d);
out_fput:
	fput(target);
	return ERR_PTR(ret);
}

/**
 * io_register_dmabuf() - IORING_REGISTER_DMABUF
 * @ctx: the ring, uring_lock held
 * @arg: a struct io_uring_dmabuf_reg
 * @nr_args: 1
 *
 * Return: 0; -EINVAL for bad arguments (non-zero reserved or out fields,
 * unknown flags, a slot past the table); -ENXIO without a buffer table;
 * -EBUSY when the slot holds a buffer; -EBADF, -EINVAL for the fds (not
 * open, not a DMA-BUF); -EOPNOTSUPP for a target that is neither a block
 * device nor a file of a filesystem on one; the errno of mapping the
 * buffer for the device that the bounce path cannot serve either.
 */
int io_register_dmabuf(struct io_ring_ctx *ctx, void __user *arg,
		       unsigned int nr_args)
{
	struct io_uring_dmabuf_reg reg;
	struct io_mapped_ubuf *imu;
	struct io_dmabuf *d;
	int ret;

	if (!arg || nr_args != 1)
		return -EINVAL;
	if (copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if ((reg.flags & ~IORING_DMABUF_BOUNCE) || reg.path || reg.resv ||
	    reg.resv2[0] || reg.resv2[1])
		return -EINVAL;
	/* Before mapping anything; uring_lock keeps the slot empty. */
	ret = io_buffer_check_slot(ctx, reg.buf_index);
	if (ret)
		return ret;

	d = io_dmabuf_get(&reg);
	if (IS_ERR(d))
		return PTR_ERR(d);
	imu = kvzalloc(struct_size(imu, bvec, 0), GFP_KERNEL);
	if (!imu) {
		ret = -ENOMEM;
		goto out_release;
	}
	refcount_set(&imu->refs, 1);
	imu->dmabuf = d;

	reg.path = d->path;
	if (copy_to_user(arg, &reg, sizeof(reg))) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = io_buffer_install(ctx, reg.buf_index, imu);
	if (ret)
		goto out_free;
	return 0;

out_free:
	kvfree(imu);
out_release:
	io_dmabuf_release(d);
	return ret;
}

/**
 * io_dmabuf_import() - the iterator of a fixed read or write
 * @ddir: ITER_DEST or ITER_SOURCE
 * @iter: filled with an ITER_DMABUF iterator
 * @d: the slot's buffer
 * @buf_addr: the request's address: a byte offset into the buffer
 * @len: the request's length
 *
 * Return: 0, or -EFAULT for a range outside the buffer.
 */
int io_dmabuf_import(int ddir, struct iov_iter *iter, struct io_dmabuf *d,
		     u64 buf_addr, size_t len)
{
	u64 end;

	if (unlikely(check_add_overflow(buf_addr, (u64)len, &end) ||
		     end > d->dmabuf->size))
		return -EFAULT;
	iov_iter_dmabuf(iter, ddir, d->imp, buf_addr, len);
	return 0;
}

/**
 * io_dmabuf_prep_rw() - check a fixed read or write against its buffer
 * @req: the request, its file assigned
 * @d: the slot's buffer
 * @kiocb: the request's kiocb, its flags set
 *
 * Return: 0; -EINVAL for a file without O_DIRECT (the page cache cannot
 * hold a DMA-BUF range); -EXDEV for a file of another block device than
 * the one the buffer was registered for.
 */
int io_dmabuf_prep_rw(struct io_kiocb *req, struct io_dmabuf *d,
		      struct kiocb *kiocb)
{
	struct block_device *bdev = io_dmabuf_bdev(req->file);

	if (!(kiocb->ki_flags & IOCB_DIRECT))
		return -EINVAL;
	if (!bdev || bdev->bd_dev != d->dev)
		return -EXDEV;
	/*
	 * The bounce path copies with the CPU and sleeps: it runs from io-wq,
	 * never in a non-blocking attempt that could end in -EAGAIN after
	 * the submission returned.
	 */
	if (d->path == BLK_DMABUF_PATH_BOUNCE)
		req->flags &= ~REQ_F_SUPPORT_NOWAIT;
	return 0;
}
