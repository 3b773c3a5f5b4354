// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: PCI passthrough with VFIO (type1 container, /dev/vfio/vfio +
 * one group fd per IOMMU group; works on 6.1 and 6.12, no iommufd).
 *
 * Each function in vmm.cfg.pci_args becomes guest device 00:02.0, 00:03.0,
 * ... in that order.  At start it is reset (VFIO_DEVICE_RESET), so a new
 * incarnation never inherits what the crashed one left in the device.
 *
 * What the guest sees:
 *  - Config space: read from and written to the device's VFIO config
 *    region (vfio-pci virtualizes what it must), except the bytes marked in
 *    vfio_dev.emulated: the BARs (fixed guest addresses, pci.c), the ROM
 *    BAR (none), interrupt line/pin (no INTx) and the MSI and MSI-X
 *    capabilities, which only live here.
 *  - Memory BARs at addresses from pci__alloc_mmio(); I/O BARs are hidden.
 *    Where the region may be mmap'ed, the BAR is KVM memslots straight onto
 *    the device; the pages holding the MSI-X table are not mapped and trap
 *    here: the table is emulated, anything else on those pages (and any
 *    BAR that cannot be mapped) goes through pread/pwrite on the region.
 *  - MSI-X / MSI: each vector has an eventfd that VFIO signals
 *    (VFIO_DEVICE_SET_IRQS, armed when the guest enables MSI-X/MSI) and
 *    that is a KVM irqfd on its own GSI; what the guest programs (address,
 *    data, masks, enable) only rewrites that GSI's MSI route.  While a
 *    vector is masked its GSI has no route and a signal is dropped; when it
 *    becomes deliverable again it is fired once (as drvbox_dev.c does), so
 *    the guest may see a spurious interrupt, never lose one.  MSI offers
 *    one vector.
 *  - Guest RAM (low part at 0, high part at 4 GiB) is DMA-mapped 1:1 in the
 *    container: the guest's physical addresses are the device's IOVAs, and
 *    the IOMMU stops the device from reaching anything else.
 *
 * Locking: config accesses come in under pci.c's lock; MMIO exits from any
 * vCPU take vfio_dev.lock, which also covers the MSI/MSI-X state (never the
 * other way round: nothing here takes pci.c's lock).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vmm.h"

#define VFIO_FIRST_SLOT		2
#define VFIO_FIRST_MEMSLOT	8	/* 0, 2: RAM; 1, 4: shared area; 3: drivers */
#define PAGE			4096ULL

#define MSI_CTRL_ENABLE		0x0001
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_MASKED	0x1

struct vfio_region {
	uint64_t off, size;		/* in the device fd */
	uint32_t flags;
};

struct vfio_dev {
	struct pci_device pci;
	char bdf[16];
	int group, group_fd, fd;
	struct vfio_region cfg_region;
	struct vfio_region bars[6];
	uint8_t emulated[256];		/* 1: the byte lives in pci.cfg only */

	pthread_mutex_t lock;		/* the MSI/MSI-X state below */
	unsigned int gsi_base, nr_vectors;
	int *efds;			/* per vector: VFIO -> irqfd */
	bool *deliverable;

	struct pci_caps caps;		/* where MSI and MSI-X are */
	uint16_t msix_ctrl;		/* as the guest last wrote it */
	uint32_t (*msix_table)[4];	/* addr lo, addr hi, data, control */
	bool msix_armed;		/* VFIO's MSI-X is on */

	bool msi_armed;
};

static int container_fd = -1;
static bool container_ready;
static unsigned int next_memslot = VFIO_FIRST_MEMSLOT;
static struct vfio_dev *devs[VMM_MAX_PCI];

/* ---- finding the group, with errors that say what to do ---- */

static void vfio__sysfs_link(const char *bdf, const char *link, char *out,
			     size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	n = strnlen(base, len - 1);
	memcpy(out, base, n);
	out[n] = '\0';
}

static int vfio__group_of(const char *bdf)
{
	char path[PATH_MAX], grp[64], *end;
	struct stat st;
	long g;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (stat(path, &st) < 0)
		vmm__die_start("pci %s: no such PCI device (%s: %s)", bdf, path,
			       strerror(errno));
	vfio__sysfs_link(bdf, "iommu_group", grp, sizeof(grp));
	if (!grp[0])
		vmm__die_start("pci %s: no IOMMU group (is the IOMMU enabled? intel_iommu=on or amd_iommu=on)",
			       bdf);
	g = strtol(grp, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		vmm__die_start("pci %s: odd IOMMU group \"%s\"", bdf, grp);
	return (int)g;
}

/* The group is not viable: name the devices in it that hold host drivers. */
static void vfio__die_not_viable(const char *bdf, int group)
{
	char path[PATH_MAX], drv[64], who[256] = "";
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		vfio__sysfs_link(de->d_name, "driver", drv, sizeof(drv));
		if (!drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pcieport"))
			continue;
		n += snprintf(who + n, n < sizeof(who) ? sizeof(who) - n : 0,
			      "%s%s (%s)", n ? ", " : "", de->d_name, drv);
		if (n >= sizeof(who))
			break;
	}
	if (dir)
		closedir(dir);
	vmm__die_start("pci %s: IOMMU group %d is not viable: %s bound to host drivers; every device of the group must be on vfio-pci or unbound",
		       bdf, group, who[0] ? who : "other devices are");
}

static void vfio__open_container(void)
{
	int ver;

	container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container_fd < 0)
		vmm__die_start("cannot open /dev/vfio/vfio: %s (is the vfio-pci module loaded?)",
			       strerror(errno));
	ver = ioctl(container_fd, VFIO_GET_API_VERSION);
	if (ver != VFIO_API_VERSION)
		vmm__die_start("VFIO API version %d, expected %d", ver,
			       VFIO_API_VERSION);
	if (ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		vmm__die_start("VFIO: the kernel has no type1v2 IOMMU backend");
}

static void vfio__dma_map(uint64_t iova, void *host, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)host,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &map) < 0)
		vmm__die_start("VFIO_IOMMU_MAP_DMA guest RAM %#llx+%#llx: %s",
			       (unsigned long long)iova,
			       (unsigned long long)size, strerror(errno));
}

