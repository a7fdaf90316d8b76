/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for session.c: the state machine against scripted servers,
 * through struct session_io (no socket, no TLS).
 *
 * A script is pairs of strings: what the client line must start with
 * ("=" prefix: be exactly), and the raw bytes the server then sends.  An
 * expectation "" is the connection itself (the greeting).  "!TIMEOUT" and
 * "!CLOSE" as server bytes make the next read time out or see EOF.  A
 * client line that does not match the next expectation gets no answer
 * (DATA body lines).  The transcript is every client line, "<TLS>" where
 * the handshake ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "bounds.h"
#include "error.h"
#include "session.h"
#include "fake_io.h"
#include "tap.h"

/* The dialogue as the caller sees it: "S: ", "C: ", "-- " lines. */
static int
fake_event(void *user, const struct smtpc_event *ev)
{
	struct fake *f = user;

	if (ev->type == SMTPC_EVENT_STAGE || ev->type == SMTPC_EVENT_PROGRESS)
		return 0;
	buf_append_str(&f->trace, ev->type == SMTPC_EVENT_LINE_IN ? "S: " :
	    ev->type == SMTPC_EVENT_LINE_OUT ? "C: " : "-- ");
	buf_append(&f->trace, ev->line, ev->len);
	buf_append_byte(&f->trace, '\n');
	return 0;
}

/* An initialised server configuration. */
static struct smtpc_server
server_cfg(void)
{
	struct smtpc_server cfg;

	smtpc_server_init(&cfg);
	return cfg;
}

/* Recipients the last send's result says were refused. */
static size_t
refused_count(const struct smtpc_result *r)
{
	const struct smtpc_rcpt_status *st;
	size_t i, n = 0;

	for (i = 0; (st = smtpc_result_rcpt(r, i)) != NULL; i++)
		n += st->accepted == 0;
	return n;
}

/* DSN settings as the tests write them. */
struct dsn_case {
	unsigned notify;
	enum smtpc_dsn_ret ret;
	const char *envid;
};

static int
set_dsn(struct smtpc_session *s, const struct dsn_case *d,
    struct smtpc_error *err)
{
	return smtpc_session_set_dsn(s, d ? d->notify : 0,
	    d ? d->ret : SMTPC_DSN_RET_DEFAULT, d ? d->envid : NULL, err);
}

/* A body source over a string; "!FAIL" fails after the first chunk. */
struct body {
	const char *data;
	size_t off;
	int fail;
};

static int
body_read(void *user, void *out, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct body *b = user;
	size_t n = strnlen(b->data + b->off, 8);	/* not the megabytes */

	if (b->fail && b->off > 0)
		return error_set(err, SMTPC_EIO, NULL, "disk on fire");
	if (n > cap)
		n = cap;
	if (n > 7)
		n = 7;	/* small chunks: state must cross edges */
	memcpy(out, b->data + b->off, n);
	b->off += n;
	*ret_len = n;
	return 0;
}

#define EHLO_TLS \
    "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 100\r\n"
#define EHLO_AUTH "250-mx.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n"
#define EHLO_PLAIN "250-mx.test\r\n250 8BITMIME\r\n"
#define EHLO_CHUNK \
    "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n"

struct session_case {
	const char *name;
	enum smtpc_tls_mode tls;
	const char *user;
	const char *mech;
	unsigned flags;
	int send;		/* 1: run a transaction after open */
	int body_fail;
	const char *rcpts[4];
	const char *body;
	const char *script[40];
	int rc;			/* of open, or of send */
	const char *stage;
	const char *msg;	/* fragment of err.message */
	const char *transcript;
	size_t nrefused;
	int closed;		/* connection closed at the end */
	const char *trace_has;	/* a fragment the trace must hold */
	int tls_broken;		/* start_tls "succeeds" without TLS */
};

/* A reply line longer than any reply line may be (filled in main). */
static char long_reply[LIMIT_REPLY_LINE + 16];
/*
 * A body of 80000 lines of 30 bytes and a bare LF: 2560000 bytes once
 * normalised, so BDAT chunks of 1 MiB end at line ends (filled in main).
 */
#define BIG_LINES	80000
static char big_body[BIG_LINES * 31 + 1];

