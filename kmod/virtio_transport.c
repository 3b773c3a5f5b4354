// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox's virtio transport: the host's own virtio_blk and virtio_net
 * drive virtio devices whose "hardware" is blk_export.c and net_export.c.
 * Shaped like virtio_mmio.c: configuration interface, transport
 * interface, the virtio_config_ops table, the device side of the vrings,
 * then registration.  What differs between the exports is in their
 * struct vdev_ops (vdev.h).
 *
 * The vrings are created by the virtio core (vring_create_virtqueue()) in
 * host memory and never leave the host.  VIRTIO_F_ACCESS_PLATFORM is not
 * offered, so the descriptors hold physical addresses of host kernel
 * buffers; the device side below (vdev_pop_head()/vdev_walk()/
 * vdev_push_used()) reads them with every index and length checked,
 * although the driver is trusted: a bug there must not become a wild write
 * here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_config.h>

#include "compat.h"
#include "vdev.h"

static struct device *vdev_root;

static struct drvbox_vdev *to_vdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct drvbox_vdev, vdev);
}

/* ---- configuration interface ------------------------------------ */

static u64 vdev_get_features(struct virtio_device *vdev)
{
	struct drvbox_vdev *v = to_vdev(vdev);
	u64 f;

	mutex_lock(v->lock);
	f = v->features;
	mutex_unlock(v->lock);
	return f;
}

static int vdev_finalize_features(struct virtio_device *vdev)
{
	/* Keep only the transport features the ring code knows. */
	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1))
		return -EINVAL;
	return 0;
}

static void vdev_get(struct virtio_device *vdev, unsigned int offset,
		     void *buf, unsigned int len)
{
	struct drvbox_vdev *v = to_vdev(vdev);

	mutex_lock(v->lock);
	if (offset <= v->cfg_len && len <= v->cfg_len - offset)
		memcpy(buf, (u8 *)v->cfg + offset, len);
	else
		memset(buf, 0, len);
	mutex_unlock(v->lock);
}

static void vdev_set(struct virtio_device *vdev, unsigned int offset,
		     const void *buf, unsigned int len)
{
	/*
	 * Nothing in our config spaces is writable: no VIRTIO_BLK_F_CONFIG_WCE,
	 * and a new MAC comes on the control vring (VIRTIO_NET_F_CTRL_MAC_ADDR),
	 * never as a legacy config write.
	 */
}

static u32 vdev_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_vdev(vdev)->generation);
}

static u8 vdev_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_vdev(vdev)->status);
}

static void vdev_set_status(struct virtio_device *vdev, u8 status)
{
	WRITE_ONCE(to_vdev(vdev)->status, status);
}

static void vdev_reset(struct virtio_device *vdev)
{
	WRITE_ONCE(to_vdev(vdev)->status, 0);
}

/* ---- transport interface ---------------------------------------- */

static bool vdev_notify(struct virtqueue *vq)
{
	struct drvbox_vdev *v = to_vdev(vq->vdev);

	atomic64_inc(&v->notifies);
	v->ops->kick(v, vq->index);
	return true;
}

static void vdev_del_vqs(struct virtio_device *vdev)
{
	struct drvbox_vdev *v = to_vdev(vdev);
	struct virtqueue *vq, *n;

	/* the driver has quiesced its side: nothing of ours is in flight */
	mutex_lock(v->lock);
	memset(v->vq, 0, sizeof(v->vq));
	v->nr_vq = 0;
	mutex_unlock(v->lock);
	v->ops->stop(v);
	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		vring_del_virtqueue(vq);
}

static int vdev_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			 struct virtqueue *vqs[], DRVBOX_FIND_VQS_PARAMS)
{
	struct drvbox_vdev *v = to_vdev(vdev);
	struct vdev_vq hvq[VDEV_MAX_VQS] = {};
	unsigned int i;

	if (nvqs > v->ops->max_vqs || nvqs > VDEV_MAX_VQS)
		return -ENOENT;
	for (i = 0; i < nvqs; i++) {
		struct virtqueue *vq;

		if (!drvbox_vq_name(i)) {
			vqs[i] = NULL;
			continue;
		}
		vq = vring_create_virtqueue(i, v->ops->vring_num, PAGE_SIZE,
					    vdev, true, true, drvbox_vq_ctx(i),
					    vdev_notify, drvbox_vq_callback(i),
					    drvbox_vq_name(i));
		if (!vq) {
			vdev_del_vqs(vdev);
			return -ENOMEM;
		}
		vqs[i] = vq;
		hvq[i].vq = vq;
		hvq[i].num = virtqueue_get_vring_size(vq);
		/* no DMA API (no ACCESS_PLATFORM): these are physical */
		hvq[i].desc = phys_to_virt(virtqueue_get_desc_addr(vq));
		hvq[i].avail = phys_to_virt(virtqueue_get_avail_addr(vq));
		hvq[i].used = phys_to_virt(virtqueue_get_used_addr(vq));
	}
	mutex_lock(v->lock);
	memcpy(v->vq, hvq, sizeof(hvq));
	v->nr_vq = nvqs;
	mutex_unlock(v->lock);
	return 0;
}

