// SPDX-License-Identifier: GPL-2.0
/* drvbox CLI: helpers shared by the commands. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* The uapi rule: [A-Za-z0-9_.-], 1..DRVBOX_NAME_LEN-1, starts alnum. */
bool name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len >= DRVBOX_NAME_LEN || !isalnum((unsigned char)name[0]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

/* name_valid() with the message; 0 or -1. */
int check_name(const char *name)
{
	if (name_valid(name))
		return 0;
	fprintf(stderr, "drvbox: invalid domain name '%s': use 1-%d characters "
		"from [A-Za-z0-9_.-], starting with a letter or digit\n",
		name, DRVBOX_NAME_LEN - 1);
	return -1;
}

const char *state_name(unsigned int state)
{
	switch (state) {
	case DRVBOX_STATE_STARTING:	return "starting";
	case DRVBOX_STATE_RUNNING:	return "running";
	case DRVBOX_STATE_RESTARTING:	return "restarting";
	case DRVBOX_STATE_STOPPING:	return "stopping";
	case DRVBOX_STATE_FAILED:	return "failed";
	default:			return "unknown";
	}
}

/* A decimal number 0..max, nothing else around it; 0 or -1. */
int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Strings from the kernel are bounded; counts are clamped to the arrays. */
void status_sanitize(struct drvbox_domain_status *st)
{
	unsigned int i;

	st->name[sizeof(st->name) - 1] = '\0';
	st->last_crash_reason[sizeof(st->last_crash_reason) - 1] = '\0';
	st->last_error[sizeof(st->last_error) - 1] = '\0';
	if (st->nr_modules > DRVBOX_MAX_MODULES)
		st->nr_modules = DRVBOX_MAX_MODULES;
	if (st->nr_guest_devs > DRVBOX_MAX_GUEST_DEVS)
		st->nr_guest_devs = DRVBOX_MAX_GUEST_DEVS;
	if (st->nr_exports > DRVBOX_MAX_EXPORTS)
		st->nr_exports = DRVBOX_MAX_EXPORTS;
	for (i = 0; i < DRVBOX_MAX_MODULES; i++)
		st->modules[i].name[sizeof(st->modules[i].name) - 1] = '\0';
	for (i = 0; i < DRVBOX_MAX_GUEST_DEVS; i++)
		st->guest_devs[i].name[sizeof(st->guest_devs[i].name) - 1] = '\0';
	for (i = 0; i < DRVBOX_MAX_EXPORTS; i++) {
		st->exports[i].spec[sizeof(st->exports[i].spec) - 1] = '\0';
		st->exports[i].host_dev[sizeof(st->exports[i].host_dev) - 1] = '\0';
	}
}

/* A JSON string literal, escaped per RFC 8259. */
void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"':	fputs("\\\"", out); break;
		case '\\':	fputs("\\\\", out); break;
		case '\n':	fputs("\\n", out); break;
		case '\t':	fputs("\\t", out); break;
		case '\r':	fputs("\\r", out); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

/* Print "drvbox CMD: <why> (see drvbox CMD --help)"; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "drvbox %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see drvbox %s --help)\n", cmd);
	return EXIT_USAGE;
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	/* An interrupted sleep is fine: callers check 'interrupted'. */
	nanosleep(&ts, NULL);
}

volatile int interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* SIGINT/SIGTERM/SIGHUP set 'interrupted' instead of killing us. */
void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Poll the domain until an incarnation >= min_incarnation is RUNNING.
 * Returns an enum wait_result (WAIT_FAILED: *st says why), or -1 when the
 * status ioctl failed (message printed).
 */
int wait_running(int fd, const char *name, unsigned int min_incarnation,
		 unsigned int timeout_s, struct drvbox_domain_status *st)
{
	long long deadline = now_ms() + (long long)timeout_s * 1000;

	for (;;) {
		if (ctl_status(fd, name, st) < 0) {
			ctl_perror("DRVBOX_DOMAIN_STATUS", name);
			return -1;
		}
		if (st->state == DRVBOX_STATE_FAILED)
			return WAIT_FAILED;
		if (st->state == DRVBOX_STATE_RUNNING &&
		    st->incarnation >= min_incarnation)
			return WAIT_RUNNING;
		if (interrupted)
			return WAIT_INTERRUPTED;
		if (now_ms() >= deadline)
			return WAIT_TIMEOUT;
		sleep_ms(100);
	}
}

/* "drvbox: N failed to start: <last_error>" and each failed module. */
void print_failure(const char *name, const struct drvbox_domain_status *st)
{
	unsigned int i;

	fprintf(stderr, "drvbox: %s failed to start: %s\n", name,
		st->last_error[0] ? st->last_error : "no reason given");
	for (i = 0; i < st->nr_modules; i++) {
		const struct drvbox_module_status *m = &st->modules[i];

		if (m->state != DRVBOX_MODULE_FAILED)
			continue;
		fprintf(stderr, "drvbox:   module %s: %s (error %d)\n",
			m->name, strerror(-m->error), m->error);
	}
	fprintf(stderr, "drvbox:   guest console: %s/%s/console.log\n",
		DRVBOX_RUN_DIR, name);
}
