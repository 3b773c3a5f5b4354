/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drvbox: the host <-> guest protocol.
 *
 * The guest side (drvbox_stub.ko) sees the drvbox PCI device that
 * drvbox-vmm emulates; drvbox.ko and the stub both follow this header.
 * Everything the guest writes is untrusted by the host: the host reads
 * each field once and validates it before use.
 */
#ifndef _UAPI_LINUX_DRVBOX_GUEST_H
#define _UAPI_LINUX_DRVBOX_GUEST_H

#include <linux/types.h>

/*
 * PCI identity of the drvbox device.  The VMM is the only place this device
 * exists; the ID is private to drvbox (not a registered product ID) and is
 * matched only by drvbox_stub.ko.
 */
#define DRVBOX_PCI_VENDOR_ID	0x1af4
#define DRVBOX_PCI_DEVICE_ID	0x10db

#define DRVBOX_GUEST_PROTO_VERSION	5

/*
 * The drvbox PCI device
 * =====================
 *
 * drvbox-vmm puts it at 0000:00:01.0 of the guest.
 *
 * BAR 0: 16 KiB, 32-bit MMIO, registers:
 *   0x0000  u32 RO  DRVBOX_BAR0_MAGIC_VALUE
 *   0x0004  u32 RO  DRVBOX_GUEST_PROTO_VERSION
 *   0x0008  u32 RO  number of doorbells
 *   0x000c  u32 RO  number of MSI-X vectors
 *   0x0100 + 4*i    doorbell i, write-only: any 32-bit write rings it (the
 *                   VMM binds each to an ioeventfd that drvbox.ko waits on)
 *   0x2000          MSI-X table; 0x3000 MSI-X PBA (capability in config space)
 * BAR 2: 64-bit prefetchable memory: the shared area, memory that drvbox.ko
 *   owns and maps into the guest (struct drvbox_shared at offset 0).
 * BAR 4: 64-bit prefetchable memory, DRVBOX_DRIVERS_BAR_SIZE bytes: the
 *   driver modules of this incarnation (struct drvbox_drivers at offset 0,
 *   "The drivers" below), written by drvbox-vmm before the guest runs.
 *
 * Doorbell DRVBOX_DB_CONTROL: "the guest part of the shared area changed".
 * MSI-X vector DRVBOX_VEC_CONTROL: "a new host command is posted".
 */
#define DRVBOX_BAR0_SIZE		0x4000
#define DRVBOX_BAR0_MAGIC		0x0000
#define DRVBOX_BAR0_MAGIC_VALUE		0x58424452	/* "RDBX" */
#define DRVBOX_BAR0_VERSION		0x0004
#define DRVBOX_BAR0_NR_DOORBELLS	0x0008
#define DRVBOX_BAR0_NR_VECTORS		0x000c
#define DRVBOX_BAR0_DOORBELL(i)		(0x0100 + 4 * (i))
#define DRVBOX_BAR0_MSIX_TABLE		0x2000
#define DRVBOX_BAR0_MSIX_PBA		0x3000

#define DRVBOX_DB_CONTROL		0
#define DRVBOX_VEC_CONTROL		0

/*
 * The drivers (BAR 4)
 * ===================
 *
 * The untrusted driver modules are not in the guest's initramfs: a boot
 * image (docs/recovery.md) then serves a domain whatever its drivers, and
 * an upgrade or another domain of the same shape starts from it.  drvbox-
 * vmm writes them behind BAR 4 for each incarnation, in load order (each
 * module's dependencies before it): struct drvbox_drivers, then for each
 * module a struct drvbox_driver_file, its parameters (params_len bytes,
 * the last one NUL: "k=v k2=v2" or empty) and its file (size bytes, as on
 * the host: .ko, or compressed .ko.xz), each part padded to 8 bytes.  The
 * stub hands BAR 4 to guest init as it is (read() of /dev/drvbox_stub);
 * init checks every length against @bytes before it uses it, writes each
 * file to /lib/modules and loads it.  Pages past @bytes are never backed.
 */
