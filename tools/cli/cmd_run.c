// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox run: check everything we can, create the domain, wait for it.
 *
 * Every check that can be made here is made before DRVBOX_CREATE, so a
 * mistake costs the user a message and never a half-made domain.  Paths go
 * into the spec absolute: the VMM runs with another working directory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"

#define RUN_DEFAULT_MEM_MIB	256
#define RUN_MAX_DRIVERS		DRVBOX_MAX_MODULES
#define RUN_MAX_PCI		8
#define RUN_MAX_PARAMS		64
#define RUN_BDF_LEN		16

static void run_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox run --name NAME --driver MODULE|PATH.ko [--driver ...]\n"
"                  [--param MODULE.KEY=VALUE]... [--pci BDF]...\n"
"                  [--export blk:DEV|net:IF]... [--mem MIB] [--cpus N]\n"
"                  [--kernel PATH] [--no-restart] [--restart-limit N]\n"
"                  [--restart-window S] [--timeout S] [--cmdline ARGS]\n"
"                  [--detach]\n"
"\n"
"Start a driver domain: a KVM guest that boots the host's kernel, loads the\n"
"given driver modules and exports their devices back to the host.  Waits\n"
"until the domain is running (or has failed, then removes it).\n"
"\n"
"  --name NAME           domain name: 1-%d characters of [A-Za-z0-9_.-],\n"
"                        starting with a letter or digit\n"
"  --driver MOD|PATH     a module to load in the guest, in order: a path to a\n"
"                        .ko file (or .ko.xz, .ko.zst, .ko.gz), or the name\n"
"                        of a module of the guest kernel (resolved with its\n"
"                        modules.dep)\n"
"  --param M.KEY=VAL     a parameter for module M\n"
"  --pci BDF             pass the PCI device [DDDD:]BB:DD.F through: it must\n"
"                        be unused by the host; it moves to vfio-pci and goes\n"
"                        back to its driver when the domain is stopped\n"
"  --export blk:DEV      give the guest's block device DEV to the host\n"
"  --export net:IF       give the guest's network interface IF to the host\n"
"  --mem MIB             guest RAM, %d..%d MiB (default %d)\n"
"  --cpus N              vCPUs, 1..%d (default 1); each export gets up to\n"
"                        one queue per vCPU (at most 4), as many as the\n"
"                        guest device has\n"
"  --kernel PATH         guest kernel (default /boot/vmlinuz-$(uname -r))\n"
"  --no-restart          a crash leaves the domain failed\n"
"  --restart-limit N     give up after N crashes within the window\n"
"                        ('unlimited' never gives up; default: drvbox.ko's)\n"
"  --restart-window S    the window, in seconds (default: drvbox.ko's)\n"
"  --timeout S           how long to wait for running (default %d)\n"
"  --cmdline ARGS        appended to the guest kernel's command line (say\n"
"                        'loglevel=7' or 'dyndbg=...' to debug the driver)\n"
"  --detach              return once the domain is created\n"
"\n"
"Exit status: 0 running (or created, with --detach), 1 failed, 2 usage.\n",
		DRVBOX_NAME_LEN - 1, DRVBOX_MIN_MEM_MIB, DRVBOX_MAX_MEM_MIB,
		RUN_DEFAULT_MEM_MIB, DRVBOX_MAX_VCPUS, DRVBOX_DEFAULT_TIMEOUT_S);
}

struct run_opts {
	const char *name;
	const char *drivers[RUN_MAX_DRIVERS];
	unsigned int nr_drivers;
	const char *params[RUN_MAX_PARAMS];
	unsigned int nr_params;
	const char *pci[RUN_MAX_PCI];
	char pci_full[RUN_MAX_PCI][RUN_BDF_LEN];
	unsigned int nr_pci;
	const char *exports[DRVBOX_MAX_EXPORTS];
	unsigned int nr_exports;
	const char *mem;
	const char *cpus;
	const char *kernel;
	bool no_restart;
	const char *restart_limit;
	const char *restart_window;
	const char *timeout;
	bool detach;
	const char *cmdline;
};

/*
 * [DDDD:]BB:DD.F, present in sysfs, not used by the host or another
 * domain; added to the spec in full form, kept in @full for binding.
 */
static int check_pci(int fd, const char *name, const char *bdf,
		     struct spec *spec, char *full)
{
	unsigned int dom = 0, bus, dev, fn;
	char path[64], tail;
	struct stat sb;

