/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Block I/O between a block device and a DMA-BUF, by file descriptor.
 *
 * Both ioctls are issued on an open block device (a whole disk or a
 * partition) and name the DMA-BUF by fd.  Data moves between the device and
 * the buffer without passing through user memory: drivers that support it
 * (nvme-pci) DMA straight to or from the buffer through a mapping made once
 * per (buffer, device) and cached; every other driver is served through
 * system pages that the CPU copies to or from the buffer (the bounce path).
 *
 * Every struct is a multiple of 8 bytes.  Fields marked "out" must be zero on
 * input; flags must hold only published bits; anything else is EINVAL.
 *
 * Errors shared by both ioctls:
 *   EBADF       @dmabuf_fd is not an open file, or the block device is not
 *               open for the access (writing for writes, reading for reads)
 *   EINVAL      @dmabuf_fd is not a DMA-BUF; unknown flags; non-zero padding
 *               or out fields; a zero length; an offset or length not a
 *               multiple of the device's logical block size
 *   ERANGE      a range reaches past the end of the buffer or the device,
 *               or offset + length overflows
 *   EPERM       a write to a read-only device
 *   EACCES      the dma-buf fd is not open for the access: writing for
 *               reads from the device, reading for writes to it
 *   EBUSY       cached pages of the device's range could not be dropped
 *               before a write (they are mapped or locked); or, as for
 *               EDQUOT, the buffer moved during the call and is now pinned
 *               where the device cannot reach it
 *   EDQUOT      the buffer moved during the call and its exporter could
 *               not map it for the device again: that needed a move to
 *               system memory past the exporter's cap (dma-buf P2P's
 *               max_system_bytes).  Part of the range may have moved.  At
 *               the start of a call, the call takes the bounce path instead
 *   EOPNOTSUPP  the device carries integrity metadata or is zoned
 *   ENODEV      the device is gone (removed, or its controller died) or
 *               has no capacity
 *   EFAULT      the argument (or a batch's entries) cannot be accessed;
 *               when only the out fields (or results) cannot be written
 *               back, the I/O was done
 *   EIO         the device reported an error; data in the range is undefined
 *   ENOMEM      no memory for the call, or for the bounce path's pages:
 *               part of the range may have moved
 *   ETIMEDOUT   the buffer's other users (fences) did not finish in 10 s
 *   EINTR       a signal arrived while the call waited for the buffer (its
 *               fences, a move; under SA_RESTART the call restarts), or a
 *               fatal one during the I/O; I/O already started was waited for
 *
 * The device DMAs the buffer itself when its driver supports it and the
 * buffer's exporter maps it for the device (peer-to-peer where the device
 * reaches the memory; an exporter such as dma-buf P2P may first move the
 * buffer to system memory for a device that cannot).  Otherwise the call
 * takes the bounce path.  Both are reported in the out fields.  The device's
 * page cache is kept coherent as for O_DIRECT: dirty pages of the range are
 * written back first, and cached pages of a written range are dropped.
 */
#ifndef _UAPI_LINUX_BLK_DMABUF_H
#define _UAPI_LINUX_BLK_DMABUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Write the buffer's bytes to the device; without it, read into the buffer. */
#define BLK_DMABUF_WRITE		(1U << 0)
/*
 * Take the bounce path even where the device could DMA the buffer itself:
 * to measure one path against the other, or to keep data off a
 * peer-to-peer route the platform is known to break.  A whole call's flag
 * (struct blk_dmabuf_rw, struct blk_dmabuf_rw_batch), not an entry's.
 */
#define BLK_DMABUF_BOUNCE		(1U << 1)

/* The device DMAed the buffer's memory itself (peer-to-peer or not). */
#define BLK_DMABUF_PATH_NATIVE		1
/* The data went through system pages and the CPU copied it. */
#define BLK_DMABUF_PATH_BOUNCE		2

/**
 * struct blk_dmabuf_rw - one synchronous transfer
 * @dmabuf_fd: the DMA-BUF
 * @flags: BLK_DMABUF_WRITE, BLK_DMABUF_BOUNCE, both or 0
 * @buf_offset: byte offset into the buffer
 * @dev_offset: byte offset into the block device (or partition)
 * @length: bytes to move; split into as many requests as the device needs,
 *	all in flight at once
 * @path: out: BLK_DMABUF_PATH_*
 * @maps: out: device mappings of the buffer this call had to create (0 when
 *	the cached one was still valid)
 * @cpu_bytes: out: bytes the CPU copied on behalf of this call
 *
 * Returns 0 once every byte has moved, or -1 with errno set.
 */
