// SPDX-License-Identifier: GPL-2.0
/*
 * Block exports, the mediator: one delayed work per export (blk_work())
 * moves requests between the host vrings (blk_vring.c) and the guest's
 * queue rings.  Every request taken from a host vring goes into a table in
 * host memory (struct blk_req, on blk->waiting until posted).  Posting
 * copies WRITE data into a free slot in guest RAM and puts a struct
 * drvbox_blk_req on the guest queue's ring; the slot belongs to that
 * request until the guest completes it.  Completions are read once,
 * validated (index window, slot id and generation, status, length) and
 * only then copied back.  Anything else the guest does wrong kills the
 * incarnation (blk_violation()); its posted requests go back to the table
 * (blk_detach()) and are posted again, with their data copied again from
 * the host buffers, to the next incarnation that announces the same
 * device.  A request older than io_timeout_ms completes with an I/O error
 * instead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/string.h>

#include "blk.h"
#include "compat.h"

static unsigned int io_timeout_ms = 60000;
module_param(io_timeout_ms, uint, 0644);
MODULE_PARM_DESC(io_timeout_ms, "ms after which a block request the domain has not completed fails with an I/O error; 0 = never (default 60000)");

static unsigned int poll_us;
module_param(poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us, "us the block mediator keeps looking for completions and requests after a pass, while requests are in the domain, instead of asking for a doorbell; at most 1000; 0 = never (default 0)");

/*
 * A mediator that keeps finding work while it polls gives the CPU back
 * after this long and runs again from the workqueue.
 */
#define BLK_POLL_BUDGET_NS	(2 * NSEC_PER_MSEC)

/* ---- completing requests (blk->lock held) ----------------------- */

