// SPDX-License-Identifier: GPL-2.0
/*
 * Net exports: what the host's interface asks of the isolated NIC.
 *
 * The host's virtio_net says it in two ways, and both end in net->want (a
 * struct drvbox_net_settings, under net->want_lock):
 *
 *  - the control virtqueue (VIRTIO_NET_F_CTRL_VQ): promiscuous and
 *    all-multicast (CTRL_RX), the unicast and multicast filter lists
 *    (MAC_TABLE_SET) and the MAC address (MAC_ADDR_SET).  virtio_net waits
 *    for each command by spinning on the used ring, in 6.1 even with
 *    bottom halves off, so a command is handled inside the notify that
 *    sent it (net_ctrl_kick(), any context) and never waits for a worker.
 *    The same vring carries VQ_PAIRS_SET (with MQ): how many RX/TX pairs
 *    virtio_net uses, which only the mediator needs (net->curr_pairs);
 *  - a netdevice notifier on the interface: up/down and MTU, which virtio
 *    has no command for.  At NETDEV_REGISTER it also sets the interface's
 *    MTU range to what the guest NIC takes (no VIRTIO_NET_F_MTU: with it
 *    virtio_net would start the interface at the largest MTU).
 *
 * Every change bumps want.seq and kicks the mediator, which copies the
 * settings into the host page of the incarnation (net_settings_post())
 * and signals the guest; the stub applies them and acknowledges with the
 * seq in its answer (shown in sysfs, never trusted).  A new incarnation
 * finds the current settings in its host page before it answers, so a
 * restarted NIC comes back as the host left it.  Lists longer than
 * DRVBOX_NET_MAX_ADDRS become ALLMULTI (multicast) or PROMISC (unicast),
 * as NICs with short filters do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <linux/virtio_config.h>

#include "net.h"

/* descriptors of one control command: header, data (2 for a table), ack */
#define NET_CTRL_SEGS		8

/* A control command's readable part: @n segments before the ack. */
struct net_ctrl_cmd {
	const struct vdev_seg *segs;
	unsigned int n;
	u32 len;
};

/* Copy @len bytes at @off of the command; false past its end. */
static bool net_ctrl_read(const struct net_ctrl_cmd *c, u32 off, void *dst,
			  u32 len)
{
	unsigned int i;

	if (off > c->len || len > c->len - off)
		return false;
	for (i = 0; i < c->n && len; i++) {
		u32 chunk;

		if (off >= c->segs[i].len) {
			off -= c->segs[i].len;
			continue;
		}
		chunk = min(len, c->segs[i].len - off);
		memcpy(dst, c->segs[i].addr + off, chunk);
		dst += chunk;
		len -= chunk;
		off = 0;
	}
	return true;
}

/*
 * MAC_TABLE_SET: two struct virtio_net_ctrl_mac (le32 count, then the
 * addresses), unicast then multicast, at @off.  want_lock held.
 */
static bool net_ctrl_mac_table(struct drvbox_net *net,
			       const struct net_ctrl_cmd *c, u32 off)
{
	struct drvbox_net_settings *w = &net->want;
	u8 addrs[DRVBOX_NET_MAX_ADDRS][ETH_ALEN];
	__le32 cnt[2];
	u32 n[2], used = 0;
	bool over[2];
	int t;

	lockdep_assert_held(&net->want_lock);

	for (t = 0; t < 2; t++) {
		if (!net_ctrl_read(c, off, &cnt[t], sizeof(cnt[t])))
			return false;
		n[t] = le32_to_cpu(cnt[t]);
		off += sizeof(cnt[t]);
		if (n[t] > (c->len - off) / ETH_ALEN)
			return false;
		over[t] = n[t] > DRVBOX_NET_MAX_ADDRS - used;
		if (!over[t]) {
			net_ctrl_read(c, off, addrs[used], n[t] * ETH_ALEN);
			used += n[t];
		}
		off += n[t] * ETH_ALEN;
	}
	if (off != c->len)
		return false;
	w->nr_uc = over[0] ? 0 : n[0];
	w->nr_mc = over[1] ? 0 : n[1];
	memcpy(w->addrs, addrs, used * ETH_ALEN);
	net->uc_overflow = over[0];
	net->mc_overflow = over[1];
	return true;
}

/*
 * One command; returns VIRTIO_NET_OK or VIRTIO_NET_ERR, and sets
 * *@setting when it changed what the guest NIC must do.  want_lock held.
 */