static const char *vdev_bus_name(struct virtio_device *vdev)
{
	return "drvbox";
}

static const struct virtio_config_ops vdev_config_ops = {
	.get_features		= vdev_get_features,
	.finalize_features	= vdev_finalize_features,
	.get			= vdev_get,
	.set			= vdev_set,
	.generation		= vdev_generation,
	.get_status		= vdev_get_status,
	.set_status		= vdev_set_status,
	.reset			= vdev_reset,
	.find_vqs		= vdev_find_vqs,
	.del_vqs		= vdev_del_vqs,
	.bus_name		= vdev_bus_name,
};

/* ---- the device side of the vrings (v->lock held) ---------------- */

/* The lock that serves host vring @q: v->lock, or the export's own. */
static void vdev_assert_served(struct drvbox_vdev *v, unsigned int q)
{
#ifdef CONFIG_LOCKDEP
	spinlock_t *own = v->ops->vq_lock ? v->ops->vq_lock(v, q) : NULL;

	if (own)
		lockdep_assert_held(own);
	else
		lockdep_assert_held(v->lock);
#endif
}

/* The event fields after the rings (VIRTIO_RING_F_EVENT_IDX). */
#define vring_avail_event_of(h)	(*(__virtio16 *)&(h)->used->ring[(h)->num])
#define vring_used_event_of(h)	((h)->avail->ring[(h)->num])

/* Does the driver have host vring @q? */
bool vdev_vq_ready(struct drvbox_vdev *v, unsigned int q)
{
	return q < v->nr_vq && v->vq[q].vq;
}

/* Is a chain waiting on host vring @q? */
bool vdev_avail(struct drvbox_vdev *v, unsigned int q)
{
	struct vdev_vq *h = &v->vq[q];

	if (!vdev_vq_ready(v, q))
		return false;
	h->avail_seen = READ_ONCE(h->avail->idx);
	return virtio16_to_cpu(&v->vdev, h->avail_seen) != h->last_avail;
}

/**
 * vdev_pop_head() - take the next chain of host vring @q
 * @v: v->lock held
 * @q: host vring index
 * @head: its head, as the driver wrote it (vdev_walk() checks it)
 *
 * Return: true when a chain was taken: the caller gives it back with
 * vdev_push_used() or vdev_discard(); false when the ring is empty.
 */
bool vdev_pop_head(struct drvbox_vdev *v, unsigned int q, u16 *head)
{
	struct vdev_vq *h = &v->vq[q];
	u16 avail_idx;

	vdev_assert_served(v, q);

	if (!vdev_avail(v, q))
		return false;
	avail_idx = virtio16_to_cpu(&v->vdev, READ_ONCE(h->avail->idx));
	/* read the entry after the index that announced it */
	virtio_rmb(true);
	if ((u16)(avail_idx - h->last_avail) > h->num) {
		pr_warn_ratelimited("%s: avail index jumped by %u\n",
				    dev_name(&v->vdev.dev),
				    (u16)(avail_idx - h->last_avail));
		h->last_avail = avail_idx;	/* nothing sane to do */
		return false;
	}
	*head = virtio16_to_cpu(&v->vdev,
				h->avail->ring[h->last_avail % h->num]);
	h->last_avail++;
	return true;
}

/* A host kernel buffer named by physical address, or NULL. */
static void *vdev_buffer(u64 addr, u32 len)
{
	if (!len || addr + len < addr)
		return NULL;
	if (!pfn_valid(PHYS_PFN(addr)) || !pfn_valid(PHYS_PFN(addr + len - 1)))
		return NULL;
	return phys_to_virt(addr);
}

/**
 * vdev_walk() - the descriptors of the chain at @head, each one checked
 * @v: v->lock held
 * @q: host vring index (vdev_vq_ready())
 * @head: from vdev_pop_head()
 * @segs: filled with one entry per descriptor
 * @max: entries in @segs
 *
 * Every index is checked against the ring, the chain against @max and the
 * ring size (a loop), every buffer against host memory.  INDIRECT is
 * refused: it is never offered.
 *
 * Return: the number of descriptors (at least 1), or -EINVAL.
 */
