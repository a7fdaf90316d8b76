/* SPDX-License-Identifier: ISC */
/*
 * ready.c - smtpc_msg_load_fd: a ready message's header read, checked and
 * held; recipients taken from it on request; its body measured (a regular
 * file) and fed to the reader.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "bounds.h"
#include "buf.h"
#include "crlf.h"
#include "error.h"
#include "mime.h"
#include "ready.h"
#include "writer.h"

/* Fields whose presence decides what is added. */
#define READY_DATE	0x1
#define READY_FROM	0x2
#define READY_MSGID	0x4
#define READY_RESENT	0x8	/* the Resent- form of the above */

enum ready_kind {
	READY_K_NONE = 0,
	READY_K_FROM,
	READY_K_TO,
	READY_K_CC,
	READY_K_BCC,
};

static const struct {
	const char *name;
	int drop;		/* not sent */
	enum ready_kind kind;
	unsigned seen;
} ready_fields[] = {
	{ "Bcc", 1, READY_K_BCC, 0 },
	{ "Cc", 0, READY_K_CC, 0 },
	{ "Date", 0, READY_K_NONE, READY_DATE },
	{ "From", 0, READY_K_FROM, READY_FROM },
	{ "Message-ID", 0, READY_K_NONE, READY_MSGID },
	{ "Resent-Bcc", 1, READY_K_BCC, READY_RESENT },
	{ "Resent-Cc", 0, READY_K_CC, READY_RESENT },
	{ "Resent-Date", 0, READY_K_NONE, READY_RESENT | READY_DATE },
	{ "Resent-From", 0, READY_K_FROM, READY_RESENT | READY_FROM },
	{ "Resent-Message-ID", 0, READY_K_NONE, READY_RESENT | READY_MSGID },
	{ "Resent-To", 0, READY_K_TO, READY_RESENT },
	/* RFC 5321 4.4: the final delivery adds it; none may be sent. */
	{ "Return-Path", 1, READY_K_NONE, 0 },
	{ "To", 0, READY_K_TO, 0 },
};

struct ready {
	int fd;			/* our duplicate of the caller's */
	int regular;		/* a regular file: pread, measured */
	off_t body_off;		/* regular: where the body starts */
	uint64_t body_in;	/* regular: its bytes at load time */
	uint64_t body_out;	/* ... filtered (without a last CRLF added) */
	size_t body_end;	/* ... 2: its last line lacks the line end */
	int body_eight;
	int hdr_eight;
	struct buf hdr;		/* the fields that go out, CRLF */
	char msgid[2][LIMIT_HEADER_LINE + 1];	/* Message-ID, Resent-...; */
	unsigned seen;		/* READY_* of the plain fields */
	unsigned rseen;		/* ... of the Resent- fields */
	int resent;		/* a Resent- field is present */
	struct addr sender;	/* From (Resent-From); spec NULL: none */
	int sender_bad;		/* ... it did not parse: */
	struct smtpc_error sender_err;
	unsigned char *pend;	/* a pipe: body read with the header */
	size_t npend;
	int start_cr;		/* the header ended in a CR */
	uint64_t body_line;	/* the number of the body's first line */
	uint64_t piped;		/* a pipe: body bytes read from it after pend */
};

/* An address field kept for recipients (SMTPC_LOAD_RECIPIENTS). */
struct ready_rcpt {
	enum ready_kind kind;
	int resent;
	uint64_t line;
	const char *name;
	char *value;		/* unfolded */
};

/* Loading: the header being parsed. */
struct ready_load {
	struct ready *r;
	struct smtpc_msg *m;
	unsigned flags;
	unsigned char line[LIMIT_HEADER_LINE];
	size_t len;		/* of the line being read, without its end */
	uint64_t lineno;	/* its number */
	int prev_cr;		/* a CR ended the last line */
	int done;		/* the blank line came */
	int field;		/* a field has begun */
	int drop;
	enum ready_kind kind;
	int kind_resent;
	const char *name;	/* its name as the table has it */
	uint64_t field_line;
	struct buf value;	/* its value, unfolded */
	struct ready_rcpt *rcpts;
	size_t nrcpts;
	char *from[2];		/* the first From, Resent-From values */
	uint64_t from_line[2];
};

