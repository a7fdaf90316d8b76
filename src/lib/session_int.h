/* SPDX-License-Identifier: ISC */
/*
 * session_int.h - what the parts of the SMTP session share: the session
 * object and the helpers each part uses from another.  Not installed.
 *
 *   session.c         the core: replies, commands, state, events, the one
 *                     decision after a failure, QUIT, the transaction
 *                     driver
 *   session_open.c    connect, greeting, EHLO, STARTTLS, the getters
 *   session_config.c  smtpc_session_new/free: the copied configuration
 *   session_auth.c    the AUTH exchange over sasl.c's mechanisms
 *   session_mail.c    the envelope: MAIL/RCPT, pipelining, refusals,
 *                     SIZE/DSN/SMTPUTF8 parameters, RSET
 *   session_body.c    the message: DATA with dot-stuffing, or BDAT
 *   session_batch.c   many messages, the next envelope pipelined behind
 *                     the end of the last message
 */
#ifndef SMTPC_SESSION_INT_H
#define SMTPC_SESSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "reply.h"
#include "result.h"
#include "session.h"
#include "smtpc.h"

#define SESSION_PASS_MAX	4096
#define SESSION_CMD_MAX		16384
#define SESSION_AUTH_STEPS	8
/* MAIL FROM parameters: SIZE, BODY, SMTPUTF8, RET, ENVID (100). */
#define SESSION_PARAMS_MAX	256
/* BDAT chunk size (RFC 3030): large, so the per-chunk wait is rare. */
#define SESSION_BDAT_CHUNK	(1024u * 1024)
/* RFC 3461 4.4: an ENVID is at most 100 characters. */
#define SESSION_ENVID_MAX	100

/*
 * Does the caller's struct smtpc_server have field `f`?  Programs built
 * against an older smtpc.h pass a smaller struct (its `size` says how
 * big); fields added later are read only when this says they are there.
 */
#define SERVER_HAS(cfg, f)						\
	((cfg)->size >= offsetof(struct smtpc_server, f) + sizeof((cfg)->f))

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
	SESSION_NOOP,
	SESSION_QUIT,
	SESSION_CLOSED,
	SESSION_STATE__COUNT
};

/*
 * What the connection can still do after a failure.  Each failure site
 * says it (session_after), from what it knows of the exchange; the most
 * severe word wins, and one function (session_settle in session.c) acts
 * on it when the public call returns.  A failure that says nothing is a
 * DROP: what we do not understand, we do not trust.
 */
enum session_after {
	SESSION_AFTER_UNSET = 0,
	SESSION_AFTER_READY,	/* nothing open on the server: ready */
	SESSION_AFTER_RSET,	/* a transaction is open: RSET, then ready */
	SESSION_AFTER_QUIT,	/* close politely (a 421, a refused open) */
	SESSION_AFTER_DROP,	/* close without a word: no longer trusted */
};

struct smtpc_session {
	/* Configuration (copied). */
	char *host;
	unsigned port;
	enum smtpc_tls_mode tls;
	char *cafile;
	int insecure;
	char *helo;
	int helo_given;		/* the caller chose the EHLO name */
	unsigned timeout;
	char *user;
	struct buf password;	/* the secret: a password or a token */
	unsigned secret_kind;	/* SASL_HAVE_PASSWORD or SASL_HAVE_TOKEN */
	char *auth_mech;
	unsigned char pin[32];	/* --tls-fingerprint (SHA-256) */
	int have_pin;
	char *cert_file;
	char *key_file;
	char *tls_cache;	/* TLS session cache file, NULL: none */
	smtpc_event_fn *event;
	void *event_user;

	const struct session_io *io;
	void *io_user;
	struct conn *conn;

	enum session_state state;
	enum session_after after;	/* of the failure being handled */
	int cancel;		/* the event callback asked to stop */
	struct reply reply;
	struct reply_caps caps;
	const char *authed;	/* mechanism name, static */
	struct smtpc_tls_info tls_info;
	int have_tls_info;

	struct buf cmd;		/* the command being sent */
	struct buf tmp;		/* reply text for errors */
	char line[LIMIT_REPLY_LINE];

	/* The send in progress: its result (the caller's, or scratch). */
	struct smtpc_result *res;
	struct smtpc_result *scratch;
	int maybe_delivered;	/* the message was out, its reply lost */
	uint64_t sent;		/* message bytes handed over so far */
	/* Stage times: the stage being timed and when it began (usec). */
	int timing;		/* 1 while cur_stage is a stage */
	enum smtpc_stage cur_stage;
	int64_t stage_t0;
	/* Times of the last open, for the first send after it. */
	int64_t open_usec[RESULT_STAGES];
	int have_open_usec;

