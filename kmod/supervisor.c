// SPDX-License-Identifier: GPL-2.0
/*
 * The supervisor: launches each incarnation's VMM with a usermode helper,
 * watches it (boot timeout, heartbeat, a VMM that dies before attaching),
 * and decides what happens when an incarnation ends (relaunch, FAILED,
 * or let a stopping domain go).
 *
 * Everything here runs with d->lock held unless said otherwise; the one
 * exception is the exec itself, which runs unlocked because the new VMM may
 * attach (and take d->lock) before call_usermodehelper_exec() returns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/umh.h>

#include "drvbox.h"

static char *vmm_path = "/usr/local/libexec/drvbox/drvbox-vmm";
module_param(vmm_path, charp, 0644);
MODULE_PARM_DESC(vmm_path, "VMM executable started for each incarnation (default /usr/local/libexec/drvbox/drvbox-vmm)");

static bool boot_image = true;
module_param(boot_image, bool, 0644);
MODULE_PARM_DESC(boot_image, "Start incarnations from a saved boot image of the domain's configuration when there is one, saving one on a cold boot (default Y; N: every incarnation boots)");

static unsigned int boot_timeout_ms = 120000;
module_param(boot_timeout_ms, uint, 0644);
MODULE_PARM_DESC(boot_timeout_ms, "ms from VMM launch to RUNNING before the incarnation is killed (default 120000)");

static unsigned int heartbeat_timeout_ms = 5000;
module_param(heartbeat_timeout_ms, uint, 0644);
MODULE_PARM_DESC(heartbeat_timeout_ms, "ms without a guest heartbeat before a RUNNING domain counts as hung (default 5000)");

unsigned int heartbeat_ms = 200;
module_param(heartbeat_ms, uint, 0644);
MODULE_PARM_DESC(heartbeat_ms, "ms between guest heartbeats, told to the guest at attach (default 200)");

static unsigned int restart_limit = 5;
module_param(restart_limit, uint, 0644);
MODULE_PARM_DESC(restart_limit, "crashes tolerated within restart_window_s before a domain is FAILED (default 5)");

static unsigned int restart_window_s = 60;
module_param(restart_window_s, uint, 0644);
MODULE_PARM_DESC(restart_window_s, "window for restart_limit, in seconds (default 60)");

/* d->lock held, !d->dead */
void supervisor_kick(struct drvbox_domain *d, unsigned long delay)
{
	lockdep_assert_held(&d->lock);

	if (!d->dead)
		mod_delayed_work(drvbox_wq, &d->supervise, delay);
}

/**
 * supervisor_kill_vmm() - SIGKILL the current VMM, remembering why
 * @d: the domain (d->lock held)
 * @reason: becomes last_crash_reason unless the VMM reports something
 *	better; the first reason given for an incarnation wins
 *
 * A VMM still being exec'ed has no pid yet: its init callback sees
 * stop_requested/restart_requested and cancels the exec instead.
 */
void supervisor_kill_vmm(struct drvbox_domain *d, const char *reason)
{
	lockdep_assert_held(&d->lock);

	if (d->vmm == VMM_NONE)
		return;
	if (reason && !d->kill_reason[0])
		strscpy(d->kill_reason, reason, sizeof(d->kill_reason));
	if (d->vmm_pid)
		kill_pid(d->vmm_pid, SIGKILL, 1);
}

/*
 * A guest that stopped answering: SIGQUIT first, which the VMM answers
 * with a hang report in the console log (where each vCPU was: what an
 * operator needs to tell a driver's deadlock from a starved guest), then
 * it exits.  supervisor_watch() sends SIGKILL after DRVBOX_HANG_REPORT_MS
 * if it has not.  d->lock held.
 */
static void supervisor_kill_hung(struct drvbox_domain *d, const char *reason)
{
	lockdep_assert_held(&d->lock);

	if (d->vmm == VMM_NONE || d->kill_reason[0])
		return;
	if (!d->vmm_pid) {
		supervisor_kill_vmm(d, reason);
		return;
	}
	strscpy(d->kill_reason, reason, sizeof(d->kill_reason));
	kill_pid(d->vmm_pid, SIGQUIT, 1);
	d->kill_deadline = jiffies + msecs_to_jiffies(DRVBOX_HANG_REPORT_MS);
	if (!d->kill_deadline)
		d->kill_deadline = 1;
}

