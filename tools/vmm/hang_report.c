// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: where a guest that stopped answering was.
 *
 * drvbox.ko sends SIGQUIT when a running guest misses its heartbeat, and
 * SIGKILL a moment later.  In between we stop every vCPU and log, for
 * each: RIP, RSP, whether interrupts were on, whether it was halted, and
 * the words on its stack that point into the kernel's text, named from
 * the host's /proc/kallsyms (the guest runs the host's kernel, at its
 * link address: nokaslr).  As in the kernel's own "?" lines, a stale
 * word looks the same as a return address.  Module code (the driver's)
 * is loaded elsewhere in the guest than on the host: its addresses stay
 * numbers.
 *
 * Everything read here is guest memory: every table entry and stack word
 * is bounds-checked through vmm__gpa(), and nothing read is trusted
 * further than printing it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "drvbox.h"
#include "vmm.h"

#define HANG_PAUSE_MS		500
#define HANG_STACK_WORDS	256	/* scanned from RSP */
#define HANG_STACK_WORDS_KEPT	32	/* words into the image, per vCPU */
#define HANG_STACK_NAMES	12	/* of which text, logged */
#define HANG_STACK_BYTES	16384	/* THREAD_SIZE, IRQ stacks too */
#define HANG_SYM_LEN		64

/* x86-64 paging: what the walk needs */
#define PTE_PRESENT		(1ULL << 0)
#define PTE_LARGE		(1ULL << 7)
#define PTE_ADDR		0x000ffffffffff000ULL
#define CR4_LA57		(1ULL << 12)
#define EFER_LMA		(1ULL << 10)
#define RFLAGS_IF		(1ULL << 9)
/* the kernel image's mapping: __START_KERNEL_map and the module area */
#define KERNEL_MAP_BASE		0xffffffff80000000ULL
#define KERNEL_IMAGE_START	KERNEL_MAP_BASE
#define KERNEL_IMAGE_END	0xffffffffc0000000ULL

struct hang_sym {
	uint64_t addr;
	char name[HANG_SYM_LEN];	/* "" until named */
	uint64_t off;
};

struct hang_cpu {
	const struct vcpu_state *s;
	unsigned int first, n;		/* its symbols: rip, then the stack */
};

/* Guest virtual to guest physical through the 4-level tables at @cr3. */
static bool hang__translate(uint64_t cr3, uint64_t va, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR;
	int level;

	for (level = 3; level >= 0; level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t *t = vmm__gpa(table, 4096), e, mask;

		if (!t)
			return false;
		e = t[(va >> shift) & 511];
		if (!(e & PTE_PRESENT))
			return false;
		if (level == 0 || (level <= 2 && (e & PTE_LARGE))) {
			mask = (1ULL << shift) - 1;
			*gpa = (e & PTE_ADDR & ~mask) | (va & mask);
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}

static bool hang__read_word(uint64_t cr3, uint64_t va, uint64_t *w)
{
	uint64_t gpa;
	uint64_t *p;

	if (!hang__translate(cr3, va, &gpa))
		return false;
	p = vmm__gpa(gpa, sizeof(*p));
	if (!p)
		return false;
	memcpy(w, p, sizeof(*w));
	return true;
}

static bool hang__in_image(uint64_t a)
{
	return a >= KERNEL_IMAGE_START && a < KERNEL_IMAGE_END;
}

/* Up to @max words on the stack at @rsp that point into the kernel image. */
static unsigned int hang__stack(const struct vcpu_state *s, struct hang_sym *out,
				unsigned int max)
{
	uint64_t va = s->regs.rsp, end, w;
	unsigned int n = 0, i;

	if (!(s->sregs.efer & EFER_LMA) || (s->sregs.cr4 & CR4_LA57))
		return 0;	/* not 4-level long mode: no walk */
	end = (va | (HANG_STACK_BYTES - 1)) + 1;
	for (i = 0; i < HANG_STACK_WORDS && va + 8 <= end && n < max; i++, va += 8) {
		if (!hang__read_word(s->sregs.cr3, va, &w))
			break;
		if (hang__in_image(w))
			out[n++].addr = w;
	}
	return n;
}

static int hang__cmp_addr(const void *a, const void *b)
{
	const struct hang_sym *x = *(struct hang_sym *const *)a;
	const struct hang_sym *y = *(struct hang_sym *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Name every address in @syms from the host's /proc/kallsyms: the guest
 * runs the host's own kernel, at its link address (nokaslr), so the
 * host's names fit once the host's KASLR slide is taken off.  One pass,
 * merged with the sorted addresses: kallsyms lists the kernel's symbols
 * in address order, _text first among them, and the pass ends at _etext.
 * Only text symbols count, and only addresses in [_stext, _etext) keep a
 * name.
 */
static void hang__name(struct hang_sym *syms, unsigned int n)
{
	struct hang_sym **by_addr;
	char line[256], prev[HANG_SYM_LEN] = "", name[HANG_SYM_LEN];
	uint64_t prev_addr = 0, stext = 0, etext = 0, a, slide = 0;
	bool have_slide = false;
	struct utsname u;
	unsigned int i, q = 0;
	char type;
	FILE *f;

	if (uname(&u) < 0 || strcmp(u.release, vmm.kver) ||
	    !strstr(vmm.kversion, u.version)) {
		vmm__log("hang report: no names: the host runs another kernel build than the guest");
		return;
	}
	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		vmm__log("hang report: no names (/proc/kallsyms: %s)", strerror(errno));
		return;
	}
	by_addr = vmm__xmalloc(n * sizeof(*by_addr));
	for (i = 0; i < n; i++)
		by_addr[i] = &syms[i];
	qsort(by_addr, n, sizeof(*by_addr), hang__cmp_addr);
	while (!etext && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %63s", &a, &type, name) != 3)
			continue;
		if (!have_slide) {
			if (strcmp(name, "_text"))
				continue;	/* per-CPU symbols come first */
			if (!a)
				break;		/* kptr_restrict */
			slide = a - (KERNEL_MAP_BASE + boot__load_address());
			have_slide = true;
		}
		a -= slide;
		if (!hang__in_image(a) || a < prev_addr)
			continue;
		if (!strcmp(name, "_stext"))
			stext = a;
		else if (!strcmp(name, "_etext"))
			etext = a;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		for (; q < n && by_addr[q]->addr < a; q++) {
			if (!prev[0])
				continue;
			snprintf(by_addr[q]->name, HANG_SYM_LEN, "%s", prev);
			by_addr[q]->off = by_addr[q]->addr - prev_addr;
		}
		snprintf(prev, sizeof(prev), "%s", name);
		prev_addr = a;
	}
	fclose(f);
	if (!have_slide)
		vmm__log("hang report: no names: /proc/kallsyms shows no _text address (kptr_restrict?)");
	for (i = 0; i < n; i++)
		if (!etext || syms[i].addr < stext || syms[i].addr >= etext)
			syms[i].name[0] = '\0';
	free(by_addr);
}

static int hang__fmt(char *buf, size_t len, const struct hang_sym *s)
{
	if (s->name[0])
		return snprintf(buf, len, "%s+%#llx", s->name,
				(unsigned long long)s->off);
	return snprintf(buf, len, "%#llx", (unsigned long long)s->addr);
}

static void hang__log_cpu(unsigned int id, const struct hang_cpu *c,
			  const struct hang_sym *syms)
{
	const struct vcpu_state *s = c->s;
	char where[HANG_SYM_LEN + 24], stack[DRVBOX_MSG_LEN];
	size_t len = 0;
	unsigned int i, named = 0;

	hang__fmt(where, sizeof(where), &syms[c->first]);
	vmm__log("hang report: vCPU %u %s, interrupts %s: rip %s rsp %#llx cr3 %#llx",
		 id, s->mp_state.mp_state == KVM_MP_STATE_HALTED ? "halted" : "running",
		 s->regs.rflags & RFLAGS_IF ? "on" : "off", where,
		 (unsigned long long)s->regs.rsp, (unsigned long long)s->sregs.cr3);
	for (i = c->first + 1; i < c->first + c->n; i++) {
		char one[HANG_SYM_LEN + 24];

		if (!syms[i].name[0])
			continue;
		hang__fmt(one, sizeof(one), &syms[i]);
		if (named == HANG_STACK_NAMES ||
		    len + strlen(one) + 3 >= sizeof(stack))
			break;
		len += snprintf(stack + len, sizeof(stack) - len, " ? %s", one);
		named++;
	}
	if (named)
		vmm__log("hang report: vCPU %u stack:%s", id, stack);
}

/**
 * hang_report__log() - stop the vCPUs and log where each one was
 *
 * Leaves them stopped: the caller ends the process.
 */
void hang_report__log(void)
{
	unsigned int nr = vmm.cfg.vcpus, i, n = 0;
	uint64_t t0 = vmm__now_ns();
	struct hang_sym *syms = calloc((size_t)nr * (1 + HANG_STACK_WORDS_KEPT),
				       sizeof(*syms));
	struct hang_cpu cpus[16] = { 0 };

	if (!syms) {
		vmm__log("hang report: out of memory");
		return;
	}
	kvm__pause_all(HANG_PAUSE_MS);
	for (i = 0; i < nr; i++) {
		const struct vcpu_state *s = kvm__paused_state(i);

		if (!s)
			continue;
		cpus[i].s = s;
		cpus[i].first = n;
		syms[n].addr = s->regs.rip;
		cpus[i].n = 1 + hang__stack(s, &syms[n + 1], HANG_STACK_WORDS_KEPT);
		n += cpus[i].n;
	}
	if (n)
		hang__name(syms, n);
	for (i = 0; i < nr; i++) {
		if (cpus[i].s)
			hang__log_cpu(i, &cpus[i], syms);
		else
			vmm__log("hang report: vCPU %u did not stop within %u ms",
				 i, HANG_PAUSE_MS);
	}
	vmm__log("hang report: done in %llu ms",
		 (unsigned long long)((vmm__now_ns() - t0) / 1000000));
	free(syms);
}
