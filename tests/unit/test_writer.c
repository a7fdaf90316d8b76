/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for writer.c: structure for every shape, CRLF and line
 * lengths, exact sizes, determinism, bounded memory on a large file,
 * files that vanish or change, and decoded round trips.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "smtpc.h"
#include "tap.h"
#include "tmpfiles.h"

#include "msgcheck.h"

static struct smtpc_msg *
base_msg(void)
{
	struct smtpc_msg *m = smtpc_msg_new();
	struct smtpc_error err;

	if (smtpc_msg_set_from(m, "Zo\xc3\xab <zoe@example.org>", &err) != 0 ||
	    smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "to@example.org",
	    &err) != 0 ||
	    smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "Secret Person "
	    "<hidden@example.org>", &err) != 0 ||
	    smtpc_msg_set_subject(m, "Test", &err) != 0) {
		printf("Bail out! base message: %s\n", err.message);
		exit(1);
	}
	smtpc_msg_set_seed(m, 7);
	smtpc_msg_set_date(m, 1700000000);
	return m;
}

enum {
	S_TEXT = 1, S_HTML = 2, S_INLINE = 4, S_ATTACH = 8, S_UTF8 = 16,
	S_NOEOL = 32, S_EMPTYFILE = 64, S_LONGLINE = 128,
};

static const struct {
	int shape;
	const char *structure;
} shapes[] = {
	{ 0, "text/plain" },
	{ S_TEXT, "text/plain" },
	{ S_TEXT | S_NOEOL, "text/plain" },
	{ S_TEXT | S_UTF8, "text/plain" },
	{ S_TEXT | S_UTF8 | S_NOEOL, "text/plain" },
	{ S_TEXT | S_LONGLINE, "text/plain" },
	{ S_TEXT | S_LONGLINE | S_NOEOL, "text/plain" },
	{ S_HTML, "text/html" },
	{ S_TEXT | S_HTML, "multipart/alternative(text/plain,text/html)" },
	{ S_TEXT | S_HTML | S_INLINE, "multipart/alternative(text/plain,"
	    "multipart/related(text/html,image/png))" },
	{ S_TEXT | S_HTML | S_INLINE | S_ATTACH, "multipart/mixed("
	    "multipart/alternative(text/plain,multipart/related(text/html,"
	    "image/png)),application/pdf)" },
	{ S_HTML | S_INLINE, "multipart/related(text/html,image/png)" },
	{ S_HTML | S_ATTACH, "multipart/mixed(text/html,application/pdf)" },
	{ S_TEXT | S_INLINE, "multipart/mixed(text/plain,image/png)" },
	{ S_TEXT | S_ATTACH, "multipart/mixed(text/plain,application/pdf)" },
	{ S_TEXT | S_INLINE | S_ATTACH,
	    "multipart/mixed(text/plain,image/png,application/pdf)" },
	{ S_ATTACH, "multipart/mixed(application/pdf)" },
	{ S_INLINE, "multipart/mixed(image/png)" },
	{ S_TEXT | S_UTF8 | S_HTML | S_ATTACH | S_EMPTYFILE,
	    "multipart/mixed(multipart/alternative(text/plain,text/html),"
	    "application/pdf,application/octet-stream)" },
};

static const char text_ascii[] = "Hello,\nthis is the text.\n\n-- \nsig\n";
static const char text_utf8[] = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
    "\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80! \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
    "\xd0\xb5\xd1\x82!\n";

static struct smtpc_msg *
shape_msg(int shape)
{
	struct smtpc_msg *m = base_msg();
	struct smtpc_error err;
	char text[600];
	size_t n;
	int rc = 0;

	if (shape & S_TEXT) {
		if (shape & S_LONGLINE) {
			memset(text, 'x', 500);
			memcpy(text + 500, " end\n", 6);
		} else
			snprintf(text, sizeof(text), "%s",
			    (shape & S_UTF8) ? text_utf8 : text_ascii);
		n = strlen(text);
		if (shape & S_NOEOL)
			n--;
		rc |= smtpc_msg_set_text(m, text, n, &err);
	}
	if (shape & S_HTML)
		rc |= smtpc_msg_set_html(m, "<p>Hi <img src=\"cid:dot.png\">"
		    "</p>\n", 35, &err);
	if (shape & S_INLINE)
		rc |= smtpc_msg_add_inline(m, path_of("dot.png"), NULL, NULL,
		    &err);
	if (shape & S_ATTACH)
		rc |= smtpc_msg_add_attachment(m, path_of("doc.pdf"), NULL,
		    NULL, &err);
	if (shape & S_EMPTYFILE)
		rc |= smtpc_msg_add_attachment(m, path_of("empty.bin"), NULL,
		    NULL, &err);
	if (rc != 0) {
		printf("Bail out! shape %d: %s\n", shape, err.message);
		exit(1);
	}
	return m;
}

/*
 * A byte-exact golden message (seed, date and TZ fixed).  When a change
 * to the output is intended, the failure prints the new bytes: check them
 * with an independent parser before pasting them here.
 */
