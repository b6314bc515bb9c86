// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of dma-buf P2P: the placement policy (every importer kind,
 * every placement, pinned or not) and the choice between a provider's
 * transfer ops and the CPU.
 */
#include <kunit/test.h>
#include <linux/dma-buf-p2p.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <uapi/linux/dma-buf-p2p.h>

#include "p2p-placement.h"
#include "p2p-transfer.h"

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

static int p2p_fake_copy_calls;
static int p2p_fake_copy_ret;

static int p2p_fake_copy(struct pci_dev *provider, struct page **dst,
			 struct page **src, unsigned long nr_pages,
			 bool to_bar)
{
	p2p_fake_copy_calls++;
	if (!p2p_fake_copy_ret)
		memcpy(page_address(dst[0]), page_address(src[0]), PAGE_SIZE);
	return p2p_fake_copy_ret;
}

static const struct dma_buf_p2p_transfer_ops p2p_fake_ops = {
	.copy = p2p_fake_copy,
};

static void p2p_transfer_test(struct kunit *test)
{
	struct pci_dev *provider;
	struct page *dst, *src;
	u8 *d, *s;

	/* Only a key for the registry: never a device. */
	provider = kunit_kzalloc(test, sizeof(*provider), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, provider);
	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	s = page_address(src);
	d = page_address(dst);
	p2p_fake_copy_calls = 0;
	p2p_fake_copy_ret = 0;

	/* No ops: the CPU copies. */
	memset(s, 0x11, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, p2p_transfer(provider, &dst, &src, 1, false));
	KUNIT_EXPECT_EQ(test, d[PAGE_SIZE - 1], 0x11);

	/* Registered ops copy, once per move; one registration each. */
	KUNIT_ASSERT_EQ(test,
			dma_buf_p2p_register_transfer(provider, &p2p_fake_ops),
			0);
	KUNIT_EXPECT_EQ(test,
			dma_buf_p2p_register_transfer(provider, &p2p_fake_ops),
			-EEXIST);
	memset(s, 0x22, PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, p2p_transfer(provider, &dst, &src, 1, true));
	KUNIT_EXPECT_EQ(test, p2p_fake_copy_calls, 1);
	KUNIT_EXPECT_EQ(test, d[0], 0x22);

	/* Ops that fail: the CPU takes over, nothing is lost. */
	p2p_fake_copy_ret = -EIO;
	memset(s, 0x33, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, p2p_transfer(provider, &dst, &src, 1, false));
	KUNIT_EXPECT_EQ(test, p2p_fake_copy_calls, 2);
	KUNIT_EXPECT_EQ(test, d[PAGE_SIZE / 2], 0x33);

	/* Unregistered: the CPU again. */
	dma_buf_p2p_unregister_transfer(provider);
	memset(s, 0x44, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, p2p_transfer(provider, &dst, &src, 1, false));
	KUNIT_EXPECT_EQ(test, p2p_fake_copy_calls, 2);
	KUNIT_EXPECT_EQ(test, d[1], 0x44);

	__free_page(dst);
	__free_page(src);
}

static struct kunit_case p2p_transfer_cases[] = {
	KUNIT_CASE(p2p_transfer_test),
	{}
};

static struct kunit_suite p2p_transfer_suite = {
	.name = "dma-buf-p2p-transfer",
	.test_cases = p2p_transfer_cases,
};

kunit_test_suites(&p2p_placement_suite, &p2p_transfer_suite);

MODULE_DESCRIPTION("KUnit tests of dma-buf P2P");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
