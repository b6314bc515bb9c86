// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <dirent.h>
#include <string.h>
#include <time.h>

#include "igt.h"
#include "p2p_proc.h"

int p2p_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	igt_assert(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

double p2p_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t p2p_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

const char *p2p_errno_name(int err)
{
	const char *name = strerrorname_np(err);

	if (!err)
		return "success";
	return name ? name : "unknown errno";
}
