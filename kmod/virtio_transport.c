// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox's virtio transport: the host's own virtio_blk drives a virtio
 * device whose "hardware" is blk_export.c.  Shaped like virtio_mmio.c:
 * configuration interface, transport interface, the virtio_config_ops
 * table, then registration.
 *
 * The vrings are created by the virtio core (vring_create_virtqueue()) in
 * host memory and never leave the host.  VIRTIO_F_ACCESS_PLATFORM is not
 * offered, so the descriptors hold physical addresses of host kernel
 * buffers; the device side below (vt_pop()/vt_complete()) walks them with
 * every index and length checked, although the driver is trusted: a bug
 * there must not become a wild write here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "blk.h"
#include "compat.h"
#include "net.h"

static struct device *vt_root;

static struct drvbox_blk *to_blk(struct virtio_device *vdev)
{
	return container_of(vdev, struct drvbox_blk, vdev);
}

/* ---- configuration interface ------------------------------------ */

static u64 vt_get_features(struct virtio_device *vdev)
{
	struct drvbox_blk *blk = to_blk(vdev);
	u64 f;

	mutex_lock(&blk->lock);
	f = blk->features;
	mutex_unlock(&blk->lock);
	return f;
}

static int vt_finalize_features(struct virtio_device *vdev)
{
	/* Keep only the transport features the ring code knows. */
	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1))
		return -EINVAL;
	return 0;
}

static void vt_get(struct virtio_device *vdev, unsigned int offset, void *buf,
		   unsigned int len)
{
	struct drvbox_blk *blk = to_blk(vdev);

	mutex_lock(&blk->lock);
	if (offset <= sizeof(blk->config) && len <= sizeof(blk->config) - offset)
		memcpy(buf, (u8 *)&blk->config + offset, len);
	else
		memset(buf, 0, len);
	mutex_unlock(&blk->lock);
}

static void vt_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	/* Nothing in our config is writable (no CONFIG_WCE). */
}

static u32 vt_generation(struct virtio_device *vdev)
{
	struct drvbox_blk *blk = to_blk(vdev);

	return READ_ONCE(blk->generation);
}

static u8 vt_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_blk(vdev)->status);
}

static void vt_set_status(struct virtio_device *vdev, u8 status)
{
	WRITE_ONCE(to_blk(vdev)->status, status);
}

static void vt_reset(struct virtio_device *vdev)
{
	WRITE_ONCE(to_blk(vdev)->status, 0);
}

/* ---- transport interface ---------------------------------------- */

static bool vt_notify(struct virtqueue *vq)
{
	blk_kick(to_blk(vq->vdev));
	return true;
}

static void vt_del_vqs(struct virtio_device *vdev)
{
	struct drvbox_blk *blk = to_blk(vdev);
	struct virtqueue *vq, *n;
	unsigned int i;

	/* virtio_blk removed its disk first: nothing of ours is in flight. */
	mutex_lock(&blk->lock);
	memset(blk->hvq, 0, sizeof(blk->hvq));
	blk->nr_hvq = 0;
	mutex_unlock(&blk->lock);
	cancel_delayed_work_sync(&blk->work);
	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		vring_del_virtqueue(vq);
	for (i = 0; i < ARRAY_SIZE(blk->hvq); i++)
		blk->hvq[i].vq = NULL;
	if (!blk->dead)
		blk_kick(blk);
}

static int vt_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[], DRVBOX_FIND_VQS_PARAMS)
{
	struct drvbox_blk *blk = to_blk(vdev);
	struct blk_hvq hvq[DRVBOX_EXPORT_MAX_QUEUES] = {};
	unsigned int i;

	if (nvqs > DRVBOX_EXPORT_MAX_QUEUES)
		return -ENOENT;
	for (i = 0; i < nvqs; i++) {
		struct virtqueue *vq;

		if (!drvbox_vq_name(i)) {
			vqs[i] = NULL;
			continue;
		}
		vq = vring_create_virtqueue(i, BLK_VRING_NUM, PAGE_SIZE, vdev,
					    true, true, false, vt_notify,
					    drvbox_vq_callback(i),
					    drvbox_vq_name(i));
		if (!vq)
			goto err;
		vqs[i] = vq;
		hvq[i].vq = vq;
		hvq[i].num = virtqueue_get_vring_size(vq);
		/* no DMA API (no ACCESS_PLATFORM): these are physical */
		hvq[i].desc = phys_to_virt(virtqueue_get_desc_addr(vq));
		hvq[i].avail = phys_to_virt(virtqueue_get_avail_addr(vq));
		hvq[i].used = phys_to_virt(virtqueue_get_used_addr(vq));
	}
	mutex_lock(&blk->lock);
	memcpy(blk->hvq, hvq, sizeof(hvq));
	blk->nr_hvq = nvqs;
	mutex_unlock(&blk->lock);
	return 0;

err:
	vt_del_vqs(vdev);
	return -ENOMEM;
}

