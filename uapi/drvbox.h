/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drvbox: the /dev/drvbox control interface.
 *
 * This header is the contract between drvbox.ko and its userspace tools.
 * Rules, for every struct here:
 *  - fixed size, naturally aligned, explicit padding, __u32/__u64 only;
 *  - fields named "padding" or "reserved" must be zero on input and are
 *    zeroed on output; the kernel rejects non-zero ones with EINVAL so they
 *    can gain meaning later;
 *  - a struct never changes once released: a newer version embeds the old
 *    one, and new fields name the DRVBOX_API_VERSION that added them.
 *
 * Call DRVBOX_GET_VERSION first and refuse to run on a version you do not
 * know.
 */
#ifndef _UAPI_LINUX_DRVBOX_H
#define _UAPI_LINUX_DRVBOX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DRVBOX_API_VERSION	3	/* 2: DRVBOX_UPGRADE, graceful restart, DRVBOX_VMM_POPULATE; 3: DRVBOX_VMM_LOAD_RAM */

#define DRVBOX_DEV_NAME		"drvbox"
#define DRVBOX_DEV_PATH		"/dev/" DRVBOX_DEV_NAME

/**
 * struct drvbox_version - DRVBOX_GET_VERSION argument
 * @api_version: out: DRVBOX_API_VERSION of the running module
 * @flags: in: must be zero
 * @reserved: in: must be zero; out: zero
 */
struct drvbox_version {
	__u32 api_version;
	__u32 flags;
	__u64 reserved[3];
};

/*
 * Domains
 * =======
 *
 * A domain is named (DRVBOX_NAME_LEN including the NUL; characters
 * [A-Za-z0-9_.-], starting with a letter or digit).  DRVBOX_CREATE records
 * its configuration and launches the VMM; the domain then lives until
 * DRVBOX_DESTROY, whatever happens to the process that created it.  Each
 * launch of the VMM is one *incarnation*, with fresh zeroed guest memory.
 */
#define DRVBOX_NAME_LEN		32
#define DRVBOX_SPEC_MAX		65536	/* bytes, see struct drvbox_create */
#define DRVBOX_MIN_MEM_MIB	128
#define DRVBOX_MAX_MEM_MIB	16384
#define DRVBOX_MAX_VCPUS	8
#define DRVBOX_MAX_MODULES	16	/* modules the guest reports on */
#define DRVBOX_MAX_EXPORTS	8
#define DRVBOX_MAX_GUEST_DEVS	16
#define DRVBOX_MSG_LEN		256

/* domain states (struct drvbox_domain_status.state) */
enum drvbox_state {
	DRVBOX_STATE_STARTING	= 1,	/* VMM launched, guest booting */
	DRVBOX_STATE_RUNNING	= 2,	/* guest stub reported its modules loaded */
	DRVBOX_STATE_RESTARTING	= 3,	/* incarnation died, next one launching */
	DRVBOX_STATE_STOPPING	= 4,	/* DRVBOX_DESTROY in progress */
	DRVBOX_STATE_FAILED	= 5,	/* gave up; last_error says why */
};

/* struct drvbox_create.flags */
#define DRVBOX_CREATE_F_NO_RESTART	(1U << 0)	/* a crash leaves it failed */
#define DRVBOX_CREATE_F_ALL		DRVBOX_CREATE_F_NO_RESTART

/* struct drvbox_create.restart_limit: never give up */
#define DRVBOX_RESTART_UNLIMITED	0xffffffffU

/**
 * struct drvbox_create - DRVBOX_CREATE argument
 * @name: domain name, NUL-terminated
 * @mem_mib: guest RAM in MiB, DRVBOX_MIN_MEM_MIB..DRVBOX_MAX_MEM_MIB
 * @vcpus: 1..DRVBOX_MAX_VCPUS
 * @flags: DRVBOX_CREATE_F_*
 * @restart_limit: crashes tolerated within @restart_window_s before the
 *	domain goes to FAILED; 0 = module default, DRVBOX_RESTART_UNLIMITED
 * @restart_window_s: 0 = module default
 * @spec_len: bytes at @spec_ptr including the final NUL, <= DRVBOX_SPEC_MAX
 * @spec_ptr: the VMM's part of the configuration: "key=value" strings, each
 *	NUL-terminated, back to back.  drvbox.ko checks the framing (printable,
 *	non-empty, known keys) and hands it to every incarnation's VMM.  Keys:
 *	"kernel=PATH" (once, required), "module=PATH|NAME" (each driver, in
 *	load order), "param=MODULE.KEY=VALUE", "pci=DDDD:BB:DD.F",
 *	"export=blk:DEV|net:IF", "cmdline=ARGS" (appended to the guest's).
 * @reserved: must be zero
 */