/*
 * Open the group.  A group is open in one process at a time (EBUSY).  After
 * a crash the previous incarnation's VMM may still be exiting: its group
 * and device files close in its exit, and closing the device resets it,
 * which can take seconds.  So EBUSY is waited out for a while, with a note
 * in the log, before it counts as "another process holds the group".
 */
#define GROUP_BUSY_WAIT_MS	30000

static int vfio__open_group(struct vfio_dev *d, const char *path)
{
	uint64_t t0 = vmm__now_ns();
	bool noted = false;
	int fd;

	for (;;) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != EBUSY ||
		    vmm__now_ns() - t0 > GROUP_BUSY_WAIT_MS * 1000000ULL)
			break;
		if (!noted)
			vmm__log("pci %s: %s is busy (the previous VMM still exiting?); waiting up to %d s",
				 d->bdf, path, GROUP_BUSY_WAIT_MS / 1000);
		noted = true;
		usleep(100 * 1000);
	}
	if (fd >= 0 && noted)
		vmm__log("pci %s: %s free after %llu ms", d->bdf, path,
			 (unsigned long long)((vmm__now_ns() - t0) / 1000000));
	return fd;
}

/* The first group fixes the IOMMU type; then all guest RAM is mapped. */
static void vfio__attach_group(struct vfio_dev *d)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	uint64_t t;

	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
	d->group_fd = vfio__open_group(d, path);
	if (d->group_fd < 0) {
		char drv[64];

		vfio__sysfs_link(d->bdf, "driver", drv, sizeof(drv));
		if (errno == ENOENT)
			vmm__die_start("pci %s: cannot open %s: %s (the device is on %s, not vfio-pci)",
				       d->bdf, path, strerror(errno),
				       drv[0] ? drv : "no driver");
		vmm__die_start("pci %s: cannot open %s: %s%s", d->bdf, path,
			       strerror(errno), errno == EBUSY ?
			       " (another process holds the group)" : "");
	}
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		vmm__die_start("pci %s: VFIO_GROUP_GET_STATUS: %s", d->bdf,
			       strerror(errno));
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		vfio__die_not_viable(d->bdf, d->group);
	if (st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET)
		return;		/* a second function of a group we have */
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd) < 0)
		vmm__die_start("pci %s: VFIO_GROUP_SET_CONTAINER: %s", d->bdf,
			       strerror(errno));
	if (container_ready)
		return;
	if (ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		vmm__die_start("VFIO_SET_IOMMU type1v2: %s", strerror(errno));
	t = vmm__now_ns();
	vfio__dma_map(0, vmm.ram, vmm.ram_low);
	if (vmm.ram_bytes > vmm.ram_low)
		vfio__dma_map(GPA_4G, vmm.ram + vmm.ram_low,
			      vmm.ram_bytes - vmm.ram_low);
	vmm__log("VFIO: guest RAM (%llu MiB) DMA-mapped in %llu ms",
		 (unsigned long long)(vmm.ram_bytes >> 20),
		 (unsigned long long)((vmm__now_ns() - t) / 1000000));
	container_ready = true;
}