static u8 net_ctrl_cmd(struct drvbox_net *net, const struct net_ctrl_cmd *c,
		       bool *setting)
{
	struct virtio_device *vdev = &net->vd.vdev;
	struct virtio_net_ctrl_hdr hdr;
	u8 on, mac[ETH_ALEN];
	__le16 pairs;
	u16 n;

	lockdep_assert_held(&net->want_lock);

	*setting = true;
	if (!net_ctrl_read(c, 0, &hdr, sizeof(hdr)))
		return VIRTIO_NET_ERR;
	switch (hdr.class) {
	case VIRTIO_NET_CTRL_MQ:
		/* which RX vrings virtio_net fills: the mediator's business */
		*setting = false;
		if (!virtio_has_feature(vdev, VIRTIO_NET_F_MQ) ||
		    hdr.cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
		    c->len != sizeof(hdr) + sizeof(pairs))
			return VIRTIO_NET_ERR;
		net_ctrl_read(c, sizeof(hdr), &pairs, sizeof(pairs));
		n = le16_to_cpu(pairs);
		if (n < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || n > net->max_pairs)
			return VIRTIO_NET_ERR;
		WRITE_ONCE(net->curr_pairs, n);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_RX:
		if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX) ||
		    c->len != sizeof(hdr) + 1)
			return VIRTIO_NET_ERR;
		net_ctrl_read(c, sizeof(hdr), &on, 1);
		if (on > 1)
			return VIRTIO_NET_ERR;
		if (hdr.cmd == VIRTIO_NET_CTRL_RX_PROMISC)
			net->promisc = on;
		else if (hdr.cmd == VIRTIO_NET_CTRL_RX_ALLMULTI)
			net->allmulti = on;
		else
			return VIRTIO_NET_ERR;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (hdr.cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET &&
		    virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX))
			return net_ctrl_mac_table(net, c, sizeof(hdr)) ?
			       VIRTIO_NET_OK : VIRTIO_NET_ERR;
		if (hdr.cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET ||
		    !virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR) ||
		    c->len != sizeof(hdr) + ETH_ALEN)
			return VIRTIO_NET_ERR;
		net_ctrl_read(c, sizeof(hdr), mac, ETH_ALEN);
		if (!is_valid_ether_addr(mac))
			return VIRTIO_NET_ERR;
		ether_addr_copy(net->want.mac, mac);
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* want_lock held: the flags the guest gets from what we were told. */
static u32 net_want_flags(const struct drvbox_net *net)
{
	return (net->host_up ? DRVBOX_NET_SET_UP : 0) |
	       (net->promisc || net->uc_overflow ? DRVBOX_NET_SET_PROMISC : 0) |
	       (net->allmulti || net->mc_overflow ?
		DRVBOX_NET_SET_ALLMULTI : 0);
}

/* want_lock held: a setting changed. */
static void net_want_changed(struct drvbox_net *net)
{
	lockdep_assert_held(&net->want_lock);

	net->want.flags = net_want_flags(net);
	net->want.seq++;
	if (!net->want.seq)	/* 0 means "nothing asked" */
		net->want.seq++;
}

/* Answer every command on the control vring; true if a setting changed. */
static bool net_ctrl_take(struct drvbox_net *net)
{
	struct drvbox_vdev *v = &net->vd;
	unsigned int ctrl = net_ctrl_vq(net);
	struct vdev_seg segs[NET_CTRL_SEGS];
	bool changed = false;
	u16 head;

	lockdep_assert_held(&net->want_lock);

	while (vdev_pop_head(v, ctrl, &head)) {
		struct net_ctrl_cmd c = { .segs = segs };
		const struct vdev_seg *ack;
		int n = vdev_walk(v, ctrl, head, segs, ARRAY_SIZE(segs));
		bool setting = false;
		u8 status = VIRTIO_NET_ERR;

		/* readable command, then exactly one writable ack byte */
		if (n < 2 || !segs[n - 1].writable) {
			vdev_discard(v, ctrl, head);
			continue;
		}
		for (c.n = 0; c.n < n - 1 && !segs[c.n].writable; c.n++)
			c.len += segs[c.n].len;
		ack = &segs[n - 1];
		if (c.n == n - 1)
			status = net_ctrl_cmd(net, &c, &setting);
		if (status == VIRTIO_NET_OK && setting)
			changed = true;
		*(u8 *)ack->addr = status;
		vdev_push_used(v, ctrl, head, 1);
	}
	return changed;
}

