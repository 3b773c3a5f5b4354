// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: a guest netdev handed to the host (uapi/drvbox_guest.h,
 * "Network exports").
 *
 * Queues: the host offers up to DRVBOX_EXPORT_MAX_QUEUES; we serve as many
 * as the netdev has RX queues (one at least), and as we have MSI-X vectors
 * and doorbells for, and answer that count.  Queue q has its own rings,
 * slots, doorbell and vector (first_queue_index + q), its own TX work and
 * its own RX producer lock, so the queues never wait for one another; the
 * netdev, its settings, carrier and counters are the export's, shared by
 * all of them.
 *
 * TX: the host posts frames in a queue's TX slots (a GSO or jumbo frame
 * over several) and signals that queue's MSI-X vector; the queue's work
 * item builds an skb of each (applying the virtio_net_hdr offload request,
 * if any: checksum, and segmentation by the NIC or, if it cannot, by the
 * guest's stack) and dev_queue_xmit()s it on the netdev (its driver picks
 * the NIC's TX queue), then publishes the queue's tx_cons, and rings the
 * queue's doorbell when tx_cons passes the index the host waits for
 * (tx_room_event: half the ring free).
 *
 * RX: an rx_handler on the netdev takes every frame the isolated driver
 * receives, after GRO (RX_HANDLER_CONSUMED: the guest's own stack never
 * sees them), and passes it to the host on queue r % nr_queues, r being
 * the NIC's RX queue (0 if the driver recorded none): a flow stays on one
 * NIC queue, so it stays on one of ours and in order.  It copies the frame
 * with a virtio_net_hdr into that queue's next RX slot (a GRO-merged TCP
 * frame or a jumbo frame into several), publishes rx_prod and rings that
 * queue's doorbell if the host asked (rx_event).  A full ring drops the
 * frame (counted), and so does a frame that is not GSO and longer than the
 * MTU allows (MTU + VLAN_ETH_HLEN).
 *
 * Settings: the netdev does what the host's interface asks of it (the host
 * page's net_settings[], same index as the export: up, MAC, MTU,
 * promiscuous, all-multicast, secondary unicast and multicast addresses).
 * The host signals a new seq on queue 0's vector only; the settings work
 * applies it under RTNL and acks it in our answer (settings_error, then
 * settings_ack) once the answer is READY.  A new incarnation finds a seq
 * already posted and applies it before it answers, so the answer's MAC and
 * MTU are the host's.  Promiscuity and all-multicast are counts and the
 * address lists are refcounted: we add and take back only our own share
 * (the guest's stack keeps its own), and unexport takes back what we added
 * but leaves the netdev up, with the MAC and MTU the host gave it.  While
 * the host has asked nothing (seq 0) the netdev is left as found, only
 * brought up.
 *
 * A netdevice notifier follows the carrier into the LINK_UP flag of our
 * answer.  The export work publishes the answer and never touches it
 * again; after that (state READY) the link work is the only writer of its
 * flags field, the settings work of settings_ack and settings_error, and
 * stub_net_counters() (one at a time, for every queue) of tx_errors and
 * rx_dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_net.h>
#include <net/net_namespace.h>

#include "stub.h"

/* How often the link and settings works look again until we are READY. */
#define STUB_NET_READY_RETRY_MS	20

/* How often a settings read that saw the host writing is tried again. */
#define STUB_NET_SETTINGS_TRIES	4

/**
 * struct stub_net_addrs - addresses we added to a netdev's list
 * @nr: entries used in @addr
 * @addr: the addresses, in the host's order
 */
struct stub_net_addrs {
	u8 nr;
	u8 addr[DRVBOX_NET_MAX_ADDRS][ETH_ALEN];
};

/**
 * struct stub_net_queue - one queue of a net export
 * @sn: its export
 * @index: queue number within the export (0: the settings signal too)
 * @vector: doorbell and MSI-X vector (first_queue_index + @index)
 * @irq: Linux irq of @vector
 * @rings: the queue's indices in the shared area
 * @txd: TX entries
 * @rxd: RX entries
 * @tx_slots: TX slots
 * @rx_slots: RX slots
 * @tx_work: transmits what the host posted on this queue
 * @tx_cons: TX entries taken (@tx_work only)
 * @rx_lock: serializes RX producers (the rx_handler may run on any CPU,
 *	and several NIC queues may fold onto this one)
 * @rx_prod: RX entries posted (under @rx_lock)
 * @rx_full_rung: the doorbell was rung once since the RX ring filled
 *	(under @rx_lock)
 * @irq_name: for /proc/interrupts
 */
struct stub_net_queue {
	struct stub_net *sn;
	u32 index;
	u32 vector;
	int irq;
	struct drvbox_net_rings *rings;
	struct drvbox_net_desc *txd, *rxd;
	u8 *tx_slots, *rx_slots;
	struct work_struct tx_work;
	u32 tx_cons;
	spinlock_t rx_lock;
	u32 rx_prod;
	bool rx_full_rung;
	char irq_name[64];
};

/**
 * struct stub_net - one net export
 * @sd: the drvbox device
 * @index: export index (our answer is guest->exports[@index])
 * @dev: the netdev (reference held)
 * @depth: entries per ring (power of two), the same on every queue
 * @slot_size: bytes per slot
 * @nr_queues: queues served (1..DRVBOX_EXPORT_MAX_QUEUES); fixed once the
 *	rx_handler is registered, which reads it
 * @queues: the queues; the first @nr_queues are set up
 * @nb: netdevice notifier for the carrier
 * @nb_registered: @nb is on the notifier chain
 * @link_work: copies the carrier into the answer's flags
 * @features_off: the GRO/LRO features we turned off (on again at unexport)
 * @counters_lock: serializes stub_net_counters(): every queue's TX work
 *	and the rx_handler on any CPU write the same two fields of the
 *	answer, and a late writer must not put back an older count
 * @rx_dropped: frames we dropped on any queue (RX ring full, a frame the
 *	host cannot take); shown to the host in the answer
 * @tx_errors: TX frames we could not send, on any queue; shown to the host
 *	likewise
 * @settings_work: applies the host's net_settings[@index] and acks it; it
 *	waits for our answer to be READY and is from then on the only writer
 *	of the answer's settings_ack and settings_error and of the fields
 *	below (before that, stub_net_export() applies a seq already posted;
 *	unexport takes back what they hold once the work is cancelled)
 * @settings_seq: the host's settings seq last applied (0: none); queue 0's
 *	IRQ handler reads it to see whether there is a new one
 * @promisc: we hold a promiscuity count on the netdev
 * @allmulti: we hold an all-multicast count on the netdev
 * @uc: the secondary unicast addresses we added
 * @mc: the multicast addresses we added
 */
struct stub_net {
	struct stub_dev *sd;
	u32 index;
	struct net_device *dev;
	u32 depth, slot_size;
	u32 nr_queues;
	struct stub_net_queue queues[DRVBOX_EXPORT_MAX_QUEUES];
	struct notifier_block nb;
	bool nb_registered;
	struct delayed_work link_work;
	netdev_features_t features_off;
	spinlock_t counters_lock;
	atomic64_t rx_dropped;
	atomic64_t tx_errors;
	struct delayed_work settings_work;
	u32 settings_seq;
	bool promisc, allmulti;
	struct stub_net_addrs uc, mc;
};

static void stub_net_ring(struct stub_net_queue *q)
{
	wmb();	/* entries, slots and indices before the doorbell */
	iowrite32(1, q->sn->sd->bar0 + DRVBOX_BAR0_DOORBELL(q->vector));
}

/* Slot @index (any ring index: it wraps) of the slots at @slots. */
static u8 *stub_net_slot(const struct stub_net *sn, u8 *slots, u32 index)
{
	return slots + (size_t)(index & (sn->depth - 1)) * sn->slot_size;
}

static struct drvbox_net_export_state *stub_net_answer(struct stub_net *sn)
{
	return (struct drvbox_net_export_state *)&sn->sd->guest->exports[sn->index];
}

/*
 * Our drop counters (the export's, all queues together), into the answer
 * for the host to show, once the export work has published it (before
 * that it would overwrite them).
 */
static void stub_net_counters(struct stub_net *sn)
{
	struct drvbox_net_export_state *a = stub_net_answer(sn);
	unsigned long flags;

	if (virt_load_acquire(&a->state) != DRVBOX_EXPORT_READY)
		return;
	/* any context: the rx_handler's, a TX work's */
	spin_lock_irqsave(&sn->counters_lock, flags);
	WRITE_ONCE(a->tx_errors, (u32)atomic64_read(&sn->tx_errors));
	WRITE_ONCE(a->rx_dropped, (u32)atomic64_read(&sn->rx_dropped));
	spin_unlock_irqrestore(&sn->counters_lock, flags);
}

/* ---- TX: host -> netdev ------------------------------------------ */

/* Apply the header's offload request; false if it makes no sense. */
static bool stub_net_tx_offload(struct sk_buff *skb,
				const struct virtio_net_hdr_v1 *hdr)
{
	u16 gso_size;
	u32 hlen;

	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!skb_partial_csum_set(skb, __virtio16_to_cpu(true, hdr->csum_start),
					  __virtio16_to_cpu(true, hdr->csum_offset)))
			return false;
	}
	switch (hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV6;
		break;
	default:
		return false;
	}
	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !hdr->gso_size)
		return false;
	if (hdr->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		skb_shinfo(skb)->gso_type |= SKB_GSO_TCP_ECN;
	gso_size = __virtio16_to_cpu(true, hdr->gso_size);
	/*
	 * The host's own stack built this frame (virtio_net hands the mediator
	 * the skb's header): not SKB_GSO_DODGY, which would make the guest's
	 * stack segment it in software for any NIC without NETIF_F_GSO_ROBUST
	 * (e1000e has none), so the NIC's TSO cuts it.  The TCP header must be
	 * in the linear part (stub_net_tx_skb() puts 256 bytes there).
	 */
	hlen = skb_transport_offset(skb) + sizeof(struct tcphdr);
	if (hlen > skb_headlen(skb))
		return false;
	hlen = skb_tcp_all_headers(skb);
	if (hlen > skb_headlen(skb) || skb->len <= hlen)
		return false;
	skb_shinfo(skb)->gso_size = gso_size;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(skb->len - hlen, gso_size);
	return true;
}

