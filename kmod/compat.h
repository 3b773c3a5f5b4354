/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where drvbox.ko copes with kernel API differences between
 * the kernels it supports (Debian 12: 6.1 and 6.12).  Every version check
 * lives here, as a small wrapper named for what it does; the rest of the
 * module calls the wrapper.
 */
#ifndef _DRVBOX_COMPAT_H
#define _DRVBOX_COMPAT_H

#include <linux/eventfd.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "drvbox needs Linux 6.1 or newer"
#endif

/* Add one to an eventfd (an irqfd: interrupts the guest).  6.8 dropped @n. */
static inline void drvbox_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

#endif /* _DRVBOX_COMPAT_H */
