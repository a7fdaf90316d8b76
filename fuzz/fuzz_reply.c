/* SPDX-License-Identifier: ISC */
/*
 * fuzz_reply.c - arbitrary lines pushed into the reply parser.
 *
 * The input is split at LF (a CR before it dropped, as conn does); each
 * line is pushed.  Properties: never crashes; a failure is SMTPC_EPROTO
 * with an escaped (printable) message and resets the reply; a complete
 * reply has a code 200-599, the same on each line, at most
 * LIMIT_REPLY_LINES lines and LIMIT_REPLY_TOTAL bytes of text (any byte
 * but NUL: RFC 6531 text may be UTF-8, servers send control bytes);
 * its enhanced code is "" or "c.s.d" with c its class; the one-line form
 * has no line break and is printable once escaped by error_set_reply.
 */
#include "bounds.h"
#include "error.h"
#include "fuzz.h"
#include "reply.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_printable(const char *s, size_t len, const char *what)
{
	size_t i;

	for (i = 0; i < len; i++)
		FUZZ_CHECK(
		    (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f,
		    "%s: byte %02x", what, (unsigned char)s[i]);
}

static void
fuzz_check_done(const struct reply *r)
{
	struct buf one;
	struct smtpc_error err;
	size_t i, dots = 0;
	const char *e = r->enhanced;

	FUZZ_CHECK(r->code >= 200 && r->code <= 599, "code %d", r->code);
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= LIMIT_REPLY_LINES,
	    "%zu lines", r->nlines);
	FUZZ_CHECK(r->text.len <= LIMIT_REPLY_TOTAL, "%zu bytes", r->text.len);
	FUZZ_CHECK(memchr(r->text.data, '\0', r->text.len) == NULL,
	    "NUL kept in the text");
	FUZZ_CHECK(memchr(e, '\0', sizeof(r->enhanced)) != NULL,
	    "enhanced not terminated");
	if (e[0] != '\0') {
		FUZZ_CHECK(e[0] - '0' == r->code / 100 && e[1] == '.',
		    "enhanced %s for %d", e, r->code);
		for (i = 0; e[i] != '\0'; i++) {
			FUZZ_CHECK(e[i] == '.' || (e[i] >= '0' && e[i] <= '9'),
			    "enhanced %s", e);
			dots += e[i] == '.';
		}
		FUZZ_CHECK(dots == 2 && e[i - 1] != '.', "enhanced %s", e);
	}
	buf_init(&one, LIMIT_REPLY_TOTAL * 4);
	FUZZ_CHECK(reply_text_oneline(r, &one) == 0, "oneline");
	FUZZ_CHECK(memchr(buf_cstr(&one), '\n', one.len) == NULL,
	    "one-line text has a line break");
	/* What users see: escaped, printable only. */
	error_set(&err, SMTPC_EPERM, "test", "refused");
	error_set_reply(&err, r->code, r->enhanced, buf_cstr(&one), one.len);
	FUZZ_CHECK(
	    memchr(err.server_text, '\0', sizeof(err.server_text)) != NULL,
	    "server_text unterminated");
	fuzz_printable(err.server_text, strlen(err.server_text), "server_text");
	buf_free(&one);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply r;
	struct smtpc_error err;
	const uint8_t *p = data, *nl, *end = data + size;
	size_t len;
	int done, rc, last_code = 0;

	if (size > 1 << 20)
		return 0;
	reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r' && nl != NULL)
			len--;
		memset(&err, 0, sizeof(err));
		rc = reply_push(&r, (const char *)p, len, &done, &err);
		if (rc != 0) {
			FUZZ_CHECK(rc == SMTPC_EPROTO || rc == SMTPC_ENOMEM,
			    "push: %d", rc);
			FUZZ_CHECK(err.code == rc, "err.code %d", err.code);
			FUZZ_CHECK(memchr(err.message, '\0',
				       sizeof(err.message)) != NULL,
			    "unterminated");
			fuzz_printable(
			    err.message, strlen(err.message), "message");
			FUZZ_CHECK(r.nlines == 0 && r.code == 0,
			    "failed reply not reset");
			last_code = 0;
		} else {
			FUZZ_CHECK(len >= 3, "short line accepted");
			FUZZ_CHECK(last_code == 0 || r.code == last_code,
			    "code changed");
			last_code = done ? 0 : r.code;
			if (done)
				fuzz_check_done(&r);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	reply_free(&r);
	return 0;
}
