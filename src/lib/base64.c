/* SPDX-License-Identifier: ISC */
/*
 * base64.c - base64 encoding (one-shot and line-wrapped streaming) and a
 * strict decoder.
 *
 * The wrapped encoder spends nearly all its time in whole lines: 57 input
 * bytes become 76 characters and CRLF.  Those go to a line kernel, the
 * only code that differs between CPUs: scalar everywhere, SSSE3 and AVX2
 * on x86 (compiled with per-function target attributes, so the rest of
 * the build stays baseline x86-64, and chosen at run time from what the
 * CPU offers).  Every kernel writes the same bytes; the streaming state
 * (carried bytes, column) is handled here, around the kernel, so chunk
 * edges never reach it.
 *
 * The SIMD kernels follow the known approach (Mula and Lemire, "Faster
 * Base64 Encoding and Decoding using AVX2 instructions", 2018): a byte
 * shuffle spreads each 3-byte group over 4 bytes, two multiplies move the
 * four 6-bit fields into place, and a 16-entry shuffle table gives the
 * offset that turns each value into its alphabet character.
 */
#include <stdatomic.h>
#include <string.h>

#include "base64.h"
#include "smtpc.h"

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define B64_X86 1
#include <immintrin.h>
#else
#define B64_X86 0
#endif

#define B64_LINE_IN	57	/* input bytes of one whole line */
#define B64_LINE_OUT	(B64_LINE + 2)

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_group(const unsigned char *in, size_t n, char *out)
{
	unsigned v;

	v = (unsigned)in[0] << 16;
	if (n > 1)
		v |= (unsigned)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = b64_alphabet[(v >> 18) & 0x3f];
	out[1] = b64_alphabet[(v >> 12) & 0x3f];
	out[2] = n > 1 ? b64_alphabet[(v >> 6) & 0x3f] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 0x3f] : '=';
}

int
b64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	size_t i, start = out->len;
	char g[4];
	int rc;

	for (i = 0; i < len; i += 3) {
		b64_group(p + i, len - i >= 3 ? 3 : len - i, g);
		if ((rc = buf_append(out, g, 4)) != 0) {
			buf_truncate(out, start);
			return rc;
		}
	}
	return 0;
}

static int
b64_value(unsigned char c)
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

int
b64_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, start = out->len;
	unsigned char o[3];
	int v[4], k, npad, rc;

	if (len % 4 != 0)
		return SMTPC_EDATA;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		for (k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == len && k >= 2) {
				npad++;
				v[k] = 0;
				continue;
			}
			if (npad > 0 || (v[k] = b64_value(p[i + k])) < 0)
				goto rollback;
		}
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		o[2] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
		/* Canonical form: the bits dropped by padding must be zero. */
		if ((npad == 2 && (v[1] & 0xf) != 0) ||
		    (npad == 1 && (v[2] & 0x3) != 0))
			goto rollback;
		if ((rc = buf_append(out, o, 3 - (size_t)npad)) != 0) {
			buf_truncate(out, start);
			return rc;
		}
	}
	return 0;
rollback:
	buf_truncate(out, start);
	return SMTPC_EDATA;
}

void
b64_wrap_init(struct b64_wrap *w)
{
	memset(w, 0, sizeof(*w));
}

/* Encode `nlines` whole lines of input, each ended by CRLF. */
typedef void b64_lines_fn(const unsigned char *in, size_t nlines,
    unsigned char *out);

static void
b64_lines_scalar(const unsigned char *in, size_t nlines, unsigned char *out)
{
	unsigned v;
	size_t i;
	int g;

	for (i = 0; i < nlines; i++) {
		for (g = 0; g < B64_LINE / 4; g++) {
			v = (unsigned)in[0] << 16 | (unsigned)in[1] << 8 |
			    in[2];
			out[0] = (unsigned char)b64_alphabet[v >> 18];
			out[1] = (unsigned char)b64_alphabet[(v >> 12) & 0x3f];
			out[2] = (unsigned char)b64_alphabet[(v >> 6) & 0x3f];
			out[3] = (unsigned char)b64_alphabet[v & 0x3f];
			in += 3;
			out += 4;
		}
		out[0] = '\r';
		out[1] = '\n';
		out += 2;
	}
}