static const struct session_case cases[] = {
	{ "starttls, auth plain, pipelined envelope, dot-stuffed body",
	    SMTPC_TLS_STARTTLS, "alice", NULL, 0, 1, 0,
	    { "b@y.test", "c@y.test" }, "hi\n.dot\r\nend",
	    { "", "220 mx.test ESMTP\r\n", "EHLO", EHLO_TLS,
	      "STARTTLS", "220 go ahead\r\n", "EHLO", EHLO_AUTH,
	      "AUTH PLAIN", "235 2.7.0 ok\r\n",
	      "MAIL FROM:<a@x.test>", "250 ok\r\n",
	      "RCPT TO:<b@y.test>", "250 ok\r\n",
	      "RCPT TO:<c@y.test>", "251 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "250 2.0.0 queued\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nSTARTTLS\n<TLS>\nEHLO test.host\n"
	    "AUTH PLAIN AGFsaWNlAHMzY3JldA==\nMAIL FROM:<a@x.test>\n"
	    "RCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\nDATA\nhi\n..dot\nend\n"
	    ".\n", 0, 0, NULL, 0 },
	{ "STARTTLS not offered: ENOSTARTTLS, QUIT, nothing else",
	    SMTPC_TLS_STARTTLS, "alice", NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_AUTH, "QUIT", "221 bye\r\n",
	      NULL },
	    SMTPC_ENOSTARTTLS, "STARTTLS", "refusing to continue without TLS",
	    "EHLO test.host\nQUIT\n", 0, 1, NULL, 0 },
	{ "bytes after the STARTTLS 220: injection refused",
	    SMTPC_TLS_STARTTLS, NULL, NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_TLS,
	      "STARTTLS", "220 go\r\n250-injected\r\n", NULL },
	    SMTPC_EPROTO, "STARTTLS", "possible injection",
	    "EHLO test.host\nSTARTTLS\n", 0, 1, NULL, 0 },
	{ "STARTTLS refused with 454: ETEMP", SMTPC_TLS_STARTTLS, NULL, NULL,
	    0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_TLS,
	      "STARTTLS", "454 4.7.0 not now\r\n", "QUIT", "221 bye\r\n",
	      NULL },
	    SMTPC_ETEMP, "STARTTLS", "refused STARTTLS",
	    "EHLO test.host\nSTARTTLS\nQUIT\n", 0, 1, NULL, 0 },
	{ "STARTTLS refused with 502: ETLS", SMTPC_TLS_STARTTLS, NULL, NULL,
	    0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_TLS,
	      "STARTTLS", "502 no\r\n", "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ETLS, "STARTTLS", "refused STARTTLS",
	    "EHLO test.host\nSTARTTLS\nQUIT\n", 0, 1, NULL, 0 },
	{ "capabilities from before TLS are forgotten", SMTPC_TLS_STARTTLS,
	    "alice", NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n",
	      "EHLO", "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
	      "STARTTLS", "220 go\r\n", "EHLO", "250 mx\r\n",
	      "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ENOMECH, "AUTH", "offers no authentication",
	    "EHLO test.host\nSTARTTLS\n<TLS>\nEHLO test.host\nQUIT\n", 0, 1,
	    NULL, 0 },
	{ "implicit TLS: handshake before the greeting", SMTPC_TLS_IMPLICIT,
	    "alice", "LOGIN", 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_AUTH,
	      "AUTH LOGIN", "334 VXNlcm5hbWU6\r\n",
	      "YWxpY2U=", "334 UGFzc3dvcmQ6\r\n",
	      "czNjcmV0", "235 ok\r\n", NULL },
	    0, NULL, NULL,
	    "<TLS>\nEHLO test.host\nAUTH LOGIN\nYWxpY2U=\nczNjcmV0\n", 0, 0,
	    NULL, 0 },
	{ "greeting 554: EPERM", SMTPC_TLS_NONE, NULL, NULL, 0, 0, 0,
	    { NULL }, NULL,
	    { "", "554 5.3.2 go away\r\n", "QUIT", "221 bye\r\n", NULL },
	    SMTPC_EPERM, "greeting", "refused the connection", "QUIT\n", 0,
	    1, NULL, 0 },
	{ "greeting 421: ETEMP, QUIT tried, closed", SMTPC_TLS_NONE, NULL,
	    NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "421 4.3.2 busy\r\n", NULL },
	    SMTPC_ETEMP, "greeting", "closing the connection", "QUIT\n", 0, 1,
	    NULL, 0 },
	{ "greeting never comes: ETIMEOUT", SMTPC_TLS_NONE, NULL, NULL, 0,
	    0, 0, { NULL }, NULL, { "", "!TIMEOUT", NULL },
	    SMTPC_ETIMEOUT, "greeting", "", "", 0, 1, NULL, 0 },
	{ "malformed greeting: EPROTO", SMTPC_TLS_NONE, NULL, NULL, 0, 0, 0,
	    { NULL }, NULL, { "", "220-mx\r\n221 changed\r\n", NULL },
	    SMTPC_EPROTO, "greeting", "code changed", "", 0, 1, NULL, 0 },
	{ "data after a final reply: EPROTO", SMTPC_TLS_NONE, NULL, NULL, 0,
	    0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", "250 mx\r\n250 again\r\n", NULL },
	    SMTPC_EPROTO, "EHLO", "unexpected data after its reply",
	    "EHLO test.host\n", 0, 1, NULL, 0 },
	{ "EHLO refused: HELO, no extensions", SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", "502 what\r\n", "HELO", "250 hi\r\n",
	      "MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n", "DATA", "354 go\r\n",
	      "=.", "250 ok\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nHELO test.host\nMAIL FROM:<a@x.test>\n"
	    "RCPT TO:<b@y.test>\nDATA\nx\n.\n", 0, 0, NULL, 0 },
	{ "AUTH refused 535: EAUTH", SMTPC_TLS_IMPLICIT, "alice", NULL, 0, 0,
	    0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "AUTH", "535 5.7.8 bad credentials\r\n", "QUIT", "221 bye\r\n",
	      NULL },
	    SMTPC_EAUTH, "AUTH", "refused authentication", NULL, 0, 1,
	    NULL, 0 },
	{ "AUTH 454: ETEMP", SMTPC_TLS_IMPLICIT, "alice", NULL, 0, 0, 0,
	    { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "AUTH", "454 4.7.0 later\r\n", "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ETEMP, "AUTH", "refused authentication", NULL, 0, 1,
	    NULL, 0 },
	{ "bad base64 challenge: cancelled with *", SMTPC_TLS_IMPLICIT,
	    "alice", "LOGIN", 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "AUTH LOGIN", "334 not*base64\r\n", "=*", "501 cancelled\r\n",
	      NULL },
	    SMTPC_EPROTO, "AUTH", "malformed AUTH challenge",
	    "<TLS>\nEHLO test.host\nAUTH LOGIN\n*\n", 0, 1, NULL, 0 },
	{ "named mechanism not offered: ENOMECH", SMTPC_TLS_IMPLICIT,
	    "alice", "LOGIN", 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", "250-mx\r\n250 AUTH PLAIN\r\n",
	      "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ENOMECH, "AUTH", "does not offer LOGIN",
	    "<TLS>\nEHLO test.host\nQUIT\n", 0, 1, NULL, 0 },
	{ "a refused recipient, pipelined DATA taken: hung up, no dot",
	    SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test", "bad@y.test", "c@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "RCPT", "550 5.1.1 unknown\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n", NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: bad@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RCPT TO:<bad@y.test>\nRCPT TO:<c@y.test>\nDATA\n", 1, 1,
	    "discards the message", 0 },
	{ "a refused recipient, pipelined DATA refused: RSET, kept open",
	    SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test", "bad@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "RCPT", "550 5.1.1 unknown\r\n",
	      "DATA", "554 5.5.1 no\r\n", "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: bad@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RCPT TO:<bad@y.test>\nDATA\nRSET\n", 1, 0, NULL, 0 },
	{ "every recipient refused, pipelined DATA taken: lone dot, RSET",
	    SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "bad@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH, "MAIL", "250 ok\r\n",
	      "RCPT", "550 5.1.1 unknown\r\n", "DATA", "354 go\r\n",
	      "=.", "554 5.5.1 no valid recipients\r\n",
	      "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: bad@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<bad@y.test>\n"
	    "DATA\n.\nRSET\n", 1, 0, NULL, 0 },
	{ "a refused recipient, no pipelining: RSET, no DATA",
	    SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test", "bad@y.test", "c@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "RCPT", "550 5.1.1 unknown\r\n",
	      "RCPT", "250 ok\r\n", "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: bad@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RCPT TO:<bad@y.test>\nRCPT TO:<c@y.test>\nRSET\n", 1, 0, NULL,
	    0 },
	{ "refusals all 4xx: ETEMP", SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0,
	    { "b@y.test", "c@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "RCPT", "452 4.2.2 full\r\n",
	      "RSET", "250 ok\r\n", NULL },
	    SMTPC_ETEMP, "RCPT TO", "recipient refused: c@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RCPT TO:<c@y.test>\nRSET\n", 1, 0, NULL, 0 },
	{ "partial allowed: sent to the rest", SMTPC_TLS_NONE, NULL, NULL,
	    SMTPC_SEND_ALLOW_PARTIAL, 1, 0, { "bad@y.test", "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH, "MAIL", "250 ok\r\n",
	      "RCPT", "550 5.1.1 unknown\r\n", "RCPT", "250 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "250 ok\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<bad@y.test>\n"
	    "RCPT TO:<b@y.test>\nDATA\nx\n.\n", 1, 0, NULL, 0 },
	{ "every recipient refused even with partial", SMTPC_TLS_NONE, NULL,
	    NULL, SMTPC_SEND_ALLOW_PARTIAL, 1, 0, { "bad@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "550 5.1.1 unknown\r\n", "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: bad@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<bad@y.test>\n"
	    "RSET\n", 1, 0, NULL, 0 },
	{ "sender refused while pipelining: RCPT 503s ignored",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "MAIL", "553 5.7.1 not you\r\n", "RCPT", "503 5.5.1 no MAIL\r\n",
	      "DATA", "503 5.5.1 no RCPT\r\n", NULL },
	    SMTPC_EPERM, "MAIL FROM", "refused the sender <a@x.test>",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\n", 0, 0, NULL, 0 },
	{ "sender refused, yet pipelined DATA taken: hung up",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "MAIL", "553 5.7.1 not you\r\n", "RCPT", "503 5.5.1 no MAIL\r\n",
	      "DATA", "354 go\r\n", NULL },
	    SMTPC_EPERM, "MAIL FROM", "refused the sender <a@x.test>",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\n", 0, 1, NULL, 0 },
	{ "421 during RCPT: ETEMP, QUIT, closed", SMTPC_TLS_NONE, NULL, NULL,
	    0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "421 4.3.0 shutting down\r\n", NULL },
	    SMTPC_ETEMP, "RCPT TO", "closing the connection",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nQUIT\n",
	    0,
	    1, NULL, 0 },
	{ "DATA refused: EPERM and RSET", SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0,
	    { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "554 5.6.0 no\r\n",
	      "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "DATA", "refused DATA",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\nRSET\n", 0, 0, NULL, 0 },
	{ "connection lost after the dot", SMTPC_TLS_NONE, NULL, NULL, 0, 1,
	    0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n", "=.", "!CLOSE",
	      NULL },
	    SMTPC_ECONN, "message", "the server may have accepted it",
	    NULL, 0, 1, NULL, 0 },
	{ "message refused after the dot: EPERM, session usable",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n",
	      "=.", "554 5.7.1 spam\r\n", NULL },
	    SMTPC_EPERM, "message", "did not accept the message", NULL, 0, 0,
	    NULL, 0 },
	{ "body source fails: no final dot, connection dropped",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 1, { "b@y.test" },
	    "first chunk, then failure",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n", NULL },
	    SMTPC_EIO, "message", "disk on fire",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nDATA\n",
	    0, 1, NULL, 0 },
	{ "non-ASCII address without SMTPUTF8: EDATA, nothing sent",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b\xc3\xa9@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, NULL },
	    SMTPC_EDATA, "RCPT TO", "SMTPUTF8", "EHLO test.host\n", 0, 0,
	    NULL, 0 },
	{ "non-ASCII address with SMTPUTF8: MAIL says SMTPUTF8",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b\xc3\xa9@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", "250-mx\r\n250 SMTPUTF8\r\n",
	      "MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n", "DATA", "354 go\r\n",
	      "=.", "250 ok\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test> SMTPUTF8\n"
	    "RCPT TO:<b\xc3\xa9@y.test>\nDATA\nx\n.\n", 0, 0, NULL, 0 },
	{ "CR/LF in an address: EDATA", SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0,
	    { "b@y.test\r\nRSET" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, NULL },
	    SMTPC_EDATA, "RCPT TO", "invalid character", "EHLO test.host\n",
	    0, 0, NULL, 0 },
	{ "no reply after the dot: ETIMEOUT, may have been accepted",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n", "=.", "!TIMEOUT",
	      NULL },
	    SMTPC_ETIMEOUT, "message", "the server may have accepted it",
	    NULL, 0, 1, NULL, 0 },
	{ "reply line over the limit: EPROTO", SMTPC_TLS_NONE, NULL, NULL, 0,
	    0, 0, { NULL }, NULL, { "", long_reply, NULL },
	    SMTPC_EPROTO, "greeting", "longer than", "", 0, 1, NULL, 0 },
	{ "UTF-8 and control bytes in a greeting: kept, escaped in the trace",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 caf\xc3\xa9 \x1b[2J\r\n", "EHLO", EHLO_PLAIN, NULL },
	    0, NULL, NULL, "EHLO test.host\n", 0, 0,
	    "S: 220 caf\\xc3\\xa9 \\x1b[2J\n", 0 },
	{ "a refusal with control bytes is a refusal, text escaped",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "550 5.7.1 \x1b[2J\x07no\r\n", "RSET", "250 ok\r\n",
	      NULL },
	    SMTPC_EPERM, "RCPT TO", "recipient refused: b@y.test",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nRSET\n",
	    1, 0, "S: 550 5.7.1 \\x1b[2J\\x07no\n", 0 },
	{ "AUTH over a connection that is not TLS: EINSECURE",
	    SMTPC_TLS_STARTTLS, "alice", NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_TLS, "STARTTLS", "220 go\r\n",
	      "EHLO", EHLO_AUTH, NULL },
	    SMTPC_EINSECURE, "AUTH", "without TLS",
	    "EHLO test.host\nSTARTTLS\n<TLS>\nEHLO test.host\n", 0, 1, NULL,
	    1 },
	/* Found by fuzz/fuzz_session.c: without a user, MAIL went out. */
	{ "TLS reported but not active, no AUTH: EINSECURE before MAIL",
	    SMTPC_TLS_STARTTLS, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_TLS, "STARTTLS", "220 go\r\n",
	      "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n", NULL },
	    SMTPC_EINSECURE, "TLS", "not encrypted",
	    "EHLO test.host\nSTARTTLS\n<TLS>\nEHLO test.host\n", 0, 1, NULL,
	    1 },
	{ "EHLO 421: ETEMP", SMTPC_TLS_STARTTLS, NULL, NULL, 0, 0, 0,
	    { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", "421 4.7.0 bye\r\n", NULL },
	    SMTPC_ETEMP, "EHLO", "closing", "EHLO test.host\nQUIT\n", 0, 1,
	    "S: 421 4.7.0 bye\n", 0 },
	{ "trace: states, masked AUTH LOGIN lines", SMTPC_TLS_IMPLICIT,
	    "alice", "LOGIN", 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx.test\r\n", "EHLO", EHLO_AUTH,
	      "AUTH LOGIN", "334 VXNlcm5hbWU6\r\n",
	      "YWxpY2U=", "334 UGFzc3dvcmQ6\r\n",
	      "czNjcmV0", "235 ok\r\n", NULL },
	    0, NULL, NULL, NULL, 0, 0,
	    "-- state EHLO -> AUTH\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\n"
	    "C: ****\nS: 334 UGFzc3dvcmQ6\nC: ****\nS: 235 ok\n", 0 },
	/* Extensions (RFC 3030, 6152, 1870) and faults at every stage. */
	{ "CHUNKING: one BDAT LAST, CRLF-normalised, not dot-stuffed",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" },
	    "hi\n.dot\rend",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "250 2.0.0 queued\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "BDAT 15 LAST\nhi\n.dot\nend\n", 0, 0, NULL, 0 },
	{ "CHUNKING, empty body: BDAT 0 LAST", SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test" }, "",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "250 2.0.0 queued\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "BDAT 0 LAST\n", 0, 0, NULL, 0 },
	{ "CHUNKING, body source fails: no BDAT at all, RSET, ready",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 1, { "b@y.test" },
	    "first chunk, then failure",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "RSET", "250 ok\r\n", NULL },
	    SMTPC_EIO, "message", "disk on fire",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RSET\n", 0, 0, NULL, 0 },
	{ "CHUNKING, body source fails, RSET unanswered: dropped",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 1, { "b@y.test" },
	    "first chunk, then failure",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", NULL },
	    SMTPC_EIO, "message", "disk on fire",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "RSET\n", 0, 1, NULL, 0 },
	{ "CHUNKING switched off: DATA", SMTPC_TLS_NONE, NULL, NULL,
	    SMTPC_SEND_NO_CHUNKING, 1, 0, { "b@y.test" }, ".x",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n", "=.", "250 ok\r\n",
	      NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\n..x\n.\n", 0, 0, NULL, 0 },
	{ "BDAT: 1 MiB chunks, the last marked LAST", SMTPC_TLS_NONE, NULL,
	    NULL, 0, 1, 0, { "b@y.test" }, big_body,
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "250 ok\r\n", "BDAT", "250 ok\r\n",
	      "BDAT", "250 2.0.0 queued\r\n", NULL },
	    0, NULL, NULL, NULL, 0, 0,
	    "C: BDAT 1048576\nS: 250 ok\nC: BDAT 1048576\nS: 250 ok\n"
	    "C: BDAT 462848 LAST\n", 0 },
	{ "BDAT chunk refused: EPERM, RSET, no more chunks", SMTPC_TLS_NONE,
	    NULL, NULL, 0, 1, 0, { "b@y.test" }, big_body,
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "250 ok\r\n",
	      "BDAT", "552 5.3.4 too big\r\n", "RSET", "250 ok\r\n", NULL },
	    SMTPC_EPERM, "BDAT", "refused a chunk", NULL, 0, 0,
	    "C: BDAT 1048576\nS: 552 5.3.4 too big\n-- state BODY -> RSET\n"
	    "C: RSET\nS: 250 ok\n-- state RSET -> READY\n", 0 },
	{ "BDAT chunk 451: ETEMP", SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0,
	    { "b@y.test" }, big_body,
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "451 4.3.0 later\r\n",
	      "RSET", "250 ok\r\n", NULL },
	    SMTPC_ETEMP, "BDAT", "refused a chunk", NULL, 0, 0, NULL, 0 },
	{ "BDAT LAST refused: EPERM at the message stage", SMTPC_TLS_NONE,
	    NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "554 5.7.1 spam\r\n", NULL },
	    SMTPC_EPERM, "message", "did not accept", NULL, 0, 0, NULL, 0 },
	{ "connection lost after BDAT LAST: may have accepted",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "!CLOSE", NULL },
	    SMTPC_ECONN, "message", "the server may have accepted it", NULL,
	    0, 1, NULL, 0 },
	{ "connection lost after a BDAT chunk: ECONN at BDAT",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, big_body,
	    { "", "220 mx\r\n", "EHLO", EHLO_CHUNK, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "BDAT", "!CLOSE", NULL },
	    SMTPC_ECONN, "BDAT", "", NULL, 0, 1, NULL, 0 },
	{ "8-bit body, server has 8BITMIME: BODY=8BITMIME", SMTPC_TLS_NONE,
	    NULL, NULL, SMTPC_SEND_8BIT, 1, 0, { "b@y.test" }, "caf\xc3\xa9",
	    { "", "220 mx\r\n", "EHLO",
	      "250-mx\r\n250-SIZE\r\n250 8BITMIME\r\n",
	      "MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n", "DATA", "354 go\r\n",
	      "=.", "250 ok\r\n", NULL },
	    0, NULL, NULL,
	    "EHLO test.host\nMAIL FROM:<a@x.test> BODY=8BITMIME\n"
	    "RCPT TO:<b@y.test>\nDATA\ncaf\xc3\xa9\n.\n", 0, 0, NULL, 0 },
	{ "8-bit body, no 8BITMIME: EDATA before MAIL", SMTPC_TLS_NONE, NULL,
	    NULL, SMTPC_SEND_8BIT, 1, 0, { "b@y.test" }, "caf\xc3\xa9",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH, NULL },
	    SMTPC_EDATA, "MAIL FROM", "does not offer 8BITMIME",
	    "EHLO test.host\n", 0, 0, NULL, 0 },
	{ "421 to MAIL while pipelining: QUIT, closed", SMTPC_TLS_NONE, NULL,
	    NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "MAIL", "421 4.3.2 going down\r\n", "RCPT", "503 no\r\n",
	      "DATA", "503 no\r\n", "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ETEMP, "MAIL FROM", "closing the connection",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\nQUIT\n",
	    0, 1, "S: 221 bye", 0 },
	{ "421 to MAIL, yet pipelined DATA taken: hung up, no QUIT",
	    SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "MAIL", "421 4.3.2 going down\r\n", "RCPT", "250 ok\r\n",
	      "DATA", "354 go\r\n", NULL },
	    SMTPC_ETEMP, "MAIL FROM", "closing the connection",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\n", 0, 1, NULL, 0 },
	{ "421 to DATA: ETEMP, QUIT", SMTPC_TLS_NONE, NULL, NULL, 0, 1, 0,
	    { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "421 4.3.2 bye\r\n", NULL },
	    SMTPC_ETEMP, "DATA", "closing the connection",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\nQUIT\n", 0, 1, NULL, 0 },
	{ "421 after the dot: ETEMP, QUIT", SMTPC_TLS_NONE, NULL, NULL, 0, 1,
	    0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "354 go\r\n",
	      "=.", "421 4.3.2 bye\r\n", NULL },
	    SMTPC_ETEMP, "message", "closing the connection",
	    "EHLO test.host\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\n"
	    "DATA\nx\n.\nQUIT\n", 0, 1, NULL, 0 },
	{ "421 to AUTH: ETEMP, QUIT", SMTPC_TLS_IMPLICIT, "alice", NULL, 0,
	    0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_AUTH,
	      "AUTH", "421 4.7.0 bye\r\n", NULL },
	    SMTPC_ETEMP, "AUTH", "closing the connection", NULL, 0, 1, NULL,
	    0 },
	{ "connection lost at MAIL: ECONN, no QUIT", SMTPC_TLS_NONE, NULL,
	    NULL, 0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "!CLOSE", NULL },
	    SMTPC_ECONN, "MAIL FROM", "", "EHLO test.host\n"
	    "MAIL FROM:<a@x.test>\n", 0, 1, NULL, 0 },
	{ "no reply to RCPT: ETIMEOUT at RCPT TO", SMTPC_TLS_NONE, NULL, NULL,
	    0, 1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "!TIMEOUT", NULL },
	    SMTPC_ETIMEOUT, "RCPT TO", "", NULL, 0, 1, NULL, 0 },
	{ "no reply to DATA: ETIMEOUT at DATA", SMTPC_TLS_NONE, NULL, NULL, 0,
	    1, 0, { "b@y.test" }, "x",
	    { "", "220 mx\r\n", "EHLO", EHLO_PLAIN, "MAIL", "250 ok\r\n",
	      "RCPT", "250 ok\r\n", "DATA", "!TIMEOUT", NULL },
	    SMTPC_ETIMEOUT, "DATA", "", NULL, 0, 1, NULL, 0 },
	{ "no reply to EHLO: ETIMEOUT at EHLO", SMTPC_TLS_NONE, NULL, NULL, 0,
	    0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", "!TIMEOUT", NULL },
	    SMTPC_ETIMEOUT, "EHLO", "", NULL, 0, 1, NULL, 0 },
	{ "no reply to STARTTLS: ETIMEOUT at STARTTLS", SMTPC_TLS_STARTTLS,
	    NULL, NULL, 0, 0, 0, { NULL }, NULL,
	    { "", "220 mx\r\n", "EHLO", EHLO_TLS, "STARTTLS", "!TIMEOUT",
	      NULL },
	    SMTPC_ETIMEOUT, "STARTTLS", "", NULL, 0, 1, NULL, 0 },
};

