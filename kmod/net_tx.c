// SPDX-License-Identifier: GPL-2.0
/*
 * Net exports, TX: frames virtio_net sends on the host's interface go to
 * the guest.  Each chain of host TX vring p is copied into the TX slots of
 * guest queue p % nr_gq (a 64 KiB TSO frame over a chain of slots), only
 * while that ring has room for the largest frame, and the guest is told
 * (tx_prod, its vector) when it asked (tx_event).  What the guest writes
 * back is its tx_cons, checked to lie in what we posted.  net->lock held
 * throughout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "net.h"

/* The guest queue that serves host queue pair @host_pair (for TX). */
static struct net_queue *net_gq_of(struct drvbox_net *net, u32 host_pair)
{
	return &net->gq[host_pair % net->nr_gq];
}

static u8 *net_tx_slot(struct net_queue *gq, u32 index)
{
	return gq->tx_slots + (index & (NET_DEPTH - 1)) * DRVBOX_NET_SLOT_SIZE;
}

static void net_tx_desc(struct net_queue *gq, u32 index, u32 len, u32 flags)
{
	struct drvbox_net_desc e = { .len = len, .flags = flags };

	memcpy(&gq->txd[index & (NET_DEPTH - 1)], &e, sizeof(e));
}

/*
 * Copy the (readable) chain @c into the TX slots from tx_prod on, one slot
 * after another, each but the last full and its entry flagged MORE; the
 * caller made sure NET_TX_MAX_ENTRIES are free.  Advances tx_prod (our
 * copy; net_work() publishes it).
 */
static void net_chain_to_slots(struct net_queue *gq, const struct net_chain *c)
{
	u32 idx = gq->tx_prod, fill = 0, i;
	u8 *slot = net_tx_slot(gq, idx);

	for (i = 0; i < c->nr; i++) {
		const u8 *src = c->segs[i].addr;
		u32 len = c->segs[i].len, n;

		while (len) {
			if (fill == DRVBOX_NET_SLOT_SIZE) {
				net_tx_desc(gq, idx++, fill, DRVBOX_NET_DESC_F_MORE);
				slot = net_tx_slot(gq, idx);
				fill = 0;
			}
			n = min(len, DRVBOX_NET_SLOT_SIZE - fill);
			memcpy(slot + fill, src, n);
			fill += n;
			src += n;
			len -= n;
		}
	}
	net_tx_desc(gq, idx, fill, 0);
	gq->tx_prod = idx + 1;
}

/* The guest's tx_cons, checked to lie in [our tx_cons, tx_prod]. */
static const char *net_read_tx_cons(struct net_queue *gq)
{
	u32 cons = READ_ONCE(gq->rings->tx_cons.val);

	if (cons - gq->tx_cons > gq->tx_prod - gq->tx_cons)
		return "tx_cons index";
	gq->tx_cons = cons;
	return NULL;
}

/*
 * Count what virtio_net's header asked of a frame it sent: the host's own
 * header, passed on to the stub unchecked, read back from the first TX
 * slot before tx_prod publishes it (the guest can only skew this count).
 */
