/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: see slab.h. */
#include <linux/slab.h>