void
ready_free(struct ready *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	buf_free(&r->hdr);
	addr_free(&r->sender);
	free(r->pend);
	free(r);
}

const char *
ready_sender(const struct ready *r)
{
	return r->sender.spec;
}

int
ready_header_8bit(const struct ready *r)
{
	return r->hdr_eight;
}

int
ready_body_8bit(const struct ready *r)
{
	return r->regular ? r->body_eight : -1;
}

/* Prefix err->message with "line N (Name): ". */
static int
ready_err_at(struct smtpc_error *err, int rc, uint64_t line,
    const char *name)
{
	char msg[sizeof(err->message)];

	if (err == NULL)
		return rc;
	if (snprintf(msg, sizeof(msg), "line %llu (%s): %s",
	    (unsigned long long)line, name, err->message) >= 0)
		memcpy(err->message, msg, sizeof(msg));
	err->code = rc;
	return rc;
}

/*
 * Read from the message: a regular file at `off` from where it started
 * (pread: the caller's offset is not moved), else the next bytes; waits
 * when a non-blocking pipe has none yet.
 */
static int
ready_src_read(const struct ready *r, off_t off, unsigned char *buf,
    size_t cap, size_t *ret_n, struct smtpc_error *err)
{
	struct pollfd pfd;
	char ebuf[128];
	ssize_t n;

	for (;;) {
		n = r->regular ? pread(r->fd, buf, cap, off) :
		    read(r->fd, buf, cap);
		if (n >= 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			pfd.fd = r->fd;
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, -1);
		} else if (errno != EINTR)
			return error_set(err, SMTPC_EIO, "message",
			    "cannot read the message: %s",
			    error_strerror(errno, ebuf, sizeof(ebuf)));
	}
	*ret_n = (size_t)n;
	return 0;
}

