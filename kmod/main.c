// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox: run untrusted device drivers in small KVM guests ("driver
 * domains") and give their devices back to the host as ordinary block and
 * network devices.
 *
 * This file holds module load and unload only; each part of the module
 * lives in its own file (see docs/architecture.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/workqueue.h>

#include "drvbox.h"
#include "vdev.h"

/*
 * All of drvbox's deferred work runs on these two, so that module unload
 * can drain it: a domain's last work item drops the domain's module
 * reference and then still runs a few instructions.  drvbox_io_wq has
 * what I/O progress depends on (doorbells, the mediators): a host whose
 * swap or dirty pages sit on an isolated disk reclaims memory through it,
 * so it has a rescuer (WQ_MEM_RECLAIM) and its works must never wait for
 * a work elsewhere.  drvbox_wq has the rest (supervisor, registration),
 * which does wait on other workqueues (virtio_net's remove flushes its
 * config work).
 */
struct workqueue_struct *drvbox_wq;
struct workqueue_struct *drvbox_io_wq;

static int __init drvbox_init(void)
{
	int ret;

	drvbox_wq = alloc_workqueue("drvbox", WQ_UNBOUND, 0);
	if (!drvbox_wq)
		return -ENOMEM;
	drvbox_io_wq = alloc_workqueue("drvbox_io",
				       WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!drvbox_io_wq) {
		ret = -ENOMEM;
		goto err_wq;
	}

	ret = drvbox_sysfs_init();
	if (ret)
		goto err_wq;

	ret = vdev_root_init();
	if (ret)
		goto err_sysfs;

	ret = drvbox_ctl_init();
	if (ret)
		goto err_vdev;

	pr_info("loaded (api version %u)\n", DRVBOX_API_VERSION);
	return 0;

err_vdev:
	vdev_root_exit();
err_sysfs:
	drvbox_sysfs_exit();
err_wq:
	if (drvbox_io_wq)
		destroy_workqueue(drvbox_io_wq);
	destroy_workqueue(drvbox_wq);
	return ret;
}

/* No domain exists here: each one holds a reference on the module. */
static void __exit drvbox_exit(void)
{
	drvbox_ctl_exit();
	destroy_workqueue(drvbox_wq);
	destroy_workqueue(drvbox_io_wq);
	vdev_root_exit();
	drvbox_sysfs_exit();
	pr_info("unloaded\n");
}

module_init(drvbox_init);
module_exit(drvbox_exit);

MODULE_DESCRIPTION("drvbox: isolate device drivers in KVM driver domains");
MODULE_AUTHOR("drvbox developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
