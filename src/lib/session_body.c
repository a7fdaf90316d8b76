/* SPDX-License-Identifier: ISC */
/*
 * session_body.c - the message itself: pulled from the caller's source in
 * chunks and sent with DATA (CRLF-normalised and dot-stuffed on the fly)
 * or in BDAT chunks (RFC 3030).
 */

#include <stdlib.h>

#include "bounds.h"
#include "dotstuff.h"
#include "error.h"
#include "session_int.h"

/*
 * One chunk of the body from the caller's source into `in`
 * (LIMIT_IO_CHUNK bytes); *ret_n == 0 at the end.  A failure of the source
 * is reported as the source said, in stage "message" unless it named one.
 */
static int
session_pull(smtpc_body_read_fn *read, void *read_user, unsigned char *in,
    size_t *ret_n, struct smtpc_error *err)
{
	int rc;

	*ret_n = 0;
	if ((rc = read(read_user, in, LIMIT_IO_CHUNK, ret_n, err)) != 0) {
		if (err != NULL && err->stage[0] == '\0')
			session_stage(err, "message");
		return rc;
	}
	if (*ret_n > LIMIT_IO_CHUNK)
		return error_set(err, SMTPC_EINTERNAL, "message",
		    "body reader returned more than asked");
	return 0;
}

int
session_body(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err)
{
	unsigned char *chunk;
	struct buf out;
	struct dotstuff ds;
	size_t n;
	int rc = 0;

	session_set_state(s, SESSION_BODY);
	/* The server waits for the message: only hanging up stops it now. */
	if ((rc = session_canceled(s, "message", err)) != 0)
		return rc;
	if ((chunk = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	buf_init(&out, 2 * LIMIT_IO_CHUNK + 5);
	dotstuff_init(&ds);
	for (;;) {
		/* On failure no final dot: a cut message is not delivered. */
		if ((rc = session_pull(read, read_user, chunk, &n, err)) != 0 ||
		    n == 0)
			break;
		buf_reset(&out);
		if ((rc = dotstuff_push(&ds, chunk, n, &out)) != 0) {
			error_set(err, rc, "message", "out of memory");
			break;
		}
		if ((rc = s->io->write(s->conn, out.data, out.len,
		    session_deadline(s, SESSION_T_BLOCK), err)) != 0) {
			session_stage(err, "message");
			break;
		}
		session_progress(s, n);
		/* No final dot after a cancel: the hang-up discards it. */
		if ((rc = session_canceled(s, "message", err)) != 0)
			break;
	}
	if (rc == 0) {
		buf_reset(&out);
		/* In a batch the next envelope joins the dot in one write. */
		if ((rc = dotstuff_finish(&ds, &out)) != 0 ||
		    (rc = s->io->write(s->conn, out.data, out.len,
		    session_deadline(s, SESSION_T_BLOCK), err)) != 0 ||
		    (!s->defer_flush && (rc = s->io->flush(s->conn,
		    session_deadline(s, SESSION_T_BLOCK), err)) != 0))
			session_stage(err, "message");
	}
	free(chunk);
	buf_free(&out);
	return rc;
}

/*
 * The body in BDAT chunks (RFC 3030): CRLF-normalised but not
 * dot-stuffed.  A chunk's size counts the normalised bytes, so each chunk
 * is normalised into its buffer before its BDAT line goes out.  Each
 * chunk but the LAST waits for its 250 (no BDAT pipelining: simple, and a
 * refusal stops the upload at once); the reply to the LAST one is read by
 * the caller like the reply to the final dot.
 */
int
session_bdat(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err)
{
	unsigned char *in;
	struct buf chunk;
	struct dotstuff ds;
	size_t n, len, off, part;
	int rc = 0, eof = 0, last;

	session_set_state(s, SESSION_BODY);
	/* No chunk has gone: RSET ends the transaction. */
	if ((rc = session_canceled(s, "message", err)) != 0) {
		session_after(s, SESSION_AFTER_RSET);
		return rc;
	}
	if ((in = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	buf_init(&chunk, SESSION_BDAT_CHUNK + 2 * LIMIT_IO_CHUNK + 5);
	dotstuff_init_crlf(&ds);
	for (;;) {
		while (!eof && chunk.len < SESSION_BDAT_CHUNK) {
			/* On failure no LAST chunk: nothing cut is sent. */
			/*
			 * The source failed between chunks: nothing of this
			 * chunk went out, and RSET ends the transaction.
			 */
			if ((rc = session_pull(read, read_user, in, &n,
			    err)) != 0) {
				session_after(s, SESSION_AFTER_RSET);
				goto out;
			}
			session_progress(s, n);
			/* Between chunks, nothing half-sent: RSET ends it. */
			if ((rc = session_canceled(s, "message", err)) != 0) {
				session_after(s, SESSION_AFTER_RSET);
				goto out;
			}
			if (n == 0) {
				eof = 1;
				rc = dotstuff_finish(&ds, &chunk);
			} else
				rc = dotstuff_push(&ds, in, n, &chunk);
			if (rc != 0) {
				error_set(err, rc, "message", "out of memory");
				goto out;
			}
		}
		len = chunk.len < SESSION_BDAT_CHUNK ? chunk.len :
		    SESSION_BDAT_CHUNK;
		last = eof && len == chunk.len;
		if ((rc = session_cmd(s, err, last ? "BDAT %zu LAST" :
		    "BDAT %zu", len)) != 0 ||
		    (rc = session_send(s, NULL, 0, SESSION_T_BLOCK, "BDAT",
		    err)) != 0)
			goto out;
		/* Each block of the chunk has its own deadline. */
		for (off = 0; off < len; off += part) {
			part = len - off < LIMIT_IO_CHUNK ? len - off :
			    LIMIT_IO_CHUNK;
			if ((rc = s->io->write(s->conn, chunk.data + off, part,
			    session_deadline(s, SESSION_T_BLOCK), err)) != 0) {
				session_stage(err, "message");
				goto out;
			}
		}
		if ((!last || !s->defer_flush) && (rc = s->io->flush(s->conn,
		    session_deadline(s, SESSION_T_BLOCK), err)) != 0) {
			session_stage(err, "message");
			goto out;
		}
		buf_consume(&chunk, len);
		if (last)
			break;
		if ((rc = session_reply(s, SESSION_T_BLOCK, 0, "BDAT",
		    err)) != 0)
			goto out;
		if (s->reply.code != 250) {
			rc = session_fail_reply(s, session_code_of(
			    s->reply.code), "BDAT", err,
			    "server refused a chunk of the message");
			/* RFC 3030 2: the transaction failed; reset. */
			if (rc != SMTPC_EPROTO)
				session_after(s, SESSION_AFTER_RSET);
			goto out;
		}
	}
out:
	free(in);
	buf_free(&chunk);
	return rc;
}