/* ---- the device: regions, reset ---- */

static void vfio__region(struct vfio_dev *d, unsigned int index,
			 struct vfio_region *r)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &info) < 0)
		vmm__die_start("pci %s: VFIO_DEVICE_GET_REGION_INFO %u: %s",
			       d->bdf, index, strerror(errno));
	r->off = info.offset;
	r->size = info.size;
	r->flags = info.flags;
}

static void vfio__reset(struct vfio_dev *d, uint32_t dev_flags)
{
	char path[PATH_MAX], methods[128] = "";
	uint64_t t;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 d->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, methods, sizeof(methods) - 1);
		methods[n > 0 ? n : 0] = '\0';
		methods[strcspn(methods, "\n")] = '\0';
		close(fd);
	}
	if (!(dev_flags & VFIO_DEVICE_FLAGS_RESET)) {
		vmm__log("pci %s: no function or bus reset available; the device is not reset",
			 d->bdf);
		return;
	}
	t = vmm__now_ns();
	if (ioctl(d->fd, VFIO_DEVICE_RESET) < 0)
		vmm__die_start("pci %s: reset failed (VFIO_DEVICE_RESET, methods: %s): %s",
			       d->bdf, methods[0] ? methods : "?", strerror(errno));
	vmm__log("pci %s: reset ok in %llu ms (VFIO_DEVICE_RESET; the kernel tries: %s)",
		 d->bdf, (unsigned long long)((vmm__now_ns() - t) / 1000000),
		 methods[0] ? methods : "?");
}

static void vfio__cfg_pread(struct vfio_dev *d, uint32_t off, void *buf,
			    uint32_t len)
{
	if (pread(d->fd, buf, len, d->cfg_region.off + off) != (ssize_t)len)
		memset(buf, 0xff, len);
}

static void vfio__cfg_pwrite(struct vfio_dev *d, uint32_t off,
			     const void *buf, uint32_t len)
{
	if (pwrite(d->fd, buf, len, d->cfg_region.off + off) != (ssize_t)len)
		vmm__log("pci %s: config write %#x+%u: %s", d->bdf, off, len,
			 strerror(errno));
}

/* ---- MSI / MSI-X ---- */

static void vfio__fire_if_new(struct vfio_dev *d, unsigned int v, bool on)
{
	if (on && !d->deliverable[v] && eventfd_write(d->efds[v], 1) < 0)
		vmm__log("pci %s: vector %u: eventfd_write: %s", d->bdf, v,
			 strerror(errno));
	d->deliverable[v] = on;
}