/* Linear bytes of a chained frame's skb (GSO, jumbo): its headers, at least. */
#define STUB_NET_TX_HEAD	256

/*
 * The skb for a frame of @len bytes (after the header): linear if it fits
 * a slot, else STUB_NET_TX_HEAD linear bytes (where the offload wants the
 * headers) and page fragments.
 */
static struct sk_buff *stub_net_tx_skb(struct stub_net *sn, u32 len)
{
	struct sk_buff *skb;
	u32 head = len;
	int err;

	if (len <= sn->slot_size - DRVBOX_NET_HDR_LEN) {
		skb = netdev_alloc_skb(sn->dev, len + NET_IP_ALIGN);
	} else {
		head = STUB_NET_TX_HEAD;
		skb = alloc_skb_with_frags(head + NET_IP_ALIGN, len - head,
					   PAGE_ALLOC_COSTLY_ORDER, &err,
					   GFP_KERNEL);
	}
	if (!skb)
		return NULL;
	skb_reserve(skb, NET_IP_ALIGN);
	skb_put(skb, head);
	/* alloc_skb_with_frags() attaches the pages; the lengths are ours */
	skb->data_len = len - head;
	skb->len += len - head;
	return skb;
}

/*
 * Transmit the frame whose first entry is @q's tx_cons; entries up to
 * @prod are the host's.  Returns the number of entries it took (at least
 * one; a broken frame is counted in tx_errors and skipped).
 */
