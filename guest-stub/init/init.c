// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-init: PID 1 of a driver domain.
 *
 * It runs alone in the initramfs drvbox-vmm builds (docs/domains.md):
 * mount /proc, /sys and /dev, load drvbox_stub.ko and bind it to the
 * drvbox device (stub_load.c), then load the drivers the stub hands over
 * from the device's BAR 4 (drivers.c) with finit_module(), tell the stub
 * each result through /dev/drvbox_stub, then watch /sys/block and
 * /sys/class/net (rescanned on every uevent, uevent.c) and report the
 * device list whenever it changes.  It never exits: PID 1 exiting would
 * panic the guest.  Everything it does is printed to the console
 * ("drvbox-init: ..."), which is the domain's log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

#define STUB_DEV	"/dev/drvbox_stub"
#define LINE_MAX_LEN	1024
#define DEVS_MAX	8192
/* the stub's longest control line (guest-stub/stub_ctl.c) */
#define STUB_LINE_MAX	256

static int stub_fd = -1;

void say(const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "drvbox-init: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* through the stub's log port once it is there: not an exit a byte */
	if (stub_fd >= 0 && n + 4 < STUB_LINE_MAX) {
		char msg[STUB_LINE_MAX];

		memcpy(msg, "say ", 4);
		memcpy(msg + 4, buf, n);
		if (write(stub_fd, msg, n + 4) == n + 4)
			return;
	}
	if (write(STDOUT_FILENO, buf, n) < 0) {
		/* nowhere else to tell */
	}
}

/* Console on fds 0-2, whether or not the kernel opened it for us. */
static void setup_console(void)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	while (fd < 3) {
		fd = dup(fd);
		if (fd < 0)
			return;
	}
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		say("mkdir %s: %s", dir, strerror(errno));
	if (mount(src, dir, type, MS_NOSUID | MS_NOEXEC, NULL) < 0 &&
	    errno != EBUSY)
		say("mount %s on %s: %s", type, dir, strerror(errno));
}

/* One line per write(), as the stub wants (docs/domains.md). */
static void stub_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void stub_send(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (stub_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line)) {
		say("line for %s too long, not sent", STUB_DEV);
		return;
	}
	if (write(stub_fd, line, n) != n)
		say("%s: \"%s\": %s", STUB_DEV, line, strerror(errno));
}

static void stub_open(void)
{
	stub_fd = open(STUB_DEV, O_RDWR | O_CLOEXEC);
	if (stub_fd < 0)
		say("%s: %s; results go to the console only", STUB_DEV,
		    strerror(errno));
}

/* A monotonic clock in ms, for durations in the log. */
long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Load MODULES_DIR/@file (plain ELF: the VMM unpacks compressed modules);
 * returns 0 or a positive errno.
 */
int load_module(const char *file, const char *params)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), MODULES_DIR "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, params, 0) < 0)
		err = errno;
	close(fd);
	return err;
}

/* A driver that could not be tried: the stub hears of it. */
void driver_failed(const char *file, int err)
{
	stub_send("module %s %d", file, err);
}

/* Load a driver from MODULES_DIR, say how it went, tell the stub. */
bool load_driver(const char *file, const char *params)
{
	long t0 = now_ms();
	int err = load_module(file, params);

	if (err == EEXIST) {
		say("%s: already loaded", file);
		err = 0;
	} else if (err) {
		say("%s: %s", file, strerror(err));
	} else {
		say("loaded %s%s%s (%ld ms)", file, *params ? " " : "", params,
		    now_ms() - t0);
	}
	stub_send("module %s %d", file, err);
	return !err;
}

/* The stub, loaded before the image point, then the drivers it hands us. */
static void load_modules(bool stub_loaded)
{
	unsigned int loaded = 0, failed = 0;
	long start = now_ms();

	if (stub_bind(stub_loaded)) {
		/* the stub has mixed in the host's seed by now */
		boot_image_reseed();
		stub_open();
	}
	if (stub_fd < 0)
		say("no %s: no drivers", STUB_DEV);
	else
		drivers_load(stub_fd, &loaded, &failed);
	say("ready (%u module(s) loaded, %u failed, in %ld ms)", loaded, failed,
	    now_ms() - start);
	stub_send("ready");
}

static bool read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* "blk NAME BYTES\n" / "net NAME MAC\n" lines, sorted as readdir gives. */
static void scan_devices(char *out, size_t len)
{
	char path[600], val[64];
	struct dirent *d;
	size_t used = 0;
	DIR *dir;

	out[0] = '\0';
	dir = opendir("/sys/block");
	while (dir && (d = readdir(dir))) {
		unsigned long long sectors;

		if (d->d_name[0] == '.' || strlen(d->d_name) > 31)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/size", d->d_name);
		if (!read_line(path, val, sizeof(val)))
			continue;
		sectors = strtoull(val, NULL, 10);
		used += snprintf(out + used, len - used, "blk %s %llu\n",
				 d->d_name, sectors * 512);
		if (used >= len)
			break;
	}
	if (dir)
		closedir(dir);
	dir = opendir("/sys/class/net");
	while (used < len && dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || !strcmp(d->d_name, "lo") ||
		    strlen(d->d_name) > 31)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", d->d_name);
		if (!read_line(path, val, sizeof(val)) || strlen(val) != 17)
			continue;
		used += snprintf(out + used, len - used, "net %s %s\n",
				 d->d_name, val);
	}
	if (dir)
		closedir(dir);
	if (used >= len)
		out[len - 1] = '\0';
}

static void report_devices(const char *list)
{
	char *copy = strdup(list), *line, *save;

	if (!copy) {
		say("out of memory");
		return;
	}
	stub_send("devs-begin");
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		say("dev %s", line);
		stub_send("dev %s", line);
	}
	stub_send("devs-end");
	free(copy);
}

/*
 * Kernel housekeeping a driver domain does without, so that an idle
 * domain is not woken for it: proactive compaction (kcompactd every
 * 500 ms; the domain's memory is small and its allocations are the
 * driver's), and the vmstat fold every second (nobody reads the guest's
 * /proc/vmstat; a slower fold only makes it lag).  A failure costs
 * wake-ups, not function: said and carried on.
 */
static void tune_idle(void)
{
	static const struct { const char *path, *val; } knobs[] = {
		{ "/proc/sys/vm/compaction_proactiveness", "0" },
		{ "/proc/sys/vm/stat_interval", "60" },
	};
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd = open(knobs[i].path, O_WRONLY | O_CLOEXEC);
		ssize_t len = strlen(knobs[i].val);

		if (fd < 0 || write(fd, knobs[i].val, len) != len)
			say("%s = %s: %s", knobs[i].path, knobs[i].val,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	static char devs[DEVS_MAX], last[DEVS_MAX];
	bool first = true, stub_loaded;
	int ue;

	mount_fs("devtmpfs", "/dev", "devtmpfs");
	setup_console();
	say("started");
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");

	stub_loaded = stub_load();
	boot_image_point();
	tune_idle();
	ue = uevent_open();
	load_modules(stub_loaded);

	for (;;) {
		scan_devices(devs, sizeof(devs));
		if (first || strcmp(devs, last)) {
			if (!devs[0])
				say("no block or net devices");
			report_devices(devs);
			memcpy(last, devs, sizeof(last));
			first = false;
		}
		reap_children();
		uevent_wait(ue);
	}
}
