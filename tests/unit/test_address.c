/* SPDX-License-Identifier: ISC */
/* Unit tests for address.c: good and hostile addresses, formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "smtpc.h"
#include "tap.h"

static const struct {
	const char *in;
	const char *display;	/* NULL: none */
	const char *spec;
} good[] = {
	{ "user@example.org", NULL, "user@example.org" },
	{ "  user@example.org  ", NULL, "user@example.org" },
	{ "<user@example.org>", NULL, "user@example.org" },
	{ "Jane Doe <jane@example.org>", "Jane Doe", "jane@example.org" },
	{ "Jane   Doe<jane@example.org>", "Jane Doe", "jane@example.org" },
	{ "\"Last, First\" <lf@example.org>", "Last, First",
	    "lf@example.org" },
	{ "\"say \\\"hi\\\" \\\\ ok\" <q@example.org>", "say \"hi\" \\ ok",
	    "q@example.org" },
	{ "John Q. Public <jqp@example.org>", "John Q. Public",
	    "jqp@example.org" },
	{ "jane@example.org (Jane Doe)", NULL, "jane@example.org" },
	{ "Jane (the boss (really)) <jane@example.org>", "Jane",
	    "jane@example.org" },
	{ "Zo\xc3\xab M\xc3\xbcller <zoe@example.org>",
	    "Zo\xc3\xab M\xc3\xbcller", "zoe@example.org" },
	{ "first.last+tag@sub.example.co.uk", NULL,
	    "first.last+tag@sub.example.co.uk" },
	{ "!#$%&'*+-/=?^_`{|}~@example.org", NULL,
	    "!#$%&'*+-/=?^_`{|}~@example.org" },
	{ "\"john doe\"@example.org", NULL, "\"john doe\"@example.org" },
	{ "\"a@b\"@example.org", NULL, "\"a@b\"@example.org" },
	{ "user@[192.0.2.1]", NULL, "user@[192.0.2.1]" },
	{ "user@[IPv6:2001:db8::1]", NULL, "user@[IPv6:2001:db8::1]" },
	{ "user@localhost", NULL, "user@localhost" },
	{ "user@b\xc3\xbc\x63her.example", NULL,
	    "user@xn--bcher-kva.example" },
	{ "Name <user@\xe4\xbe\x8b\xe3\x81\x88.jp>", "Name",
	    "user@xn--r8jz45g.jp" },
	{ "user@EXAMPLE.ORG", NULL, "user@EXAMPLE.ORG" },
	{ "a-b@x-y.example", NULL, "a-b@x-y.example" },
	/* RFC 6532: a UTF-8 local part stays raw; the domain gets A-labels. */
	{ "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc\x63her.example>", "J\xc3\xb6rg",
	    "j\xc3\xb6rg@xn--bcher-kva.example" },
	{ "\xe7\x94\xa8\xe6\x88\xb7.x@example.org", NULL,
	    "\xe7\x94\xa8\xe6\x88\xb7.x@example.org" },
	{ "\"j\xc3\xb6 rg\"@example.org", NULL,
	    "\"j\xc3\xb6 rg\"@example.org" },
};

