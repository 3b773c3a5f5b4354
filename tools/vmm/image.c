// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the boot image.
 *
 * A cold-booted incarnation saves the whole VM when guest init reaches the
 * boot image point (uapi/drvbox_guest.h): the kernel is up, no module is
 * loaded, nothing untrusted has run.  Later incarnations of any domain with
 * the same configuration start from that file instead of booting: their
 * fresh, zeroed RAM gets the image's non-zero pages, KVM gets the vCPU,
 * irqchip and PIT state, the emulated devices theirs, and the guest goes
 * on from the point as if it had just booted (docs/recovery.md).
 *
 * The file is named after a hash of everything the saved state depends on
 * (this VMM binary, the host kernel, the guest kernel, the initramfs bytes,
 * the command line, RAM, vCPUs, the shared-area layout, the passed-through
 * devices, KVM's CPUID); the full description is in the file and compared
 * byte for byte, and a checksum covers the rest up to the RAM bytes.  A
 * file that does not match or does not check is ignored (a log line) and
 * the incarnation boots.  The RAM bytes are not checksummed (hashing tens
 * of MiB costs more than the rest of a restore); a restored incarnation
 * that dies before its stub is up removes the image instead, so that a
 * damaged one costs one incarnation, never a loop.
 *
 * Layout: struct image_header, the description (NUL-terminated, padded to
 * 8 bytes), struct vm_state, struct dev_state, a struct vcpu_state per
 * vCPU, the extent table, then at the next page boundary the RAM bytes of
 * each extent in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "drvbox_guest.h"
#include "vmm.h"

#define IMAGE_MAGIC		"DRVBIMG1"
#define IMAGE_VERSION		1
#define IMAGE_PAGE		4096ULL
#define IMAGE_DESC_MAX		8192
#define IMAGE_MAX_EXTENTS	65536
#define IMAGE_CACHE_MAX		8	/* images kept in the directory */
#define IMAGE_META_MAX		(8ULL << 20)
#define IMAGE_SUM_SEED		0x84222325cbf29ce4ULL

struct image_header {
	char magic[8];
	uint32_t version;
	uint32_t nr_vcpus;
	uint64_t desc_bytes;		/* padded */
	uint64_t ram_bytes;
	uint64_t nr_extents;
	uint64_t data_offset;		/* page aligned */
	uint64_t data_bytes;
	uint64_t checksum;		/* from the header to the data */
	uint64_t boot_ms;		/* cold boot to the point */
};

_Static_assert(sizeof(struct image_header) % 8 == 0,
	       "the checksum starts at a word boundary");

struct image_extent {
	uint64_t offset;		/* into guest RAM, page aligned */
	uint64_t bytes;
};

static struct {
	char desc[IMAGE_DESC_MAX];
	size_t desc_len;
	char path[512];
	bool point_seen;		/* the first write wins */
} img;

/* Appends a line to the description; too long a one leaves no image. */
__attribute__((format(printf, 1, 2)))
static void image__describe(const char *fmt, ...)
{
	size_t room = sizeof(img.desc) - img.desc_len;
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(img.desc + img.desc_len, room, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= room)
		img.desc_len = sizeof(img.desc);
	else
		img.desc_len += w;
}

static void image__describe_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		image__describe("%s missing\n", what);
		return;
	}
	image__describe("%s %s %llu %llu %llu %lld.%09ld\n", what, path,
			(unsigned long long)st.st_dev,
			(unsigned long long)st.st_ino,
			(unsigned long long)st.st_size,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/*
 * Everything the saved state depends on.  Called once the VM and its
 * vCPUs exist (KVM's CPUID is known) and the initramfs's files are found.
 */
void image__prepare(const char *cmdline)
{
	const char *dir = vmm.cfg.image_dir;
	struct utsname u;
	unsigned int i;

	if (!dir)
		return;
	img.desc_len = 0;
	image__describe("drvbox-vmm boot image %d\n", IMAGE_VERSION);
	image__describe_file("vmm", "/proc/self/exe");
	if (uname(&u) == 0) {
		image__describe("host %s\n", u.release);
		image__describe("host-version %s\n", u.version);
	}
	image__describe_file("kernel", vmm.cfg.kernel);
	/* the initramfs: these two and what this VMM binary adds */
	image__describe_file("init", initramfs__init_path());
	image__describe_file("stub", initramfs__stub_path());
	image__describe("cmdline %s\n", cmdline);
	image__describe("ram %llu\n", (unsigned long long)vmm.ram_bytes);
	image__describe("vcpus %u\n", vmm.cfg.vcpus);
	image__describe("shared %u\n", vmm.shared_bytes);
	image__describe("doorbells %u\n", vmm.nr_doorbells);
	image__describe("vectors %u\n", vmm.nr_vectors);
	image__describe("tsc-khz %u\n", kvm__tsc_khz());
	image__describe("cpuid %llu\n", (unsigned long long)kvm__cpuid_hash());
	for (i = 0; i < vmm.cfg.nr_pci_args; i++)
		image__describe("pci %u %s\n", i, vmm.cfg.pci_args[i]);
	if (img.desc_len >= sizeof(img.desc)) {
		vmm__log("boot image: configuration too long to describe; booting without one");
		return;
	}
	img.desc[img.desc_len++] = '\0';
	snprintf(img.path, sizeof(img.path), "%s/%016llx.img", dir,
		 (unsigned long long)vmm__hash(VMM_HASH_SEED,
						 img.desc, img.desc_len));
}

static uint64_t image__align8(uint64_t n)
{
	return (n + 7) & ~7ULL;
}

/* Offsets of the parts after the header; 0 on overflow. */
struct image_layout {
	uint64_t vm, dev, vcpus, extents, end;
};

static bool image__layout(const struct image_header *h,
			  struct image_layout *l)
{
	if (h->desc_bytes > IMAGE_DESC_MAX || h->nr_vcpus > 16 ||
	    h->nr_extents > IMAGE_MAX_EXTENTS)
		return false;
	l->vm = sizeof(*h) + h->desc_bytes;
	l->dev = l->vm + image__align8(sizeof(struct vm_state));
	l->vcpus = l->dev + image__align8(sizeof(struct dev_state));
	l->extents = l->vcpus + h->nr_vcpus * sizeof(struct vcpu_state);
	l->end = l->extents + h->nr_extents * sizeof(struct image_extent);
	return true;
}

/* Runs of non-zero pages of guest RAM. */
static unsigned int image__find_extents(struct image_extent *ext,
					unsigned int max, uint64_t *bytes)
{
	unsigned int n = 0;
	uint64_t off;

	*bytes = 0;
	for (off = 0; off < vmm.ram_bytes; off += IMAGE_PAGE) {
		const uint64_t *w = (const uint64_t *)(vmm.ram + off);
		size_t i;

		for (i = 0; i < IMAGE_PAGE / 8 && !w[i]; i++)
			;
		if (i == IMAGE_PAGE / 8)
			continue;
		if (n && ext[n - 1].offset + ext[n - 1].bytes == off) {
			ext[n - 1].bytes += IMAGE_PAGE;
		} else {
			if (n == max)
				return max + 1;
			ext[n].offset = off;
			ext[n].bytes = IMAGE_PAGE;
			n++;
		}
		*bytes += IMAGE_PAGE;
	}
	return n;
}

static int image__write_all(int fd, const void *p, size_t len, uint64_t *sum)
{
	const uint8_t *b = p;

	if (sum)
		*sum = vmm__hash(*sum, p, len);
	while (len) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		len -= w;
	}
	return 0;
}

