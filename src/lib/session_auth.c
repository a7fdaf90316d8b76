/* SPDX-License-Identifier: ISC */
/*
 * session_auth.c - the AUTH exchange (RFC 4954) over sasl.c's mechanisms:
 * choosing one the server offers and the secret allows, the 334
 * challenges within one deadline, never a secret in the trace.
 */

#include <stdio.h>
#include <stdlib.h>

#include "base64.h"
#include "bounds.h"
#include "error.h"
#include "sasl.h"
#include "session_int.h"

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
			session_after(s, SESSION_AFTER_QUIT);
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

int
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
		session_after(s, SESSION_AFTER_QUIT);
		return error_set(err, SMTPC_ENOMECH, "AUTH",
		    "a user is set but the server offers no authentication "
		    "(no AUTH in its EHLO reply; it offers: nothing): check "
		    "the server and port");
	}
	if ((rc = sasl_choose(buf_cstr(&s->caps.auth), s->auth_mech,
	    s->secret_kind, &mech, err)) != 0) {
		session_after(s, SESSION_AFTER_QUIT);
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