static const struct {
	const char *in;
	const char *reason;	/* a part of the message */
} bad[] = {
	{ "", "empty" },
	{ "   ", "empty" },
	{ "user", "no '@domain'" },
	{ "user@", "empty" },
	{ "@example.org", "local part" },
	{ "a b@example.org", "space" },
	{ "Jane jane@example.org", "space" },
	{ "a@example.org, b@example.org", "more than one address" },
	{ "Jane <a@example.org>, b@example.org", "after '>'" },
	{ "Last, First <lf@example.org>", "outside quotes" },
	{ "x@y.org <a@example.org>", "outside quotes" },
	{ "Group: a@example.org;", "groups" },
	{ "Group: Jane <a@example.org>;", "groups" },
	{ "undisclosed-recipients:;", "groups" },
	{ "Jane <a@example.org", "missing '>'" },
	{ "Jane a@example.org>", "misplaced '>'" },
	{ "<<a@example.org>>", "more than one '<'" },
	{ "Jane <a@example.org> trailing", "after '>'" },
	{ "\"unterminated <a@example.org>", "unbalanced" },
	{ "(comment <a@example.org>", "unbalanced" },
	{ "a@example.org)", "unbalanced" },
	{ ".a@example.org", "'.'" },
	{ "a.@example.org", "'.'" },
	{ "a..b@example.org", "'.'" },
	{ "a\\b@example.org", "local part" },
	{ "j\xc3\xb6rg\xff@example.org", "not valid UTF-8" },
	{ "a@-example.org", "'-'" },
	{ "a@example-.org", "'-'" },
	{ "a@exa_mple.org", "contains '_'" },
	{ "a@example..org", "empty label" },
	{ "a@example.org.", "empty label" },
	{ "a@.example.org", "empty label" },
	{ "a@[300.1.2.3]", "domain literal" },
	{ "a@[IPv6:zz::1]", "domain literal" },
	{ "a@ex ample.org", "space" },
	{ "a@example.org\r\nBcc: evil@example.org", "line break" },
	{ "Jane\n <a@example.org>", "line break" },
	{ "a@example.org\n", "line break" },
	{ "\xff@example.org", "UTF-8" },
	{ "a@xn--a.example", "valid" },
	{ "a@\xe2\x98\x83\xe2\x80\x8d.example", "internationalised" },
	{ "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".org", "longer than 63" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@example.org", "longer than 64" },
	{ "Jane@Doe <a@example.org>", "outside quotes" },
};

/* Test names stay on one TAP line. */
static void
clean(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			*s = '?';
}

static void
test_good(void)
{
	struct smtpc_error err;
	struct addr a;
	char what[200];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = addr_parse(good[i].in, &a, &err);
		snprintf(what, sizeof(what), "good: %s", good[i].in);
		if (!ok(rc == 0, what)) {
			printf("# %s\n", err.message);
			continue;
		}
		eq_str(a.spec, good[i].spec, "addr-spec");
		if (good[i].display == NULL)
			ok(a.display == NULL, "no display name");
		else
			ok(a.display != NULL && strcmp(a.display,
			    good[i].display) == 0, "display name");
		addr_free(&a);
	}
}

static void
test_bad(void)
{
	struct smtpc_error err;
	struct addr a;
	char what[200];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		memset(&a, 0x55, sizeof(a));
		rc = addr_parse(bad[i].in, &a, &err);
		snprintf(what, sizeof(what), "refused: %s", bad[i].in);
		clean(what);
		ok(rc == SMTPC_EDATA && err.code == SMTPC_EDATA, what);
		snprintf(what, sizeof(what), "reason has \"%s\"",
		    bad[i].reason);
		if (!ok(strstr(err.message, bad[i].reason) != NULL, what))
			printf("# message: %s\n", err.message);
		ok(a.display == NULL && a.spec == NULL,
		    "nothing left allocated");
	}
}

static const struct {
	const char *in;
	const char *field;
} formats[] = {
	{ "a@example.org", "To: a@example.org\r\n" },
	{ "Jane Doe <jane@example.org>",
	    "To: Jane Doe <jane@example.org>\r\n" },
	{ "\"Last, First\" <lf@example.org>",
	    "To: \"Last, First\" <lf@example.org>\r\n" },
	{ "Zo\xc3\xab <zoe@b\xc3\xbc\x63her.example>",
	    "To: =?UTF-8?Q?Zo=C3=AB?= <zoe@xn--bcher-kva.example>\r\n" },
	{ "\"Zo\xc3\xab, Ann\" <z@example.org>",
	    "To: =?UTF-8?B?Wm/DqywgQW5u?= <z@example.org>\r\n" },
};

static void
test_format(void)
{
	struct smtpc_error err;
	struct hfold f;
	struct buf out;
	struct addr a, c;
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		buf_reset(&out);
		if (!ok(addr_parse(formats[i].in, &a, &err) == 0, "parse"))
			continue;
		header_begin(&f, &out, "To");
		ok(addr_fold(&f, &a, "") == 0 && header_end(&f) == 0, "fold");
		eq_str(buf_cstr(&out), formats[i].field, formats[i].in);
		ok(addr_copy(&c, &a) == 0 && strcmp(c.spec, a.spec) == 0,
		    "copy");
		addr_free(&c);
		addr_free(&a);
	}
	addr_free(NULL);
	buf_free(&out);
}

