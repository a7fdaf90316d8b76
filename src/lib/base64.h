/*
 * base64.h - base64 (RFC 4648) for MIME bodies and SASL.
 *
 * Two shapes:
 *  - one-shot, unwrapped: b64_encode / b64_decode (SASL exchanges, tests);
 *  - streaming, line-wrapped for MIME (RFC 2045 6.8): 76 characters per
 *    line, each line ended by CRLF.  The encoder carries up to two input
 *    bytes and its column across calls, so any chunking of the input gives
 *    byte-identical output.
 *
 * Used error codes: SMTPC_ENOMEM, SMTPC_ELIMIT (the output buffer's
 * ceiling), SMTPC_EDATA (b64_decode: a character outside the alphabet,
 * bad padding, a length that is not a multiple of 4, or non-zero unused
 * bits).  On failure `out` is left as it was.
 */
#ifndef SMTPC_BASE64_H
#define SMTPC_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define B64_LINE	76	/* characters per line, without CRLF */

/* Append the unwrapped, padded encoding of `len` bytes to `out`. */
int b64_encode(const void *in, size_t len, struct buf *out);
/*
 * Append the decoded bytes of `len` base64 characters to `out`.  Strict:
 * no whitespace, padding only at the end, length a multiple of 4.  An
 * empty input decodes to nothing.
 */
int b64_decode(const char *in, size_t len, struct buf *out);

/* Streaming, line-wrapped encoder state.  Initialise with b64_wrap_init. */
struct b64_wrap {
	unsigned char carry[3];	/* input waiting for a full group */
	size_t ncarry;
	size_t col;		/* characters on the current output line */
};

void b64_wrap_init(struct b64_wrap *w);
/* Encode `len` more bytes, appending whole groups to `out`. */
int b64_wrap_update(struct b64_wrap *w, const void *in, size_t len,
    struct buf *out);
/*
 * Flush the carried bytes (with padding) and end the last line with CRLF.
 * Nothing is appended for an empty input.  The state is then reset.
 */
int b64_wrap_final(struct b64_wrap *w, struct buf *out);
/* Exact size of the wrapped encoding of `n` input bytes (CRLFs included). */
uint64_t b64_wrap_size(uint64_t n);

#endif
