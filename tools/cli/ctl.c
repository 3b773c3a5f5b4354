// SPDX-License-Identifier: GPL-2.0
/* drvbox CLI: talking to /dev/drvbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* Open the control device, explaining the usual reasons it fails. */
int ctl_open(void)
{
	int fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "drvbox: drvbox.ko is not loaded (%s: %s); "
			"load it with: insmod build/$(uname -r)/kmod/drvbox.ko\n",
			DRVBOX_DEV_PATH, strerror(errno));
		break;
	case EPERM:
	case EACCES:
		fprintf(stderr, "drvbox: %s: %s: drvbox needs root "
			"(CAP_SYS_ADMIN)\n", DRVBOX_DEV_PATH, strerror(errno));
		break;
	default:
		fprintf(stderr, "drvbox: cannot open %s: %s\n",
			DRVBOX_DEV_PATH, strerror(errno));
	}
	return -1;
}

/* Returns the module's API version, or -1 (with a message) on mismatch. */
int ctl_check_version(int fd)
{
	struct drvbox_version v;

	memset(&v, 0, sizeof(v));
	if (ioctl(fd, DRVBOX_GET_VERSION, &v) < 0) {
		fprintf(stderr, "drvbox: DRVBOX_GET_VERSION: %s\n",
			strerror(errno));
		return -1;
	}
	if (v.api_version != DRVBOX_API_VERSION) {
		fprintf(stderr, "drvbox: drvbox.ko speaks API version %u, this "
			"tool speaks %u: rebuild and reload them together\n",
			v.api_version, DRVBOX_API_VERSION);
		return -1;
	}
	return (int)v.api_version;
}

/* Open /dev/drvbox and make sure we speak the module's API version. */
int ctl_open_checked(void)
{
	int fd = ctl_open();

	if (fd < 0)
		return -1;
	if (ctl_check_version(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Explain a failed domain ioctl (errno is set) in the user's terms. */
void ctl_perror(const char *ioctl_name, const char *name)
{
	int err = errno;

	switch (err) {
	case ENOENT:
		fprintf(stderr, "drvbox: no domain named '%s'\n", name);
		break;
	case EEXIST:
		fprintf(stderr, "drvbox: domain %s already exists\n", name);
		break;
	case ENOTTY:
		fprintf(stderr, "drvbox: %s: not supported by the loaded "
			"drvbox.ko (%s); rebuild and reload it\n",
			ioctl_name, strerror(err));
		break;
	case EPERM:
	case EACCES:
		fprintf(stderr, "drvbox: %s: %s: drvbox needs root "
			"(CAP_SYS_ADMIN)\n", ioctl_name, strerror(err));
		break;
	default:
		fprintf(stderr, "drvbox: %s%s%s: %s\n", ioctl_name,
			*name ? " " : "", name, strerror(err));
	}
	errno = err;
}

/* DRVBOX_DOMAIN_STATUS; no message on failure (errno tells why). */
int ctl_status(int fd, const char *name, struct drvbox_domain_status *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	if (ioctl(fd, DRVBOX_DOMAIN_STATUS, st) < 0)
		return -1;
	status_sanitize(st);
	return 0;
}

/* DRVBOX_DESTROY / DRVBOX_RESTART: the ioctls that only name a domain. */
int ctl_ref(int fd, unsigned long req, const char *req_name, const char *name)
{
	struct drvbox_domain_ref ref;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.name, sizeof(ref.name), "%s", name);
	if (ioctl(fd, req, &ref) < 0) {
		ctl_perror(req_name, name);
		return -1;
	}
	return 0;
}

/*
 * DRVBOX_LIST: all domain names, sorted.  Domains can appear between the
 * two calls, so ask again until the buffer was big enough.
 */
int ctl_list(int fd, char (**names)[DRVBOX_NAME_LEN], unsigned int *count)
{
	char (*buf)[DRVBOX_NAME_LEN] = NULL;
	unsigned int cap = 16;
	struct drvbox_list l;

	for (;;) {
		char (*nbuf)[DRVBOX_NAME_LEN] = realloc(buf, (size_t)cap * DRVBOX_NAME_LEN);

		if (!nbuf) {
			free(buf);
			fprintf(stderr, "drvbox: out of memory\n");
			return -1;
		}
		buf = nbuf;
		memset(&l, 0, sizeof(l));
		l.count = cap;
		l.names_ptr = (uint64_t)(uintptr_t)buf;
		if (ioctl(fd, DRVBOX_LIST, &l) < 0) {
			int err = errno;

			free(buf);
			errno = err;
			ctl_perror("DRVBOX_LIST", "");
			return -1;
		}
		if (l.count <= cap)
			break;
		cap = l.count + 16;
	}
	for (unsigned int i = 0; i < l.count; i++)
		buf[i][DRVBOX_NAME_LEN - 1] = '\0';
	*names = buf;
	*count = l.count;
	return 0;
}

/*
 * The start of every command that acts on one existing domain: check the
 * name, open /dev/drvbox and read the domain's status.  Returns the open
 * control fd, or -1 after saying what went wrong.
 */
int ctl_open_domain(const char *name, struct drvbox_domain_status *st)
{
	int fd;

	if (check_name(name) < 0)
		return -1;
	fd = ctl_open_checked();
	if (fd < 0)
		return -1;
	if (ctl_status(fd, name, st) < 0) {
		ctl_perror("DRVBOX_DOMAIN_STATUS", name);
		close(fd);
		return -1;
	}
	return fd;
}
