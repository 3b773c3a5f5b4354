// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: serving a block export (uapi/drvbox_guest.h "Exports" and
 * "Queue rings"; docs/block.md, guest side).
 *
 * On a BLK request we open the guest's block device exclusively, describe
 * it from its queue limits, and allocate the data slots: for every (queue,
 * slot) slot_size physically contiguous bytes of guest RAM, whose GPAs go
 * into the slot table the host reads once.  The isolated driver DMAs
 * straight into these pages; the host copies request data in and out of
 * them.  The host owns a slot from posting a request into it until it has
 * seen our completion.
 *
 * Per queue, the host signals MSI-X vector first_queue_index + q after
 * publishing sq_prod, if the IRQ thread went idle at the request before
 * (sq_event; uapi "Notifications"): while the thread runs, it finds new
 * requests itself.  The hard handler only wakes the queue's IRQ thread,
 * which consumes the requests and submits the slot's own bio for each (no
 * allocation per request).  Why a threaded IRQ: submit_bio() may sleep
 * (waiting for a driver tag, splitting), the thread is per queue so queues
 * never wait for each other, and the core reruns the thread when the
 * vector fires while it runs (no wakeup is lost) without masking the
 * vector -- masking an MSI-X entry is an exit to the VMM on every
 * interrupt, IRQF_ONESHOT would cost two.
 *
 * Completions are posted from the bio's end_io, in whatever context the
 * driver completes (hard IRQ, softirq, or the submitting thread): under
 * the queue's cq_lock, the entry, then cq_prod (release), then the queue's
 * doorbell if the host asked for one at this completion (cq_event, which
 * it moves on once it has reaped everything before).  At most queue_depth
 * requests of a queue are in flight (one per slot), and the host frees a
 * slot only after reaping its completion, so the completion ring cannot
 * overflow.
 *
 * We trust the host, but a request we cannot serve gets an error
 * completion rather than a bio: bad op, length, alignment or range.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>

#include "stub.h"
#include "stub_compat.h"

#define BLK_DEPTH		DRVBOX_BLK_QUEUE_DEPTH
#define BLK_SLOT_SIZE		DRVBOX_BLK_SLOT_SIZE
#define BLK_SLOT_ORDER		get_order(BLK_SLOT_SIZE)
#define BLK_SLOT_PAGES		(BLK_SLOT_SIZE / PAGE_SIZE)
#define BLK_RING_BYTES		(sizeof(struct drvbox_queue_rings) +	\
				 BLK_DEPTH * (sizeof(struct drvbox_blk_req) + \
					      sizeof(struct drvbox_blk_cpl)))
/* the host's limits on what we announce (kmod/blk_export.c) */
#define BLK_MAX_BLOCK_SIZE	4096
#define BLK_MAX_DISCARD_GRAN	(1U << 30)

/**
 * struct stub_blk_slot - one data slot of a queue
 * @q: its queue
 * @pages: BLK_SLOT_SIZE of contiguous pages (order BLK_SLOT_ORDER)
 * @busy: a bio of ours uses the slot (set by the queue thread, cleared by
 *	end_io before the completion is posted)
 * @id: the host's request id, while @busy
 * @op: DRVBOX_BLK_OP_*, while @busy
 * @len: request bytes, while @busy
 * @bio: the slot's own bio (one inline vector: the slot's pages are
 *	contiguous), allocated with the slot, so a request allocates none
 */
struct stub_blk_slot {
	struct stub_blk_queue *q;
	struct page *pages;
	bool busy;
	u32 id;
	u32 op;
	u32 len;
	struct bio *bio;
};

/**
 * struct stub_blk_queue - one queue of an export
 * @blk: its export
 * @index: queue number within the export
 * @vector: MSI-X vector and doorbell (first_queue_index + @index)
 * @irq: Linux IRQ of @vector; 0 when not requested
 * @rings: the indices in the shared area
 * @sq: the request entries after them (the host writes them)
 * @cq: the completion entries after those (we write them)
 * @sq_cons: next request to consume (the IRQ thread only)
 * @seen_prod: sq_prod at the watchdog's last look (the watchdog only)
 * @cq_lock: serializes completions (end_io runs in any context)
 * @cq_prod: next completion entry (under @cq_lock)
 * @irq_name: for /proc/interrupts
 * @slots: the data slots, by the low 16 bits of the request id
 */
