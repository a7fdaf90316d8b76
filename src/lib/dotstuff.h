/* SPDX-License-Identifier: ISC */
/*
 * dotstuff.h - the DATA filter (RFC 5321 4.5.2 and 2.3.8): line endings
 * normalised to CRLF (bare LF and bare CR each become CRLF, CRLF stays)
 * and a '.' doubled at the start of every line, streaming.
 *
 * State is kept across chunk edges: a CR ending one chunk and an LF
 * starting the next are one CRLF, and "start of line" survives the edge.
 * Any chunking of the same input gives the same output.
 *
 * Output grows by at most a factor of two plus 5 bytes (finish), so a
 * caller feeding chunks of n bytes needs an output ceiling of 2n + 5.
 *
 * For BDAT (RFC 3030), which has no end-of-data line, dotstuff_init_crlf()
 * gives the same filter without the dots: line endings normalised, no '.'
 * doubled, and finish adds only a missing final CRLF.
 *
 * Used error codes: SMTPC_ENOMEM, SMTPC_ELIMIT (from `out`).
 */
#ifndef SMTPC_DOTSTUFF_H
#define SMTPC_DOTSTUFF_H

#include <stddef.h>

#include "buf.h"

struct dotstuff {
	int bol;	/* at the start of a line */
	int cr;		/* a CR was seen and not yet written */
	int crlf_only;	/* BDAT: no dot-stuffing, no final ".\r\n" */
};

void dotstuff_init(struct dotstuff *d);
/* CRLF normalisation alone, for BDAT. */
void dotstuff_init_crlf(struct dotstuff *d);
/* Filter `len` bytes, appending the result to `out`. */
int dotstuff_push(struct dotstuff *d, const void *in, size_t len,
    struct buf *out);
/*
 * End the data: a CRLF if the data did not end with a line ending (an
 * empty body needs none), then the terminating ".\r\n" (not in CRLF-only
 * mode).  The state is then reset for another message, in the same mode.
 */
int dotstuff_finish(struct dotstuff *d, struct buf *out);

#endif
