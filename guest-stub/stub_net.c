// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: a guest netdev handed to the host (uapi/drvbox_guest.h,
 * "Network exports").
 *
 * TX: the host posts frames in the TX slots and signals the queue's MSI-X
 * vector; a work item builds an skb of each (applying the virtio_net_hdr
 * offload request, if any) and dev_queue_xmit()s it on the netdev, then
 * publishes tx_cons and rings the queue's doorbell.
 *
 * RX: an rx_handler on the netdev takes every frame the isolated driver
 * receives (RX_HANDLER_CONSUMED: the guest's own stack never sees them),
 * copies it with a virtio_net_hdr into the next RX slot, publishes rx_prod
 * and rings the doorbell.  A full ring drops the frame (counted).
 *
 * The netdev is put in promiscuous mode: the host interface has the same
 * MAC, but its multicast list (IPv6 neighbour discovery) is not known
 * here.  A netdevice notifier follows the carrier into the LINK_UP flag of
 * our answer: the export work publishes the answer and never touches it
 * again; after that (state READY) the link work is the only writer of its
 * flags field.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_net.h>
#include <net/net_namespace.h>

#include "stub.h"

/* How often the carrier is looked at again until our answer is READY. */
#define STUB_NET_LINK_RETRY_MS	20

/**
 * struct stub_net - one net export
 * @sd: the drvbox device
 * @index: export index (our answer is guest->exports[@index])
 * @dev: the netdev (reference held)
 * @rings: the queue's indices in the shared area
 * @txd: TX entries
 * @rxd: RX entries
 * @tx_slots: TX slots
 * @rx_slots: RX slots
 * @depth: entries per ring (power of two)
 * @slot_size: bytes per slot
 * @queue: doorbell and MSI-X vector of the queue
 * @irq: Linux irq of the vector
 * @tx_work: transmits what the host posted
 * @tx_cons: TX entries taken (@tx_work only)
 * @rx_lock: serializes RX producers (the rx_handler may run on any CPU)
 * @rx_prod: RX entries posted (under @rx_lock)
 * @nb: netdevice notifier for the carrier
 * @nb_registered: @nb is on the notifier chain
 * @link_work: copies the carrier into the answer's flags
 * @features_off: the GRO/LRO features we turned off (on again at unexport)
 * @rx_dropped: frames dropped because the RX ring was full
 * @tx_errors: TX entries we could not send
 */
struct stub_net {
	struct stub_dev *sd;
	u32 index;
	struct net_device *dev;
	struct drvbox_net_rings *rings;
	struct drvbox_net_desc *txd, *rxd;
	u8 *tx_slots, *rx_slots;
	u32 depth, slot_size, queue;
	int irq;
	struct work_struct tx_work;
	u32 tx_cons;
	spinlock_t rx_lock;
	u32 rx_prod;
	struct notifier_block nb;
	bool nb_registered;
	struct delayed_work link_work;
	netdev_features_t features_off;
	atomic64_t rx_dropped;
	atomic64_t tx_errors;
};

static void stub_net_ring(struct stub_net *sn)
{
	wmb();	/* entries, slots and indices before the doorbell */
	iowrite32(1, sn->sd->bar0 + DRVBOX_BAR0_DOORBELL(sn->queue));
}

/* ---- TX: host -> netdev ------------------------------------------ */

/* Apply the header's offload request; false if it makes no sense. */
static bool stub_net_tx_offload(struct sk_buff *skb,
				const struct virtio_net_hdr_v1 *hdr)
{
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
	skb_shinfo(skb)->gso_size = __virtio16_to_cpu(true, hdr->gso_size);
	/* the stack checks and counts the segments */
	skb_shinfo(skb)->gso_type |= SKB_GSO_DODGY;
	skb_shinfo(skb)->gso_segs = 0;
	return true;
}

static void stub_net_tx_one(struct stub_net *sn, u32 i)
{
	const u8 *slot = sn->tx_slots + (size_t)i * sn->slot_size;
	struct virtio_net_hdr_v1 hdr;
	struct sk_buff *skb;
	u32 len = READ_ONCE(sn->txd[i].len);

	if (len < DRVBOX_NET_HDR_LEN + ETH_HLEN || len > sn->slot_size)
		goto err;
	memcpy(&hdr, slot, sizeof(hdr));
	len -= DRVBOX_NET_HDR_LEN;
	skb = netdev_alloc_skb(sn->dev, len + NET_IP_ALIGN);
	if (!skb)
		goto err;
	skb_reserve(skb, NET_IP_ALIGN);
	skb_put_data(skb, slot + DRVBOX_NET_HDR_LEN, len);
	skb_reset_mac_header(skb);
	skb->protocol = eth_hdr(skb)->h_proto;
	skb_set_network_header(skb, ETH_HLEN);
	if (!stub_net_tx_offload(skb, &hdr)) {
		kfree_skb(skb);
		goto err;
	}
	skb->dev = sn->dev;
	dev_queue_xmit(skb);
	return;
err:
	atomic64_inc(&sn->tx_errors);
}

static void stub_net_tx_work(struct work_struct *work)
{
	struct stub_net *sn = container_of(work, struct stub_net, tx_work);
	u32 prod = READ_ONCE(sn->rings->tx_prod.val);
	bool any = false;

	/* the entries after the index that announced them */
	smp_rmb();
	if (prod - sn->tx_cons > sn->depth)
		prod = sn->tx_cons + sn->depth;	/* the host is trusted; be safe */
	while (sn->tx_cons != prod) {
		stub_net_tx_one(sn, sn->tx_cons & (sn->depth - 1));
		sn->tx_cons++;
		WRITE_ONCE(sn->rings->tx_cons.val, sn->tx_cons);
		any = true;
	}
	if (any)
		stub_net_ring(sn);
}

static irqreturn_t stub_net_irq(int irq, void *data)
{
	struct stub_net *sn = data;

	queue_work(system_highpri_wq, &sn->tx_work);
	return IRQ_HANDLED;
}

/* ---- RX: netdev -> host ------------------------------------------ */

static rx_handler_result_t stub_net_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct stub_net *sn = rcu_dereference(skb->dev->rx_handler_data);
	struct virtio_net_hdr_v1 hdr = {};
	u32 len, i, cons;
	u8 *slot;

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
	if (len > sn->slot_size - DRVBOX_NET_HDR_LEN) {
		/* GRO is off (stub_net_export()): a frame over the MTU */
		net_warn_ratelimited("%s: drvbox: dropped a %u-byte frame, larger than a slot\n",
				     sn->dev->name, len);
		goto drop;
	}
	/* the NIC checked the TCP/UDP checksum: the host need not */
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;

	spin_lock(&sn->rx_lock);
	cons = READ_ONCE(sn->rings->rx_cons.val);
	if (sn->rx_prod - cons >= sn->depth) {
		spin_unlock(&sn->rx_lock);
		goto drop;
	}
	i = sn->rx_prod & (sn->depth - 1);
	slot = sn->rx_slots + (size_t)i * sn->slot_size;
	memcpy(slot, &hdr, sizeof(hdr));
	if (skb_copy_bits(skb, 0, slot + DRVBOX_NET_HDR_LEN, len)) {
		spin_unlock(&sn->rx_lock);
		goto drop;
	}
	WRITE_ONCE(sn->rxd[i].len, DRVBOX_NET_HDR_LEN + len);
	WRITE_ONCE(sn->rxd[i].flags, 0);
	WRITE_ONCE(sn->rxd[i].reserved, 0);
	sn->rx_prod++;
	/* entry and slot before the index that announces them */
	smp_wmb();
	WRITE_ONCE(sn->rings->rx_prod.val, sn->rx_prod);
	spin_unlock(&sn->rx_lock);
	stub_net_ring(sn);
	consume_skb(skb);
	return RX_HANDLER_CONSUMED;

drop:
	kfree_skb(skb);
dropped:
	atomic64_inc(&sn->rx_dropped);
	return RX_HANDLER_CONSUMED;
}

