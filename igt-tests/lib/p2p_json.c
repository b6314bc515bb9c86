// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_json.h"

static const char flatten_py[] =
	"import json, sys\n"
	"def pairs(kv):\n"
	"    d = {}\n"
	"    for k, v in kv:\n"
	"        if k in d:\n"
	"            sys.exit('duplicate key ' + k)\n"
	"        d[k] = v\n"
	"    return d\n"
	"def walk(path, v):\n"
	"    if isinstance(v, dict):\n"
	"        print('%s={%d}' % (path, len(v)))\n"
	"        for k, x in v.items():\n"
	"            walk(path + '.' + k if path else k, x)\n"
	"    elif isinstance(v, list):\n"
	"        print('%s=[%d]' % (path, len(v)))\n"
	"        for i, x in enumerate(v):\n"
	"            walk('%s.%d' % (path, i), x)\n"
	"    else:\n"
	"        print('%s=%s' % (path, json.dumps(v)))\n"
	"d = json.loads(sys.stdin.read(), object_pairs_hook=pairs)\n"
	"if not isinstance(d, dict):\n"
	"    sys.exit('not a JSON object')\n"
	"walk('', d)\n";

void p2p_json_parse(struct p2p_json *j, const char *text)
{
	char *argv[] = { "python3", "-c", (char *)flatten_py, NULL };
	struct p2p_spawn how = P2P_SPAWN_DEFAULT;
	size_t len = strlen(text);
	struct p2p_proc p;
	int fd;

	igt_assert_f(len && text[len - 1] == '\n' &&
		     !memchr(text, '\n', len - 1),
		     "JSON output is not one line: '%s'\n", text);
	/* A file, not a pipe: python3 may start reading after we are done. */
	fd = memfd_create("json", MFD_CLOEXEC);
	igt_assert_fd(fd);
	igt_assert_eq(write(fd, text, len), (ssize_t)len);
	igt_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	how.stdin_fd = fd;
	p2p_spawn(&p, argv, &how);
	close(fd);
	p2p_collect(&p, &j->flat);
	igt_assert_f(j->flat.status == 0, "not valid JSON (%s): '%s'\n",
		     j->flat.err, text);
}

void p2p_json_from_lines(struct p2p_json *j, const char *lines)
{
	p2p_result_fini(&j->flat);
	j->flat.out = strdup(lines);
	igt_assert(j->flat.out);
	j->flat.out_len = strlen(lines);
}

static const char *vget(const struct p2p_json *j, const char *fmt, va_list ap)
{
	static char values[8][512];
	static unsigned int next;
	char key[256], *value = values[next++ % 8];
	const char *line;
	size_t klen;

	igt_assert(vsnprintf(key, sizeof(key), fmt, ap) < (int)sizeof(key));
	klen = strlen(key);
	for (line = j->flat.out; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			size_t n = strcspn(line + klen + 1, "\n");

			igt_assert(n < sizeof(values[0]));
			memcpy(value, line + klen + 1, n);
			value[n] = '\0';
			return value;
		}
	}
	return NULL;
}

const char *p2p_json_get(const struct p2p_json *j, const char *fmt, ...)
{
	const char *v;
	va_list ap;

	va_start(ap, fmt);
	v = vget(j, fmt, ap);
	va_end(ap);
	return v;
}

/* Strips a JSON string's quotes, undoing the only escapes ASCII text has. */
static void unquote(char *v, const char *key)
{
	size_t n = strlen(v), o = 0;

	if (n < 2 || v[0] != '"')
		return;
	igt_assert_f(v[n - 1] == '"', "'%s' is '%s', a broken string\n", key,
		     v);
	for (size_t i = 1; i < n - 1; i++) {
		if (v[i] == '\\') {
			i++;
			igt_assert_f(v[i] == '"' || v[i] == '\\' ||
				     v[i] == '/', "'%s' is '%s': an escape "
				     "these tests do not expect\n", key, v);
		}
		v[o++] = v[i];
	}
	v[o] = '\0';
}

const char *p2p_json_text(const struct p2p_json *j, const char *key)
{
	char *v = (char *)p2p_json_get(j, "%s", key);

	igt_assert_f(v, "no '%s' in the JSON:\n%s\n", key, j->flat.out);
	unquote(v, key);
	return v;
}

uint64_t p2p_json_u64(const struct p2p_json *j, const char *fmt, ...)
{
	char key[256], *end;
	const char *v;
	uint64_t n;
	va_list ap;

	va_start(ap, fmt);
	igt_assert(vsnprintf(key, sizeof(key), fmt, ap) < (int)sizeof(key));
	va_end(ap);
	v = p2p_json_get(j, "%s", key);
	igt_assert_f(v, "no '%s' in the JSON:\n%s\n", key, j->flat.out);
	n = strtoull(v, &end, 10);
	igt_assert_f(end != v && !*end && *v != '-',
		     "'%s' is '%s', not a number\n", key, v);
	return n;
}

double p2p_json_double(const struct p2p_json *j, const char *key)
{
	const char *v = p2p_json_get(j, "%s", key);
	char *end;
	double d;

	igt_assert_f(v, "no '%s' in the JSON:\n%s\n", key, j->flat.out);
	d = strtod(v, &end);
	igt_assert_f(end != v && !*end, "'%s' is '%s', not a number\n", key,
		     v);
	return d;
}

void p2p_json_expect(const struct p2p_json *j, const char *want,
		     const char *fmt, ...)
{
	const char *v;
	char key[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	v = p2p_json_get(j, "%s", key);
	igt_assert_f(v && !strcmp(v, want), "'%s' is '%s', expected '%s'\n",
		     key, v ? v : "(absent)", want);
}

void p2p_json_expect_text(const struct p2p_json *j, const char *key,
			  const char *want)
{
	const char *v = p2p_json_text(j, key);

	igt_assert_f(!strcmp(v, want), "'%s' is '%s', expected '%s'\n", key,
		     v, want);
}

void p2p_json_expect_u64(const struct p2p_json *j, const char *key,
			 uint64_t want)
{
	uint64_t v = p2p_json_u64(j, "%s", key);

	igt_assert_f(v == want, "'%s' is %" PRIu64 ", expected %" PRIu64 "\n",
		     key, v, want);
}
