/*
 * session.c - the SMTP client state machine: greeting, EHLO/HELO,
 * STARTTLS, AUTH, the mail transaction (pipelined when offered, with
 * SIZE, BODY=8BITMIME, SMTPUTF8 and DSN parameters), DATA with on-the-fly
 * dot-stuffing or BDAT chunks (CHUNKING), RSET and QUIT, and per-recipient
 * results.
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

#define SESSION_PASS_MAX	4096
#define SESSION_CMD_MAX		16384
#define SESSION_AUTH_STEPS	8
/* MAIL FROM parameters: SIZE, BODY, SMTPUTF8, RET, ENVID (100). */
#define SESSION_PARAMS_MAX	256
/* BDAT chunk size (RFC 3030): large, so the per-chunk wait is rare. */
#define SESSION_BDAT_CHUNK	(1024u * 1024)
/* RFC 3461 4.4: an ENVID is at most 100 characters. */
#define SESSION_ENVID_MAX	100

enum session_state {
	SESSION_INIT,
	SESSION_CONNECT,
	SESSION_GREETING,
	SESSION_EHLO,
	SESSION_HELO,
	SESSION_STARTTLS,
	SESSION_TLS,
	SESSION_AUTH,
	SESSION_READY,
	SESSION_MAIL,
	SESSION_DATA,
	SESSION_BODY,
	SESSION_DOT,
	SESSION_RSET,
	SESSION_QUIT,
	SESSION_CLOSED,
	SESSION_STATE__COUNT
};

static const char *const session_state_names[] = {
	"INIT", "CONNECT", "GREETING", "EHLO", "HELO", "STARTTLS", "TLS",
	"AUTH", "READY", "MAIL", "DATA", "BODY", "DOT", "RSET", "QUIT",
	"CLOSED",
};

static_assert(sizeof(session_state_names) / sizeof(session_state_names[0]) ==
    SESSION_STATE__COUNT, "a name for every session state");

struct session_refusal {
	struct smtpc_refusal pub;	/* points into the fields below */
	char *address;
	char enhanced[16];
	char *text;
};

struct smtpc_session {
	/* Configuration (copied). */
	char *host;
	unsigned port;
	enum smtpc_tls_mode tls;
	char *cafile;
	int insecure;
	char *helo;
	unsigned timeout;
	char *user;
	struct buf password;	/* the secret: a password or a token */
	unsigned secret_kind;	/* SASL_HAVE_PASSWORD or SASL_HAVE_TOKEN */
	char *auth_mech;
	unsigned char pin[32];	/* --tls-fingerprint (SHA-256) */
	int have_pin;
	char *cert_file;
	char *key_file;
	smtpc_trace_fn *trace;
	void *trace_user;

	const struct session_io *io;
	void *io_user;
	void *conn;

	enum session_state state;
	int soft;		/* the failure left the connection usable */
	struct reply reply;
	struct reply_caps caps;
	const char *authed;	/* mechanism name, static */
	struct smtpc_tls_info tls_info;
	int have_tls_info;

	struct buf cmd;		/* the command being sent */
	struct buf tmp;		/* reply text for errors */
	char line[LIMIT_REPLY_LINE];

	struct session_refusal **refused;	/* each entry its own block */
	size_t nrefused, refused_cap;
	uint64_t msg_size;	/* for SIZE=; 0: unknown (next send only) */
	/* DSN (RFC 3461) for every send; 0 / DEFAULT / NULL: not asked. */
	unsigned dsn_notify;
	enum smtpc_dsn_ret dsn_ret;
	char *dsn_envid;	/* already xtext-encoded */
	int closing;		/* the server said 421: QUIT, then close */
	size_t unanswered;	/* pipelined commands whose replies were
				   never read: QUIT skips them first */
	int64_t stage_end;	/* a stage of several exchanges (AUTH): one
				   deadline for all of them; 0: none */

	/* The error that broke the connection; later calls repeat it. */
	struct smtpc_error fatal;
};

/*
 * The network through conn.h.
 */

static int
session_conn_open(void *user, void **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	struct conn *c;
	int rc;

	if ((rc = conn_open(&c, host, port, deadline, err)) != 0)
		return rc;
	*ret = c;
	return 0;
}

static int
session_conn_start_tls(void *c, const struct conn_tls_cfg *cfg,
    int64_t deadline, struct smtpc_error *err)
{
	return conn_start_tls(c, cfg, deadline, err);
}

static size_t
session_conn_pending(const void *c)
{
	return conn_pending(c);
}

static int
session_conn_read_line(void *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err)
{
	return conn_read_line(c, out, cap, ret_len, deadline, err);
}

