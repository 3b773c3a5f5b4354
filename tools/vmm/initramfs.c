// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the guest's initramfs, a cpio "newc" archive built in memory
 * for every cold boot (docs/domains.md, "Initramfs").
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

static void cpio__append(struct cpio *c, const void *data, size_t len)
{
	if (c->len + len > c->cap) {
		size_t cap = c->cap ? c->cap : 1 << 20;

		while (cap < c->len + len)
			cap *= 2;
		c->buf = realloc(c->buf, cap);
		if (!c->buf)
			vmm__die_start("out of memory building the initramfs");
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

static void cpio__pad4(struct cpio *c)
{
	static const uint8_t zero[4];

	cpio__append(c, zero, (4 - c->len % 4) % 4);
}

static void cpio__entry(struct cpio *c, const char *path, unsigned int mode,
			const void *data, size_t len, unsigned int rmajor,
			unsigned int rminor)
{
	char hdr[160];
	size_t namesize = strlen(path) + 1;

	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		 ++c->ino, mode, 0, 0, (mode & 0170000) == 0040000 ? 2 : 1, 0,
		 len, 0, 0, rmajor, rminor, namesize, 0);
	cpio__append(c, hdr, 110);
	cpio__append(c, path, namesize);
	cpio__pad4(c);
	if (len) {
		cpio__append(c, data, len);
		cpio__pad4(c);
	}
}

void cpio__dir(struct cpio *c, const char *path)
{
	cpio__entry(c, path, 0040755, NULL, 0, 0, 0);
}

void cpio__file(struct cpio *c, const char *path, unsigned int mode,
		const void *data, size_t len)
{
	cpio__entry(c, path, 0100000 | mode, data, len, 0, 0);
}

void cpio__chardev(struct cpio *c, const char *path, unsigned int mode,
		   unsigned int major, unsigned int minor)
{
	cpio__entry(c, path, 0020000 | mode, NULL, 0, major, minor);
}

void cpio__finish(struct cpio *c)
{
	cpio__entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
	/* the kernel wants the archive padded to 512 bytes by convention */
	while (c->len % 512)
		cpio__append(c, "", 1);
}

static void exe_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	char *slash;

	if (n < 0)
		vmm__die_start("readlink /proc/self/exe: %s", strerror(errno));
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
}

static void initramfs__add_host_file(struct cpio *c, const char *guest_path,
				     const char *host_path, unsigned int mode,
				     const char *what)
{
	uint8_t *data;
	size_t len;
	int err;

	err = vmm__read_file(host_path, &data, &len);
	if (err)
		vmm__die_start("%s %s: %s", what, host_path, strerror(err));
	cpio__file(c, guest_path, mode, data, len);
	free(data);
}

/* The host files the initramfs is made of (initramfs__locate()). */
static char init_path[PATH_MAX + 32], stub_path[PATH_MAX + 256];

static void initramfs__find_stub(const char *dir)
{
	char tried[sizeof(stub_path)];

	snprintf(stub_path, sizeof(stub_path), "%s/../%s/guest-stub/drvbox_stub.ko",
		 dir, vmm.kver);
	if (access(stub_path, R_OK) == 0)
		return;
	snprintf(tried, sizeof(tried), "%s", stub_path);
	snprintf(stub_path, sizeof(stub_path), "/lib/modules/%s/extra/drvbox_stub.ko",
		 vmm.kver);
	if (access(stub_path, R_OK) == 0)
		return;
	vmm__die_start("guest stub for %s not found (%s, %s): build it with make KVER=%s",
		       vmm.kver, tried, stub_path, vmm.kver);
}

/*
 * Find the guest init and the stub for vmm.kver.  The boot image's key
 * names them (initramfs__init_path(), initramfs__stub_path()); the
 * archive itself is built only for a cold boot.
 */
void initramfs__locate(void)
{
	char dir[PATH_MAX];

	exe_dir(dir, sizeof(dir));
	snprintf(init_path, sizeof(init_path), "%s/drvbox-init", dir);
	if (access(init_path, R_OK) < 0 &&
	    access("/usr/local/libexec/drvbox/drvbox-init", R_OK) == 0)
		snprintf(init_path, sizeof(init_path),
			 "/usr/local/libexec/drvbox/drvbox-init");
	/* missing now, not at the next cold boot */
	if (access(init_path, R_OK) < 0)
		vmm__die_start("guest init %s: %s", init_path, strerror(errno));
	initramfs__find_stub(dir);
}

const char *initramfs__init_path(void)
{
	return init_path;
}

const char *initramfs__stub_path(void)
{
	return stub_path;
}

/*
 * The archive: the init, the stub, and the directories they need.
 * Nothing here may name the domain, the incarnation or its drivers (those
 * come behind BAR 4, drivers.c): the boot image made from it serves every
 * incarnation of every domain of the same shape.  Anything added here
 * must be in the image's key (image__prepare()).
 */
void initramfs__build(struct cpio *c)
{
	memset(c, 0, sizeof(*c));
	cpio__dir(c, "dev");
	cpio__chardev(c, "dev/console", 0600, 5, 1);
	cpio__dir(c, "proc");
	cpio__dir(c, "sys");
	cpio__dir(c, "run");
	cpio__dir(c, "tmp");
	cpio__dir(c, "lib");
	cpio__dir(c, "lib/modules");
	initramfs__add_host_file(c, "init", init_path, 0755, "guest init");
	initramfs__add_host_file(c, "lib/modules/drvbox_stub.ko", stub_path,
				 0644, "guest stub");
	cpio__finish(c);
}
