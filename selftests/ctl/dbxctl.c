// SPDX-License-Identifier: GPL-2.0
/*
 * dbxctl: a small /dev/drvbox client for the kmod_* selftests, so that they
 * do not depend on the drvbox CLI.
 *
 *   dbxctl create NAME [--mem MIB] [--vcpus N] [--limit N] [--window S]
 *                      [--flags N] [SPEC-ENTRY...]
 *	(default spec: kernel=/boot/vmlinuz-fake module=/lib/fake/fake_drv.ko)
 *   dbxctl destroy|restart NAME
 *   dbxctl crash NAME panic|oops|hang|vmm-kill
 *   dbxctl status NAME          key=value lines
 *   dbxctl wait NAME STATE SECS [MIN-INCARNATION]
 *	wait until the state word is STATE (and the incarnation at least
 *	MIN-INCARNATION); gives up early on "failed" unless that is STATE
 *   dbxctl list
 * A failing ioctl prints "dbxctl: OP: errno N (TEXT)" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"

static const char *const state_words[] = {
	"none", "starting", "running", "restarting", "stopping", "failed",
};

static int fd;

static int fail(const char *op)
{
	printf("dbxctl: %s: errno %d (%s)\n", op, errno, strerror(errno));
	return 1;
}

static void set_name(char *dst, const char *name)
{
	memset(dst, 0, DRVBOX_NAME_LEN);
	strncpy(dst, name, DRVBOX_NAME_LEN - 1);
}

static int do_create(int argc, char **argv)
{
	static char spec[DRVBOX_SPEC_MAX];
	struct drvbox_create c;
	uint32_t len = 0;
	int i, entries = 0;

	memset(&c, 0, sizeof(c));
	set_name(c.name, argv[0]);
	c.mem_mib = 128;
	c.vcpus = 1;
	for (i = 1; i < argc; i++) {
		unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], NULL, 0) : 0;

		if (!strcmp(argv[i], "--mem"))
			c.mem_mib = v, i++;
		else if (!strcmp(argv[i], "--vcpus"))
			c.vcpus = v, i++;
		else if (!strcmp(argv[i], "--limit"))
			c.restart_limit = v, i++;
		else if (!strcmp(argv[i], "--window"))
			c.restart_window_s = v, i++;
		else if (!strcmp(argv[i], "--flags"))
			c.flags = v, i++;
		else {
			size_t n = strlen(argv[i]) + 1;

			if (len + n > sizeof(spec))
				return 2;
			memcpy(spec + len, argv[i], n);
			len += n;
			entries++;
		}
	}
	if (!entries) {
		static const char def[] = "kernel=/boot/vmlinuz-fake\0"
					  "module=/lib/fake/fake_drv.ko\0"
					  "export=blk:fakeblk0";

		memcpy(spec, def, sizeof(def));
		len = sizeof(def);
	}
	c.spec_ptr = (uintptr_t)spec;
	c.spec_len = len;
	return ioctl(fd, DRVBOX_CREATE, &c) ? fail("create") : 0;
}

static int do_ref(unsigned long cmd, const char *op, const char *name)
{
	struct drvbox_domain_ref r;

	memset(&r, 0, sizeof(r));
	set_name(r.name, name);
	return ioctl(fd, cmd, &r) ? fail(op) : 0;
}

static int do_crash(const char *name, const char *how)
{
	static const char *const hows[] = { "", "panic", "oops", "hang", "vmm-kill" };
	struct drvbox_crash c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	set_name(c.name, name);
	for (i = 1; i < 5; i++)
		if (!strcmp(how, hows[i]))
			c.how = i;
	if (!c.how)
		return 2;
	return ioctl(fd, DRVBOX_CRASH, &c) ? fail("crash") : 0;
}

static int get_status(const char *name, struct drvbox_domain_status *st)
{
	memset(st, 0, sizeof(*st));
	set_name(st->name, name);
	return ioctl(fd, DRVBOX_DOMAIN_STATUS, st);
}

static const char *word(uint32_t state)
{
	return state < 6 ? state_words[state] : "bad";
}

static void print_status(const struct drvbox_domain_status *st)
{
	uint32_t i;

	printf("state=%s\nincarnation=%u\nrestarts=%u\ncrashes=%u\nboot_ms=%u\n"
	       "mem_kib=%u\nmem_mib=%u\nvcpus=%u\nvmm_pid=%d\nflags=%u\n"
	       "uptime_ms=%llu\nnr_modules=%u\nnr_guest_devs=%u\nnr_exports=%u\n"
	       "last_crash_reason=%s\nlast_error=%s\n",
	       word(st->state), st->incarnation, st->restarts, st->crashes,
	       st->boot_ms, st->mem_kib, st->mem_mib, st->vcpus, st->vmm_pid,
	       st->flags, (unsigned long long)st->uptime_ms, st->nr_modules,
	       st->nr_guest_devs, st->nr_exports, st->last_crash_reason,
	       st->last_error);
	for (i = 0; i < st->nr_modules && i < DRVBOX_MAX_MODULES; i++)
		printf("module%u=%s %u %d\n", i, st->modules[i].name,
		       st->modules[i].state, st->modules[i].error);
	for (i = 0; i < st->nr_exports && i < DRVBOX_MAX_EXPORTS; i++)
		printf("export%u=%s\n", i, st->exports[i].spec);
}

static int do_status(const char *name)
{
	struct drvbox_domain_status st;

	if (get_status(name, &st))
		return fail("status");
	print_status(&st);
	return 0;
}

static int do_wait(const char *name, const char *want, int secs,
		   unsigned int min_inc)
{
	struct drvbox_domain_status st;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < secs * 20; i++) {
		if (get_status(name, &st))
			return fail("status");
		if (!strcmp(word(st.state), want) && st.incarnation >= min_inc)
			return 0;
		if (st.state == DRVBOX_STATE_FAILED && strcmp(want, "failed"))
			break;
		nanosleep(&ts, NULL);
	}
	printf("dbxctl: %s: %s (incarnation %u) after %d s, wanted %s (>= %u)\n",
	       name, word(st.state), st.incarnation, secs, want, min_inc);
	print_status(&st);
	return 1;
}

static int do_list(void)
{
	static char names[256][DRVBOX_NAME_LEN];
	struct drvbox_list l;
	uint32_t i;

	memset(&l, 0, sizeof(l));
	l.count = 256;
	l.names_ptr = (uintptr_t)names;
	if (ioctl(fd, DRVBOX_LIST, &l))
		return fail("list");
	for (i = 0; i < l.count && i < 256; i++)
		printf("%s\n", names[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: see selftests/ctl/dbxctl.c\n");
		return 2;
	}
	fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open");
	if (!strcmp(argv[1], "list"))
		return do_list();
	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "create"))
		return do_create(argc - 2, argv + 2);
	if (!strcmp(argv[1], "destroy"))
		return do_ref(DRVBOX_DESTROY, "destroy", argv[2]);
	if (!strcmp(argv[1], "restart"))
		return do_ref(DRVBOX_RESTART, "restart", argv[2]);
	if (!strcmp(argv[1], "status"))
		return do_status(argv[2]);
	if (!strcmp(argv[1], "crash") && argc == 4)
		return do_crash(argv[2], argv[3]);
	if (!strcmp(argv[1], "wait") && (argc == 5 || argc == 6))
		return do_wait(argv[2], argv[3], atoi(argv[4]),
			       argc == 6 ? atoi(argv[5]) : 0);
	return 2;
}
