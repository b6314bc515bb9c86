// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl migrate: move a buffer to its provider's BAR or to system memory
 * (DMA_BUF_P2P_IOC_MIGRATE), and say how long the move took.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "p2pctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl migrate [--json] FD --to bar|system\n"
		"       p2pctl migrate [--json] --pid PID --fd N --to bar|system\n"
		"\n"
		"Move a dma-buf P2P buffer to its provider's memory (bar) or to\n"
		"system memory (system).  Devices attached to it are told; the data\n"
		"and CPU mappings follow.  Moving it to where it is does nothing.\n"
		"Prints where it is now and how long the move took.\n"
		"\n"
		"  FD               a dma-buf fd of p2pctl's own, inherited from its\n"
		"                   parent (e.g. $P2P_FD in 'p2pctl alloc ... -- CMD')\n"
		"  --pid PID --fd N fd N of process PID instead (pidfd_getfd(2):\n"
		"                   needs ptrace access to PID)\n"
		"  --to bar|system  where to\n"
		"  --json           one JSON object instead of text\n"
		"\n"
		"JSON keys: fd, pid (null for an fd of p2pctl's own), from, to,\n"
		"placement (where it is now), moved (false when it already was\n"
		"there), size, seconds, bytes_per_second (null when not moved).\n"
		"\n"
		"Devices that follow moves (dynamic importers: NVMe through the\n"
		"kernel import) are told; one that cannot reach the BAR moves the\n"
		"buffer back to system memory the next time it maps it.\n"
		"\n"
		"Exit status: 0 success; 1 the move failed (EBUSY: pinned, or a\n"
		"static importer that cannot reach the BAR is attached; ENOSPC: no\n"
		"room in the provider; EDQUOT: buffers in system memory would pass\n"
		"max_system_bytes in /sys/class/misc/dma-buf-p2p/; ENODEV: the\n"
		"provider is gone) or the fd is not one of our dma-bufs; 2 bad\n"
		"usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl alloc --provider 0000:05:00.0 --size 64M -- \\\n"
		"      sh -c 'p2pctl migrate $P2P_FD --to system &&\n"
		"             p2pctl migrate $P2P_FD --to bar'\n"
		"  p2pctl migrate --pid 1234 --fd 7 --to system\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* EBUSY and friends, with what the buffer's state says about them. */
static void migrate_err(int dev, int err, const struct p2pctl_target *t,
			uint32_t to, const struct p2pctl_buf *before)
{
	char what[64], pci[24];
	struct p2pctl_buf b;

	snprintf(what, sizeof(what), " to %s", p2pctl_placement_name(to));
	p2pctl_pci_id_str(&before->q.provider, pci, sizeof(pci));
	switch (err) {
	case EBUSY:
		if (p2pctl_buf_query(dev, t->fd, &b)) {
			b = *before;
			b.att = NULL;
			b.chunks = NULL;
		}
		if (to == DMA_BUF_P2P_PLACEMENT_SYSTEM)
			p2pctl_err("migrate", err, "%s%s: pinned (%u pins)",
				   t->name, what, b.q.pin_count);
		else
			p2pctl_err("migrate", err,
				   "%s%s: pinned, or a static importer that cannot reach the BAR is attached (%u pins, %u attachments)",
				   t->name, what, b.q.pin_count,
				   b.q.nr_attachments);
		p2pctl_buf_free(&b);
		break;
	case ENOSPC:
		p2pctl_err("migrate", err, "%s%s: no room in %s", t->name,
			   what, pci);
		break;
	case EDQUOT:
		p2pctl_err("migrate", err,
			   "%s%s: buffers in system memory would pass %s",
			   t->name, what, P2PCTL_MAX_SYSTEM_BYTES);
		break;
	case ENODEV:
		p2pctl_err("migrate", err, "%s%s: the provider %s is gone",
			   t->name, what, pci);
		break;
	default:
		p2pctl_buf_err("migrate", err, t, what);
		break;
	}
}

