/* SPDX-License-Identifier: ISC */
/*
 * address.c - parsing and validating RFC 5322 addresses (lists are in
 * address_list.c); writing them into header fields;
 * IDN domains through libidn2.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "address.h"
#include "bounds.h"
#include "buf.h"
#include "error.h"

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	253
#define ADDR_LABEL_MAX	63

#define ADDR_FAIL(err, ...) \
	error_set((err), SMTPC_EDATA, "address", __VA_ARGS__)

void
addr_free(struct addr *a)
{
	if (a == NULL)
		return;
	free(a->display);
	free(a->spec);
	a->display = NULL;
	a->spec = NULL;
}

int
addr_copy(struct addr *dst, const struct addr *src)
{
	dst->display = NULL;
	dst->spec = NULL;
	if (src->display != NULL &&
	    (dst->display = strdup(src->display)) == NULL)
		return SMTPC_ENOMEM;
	if ((dst->spec = strdup(src->spec)) == NULL) {
		addr_free(dst);
		return SMTPC_ENOMEM;
	}
	return 0;
}

static int
addr_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
addr_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy `in` to `out` without comments (each becomes one space); quoted
 * strings are copied as they are.
 */
static int
addr_strip_comments(const char *in, struct buf *out, struct smtpc_error *err)
{
	size_t i, depth;
	int inq = 0, rc = 0;

	for (i = 0; in[i] != '\0' && rc == 0; i++) {
		if (inq) {
			if (in[i] == '\\' && in[i + 1] != '\0')
				rc = buf_append_byte(out,
				    (unsigned char)in[i++]);
			else if (in[i] == '"')
				inq = 0;
			if (rc == 0)
				rc = buf_append_byte(out, (unsigned char)in[i]);
			continue;
		}
		if (in[i] == '"') {
			inq = 1;
			rc = buf_append_byte(out, '"');
			continue;
		}
		if (in[i] == ')')
			return ADDR_FAIL(err, "unbalanced ')' in address");
		if (in[i] != '(') {
			rc = buf_append_byte(out, (unsigned char)in[i]);
			continue;
		}
		for (depth = 1, i++; in[i] != '\0' && depth > 0; i++) {
			if (in[i] == '\\' && in[i + 1] != '\0')
				i++;
			else if (in[i] == '(')
				depth++;
			else if (in[i] == ')')
				depth--;
		}
		if (depth > 0)
			return ADDR_FAIL(err, "unbalanced '(' in address");
		i--;
		rc = buf_append_byte(out, ' ');
	}
	if (rc != 0)
		return error_set(err, rc, "address", "out of memory");
	if (inq)
		return ADDR_FAIL(err, "unbalanced '\"' in address");
	return 0;
}

