/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for crlf.c: line ends made CRLF whatever the chunking and
 * the room given, counting equal to writing, and the stops (NUL, 998
 * octets, 8-bit) naming the right line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crlf.h"
#include "tap.h"

/* Filter `in` in pieces of `piece` bytes with `room` bytes of output. */
static enum crlf_stop
run(struct crlf *c, const char *in, size_t len, size_t piece, size_t room,
    struct buf *out)
{
	unsigned char tmp[64];
	enum crlf_stop why = CRLF_OK;
	size_t off = 0, end, used, put;

	while (off < len && why == CRLF_OK) {
		end = len - off < piece ? len : off + piece;
		while (off < end && why == CRLF_OK) {
			why = crlf_run(c, (const unsigned char *)in + off,
			    end - off, &used, tmp, room, &put);
			buf_append(out, tmp, put);
			off += used;
			if (used == 0 && put == 0 && why == CRLF_OK)
				return (enum crlf_stop)-1;	/* stuck */
		}
	}
	return why;
}

static const struct {
	const char *in;
	const char *out;
} cases[] = {
	{ "", "" },
	{ "a", "a" },
	{ "a\n", "a\r\n" },
	{ "a\r", "a\r\n" },
	{ "a\r\n", "a\r\n" },
	{ "a\r\rb", "a\r\n\r\nb" },
	{ "a\n\rb", "a\r\n\r\nb" },
	{ "a\r\n\r\nb\n\n", "a\r\n\r\nb\r\n\r\n" },
	{ "\r\n\n\r\r\n", "\r\n\r\n\r\n\r\n" },
	{ ".\r\n..\n", ".\r\n..\r\n" },
};

static void
test_cases(void)
{
	static const size_t pieces[] = { 1, 2, 3, 100 };
	static const size_t rooms[] = { 2, 3, 5, 64 };
	struct buf out;
	struct crlf c;
	size_t i, p, r, used;
	int same = 1;
	char what[100];

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (p = 0; p < 4; p++)
			for (r = 0; r < 4; r++) {
				crlf_init(&c, 1);
				buf_reset(&out);
				if (run(&c, cases[i].in, strlen(cases[i].in),
				    pieces[p], rooms[r], &out) != CRLF_OK ||
				    out.len != strlen(cases[i].out) ||
				    (out.len > 0 && memcmp(out.data,
				    cases[i].out, out.len) != 0) ||
				    c.out != out.len)
					same = 0;
			}
		crlf_init(&c, 1);
		snprintf(what, sizeof(what), "case %zu: counting says %zu", i,
		    strlen(cases[i].out));
		ok(crlf_run(&c, (const unsigned char *)cases[i].in,
		    strlen(cases[i].in), &used, NULL, 0, NULL) == CRLF_OK &&
		    c.out == strlen(cases[i].out) && used ==
		    strlen(cases[i].in), what);
		ok(crlf_unended(&c) == (strlen(cases[i].out) > 0 &&
		    cases[i].out[strlen(cases[i].out) - 1] != '\n' ? 2u : 0u),
		    "unended last line");
	}
	ok(same, "the same bytes for every chunking and room");
	buf_free(&out);
}

static void
test_stops(void)
{
	struct smtpc_error err;
	struct crlf c;
	char line[1200];
	size_t used;

	crlf_init(&c, 10);
	ok(crlf_run(&c, (const unsigned char *)"a\nb\r\nc\0d", 8, &used,
	    NULL, 0, NULL) == CRLF_NUL && used == 6 && c.line == 12,
	    "NUL: stops at it, on the third line");
	crlf_error(&c, CRLF_NUL, "x.eml", &err);
	ok(err.code == SMTPC_EDATA && strcmp(err.message,
	    "x.eml, line 12: a NUL byte") == 0, err.message);

	memset(line, 'a', sizeof(line));
	line[998] = '\n';
	crlf_init(&c, 1);
	ok(crlf_run(&c, (const unsigned char *)line, 999, &used, NULL, 0,
	    NULL) == CRLF_OK, "998 octets and a line end pass");
	crlf_init(&c, 1);
	ok(crlf_run(&c, (const unsigned char *)line, 1000, &used, NULL, 0,
	    NULL) == CRLF_OK, "... twice over lines");
	line[998] = 'a';
	crlf_init(&c, 1);
	ok(crlf_run(&c, (const unsigned char *)line, 999, &used, NULL, 0,
	    NULL) == CRLF_LONG && used == 998, "the 999th octet stops");
	crlf_error(&c, CRLF_LONG, NULL, &err);
	ok(strstr(err.message, "line 1: longer than 998") != NULL,
	    err.message);

	crlf_init(&c, 1);
	ok(crlf_run(&c, (const unsigned char *)"caf\xc3\xa9\n", 6, &used,
	    NULL, 0, NULL) == CRLF_OK && c.eight, "8-bit noticed");
	crlf_init(&c, 1);
	c.only7 = 1;
	ok(crlf_run(&c, (const unsigned char *)"x\ncaf\xc3\xa9\n", 8, &used,
	    NULL, 0, NULL) == CRLF_8BIT && used == 5 && c.bad == 0xc3,
	    "only7: stops at the first 8-bit byte");
	crlf_error(&c, CRLF_8BIT, NULL, &err);
	ok(strstr(err.message, "line 2: an 8-bit byte (0xC3)") != NULL,
	    err.message);
}

int
main(void)
{
	test_cases();
	test_stops();
	return tap_done();
}
