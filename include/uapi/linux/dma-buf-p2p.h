/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dma-buf P2P: DMA-BUFs in PCI BAR memory that peer devices DMA to directly.
 *
 * The misc device /dev/dma-buf-p2p takes the ioctls below.  It is mode 0660:
 * root and the members of its group may use it (devtmpfs makes it root's;
 * a udev rule such as KERNEL=="dma-buf-p2p", GROUP="p2p" gives it to a
 * group).  Every struct is a multiple of 8 bytes; fields marked "out" must
 * be zero on input, flags must be zero or a combination of the published
 * flag bits, and anything else is rejected with EINVAL.
 *
 * A buffer is only reached through its fd: the ioctls that name one take
 * the fd, never an id, and no ioctl tells a user without CAP_SYS_ADMIN
 * where the memory is (physical, BAR or bus addresses).
 *
 * Limits: one buffer is at most the free memory of its provider.  A buffer
 * moved to system memory gives its provider memory back and holds as much
 * system memory; all such buffers together hold at most max_system_bytes,
 * an attribute of the device (/sys/class/misc/dma-buf-p2p/max_system_bytes:
 * half of RAM when the module loads, root may change it, 0 keeps every
 * buffer in its provider; system_bytes next to it says how much they hold
 * now).  A move out that would pass it fails with EDQUOT, whether asked for
 * (DMA_BUF_P2P_IOC_MIGRATE) or needed by an importer's mapping, which then
 * fails with EDQUOT (BLKDMABUFRW takes its bounce path instead when this
 * happens as the call starts; see linux/blk-dmabuf.h).  Moves out of a
 * provider that goes away are never refused.
 */
#ifndef _UAPI_LINUX_DMA_BUF_P2P_H
#define _UAPI_LINUX_DMA_BUF_P2P_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct dma_buf_p2p_pci_id - names one PCI function
 * @domain: PCI domain (segment) number
 * @bdf: bus, device and function: (bus << 8) | (device << 3) | function
 */
struct dma_buf_p2p_pci_id {
	__u32 domain;
	__u32 bdf;
};

/* The client cannot reach the provider's memory peer-to-peer. */
#define DMA_BUF_P2P_PATH_NONE		0
/* Below a common PCI switch or bridge, with PCI bus addresses. */
#define DMA_BUF_P2P_PATH_BUS		1
/* Up through a host bridge known to route P2P transactions. */
#define DMA_BUF_P2P_PATH_HOST_BRIDGE	2

/**
 * struct dma_buf_p2p_reach - how a PCI function's DMA reaches a provider
 * @provider: a PCI function that publishes P2PDMA memory
 * @client: the PCI function that would DMA to or from that memory
 * @flags: must be 0
 * @path: out: one of DMA_BUF_P2P_PATH_*
 * @distance: out: PCI hops between the two, as the kernel's P2PDMA core
 *	counts them (0 when they are the same function); 0 when @path is
 *	DMA_BUF_P2P_PATH_NONE
 * @__pad: must be 0
 *
 * Errors: EINVAL for non-zero flags, padding or out fields or a @bdf over
 * 0xffff; ENODEV when either PCI function does not exist; ENXIO when
 * @provider publishes no P2PDMA memory.
 */
struct dma_buf_p2p_reach {
	struct dma_buf_p2p_pci_id provider;
	struct dma_buf_p2p_pci_id client;
	__u32 flags;
	__u32 path;
	__u32 distance;
	__u32 __pad;
};

#define DMA_BUF_P2P_PROVIDER_PUBLISHED	(1 << 0)	/* takes allocations */
#define DMA_BUF_P2P_PROVIDER_CPU_MAPPABLE (1 << 1)	/* the CPU can map it */

/* @bar when the provider's memory is in no standard BAR. */
#define DMA_BUF_P2P_BAR_NONE		0xffffffff

/**
 * struct dma_buf_p2p_provider_info - one P2PDMA provider
 * @pci: its PCI function
 * @bar: the BAR its memory is in, or DMA_BUF_P2P_BAR_NONE
 * @flags: DMA_BUF_P2P_PROVIDER_*; P2PDMA memory is always CPU-mappable
 * @size: bytes of P2PDMA memory
 * @available: bytes not allocated
 */
struct dma_buf_p2p_provider_info {
	struct dma_buf_p2p_pci_id pci;
	__u32 bar;
	__u32 flags;
	__u64 size;
	__u64 available;
};

/**
 * struct dma_buf_p2p_list_providers - list the P2PDMA providers
 * @providers: pointer to an array of struct dma_buf_p2p_provider_info
 * @count: in: entries @providers has room for; out: how many providers
 *	there are (only the first ones fit when it is larger)
 * @flags: must be 0
 *
 * Errors: EINVAL for non-zero flags; EFAULT for a bad pointer.
 */
struct dma_buf_p2p_list_providers {
	__u64 providers;
	__u32 count;
	__u32 flags;
};

