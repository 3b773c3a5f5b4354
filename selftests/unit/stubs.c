// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: the few VMM functions the files under test call, so
 * each test links with one tools/vmm file and nothing else.  The log is
 * kept for the tests to look at and printed as a TAP comment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"
#include "unit.h"

unsigned int stub_logged;
char stub_last_log[512];

void vmm__log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(stub_last_log, sizeof(stub_last_log), fmt, ap);
	va_end(ap);
	stub_logged++;
	printf("# log: %s\n", stub_last_log);
}

/* Nothing under test should give up: a test program that does fails. */
void vmm__die_start(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# vmm__die_start: %s\n", msg);
	exit(2);
}

/* console.c's: the VMM's clock, its end, its memory report. */
struct vmm vmm;

uint64_t vmm__now_ns(void)
{
	return 0;
}

void vmm__report_memory(void)
{
}

void vmm__end(int kind, int code, const char *reason)
{
	printf("# vmm__end(%d, %d): %s\n", kind, code, reason);
	exit(2);
}

/* unpack.c's: the whole of a file, as util.c reads it. */
int vmm__read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return errno;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return EIO;
	}
	*data = malloc(n ? n : 1);
	if (!*data || fread(*data, 1, n, f) != (size_t)n) {
		free(*data);
		fclose(f);
		return EIO;
	}
	fclose(f);
	*len = n;
	return 0;
}

/* unpack.c's cache, which a test without --domain never reaches. */
uint64_t vmm__hash(uint64_t h, const void *p, size_t len)
{
	(void)p;
	(void)len;
	printf("# vmm__hash called\n");
	exit(2);
	return h;
}

void vmm__prune_dir(const char *dir, const char *suffix, unsigned int max)
{
	printf("# vmm__prune_dir(%s, %s, %u) called\n", dir, suffix, max);
	exit(2);
}