static void blk_done(struct drvbox_blk *blk, struct blk_req *req, u8 status,
		     u32 written)
{
	if (status != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	blk->nr_pending--;
	blk_vq_complete(blk, req, status, written);
}

void blk_fail_waiting(struct drvbox_blk *blk)
{
	struct blk_req *req, *n;

	lockdep_assert_held(&blk->lock);
	list_for_each_entry_safe(req, n, &blk->waiting, node) {
		list_del(&req->node);
		blk_done(blk, req, VIRTIO_BLK_S_IOERR, 0);
	}
	vdev_interrupt_all(&blk->vd);
}

/* The incarnation is gone (or broken): posted requests wait again. */
void blk_detach(struct drvbox_blk *blk)
{
	LIST_HEAD(again);
	u32 q, s;

	lockdep_assert_held(&blk->lock);

	for (q = 0; q < blk->nr_gq; q++) {
		struct blk_gqueue *gq = &blk->gq[q];

		for (s = 0; s < BLK_DEPTH; s++) {
			struct blk_req *req = gq->slots[s].req;

			if (!req)
				continue;
			req->posted = false;
			req->replay = true;
			list_add_tail(&req->node, &again);
		}
	}
	list_splice(&again, &blk->waiting);	/* oldest first */
	memset(blk->gq, 0, sizeof(blk->gq));
	blk->nr_gq = 0;
	blk->inc = NULL;
	blk->hold = false;	/* what was held goes to the next incarnation */
}


/* ---- the mediator (blk->lock held) ------------------------------ */

static bool blk_errno_known(s32 e)
{
	switch (-e) {
	case 0: case EIO: case ENOSPC: case EOPNOTSUPP: case EINVAL:
	case ENOMEM: case ETIMEDOUT: case EAGAIN: case EBUSY: case ENODEV:
	case ENXIO: case ENODATA: case EILSEQ: case ENOLINK: case EREMOTEIO:
	case EROFS: case EBADE: case EPERM: case EFAULT: case EPROTO:
		return true;
	}
	return false;
}

/* A new request from the host: answer it here or queue it. */
static void blk_take(struct drvbox_blk *blk, struct blk_req *req)
{
	u64 sectors = blk->capacity >> SECTOR_SHIFT;
	u32 i, n;

	switch (req->op) {
	case 0:		/* GET_ID: the serial is ours, not the guest's */
		for (i = 0, n = 0; i < req->nr_segs && n < BLK_SERIAL_LEN; i++) {
			u32 c = min_t(u32, req->segs[i].len, BLK_SERIAL_LEN - n);

			memcpy(req->segs[i].addr, blk->serial + n, c);
			n += c;
		}
		blk_vq_complete(blk, req, VIRTIO_BLK_S_OK, n);
		return;
	case U32_MAX:
		blk_vq_complete(blk, req, VIRTIO_BLK_S_UNSUPP, 0);
		return;
	case DRVBOX_BLK_OP_FLUSH:
		break;
	default:
		if ((req->len & (SECTOR_SIZE - 1)) || req->sector > sectors ||
		    (req->len >> SECTOR_SHIFT) > sectors - req->sector ||
		    (req->op != DRVBOX_BLK_OP_READ &&
		     (blk->vd.features & BIT_ULL(VIRTIO_BLK_F_RO)))) {
			blk->stats.errors++;
			blk_vq_complete(blk, req, VIRTIO_BLK_S_IOERR, 0);
			return;
		}
	}
	req->start = jiffies;
	list_add_tail(&req->node, &blk->waiting);
	blk->nr_pending++;
}

/*
 * The slot's pages were populated when the guest announced it
 * (blk_validate()), so these copies cannot fail.
 */
static void blk_copy_to_slot(struct drvbox_blk *blk, u64 slot,
			     const struct blk_req *req)
{
	u32 i, off = 0;

	for (i = 0; i < req->nr_segs; i++) {
		WARN_ON_ONCE(guest_ram_write(blk->inc, slot + off,
					     req->segs[i].addr,
					     req->segs[i].len));
		off += req->segs[i].len;
	}
	blk->stats.copied += off;
}

static void blk_copy_from_slot(struct drvbox_blk *blk, struct blk_req *req,
			       u64 slot)
{
	u32 i, off = 0;

	for (i = 0; i < req->nr_segs; i++) {
		WARN_ON_ONCE(guest_ram_read(blk->inc, req->segs[i].addr,
					    slot + off, req->segs[i].len));
		off += req->segs[i].len;
	}
	blk->stats.copied += off;
}

/*
 * Post what waits, oldest first, into free slots of the current guest;
 * nothing while the domain drains (blk->hold).
 */
static void blk_post(struct drvbox_blk *blk)
{
	struct blk_req *req, *n;
	u32 q;

	lockdep_assert_held(&blk->lock);

	if (blk->hold)
		return;
	list_for_each_entry_safe(req, n, &blk->waiting, node) {
		struct blk_gqueue *gq = &blk->gq[req->vq % blk->nr_gq];
		struct drvbox_blk_req e = {};
		u32 s;

		if (gq->busy >= BLK_DEPTH)
			continue;
		for (s = 0; s < BLK_DEPTH && gq->slots[s].busy; s++)
			;
		gq->slots[s].busy = true;
		gq->slots[s].req = req;
		gq->slots[s].gen++;
		gq->busy++;
		if (req->op == DRVBOX_BLK_OP_WRITE)
			blk_copy_to_slot(blk, gq->slot_off[s], req);
		e.id = s | (u32)gq->slots[s].gen << 16;
		e.op = req->op;
		e.sector = req->sector;
		e.len = req->len;
		memcpy(&gq->sq[gq->sq_prod & (BLK_DEPTH - 1)], &e, sizeof(e));
		gq->sq_prod++;
		gq->kick = true;
		list_del(&req->node);
		req->posted = true;
		req->queue_ms = jiffies_to_msecs(jiffies - req->start);
		req->posted_ns = ktime_get_ns();
		req->gq = gq - blk->gq;
		req->slot = s;
		if (req->replay)
			blk->stats.replayed++;
	}
	for (q = 0; q < blk->nr_gq; q++) {
		struct blk_gqueue *gq = &blk->gq[q];
		u32 old = gq->sq_published;

		if (!gq->kick)
			continue;
		gq->kick = false;
		/* entries and data before the index that announces them */
		smp_wmb();
		WRITE_ONCE(gq->rings->sq_prod.val, gq->sq_prod);
		gq->sq_published = gq->sq_prod;
		smp_mb();	/* sq_prod before we read the guest's event */
		if (DRVBOX_NEED_EVENT(READ_ONCE(gq->rings->sq_event.val),
				      gq->sq_prod, old)) {
			blk->stats.irqs++;
			drvbox_eventfd_signal(gq->irq);
		}
	}
}

static void blk_finish(struct drvbox_blk *blk, struct blk_gqueue *gq, u32 s,
		       struct blk_req *req, const struct drvbox_blk_cpl *c)
{
	u64 guest_ns = ktime_get_ns() - req->posted_ns;
	u8 st = VIRTIO_BLK_S_OK;
	u32 written = 0;

	/* where a slow request waited: before it was posted, or in the guest */
	blk->stats.guest_ns += guest_ns;
	blk->stats.max_queue_ms = max(blk->stats.max_queue_ms, req->queue_ms);
	blk->stats.max_guest_ms = max_t(u32, blk->stats.max_guest_ms,
					div_u64(guest_ns, NSEC_PER_MSEC));
	if (c->status == -EOPNOTSUPP)
		st = VIRTIO_BLK_S_UNSUPP;
	else if (c->status)
		st = VIRTIO_BLK_S_IOERR;
	else if (req->op == DRVBOX_BLK_OP_READ && c->len != req->len)
		st = VIRTIO_BLK_S_IOERR;	/* never hand out stale bytes */
	if (st == VIRTIO_BLK_S_OK) {
		switch (req->op) {
		case DRVBOX_BLK_OP_READ:
			blk_copy_from_slot(blk, req, gq->slot_off[s]);
			written = req->len;
			blk->stats.reads++;
			blk->stats.bytes += req->len;
			break;
		case DRVBOX_BLK_OP_WRITE:
			blk->stats.writes++;
			blk->stats.bytes += req->len;
			break;
		case DRVBOX_BLK_OP_FLUSH:
			blk->stats.flushes++;
			break;
		default:
			blk->stats.discards++;
			break;
		}
	}
	blk_done(blk, req, st, written);
}

/* One pass over the guest's completions.  Returns NULL or the violation. */
static const char *blk_reap_once(struct drvbox_blk *blk,
				 struct blk_gqueue *gq)
{
	u32 prod = READ_ONCE(gq->rings->cq_prod.val);

	/* the entries after the index that announced them */
	smp_rmb();
	if (prod - gq->cq_cons > BLK_DEPTH)
		return "completion index";
	while (gq->cq_cons != prod) {
		struct drvbox_blk_cpl c;
		struct blk_slot *sl;
		u32 s;

		memcpy(&c, &gq->cq[gq->cq_cons & (BLK_DEPTH - 1)], sizeof(c));
		barrier();
		s = c.id & 0xffff;
		if (s >= BLK_DEPTH)
			return "completion id";
		s = array_index_nospec(s, BLK_DEPTH);
		sl = &gq->slots[s];
		if (!sl->busy || sl->gen != c.id >> 16)
			return "completion of a request not in flight";
		if (!blk_errno_known(c.status))
			return "completion status";
		if (sl->req && c.len > sl->req->len)
			return "completion length";
		gq->cq_cons++;
		sl->busy = false;
		gq->busy--;
		if (sl->req)
			blk_finish(blk, gq, s, sl->req, &c);
		sl->req = NULL;
	}
	WRITE_ONCE(gq->rings->cq_cons.val, gq->cq_cons);
	return NULL;
}

/*
 * Read the guest's completions.  With @arm, then ask for a doorbell at the
 * next one (cq_event) and look once more, so that a completion posted
 * meanwhile is not left waiting for a doorbell the guest saw no reason to
 * ring.  Without, the caller polls: cq_event is set behind what we have
 * read, so that the guest rings for none.  Every completion frees a slot
 * we posted, so the passes end.  Returns NULL or the violation.
 */
static const char *blk_reap(struct drvbox_blk *blk, struct blk_gqueue *gq,
			    bool arm)
{
	const char *bad;

	for (;;) {
		bad = blk_reap_once(blk, gq);
		if (bad)
			return bad;
		WRITE_ONCE(gq->rings->cq_event.val, gq->cq_cons - !arm);
		if (!arm)
			return NULL;
		smp_mb();	/* cq_event before we read cq_prod again */
		if (READ_ONCE(gq->rings->cq_prod.val) == gq->cq_cons)
			return NULL;
	}
}

/* ---- polling (blk->lock held, blk->inc set) ---------------------- */

/* Requests posted to the current incarnation and not completed yet? */
bool blk_in_guest(const struct drvbox_blk *blk)
{
	u32 q;

	lockdep_assert_held(&blk->lock);

	for (q = 0; q < blk->nr_gq; q++)
		if (blk->gq[q].busy)
			return true;
	return false;
}

/* A completion to read, or a request we can take. */
static bool blk_has_work(struct drvbox_blk *blk)
{
	u32 q;

	for (q = 0; q < blk->nr_gq; q++)
		if (READ_ONCE(blk->gq[q].rings->cq_prod.val) != blk->gq[q].cq_cons)
			return true;
	for (q = 0; !blk->starved && q < blk->vd.nr_vq; q++)
		if (vdev_vq_ready(&blk->vd, q) && vdev_avail(&blk->vd, q))
			return true;
	return false;
}

/* Look for work until @until (ktime ns) or someone else needs the CPU. */
static bool blk_poll(struct drvbox_blk *blk, u64 until)
{
	do {
		if (blk_has_work(blk))
			return true;
		cpu_relax();
	} while (ktime_get_ns() < until && !need_resched());
	return false;
}

/* The poll window ended: doorbells again, and one more look. */
static bool blk_poll_end(struct drvbox_blk *blk)
{
	u32 q;

	for (q = 0; q < blk->nr_gq; q++)
		WRITE_ONCE(blk->gq[q].rings->cq_event.val, blk->gq[q].cq_cons);
	smp_mb();	/* cq_event before we read cq_prod again */
	return blk_has_work(blk);
}

static void blk_timeouts(struct drvbox_blk *blk)
{
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(io_timeout_ms));
	struct blk_req *req, *n;
	u32 q, s;

	lockdep_assert_held(&blk->lock);

	if (!tmo)
		return;
	list_for_each_entry_safe(req, n, &blk->waiting, node) {
		if (!time_after(jiffies, req->start + tmo))
			continue;
		list_del(&req->node);
		blk->stats.timeouts++;
		blk_done(blk, req, VIRTIO_BLK_S_IOERR, 0);
	}
	for (q = 0; q < blk->nr_gq; q++) {
		for (s = 0; s < BLK_DEPTH; s++) {
			struct blk_slot *sl = &blk->gq[q].slots[s];

			if (!sl->req || !time_after(jiffies, sl->req->start + tmo))
				continue;
			/* the slot stays the guest's until it completes */
			req = sl->req;
			sl->req = NULL;
			blk->stats.timeouts++;
			blk_done(blk, req, VIRTIO_BLK_S_IOERR, 0);
		}
	}
}