#define DRVBOX_DRIVERS_BAR_SIZE		(32U << 20)
#define DRVBOX_DRIVERS_MAGIC		0x31565244	/* "DRV1" */
#define DRVBOX_DRIVERS_ALIGN		8
#define DRVBOX_DRIVER_NAME_LEN		56

/**
 * struct drvbox_drivers - at offset 0 of BAR 4
 * @magic: DRVBOX_DRIVERS_MAGIC
 * @nr_files: modules that follow
 * @bytes: bytes used from offset 0, <= DRVBOX_DRIVERS_BAR_SIZE
 */
struct drvbox_drivers {
	__u32 magic;
	__u32 nr_files;
	__u64 bytes;
};

/**
 * struct drvbox_driver_file - one module in BAR 4
 * @name: its file name, NUL-terminated, no '/' ("nvme.ko.xz")
 * @params_len: bytes of parameters that follow, their NUL included
 * @size: bytes of the file after the (padded) parameters
 */
struct drvbox_driver_file {
	char name[DRVBOX_DRIVER_NAME_LEN];
	__u32 params_len;
	__u32 size;
};

/*
 * The shared area (BAR 2)
 * =======================
 *
 * Page 0 is written by the host only: the VMM maps it read-only for the
 * guest (a KVM_MEM_READONLY slot; the guest's writes are dropped), and
 * drvbox.ko never reads back what it wrote there.  Page 1 is
 * written by the guest only; the host reads every field once
 * (READ_ONCE) and validates it: counts are clamped, strings are copied
 * with a forced NUL, unknown states are a protocol violation.
 */
#define DRVBOX_SHARED_MAGIC		0x48424452	/* "RDBH" */
#define DRVBOX_SHARED_HOST_OFFSET	0
#define DRVBOX_SHARED_GUEST_OFFSET	4096
#define DRVBOX_SHARED_MIN_SIZE		8192

/* host commands (struct drvbox_shared_host.command) */
enum drvbox_guest_cmd {
	DRVBOX_CMD_NONE		= 0,
	DRVBOX_CMD_PANIC	= 1,	/* panic() */
	DRVBOX_CMD_OOPS		= 2,	/* write through a wild pointer */
	DRVBOX_CMD_HANG		= 3,	/* all vCPUs spin with interrupts off */
};

/*
 * Exports
 * =======
 *
 * The host asks the guest to export devices by filling exports[] in the
 * host page (nr_exports, then export_seq++ and DRVBOX_VEC_CONTROL).  For
 * each request the stub opens the named guest device and answers in the
 * matching entry of the guest page's exports[] (same index), then rings
 * DRVBOX_DB_CONTROL.  An export has nr_queues queues; queue q of export e
 * uses doorbell and MSI-X vector first_queue_index + q (the control
 * doorbell/vector 0 is never used for a queue), and its rings live in the
 * shared area at ring_offset + q * ring_stride (struct drvbox_queue_rings).
 *
 * Block data lives in guest RAM: for every (queue, slot) the stub allocates
 * slot_size contiguous bytes of guest memory, so the isolated driver DMAs
 * straight into them, and publishes their guest-physical addresses in a
 * table (slots_gpa: nr_queues * queue_depth __u64 GPAs, in guest RAM).  The
 * host reads that table once when the export becomes READY, checks that
 * every slot lies inside guest RAM (layout below), and never reads it
 * again.  A slot's contents belong to the request posted in it.
 *
 * Guest RAM layout (guest-physical -> offset in the RAM mmap): GPAs below
 * DRVBOX_GUEST_RAM_LOW_MAX map 1:1; the rest of RAM starts at
 * DRVBOX_GUEST_RAM_HIGH_BASE.
 */
#define DRVBOX_GUEST_RAM_LOW_MAX	0xc0000000ULL
#define DRVBOX_GUEST_RAM_HIGH_BASE	0x100000000ULL

