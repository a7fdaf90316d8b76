/* SPDX-License-Identifier: ISC */
/*
 * session.c - the SMTP client core: replies and commands, the session's
 * state and the events that show it, the one decision after a failure
 * (session_settle), QUIT, RSET and NOOP, and the transaction driver that
 * runs the envelope (session_mail.c) and the message (session_body.c);
 * opening a connection is session_open.c's.
 *
 * Every step is blocking with its own absolute deadline (session.h); a
 * 421 at any step ends the session with a QUIT.  The server is hostile
 * input: replies are parsed strictly (reply.c), leftover bytes after a
 * final reply are a protocol error unless replies are pipelined, nothing
 * learnt before TLS is kept after it, and credentials never leave over a
 * connection without TLS unless the caller chose SMTPC_TLS_NONE.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "session_int.h"

static const char *const session_state_names[] = {
	"INIT", "CONNECT", "GREETING", "EHLO", "HELO", "STARTTLS", "TLS",
	"AUTH", "READY", "MAIL", "DATA", "BODY", "DOT", "RSET", "NOOP", "QUIT",
	"CLOSED",
};

static_assert(sizeof(session_state_names) / sizeof(session_state_names[0]) ==
    SESSION_STATE__COUNT, "a name for every session state");

void
session_set_io(struct smtpc_session *s, const struct session_io *io,
    void *user)
{
	s->io = io;
	s->io_user = user;
}

/*
 * Small helpers.
 */

/* An event to the caller; its answer, for the events that can cancel. */
static int
session_event(struct smtpc_session *s, const struct smtpc_event *ev)
{
	if (s->event == NULL)
		return 0;
	return s->event(s->event_user, ev);
}

static void
session_trace(struct smtpc_session *s, enum smtpc_event_type type,
    const char *line, size_t len)
{
	struct smtpc_event ev;
	char esc[LIMIT_REPLY_LINE * 4 + 1];
	size_t i;

	if (s->event == NULL)
		return;
	/* Server bytes are untrusted: the callback only sees printable text. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c > 0x7e)
			break;
	}
	if (i < len && len < LIMIT_REPLY_LINE) {
		error_escape(esc, sizeof(esc), line, len);
		line = esc;
		len = strlen(esc);
	} else if (i < len) {
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.stage = s->cur_stage;
	ev.line = line;
	ev.len = len;
	(void)session_event(s, &ev);
}

void
session_info(struct smtpc_session *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (s->event == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	session_trace(s, SMTPC_EVENT_INFO, msg, strlen(msg));
}

/* Microseconds on the monotonic clock, for stage times. */
static int64_t
session_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The public stage a state belongs to; 0 for the idle states. */
static int
session_stage_of(enum session_state st, enum smtpc_stage *ret)
{
	static const struct {
		enum session_state state;
		enum smtpc_stage stage;
	} map[] = {
		{ SESSION_CONNECT, SMTPC_STAGE_CONNECT },
		{ SESSION_GREETING, SMTPC_STAGE_GREETING },
		{ SESSION_EHLO, SMTPC_STAGE_EHLO },
		{ SESSION_HELO, SMTPC_STAGE_EHLO },
		{ SESSION_STARTTLS, SMTPC_STAGE_STARTTLS },
		{ SESSION_TLS, SMTPC_STAGE_TLS },
		{ SESSION_AUTH, SMTPC_STAGE_AUTH },
		{ SESSION_MAIL, SMTPC_STAGE_ENVELOPE },
		{ SESSION_DATA, SMTPC_STAGE_DATA },
		{ SESSION_BODY, SMTPC_STAGE_MESSAGE },
		{ SESSION_DOT, SMTPC_STAGE_MESSAGE },
		{ SESSION_RSET, SMTPC_STAGE_RSET },
		{ SESSION_NOOP, SMTPC_STAGE_NOOP },
		{ SESSION_QUIT, SMTPC_STAGE_QUIT },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].state == st) {
			*ret = map[i].stage;
			return 1;
		}
	return 0;
}

