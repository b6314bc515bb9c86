// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl info: a buffer's provider, placement, pins, attachments, chunks and
 * counters (DMA_BUF_P2P_IOC_QUERY), for an fd of p2pctl's own or of another
 * process.  Also the helpers every command that takes a buffer by fd uses.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "p2pctl.h"

/* Room for the first QUERY; a larger buffer gets a second one. */
#define QUERY_ATTACH	16
#define QUERY_CHUNKS	64

int p2pctl_buf_query(int dev, int fd, struct p2pctl_buf *b)
{
	uint32_t max_att = QUERY_ATTACH, max_chunks = QUERY_CHUNKS;
	struct dma_buf_p2p_attach_info *att;
	struct dma_buf_p2p_chunk_info *chunks;
	struct dma_buf_p2p_query q;
	int ret;

	/* Devices attach and buffers move: ask until everything fits. */
	for (;;) {
		att = calloc(max_att, sizeof(*att));
		chunks = calloc(max_chunks, sizeof(*chunks));
		if (!att || !chunks) {
			ret = -ENOMEM;
			break;
		}
		ret = p2pctl_query(dev, fd, &q, att, max_att, chunks,
				   max_chunks);
		if (ret)
			break;
		if (q.nr_attachments <= max_att && q.nr_chunks <= max_chunks) {
			b->q = q;
			b->att = att;
			b->chunks = chunks;
			/* Only CAP_SYS_ADMIN learns where in the BAR it is. */
			b->chunks_hidden = !q.nr_chunks &&
				q.placement == DMA_BUF_P2P_PLACEMENT_BAR;
			return 0;
		}
		free(att);
		free(chunks);
		if (q.nr_attachments > max_att)
			max_att = q.nr_attachments;
		if (q.nr_chunks > max_chunks)
			max_chunks = q.nr_chunks;
	}
	free(att);
	free(chunks);
	return ret;
}

void p2pctl_buf_free(struct p2pctl_buf *b)
{
	free(b->att);
	free(b->chunks);
	b->att = NULL;
	b->chunks = NULL;
}

/* What /proc says an fd of ours is: its link, and a dma-buf's exporter. */
static void fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
}

static bool is_dma_buf(int fd)
{
	struct statfs st;

	return !fstatfs(fd, &st) && st.f_type == DMA_BUF_MAGIC;
}

void p2pctl_buf_err(const char *cmd, int err, const struct p2pctl_target *t,
		    const char *what)
{
	char info[PATH_MAX];

	switch (err) {
	case EBADF:
		p2pctl_err(cmd, err, "%s%s: not open", t->name, what);
		break;
	case EINVAL:
		if (is_dma_buf(t->fd))
			goto generic;
		fd_link(t->fd, info, sizeof(info));
		p2pctl_err(cmd, err, "%s%s (%s): not a dma-buf", t->name, what,
			   info[0] ? info : "?");
		break;
	case EOPNOTSUPP:
		if (!p2pctl_fdinfo(t->fd, "exp_name", info, sizeof(info)))
			snprintf(info, sizeof(info), "another exporter");
		p2pctl_err(cmd, err,
			   "%s%s: a dma-buf of %s, not of dma-buf-p2p",
			   t->name, what, info);
		break;
	default:
generic:
		p2pctl_err(cmd, err, "%s%s", t->name, what);
		break;
	}
}

const char *p2pctl_placement_name(uint32_t placement)
{
	switch (placement) {
	case DMA_BUF_P2P_PLACEMENT_BAR:
		return "bar";
	case DMA_BUF_P2P_PLACEMENT_SYSTEM:
		return "system";
	default:
		return "unknown";
	}
}

void p2pctl_pci_id_str(const struct dma_buf_p2p_pci_id *id, char *buf,
		       size_t len)
{
	if (id->domain == UINT32_MAX)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%04x:%02x:%02x.%x", id->domain,
			 id->bdf >> 8, (id->bdf >> 3) & 0x1f, id->bdf & 7);
}

const char *p2pctl_mode_name(uint32_t mode)
{
	switch (mode) {
	case DMA_BUF_P2P_MODE_SYSTEM:
		return "system";
	case DMA_BUF_P2P_MODE_BUS:
		return "p2p-bus";
	case DMA_BUF_P2P_MODE_HOST_BRIDGE:
		return "p2p-host-bridge";
	default:
		return "unknown";
	}
}

const char *p2pctl_reason_name(uint32_t reason)
{
	switch (reason) {
	case DMA_BUF_P2P_REASON_NONE:
		return "none";
	case DMA_BUF_P2P_REASON_NO_PEER2PEER:
		return "importer-needs-pages";
	case DMA_BUF_P2P_REASON_NOT_PCI:
		return "importer-not-pci";
	case DMA_BUF_P2P_REASON_NO_PATH:
		return "no-p2p-path";
	default:
		return "unknown";
	}
}