static int
session_conn_write(void *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err)
{
	return conn_write(c, data, len, deadline, err);
}

static int
session_conn_flush(void *c, int64_t deadline, struct smtpc_error *err)
{
	return conn_flush(c, deadline, err);
}

static int
session_conn_is_tls(const void *c)
{
	return conn_is_tls(c);
}

static int
session_conn_tls_info(const void *c, struct smtpc_tls_info *out)
{
	return conn_tls_info(c, out);
}

static void
session_conn_close(void *c)
{
	conn_close(c);
}

static int
session_conn_local_literal(const void *c, char *out, size_t cap)
{
	return conn_local_literal(c, out, cap);
}

const struct session_io session_io_conn = {
	session_conn_open, session_conn_start_tls, session_conn_pending,
	session_conn_read_line, session_conn_write, session_conn_flush,
	session_conn_is_tls, session_conn_tls_info, session_conn_close,
	conn_now_ms, session_conn_local_literal,
};

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

static void
session_info(struct smtpc_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
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
static void
session_set_state(struct smtpc_session *s, enum session_state next)
{
	if (s->state == next)
		return;
	session_info(s, "state %s -> %s", session_state_names[s->state],
	    session_state_names[next]);
	s->state = next;
}

static int64_t
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

static void
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
static int
session_fail_reply(struct smtpc_session *s, int code, const char *stage,
    struct smtpc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
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
static int
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
static int
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
static int
session_cmd(struct smtpc_session *s, struct smtpc_error *err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
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
static int
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
 * Configuration.
 */

/* A host name or address literal fit for EHLO (RFC 5321 4.1.1.1). */
static int
session_helo_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 255)
		return 0;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEFIPv:.") == n - 2;
	if (h[0] == '-' || h[0] == '.' || h[n - 1] == '-' || h[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* No control characters (CR, LF, NUL ... would inject commands). */
static int
session_text_ok(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t == 0x7f)
			return 0;
	return 1;
}

/*
 * The EHLO name when the caller gave none.  RFC 5321 2.3.5 and 4.1.4: a
 * fully qualified name, or an address literal when the host has none;
 * never a bare short name, which leaks the machine's name and which
 * servers refuse (Postfix's reject_non_fqdn_helo_hostname: 504).  A
 * dotted host name is one already; a short one gets the canonical name
 * /etc/hosts gives it (never a DNS query: this runs outside any
 * deadline).  0 with the name in `out`, or -1.
 */
static int
session_fqdn(char *out, size_t cap)
{
	unsigned char a[sizeof(struct in6_addr)];
	char name[256];

	if (conn_own_name(name, sizeof(name)) != 0)
		return -1;
	/* An address without brackets is no name (and no literal either). */
	if (!session_helo_ok(name) || name[0] == '[' ||
	    inet_pton(AF_INET, name, a) == 1 ||
	    (size_t)snprintf(out, cap, "%s", name) >= cap)
		return -1;
	return 0;
}

static int
session_strdup(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst == NULL ? SMTPC_ENOMEM : 0;
}

/* 64 hex digits, optionally with ':' between pairs, into 32 bytes. */
static int
session_parse_pin(const char *hex, unsigned char out[32])
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ':' && hi < 0 && n > 0 && hex[1] != '\0')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= 32)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

/* A file we must read later: say now, and name it, if we cannot. */
static int
session_readable(const char *path, const char *what, struct smtpc_error *err)
{
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return error_set(err, SMTPC_ENOINPUT, NULL,
		    "cannot read %s %.300s", what, path);
	fclose(fp);
	return 0;
}

/* The TLS and secret options that go together, checked before use. */
static int
session_check_auth_tls(const struct smtpc_server *cfg, unsigned char pin[32],
    int *have_pin, struct smtpc_error *err)
{
	int rc;

	if (cfg->password != NULL && cfg->oauth_token != NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "give a password or an OAuth token, not both");
	if (cfg->oauth_token != NULL && (cfg->user == NULL ||
	    strlen(cfg->oauth_token) > SESSION_PASS_MAX))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "an OAuth token needs a user and at most %d bytes",
		    SESSION_PASS_MAX);
	if (cfg->tls_fingerprint != NULL) {
		if (session_parse_pin(cfg->tls_fingerprint, pin) != 0)
			return error_set(err, SMTPC_EINVAL, NULL,
			    "the TLS fingerprint must be a SHA-256: 64 hex "
			    "digits, with or without ':'");
		*have_pin = 1;
	}
	if (cfg->key_file != NULL && cfg->cert_file == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "a client key needs its certificate");
	if (cfg->cert_file != NULL && (rc = session_readable(cfg->cert_file,
	    "client certificate", err)) != 0)
		return rc;
	if (cfg->key_file != NULL && (rc = session_readable(cfg->key_file,
	    "client key", err)) != 0)
		return rc;
	return 0;
}