	if (sscanf(bdf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    (dom = 0, sscanf(bdf, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3)) {
		fprintf(stderr, "drvbox: malformed --pci '%s': expected a PCI "
			"address [DDDD:]BB:DD.F\n", bdf);
		return -1;
	}
	if (dev > 0x1f || fn > 7 || !chars_in(bdf, ":.")) {
		fprintf(stderr, "drvbox: malformed --pci '%s': expected a PCI "
			"address [DDDD:]BB:DD.F\n", bdf);
		return -1;
	}
	snprintf(full, RUN_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", full);
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "drvbox: --pci %s: no such PCI device (%s: %s)\n",
			bdf, path, strerror(errno));
		return -1;
	}
	if (passthrough_check(fd, name, full) < 0)
		return -1;
	return spec_add(spec, "pci", full);
}

static int check_export(const char *e, struct spec *spec)
{
	bool ok = (!strncmp(e, "blk:", 4) || !strncmp(e, "net:", 4)) &&
		  strlen(e) < sizeof(((struct drvbox_export_status *)0)->spec) &&
		  chars_in(e + 4, "_.-:@");

	if (ok && !strncmp(e, "net:", 4) && strlen(e + 4) > 15)
		ok = false;	/* IFNAMSIZ - 1 */
	if (!ok) {
		fprintf(stderr, "drvbox: malformed --export '%s': expected "
			"blk:DEVICE or net:INTERFACE\n", e);
		return -1;
	}
	return spec_add(spec, "export", e);
}

/*
 * Appended to the VMM's own command line; the guest kernel takes 2 KiB or
 * more, and the VMM's part stays well under 1 KiB.
 */
#define RUN_CMDLINE_MAX	1024

static int check_cmdline(const char *args, struct spec *spec)
{
	size_t n = strlen(args), i;

	if (!n || n > RUN_CMDLINE_MAX) {
		fprintf(stderr, "drvbox: --cmdline: must be 1..%d characters, "
			"not %zu\n", RUN_CMDLINE_MAX, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (args[i] < 0x20 || args[i] >= 0x7f) {
			fprintf(stderr, "drvbox: --cmdline: only printable "
				"ASCII is allowed (character %zu is %#x)\n",
				i + 1, (unsigned char)args[i]);
			return -1;
		}
	}
	return spec_add(spec, "cmdline", args);
}

/* The bzImage boot header has "HdrS" at 0x202. */
static int check_kernel(const char *path, struct spec *spec)
{
	unsigned char hdr[0x206];
	char abs[PATH_MAX];
	ssize_t n;

	if (existing_file("kernel image", path, abs) < 0)
		return -1;
	n = read_head("kernel image", abs, hdr, sizeof(hdr));
	if (n < 0)
		return -1;
	if (n < (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4)) {
		fprintf(stderr, "drvbox: kernel image %s: not a bzImage (no "
			"HdrS boot header)\n", path);
		return -1;
	}
	return spec_add(spec, "kernel", abs);
}

static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_NAME = 256, O_DRIVER, O_PARAM, O_PCI, O_EXPORT, O_MEM, O_CPUS,
	       O_KERNEL, O_NO_RESTART, O_LIMIT, O_WINDOW, O_TIMEOUT, O_DETACH,
	       O_CMDLINE };
	static const struct option longopts[] = {
		{ "name",		required_argument, NULL, O_NAME },
		{ "driver",		required_argument, NULL, O_DRIVER },
		{ "param",		required_argument, NULL, O_PARAM },
		{ "pci",		required_argument, NULL, O_PCI },
		{ "export",		required_argument, NULL, O_EXPORT },
		{ "mem",		required_argument, NULL, O_MEM },
		{ "cpus",		required_argument, NULL, O_CPUS },
		{ "kernel",		required_argument, NULL, O_KERNEL },
		{ "no-restart",		no_argument,	   NULL, O_NO_RESTART },
		{ "restart-limit",	required_argument, NULL, O_LIMIT },
		{ "restart-window",	required_argument, NULL, O_WINDOW },
		{ "timeout",		required_argument, NULL, O_TIMEOUT },
		{ "detach",		no_argument,	   NULL, O_DETACH },
		{ "cmdline",		required_argument, NULL, O_CMDLINE },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			run_usage(stdout);
			return 1;
		case O_NAME:	o->name = optarg; break;
		case O_DRIVER:
			if (o->nr_drivers == RUN_MAX_DRIVERS)
				return usage_error("run", "at most %d --driver",
						   RUN_MAX_DRIVERS);
			o->drivers[o->nr_drivers++] = optarg;
			break;
		case O_PARAM:
			if (o->nr_params == RUN_MAX_PARAMS)
				return usage_error("run", "at most %d --param",
						   RUN_MAX_PARAMS);
			o->params[o->nr_params++] = optarg;
			break;
		case O_PCI:
			if (o->nr_pci == RUN_MAX_PCI)
				return usage_error("run", "at most %d --pci",
						   RUN_MAX_PCI);
			o->pci[o->nr_pci++] = optarg;
			break;
		case O_EXPORT:
			if (o->nr_exports == DRVBOX_MAX_EXPORTS)
				return usage_error("run", "at most %d --export",
						   DRVBOX_MAX_EXPORTS);
			o->exports[o->nr_exports++] = optarg;
			break;
		case O_MEM:	o->mem = optarg; break;
		case O_CPUS:	o->cpus = optarg; break;
		case O_KERNEL:	o->kernel = optarg; break;
		case O_NO_RESTART: o->no_restart = true; break;
		case O_LIMIT:	o->restart_limit = optarg; break;
		case O_WINDOW:	o->restart_window = optarg; break;
		case O_TIMEOUT:	o->timeout = optarg; break;
		case O_DETACH:	o->detach = true; break;
		case O_CMDLINE:	o->cmdline = optarg; break;
		case ':':
			return usage_error("run", "%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("run", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'",
				   argv[optind]);
	if (!o->name)
		return usage_error("run", "--name is required");
	if (!o->nr_drivers)
		return usage_error("run", "at least one --driver is required");
	return 0;
}

/* All checks after the arguments parsed; fills @cr and @spec. */
static int run_check(int fd, struct run_opts *o, struct drvbox_create *cr,
		     struct spec *spec, unsigned long *timeout_s)
{
	struct drvbox_domain_status st;
	char kernel[PATH_MAX];
	struct utsname u;
	unsigned long v;
	unsigned int i;
	struct stat sb;

