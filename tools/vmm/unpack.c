// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: compressed modules (.ko.xz, .ko.zst, .ko.gz), unpacked on
 * the host, once per file.
 *
 * A guest kernel can unpack a module itself (MODULE_INIT_COMPRESSED_FILE,
 * xz only on Debian's kernels, none at all on 6.1), but it would do so in
 * every incarnation, on the way back from a crash, where every instruction
 * runs nested.  Here a module file is unpacked once (liblzma, libzstd,
 * zlib) and, for a domain of drvbox.ko, kept in UNPACK_CACHE_DIR under a
 * name made from the file's identity (path, device, inode, size, mtime):
 * the next incarnation reads plain ELF.  A cached file starts with that
 * identity, which must match in full; anything else is unpacked again.
 * At most UNPACK_CACHE_MAX files are kept, the oldest removed first.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "drvbox_guest.h"
#include "vmm.h"

#define UNPACK_CACHE_DIR	"/var/cache/drvbox/modules"
#define UNPACK_CACHE_MAX	64
/* UNPACK_CACHE_DIR "/%016x.ko" */
#define UNPACK_PATH_LEN		(sizeof(UNPACK_CACHE_DIR) + 24)
#define UNPACK_MAGIC		"drvbox-module-cache 1 "
/* nothing bigger fits behind BAR 4 anyway */
#define UNPACK_MAX_BYTES	DRVBOX_DRIVERS_BAR_SIZE
#define UNPACK_CHUNK		(256 << 10)

enum unpack_kind { UNPACK_NONE, UNPACK_XZ, UNPACK_ZSTD, UNPACK_GZIP };

static const struct {
	const char *suffix;
	enum unpack_kind kind;
} unpack_suffixes[] = {
	{ ".ko.xz", UNPACK_XZ },
	{ ".ko.zst", UNPACK_ZSTD },
	{ ".ko.gz", UNPACK_GZIP },
};

static enum unpack_kind unpack__kind(const char *name, size_t *suffix_len)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(unpack_suffixes) / sizeof(unpack_suffixes[0]); i++) {
		size_t s = strlen(unpack_suffixes[i].suffix);

		if (n > s && !strcmp(name + n - s, unpack_suffixes[i].suffix)) {
			*suffix_len = s - strlen(".ko");
			return unpack_suffixes[i].kind;
		}
	}
	*suffix_len = 0;
	return UNPACK_NONE;
}

size_t unpack__suffix_len(const char *name)
{
	size_t n;

	unpack__kind(name, &n);
	return n;
}

/* An output buffer that grows by UNPACK_CHUNK up to UNPACK_MAX_BYTES. */
struct unpack_out {
	uint8_t *buf;
	size_t len, cap;
};

static bool unpack__room(struct unpack_out *o)
{
	uint8_t *p;

	if (o->len < o->cap)
		return true;
	if (o->cap >= UNPACK_MAX_BYTES)
		return false;
	p = realloc(o->buf, o->cap + UNPACK_CHUNK);
	if (!p)
		vmm__die_start("unpacking a module: out of memory");
	o->buf = p;
	o->cap += UNPACK_CHUNK;
	return true;
}

static const char *unpack__xz(const uint8_t *in, size_t len, struct unpack_out *o)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return "cannot start the xz decoder";
	s.next_in = in;
	s.avail_in = len;
	do {
		if (!unpack__room(o)) {
			lzma_end(&s);
			return "more than the drivers area once unpacked";
		}
		s.next_out = o->buf + o->len;
		s.avail_out = o->cap - o->len;
		r = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&s);
	return r == LZMA_STREAM_END ? NULL : "not valid xz data";
}

static const char *unpack__zstd(const uint8_t *in, size_t len, struct unpack_out *o)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t r = 1;

	if (!dc)
		return "cannot start the zstd decoder";
	while (r) {
		ZSTD_outBuffer ob;

		if (!unpack__room(o)) {
			ZSTD_freeDCtx(dc);
			return "more than the drivers area once unpacked";
		}
		ob = (ZSTD_outBuffer){ o->buf, o->cap, o->len };
		r = ZSTD_decompressStream(dc, &ob, &ib);
		o->len = ob.pos;
		if (ZSTD_isError(r)) {
			ZSTD_freeDCtx(dc);
			return "not valid zstd data";
		}
		/* input used up with a frame still open: cut short */
		if (r && ib.pos == ib.size && ob.pos < ob.size) {
			ZSTD_freeDCtx(dc);
			return "truncated zstd data";
		}
	}
	ZSTD_freeDCtx(dc);
	return ib.pos == ib.size ? NULL : "data after the zstd frame";
}

