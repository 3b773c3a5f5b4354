// SPDX-License-Identifier: GPL-2.0
/*
 * Net exports, RX: frames the guest NIC received go up to the host's
 * interface.  Each frame on guest queue g (one RX entry and slot, or a
 * chain of them for a GRO-merged or jumbo frame) is read once: entries,
 * then its virtio_net_hdr and head copied and checked (a GSO frame must be
 * TCP as announced, with the checksum where TCP has it; a plain frame no
 * longer than the MTU range allows), and only our copy of what was checked
 * goes to virtio_net, into buffers of host RX vring g % curr_pairs (with
 * MRG_RXBUF as many as the frame needs).  Anything else the guest wrote
 * wrong ends the incarnation.  net->lock held throughout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_vlan.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/virtio_config.h>
#include <net/tcp.h>

#include "net.h"

static const u8 *net_rx_slot(struct net_queue *gq, u32 index)
{
	return gq->rx_slots + (index & (NET_DEPTH - 1)) * DRVBOX_NET_SLOT_SIZE;
}

/* Bytes of a received frame's head the mediator copies and parses. */
#define NET_RX_HEAD		192

/* A received frame: its entries and, copied once, header and head. */
struct net_rx_frame {
	u32 n;				/* entries */
	u32 len;			/* frame bytes, without the header */
	u32 lens[NET_TX_MAX_ENTRIES];	/* bytes in each entry's slot */
	struct virtio_net_hdr_v1 hdr;	/* the guest's */
	struct virtio_net_hdr_v1 out;	/* ours, for virtio_net */
	u32 head_len;
	u8 head[NET_RX_HEAD];
};

/* For the preallocation in net_domain_init(): nothing is allocated per pass. */
size_t net_rx_frame_size(void)
{
	return sizeof(struct net_rx_frame);
}

/*
 * The TCP headers of a GSO frame the guest's GRO merged, parsed in our copy
 * of its head: Ethernet (one VLAN tag at most), IPv4 without fragments or
 * IPv6 without extension headers as @gso_type says, TCP.  Returns the TCP
 * header's offset, or 0.
 */
static u32 net_rx_tcp_offset(const struct net_rx_frame *f, u8 gso_type)
{
	const u8 *h = f->head;
	u32 off = ETH_HLEN, l4;
	__be16 proto;

	if (f->head_len < ETH_HLEN)
		return 0;
	memcpy(&proto, h + 12, sizeof(proto));
	if (proto == htons(ETH_P_8021Q)) {
		if (f->head_len < VLAN_ETH_HLEN)
			return 0;
		memcpy(&proto, h + 16, sizeof(proto));
		off = VLAN_ETH_HLEN;
	}
	if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (proto != htons(ETH_P_IP) || off + 20 > f->head_len ||
		    (h[off] >> 4) != 4 || (h[off] & 0xf) < 5 ||
		    h[off + 9] != IPPROTO_TCP || (h[off + 6] & 0x3f) || h[off + 7])
			return 0;	/* not TCP over IPv4, or a fragment */
		l4 = off + (h[off] & 0xf) * 4;
	} else {
		if (proto != htons(ETH_P_IPV6) || off + 40 > f->head_len ||
		    (h[off] >> 4) != 6 || h[off + 6] != IPPROTO_TCP)
			return 0;
		l4 = off + 40;
	}
	if (l4 + 20 > f->head_len || (h[l4 + 12] >> 4) < 5 ||
	    l4 + (h[l4 + 12] >> 4) * 4 > f->head_len)
		return 0;
	return l4;
}

/*
 * Check the header the guest wrote for a received frame (a copy) and
 * write ours into f->out: a plain frame (one slot), one whose checksum the
 * NIC verified (DATA_VALID), or a TCP frame the guest's GRO merged (GSO:
 * TCPV4/TCPV6, NEEDS_CSUM at the TCP checksum, which we find ourselves).
 */
