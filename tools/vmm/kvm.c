// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the VM, its memory and its vCPUs.
 *
 * In-kernel irqchip (PIC + IOAPIC + LAPICs) and PIT, so the only exits we
 * see are the 8250, the PCI config ports, the CMOS clock, the reset
 * control port and MMIO to the drvbox device's registers and MSI-X table.
 * One thread per vCPU; the main thread only waits for signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drvbox.h"
#include "vmm.h"

/* Linux 6.10+; the build machine's <linux/kvm.h> may predate it */
#ifndef KVM_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY	236
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY	_IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

#define CPUID_MAX_ENTRIES	256
#define KVM_FEATURE_CLOCKSOURCE_BIT	0
#define KVM_FEATURE_CLOCKSOURCE2_BIT	3
#define XCR0_WANTED		0x207ULL	/* x87, SSE, AVX, PKRU */

/*
 * MSI routes by GSI - MSI_GSI_BASE: the drvbox device's vectors first
 * (fixed, DRVBOX_MAX_VECTORS), then ranges kvm__alloc_msi_gsis() hands to
 * passthrough devices.  routing_lock covers the table and the allocator.
 */
static pthread_mutex_t routing_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool enabled;
	uint64_t addr;
	uint32_t data;
} msi_routes[MSI_MAX_GSIS];
static unsigned int msi_gsis_used = DRVBOX_MAX_VECTORS;

void kvm__open(void)
{
	int ver;

	vmm.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm.kvm_fd < 0)
		vmm__die_start("cannot open /dev/kvm: %s: is kvm_amd or kvm_intel loaded?",
			       strerror(errno));
	ver = ioctl(vmm.kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION)
		vmm__die_start("KVM API version %d, expected %d", ver,
			       KVM_API_VERSION);
	if (ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0 ||
	    ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0 ||
	    ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
		vmm__die_start("KVM lacks irqfd, ioeventfd or IRQ routing");
}

