// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's page of the shared area (struct drvbox_shared_guest).
 *
 * The guest writes it whenever it likes; the host reads each field once
 * into a local, validates the local and only then uses it.  Counts are
 * clamped and strings copied with a forced NUL (both counted as protocol
 * errors); values with no meaning (an unknown state, module state, device
 * type or errno) are a protocol violation and get the domain restarted.
 * None of this is ever a WARN: a misbehaving guest is an expected event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "blk.h"
#include "drvbox.h"
#include "net.h"

/* The loader errors a user is likely to see, as userspace spells them. */
static const struct {
	int err;
	const char *text;
} guest_errnos[] = {
	{ EPERM, "Operation not permitted" },
	{ ENOENT, "No such file or directory" },
	{ EIO, "Input/output error" },
	{ ENOEXEC, "Exec format error" },
	{ ENOMEM, "Cannot allocate memory" },
	{ EFAULT, "Bad address" },
	{ EBUSY, "Device or resource busy" },
	{ EEXIST, "File exists" },
	{ ENODEV, "No such device" },
	{ EINVAL, "Invalid argument" },
	{ ENOSPC, "No space left on device" },
	{ ETIMEDOUT, "Connection timed out" },
	{ ENOKEY, "Required key not available" },
	{ EKEYREJECTED, "Key was rejected by service" },
};

/* Text for a positive errno, or NULL when we have none. */
const char *guest_errno_text(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(guest_errnos); i++)
		if (guest_errnos[i].err == err)
			return guest_errnos[i].text;
	return NULL;
}

/*
 * Copy a string from a local copy of guest data: stop at NUL, '?' for
 * unprintable bytes, force a NUL.  Returns false if @src had no NUL.
 */
static bool guest_copy_string(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len - 1 && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
	return i < len - 1 || !src[len - 1];
}

/* d->lock held; a new incarnation starts with nothing reported. */
void guest_reset(struct drvbox_domain *d)
{
	lockdep_assert_held(&d->lock);

	memset(d->modules, 0, sizeof(d->modules));
	memset(d->guest_devs, 0, sizeof(d->guest_devs));
	d->nr_modules = 0;
	d->nr_guest_devs = 0;
	d->last_heartbeat = 0;
	d->last_command_ack = 0;
	d->heartbeat_jiffies = jiffies;
	d->pings = 0;
	d->guest_state = 0;
	d->command_seq = 0;
}

static void guest_violation(struct drvbox_domain *d, const char *what, u32 val)
{
	char why[DRVBOX_MSG_LEN];

	d->protocol_errors++;
	snprintf(why, sizeof(why), "guest protocol violation: %s %u", what, val);
	pr_warn_ratelimited("domain %s: %s, restarting it\n", d->name, why);
	supervisor_kill_vmm(d, why);
}

static void guest_sloppy(struct drvbox_domain *d, const char *what, u32 val)
{
	d->protocol_errors++;
	pr_warn_ratelimited("domain %s: guest wrote %s %u, ignored\n", d->name,
			    what, val);
}

/* Returns false on a violation (already handled). */
static bool guest_read_modules(struct drvbox_domain *d,
			       const struct drvbox_shared_guest *g, u32 nr)
{
	struct drvbox_module_status mods[DRVBOX_MAX_MODULES] = {};
	u32 i;

	for (i = 0; i < nr; i++) {
		struct drvbox_shared_module m;

		memcpy(&m, &g->modules[i], sizeof(m));
		barrier();	/* validate the copy, never the guest's page */
		if (m.state > DRVBOX_MODULE_FAILED) {
			guest_violation(d, "module state", m.state);
			return false;
		}
		if (m.error > 0 || m.error < -MAX_ERRNO) {
			guest_violation(d, "module error", (u32)m.error);
			return false;
		}
		if (!guest_copy_string(mods[i].name, m.name, sizeof(mods[i].name)))
			guest_sloppy(d, "an unterminated module name, entry", i);
		mods[i].error = m.error;
		mods[i].state = m.state;
	}
	memcpy(d->modules, mods, sizeof(mods));
	d->nr_modules = nr;
	return true;
}

static bool guest_read_devs(struct drvbox_domain *d,
			    const struct drvbox_shared_guest *g, u32 nr)
{
	struct drvbox_guest_dev devs[DRVBOX_MAX_GUEST_DEVS] = {};
	u32 i;

	for (i = 0; i < nr; i++) {
		struct drvbox_shared_dev s;

		memcpy(&s, &g->devs[i], sizeof(s));
		barrier();
		if (s.type != DRVBOX_GUEST_DEV_BLK && s.type != DRVBOX_GUEST_DEV_NET) {
			guest_violation(d, "device type", s.type);
			return false;
		}
		if (!guest_copy_string(devs[i].name, s.name, sizeof(devs[i].name)))
			guest_sloppy(d, "an unterminated device name, entry", i);
		devs[i].type = s.type;
		if (s.type == DRVBOX_GUEST_DEV_BLK)
			devs[i].size = s.size;
		else
			memcpy(devs[i].mac, s.mac, sizeof(devs[i].mac));
	}
	memcpy(d->guest_devs, devs, sizeof(devs));
	d->nr_guest_devs = nr;
	return true;
}

