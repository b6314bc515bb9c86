// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_bytes.h"
#include "p2p_slice.h"

/* Slices saved and not yet written back, for the exit handler. */
#define MAX_DIRTY	8
static struct p2p_slice *dirty[MAX_DIRTY];

/* Open, pwrite, fsync, close only: it also runs in the exit handler. */
static bool write_back(const struct p2p_slice *s)
{
	size_t done = 0;
	bool ok;
	int fd;

	fd = open(s->dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (done < s->len) {
		ssize_t n = pwrite(fd, s->old + done, s->len - done,
				   s->off + done);

		if (n <= 0)
			break;
		done += n;
	}
	ok = done == s->len && !fsync(fd);
	close(fd);
	return ok;
}

static void restore_on_exit(int sig)
{
	(void)sig;
	for (int i = 0; i < MAX_DIRTY; i++)
		if (dirty[i])
			write_back(dirty[i]);
}

void p2p_slice_save(struct p2p_slice *s, const char *dev, const char *image,
		    uint64_t off, size_t len)
{
	static bool installed;
	int i;

	for (i = 0; i < MAX_DIRTY && dirty[i]; i++)
		;
	igt_assert_f(i < MAX_DIRTY, "more than %d slices saved at once\n",
		     MAX_DIRTY);
	s->dev = dev;
	s->image = image;
	s->off = off;
	s->len = len;
	s->old = p2p_file_dup(image, off, len);
	if (!installed) {
		igt_install_exit_handler(restore_on_exit);
		installed = true;
	}
	dirty[i] = s;
}

void p2p_slice_restore(struct p2p_slice *s)
{
	igt_assert_f(write_back(s), "writing %s back at %" PRIu64 ": %m\n",
		     s->dev, s->off);
	for (int i = 0; i < MAX_DIRTY; i++)
		if (dirty[i] == s)
			dirty[i] = NULL;
	p2p_check_file(s->image, s->off, s->old, s->len,
		       "the slice written back");
	free(s->old);
	s->old = NULL;
}