/*
 * The time of the stage that ends now: into the send's result, or, while
 * opening, kept for the first send after the open.
 */
static void
session_stage_done(struct smtpc_session *s, int64_t now)
{
	if (!s->timing)
		return;
	if (s->res != NULL)
		result_add_time(s->res, s->cur_stage, now - s->stage_t0);
	else {
		s->open_usec[s->cur_stage] += now - s->stage_t0;
		s->have_open_usec = 1;
	}
	s->timing = 0;
}

/*
 * The one place the state changes.  Entering a new public stage ends the
 * timing of the last one and tells the caller, who may ask to stop: that
 * is kept in s->cancel for the next session_canceled().
 */
void
session_set_state(struct smtpc_session *s, enum session_state next)
{
	struct smtpc_event ev;
	enum smtpc_stage stage;
	int64_t now;

	if (s->state == next)
		return;
	session_info(s, "state %s -> %s", session_state_names[s->state],
	    session_state_names[next]);
	s->state = next;
	if (!session_stage_of(next, &stage)) {
		session_stage_done(s, session_usec());
		return;
	}
	if (s->timing && stage == s->cur_stage)
		return;
	now = session_usec();
	session_stage_done(s, now);
	s->cur_stage = stage;
	s->stage_t0 = now;
	s->timing = 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTPC_EVENT_STAGE;
	ev.stage = stage;
	if (session_event(s, &ev) != 0)
		s->cancel = 1;
}

/* Message bytes handed to the connection: counted, shown, cancellable. */
void
session_progress(struct smtpc_session *s, size_t n)
{
	struct smtpc_event ev;

	s->sent += n;
	if (s->res != NULL)
		result_add_bytes(s->res, n);
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTPC_EVENT_PROGRESS;
	ev.stage = SMTPC_STAGE_MESSAGE;
	ev.sent = s->sent;
	ev.total = s->msg_size;
	if (session_event(s, &ev) != 0)
		s->cancel = 1;
}

/* SMTPC_ECANCELED, once, when the caller asked to stop; else 0. */
int
session_canceled(struct smtpc_session *s, const char *stage,
    struct smtpc_error *err)
{
	if (!s->cancel)
		return 0;
	s->cancel = 0;
	return error_set(err, SMTPC_ECANCELED, stage,
	    "canceled by the program");
}

/* A failure's word on the connection; the most severe one stands. */
void
session_after(struct smtpc_session *s, enum session_after a)
{
	if (a > s->after)
		s->after = a;
}

int64_t
session_deadline(const struct smtpc_session *s, unsigned secs)
{
	int64_t d;

	if (s->timeout > 0)
		secs = s->timeout;
	d = s->io->now_ms() + (int64_t)secs * 1000;
	/* A server answering each step just in time must not multiply it. */
	if (s->stage_end != 0 && d > s->stage_end)
		d = s->stage_end;
	return d;
}

void
session_stage(struct smtpc_error *err, const char *stage)
{
	if (err != NULL)
		snprintf(err->stage, sizeof(err->stage), "%s", stage);
}

/* Close the connection (no QUIT); smtpc_session_open may open it again. */
static void
session_close(struct smtpc_session *s)
{
	if (s->conn != NULL)
		s->io->close(s->conn);
	s->conn = NULL;
	s->unanswered = 0;
	s->prewritten = 0;
	session_set_state(s, SESSION_CLOSED);
}

/* Fill err from the current reply: our sentence plus the server's words. */

