/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Isolated block devices: one struct drvbox_blk per "export=blk:DEV" of a
 * domain (see docs/block.md).
 *
 *   host virtio_blk --(host vrings)--> virtio_transport.c (struct
 *     drvbox_vdev: virtio_config_ops, chain walker, used ring)
 *     --> blk_vring.c: request parsing; blk_mediator.c: in-flight table,
 *         slots in guest RAM, queue rings; blk_export.c: the device, the
 *         rings' layout, attach/detach across incarnations
 *     --> the guest stub (untrusted) --> the isolated driver
 *
 * Lifetimes: a drvbox_blk is created with its domain and lives until the
 * domain is finalized, across incarnations: the in-flight table is what
 * makes recovery work.  Once its virtio device has been registered, the
 * device's refcount owns the memory (release frees it).
 *
 * Locking: blk->lock (a mutex) protects everything mutable in the blk,
 * including blk->inc, which is set and cleared under d->lock AND blk->lock
 * (lock order d->lock -> blk->lock).  While blk->inc == inc under blk->lock,
 * inc's guest RAM, shared area and irqfds are valid: vmm_release() detaches
 * every blk (blk_incarnation_end()) before it frees them.  blk->lock is
 * also blk->vd's lock (vdev.h): features, config and the host vrings.
 * notify() from virtio_blk only queues blk->work.
 */
#ifndef _DRVBOX_BLK_H
#define _DRVBOX_BLK_H

#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/virtio_blk.h>
#include <linux/workqueue.h>

#include "drvbox.h"
#include "vdev.h"

#define BLK_DEPTH		DRVBOX_BLK_QUEUE_DEPTH
/* Data segments a request may have: seg_max (slot_size / PAGE_SIZE). */
#define BLK_SEG_MAX		(DRVBOX_BLK_SLOT_SIZE / PAGE_SIZE)
/* Host vring size; no INDIRECT_DESC, so a request takes seg_max + 2. */
#define BLK_VRING_NUM		256
#define BLK_SERIAL_LEN		SPEC_SERIAL_LEN	/* VIRTIO_BLK_ID_BYTES */
/*
 * Requests an export holds at most per guest queue it offers: every slot
 * of the queue posted and as many waiting.  The table is allocated with
 * the export, so taking a request never allocates (the mediator may be
 * what memory reclaim waits on); when it is empty, requests stay in the
 * host vrings until one completes.
 */
#define BLK_REQS_PER_QUEUE	(2 * BLK_DEPTH)

struct blk_seg {
	void *addr;		/* host kernel buffer (direct map) */
	u32 len;
};

/**
 * struct blk_req - one request taken from a host vring (host memory only)
 * @node: on blk->waiting while not posted to a guest queue, on
 *	blk->free_reqs while unused
 * @vq: host virtqueue index; @head: its descriptor chain head
 * @op: DRVBOX_BLK_OP_*; @sector, @len: as posted to the guest
 * @status: the virtio status byte in the host request
 * @segs: data buffers (READ: device-writable; WRITE: device-readable)
 * @start: jiffies when taken from the vring (the timeout runs from here)
 * @queue_ms: how long it waited here before it was (last) posted
 * @posted_ns: when (last) posted to the guest, ktime_get_ns()
 * @posted: owns slot @slot of guest queue @gq in the current incarnation
 * @replay: was posted to an incarnation that ended
 */
struct blk_req {
	struct list_head node;
	u16 vq;
	u16 head;
	u32 op;
	u64 sector;
	u32 len;
	u8 *status;
	u32 nr_segs;
	struct blk_seg segs[BLK_SEG_MAX];
	unsigned long start;		/* taken from virtio_blk */
	u32 queue_ms;
	u64 posted_ns;
	bool posted;
	bool replay;
	u16 gq;
	u16 slot;
};

/* A slot of a guest queue: busy from post until the guest completes it. */
struct blk_slot {
	struct blk_req *req;	/* NULL when busy but abandoned (timed out) */
	u16 gen;
	bool busy;
};

