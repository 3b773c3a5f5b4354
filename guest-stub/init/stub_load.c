// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-init: the stub is loaded before the boot image point and bound
 * after it.
 *
 * stub_load() loads drvbox_stub.ko with the PCI bus's autoprobe off, so
 * that the module is in the boot image but has probed nothing: loading
 * it (reading, relocating, linking) is then paid once per image, not once
 * per incarnation.  stub_bind() turns autoprobe back on (the drivers
 * loaded later must probe their devices) and binds the stub to this
 * incarnation's drvbox device; its probe reads that incarnation's host
 * page, clock and seed.  Nothing the stub does before probe depends on
 * the domain, the incarnation or the time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drvbox_guest.h"
#include "init.h"

#define PCI_AUTOPROBE	"/sys/bus/pci/drivers_autoprobe"
#define PCI_DEVICES	"/sys/bus/pci/devices"
#define STUB_BIND	"/sys/bus/pci/drivers/drvbox_stub/bind"

/* Write @val to the sysfs file @path; 0 or the errno (said why). */
static int sysfs_write(const char *path, const char *val)
{
	ssize_t len = strlen(val), n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		say("%s: %s", path, strerror(err));
		return err;
	}
	n = write(fd, val, len);
	if (n != len) {
		err = n < 0 ? errno : EIO;
		say("%s = %s: %s", path, val, strerror(err));
	}
	if (close(fd) < 0 && !err) {
		err = errno;
		say("%s = %s: %s", path, val, strerror(err));
	}
	return err;
}

/* The number in the sysfs file @dir/@name, or -1. */
static long sysfs_num(const char *dir, const char *name)
{
	char path[300], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 0);
}

/* The drvbox device's PCI name into @bdf; false if there is none. */
static bool stub_find_device(char *bdf, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d) {
		say("%s: %s", PCI_DEVICES, strerror(errno));
		return false;
	}
	while (!found && (de = readdir(d))) {
		char dir[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), PCI_DEVICES "/%s", de->d_name);
		if (sysfs_num(dir, "vendor") == DRVBOX_PCI_VENDOR_ID &&
		    sysfs_num(dir, "device") == DRVBOX_PCI_DEVICE_ID) {
			snprintf(bdf, len, "%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	if (!found)
		say("no drvbox device (%04x:%04x) in %s", DRVBOX_PCI_VENDOR_ID,
		    DRVBOX_PCI_DEVICE_ID, PCI_DEVICES);
	return found;
}

/* Load the stub module; false (said why) if it could not be. */
static bool stub_insmod(const char *when)
{
	long t0 = now_ms();
	int err = load_module(STUB_FILE, "");

	if (err && err != EEXIST) {
		say("%s: %s", STUB_FILE, strerror(err));
		return false;
	}
	say("loaded %s%s (%ld ms)", STUB_FILE, when, now_ms() - t0);
	return true;
}

/*
 * Load the stub with autoprobe off; false if it is not loaded (then
 * stub_bind() loads it, after the image point).
 */
bool stub_load(void)
{
	/* a stub that probed here would bind the image to one incarnation */
	if (sysfs_write(PCI_AUTOPROBE, "0"))
		return false;
	if (!stub_insmod("")) {
		sysfs_write(PCI_AUTOPROBE, "1");
		return false;
	}
	return true;
}

/* Bind the stub (loading it first unless @loaded); false if not bound. */
bool stub_bind(bool loaded)
{
	long t0 = now_ms();
	char bdf[NAME_MAX + 1], drv[sizeof(PCI_DEVICES) + NAME_MAX + 16];

	if (loaded && sysfs_write(PCI_AUTOPROBE, "1"))
		say("drivers loaded from now on will not probe their devices");
	if (!loaded && !stub_insmod(" after the image point"))
		return false;
	if (!stub_find_device(bdf, sizeof(bdf)))
		return false;
	snprintf(drv, sizeof(drv), PCI_DEVICES "/%s/driver", bdf);
	if (!loaded && access(drv, F_OK) == 0) {
		say("%s bound to %s at load", STUB_FILE, bdf);
		return true;
	}
	if (sysfs_write(STUB_BIND, bdf))
		return false;
	say("%s bound to %s (%ld ms)", STUB_FILE, bdf, now_ms() - t0);
	return true;
}
