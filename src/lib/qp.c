/* SPDX-License-Identifier: ISC */
/*
 * qp.c - streaming quoted-printable encoder with UTF-8-safe soft breaks.
 */
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "qp.h"
#include "smtpc.h"

static const char qp_hex[] = "0123456789ABCDEF";

/* Output gathered in a block and appended to the buffer in one go. */
struct qp_sink {
	struct buf *out;
	size_t n;
	int rc;
	char blk[2048];
};

static void
qp_flush_sink(struct qp_sink *k)
{
	if (k->rc == 0 && k->n > 0)
		k->rc = buf_append(k->out, k->blk, k->n);
	k->n = 0;
}

static void
qp_put(struct qp_sink *k, const char *p, size_t len)
{
	if (k->n + len > sizeof(k->blk))
		qp_flush_sink(k);
	memcpy(k->blk + k->n, p, len);
	k->n += len;
}

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
static void
qp_emit(struct qp_enc *q, const char *tok, size_t len, struct qp_sink *out)
{
	char esc[3];

	if (q->col + len > QP_LINE - 1) {
		qp_put(out, "=\r\n", 3);
		q->col = 0;
	}
	if (q->col == 0 && len == 1 && (tok[0] == 'F' || tok[0] == '.')) {
		esc[0] = '=';
		esc[1] = qp_hex[(unsigned char)tok[0] >> 4];
		esc[2] = qp_hex[(unsigned char)tok[0] & 0xf];
		tok = esc;
		len = 3;
	}
	qp_put(out, tok, len);
	q->col += len;
	q->at_bol = 0;
}

/* Emit bytes as =XX triplets, kept together on one line. */
static void
qp_emit_escaped(struct qp_enc *q, const unsigned char *p, size_t n,
    struct qp_sink *out)
{
	char tok[12];
	size_t i;

	for (i = 0; i < n && i < 4; i++) {
		tok[3 * i] = '=';
		tok[3 * i + 1] = qp_hex[p[i] >> 4];
		tok[3 * i + 2] = qp_hex[p[i] & 0xf];
	}
	qp_emit(q, tok, 3 * i, out);
}

static void
qp_flush_ws(struct qp_enc *q, int encoded, struct qp_sink *out)
{
	char c;

	if (q->ws == 0)
		return;
	c = (char)q->ws;
	q->ws = 0;
	if (encoded)
		qp_emit_escaped(q, (unsigned char *)&c, 1, out);
	else
		qp_emit(q, &c, 1, out);
}

static void
qp_flush_seq(struct qp_enc *q, struct qp_sink *out)
{
	if (q->nu == 0)
		return;
	qp_emit_escaped(q, q->u, q->nu, out);
	q->nu = 0;
	q->need = 0;
}

static void
qp_hard_break(struct qp_enc *q, struct qp_sink *out)
{
	qp_flush_seq(q, out);
	qp_flush_ws(q, 1, out);
	qp_put(out, "\r\n", 2);
	q->col = 0;
	q->at_bol = 1;
}

/* A CR that turned out not to start a CRLF: it is data. */
static void
qp_lone_cr(struct qp_enc *q, struct qp_sink *out)
{
	q->cr = 0;
	qp_flush_seq(q, out);
	qp_flush_ws(q, 0, out);
	qp_emit_escaped(q, (const unsigned char *)"\r", 1, out);
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

static void
qp_byte(struct qp_enc *q, unsigned char c, struct qp_sink *out)
{
	if (q->cr) {
		if (c == '\n') {
			q->cr = 0;
			qp_hard_break(q, out);
			return;
		}
		qp_lone_cr(q, out);
	}
	if (q->nu > 0) {
		if ((c & 0xc0) == 0x80) {
			q->u[q->nu++] = c;
			if (q->nu == q->need)
				qp_flush_seq(q, out);
			return;
		}
		/* A truncated sequence: encode what there is, go on. */
		qp_flush_seq(q, out);
	}
	if (c == '\r') {
		q->cr = 1;
		return;
	}
	if (c == '\n') {
		qp_hard_break(q, out);
		return;
	}
	/* Whitespace waits: only the next character tells if it trails. */
	qp_flush_ws(q, 0, out);
	if (c == ' ' || c == '\t') {
		q->ws = c;
		return;
	}
	if (c >= 0x80) {
		q->need = qp_seq_len(c);
		q->u[0] = c;
		q->nu = 1;
		if (q->need == 1)
			qp_flush_seq(q, out);
		return;
	}
	if (c < 0x20 || c == 0x7f || c == '=')
		qp_emit_escaped(q, &c, 1, out);
	else
		qp_emit(q, (const char *)&c, 1, out);
}

/*
 * The fast path: how many of the `n` bytes at `p` go out as they are,
 * with nothing pending (no whitespace, CR or UTF-8 sequence), exactly as
 * qp_byte would write them: printable ASCII but '=', and a space or tab
 * that the next byte shows is not trailing (anything but CR or LF after
 * it: qp_byte writes it literally once that byte comes).  Only as many as
 * the line has room for, and none when the line would start with 'F' or
 * '.'; qp_byte takes over at the soft break and at anything else.
 */
static size_t
qp_run(const struct qp_enc *q, const unsigned char *p, size_t n)
{
	size_t j, lim = QP_LINE - 1 - q->col;
	unsigned char c;

	if (lim > n)
		lim = n;
	if (q->col == 0 && n > 0 && (p[0] == 'F' || p[0] == '.'))
		return 0;
	j = 0;
#ifdef __SSE2__
	/*
	 * 16 bytes at a time while all pass.  A space or tab passes when the
	 * byte after it does, so in a block that passes whole only the last
	 * one needs its next byte: that one is left to the loop below.
	 * Signed compares: bytes from 0x80 are negative.
	 */
	for (; j + 16 <= lim; j += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + j));
		unsigned plain, ws;

		plain = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
		    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(' ')),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)))));
		ws = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
		if ((plain | (ws & 0x7fff)) != 0xffff)
			break;
	}
#endif
	for (; j < lim; j++) {
		c = p[j];
		if (c > ' ' && c < 0x7f && c != '=')
			continue;
		if ((c == ' ' || c == '\t') && j + 1 < n && p[j + 1] != '\r' &&
		    p[j + 1] != '\n')
			continue;
		break;
	}
	return j;
}

int
qp_update(struct qp_enc *q, const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	struct qp_sink k;
	size_t i, r;

	k.out = out;
	k.n = 0;
	k.rc = 0;
	for (i = 0; i < len && k.rc == 0;) {
		if (q->ws == 0 && !q->cr && q->nu == 0 &&
		    (r = qp_run(q, p + i, len - i)) > 0) {
			qp_put(&k, (const char *)p + i, r);
			q->col += r;
			q->at_bol = 0;
			i += r;
			continue;
		}
		qp_byte(q, p[i++], &k);
	}
	qp_flush_sink(&k);
	return k.rc;
}

int
qp_final(struct qp_enc *q, struct buf *out)
{
	struct qp_sink k;
	int bol;

	k.out = out;
	k.n = 0;
	k.rc = 0;
	if (q->cr)
		qp_lone_cr(q, &k);
	qp_flush_seq(q, &k);
	qp_flush_ws(q, 1, &k);
	qp_flush_sink(&k);
	bol = q->at_bol;
	qp_init(q);
	q->at_bol = bol;
	return k.rc;
}
