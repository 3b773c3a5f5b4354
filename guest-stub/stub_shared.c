// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox_stub: the BARs, the shared area and the heartbeat.
 *
 * Page 0 of the shared area belongs to the host: we read it, never write
 * it.  Page 1 belongs to us: every change to it is published with
 * WRITE_ONCE(), then a wmb(), then a ring of doorbell DRVBOX_DB_CONTROL so
 * that drvbox.ko rereads it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/pci.h>

#include "stub.h"
#include "stub_compat.h"

static int stub_map_bar0(struct stub_dev *sd)
{
	struct pci_dev *pdev = sd->pdev;
	resource_size_t start = pci_resource_start(pdev, 0);
	resource_size_t len = pci_resource_len(pdev, 0);
	u32 magic, version;

	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    len < DRVBOX_BAR0_SIZE) {
		dev_err(&pdev->dev, "BAR 0 is not a %u-byte memory BAR\n",
			DRVBOX_BAR0_SIZE);
		return -ENODEV;
	}
	if (!devm_request_mem_region(&pdev->dev, start, DRVBOX_BAR0_SIZE,
				     "drvbox_stub registers")) {
		dev_err(&pdev->dev, "BAR 0 is busy\n");
		return -EBUSY;
	}
	sd->bar0 = devm_ioremap(&pdev->dev, start, DRVBOX_BAR0_SIZE);
	if (!sd->bar0) {
		dev_err(&pdev->dev, "cannot map BAR 0\n");
		return -ENOMEM;
	}

	magic = ioread32(sd->bar0 + DRVBOX_BAR0_MAGIC);
	version = ioread32(sd->bar0 + DRVBOX_BAR0_VERSION);
	if (magic != DRVBOX_BAR0_MAGIC_VALUE) {
		dev_err(&pdev->dev, "BAR 0 magic %#x, expected %#x\n",
			magic, DRVBOX_BAR0_MAGIC_VALUE);
		return -ENODEV;
	}
	if (version != DRVBOX_GUEST_PROTO_VERSION) {
		dev_err(&pdev->dev, "device speaks protocol %u, stub speaks %u\n",
			version, DRVBOX_GUEST_PROTO_VERSION);
		return -ENODEV;
	}
	sd->nr_doorbells = ioread32(sd->bar0 + DRVBOX_BAR0_NR_DOORBELLS);
	if (sd->nr_doorbells < 1 || sd->nr_doorbells > DRVBOX_MAX_DOORBELLS) {
		dev_err(&pdev->dev, "device reports %u doorbells (1..%u)\n",
			sd->nr_doorbells, DRVBOX_MAX_DOORBELLS);
		return -ENODEV;
	}
	return 0;
}

/*
 * The shared area is ordinary host RAM that drvbox.ko maps into the guest
 * behind BAR 2, so it is mapped write-back like RAM (MEMREMAP_WB), the same
 * caching the host uses for it.
 */
static int stub_map_bar2(struct stub_dev *sd)
{
	struct pci_dev *pdev = sd->pdev;
	resource_size_t start = pci_resource_start(pdev, 2);
	resource_size_t len = pci_resource_len(pdev, 2);
	unsigned long flags = pci_resource_flags(pdev, 2);
	struct drvbox_shared_host *host;
	void *area;
	u32 magic, version;

	if (!(flags & IORESOURCE_MEM) || !(flags & IORESOURCE_MEM_64) ||
	    !(flags & IORESOURCE_PREFETCH) || len < DRVBOX_SHARED_MIN_SIZE) {
		dev_err(&pdev->dev,
			"BAR 2 is not a 64-bit prefetchable memory BAR of at least %u bytes\n",
			DRVBOX_SHARED_MIN_SIZE);
		return -ENODEV;
	}
	if (!devm_request_mem_region(&pdev->dev, start, len,
				     "drvbox_stub shared area")) {
		dev_err(&pdev->dev, "BAR 2 is busy\n");
		return -EBUSY;
	}
	area = devm_memremap(&pdev->dev, start, len, MEMREMAP_WB);
	if (IS_ERR(area)) {
		dev_err(&pdev->dev, "cannot map the shared area: %ld\n",
			PTR_ERR(area));
		return PTR_ERR(area);
	}
	host = area + DRVBOX_SHARED_HOST_OFFSET;
	magic = READ_ONCE(host->magic);
	version = READ_ONCE(host->proto_version);
	if (magic != DRVBOX_SHARED_MAGIC) {
		dev_err(&pdev->dev, "shared area magic %#x, expected %#x\n",
			magic, DRVBOX_SHARED_MAGIC);
		return -ENODEV;
	}
	if (version != DRVBOX_GUEST_PROTO_VERSION) {
		dev_err(&pdev->dev,
			"shared area speaks protocol %u, stub speaks %u\n",
			version, DRVBOX_GUEST_PROTO_VERSION);
		return -ENODEV;
	}
	sd->shared = area;
	sd->shared_len = len;
	sd->host = host;
	sd->guest = area + DRVBOX_SHARED_GUEST_OFFSET;
	return 0;
}

