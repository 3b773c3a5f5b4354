/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox_stub: the one place for kernel version differences (6.1 vs 6.12).
 */
#ifndef DRVBOX_STUB_COMPAT_H
#define DRVBOX_STUB_COMPAT_H

#include <linux/timer.h>
#include <linux/version.h>

/* timer_delete_sync() replaced del_timer_sync() in 6.2. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete_sync(t)	del_timer_sync(t)
#endif

/* from_timer() became timer_container_of() in 6.16. */
#ifndef from_timer
#define from_timer(var, timer, field)	timer_container_of(var, timer, field)
#endif

#endif /* DRVBOX_STUB_COMPAT_H */
