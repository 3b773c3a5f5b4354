// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/drvbox ioctl boundary: version, unknown ioctls, reserved fields and
 * privilege.  Needs drvbox.ko loaded and must start as root.
 */
#include <fcntl.h>
#include <stdint.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drvbox.h"
#include "tap.h"

/* Run @fn in a child; its exit status is the test result (0 = ok). */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int open_as_nobody(void)
{
	if (setgid(65534) || setuid(65534))
		return 100;
	return open(DRVBOX_DEV_PATH, O_RDWR) < 0 && errno == EPERM ? 0 : 1;
}

/* root, but without CAP_SYS_ADMIN in its bounding/effective sets */
static int open_without_cap(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return 100;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data))
		return 100;
	return open(DRVBOX_DEV_PATH, O_RDWR) < 0 && errno == EPERM ? 0 : 1;
}

int main(void)
{
	struct drvbox_version v;
	int fd, r;

	tap_plan(8);
	fd = open(DRVBOX_DEV_PATH, O_RDWR);
	tap_result(fd >= 0, "open_as_root", "open %s: %s", DRVBOX_DEV_PATH,
		   strerror(errno));
	if (fd < 0)
		return 1;

	memset(&v, 0, sizeof(v));
	r = ioctl(fd, DRVBOX_GET_VERSION, &v);
	tap_result(r == 0 && v.api_version == DRVBOX_API_VERSION,
		   "get_version", "expected api %u, got ret %d api %u (%s)",
		   DRVBOX_API_VERSION, r, v.api_version, strerror(errno));

	memset(&v, 0, sizeof(v));
	v.reserved[2] = 1;
	TAP_EXPECT_ERRNO("get_version_reserved_nonzero",
			 ioctl(fd, DRVBOX_GET_VERSION, &v), EINVAL);

	memset(&v, 0, sizeof(v));
	v.flags = 1;
	TAP_EXPECT_ERRNO("get_version_flags_nonzero",
			 ioctl(fd, DRVBOX_GET_VERSION, &v), EINVAL);

	TAP_EXPECT_ERRNO("get_version_bad_pointer",
			 ioctl(fd, DRVBOX_GET_VERSION, (void *)16), EFAULT);

	TAP_EXPECT_ERRNO("unknown_ioctl",
			 ioctl(fd, _IOWR(DRVBOX_IOCTL_MAGIC, 0x7f, struct drvbox_version), &v),
			 ENOTTY);
	close(fd);

	r = in_child(open_as_nobody);
	tap_result(r == 0, "open_as_nobody_eperm",
		   "expected EPERM for uid 65534, child said %d", r);
	r = in_child(open_without_cap);
	tap_result(r == 0, "open_without_cap_sys_admin_eperm",
		   "expected EPERM without CAP_SYS_ADMIN, child said %d", r);
	return tap_exit();
}