#define DRVBOX_SHARED_MAX_EXPORTS	8
#define DRVBOX_EXPORT_MAX_QUEUES	4
#define DRVBOX_BLK_SLOT_SIZE		(128 * 1024)	/* max bytes per request */
#define DRVBOX_BLK_QUEUE_DEPTH		32		/* power of two */

/**
 * struct drvbox_export_req - host page: one device the host wants
 * @name: guest device name ("nvme0n1", "eth0"), NUL-terminated
 * @type: DRVBOX_GUEST_DEV_BLK or DRVBOX_GUEST_DEV_NET
 * @nr_queues: queues the host offers (1..DRVBOX_EXPORT_MAX_QUEUES)
 * @queue_depth: ring entries per queue (power of two)
 * @slot_size: bytes per data slot
 * @first_queue_index: doorbell/vector of queue 0
 * @ring_offset: shared-area offset of queue 0's struct drvbox_queue_rings
 * @ring_stride: bytes between consecutive queues' rings
 * @reserved: zero
 */
struct drvbox_export_req {
	char name[32];
	__u32 type;
	__u32 nr_queues;
	__u32 queue_depth;
	__u32 slot_size;
	__u32 first_queue_index;
	__u32 ring_offset;
	__u32 ring_stride;
	__u32 reserved;
};

/* struct drvbox_export_state.state */
enum drvbox_export_state_val {
	DRVBOX_EXPORT_NONE	= 0,	/* not looked at yet */
	DRVBOX_EXPORT_READY	= 1,	/* device open, slots published */
	DRVBOX_EXPORT_ERROR	= 2,	/* cannot export: error says why */
};

/* struct drvbox_export_state.flags (block) */
#define DRVBOX_EXPORT_F_FLUSH		(1U << 0)	/* volatile write cache */
#define DRVBOX_EXPORT_F_FUA		(1U << 1)
#define DRVBOX_EXPORT_F_DISCARD		(1U << 2)
#define DRVBOX_EXPORT_F_WRITE_ZEROES	(1U << 3)
#define DRVBOX_EXPORT_F_RO		(1U << 4)
#define DRVBOX_EXPORT_F_ROTATIONAL	(1U << 5)

/**
 * struct drvbox_export_state - guest page: the stub's answer for one export
 * @state: enum drvbox_export_state_val
 * @error: negative errno when ERROR
 * @nr_queues: queues the stub serves (<= requested)
 * @flags: DRVBOX_EXPORT_F_*
 * @capacity: bytes
 * @logical_block_size: bytes
 * @physical_block_size: bytes
 * @max_discard_sectors: 512-byte sectors per discard, 0 if none
 * @max_write_zeroes_sectors: 512-byte sectors per write-zeroes, 0 if none
 * @discard_granularity: bytes
 * @padding: zero
 * @slots_gpa: GPA of the slot address table (see "Exports")
 */
struct drvbox_export_state {
	__u32 state;
	__s32 error;
	__u32 nr_queues;
	__u32 flags;
	__u64 capacity;
	__u32 logical_block_size;
	__u32 physical_block_size;
	__u32 max_discard_sectors;
	__u32 max_write_zeroes_sectors;
	__u32 discard_granularity;
	__u32 padding;
	__u64 slots_gpa;
};

/*
 * Queue rings (in the shared area).  Free-running __u32 indices; entry =
 * index & (queue_depth - 1).  The host produces requests (sq_prod) and
 * consumes completions (cq_cons); the guest consumes requests (sq_cons) and
 * produces completions (cq_prod).  Each side writes only its own indices
 * and reads the other's once per pass, checking that prod - cons never
 * exceeds queue_depth.  After producing, the host signals the queue's
 * MSI-X vector and the guest rings the queue's doorbell, each only when
 * the other side asked for it (sq_event, cq_event; see "Notifications"
 * below).
 */
struct drvbox_ring_index {
	__u32 val;
	__u32 padding[15];	/* one cache line each */
};