static void net_count_tx_offload(struct drvbox_net *net, const u8 *slot)
{
	const struct virtio_net_hdr_v1 *hdr = (const void *)slot;

	if (READ_ONCE(hdr->flags) & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		net->stats.tx_csum++;
	if (READ_ONCE(hdr->gso_type) != VIRTIO_NET_HDR_GSO_NONE)
		net->stats.tx_gso++;
}

/* Room in the TX ring for the largest frame? */
static bool net_tx_room(struct net_queue *gq)
{
	return NET_DEPTH - (gq->tx_prod - gq->tx_cons) >= NET_TX_MAX_ENTRIES;
}

/*
 * Room for the next frame, from the guest's tx_cons.  Without room, ask
 * for a doorbell once the guest has freed half the ring: tx_room_event
 * at the index its tx_cons must pass for that (the guest looks after
 * each frame), then look again, in case it passed it before it could see
 * the event.  tx_prod does not move while we wait, so neither does the
 * event.  Half a ring is room for the largest frame (NET_TX_MAX_ENTRIES
 * <= NET_DEPTH / 2), and enough to refill in one go rather than a frame
 * per doorbell.  Returns NULL (with *@room set) or the guest's violation.
 */
static const char *net_tx_wait_room(struct net_queue *gq, bool *room)
{
	u32 want = gq->tx_prod - NET_DEPTH / 2 - 1;
	const char *bad;

	BUILD_BUG_ON(NET_TX_MAX_ENTRIES > NET_DEPTH / 2);
	for (;;) {
		bad = net_read_tx_cons(gq);
		if (bad)
			return bad;
		*room = net_tx_room(gq);
		if (*room || (gq->tx_room_wait && gq->tx_room_event == want))
			break;
		gq->tx_room_event = want;
		gq->tx_room_wait = true;
		WRITE_ONCE(gq->rings->tx_room_event.val, want);
		smp_mb();	/* the event before we read tx_cons again */
	}
	if (*room && gq->tx_room_wait) {
		/* no doorbells for freed entries while there is room */
		WRITE_ONCE(gq->rings->tx_room_event.val,
			   gq->tx_cons + BIT(31));
		gq->tx_room_wait = false;
	}
	return NULL;
}

/*
 * Host frames of TX vring @p to the guest, through guest queue @p %
 * nr_gq.  A frame goes out only while that ring has room for the largest
 * one, so a chain is never cut by a full ring.  Sets bit @p of *@tx_done
 * when virtio_net must hear of used entries, bit (guest queue) of *@kick
 * when there is something to publish.  Once the vring is empty it asks
 * for virtio_net's next notify (with EVENT_IDX none comes otherwise).
 * Returns NULL or the guest's violation.
 */
static const char *net_tx_pair(struct drvbox_net *net, u32 p,
			       struct net_chain *c, unsigned long *tx_done,
			       unsigned long *kick)
{
	unsigned int vq = net_tx_vq(p);
	struct net_queue *gq = net->inc ? net_gq_of(net, p) : NULL;
	const char *bad = NULL;
	bool room = true;
	int ret;

	/* until empty, then ask for a notify and look once more */
	do {
		while (vdev_avail(&net->vd, vq)) {
			if (gq) {
				bad = net_tx_wait_room(gq, &room);
				if (!bad && !room)
					net->stats.tx_room_waits++;
				/* without room the guest's doorbell brings us back */
				if (bad || !room)
					return bad;
			}
			ret = net_pop(net, vq, false, c);
			if (ret < 0)
				__set_bit(p, tx_done);
			if (ret <= 0)
				continue;
			__set_bit(p, tx_done);
			if (!gq || c->total < NET_MIN_LEN ||
			    c->total > DRVBOX_NET_MAX_FRAME) {
				net->stats.tx_dropped++;
			} else {
				u8 *first = net_tx_slot(gq, gq->tx_prod);
				u32 g = gq - net->gq;

				net_chain_to_slots(gq, c);
				net->stats.copied += c->total - DRVBOX_NET_HDR_LEN;
				net_count_tx_offload(net, first);
				net->stats.tx_packets++;
				net->stats.tx_queue[g]++;
				net->stats.tx_pair[p]++;
				net->stats.tx_bytes += c->total - DRVBOX_NET_HDR_LEN;
				__set_bit(g, kick);
			}
			vdev_push_used(&net->vd, vq, c->head, 0);
		}
	} while (vdev_enable_notify(&net->vd, vq));
	return NULL;
}

/* Host frames of every TX vring to the guest (see net_tx_pair()). */
const char *net_tx(struct drvbox_net *net, unsigned long *tx_done,
		   unsigned long *kick)
{
	const char *bad = NULL;
	u32 p;

	for (p = 0; p < net->max_pairs && !bad; p++)
		bad = net_tx_pair(net, p, net->tx_chain, tx_done, kick);
	return bad;
}

/*
 * Publish tx_prod of @gq; signal the guest if it asked (tx_event) or
 * @always.  net->lock held, net->inc set.
 */
void net_tx_publish(struct drvbox_net *net, struct net_queue *gq, bool always)
{
	u32 old = gq->tx_published, event;

	lockdep_assert_held(&net->lock);

	/* entries and slots before the index that announces them */
	smp_wmb();
	WRITE_ONCE(gq->rings->tx_prod.val, gq->tx_prod);
	gq->tx_published = gq->tx_prod;
	smp_mb();	/* tx_prod before we read the guest's event */
	event = READ_ONCE(gq->rings->tx_event.val);
	if (always || DRVBOX_NEED_EVENT(event, gq->tx_prod, old)) {
		net->stats.irqs++;
		drvbox_eventfd_signal(gq->irq);
	}
}
