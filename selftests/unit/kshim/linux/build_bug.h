/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: static_assert() from the C library. */
#include <assert.h>
