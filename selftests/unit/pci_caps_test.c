// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: tools/vmm/pci_caps.c on capability layouts a device
 * could report.  The list comes from the device (and from whatever an
 * earlier incarnation's driver left in it), so the walk must never touch
 * bytes past the 256 of config space, and a capability it cannot use must
 * be hidden from the guest rather than half emulated.
 */
#include "vmm.h"
#include "unit.h"

#define CFG		256
#define ID_MSI		0x05
#define ID_MSIX		0x11
#define ID_PM		0x01

struct fixture {
	uint8_t *c, *m, *e;
	uint64_t bar_size[6];
	struct pci_caps caps;
};

static void fx_init(struct fixture *f, uint8_t first)
{
	f->c = unit_alloc(CFG);
	f->m = unit_alloc(CFG);
	f->e = unit_alloc(CFG);
	memset(f->m, 0xff, CFG);
	memset(f->bar_size, 0, sizeof(f->bar_size));
	f->bar_size[0] = 0x4000;
	f->c[0x06] = 0x10;		/* status: capability list */
	f->c[0x34] = first;
	stub_logged = 0;
}

static void fx_run(struct fixture *f)
{
	pci_caps__setup("unit", f->c, f->m, f->e, f->bar_size, &f->caps);
}

/* the walk wrote nothing past any of the three arrays */
static void fx_done(struct fixture *f, const char *what)
{
	bool ok = unit_canary(f->c, CFG) && unit_canary(f->m, CFG) &&
		  unit_canary(f->e, CFG);

	unit_result(ok, what, "expected the canaries intact, got them changed");
	free(f->c);
	free(f->m);
	free(f->e);
}

static void put32(uint8_t *p, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void msix_at(uint8_t *c, uint8_t pos, uint8_t next, unsigned int n,
		    unsigned int bir, uint32_t toff)
{
	c[pos] = ID_MSIX;
	c[pos + 1] = next;
	c[pos + 2] = (n - 1) & 0xff;
	c[pos + 3] = (n - 1) >> 8;
	if (pos + 8 <= CFG)
		put32(&c[pos + 4], toff | bir);
}

static void msi_at(uint8_t *c, uint8_t pos, uint8_t next, uint16_t ctrl)
{
	c[pos] = ID_MSI;
	c[pos + 1] = next;
	c[pos + 2] = ctrl & 0xff;
	c[pos + 3] = ctrl >> 8;
}

static void test_sane(void)
{
	struct fixture f;

	fx_init(&f, 0x40);
	msix_at(f.c, 0x40, 0x50, 4, 0, 0x1000);
	msi_at(f.c, 0x50, 0, 0x0180);		/* 64-bit, per-vector mask */
	fx_run(&f);
	unit_eq("sane layout: MSI-X found at 0x40", f.caps.msix, 0x40);
	unit_eq("sane layout: 4 MSI-X vectors", f.caps.msix_n, 4);
	unit_eq("sane layout: MSI-X table at 0x1000", f.caps.msix_table_off,
		0x1000);
	unit_eq("sane layout: MSI found at 0x50", f.caps.msi, 0x50);
	unit_result(f.e[0x4b] && !f.e[0x4c] && f.e[0x50] && f.e[0x67] &&
		    !f.e[0x68], "sane layout: exactly their bytes emulated",
		    "expected 0x40-0x4b and 0x50-0x67, got e[0x4b]=%u e[0x4c]=%u e[0x67]=%u e[0x68]=%u",
		    f.e[0x4b], f.e[0x4c], f.e[0x67], f.e[0x68]);
	unit_eq("sane layout: the guest may set enable and mask-all",
		f.m[0x43], 0xc0);
	unit_eq("sane layout: nothing logged", stub_logged, 0);
	fx_done(&f, "sane layout: nothing written past config space");
}

/* MSI-X needs 12 bytes: 0xf4 is the last place it fits. */
static void test_msix_end(uint8_t pos, bool fits)
{
	struct fixture f;
	char what[96];

	fx_init(&f, pos);
	msix_at(f.c, pos, 0, 2, 0, 0);
	fx_run(&f);
	snprintf(what, sizeof(what), "MSI-X at %#x: %s", pos,
		 fits ? "used" : "not used");
	unit_eq(what, f.caps.msix, fits ? pos : 0);
	if (!fits) {
		snprintf(what, sizeof(what),
			 "MSI-X at %#x: hidden (0x34 reads 0, ours)", pos);
		unit_result(!f.c[0x34] && f.e[0x34] && !f.m[0x34], what,
			    "expected 0x34 = 0 emulated read-only, got %#x emulated %u mask %#x",
			    f.c[0x34], f.e[0x34], f.m[0x34]);
		snprintf(what, sizeof(what), "MSI-X at %#x: logged once", pos);
		unit_eq(what, stub_logged, 1);
	}
	snprintf(what, sizeof(what), "MSI-X at %#x: nothing written past config space",
		 pos);
	fx_done(&f, what);
}

/* MSI: 10 bytes, +4 for 64-bit addresses, +10 for per-vector masking. */
static void test_msi_end(uint8_t pos, uint16_t ctrl, bool fits)
{
	struct fixture f;
	char what[96];

	fx_init(&f, 0x40);
	f.c[0x40] = ID_PM;		/* the MSI capability is second */
	f.c[0x41] = pos;
	msi_at(f.c, pos, 0, ctrl);
	fx_run(&f);
	snprintf(what, sizeof(what), "MSI (ctrl %#x) at %#x: %s", ctrl, pos,
		 fits ? "used" : "not used");
	unit_eq(what, f.caps.msi, fits ? pos : 0);
	if (!fits) {
		snprintf(what, sizeof(what),
			 "MSI (ctrl %#x) at %#x: the PM capability's next reads 0",
			 ctrl, pos);
		unit_result(!f.c[0x41] && f.e[0x41] && !f.m[0x41], what,
			    "expected 0x41 = 0 emulated read-only, got %#x emulated %u mask %#x",
			    f.c[0x41], f.e[0x41], f.m[0x41]);
	}
	snprintf(what, sizeof(what),
		 "MSI (ctrl %#x) at %#x: nothing written past config space",
		 ctrl, pos);
	fx_done(&f, what);
}

/* MSI first, then MSI-X: a bad MSI-X table hides MSI-X only. */
static void test_msix_table(const char *what, unsigned int n,
			    unsigned int bir, uint32_t toff, bool ok)
{
	struct fixture f;
	char name[128];

	fx_init(&f, 0x40);
	f.bar_size[2] = 0;			/* an I/O or absent BAR */
	msi_at(f.c, 0x40, 0x50, 0);
	msix_at(f.c, 0x50, 0, n, bir, toff);
	fx_run(&f);
	snprintf(name, sizeof(name), "%s: %s", what, ok ? "used" : "not used");
	unit_eq(name, f.caps.msix, ok ? 0x50 : 0);
	snprintf(name, sizeof(name), "%s: %s", what,
		 ok ? "visible" : "hidden, MSI kept");
	unit_result(f.caps.msi == 0x40 && f.c[0x41] == (ok ? 0x50 : 0), name,
		    "expected 0x41=%#x msi=0x40, got 0x41=%#x msi=%#x",
		    ok ? 0x50 : 0, f.c[0x41], f.caps.msi);
	snprintf(name, sizeof(name), "%s: nothing written past config space",
		 what);
	fx_done(&f, name);
}

/* A list that loops back to MSI-X: walked once, the loop cut. */
static void test_loop(void)
{
	struct fixture f;

	fx_init(&f, 0x40);
	msix_at(f.c, 0x40, 0x40, 2, 0, 0);
	fx_run(&f);
	unit_eq("a list looping on MSI-X: it is used", f.caps.msix, 0x40);
	unit_eq("a list looping on MSI-X: its next reads 0", f.c[0x41], 0);
	fx_done(&f, "a list looping on MSI-X: nothing written past config space");
}

/* PM -> MSI -> back to PM: cut after MSI, which stays visible. */
static void test_loop_pm(void)
{
	struct fixture f;

	fx_init(&f, 0x40);
	f.c[0x40] = ID_PM;
	f.c[0x41] = 0x50;
	msi_at(f.c, 0x50, 0x40, 0);
	fx_run(&f);
	unit_result(f.caps.msi == 0x50 && f.c[0x41] == 0x50 && !f.c[0x51],
		    "a list looping back to PM: cut after MSI, MSI kept",
		    "expected msi=0x50 0x41=0x50 0x51=0, got msi=%#x 0x41=%#x 0x51=%#x",
		    f.caps.msi, f.c[0x41], f.c[0x51]);
	fx_done(&f, "a list looping back to PM: nothing written past config space");
}

/* VFIO has one MSI-X index: a second MSI-X is not ours to emulate. */
static void test_second_msix(void)
{
	struct fixture f;

	fx_init(&f, 0x40);
	msix_at(f.c, 0x40, 0x50, 2, 0, 0);
	msix_at(f.c, 0x50, 0, 2, 0, 0x100);
	fx_run(&f);
	unit_result(f.caps.msix == 0x40 && !f.c[0x41] && !f.e[0x50],
		    "a second MSI-X: the first used, the second hidden",
		    "expected msix=0x40 0x41=0 0x50 not emulated, got msix=%#x 0x41=%#x emulated %u",
		    f.caps.msix, f.c[0x41], f.e[0x50]);
	fx_done(&f, "a second MSI-X: nothing written past config space");
}

static void test_entry(void)
{
	struct pci_caps caps = {
		.msix = 0x40, .msix_n = 4, .msix_bar = 3,
		.msix_table_off = 0x2008,	/* only qword aligned */
	};
	unsigned int v = 99, w = 99;
	bool in;

	in = pci_caps__msix_entry(&caps, 3, 0x2008, &v, &w);
	unit_result(in && v == 0 && w == 0,
		    "table at 0x2008: 0x2008 is entry 0 dword 0",
		    "expected in, 0, 0, got %d, %u, %u", in, v, w);
	in = pci_caps__msix_entry(&caps, 3, 0x2014, &v, &w);
	unit_result(in && v == 0 && w == 3,
		    "table at 0x2008: 0x2014 is entry 0 dword 3",
		    "expected in, 0, 3, got %d, %u, %u", in, v, w);
	in = pci_caps__msix_entry(&caps, 3, 0x2040, &v, &w);
	unit_result(in && v == 3 && w == 2,
		    "table at 0x2008: 0x2040 is entry 3 dword 2",
		    "expected in, 3, 2, got %d, %u, %u", in, v, w);
	in = pci_caps__msix_entry(&caps, 3, 0x2048, &v, &w);
	unit_result(!in, "table at 0x2008: 0x2048 is past it",
		    "expected out, got entry %u dword %u", v, w);
	in = pci_caps__msix_entry(&caps, 3, 0x2004, &v, &w);
	unit_result(!in, "table at 0x2008: 0x2004 is before it",
		    "expected out, got entry %u dword %u", v, w);
	in = pci_caps__msix_entry(&caps, 2, 0x2008, &v, &w);
	unit_result(!in, "table in BAR 3: BAR 2 is not in it",
		    "expected out, got entry %u dword %u", v, w);
}

int main(void)
{
	test_sane();
	test_msix_end(0xf4, true);
	test_msix_end(0xf8, false);
	test_msix_end(0xfc, false);
	test_msi_end(0xf4, 0x0000, true);	/* 32-bit: 10 bytes */
	test_msi_end(0xf8, 0x0000, false);
	test_msi_end(0xe8, 0x0180, true);	/* 64-bit + mask: 24 bytes */
	test_msi_end(0xec, 0x0180, false);
	test_msi_end(0xfc, 0x0180, false);
	test_msix_table("MSI-X table: 2 vectors at 0x3fe0 of BAR 0", 2,
			0, 0x3fe0, true);
	test_msix_table("MSI-X table: 3 vectors at 0x3fe0 of BAR 0", 3,
			0, 0x3fe0, false);
	test_msix_table("MSI-X table: at 0xfffffff8 of BAR 0", 1, 0,
			0xfffffff8, false);
	test_msix_table("MSI-X table: in BAR 2, no memory BAR", 1, 2,
			0, false);
	test_msix_table("MSI-X table: BIR 6", 1, 6, 0, false);
	test_msix_table("MSI-X table: BIR 7", 1, 7, 0, false);
	test_loop();
	test_loop_pm();
	test_second_msix();
	test_entry();
	return unit_done();
}