int
session_fail_reply(struct smtpc_session *s, int code, const char *stage,
    struct smtpc_error *err, const char *fmt, ...)
{
	char msg[SMTPC_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(err, code, stage, "%s", msg);
	buf_reset(&s->tmp);
	(void)reply_text_oneline(&s->reply, &s->tmp);
	error_set_reply(err, s->reply.code, s->reply.enhanced,
	    buf_cstr(&s->tmp), s->tmp.len);
	return code;
}

/* The category a refusal falls in: 4xx try later, 5xx refused. */
int
session_code_of(int reply_code)
{
	if (reply_code >= 400 && reply_code < 500)
		return SMTPC_ETEMP;
	if (reply_code >= 500 && reply_code < 600)
		return SMTPC_EPERM;
	return SMTPC_EPROTO;
}

/*
 * Queue s->cmd plus CRLF; flush when `flush`.  `shown` replaces the
 * command in the trace (secrets); NULL shows it as is.
 */
int
session_send(struct smtpc_session *s, const char *shown, int flush,
    unsigned secs, const char *stage, struct smtpc_error *err)
{
	int64_t deadline = session_deadline(s, secs);
	int rc;

	if (shown != NULL)
		session_trace(s, SMTPC_EVENT_LINE_OUT, shown, strlen(shown));
	else
		session_trace(s, SMTPC_EVENT_LINE_OUT, buf_cstr(&s->cmd),
		    s->cmd.len);
	if ((rc = buf_append(&s->cmd, "\r\n", 2)) != 0)
		return error_set(err, rc, stage, "command too long");
	rc = s->io->write(s->conn, s->cmd.data, s->cmd.len, deadline, err);
	if (rc == 0 && flush)
		rc = s->io->flush(s->conn, deadline, err);
	if (rc != 0)
		session_stage(err, stage);
	return rc;
}

/* Build s->cmd from a format. */

int
session_cmd(struct smtpc_session *s, struct smtpc_error *err,
    const char *fmt, ...)
{
	/*
	 * The longest: MAIL FROM:<998-byte address> and its parameters
	 * (SESSION_PARAMS_MAX).
	 */
	char line[1024 + SESSION_PARAMS_MAX];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return error_set(err, SMTPC_EINTERNAL, NULL,
		    "command too long");
	buf_reset(&s->cmd);
	if ((rc = buf_append(&s->cmd, line, (size_t)n)) != 0)
		return error_set(err, rc, NULL, "cannot build a command");
	return 0;
}

/*
 * Read one complete reply into s->reply.  `more`: further replies may
 * already be buffered (pipelining), so leftover bytes are allowed.  A 421
 * ends the session whatever the stage (RFC 5321 3.8).
 */
int
session_reply(struct smtpc_session *s, unsigned secs, int more,
    const char *stage, struct smtpc_error *err)
{
	int64_t deadline = session_deadline(s, secs);
	size_t n;
	int rc, done = 0;

	reply_reset(&s->reply);
	while (!done) {
		rc = s->io->read_line(s->conn, s->line, sizeof(s->line), &n,
		    deadline, err);
		if (rc == SMTPC_ELIMIT)
			return error_set(err, SMTPC_EPROTO, stage,
			    "server sent a reply line longer than %d bytes",
			    LIMIT_REPLY_LINE - 1);
		if (rc != 0) {
			session_stage(err, stage);
			return rc;
		}
		session_trace(s, SMTPC_EVENT_LINE_IN, s->line, n);
		if ((rc = reply_push(&s->reply, s->line, n, &done, err)) != 0) {
			session_stage(err, stage);
			return rc;
		}
	}
	if (s->reply.code == 421) {
		/* RFC 5321 3.8: QUIT where the connection still allows. */
		session_after(s, SESSION_AFTER_QUIT);
		return session_fail_reply(s, SMTPC_ETEMP, stage, err,
		    "server is closing the connection");
	}
	if (!more && s->io->pending(s->conn) > 0)
		return error_set(err, SMTPC_EPROTO, stage,
		    "server sent unexpected data after its reply");
	return 0;
}

/* What a connection learnt, forgotten before the next one. */
static void
session_reset_connection(struct smtpc_session *s)
{
	reply_reset(&s->reply);
	reply_caps_reset(&s->caps);
	s->authed = NULL;
	s->have_tls_info = 0;
	memset(&s->tls_info, 0, sizeof(s->tls_info));
	memset(&s->fatal, 0, sizeof(s->fatal));
	s->unanswered = 0;
	s->prewritten = 0;
	s->stage_end = 0;
	s->cancel = 0;
	memset(s->open_usec, 0, sizeof(s->open_usec));
	s->have_open_usec = 0;
}

/*
 * Read the replies still owed to a pipelined window that a 421 cut
 * short, so that QUIT's own reply is not mistaken for one of them.  What
 * they say no longer matters (a 421 among them is expected), except a 354:
 * the server is then reading a message, which only hanging up ends.
 */
static int
session_skip_unanswered(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	for (; s->unanswered > 0; s->unanswered--) {
		rc = session_reply(s, SESSION_T_QUIT, 1, "QUIT", err);
		if (rc != 0 && s->reply.code != 421)
			return rc;
		if (s->reply.code == 354)
			return error_set(err, SMTPC_EPROTO, "QUIT",
			    "server took DATA after refusing the transaction");
	}
	return 0;
}

/* QUIT, wait for the reply, close; errors are the caller's to ignore. */
static int
session_quit(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	if (s->conn == NULL)
		return 0;
	session_set_state(s, SESSION_QUIT);
	if ((rc = session_skip_unanswered(s, err)) == 0 &&
	    (rc = session_cmd(s, err, "QUIT")) == 0 &&
	    (rc = session_send(s, NULL, 1, SESSION_T_QUIT, "QUIT",
	    err)) == 0 &&
	    (rc = session_reply(s, SESSION_T_QUIT, 1, "QUIT", err)) == 0 &&
	    reply_class(&s->reply) != 2)
		rc = session_fail_reply(s, SMTPC_EPROTO, "QUIT", err,
		    "unexpected reply to QUIT");
	session_close(s);
	return rc;
}

/*
 * The one decision after a failure: the failure sites said what the
 * connection can still do (session_after); here it is done.  `e` is the
 * failure, copied into `err` and, when the connection closes, kept for
 * the sends that follow.  Returns its code.
 */
int
session_settle(struct smtpc_session *s, struct smtpc_error *e,
    struct smtpc_error *err)
{
	struct smtpc_error ignored;
	enum session_after a = s->after;