struct blk_dmabuf_rw {
	__s32 dmabuf_fd;
	__u32 flags;
	__u64 buf_offset;
	__u64 dev_offset;
	__u64 length;
	__u32 path;
	__u32 maps;
	__u64 cpu_bytes;
};

/**
 * struct blk_dmabuf_io - one entry of a batch
 * @buf_offset: byte offset into the buffer
 * @dev_offset: byte offset into the block device
 * @length: bytes, at most 1 GiB
 * @flags: BLK_DMABUF_WRITE or 0
 * @result: out: 0, or a negative errno for this entry's I/O
 * @__pad: must be 0
 */
struct blk_dmabuf_io {
	__u64 buf_offset;
	__u64 dev_offset;
	__u32 length;
	__u32 flags;
	__s32 result;
	__u32 __pad;
};

/* Most entries one batch takes. */
#define BLK_DMABUF_BATCH_MAX		4096
/* Queue depth used when @queue_depth is 0. */
#define BLK_DMABUF_DEFAULT_QD		32

/**
 * struct blk_dmabuf_rw_batch - many independent transfers, many in flight
 * @dmabuf_fd: the DMA-BUF every entry uses
 * @flags: BLK_DMABUF_BOUNCE or 0
 * @ios: user pointer to @nr_ios struct blk_dmabuf_io
 * @nr_ios: 1 to BLK_DMABUF_BATCH_MAX
 * @queue_depth: entries kept in flight at once, 1 to BLK_DMABUF_BATCH_MAX;
 *	0 means BLK_DMABUF_DEFAULT_QD
 * @path: out: BLK_DMABUF_PATH_*
 * @maps: out: as in struct blk_dmabuf_rw
 * @cpu_bytes: out: as in struct blk_dmabuf_rw
 *
 * Every entry is validated before any I/O starts; an invalid entry fails the
 * whole call with its errno and nothing moves.  Then entries are issued in
 * order, at most @queue_depth at a time, and each entry's @result is written
 * back.  The call returns 0 when every entry succeeded, -1 with errno EIO
 * when any failed (see the results), or another errno when the batch could
 * not run (its results are then not written).
 */
struct blk_dmabuf_rw_batch {
	__s32 dmabuf_fd;
	__u32 flags;
	__u64 ios;
	__u32 nr_ios;
	__u32 queue_depth;
	__u32 path;
	__u32 maps;
	__u64 cpu_bytes;
};

#define BLKDMABUFRW		_IOWR(0x12, 144, struct blk_dmabuf_rw)
#define BLKDMABUFRWBATCH	_IOWR(0x12, 145, struct blk_dmabuf_rw_batch)

/*
 * FIDMABUFRW: struct blk_dmabuf_rw on a regular file, @dev_offset being the
 * offset in the file.  The transfer is the filesystem's own direct I/O
 * (as with O_DIRECT, whether or not the file was opened with it): the
 * file's extents become bios that carry the buffer's range, on the same
 * native or bounce path as BLKDMABUFRW on the filesystem's block device.
 * Holes and unwritten extents read as zeros: the CPU clears that part of
 * the buffer inside the filesystem's direct I/O, which does not say how
 * much, so @cpu_bytes does not count it.  A read may reach into the logical
 * block that holds end of file, not past it: the bytes of the range past
 * end of file read as zeros (cleared by the CPU, counted in @cpu_bytes).
 * Writes may extend the file.
 * The file's page cache is kept coherent as for O_DIRECT.
 *
 * Errors as BLKDMABUFRW's, and:
 *   EBADF       the file is not open for reading (reads) or writing (writes)
 *   EINVAL      the file is open with O_APPEND (writes); an offset or length
 *               is not a multiple of the filesystem's block device's
 *               logical block size
 *   ERANGE      a read reaches past the logical block holding end of file
 *   EOPNOTSUPP  the file's filesystem has no block device (tmpfs, network
 *               filesystems) or no direct I/O, or it would serve this I/O
 *               through the page cache (ext4 does for some files, such as
 *               data=journal or encrypted ones)
 *   EIO         also: the filesystem sent the I/O to another block device
 *               than its own (multi-device filesystems)
 *   ENOSPC      the filesystem wrote less than @length (it is full)
 *   EFBIG       a write past the filesystem's largest file size
 * Part of the range may have moved when a call fails after validation.
 */
#define FIDMABUFRW		_IOWR(0x12, 146, struct blk_dmabuf_rw)

#endif /* _UAPI_LINUX_BLK_DMABUF_H */
