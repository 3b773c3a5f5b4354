// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: options and the order things are built in.
 *
 *   drvbox-vmm --domain NAME --incarnation N      (launched by drvbox.ko)
 *   drvbox-vmm --standalone --kernel PATH --module M ...   (development)
 *
 * The main thread sets everything up, starts one thread per vCPU and then
 * only waits for SIGTERM/SIGINT (or --timeout), or SIGQUIT (a hang report,
 * then the end).  Whatever ends the guest
 * ends the process: see vmm__end().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "drvbox_guest.h"
#include "vmm.h"

/*
 * reboot=p panic=-1: a panic ends in one write to the reset port (kvm.c).
 * nonmi_ipi nmi_watchdog=0: no NMIs, which the panic path would otherwise
 * send to CPUs slow to stop (docs/vmm.md, "Guest command line").
 * pci=conf1,noearly: no early config-space scans (256 buses, by port I/O).
 * nowatchdog: no soft-lockup timer waking each vCPU every 4 s; drvbox.ko
 * kills a stuck domain after heartbeat_timeout_ms, long before the
 * guest's own detector would speak (20 s).
 * nokaslr: the kernel at its link address, so that a hang report can name
 * the code each vCPU was in from the host's kallsyms (hang_report.c).  KASLR would
 * hide nothing here: the untrusted code is a module in this very kernel,
 * and every incarnation restored from one image shares its layout anyway.
 * psi=0: no pressure-stall averaging (a 2 s worker while tasks run);
 * nothing in a domain reads /proc/pressure.
 * init_on_alloc=0: the guest does not zero what it allocates.  Every
 * page reaches it zeroed or restored from the image, so what a driver
 * could read uninitialized is only its own domain's earlier data; no
 * unprivileged user runs there to leak it to (docs/recovery.md).
 */
#define BASE_CMDLINE "console=ttyS0 reboot=p panic=-1 oops=panic " \
	"nonmi_ipi nmi_watchdog=0 nowatchdog psi=0 pci=conf1,noearly " \
	"tsc=reliable no_timer_check acpi=off cryptomgr.notests init_on_alloc=0 " \
	"nokaslr quiet loglevel=4 " \
	"rdinit=/init"
#define IMAGE_DIR_DEFAULT	"/var/cache/drvbox/images"
#define STANDALONE_SHARED_BYTES	(64 << 10)
#define STANDALONE_DOORBELLS	2
#define STANDALONE_VECTORS	2

static void usage(FILE *f)
{
	fprintf(f,
"Usage: drvbox-vmm --domain NAME --incarnation N\n"
"       drvbox-vmm --standalone --kernel PATH [--module M]... [options]\n"
"\n"
"Runs one incarnation of a drvbox driver domain: a KVM guest booting PATH\n"
"(the host's own kernel) with an initramfs holding drvbox-init, the guest\n"
"stub and the requested modules.  drvbox.ko launches it with --domain; the\n"
"guest then gets its RAM, shared area and configuration from /dev/drvbox,\n"
"and its console goes to /run/drvbox/NAME/console.log.\n"
"\n"
"Standalone mode (no drvbox.ko; anonymous memory, for development/tests):\n"
"  --kernel PATH        bzImage to boot, e.g. /boot/vmlinuz-$(uname -r)\n"
"  --module M           module name (from modules.dep) or path to a .ko/.ko.xz;\n"
"                       repeatable, loaded in order after their dependencies\n"
"  --param M.KEY=VALUE  module parameter; repeatable\n"
"  --mem MIB            guest RAM (default 256, %d-%d)\n"
"  --cpus N             vCPUs (default 1, max %d)\n"
"  --cmdline ARGS       appended to the guest kernel command line\n"
"  --pci DDDD:BB:DD.F   pass a PCI function through (bound to vfio-pci\n"
"                       already); repeatable, guest slots 00:02.0, 00:03.0, ...\n"
"  --log FILE|-         console log (default -: stdout)\n"
"  --until TEXT         stop (exit 0) once a console line contains TEXT\n"
"  --timeout SEC        stop (exit 3) after SEC seconds\n"
"\n"
"Both modes:\n"
"  --bzimage            boot the kernel through its own decompressor (default:\n"
"                       the kernel unpacked once into /var/cache/drvbox, which\n"
"                       skips the decompressor at every boot)\n"
"  --image-dir DIR      boot images: start from a saved image of this\n"
"                       configuration when DIR has one, else boot and save\n"
"                       one there (default with --domain: " IMAGE_DIR_DEFAULT ";\n"
"                       standalone: none)\n"
"  --no-image           always boot, save no image\n"
"\n"
"SIGQUIT: log where each vCPU is (a hang report: RIP, interrupts on or off,\n"
"the kernel functions on its stack, named from the host's /proc/kallsyms),\n"
"then exit 2.  "
"drvbox.ko sends it to a domain that misses its heartbeat.\n"
"\n"
"Exit status: 0 stopped (SIGTERM, --until), 1 could not start or VMM error,\n"
"2 the guest died (panic, triple fault) or hung (SIGQUIT), 3 --timeout expired.\n",
		DRVBOX_MIN_MEM_MIB, DRVBOX_MAX_MEM_MIB, DRVBOX_MAX_VCPUS);
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long min,
			       unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max) {
		fprintf(stderr, VMM_NAME ": %s: \"%s\" is not a number in %lu..%lu\n",
			opt, s, min, max);
		exit(VMM_EXIT_ERROR);
	}
	return v;
}

