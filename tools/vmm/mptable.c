// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: an Intel MultiProcessor Specification 1.4 table.
 *
 * Without ACPI, this is how Linux learns the CPUs (LAPIC ids 0..N-1), the
 * IOAPIC and how ISA interrupts reach it (IRQ i -> pin i, as KVM's default
 * routing wires them).  The floating pointer and the table sit in the
 * 0xf0000 BIOS area, which Linux scans and e820 marks reserved.
 */
#include <string.h>

#include "vmm.h"

#define MP_IOAPIC_ADDR		0xfec00000U
#define MP_LAPIC_ADDR		0xfee00000U
#define MP_LAPIC_VERSION	0x14
#define MP_IOAPIC_VERSION	0x11
#define MP_BUS_ISA		0
#define MP_BUS_PCI		1

struct mpf {			/* floating pointer */
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;		/* 0 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;	/* 1: enabled, 2: boot processor */
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;		/* 1 */
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;		/* 2 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;		/* 1: usable */
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;		/* 3: IO interrupt, 4: local interrupt */
	uint8_t irqtype;	/* 0 INT, 1 NMI, 3 ExtINT */
	uint16_t irqflag;	/* 0: conforms to the bus */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

static uint8_t mptable__checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

void mptable__write(unsigned int ncpus)
{
	uint8_t *base = vmm__gpa(GPA_MPTABLE, 4096);
	struct mpf *mpf = (struct mpf *)base;
	struct mpc_header *mpc = (struct mpc_header *)(base + 16);
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = ncpus;
	unsigned int i, count = 0;

	memset(base, 0, 4096);
	for (i = 0; i < ncpus; i++) {
		struct mpc_cpu *c = (struct mpc_cpu *)p;

		c->type = 0;
		c->apicid = i;
		c->apicver = MP_LAPIC_VERSION;
		c->cpuflag = 1 | (i == 0 ? 2 : 0);
		c->cpufeature = 0x600;		/* family 6 */
		c->featureflag = 0x201;		/* FPU, APIC */
		p += sizeof(*c);
		count++;
	}
	{
		struct mpc_bus *b = (struct mpc_bus *)p;

		b->type = 1;
		b->busid = MP_BUS_PCI;
		memcpy(b->bustype, "PCI   ", 6);
		b++;
		b->type = 1;
		b->busid = MP_BUS_ISA;
		memcpy(b->bustype, "ISA   ", 6);
		p = (uint8_t *)(b + 1);
		count += 2;
	}
	{
		struct mpc_ioapic *io = (struct mpc_ioapic *)p;

		io->type = 2;
		io->apicid = ioapic_id;
		io->apicver = MP_IOAPIC_VERSION;
		io->flags = 1;
		io->apicaddr = MP_IOAPIC_ADDR;
		p += sizeof(*io);
		count++;
	}
	for (i = 0; i < 16; i++) {
		struct mpc_intsrc *s = (struct mpc_intsrc *)p;

		if (i == 2)
			continue;	/* the PIC cascade, no ISA device */
		s->type = 3;
		s->irqtype = 0;
		s->srcbus = MP_BUS_ISA;
		s->srcbusirq = i;
		s->dstapic = ioapic_id;
		s->dstirq = i;
		p += sizeof(*s);
		count++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_intsrc *s = (struct mpc_intsrc *)p;

		s->type = 4;
		s->irqtype = i == 0 ? 3 : 1;	/* LINT0 ExtINT, LINT1 NMI */
		s->srcbus = MP_BUS_ISA;
		s->srcbusirq = 0;
		s->dstapic = 0xff;
		s->dstirq = i;
		p += sizeof(*s);
		count++;
	}

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->spec_rev = 4;
	memcpy(mpc->oem, "DRVBOX  ", 8);
	memcpy(mpc->product, "drvbox-vmm  ", 12);
	mpc->count = count;
	mpc->lapic = MP_LAPIC_ADDR;
	mpc->checksum = mptable__checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = GPA_MPTABLE + 16;
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = mptable__checksum(mpf, sizeof(*mpf));
}
