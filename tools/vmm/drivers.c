// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the drivers behind the drvbox device's BAR 4
 * (uapi/drvbox_guest.h, "The drivers").
 *
 * The BAR is anonymous memory of DRVBOX_DRIVERS_BAR_SIZE bytes, mapped
 * without reserve: only the pages the modules fill are ever backed.  The
 * guest may write to its view of it; nothing here reads it back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drvbox_guest.h"
#include "vmm.h"

static uint64_t drivers__pad(uint64_t n)
{
	return (n + DRVBOX_DRIVERS_ALIGN - 1) & ~(uint64_t)(DRVBOX_DRIVERS_ALIGN - 1);
}

/* Append @len bytes at *@off, padded; dies if the BAR is full. */
static void drivers__put(uint64_t *off, const void *data, uint64_t len)
{
	if (len > DRVBOX_DRIVERS_BAR_SIZE - *off ||
	    drivers__pad(len) > DRVBOX_DRIVERS_BAR_SIZE - *off)
		vmm__die_start("the drivers take more than the %u MiB of the domain's drivers area",
			       DRVBOX_DRIVERS_BAR_SIZE >> 20);
	memcpy(vmm.drivers + *off, data, len);
	*off += drivers__pad(len);
}

/* Every module of @mods, in order, with its parameters, into BAR 4. */
void drivers__build(const struct vmm_module *mods, unsigned int nr_mods)
{
	struct drvbox_drivers h = {
		.magic = DRVBOX_DRIVERS_MAGIC,
		.nr_files = nr_mods,
	};
	uint64_t off = drivers__pad(sizeof(h));
	unsigned int i;

	vmm.drivers = mmap(NULL, DRVBOX_DRIVERS_BAR_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm.drivers == MAP_FAILED)
		vmm__die_start("drivers area: mmap %u MiB: %s",
			       DRVBOX_DRIVERS_BAR_SIZE >> 20, strerror(errno));
	for (i = 0; i < nr_mods; i++) {
		const char *params = mods[i].params ? mods[i].params : "";
		/* unpacked here: the guest gets "x.ko" for "x.ko.xz" */
		size_t name_len = strlen(mods[i].file) -
				  unpack__suffix_len(mods[i].file);
		struct drvbox_driver_file f = {};
		uint8_t *data;
		size_t len;

		if (name_len >= sizeof(f.name) || strchr(mods[i].file, '/'))
			vmm__die_start("module %s: the file name is longer than %zu bytes",
				       mods[i].file, sizeof(f.name) - 1);
		if (mods[i].data) {
			data = mods[i].data;
			len = mods[i].len;
		} else {
			unpack__module(mods[i].host_path, &data, &len);
		}
		if (len > UINT32_MAX)
			vmm__die_start("module %s: %zu bytes, too large",
				       mods[i].host_path, len);
		memcpy(f.name, mods[i].file, name_len);
		f.params_len = strlen(params) + 1;
		f.size = len;
		drivers__put(&off, &f, sizeof(f));
		drivers__put(&off, params, f.params_len);
		drivers__put(&off, data, len);
		free(data);
	}
	h.bytes = off;
	memcpy(vmm.drivers, &h, sizeof(h));
	vmm.drivers_bytes = off;
}
