/* SPDX-License-Identifier: MIT */
/*
 * Slices of the test machine's disks that a test overwrites: saved from the
 * host's image file first, written back through the disk afterwards (also
 * when the test fails, from an exit handler), and checked in the image.
 */
#ifndef P2P_SLICE_H
#define P2P_SLICE_H

#include <stddef.h>
#include <stdint.h>

struct p2p_slice {
	const char *dev;	/* the block device, "/dev/nvme0n1" */
	const char *image;	/* the host's file behind it */
	uint64_t off;
	size_t len;
	uint8_t *old;		/* what it held; NULL once written back */
};

/* Saves [@off, @off + @len) of @image, the disk @dev shows. */
void p2p_slice_save(struct p2p_slice *s, const char *dev, const char *image,
		    uint64_t off, size_t len);
/* Writes the saved bytes back through @s->dev and checks the image. */
void p2p_slice_restore(struct p2p_slice *s);

#endif /* P2P_SLICE_H */
