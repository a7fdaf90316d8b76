/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for base64.c: RFC 4648 vectors, chunking, strict decoding,
 * and every line kernel (scalar, SSSE3, AVX2: each this CPU can run)
 * against an independent reference and the scalar kernel.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "smtpc.h"
#include "tap.h"

static const struct {
	const char *plain;
	const char *enc;
} vectors[] = {
	/* RFC 4648 section 10 */
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const char *bad[] = {
	"Zg=",		/* length not a multiple of 4 */
	"Zg",
	"Z===",		/* too much padding */
	"====",
	"Zg==Zg==",	/* padding in the middle */
	"Zm9v\r\n",	/* whitespace */
	"Zm 9",
	"Zm9-",		/* URL alphabet */
	"Zm_v",
	"Zh==",		/* non-zero unused bits */
	"Zm9=",
	"Z=g=",
	"\x80\x81\x82\x83",
};

/* The wrapped encoding of `in` fed in chunks of `step` bytes. */
static int
wrap_chunked(const unsigned char *in, size_t len, size_t step, struct buf *out)
{
	struct b64_wrap w;
	size_t i, n;

	b64_wrap_init(&w);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		if (b64_wrap_update(&w, in + i, n, out) != 0)
			return -1;
	}
	return b64_wrap_final(&w, out);
}

/*
 * 100 000 bytes in one call (the encoder's block fills and is appended
 * several times) and in odd chunks: the same bytes as the one-shot
 * encoding with a CRLF after every 76 characters.
 */
static void
wrap_large(void)
{
	enum { N = 100000 };
	static unsigned char in[N];
	struct buf flat, expect, one, chunked;
	size_t i, k;

	for (i = 0; i < N; i++)
		in[i] = (unsigned char)(i * 2654435761u >> 13);
	buf_init(&flat, 1 << 20);
	buf_init(&expect, 1 << 20);
	buf_init(&one, 1 << 20);
	buf_init(&chunked, 1 << 20);
	b64_encode(in, N, &flat);
	for (i = 0; i < flat.len; i += k) {
		k = flat.len - i < B64_LINE ? flat.len - i : B64_LINE;
		buf_append(&expect, flat.data + i, k);
		buf_append(&expect, "\r\n", 2);
	}
	ok(wrap_chunked(in, N, N, &one) == 0 && one.len == expect.len &&
	    memcmp(one.data, expect.data, one.len) == 0,
	    "100000 bytes in one call: one-shot encoding, wrapped");
	ok(wrap_chunked(in, N, 4099, &chunked) == 0 &&
	    chunked.len == expect.len &&
	    memcmp(chunked.data, expect.data, chunked.len) == 0,
	    "100000 bytes in chunks of 4099: the same");
	ok(one.len == b64_wrap_size(N), "100000 bytes: size as predicted");
	buf_free(&flat);
	buf_free(&expect);
	buf_free(&one);
	buf_free(&chunked);
}

/*
 * The reference: base64 read off the input as a bit string, six bits at
 * a time, then cut into 76-column lines.  Shares no code with base64.c.
 */
