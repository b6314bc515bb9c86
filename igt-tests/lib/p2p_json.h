/* SPDX-License-Identifier: MIT */
/*
 * JSON output checked through python3's parser, never by pattern matching:
 * p2p_json_parse() flattens one line of JSON into "path=value" lines, one
 * per node (objects as {N}, arrays as [N], leaves as json.dumps() gives
 * them, so strings keep their quotes), and rejects anything but one object
 * with no duplicate keys.  Paths join keys and array indices with dots:
 * "attachments.0.device"; the root is "".
 */
#ifndef P2P_JSON_H
#define P2P_JSON_H

#include <stdint.h>

#include "p2pctl_run.h"

struct p2p_json {
	struct p2p_result flat;	/* python3's output */
};

/* Flattens @text, which must be one line ending in '\n'; zero @j first. */
void p2p_json_parse(struct p2p_json *j, const char *text);

/*
 * Lines already in the flattened form, e.g. from a test's own helper
 * program, to look up with the functions below.
 */
void p2p_json_from_lines(struct p2p_json *j, const char *lines);

/* The value at a path, NULL when absent; valid for 8 more lookups. */
__attribute__((format(printf, 2, 3)))
const char *p2p_json_get(const struct p2p_json *j, const char *fmt, ...);

/* The value at @key, failing when absent; strings without their quotes. */
const char *p2p_json_text(const struct p2p_json *j, const char *key);

/* The number (a non-negative integer) at a path, failing otherwise. */
__attribute__((format(printf, 2, 3)))
uint64_t p2p_json_u64(const struct p2p_json *j, const char *fmt, ...);
double p2p_json_double(const struct p2p_json *j, const char *key);

/* The value at a path is exactly @want (strings quoted). */
__attribute__((format(printf, 3, 4)))
void p2p_json_expect(const struct p2p_json *j, const char *want,
		     const char *fmt, ...);

/* The value at @key, strings without their quotes, is @want. */
void p2p_json_expect_text(const struct p2p_json *j, const char *key,
			  const char *want);

/* The number at @key is @want. */
void p2p_json_expect_u64(const struct p2p_json *j, const char *key,
			 uint64_t want);

#endif /* P2P_JSON_H */