static u32 stub_net_tx_frame(struct stub_net_queue *q, u32 prod)
{
	struct stub_net *sn = q->sn;
	u32 mask = sn->depth - 1, n = 0, len = 0, off, k, flags = 0;
	struct virtio_net_hdr_v1 hdr;
	struct sk_buff *skb;
	const u8 *slot;

	/* the frame's entries: MORE on all but the last, full slots */
	do {
		u32 e = READ_ONCE(q->txd[(q->tx_cons + n) & mask].len);

		flags = READ_ONCE(q->txd[(q->tx_cons + n) & mask].flags);
		n++;
		if (e > sn->slot_size ||
		    ((flags & DRVBOX_NET_DESC_F_MORE) && e != sn->slot_size))
			goto err;
		len += e;
	} while ((flags & DRVBOX_NET_DESC_F_MORE) && q->tx_cons + n != prod);
	if ((flags & DRVBOX_NET_DESC_F_MORE) ||
	    len < DRVBOX_NET_HDR_LEN + ETH_HLEN || len > DRVBOX_NET_MAX_FRAME)
		goto err;

	slot = stub_net_slot(sn, q->tx_slots, q->tx_cons);
	memcpy(&hdr, slot, sizeof(hdr));
	len -= DRVBOX_NET_HDR_LEN;
	skb = stub_net_tx_skb(sn, len);
	if (!skb)
		goto err;
	/* the frame is the slots' bytes in order, less the header */
	for (k = 0, off = 0; k < n; k++) {
		u32 e = READ_ONCE(q->txd[(q->tx_cons + k) & mask].len);
		u32 skip = k ? 0 : DRVBOX_NET_HDR_LEN;

		slot = stub_net_slot(sn, q->tx_slots, q->tx_cons + k);
		if (e < skip || off + (e - skip) > len ||
		    skb_store_bits(skb, off, slot + skip, e - skip))
			goto err_free;
		off += e - skip;
	}
	if (off != len)
		goto err_free;
	skb_reset_mac_header(skb);
	skb->protocol = eth_hdr(skb)->h_proto;
	skb_set_network_header(skb, ETH_HLEN);
	if (!stub_net_tx_offload(skb, &hdr))
		goto err_free;
	skb->dev = sn->dev;
	dev_queue_xmit(skb);
	return n;

err_free:
	kfree_skb(skb);
err:
	atomic64_inc(&sn->tx_errors);
	return n;
}

/*
 * Everything the host posted on the queue, until it posts no more: after
 * the last entry we ask for a signal at the next one (tx_event) and look
 * once more.  After each frame, the doorbell if our tx_cons passed the
 * index the host waits for (tx_room_event): it refills while we send the
 * rest, instead of after the whole pass.
 */
static void stub_net_tx_work(struct work_struct *work)
{
	struct stub_net_queue *q = container_of(work, struct stub_net_queue,
						tx_work);
	struct stub_net *sn = q->sn;
	u32 start = q->tx_cons, prod, old;

	for (;;) {
		prod = READ_ONCE(q->rings->tx_prod.val);
		/* the entries after the index that announced them */
		smp_rmb();
		if (prod - q->tx_cons > sn->depth)	/* trusted; be safe */
			prod = q->tx_cons + sn->depth;
		while (q->tx_cons != prod) {
			old = q->tx_cons;
			q->tx_cons += stub_net_tx_frame(q, prod);
			WRITE_ONCE(q->rings->tx_cons.val, q->tx_cons);
			smp_mb();	/* tx_cons before we read the host's event */
			if (DRVBOX_NEED_EVENT(READ_ONCE(q->rings->tx_room_event.val),
					      q->tx_cons, old))
				stub_net_ring(q);
		}
		WRITE_ONCE(q->rings->tx_event.val, q->tx_cons);
		smp_mb();	/* tx_cons and the event before the reads */
		if (READ_ONCE(q->rings->tx_prod.val) == q->tx_cons)
			break;
		cond_resched();
	}
	if (q->tx_cons != start)
		stub_net_counters(sn);
}

/*
 * Is our answer out (READY)?  If the export work has not published it
 * yet, @dw (the link or the settings work) looks again in a moment.
 */
static bool stub_net_answered(struct stub_net *sn, struct delayed_work *dw)
{
	if (virt_load_acquire(&stub_net_answer(sn)->state) ==
	    DRVBOX_EXPORT_READY)
		return true;
	schedule_delayed_work(dw, msecs_to_jiffies(STUB_NET_READY_RETRY_MS));
	return false;
}