/* d->lock held */
void supervisor_fail(struct drvbox_domain *d, const char *fmt, ...)
{
	va_list ap;

	lockdep_assert_held(&d->lock);

	va_start(ap, fmt);
	vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	va_end(ap);
	d->state = DRVBOX_STATE_FAILED;
	d->running_since_ns = 0;
	d->need_launch = false;
	ram_pool_drain(&d->ram_pool);
	pr_info("domain %s failed: %s\n", d->name, d->last_error);
	wake_up_all(&d->wq);
}

u32 supervisor_mem_kib(struct drvbox_domain *d)
{
	if (!d->inc)
		return 0;
	return (d->inc->ram_bytes + d->shared_bytes) >> 10;
}

u32 supervisor_vmm_pid(struct drvbox_domain *d)
{
	return d->vmm_pid ? pid_vnr(d->vmm_pid) : 0;
}

static void supervisor_drop_vmm(struct drvbox_domain *d)
{
	put_pid(d->vmm_pid);
	d->vmm_pid = NULL;
	if (d->vmm_task)
		put_task_struct(d->vmm_task);
	d->vmm_task = NULL;
	d->vmm = VMM_NONE;
}

/*
 * Runs in the new process before it execs the VMM.  Records its pid so that
 * it can be killed, or cancels the exec if the domain no longer wants it.
 */