static int
addr_check_domain_ascii(const char *d, struct smtpc_error *err)
{
	size_t i, lab = 0, len = strlen(d);

	if (len == 0)
		return ADDR_FAIL(err, "the domain is empty");
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_FAIL(err, "the domain is longer than %d characters",
		    ADDR_DOMAIN_MAX);
	for (i = 0; i <= len; i++) {
		if (d[i] == '.' || d[i] == '\0') {
			if (lab == 0)
				return ADDR_FAIL(err,
				    "the domain \"%s\" has an empty label", d);
			if (d[i - 1] == '-' || d[i - lab] == '-')
				return ADDR_FAIL(err, "a label of the domain "
				    "\"%s\" starts or ends with '-'", d);
			if (lab > ADDR_LABEL_MAX)
				return ADDR_FAIL(err, "a label of the domain "
				    "\"%s\" is longer than %d characters", d,
				    ADDR_LABEL_MAX);
			lab = 0;
			continue;
		}
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		    (d[i] >= 'A' && d[i] <= 'Z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '-'))
			return ADDR_FAIL(err, "the domain \"%s\" contains '%c' "
			    "(letters, digits, '-' and '.' only)", d, d[i]);
		lab++;
	}
	return 0;
}

static int
addr_check_literal(const char *d, size_t len, struct smtpc_error *err)
{
	char tmp[64];
	unsigned char bin[16];

	if (len < 3 || d[len - 1] != ']' || len - 2 >= sizeof(tmp))
		return ADDR_FAIL(err, "bad domain literal");
	memcpy(tmp, d + 1, len - 2);
	tmp[len - 2] = '\0';
	if (strncmp(tmp, "IPv6:", 5) == 0 &&
	    inet_pton(AF_INET6, tmp + 5, bin) == 1)
		return 0;
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return 0;
	return ADDR_FAIL(err, "bad domain literal [%s]", tmp);
}

static int
addr_check_local(const char *l, size_t len, struct smtpc_error *err)
{
	size_t i;

	if (len == 0)
		return ADDR_FAIL(err, "the local part (before '@') is empty");
	if (len > ADDR_LOCAL_MAX)
		return ADDR_FAIL(err, "the local part is longer than %d "
		    "characters", ADDR_LOCAL_MAX);
	if (l[0] == '"') {
		if (len < 2 || l[len - 1] != '"')
			return ADDR_FAIL(err, "bad quoted local part");
		for (i = 1; i < len - 1; i++) {
			if (l[i] == '\\') {
				if (++i >= len - 1 || l[i] < 0x20 ||
				    l[i] > 0x7e)
					return ADDR_FAIL(err,
					    "bad quoted local part");
			} else if (l[i] == '"' || (unsigned char)l[i] < 0x20 ||
			    l[i] == 0x7f)
				return ADDR_FAIL(err, "bad quoted local part");
		}
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (l[i] == '.') {
			if (i == 0 || i == len - 1 || l[i + 1] == '.')
				return ADDR_FAIL(err, "the local part \"%.*s\" "
				    "has a leading, trailing or double '.'",
				    (int)len, l);
			continue;
		}
		/* RFC 6532 3.2: UTF-8 (checked by the caller) is atext. */
		if ((unsigned char)l[i] < 0x80 &&
		    !addr_is_atext((unsigned char)l[i]))
			return ADDR_FAIL(err, "the local part \"%.*s\" "
			    "contains '%c' (quote it)", (int)len, l, l[i]);
	}
	return 0;
}

/* 1 when a label of the ASCII domain starts with "xn--". */
static int
addr_has_alabel(const char *d)
{
	const char *p = d;

	for (;;) {
		if (strncasecmp(p, "xn--", 4) == 0)
			return 1;
		if ((p = strchr(p, '.')) == NULL)
			return 0;
		p++;
	}
}

/*
 * One step of a scan that must skip quoted strings: returns 1 when s[*i]
 * belongs to one (its quotes included; a backslash pair is passed whole),
 * 0 for a byte outside, which the caller then looks at.
 */
static int
addr_in_quotes(const char *s, size_t *i, int *inq)
{
	if (*inq) {
		if (s[*i] == '\\')
			(*i)++;
		else if (s[*i] == '"')
			*inq = 0;
		return 1;
	}
	if (s[*i] == '"') {
		*inq = 1;
		return 1;
	}
	return 0;
}

/* Validate "local@domain" and build the envelope form into `out`. */
static int
addr_parse_spec(const char *s, size_t len, struct buf *out,
    struct smtpc_error *err)
{
	size_t i, at = len;
	int inq = 0, rc, nonascii = 0;
	char *dom = NULL, *alabel = NULL;

	for (i = 0; i < len; i++) {
		if (addr_in_quotes(s, &i, &inq))
			continue;
		if (s[i] == '@') {
			at = i;
			/* A domain literal may hold ':' (IPv6). */
			if (i + 1 < len && s[i + 1] == '[')
				break;
		}
		else if (addr_is_ws(s[i]))
			return ADDR_FAIL(err, "the address \"%.*s\" contains a "
			    "space (write: Name <addr@domain>)", (int)len, s);
		else if (s[i] == ',')
			return ADDR_FAIL(err, "more than one address in "
			    "\"%.*s\" (give one address at a time)", (int)len,
			    s);
		else if (s[i] == ':' || s[i] == ';')
			return ADDR_FAIL(err, "address groups (\"name: "
			    "...;\") are not supported: give the addresses");
		else if (s[i] == '<' || s[i] == '>')
			return ADDR_FAIL(err, "misplaced '%c' in address",
			    s[i]);
	}
	if (len == 0)
		return ADDR_FAIL(err, "the address is empty");
	if (at == len)
		return ADDR_FAIL(err, "the address \"%.*s\" has no '@domain'",
		    (int)len, s);
	if ((rc = addr_check_local(s, at, err)) != 0)
		return rc;
	if (at + 1 < len && s[at + 1] == '[') {
		if ((rc = addr_check_literal(s + at + 1, len - at - 1,
		    err)) != 0)
			return rc;
		if (buf_append(out, s, len) != 0)
			return error_set(err, SMTPC_ENOMEM, "address",
			    "out of memory");
		return 0;
	}
	if ((dom = strndup(s + at + 1, len - at - 1)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	for (i = 0; dom[i] != '\0'; i++)
		if ((unsigned char)dom[i] >= 0x80)
			nonascii = 1;
	if (!nonascii && addr_has_alabel(dom)) {
		/* Check an A-label given as is: it must decode and be valid. */
		rc = idn2_lookup_u8((const uint8_t *)dom, (uint8_t **)&alabel,
		    IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			rc = ADDR_FAIL(err, "the domain \"%s\" is not a valid "
			    "internationalised name: %s", dom,
			    idn2_strerror(rc));
			free(dom);
			return rc;
		}
		free(dom);
		dom = alabel;
		nonascii = 1;
	} else if (nonascii) {
		rc = idn2_to_ascii_8z(dom, &alabel,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			rc = ADDR_FAIL(err, "the domain \"%s\" is not a valid "
			    "internationalised name: %s", dom,
			    idn2_strerror(rc));
			free(dom);
			return rc;
		}
		free(dom);
		dom = alabel;
	}
	rc = addr_check_domain_ascii(dom, err);
	if (rc == 0 && (buf_append(out, s, at + 1) != 0 ||
	    buf_append_str(out, dom) != 0))
		rc = error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	if (nonascii)
		idn2_free(dom);
	else
		free(dom);
	return rc;
}

/*
 * The display name: quoted strings unquoted, runs of whitespace outside
 * them made one space; specials outside quotes refused.
 */
static int
addr_parse_display(const char *s, size_t len, struct buf *out,
    struct smtpc_error *err)
{
	size_t i;
	int inq = 0, space = 0, rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (inq) {
			if (s[i] == '\\' && i + 1 < len)
				rc = buf_append_byte(out,
				    (unsigned char)s[++i]);
			else if (s[i] == '"')
				inq = 0;
			else
				rc = buf_append_byte(out, (unsigned char)s[i]);
			continue;
		}
		if (addr_is_ws(s[i])) {
			space = 1;
			continue;
		}
		if (space && out->len > 0)
			rc = buf_append_byte(out, ' ');
		space = 0;
		if (rc != 0)
			break;
		if (s[i] == '"') {
			inq = 1;
			continue;
		}
		if (s[i] == ':' || s[i] == ';')
			return ADDR_FAIL(err, "address groups (\"name: "
			    "...;\") are not supported: give the addresses");
		if (strchr(",@[]\\<>", s[i]) != NULL)
			return ADDR_FAIL(err, "the display name has a '%c' "
			    "outside quotes (write: \"Last, First\" <addr>)",
			    s[i]);
		rc = buf_append_byte(out, (unsigned char)s[i]);
	}
	if (rc != 0)
		return error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	return 0;
}

int
addr_parse(const char *in, struct addr *ret, struct smtpc_error *err)
{
	struct buf clean, disp, spec;
	const char *c;
	size_t i, len, lt = 0, gt = 0, s, e;
	int inq = 0, rc, haslt = 0, hasgt = 0;

	ret->display = NULL;
	ret->spec = NULL;
	len = strlen(in);
	for (i = 0; i < len; i++)
		if (in[i] == '\r' || in[i] == '\n')
			return ADDR_FAIL(err, "the address contains a line "
			    "break");
	if (!header_utf8_valid(in, len))
		return ADDR_FAIL(err, "the address is not valid UTF-8");
	if (len > LIMIT_ADDRESS)
		return ADDR_FAIL(err, "the address is too long");
	buf_init(&clean, LIMIT_ADDRESS + 1);
	buf_init(&disp, LIMIT_ADDRESS + 1);
	buf_init(&spec, LIMIT_ADDRESS + 1);
	if ((rc = addr_strip_comments(in, &clean, err)) != 0)
		goto free_bufs;
	c = buf_cstr(&clean);
	len = clean.len;
	for (i = 0; i < len; i++) {
		if (addr_in_quotes(c, &i, &inq))
			continue;
		if (c[i] == '<') {
			if (haslt) {
				rc = ADDR_FAIL(err, "more than one '<' in "
				    "address");
				goto free_bufs;
			}
			haslt = 1;
			lt = i;
		} else if (c[i] == '>') {
			if (!haslt || hasgt) {
				rc = ADDR_FAIL(err, "misplaced '>' in address");
				goto free_bufs;
			}
			hasgt = 1;
			gt = i;
		}
	}
	if (haslt && !hasgt) {
		rc = ADDR_FAIL(err, "missing '>' in address");
		goto free_bufs;
	}
	if (haslt) {
		if ((rc = addr_parse_display(c, lt, &disp, err)) != 0)
			goto free_bufs;
		for (i = gt + 1; i < len; i++)
			if (!addr_is_ws(c[i])) {
				rc = ADDR_FAIL(err, "text after '>' in address "
				    "(give one address at a time)");
				goto free_bufs;
			}
		s = lt + 1;
		e = gt;
	} else {
		s = 0;
		e = len;
	}
	while (s < e && addr_is_ws(c[s]))
		s++;
	while (e > s && addr_is_ws(c[e - 1]))
		e--;
	if ((rc = addr_parse_spec(c + s, e - s, &spec, err)) != 0)
		goto free_bufs;
	if (disp.len > 0 && (ret->display = strdup(buf_cstr(&disp))) == NULL)
		rc = error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	else if ((ret->spec = strdup(buf_cstr(&spec))) == NULL)
		rc = error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	if (rc != 0)
		addr_free(ret);
free_bufs:
	buf_free(&clean);
	buf_free(&disp);
	buf_free(&spec);
	return rc;
}

static int
addr_put(struct hfold *f, const struct addr *a, const char *post)
{
	struct buf b;
	int rc;

	if (a->display != NULL && a->display[0] != '\0' &&
	    (rc = header_phrase(f, a->display, strlen(a->display))) != 0)
		return rc;
	buf_init(&b, LIMIT_HEADER_LINE);
	/* `post` (a list's ',') is glued on, so folding counts it. */
	if (a->display == NULL || a->display[0] == '\0')
		rc = buf_printf(&b, "%s%s", a->spec, post);
	else
		rc = buf_printf(&b, "<%s>%s", a->spec, post);
	if (rc == 0)
		rc = header_atom(f, " ", 1, (char *)b.data, b.len);
	else
		header_abort(f);
	buf_free(&b);
	return rc;
}

/*
 * Lists fold between addresses: an address that fits on a line of its own
 * but not on the current one starts a new line, rather than being broken
 * inside its display name.
 */
int
addr_fold(struct hfold *f, const struct addr *a, const char *post)
{
	struct hfold t;
	struct buf scratch;
	int rc;

	if (f->empty)
		return addr_put(f, a, post);
	buf_init(&scratch, 4 * LIMIT_HEADER_LINE);
	/* Lay it out as if at the start of a continuation line. */
	if ((rc = header_begin(&t, &scratch, "")) == 0) {
		t.col = 0;
		t.empty = 0;
		rc = addr_put(&t, a, post);
	}
	if (rc == 0 && memchr(scratch.data, '\n', scratch.len) == NULL &&
	    f->col + scratch.len - 1 > HEADER_FOLD)
		rc = header_fold(f);
	buf_free(&scratch);
	if (rc != 0) {
		header_abort(f);
		return rc;
	}
	return addr_put(f, a, post);
}