	if (check_name(o->name) < 0)
		return -1;
	snprintf(cr->name, sizeof(cr->name), "%s", o->name);
	/* DRVBOX_CREATE says EEXIST too; asking first keeps --pci untouched. */
	if (ctl_status(fd, o->name, &st) == 0) {
		fprintf(stderr, "drvbox: domain %s already exists\n", o->name);
		return -1;
	}

	cr->mem_mib = RUN_DEFAULT_MEM_MIB;
	if (o->mem) {
		if (parse_uint(o->mem, ULONG_MAX, &v) < 0 ||
		    v < DRVBOX_MIN_MEM_MIB || v > DRVBOX_MAX_MEM_MIB) {
			fprintf(stderr, "drvbox: --mem %s: must be between %d "
				"and %d MiB\n", o->mem, DRVBOX_MIN_MEM_MIB,
				DRVBOX_MAX_MEM_MIB);
			return -1;
		}
		cr->mem_mib = v;
	}
	cr->vcpus = 1;
	if (o->cpus) {
		if (parse_uint(o->cpus, ULONG_MAX, &v) < 0 || v < 1 ||
		    v > DRVBOX_MAX_VCPUS) {
			fprintf(stderr, "drvbox: --cpus %s: must be between 1 "
				"and %d\n", o->cpus, DRVBOX_MAX_VCPUS);
			return -1;
		}
		cr->vcpus = v;
	}
	if (o->no_restart)
		cr->flags |= DRVBOX_CREATE_F_NO_RESTART;
	if (o->restart_limit) {
		if (!strcmp(o->restart_limit, "unlimited")) {
			cr->restart_limit = DRVBOX_RESTART_UNLIMITED;
		} else if (parse_uint(o->restart_limit, 1000000, &v) < 0 || !v) {
			fprintf(stderr, "drvbox: --restart-limit %s: must be "
				"1..1000000 or 'unlimited' (--no-restart for "
				"none)\n", o->restart_limit);
			return -1;
		} else {
			cr->restart_limit = v;
		}
	}
	if (o->restart_window) {
		if (parse_uint(o->restart_window, 86400 * 365, &v) < 0 || !v) {
			fprintf(stderr, "drvbox: --restart-window %s: must be "
				"a number of seconds, at least 1\n",
				o->restart_window);
			return -1;
		}
		cr->restart_window_s = v;
	}
	*timeout_s = DRVBOX_DEFAULT_TIMEOUT_S;
	if (o->timeout &&
	    (parse_uint(o->timeout, 86400 * 365, timeout_s) < 0 || !*timeout_s)) {
		fprintf(stderr, "drvbox: --timeout %s: must be a number of "
			"seconds, at least 1\n", o->timeout);
		return -1;
	}

