/* SPDX-License-Identifier: ISC */
/*
 * crlf.h - passing text through unencoded: line ends made CRLF and lines
 * checked, across chunk edges.  The filter behind a loaded message's body
 * (ready.c) and message/rfc822 parts (RFC 2046 5.2.1: 7bit or 8bit, never
 * base64 or quoted-printable).
 *
 * A bare LF and a bare CR each become CRLF; a CR then an LF is one line
 * end, also when a chunk ends between them.  A CR is written out as CRLF
 * at once and the LF that may follow it is dropped, so no byte waits for
 * the next chunk.  The filter stops at a NUL byte, at a line longer than
 * LIMIT_HEADER_LINE (998) octets, and, when `only7` is set, at a byte of
 * 0x80 or more; `line` then names the line (counted from the number given
 * to crlf_init) and crlf_error says what went wrong.
 *
 * The same state counts without writing (out == NULL), so a source can be
 * measured and checked once (its exact size once normalised, whether it
 * has 8-bit bytes) and then streamed with the same result.
 */
#ifndef SMTPC_CRLF_H
#define SMTPC_CRLF_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc.h"

enum crlf_stop {
	CRLF_OK = 0,
	CRLF_NUL,		/* a NUL byte */
	CRLF_LONG,		/* a line over 998 octets */
	CRLF_8BIT,		/* an 8-bit byte while only7 is set */
};

struct crlf {
	uint64_t line;		/* the line being read */
	size_t col;		/* its octets so far */
	int cr;			/* the last byte was a CR (written as
				   CRLF already): an LF now ends nothing */
	int eight;		/* an 8-bit byte went through */
	int only7;		/* refuse 8-bit bytes */
	uint64_t out;		/* bytes produced (or counted) so far */
	unsigned char bad;	/* the byte that stopped the filter */
};

/* A filter whose first line is numbered `first_line`. */
void crlf_init(struct crlf *c, uint64_t first_line);
/*
 * Filter in[0..len) into out[0..room): takes input while its output fits
 * (a line end needs 2 bytes of room), sets *ret_used and *ret_put, and
 * returns CRLF_OK, or the reason it stopped at in[*ret_used] (which is
 * not taken).  With out NULL nothing is written and room is not a limit.
 */
enum crlf_stop crlf_run(struct crlf *c, const unsigned char *in, size_t len,
    size_t *ret_used, unsigned char *out, size_t room, size_t *ret_put);
/*
 * After the last byte: 2 when the last line lacks its line end (the
 * caller writes CRLF where the text must end with one), else 0.
 */
size_t crlf_unended(const struct crlf *c);
/*
 * Fill `err` for a stop: SMTPC_EDATA, "`what`, line N: ..." (`what` may
 * be NULL).  Returns SMTPC_EDATA.
 */
int crlf_error(const struct crlf *c, enum crlf_stop why, const char *what,
    struct smtpc_error *err);

#endif
