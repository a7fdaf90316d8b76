/* SPDX-License-Identifier: ISC */
/* Unit tests for reply.c: the reply grammar, limits, EHLO capabilities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "reply.h"
#include "tap.h"

/*
 * A reply as lines separated by '|'; `rc` is what the whole push sequence
 * returns (the first failure), and on success the parsed fields.
 */
struct reply_case {
	const char *lines;
	int rc;
	int code;
	const char *enhanced;
	const char *oneline;
	const char *why;	/* expected fragment of err.message */
};

static const struct reply_case reply_cases[] = {
	{ "250 OK", 0, 250, "", "OK", NULL },
	{ "220", 0, 220, "", "", NULL },
	{ "220 ", 0, 220, "", "", NULL },
	{ "250-first|250-second|250 last", 0, 250, "",
	    "first / second / last", NULL },
	{ "250-a|250-|250 c", 0, 250, "", "a /  / c", NULL },
	{ "550 5.1.1 <x@y> unknown user", 0, 550, "5.1.1",
	    "5.1.1 <x@y> unknown user", NULL },
	{ "250 2.0.0", 0, 250, "2.0.0", "2.0.0", NULL },
	{ "451 4.123.456 later", 0, 451, "4.123.456",
	    "4.123.456 later", NULL },
	{ "550 4.1.1 class mismatch", 0, 550, "", "4.1.1 class mismatch",
	    NULL },
	{ "550 5.1234.1 too long part", 0, 550, "",
	    "5.1234.1 too long part", NULL },
	{ "550 5.1.1x glued", 0, 550, "", "5.1.1x glued", NULL },
	{ "550 5.1 short", 0, 550, "", "5.1 short", NULL },
	{ "250-2.0.0 first|250 2.1.0 second", 0, 250, "2.0.0",
	    "2.0.0 first / 2.1.0 second", NULL },
	{ "250 tab\there", 0, 250, "", "tab\there", NULL },
	{ "354 go ahead", 0, 354, "", "go ahead", NULL },
	/* hostile */
	{ "25 short", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "abc def", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "150 one", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "650 six", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "2x0 x", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "250-a|251 b", SMTPC_EPROTO, 0, "", "", "code changed" },
	{ "250-a|550 b", SMTPC_EPROTO, 0, "", "", "code changed" },
	{ "250_a", SMTPC_EPROTO, 0, "", "", "bad separator" },
	{ "2500 a", SMTPC_EPROTO, 0, "", "", "bad separator" },
	{ "250\tOK", SMTPC_EPROTO, 0, "", "", "bad separator" },
	/* Text is text: UTF-8 (RFC 6531) and control bytes are kept. */
	{ "250 caf\xc3\xa9", 0, 250, "", "caf\xc3\xa9", NULL },
	{ "220 h\xc3\xb4te ESMTP \xe2\x9c\x93", 0, 220, "",
	    "h\xc3\xb4te ESMTP \xe2\x9c\x93", NULL },
	{ "250 bell\x07", 0, 250, "", "bell\x07", NULL },
	{ "250 del\x7f", 0, 250, "", "del\x7f", NULL },
	{ "250 cr\rx", 0, 250, "", "cr\rx", NULL },
	{ "250-ok|250 esc\x1b[31m", 0, 250, "", "ok / esc\x1b[31m", NULL },
	{ "550 5.7.1 \x1b[2J gone", 0, 550, "5.7.1", "5.7.1 \x1b[2J gone",
	    NULL },
	/* ...but the code and separator stay strict, whatever follows. */
	{ "2\xc3\xa9" "0 x", SMTPC_EPROTO, 0, "", "", "no reply code" },
	{ "250\x1bx", SMTPC_EPROTO, 0, "", "", "bad separator" },
};

static int
reply_run(struct reply *r, const char *lines, struct smtpc_error *err,
    int *ret_done)
{
	char line[256];
	const char *p = lines, *bar;
	size_t n;
	int rc;

	*ret_done = 0;
	for (;;) {
		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		memcpy(line, p, n);
		line[n] = '\0';
		if ((rc = reply_push(r, line, n, ret_done, err)) != 0)
			return rc;
		if (bar == NULL)
			return 0;
		if (*ret_done)
			return -100; /* done before the last line */
		p = bar + 1;
	}
}