static const char *vt_bus_name(struct virtio_device *vdev)
{
	return "drvbox";
}

static const struct virtio_config_ops vt_config_ops = {
	.get_features		= vt_get_features,
	.finalize_features	= vt_finalize_features,
	.get			= vt_get,
	.set			= vt_set,
	.generation		= vt_generation,
	.get_status		= vt_get_status,
	.set_status		= vt_set_status,
	.reset			= vt_reset,
	.find_vqs		= vt_find_vqs,
	.del_vqs		= vt_del_vqs,
	.bus_name		= vt_bus_name,
};

/* ---- the device side of the vrings (blk->lock held) -------------- */

/* A host kernel buffer named by physical address, or NULL. */
static void *vt_buffer(u64 addr, u32 len)
{
	if (!len || addr + len < addr)
		return NULL;
	if (!pfn_valid(PHYS_PFN(addr)) || !pfn_valid(PHYS_PFN(addr + len - 1)))
		return NULL;
	return phys_to_virt(addr);
}

static void vt_push_used(struct drvbox_blk *blk, struct blk_hvq *h, u16 head,
			 u32 written)
{
	struct vring_used_elem *e = &h->used->ring[h->used_idx % h->num];

	e->id = cpu_to_virtio32(&blk->vdev, head);
	e->len = cpu_to_virtio32(&blk->vdev, written);
	/* the driver reads the entry after it sees the index */
	virtio_wmb(true);
	h->used_idx++;
	WRITE_ONCE(h->used->idx, cpu_to_virtio16(&blk->vdev, h->used_idx));
}

/*
 * Parse the chain at @head into @req: header (device-readable, 16 bytes),
 * data, status (device-writable, last).  Returns 0, or -EINVAL for a chain
 * we cannot serve (then req->status is set if a status byte was found).
 */
static int vt_parse(struct drvbox_blk *blk, struct blk_hvq *h, u16 head,
		    struct blk_req *req)
{
	struct virtio_device *vdev = &blk->vdev;
	struct virtio_blk_outhdr hdr;
	void *bufs[BLK_SEG_MAX + 2];
	u32 lens[BLK_SEG_MAX + 2];
	bool wr[BLK_SEG_MAX + 2];
	u32 n = 0, i, idx = head, total = 0, type;
	u16 flags;

