/* SPDX-License-Identifier: ISC */
/*
 * buf.h - the bounded, growable byte buffer used everywhere inside libsmtpc.
 *
 * Invariants: a buf is initialised with buf_init() and a ceiling `max`;
 * `data` is NULL until the first append, then always NUL-terminated (the
 * NUL is not counted in `len`), and binary-safe.  An append that would pass
 * `max` or cannot allocate leaves the buffer unchanged and returns
 * SMTPC_ELIMIT or SMTPC_ENOMEM.  buf_free() releases; buf_wipe_free() also
 * overwrites the memory first (for secrets).  Growth of a buffer of up to
 * 64 KiB moves the contents to a new block and wipes the old one, so a
 * secret (a password, an AUTH line: all far smaller) never stays behind in
 * freed memory.
 */
#ifndef SMTPC_BUF_H
#define SMTPC_BUF_H

#include <stddef.h>

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_wipe_free(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_byte(struct buf *b, unsigned char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Room for `n` more bytes without copying them in: `*ret` points at the
 * end of the contents, where the caller writes up to `n` bytes and then
 * calls buf_commit with how many it wrote.  Errors as buf_append.
 */
int buf_prepare(struct buf *b, size_t n, unsigned char **ret);
/* Count `n` bytes written at the end after buf_prepare (n <= its size). */
void buf_commit(struct buf *b, size_t n);
/* Cut back to the first `len` bytes (len <= b->len): undoes appends. */
void buf_truncate(struct buf *b, size_t len);
/* Drop the first `n` bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* The contents as a C string ("" when empty; never NULL). */
const char *buf_cstr(const struct buf *b);
/* Hand the memory to the caller (free() it); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *ret_len);

#endif
