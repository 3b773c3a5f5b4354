// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox CLI: handing PCI functions to a domain and back.
 *
 * Before a domain may have a device, the host must not be using it: an nvme
 * controller with a mounted, swapped-on or stacked namespace, or a NIC that
 * is up with addresses, is refused, and so is a device whose IOMMU group
 * holds other devices the host uses.  A free device is moved to vfio-pci
 * with driver_override; pci_restore() gives it back to the driver it had.
 * Everything is done through sysfs, so the kernel's own checks apply too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pci.h"

#define PCI_SYSFS "/sys/bus/pci/devices"

static void why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Accepts DDDD:BB:DD.F (hex, as in sysfs); returns 0 if well formed. */
int pci_bdf_valid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	if (strlen(bdf) != 12)
		return -1;
	if (sscanf(bdf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4)
		return -1;
	return dev < 32 && fn < 8 ? 0 : -1;
}

/* Reads the basename of a sysfs link ("driver", "iommu_group"), "" if none. */
static int sysfs_link_name(const char *bdf, const char *link, char *out,
			   size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/%s", bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return errno == ENOENT ? 0 : -1;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
	return 0;
}

int pci_current_driver(const char *bdf, char *out, size_t len)
{
	return sysfs_link_name(bdf, "driver", out, len);
}

