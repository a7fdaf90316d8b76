/* SPDX-License-Identifier: ISC */
/*
 * msgcheck.h - what the unit tests use to look into written messages: a
 * reader pulled to the end, a line check, header fields, a small MIME
 * parser that gives the structure ("multipart/mixed(text/plain,...)")
 * and a leaf's body, and transfer decoding.  Independent of the writer.
 */
#ifndef SMTPC_MSGCHECK_H
#define SMTPC_MSGCHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "smtpc.h"

static uint64_t __attribute__((unused))
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void __attribute__((unused))
pseudo_random(unsigned char *p, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(mix(&seed) >> 24);
}

/* Pull everything with reads of `step` bytes. */
static int __attribute__((unused))
read_all(const struct smtpc_msg *m, size_t step, struct buf *out,
    uint64_t *ret_size, struct smtpc_error *err)
{
	struct smtpc_reader *r;
	unsigned char *tmp;
	size_t n;
	int rc;

	if ((rc = smtpc_reader_new(m, &r, err)) != 0)
		return rc;
	if (ret_size != NULL)
		smtpc_reader_size(r, ret_size);
	tmp = malloc(step);
	for (;;) {
		if ((rc = smtpc_reader_read(r, tmp, step, &n, err)) != 0)
			break;
		if (n == 0)
			break;
		if (n > step) {
			rc = -100;
			break;
		}
		if (buf_append(out, tmp, n) != 0) {
			rc = -101;
			break;
		}
	}
	free(tmp);
	smtpc_reader_free(r);
	return rc;
}

/* Every line ends in CRLF and is at most `max` octets. */
static int __attribute__((unused))
lines_ok(const unsigned char *p, size_t len, size_t max)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
		if (p[i] == '\r') {
			if (i + 1 >= len || p[i + 1] != '\n' || i - start > max)
				return 0;
			start = i + 2;
			i++;
		}
	}
	return start == len;
}