static int
run_case(const struct session_case *c)
{
	struct fake f = { 0 };
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_result *res = smtpc_result_new();
	struct smtpc_error err;
	struct body b = { 0 };
	size_t n = 0;
	int rc;

	fake_init(&f, c->script);
	f.tls_broken = c->tls_broken;
	cfg.host = "mx.test";
	cfg.tls = c->tls;
	cfg.helo = "test.host";
	cfg.user = c->user;
	cfg.password = "s3cret";
	cfg.auth_mech = c->mech;
	cfg.event = fake_event;
	cfg.event_user = &f;
	memset(&err, 0, sizeof(err));
	ok(smtpc_session_new(&cfg, &s, &err) == 0, c->name);
	session_set_io(s, &fake_io, &f);
	rc = smtpc_session_open(s, &err);
	if (rc == 0 && c->send) {
		while (n < 4 && c->rcpts[n] != NULL)
			n++;
		b.data = c->body;
		b.fail = c->body_fail;
		rc = smtpc_session_send(s, "a@x.test", c->rcpts, n, body_read,
		    &b, c->flags, res, &err);
	}
	if (!ok(rc == c->rc, "  return code"))
		printf("# got %s (%s: %s), want %s\n", smtpc_errname(rc),
		    err.stage, err.message, smtpc_errname(c->rc));
	if (c->rc != 0) {
		ok(err.code == c->rc, "  err.code");
		eq_str(err.stage, c->stage, "  err.stage");
		if (!ok(strstr(err.message, c->msg) != NULL, "  err.message"))
			printf("# message: %s\n", err.message);
	}
	if (c->transcript != NULL)
		eq_str(buf_cstr(&f.transcript), c->transcript, "  transcript");
	ok(refused_count(res) == c->nrefused, "  refusals");
	if (c->trace_has != NULL &&
	    !ok(strstr(buf_cstr(&f.trace), c->trace_has) != NULL,
	    "  trace holds the expected lines"))
		printf("# trace:\n%s", buf_cstr(&f.trace));
	if (c->rc != 0 && f.closed) {
		struct smtpc_error again;

		ok(smtpc_session_send(s, "a@x.test", c->rcpts, 1, body_read,
		    &b, 0, NULL, &again) == c->rc && strcmp(again.message,
		    err.message) == 0, "  the fatal error sticks");
	}
	ok(f.closed == c->closed, c->closed ? "  closed" : "  still open");
	/* Secrets: never in the trace, in plain or in base64. */
	ok(strstr(buf_cstr(&f.trace), "s3cret") == NULL &&
	    strstr(buf_cstr(&f.trace), "AGFsaWNlAHMzY3JldA") == NULL &&
	    strstr(buf_cstr(&f.trace), "czNjcmV0") == NULL &&
	    strstr(err.message, "s3cret") == NULL, "  no secret in the trace");
	if (c->user != NULL && strstr(buf_cstr(&f.transcript), "AUTH PLAIN "))
		ok(strstr(buf_cstr(&f.trace), "C: AUTH PLAIN ****\n") != NULL,
		    "  trace shows AUTH PLAIN ****");
	if (c->rc == 0 && !f.closed) {
		ok(smtpc_session_quit(s, &err) == SMTPC_ECONN && f.closed,
		    "  quit closes (the script has no 221)");
	}
	smtpc_result_free(res);
	smtpc_session_free(s);
	fake_free(&f);
	return rc;
}