int
smtpc_session_new(const struct smtpc_server *cfg,
    struct smtpc_session **ret, struct smtpc_error *err)
{
	struct smtpc_session *s;
	unsigned char pin[32];
	int rc, have_pin = 0;

	if (cfg == NULL || cfg->host == NULL || cfg->host[0] == '\0')
		return error_set(err, SMTPC_EINVAL, NULL, "no server host");
	if (!session_text_ok(cfg->host) || strchr(cfg->host, ' ') != NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid server host name");
	if (cfg->port > 65535)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid port %u", cfg->port);
	if (cfg->tls != SMTPC_TLS_STARTTLS && cfg->tls != SMTPC_TLS_IMPLICIT &&
	    cfg->tls != SMTPC_TLS_NONE)
		return error_set(err, SMTPC_EINVAL, NULL, "invalid TLS mode");
	if (cfg->helo != NULL && !session_helo_ok(cfg->helo))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid HELO name (a host name or [address] is needed)");
	if (cfg->user != NULL && (cfg->user[0] == '\0' ||
	    !session_text_ok(cfg->user)))
		return error_set(err, SMTPC_EINVAL, NULL, "invalid user name");
	/*
	 * A wrong --auth is the caller's to fix, not the server's: EINVAL
	 * here, ENOMECH only for what the server offers.
	 */
	if (cfg->auth_mech != NULL && sasl_find(cfg->auth_mech) == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "authentication mechanism %.64s is not supported",
		    session_text_ok(cfg->auth_mech) ? cfg->auth_mech : "?");
	/* A token in a password mechanism (or the reverse): say so now. */
	if (cfg->auth_mech != NULL && cfg->user != NULL &&
	    !(sasl_find(cfg->auth_mech)->secret & (cfg->oauth_token != NULL ?
	    SASL_HAVE_TOKEN : SASL_HAVE_PASSWORD)))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "%s needs %s", sasl_find(cfg->auth_mech)->name,
		    cfg->oauth_token != NULL ? "a password, not an OAuth token" :
		    "an OAuth token (--oauth-token-cmd)");
	if (cfg->password != NULL && strlen(cfg->password) > SESSION_PASS_MAX)
		return error_set(err, SMTPC_ELIMIT, NULL,
		    "password longer than %d bytes", SESSION_PASS_MAX);
	if ((rc = session_check_auth_tls(cfg, pin, &have_pin, err)) != 0)
		return rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	buf_init(&s->password, SESSION_PASS_MAX);
	buf_init(&s->cmd, SESSION_CMD_MAX);
	buf_init(&s->tmp, LIMIT_REPLY_TOTAL * 2);
	reply_init(&s->reply);
	reply_caps_init(&s->caps);
	s->io = &session_io_conn;
	s->state = SESSION_INIT;
	s->tls = cfg->tls;
	s->port = cfg->port;
	if (s->port == 0)
		s->port = cfg->tls == SMTPC_TLS_IMPLICIT ? 465 :
		    cfg->tls == SMTPC_TLS_NONE ? 25 : 587;
	s->insecure = cfg->insecure;
	s->timeout = cfg->timeout;
	s->trace = cfg->trace;
	s->trace_user = cfg->trace_user;
	if (session_strdup(&s->host, cfg->host) != 0 ||
	    session_strdup(&s->cafile, cfg->cafile) != 0 ||
	    session_strdup(&s->helo, cfg->helo) != 0 ||
	    session_strdup(&s->user, cfg->user) != 0 ||
	    session_strdup(&s->auth_mech, cfg->auth_mech) != 0 ||
	    session_strdup(&s->cert_file, cfg->cert_file) != 0 ||
	    session_strdup(&s->key_file, cfg->key_file) != 0 ||
	    (cfg->password != NULL &&
	    buf_append_str(&s->password, cfg->password) != 0) ||
	    (cfg->oauth_token != NULL &&
	    buf_append_str(&s->password, cfg->oauth_token) != 0)) {
		smtpc_session_free(s);
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	}
	s->secret_kind = cfg->oauth_token != NULL ? SASL_HAVE_TOKEN :
	    SASL_HAVE_PASSWORD;
	memcpy(s->pin, pin, sizeof(s->pin));
	s->have_pin = have_pin;
	OPENSSL_cleanse(pin, sizeof(pin));
	*ret = s;
	return 0;
}

static void
session_refusal_free(struct session_refusal *r)
{
	if (r == NULL)
		return;
	free(r->address);
	free(r->text);
	free(r);
}