	s->after = SESSION_AFTER_UNSET;
	if (a == SESSION_AFTER_UNSET || s->conn == NULL)
		a = SESSION_AFTER_DROP;
	if (a == SESSION_AFTER_RSET) {
		if (session_rset(s, &ignored) == 0)
			a = SESSION_AFTER_READY;
		else
			a = s->after == SESSION_AFTER_QUIT ?
			    SESSION_AFTER_QUIT : SESSION_AFTER_DROP;
		s->after = SESSION_AFTER_UNSET;
	}
	if (a == SESSION_AFTER_READY) {
		session_set_state(s, SESSION_READY);
	} else {
		if (a == SESSION_AFTER_QUIT)
			(void)session_quit(s, &ignored);
		session_close(s);
		s->fatal = *e;
	}
	if (err != NULL)
		*err = *e;
	return e->code;
}

/* Repeat the error that closed the session, or say it is closed. */
int
session_closed(const struct smtpc_session *s, struct smtpc_error *err)
{
	if (s->fatal.code == 0)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "session is not connected");
	if (err != NULL)
		*err = s->fatal;
	return s->fatal.code;
}

int
smtpc_session_open(struct smtpc_session *s, struct smtpc_error *err)
{
	struct smtpc_error e;
	int rc;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (s->state != SESSION_INIT && s->state != SESSION_CLOSED)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "session already opened");
	session_reset_connection(s);
	s->res = NULL;
	s->after = SESSION_AFTER_UNSET;
	memset(&e, 0, sizeof(e));
	if ((rc = session_open(s, &e)) == 0) {
		session_stage_done(s, session_usec());
		return 0;
	}
	e.code = rc;
	/* An open that failed never leaves a half-open session. */
	if (s->after < SESSION_AFTER_QUIT)
		s->after = SESSION_AFTER_DROP;
	return session_settle(s, &e, err);
}

