// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: answering the host's export requests.
 *
 * The host fills exports[] of its page (nr_exports, then export_seq++)
 * before we even start, and signals vector DRVBOX_VEC_CONTROL when the
 * guest reaches RUNNING (uapi/drvbox_guest.h "Exports").  For each request
 * we open the named guest device and answer in exports[i] of our page:
 * every field first, then state READY or ERROR (release), then the control
 * doorbell.  The host reads an answer once per incarnation, so each index
 * is answered once per boot and never changed afterwards.
 *
 * The device may not exist yet when we first look: the stub is loaded
 * before the driver whose device it exports, and that driver may probe
 * asynchronously.  A request for a device that is not there stays
 * unanswered (NONE) and is looked at again when init reports a new device
 * list, when init says every module was tried, and every
 * STUB_EXPORT_RETRY_MS; once STUB_EXPORT_WAIT_MS have passed since init's
 * "ready" it is answered ERROR -ENODEV.
 *
 * Everything runs in one delayed work item (sleeping is fine: opening a
 * block device may read its partition table), so the answers and the
 * export state need no lock; remove cancels the work before it tears the
 * exports down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "stub.h"

#define STUB_EXPORT_RETRY_MS	500
#define STUB_EXPORT_WAIT_MS	30000

/* Publish an answer: the fields, then the state that makes them valid. */
static void stub_export_publish(struct stub_dev *sd, unsigned int i,
				const struct drvbox_export_state *answer)
{
	struct drvbox_export_state *st = &sd->guest->exports[i];
	struct drvbox_export_state fields = *answer;

	fields.state = DRVBOX_EXPORT_NONE;	/* what it is until now */
	memcpy(st, &fields, sizeof(*st));
	virt_store_release(&st->state, answer->state);
	sd->export_done[i] = true;
	stub_ring_control(sd);
}

static void stub_export_error(struct stub_dev *sd, unsigned int i, int err)
{
	struct drvbox_export_state answer = {
		.state = DRVBOX_EXPORT_ERROR,
		.error = err,
	};

	stub_export_publish(sd, i, &answer);
}

/* The device is not (yet) there: worth looking again later. */
static bool stub_export_missing(int err)
{
	return err == -ENOENT || err == -ENXIO || err == -ENODEV;
}

/*
 * One request, by type.  Returns 0 when answered (READY or ERROR), or a
 * "missing" errno when the device does not exist yet.
 */
static int stub_export_one(struct stub_dev *sd, unsigned int i,
			   const struct drvbox_export_req *req)
{
	struct drvbox_export_state answer = {};
	int ret;

	switch (req->type) {
	case DRVBOX_GUEST_DEV_BLK:
		ret = stub_blk_export(sd, req, &answer, &sd->blk[i]);
		break;
	case DRVBOX_GUEST_DEV_NET:
		ret = stub_net_export(sd, i, req, &answer, &sd->net[i]);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (stub_export_missing(ret))
		return ret;
	if (ret) {
		dev_warn(&sd->pdev->dev, "cannot export %s (type %u): %d\n",
			 req->name, req->type, ret);
		stub_export_error(sd, i, ret);
		return 0;
	}
	answer.state = DRVBOX_EXPORT_READY;
	stub_export_publish(sd, i, &answer);
	return 0;
}

static void stub_export_work(struct work_struct *work)
{
	struct stub_dev *sd = container_of(to_delayed_work(work),
					   struct stub_dev, export_work);
	unsigned long ready_at = READ_ONCE(sd->modules_ready_at);
	bool give_up, waiting = false;
	u32 seq, n, i;

	seq = virt_load_acquire(&sd->host->export_seq);
	n = min_t(u32, READ_ONCE(sd->host->nr_exports),
		  DRVBOX_SHARED_MAX_EXPORTS);
	give_up = ready_at &&
		  time_after(jiffies, ready_at +
			     msecs_to_jiffies(STUB_EXPORT_WAIT_MS));
	if (seq != sd->export_seq)
		dev_dbg(&sd->pdev->dev, "export_seq %u: %u request(s)\n",
			seq, n);
	sd->export_seq = seq;

	for (i = 0; i < n; i++) {
		struct drvbox_export_req req;
		int ret;

		if (sd->export_done[i])
			continue;
		memcpy(&req, &sd->host->exports[i], sizeof(req));
		if (!req.type && !req.name[0])
			continue;	/* an unused entry */
		if (strnlen(req.name, sizeof(req.name)) == sizeof(req.name)) {
			stub_export_error(sd, i, -ENAMETOOLONG);
			continue;
		}
		ret = stub_export_one(sd, i, &req);
		if (!ret)
			continue;
		if (give_up) {
			dev_warn(&sd->pdev->dev,
				 "%s did not appear within %u s of the modules loading: %d\n",
				 req.name, STUB_EXPORT_WAIT_MS / 1000, ret);
			stub_export_error(sd, i, -ENODEV);
		} else {
			waiting = true;
		}
	}

	if (waiting) {
		/* before "ready", only the kicks matter; after, poll too */
		if (ready_at)
			queue_delayed_work(system_long_wq, &sd->export_work,
					   msecs_to_jiffies(STUB_EXPORT_RETRY_MS));
		return;
	}
	if (READ_ONCE(sd->guest->export_seq_ack) != seq) {
		WRITE_ONCE(sd->guest->export_seq_ack, seq);
		stub_ring_control(sd);
	}
}

void stub_export_init(struct stub_dev *sd)
{
	INIT_DELAYED_WORK(&sd->export_work, stub_export_work);
}

/* Something changed (host requests, guest devices): look now. */
void stub_export_kick(struct stub_dev *sd)
{
	mod_delayed_work(system_long_wq, &sd->export_work, 0);
}

/* init tried every module: missing devices now get a deadline. */
void stub_export_modules_ready(struct stub_dev *sd)
{
	if (!READ_ONCE(sd->modules_ready_at))
		WRITE_ONCE(sd->modules_ready_at, jiffies ? jiffies : 1);
	stub_export_kick(sd);
}

/* Remove: no kicks can come any more (control IRQ and ctl are gone). */
void stub_export_stop(struct stub_dev *sd)
{
	unsigned int i;

	cancel_delayed_work_sync(&sd->export_work);
	for (i = 0; i < DRVBOX_SHARED_MAX_EXPORTS; i++) {
		if (sd->blk[i])
			stub_blk_unexport(sd->blk[i]);
		sd->blk[i] = NULL;
		if (sd->net[i])
			stub_net_unexport(sd->net[i]);
		sd->net[i] = NULL;
	}
}