struct stub_blk_queue {
	struct stub_blk *blk;
	unsigned int index;
	unsigned int vector;
	int irq;
	struct drvbox_queue_rings *rings;
	struct drvbox_blk_req *sq;
	struct drvbox_blk_cpl *cq;
	u32 sq_cons;
	u32 seen_prod;
	spinlock_t cq_lock;
	u32 cq_prod;
	char irq_name[64];
	struct stub_blk_slot slots[BLK_DEPTH];
};

/**
 * struct stub_blk - a block export being served
 * @sd: the drvbox device
 * @name: the guest device ("nullb0")
 * @bdev: it, opened exclusively (holder: this struct)
 * @flags: DRVBOX_EXPORT_F_* we announced
 * @capacity: bytes
 * @lbs: logical block size
 * @nr_queues: queues served
 * @slot_table: nr_queues * BLK_DEPTH GPAs, read once by the host
 * @inflight: bios submitted and not yet ended
 * @idle: woken when @inflight drops to 0 (under a queue's cq_lock)
 * @watchdog: looks at the rings every STUB_BLK_WATCHDOG_MS (see
 *	stub_blk_watchdog())
 * @rescues: times the watchdog found requests no interrupt had announced
 * @queues: the queues
 */
struct stub_blk {
	struct stub_dev *sd;
	char name[32];
	struct stub_bdev bdev;
	u32 flags;
	u64 capacity;
	u32 lbs;
	u32 nr_queues;
	u64 *slot_table;
	atomic_t inflight;
	wait_queue_head_t idle;
	struct timer_list watchdog;
	unsigned long rescues;
	struct stub_blk_queue queues[DRVBOX_EXPORT_MAX_QUEUES];
};

#define STUB_BLK_WATCHDOG_MS	250

/* ---- completions (any context) ------------------------------------ */

/*
 * The host accepts only the errnos it knows (kmod/blk_mediator.c
 * blk_errno_known()); anything else would be a protocol violation and get
 * the domain killed, so it becomes -EIO.
 */
static s32 stub_blk_errno(int err)
{
	switch (-err) {
	case 0: case EIO: case ENOSPC: case EOPNOTSUPP: case EINVAL:
	case ENOMEM: case ETIMEDOUT: case EAGAIN: case EBUSY: case ENODEV:
	case ENXIO: case ENODATA: case EILSEQ: case ENOLINK: case EREMOTEIO:
	case EROFS: case EBADE: case EPERM: case EFAULT: case EPROTO:
		return err;
	}
	return -EIO;
}

/* cq_lock held: one completion, published, and the host told. */
static void stub_blk_post(struct stub_blk_queue *q, u32 id, int err, u32 len)
{
	struct drvbox_blk_cpl c = {
		.id = id,
		.status = stub_blk_errno(err),
		.len = err ? 0 : len,
	};

	lockdep_assert_held(&q->cq_lock);
	memcpy(&q->cq[q->cq_prod & (BLK_DEPTH - 1)], &c, sizeof(c));
	q->cq_prod++;
	/* the entry before the index that announces it */
	virt_store_release(&q->rings->cq_prod.val, q->cq_prod);
	virt_mb();	/* cq_prod before we read the host's event */
	if (DRVBOX_NEED_EVENT(READ_ONCE(q->rings->cq_event.val), q->cq_prod,
			      q->cq_prod - 1))
		iowrite32(1, q->blk->sd->bar0 +
			  DRVBOX_BAR0_DOORBELL(q->vector));
}

static void stub_blk_complete(struct stub_blk_queue *q, u32 id, int err,
			      u32 len)
{
	unsigned long flags;

	spin_lock_irqsave(&q->cq_lock, flags);
	stub_blk_post(q, id, err, len);
	spin_unlock_irqrestore(&q->cq_lock, flags);
}