static void
reply_table(void)
{
	struct reply r;
	struct smtpc_error err;
	struct buf one;
	char what[160];
	size_t i;
	int rc, done;

	reply_init(&r);
	buf_init(&one, 4096);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];

		memset(&err, 0, sizeof(err));
		rc = reply_run(&r, c->lines, &err, &done);
		snprintf(what, sizeof(what), "case %zu: rc %d", i, c->rc);
		ok(rc == c->rc, what);
		if (c->rc != 0) {
			snprintf(what, sizeof(what), "case %zu: says \"%s\"",
			    i, c->why);
			ok(strstr(err.message, c->why) != NULL, what);
			ok(err.code == SMTPC_EPROTO, "error code EPROTO");
			continue;
		}
		snprintf(what, sizeof(what), "case %zu: done, code %d", i,
		    c->code);
		ok(done && r.done && r.code == c->code, what);
		snprintf(what, sizeof(what), "case %zu: enhanced", i);
		eq_str(r.enhanced, c->enhanced, what);
		buf_reset(&one);
		ok(reply_text_oneline(&r, &one) == 0, "oneline");
		snprintf(what, sizeof(what), "case %zu: text", i);
		eq_str(buf_cstr(&one), c->oneline, what);
	}
	buf_free(&one);
	reply_free(&r);
}

static void
reply_misc(void)
{
	struct reply r;
	struct smtpc_error err;
	char *big;
	int done, rc = 0;
	size_t i;

	reply_init(&r);
	/* The offending line is escaped in the message. */
	rc = reply_push(&r, "25x a\x01z\xc3\xa9", 9, &done, &err);
	ok(rc == SMTPC_EPROTO && strstr(err.message,
	    "\"25x a\\x01z\\xc3\\xa9\"") != NULL,
	    "offending line escaped in the message");
	ok(r.code == 0 && r.nlines == 0, "failure resets the reply");
	/* A NUL is no character of any text: it would cut the string. */
	rc = reply_push(&r, "250 a\0b", 7, &done, &err);
	ok(rc == SMTPC_EPROTO && strstr(err.message, "NUL") != NULL,
	    "NUL in a line refused");

	/* Per-line limit. */
	big = malloc(LIMIT_REPLY_LINE + 10);
	memset(big, 'x', LIMIT_REPLY_LINE + 10);
	memcpy(big, "250 ", 4);
	rc = reply_push(&r, big, LIMIT_REPLY_LINE - 1, &done, &err);
	ok(rc == 0 && done, "line at the limit accepted");
	rc = reply_push(&r, big, LIMIT_REPLY_LINE, &done, &err);
	ok(rc == SMTPC_EPROTO && strstr(err.message, "too long"),
	    "line over the limit refused");

	/* Per-reply line count. */
	reply_reset(&r);
	for (i = 0; i < LIMIT_REPLY_LINES; i++) {
		rc = reply_push(&r, "250-x", 5, &done, &err);
		if (rc != 0 || done)
			break;
	}
	ok(rc == 0 && i == LIMIT_REPLY_LINES, "lines up to the count limit");
	rc = reply_push(&r, "250 x", 5, &done, &err);
	ok(rc == SMTPC_EPROTO && strstr(err.message, "too many lines"),
	    "one line too many refused");

	/* Per-reply byte total. */
	reply_reset(&r);
	memcpy(big, "250-", 4);
	for (i = 0; i < LIMIT_REPLY_LINES; i++) {
		rc = reply_push(&r, big, 1500, &done, &err);
		if (rc != 0)
			break;
	}
	ok(rc == SMTPC_EPROTO && strstr(err.message, "reply too long") &&
	    (i + 1) * 1497 > LIMIT_REPLY_TOTAL, "total limit enforced");
	free(big);

	/* Pushing after a done reply starts a new one. */
	reply_push(&r, "250 one", 7, &done, &err);
	reply_push(&r, "354 two", 7, &done, &err);
	ok(done && r.code == 354 && r.nlines == 1 &&
	    strcmp(buf_cstr(&r.text), "two") == 0, "next reply starts fresh");
	reply_free(&r);
}

