// SPDX-License-Identifier: GPL-2.0
/*
 * Block exports: the mediator between the host's virtio_blk (through
 * virtio_transport.c) and the guest stub's queue rings.  The generic
 * device side of the host vrings is struct drvbox_vdev (vdev.h); the
 * virtio-blk request format is parsed here.
 *
 * Every request taken from a host vring goes into a table in host memory
 * (struct blk_req, on blk->waiting until posted).  Posting copies WRITE
 * data into a free slot in guest RAM and puts a struct drvbox_blk_req on
 * the guest queue's ring; the slot belongs to that request until the guest
 * completes it.  Completions are read once, validated (index window, slot
 * id and generation, status, length) and only then copied back.  Anything
 * else the guest does wrong kills the incarnation; its posted requests go
 * back to the table and are posted again, with their data copied again from
 * the host buffers, to the next incarnation that announces the same device.
 * A request older than io_timeout_ms completes with an I/O error instead.
 *
 * The guest only ever sees slots in its own RAM and the rings in the
 * shared area; it never sees a host address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "blk.h"
#include "compat.h"
#include "net.h"

static unsigned int io_timeout_ms = 60000;
module_param(io_timeout_ms, uint, 0644);
MODULE_PARM_DESC(io_timeout_ms, "ms after which a block request the domain has not completed fails with an I/O error; 0 = never (default 60000)");

#define BLK_DEPTH		DRVBOX_BLK_QUEUE_DEPTH
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

static void blk_work(struct work_struct *work);
static void blk_register_work(struct work_struct *work);

static struct drvbox_blk *to_blk(struct drvbox_vdev *v)
{
	return container_of(v, struct drvbox_blk, vd);
}

static void blk_kick(struct drvbox_blk *blk)
{
	mod_delayed_work(drvbox_wq, &blk->work, 0);
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

static void blk_vdev_release(struct drvbox_vdev *v)
{
	kfree(to_blk(v));
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

/* "drvbox-DOM-DEV" if it fits VIRTIO_BLK_ID_BYTES, else "DOM-DEV" cut. */
static void blk_make_serial(struct drvbox_blk *blk, const char *dom)
{
	char s[DRVBOX_NAME_LEN + 48];
	size_t dl = strlen(blk->dev), keep;

	snprintf(s, sizeof(s), "drvbox-%s-%s", dom, blk->dev);
	if (strlen(s) > BLK_SERIAL_LEN) {
		/* keep the device name whole, cut the domain name */
		if (dl + 2 > BLK_SERIAL_LEN)
			snprintf(s, sizeof(s), "%s", blk->dev + dl - BLK_SERIAL_LEN);
		else {
			keep = BLK_SERIAL_LEN - 1 - dl;
			snprintf(s, sizeof(s), "%.*s-%s", (int)keep, dom, blk->dev);
		}
	}
	memset(blk->serial, 0, sizeof(blk->serial));
	memcpy(blk->serial, s, min_t(size_t, strlen(s), BLK_SERIAL_LEN));
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
		blk_make_serial(blk, d->name);
		blk->req_queues = per;
		blk->first_queue = next;
		blk->ring_offset = BLK_RINGS_OFFSET + (next - 1) * BLK_RING_STRIDE;
		next += per;
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
	host->nr_exports = d->nr_exports;
	host->export_seq = 1;
}

/* d->lock held: the stub is up; make sure it looks at exports[]. */
void blk_guest_running(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	if (d->nr_doorbells > 1 && inc->nr_irqs > DRVBOX_VEC_CONTROL)
		drvbox_eventfd_signal(inc->irqs[DRVBOX_VEC_CONTROL]);
}

/* ---- requests from the host vrings (blk->lock held) -------------- */

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
 * @out: the new request (kmalloc'ed), or NULL if the chain was bad (and
 *	has been completed with an error already)
 *
 * Return: true when a chain was taken, false when the ring is empty.
 */
static bool blk_vq_pop(struct drvbox_blk *blk, unsigned int q,
		       struct blk_req **out)
{
	struct blk_req *req;
	u16 head;

	*out = NULL;
	if (!vdev_pop_head(&blk->vd, q, &head))
		return false;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req || blk_parse_chain(blk, q, head, req)) {
		pr_warn_ratelimited("%s: bad request chain at %u\n",
				    dev_name(&blk->vd.vdev.dev), head);
		if (req && req->status)
			*req->status = VIRTIO_BLK_S_IOERR;
		kfree(req);
		vdev_discard(&blk->vd, q, head);
		vdev_interrupt(&blk->vd, q);
		return true;
	}
	req->vq = q;
	req->head = head;
	*out = req;
	return true;
}