/*
 * Notifications are asked for, as with virtio's EVENT_IDX: each side
 * publishes, next to the indices, the value of the other side's index at
 * which it wants to be told, and the other side signals (vector) or rings
 * (doorbell) only when its index moves past that value:
 *
 *	tell = (__u32)(new - event - 1) < (__u32)(new - old)
 *
 * (old and new: the index before and after this publication).  Whoever
 * writes an event value then reads the index it watches again (after a
 * full barrier) and carries on if it moved, so nothing is missed.  An
 * event value only decides the reader's notifications: the host trusts
 * the guest's for nothing else, and still looks at the rings on its own
 * timer while requests are out.
 */
#define DRVBOX_NEED_EVENT(event, new, old)				\
	((__u32)((new) - (event) - 1) < (__u32)((new) - (old)))

/* struct drvbox_blk_req.op */
enum drvbox_blk_op {
	DRVBOX_BLK_OP_READ		= 1,
	DRVBOX_BLK_OP_WRITE		= 2,
	DRVBOX_BLK_OP_FLUSH		= 3,
	DRVBOX_BLK_OP_DISCARD		= 4,
	DRVBOX_BLK_OP_WRITE_ZEROES	= 5,
};

#define DRVBOX_BLK_REQ_F_FUA		(1U << 0)

/**
 * struct drvbox_blk_req - a block request, host -> guest
 * @id: slot index (low 16 bits) | generation (high 16 bits); the data of a
 *	READ/WRITE is in that slot of this queue
 * @op: enum drvbox_blk_op
 * @sector: start, in 512-byte sectors
 * @len: bytes (READ/WRITE: <= slot_size; DISCARD/WRITE_ZEROES: range)
 * @flags: DRVBOX_BLK_REQ_F_*
 * @reserved: zero
 */