/*
 * Writes the image; every vCPU is paused and @vcpus holds their state.
 * The file appears under its name only when complete (rename).
 */
int image__save(const struct vcpu_state *vcpus, unsigned int n)
{
	static struct image_extent ext[IMAGE_MAX_EXTENTS];
	static struct vm_state vm;
	static struct dev_state dev;
	struct image_header h = { .version = IMAGE_VERSION };
	uint64_t t0 = vmm__now_ns(), sum = IMAGE_SUM_SEED;
	struct image_layout l;
	size_t meta_len;
	uint8_t *meta;
	char tmp[560];
	unsigned int i;
	int fd, err;

	memcpy(h.magic, IMAGE_MAGIC, sizeof(h.magic));
	h.nr_vcpus = n;
	h.desc_bytes = image__align8(img.desc_len);
	h.ram_bytes = vmm.ram_bytes;
	h.boot_ms = (t0 - vmm.start_ns) / 1000000;
	err = vm_state__save(&vm);
	if (err)
		return err;
	memset(&dev, 0, sizeof(dev));
	serial__save(&dev);
	rtc__save(&dev);
	pci__save(&dev);
	h.nr_extents = image__find_extents(ext, IMAGE_MAX_EXTENTS, &h.data_bytes);
	if (h.nr_extents > IMAGE_MAX_EXTENTS || !image__layout(&h, &l))
		return -E2BIG;
	h.data_offset = (l.end + IMAGE_PAGE - 1) & ~(IMAGE_PAGE - 1);

	/*
	 * Everything between the header and the data in one buffer: the
	 * checksum is computed in 8-byte words, so each piece it is fed
	 * must be a multiple of 8 bytes long (the data's are pages).
	 */
	meta_len = h.data_offset - sizeof(h);
	meta = calloc(1, meta_len);
	if (!meta)
		return -ENOMEM;
	memcpy(meta, img.desc, img.desc_len);
	memcpy(meta + l.vm - sizeof(h), &vm, sizeof(vm));
	memcpy(meta + l.dev - sizeof(h), &dev, sizeof(dev));
	memcpy(meta + l.vcpus - sizeof(h), vcpus, n * sizeof(*vcpus));
	memcpy(meta + l.extents - sizeof(h), ext, h.nr_extents * sizeof(ext[0]));

	if (mkdir(vmm.cfg.image_dir, 0700) < 0 && errno != EEXIST) {
		free(meta);
		return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", img.path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(meta);
		return -errno;
	}
	/* the header goes last, with the checksum, over the placeholder */
	err = image__write_all(fd, &h, sizeof(h), NULL);
	if (!err)
		err = image__write_all(fd, meta, meta_len, &sum);
	free(meta);
	for (i = 0; !err && i < h.nr_extents; i++)
		err = image__write_all(fd, vmm.ram + ext[i].offset,
				       ext[i].bytes, NULL);
	h.checksum = sum;
	if (!err && pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		err = -errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, img.path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	vmm__log("boot image saved: %s, %llu KiB of %llu MiB RAM in %llu extents, at %llu ms, in %llu ms",
		 img.path, (unsigned long long)(h.data_bytes >> 10),
		 (unsigned long long)(vmm.ram_bytes >> 20),
		 (unsigned long long)h.nr_extents,
		 (unsigned long long)h.boot_ms,
		 (unsigned long long)((vmm__now_ns() - t0) / 1000000));
	vmm__prune_dir(vmm.cfg.image_dir, ".img", IMAGE_CACHE_MAX);
	return 0;
}

/* The checks of an image's header and metadata; NULL when good, else why. */
static const char *image__check(const struct image_header *h,
				const uint8_t *meta, uint64_t file_bytes,
				struct image_layout *l)
{
	const struct image_extent *ext;
	uint64_t i, data = 0, last_end = 0;

	if (memcmp(h->magic, IMAGE_MAGIC, 8))
		return "not a drvbox boot image";
	if (h->version != IMAGE_VERSION)
		return "another image version";
	if (h->desc_bytes != image__align8(img.desc_len) ||
	    memcmp(meta, img.desc, img.desc_len))
		return "made for another configuration";
	if (h->nr_vcpus != vmm.cfg.vcpus || h->ram_bytes != vmm.ram_bytes)
		return "made for another configuration";
	if (vmm__hash(IMAGE_SUM_SEED, meta, h->data_offset - sizeof(*h)) !=
	    h->checksum)
		return "checksum mismatch";
	if (h->data_bytes > file_bytes - h->data_offset)
		return "truncated";
	ext = (const void *)(meta + l->extents - sizeof(*h));
	for (i = 0; i < h->nr_extents; i++) {
		if (ext[i].offset % IMAGE_PAGE || ext[i].offset < last_end ||
		    ext[i].bytes > vmm.ram_bytes ||
		    ext[i].offset > vmm.ram_bytes - ext[i].bytes)
			return "extent outside guest RAM";
		last_end = ext[i].offset + ext[i].bytes;
		data += ext[i].bytes;
	}
	if (data != h->data_bytes)
		return "extents do not add up";
	return NULL;
}

/* All @len bytes at @off, or -errno (-EIO: the file ends first). */
static int image__read_all(int fd, void *p, size_t len, uint64_t off)
{
	ssize_t r = vmm__pread_all(fd, p, len, off);

	return r < 0 ? r : (size_t)r < len ? -EIO : 0;
}

/* Reads and checks the header and metadata; NULL and a log line if bad. */
static uint8_t *image__open(int fd, struct image_header *h,
			    struct image_layout *l)
{
	const char *why = "truncated or malformed";
	struct stat st;
	uint8_t *meta = NULL;

	if (fstat(fd, &st) < 0 || image__read_all(fd, h, sizeof(*h), 0) ||
	    !image__layout(h, l) || h->data_offset < l->end ||
	    h->data_offset > (uint64_t)st.st_size ||
	    h->data_offset > IMAGE_META_MAX)
		goto bad;
	meta = malloc(h->data_offset - sizeof(*h));
	if (!meta) {
		why = "out of memory";
		goto bad;
	}
	if (image__read_all(fd, meta, h->data_offset - sizeof(*h), sizeof(*h)))
		goto bad;
	why = image__check(h, meta, st.st_size, l);
	if (!why)
		return meta;
bad:
	free(meta);
	vmm__log("boot image %s: %s; booting and saving a new one", img.path,
		 why);
	unlink(img.path);
	return NULL;
}

/*
 * Starts this incarnation from the image, if there is a good one.
 * Returns false (the caller boots) when there is none or it does not
 * check; a failure after guest state was touched ends the incarnation
 * (the image is removed, so the next one boots).
 */
bool image__restore(void)
{
	const struct image_extent *ext;
	const struct vcpu_state *vcpus;
	uint64_t t0 = vmm__now_ns(), t_pop, t_read, t_map, i, pos;
	struct image_header h;
	struct image_layout l;
	uint8_t *meta;
	int fd, err = 0;

	if (!img.path[0])
		return false;
	fd = open(img.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			vmm__log("boot image %s: %s; booting", img.path,
				 strerror(errno));
		return false;
	}
	meta = image__open(fd, &h, &l);
	if (!meta) {
		close(fd);
		return false;
	}
	ext = (const void *)(meta + l.extents - sizeof(h));
	vcpus = (const void *)(meta + l.vcpus - sizeof(h));
	/*
	 * The file's bytes straight into guest RAM, one copy: drvbox.ko reads
	 * them into pages it never zeroes, then they are mapped here.
	 * Standalone, they are read into the VMM's own RAM.
	 */
	t_read = vmm__now_ns();
	for (i = 0, pos = h.data_offset; !err && i < h.nr_extents; i++) {
		if (supervisor__attached())
			err = -supervisor__load_ram(fd, pos, ext[i].offset,
						    ext[i].bytes);
		else
			err = image__read_all(fd, vmm.ram + ext[i].offset,
					      ext[i].bytes, pos);
		pos += ext[i].bytes;
	}
	t_read = vmm__now_ns() - t_read;
	t_pop = vmm__now_ns();
	for (i = 0; !err && i < h.nr_extents; i++)
		supervisor__populate(ext[i].offset, ext[i].bytes);
	t_pop = vmm__now_ns() - t_pop;
	close(fd);
	if (!err)
		err = vm_state__restore((const void *)(meta + l.vm - sizeof(h)));
	if (!err)
		err = pci__restore((const void *)(meta + l.dev - sizeof(h)));
	if (!err) {
		serial__restore((const void *)(meta + l.dev - sizeof(h)));
		rtc__restore((const void *)(meta + l.dev - sizeof(h)));
	}
	for (i = 0; !err && i < h.nr_vcpus; i++)
		err = vcpu_state__restore(vmm.vcpu_fds[i], &vcpus[i]);
	/* the pages just restored are the ones the guest touches first */
	t_map = vmm__now_ns();
	for (i = 0; !err && i < h.nr_extents; i++)
		if (!kvm__prefault(ext[i].offset, ext[i].bytes))
			break;
	t_map = vmm__now_ns() - t_map;
	free(meta);
	if (err) {
		unlink(img.path);
		vmm__die_start("boot image %s: restoring failed: %s (removed; the next incarnation boots)",
			       img.path, strerror(-err));
	}
	vmm.restored = true;
	vmm__log("started from boot image %s (%llu KiB, saved %llu ms into its cold boot) in %llu ms (RAM: %llu ms reading, %llu ms mapping here, %llu ms mapping for the guest), %llu ms after VMM start",
		 img.path, (unsigned long long)(h.data_bytes >> 10),
		 (unsigned long long)h.boot_ms,
		 (unsigned long long)((vmm__now_ns() - t0) / 1000000),
		 (unsigned long long)(t_read / 1000000),
		 (unsigned long long)(t_pop / 1000000),
		 (unsigned long long)(t_map / 1000000),
		 (unsigned long long)((vmm__now_ns() - vmm.start_ns) / 1000000));
	return true;
}

/*
 * A restored incarnation whose guest died before its stub came up: the
 * image itself may be bad (the RAM bytes carry no checksum).  Removing it
 * makes the next incarnation boot and save a new one.
 */
void image__guest_died(void)
{
	if (!vmm.restored || drvbox_dev__stub_seen() || !img.path[0])
		return;
	if (unlink(img.path) == 0)
		vmm__log("boot image %s removed: the guest died before its stub came up",
			 img.path);
}

/*
 * The boot image port.  Sets *save for the first point write of a cold
 * boot that wants an image; the caller pauses every vCPU and calls
 * image__save().  Later writes (a guest that loaded untrusted code by
 * then) are ignored.
 */
bool image__io(uint16_t port, bool write, uint8_t *data, uint32_t len,
	       bool *save)
{
	static __thread uint64_t time_latched;
	uint32_t v;

	if (port == DRVBOX_IMAGE_SEED_PORT || port == DRVBOX_IMAGE_TIME_PORT ||
	    port == DRVBOX_IMAGE_TIME_PORT + 4) {
		if (write || len != 4)
			return true;
		if (port == DRVBOX_IMAGE_TIME_PORT) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			time_latched = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
			v = (uint32_t)time_latched;
		} else if (port == DRVBOX_IMAGE_TIME_PORT + 4) {
			v = time_latched >> 32;
		} else if (getrandom(&v, sizeof(v), 0) != sizeof(v)) {
			v = (uint32_t)vmm__now_ns();
		}
		memcpy(data, &v, 4);
		return true;
	}
	if (port != DRVBOX_IMAGE_PORT)
		return false;
	if (len != 4)
		return true;
	if (!write) {
		v = vmm.restored ? DRVBOX_IMAGE_RESTORED : DRVBOX_IMAGE_COLD;
		memcpy(data, &v, 4);
		return true;
	}
	memcpy(&v, data, 4);
	if (v != DRVBOX_IMAGE_POINT || __atomic_exchange_n(&img.point_seen, true,
							     __ATOMIC_SEQ_CST))
		return true;
	*save = img.path[0] && !vmm.restored;
	return true;
}
