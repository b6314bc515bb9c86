// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl bench: the buffers themselves.  map: what attaching and mapping a
 * whole buffer for a device costs, and how many DMA segments it takes, in
 * the BAR and in system memory (DMA_BUF_P2P_IOC_PROBE, as the device's
 * driver would map it).  migrate: the exporter's moves between the BAR and
 * system memory against a plain memcpy of the same bytes by the CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xf86drm.h>

#include "bench.h"

#define MIN_REPS	3
#define MAX_REPS	64

struct probe_result {
	struct dma_buf_p2p_probe last;
	struct bench_stat us;
	int reps;
};

static int probe_repeatedly(struct bench *b, struct probe_result *r)
{
	double t[MAX_REPS], start = bench_now();

	for (r->reps = 0; r->reps < MAX_REPS &&
	     (r->reps < MIN_REPS || bench_now() - start < b->seconds);
	     r->reps++) {
		struct dma_buf_p2p_probe p = {
			.fd = (uint32_t)b->buf_fd,
			.device = b->dev_pci.id,
		};
		double t0 = bench_now();

		if (drmIoctl(b->p2p, DMA_BUF_P2P_IOC_PROBE, &p))
			return -errno;
		t[r->reps] = bench_now() - t0;
		r->last = p;
	}
	r->us = bench_stat_of(t, r->reps);
	return 0;
}

static void print_probe(const char *name, const struct probe_result *r,
			bool json)
{
	if (!json) {
		printf("map %-6s %u segments (%u bus), mode %s: ", name,
		       r->last.nr_segments, r->last.bus_segments,
		       p2pctl_mode_name(r->last.mode));
		printf("median %.1f us (min %.1f, max %.1f) over %d maps\n",
		       r->us.median * 1e6, r->us.min * 1e6, r->us.max * 1e6,
		       r->reps);
		return;
	}
	printf("\"%s\": {\"segments\": %u, \"bus_segments\": %u, \"mode\": ",
	       name, r->last.nr_segments, r->last.bus_segments);
	p2pctl_json_str(p2pctl_mode_name(r->last.mode));
	printf(", \"reps\": %d, ", r->reps);
	bench_json_stat("us", r->us, 1e6);
	printf("}");
}

int bench_map(struct bench *b)
{
	struct probe_result bar, sys;
	int ret;

	ret = probe_repeatedly(b, &bar);
	if (!ret)
		ret = bench_move(b, DMA_BUF_P2P_PLACEMENT_SYSTEM);
	if (!ret)
		ret = probe_repeatedly(b, &sys);
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "map the buffer for %s",
			   b->dev_pci.addr);
		return P2PCTL_EXIT_ERROR;
	}
	if (b->json) {
		print_probe("bar", &bar, true);
		printf(", ");
		print_probe("system", &sys, true);
	} else {
		print_probe("bar", &bar, false);
		print_probe("system", &sys, false);
	}
	return 0;
}

static int migrate_to(struct bench *b, uint32_t placement, double *secs)
{
	double t0 = bench_now();
	int ret;

	ret = bench_move(b, placement);
	*secs = bench_now() - t0;
	return ret;
}

/*
 * memcpy between the BAR and host memory, inside a CPU access.  The move
 * before it unmapped the buffer from p2pctl: the page faults that map it
 * again come first, untimed, so that the copy alone is timed.
 */
static int copy_bar(struct bench *b, uint8_t *host, bool to_bar, double *secs)
{
	volatile uint8_t sink;
	double t0;
	int ret;

	ret = bench_cpu_access(b, true, to_bar);
	if (ret)
		return ret;
	for (uint64_t off = 0; off < b->size; off += 4096)
		sink = b->buf_map[off];
	(void)sink;
	t0 = bench_now();
	if (to_bar)
		memcpy(b->buf_map, host, b->size);
	else
		memcpy(host, b->buf_map, b->size);
	*secs = bench_now() - t0;
	return bench_cpu_access(b, false, to_bar);
}

static void print_rate(const char *name, struct bench_stat s, uint64_t size,
		       bool json)
{
	/* Rates: the fastest time is the highest rate. */
	struct bench_stat r = {
		.median = size / s.median / 1e6,
		.min = size / s.max / 1e6,
		.max = size / s.min / 1e6,
	};

	if (json) {
		bench_json_stat(name, r, 1);
		return;
	}
	printf("%-22s median %8.1f MB/s (min %.1f, max %.1f)\n", name,
	       r.median, r.min, r.max);
}

int bench_migrate(struct bench *b)
{
	double to_sys[MAX_REPS], to_bar[MAX_REPS], from_bar[MAX_REPS];
	double into_bar[MAX_REPS], start = bench_now();
	uint8_t *host = aligned_alloc(4096, b->size);
	uint8_t *want = malloc(b->size);
	int reps, ret = 0;

	if (!host || !want) {
		p2pctl_err(BENCH_CMD, ENOMEM, "host memory");
		ret = -ENOMEM;
		goto out;
	}
	memset(host, 0, b->size);
	p2pctl_pattern(want, 0, b->size, b->seed);
	ret = bench_cpu_access(b, true, true);
	if (!ret) {
		memcpy(b->buf_map, want, b->size);
		ret = bench_cpu_access(b, false, true);
	}
	for (reps = 0; !ret && reps < MAX_REPS &&
	     (reps < MIN_REPS || bench_now() - start < b->seconds); reps++) {
		ret = migrate_to(b, DMA_BUF_P2P_PLACEMENT_SYSTEM, &to_sys[reps]);
		if (!ret)
			ret = migrate_to(b, DMA_BUF_P2P_PLACEMENT_BAR,
					 &to_bar[reps]);
		if (!ret)
			ret = copy_bar(b, host, false, &from_bar[reps]);
		if (!ret)
			ret = copy_bar(b, host, true, &into_bar[reps]);
	}
	if (ret) {
		p2pctl_err(BENCH_CMD, -ret, "migrate the buffer");
		goto out;
	}
	/* Moved back and forth and copied over with itself: unchanged. */
	ret = bench_cpu_access(b, true, false);
	b->verified = !ret && !memcmp(b->buf_map, want, b->size);
	bench_cpu_access(b, false, false);
	if (!b->verified) {
		p2pctl_err(BENCH_CMD, 0, "the buffer's bytes changed across the moves");
		ret = -EIO;
		goto out;
	}

	if (b->json) {
		print_rate("to_system_mb_s", bench_stat_of(to_sys, reps),
			   b->size, true);
		printf(", ");
		print_rate("to_bar_mb_s", bench_stat_of(to_bar, reps), b->size,
			   true);
		printf(", ");
		print_rate("memcpy_from_bar_mb_s",
			   bench_stat_of(from_bar, reps), b->size, true);
		printf(", ");
		print_rate("memcpy_to_bar_mb_s", bench_stat_of(into_bar, reps),
			   b->size, true);
		printf(", \"reps\": %d", reps);
	} else {
		print_rate("migrate to system", bench_stat_of(to_sys, reps),
			   b->size, false);
		print_rate("memcpy from the BAR", bench_stat_of(from_bar, reps),
			   b->size, false);
		print_rate("migrate to the BAR", bench_stat_of(to_bar, reps),
			   b->size, false);
		print_rate("memcpy into the BAR", bench_stat_of(into_bar, reps),
			   b->size, false);
	}
out:
	free(host);
	free(want);
	return ret ? P2PCTL_EXIT_ERROR : 0;
}
