// SPDX-License-Identifier: GPL-2.0
/*
 * fake_vmm: stands in for drvbox-vmm in the kmod_* selftests, without KVM.
 *
 * Started by drvbox.ko (insmod drvbox.ko vmm_path=.../fake_vmm) as
 *	fake_vmm --domain NAME --incarnation N
 * it attaches, mmaps guest RAM and the shared area, hands over a doorbell
 * eventfd and an irqfd, and then plays the guest stub itself: it writes the
 * guest page (module results from the spec's module= entries, RUNNING,
 * heartbeats) and rings the doorbell.  Host commands (DRVBOX_CRASH) arrive
 * on the irqfd as they would on MSI-X.
 *
 * The usermode helper gets a minimal environment and runs with kthreadd's
 * root (in the test host: the initramfs, not the chroot the tests run in),
 * so the behaviour comes from a file next to this executable, which both
 * views share: the first word of fake_vmm.mode (default "ok"):
 *   ok            boot in ~200 ms, heartbeat every heartbeat_ms
 *   start-error   DRVBOX_VMM_REPORT START_ERROR "fake: no kernel image", exit 1
 *   exit-early    exit with status 3 before attaching
 *   no-heartbeat  reach RUNNING, never bump the heartbeat
 *   garbage       reach RUNNING, then write nonsense (state, counts,
 *                 unterminated strings) and ring the doorbell
 *   report-panic  reach RUNNING, then report GUEST_EXIT "guest panic: fake" and exit
 *   module-fail   report the first module as failed with -ENOEXEC
 *   slow-boot     never reach RUNNING (heartbeats go on)
 *   no-attach     never attach, live on (a selftest attaches in its place)
 * Each incarnation appends "NAME N pid ram-zero=0|1" to fake_vmm.log next
 * to this executable; ram-zero says whether guest RAM and the guest
 * page came up zeroed (the previous incarnation scribbled over both).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "drvbox_guest.h"

static char mode_file[4096], log_file[4096];

/* fake_vmm.mode and fake_vmm.log live next to the executable. */
static void find_files(void)
{
	char exe[4000];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(mode_file, sizeof(mode_file), "%s/fake_vmm.mode", exe);
	snprintf(log_file, sizeof(log_file), "%s/fake_vmm.log", exe);
}

static int dev_fd = -1;

