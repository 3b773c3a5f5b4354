/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Isolated network interfaces: one struct drvbox_net per "export=net:DEV"
 * of a domain (see docs/net.md).
 *
 *   host virtio_net --(host vrings)--> virtio_transport.c (struct
 *     drvbox_vdev: virtio_config_ops, chain walker, used ring)
 *     --> net_tx.c / net_rx.c (net_vring.c: the host vrings): TX/RX
 *         rings and slots in the shared area; net_export.c: the device,
 *         layout, attach/detach, the mediator work that calls them
 *     --> the guest stub (untrusted) --> the isolated netdev
 *
 * Lifetimes: a drvbox_net is created with its domain and lives until the
 * domain is finalized, across incarnations, so the host interface stays
 * (carrier down while the domain is away).  Once its virtio device has
 * been registered, the device's refcount owns the memory.
 *
 * Locking: net->lock (a mutex) protects everything mutable in the net,
 * including net->inc, which is set and cleared under d->lock AND net->lock
 * (lock order d->lock -> net->lock).  While net->inc == inc under
 * net->lock, inc's shared area and irqfds are valid: vmm_release() calls
 * net_incarnation_end() before it frees them.  net->lock is also net->vd's
 * lock (vdev.h): features, config and the RX and TX host vrings.
 * notify() from virtio_net (atomic context) and the doorbells only queue
 * net->work, except on the control vring, which net_settings.c handles
 * right in notify() under net->want_lock (a spinlock, irq-safe, innermost):
 * it protects that vring and what the host interface asks (want, the
 * flags after it, mtu and max_mtu once configured).  curr_pairs is
 * written there too and only read (READ_ONCE) by the mediator: which
 * host RX vrings virtio_net fills.
 */
#ifndef _DRVBOX_NET_H
#define _DRVBOX_NET_H

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>

#include "drvbox.h"
#include "vdev.h"

#define NET_DEPTH		DRVBOX_NET_QUEUE_DEPTH
#define NET_VRING_NUM		256
/* queues (guest rings) and queue pairs (host vrings) of an export */
#define NET_MAX_QUEUES		DRVBOX_EXPORT_MAX_QUEUES
/* rx0, tx0, rx1, tx1, ..., then the control vring */
#define NET_MAX_VQS		(2 * NET_MAX_QUEUES + 1)
#define NET_MAX_SEGS		(MAX_SKB_FRAGS + 4)
#define NET_RING_STRIDE		(DRVBOX_NET_SLOTS_OFFSET +		\
				 2 * NET_DEPTH * DRVBOX_NET_SLOT_SIZE)
/* receive buffers of virtio_net (MRG_RXBUF: >= 1518 bytes) for a frame */
#define NET_RX_MAX_BUFS		48
/* entries of the largest TX frame: the room net_tx() wants before each */
#define NET_TX_MAX_ENTRIES	DIV_ROUND_UP(DRVBOX_NET_MAX_FRAME,	\
					     DRVBOX_NET_SLOT_SIZE)

struct net_stats {
	u64 tx_packets, tx_bytes, tx_dropped;	/* host -> guest */
	u64 rx_packets, rx_bytes, rx_dropped;	/* guest -> host */
	u64 carrier_changes;
	u64 tx_csum;		/* frames sent with NEEDS_CSUM */
	u64 tx_gso;		/* frames sent for segmentation (TSO) */
	u64 rx_csum_valid;	/* frames passed on with DATA_VALID */
	u64 rx_gso;		/* frames the guest's GRO merged (GSO) */
	u64 rx_merged;		/* frames over several buffers (MRG_RXBUF) */
	u64 doorbells;		/* queue doorbells the guest rang */
	u64 irqs;		/* queue vector signals to the guest */
	u64 copied;		/* frame bytes we copied, both directions */
	u64 tx_room_waits;	/* TX passes that stopped for guest ring room */
	u64 rx_buf_waits;	/* RX passes that waited for virtio_net's buffers */
	u64 mediator_ns;	/* time spent in net_work() passes */
	u64 tx_queue[NET_MAX_QUEUES];	/* tx_packets by guest queue */
	u64 rx_queue[NET_MAX_QUEUES];	/* rx_packets by guest queue */
	u64 tx_pair[NET_MAX_QUEUES];	/* tx_packets by host queue pair */
	u64 rx_pair[NET_MAX_QUEUES];	/* rx_packets by host queue pair */
};

/* a chain taken from a host vring: its head and its buffers */
struct net_rx_frame;
size_t net_rx_frame_size(void);

struct net_chain {
	u16 head;
	u32 nr;
	u32 total;
	struct vdev_seg segs[NET_MAX_SEGS];
};


/**
 * struct net_queue - one guest queue of an attached incarnation
 * @rings: its indices in the shared area
 * @txd: TX entries
 * @rxd: RX entries
 * @tx_slots: TX slots
 * @rx_slots: RX slots
 * @irq: its MSI-X vector's irqfd
 * @tx_prod: our copy, never read back from the guest
 * @tx_cons: the guest's, as last read and checked
 * @rx_cons: our copy
 * @tx_published: tx_prod as the guest last saw it
 * @tx_room_wait: tx_room_event asks for a doorbell ...
 * @tx_room_event: ... at this tx_cons
 */
