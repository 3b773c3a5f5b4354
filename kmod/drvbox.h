/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox.ko internal interfaces, shared by the files of the host module.
 * Nothing here is visible to userspace or the guest: that contract lives
 * in uapi/.
 *
 * Objects and locking
 * ===================
 *
 * struct drvbox_domain: one per DRVBOX_CREATE.  Lives on the global list
 * (domain.c, under domains_lock) from create until it is finalized after
 * DRVBOX_DESTROY and the end of its last incarnation.  Its refcount is its
 * sysfs kobject.  d->lock (a mutex) protects every mutable field below it;
 * lock order is domains_lock -> d->lock.  Each existing domain holds a
 * reference on THIS_MODULE, so rmmod fails with EBUSY while domains exist.
 *
 * struct drvbox_inc: one incarnation's VMM side, owned by the /dev/drvbox
 * file the VMM bound with DRVBOX_VMM_ATTACH (file->private_data).  It owns
 * the guest RAM, the shared area and the eventfd references.  d->inc points
 * to it while it is attached; the pointer is set and cleared under d->lock,
 * so code holding d->lock with d->inc == inc may use inc's memory.  The
 * release of the file ends the incarnation (vmm_file.c).
 *
 * One delayed work per domain (d->supervise, on drvbox_wq) launches VMMs
 * and watches the incarnation (boot timeout, heartbeat, a VMM that dies
 * before attaching).  Only that work finalizes a domain, so it never has
 * to cancel itself; drvbox_wq is drained at module exit.
 */
#ifndef _DRVBOX_KMOD_H
#define _DRVBOX_KMOD_H

#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../uapi/drvbox.h"
#include "../uapi/drvbox_guest.h"
#include "spec.h"

struct drvbox_blk;
struct drvbox_net;
struct eventfd_ctx;
struct pid;
struct task_struct;

/*
 * Smallest shared area (BAR 2): the host and guest pages.  Domains with
 * block exports have queue rings after them (d->shared_bytes) and one
 * doorbell/vector per queue after the control one (d->nr_doorbells).
 */
#define DRVBOX_SHARED_BYTES	DRVBOX_SHARED_MIN_SIZE
/*
 * How often the supervisor looks at a domain that has a VMM: every
 * DRVBOX_TICK_MS while it starts or stops, at least every
 * DRVBOX_RUNNING_TICK_MAX_MS while it runs (supervisor_period()).
 */
#define DRVBOX_TICK_MS			100
#define DRVBOX_RUNNING_TICK_MAX_MS	1000
/* A hung guest's VMM logs where its vCPUs are (SIGQUIT) within this. */
#define DRVBOX_HANG_REPORT_MS		5000

/* Where the VMM is in the current incarnation (d->vmm). */
enum drvbox_vmm_phase {
	VMM_NONE,		/* no VMM: between incarnations, failed, stopped */
	VMM_LAUNCHING,		/* exec in flight or waiting for DRVBOX_VMM_ATTACH */
	VMM_ATTACHED,		/* d->inc is the attached incarnation */
};

/**
 * struct drvbox_doorbell - one doorbell eventfd the supervisor waits on
 * @ctx: eventfd context (reference held)
 * @wait: our entry on the eventfd's wait queue
 * @pt: poll table used once, to add @wait
 * @inc: the incarnation this doorbell belongs to
 */
struct drvbox_doorbell {
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
	struct drvbox_inc *inc;
};

/**
 * struct drvbox_inc - one attached incarnation (the VMM's file)
 * @dom: the domain (holds a kobject reference)
 * @number: incarnation number
 * @ram_pages: guest RAM, @ram_bytes, page by page as first touched
 *	(guest_ram.c; NULL: not yet); @ram_lock: serializes filling it
 * @shared: the shared area, vmalloc_user(), d->shared_bytes
 * @ram_bytes: guest RAM size
 * @doorbells: doorbell eventfds, @nr_doorbells used (set once, under d->lock)
 * @irqs: irqfds to interrupt the guest, @nr_irqs used
 * @doorbell_work: reads the guest page after a doorbell
 * @report_kind: last DRVBOX_VMM_REPORT kind, 0 if none (under d->lock)
 * @report: its message
 */
