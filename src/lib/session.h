/* SPDX-License-Identifier: ISC */
/*
 * session.h - internals of the SMTP session (the public side is
 * smtpc_session_* in smtpc.h).
 *
 * The session reaches the network only through struct session_io, which
 * by default is conn.c's table.  A test or fuzz target can install its own
 * to play a scripted server from memory, with no socket and no TLS.  The
 * type lives here, with the session that calls through it, so the
 * session's files and the fakes need nothing but this header.
 */
#ifndef SMTPC_SESSION_H
#define SMTPC_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "smtpc.h"

/*
 * Each member has the contract of the conn_* function of the same name
 * (open's `user` is the pointer given to session_set_io).  A fake makes
 * struct conn its own: it hands out a pointer to its own struct from open
 * and casts it back in the other members.
 */
struct session_io {
	int (*open)(void *user, struct conn **ret, const char *host,
	    unsigned port, int64_t deadline, struct smtpc_error *err);
	int (*start_tls)(struct conn *c, const struct conn_tls_cfg *cfg,
	    int64_t deadline, struct smtpc_error *err);
	size_t (*pending)(const struct conn *c);
	int (*read_line)(struct conn *c, char *out, size_t cap,
	    size_t *ret_len, int64_t deadline, struct smtpc_error *err);
	int (*write)(struct conn *c, const void *data, size_t len,
	    int64_t deadline, struct smtpc_error *err);
	int (*flush)(struct conn *c, int64_t deadline,
	    struct smtpc_error *err);
	int (*is_tls)(const struct conn *c);
	int (*tls_info)(const struct conn *c, struct smtpc_tls_info *out);
	void (*close)(struct conn *c);
	int64_t (*now_ms)(void);
	int (*local_literal)(const struct conn *c, char *out, size_t cap);
};

/* The real network: conn.c's functions (defined there). */
extern const struct session_io session_io_conn;

/* 1 when the current connection's EHLO offered `cap` (REPLY_CAP_*). */
int session_offers(const struct smtpc_session *s, unsigned cap);

/*
 * Use `io` (with `user` passed to its open) instead of the network.  Call
 * before smtpc_session_open; `io` must outlive the session.
 */
void session_set_io(struct smtpc_session *s, const struct session_io *io,
    void *user);

/*
 * Per-stage deadlines in seconds (RFC 5321 4.5.3.2); cfg->timeout
 * replaces every one of them.  Each is absolute for its stage: one reply
 * (all its lines), one command write, one block of the body, one TLS
 * handshake, the whole AUTH exchange, so a server trickling bytes cannot
 * stretch it.
 */
#define SESSION_T_CONNECT	30
#define SESSION_T_GREETING	300
#define SESSION_T_CMD		300
#define SESSION_T_TLS		60
#define SESSION_T_AUTH		120
#define SESSION_T_MAIL		300
#define SESSION_T_RCPT		300
#define SESSION_T_DATA		120
#define SESSION_T_BLOCK		180
#define SESSION_T_DOT		600
#define SESSION_T_QUIT		10

/* Commands written before their replies are read, with PIPELINING. */
#define SESSION_PIPE_WINDOW	100

#endif
