/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftests/unit: TAP for unit tests of VMM code that needs no KVM.  Each
 * check prints "ok N - what" or "not ok N - what: expected X, got Y";
 * unit_done() prints the plan last, so a program that dies early has
 * none and selftests/unit/run counts that as a failure.
 */
#ifndef DRVBOX_UNIT_H
#define DRVBOX_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Arrays the code under test must not run past.  Under ASan they are
 * allocated to the byte, so an access past the end is reported where it
 * happens; without it a canary follows them and unit_canary() checks it.
 */
#ifdef __SANITIZE_ADDRESS__
#define UNIT_PAD	0
#else
#define UNIT_PAD	64
#endif
#define UNIT_CANARY	0x5a

static int unit_n, unit_failed;

__attribute__((format(printf, 3, 4)))
static inline void unit_result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	unit_n++;
	if (ok) {
		printf("ok %d - %s\n", unit_n, what);
	} else {
		unit_failed++;
		printf("not ok %d - %s: ", unit_n, what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static inline void unit_eq(const char *what, unsigned long long got,
			   unsigned long long want)
{
	unit_result(got == want, what, "expected %#llx, got %#llx", want, got);
}

static inline void unit_hex(char *buf, const uint8_t *p, unsigned int n)
{
	unsigned int i;

	strcpy(buf, "(none)");
	for (i = 0; i < n; i++)
		sprintf(buf + 3 * i, "%02x ", p[i]);
	if (n)
		buf[3 * n - 1] = '\0';
}

static inline void unit_bytes(const char *what, const uint8_t *got,
			      const uint8_t *want, unsigned int n)
{
	char g[3 * 16 + 8], w[3 * 16 + 8];

	unit_hex(g, got, n > 16 ? 16 : n);
	unit_hex(w, want, n > 16 ? 16 : n);
	unit_result(!memcmp(got, want, n), what, "expected %s, got %s", w, g);
}

static inline uint8_t *unit_alloc(size_t n)
{
	uint8_t *p = malloc(n + UNIT_PAD);
	size_t i;

	if (!p)
		abort();
	memset(p, 0, n);
	for (i = n; i < n + UNIT_PAD; i++)
		p[i] = UNIT_CANARY;
	return p;
}

/* Whether nothing was written past the @n bytes of @p (no ASan). */
static inline bool unit_canary(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = n; i < n + UNIT_PAD; i++)
		if (p[i] != UNIT_CANARY)
			return false;
	return true;
}

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

/* stubs.c: what the VMM's log would have said */
extern unsigned int stub_logged;
extern char stub_last_log[512];

#endif /* DRVBOX_UNIT_H */
