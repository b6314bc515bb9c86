/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * What patches/0011 (io_uring: DMA-BUFs as registered buffers) adds to
 * <linux/io_uring.h>, for userspace built against headers without it
 * (Debian 12's, and the io_uring.h liburing 2.3 ships).  Keep in sync with
 * that patch; it goes away once the system's header has these.
 */
#ifndef P2P_IO_URING_DMABUF_H
#define P2P_IO_URING_DMABUF_H

#include <linux/types.h>

/* io_uring_register(2) opcode */
#define IORING_REGISTER_DMABUF		31

/* Take the bounce path (BLK_DMABUF_BOUNCE) even where the device could DMA */
#define IORING_DMABUF_BOUNCE		(1U << 0)

/*
 * Argument for IORING_REGISTER_DMABUF (nr_args 1): put the DMA-BUF
 * @dmabuf_fd into the empty slot @buf_index of the registered buffer table
 * (registered sparse first), for direct I/O to @target_fd's block device:
 * @target_fd is that block device, or a regular file of a filesystem on
 * it.  IORING_OP_READ_FIXED and IORING_OP_WRITE_FIXED on O_DIRECT files of
 * that device then take a byte offset into the buffer as their address.
 * @path (out) is BLK_DMABUF_PATH_NATIVE or BLK_DMABUF_PATH_BOUNCE
 * (<linux/blk-dmabuf.h>).  Emptying the slot with
 * IORING_REGISTER_BUFFERS_UPDATE unregisters it.
 */
struct io_uring_dmabuf_reg {
	__u32	buf_index;
	__s32	dmabuf_fd;
	__s32	target_fd;
	__u32	flags;
	__u32	path;
	__u32	resv;
	__u64	resv2[2];
};

#endif