static const char golden[] =
    "Date: Fri, 28 Nov 2025 22:00:00 +0000\r\n"
    "From: =?UTF-8?B?Wm/DqyBNw7xsbGVy?= <zoe@example.org>\r\n"
    "To: \"Doe, Jane\" <jane@example.org>\r\n"
    "Cc: bob@xn--bcher-kva.example\r\n"
    "Reply-To: replies@example.org\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_=E2=80=94?= the report\r\n"
    "Message-ID: <cB3Oezcrz4ckIWspBBM95PnmnBNMmxdo@example.org>\r\n"
    "X-Mailer: smtpc\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    " boundary=\"=_poqVldOjSHS7DWxHhYxyyLCDuqI3KruSkCUkar\"\r\n"
    "\r\n"
    "--=_poqVldOjSHS7DWxHhYxyyLCDuqI3KruSkCUkar\r\n"
    "Content-Type: multipart/alternative;\r\n"
    " boundary=\"=_LafK7lHFZ2cXobFTdSrsw5hWJjEGxaNcXhXHv7\"\r\n"
    "\r\n"
    "--=_LafK7lHFZ2cXobFTdSrsw5hWJjEGxaNcXhXHv7\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Hello Jane,\r\n"
    "\r\n"
    "the report is attached. Caf=C3=A9?\r\n"
    "\r\n"
    "--=_LafK7lHFZ2cXobFTdSrsw5hWJjEGxaNcXhXHv7\r\n"
    "Content-Type: multipart/related; type=\"text/html\";\r\n"
    " boundary=\"=_lXHn9NtunMeFhEGULEblGN27QNyi7bJil390iY\"\r\n"
    "\r\n"
    "--=_lXHn9NtunMeFhEGULEblGN27QNyi7bJil390iY\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "<p>Hello Jane,</p>\r\n"
    "<p><img src=\"cid:dot.png\"></p>\r\n"
    "\r\n"
    "--=_lXHn9NtunMeFhEGULEblGN27QNyi7bJil390iY\r\n"
    "Content-Type: image/png; name=\"dot.png\"\r\n"
    "Content-Disposition: inline; filename=\"dot.png\"\r\n"
    "Content-ID: <dot.png>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ\r\n"
    "\r\n"
    "--=_lXHn9NtunMeFhEGULEblGN27QNyi7bJil390iY--\r\n"
    "--=_LafK7lHFZ2cXobFTdSrsw5hWJjEGxaNcXhXHv7--\r\n"
    "--=_poqVldOjSHS7DWxHhYxyyLCDuqI3KruSkCUkar\r\n"
    "Content-Type: text/plain; name=\"resume.txt\"\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "YSBzbWFsbCBhdHRhY2htZW50Cg==\r\n"
    "\r\n"
    "--=_poqVldOjSHS7DWxHhYxyyLCDuqI3KruSkCUkar--\r\n";

static void
test_golden(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	struct buf out;
	const char *tx = "Hello Jane,\n\nthe report is attached. "
	    "Caf\xc3\xa9?\n";
	const char *h = "<p>Hello Jane,</p>\n"
	    "<p><img src=\"cid:dot.png\"></p>\n";
	int rc = 0;

	write_file("notes.txt", "a small attachment\n", 19);
	rc |= smtpc_msg_set_from(m,
	    "Zo\xc3\xab M\xc3\xbcller <zoe@example.org>", &err);
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_TO,
	    "\"Doe, Jane\" <jane@example.org>", &err);
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_CC,
	    "bob@b\xc3\xbc\x63her.example", &err);
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "hidden@example.org",
	    &err);
	rc |= smtpc_msg_add_reply_to(m, "replies@example.org", &err);
	rc |= smtpc_msg_set_subject(m,
	    "Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 the report", &err);
	rc |= smtpc_msg_add_header(m, "X-Mailer", "smtpc", &err);
	rc |= smtpc_msg_set_text(m, tx, strlen(tx), &err);
	rc |= smtpc_msg_set_html(m, h, strlen(h), &err);
	rc |= smtpc_msg_add_inline(m, path_of("dot.png"), NULL, NULL, &err);
	rc |= smtpc_msg_add_attachment(m, path_of("notes.txt"), NULL,
	    "r\xc3\xa9sum\xc3\xa9.txt", &err);
	smtpc_msg_set_seed(m, 2026);
	smtpc_msg_set_date(m, 1764367200);
	ok(rc == 0, "golden message built");
	buf_init(&out, 1 << 20);
	ok(read_all(m, 100, &out, NULL, &err) == 0, "golden message read");
	if (!eq_mem(out.data, out.len, golden, strlen(golden),
	    "byte-exact golden message"))
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	smtpc_msg_free(m);
	unlink(path_of("notes.txt"));
}

