/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where drvbox.ko copes with kernel API differences between
 * the kernels it supports (Debian 12: 6.1 and 6.12).  Every version check
 * lives here, as a small wrapper named for what it does; the rest of the
 * module calls the wrapper.
 */
#ifndef _DRVBOX_COMPAT_H
#define _DRVBOX_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "drvbox needs Linux 6.1 or newer"
#endif

#endif /* _DRVBOX_COMPAT_H */
