/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for qp.c: vectors, soft breaks, UTF-8 safety, chunking, and
 * the fast path for plain runs against the byte-at-a-time encoder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "qp.h"
#include "qp_ref.h"
#include "smtpc.h"
#include "tap.h"

static const struct {
	const char *in;
	const char *out;
	const char *what;
} vectors[] = {
	{ "", "", "empty" },
	{ "abc", "abc", "plain ASCII" },
	{ "a=b", "a=3Db", "equals sign escaped" },
	{ "trailing \n", "trailing=20\r\n", "trailing space encoded" },
	{ "tab\t\r\n", "tab=09\r\n", "trailing tab encoded" },
	{ "end ", "end=20", "space at the very end encoded" },
	{ "a  b", "a  b", "inner spaces kept" },
	{ "a \tb\n", "a \tb\r\n", "inner space and tab kept" },
	{ "From here\n", "=46rom here\r\n", "From at line start" },
	{ "x\nFrom y", "x\r\n=46rom y", "From after a line break" },
	{ ".\n", "=2E\r\n", "lone dot" },
	{ "a\n.\nb", "a\r\n=2E\r\nb", "lone dot inside" },
	{ "caf\xc3\xa9", "caf=C3=A9", "UTF-8 escaped" },
	{ "a\rb", "a=0Db", "lone CR is data" },
	{ "a\r", "a=0D", "CR at the end" },
	{ "a\r\nb", "a\r\nb", "CRLF kept" },
	{ "a\nb", "a\r\nb", "LF becomes CRLF" },
	{ "\x01\x7f", "=01=7F", "control characters" },
	{ "\n\n", "\r\n\r\n", "empty lines" },
	{ " \n", "=20\r\n", "whitespace-only line" },
};

static int
qp_chunked(const char *in, size_t len, size_t step, struct buf *out)
{
	struct qp_enc q;
	size_t i, n;

	qp_init(&q);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		if (qp_update(&q, in + i, n, out) != 0)
			return -1;
	}
	return qp_final(&q, out);
}

