/*
 * qp.c - streaming quoted-printable encoder with UTF-8-safe soft breaks.
 */
#include <string.h>

#include "qp.h"
#include "smtpc.h"

static const char qp_hex[] = "0123456789ABCDEF";

void
qp_init(struct qp_enc *q)
{
	memset(q, 0, sizeof(*q));
	q->at_bol = 1;
}

int
qp_at_bol(const struct qp_enc *q)
{
	return q->at_bol;
}

/*
 * Append one unit (a literal character or the =XX form of one character)
 * that must stay on one line.  Break softly first when it would pass
 * column 75, leaving room for the '='.
 */
static int
qp_emit(struct qp_enc *q, const char *tok, size_t len, struct buf *out)
{
	char esc[3];
	int rc;

	if (q->col + len > QP_LINE - 1) {
		if ((rc = buf_append(out, "=\r\n", 3)) != 0)
			return rc;
		q->col = 0;
	}
	if (q->col == 0 && len == 1 && (tok[0] == 'F' || tok[0] == '.')) {
		esc[0] = '=';
		esc[1] = qp_hex[(unsigned char)tok[0] >> 4];
		esc[2] = qp_hex[(unsigned char)tok[0] & 0xf];
		tok = esc;
		len = 3;
	}
	if ((rc = buf_append(out, tok, len)) != 0)
		return rc;
	q->col += len;
	q->at_bol = 0;
	return 0;
}

/* Emit bytes as =XX triplets, kept together on one line. */
static int
qp_emit_escaped(struct qp_enc *q, const unsigned char *p, size_t n,
    struct buf *out)
{
	char tok[12];
	size_t i;

	for (i = 0; i < n && i < 4; i++) {
		tok[3 * i] = '=';
		tok[3 * i + 1] = qp_hex[p[i] >> 4];
		tok[3 * i + 2] = qp_hex[p[i] & 0xf];
	}
	return qp_emit(q, tok, 3 * i, out);
}

static int
qp_flush_ws(struct qp_enc *q, int encoded, struct buf *out)
{
	char c;
	int rc;

	if (q->ws == 0)
		return 0;
	c = (char)q->ws;
	q->ws = 0;
	if (encoded)
		rc = qp_emit_escaped(q, (unsigned char *)&c, 1, out);
	else
		rc = qp_emit(q, &c, 1, out);
	return rc;
}

static int
qp_flush_seq(struct qp_enc *q, struct buf *out)
{
	int rc;

	if (q->nu == 0)
		return 0;
	rc = qp_emit_escaped(q, q->u, q->nu, out);
	q->nu = 0;
	q->need = 0;
	return rc;
}

static int
qp_hard_break(struct qp_enc *q, struct buf *out)
{
	int rc;

	if ((rc = qp_flush_seq(q, out)) != 0 ||
	    (rc = qp_flush_ws(q, 1, out)) != 0)
		return rc;
	if ((rc = buf_append(out, "\r\n", 2)) != 0)
		return rc;
	q->col = 0;
	q->at_bol = 1;
	return 0;
}

static size_t
qp_seq_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 1;
}

static int
qp_byte(struct qp_enc *q, unsigned char c, struct buf *out)
{
	int rc;

	if (q->cr) {
		q->cr = 0;
		if (c == '\n')
			return qp_hard_break(q, out);
		/* A lone CR is data, not a line break. */
		if ((rc = qp_flush_seq(q, out)) != 0 ||
		    (rc = qp_flush_ws(q, 0, out)) != 0)
			return rc;
		if ((rc = qp_emit_escaped(q, (unsigned char *)"\r", 1,
		    out)) != 0)
			return rc;
	}
	if (q->nu > 0) {
		if ((c & 0xc0) == 0x80) {
			q->u[q->nu++] = c;
			if (q->nu == q->need)
				return qp_flush_seq(q, out);
			return 0;
		}
		/* A truncated sequence: encode what there is, go on. */
		if ((rc = qp_flush_seq(q, out)) != 0)
			return rc;
	}
	if (c == '\r') {
		q->cr = 1;
		return 0;
	}
	if (c == '\n')
		return qp_hard_break(q, out);
	if (c == ' ' || c == '\t') {
		/* Only the next character tells whether it is trailing. */
		if ((rc = qp_flush_ws(q, 0, out)) != 0)
			return rc;
		q->ws = c;
		return 0;
	}
	if ((rc = qp_flush_ws(q, 0, out)) != 0)
		return rc;
	if (c >= 0x80) {
		q->need = qp_seq_len(c);
		q->u[0] = c;
		q->nu = 1;
		if (q->need == 1)
			return qp_flush_seq(q, out);
		return 0;
	}
	if (c < 0x20 || c == 0x7f || c == '=')
		return qp_emit_escaped(q, &c, 1, out);
	return qp_emit(q, (const char *)&c, 1, out);
}

int
qp_update(struct qp_enc *q, const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		if ((rc = qp_byte(q, p[i], out)) != 0)
			return rc;
	return 0;
}

int
qp_final(struct qp_enc *q, struct buf *out)
{
	int rc, bol;

	if (q->cr) {
		q->cr = 0;
		if ((rc = qp_flush_seq(q, out)) != 0 ||
		    (rc = qp_flush_ws(q, 0, out)) != 0 ||
		    (rc = qp_emit_escaped(q, (unsigned char *)"\r", 1,
		    out)) != 0)
			return rc;
	}
	if ((rc = qp_flush_seq(q, out)) != 0 ||
	    (rc = qp_flush_ws(q, 1, out)) != 0)
		return rc;
	bol = q->at_bol;
	qp_init(q);
	q->at_bol = bol;
	return 0;
}
