// SPDX-License-Identifier: GPL-2.0
/*
 * The domain spec: "key=value" strings, each NUL-terminated, back to back
 * (uapi/drvbox.h, struct drvbox_create).  Its framing is checked once,
 * here, when it comes in; drvbox.ko itself reads only the exports from it
 * and hands the rest to every incarnation's VMM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/virtio_blk.h>

#include "../uapi/drvbox.h"
#include "spec.h"

static_assert(SPEC_SERIAL_LEN == VIRTIO_BLK_ID_BYTES);

enum spec_key {
	SPEC_KERNEL,
	SPEC_MODULE,
	SPEC_PARAM,
	SPEC_PCI,
	SPEC_EXPORT,
	SPEC_CMDLINE,
	NR_SPEC_KEYS,
};

static const char * const spec_keys[NR_SPEC_KEYS] = {
	[SPEC_KERNEL] = "kernel=",
	[SPEC_MODULE] = "module=",
	[SPEC_PARAM] = "param=",
	[SPEC_PCI] = "pci=",
	[SPEC_EXPORT] = "export=",
	[SPEC_CMDLINE] = "cmdline=",
};

/* The key of string @p (@n bytes, no NUL), or NR_SPEC_KEYS if unknown. */
static enum spec_key spec_key_of(const char *p, size_t n)
{
	enum spec_key k;

	for (k = 0; k < NR_SPEC_KEYS; k++)
		if (n > strlen(spec_keys[k]) &&
		    !strncmp(p, spec_keys[k], strlen(spec_keys[k])))
			return k;
	return NR_SPEC_KEYS;
}

/*
 * Count the strings of @spec by key into @count.  False unless every
 * byte is printable and every string non-empty with a known key and a
 * value, and each export is short enough to report back.
 */
static bool spec_count(const char *spec, u32 len,
		       unsigned int count[NR_SPEC_KEYS])
{
	const char *p = spec, *end = spec + len;

	memset(count, 0, NR_SPEC_KEYS * sizeof(count[0]));
	if (len == 0 || spec[len - 1])
		return false;
	while (p < end) {
		size_t n = strlen(p), i;
		enum spec_key k;

		for (i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] >= 0x7f)
				return false;
		k = spec_key_of(p, n);
		if (k == NR_SPEC_KEYS)
			return false;
		if (k == SPEC_EXPORT && n - strlen(spec_keys[k]) >=
		    sizeof_field(struct drvbox_export_status, spec))
			return false;
		count[k]++;
		p += n + 1;
	}
	return true;
}

/**
 * spec_valid() - is @spec a domain's spec?
 * @spec: the bytes, as copied from the caller
 * @len: their number, the final NUL included
 *
 * Return: true if well framed (see spec_count()) with exactly one kernel=,
 * at most DRVBOX_MAX_MODULES module= and DRVBOX_MAX_EXPORTS export=.
 */
bool spec_valid(const char *spec, u32 len)
{
	unsigned int count[NR_SPEC_KEYS];

	return spec_count(spec, len, count) && count[SPEC_KERNEL] == 1 &&
	       count[SPEC_MODULE] <= DRVBOX_MAX_MODULES &&
	       count[SPEC_EXPORT] <= DRVBOX_MAX_EXPORTS;
}

/**
 * spec_drivers_valid() - is @spec the drivers part of an upgrade?
 * @spec: the bytes, as copied from the caller
 * @len: their number, the final NUL included
 *
 * Return: true if well framed, with only module= (1 to DRVBOX_MAX_MODULES)
 * and param= strings.
 */
bool spec_drivers_valid(const char *spec, u32 len)
{
	unsigned int count[NR_SPEC_KEYS], k, others = 0;

	if (!spec_count(spec, len, count))
		return false;
	for (k = 0; k < NR_SPEC_KEYS; k++)
		if (k != SPEC_MODULE && k != SPEC_PARAM)
			others += count[k];
	return !others && count[SPEC_MODULE] >= 1 &&
	       count[SPEC_MODULE] <= DRVBOX_MAX_MODULES;
}