#if B64_X86
/*
 * SSSE3: 12 input bytes at offsets 4..15 of `v` (B64_AT4) or 0..11
 * (B64_AT0) become 16 characters.  The shuffle puts the bytes of each
 * group as b1 b0 b2 b1, so that each 32-bit lane holds, little-endian,
 * the 16-bit words (b0 b1) and (b1 b2) with the four 6-bit fields at bits
 * 10, 4 (first word) and 6, 0 (second word).  mulhi by 2^6 and 2^10
 * brings fields 0 and 2 down to bits 0 of their word; mullo by 2^8 and
 * 2^4 lifts fields 1 and 3 to bit 8.  The alphabet is five ranges of
 * consecutive characters; a saturated subtraction and a compare pick the
 * range, and a table shuffle gives the offset to add.
 */
#define B64_AT0	0
#define B64_AT4	4

__attribute__((target("ssse3"), always_inline)) static inline __m128i
b64_sse_encode(__m128i v, int at)
{
	const __m128i lut = _mm_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4,
	    -4, -4, -4, -19, -16, 0, 0);
	__m128i hi, lo, idx;

	if (at == B64_AT4)
		v = _mm_shuffle_epi8(v, _mm_setr_epi8(5, 4, 6, 5, 8, 7, 9, 8,
		    11, 10, 12, 11, 14, 13, 15, 14));
	else
		v = _mm_shuffle_epi8(v, _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4,
		    7, 6, 8, 7, 10, 9, 11, 10));
	hi = _mm_mulhi_epu16(_mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)),
	    _mm_set1_epi32(0x04000040));
	lo = _mm_mullo_epi16(_mm_and_si128(v, _mm_set1_epi32(0x003f03f0)),
	    _mm_set1_epi32(0x01000010));
	v = _mm_or_si128(hi, lo);
	/* 0 for 0..25, 1 for 26..51, 2..11 for the digits, 12 '+', 13 '/' */
	idx = _mm_sub_epi8(_mm_subs_epu8(v, _mm_set1_epi8(51)),
	    _mm_cmpgt_epi8(v, _mm_set1_epi8(25)));
	return _mm_add_epi8(v, _mm_shuffle_epi8(lut, idx));
}

/*
 * The last 9 bytes of a line: the 16 bytes ending the line hold its last
 * four groups at offsets 4..15, whose characters 60..75 overwrite 60..63
 * with the same values; then CRLF.  No kernel reads or writes outside the
 * lines it was given.
 */
__attribute__((target("ssse3"), always_inline)) static inline void
b64_sse_tail(const unsigned char *in, unsigned char *out)
{
	__m128i v;

	v = _mm_loadu_si128((const __m128i *)(const void *)(in + 41));
	_mm_storeu_si128((__m128i *)(void *)(out + 60),
	    b64_sse_encode(v, B64_AT4));
	memcpy(out + 76, "\r\n", 2);
}

__attribute__((target("ssse3"))) static void
b64_lines_ssse3(const unsigned char *in, size_t nlines, unsigned char *out)
{
	__m128i v;
	size_t i;
	int k;

	for (i = 0; i < nlines; i++) {
		for (k = 0; k < 4; k++) {
			v = _mm_loadu_si128(
			    (const __m128i *)(const void *)(in + 12 * k));
			_mm_storeu_si128((__m128i *)(void *)(out + 16 * k),
			    b64_sse_encode(v, B64_AT0));
		}
		b64_sse_tail(in, out);
		in += B64_LINE_IN;
		out += B64_LINE_OUT;
	}
}

/*
 * AVX2: the same per 128-bit lane, 24 bytes per step.  Lane 0 takes its
 * 12 bytes at offsets 4..15 and lane 1 at 0..11, which is what a 32-byte
 * load 4 bytes before the step's input gives.  The first step of a line
 * loads at the line's start and moves the bytes up by one 32-bit word
 * instead, so nothing before the line is read.
 */
