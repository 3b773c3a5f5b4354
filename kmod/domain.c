// SPDX-License-Identifier: GPL-2.0
/*
 * Driver domains: the registry and the requests operators make
 * (create, destroy, restart, crash, status, list).
 *
 * The global list is sorted by name and protected by domains_lock; each
 * domain's own state is under d->lock (see drvbox.h for the lock order and
 * the lifetime rules).  Launching and watching VMMs is supervisor.c's job;
 * this file only records requests and kicks the supervisor.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "blk.h"
#include "compat.h"
#include "drvbox.h"
#include "net.h"

/* A bound on how many domains one host runs (each one is a VM). */
#define DRVBOX_MAX_DOMAINS	64
/* How long DRVBOX_DESTROY waits for the VMM to go after SIGKILL. */
#define DRVBOX_DESTROY_WAIT	(30 * HZ)

static LIST_HEAD(domains);
static DEFINE_MUTEX(domains_lock);
static unsigned int nr_domains;

const char *domain_state_word(enum drvbox_state state)
{
	switch (state) {
	case DRVBOX_STATE_STARTING:	return "starting";
	case DRVBOX_STATE_RUNNING:	return "running";
	case DRVBOX_STATE_RESTARTING:	return "restarting";
	case DRVBOX_STATE_STOPPING:	return "stopping";
	case DRVBOX_STATE_FAILED:	return "failed";
	}
	return "unknown";
}

