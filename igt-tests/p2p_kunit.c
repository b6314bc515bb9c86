// SPDX-License-Identifier: MIT
/*
 * The KUnit tests of dma-buf P2P (p2p-placement-test.ko), loaded in the
 * test machine; every case must pass, and each is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"

IGT_TEST_DESCRIPTION("Runs the KUnit tests of the dma-buf P2P placement "
		     "policy and reports each case.");

#define RESULTS "/sys/kernel/debug/kunit/dma-buf-p2p-placement/results"

static void run_kunit(void)
{
	char line[256], name[128];
	int cases = 0, failed = 0, n;
	FILE *f;

	igt_require_f(system("modprobe -q -n p2p-placement-test") == 0,
		      "no p2p-placement-test module\n");
	system("rmmod p2p_placement_test 2>/dev/null");
	igt_assert_eq(system("modprobe p2p-placement-test"), 0);

	f = fopen(RESULTS, "re");
	igt_assert_f(f, "no KUnit results at " RESULTS "\n");
	while (fgets(line, sizeof(line), f)) {
		/* Case lines are indented one level: "    ok 1 name". */
		if (sscanf(line, "    ok %d %127s", &n, name) == 2) {
			igt_info("KUnit %s: ok\n", name);
		} else if (sscanf(line, "    not ok %d %127s", &n, name) == 2) {
			igt_warn("KUnit %s: FAILED\n", name);
			failed++;
		} else {
			continue;
		}
		cases++;
	}
	fclose(f);
	igt_assert_eq(system("rmmod p2p_placement_test"), 0);

	igt_info("%d KUnit cases, %d failed\n", cases, failed);
	igt_assert_f(cases > 0, "no KUnit case in " RESULTS "\n");
	igt_assert_f(!failed, "see " RESULTS " and the kernel log\n");
}

igt_main
{
	igt_describe("Every KUnit case of the placement policy passes.");
	igt_subtest("placement-policy")
		run_kunit();
}
