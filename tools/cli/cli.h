/* SPDX-License-Identifier: GPL-2.0 */
/* drvbox CLI: shared declarations between the command files. */
#ifndef DRVBOX_CLI_H
#define DRVBOX_CLI_H

#include "drvbox.h"

/* ctl.c */
int ctl_open(void);
int ctl_check_version(int fd);

/* cmd_*.c: each returns the process exit status */
int cmd_version(int argc, char **argv);

#endif
