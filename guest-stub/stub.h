/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox_stub: shared declarations of the guest stub.
 *
 * The stub drives the one drvbox PCI device of a driver domain.  BAR 0 has
 * the identity registers and the doorbells; BAR 2 is the shared area, memory
 * drvbox.ko owns on the host: page 0 is written by the host only, page 1 by
 * the stub only (see uapi/drvbox_guest.h).
 */
#ifndef DRVBOX_STUB_H
#define DRVBOX_STUB_H

#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "../uapi/drvbox.h"
#include "../uapi/drvbox_guest.h"

#define STUB_DEFAULT_HEARTBEAT_MS	200

struct stub_blk;
struct stub_net;

/**
 * struct stub_dev - the drvbox device of this guest
 * @pdev: the PCI device
 * @bar0: registers and doorbells
 * @shared: the whole shared area (BAR 2); queue rings follow the two pages
 * @shared_len: its length in bytes
 * @host: page 0 of the shared area; the host writes it, we only read
 * @guest: page 1 of the shared area; only we write it
 * @nr_doorbells: doorbells the device has (BAR 0 register)
 * @nr_vectors: MSI-X vectors allocated
 * @heartbeat_ms: timer period, from the host (default if it said 0)
 * @heartbeat_timer: bumps @guest->heartbeat every @heartbeat_ms while the
 *	guest is awake (deferrable)
 * @stopping: set by remove; the timer no longer re-arms
 * @last_seq: the last host command_seq we acted on (IRQ handler only)
 * @oops_work: the wild pointer write of DRVBOX_CMD_OOPS
 * @hang_work: the spin of DRVBOX_CMD_HANG
 * @lock: serializes writers of @guest other than the heartbeat (the
 *	heartbeat field is the timer's alone) and the export work (exports[]
 *	and export_seq_ack are its alone), and the device list staging
 * @staging: dev list being collected between "devs-begin" and "devs-end"
 * @nr_staging: entries in @staging
 * @staging_open: a "devs-begin" was seen and no "devs-end" yet
 * @export_work: answers the host's export requests (stub_export.c); one
 *	work item never runs twice at once, so its fields need no lock
 * @modules_ready_at: jiffies of init's "ready" (0: not yet); from then on
 *	a requested device that does not show up is given up after a while
 * @export_seq: the host's export_seq last looked at (export work only)
 * @export_done: exports[i] answered READY or ERROR; never looked at again
 *	in this boot (export work only)
 * @blk: the block exports being served, by export index (export work,
 *	and remove after the work is cancelled)
 * @net: the net exports being served, the same way
 */
struct stub_dev {
	struct pci_dev *pdev;
	void __iomem *bar0;
	void *shared;
	size_t shared_len;
	struct drvbox_shared_host *host;
	struct drvbox_shared_guest *guest;
	void *drivers;			/* BAR 4: the drivers area */
	size_t drivers_len;
	u32 nr_doorbells;
	u32 nr_vectors;
	u32 heartbeat_ms;
	struct timer_list heartbeat_timer;
	bool stopping;
	u32 last_seq;
	struct work_struct oops_work;
	struct work_struct hang_work;
	struct mutex lock;
	struct drvbox_shared_dev staging[DRVBOX_SHARED_MAX_DEVS];
	u32 nr_staging;
	bool staging_open;
	struct delayed_work export_work;
	unsigned long modules_ready_at;
	u32 export_seq;
	bool export_done[DRVBOX_SHARED_MAX_EXPORTS];
	struct stub_blk *blk[DRVBOX_SHARED_MAX_EXPORTS];
	struct stub_net *net[DRVBOX_SHARED_MAX_EXPORTS];
};

/* stub_shared.c */
int stub_shared_map(struct stub_dev *sd);
void stub_ring_control(struct stub_dev *sd);
void stub_set_state(struct stub_dev *sd, u32 state);
void stub_heartbeat_start(struct stub_dev *sd);
void stub_heartbeat_stop(struct stub_dev *sd);

/* stub_cmd.c */
void stub_cmd_init(struct stub_dev *sd);
irqreturn_t stub_control_irq(int irq, void *data);
void stub_cmd_stop(struct stub_dev *sd);

/* stub_export.c */
void stub_export_init(struct stub_dev *sd);
void stub_export_kick(struct stub_dev *sd);
void stub_export_modules_ready(struct stub_dev *sd);
void stub_export_stop(struct stub_dev *sd);

/* stub_blk.c */
int stub_blk_export(struct stub_dev *sd, const struct drvbox_export_req *req,
		    struct drvbox_export_state *answer, struct stub_blk **out);
void stub_blk_unexport(struct stub_blk *b);

/* stub_net.c */
int stub_net_export(struct stub_dev *sd, u32 index,
		    const struct drvbox_export_req *req,
		    struct drvbox_export_state *answer, struct stub_net **out);
void stub_net_unexport(struct stub_net *sn);

/* stub_ctl.c */
int stub_ctl_register(struct stub_dev *sd);
void stub_ctl_unregister(struct stub_dev *sd);

/* stub_console.c */
void stub_console_start(struct stub_dev *sd);
void stub_console_stop(void);
bool stub_console_say(const char *line, size_t len);

#endif /* DRVBOX_STUB_H */
