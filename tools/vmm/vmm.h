/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox-vmm: the small VMM that runs one incarnation of a driver domain.
 *
 * One file per job, kvmtool-style; every function is named
 * <file>__<verb>().  The guest-physical layout below is fixed: nothing in
 * the guest can move it (BAR relocation is ignored).
 */
#ifndef DRVBOX_VMM_H
#define DRVBOX_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kvm.h>

#define VMM_NAME		"drvbox-vmm"

/* Guest-physical layout (see docs/vmm.md). */
#define GPA_GDT			0x00001000ULL
#define GPA_ZERO_PAGE		0x00007000ULL
#define GPA_PML4		0x00009000ULL
#define GPA_PDPT		0x0000a000ULL
#define GPA_PD			0x0000b000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define GPA_CMDLINE		0x00020000ULL
#define CMDLINE_MAX		4096
#define GPA_EBDA		0x0009fc00ULL	/* e820 hole 0x9fc00-0x100000 */
#define GPA_MPTABLE		0x000f0000ULL	/* scanned by Linux: 0xf0000-0xfffff */
#define GPA_HIMEM		0x00100000ULL
#define GPA_PCI_MMIO		0xc0000000ULL	/* PCI window below 4 GiB ... */
#define GPA_PCI_MMIO_END	0xfec00000ULL	/* ... up to the IOAPIC */
#define GPA_4G			0x100000000ULL
#define GPA_TSS			0xfffbd000ULL
#define GPA_IDENTITY_MAP	0xfffbc000ULL

#define SERIAL_IRQ		4
#define MSI_GSI_BASE		24		/* GSIs 0-23: IOAPIC pins */
#define MSI_MAX_GSIS		512		/* MSI routes, all devices */

/* Exit codes. */
#define VMM_EXIT_STOPPED	0		/* SIGTERM/SIGINT or --until */
#define VMM_EXIT_ERROR		1		/* start or VMM error */
#define VMM_EXIT_GUEST		2		/* the guest died */

struct vmm_module {
	char *host_path;		/* file on the host */
	char *file;			/* basename in the initramfs */
	char *params;			/* "k=v k2=v2", may be NULL */
	bool requested;			/* named by the user, not a dependency */
	uint8_t *data;			/* its ELF once read (by path), or NULL; drivers__build() frees it */
	size_t len;
};

#define VMM_MAX_MODULES		64
#define VMM_MAX_PCI		8		/* guest slots 2..9 */

struct vmm_config {
	bool standalone;
	const char *domain;		/* NULL in standalone mode */
	unsigned int incarnation;
	const char *kernel;
	const char *log_path;		/* standalone: file or "-" */
	const char *until;		/* standalone: stop when the console shows it */
	unsigned int timeout_s;		/* standalone: give up after this */
	char *extra_cmdline;
	const char *module_args[VMM_MAX_MODULES];
	unsigned int nr_module_args;
	const char *param_args[VMM_MAX_MODULES];
	unsigned int nr_param_args;
	uint64_t mem_bytes;
	unsigned int vcpus;
	bool bzimage;			/* boot through the bzImage's decompressor */
	const char *image_dir;		/* boot images; NULL: none */
	const char *pci_args[VMM_MAX_PCI];	/* BDFs to pass through */
	unsigned int nr_pci_args;
};

struct vmm {
	struct vmm_config cfg;
	int kvm_fd, vm_fd;
	int vcpu_fds[16];
	struct kvm_run *runs[16];
	size_t run_size;
	uint8_t *ram;			/* host mapping of guest RAM */
	uint64_t ram_bytes;
	uint64_t ram_low;		/* bytes mapped at GPA 0 */
	uint8_t *shared;		/* the shared area (BAR 2) */
	uint32_t shared_bytes;
	uint8_t *drivers;		/* the drivers (BAR 4) */
	uint64_t drivers_bytes;		/* used of DRVBOX_DRIVERS_BAR_SIZE */
	unsigned int nr_doorbells, nr_vectors;
	int doorbell_fds[16], irq_fds[16];
	char kver[128];			/* guest kernel version */
	char kversion[256];		/* and its whole version string */
	uint64_t kernel_entry;
	uint64_t initrd_gpa, initrd_size;
	uint64_t start_ns;		/* for boot time figures */
	bool restored;			/* started from a boot image */
};

extern struct vmm vmm;

