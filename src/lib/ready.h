/* SPDX-License-Identifier: ISC */
/*
 * ready.h - a ready RFC 5322 message loaded from a file descriptor
 * (smtpc_msg_load_fd): what sendmail-style callers hand over.
 *
 * The header is read when the message is loaded, checked line by line
 * (a field name of printable ASCII without ':', a colon on every line that
 * does not continue a field, no NUL, no line over 998 octets) and held in
 * memory, bounded by LIMIT_READY_HEADER bytes and LIMIT_READY_LINES lines.
 * Line ends become CRLF; Bcc, Resent-Bcc and Return-Path fields are left
 * out.  A first line "From " (an mbox separator) is dropped, as sendmail
 * does.  The body stays in the file: a regular file is read through once
 * at load time (lines checked, exact size counted, 8-bit bytes noticed)
 * and again while the message is sent, with pread(); a pipe is read once,
 * while the message is sent, so its size and 8-bit content are unknown
 * before and its bad lines found only then (the reader fails, see
 * smtpc.h).
 *
 * Fields added when the reader is made, before the message's own:
 * Date, From (the address given to smtpc_msg_set_from) and Message-ID
 * when the message has none; when it has any Resent- field, the Resent-
 * forms of those three instead, as Postfix's cleanup does (RFC 5322
 * 3.6.6: a resent block has its own date, author and ID).
 */
#ifndef SMTPC_READY_H
#define SMTPC_READY_H

#include <stddef.h>
#include <stdint.h>

#include "crlf.h"
#include "smtpc.h"

struct ready;
struct smtpc_reader;

void ready_free(struct ready *r);
/*
 * The address of the message's From field (Resent-From when the message
 * is resent), envelope form; NULL when it has none or it is not valid.
 */
const char *ready_sender(const struct ready *r);
/* 1 when a header line has a byte >= 0x80 (UTF-8: RFC 6532). */
int ready_header_8bit(const struct ready *r);
/* 1: the body has 8-bit bytes, 0: none, -1: unknown (a pipe). */
int ready_body_8bit(const struct ready *r);

/*
 * The reader's plan: the fields to add, the header, the blank line, and
 * the body as a WITEM_READY item.  Fails with SMTPC_EDATA when there is
 * neither a sender set nor a usable From field, with SMTPC_EINVAL when a
 * pipe was read by an earlier reader.
 */
int ready_plan(struct smtpc_reader *w, struct smtpc_error *err);
/* The body's size as the reader writes it: 1, or 0 when unknown. */
int ready_body_size(const struct ready *r, uint64_t *ret_size);
/* The filter state the body starts with (line number, a CR just read). */
void ready_body_start(const struct ready *r, struct crlf *c);
/*
 * Up to `cap` bytes of the body from offset `at` (the bytes the reader
 * has had so far); *ret_n 0 at its end.  SMTPC_EIO when it cannot be
 * read or a regular file changed size since it was loaded.
 */
int ready_body_read(struct ready *r, uint64_t at, unsigned char *buf,
    size_t cap, size_t *ret_n, struct smtpc_error *err);
/*
 * At the body's end, with `nread` bytes read and `nout` written: SMTPC_EIO
 * when a regular file's body differs from what was loaded.
 */
int ready_body_end(const struct ready *r, uint64_t nread, uint64_t nout,
    struct smtpc_error *err);

#endif