static struct drvbox_net_settings *stub_net_settings(struct stub_net *sn)
{
	return &sn->sd->host->net_settings[sn->index];
}

/*
 * TX frames on queue @data; on queue 0 (the settings signal's vector)
 * maybe new settings too (a cheap look: the settings work looks again).
 */
static irqreturn_t stub_net_irq(int irq, void *data)
{
	struct stub_net_queue *q = data;
	struct stub_net *sn = q->sn;

	queue_work(system_highpri_wq, &q->tx_work);
	if (!q->index &&
	    READ_ONCE(stub_net_settings(sn)->seq) != READ_ONCE(sn->settings_seq))
		schedule_delayed_work(&sn->settings_work, 0);
	return IRQ_HANDLED;
}

/* ---- RX: netdev -> host ------------------------------------------ */

/*
 * The virtio_net_hdr for a frame the NIC received: DATA_VALID if the NIC
 * verified its checksum; for a TCP frame GRO merged (CHECKSUM_PARTIAL at
 * the TCP checksum), the GSO fields.  False if the host could not take it.
 */
static bool stub_net_rx_hdr(struct sk_buff *skb, struct virtio_net_hdr_v1 *hdr)
{
	struct skb_shared_info *sh = skb_shinfo(skb);

	memset(hdr, 0, sizeof(*hdr));
	if (!skb_is_gso(skb)) {
		/* the NIC checked the TCP/UDP checksum: the host need not */
		if (skb->ip_summed == CHECKSUM_UNNECESSARY)
			hdr->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		else if (skb->ip_summed == CHECKSUM_PARTIAL &&
			 skb_checksum_help(skb))
			return false;
		return true;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL ||
	    (sh->gso_type & ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_TCP_ECN |
			      SKB_GSO_TCP_FIXEDID | SKB_GSO_DODGY)))
		return false;
	if (sh->gso_type & SKB_GSO_TCPV4)
		hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	else if (sh->gso_type & SKB_GSO_TCPV6)
		hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	else
		return false;
	if (sh->gso_type & SKB_GSO_TCP_ECN)
		hdr->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->gso_size = __cpu_to_virtio16(true, sh->gso_size);
	hdr->hdr_len = __cpu_to_virtio16(true, skb_tcp_all_headers(skb));
	hdr->csum_start = __cpu_to_virtio16(true, skb_checksum_start_offset(skb));
	hdr->csum_offset = __cpu_to_virtio16(true, skb->csum_offset);
	return true;
}

/*
 * Copy header and frame into @q's RX slots from its rx_prod on: one slot,
 * or for a GRO-merged or jumbo frame several, each but the last full and
 * flagged MORE.  Under @q's rx_lock; the caller checked there is room.
 * False if the skb could not be read.
 */
static bool stub_net_rx_copy(struct stub_net_queue *q, struct sk_buff *skb,
			     const struct virtio_net_hdr_v1 *hdr, u32 n)
{
	struct stub_net *sn = q->sn;
	u32 mask = sn->depth - 1, off = 0, k;

	for (k = 0; k < n; k++) {
		u32 i = (q->rx_prod + k) & mask, hl = k ? 0 : DRVBOX_NET_HDR_LEN;
		u8 *slot = stub_net_slot(sn, q->rx_slots, i);
		u32 chunk = min(skb->len - off, sn->slot_size - hl);

		if (hl)
			memcpy(slot, hdr, hl);
		if (skb_copy_bits(skb, off, slot + hl, chunk))
			return false;
		off += chunk;
		WRITE_ONCE(q->rxd[i].len, hl + chunk);
		WRITE_ONCE(q->rxd[i].flags, k + 1 < n ? DRVBOX_NET_DESC_F_MORE : 0);
		WRITE_ONCE(q->rxd[i].reserved, 0);
	}
	return true;
}

/*
 * Our queue for a frame the NIC received on its RX queue r: r folded onto
 * ours (r % nr_queues), so a flow, which the NIC keeps on one RX queue,
 * keeps to one of ours and stays in order.  Queue 0 if the driver did not
 * record r.
 */
static struct stub_net_queue *stub_net_rx_queue(struct stub_net *sn,
						const struct sk_buff *skb)
{
	u32 r = skb_rx_queue_recorded(skb) ? skb_get_rx_queue(skb) : 0;

	return &sn->queues[r % sn->nr_queues];
}

