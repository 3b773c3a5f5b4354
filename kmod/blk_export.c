// SPDX-License-Identifier: GPL-2.0
/*
 * Block exports: the virtio-blk device drvbox.ko registers for each
 * "export=blk:DEV" (virtio_transport.c), the layout of its rings in the
 * shared area, and the life of an export across incarnations: what the
 * host page asks for, the guest's answer checked and attached, detached
 * when the incarnation ends, status and teardown.  The requests
 * themselves: blk_vring.c (host side) and blk_mediator.c (the rings).
 *
 * The guest only ever sees slots in its own RAM and the rings in the
 * shared area; it never sees a host address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "blk.h"
#include "compat.h"
#include "net.h"

#define BLK_RING_BYTES		(sizeof(struct drvbox_queue_rings) +	\
				 BLK_DEPTH * (sizeof(struct drvbox_blk_req) + \
					      sizeof(struct drvbox_blk_cpl)))
#define BLK_RING_STRIDE		2048
#define BLK_RINGS_OFFSET	DRVBOX_SHARED_MIN_SIZE
#define BLK_MAX_CAPACITY	(1ULL << 60)
#define BLK_KNOWN_FLAGS		(DRVBOX_EXPORT_F_FLUSH | DRVBOX_EXPORT_F_FUA | \
				 DRVBOX_EXPORT_F_DISCARD |		\
				 DRVBOX_EXPORT_F_WRITE_ZEROES |		\
				 DRVBOX_EXPORT_F_RO | DRVBOX_EXPORT_F_ROTATIONAL)

static void blk_register_work(struct work_struct *work);

static struct drvbox_blk *to_blk(struct drvbox_vdev *v)
{
	return container_of(v, struct drvbox_blk, vd);
}

static void blk_kick(struct drvbox_blk *blk)
{
	mod_delayed_work(drvbox_io_wq, &blk->work, 0);
}

/* ---- the virtio device (struct vdev_ops) -------------------------- */

static void blk_vdev_kick(struct drvbox_vdev *v, unsigned int q)
{
	blk_kick(to_blk(v));
}

/* virtio_blk removed its disk before del_vqs: nothing is in flight. */
static void blk_vdev_stop(struct drvbox_vdev *v)
{
	struct drvbox_blk *blk = to_blk(v);

	cancel_delayed_work_sync(&blk->work);
	/* the mediator sees no vrings now: timeouts and failing go on */
	if (!blk->dead)
		blk_kick(blk);
}

/* The export and its request table; nothing may be in flight. */
static void blk_free(struct drvbox_blk *blk)
{
	kvfree(blk->reqs);
	kfree(blk);
}

static void blk_vdev_release(struct drvbox_vdev *v)
{
	blk_free(to_blk(v));
}

static int blk_alloc_reqs(struct drvbox_blk *blk)
{
	u32 i, n = blk->req_queues * BLK_REQS_PER_QUEUE;

	blk->reqs = kvcalloc(n, sizeof(*blk->reqs), GFP_KERNEL);
	if (!blk->reqs)
		return -ENOMEM;
	INIT_LIST_HEAD(&blk->free_reqs);
	for (i = 0; i < n; i++)
		list_add_tail(&blk->reqs[i].node, &blk->free_reqs);
	return 0;
}

static const struct vdev_ops blk_vdev_ops = {
	.device_id	= VIRTIO_ID_BLOCK,
	.max_vqs	= DRVBOX_EXPORT_MAX_QUEUES,
	.vring_num	= BLK_VRING_NUM,
	.kick		= blk_vdev_kick,
	.stop		= blk_vdev_stop,
	.release	= blk_vdev_release,
};

/* ---- layout, fixed when the domain is created -------------------- */

u32 blk_shared_bytes(const struct drvbox_domain *d)
{
	return d->shared_bytes;
}

u32 blk_nr_doorbells(const struct drvbox_domain *d)
{
	return d->nr_doorbells;
}

/**
 * blk_domain_init() - create the block exports of a new domain
 * @d: the domain, not yet visible to anyone
 *
 * Fixes the shared-area layout: the host and guest pages, then one
 * BLK_RING_STRIDE for every queue of every block export; doorbell/vector
 * 0 is the control one, the queues follow.
 *
 * Return: 0 or -ENOMEM.
 */