static const char *net_check_rx_hdr(struct drvbox_net *net,
				    struct net_rx_frame *f)
{
	const struct virtio_net_hdr_v1 *h = &f->hdr;
	u8 type = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	u16 gso_size = le16_to_cpu((__force __le16)h->gso_size);
	u32 l4;

	memset(&f->out, 0, sizeof(f->out));
	if (h->num_buffers)
		return "rx header";
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if ((h->flags & ~VIRTIO_NET_HDR_F_DATA_VALID) || h->gso_size ||
		    h->csum_start || h->csum_offset || h->hdr_len)
			return "rx header";
		/* longer than the largest MTU allows (a jumbo frame chains) */
		if (f->len > net->max_mtu + VLAN_ETH_HLEN)
			return "rx length";
		f->out.flags = h->flags;
		return NULL;
	}
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
		return "rx header gso_type";
	l4 = net_rx_tcp_offset(f, type);
	if (!l4 || h->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM ||
	    le16_to_cpu((__force __le16)h->csum_start) != l4 ||
	    le16_to_cpu((__force __le16)h->csum_offset) !=
	    offsetof(struct tcphdr, check))
		return "rx header: GSO frame not TCP as announced";
	/*
	 * Not below the smallest MSS TCP sends: a gso_size of 1 would make
	 * one 64 KiB frame tens of thousands of segments on the host.
	 */
	if (gso_size < TCP_MIN_SND_MSS || gso_size > net->max_mtu)
		return "rx header gso_size";
	f->out.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f->out.gso_type = h->gso_type;
	f->out.gso_size = (__force __virtio16)cpu_to_le16(gso_size);
	f->out.csum_start = (__force __virtio16)cpu_to_le16(l4);
	f->out.csum_offset = (__force __virtio16)
			     cpu_to_le16(offsetof(struct tcphdr, check));
	f->out.hdr_len = (__force __virtio16)
			 cpu_to_le16(l4 + (f->head[l4 + 12] >> 4) * 4);
	return NULL;
}

/*
 * The frame at rx_cons (before @prod): its entries (each copied once:
 * MORE on all but the last, whose slots are full), then header and head
 * copied and checked.  Returns NULL or the guest's violation.
 */
static const char *net_rx_frame(struct drvbox_net *net, struct net_queue *gq,
				u32 prod, struct net_rx_frame *f)
{
	const u8 *slot = net_rx_slot(gq, gq->rx_cons);
	u32 flags, total = 0;

	f->n = 0;
	do {
		struct drvbox_net_desc e;

		if (f->n == ARRAY_SIZE(f->lens) || gq->rx_cons + f->n == prod)
			return "rx chain";
		memcpy(&e, &gq->rxd[(gq->rx_cons + f->n) & (NET_DEPTH - 1)],
		       sizeof(e));
		barrier();	/* validate the copy, never the ring */
		flags = e.flags;
		if (!e.len || e.len > DRVBOX_NET_SLOT_SIZE || e.reserved ||
		    (flags & ~DRVBOX_NET_DESC_F_MORE) ||
		    ((flags & DRVBOX_NET_DESC_F_MORE) &&
		     e.len != DRVBOX_NET_SLOT_SIZE))
			return "rx length";
		f->lens[f->n++] = e.len;
		total += e.len;
	} while (flags & DRVBOX_NET_DESC_F_MORE);
	if (f->lens[0] < NET_MIN_LEN)
		return "rx length";
	f->len = total - DRVBOX_NET_HDR_LEN;
	memcpy(&f->hdr, slot, sizeof(f->hdr));
	f->head_len = min_t(u32, f->lens[0] - DRVBOX_NET_HDR_LEN, NET_RX_HEAD);
	memcpy(f->head, slot + DRVBOX_NET_HDR_LEN, f->head_len);
	barrier();
	return net_check_rx_hdr(net, f);
}