/* A list folds between addresses, not inside a name. */
static void
test_list_folding(void)
{
	static const char *const in[] = {
		"Person 01 <person01@example.com>",
		"Person 02 <person02@example.com>",
		"Person 03 <person03@example.com>",
	};
	struct smtpc_error err;
	struct hfold f;
	struct buf out;
	struct addr a;
	size_t i;

	buf_init(&out, 1 << 16);
	header_begin(&f, &out, "To");
	for (i = 0; i < 3; i++) {
		ok(addr_parse(in[i], &a, &err) == 0, "parse");
		ok(addr_fold(&f, &a, i < 2 ? "," : "") == 0, "fold");
		addr_free(&a);
	}
	header_end(&f);
	eq_str(buf_cstr(&out), "To: Person 01 <person01@example.com>, "
	    "Person 02 <person02@example.com>,\r\n"
	    " Person 03 <person03@example.com>\r\n", "folded between "
	    "addresses");
	buf_free(&out);
}

/* Address lists: each element's spec (and display name) in order. */
static const struct {
	const char *in;
	const char *want;	/* "spec|display" joined by ';' */
} good_lists[] = {
	{ "a@example.org", "a@example.org|" },
	{ "A <a@example.org>, \"Last, First\" <b@example.org>",
	    "a@example.org|A;b@example.org|Last, First" },
	{ "a@example.org,b@example.org", "a@example.org|;b@example.org|" },
	/* RFC 5322 obs-addr-list: empty elements are skipped. */
	{ "a@example.org, ,b@example.org",
	    "a@example.org|;b@example.org|" },
	{ ", a@example.org,,, (nobody) ,", "a@example.org|" },
	/* A comma in a comment, a quoted local part or <...> is no split. */
	{ "a@example.org (Doe, Jane), b@example.org",
	    "a@example.org|;b@example.org|" },
	{ "\"x,y\"@example.org, Q <\"p,q\"@example.org>",
	    "\"x,y\"@example.org|;\"p,q\"@example.org|Q" },
	{ "\"say \\\", no\" <s@example.org>", "s@example.org|say \", no" },
	{ "(a (nested, comment)) c@example.org", "c@example.org|" },
	{ "u@[IPv6:2001:db8::1], v@example.org",
	    "u@[IPv6:2001:db8::1]|;v@example.org|" },
	{ "Zo\xc3\xab <z@b\xc3\xbc\x63her.example>, y@example.org",
	    "z@xn--bcher-kva.example|Zo\xc3\xab;y@example.org|" },
};

static const struct {
	const char *in;
	const char *reason;
} bad_lists[] = {
	{ "", "empty" },
	{ " , ,", "holds no address" },
	{ "(just a comment)", "empty" },
	{ "a@example.org, b@", "in \"b@\": the domain is empty" },
	{ "Last, First <lf@example.org>",
	    "\"Last\" has no '@domain' (a display name with a comma goes in "
	    "quotes" },
	{ "a@example.org, undisclosed-recipients:;", "groups" },
	{ "undisclosed-recipients:;", "groups" },
	/* A group is one element: its members are not sent to. */
	{ "Friends: a@example.org, b@example.org;, c@example.org",
	    "in \"Friends: a@example.org, b@example.org;\": address groups" },
	{ "a@example.org, \"open <b@example.org>, c@example.org",
	    "unbalanced '\"'" },
	{ "a@example.org, (open b@example.org", "unbalanced '('" },
	{ "a@example.org,\r\nBcc: evil@example.org", "line break" },
	{ "a@example.org, \xff@example.org", "UTF-8" },
	{ "a@example.org, a b@example.org", "contains a space" },
};