static void
session_refusals_clear(struct smtpc_session *s)
{
	size_t i;

	for (i = 0; i < s->nrefused; i++)
		session_refusal_free(s->refused[i]);
	free(s->refused);
	s->refused = NULL;
	s->nrefused = s->refused_cap = 0;
}

void
smtpc_session_free(struct smtpc_session *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		s->io->close(s->conn);
	session_refusals_clear(s);
	buf_wipe_free(&s->password);
	buf_wipe_free(&s->cmd);
	buf_free(&s->tmp);
	reply_free(&s->reply);
	reply_caps_free(&s->caps);
	OPENSSL_cleanse(s->line, sizeof(s->line));
	free(s->host);
	free(s->cafile);
	free(s->helo);
	free(s->user);
	free(s->auth_mech);
	free(s->dsn_envid);
	free(s->cert_file);
	free(s->key_file);
	free(s);
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

/* Cancel an exchange ("*", RFC 4954 4) and read the server's answer. */
static void
session_auth_cancel(struct smtpc_session *s)
{
	struct smtpc_error ignored;

	if (session_cmd(s, &ignored, "*") == 0 &&
	    session_send(s, NULL, 1, SESSION_T_AUTH, "AUTH", &ignored) == 0)
		(void)session_reply(s, SESSION_T_AUTH, 0, "AUTH", &ignored);
}

static int
session_auth_run(struct smtpc_session *s, const struct sasl_mech *mech,
    struct sasl_client *sc, struct buf *raw, struct buf *b64,
    struct smtpc_error *err)
{
	char shown[64];
	const char *text;
	int rc, i;

	snprintf(shown, sizeof(shown), "AUTH %s", mech->name);
	buf_reset(&s->cmd);
	if ((rc = buf_append_str(&s->cmd, shown)) != 0)
		return error_set(err, rc, "AUTH", "cannot build AUTH");
	if (mech->client_first) {
		/* RFC 4954 4: the initial response; "=" when empty. */
		if ((rc = sasl_client_step(sc, NULL, 0, raw, err)) != 0)
			return rc;
		if ((rc = b64_encode(raw->data, raw->len, b64)) != 0 ||
		    (rc = buf_append_byte(&s->cmd, ' ')) != 0 ||
		    (rc = buf_append(&s->cmd, raw->len ? b64->data :
		    (const unsigned char *)"=", raw->len ? b64->len : 1)) != 0)
			return error_set(err, rc, "AUTH",
			    "cannot build the AUTH response");
		snprintf(shown, sizeof(shown), "AUTH %s ****", mech->name);
	}
	if ((rc = session_send(s, shown, 1, SESSION_T_AUTH, "AUTH", err)) != 0)
		return rc;
	for (i = 0; i < SESSION_AUTH_STEPS; i++) {
		buf_wipe_free(&s->cmd);
		rc = session_reply(s, SESSION_T_AUTH, 0, "AUTH", err);
		if (rc != 0)
			return rc;
		if (s->reply.code == 235)
			return sasl_client_done(sc, err);
		if (s->reply.code != 334) {
			s->soft = 1;
			return session_fail_reply(s, reply_class(&s->reply) ==
			    4 ? SMTPC_ETEMP : reply_class(&s->reply) == 5 ?
			    SMTPC_EAUTH : SMTPC_EPROTO, "AUTH", err,
			    "server refused authentication as %s with %s",
			    s->user, mech->name);
		}
		text = buf_cstr(&s->reply.text);
		buf_wipe_free(raw);
		buf_wipe_free(b64);
		if (s->reply.nlines != 1 ||
		    b64_decode(text, s->reply.text.len, raw) != 0) {
			rc = session_fail_reply(s, SMTPC_EPROTO, "AUTH", err,
			    "server sent a malformed AUTH challenge");
			session_auth_cancel(s);
			return rc;
		}
		if ((rc = sasl_client_step(sc, raw->data, raw->len, b64,
		    err)) != 0) {
			session_auth_cancel(s);
			return rc;
		}
		buf_wipe_free(raw);
		/* b64 holds the raw response; encode it into the command. */
		if ((rc = b64_encode(b64->data, b64->len, &s->cmd)) != 0)
			return error_set(err, rc, "AUTH",
			    "cannot build the AUTH response");
		if ((rc = session_send(s, "****", 1, SESSION_T_AUTH, "AUTH",
		    err)) != 0)
			return rc;
	}
	session_auth_cancel(s);
	return error_set(err, SMTPC_EPROTO, "AUTH",
	    "server asked for too many AUTH steps");
}

static int
session_auth(struct smtpc_session *s, struct smtpc_error *err)
{
	const struct sasl_mech *mech;
	struct sasl_client sc;
	struct buf raw, b64;
	int rc;

	if (s->tls != SMTPC_TLS_NONE && !s->io->is_tls(s->conn))
		return error_set(err, SMTPC_EINSECURE, "AUTH",
		    "refusing to send credentials over a connection without "
		    "TLS");
	if (!(s->caps.flags & REPLY_CAP_AUTH)) {
		s->soft = 1;
		return error_set(err, SMTPC_ENOMECH, "AUTH",
		    "a user is set but the server offers no authentication "
		    "(no AUTH in its EHLO reply; it offers: nothing): check "
		    "the server and port");
	}
	if ((rc = sasl_choose(buf_cstr(&s->caps.auth), s->auth_mech,
	    s->secret_kind, &mech, err)) != 0) {
		s->soft = 1;
		return rc;
	}
	session_set_state(s, SESSION_AUTH);
	buf_init(&raw, SESSION_CMD_MAX / 2);
	buf_init(&b64, SESSION_CMD_MAX / 2);
	sasl_client_init(&sc, mech, s->user, (const char *)s->password.data,
	    s->password.len);
	sc.host = s->host;
	sc.port = s->port;
	s->stage_end = session_deadline(s, SESSION_T_AUTH);
	rc = session_auth_run(s, mech, &sc, &raw, &b64, err);
	s->stage_end = 0;
	sasl_client_free(&sc);
	buf_wipe_free(&raw);
	buf_wipe_free(&b64);
	buf_wipe_free(&s->cmd);
	if (rc == 0) {
		s->authed = mech->name;
		session_info(s, "authenticated as %s with %s", s->user,
		    mech->name);
	}
	return rc;
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
 * The mail transaction.
 */

/*
 * An envelope address as it goes between < and >: no controls, no angle
 * brackets; non-ASCII only with SMTPUTF8 (RFC 6531).
 */
static int
session_addr_check(struct smtpc_session *s, const char *a, const char *what,
    int *utf8, struct smtpc_error *err)
{
	const unsigned char *p;

	if (strlen(a) > LIMIT_ADDRESS)
		return error_set(err, SMTPC_EDATA, what,
		    "address longer than %d bytes", LIMIT_ADDRESS);
	for (p = (const unsigned char *)a; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return error_set(err, SMTPC_EDATA, what,
			    "invalid character in envelope address");
		if (*p >= 0x80)
			*utf8 = 1;
	}
	if (*utf8 && !(s->caps.flags & REPLY_CAP_SMTPUTF8))
		return error_set(err, SMTPC_EDATA, what,
		    "the address has non-ASCII characters and the server "
		    "does not offer SMTPUTF8");
	return 0;
}

/*
 * Keep a refusal.  The list grows by doubling and holds pointers, so an
 * entry never moves once made and 10,000 refusals cost 10,000 steps, not
 * 10,000 squared.
 */
static int
session_refusal_add(struct smtpc_session *s, const char *address)
{
	struct session_refusal **n, *r;
	size_t cap;

	if (s->nrefused == s->refused_cap) {
		cap = s->refused_cap ? s->refused_cap * 2 : 8;
		if ((n = reallocarray(s->refused, cap, sizeof(*n))) == NULL)
			return SMTPC_ENOMEM;
		s->refused = n;
		s->refused_cap = cap;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SMTPC_ENOMEM;
	buf_reset(&s->tmp);
	if ((r->address = strdup(address)) == NULL ||
	    reply_text_oneline(&s->reply, &s->tmp) != 0 ||
	    (r->text = malloc(SMTPC_ERROR_TEXT_MAX)) == NULL) {
		session_refusal_free(r);
		return SMTPC_ENOMEM;
	}
	error_escape(r->text, SMTPC_ERROR_TEXT_MAX, buf_cstr(&s->tmp),
	    s->tmp.len);
	snprintf(r->enhanced, sizeof(r->enhanced), "%s", s->reply.enhanced);
	r->pub.reply_code = s->reply.code;
	r->pub.address = r->address;
	r->pub.enhanced = r->enhanced;
	r->pub.text = r->text;
	s->refused[s->nrefused++] = r;
	return 0;
}

/* RSET after a refused transaction; a failed RSET leaves us unsure. */
static void
session_rset(struct smtpc_session *s)
{
	struct smtpc_error ignored;

	session_set_state(s, SESSION_RSET);
	if (session_cmd(s, &ignored, "RSET") != 0 ||
	    session_send(s, NULL, 1, SESSION_T_CMD, "RSET", &ignored) != 0 ||
	    session_reply(s, SESSION_T_CMD, 0, "RSET", &ignored) != 0 ||
	    s->reply.code != 250) {
		s->soft = 0;
		return;
	}
	session_set_state(s, SESSION_READY);
}

/*
 * End a transaction refused at RCPT.  A DATA pipelined with the envelope
 * may have been taken anyway.  With no recipient, a lone dot ends it and
 * delivers nothing (RFC 2920 3.1).  With some recipients accepted that dot
 * would deliver an empty message, so the connection is dropped before the
 * end of the data instead: the server then discards the transaction.
 */
static void
session_abandon(struct smtpc_session *s, size_t accepted, int data_sent)
{
	struct smtpc_error ignored;

	if (!data_sent || s->reply.code != 354) {
		session_rset(s);
		return;
	}
	if (accepted > 0) {
		session_info(s, "closing the connection so that the server "
		    "discards the message");
		s->soft = 0;
		return;
	}
	if (session_cmd(s, &ignored, ".") != 0 ||
	    session_send(s, NULL, 1, SESSION_T_DOT, "message",
	    &ignored) != 0 ||
	    session_reply(s, SESSION_T_DOT, 0, "message", &ignored) != 0) {
		s->soft = 0;
		return;
	}
	session_rset(s);
}

/* Fail with the first refusal's words (a 5xx one, if any, decides). */
static int
session_fail_refused(struct smtpc_session *s, size_t accepted,
    struct smtpc_error *err)
{
	const struct session_refusal *r = s->refused[0];
	size_t i;
	int code = SMTPC_ETEMP;

	for (i = 0; i < s->nrefused; i++)
		if (s->refused[i]->pub.reply_code >= 500) {
			code = SMTPC_EPERM;
			r = s->refused[i];
			break;
		}
	if (accepted == 0) {
		/* Nothing will be sent: the first refusal speaks for all. */
		r = s->refused[0];
		code = session_code_of(r->pub.reply_code);
	}
	if (s->nrefused > 1)
		error_set(err, code, "RCPT TO", "recipient refused: %s "
		    "(%zu refused in all%s)", r->address, s->nrefused,
		    accepted == 0 ? ", none accepted" : "");
	else
		error_set(err, code, "RCPT TO", "recipient refused: %s",
		    r->address);
	if (err != NULL) {
		err->reply_code = r->pub.reply_code;
		snprintf(err->enhanced, sizeof(err->enhanced), "%s",
		    r->enhanced);
		snprintf(err->server_text, sizeof(err->server_text), "%s",
		    r->text);
	}
	s->soft = 1;
	return code;
}

/* RFC 1870: declare the size when the server offers SIZE and we know it. */
static int
session_declares_size(const struct smtpc_session *s)
{
	return s->msg_size > 0 && (s->caps.flags & REPLY_CAP_SIZE) != 0;
}

/*
 * A message over the server's declared limit would be refused after it
 * was uploaded whole; refuse it before MAIL instead.
 */
static int
session_check_size(struct smtpc_session *s, struct smtpc_error *err)
{
	if (!session_declares_size(s) || s->caps.size_max == 0 ||
	    s->msg_size <= s->caps.size_max)
		return 0;
	return error_set(err, SMTPC_EPERM, "MAIL FROM",
	    "message is %llu bytes; the server accepts at most %llu",
	    (unsigned long long)s->msg_size,
	    (unsigned long long)s->caps.size_max);
}

/* RFC 3461: DSN parameters only when asked for and offered. */
static int
session_uses_dsn(const struct smtpc_session *s)
{
	return (s->caps.flags & REPLY_CAP_DSN) != 0 && (s->dsn_notify != 0 ||
	    s->dsn_ret != SMTPC_DSN_RET_DEFAULT || s->dsn_envid != NULL);
}

/* The parameters after MAIL FROM:<...>, each with a leading space. */
static void
session_mail_params(const struct smtpc_session *s, int utf8, int body8,
    char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	if (session_declares_size(s))
		n += (size_t)snprintf(out + n, cap - n, " SIZE=%llu",
		    (unsigned long long)s->msg_size);
	if (body8 && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " BODY=8BITMIME");
	if (utf8 && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " SMTPUTF8");
	if (session_uses_dsn(s) && s->dsn_ret != SMTPC_DSN_RET_DEFAULT &&
	    n < cap)
		n += (size_t)snprintf(out + n, cap - n, " RET=%s",
		    s->dsn_ret == SMTPC_DSN_RET_FULL ? "FULL" : "HDRS");
	if (session_uses_dsn(s) && s->dsn_envid != NULL && n < cap)
		(void)snprintf(out + n, cap - n, " ENVID=%s", s->dsn_envid);
}

/* The NOTIFY= parameter for RCPT TO, or "". */
static void
session_rcpt_params(const struct smtpc_session *s, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SMTPC_DSN_NEVER, "NEVER" }, { SMTPC_DSN_SUCCESS, "SUCCESS" },
		{ SMTPC_DSN_FAILURE, "FAILURE" }, { SMTPC_DSN_DELAY, "DELAY" },
	};
	size_t i, n = 0;

	out[0] = '\0';
	if (!session_uses_dsn(s) || s->dsn_notify == 0)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < cap; i++)
		if (s->dsn_notify & names[i].bit)
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
			    n == 0 ? " NOTIFY=" : ",", names[i].name);
}