	for (;;) {
		struct vring_desc desc;

		if (idx >= h->num || n >= ARRAY_SIZE(bufs) || n >= h->num)
			return -EINVAL;	/* bad index, too long, or a loop */
		desc = h->desc[idx];
		flags = virtio16_to_cpu(vdev, desc.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;	/* not offered */
		lens[n] = virtio32_to_cpu(vdev, desc.len);
		bufs[n] = vt_buffer(virtio64_to_cpu(vdev, desc.addr), lens[n]);
		wr[n] = flags & VRING_DESC_F_WRITE;
		if (!bufs[n])
			return -EINVAL;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = virtio16_to_cpu(vdev, desc.next);
	}
	if (n >= 1 && wr[n - 1])
		req->status = (u8 *)bufs[n - 1] + lens[n - 1] - 1;
	if (n < 2 || wr[0] || lens[0] < sizeof(hdr) || !wr[n - 1])
		return -EINVAL;
	memcpy(&hdr, bufs[0], sizeof(hdr));
	type = virtio32_to_cpu(vdev, hdr.type);
	req->sector = virtio64_to_cpu(vdev, hdr.sector);
	/* data: descriptors 1 .. n-2, plus a status descriptor longer than 1 */
	for (i = 1; i < n - 1; i++) {
		req->segs[req->nr_segs].addr = bufs[i];
		req->segs[req->nr_segs].len = lens[i];
		req->nr_segs++;
		if (wr[i] != (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID))
			return -EINVAL;
		total += lens[i];
		if (total > DRVBOX_BLK_SLOT_SIZE)
			return -EINVAL;
	}
	if (lens[n - 1] > 1)
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
 * vt_pop() - take the next request from host vring @q
 * @blk: blk->lock held
 * @q: host virtqueue index
 * @out: the new request (kmalloc'ed), or NULL if the chain was bad (and
 *	has been completed with an error already)
 *
 * Return: 1 when a chain was taken, 0 when the ring is empty.
 */
int vt_pop(struct drvbox_blk *blk, unsigned int q, struct blk_req **out)
{
	struct blk_hvq *h = &blk->hvq[q];
	struct blk_req *req;
	u16 avail_idx, head;

	*out = NULL;
	if (q >= blk->nr_hvq || !h->vq)
		return 0;
	avail_idx = virtio16_to_cpu(&blk->vdev, READ_ONCE(h->avail->idx));
	if (avail_idx == h->last_avail)
		return 0;
	/* read the entry after the index that announced it */
	virtio_rmb(true);
	if ((u16)(avail_idx - h->last_avail) > h->num) {
		pr_warn_ratelimited("%s: avail index jumped by %u\n",
				    dev_name(&blk->vdev.dev),
				    (u16)(avail_idx - h->last_avail));
		h->last_avail = avail_idx;	/* nothing sane to do */
		return 0;
	}
	head = virtio16_to_cpu(&blk->vdev,
			       h->avail->ring[h->last_avail % h->num]);
	h->last_avail++;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req || vt_parse(blk, h, head, req)) {
		pr_warn_ratelimited("%s: bad request chain at %u\n",
				    dev_name(&blk->vdev.dev), head);
		if (req && req->status)
			*req->status = VIRTIO_BLK_S_IOERR;
		kfree(req);
		if (head < h->num)
			vt_push_used(blk, h, head, 0);
		vring_interrupt(0, h->vq);
		return 1;
	}
	req->vq = q;
	req->head = head;
	*out = req;
	return 1;
}

/**
 * vt_complete() - give @req back to the host driver and free it
 * @blk: blk->lock held
 * @req: the request (off every list)
 * @status: VIRTIO_BLK_S_*
 * @written: bytes written into device-writable data buffers
 */
void vt_complete(struct drvbox_blk *blk, struct blk_req *req, u8 status,
		 u32 written)
{
	struct blk_hvq *h = &blk->hvq[req->vq];

	if (req->vq < blk->nr_hvq && h->vq) {
		*req->status = status;
		vt_push_used(blk, h, req->head, written + 1);
		vring_interrupt(0, h->vq);
	}
	kfree(req);
}

/* The guest's device changed size (a later incarnation).  No locks held. */
void vt_config_changed(struct drvbox_blk *blk)
{
	if (blk->vdev_state == VDEV_REGISTERED)
		virtio_config_changed(&blk->vdev);
}

static int vt_find_disk(struct device *dev, void *data)
{
	if (!dev->class || strcmp(dev->class->name, "block"))
		return 0;
	strscpy(data, dev_name(dev), 32);
	return 1;
}

/* The name of the disk virtio_blk made of us, if any. */
int vt_host_dev(struct drvbox_blk *blk, char *buf, size_t len)
{
	char name[32] = "";

	if (blk->vdev_state != VDEV_REGISTERED)
		return -ENODEV;
	if (!device_for_each_child(&blk->vdev.dev, name, vt_find_disk))
		return -ENODEV;
	strscpy(buf, name, len);
	return 0;
}

/* ---- registration ------------------------------------------------ */

static void vt_release(struct device *dev)
{
	struct drvbox_blk *blk = to_blk(dev_to_virtio(dev));

	kfree(blk);
}

/*
 * Register blk's virtio device (the host's virtio_blk probes it here, and
 * reads the partition table through the mediator: call with no locks).
 * Afterwards the device's refcount owns @blk, also when this fails.
 */
int vt_register(struct drvbox_blk *blk)
{
	int ret;

	blk->vdev.dev.parent = vt_root;
	blk->vdev.dev.release = vt_release;
	blk->vdev.id.device = VIRTIO_ID_BLOCK;
	blk->vdev.id.vendor = DRVBOX_PCI_VENDOR_ID;
	blk->vdev.config = &vt_config_ops;
	ret = register_virtio_device(&blk->vdev);
	blk->vdev_state = ret ? VDEV_FAILED : VDEV_REGISTERED;
	return ret;
}

/* Drop the device (virtio_blk removes the disk); the last put frees blk. */
void vt_unregister(struct drvbox_blk *blk)
{
	if (blk->vdev_state == VDEV_REGISTERED)
		unregister_virtio_device(&blk->vdev);
	else
		put_device(&blk->vdev.dev);
}

/* The parent of every drvbox virtio device (block and net). */
struct device *vt_root_device(void)
{
	return vt_root;
}

int vt_init(void)
{
	vt_root = root_device_register("drvbox");
	return PTR_ERR_OR_ZERO(vt_root);
}

void vt_exit(void)
{
	root_device_unregister(vt_root);
}