void p2pctl_print_chunks(const struct p2pctl_buf *b)
{
	char size[16];

	printf("Chunks\n");
	if (b->chunks_hidden) {
		printf("  (hidden: only CAP_SYS_ADMIN sees BAR offsets)\n");
		return;
	}
	if (!b->q.nr_chunks) {
		printf("  (none: in system memory)\n");
		return;
	}
	printf("  %-18s %s\n", "BAR-OFFSET", "SIZE");
	for (uint32_t i = 0; i < b->q.nr_chunks; i++)
		printf("  0x%-16llx %s\n",
		       (unsigned long long)b->chunks[i].bar_offset,
		       p2pctl_fmt_size(b->chunks[i].size, size, sizeof(size)));
}

void p2pctl_json_chunks(const struct p2pctl_buf *b)
{
	if (b->chunks_hidden) {
		printf("null");
		return;
	}
	putchar('[');
	for (uint32_t i = 0; i < b->q.nr_chunks; i++)
		printf("%s{\"bar_offset\":%llu,\"size\":%llu}", i ? "," : "",
		       (unsigned long long)b->chunks[i].bar_offset,
		       (unsigned long long)b->chunks[i].size);
	putchar(']');
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl info [--json] FD\n"
		"       p2pctl info [--json] --pid PID --fd N\n"
		"\n"
		"Show a dma-buf P2P buffer: its provider, size, placement (the\n"
		"provider's BAR or system memory), pins, the devices attached to\n"
		"it and how each reaches it, its chunks in the BAR, and its\n"
		"counters.\n"
		"\n"
		"  FD               a dma-buf fd of p2pctl's own, inherited from its\n"
		"                   parent (e.g. $P2P_FD in 'p2pctl alloc ... -- CMD')\n"
		"  --pid PID --fd N fd N of process PID instead (pidfd_getfd(2):\n"
		"                   needs ptrace access to PID)\n"
		"  --json           one JSON object instead of tables\n"
		"\n"
		"An attachment's mode is how that device reaches the provider's\n"
		"BAR: p2p-bus (PCI bus addresses below a common switch),\n"
		"p2p-host-bridge (through the host bridge), or system (it cannot;\n"
		"the reason says why: importer-needs-pages, importer-not-pci,\n"
		"no-p2p-path).  While the placement is system, every device DMAs\n"
		"to system memory.  BAR offsets are shown to CAP_SYS_ADMIN only.\n"
		"\n"
		"JSON keys: fd, pid (null for an fd of p2pctl's own), provider,\n"
		"size, placement (\"bar\" or \"system\"), pins, attachments (array of\n"
		"{device, pci (null when not PCI), mode, reason, dynamic, mapped}),\n"
		"chunks (array of {bar_offset, size}; null when hidden), counters\n"
		"{migrations_to_system, migrations_to_bar, bytes_copied, maps_bus,\n"
		"maps_host_bridge, maps_system}.  Numbers are decimal bytes or\n"
		"counts.\n"
		"\n"
		"Exit status: 0 success; 1 the fd is not open, not a dma-buf\n"
		"(EINVAL), another exporter's dma-buf (EOPNOTSUPP), or cannot be\n"
		"taken from PID; 2 bad usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl alloc --provider 0000:05:00.0 --size 64M -- \\\n"
		"      sh -c 'p2pctl info $P2P_FD'\n"
		"  p2pctl info --json --pid 1234 --fd 7\n");
}

static void print_text(const struct p2pctl_target *t,
		       const struct p2pctl_buf *b)
{
	const struct dma_buf_p2p_query *q = &b->q;
	char size[16], pci[24];

	p2pctl_pci_id_str(&q->provider, pci, sizeof(pci));
	printf("Buffer (%s)\n", t->name);
	printf("  %-10s %s\n", "provider", pci);
	printf("  %-10s %s (%llu bytes)\n", "size",
	       p2pctl_fmt_size(q->size, size, sizeof(size)),
	       (unsigned long long)q->size);
	printf("  %-10s %s\n", "placement", p2pctl_placement_name(q->placement));
	printf("  %-10s %u\n", "pins", q->pin_count);

	printf("Attachments\n");
	if (q->nr_attachments)
		printf("  %-20s %-13s %-16s %-21s %-7s %s\n", "DEVICE", "PCI",
		       "MODE", "REASON", "DYNAMIC", "MAPPED");
	for (uint32_t i = 0; i < q->nr_attachments; i++) {
		const struct dma_buf_p2p_attach_info *a = &b->att[i];

		p2pctl_pci_id_str(&a->pci, pci, sizeof(pci));
		printf("  %-20.32s %-13s %-16s %-21s %-7s %s\n", a->device, pci,
		       p2pctl_mode_name(a->mode), p2pctl_reason_name(a->reason),
		       a->flags & DMA_BUF_P2P_ATTACH_DYNAMIC ? "yes" : "no",
		       a->flags & DMA_BUF_P2P_ATTACH_MAPPED ? "yes" : "no");
	}
	if (!q->nr_attachments)
		printf("  (none)\n");

	p2pctl_print_chunks(b);

	printf("Counters\n");
	printf("  %-21s %llu\n", "migrations-to-system",
	       (unsigned long long)q->migrations_to_system);
	printf("  %-21s %llu\n", "migrations-to-bar",
	       (unsigned long long)q->migrations_to_bar);
	printf("  %-21s %llu\n", "bytes-copied",
	       (unsigned long long)q->bytes_copied);
	printf("  %-21s %llu\n", "maps-bus", (unsigned long long)q->maps_bus);
	printf("  %-21s %llu\n", "maps-host-bridge",
	       (unsigned long long)q->maps_host_bridge);
	printf("  %-21s %llu\n", "maps-system",
	       (unsigned long long)q->maps_system);
}