static void
session_misc(void)
{
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	static const char *const script[] = {
		"", "220 mx\r\n", "EHLO", EHLO_AUTH, "AUTH PLAIN", "235 ok\r\n",
		"MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n",
		"DATA", "354 go\r\n",
		"=.", "250 ok\r\n", "MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n",
		"DATA", "354 go\r\n", "=.", "250 ok\r\n", "QUIT", "221 bye\r\n",
		NULL
	};
	static const char *const rcpt[] = { "b@y.test" };
	struct fake f = { 0 };
	struct body b = { "two\r\nmails", 0, 0 };

	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "host"), "no host: EINVAL");
	cfg.host = "mx.test";
	cfg.helo = "bad name\r\n";
	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL,
	    "HELO name with CRLF refused");
	cfg.helo = NULL;
	cfg.user = "u\r\nRSET";
	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL,
	    "user with CRLF refused");
	cfg.user = NULL;
	smtpc_session_free(NULL);

	/* Default ports. */
	{
		static const struct { enum smtpc_tls_mode m; unsigned p; }
		    ports[] = { { SMTPC_TLS_STARTTLS, 587 },
		    { SMTPC_TLS_IMPLICIT, 465 }, { SMTPC_TLS_NONE, 25 } };
		static const char *const none[] = { "", "!CLOSE", NULL };
		size_t i;

		for (i = 0; i < 3; i++) {
			memset(&f, 0, sizeof(f));
			buf_init(&f.in, 1024);
			buf_init(&f.out, 1024);
			buf_init(&f.transcript, 1024);
			f.script = none;
			cfg.tls = ports[i].m;
			ok(smtpc_session_new(&cfg, &s, &err) == 0, "new");
			session_set_io(s, &fake_io, &f);
			smtpc_session_open(s, &err);
			ok(f.port == ports[i].p, "default port");
			smtpc_session_free(s);
			buf_free(&f.in);
			buf_free(&f.out);
			buf_free(&f.transcript);
		}
	}

	/* Two mails on one session, then QUIT; getters. */
	memset(&f, 0, sizeof(f));
	buf_init(&f.in, 1 << 16);
	buf_init(&f.out, 1 << 16);
	buf_init(&f.transcript, 1 << 16);
	f.script = script;
	cfg.tls = SMTPC_TLS_NONE;
	cfg.user = "alice";
	cfg.password = "pw";
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "new");
	session_set_io(s, &fake_io, &f);
	ok(smtpc_session_auth_mech(s) == NULL, "not authenticated yet");
	ok(smtpc_session_open(s, &err) == 0, "open (plain AUTH allowed "
	    "with SMTPC_TLS_NONE)");
	ok(smtpc_session_open(s, &err) == SMTPC_EINVAL, "open twice: EINVAL");
	eq_str(smtpc_session_auth_mech(s), "PLAIN", "auth mech");
	eq_str(smtpc_session_capabilities(s), "PIPELINING\nAUTH LOGIN PLAIN\n",
	    "capabilities");
	ok(smtpc_session_tls(s) == NULL, "no TLS info");
	ok(smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, NULL,
	    &err) == 0, "first mail");
	b.off = 0;
	ok(smtpc_session_send(s, "", rcpt, 1, body_read, &b, 0, NULL,
	    &err) == 0,
	    "second mail, null sender");
	ok(strstr(buf_cstr(&f.transcript), "MAIL FROM:<>\n") != NULL,
	    "null reverse-path");
	ok(smtpc_session_send(s, "a@x.test", rcpt, 0, body_read, &b, 0, NULL,
	    &err) == SMTPC_EINVAL, "no recipients: EINVAL");
	ok(smtpc_session_quit(s, &err) == 0 && f.closed, "QUIT 221");
	ok(smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, NULL,
	    &err) == SMTPC_EINVAL, "send after quit: EINVAL");
	ok(smtpc_session_quit(s, &err) == 0, "quit twice is fine");
	smtpc_session_free(s);
	buf_free(&f.in);
	buf_free(&f.out);
	buf_free(&f.transcript);
}