struct net_queue {
	struct drvbox_net_rings *rings;
	struct drvbox_net_desc *txd, *rxd;
	u8 *tx_slots, *rx_slots;
	struct eventfd_ctx *irq;
	u32 tx_prod, tx_cons, rx_cons;
	u32 tx_published;
	bool tx_room_wait;
	u32 tx_room_event;
	bool rx_wait_bufs;		/* a frame waits for virtio_net's refill */
};

struct drvbox_net {
	struct drvbox_vdev vd;		/* the virtio device (transport) */
	struct drvbox_domain *dom;	/* outlives us: we die in its finalize */
	unsigned int index;		/* export index */
	char dev[32];			/* guest netdev name */
	u32 queue;			/* doorbell/vector of queue 0 */
	u32 nr_queues;			/* queues offered (doorbells kept) */
	u32 ring_offset;		/* queue 0's; NET_RING_STRIDE apart */

	struct mutex lock;
	struct delayed_work work;	/* the mediator */
	struct work_struct register_work;
	bool configured;		/* MAC known: config filled */
	bool dead;			/* domain destroyed */

	struct virtio_net_config config;	/* vd's config space */

	/* the guest side, while attached to an incarnation */
	struct drvbox_inc *inc;
	u32 last_inc;			/* incarnation last attached or refused */
	u32 nr_gq;			/* queues the guest serves */
	struct net_queue gq[NET_MAX_QUEUES];
	struct net_chain *rx_bufs;	/* virtio_net's buffers for a frame */
	struct net_chain *tx_chain;	/* the TX chain being copied */
	struct net_rx_frame *rx_frame;	/* the RX frame being delivered */
	u32 max_pairs;			/* host queue pairs (first answer) */
	u32 curr_pairs;			/* ... virtio_net uses (VQ_PAIRS_SET) */
	bool guest_link;		/* LINK_UP in the latest answer */
	u8 mac[ETH_ALEN];		/* the guest NIC's own, first answer */
	u32 mtu, max_mtu;		/* first answer */

	/* what the host interface asks (net_settings.c) */
	spinlock_t want_lock;
	struct drvbox_net_settings want;
	/*
	 * The seq last written into the current incarnation's host page
	 * (never read back from there: the guest can write that page).
	 * Written at attach while no incarnation is attached (net_work()
	 * does not look then), else under net->lock.
	 */
	u32 posted_seq;
	bool host_up, promisc, allmulti, uc_overflow, mc_overflow;
	struct notifier_block nb;	/* on the host interface */

	struct net_stats stats;
	char error[64];			/* why the guest's answer was refused */
};

/* the smallest frame: a virtio_net_hdr and an Ethernet header */
#define NET_MIN_LEN		(DRVBOX_NET_HDR_LEN + ETH_HLEN)

/* Host vrings of queue pair @p: RX 2p, TX 2p + 1 (virtio-net's order). */
static inline unsigned int net_rx_vq(u32 p)
{
	return 2 * p;
}

static inline unsigned int net_tx_vq(u32 p)
{
	return 2 * p + 1;
}

/* net_vring.c (net->lock held) */
int net_pop(struct drvbox_net *net, unsigned int q, bool writable,
	    struct net_chain *c);
void net_to_chains(const struct net_chain *c, u32 nr, u32 off, const u8 *src,
		   u32 len);

/* net_tx.c (net->lock held) */
const char *net_tx(struct drvbox_net *net, unsigned long *tx_done,
		   unsigned long *kick);
void net_tx_publish(struct drvbox_net *net, struct net_queue *gq, bool always);

/* net_rx.c (net->lock held) */
const char *net_rx_all(struct drvbox_net *net, unsigned long *rx_done,
		       bool *again);

/* net_settings.c */
int net_settings_init(struct drvbox_net *net);
void net_settings_exit(struct drvbox_net *net);
void net_settings_first(struct drvbox_net *net, const u8 *mac, u32 mtu,
			u32 max_mtu);
void net_settings_get(struct drvbox_net *net, struct drvbox_net_settings *w);
void net_ctrl_kick(struct drvbox_net *net);
u32 net_ctrl_vq(struct drvbox_net *net);
bool net_settings_post(struct drvbox_net *net, struct drvbox_net_settings *ns);

/* net_export.c */
void net_kick(struct drvbox_net *net);
int net_domain_init(struct drvbox_domain *d);
void net_domain_destroy(struct drvbox_domain *d);
void net_fill_host_page(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_doorbell(struct drvbox_domain *d, unsigned int doorbell);
void net_status_fill(struct drvbox_domain *d);
bool net_sysfs_line(struct drvbox_domain *d, u32 i, char *buf, ssize_t *n);

#endif /* _DRVBOX_NET_H */
