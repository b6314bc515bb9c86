// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe I/O to and from DMA-BUF ranges.
 *
 * A namespace of a controller whose transport sets NVME_F_DMABUF (PCIe)
 * takes bios carrying a DMA-BUF range (include/linux/blk-dmabuf.h) premapped
 * for the controller's PCI function: one dma-buf P2P import per (buffer,
 * controller), mapped once and cached, peer-to-peer when the buffer lives
 * in a BAR the controller reaches.  Per request, the transport only turns
 * the premapped addresses of the request's byte range into PRPs or SGLs:
 * no pinning, no dma_map, no struct page.
 *
 * The bio holds a map reference until it completes, so a move of the
 * buffer waits for the request and the addresses never go stale under the
 * controller; reset and removal complete or fail the request first.
 */
#include <linux/blk-dmabuf.h>
#include <linux/blk-mq.h>
#include <linux/dma-buf-p2p.h>
#include <linux/scatterlist.h>

#include "nvme.h"

/**
 * nvme_ns_dmabuf_device() - the device that DMAs for a namespace
 * @bdev: the namespace's block device
 *
 * Context: any context.
 * Return: the controller's DMA device, or NULL when its transport cannot
 * take premapped DMA-BUF ranges or the format carries metadata.
 */
struct device *nvme_ns_dmabuf_device(struct block_device *bdev)
{
	struct nvme_ns *ns = bdev->bd_disk->private_data;
	struct nvme_ctrl *ctrl = ns->ctrl;

	if (!(ctrl->ops->flags & NVME_F_DMABUF) || ns->head->ms)
		return NULL;
	return ctrl->dev;
}

/**
 * nvme_dmabuf_map_sg() - a request's DMA-BUF range as DMA segments
 * @req: a request whose bio carries a DMA-BUF range
 * @dma_dev: the controller's DMA device
 * @sgl: @max_segs entries to fill; only their DMA address and length
 *	are meaningful, there are no pages behind them
 * @max_segs: entries in @sgl
 * @prp_ok: set to whether PRPs can describe the segments: every segment
 *	but the first starts on a controller page, every one but the last
 *	ends on one
 *
 * Also makes the range coherent for the controller.
 *
 * Context: any context (the submission path).
 * Return: the number of entries filled, or -EINVAL when the map is not the
 * controller's or does not cover the range, -E2BIG when the range has more
 * than @max_segs segments.
 */
int nvme_dmabuf_map_sg(struct request *req, struct device *dma_dev,
		       struct scatterlist *sgl, unsigned int max_segs,
		       bool *prp_ok)
{
	struct dma_buf_p2p_map *map = bio_dmabuf_map(req->bio);
	u64 offset = bio_dmabuf_offset(req->bio);
	u32 len = blk_rq_payload_bytes(req);
	struct scatterlist *sg = NULL;
	struct dma_buf_p2p_iter iter;
	unsigned int nents = 0;
	dma_addr_t addr;
	u32 n;

	if (WARN_ON_ONCE(dma_buf_p2p_import_device(dma_buf_p2p_map_import(map)) !=
			 dma_dev))
		return -EINVAL;
	if (dma_buf_p2p_iter_init(&iter, map, offset, len))
		return -EINVAL;

	*prp_ok = true;
	while (dma_buf_p2p_iter_next(&iter, &addr, &n)) {
		if (unlikely(nents == max_segs))
			return -E2BIG;
		if (sg && (!IS_ALIGNED(addr, NVME_CTRL_PAGE_SIZE) ||
			   !IS_ALIGNED(sg_dma_address(sg) + sg_dma_len(sg),
				       NVME_CTRL_PAGE_SIZE)))
			*prp_ok = false;
		sg = &sgl[nents++];
		memset(sg, 0, sizeof(*sg));
		sg->length = n;
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = n;
	}
	if (unlikely(!sg))
		return -EINVAL;
	sg_mark_end(sg);

	dma_buf_p2p_map_sync(map, offset, len, rq_dma_dir(req), true);
	return nents;
}
EXPORT_SYMBOL_GPL(nvme_dmabuf_map_sg);

/**
 * nvme_dmabuf_unmap_sg() - end of a request nvme_dmabuf_map_sg() set up
 * @req: the request
 *
 * Nothing to unmap: only makes the range coherent for the CPU again.
 *
 * Context: any context (the completion path).
 */
void nvme_dmabuf_unmap_sg(struct request *req)
{
	dma_buf_p2p_map_sync(bio_dmabuf_map(req->bio),
			     bio_dmabuf_offset(req->bio),
			     blk_rq_payload_bytes(req), rq_dma_dir(req), false);
}
EXPORT_SYMBOL_GPL(nvme_dmabuf_unmap_sg);