static void
test_shapes(void)
{
	static const size_t steps[] = { 1, 3, 77, 4096, 1 << 20 };
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct buf ref, out, desc;
	char what[160];
	const char *hend;
	uint64_t size;
	size_t i, k;
	int same;

	buf_init(&ref, 1 << 26);
	buf_init(&out, 1 << 26);
	buf_init(&desc, 1 << 16);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		m = shape_msg(shapes[i].shape);
		buf_reset(&ref);
		ok(read_all(m, 1 << 16, &ref, &size, &err) == 0, "read");
		snprintf(what, sizeof(what), "shape %#x: size is exact "
		    "(%llu)", shapes[i].shape, (unsigned long long)ref.len);
		ok(size == ref.len, what);
		snprintf(what, sizeof(what), "shape %#x: CRLF, lines <= 78",
		    shapes[i].shape);
		ok(lines_ok(ref.data, ref.len, 78), what);
		buf_reset(&desc);
		snprintf(what, sizeof(what), "shape %#x: structure",
		    shapes[i].shape);
		ok(message_structure(&ref, &desc, NULL) == 0, what);
		eq_str(buf_cstr(&desc), shapes[i].structure, what);
		hend = find((char *)ref.data, ref.len, "\r\n\r\n");
		ok(hend != NULL && find((char *)ref.data, (size_t)(hend -
		    (char *)ref.data), "hidden") == NULL &&
		    find((char *)ref.data, ref.len, "Bcc") == NULL,
		    "Bcc is not in the message");
		same = 1;
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			buf_reset(&out);
			if (read_all(m, steps[k], &out, NULL, &err) != 0 ||
			    out.len != ref.len ||
			    memcmp(out.data, ref.data, ref.len) != 0)
				same = 0;
		}
		snprintf(what, sizeof(what), "shape %#x: same bytes for any "
		    "read size and reader", shapes[i].shape);
		ok(same, what);
		smtpc_msg_free(m);
	}
	buf_free(&ref);
	buf_free(&out);
	buf_free(&desc);
}

static void
test_headers(void)
{
	static const char *const order[] = { "Date:", "From:", "To:", "Cc:",
	    "Reply-To:", "Subject:", "Message-ID:", "X-Mailer:", "X-Two:",
	    "MIME-Version:", "Content-Type:", "Content-Transfer-Encoding:" };
	struct smtpc_error err;
	struct smtpc_msg *m = shape_msg(S_TEXT);
	struct buf out;
	const char *p, *prev = NULL, *hend;
	char *v;
	size_t i, hl;
	int inorder = 1;

	buf_init(&out, 1 << 20);
	smtpc_msg_add_recipient(m, SMTPC_RCPT_CC, "cc@example.org", &err);
	smtpc_msg_add_reply_to(m, "reply@example.org", &err);
	smtpc_msg_add_header(m, "X-Mailer", "smtpc test", &err);
	smtpc_msg_add_header(m, "X-Two", "2", &err);
	read_all(m, 100, &out, NULL, &err);
	hend = find((char *)out.data, out.len, "\r\n\r\n");
	hl = (size_t)(hend - (char *)out.data) + 2;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (i == 0)
			p = strncmp((char *)out.data, order[0], 5) == 0 ?
			    (char *)out.data : NULL;
		else {
			char pat[40];

			snprintf(pat, sizeof(pat), "\r\n%s", order[i]);
			p = find((char *)out.data, hl, pat);
		}
		if (p == NULL || (prev != NULL && p < prev))
			inorder = 0;
		prev = p;
	}
	ok(inorder, "top fields in the documented order");
	v = field((char *)out.data, hl, "Date");
	eq_str(v, " Tue, 14 Nov 2023 22:13:20 +0000", "Date in RFC 5322 form");
	free(v);
	v = field((char *)out.data, hl, "Message-ID");
	ok(v != NULL && strlen(v) == 1 + 1 + 32 + 1 + 11 + 1 &&
	    strncmp(v, " <", 2) == 0 && strcmp(v + 34, "@example.org>") == 0,
	    "Message-ID is <random@domain-of-from>");
	free(v);
	v = field((char *)out.data, hl, "MIME-Version");
	eq_str(v, " 1.0", "MIME-Version");
	free(v);
	v = field((char *)out.data, hl, "From");
	eq_str(v, " =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>", "From encoded");
	free(v);
	smtpc_msg_free(m);

	/* Replacing Date and Message-ID. */
	m = shape_msg(S_TEXT);
	ok(smtpc_msg_add_header(m, "Date", "Mon, 1 Jan 2024 00:00:00 +0000",
	    &err) == 0, "Date given");
	ok(smtpc_msg_add_header(m, "message-id", "<given@example.org>",
	    &err) == 0, "Message-ID given");
	buf_reset(&out);
	read_all(m, 100, &out, NULL, &err);
	hend = find((char *)out.data, out.len, "\r\n\r\n");
	hl = (size_t)(hend - (char *)out.data) + 2;
	v = field((char *)out.data, hl, "Date");
	eq_str(v, " Mon, 1 Jan 2024 00:00:00 +0000", "given Date replaces");
	free(v);
	v = field((char *)out.data, hl, "Message-ID");
	eq_str(v, " <given@example.org>", "given Message-ID replaces");
	free(v);
	ok(find((char *)out.data, hl, "2023") == NULL, "one Date only");
	smtpc_msg_free(m);

	/* Different seeds: different boundaries and Message-IDs. */
	{
		struct buf a, b;

		buf_init(&a, 1 << 20);
		buf_init(&b, 1 << 20);
		m = shape_msg(S_TEXT | S_ATTACH);
		read_all(m, 1000, &a, NULL, &err);
		smtpc_msg_set_seed(m, 8);
		read_all(m, 1000, &b, NULL, &err);
		ok(a.len == b.len && memcmp(a.data, b.data, a.len) != 0,
		    "another seed changes the random parts only");
		smtpc_msg_free(m);
		/* Without a seed: OS randomness, two readers differ. */
		m = smtpc_msg_new();
		smtpc_msg_set_from(m, "a@example.org", &err);
		smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "b@example.org",
		    &err);
		buf_reset(&a);
		buf_reset(&b);
		read_all(m, 1000, &a, NULL, &err);
		read_all(m, 1000, &b, NULL, &err);
		ok(find((char *)a.data, a.len, "Message-ID: <") != NULL &&
		    (a.len != b.len || memcmp(a.data, b.data, a.len) != 0),
		    "random Message-ID without a seed");
		smtpc_msg_free(m);
		buf_free(&a);
		buf_free(&b);
	}
	buf_free(&out);
}

