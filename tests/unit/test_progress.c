/* SPDX-License-Identifier: ISC */
/* Unit tests for the progress line of smtpc send (src/cli/progress.c). */
#include <stdlib.h>

#include "progress.h"
#include "tap.h"

/* Everything written to `f` since it was opened. */
static char *
slurp(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	if (n < 0 || (s = calloc(1, (size_t)n + 1)) == NULL)
		return NULL;
	rewind(f);
	if (fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		return NULL;
	}
	return s;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * A progress over `total` bytes: `a` and `b` added, ended, then `late`
 * added after the end; what it wrote must be `want`.
 */
static void
expect_drawn(uint64_t total, size_t a, size_t b, size_t late,
    const char *want, const char *what)
{
	struct progress p;
	FILE *f = tmpfile();
	char *s;

	progress_init(&p, f, total);
	progress_add(&p, a);
	if (b > 0)
		progress_add(&p, b);
	progress_end(&p);
	if (late > 0)
		progress_add(&p, late);
	s = slurp(f);
	eq_str(s, want, what);
	free(s);
	fclose(f);
}

int
main(void)
{
	struct progress p;
	FILE *f;
	char *s;
	int i;

	/* 64 MiB in 64 KiB pieces: one redraw per whole percent. */
	f = tmpfile();
	progress_init(&p, f, 64u << 20);
	for (i = 0; i < 1024; i++)
		progress_add(&p, 64u << 10);
	progress_end(&p);
	progress_end(&p);
	s = slurp(f);
	ok(s != NULL && count(s, "\r") == 101,
	    "64 MiB: 101 redraws (0% to 100%), whatever the pieces");
	ok(s != NULL && strstr(s, "\rsmtpc: sending 64.0 MiB:   0%") == s,
	    "the first draw says the size and 0%");
	ok(s != NULL && count(s, "\rsmtpc: sending 64.0 MiB: 100%\n") == 1 &&
	    s[strlen(s) - 1] == '\n' && count(s, "\n") == 1,
	    "it ends at 100% with one newline, even when ended twice");
	free(s);
	fclose(f);

	/* A small message: KiB, and a piece bigger than what is left. */
	expect_drawn(3000, 1000, 5000, 0,
	    "\rsmtpc: sending 3 KiB:  33%\rsmtpc: sending 3 KiB: 100%\n",
	    "3000 bytes: KiB; more than announced stops at 100%");
	/* A send that fails halfway: the line ends where it stopped. */
	expect_drawn(1000, 500, 0, 500, "\rsmtpc: sending 1 KiB:  50%\n",
	    "ended at 50%: a newline, nothing drawn after the end");

	/* Off: no output at all. */
	f = tmpfile();
	progress_init(&p, NULL, 1000);
	progress_add(&p, 1000);
	progress_end(&p);
	progress_init(&p, f, 0);
	progress_add(&p, 10);
	progress_end(&p);
	ok(ftell(f) == 0, "off (no stream, or an unknown size): silent");
	fclose(f);
	return tap_done();
}
