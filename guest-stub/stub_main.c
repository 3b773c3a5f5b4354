// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: the guest half of drvbox.  A plain PCI driver for the drvbox
 * device that drvbox-vmm emulates inside a driver domain.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>

#include "../uapi/drvbox_guest.h"

static int stub_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the drvbox device: %d\n", ret);
		return ret;
	}
	dev_info(&pdev->dev, "drvbox device found (protocol %u)\n",
		 DRVBOX_GUEST_PROTO_VERSION);
	return 0;
}

static void stub_remove(struct pci_dev *pdev)
{
	dev_info(&pdev->dev, "drvbox device removed\n");
}

static const struct pci_device_id stub_pci_ids[] = {
	{ PCI_DEVICE(DRVBOX_PCI_VENDOR_ID, DRVBOX_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, stub_pci_ids);

static struct pci_driver stub_pci_driver = {
	.name		= "drvbox_stub",
	.id_table	= stub_pci_ids,
	.probe		= stub_probe,
	.remove		= stub_remove,
};
module_pci_driver(stub_pci_driver);

MODULE_DESCRIPTION("drvbox guest stub: the driver domain's end of drvbox");
MODULE_AUTHOR("drvbox developers");
MODULE_LICENSE("GPL");
