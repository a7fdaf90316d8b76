/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for header.c: encoded-words, folding, injection refusal,
 * RFC 2231 parameters.  Round trips use a small strict RFC 2047 decoder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "header.h"
#include "smtpc.h"
#include "tap.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one encoded-word at p (len bytes); -1 when malformed. */
static int
decode_word(const char *p, size_t len, struct buf *out)
{
	size_t i;
	int h, l;

	if (len < 12 || len > 75 || strncmp(p, "=?UTF-8?", 8) != 0 ||
	    p[9] != '?' || p[len - 2] != '?' || p[len - 1] != '=')
		return -1;
	if (p[8] == 'B')
		return b64_decode(p + 10, len - 12, out) == 0 ? 0 : -1;
	if (p[8] != 'Q')
		return -1;
	for (i = 10; i < len - 2; i++) {
		if (p[i] == '_')
			buf_append_byte(out, ' ');
		else if (p[i] == '=') {
			if (i + 2 >= len - 2 || (h = hexval(p[i + 1])) < 0 ||
			    (l = hexval(p[i + 2])) < 0)
				return -1;
			buf_append_byte(out, (unsigned char)(h << 4 | l));
			i += 2;
		} else if (p[i] == ' ' || p[i] == '?')
			return -1;
		else
			buf_append_byte(out, (unsigned char)p[i]);
	}
	return 0;
}

static int
is_ew(const char *p, size_t len)
{
	return len >= 12 && strncmp(p, "=?UTF-8?", 8) == 0 &&
	    p[len - 2] == '?' && p[len - 1] == '=';
}

/*
 * Unfold a field value and decode its encoded-words (whitespace between
 * two of them dropped).  Also checks each word on its own is valid UTF-8.
 */
static int
decode_value(const char *v, struct buf *out)
{
	struct buf unf, w;
	size_t i, s, e, ws = 0, we = 0;
	int prev_ew = 0, rc = 0;

	buf_init(&unf, 1 << 20);
	buf_init(&w, 1 << 20);
	for (i = 0; v[i] != '\0'; i++)
		if (!(v[i] == '\r' && v[i + 1] == '\n'))
			buf_append_byte(&unf, (unsigned char)v[i]);
		else
			i++;
	v = buf_cstr(&unf);
	for (i = 0; v[i] == ' '; i++)
		;
	while (v[i] != '\0' && rc == 0) {
		ws = i;
		while (v[i] == ' ' || v[i] == '\t')
			i++;
		we = i;
		s = i;
		while (v[i] != '\0' && v[i] != ' ' && v[i] != '\t')
			i++;
		e = i;
		if (is_ew(v + s, e - s)) {
			if (!prev_ew)
				buf_append(out, v + ws, we - ws);
			buf_reset(&w);
			if (decode_word(v + s, e - s, &w) != 0 ||
			    !header_utf8_valid(w.data, w.len))
				rc = -1;
			buf_append(out, w.data, w.len);
			prev_ew = 1;
		} else {
			buf_append(out, v + ws, e - ws);
			prev_ew = 0;
		}
	}
	buf_free(&unf);
	buf_free(&w);
	return rc;
}

/* Lines end in CRLF, continuation lines start with WSP, lengths. */
static int
lines_ok(const char *f, size_t maxlen)
{
	size_t i, start = 0;

	for (i = 0; f[i] != '\0'; i++) {
		if (f[i] == '\n' && (i == 0 || f[i - 1] != '\r'))
			return 0;
		if (f[i] != '\r')
			continue;
		if (f[i + 1] != '\n' || i - start > maxlen)
			return 0;
		start = i + 2;
		if (f[start] != '\0' && f[start] != ' ' && f[start] != '\t')
			return 0;
	}
	return start == i && i > 0;
}

/*
 * Every encoded-word in `f` is at most 75 characters, and no B word has
 * padding (GMime loses the word after one).
 */
static int
words_ok(const char *f)
{
	const char *p = f, *q;
	size_t i;

	while ((p = strstr(p, "=?")) != NULL) {
		q = strstr(p + 2, "?=");
		while (q != NULL && q[2] != '\0' && q[2] != ' ' &&
		    q[2] != '\r' && q[2] != '"')
			q = strstr(q + 1, "?=");
		if (q == NULL || q + 2 - p > 75)
			return 0;
		if (p[8] == 'B')
			for (i = 10; p + i < q; i++)
				if (p[i] == '=')
					return 0;
		p = q + 2;
	}
	return 1;
}

#define GO "\xe8\xaa\x9e"	/* a 3-byte character */

