// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: the report, as text or one JSON object: bytes, time,
 * throughput, the engine, each direction's path and why, the buffer's
 * placement and migrations, and every byte the CPU copied.
 */
#include <stdio.h>

#include "copy.h"

static const char *via_name(enum via via)
{
	switch (via) {
	case VIA_PROVIDER:
		return "provider";
	case VIA_FD:
		return "fd";
	case VIA_GEM:
		return "gem";
	default:
		return "auto";
	}
}

static uint64_t exporter_cpu(const struct copy *c)
{
	if (!c->buf.ours)
		return 0;
	return c->buf.after.bytes_copied - c->buf.before.bytes_copied;
}

static uint64_t cpu_total(const struct copy *c)
{
	return c->block_cpu + exporter_cpu(c) + c->file_cpu;
}

static const char *dir_path(const struct direction *d)
{
	return d->nseen == 1 ? d->seen[0].path : d->nseen ? "mixed" : "none";
}

/* The reasons, "then"-joined when the path changed during the copy. */
static void dir_reason(const struct direction *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < d->nseen && used < len; i++) {
		if (d->nseen == 1)
			used += snprintf(buf + used, len - used, "%s",
					 d->seen[i].reason);
		else
			used += snprintf(buf + used, len - used, "%s%s (%s)",
					 i ? ", then " : "", d->seen[i].path,
					 d->seen[i].reason);
	}
}

static void json_endpoint(const struct endpoint *e)
{
	printf("{\"path\":");
	p2pctl_json_str(e->path);
	printf(",\"type\":\"%s\",\"name\":", e->block ? "block" : "file");
	p2pctl_json_str(e->name);
	printf(",\"offset\":%llu,\"size\":%llu,\"logical_block_size\":%u",
	       (unsigned long long)e->offset, (unsigned long long)e->size,
	       e->lbs);
	/* A file's filesystem, and the block device under it. */
	printf(",\"filesystem\":");
	if (e->block) {
		printf("null}");
		return;
	}
	printf("{\"type\":");
	p2pctl_json_str(e->fs_type);
	printf(",\"device\":");
	if (e->fs_dev[0]) {
		p2pctl_json_str(e->fs_dev);
		printf(",\"logical_block_size\":%u}}", e->fs_lbs);
	} else {
		printf("null,\"logical_block_size\":null}}");
	}
}

static void json_direction(const struct direction *d)
{
	char reason[MAX_SEEN * (REASON_LEN + 32)];

	dir_reason(d, reason, sizeof(reason));
	printf("{\"path\":\"%s\",\"reason\":", dir_path(d));
	p2pctl_json_str(reason);
	printf(",\"calls\":%llu,\"requests\":%llu,\"maps\":",
	       (unsigned long long)d->calls, (unsigned long long)d->requests);
	if (d->maps_unknown)
		printf("null");
	else
		printf("%llu", (unsigned long long)d->maps);
	printf(",\"cpu_bytes\":%llu}", (unsigned long long)d->cpu_bytes);
}

void copy_print_json(const struct copy *c)
{
	const struct buffer *b = &c->buf;

	printf("{\"src\":");
	json_endpoint(&c->src);
	printf(",\"dst\":");
	json_endpoint(&c->dst);
	printf(",\"bytes\":%llu,\"seconds\":%.6f,\"bytes_per_second\":%.0f",
	       (unsigned long long)c->length, c->seconds,
	       c->seconds > 0 ? c->length / c->seconds : 0.0);
	printf(",\"block_size\":%llu,\"queue_depth\":%u",
	       (unsigned long long)c->block_size, c->queue_depth);
	printf(",\"engine\":\"%s\",\"engine_reason\":",
	       copy_engine_name(c->engine));
	if (c->engine_reason[0])
		p2pctl_json_str(c->engine_reason);
	else
		printf("null");

	printf(",\"buffer\":{\"via\":\"%s\",\"provider\":", via_name(b->via));
	if (b->via == VIA_AUTO || b->via == VIA_PROVIDER)
		p2pctl_json_str(b->provider.addr);
	else
		printf("null");
	printf(",\"fd\":");
	if (b->via == VIA_FD)
		printf("%d", b->fd);
	else
		printf("null");
	printf(",\"drm_node\":");
	if (b->via == VIA_GEM) {
		p2pctl_json_str(b->arg);
		printf(",\"drm_driver\":");
		p2pctl_json_str(b->gem.driver);
	} else {
		printf("null,\"drm_driver\":null");
	}
	printf(",\"exporter\":");
	p2pctl_json_str(b->exporter);
	printf(",\"size\":%llu,\"window\":%llu",
	       (unsigned long long)b->size, (unsigned long long)b->window);
	if (b->ours)
		printf(",\"placement_before\":\"%s\",\"placement_after\":\"%s\","
		       "\"migrations_to_system\":%llu,\"migrations_to_bar\":%llu}",
		       p2pctl_placement_name(b->before.placement),
		       p2pctl_placement_name(b->after.placement),
		       (unsigned long long)(b->after.migrations_to_system -
					    b->before.migrations_to_system),
		       (unsigned long long)(b->after.migrations_to_bar -
					    b->before.migrations_to_bar));
	else
		printf(",\"placement_before\":null,\"placement_after\":null,"
		       "\"migrations_to_system\":null,\"migrations_to_bar\":null}");

	printf(",\"read\":");
	json_direction(&c->rd);
	printf(",\"write\":");
	json_direction(&c->wr);

	printf(",\"cpu_bytes\":{\"total\":%llu,\"block_io\":%llu,\"exporter\":",
	       (unsigned long long)cpu_total(c),
	       (unsigned long long)c->block_cpu);
	if (b->ours)
		printf("%llu", (unsigned long long)exporter_cpu(c));
	else
		printf("null");
	printf(",\"files\":%llu,\"per_payload_byte\":%.6f}",
	       (unsigned long long)c->file_cpu,
	       (double)cpu_total(c) / c->length);

	printf(",\"verify\":");
	if (!c->verified)
		printf("null");
	else if (c->match)
		printf("{\"match\":true}");
	else
		printf("{\"match\":false,\"first_mismatch\":%llu}",
		       (unsigned long long)c->mismatch);
	printf("}\n");
}

