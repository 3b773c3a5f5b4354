/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device side of a drvbox virtio device (virtio_transport.c), shared
 * by the block and net exports: each embeds a struct drvbox_vdev and fills
 * a struct vdev_ops with what differs.
 *
 *   host virtio_blk / virtio_net --(host vrings)--> drvbox_vdev
 *     (virtio_config_ops, bounds-checked chain walker, used ring)
 *     --> the export's mediator (blk_mediator.c / net_export.c)
 *
 * Locking: @lock is the owning export's mutex (blk->lock, net->lock).  It
 * protects features, the config space behind @cfg, @vq[], @nr_vq and
 * @state; every vdev_*() function of the device side of the vrings is
 * called with it held.  @status and @generation are read without it
 * (READ_ONCE) and written with it or by the virtio core alone.  notify()
 * from the driver only calls ops->kick(), which must not sleep.  An export
 * may serve a vring from kick() itself under a spinlock of its own instead
 * (net's control vring; ops->vq_lock names it, and the device side
 * asserts that lock for that vring): the driver never notifies a vring it
 * does not have, so nr_vq and vq[] cannot change under it.
 */
#ifndef _DRVBOX_VDEV_H
#define _DRVBOX_VDEV_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>

#include "drvbox.h"

/*
 * The most host vrings any export asks for: blk one per queue, net an RX
 * and a TX vring per queue pair and the control vring.
 */
#define VDEV_MAX_VQS		(2 * DRVBOX_EXPORT_MAX_QUEUES + 1)

/*
 * The device side of one host vring (host-private memory).
 * @signalled_used: used_idx when the driver was last considered for an
 * interrupt (the "old" of VIRTIO_RING_F_EVENT_IDX's used_event test);
 * entries were pushed since while used_idx differs from it.
 * @avail_seen: the driver's avail index as the consumer last read it
 * (vdev_avail()), for vdev_notify_on_more().
 */
struct vdev_vq {
	struct virtqueue *vq;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u32 num;
	u16 last_avail;
	u16 used_idx;
	u16 signalled_used;
	__virtio16 avail_seen;
};

/* One descriptor of a chain: a host kernel buffer (direct map). */
struct vdev_seg {
	void *addr;
	u32 len;
	bool writable;		/* VRING_DESC_F_WRITE: device-writable */
};

enum vdev_state { VDEV_NONE, VDEV_REGISTERED, VDEV_FAILED };

struct drvbox_vdev;

/**
 * struct vdev_ops - what an export adds to the generic device
 * @device_id: VIRTIO_ID_*
 * @max_vqs: host vrings the driver may ask for (at most VDEV_MAX_VQS)
 * @vring_num: entries of each host vring
 * @kick: the driver notified host vring @q (any context): queue the
 *	mediator, or handle it right away without sleeping
 * @stop: del_vqs has unpublished the vrings (nr_vq is 0): wait until the
 *	mediator no longer runs on them; no locks held
 * @release: the last reference is gone: free the export
 */
struct vdev_ops {
	u32 device_id;
	unsigned int max_vqs;
	unsigned int vring_num;
	void (*kick)(struct drvbox_vdev *v, unsigned int q);
	void (*stop)(struct drvbox_vdev *v);
	void (*release)(struct drvbox_vdev *v);
	/* the spinlock that serves vring @q from kick(), or NULL: v->lock */
	spinlock_t *(*vq_lock)(struct drvbox_vdev *v, unsigned int q);
};

/**
 * struct drvbox_vdev - a virtio device on drvbox's transport
 * @vdev: what the virtio core and the driver see
 * @ops: the export's part
 * @lock: the export's mutex (see the locking rules above)
 * @state: registration; once not VDEV_NONE, @vdev's refcount owns the export
 * @status: virtio status byte
 * @features: offered device features (set before registration)
 * @generation: config generation; bumped when the export changes @cfg
 * @cfg: the export's config space (little-endian, VERSION_1 only)
 * @cfg_len: its size
 * @vq: the host vrings, @nr_vq of them while the driver has them
 * @interrupts: vring_interrupt() calls made (the driver's callbacks)
 * @notifies: notify() calls the driver made (any context: atomic)
 */
struct drvbox_vdev {
	struct virtio_device vdev;
	const struct vdev_ops *ops;
	struct mutex *lock;
	enum vdev_state state;
	u8 status;
	u64 features;
	u32 generation;
	void *cfg;
	unsigned int cfg_len;
	struct vdev_vq vq[VDEV_MAX_VQS];
	u32 nr_vq;
	u64 interrupts;
	atomic64_t notifies;
};

/* virtio_transport.c: the root device and registration */
int vdev_root_init(void);
void vdev_root_exit(void);
void vdev_setup(struct drvbox_vdev *v, const struct vdev_ops *ops,
		struct mutex *lock, void *cfg, unsigned int cfg_len);
int vdev_register(struct drvbox_vdev *v);
void vdev_unregister(struct drvbox_vdev *v);
void vdev_config_changed(struct drvbox_vdev *v);
int vdev_child_name(struct drvbox_vdev *v, const char *class, char *buf,
		    size_t len);

/* virtio_transport.c: the device side of the vrings (v->lock held) */
bool vdev_vq_ready(struct drvbox_vdev *v, unsigned int q);
bool vdev_avail(struct drvbox_vdev *v, unsigned int q);
bool vdev_pop_head(struct drvbox_vdev *v, unsigned int q, u16 *head);
int vdev_walk(struct drvbox_vdev *v, unsigned int q, u16 head,
	      struct vdev_seg *segs, unsigned int max);
void vdev_push_used(struct drvbox_vdev *v, unsigned int q, u16 head,
		    u32 written);
void vdev_discard(struct drvbox_vdev *v, unsigned int q, u16 head);
void vdev_unpop(struct drvbox_vdev *v, unsigned int q, u16 n);
bool vdev_enable_notify(struct drvbox_vdev *v, unsigned int q);
bool vdev_notify_on_more(struct drvbox_vdev *v, unsigned int q);
void vdev_interrupt(struct drvbox_vdev *v, unsigned int q);
void vdev_interrupt_all(struct drvbox_vdev *v);

#endif /* _DRVBOX_VDEV_H */
