// SPDX-License-Identifier: MIT
/*
 * p2pctl list against the ground truth: sysfs, the PCI topology and the
 * CPU, and its error paths with their exit codes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_topology.h"

IGT_TEST_DESCRIPTION("p2pctl list reports the providers and the reach of "
		     "every block device as the machine has them.");

static char p2pctl[PATH_MAX];

/* p2pctl sits in the build tree next to this test's directory. */
static void find_p2pctl(void)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	igt_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	igt_assert(snprintf(p2pctl, sizeof(p2pctl),
			    "%s/../userspace/p2pctl/p2pctl", self) <
		   (int)sizeof(p2pctl));
	igt_require_f(access(p2pctl, X_OK) == 0, "no p2pctl at %s\n", p2pctl);
}

/* Runs p2pctl ARGS; returns its exit status, output in @out, @err. */
static int run(const char *args, char *out, size_t outlen, char *err,
	       size_t errlen)
{
	char cmd[PATH_MAX * 2], errfile[] = "/tmp/p2pctl-err-XXXXXX";
	size_t n;
	FILE *f;
	int fd, status;

	fd = mkstemp(errfile);
	igt_assert_fd(fd);
	close(fd);
	igt_assert(snprintf(cmd, sizeof(cmd), "%s %s 2>%s", p2pctl, args,
			    errfile) < (int)sizeof(cmd));
	f = popen(cmd, "r");
	igt_assert(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	status = pclose(f);
	f = fopen(errfile, "re");
	igt_assert(f);
	n = fread(err, 1, errlen - 1, f);
	err[n] = '\0';
	fclose(f);
	unlink(errfile);
	igt_debug("p2pctl %s -> %d\nstdout: %s\nstderr: %s\n", args, status,
		  out, err);
	igt_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void expect_provider(const char *json, const struct p2p_pci *pci,
			    const char *driver, const char *bar, uint64_t size)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "{\"pci\":\"%s\",\"driver\":\"%s\",\"bar\":%s,\"size\":%llu,",
		 pci->addr, driver, bar, (unsigned long long)size);
	igt_assert_f(strstr(json, want), "no provider entry %s\n", want);
}

static void expect_reach(const char *json, const struct p2p_pci *provider,
			 const struct p2p_pci *client, bool host_bridge_p2p)
{
	static const char *const names[] = {
		[DMA_BUF_P2P_PATH_NONE] = "not-reachable",
		[DMA_BUF_P2P_PATH_BUS] = "p2p-bus",
		[DMA_BUF_P2P_PATH_HOST_BRIDGE] = "p2p-host-bridge",
	};
	uint32_t path, distance;
	char want[256], dist[16];

	p2p_expected_path(provider, client, host_bridge_p2p, &path, &distance);
	snprintf(dist, sizeof(dist), path == DMA_BUF_P2P_PATH_NONE ? "null" :
		 "%u", distance);
	snprintf(want, sizeof(want),
		 "\"pci\":\"%s\",\"provider\":\"%s\",\"path\":\"%s\",\"distance\":%s,",
		 client->addr, provider->addr, names[path], dist);
	igt_assert_f(strstr(json, want), "no reach entry %s\n", want);
}

static void test_json(const struct p2p_machine *m)
{
	static char out[64 << 10], err[4096];

	igt_assert_eq(run("list --json", out, sizeof(out), err, sizeof(err)), 0);
	igt_assert_f(!err[0], "unexpected stderr: %s\n", err);

	char cmb_bar[8];

	snprintf(cmb_bar, sizeof(cmb_bar), "%d",
		 p2p_pci_bar_of_size(m->nvme[0].pci.addr, m->cmb_size));
	expect_provider(out, &m->vram, "p2p-bar", "2", m->vram_size);
	expect_provider(out, &m->nvme[0].pci, "nvme", cmb_bar, m->cmb_size);
	for (int n = 0; n < 3; n++) {
		expect_reach(out, &m->vram, &m->nvme[n].pci, m->host_bridge_p2p);
		expect_reach(out, &m->nvme[0].pci, &m->nvme[n].pci,
			     m->host_bridge_p2p);
	}
}

static void test_usage_errors(void)
{
	static char out[4096], err[4096];

	igt_assert_eq(run("list --bogus", out, sizeof(out), err, sizeof(err)), 2);
	igt_assert(strstr(err, "p2pctl: list: bad option"));
	igt_assert_eq(run("list extra", out, sizeof(out), err, sizeof(err)), 2);
	igt_assert(strstr(err, "unexpected argument 'extra'"));
	igt_assert_eq(run("no-such-command", out, sizeof(out), err,
			  sizeof(err)), 2);
	igt_assert(strstr(err, "unknown command 'no-such-command'"));
	igt_assert_eq(run("", out, sizeof(out), err, sizeof(err)), 2);
	igt_assert_eq(run("list --help", out, sizeof(out), err, sizeof(err)), 0);
	igt_assert(strstr(out, "usage: p2pctl list"));
	igt_assert_eq(run("--help", out, sizeof(out), err, sizeof(err)), 0);
	igt_assert(strstr(out, "Exit status"));
}

static void test_without_module(void)
{
	static char out[4096], err[4096];
	int ret;

	igt_assert_eq(system("rmmod dma_buf_p2p"), 0);
	ret = run("list", out, sizeof(out), err, sizeof(err));
	igt_assert_eq(system("modprobe dma-buf-p2p"), 0);

	igt_assert_eq(ret, 1);
	igt_assert_f(strstr(err, "p2pctl: list: cannot open /dev/dma-buf-p2p") &&
		     strstr(err, "(ENOENT)"), "stderr: %s\n", err);
	igt_assert_f(!out[0], "partial output on failure: %s\n", out);
}

igt_main
{
	struct p2p_machine m;

	igt_fixture {
		p2p_machine_load(&m);
		find_p2pctl();
	}

	igt_describe("p2pctl list --json lists both providers with their "
		     "driver, BAR and size, and the path and distance from "
		     "every NVMe that the topology gives.");
	igt_subtest("json-matches-machine")
		test_json(&m);

	igt_describe("Bad command lines exit with status 2 and say why; "
		     "--help exits 0.");
	igt_subtest("usage-errors")
		test_usage_errors();

	igt_describe("Without /dev/dma-buf-p2p, list fails with status 1, "
		     "names the device and the errno, and prints no table.");
	igt_subtest("fails-without-module")
		test_without_module();
}