static void
test_lists(void)
{
	struct smtpc_error err;
	struct addr *list;
	struct buf got;
	char what[200];
	size_t i, j, n;
	int rc;

	buf_init(&got, 4096);
	for (i = 0; i < sizeof(good_lists) / sizeof(good_lists[0]); i++) {
		snprintf(what, sizeof(what), "list: %s", good_lists[i].in);
		rc = addr_parse_list(good_lists[i].in, 100, &list, &n, &err);
		if (!ok(rc == 0, what)) {
			printf("# %s\n", err.message);
			continue;
		}
		buf_reset(&got);
		for (j = 0; j < n; j++)
			buf_printf(&got, "%s%s|%s", j ? ";" : "", list[j].spec,
			    list[j].display ? list[j].display : "");
		eq_str(buf_cstr(&got), good_lists[i].want, "its addresses");
		addr_list_free(list, n);
	}
	for (i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		memset(&err, 0, sizeof(err));
		list = (struct addr *)&err;
		n = 7;
		rc = addr_parse_list(bad_lists[i].in, 100, &list, &n, &err);
		snprintf(what, sizeof(what), "list refused: %s",
		    bad_lists[i].in);
		clean(what);
		ok(rc == SMTPC_EDATA && list == NULL && n == 0, what);
		if (!ok(strstr(err.message, bad_lists[i].reason) != NULL,
		    bad_lists[i].reason))
			printf("# message: %s\n", err.message);
	}
	ok(addr_parse_list("a@example.org, b@example.org, c@example.org", 2,
	    &list, &n, &err) == SMTPC_ELIMIT, "more than max: ELIMIT");
	ok(addr_parse_list("a@example.org, b@example.org", 2, &list, &n,
	    &err) == 0 && n == 2, "max itself is fine");
	addr_list_free(list, n);
	addr_list_free(NULL, 0);
	buf_free(&got);
}

/* Header fields of a ready message: groups give their members. */
static const struct {
	const char *in;
	const char *want;	/* specs joined by ';', NULL: refused */
	const char *reason;
} fields[] = {
	{ "undisclosed-recipients:;", "", NULL },
	{ "", "", NULL },
	{ " (nobody) ", "", NULL },
	{ "a@example.org, undisclosed-recipients:;", "a@example.org", NULL },
	{ "Friends: a@example.org, \"B, b\" <b@example.org>;, c@example.org",
	    "a@example.org;b@example.org;c@example.org", NULL },
	{ "\"Odd: name\" <q@example.org>, T (x: y;): t@example.org;",
	    "q@example.org;t@example.org", NULL },
	{ "Empty: ; ,x@example.org", "x@example.org", NULL },
	{ "Team: a@example.org", NULL, "lacks its ';'" },
	{ "Team: a@example.org; junk", NULL, "text after it" },
	{ "Outer: Inner: a@example.org;;", NULL, "group" },
	{ "ok@example.org, bad@", NULL, "in \"bad@\"" },
};

static void
test_fields(void)
{
	struct smtpc_error err;
	struct addr *list;
	struct buf got;
	char what[200];
	size_t i, j, n;
	int rc;

	buf_init(&got, 4096);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memset(&err, 0, sizeof(err));
		rc = addr_parse_field(fields[i].in, 100, &list, &n, &err);
		snprintf(what, sizeof(what), "field: %s", fields[i].in);
		if (fields[i].want == NULL) {
			ok(rc == SMTPC_EDATA && list == NULL && n == 0 &&
			    strstr(err.message, fields[i].reason) != NULL,
			    what);
			continue;
		}
		buf_reset(&got);
		for (j = 0; rc == 0 && j < n; j++)
			buf_printf(&got, "%s%s", j ? ";" : "", list[j].spec);
		ok(rc == 0, what);
		eq_str(buf_cstr(&got), fields[i].want, "its addresses");
		addr_list_free(list, n);
	}
	ok(addr_parse_field("G: a@example.org, b@example.org;, c@example.org",
	    2, &list, &n, &err) == SMTPC_ELIMIT, "members count for the limit");
	buf_free(&got);
}

int
main(void)
{
	test_good();
	test_bad();
	test_format();
	test_list_folding();
	test_lists();
	test_fields();
	return tap_done();
}
