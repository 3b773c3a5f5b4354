// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the MSI and MSI-X capabilities of a passthrough device.
 *
 * vfio.c emulates both: their bytes live only in the guest's copy of
 * config space.  This file walks the device's capability list, decides
 * which bytes are ours and what the guest may write there.  It only
 * touches the arrays it is given, so selftests/unit runs it without a
 * device.
 */
#include <string.h>

#include "vmm.h"

#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11
#define MSI_CTRL_ENABLE		0x0001
#define MSI_CTRL_64BIT		0x0080
#define MSI_CTRL_PVM		0x0100
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY_SIZE		16

static uint64_t get_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static void emulate(uint8_t *emulated, uint32_t off, uint32_t n)
{
	memset(&emulated[off], 1, n);
}

/*
 * Find MSI/MSI-X in @c (the device's 256 bytes of config space) and make
 * them ours: mark their bytes in @emulated, set what the guest may write
 * in @m (the write mask) and clear what must start cleared in @c.
 */
void pci_caps__setup(uint8_t *c, uint8_t *m, uint8_t *emulated,
		     struct pci_caps *caps)
{
	unsigned int guard = 0;
	uint8_t pos;

	memset(caps, 0, sizeof(*caps));
	pos = (get_le(&c[0x06], 2) & 0x10) ? c[0x34] & 0xfc : 0;
	while (pos >= 0x40 && guard++ < 48) {
		uint16_t ctrl = get_le(&c[pos + 2], 2);

		if (c[pos] == PCI_CAP_ID_MSIX) {
			uint32_t table = get_le(&c[pos + 4], 4);

			caps->msix = pos;
			caps->msix_n = (ctrl & 0x7ff) + 1;
			caps->msix_bar = table & 7;
			caps->msix_table_off = table & ~7U;
			emulate(emulated, pos, 12);
			memset(&m[pos], 0, 12);
			m[pos + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
			c[pos + 3] &= ~((MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8);
		} else if (c[pos] == PCI_CAP_ID_MSI) {
			unsigned int len;

			caps->msi = pos;
			caps->msi_64 = ctrl & MSI_CTRL_64BIT;
			caps->msi_pvm = ctrl & MSI_CTRL_PVM;
			len = 10 + (caps->msi_64 ? 4 : 0) + (caps->msi_pvm ? 10 : 0);
			emulate(emulated, pos, len);
			memset(&m[pos], 0, len);
			/* one vector: MMC = MME = 0, not enabled */
			ctrl &= ~(0x7e | MSI_CTRL_ENABLE);
			put_le(&c[pos + 2], ctrl, 2);
			m[pos + 2] = MSI_CTRL_ENABLE;
			put_le(&m[pos + 4], 0xfffffffc, 4);
			if (caps->msi_64)
				put_le(&m[pos + 8], 0xffffffff, 4);
			put_le(&m[pos + (caps->msi_64 ? 12 : 8)], 0xffff, 2);
			/* memset: put_le() of over 8 bytes would shift by 64+ */
			memset(&c[pos + 4], 0, caps->msi_64 ? 10 : 6);
			if (caps->msi_pvm) {
				m[pos + (caps->msi_64 ? 16 : 12)] = 1;
				memset(&c[pos + (caps->msi_64 ? 16 : 12)], 0, 8);
			}
		}
		pos = c[pos + 1] & 0xfc;
	}
}

/* Whether @off in BAR @bar is in the MSI-X table: which entry, which dword. */
bool pci_caps__msix_entry(const struct pci_caps *caps, int bar, uint64_t off,
			  unsigned int *entry, unsigned int *word)
{
	uint64_t toff = caps->msix_table_off;

	if (!caps->msix || bar != caps->msix_bar || off < toff ||
	    off >= toff + caps->msix_n * MSIX_ENTRY_SIZE)
		return false;
	*entry = (off - toff) / MSIX_ENTRY_SIZE;
	*word = (off % MSIX_ENTRY_SIZE) / 4;
	return true;
}
