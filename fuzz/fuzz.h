/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h - helpers shared by the libFuzzer targets: a reader over the fuzz
 * input, a failure macro that crashes loudly (so libFuzzer keeps the
 * input), and an independent RFC 2047 decoder used as the reference for
 * the header and address targets.
 *
 * Everything here is static: each target is one translation unit.
 */
#ifndef SMTPC_FUZZ_H
#define SMTPC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* A property failed: say which and crash, so the input is saved. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
			    "%s:%d: property failed: %s: ", __FILE__,          \
			    __LINE__, #cond);                                  \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline unsigned
fz_byte(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

/* Up to `max` bytes, the length chosen by the next input byte. */
static inline size_t
fz_take(struct fz *f, size_t max, const uint8_t **ret)
{
	size_t want = fz_byte(f);

	if (want > max)
		want = max;
	if (want > f->n)
		want = f->n;
	*ret = f->p;
	f->p += want;
	f->n -= want;
	return want;
}

/* A NUL-terminated copy of up to `max` bytes (stops at a NUL byte). */
static inline char *
fz_str(struct fz *f, size_t max)
{
	const uint8_t *p;
	size_t n = fz_take(f, max, &p);
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * The first four bytes of the input as a little-endian seed for the
 * chunking; *data and *size are what follows.  0: the input is outside
 * 4..65536 bytes and the target should return at once.
 */
static inline int
fz_seed(const uint8_t **data, size_t *size, uint32_t *seed)
{
	const uint8_t *d = *data;

	if (*size < 4 || *size > 65536)
		return 0;
	*seed = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
	    (uint32_t)d[3] << 24;
	*data += 4;
	*size -= 4;
	return 1;
}

/* Chunk sizes driven by a seed: mostly small, sometimes large. */
static inline size_t
fz_chunk(uint32_t *seed, size_t left)
{
	size_t n;

	*seed = *seed * 1103515245u + 12345u;
	switch ((*seed >> 16) & 3) {
	case 0:
		n = 1;
		break;
	case 1:
		n = ((*seed >> 8) & 7) + 1;
		break;
	case 2:
		n = ((*seed >> 4) & 255) + 1;
		break;
	default:
		n = left;
		break;
	}
	return n > left ? left : n;
}

static inline int
fz_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Reference base64 decoder, written from RFC 4648 and independent of
 * base64.c: groups of 4, '=' only in the last group.  -1 on bad input.
 */
static inline int
fz_b64_decode(const char *in, size_t len, struct buf *out)
{
	size_t i, k;
	int v[4], pad;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && k >= 2 && i + 4 == len) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 ||
			    (v[k] = fz_b64_value((unsigned char)in[i + k])) < 0)
				return -1;
		}
		if (buf_append_byte(
			out, (unsigned char)(v[0] << 2 | v[1] >> 4)) != 0)
			return -1;
		if (pad < 2 &&
		    buf_append_byte(out,
			(unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2)) != 0)
			return -1;
		if (pad < 1 &&
		    buf_append_byte(
			out, (unsigned char)((v[2] & 3) << 6 | v[3])) != 0)
			return -1;
	}
	return 0;
}

static inline int
fz_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * If w[0..len) is an RFC 2047 encoded-word in UTF-8, append its decoded
 * bytes to `out` and return 1; 0 if it is not an encoded-word; -1 if it
 * looks like one but its payload is broken (never produced by a correct
 * encoder).
 */
static inline int
fz_ew_decode(const char *w, size_t len, struct buf *out)
{
	size_t i;
	int a, b;

	if (len < 12 || memcmp(w, "=?", 2) != 0 ||
	    memcmp(w + len - 2, "?=", 2) != 0)
		return 0;
	if (strncasecmp(w + 2, "UTF-8?", 6) != 0 || w[9] != '?')
		return 0;
	for (i = 10; i < len - 2; i++)
		if (w[i] == '?' || w[i] == ' ' || w[i] == '\t')
			return 0;
	if (w[8] == 'B' || w[8] == 'b')
		return fz_b64_decode(w + 10, len - 12, out) == 0 ? 1 : -1;
	if (w[8] != 'Q' && w[8] != 'q')
		return 0;
	for (i = 10; i < len - 2; i++) {
		if (w[i] == '_')
			buf_append_byte(out, ' ');
		else if (w[i] == '=') {
			if (i + 2 >= len - 2 ||
			    (a = fz_hex((unsigned char)w[i + 1])) < 0 ||
			    (b = fz_hex((unsigned char)w[i + 2])) < 0)
				return -1;
			buf_append_byte(out, (unsigned char)(a << 4 | b));
			i += 2;
		} else
			buf_append_byte(out, (unsigned char)w[i]);
	}
	return 1;
}

/*
 * Decode an unfolded unstructured value (RFC 2047 section 6.2): words
 * separated by whitespace runs; encoded-words decoded; whitespace between
 * two adjacent encoded-words dropped.  Returns -1 on a broken
 * encoded-word, else 0.
 */
static inline int
fz_rfc2047_text(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, ws, we, wordstart;
	int prev_ew = 0, r;

	while (i < len) {
		ws = i;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		we = i;
		if (i == len) {
			buf_append(out, s + ws, we - ws);
			break;
		}
		wordstart = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		{
			struct buf tmp;

			buf_init(&tmp, (size_t)1 << 24);
			r = fz_ew_decode(s + wordstart, i - wordstart, &tmp);
			if (r < 0) {
				buf_free(&tmp);
				return -1;
			}
			if (!(r == 1 && prev_ew))
				buf_append(out, s + ws, we - ws);
			if (r == 1)
				buf_append(out, tmp.data, tmp.len);
			else
				buf_append(out, s + wordstart, i - wordstart);
			buf_free(&tmp);
		}
		prev_ew = r == 1;
	}
	return 0;
}

/* Unfold: drop every CRLF that is followed by a space or tab. */
static inline int
fz_unfold(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 2 < len && s[i + 1] == '\n' &&
		    (s[i + 2] == ' ' || s[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (s[i] == '\r' || s[i] == '\n')
			return -1;
		buf_append_byte(out, (unsigned char)s[i]);
	}
	return 0;
}

#endif