static rx_handler_result_t stub_net_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct stub_net *sn = rcu_dereference(skb->dev->rx_handler_data);
	struct stub_net_queue *q = stub_net_rx_queue(sn, skb);
	struct virtio_net_hdr_v1 hdr;
	u32 len, n, cons, old;
	bool ring;

	if (skb->pkt_type == PACKET_LOOPBACK)
		return RX_HANDLER_PASS;
	/* a packet socket may hold it too: we move its data pointer */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		goto dropped;
	/* the Ethernet header again, and a VLAN tag the NIC took off */
	skb_push(skb, skb->data - skb_mac_header(skb));
	if (skb_vlan_tag_present(skb)) {
		skb = vlan_insert_tag_set_proto(skb, skb->vlan_proto,
						skb_vlan_tag_get(skb));
		if (!skb)
			goto dropped;	/* freed by vlan_insert_tag */
		__vlan_hwaccel_clear_tag(skb);
	}
	len = skb->len;
	if (!stub_net_rx_hdr(skb, &hdr))
		goto drop;
	/* one slot, or a chain of them: GRO-merged TCP, or a jumbo frame */
	n = DIV_ROUND_UP(DRVBOX_NET_HDR_LEN + len, sn->slot_size);
	if (DRVBOX_NET_HDR_LEN + len > DRVBOX_NET_MAX_FRAME ||
	    (hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	     len > READ_ONCE(sn->dev->mtu) + VLAN_ETH_HLEN)) {
		net_warn_ratelimited("%s: drvbox: dropped a %u-byte frame, larger than the MTU allows\n",
				     sn->dev->name, len);
		goto drop;
	}

	spin_lock(&q->rx_lock);
	cons = READ_ONCE(q->rings->rx_cons.val);
	if (q->rx_prod - cons + n > sn->depth) {
		/*
		 * Full: the host is busy or missed an event.  One doorbell
		 * per full spell (ringing too often is allowed), so that a
		 * lost notification costs a few frames, never the stream.
		 */
		ring = !q->rx_full_rung;
		q->rx_full_rung = true;
		spin_unlock(&q->rx_lock);
		if (ring)
			stub_net_ring(q);
		goto drop;
	}
	if (!stub_net_rx_copy(q, skb, &hdr, n)) {
		spin_unlock(&q->rx_lock);
		goto drop;
	}
	q->rx_full_rung = false;
	old = q->rx_prod;
	q->rx_prod += n;
	/* entries and slots before the index that announces them */
	smp_wmb();
	WRITE_ONCE(q->rings->rx_prod.val, q->rx_prod);
	smp_mb();	/* rx_prod before we read the host's event */
	ring = DRVBOX_NEED_EVENT(READ_ONCE(q->rings->rx_event.val),
				 q->rx_prod, old);
	spin_unlock(&q->rx_lock);
	if (ring)
		stub_net_ring(q);
	consume_skb(skb);
	return RX_HANDLER_CONSUMED;

drop:
	kfree_skb(skb);
dropped:
	atomic64_inc(&sn->rx_dropped);
	stub_net_counters(sn);
	return RX_HANDLER_CONSUMED;
}

/*
 * LRO and hardware GRO off while exported (@on false), as they were after
 * (true): the frames they merge carry no GSO metadata the host could
 * check.  Software GRO stays on: its TCP frames (up to 64 KiB) go to the
 * host over a chain of RX slots, with their GSO fields.  RTNL held.
 */
static void stub_net_features(struct stub_net *sn, bool on)
{
	if (!sn->features_off)
		return;
	if (on)
		sn->dev->wanted_features |= sn->features_off;
	else
		sn->dev->wanted_features &= ~sn->features_off;
	netdev_update_features(sn->dev);
}

/* ---- settings: host -> netdev ------------------------------------ */

/*
 * A copy of the host's settings for us, safe to apply (address counts
 * clamped); false if the host has asked nothing (seq 0), or kept changing
 * them while we read (its next signal brings the settings work back).
 */
static bool stub_net_settings_read(struct stub_net *sn,
				   struct drvbox_net_settings *s)
{
	const struct drvbox_net_settings *hs = stub_net_settings(sn);
	u32 seq, tries;

	for (tries = 0; tries < STUB_NET_SETTINGS_TRIES; tries++) {
		seq = virt_load_acquire(&hs->seq);
		if (!seq)
			return false;
		memcpy(s, hs, sizeof(*s));
		virt_rmb();	/* the copy before the second look at seq */
		if (READ_ONCE(hs->seq) != seq)
			continue;
		s->seq = seq;
		s->nr_uc = min_t(u8, s->nr_uc, DRVBOX_NET_MAX_ADDRS);
		s->nr_mc = min_t(u8, s->nr_mc, DRVBOX_NET_MAX_ADDRS - s->nr_uc);
		return true;
	}
	return false;
}

/* Keep the first error of a pass in *@err. */
static void stub_net_first_err(int *err, int ret)
{
	if (!*err)
		*err = ret;
}

/* RTNL held, as for every stub_net_set_*() below. */
static int stub_net_set_mac(struct net_device *dev, const u8 *mac)
{
	struct sockaddr sa = { .sa_family = dev->type };

	if (ether_addr_equal(dev->dev_addr, mac))
		return 0;
	if (!is_valid_ether_addr(mac))
		return -EINVAL;
	memcpy(sa.sa_data, mac, ETH_ALEN);
	return dev_set_mac_address(dev, &sa, NULL);
}

/* No more than an export may have, whatever the netdev takes. */
static int stub_net_set_mtu(struct net_device *dev, u32 mtu)
{
	if (mtu == dev->mtu)
		return 0;
	if (mtu > DRVBOX_NET_MAX_MTU)
		return -EINVAL;
	return dev_set_mtu(dev, mtu);
}

/*
 * Hold our count on a counted flag (@set: dev_set_promiscuity() or
 * dev_set_allmulti()) or not, as @want says.
 */
static int stub_net_set_count(struct net_device *dev, bool *ours, bool want,
			      int (*set)(struct net_device *dev, int inc))
{
	int ret;

	if (*ours == want)
		return 0;
	ret = set(dev, want ? 1 : -1);
	if (!ret)
		*ours = want;
	return ret;
}

