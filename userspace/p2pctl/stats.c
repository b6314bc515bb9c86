// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl stats: the counters debugfs keeps for each provider (the exporter),
 * for the importer library and for block I/O by dma-buf.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pctl.h"

#define DEBUGFS			"/sys/kernel/debug"
#define PROVIDERS_FILE		DEBUGFS "/dma-buf-p2p/providers"
#define IMPORT_FILE		DEBUGFS "/dma-buf-p2p-import/stats"
#define BLOCK_FILE		DEBUGFS "/blk-dmabuf/stats"

#define MAX_COLS	16
#define MAX_ROWS	64
#define NAME_LEN	48

/* Lines of "name value", or a table whose header names the columns. */
struct counters {
	int nr;
	char name[MAX_COLS][NAME_LEN];
	long long value[MAX_COLS];
};

struct provider_row {
	char pci[NAME_LEN];
	long long value[MAX_COLS];
};

struct providers {
	int cols;		/* counters per provider */
	char name[MAX_COLS][NAME_LEN];
	int nr;
	struct provider_row row[MAX_ROWS];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl stats [--json]\n"
		"\n"
		"Print the counters of dma-buf P2P from debugfs (root only):\n"
		"  " PROVIDERS_FILE "\n"
		"      per provider: allocs, maps-bus, maps-host-bridge, maps-system\n"
		"      (mappings handed out by mode), migrations-to-system,\n"
		"      migrations-to-bar, bytes-copied (by the CPU for moves),\n"
		"      bytes-mapped-p2p\n"
		"  " IMPORT_FILE "\n"
		"      the importer library: imports, maps, invalidations (moves it\n"
		"      was told of), cpu_bytes (copied by its CPU helpers)\n"
		"  " BLOCK_FILE "\n"
		"      block I/O by dma-buf: native_requests, native_bytes (the\n"
		"      device DMAed the buffer), bounce_bios, bounce_bytes (the CPU\n"
		"      copied through system pages)\n"
		"\n"
		"  --json   one JSON object instead of tables\n"
		"\n"
		"JSON keys: providers (array of {pci, allocs, maps_bus,\n"
		"maps_host_bridge, maps_system, migrations_to_system,\n"
		"migrations_to_bar, bytes_copied, bytes_mapped_p2p}, sorted by pci),\n"
		"import {imports, maps, invalidations, cpu_bytes}, block\n"
		"{native_requests, native_bytes, bounce_bios, bounce_bytes}: the\n"
		"debugfs names with '-' as '_'.  Counters count since the module\n"
		"(or, for import and block, the kernel) started.\n"
		"\n"
		"Exit status: 0 success; 1 a file cannot be read (debugfs not\n"
		"mounted, dma-buf-p2p not loaded, not root) or is not as expected;\n"
		"2 bad usage.\n"
		"\n"
		"Examples:\n"
		"  p2pctl stats\n"
		"  p2pctl stats --json | python3 -m json.tool\n");
}

/* @path opened for reading, or -errno after saying why not. */
static int open_file(const char *path, FILE **f)
{
	const char *hint = "";
	int err;

	*f = fopen(path, "re");
	if (*f)
		return 0;
	err = errno;
	if (err == ENOENT)
		hint = strcmp(path, PROVIDERS_FILE) ? " (is debugfs mounted?)" :
			" (is debugfs mounted and dma-buf-p2p loaded?)";
	else if (err == EACCES || err == EPERM)
		hint = " (debugfs is for root)";
	p2pctl_err("stats", err, "%s%s", path, hint);
	return -err;
}

static int bad_line(const char *path, int lineno)
{
	p2pctl_err("stats", EPROTO, "%s line %d: not in the expected format",
		   path, lineno);
	return -EPROTO;
}

static bool parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end;
}

/* "name value" lines. */
static int read_counters(const char *path, struct counters *c)
{
	char line[256], name[NAME_LEN], value[32], extra;
	int lineno = 0, ret = 0;
	FILE *f;

	c->nr = 0;
	ret = open_file(path, &f);
	if (ret)
		return ret;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (sscanf(line, "%47s %31s %c", name, value, &extra) != 2 ||
		    c->nr == MAX_COLS ||
		    !parse_ll(value, &c->value[c->nr])) {
			ret = bad_line(path, lineno);
			break;
		}
		snprintf(c->name[c->nr++], NAME_LEN, "%s", name);
	}
	if (!ret && ferror(f)) {
		ret = -errno;
		p2pctl_err("stats", -ret, "%s", path);
	}
	fclose(f);
	return ret;
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct provider_row *)a)->pci,
		      ((const struct provider_row *)b)->pci);
}

