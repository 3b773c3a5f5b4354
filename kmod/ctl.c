// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/drvbox: the control device.
 *
 * Every ioctl argument is copied in once, validated once here at the
 * boundary (flags, padding and reserved fields must be zero), and only then
 * handed to the part of the module that acts on it.
 *
 * errnos: EINVAL for a bad struct (non-zero flags/padding/reserved, a name
 * outside [A-Za-z0-9_.-]{1,31} starting with a letter or digit, memory or
 * vCPUs out of range, bad spec framing, an unknown crash "how"); ENOENT for
 * an unknown domain; EEXIST for a name in use; ENOSPC for too many domains;
 * EAGAIN for DRVBOX_CRASH or DRVBOX_UPGRADE on a domain that is not
 * RUNNING; EBUSY for DRVBOX_RESTART on a domain being destroyed, and for
 * DRVBOX_UPGRADE on one being destroyed, drained or upgraded.  VMM side: see vmm_file.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
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

static long ctl_create(void __user *argp)
{
	struct drvbox_create c;
	char *spec;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (!domain_name_valid(c.name) || c.flags & ~DRVBOX_CREATE_F_ALL ||
	    !ctl_reserved_zero(c.reserved, ARRAY_SIZE(c.reserved)) ||
	    c.mem_mib < DRVBOX_MIN_MEM_MIB || c.mem_mib > DRVBOX_MAX_MEM_MIB ||
	    c.vcpus < 1 || c.vcpus > DRVBOX_MAX_VCPUS ||
	    c.spec_len == 0 || c.spec_len > DRVBOX_SPEC_MAX)
		return -EINVAL;

	spec = vmemdup_user(u64_to_user_ptr(c.spec_ptr), c.spec_len);
	if (IS_ERR(spec))
		return PTR_ERR(spec);
	if (!spec_valid(spec, c.spec_len)) {
		kvfree(spec);
		return -EINVAL;
	}
	return domain_create(&c, spec);	/* takes over spec */
}

/* DRVBOX_DESTROY and DRVBOX_RESTART */
static long ctl_domain_ref(void __user *argp, unsigned int cmd)
{
	struct drvbox_domain_ref r;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (!domain_name_valid(r.name) || r.padding ||
	    r.flags & ~(cmd == DRVBOX_RESTART ? DRVBOX_RESTART_F_ALL : 0) ||
	    !ctl_reserved_zero(r.reserved, ARRAY_SIZE(r.reserved)))
		return -EINVAL;
	return cmd == DRVBOX_DESTROY ? domain_destroy(r.name) :
				       domain_restart(r.name, r.flags);
}

static long ctl_upgrade(void __user *argp)
{
	struct drvbox_upgrade u;
	char *drv;

	if (copy_from_user(&u, argp, sizeof(u)))
		return -EFAULT;
	if (!domain_name_valid(u.name) || u.flags ||
	    !ctl_reserved_zero(u.reserved, ARRAY_SIZE(u.reserved)) ||
	    u.spec_len == 0 || u.spec_len > DRVBOX_SPEC_MAX)
		return -EINVAL;
	drv = vmemdup_user(u64_to_user_ptr(u.spec_ptr), u.spec_len);
	if (IS_ERR(drv))
		return PTR_ERR(drv);
	if (!spec_drivers_valid(drv, u.spec_len)) {
		kvfree(drv);
		return -EINVAL;
	}
	return domain_upgrade(u.name, drv, u.spec_len);	/* takes over drv */
}

static long ctl_crash(void __user *argp)
{
	struct drvbox_crash c;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (!domain_name_valid(c.name) || c.flags ||
	    !ctl_reserved_zero(c.reserved, ARRAY_SIZE(c.reserved)) ||
	    c.how < DRVBOX_CRASH_PANIC || c.how > DRVBOX_CRASH_VMM_KILL)
		return -EINVAL;
	return domain_crash(c.name, c.how);
}

static long ctl_status(void __user *argp)
{
	struct drvbox_domain_status *st;
	char name[DRVBOX_NAME_LEN];
	long ret;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(st, argp, sizeof(*st)))
		goto out;
	/* only @name is input; padding and reserved must still be zero */
	ret = -EINVAL;
	if (!domain_name_valid(st->name) || st->padding ||
	    !ctl_reserved_zero(st->reserved, ARRAY_SIZE(st->reserved)))
		goto out;
	memcpy(name, st->name, sizeof(name));
	memset(st, 0, sizeof(*st));
	memcpy(st->name, name, sizeof(name));
	ret = domain_status(st);
	if (!ret && copy_to_user(argp, st, sizeof(*st)))
		ret = -EFAULT;
out:
	kfree(st);
	return ret;
}

static long ctl_list(void __user *argp)
{
	char (*names)[DRVBOX_NAME_LEN] = NULL;
	struct drvbox_list l;
	u32 room, count;
	long ret;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.padding || !ctl_reserved_zero(l.reserved, ARRAY_SIZE(l.reserved)))
		return -EINVAL;
	room = min_t(u32, l.count, 1024);
	if (room) {
		names = kvcalloc(room, DRVBOX_NAME_LEN, GFP_KERNEL);
		if (!names)
			return -ENOMEM;
	}
	domain_list(names, room, &count);
	ret = -EFAULT;
	if (room && copy_to_user(u64_to_user_ptr(l.names_ptr), names,
				 (size_t)min(room, count) * DRVBOX_NAME_LEN))
		goto out;
	l.count = count;
	if (copy_to_user(argp, &l, sizeof(l)))
		goto out;
	ret = 0;
out:
	kvfree(names);
	return ret;
}

static long ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case DRVBOX_GET_VERSION:
		return ctl_get_version(argp);
	case DRVBOX_LIST:
		return ctl_list(argp);
	case DRVBOX_CREATE:
		return ctl_create(argp);
	case DRVBOX_DESTROY:
	case DRVBOX_RESTART:
		return ctl_domain_ref(argp, cmd);
	case DRVBOX_DOMAIN_STATUS:
		return ctl_status(argp);
	case DRVBOX_UPGRADE:
		return ctl_upgrade(argp);
	case DRVBOX_CRASH:
		return ctl_crash(argp);
	case DRVBOX_VMM_ATTACH:
	case DRVBOX_VMM_GET_SPEC:
	case DRVBOX_VMM_SET_EVENTFDS:
	case DRVBOX_VMM_REPORT:
	case DRVBOX_VMM_POPULATE:
	case DRVBOX_VMM_LOAD_RAM:
		return vmm_ioctl(file, cmd, argp);
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
	/* misc_open() left the miscdevice here; ours is the attached VMM */
	file->private_data = NULL;
	return nonseekable_open(inode, file);
}

static int ctl_release(struct inode *inode, struct file *file)
{
	return vmm_release(file);
}

static const struct file_operations ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= ctl_open,
	.release	= ctl_release,
	.mmap		= vmm_mmap,
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
