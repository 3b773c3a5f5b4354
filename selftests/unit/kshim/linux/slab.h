/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: kernel allocations are the C library's. */
#ifndef KSHIM_LINUX_SLAB_H
#define KSHIM_LINUX_SLAB_H
#include <stdlib.h>
#define GFP_KERNEL		0
#define kvmalloc(n, gfp)	((void)(gfp), malloc(n))
#define kvfree(p)		free(p)
#endif
