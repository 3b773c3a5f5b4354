/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: sizeof_field() as the kernel has it. */
#ifndef KSHIM_LINUX_STDDEF_H
#define KSHIM_LINUX_STDDEF_H
#include_next <linux/stddef.h>
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#endif