static const char *const subjects[] = {
	"Hello world",
	"Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82"
	    "\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3"
	    "\x82\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\xe3\x80"
	    "\x82\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86",
	"emoji \xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80 test",
	"=?utf-8?q?looks_encoded?= but is not",
	"tab\there",
	"double  space  \xc3\xa9t\xc3\xa9  here",
	"\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 plain "
	    "\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9",
	"A fairly long ASCII subject line that has to be folded somewhere "
	    "because it is longer than seventy-eight columns in all",
	"Re: [list] \xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 dash, "
	    "and \xc3\xa9 \xc3\xa0 \xc3\xb9 \xc3\xa7 many accented words "
	    "\xc3\xa9 \xc3\xa0 \xc3\xb9 \xc3\xa7 to force several words",
	"ctrl \x01 char",
	/*
	 * Conformance test: a 2-byte character then 3-byte ones has no B
	 * cut on a 3-byte boundary; a padded B word made GMime drop the
	 * words after it.
	 */
	"\xc3\xa9" GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO
	    GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO GO
	    " \xf0\x9f\x8e\x89 Q3",
};

static void
test_subjects(void)
{
	struct buf out, dec;
	char what[120];
	size_t i, n;
	const char *v;

	buf_init(&out, 1 << 20);
	buf_init(&dec, 1 << 20);
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		buf_reset(&out);
		buf_reset(&dec);
		ok(header_write_text(&out, "Subject", subjects[i]) == 0,
		    "write subject");
		v = buf_cstr(&out);
		snprintf(what, sizeof(what), "subject %zu: lines <= 78, CRLF, "
		    "continuations", i);
		ok(lines_ok(v, 78), what);
		snprintf(what, sizeof(what), "subject %zu: words <= 75", i);
		ok(words_ok(v), what);
		n = strlen(v);
		ok(strncmp(v, "Subject:", 8) == 0, "field name");
		((char *)out.data)[n - 2] = '\0';
		snprintf(what, sizeof(what), "subject %zu: decodes back", i);
		ok(decode_value(v + 8, &dec) == 0, what);
		eq_str(buf_cstr(&dec), subjects[i], what);
	}
	buf_free(&out);
	buf_free(&dec);
}

static const struct {
	const char *value;
	const char *field;
	const char *what;
} exact[] = {
	{ "Hello world", "Subject: Hello world\r\n", "ASCII as is" },
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
	    "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\n", "B when shorter" },
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
	    "\xd1\x80", "Subject: =?UTF-8?B?0J/RgNC40LLQtdGCINC8?= "
	    "=?UTF-8?Q?=D0=B8=D1=80?=\r\n",
	    "B without padding, the tail in Q" },
	{ "Gr\xc3\xbc\xc3\x9f" "e", "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n",
	    "Q when B would need a padded tail" },
	{ "Sch\xc3\xb6neberg", "Subject: =?UTF-8?Q?Sch=C3=B6neberg?=\r\n",
	    "Q when shorter" },
	{ "Hello Sch\xc3\xb6neberg now", "Subject: Hello "
	    "=?UTF-8?Q?Sch=C3=B6neberg?= now\r\n",
	    "only the word that needs it" },
	{ "  padded  ", "Subject: padded\r\n", "outer whitespace dropped" },
	{ "", "Subject:\r\n", "empty value" },
};

static void
test_exact(void)
{
	struct buf out;
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		buf_reset(&out);
		header_write_text(&out, "Subject", exact[i].value);
		eq_str(buf_cstr(&out), exact[i].field, exact[i].what);
	}
	buf_free(&out);
}

static void
test_checks(void)
{
	struct smtpc_error err;
	static const char *const bad[] = {
		"a\r\nBcc: evil@example.com", "a\nb", "a\rb", "trailing\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		ok(header_check_value("Subject", bad[i], strlen(bad[i]),
		    &err) == SMTPC_EDATA, "line break refused");
		eq_str(err.message, "header Subject contains a line break",
		    "message names the header");
	}
	ok(header_check_value("X-A", "a\0b", 3, &err) == SMTPC_EDATA,
	    "NUL refused");
	ok(header_check_value("X-A", "a\xff", 2, &err) == SMTPC_EDATA,
	    "invalid UTF-8 refused");
	ok(header_check_value("X-A", "\xc0\xaf", 2, &err) == SMTPC_EDATA,
	    "overlong UTF-8 refused");
	ok(header_check_value("X-A", "\xed\xa0\x80", 3, &err) == SMTPC_EDATA,
	    "surrogate refused");
	ok(header_check_value("X-A", "ok \xc3\xa9", 5, &err) == 0,
	    "UTF-8 accepted");
	ok(header_check_name("X-Mailer", &err) == 0, "good name");
	ok(header_check_name("X Bad", &err) == SMTPC_EDATA, "space in name");
	ok(header_check_name("X:Bad", &err) == SMTPC_EDATA, "colon in name");
	ok(header_check_name("", &err) == SMTPC_EDATA, "empty name");
	ok(header_check_name("X-\xc3\xa9", &err) == SMTPC_EDATA,
	    "non-ASCII name");
	ok(header_check_name("X-\n", &err) == SMTPC_EDATA, "LF in name");
}

