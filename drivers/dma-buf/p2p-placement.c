// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's placement policy (see p2p-exporter.c): which mode an
 * importer gets, where a buffer must be to be mapped or pinned, and when a
 * move may go ahead.  Pure functions, checked by p2p-placement-test.c.
 */
#include <kunit/visibility.h>
#include <linux/errno.h>
#include <uapi/linux/dma-buf-p2p.h>

#include "p2p-placement.h"

/**
 * p2p_classify - the mode an importer gets
 * @peer2peer: the importer allows P2P (it never needs struct pages)
 * @pci: the importer's DMA is done by a PCI function
 * @map: pci_p2pdma_client_map_type() between the provider and it
 * @reason: set to the DMA_BUF_P2P_REASON_* for the mode
 *
 * Context: Any context.
 * Return: DMA_BUF_P2P_MODE_*.
 */
u32 p2p_classify(bool peer2peer, bool pci, enum pci_p2pdma_map_type map,
		 u32 *reason)
{
	*reason = DMA_BUF_P2P_REASON_NONE;
	if (!peer2peer) {
		*reason = DMA_BUF_P2P_REASON_NO_PEER2PEER;
		return DMA_BUF_P2P_MODE_SYSTEM;
	}
	if (!pci) {
		*reason = DMA_BUF_P2P_REASON_NOT_PCI;
		return DMA_BUF_P2P_MODE_SYSTEM;
	}
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return DMA_BUF_P2P_MODE_BUS;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return DMA_BUF_P2P_MODE_HOST_BRIDGE;
	default:
		*reason = DMA_BUF_P2P_REASON_NO_PATH;
		return DMA_BUF_P2P_MODE_SYSTEM;
	}
}
EXPORT_SYMBOL_IF_KUNIT(p2p_classify);

/**
 * p2p_required_placement - where a buffer must be to be mapped or pinned
 * @placement: where it is
 * @needs_system: the mapping device (for a pin: some attached device)
 *	cannot reach the BAR
 *
 * A buffer never moves to the BAR by itself: only an explicit request
 * takes it there.
 *
 * Context: Any context.
 * Return: DMA_BUF_P2P_PLACEMENT_*.
 */
u32 p2p_required_placement(u32 placement, bool needs_system)
{
	return needs_system ? DMA_BUF_P2P_PLACEMENT_SYSTEM : placement;
}
EXPORT_SYMBOL_IF_KUNIT(p2p_required_placement);

/**
 * p2p_move_check - whether a move from @from to @to may go ahead
 * @from: where the buffer is
 * @to: where it should go
 * @pinned: it is pinned (or vmapped) where it is
 * @blocked: @to is the BAR and an attached device cannot reach it
 *
 * Context: Any context.
 * Return: 1 to move, 0 when it is there already, -EBUSY.
 */
int p2p_move_check(u32 from, u32 to, bool pinned, bool blocked)
{
	if (from == to)
		return 0;
	if (pinned || blocked)
		return -EBUSY;
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(p2p_move_check);