/**
 * blk_vq_complete() - give @req back to virtio_blk and free it
 * @blk: blk->lock held
 * @req: the request (off every list)
 * @status: VIRTIO_BLK_S_*
 * @written: bytes written into device-writable data buffers
 *
 * When the vring has gone meanwhile (del_vqs), the request is only freed.
 */
static void blk_vq_complete(struct drvbox_blk *blk, struct blk_req *req,
			    u8 status, u32 written)
{
	if (vdev_vq_ready(&blk->vd, req->vq)) {
		*req->status = status;
		vdev_push_used(&blk->vd, req->vq, req->head, written + 1);
		vdev_interrupt(&blk->vd, req->vq);
	}
	kfree(req);
}

/* ---- completing requests (blk->lock held) ----------------------- */

static void blk_done(struct drvbox_blk *blk, struct blk_req *req, u8 status,
		     u32 written)
{
	if (status != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	blk->nr_pending--;
	blk_vq_complete(blk, req, status, written);
}

static void blk_fail_waiting(struct drvbox_blk *blk)
{
	struct blk_req *req, *n;

	list_for_each_entry_safe(req, n, &blk->waiting, node) {
		list_del(&req->node);
		blk_done(blk, req, VIRTIO_BLK_S_IOERR, 0);
	}
}

/* The incarnation is gone (or broken): posted requests wait again. */
static void blk_detach(struct drvbox_blk *blk)
{
	LIST_HEAD(again);
	u32 q, s;

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
	memcpy(gpas, inc->ram + table_off, n * sizeof(u64));	/* once */
	for (i = 0; i < n; i++) {
		if (!blk_gpa_to_off(inc, gpas[i], DRVBOX_BLK_SLOT_SIZE,
				    &offs[i / BLK_DEPTH][i % BLK_DEPTH])) {
			kfree(gpas);
			return "export slot address";
		}
	}
	kfree(gpas);
	return NULL;
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

	f = BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |
	    BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) | BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |
	    BIT_ULL(VIRTIO_BLK_F_TOPOLOGY) | BIT_ULL(VIRTIO_BLK_F_MQ);
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
static void blk_violation(struct drvbox_domain *d, struct drvbox_blk *blk,
			  const char *what)
{
	char why[DRVBOX_MSG_LEN];

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

static void blk_copy_to_slot(void *slot, const struct blk_req *req)
{
	u32 i, off = 0;

	for (i = 0; i < req->nr_segs; i++) {
		memcpy(slot + off, req->segs[i].addr, req->segs[i].len);
		off += req->segs[i].len;
	}
}

static void blk_copy_from_slot(struct blk_req *req, const void *slot)
{
	u32 i, off = 0;

	for (i = 0; i < req->nr_segs; i++) {
		memcpy(req->segs[i].addr, slot + off, req->segs[i].len);
		off += req->segs[i].len;
	}
}

/* Post what waits, oldest first, into free slots of the current guest. */
static void blk_post(struct drvbox_blk *blk)
{
	struct blk_req *req, *n;
	u32 q;

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
			blk_copy_to_slot(blk->inc->ram + gq->slot_off[s], req);
		e.id = s | (u32)gq->slots[s].gen << 16;
		e.op = req->op;
		e.sector = req->sector;
		e.len = req->len;
		memcpy(&gq->sq[gq->sq_prod & (BLK_DEPTH - 1)], &e, sizeof(e));
		gq->sq_prod++;
		gq->kick = true;
		list_del(&req->node);
		req->posted = true;
		req->posted_at = jiffies;
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
	u32 queue_ms = jiffies_to_msecs(req->posted_at - req->start);
	u32 guest_ms = jiffies_to_msecs(jiffies - req->posted_at);
	u8 st = VIRTIO_BLK_S_OK;
	u32 written = 0;

	/* where a slow request waited: before it was posted, or in the guest */
	blk->stats.max_queue_ms = max(blk->stats.max_queue_ms, queue_ms);
	blk->stats.max_guest_ms = max(blk->stats.max_guest_ms, guest_ms);
	if (c->status == -EOPNOTSUPP)
		st = VIRTIO_BLK_S_UNSUPP;
	else if (c->status)
		st = VIRTIO_BLK_S_IOERR;
	else if (req->op == DRVBOX_BLK_OP_READ && c->len != req->len)
		st = VIRTIO_BLK_S_IOERR;	/* never hand out stale bytes */
	if (st == VIRTIO_BLK_S_OK) {
		switch (req->op) {
		case DRVBOX_BLK_OP_READ:
			blk_copy_from_slot(req, blk->inc->ram + gq->slot_off[s]);
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
 * Read the guest's completions, then ask for a doorbell at the next one
 * (cq_event) and look once more, so that a completion posted meanwhile is
 * not left waiting for a doorbell the guest saw no reason to ring.  Every
 * completion frees a slot we posted, so the passes end.  Returns NULL or
 * the violation.
 */
static const char *blk_reap(struct drvbox_blk *blk, struct blk_gqueue *gq)
{
	const char *bad;

	for (;;) {
		bad = blk_reap_once(blk, gq);
		if (bad)
			return bad;
		WRITE_ONCE(gq->rings->cq_event.val, gq->cq_cons);
		smp_mb();	/* cq_event before we read cq_prod again */
		if (READ_ONCE(gq->rings->cq_prod.val) == gq->cq_cons)
			return NULL;
	}
}

static void blk_timeouts(struct drvbox_blk *blk)
{
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(io_timeout_ms));
	struct blk_req *req, *n;
	u32 q, s;

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

static void blk_work(struct work_struct *work)
{
	struct drvbox_blk *blk = container_of(to_delayed_work(work),
					      struct drvbox_blk, work);
	struct drvbox_domain *d = blk->dom;
	struct drvbox_inc *broken = NULL;
	const char *bad = NULL;
	struct blk_req *req;
	u32 q;

	mutex_lock(&blk->lock);
	for (q = 0; q < blk->vd.nr_vq; q++)
		while (blk_vq_pop(blk, q, &req))
			if (req)
				blk_take(blk, req);
	for (q = 0; blk->inc && q < blk->nr_gq && !bad; q++)
		bad = blk_reap(blk, &blk->gq[q]);
	if (bad) {
		broken = blk->inc;
		blk_detach(blk);
	}
	if (blk->inc)
		blk_post(blk);
	if (blk->dead || (!blk->inc && READ_ONCE(d->state) == DRVBOX_STATE_FAILED))
		blk_fail_waiting(blk);
	blk_timeouts(blk);
	if (blk->nr_pending && READ_ONCE(io_timeout_ms))
		queue_delayed_work(drvbox_wq, &blk->work, HZ / 4);
	mutex_unlock(&blk->lock);

	if (broken) {
		mutex_lock(&d->lock);
		if (d->inc == broken)
			blk_violation(d, blk, bad);
		mutex_unlock(&d->lock);
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

/* ---- status ------------------------------------------------------ */

/* d->lock held: host_dev of each export, once virtio_blk made a disk. */
void blk_status_fill(struct drvbox_domain *d)
{
	u32 i;

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
		u32 pending;

		if (!blk) {
			if (!net_sysfs_line(d, i, buf, &n))
				n += sysfs_emit_at(buf, n, "%s\n",
						   d->exports[i].spec);
			continue;
		}
		mutex_lock(&blk->lock);
		st = blk->stats;
		pending = blk->nr_pending;
		state = blk->inc ? "attached" : blk->error[0] ? "error" :
			blk->configured ? "waiting" : "new";
		mutex_unlock(&blk->lock);
		n += sysfs_emit_at(buf, n,
				   "%s host_dev=%s state=%s capacity=%llu reads=%llu writes=%llu bytes=%llu flushes=%llu discards=%llu replayed=%llu timeouts=%llu errors=%llu pending=%u max_queue_ms=%u max_guest_ms=%u doorbells=%llu irqs=%llu\n",
				   d->exports[i].spec,
				   d->exports[i].host_dev[0] ?
				   d->exports[i].host_dev : "-", state,
				   blk->capacity, st.reads, st.writes, st.bytes,
				   st.flushes, st.discards, st.replayed,
				   st.timeouts, st.errors, pending,
				   st.max_queue_ms, st.max_guest_ms,
				   st.doorbells, st.irqs);
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
			kfree(blk);
			continue;
		}
		/* virtio_blk's last I/O is failed by the (dead) mediator */
		get_device(&blk->vd.vdev.dev);
		vdev_unregister(&blk->vd);
		cancel_delayed_work_sync(&blk->work);
		put_device(&blk->vd.vdev.dev);	/* frees blk */
	}
}
