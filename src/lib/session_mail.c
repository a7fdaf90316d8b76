/* SPDX-License-Identifier: ISC */
/*
 * session_mail.c - the envelope: MAIL FROM and RCPT TO with their SIZE,
 * BODY, SMTPUTF8 and DSN parameters, pipelined in windows when the server
 * offers PIPELINING (RFC 2920), each refusal kept with the server's
 * words, and the ways a refused transaction is ended (RSET, a lone dot,
 * or hanging up).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "error.h"
#include "session_int.h"

/*
 * The mail transaction.
 */

/*
 * An envelope address as it goes between < and >: no controls, no angle
 * brackets; non-ASCII only with SMTPUTF8 (RFC 6531).
 */
int
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

/* The answer to RCPT for recipient `i`, into the send's result. */
static int
session_rcpt_answer(struct smtpc_session *s, size_t i, int accepted)
{
	int rc;

	buf_reset(&s->tmp);
	if ((rc = reply_text_oneline(&s->reply, &s->tmp)) != 0)
		return rc;
	return result_rcpt_reply(s->res, i, accepted, s->reply.code,
	    s->reply.enhanced, buf_cstr(&s->tmp), s->tmp.len);
}

/* Recipients the server refused in this send. */
size_t
session_refused_count(const struct smtpc_session *s)
{
	const struct smtpc_rcpt_status *st;
	size_t i, n = 0;

	for (i = 0; (st = result_rcpt(s->res, i)) != NULL; i++)
		n += st->accepted == 0;
	return n;
}

/* RSET: 0 when the server answered 250. */
int
session_rset(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	session_set_state(s, SESSION_RSET);
	if ((rc = session_cmd(s, err, "RSET")) != 0 ||
	    (rc = session_send(s, NULL, 1, SESSION_T_CMD, "RSET", err)) != 0 ||
	    (rc = session_reply(s, SESSION_T_CMD, 0, "RSET", err)) != 0)
		return rc;
	if (s->reply.code != 250)
		return session_fail_reply(s, SMTPC_EPROTO, "RSET", err,
		    "unexpected reply to RSET");
	session_set_state(s, SESSION_READY);
	return 0;
}

/*
 * End a transaction refused at RCPT.  A DATA pipelined with the envelope
 * may have been taken anyway.  With no recipient, a lone dot ends it and
 * delivers nothing (RFC 2920 3.1).  With some recipients accepted that dot
 * would deliver an empty message, so the connection is dropped before the
 * end of the data instead: the server then discards the transaction.
 */
void
session_abandon(struct smtpc_session *s, size_t accepted, int data_sent)
{
	struct smtpc_error ignored;

	if (!data_sent || s->reply.code != 354) {
		session_after(s, SESSION_AFTER_RSET);
		return;
	}
	if (accepted > 0) {
		session_info(s, "closing the connection so that the server "
		    "discards the message");
		session_after(s, SESSION_AFTER_DROP);
		return;
	}
	if (session_cmd(s, &ignored, ".") != 0 ||
	    session_send(s, NULL, 1, SESSION_T_DOT, "message",
	    &ignored) != 0 ||
	    session_reply(s, SESSION_T_DOT, 0, "message", &ignored) != 0) {
		session_after(s, SESSION_AFTER_DROP);
		return;
	}
	session_after(s, SESSION_AFTER_RSET);
}

/* Fail with the first refusal's words (a 5xx one, if any, decides). */
int
session_fail_refused(struct smtpc_session *s, size_t accepted,
    struct smtpc_error *err)
{
	const struct smtpc_rcpt_status *st, *r = NULL, *first = NULL;
	size_t i, n = 0;
	int code;

