// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl copy: the dma-buf the data goes through: allocated on a provider
 * (--via, or the first one every block device reaches peer-to-peer), an
 * inherited fd (--via-fd) or a DRM dumb buffer exported with PRIME
 * (--via-gem); queried before and after for its placement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <xf86drm.h>

#include "copy.h"

/* The P2PDMA path from @dev's DMA function to @provider, NONE when none. */
static uint32_t reach(int dev, const struct p2p_provider *provider,
		      const struct endpoint *e)
{
	struct dma_buf_p2p_reach r = {
		.provider = provider->pci.id,
		.client = e->pci.id,
	};

	if (ioctl(dev, DMA_BUF_P2P_IOC_REACH, &r))
		return DMA_BUF_P2P_PATH_NONE;
	return r.path;
}

/*
 * --via: the provider's free bytes, to fit the buffer in; an unknown
 * address is left to ALLOC, whose errno says why.  Default: the first
 * published provider with room for @want that every block device with a
 * PCI function reaches (the endpoints', or their filesystems'), below a
 * common switch before through the host bridge.
 */
static int choose_provider(struct copy *c, uint64_t *want)
{
	static struct p2p_provider prov[MAX_PROVIDERS];
	const struct endpoint *ends[] = { &c->src, &c->dst };
	int n, best = -1, best_rank = 0;
	char sz[16];

	n = p2p_list_providers(c->buf.dev, prov, MAX_PROVIDERS);
	if (n < 0) {
		p2pctl_err(CMD, -n, "list the P2PDMA providers");
		return n;
	}
	if (n > MAX_PROVIDERS)
		n = MAX_PROVIDERS;

	if (c->buf.via == VIA_PROVIDER) {
		for (int i = 0; i < n; i++) {
			if (strcmp(prov[i].pci.addr, c->buf.provider.addr))
				continue;
			/* As much as fits: the copy takes more windows. */
			if (prov[i].available < *want &&
			    prov[i].available >= PAGE)
				*want = prov[i].available & ~(PAGE - 1);
		}
		return 0;
	}

	for (int i = 0; i < n; i++) {
		/* 2: all below a switch; 1: some through the host bridge */
		int rank = 2;

		if (!prov[i].published || prov[i].available < *want)
			continue;
		for (int e = 0; e < 2 && rank; e++) {
			/* A file's: its filesystem's block device. */
			if (!ends[e]->has_pci)
				continue;
			switch (reach(c->buf.dev, &prov[i], ends[e])) {
			case DMA_BUF_P2P_PATH_BUS:
				break;
			case DMA_BUF_P2P_PATH_HOST_BRIDGE:
				rank = 1;
				break;
			default:
				rank = 0;
			}
		}
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
		}
	}
	if (best < 0) {
		p2pctl_err(CMD, 0, "no published P2PDMA provider with %s free "
			   "is reachable peer-to-peer by %s%s%s (see 'p2pctl "
			   "list'); name the buffer with --via, --via-fd or "
			   "--via-gem", p2pctl_fmt_size(*want, sz, sizeof(sz)),
			   c->src.has_pci ? endpoint_dev(&c->src) : "",
			   c->src.has_pci && c->dst.has_pci ? " and " : "",
			   c->dst.has_pci ? endpoint_dev(&c->dst) : "");
		return -ENODEV;
	}
	c->buf.provider = prov[best].pci;
	return 0;
}

