// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the drvbox PCI device at 00:01.0 (uapi/drvbox_guest.h).
 *
 * BAR 0 (16 KiB): four read-only registers, the doorbells and the MSI-X
 * table and PBA.  Doorbells are KVM ioeventfds: a guest write never leaves
 * the kernel, drvbox.ko waits on the eventfd.  The MSI-X table is emulated
 * here; each vector's irqfd is bound for good to GSI MSI_GSI_BASE + i, and
 * what the guest programs (address, data, mask, enable) only changes that
 * GSI's MSI route.  BAR 2 is the shared area, a memslot; BAR 4 the
 * drivers (drivers.c), another.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "drvbox.h"
#include "drvbox_guest.h"
#include "vmm.h"

#define DRVBOX_SLOT		1
#define MSIX_CAP		0x40
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_MASKED	0x1
#define SHARED_SLOT		1	/* KVM memslots */
#define DRIVERS_SLOT		3
#define SHARED_HOST_SLOT	4

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pci_device drvbox_pci = { .name = "drvbox device",
					.slot = DRVBOX_SLOT };
/* per vector: address lo, address hi, data, control (masked at reset) */
static uint32_t msix_table[DRVBOX_MAX_VECTORS][4];

static uint16_t drvbox_dev__msix_ctrl(void)
{
	return drvbox_pci.cfg[MSIX_CAP + 2] | drvbox_pci.cfg[MSIX_CAP + 3] << 8;
}

/*
 * Make vector @i's GSI route match what the guest programmed.
 *
 * While a vector is masked its GSI has no route, so a signal on its irqfd
 * is lost instead of latched in the PBA.  To lose nothing, a vector that
 * becomes deliverable again is fired once: the guest may see a spurious
 * interrupt (the stub's handler checks command_seq), never a missing one.
 */
static void drvbox_dev__update_vector(unsigned int i)
{
	static bool deliverable[DRVBOX_MAX_VECTORS];
	uint16_t ctrl = drvbox_dev__msix_ctrl();
	uint32_t *e = msix_table[i];
	bool on = (ctrl & MSIX_CTRL_ENABLE) && !(ctrl & MSIX_CTRL_MASKALL) &&
		  !(e[3] & MSIX_ENTRY_MASKED);

	kvm__set_msi_route(MSI_GSI_BASE + i, on, e[0] | (uint64_t)e[1] << 32, e[2]);
	if (on && !deliverable[i] && eventfd_write(vmm.irq_fds[i], 1) < 0)
		vmm__log("vector %u: eventfd_write: %s", i, strerror(errno));
	deliverable[i] = on;
}

/* Set once the stub has enabled MSI-X: its probe got that far. */
static bool stub_seen;

bool drvbox_dev__stub_seen(void)
{
	return __atomic_load_n(&stub_seen, __ATOMIC_RELAXED);
}

static void drvbox_dev__cfg_written(struct pci_device *dev, uint32_t off,
				    uint32_t len)
{
	unsigned int i;

	(void)dev;
	if (off + len <= MSIX_CAP + 2 || off >= MSIX_CAP + 4)
		return;
	if (drvbox_dev__msix_ctrl() & MSIX_CTRL_ENABLE)
		__atomic_store_n(&stub_seen, true, __ATOMIC_RELAXED);
	pthread_mutex_lock(&dev_lock);
	for (i = 0; i < vmm.nr_vectors; i++)
		drvbox_dev__update_vector(i);
	pthread_mutex_unlock(&dev_lock);
}

static uint32_t drvbox_dev__reg_read(uint64_t off)
{
	switch (off) {
	case DRVBOX_BAR0_MAGIC:		return DRVBOX_BAR0_MAGIC_VALUE;
	case DRVBOX_BAR0_VERSION:	return DRVBOX_GUEST_PROTO_VERSION;
	case DRVBOX_BAR0_NR_DOORBELLS:	return vmm.nr_doorbells;
	case DRVBOX_BAR0_NR_VECTORS:	return vmm.nr_vectors;
	default:			return 0;
	}
}

static void drvbox_dev__bar0(struct pci_device *dev, uint64_t off, bool write,
			     uint8_t *data, uint32_t len)
{
	uint64_t v = 0;
	uint32_t i;

	(void)dev;
	if (write)
		for (i = 0; i < len; i++)
			v |= (uint64_t)data[i] << (8 * i);

	pthread_mutex_lock(&dev_lock);
	if (off >= DRVBOX_BAR0_MSIX_TABLE &&
	    off < DRVBOX_BAR0_MSIX_TABLE + vmm.nr_vectors * MSIX_ENTRY_SIZE &&
	    (len == 4 || len == 8) && !(off & 3)) {
		unsigned int vec = (off - DRVBOX_BAR0_MSIX_TABLE) / MSIX_ENTRY_SIZE;
		unsigned int w = (off % MSIX_ENTRY_SIZE) / 4;

		if (len == 8 && w == 3)
			len = 4;	/* would cross into the next entry */
		if (write) {
			msix_table[vec][w] = (uint32_t)v;
			if (len == 8)
				msix_table[vec][w + 1] = v >> 32;
			drvbox_dev__update_vector(vec);
		} else {
			v = msix_table[vec][w];
			if (len == 8)
				v |= (uint64_t)msix_table[vec][w + 1] << 32;
		}
	} else if (!write && off < 0x10 && len == 4) {
		v = drvbox_dev__reg_read(off);
	} else if (!write) {
		v = 0;	/* PBA (nothing pending is tracked), holes */
	}
	/* other writes: registers are read-only, doorbells are ioeventfds */
	pthread_mutex_unlock(&dev_lock);
	if (!write)
		for (i = 0; i < len; i++)
			data[i] = v >> (8 * i);
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 4096;

	while (p < v)
		p <<= 1;
	return p;
}

