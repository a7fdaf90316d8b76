/* SPDX-License-Identifier: ISC */
/*
 * error.h - filling a struct smtpc_error.
 *
 * Every module reports failure the same way: return a negative SMTPC_E*
 * code and describe it in the caller's struct smtpc_error (which may be
 * NULL).  These helpers keep that to one line at the failure site.
 */
#ifndef SMTPC_ERROR_H
#define SMTPC_ERROR_H

#include "smtpc.h"

/*
 * Clear `err` and set code, stage (may be NULL) and a printf-style sentence.
 * Returns `code`, so a failure site can `return error_set(err, ...)`.
 */
int error_set(struct smtpc_error *err, int code, const char *stage,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Record the server's reply in `err`: code, enhanced status ("" if none) and
 * text.  The text is escaped (bytes outside printable ASCII become \xNN) and
 * cut to fit.  Call after error_set().
 */
void error_set_reply(struct smtpc_error *err, int reply_code,
    const char *enhanced, const char *text, size_t len);

/*
 * Escape `len` bytes of untrusted text into `out` (capacity `cap`, always
 * NUL-terminated): printable ASCII stays, everything else becomes \xNN.
 */
void error_escape(char *out, size_t cap, const char *text, size_t len);

/*
 * The sentence for errno `e`, written into `buf` (capacity `cap`) and
 * returned: strerror_r, because strerror() may share one buffer between
 * the threads of a program that runs a session in each.
 */
const char *error_strerror(int e, char *buf, size_t cap);

#endif