/**
 * spec_with_drivers() - a spec with its drivers replaced
 * @spec: a valid spec (spec_valid())
 * @len: its length
 * @drv: valid new drivers (spec_drivers_valid())
 * @drv_len: their length
 * @out_len: the new spec's length
 *
 * Every string of @spec but its module= and param= ones, in order, then
 * every string of @drv.
 *
 * Return: the new spec (kvfree() it), or NULL if out of memory.
 */
char *spec_with_drivers(const char *spec, u32 len, const char *drv,
			u32 drv_len, u32 *out_len)
{
	const char *p = spec, *end = spec + len;
	char *out, *o;

	out = kvmalloc(len + drv_len, GFP_KERNEL);
	if (!out)
		return NULL;
	o = out;
	while (p < end) {
		size_t n = strlen(p);
		enum spec_key k = spec_key_of(p, n);

		if (k != SPEC_MODULE && k != SPEC_PARAM) {
			memcpy(o, p, n + 1);
			o += n + 1;
		}
		p += n + 1;
	}
	memcpy(o, drv, drv_len);
	*out_len = o - out + drv_len;
	return out;
}

/* FNV-1a over @s, folded to 16 bits. */
static u16 spec_name_hash(const char *s)
{
	u32 h = 2166136261U;

	while (*s) {
		h ^= (u8)*s++;
		h *= 16777619U;
	}
	return h ^ (h >> 16);
}

static void spec_put(char *out, size_t *n, const char *s, size_t len)
{
	memcpy(out + *n, s, len);
	*n += len;
}

/**
 * spec_blk_serial() - the serial of a domain's block export
 * @out: SPEC_SERIAL_LEN bytes, NUL-padded (no NUL when full)
 * @dom: the domain's name
 * @dev: the export's device name in the guest
 *
 * "drvbox-DOM-DEV" if it fits; else "DOM-DEV"; else the domain name cut,
 * with a hash of the whole of it, "DOM~HHHH-DEV", so that two domains
 * whose names differ only past the cut (storage-prod-a, storage-prod-b)
 * still give /dev/disk/by-id two names; a device name too long even for
 * that keeps its tail.  The same names give the same serial everywhere.
 */
void spec_blk_serial(char out[SPEC_SERIAL_LEN], const char *dom,
		     const char *dev)
{
	static const char prefix[] = "drvbox-", hex[] = "0123456789abcdef";
	size_t dl = strlen(dev), ml = strlen(dom), n = 0, keep;
	char tag[5];	/* "~HHHH" */
	u16 h;
	int i;

	memset(out, 0, SPEC_SERIAL_LEN);
	if (sizeof(prefix) - 1 + ml + 1 + dl <= SPEC_SERIAL_LEN) {
		spec_put(out, &n, prefix, sizeof(prefix) - 1);
		spec_put(out, &n, dom, ml);
	} else if (ml + 1 + dl <= SPEC_SERIAL_LEN) {
		spec_put(out, &n, dom, ml);
	} else {
		keep = SPEC_SERIAL_LEN > sizeof(tag) + 1 + dl ?
		       SPEC_SERIAL_LEN - sizeof(tag) - 1 - dl : 0;
		spec_put(out, &n, dom, keep);
		h = spec_name_hash(dom);
		tag[0] = '~';
		for (i = 0; i < 4; i++)
			tag[1 + i] = hex[(h >> (12 - 4 * i)) & 0xf];
		spec_put(out, &n, tag, sizeof(tag));
	}
	spec_put(out, &n, "-", 1);
	/* n <= SPEC_SERIAL_LEN - 1 here: the device name's tail fits */
	if (dl > SPEC_SERIAL_LEN - n) {
		dev += dl - (SPEC_SERIAL_LEN - n);
		dl = SPEC_SERIAL_LEN - n;
	}
	spec_put(out, &n, dev, dl);
}