static int sysfs_write(const char *path, const char *val, char *why,
		       size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		why_set(why, len, "open %s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, val, strlen(val));
	if (n < 0) {
		why_set(why, len, "write '%s' to %s: %s", val, path,
			strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		why_set(why, len, "close %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Is block device @name (e.g. "nvme0n1") or one of its partitions in use? */
static int blockdev_busy(const char *name, char *why, size_t len)
{
	char path[PATH_MAX], line[1024];
	struct dirent *de;
	DIR *dir;
	FILE *f;
	int busy = 0;

	/* Mounted: compare names in /proc/mounts ("/dev/nvme0n1p1 ..."). */
	f = fopen("/proc/mounts", "re");
	if (f) {
		while (!busy && fgets(line, sizeof(line), f)) {
			char dev[512], mnt[512];

			if (sscanf(line, "%511s %511s", dev, mnt) != 2 ||
			    strncmp(dev, "/dev/", 5))
				continue;
			if (!strncmp(dev + 5, name, strlen(name))) {
				why_set(why, len, "/dev/%s is mounted on %s",
					dev + 5, mnt);
				busy = 1;
			}
		}
		fclose(f);
	}
	f = fopen("/proc/swaps", "re");
	if (f) {
		while (!busy && fgets(line, sizeof(line), f)) {
			char dev[512];

			if (sscanf(line, "%511s", dev) == 1 &&
			    !strncmp(dev, "/dev/", 5) &&
			    !strncmp(dev + 5, name, strlen(name))) {
				why_set(why, len, "%s is in use as swap", dev);
				busy = 1;
			}
		}
		fclose(f);
	}
	/* Stacked (device mapper, md, ...): holders/ is not empty. */
	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", name);
	dir = opendir(path);
	if (dir) {
		while (!busy && (de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			why_set(why, len, "/dev/%s is held by %s", name,
				de->d_name);
			busy = 1;
		}
		closedir(dir);
	}
	return busy;
}

/* Is network interface @ifname up with an IPv4 or non-link-local address? */
static int netdev_busy(const char *ifname, char *why, size_t len)
{
	struct ifaddrs *ifa, *p;
	int busy = 0;

	if (getifaddrs(&ifa) < 0) {
		why_set(why, len, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (p = ifa; p && !busy; p = p->ifa_next) {
		if (!p->ifa_addr || strcmp(p->ifa_name, ifname) ||
		    !(p->ifa_flags & IFF_UP))
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			busy = 1;
		if (p->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)p->ifa_addr;

			if (!IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				busy = 1;
		}
	}
	freeifaddrs(ifa);
	if (busy)
		why_set(why, len, "network interface %s is up with addresses "
			"(ip link set %s down, or flush its addresses)",
			ifname, ifname);
	return busy;
}

/*
 * Walk the host devices a PCI function provides (block devices below it,
 * network interfaces) and report the first one in use.
 */
static int pci_function_busy(const char *bdf, char *why, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int busy = 0;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/net", bdf);
	dir = opendir(path);
	if (dir) {
		while (!busy && (de = readdir(dir)))
			if (de->d_name[0] != '.')
				busy = netdev_busy(de->d_name, why, len);
		closedir(dir);
	}
	if (busy)
		return busy;

	/* Block devices: any /sys/class/block entry whose device is below us. */
	dir = opendir("/sys/class/block");
	if (!dir)
		return 0;
	while (!busy && (de = readdir(dir))) {
		char link[PATH_MAX], target[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/sys/class/block/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(path, sizeof(path), "/%s/", bdf);
		if (strstr(target, path))
			busy = blockdev_busy(de->d_name, why, len);
	}
	closedir(dir);
	return busy;
}

/* Drivers that may share an IOMMU group with a passed-through device. */
static int driver_harmless(const char *drv)
{
	return !drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pcieport");
}

int pci_check_free(const char *bdf, char *why, size_t len)
{
	char path[PATH_MAX], group[64], drv[64];
	struct dirent *de;
	DIR *dir;
	int busy;

	if (pci_bdf_valid(bdf)) {
		why_set(why, len, "'%s' is not a PCI address (DDDD:BB:DD.F)", bdf);
		return -1;
	}
	snprintf(path, sizeof(path), PCI_SYSFS "/%s", bdf);
	if (access(path, F_OK)) {
		why_set(why, len, "no PCI device %s (see lspci -D)", bdf);
		return -1;
	}
	if (sysfs_link_name(bdf, "iommu_group", group, sizeof(group)) ||
	    !group[0]) {
		why_set(why, len, "PCI device %s has no IOMMU group: enable the "
			"IOMMU (intel_iommu=on or amd_iommu=on) to pass it through",
			bdf);
		return -1;
	}
	busy = pci_function_busy(bdf, why, len);
	if (busy)
		return -1;

	/* Every other member of the group must be idle too. */
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
		 group);
	dir = opendir(path);
	if (!dir) {
		why_set(why, len, "open %s: %s", path, strerror(errno));
		return -1;
	}
	/*
	 * VFIO only accepts a group whose members are all unbound or on
	 * vfio-pci (bridges aside), so a member on a host driver is refused
	 * rather than silently taken from the host.
	 */
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, bdf))
			continue;
		if (pci_current_driver(de->d_name, drv, sizeof(drv)) ||
		    driver_harmless(drv))
			continue;
		why_set(why, len, "IOMMU group %s also contains %s (bound to "
			"%s): every device of the group must be free to pass "
			"%s through", group, de->d_name, drv, bdf);
		closedir(dir);
		return -1;
	}
	closedir(dir);
	return 0;
}

static int run_modprobe(const char *mod)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", mod, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int pci_bind_vfio(const char *bdf, char *old_driver, size_t old_len,
		  char *why, size_t len)
{
	char path[PATH_MAX], drv[64];

	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK) &&
	    run_modprobe("vfio-pci")) {
		why_set(why, len, "cannot load vfio-pci (modprobe vfio-pci failed)");
		return -1;
	}
	if (pci_current_driver(bdf, old_driver, old_len)) {
		why_set(why, len, "cannot read the driver of %s: %s", bdf,
			strerror(errno));
		return -1;
	}
	if (!strcmp(old_driver, "vfio-pci"))
		return 0;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver_override", bdf);
	if (sysfs_write(path, "vfio-pci", why, len))
		return -1;
	if (old_driver[0]) {
		snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver/unbind", bdf);
		if (sysfs_write(path, bdf, why, len))
			goto undo_override;
	}
	if (sysfs_write("/sys/bus/pci/drivers_probe", bdf, why, len))
		goto undo_unbind;
	if (pci_current_driver(bdf, drv, sizeof(drv)) ||
	    strcmp(drv, "vfio-pci")) {
		why_set(why, len, "%s did not bind to vfio-pci (driver now: %s)",
			bdf, drv[0] ? drv : "none");
		goto undo_unbind;
	}
	return 0;

undo_unbind:
	if (old_driver[0]) {
		char ignore[256];

		snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver_override", bdf);
		sysfs_write(path, "\n", ignore, sizeof(ignore));
		sysfs_write("/sys/bus/pci/drivers_probe", bdf, ignore,
			    sizeof(ignore));
		return -1;
	}
undo_override:
	{
		char ignore[256];

		snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver_override", bdf);
		sysfs_write(path, "\n", ignore, sizeof(ignore));
	}
	return -1;
}

int pci_restore(const char *bdf, const char *old_driver, char *why,
		size_t len)
{
	char path[PATH_MAX], drv[64];

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver_override", bdf);
	if (sysfs_write(path, "\n", why, len))
		return -1;
	if (!pci_current_driver(bdf, drv, sizeof(drv)) &&
	    !strcmp(drv, "vfio-pci")) {
		snprintf(path, sizeof(path), PCI_SYSFS "/%s/driver/unbind", bdf);
		if (sysfs_write(path, bdf, why, len))
			return -1;
	}
	if (sysfs_write("/sys/bus/pci/drivers_probe", bdf, why, len))
		return -1;
	if (old_driver[0] &&
	    (pci_current_driver(bdf, drv, sizeof(drv)) ||
	     strcmp(drv, old_driver))) {
		why_set(why, len, "%s did not go back to %s (driver now: %s)",
			bdf, old_driver, drv[0] ? drv : "none");
		return -1;
	}
	return 0;
}
