// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: loading a bzImage with the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst).
 *
 * The protected-mode kernel goes to its preferred address, the initramfs to
 * the top of low RAM, and the vCPU starts at the 64-bit entry (load + 0x200)
 * with an identity map of the first 4 GiB, a flat GDT and RSI pointing at
 * the zero page (boot_params) we fill with the setup header, e820 map,
 * command line and ramdisk.  Unless --bzimage: then the kernel itself,
 * unpacked once and cached (vmlinux.c), goes where it was linked and the
 * vCPU starts at its ELF entry, skipping the decompressor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asm/bootparam.h>

#include "vmm.h"

#define SETUP_HDR_OFFSET	0x1f1
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_PROTO_MIN		0x20c		/* 2.12: XLF_KERNEL_64 */
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2

static uint8_t *kernel_image;
static size_t kernel_size;
static struct setup_header hdr;

/*
 * The start of the image: the setup header and the version string the
 * header points at, both inside the real-mode setup code (at most 64
 * sectors).  An incarnation restored from its boot image needs no more.
 */
#define KERNEL_HEAD_BYTES	(128 * 1024)

static size_t boot__read_head(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		vmm__die_start("kernel image %s: %s", path, strerror(errno));
	n = vmm__pread_all(fd, buf, cap, 0);
	close(fd);
	if (n < 0)
		vmm__die_start("kernel image %s: %s", path, strerror(-n));
	return n;
}

/* Read the image's header; fills vmm.kver. */
void boot__probe_kernel(void)
{
	const char *path = vmm.cfg.kernel;
	uint8_t *head = vmm__xmalloc(KERNEL_HEAD_BYTES);
	size_t ver_off, n, len;

	len = boot__read_head(path, head, KERNEL_HEAD_BYTES);
	if (len < 0x1000)
		vmm__die_start("kernel image %s: not a bzImage (too small)", path);
	memcpy(&hdr, head + SETUP_HDR_OFFSET, sizeof(hdr));
	if (hdr.header != HDRS_MAGIC || hdr.boot_flag != 0xaa55)
		vmm__die_start("kernel image %s: not a bzImage (no HdrS header)", path);
	if (hdr.version < BOOT_PROTO_MIN || !(hdr.xloadflags & XLF_KERNEL_64) ||
	    !(hdr.loadflags & LOADED_HIGH))
		vmm__die_start("kernel image %s: boot protocol %u.%02u without a 64-bit entry point (need 2.12+)",
			       path, hdr.version >> 8, hdr.version & 0xff);

	/* kernel_version points (minus 0x200) at "6.12.1-amd64 (user@host) #1 ..." */
	ver_off = hdr.kernel_version + 0x200;
	vmm.kver[0] = '\0';
	vmm.kversion[0] = '\0';
	if (hdr.kernel_version && ver_off < len) {
		for (n = 0; n < sizeof(vmm.kversion) - 1 && ver_off + n < len &&
			    head[ver_off + n]; n++)
			vmm.kversion[n] = head[ver_off + n];
		vmm.kversion[n] = '\0';
		/* the release: its first word */
		snprintf(vmm.kver, sizeof(vmm.kver), "%.*s",
			 (int)strcspn(vmm.kversion, " "), vmm.kversion);
	}
	free(head);
	if (!vmm.kver[0])
		vmm__die_start("kernel image %s: no kernel version string in its header",
			       path);
}

/* Where the kernel runs without KASLR: its physical load address. */
uint64_t boot__load_address(void)
{
	return hdr.pref_address;
}

