// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: PCI bus 0 with configuration mechanism #1 (0xcf8/0xcfc).
 *
 * A host bridge at 00:00.0 (Linux's conf1 probe wants one) and a registry
 * of devices, each with a 256-byte config space, a write mask and up to six
 * BARs.  BARs live at fixed addresses handed out from the PCI window below
 * 4 GiB: sizing (all-ones write, read back the size mask) works, any other
 * address the guest writes is ignored (logged once per device), so memslots
 * and ioeventfds never move.  A VFIO passthrough device plugs in the same
 * way as drvbox_dev.c: fill a struct pci_device and pci__register() it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define PCI_MAX_SLOTS		32
#define PCI_CONFIG_ADDR		0xcf8
#define PCI_CONFIG_DATA		0xcfc

static pthread_mutex_t pci_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pci_device *slots[PCI_MAX_SLOTS];
static uint32_t config_addr;
static uint64_t mmio_next = GPA_PCI_MMIO;
static struct pci_device host_bridge = { .name = "host bridge", .slot = 0 };

/* Natural alignment, so BARs of any size can be 64-bit prefetchable. */
uint64_t pci__alloc_mmio(uint64_t size)
{
	uint64_t gpa = (mmio_next + size - 1) & ~(size - 1);

	if (gpa + size > GPA_PCI_MMIO_END || gpa + size < gpa)
		vmm__die_start("PCI window exhausted (BAR of %#llx bytes)",
			       (unsigned long long)size);
	mmio_next = gpa + size;
	return gpa;
}

void pci__set_bar(struct pci_device *dev, int bar, uint64_t size, bool mem64,
		  bool prefetch)
{
	struct pci_bar *b = &dev->bars[bar];
	uint32_t off = 0x10 + 4 * bar;

	b->size = size;
	b->mem64 = mem64;
	b->prefetch = prefetch;
	b->gpa = pci__alloc_mmio(size);
	put_le(&dev->cfg[off], (uint32_t)b->gpa | (mem64 ? 0x4 : 0) |
	       (prefetch ? 0x8 : 0), 4);
	if (mem64)
		put_le(&dev->cfg[off + 4], b->gpa >> 32, 4);
}

void pci__register(struct pci_device *dev)
{
	if (dev->slot >= PCI_MAX_SLOTS || slots[dev->slot])
		vmm__die_start("PCI slot %u for %s is taken", dev->slot, dev->name);
	/* command: I/O, memory, bus master, INTx disable; status is RO */
	dev->wmask[0x04] = 0x07;
	dev->wmask[0x05] = 0x04;
	dev->wmask[0x0c] = 0xff;	/* cache line size */
	dev->wmask[0x0d] = 0xff;	/* latency timer */
	dev->wmask[0x3c] = 0xff;	/* interrupt line */
	slots[dev->slot] = dev;
}

void pci__init(void)
{
	uint8_t *c = host_bridge.cfg;

	put_le(&c[0x00], 0x8086, 2);	/* an i440FX-like host bridge */
	put_le(&c[0x02], 0x1237, 2);
	c[0x0b] = 0x06;			/* class: bridge / host */
	c[0x0a] = 0x00;
	pci__register(&host_bridge);
}

/* The BAR dword at @off (0x10..0x27) as the guest should read it. */
static uint32_t pci__bar_read(struct pci_device *dev, uint32_t off)
{
	int i = (off - 0x10) / 4;
	struct pci_bar *b = &dev->bars[i];
	uint32_t flags;

	/* the upper half of a 64-bit BAR */
	if (i > 0 && !b->size && dev->bars[i - 1].mem64) {
		b = &dev->bars[i - 1];
		if (b->sizing)
			return ~(uint32_t)((b->size - 1) >> 32);
		return b->gpa >> 32;
	}
	if (!b->size)
		return 0;
	flags = (b->mem64 ? 0x4 : 0) | (b->prefetch ? 0x8 : 0);
	if (b->sizing)
		return (~(uint32_t)(b->size - 1) & ~0xfU) | flags;
	return (uint32_t)b->gpa | flags;
}

static void pci__bar_write(struct pci_device *dev, uint32_t off, uint32_t v)
{
	int i = (off - 0x10) / 4;
	struct pci_bar *b = &dev->bars[i];
	bool upper = false;

	if (i > 0 && !b->size && dev->bars[i - 1].mem64) {
		b = &dev->bars[i - 1];
		upper = true;
	}
	if (!b->size)
		return;
	if (v == 0xffffffff || (!upper && (v & ~0xfU) == ~0xfU)) {
		b->sizing = true;
		return;
	}
	b->sizing = false;
	if (v != (upper ? (uint32_t)(b->gpa >> 32) : (uint32_t)b->gpa) &&
	    (upper || (v & ~0xfU) != (uint32_t)b->gpa) && !dev->relocation_logged) {
		dev->relocation_logged = true;
		vmm__log("%s: guest tried to move BAR %d to %#x; BARs are fixed, ignored",
			 dev->name, (int)(b - dev->bars), v);
	}
}

/*
 * The @len bytes at @off that both of these get lie in one dword, and so
 * in the 256 bytes: pci__io() and pci__restore() see to it.
 */
static void pci__cfg_read(struct pci_device *dev, uint32_t off, uint8_t *data,
			  uint32_t len)
{
	uint8_t tmp[4];
	uint32_t dw = off & ~3U;

	if (dev->cfg_read)
		dev->cfg_read(dev, dw);
	memcpy(tmp, &dev->cfg[dw], 4);
	if (dw >= 0x10 && dw < 0x28)
		put_le(tmp, pci__bar_read(dev, dw), 4);
	memcpy(data, tmp + (off & 3), len);
}

static void pci__cfg_write(struct pci_device *dev, uint32_t off,
			   const uint8_t *data, uint32_t len)
{
	uint32_t i;

	if (off >= 0x10 && off < 0x28) {
		/* BARs are written as dwords by every sane guest */
		if (len == 4 && !(off & 3))
			pci__bar_write(dev, off, get_le(data, 4));
		return;
	}
	for (i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (data[i] & m);
	}
	if (dev->cfg_written)
		dev->cfg_written(dev, off, len);
}

bool pci__io(uint16_t port, bool write, uint8_t *data, uint32_t len)
{
	struct pci_device *dev;
	uint32_t bus, slot, fn, off, n;

	if (port >= PCI_CONFIG_ADDR && port < PCI_CONFIG_ADDR + 4) {
		pthread_mutex_lock(&pci_lock);
		/* only dword accesses address the register; 0xcfb is a probe */
		if (port == PCI_CONFIG_ADDR && len == 4) {
			if (write)
				config_addr = get_le(data, 4) & 0x80fffffcU;
			else
				put_le(data, config_addr, 4);
		} else if (!write) {
			memset(data, 0xff, len);
		}
		pthread_mutex_unlock(&pci_lock);
		return true;
	}
	if (port < PCI_CONFIG_DATA || port >= PCI_CONFIG_DATA + 4)
		return false;

	/*
	 * The data register is the dword at 0xcfc, but the guest picks the
	 * port and size: an access at 0xcfd-0xcff may run past 0xcff.  Those
	 * bytes are not config space (reads see 0xff, writes are dropped),
	 * so only @n bytes, all in the selected dword, reach the device.
	 */
	n = PCI_CONFIG_DATA + 4 - port;
	if (n > len)
		n = len;
	if (!write)
		memset(data, 0xff, len);

	pthread_mutex_lock(&pci_lock);
	bus = (config_addr >> 16) & 0xff;
	slot = (config_addr >> 11) & 0x1f;
	fn = (config_addr >> 8) & 0x7;
	off = (config_addr & 0xfc) + (port - PCI_CONFIG_DATA);
	dev = (config_addr & 0x80000000U) && bus == 0 && fn == 0 ? slots[slot] : NULL;
	if (dev && write)
		pci__cfg_write(dev, off, data, n);
	else if (dev)
		pci__cfg_read(dev, off, data, n);
	pthread_mutex_unlock(&pci_lock);
	return true;
}

bool pci__mmio(uint64_t gpa, bool write, uint8_t *data, uint32_t len)
{
	unsigned int s, i;

	if (gpa < GPA_PCI_MMIO || gpa >= GPA_PCI_MMIO_END)
		return false;
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *dev = slots[s];

		if (!dev)
			continue;
		for (i = 0; i < 6; i++) {
			struct pci_bar *b = &dev->bars[i];

			if (!b->size || (!b->mmio && !b->bar_mmio) ||
			    gpa < b->gpa || gpa + len > b->gpa + b->size)
				continue;
			if (b->mmio)
				b->mmio(dev, gpa - b->gpa, write, data, len);
			else
				b->bar_mmio(dev, i, gpa - b->gpa, write, data,
					    len);
			return true;
		}
	}
	return false;
}