/*
 * The drivers area is VMM memory behind BAR 4, mapped like BAR 2.  Its
 * bytes go to init unchecked: init checks them (uapi/drvbox_guest.h).
 */
static int stub_map_bar4(struct stub_dev *sd)
{
	struct pci_dev *pdev = sd->pdev;
	resource_size_t start = pci_resource_start(pdev, 4);
	resource_size_t len = pci_resource_len(pdev, 4);
	unsigned long flags = pci_resource_flags(pdev, 4);
	void *area;

	if (!(flags & IORESOURCE_MEM) || !(flags & IORESOURCE_MEM_64) ||
	    !(flags & IORESOURCE_PREFETCH) || len != DRVBOX_DRIVERS_BAR_SIZE) {
		dev_err(&pdev->dev,
			"BAR 4 is not a 64-bit prefetchable memory BAR of %u bytes\n",
			DRVBOX_DRIVERS_BAR_SIZE);
		return -ENODEV;
	}
	if (!devm_request_mem_region(&pdev->dev, start, len,
				     "drvbox_stub drivers")) {
		dev_err(&pdev->dev, "BAR 4 is busy\n");
		return -EBUSY;
	}
	area = devm_memremap(&pdev->dev, start, len, MEMREMAP_WB);
	if (IS_ERR(area)) {
		dev_err(&pdev->dev, "cannot map the drivers area: %ld\n",
			PTR_ERR(area));
		return PTR_ERR(area);
	}
	sd->drivers = area;
	sd->drivers_len = len;
	return 0;
}

/* Map and check the BARs; everything is device-managed. */
int stub_shared_map(struct stub_dev *sd)
{
	int ret;

	ret = stub_map_bar0(sd);
	if (ret)
		return ret;
	ret = stub_map_bar2(sd);
	if (ret)
		return ret;
	return stub_map_bar4(sd);
}

/* Tell the host that our page changed: publish first, then ring. */
void stub_ring_control(struct stub_dev *sd)
{
	wmb();
	iowrite32(1, sd->bar0 + DRVBOX_BAR0_DOORBELL(DRVBOX_DB_CONTROL));
}

/* The reports a state announces are visible before the state itself. */
void stub_set_state(struct stub_dev *sd, u32 state)
{
	wmb();
	WRITE_ONCE(sd->guest->state, state);
	stub_ring_control(sd);
}

static void stub_heartbeat(struct timer_list *t)
{
	struct stub_dev *sd = from_timer(sd, t, heartbeat_timer);

	/*
	 * The heartbeat field is written by this timer only.  No doorbell:
	 * drvbox.ko looks at it on its own clock, and a doorbell is a VM
	 * exit.  The timer is deferrable: an idle guest is not woken for it;
	 * drvbox.ko then asks with a no-op command, whose answer from the
	 * control interrupt is the sign of life instead.
	 */
	WRITE_ONCE(sd->guest->heartbeat, READ_ONCE(sd->guest->heartbeat) + 1);
	if (!READ_ONCE(sd->stopping))
		mod_timer(&sd->heartbeat_timer,
			  jiffies + msecs_to_jiffies(sd->heartbeat_ms));
}

void stub_heartbeat_start(struct stub_dev *sd)
{
	u32 ms = READ_ONCE(sd->host->heartbeat_ms);

	/* A host value we cannot honour gets the default, not a busy loop. */
	sd->heartbeat_ms = ms ? ms : STUB_DEFAULT_HEARTBEAT_MS;
	sd->heartbeat_ms = clamp_t(u32, sd->heartbeat_ms, 10, 60000);
	timer_setup(&sd->heartbeat_timer, stub_heartbeat, TIMER_DEFERRABLE);
	mod_timer(&sd->heartbeat_timer,
		  jiffies + msecs_to_jiffies(sd->heartbeat_ms));
}

void stub_heartbeat_stop(struct stub_dev *sd)
{
	WRITE_ONCE(sd->stopping, true);
	timer_delete_sync(&sd->heartbeat_timer);
}