struct drvbox_create {
	char name[DRVBOX_NAME_LEN];
	__u32 mem_mib;
	__u32 vcpus;
	__u32 flags;
	__u32 restart_limit;
	__u32 restart_window_s;
	__u32 spec_len;
	__u64 spec_ptr;
	__u64 reserved[4];
};

/* struct drvbox_domain_ref.flags of DRVBOX_RESTART (API 2) */
#define DRVBOX_RESTART_F_GRACEFUL	(1U << 0)	/* drain, then restart */
#define DRVBOX_RESTART_F_ALL		DRVBOX_RESTART_F_GRACEFUL

/**
 * struct drvbox_domain_ref - names a domain (DRVBOX_DESTROY, DRVBOX_RESTART)
 * @name: domain name
 * @flags: DRVBOX_DESTROY: must be zero; DRVBOX_RESTART: DRVBOX_RESTART_F_*.
 *	A graceful restart first holds new block requests on the host and
 *	waits (module parameter drain_timeout_ms at most) until the guest
 *	has completed the ones it has, then restarts; what was held goes to
 *	the next incarnation, as after a crash.  Only a RUNNING domain
 *	drains; otherwise the flag is ignored.
 * @padding: must be zero
 * @reserved: must be zero
 */
struct drvbox_domain_ref {
	char name[DRVBOX_NAME_LEN];
	__u32 flags;
	__u32 padding;
	__u64 reserved[2];
};

/**
 * struct drvbox_upgrade - DRVBOX_UPGRADE argument (API 2)
 * @name: domain name; must be RUNNING
 * @flags: must be zero
 * @spec_len: bytes at @spec_ptr including the final NUL, <= DRVBOX_SPEC_MAX
 * @spec_ptr: the new drivers, framed as struct drvbox_create's spec but
 *	with only "module=" (at least one) and "param=" strings.  They
 *	replace every module= and param= of the domain's spec; the rest
 *	(kernel, PCI devices, exports, command line) stays.
 * @reserved: must be zero
 *
 * The domain drains (a graceful restart) and its next incarnation loads
 * the new drivers; the exports' host devices stay, and held or in-flight
 * block requests are replayed to it.  Should that incarnation end before
 * it is RUNNING (a module that fails to load, a driver that crashes or
 * does not export in time), the domain goes back to the previous spec
 * and restarts once more: struct drvbox_domain_status.rollbacks counts
 * it and last_crash_reason says why.  EAGAIN: the domain is not RUNNING;
 * EBUSY: being stopped, or an upgrade or graceful restart is under way.
 */
struct drvbox_upgrade {
	char name[DRVBOX_NAME_LEN];
	__u32 flags;
	__u32 spec_len;
	__u64 spec_ptr;
	__u64 reserved[2];
};

/* struct drvbox_crash.how */
enum drvbox_crash_how {
	DRVBOX_CRASH_PANIC	= 1,	/* guest kernel panic() */
	DRVBOX_CRASH_OOPS	= 2,	/* wild pointer write in the guest kernel */
	DRVBOX_CRASH_HANG	= 3,	/* every guest vCPU spins, interrupts off */
	DRVBOX_CRASH_VMM_KILL	= 4,	/* SIGKILL to the VMM process */
};

/**
 * struct drvbox_crash - DRVBOX_CRASH argument: fault injection
 * @name: domain name; must be RUNNING
 * @how: enum drvbox_crash_how
 * @flags: must be zero
 * @reserved: must be zero
 */
struct drvbox_crash {
	char name[DRVBOX_NAME_LEN];
	__u32 how;
	__u32 flags;
	__u64 reserved[2];
};

/* struct drvbox_module_status.state */
enum drvbox_module_state {
	DRVBOX_MODULE_PENDING	= 0,
	DRVBOX_MODULE_LOADED	= 1,
	DRVBOX_MODULE_FAILED	= 2,	/* error = the guest's -errno */
};