static void boot__page_tables(void)
{
	uint64_t *pml4 = vmm__gpa(GPA_PML4, 4096);
	uint64_t *pdpt = vmm__gpa(GPA_PDPT, 4096);
	uint64_t *pd = vmm__gpa(GPA_PD, 4 * 4096);
	unsigned int i;

	/* identity map of 0-4 GiB with 2 MiB pages: kernel, zero page, cmdline */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = GPA_PDPT | 0x3;		/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (GPA_PD + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* present, writable, 2M */
}

static void boot__gdt(void)
{
	uint64_t *gdt = vmm__gpa(GPA_GDT, 4 * 8);

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;	/* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL;	/* 0x18: data */
}

static void boot__e820_add(struct boot_params *bp, uint64_t addr,
			   uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

/*
 * 0-0x9fc00 RAM, 0x9fc00-0xa0000 and 0xf0000-0x100000 reserved (EBDA and
 * the BIOS area holding the MP table), 1 MiB-end of low RAM, and RAM above
 * 4 GiB if the guest is bigger than the space below the PCI window.
 */
static void boot__e820(struct boot_params *bp)
{
	boot__e820_add(bp, 0, GPA_EBDA, E820_TYPE_RAM);
	boot__e820_add(bp, GPA_EBDA, 0xa0000 - GPA_EBDA, E820_TYPE_RESERVED);
	boot__e820_add(bp, GPA_MPTABLE, GPA_HIMEM - GPA_MPTABLE,
		       E820_TYPE_RESERVED);
	boot__e820_add(bp, GPA_HIMEM, vmm.ram_low - GPA_HIMEM, E820_TYPE_RAM);
	if (vmm.ram_bytes > vmm.ram_low)
		boot__e820_add(bp, GPA_4G, vmm.ram_bytes - vmm.ram_low,
			       E820_TYPE_RAM);
}

void boot__load(const char *cmdline, const uint8_t *initrd, size_t initrd_len)
{
	size_t setup_size, pm_size, hdr_len, cmd_len = strlen(cmdline);
	uint64_t load, load_end, initrd_max, initrd_gpa, kernel_end;
	unsigned int setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
	struct boot_params *bp;
	void *dst;
	int err;

	err = vmm__read_file(vmm.cfg.kernel, &kernel_image, &kernel_size);
	if (err)
		vmm__die_start("kernel image %s: %s", vmm.cfg.kernel, strerror(err));
	if (kernel_size < SETUP_HDR_OFFSET + sizeof(hdr) ||
	    memcmp(kernel_image + SETUP_HDR_OFFSET, &hdr, sizeof(hdr)))
		vmm__die_start("kernel image %s: changed while the VMM started",
			       vmm.cfg.kernel);
	setup_size = (setup_sects + 1) * 512;
	if (setup_size >= kernel_size)
		vmm__die_start("kernel image %s: truncated", vmm.cfg.kernel);
	pm_size = kernel_size - setup_size;

	/* A relocatable kernel goes where it prefers; others to 1 MiB. */
	load = (hdr.relocatable_kernel && hdr.pref_address) ? hdr.pref_address :
							      GPA_HIMEM;
	load_end = load + (hdr.init_size > pm_size ? hdr.init_size : pm_size);
	if (load_end > vmm.ram_low)
		vmm__die_start("guest RAM (%llu MiB) too small for the kernel (needs %llu MiB)",
			       (unsigned long long)(vmm.ram_low >> 20),
			       (unsigned long long)(load_end >> 20) + 1);
	if (vmm.cfg.bzimage || hdr.version < 0x208 || !hdr.payload_length ||
	    hdr.payload_offset > pm_size ||
	    pm_size - hdr.payload_offset < hdr.payload_length ||
	    !vmlinux__load(kernel_image + setup_size + hdr.payload_offset,
			   hdr.payload_length, &vmm.kernel_entry, &kernel_end)) {
		dst = vmm__gpa(load, pm_size);
		memcpy(dst, kernel_image + setup_size, pm_size);
		vmm.kernel_entry = load + 0x200;
	} else if (kernel_end > load_end) {
		load_end = kernel_end;
	}

	if (cmd_len >= CMDLINE_MAX || cmd_len >= hdr.cmdline_size)
		vmm__die_start("kernel command line too long (%zu bytes)", cmd_len);
	memcpy(vmm__gpa(GPA_CMDLINE, cmd_len + 1), cmdline, cmd_len + 1);

	/* The initramfs: as high as allowed in low RAM, page-aligned. */
	initrd_max = (uint64_t)hdr.initrd_addr_max + 1;
	if (initrd_max > vmm.ram_low)
		initrd_max = vmm.ram_low;
	initrd_gpa = (initrd_max - initrd_len) & ~0xfffULL;
	if (initrd_len > initrd_max || initrd_gpa < load_end)
		vmm__die_start("guest RAM (%llu MiB) too small for kernel + initramfs (%zu KiB)",
			       (unsigned long long)(vmm.ram_low >> 20),
			       initrd_len >> 10);
	memcpy(vmm__gpa(initrd_gpa, initrd_len), initrd, initrd_len);
	vmm.initrd_gpa = initrd_gpa;
	vmm.initrd_size = initrd_len;

	bp = vmm__gpa(GPA_ZERO_PAGE, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	/* the setup header as the image has it, up to its stated end */
	hdr_len = 0x202 + kernel_image[0x201] - SETUP_HDR_OFFSET;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, kernel_image + SETUP_HDR_OFFSET, hdr_len);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.loadflags &= ~QUIET_FLAG;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;
	bp->hdr.code32_start = load;
	bp->hdr.cmd_line_ptr = GPA_CMDLINE;
	bp->hdr.ramdisk_image = initrd_gpa;
	bp->hdr.ramdisk_size = initrd_len;
	boot__e820(bp);

	boot__page_tables();
	boot__gdt();
	free(kernel_image);
	kernel_image = NULL;
}
