// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox: building a domain's spec (uapi/drvbox.h, struct drvbox_create)
 * from the command line, for run and upgrade.  Paths go into the spec
 * absolute: the VMM runs with another working directory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int spec_add(struct spec *s, const char *key, const char *value)
{
	size_t n = strlen(key) + 1 + strlen(value) + 1;
	char *nbuf;

	if (s->len + n > DRVBOX_SPEC_MAX) {
		fprintf(stderr, "drvbox: the domain's configuration is over "
			"%d bytes\n", DRVBOX_SPEC_MAX);
		return -1;
	}
	nbuf = realloc(s->buf, s->len + n);
	if (!nbuf) {
		fprintf(stderr, "drvbox: out of memory\n");
		return -1;
	}
	s->buf = nbuf;
	snprintf(s->buf + s->len, n, "%s=%s", key, value);
	s->len += n;
	return 0;
}

bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

bool chars_in(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* Read the first bytes of a file; -1 with a message naming @what. */
ssize_t read_head(const char *what, const char *path, void *buf,
			 size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "drvbox: %s %s: %s\n", what, path,
			strerror(errno));
		return -1;
	}
	n = pread(fd, buf, len, 0);
	if (n < 0)
		fprintf(stderr, "drvbox: %s %s: read: %s\n", what, path,
			strerror(errno));
	close(fd);
	return n;
}

/* An existing regular file, made absolute into @abs (PATH_MAX bytes). */
int existing_file(const char *what, const char *path, char *abs)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "drvbox: %s %s: %s\n", what, path,
			strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "drvbox: %s %s: not a regular file\n", what,
			path);
		return -1;
	}
	if (!realpath(path, abs)) {
		fprintf(stderr, "drvbox: %s %s: realpath: %s\n", what, path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The compressed forms of a module the VMM unpacks, with their magic. */
static const struct {
	const char *suffix;
	unsigned char magic[6];
	size_t magic_len;
} packed_modules[] = {
	{ ".ko.xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ ".ko.zst", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ ".ko.gz", { 0x1f, 0x8b }, 2 },
};

/* The packed_modules[] entry @drv's name ends in, or -1. */
static int packed_kind(const char *drv)
{
	size_t i;

	for (i = 0; i < sizeof(packed_modules) / sizeof(packed_modules[0]); i++)
		if (ends_with(drv, packed_modules[i].suffix))
			return (int)i;
	return -1;
}

/*
 * A driver is a file if it looks like a path (a '/' or a .ko, .ko.xz,
 * .ko.zst or .ko.gz suffix); otherwise it is a module name for the VMM to
 * resolve in the guest kernel's modules.dep.
 */
int check_driver(const char *drv, struct spec *spec)
{
	unsigned char head[18];
	char abs[PATH_MAX];
	int packed = packed_kind(drv);
	bool ok;
	ssize_t n;

	if (!strchr(drv, '/') && !ends_with(drv, ".ko") && packed < 0) {
		if (!chars_in(drv, "_-") ||
		    strlen(drv) >= sizeof(((struct drvbox_module_status *)0)->name) - 3) {
			fprintf(stderr, "drvbox: --driver %s: neither a module "
				"name nor a path to a .ko file\n", drv);
			return -1;
		}
		return spec_add(spec, "module", drv);
	}
	if (existing_file("--driver", drv, abs) < 0)
		return -1;
	n = read_head("--driver", abs, head, sizeof(head));
	if (n < 0)
		return -1;
	if (packed >= 0)
		ok = (size_t)n >= packed_modules[packed].magic_len &&
		     !memcmp(head, packed_modules[packed].magic,
			     packed_modules[packed].magic_len);
	else
		ok = ends_with(drv, ".ko") && n >= 18 &&
		     !memcmp(head, "\177ELF", 4) &&
		     head[16] == 1 /* ET_REL */ && head[17] == 0;
	if (!ok) {
		fprintf(stderr, "drvbox: --driver %s: not a kernel module "
			"(expected an ELF .ko, or a .ko.xz, .ko.zst or .ko.gz "
			"of one)\n", drv);
		return -1;
	}
	return spec_add(spec, "module", abs);
}

/* MODULE.KEY=VALUE; the VMM writes it to a space-separated line. */
int check_param(const char *p, struct spec *spec)
{
	const char *dot = strchr(p, '.'), *eq = strchr(p, '=');
	char mod[64], key[128];
	const char *c;
	bool ok = dot && eq && dot < eq && dot > p && eq > dot + 1 &&
		  (size_t)(dot - p) < sizeof(mod) &&
		  (size_t)(eq - dot - 1) < sizeof(key);

	if (ok) {
		snprintf(mod, sizeof(mod), "%.*s", (int)(dot - p), p);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
		ok = chars_in(mod, "_-") && chars_in(key, "_-.");
		for (c = eq + 1; ok && *c; c++)
			ok = *c > ' ' && *c < 0x7f;
	}
	if (!ok) {
		fprintf(stderr, "drvbox: malformed --param '%s': expected "
			"MODULE.KEY=VALUE (no spaces)\n", p);
		return -1;
	}
	return spec_add(spec, "param", p);
}
