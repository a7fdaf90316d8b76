/* Unit tests for base64.c: RFC 4648 vectors, chunking, strict decoding. */
#include <stdlib.h>
#include <string.h>

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
	buf_free(&b);
	buf_free(&dec);
	buf_free(&ref);
	buf_free(&got);
	return tap_done();
}