struct drvbox_blk_req {
	__u32 id;
	__u32 op;
	__u64 sector;
	__u32 len;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct drvbox_blk_cpl - a completion, guest -> host
 * @id: as in the request
 * @status: 0 or a negative errno
 * @len: bytes transferred (READ: valid bytes in the slot)
 * @reserved: zero
 */
struct drvbox_blk_cpl {
	__u32 id;
	__s32 status;
	__u32 len;
	__u32 reserved;
};

/**
 * struct drvbox_queue_rings - one queue's rings in the shared area
 * (entries follow: queue_depth struct drvbox_blk_req, then queue_depth
 * struct drvbox_blk_cpl)
 */
struct drvbox_queue_rings {
	struct drvbox_ring_index sq_prod;	/* host */
	struct drvbox_ring_index sq_cons;	/* guest */
	struct drvbox_ring_index cq_prod;	/* guest */
	struct drvbox_ring_index cq_cons;	/* host */
	/* guest: signal when sq_prod passes it (its sq_cons once idle) */
	struct drvbox_ring_index sq_event;
	/* host: ring when cq_prod passes it (its cq_cons once reaped) */
	struct drvbox_ring_index cq_event;
};

/*
 * Network exports
 * ===============
 *
 * An export request of type DRVBOX_GUEST_DEV_NET asks the stub to hand
 * the guest netdev @name to the host, over nr_queues queues (the host
 * offers 1..DRVBOX_EXPORT_MAX_QUEUES; the stub serves as many as the
 * netdev has RX queues, at most that, and answers the count).  Queue q
 * has doorbell and MSI-X vector first_queue_index + q, and its own rings
 * and slots at ring_offset + q * ring_stride: struct drvbox_net_rings,
 * then queue_depth TX entries, then queue_depth RX entries (struct
 * drvbox_net_desc); the data slots follow at + DRVBOX_NET_SLOTS_OFFSET:
 * queue_depth TX slots, then queue_depth RX slots, slot_size bytes each.
 * Frames the host posts on any queue go out on the netdev (its driver
 * picks the NIC's TX queue); a frame the NIC received on RX queue r goes
 * to the host through queue r % nr_queues (a flow stays on one RX queue,
 * so it stays in order).  The settings signal (below) comes on queue 0's
 * vector.  Unlike block data,
 * net slots live in the shared area, not in guest RAM: the stub copies
 * every frame between a slot and an skb anyway, so the isolated driver
 * never DMAs into them, and the host needs no address from the guest.
 *
 * Entry i of a ring always goes with slot i of the same direction (index
 * & (queue_depth - 1)); there are no ids.  A frame is a struct
 * virtio_net_hdr_v1 (DRVBOX_NET_HDR_LEN bytes, little-endian, as in the
 * virtio spec) followed by the Ethernet frame.  It fills one slot, or, if
 * it is larger than a slot (a GSO frame of up to 64 KiB, or a jumbo
 * frame), consecutive slots: every entry but the frame's last has DRVBOX_NET_DESC_F_MORE, and
 * every slot but the last is full.  desc.len counts the bytes in the
 * entry's own slot; the header is at the start of the first.  A frame is
 * at most DRVBOX_NET_MAX_FRAME bytes with its header; one that is not a
 * GSO frame is at most MTU + 18 (Ethernet header and a VLAN tag) bytes.
 *
 * TX (host -> guest): the host copies a frame into TX slot tx_prod, fills
 * the entry, publishes tx_prod (release) and signals the vector if the
 * stub asked (tx_event, below).  The stub transmits it on the netdev (the
 * header asks for checksum or segmentation offload when the host offered
 * it, see the flags below) and publishes tx_cons: the slot is the host's
 * again; it rings the doorbell if the host waits for room.
 *
 * RX (guest -> host): the stub's rx_handler copies each frame the netdev
 * receives into RX slot rx_prod (if rx_prod - rx_cons < queue_depth, else
 * it drops it and counts), fills the entry, publishes rx_prod and rings
 * the doorbell if the host asked (rx_event).  The host validates and
 * copies it out and publishes rx_cons.
 *
 * The host checks every index it reads (no more than queue_depth ahead of
 * its own side, and never going back), every length (header + 14 <= len
 * <= slot_size) and every header field; a violation restarts the domain.
 * The host posts a TX frame only while the ring has room for the largest
 * one (DRVBOX_NET_MAX_FRAME), so a frame is never split by a full ring.
 *
 *
 * Settings from the host: what the host's interface asks of the NIC (up
 * or down, MTU, MAC address, promiscuous, all-multicast, the multicast
 * and secondary unicast address lists) is in the host page's
 * net_settings[] (same index as the export).  The host fills it, then
 * bumps seq (release) and signals queue 0's vector; seq 0 means the
 * host has asked nothing yet: the stub leaves the netdev as it found it
 * (up, its own MAC and MTU, multicast for its own stack).  The stub
 * applies every seq it sees, then writes it to settings_ack in its answer
 * and the first error (negative errno) of that pass to settings_error,
 * and rings DRVBOX_DB_CONTROL.  A new incarnation applies the current
 * settings before it answers READY, so it comes up as the host left it.
 */
#define DRVBOX_NET_QUEUE_DEPTH		256		/* power of two */
#define DRVBOX_NET_SLOT_SIZE		2048
#define DRVBOX_NET_HDR_LEN		12	/* struct virtio_net_hdr_v1 */
#define DRVBOX_NET_SLOTS_OFFSET		16384
/* header + a 64 KiB GSO frame + room for a VLAN tag and headers */
#define DRVBOX_NET_MAX_FRAME		(64 * 1024 + 128)

/* struct drvbox_net_desc.flags */
#define DRVBOX_NET_DESC_F_MORE		(1U << 0)	/* frame goes on (TX) */

/*
 * Notifications on the net rings are asked for as on the queue rings
 * (DRVBOX_NEED_EVENT, "Notifications" above):
 *
 * @tx_event (guest): signal when tx_prod passes it; the stub sets it to
 *	its tx_cons when it has taken everything.
 * @rx_event (host): ring when rx_prod passes it; the host sets it to its
 *	rx_cons when it has taken everything.
 * @tx_room_event (host): ring when tx_cons passes it (the stub looks after
 *	each frame it takes); the host sets it to tx_prod - depth/2 - 1 (half
 *	the ring free) when it waits for room in the TX ring, and to
 *	tx_cons + 2^31 (never) otherwise.
 */
/**
 * struct drvbox_net_rings - the indices of a net export's queue
 * @tx_prod: host: TX entries posted
 * @tx_cons: guest: TX entries taken (their slots are free again)
 * @rx_prod: guest: RX entries posted
 * @rx_cons: host: RX entries taken
 * @tx_event: guest: see above
 * @rx_event: host
 * @tx_room_event: host
 */
struct drvbox_net_rings {
	struct drvbox_ring_index tx_prod;
	struct drvbox_ring_index tx_cons;
	struct drvbox_ring_index rx_prod;
	struct drvbox_ring_index rx_cons;
	struct drvbox_ring_index tx_event;
	struct drvbox_ring_index rx_event;
	struct drvbox_ring_index tx_room_event;
};

/**
 * struct drvbox_net_desc - one TX or RX entry
 * @len: bytes in the slot (the first slot of a frame: DRVBOX_NET_HDR_LEN
 *	and the start of the frame)
 * @flags: DRVBOX_NET_DESC_F_MORE (TX only) or zero
 * @reserved: zero
 */
struct drvbox_net_desc {
	__u32 len;
	__u32 flags;
	__u64 reserved;
};

/* the largest MTU an export may have (frames fit 5 slots) */
#define DRVBOX_NET_MAX_MTU		9216

/* struct drvbox_net_export_state.flags */
#define DRVBOX_NET_F_LINK_UP		(1U << 0)	/* carrier (may change) */

/* struct drvbox_net_settings.flags */
#define DRVBOX_NET_SET_UP		(1U << 0)	/* interface up */
#define DRVBOX_NET_SET_PROMISC		(1U << 1)	/* every frame */
#define DRVBOX_NET_SET_ALLMULTI		(1U << 2)	/* every multicast */

/* addresses in struct drvbox_net_settings.addrs */
#define DRVBOX_NET_MAX_ADDRS		32

/**
 * struct drvbox_net_settings - host page: what the host asks of a netdev
 * @seq: bumped by the host after it changed the rest; 0: nothing asked
 * @flags: DRVBOX_NET_SET_*
 * @mtu: 68 .. the max_mtu of the answer
 * @mac: the unicast address the netdev takes
 * @nr_uc: secondary unicast addresses, first in @addrs
 * @nr_mc: multicast addresses, after them; @nr_uc + @nr_mc <=
 *	DRVBOX_NET_MAX_ADDRS (the host asks for ALLMULTI or PROMISC instead
 *	when its lists are longer)
 * @addrs: the addresses
 */
struct drvbox_net_settings {
	__u32 seq;
	__u32 flags;
	__u32 mtu;
	__u8 mac[6];
	__u8 nr_uc;
	__u8 nr_mc;
	__u8 addrs[DRVBOX_NET_MAX_ADDRS][6];
};

/**
 * struct drvbox_net_export_state - guest page: the answer for a net export
 * (the same slot and size as struct drvbox_export_state, read as this
 * when the request's type is DRVBOX_GUEST_DEV_NET)
 * @state: enum drvbox_export_state_val
 * @error: negative errno when ERROR
 * @nr_queues: queues the stub serves, 1..the request's nr_queues
 * @flags: DRVBOX_NET_F_*; the stub updates LINK_UP whenever the carrier
 *	of the netdev changes and rings DRVBOX_DB_CONTROL; the rest is fixed
 *	once READY
 * @mac: the netdev's MAC address (unicast, not zero)
 * @padding: zero
 * @mtu: the netdev's MTU (68 .. @max_mtu)
 * @tx_errors: TX frames the stub could not send (broken entry, no memory,
 *	offload request it could not apply); the stub bumps it, the host
 *	only shows it (never trusted)
 * @rx_dropped: frames the netdev received that the stub dropped (RX ring
 *	full, no room for the frame, a frame the host could not take); like
 *	@tx_errors
 * @max_mtu: the largest MTU the netdev takes (@mtu ..
 *	DRVBOX_NET_MAX_MTU), fixed once READY
 * @settings_ack: the last struct drvbox_net_settings seq applied
 * @settings_error: 0, or the first error applying it (negative errno)
 * @reserved: zero
 */
struct drvbox_net_export_state {
	__u32 state;
	__s32 error;
	__u32 nr_queues;
	__u32 flags;
	__u8 mac[6];
	__u16 padding;
	__u32 mtu;
	__u32 tx_errors;
	__u32 rx_dropped;
	__u32 max_mtu;
	__u32 settings_ack;
	__s32 settings_error;
	__u32 reserved[2];
};

/**
 * struct drvbox_shared_host - written by drvbox.ko, read by the stub
 * @magic: DRVBOX_SHARED_MAGIC once the host has set up the area
 * @proto_version: DRVBOX_GUEST_PROTO_VERSION
 * @incarnation: which incarnation this is (1, 2, ...)
 * @command: enum drvbox_guest_cmd; valid when @command_seq changes
 * @command_seq: incremented by the host for each new command
 * @heartbeat_ms: how often the stub must bump its heartbeat
 * @poll_us: how long a block queue's thread keeps looking for requests
 *	after it consumed the last one, while requests of its export are in
 *	flight, before it asks for a signal (sq_event); 0: it asks at once.
 *	The stub takes at most DRVBOX_POLL_US_MAX.
 * @reserved32, @reserved: zero
 */
struct drvbox_shared_host {
	__u32 magic;
	__u32 proto_version;
	__u32 incarnation;
	__u32 command;
	__u32 command_seq;
	__u32 heartbeat_ms;
	__u32 poll_us;
	__u32 reserved32;
	__u64 reserved[4];
	/* exports the host wants (see "Exports" below) */
	__u32 nr_exports;
	__u32 export_seq;
	struct drvbox_export_req exports[DRVBOX_SHARED_MAX_EXPORTS];
	/* net exports: what the host asks of them (see "Network exports") */
	struct drvbox_net_settings net_settings[DRVBOX_SHARED_MAX_EXPORTS];
};

/* the longest poll window either side uses (drvbox_shared_host.poll_us) */
#define DRVBOX_POLL_US_MAX	1000

/* stub states (struct drvbox_shared_guest.state) */
enum drvbox_guest_state {
	DRVBOX_GUEST_BOOTING	= 1,	/* stub probed, init loading modules */
	DRVBOX_GUEST_RUNNING	= 2,	/* all modules loaded */
	DRVBOX_GUEST_MODULE_FAILED = 3,	/* a module failed to load (see modules[]) */
};

/**
 * struct drvbox_shared_module - one module load, reported by the guest
 * @name: module file name, NUL-terminated
 * @error: 0 or the negative errno of finit_module()
 * @state: enum drvbox_module_state (uapi/drvbox.h)
 */
struct drvbox_shared_module {
	char name[56];
	__s32 error;
	__u32 state;
};

/**
 * struct drvbox_shared_dev - a block or net device found in the guest
 * @name: device name, NUL-terminated
 * @type: DRVBOX_GUEST_DEV_* (uapi/drvbox.h)
 * @flags: zero
 * @size: blk: bytes; net: 0
 * @mac: net: MAC address
 * @padding: zero
 */
struct drvbox_shared_dev {
	char name[32];
	__u32 type;
	__u32 flags;
	__u64 size;
	__u8 mac[6];
	__u8 padding[2];
};

#define DRVBOX_SHARED_MAX_MODULES	16
#define DRVBOX_SHARED_MAX_DEVS		16

/**
 * struct drvbox_shared_guest - written by the stub, validated by the host
 * @state: enum drvbox_guest_state
 * @heartbeat: bumped every heartbeat_ms while the guest is alive (no
 *	doorbell: the host polls it)
 * @command_ack: the last host command_seq the stub has acted on
 * @nr_modules: entries used in @modules
 * @nr_devs: entries used in @devs
 * @padding: zero
 * @modules: module load results, in load order
 * @devs: block and net devices present in the guest
 * @message: free text from the guest for logs (e.g. a loader error)
 */
struct drvbox_shared_guest {
	__u32 state;
	__u32 heartbeat;
	__u32 command_ack;
	__u32 nr_modules;
	__u32 nr_devs;
	__u32 padding;
	struct drvbox_shared_module modules[DRVBOX_SHARED_MAX_MODULES];
	struct drvbox_shared_dev devs[DRVBOX_SHARED_MAX_DEVS];
	char message[256];
	/* answers to the host's exports[], same index (see "Exports") */
	__u32 export_seq_ack;
	__u32 padding2;
	struct drvbox_export_state exports[DRVBOX_SHARED_MAX_EXPORTS];
};

/*
 * The boot image point (the guest <-> drvbox-vmm, not drvbox.ko)
 * ================================================================
 *
 * Guest init writes DRVBOX_IMAGE_POINT to I/O port DRVBOX_IMAGE_PORT
 * (32-bit OUT) once the kernel is up and before it loads any module, the
 * stub included: the VMM of a cold-booted incarnation may save the VM
 * there, and later incarnations start from that saved state instead of
 * booting (docs/recovery.md).  The VMM honours the first write of a cold
 * boot only: nothing but the host's own kernel and init have run by then.
 *
 * The stub, which every incarnation loads after the point, asks at probe
 * (32-bit INs, in the kernel): DRVBOX_IMAGE_PORT says DRVBOX_IMAGE_COLD
 * or DRVBOX_IMAGE_RESTORED; then DRVBOX_IMAGE_SEED_WORDS reads of
 * DRVBOX_IMAGE_SEED_PORT give fresh host randomness, and two reads of
 * DRVBOX_IMAGE_TIME_PORT the host's CLOCK_REALTIME in ns (low word
 * first; the first read latches the value), so that no two incarnations
 * share the RNG state or the clock the image was saved with.
 */
#define DRVBOX_IMAGE_PORT		0x0db0
#define DRVBOX_IMAGE_SEED_PORT		0x0db4
#define DRVBOX_IMAGE_TIME_PORT		0x0db8
#define DRVBOX_IMAGE_SEED_WORDS		16
#define DRVBOX_IMAGE_POINT		0x696d6731	/* "img1" */
#define DRVBOX_IMAGE_COLD		0
#define DRVBOX_IMAGE_RESTORED		1

/*
 * The console log port (the guest <-> drvbox-vmm, not drvbox.ko)
 * ===============================================================
 *
 * Every byte the guest writes to the 8250 is an exit.  Once the stub is
 * up, the guest's console (printk, and init's lines through the stub)
 * goes through one page of guest RAM instead: the stub writes the page's
 * frame number to DRVBOX_LOG_PFN_PORT, then for each console write puts
 * up to DRVBOX_LOG_PAGE bytes into the page and writes their count to
 * DRVBOX_LOG_LEN_PORT (32-bit OUTs, in the kernel): one exit per message.
 * The VMM copies the bytes out during that exit and logs them as it logs
 * the serial port's.  A frame outside guest RAM or a count over the page
 * is ignored, and the VMM says so once.
 */
#define DRVBOX_LOG_PFN_PORT		0x0dc0
#define DRVBOX_LOG_LEN_PORT		0x0dc4
#define DRVBOX_LOG_PAGE			4096

#endif /* _UAPI_LINUX_DRVBOX_GUEST_H */