/* A header "provider NAME..." and a row per provider. */
static int read_providers(struct providers *p)
{
	char line[1024], *tok, *save;
	int lineno = 0, ret = 0;
	FILE *f;

	p->cols = 0;
	p->nr = 0;
	ret = open_file(PROVIDERS_FILE, &f);
	if (ret)
		return ret;
	while (!ret && fgets(line, sizeof(line), f)) {
		struct provider_row *row = &p->row[p->nr];
		int col = 0;

		lineno++;
		tok = strtok_r(line, " \n", &save);
		if (lineno == 1) {
			if (!tok || strcmp(tok, "provider")) {
				ret = bad_line(PROVIDERS_FILE, lineno);
				break;
			}
			while ((tok = strtok_r(NULL, " \n", &save)) &&
			       p->cols < MAX_COLS)
				snprintf(p->name[p->cols++], NAME_LEN, "%s", tok);
			if (tok || !p->cols)
				ret = bad_line(PROVIDERS_FILE, lineno);
			continue;
		}
		if (!tok || p->nr == MAX_ROWS) {
			ret = bad_line(PROVIDERS_FILE, lineno);
			break;
		}
		snprintf(row->pci, sizeof(row->pci), "%s", tok);
		while ((tok = strtok_r(NULL, " \n", &save)) && col < p->cols &&
		       parse_ll(tok, &row->value[col]))
			col++;
		if (tok || col != p->cols)
			ret = bad_line(PROVIDERS_FILE, lineno);
		else
			p->nr++;
	}
	if (!ret && lineno == 0)
		ret = bad_line(PROVIDERS_FILE, 1);
	fclose(f);
	qsort(p->row, p->nr, sizeof(p->row[0]), cmp_row);
	return ret;
}

/* debugfs names as JSON keys: maps-bus is maps_bus. */
static void json_key(const char *name)
{
	putchar('"');
	for (; *name; name++)
		putchar(*name == '-' ? '_' : *name);
	printf("\":");
}

static void json_counters(const char *key, const struct counters *c)
{
	printf(",\"%s\":{", key);
	for (int i = 0; i < c->nr; i++) {
		if (i)
			putchar(',');
		json_key(c->name[i]);
		printf("%lld", c->value[i]);
	}
	putchar('}');
}

static void print_json(const struct providers *p, const struct counters *imp,
		       const struct counters *blk)
{
	printf("{\"providers\":[");
	for (int r = 0; r < p->nr; r++) {
		printf("%s{\"pci\":", r ? "," : "");
		p2pctl_json_str(p->row[r].pci);
		for (int i = 0; i < p->cols; i++) {
			putchar(',');
			json_key(p->name[i]);
			printf("%lld", p->row[r].value[i]);
		}
		putchar('}');
	}
	putchar(']');
	json_counters("import", imp);
	json_counters("block", blk);
	printf("}\n");
}

static void text_counters(const char *title, const struct counters *c)
{
	printf("%s\n", title);
	for (int i = 0; i < c->nr; i++)
		printf("  %-21s %lld\n", c->name[i], c->value[i]);
}

static void print_text(const struct providers *p, const struct counters *imp,
		       const struct counters *blk)
{
	for (int r = 0; r < p->nr; r++) {
		printf("Provider %s\n", p->row[r].pci);
		for (int i = 0; i < p->cols; i++)
			printf("  %-21s %lld\n", p->name[i], p->row[r].value[i]);
	}
	if (!p->nr)
		printf("Providers\n"
		       "  (none has had a buffer since dma-buf-p2p was loaded)\n");
	text_counters("Importer (dma-buf-p2p-import)", imp);
	text_counters("Block I/O (blk-dmabuf)", blk);
}

int p2pctl_stats(int argc, char **argv)
{
	static struct providers prov;
	struct counters imp, blk;
	bool json = false;
	int ret;

	ret = p2pctl_json_only("stats", argc, argv, usage, &json);
	if (ret >= 0)
		return ret;

	/* All of it or nothing: no partial tables. */
	if (read_providers(&prov) || read_counters(IMPORT_FILE, &imp) ||
	    read_counters(BLOCK_FILE, &blk))
		return P2PCTL_EXIT_ERROR;

	if (json)
		print_json(&prov, &imp, &blk);
	else
		print_text(&prov, &imp, &blk);
	return P2PCTL_EXIT_OK;
}
