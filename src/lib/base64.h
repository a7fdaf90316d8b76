/* SPDX-License-Identifier: ISC */
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
	size_t col;		/* characters on the current output line;
				   a full line is ended at once */
};

void b64_wrap_init(struct b64_wrap *w);
/* Encode `len` more bytes, appending whole groups to `out`. */
int b64_wrap_update(struct b64_wrap *w, const void *in, size_t len,
    struct buf *out);
/*
 * The same into memory the caller owns: exactly b64_wrap_update_size(w,
 * len) bytes are written at `out` (nothing past them is touched) and
 * their count returned.  `len` is at most SIZE_MAX / 2.
 */
size_t b64_wrap_encode(struct b64_wrap *w, const void *in, size_t len,
    void *out);
size_t b64_wrap_update_size(const struct b64_wrap *w, size_t len);
/*
 * Flush the carried bytes (with padding) and end the last line with CRLF.
 * Nothing is appended for an empty input.  The state is then reset.
 */
int b64_wrap_final(struct b64_wrap *w, struct buf *out);
/* Exact size of the wrapped encoding of `n` input bytes (CRLFs included). */
uint64_t b64_wrap_size(uint64_t n);

/*
 * Whole lines go to a kernel chosen once from the CPU's features: "avx2",
 * "ssse3" (x86) or "scalar".  All write the same bytes.
 */
/* The kernel in use. */
const char *b64_impl(void);
/* The i-th kernel this build has (usable here or not), NULL past the end. */
const char *b64_impl_name(size_t i);
/*
 * For the tests and the benchmark: use kernel `name` from now on, or the
 * automatic choice for "auto".  SMTPC_EINVAL when this build does not
 * have it or this CPU cannot run it.
 */
int b64_force_impl(const char *name);

#endif