static void vfio__msix_update(struct vfio_dev *d, unsigned int v)
{
	uint32_t *e = d->msix_table[v];
	bool on = (d->msix_ctrl & MSIX_CTRL_ENABLE) &&
		  !(d->msix_ctrl & MSIX_CTRL_MASKALL) &&
		  !(e[3] & MSIX_ENTRY_MASKED);

	kvm__set_msi_route(d->gsi_base + v, on, e[0] | (uint64_t)e[1] << 32,
			   e[2]);
	vfio__fire_if_new(d, v, on);
}

/* Arm (all @count eventfds) or disarm one VFIO interrupt index. */
static int vfio__set_irqs(struct vfio_dev *d, unsigned int index,
			  unsigned int count)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *s = vmm__xmalloc(sz);
	int ret;

	memset(s, 0, sz);
	s->argsz = sz;
	s->index = index;
	s->start = 0;
	s->count = count;
	s->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		   (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	memcpy(s->data, d->efds, count * sizeof(int32_t));
	ret = ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
	if (ret < 0)
		vmm__log("pci %s: VFIO_DEVICE_SET_IRQS %s x%u: %s", d->bdf,
			 index == VFIO_PCI_MSIX_IRQ_INDEX ? "MSI-X" : "MSI",
			 count, strerror(errno));
	free(s);
	return ret;
}

static void vfio__msix_ctrl_written(struct vfio_dev *d)
{
	uint8_t *c = &d->pci.cfg[d->caps.msix];
	bool enable;
	unsigned int v;

	pthread_mutex_lock(&d->lock);
	d->msix_ctrl = get_le(c + 2, 2);
	enable = d->msix_ctrl & MSIX_CTRL_ENABLE;
	if (enable && !d->msix_armed) {
		uint64_t t = vmm__now_ns();

		d->msix_armed = !vfio__set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX,
						d->caps.msix_n);
		vmm__log("pci %s: MSI-X %s with %u vectors (%llu ms)", d->bdf,
			 d->msix_armed ? "enabled" : "NOT enabled",
			 d->caps.msix_n,
			 (unsigned long long)((vmm__now_ns() - t) / 1000000));
	} else if (!enable && d->msix_armed) {
		vfio__set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX, 0);
		d->msix_armed = false;
	}
	for (v = 0; v < d->caps.msix_n; v++)
		vfio__msix_update(d, v);
	pthread_mutex_unlock(&d->lock);
}

static void vfio__msi_written(struct vfio_dev *d)
{
	uint8_t *c = &d->pci.cfg[d->caps.msi];
	uint16_t ctrl = get_le(c + 2, 2);
	uint64_t addr = get_le(c + 4, 4);
	uint32_t data, mask = 0;
	bool on;

	if (d->caps.msi_64) {
		addr |= get_le(c + 8, 4) << 32;
		data = get_le(c + 12, 2);
		if (d->caps.msi_pvm)
			mask = get_le(c + 16, 4);
	} else {
		data = get_le(c + 8, 2);
		if (d->caps.msi_pvm)
			mask = get_le(c + 12, 4);
	}
	pthread_mutex_lock(&d->lock);
	if ((ctrl & MSI_CTRL_ENABLE) && !d->msi_armed) {
		d->msi_armed = !vfio__set_irqs(d, VFIO_PCI_MSI_IRQ_INDEX, 1);
		vmm__log("pci %s: MSI %s", d->bdf,
			 d->msi_armed ? "enabled" : "NOT enabled");
	} else if (!(ctrl & MSI_CTRL_ENABLE) && d->msi_armed) {
		vfio__set_irqs(d, VFIO_PCI_MSI_IRQ_INDEX, 0);
		d->msi_armed = false;
	}
	on = (ctrl & MSI_CTRL_ENABLE) && !(mask & 1);
	kvm__set_msi_route(d->gsi_base, on, addr, data);
	vfio__fire_if_new(d, 0, on);
	pthread_mutex_unlock(&d->lock);
}

/* ---- config space ---- */

static void vfio__cfg_read(struct pci_device *pdev, uint32_t off)
{
	struct vfio_dev *d = pdev->priv;
	uint8_t buf[4];
	unsigned int i;

	vfio__cfg_pread(d, off, buf, 4);
	for (i = 0; i < 4; i++)
		if (!d->emulated[off + i])
			pdev->cfg[off + i] = buf[i];
}