int blk_domain_init(struct drvbox_domain *d)
{
	u32 i, nb = 0, per, next = 1;

	BUILD_BUG_ON(BLK_RING_BYTES > BLK_RING_STRIDE);
	BUILD_BUG_ON(DRVBOX_SHARED_MAX_EXPORTS != DRVBOX_MAX_EXPORTS);
	BUILD_BUG_ON(DRVBOX_MAX_DOORBELLS != DRVBOX_MAX_VECTORS);
	for (i = 0; i < d->nr_exports; i++)
		if (!strncmp(d->exports[i].spec, "blk:", 4))
			nb++;
	per = nb ? min3(d->vcpus, (u32)DRVBOX_EXPORT_MAX_QUEUES,
			(u32)(DRVBOX_MAX_DOORBELLS - 1) / nb) : 0;
	per = max(per, 1U);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk;

		if (strncmp(d->exports[i].spec, "blk:", 4))
			continue;
		blk = kzalloc(sizeof(*blk), GFP_KERNEL);
		if (!blk)
			return -ENOMEM;	/* blk_domain_destroy() frees the rest */
		blk->dom = d;
		blk->index = i;
		strscpy(blk->dev, d->exports[i].spec + 4, sizeof(blk->dev));
		spec_blk_serial(blk->serial, d->name, blk->dev);
		blk->req_queues = per;
		blk->first_queue = next;
		blk->ring_offset = BLK_RINGS_OFFSET + (next - 1) * BLK_RING_STRIDE;
		next += per;
		if (blk_alloc_reqs(blk)) {
			blk_free(blk);
			return -ENOMEM;
		}
		mutex_init(&blk->lock);
		vdev_setup(&blk->vd, &blk_vdev_ops, &blk->lock, &blk->config,
			   sizeof(blk->config));
		INIT_DELAYED_WORK(&blk->work, blk_work);
		INIT_WORK(&blk->register_work, blk_register_work);
		INIT_LIST_HEAD(&blk->waiting);
		d->blk[i] = blk;
	}
	d->nr_doorbells = next;
	d->shared_bytes = PAGE_ALIGN(BLK_RINGS_OFFSET +
				     (next - 1) * BLK_RING_STRIDE);
	return 0;
}

/* ---- the host page: what we ask for ----------------------------- */

static unsigned int guest_poll_us;
module_param(guest_poll_us, uint, 0644);
MODULE_PARM_DESC(guest_poll_us, "us a domain's block queue threads keep looking for requests after the last one while requests are in flight, instead of asking for an interrupt; told at attach, at most 1000; 0 = never (default 0)");

/* At attach, before the VMM can map the area: the export requests. */
void blk_fill_host_page(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	struct drvbox_shared_host *host = inc->shared + DRVBOX_SHARED_HOST_OFFSET;
	u32 i;

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_export_req *r = &host->exports[i];
		struct drvbox_blk *blk = d->blk[i];

		if (!blk)
			continue;
		strscpy(r->name, blk->dev, sizeof(r->name));
		r->type = DRVBOX_GUEST_DEV_BLK;
		r->nr_queues = blk->req_queues;
		r->queue_depth = BLK_DEPTH;
		r->slot_size = DRVBOX_BLK_SLOT_SIZE;
		r->first_queue_index = blk->first_queue;
		r->ring_offset = blk->ring_offset;
		r->ring_stride = BLK_RING_STRIDE;
	}
	host->poll_us = min(READ_ONCE(guest_poll_us), DRVBOX_POLL_US_MAX);
	host->nr_exports = d->nr_exports;
	host->export_seq = 1;
}

/* d->lock held: the stub is up; make sure it looks at exports[]. */
void blk_guest_running(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	lockdep_assert_held(&d->lock);

	if (d->nr_doorbells > 1 && inc->nr_irqs > DRVBOX_VEC_CONTROL)
		drvbox_eventfd_signal(inc->irqs[DRVBOX_VEC_CONTROL]);
}

/* ---- the guest page: the answer --------------------------------- */