	for (i = 0; (st = result_rcpt(s->res, i)) != NULL; i++) {
		if (st->accepted != 0)
			continue;
		n++;
		if (first == NULL)
			first = st;
		if (r == NULL && st->reply_code >= 500)
			r = st;
	}
	if (first == NULL)
		return error_set(err, SMTPC_EPROTO, "RCPT TO",
		    "no recipient accepted and none refused");
	code = r != NULL ? SMTPC_EPERM : SMTPC_ETEMP;
	if (r == NULL || accepted == 0) {
		/* Nothing will be sent: the first refusal speaks for all. */
		r = first;
		code = session_code_of(r->reply_code);
	}
	if (n > 1)
		error_set(err, code, "RCPT TO", "recipient refused: %s "
		    "(%zu refused in all%s)", r->address, n,
		    accepted == 0 ? ", none accepted" : "");
	else
		error_set(err, code, "RCPT TO", "recipient refused: %s",
		    r->address);
	if (err != NULL) {
		err->reply_code = r->reply_code;
		snprintf(err->enhanced, sizeof(err->enhanced), "%s",
		    r->enhanced);
		snprintf(err->server_text, sizeof(err->server_text), "%s",
		    r->text);
	}
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
int
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
int
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

/* Commands i in [start, end) of the envelope into the connection. */
static int
envelope_write(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, const char *mparams,
    const char *rparams, size_t start, size_t end, int flush,
    struct smtpc_error *err)
{
	size_t i;
	int rc;