static void parse_options(int argc, char **argv)
{
	enum { O_DOMAIN = 256, O_INC, O_STANDALONE, O_KERNEL, O_MODULE, O_PARAM,
	       O_MEM, O_CPUS, O_LOG, O_CMDLINE, O_UNTIL, O_TIMEOUT, O_PCI,
	       O_BZIMAGE, O_IMAGE_DIR, O_NO_IMAGE };
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, O_DOMAIN },
		{ "incarnation", required_argument, NULL, O_INC },
		{ "standalone", no_argument, NULL, O_STANDALONE },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "module", required_argument, NULL, O_MODULE },
		{ "param", required_argument, NULL, O_PARAM },
		{ "mem", required_argument, NULL, O_MEM },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "log", required_argument, NULL, O_LOG },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "pci", required_argument, NULL, O_PCI },
		{ "bzimage", no_argument, NULL, O_BZIMAGE },
		{ "image-dir", required_argument, NULL, O_IMAGE_DIR },
		{ "no-image", no_argument, NULL, O_NO_IMAGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmm_config *c = &vmm.cfg;
	bool standalone_only = false, no_image = false;
	int o;

	c->mem_bytes = 256ULL << 20;
	c->vcpus = 1;
	c->incarnation = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_DOMAIN:
			c->domain = optarg;
			break;
		case O_INC:
			c->incarnation = parse_num("--incarnation", optarg, 1, ~0U);
			break;
		case O_STANDALONE:
			c->standalone = true;
			break;
		case O_KERNEL:
			c->kernel = optarg;
			standalone_only = true;
			break;
		case O_MODULE:
			if (c->nr_module_args == VMM_MAX_MODULES) {
				fprintf(stderr, VMM_NAME ": too many --module\n");
				exit(VMM_EXIT_ERROR);
			}
			c->module_args[c->nr_module_args++] = optarg;
			standalone_only = true;
			break;
		case O_PARAM:
			if (c->nr_param_args == VMM_MAX_MODULES) {
				fprintf(stderr, VMM_NAME ": too many --param\n");
				exit(VMM_EXIT_ERROR);
			}
			c->param_args[c->nr_param_args++] = optarg;
			standalone_only = true;
			break;
		case O_MEM:
			c->mem_bytes = (uint64_t)parse_num("--mem", optarg,
					DRVBOX_MIN_MEM_MIB, DRVBOX_MAX_MEM_MIB) << 20;
			standalone_only = true;
			break;
		case O_CPUS:
			c->vcpus = parse_num("--cpus", optarg, 1, DRVBOX_MAX_VCPUS);
			standalone_only = true;
			break;
		case O_LOG:
			c->log_path = optarg;
			standalone_only = true;
			break;
		case O_CMDLINE:
			c->extra_cmdline = optarg;
			standalone_only = true;
			break;
		case O_UNTIL:
			c->until = optarg;
			standalone_only = true;
			break;
		case O_TIMEOUT:
			c->timeout_s = parse_num("--timeout", optarg, 1, 86400);
			standalone_only = true;
			break;
		case O_PCI:
			if (c->nr_pci_args == VMM_MAX_PCI) {
				fprintf(stderr, VMM_NAME ": at most %d --pci\n",
					VMM_MAX_PCI);
				exit(VMM_EXIT_ERROR);
			}
			c->pci_args[c->nr_pci_args++] = optarg;
			standalone_only = true;
			break;
		case O_BZIMAGE:
			c->bzimage = true;
			break;
		case O_IMAGE_DIR:
			if (optarg[0] != '/') {
				fprintf(stderr, VMM_NAME ": --image-dir needs an absolute path\n");
				exit(VMM_EXIT_ERROR);
			}
			c->image_dir = optarg;
			break;
		case O_NO_IMAGE:
			no_image = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(VMM_EXIT_ERROR);
		}
	}
	if (optind != argc) {
		fprintf(stderr, VMM_NAME ": unexpected argument \"%s\" (see --help)\n",
			argv[optind]);
		exit(VMM_EXIT_ERROR);
	}
	if (c->standalone) {
		if (c->domain) {
			fprintf(stderr, VMM_NAME ": --standalone and --domain exclude each other\n");
			exit(VMM_EXIT_ERROR);
		}
		if (!c->kernel) {
			fprintf(stderr, VMM_NAME ": --standalone needs --kernel PATH\n");
			exit(VMM_EXIT_ERROR);
		}
	} else {
		if (!c->domain) {
			usage(stderr);
			exit(VMM_EXIT_ERROR);
		}
		if (standalone_only) {
			fprintf(stderr, VMM_NAME ": --kernel, --module, ... are for --standalone; drvbox.ko supplies them\n");
			exit(VMM_EXIT_ERROR);
		}
		if (strlen(c->domain) >= DRVBOX_NAME_LEN || strchr(c->domain, '/') ||
		    c->domain[0] == '.') {
			fprintf(stderr, VMM_NAME ": bad domain name \"%s\"\n", c->domain);
			exit(VMM_EXIT_ERROR);
		}
		if (!c->image_dir)
			c->image_dir = IMAGE_DIR_DEFAULT;
	}
	if (no_image)
		c->image_dir = NULL;
}