__attribute__((target("avx2"), always_inline)) static inline __m256i
b64_avx2_encode(__m256i v)
{
	const __m256i lut = _mm256_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4,
	    -4, -4, -4, -4, -19, -16, 0, 0, 65, 71, -4, -4, -4, -4, -4, -4,
	    -4, -4, -4, -4, -19, -16, 0, 0);
	__m256i hi, lo, idx;

	v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(5, 4, 6, 5, 8, 7, 9, 8,
	    11, 10, 12, 11, 14, 13, 15, 14, 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8,
	    7, 10, 9, 11, 10));
	hi = _mm256_mulhi_epu16(
	    _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)),
	    _mm256_set1_epi32(0x04000040));
	lo = _mm256_mullo_epi16(
	    _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)),
	    _mm256_set1_epi32(0x01000010));
	v = _mm256_or_si256(hi, lo);
	idx = _mm256_sub_epi8(_mm256_subs_epu8(v, _mm256_set1_epi8(51)),
	    _mm256_cmpgt_epi8(v, _mm256_set1_epi8(25)));
	return _mm256_add_epi8(v, _mm256_shuffle_epi8(lut, idx));
}

__attribute__((target("avx2"))) static void
b64_lines_avx2(const unsigned char *in, size_t nlines, unsigned char *out)
{
	const __m256i up = _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6);
	__m256i a, b;
	size_t i;

	for (i = 0; i < nlines; i++) {
		a = _mm256_loadu_si256((const __m256i *)(const void *)in);
		a = _mm256_permutevar8x32_epi32(a, up);
		b = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(in + 20));
		_mm256_storeu_si256((__m256i *)(void *)out,
		    b64_avx2_encode(a));
		_mm256_storeu_si256((__m256i *)(void *)(out + 32),
		    b64_avx2_encode(b));
		b64_sse_tail(in, out);
		in += B64_LINE_IN;
		out += B64_LINE_OUT;
	}
}

static int
b64_have_ssse3(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("ssse3");
}

static int
b64_have_avx2(void)
{
	/* The check includes the OS saving the YMM registers (XGETBV). */
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}
#endif

static int
b64_have_always(void)
{
	return 1;
}

static const struct b64_kernel {
	const char *name;
	b64_lines_fn *lines;
	int (*usable)(void);
} b64_kernels[] = {
	/* Worst first: the automatic choice is the last usable one. */
	{ "scalar", b64_lines_scalar, b64_have_always },
#if B64_X86
	{ "ssse3", b64_lines_ssse3, b64_have_ssse3 },
	{ "avx2", b64_lines_avx2, b64_have_avx2 },
#endif
};
#define B64_NKERNELS	(sizeof(b64_kernels) / sizeof(b64_kernels[0]))

/*
 * The kernel in use, as its index plus one; 0 until first needed.  The
 * library promises use from several threads, so this is the one piece of
 * shared mutable state: an atomic, resolved lazily rather than by a
 * constructor (no ordering question with other constructors, no ifunc,
 * the same code in the static and the shared library).  Threads racing on
 * the first use each compute the same answer and store the same value;
 * relaxed ordering is enough because the value is all that is published.
 * b64_force_impl (tests, benchmark) stores another one; every kernel
 * writes the same bytes, so an encoder running meanwhile is unaffected.
 */
static atomic_uint b64_choice;

static size_t
b64_best(void)
{
	size_t i = B64_NKERNELS;

	while (--i > 0)
		if (b64_kernels[i].usable())
			break;
	return i;
}

static const struct b64_kernel *
b64_kernel(void)
{
	unsigned c;

	c = atomic_load_explicit(&b64_choice, memory_order_relaxed);
	if (c == 0) {
		c = (unsigned)b64_best() + 1;
		atomic_store_explicit(&b64_choice, c, memory_order_relaxed);
	}
	return &b64_kernels[c - 1];
}

const char *
b64_impl(void)
{
	return b64_kernel()->name;
}

