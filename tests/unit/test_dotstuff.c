/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for dotstuff.c: fixed cases, then random chunkings of tricky
 * inputs compared with a naive whole-buffer reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotstuff.h"
#include "smtpc.h"
#include "tap.h"

struct ds_case {
	const char *in;
	size_t len;
	const char *out;
	size_t olen;
};

#define S(x) x, sizeof(x) - 1

static const struct ds_case ds_cases[] = {
	{ S(""), S(".\r\n") },
	{ S("a"), S("a\r\n.\r\n") },
	{ S("a\r\n"), S("a\r\n.\r\n") },
	{ S("a\n"), S("a\r\n.\r\n") },
	{ S("a\r"), S("a\r\n.\r\n") },
	{ S("."), S("..\r\n.\r\n") },
	{ S(".\r\n"), S("..\r\n.\r\n") },
	{ S("a\r\n.\r\nb"), S("a\r\n..\r\nb\r\n.\r\n") },
	{ S("a\n.\nb\n"), S("a\r\n..\r\nb\r\n.\r\n") },
	{ S("a\r.\rb"), S("a\r\n..\r\nb\r\n.\r\n") },
	{ S("a\r\r\nb"), S("a\r\n\r\nb\r\n.\r\n") },
	{ S("a\n\rb"), S("a\r\n\r\nb\r\n.\r\n") },
	{ S("..x\n"), S("...x\r\n.\r\n") },
	{ S("x.\n.y"), S("x.\r\n..y\r\n.\r\n") },
	{ S("\r\n.\r\n"), S("\r\n..\r\n.\r\n") },
	{ S("a\0b"), S("a\0b\r\n.\r\n") },
};

/* Reference: normalise the whole buffer, then stuff line by line. */
static size_t
ds_reference(const unsigned char *in, size_t len, unsigned char *out)
{
	unsigned char *norm = malloc(len + 1);
	size_t n = 0, o = 0, i, start;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			continue;	/* the LF that follows ends the line */
		norm[n++] = in[i] == '\r' ? '\n' : in[i];
	}
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && norm[i] != '\n'; i++)
			;
		if (norm[start] == '.' && i > start)
			out[o++] = '.';
		memcpy(out + o, norm + start, i - start);
		o += i - start;
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(out + o, ".\r\n", 3);
	free(norm);
	return o + 3;
}

static int
ds_run(const unsigned char *in, size_t len, unsigned seed, struct buf *out)
{
	struct dotstuff d;
	size_t i = 0, n;
	int rc;

	srand(seed);
	dotstuff_init(&d);
	buf_reset(out);
	while (i < len) {
		n = seed == 0 ? len : (size_t)rand() % 5;
		if (seed == 1)
			n = 1;
		if (n > len - i)
			n = len - i;
		if ((rc = dotstuff_push(&d, in + i, n, out)) != 0)
			return rc;
		i += n;
	}
	return dotstuff_finish(&d, out);
}

/* BDAT: CRLF normalisation alone, no dots, no end-of-data line. */
static const struct ds_case crlf_cases[] = {
	{ S(""), S("") },
	{ S("a"), S("a\r\n") },
	{ S(".\r\n"), S(".\r\n") },
	{ S("a\n.\nb"), S("a\r\n.\r\nb\r\n") },
	{ S("a\r.\rb\r"), S("a\r\n.\r\nb\r\n") },
	{ S("..x\r\n\n"), S("..x\r\n\r\n") },
};

static int
ds_run_crlf(const char *in, size_t len, size_t step, struct buf *out)
{
	struct dotstuff d;
	size_t i, n;
	int rc;

	dotstuff_init_crlf(&d);
	buf_reset(out);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		if ((rc = dotstuff_push(&d, in + i, n, out)) != 0)
			return rc;
	}
	if ((rc = dotstuff_finish(&d, out)) != 0)
		return rc;
	/* The mode survives finish: a second message is not stuffed. */
	return d.crlf_only ? 0 : -1;
}

static const char *const ds_alphabet = "..\r\n\r\n.ab\r\r\n\n";

int
main(void)
{
	struct buf out;
	unsigned char in[64], want[64 * 2 + 8];
	char what[96];
	size_t i, k, len, wlen;
	unsigned seed;
	int bad = 0, rc;

	buf_init(&out, 1 << 20);
	for (i = 0; i < sizeof(ds_cases) / sizeof(ds_cases[0]); i++) {
		for (seed = 0; seed < 4; seed++) {
			rc = ds_run((const unsigned char *)ds_cases[i].in,
			    ds_cases[i].len, seed, &out);
			snprintf(what, sizeof(what), "case %zu chunking %u",
			    i, seed);
			if (!eq_mem(out.data, out.len, ds_cases[i].out,
			    ds_cases[i].olen, what) || rc != 0)
				bad++;
		}
	}

	for (i = 0; i < sizeof(crlf_cases) / sizeof(crlf_cases[0]); i++) {
		for (k = 1; k <= 3; k++) {
			rc = ds_run_crlf(crlf_cases[i].in, crlf_cases[i].len, k,
			    &out);
			snprintf(what, sizeof(what),
			    "crlf-only case %zu step %zu", i, k);
			if (!eq_mem(out.data, out.len, crlf_cases[i].out,
			    crlf_cases[i].olen, what) || rc != 0)
				bad++;
		}
	}

	/* Random tricky inputs, random chunkings, against the reference. */
	srand(12345);
	for (k = 0; k < 20000 && bad < 5; k++) {
		len = (size_t)rand() % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)ds_alphabet[(size_t)rand() %
			    strlen(ds_alphabet)];
		wlen = ds_reference(in, len, want);
		seed = (unsigned)rand();
		if (ds_run(in, len, seed, &out) != 0 || out.len != wlen ||
		    memcmp(out.data, want, wlen) != 0) {
			bad++;
			printf("# mismatch at input %zu (len %zu)\n", k, len);
		}
		srand((unsigned)(k * 7919 + 1));
	}
	ok(bad == 0, "20000 random inputs and chunkings equal the reference");

	/* The output bound documented in dotstuff.h: 2n + 5. */
	memset(in, '\n', sizeof(in));
	ds_run(in, sizeof(in), 0, &out);
	ok(out.len <= 2 * sizeof(in) + 5, "worst case within 2n + 5");
	memset(in, '\r', sizeof(in));
	ds_run(in, sizeof(in), 3, &out);
	ok(out.len == 2 * sizeof(in) + 3, "bare CRs double");

	/* A full output buffer reports ELIMIT. */
	{
		struct buf small;
		struct dotstuff d;

		buf_init(&small, 4);
		dotstuff_init(&d);
		ok(dotstuff_push(&d, "abcdef", 6, &small) == SMTPC_ELIMIT,
		    "ceiling reported");
		buf_free(&small);
	}
	buf_free(&out);
	return tap_done();
}
