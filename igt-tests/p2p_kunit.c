// SPDX-License-Identifier: MIT
/*
 * The KUnit tests of dma-buf P2P (p2p-kunit.ko), loaded in the test
 * machine; every case of every suite must pass, and each is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"

IGT_TEST_DESCRIPTION("Runs the KUnit tests of dma-buf P2P and reports "
		     "each case.");

#define KUNIT_DEBUGFS "/sys/kernel/debug/kunit/"

/* Counts the cases of one suite's results and how many failed. */
static void read_suite(const char *suite, int *cases, int *failed)
{
	char path[256], line[256], name[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), KUNIT_DEBUGFS "%s/results", suite);
	f = fopen(path, "re");
	igt_assert_f(f, "no KUnit results at %s\n", path);
	while (fgets(line, sizeof(line), f)) {
		/* Case lines are indented one level: "    ok 1 name". */
		if (sscanf(line, "    ok %d %127s", &n, name) == 2) {
			igt_info("KUnit %s.%s: ok\n", suite, name);
		} else if (sscanf(line, "    not ok %d %127s", &n, name) == 2) {
			igt_warn("KUnit %s.%s: FAILED (see %s)\n", suite, name,
				 path);
			(*failed)++;
		} else {
			continue;
		}
		(*cases)++;
	}
	fclose(f);
}

static void run_kunit(void)
{
	static const char *const suites[] = {
		"dma-buf-p2p-placement", "dma-buf-p2p-transfer",
	};
	int cases = 0, failed = 0;

	igt_require_f(system("modprobe -q -n p2p-kunit") == 0,
		      "no p2p-kunit module\n");
	igt_ignore_warn(system("rmmod p2p_kunit 2>/dev/null"));
	igt_assert_eq(system("modprobe p2p-kunit"), 0);
	for (int i = 0; i < 2; i++)
		read_suite(suites[i], &cases, &failed);
	igt_assert_eq(system("rmmod p2p_kunit"), 0);

	igt_info("%d KUnit results, %d failed\n", cases, failed);
	igt_assert_f(cases >= 2 * 2, "KUnit cases missing\n");
	igt_assert_eq(failed, 0);
}

igt_main
{
	igt_describe("Every KUnit case passes: the placement policy and the "
		     "choice of transfer ops.");
	igt_subtest("all-cases")
		run_kunit();
}