const char *
b64_impl_name(size_t i)
{
	return i < B64_NKERNELS ? b64_kernels[i].name : NULL;
}

int
b64_force_impl(const char *name)
{
	size_t i;

	if (strcmp(name, "auto") == 0) {
		atomic_store_explicit(&b64_choice,
		    (unsigned)b64_best() + 1, memory_order_relaxed);
		return 0;
	}
	for (i = 0; i < B64_NKERNELS; i++) {
		if (strcmp(name, b64_kernels[i].name) != 0)
			continue;
		if (!b64_kernels[i].usable())
			return SMTPC_EINVAL;
		atomic_store_explicit(&b64_choice, (unsigned)i + 1,
		    memory_order_relaxed);
		return 0;
	}
	return SMTPC_EINVAL;
}

/* One whole group; the line is ended as soon as it is full. */
static unsigned char *
b64_wrap_group(struct b64_wrap *w, const unsigned char *in, unsigned char *o)
{
	b64_group(in, 3, (char *)o);
	o += 4;
	w->col += 4;
	if (w->col == B64_LINE) {
		o[0] = '\r';
		o[1] = '\n';
		o += 2;
		w->col = 0;
	}
	return o;
}

size_t
b64_wrap_update_size(const struct b64_wrap *w, size_t len)
{
	size_t groups = (w->ncarry + len) / 3;

	return groups * 4 + (w->col + groups * 4) / B64_LINE * 2;
}

size_t
b64_wrap_encode(struct b64_wrap *w, const void *in, size_t len, void *out)
{
	const unsigned char *p = in;
	unsigned char *o = out;
	size_t nlines;

	/* Finish a group begun by an earlier call. */
	if (w->ncarry > 0) {
		while (len > 0 && w->ncarry < 3) {
			w->carry[w->ncarry++] = *p++;
			len--;
		}
		if (w->ncarry < 3)
			return 0;
		w->ncarry = 0;
		o = b64_wrap_group(w, w->carry, o);
	}
	/* Group by group to the start of a line, whole lines, the rest. */
	for (; w->col != 0 && len >= 3; p += 3, len -= 3)
		o = b64_wrap_group(w, p, o);
	if (w->col == 0 && len >= B64_LINE_IN) {
		nlines = len / B64_LINE_IN;
		b64_kernel()->lines(p, nlines, o);
		p += nlines * B64_LINE_IN;
		len -= nlines * B64_LINE_IN;
		o += nlines * B64_LINE_OUT;
	}
	for (; len >= 3; p += 3, len -= 3)
		o = b64_wrap_group(w, p, o);
	while (len > 0) {
		w->carry[w->ncarry++] = *p++;
		len--;
	}
	return (size_t)(o - (unsigned char *)out);
}

int
b64_wrap_update(struct b64_wrap *w, const void *in, size_t len,
    struct buf *out)
{
	unsigned char *o;
	size_t n;
	int rc;

	if (len > SIZE_MAX / 2)
		return SMTPC_ELIMIT;
	n = b64_wrap_update_size(w, len);
	if ((rc = buf_prepare(out, n, &o)) != 0)
		return rc;
	buf_commit(out, b64_wrap_encode(w, in, len, o));
	return 0;
}

int
b64_wrap_final(struct b64_wrap *w, struct buf *out)
{
	unsigned char g[6];
	size_t n = 0;
	int rc;

	if (w->ncarry > 0)
		b64_group(w->carry, w->ncarry, (char *)g);
	if (w->ncarry > 0)
		n = 4;
	if (w->col + n > 0) {
		g[n++] = '\r';
		g[n++] = '\n';
	}
	if (n > 0 && (rc = buf_append(out, g, n)) != 0)
		return rc;
	b64_wrap_init(w);
	return 0;
}

uint64_t
b64_wrap_size(uint64_t n)
{
	uint64_t chars, lines;

	chars = (n + 2) / 3 * 4;
	lines = (chars + B64_LINE - 1) / B64_LINE;
	return chars + 2 * lines;
}