/* Guest-physical [gpa, gpa + len) -> offset in the incarnation's RAM. */
static bool blk_gpa_to_off(const struct drvbox_inc *inc, u64 gpa, u64 len,
			   u64 *off)
{
	u64 o;

	if (!len)
		return false;
	if (gpa < DRVBOX_GUEST_RAM_LOW_MAX) {
		if (len > DRVBOX_GUEST_RAM_LOW_MAX - gpa)
			return false;
		o = gpa;
	} else if (gpa >= DRVBOX_GUEST_RAM_HIGH_BASE) {
		o = gpa - DRVBOX_GUEST_RAM_HIGH_BASE;
		if (o > U64_MAX - DRVBOX_GUEST_RAM_LOW_MAX)
			return false;
		o += DRVBOX_GUEST_RAM_LOW_MAX;
	} else {
		return false;	/* the MMIO hole */
	}
	if (o > inc->ram_bytes || len > inc->ram_bytes - o)
		return false;
	*off = o;
	return true;
}

static bool blk_pow2_in(u32 v, u32 lo, u32 hi)
{
	return v >= lo && v <= hi && is_power_of_2(v);
}

/*
 * Check a READY answer (a local copy) and read the slot table once.
 * Returns NULL, or what is wrong.
 */
static const char *blk_validate(struct drvbox_blk *blk, struct drvbox_inc *inc,
				const struct drvbox_export_state *s,
				u64 (*offs)[BLK_DEPTH])
{
	u64 table_off, n, i;
	const char *bad;
	u64 *gpas;

	if (!s->nr_queues || s->nr_queues > blk->req_queues)
		return "export nr_queues";
	if (s->flags & ~BLK_KNOWN_FLAGS)
		return "export flags";
	if (!blk_pow2_in(s->logical_block_size, 512, 4096) ||
	    !blk_pow2_in(s->physical_block_size, 512, 4096) ||
	    s->physical_block_size < s->logical_block_size)
		return "export block size";
	if (!s->capacity || s->capacity > BLK_MAX_CAPACITY ||
	    s->capacity & (s->logical_block_size - 1))
		return "export capacity";
	if ((s->flags & DRVBOX_EXPORT_F_DISCARD) && s->discard_granularity &&
	    !blk_pow2_in(s->discard_granularity, 512, 1U << 30))
		return "export discard granularity";

	n = (u64)s->nr_queues * BLK_DEPTH;
	if (!blk_gpa_to_off(inc, s->slots_gpa, n * sizeof(u64), &table_off))
		return "export slot table address";
	gpas = kmalloc_array(n, sizeof(u64), GFP_KERNEL);
	if (!gpas)
		return "export: out of memory";
	bad = NULL;
	if (guest_ram_read(inc, gpas, table_off, n * sizeof(u64))) /* once */
		bad = "export: out of memory";
	for (i = 0; !bad && i < n; i++) {
		u64 *off = &offs[i / BLK_DEPTH][i % BLK_DEPTH];

		if (!blk_gpa_to_off(inc, gpas[i], DRVBOX_BLK_SLOT_SIZE, off))
			bad = "export slot address";
		/* the mediator's copies to and from slots must not fail */
		else if (guest_ram_populate(inc, *off, DRVBOX_BLK_SLOT_SIZE))
			bad = "export: out of memory";
	}
	kfree(gpas);
	return bad;
}

#define VCFG16(v)	((__force __virtio16)cpu_to_le16(v))
#define VCFG32(v)	((__force __virtio32)cpu_to_le32(v))
#define VCFG64(v)	((__force __virtio64)cpu_to_le64(v))