static bool overlaps(uint32_t off, uint32_t len, uint32_t start, uint32_t n)
{
	return start && off < start + n && start < off + len;
}

static void vfio__cfg_written(struct pci_device *pdev, uint32_t off,
			      uint32_t len)
{
	struct vfio_dev *d = pdev->priv;
	uint32_t i = 0;

	/* pass the runs of non-emulated bytes on to the device */
	while (i < len) {
		uint32_t start = i;

		if (d->emulated[off + i]) {
			i++;
			continue;
		}
		while (i < len && !d->emulated[off + i])
			i++;
		vfio__cfg_pwrite(d, off + start, &pdev->cfg[off + start],
				 i - start);
	}
	if (overlaps(off, len, d->caps.msix, 4))
		vfio__msix_ctrl_written(d);
	if (overlaps(off, len, d->caps.msi, 24))
		vfio__msi_written(d);
}

static void emulate(struct vfio_dev *d, uint32_t off, uint32_t n)
{
	memset(&d->emulated[off], 1, n);
}

/*
 * Take the device's config space as the starting point, find MSI/MSI-X
 * (pci_caps.c), and decide which bytes are ours.  Non-emulated bytes are
 * writable as far as we are concerned (vfio-pci and the device enforce
 * the rest).
 */
static void vfio__setup_config(struct vfio_dev *d)
{
	uint8_t *c = d->pci.cfg, *m = d->pci.wmask;
	uint64_t bar_size[6];
	int i;

	vfio__cfg_pread(d, 0, c, 256);
	if (get_le(c, 2) == 0xffff)
		vmm__die_start("pci %s: config space reads all ones", d->bdf);
	memset(m, 0xff, 256);
	emulate(d, 0x00, 4);		/* vendor/device: stable, keep a copy */
	memset(m, 0, 4);
	emulate(d, 0x10, 0x18);		/* BARs: pci.c */
	emulate(d, 0x30, 4);		/* no expansion ROM */
	memset(&c[0x30], 0, 4);
	memset(&m[0x30], 0, 4);
	emulate(d, 0x3c, 2);		/* interrupt line (scratch) / pin: no INTx */
	c[0x3d] = 0;
	m[0x3d] = 0;

	/* the MSI-X table must lie in a memory BAR: their sizes first */
	for (i = 0; i < 6; i++) {
		vfio__region(d, VFIO_PCI_BAR0_REGION_INDEX + i, &d->bars[i]);
		bar_size[i] = (c[0x10 + 4 * i] & 1) ? 0 : d->bars[i].size;
	}
	pci_caps__setup(d->pci.name, c, m, d->emulated, bar_size, &d->caps);
}

/* ---- BARs ---- */

/*
 * An access that KVM could not serve from a memslot: the MSI-X table
 * (emulated), or the rest of a trapped page / unmappable BAR (the region).
 */
static void vfio__bar_mmio(struct pci_device *pdev, int bar, uint64_t off,
			   bool write, uint8_t *data, uint32_t len)
{
	struct vfio_dev *d = pdev->priv;
	unsigned int v, w;

	if (pci_caps__msix_entry(&d->caps, bar, off, &v, &w)) {
		uint64_t val = 0;

		if ((len != 4 && len != 8) || (off & 3)) {
			if (!write)
				memset(data, 0xff, len);
			return;
		}
		if (len == 8 && w == 3)
			len = 4;	/* would cross into the next entry */
		pthread_mutex_lock(&d->lock);
		if (write) {
			val = get_le(data, len);
			d->msix_table[v][w] = (uint32_t)val;
			if (len == 8)
				d->msix_table[v][w + 1] = val >> 32;
			d->msix_table[v][3] &= MSIX_ENTRY_MASKED;
			vfio__msix_update(d, v);
		} else {
			val = d->msix_table[v][w];
			if (len == 8)
				val |= (uint64_t)d->msix_table[v][w + 1] << 32;
		}
		pthread_mutex_unlock(&d->lock);
		if (!write)
			put_le(data, val, len);
		return;
	}
	if (write) {
		if (pwrite(d->fd, data, len, d->bars[bar].off + off) != (ssize_t)len)
			vmm__log("pci %s: BAR %d write %#llx+%u: %s", d->bdf,
				 bar, (unsigned long long)off, len,
				 strerror(errno));
	} else if (pread(d->fd, data, len, d->bars[bar].off + off) != (ssize_t)len) {
		memset(data, 0xff, len);
	}
}