static const char *unpack__gzip(const uint8_t *in, size_t len, struct unpack_out *o)
{
	z_stream s = { 0 };
	int r;

	if (len > UINT_MAX)
		return "too large";
	/* 16 + MAX_WBITS: a gzip header, not a zlib one */
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return "cannot start the gzip decoder";
	s.next_in = (Bytef *)in;
	s.avail_in = len;
	do {
		if (!unpack__room(o)) {
			inflateEnd(&s);
			return "more than the drivers area once unpacked";
		}
		s.next_out = o->buf + o->len;
		s.avail_out = o->cap - o->len;
		r = inflate(&s, Z_NO_FLUSH);
		o->len = o->cap - s.avail_out;
	} while (r == Z_OK);
	inflateEnd(&s);
	return r == Z_STREAM_END ? NULL : "not valid gzip data";
}

/* What names @path's present contents: the cache file's first line. */
static void unpack__identity(const char *path, const struct stat *st,
			     char *id, size_t len)
{
	snprintf(id, len, UNPACK_MAGIC "%s %ju %ju %jd %jd.%09ld\n", path,
		 (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
		 (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec);
}

static void unpack__cache_path(const char *id, char *path, size_t len)
{
	snprintf(path, len, UNPACK_CACHE_DIR "/%016" PRIx64 ".ko",
		 vmm__hash(VMM_HASH_SEED, id, strlen(id)));
}

/* The cached ELF for @id, or false. */
static bool unpack__cache_read(const char *id, const char *cpath,
			       uint8_t **data, size_t *len)
{
	size_t n = strlen(id);
	uint8_t *buf;
	size_t blen;

	if (vmm__read_file(cpath, &buf, &blen))
		return false;
	if (blen <= n || memcmp(buf, id, n)) {
		free(buf);
		return false;
	}
	memmove(buf, buf + n, blen - n);
	*data = buf;
	*len = blen - n;
	return true;
}

/* Keep @data for @id; a cache that cannot be written is only slower. */
static void unpack__cache_write(const char *id, const char *cpath,
				const uint8_t *data, size_t len)
{
	char tmp[UNPACK_PATH_LEN + 8];
	size_t n = strlen(id);
	FILE *f;
	int fd;

	if (mkdir("/var/cache/drvbox", 0755) < 0 && errno != EEXIST)
		goto fail;
	if (mkdir(UNPACK_CACHE_DIR, 0700) < 0 && errno != EEXIST)
		goto fail;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", cpath);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (fwrite(id, 1, n, f) != n || fwrite(data, 1, len, f) != len ||
	    fclose(f) != 0 || rename(tmp, cpath) < 0) {
		unlink(tmp);
		goto fail;
	}
	vmm__prune_dir(UNPACK_CACHE_DIR, ".ko", UNPACK_CACHE_MAX);
	return;
fail:
	vmm__log("module cache %s: %s; unpacking again next time",
		 UNPACK_CACHE_DIR, strerror(errno));
}

/*
 * The contents of module file @path, unpacked if it is compressed (by its
 * suffix); the caller frees *@data.  Dies with what was wrong if the file
 * cannot be read or unpacked.
 */
void unpack__module(const char *path, uint8_t **data, size_t *len)
{
	char id[PATH_MAX + 128], cpath[UNPACK_PATH_LEN];
	struct unpack_out o = { 0 };
	enum unpack_kind kind;
	const char *why = NULL;
	struct stat st;
	uint8_t *in;
	size_t in_len, sl;
	int err;

	kind = unpack__kind(path, &sl);
	if (kind != UNPACK_NONE && vmm.cfg.domain) {
		if (stat(path, &st) < 0)
			vmm__die_start("module %s: %s", path, strerror(errno));
		unpack__identity(path, &st, id, sizeof(id));
		unpack__cache_path(id, cpath, sizeof(cpath));
		if (unpack__cache_read(id, cpath, data, len))
			return;
	}
	err = vmm__read_file(path, &in, &in_len);
	if (err)
		vmm__die_start("module %s: %s", path, strerror(err));
	switch (kind) {
	case UNPACK_NONE:
		*data = in;
		*len = in_len;
		return;
	case UNPACK_XZ:
		why = unpack__xz(in, in_len, &o);
		break;
	case UNPACK_ZSTD:
		why = unpack__zstd(in, in_len, &o);
		break;
	case UNPACK_GZIP:
		why = unpack__gzip(in, in_len, &o);
		break;
	}
	free(in);
	if (why)
		vmm__die_start("module %s: %s", path, why);
	*data = o.buf;
	*len = o.len;
	if (vmm.cfg.domain)
		unpack__cache_write(id, cpath, o.buf, o.len);
}