static int stub_net_addr_add(struct net_device *dev, const u8 *addr, bool mc)
{
	if (mc)
		return is_multicast_ether_addr(addr) ? dev_mc_add(dev, addr) :
						       -EINVAL;
	return is_valid_ether_addr(addr) ? dev_uc_add(dev, addr) : -EINVAL;
}

static void stub_net_addr_del(struct net_device *dev, const u8 *addr, bool mc)
{
	if (mc)
		dev_mc_del(dev, addr);
	else
		dev_uc_del(dev, addr);
}

/*
 * Make the multicast (@mc) or secondary unicast addresses we added, @ours,
 * the @nr at @want, unless they are those already.  The lists count
 * references: the new ones go in before the old ones go out, so an address
 * on both stays in the filter throughout.  @ours keeps those that went in.
 */
static int stub_net_set_addrs(struct net_device *dev,
			      struct stub_net_addrs *ours,
			      const u8 (*want)[ETH_ALEN], u32 nr, bool mc)
{
	struct stub_net_addrs old = *ours;
	int ret, err = 0;
	u32 i;

	if (nr == ours->nr && (!nr || !memcmp(ours->addr, want, nr * ETH_ALEN)))
		return 0;
	ours->nr = 0;
	for (i = 0; i < nr; i++) {
		ret = stub_net_addr_add(dev, want[i], mc);
		if (ret)
			stub_net_first_err(&err, ret);
		else
			memcpy(ours->addr[ours->nr++], want[i], ETH_ALEN);
	}
	for (i = 0; i < old.nr; i++)
		stub_net_addr_del(dev, old.addr[i], mc);
	return err;
}

/*
 * Make the netdev what @s asks and note @s's seq as applied; RTNL held.
 * Down first and up last, so a netdev going down or coming up takes its
 * new MAC and MTU while down.  Returns the first error, or 0.
 */
static int stub_net_settings_apply(struct stub_net *sn,
				   const struct drvbox_net_settings *s)
{
	struct net_device *dev = sn->dev;
	bool up = s->flags & DRVBOX_NET_SET_UP;
	int err = 0;

	ASSERT_RTNL();
	if (!up && (dev->flags & IFF_UP))
		dev_close(dev);
	stub_net_first_err(&err, stub_net_set_mac(dev, s->mac));
	stub_net_first_err(&err, stub_net_set_mtu(dev, s->mtu));
	stub_net_first_err(&err, stub_net_set_count(dev, &sn->promisc,
						    s->flags & DRVBOX_NET_SET_PROMISC,
						    dev_set_promiscuity));
	stub_net_first_err(&err, stub_net_set_count(dev, &sn->allmulti,
						    s->flags & DRVBOX_NET_SET_ALLMULTI,
						    dev_set_allmulti));
	stub_net_first_err(&err, stub_net_set_addrs(dev, &sn->uc, s->addrs,
						    s->nr_uc, false));
	stub_net_first_err(&err, stub_net_set_addrs(dev, &sn->mc,
						    s->addrs + s->nr_uc,
						    s->nr_mc, true));
	if (up && !(dev->flags & IFF_UP))
		stub_net_first_err(&err, dev_open(dev, NULL));
	WRITE_ONCE(sn->settings_seq, s->seq);
	return err;
}

/* Take back what the settings added (not the MAC, MTU or up); RTNL held. */
static void stub_net_settings_undo(struct stub_net *sn)
{
	stub_net_set_count(sn->dev, &sn->promisc, false, dev_set_promiscuity);
	stub_net_set_count(sn->dev, &sn->allmulti, false, dev_set_allmulti);
	stub_net_set_addrs(sn->dev, &sn->uc, NULL, 0, false);
	stub_net_set_addrs(sn->dev, &sn->mc, NULL, 0, true);
}

/* Seq @seq applied, with the pass's first error @err: tell the host. */
static void stub_net_settings_ack(struct stub_net *sn, u32 seq, int err)
{
	struct drvbox_net_export_state *a = stub_net_answer(sn);

	WRITE_ONCE(a->settings_error, err);
	virt_wmb();	/* the error before the ack that makes it valid */
	WRITE_ONCE(a->settings_ack, seq);
	stub_ring_control(sn->sd);
}

static void stub_net_settings_work(struct work_struct *work)
{
	struct stub_net *sn = container_of(to_delayed_work(work),
					   struct stub_net, settings_work);
	struct drvbox_net_settings s;
	int err;

	if (!stub_net_answered(sn, &sn->settings_work))
		return;
	if (!stub_net_settings_read(sn, &s) || s.seq == sn->settings_seq)
		return;
	rtnl_lock();
	err = stub_net_settings_apply(sn, &s);
	rtnl_unlock();
	stub_net_settings_ack(sn, s.seq, err);
}

/* ---- the answer and the carrier ---------------------------------- */

/*
 * The largest MTU the export takes: the netdev's limit (0: none), at most
 * DRVBOX_NET_MAX_MTU, and never below the MTU it has.
 */
static u32 stub_net_max_mtu(const struct net_device *dev)
{
	u32 lim = DRVBOX_NET_MAX_MTU;

	if (dev->max_mtu && dev->max_mtu < lim)
		lim = dev->max_mtu;
	return max(lim, dev->mtu);
}

static void stub_net_link_work(struct work_struct *work)
{
	struct stub_net *sn = container_of(to_delayed_work(work),
					   struct stub_net, link_work);
	struct drvbox_net_export_state *a = stub_net_answer(sn);
	u32 flags = netif_running(sn->dev) && netif_carrier_ok(sn->dev) ?
		    DRVBOX_NET_F_LINK_UP : 0;

	if (!stub_net_answered(sn, &sn->link_work))
		return;
	if (READ_ONCE(a->flags) != flags) {
		WRITE_ONCE(a->flags, flags);
		stub_ring_control(sn->sd);
	}
}