/* Standalone: anonymous memory, and the host half of the shared area. */
static void standalone_memory(void)
{
	struct drvbox_shared_host *host;
	void *p;

	vmm.ram_bytes = vmm.cfg.mem_bytes;
	p = mmap(NULL, vmm.ram_bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		vmm__die_start("cannot allocate %llu MiB of guest RAM: %s",
			       (unsigned long long)(vmm.ram_bytes >> 20),
			       strerror(errno));
	vmm.ram = p;
	vmm.shared_bytes = STANDALONE_SHARED_BYTES;
	p = mmap(NULL, vmm.shared_bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		vmm__die_start("cannot allocate the shared area: %s", strerror(errno));
	vmm.shared = p;
	host = p;
	host->magic = DRVBOX_SHARED_MAGIC;
	host->proto_version = DRVBOX_GUEST_PROTO_VERSION;
	host->incarnation = vmm.cfg.incarnation;
	host->heartbeat_ms = 1000;
	vmm.nr_doorbells = STANDALONE_DOORBELLS;
	vmm.nr_vectors = STANDALONE_VECTORS;
}

static char *build_cmdline(void)
{
	const char *extra = vmm.cfg.extra_cmdline;
	size_t len = strlen(BASE_CMDLINE) + (extra ? strlen(extra) + 1 : 0) + 64;
	unsigned int khz = kvm__tsc_khz();
	char *s = vmm__xmalloc(len);
	char tsc[40] = "";

	if (khz)
		snprintf(tsc, sizeof(tsc), " tsc_early_khz=%u", khz);
	/*
	 * With real hardware in the domain, the driver's KERN_INFO messages
	 * (probe, queues, link up/down) are what `drvbox logs` is for.
	 */
	if (vmm.cfg.nr_pci_args)
		strcat(tsc, " loglevel=7");
	snprintf(s, len, "%s%s%s%s", BASE_CMDLINE, tsc, extra ? " " : "",
		 extra ? extra : "");
	return s;
}

static void wait_for_signals(const sigset_t *set)
{
	struct timespec ts = { .tv_sec = vmm.cfg.timeout_s };
	uint64_t deadline = vmm.start_ns + ts.tv_sec * 1000000000ULL;
	char msg[64];

	for (;;) {
		int sig;

		if (vmm.cfg.timeout_s) {
			uint64_t now = vmm__now_ns();

			if (now >= deadline) {
				vmm__log("--timeout %u s expired", vmm.cfg.timeout_s);
				vmm__end(0, 3, "timeout");
			}
			ts.tv_sec = (deadline - now) / 1000000000ULL;
			ts.tv_nsec = (deadline - now) % 1000000000ULL;
			sig = sigtimedwait(set, NULL, &ts);
		} else {
			sig = sigwaitinfo(set, NULL);
		}
		if (sig < 0)
			continue;	/* EINTR, EAGAIN (timeout) */
		if (sig == SIGQUIT) {
			hang_report__log();
			vmm__end(0, VMM_EXIT_GUEST, "stopped by SIGQUIT (hang report above)");
		}
		snprintf(msg, sizeof(msg), "stopped by %s", strsignal(sig));
		vmm__end(0, VMM_EXIT_STOPPED, msg);
	}
}

/*
 * call_usermodehelper starts us with fds 0-2 closed: without this, the
 * first eventfd could become fd 2 and an error message would ring a
 * doorbell.
 */
static void fill_std_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			exit(VMM_EXIT_ERROR);
}

/* The steps of setting up an incarnation, timed for the log. */
enum { T_ATTACH, T_KERNEL, T_MODULES, T_DRIVERS, T_MEMORY, T_DEVICES,
       T_IMAGE_KEY, T_NR };

/*
 * Where the time before the guest runs went, from VMM start: a restart's
 * outage is this plus the guest's own part (init logs its module loads).
 */
static void log_setup_times(const uint64_t *t)
{
	static const char *const what[T_NR] = {
		"attach", "kernel", "modules.dep", "drivers", "memory",
		"devices", "image key",
	};
	char buf[256];
	uint64_t prev = vmm.start_ns;
	size_t n = 0;
	int i;

	for (i = 0; i < T_NR && n < sizeof(buf); i++) {
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %llu", i ? ", " : "",
			      what[i], (unsigned long long)((t[i] - prev) / 1000000));
		prev = t[i];
	}
	vmm__log("set-up steps (ms): %s", buf);
}

