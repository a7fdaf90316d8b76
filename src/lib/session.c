/*
 * session.c - the SMTP client core: replies and commands, the session's
 * state, opening (connect, greeting, EHLO/HELO, STARTTLS, then AUTH from
 * session_auth.c), QUIT, and the transaction driver that runs the
 * envelope (session_mail.c) and the message (session_body.c).
 *
 * Every step is blocking with its own absolute deadline (session.h); a
 * 421 at any step ends the session with a QUIT.  The server is hostile
 * input: replies are parsed strictly (reply.c), leftover bytes after a
 * final reply are a protocol error unless replies are pipelined, nothing
 * learnt before TLS is kept after it, and credentials never leave over a
 * connection without TLS unless the caller chose SMTPC_TLS_NONE.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base64.h"
#include "bounds.h"
#include "buf.h"
#include "conn.h"
#include "dotstuff.h"
#include "error.h"
#include "reply.h"
#include "sasl.h"
#include "session.h"
#include "session_int.h"

static const char *const session_state_names[] = {
	"INIT", "CONNECT", "GREETING", "EHLO", "HELO", "STARTTLS", "TLS",
	"AUTH", "READY", "MAIL", "DATA", "BODY", "DOT", "RSET", "QUIT",
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

static void
session_trace(struct smtpc_session *s, enum smtpc_trace_dir dir,
    const char *line, size_t len)
{
	char esc[LIMIT_REPLY_LINE * 4 + 1];
	size_t i;

	if (s->trace == NULL)
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
	s->trace(s->trace_user, dir, line, len);
}


void
session_info(struct smtpc_session *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (s->trace == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	session_trace(s, SMTPC_TRACE_INFO, msg, strlen(msg));
}

/* The one place the state changes. */
void
session_set_state(struct smtpc_session *s, enum session_state next)
{
	if (s->state == next)
		return;
	session_info(s, "state %s -> %s", session_state_names[s->state],
	    session_state_names[next]);
	s->state = next;
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

/* Close the connection (no QUIT).  The session cannot be reopened. */
static void
session_close(struct smtpc_session *s)
{
	if (s->conn != NULL)
		s->io->close(s->conn);
	s->conn = NULL;
	s->unanswered = 0;
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
		session_trace(s, SMTPC_TRACE_OUT, shown, strlen(shown));
	else
		session_trace(s, SMTPC_TRACE_OUT, buf_cstr(&s->cmd),
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
		session_trace(s, SMTPC_TRACE_IN, s->line, n);
		if ((rc = reply_push(&s->reply, s->line, n, &done, err)) != 0) {
			session_stage(err, stage);
			return rc;
		}
	}
	if (s->reply.code == 421) {
		/* RFC 5321 3.8: QUIT where the connection still allows. */
		s->closing = 1;
		return session_fail_reply(s, SMTPC_ETEMP, stage, err,
		    "server is closing the connection");
	}
	if (!more && s->io->pending(s->conn) > 0)
		return error_set(err, SMTPC_EPROTO, stage,
		    "server sent unexpected data after its reply");
	return 0;
}

/*
 * Opening: connect, TLS, greeting, EHLO, STARTTLS, AUTH.
 */

static int
session_tls(struct smtpc_session *s, struct smtpc_error *err)
{
	struct conn_tls_cfg cfg;
	int rc;

	session_set_state(s, SESSION_TLS);
	cfg.host = s->host;
	cfg.cafile = s->cafile;
	cfg.insecure = s->insecure;
	cfg.pin_sha256 = s->have_pin ? s->pin : NULL;
	cfg.cert_file = s->cert_file;
	cfg.key_file = s->key_file;
	cfg.cache = s->tls_cache;
	cfg.trace = s->trace;
	cfg.trace_user = s->trace_user;
	rc = s->io->start_tls(s->conn, &cfg, session_deadline(s,
	    SESSION_T_TLS), err);
	if (rc != 0) {
		session_stage(err, "TLS");
		return rc;
	}
	if (s->io->tls_info(s->conn, &s->tls_info) == 0) {
		s->have_tls_info = 1;
		session_info(s, "TLS %s %s, certificate %s (SHA256 %s)",
		    s->tls_info.version, s->tls_info.cipher,
		    !s->tls_info.verified ? "NOT verified" : s->have_pin ?
		    "matches the pin" : "verified", s->tls_info.sha256);
	}
	return 0;
}

static int
session_ehlo(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	session_set_state(s, SESSION_EHLO);
	reply_caps_reset(&s->caps);
	if ((rc = session_cmd(s, err, "EHLO %s", s->helo)) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_CMD, "EHLO", err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_CMD, 0, "EHLO", err)) != 0)
		return rc;
	if (s->reply.code == 250)
		return reply_caps_parse(&s->caps, &s->reply, err);
	if (reply_class(&s->reply) != 5)
		return session_fail_reply(s, session_code_of(s->reply.code),
		    "EHLO", err, "server refused EHLO");
	/* RFC 5321 3.2: an old server; no extensions then. */
	session_set_state(s, SESSION_HELO);
	if ((rc = session_cmd(s, err, "HELO %s", s->helo)) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_CMD, "EHLO", err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_CMD, 0, "EHLO", err)) != 0)
		return rc;
	if (s->reply.code != 250) {
		s->soft = 1;
		return session_fail_reply(s, session_code_of(s->reply.code),
		    "EHLO", err, "server refused both EHLO and HELO");
	}
	return 0;
}

