// SPDX-License-Identifier: GPL-2.0
/*
 * memhog MIB SECONDS: allocate MIB MiB of anonymous memory and write every
 * page of it, over and over, for SECONDS seconds.  With more than the free
 * memory asked for, the kernel has to swap some of it out and back in the
 * whole time.  Prints the passes made; exits 0, or 1 with the reason.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static unsigned long parse(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > INT_MAX) {
		fprintf(stderr, "memhog: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		perror("memhog: clock_gettime");
		exit(1);
	}
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long mib, secs, passes = 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t len, off;
	double end;
	char *p;

	if (argc != 3) {
		fprintf(stderr, "usage: memhog MIB SECONDS\n");
		return 2;
	}
	mib = parse(argv[1], "size");
	secs = parse(argv[2], "duration");
	if (page <= 0) {
		perror("memhog: sysconf(_SC_PAGESIZE)");
		return 1;
	}
	len = (size_t)mib << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memhog: mmap %lu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	end = now() + secs;
	do {
		for (off = 0; off < len; off += page)
			p[off] = (char)(passes + off / page);
		passes++;
	} while (now() < end);
	/* every page still holds what the last pass wrote */
	for (off = 0; off < len; off += page) {
		if (p[off] != (char)(passes - 1 + off / page)) {
			fprintf(stderr, "memhog: page %zu lost its contents\n",
				off / page);
			return 1;
		}
	}
	printf("%lu passes over %lu MiB\n", passes, mib);
	return 0;
}
