// SPDX-License-Identifier: MIT
/*
 * p2pctl list against the ground truth: sysfs, the PCI topology and the
 * CPU, and its error paths with their exit codes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_topology.h"
#include "p2pctl_run.h"

IGT_TEST_DESCRIPTION("p2pctl list reports the providers and the reach of "
		     "every block device as the machine has them.");

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
	static struct p2p_result r;
	const char *out;

	igt_assert_eq(p2pctl_run(&r, "list", "--json"), 0);
	igt_assert_f(!r.err[0], "unexpected stderr: %s\n", r.err);
	out = r.out;

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
	static struct p2p_result r;

	igt_assert_eq(p2pctl_run(&r, "list", "--bogus"), 2);
	igt_assert(strstr(r.err, "p2pctl: list: bad option"));
	igt_assert_eq(p2pctl_run(&r, "list", "extra"), 2);
	igt_assert(strstr(r.err, "unexpected argument 'extra'"));
	igt_assert_eq(p2pctl_run(&r, "no-such-command"), 2);
	igt_assert(strstr(r.err, "unknown command 'no-such-command'"));
	/* No command at all. */
	igt_assert_eq(p2pctl_runl(&r, NULL, NULL), 2);
	igt_assert_eq(p2pctl_run(&r, "list", "--help"), 0);
	igt_assert(strstr(r.out, "usage: p2pctl list"));
	igt_assert_eq(p2pctl_run(&r, "--help"), 0);
	igt_assert(strstr(r.out, "Exit status"));
}

/*
 * Every command documents itself the same way through 'COMMAND --help'
 * and 'help COMMAND': its usage line, examples and exit codes.
 */
static void test_help(void)
{
	static const char *const cmds[] = {
		"list", "alloc", "connect", "info", "copy", "fill", "dump",
		"verify", "migrate", "stats",
	};
	static struct p2p_result r, h;
	char want[64];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		igt_assert_eq(p2pctl_run(&r, cmds[i], "--help"), 0);
		snprintf(want, sizeof(want), "usage: p2pctl %s", cmds[i]);
		igt_assert_f(!strncmp(r.out, want, strlen(want)),
			     "%s --help starts '%.40s'\n", cmds[i], r.out);
		igt_assert_f(strstr(r.out, "\nExamples:\n"),
			     "no examples in %s --help\n", cmds[i]);
		igt_assert_f(strstr(r.out, "Exit status"),
			     "no exit status in %s --help\n", cmds[i]);
		igt_assert_f(!r.err[0], "%s --help: stderr %s\n", cmds[i],
			     r.err);
		igt_assert_eq(p2pctl_run(&h, "help", cmds[i]), 0);
		igt_assert_f(!strcmp(r.out, h.out),
			     "help %s differs from %s --help\n", cmds[i],
			     cmds[i]);
		/* The overview lists it. */
		igt_assert_eq(p2pctl_run(&h, "help"), 0);
		snprintf(want, sizeof(want), "\n  %-8s ", cmds[i]);
		igt_assert_f(strstr(h.out, want), "%s not in p2pctl help\n",
			     cmds[i]);
	}

	igt_assert_eq(p2pctl_run(&r, "help", "copy", "fill"), 2);
	p2p_expect_err(&r, "p2pctl: help: one command at a time (see 'p2pctl --help')\n");
	igt_assert_eq(p2pctl_run(&r, "help", "no-such-command"), 2);
	p2p_expect_err(&r, "p2pctl: unknown command 'no-such-command' (see 'p2pctl --help')\n");
	igt_assert_eq(p2pctl_run(&r, "--version"), 0);
	igt_assert_f(!strncmp(r.out, "p2pctl ", 7) && strchr(r.out, '\n'),
		     "--version printed '%s'\n", r.out);
}

static void test_without_module(void)
{
	static struct p2p_result r;
	int ret;

	igt_assert_eq(system("rmmod dma_buf_p2p"), 0);
	ret = p2pctl_run(&r, "list");
	igt_assert_eq(system("modprobe dma-buf-p2p"), 0);

	igt_assert_eq(ret, 1);
	p2p_expect_err(&r, "p2pctl: list: open /dev/dma-buf-p2p (is "
		       "dma-buf-p2p loaded?): No such file or directory "
		       "(ENOENT)\n");
}

igt_main
{
	struct p2p_machine m;

	igt_fixture {
		p2p_machine_load(&m);
		p2pctl_find();
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

	igt_describe("Every command's --help, and 'help COMMAND', give its "
		     "usage, examples and exit codes.");
	igt_subtest("help-every-command")
		test_help();

	igt_describe("Without /dev/dma-buf-p2p, list fails with status 1, "
		     "names the device and the errno, and prints no table.");
	igt_subtest("fails-without-module")
		test_without_module();
}
