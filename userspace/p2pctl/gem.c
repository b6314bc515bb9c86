// SPDX-License-Identifier: GPL-2.0
/*
 * A GEM buffer exported as a dma-buf: the GPU stack's way to hand memory to
 * other devices.  A dumb buffer is what every KMS driver, and vgem, can
 * create without knowing the hardware; PRIME exports it as a dma-buf fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "p2pctl.h"

/* Dumb buffers are images: rows of 1024 32-bit pixels, 4 KiB each. */
#define GEM_WIDTH	1024
#define GEM_BPP		32
#define GEM_ROW		(GEM_WIDTH * GEM_BPP / 8)

int p2pctl_gem_export(const char *cmd, const char *node, uint64_t size,
		      struct p2pctl_gem *gem, int *fd)
{
	uint64_t rows = (size + GEM_ROW - 1) / GEM_ROW;
	struct p2pctl_gem g = { .drm = -1 };
	drmVersionPtr ver;
	uint32_t pitch;
	char sz[16];
	int err, type;

	p2pctl_fmt_size(size, sz, sizeof(sz));
	g.drm = open(node, O_RDWR | O_CLOEXEC);
	if (g.drm < 0) {
		err = errno;
		p2pctl_err(cmd, err, "open DRM node %s", node);
		return -err;
	}
	type = drmGetNodeTypeFromFd(g.drm);
	if (type < 0) {
		p2pctl_err(cmd, ENODEV, "%s is not a DRM device node", node);
		err = ENODEV;
		goto out_close;
	}
	ver = drmGetVersion(g.drm);
	if (!ver) {
		err = errno ? errno : ENODEV;
		p2pctl_err(cmd, err, "DRM version of %s", node);
		goto out_close;
	}
	snprintf(g.driver, sizeof(g.driver), "%.*s", ver->name_len, ver->name);
	drmFreeVersion(ver);

	if (type == DRM_NODE_RENDER) {
		/* Dumb buffers are a KMS interface: primary nodes only. */
		p2pctl_err(cmd, EACCES, "%s (%s) is a render node; dumb buffers "
			   "need the primary node (/dev/dri/cardN)", node,
			   g.driver);
		err = EACCES;
		goto out_close;
	}
	/* libdrm's dumb buffer helpers return -errno. */
	err = rows > UINT32_MAX ? EINVAL :
	      -drmModeCreateDumbBuffer(g.drm, GEM_WIDTH, (uint32_t)rows,
				       GEM_BPP, 0, &g.handle, &pitch, &g.size);
	if (err) {
		p2pctl_err(cmd, err, "create a %s dumb buffer on %s (%s)", sz,
			   node, g.driver);
		goto out_close;
	}
	if (g.size < size) {
		p2pctl_err(cmd, ENOSPC, "%s (%s) made a %llu-byte dumb buffer "
			   "for %s", node, g.driver,
			   (unsigned long long)g.size, sz);
		err = ENOSPC;
		goto out_destroy;
	}
	/* Read-write: devices read into it, and the CPU maps it for files. */
	if (drmPrimeHandleToFD(g.drm, g.handle, DRM_CLOEXEC | DRM_RDWR, fd)) {
		err = errno;
		p2pctl_err(cmd, err, "export the dumb buffer of %s (%s) as a "
			   "dma-buf", node, g.driver);
		goto out_destroy;
	}
	*gem = g;
	return 0;

out_destroy:
	drmModeDestroyDumbBuffer(g.drm, g.handle);
out_close:
	close(g.drm);
	return -err;
}

void p2pctl_gem_close(struct p2pctl_gem *gem)
{
	if (gem->drm < 0)
		return;
	/* The dma-buf keeps the object alive while its fds are open. */
	drmModeDestroyDumbBuffer(gem->drm, gem->handle);
	close(gem->drm);
	gem->drm = -1;
}