static int stub_net_notify(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct stub_net *sn = container_of(nb, struct stub_net, nb);

	if (netdev_notifier_info_to_dev(ptr) != sn->dev)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		mod_delayed_work(system_wq, &sn->link_work, 0);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * The request is the host's (trusted), but a bad one must not crash us:
 * every queue it offers lies in the shared area, after the two pages and
 * clear of the next, with its entries before its slots, and queue 0 has a
 * vector and a doorbell (stub_net_nr_queues() leaves out the queues that
 * have none).
 */
static int stub_net_check_req(struct stub_dev *sd,
			      const struct drvbox_export_req *r)
{
	u64 entries = sizeof(struct drvbox_net_rings) +
		      2ULL * r->queue_depth * sizeof(struct drvbox_net_desc);
	/* one queue's rings, entries and slots */
	u64 bytes = DRVBOX_NET_SLOTS_OFFSET +
		    2ULL * r->queue_depth * r->slot_size;
	u64 need;

	if (!r->nr_queues || r->nr_queues > DRVBOX_EXPORT_MAX_QUEUES ||
	    !r->queue_depth || !is_power_of_2(r->queue_depth) ||
	    entries > DRVBOX_NET_SLOTS_OFFSET ||
	    r->slot_size < DRVBOX_NET_HDR_LEN + ETH_FRAME_LEN ||
	    r->slot_size > (1U << 20) ||
	    r->ring_offset < DRVBOX_SHARED_MIN_SIZE ||
	    r->first_queue_index == DRVBOX_VEC_CONTROL ||
	    r->first_queue_index >= sd->nr_vectors ||
	    r->first_queue_index >= sd->nr_doorbells)
		return -EINVAL;
	need = r->ring_offset + (u64)(r->nr_queues - 1) * r->ring_stride + bytes;
	if ((r->nr_queues > 1 && r->ring_stride < bytes) || need > sd->shared_len)
		return -EINVAL;
	return 0;
}

/*
 * The queues we serve: those the host offers, but no more than the netdev
 * has RX queues (RX follows the NIC's queue: a queue of ours beyond them
 * would never carry a frame to the host), nor than have a vector (we may
 * have been given fewer than the device has) and a doorbell.
 */
static u32 stub_net_nr_queues(const struct stub_dev *sd,
			      const struct drvbox_export_req *r,
			      const struct net_device *dev)
{
	u32 nr = min(r->nr_queues, max(1U, dev->real_num_rx_queues));

	return min3(nr, sd->nr_vectors - r->first_queue_index,
		    sd->nr_doorbells - r->first_queue_index);
}

/* The IRQs of queues 0..@nr - 1 go, then their TX work. */
static void stub_net_free_irqs(struct stub_net *sn, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		struct stub_net_queue *q = &sn->queues[i];

		free_irq(q->irq, q);
		cancel_work_sync(&q->tx_work);
	}
}

/*
 * Queues 0..nr_queues - 1 of @req: their place in the shared area and
 * their interrupts.  On failure none of their IRQs is left requested.
 */
static int stub_net_setup_queues(struct stub_net *sn,
				 const struct drvbox_export_req *req)
{
	struct stub_dev *sd = sn->sd;
	u32 i;
	int ret;

	for (i = 0; i < sn->nr_queues; i++) {
		struct stub_net_queue *q = &sn->queues[i];
		u8 *base = (u8 *)sd->shared + req->ring_offset +
			   (size_t)i * req->ring_stride;

		q->sn = sn;
		q->index = i;
		q->vector = req->first_queue_index + i;
		q->rings = (struct drvbox_net_rings *)base;
		q->txd = (struct drvbox_net_desc *)(q->rings + 1);
		q->rxd = q->txd + sn->depth;
		q->tx_slots = base + DRVBOX_NET_SLOTS_OFFSET;
		q->rx_slots = q->tx_slots + (size_t)sn->depth * sn->slot_size;
		INIT_WORK(&q->tx_work, stub_net_tx_work);
		spin_lock_init(&q->rx_lock);
		/*
		 * Our indices where our copies of them start, and a signal
		 * asked for at the first TX frame: a fresh shared area has
		 * them so already, but what we publish must never disagree
		 * with what we count from.
		 */
		WRITE_ONCE(q->rings->tx_cons.val, 0);
		WRITE_ONCE(q->rings->rx_prod.val, 0);
		WRITE_ONCE(q->rings->tx_event.val, 0);
		snprintf(q->irq_name, sizeof(q->irq_name), "drvbox_stub-%s-q%u",
			 sn->dev->name, i);
		ret = pci_irq_vector(sd->pdev, q->vector);
		if (ret < 0)
			goto err;
		q->irq = ret;
		ret = request_irq(q->irq, stub_net_irq, 0, q->irq_name, q);
		if (ret)
			goto err;
	}
	return 0;

err:
	dev_err(&sd->pdev->dev, "net export %s: cannot set up the interrupt of queue %u: %d\n",
		sn->dev->name, i, ret);
	stub_net_free_irqs(sn, i);
	return ret;
}

