// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: kmod/spec.c, the domain spec's framing, compiled for
 * userspace (kshim/ maps the few kernel calls it makes).  Every string
 * is checked where the caller's bytes end, under ASan: a spec copied to
 * the byte is read no further than its length.
 */
#include <linux/types.h>

#include "drvbox.h"
#include "spec.h"
#include "unit.h"

/* A copy of @len bytes of @s to the byte, so ASan sees any overrun. */
static bool check(bool (*fn)(const char *, u32), const char *s, size_t len)
{
	uint8_t *p = unit_alloc(len);
	bool ok;

	memcpy(p, s, len);
	ok = fn((const char *)p, len);
	free(p);
	return ok;
}

#define SPEC(lit)	lit, sizeof(lit)

static void valid(const char *what, bool want, const char *s, size_t len)
{
	unit_result(check(spec_valid, s, len) == want, what, "expected %s",
		    want ? "valid" : "refused");
}

static void drivers(const char *what, bool want, const char *s, size_t len)
{
	unit_result(check(spec_drivers_valid, s, len) == want, what,
		    "expected %s", want ? "valid" : "refused");
}

static void test_spec_valid(void)
{
	char many[17 * 16 + 16], export[64 + 16];
	size_t n = 0;
	int i;

	valid("a kernel alone", true, SPEC("kernel=/boot/vmlinuz"));
	valid("everything", true, SPEC("kernel=/k\0module=nvme\0param=nvme.x=1\0"
				       "pci=0000:00:03.0\0export=blk:nvme0n1\0cmdline=quiet"));
	valid("no kernel", false, SPEC("module=nvme"));
	valid("two kernels", false, SPEC("kernel=/a\0kernel=/b"));
	valid("length 0", false, "", 0);
	valid("not NUL-terminated", false, "kernel=/k", 9);
	valid("an empty string", false, SPEC("kernel=/k\0\0module=x"));
	valid("an unknown key", false, SPEC("kernel=/k\0colour=blue"));
	valid("a key without a value", false, SPEC("kernel=/k\0module="));
	valid("a key without '='", false, SPEC("kernel=/k\0module"));
	valid("a control byte", false, SPEC("kernel=/k\0cmdline=a\tb"));
	valid("a byte past ASCII", false, SPEC("kernel=/k\0cmdline=caf\xc3\xa9"));

	/* exports: the spec must fit drvbox_export_status.spec with its NUL */
	n = snprintf(export, sizeof(export), "kernel=/k%cexport=blk:%0*d", 0,
		     (int)sizeof(((struct drvbox_export_status *)0)->spec) - 5, 0);
	valid("the longest export", true, export, n + 1);
	n = snprintf(export, sizeof(export), "kernel=/k%cexport=blk:%0*d", 0,
		     (int)sizeof(((struct drvbox_export_status *)0)->spec) - 4, 0);
	valid("an export one byte too long", false, export, n + 1);

	n = snprintf(many, sizeof(many), "kernel=/k") + 1;
	for (i = 0; i < DRVBOX_MAX_MODULES; i++)
		n += snprintf(many + n, sizeof(many) - n, "module=m%d", i) + 1;
	valid("DRVBOX_MAX_MODULES modules", true, many, n);
	n += snprintf(many + n, sizeof(many) - n, "module=one-more") + 1;
	valid("one module too many", false, many, n);
}

static void test_drivers_valid(void)
{
	drivers("a module", true, SPEC("module=e1000e"));
	drivers("modules and parameters", true,
		SPEC("module=nvme\0param=nvme.io_queue_depth=64\0module=/x/flaky.ko"));
	drivers("parameters alone", false, SPEC("param=nvme.x=1"));
	drivers("a kernel", false, SPEC("module=a\0kernel=/k"));
	drivers("an export", false, SPEC("module=a\0export=net:eth0"));
	drivers("a device", false, SPEC("module=a\0pci=0000:00:03.0"));
	drivers("a command line", false, SPEC("module=a\0cmdline=quiet"));
	drivers("not NUL-terminated", false, "module=a", 8);
}

static void test_with_drivers(void)
{
	static const char spec[] = "kernel=/k\0module=old\0param=old.x=1\0"
				   "export=blk:a\0module=dep\0cmdline=quiet";
	static const char drv[] = "module=new\0param=new.y=2";
	static const char want[] = "kernel=/k\0export=blk:a\0cmdline=quiet\0"
				   "module=new\0param=new.y=2";
	u32 len = 0;
	char *out;

	out = spec_with_drivers(spec, sizeof(spec), drv, sizeof(drv), &len);
	if (!out) {
		unit_result(false, "with new drivers", "out of memory");
		return;
	}
	unit_eq("with new drivers: length", len, sizeof(want));
	unit_bytes("with new drivers: the old ones out, the rest in order",
		   (const uint8_t *)out, (const uint8_t *)want,
		   len < sizeof(want) ? len : sizeof(want));
	unit_result(spec_valid(out, len), "with new drivers: still a spec",
		    "spec_valid() refused it");
	free(out);
}

/* The serial of @dev in @dom, as a string (it has no NUL when full). */
static void serial(const char *what, const char *dom, const char *dev,
		   const char *want)
{
	char out[SPEC_SERIAL_LEN + 1] = "";

	spec_blk_serial(out, dom, dev);
	unit_result(!strcmp(out, want), what, "got \"%s\", expected \"%s\"",
		    out, want);
}

static void test_blk_serial(void)
{
	char a[SPEC_SERIAL_LEN + 1] = "", b[SPEC_SERIAL_LEN + 1] = "";

	serial("serial: all of it", "t0", "nullb0", "drvbox-t0-nullb0");
	serial("serial: 20 bytes exactly", "dom45", "nvme0n1", "drvbox-dom45-nvme0n1");
	serial("serial: without the prefix", "blkfs", "fakeblk0", "blkfs-fakeblk0");
	/* hashes: FNV-1a of the domain name, folded to 16 bits */
	serial("serial: the domain cut, its hash after it", "storage-prod-a",
	       "nvme0n1", "storage~4b8e-nvme0n1");
	serial("serial: the other domain", "storage-prod-b", "nvme0n1",
	       "storage~4e23-nvme0n1");
	serial("serial: a device name of 19 bytes keeps its tail", "d1",
	       "abcdefghijklmnopqrs", "~9bfb-fghijklmnopqrs");
	spec_blk_serial(a, "storage-prod-a", "nvme0n1");
	spec_blk_serial(b, "storage-prod-b", "nvme0n1");
	unit_result(strcmp(a, b) != 0, "serial: domains that differ past the cut differ",
		    "both \"%s\"", a);
	spec_blk_serial(a, "a-domain-with-a-31-byte-name-xy", "abcdefghijklmnopqrstuvwxyz01");
	unit_eq("serial: a full one has no NUL", strnlen(a, SPEC_SERIAL_LEN),
		SPEC_SERIAL_LEN);
}

int main(void)
{
	test_spec_valid();
	test_drivers_valid();
	test_with_drivers();
	test_blk_serial();
	return unit_done();
}
