// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-init: the drivers of this incarnation, from the drvbox device's
 * BAR 4 through /dev/drvbox_stub (uapi/drvbox_guest.h, "The drivers").
 *
 * Each module is copied to MODULES_DIR, loaded (load_driver() reports it
 * to the stub) and removed again: the file is not needed once loaded, and
 * guest RAM is small.  Every length is checked against the area before it
 * is used; a malformed area loads nothing more and says where it broke.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "drvbox_guest.h"
#include "init.h"

#define DRIVERS_CHUNK	65536

static uint64_t drivers_pad(uint64_t n)
{
	return (n + DRVBOX_DRIVERS_ALIGN - 1) & ~(uint64_t)(DRVBOX_DRIVERS_ALIGN - 1);
}

/* Read exactly @len bytes at @off; false (said why) otherwise. */
static bool drivers_read(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			say("drivers: read at %" PRIu64 ": %s", off + done,
			    n < 0 ? strerror(errno) : "end of the area");
			return false;
		}
		done += n;
	}
	return true;
}

/*
 * Copy @size bytes at @off of the area to MODULES_DIR/@name; 0 or the
 * errno that stopped it (said why).
 */
static int drivers_copy(int stub_fd, const char *name, uint64_t off,
			uint32_t size)
{
	static char chunk[DRIVERS_CHUNK];
	char path[128];
	uint32_t done = 0;
	ssize_t w;
	int fd, err = 0;

	snprintf(path, sizeof(path), MODULES_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		say("drivers: %s: %s", path, strerror(err));
		return err;
	}
	while (done < size && !err) {
		size_t n = size - done < sizeof(chunk) ? size - done : sizeof(chunk);

		if (!drivers_read(stub_fd, chunk, n, off + done)) {
			err = EIO;
			break;
		}
		w = write(fd, chunk, n);
		if (w != (ssize_t)n) {
			err = w < 0 ? errno : ENOSPC;
			say("drivers: %s: write: %s", path, strerror(err));
		}
		done += n;
	}
	if (close(fd) < 0 && !err) {
		err = errno;
		say("drivers: %s: close: %s", path, strerror(err));
	}
	return err;
}

/* A file name we can put in MODULES_DIR: terminated, no '/', no dot first. */
static bool drivers_name_ok(const char *name)
{
	size_t n = strnlen(name, DRVBOX_DRIVER_NAME_LEN);

	return n > 0 && n < DRVBOX_DRIVER_NAME_LEN && !strchr(name, '/') &&
	       name[0] != '.';
}

void drivers_load(int stub_fd, unsigned int *loaded, unsigned int *failed)
{
	char params[4096], path[128];
	struct drvbox_driver_file f;
	struct drvbox_drivers h;
	uint64_t off;
	uint32_t i;
	int err;

	if (!drivers_read(stub_fd, &h, sizeof(h), 0))
		return;
	if (h.magic != DRVBOX_DRIVERS_MAGIC || h.bytes < sizeof(h) ||
	    h.bytes > DRVBOX_DRIVERS_BAR_SIZE) {
		say("drivers: bad area header (magic %#x, %" PRIu64 " bytes)",
		    h.magic, (uint64_t)h.bytes);
		return;
	}
	off = drivers_pad(sizeof(h));
	for (i = 0; i < h.nr_files; i++) {
		if (sizeof(f) > h.bytes - off ||
		    !drivers_read(stub_fd, &f, sizeof(f), off)) {
			say("drivers: module %u of %u lies past the area", i + 1,
			    h.nr_files);
			return;
		}
		off += drivers_pad(sizeof(f));
		if (!drivers_name_ok(f.name) || !f.params_len ||
		    f.params_len > sizeof(params) ||
		    drivers_pad(f.params_len) > h.bytes - off ||
		    drivers_pad(f.size) > h.bytes - off - drivers_pad(f.params_len)) {
			say("drivers: module %u of %u is malformed", i + 1,
			    h.nr_files);
			return;
		}
		if (!drivers_read(stub_fd, params, f.params_len, off))
			return;
		if (params[f.params_len - 1]) {
			say("drivers: %s: unterminated parameters", f.name);
			return;
		}
		off += drivers_pad(f.params_len);
		err = drivers_copy(stub_fd, f.name, off, f.size);
		if (err)
			driver_failed(f.name, err);
		if (!err && load_driver(f.name, params))
			(*loaded)++;
		else
			(*failed)++;
		off += drivers_pad(f.size);
		snprintf(path, sizeof(path), MODULES_DIR "/%s", f.name);
		unlink(path);
	}
}
