// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the console log.
 *
 * Bytes from the guest's 8250 are appended to /run/drvbox/NAME/console.log
 * (standalone: --log FILE, or - for stdout), a line at a time.  Each
 * incarnation is framed by start/end marker lines; a log that grows past
 * 4 MiB (at start or while the guest writes: the guest decides how much
 * it prints, and /run is host RAM), or an earlier domain's log when a new
 * one starts, is rotated to console.log.1 (docs/domains.md), so a domain
 * never holds more than two of them.
 * The last "Kernel panic - not syncing:" line is kept for the exit report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "vmm.h"

#define CONSOLE_ROTATE_BYTES	(4 << 20)
#define PANIC_PREFIX		"Kernel panic - not syncing: "

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static int console_fd = -1;
static bool console_is_stdout;
static char console_path[300];	/* "": not a file we may rotate */
static uint64_t console_bytes;	/* in the file now */
static char line[1024];
static size_t line_len;
static char panic_line[DRVBOX_MSG_LEN];
static bool init_seen;
static const char *until_text;

/* The full log becomes PATH.1 and a new one starts.  console_lock held. */
static void console__rotate(void)
{
	char old[sizeof(console_path) + 2];
	int fd;

	snprintf(old, sizeof(old), "%s.1", console_path);
	if (rename(console_path, old) < 0)
		return;	/* keep appending: nothing better to do */
	fd = open(console_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(console_fd);
	console_fd = fd;
	console_bytes = 0;
}

static void console__write(const char *buf, size_t len)
{
	while (console_fd >= 0 && len) {
		ssize_t n = write(console_fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* a full disk must not stop the guest */
		buf += n;
		len -= n;
		console_bytes += n;
	}
	if (console_path[0] && console_bytes > CONSOLE_ROTATE_BYTES)
		console__rotate();
}

void console__open(void)
{
	char dir[256], path[300], old[310];
	struct stat st;

	until_text = vmm.cfg.until;
	if (vmm.cfg.standalone) {
		if (!vmm.cfg.log_path || !strcmp(vmm.cfg.log_path, "-")) {
			console_fd = STDOUT_FILENO;
			console_is_stdout = true;
			return;
		}
		snprintf(path, sizeof(path), "%s", vmm.cfg.log_path);
	} else {
		snprintf(dir, sizeof(dir), "/run/drvbox");
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			vmm__die_start("cannot create %s: %s", dir, strerror(errno));
		snprintf(dir, sizeof(dir), "/run/drvbox/%s", vmm.cfg.domain);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			vmm__die_start("cannot create %s: %s", dir, strerror(errno));
		snprintf(path, sizeof(path), "%s/console.log", dir);
	}
	/*
	 * Incarnation 1 is a new domain: a log left by an earlier domain of
	 * the same name becomes console.log.1, so that `drvbox logs` (and
	 * whoever waits for a line in it) sees this domain's boot only.
	 */
	if (stat(path, &st) == 0 &&
	    (st.st_size > CONSOLE_ROTATE_BYTES ||
	     (!vmm.cfg.standalone && vmm.cfg.incarnation == 1 && st.st_size))) {
		snprintf(old, sizeof(old), "%s.1", path);
		if (rename(path, old) < 0)
			fprintf(stderr, VMM_NAME ": cannot rotate %s: %s\n",
				path, strerror(errno));
	}
	console_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (console_fd < 0)
		vmm__die_start("cannot open console log %s: %s", path,
			       strerror(errno));
	if (fstat(console_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(console_path, sizeof(console_path), "%s", path);
		console_bytes = st.st_size;
	}
}

/* A line from the VMM itself: into the log unless that is our stderr too. */
void console__log_line(const char *msg)
{
	char buf[DRVBOX_MSG_LEN * 2 + 32];
	int n;

	if (console_fd < 0 || console_is_stdout)
		return;
	n = snprintf(buf, sizeof(buf), VMM_NAME ": %s\n", msg);
	pthread_mutex_lock(&console_lock);
	console__write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	pthread_mutex_unlock(&console_lock);
}

static void console__iso_time(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void console__start_marker(void)
{
	char buf[256], ts[64];
	int n;

	console__iso_time(ts, sizeof(ts));
	n = snprintf(buf, sizeof(buf),
		     "=== drvbox: %s incarnation %u started at %s ===\n",
		     vmm.cfg.domain ? vmm.cfg.domain : "standalone",
		     vmm.cfg.incarnation, ts);
	pthread_mutex_lock(&console_lock);
	console__write(buf, n);
	pthread_mutex_unlock(&console_lock);
}

/* Called once, on the way out (possibly from a vCPU thread). */
void console__end_marker(const char *reason)
{
	char buf[DRVBOX_MSG_LEN + 128];
	int n;

	console__flush();
	n = snprintf(buf, sizeof(buf), "=== drvbox: %s incarnation %u ended: %s ===\n",
		     vmm.cfg.domain ? vmm.cfg.domain : "standalone",
		     vmm.cfg.incarnation, reason);
	pthread_mutex_lock(&console_lock);
	console__write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	pthread_mutex_unlock(&console_lock);
}

static void console__line_done(void)
{
	char *p;

	line[line_len] = '\0';
	/* Console lines may carry a "[    1.234567] " prefix; search. */
	p = strstr(line, PANIC_PREFIX);
	if (p) {
		size_t n = strcspn(p + strlen(PANIC_PREFIX), "\r\n");

		snprintf(panic_line, sizeof(panic_line), "%.*s", (int)n,
			 p + strlen(PANIC_PREFIX));
	}
	if (!init_seen && strstr(line, "drvbox-init: started")) {
		init_seen = true;
		fprintf(stderr, VMM_NAME ": guest /init started %llu ms after VMM start\n",
			(unsigned long long)((vmm__now_ns() - vmm.start_ns) / 1000000));
	}
}

static void console__check_until(void)
{
	static char stop_msg[DRVBOX_MSG_LEN];

	if (!until_text || !strstr(line, until_text))
		return;
	snprintf(stop_msg, sizeof(stop_msg), "stopped: console showed \"%s\" after %llu ms",
		 until_text,
		 (unsigned long long)((vmm__now_ns() - vmm.start_ns) / 1000000));
	until_text = NULL;
	pthread_mutex_unlock(&console_lock);
	vmm__log("%s", stop_msg);
	vmm__report_memory();
	vmm__end(0, VMM_EXIT_STOPPED, stop_msg);
}

/* One byte of guest output.  console_lock held; may not return (--until). */
static void console__add(uint8_t c)
{
	if (c == '\r')
		return;
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line) - 1) {
		console__write(line, line_len);
		console__line_done();
		line_len = 0;
		console__check_until();	/* may not return */
	}
}

void console__put(uint8_t c)
{
	pthread_mutex_lock(&console_lock);
	console__add(c);
	pthread_mutex_unlock(&console_lock);
}

void console__puts(const uint8_t *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&console_lock);
	for (i = 0; i < len; i++)
		console__add(buf[i]);
	pthread_mutex_unlock(&console_lock);
}

void console__flush(void)
{
	pthread_mutex_lock(&console_lock);
	if (line_len) {
		console__write(line, line_len);
		console__write("\n", 1);
		line_len = 0;
	}
	pthread_mutex_unlock(&console_lock);
}

const char *console__panic_line(void)
{
	return panic_line[0] ? panic_line : NULL;
}
