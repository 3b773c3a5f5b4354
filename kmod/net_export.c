// SPDX-License-Identifier: GPL-2.0
/*
 * Network exports: a virtio-net device for the host's own virtio_net,
 * backed by a netdev inside the domain (see docs/net.md).
 *
 * The virtio device itself (virtio_config_ops, the checked walk of the
 * host vrings' descriptor chains, the used ring) is the generic struct
 * drvbox_vdev of virtio_transport.c; this file gives it its vdev_ops, then
 * holds the mediator work (net_work(): TX in net_tx.c, host vring -> TX
 * slots in the shared area; RX in net_rx.c, RX slots -> host vring), the
 * layout, the guest's answer, registration, status and teardown.
 *
 * The host vrings never leave the host.  The guest sees only its queues'
 * rings and slots in the shared area; everything it writes there (indices,
 * lengths, the virtio_net_hdr of a received frame, its answer with MAC,
 * MTU and link state) is copied once and validated before use, and a bad
 * value restarts the domain.  While the domain is away the interface stays,
 * with carrier off; frames sent meanwhile are dropped and counted, never
 * queued.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "net.h"

#define NET_KNOWN_FLAGS		DRVBOX_NET_F_LINK_UP
#define NET_MIN_MTU		68

static void net_work(struct work_struct *work);
static void net_register_work(struct work_struct *work);

static struct drvbox_net *to_net(struct drvbox_vdev *v)
{
	return container_of(v, struct drvbox_net, vd);
}

/* Run the mediator soon (any context). */
void net_kick(struct drvbox_net *net)
{
	mod_delayed_work(drvbox_io_wq, &net->work, 0);
}

/* ---- the virtio device (struct vdev_ops) -------------------------- */

/*
 * The control vring: the last one, after max_pairs RX/TX pairs with MQ,
 * else after the single pair.
 */
u32 net_ctrl_vq(struct drvbox_net *net)
{
	return virtio_has_feature(&net->vd.vdev, VIRTIO_NET_F_MQ) ?
	       2 * net->max_pairs : 2;
}

static void net_vdev_kick(struct drvbox_vdev *v, unsigned int q)
{
	struct drvbox_net *net = to_net(v);

	if (q == net_ctrl_vq(net))
		net_ctrl_kick(net);
	else
		net_kick(net);
}

/* The control vring is served from notify(), under want_lock. */
static spinlock_t *net_vdev_vq_lock(struct drvbox_vdev *v, unsigned int q)
{
	struct drvbox_net *net = to_net(v);

	return q == net_ctrl_vq(net) ? &net->want_lock : NULL;
}

/* del_vqs: virtio_net is gone or resets; the next one starts on pair 0. */
static void net_vdev_stop(struct drvbox_vdev *v)
{
	struct drvbox_net *net = to_net(v);

	cancel_delayed_work_sync(&net->work);
	WRITE_ONCE(net->curr_pairs, 1);
}

static void net_free(struct drvbox_net *net)
{
	kfree(net->rx_frame);
	kfree(net->tx_chain);
	kvfree(net->rx_bufs);
	kfree(net);
}

static void net_vdev_release(struct drvbox_vdev *v)
{
	net_free(to_net(v));
}

/* rx0, tx0 (, rx1, tx1, ... with MQ) and the control vring */
static const struct vdev_ops net_vdev_ops = {
	.device_id	= VIRTIO_ID_NET,
	.max_vqs	= NET_MAX_VQS,
	.vring_num	= NET_VRING_NUM,
	.kick		= net_vdev_kick,
	.stop		= net_vdev_stop,
	.release	= net_vdev_release,
	.vq_lock	= net_vdev_vq_lock,
};

/*
 * Carrier: up while an incarnation is attached and its netdev has one.
 * Returns true when virtio_net must be told (config change).
 */