/* Little-endian fields of config space and device registers, @len <= 8. */
static inline uint64_t get_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void put_le(uint8_t *p, uint64_t v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

/* util.c */
void vmm__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmm__mlock(int flags);
void vmm__io_flusher(void);
void vmm__die_start(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void vmm__die_vmm(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void vmm__end(int kind, int code, const char *reason) __attribute__((noreturn));
uint64_t vmm__now_ns(void);
void vmm__report_memory(void);
void *vmm__xmalloc(size_t n);
char *vmm__xstrdup(const char *s);
int vmm__read_file(const char *path, uint8_t **data, size_t *len);
ssize_t vmm__pread_all(int fd, void *buf, size_t len, uint64_t off);
#define VMM_HASH_SEED	0xcbf29ce484222325ULL	/* FNV-1a offset basis */
uint64_t vmm__hash(uint64_t h, const void *p, size_t len);
void vmm__prune_dir(const char *dir, const char *suffix, unsigned int max);
void *vmm__gpa(uint64_t gpa, uint64_t len);

/* console.c: the console log */
void console__open(void);
void console__put(uint8_t c);
void console__puts(const uint8_t *buf, size_t len);
void console__flush(void);
void console__start_marker(void);
void console__end_marker(const char *reason);
const char *console__panic_line(void);

/* supervisor_link.c */
void supervisor__attach(void);
void supervisor__get_spec(void);
void supervisor__set_eventfds(void);
void supervisor__report(int kind, const char *msg);
bool supervisor__attached(void);
void supervisor__populate(uint64_t off, uint64_t len);
int supervisor__load_ram(int fd, uint64_t pos, uint64_t off, uint64_t len);

/* kvm.c */
void kvm__open(void);
void kvm__create_vm(void);
void kvm__set_memory(void);
bool kvm__prefault(uint64_t off, uint64_t bytes);
void kvm__add_memslot(uint32_t slot, uint64_t gpa, uint64_t size, void *host);
void kvm__add_memslot_readonly(uint32_t slot, uint64_t gpa, uint64_t size,
			       void *host);
void kvm__create_vcpus(void);
void kvm__setup_boot_regs(void);
unsigned int kvm__tsc_khz(void);
void kvm__irq_line(uint32_t irq, int level);
unsigned int kvm__alloc_msi_gsis(unsigned int n);
void kvm__set_msi_route(unsigned int gsi, bool enabled, uint64_t addr,
			uint32_t data);
void kvm__run_vcpus(void);
void kvm__pause_all(unsigned int timeout_ms);

/* vcpu_state.c: what KVM holds of a paused VM (docs/recovery.md) */
#define VCPU_STATE_MAX_MSRS	256
#define VM_STATE_CHIPS		3	/* PIC master, PIC slave, IOAPIC */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_debugregs debugregs;
	uint32_t nr_msrs;
	uint32_t padding;
	struct kvm_msr_entry msrs[VCPU_STATE_MAX_MSRS];
};
struct vm_state {
	struct kvm_irqchip chips[VM_STATE_CHIPS];
	struct kvm_pit_state2 pit;
};
int vcpu_state__save(int fd, struct vcpu_state *s);
int vcpu_state__restore(int fd, const struct vcpu_state *s);
const struct vcpu_state *kvm__paused_state(unsigned int i);

/* hang_report.c */
void hang_report__log(void);
int vm_state__save(struct vm_state *s);
int vm_state__restore(const struct vm_state *s);

/* The emulated devices' state, for the boot image. */
#define DEV_STATE_PCI_SLOTS	32
struct dev_state {
	uint8_t uart[8];		/* serial.c */
	uint8_t rtc_index;		/* rtc.c */
	uint8_t padding[3];
	uint32_t pci_config_addr;	/* pci.c */
	uint32_t pci_present;		/* bit per slot */
	uint32_t pci_sizing;		/* a BAR was left mid-sizing */
	uint8_t pci_cfg[DEV_STATE_PCI_SLOTS][256];
};
void serial__save(struct dev_state *s);
void serial__restore(const struct dev_state *s);
void rtc__save(struct dev_state *s);
void rtc__restore(const struct dev_state *s);
void pci__save(struct dev_state *s);
int pci__restore(const struct dev_state *s);

/* image.c: save the VM at the boot image point, start from it later */
void image__prepare(const char *cmdline);
bool image__restore(void);
bool image__io(uint16_t port, bool write, uint8_t *data, uint32_t len,
	       bool *save);
int image__save(const struct vcpu_state *vcpus, unsigned int n);
void image__guest_died(void);

/* log_port.c: the guest's console through a page of its RAM */
bool log_port__io(uint16_t port, bool write, uint8_t *data, uint32_t len);

/* kvm.c: pausing every vCPU, for image__save() */
uint64_t kvm__cpuid_hash(void);

/* boot.c */
void boot__probe_kernel(void);
uint64_t boot__load_address(void);
void boot__load(const char *cmdline, const uint8_t *initrd, size_t initrd_len);

/* vmlinux.c: the kernel unpacked once, booted without its decompressor */
bool vmlinux__load(const uint8_t *payload, size_t len, uint64_t *entry,
		   uint64_t *end);

/* mptable.c */
void mptable__write(unsigned int ncpus);

/* serial.c */
void serial__init(void);
bool serial__io(uint16_t port, bool write, uint8_t *data);

/* rtc.c */
bool rtc__io(uint16_t port, bool write, uint8_t *data);

/* pci.c: a host bridge and a registry of devices */
struct pci_device;
struct pci_bar {
	uint64_t size;			/* 0: unused */
	uint64_t gpa;			/* fixed */
	bool mem64, prefetch, io;
	bool sizing;			/* guest wrote all ones */
	/* MMIO exit inside this BAR; NULL: memslot/ioeventfd only */
	void (*mmio)(struct pci_device *dev, uint64_t off, bool write,
		     uint8_t *data, uint32_t len);
	/* the same, told which BAR (passthrough devices); mmio wins if both */
	void (*bar_mmio)(struct pci_device *dev, int bar, uint64_t off,
			 bool write, uint8_t *data, uint32_t len);
};
struct pci_device {
	const char *name;
	uint8_t slot;
	uint8_t cfg[256];
	uint8_t wmask[256];		/* bits the guest may change */
	struct pci_bar bars[6];
	bool relocation_logged;
	/* before cfg[] dword @off is read (passthrough: refresh from the device) */
	void (*cfg_read)(struct pci_device *dev, uint32_t off);
	/* after a config write has been applied to cfg[] */
	void (*cfg_written)(struct pci_device *dev, uint32_t off, uint32_t len);
	void *priv;
};
void pci__init(void);
void pci__register(struct pci_device *dev);
uint64_t pci__alloc_mmio(uint64_t size);
bool pci__io(uint16_t port, bool write, uint8_t *data, uint32_t len);
bool pci__mmio(uint64_t gpa, bool write, uint8_t *data, uint32_t len);
void pci__set_bar(struct pci_device *dev, int bar, uint64_t size, bool mem64,
		  bool prefetch);

/* pci_caps.c: a passthrough device's MSI and MSI-X capabilities */
struct pci_caps {
	uint8_t msix;			/* offset in config space; 0: none */
	unsigned int msix_n;		/* vectors */
	int msix_bar;
	uint64_t msix_table_off;	/* in that BAR */
	uint8_t msi;			/* offset in config space; 0: none */
	bool msi_64, msi_pvm;
};
void pci_caps__setup(const char *name, uint8_t *cfg, uint8_t *wmask,
		     uint8_t *emulated, const uint64_t bar_size[6],
		     struct pci_caps *caps);
bool pci_caps__msix_entry(const struct pci_caps *caps, int bar, uint64_t off,
			  unsigned int *entry, unsigned int *word);

/* drvbox_dev.c */
void drvbox_dev__init(void);
bool drvbox_dev__stub_seen(void);

/* vfio.c: PCI passthrough of vmm.cfg.pci_args at slots 2, 3, ... */
void vfio__init(void);

/* initramfs.c */
struct cpio {
	uint8_t *buf;
	size_t len, cap;
	unsigned int ino;
};
void cpio__dir(struct cpio *c, const char *path);
void cpio__file(struct cpio *c, const char *path, unsigned int mode,
		const void *data, size_t len);
void cpio__chardev(struct cpio *c, const char *path, unsigned int mode,
		   unsigned int major, unsigned int minor);
void cpio__finish(struct cpio *c);
void initramfs__locate(void);
const char *initramfs__init_path(void);
const char *initramfs__stub_path(void);
void initramfs__build(struct cpio *c);

/* drivers.c */
void drivers__build(const struct vmm_module *mods, unsigned int nr_mods);

/* unpack.c */
void unpack__module(const char *path, uint8_t **data, size_t *len);
size_t unpack__suffix_len(const char *name);

/* modules.c */
unsigned int modules__resolve(struct vmm_module *mods, unsigned int max);

#endif /* DRVBOX_VMM_H */
