// SPDX-License-Identifier: MIT
/*
 * The KUnit tests of dma-buf P2P (p2p-kunit.ko: the exporter's policy;
 * p2p-importer-kunit.ko: the importer library), loaded in the test machine;
 * every case of every suite must pass, and each is logged.
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

/*
 * Loads @module (which runs its suites), checks every case of @suites and
 * that there are at least @min_cases, and unloads it.  Buffers the tests
 * exported may be released a moment after the load returns (file release
 * is deferred), and pin the module until then: unloading retries for 5 s.
 */
static void run_kunit(const char *module, const char *const *suites,
		      int nr_suites, int min_cases)
{
	char cmd[128];
	int cases = 0, failed = 0, i;

	snprintf(cmd, sizeof(cmd), "modprobe -q -n %s", module);
	igt_require_f(system(cmd) == 0, "no %s module\n", module);
	snprintf(cmd, sizeof(cmd), "rmmod %s 2>/dev/null", module);
	igt_ignore_warn(system(cmd));
	snprintf(cmd, sizeof(cmd), "modprobe %s", module);
	igt_assert_eq(system(cmd), 0);
	for (i = 0; i < nr_suites; i++)
		read_suite(suites[i], &cases, &failed);

	snprintf(cmd, sizeof(cmd), "rmmod %s", module);
	for (i = 0; i < 50 && system(cmd); i++)
		usleep(100 * 1000);
	igt_assert_f(i < 50, "%s stays loaded\n", module);

	igt_info("%s: %d KUnit results, %d failed\n", module, cases, failed);
	igt_assert_f(cases >= min_cases, "%s: %d KUnit cases, expected %d\n",
		     module, cases, min_cases);
	igt_assert_eq(failed, 0);
}

igt_main
{
	static const char *const exporter[] = {
		"dma-buf-p2p-placement", "dma-buf-p2p-transfer",
	};
	static const char *const importer[] = { "dma-buf-p2p-importer" };

	igt_describe("Every KUnit case of the exporter passes: the placement "
		     "policy and the choice of transfer ops.");
	igt_subtest("all-cases")
		run_kunit("p2p-kunit", exporter, 2, 4);

	igt_describe("Every KUnit case of the importer passes: the import "
		     "cache, maps dropped on move_notify after in-flight users "
		     "drain, the segment iterator, devices that go away.");
	igt_subtest("importer-cases")
		run_kunit("p2p-importer-kunit", importer, 1, 7);
}
