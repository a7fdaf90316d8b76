/* SPDX-License-Identifier: ISC */
/*
 * fuzz_header.c - an unstructured header (header_write_text) from
 * arbitrary bytes, decoded again with the reference RFC 2047 decoder in
 * fuzz.h.
 *
 * Properties: a value with CR, LF or NUL, or that is not UTF-8, is
 * refused by header_check_value; an accepted value is written as 7-bit
 * printable lines ended by CRLF, each at most 998 octets, at most 78 when
 * the input has no long word or long run of whitespace; every
 * encoded-word is at most 75 characters; unfolded and decoded, the field
 * gives back the value (without its leading and trailing whitespace).
 * The same value as a parameter (header_param: quoted or RFC 2231 with
 * continuations; header_param_plain: quoted, printable ASCII without "=?"
 * only, never an encoded-word) decodes back exactly, in lines of at most
 * 78 characters (a long plain ASCII value excepted).  Its ASCII stand-in
 * (mime_ascii_name) is printable ASCII without "=?", at most
 * MIME_NAME_ASCII_MAX characters, keeps an ASCII extension, and goes into
 * header_param_plain.
 */
#include "fuzz.h"
#include "header.h"
#include "mime.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_pct(const char *v, size_t len, struct buf *out)
{
	size_t i;
	int a, b;

	for (i = 0; i < len; i++) {
		if (v[i] != '%') {
			FUZZ_CHECK((unsigned char)v[i] > 0x20 &&
				(unsigned char)v[i] < 0x7f &&
				strchr("*'()<>@,;:\\\"/[]?=", v[i]) == NULL,
			    "raw %02x in an RFC 2231 value",
			    (unsigned char)v[i]);
			buf_append_byte(out, (unsigned char)v[i]);
			continue;
		}
		FUZZ_CHECK(i + 2 < len &&
			(a = fz_hex((unsigned char)v[i + 1])) >= 0 &&
			(b = fz_hex((unsigned char)v[i + 2])) >= 0,
		    "bad %%XX");
		buf_append_byte(out, (unsigned char)(a << 4 | b));
		i += 2;
	}
}

/* A quoted-string's content, unescaped; returns the bytes consumed. */
static size_t
fuzz_unquote(const char *p, size_t len, struct buf *out)
{
	size_t i;

	FUZZ_CHECK(len > 0 && p[0] == '"', "quoted-string expected");
	for (i = 1; i < len && p[i] != '"'; i++) {
		if (p[i] == '\\')
			i++;
		FUZZ_CHECK(i < len, "quoted-string cut");
		buf_append_byte(out, (unsigned char)p[i]);
	}
	FUZZ_CHECK(i < len, "quoted-string not closed");
	return i + 1;
}

/*
 * An RFC 2231 value from p[i] to the next ';': "UTF-8''" first when
 * `charset`, then %XX-encoded.  Returns where it ended.
 */
static size_t
fuzz_ext_value(
    const char *p, size_t len, size_t i, int charset, struct buf *out)
{
	size_t e;

	if (charset) {
		FUZZ_CHECK(len - i >= 7 && memcmp(p + i, "UTF-8''", 7) == 0,
		    "charset");
		i += 7;
	}
	for (e = i; e < len && p[e] != ';'; e++)
		;
	fuzz_pct(p + i, e - i, out);
	return e;
}

/*
 * Decode the parameters of an unfolded "X: v; attr..." field: the one
 * called `attr` in its plain, quoted, RFC 2231 or continued form.
 */
