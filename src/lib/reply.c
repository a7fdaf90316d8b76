/* SPDX-License-Identifier: ISC */
/*
 * reply.c - the SMTP reply push parser and EHLO capability parsing.
 *
 * The server is hostile input: the code, the separator and the line
 * structure of every line are checked against the reply grammar before
 * any of it is believed.  The text after them is only text: RFC 6531
 * allows UTF-8 there and real servers send localised greetings and even
 * control bytes, so it is kept as it came (NUL aside, which no character
 * set uses in text) and every place that shows it escapes it.
 */
#include <string.h>

#include "bounds.h"
#include "error.h"
#include "reply.h"

/* Room for the escaped offending line in an error message. */
#define REPLY_SHOW	160

void
reply_init(struct reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_init(&r->text, LIMIT_REPLY_TOTAL);
	r->nlines = 0;
	r->done = 0;
}

void
reply_reset(struct reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_reset(&r->text);
	r->nlines = 0;
	r->done = 0;
}

void
reply_free(struct reply *r)
{
	buf_free(&r->text);
	reply_init(r);
}

static int
reply_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
reply_bad(struct reply *r, const char *why, const char *line, size_t len,
    struct smtpc_error *err)
{
	char shown[REPLY_SHOW];

	reply_reset(r);
	error_escape(shown, sizeof(shown), line, len);
	return error_set(err, SMTPC_EPROTO, NULL,
	    "malformed server reply (%s): \"%s\"", why, shown);
}

/*
 * RFC 3463 status-code at the start of `t`: class "." 1*3digit "."
 * 1*3digit, then a space or the end.  The class must be the reply's.
 */
static void
reply_parse_enhanced(struct reply *r, const char *t, size_t len)
{
	size_t i = 0, n;
	int part;

	if (len < 5 || t[0] != (char)('0' + r->code / 100) ||
	    (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && reply_is_digit(t[i]) && n < 4; i++)
			n++;
		if (n == 0 || n > 3)
			return;
		if (part == 0) {
			if (i >= len || t[i] != '.')
				return;
			i++;
		}
	}
	if (i < len && t[i] != ' ')
		return;
	if (i >= sizeof(r->enhanced))
		return;
	memcpy(r->enhanced, t, i);
	r->enhanced[i] = '\0';
}

int
reply_push(struct reply *r, const char *line, size_t len, int *ret_done,
    struct smtpc_error *err)
{
	int code, last, rc;
	const char *text;
	size_t tlen;

	*ret_done = 0;
	if (r->done)
		reply_reset(r);
	if (len >= LIMIT_REPLY_LINE)
		return reply_bad(r, "line too long", line, len, err);
	if (len < 3 || !reply_is_digit(line[0]) || !reply_is_digit(line[1]) ||
	    !reply_is_digit(line[2]) || line[0] < '2' || line[0] > '5')
		return reply_bad(r, "no reply code", line, len, err);
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return reply_bad(r, "reply code changed between lines", line,
		    len, err);
	if (len == 3)
		last = 1;
	else if (line[3] == ' ')
		last = 1;
	else if (line[3] == '-')
		last = 0;
	else
		return reply_bad(r, "bad separator after the code", line, len,
		    err);
	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;
	if (memchr(text, '\0', tlen) != NULL)
		return reply_bad(r, "NUL byte in the text", line, len, err);
	if (r->nlines + 1 > LIMIT_REPLY_LINES)
		return reply_bad(r, "too many lines", line, len, err);
	if (r->nlines > 0 && (rc = buf_append_byte(&r->text, '\n')) != 0)
		goto fail;
	if ((rc = buf_append(&r->text, text, tlen)) != 0)
		goto fail;
	if (r->nlines == 0) {
		r->code = code;
		reply_parse_enhanced(r, text, tlen);
	}
	r->nlines++;
	if (last) {
		r->done = 1;
		*ret_done = 1;
	}
	return 0;
fail:
	if (rc == SMTPC_ELIMIT)
		return reply_bad(r, "reply too long", line, len, err);
	reply_reset(r);
	return error_set(err, rc, NULL, "out of memory reading a reply");
}

int
reply_text_oneline(const struct reply *r, struct buf *out)
{
	const unsigned char *p = r->text.data;
	size_t i, start = 0;
	int rc;

	for (i = 0; i <= r->text.len; i++) {
		if (i < r->text.len && p[i] != '\n')
			continue;
		if (start > 0 && (rc = buf_append_str(out, " / ")) != 0)
			return rc;
		if (i > start && (rc = buf_append(out, p + start,
		    i - start)) != 0)
			return rc;
		start = i + 1;
	}
	return 0;
}

void
reply_caps_init(struct reply_caps *c)
{
	c->flags = 0;
	c->size_max = 0;
	buf_init(&c->auth, LIMIT_REPLY_TOTAL);
	buf_init(&c->lines, LIMIT_REPLY_TOTAL);
}

