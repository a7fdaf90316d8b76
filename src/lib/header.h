/* SPDX-License-Identifier: ISC */
/*
 * header.h - writing header fields: folding, RFC 2047 encoded-words,
 * RFC 2231 parameters, and refusal of values that would inject lines.
 *
 * A field is built with a folder: header_begin() writes "Name:", then
 * atoms are appended, each with the whitespace that precedes it; the
 * folder breaks the line (CRLF + that whitespace) before an atom that
 * would pass column 78, and refuses a line longer than 998 octets
 * (SMTPC_ELIMIT).  header_end() writes the CRLF.  On any failure the whole
 * field is removed from the output buffer again.
 *
 * Encoded-words are "=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=", whichever is
 * shorter for the run of text, at most 75 characters each, never splitting
 * a UTF-8 sequence.  Only the words that need it are encoded: words with
 * non-ASCII or control characters, or that look like an encoded-word.
 *
 * Used error codes: SMTPC_ENOMEM, SMTPC_ELIMIT, SMTPC_EDATA (checks).
 */
#ifndef SMTPC_HEADER_H
#define SMTPC_HEADER_H

#include <stddef.h>

#include "buf.h"
#include "smtpc.h"

#define HEADER_FOLD	78	/* fold before this column when possible */

struct hfold {
	struct buf *out;
	size_t start;		/* out->len when the field began */
	size_t col;		/* characters on the current line */
	int empty;		/* nothing written after "Name:" yet */
};

/*
 * Refuse a value (of a field called `name`, for the message) that holds
 * CR, LF or NUL ("header Subject contains a line break") or is not valid
 * UTF-8.  SMTPC_EDATA.
 */
int header_check_value(const char *name, const char *value, size_t len,
    struct smtpc_error *err);
/* A field name: 1-76 printable ASCII characters, no ':' or space. */
int header_check_name(const char *name, struct smtpc_error *err);
/* 1 when `s` is valid UTF-8 (overlongs, surrogates and > U+10FFFF refused). */
int header_utf8_valid(const void *s, size_t len);

int header_begin(struct hfold *f, struct buf *out, const char *name);
/* Append `atom` preceded by `sep` (spaces/tabs, may be empty: no fold). */
int header_atom(struct hfold *f, const char *sep, size_t seplen,
    const char *atom, size_t len);
int header_atom_str(struct hfold *f, const char *sep, const char *atom);
/*
 * Break the line here: the next atom's separator starts the continuation
 * line.  Nothing happens right after "Name:" or after a break.
 */
int header_fold(struct hfold *f);
int header_end(struct hfold *f);
/* Remove the field being built from the output (after a failure). */
void header_abort(struct hfold *f);

/*
 * Unstructured text (Subject and similar): words that need it become
 * encoded-words, the rest is written as is; folds between words.
 */
int header_text(struct hfold *f, const char *text, size_t len);
/*
 * A display name (RFC 5322 phrase), never folded inside but between two
 * encoded-words: ASCII as one unbroken piece (atoms as is, with specials
 * one quoted-string); a name that holds non-ASCII, a control character or
 * "=?", or is too long for a line, is encoded whole (phrase-safe Q
 * alphabet, or B).
 */
int header_phrase(struct hfold *f, const char *name, size_t len);
/*
 * "; attr=value": quoted when needed; RFC 2231 (attr*=UTF-8''%XX..., with
 * attr*0*= attr*1*= ... continuations) when the value is not ASCII, is
 * long, or holds "=?" (which readers would decode as an encoded-word).
 */
int header_param(struct hfold *f, const char *attr, const char *value);
/*
 * "; attr=\"value\"" always in the plain quoted form, for readers that
 * know no RFC 2231 (Content-Type name=).  The value must be printable
 * ASCII without "=?" (mime_ascii_name makes one): RFC 2047 5 allows no
 * encoded-word in a quoted-string.  SMTPC_EINTERNAL otherwise.
 */
int header_param_plain(struct hfold *f, const char *attr, const char *value);

/* A whole unstructured field: "Name: text" folded, with its CRLF. */
int header_write_text(struct buf *out, const char *name, const char *text);

#endif