/* 250 recipients: pipelined in windows, replies matched in order. */
static void
session_window(void)
{
	enum { N = 250, BAD = 180 };
	static const char *script[2 * N + 16];
	static char addrs[N][32];
	const char *rcpts[N];
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct fake f = { 0 };
	struct body b = { "x", 0, 0 };
	const struct smtpc_rcpt_status *r;
	struct smtpc_result *res = smtpc_result_new();
	size_t i, k = 0;

	script[k++] = "";
	script[k++] = "220 mx\r\n";
	script[k++] = "EHLO";
	script[k++] = EHLO_AUTH;
	script[k++] = "MAIL";
	script[k++] = "250 ok\r\n";
	for (i = 0; i < N; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "r%zu@y.test", i);
		rcpts[i] = addrs[i];
		script[k++] = "RCPT";
		script[k++] = i == BAD ? "550 5.1.1 r180 unknown\r\n" :
		    "250 ok\r\n";
	}
	script[k++] = "DATA";
	script[k++] = "354 go\r\n";
	script[k] = NULL;
	f.script = script;
	buf_init(&f.in, 1 << 16);
	buf_init(&f.out, 1 << 16);
	buf_init(&f.transcript, 1 << 16);
	cfg.host = "mx.test";
	cfg.tls = SMTPC_TLS_NONE;
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "window: new");
	session_set_io(s, &fake_io, &f);
	ok(smtpc_session_open(s, &err) == 0, "window: open");
	ok(smtpc_session_send(s, "a@x.test", rcpts, N, body_read, &b, 0, res,
	    &err) == SMTPC_EPERM, "window: one refusal among 250 fails");
	ok(f.max_batch == SESSION_PIPE_WINDOW, "window: 100 commands a write");
	ok(refused_count(res) == 1 && (r = smtpc_result_rcpt(res, BAD)) !=
	    NULL && strcmp(r->address, "r180@y.test") == 0 &&
	    r->accepted == 0 && r->reply_code == 550 &&
	    strcmp(r->enhanced, "5.1.1") == 0 &&
	    strcmp(r->text, "5.1.1 r180 unknown") == 0,
	    "window: the refusal is matched to its recipient");
	ok(smtpc_result_rcpt(res, BAD + 1)->accepted == 1 &&
	    smtpc_result_rcpt(res, N) == NULL,
	    "window: the others accepted; index past the end");
	smtpc_result_free(res);
	ok(strstr(buf_cstr(&f.transcript), "r249@y.test>\nDATA\n") != NULL &&
	    strstr(buf_cstr(&f.transcript), "\n.\n") == NULL && f.closed,
	    "window: DATA after the last RCPT; hung up, no dot");
	smtpc_session_free(s);
	buf_free(&f.in);
	buf_free(&f.out);
	buf_free(&f.transcript);
}

