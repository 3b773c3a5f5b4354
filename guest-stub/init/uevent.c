// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-init: waiting for devices to come and go.  The kernel announces
 * every block and net device it adds, removes, renames or resizes as a
 * uevent on NETLINK_KOBJECT_UEVENT; init rescans /sys when one arrives
 * instead of every second, so an idle domain is not woken for it.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

/*
 * A rescan at least this often all the same: for a driver that changes
 * what /sys shows without a uevent.  One wake-up a minute.
 */
#define UEVENT_RESCAN_MS	60000

/*
 * The socket, or -1 (then uevent_wait() sleeps a second).  Opened before
 * the first scan: what happens after that is queued in it.
 */
int uevent_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* the kernel's uevent group */
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		say("uevent socket: %s; scanning devices every second",
		    strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		say("uevent bind: %s; scanning devices every second",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Block until a uevent arrives (or UEVENT_RESCAN_MS pass), then take every
 * one queued: the caller rescans once for all of them.  A full socket
 * buffer (ENOBUFS: events were lost) is news too.
 */
void uevent_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];

	if (fd < 0) {
		sleep(1);
		return;
	}
	if (poll(&p, 1, UEVENT_RESCAN_MS) < 0 && errno != EINTR) {
		say("uevent poll: %s", strerror(errno));
		sleep(1);
		return;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n >= 0 || errno == ENOBUFS || errno == EINTR)
			continue;
		if (errno != EAGAIN)
			say("uevent recv: %s", strerror(errno));
		return;
	}
}
