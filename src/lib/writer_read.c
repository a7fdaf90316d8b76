/* SPDX-License-Identifier: ISC */
/*
 * writer_read.c - smtpc_reader_read: the planned message streamed, bodies
 * pulled from their sources through the encoders or the line filter.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "bounds.h"
#include "crlf.h"
#include "error.h"
#include "mime.h"
#include "qp.h"
#include "ready.h"
#include "writer.h"

/* Input bytes of a text body encoded per step (QP can triple them). */
#define WRITER_TEXT_STEP	(LIMIT_IO_CHUNK / 4)
/* A source is read this much at a time (at most). */
#define WRITER_FILE_CHUNK	LIMIT_IO_CHUNK
/* Less room than this in an empty buffer: read a full chunk anyway. */
#define WRITER_DIRECT_MIN	(16u * 1024)
#define WRITER_LINE_IN		57	/* input bytes of a 76-column line */

static void
writer_close(struct smtpc_reader *w)
{
	if (w->fd != -1) {
		close(w->fd);
		w->fd = -1;
	}
}

int
writer_fail(struct smtpc_reader *w, struct smtpc_error *err, int code,
    const char *what, const char *path, const char *why)
{
	struct smtpc_error e;

	error_set(&e, code, "message", "%s %s: %s", what, path, why);
	return writer_fail_with(w, err, &e);
}

int
writer_fail_with(struct smtpc_reader *w, struct smtpc_error *err,
    const struct smtpc_error *e)
{
	writer_close(w);
	w->ferr = *e;
	w->failed = e->code != 0 ? e->code : SMTPC_EINTERNAL;
	w->ferr.code = w->failed;
	if (err != NULL)
		*err = w->ferr;
	return w->failed;
}

static void
writer_next(struct smtpc_reader *w)
{
	w->cur++;
	w->started = 0;
	w->pos = 0;
}

/* Fill w->pend with the next encoded piece of a text body. */
static int
writer_step_text(struct smtpc_reader *w, const struct witem *it)
{
	const struct mime_text *t = it->text;
	size_t n;
	int rc;

	if (!w->started) {
		qp_init(&w->qp);
		b64_wrap_init(&w->b64);
		w->started = 1;
	}
	if (w->pos < t->data.len) {
		n = t->data.len - w->pos;
		if (n > WRITER_TEXT_STEP)
			n = WRITER_TEXT_STEP;
		if (t->enc == MIME_ENC_QP)
			rc = qp_update(&w->qp, t->data.data + w->pos, n,
			    &w->pend);
		else if (t->enc == MIME_ENC_BASE64)
			rc = b64_wrap_update(&w->b64, t->data.data + w->pos, n,
			    &w->pend);
		else
			rc = buf_append(&w->pend, t->data.data + w->pos, n);
		w->pos += n;
		return rc;
	}
	if (t->enc == MIME_ENC_QP)
		rc = qp_final(&w->qp, &w->pend);
	else if (t->enc == MIME_ENC_BASE64)
		rc = b64_wrap_final(&w->b64, &w->pend);
	else
		rc = 0;
	if (rc == 0 && it->top && t->data.len > 0 && !t->enc_ends_crlf)
		rc = buf_append_str(&w->pend, t->enc == MIME_ENC_QP ?
		    "=\r\n" : "\r\n");
	writer_next(w);
	return rc;
}

/* Make ready to read the source of a part. */
static int
writer_src_open(struct smtpc_reader *w, const struct mime_file *f,
    struct smtpc_error *err)
{
	struct stat st;
	char ebuf[128];

