// SPDX-License-Identifier: GPL-2.0
/* drvbox CLI: talking to /dev/drvbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* Open the control device, explaining the usual reasons it fails. */
int ctl_open(void)
{
	int fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "drvbox: %s: %s: is drvbox.ko loaded? "
			"(insmod build/$(uname -r)/kmod/drvbox.ko)\n",
			DRVBOX_DEV_PATH, strerror(errno));
		break;
	case EPERM:
	case EACCES:
		fprintf(stderr, "drvbox: %s: %s: drvbox needs root "
			"(CAP_SYS_ADMIN)\n", DRVBOX_DEV_PATH, strerror(errno));
		break;
	default:
		fprintf(stderr, "drvbox: cannot open %s: %s\n",
			DRVBOX_DEV_PATH, strerror(errno));
	}
	return -1;
}

/* Returns the module's API version, or -1 (with a message) on mismatch. */
int ctl_check_version(int fd)
{
	struct drvbox_version v;

	memset(&v, 0, sizeof(v));
	if (ioctl(fd, DRVBOX_GET_VERSION, &v) < 0) {
		fprintf(stderr, "drvbox: DRVBOX_GET_VERSION: %s\n",
			strerror(errno));
		return -1;
	}
	if (v.api_version != DRVBOX_API_VERSION) {
		fprintf(stderr, "drvbox: drvbox.ko speaks API version %u, this "
			"tool speaks %u: rebuild and reload them together\n",
			v.api_version, DRVBOX_API_VERSION);
		return -1;
	}
	return (int)v.api_version;
}
