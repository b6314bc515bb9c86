/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dma-buf P2P: DMA-BUFs in PCI BAR memory that peer devices DMA to directly.
 *
 * The misc device /dev/dma-buf-p2p (mode 0600, root only) takes the ioctls
 * below.  Every struct is a multiple of 8 bytes; fields marked "out" must be
 * zero on input, flags must be zero or a combination of the published flag
 * bits, and anything else is rejected with EINVAL.
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

#define DMA_BUF_P2P_IOC_BASE		'b'
/* dma-buf's own ioctls on dma-buf fds use 'b' 0x00-0x3f; we take 0x40-0x5f. */
#define DMA_BUF_P2P_IOC_REACH		_IOWR(DMA_BUF_P2P_IOC_BASE, 0x40, \
					      struct dma_buf_p2p_reach)

#endif /* _UAPI_LINUX_DMA_BUF_P2P_H */