/**
 * stub_net_export() - hand the netdev of @req to the host
 * @sd: the drvbox device
 * @index: the request's index in the host page
 * @req: a local copy of the request
 * @answer: out: the answer (as struct drvbox_net_export_state) that the
 *	export work publishes when we return 0
 * @out: the export, for stub_net_unexport()
 *
 * Return: 0, -ENODEV while the netdev does not exist (yet), or another
 * negative errno.
 */
int stub_net_export(struct stub_dev *sd, u32 index,
		    const struct drvbox_export_req *req,
		    struct drvbox_export_state *answer, struct stub_net **out)
{
	struct drvbox_net_export_state *a = (void *)answer;
	struct drvbox_net_settings s;
	char name[IFNAMSIZ];
	struct stub_net *sn;
	bool asked;
	int ret;

	BUILD_BUG_ON(sizeof(*a) != sizeof(*answer));
	*out = NULL;
	ret = stub_net_check_req(sd, req);
	if (ret)
		return ret;
	sn = kzalloc(sizeof(*sn), GFP_KERNEL);
	if (!sn)
		return -ENOMEM;
	sn->sd = sd;
	sn->index = index;
	sn->depth = req->queue_depth;
	sn->slot_size = req->slot_size;
	INIT_DELAYED_WORK(&sn->link_work, stub_net_link_work);
	INIT_DELAYED_WORK(&sn->settings_work, stub_net_settings_work);
	spin_lock_init(&sn->counters_lock);
	sn->nb.notifier_call = stub_net_notify;

	strscpy(name, req->name, sizeof(name));
	ret = -ENODEV;	/* the driver may not have probed yet */
	sn->dev = dev_get_by_name(&init_net, name);
	if (!sn->dev)
		goto err_free;
	if (sn->dev->type != ARPHRD_ETHER || sn->dev->mtu > DRVBOX_NET_MAX_MTU) {
		dev_err(&sd->pdev->dev, "net export %s: not Ethernet, or MTU %u too large\n",
			name, sn->dev->mtu);
		ret = -EOPNOTSUPP;
		goto err_put;
	}

	sn->nr_queues = stub_net_nr_queues(sd, req, sn->dev);
	/* queue 0's IRQ may schedule the settings work from here on */
	ret = stub_net_setup_queues(sn, req);
	if (ret)
		goto err_settings;
	/* a restarted guest: the host has asked already; we answer as asked */
	asked = stub_net_settings_read(sn, &s);

	rtnl_lock();
	ret = netdev_rx_handler_register(sn->dev, stub_net_rx_handler, sn);
	if (ret) {
		rtnl_unlock();
		dev_err(&sd->pdev->dev, "net export %s: rx_handler: %d\n",
			name, ret);
		goto err_irq;
	}
	sn->features_off = sn->dev->wanted_features &
			   (NETIF_F_GRO_HW | NETIF_F_LRO);
	stub_net_features(sn, false);
	if (asked) {
		a->settings_error = stub_net_settings_apply(sn, &s);
		a->settings_ack = s.seq;
	} else if (!(sn->dev->flags & IFF_UP)) {
		ret = dev_open(sn->dev, NULL);
	}
	if (ret) {
		stub_net_features(sn, true);
		netdev_rx_handler_unregister(sn->dev);
		rtnl_unlock();
		dev_err(&sd->pdev->dev, "net export %s: cannot bring it up: %d\n",
			name, ret);
		goto err_irq;
	}
	a->nr_queues = sn->nr_queues;
	a->flags = netif_carrier_ok(sn->dev) ? DRVBOX_NET_F_LINK_UP : 0;
	memcpy(a->mac, sn->dev->dev_addr, ETH_ALEN);
	a->mtu = sn->dev->mtu;
	a->max_mtu = stub_net_max_mtu(sn->dev);
	rtnl_unlock();

	/* carrier changes from now on; one look once the answer is out */
	ret = register_netdevice_notifier(&sn->nb);
	if (ret)
		dev_warn(&sd->pdev->dev, "net export %s: carrier not followed: %d\n",
			 name, ret);
	sn->nb_registered = !ret;
	schedule_delayed_work(&sn->link_work, 0);
	/* a seq the host posts from our read on: applied once READY */
	schedule_delayed_work(&sn->settings_work, 0);

	dev_info(&sd->pdev->dev,
		 "net export %s: MAC %pM, MTU %u (max %u), %u of %u queue(s) from vector %u\n",
		 name, sn->dev->dev_addr, sn->dev->mtu, a->max_mtu,
		 sn->nr_queues, req->nr_queues, req->first_queue_index);
	*out = sn;
	return 0;

err_irq:
	stub_net_free_irqs(sn, sn->nr_queues);
err_settings:
	cancel_delayed_work_sync(&sn->settings_work);
err_put:
	dev_put(sn->dev);
err_free:
	kfree(sn);
	return ret;
}

void stub_net_unexport(struct stub_net *sn)
{
	if (sn->nb_registered)
		unregister_netdevice_notifier(&sn->nb);
	cancel_delayed_work_sync(&sn->link_work);
	/* no more kicks on any queue, then no more TX or settings work */
	stub_net_free_irqs(sn, sn->nr_queues);
	cancel_delayed_work_sync(&sn->settings_work);
	rtnl_lock();
	netdev_rx_handler_unregister(sn->dev);
	stub_net_settings_undo(sn);
	stub_net_features(sn, true);
	rtnl_unlock();
	dev_put(sn->dev);
	kfree(sn);
}