/**
 * struct drvbox_module_status - one module as the guest reported it
 * @name: module file name as loaded in the guest
 * @error: negative errno from finit_module() in the guest, or 0
 * @state: enum drvbox_module_state
 */
struct drvbox_module_status {
	char name[56];
	__s32 error;
	__u32 state;
};

/* struct drvbox_guest_dev.type */
#define DRVBOX_GUEST_DEV_BLK	1
#define DRVBOX_GUEST_DEV_NET	2

/**
 * struct drvbox_guest_dev - a block or net device present in the guest
 * @name: its name in the guest ("nvme0n1", "eth0")
 * @type: DRVBOX_GUEST_DEV_*
 * @flags: reserved, zero
 * @size: blk: capacity in bytes; net: 0
 * @mac: net: MAC address; blk: zero
 * @padding: zero
 */
struct drvbox_guest_dev {
	char name[32];
	__u32 type;
	__u32 flags;
	__u64 size;
	__u8 mac[6];
	__u8 padding[2];
};

/**
 * struct drvbox_export_status - one --export of a domain
 * @spec: as given, e.g. "blk:nvme0n1"
 * @host_dev: the host device it became ("vdb", "eth1"), empty if none yet
 */
struct drvbox_export_status {
	char spec[48];
	char host_dev[32];
};

/**
 * struct drvbox_domain_status - DRVBOX_DOMAIN_STATUS argument
 * @name: in: domain name
 * @state: enum drvbox_state
 * @incarnation: number of the current (or last) incarnation, from 1
 * @restarts: incarnations launched after the first (crash or request)
 * @crashes: incarnations that ended without being asked to
 * @boot_ms: last incarnation: VMM launch to RUNNING, 0 if not reached
 * @mem_kib: host memory drvbox.ko holds for the domain now
 * @mem_mib: configured guest RAM
 * @vcpus: configured vCPUs
 * @vmm_pid: pid of the current VMM in the caller's pid namespace, 0 if none
 * @nr_modules: entries used in @modules
 * @nr_guest_devs: entries used in @guest_devs
 * @nr_exports: entries used in @exports
 * @flags: DRVBOX_CREATE_F_* the domain was created with
 * @uptime_ms: time since the current incarnation reached RUNNING
 * @last_crash_reason: why the previous incarnation ended, empty if none
 * @last_error: why the domain is FAILED, empty otherwise
 * @modules: the guest's report on each requested module
 * @guest_devs: block and net devices the guest stub found
 * @exports: the domain's exports
 * @upgrades: upgrades completed: the new drivers reached RUNNING (API 2)
 * @rollbacks: upgrades undone: back on the previous drivers (API 2)
 * @reserved: zero
 */
struct drvbox_domain_status {
	char name[DRVBOX_NAME_LEN];
	__u32 state;
	__u32 incarnation;
	__u32 restarts;
	__u32 crashes;
	__u32 boot_ms;
	__u32 mem_kib;
	__u32 mem_mib;
	__u32 vcpus;
	__s32 vmm_pid;
	__u32 nr_modules;
	__u32 nr_guest_devs;
	__u32 nr_exports;
	__u32 flags;
	__u32 padding;
	__u64 uptime_ms;
	char last_crash_reason[DRVBOX_MSG_LEN];
	char last_error[DRVBOX_MSG_LEN];
	struct drvbox_module_status modules[DRVBOX_MAX_MODULES];
	struct drvbox_guest_dev guest_devs[DRVBOX_MAX_GUEST_DEVS];
	struct drvbox_export_status exports[DRVBOX_MAX_EXPORTS];
	__u32 upgrades;
	__u32 rollbacks;
	__u64 reserved[7];
};

/**
 * struct drvbox_list - DRVBOX_LIST argument
 * @count: in: entries available at @names_ptr; out: number of domains (may
 *	exceed the input; then only the first entries were written)
 * @padding: must be zero
 * @names_ptr: array of char[DRVBOX_NAME_LEN], sorted by name
 * @reserved: must be zero
 */
struct drvbox_list {
	__u32 count;
	__u32 padding;
	__u64 names_ptr;
	__u64 reserved[2];
};

