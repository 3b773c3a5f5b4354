// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: the guest's console through the log port (uapi/drvbox_guest.h
 * "The console log port").
 *
 * Until the stub probes, the kernel's console is the 8250, one exit per
 * byte: a panic's backtrace alone took the better part of a second to
 * reach the host under nested virtualization.  At probe we register a
 * console that copies each message into a page of guest RAM and writes
 * its length to the VMM's log port, one exit per message, and take the
 * 8250 off the console list.  At remove the 8250 comes back.
 *
 * Console writes are serialized by the printk core; stub_console_lock
 * also covers stub_console_say() (init's lines, from the control device).
 * In an oops or a panic another CPU may have been stopped holding it, so
 * then we only try it and write anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/console.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "stub.h"
#include "stub_compat.h"

#define STUB_SERIAL_CONSOLE	"ttyS"

static DEFINE_SPINLOCK(stub_console_lock);
static void *stub_console_page;		/* DRVBOX_LOG_PAGE bytes */
static struct console *stub_serial;	/* the 8250 console we took off */

/* stub_console_lock held, or a stopped CPU may hold it (oops, panic) */
static void stub_console_copy(const char *s, unsigned int n)
{
	while (n) {
		unsigned int c = min_t(unsigned int, n, DRVBOX_LOG_PAGE);

		memcpy(stub_console_page, s, c);
		outl(c, DRVBOX_LOG_LEN_PORT);
		s += c;
		n -= c;
	}
}

static void stub_console_out(const char *s, unsigned int n)
{
	unsigned long flags;

	if (!oops_in_progress) {
		spin_lock_irqsave(&stub_console_lock, flags);
		stub_console_copy(s, n);
		spin_unlock_irqrestore(&stub_console_lock, flags);
	} else if (spin_trylock_irqsave(&stub_console_lock, flags)) {
		stub_console_copy(s, n);
		spin_unlock_irqrestore(&stub_console_lock, flags);
	} else {
		stub_console_copy(s, n);
	}
}

static void stub_console_write(struct console *con, const char *s,
			       unsigned int n)
{
	stub_console_out(s, n);
}

static struct console stub_console = {
	.name	= "drvbox",
	.write	= stub_console_write,
	.flags	= CON_ENABLED,	/* printk to us without a console= match */
	.index	= -1,
};

/* A line of init's, as it wrote it (no printk prefix); false: no console. */
bool stub_console_say(const char *line, size_t len)
{
	if (!READ_ONCE(stub_console_page))
		return false;
	stub_console_out(line, len);
	return true;
}

static struct console *stub_find_serial(void)
{
	struct console *c, *found = NULL;

	stub_console_list_lock();
	for_each_console(c) {
		if (!strcmp(c->name, STUB_SERIAL_CONSOLE)) {
			found = c;
			break;
		}
	}
	stub_console_list_unlock();
	return found;
}

void stub_console_start(struct stub_dev *sd)
{
	void *page;

	page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!page) {
		dev_warn(&sd->pdev->dev, "no page for the log port: the console stays on the 8250\n");
		return;
	}
	outl(virt_to_phys(page) / DRVBOX_LOG_PAGE, DRVBOX_LOG_PFN_PORT);
	WRITE_ONCE(stub_console_page, page);
	register_console(&stub_console);
	stub_serial = stub_find_serial();
	if (stub_serial && unregister_console(stub_serial))
		stub_serial = NULL;
	dev_info(&sd->pdev->dev, "console on the log port%s\n",
		 stub_serial ? ", the 8250 off" : "");
}

void stub_console_stop(void)
{
	void *page = stub_console_page;

	if (!page)
		return;
	if (stub_serial)
		register_console(stub_serial);
	stub_serial = NULL;
	unregister_console(&stub_console);
	WRITE_ONCE(stub_console_page, NULL);
	/* a say() that saw the page finishes under the lock before we free */
	spin_lock_irq(&stub_console_lock);
	spin_unlock_irq(&stub_console_lock);
	free_page((unsigned long)page);
}