void kvm__create_vm(void)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	vmm.vm_fd = ioctl(vmm.kvm_fd, KVM_CREATE_VM, 0);
	if (vmm.vm_fd < 0)
		vmm__die_start("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vmm.vm_fd, KVM_SET_TSS_ADDR, GPA_TSS) < 0)
		vmm__die_start("KVM_SET_TSS_ADDR: %s", strerror(errno));
	{
		uint64_t map = GPA_IDENTITY_MAP;

		if (ioctl(vmm.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &map) < 0)
			vmm__die_start("KVM_SET_IDENTITY_MAP_ADDR: %s",
				       strerror(errno));
	}
	if (ioctl(vmm.vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		vmm__die_start("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vmm.vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		vmm__die_start("KVM_CREATE_PIT2: %s", strerror(errno));
	vmm.run_size = ioctl(vmm.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)vmm.run_size <= 0)
		vmm__die_start("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
}

static void kvm__memslot(uint32_t slot, uint32_t flags, uint64_t gpa,
			 uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(vmm.vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		vmm__die_start("KVM_SET_USER_MEMORY_REGION slot %u (%#llx+%#llx): %s",
			       slot, (unsigned long long)gpa,
			       (unsigned long long)size, strerror(errno));
}

void kvm__add_memslot(uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	kvm__memslot(slot, 0, gpa, size, host);
}

/*
 * Memory the guest may read but not write: its writes exit to us as MMIO
 * (KVM_EXIT_MMIO), which nothing claims, so they are dropped.  Writable
 * (and a log line) where KVM cannot do that.
 */
void kvm__add_memslot_readonly(uint32_t slot, uint64_t gpa, uint64_t size,
			       void *host)
{
	static int have = -1;

	if (have < 0) {
		have = ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_READONLY_MEM) > 0;
		if (!have)
			vmm__log("KVM has no read-only memory slots: the guest can write what it should only read");
	}
	kvm__memslot(slot, have ? KVM_MEM_READONLY : 0, gpa, size, host);
}

/*
 * RAM: [0, min(size, 3 GiB)) at GPA 0, the rest above 4 GiB, so that the
 * PCI window 0xc0000000-0xfebfffff never overlaps it.
 */
void kvm__set_memory(void)
{
	uint64_t low_max = GPA_PCI_MMIO;

	vmm.ram_low = vmm.ram_bytes < low_max ? vmm.ram_bytes : low_max;
	kvm__add_memslot(0, 0, vmm.ram_low, vmm.ram);
	if (vmm.ram_bytes > vmm.ram_low)
		kvm__add_memslot(2, GPA_4G, vmm.ram_bytes - vmm.ram_low,
				 vmm.ram + vmm.ram_low);
	/* madvise is a hint; THP keeps the EPT/NPT small for bigger guests */
	madvise(vmm.ram, vmm.ram_bytes, MADV_HUGEPAGE);
}

/* Map [gpa, gpa + size) in the VM's stage-2 tables now; 0 or -errno. */
static int kvm__prefault_gpa(uint64_t gpa, uint64_t size)
{
	struct kvm_pre_fault_memory r = { .gpa = gpa, .size = size };

	/* the kernel moves gpa and size on as it goes; EINTR: go on */
	while (r.size) {
		if (ioctl(vmm.vcpu_fds[0], KVM_PRE_FAULT_MEMORY, &r) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

/*
 * Guest RAM [off, off + bytes) (an offset into vmm.ram) mapped for the
 * guest before it runs.  A guest started from a boot image touches the
 * pages the image restored at once; under nested virtualization each one
 * would otherwise be its own exit (about 6000 of them before the stub
 * runs).  A KVM without KVM_PRE_FAULT_MEMORY (Linux < 6.10) maps them as
 * the guest touches them, as before: returns false, having said so once.
 */
bool kvm__prefault(uint64_t off, uint64_t bytes)
{
	static bool unsupported;
	uint64_t low = 0, high = 0;
	int err = 0;

	if (unsupported)
		return false;
	if (ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY) <= 0) {
		unsupported = true;
		vmm__log("KVM has no KVM_PRE_FAULT_MEMORY (Linux < 6.10): the guest maps its memory as it touches it");
		return false;
	}
	if (off < vmm.ram_low)
		low = bytes < vmm.ram_low - off ? bytes : vmm.ram_low - off;
	high = bytes - low;
	if (low)
		err = kvm__prefault_gpa(off, low);
	if (!err && high)
		err = kvm__prefault_gpa(GPA_4G + (off + low - vmm.ram_low), high);
	if (err) {
		unsupported = true;
		vmm__log("KVM_PRE_FAULT_MEMORY at RAM offset %#llx: %s; the guest maps the rest as it touches it",
			 (unsigned long long)off, strerror(-err));
		return false;
	}
	return true;
}

static struct kvm_cpuid2 *supported_cpuid;

static void kvm__get_supported_cpuid(void)
{
	size_t sz = sizeof(struct kvm_cpuid2) +
		    CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);

	supported_cpuid = vmm__xmalloc(sz);
	supported_cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vmm.kvm_fd, KVM_GET_SUPPORTED_CPUID, supported_cpuid) < 0)
		vmm__die_start("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
}

/*
 * The guest sees what KVM supports, plus the hypervisor bit, minus
 * kvmclock: a 6.1 guest with kvmclock on a nested 6.1 host loses its timer
 * ticks in ~40% of boots (docs/vmm.md, "CPU"); the TSC is enough.
 */
static void kvm__set_cpuid(int fd, unsigned int id)
{
	size_t sz = sizeof(struct kvm_cpuid2) +
		    supported_cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = vmm__xmalloc(sz);
	uint32_t i;

	memcpy(c, supported_cpuid, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ecx |= 1U << 31;	/* hypervisor */
			e->ebx = (e->ebx & 0x00ffffff) | (id << 24);
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;		/* x2APIC id */
			break;
		case 0x40000001:
			e->eax &= ~((1U << KVM_FEATURE_CLOCKSOURCE_BIT) |
				    (1U << KVM_FEATURE_CLOCKSOURCE2_BIT));
			break;
		}
	}
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		vmm__die_start("KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
}

/*
 * What the guest's CPUID is made from, for the boot image's key: the
 * values only (KVM leaves the entries' padding as it finds it), without
 * the APIC ids of whichever host CPU asked.
 */
uint64_t kvm__cpuid_hash(void)
{
	uint64_t h = VMM_HASH_SEED;
	uint32_t i, k;

	for (i = 0; i < supported_cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &supported_cpuid->entries[i];
		uint32_t v[7] = { e->function, e->index, e->flags, e->eax,
				  e->ebx, e->ecx, e->edx };

		/* the APIC ids of the CPU we ran on; each vCPU gets its own */
		if (e->function == 1)
			v[4] &= 0x00ffffff;
		if (e->function == 0xb || e->function == 0x1f)
			v[6] = 0;
		for (k = 0; k < 7; k++)
			h = (h ^ v[k]) * 0x100000001b3ULL;
	}
	return h;
}

static uint64_t kvm__supported_xcr0(void)
{
	uint32_t i;

	for (i = 0; i < supported_cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &supported_cpuid->entries[i];

		if (e->function == 0xd && e->index == 0)
			return e->eax | ((uint64_t)e->edx << 32);
	}
	return 0;
}

static void kvm__set_xcr0(int fd)
{
	struct kvm_xcrs xcrs;
	uint64_t xcr0 = kvm__supported_xcr0() & XCR0_WANTED;

	if (!(xcr0 & 1) || ioctl(vmm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		return;
	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = xcr0;
	if (ioctl(fd, KVM_SET_XCRS, &xcrs) < 0)
		vmm__log("KVM_SET_XCRS %#llx: %s (continuing)",
			 (unsigned long long)xcr0, strerror(errno));
}

/* LINT0 = ExtINT (the PIC), LINT1 = NMI, as firmware leaves them. */
static void kvm__set_lapic(int fd)
{
	struct kvm_lapic_state l;
	uint32_t *lvt0, *lvt1;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		vmm__die_start("KVM_GET_LAPIC: %s", strerror(errno));
	lvt0 = (uint32_t *)&l.regs[0x350];
	lvt1 = (uint32_t *)&l.regs[0x360];
	*lvt0 = (*lvt0 & ~0x700U & ~0x10000U) | (7U << 8);
	*lvt1 = (*lvt1 & ~0x700U & ~0x10000U) | (4U << 8);
	if (ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		vmm__die_start("KVM_SET_LAPIC: %s", strerror(errno));
}

static void kvm__set_fpu(int fd)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0)
		vmm__die_start("KVM_SET_FPU: %s", strerror(errno));
}

/*
 * The boot CPU starts in 64-bit mode at the kernel's 64-bit entry
 * (boot protocol 2.12+): flat __BOOT_CS 0x10 / __BOOT_DS 0x18, paging on
 * with the identity map boot.c built, RSI = the zero page.
 */
static void kvm__setup_boot_cpu(int fd)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1,
		.l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x18,
		.type = 0x3, .present = 1, .dpl = 0, .db = 1, .s = 1,
		.l = 0, .g = 1,
	};
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		vmm__die_start("KVM_GET_SREGS: %s", strerror(errno));
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.gdt.base = GPA_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80000001 | 0x10 | 0x20;	/* PG | PE | ET | NE */
	s.cr3 = GPA_PML4;
	s.cr4 = 0x20;				/* PAE */
	s.efer = 0x500;				/* LME | LMA */
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		vmm__die_start("KVM_SET_SREGS: %s", strerror(errno));

	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = vmm.kernel_entry;
	r.rsi = GPA_ZERO_PAGE;
	r.rsp = GPA_ZERO_PAGE;	/* unused: the kernel sets its own stack */
	if (ioctl(fd, KVM_SET_REGS, &r) < 0)
		vmm__die_start("KVM_SET_REGS: %s", strerror(errno));
}

void kvm__create_vcpus(void)
{
	unsigned int i;

	kvm__get_supported_cpuid();
	for (i = 0; i < vmm.cfg.vcpus; i++) {
		int fd = ioctl(vmm.vm_fd, KVM_CREATE_VCPU, i);

		if (fd < 0)
			vmm__die_start("KVM_CREATE_VCPU %u: %s", i, strerror(errno));
		vmm.vcpu_fds[i] = fd;
		vmm.runs[i] = mmap(NULL, vmm.run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
		if (vmm.runs[i] == MAP_FAILED)
			vmm__die_start("mmap vCPU %u: %s", i, strerror(errno));
		kvm__set_cpuid(fd, i);
		kvm__set_xcr0(fd);
		kvm__set_lapic(fd);
		kvm__set_fpu(fd);
		/* APs wait for INIT/SIPI in the in-kernel LAPIC. */
	}
}

/* After boot.c has loaded the kernel: where the boot CPU starts. */
void kvm__setup_boot_regs(void)
{
	kvm__setup_boot_cpu(vmm.vcpu_fds[0]);
}

/*
 * The guest TSC frequency, for tsc_early_khz=: without kvmclock the guest
 * would calibrate the TSC against the PIT, which fails or is wildly off
 * when the host is itself emulated.  0 if KVM cannot tell.
 */
unsigned int kvm__tsc_khz(void)
{
	int khz = ioctl(vmm.vcpu_fds[0], KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? (unsigned int)khz : 0;
}

void kvm__irq_line(uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vmm.vm_fd, KVM_IRQ_LINE, &l) < 0)
		vmm__log("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

/*
 * KVM_SET_GSI_ROUTING replaces the whole table, so it carries the default
 * ISA/IOAPIC routes (GSI i -> PIC pin i and IOAPIC pin i, as KVM sets up
 * by itself) and one MSI route per enabled, unmasked drvbox vector.  A
 * masked vector has no route: an irqfd signal then is dropped (no PBA
 * pending bit; see docs/vmm.md).
 */
static void kvm__commit_routes(void)
{
	unsigned int n = 0, i;
	struct kvm_irq_routing *r;

	r = vmm__xmalloc(sizeof(*r) + (16 + 24 + MSI_MAX_GSIS) *
			 sizeof(struct kvm_irq_routing_entry));
	for (i = 0; i < 16; i++) {
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER :
							  KVM_IRQCHIP_PIC_SLAVE;
		r->entries[n].u.irqchip.pin = i % 8;
		n++;
	}
	for (i = 0; i < 24; i++) {
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n].u.irqchip.pin = i;
		n++;
	}
	for (i = 0; i < msi_gsis_used; i++) {
		if (!msi_routes[i].enabled)
			continue;
		r->entries[n].gsi = MSI_GSI_BASE + i;
		r->entries[n].type = KVM_IRQ_ROUTING_MSI;
		r->entries[n].u.msi.address_lo = (uint32_t)msi_routes[i].addr;
		r->entries[n].u.msi.address_hi = msi_routes[i].addr >> 32;
		r->entries[n].u.msi.data = msi_routes[i].data;
		n++;
	}
	r->nr = n;
	if (ioctl(vmm.vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		vmm__die_vmm("KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(r);
}

/* @n consecutive GSIs for MSI routes; dies at start if none are left. */
unsigned int kvm__alloc_msi_gsis(unsigned int n)
{
	unsigned int first;

	pthread_mutex_lock(&routing_lock);
	if (n > MSI_MAX_GSIS - msi_gsis_used) {
		pthread_mutex_unlock(&routing_lock);
		vmm__die_start("out of MSI GSIs (%u wanted, %u left)", n,
			       MSI_MAX_GSIS - msi_gsis_used);
	}
	first = msi_gsis_used;
	msi_gsis_used += n;
	pthread_mutex_unlock(&routing_lock);
	return MSI_GSI_BASE + first;
}

/*
 * Route @gsi (from kvm__alloc_msi_gsis(), or MSI_GSI_BASE + drvbox vector)
 * to an MSI message, or to nothing when !@enabled.  Only a change is
 * committed: the table is rewritten as a whole each time.
 */
void kvm__set_msi_route(unsigned int gsi, bool enabled, uint64_t addr,
			uint32_t data)
{
	unsigned int vector = gsi - MSI_GSI_BASE;

	if (gsi < MSI_GSI_BASE || vector >= MSI_MAX_GSIS)
		return;
	pthread_mutex_lock(&routing_lock);
	if (msi_routes[vector].enabled != enabled ||
	    (enabled && (msi_routes[vector].addr != addr ||
			 msi_routes[vector].data != data))) {
		msi_routes[vector].enabled = enabled;
		msi_routes[vector].addr = addr;
		msi_routes[vector].data = data;
		kvm__commit_routes();
	}
	pthread_mutex_unlock(&routing_lock);
}

static void kvm__guest_died(const char *what);

/*
 * The reset control register at 0xcf9 (ICH and most chipsets), which the
 * guest's reboot=p uses: a write with bit 2 set resets the machine.  A
 * panic (panic=-1) thus ends in one port write the VMM sees, not in a
 * triple fault, whose emulation under nested TCG has corrupted the test
 * host's own kernel (docs/vmm.md).
 */
#define RESET_CONTROL_PORT	0xcf9
#define RESET_CONTROL_RESET	0x04

static bool kvm__reset_io(uint16_t port, bool write, uint8_t *data)
{
	if (port != RESET_CONTROL_PORT)
		return false;
	if (!write)
		*data = 0;
	else if (*data & RESET_CONTROL_RESET)
		kvm__guest_died("guest reboot");
	return true;
}

static void kvm__handle_io(struct kvm_run *run, bool *save)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		uint16_t port = run->io.port;
		bool done = false;

		if (run->io.size == 1)
			done = serial__io(port, write, data) ||
			       rtc__io(port, write, data) ||
			       kvm__reset_io(port, write, data);
		if (!done)
			done = image__io(port, write, data, run->io.size, save);
		if (!done)
			done = log_port__io(port, write, data, run->io.size);
		if (!done)
			done = pci__io(port, write, data, run->io.size);
		if (!done && !write)
			memset(data, 0xff, run->io.size);	/* nothing there */
	}
}

static void kvm__handle_mmio(struct kvm_run *run)
{
	uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

	if (!pci__mmio(run->mmio.phys_addr, run->mmio.is_write,
		       run->mmio.data, len) && !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
}

static void kvm__guest_died(const char *what)
{
	char msg[DRVBOX_MSG_LEN];
	const char *panic = console__panic_line();

	image__guest_died();
	if (panic)
		snprintf(msg, sizeof(msg), "guest panic: %s", panic);
	else
		snprintf(msg, sizeof(msg), "%s", what);
	vmm__log("%s%s%s%s", msg, panic ? " (" : "", panic ? what : "",
		 panic ? ")" : "");
	vmm__end(DRVBOX_VMM_GUEST_EXIT, VMM_EXIT_GUEST, msg);
}

/*
 * Pausing every vCPU, for the boot image or a hang report.  The vCPU that
 * reached the image point (or the main thread) asks; the others are
 * kicked out of KVM_RUN (immediate_exit and a signal, so one in userspace
 * or about to enter sees it too), and each completes its pending PIO/MMIO
 * with one more immediate-exit KVM_RUN and saves its own state before it
 * waits.  Only the asking vCPU runs while the rest wait: it writes the
 * image, then lets them go.  A hang report never lets them go.
 */
static pthread_t vcpu_threads[16];
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;
	unsigned int paused;
	int error;
	bool saved[16];			/* vcpu_states[i] is this pause's */
} pause_ctl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};
static struct vcpu_state vcpu_states[16];

static void kvm__kick_signal(int sig)
{
	(void)sig;
}

/* KVM_RUN that only finishes what the last exit left (no guest code). */
static int kvm__complete_exit(unsigned int id)
{
	struct kvm_run *run = vmm.runs[id];
	int ret;

	run->immediate_exit = 1;
	ret = ioctl(vmm.vcpu_fds[id], KVM_RUN, 0);
	run->immediate_exit = 0;
	if (ret == 0 || errno == EINTR)
		return 0;
	return -errno;
}

/* A vCPU that was asked to pause: save, report, wait. */
static void kvm__pause_self(unsigned int id)
{
	int err = kvm__complete_exit(id);

	if (!err)
		err = vcpu_state__save(vmm.vcpu_fds[id], &vcpu_states[id]);
	pthread_mutex_lock(&pause_ctl.lock);
	if (err && !pause_ctl.error)
		pause_ctl.error = err;
	pause_ctl.saved[id] = !err;
	pause_ctl.paused++;
	pthread_cond_broadcast(&pause_ctl.cond);
	while (pause_ctl.requested)
		pthread_cond_wait(&pause_ctl.cond, &pause_ctl.lock);
	pthread_mutex_unlock(&pause_ctl.lock);
}

static bool kvm__pause_requested(void)
{
	return __atomic_load_n(&pause_ctl.requested, __ATOMIC_ACQUIRE);
}

/* Kick every vCPU but @self (none: -1) towards kvm__pause_self(). */
static void kvm__kick_all(int self)
{
	unsigned int i;

	for (i = 0; i < vmm.cfg.vcpus; i++) {
		if ((int)i == self)
			continue;
		vmm.runs[i]->immediate_exit = 1;
		pthread_kill(vcpu_threads[i], SIGUSR1);
	}
}

/* The state a hang report reads: NULL if vCPU @i did not pause and save. */
const struct vcpu_state *kvm__paused_state(unsigned int i)
{
	return i < vmm.cfg.vcpus && pause_ctl.saved[i] ? &vcpu_states[i] : NULL;
}

/**
 * kvm__pause_all() - stop every vCPU where it is, from the main thread
 * @timeout_ms: how long to wait for them
 *
 * For a report on a guest that stopped answering: the vCPUs stay paused
 * for good (the process is about to end).  A vCPU whose thread is stuck
 * in the kernel does not pause in time; none pauses while a boot image
 * is being written.
 */
void kvm__pause_all(unsigned int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pause_ctl.lock);
	if (pause_ctl.requested) {	/* an image being saved */
		pthread_mutex_unlock(&pause_ctl.lock);
		return;
	}
	memset(pause_ctl.saved, 0, sizeof(pause_ctl.saved));
	pause_ctl.paused = 0;
	pause_ctl.error = 0;
	__atomic_store_n(&pause_ctl.requested, true, __ATOMIC_RELEASE);
	kvm__kick_all(-1);
	while (pause_ctl.paused < vmm.cfg.vcpus)
		if (pthread_cond_timedwait(&pause_ctl.cond, &pause_ctl.lock,
					   &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&pause_ctl.lock);
}

/* On the vCPU that reached the image point. */
static void kvm__save_image(unsigned int id)
{
	int err;

	pthread_mutex_lock(&pause_ctl.lock);
	pause_ctl.paused = 1;
	pause_ctl.error = 0;
	__atomic_store_n(&pause_ctl.requested, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pause_ctl.lock);
	kvm__kick_all(id);
	err = kvm__complete_exit(id);
	if (!err)
		err = vcpu_state__save(vmm.vcpu_fds[id], &vcpu_states[id]);
	pthread_mutex_lock(&pause_ctl.lock);
	while (pause_ctl.paused < vmm.cfg.vcpus)
		pthread_cond_wait(&pause_ctl.cond, &pause_ctl.lock);
	if (!err)
		err = pause_ctl.error;
	pthread_mutex_unlock(&pause_ctl.lock);

	if (!err)
		err = image__save(vcpu_states, vmm.cfg.vcpus);
	if (err)
		vmm__log("boot image not saved: %s (later incarnations boot)",
			 strerror(-err));

	pthread_mutex_lock(&pause_ctl.lock);
	__atomic_store_n(&pause_ctl.requested, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&pause_ctl.cond);
	pthread_mutex_unlock(&pause_ctl.lock);
}

static void *kvm__vcpu_thread(void *arg)
{
	unsigned int id = (uintptr_t)arg;
	struct kvm_run *run = vmm.runs[id];
	int fd = vmm.vcpu_fds[id];
	char msg[DRVBOX_MSG_LEN];

	for (;;) {
		bool save = false;

		if (kvm__pause_requested()) {
			kvm__pause_self(id);
			continue;
		}
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			vmm__die_vmm("vCPU %u: KVM_RUN: %s", id, strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			kvm__handle_io(run, &save);
			if (save)
				kvm__save_image(id);
			break;
		case KVM_EXIT_MMIO:
			kvm__handle_mmio(run);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			kvm__guest_died("guest halted");
			break;
		case KVM_EXIT_SHUTDOWN:
			kvm__guest_died("guest shut down (triple fault)");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			switch (run->system_event.type) {
			case KVM_SYSTEM_EVENT_RESET:
				kvm__guest_died("guest reboot");
				break;
			case KVM_SYSTEM_EVENT_SHUTDOWN:
				kvm__guest_died("guest powered off");
				break;
			default:
				kvm__guest_died("guest crashed (system event)");
			}
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(msg, sizeof(msg),
				 "vCPU %u: VM entry failed (reason %#llx)", id,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			kvm__guest_died(msg);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(msg, sizeof(msg),
				 "vCPU %u: internal error (suberror %u)", id,
				 run->internal.suberror);
			kvm__guest_died(msg);
			break;
		default:
			snprintf(msg, sizeof(msg), "vCPU %u: unexpected exit %u",
				 id, run->exit_reason);
			kvm__guest_died(msg);
		}
	}
	return NULL;
}

void kvm__run_vcpus(void)
{
	struct sigaction sa = { .sa_handler = kvm__kick_signal };
	pthread_attr_t attr;
	unsigned int i;

	/* no SA_RESTART: the kick must end a blocking KVM_RUN */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		vmm__die_start("sigaction SIGUSR1: %s", strerror(errno));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (i = 0; i < vmm.cfg.vcpus; i++) {
		int err = pthread_create(&vcpu_threads[i], &attr,
					 kvm__vcpu_thread, (void *)(uintptr_t)i);

		if (err)
			vmm__die_start("cannot start vCPU thread %u: %s", i,
				       strerror(err));
	}
	pthread_attr_destroy(&attr);
}
