// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox CLI: the PCI functions a domain holds.
 *
 * drvbox run moves each --pci function to vfio-pci (pci.c) before
 * DRVBOX_CREATE, so the VMM can open its VFIO group, and records what it
 * did in /run/drvbox/NAME/pci-passthrough, one "BDF OLD_DRIVER" line per
 * function ("-" for none).  drvbox stop, and run when the domain fails to
 * start, give the functions back to their old drivers from that record.
 * The record is also how run sees that another domain holds a function.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pci.h"

#define PT_FILE	"pci-passthrough"

static void pt_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", DRVBOX_RUN_DIR, name, PT_FILE);
}

/* Does the record of domain @name list @bdf? */
static bool pt_lists(const char *name, const char *bdf)
{
	char path[PATH_MAX], line[128], b[32];
	bool found = false;
	FILE *f;

	pt_path(path, sizeof(path), name);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%31s", b) == 1 && !strcmp(b, bdf);
	fclose(f);
	return found;
}

/*
 * Is @bdf free to give to a new domain @name?  Not if a live domain holds
 * it, and not if the host is using it (pci_check_free()).  0 or -1 with a
 * message.
 */
int passthrough_check(int fd, const char *name, const char *bdf)
{
	struct drvbox_domain_status st;
	char why[512];
	struct dirent *de;
	DIR *dir;

	dir = opendir(DRVBOX_RUN_DIR);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, name) ||
		    !name_valid(de->d_name) || !pt_lists(de->d_name, bdf))
			continue;
		if (ctl_status(fd, de->d_name, &st) == 0) {
			fprintf(stderr, "drvbox: --pci %s: already passed "
				"through to domain %s\n", bdf, de->d_name);
			closedir(dir);
			return -1;
		}
	}
	if (dir)
		closedir(dir);
	if (pci_check_free(bdf, why, sizeof(why)) < 0) {
		fprintf(stderr, "drvbox: --pci %s: %s\n", bdf, why);
		return -1;
	}
	return 0;
}

/* Give back every function in @name's record, then remove the record. */
int passthrough_release(const char *name)
{
	char path[PATH_MAX], line[160], bdf[32], old[64], why[512];
	int ret = 0;
	FILE *f;

	pt_path(path, sizeof(path), name);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %63s", bdf, old) != 2)
			continue;
		if (!strcmp(old, "-"))
			old[0] = '\0';
		if (pci_restore(bdf, old, why, sizeof(why)) < 0) {
			fprintf(stderr, "drvbox: giving %s back to the host: "
				"%s\n", bdf, why);
			ret = -1;
		}
	}
	fclose(f);
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "drvbox: %s: %s\n", path, strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * Move @bdfs to vfio-pci for domain @name and record it.  On failure the
 * functions already moved go back: 0 or -1 with a message.
 */
int passthrough_bind(const char *name, const char *const *bdfs,
		     unsigned int n)
{
	char path[PATH_MAX], dir[PATH_MAX], old[64], why[512];
	unsigned int i;
	FILE *f;

	if (!n)
		return 0;
	/* A record left by an earlier domain of this name: settle it. */
	passthrough_release(name);

	if (mkdir(DRVBOX_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "drvbox: mkdir %s: %s\n", DRVBOX_RUN_DIR,
			strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", DRVBOX_RUN_DIR, name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "drvbox: mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	pt_path(path, sizeof(path), name);
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "drvbox: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (pci_bind_vfio(bdfs[i], old, sizeof(old), why,
				  sizeof(why)) < 0) {
			fprintf(stderr, "drvbox: --pci %s: %s\n", bdfs[i], why);
			fclose(f);
			passthrough_release(name);
			return -1;
		}
		/* Written and flushed at once: the record must not lag. */
		fprintf(f, "%s %s\n", bdfs[i], old[0] ? old : "-");
		fflush(f);
	}
	if (fclose(f) == EOF) {
		fprintf(stderr, "drvbox: %s: %s\n", path, strerror(errno));
		passthrough_release(name);
		return -1;
	}
	return 0;
}