/* "Content-Disposition: attachment" + param, returned in out. */
static int
with_param(struct buf *out, const char *attr, const char *value, int plain)
{
	struct hfold f;
	int rc;

	buf_reset(out);
	if ((rc = header_begin(&f, out, "Content-Disposition")) != 0 ||
	    (rc = header_atom_str(&f, " ", "attachment")) != 0)
		return rc;
	rc = plain ? header_param_plain(&f, attr, value) :
	    header_param(&f, attr, value);
	if (rc != 0)
		return rc;
	return header_end(&f);
}

/* Reassemble an RFC 2231 value (attr*= or attr*0*= attr*1*= ...). */
static int
rfc2231_value(const char *field, const char *attr, struct buf *out)
{
	char key[64];
	const char *p;
	int n, h, l;

	snprintf(key, sizeof(key), "%s*=UTF-8''", attr);
	if ((p = strstr(field, key)) != NULL)
		p += strlen(key);
	for (n = 0;; n++) {
		if (p == NULL) {
			snprintf(key, sizeof(key), "%s*%d*=%s", attr, n,
			    n == 0 ? "UTF-8''" : "");
			if ((p = strstr(field, key)) == NULL)
				return n > 0 ? 0 : -1;
			p += strlen(key);
		}
		for (; *p != '\0' && *p != ';' && *p != '\r'; p++) {
			if (*p != '%') {
				buf_append_byte(out, (unsigned char)*p);
				continue;
			}
			if ((h = hexval(p[1])) < 0 || (l = hexval(p[2])) < 0)
				return -1;
			buf_append_byte(out, (unsigned char)(h << 4 | l));
			p += 2;
		}
		if (strstr(field, "*=UTF-8''") != NULL &&
		    strstr(field, "*0*=") == NULL)
			return 0;
		p = NULL;
	}
}

