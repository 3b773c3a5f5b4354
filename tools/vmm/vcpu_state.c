// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the architectural state of a paused VM, for the boot image.
 *
 * What KVM holds for us: per vCPU the registers, FPU/XSAVE, XCR0, MSRs,
 * the local APIC, pending events and the run state; per VM the PIC pair,
 * the IOAPIC and the PIT.  Saved by each vCPU's own thread while every
 * vCPU is paused (kvm__pause_vcpus()), so that PIO/MMIO completions are
 * done first (KVM_RUN with immediate_exit), restored before any vCPU
 * runs.  The order of the restore follows what KVM requires: special
 * registers before the rest, MSRs before the events and the run state,
 * the TSC deadline only once the APIC is in deadline mode again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define MSR_IA32_TSC_DEADLINE	0x6e0

static struct kvm_msr_list *msr_list;

/* The MSRs KVM saves and restores for a VMM, asked once. */
static int vcpu_state__msr_list(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };

	if (msr_list)
		return 0;
	if (ioctl(vmm.kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG)
		return -errno;
	if (probe.nmsrs > VCPU_STATE_MAX_MSRS)
		return -E2BIG;
	msr_list = vmm__xmalloc(sizeof(*msr_list) +
				probe.nmsrs * sizeof(msr_list->indices[0]));
	msr_list->nmsrs = probe.nmsrs;
	if (ioctl(vmm.kvm_fd, KVM_GET_MSR_INDEX_LIST, msr_list) < 0)
		return -errno;
	return 0;
}

/*
 * KVM_GET_MSRS stops at the first MSR it cannot read (one this CPU does
 * not have): read them in runs and skip each one that fails.
 */
static int vcpu_state__get_msrs(int fd, struct vcpu_state *s)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[VCPU_STATE_MAX_MSRS];
	} buf;
	uint32_t i = 0;

	s->nr_msrs = 0;
	while (i < msr_list->nmsrs) {
		uint32_t n = msr_list->nmsrs - i, k;
		int got;

		memset(&buf.hdr, 0, sizeof(buf.hdr));
		buf.hdr.nmsrs = n;
		for (k = 0; k < n; k++) {
			memset(&buf.e[k], 0, sizeof(buf.e[k]));
			buf.e[k].index = msr_list->indices[i + k];
		}
		got = ioctl(fd, KVM_GET_MSRS, &buf);
		if (got < 0)
			return -errno;
		for (k = 0; k < (uint32_t)got; k++)
			s->msrs[s->nr_msrs++] = buf.e[k];
		i += got + 1;	/* past the one that failed */
	}
	return 0;
}

int vcpu_state__save(int fd, struct vcpu_state *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = vcpu_state__msr_list();
	if (err)
		return err;
	if (ioctl(fd, KVM_GET_REGS, &s->regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &s->sregs) < 0 ||
	    ioctl(fd, KVM_GET_XSAVE, &s->xsave) < 0 ||
	    ioctl(fd, KVM_GET_XCRS, &s->xcrs) < 0 ||
	    ioctl(fd, KVM_GET_LAPIC, &s->lapic) < 0 ||
	    ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events) < 0 ||
	    ioctl(fd, KVM_GET_MP_STATE, &s->mp_state) < 0 ||
	    ioctl(fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		return -errno;
	return vcpu_state__get_msrs(fd, s);
}

/* Sets @n MSRs; KVM returns how many it took. */
static int vcpu_state__set_msrs(int fd, const struct kvm_msr_entry *e,
				uint32_t n)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[VCPU_STATE_MAX_MSRS];
	} buf;
	int set;

	if (!n)
		return 0;
	memset(&buf.hdr, 0, sizeof(buf.hdr));
	buf.hdr.nmsrs = n;
	memcpy(buf.e, e, n * sizeof(*e));
	set = ioctl(fd, KVM_SET_MSRS, &buf);
	if (set < 0)
		return -errno;
	if ((uint32_t)set != n) {
		vmm__log("boot image: KVM refused MSR %#x", e[set].index);
		return -EINVAL;
	}
	return 0;
}

int vcpu_state__restore(int fd, const struct vcpu_state *s)
{
	struct kvm_msr_entry msrs[VCPU_STATE_MAX_MSRS], deadline = { 0 };
	struct kvm_vcpu_events events = s->events;
	uint32_t i, n = 0;
	int err;

	if (s->nr_msrs > VCPU_STATE_MAX_MSRS)
		return -EINVAL;
	for (i = 0; i < s->nr_msrs; i++) {
		if (s->msrs[i].index == MSR_IA32_TSC_DEADLINE)
			deadline = s->msrs[i];
		else
			msrs[n++] = s->msrs[i];
	}
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
			KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(fd, KVM_SET_SREGS, &s->sregs) < 0 ||
	    ioctl(fd, KVM_SET_REGS, &s->regs) < 0 ||
	    ioctl(fd, KVM_SET_XSAVE, &s->xsave) < 0 ||
	    ioctl(fd, KVM_SET_XCRS, &s->xcrs) < 0)
		return -errno;
	err = vcpu_state__set_msrs(fd, msrs, n);
	if (err)
		return err;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &events) < 0 ||
	    ioctl(fd, KVM_SET_MP_STATE, &s->mp_state) < 0 ||
	    ioctl(fd, KVM_SET_LAPIC, &s->lapic) < 0 ||
	    ioctl(fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
		return -errno;
	if (deadline.index)
		return vcpu_state__set_msrs(fd, &deadline, 1);
	return 0;
}

int vm_state__save(struct vm_state *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < VM_STATE_CHIPS; i++) {
		s->chips[i].chip_id = i;
		if (ioctl(vmm.vm_fd, KVM_GET_IRQCHIP, &s->chips[i]) < 0)
			return -errno;
	}
	if (ioctl(vmm.vm_fd, KVM_GET_PIT2, &s->pit) < 0)
		return -errno;
	return 0;
}

int vm_state__restore(const struct vm_state *s)
{
	unsigned int i;

	for (i = 0; i < VM_STATE_CHIPS; i++) {
		struct kvm_irqchip chip = s->chips[i];

		if (chip.chip_id != i)
			return -EINVAL;
		if (ioctl(vmm.vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return -errno;
	}
	if (ioctl(vmm.vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return -errno;
	return 0;
}
