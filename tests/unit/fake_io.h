/* SPDX-License-Identifier: ISC */
/*
 * fake_io.h - a scripted server for the session's unit tests, through the
 * session's network table (session_io): no socket, no TLS.
 *
 * The script is pairs of strings: what the client's line must start with
 * ("=" for an exact match, "" for the greeting at connect), and the reply
 * to write ("!TIMEOUT", "!CLOSE" for those events).  Every client line is
 * kept in the transcript; a line that does not match waits for nothing.
 */
#ifndef SMTPC_TEST_FAKE_IO_H
#define SMTPC_TEST_FAKE_IO_H

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "session.h"

struct fake {
	const char *const *script;
	size_t pos;
	struct buf in;		/* server bytes not yet read */
	struct buf out;		/* client bytes not yet turned into lines */
	struct buf transcript;
	struct buf trace;
	int tls;
	int timeout;
	unsigned port;
	int closed;
	int greet;		/* the greeting is due at the first read */
	int tls_broken;
	size_t flushes;		/* writes that reached the server */
	size_t max_batch;	/* most lines seen in one flush */
	int64_t deadlines[64];	/* of each read_line, in order */
	size_t ndeadlines;
};

static void
fake_deliver(struct fake *f)
{
	const char *r = f->script[f->pos + 1];

	f->pos += 2;
	if (strcmp(r, "!TIMEOUT") == 0)
		f->timeout = 1;
	else if (strcmp(r, "!CLOSE") != 0)
		buf_append_str(&f->in, r);
}

static int
fake_match(const char *expect, const char *line)
{
	if (expect[0] == '=')
		return strcmp(expect + 1, line) == 0;
	return strncmp(expect, line, strlen(expect)) == 0;
}

static int
fake_open(void *user, struct conn **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = user;

	f->port = port;
	f->closed = 0;
	/* Sent at the first read, so implicit TLS sees an empty buffer. */
	f->greet = f->script[f->pos] != NULL && f->script[f->pos][0] == '\0';
	*ret = (struct conn *)f;
	return 0;
}

static size_t
fake_pending(const struct conn *c)
{
	return ((const struct fake *)c)->in.len;
}

static int
fake_start_tls(struct conn *c, const struct conn_tls_cfg *cfg, int64_t deadline,
    struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;

	if (f->in.len > 0)
		return error_set(err, SMTPC_EPROTO, "TLS", "bytes before TLS");
	f->tls = !f->tls_broken;
	buf_append_str(&f->transcript, "<TLS>\n");
	return 0;
}

static int
fake_read_line(struct conn *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;
	const char *nl;
	size_t n;

	if (f->greet) {
		f->greet = 0;
		fake_deliver(f);
	}
	if (f->ndeadlines < sizeof(f->deadlines) / sizeof(f->deadlines[0]))
		f->deadlines[f->ndeadlines++] = deadline;
	nl = f->in.len ? memchr(f->in.data, '\n', f->in.len) : NULL;
	if (nl == NULL) {
		if (f->timeout)
			return error_set(err, SMTPC_ETIMEOUT, NULL, "timeout");
		return error_set(err, SMTPC_ECONN, NULL, "closed");
	}
	n = (size_t)(nl - (const char *)f->in.data);
	if (n + 1 > cap)
		return error_set(err, SMTPC_ELIMIT, NULL, "too long");
	memcpy(out, f->in.data, n);
	buf_consume(&f->in, n + 1);
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

static int
fake_write(struct conn *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;

	buf_append(&f->out, data, len);
	return 0;
}

/* The server reads what was flushed, line by line, and answers. */
static int
fake_flush(struct conn *c, int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;
	char line[2048];
	const char *p, *start;
	size_t n, off = 0, batch = 0;

	/* One consume at the end: megabytes of BDAT stay linear. */
	while (off < f->out.len && (p = memchr(f->out.data + off, '\n',
	    f->out.len - off)) != NULL) {
		start = (const char *)f->out.data + off;
		n = (size_t)(p - start);
		off += n + 1;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, start, n);
		line[n] = '\0';
		buf_append_str(&f->transcript, line);
		buf_append_byte(&f->transcript, '\n');
		if (f->script[f->pos] != NULL &&
		    fake_match(f->script[f->pos], line))
			fake_deliver(f);
		batch++;
	}
	buf_consume(&f->out, off);
	if (batch > 0)
		f->flushes++;
	if (batch > f->max_batch)
		f->max_batch = batch;
	return 0;
}

static int
fake_is_tls(const struct conn *c)
{
	return ((const struct fake *)c)->tls;
}

static int
fake_tls_info(const struct conn *c, struct smtpc_tls_info *out)
{
	if (!fake_is_tls(c))
		return SMTPC_EINVAL;
	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "TLSv1.3");
	out->verified = 1;
	return 0;
}

static void
fake_close(struct conn *c)
{
	struct fake *f = (struct fake *)c;

	/* What was queued or unread dies with the connection. */
	buf_reset(&f->out);
	buf_reset(&f->in);
	f->closed = 1;
}

static int64_t
fake_now(void)
{
	static int64_t clock_ms;

	/* A second passes at every look at the clock. */
	return clock_ms += 1000;
}

/* Our end of the connection, as conn_local_literal() says it. */
static int
fake_local_literal(const struct conn *c, char *out, size_t cap)
{
	(void)c;
	snprintf(out, cap, "[192.0.2.25]");
	return 0;
}

/* A fake (zeroed by the caller) that plays `script`. */
static void
fake_init(struct fake *f, const char *const *script)
{
	f->script = script;
	buf_init(&f->in, 1 << 16);
	buf_init(&f->out, 1 << 22);
	buf_init(&f->transcript, 1 << 20);
	buf_init(&f->trace, 1 << 20);
}

static void
fake_free(struct fake *f)
{
	buf_free(&f->in);
	buf_free(&f->out);
	buf_free(&f->transcript);
	buf_free(&f->trace);
}

static const struct session_io fake_io = {
	fake_open, fake_start_tls, fake_pending, fake_read_line, fake_write,
	fake_flush, fake_is_tls, fake_tls_info, fake_close, fake_now,
	fake_local_literal,
};

#endif