struct drvbox_inc {
	struct drvbox_domain *dom;
	u32 number;
	struct page **ram_pages;
	void *shared;
	u64 ram_bytes;
	bool ram_runs;			/* allocate guest RAM GUEST_RAM_RUN at a time */
	struct mutex ram_lock;
	struct drvbox_doorbell doorbells[DRVBOX_MAX_DOORBELLS];
	unsigned int nr_doorbells;
	struct eventfd_ctx *irqs[DRVBOX_MAX_VECTORS];
	unsigned int nr_irqs;
	bool eventfds_set;
	struct work_struct doorbell_work;
	u32 report_kind;
	char report[DRVBOX_MSG_LEN];
};

/**
 * struct drvbox_ram_pool - pages an ended incarnation leaves to the next
 * (ram_pool.c); @lock guards @pages and @nr
 */
struct drvbox_ram_pool {
	spinlock_t lock;
	struct list_head pages;
	unsigned long nr;
	unsigned long max;		/* the domain's RAM, in pages */
};

/**
 * struct drvbox_domain - a driver domain
 *
 * Immutable after create: @name, @mem_mib, @vcpus, @flags, @restart_limit,
 * @restart_window_s, @exports, @nr_exports, @passthrough.  @ram_pool has
 * its own lock.  Everything else is under @lock, @spec and @spec_len
 * included: an upgrade replaces them.
 */
struct drvbox_domain {
	struct kobject kobj;
	struct list_head node;		/* on the global list, domains_lock */
	char name[DRVBOX_NAME_LEN];
	u32 mem_mib;
	u32 vcpus;
	u32 flags;
	u32 restart_limit;
	u32 restart_window_s;
	char *spec;
	u32 spec_len;
	struct drvbox_export_status exports[DRVBOX_MAX_EXPORTS];
	u32 nr_exports;
	bool passthrough;		/* a pci= device: VFIO pins all guest RAM */
	struct drvbox_ram_pool ram_pool;	/* its own lock */

	struct mutex lock;
	wait_queue_head_t wq;		/* woken when the VMM goes or the domain dies */
	struct delayed_work supervise;
	enum drvbox_state state;
	enum drvbox_vmm_phase vmm;
	bool need_launch;		/* supervise work must launch the next VMM */
	bool stop_requested;		/* DRVBOX_DESTROY seen: finalize when no VMM */
	bool restart_requested;		/* DRVBOX_RESTART: next end is not a crash */
	bool dead;			/* finalized: off the list, no more work */
	u32 incarnation;
	u32 restarts;
	u32 crashes;
	u32 boot_ms;
	unsigned long launch_jiffies;
	u64 running_since_ns;		/* ktime_get_ns() when RUNNING, else 0 */
	unsigned long window_start;	/* crash rate limit: fixed window */
	u32 window_crashes;
	struct pid *vmm_pid;		/* from the umh init callback */
	struct task_struct *vmm_task;	/* same task, for its exit code */
	struct drvbox_inc *inc;
	char kill_reason[DRVBOX_MSG_LEN];	/* why we killed the VMM, if we did */
	unsigned long kill_deadline;	/* SIGKILL a hung guest's VMM then; 0: no */
	u32 last_heartbeat;
	u32 last_command_ack;
	unsigned long heartbeat_jiffies;	/* last sign of life */
	u32 pings;			/* this incarnation */
	u32 guest_state;
	u32 protocol_errors;
	u32 command_seq;
	char last_crash_reason[DRVBOX_MSG_LEN];
	char last_error[DRVBOX_MSG_LEN];
	struct drvbox_module_status modules[DRVBOX_MAX_MODULES];
	u32 nr_modules;
	struct drvbox_guest_dev guest_devs[DRVBOX_MAX_GUEST_DEVS];
	u32 nr_guest_devs;
	/* isolated block devices (blk.h); set at create, cleared at finalize */
	struct drvbox_blk *blk[DRVBOX_MAX_EXPORTS];
	/* isolated network interfaces (net.h); the same lifetime */
	struct drvbox_net *net[DRVBOX_MAX_EXPORTS];
	u32 shared_bytes;		/* immutable: BAR 2 incl. queue rings */
	u32 nr_doorbells;		/* immutable: = vectors, 1 + queues */
	/* graceful restart and upgrade (upgrade.c) */
	const char *drain_why;		/* draining: the kill reason after it */
	unsigned long drain_deadline;	/* jiffies: restart anyway after this */
	char *old_spec;			/* upgrading: the spec to go back to */
	u32 old_spec_len;
	u32 upgrade_inc;		/* the first incarnation on the new spec */
	u32 upgrades;
	u32 rollbacks;
};

