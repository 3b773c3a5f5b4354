// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: unpack.c gives back the bytes a module file was packed
 * from, for each of .ko.xz, .ko.zst and .ko.gz, takes a plain .ko as it
 * is, and refuses a truncated or mislabelled file with a message naming
 * it, instead of loading half a module.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "vmm.h"
#include "unit.h"

#define ELF_BYTES	(300 * 1024)	/* more than one of unpack.c's chunks */

static uint8_t elf[ELF_BYTES];
static char dir[] = "/tmp/drvbox-unpack-XXXXXX";

static void put(const char *name, const void *p, size_t n, char *path)
{
	FILE *f;

	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static size_t pack_xz(uint8_t *out, size_t cap)
{
	size_t pos = 0;

	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, sizeof(elf),
				    out, &pos, cap) != LZMA_OK)
		exit(1);
	return pos;
}

static size_t pack_zstd(uint8_t *out, size_t cap)
{
	size_t n = ZSTD_compress(out, cap, elf, sizeof(elf), 19);

	if (ZSTD_isError(n))
		exit(1);
	return n;
}

static size_t pack_gzip(uint8_t *out, size_t cap)
{
	z_stream s = { 0 };
	size_t n;

	if (deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	s.next_in = elf;
	s.avail_in = sizeof(elf);
	s.next_out = out;
	s.avail_out = cap;
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		exit(1);
	n = s.total_out;
	deflateEnd(&s);
	return n;
}

static void check_same(const char *what, const char *path)
{
	uint8_t *data = NULL;
	char name[96];
	size_t len = 0;

	unpack__module(path, &data, &len);
	snprintf(name, sizeof(name), "%s: its length", what);
	unit_eq(name, len, sizeof(elf));
	snprintf(name, sizeof(name), "%s: its bytes", what);
	unit_result(len == sizeof(elf) && !memcmp(data, elf, len), name,
		    "the unpacked bytes differ from the packed ones");
	free(data);
}

/* unpack__module() must give up (exit 2 through vmm__die_start). */
static void check_refused(const char *what, const char *path)
{
	uint8_t *data;
	size_t len;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unpack__module(path, &data, &len);
		_exit(0);
	}
	unit_result(pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 2, what,
		    "not refused");
}

static const struct {
	const char *suffix;
	size_t (*pack)(uint8_t *out, size_t cap);
} formats[] = {
	{ "xz", pack_xz },
	{ "zst", pack_zstd },
	{ "gz", pack_gzip },
};

int main(void)
{
	static uint8_t packed[ELF_BYTES + 4096];
	char path[128];
	size_t i, n;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* compressible, but not one repeated byte */
	memcpy(elf, "\177ELF", 4);
	for (i = 4; i < sizeof(elf); i++)
		elf[i] = (uint8_t)((i * 2654435761u) >> 24) & 0x1f;

	put("m.ko", elf, sizeof(elf), path);
	check_same("plain .ko as it is", path);

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char name[32], what[64];

		n = formats[i].pack(packed, sizeof(packed));
		snprintf(name, sizeof(name), "m.ko.%s", formats[i].suffix);
		put(name, packed, n, path);
		snprintf(what, sizeof(what), ".ko.%s unpacked", formats[i].suffix);
		check_same(what, path);
		snprintf(name, sizeof(name), "t.ko.%s", formats[i].suffix);
		put(name, packed, n / 2, path);
		snprintf(what, sizeof(what), "truncated .ko.%s refused",
			 formats[i].suffix);
		check_refused(what, path);
	}
	/* the last one packed is gzip */
	put("x.ko.xz", packed, n, path);
	check_refused("gzip data named .ko.xz refused", path);

	unit_eq("suffix of x.ko.zst", unpack__suffix_len("x.ko.zst"), 4);
	unit_eq("suffix of x.ko", unpack__suffix_len("x.ko"), 0);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
