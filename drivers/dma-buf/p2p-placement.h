/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's placement policy as pure functions, so that KUnit can
 * check every case (p2p-placement-test.c); private to dma-buf-p2p.ko.
 */
#ifndef _DMA_BUF_P2P_PLACEMENT_H
#define _DMA_BUF_P2P_PLACEMENT_H

#include <linux/dma-map-ops.h>
#include <linux/types.h>

u32 p2p_classify(bool peer2peer, bool pci, enum pci_p2pdma_map_type map,
		 u32 *reason);
u32 p2p_required_placement(u32 placement, bool needs_system);
int p2p_move_check(u32 from, u32 to, bool pinned, bool blocked);

#endif /* _DMA_BUF_P2P_PLACEMENT_H */