/**
 * struct dma_buf_p2p_alloc - allocate a buffer in a provider's memory
 * @provider: a PCI function that publishes P2PDMA memory
 * @size: bytes to allocate, rounded up to the page size
 * @fd_flags: flags of the new dma-buf fd: O_CLOEXEC and O_RDWR or O_RDONLY
 * @flags: must be 0
 * @fd: out: the dma-buf fd
 * @__pad: must be 0
 *
 * The buffer starts in the provider's memory (DMA_BUF_P2P_PLACEMENT_BAR) in
 * as few physically contiguous chunks as the free space allows.
 *
 * Errors: EINVAL for bad flags, padding, a non-zero @fd, a zero or
 * overflowing @size; ENODEV when @provider does not exist; ENXIO when it
 * publishes no P2PDMA memory; ENOSPC when @size does not fit in its free
 * memory; ENOMEM when the kernel is short of memory; EMFILE when the
 * process has no free fd number (RLIMIT_NOFILE); EFAULT when the argument
 * cannot be read or the new fd cannot be written back (the buffer is
 * freed again).
 */
struct dma_buf_p2p_alloc {
	struct dma_buf_p2p_pci_id provider;
	__u64 size;
	__u32 fd_flags;
	__u32 flags;
	__u32 fd;
	__u32 __pad;
};

/* Where a buffer's pages are. */
#define DMA_BUF_P2P_PLACEMENT_BAR	0	/* the provider's memory */
#define DMA_BUF_P2P_PLACEMENT_SYSTEM	1	/* system memory */

/* How an attached device reaches the buffer. */
#define DMA_BUF_P2P_MODE_SYSTEM		0	/* through system memory */
#define DMA_BUF_P2P_MODE_BUS		1	/* P2P, PCI bus addresses */
#define DMA_BUF_P2P_MODE_HOST_BRIDGE	2	/* P2P through the host bridge */

/* Why an attached device gets DMA_BUF_P2P_MODE_SYSTEM. */
#define DMA_BUF_P2P_REASON_NONE		0	/* it does not: P2P */
#define DMA_BUF_P2P_REASON_NO_PEER2PEER	1	/* importer needs struct pages */
#define DMA_BUF_P2P_REASON_NOT_PCI	2	/* importer is not a PCI device */
#define DMA_BUF_P2P_REASON_NO_PATH	3	/* no switch or host bridge route */

#define DMA_BUF_P2P_ATTACH_DYNAMIC	(1 << 0)	/* takes move_notify */
#define DMA_BUF_P2P_ATTACH_MAPPED	(1 << 1)	/* mapped right now */

/**
 * struct dma_buf_p2p_attach_info - one device attached to a buffer
 * @device: the importing device's name (dev_name()), NUL-terminated
 * @pci: the PCI function that does its DMA; domain 0xffffffff when none
 * @mode: DMA_BUF_P2P_MODE_*
 * @reason: DMA_BUF_P2P_REASON_*
 * @flags: DMA_BUF_P2P_ATTACH_*
 * @__pad: 0
 */