static int alloc_on_provider(struct copy *c, uint64_t want)
{
	struct dma_buf_p2p_alloc a = {
		.provider = c->buf.provider.id,
		.size = want,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	const char *hint = "";
	char sz[16];
	int err;

	if (!drmIoctl(c->buf.dev, DMA_BUF_P2P_IOC_ALLOC, &a)) {
		c->buf.fd = (int)a.fd;
		c->buf.own_fd = true;
		return 0;
	}
	err = errno;
	if (err == ENODEV)
		hint = " (no such PCI function)";
	else if (err == ENXIO)
		hint = " (not a P2PDMA provider; see 'p2pctl list')";
	p2pctl_err(CMD, err, "alloc %s on %s%s", p2pctl_fmt_size(want, sz, sizeof(sz)),
		   c->buf.provider.addr, hint);
	return -err;
}

/* --via-fd: a dma-buf this process may write into. */
static int check_fd(struct copy *c)
{
	struct statfs sfs;
	int flags;

	if (fstatfs(c->buf.fd, &sfs) || sfs.f_type != DMA_BUF_MAGIC) {
		p2pctl_err(CMD, EINVAL, "fd %d is not a dma-buf", c->buf.fd);
		return -EINVAL;
	}
	flags = fcntl(c->buf.fd, F_GETFL);
	if (flags < 0 || (flags & O_ACCMODE) != O_RDWR) {
		p2pctl_err(CMD, EACCES, "dma-buf fd %d is not open read-write "
			   "(SRC is read into it)", c->buf.fd);
		return -EACCES;
	}
	return 0;
}

int copy_buffer_query(struct copy *c, struct dma_buf_p2p_query *q)
{
	return p2pctl_query(c->buf.dev, c->buf.fd, q, c->buf.att,
			    MAX_ATTACHMENTS, NULL, 0);
}

int copy_buffer_get(struct copy *c)
{
	struct buffer *b = &c->buf;
	uint64_t want, align;
	off_t size;
	char sz[16], al[16];
	int ret;

	want = (c->length + PAGE - 1) & ~(PAGE - 1);
	if (want > MAX_WINDOW)
		want = MAX_WINDOW;

	if (b->via == VIA_AUTO || b->via == VIA_PROVIDER) {
		b->dev = p2pctl_open_dev(CMD);
		if (b->dev < 0)
			return b->dev;
		ret = choose_provider(c, &want);
		if (ret)
			return ret;
		ret = alloc_on_provider(c, want);
		if (ret)
			return ret;
	} else {
		/* Only to ask whether it is ours: not needed otherwise. */
		b->dev = open(P2P_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (b->via == VIA_FD) {
			ret = check_fd(c);
			if (ret)
				return ret;
		} else {
			ret = p2pctl_gem_export(CMD, b->arg, want, &b->gem,
						&b->fd);
			if (ret)
				return ret;
			b->own_fd = true;
		}
	}

	size = lseek(b->fd, 0, SEEK_END);
	if (size <= 0) {
		ret = size < 0 ? errno : EINVAL;
		p2pctl_err(CMD, ret, "size of the dma-buf");
		return -ret;
	}
	b->size = size;
	if (!p2pctl_fdinfo(b->fd, "exp_name", b->exporter, sizeof(b->exporter)))
		snprintf(b->exporter, sizeof(b->exporter), "?");

	/* Every window a whole number of blocks of both devices. */
	align = c->src.lbs > c->dst.lbs ? c->src.lbs : c->dst.lbs;
	b->window = b->size < c->length ? b->size : c->length;
	b->window -= b->window % align;
	if (!b->window) {
		p2pctl_err(CMD, EINVAL, "the dma-buf (%s) holds no whole block "
			   "of %s", p2pctl_fmt_size(b->size, sz, sizeof(sz)),
			   p2pctl_fmt_size(align, al, sizeof(al)));
		return -EINVAL;
	}

	b->ours = b->dev >= 0 && !copy_buffer_query(c, &b->before);
	return 0;
}

/*
 * Files need the CPU's view of the buffer: for the filesystems FIDMABUFRW
 * cannot do, and for the end of a write that is less than a block.
 */
int copy_buffer_map(struct copy *c)
{
	void *p;
	int err;

	if (c->src.block && c->dst.block)
		return 0;
	p = mmap(NULL, c->buf.window, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->buf.fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		p2pctl_err(CMD, err, "mmap the dma-buf (%s) for the regular "
			   "file", c->buf.exporter);
		return -err;
	}
	c->buf.map = p;
	return 0;
}

void copy_buffer_put(struct buffer *b)
{
	if (b->map)
		munmap(b->map, b->window);
	if (b->own_fd && b->fd >= 0)
		close(b->fd);
	if (b->via == VIA_GEM)
		p2pctl_gem_close(&b->gem);
	if (b->dev >= 0)
		close(b->dev);
}