static void
test_long_fields(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = shape_msg(S_TEXT);
	struct smtpc_reader *r;
	struct buf out;
	char a[200], tmp[10], *v;
	const char *hend;
	size_t i, n, hl;
	int rc = 0;

	buf_init(&out, 1 << 20);
	for (i = 0; i < 40; i++) {
		snprintf(a, sizeof(a), "%s Person Number %zu <person%zu@"
		    "example.org>", i % 3 == 0 ? "\"Last, First\"" : i % 3 ==
		    1 ? "Zo\xc3\xab M\xc3\xbcller-Sch\xc3\xb6n" : "Plain",
		    i, i);
		rc |= smtpc_msg_add_recipient(m, i % 2 ? SMTPC_RCPT_CC :
		    SMTPC_RCPT_TO, a, &err);
	}
	ok(rc == 0, "40 recipients");
	rc = smtpc_msg_add_header(m, "X-Long", "word word word word word word "
	    "word word word word word word word word word word word word "
	    "word word word word word word word word word word word word",
	    &err);
	ok(rc == 0, "long extra field");
	ok(read_all(m, 512, &out, NULL, &err) == 0, "read");
	ok(lines_ok(out.data, out.len, 78), "address lists folded under 78");
	hend = find((char *)out.data, out.len, "\r\n\r\n");
	hl = (size_t)(hend - (char *)out.data) + 2;
	v = field((char *)out.data, hl, "Cc");
	ok(v != NULL && strstr(v, "\"Last, First Person Number 3\"\r\n "
	    "<person3@example.org>") == NULL && strstr(v, "\"Last, First "
	    "Person Number 3\" <person3@example.org>,") != NULL,
	    "quoted name in a list");
	free(v);
	ok(smtpc_reader_new(m, &r, &err) == 0, "reader");
	ok(smtpc_reader_read(r, tmp, 0, &n, &err) == SMTPC_EINVAL,
	    "cap 0 refused");
	while (smtpc_reader_read(r, tmp, sizeof(tmp), &n, &err) == 0 && n > 0)
		;
	ok(smtpc_reader_read(r, tmp, sizeof(tmp), &n, &err) == 0 && n == 0,
	    "reading after the end returns 0 again");
	smtpc_reader_free(r);
	smtpc_msg_free(m);
	buf_free(&out);
}


