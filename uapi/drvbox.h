/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drvbox: the /dev/drvbox control interface.
 *
 * This header is the contract between drvbox.ko and its userspace tools.
 * Rules, for every struct here:
 *  - fixed size, naturally aligned, explicit padding, __u32/__u64 only;
 *  - fields named "padding" or "reserved" must be zero on input and are
 *    zeroed on output; the kernel rejects non-zero ones with EINVAL so they
 *    can gain meaning later;
 *  - a struct never changes once released: a newer version embeds the old
 *    one, and new fields name the DRVBOX_API_VERSION that added them.
 *
 * Call DRVBOX_GET_VERSION first and refuse to run on a version you do not
 * know.
 */
#ifndef _UAPI_LINUX_DRVBOX_H
#define _UAPI_LINUX_DRVBOX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DRVBOX_API_VERSION	1

#define DRVBOX_DEV_NAME		"drvbox"
#define DRVBOX_DEV_PATH		"/dev/" DRVBOX_DEV_NAME

/**
 * struct drvbox_version - DRVBOX_GET_VERSION argument
 * @api_version: out: DRVBOX_API_VERSION of the running module
 * @flags: in: must be zero
 * @reserved: in: must be zero; out: zero
 */
struct drvbox_version {
	__u32 api_version;
	__u32 flags;
	__u64 reserved[3];
};

/* ioctl numbers, all under one magic, grouped by purpose. */
#define DRVBOX_IOCTL_MAGIC	0xDB

/* 0x00-0x0f: module-wide queries */
#define DRVBOX_GET_VERSION	_IOWR(DRVBOX_IOCTL_MAGIC, 0x00, struct drvbox_version)

#endif /* _UAPI_LINUX_DRVBOX_H */