static inline struct drvbox_domain *to_domain(struct kobject *kobj)
{
	return container_of(kobj, struct drvbox_domain, kobj);
}

/* main.c */
extern struct workqueue_struct *drvbox_wq;
extern struct workqueue_struct *drvbox_io_wq;

/* ctl.c: /dev/drvbox */
int drvbox_ctl_init(void);
void drvbox_ctl_exit(void);

/* domain.c: the registry and lifecycle requests */
/* ram_pool.c */
void ram_pool_init(struct drvbox_ram_pool *p, unsigned long max_pages);
bool ram_pool_give(struct drvbox_ram_pool *p, struct page *page);
struct page *ram_pool_take(struct drvbox_ram_pool *p);
void ram_pool_drain(struct drvbox_ram_pool *p);

/* guest_ram.c */
int guest_ram_alloc(struct drvbox_inc *inc, u64 bytes, bool runs);
void guest_ram_free(struct drvbox_inc *inc);
int guest_ram_write(struct drvbox_inc *inc, u64 off, const void *buf,
		    size_t len);
int guest_ram_read(struct drvbox_inc *inc, void *buf, u64 off, size_t len);
int guest_ram_populate(struct drvbox_inc *inc, u64 off, u64 len);
int guest_ram_load(struct drvbox_inc *inc, struct file *file, loff_t pos,
		   u64 off, u64 len);
int guest_ram_mmap(struct drvbox_inc *inc, struct vm_area_struct *vma);
int guest_ram_map_range(struct drvbox_inc *inc, unsigned long addr, u64 off,
			u64 len);

int domain_create(const struct drvbox_create *c, char *spec);
int domain_destroy(const char *name);
int domain_restart(const char *name, u32 flags);
int domain_crash(const char *name, u32 how);
int domain_post_command(struct drvbox_domain *d, u32 cmd);
int domain_status(struct drvbox_domain_status *st);
int domain_list(char (*names)[DRVBOX_NAME_LEN], u32 room, u32 *count);
struct drvbox_domain *domain_get(const char *name);
void domain_put(struct drvbox_domain *d);
void domain_finalize(struct drvbox_domain *d);
bool domain_name_valid(const char *name);
const char *domain_state_word(enum drvbox_state state);


/* upgrade.c: graceful restarts and driver upgrades */
int domain_upgrade(const char *name, char *drv, u32 drv_len);
void upgrade_drain(struct drvbox_domain *d, const char *why);
void upgrade_watch(struct drvbox_domain *d);
void upgrade_running(struct drvbox_domain *d);
bool upgrade_rollback(struct drvbox_domain *d, const char *why);
bool upgrade_in_trial(const struct drvbox_domain *d);

/* supervisor.c: launching and watching VMMs */
extern unsigned int heartbeat_ms;
void supervisor_work(struct work_struct *work);
void supervisor_kick(struct drvbox_domain *d, unsigned long delay);
void supervisor_kill_vmm(struct drvbox_domain *d, const char *reason);
void supervisor_incarnation_end(struct drvbox_domain *d,
				struct drvbox_inc *inc);
void supervisor_fail(struct drvbox_domain *d, const char *fmt, ...)
	__printf(2, 3);
u32 supervisor_mem_kib(struct drvbox_domain *d);
u32 supervisor_vmm_pid(struct drvbox_domain *d);

/* guest.c: the guest's page of the shared area */
void guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc);
void guest_reset(struct drvbox_domain *d);
const char *guest_errno_text(int err);

/* vmm_file.c: the file of an attached VMM */
long vmm_ioctl(struct file *file, unsigned int cmd, void __user *argp);
int vmm_mmap(struct file *file, struct vm_area_struct *vma);
int vmm_release(struct file *file);

/* sysfs.c: /sys/kernel/drvbox/domains/NAME */
int drvbox_sysfs_init(void);
void drvbox_sysfs_exit(void);
int domain_sysfs_add(struct drvbox_domain *d);
void domain_sysfs_del(struct drvbox_domain *d);
extern const struct kobj_type domain_ktype;

#endif /* _DRVBOX_KMOD_H */
