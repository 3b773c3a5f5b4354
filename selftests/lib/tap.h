/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal kselftest-style TAP for drvbox's C selftests: one behaviour per
 * test, a failure says what was expected and what came.
 */
#ifndef DRVBOX_TAP_H
#define DRVBOX_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void tap_result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok) {
		tap_failed++;
		printf("# %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	printf("%sok %d %s\n", ok ? "" : "not ", tap_n, name);
	fflush(stdout);
}

/* Expect a call to fail with errno @want. */
#define TAP_EXPECT_ERRNO(name, call, want) do {				\
	int _r = (call);						\
	int _e = errno;							\
	tap_result(_r < 0 && _e == (want), name,			\
		   "expected %s (%s), got ret %d errno %d (%s)",	\
		   #want, strerror(want), _r, _r < 0 ? _e : 0,		\
		   _r < 0 ? strerror(_e) : "no error");			\
} while (0)

static inline int tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif
