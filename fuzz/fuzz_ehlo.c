/* SPDX-License-Identifier: ISC */
/*
 * fuzz_ehlo.c - EHLO capability parsing.
 *
 * Every input line becomes a "250-" line of one EHLO reply (the last
 * "250 "), after a greeting line; lines the reply parser refuses are
 * skipped.  Properties: reply_caps_parse never crashes or fails but for
 * memory; keywords are stored upper-cased, one per '\n'-ended line; the
 * AUTH list is upper-case names separated by single spaces, without
 * duplicates, and the AUTH flag is set exactly when it is not empty;
 * choosing a mechanism from it never crashes and returns one it offers.
 */
#include "bounds.h"
#include "fuzz.h"
#include "reply.h"
#include "sasl.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_caps(const struct reply_caps *c)
{
	const char *a = buf_cstr(&c->auth), *l = buf_cstr(&c->lines);
	const struct sasl_mech *mech;
	struct smtpc_error err;
	size_t i, n, wl;
	const char *w, *x;

	FUZZ_CHECK(((c->flags & REPLY_CAP_AUTH) != 0) == (c->auth.len > 0),
	    "AUTH flag %u with list [%s]", c->flags, a);
	FUZZ_CHECK(c->auth.len == 0 ||
		(a[0] != ' ' && a[c->auth.len - 1] != ' ' &&
		    strstr(a, "  ") == NULL),
	    "auth list spacing [%s]", a);
	for (i = 0; i < c->auth.len; i++)
		FUZZ_CHECK(a[i] == ' ' || (a[i] >= 'A' && a[i] <= 'Z') ||
			(a[i] >= '0' && a[i] <= '9') || a[i] == '-' ||
			a[i] == '_',
		    "auth list [%s]", a);
	/* No duplicates. */
	for (w = a; *w != '\0'; w += wl + (w[wl] == ' ')) {
		wl = strcspn(w, " ");
		for (x = w + wl + (w[wl] == ' '); *x != '\0';
		     x += n + (x[n] == ' ')) {
			n = strcspn(x, " ");
			FUZZ_CHECK(!(n == wl && memcmp(w, x, n) == 0),
			    "duplicate %.*s", (int)n, x);
		}
	}
	FUZZ_CHECK(c->lines.len == 0 || l[c->lines.len - 1] == '\n',
	    "lines not ended");
	for (w = l; *w != '\0'; w += wl + 1) {
		wl = strcspn(w, "\n");
		for (i = 0; i < wl && w[i] != ' '; i++)
			FUZZ_CHECK((w[i] >= 'A' && w[i] <= 'Z') ||
				(w[i] >= '0' && w[i] <= '9') || w[i] == '-',
			    "keyword [%.*s]", (int)wl, w);
		FUZZ_CHECK(i > 0, "empty keyword");
	}
	if (sasl_choose(a, NULL, SASL_HAVE_PASSWORD, &mech, &err) == 0) {
		n = strlen(mech->name);
		for (w = a; *w != '\0'; w += wl + (w[wl] == ' ')) {
			wl = strcspn(w, " ");
			if (wl == n && memcmp(w, mech->name, n) == 0)
				break;
		}
		FUZZ_CHECK(*w != '\0', "chose %s, not in [%s]", mech->name, a);
	} else
		FUZZ_CHECK(err.code == SMTPC_ENOMECH, "choose: %d", err.code);
	(void)sasl_choose(a, NULL, SASL_HAVE_TOKEN, &mech, &err);
	(void)sasl_choose(a, "PLAIN", SASL_HAVE_PASSWORD, &mech, &err);
	(void)sasl_choose(a, "scram-sha-256", SASL_HAVE_PASSWORD, &mech, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply r;
	struct reply_caps c;
	struct smtpc_error err;
	const uint8_t *p = data, *nl, *end = data + size;
	char line[LIMIT_REPLY_LINE + 8];
	size_t len;
	int done = 0, last;

	if (size > 1 << 16)
		return 0;
	reply_init(&r);
	reply_caps_init(&c);
	FUZZ_CHECK(
	    reply_push(&r, "250-mx.test greets you", 22, &done, &err) == 0,
	    "greeting line");
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		last = nl == NULL || nl + 1 == end;
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > LIMIT_REPLY_LINE)
			len = LIMIT_REPLY_LINE;
		memcpy(line, last ? "250 " : "250-", 4);
		memcpy(line + 4, p, len);
		/* A refused line resets the reply: start it again. */
		if (reply_push(&r, line, len + 4, &done, &err) != 0)
			FUZZ_CHECK(
			    reply_push(&r, "250-mx.test", 11, &done, &err) == 0,
			    "restart");
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (!done)
		FUZZ_CHECK(
		    reply_push(&r, "250 END", 7, &done, &err) == 0 && done,
		    "last line");
	FUZZ_CHECK(reply_caps_parse(&c, &r, &err) == 0, "caps");
	fuzz_check_caps(&c);
	reply_caps_free(&c);
	reply_free(&r);
	return 0;
}