/*
 * The guest says a module failed: FAILED, naming the first failed one;
 * on an upgrade's trial, the end of the incarnation (which rolls back).
 */
static void guest_module_failed(struct drvbox_domain *d)
{
	char why[DRVBOX_MSG_LEN] = "a module failed to load in the guest";
	const char *text;
	u32 i;

	for (i = 0; i < d->nr_modules; i++) {
		struct drvbox_module_status *m = &d->modules[i];

		if (m->state != DRVBOX_MODULE_FAILED)
			continue;
		text = guest_errno_text(-m->error);
		if (text)
			snprintf(why, sizeof(why), "module %s: %s", m->name, text);
		else
			snprintf(why, sizeof(why), "module %s: error %d",
				 m->name, m->error);
		break;
	}
	if (upgrade_in_trial(d)) {
		supervisor_kill_vmm(d, why);
		return;
	}
	supervisor_fail(d, "%s", why);
	supervisor_kill_vmm(d, "module failed to load");
}

/**
 * guest_sync() - read the guest page and act on it
 * @d: the domain (d->lock held)
 * @inc: d->inc
 *
 * Called after each doorbell and on every supervisor tick.  Notes the
 * heartbeat, copies module and device reports, and moves the domain to
 * RUNNING (or FAILED when a module could not be loaded).
 */
void guest_sync(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	const struct drvbox_shared_guest *g =
		inc->shared + DRVBOX_SHARED_GUEST_OFFSET;
	u32 state, hb, ack, nr_mods, nr_devs;

	lockdep_assert_held(&d->lock);

	BUILD_BUG_ON(DRVBOX_SHARED_GUEST_OFFSET + sizeof(*g) > DRVBOX_SHARED_BYTES);
	BUILD_BUG_ON(DRVBOX_SHARED_MAX_MODULES != DRVBOX_MAX_MODULES);
	BUILD_BUG_ON(DRVBOX_SHARED_MAX_DEVS != DRVBOX_MAX_GUEST_DEVS);

	/* Once the domain is on its way out, the guest has nothing to say. */
	if (d->kill_reason[0] || d->state == DRVBOX_STATE_STOPPING ||
	    d->state == DRVBOX_STATE_FAILED)
		return;

	/* a sign of life: the heartbeat, or an answer to a command (a ping) */
	hb = READ_ONCE(g->heartbeat);
	ack = READ_ONCE(g->command_ack);
	if (hb != d->last_heartbeat || ack != d->last_command_ack) {
		d->last_heartbeat = hb;
		d->last_command_ack = ack;
		d->heartbeat_jiffies = jiffies;
	}

	state = READ_ONCE(g->state);
	/* The stub writes its reports before the state that announces them. */
	smp_rmb();
	if (state > DRVBOX_GUEST_MODULE_FAILED) {
		guest_violation(d, "state", state);
		return;
	}
	nr_mods = READ_ONCE(g->nr_modules);
	nr_devs = READ_ONCE(g->nr_devs);
	if (nr_mods > DRVBOX_MAX_MODULES) {
		guest_sloppy(d, "nr_modules", nr_mods);
		nr_mods = DRVBOX_MAX_MODULES;
	}
	if (nr_devs > DRVBOX_MAX_GUEST_DEVS) {
		guest_sloppy(d, "nr_devs", nr_devs);
		nr_devs = DRVBOX_MAX_GUEST_DEVS;
	}
	if (!guest_read_modules(d, g, nr_mods) || !guest_read_devs(d, g, nr_devs))
		return;
	d->guest_state = state;

	if (state == DRVBOX_GUEST_RUNNING &&
	    (d->state == DRVBOX_STATE_STARTING ||
	     d->state == DRVBOX_STATE_RESTARTING)) {
		d->state = DRVBOX_STATE_RUNNING;
		d->boot_ms = max(1U, jiffies_to_msecs(jiffies - d->launch_jiffies));
		d->running_since_ns = ktime_get_ns();
		d->heartbeat_jiffies = jiffies;
		pr_info("domain %s: incarnation %u running after %u ms\n",
			d->name, d->incarnation, d->boot_ms);
		ram_pool_drain(&d->ram_pool);	/* what its restore left */
		upgrade_running(d);
		wake_up_all(&d->wq);
		blk_guest_running(d, inc);
	} else if (state == DRVBOX_GUEST_MODULE_FAILED) {
		guest_module_failed(d);
	}
	if (state == DRVBOX_GUEST_RUNNING && d->state == DRVBOX_STATE_RUNNING) {
		blk_guest_sync(d, inc);
		net_guest_sync(d, inc);
	}
}