int vdev_walk(struct drvbox_vdev *v, unsigned int q, u16 head,
	      struct vdev_seg *segs, unsigned int max)
{
	struct vdev_vq *h = &v->vq[q];
	u32 n = 0, idx = head;

	vdev_assert_served(v, q);

	for (;;) {
		struct vring_desc desc;
		u16 flags;

		if (idx >= h->num || n >= max || n >= h->num)
			return -EINVAL;	/* bad index, too long, or a loop */
		desc = h->desc[idx];
		flags = virtio16_to_cpu(&v->vdev, desc.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		segs[n].len = virtio32_to_cpu(&v->vdev, desc.len);
		segs[n].addr = vdev_buffer(virtio64_to_cpu(&v->vdev, desc.addr),
					   segs[n].len);
		segs[n].writable = flags & VRING_DESC_F_WRITE;
		if (!segs[n].addr)
			return -EINVAL;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			return n;
		idx = virtio16_to_cpu(&v->vdev, desc.next);
	}
}

/* Give the chain at @head back: @written bytes in its writable buffers. */
void vdev_push_used(struct drvbox_vdev *v, unsigned int q, u16 head,
		    u32 written)
{
	struct vdev_vq *h = &v->vq[q];
	struct vring_used_elem *e = &h->used->ring[h->used_idx % h->num];

	vdev_assert_served(v, q);
	e->id = cpu_to_virtio32(&v->vdev, head);
	e->len = cpu_to_virtio32(&v->vdev, written);
	/* the driver reads the entry after it sees the index */
	virtio_wmb(true);
	h->used_idx++;
	WRITE_ONCE(h->used->idx, cpu_to_virtio16(&v->vdev, h->used_idx));
}

/*
 * Give back a chain we cannot use, with length 0.  A head outside the ring
 * names no descriptor: it cannot be given back and is only dropped.
 */
void vdev_discard(struct drvbox_vdev *v, unsigned int q, u16 head)
{
	if (head < v->vq[q].num)
		vdev_push_used(v, q, head, 0);
}

/*
 * Put back the last @n chains taken with vdev_pop_head(), untouched and
 * not given back: the next vdev_pop_head() takes them again.
 */
void vdev_unpop(struct drvbox_vdev *v, unsigned int q, u16 n)
{
	vdev_assert_served(v, q);
	v->vq[q].last_avail -= n;
}

/**
 * vdev_enable_notify() - ask for a notify() at the next chain of vring @q
 * @v: v->lock held
 * @q: host vring index
 *
 * For a consumer that has taken every chain it found: with
 * VIRTIO_RING_F_EVENT_IDX the driver notifies only when it adds the entry
 * named by avail_event, so that is set to the next one we would take.  A
 * chain added before the driver could see it is not announced: look once
 * more after publishing.  Without the feature the driver notifies anyway.
 *
 * Return: true when chains are waiting (take them, then call this again).
 */
bool vdev_enable_notify(struct drvbox_vdev *v, unsigned int q)
{
	struct vdev_vq *h = &v->vq[q];

	vdev_assert_served(v, q);

	if (!vdev_vq_ready(v, q))
		return false;
	if (__virtio_test_bit(&v->vdev, VIRTIO_RING_F_EVENT_IDX)) {
		WRITE_ONCE(vring_avail_event_of(h),
			   cpu_to_virtio16(&v->vdev, h->last_avail));
		/* avail_event before we read the driver's index again */
		virtio_mb(true);
	}
	return vdev_avail(v, q);
}

/**
 * vdev_notify_on_more() - ask for a notify() when the driver adds to vring @q
 * @v: v->lock held
 * @q: host vring index
 *
 * For a consumer that needs more than the chains posted so far (a frame
 * larger than the receive buffers it has seen), which it gave back with
 * vdev_unpop(): with VIRTIO_RING_F_EVENT_IDX, avail_event is set to the
 * driver's next entry, not to the first one we have not taken (which the
 * driver may have passed already).  Entries the driver added after the
 * consumer last looked (vdev_avail()) but before the event was set may
 * never be announced: those make this return true too.
 *
 * Return: true when the driver added entries since the consumer looked
 * (look again).
 */
bool vdev_notify_on_more(struct drvbox_vdev *v, unsigned int q)
{
	struct vdev_vq *h = &v->vq[q];
	__virtio16 idx;

	vdev_assert_served(v, q);

	if (!vdev_vq_ready(v, q) ||
	    !__virtio_test_bit(&v->vdev, VIRTIO_RING_F_EVENT_IDX))
		return false;
	idx = READ_ONCE(h->avail->idx);
	WRITE_ONCE(vring_avail_event_of(h), idx);
	/* avail_event before we read the driver's index again */
	virtio_mb(true);
	return READ_ONCE(h->avail->idx) != h->avail_seen;
}

/*
 * Tell the driver about the entries pushed to host vring @q since the last
 * call, if it has the vring and asked to be told: with EVENT_IDX when
 * used_idx passed its used_event, else unless it set NO_INTERRUPT.
 * Callers push a pass's entries and then call this once.
 */
void vdev_interrupt(struct drvbox_vdev *v, unsigned int q)
{
	struct vdev_vq *h = &v->vq[q];
	u16 old = h->signalled_used;
	bool need;

	if (!vdev_vq_ready(v, q) || h->used_idx == old)
		return;
	h->signalled_used = h->used_idx;
	/* our used index before the driver's event or flags */
	virtio_mb(true);
	if (__virtio_test_bit(&v->vdev, VIRTIO_RING_F_EVENT_IDX))
		need = vring_need_event(virtio16_to_cpu(&v->vdev,
					READ_ONCE(vring_used_event_of(h))),
					h->used_idx, old);
	else
		need = !(virtio16_to_cpu(&v->vdev, READ_ONCE(h->avail->flags)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (!need)
		return;
	v->interrupts++;
	vring_interrupt(0, h->vq);
}

/* vdev_interrupt() for each host vring. */
void vdev_interrupt_all(struct drvbox_vdev *v)
{
	u32 q;

	for (q = 0; q < v->nr_vq; q++)
		vdev_interrupt(v, q);
}

/* ---- registration ------------------------------------------------ */

/* The export changed its config space.  No locks held. */
void vdev_config_changed(struct drvbox_vdev *v)
{
	if (READ_ONCE(v->state) == VDEV_REGISTERED)
		virtio_config_changed(&v->vdev);
}

struct vdev_child {
	const char *class;
	char *buf;
	size_t len;
};

static int vdev_match_child(struct device *dev, void *data)
{
	struct vdev_child *c = data;

	if (!dev->class || strcmp(dev->class->name, c->class))
		return 0;
	strscpy(c->buf, dev_name(dev), c->len);
	return 1;
}

/*
 * The name of the device of @class ("block", "net") the driver made of
 * @v, into @buf (untouched when there is none).  Return: 0 or -ENODEV.
 */
int vdev_child_name(struct drvbox_vdev *v, const char *class, char *buf,
		    size_t len)
{
	struct vdev_child c = { .class = class, .buf = buf, .len = len };

	if (READ_ONCE(v->state) != VDEV_REGISTERED)
		return -ENODEV;
	if (!device_for_each_child(&v->vdev.dev, &c, vdev_match_child))
		return -ENODEV;
	return 0;
}

static void vdev_release(struct device *dev)
{
	struct drvbox_vdev *v = to_vdev(dev_to_virtio(dev));

	v->ops->release(v);
}

/* Before anything else: what the export provides. */
void vdev_setup(struct drvbox_vdev *v, const struct vdev_ops *ops,
		struct mutex *lock, void *cfg, unsigned int cfg_len)
{
	v->ops = ops;
	v->lock = lock;
	v->cfg = cfg;
	v->cfg_len = cfg_len;
	v->state = VDEV_NONE;
}

/*
 * Register @v's virtio device (the driver probes here, and may do I/O
 * through the mediator: call with no locks).  Afterwards the device's
 * refcount owns the export, also when this fails.
 */
int vdev_register(struct drvbox_vdev *v)
{
	int ret;

	v->vdev.dev.parent = vdev_root;
	v->vdev.dev.release = vdev_release;
	v->vdev.id.device = v->ops->device_id;
	v->vdev.id.vendor = DRVBOX_PCI_VENDOR_ID;
	v->vdev.config = &vdev_config_ops;
	ret = register_virtio_device(&v->vdev);
	mutex_lock(v->lock);
	v->state = ret ? VDEV_FAILED : VDEV_REGISTERED;
	mutex_unlock(v->lock);
	return ret;
}

/*
 * Drop the device (the driver removes its disk or interface) and the
 * registration's reference: the last put frees the export.  Only after
 * vdev_register(), with no locks held.
 */
void vdev_unregister(struct drvbox_vdev *v)
{
	if (v->state == VDEV_REGISTERED)
		unregister_virtio_device(&v->vdev);
	else
		put_device(&v->vdev.dev);
}

/* The parent of every drvbox virtio device: /sys/devices/drvbox. */
int vdev_root_init(void)
{
	vdev_root = root_device_register("drvbox");
	return PTR_ERR_OR_ZERO(vdev_root);
}

void vdev_root_exit(void)
{
	root_device_unregister(vdev_root);
}
