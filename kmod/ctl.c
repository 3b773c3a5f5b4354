// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/drvbox: the control device.
 *
 * Every ioctl argument is copied in once, validated once here at the
 * boundary (flags, padding and reserved fields must be zero), and only then
 * handed to the part of the module that acts on it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "drvbox.h"

static bool ctl_reserved_zero(const __u64 *reserved, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (reserved[i])
			return false;
	return true;
}

static long ctl_get_version(void __user *argp)
{
	struct drvbox_version v;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (v.flags || !ctl_reserved_zero(v.reserved, ARRAY_SIZE(v.reserved)))
		return -EINVAL;

	memset(&v, 0, sizeof(v));
	v.api_version = DRVBOX_API_VERSION;
	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case DRVBOX_GET_VERSION:
		return ctl_get_version(argp);
	default:
		return -ENOIOCTLCMD;
	}
}

/*
 * The node is world-openable on purpose so that the answer to an
 * unprivileged caller is one clear EPERM from here, not a permission
 * error that depends on how the node was created.  Everything drvbox does
 * (starting VMs, passing PCI devices through) needs CAP_SYS_ADMIN.
 */
static int ctl_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static const struct file_operations ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= ctl_open,
	.unlocked_ioctl	= ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice ctl_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DRVBOX_DEV_NAME,
	.fops	= &ctl_fops,
	.mode	= 0666,
};

int drvbox_ctl_init(void)
{
	int ret;

	ret = misc_register(&ctl_miscdev);
	if (ret)
		pr_err("cannot register /dev/%s: %d\n", DRVBOX_DEV_NAME, ret);
	return ret;
}

void drvbox_ctl_exit(void)
{
	misc_deregister(&ctl_miscdev);
}
