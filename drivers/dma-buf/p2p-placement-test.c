// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the exporter's placement policy: every importer kind,
 * every placement, pinned or not.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <uapi/linux/dma-buf-p2p.h>

#include "p2p-placement.h"

static void p2p_classify_test(struct kunit *test)
{
	static const struct {
		bool peer2peer, pci;
		enum pci_p2pdma_map_type map;
		u32 mode, reason;
	} cases[] = {
		{ true, true, PCI_P2PDMA_MAP_BUS_ADDR,
		  DMA_BUF_P2P_MODE_BUS, DMA_BUF_P2P_REASON_NONE },
		{ true, true, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
		  DMA_BUF_P2P_MODE_HOST_BRIDGE, DMA_BUF_P2P_REASON_NONE },
		{ true, true, PCI_P2PDMA_MAP_NOT_SUPPORTED,
		  DMA_BUF_P2P_MODE_SYSTEM, DMA_BUF_P2P_REASON_NO_PATH },
		/* A PCI device whose driver needs struct pages. */
		{ false, true, PCI_P2PDMA_MAP_BUS_ADDR,
		  DMA_BUF_P2P_MODE_SYSTEM, DMA_BUF_P2P_REASON_NO_PEER2PEER },
		/* vgem, a platform device: no P2P however it asks. */
		{ true, false, PCI_P2PDMA_MAP_NOT_SUPPORTED,
		  DMA_BUF_P2P_MODE_SYSTEM, DMA_BUF_P2P_REASON_NOT_PCI },
		{ false, false, PCI_P2PDMA_MAP_NOT_SUPPORTED,
		  DMA_BUF_P2P_MODE_SYSTEM, DMA_BUF_P2P_REASON_NO_PEER2PEER },
	};
	u32 reason;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ_MSG(test, p2p_classify(cases[i].peer2peer,
						       cases[i].pci,
						       cases[i].map, &reason),
				    cases[i].mode, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, reason, cases[i].reason, "case %d", i);
	}
}

static void p2p_required_placement_test(struct kunit *test)
{
	/* P2P importers map the buffer where it is. */
	KUNIT_EXPECT_EQ(test, p2p_required_placement(DMA_BUF_P2P_PLACEMENT_BAR,
						     false),
			DMA_BUF_P2P_PLACEMENT_BAR);
	KUNIT_EXPECT_EQ(test,
			p2p_required_placement(DMA_BUF_P2P_PLACEMENT_SYSTEM,
					       false),
			DMA_BUF_P2P_PLACEMENT_SYSTEM);
	/* Others need system memory; nothing goes back by itself. */
	KUNIT_EXPECT_EQ(test, p2p_required_placement(DMA_BUF_P2P_PLACEMENT_BAR,
						     true),
			DMA_BUF_P2P_PLACEMENT_SYSTEM);
	KUNIT_EXPECT_EQ(test,
			p2p_required_placement(DMA_BUF_P2P_PLACEMENT_SYSTEM,
					       true),
			DMA_BUF_P2P_PLACEMENT_SYSTEM);
}

static void p2p_move_check_test(struct kunit *test)
{
	const u32 bar = DMA_BUF_P2P_PLACEMENT_BAR;
	const u32 sys = DMA_BUF_P2P_PLACEMENT_SYSTEM;

	KUNIT_EXPECT_EQ(test, p2p_move_check(bar, sys, false, false), 1);
	KUNIT_EXPECT_EQ(test, p2p_move_check(sys, bar, false, false), 1);
	/* Staying put always works, pinned or not. */
	KUNIT_EXPECT_EQ(test, p2p_move_check(bar, bar, true, true), 0);
	KUNIT_EXPECT_EQ(test, p2p_move_check(sys, sys, true, false), 0);
	/* Pins hold a buffer where it is. */
	KUNIT_EXPECT_EQ(test, p2p_move_check(bar, sys, true, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, p2p_move_check(sys, bar, true, false), -EBUSY);
	/* No move to the BAR while a device could not follow. */
	KUNIT_EXPECT_EQ(test, p2p_move_check(sys, bar, false, true), -EBUSY);
}

static struct kunit_case p2p_placement_cases[] = {
	KUNIT_CASE(p2p_classify_test),
	KUNIT_CASE(p2p_required_placement_test),
	KUNIT_CASE(p2p_move_check_test),
	{}
};

static struct kunit_suite p2p_placement_suite = {
	.name = "dma-buf-p2p-placement",
	.test_cases = p2p_placement_cases,
};

kunit_test_suite(p2p_placement_suite);

MODULE_DESCRIPTION("KUnit tests of the dma-buf P2P placement policy");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
