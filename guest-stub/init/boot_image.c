// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-init: the boot image point (uapi/drvbox_guest.h).
 *
 * boot_image_point() runs once the kernel is up and before any module is
 * loaded: on a cold boot the VMM may save the whole VM during our OUT,
 * and an incarnation started from that image resumes right after it.
 * The stub, loaded next, sets the clock and mixes host randomness into
 * the input pool; boot_image_reseed() then makes the crng draw from it,
 * so that no two incarnations hand out the same random numbers.
 *
 * Only the OUT is done from here: reading the VMM's answers is the stub's
 * job, in the kernel, where no I/O permission bitmap is involved.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drvbox_guest.h"
#include "init.h"

void boot_image_point(void)
{
	if (ioperm(DRVBOX_IMAGE_PORT, 4, 1) < 0) {
		say("ioperm %#x: %s: no boot image", DRVBOX_IMAGE_PORT,
		    strerror(errno));
		return;
	}
	outl(DRVBOX_IMAGE_POINT, DRVBOX_IMAGE_PORT);
	if (ioperm(DRVBOX_IMAGE_PORT, 4, 0) < 0)
		say("ioperm %#x off: %s", DRVBOX_IMAGE_PORT, strerror(errno));
}

void boot_image_reseed(void)
{
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		say("/dev/urandom: %s: the crng is not reseeded", strerror(errno));
		return;
	}
	if (ioctl(fd, RNDRESEEDCRNG) < 0)
		say("RNDRESEEDCRNG: %s", strerror(errno));
	close(fd);
}
