/* SPDX-License-Identifier: ISC */
/*
 * fuzz_dotstuff.c - the streaming DATA filter against a naive
 * whole-buffer reference, with random chunking.
 *
 * Properties: the output equals the reference (every CR, LF and CRLF
 * made CRLF, a '.' doubled at the start of every line, a CRLF added to
 * an unterminated last line, then ".\r\n"); it has CRLF-only line
 * endings and exactly one line that is a lone ".", the last.  The
 * same, without the dots, in the BDAT mode (dotstuff_init_crlf), chosen
 * by the low bit of the chunking seed.
 */
#include "dotstuff.h"
#include "fuzz.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_reference(const uint8_t *p, size_t n, int crlf_only, struct buf *out)
{
	struct buf norm;
	size_t i;

	buf_init(&norm, (size_t)1 << 24);
	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			buf_append(&norm, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n')
			buf_append(&norm, "\r\n", 2);
		else
			buf_append_byte(&norm, p[i]);
	}
	if (norm.len > 0 &&
	    !(norm.len >= 2 &&
		memcmp(norm.data + norm.len - 2, "\r\n", 2) == 0))
		buf_append(&norm, "\r\n", 2);
	for (i = 0; i < norm.len; i++) {
		if (!crlf_only && (i == 0 || norm.data[i - 1] == '\n') &&
		    norm.data[i] == '.')
			buf_append_byte(out, '.');
		buf_append_byte(out, norm.data[i]);
	}
	if (!crlf_only)
		buf_append(out, ".\r\n", 3);
	buf_free(&norm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotstuff d;
	struct buf out, ref;
	uint32_t seed;
	size_t off = 0, k, i, dots = 0;
	int crlf_only;

	if (!fz_seed(&data, &size, &seed))
		return 0;
	buf_init(&out, (size_t)1 << 24);
	buf_init(&ref, (size_t)1 << 24);
	/* The low bit of the chunking seed picks the BDAT (CRLF-only) mode. */
	crlf_only = seed & 1;
	if (crlf_only)
		dotstuff_init_crlf(&d);
	else
		dotstuff_init(&d);
	while (off < size) {
		k = fz_chunk(&seed, size - off);
		FUZZ_CHECK(dotstuff_push(&d, data + off, k, &out) == 0, "push");
		off += k;
	}
	FUZZ_CHECK(dotstuff_finish(&d, &out) == 0, "finish");
	FUZZ_CHECK(out.len <= 2 * size + 5, "grew past 2n+5");
	fuzz_reference(data, size, crlf_only, &ref);
	FUZZ_CHECK(out.len == ref.len &&
		memcmp(buf_cstr(&out), buf_cstr(&ref), out.len) == 0,
	    "differs from the reference");
	for (i = 0; i < out.len; i++) {
		if (out.data[i] == '\r')
			FUZZ_CHECK(i + 1 < out.len && out.data[i + 1] == '\n',
			    "bare CR");
		if (out.data[i] == '\n')
			FUZZ_CHECK(i > 0 && out.data[i - 1] == '\r', "bare LF");
		if ((i == 0 || out.data[i - 1] == '\n') && i + 2 < out.len &&
		    memcmp(out.data + i, ".\r\n", 3) == 0)
			dots++;
	}
	if (!crlf_only)
		FUZZ_CHECK(dots == 1 && out.len >= 3 &&
			memcmp(out.data + out.len - 3, ".\r\n", 3) == 0,
		    "%zu end-of-data lines", dots);
	/* The filter is reusable after finish, in the same mode. */
	buf_reset(&out);
	FUZZ_CHECK(dotstuff_push(&d, ".", 1, &out) == 0 &&
		dotstuff_finish(&d, &out) == 0,
	    "after finish");
	if (crlf_only)
		FUZZ_CHECK(out.len == 3 && memcmp(out.data, ".\r\n", 3) == 0,
		    "CRLF-only state after finish");
	else
		FUZZ_CHECK(
		    out.len == 7 && memcmp(out.data, "..\r\n.\r\n", 7) == 0,
		    "state after finish");
	buf_free(&out);
	buf_free(&ref);
	return 0;
}
