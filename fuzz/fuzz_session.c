/* SPDX-License-Identifier: ISC */
/*
 * fuzz_session.c - the whole SMTP session against a server whose bytes
 * come from the fuzz input, through struct session_io (no socket, no TLS).
 *
 * Input: two bytes of settings (TLS mode, user, password or OAuth token,
 * mechanism, recipients, partial sends, SIZE, DSN, how the handshake and
 * the end of input behave), then the server's segments separated by NUL
 * bytes.  The greeting is the first segment; every later command line
 * the client sends (not DATA body lines, not BDAT payload) gets the next
 * segment as its answer, whatever it is.
 *
 * Properties: never crashes; in STARTTLS or implicit mode nothing but
 * EHLO, HELO, STARTTLS, RSET and QUIT goes out before TLS, so no AUTH,
 * MAIL, RCPT, DATA or BDAT, and no byte of the password or token in plain
 * or base64; the password and token never reach the trace or an error
 * message, in plain or in base64; server lines in the trace are printable;
 * an open that succeeds in a TLS mode is on TLS, and authenticated when a
 * user is set; every error code is known and its texts are printable; a
 * fatal error sticks; a send that succeeds delivered the message exactly
 * once, dot-stuffed with DATA, CRLF-normalised with BDAT.
 */
#include <ctype.h>

#include "error.h"
#include "fuzz.h"
#include "session.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_USER "alice"
#define FUZZ_PASS "s3cretPW!"
#define FUZZ_TOKEN "tok3nXYZ.abc"

struct fake {
	const uint8_t *p; /* segments not yet delivered */
	size_t n;
	int greet;
	int tls, tls_broken, tls_fail;
	int timeout; /* at the end of input: time out (or EOF) */
	enum smtpc_tls_mode mode;
	int in_data;	  /* DATA body lines until "." */
	size_t bdat_skip; /* BDAT payload bytes still to come */
	int bdat_last;	  /* the chunk coming is the LAST one */
	struct buf body;  /* the message as the server received it */
	int delivered;	  /* complete messages received */
	int64_t clock;
	struct buf in;	/* server bytes not yet read */
	struct buf out; /* client bytes not yet cut into lines */
	struct buf trace;
	struct buf last; /* the last segment delivered */
	int closed;	 /* the session closed the connection */
	int said354;	 /* the client read a 354: message lines follow */
};

static const void *
fuzz_find(const void *hay, size_t len, const void *needle, size_t n)
{
	const unsigned char *h = hay;
	size_t i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(h + i, needle, n) == 0)
			return h + i;
	return NULL;
}

/* 1 when `hay` holds `needle` in plain or inside a base64 word. */
static int
fuzz_leaks(const char *hay, size_t len, const char *needle)
{
	struct buf dec;
	size_t i, s;
	int hit = 0;

	if (len >= strlen(needle) &&
	    fuzz_find(hay, len, needle, strlen(needle)) != NULL)
		return 1;
	buf_init(&dec, 1 << 20);
	for (i = 0; i < len && !hit; i = s + 1) {
		while (i < len &&
		    (hay[i] == ' ' || hay[i] == '\r' || hay[i] == '\n'))
			i++;
		for (s = i; s < len && hay[s] != ' ' && hay[s] != '\r' &&
		     hay[s] != '\n';
		     s++)
			;
		buf_reset(&dec);
		if (s - i >= 8 && fz_b64_decode(hay + i, s - i, &dec) == 0 &&
		    dec.len >= strlen(needle) &&
		    fuzz_find(dec.data, dec.len, needle, strlen(needle)) !=
			NULL)
			hit = 1;
	}
	buf_free(&dec);
	return hit;
}

static void
fake_deliver(struct fake *f)
{
	const uint8_t *z;
	size_t k;

	buf_reset(&f->last);
	if (f->n == 0)
		return;
	z = memchr(f->p, '\0', f->n);
	k = z != NULL ? (size_t)(z - f->p) : f->n;
	buf_append(&f->in, f->p, k);
	buf_append(&f->last, f->p, k);
	f->p += k + (z != NULL);
	f->n -= k + (z != NULL);
}

static int
fake_open(void *user, struct conn **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = user;

	f->greet = 1;
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
	if (f->tls_fail)
		return error_set(err, SMTPC_ETLS, "TLS", "handshake failed");
	f->tls = !f->tls_broken;
	return 0;
}

/*
 * The body the target sends, and what the server must receive: with DATA
 * dot-stuffed (the dot lines unstuffed by the fake already), with BDAT
 * only CRLF-normalised; a final CRLF added either way.
 */