/* The i-th command of the envelope: MAIL, one RCPT each, then DATA. */
static const char *
envelope_stage(size_t i, size_t nrcpts)
{
	return i == 0 ? "MAIL FROM" : i <= nrcpts ? "RCPT TO" : "DATA";
}

static unsigned
envelope_timeout(size_t i, size_t nrcpts)
{
	return i == 0 ? SESSION_T_MAIL : i <= nrcpts ? SESSION_T_RCPT :
	    SESSION_T_DATA;
}

/*
 * MAIL FROM, every RCPT TO and, when `data` and PIPELINING is on, DATA
 * too: in windows of one write each, replies matched in order (RFC 2920).
 * *ret_data: DATA went out and its reply is in s->reply, for the caller
 * to judge against the recipients' replies.
 */
static int
session_envelope(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, int utf8, unsigned flags,
    int data, size_t *ret_accepted, int *ret_data, struct smtpc_error *err)
{
	int pipe = (s->caps.flags & REPLY_CAP_PIPELINING) != 0 &&
	    !(flags & SMTPC_SEND_NO_PIPELINING);
	size_t window = pipe ? SESSION_PIPE_WINDOW : 1;
	char mparams[SESSION_PARAMS_MAX], rparams[64];
	size_t total, start, end, i, accepted = 0;
	struct smtpc_error mail_err;
	int rc, mail_failed = 0;

	*ret_data = 0;
	data = data && pipe;	/* unpipelined, DATA waits for the RCPTs */
	total = nrcpts + 1 + (data ? 1 : 0);
	memset(&mail_err, 0, sizeof(mail_err));
	session_mail_params(s, utf8, (flags & SMTPC_SEND_8BIT) != 0, mparams,
	    sizeof(mparams));
	session_rcpt_params(s, rparams, sizeof(rparams));
	session_set_state(s, SESSION_MAIL);
	for (start = 0; start < total; start = end) {
		end = start + window < total ? start + window : total;
		for (i = start; i < end; i++) {
			if (i == 0)
				rc = session_cmd(s, err, "MAIL FROM:<%s>%s",
				    from, mparams);
			else if (i <= nrcpts)
				rc = session_cmd(s, err, "RCPT TO:<%s>%s",
				    rcpts[i - 1], rparams);
			else
				rc = session_cmd(s, err, "DATA");
			if (rc == 0)
				rc = session_send(s, NULL, i + 1 == end,
				    envelope_timeout(i, nrcpts),
				    envelope_stage(i, nrcpts), err);
			if (rc != 0)
				return rc;
		}
		for (i = start; i < end; i++) {
			if ((rc = session_reply(s, envelope_timeout(i, nrcpts),
			    i + 1 < end, envelope_stage(i, nrcpts), err)) != 0) {
				s->unanswered = end - i - 1;
				return rc;
			}
			if (i > nrcpts) {
				*ret_data = 1;	/* the last reply of all */
				break;
			}
			if (i == 0) {
				if (reply_class(&s->reply) == 2)
					continue;
				mail_failed = 1;
				session_fail_reply(s, session_code_of(
				    s->reply.code), "MAIL FROM", &mail_err,
				    "server refused the sender <%s>", from);
				continue;
			}
			if (mail_failed)
				continue;	/* 503s: not the recipient's */
			if (reply_class(&s->reply) == 2) {
				accepted++;
				continue;
			}
			if (reply_class(&s->reply) == 3)
				return session_fail_reply(s, SMTPC_EPROTO,
				    "RCPT TO", err, "unexpected reply to RCPT");
			if ((rc = session_refusal_add(s, rcpts[i - 1])) != 0)
				return error_set(err, rc, "RCPT TO",
				    "out of memory");
		}
		if (mail_failed) {
			if (err != NULL)
				*err = mail_err;
			/*
			 * A DATA taken without a sender is a server gone
			 * wrong; only hanging up ends it safely.
			 */
			s->soft = mail_err.code != SMTPC_EPROTO &&
			    !(*ret_data && s->reply.code == 354);
			return mail_err.code;
		}
	}
	*ret_accepted = accepted;
	return 0;
}

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