static void stub_blk_end_io(struct bio *bio)
{
	struct stub_blk_slot *slot = bio->bi_private;
	struct stub_blk_queue *q = slot->q;
	struct stub_blk *b = q->blk;
	int err = blk_status_to_errno(bio->bi_status);
	u32 id = slot->id, len = 0;
	unsigned long flags;

	if (slot->op == DRVBOX_BLK_OP_READ || slot->op == DRVBOX_BLK_OP_WRITE)
		len = slot->len;
	bio_uninit(bio);

	spin_lock_irqsave(&q->cq_lock, flags);
	/* the slot is free again before the host can reuse it */
	WRITE_ONCE(slot->busy, false);
	stub_blk_post(q, id, err, len);
	/* under cq_lock: unexport takes it before freeing b (see there) */
	if (atomic_dec_and_test(&b->inflight))
		wake_up(&b->idle);
	spin_unlock_irqrestore(&q->cq_lock, flags);
}

/* ---- requests (the queue's IRQ thread) ---------------------------- */

/* 0 if @r can be submitted, else the errno to complete it with. */
static int stub_blk_check(const struct stub_blk *b,
			  const struct drvbox_blk_req *r)
{
	u64 sectors = b->capacity >> SECTOR_SHIFT;
	u32 mask = b->lbs - 1;

	switch (r->op) {
	case DRVBOX_BLK_OP_FLUSH:
		return 0;
	case DRVBOX_BLK_OP_READ:
	case DRVBOX_BLK_OP_WRITE:
		if (r->len > BLK_SLOT_SIZE)
			return -EINVAL;
		break;
	case DRVBOX_BLK_OP_DISCARD:
		if (!(b->flags & DRVBOX_EXPORT_F_DISCARD))
			return -EOPNOTSUPP;
		break;
	case DRVBOX_BLK_OP_WRITE_ZEROES:
		if (!(b->flags & DRVBOX_EXPORT_F_WRITE_ZEROES))
			return -EOPNOTSUPP;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (r->op != DRVBOX_BLK_OP_READ && (b->flags & DRVBOX_EXPORT_F_RO))
		return -EROFS;
	if (!r->len || (r->len & mask))
		return -EINVAL;
	if (r->sector > sectors || (r->len >> SECTOR_SHIFT) > sectors - r->sector)
		return -EINVAL;
	if ((r->sector << SECTOR_SHIFT) & mask)
		return -EINVAL;
	return 0;
}

static blk_opf_t stub_blk_opf(const struct drvbox_blk_req *r)
{
	switch (r->op) {
	case DRVBOX_BLK_OP_READ:
		return REQ_OP_READ;
	case DRVBOX_BLK_OP_WRITE:
		return REQ_OP_WRITE |
		       (r->flags & DRVBOX_BLK_REQ_F_FUA ? REQ_FUA : 0);
	case DRVBOX_BLK_OP_FLUSH:
		return REQ_OP_WRITE | REQ_PREFLUSH;
	case DRVBOX_BLK_OP_DISCARD:
		return REQ_OP_DISCARD;
	default:
		return REQ_OP_WRITE_ZEROES;
	}
}

/* One request from the ring: a bio on the slot's pages, or an error. */
static void stub_blk_start(struct stub_blk_queue *q,
			   const struct drvbox_blk_req *r)
{
	struct stub_blk *b = q->blk;
	u32 s = r->id & 0xffff;
	struct stub_blk_slot *slot;
	struct bio *bio;
	int err;

	if (s >= BLK_DEPTH) {
		/* no slot to answer in: the host never does this */
		dev_err_ratelimited(&b->sd->pdev->dev,
				    "%s queue %u: request id %#x names no slot\n",
				    b->name, q->index, r->id);
		return;
	}
	slot = &q->slots[s];
	if (READ_ONCE(slot->busy)) {
		dev_err_ratelimited(&b->sd->pdev->dev,
				    "%s queue %u: request %#x for busy slot %u\n",
				    b->name, q->index, r->id, s);
		return;
	}
	err = stub_blk_check(b, r);
	if (err) {
		dev_dbg_ratelimited(&b->sd->pdev->dev,
				    "%s: op %u sector %llu len %u refused: %d\n",
				    b->name, r->op, r->sector, r->len, err);
		stub_blk_complete(q, r->id, err, 0);
		return;
	}

	bio = slot->bio;
	bio_init(bio, b->bdev.bdev, bio->bi_inline_vecs, 1, stub_blk_opf(r));
	bio->bi_iter.bi_sector = r->sector;
	if (r->op == DRVBOX_BLK_OP_READ || r->op == DRVBOX_BLK_OP_WRITE)
		__bio_add_page(bio, slot->pages, r->len, 0);	/* contiguous */
	else if (r->op != DRVBOX_BLK_OP_FLUSH)
		bio->bi_iter.bi_size = r->len;	/* discard, write zeroes */
	bio->bi_private = slot;
	bio->bi_end_io = stub_blk_end_io;
	slot->id = r->id;
	slot->op = r->op;
	slot->len = r->len;
	WRITE_ONCE(slot->busy, true);
	atomic_inc(&b->inflight);
	submit_bio(bio);
}

/*
 * After the last request, while some are in flight: look for the next one
 * for up to the host's poll_us before asking for a signal.  Until we ask,
 * sq_event stays behind and the host signals nothing, which saves an
 * interrupt (an exit and an injection) per request under load.
 */
static bool stub_blk_poll(struct stub_blk_queue *q)
{
	u32 us = min(READ_ONCE(q->blk->sd->host->poll_us), DRVBOX_POLL_US_MAX);
	ktime_t until;

	if (!us || !atomic_read(&q->blk->inflight))
		return false;
	until = ktime_add_us(ktime_get(), us);
	do {
		if (READ_ONCE(q->rings->sq_prod.val) != q->sq_cons)
			return true;
		cpu_relax();
	} while (ktime_before(ktime_get(), until) && !need_resched());
	return false;
}

/* The host posted requests: wake the thread (see the top of the file). */
static irqreturn_t stub_blk_irq(int irq, void *data)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t stub_blk_thread(int irq, void *data)
{
	struct stub_blk_queue *q = data;
	struct blk_plug plug;
	u32 prod;

	blk_start_plug(&plug);
	for (;;) {
		/* the entries after the index that announced them */
		prod = virt_load_acquire(&q->rings->sq_prod.val);
		if (prod == q->sq_cons) {
			if (stub_blk_poll(q))
				continue;
			/*
			 * Idle: a signal at the next request, then one more
			 * look for a request the host published before it
			 * saw this (and so did not signal).
			 */
			WRITE_ONCE(q->rings->sq_event.val, q->sq_cons);
			virt_mb();
			if (READ_ONCE(q->rings->sq_prod.val) == q->sq_cons)
				break;
			continue;
		}
		if (prod - q->sq_cons > BLK_DEPTH) {
			dev_err_ratelimited(&q->blk->sd->pdev->dev,
					    "%s queue %u: sq_prod %u is beyond sq_cons %u + %u; ignored\n",
					    q->blk->name, q->index, prod,
					    q->sq_cons, BLK_DEPTH);
			break;
		}
		while (q->sq_cons != prod) {
			struct drvbox_blk_req r;

			memcpy(&r, &q->sq[q->sq_cons & (BLK_DEPTH - 1)],
			       sizeof(r));
			q->sq_cons++;
			stub_blk_start(q, &r);
		}
		WRITE_ONCE(q->rings->sq_cons.val, q->sq_cons);
	}
	blk_finish_plug(&plug);
	return IRQ_HANDLED;
}

/*
 * The ring watchdog.  A request the host posted is normally announced by
 * the queue's MSI-X vector.  Should that interrupt be lost (an incarnation's
 * first requests arrive moments after the vector was unmasked), the request
 * would wait forever and so would the host's I/O.  Every
 * STUB_BLK_WATCHDOG_MS the watchdog compares each queue's sq_prod with what
 * the IRQ thread has consumed; if requests are waiting and sq_prod has not
 * moved since the last look, it wakes the thread itself and says so.  It
 * costs one shared-memory read per queue per period and no exit, and no
 * wake-up of its own: the timer is deferrable, so an idle vCPU serves it
 * at its next wake-up: an interrupt, or at the latest the host asking for
 * a sign of life (after half of its heartbeat timeout without one).
 */
static void stub_blk_watchdog(struct timer_list *t)
{
	struct stub_blk *b = from_timer(b, t, watchdog);
	u32 i;

	for (i = 0; i < b->nr_queues; i++) {
		struct stub_blk_queue *q = &b->queues[i];
		u32 prod = READ_ONCE(q->rings->sq_prod.val);

		if (prod != READ_ONCE(q->rings->sq_cons.val) &&
		    prod == q->seen_prod && q->irq) {
			b->rescues++;
			dev_warn_ratelimited(&b->sd->pdev->dev,
					     "%s queue %u: requests up to %u waited without an interrupt; serving them (%lu rescues)\n",
					     b->name, i, prod, b->rescues);
			irq_wake_thread(q->irq, q);
		}
		q->seen_prod = prod;
	}
	mod_timer(&b->watchdog,
		  jiffies + msecs_to_jiffies(STUB_BLK_WATCHDOG_MS));
}

/* ---- export and unexport (the export work) ------------------------ */

/* The request as the host's layout promises it; 0 or -EINVAL. */
static int stub_blk_check_req(struct stub_dev *sd,
			      const struct drvbox_export_req *req)
{
	const char *name = req->name;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if (req->queue_depth != BLK_DEPTH || req->slot_size != BLK_SLOT_SIZE ||
	    !req->nr_queues || req->first_queue_index == DRVBOX_VEC_CONTROL ||
	    req->ring_stride < BLK_RING_BYTES ||
	    req->ring_offset < DRVBOX_SHARED_MIN_SIZE ||
	    req->ring_offset % sizeof(u64) || req->ring_stride % sizeof(u64))
		return -EINVAL;
	if ((u64)req->ring_offset + (u64)req->nr_queues * req->ring_stride >
	    sd->shared_len)
		return -EINVAL;
	return 0;
}

/* What we announce, from the queue limits of the open device. */
static int stub_blk_describe(struct stub_blk *b, bool ro,
			     struct drvbox_export_state *a)
{
	struct block_device *bdev = b->bdev.bdev;
	u32 lbs = bdev_logical_block_size(bdev);
	u32 pbs = bdev_physical_block_size(bdev);
	u32 gran = bdev_discard_granularity(bdev);

	if (bdev_is_zoned(bdev))
		return -EOPNOTSUPP;	/* virtio-blk zoned is not offered */
	if (lbs < SECTOR_SIZE || lbs > BLK_MAX_BLOCK_SIZE || !is_power_of_2(lbs))
		return -EOPNOTSUPP;
	a->logical_block_size = lbs;
	a->physical_block_size = clamp_t(u32, pbs, lbs, BLK_MAX_BLOCK_SIZE);
	if (!is_power_of_2(a->physical_block_size))
		a->physical_block_size = lbs;
	a->capacity = round_down((u64)bdev_nr_bytes(bdev), lbs);
	if (!a->capacity)
		return -ENOMEDIUM;

	if (ro || bdev_read_only(bdev))
		a->flags |= DRVBOX_EXPORT_F_RO;
	if (bdev_write_cache(bdev))
		a->flags |= DRVBOX_EXPORT_F_FLUSH;
	if (bdev_fua(bdev))
		a->flags |= DRVBOX_EXPORT_F_FUA;
	if (!bdev_nonrot(bdev))
		a->flags |= DRVBOX_EXPORT_F_ROTATIONAL;
	if (bdev_max_discard_sectors(bdev)) {
		gran = max(gran, lbs);
		if (!is_power_of_2(gran))
			gran = roundup_pow_of_two(gran);
		if (gran <= BLK_MAX_DISCARD_GRAN) {
			a->flags |= DRVBOX_EXPORT_F_DISCARD;
			a->max_discard_sectors = bdev_max_discard_sectors(bdev);
			a->discard_granularity = gran;
		}
	}
	if (bdev_write_zeroes_sectors(bdev)) {
		a->flags |= DRVBOX_EXPORT_F_WRITE_ZEROES;
		a->max_write_zeroes_sectors = bdev_write_zeroes_sectors(bdev);
	}
	b->flags = a->flags;
	b->capacity = a->capacity;
	b->lbs = lbs;
	return 0;
}

static void stub_blk_free_slots(struct stub_blk *b)
{
	u32 q, s;

	for (q = 0; q < DRVBOX_EXPORT_MAX_QUEUES; q++) {
		for (s = 0; s < BLK_DEPTH; s++) {
			struct stub_blk_slot *slot = &b->queues[q].slots[s];

			if (slot->pages)
				__free_pages(slot->pages, BLK_SLOT_ORDER);
			kfree(slot->bio);	/* bio_kmalloc()'s */
		}
	}
	kfree(b->slot_table);
}

/* Slots of every queue and the table of their GPAs (all guest RAM). */
static int stub_blk_alloc_slots(struct stub_blk *b)
{
	u32 q, s;

	/* kmalloc memory is physically contiguous: one GPA for the table */
	b->slot_table = kcalloc(b->nr_queues * BLK_DEPTH, sizeof(u64),
				GFP_KERNEL);
	if (!b->slot_table)
		return -ENOMEM;
	for (q = 0; q < b->nr_queues; q++) {
		for (s = 0; s < BLK_DEPTH; s++) {
			struct stub_blk_slot *slot = &b->queues[q].slots[s];

			slot->q = &b->queues[q];
			/*
			 * Not zeroed: the host copies a slot out only after a
			 * read that filled all of it, and zeroing 4 MiB a
			 * queue was a nested page fault a page on every start.
			 */
			slot->pages = alloc_pages(GFP_KERNEL | __GFP_NOWARN,
						  BLK_SLOT_ORDER);
			if (!slot->pages)
				return -ENOMEM;
			slot->bio = bio_kmalloc(1, GFP_KERNEL);
			if (!slot->bio)
				return -ENOMEM;
			b->slot_table[q * BLK_DEPTH + s] =
				page_to_phys(slot->pages);
		}
	}
	return 0;
}

static void stub_blk_free_irqs(struct stub_blk *b)
{
	u32 q;

	for (q = 0; q < b->nr_queues; q++) {
		if (b->queues[q].irq)
			free_irq(b->queues[q].irq, &b->queues[q]);
		b->queues[q].irq = 0;
	}
}

static int stub_blk_setup_queues(struct stub_blk *b,
				 const struct drvbox_export_req *req)
{
	struct stub_dev *sd = b->sd;
	u32 i;
	int ret;

	for (i = 0; i < b->nr_queues; i++) {
		struct stub_blk_queue *q = &b->queues[i];
		void *rings = sd->shared + req->ring_offset + i * req->ring_stride;

		q->blk = b;
		q->index = i;
		q->vector = req->first_queue_index + i;
		q->rings = rings;
		q->sq = rings + sizeof(struct drvbox_queue_rings);
		q->cq = (void *)(q->sq + BLK_DEPTH);
		spin_lock_init(&q->cq_lock);
		/* a fresh incarnation: both sides start at 0 */
		WRITE_ONCE(q->rings->sq_cons.val, 0);
		WRITE_ONCE(q->rings->cq_prod.val, 0);
		WRITE_ONCE(q->rings->sq_event.val, 0);
		snprintf(q->irq_name, sizeof(q->irq_name), "drvbox_stub-%s-q%u",
			 b->name, i);
		ret = pci_irq_vector(sd->pdev, q->vector);
		if (ret < 0)
			goto err;
		q->irq = ret;
		ret = request_threaded_irq(q->irq, stub_blk_irq,
					   stub_blk_thread, 0, q->irq_name, q);
		if (ret) {
			q->irq = 0;
			goto err;
		}
	}
	return 0;
err:
	dev_err(&sd->pdev->dev, "%s: cannot set up the interrupt of queue %u: %d\n",
		b->name, i, ret);
	stub_blk_free_irqs(b);
	return ret;
}

/**
 * stub_blk_export() - start serving a block export
 * @sd: the drvbox device
 * @req: the host's request (a local copy, name NUL-terminated)
 * @answer: filled for READY on success (state is the caller's to set)
 * @out: the new export on success
 *
 * Return: 0; -ENOENT, -ENXIO or -ENODEV when the device does not exist
 * (yet); another negative errno to answer ERROR with.
 */
int stub_blk_export(struct stub_dev *sd, const struct drvbox_export_req *req,
		    struct drvbox_export_state *answer, struct stub_blk **out)
{
	char path[sizeof(req->name) + 5];
	struct stub_blk *b;
	bool ro = false;
	u32 nr;
	int ret;

	ret = stub_blk_check_req(sd, req);
	if (ret) {
		dev_err(&sd->pdev->dev, "malformed block export request for %s\n",
			req->name);
		return ret;
	}
	/* as many queues as we have vectors and doorbells for */
	nr = min3(req->nr_queues, (u32)DRVBOX_EXPORT_MAX_QUEUES,
		  sd->nr_vectors > req->first_queue_index ?
		  sd->nr_vectors - req->first_queue_index : 0);
	nr = min(nr, sd->nr_doorbells > req->first_queue_index ?
		 sd->nr_doorbells - req->first_queue_index : 0);
	if (!nr)
		return -ENOSPC;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->sd = sd;
	b->nr_queues = nr;
	strscpy(b->name, req->name, sizeof(b->name));
	atomic_set(&b->inflight, 0);
	init_waitqueue_head(&b->idle);

	snprintf(path, sizeof(path), "/dev/%s", req->name);
	ret = stub_bdev_open(&b->bdev, path, true, b);
	if (ret == -EACCES || ret == -EROFS) {
		ro = true;
		ret = stub_bdev_open(&b->bdev, path, false, b);
	}
	if (ret)
		goto err_free;
	ret = stub_blk_describe(b, ro, answer);
	if (ret)
		goto err_close;
	ret = stub_blk_alloc_slots(b);
	if (ret)
		goto err_slots;
	ret = stub_blk_setup_queues(b, req);
	if (ret)
		goto err_slots;

	/* deferrable: an idle guest is not woken for it (the heartbeat does) */
	timer_setup(&b->watchdog, stub_blk_watchdog, TIMER_DEFERRABLE);
	mod_timer(&b->watchdog,
		  jiffies + msecs_to_jiffies(STUB_BLK_WATCHDOG_MS));
	answer->nr_queues = nr;
	answer->slots_gpa = virt_to_phys(b->slot_table);
	/* the slot table and the slots before the answer that names them */
	virt_wmb();
	dev_info(&sd->pdev->dev,
		 "exporting %s: %llu bytes, block %u/%u, %u queue(s), flags %#x\n",
		 b->name, answer->capacity, answer->logical_block_size,
		 answer->physical_block_size, nr, answer->flags);
	*out = b;
	return 0;

err_slots:
	stub_blk_free_slots(b);
err_close:
	stub_bdev_close(&b->bdev);
err_free:
	kfree(b);
	return ret;
}

/**
 * stub_blk_unexport() - stop serving and free everything
 * @b: an export from stub_blk_export()
 *
 * No new request starts once the queue interrupts are freed; then we wait
 * for the bios in flight (a driver that never completes one keeps us here:
 * their pages are the driver's until it does).  end_io drops @inflight and
 * wakes us under a cq_lock, so taking every cq_lock once after the wait
 * means no end_io still touches @b.
 */
void stub_blk_unexport(struct stub_blk *b)
{
	u32 q;

	/* del_timer_sync() copes with a timer that re-arms itself */
	del_timer_sync(&b->watchdog);
	stub_blk_free_irqs(b);
	wait_event(b->idle, !atomic_read(&b->inflight));
	for (q = 0; q < b->nr_queues; q++) {
		spin_lock_irq(&b->queues[q].cq_lock);
		spin_unlock_irq(&b->queues[q].cq_lock);
	}
	stub_bdev_close(&b->bdev);
	stub_blk_free_slots(b);
	dev_info(&b->sd->pdev->dev, "%s no longer exported\n", b->name);
	kfree(b);
}
