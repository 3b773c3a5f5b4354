// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: host commands and crash injection.
 *
 * The host posts a command by writing drvbox_shared_host.command, then
 * incrementing command_seq, then signalling MSI-X vector DRVBOX_VEC_CONTROL.
 * Every command we have today is fault injection for testing recovery: the
 * guest is meant to die.  We acknowledge (command_ack = seq, doorbell)
 * before acting, so the host knows the command arrived even though the
 * guest will not be able to say anything afterwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/panic.h>
#include <linux/smp.h>

#include "stub.h"

/* DRVBOX_CMD_OOPS: a kernel write through a wild pointer (oops=panic). */
static void stub_oops_work(struct work_struct *work)
{
	int *wild = (int *)0x10;

	pr_emerg("oops requested by the host: writing to %px\n", wild);
	/* Hide the constant from the compiler so it emits the store. */
	OPTIMIZER_HIDE_VAR(wild);
	WRITE_ONCE(*wild, 1);
}

/* Runs on every other online CPU: spin forever with interrupts off. */
static void stub_spin_forever(void *unused)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

/*
 * DRVBOX_CMD_HANG: from process context (smp_call_function() must not be
 * called with interrupts off), send every other CPU into the spin, then
 * join it here.  The heartbeat stops; the host has to notice.
 */
static void stub_hang_work(struct work_struct *work)
{
	pr_emerg("hang requested by the host: all CPUs spin with interrupts off\n");
	smp_call_function(stub_spin_forever, NULL, 0);
	stub_spin_forever(NULL);
}

void stub_cmd_init(struct stub_dev *sd)
{
	INIT_WORK(&sd->oops_work, stub_oops_work);
	INIT_WORK(&sd->hang_work, stub_hang_work);
	/* Commands posted before we were here are not ours to act on. */
	sd->last_seq = READ_ONCE(sd->host->command_seq);
	WRITE_ONCE(sd->guest->command_ack, sd->last_seq);
}

static void stub_ack(struct stub_dev *sd, u32 seq)
{
	WRITE_ONCE(sd->guest->command_ack, seq);
	stub_ring_control(sd);
}

/* MSI-X vector DRVBOX_VEC_CONTROL: a new host command may be posted. */
irqreturn_t stub_control_irq(int irq, void *data)
{
	struct stub_dev *sd = data;
	u32 seq, cmd;

	seq = READ_ONCE(sd->host->command_seq);
	if (seq == sd->last_seq)
		return IRQ_HANDLED;
	/* command is valid once command_seq changed: read it after seq. */
	rmb();
	cmd = READ_ONCE(sd->host->command);
	sd->last_seq = seq;

	switch (cmd) {
	case DRVBOX_CMD_PANIC:
		stub_ack(sd, seq);
		panic("drvbox: panic requested by the host");
		break;
	case DRVBOX_CMD_OOPS:
		stub_ack(sd, seq);
		schedule_work(&sd->oops_work);
		break;
	case DRVBOX_CMD_HANG:
		stub_ack(sd, seq);
		schedule_work(&sd->hang_work);
		break;
	case DRVBOX_CMD_NONE:
		stub_ack(sd, seq);
		break;
	default:
		dev_warn_ratelimited(&sd->pdev->dev,
				     "unknown host command %u (seq %u) ignored\n",
				     cmd, seq);
		stub_ack(sd, seq);
		break;
	}
	return IRQ_HANDLED;
}

/* After the interrupt is freed: nothing may be left queued. */
void stub_cmd_stop(struct stub_dev *sd)
{
	cancel_work_sync(&sd->oops_work);
	cancel_work_sync(&sd->hang_work);
}