/*
 * One transaction against `script` with the given DSN, size and flags;
 * the transcript and trace are left in *f (freed by the caller).
 */
static int
ext_run(struct fake *f, const char *const *script,
    const struct dsn_case *dsn, uint64_t size, unsigned flags)
{
	static const char *const rcpts[] = { "b@y.test", "c@y.test" };
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct body b = { "caf\xc3\xa9", 0, 0 };
	int rc;

	memset(f, 0, sizeof(*f));
	f->script = script;
	buf_init(&f->in, 1 << 16);
	buf_init(&f->out, 1 << 16);
	buf_init(&f->transcript, 1 << 16);
	buf_init(&f->trace, 1 << 16);
	cfg.host = "mx.test";
	cfg.helo = "test.host";
	cfg.tls = SMTPC_TLS_NONE;
	cfg.event = fake_event;
	cfg.event_user = f;
	if (smtpc_session_new(&cfg, &s, &err) != 0)
		return -100;
	session_set_io(s, &fake_io, f);
	if ((rc = smtpc_session_open(s, &err)) == 0 &&
	    (rc = set_dsn(s, dsn, &err)) == 0 &&
	    (rc = smtpc_session_set_size(s, size)) == 0)
		rc = smtpc_session_send(s, "a@x.test", rcpts, 2, body_read,
		    &b, flags, NULL, &err);
	smtpc_session_free(s);
	return rc;
}

static void
ext_free(struct fake *f)
{
	buf_free(&f->in);
	buf_free(&f->out);
	buf_free(&f->transcript);
	buf_free(&f->trace);
}

/* DSN (RFC 3461) only when offered; SMTPC_SEND_NO_PIPELINING. */
static void
session_ext(void)
{
#define EXT_TAIL "MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n", \
	"RCPT", "250 ok\r\n", "DATA", "354 go\r\n", "=.", "250 ok\r\n", NULL
	static const char *const with_dsn[] = { "", "220 mx\r\n", "EHLO",
	    "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
	    "250 DSN\r\n", EXT_TAIL };
	static const char *const without_dsn[] = { "", "220 mx\r\n", "EHLO",
	    "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n", EXT_TAIL };
#undef EXT_TAIL
	struct dsn_case dsn = { SMTPC_DSN_SUCCESS | SMTPC_DSN_FAILURE,
	    SMTPC_DSN_RET_HDRS, "id+1=x y" };
	static const struct dsn_case bad[] = {
		{ SMTPC_DSN_NEVER | SMTPC_DSN_DELAY, 0, NULL },
		{ 0x10, 0, NULL },
		{ 0, (enum smtpc_dsn_ret)7, NULL },
		{ 0, 0, "" },
		{ 0, 0, "a\r\nRSET" },
		{ 0, 0, "caf\xc3\xa9" },
		{ 0, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ 0, 0, "++++++++++++++++++++++++++++++++++" },
	};
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct fake f;
	size_t i;

	ok(ext_run(&f, with_dsn, &dsn, 0, 0) == 0, "dsn: sent");
	eq_str(buf_cstr(&f.transcript), "EHLO test.host\n"
	    "MAIL FROM:<a@x.test> RET=HDRS ENVID=id+2B1+3Dx+20y\n"
	    "RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE\n"
	    "RCPT TO:<c@y.test> NOTIFY=SUCCESS,FAILURE\nDATA\ncaf\xc3\xa9\n.\n",
	    "dsn: RET, ENVID in xtext, NOTIFY on each RCPT");
	ok(f.max_batch == 4, "dsn: MAIL, RCPTs and DATA pipelined");
	ext_free(&f);

	dsn.notify = SMTPC_DSN_NEVER;
	dsn.ret = SMTPC_DSN_RET_FULL;
	dsn.envid = NULL;
	ok(ext_run(&f, with_dsn, &dsn, 5, SMTPC_SEND_8BIT |
	    SMTPC_SEND_NO_PIPELINING) == 0, "params: sent");
	eq_str(buf_cstr(&f.transcript), "EHLO test.host\n"
	    "MAIL FROM:<a@x.test> SIZE=5 BODY=8BITMIME RET=FULL\n"
	    "RCPT TO:<b@y.test> NOTIFY=NEVER\n"
	    "RCPT TO:<c@y.test> NOTIFY=NEVER\nDATA\ncaf\xc3\xa9\n.\n",
	    "params: SIZE, BODY, RET in order; NOTIFY=NEVER");
	/* 2: the body line and the dot; the envelope went one by one. */
	ok(f.max_batch == 2, "no pipelining: one command a write");
	ext_free(&f);

	ok(ext_run(&f, without_dsn, &dsn, 0, 0) == 0,
	    "dsn not offered: sent anyway");
	eq_str(buf_cstr(&f.transcript), "EHLO test.host\n"
	    "MAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\n"
	    "DATA\ncaf\xc3\xa9\n.\n", "dsn not offered: no DSN parameters");
	ok(strstr(buf_cstr(&f.trace), "server does not offer DSN") != NULL,
	    "dsn not offered: the trace says so");
	ext_free(&f);

	ok(ext_run(&f, with_dsn, NULL, 0, 0) == 0, "no dsn asked: sent");
	ok(strstr(buf_cstr(&f.transcript), "MAIL FROM:<a@x.test>\n"
	    "RCPT TO:<b@y.test>\n") != NULL, "no dsn asked: no parameters");
	ext_free(&f);

	cfg.host = "mx.test";
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "dsn: new");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(set_dsn(s, &bad[i], &err) == SMTPC_EINVAL,
		    "dsn: invalid settings refused");
	dsn.envid = "+++++++++++++++++++++++++++++++++";
	ok(set_dsn(s, &dsn, &err) == 0,
	    "dsn: 99 characters once encoded is fine");
	ok(set_dsn(s, NULL, &err) == 0, "dsn: cleared");
	ok(set_dsn(NULL, &dsn, &err) == SMTPC_EINVAL,
	    "dsn: no session");
	smtpc_session_free(s);
}