/* The first READY answer decides the virtio device. blk->lock held. */
static void blk_configure(struct drvbox_blk *blk,
			  const struct drvbox_export_state *s)
{
	struct virtio_blk_config *c = &blk->config;
	u32 gran = s->discard_granularity ? s->discard_granularity :
		   s->logical_block_size;
	u64 f;

	lockdep_assert_held(&blk->lock);

	f = BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |
	    BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) | BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |
	    BIT_ULL(VIRTIO_BLK_F_TOPOLOGY) | BIT_ULL(VIRTIO_BLK_F_MQ) |
	    BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	if (s->flags & DRVBOX_EXPORT_F_FLUSH)
		f |= BIT_ULL(VIRTIO_BLK_F_FLUSH);
	if (s->flags & DRVBOX_EXPORT_F_RO)
		f |= BIT_ULL(VIRTIO_BLK_F_RO);
	if ((s->flags & DRVBOX_EXPORT_F_DISCARD) && s->max_discard_sectors)
		f |= BIT_ULL(VIRTIO_BLK_F_DISCARD);
	if ((s->flags & DRVBOX_EXPORT_F_WRITE_ZEROES) &&
	    s->max_write_zeroes_sectors)
		f |= BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES);
	blk->vd.features = f;

	memset(c, 0, sizeof(*c));
	c->capacity = VCFG64(s->capacity >> SECTOR_SHIFT);
	/* each segment at most a page, at most a slot per request */
	c->size_max = VCFG32(PAGE_SIZE);
	c->seg_max = VCFG32(BLK_SEG_MAX);
	c->blk_size = VCFG32(s->logical_block_size);
	c->physical_block_exp = ilog2(s->physical_block_size /
				      s->logical_block_size);
	c->min_io_size = VCFG16(s->physical_block_size / s->logical_block_size);
	c->num_queues = VCFG16(s->nr_queues);
	/* our request length is a u32 of bytes */
	c->max_discard_sectors = VCFG32(min(s->max_discard_sectors,
					    U32_MAX >> (SECTOR_SHIFT + 1)));
	c->max_discard_seg = VCFG32(1);
	c->discard_sector_alignment = VCFG32(gran >> SECTOR_SHIFT);
	c->max_write_zeroes_sectors = VCFG32(min(s->max_write_zeroes_sectors,
						 U32_MAX >> (SECTOR_SHIFT + 1)));
	c->max_write_zeroes_seg = VCFG32(1);
	blk->capacity = s->capacity;
	blk->configured = true;
}

/* A guest mistake: count, log, and end the incarnation.  d->lock held. */
void blk_violation(struct drvbox_domain *d, struct drvbox_blk *blk,
			  const char *what)
{
	char why[DRVBOX_MSG_LEN];

	lockdep_assert_held(&d->lock);

	d->protocol_errors++;
	snprintf(why, sizeof(why), "guest protocol violation: %s (blk:%s)",
		 what, blk->dev);
	pr_warn_ratelimited("domain %s: %s, restarting it\n", d->name, why);
	supervisor_kill_vmm(d, why);
}

/* One READY answer: attach blk to @inc.  d->lock held. */
static void blk_attach(struct drvbox_domain *d, struct drvbox_inc *inc,
		       struct drvbox_blk *blk, const struct drvbox_export_state *s)
{
	u64 (*offs)[BLK_DEPTH];
	const char *bad;
	bool resized = false, first = false;
	u32 q;

	lockdep_assert_held(&d->lock);

	if (blk->first_queue + s->nr_queues > inc->nr_irqs)
		return;	/* no irqfds yet: look again later */
	offs = kcalloc(DRVBOX_EXPORT_MAX_QUEUES, sizeof(*offs), GFP_KERNEL);
	if (!offs)
		return;
	bad = blk_validate(blk, inc, s, offs);
	blk->last_inc = inc->number;
	if (bad) {
		blk_violation(d, blk, bad);
		kfree(offs);
		return;
	}

	mutex_lock(&blk->lock);
	if (blk->dead)
		goto out;
	if (!blk->configured) {
		blk_configure(blk, s);
		first = true;
	} else if (s->capacity != blk->capacity) {
		/* not the same device: what was in flight cannot go there */
		blk_fail_waiting(blk);
		blk->capacity = s->capacity;
		blk->config.capacity = VCFG64(s->capacity >> SECTOR_SHIFT);
		WRITE_ONCE(blk->vd.generation, blk->vd.generation + 1);
		resized = true;
	}
	for (q = 0; q < s->nr_queues; q++) {
		struct blk_gqueue *gq = &blk->gq[q];

		gq->rings = inc->shared + blk->ring_offset + q * BLK_RING_STRIDE;
		gq->sq = (void *)(gq->rings + 1);
		gq->cq = (void *)(gq->sq + BLK_DEPTH);
		gq->irq = inc->irqs[blk->first_queue + q];
		memcpy(gq->slot_off, offs[q], sizeof(gq->slot_off));
	}
	blk->nr_gq = s->nr_queues;
	blk->guest_flags = s->flags;
	blk->inc = inc;
	blk->error[0] = '\0';
	pr_info("domain %s: blk:%s ready in incarnation %u: %llu bytes, %u queue(s)%s%s\n",
		d->name, blk->dev, inc->number, s->capacity, s->nr_queues,
		s->flags & DRVBOX_EXPORT_F_RO ? ", read-only" : "",
		resized ? ", new capacity" : "");
out:
	mutex_unlock(&blk->lock);
	kfree(offs);
	if (first)
		queue_work(drvbox_wq, &blk->register_work);
	if (resized)
		vdev_config_changed(&blk->vd);
	blk_kick(blk);
}