static void
test_round_trips(void)
{
	static const struct {
		const char *text;
		const char *cte;
	} texts[] = {
		{ "plain\nascii\n", "7bit" },
		{ "caf\xc3\xa9 au lait, tr\xc3\xa8s bien\r\nFrom here\n.\n",
		    "quoted-printable" },
		{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
		    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n",
		    "base64" },
		{ "lone\rcr and lf\nmixed\r\n", "7bit" },
		{ "trailing space \nand tab\t\n-- \nsig\n", "7bit" },
		{ "a line longer than seventy-eight characters, in ASCII, "
		    "goes out as quoted-printable\n", "quoted-printable" },
		{ "nul\0byte\n", "quoted-printable" },
	};
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct buf out, desc, dec, want;
	struct leaf lf;
	unsigned char pdf[5000];
	size_t i, k, len;

	buf_init(&out, 1 << 22);
	buf_init(&desc, 1 << 16);
	buf_init(&dec, 1 << 22);
	buf_init(&want, 1 << 22);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		m = base_msg();
		len = i == 6 ? 9 : strlen(texts[i].text);
		smtpc_msg_set_text(m, texts[i].text, len, &err);
		smtpc_msg_add_attachment(m, path_of("doc.pdf"), NULL, NULL,
		    &err);
		buf_reset(&out);
		buf_reset(&desc);
		read_all(m, 333, &out, NULL, &err);
		memset(&lf, 0, sizeof(lf));
		lf.want = "text/plain";
		ok(message_structure(&out, &desc, &lf) == 0 && lf.body != NULL,
		    "text part found");
		ok(lf.cte != NULL && strstr(lf.cte, texts[i].cte) != NULL,
		    texts[i].cte);
		buf_reset(&dec);
		buf_reset(&want);
		for (k = 0; k < len; k++) {
			if (texts[i].text[k] == '\r' || texts[i].text[k] ==
			    '\n') {
				buf_append(&want, "\r\n", 2);
				if (texts[i].text[k] == '\r' &&
				    texts[i].text[k + 1] == '\n')
					k++;
			} else
				buf_append_byte(&want,
				    (unsigned char)texts[i].text[k]);
		}
		ok(decode_leaf(&lf, &dec) == 0 && dec.len == want.len &&
		    memcmp(dec.data, want.data, want.len) == 0,
		    "text decodes back exactly (line breaks as CRLF)");
		leaf_free(&lf);

		memset(&lf, 0, sizeof(lf));
		lf.want = "application/pdf";
		buf_reset(&desc);
		message_structure(&out, &desc, &lf);
		buf_reset(&dec);
		pseudo_random(pdf, sizeof(pdf), 99);
		ok(lf.body != NULL && decode_leaf(&lf, &dec) == 0 &&
		    dec.len == sizeof(pdf) &&
		    memcmp(dec.data, pdf, sizeof(pdf)) == 0,
		    "attachment decodes back exactly");
		ok(lf.disp != NULL && strcmp(lf.disp,
		    " attachment; filename=\"doc.pdf\"") == 0,
		    "attachment disposition");
		leaf_free(&lf);
		smtpc_msg_free(m);
	}

	/* Inline parts: Content-ID and disposition. */
	m = shape_msg(S_TEXT | S_HTML | S_INLINE);
	buf_reset(&out);
	buf_reset(&desc);
	read_all(m, 4096, &out, NULL, &err);
	memset(&lf, 0, sizeof(lf));
	lf.want = "image/png";
	message_structure(&out, &desc, &lf);
	ok(lf.cid != NULL && strcmp(lf.cid, " <dot.png>") == 0,
	    "Content-ID is the base name");
	ok(lf.disp != NULL && strcmp(lf.disp,
	    " inline; filename=\"dot.png\"") == 0, "inline disposition");
	leaf_free(&lf);
	smtpc_msg_free(m);

	/* A non-ASCII file name: RFC 2231 and an ASCII stand-in. */
	m = base_msg();
	smtpc_msg_set_text(m, "x", 1, &err);
	ok(smtpc_msg_add_attachment(m, path_of("doc.pdf"), NULL,
	    "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac.pdf", &err) == 0,
	    "attachment with a given name");
	buf_reset(&out);
	read_all(m, 4096, &out, NULL, &err);
	ok(find((char *)out.data, out.len, "filename*=UTF-8''"
	    "r%C3%A9sum%C3%A9%20%E2%82%AC.pdf") != NULL, "RFC 2231 filename");
	/*
	 * No encoded-word in the quoted name= (RFC 2047 5): munpack saved
	 * it as "=XUTF-8XBX...X=".  An ASCII name with the extension, and
	 * no plain filename= that RFC 2231 readers could take instead.
	 */
	ok(find((char *)out.data, out.len, "Content-Type: application/pdf; "
	    "name=\"resume.pdf\"\r\n") != NULL, "ASCII stand-in in name=");
	ok(find((char *)out.data, out.len, "=\"=?") == NULL,
	    "no encoded-word in a parameter");
	ok(find((char *)out.data, out.len, "filename=") == NULL,
	    "filename*= alone in Content-Disposition");
	smtpc_msg_free(m);
	buf_free(&out);
	buf_free(&desc);
	buf_free(&dec);
	buf_free(&want);
}