static int
reply_from(struct reply *r, const char *lines)
{
	struct smtpc_error err;
	int done;

	reply_reset(r);
	return reply_run(r, lines, &err, &done) == 0 && done;
}

static void
reply_ehlo(void)
{
	struct reply r;
	struct reply_caps c;
	struct smtpc_error err;

	reply_init(&r);
	reply_caps_init(&c);

	ok(reply_from(&r, "250-mx.example.org Hello STARTTLS|"
	    "250-size 35882577|250-8BITMIME|250-auth login Plain XOAUTH2|"
	    "250-Auth=LOGIN CRAM-MD5|250-PIPELINING|250-CHUNKING|"
	    "250-SMTPUTF8|250-ENHANCEDSTATUSCODES|250-X_BAD|"
	    "250-=nokw|250 -dash"), "ehlo reply parses");
	ok(reply_caps_parse(&c, &r, &err) == 0, "caps parse");
	ok(c.flags == (REPLY_CAP_SIZE | REPLY_CAP_8BITMIME | REPLY_CAP_AUTH |
	    REPLY_CAP_PIPELINING | REPLY_CAP_CHUNKING | REPLY_CAP_SMTPUTF8),
	    "flags: greeting line's STARTTLS ignored, rest found");
	ok(c.size_max == 35882577, "SIZE value");
	eq_str(buf_cstr(&c.auth), "LOGIN PLAIN XOAUTH2 CRAM-MD5",
	    "AUTH list upper-cased, merged, no duplicates");
	eq_str(buf_cstr(&c.lines), "SIZE 35882577\n8BITMIME\n"
	    "AUTH login Plain XOAUTH2\nAUTH LOGIN CRAM-MD5\nPIPELINING\n"
	    "CHUNKING\nSMTPUTF8\nENHANCEDSTATUSCODES\n",
	    "capability lines, invalid keywords dropped");

	ok(reply_from(&r, "250-host|250-STARTTLS|250-SIZE|250 AUTH"),
	    "second ehlo reply");
	ok(reply_caps_parse(&c, &r, &err) == 0, "caps parse again");
	ok(c.flags == (REPLY_CAP_STARTTLS | REPLY_CAP_SIZE),
	    "old caps forgotten; AUTH without mechanisms is no AUTH");
	ok(c.size_max == 0, "SIZE without a number: no limit");
	eq_str(buf_cstr(&c.auth), "", "no mechanisms");

	ok(reply_from(&r, "250 only.the.greeting"), "one-line ehlo reply");
	ok(reply_caps_parse(&c, &r, &err) == 0 && c.flags == 0 &&
	    c.lines.len == 0, "one-line ehlo: no capabilities");

	ok(reply_from(&r, "250-h|250-SIZE 99999999999999999999|"
	    "250 SIZE 12x"), "bad sizes");
	ok(reply_caps_parse(&c, &r, &err) == 0 &&
	    (c.flags & REPLY_CAP_SIZE) && c.size_max == 0,
	    "overflowing or non-numeric SIZE: no limit");

	ok(reply_from(&r, "250-h\xc3\xb4te|250-AUTH PL\x1b" "AIN X\xc3\xa9 "
	    "LOGIN SCRAM-SHA-256 A_B|250 AUTH caf\xc3\xa9"),
	    "auth names with bytes no SASL name has");
	ok(reply_caps_parse(&c, &r, &err) == 0, "caps parse");
	eq_str(buf_cstr(&c.auth), "LOGIN SCRAM-SHA-256 A_B",
	    "only RFC 4422 names are mechanisms");

	reply_caps_free(&c);
	reply_free(&r);
}

int
main(void)
{
	reply_table();
	reply_misc();
	reply_ehlo();
	return tap_done();
}
