/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox.ko internal interfaces, shared by the files of the host module.
 * Nothing here is visible to userspace or the guest: that contract lives
 * in uapi/.
 */
#ifndef _DRVBOX_KMOD_H
#define _DRVBOX_KMOD_H

#include "../uapi/drvbox.h"

/* ctl.c: /dev/drvbox */
int drvbox_ctl_init(void);
void drvbox_ctl_exit(void);

#endif /* _DRVBOX_KMOD_H */