/*
 * No helo given: never the bare short host name (it leaks the name and
 * Postfix's reject_non_fqdn_helo_hostname refuses it); a dotted name, or
 * the address literal of our end.  A wrong --auth is the caller's error
 * (EINVAL), not the server's (ENOMECH).
 */
static void
session_default_helo(void)
{
	static const char *const script[] = {
		"", "220 mx\r\n", "EHLO", "250 mx\r\n", "QUIT", "221 bye\r\n",
		NULL
	};
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct fake f = { 0 };
	char host[256], name[300];
	const char *t;
	size_t n;

	fake_init(&f, script);
	cfg.host = "mx.test";
	cfg.tls = SMTPC_TLS_NONE;
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "default helo: new");
	session_set_io(s, &fake_io, &f);
	ok(smtpc_session_open(s, &err) == 0, "default helo: open");
	t = buf_cstr(&f.transcript);
	n = strncmp(t, "EHLO ", 5) == 0 ? strcspn(t + 5, "\n") : 0;
	snprintf(name, sizeof(name), "%.*s", (int)n, t + 5);
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (!ok(strcmp(name, "[192.0.2.25]") == 0 ||
	    (strchr(name, '.') != NULL && name[0] != '['),
	    "default helo: a dotted name or our address literal"))
		printf("# EHLO %s\n", name);
	ok(strchr(host, '.') != NULL || strcmp(name, host) != 0,
	    "default helo: never the bare short host name");
	smtpc_session_quit(s, NULL);
	smtpc_session_free(s);
	fake_free(&f);

	cfg.user = "alice";
	cfg.password = "s3cret";
	cfg.auth_mech = "GSSAPI";
	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "not supported") != NULL,
	    "unknown --auth: EINVAL before connecting");
	cfg.auth_mech = "XOAUTH2";
	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "needs an OAuth token") != NULL,
	    "token mechanism with a password: EINVAL before connecting");
}

/*
 * AUTH is one stage with one deadline, however many steps the server
 * asks for and however late it answers each (several well-known clients
 * restart the clock at every reply).
 */
static void
session_auth_deadline(void)
{
	static const char *const script[] = {
		"", "220 mx\r\n", "EHLO", EHLO_AUTH,
		"AUTH LOGIN", "334 VXNlcm5hbWU6\r\n",
		"YWxpY2U=", "334 UGFzc3dvcmQ6\r\n", "czNjcmV0", "235 ok\r\n",
		"MAIL", "250 ok\r\n", NULL
	};
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct fake f = { 0 };
	size_t n;

	f.script = script;
	buf_init(&f.in, 1 << 16);
	buf_init(&f.out, 1 << 16);
	buf_init(&f.transcript, 1 << 16);
	cfg.host = "mx.test";
	cfg.tls = SMTPC_TLS_IMPLICIT;
	cfg.user = "alice";
	cfg.password = "s3cret";
	cfg.auth_mech = "LOGIN";
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "auth deadline: new");
	session_set_io(s, &fake_io, &f);
	ok(smtpc_session_open(s, &err) == 0, "auth deadline: open");
	n = f.ndeadlines;
	/* greeting, EHLO (3 lines), then the three AUTH replies. */
	ok(n == 7, "auth deadline: seven reads");
	ok(n == 7 && f.deadlines[4] == f.deadlines[5] &&
	    f.deadlines[5] == f.deadlines[6],
	    "auth deadline: one for all steps");
	ok(n == 7 && f.deadlines[4] < f.deadlines[1],
	    "auth deadline: its own limit (2 min), not the EHLO's (5 min)");
	smtpc_session_free(s);
	buf_free(&f.in);
	buf_free(&f.out);
	buf_free(&f.transcript);
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/* An event callback that cancels at a chosen stage or progress event. */
struct canceller {
	struct fake *f;
	enum smtpc_event_type type;
	enum smtpc_stage stage;
	int armed;
	unsigned stages_seen;	/* bit per stage entered */
};

static int
cancel_event(void *user, const struct smtpc_event *ev)
{
	struct canceller *c = user;

	if (ev->type == SMTPC_EVENT_STAGE)
		c->stages_seen |= 1u << ev->stage;
	if (c->armed && ev->type == c->type && ev->stage == c->stage) {
		c->armed = 0;
		return 1;
	}
	return fake_event(c->f, ev);
}

/*
 * The session's promises (smtpc.h, Sessions): after each failure it is
 * ready or closed as documented; reset, noop, reopen; the result of each
 * send; cancelling.
 */
