/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drvbox: the host <-> guest protocol.
 *
 * The guest side (drvbox_stub.ko) sees the drvbox PCI device that
 * drvbox-vmm emulates; drvbox.ko and the stub both follow this header.
 * Everything the guest writes is untrusted by the host: the host reads
 * each field once and validates it before use.
 */
#ifndef _UAPI_LINUX_DRVBOX_GUEST_H
#define _UAPI_LINUX_DRVBOX_GUEST_H

#include <linux/types.h>

/*
 * PCI identity of the drvbox device.  The VMM is the only place this device
 * exists; the ID is private to drvbox (not a registered product ID) and is
 * matched only by drvbox_stub.ko.
 */
#define DRVBOX_PCI_VENDOR_ID	0x1af4
#define DRVBOX_PCI_DEVICE_ID	0x10db

#define DRVBOX_GUEST_PROTO_VERSION	1

#endif /* _UAPI_LINUX_DRVBOX_GUEST_H */
