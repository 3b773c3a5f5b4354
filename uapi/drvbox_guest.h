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

#define DRVBOX_GUEST_PROTO_VERSION	1

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
 * The shared area (BAR 2)
 * =======================
 *
 * Page 0 is written by the host only (the guest may read it).  Page 1 is
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

/**
 * struct drvbox_shared_host - written by drvbox.ko, read by the stub
 * @magic: DRVBOX_SHARED_MAGIC once the host has set up the area
 * @proto_version: DRVBOX_GUEST_PROTO_VERSION
 * @incarnation: which incarnation this is (1, 2, ...)
 * @command: enum drvbox_guest_cmd; valid when @command_seq changes
 * @command_seq: incremented by the host for each new command
 * @heartbeat_ms: how often the stub must bump its heartbeat
 * @reserved: zero
 */
struct drvbox_shared_host {
	__u32 magic;
	__u32 proto_version;
	__u32 incarnation;
	__u32 command;
	__u32 command_seq;
	__u32 heartbeat_ms;
	__u64 reserved[5];
};

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
 * @heartbeat: bumped every heartbeat_ms while the guest is alive
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
};

#endif /* _UAPI_LINUX_DRVBOX_GUEST_H */
