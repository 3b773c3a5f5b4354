// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: tools/vmm/pci.c's configuration mechanism #1 as a
 * hostile guest drives it.  The data register is the dword at 0xcfc;
 * KVM hands the VMM any port and size the guest used, so an access may
 * start at 0xcfd-0xcff and run past 0xcff.  Only the bytes in
 * 0xcfc-0xcff are config space: the others read as 0xff and writes to
 * them are dropped.
 */
#include "vmm.h"
#include "unit.h"

#define SLOT		1
#define BAR0_SIZE	0x1000

static struct pci_device dev = { .name = "unit", .slot = SLOT };
static uint32_t written_off, written_len;
static unsigned int nr_written;

static uint8_t pattern(unsigned int i)
{
	return (uint8_t)(i * 7 + 0x31);
}

static void unit_cfg_written(struct pci_device *pdev, uint32_t off,
			     uint32_t len)
{
	(void)pdev;
	written_off = off;
	written_len = len;
	nr_written++;
}

static void select_reg(uint32_t reg)
{
	uint8_t a[4];
	uint32_t v = 0x80000000U | SLOT << 11 | reg;

	memcpy(a, &v, 4);
	pci__io(0xcf8, true, a, 4);
}

/* IN of @len bytes at @port, register @reg selected; into @out */
static void in(uint32_t reg, uint16_t port, uint32_t len, uint8_t *out)
{
	select_reg(reg);
	memset(out, 0xaa, len);
	pci__io(port, false, out, len);
}

static void out(uint32_t reg, uint16_t port, uint32_t len, const uint8_t *v)
{
	uint8_t buf[4];

	memcpy(buf, v, len);
	select_reg(reg);
	pci__io(port, true, buf, len);
}

static void reset_dev(void)
{
	unsigned int i;

	for (i = 0x40; i < 256; i++) {
		dev.cfg[i] = pattern(i);
		dev.wmask[i] = 0xff;
	}
	for (i = 0; i < 0x10; i++)
		dev.cfg[i] = pattern(i);
	memset(&dev.wmask[0x0c], 0xff, 0x1c);	/* to 0x27: BARs included */
	nr_written = 0;
	written_off = written_len = 0;
}

static void test_reads(void)
{
	uint8_t got[4], want[4];

	reset_dev();
	in(0x40, 0xcfc, 4, got);
	memcpy(want, &dev.cfg[0x40], 4);
	unit_bytes("dword IN at 0xcfc reads the dword", got, want, 4);

	in(0x40, 0xcff, 1, got);
	unit_bytes("byte IN at 0xcff reads byte 3", got, &dev.cfg[0x43], 1);

	in(0x40, 0xcfe, 2, got);
	unit_bytes("word IN at 0xcfe reads bytes 2-3", got, &dev.cfg[0x42], 2);

	in(0x40, 0xcff, 4, got);
	want[0] = dev.cfg[0x43];
	memset(want + 1, 0xff, 3);
	unit_bytes("dword IN at 0xcff: byte 3, then 0xff past 0xcff", got,
		   want, 4);

	in(0x40, 0xcff, 2, got);
	unit_bytes("word IN at 0xcff: byte 3, then 0xff past 0xcff", got,
		   want, 2);

	in(0x40, 0xcfe, 4, got);
	memcpy(want, &dev.cfg[0x42], 2);
	memset(want + 2, 0xff, 2);
	unit_bytes("dword IN at 0xcfe: bytes 2-3, then 0xff past 0xcff", got,
		   want, 4);

	in(0xfc, 0xcff, 4, got);
	want[0] = dev.cfg[0xff];
	memset(want + 1, 0xff, 3);
	unit_bytes("dword IN at 0xcff of register 0xfc: byte 0xff, then 0xff",
		   got, want, 4);
}

static void test_writes(void)
{
	static const uint8_t v[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t before[8], want[8];

	reset_dev();
	memcpy(before, &dev.cfg[0x40], 8);
	out(0x40, 0xcfe, 4, v);
	memcpy(want, before, 8);
	memcpy(want + 2, v, 2);
	unit_bytes("dword OUT at 0xcfe writes bytes 2-3 only", &dev.cfg[0x40],
		   want, 8);
	unit_result(nr_written == 1 && written_off == 0x42 && written_len == 2,
		    "dword OUT at 0xcfe: the device is told of 0x42+2",
		    "expected 1 call with 0x42+2, got %u, the last %#x+%u",
		    nr_written, written_off, written_len);

	reset_dev();
	memcpy(before, &dev.cfg[0x0c], 8);
	out(0x0c, 0xcff, 4, v);
	memcpy(want, before, 8);
	want[3] = v[0];
	unit_bytes("dword OUT at 0xcff of register 0x0c stays out of BAR 0",
		   &dev.cfg[0x0c], want, 8);

	reset_dev();
	out(0xfc, 0xcff, 4, v);
	unit_eq("dword OUT at 0xcff of register 0xfc writes byte 0xff",
		dev.cfg[0xff], v[0]);
	unit_result(nr_written == 1 && written_off == 0xff && written_len == 1,
		    "dword OUT at 0xcff of register 0xfc: told of 0xff+1",
		    "expected 1 call with 0xff+1, got %u, the last %#x+%u",
		    nr_written, written_off, written_len);
}

static uint32_t bar0(void)
{
	uint8_t got[4];
	uint32_t v;

	in(0x10, 0xcfc, 4, got);
	memcpy(&v, got, 4);
	return v;
}

/* BARs keep their dword semantics: only an aligned dword write counts. */
static void test_bars(void)
{
	static const uint8_t ones[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t gpa = dev.bars[0].gpa;
	uint8_t got[4], want[4];

	reset_dev();
	out(0x10, 0xcfc, 4, ones);
	unit_eq("BAR 0 sizing: all ones read back as the size mask", bar0(),
		(uint32_t)~(BAR0_SIZE - 1));
	out(0x10, 0xcfc, 4, (const uint8_t *)&gpa);
	unit_eq("BAR 0 written back: its address again", bar0(), gpa);

	out(0x10, 0xcfd, 4, ones);
	unit_eq("dword OUT at 0xcfd of BAR 0 (3 bytes in it) is ignored",
		bar0(), gpa);
	out(0x10, 0xcfc, 2, ones);
	unit_eq("word OUT at 0xcfc of BAR 0 is ignored", bar0(), gpa);

	in(0x10, 0xcfd, 4, got);
	memcpy(want, (const uint8_t *)&gpa + 1, 3);
	want[3] = 0xff;
	unit_bytes("dword IN at 0xcfd of BAR 0: its bytes 1-3, then 0xff", got,
		   want, 4);
}

int main(void)
{
	pci__init();
	dev.cfg_written = unit_cfg_written;
	pci__set_bar(&dev, 0, BAR0_SIZE, false, false);
	pci__register(&dev);

	test_reads();
	test_writes();
	test_bars();
	return unit_done();
}
