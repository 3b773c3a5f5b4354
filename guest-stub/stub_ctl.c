// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: /dev/drvbox_stub, the guest init's channel to the stub.
 *
 * The guest's /init writes one line per write() (docs/domains.md):
 *
 *	module FILE ERRNO	a requested module loaded (0) or failed (errno)
 *	ready			every module has been tried
 *	devs-begin		a new list of the guest's devices follows ...
 *	dev blk NAME BYTES	... a block device and its capacity
 *	dev net NAME MAC	... a net device and its MAC (aa:bb:cc:dd:ee:ff)
 *	devs-end		... publish it, replacing the previous list
 *	say TEXT		a line of init's own for the console, written
 *				as it is through the log port (ENODEV when
 *				the console is not there: init writes it to
 *				the 8250 itself)
 *
 * Each accepted line updates page 1 of the shared area and rings the control
 * doorbell.  Anything else fails with EINVAL and changes nothing.
 *
 * read() and pread() give the drivers area (BAR 4, uapi/drvbox_guest.h)
 * as the VMM wrote it; init loads its modules from there.
 *
 * There is one drvbox device per guest, so there is one misc device; it
 * reaches the device through stub_ctl_dev, which remove clears (under
 * stub_ctl_lock) before the device goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "stub.h"

#define STUB_CTL_LINE_MAX	256
#define STUB_CTL_MAX_ERRNO	4095

static DEFINE_MUTEX(stub_ctl_lock);
static struct stub_dev *stub_ctl_dev;	/* protected by stub_ctl_lock */

/* Copy a name into a fixed field; it must fit with its NUL. */
static int stub_copy_name(char *dst, size_t size, const char *src)
{
	if (!*src || strscpy(dst, src, size) < 0)
		return -EINVAL;
	return 0;
}

static int stub_ctl_module(struct stub_dev *sd, char *file, char *err_str)
{
	struct drvbox_shared_guest *g = sd->guest;
	struct drvbox_shared_module m = {};
	u32 i, n = READ_ONCE(g->nr_modules);
	int err;

	if (kstrtoint(err_str, 10, &err) || err < 0 || err > STUB_CTL_MAX_ERRNO)
		return -EINVAL;
	if (stub_copy_name(m.name, sizeof(m.name), file))
		return -EINVAL;
	m.error = -err;
	m.state = err ? DRVBOX_MODULE_FAILED : DRVBOX_MODULE_LOADED;

	/* A module reported again (a retry) replaces its earlier result. */
	for (i = 0; i < n; i++)
		if (!strncmp(g->modules[i].name, m.name, sizeof(m.name)))
			break;
	if (i == n && n >= DRVBOX_SHARED_MAX_MODULES)
		return -ENOSPC;
	memcpy(&g->modules[i], &m, sizeof(m));
	if (i == n) {
		/* The entry is complete before the count covers it. */
		wmb();
		WRITE_ONCE(g->nr_modules, n + 1);
	}
	if (err)
		snprintf(g->message, sizeof(g->message),
			 "module %s failed to load: error %d", m.name, err);
	stub_ring_control(sd);
	return 0;
}

static int stub_ctl_ready(struct stub_dev *sd)
{
	struct drvbox_shared_guest *g = sd->guest;
	u32 i, n = READ_ONCE(g->nr_modules);
	u32 state = DRVBOX_GUEST_RUNNING;

	for (i = 0; i < n; i++)
		if (g->modules[i].state != DRVBOX_MODULE_LOADED)
			state = DRVBOX_GUEST_MODULE_FAILED;
	dev_info(&sd->pdev->dev, "%u module(s) tried: %s\n", n,
		 state == DRVBOX_GUEST_RUNNING ? "running" : "a module failed");
	stub_set_state(sd, state);
	stub_export_modules_ready(sd);
	return 0;
}

static int stub_ctl_dev_entry(struct stub_dev *sd, char *type, char *name,
			      char *value)
{
	struct drvbox_shared_dev d = {};
	u64 size;

	if (!sd->staging_open || sd->nr_staging >= DRVBOX_SHARED_MAX_DEVS)
		return -EINVAL;
	if (stub_copy_name(d.name, sizeof(d.name), name))
		return -EINVAL;
	if (!strcmp(type, "blk")) {
		if (kstrtou64(value, 10, &size))
			return -EINVAL;
		d.type = DRVBOX_GUEST_DEV_BLK;
		d.size = size;
	} else if (!strcmp(type, "net")) {
		if (!mac_pton(value, d.mac) || strlen(value) != 17)
			return -EINVAL;
		d.type = DRVBOX_GUEST_DEV_NET;
	} else {
		return -EINVAL;
	}
	sd->staging[sd->nr_staging++] = d;
	return 0;
}

