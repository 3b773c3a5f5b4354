/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domain spec's framing (spec.c): pure functions of their bytes, so
 * that selftests/unit can run them in userspace too.
 */
#ifndef _DRVBOX_SPEC_H
#define _DRVBOX_SPEC_H

#include <linux/types.h>

bool spec_valid(const char *spec, u32 len);
bool spec_drivers_valid(const char *spec, u32 len);
char *spec_with_drivers(const char *spec, u32 len, const char *drv,
			u32 drv_len, u32 *out_len);

#endif /* _DRVBOX_SPEC_H */
