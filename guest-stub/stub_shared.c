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
 * BAR @bar: a 64-bit prefetchable memory BAR of at least @min bytes whose
 * memory is host RAM (drvbox.ko's shared area, the VMM's drivers area),
 * so it is mapped write-back like RAM (MEMREMAP_WB), the same caching the
 * host uses for it.  Returns the mapping (its length in *@len) or an
 * ERR_PTR, having said why.
 */
static void *stub_map_ram_bar(struct stub_dev *sd, int bar, resource_size_t min,
			      const char *what, resource_size_t *len)
{
	struct pci_dev *pdev = sd->pdev;
	resource_size_t start = pci_resource_start(pdev, bar);
	unsigned long flags = pci_resource_flags(pdev, bar);
	void *area;

	*len = pci_resource_len(pdev, bar);
	if (!(flags & IORESOURCE_MEM) || !(flags & IORESOURCE_MEM_64) ||
	    !(flags & IORESOURCE_PREFETCH) || *len < min) {
		dev_err(&pdev->dev,
			"BAR %d (%s) is not a 64-bit prefetchable memory BAR of at least %llu bytes\n",
			bar, what, (unsigned long long)min);
		return ERR_PTR(-ENODEV);
	}
	if (!devm_request_mem_region(&pdev->dev, start, *len, what)) {
		dev_err(&pdev->dev, "BAR %d (%s) is busy\n", bar, what);
		return ERR_PTR(-EBUSY);
	}
	area = devm_memremap(&pdev->dev, start, *len, MEMREMAP_WB);
	if (IS_ERR(area))
		dev_err(&pdev->dev, "cannot map BAR %d (%s): %ld\n", bar, what,
			PTR_ERR(area));
	return area;
}

/* BAR 2: the shared area, checked for our magic and protocol. */
static int stub_map_bar2(struct stub_dev *sd)
{
	struct pci_dev *pdev = sd->pdev;
	struct drvbox_shared_host *host;
	resource_size_t len;
	u32 magic, version;
	void *area;

	area = stub_map_ram_bar(sd, 2, DRVBOX_SHARED_MIN_SIZE,
				"drvbox_stub shared area", &len);
	if (IS_ERR(area))
		return PTR_ERR(area);
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

/* BAR 4: the drivers area; its bytes go to init, which checks them. */
static int stub_map_bar4(struct stub_dev *sd)
{
	resource_size_t len;
	void *area;

	area = stub_map_ram_bar(sd, 4, DRVBOX_DRIVERS_BAR_SIZE,
				"drvbox_stub drivers", &len);
	if (IS_ERR(area))
		return PTR_ERR(area);
	sd->drivers = area;
	sd->drivers_len = DRVBOX_DRIVERS_BAR_SIZE;
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
