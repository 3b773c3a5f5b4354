/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domain spec's framing, and names derived from a spec (spec.c):
 * pure functions of their bytes, so that selftests/unit can run them in
 * userspace too.
 */
#ifndef _DRVBOX_SPEC_H
#define _DRVBOX_SPEC_H

#include <linux/types.h>

bool spec_valid(const char *spec, u32 len);
bool spec_drivers_valid(const char *spec, u32 len);
char *spec_with_drivers(const char *spec, u32 len, const char *drv,
			u32 drv_len, u32 *out_len);

/* a virtio-blk serial: VIRTIO_BLK_ID_BYTES, NUL-padded, not terminated */
#define SPEC_SERIAL_LEN		20
void spec_blk_serial(char out[SPEC_SERIAL_LEN], const char *dom,
		     const char *dev);

#endif /* _DRVBOX_SPEC_H */