/* mmap [off, off+size) of BAR @bar as a memslot; false if VFIO refuses. */
static bool vfio__map_piece(struct vfio_dev *d, int bar, uint64_t off,
			    uint64_t size)
{
	void *p;

	if (!size)
		return true;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 d->bars[bar].off + off);
	if (p == MAP_FAILED)
		return false;
	kvm__add_memslot(next_memslot++, d->pci.bars[bar].gpa + off, size, p);
	return true;
}

static void vfio__setup_bars(struct vfio_dev *d)
{
	int i;

	for (i = 0; i < 6; i++) {
		struct vfio_region *r = &d->bars[i];
		uint32_t raw = get_le(&d->pci.cfg[0x10 + 4 * i], 4);
		bool mem64 = (raw & 0x6) == 0x4;
		uint64_t size, lo, hi;
		const char *how;

		if (!r->size || (raw & 1)) {
			if (r->size)
				vmm__log("pci %s: I/O BAR %d (%llu bytes) is not passed through",
					 d->bdf, i, (unsigned long long)r->size);
			if (mem64)
				i++;
			continue;
		}
		if (r->size & (r->size - 1))
			vmm__die_start("pci %s: BAR %d size %#llx is not a power of two",
				       d->bdf, i, (unsigned long long)r->size);
		/* at least a page: a memslot cannot be smaller */
		size = r->size < PAGE ? PAGE : r->size;
		pci__set_bar(&d->pci, i, size, mem64, raw & 0x8);
		d->pci.bars[i].size = size;
		d->pci.bars[i].bar_mmio = vfio__bar_mmio;
		how = "trapped";
		if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && r->size >= PAGE) {
			lo = hi = r->size;
			if (d->caps.msix && d->caps.msix_bar == i) {
				uint64_t toff = d->caps.msix_table_off;

				lo = toff & ~(PAGE - 1);
				hi = (toff + d->caps.msix_n * MSIX_ENTRY_SIZE +
				      PAGE - 1) & ~(PAGE - 1);
				if (hi > r->size)
					hi = r->size;
			}
			if (vfio__map_piece(d, i, 0, lo) &&
			    vfio__map_piece(d, i, hi, r->size - hi))
				how = lo == r->size ? "mapped" :
				      "mapped, MSI-X table trapped";
		}
		vmm__log("pci %s: BAR %d: %llu KiB at %#llx (%s%s)", d->bdf, i,
			 (unsigned long long)(r->size >> 10),
			 (unsigned long long)d->pci.bars[i].gpa, how,
			 mem64 ? ", 64-bit" : "");
		if (mem64)
			i++;
	}
}

/* One eventfd per vector, each a KVM irqfd on its own GSI. */
static void vfio__setup_vectors(struct vfio_dev *d)
{
	unsigned int v;

	d->nr_vectors = d->caps.msix ? d->caps.msix_n : 1;
	d->gsi_base = kvm__alloc_msi_gsis(d->nr_vectors);
	d->efds = vmm__xmalloc(d->nr_vectors * sizeof(*d->efds));
	d->deliverable = vmm__xmalloc(d->nr_vectors * sizeof(*d->deliverable));
	for (v = 0; v < d->nr_vectors; v++) {
		struct kvm_irqfd irqfd = { .gsi = d->gsi_base + v };
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0)
			vmm__die_start("eventfd: %s", strerror(errno));
		irqfd.fd = fd;
		if (ioctl(vmm.vm_fd, KVM_IRQFD, &irqfd) < 0)
			vmm__die_start("pci %s: KVM_IRQFD vector %u: %s", d->bdf,
				       v, strerror(errno));
		d->efds[v] = fd;
		d->deliverable[v] = false;
	}
	if (d->caps.msix) {
		size_t sz = d->caps.msix_n * sizeof(*d->msix_table);

		d->msix_table = vmm__xmalloc(sz);
		memset(d->msix_table, 0, sz);
		for (v = 0; v < d->caps.msix_n; v++)
			d->msix_table[v][3] = MSIX_ENTRY_MASKED;
	}
}