enum { OPT_TO = 0x200 };

int p2pctl_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		P2PCTL_TARGET_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct p2pctl_target t = P2PCTL_TARGET_INIT;
	const char *to = NULL;
	struct dma_buf_p2p_migrate mig = { 0 };
	struct p2pctl_buf before, after;
	char size[16], rate[16];
	double start, secs;
	int dev, c, ret;
	bool json = false, moved;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (p2pctl_target_opt(&t, c, optarg))
			continue;
		switch (c) {
		case OPT_TO:
			to = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("migrate", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (!to) {
		p2pctl_usage_err("migrate", "missing --to bar|system");
		return P2PCTL_EXIT_USAGE;
	}
	if (!strcmp(to, "bar")) {
		mig.placement = DMA_BUF_P2P_PLACEMENT_BAR;
	} else if (!strcmp(to, "system")) {
		mig.placement = DMA_BUF_P2P_PLACEMENT_SYSTEM;
	} else {
		p2pctl_usage_err("migrate", "--to '%s': bar or system", to);
		return P2PCTL_EXIT_USAGE;
	}

	ret = p2pctl_target_get("migrate", &t, argc, argv);
	if (ret)
		return ret;
	dev = p2pctl_open_dev("migrate");
	if (dev < 0) {
		ret = P2PCTL_EXIT_ERROR;
		goto out_put;
	}
	ret = p2pctl_buf_query(dev, t.fd, &before);
	if (ret) {
		p2pctl_buf_err("migrate", -ret, &t, "");
		ret = P2PCTL_EXIT_ERROR;
		goto out_close;
	}

	mig.fd = (uint32_t)t.fd;
	start = now();
	ret = drmIoctl(dev, DMA_BUF_P2P_IOC_MIGRATE, &mig);
	secs = now() - start;
	if (ret) {
		migrate_err(dev, errno, &t, mig.placement, &before);
		ret = P2PCTL_EXIT_ERROR;
		goto out_free;
	}
	ret = p2pctl_buf_query(dev, t.fd, &after);
	if (ret) {
		p2pctl_buf_err("migrate", -ret, &t, "");
		ret = P2PCTL_EXIT_ERROR;
		goto out_free;
	}

	moved = before.q.placement != mig.placement;
	p2pctl_fmt_size(after.q.size, size, sizeof(size));
	p2pctl_fmt_size(secs > 0 ? (uint64_t)(after.q.size / secs) : 0, rate,
			sizeof(rate));
	if (json) {
		printf("{\"fd\":%d,", t.target);
		if (t.pid)
			printf("\"pid\":%d,", t.pid);
		else
			printf("\"pid\":null,");
		printf("\"from\":\"%s\",\"to\":\"%s\",\"placement\":\"%s\","
		       "\"moved\":%s,\"size\":%llu,\"seconds\":%.6f,"
		       "\"bytes_per_second\":",
		       p2pctl_placement_name(before.q.placement), to,
		       p2pctl_placement_name(after.q.placement),
		       moved ? "true" : "false",
		       (unsigned long long)after.q.size, secs);
		if (moved && secs > 0)
			printf("%llu}\n",
			       (unsigned long long)(after.q.size / secs));
		else
			printf("null}\n");
	} else if (moved) {
		printf("%s: moved %s from %s to %s in %.3f ms (%s/s)\n", t.name,
		       size, p2pctl_placement_name(before.q.placement), to,
		       secs * 1e3, rate);
		printf("placement: %s\n",
		       p2pctl_placement_name(after.q.placement));
	} else {
		printf("%s: already in %s, nothing moved\n", t.name, to);
		printf("placement: %s\n",
		       p2pctl_placement_name(after.q.placement));
	}
	ret = P2PCTL_EXIT_OK;
	p2pctl_buf_free(&after);
out_free:
	p2pctl_buf_free(&before);
out_close:
	close(dev);
out_put:
	p2pctl_target_put(&t);
	return ret;
}