static bool net_update_link(struct drvbox_net *net)
{
	u16 want = net->inc && net->guest_link ? VIRTIO_NET_S_LINK_UP : 0;

	if (!net->configured ||
	    virtio16_to_cpu(&net->vd.vdev, net->config.status) == want)
		return false;
	net->config.status = cpu_to_virtio16(&net->vd.vdev, want);
	WRITE_ONCE(net->vd.generation, net->vd.generation + 1);
	net->stats.carrier_changes++;
	return net->vd.state == VDEV_REGISTERED;
}

static void net_config_changed(struct drvbox_net *net, bool changed)
{
	if (changed)
		vdev_config_changed(&net->vd);
}

/* The incarnation is gone (or broken).  net->lock held. */
static bool net_detach(struct drvbox_net *net)
{
	lockdep_assert_held(&net->lock);

	net->inc = NULL;
	memset(net->gq, 0, sizeof(net->gq));
	net->nr_gq = 0;
	return net_update_link(net);
}

/* A guest mistake: count, log, and end the incarnation.  d->lock held. */
static void net_violation(struct drvbox_domain *d, struct drvbox_net *net,
			  const char *what)
{
	char why[DRVBOX_MSG_LEN];

	lockdep_assert_held(&d->lock);

	d->protocol_errors++;
	snprintf(why, sizeof(why), "guest protocol violation: %s (net:%s)",
		 what, net->dev);
	pr_warn_ratelimited("domain %s: %s, restarting it\n", d->name, why);
	supervisor_kill_vmm(d, why);
}

/* Our entry in the host page of the incarnation.  net->lock held. */
static struct drvbox_net_settings *net_host_settings(struct drvbox_net *net)
{
	struct drvbox_shared_host *host =
		net->inc->shared + DRVBOX_SHARED_HOST_OFFSET;

	lockdep_assert_held(&net->lock);

	return &host->net_settings[net->index];
}

static void net_work(struct work_struct *work)
{
	struct drvbox_net *net = container_of(to_delayed_work(work),
					      struct drvbox_net, work);
	struct drvbox_domain *d = net->dom;
	struct drvbox_inc *broken = NULL;
	unsigned long tx_done = 0, rx_done = 0, kick = 0;
	bool changed = false, again = false, posted = false;
	const char *bad;
	u64 t0;
	u32 p;

	mutex_lock(&net->lock);
	t0 = ktime_get_ns();
	bad = net_tx(net, &tx_done, &kick);
	if (!bad && net->inc)
		bad = net_rx_all(net, &rx_done, &again);
	if (!bad && net->inc) {
		posted = net_settings_post(net, net_host_settings(net));
		/* the settings signal goes to queue 0 */
		if (posted)
			__set_bit(0, &kick);
		for_each_set_bit(p, &kick, NET_MAX_QUEUES)
			net_tx_publish(net, &net->gq[p], posted && !p);
	}
	if (bad && net->inc) {
		broken = net->inc;
		changed = net_detach(net);
	}
	/* virtio_net schedules NAPI: let the softirq run when we are done */
	local_bh_disable();
	for_each_set_bit(p, &tx_done, NET_MAX_QUEUES)
		vdev_interrupt(&net->vd, net_tx_vq(p));
	for_each_set_bit(p, &rx_done, NET_MAX_QUEUES)
		vdev_interrupt(&net->vd, net_rx_vq(p));
	local_bh_enable();
	net->stats.mediator_ns += ktime_get_ns() - t0;
	mutex_unlock(&net->lock);
	net_config_changed(net, changed);
	if (again)
		net_kick(net);

	if (broken) {
		mutex_lock(&d->lock);
		if (d->inc == broken)
			net_violation(d, net, bad);
		mutex_unlock(&d->lock);
	}
}

/* ---- layout, the host page, the guest's answer -------------------- */

/**
 * net_domain_init() - create the net exports of a new domain
 * @d: the domain, not yet visible; blk_domain_init() has laid out its
 *	queues already
 *
 * Each net export gets a queue per vCPU (at most NET_MAX_QUEUES, and as
 * many doorbells/vectors as are left), each with the next doorbell/vector
 * and NET_RING_STRIDE bytes of the shared area (rings, then TX and RX
 * slots), after the block ones.  The guest serves as many of them as its
 * NIC has RX queues.
 *
 * Return: 0, -ENOMEM, -ENOSPC when the doorbells run out, or an error of
 * the netdevice notifier chain.
 */
