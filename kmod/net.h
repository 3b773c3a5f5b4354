/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Isolated network interfaces: one struct drvbox_net per "export=net:DEV"
 * of a domain (see docs/net.md).
 *
 *   host virtio_net --(host vrings)--> net_export.c (its own virtio
 *     device on drvbox's transport root, device side of the vrings)
 *     --> TX/RX rings and slots in the shared area --> the guest stub
 *     (untrusted) --> the isolated netdev
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
 * net_incarnation_end() before it frees them.  notify() from virtio_net
 * (atomic context) and the doorbells only queue net->work.
 */
#ifndef _DRVBOX_NET_H
#define _DRVBOX_NET_H

#include <linux/mutex.h>
#include <linux/virtio.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>

#include "drvbox.h"

#define NET_DEPTH		DRVBOX_NET_QUEUE_DEPTH
#define NET_VRING_NUM		256
#define NET_MAX_VQS		2	/* rx0, tx0 */
#define NET_MAX_SEGS		(MAX_SKB_FRAGS + 4)
#define NET_RING_STRIDE		(DRVBOX_NET_SLOTS_OFFSET +		\
				 2 * NET_DEPTH * DRVBOX_NET_SLOT_SIZE)

/* The device side of one host vring (host-private memory). */
struct net_hvq {
	struct virtqueue *vq;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u32 num;
	u16 last_avail;
	u16 used_idx;
};

struct net_stats {
	u64 tx_packets, tx_bytes, tx_dropped;	/* host -> guest */
	u64 rx_packets, rx_bytes, rx_dropped;	/* guest -> host */
	u64 carrier_changes;
};

enum net_vdev_state { NET_VDEV_NONE, NET_VDEV_REGISTERED, NET_VDEV_FAILED };

struct drvbox_net {
	struct virtio_device vdev;
	struct drvbox_domain *dom;	/* outlives us: we die in its finalize */
	unsigned int index;		/* export index */
	char dev[32];			/* guest netdev name */
	u32 queue;			/* doorbell/vector of the queue */
	u32 ring_offset;

	struct mutex lock;
	struct delayed_work work;	/* the mediator */
	struct work_struct register_work;
	enum net_vdev_state vdev_state;
	bool configured;		/* MAC known: config filled */
	bool dead;			/* domain destroyed */

	/* virtio device state (the transport) */
	u8 status;
	u64 features;
	u32 generation;
	struct virtio_net_config config;
	struct net_hvq hvq[NET_MAX_VQS];
	u32 nr_hvq;

	/* the guest side, while attached to an incarnation */
	struct drvbox_inc *inc;
	u32 last_inc;			/* incarnation last attached or refused */
	struct drvbox_net_rings *rings;
	struct drvbox_net_desc *txd, *rxd;
	u8 *tx_slots, *rx_slots;
	struct eventfd_ctx *irq;
	u32 tx_prod, tx_cons, rx_cons;	/* our copies */
	bool guest_link;		/* LINK_UP in the latest answer */
	u8 mac[ETH_ALEN];
	u32 mtu;

	struct net_stats stats;
	char error[64];			/* why the guest's answer was refused */
};

/* net_export.c */
int net_domain_init(struct drvbox_domain *d);
void net_domain_destroy(struct drvbox_domain *d);
void net_fill_host_page(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc);
void net_doorbell(struct drvbox_domain *d, unsigned int doorbell);
void net_status_fill(struct drvbox_domain *d);
bool net_sysfs_line(struct drvbox_domain *d, u32 i, char *buf, ssize_t *n);

/* virtio_transport.c: the parent of every drvbox virtio device */
struct device *vt_root_device(void);

#endif /* _DRVBOX_NET_H */