static int
session_body(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err)
{
	unsigned char *chunk;
	struct buf out;
	struct dotstuff ds;
	size_t n;
	int rc = 0;

	session_set_state(s, SESSION_BODY);
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
	}
	if (rc == 0) {
		buf_reset(&out);
		if ((rc = dotstuff_finish(&ds, &out)) != 0 ||
		    (rc = s->io->write(s->conn, out.data, out.len,
		    session_deadline(s, SESSION_T_BLOCK), err)) != 0 ||
		    (rc = s->io->flush(s->conn, session_deadline(s,
		    SESSION_T_BLOCK), err)) != 0)
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
static int
session_bdat(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err)
{
	unsigned char *in;
	struct buf chunk;
	struct dotstuff ds;
	size_t n, len, off, part;
	int rc = 0, eof = 0, last;

	session_set_state(s, SESSION_BODY);
	if ((in = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	buf_init(&chunk, SESSION_BDAT_CHUNK + 2 * LIMIT_IO_CHUNK + 5);
	dotstuff_init_crlf(&ds);
	for (;;) {
		while (!eof && chunk.len < SESSION_BDAT_CHUNK) {
			/* On failure no LAST chunk: nothing cut is sent. */
			if ((rc = session_pull(read, read_user, in, &n,
			    err)) != 0)
				goto out;
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
		if ((rc = s->io->flush(s->conn, session_deadline(s,
		    SESSION_T_BLOCK), err)) != 0) {
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
			if (rc != SMTPC_EPROTO) {
				/* RFC 3030 2: the transaction failed; reset. */
				s->soft = 1;
				session_rset(s);
			}
			goto out;
		}
	}
out:
	free(in);
	buf_free(&chunk);
	return rc;
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
smtpc_session_set_size(struct smtpc_session *s, uint64_t size)
{
	if (s == NULL)
		return SMTPC_EINVAL;
	s->msg_size = size;
	return 0;
}

/* RFC 3461 4: xtext, '+' and '=' and anything outside 0x21-0x7e as +XX. */
static int
session_xtext(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c < 0x20 || c > 0x7e)
			return -1;	/* printable ASCII only */
		if (c > 0x20 && c != '+' && c != '=') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (o + 3 >= cap)
			return -1;
		out[o++] = '+';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
	}
	out[o] = '\0';
	return o == 0 ? -1 : 0;
}

int
smtpc_session_set_dsn(struct smtpc_session *s, const struct smtpc_dsn *dsn,
    struct smtpc_error *err)
{
	char envid[SESSION_ENVID_MAX + 1];
	char *copy = NULL;
	unsigned all = SMTPC_DSN_NEVER | SMTPC_DSN_SUCCESS | SMTPC_DSN_FAILURE |
	    SMTPC_DSN_DELAY;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if (dsn != NULL) {
		if ((dsn->notify & ~all) != 0 || ((dsn->notify &
		    SMTPC_DSN_NEVER) && dsn->notify != SMTPC_DSN_NEVER))
			return error_set(err, SMTPC_EINVAL, NULL,
			    "DSN notify: NEVER goes alone; else any of "
			    "SUCCESS, FAILURE, DELAY");
		if (dsn->ret != SMTPC_DSN_RET_DEFAULT &&
		    dsn->ret != SMTPC_DSN_RET_FULL &&
		    dsn->ret != SMTPC_DSN_RET_HDRS)
			return error_set(err, SMTPC_EINVAL, NULL,
			    "DSN return: FULL or HDRS");
		if (dsn->envid != NULL && session_xtext(dsn->envid, envid,
		    sizeof(envid)) != 0)
			return error_set(err, SMTPC_EINVAL, NULL,
			    "DSN envelope ID: printable ASCII, not empty, at "
			    "most %d characters once encoded",
			    SESSION_ENVID_MAX);
		if (dsn->envid != NULL && (copy = strdup(envid)) == NULL)
			return error_set(err, SMTPC_ENOMEM, NULL,
			    "out of memory");
	}
	free(s->dsn_envid);
	s->dsn_envid = copy;
	s->dsn_notify = dsn != NULL ? dsn->notify : 0;
	s->dsn_ret = dsn != NULL ? dsn->ret : SMTPC_DSN_RET_DEFAULT;
	return 0;
}

/*
 * Getters.
 */

size_t
smtpc_session_refused_count(const struct smtpc_session *s)
{
	return s ? s->nrefused : 0;
}

const struct smtpc_refusal *
smtpc_session_refused(const struct smtpc_session *s, size_t index)
{
	if (s == NULL || index >= s->nrefused)
		return NULL;
	return &s->refused[index]->pub;
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