/**
 * blk_guest_sync() - look at the stub's answers to our export requests
 * @d: the domain (d->lock held)
 * @inc: d->inc
 */
void blk_guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	const struct drvbox_shared_guest *g =
		inc->shared + DRVBOX_SHARED_GUEST_OFFSET;
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk = d->blk[i];
		struct drvbox_export_state s;

		if (!blk || blk->last_inc == inc->number)
			continue;
		memcpy(&s, &g->exports[i], sizeof(s));
		barrier();	/* validate the copy, never the guest's page */
		switch (s.state) {
		case DRVBOX_EXPORT_NONE:
			break;
		case DRVBOX_EXPORT_READY:
			blk_attach(d, inc, blk, &s);
			break;
		case DRVBOX_EXPORT_ERROR:
			blk->last_inc = inc->number;
			if (s.error >= 0 || s.error < -MAX_ERRNO) {
				blk_violation(d, blk, "export error");
				break;
			}
			mutex_lock(&blk->lock);
			snprintf(blk->error, sizeof(blk->error), "guest error %d",
				 s.error);
			mutex_unlock(&blk->lock);
			pr_info("domain %s: guest cannot export blk:%s: error %d\n",
				d->name, blk->dev, s.error);
			break;
		default:
			blk->last_inc = inc->number;
			blk_violation(d, blk, "export state");
			break;
		}
	}
}

/* d->lock held: @inc ends; its memory goes right after this. */
void blk_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk = d->blk[i];

		if (!blk)
			continue;
		mutex_lock(&blk->lock);
		if (blk->inc == inc)
			blk_detach(blk);
		mutex_unlock(&blk->lock);
		blk_kick(blk);	/* timeouts, or fail if the domain failed */
	}
}

/* A queue doorbell rang (maybe in hard irq context). */
void blk_doorbell(struct drvbox_domain *d, unsigned int doorbell)
{
	u32 i;

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk = d->blk[i];

		if (blk && doorbell >= blk->first_queue &&
		    doorbell < blk->first_queue + blk->req_queues) {
			/* a statistic only: racy increments lose nothing else */
			WRITE_ONCE(blk->stats.doorbells,
				   blk->stats.doorbells + 1);
			blk_kick(blk);
			return;
		}
	}
}

static void blk_register_work(struct work_struct *work)
{
	struct drvbox_blk *blk = container_of(work, struct drvbox_blk,
					      register_work);
	struct drvbox_domain *d = blk->dom;
	bool skip;
	int ret;

	mutex_lock(&blk->lock);
	skip = blk->dead || blk->vd.state != VDEV_NONE;
	mutex_unlock(&blk->lock);
	if (skip)
		return;
	ret = vdev_register(&blk->vd);	/* virtio_blk probes here */
	mutex_lock(&d->lock);
	if (ret)
		pr_warn("domain %s: blk:%s: cannot register virtio device: %d\n",
			d->name, blk->dev, ret);
	else
		pr_info("domain %s: blk:%s is %s\n", d->name, blk->dev,
			dev_name(&blk->vd.vdev.dev));
	blk_status_fill(d);
	mutex_unlock(&d->lock);
}

/* ---- draining (graceful restart, upgrade) ----------------------- */

/*
 * d->lock held: post nothing more to the current incarnation; requests
 * wait on the host until it has been replaced (blk_detach() lets go).
 */
void blk_hold(struct drvbox_domain *d)
{
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk = d->blk[i];

		if (!blk)
			continue;
		mutex_lock(&blk->lock);
		if (blk->inc)
			blk->hold = true;
		mutex_unlock(&blk->lock);
	}
}

