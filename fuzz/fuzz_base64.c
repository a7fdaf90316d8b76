/* SPDX-License-Identifier: ISC */
/*
 * fuzz_base64.c - the streaming base64 encoder against the reference
 * decoder in fuzz.h, and the strict decoder on arbitrary input.
 *
 * Properties: any chunking gives the same output as one call, of exactly
 * b64_wrap_size() bytes, in lines of at most 76 alphabet characters ended
 * by CRLF, which decode back to the input; every line kernel this CPU
 * can run (scalar, SSSE3, AVX2) gives the scalar kernel's bytes, whole
 * and chunked; b64_encode/b64_decode round trip; b64_decode on arbitrary
 * bytes never crashes and, when it accepts, the input is the canonical
 * encoding of what it decoded.
 */
#include "base64.h"
#include "fuzz.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_wrap(
    const uint8_t *p, size_t n, uint32_t seed, int chunked, struct buf *out)
{
	struct b64_wrap w;
	size_t off = 0, k;

	b64_wrap_init(&w);
	while (off < n) {
		k = chunked ? fz_chunk(&seed, n - off) : n - off;
		FUZZ_CHECK(b64_wrap_update(&w, p + off, k, out) == 0, "update");
		off += k;
	}
	FUZZ_CHECK(b64_wrap_final(&w, out) == 0, "final");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf one, many, flat, dec;
	const char *name;
	uint32_t seed;
	size_t i, line;
	int chunked;

	if (!fz_seed(&data, &size, &seed))
		return 0;
	buf_init(&one, 1 << 20);
	buf_init(&many, 1 << 20);
	buf_init(&flat, 1 << 20);
	buf_init(&dec, 1 << 20);

	FUZZ_CHECK(b64_force_impl("scalar") == 0, "scalar kernel");
	fuzz_wrap(data, size, seed, 0, &one);
	for (i = 0; (name = b64_impl_name(i)) != NULL; i++) {
		if (b64_force_impl(name) != 0)
			continue;
		for (chunked = 0; chunked < 2; chunked++) {
			buf_reset(&many);
			fuzz_wrap(data, size, seed, chunked, &many);
			FUZZ_CHECK(one.len == many.len && (one.len == 0 ||
				memcmp(one.data, many.data, one.len) == 0),
			    "kernel %s (%s) differs from scalar", name,
			    chunked ? "chunked" : "one call");
		}
	}
	b64_force_impl("auto");
	FUZZ_CHECK(one.len == b64_wrap_size(size), "size %zu, predicted %llu",
	    one.len, (unsigned long long)b64_wrap_size(size));
	FUZZ_CHECK(size > 0 || one.len == 0, "output for empty input");
	for (i = 0, line = 0; i < one.len; i++) {
		if (one.data[i] == '\r') {
			FUZZ_CHECK(i + 1 < one.len && one.data[i + 1] == '\n',
			    "bare CR");
			FUZZ_CHECK(
			    line > 0 && line <= B64_LINE, "line of %zu", line);
			i++;
			line = 0;
			continue;
		}
		FUZZ_CHECK(one.data[i] == '=' || fz_b64_value(one.data[i]) >= 0,
		    "byte %02x", one.data[i]);
		buf_append_byte(&flat, one.data[i]);
		line++;
	}
	FUZZ_CHECK(line == 0, "last line not ended");
	FUZZ_CHECK(fz_b64_decode(buf_cstr(&flat), flat.len, &dec) == 0,
	    "reference decoder refused the output");
	FUZZ_CHECK(
	    dec.len == size && (size == 0 || memcmp(dec.data, data, size) == 0),
	    "round trip");

	/* One-shot encoder and strict decoder. */
	buf_reset(&flat);
	buf_reset(&dec);
	FUZZ_CHECK(b64_encode(data, size, &flat) == 0, "encode");
	FUZZ_CHECK(b64_decode(buf_cstr(&flat), flat.len, &dec) == 0,
	    "decode refused our own encoding");
	FUZZ_CHECK(
	    dec.len == size && (size == 0 || memcmp(dec.data, data, size) == 0),
	    "one-shot round trip");

	/* The strict decoder on the raw bytes. */
	buf_reset(&flat);
	buf_reset(&dec);
	if (b64_decode((const char *)data, size, &dec) == 0) {
		FUZZ_CHECK(
		    b64_encode(dec.data, dec.len, &flat) == 0, "re-encode");
		FUZZ_CHECK(flat.len == size &&
			(size == 0 || memcmp(flat.data, data, size) == 0),
		    "accepted a non-canonical encoding");
	} else
		FUZZ_CHECK(dec.len == 0, "failed decode left output");
	buf_free(&one);
	buf_free(&many);
	buf_free(&flat);
	buf_free(&dec);
	return 0;
}
