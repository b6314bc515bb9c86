// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_bytes.h"
#include "p2p_topology.h"

void *p2p_xalloc(size_t len)
{
	void *p = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);

	igt_assert_f(p, "out of memory for %zu bytes\n", len);
	return p;
}

int p2p_image_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0 && errno == EINVAL)	/* a filesystem without O_DIRECT */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "cannot open %s: %m\n", path);
	/* Nothing cached from before the I/O under test. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return fd;
}

void p2p_pread_all(int fd, void *buf, size_t len, uint64_t off,
		   const char *path)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  off + done);

		igt_assert_f(n > 0, "reading %s at %#" PRIx64 ": %s\n", path,
			     off + done, n ? strerror(errno) : "end of file");
		done += n;
	}
}

uint8_t *p2p_file_dup(const char *path, uint64_t off, size_t len)
{
	uint8_t *buf = p2p_xalloc(len);
	int fd = p2p_image_open(path);

	p2p_pread_all(fd, buf, len, off, path);
	close(fd);
	return buf;
}

void p2p_check_file(const char *path, uint64_t off, const uint8_t *want,
		    size_t len, const char *what)
{
	uint8_t *got = p2p_file_dup(path, off, len);
	char msg[256];

	snprintf(msg, sizeof(msg), "%s: %s at %#" PRIx64, what, path, off);
	p2p_check_bytes(got, want, len, msg);
	free(got);
}

void p2p_check_bytes(const uint8_t *got, const uint8_t *want, size_t len,
		     const char *what)
{
	size_t bad = 0, first = 0;

	if (!memcmp(got, want, len))
		return;
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i] && !bad++)
			first = i;
	igt_assert_f(!bad, "%s: %zu of %zu bytes differ, first at %#zx: "
		     "%#04x, expected %#04x\n", what, bad, len, first,
		     got[first], want[first]);
}

void p2p_check_pattern(const uint8_t *got, size_t len, uint64_t seed,
		       const char *what)
{
	uint8_t *want = p2p_xalloc(len);

	p2p_fill_pattern(want, len, seed);
	p2p_check_bytes(got, want, len, what);
	free(want);
}

uint64_t p2pctl_pattern_word(uint64_t seed, uint64_t n)
{
	uint64_t z = seed + (n + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint8_t p2pctl_pattern_byte(uint64_t seed, uint64_t x)
{
	return p2pctl_pattern_word(seed, x / 8) >> (8 * (x % 8));
}
