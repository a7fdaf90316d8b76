/* SPDX-License-Identifier: ISC */
/*
 * fuzz_address.c - addr_parse on arbitrary bytes.
 *
 * Properties: never crashes; an accepted address has a UTF-8 addr-spec
 * without control characters whose domain is ASCII (A-labels; only the
 * local part may be UTF-8, RFC 6532); written into a header (addr_fold)
 * and unfolded, it parses again to the same addr-spec, and to the same
 * display name once encoded-words are decoded and whitespace runs made
 * one space (fields longer than an address may be are not re-parsed).
 * addr_parse_list on the same bytes: a failure leaves nothing behind; a
 * success gives addresses with an '@'; an address addr_parse accepts is a
 * list of one, the same address.
 * The field folds only before "<addr-spec>" or between two encoded-words,
 * never elsewhere in the display name (GMime keeps such a fold as a line
 * break in the name).
 */
#include "address.h"
#include "bounds.h"
#include "fuzz.h"
#include "header.h"

/* Whitespace runs made one space, the ends trimmed. */
static void
fuzz_collapse(const char *s, size_t len, struct buf *out)
{
	size_t i;
	int space = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			space = 1;
			continue;
		}
		if (space && out->len > 0)
			buf_append_byte(out, ' ');
		space = 0;
		buf_append_byte(out, (unsigned char)s[i]);
	}
}

static int
fuzz_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* The list parser's own properties, and agreement with addr_parse. */
static void
fuzz_list(const char *in)
{
	struct smtpc_error err;
	struct addr *list, one;
	size_t n, i;

	if (addr_parse_list(in, 50, &list, &n, &err) != 0) {
		FUZZ_CHECK(list == NULL && n == 0, "failed list left some");
		FUZZ_CHECK(err.code == SMTPC_EDATA ||
			err.code == SMTPC_ELIMIT || err.code == SMTPC_ENOMEM,
		    "unexpected list code %d", err.code);
		FUZZ_CHECK(addr_parse(in, &one, &err) != 0 || err.code ==
			SMTPC_ENOMEM, "[%s] is an address but no list", in);
		addr_free(&one);
		return;
	}
	FUZZ_CHECK(n >= 1 && n <= 50, "list of %zu", n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(list[i].spec != NULL &&
			strchr(list[i].spec, '@') != NULL,
		    "list element %zu without '@'", i);
	if (addr_parse(in, &one, &err) == 0) {
		FUZZ_CHECK(n == 1 && strcmp(one.spec, list[0].spec) == 0 &&
			(one.display == NULL) == (list[0].display == NULL) &&
			(one.display == NULL ||
			    strcmp(one.display, list[0].display) == 0),
		    "[%s] parses as an address and as another list", in);
		addr_free(&one);
	}
	addr_list_free(list, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a, b;
	struct smtpc_error err;
	struct hfold f;
	struct buf out, flat, d1, d2, dec;
	char *in;
	size_t i;
	int rc, quoted, utf8;

	if (size > 2048)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	fuzz_list(in);
	if (addr_parse(in, &a, &err) != 0) {
		FUZZ_CHECK(a.spec == NULL && a.display == NULL,
		    "failure left strings behind");
		FUZZ_CHECK(err.code == SMTPC_EDATA || err.code == SMTPC_ENOMEM,
		    "unexpected code %d", err.code);
		free(in);
		return 0;
	}
	FUZZ_CHECK(a.spec != NULL && a.spec[0] != '\0', "empty spec");
	FUZZ_CHECK(header_utf8_valid(a.spec, strlen(a.spec)), "spec UTF-8");
	for (i = 0; a.spec[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)a.spec[i] >= 0x20 &&
			(unsigned char)a.spec[i] != 0x7f,
		    "spec byte %02x", (unsigned char)a.spec[i]);
	FUZZ_CHECK(strrchr(a.spec, '@') != NULL, "spec without @: %s", a.spec);
	/* Only the local part may be UTF-8 (RFC 6532); domains are A-labels. */
	for (i = (size_t)(strrchr(a.spec, '@') - a.spec); a.spec[i] != '\0';
	     i++)
		FUZZ_CHECK((unsigned char)a.spec[i] < 0x80,
		    "non-ASCII domain in [%s]", a.spec);
	utf8 = !fuzz_ascii(a.spec);

	buf_init(&out, 1 << 16);
	buf_init(&flat, 1 << 16);
	buf_init(&d1, 1 << 16);
	buf_init(&d2, 1 << 16);
	buf_init(&dec, 1 << 16);
	FUZZ_CHECK(header_begin(&f, &out, "To") == 0, "begin");
	rc = addr_fold(&f, &a, "");
	if (rc == 0)
		rc = header_end(&f);
	/* A display name may be too long for one line; nothing else fails. */
	FUZZ_CHECK(rc == 0 || (rc == SMTPC_ELIMIT && a.display != NULL),
	    "addr_fold failed with %d for [%s]", rc, in);
	if (rc != 0)
		goto done;
	FUZZ_CHECK(
	    out.len >= 5 && memcmp(out.data + out.len - 2, "\r\n", 2) == 0,
	    "field not ended by CRLF");
	for (i = 3; i + 4 < out.len; i++)
		FUZZ_CHECK(out.data[i] != '\r' || out.data[i + 3] == '<' ||
			(out.data[i - 2] == '?' && out.data[i - 1] == '=' &&
			    out.data[i + 3] == '=' && out.data[i + 4] == '?'),
		    "fold inside a display name: [%s]", out.data);
	FUZZ_CHECK(fz_unfold((char *)out.data + 3, out.len - 5, &flat) == 0,
	    "bare CR or LF in [%s]", out.data);
	for (i = 0; i < flat.len; i++)
		FUZZ_CHECK(flat.data[i] == '\t' ||
			(flat.data[i] >= 0x20 && flat.data[i] < 0x7f) ||
			(utf8 && flat.data[i] >= 0x80),
		    "non-ASCII byte in the field [%s]", out.data);
	/* Encoding can make the field longer than an address may be. */
	if (flat.len > LIMIT_ADDRESS)
		goto done;
	rc = addr_parse(buf_cstr(&flat), &b, &err);
	FUZZ_CHECK(rc == 0, "formatted form [%s] of [%s] refused: %s",
	    buf_cstr(&flat), in, err.message);
	FUZZ_CHECK(strcmp(a.spec, b.spec) == 0, "spec [%s] became [%s]", a.spec,
	    b.spec);
	/* The display name, decoded again where it was encoded. */
	/* The display part: everything before "<spec>". */
	i = strlen(a.spec) + 2;
	quoted = flat.len > i && memchr(flat.data, '"', flat.len - i) != NULL;
	if (a.display != NULL)
		fuzz_collapse(a.display, strlen(a.display), &d1);
	if (b.display != NULL) {
		if (!quoted)
			FUZZ_CHECK(fz_rfc2047_text(
				       b.display, strlen(b.display), &dec) == 0,
			    "broken encoded-word in [%s]", b.display);
		else
			buf_append_str(&dec, b.display);
		fuzz_collapse((char *)dec.data, dec.len, &d2);
	}
	FUZZ_CHECK(d1.len == d2.len &&
		(d1.len == 0 || memcmp(d1.data, d2.data, d1.len) == 0),
	    "display [%s] came back as [%s] via [%s]", buf_cstr(&d1),
	    buf_cstr(&d2), buf_cstr(&flat));
	addr_free(&b);
done:
	addr_free(&a);
	buf_free(&out);
	buf_free(&flat);
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&dec);
	free(in);
	return 0;
}