int
smtpc_session_is_ready(const struct smtpc_session *s)
{
	return s != NULL && s->conn != NULL && s->state == SESSION_READY;
}

int
smtpc_session_quit(struct smtpc_session *s, struct smtpc_error *err)
{
	if (s == NULL)
		return 0;
	if (s->conn == NULL) {
		session_set_state(s, SESSION_CLOSED);
		return 0;
	}
	return session_quit(s, err);
}

/* RSET or NOOP on a ready session: 250 or the session closes. */
static int
session_simple(struct smtpc_session *s, enum session_state st,
    const char *verb, struct smtpc_error *err)
{
	struct smtpc_error e;
	int rc;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (!smtpc_session_is_ready(s))
		return s->state == SESSION_CLOSED ? session_closed(s, err) :
		    error_set(err, SMTPC_EINVAL, verb, "session is not open");
	memset(&e, 0, sizeof(e));
	s->after = SESSION_AFTER_UNSET;
	s->cancel = 0;
	s->res = NULL;
	session_set_state(s, st);
	if ((rc = session_cmd(s, &e, "%s", verb)) == 0 &&
	    (rc = session_send(s, NULL, 1, SESSION_T_CMD, verb, &e)) == 0 &&
	    (rc = session_reply(s, SESSION_T_CMD, 0, verb, &e)) == 0 &&
	    s->reply.code != 250)
		rc = session_fail_reply(s, s->reply.code == 421 ?
		    SMTPC_ETEMP : SMTPC_EPROTO, verb, &e,
		    "unexpected reply to %s", verb);
	if (rc == 0) {
		session_set_state(s, SESSION_READY);
		return 0;
	}
	e.code = rc;
	return session_settle(s, &e, err);
}

int
smtpc_session_reset(struct smtpc_session *s, struct smtpc_error *err)
{
	return session_simple(s, SESSION_RSET, "RSET", err);
}

int
smtpc_session_noop(struct smtpc_session *s, struct smtpc_error *err)
{
	return session_simple(s, SESSION_NOOP, "NOOP", err);
}

/*
 * Everything that can be refused before a byte is sent: arguments,
 * addresses, and what the message needs of the server.  *ret_utf8: MAIL
 * FROM must say SMTPUTF8.  Nothing is open on the server yet: a failure
 * here leaves the session ready.
 */
int
session_send_check(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    unsigned flags, int *ret_utf8, struct smtpc_error *err)
{
	size_t i;
	int rc, utf8 = 0;

	if (nrcpts == 0 || rcpts == NULL)
		return error_set(err, SMTPC_EINVAL, "MAIL FROM",
		    "no recipient");
	if (nrcpts > LIMIT_RECIPIENTS)
		return error_set(err, SMTPC_ELIMIT, "RCPT TO",
		    "more than %d recipients", LIMIT_RECIPIENTS);
	if (read == NULL)
		return error_set(err, SMTPC_EINVAL, "DATA", "no message body");
	if ((rc = session_addr_check(s, from, "MAIL FROM", &utf8, err)) != 0)
		return rc;
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i] == NULL || rcpts[i][0] == '\0')
			return error_set(err, SMTPC_EDATA, "RCPT TO",
			    "empty recipient address");
		if ((rc = session_addr_check(s, rcpts[i], "RCPT TO", &utf8,
		    err)) != 0)
			return rc;
	}

	/* RFC 6531: UTF-8 in the header needs SMTPUTF8 like the envelope. */
	if (flags & SMTPC_SEND_SMTPUTF8) {
		if (!(s->caps.flags & REPLY_CAP_SMTPUTF8))
			return error_set(err, SMTPC_EDATA, "MAIL FROM",
			    "the message has non-ASCII addresses (RFC 6532) "
			    "and the server does not offer SMTPUTF8; nothing "
			    "was sent");
		utf8 = 1;
	}
	if ((rc = session_check_size(s, err)) != 0)
		return rc;
	/* RFC 6152: 8-bit data only to a server that takes it. */
	if ((flags & SMTPC_SEND_8BIT) &&
	    !(s->caps.flags & REPLY_CAP_8BITMIME))
		return error_set(err, SMTPC_EDATA, "MAIL FROM",
		    "the message has 8-bit content and the server does not "
		    "offer 8BITMIME; not sending it (encode the body as "
		    "quoted-printable or base64)");
	*ret_utf8 = utf8;
	return 0;
}