struct dma_buf_p2p_attach_info {
	char device[32];
	struct dma_buf_p2p_pci_id pci;
	__u32 mode;
	__u32 reason;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct dma_buf_p2p_chunk_info - one contiguous piece of a buffer
 * @bar_offset: its offset in the provider's BAR
 * @size: its length in bytes
 */
struct dma_buf_p2p_chunk_info {
	__u64 bar_offset;
	__u64 size;
};

/**
 * struct dma_buf_p2p_query - the state of one of our buffers
 * @fd: a dma-buf fd allocated through DMA_BUF_P2P_IOC_ALLOC
 * @flags: must be 0
 * @attachments: pointer to an array of struct dma_buf_p2p_attach_info, or 0
 * @chunks: pointer to an array of struct dma_buf_p2p_chunk_info, or 0
 * @nr_attachments: in: entries @attachments has room for; out: how many
 *	devices are attached (only the first ones fit when it is larger)
 * @nr_chunks: in: entries @chunks has room for; out: how many chunks the
 *	buffer has in its provider's memory (0 in system memory).  Chunks
 *	reveal where the buffer is in the BAR: they are reported only to
 *	CAP_SYS_ADMIN, to others @nr_chunks is 0.
 * @provider: out: the provider the buffer was allocated on
 * @size: out: the buffer's size
 * @placement: out: DMA_BUF_P2P_PLACEMENT_*
 * @pin_count: out: how many times it is pinned where it is
 * @migrations_to_system: out: moves from the provider to system memory
 * @migrations_to_bar: out: moves back to the provider
 * @bytes_copied: out: bytes the CPU copied for those moves
 * @maps_bus: out: mappings handed out with PCI bus addresses
 * @maps_host_bridge: out: mappings handed out through the host bridge
 * @maps_system: out: mappings of system memory
 *
 * Out fields must be 0 on input.  Errors: EINVAL for bad flags or non-zero
 * out fields; EBADF when @fd is not open; EINVAL when it is not a dma-buf;
 * EOPNOTSUPP when it is another exporter's dma-buf; EFAULT for bad
 * pointers.
 */
struct dma_buf_p2p_query {
	__u32 fd;
	__u32 flags;
	__u64 attachments;
	__u64 chunks;
	__u32 nr_attachments;
	__u32 nr_chunks;
	struct dma_buf_p2p_pci_id provider;
	__u64 size;
	__u32 placement;
	__u32 pin_count;
	__u64 migrations_to_system;
	__u64 migrations_to_bar;
	__u64 bytes_copied;
	__u64 maps_bus;
	__u64 maps_host_bridge;
	__u64 maps_system;
};

/**
 * struct dma_buf_p2p_migrate - move a buffer explicitly
 * @fd: a dma-buf fd allocated through DMA_BUF_P2P_IOC_ALLOC
 * @placement: DMA_BUF_P2P_PLACEMENT_BAR or DMA_BUF_P2P_PLACEMENT_SYSTEM
 * @flags: must be 0
 * @__pad: must be 0
 *
 * Devices that take move_notify are told; the data moves byte for byte;
 * CPU mappings follow.  Moving to where the buffer is does nothing.
 *
 * Errors: as DMA_BUF_P2P_IOC_QUERY for @fd; EINVAL for a bad @placement,
 * flags or padding; EBUSY when the buffer is pinned, or when moving to the
 * provider while a device that cannot reach it is attached and cannot
 * follow moves (a static importer); ENOSPC when the provider has no room;
 * EDQUOT when moving to system memory would pass max_system_bytes; ENODEV
 * when the provider is gone.  A dynamic importer that cannot reach
 * the provider is told of the move, and its next mapping moves the buffer
 * back to system memory.
 */
struct dma_buf_p2p_migrate {
	__u32 fd;
	__u32 placement;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct dma_buf_p2p_probe - map a buffer for a device, as its driver would
 * @fd: a dma-buf fd allocated through DMA_BUF_P2P_IOC_ALLOC
 * @flags: 0 or DMA_BUF_P2P_PROBE_VMAP
 * @device: the PCI function to attach as (an NVMe controller, a NIC, ...)
 * @mode: out: DMA_BUF_P2P_MODE_* the device got
 * @reason: out: DMA_BUF_P2P_REASON_* when @mode is system memory
 * @placement: out: where the buffer was once mapped
 * @nr_segments: out: DMA segments the mapping has
 * @bus_segments: out: how many of them are PCI bus addresses (all of them
 *	for DMA_BUF_P2P_MODE_BUS, none otherwise)
 * @vmap_crc32: out: with DMA_BUF_P2P_PROBE_VMAP, the CRC-32 (as zlib's
 *	crc32()) of the buffer read through a kernel mapping (vmap)
 * @size: out: bytes the mapping covers
 *
 * The kernel attaches @device as a dynamic importer that allows P2P, maps
 * the buffer for it, reports, and detaches.  When the report cannot be
 * written back (EFAULT) the probe was done all the same, and a move it
 * caused stays.  The mapping is real: a device
 * that cannot reach the BAR makes the buffer move to system memory, as its
 * driver's first mapping would.  Out fields must be 0 on input.
 *
 * Errors: as DMA_BUF_P2P_IOC_QUERY for @fd; EINVAL for bad flags or
 * non-zero out fields; ENODEV when @device does not exist; EBUSY when the
 * buffer is pinned where @device cannot reach it; EDQUOT when it would have
 * to move to system memory past max_system_bytes.
 */
struct dma_buf_p2p_probe {
	__u32 fd;
	__u32 flags;
	struct dma_buf_p2p_pci_id device;
	__u32 mode;
	__u32 reason;
	__u32 placement;
	__u32 nr_segments;
	__u32 bus_segments;
	__u32 vmap_crc32;
	__u64 size;
};

/* Also read the buffer through the kernel's vmap of it. */
#define DMA_BUF_P2P_PROBE_VMAP		(1 << 0)

#define DMA_BUF_P2P_IOC_BASE		'b'
/* dma-buf's own ioctls on dma-buf fds use 'b' 0x00-0x3f; we take 0x40-0x5f. */
#define DMA_BUF_P2P_IOC_REACH		_IOWR(DMA_BUF_P2P_IOC_BASE, 0x40, \
					      struct dma_buf_p2p_reach)
#define DMA_BUF_P2P_IOC_ALLOC		_IOWR(DMA_BUF_P2P_IOC_BASE, 0x41, \
					      struct dma_buf_p2p_alloc)
#define DMA_BUF_P2P_IOC_QUERY		_IOWR(DMA_BUF_P2P_IOC_BASE, 0x42, \
					      struct dma_buf_p2p_query)
#define DMA_BUF_P2P_IOC_MIGRATE		_IOW(DMA_BUF_P2P_IOC_BASE, 0x43, \
					     struct dma_buf_p2p_migrate)
#define DMA_BUF_P2P_IOC_LIST_PROVIDERS	_IOWR(DMA_BUF_P2P_IOC_BASE, 0x44, \
					      struct dma_buf_p2p_list_providers)
#define DMA_BUF_P2P_IOC_PROBE		_IOWR(DMA_BUF_P2P_IOC_BASE, 0x45, \
					      struct dma_buf_p2p_probe)

#endif /* _UAPI_LINUX_DMA_BUF_P2P_H */
