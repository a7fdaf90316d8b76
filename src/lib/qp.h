/* SPDX-License-Identifier: ISC */
/*
 * qp.h - quoted-printable encoding (RFC 2045 6.7) for text bodies.
 *
 * The encoder is streaming: it keeps its column, one pending space or tab,
 * a CR waiting for its LF and a partial UTF-8 sequence across calls, so any
 * chunking of the input gives byte-identical output.  Output lines are at
 * most 76 characters (75 plus the soft-break '='), each ended by CRLF.
 *  - A line break in the input (CRLF or LF) becomes a hard CRLF; a lone CR
 *    is encoded as =0D.
 *  - A soft break never splits a UTF-8 sequence (nor an =XX triplet).
 *  - Whitespace before a hard break or at the end is encoded (=20, =09).
 *  - 'F' and '.' at the start of an output line are encoded (=46, =2E), so
 *    no line starts with "From " (mbox) or is a lone "." (SMTP end).
 *
 * Used error codes: SMTPC_ENOMEM, SMTPC_ELIMIT (the output buffer's
 * ceiling).  After a failure the state is undefined: start again.
 */
#ifndef SMTPC_QP_H
#define SMTPC_QP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define QP_LINE		76	/* characters per line, '=' included */

struct qp_enc {
	size_t col;		/* characters on the current output line */
	unsigned char ws;	/* pending space or tab, 0 if none */
	int cr;			/* a CR seen, its LF not yet */
	unsigned char u[4];	/* partial UTF-8 sequence */
	size_t nu;		/* bytes in u */
	size_t need;		/* bytes the sequence in u needs in all */
	int at_bol;		/* nothing written since a hard break */
};

void qp_init(struct qp_enc *q);
int qp_update(struct qp_enc *q, const void *in, size_t len,
    struct buf *out);
/*
 * Flush what is pending (a trailing space as =20).  No line break is
 * added: the output ends with CRLF exactly when the input ended with a
 * line break.  The state is then reset.
 */
int qp_final(struct qp_enc *q, struct buf *out);
/* 1 when the output so far ends a line (nothing written since a CRLF). */
int qp_at_bol(const struct qp_enc *q);

#endif