#define FUZZ_BODY "Subject: x\r\n\r\nhello\n.\n..dot\r\nend"
#define FUZZ_BODY_DATA "Subject: x\r\n\r\nhello\r\n..\r\n...dot\r\nend\r\n"
#define FUZZ_BODY_BDAT "Subject: x\r\n\r\nhello\r\n.\r\n..dot\r\nend\r\n"

static void
fuzz_check_body(struct fake *f, const char *want)
{
	FUZZ_CHECK(f->body.len == strlen(want) &&
		memcmp(buf_cstr(&f->body), want, f->body.len) == 0,
	    "the server received [%s]", buf_cstr(&f->body));
	f->delivered++;
	buf_reset(&f->body);
}

/* One client line (no CRLF): check it, answer it. */
static void
fake_line(struct fake *f, const char *line, size_t n)
{
	static const char *const before_tls[] = {
	    "EHLO ",
	    "HELO ",
	    "STARTTLS",
	    "RSET",
	    "QUIT",
	};
	size_t i;
	int okcmd = 0;

	if (getenv("SMTPC_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "C: %.*s\n", (int)n, line);
	/*
	 * A server is in DATA mode once its 354 went out as a whole line;
	 * the client's lines after reading it are message lines, however
	 * the input was cut into segments.
	 */
	if (f->said354) {
		f->said354 = 0;
		f->in_data = 1;
	}
	if (f->in_data) {
		if (n == 1 && line[0] == '.') {
			f->in_data = 0;
			/*
			 * A lone dot ends a DATA the server took after every
			 * recipient was refused (RFC 2920 3.1): no message,
			 * and a send that succeeds must have delivered one.
			 */
			if (f->body.len > 0)
				fuzz_check_body(f, FUZZ_BODY_DATA);
			fake_deliver(f);
		} else {
			buf_append(&f->body, line, n);
			buf_append(&f->body, "\r\n", 2);
		}
		return;
	}
	if (f->mode != SMTPC_TLS_NONE && !f->tls) {
		for (i = 0; i < sizeof(before_tls) / sizeof(before_tls[0]); i++)
			if (n >= strlen(before_tls[i]) &&
			    strncasecmp(line, before_tls[i],
				strlen(before_tls[i])) == 0)
				okcmd = 1;
		FUZZ_CHECK(okcmd, "sent before TLS: %.*s", (int)n, line);
	}
	fake_deliver(f);
	if (n > 5 && strncasecmp(line, "BDAT ", 5) == 0) {
		for (i = 5; i < n && isdigit((unsigned char)line[i]); i++)
			f->bdat_skip =
			    f->bdat_skip * 10 + (size_t)(line[i] - '0');
		f->bdat_last = n > 10 && memcmp(line + n - 5, " LAST", 5) == 0;
		if (f->bdat_skip == 0 && f->bdat_last)
			fuzz_check_body(f, FUZZ_BODY_BDAT);
	}
}

static int
fake_flush(struct conn *c, int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;
	const unsigned char *nl;
	size_t n, k;

	while (f->out.len > 0) {
		if (f->bdat_skip > 0) {
			k = f->bdat_skip < f->out.len ? f->bdat_skip
						      : f->out.len;
			buf_append(&f->body, f->out.data, k);
			buf_consume(&f->out, k);
			f->bdat_skip -= k;
			if (f->bdat_skip == 0 && f->bdat_last)
				fuzz_check_body(f, FUZZ_BODY_BDAT);
			continue;
		}
		if ((nl = memchr(f->out.data, '\n', f->out.len)) == NULL)
			break;
		n = (size_t)(nl - f->out.data);
		FUZZ_CHECK(n > 0 && f->out.data[n - 1] == '\r',
		    "client line without CRLF");
		fake_line(f, (const char *)f->out.data, n - 1);
		buf_consume(&f->out, n + 1);
	}
	return 0;
}

static int
fake_read_line(struct conn *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;
	const char *nl;
	size_t n;

	fake_flush(c, deadline, err);
	if (f->greet) {
		f->greet = 0;
		fake_deliver(f);
	}
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
	if (n >= 3 && memcmp(out, "354", 3) == 0 && (n == 3 || out[3] == ' '))
		f->said354 = 1;
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

static int
fake_write(struct conn *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err)
{
	struct fake *f = (struct fake *)c;

	/* Secrets only ever cross an encrypted connection. */
	if (f->mode != SMTPC_TLS_NONE && !f->tls) {
		FUZZ_CHECK(!fuzz_leaks(data, len, FUZZ_PASS) &&
			!fuzz_leaks(data, len, FUZZ_TOKEN),
		    "secret sent without TLS");
	}
	if (buf_append(&f->out, data, len) != 0)
		return error_set(err, SMTPC_ECONN, NULL, "server gone");
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
	struct fake *f = c;

	f->closed = 1;
}

static int64_t fuzz_clock;

static int64_t
fake_now(void)
{
	return fuzz_clock += 7;
}

static int
fake_local_literal(const struct conn *c, char *out, size_t cap)
{
	(void)c;
	snprintf(out, cap, "[192.0.2.25]");
	return 0;
}

static const struct session_io fake_io = {
    fake_open,
    fake_start_tls,
    fake_pending,
    fake_read_line,
    fake_write,
    fake_flush,
    fake_is_tls,
    fake_tls_info,
    fake_close,
    fake_now,
    fake_local_literal,
};

static int
fake_event(void *user, const struct smtpc_event *ev)
{
	struct fake *f = user;
	const char *line = ev->line;
	size_t i, len = ev->len;

	if (ev->type == SMTPC_EVENT_STAGE || ev->type == SMTPC_EVENT_PROGRESS)
		return 0;
	if (ev->type == SMTPC_EVENT_LINE_IN)
		for (i = 0; i < len; i++)
			FUZZ_CHECK((unsigned char)line[i] >= 0x20 &&
				(unsigned char)line[i] < 0x7f,
			    "server byte %02x in the trace",
			    (unsigned char)line[i]);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL, "LF in a trace line");
	/* The server's own lines may say anything: check ours only. */
	if (ev->type == SMTPC_EVENT_LINE_IN)
		return 0;
	buf_append(&f->trace, line, len);
	buf_append_byte(&f->trace, '\n');
	return 0;
}

static void
fuzz_check_err(int rc, const struct smtpc_error *err)
{
	size_t i;

	FUZZ_CHECK(rc < 0 && rc >= SMTPC_EINTERNAL - 20, "code %d", rc);
	FUZZ_CHECK(strncmp(smtpc_errname(rc), "SMTPC_E", 7) == 0,
	    "unknown code %d", rc);
	FUZZ_CHECK(err->code == rc, "err.code %d for %d", err->code, rc);
	FUZZ_CHECK(memchr(err->message, '\0', sizeof(err->message)) &&
		memchr(err->server_text, '\0', sizeof(err->server_text)) &&
		memchr(err->stage, '\0', sizeof(err->stage)) &&
		memchr(err->enhanced, '\0', sizeof(err->enhanced)),
	    "unterminated error text");
	for (i = 0; err->server_text[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)err->server_text[i] >= 0x20 &&
			(unsigned char)err->server_text[i] < 0x7f,
		    "server_text byte %02x",
		    (unsigned char)err->server_text[i]);
	FUZZ_CHECK(!fuzz_leaks(err->message, strlen(err->message), FUZZ_PASS) &&
		!fuzz_leaks(err->message, strlen(err->message), FUZZ_TOKEN),
	    "secret in the error message");
}

/* A body with a dot line, bare LFs and no final line break. */
struct body {
	const char *data;
	size_t off;
};

static int
body_read(
    void *user, void *out, size_t cap, size_t *ret_len, struct smtpc_error *err)
{
	struct body *b = user;
	size_t n = strlen(b->data + b->off);

	if (n > cap)
		n = cap;
	if (n > 5)
		n = 5;
	memcpy(out, b->data + b->off, n);
	b->off += n;
	*ret_len = n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mechs[8] = {
	    NULL,
	    "PLAIN",
	    "LOGIN",
	    "SCRAM-SHA-256",
	    "SCRAM-SHA-1",
	    "CRAM-MD5",
	    "XOAUTH2",
	    "OAUTHBEARER",
	};
	static const char *const rcpts[4] = {
	    "b@y.test",
	    "c@y.test",
	    "d\xc3\xa9@y.test",
	    "bad@y.test",
	};
	struct fake f;
	struct smtpc_server cfg;
	struct smtpc_session *s = NULL;
	struct smtpc_error err, again;
	struct smtpc_result *res = NULL;
	struct body b = {FUZZ_BODY, 0};
	unsigned a, c;
	int rc, rc2, opened = 0;

	if (size < 2 || size > 1 << 16)
		return 0;
	/* A server that echoes the secret would make the checks lie. */
	if (fuzz_find(data, size, FUZZ_PASS, strlen(FUZZ_PASS)) != NULL ||
	    fuzz_find(data, size, FUZZ_TOKEN, strlen(FUZZ_TOKEN)) != NULL)
		return 0;
	a = data[0];
	c = data[1];
	if ((res = smtpc_result_new()) == NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	smtpc_server_init(&cfg);
	f.p = data + 2;
	f.n = size - 2;
	f.mode = (enum smtpc_tls_mode)((a & 3) % 3);
	f.tls_broken = (c & 4) != 0;
	f.tls_fail = (c & 32) != 0;
	f.timeout = (c & 8) != 0;
	buf_init(&f.in, 1 << 20);
	buf_init(&f.out, 1 << 22);
	buf_init(&f.trace, 1 << 22);
	buf_init(&f.last, 1 << 20);
	buf_init(&f.body, 1 << 20);
	cfg.host = "mx.test";
	cfg.tls = f.mode;
	cfg.helo = "client.test";
	if (a & 4) {
		cfg.user = FUZZ_USER;
		if (a & 8)
			cfg.oauth_token = FUZZ_TOKEN;
		else
			cfg.password = FUZZ_PASS;
	}
	cfg.auth_mech = mechs[(a >> 4) & 7];
	cfg.timeout = (c & 64) ? 5 : 0;
	cfg.event = fake_event;
	cfg.event_user = &f;
	memset(&err, 0, sizeof(err));
	rc = smtpc_session_new(&cfg, &s, &err);
	if (rc != 0) {
		fuzz_check_err(rc, &err);
		goto done;
	}
	session_set_io(s, &fake_io, &f);
	rc = smtpc_session_open(s, &err);
	if (rc == 0) {
		opened = 1;
		if (f.mode != SMTPC_TLS_NONE)
			FUZZ_CHECK(f.tls, "open succeeded without TLS");
		if (cfg.user != NULL)
			FUZZ_CHECK(smtpc_session_auth_mech(s) != NULL,
			    "open succeeded without AUTH");
		(void)smtpc_session_capabilities(s);
		if (c & 16)
			smtpc_session_set_size(s, 1000 + (c & 3) * 100000);
		if (c & 128)
			FUZZ_CHECK(smtpc_session_set_dsn(s,
					   SMTPC_DSN_FAILURE | SMTPC_DSN_DELAY,
					   SMTPC_DSN_RET_HDRS, "env+id=1",
					   &err) == 0,
			    "dsn");
		rc = smtpc_session_send(s, (a & 128) ? "" : "a@x.test", rcpts,
		    (c & 3) + 1, body_read, &b,
		    (a & 128) ? SMTPC_SEND_ALLOW_PARTIAL : 0, res, &err);
		FUZZ_CHECK(smtpc_result_status(res) == rc,
		    "result status %d, send %d", smtpc_result_status(res), rc);
	}
	if (rc != 0) {
		fuzz_check_err(rc, &err);
		/*
		 * The contract after a failure: the session is ready on an
		 * open connection, or closed and every send repeats the error.
		 */
		if (smtpc_session_is_ready(s)) {
			FUZZ_CHECK(!f.closed, "ready on a closed connection");
		} else if (opened) {
			b.off = 0;
			rc2 = smtpc_session_send(s, "a@x.test", rcpts, 1,
			    body_read, &b, 0, NULL, &again);
			FUZZ_CHECK(rc2 == rc, "send after error %d gave %d", rc,
			    rc2);
		}
	} else if (opened) {
		size_t i, n = smtpc_result_rcpt_count(res);

		FUZZ_CHECK(f.delivered == 1,
		    "send succeeded, %d messages "
		    "received",
		    f.delivered);
		FUZZ_CHECK(smtpc_session_is_ready(s), "not ready after a send");
		for (i = 0; i < n; i++)
			FUZZ_CHECK(smtpc_result_rcpt(res, i) != NULL &&
				smtpc_result_rcpt(res, i)->address != NULL &&
				smtpc_result_rcpt(res, i)->accepted != -1,
			    "recipient %zu", i);
	}
	if (getenv("SMTPC_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "-> %s (%s: %s)\n", smtpc_errname(rc),
		    rc ? err.stage : "", rc ? err.message : "");
	rc = smtpc_session_quit(s, &err);
	if (rc != 0)
		fuzz_check_err(rc, &err);
done:
	smtpc_session_free(s);
	smtpc_result_free(res);
	FUZZ_CHECK(!fuzz_leaks((char *)f.trace.data, f.trace.len, FUZZ_PASS) &&
		!fuzz_leaks((char *)f.trace.data, f.trace.len, FUZZ_TOKEN),
	    "secret in the trace");
	buf_free(&f.in);
	buf_free(&f.out);
	buf_free(&f.trace);
	buf_free(&f.last);
	buf_free(&f.body);
	return 0;
}