int net_domain_init(struct drvbox_domain *d)
{
	int ret;
	u32 i;

	BUILD_BUG_ON(sizeof(struct drvbox_net_export_state) !=
		     sizeof(struct drvbox_export_state));
	BUILD_BUG_ON(sizeof(struct drvbox_net_rings) +
		     2 * NET_DEPTH * sizeof(struct drvbox_net_desc) >
		     DRVBOX_NET_SLOTS_OFFSET);
	BUILD_BUG_ON(sizeof(struct virtio_net_hdr_v1) != DRVBOX_NET_HDR_LEN);
	BUILD_BUG_ON(NET_MAX_VQS > VDEV_MAX_VQS);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_net *net;

		if (strncmp(d->exports[i].spec, "net:", 4))
			continue;
		if (d->nr_doorbells >= DRVBOX_MAX_DOORBELLS)
			return -ENOSPC;
		net = kzalloc(sizeof(*net), GFP_KERNEL);
		if (!net)
			return -ENOMEM;	/* net_domain_destroy() frees the rest */
		net->dom = d;
		net->index = i;
		strscpy(net->dev, d->exports[i].spec + 4, sizeof(net->dev));
		net->queue = d->nr_doorbells;
		net->nr_queues = min3(max(d->vcpus, 1U), (u32)NET_MAX_QUEUES,
				      DRVBOX_MAX_DOORBELLS - d->nr_doorbells);
		d->nr_doorbells += net->nr_queues;
		net->ring_offset = PAGE_ALIGN(d->shared_bytes);
		d->shared_bytes = net->ring_offset +
				  net->nr_queues * NET_RING_STRIDE;
		mutex_init(&net->lock);
		vdev_setup(&net->vd, &net_vdev_ops, &net->lock, &net->config,
			   sizeof(net->config));
		INIT_DELAYED_WORK(&net->work, net_work);
		INIT_WORK(&net->register_work, net_register_work);
		/* the mediator allocates nothing per pass */
		net->rx_bufs = kvcalloc(NET_RX_MAX_BUFS,
					sizeof(*net->rx_bufs), GFP_KERNEL);
		net->tx_chain = kmalloc(sizeof(*net->tx_chain), GFP_KERNEL);
		net->rx_frame = kmalloc(net_rx_frame_size(), GFP_KERNEL);
		ret = net->rx_bufs && net->tx_chain && net->rx_frame ?
		      net_settings_init(net) : -ENOMEM;
		if (ret) {
			net_free(net);
			return ret;
		}
		d->net[i] = net;
	}
	return 0;
}

/* At attach, before the VMM can map the area: the export requests. */
void net_fill_host_page(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	struct drvbox_shared_host *host = inc->shared + DRVBOX_SHARED_HOST_OFFSET;
	u32 i;

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_export_req *r = &host->exports[i];
		struct drvbox_net *net = d->net[i];

		if (!net)
			continue;
		strscpy(r->name, net->dev, sizeof(r->name));
		r->type = DRVBOX_GUEST_DEV_NET;
		r->nr_queues = net->nr_queues;
		r->queue_depth = NET_DEPTH;
		r->slot_size = DRVBOX_NET_SLOT_SIZE;
		r->first_queue_index = net->queue;
		r->ring_offset = net->ring_offset;
		r->ring_stride = NET_RING_STRIDE;
		/* the new NIC starts as the host interface left the last */
		WRITE_ONCE(net->posted_seq, 0);
		net_settings_post(net, &host->net_settings[i]);
	}
	host->nr_exports = d->nr_exports;
	host->export_seq = 1;
}

