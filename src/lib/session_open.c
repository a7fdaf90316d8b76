/* SPDX-License-Identifier: ISC */
/*
 * session_open.c - opening a connection: connect, implicit TLS or the
 * greeting, EHLO (HELO for an old server), STARTTLS with everything
 * learnt before it forgotten, then AUTH (session_auth.c); and what the
 * caller may read of the connection afterwards (TLS, capabilities, the
 * mechanism that authenticated).
 *
 * Each failure says what the connection can still do (session_after): a
 * server that refuses us politely gets a QUIT, anything else is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "error.h"
#include "reply.h"
#include "session_int.h"

/*
 * Opening: connect, TLS, greeting, EHLO, STARTTLS, AUTH.
 */

/* What the connection layer tells about TLS, as an info event. */
static void
session_note(void *user, const char *msg)
{
	session_info(user, "%s", msg);
}

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
	cfg.note = session_note;
	cfg.note_user = s;
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
		session_after(s, SESSION_AFTER_QUIT);
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
		session_after(s, SESSION_AFTER_QUIT);
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
		if (s->io->pending(s->conn) == 0)
			session_after(s, SESSION_AFTER_QUIT);
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

/* The EHLO name of this connection, when the caller gave none. */
static int
session_pick_helo(struct smtpc_session *s, int connected,
    struct smtpc_error *err)
{
	char name[256];

	if (s->helo_given || (connected && s->helo != NULL))
		return 0;
	if (!connected) {
		free(s->helo);
		s->helo = NULL;
		if (session_fqdn(name, sizeof(name)) != 0)
			return 0;
	} else if (s->io->local_literal(s->conn, name, sizeof(name)) != 0 ||
	    !session_helo_ok(name)) {
		/* No name: the address we speak from, which the server sees. */
		snprintf(name, sizeof(name), "localhost");
	}
	if (session_strdup(&s->helo, name) != 0)
		return error_set(err, SMTPC_ENOMEM, "EHLO", "out of memory");
	return 0;
}

int
session_open(struct smtpc_session *s, struct smtpc_error *err)
{
	int rc;

	session_set_state(s, SESSION_CONNECT);
	if ((rc = session_canceled(s, "connect", err)) != 0 ||
	    (rc = session_pick_helo(s, 0, err)) != 0)
		return rc;
	session_info(s, "connecting to %s port %u", s->host, s->port);
	rc = s->io->open(s->io_user, &s->conn, s->host, s->port,
	    session_deadline(s, SESSION_T_CONNECT), err);
	if (rc != 0) {
		s->conn = NULL;
		session_stage(err, "connect");
		return rc;
	}
	session_info(s, "connected to %s port %u", s->host, s->port);
	if ((rc = session_pick_helo(s, 1, err)) != 0)
		return rc;
	if (s->tls == SMTPC_TLS_IMPLICIT && (rc = session_tls(s, err)) != 0)
		return rc;

	session_set_state(s, SESSION_GREETING);
	if ((rc = session_reply(s, SESSION_T_GREETING, 0, "greeting",
	    err)) != 0)
		return rc;
	if (s->reply.code != 220) {
		if (reply_class(&s->reply) >= 4)
			session_after(s, SESSION_AFTER_QUIT);
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
	/* A cancel asked for at any stage of the open ends it here. */
	if ((rc = session_canceled(s, smtpc_stage_name(s->cur_stage),
	    err)) != 0) {
		session_after(s, SESSION_AFTER_QUIT);
		return rc;
	}
	session_set_state(s, SESSION_READY);
	return 0;
}

int
session_offers(const struct smtpc_session *s, unsigned cap)
{
	return (s->caps.flags & cap) != 0;
}

const struct smtpc_tls_info *
smtpc_session_tls(const struct smtpc_session *s)
{
	return s != NULL && s->have_tls_info ? &s->tls_info : NULL;
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