static int
session_starttls(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	if (!(s->caps.flags & REPLY_CAP_STARTTLS)) {
		s->soft = 1;
		return error_set(err, SMTPC_ENOSTARTTLS, "STARTTLS",
		    "server does not offer STARTTLS; refusing to continue "
		    "without TLS");
	}
	session_set_state(s, SESSION_STARTTLS);
	if ((rc = session_cmd(s, err, "STARTTLS")) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_CMD, "STARTTLS",
	    err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_CMD, 1, "STARTTLS", err)) != 0)
		return rc;
	if (s->reply.code != 220) {
		s->soft = s->io->pending(s->conn) == 0;
		return session_fail_reply(s, reply_class(&s->reply) == 4 ?
		    SMTPC_ETEMP : SMTPC_ETLS, "STARTTLS", err,
		    "server refused STARTTLS");
	}
	/* RFC 3207 / curl test980: plaintext bytes must not ride into TLS. */
	if (s->io->pending(s->conn) > 0)
		return error_set(err, SMTPC_EPROTO, "STARTTLS",
		    "server sent data after its STARTTLS reply (possible "
		    "injection); refusing");
	if ((rc = session_tls(s, err)) != 0)
		return rc;
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	reply_caps_reset(&s->caps);
	return session_ehlo(s, err);
}

static int
session_open(struct smtpc_session *s, struct smtpc_error *err)
{
	char name[256];
	int rc;

	session_set_state(s, SESSION_CONNECT);
	if (s->helo == NULL && session_fqdn(name, sizeof(name)) == 0 &&
	    session_strdup(&s->helo, name) != 0)
		return error_set(err, SMTPC_ENOMEM, "EHLO", "out of memory");
	session_info(s, "connecting to %s port %u", s->host, s->port);
	rc = s->io->open(s->io_user, &s->conn, s->host, s->port,
	    session_deadline(s, SESSION_T_CONNECT), err);
	if (rc != 0) {
		s->conn = NULL;
		session_stage(err, "connect");
		return rc;
	}
	session_info(s, "connected to %s port %u", s->host, s->port);
	/* No name: the address we speak from, which the server sees anyway. */
	if (s->helo == NULL) {
		if (s->io->local_literal(s->conn, name, sizeof(name)) != 0 ||
		    !session_helo_ok(name))
			snprintf(name, sizeof(name), "localhost");
		if (session_strdup(&s->helo, name) != 0)
			return error_set(err, SMTPC_ENOMEM, "EHLO",
			    "out of memory");
	}
	if (s->tls == SMTPC_TLS_IMPLICIT && (rc = session_tls(s, err)) != 0)
		return rc;

	session_set_state(s, SESSION_GREETING);
	if ((rc = session_reply(s, SESSION_T_GREETING, 0, "greeting",
	    err)) != 0)
		return rc;
	if (s->reply.code != 220) {
		s->soft = reply_class(&s->reply) >= 4;
		return session_fail_reply(s, session_code_of(s->reply.code),
		    "greeting", err, "server refused the connection");
	}
	if ((rc = session_ehlo(s, err)) != 0)
		return rc;
	if (s->tls == SMTPC_TLS_STARTTLS &&
	    (rc = session_starttls(s, err)) != 0)
		return rc;
	if (s->user != NULL && (rc = session_auth(s, err)) != 0)
		return rc;
	/* Fail closed: no mail over a connection TLS should protect. */
	if (s->tls != SMTPC_TLS_NONE && !s->io->is_tls(s->conn))
		return error_set(err, SMTPC_EINSECURE, "TLS",
		    "the connection is not encrypted although TLS is "
		    "required; refusing");
	session_set_state(s, SESSION_READY);
	return 0;
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

/* Close after a failure, keeping the error for later calls. */
static int
session_break(struct smtpc_session *s, const struct smtpc_error *e,
    struct smtpc_error *err)
{
	s->fatal = *e;
	session_close(s);
	if (err != NULL)
		*err = *e;
	return e->code;
}

/* Repeat the error that broke the session, or say it is closed. */
static int
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
	struct smtpc_error e, ignored;
	int rc;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (s->state == SESSION_CLOSED)
		return session_closed(s, err);
	if (s->state != SESSION_INIT)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "session already opened");
	s->soft = 0;
	memset(&e, 0, sizeof(e));
	if ((rc = session_open(s, &e)) == 0)
		return 0;
	e.code = rc;
	/* A healthy connection is left politely; a broken one dropped. */
	if ((s->soft || s->closing) && s->conn != NULL)
		(void)session_quit(s, &ignored);
	return session_break(s, &e, err);
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

