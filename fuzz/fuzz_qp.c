/* SPDX-License-Identifier: ISC */
/*
 * fuzz_qp.c - the streaming quoted-printable encoder against a reference
 * decoder written here from RFC 2045 6.7.
 *
 * Properties: any chunking gives the same output as one call; output lines
 * are at most 76 characters, CRLF-ended, of printable ASCII, space and
 * tab, with no whitespace before a line end, never starting with "From "
 * and never a lone "."; soft breaks never split an =XX triplet or a UTF-8
 * sequence; decoding gives the input with its line breaks (LF or CRLF) as
 * CRLF.
 */
#include "fuzz.h"
#include "header.h"
#include "qp.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_qp(const uint8_t *p, size_t n, uint32_t seed, int chunked, struct buf *out)
{
	struct qp_enc q;
	size_t off = 0, k;

	qp_init(&q);
	while (off < n) {
		k = chunked ? fz_chunk(&seed, n - off) : n - off;
		FUZZ_CHECK(qp_update(&q, p + off, k, out) == 0, "update");
		off += k;
	}
	FUZZ_CHECK(qp_final(&q, out) == 0, "final");
}

/* Decode one line's bytes (no CRLF); 1 if it ended with a soft break. */
static int
fuzz_qp_line(const unsigned char *l, size_t len, struct buf *out)
{
	size_t i;
	int a, b;

	for (i = 0; i < len; i++) {
		if (l[i] != '=') {
			buf_append_byte(out, l[i]);
			continue;
		}
		if (i + 1 == len)
			return 1;
		FUZZ_CHECK(i + 2 < len, "'=' cut at the end of a line");
		a = fz_hex(l[i + 1]);
		b = fz_hex(l[i + 2]);
		FUZZ_CHECK(a >= 0 && b >= 0 && !(l[i + 1] >= 'a') &&
			!(l[i + 2] >= 'a'),
		    "bad escape =%c%c", l[i + 1], l[i + 2]);
		buf_append_byte(out, (unsigned char)(a << 4 | b));
		i += 2;
	}
	return 0;
}

/* 1 when offset `at` falls inside a well-formed UTF-8 character. */
static int
fuzz_inside_utf8(const unsigned char *p, size_t n, size_t at)
{
	size_t i, k, cl;

	for (i = at > 3 ? at - 3 : 0; i < at; i++) {
		cl = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : p[i] >= 0xc0 ? 2 : 1;
		if (cl == 1 || i + cl <= at || i + cl > n)
			continue;
		for (k = 1; k < cl && (p[i + k] & 0xc0) == 0x80; k++)
			;
		if (k == cl && header_utf8_valid(p + i, cl))
			return 1;
	}
	return 0;
}

/* The bytes the decoded text must equal: LF and CRLF become CRLF. */
static void
fuzz_norm(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			buf_append(out, "\r\n", 2);
			i++;
		} else if (p[i] == '\n')
			buf_append(out, "\r\n", 2);
		else
			buf_append_byte(out, p[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf one, many, dec, want;
	const unsigned char *l;
	uint32_t seed;
	size_t i, s, len, k, nsoft = 0, softs[4096];
	int soft;

	if (!fz_seed(&data, &size, &seed))
		return 0;
	buf_init(&one, 1 << 22);
	buf_init(&many, 1 << 22);
	buf_init(&dec, 1 << 22);
	buf_init(&want, 1 << 22);

	fuzz_qp(data, size, seed, 0, &one);
	fuzz_qp(data, size, seed, 1, &many);
	FUZZ_CHECK(one.len == many.len &&
		(one.len == 0 || memcmp(one.data, many.data, one.len) == 0),
	    "chunking changed the output");
	for (s = 0; s < one.len; s = i) {
		l = one.data + s;
		for (i = s;
		     i < one.len && one.data[i] != '\r' && one.data[i] != '\n';
		     i++)
			FUZZ_CHECK(one.data[i] == '\t' ||
				(one.data[i] >= 0x20 && one.data[i] < 0x7f),
			    "byte %02x", one.data[i]);
		len = i - s;
		if (i < one.len) {
			FUZZ_CHECK(one.data[i] == '\r' && i + 1 < one.len &&
				one.data[i + 1] == '\n',
			    "bare CR or LF");
			i += 2;
		}
		FUZZ_CHECK(len <= QP_LINE, "line of %zu", len);
		FUZZ_CHECK(
		    len == 0 || (l[len - 1] != ' ' && l[len - 1] != '\t'),
		    "whitespace before the line end");
		FUZZ_CHECK(!(len >= 5 && memcmp(l, "From ", 5) == 0),
		    "line starts with From");
		FUZZ_CHECK(!(len == 1 && l[0] == '.'), "lone dot");
		soft = fuzz_qp_line(l, len, &dec);
		if (soft && nsoft < sizeof(softs) / sizeof(softs[0]))
			softs[nsoft++] = dec.len;
		if (!soft && i <= one.len && one.data[i - 1] == '\n')
			buf_append(&dec, "\r\n", 2);
		FUZZ_CHECK(!(soft && i >= one.len), "ends with a soft break");
	}
	fuzz_norm(data, size, &want);
	FUZZ_CHECK(dec.len == want.len &&
		(dec.len == 0 || memcmp(dec.data, want.data, dec.len) == 0),
	    "round trip (%zu vs %zu bytes)", dec.len, want.len);
	/* No soft break inside a well-formed UTF-8 character. */
	for (k = 0; k < nsoft; k++)
		FUZZ_CHECK(!fuzz_inside_utf8(want.data, want.len, softs[k]),
		    "soft break inside a UTF-8 character at %zu", softs[k]);
	buf_free(&one);
	buf_free(&many);
	buf_free(&dec);
	buf_free(&want);
	return 0;
}
