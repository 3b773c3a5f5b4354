// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the attach protocol with drvbox.ko (uapi/drvbox.h).
 *
 * /dev/drvbox, once DRVBOX_VMM_ATTACH succeeds, *is* the incarnation: guest
 * RAM is mmap offset 0, the shared area is at shared_offset, and closing
 * the file (our exit, however it happens) ends the incarnation.  Before
 * attaching there is nobody to report to; errors then only reach the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drvbox.h"
#include "drvbox_guest.h"
#include "vmm.h"

static int drvbox_fd = -1;
static bool attached;

bool supervisor__attached(void)
{
	return attached;
}

void supervisor__report(int kind, const char *msg)
{
	struct drvbox_vmm_report r;

	if (!attached)
		return;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	if (ioctl(drvbox_fd, DRVBOX_VMM_REPORT, &r) < 0)
		fprintf(stderr, VMM_NAME ": DRVBOX_VMM_REPORT: %s\n",
			strerror(errno));
}

void supervisor__attach(void)
{
	struct drvbox_vmm_attach a;
	struct drvbox_version v;
	void *p;

	drvbox_fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (drvbox_fd < 0)
		vmm__die_start("cannot open " DRVBOX_DEV_PATH ": %s (is drvbox.ko loaded?)",
			       strerror(errno));
	memset(&v, 0, sizeof(v));
	if (ioctl(drvbox_fd, DRVBOX_GET_VERSION, &v) < 0)
		vmm__die_start("DRVBOX_GET_VERSION: %s", strerror(errno));
	if (v.api_version != DRVBOX_API_VERSION)
		vmm__die_start("drvbox.ko speaks API version %u, this VMM %u",
			       v.api_version, DRVBOX_API_VERSION);

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", vmm.cfg.domain);
	a.incarnation = vmm.cfg.incarnation;
	if (ioctl(drvbox_fd, DRVBOX_VMM_ATTACH, &a) < 0)
		vmm__die_start("DRVBOX_VMM_ATTACH %s incarnation %u: %s",
			       vmm.cfg.domain, vmm.cfg.incarnation,
			       strerror(errno));
	attached = true;

	if (!a.mem_bytes || a.mem_bytes % 4096 || !a.vcpus || a.vcpus > 16 ||
	    a.shared_bytes < DRVBOX_SHARED_MIN_SIZE || a.shared_bytes % 4096 ||
	    a.nr_doorbells > DRVBOX_MAX_DOORBELLS ||
	    a.nr_vectors > DRVBOX_MAX_VECTORS || !a.nr_vectors)
		vmm__die_start("DRVBOX_VMM_ATTACH returned a bad layout (mem %llu, shared %u, vcpus %u, doorbells %u, vectors %u)",
			       (unsigned long long)a.mem_bytes, a.shared_bytes,
			       a.vcpus, a.nr_doorbells, a.nr_vectors);
	vmm.ram_bytes = a.mem_bytes;
	vmm.cfg.mem_bytes = a.mem_bytes;
	vmm.cfg.vcpus = a.vcpus;
	vmm.shared_bytes = a.shared_bytes;
	vmm.nr_doorbells = a.nr_doorbells;
	vmm.nr_vectors = a.nr_vectors;

	vmm__mlock(MCL_CURRENT);	/* MCL_FUTURE off: see vmm__mlock() */
	p = mmap(NULL, a.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 drvbox_fd, 0);
	if (p == MAP_FAILED)
		vmm__die_start("cannot map guest RAM (%llu MiB): %s",
			       (unsigned long long)(a.mem_bytes >> 20),
			       strerror(errno));
	vmm.ram = p;
	p = mmap(NULL, a.shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 drvbox_fd, a.shared_offset);
	if (p == MAP_FAILED)
		vmm__die_start("cannot map the shared area: %s", strerror(errno));
	vmm.shared = p;
	vmm__mlock(MCL_FUTURE);

	if (a.spec_len) {
		struct drvbox_vmm_spec s;
		char *buf = vmm__xmalloc(a.spec_len + 1);
		char *k, *end;

		memset(&s, 0, sizeof(s));
		s.ptr = (uintptr_t)buf;
		s.len = a.spec_len;
		if (ioctl(drvbox_fd, DRVBOX_VMM_GET_SPEC, &s) < 0)
			vmm__die_start("DRVBOX_VMM_GET_SPEC: %s", strerror(errno));
		if (s.len > a.spec_len)
			vmm__die_start("DRVBOX_VMM_GET_SPEC: bad length %u", s.len);
		buf[s.len] = '\0';
		end = buf + s.len;
		/* "key=value\0" strings back to back */
		for (k = buf; k < end; k += strlen(k) + 1) {
			if (!*k)
				continue;
			if (!strncmp(k, "kernel=", 7)) {
				vmm.cfg.kernel = k + 7;
			} else if (!strncmp(k, "module=", 7)) {
				if (vmm.cfg.nr_module_args < VMM_MAX_MODULES)
					vmm.cfg.module_args[vmm.cfg.nr_module_args++] = k + 7;
			} else if (!strncmp(k, "param=", 6)) {
				if (vmm.cfg.nr_param_args < VMM_MAX_MODULES)
					vmm.cfg.param_args[vmm.cfg.nr_param_args++] = k + 6;
			} else if (!strncmp(k, "cmdline=", 8)) {
				vmm.cfg.extra_cmdline = k + 8;
			} else if (!strncmp(k, "pci=", 4)) {
				if (vmm.cfg.nr_pci_args == VMM_MAX_PCI)
					vmm__die_start("more than %d pci= entries in the spec",
						       VMM_MAX_PCI);
				vmm.cfg.pci_args[vmm.cfg.nr_pci_args++] = k + 4;
			} else if (!strncmp(k, "export=", 7)) {
				/* drvbox.ko's business */
			} else {
				vmm__log("unknown spec key \"%.40s\"; ignored", k);
			}
		}
	}
	if (!vmm.cfg.kernel)
		vmm__die_start("the domain spec names no kernel");
}