/*
 * Everything that can be refused before a byte is sent: arguments,
 * addresses, and what the message needs of the server.  *ret_utf8: MAIL
 * FROM must say SMTPUTF8.
 */
static int
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

static int
session_transaction(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, struct smtpc_error *err)
{
	size_t accepted = 0;
	int rc, utf8 = 0, chunking, data_sent;

	if ((rc = session_send_check(s, from, rcpts, nrcpts, read, flags,
	    &utf8, err)) != 0)
		return rc;
	if ((s->dsn_notify != 0 || s->dsn_ret != SMTPC_DSN_RET_DEFAULT ||
	    s->dsn_envid != NULL) && !session_uses_dsn(s))
		session_info(s, "server does not offer DSN; sending without "
		    "delivery status notification requests");
	chunking = (s->caps.flags & REPLY_CAP_CHUNKING) &&
	    !(flags & SMTPC_SEND_NO_CHUNKING);
	if ((rc = session_envelope(s, from, rcpts, nrcpts, utf8, flags,
	    !chunking, &accepted, &data_sent, err)) != 0)
		return rc;
	if (accepted == 0 || (s->nrefused > 0 &&
	    !(flags & SMTPC_SEND_ALLOW_PARTIAL))) {
		rc = session_fail_refused(s, accepted, err);
		session_abandon(s, accepted, data_sent);
		return rc;
	}

	if (chunking) {
		if ((rc = session_bdat(s, read, read_user, err)) != 0)
			return rc;
		goto final;
	}
	session_set_state(s, SESSION_DATA);
	if (!data_sent && ((rc = session_cmd(s, err, "DATA")) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_DATA, "DATA", err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_DATA, 0, "DATA", err)) != 0))
		return rc;
	if (s->reply.code != 354) {
		rc = session_fail_reply(s, session_code_of(s->reply.code),
		    "DATA", err, "server refused DATA");
		if (rc == SMTPC_EPROTO)
			return rc;
		s->soft = 1;
		session_rset(s);
		return rc;
	}
	if ((rc = session_body(s, read, read_user, err)) != 0)
		return rc;
final:

	session_set_state(s, SESSION_DOT);
	rc = session_reply(s, SESSION_T_DOT, 0, "message", err);
	if (rc == SMTPC_ECONN)
		return error_set(err, SMTPC_ECONN, "message",
		    "connection lost after the message was sent; the server "
		    "may have accepted it");
	if (rc == SMTPC_ETIMEOUT)
		return error_set(err, SMTPC_ETIMEOUT, "message",
		    "no reply after the message was sent; the server may "
		    "have accepted it");
	if (rc != 0)
		return rc;
	if (reply_class(&s->reply) != 2) {
		rc = session_fail_reply(s, session_code_of(s->reply.code),
		    "message", err, "server did not accept the message");
		s->soft = rc != SMTPC_EPROTO;
		return rc;
	}
	session_info(s, "message accepted for %zu of %zu recipients",
	    accepted, nrcpts);
	session_set_state(s, SESSION_READY);
	return 0;
}

int
smtpc_session_send(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, struct smtpc_error *err)
{
	struct smtpc_error e, ignored;
	int rc;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (s->state == SESSION_CLOSED || s->conn == NULL)
		return session_closed(s, err);
	if (s->state != SESSION_READY)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "session is not open");
	session_refusals_clear(s);
	s->soft = 0;
	memset(&e, 0, sizeof(e));
	rc = session_transaction(s, from ? from : "", rcpts, nrcpts, read,
	    read_user, flags, &e);
	s->msg_size = 0;
	if (rc == 0)
		return 0;
	e.code = rc;
	if (s->conn != NULL && s->closing)
		(void)session_quit(s, &ignored);
	if (s->conn != NULL && (s->state == SESSION_READY || s->soft)) {
		/*
		 * Refused before anything was sent (bad arguments), or a
		 * refusal that leaves the connection fit for another try.
		 */
		session_set_state(s, SESSION_READY);
		if (err != NULL)
			*err = e;
		return rc;
	}
	return session_break(s, &e, err);
}

int
smtpc_session_tls_info(const struct smtpc_session *s,
    struct smtpc_tls_info *out)
{
	if (s == NULL || out == NULL || !s->have_tls_info)
		return SMTPC_EINVAL;
	*out = s->tls_info;
	return 0;
}

const char *
smtpc_session_capabilities(const struct smtpc_session *s)
{
	return s ? buf_cstr(&s->caps.lines) : "";
}

const char *
smtpc_session_auth_mech(const struct smtpc_session *s)
{
	return s ? s->authed : NULL;
}