static void print_json(const struct p2pctl_target *t,
		       const struct p2pctl_buf *b)
{
	const struct dma_buf_p2p_query *q = &b->q;
	char pci[24], dev[sizeof(b->att[0].device) + 1];

	printf("{\"fd\":%d,", t->target);
	if (t->pid)
		printf("\"pid\":%d,", t->pid);
	else
		printf("\"pid\":null,");
	p2pctl_pci_id_str(&q->provider, pci, sizeof(pci));
	printf("\"provider\":");
	p2pctl_json_str(pci);
	printf(",\"size\":%llu,\"placement\":\"%s\",\"pins\":%u",
	       (unsigned long long)q->size, p2pctl_placement_name(q->placement),
	       q->pin_count);

	printf(",\"attachments\":[");
	for (uint32_t i = 0; i < q->nr_attachments; i++) {
		const struct dma_buf_p2p_attach_info *a = &b->att[i];

		/* The kernel NUL-terminates; do not trust it blindly. */
		memcpy(dev, a->device, sizeof(a->device));
		dev[sizeof(a->device)] = '\0';
		printf("%s{\"device\":", i ? "," : "");
		p2pctl_json_str(dev);
		if (a->pci.domain == UINT32_MAX) {
			printf(",\"pci\":null");
		} else {
			p2pctl_pci_id_str(&a->pci, pci, sizeof(pci));
			printf(",\"pci\":");
			p2pctl_json_str(pci);
		}
		printf(",\"mode\":\"%s\",\"reason\":\"%s\",\"dynamic\":%s,\"mapped\":%s}",
		       p2pctl_mode_name(a->mode), p2pctl_reason_name(a->reason),
		       a->flags & DMA_BUF_P2P_ATTACH_DYNAMIC ? "true" : "false",
		       a->flags & DMA_BUF_P2P_ATTACH_MAPPED ? "true" : "false");
	}
	printf("],\"chunks\":");
	p2pctl_json_chunks(b);
	printf(",\"counters\":{\"migrations_to_system\":%llu,"
	       "\"migrations_to_bar\":%llu,\"bytes_copied\":%llu,"
	       "\"maps_bus\":%llu,\"maps_host_bridge\":%llu,"
	       "\"maps_system\":%llu}}\n",
	       (unsigned long long)q->migrations_to_system,
	       (unsigned long long)q->migrations_to_bar,
	       (unsigned long long)q->bytes_copied,
	       (unsigned long long)q->maps_bus,
	       (unsigned long long)q->maps_host_bridge,
	       (unsigned long long)q->maps_system);
}

int p2pctl_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		P2PCTL_TARGET_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct p2pctl_target t = P2PCTL_TARGET_INIT;
	struct p2pctl_buf b;
	bool json = false;
	int dev, c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (p2pctl_target_opt(&t, c, optarg))
			continue;
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("info", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}

	/* The fd first: the control device must not take its number. */
	ret = p2pctl_target_get("info", &t, argc, argv);
	if (ret)
		return ret;
	dev = p2pctl_open_dev("info");
	if (dev < 0) {
		p2pctl_target_put(&t);
		return P2PCTL_EXIT_ERROR;
	}
	ret = p2pctl_buf_query(dev, t.fd, &b);
	close(dev);
	if (ret) {
		p2pctl_buf_err("info", -ret, &t, "");
		p2pctl_target_put(&t);
		return P2PCTL_EXIT_ERROR;
	}

	if (json)
		print_json(&t, &b);
	else
		print_text(&t, &b);
	p2pctl_buf_free(&b);
	p2pctl_target_put(&t);
	return P2PCTL_EXIT_OK;
}
