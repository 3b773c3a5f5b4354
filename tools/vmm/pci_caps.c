// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the MSI and MSI-X capabilities of a passthrough device.
 *
 * vfio.c emulates both: their bytes live only in the guest's copy of
 * config space.  This file walks the device's capability list, decides
 * which bytes are ours and what the guest may write there.  It only
 * touches the arrays it is given, so selftests/unit runs it without a
 * device.
 *
 * The list comes from the device, and so from whatever an earlier
 * incarnation's driver left in it: nothing in it is trusted.  MSI or
 * MSI-X is used only if its registers fit in the 256 bytes and, for
 * MSI-X, the table lies inside one of the device's memory BARs; one of
 * each at most (VFIO has one index for each).  The first capability that
 * fails is hidden from the guest along with the rest of the list.
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

static void emulate(uint8_t *emulated, uint32_t off, uint32_t n)
{
	memset(&emulated[off], 1, n);
}

static unsigned int pci_caps__msi_len(uint16_t ctrl)
{
	return 10 + (ctrl & MSI_CTRL_64BIT ? 4 : 0) +
	       (ctrl & MSI_CTRL_PVM ? 10 : 0);
}

/* Why the MSI or MSI-X capability at @pos cannot be used; NULL: it can. */
static const char *pci_caps__unusable(const uint8_t *c, uint8_t pos,
				      const uint64_t bar_size[6],
				      const struct pci_caps *caps)
{
	uint16_t ctrl = get_le(&c[pos + 2], 2);
	uint64_t toff, tlen;
	uint32_t table;

	if (c[pos] == PCI_CAP_ID_MSI) {
		if (pos + pci_caps__msi_len(ctrl) > 256)
			return "runs past config space";
		return caps->msi ? "is a second MSI" : NULL;
	}
	if (pos + 12 > 256)
		return "runs past config space";
	if (caps->msix)
		return "is a second MSI-X";
	table = get_le(&c[pos + 4], 4);
	toff = table & ~7U;
	tlen = ((ctrl & 0x7ff) + 1) * MSIX_ENTRY_SIZE;
	if ((table & 7) >= 6 || !bar_size[table & 7])
		return "has its table in no memory BAR";
	if (toff + tlen > bar_size[table & 7])
		return "has its table past the end of its BAR";
	return NULL;
}

/*
 * Find MSI/MSI-X in @c (the device's 256 bytes of config space) and make
 * them ours: mark their bytes in @emulated, set what the guest may write
 * in @m (the write mask) and clear what must start cleared in @c.
 * @bar_size: the size of each memory BAR the guest gets, 0 for none.
 */
void pci_caps__setup(const char *name, uint8_t *c, uint8_t *m,
		     uint8_t *emulated, const uint64_t bar_size[6],
		     struct pci_caps *caps)
{
	uint64_t seen = 0;		/* a bit per dword of config space */
	uint8_t ptr = 0x34;		/* where the pointer to @pos is */
	uint8_t pos;

	memset(caps, 0, sizeof(*caps));
	pos = (get_le(&c[0x06], 2) & 0x10) ? c[0x34] & 0xfc : 0;
	while (pos >= 0x40) {
		uint16_t ctrl = get_le(&c[pos + 2], 2);
		const char *why = NULL;

		if (seen & 1ULL << (pos / 4))
			why = "is reached again (the list loops)";
		else if (c[pos] == PCI_CAP_ID_MSI || c[pos] == PCI_CAP_ID_MSIX)
			why = pci_caps__unusable(c, pos, bar_size, caps);
		seen |= 1ULL << (pos / 4);
		if (why) {
			/*
			 * Hidden rather than left visible: a guest driver
			 * would enable a capability nothing here emulates and
			 * wait for interrupts that never come, where without
			 * it it falls back to MSI.  The walk stops: the rest
			 * of the list hangs off a layout already wrong, and
			 * the guest must see only what was checked.  A loop
			 * is cut where it closes, so all it went through
			 * stays visible.
			 */
			vmm__log("%s: capability %#x at %#x %s; the list now ends before it",
				 name, c[pos], pos, why);
			c[ptr] = 0;
			emulate(emulated, ptr, 1);
			m[ptr] = 0;
			break;
		}
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
			unsigned int len = pci_caps__msi_len(ctrl);

			caps->msi = pos;
			caps->msi_64 = ctrl & MSI_CTRL_64BIT;
			caps->msi_pvm = ctrl & MSI_CTRL_PVM;
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
		ptr = pos + 1;
		pos = c[pos + 1] & 0xfc;
	}
}

/*
 * Whether @off in BAR @bar is in the MSI-X table: which entry, which dword.
 * The table is only qword aligned (the BIR takes the low 3 bits), so the
 * dword comes from the offset in the table, not in the BAR.
 */
bool pci_caps__msix_entry(const struct pci_caps *caps, int bar, uint64_t off,
			  unsigned int *entry, unsigned int *word)
{
	uint64_t toff = caps->msix_table_off;

	if (!caps->msix || bar != caps->msix_bar || off < toff ||
	    off >= toff + caps->msix_n * MSIX_ENTRY_SIZE)
		return false;
	*entry = (off - toff) / MSIX_ENTRY_SIZE;
	*word = ((off - toff) % MSIX_ENTRY_SIZE) / 4;
	return true;
}