static void vfio__add_device(const char *bdf, unsigned int slot)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_dev *d = vmm__xmalloc(sizeof(*d));
	char name[64];

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	pthread_mutex_init(&d->lock, NULL);
	d->group = vfio__group_of(bdf);
	vfio__attach_group(d);
	d->fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		char drv[64];

		vfio__sysfs_link(bdf, "driver", drv, sizeof(drv));
		vmm__die_start("pci %s: VFIO_GROUP_GET_DEVICE_FD: %s (driver: %s)",
			       bdf, strerror(errno), drv[0] ? drv : "none");
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0)
		vmm__die_start("pci %s: VFIO_DEVICE_GET_INFO: %s", bdf,
			       strerror(errno));
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		vmm__die_start("pci %s: VFIO does not present it as a PCI device",
			       bdf);
	vfio__reset(d, info.flags);
	vfio__region(d, VFIO_PCI_CONFIG_REGION_INDEX, &d->cfg_region);
	snprintf(name, sizeof(name), "pci %s", bdf);
	d->pci.name = vmm__xstrdup(name);
	vfio__setup_config(d);

	d->pci.slot = slot;
	d->pci.priv = d;
	vfio__setup_bars(d);
	vfio__setup_vectors(d);
	d->pci.cfg_read = vfio__cfg_read;
	d->pci.cfg_written = vfio__cfg_written;
	pci__register(&d->pci);
	/* pci__register's defaults are for emulated devices: undo for ours */
	memset(&d->pci.wmask[0x04], 0xff, 4);
	memset(&d->pci.wmask[0x0c], 0xff, 4);
	d->pci.wmask[0x3c] = 0xff;
	vmm__log("pci %s: %04x:%04x at guest 00:%02x.0 (IOMMU group %d, %s%s)",
		 bdf, (unsigned int)get_le(&d->pci.cfg[0], 2),
		 (unsigned int)get_le(&d->pci.cfg[2], 2), slot, d->group,
		 d->caps.msix ? "MSI-X" : d->caps.msi ? "MSI" : "no MSI",
		 d->caps.msix && d->caps.msi ? " + MSI" : "");
	devs[slot - VFIO_FIRST_SLOT] = d;
}

/* DDDD:BB:DD.F in lower-case hex, as sysfs names functions. */
static bool vfio__bdf_valid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	return strlen(bdf) == 12 &&
	       sscanf(bdf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4 &&
	       dev < 32 && fn < 8 && bdf[4] == ':' && bdf[7] == ':' &&
	       bdf[10] == '.' && strspn(bdf, "0123456789abcdef:.") == 12;
}

void vfio__init(void)
{
	unsigned int i, j;

	if (!vmm.cfg.nr_pci_args)
		return;
	for (i = 0; i < vmm.cfg.nr_pci_args; i++) {
		const char *bdf = vmm.cfg.pci_args[i];

		if (!vfio__bdf_valid(bdf))
			vmm__die_start("pci \"%.40s\": not a PCI address (DDDD:BB:DD.F, lower-case hex)",
				       bdf);
		for (j = 0; j < i; j++)
			if (!strcmp(bdf, vmm.cfg.pci_args[j]))
				vmm__die_start("pci %s: given twice", bdf);
	}
	vfio__open_container();
	for (i = 0; i < vmm.cfg.nr_pci_args; i++)
		vfio__add_device(vmm.cfg.pci_args[i], VFIO_FIRST_SLOT + i);
}