static void
test_params(void)
{
	struct buf out, v;
	char longv[400];
	size_t i;

	buf_init(&out, 1 << 16);
	buf_init(&v, 1 << 16);
	with_param(&out, "filename", "a.pdf", 0);
	eq_str(buf_cstr(&out), "Content-Disposition: attachment; "
	    "filename=\"a.pdf\"\r\n", "short ASCII quoted");
	with_param(&out, "filename", "a \"b\" \\c.pdf", 0);
	eq_str(buf_cstr(&out), "Content-Disposition: attachment; "
	    "filename=\"a \\\"b\\\" \\\\c.pdf\"\r\n",
	    "quotes and backslashes escaped");
	with_param(&out, "filename", "r\xc3\xa9sum\xc3\xa9.pdf", 0);
	eq_str(buf_cstr(&out), "Content-Disposition: attachment; "
	    "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n", "RFC 2231 for UTF-8");
	/*
	 * RFC 2047 5: no encoded-word in a quoted-string.  munpack saved
	 * name="=?UTF-8?B?...?=" as "=XUTF-8XBX...X=", without its
	 * extension; the caller gives an ASCII stand-in instead.
	 */
	with_param(&out, "name", "resume.pdf", 1);
	eq_str(buf_cstr(&out), "Content-Disposition: attachment; "
	    "name=\"resume.pdf\"\r\n", "plain form, quoted");
	ok(with_param(&out, "name", "r\xc3\xa9sum\xc3\xa9.pdf", 1) ==
	    SMTPC_EINTERNAL && out.len == 0, "plain form refuses UTF-8");
	ok(strstr(buf_cstr(&out), "=?") == NULL, "and writes no encoded-word");

	/* Conformance test: readers decoded a quoted "=?...?=" value. */
	with_param(&out, "filename", "=?utf-8?q?x?=.pdf", 0);
	eq_str(buf_cstr(&out), "Content-Disposition: attachment;\r\n"
	    " filename*=UTF-8''%3D%3Futf-8%3Fq%3Fx%3F%3D.pdf\r\n",
	    "\"=?\" in a value: RFC 2231");
	ok(with_param(&out, "name", "=?utf-8?q?x?=.pdf", 1) ==
	    SMTPC_EINTERNAL && out.len == 0, "plain form refuses \"=?\"");

	/* Long UTF-8 value: continuations, lines <= 78, exact value. */
	for (i = 0; i + 2 < 200; i += 2) {
		longv[i] = '\xc3';
		longv[i + 1] = '\xa9';
	}
	memcpy(longv + i, ".jpg", 5);
	ok(with_param(&out, "filename", longv, 0) == 0, "long value");
	ok(strstr(buf_cstr(&out), "filename*0*=UTF-8''") != NULL &&
	    strstr(buf_cstr(&out), "filename*1*=") != NULL,
	    "continuations used");
	ok(lines_ok(buf_cstr(&out), 78), "continuation lines <= 78");
	buf_reset(&v);
	ok(rfc2231_value(buf_cstr(&out), "filename", &v) == 0, "reassembles");
	eq_str(buf_cstr(&v), longv, "continued value is exact");
	/* Segments never cut a %XX or a UTF-8 sequence. */
	ok(strstr(buf_cstr(&out), "%C3;") == NULL &&
	    strstr(buf_cstr(&out), "%C3\r") == NULL, "segments cut between "
	    "characters");

	/*
	 * Found by fuzz/fuzz_header.c: 47 backslashes made a quoted value
	 * of 96 characters on one 104-column line; the quoted length
	 * decides, so this one goes as RFC 2231 within 78 columns.
	 */
	memset(longv, '\\', 47);
	memcpy(longv + 47, "~[", 3);
	ok(with_param(&out, "filename", longv, 0) == 0 &&
	    lines_ok(buf_cstr(&out), 78), "escaped quoted value folded");
	buf_reset(&v);
	ok(rfc2231_value(buf_cstr(&out), "filename", &v) == 0 &&
	    strcmp(buf_cstr(&v), longv) == 0, "escaped value exact");

	/* Long ASCII value also uses continuations. */
	memset(longv, 'x', 150);
	memcpy(longv + 150, " y.txt", 7);
	with_param(&out, "filename", longv, 0);
	ok(lines_ok(buf_cstr(&out), 78), "long ASCII value folded");
	buf_reset(&v);
	rfc2231_value(buf_cstr(&out), "filename", &v);
	eq_str(buf_cstr(&v), longv, "long ASCII value exact");
	buf_free(&out);
	buf_free(&v);
}

static const struct {
	const char *name;
	const char *want;	/* the field after "To:" */
} phrases[] = {
	{ "John Smith", " John Smith" },
	{ "John Q. Public", " \"John Q. Public\"" },
	{ "Last, First", " \"Last, First\"" },
	{ "say \"hi\"", " \"say \\\"hi\\\"\"" },
	{ "Zo\xc3\xab", " =?UTF-8?Q?Zo=C3=AB?=" },
	{ "Zo\xc3\xab M\xc3\xbcller", " =?UTF-8?B?Wm/DqyBNw7xsbGVy?=" },
	{ "Zo\xc3\xab, Ann", " =?UTF-8?B?Wm/DqywgQW5u?=" },
	/* Encoded whole, so no fold can fall between "Dr" and the rest. */
	{ "Dr Zo\xc3\xab", " =?UTF-8?Q?Dr_Zo=C3=AB?=" },
	{ "=?utf-8?q?x?=", " =?UTF-8?Q?=3D=3Futf-8=3Fq=3Fx=3F=3D?=" },
	/* Conformance test: readers decode "=?" inside quotes too. */
	{ "Dr. =?utf-8?q?x?=", " =?UTF-8?Q?Dr=2E_=3D=3Futf-8=3Fq=3Fx=3F=3D?=" },
	/* One Q word rather than a B word and a Q tail (Python quirk). */
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
	    "\xd1\x80", " =?UTF-8?Q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82_"
	    "=D0=BC=D0=B8=D1=80?=" },
	{ "Anne-Zo\xc3\xab Lef\xc3\xa8vre-Dupont", " =?UTF-8?Q?Anne-Zo=C3=AB_"
	    "Lef=C3=A8vre-Dupont?=" },
};

static void
test_phrases(void)
{
	struct hfold f;
	struct buf out;
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		buf_reset(&out);
		header_begin(&f, &out, "To");
		ok(header_phrase(&f, phrases[i].name,
		    strlen(phrases[i].name)) == 0, "phrase");
		eq_str(buf_cstr(&out) + 3, phrases[i].want, phrases[i].name);
	}
	buf_free(&out);
}

