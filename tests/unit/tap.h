/* SPDX-License-Identifier: ISC */
/*
 * tap.h - the smallest TAP producer for the unit tests.
 *
 * ok(cond, "what") prints "ok N - what" or "not ok N - what"; tap_done()
 * prints the plan and returns the exit status for main().  eq_str / eq_mem
 * compare and show both sides on failure.
 */
#ifndef SMTPC_TAP_H
#define SMTPC_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static int __attribute__((unused))
tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, what);
	if (!cond)
		printf("# failed at %s:%d\n", file, line);
	return cond;
}

static int __attribute__((unused))
tap_eq_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *file, int line, const char *what)
{
	int same = glen == wlen && memcmp(got, want, glen) == 0;

	tap_ok(same, file, line, what);
	if (!same)
		printf("# got  (%zu): %.*s\n# want (%zu): %.*s\n", glen,
		    (int)glen, (const char *)got, wlen, (int)wlen,
		    (const char *)want);
	return same;
}

static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#define ok(cond, what) tap_ok((cond) != 0, __FILE__, __LINE__, (what))
#define eq_mem(g, gl, w, wl, what) \
	tap_eq_mem((g), (gl), (w), (wl), __FILE__, __LINE__, (what))
#define eq_str(g, w, what) \
	tap_eq_mem((g), strlen(g), (w), strlen(w), __FILE__, __LINE__, (what))

#endif