/*
 * The VMM side
 * ============
 *
 * drvbox.ko launches the VMM (module parameter vmm_path) as
 *	drvbox-vmm --domain NAME --incarnation N
 * The VMM opens /dev/drvbox and binds that file to the incarnation with
 * DRVBOX_VMM_ATTACH.  The file then represents the incarnation:
 *  - mmap offset 0, length mem_bytes: guest RAM (zeroed, owned by drvbox.ko;
 *    register it as the guest's RAM memslot, DMA-map it for VFIO);
 *  - mmap offset shared_offset, length shared_bytes: the shared area, the
 *    drvbox PCI device's BAR 2 (layout in drvbox_guest.h);
 *  - closing it (VMM exit, crash, SIGKILL) ends the incarnation.
 * A VMM that fails tells why with DRVBOX_VMM_REPORT before exiting.
 */

/**
 * struct drvbox_vmm_attach - DRVBOX_VMM_ATTACH argument
 * @name: in: domain name (from --domain)
 * @incarnation: in: from --incarnation; must be the one being launched
 * @padding: must be zero
 * @mem_bytes: out: guest RAM size, mmap offset 0
 * @shared_offset: out: mmap offset of the shared area
 * @shared_bytes: out: size of the shared area
 * @vcpus: out: vCPUs to create
 * @spec_len: out: bytes DRVBOX_VMM_GET_SPEC returns
 * @nr_doorbells: out: doorbell eventfds drvbox.ko wants (DRVBOX_VMM_SET_EVENTFDS)
 * @nr_vectors: out: MSI-X vectors (irqfds) the drvbox device has
 * @reserved: in: must be zero; out: zero
 */
struct drvbox_vmm_attach {
	char name[DRVBOX_NAME_LEN];
	__u32 incarnation;
	__u32 padding;
	__u64 mem_bytes;
	__u64 shared_offset;
	__u32 shared_bytes;
	__u32 vcpus;
	__u32 spec_len;
	__u32 nr_doorbells;
	__u32 nr_vectors;
	__u32 padding2;
	__u64 reserved[4];
};

/**
 * struct drvbox_vmm_spec - DRVBOX_VMM_GET_SPEC argument
 * @ptr: buffer for the spec (see struct drvbox_create)
 * @len: in: buffer size, >= spec_len; out: bytes written
 * @padding: must be zero
 * @reserved: must be zero
 */
struct drvbox_vmm_spec {
	__u64 ptr;
	__u32 len;
	__u32 padding;
	__u64 reserved[2];
};

#define DRVBOX_MAX_DOORBELLS	16
#define DRVBOX_MAX_VECTORS	16

/**
 * struct drvbox_vmm_eventfds - DRVBOX_VMM_SET_EVENTFDS argument
 * @doorbell_fds: eventfds the VMM bound with KVM_IOEVENTFD to the doorbell
 *	registers of BAR 0 (doorbell i at DRVBOX_BAR0_DOORBELL(i)); drvbox.ko
 *	waits on them
 * @irq_fds: eventfds the VMM bound with KVM_IRQFD to the MSI-X vectors of the
 *	drvbox device; drvbox.ko signals them to interrupt the guest
 * @nr_doorbells: entries used in @doorbell_fds (as DRVBOX_VMM_ATTACH said)
 * @nr_vectors: entries used in @irq_fds (as DRVBOX_VMM_ATTACH said)
 * @reserved: must be zero
 */
struct drvbox_vmm_eventfds {
	__s32 doorbell_fds[DRVBOX_MAX_DOORBELLS];
	__s32 irq_fds[DRVBOX_MAX_VECTORS];
	__u32 nr_doorbells;
	__u32 nr_vectors;
	__u64 reserved[2];
};

/* struct drvbox_vmm_report.kind */
enum drvbox_vmm_report_kind {
	DRVBOX_VMM_START_ERROR	= 1,	/* could not start the guest: final */
	DRVBOX_VMM_GUEST_EXIT	= 2,	/* the guest died (panic, shutdown, fault) */
	DRVBOX_VMM_VMM_ERROR	= 3,	/* the VMM failed while the guest ran */
};

/**
 * struct drvbox_vmm_report - DRVBOX_VMM_REPORT argument
 * @kind: enum drvbox_vmm_report_kind
 * @flags: must be zero
 * @message: one line for users, NUL-terminated ("kernel image
 *	/boot/vmlinuz-x: No such file or directory", "guest panic: ...")
 * @reserved: must be zero
 *
 * A START_ERROR makes the domain FAILED with @message as last_error (a
 * restart would fail the same way); the others become last_crash_reason.
 */
struct drvbox_vmm_report {
	__u32 kind;
	__u32 flags;
	char message[DRVBOX_MSG_LEN];
	__u64 reserved[2];
};

/**
 * struct drvbox_vmm_populate - DRVBOX_VMM_POPULATE argument (API 2)
 * @addr: where this VMM mapped guest RAM (the start of that mapping)
 * @offset: page-aligned offset in guest RAM
 * @len: page-aligned bytes from @offset, inside guest RAM
 * @reserved: must be zero
 *
 * Gives [@offset, @offset + @len) its zeroed pages and maps them in the
 * VMM's mapping at once, instead of a fault per page: for a range the
 * VMM is about to write in full (a boot image's RAM).  Pages already
 * there are left as they are.
 */
struct drvbox_vmm_populate {
	__u64 addr;
	__u64 offset;
	__u64 len;
	__u64 reserved[2];
};

/**
 * struct drvbox_vmm_load_ram - DRVBOX_VMM_LOAD_RAM argument (API 3)
 * @fd: a regular file open for reading (a boot image)
 * @flags: must be zero
 * @file_offset: where in @fd the bytes start
 * @offset: page-aligned offset in guest RAM
 * @len: page-aligned bytes from @offset, inside guest RAM
 * @reserved: must be zero
 *
 * Fills [@offset, @offset + @len) of guest RAM with the bytes of @fd from
 * @file_offset, read by drvbox.ko straight into the pages: pages not
 * there yet are allocated and never zeroed first, and whatever lies past
 * the end of @fd reads as zeroes.  Maps nothing (DRVBOX_VMM_POPULATE
 * does).  Returns 0, or a negative errno with the range partly filled.
 */
struct drvbox_vmm_load_ram {
	__s32 fd;
	__u32 flags;
	__u64 file_offset;
	__u64 offset;
	__u64 len;
	__u64 reserved[2];
};

/* ioctl numbers, all under one magic, grouped by purpose. */
#define DRVBOX_IOCTL_MAGIC	0xDB

/* 0x00-0x0f: module-wide queries */
#define DRVBOX_GET_VERSION	_IOWR(DRVBOX_IOCTL_MAGIC, 0x00, struct drvbox_version)
#define DRVBOX_LIST		_IOWR(DRVBOX_IOCTL_MAGIC, 0x01, struct drvbox_list)

/* 0x10-0x1f: domain lifecycle (operators, the drvbox CLI) */
#define DRVBOX_CREATE		_IOW(DRVBOX_IOCTL_MAGIC, 0x10, struct drvbox_create)
#define DRVBOX_DESTROY		_IOW(DRVBOX_IOCTL_MAGIC, 0x11, struct drvbox_domain_ref)
#define DRVBOX_DOMAIN_STATUS	_IOWR(DRVBOX_IOCTL_MAGIC, 0x12, struct drvbox_domain_status)
#define DRVBOX_RESTART		_IOW(DRVBOX_IOCTL_MAGIC, 0x13, struct drvbox_domain_ref)
#define DRVBOX_CRASH		_IOW(DRVBOX_IOCTL_MAGIC, 0x14, struct drvbox_crash)
#define DRVBOX_UPGRADE		_IOW(DRVBOX_IOCTL_MAGIC, 0x15, struct drvbox_upgrade)

/* 0x20-0x2f: the VMM of one incarnation */
#define DRVBOX_VMM_ATTACH	_IOWR(DRVBOX_IOCTL_MAGIC, 0x20, struct drvbox_vmm_attach)
#define DRVBOX_VMM_GET_SPEC	_IOWR(DRVBOX_IOCTL_MAGIC, 0x21, struct drvbox_vmm_spec)
#define DRVBOX_VMM_SET_EVENTFDS	_IOW(DRVBOX_IOCTL_MAGIC, 0x22, struct drvbox_vmm_eventfds)
#define DRVBOX_VMM_REPORT	_IOW(DRVBOX_IOCTL_MAGIC, 0x23, struct drvbox_vmm_report)
#define DRVBOX_VMM_POPULATE	_IOW(DRVBOX_IOCTL_MAGIC, 0x24, struct drvbox_vmm_populate)
#define DRVBOX_VMM_LOAD_RAM	_IOW(DRVBOX_IOCTL_MAGIC, 0x25, struct drvbox_vmm_load_ram)

#endif /* _UAPI_LINUX_DRVBOX_H */
