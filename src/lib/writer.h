/* SPDX-License-Identifier: ISC */
/*
 * writer.h - the message as a pull stream (smtpc_reader_*): headers,
 * MIME structure and bodies serialised on demand.  writer.c lays the
 * message out when the reader is made (the plan); writer_read.c streams
 * it; ready.c plans and feeds a loaded message.
 *
 * smtpc_reader_new() decides the structure, the boundaries, Message-ID and
 * Date, and lays out every header and boundary line in memory (a few KiB
 * per part).  Bodies are produced while reading: text from memory through
 * its encoder; parts from files (opened when their part starts, closed
 * when it ends), memory or the caller's callback, read in LIMIT_IO_CHUNK
 * pieces through the base64 encoder; forwarded messages (message/rfc822)
 * and a loaded message's body through the line filter (crlf.h).  Memory
 * is therefore bounded whatever the size of the sources.
 *
 * Structure, each level only when needed:
 *   multipart/mixed(
 *     multipart/alternative(text/plain,
 *       multipart/related(text/html, inline parts...)),
 *     attachments and forwarded messages...)
 * With a text body and no HTML, inline parts follow the text inside
 * multipart/mixed (Content-Disposition: inline).  No body and no parts:
 * an empty text/plain body.  A loaded message is its own header (fields
 * added or removed, see ready.h) and its body.
 *
 * The reader produces exactly smtpc_reader_size() bytes when that is
 * known, or fails with SMTPC_ENOINPUT / SMTPC_EIO (naming the source)
 * when a file has vanished, cannot be read, or changed size since it was
 * added, or a callback gave another size than it declared; with
 * SMTPC_EDATA (naming the line) when a forwarded or loaded message has a
 * NUL byte or a line over 998 octets.  Errors are sticky: once a read
 * failed, every later read fails the same way.
 */
#ifndef SMTPC_WRITER_H
#define SMTPC_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "base64.h"
#include "bounds.h"
#include "buf.h"
#include "crlf.h"
#include "mime.h"
#include "qp.h"
#include "smtpc.h"

/* Characters of a boundary; it starts with "=_" (never in QP or base64). */
#define WRITER_BOUNDARY_LEN	40

enum witem_kind {
	WITEM_MEM,		/* bytes of skel: headers, boundaries */
	WITEM_TEXT,		/* a text body from memory */
	WITEM_FILE,		/* a part's source, base64 */
	WITEM_RAW,		/* a forwarded message, through the filter */
	WITEM_READY,		/* a loaded message's body, the same way */
};

struct witem {
	enum witem_kind kind;
	size_t off, len;			/* WITEM_MEM */
	const struct mime_text *text;		/* WITEM_TEXT */
	int top;	/* the message's only part: end with a line break */
	const struct mime_file *file;		/* WITEM_FILE, WITEM_RAW */
};

struct smtpc_reader {
	const struct smtpc_msg *msg;
	char message_id[LIMIT_HEADER_LINE + 1];	/* as in the header */
	struct buf skel;
	struct witem *items;
	size_t nitems;
	size_t cur;		/* the item being produced */
	int started;		/* its encoder/source is set up */
	size_t pos;		/* WITEM_MEM / WITEM_TEXT: bytes done */
	int fd;
	uint64_t nread;		/* bytes of the item's source read */
	struct b64_wrap b64;
	struct qp_enc qp;
	struct crlf lines;	/* WITEM_RAW, WITEM_READY */
	struct buf pend;	/* encoded bytes not yet handed out */
	size_t pend_off;
	unsigned char *chunk;	/* source bytes read */
	size_t chunk_off;	/* WITEM_RAW, WITEM_READY: ... not filtered */
	size_t chunk_len;
	int src_eof;		/* the source said it has no more */
	int only7;		/* writer_set_7bit */
	uint64_t rng;		/* deterministic generator state */
	int seeded;
	int failed;		/* sticky error code */
	struct smtpc_error ferr;
	char **names;		/* name= of each part, while being built */
};

/*
 * Refuse 8-bit data: reading then fails with SMTPC_EDATA ("line N: an
 * 8-bit byte ...") at the first byte of 0x80 or more in a forwarded
 * message or a loaded message's body, before it is handed out.  For the
 * send path when the server does not offer 8BITMIME and
 * smtpc_msg_has_8bit() is not 0: the session then sends no final dot,
 * so nothing cut short is delivered.  Composed parts never have 8-bit
 * bytes (they are encoded).  Call before the first read.
 */
void writer_set_7bit(struct smtpc_reader *w);

/* Plan building, for writer.c and ready.c. */

/* Record that skel[from..len) is the next piece of the output. */
int writer_mark(struct smtpc_reader *w, size_t from);
/* The next piece is a body produced while reading. */
int writer_body_item(struct smtpc_reader *w, enum witem_kind kind,
    const struct mime_text *t, const struct mime_file *f, int top);
/* "NAME: <date>\r\n" into skel: the message's date (set) or now. */
int writer_date_field(struct smtpc_reader *w, const char *name);
/* "NAME: <random@domain>\r\n" into skel. */
int writer_message_id_field(struct smtpc_reader *w, const char *name,
    const char *domain);
/* A field of addresses, folded, into skel. */
int writer_addr_field(struct smtpc_reader *w, const char *name,
    const struct addr *const *list, size_t n);

/* Streaming, for writer_read.c. */

/* Fail the reader (sticky) with `code` and "what path: why". */
int writer_fail(struct smtpc_reader *w, struct smtpc_error *err, int code,
    const char *what, const char *path, const char *why);
/* Fail the reader (sticky) with the error in `e`. */
int writer_fail_with(struct smtpc_reader *w, struct smtpc_error *err,
    const struct smtpc_error *e);

#endif