/*
 * One pass: take requests from the host vrings, read completions, post
 * what waits, fail what must fail, and complete to virtio_blk.  With
 * poll_us and requests in the guest, the pass then looks for more work
 * for up to poll_us with the guest's doorbells off, and runs again when
 * it finds some (for at most BLK_POLL_BUDGET_NS in one go).
 */
void blk_work(struct work_struct *work)
{
	struct drvbox_blk *blk = container_of(to_delayed_work(work),
					      struct drvbox_blk, work);
	struct drvbox_domain *d = blk->dom;
	struct drvbox_inc *broken = NULL;
	const char *bad = NULL;
	struct blk_req *req;
	u64 t0, now, window;
	bool polling, drained;
	u32 q;

	mutex_lock(&blk->lock);
	t0 = ktime_get_ns();
again:
	window = min(READ_ONCE(poll_us), DRVBOX_POLL_US_MAX) * NSEC_PER_USEC;
	polling = window && blk->inc && blk_in_guest(blk);
	for (q = 0; q < blk->vd.nr_vq; q++) {
		/* until empty, then ask for a notify and look once more */
		do {
			while (blk_vq_pop(blk, q, &req))
				if (req)
					blk_take(blk, req);
		} while (!blk->starved && vdev_enable_notify(&blk->vd, q));
	}
	for (q = 0; blk->inc && q < blk->nr_gq && !bad; q++)
		bad = blk_reap(blk, &blk->gq[q], !polling);
	if (bad) {
		broken = blk->inc;
		blk_detach(blk);
	}
	if (blk->inc)
		blk_post(blk);
	if (blk->dead || (!blk->inc && READ_ONCE(d->state) == DRVBOX_STATE_FAILED))
		blk_fail_waiting(blk);
	blk_timeouts(blk);
	/* one callback per vring for everything completed in this pass */
	vdev_interrupt_all(&blk->vd);
	if (polling && blk->inc) {
		now = ktime_get_ns();
		if (now - t0 > BLK_POLL_BUDGET_NS) {
			/* doorbells stay off: this work runs again at once */
			mod_delayed_work(drvbox_io_wq, &blk->work, 0);
			goto out;
		}
		if (blk_poll(blk, now + window)) {
			blk->stats.polls++;
			goto again;
		}
		blk->stats.poll_misses++;
		if (blk_poll_end(blk))
			goto again;
	}
	if (blk->starved && !list_empty(&blk->free_reqs)) {
		/* entries came back: take what waited in the vrings */
		blk->starved = false;
		mod_delayed_work(drvbox_io_wq, &blk->work, 0);
	} else if (blk->nr_pending && READ_ONCE(io_timeout_ms)) {
		queue_delayed_work(drvbox_io_wq, &blk->work, HZ / 4);
	}
out:
	/* the domain drains: tell its supervisor when our share is done */
	drained = blk->hold && !blk_in_guest(blk);
	blk->stats.mediator_ns += ktime_get_ns() - t0;
	mutex_unlock(&blk->lock);

	if (drained) {
		mutex_lock(&d->lock);
		if (!d->dead)
			supervisor_kick(d, 0);
		mutex_unlock(&d->lock);
	}
	if (broken) {
		mutex_lock(&d->lock);
		if (d->inc == broken)
			blk_violation(d, blk, bad);
		mutex_unlock(&d->lock);
	}
}