static void
ref_wrap(const unsigned char *in, size_t len, struct buf *out)
{
	static const char *const abc =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	size_t nchars = (len + 2) / 3 * 4, bit, i, k, col = 0;
	unsigned v;

	for (i = 0; i < nchars; i++) {
		bit = i * 6;
		if (bit >= len * 8)
			buf_append_byte(out, '=');
		else {
			for (v = 0, k = bit; k < bit + 6; k++)
				v = v << 1 | (k < len * 8 ?
				    (in[k / 8] >> (7 - k % 8) & 1u) : 0);
			buf_append_byte(out, (unsigned char)abc[v]);
		}
		if (++col == B64_LINE || i + 1 == nchars) {
			buf_append(out, "\r\n", 2);
			col = 0;
		}
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Feed `in` in pieces: `step` bytes each, or random sizes if step is 0. */
static int
wrap_split(const unsigned char *in, size_t len, size_t step, struct buf *out)
{
	struct b64_wrap w;
	size_t i, n;

	b64_wrap_init(&w);
	for (i = 0; i < len; i += n) {
		n = step != 0 ? step : rnd() % (rnd() % 4 == 0 ? 400 : 70) + 1;
		if (n > len - i)
			n = len - i;
		if (b64_wrap_update(&w, in + i, n, out) != 0)
			return -1;
	}
	return b64_wrap_final(&w, out);
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/*
 * One kernel: lengths 0..700 at every input alignment mod 64, then random
 * lengths up to 8 KiB, each fed whole, in pieces of 1..N bytes and in
 * random pieces; against the reference, and against the scalar kernel's
 * output (`scalar`, one buffer per length, filled by the first run).
 */
static void
kernel_check(const char *name, struct buf *scalar, int fill)
{
	static const size_t steps[] = { 1, 2, 3, 4, 5, 7, 19, 56, 57, 58, 76,
	    113, 114, 115, 1000, 0, 0, 0 };
	enum { MAXLEN = 8192, NLEN = 760 };
	unsigned char *mem = malloc(MAXLEN + 64);
	struct buf ref, got;
	size_t li, len, al, s, bad_ref = 0, bad_scalar = 0, bad_size = 0;
	char what[120];

	buf_init(&ref, 1 << 20);
	buf_init(&got, 1 << 20);
	rng = 0x9e3779b97f4a7c15ULL;
	for (li = 0; li < NLEN; li++) {
		len = li <= 700 ? li : rnd() % MAXLEN;
		al = li % 64;
		for (s = 0; s < len; s++)
			mem[al + s] = (unsigned char)rnd();
		buf_reset(&ref);
		ref_wrap(mem + al, len, &ref);
		if (fill) {
			buf_init(&scalar[li], 1 << 20);
			wrap_split(mem + al, len, len + 1, &scalar[li]);
		}
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			buf_reset(&got);
			if (wrap_split(mem + al, len, steps[s], &got) != 0)
				bad_size++;
			if (!same(&got, &ref))
				bad_ref++;
			if (!same(&got, &scalar[li]))
				bad_scalar++;
		}
		if (got.len != b64_wrap_size(len))
			bad_size++;
	}
	snprintf(what, sizeof(what), "%s: %d lengths, every alignment and "
	    "chunking: the reference's bytes", name, NLEN);
	ok(bad_ref == 0, what);
	snprintf(what, sizeof(what), "%s: the scalar kernel's bytes", name);
	ok(bad_scalar == 0, what);
	snprintf(what, sizeof(what), "%s: sizes as predicted", name);
	ok(bad_size == 0, what);
	buf_free(&ref);
	buf_free(&got);
	free(mem);
}

/*
 * A kernel reads only the input it was given and writes only the bytes
 * b64_wrap_encode counts: input flush against a page that cannot be read,
 * at either end; output followed by guard bytes that must stay.
 */
static void
kernel_bounds(const char *name)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len, n, i, start;
	unsigned char *map, *in, out[4096 + 64];
	struct b64_wrap w;
	struct buf ref;
	int good = 1;
	char what[120];

	map = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		ok(0, "mmap for guard pages");
		return;
	}
	mprotect(map, pg, PROT_NONE);
	mprotect(map + 2 * pg, pg, PROT_NONE);
	for (i = 0; i < pg; i++)
		map[pg + i] = (unsigned char)rnd();
	buf_init(&ref, 1 << 20);
	for (len = 0; len <= 3 * 57 + 3 && len <= pg; len++) {
		for (start = 0; start < 2; start++) {
			in = start ? map + pg : map + 2 * pg - len;
			memset(out, 0xa5, sizeof(out));
			b64_wrap_init(&w);
			n = b64_wrap_update_size(&w, len);
			if (b64_wrap_encode(&w, in, len, out) != n)
				good = 0;
			for (i = n; i < sizeof(out); i++)
				if (out[i] != 0xa5)
					good = 0;
			buf_reset(&ref);
			ref_wrap(in, len, &ref);
			/* The reference ends the last line; update does not. */
			if (ref.len < n || (n > 0 && memcmp(ref.data, out,
			    n) != 0))
				good = 0;
		}
	}
	snprintf(what, sizeof(what), "%s: reads and writes only its own bytes",
	    name);
	ok(good, what);
	buf_free(&ref);
	munmap(map, 3 * pg);
}

/* Every kernel this CPU can run, forced in turn. */
static void
kernels(void)
{
	enum { NLEN = 760 };
	static struct buf scalar[NLEN];
	const char *name;
	size_t i;
	char what[120];

	ok(b64_force_impl("scalar") == 0 && strcmp(b64_impl(), "scalar") == 0,
	    "the scalar kernel can be forced");
	ok(b64_force_impl("no-such") == SMTPC_EINVAL, "unknown kernel refused");
	for (i = 0; (name = b64_impl_name(i)) != NULL; i++) {
		if (b64_force_impl(name) != 0) {
			printf("ok %d - # SKIP %s: not on this CPU\n",
			    ++tap_count, name);
			continue;
		}
		snprintf(what, sizeof(what), "%s forced", name);
		ok(strcmp(b64_impl(), name) == 0, what);
		kernel_check(name, scalar, i == 0);
		kernel_bounds(name);
	}
	ok(b64_force_impl("auto") == 0, "back to the automatic choice");
	printf("# automatic choice: %s\n", b64_impl());
	for (i = 0; i < NLEN; i++)
		buf_free(&scalar[i]);
}