/* The value of field `name` in an unfolded header block, or NULL. */
static char * __attribute__((unused))
field(const char *hdr, size_t hlen, const char *name)
{
	struct buf v;
	size_t i, nl = strlen(name);
	char *r;

	for (i = 0; i < hlen; i++) {
		if ((i == 0 || hdr[i - 1] == '\n') && i + nl < hlen &&
		    strncasecmp(hdr + i, name, nl) == 0 && hdr[i + nl] == ':')
			break;
	}
	if (i >= hlen)
		return NULL;
	buf_init(&v, 1 << 20);
	for (i += nl + 1; i < hlen; i++) {
		if (hdr[i] == '\r' && i + 2 < hlen && (hdr[i + 2] == ' ' ||
		    hdr[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (hdr[i] == '\r')
			break;
		buf_append_byte(&v, (unsigned char)hdr[i]);
	}
	r = strdup(buf_cstr(&v));
	buf_free(&v);
	return r;
}

/* Find `pat` in p[0..len). */
static const char * __attribute__((unused))
find(const char *p, size_t len, const char *pat)
{
	size_t i, pl = strlen(pat);

	for (i = 0; i + pl <= len; i++)
		if (memcmp(p + i, pat, pl) == 0)
			return p + i;
	return NULL;
}

/*
 * A small MIME parser: appends the structure of the entity, e.g.
 * "multipart/mixed(text/plain,image/png)".  For a leaf whose type is
 * `want`, stores its body and Content-Transfer-Encoding.
 */
struct leaf {
	const char *want;
	const char *body;
	size_t blen;
	char *cte;
	char *disp;
	char *cid;
};

static int __attribute__((unused))
parse(const char *p, size_t len, struct buf *desc, struct leaf *lf,
    int depth)
{
	const char *hend, *body, *q, *end, *part;
	char *ct, *b, *s;
	char delim[128], bnd[100];
	size_t hlen, blen, dl;
	int first = 1;

	if (depth > 8)
		return -1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n') {
		hlen = 0;
		body = p + 2;
	} else {
		if ((hend = find(p, len, "\r\n\r\n")) == NULL)
			return -1;
		hlen = (size_t)(hend - p) + 2;
		body = hend + 4;
	}
	blen = len - (size_t)(body - p);
	ct = field(p, hlen, "Content-Type");
	if (ct == NULL)
		ct = strdup(" text/plain");
	for (s = ct; *s == ' '; s++)
		;
	memmove(ct, s, strlen(s) + 1);
	if ((s = strchr(ct, ';')) != NULL)
		*s = '\0';
	if (strncmp(ct, "multipart/", 10) != 0) {
		buf_append_str(desc, ct);
		if (lf != NULL && lf->want != NULL &&
		    strcmp(lf->want, ct) == 0 && lf->body == NULL) {
			lf->body = body;
			lf->blen = blen;
			lf->cte = field(p, hlen, "Content-Transfer-Encoding");
			lf->disp = field(p, hlen, "Content-Disposition");
			lf->cid = field(p, hlen, "Content-ID");
		}
		free(ct);
		return 0;
	}
	buf_append_str(desc, ct);
	buf_append_byte(desc, '(');
	free(ct);
	ct = field(p, hlen, "Content-Type");
	b = strstr(ct, "boundary=\"");
	if (b == NULL) {
		free(ct);
		return -1;
	}
	b += 10;
	*strchr(b, '"') = '\0';
	if (strncmp(b, "=_", 2) != 0) {
		free(ct);
		return -1;
	}
	snprintf(bnd, sizeof(bnd), "%s", b);
	free(ct);
	snprintf(delim, sizeof(delim), "--%s", bnd);
	dl = strlen(delim);
	/* No preamble: the body starts with the first delimiter. */
	if (blen < dl + 2 || memcmp(body, delim, dl) != 0 ||
	    memcmp(body + dl, "\r\n", 2) != 0)
		return -1;
	part = body + dl + 2;
	end = body + blen;
	for (;;) {
		snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
		q = find(part, (size_t)(end - part), delim);
		if (q == NULL)
			return -1;
		if (!first)
			buf_append_byte(desc, ',');
		first = 0;
		if (parse(part, (size_t)(q - part), desc, lf, depth + 1) != 0)
			return -1;
		q += strlen(delim);
		if (q + 2 <= end && memcmp(q, "--", 2) == 0)
			break;
		if (q + 2 > end || memcmp(q, "\r\n", 2) != 0)
			return -1;
		part = q + 2;
	}
	buf_append_byte(desc, ')');
	return 0;
}

static int __attribute__((unused))
message_structure(const struct buf *msg, struct buf *desc, struct leaf *lf)
{
	return parse((const char *)msg->data, msg->len, desc, lf, 0);
}


static int __attribute__((unused))
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a leaf body by its transfer encoding. */
static int __attribute__((unused))
decode_leaf(const struct leaf *lf, struct buf *out)
{
	struct buf clean;
	size_t i;
	int rc = 0;

	if (strstr(lf->cte, "base64") != NULL) {
		buf_init(&clean, 1 << 26);
		for (i = 0; i < lf->blen; i++)
			if (lf->body[i] != '\r' && lf->body[i] != '\n')
				buf_append_byte(&clean,
				    (unsigned char)lf->body[i]);
		rc = b64_decode(buf_cstr(&clean), clean.len, out);
		buf_free(&clean);
		return rc;
	}
	if (strstr(lf->cte, "quoted-printable") != NULL) {
		for (i = 0; i < lf->blen; i++) {
			if (lf->body[i] != '=') {
				buf_append_byte(out,
				    (unsigned char)lf->body[i]);
				continue;
			}
			if (i + 2 < lf->blen && lf->body[i + 1] == '\r') {
				i += 2;
				continue;
			}
			if (i + 2 >= lf->blen || hexval(lf->body[i + 1]) < 0 ||
			    hexval(lf->body[i + 2]) < 0)
				return -1;
			buf_append_byte(out, (unsigned char)(
			    hexval(lf->body[i + 1]) << 4 |
			    hexval(lf->body[i + 2])));
			i += 2;
		}
		return 0;
	}
	return buf_append(out, lf->body, lf->blen);
}

static void __attribute__((unused))
leaf_free(struct leaf *lf)
{
	free(lf->cte);
	free(lf->disp);
	free(lf->cid);
}

#endif