static void
fuzz_param_decode(
    const char *p, size_t len, const char *attr, struct buf *out)
{
	size_t i = 0, al = strlen(attr), e, seg = 0;
	struct buf raw;
	long idx;

	buf_init(&raw, 1 << 20);
	while (i < len) {
		while (i < len && p[i] != ';')
			i++;
		if (i == len)
			break;
		i++;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		FUZZ_CHECK(len - i > al && memcmp(p + i, attr, al) == 0,
		    "parameter name");
		i += al;
		if (p[i] == '=') {
			i++;
			if (p[i] == '"')
				i += fuzz_unquote(p + i, len - i, &raw);
			else {
				for (e = i; e < len && p[e] != ';'; e++)
					buf_append_byte(
					    &raw, (unsigned char)p[e]);
				i = e;
			}
			FUZZ_CHECK(seg == 0, "plain after continuations");
			seg = (size_t)-1;
			continue;
		}
		FUZZ_CHECK(p[i] == '*', "'*' expected");
		i++;
		if (p[i] == '=') {
			/* attr*=UTF-8''value */
			i = fuzz_ext_value(p, len, i + 1, 1, out);
			seg = (size_t)-1;
			continue;
		}
		for (idx = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			idx = idx * 10 + (p[i] - '0');
		FUZZ_CHECK(
		    (size_t)idx == seg, "segment %ld, want %zu", idx, seg);
		FUZZ_CHECK(len - i >= 2 && p[i] == '*' && p[i + 1] == '=',
		    "*= expected");
		i = fuzz_ext_value(p, len, i + 2, seg == 0, out);
		seg++;
	}
	if (raw.len > 0 || seg == (size_t)-1)
		buf_append(out, raw.data, raw.len);
	buf_free(&raw);
}

/* The ASCII stand-in of a file name: see the top of this file. */
static void
fuzz_ascii_name(const char *v, size_t size)
{
	struct buf out, field;
	struct hfold f;
	const char *dot = strrchr(v, '.'), *ext = NULL;
	size_t i;

	buf_init(&out, 1 << 20);
	FUZZ_CHECK(mime_ascii_name(v, &out) == 0, "stand-in failed");
	FUZZ_CHECK(out.len > 0, "empty stand-in for [%s]", v);
	for (i = 0; i < out.len; i++)
		FUZZ_CHECK(out.data[i] >= 0x20 && out.data[i] < 0x7f &&
			!(out.data[i] == '=' && i + 1 < out.len &&
			    out.data[i + 1] == '?'),
		    "stand-in [%s] of [%s]", buf_cstr(&out), v);
	if (mime_name_plain(v)) {
		FUZZ_CHECK(out.len == size && memcmp(out.data, v, size) == 0,
		    "a plain name changed: [%s]", buf_cstr(&out));
		goto done;
	}
	FUZZ_CHECK(out.len <= MIME_NAME_ASCII_MAX, "stand-in of %zu",
	    out.len);
	if (dot != NULL && dot != v && dot[1] != '\0' &&
	    strlen(dot + 1) <= MIME_NAME_EXT_MAX && mime_name_plain(dot + 1))
		ext = dot;
	FUZZ_CHECK(ext == NULL || (out.len > strlen(ext) &&
		strcmp(buf_cstr(&out) + out.len - strlen(ext), ext) == 0),
	    "extension lost: [%s] for [%s]", buf_cstr(&out), v);
	buf_init(&field, 1 << 20);
	FUZZ_CHECK(header_begin(&f, &field, "Content-Type") == 0 &&
		header_atom_str(&f, " ", "application/pdf") == 0 &&
		header_param_plain(&f, "name", buf_cstr(&out)) == 0,
	    "the stand-in goes into name=");
	buf_free(&field);
done:
	buf_free(&out);
}

/* header_param and header_param_plain on the value: they decode back. */
static void
fuzz_params(const char *v, size_t size)
{
	struct buf out, flat, dec;
	struct hfold f;
	size_t i, line, qlen = size;
	int plain, rc, ascii = mime_name_plain(v);

	fuzz_ascii_name(v, size);
	/* Quoted, '"' and '\\' take two characters each. */
	for (i = 0; i < size; i++)
		if (v[i] == '"' || v[i] == '\\')
			qlen++;
	for (plain = 0; plain < 2; plain++) {
		buf_init(&out, 1 << 20);
		buf_init(&flat, 1 << 20);
		buf_init(&dec, 1 << 20);
		FUZZ_CHECK(header_begin(&f, &out, "Content-Type") == 0 &&
			header_atom_str(&f, " ", "application/pdf") == 0,
		    "begin");
		rc = plain ? header_param_plain(&f, "name", v)
			   : header_param(&f, "filename", v);
		if (rc == 0)
			rc = header_end(&f);
		/* The plain form takes no UTF-8, control or "=?" at all. */
		FUZZ_CHECK(!plain || ascii || rc == SMTPC_EINTERNAL,
		    "plain form took [%s]", v);
		/* Only a long ASCII value in the plain form may not fit. */
		FUZZ_CHECK(rc == 0 || (plain && !ascii) ||
			(rc == SMTPC_ELIMIT && plain && ascii && qlen > 900),
		    "param (plain %d): %d", plain, rc);
		if (rc != 0) {
			FUZZ_CHECK(out.len == 0, "failed field left output");
			goto next;
		}
		for (i = 0, line = 0; i < out.len; i++) {
			if (out.data[i] == '\r') {
				FUZZ_CHECK(line <= 78 || (plain && ascii),
				    "parameter line of %zu: %s", line,
				    out.data);
				FUZZ_CHECK(line <= 998, "line of %zu", line);
				i++;
				line = 0;
				continue;
			}
			FUZZ_CHECK(out.data[i] == '\t' ||
				(out.data[i] >= 0x20 && out.data[i] < 0x7f),
			    "byte %02x in a parameter", out.data[i]);
			line++;
		}
		FUZZ_CHECK(fz_unfold((char *)out.data, out.len - 2, &flat) == 0,
		    "unfold");
		fuzz_param_decode(buf_cstr(&flat), flat.len,
		    plain ? "name" : "filename", &dec);
		FUZZ_CHECK(
		    dec.len == size && memcmp(buf_cstr(&dec), v, size) == 0,
		    "parameter (plain %d) [%.*s] came back as [%s] "
		    "via [%s]",
		    plain, (int)size, v, buf_cstr(&dec), buf_cstr(&out));
	next:
		buf_free(&out);
		buf_free(&flat);
		buf_free(&dec);
	}
}

static int
fuzz_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct smtpc_error err;
	struct buf out, flat, dec;
	size_t i, s, e, line, maxword = 0, maxws = 0, run;
	int rc, bad = 0;
	char *z;

	if (size > 8192)
		return 0;
	for (i = 0; i < size; i++)
		if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
			bad = 1;
	if (!header_utf8_valid(v, size))
		bad = 1;
	rc = header_check_value("Subject", v, size, &err);
	FUZZ_CHECK((rc != 0) == bad, "check returned %d, bad=%d", rc, bad);
	if (bad)
		return 0;

	/* Longest word and whitespace run: they bound the line length. */
	for (i = 0, run = 0; i < size; i++) {
		run = i > 0 && fuzz_is_ws(v[i]) == fuzz_is_ws(v[i - 1])
		    ? run + 1
		    : 1;
		if (fuzz_is_ws(v[i]) && run > maxws)
			maxws = run;
		if (!fuzz_is_ws(v[i]) && run > maxword)
			maxword = run;
	}
	if ((z = malloc(size + 1)) == NULL)
		return 0;
	memcpy(z, v, size);
	z[size] = '\0';
	/* Parameters (file names): the same value as RFC 2231 and plain. */
	if (size > 0 && size <= 1000)
		fuzz_params(z, size);
	buf_init(&out, 1 << 20);
	buf_init(&flat, 1 << 20);
	buf_init(&dec, 1 << 20);
	rc = header_write_text(&out, "Subject", z);
	/* Only a word or whitespace run too long for any line may fail. */
	FUZZ_CHECK(rc == 0 || (rc == SMTPC_ELIMIT && maxws + maxword > 900),
	    "header_write_text: %d (word %zu, ws %zu)", rc, maxword, maxws);
	if (rc != 0) {
		FUZZ_CHECK(out.len == 0, "failed field left output behind");
		goto done;
	}
	FUZZ_CHECK(out.len >= 10 && memcmp(out.data, "Subject:", 8) == 0 &&
		memcmp(out.data + out.len - 2, "\r\n", 2) == 0,
	    "field shape");
	/* Lines: printable 7-bit, CRLF only, bounded. */
	for (i = 0, line = 0; i < out.len; i++) {
		unsigned char c = out.data[i];

		if (c == '\r') {
			FUZZ_CHECK(i + 1 < out.len && out.data[i + 1] == '\n',
			    "bare CR");
			FUZZ_CHECK(line <= 998, "line of %zu octets", line);
			FUZZ_CHECK(line <= 78 || maxword > 60 || maxws > 3,
			    "line of %zu octets (word %zu, ws %zu): [%s]", line,
			    maxword, maxws, out.data);
			/* A continuation line must start with whitespace. */
			FUZZ_CHECK(i + 2 == out.len ||
				fuzz_is_ws((char)out.data[i + 2]),
			    "fold without whitespace");
			FUZZ_CHECK(line > 0, "empty line");
			i++;
			line = 0;
			continue;
		}
		FUZZ_CHECK(c != '\n', "bare LF");
		FUZZ_CHECK(c == '\t' || (c >= 0x20 && c < 0x7f),
		    "byte %02x in the field", c);
		line++;
	}
	/* Encoded-words at most 75 characters. */
	for (i = 0; i + 1 < out.len; i++) {
		if (out.data[i] == '=' && out.data[i + 1] == '?' &&
		    (i == 0 || fuzz_is_ws((char)out.data[i - 1]))) {
			for (s = i;
			     s < out.len && !fuzz_is_ws((char)out.data[s]) &&
			     out.data[s] != '\r';
			     s++)
				;
			FUZZ_CHECK(s - i <= 75, "encoded-word of %zu", s - i);
		}
	}
	FUZZ_CHECK(fz_unfold((char *)out.data + 8, out.len - 10, &flat) == 0,
	    "unfold");
	FUZZ_CHECK(fz_rfc2047_text(buf_cstr(&flat), flat.len, &dec) == 0,
	    "broken encoded-word in [%s]", buf_cstr(&flat));
	/* The value without its surrounding whitespace. */
	for (s = 0; s < size && fuzz_is_ws(v[s]); s++)
		;
	for (e = size; e > s && fuzz_is_ws(v[e - 1]); e--)
		;
	i = 0;
	while (i < dec.len && fuzz_is_ws((char)dec.data[i]))
		i++;
	FUZZ_CHECK(dec.len - i == e - s &&
		memcmp(buf_cstr(&dec) + i, v + s, e - s) == 0,
	    "round trip: [%.*s] became [%s] via [%s]", (int)(e - s), v + s,
	    buf_cstr(&dec) + i, buf_cstr(&out));
done:
	buf_free(&out);
	buf_free(&flat);
	buf_free(&dec);
	free(z);
	return 0;
}