static void die(const char *what)
{
	fprintf(stderr, "fake_vmm: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(uint32_t kind, const char *msg)
{
	struct drvbox_vmm_report r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	if (ioctl(dev_fd, DRVBOX_VMM_REPORT, &r))
		die("DRVBOX_VMM_REPORT");
}

static void read_mode(char *mode, size_t len)
{
	FILE *f = fopen(mode_file, "r");

	snprintf(mode, len, "ok");
	if (!f)
		return;
	if (fscanf(f, "%63s", mode) != 1)
		snprintf(mode, len, "ok");
	fclose(f);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void ring(int db)
{
	uint64_t one = 1;

	if (write(db, &one, sizeof(one)) != sizeof(one))
		die("doorbell write");
}

/* The modules of the spec, as the guest would report them. */
static void fill_modules(struct drvbox_shared_guest *g, const char *spec,
			 uint32_t len, int fail_first)
{
	const char *p = spec;
	uint32_t n = 0;

	for (; p < spec + len; p += strlen(p) + 1) {
		const char *base;

		if (strncmp(p, "module=", 7) || n >= DRVBOX_SHARED_MAX_MODULES)
			continue;
		base = strrchr(p, '/');
		base = base ? base + 1 : p + 7;
		snprintf(g->modules[n].name, sizeof(g->modules[n].name), "%s", base);
		if (fail_first && n == 0) {
			g->modules[n].error = -ENOEXEC;
			g->modules[n].state = DRVBOX_MODULE_FAILED;
		} else {
			g->modules[n].state = DRVBOX_MODULE_LOADED;
		}
		n++;
	}
	g->nr_modules = n;
}

int main(int argc, char **argv)
{
	struct drvbox_vmm_attach a;
	struct drvbox_vmm_eventfds e;
	struct drvbox_vmm_spec s;
	struct drvbox_shared_host *host;
	struct drvbox_shared_guest *g;
	const char *name = NULL;
	unsigned long inc = 0, i;
	unsigned char *ram, *shared;
	char mode[64], *spec;
	uint32_t seen_seq = 0;
	int db, irq, zero, hang = 0, running = 0, tick;
	FILE *log;

	for (i = 1; i + 1 < (unsigned long)argc; i += 2) {
		if (!strcmp(argv[i], "--domain"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--incarnation"))
			inc = strtoul(argv[i + 1], NULL, 10);
	}
	if (!name || !inc) {
		fprintf(stderr, "usage: fake_vmm --domain NAME --incarnation N\n");
		return 2;
	}
	find_files();
	read_mode(mode, sizeof(mode));
	if (!strcmp(mode, "exit-early"))
		return 3;
	if (!strcmp(mode, "no-attach"))	/* a selftest attaches instead */
		for (;;)
			pause();

	dev_fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("open " DRVBOX_DEV_PATH);
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.incarnation = inc;
	if (ioctl(dev_fd, DRVBOX_VMM_ATTACH, &a))
		die("DRVBOX_VMM_ATTACH");
	if (!strcmp(mode, "start-error")) {
		report(DRVBOX_VMM_START_ERROR, "fake: no kernel image");
		return 1;
	}

	spec = calloc(1, a.spec_len);
	if (!spec)
		die("calloc");
	memset(&s, 0, sizeof(s));
	s.ptr = (uintptr_t)spec;
	s.len = a.spec_len;
	if (ioctl(dev_fd, DRVBOX_VMM_GET_SPEC, &s))
		die("DRVBOX_VMM_GET_SPEC");

	ram = mmap(NULL, a.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	shared = mmap(NULL, a.shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      dev_fd, a.shared_offset);
	if (shared == MAP_FAILED)
		die("mmap shared area");
	host = (void *)(shared + DRVBOX_SHARED_HOST_OFFSET);
	g = (void *)(shared + DRVBOX_SHARED_GUEST_OFFSET);

	/* Fresh memory must be zero; scribble on it for the next one. */
	zero = 1;
	for (i = 0; i < a.mem_bytes; i += 4096 * 61)
		if (ram[i] || ram[a.mem_bytes - 1 - i])
			zero = 0;
	if (g->state || g->heartbeat || g->nr_modules)
		zero = 0;
	for (i = 0; i < a.mem_bytes; i += 4096 * 61)
		ram[i] = ram[a.mem_bytes - 1 - i] = 0xa5;
	log = fopen(log_file, "a");
	if (log) {
		fprintf(log, "%s %lu %d ram-zero=%d\n", name, inc, (int)getpid(), zero);
		fclose(log);
	}
	if (host->magic != DRVBOX_SHARED_MAGIC || host->incarnation != inc) {
		report(DRVBOX_VMM_VMM_ERROR, "fake: bad host page");
		return 1;
	}

	db = eventfd(0, EFD_CLOEXEC);
	irq = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (db < 0 || irq < 0)
		die("eventfd");
	memset(&e, 0, sizeof(e));
	e.doorbell_fds[0] = db;
	e.irq_fds[0] = irq;
	e.nr_doorbells = a.nr_doorbells;
	e.nr_vectors = a.nr_vectors;
	if (ioctl(dev_fd, DRVBOX_VMM_SET_EVENTFDS, &e))
		die("DRVBOX_VMM_SET_EVENTFDS");

	/* "Boot": BOOTING, then the module results. */
	g->state = DRVBOX_GUEST_BOOTING;
	ring(db);
	sleep_ms(200);
	fill_modules(g, spec, a.spec_len, !strcmp(mode, "module-fail"));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!strcmp(mode, "module-fail"))
		g->state = DRVBOX_GUEST_MODULE_FAILED;
	else if (strcmp(mode, "slow-boot"))
		g->state = DRVBOX_GUEST_RUNNING;
	ring(db);

	for (tick = 0;; tick++) {
		uint64_t cnt;

		sleep_ms(host->heartbeat_ms ? host->heartbeat_ms : 200);
		if (!hang && strcmp(mode, "no-heartbeat"))
			__atomic_fetch_add(&g->heartbeat, 1, __ATOMIC_RELAXED);
		running = g->state == DRVBOX_GUEST_RUNNING;

		if (read(irq, &cnt, sizeof(cnt)) == sizeof(cnt) &&
		    host->command_seq != seen_seq) {
			seen_seq = host->command_seq;
			g->command_ack = seen_seq;
			switch (host->command) {
			case DRVBOX_CMD_PANIC:
				report(DRVBOX_VMM_GUEST_EXIT, "guest panic: fake panic command");
				return 0;
			case DRVBOX_CMD_OOPS:
				report(DRVBOX_VMM_GUEST_EXIT, "guest panic: Fatal exception (fake oops)");
				return 0;
			case DRVBOX_CMD_HANG:
				hang = 1;
				break;
			}
		}
		if (running && tick == 5 && !strcmp(mode, "report-panic")) {
			report(DRVBOX_VMM_GUEST_EXIT, "guest panic: fake");
			return 0;
		}
		/* first what the host clamps, then what it cannot accept */
		if (running && tick == 3 && !strcmp(mode, "garbage")) {
			g->nr_modules = 100000;
			memset(g->modules[0].name, 0xff, sizeof(g->modules[0].name));
			memset(g->message, 0xff, sizeof(g->message));
			ring(db);
		}
		if (running && tick == 8 && !strcmp(mode, "garbage")) {
			g->nr_devs = 0xffffffff;
			g->state = 77;
			ring(db);
		}
	}
}