/* The raw (folded) field `name` of the header block, or NULL. */
static char *
raw_field(const char *hdr, size_t hlen, const char *name)
{
	char pat[64];
	const char *p, *e;
	size_t len;
	char *r;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	if ((p = find(hdr, hlen, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	for (e = p; e + 2 < hdr + hlen; e++)
		if (e[0] == '\r' && e[2] != ' ' && e[2] != '\t')
			break;
	len = (size_t)(e - p);
	if ((r = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(r, p, len);
	r[len] = '\0';
	return r;
}

/*
 * Every fold of an address field falls between addresses, before an
 * angle-addr, or between two encoded-words: nowhere else in a display
 * name (GMime keeps such a fold as a line break in the name).
 */
static int
folds_outside_names(const char *v)
{
	const char *p;

	for (p = strstr(v, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		if (p[2] != ' ')
			return 0;
		if (p > v && p[-1] == ',')
			continue;
		if (p[3] == '<')
			continue;
		if (p - v >= 2 && p[-2] == '?' && p[-1] == '=' &&
		    p[3] == '=' && p[4] == '?')
			continue;
		return 0;
	}
	return 1;
}

static void
test_display_name_folds(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = base_msg();
	struct buf out;
	const char *hend;
	char *v;
	int rc = 0;

	buf_init(&out, 1 << 20);
	smtpc_msg_set_text(m, "x", 1, &err);
	/* Folded between "Smiley" and an encoded-word, GMime saw two lines. */
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "\xf0\x9f\x98\x80 "
	    "Smiley \xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e "
	    "<to2@example.org>", &err);
	/* Too long for one encoded-word: folded between encoded-words. */
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_CC, "Dr Zo\xc3\xab "
	    "M\xc3\xbcller-L\xc3\xbc" "denscheidt von und zu Habsburg "
	    "\xe1\xbc\x88\xce\xb8\xce\xb7\xce\xbd\xe1\xbe\xb6 "
	    "\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e <cc@example.org>", &err);
	/* Plain ASCII too long for the line: one piece, never folded. */
	rc |= smtpc_msg_add_recipient(m, SMTPC_RCPT_CC, "Alexandra "
	    "Konstantinopoulou Papadimitriou Montgomery-Smythe the Third "
	    "<cc2@example.org>", &err);
	ok(rc == 0, "recipients with long display names");
	ok(read_all(m, 4096, &out, NULL, &err) == 0, "read");
	hend = find((char *)out.data, out.len, "\r\n\r\n");
	v = raw_field((char *)out.data, (size_t)(hend - (char *)out.data) + 2,
	    "To");
	eq_str(v, " to@example.org,\r\n =?UTF-8?Q?=F0=9F=98=80_Smiley_"
	    "=E5=B1=B1=E7=94=B0_=E5=A4=AA=E9=83=8E?=\r\n <to2@example.org>",
	    "a display name with non-ASCII is one encoded run");
	ok(v != NULL && folds_outside_names(v), "To: no fold inside a name");
	free(v);
	v = raw_field((char *)out.data, (size_t)(hend - (char *)out.data) + 2,
	    "Cc");
	ok(v != NULL && folds_outside_names(v), "Cc: no fold inside a name");
	ok(v != NULL && strstr(v, "\r\n Alexandra Konstantinopoulou "
	    "Papadimitriou Montgomery-Smythe the Third\r\n <cc2@") != NULL,
	    "a long ASCII name stays on its line");
	ok(v != NULL && strstr(v, " Habsburg") == NULL && strstr(v,
	    "?=\r\n =?UTF-8?") != NULL, "a long UTF-8 name: encoded-words");
	free(v);
	ok(lines_ok(out.data, (size_t)(hend - (char *)out.data) + 2, 78),
	    "header lines within 78");
	smtpc_msg_free(m);
	buf_free(&out);
}

/* The name= values of the file parts, in order, separated by '|'. */
static void
name_params(const struct buf *out, struct buf *names)
{
	const char *p = (const char *)out->data, *e;
	size_t left = out->len;

	while ((p = find(p, left, "; name=\"")) != NULL) {
		p += 8;
		e = strchr(p, '"');
		if (names->len > 0)
			buf_append_byte(names, '|');
		buf_append(names, p, (size_t)(e - p));
		left = out->len - (size_t)(e - (const char *)out->data);
		p = e;
	}
}

static void
test_file_names(void)
{
	static const struct {
		const char *given;
	} files[] = {
		{ "donn\xc3\xa9" "es.pdf" },
		{ "Donnees.pdf" },		/* plain: taken as it is */
		{ "d\xc3\xb6nn\xc3\xa9" "es.pdf" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.pdf" },
		{ "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba"
		    "\xce\xac.pdf" },
		{ "\xf0\x9f\x98\x80 emoji.png" },
	};
	struct smtpc_error err;
	struct smtpc_msg *m = base_msg();
	struct buf out, names;
	size_t i;
	int rc = 0;

	buf_init(&out, 1 << 20);
	buf_init(&names, 1 << 16);
	smtpc_msg_set_text(m, "x", 1, &err);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		rc |= smtpc_msg_add_attachment(m, path_of("doc.pdf"), NULL,
		    files[i].given, &err);
	ok(rc == 0, "attachments with names alike");
	ok(read_all(m, 4096, &out, NULL, &err) == 0, "read");
	name_params(&out, &names);
	/*
	 * Each stand-in keeps the extension and differs from every other
	 * name= (case aside): munpack would add ".1" after the extension.
	 */
	eq_str(buf_cstr(&names), "donnees-2.pdf|Donnees.pdf|donnees-3.pdf|"
	    "file.pdf|file-2.pdf|emoji.png", "unique ASCII stand-ins");
	ok(find((char *)out.data, out.len, "filename*=UTF-8''d%C3%B6nn%C3%A9"
	    "es.pdf") != NULL, "full names in filename*=");
	smtpc_msg_free(m);
	buf_free(&out);
	buf_free(&names);
}

static void
test_big_file(void)
{
	const size_t size = 5u * 1024 * 1024 + 17;
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	unsigned char *data, chunk[1000];
	struct mallinfo2 mi;
	size_t base, peak = 0, n, total = 0;
	FILE *f;
	uint64_t want;
	int rc;
	struct buf all, desc, dec;
	struct leaf lf;

	data = malloc(size);
	pseudo_random(data, size, 5);
	write_file("big.bin", data, size);
	m = base_msg();
	smtpc_msg_set_text(m, "see attached\n", 13, &err);
	ok(smtpc_msg_add_attachment(m, path_of("big.bin"), NULL, NULL,
	    &err) == 0, "5 MB attachment added");
	f = tmpfile();
	mi = mallinfo2();
	base = mi.uordblks;
	ok(smtpc_reader_new(m, &r, &err) == 0, "reader");
	smtpc_reader_size(r, &want);
	for (;;) {
		rc = smtpc_reader_read(r, chunk, sizeof(chunk), &n, &err);
		if (rc != 0 || n == 0)
			break;
		fwrite(chunk, 1, n, f);
		total += n;
		mi = mallinfo2();
		if (mi.uordblks > base && mi.uordblks - base > peak)
			peak = mi.uordblks - base;
	}
	smtpc_reader_free(r);
	ok(rc == 0 && total == want, "streamed, size exact");
	printf("# peak heap growth while streaming: %zu bytes\n", peak);
	ok(peak < 1024 * 1024, "memory stays bounded (< 1 MiB) for 5 MB");
	buf_init(&all, 1 << 26);
	buf_init(&desc, 1 << 16);
	buf_init(&dec, 1 << 26);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&all, chunk, n);
	fclose(f);
	ok(lines_ok(all.data, all.len, 78), "CRLF, 76-column base64");
	memset(&lf, 0, sizeof(lf));
	lf.want = "application/octet-stream";
	message_structure(&all, &desc, &lf);
	ok(lf.body != NULL && decode_leaf(&lf, &dec) == 0 &&
	    dec.len == size && memcmp(dec.data, data, size) == 0,
	    "5 MB attachment decodes back exactly");
	leaf_free(&lf);
	buf_free(&all);
	buf_free(&desc);
	buf_free(&dec);
	free(data);
	smtpc_msg_free(m);
}

/*
 * Files go straight into the caller's buffer when it has room, through
 * the reader's own buffer when not, and a buffer partly filled is topped
 * up with a small read: every mix of read sizes, fixed or changing from
 * call to call, gives the same bytes, and the files decode back.
 */
static void
test_read_sizes(void)
{
	static const size_t caps[] = { 1000, 16383, 16384, 16385, 20000,
	    65536, 100000, 1 << 20 };
	const size_t sa = 200003, sb = 57 * 1000;
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	unsigned char *da, *db, *tmp;
	struct buf ref, out, desc, dec;
	struct leaf lf[2];
	uint64_t seed = 7, size;
	size_t k, n, cap;
	int same = 1, rc, round;
	char what[120];

	da = malloc(sa);
	db = malloc(sb);
	tmp = malloc(1 << 20);
	pseudo_random(da, sa, 11);
	pseudo_random(db, sb, 12);
	write_file("a.bin", da, sa);
	write_file("b.bin", db, sb);
	m = base_msg();
	smtpc_msg_set_text(m, "two files\n", 10, &err);
	smtpc_msg_add_attachment(m, path_of("a.bin"), NULL, NULL, &err);
	smtpc_msg_add_attachment(m, path_of("b.bin"), "application/x-lines",
	    NULL, &err);
	buf_init(&ref, 1 << 24);
	buf_init(&out, 1 << 24);
	ok(read_all(m, 100, &ref, &size, &err) == 0 && size == ref.len,
	    "two files read in pieces of 100, size exact");
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		buf_reset(&out);
		if (read_all(m, caps[k], &out, NULL, &err) != 0 ||
		    out.len != ref.len ||
		    memcmp(out.data, ref.data, ref.len) != 0) {
			snprintf(what, sizeof(what), "read size %zu differs",
			    caps[k]);
			ok(0, what);
			same = 0;
		}
	}
	ok(same, "the same bytes for every fixed read size");
	same = 1;
	for (round = 0; round < 20; round++) {
		buf_reset(&out);
		if (smtpc_reader_new(m, &r, &err) != 0)
			break;
		for (;;) {
			cap = mix(&seed) % 4 == 0 ? mix(&seed) % 300 + 1 :
			    mix(&seed) % (1 << 20) + 1;
			if ((rc = smtpc_reader_read(r, tmp, cap, &n, &err)) !=
			    0 || n == 0)
				break;
			if (n != cap && out.len + n != ref.len)
				same = 0;	/* short before the end */
			buf_append(&out, tmp, n);
		}
		smtpc_reader_free(r);
		if (rc != 0 || out.len != ref.len ||
		    memcmp(out.data, ref.data, ref.len) != 0)
			same = 0;
	}
	ok(same, "the same bytes, every read full, for read sizes that change "
	    "from call to call");
	buf_init(&desc, 1 << 16);
	buf_init(&dec, 1 << 24);
	memset(lf, 0, sizeof(lf));
	lf[0].want = "application/octet-stream";
	message_structure(&ref, &desc, &lf[0]);
	ok(lf[0].body != NULL && decode_leaf(&lf[0], &dec) == 0 &&
	    dec.len == sa && memcmp(dec.data, da, sa) == 0,
	    "the first file decodes back");
	leaf_free(&lf[0]);
	buf_reset(&desc);
	buf_reset(&dec);
	lf[1].want = "application/x-lines";
	message_structure(&ref, &desc, &lf[1]);
	ok(lf[1].body != NULL && decode_leaf(&lf[1], &dec) == 0 &&
	    dec.len == sb && memcmp(dec.data, db, sb) == 0,
	    "the second file (whole lines only) decodes back");
	leaf_free(&lf[1]);
	buf_free(&ref);
	buf_free(&out);
	buf_free(&desc);
	buf_free(&dec);
	smtpc_msg_free(m);
	unlink(path_of("a.bin"));
	unlink(path_of("b.bin"));
	free(da);
	free(db);
	free(tmp);
}

static void
test_file_errors(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct buf out;
	FILE *f;

	buf_init(&out, 1 << 22);
	write_file("gone.pdf", "%PDF-1.4\n", 9);
	m = shape_msg(S_TEXT);
	ok(smtpc_msg_add_attachment(m, path_of("gone.pdf"), NULL, NULL,
	    &err) == 0, "added");
	unlink(path_of("gone.pdf"));
	memset(&err, 0, sizeof(err));
	ok(read_all(m, 1000, &out, NULL, &err) == SMTPC_ENOINPUT,
	    "vanished file: SMTPC_ENOINPUT");
	ok(strstr(err.message, "gone.pdf") != NULL, "the message names it");
	smtpc_msg_free(m);

	write_file("grow.pdf", "%PDF-1.4\n", 9);
	m = shape_msg(S_TEXT);
	smtpc_msg_add_attachment(m, path_of("grow.pdf"), NULL, NULL, &err);
	f = fopen(path_of("grow.pdf"), "ab");
	fputs("more", f);
	fclose(f);
	buf_reset(&out);
	memset(&err, 0, sizeof(err));
	ok(read_all(m, 1000, &out, NULL, &err) == SMTPC_EIO,
	    "file that grew: SMTPC_EIO");
	ok(strstr(err.message, "grow.pdf") != NULL &&
	    strstr(err.message, "changed size") != NULL, err.message);
	truncate(path_of("grow.pdf"), 2);
	buf_reset(&out);
	ok(read_all(m, 1000, &out, NULL, &err) == SMTPC_EIO,
	    "file that shrank: SMTPC_EIO");
	smtpc_msg_free(m);

	/* The error sticks. */
	{
		struct smtpc_reader *r;
		char tmp[100];
		size_t n;
		int rc;

		write_file("gone2.pdf", "x", 1);
		m = shape_msg(S_TEXT);
		smtpc_msg_add_attachment(m, path_of("gone2.pdf"), NULL, NULL,
		    &err);
		unlink(path_of("gone2.pdf"));
		smtpc_reader_new(m, &r, &err);
		while ((rc = smtpc_reader_read(r, tmp, sizeof(tmp), &n,
		    &err)) == 0 && n > 0)
			;
		ok(rc == SMTPC_ENOINPUT, "first failure");
		ok(smtpc_reader_read(r, tmp, sizeof(tmp), &n, &err) ==
		    SMTPC_ENOINPUT, "later reads fail the same way");
		smtpc_reader_free(r);
		smtpc_msg_free(m);
	}

	/* No From, no recipient. */
	m = smtpc_msg_new();
	{
		struct smtpc_reader *r = NULL;

		ok(smtpc_reader_new(m, &r, &err) == SMTPC_EDATA && r == NULL,
		    "no From: SMTPC_EDATA");
		smtpc_msg_set_from(m, "a@example.org", &err);
		ok(smtpc_reader_new(m, &r, &err) == SMTPC_EDATA,
		    "no recipient: SMTPC_EDATA");
		smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "b@example.org",
		    &err);
		ok(smtpc_reader_new(m, &r, &err) == 0, "Bcc only is enough");
		smtpc_reader_free(r);
	}
	smtpc_msg_free(m);
	smtpc_reader_free(NULL);
	buf_free(&out);
}

int
main(void)
{
	unsigned char pdf[5000];
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
		'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
		0x1f, 0x15, 0xc4, 0x89 };

	setenv("TZ", "UTC", 1);
	tzset();
	tmp_setup("writer");
	pseudo_random(pdf, sizeof(pdf), 99);
	write_file("doc.pdf", pdf, sizeof(pdf));
	write_file("dot.png", png, sizeof(png));
	write_file("empty.bin", "", 0);

	test_golden();
	test_shapes();
	test_headers();
	test_long_fields();
	test_round_trips();
	test_display_name_folds();
	test_file_names();
	test_big_file();
	test_read_sizes();
	test_file_errors();

	unlink(path_of("doc.pdf"));
	unlink(path_of("dot.png"));
	unlink(path_of("empty.bin"));
	unlink(path_of("big.bin"));
	unlink(path_of("grow.pdf"));
	rmdir(dir);
	return tap_done();
}