/*
 * The reply to the end of the message.  `more`: the next message's
 * envelope was pipelined after it, so its replies may follow at once.
 */
int
session_final(struct smtpc_session *s, size_t accepted, size_t nrcpts,
    int more, struct smtpc_error *err)
{
	int rc;

	session_set_state(s, SESSION_DOT);
	rc = session_reply(s, SESSION_T_DOT, more, "message", err);
	if (rc == SMTPC_ECONN || rc == SMTPC_ETIMEOUT) {
		/* RFC 1047: it may have been delivered; never say it was not */
		s->maybe_delivered = 1;
		return error_set(err, rc, "message", rc == SMTPC_ECONN ?
		    "connection lost after the message was sent; the server "
		    "may have accepted it" : "no reply after the message was "
		    "sent; the server may have accepted it");
	}
	if (rc != 0)
		return rc;
	(void)result_set_final(s->res, s->reply.code, s->reply.enhanced,
	    buf_cstr(&s->reply.text), s->reply.text.len);
	if (reply_class(&s->reply) != 2) {
		rc = session_fail_reply(s, session_code_of(s->reply.code),
		    "message", err, "server did not accept the message");
		/* The transaction is over, whatever the answer. */
		if (rc != SMTPC_EPROTO)
			session_after(s, SESSION_AFTER_READY);
		return rc;
	}
	session_info(s, "message accepted for %zu of %zu recipients",
	    accepted, nrcpts);
	return 0;
}

/* DATA (when not pipelined with the envelope) and its 354. */
static int
session_data(struct smtpc_session *s, int data_sent, struct smtpc_error *err)
{
	int rc;

	session_set_state(s, SESSION_DATA);
	if (!data_sent && ((rc = session_cmd(s, err, "DATA")) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_DATA, "DATA", err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_DATA, 0, "DATA", err)) != 0))
		return rc;
	if (s->reply.code != 354) {
		rc = session_fail_reply(s, session_code_of(s->reply.code),
		    "DATA", err, "server refused DATA");
		if (rc != SMTPC_EPROTO)
			session_after(s, SESSION_AFTER_RSET);
		return rc;
	}
	return 0;
}

/*
 * `defer`: stop once the message is written (the end of its data not yet
 * flushed) and leave the final reply to the caller (session_batch.c);
 * *ret_accepted then says how many recipients took it.
 */
int
session_transaction(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, int defer, size_t *ret_accepted,
    struct smtpc_error *err)
{
	size_t accepted = 0;
	int rc, utf8 = 0, chunking, data_sent;