/*
 * For the boot image: each device's config space as the guest left it.
 * The restore replays, through the normal write path, every dword the
 * guest may change (wmask) that differs from the freshly set-up device,
 * so passthrough devices and MSI-X routes follow as they would for a
 * guest write.  BARs are fixed, so only a BAR left mid-sizing matters.
 */
void pci__save(struct dev_state *s)
{
	unsigned int slot, i;

	pthread_mutex_lock(&pci_lock);
	s->pci_config_addr = config_addr;
	for (slot = 0; slot < PCI_MAX_SLOTS && slot < DEV_STATE_PCI_SLOTS; slot++) {
		struct pci_device *dev = slots[slot];

		if (!dev)
			continue;
		s->pci_present |= 1U << slot;
		memcpy(s->pci_cfg[slot], dev->cfg, sizeof(dev->cfg));
		for (i = 0; i < 6; i++)
			if (dev->bars[i].sizing)
				s->pci_sizing |= 1U << slot;
	}
	pthread_mutex_unlock(&pci_lock);
}

int pci__restore(const struct dev_state *s)
{
	unsigned int slot, off, i;
	uint32_t present = 0;

	if (s->pci_sizing)
		return -EINVAL;	/* not a state a booted guest is in */
	pthread_mutex_lock(&pci_lock);
	for (slot = 0; slot < PCI_MAX_SLOTS && slot < DEV_STATE_PCI_SLOTS; slot++)
		if (slots[slot])
			present |= 1U << slot;
	if (present != s->pci_present) {
		pthread_mutex_unlock(&pci_lock);
		return -ENODEV;
	}
	config_addr = s->pci_config_addr & 0x80fffffcU;
	for (slot = 0; slot < PCI_MAX_SLOTS && slot < DEV_STATE_PCI_SLOTS; slot++) {
		struct pci_device *dev = slots[slot];

		if (!dev)
			continue;
		for (off = 0; off < 256; off += 4) {
			bool differs = false;

			if (off >= 0x10 && off < 0x28)
				continue;
			for (i = off; i < off + 4; i++)
				if ((dev->cfg[i] ^ s->pci_cfg[slot][i]) &
				    dev->wmask[i])
					differs = true;
			if (differs)
				pci__cfg_write(dev, off, &s->pci_cfg[slot][off],
					       4);
		}
	}
	pthread_mutex_unlock(&pci_lock);
	return 0;
}