/* The end of a field: keep what the envelope needs of it. */
/* A Message-ID as the message has it, unfolded, without outer blanks. */
static void
ready_keep_msgid(char *out, size_t cap, const char *v)
{
	size_t n, o = 0;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (n = strlen(v); n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r' || v[n - 1] == '\n'); n--)
		;
	for (; n > 0 && o + 1 < cap; v++, n--)
		if (*v != '\r' && *v != '\n')
			out[o++] = *v;
	out[o] = '\0';
}

static int
ready_field_end(struct ready_load *L, struct smtpc_error *err)
{
	struct ready_rcpt *n;
	char *v;

	if (!L->field)
		return 0;
	L->field = 0;
	if (L->name != NULL && strstr(L->name, "Message-ID") != NULL &&
	    L->r->msgid[L->kind_resent][0] == '\0')
		ready_keep_msgid(L->r->msgid[L->kind_resent],
		    sizeof(L->r->msgid[0]), buf_cstr(&L->value));
	if (L->kind == READY_K_NONE || (L->kind != READY_K_FROM &&
	    !(L->flags & SMTPC_LOAD_RECIPIENTS)) ||
	    (L->kind == READY_K_FROM && L->from[L->kind_resent] != NULL))
		return 0;
	if ((v = strdup(buf_cstr(&L->value))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	if (L->kind == READY_K_FROM) {
		L->from[L->kind_resent] = v;
		L->from_line[L->kind_resent] = L->field_line;
		return 0;
	}
	if ((n = realloc(L->rcpts, (L->nrcpts + 1) * sizeof(*n))) == NULL) {
		free(v);
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	}
	L->rcpts = n;
	n[L->nrcpts].kind = L->kind;
	n[L->nrcpts].resent = L->kind_resent;
	n[L->nrcpts].line = L->field_line;
	n[L->nrcpts].name = L->name;
	n[L->nrcpts].value = v;
	L->nrcpts++;
	return 0;
}

/* The start of a field named p[0..k): what it is, whether it goes out. */
static void
ready_field_start(struct ready_load *L, const unsigned char *p, size_t k)
{
	size_t i;

	L->field = 1;
	L->drop = 0;
	L->kind = READY_K_NONE;
	L->kind_resent = 0;
	L->name = NULL;
	L->field_line = L->lineno;
	buf_reset(&L->value);
	if (k > 7 && strncasecmp((const char *)p, "Resent-", 7) == 0)
		L->r->resent = 1;
	for (i = 0; i < sizeof(ready_fields) / sizeof(ready_fields[0]); i++) {
		if (strlen(ready_fields[i].name) != k ||
		    strncasecmp(ready_fields[i].name, (const char *)p, k) != 0)
			continue;
		L->drop = ready_fields[i].drop;
		L->kind = ready_fields[i].kind;
		L->kind_resent = (ready_fields[i].seen & READY_RESENT) != 0;
		L->name = ready_fields[i].name;
		if (L->kind_resent)
			L->r->rseen |= ready_fields[i].seen;
		else
			L->r->seen |= ready_fields[i].seen;
		return;
	}
}

/* One line of the header, without its line end. */
static int
ready_line(struct ready_load *L, struct smtpc_error *err)
{
	const unsigned char *p = L->line;
	unsigned long long no = (unsigned long long)L->lineno;
	char shown[64];
	size_t len = L->len, n, k, i;
	int rc;

	if (len == 0) {
		L->done = 1;
		return ready_field_end(L, err);
	}
	if (L->lineno > LIMIT_READY_LINES)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "the header has more than %d lines", LIMIT_READY_LINES);
	/*
	 * An mbox separator ("From sender date"), as sendmail drops it; not
	 * "From : ..." (RFC 5322 4.5.8 allows spaces before the colon).
	 */
	if (L->lineno == 1 && len >= 5 && memcmp(p, "From ", 5) == 0) {
		for (n = 5; n < len && (p[n] == ' ' || p[n] == '\t'); n++)
			;
		if (n < len && p[n] != ':')
			return 0;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		if (!L->field)
			return error_set(err, SMTPC_EDATA, "message",
			    "line %llu: a continuation line before the first "
			    "header field", no);
	} else {
		if ((rc = ready_field_end(L, err)) != 0)
			return rc;
		for (n = 0; n < len && p[n] != ':'; n++)
			;
		if (n == len)
			return error_set(err, SMTPC_EDATA, "message",
			    "line %llu: not a header field (no ':') nor the "
			    "continuation of one; the body comes after an "
			    "empty line", no);
		/* RFC 5322 4.5.8 (obs-optional): spaces before the ':'. */
		for (k = n; k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'); k--)
			;
		for (i = 0; i < k; i++)
			if (p[i] <= 32 || p[i] >= 127)
				break;
		if (k == 0 || i < k) {
			error_escape(shown, sizeof(shown), (const char *)p,
			    k < 40 ? k : 40);
			return error_set(err, SMTPC_EDATA, "message",
			    "line %llu: the field name \"%s\" is empty or has "
			    "a character RFC 5322 does not allow (printable "
			    "ASCII only, no space or ':')", no, shown);
		}
		ready_field_start(L, p, k);
		p += n + 1;
		len -= n + 1;
	}
	if (buf_append(&L->value, p, len) != 0)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	if (L->drop)
		return 0;
	if (buf_append(&L->r->hdr, L->line, L->len) != 0 ||
	    buf_append(&L->r->hdr, "\r\n", 2) != 0)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	return 0;
}

/*
 * Feed in[0..len) to the header parser; *ret_used: bytes taken, fewer
 * than len when the header ended inside (the rest is body).
 */
static int
ready_push(struct ready_load *L, const unsigned char *in, size_t len,
    uint64_t before, size_t *ret_used, struct smtpc_error *err)
{
	unsigned long long no;
	size_t i;
	int rc;

	for (i = 0; i < len && !L->done; i++) {
		no = (unsigned long long)L->lineno;
		if (L->prev_cr && in[i] == '\n') {
			L->prev_cr = 0;
			continue;
		}
		L->prev_cr = 0;
		if (in[i] == '\r' || in[i] == '\n') {
			if (before + i + 1 > LIMIT_READY_HEADER)
				return error_set(err, SMTPC_ELIMIT, "message",
				    "the header is larger than %u bytes",
				    (unsigned)LIMIT_READY_HEADER);
			if ((rc = ready_line(L, err)) != 0)
				return rc;
			L->lineno++;
			L->len = 0;
			L->prev_cr = in[i] == '\r';
			continue;
		}
		if (in[i] == '\0')
			return error_set(err, SMTPC_EDATA, "message",
			    "line %llu: a NUL byte", no);
		if (L->len == LIMIT_HEADER_LINE)
			return error_set(err, SMTPC_EDATA, "message",
			    "line %llu: longer than %d octets (RFC 5322 "
			    "2.1.1)", no, LIMIT_HEADER_LINE);
		L->r->hdr_eight |= in[i] >= 0x80;
		L->line[L->len++] = in[i];
	}
	*ret_used = i;
	return 0;
}

/* The envelope sender the header gives, parsed now, failed later. */
static void
ready_take_sender(struct ready_load *L)
{
	struct ready *r = L->r;
	struct addr *list;
	const char *v = L->from[r->resent];
	size_t n, i;
	int rc;

	if (v == NULL)
		return;
	rc = addr_parse_list(v, LIMIT_RECIPIENTS, &list, &n, &r->sender_err);
	if (rc != 0) {
		r->sender_bad = 1;
		ready_err_at(&r->sender_err, rc, L->from_line[r->resent],
		    r->resent ? "Resent-From" : "From");
		return;
	}
	/* Several authors: the first stands for them (no Sender read). */
	r->sender = list[0];
	for (i = 1; i < n; i++)
		addr_free(&list[i]);
	free(list);
}

/*
 * The recipients of the header, as `sendmail -t`: Resent-To, Resent-Cc
 * and Resent-Bcc when the message has any of them, else To, Cc and Bcc
 * (Postfix's sendmail does the same; a resent message goes to its new
 * recipients only).  Groups give their members.
 */
static int
ready_take_rcpts(struct ready_load *L, struct smtpc_error *err)
{
	static const enum smtpc_rcpt_kind kinds[] = { SMTPC_RCPT_TO,
	    SMTPC_RCPT_TO, SMTPC_RCPT_TO, SMTPC_RCPT_CC, SMTPC_RCPT_BCC };
	struct addr *list;
	size_t i, k, n;
	int resent = 0, rc = 0;

	for (i = 0; i < L->nrcpts; i++)
		resent |= L->rcpts[i].resent;
	for (i = 0; i < L->nrcpts && rc == 0; i++) {
		if (L->rcpts[i].resent != resent)
			continue;
		rc = addr_parse_field(L->rcpts[i].value, LIMIT_RECIPIENTS -
		    L->m->nrcpts, &list, &n, err);
		if (rc != 0)
			return ready_err_at(err, rc, L->rcpts[i].line,
			    L->rcpts[i].name);
		for (k = 0; k < n && rc == 0; k++)
			rc = mime_rcpt_take(L->m, kinds[L->rcpts[i].kind],
			    &list[k], err);
		for (; k < n; k++)
			addr_free(&list[k]);
		free(list);
	}
	return rc;
}

/* Read a regular file's body once: lines checked, size and 8-bit known. */
static int
ready_scan_body(struct ready *r, struct smtpc_error *err)
{
	unsigned char *chunk;
	struct crlf c;
	enum crlf_stop why;
	size_t n, used;
	int rc = 0;

	if ((chunk = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	ready_body_start(r, &c);
	r->body_in = 0;
	for (;;) {
		if ((rc = ready_src_read(r, r->body_off + (off_t)r->body_in,
		    chunk, LIMIT_IO_CHUNK, &n, err)) != 0)
			break;
		if (n == 0)
			break;
		why = crlf_run(&c, chunk, n, &used, NULL, 0, NULL);
		if (why != CRLF_OK) {
			rc = crlf_error(&c, why, NULL, err);
			break;
		}
		r->body_in += n;
	}
	free(chunk);
	r->body_out = c.out;
	r->body_end = crlf_unended(&c);
	r->body_eight = c.eight;
	return rc;
}

/* Read and check the header; keep a pipe's first body bytes. */
static int
ready_load(struct ready_load *L, off_t start, struct smtpc_error *err)
{
	struct ready *r = L->r;
	unsigned char *chunk;
	uint64_t before = 0;
	size_t n, used = 0;
	int rc;

	if ((chunk = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	for (;;) {
		if ((rc = ready_src_read(r, start + (off_t)before, chunk,
		    LIMIT_IO_CHUNK, &n, err)) != 0)
			goto out;
		if (n == 0) {
			/* The end: a last line without its end is a line. */
			if (L->len > 0 && (rc = ready_line(L, err)) != 0)
				goto out;
			if (L->len > 0)
				L->lineno++;
			if ((rc = ready_field_end(L, err)) != 0)
				goto out;
			break;
		}
		if ((rc = ready_push(L, chunk, n, before, &used, err)) != 0)
			goto out;
		before += used;
		if (L->done) {
			if (!r->regular && used < n) {
				if ((r->pend = malloc(n - used)) == NULL) {
					rc = error_set(err, SMTPC_ENOMEM,
					    "message", "out of memory");
					goto out;
				}
				memcpy(r->pend, chunk + used, n - used);
				r->npend = n - used;
			}
			break;
		}
	}
	r->start_cr = L->prev_cr;
	r->body_line = L->lineno;
	r->body_off = start + (off_t)before;
out:
	free(chunk);
	return rc;
}

int
smtpc_msg_load_fd(struct smtpc_msg *m, int fd, unsigned flags,
    struct smtpc_error *err)
{
	struct ready_load L;
	struct ready *r;
	struct stat st;
	char ebuf[128];
	off_t start = 0;
	size_t i;
	int rc;

	if (m == NULL || fd < 0 || (flags & ~SMTPC_LOAD_RECIPIENTS) != 0)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message, a bad descriptor or unknown flags");
	if (m->ready != NULL || m->subject != NULL || m->nhdrs > 0 ||
	    m->text.set || m->html.set || m->nfiles > 0 || m->nreply_to > 0)
		return error_set(err, SMTPC_EINVAL, "message",
		    "only an empty message can be loaded (it has a subject, "
		    "fields, bodies or parts, or was loaded already)");
	if (fstat(fd, &st) == -1)
		return error_set(err, SMTPC_EIO, "message",
		    "cannot read the message: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	buf_init(&r->hdr, 2 * (size_t)LIMIT_READY_HEADER);
	if (S_ISREG(st.st_mode) && (start = lseek(fd, 0, SEEK_CUR)) != -1)
		r->regular = 1;
	if ((r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		ready_free(r);
		return error_set(err, SMTPC_EIO, "message",
		    "cannot keep the message's descriptor: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	}
	memset(&L, 0, sizeof(L));
	L.r = r;
	L.m = m;
	L.flags = flags;
	L.lineno = 1;
	buf_init(&L.value, LIMIT_READY_HEADER);
	/* The header's problems first, then the body's (as a pipe would). */
	if ((rc = ready_load(&L, r->regular ? start : 0, err)) == 0) {
		ready_take_sender(&L);
		if (flags & SMTPC_LOAD_RECIPIENTS)
			rc = ready_take_rcpts(&L, err);
	}
	if (rc == 0 && r->regular)
		rc = ready_scan_body(r, err);
	buf_free(&L.value);
	for (i = 0; i < L.nrcpts; i++)
		free(L.rcpts[i].value);
	free(L.rcpts);
	free(L.from[0]);
	free(L.from[1]);
	if (rc != 0) {
		ready_free(r);
		return rc;
	}
	m->ready = r;
	return 0;
}

int
ready_plan(struct smtpc_reader *w, struct smtpc_error *err)
{
	const struct smtpc_msg *m = w->msg;
	struct ready *r = m->ready;
	const struct addr *from = &m->from;
	const char *env, *dom, *pre = r->resent ? "Resent-" : "";
	unsigned seen = r->resent ? r->rseen : r->seen;
	char name[32];
	int rc;

	if (!r->regular && r->piped > 0)
		return error_set(err, SMTPC_EINVAL, "message",
		    "a message loaded from a pipe can be read once");
	if (!(seen & READY_FROM) && from->spec == NULL)
		return error_set(err, SMTPC_EDATA, "message",
		    "the message has no %sFrom field and no sender was given",
		    pre);
	if ((env = smtpc_msg_envelope_from(m)) == NULL) {
		if (r->sender_bad) {
			if (err != NULL)
				*err = r->sender_err;
			return r->sender_err.code;
		}
		return error_set(err, SMTPC_EDATA, "message",
		    "the message has no sender");
	}
	dom = strrchr(env, '@');
	snprintf(name, sizeof(name), "%sDate", pre);
	rc = seen & READY_DATE ? 0 : writer_date_field(w, name);
	snprintf(name, sizeof(name), "%sFrom", pre);
	if (rc == 0 && !(seen & READY_FROM))
		rc = writer_addr_field(w, name, &from, 1);
	snprintf(name, sizeof(name), "%sMessage-ID", pre);
	if (rc == 0 && !(seen & READY_MSGID))
		rc = writer_message_id_field(w, name, dom ? dom + 1 : NULL);
	else if (rc == 0)
		snprintf(w->message_id, sizeof(w->message_id), "%s",
		    r->msgid[r->resent]);
	if (rc == 0 && (rc = buf_append(&w->skel, r->hdr.data,
	    r->hdr.len)) == 0 && (rc = buf_append(&w->skel, "\r\n", 2)) == 0 &&
	    (rc = writer_mark(w, 0)) == 0)
		rc = writer_body_item(w, WITEM_READY, NULL, NULL, 1);
	if (rc == SMTPC_EINTERNAL)
		return error_set(err, rc, "message",
		    "no random bytes for the Message-ID");
	if (rc != 0)
		return error_set(err, rc, "message", rc == SMTPC_ELIMIT ?
		    "the From field is too long to be written" :
		    "out of memory");
	return 0;
}

int
ready_body_size(const struct ready *r, uint64_t *ret_size)
{
	*ret_size = 0;
	if (!r->regular)
		return 0;
	*ret_size = r->body_out + r->body_end;
	return 1;
}

void
ready_body_start(const struct ready *r, struct crlf *c)
{
	crlf_init(c, r->body_line);
	c->cr = r->start_cr;
}

int
ready_body_read(struct ready *r, uint64_t at, unsigned char *buf,
    size_t cap, size_t *ret_n, struct smtpc_error *err)
{
	size_t n;
	int rc;

	if (!r->regular && at < r->npend) {
		n = r->npend - (size_t)at;
		*ret_n = n < cap ? n : cap;
		memcpy(buf, r->pend + at, *ret_n);
		return 0;
	}
	/*
	 * A pipe gives its bytes once: readers may be made and freed (to
	 * check the message, to learn its size) until one reads past what
	 * the header load kept; from then on only that one may go on.
	 */
	if (!r->regular && at != r->npend + r->piped)
		return error_set(err, SMTPC_EINVAL, "message",
		    "a message loaded from a pipe can be read once");
	if ((rc = ready_src_read(r, r->body_off + (off_t)at, buf, cap,
	    ret_n, err)) != 0)
		return rc;
	if (!r->regular)
		r->piped += *ret_n;
	if (r->regular && (at + *ret_n > r->body_in ||
	    (*ret_n == 0 && at != r->body_in)))
		return error_set(err, SMTPC_EIO, "message",
		    "the message file changed size since it was loaded");
	return 0;
}

int
ready_body_end(const struct ready *r, uint64_t nread, uint64_t nout,
    struct smtpc_error *err)
{
	if (r->regular && (nread != r->body_in || nout != r->body_out))
		return error_set(err, SMTPC_EIO, "message",
		    "the message file changed since it was loaded");
	return 0;
}
