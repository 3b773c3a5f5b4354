// SPDX-License-Identifier: GPL-2.0
/*
 * Graceful restarts and driver upgrades.
 *
 * Draining: a RUNNING domain is given no more block requests (they wait
 * on the host, blk_hold()); once its guest has completed the ones it has,
 * or after drain_timeout_ms, its VMM is killed as for a restart, and the
 * next incarnation gets what waited, as after a crash.  Net frames are not
 * held: a frame posted to the guest that goes is lost as on a wire, and
 * TCP sends it again.
 *
 * An upgrade puts new drivers in the domain's spec, then drains.  The
 * incarnations from upgrade_inc on are on trial until one is RUNNING: one
 * that ends before (a module that does not load, a driver that crashes or
 * does not export within boot_timeout_ms) puts the old spec back, and the
 * domain restarts on it.  A crash after RUNNING is an ordinary crash of
 * the new drivers.  Everything here is under d->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "blk.h"
#include "drvbox.h"

static unsigned int drain_timeout_ms = 10000;
module_param(drain_timeout_ms, uint, 0644);
MODULE_PARM_DESC(drain_timeout_ms, "ms a graceful restart or an upgrade waits for the domain to complete the block requests it has before it restarts anyway (they are replayed); default 10000");

/**
 * upgrade_drain() - start draining a RUNNING domain
 * @d: the domain (d->lock held), with a VMM attached
 * @why: the reason its VMM will be killed for, a string constant
 */
void upgrade_drain(struct drvbox_domain *d, const char *why)
{
	lockdep_assert_held(&d->lock);

	d->drain_why = why;
	d->drain_deadline = jiffies +
			    msecs_to_jiffies(READ_ONCE(drain_timeout_ms));
	blk_hold(d);
	pr_info("domain %s: %s: draining incarnation %u\n", d->name, why,
		d->incarnation);
	supervisor_kick(d, 0);
}

/*
 * The supervisor's look at a draining domain (d->lock held): restart it
 * once drained or out of time.
 */
void upgrade_watch(struct drvbox_domain *d)
{
	char why[DRVBOX_MSG_LEN];
	bool drained;

	lockdep_assert_held(&d->lock);

	if (!d->drain_why || d->kill_reason[0])
		return;
	drained = blk_drained(d);
	if (!drained && !time_after(jiffies, d->drain_deadline))
		return;
	snprintf(why, sizeof(why), "%s%s", d->drain_why,
		 drained ? "" : " (drain timed out, requests replayed)");
	d->drain_why = NULL;
	d->restart_requested = true;
	supervisor_kill_vmm(d, why);
}

/* Is the current incarnation the first ones on new drivers, not RUNNING yet? */
bool upgrade_in_trial(const struct drvbox_domain *d)
{
	lockdep_assert_held(&d->lock);

	return d->old_spec && d->incarnation >= d->upgrade_inc;
}

/* The current incarnation is RUNNING (d->lock held). */
void upgrade_running(struct drvbox_domain *d)
{
	lockdep_assert_held(&d->lock);

	if (!upgrade_in_trial(d))
		return;
	kvfree(d->old_spec);
	d->old_spec = NULL;
	d->upgrades++;
	pr_info("domain %s: upgraded: incarnation %u runs the new drivers\n",
		d->name, d->incarnation);
}

/**
 * upgrade_rollback() - an incarnation ended: was it an upgrade's trial?
 * @d: the domain (d->lock held)
 * @why: why the incarnation ended
 *
 * Return: true if it was: the old spec is back and the next incarnation
 * is on its way; false if the caller carries on as for any other end.
 */
bool upgrade_rollback(struct drvbox_domain *d, const char *why)
{
	lockdep_assert_held(&d->lock);

	if (!upgrade_in_trial(d))
		return false;
	kvfree(d->spec);
	d->spec = d->old_spec;
	d->spec_len = d->old_spec_len;
	d->old_spec = NULL;
	d->rollbacks++;
	pr_warn("domain %s: the upgrade failed in incarnation %u (%s): back on the previous drivers\n",
		d->name, d->incarnation, why);
	d->last_error[0] = '\0';
	d->state = DRVBOX_STATE_RESTARTING;
	d->need_launch = true;
	supervisor_kick(d, 0);
	return true;
}

/**
 * domain_upgrade() - replace the drivers of a running domain
 * @name: a valid domain name
 * @drv: the new module= and param= strings (spec_drivers_valid()); taken
 *	over, freed here
 * @drv_len: their length
 *
 * Return: 0 once the domain drains towards its new drivers, -ENOENT,
 * -EAGAIN if it is not RUNNING, -EBUSY if it is being stopped, drained or
 * upgraded, -EINVAL if the new spec would be too long or hold too many
 * modules, -ENOMEM.
 */
int domain_upgrade(const char *name, char *drv, u32 drv_len)
{
	struct drvbox_domain *d;
	char *spec = NULL;
	u32 len;
	int ret;

	d = domain_get(name);
	if (!d) {
		kvfree(drv);
		return -ENOENT;
	}
	mutex_lock(&d->lock);
	ret = -EBUSY;
	if (d->stop_requested || d->drain_why || d->old_spec)
		goto out;
	ret = -EAGAIN;
	if (d->state != DRVBOX_STATE_RUNNING || d->vmm != VMM_ATTACHED ||
	    d->kill_reason[0])
		goto out;
	ret = -ENOMEM;
	spec = spec_with_drivers(d->spec, d->spec_len, drv, drv_len, &len);
	if (!spec)
		goto out;
	ret = -EINVAL;
	if (len > DRVBOX_SPEC_MAX || !spec_valid(spec, len))
		goto out;
	d->old_spec = d->spec;
	d->old_spec_len = d->spec_len;
	d->spec = spec;
	d->spec_len = len;
	spec = NULL;
	d->upgrade_inc = d->incarnation + 1;
	upgrade_drain(d, "upgrade");
	ret = 0;
out:
	mutex_unlock(&d->lock);
	kvfree(spec);
	kvfree(drv);
	domain_put(d);
	return ret;
}