int
main(void)
{
	struct buf b, ref, got, dec;
	unsigned char data[1000];
	size_t i, step, n, linelen;
	int good;
	char what[80];

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_reset(&b);
		ok(b64_encode(vectors[i].plain, strlen(vectors[i].plain),
		    &b) == 0, "encode");
		eq_str(buf_cstr(&b), vectors[i].enc, "RFC 4648 encode vector");
		buf_reset(&b);
		ok(b64_decode(vectors[i].enc, strlen(vectors[i].enc),
		    &b) == 0, "decode");
		eq_str(buf_cstr(&b), vectors[i].plain,
		    "RFC 4648 decode vector");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		buf_append_str(&b, "keep");
		snprintf(what, sizeof(what), "decoder refuses bad input %zu",
		    i);
		ok(b64_decode(bad[i], strlen(bad[i]), &b) == SMTPC_EDATA,
		    what);
		ok(b.len == 4, "refused decode leaves buffer unchanged");
	}

	/* Every byte value round-trips. */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	buf_init(&dec, 1 << 20);
	for (n = 0; n < 10; n++) {
		buf_reset(&b);
		buf_reset(&dec);
		b64_encode(data, n * 37, &b);
		ok(b64_decode(buf_cstr(&b), b.len, &dec) == 0 &&
		    dec.len == n * 37 &&
		    (n == 0 || memcmp(dec.data, data, n * 37) == 0),
		    "round trip");
	}

	/* Wrapped: any chunking gives the same bytes; 76-column lines. */
	buf_init(&ref, 1 << 20);
	buf_init(&got, 1 << 20);
	for (n = 0; n <= sizeof(data); n += n < 200 ? 1 : 97) {
		buf_reset(&ref);
		wrap_chunked(data, n, n + 1, &ref);
		good = ref.len == b64_wrap_size(n);
		for (step = 1; step <= 64 && good; step++) {
			buf_reset(&got);
			if (wrap_chunked(data, n, step, &got) != 0 ||
			    got.len != ref.len || (ref.len > 0 &&
			    memcmp(got.data, ref.data, ref.len) != 0))
				good = 0;
		}
		/* Lines: exactly 76 except the last; all end in CRLF. */
		linelen = 0;
		for (i = 0; i < ref.len && good; i++) {
			if (ref.data[i] == '\r') {
				if (i + 1 >= ref.len || ref.data[i + 1] != '\n')
					good = 0;
				if (linelen != B64_LINE && i + 2 != ref.len)
					good = 0;
				if (linelen == 0 || linelen > B64_LINE)
					good = 0;
				linelen = 0;
				i++;
			} else
				linelen++;
		}
		if (linelen != 0)
			good = 0;
		/* Unwrapped it equals the one-shot encoding. */
		buf_reset(&b);
		buf_reset(&got);
		b64_encode(data, n, &b);
		for (i = 0; i < ref.len; i++)
			if (ref.data[i] != '\r' && ref.data[i] != '\n')
				buf_append_byte(&got, ref.data[i]);
		if (got.len != b.len || (b.len > 0 &&
		    memcmp(got.data, b.data, b.len) != 0))
			good = 0;
		snprintf(what, sizeof(what),
		    "wrapped %zu bytes: chunking, lines, size", n);
		ok(good, what);
	}
	buf_reset(&ref);
	ok(wrap_chunked(data, 0, 1, &ref) == 0 && ref.len == 0,
	    "empty input gives no output");

	/* The ceiling is respected and leaves the buffer unchanged. */
	{
		struct buf small;

		buf_init(&small, 10);
		ok(b64_encode("foobarfoobar", 12, &small) == SMTPC_ELIMIT &&
		    small.len == 0, "encode past ceiling refused");
		buf_free(&small);
	}
	wrap_large();
	kernels();
	buf_free(&b);
	buf_free(&dec);
	buf_free(&ref);
	buf_free(&got);
	return tap_done();
}