	if (stat("/dev/kvm", &sb) < 0) {
		fprintf(stderr, "drvbox: /dev/kvm: %s: KVM is not available "
			"(modprobe kvm_intel or kvm_amd; in a VM, enable "
			"nested virtualization)\n", strerror(errno));
		return -1;
	}
	if (o->kernel) {
		snprintf(kernel, sizeof(kernel), "%s", o->kernel);
	} else {
		if (uname(&u) < 0) {
			fprintf(stderr, "drvbox: uname: %s\n", strerror(errno));
			return -1;
		}
		snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", u.release);
	}
	if (check_kernel(kernel, spec) < 0)
		return -1;
	for (i = 0; i < o->nr_drivers; i++)
		if (check_driver(o->drivers[i], spec) < 0)
			return -1;
	for (i = 0; i < o->nr_pci; i++)
		if (check_pci(fd, o->name, o->pci[i], spec, o->pci_full[i]) < 0)
			return -1;
	for (i = 0; i < o->nr_params; i++)
		if (check_param(o->params[i], spec) < 0)
			return -1;
	for (i = 0; i < o->nr_exports; i++)
		if (check_export(o->exports[i], spec) < 0)
			return -1;
	if (o->cmdline && check_cmdline(o->cmdline, spec) < 0)
		return -1;
	return 0;
}

static void run_destroy(int fd, const char *name)
{
	if (ctl_ref(fd, DRVBOX_DESTROY, "DRVBOX_DESTROY", name) == 0) {
		passthrough_release(name);
		fprintf(stderr, "drvbox: %s removed\n", name);
	}
}

/*
 * The host's stock virtio_blk / virtio_net drive an export's device; udev
 * loads them for its modalias.  Where no udev runs they may be missing,
 * and the export would wait for a host device with no word why.
 */
static void note_host_drivers(const struct run_opts *o)
{
	static const struct {
		const char *prefix, *module;
	} drv[] = {
		{ "blk:", "virtio_blk" },
		{ "net:", "virtio_net" },
	};
	char path[64];

	for (size_t k = 0; k < sizeof(drv) / sizeof(drv[0]); k++) {
		for (unsigned int i = 0; i < o->nr_exports; i++) {
			if (strncmp(o->exports[i], drv[k].prefix,
				    strlen(drv[k].prefix)))
				continue;
			snprintf(path, sizeof(path), "/sys/module/%s", drv[k].module);
			if (access(path, F_OK) < 0)
				fprintf(stderr, "drvbox: note: %s is not loaded, so %s gets no host device until it is (modprobe %s; udev normally does it)\n",
					drv[k].module, o->exports[i], drv[k].module);
			break;
		}
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct drvbox_create cr;
	struct drvbox_domain_status st;
	struct spec spec = { NULL, 0 };
	const char *bdfs[RUN_MAX_PCI];
	unsigned long timeout_s;
	int fd, ret;

	memset(&o, 0, sizeof(o));
	ret = parse_run_args(argc, argv, &o);
	if (ret)
		return ret == 1 ? EXIT_OK : ret;

	if (geteuid() != 0) {
		fprintf(stderr, "drvbox: must be run as root\n");
		return EXIT_FAIL;
	}
	fd = ctl_open_checked();
	if (fd < 0)
		return EXIT_FAIL;

	memset(&cr, 0, sizeof(cr));
	if (run_check(fd, &o, &cr, &spec, &timeout_s) < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	cr.spec_len = spec.len;
	cr.spec_ptr = (uint64_t)(uintptr_t)spec.buf;

	for (unsigned int i = 0; i < o.nr_pci; i++)
		bdfs[i] = o.pci_full[i];
	if (passthrough_bind(o.name, bdfs, o.nr_pci) < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (ioctl(fd, DRVBOX_CREATE, &cr) < 0) {
		ctl_perror("DRVBOX_CREATE", o.name);
		/* EEXIST: the record belongs to the domain that exists. */
		if (errno != EEXIST)
			passthrough_release(o.name);
		ret = EXIT_FAIL;
		goto out;
	}
	note_host_drivers(&o);
	if (o.detach) {
		printf("%s: created (starting; see drvbox status %s)\n",
		       o.name, o.name);
		ret = EXIT_OK;
		goto out;
	}

	/* Until it runs, the domain is ours to clean up: ^C removes it. */
	catch_interrupts();
	ret = EXIT_FAIL;
	switch (wait_running(fd, o.name, 1, timeout_s, &st)) {
	case WAIT_RUNNING:
		printf("%s: running (boot %u ms)\n", o.name, st.boot_ms);
		ret = EXIT_OK;
		break;
	case WAIT_FAILED:
		print_failure(o.name, &st);
		run_destroy(fd, o.name);
		break;
	case WAIT_TIMEOUT:
		fprintf(stderr, "drvbox: %s did not start within %lu s (state "
			"%s); see %s/%s/console.log\n", o.name, timeout_s,
			state_name(st.state), DRVBOX_RUN_DIR, o.name);
		run_destroy(fd, o.name);
		break;
	case WAIT_INTERRUPTED:
		fprintf(stderr, "drvbox: interrupted while %s was starting\n",
			o.name);
		run_destroy(fd, o.name);
		break;
	default:
		break;	/* the status ioctl failed, already said why */
	}
out:
	free(spec.buf);
	close(fd);
	return ret;
}
