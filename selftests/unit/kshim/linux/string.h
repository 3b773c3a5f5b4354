/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: the C library's string functions. */
#include <string.h>