static const char *net_validate(const struct drvbox_net *net,
				const struct drvbox_net_export_state *s)
{
	u32 i;

	if (!s->nr_queues || s->nr_queues > net->nr_queues)
		return "export nr_queues";
	if (s->flags & ~NET_KNOWN_FLAGS)
		return "export flags";
	if (!is_valid_ether_addr(s->mac))
		return "export MAC address";
	if (s->mtu < NET_MIN_MTU || s->mtu > s->max_mtu ||
	    s->max_mtu > DRVBOX_NET_MAX_MTU)
		return "export MTU";
	if (s->settings_error > 0 || s->settings_error < -MAX_ERRNO)
		return "export settings_error";
	if (s->padding)
		return "export padding";
	for (i = 0; i < ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			return "export reserved";
	return NULL;
}

/* The first READY answer decides the virtio device.  net->lock held. */
static void net_configure(struct drvbox_net *net,
			  const struct drvbox_net_export_state *s)
{
	lockdep_assert_held(&net->lock);

	net->vd.features = BIT_ULL(VIRTIO_F_VERSION_1) |
			BIT_ULL(VIRTIO_NET_F_MAC) |
			BIT_ULL(VIRTIO_NET_F_STATUS) |
			BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
			BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
			BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |
			BIT_ULL(VIRTIO_NET_F_CSUM) |
			BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
			BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |
			BIT_ULL(VIRTIO_NET_F_HOST_ECN) |
			BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |
			BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
			BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |
			BIT_ULL(VIRTIO_NET_F_GUEST_ECN) |
			BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	/* as many queue pairs as the guest NIC has queues for us */
	net->max_pairs = s->nr_queues;
	net->curr_pairs = 1;
	if (net->max_pairs > 1)
		net->vd.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	memset(&net->config, 0, sizeof(net->config));
	memcpy(net->config.mac, s->mac, ETH_ALEN);
	/* the transport is little-endian only (VERSION_1) */
	net->config.status = (__force __virtio16)cpu_to_le16(0);
	net->config.max_virtqueue_pairs =
		(__force __virtio16)cpu_to_le16(net->max_pairs);
	memcpy(net->mac, s->mac, ETH_ALEN);
	net_settings_first(net, s->mac, s->mtu, s->max_mtu);
	net->configured = true;
}

/* One READY answer: attach net to @inc.  d->lock held. */
static void net_attach(struct drvbox_domain *d, struct drvbox_inc *inc,
		       struct drvbox_net *net,
		       const struct drvbox_net_export_state *s)
{
	bool first = false, changed = false;
	struct drvbox_net_settings want;
	const char *bad;
	u32 g;

	lockdep_assert_held(&d->lock);

	if (net->queue + net->nr_queues > inc->nr_irqs)
		return;	/* no irqfds yet: look again later */
	net->last_inc = inc->number;
	bad = net_validate(net, s);
	if (bad) {
		net_violation(d, net, bad);
		return;
	}

	net_settings_get(net, &want);
	mutex_lock(&net->lock);
	if (net->dead)
		goto out;
	if (!net->configured) {
		net_configure(net, s);
		first = true;
	} else if (!ether_addr_equal(s->mac, net->mac) &&
		   !ether_addr_equal(s->mac, want.mac)) {
		/*
		 * Neither its own MAC nor the one the host gave it: another
		 * NIC; the host interface cannot follow it.
		 */
		snprintf(net->error, sizeof(net->error),
			 "MAC changed to %pM", s->mac);
		pr_warn("domain %s: net:%s announced MAC %pM, not the NIC's %pM nor the host's %pM; not attached\n",
			d->name, net->dev, s->mac, net->mac, want.mac);
		goto out;
	}
	memset(net->gq, 0, sizeof(net->gq));
	for (g = 0; g < s->nr_queues; g++) {
		struct net_queue *gq = &net->gq[g];
		u8 *q = inc->shared + net->ring_offset + g * NET_RING_STRIDE;

		gq->rings = (struct drvbox_net_rings *)q;
		gq->txd = (struct drvbox_net_desc *)(gq->rings + 1);
		gq->rxd = gq->txd + NET_DEPTH;
		gq->tx_slots = q + DRVBOX_NET_SLOTS_OFFSET;
		gq->rx_slots = gq->tx_slots + NET_DEPTH * DRVBOX_NET_SLOT_SIZE;
		gq->irq = inc->irqs[net->queue + g];
		/*
		 * A fresh shared area: all indices are zero.  A doorbell at
		 * the first RX entry, none for TX room until we wait.
		 */
		WRITE_ONCE(gq->rings->rx_event.val, 0);
		WRITE_ONCE(gq->rings->tx_room_event.val, BIT(31));
	}
	net->nr_gq = s->nr_queues;
	net->guest_link = s->flags & DRVBOX_NET_F_LINK_UP;
	net->inc = inc;
	net->error[0] = '\0';
	changed = net_update_link(net);
	pr_info("domain %s: net:%s ready in incarnation %u: MAC %pM, MTU %u, %u queue(s), link %s\n",
		d->name, net->dev, inc->number, s->mac, s->mtu, net->nr_gq,
		net->guest_link ? "up" : "down");
out:
	mutex_unlock(&net->lock);
	if (first)
		queue_work(drvbox_wq, &net->register_work);
	net_config_changed(net, changed);
	net_kick(net);
}

/**
 * net_guest_sync() - look at the stub's answers to our net export requests
 * @d: the domain (d->lock held)
 * @inc: d->inc
 *
 * The first answer other than NONE attaches (or refuses) the export for
 * this incarnation; afterwards only the LINK_UP flag is followed.
 */
void net_guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	const struct drvbox_shared_guest *g =
		inc->shared + DRVBOX_SHARED_GUEST_OFFSET;
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_net *net = d->net[i];
		struct drvbox_net_export_state s;
		bool changed;

		if (!net)
			continue;
		memcpy(&s, &g->exports[i], sizeof(s));
		barrier();	/* validate the copy, never the guest's page */
		if (net->last_inc == inc->number) {
			mutex_lock(&net->lock);
			if (net->inc != inc) {
				mutex_unlock(&net->lock);
				continue;
			}
			if (s.flags & ~NET_KNOWN_FLAGS) {
				mutex_unlock(&net->lock);
				net_violation(d, net, "export flags");
				continue;
			}
			net->guest_link = s.flags & DRVBOX_NET_F_LINK_UP;
			changed = net_update_link(net);
			mutex_unlock(&net->lock);
			net_config_changed(net, changed);
			continue;
		}
		switch (s.state) {
		case DRVBOX_EXPORT_NONE:
			break;
		case DRVBOX_EXPORT_READY:
			net_attach(d, inc, net, &s);
			break;
		case DRVBOX_EXPORT_ERROR:
			net->last_inc = inc->number;
			if (s.error >= 0 || s.error < -MAX_ERRNO) {
				net_violation(d, net, "export error");
				break;
			}
			mutex_lock(&net->lock);
			snprintf(net->error, sizeof(net->error),
				 "guest error %d", s.error);
			mutex_unlock(&net->lock);
			pr_info("domain %s: guest cannot export net:%s: error %d\n",
				d->name, net->dev, s.error);
			break;
		default:
			net->last_inc = inc->number;
			net_violation(d, net, "export state");
			break;
		}
	}
}

