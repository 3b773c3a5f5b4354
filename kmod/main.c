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

#include "drvbox.h"

static int __init drvbox_init(void)
{
	int ret;

	ret = drvbox_ctl_init();
	if (ret)
		return ret;

	pr_info("loaded (api version %u)\n", DRVBOX_API_VERSION);
	return 0;
}

static void __exit drvbox_exit(void)
{
	drvbox_ctl_exit();
	pr_info("unloaded\n");
}

module_init(drvbox_init);
module_exit(drvbox_exit);

MODULE_DESCRIPTION("drvbox: isolate device drivers in KVM driver domains");
MODULE_AUTHOR("drvbox developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