void
reply_caps_reset(struct reply_caps *c)
{
	c->flags = 0;
	c->size_max = 0;
	buf_reset(&c->auth);
	buf_reset(&c->lines);
}

void
reply_caps_free(struct reply_caps *c)
{
	buf_free(&c->auth);
	buf_free(&c->lines);
	reply_caps_init(c);
}

static char
reply_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int
reply_is_alnum(char c)
{
	return reply_is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Is `w` (length n) already in the space-separated list `list`? */
static int
reply_list_has(const struct buf *list, const char *w, size_t n)
{
	const char *p = buf_cstr(list), *e = p + list->len, *sp;

	while (p < e) {
		sp = memchr(p, ' ', (size_t)(e - p));
		if (sp == NULL)
			sp = e;
		if ((size_t)(sp - p) == n && memcmp(p, w, n) == 0)
			return 1;
		p = sp + 1;
	}
	return 0;
}

static int
reply_caps_auth(struct reply_caps *c, const char *p, size_t len)
{
	char mech[64];
	size_t i = 0, n;
	int rc, bad;

	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		bad = 0;
		for (n = 0; i < len && p[i] != ' ' && p[i] != '\t'; i++) {
			if (n < sizeof(mech))
				mech[n] = reply_upper(p[i]);
			bad |= !reply_is_alnum(p[i]) && p[i] != '-' &&
			    p[i] != '_';
			n++;
		}
		/*
		 * RFC 4422 3.1: at most 20 characters of A-Z, 0-9, '-' and
		 * '_'; anything else in the text is no mechanism.
		 */
		if (n == 0 || n > sizeof(mech) || bad ||
		    reply_list_has(&c->auth, mech, n))
			continue;
		if (c->auth.len > 0 &&
		    (rc = buf_append_byte(&c->auth, ' ')) != 0)
			return rc;
		if ((rc = buf_append(&c->auth, mech, n)) != 0)
			return rc;
	}
	return 0;
}

static uint64_t
reply_parse_size(const char *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return 0;
	for (i = 0; i < len; i++) {
		if (!reply_is_digit(p[i]))
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v;
}

static const struct {
	const char *name;
	unsigned flag;
} reply_cap_names[] = {
	{ "STARTTLS", REPLY_CAP_STARTTLS },
	{ "PIPELINING", REPLY_CAP_PIPELINING },
	{ "8BITMIME", REPLY_CAP_8BITMIME },
	{ "SMTPUTF8", REPLY_CAP_SMTPUTF8 },
	{ "CHUNKING", REPLY_CAP_CHUNKING },
	{ "SIZE", REPLY_CAP_SIZE },
	{ "AUTH", REPLY_CAP_AUTH },
	{ "DSN", REPLY_CAP_DSN },
};

/* One capability line: keyword, then params after a space (or '='). */
static int
reply_caps_line(struct reply_caps *c, const char *p, size_t len)
{
	char kw[64];
	size_t k, i;
	const char *params;
	size_t plen;
	int rc;

	for (k = 0; k < len && p[k] != ' ' && p[k] != '='; k++) {
		/* ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
		if (k >= sizeof(kw) - 1 || !(reply_is_alnum(p[k]) ||
		    (k > 0 && p[k] == '-')))
			return 0;
		kw[k] = reply_upper(p[k]);
	}
	if (k == 0)
		return 0;
	kw[k] = '\0';
	params = k < len ? p + k + 1 : "";
	plen = k < len ? len - k - 1 : 0;
	for (i = 0; i < sizeof(reply_cap_names) / sizeof(reply_cap_names[0]);
	    i++) {
		if (strcmp(kw, reply_cap_names[i].name) == 0)
			c->flags |= reply_cap_names[i].flag;
	}
	if (strcmp(kw, "SIZE") == 0)
		c->size_max = reply_parse_size(params, plen);
	if (strcmp(kw, "AUTH") == 0 &&
	    (rc = reply_caps_auth(c, params, plen)) != 0)
		return rc;
	if ((rc = buf_append(&c->lines, kw, k)) != 0)
		return rc;
	if (plen > 0 && ((rc = buf_append_byte(&c->lines, ' ')) != 0 ||
	    (rc = buf_append(&c->lines, params, plen)) != 0))
		return rc;
	return buf_append_byte(&c->lines, '\n');
}

int
reply_caps_parse(struct reply_caps *c, const struct reply *r,
    struct smtpc_error *err)
{
	const char *p = buf_cstr(&r->text), *e = p + r->text.len, *nl;
	int rc, first = 1;

	reply_caps_reset(c);
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		if (!first && (rc = reply_caps_line(c, p, (size_t)(nl - p))) !=
		    0) {
			reply_caps_reset(c);
			return error_set(err, rc, "EHLO",
			    "cannot store the server's capabilities");
		}
		first = 0;
		p = nl + 1;
	}
	if ((c->flags & REPLY_CAP_AUTH) && c->auth.len == 0)
		c->flags &= ~REPLY_CAP_AUTH;
	return 0;
}