	for (i = start; i < end; i++) {
		if (i == 0)
			rc = session_cmd(s, err, "MAIL FROM:<%s>%s", from,
			    mparams);
		else if (i <= nrcpts)
			rc = session_cmd(s, err, "RCPT TO:<%s>%s",
			    rcpts[i - 1], rparams);
		else
			rc = session_cmd(s, err, "DATA");
		if (rc == 0)
			rc = session_send(s, NULL, flush && i + 1 == end,
			    envelope_timeout(i, nrcpts),
			    envelope_stage(i, nrcpts), err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Whether the envelope is pipelined, and how many commands it has. */
static size_t
envelope_total(const struct smtpc_session *s, size_t nrcpts, unsigned flags,
    int *data, size_t *window)
{
	int pipe = (s->caps.flags & REPLY_CAP_PIPELINING) != 0 &&
	    !(flags & SMTPC_SEND_NO_PIPELINING);

	*window = pipe ? SESSION_PIPE_WINDOW : 1;
	*data = *data && pipe;	/* unpipelined, DATA waits for the RCPTs */
	return nrcpts + 1 + (*data ? 1 : 0);
}

/*
 * The whole envelope written, not flushed, behind a message whose final
 * reply is still to come (RFC 2920 3.1: commands may follow the end of
 * the data).  Only when it fits in one window; *ret_written 0 otherwise.
 * session_envelope then reads its replies without writing it again.
 */
int
session_envelope_write(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, int utf8, unsigned flags,
    int data, size_t *ret_written, struct smtpc_error *err)
{
	char mparams[SESSION_PARAMS_MAX], rparams[64];
	size_t total, window;
	int rc;

	*ret_written = 0;
	total = envelope_total(s, nrcpts, flags, &data, &window);
	if (window == 1 || total > window)
		return 0;
	session_mail_params(s, utf8, (flags & SMTPC_SEND_8BIT) != 0, mparams,
	    sizeof(mparams));
	session_rcpt_params(s, rparams, sizeof(rparams));
	if ((rc = envelope_write(s, from, rcpts, nrcpts, mparams, rparams, 0,
	    total, 0, err)) != 0)
		return rc;
	*ret_written = total;
	return 0;
}

/*
 * MAIL FROM, every RCPT TO and, when `data` and PIPELINING is on, DATA
 * too: in windows of one write each, replies matched in order (RFC 2920).
 * *ret_data: DATA went out and its reply is in s->reply, for the caller
 * to judge against the recipients' replies.  When s->prewritten says the
 * envelope is already out (session_envelope_write), only its replies
 * are read.
 */
int
session_envelope(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, int utf8, unsigned flags,
    int data, size_t *ret_accepted, int *ret_data, struct smtpc_error *err)
{
	char mparams[SESSION_PARAMS_MAX], rparams[64];
	size_t total, window, start, end, i, accepted = 0;
	size_t pre = s->prewritten;
	struct smtpc_error mail_err;
	int rc, mail_failed = 0;

	*ret_data = 0;
	s->prewritten = 0;
	total = envelope_total(s, nrcpts, flags, &data, &window);
	memset(&mail_err, 0, sizeof(mail_err));
	session_mail_params(s, utf8, (flags & SMTPC_SEND_8BIT) != 0, mparams,
	    sizeof(mparams));
	session_rcpt_params(s, rparams, sizeof(rparams));
	session_set_state(s, SESSION_MAIL);
	/* Nothing is open on the server yet: a cancel leaves it ready. */
	if (pre == 0 && (rc = session_canceled(s, "MAIL FROM", err)) != 0) {
		session_after(s, SESSION_AFTER_READY);
		return rc;
	}
	for (start = 0; start < total; start = end) {
		end = start + window < total ? start + window : total;
		if (start == 0 && pre == total)
			;	/* written behind the last message */
		else if ((rc = envelope_write(s, from, rcpts, nrcpts, mparams,
		    rparams, start, end, 1, err)) != 0)
			return rc;
		for (i = start; i < end; i++) {
			if ((rc = session_reply(s, envelope_timeout(i, nrcpts),
			    i + 1 < end, envelope_stage(i, nrcpts),
			    err)) != 0) {
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
			if (reply_class(&s->reply) == 3)
				return session_fail_reply(s, SMTPC_EPROTO,
				    "RCPT TO", err, "unexpected reply to RCPT");
			if ((rc = session_rcpt_answer(s, i - 1,
			    reply_class(&s->reply) == 2)) != 0)
				return error_set(err, rc, "RCPT TO",
				    "out of memory");
			if (reply_class(&s->reply) == 2)
				accepted++;
		}
		if (mail_failed) {
			if (err != NULL)
				*err = mail_err;
			/*
			 * A DATA taken without a sender is a server gone
			 * wrong; only hanging up ends it safely.
			 */
			session_after(s, mail_err.code != SMTPC_EPROTO &&
			    !(*ret_data && s->reply.code == 354) ?
			    SESSION_AFTER_READY : SESSION_AFTER_DROP);
			return mail_err.code;
		}
	}
	/* A cancel while the written envelope was answered: undo it. */
	if (pre != 0 && (rc = session_canceled(s, "MAIL FROM", err)) != 0) {
		session_abandon(s, accepted, *ret_data);
		return rc;
	}
	*ret_accepted = accepted;
	return 0;
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
smtpc_session_set_dsn(struct smtpc_session *s, unsigned notify,
    enum smtpc_dsn_ret ret, const char *envid, struct smtpc_error *err)
{
	char coded[SESSION_ENVID_MAX + 1];
	char *copy = NULL;
	unsigned all = SMTPC_DSN_NEVER | SMTPC_DSN_SUCCESS | SMTPC_DSN_FAILURE |
	    SMTPC_DSN_DELAY;

	if (s == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no session");
	if ((notify & ~all) != 0 || ((notify & SMTPC_DSN_NEVER) &&
	    notify != SMTPC_DSN_NEVER))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "DSN notify: NEVER goes alone; else any of SUCCESS, "
		    "FAILURE, DELAY");
	if (ret != SMTPC_DSN_RET_DEFAULT && ret != SMTPC_DSN_RET_FULL &&
	    ret != SMTPC_DSN_RET_HDRS)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "DSN return: FULL or HDRS");
	if (envid != NULL && session_xtext(envid, coded, sizeof(coded)) != 0)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "DSN envelope ID: printable ASCII, not empty, at most %d "
		    "characters once encoded", SESSION_ENVID_MAX);
	if (envid != NULL && (copy = strdup(coded)) == NULL)
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	free(s->dsn_envid);
	s->dsn_envid = copy;
	s->dsn_notify = notify;
	s->dsn_ret = ret;
	return 0;
}