	uint64_t msg_size;	/* for SIZE=; 0: unknown (next send only) */
	/* DSN (RFC 3461) for every send; 0 / DEFAULT / NULL: not asked. */
	unsigned dsn_notify;
	enum smtpc_dsn_ret dsn_ret;
	char *dsn_envid;	/* already xtext-encoded */
	/*
	 * Batches (session_batch.c): the commands of the next envelope
	 * already written behind the last message, and whether the end of a
	 * message stays unflushed for them to join it.
	 */
	size_t prewritten;
	int defer_flush;
	size_t unanswered;	/* pipelined commands whose replies were
				   never read: QUIT skips them first */
	int64_t stage_end;	/* a stage of several exchanges (AUTH): one
				   deadline for all of them; 0: none */

	/* The error that closed the connection; later sends repeat it. */
	struct smtpc_error fatal;
};

/* session.c */
void session_after(struct smtpc_session *s, enum session_after a);
int session_canceled(struct smtpc_session *s, const char *stage,
    struct smtpc_error *err);
void session_progress(struct smtpc_session *s, size_t n);
void session_info(struct smtpc_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int session_fail_reply(struct smtpc_session *s, int code, const char *stage,
    struct smtpc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int session_cmd(struct smtpc_session *s, struct smtpc_error *err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void session_set_state(struct smtpc_session *s, enum session_state next);
int64_t session_deadline(const struct smtpc_session *s, unsigned secs);
void session_stage(struct smtpc_error *err, const char *stage);
int session_code_of(int reply_code);
int session_send(struct smtpc_session *s, const char *shown, int flush,
    unsigned secs, const char *stage, struct smtpc_error *err);
int session_reply(struct smtpc_session *s, unsigned secs, int more,
    const char *stage, struct smtpc_error *err);
int session_settle(struct smtpc_session *s, struct smtpc_error *e,
    struct smtpc_error *err);
int session_closed(const struct smtpc_session *s, struct smtpc_error *err);
int session_send_check(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    unsigned flags, int *ret_utf8, struct smtpc_error *err);
int session_final(struct smtpc_session *s, size_t accepted, size_t nrcpts,
    int more, struct smtpc_error *err);
int session_transaction(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, int defer, size_t *ret_accepted,
    struct smtpc_error *err);
int session_result_start(struct smtpc_session *s, struct smtpc_result *result,
    const char *from, const char *const *rcpts, size_t nrcpts);

/* session_open.c */
int session_open(struct smtpc_session *s, struct smtpc_error *err);

/* session_config.c */
int session_helo_ok(const char *h);
int session_fqdn(char *out, size_t cap);
int session_strdup(char **dst, const char *src);

/* session_auth.c */
int session_auth(struct smtpc_session *s, struct smtpc_error *err);

/* session_mail.c */
int session_addr_check(struct smtpc_session *s, const char *a, const char *what,
    int *utf8, struct smtpc_error *err);
int session_rset(struct smtpc_session *s, struct smtpc_error *err);
void session_abandon(struct smtpc_session *s, size_t accepted, int data_sent);
int session_fail_refused(struct smtpc_session *s, size_t accepted,
    struct smtpc_error *err);
size_t session_refused_count(const struct smtpc_session *s);
int session_check_size(struct smtpc_session *s, struct smtpc_error *err);
int session_uses_dsn(const struct smtpc_session *s);
int session_envelope_write(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, int utf8, unsigned flags,
    int data, size_t *ret_written, struct smtpc_error *err);
int session_envelope(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, int utf8, unsigned flags,
    int data, size_t *ret_accepted, int *ret_data, struct smtpc_error *err);

/* send.c: a message's envelope recipients and its 8-bit declaration */
struct smtpc_reader;
int send_rcpts(const struct smtpc_msg *msg, const char ***ret, size_t *ret_n,
    struct smtpc_error *err);
void send_8bit(const struct smtpc_session *s, const struct smtpc_msg *msg,
    struct smtpc_reader *r, unsigned *flags);

/* session_body.c */
int session_body(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err);
int session_bdat(struct smtpc_session *s, smtpc_body_read_fn *read,
    void *read_user, struct smtpc_error *err);

#endif