	w->nread = 0;
	if (f->src != MIME_SRC_PATH)
		return 0;
	if ((w->fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return writer_fail(w, err, SMTPC_ENOINPUT, "cannot open",
		    f->path, error_strerror(errno, ebuf, sizeof(ebuf)));
	if (fstat(w->fd, &st) == -1 || !S_ISREG(st.st_mode))
		return writer_fail(w, err, SMTPC_ENOINPUT, "cannot read",
		    f->path, "not a regular file any more");
	return 0;
}

/* The caller's callback: its error as it said, or a sentence of ours. */
static int
writer_src_callback(struct smtpc_reader *w, const struct mime_file *f,
    unsigned char *buf, size_t want, size_t *ret_n, struct smtpc_error *err)
{
	struct smtpc_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	*ret_n = 0;
	if ((rc = f->read(f->read_user, buf, want, ret_n, &e)) != 0) {
		if (rc > 0)
			rc = SMTPC_EIO;
		if (e.message[0] == '\0')
			error_set(&e, rc, "message", "the source of %s "
			    "failed: %s", f->label, smtpc_strerror(rc));
		e.code = rc;
		return writer_fail_with(w, err, &e);
	}
	if (*ret_n > want)
		return writer_fail(w, err, SMTPC_EINVAL, "the source of",
		    f->label, "gave more bytes than asked for");
	return 0;
}

/*
 * Up to `want` bytes of a part's source into buf (*ret_n 0 at its end),
 * checked against the size it had when added or declared.
 */
static int
writer_src_read(struct smtpc_reader *w, const struct mime_file *f,
    unsigned char *buf, size_t want, size_t *ret_n, struct smtpc_error *err)
{
	char ebuf[128];
	ssize_t n;
	size_t left;
	int rc;

	*ret_n = 0;
	switch (f->src) {
	case MIME_SRC_PATH:
		do
			n = read(w->fd, buf, want);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return writer_fail(w, err, SMTPC_EIO, "cannot read",
			    f->path, error_strerror(errno, ebuf,
			    sizeof(ebuf)));
		*ret_n = (size_t)n;
		break;
	case MIME_SRC_MEM:
		left = (size_t)(f->size - w->nread);
		*ret_n = want < left ? want : left;
		memcpy(buf, f->data + w->nread, *ret_n);
		break;
	case MIME_SRC_READ:
		if ((rc = writer_src_callback(w, f, buf, want, ret_n,
		    err)) != 0)
			return rc;
		break;
	}
	w->nread += *ret_n;
	if (f->size_known && (w->nread > f->size || (*ret_n == 0 &&
	    w->nread != f->size)))
		return writer_fail(w, err, SMTPC_EIO, f->src == MIME_SRC_PATH ?
		    "file" : "the source of", f->label, f->src ==
		    MIME_SRC_PATH ? "changed size since it was added" :
		    "gave another number of bytes than declared");
	return 0;
}

/*
 * Encode the source's next piece.  Whole lines that fit the caller's
 * buffer go straight there (*ret_put bytes), sparing a copy through
 * w->pend: 57 input bytes make 78 characters whatever the state (a full
 * line's worth of groups ends exactly one line), and fewer make no more.
 * One line more is read to fill the rest of the buffer through w->pend.
 * A small buffer from the start gets a full chunk through w->pend
 * instead, not many small reads.
 */
static int
writer_step_file(struct smtpc_reader *w, const struct witem *it,
    unsigned char *dst, size_t room, int topping, size_t *ret_put,
    struct smtpc_error *err)
{
	const struct mime_file *f = it->file;
	size_t want, ndirect, d, n;
	int rc;

	*ret_put = 0;
	if (!w->started) {
		if ((rc = writer_src_open(w, f, err)) != 0)
			return rc;
		b64_wrap_init(&w->b64);
		w->started = 1;
	}
	ndirect = room / (B64_LINE + 2) * WRITER_LINE_IN;
	want = ndirect + WRITER_LINE_IN;
	if (room < WRITER_DIRECT_MIN && !topping) {
		ndirect = 0;
		want = WRITER_FILE_CHUNK;
	}
	if (want > WRITER_FILE_CHUNK)
		want = WRITER_FILE_CHUNK;
	if ((rc = writer_src_read(w, f, w->chunk, want, &n, err)) != 0)
		return rc;
	rc = 0;
	d = n < ndirect ? n : ndirect;
	if (d > 0)
		*ret_put = b64_wrap_encode(&w->b64, w->chunk, d, dst);
	if (n > d)
		rc = b64_wrap_update(&w->b64, w->chunk + d, n - d, &w->pend);
	else if (n == 0) {
		rc = b64_wrap_final(&w->b64, &w->pend);
		writer_close(w);
		writer_next(w);
	}
	if (rc != 0)
		return writer_fail(w, err, rc, "cannot encode", f->label,
		    "out of memory");
	return 0;
}

/* The end of a filtered source: checks, and the last line's end. */
static int
writer_raw_end(struct smtpc_reader *w, const struct witem *it,
    struct smtpc_error *err)
{
	const struct mime_file *f = it->file;
	struct smtpc_error e;
	int rc;

	if (it->kind == WITEM_READY) {
		if ((rc = ready_body_end(w->msg->ready, w->nread,
		    w->lines.out, &e)) != 0)
			return writer_fail_with(w, err, &e);
	} else if (f->size_known && w->lines.out != f->out_size)
		return writer_fail(w, err, SMTPC_EIO, "the forwarded message",
		    f->label, "changed since it was added");
	/* The message's last line ends in CRLF, as SMTP needs it to. */
	if (it->top && crlf_unended(&w->lines) &&
	    (rc = buf_append(&w->pend, "\r\n", 2)) != 0)
		return writer_fail(w, err, rc, "cannot write", "the message",
		    "out of memory");
	writer_close(w);
	writer_next(w);
	return 0;
}

/*
 * A forwarded message or a loaded message's body: the source's bytes
 * through the line filter, into the caller's buffer; with room for less
 * than a line end, into w->pend.  Stops at the first bad line.
 */
static int
writer_step_raw(struct smtpc_reader *w, const struct witem *it,
    unsigned char *dst, size_t room, size_t *ret_put, struct smtpc_error *err)
{
	struct smtpc_error e;
	enum crlf_stop why;
	unsigned char *p;
	size_t n, used, put;
	int rc;

	*ret_put = 0;
	if (!w->started) {
		if (it->kind == WITEM_READY)
			ready_body_start(w->msg->ready, &w->lines);
		else {
			if ((rc = writer_src_open(w, it->file, err)) != 0)
				return rc;
			crlf_init(&w->lines, 1);
		}
		w->lines.only7 = w->only7;
		w->nread = 0;
		w->chunk_off = w->chunk_len = 0;
		w->src_eof = 0;
		w->started = 1;
	}
	if (w->chunk_off == w->chunk_len) {
		if (w->src_eof)
			return writer_raw_end(w, it, err);
		if (it->kind == WITEM_READY) {
			rc = ready_body_read(w->msg->ready, w->nread, w->chunk,
			    WRITER_FILE_CHUNK, &n, &e);
			if (rc != 0)
				return writer_fail_with(w, err, &e);
			w->nread += n;
		} else if ((rc = writer_src_read(w, it->file, w->chunk,
		    WRITER_FILE_CHUNK, &n, err)) != 0)
			return rc;
		w->chunk_off = 0;
		w->chunk_len = n;
		w->src_eof = n == 0;
		return 0;
	}
	if (room < 2) {
		if ((rc = buf_prepare(&w->pend, 2, &p)) != 0)
			return writer_fail(w, err, rc, "cannot write",
			    "the message", "out of memory");
		dst = p;
		room = 2;
	} else
		p = NULL;
	why = crlf_run(&w->lines, w->chunk + w->chunk_off, w->chunk_len -
	    w->chunk_off, &used, dst, room, &put);
	w->chunk_off += used;
	if (p != NULL)
		buf_commit(&w->pend, put);
	else
		*ret_put = put;
	if (why != CRLF_OK) {
		crlf_error(&w->lines, why, it->kind == WITEM_READY ? NULL :
		    it->file->label, &e);
		return writer_fail_with(w, err, &e);
	}
	return 0;
}

int
smtpc_reader_read(void *reader, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct smtpc_reader *w = reader;
	unsigned char *dst = buf;
	const struct witem *it;
	size_t done = 0, n;
	int rc;

	/* cap 0 would return 0 bytes, which means the end. */
	if (w == NULL || ret_len == NULL || buf == NULL || cap == 0)
		return error_set(err, SMTPC_EINVAL, "message",
		    "bad reader arguments");
	if (w->failed) {
		if (err != NULL)
			*err = w->ferr;
		return w->failed;
	}
	while (done < cap) {
		if (w->pend_off < w->pend.len) {
			n = w->pend.len - w->pend_off;
			if (n > cap - done)
				n = cap - done;
			memcpy(dst + done, w->pend.data + w->pend_off, n);
			w->pend_off += n;
			done += n;
			continue;
		}
		buf_reset(&w->pend);
		w->pend_off = 0;
		if (w->cur >= w->nitems)
			break;
		it = &w->items[w->cur];
		switch (it->kind) {
		case WITEM_MEM:
			n = it->len - w->pos;
			if (n > cap - done)
				n = cap - done;
			memcpy(dst + done, w->skel.data + it->off + w->pos, n);
			w->pos += n;
			done += n;
			if (w->pos == it->len)
				writer_next(w);
			break;
		case WITEM_TEXT:
			if ((rc = writer_step_text(w, it)) != 0)
				return writer_fail(w, err, rc, "cannot encode",
				    "the text", "out of memory");
			break;
		case WITEM_FILE:
			if ((rc = writer_step_file(w, it, dst + done,
			    cap - done, done > 0, &n, err)) != 0)
				return rc;
			done += n;
			break;
		case WITEM_RAW:
		case WITEM_READY:
			if ((rc = writer_step_raw(w, it, dst + done,
			    cap - done, &n, err)) != 0)
				return rc;
			done += n;
			break;
		}
	}
	*ret_len = done;
	return 0;
}