/*
 * GRO and LRO off while exported (@on false), as they were after (true).
 * The rx_handler runs after GRO, and a merged TCP frame (up to 64 KiB)
 * does not fit a slot; the host's virtio_net merges on its side.  RTNL held.
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

/* ---- the answer and the carrier ---------------------------------- */

static struct drvbox_net_export_state *stub_net_answer(struct stub_net *sn)
{
	return (struct drvbox_net_export_state *)&sn->sd->guest->exports[sn->index];
}

static void stub_net_link_work(struct work_struct *work)
{
	struct stub_net *sn = container_of(to_delayed_work(work),
					   struct stub_net, link_work);
	struct drvbox_net_export_state *a = stub_net_answer(sn);
	u32 flags = netif_running(sn->dev) && netif_carrier_ok(sn->dev) ?
		    DRVBOX_NET_F_LINK_UP : 0;

	if (virt_load_acquire(&a->state) != DRVBOX_EXPORT_READY) {
		/* the export work has not published the answer yet */
		schedule_delayed_work(&sn->link_work,
				      msecs_to_jiffies(STUB_NET_LINK_RETRY_MS));
		return;
	}
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

/* The request is the host's (trusted), but a bad one must not crash us. */
static int stub_net_check_req(struct stub_dev *sd,
			      const struct drvbox_export_req *r)
{
	u64 need = (u64)r->ring_offset + DRVBOX_NET_SLOTS_OFFSET +
		   2ULL * r->queue_depth * r->slot_size;

	if (r->nr_queues != 1 || !r->queue_depth ||
	    !is_power_of_2(r->queue_depth) || r->queue_depth > 4096 ||
	    r->slot_size < DRVBOX_NET_HDR_LEN + ETH_FRAME_LEN ||
	    r->slot_size > (1U << 20) || need > sd->shared_len ||
	    r->first_queue_index == DRVBOX_VEC_CONTROL ||
	    r->first_queue_index >= sd->nr_vectors ||
	    r->first_queue_index >= sd->nr_doorbells)
		return -EINVAL;
	return 0;
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
	char name[IFNAMSIZ];
	struct stub_net *sn;
	u8 *q;
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
	sn->queue = req->first_queue_index;
	q = (u8 *)sd->shared + req->ring_offset;
	sn->rings = (struct drvbox_net_rings *)q;
	sn->txd = (struct drvbox_net_desc *)(sn->rings + 1);
	sn->rxd = sn->txd + sn->depth;
	sn->tx_slots = q + DRVBOX_NET_SLOTS_OFFSET;
	sn->rx_slots = sn->tx_slots + (size_t)sn->depth * sn->slot_size;
	INIT_WORK(&sn->tx_work, stub_net_tx_work);
	INIT_DELAYED_WORK(&sn->link_work, stub_net_link_work);
	spin_lock_init(&sn->rx_lock);
	sn->nb.notifier_call = stub_net_notify;

	strscpy(name, req->name, sizeof(name));
	ret = -ENODEV;	/* the driver may not have probed yet */
	sn->dev = dev_get_by_name(&init_net, name);
	if (!sn->dev)
		goto err_free;
	if (sn->dev->type != ARPHRD_ETHER ||
	    sn->dev->mtu + VLAN_ETH_HLEN + ETH_FCS_LEN >
	    sn->slot_size - DRVBOX_NET_HDR_LEN) {
		dev_err(&sd->pdev->dev, "net export %s: not Ethernet, or MTU %u too large\n",
			name, sn->dev->mtu);
		ret = -EOPNOTSUPP;
		goto err_put;
	}

	sn->irq = pci_irq_vector(sd->pdev, sn->queue);
	ret = request_irq(sn->irq, stub_net_irq, 0, "drvbox_stub-net", sn);
	if (ret)
		goto err_put;

	rtnl_lock();
	ret = netdev_rx_handler_register(sn->dev, stub_net_rx_handler, sn);
	if (ret) {
		rtnl_unlock();
		dev_err(&sd->pdev->dev, "net export %s: rx_handler: %d\n",
			name, ret);
		goto err_irq;
	}
	sn->features_off = sn->dev->wanted_features &
			   (NETIF_F_GRO | NETIF_F_GRO_HW | NETIF_F_LRO);
	stub_net_features(sn, false);
	ret = dev_set_promiscuity(sn->dev, 1);
	if (!ret && !(sn->dev->flags & IFF_UP))
		ret = dev_open(sn->dev, NULL);
	if (ret) {
		stub_net_features(sn, true);
		netdev_rx_handler_unregister(sn->dev);
		rtnl_unlock();
		dev_err(&sd->pdev->dev, "net export %s: cannot bring it up: %d\n",
			name, ret);
		goto err_irq;
	}
	a->nr_queues = 1;
	a->flags = netif_carrier_ok(sn->dev) ? DRVBOX_NET_F_LINK_UP : 0;
	memcpy(a->mac, sn->dev->dev_addr, ETH_ALEN);
	a->mtu = sn->dev->mtu;
	rtnl_unlock();

	/* carrier changes from now on; one look once the answer is out */
	ret = register_netdevice_notifier(&sn->nb);
	if (ret)
		dev_warn(&sd->pdev->dev, "net export %s: carrier not followed: %d\n",
			 name, ret);
	sn->nb_registered = !ret;
	schedule_delayed_work(&sn->link_work, 0);

	dev_info(&sd->pdev->dev, "net export %s: MAC %pM, MTU %u, queue %u\n",
		 name, sn->dev->dev_addr, sn->dev->mtu, sn->queue);
	*out = sn;
	return 0;

err_irq:
	free_irq(sn->irq, sn);
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
	rtnl_lock();
	netdev_rx_handler_unregister(sn->dev);
	dev_set_promiscuity(sn->dev, -1);
	stub_net_features(sn, true);
	rtnl_unlock();
	free_irq(sn->irq, sn);
	cancel_work_sync(&sn->tx_work);
	dev_put(sn->dev);
	kfree(sn);
}