static int
qp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A strict reference decoder: returns -1 on anything malformed. */
static int
qp_decode(const unsigned char *p, size_t len, struct buf *out)
{
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if (p[i] != '=') {
			buf_append_byte(out, p[i]);
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if (p[i + 1] == '\r' && p[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if ((h = qp_hexval((char)p[i + 1])) < 0 ||
		    (l = qp_hexval((char)p[i + 2])) < 0)
			return -1;
		buf_append_byte(out, (unsigned char)(h << 4 | l));
		i += 2;
	}
	return 0;
}

/* Check the output's lines: length, endings, no trailing space, starts. */
static int
qp_lines_ok(const unsigned char *p, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
		if (p[i] == '\r') {
			if (i + 1 >= len || p[i + 1] != '\n')
				return 0;
			if (i - start > QP_LINE)
				return 0;
			if (i > start && (p[i - 1] == ' ' || p[i - 1] == '\t'))
				return 0;
			/* A soft-broken line ends with whole characters. */
			if (i > start && p[i - 1] == '=' && i - start >= 4 &&
			    p[i - 4] == '=' &&
			    qp_hexval((char)p[i - 3]) >= 0xc)
				return 0;
			start = i + 2;
			continue;
		}
		if (i == start && (p[i] == '.' || p[i] == 'F'))
			return 0;
	}
	return len - start <= QP_LINE;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/*
 * Encode with qp.c and with the byte-at-a-time reference, each fed in the
 * same pieces (`step` bytes, or random sizes when 0); 1 if the same.
 */
static int
qp_vs_ref(const unsigned char *in, size_t len, size_t step)
{
	struct qp_enc q, r;
	struct buf a, b;
	size_t i, n;
	int same;

	buf_init(&a, 1 << 24);
	buf_init(&b, 1 << 24);
	qp_init(&q);
	qpref_init(&r);
	for (i = 0; i < len; i += n) {
		n = step != 0 ? step : rnd() % (rnd() % 4 == 0 ? 300 : 20) + 1;
		if (n > len - i)
			n = len - i;
		qp_update(&q, in + i, n, &a);
		qpref_update(&r, in + i, n, &b);
	}
	qp_final(&q, &a);
	qpref_final(&r, &b);
	same = a.len == b.len && (a.len == 0 ||
	    memcmp(a.data, b.data, a.len) == 0) &&
	    qp_at_bol(&q) == r.at_bol;
	buf_free(&a);
	buf_free(&b);
	return same;
}

/*
 * Random text from pieces that meet every rule: plain runs long and
 * short (past the line's room), spaces and tabs before anything, CR, LF,
 * '=', 'F' and '.' (at line starts too), UTF-8 whole and cut, controls.
 */
static size_t
random_text(unsigned char *p, size_t max)
{
	static const char *const pieces[] = { " ", "  ", "\t", " \t", "\n",
	    "\r\n", "\r", " \n", "\t\r\n", " \r", "=", "F", "From ", ".",
	    "\n.", "\nF", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	    "\xc3", "\xe2\x82", "\x80", "\xff", "\x01", "\x7f", "~", "!" };
	size_t n = 0, k, len;
	const char *s;

	while (n < max) {
		if (rnd() % 3 == 0) {
			len = rnd() % 4 == 0 ? rnd() % 200 : rnd() % 12;
			for (k = 0; k < len && n < max; k++)
				p[n++] = (unsigned char)(0x21 + rnd() % 94);
			continue;
		}
		s = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
		for (k = 0; s[k] != '\0' && n < max; k++)
			p[n++] = (unsigned char)s[k];
	}
	return n;
}

/* A text file of the source tree, with its LFs and as CRLF. */
static void
real_text(const char *path, int *good, int *nfiles)
{
	static const size_t steps[] = { 1, 7, 64, 4096, 0, 0 };
	unsigned char blk[4096];
	struct buf t, crlf;
	size_t n, i, k;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return;
	buf_init(&t, 1 << 24);
	buf_init(&crlf, 1 << 24);
	while ((n = fread(blk, 1, sizeof(blk), f)) > 0)
		buf_append(&t, blk, n);
	fclose(f);
	for (i = 0; i < t.len; i++) {
		if (t.data[i] == '\n')
			buf_append_byte(&crlf, '\r');
		buf_append_byte(&crlf, t.data[i]);
	}
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		if (!qp_vs_ref(t.data, t.len, steps[k]) ||
		    !qp_vs_ref(crlf.data, crlf.len, steps[k]) ||
		    !qp_vs_ref(t.data, t.len, t.len + 1)) {
			printf("# %s differs, step %zu\n", path, steps[k]);
			*good = 0;
		}
	(*nfiles)++;
	buf_free(&t);
	buf_free(&crlf);
}

/* The fast path writes what the byte-at-a-time encoder writes. */
static void
fast_path(void)
{
	static const char *const files[] = { "../../README.md",
	    "../../doc/smtpc.1", "../../src/lib/qp.c", "../../src/lib/writer.c",
	    "../../include/smtpc.h.in", "test_qp.c" };
	unsigned char *text = malloc(20000);
	size_t i, n, step;
	int good = 1, nfiles = 0;

	for (i = 0; i < 600; i++) {
		n = random_text(text, i < 300 ? i : rnd() % 20000);
		for (step = 1; step <= 9; step++)
			if (!qp_vs_ref(text, n, step))
				good = 0;
		if (!qp_vs_ref(text, n, 0) || !qp_vs_ref(text, n, 0) ||
		    !qp_vs_ref(text, n, 77) || !qp_vs_ref(text, n, n + 1))
			good = 0;
	}
	ok(good, "600 random texts, any chunking: the byte-at-a-time "
	    "encoder's bytes");
	/* Plain lines of every length around the line's room. */
	good = 1;
	for (n = 60; n < 240; n++) {
		for (i = 0; i < n; i++)
			text[i] = (unsigned char)(i % 7 == 3 ? ' ' :
			    'a' + i % 26);
		text[n] = '\n';
		for (step = 1; step <= 20; step++)
			if (!qp_vs_ref(text, n + 1, step) ||
			    !qp_vs_ref(text, n, step))
				good = 0;
	}
	ok(good, "plain lines of 60..240 bytes, ending in spaces or not");
	good = 1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		real_text(files[i], &good, &nfiles);
	ok(good && nfiles == (int)(sizeof(files) / sizeof(files[0])),
	    "the project's own text files: the same bytes");
	free(text);
}

int
main(void)
{
	struct buf b, ref, dec, norm;
	char big[4000], what[96];
	size_t i, n, step, k;
	int good;

	buf_init(&b, 1 << 20);
	buf_init(&ref, 1 << 20);
	buf_init(&dec, 1 << 20);
	buf_init(&norm, 1 << 20);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_reset(&b);
		ok(qp_chunked(vectors[i].in, strlen(vectors[i].in), 1000,
		    &b) == 0, "encode");
		eq_str(buf_cstr(&b), vectors[i].out, vectors[i].what);
	}

	/* Long ASCII line: soft breaks at 76 columns. */
	memset(big, 'a', 200);
	buf_reset(&b);
	qp_chunked(big, 200, 7, &b);
	ok(qp_lines_ok(b.data, b.len), "long line broken at 76 columns");
	ok(b.len > 76 && b.data[75] == '=' && b.data[76] == '\r',
	    "first line is 75 characters plus '='");

	/* Long non-ASCII line: soft breaks between whole characters. */
	for (i = 0; i < 300; i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	buf_reset(&b);
	qp_chunked(big, 300, 3, &b);
	good = qp_lines_ok(b.data, b.len);
	/* Every physical line decodes to valid UTF-8 on its own. */
	for (i = 0, k = 0; i < b.len && good; i++)
		if (b.data[i] == '\r') {
			buf_reset(&dec);
			if (qp_decode(b.data + k, i + 2 - k, &dec) != 0 ||
			    !header_utf8_valid(dec.data, dec.len))
				good = 0;
			k = i + 2;
		}
	ok(good, "soft breaks never split a UTF-8 sequence");

	/* A mixed text: any chunking gives the same bytes; round trip. */
	n = 0;
	for (i = 0; n + 8 < sizeof(big); i++) {
		static const char *const pieces[] = { "From ", ".", " ", "\t",
		    "\n", "\r\n", "\r", "=", "\xc3\xa9", "\xe2\x82\xac",
		    "\xf0\x9f\x98\x80", "word", "x", "\n.", "\nFrom " };
		const char *p = pieces[(i * 7 + i / 3) %
		    (sizeof(pieces) / sizeof(pieces[0]))];

		memcpy(big + n, p, strlen(p));
		n += strlen(p);
	}
	buf_reset(&ref);
	qp_chunked(big, n, n + 1, &ref);
	good = qp_lines_ok(ref.data, ref.len);
	ok(good, "mixed text: line rules hold");
	for (step = 1; step <= 40; step++) {
		buf_reset(&b);
		if (qp_chunked(big, n, step, &b) != 0 || b.len != ref.len ||
		    memcmp(b.data, ref.data, b.len) != 0)
			good = 0;
	}
	ok(good, "chunk sizes 1..40 give identical output");
	/* Decoded, it equals the input with LF and CRLF as CRLF. */
	for (i = 0; i < n; i++) {
		if (big[i] == '\n' && (i == 0 || big[i - 1] != '\r'))
			buf_append_byte(&norm, '\r');
		buf_append_byte(&norm, (unsigned char)big[i]);
	}
	buf_reset(&dec);
	ok(qp_decode(ref.data, ref.len, &dec) == 0 && dec.len == norm.len &&
	    memcmp(dec.data, norm.data, norm.len) == 0,
	    "round trip through a strict decoder");

	/* qp_at_bol says whether the output ended a line. */
	{
		struct qp_enc q;

		qp_init(&q);
		buf_reset(&b);
		qp_update(&q, "abc\n", 4, &b);
		qp_final(&q, &b);
		ok(qp_at_bol(&q), "at_bol after a final line break");
		qp_init(&q);
		qp_update(&q, "abc", 3, &b);
		qp_final(&q, &b);
		ok(!qp_at_bol(&q), "not at_bol without a final line break");
	}
	/* The buffer ceiling is reported. */
	{
		struct buf small;
		struct qp_enc q;

		buf_init(&small, 4);
		qp_init(&q);
		ok(qp_update(&q, "\xc3\xa9\xc3\xa9", 4, &small) ==
		    SMTPC_ELIMIT, "ceiling reported");
		buf_free(&small);
	}
	snprintf(what, sizeof(what), "%zu bytes of mixed text", n);
	ok(n > 3000, what);
	fast_path();
	buf_free(&b);
	buf_free(&ref);
	buf_free(&dec);
	buf_free(&norm);
	return tap_done();
}