/* d->lock held: @inc ends; its memory goes right after this. */
void net_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_net *net = d->net[i];
		bool changed = false;

		if (!net)
			continue;
		mutex_lock(&net->lock);
		if (net->inc == inc)
			changed = net_detach(net);
		mutex_unlock(&net->lock);
		net_config_changed(net, changed);
		net_kick(net);	/* drop what the host sends meanwhile */
	}
}

/* A queue doorbell rang (maybe in hard irq context). */
void net_doorbell(struct drvbox_domain *d, unsigned int doorbell)
{
	u32 i;

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_net *net = d->net[i];

		if (net && doorbell >= net->queue &&
		    doorbell < net->queue + net->nr_queues) {
			/* a statistic only: racy increments lose nothing else */
			WRITE_ONCE(net->stats.doorbells, net->stats.doorbells + 1);
			net_kick(net);
			return;
		}
	}
}

/* ---- registration, status, teardown ------------------------------ */

static void net_register_work(struct work_struct *work)
{
	struct drvbox_net *net = container_of(work, struct drvbox_net,
					      register_work);
	struct drvbox_domain *d = net->dom;
	bool skip;
	int ret;

	mutex_lock(&net->lock);
	skip = net->dead || net->vd.state != VDEV_NONE;
	mutex_unlock(&net->lock);
	if (skip)
		return;
	ret = vdev_register(&net->vd);	/* virtio_net probes */
	if (!ret)	/* a carrier change during the probe */
		vdev_config_changed(&net->vd);
	mutex_lock(&d->lock);
	if (ret)
		pr_warn("domain %s: net:%s: cannot register virtio device: %d\n",
			d->name, net->dev, ret);
	else
		pr_info("domain %s: net:%s is %s\n", d->name, net->dev,
			dev_name(&net->vd.vdev.dev));
	net_status_fill(d);
	mutex_unlock(&d->lock);
}