static int supervisor_vmm_init(struct subprocess_info *info, struct cred *new)
{
	struct drvbox_domain *d = info->data;
	int ret = 0;

	mutex_lock(&d->lock);
	if (d->stop_requested || d->restart_requested ||
	    d->vmm != VMM_LAUNCHING || d->vmm_pid) {
		ret = -ECANCELED;
	} else {
		d->vmm_pid = get_task_pid(current, PIDTYPE_PID);
		get_task_struct(current);
		d->vmm_task = current;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/*
 * Start the next incarnation.  Called and returns with d->lock held, drops
 * it around the exec.
 */
static void supervisor_launch(struct drvbox_domain *d)
{
	static char *envp[] = { "HOME=/", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct subprocess_info *info;
	char *argv[7], *path, *inc_str;
	u32 n;
	int ret;

	lockdep_assert_held(&d->lock);

	d->need_launch = false;
	n = ++d->incarnation;
	if (n > 1)
		d->restarts++;
	d->vmm = VMM_LAUNCHING;
	d->launch_jiffies = jiffies;
	d->boot_ms = 0;
	d->running_since_ns = 0;
	d->kill_reason[0] = '\0';
	d->state = n > 1 ? DRVBOX_STATE_RESTARTING : DRVBOX_STATE_STARTING;
	guest_reset(d);

	kernel_param_lock(THIS_MODULE);
	path = kstrdup(vmm_path, GFP_KERNEL);
	kernel_param_unlock(THIS_MODULE);
	if (path)	/* "echo PATH > .../vmm_path" leaves a newline */
		path[strcspn(path, "\n")] = '\0';
	inc_str = kasprintf(GFP_KERNEL, "%u", n);
	mutex_unlock(&d->lock);

	ret = -ENOMEM;
	if (!path || !inc_str)
		goto out_lock;
	argv[0] = "drvbox-vmm";
	argv[1] = "--domain";
	argv[2] = d->name;
	argv[3] = "--incarnation";
	argv[4] = inc_str;
	argv[5] = READ_ONCE(boot_image) ? NULL : "--no-image";
	argv[6] = NULL;
	info = call_usermodehelper_setup(path, argv, envp, GFP_KERNEL,
					 supervisor_vmm_init, NULL, d);
	if (info)
		ret = call_usermodehelper_exec(info, UMH_WAIT_EXEC);

out_lock:
	mutex_lock(&d->lock);
	/* The VMM may already have attached, exited and been accounted for. */
	if (ret && d->incarnation == n && d->vmm == VMM_LAUNCHING) {
		if (ret == -ECANCELED) {
			/* stop or restart asked for during the exec */
			supervisor_incarnation_end(d, NULL);
		} else {
			supervisor_drop_vmm(d);
			supervisor_fail(d, "cannot run VMM %s: error %d",
					path ? path : vmm_path, ret);
		}
	} else if (!ret) {
		pr_info("domain %s: incarnation %u: VMM %s started\n", d->name,
			n, path);
	}
	kfree(inc_str);
	kfree(path);
}

static bool supervisor_vmm_exiting(struct task_struct *t)
{
	return (READ_ONCE(t->flags) & PF_EXITING) || READ_ONCE(t->exit_state);
}

/* What we know about how the VMM ended, when it did not report. */
static void supervisor_exit_text(struct drvbox_domain *d, char *buf, size_t len)
{
	struct task_struct *t = d->vmm_task;
	int code;

	if (!t) {
		strscpy(buf, "VMM exited", len);
		return;
	}
	if (!supervisor_vmm_exiting(t)) {
		strscpy(buf, "VMM closed its domain file", len);
		return;
	}
	code = READ_ONCE(t->exit_code);
	if (code & 0x7f)
		snprintf(buf, len, "VMM killed by signal %d", code & 0x7f);
	else
		snprintf(buf, len, "VMM exited with status %d", (code >> 8) & 0xff);
}

/**
 * supervisor_incarnation_end() - the current incarnation is over
 * @d: the domain (d->lock held)
 * @inc: the attached incarnation that ended (already cleared from d->inc),
 *	or NULL if the VMM never attached
 *
 * Records last_crash_reason, counts a crash unless the end was asked for,
 * and relaunches unless the domain is stopping, FAILED, created with
 * NO_RESTART, or over its restart rate limit.
 */
void supervisor_incarnation_end(struct drvbox_domain *d, struct drvbox_inc *inc)
{
	char why[DRVBOX_MSG_LEN];
	bool start_error = inc && inc->report_kind == DRVBOX_VMM_START_ERROR;
	u32 limit, window_s;

	lockdep_assert_held(&d->lock);

	if (inc && (inc->report_kind == DRVBOX_VMM_GUEST_EXIT ||
		    inc->report_kind == DRVBOX_VMM_VMM_ERROR))
		strscpy(why, inc->report, sizeof(why));
	else if (d->kill_reason[0])
		strscpy(why, d->kill_reason, sizeof(why));
	else
		supervisor_exit_text(d, why, sizeof(why));
	if (!start_error)
		strscpy(d->last_crash_reason, why, sizeof(d->last_crash_reason));

	/* A VMM that let go of its file but lives on is no VMM of ours now. */
	if (d->vmm_task && !supervisor_vmm_exiting(d->vmm_task))
		kill_pid(d->vmm_pid, SIGKILL, 1);
	supervisor_drop_vmm(d);
	d->running_since_ns = 0;
	d->kill_reason[0] = '\0';
	d->kill_deadline = 0;
	d->drain_why = NULL;	/* what it held goes to the next one */
	wake_up_all(&d->wq);
	pr_info("domain %s: incarnation %u ended: %s\n", d->name,
		d->incarnation, why);

	if (d->stop_requested) {
		supervisor_kick(d, 0);	/* to finalize */
		return;
	}
	if (d->restart_requested) {
		d->restart_requested = false;
		d->last_error[0] = '\0';
		d->state = DRVBOX_STATE_RESTARTING;
		d->need_launch = true;
		supervisor_kick(d, 0);
		return;
	}
	if (upgrade_rollback(d, why))
		return;
	if (d->state == DRVBOX_STATE_FAILED)
		return;

	d->crashes++;
	if (d->flags & DRVBOX_CREATE_F_NO_RESTART) {
		supervisor_fail(d, "%s (restart disabled)", why);
		return;
	}
	limit = d->restart_limit ? d->restart_limit : READ_ONCE(restart_limit);
	window_s = d->restart_window_s ? d->restart_window_s :
		   READ_ONCE(restart_window_s);
	if (limit != DRVBOX_RESTART_UNLIMITED) {
		/*
		 * A fixed window from the first crash in it.  In unsigned
		 * long: window_s * HZ overflows 32 bits past 198 days.
		 */
		if (time_after(jiffies, d->window_start +
			       (unsigned long)window_s * HZ) ||
		    !d->window_crashes) {
			d->window_start = jiffies;
			d->window_crashes = 0;
		}
		if (++d->window_crashes > limit) {
			supervisor_fail(d, "crashed %u times within %u s, gave up: %s",
					d->window_crashes, window_s, why);
			return;
		}
	}
	d->state = DRVBOX_STATE_RESTARTING;
	d->need_launch = true;
	supervisor_kick(d, 0);
}

/*
 * A RUNNING guest shows it is alive by its heartbeat, which its timer
 * bumps only while the guest is awake anyway (the timer is deferrable):
 * an idle guest is not woken for it.  Once no sign of life has come for
 * half of heartbeat_timeout_ms we ask for one, a no-op command whose
 * answer counts too; a guest that is stuck cannot answer, and after
 * heartbeat_timeout_ms it is killed.  A command still unanswered (a ping
 * included) is ping enough: posting another would replace it.  d->lock
 * held.
 */
static void supervisor_liveness(struct drvbox_domain *d, unsigned long now)
{
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(heartbeat_timeout_ms));

	lockdep_assert_held(&d->lock);
	if (time_after(now, d->heartbeat_jiffies + tmo)) {
		pr_info("domain %s: heartbeat lost\n", d->name);
		supervisor_kill_hung(d, "heartbeat lost");
		return;
	}
	if (!time_after(now, d->heartbeat_jiffies + tmo / 2) ||
	    d->last_command_ack != d->command_seq)
		return;
	if (!domain_post_command(d, DRVBOX_CMD_NONE))
		d->pings++;
}

/*
 * How long until the next look: every DRVBOX_TICK_MS while a domain
 * starts or stops; a RUNNING one tells us what changes through its
 * doorbell, and only its liveness needs the clock: a quarter of the
 * heartbeat timeout, but at least once a second, so that a shorter
 * timeout written to the parameter takes effect within a second.
 */
static unsigned long supervisor_period(struct drvbox_domain *d)
{
	unsigned int ms = DRVBOX_TICK_MS;

	if (d->state == DRVBOX_STATE_RUNNING && !d->stop_requested &&
	    !d->kill_reason[0] && !d->drain_why)
		ms = clamp(READ_ONCE(heartbeat_timeout_ms) / 4, ms,
			   DRVBOX_RUNNING_TICK_MAX_MS);
	return msecs_to_jiffies(ms);
}

/* One look at a domain that has a VMM.  d->lock held. */
static void supervisor_watch(struct drvbox_domain *d)
{
	unsigned long now = jiffies;

	lockdep_assert_held(&d->lock);

	if (d->vmm == VMM_LAUNCHING && d->vmm_task &&
	    READ_ONCE(d->vmm_task->exit_state)) {
		/* The VMM died before it attached. */
		supervisor_incarnation_end(d, NULL);
		return;
	}
	if (d->kill_deadline && time_after(now, d->kill_deadline)) {
		d->kill_deadline = 0;
		supervisor_kill_vmm(d, NULL);
	}
	if (d->vmm == VMM_ATTACHED)
		guest_sync(d, d->inc);

	if ((d->state == DRVBOX_STATE_STARTING ||
	     d->state == DRVBOX_STATE_RESTARTING) && !d->kill_reason[0] &&
	    time_after(now, d->launch_jiffies +
		       msecs_to_jiffies(READ_ONCE(boot_timeout_ms)))) {
		char why[64];

		snprintf(why, sizeof(why), "boot timeout (%u ms)",
			 READ_ONCE(boot_timeout_ms));
		pr_info("domain %s: %s\n", d->name, why);
		supervisor_kill_vmm(d, why);
	}
	if (d->state == DRVBOX_STATE_RUNNING && !d->kill_reason[0])
		supervisor_liveness(d, now);
	upgrade_watch(d);
}

/**
 * supervisor_work() - the domain's supervise work
 * @work: d->supervise.work
 *
 * Launches a VMM when one is due, watches the current one every
 * DRVBOX_TICK_MS, and finalizes a stopped domain.  Idle (not re-armed)
 * while the domain has no VMM and nothing to do.
 */
void supervisor_work(struct work_struct *work)
{
	struct drvbox_domain *d = container_of(to_delayed_work(work),
					       struct drvbox_domain, supervise);

	mutex_lock(&d->lock);
	if (d->dead) {
		mutex_unlock(&d->lock);
		return;
	}
	if (d->need_launch && d->vmm == VMM_NONE && !d->stop_requested)
		supervisor_launch(d);
	if (d->stop_requested && d->vmm == VMM_NONE) {
		mutex_unlock(&d->lock);
		domain_finalize(d);
		return;
	}
	if (d->vmm != VMM_NONE)
		supervisor_watch(d);
	/* queue, not mod: keep an immediate kick made while we ran */
	if (d->vmm != VMM_NONE || d->need_launch)
		queue_delayed_work(drvbox_wq, &d->supervise,
				   supervisor_period(d));
	mutex_unlock(&d->lock);
}