/*
 * Copy the frame into virtio_net's buffers (net->rx_bufs, @nr of them):
 * our header, the head from our copy (what we checked is what virtio_net
 * gets), the rest from the slots.
 */
static void net_rx_to_bufs(struct drvbox_net *net, struct net_queue *gq,
			   const struct net_rx_frame *f, u32 nr)
{
	u32 k, off = sizeof(f->out) + f->head_len;
	u32 skip = DRVBOX_NET_HDR_LEN + f->head_len;
	const struct net_chain *c = net->rx_bufs;

	net_to_chains(c, nr, 0, (const u8 *)&f->out, sizeof(f->out));
	net_to_chains(c, nr, sizeof(f->out), f->head, f->head_len);
	for (k = 0; k < f->n; k++) {
		net_to_chains(c, nr, off,
			      net_rx_slot(gq, gq->rx_cons + k) + skip,
			      f->lens[k] - skip);
		off += f->lens[k] - skip;
		skip = 0;
	}
}

/*
 * Take enough of virtio_net's receive buffers on host vring @vq for
 * @need bytes into net->rx_bufs: one chain, or with MRG_RXBUF as many as
 * it takes.  Returns 1 with *@nr taken, 0 when virtio_net has not posted
 * enough yet (nothing taken: they go back to its ring untouched), -1 when
 * the frame cannot go up (counted; what was taken is given back empty).
 */
static int net_rx_bufs(struct drvbox_net *net, unsigned int vq, u32 need,
		       u32 *nr)
{
	u32 max = virtio_has_feature(&net->vd.vdev, VIRTIO_NET_F_MRG_RXBUF) ?
		  NET_RX_MAX_BUFS : 1;
	u32 have = 0, n = 0, i;
	int ret;

	while (have < need && n < max) {
		ret = net_pop(net, vq, true, &net->rx_bufs[n]);
		if (!ret) {
			vdev_unpop(&net->vd, vq, n);
			return 0;
		}
		if (ret < 0)
			break;	/* that one is given back already */
		have += net->rx_bufs[n++].total;
	}
	if (have >= need) {
		*nr = n;
		return 1;
	}
	net->stats.rx_dropped++;
	for (i = 0; i < n; i++)
		vdev_push_used(&net->vd, vq, net->rx_bufs[i].head, 0);
	return -1;
}

/* The frame into the @nr buffers net_rx_bufs() took, and up it goes. */
static void net_rx_deliver(struct drvbox_net *net, struct net_queue *gq,
			   unsigned int vq, struct net_rx_frame *f, u32 nr)
{
	u32 left = sizeof(f->out) + f->len, i;

	/* DATA_VALID only to a driver that asked */
	if (!virtio_has_feature(&net->vd.vdev, VIRTIO_NET_F_GUEST_CSUM))
		f->out.flags &= ~VIRTIO_NET_HDR_F_DATA_VALID;
	if (f->out.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		net->stats.rx_csum_valid++;
	if (f->out.gso_type)
		net->stats.rx_gso++;
	if (nr > 1)
		net->stats.rx_merged++;
	f->out.num_buffers = cpu_to_virtio16(&net->vd.vdev, nr);
	net_rx_to_bufs(net, gq, f, nr);
	/* the head twice: into our copy to check it, then out of it */
	net->stats.copied += f->len + f->head_len;
	for (i = 0; i < nr; i++) {
		u32 written = min(left, net->rx_bufs[i].total);

		vdev_push_used(&net->vd, vq, net->rx_bufs[i].head, written);
		left -= written;
	}
	net->stats.rx_packets++;
	net->stats.rx_queue[gq - net->gq]++;
	net->stats.rx_pair[vq / 2]++;	/* rx vring of pair p: 2p */
	net->stats.rx_bytes += f->len;
}

/* virtio_net takes this kind of frame (it negotiated the offload). */
static bool net_rx_wanted(struct drvbox_net *net, const struct net_rx_frame *f)
{
	struct virtio_device *vdev = &net->vd.vdev;

	switch (f->out.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) &&
		       (!(f->out.gso_type & VIRTIO_NET_HDR_GSO_ECN) ||
			virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN));
	default:
		return virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6) &&
		       (!(f->out.gso_type & VIRTIO_NET_HDR_GSO_ECN) ||
			virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN));
	}
}

