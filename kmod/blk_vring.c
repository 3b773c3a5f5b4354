// SPDX-License-Identifier: GPL-2.0
/*
 * Block exports, the host side: virtio-blk requests taken from the host
 * vrings that virtio_blk fills (struct drvbox_vdev walks the chains,
 * vdev.h), checked and described as a struct blk_req, and given back with
 * their status.  Everything here runs with blk->lock held, from the
 * mediator (blk_mediator.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/string.h>

#include "blk.h"

/*
 * Parse the chain at @head into @req: header (device-readable, 16 bytes),
 * data, status (device-writable, last).  Returns 0, or -EINVAL for a chain
 * we cannot serve (then req->status is set if a status byte was found).
 */
static int blk_parse_chain(struct drvbox_blk *blk, unsigned int q, u16 head,
			   struct blk_req *req)
{
	struct virtio_device *vdev = &blk->vd.vdev;
	struct virtio_blk_outhdr hdr;
	struct vdev_seg segs[BLK_SEG_MAX + 2];
	u32 i, n, total = 0, type;
	int ret;

	ret = vdev_walk(&blk->vd, q, head, segs, ARRAY_SIZE(segs));
	if (ret < 0)
		return ret;
	n = ret;
	if (segs[n - 1].writable)
		req->status = (u8 *)segs[n - 1].addr + segs[n - 1].len - 1;
	if (n < 2 || segs[0].writable || segs[0].len < sizeof(hdr) ||
	    !segs[n - 1].writable)
		return -EINVAL;
	memcpy(&hdr, segs[0].addr, sizeof(hdr));
	type = virtio32_to_cpu(vdev, hdr.type);
	req->sector = virtio64_to_cpu(vdev, hdr.sector);
	/* data: descriptors 1 .. n-2, plus a status descriptor longer than 1 */
	for (i = 1; i < n - 1; i++) {
		req->segs[req->nr_segs].addr = segs[i].addr;
		req->segs[req->nr_segs].len = segs[i].len;
		req->nr_segs++;
		if (segs[i].writable !=
		    (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID))
			return -EINVAL;
		total += segs[i].len;
		if (total > DRVBOX_BLK_SLOT_SIZE)
			return -EINVAL;
	}
	if (segs[n - 1].len > 1)
		return -EINVAL;
	req->len = total;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		req->op = DRVBOX_BLK_OP_READ;
		break;
	case VIRTIO_BLK_T_OUT:
		req->op = DRVBOX_BLK_OP_WRITE;
		break;
	case VIRTIO_BLK_T_FLUSH:
		req->op = DRVBOX_BLK_OP_FLUSH;
		break;
	case VIRTIO_BLK_T_GET_ID:
		req->op = 0;	/* answered by us */
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		struct virtio_blk_discard_write_zeroes range;

		if (req->nr_segs != 1 || total != sizeof(range))
			return -EINVAL;
		memcpy(&range, req->segs[0].addr, sizeof(range));
		req->sector = le64_to_cpu(range.sector);
		if (le32_to_cpu(range.num_sectors) > U32_MAX >> SECTOR_SHIFT)
			return -EINVAL;
		req->len = le32_to_cpu(range.num_sectors) << SECTOR_SHIFT;
		req->nr_segs = 0;
		req->op = type == VIRTIO_BLK_T_DISCARD ? DRVBOX_BLK_OP_DISCARD :
			  DRVBOX_BLK_OP_WRITE_ZEROES;
		break;
	}
	default:
		req->op = U32_MAX;	/* unsupported */
		break;
	}
	return 0;
}

/**
 * blk_vq_pop() - take the next request from host vring @q
 * @blk: blk->lock held
 * @q: host virtqueue index
 * @out: the new request (an entry of blk->reqs), or NULL if the chain was
 *	bad (and has been completed with an error already)
 *
 * Return: true when a chain was taken; false when the ring is empty, or
 * when every entry of the request table is in use (blk->starved is set
 * then, and the mediator runs again once one is given back).
 */
bool blk_vq_pop(struct drvbox_blk *blk, unsigned int q, struct blk_req **out)
{
	struct blk_req *req;
	u16 head;

	lockdep_assert_held(&blk->lock);
	*out = NULL;
	if (list_empty(&blk->free_reqs)) {
		if (vdev_avail(&blk->vd, q) && !blk->starved) {
			blk->starved = true;
			blk->stats.table_full++;
		}
		return false;
	}
	if (!vdev_pop_head(&blk->vd, q, &head))
		return false;
	req = list_first_entry(&blk->free_reqs, struct blk_req, node);
	list_del(&req->node);
	memset(req, 0, sizeof(*req));
	if (blk_parse_chain(blk, q, head, req)) {
		pr_warn_ratelimited("%s: bad request chain at %u\n",
				    dev_name(&blk->vd.vdev.dev), head);
		if (req->status)
			*req->status = VIRTIO_BLK_S_IOERR;
		list_add(&req->node, &blk->free_reqs);
		vdev_discard(&blk->vd, q, head);
		return true;
	}
	req->vq = q;
	req->head = head;
	*out = req;
	return true;
}

/**
 * blk_vq_complete() - give @req back to virtio_blk and to the table
 * @blk: blk->lock held
 * @req: the request (off every list)
 * @status: VIRTIO_BLK_S_*
 * @written: bytes written into device-writable data buffers
 *
 * The driver is told at the end of the pass (vdev_interrupt_all()), once
 * for all the requests completed in it.  When the vring has gone meanwhile
 * (del_vqs), the entry is only freed.
 */
void blk_vq_complete(struct drvbox_blk *blk, struct blk_req *req, u8 status,
		     u32 written)
{
	lockdep_assert_held(&blk->lock);
	if (vdev_vq_ready(&blk->vd, req->vq)) {
		*req->status = status;
		vdev_push_used(&blk->vd, req->vq, req->head, written + 1);
	}
	list_add(&req->node, &blk->free_reqs);
}
