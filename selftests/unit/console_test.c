// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/unit: console.c keeps the console log bounded however much
 * the guest prints: the log is rotated to LOG.1 once it passes 4 MiB,
 * at start and while it is written, so LOG and LOG.1 together stay
 * under 8 MiB plus a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"
#include "unit.h"

#define MIB		(1ULL << 20)
#define LINE		"[    1.234567] a guest that does not stop printing\n"

static unsigned long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static void put_str(const char *s)
{
	while (*s)
		console__put((uint8_t)*s++);
}

int main(void)
{
	char dir[] = "/tmp/drvbox-console-XXXXXX", log[64], old[64];
	unsigned long long written = 0;
	FILE *f;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(log, sizeof(log), "%s/console.log", dir);
	snprintf(old, sizeof(old), "%s/console.log.1", dir);
	vmm.cfg.standalone = true;
	vmm.cfg.log_path = log;

	console__open();
	while (written < 20 * MIB) {
		put_str(LINE);
		written += strlen(LINE);
	}
	console__flush();
	unit_eq("20 MiB printed: the log stays within 4 MiB + a line",
		file_size(log) <= 4 * MIB + sizeof(LINE), 1);
	unit_eq("20 MiB printed: the old log within 4 MiB + a line",
		file_size(old) <= 4 * MIB + sizeof(LINE), 1);
	unit_eq("20 MiB printed: the old log is a full one",
		file_size(old) > 4 * MIB, 1);
	put_str("the last line\n");
	f = fopen(log, "r");
	if (f) {
		char buf[256] = "", last[256] = "";

		while (fgets(buf, sizeof(buf), f))
			memcpy(last, buf, sizeof(last));
		fclose(f);
		unit_eq("the newest line is in the log",
			!strcmp(last, "the last line\n"), 1);
	} else {
		unit_eq("the log can be read", 0, 1);
	}
	unlink(log);
	unlink(old);
	rmdir(dir);
	return unit_done();
}
