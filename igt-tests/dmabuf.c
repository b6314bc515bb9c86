// SPDX-License-Identifier: MIT
/*
 * The kernel's dma-buf selftests (CONFIG_DMABUF_SELFTESTS=m) run through IGT
 * as upstream IGT's tests/dmabuf.c runs them: igt_kselftests() reads the
 * module's igt__<line>__<name> parameters and, under the single subtest
 * "all-tests", loads the module once per selftest as a dynamic subtest
 * (sanitycheck, dma_fence, dma_fence_chain, dma_fence_unwrap, dma_resv).
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "igt.h"
#include "igt_kmod.h"

IGT_TEST_DESCRIPTION("Kernel selftests for the dmabuf API");

/*
 * libkmod finds a module through depmod's index, so a module missing from
 * modules.dep cannot be loaded. Checking first turns "No dynamic tests
 * executed" into a skip that names the cause. IGT_KMOD_DIRNAME is where
 * libigt points libkmod instead of /lib/modules/$(uname -r).
 */
static bool module_installed(const char *name)
{
	char path[PATH_MAX], ko[NAME_MAX];
	const char *dir = getenv("IGT_KMOD_DIRNAME");
	struct utsname uts;
	bool found = false;
	size_t len = 0;
	char *line = NULL;
	FILE *dep;

	if (dir)
		snprintf(path, sizeof(path), "%s/modules.dep", dir);
	else if (!uname(&uts))
		snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep",
			 uts.release);
	else
		return false;

	dep = fopen(path, "r");
	if (!dep)
		return false;

	/* "kernel/drivers/dma-buf/dmabuf_selftests.ko[.xz]: deps" */
	snprintf(ko, sizeof(ko), "/%s.ko", name);
	while (!found && getline(&line, &len, dep) > 0) {
		char *colon = strchr(line, ':');

		if (colon) {
			*colon = '\0';
			found = strstr(line, ko);
		}
	}

	free(line);
	fclose(dep);
	return found;
}

igt_main
{
	igt_fixture
		igt_require_f(module_installed("dmabuf_selftests"),
			      "no dmabuf_selftests.ko in modules.dep\n");

	igt_describe("Load dmabuf_selftests once per selftest it exposes and "
		     "report each as a dynamic subtest.");
	igt_kselftests("dmabuf_selftests", NULL, NULL, NULL);
}