	if ((rc = session_send_check(s, from, rcpts, nrcpts, read, flags,
	    &utf8, err)) != 0) {
		session_after(s, SESSION_AFTER_READY);
		return rc;
	}
	if ((s->dsn_notify != 0 || s->dsn_ret != SMTPC_DSN_RET_DEFAULT ||
	    s->dsn_envid != NULL) && !session_uses_dsn(s))
		session_info(s, "server does not offer DSN; sending without "
		    "delivery status notification requests");
	chunking = (s->caps.flags & REPLY_CAP_CHUNKING) &&
	    !(flags & SMTPC_SEND_NO_CHUNKING);
	if ((rc = session_envelope(s, from, rcpts, nrcpts, utf8, flags,
	    !chunking, &accepted, &data_sent, err)) != 0)
		return rc;
	if (accepted == 0 || (session_refused_count(s) > 0 &&
	    !(flags & SMTPC_SEND_ALLOW_PARTIAL))) {
		rc = session_fail_refused(s, accepted, err);
		session_abandon(s, accepted, data_sent);
		return rc;
	}
	if (!chunking && (rc = session_data(s, data_sent, err)) != 0)
		return rc;
	rc = chunking ? session_bdat(s, read, read_user, err) :
	    session_body(s, read, read_user, err);
	if (rc != 0)
		return rc;
	if (defer) {
		*ret_accepted = accepted;
		return 0;
	}
	return session_final(s, accepted, nrcpts, 0, err);
}

/* The result of this send: emptied, then what is known before it. */
int
session_result_start(struct smtpc_session *s, struct smtpc_result *result,
    const char *from, const char *const *rcpts, size_t nrcpts)
{
	size_t i, idx;
	int e;

	s->res = result != NULL ? result : s->scratch;
	result_clear(s->res);
	if (result_set_from(s->res, from) != 0 ||
	    result_set_server(s->res, s->host, s->port,
	    s->have_tls_info ? s->tls_info.version : "",
	    s->have_tls_info ? s->tls_info.cipher : "",
	    s->authed != NULL ? s->authed : "") != 0)
		return SMTPC_ENOMEM;
	for (i = 0; rcpts != NULL && i < nrcpts && i < LIMIT_RECIPIENTS; i++)
		if (result_add_rcpt(s->res, rcpts[i] != NULL ? rcpts[i] : "",
		    &idx) != 0)
			return SMTPC_ENOMEM;
	result_set_size(s->res, s->msg_size);
	/* The first send after an open carries the open's times. */
	if (s->have_open_usec) {
		for (e = 0; e < RESULT_STAGES; e++)
			if (s->open_usec[e] > 0)
				result_add_time(s->res, (enum smtpc_stage)e,
				    s->open_usec[e]);
		memset(s->open_usec, 0, sizeof(s->open_usec));
		s->have_open_usec = 0;
	}
	return 0;
}

int
smtpc_session_send(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, struct smtpc_result *result,
    struct smtpc_error *err)
{
	struct smtpc_error e;
	int rc;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (result != NULL)
		result_clear(result);
	memset(&e, 0, sizeof(e));
	/* Not ready: the result says why as the error does. */
	if (!smtpc_session_is_ready(s)) {
		rc = s->state == SESSION_CLOSED || s->conn == NULL ?
		    session_closed(s, &e) : error_set(&e, SMTPC_EINVAL, NULL,
		    "session is not open");
		if (result != NULL)
			result_set_status(result, rc, &e, 0);
		if (err != NULL)
			*err = e;
		return rc;
	}
	s->after = SESSION_AFTER_UNSET;
	s->cancel = 0;		/* a word said during an earlier call */
	s->maybe_delivered = 0;
	s->sent = 0;
	if (session_result_start(s, result, from ? from : "", rcpts,
	    nrcpts) != 0)
		rc = error_set(&e, SMTPC_ENOMEM, NULL, "out of memory");
	else
		rc = session_transaction(s, from ? from : "", rcpts, nrcpts,
		    read, read_user, flags, 0, NULL, &e);
	s->msg_size = 0;
	if (rc == 0) {
		session_set_state(s, SESSION_READY);
		result_set_status(s->res, 0, NULL, 0);
		s->res = NULL;
		return 0;
	}
	e.code = rc;
	rc = session_settle(s, &e, err);
	session_stage_done(s, session_usec());
	result_set_status(s->res, rc, &e, s->maybe_delivered);
	s->res = NULL;
	return rc;
}