/* After the ioeventfds and irqfds are bound in KVM. */
void supervisor__set_eventfds(void)
{
	struct drvbox_vmm_eventfds e;
	unsigned int i;

	if (!attached)
		return;
	memset(&e, 0, sizeof(e));
	for (i = 0; i < DRVBOX_MAX_DOORBELLS; i++)
		e.doorbell_fds[i] = i < vmm.nr_doorbells ? vmm.doorbell_fds[i] : -1;
	for (i = 0; i < DRVBOX_MAX_VECTORS; i++)
		e.irq_fds[i] = i < vmm.nr_vectors ? vmm.irq_fds[i] : -1;
	e.nr_doorbells = vmm.nr_doorbells;
	e.nr_vectors = vmm.nr_vectors;
	if (ioctl(drvbox_fd, DRVBOX_VMM_SET_EVENTFDS, &e) < 0)
		vmm__die_start("DRVBOX_VMM_SET_EVENTFDS: %s", strerror(errno));
}

/*
 * Pages for guest RAM [@off, @off + @len), mapped here at once
 * (DRVBOX_VMM_POPULATE), before the VMM writes all of it.  Only a speed-
 * up: without drvbox.ko (standalone) or on failure, faults do it.
 */
void supervisor__populate(uint64_t off, uint64_t len)
{
	struct drvbox_vmm_populate p = {
		.addr = (uintptr_t)vmm.ram,
		.offset = off,
		.len = len,
	};
	static bool said;

	if (!attached || !len)
		return;
	if (ioctl(drvbox_fd, DRVBOX_VMM_POPULATE, &p) < 0 && !said) {
		said = true;
		vmm__log("DRVBOX_VMM_POPULATE: %s: guest RAM fills a page per fault",
			 strerror(errno));
	}
}

/*
 * Fill guest RAM [@off, @off + @len) with @fd's bytes from @pos, read by
 * drvbox.ko straight into unzeroed pages (DRVBOX_VMM_LOAD_RAM; attached
 * only).  Returns 0 or the errno of a failure.
 */
int supervisor__load_ram(int fd, uint64_t pos, uint64_t off, uint64_t len)
{
	struct drvbox_vmm_load_ram l = {
		.fd = fd,
		.file_offset = pos,
		.offset = off,
		.len = len,
	};

	if (!len)
		return 0;
	while (ioctl(drvbox_fd, DRVBOX_VMM_LOAD_RAM, &l) < 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}