/**
 * net_ctrl_kick() - handle what virtio_net put on the control vring
 * @net: the export
 *
 * Called from virtio_net's notify (any context, virtio_net waits for the
 * answer); the control vring is only ever touched here, under want_lock,
 * so this does not take net->lock.
 */
void net_ctrl_kick(struct drvbox_net *net)
{
	unsigned long flags;
	bool changed = false;

	spin_lock_irqsave(&net->want_lock, flags);
	/* until empty, then ask for a notify and look once more */
	do {
		changed |= net_ctrl_take(net);
	} while (vdev_enable_notify(&net->vd, net_ctrl_vq(net)));
	if (changed)
		net_want_changed(net);
	spin_unlock_irqrestore(&net->want_lock, flags);
	if (changed)
		net_kick(net);
}

static int net_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct drvbox_net *net = container_of(nb, struct drvbox_net, nb);
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	bool changed = true;

	if (dev->dev.parent != &net->vd.vdev.dev)
		return NOTIFY_DONE;
	spin_lock_irq(&net->want_lock);
	switch (event) {
	case NETDEV_REGISTER:
		/* before it can be up: the guest NIC's range, its MTU */
		dev->max_mtu = net->max_mtu;
		dev->mtu = net->mtu;
		net->want.mtu = net->mtu;
		changed = false;
		break;
	case NETDEV_UP:
		net->host_up = true;
		break;
	case NETDEV_DOWN:
		net->host_up = false;
		break;
	case NETDEV_CHANGEMTU:
		changed = net->want.mtu != dev->mtu;
		net->want.mtu = dev->mtu;
		break;
	default:
		changed = false;
		break;
	}
	if (changed)
		net_want_changed(net);
	spin_unlock_irq(&net->want_lock);
	if (changed)
		net_kick(net);
	return NOTIFY_DONE;
}

/**
 * net_settings_init() - start following the host interface
 * @net: a new export (process context, no locks held)
 *
 * Return: 0 or a negative errno from the notifier chain.
 */
int net_settings_init(struct drvbox_net *net)
{
	spin_lock_init(&net->want_lock);
	/*
	 * Up until the interface goes down: virtio_net sends its filters
	 * from inside dev_open(), before NETDEV_UP, and the NIC should not
	 * be closed for that moment.
	 */
	net->host_up = true;
	net->nb.notifier_call = net_netdev_event;
	return register_netdevice_notifier(&net->nb);
}

/* Stop following it (no locks held); the interface may still exist. */
void net_settings_exit(struct drvbox_net *net)
{
	unregister_netdevice_notifier(&net->nb);
}

/* The first READY answer: the guest NIC's MAC, MTU and MTU range. */
void net_settings_first(struct drvbox_net *net, const u8 *mac, u32 mtu,
			u32 max_mtu)
{
	spin_lock_irq(&net->want_lock);
	ether_addr_copy(net->want.mac, mac);
	net->want.mtu = mtu;
	net->mtu = mtu;
	net->max_mtu = max_mtu;
	spin_unlock_irq(&net->want_lock);
}

/* What the host interface asks now (MAC and MTU: the NIC's until then). */
void net_settings_get(struct drvbox_net *net, struct drvbox_net_settings *w)
{
	spin_lock_irq(&net->want_lock);
	*w = net->want;
	spin_unlock_irq(&net->want_lock);
}

/**
 * net_settings_post() - copy the settings into an incarnation's host page
 * @net: the export
 * @ns: its entry in the host page
 *
 * The fields first, then seq (release): the stub applies a seq only after
 * it has read the fields that go with it, and reads them again if seq
 * moved meanwhile.  What was posted is remembered in net->posted_seq, not
 * read back from the page, which the guest can write.  Returns true if
 * there was something new to post.
 */
bool net_settings_post(struct drvbox_net *net, struct drvbox_net_settings *ns)
{
	struct drvbox_net_settings w;

	net_settings_get(net, &w);
	if (!w.seq || READ_ONCE(net->posted_seq) == w.seq)
		return false;
	WRITE_ONCE(net->posted_seq, w.seq);
	WRITE_ONCE(ns->seq, 0);	/* "changing": the stub waits for the next */
	smp_wmb();
	memcpy((u8 *)ns + sizeof(ns->seq), (u8 *)&w + sizeof(w.seq),
	       sizeof(w) - sizeof(w.seq));
	smp_store_release(&ns->seq, w.seq);
	return true;
}