/* Publish the staged list: hide the old one, replace it, count it in. */
static int stub_ctl_devs_end(struct stub_dev *sd)
{
	struct drvbox_shared_guest *g = sd->guest;

	if (!sd->staging_open)
		return -EINVAL;
	WRITE_ONCE(g->nr_devs, 0);
	wmb();
	memcpy(g->devs, sd->staging, sd->nr_staging * sizeof(sd->staging[0]));
	memset(&g->devs[sd->nr_staging], 0,
	       (DRVBOX_SHARED_MAX_DEVS - sd->nr_staging) * sizeof(g->devs[0]));
	wmb();
	WRITE_ONCE(g->nr_devs, sd->nr_staging);
	sd->staging_open = false;
	stub_ring_control(sd);
	/* a device we were asked to export may have appeared */
	stub_export_kick(sd);
	return 0;
}

/* Split @line at spaces into at most @max words; returns the count. */
static int stub_split(char *line, char **words, int max)
{
	char *w;
	int n = 0;

	while ((w = strsep(&line, " ")) != NULL) {
		if (!*w)
			return -EINVAL;	/* double or leading space */
		if (n == max)
			return -EINVAL;
		words[n++] = w;
	}
	return n;
}

static int stub_ctl_line(struct stub_dev *sd, char *line)
{
	char *w[4];
	int n = stub_split(line, w, ARRAY_SIZE(w));

	if (n <= 0)
		return -EINVAL;
	if (!strcmp(w[0], "module") && n == 3)
		return stub_ctl_module(sd, w[1], w[2]);
	if (!strcmp(w[0], "ready") && n == 1)
		return stub_ctl_ready(sd);
	if (!strcmp(w[0], "devs-begin") && n == 1) {
		sd->staging_open = true;
		sd->nr_staging = 0;
		return 0;
	}
	if (!strcmp(w[0], "dev") && n == 4)
		return stub_ctl_dev_entry(sd, w[1], w[2], w[3]);
	if (!strcmp(w[0], "devs-end") && n == 1)
		return stub_ctl_devs_end(sd);
	return -EINVAL;
}

static ssize_t stub_ctl_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	char *line;
	size_t len = count;
	int ret;

	if (!count || count >= STUB_CTL_LINE_MAX)
		return -EINVAL;
	line = memdup_user_nul(buf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (strlen(line) != len) {	/* embedded NUL */
		kfree(line);
		return -EINVAL;
	}
	if (!strncmp(line, "say ", 4)) {
		line[len] = '\n';	/* memdup_user_nul() left room */
		ret = stub_console_say(line + 4, len - 3) ? 0 : -ENODEV;
		kfree(line);
		return ret ? ret : count;
	}

	mutex_lock(&stub_ctl_lock);
	if (!stub_ctl_dev) {
		ret = -ENODEV;
	} else {
		mutex_lock(&stub_ctl_dev->lock);
		ret = stub_ctl_line(stub_ctl_dev, line);
		mutex_unlock(&stub_ctl_dev->lock);
	}
	mutex_unlock(&stub_ctl_lock);
	kfree(line);
	return ret ? ret : count;
}

static ssize_t stub_ctl_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&stub_ctl_lock);
	if (!stub_ctl_dev)
		ret = -ENODEV;
	else
		ret = simple_read_from_buffer(buf, count, ppos,
					      stub_ctl_dev->drivers,
					      stub_ctl_dev->drivers_len);
	mutex_unlock(&stub_ctl_lock);
	return ret;
}

static const struct file_operations stub_ctl_fops = {
	.owner		= THIS_MODULE,
	.read		= stub_ctl_read,
	.write		= stub_ctl_write,
	.llseek		= noop_llseek,
};

static struct miscdevice stub_ctl_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "drvbox_stub",
	.fops		= &stub_ctl_fops,
	.mode		= 0600,
};

int stub_ctl_register(struct stub_dev *sd)
{
	int ret;

	mutex_lock(&stub_ctl_lock);
	if (stub_ctl_dev) {
		mutex_unlock(&stub_ctl_lock);
		dev_err(&sd->pdev->dev, "a drvbox device is already bound\n");
		return -EBUSY;
	}
	stub_ctl_dev = sd;
	mutex_unlock(&stub_ctl_lock);

	ret = misc_register(&stub_ctl_misc);
	if (ret) {
		dev_err(&sd->pdev->dev, "cannot register /dev/%s: %d\n",
			stub_ctl_misc.name, ret);
		mutex_lock(&stub_ctl_lock);
		stub_ctl_dev = NULL;
		mutex_unlock(&stub_ctl_lock);
	}
	return ret;
}

void stub_ctl_unregister(struct stub_dev *sd)
{
	misc_deregister(&stub_ctl_misc);
	mutex_lock(&stub_ctl_lock);
	stub_ctl_dev = NULL;
	mutex_unlock(&stub_ctl_lock);
}