static void drvbox_dev__config_space(void)
{
	uint8_t *c = drvbox_pci.cfg;
	uint16_t ctrl = vmm.nr_vectors - 1;

	c[0x00] = DRVBOX_PCI_VENDOR_ID & 0xff;
	c[0x01] = DRVBOX_PCI_VENDOR_ID >> 8;
	c[0x02] = DRVBOX_PCI_DEVICE_ID & 0xff;
	c[0x03] = DRVBOX_PCI_DEVICE_ID >> 8;
	c[0x06] = 0x10;			/* status: capability list */
	c[0x08] = 0x01;			/* revision */
	c[0x0b] = 0xff;			/* class: unassigned */
	c[0x2c] = c[0x00];		/* subsystem = device */
	c[0x2d] = c[0x01];
	c[0x2e] = c[0x02];
	c[0x2f] = c[0x03];
	c[0x34] = MSIX_CAP;
	c[0x3d] = 0;			/* no INTx */

	c[MSIX_CAP] = 0x11;		/* MSI-X */
	c[MSIX_CAP + 1] = 0;		/* last capability */
	c[MSIX_CAP + 2] = ctrl & 0xff;
	c[MSIX_CAP + 3] = ctrl >> 8;
	drvbox_pci.wmask[MSIX_CAP + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
	c[MSIX_CAP + 4] = DRVBOX_BAR0_MSIX_TABLE & 0xff;	/* BIR 0 */
	c[MSIX_CAP + 5] = DRVBOX_BAR0_MSIX_TABLE >> 8;
	c[MSIX_CAP + 8] = DRVBOX_BAR0_MSIX_PBA & 0xff;
	c[MSIX_CAP + 9] = DRVBOX_BAR0_MSIX_PBA >> 8;
}

/* Doorbells -> ioeventfds, vectors -> irqfds on fixed GSIs. */
static void drvbox_dev__bind_eventfds(void)
{
	uint64_t bar0 = drvbox_pci.bars[0].gpa;
	unsigned int i;

	for (i = 0; i < vmm.nr_doorbells; i++) {
		struct kvm_ioeventfd io = {
			.addr = bar0 + DRVBOX_BAR0_DOORBELL(i),
			.len = 4,
		};
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0)
			vmm__die_start("eventfd: %s", strerror(errno));
		io.fd = fd;
		if (ioctl(vmm.vm_fd, KVM_IOEVENTFD, &io) < 0)
			vmm__die_start("KVM_IOEVENTFD doorbell %u: %s", i,
				       strerror(errno));
		vmm.doorbell_fds[i] = fd;
	}
	for (i = 0; i < vmm.nr_vectors; i++) {
		struct kvm_irqfd irqfd = { .gsi = MSI_GSI_BASE + i };
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0)
			vmm__die_start("eventfd: %s", strerror(errno));
		irqfd.fd = fd;
		if (ioctl(vmm.vm_fd, KVM_IRQFD, &irqfd) < 0)
			vmm__die_start("KVM_IRQFD vector %u: %s", i, strerror(errno));
		vmm.irq_fds[i] = fd;
	}
}

void drvbox_dev__init(void)
{
	struct pci_bar *bar0 = &drvbox_pci.bars[0];

	if (!vmm.nr_vectors || vmm.nr_vectors > DRVBOX_MAX_VECTORS ||
	    vmm.nr_doorbells > DRVBOX_MAX_DOORBELLS)
		vmm__die_start("drvbox device: bad doorbell/vector counts");
	drvbox_dev__config_space();
	for (unsigned int i = 0; i < DRVBOX_MAX_VECTORS; i++)
		msix_table[i][3] = MSIX_ENTRY_MASKED;
	pci__set_bar(&drvbox_pci, 0, DRVBOX_BAR0_SIZE, false, false);
	bar0->mmio = drvbox_dev__bar0;
	/*
	 * The shared area's page 0 is the host's (uapi/drvbox_guest.h): the
	 * guest reads it, and its writes there are dropped.  So is the
	 * drivers area, which the guest only reads.
	 */
	pci__set_bar(&drvbox_pci, 2, pow2_at_least(vmm.shared_bytes), true, true);
	kvm__add_memslot_readonly(SHARED_HOST_SLOT, drvbox_pci.bars[2].gpa,
				  DRVBOX_SHARED_GUEST_OFFSET, vmm.shared);
	kvm__add_memslot(SHARED_SLOT,
			 drvbox_pci.bars[2].gpa + DRVBOX_SHARED_GUEST_OFFSET,
			 vmm.shared_bytes - DRVBOX_SHARED_GUEST_OFFSET,
			 vmm.shared + DRVBOX_SHARED_GUEST_OFFSET);
	pci__set_bar(&drvbox_pci, 4, DRVBOX_DRIVERS_BAR_SIZE, true, true);
	kvm__add_memslot_readonly(DRIVERS_SLOT, drvbox_pci.bars[4].gpa,
				  DRVBOX_DRIVERS_BAR_SIZE, vmm.drivers);
	drvbox_pci.cfg_written = drvbox_dev__cfg_written;
	pci__register(&drvbox_pci);
	drvbox_dev__bind_eventfds();
}
