// SPDX-License-Identifier: GPL-2.0
/*
 * dma_rogue - a test fixture: a PCI driver that makes an Intel 82574L
 * (e1000e) NIC read DMA from an address it was never given.
 *
 * It is loaded in a drvbox domain that has the NIC passed through.  The
 * guest has no IOMMU of its own: guest-physical addresses are the IOVAs the
 * VMM mapped for the device, so a transmit ring placed at @iova (default
 * 128 GiB, far beyond any domain's memory) makes the NIC fetch a descriptor
 * from an address the host's IOMMU has no mapping for.  The host must log
 * an IOMMU fault for the device and nothing else happens: the fetch is
 * blocked, the host and the domain carry on.
 *
 * Nothing else in the NIC is set up; the driver only resets it, masks its
 * interrupts, points the ring at @iova and rings the tail doorbell.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

static unsigned long long iova = 0x2000000000ULL;
module_param(iova, ullong, 0444);
MODULE_PARM_DESC(iova, "Bus address for the TX ring (default 128 GiB: outside the domain)");

/* 82574L registers (Intel 82574 datasheet, section 10) */
#define REG_CTRL	0x0000
#define REG_STATUS	0x0008
#define REG_IMC		0x00d8
#define REG_TCTL	0x0400
#define REG_TDBAL	0x3800
#define REG_TDBAH	0x3804
#define REG_TDLEN	0x3808
#define REG_TDH		0x3810
#define REG_TDT		0x3818

#define CTRL_RST	BIT(26)
#define TCTL_EN		BIT(1)
#define TCTL_PSP	BIT(3)
#define RING_BYTES	4096	/* 256 legacy descriptors */

static int rogue_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *regs;
	u32 tdh;
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	regs = pcim_iomap(pdev, 0, 0);
	if (!regs)
		return -ENOMEM;
	pci_set_master(pdev);

	iowrite32(CTRL_RST, regs + REG_CTRL);
	msleep(20);
	iowrite32(~0U, regs + REG_IMC);

	iowrite32(lower_32_bits(iova), regs + REG_TDBAL);
	iowrite32(upper_32_bits(iova), regs + REG_TDBAH);
	iowrite32(RING_BYTES, regs + REG_TDLEN);
	iowrite32(0, regs + REG_TDH);
	iowrite32(0, regs + REG_TDT);
	iowrite32(TCTL_EN | TCTL_PSP, regs + REG_TCTL);
	pr_info("%s: TX ring at bus address %#llx, outside this domain's memory; ringing the doorbell\n",
		pci_name(pdev), iova);
	iowrite32(1, regs + REG_TDT);
	msleep(100);
	tdh = ioread32(regs + REG_TDH);
	pr_info("%s: after the doorbell: TDH %u, STATUS %#x; the guest is still running\n",
		pci_name(pdev), tdh, ioread32(regs + REG_STATUS));

	/* stop the engine again: one fault is the point, not a storm */
	iowrite32(0, regs + REG_TCTL);
	pci_clear_master(pdev);
	return 0;
}

static const struct pci_device_id rogue_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_INTEL, 0x10d3) },	/* 82574L */
	{ }
};
MODULE_DEVICE_TABLE(pci, rogue_ids);

static struct pci_driver rogue_driver = {
	.name = "dma_rogue",
	.id_table = rogue_ids,
	.probe = rogue_probe,
};
module_pci_driver(rogue_driver);

MODULE_DESCRIPTION("drvbox test fixture: a NIC driver that DMAs outside its domain");
MODULE_LICENSE("GPL");