/*
 * A display name is folded only between two encoded-words: GMime keeps a
 * fold between an atom and an encoded-word (or between atoms) as a line
 * break inside the decoded name.
 */
static void
test_phrase_folds(void)
{
	struct hfold f;
	struct buf out;
	const char *p;
	const char *smiley = "\xf0\x9f\x98\x80 Smiley \xe5\xb1\xb1\xe7\x94"
	    "\xb0 \xe5\xa4\xaa\xe9\x83\x8e";
	const char *plain = "Alexandra Konstantinopoulou Papadimitriou "
	    "Montgomery";
	const char *mixed = "Zo\xc3\xab M\xc3\xbcller-L\xc3\xbc" "denscheidt "
	    "von und zu Habsburg-Lothringen, Erzherzogin \xe7\x8e\x8b\xe5\xb0"
	    "\x8f\xe6\x98\x8e";
	int bad = 0;

	buf_init(&out, 1 << 16);
	header_begin(&f, &out, "To");
	header_atom_str(&f, " ", "first.person@example.org,");
	ok(header_phrase(&f, smiley, strlen(smiley)) == 0,
	    "phrase after an address");
	header_atom_str(&f, " ", "<to2@example.org>");
	header_end(&f);
	eq_str(buf_cstr(&out), "To: first.person@example.org,\r\n"
	    " =?UTF-8?Q?=F0=9F=98=80_Smiley_=E5=B1=B1=E7=94=B0_=E5=A4=AA="
	    "E9=83=8E?=\r\n <to2@example.org>\r\n",
	    "non-ASCII name encoded whole, folded before it");

	/* Plain words: one piece, even where it passes column 78. */
	buf_reset(&out);
	header_begin(&f, &out, "To");
	header_atom_str(&f, " ", "first.person@example.org,");
	ok(header_phrase(&f, plain, strlen(plain)) == 0, "long plain phrase");
	eq_str(buf_cstr(&out), "To: first.person@example.org,\r\n"
	    " Alexandra Konstantinopoulou Papadimitriou Montgomery",
	    "plain phrase not folded inside");

	/* Longer than one encoded-word: folds fall between encoded-words. */
	buf_reset(&out);
	header_begin(&f, &out, "To");
	ok(header_phrase(&f, mixed, strlen(mixed)) == 0, "long mixed phrase");
	for (p = strstr(buf_cstr(&out), "\r\n"); p != NULL;
	    p = strstr(p + 2, "\r\n"))
		if (p[-2] != '?' || p[-1] != '=' ||
		    strncmp(p + 2, " =?", 3) != 0)
			bad = 1;
	ok(strstr(buf_cstr(&out), "\r\n") != NULL && !bad,
	    "folded only between encoded-words");
	ok(strstr(buf_cstr(&out), " Habsburg") == NULL,
	    "ASCII words encoded");
	buf_free(&out);
}

static void
test_folding(void)
{
	struct hfold f;
	struct buf out;
	char big[1100];

	buf_init(&out, 1 << 16);
	buf_append_str(&out, "Keep: me\r\n");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	header_begin(&f, &out, "X-Long");
	ok(header_atom(&f, " ", 1, big, 1000) == SMTPC_ELIMIT,
	    "a line over 998 octets is refused");
	eq_str(buf_cstr(&out), "Keep: me\r\n", "and the field is removed");
	header_begin(&f, &out, "X-Long");
	ok(header_atom(&f, " ", 1, big, 990) == 0, "990 octets fit");
	ok(header_atom(&f, " ", 1, "b", 1) == 0 && header_end(&f) == 0,
	    "next atom folds");
	ok(strstr(buf_cstr(&out), "a\r\n b\r\n") != NULL, "folded before b");
	/* A word too long for any line is encoded so it can be split. */
	buf_reset(&out);
	big[1050] = '\0';
	ok(header_write_text(&out, "Subject", big) == 0, "huge word");
	ok(lines_ok(buf_cstr(&out), 998), "huge word split under 998");
	/*
	 * Conformance test: a 990-octet word fits a line alone but not
	 * after "X-Conformance-0:", where nothing can fold before it.
	 */
	buf_reset(&out);
	big[990] = '\0';
	ok(header_write_text(&out, "X-Conformance-0", big) == 0,
	    "990-octet word after a long field name");
	ok(lines_ok(buf_cstr(&out), 998), "and no line over 998");
	buf_free(&out);
}

int
main(void)
{
	test_exact();
	test_subjects();
	test_checks();
	test_params();
	test_phrases();
	test_phrase_folds();
	test_folding();
	return tap_done();
}