/* A guest queue of the current incarnation (valid while blk->inc is set). */
struct blk_gqueue {
	struct drvbox_queue_rings *rings;
	struct drvbox_blk_req *sq;
	struct drvbox_blk_cpl *cq;
	u32 sq_prod;		/* our copies: never read back from the guest */
	u32 sq_published;	/* sq_prod as the guest last saw it */
	u32 cq_cons;
	u32 busy;
	bool kick;
	struct eventfd_ctx *irq;
	u64 slot_off[DRVBOX_BLK_QUEUE_DEPTH];	/* offsets in guest RAM */
	struct blk_slot slots[DRVBOX_BLK_QUEUE_DEPTH];
};

struct blk_stats {
	u64 reads, writes, bytes, flushes, discards, replayed, timeouts, errors;
	/* the longest a request the guest completed waited: host, guest */
	u32 max_queue_ms, max_guest_ms;
	u64 doorbells;		/* queue doorbells the guest rang */
	u64 irqs;		/* times we signalled a queue's vector */
	u64 table_full;		/* passes that left requests in a vring */
	u64 copied;		/* bytes copied to and from guest slots */
	u64 polls, poll_misses;	/* poll windows that found work, or none */
	u64 guest_ns;		/* completed requests' time posted */
	u64 mediator_ns;	/* time spent in blk_work() passes */
};

struct drvbox_blk {
	struct drvbox_vdev vd;		/* the virtio device (transport) */
	struct drvbox_domain *dom;	/* outlives us: we die in its finalize */
	unsigned int index;		/* export index */
	char dev[32];			/* guest device name */
	char serial[BLK_SERIAL_LEN];
	u32 req_queues;			/* queues offered to the guest */
	u32 first_queue;		/* doorbell/vector of queue 0 */
	u32 ring_offset;

	struct mutex lock;
	struct delayed_work work;	/* the mediator */
	struct work_struct register_work;
	bool configured;		/* config filled from a READY answer */
	bool dead;			/* domain destroyed: fail everything */

	struct virtio_blk_config config;	/* vd's config space */

	/* the guest side, while attached to an incarnation */
	struct drvbox_inc *inc;
	u32 last_inc;			/* incarnation last attached or refused */
	u32 nr_gq;
	u32 guest_flags;
	u64 capacity;			/* bytes */
	struct blk_gqueue gq[DRVBOX_EXPORT_MAX_QUEUES];

	struct list_head waiting;	/* requests not posted, oldest first */
	u32 nr_pending;			/* waiting + posted */
	struct blk_req *reqs;		/* the request table */
	struct list_head free_reqs;	/* unused entries of reqs */
	bool starved;			/* a vring waited for a free entry */
	bool hold;			/* draining: post nothing to this incarnation */
	struct blk_stats stats;
	char error[64];			/* last ERROR answer of the guest */
};

/* blk_export.c */
int blk_domain_init(struct drvbox_domain *d);
void blk_domain_destroy(struct drvbox_domain *d);
u32 blk_shared_bytes(const struct drvbox_domain *d);
u32 blk_nr_doorbells(const struct drvbox_domain *d);
void blk_fill_host_page(struct drvbox_domain *d, struct drvbox_inc *inc);
void blk_guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc);
void blk_guest_running(struct drvbox_domain *d, struct drvbox_inc *inc);
void blk_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc);
void blk_doorbell(struct drvbox_domain *d, unsigned int doorbell);
void blk_status_fill(struct drvbox_domain *d);
void blk_hold(struct drvbox_domain *d);
bool blk_drained(struct drvbox_domain *d);
ssize_t blk_sysfs_show(struct drvbox_domain *d, char *buf);
void blk_violation(struct drvbox_domain *d, struct drvbox_blk *blk,
		   const char *what);

/* blk_vring.c (blk->lock held) */
bool blk_vq_pop(struct drvbox_blk *blk, unsigned int q, struct blk_req **out);
void blk_vq_complete(struct drvbox_blk *blk, struct blk_req *req, u8 status,
		     u32 written);

/* blk_mediator.c */
void blk_work(struct work_struct *work);
void blk_fail_waiting(struct drvbox_blk *blk);	/* blk->lock held */
void blk_detach(struct drvbox_blk *blk);	/* blk->lock held */
bool blk_in_guest(const struct drvbox_blk *blk);	/* blk->lock held */

#endif /* _DRVBOX_BLK_H */