static void
session_contract(void)
{
	static const char *const script[] = {
		"", "220 mx\r\n", "EHLO", EHLO_AUTH,
		/* 1: the only recipient refused, DATA refused: RSET, ready */
		"MAIL", "250 ok\r\n", "RCPT", "550 5.1.1 no such user\r\n",
		"DATA", "554 5.5.1 no valid recipients\r\n",
		"RSET", "250 ok\r\n",
		/* 2: sent; the queue ID read from the final reply */
		"MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n",
		"DATA", "354 go\r\n", "=.", "250 2.0.0 Ok: queued as 4QX9\r\n",
		/* NOOP and RSET on a ready session */
		"NOOP", "250 ok\r\n", "RSET", "250 ok\r\n",
		/* 3: the final reply a 451: ready, no RSET needed */
		"MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n",
		"DATA", "354 go\r\n", "=.", "451 4.3.0 try later\r\n",
		/* 4: cancelled at the envelope: nothing sent, ready */
		/* 5: cancelled in the message: hung up, closed */
		"MAIL", "250 ok\r\n", "RCPT", "250 ok\r\n",
		"DATA", "354 go\r\n",
		/* reopened: a new greeting and EHLO */
		"", "220 mx again\r\n", "EHLO", EHLO_AUTH,
		/* 6: a 421 to NOOP: QUIT, closed */
		"NOOP", "421 4.3.2 shutting down\r\n", "QUIT", "221 bye\r\n",
		NULL
	};
	static const char *const rcpt[] = { "b@y.test" };
	struct fake f = { 0 };
	struct canceller cx = { &f, 0, 0, 0, 0 };
	struct smtpc_server cfg = server_cfg();
	struct smtpc_session *s = NULL;
	struct smtpc_result *res = smtpc_result_new();
	const struct smtpc_rcpt_status *st;
	struct smtpc_error err;
	struct body b = { "hello", 0, 0 };
	int rc;

	f.script = script;
	buf_init(&f.in, 1 << 16);
	buf_init(&f.out, 1 << 16);
	buf_init(&f.transcript, 1 << 16);
	buf_init(&f.trace, 1 << 16);
	cfg.host = "mx.test";
	cfg.helo = "test.host";
	cfg.tls = SMTPC_TLS_NONE;
	cfg.event = cancel_event;
	cfg.event_user = &cx;
	ok(smtpc_session_new(&cfg, &s, &err) == 0, "contract: new");
	session_set_io(s, &fake_io, &f);
	ok(!smtpc_session_is_ready(s), "contract: not ready before open");
	ok(smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err) == SMTPC_EINVAL && smtpc_result_status(res) == SMTPC_EINVAL &&
	    smtpc_result_error(res) != NULL,
	    "contract: a send before open fails, and its result says so");
	ok(smtpc_session_open(s, &err) == 0 && smtpc_session_is_ready(s),
	    "contract: ready after open");

	rc = smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err);
	ok(rc == SMTPC_EPERM && smtpc_session_is_ready(s) && !f.closed,
	    "1: a refused recipient leaves the session ready");
	ok(strstr(buf_cstr(&f.transcript), "DATA\nRSET\n") != NULL,
	    "1: what the server held was reset with RSET");
	st = smtpc_result_rcpt(res, 0);
	ok(smtpc_result_status(res) == SMTPC_EPERM && st != NULL &&
	    st->accepted == 0 && st->reply_code == 550 &&
	    strcmp(st->enhanced, "5.1.1") == 0 &&
	    strcmp(smtpc_result_error(res)->stage, "RCPT TO") == 0,
	    "1: the result names the refusal");
	ok(smtpc_result_final_reply(res) == NULL &&
	    smtpc_result_bytes(res) == 0, "1: no message, no final reply");
	ok(smtpc_result_stage_usec(res, SMTPC_STAGE_CONNECT) >= 0 &&
	    smtpc_result_stage_usec(res, SMTPC_STAGE_EHLO) >= 0 &&
	    smtpc_result_stage_usec(res, SMTPC_STAGE_ENVELOPE) >= 0,
	    "1: the first send carries the open's stage times");
	eq_str(smtpc_result_host(res), "mx.test",
	    "1: the server in the result");

	b.off = 0;
	rc = smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err);
	ok(rc == 0 && smtpc_session_is_ready(s), "2: sent, ready again");
	ok(smtpc_result_status(res) == 0 && smtpc_result_error(res) == NULL &&
	    smtpc_result_rcpt(res, 0)->accepted == 1 &&
	    smtpc_result_final_reply(res) != NULL &&
	    smtpc_result_final_reply(res)->code == 250, "2: the result");
	eq_str(smtpc_result_queue_id(res), "4QX9", "2: the queue ID");
	ok(smtpc_result_bytes(res) == 5 &&
	    smtpc_result_stage_usec(res, SMTPC_STAGE_CONNECT) == -1 &&
	    smtpc_result_stage_usec(res, SMTPC_STAGE_MESSAGE) >= 0,
	    "2: bytes; later sends have no open times");

	ok(smtpc_session_noop(s, &err) == 0 && smtpc_session_reset(s, &err) ==
	    0 && smtpc_session_is_ready(s), "NOOP and RSET: 250, ready");

	b.off = 0;
	rc = smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err);
	ok(rc == SMTPC_ETEMP && smtpc_session_is_ready(s) &&
	    smtpc_result_final_reply(res)->code == 451 &&
	    smtpc_result_queue_id(res) == NULL,
	    "3: a 451 after the message: ETEMP, ready");
	ok(f.pos == 32 && f.transcript.len > 8 &&
	    strcmp(buf_cstr(&f.transcript) + f.transcript.len - 8,
	    "hello\n.\n") == 0, "3: no RSET after a final reply");

	cx.armed = 1;
	cx.type = SMTPC_EVENT_STAGE;
	cx.stage = SMTPC_STAGE_ENVELOPE;
	b.off = 0;
	rc = smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err);
	ok(rc == SMTPC_ECANCELED && smtpc_session_is_ready(s) &&
	    f.pos == 32 && smtpc_result_status(res) == SMTPC_ECANCELED,
	    "4: cancelled before the envelope: nothing sent, ready");

	cx.armed = 1;
	cx.type = SMTPC_EVENT_PROGRESS;
	cx.stage = SMTPC_STAGE_MESSAGE;
	b.off = 0;
	rc = smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, res,
	    &err);
	ok(rc == SMTPC_ECANCELED && !smtpc_session_is_ready(s) && f.closed,
	    "5: cancelled in the message: closed");
	ok(count_str(buf_cstr(&f.transcript), "\n.\n") == 2,
	    "5: no end of message after the cancel (only sends 2 and 3)");
	ok(smtpc_session_send(s, "a@x.test", rcpt, 1, body_read, &b, 0, NULL,
	    &err) == SMTPC_ECANCELED, "5: a closed session repeats its error");

	rc = smtpc_session_open(s, &err);
	if (!ok(rc == 0 && smtpc_session_is_ready(s), "reopened after a close"))
		printf("# %s: %s: %s (pos %zu)\n", smtpc_errname(rc),
		    err.stage, err.message, f.pos);
	rc = smtpc_session_noop(s, &err);
	ok(rc == SMTPC_ETEMP && !smtpc_session_is_ready(s) && f.closed &&
	    strstr(buf_cstr(&f.transcript), "NOOP\nQUIT\n") != NULL,
	    "6: a 421 to NOOP: QUIT, closed");
	ok(smtpc_session_reset(s, &err) == SMTPC_ETEMP,
	    "6: RSET on a closed session repeats the error");
	ok((cx.stages_seen & (1u << SMTPC_STAGE_CONNECT)) &&
	    (cx.stages_seen & (1u << SMTPC_STAGE_MESSAGE)) &&
	    (cx.stages_seen & (1u << SMTPC_STAGE_NOOP)),
	    "stage events for connect, message and NOOP");

	smtpc_session_free(s);
	smtpc_result_free(res);
	fake_free(&f);

	/* A configuration the caller did not initialise is refused. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "mx.test";
	ok(smtpc_session_new(&cfg, &s, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "smtpc_server_init") != NULL,
	    "uninitialised struct smtpc_server: EINVAL");
}

int
main(void)
{
	session_contract();
	size_t i;

	memset(long_reply, 'x', sizeof(long_reply) - 3);
	memcpy(long_reply, "220 ", 4);
	memcpy(long_reply + sizeof(long_reply) - 3, "\r\n", 3);
	for (i = 0; i < BIG_LINES; i++) {
		memset(big_body + i * 31, 'a' + (int)(i % 26), 30);
		big_body[i * 31 + 30] = '\n';
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	session_misc();
	session_window();
	session_ext();
	session_auth_deadline();
	session_default_helo();
	return tap_done();
}