/* d->lock held: has the guest completed every request it was given? */
bool blk_drained(struct drvbox_domain *d)
{
	bool drained = true;
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports && drained; i++) {
		struct drvbox_blk *blk = d->blk[i];

		if (!blk)
			continue;
		mutex_lock(&blk->lock);
		drained = !blk->inc || !blk_in_guest(blk);
		mutex_unlock(&blk->lock);
	}
	return drained;
}

/* ---- status ------------------------------------------------------ */

/* d->lock held: host_dev of each export, once virtio_blk made a disk. */
void blk_status_fill(struct drvbox_domain *d)
{
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++)
		if (d->blk[i] && !d->exports[i].host_dev[0])
			vdev_child_name(&d->blk[i]->vd, "block",
					d->exports[i].host_dev,
					sizeof(d->exports[i].host_dev));
}

/* /sys/kernel/drvbox/domains/NAME/exports: one line per export. */
ssize_t blk_sysfs_show(struct drvbox_domain *d, char *buf)
{
	ssize_t n = 0;
	u32 i;

	mutex_lock(&d->lock);
	blk_status_fill(d);
	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_blk *blk = d->blk[i];
		struct blk_stats st;
		const char *state;
		u64 host_irqs;
		u32 pending;

		if (!blk) {
			if (!net_sysfs_line(d, i, buf, &n))
				n += sysfs_emit_at(buf, n, "%s\n",
						   d->exports[i].spec);
			continue;
		}
		mutex_lock(&blk->lock);
		st = blk->stats;
		host_irqs = blk->vd.interrupts;
		pending = blk->nr_pending;
		state = blk->hold ? "draining" : blk->inc ? "attached" :
			blk->error[0] ? "error" :
			blk->configured ? "waiting" : "new";
		mutex_unlock(&blk->lock);
		n += sysfs_emit_at(buf, n,
				   "%s host_dev=%s state=%s capacity=%llu reads=%llu writes=%llu bytes=%llu flushes=%llu discards=%llu replayed=%llu timeouts=%llu errors=%llu pending=%u max_queue_ms=%u max_guest_ms=%u doorbells=%llu irqs=%llu host_irqs=%llu table_full=%llu copied=%llu mediator_us=%llu polls=%llu poll_misses=%llu guest_us=%llu\n",
				   d->exports[i].spec,
				   d->exports[i].host_dev[0] ?
				   d->exports[i].host_dev : "-", state,
				   blk->capacity, st.reads, st.writes, st.bytes,
				   st.flushes, st.discards, st.replayed,
				   st.timeouts, st.errors, pending,
				   st.max_queue_ms, st.max_guest_ms,
				   st.doorbells, st.irqs, host_irqs,
				   st.table_full, st.copied,
				   div_u64(st.mediator_ns, NSEC_PER_USEC),
				   st.polls, st.poll_misses,
				   div_u64(st.guest_ns, NSEC_PER_USEC));
	}
	mutex_unlock(&d->lock);
	return n;
}

/* ---- teardown ---------------------------------------------------- */

/**
 * blk_domain_destroy() - fail what is pending and remove the devices
 * @d: a domain with no incarnation left (or never listed); no locks held
 */
void blk_domain_destroy(struct drvbox_domain *d)
{
	u32 i;

	for (i = 0; i < DRVBOX_MAX_EXPORTS; i++) {
		struct drvbox_blk *blk;

		mutex_lock(&d->lock);
		blk = d->blk[i];
		d->blk[i] = NULL;
		mutex_unlock(&d->lock);
		if (!blk)
			continue;

		mutex_lock(&blk->lock);
		blk->dead = true;
		if (blk->inc)
			blk_detach(blk);
		blk_fail_waiting(blk);
		mutex_unlock(&blk->lock);
		cancel_work_sync(&blk->register_work);
		if (blk->vd.state == VDEV_NONE) {
			cancel_delayed_work_sync(&blk->work);
			blk_free(blk);
			continue;
		}
		/* virtio_blk's last I/O is failed by the (dead) mediator */
		get_device(&blk->vd.vdev.dev);
		vdev_unregister(&blk->vd);
		cancel_delayed_work_sync(&blk->work);
		put_device(&blk->vd.vdev.dev);	/* frees blk */
	}
}