int main(int argc, char **argv)
{
	static struct vmm_module mods[VMM_MAX_MODULES];
	unsigned int nr_mods;
	struct cpio initrd;
	uint64_t t[T_NR];
	sigset_t set;
	char *cmdline;

	vmm.start_ns = vmm__now_ns();
	fill_std_fds();
	parse_options(argc, argv);
	if (!vmm.cfg.standalone) {
		vmm__mlock(MCL_CURRENT | MCL_FUTURE);
		vmm__io_flusher();
	}

	/* Signals go to the main thread only; vCPU threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	console__open();
	console__start_marker();
	if (vmm.cfg.standalone)
		standalone_memory();
	else
		supervisor__attach();
	t[T_ATTACH] = vmm__now_ns();

	boot__probe_kernel();
	initramfs__locate();
	t[T_KERNEL] = vmm__now_ns();
	nr_mods = modules__resolve(mods, VMM_MAX_MODULES);
	t[T_MODULES] = vmm__now_ns();
	drivers__build(mods, nr_mods);
	t[T_DRIVERS] = vmm__now_ns();
	kvm__open();
	kvm__create_vm();
	kvm__set_memory();
	t[T_MEMORY] = vmm__now_ns();
	pci__init();
	drvbox_dev__init();
	vfio__init();
	supervisor__set_eventfds();
	serial__init();
	kvm__create_vcpus();
	t[T_DEVICES] = vmm__now_ns();
	cmdline = build_cmdline();
	image__prepare(cmdline);
	t[T_IMAGE_KEY] = vmm__now_ns();
	log_setup_times(t);
	if (!image__restore()) {
		/* a cold boot: only now the kernel's and initramfs's bytes */
		initramfs__build(&initrd);
		mptable__write(vmm.cfg.vcpus);
		boot__load(cmdline, initrd.buf, initrd.len);
		free(initrd.buf);
		kvm__setup_boot_regs();
	}
	fprintf(stderr, VMM_NAME ": %s: guest %s%s, %llu MiB, %u vCPU(s), %u module(s) (%llu KiB), initramfs %zu KiB; set up in %llu ms (files %llu ms, KVM %llu ms)\n",
		vmm.cfg.domain ? vmm.cfg.domain : "standalone", vmm.kver,
		vmm.restored ? " (from the boot image)" : "",
		(unsigned long long)(vmm.ram_bytes >> 20), vmm.cfg.vcpus,
		nr_mods, (unsigned long long)(vmm.drivers_bytes >> 10),
		(size_t)(vmm.initrd_size >> 10),
		(unsigned long long)((vmm__now_ns() - vmm.start_ns) / 1000000),
		(unsigned long long)((t[T_DRIVERS] - vmm.start_ns) / 1000000),
		(unsigned long long)((vmm__now_ns() - t[T_DRIVERS]) / 1000000));
	fprintf(stderr, VMM_NAME ": guest command line: %s\n", cmdline);
	kvm__run_vcpus();
	wait_for_signals(&set);
	return 0;
}