/*
 * Guest frames of queue @g to the host, into the RX vring of pair g %
 * curr_pairs (the pairs virtio_net fills; bit set in *@rx_done when it
 * must hear of them).  Returns NULL or the guest's violation.
 */
static const char *net_rx(struct drvbox_net *net, u32 g, struct net_rx_frame *f,
			  unsigned long *rx_done)
{
	struct net_queue *gq = &net->gq[g];
	u32 prod = READ_ONCE(gq->rings->rx_prod.val);
	u32 pairs = clamp_t(u32, READ_ONCE(net->curr_pairs), 1, net->max_pairs);
	u32 p = g % pairs, nr;
	const char *bad = NULL;

	/* the entries and slots after the index that announced them */
	smp_rmb();
	gq->rx_wait_bufs = false;
	if (prod - gq->rx_cons > NET_DEPTH)
		return "rx_prod index";
	while (gq->rx_cons != prod) {
		int ret;

		bad = net_rx_frame(net, gq, prod, f);
		if (bad)
			break;
		if (!net->vd.status ||
		    !(net->vd.status & VIRTIO_CONFIG_S_DRIVER_OK) ||
		    !net_rx_wanted(net, f)) {
			net->stats.rx_dropped++;	/* nobody to take it */
		} else {
			ret = net_rx_bufs(net, net_rx_vq(p),
					  sizeof(f->out) + f->len, &nr);
			if (!ret) {
				/* its refill's notify() kicks us */
				if (vdev_notify_on_more(&net->vd, net_rx_vq(p)))
					continue;	/* refilled meanwhile */
				gq->rx_wait_bufs = true;
				net->stats.rx_buf_waits++;
				break;
			}
			__set_bit(p, rx_done);
			if (ret > 0)
				net_rx_deliver(net, gq, net_rx_vq(p), f, nr);
		}
		gq->rx_cons += f->n;
	}
	WRITE_ONCE(gq->rings->rx_cons.val, gq->rx_cons);
	return bad;
}

/*
 * After a pass over @gq: ask for a doorbell at the next entry we have
 * not taken (rx_event), then look once more.  Returns true if entries
 * are waiting (published during the pass, or meanwhile): the caller runs
 * another pass.  The guest rings only when rx_prod passes rx_event, so
 * an event left behind entries that came during the pass would never
 * fire again; only a frame waiting for virtio_net's buffers needs none
 * (the refill kicks us).  net->lock held, net->inc set.
 */
static bool net_rx_arm(struct drvbox_net *net, struct net_queue *gq)
{
	lockdep_assert_held(&net->lock);
	if (gq->rx_wait_bufs)
		return false;
	WRITE_ONCE(gq->rings->rx_event.val, gq->rx_cons);
	smp_mb();	/* the event before we read rx_prod again */
	return READ_ONCE(gq->rings->rx_prod.val) != gq->rx_cons;
}

/*
 * Guest frames of every queue to the host, then ask for doorbells; sets
 * *@again if frames came meanwhile.  Returns NULL or the violation.
 */
const char *net_rx_all(struct drvbox_net *net, unsigned long *rx_done,
		       bool *again)
{
	struct net_rx_frame *f = net->rx_frame;
	const char *bad = NULL;
	u32 g;

	for (g = 0; g < net->nr_gq && !bad; g++)
		bad = net_rx(net, g, f, rx_done);
	for (g = 0; g < net->nr_gq && !bad; g++)
		*again |= net_rx_arm(net, &net->gq[g]);
	return bad;
}
