// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: the guest half of drvbox.  A plain PCI driver for the drvbox
 * device that drvbox-vmm emulates inside a driver domain.
 *
 * Probe maps the registers (BAR 0) and the shared area (BAR 2), takes the
 * MSI-X vectors, says BOOTING, starts the heartbeat and creates
 * /dev/drvbox_stub for the guest's init, which then reports each module it
 * loads (stub_ctl.c).  The host's commands (stub_cmd.c) and export
 * requests (stub_export.c) arrive on MSI-X vector DRVBOX_VEC_CONTROL; the
 * block queues of an export have their own vectors (stub_blk.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "stub.h"

/* Vector 0: "the host page changed": a command, or export requests. */
static irqreturn_t stub_vec_control(int irq, void *data)
{
	struct stub_dev *sd = data;

	stub_export_kick(sd);
	return stub_control_irq(irq, sd);
}

static int stub_setup_irqs(struct stub_dev *sd)
{
	struct pci_dev *pdev = sd->pdev;
	u32 nr = ioread32(sd->bar0 + DRVBOX_BAR0_NR_VECTORS);
	int ret;

	if (nr < 1 || nr > DRVBOX_MAX_VECTORS) {
		dev_err(&pdev->dev, "device reports %u MSI-X vectors (1..%u)\n",
			nr, DRVBOX_MAX_VECTORS);
		return -ENODEV;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, nr, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot allocate MSI-X vectors: %d\n", ret);
		return ret;
	}
	sd->nr_vectors = ret;

	ret = request_irq(pci_irq_vector(pdev, DRVBOX_VEC_CONTROL),
			  stub_vec_control, 0, "drvbox_stub-control", sd);
	if (ret) {
		dev_err(&pdev->dev, "cannot request the control interrupt: %d\n",
			ret);
		pci_free_irq_vectors(pdev);
	}
	return ret;
}

/* The exports' queue vectors are freed before the vectors go. */
static void stub_free_irqs(struct stub_dev *sd)
{
	free_irq(pci_irq_vector(sd->pdev, DRVBOX_VEC_CONTROL), sd);
	stub_export_stop(sd);
	pci_free_irq_vectors(sd->pdev);
}

/*
 * Every incarnation but the first may start from the same boot image
 * (uapi/drvbox_guest.h): with the clock and the RNG state of the moment
 * it was saved.  The VMM answers on its image ports; init reseeds the
 * crng from the input pool once we are loaded.
 */
static void stub_image_resume(struct stub_dev *sd)
{
	u32 seed[DRVBOX_IMAGE_SEED_WORDS];
	struct timespec64 ts;
	unsigned int i;
	u64 ns;

	if (inl(DRVBOX_IMAGE_PORT) != DRVBOX_IMAGE_RESTORED)
		return;
	for (i = 0; i < ARRAY_SIZE(seed); i++)
		seed[i] = inl(DRVBOX_IMAGE_SEED_PORT);
	add_device_randomness(seed, sizeof(seed));
	memzero_explicit(seed, sizeof(seed));
	ns = inl(DRVBOX_IMAGE_TIME_PORT);
	ns |= (u64)inl(DRVBOX_IMAGE_TIME_PORT + 4) << 32;
	ts = ns_to_timespec64(ns);
	if (do_settimeofday64(&ts))
		dev_warn(&sd->pdev->dev, "cannot set the clock after the boot image\n");
	dev_info(&sd->pdev->dev, "started from the boot image: clock set, host randomness mixed in\n");
}

static int stub_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct stub_dev *sd;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the drvbox device: %d\n", ret);
		return ret;
	}
	pci_set_master(pdev);

	sd = devm_kzalloc(&pdev->dev, sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	sd->pdev = pdev;
	mutex_init(&sd->lock);
	pci_set_drvdata(pdev, sd);

	ret = stub_shared_map(sd);
	if (ret)
		return ret;
	stub_image_resume(sd);

	/* Our page starts clean: this incarnation has reported nothing yet. */
	WRITE_ONCE(sd->guest->nr_modules, 0);
	WRITE_ONCE(sd->guest->nr_devs, 0);
	stub_cmd_init(sd);
	stub_export_init(sd);

	ret = stub_setup_irqs(sd);
	if (ret)
		return ret;

	stub_set_state(sd, DRVBOX_GUEST_BOOTING);
	stub_heartbeat_start(sd);

	ret = stub_ctl_register(sd);
	if (ret)
		goto err_heartbeat;
	stub_console_start(sd);	/* last: nothing after it can fail */

	dev_info(&pdev->dev,
		 "drvbox device ready: protocol %u, incarnation %u, %u doorbells, %u vectors, heartbeat %u ms\n",
		 DRVBOX_GUEST_PROTO_VERSION, READ_ONCE(sd->host->incarnation),
		 sd->nr_doorbells, sd->nr_vectors, sd->heartbeat_ms);
	/* the host's export requests are there before we are */
	stub_export_kick(sd);
	return 0;

err_heartbeat:
	stub_heartbeat_stop(sd);
	stub_free_irqs(sd);
	stub_cmd_stop(sd);
	return ret;
}

static void stub_remove(struct pci_dev *pdev)
{
	struct stub_dev *sd = pci_get_drvdata(pdev);

	stub_ctl_unregister(sd);
	stub_heartbeat_stop(sd);
	stub_free_irqs(sd);
	stub_cmd_stop(sd);
	stub_console_stop();
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