static void print_direction(const struct direction *d, const char *from,
			    const char *to)
{
	char reason[MAX_SEEN * (REASON_LEN + 32)];

	dir_reason(d, reason, sizeof(reason));
	if (d->nseen == 1)
		printf("%-8s %s -> %s: %s (%s)", d->name, from, to,
		       dir_path(d), reason);
	else
		printf("%-8s %s -> %s: mixed: %s", d->name, from, to, reason);
	if (d->calls || !d->requests)
		printf(", %llu call%s", (unsigned long long)d->calls,
		       d->calls == 1 ? "" : "s");
	if (d->requests)
		printf(", %llu io_uring request%s",
		       (unsigned long long)d->requests,
		       d->requests == 1 ? "" : "s");
	if (d->maps)
		printf(", %llu mapping%s", (unsigned long long)d->maps,
		       d->maps == 1 ? "" : "s");
	printf("\n");
}

void copy_print_text(const struct copy *c)
{
	const struct buffer *b = &c->buf;
	char s1[16], s2[16], s3[16], s4[16];
	uint64_t rate;
	uint64_t total = cpu_total(c);

	rate = c->seconds > 0 ? (uint64_t)(c->length / c->seconds) : 0;
	printf("%-8s %llu bytes (%s) from %s to %s in %.3f s: %s/s\n", "copied",
	       (unsigned long long)c->length,
	       p2pctl_fmt_size(c->length, s1, sizeof(s1)),
	       c->src.path, c->dst.path, c->seconds,
	       p2pctl_fmt_size(rate, s2, sizeof(s2)));

	printf("%-8s %s %s", "buffer", p2pctl_fmt_size(b->size, s1, sizeof(s1)),
	       b->exporter);
	switch (b->via) {
	case VIA_AUTO:
		printf(" on %s (chosen)", b->provider.addr);
		break;
	case VIA_PROVIDER:
		printf(" on %s", b->provider.addr);
		break;
	case VIA_FD:
		printf(" (fd %d)", b->fd);
		break;
	case VIA_GEM:
		printf(" (%s dumb buffer on %s)", b->gem.driver, b->arg);
		break;
	}
	if (b->window < c->length)
		printf(", %s windows", p2pctl_fmt_size(b->window, s2, sizeof(s2)));
	if (b->ours)
		printf(": placement %s -> %s, migrations %llu to system, %llu "
		       "to bar\n", p2pctl_placement_name(b->before.placement),
		       p2pctl_placement_name(b->after.placement),
		       (unsigned long long)(b->after.migrations_to_system -
					    b->before.migrations_to_system),
		       (unsigned long long)(b->after.migrations_to_bar -
					    b->before.migrations_to_bar));
	else
		printf(": placement not reported by its exporter\n");

	if (c->engine == ENGINE_IO_URING)
		printf("%-8s io_uring, %u requests in flight at most\n", "engine",
		       c->queue_depth);
	else
		printf("%-8s %s (%s)\n", "engine", copy_engine_name(c->engine),
		       c->engine_reason);
	print_direction(&c->rd, c->src.path, "buffer");
	print_direction(&c->wr, "buffer", c->dst.path);

	printf("%-8s %llu bytes", "cpu", (unsigned long long)total);
	if (total >= 1024)
		printf(" (%s)", p2pctl_fmt_size(total, s1, sizeof(s1)));
	printf(" copied by the CPU, %.3f per payload byte: "
	       "block I/O %s, exporter migrations %s, files %s\n",
	       (double)total / c->length,
	       p2pctl_fmt_size(c->block_cpu, s2, sizeof(s2)),
	       b->ours ? p2pctl_fmt_size(exporter_cpu(c), s3, sizeof(s3)) :
			 "unknown",
	       p2pctl_fmt_size(c->file_cpu, s4, sizeof(s4)));
	if (c->verified && c->match)
		printf("%-8s SRC and DST ranges match\n", "verify");
	else if (c->verified)
		printf("%-8s DST differs from SRC at byte %llu of the range\n",
		       "verify", (unsigned long long)c->mismatch);
}