/*
 * d->lock held: host_dev of each net export, the interface virtio_net
 * made.  Looked up every time: the interface may be renamed.
 */
void net_status_fill(struct drvbox_domain *d)
{
	u32 i;

	lockdep_assert_held(&d->lock);

	for (i = 0; i < d->nr_exports; i++) {
		struct drvbox_net *net = d->net[i];

		if (net)
			vdev_child_name(&net->vd, "net", d->exports[i].host_dev,
					sizeof(d->exports[i].host_dev));
	}
}

/* " NAME=a,b,...": @nr counters of @v */
static void net_sysfs_per_queue(char *buf, ssize_t *n, const char *name,
				const u64 *v, u32 nr)
{
	u32 q;

	*n += sysfs_emit_at(buf, *n, "%s", name);
	for (q = 0; q < nr; q++)
		*n += sysfs_emit_at(buf, *n, "%s%llu", q ? "," : "", v[q]);
}

/* What guest queue @gq waits for now (net->lock held). */
static const char *net_queue_waits(const struct net_queue *gq)
{
	if (gq->tx_room_wait && gq->rx_wait_bufs)
		return "room+bufs";
	if (gq->tx_room_wait)
		return "room";
	return gq->rx_wait_bufs ? "bufs" : "-";
}

/* One line of /sys/kernel/drvbox/domains/NAME/exports (d->lock held). */
bool net_sysfs_line(struct drvbox_domain *d, u32 i, char *buf, ssize_t *n)
{
	struct drvbox_net *net = d->net[i];
	u32 guest_tx_errors = 0, guest_rx_dropped = 0, ack = 0, q;
	struct drvbox_net_settings want;
	s32 settings_error = 0;
	struct net_stats st;
	const char *state;
	bool link;

	if (!net)
		return false;
	net_status_fill(d);
	net_settings_get(net, &want);
	mutex_lock(&net->lock);
	st = net->stats;
	link = net->inc && net->guest_link;
	/* the stub's own drop counts, this incarnation's; only shown */
	if (net->inc) {
		const struct drvbox_shared_guest *g =
			net->inc->shared + DRVBOX_SHARED_GUEST_OFFSET;
		const struct drvbox_net_export_state *a =
			(const void *)&g->exports[net->index];

		guest_tx_errors = READ_ONCE(a->tx_errors);
		guest_rx_dropped = READ_ONCE(a->rx_dropped);
		ack = READ_ONCE(a->settings_ack);
		settings_error = READ_ONCE(a->settings_error);
	}
	state = net->inc ? "attached" : net->error[0] ? "error" :
		net->configured ? "waiting" : "new";
	*n += sysfs_emit_at(buf, *n,
			    "%s host_dev=%s state=%s mac=%pM mtu=%u max_mtu=%u link=%s tx_packets=%llu tx_bytes=%llu tx_dropped=%llu rx_packets=%llu rx_bytes=%llu rx_dropped=%llu carrier_changes=%llu tx_csum=%llu tx_gso=%llu rx_csum_valid=%llu rx_gso=%llu rx_merged=%llu doorbells=%llu irqs=%llu copied=%llu mediator_us=%llu tx_room_waits=%llu rx_buf_waits=%llu guest_tx_errors=%u guest_rx_dropped=%u settings_seq=%u settings_ack=%u settings_error=%d",
			    d->exports[i].spec,
			    d->exports[i].host_dev[0] ?
			    d->exports[i].host_dev : "-", state, want.mac,
			    want.mtu, net->max_mtu, link ? "up" : "down",
			    st.tx_packets, st.tx_bytes, st.tx_dropped,
			    st.rx_packets, st.rx_bytes, st.rx_dropped,
			    st.carrier_changes, st.tx_csum, st.tx_gso,
			    st.rx_csum_valid, st.rx_gso, st.rx_merged,
			    st.doorbells, st.irqs, st.copied,
			    div_u64(st.mediator_ns, NSEC_PER_USEC),
			    st.tx_room_waits, st.rx_buf_waits, guest_tx_errors,
			    guest_rx_dropped, want.seq, ack,
			    settings_error);
	/* virtio_net's callbacks we made, and its notifies */
	*n += sysfs_emit_at(buf, *n, " host_irqs=%llu host_notifies=%lld",
			    net->vd.interrupts,
			    (long long)atomic64_read(&net->vd.notifies));
	/* the queues: attached, virtio_net's pairs, frames by guest queue */
	*n += sysfs_emit_at(buf, *n, " queues=%u pairs=%u/%u",
			    net->nr_gq, READ_ONCE(net->curr_pairs),
			    net->max_pairs);
	/* what each guest queue waits for now: TX room, virtio_net's buffers */
	*n += sysfs_emit_at(buf, *n, " waiting=");
	for (q = 0; q < net->nr_gq; q++)
		*n += sysfs_emit_at(buf, *n, "%s%s", q ? "," : "",
				    net_queue_waits(&net->gq[q]));
	net_sysfs_per_queue(buf, n, " tx_by_queue=", st.tx_queue,
			    net->nr_queues);
	net_sysfs_per_queue(buf, n, " rx_by_queue=", st.rx_queue,
			    net->nr_queues);
	/* and by host queue pair: which of virtio_net's vrings they used */
	net_sysfs_per_queue(buf, n, " tx_by_pair=", st.tx_pair,
			    net->max_pairs);
	net_sysfs_per_queue(buf, n, " rx_by_pair=", st.rx_pair,
			    net->max_pairs);
	*n += sysfs_emit_at(buf, *n, "\n");
	mutex_unlock(&net->lock);
	return true;
}

/**
 * net_domain_destroy() - remove the interfaces of a domain
 * @d: a domain with no incarnation left (or never listed); no locks held
 */
void net_domain_destroy(struct drvbox_domain *d)
{
	u32 i;

	for (i = 0; i < DRVBOX_MAX_EXPORTS; i++) {
		struct drvbox_net *net;

		mutex_lock(&d->lock);
		net = d->net[i];
		d->net[i] = NULL;
		mutex_unlock(&d->lock);
		if (!net)
			continue;

		mutex_lock(&net->lock);
		net->dead = true;
		if (net->inc)
			net_detach(net);
		mutex_unlock(&net->lock);
		net_settings_exit(net);
		cancel_work_sync(&net->register_work);
		if (net->vd.state == VDEV_NONE) {
			cancel_delayed_work_sync(&net->work);
			net_free(net);
			continue;
		}
		get_device(&net->vd.vdev.dev);
		vdev_unregister(&net->vd);	/* virtio_net goes */
		cancel_delayed_work_sync(&net->work);
		put_device(&net->vd.vdev.dev);	/* frees net */
	}
}