/* [A-Za-z0-9_.-], starting with a letter or digit, NUL within the array. */
bool domain_name_valid(const char *name)
{
	size_t i, len = strnlen(name, DRVBOX_NAME_LEN);

	if (len == 0 || len == DRVBOX_NAME_LEN || !isalnum(name[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

/* domains_lock held */
static struct drvbox_domain *domain_find(const char *name)
{
	struct drvbox_domain *d;

	lockdep_assert_held(&domains_lock);

	list_for_each_entry(d, &domains, node)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/**
 * domain_get() - look a domain up by name and take a reference
 * @name: a valid domain name
 *
 * Return: the domain (drop it with domain_put()), or NULL if there is none.
 * A domain being destroyed is still found until it is finalized.
 */
struct drvbox_domain *domain_get(const char *name)
{
	struct drvbox_domain *d;

	mutex_lock(&domains_lock);
	d = domain_find(name);
	if (d)
		kobject_get(&d->kobj);
	mutex_unlock(&domains_lock);
	return d;
}

void domain_put(struct drvbox_domain *d)
{
	kobject_put(&d->kobj);
}

/*
 * The spec was validated by ctl.c; pick out what the kernel reports on,
 * and whether a device is passed through (an upgrade keeps those).
 */
static void domain_parse_exports(struct drvbox_domain *d)
{
	const char *p = d->spec, *end = d->spec + d->spec_len;

	for (; p < end; p += strlen(p) + 1) {
		if (!strncmp(p, "pci=", 4))
			d->passthrough = true;
		if (strncmp(p, "export=", 7) || d->nr_exports >= DRVBOX_MAX_EXPORTS)
			continue;
		strscpy(d->exports[d->nr_exports++].spec, p + 7,
			sizeof(d->exports[0].spec));
	}
}

/**
 * domain_create() - record a new domain and start its first incarnation
 * @c: the validated DRVBOX_CREATE argument
 * @spec: the validated spec (kvmalloc'ed); the domain takes it over, also
 *	on failure
 *
 * Return: 0, -EEXIST for a name in use, -ENOSPC when there are too many
 * domains, -ENOMEM.
 */
int domain_create(const struct drvbox_create *c, char *spec)
{
	struct drvbox_domain *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		kvfree(spec);
		return -ENOMEM;
	}
	kobject_init(&d->kobj, &domain_ktype);
	strscpy(d->name, c->name, sizeof(d->name));
	d->mem_mib = c->mem_mib;
	d->vcpus = c->vcpus;
	d->flags = c->flags;
	d->restart_limit = c->restart_limit;
	d->restart_window_s = c->restart_window_s;
	d->spec = spec;
	d->spec_len = c->spec_len;
	domain_parse_exports(d);
	ram_pool_init(&d->ram_pool, (unsigned long)d->mem_mib << (20 - PAGE_SHIFT));
	mutex_init(&d->lock);
	ret = blk_domain_init(d);
	if (!ret)
		ret = net_domain_init(d);
	if (ret) {
		net_domain_destroy(d);
		blk_domain_destroy(d);
		kobject_put(&d->kobj);
		return ret;
	}
	init_waitqueue_head(&d->wq);
	INIT_DELAYED_WORK(&d->supervise, supervisor_work);
	d->state = DRVBOX_STATE_STARTING;
	d->vmm = VMM_NONE;
	d->need_launch = true;
	d->window_start = jiffies;

	mutex_lock(&domains_lock);
	ret = -EEXIST;
	if (domain_find(d->name))
		goto err_unlock;
	ret = -ENOSPC;
	if (nr_domains >= DRVBOX_MAX_DOMAINS)
		goto err_unlock;
	ret = domain_sysfs_add(d);
	if (ret)
		goto err_unlock;

	/* Keep the list sorted so that DRVBOX_LIST needs no sorting. */
	{
		struct drvbox_domain *pos;
		struct list_head *before = &domains;

		list_for_each_entry(pos, &domains, node) {
			if (strcmp(pos->name, d->name) > 0) {
				before = &pos->node;
				break;
			}
		}
		list_add_tail(&d->node, before);
	}
	nr_domains++;
	/*
	 * The domain outlives the ioctl that created it; hold the module
	 * until domain_finalize() so that rmmod says EBUSY meanwhile.
	 */
	__module_get(THIS_MODULE);

	mutex_lock(&d->lock);
	supervisor_kick(d, 0);
	mutex_unlock(&d->lock);
	mutex_unlock(&domains_lock);
	pr_info("domain %s created (%u MiB, %u vCPUs)\n", d->name, d->mem_mib,
		d->vcpus);
	return 0;

err_unlock:
	mutex_unlock(&domains_lock);
	net_domain_destroy(d);
	blk_domain_destroy(d);
	kobject_put(&d->kobj);
	return ret;
}

/**
 * domain_finalize() - take a stopped domain off the list and drop it
 * @d: a domain with stop_requested set and no VMM
 *
 * Called only from the domain's own supervise work, which therefore never
 * runs again (d->dead).  d->lock must not be held.
 */
void domain_finalize(struct drvbox_domain *d)
{
	/* Fail what is still pending; virtio_blk removes the disks. */
	blk_domain_destroy(d);
	/* virtio_net removes the interfaces */
	net_domain_destroy(d);

	mutex_lock(&domains_lock);
	list_del(&d->node);
	nr_domains--;
	mutex_lock(&d->lock);
	d->dead = true;
	mutex_unlock(&d->lock);
	mutex_unlock(&domains_lock);

	domain_sysfs_del(d);
	wake_up_all(&d->wq);
	pr_info("domain %s destroyed\n", d->name);
	module_put(THIS_MODULE);
	domain_put(d);
}

/**
 * domain_destroy() - stop a domain and wait until it is gone
 * @name: a valid domain name
 *
 * Kills the VMM and waits (interruptibly, at most DRVBOX_DESTROY_WAIT) for
 * the incarnation to end and the domain to be freed.
 *
 * Return: 0 when the domain is gone, -ENOENT if there is none, -EINTR or
 * -ETIMEDOUT if the wait was cut short: the domain stays STOPPING and is
 * freed as soon as its VMM has exited.
 */
int domain_destroy(const char *name)
{
	struct drvbox_domain *d;
	long left;

	d = domain_get(name);
	if (!d)
		return -ENOENT;

	mutex_lock(&d->lock);
	if (!d->stop_requested) {
		d->stop_requested = true;
		d->state = DRVBOX_STATE_STOPPING;
		d->need_launch = false;
		d->running_since_ns = 0;
		supervisor_kill_vmm(d, "domain destroyed");
		supervisor_kick(d, 0);
	}
	mutex_unlock(&d->lock);

	left = wait_event_interruptible_timeout(d->wq, READ_ONCE(d->dead),
						DRVBOX_DESTROY_WAIT);
	domain_put(d);
	if (left < 0)
		return -EINTR;
	return left ? 0 : -ETIMEDOUT;
}

/**
 * domain_restart() - end the current incarnation and start a new one
 * @name: a valid domain name
 * @flags: DRVBOX_RESTART_F_*; GRACEFUL drains a RUNNING domain first
 *	(upgrade.c)
 *
 * A restart asked for is counted in restarts, not crashes, and is not
 * rate-limited.  A FAILED domain gets a fresh try.
 *
 * Return: 0, -ENOENT, -EBUSY if the domain is being destroyed.
 */
int domain_restart(const char *name, u32 flags)
{
	struct drvbox_domain *d;
	int ret = 0;

	d = domain_get(name);
	if (!d)
		return -ENOENT;

	mutex_lock(&d->lock);
	if (d->stop_requested) {
		ret = -EBUSY;
	} else if (d->vmm == VMM_NONE) {
		/* FAILED with no VMM left (or between incarnations). */
		d->last_error[0] = '\0';
		d->window_start = jiffies;
		d->window_crashes = 0;
		d->state = DRVBOX_STATE_RESTARTING;
		d->need_launch = true;
		supervisor_kick(d, 0);
	} else if (flags & DRVBOX_RESTART_F_GRACEFUL &&
		   d->state == DRVBOX_STATE_RUNNING && d->vmm == VMM_ATTACHED &&
		   !d->kill_reason[0]) {
		if (!d->drain_why)
			upgrade_drain(d, "graceful restart");
	} else {
		d->restart_requested = true;
		supervisor_kill_vmm(d, "restart requested");
	}
	mutex_unlock(&d->lock);
	domain_put(d);
	return ret;
}

/* Post a command in the host page and interrupt the guest.  d->lock held. */
int domain_post_command(struct drvbox_domain *d, u32 cmd)
{
	struct drvbox_inc *inc = d->inc;
	struct drvbox_shared_host *host;

	lockdep_assert_held(&d->lock);
	if (!inc || inc->nr_irqs <= DRVBOX_VEC_CONTROL)
		return -EAGAIN;
	host = inc->shared + DRVBOX_SHARED_HOST_OFFSET;
	WRITE_ONCE(host->command, cmd);
	/* The stub reads command after it sees command_seq change. */
	smp_wmb();
	WRITE_ONCE(host->command_seq, ++d->command_seq);
	drvbox_eventfd_signal(inc->irqs[DRVBOX_VEC_CONTROL]);
	return 0;
}

/**
 * domain_crash() - fault injection
 * @name: a valid domain name
 * @how: a valid enum drvbox_crash_how
 *
 * Return: 0, -ENOENT, -EAGAIN if the domain is not RUNNING (or its VMM has
 * not given an irqfd to deliver the command with).
 */
int domain_crash(const char *name, u32 how)
{
	struct drvbox_domain *d;
	int ret;

	d = domain_get(name);
	if (!d)
		return -ENOENT;

	mutex_lock(&d->lock);
	if (d->state != DRVBOX_STATE_RUNNING || !d->vmm_pid) {
		ret = -EAGAIN;
	} else if (how == DRVBOX_CRASH_VMM_KILL) {
		/* No kill_reason: the end reads as "VMM killed by signal 9". */
		ret = kill_pid(d->vmm_pid, SIGKILL, 1);
	} else {
		/* the crash "how" and the guest command share their values */
		BUILD_BUG_ON((int)DRVBOX_CRASH_PANIC != (int)DRVBOX_CMD_PANIC ||
			     (int)DRVBOX_CRASH_OOPS != (int)DRVBOX_CMD_OOPS ||
			     (int)DRVBOX_CRASH_HANG != (int)DRVBOX_CMD_HANG);
		ret = domain_post_command(d, how);
	}
	mutex_unlock(&d->lock);
	if (!ret)
		pr_info("domain %s: crash %u injected\n", name, how);
	domain_put(d);
	return ret;
}

/**
 * domain_status() - fill a DRVBOX_DOMAIN_STATUS answer
 * @st: in: a valid name, everything else zero; out: the status
 *
 * Return: 0 or -ENOENT.
 */
int domain_status(struct drvbox_domain_status *st)
{
	struct drvbox_domain *d;

	d = domain_get(st->name);
	if (!d)
		return -ENOENT;

	mutex_lock(&d->lock);
	st->state = d->state;
	st->incarnation = d->incarnation;
	st->restarts = d->restarts;
	st->crashes = d->crashes;
	st->boot_ms = d->boot_ms;
	st->mem_kib = supervisor_mem_kib(d);
	st->mem_mib = d->mem_mib;
	st->vcpus = d->vcpus;
	st->vmm_pid = supervisor_vmm_pid(d);
	st->nr_modules = d->nr_modules;
	st->nr_guest_devs = d->nr_guest_devs;
	st->nr_exports = d->nr_exports;
	st->flags = d->flags;
	st->upgrades = d->upgrades;
	st->rollbacks = d->rollbacks;
	if (d->running_since_ns)
		st->uptime_ms = div_u64(ktime_get_ns() - d->running_since_ns,
					NSEC_PER_MSEC);
	strscpy(st->last_crash_reason, d->last_crash_reason,
		sizeof(st->last_crash_reason));
	strscpy(st->last_error, d->last_error, sizeof(st->last_error));
	memcpy(st->modules, d->modules, sizeof(st->modules));
	memcpy(st->guest_devs, d->guest_devs, sizeof(st->guest_devs));
	blk_status_fill(d);
	net_status_fill(d);
	memcpy(st->exports, d->exports, sizeof(st->exports));
	mutex_unlock(&d->lock);
	domain_put(d);
	return 0;
}

/**
 * domain_list() - the names of all domains, sorted
 * @names: room for @room names
 * @room: entries at @names
 * @count: out: number of domains (may exceed @room)
 *
 * Return: 0.
 */
int domain_list(char (*names)[DRVBOX_NAME_LEN], u32 room, u32 *count)
{
	struct drvbox_domain *d;
	u32 n = 0;

	mutex_lock(&domains_lock);
	list_for_each_entry(d, &domains, node) {
		if (n < room)
			strscpy(names[n], d->name, DRVBOX_NAME_LEN);
		n++;
	}
	mutex_unlock(&domains_lock);
	*count = n;
	return 0;
}
