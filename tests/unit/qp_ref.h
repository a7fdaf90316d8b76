/* SPDX-License-Identifier: ISC */
/*
 * qp_ref.h - the byte-at-a-time quoted-printable encoder, kept as the
 * reference that qp.c's fast path must match byte for byte (test_qp.c).
 * It is qp.c's encoder without the run copying, under other names.
 */
#ifndef SMTPC_QP_REF_H
#define SMTPC_QP_REF_H

#include <string.h>

#include "buf.h"
#include "qp.h"

static const char qpref_hex[] = "0123456789ABCDEF";

/* Output gathered in a block and appended to the buffer in one go. */
struct qpref_sink {
	struct buf *out;
	size_t n;
	int rc;
	char blk[2048];
};

static void
qpref_flush_sink(struct qpref_sink *k)
{
	if (k->rc == 0 && k->n > 0)
		k->rc = buf_append(k->out, k->blk, k->n);
	k->n = 0;
}

static void
qpref_put(struct qpref_sink *k, const char *p, size_t len)
{
	if (k->n + len > sizeof(k->blk))
		qpref_flush_sink(k);
	memcpy(k->blk + k->n, p, len);
	k->n += len;
}

static void
qpref_init(struct qp_enc *q)
{
	memset(q, 0, sizeof(*q));
	q->at_bol = 1;
}

/*
 * Append one unit (a literal character or the =XX form of one character)
 * that must stay on one line.  Break softly first when it would pass
 * column 75, leaving room for the '='.
 */
static void
qpref_emit(struct qp_enc *q, const char *tok, size_t len,
    struct qpref_sink *out)
{
	char esc[3];

	if (q->col + len > QP_LINE - 1) {
		qpref_put(out, "=\r\n", 3);
		q->col = 0;
	}
	if (q->col == 0 && len == 1 && (tok[0] == 'F' || tok[0] == '.')) {
		esc[0] = '=';
		esc[1] = qpref_hex[(unsigned char)tok[0] >> 4];
		esc[2] = qpref_hex[(unsigned char)tok[0] & 0xf];
		tok = esc;
		len = 3;
	}
	qpref_put(out, tok, len);
	q->col += len;
	q->at_bol = 0;
}

/* Emit bytes as =XX triplets, kept together on one line. */
static void
qpref_emit_escaped(struct qp_enc *q, const unsigned char *p, size_t n,
    struct qpref_sink *out)
{
	char tok[12];
	size_t i;

	for (i = 0; i < n && i < 4; i++) {
		tok[3 * i] = '=';
		tok[3 * i + 1] = qpref_hex[p[i] >> 4];
		tok[3 * i + 2] = qpref_hex[p[i] & 0xf];
	}
	qpref_emit(q, tok, 3 * i, out);
}

static void
qpref_flush_ws(struct qp_enc *q, int encoded, struct qpref_sink *out)
{
	char c;

	if (q->ws == 0)
		return;
	c = (char)q->ws;
	q->ws = 0;
	if (encoded)
		qpref_emit_escaped(q, (unsigned char *)&c, 1, out);
	else
		qpref_emit(q, &c, 1, out);
}

static void
qpref_flush_seq(struct qp_enc *q, struct qpref_sink *out)
{
	if (q->nu == 0)
		return;
	qpref_emit_escaped(q, q->u, q->nu, out);
	q->nu = 0;
	q->need = 0;
}

static void
qpref_hard_break(struct qp_enc *q, struct qpref_sink *out)
{
	qpref_flush_seq(q, out);
	qpref_flush_ws(q, 1, out);
	qpref_put(out, "\r\n", 2);
	q->col = 0;
	q->at_bol = 1;
}

/* A CR that turned out not to start a CRLF: it is data. */
static void
qpref_lone_cr(struct qp_enc *q, struct qpref_sink *out)
{
	q->cr = 0;
	qpref_flush_seq(q, out);
	qpref_flush_ws(q, 0, out);
	qpref_emit_escaped(q, (const unsigned char *)"\r", 1, out);
}

static size_t
qpref_seq_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 1;
}

static void
qpref_byte(struct qp_enc *q, unsigned char c, struct qpref_sink *out)
{
	if (q->cr) {
		if (c == '\n') {
			q->cr = 0;
			qpref_hard_break(q, out);
			return;
		}
		qpref_lone_cr(q, out);
	}
	if (q->nu > 0) {
		if ((c & 0xc0) == 0x80) {
			q->u[q->nu++] = c;
			if (q->nu == q->need)
				qpref_flush_seq(q, out);
			return;
		}
		/* A truncated sequence: encode what there is, go on. */
		qpref_flush_seq(q, out);
	}
	if (c == '\r') {
		q->cr = 1;
		return;
	}
	if (c == '\n') {
		qpref_hard_break(q, out);
		return;
	}
	/* Whitespace waits: only the next character tells if it trails. */
	qpref_flush_ws(q, 0, out);
	if (c == ' ' || c == '\t') {
		q->ws = c;
		return;
	}
	if (c >= 0x80) {
		q->need = qpref_seq_len(c);
		q->u[0] = c;
		q->nu = 1;
		if (q->need == 1)
			qpref_flush_seq(q, out);
		return;
	}
	if (c < 0x20 || c == 0x7f || c == '=')
		qpref_emit_escaped(q, &c, 1, out);
	else
		qpref_emit(q, (const char *)&c, 1, out);
}

static int
qpref_update(struct qp_enc *q, const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	struct qpref_sink k;
	size_t i;

	k.out = out;
	k.n = 0;
	k.rc = 0;
	for (i = 0; i < len && k.rc == 0; i++)
		qpref_byte(q, p[i], &k);
	qpref_flush_sink(&k);
	return k.rc;
}

static int
qpref_final(struct qp_enc *q, struct buf *out)
{
	struct qpref_sink k;
	int bol;

	k.out = out;
	k.n = 0;
	k.rc = 0;
	if (q->cr)
		qpref_lone_cr(q, &k);
	qpref_flush_seq(q, &k);
	qpref_flush_ws(q, 1, &k);
	qpref_flush_sink(&k);
	bol = q->at_bol;
	qpref_init(q);
	q->at_bol = bol;
	return k.rc;
}

#endif
