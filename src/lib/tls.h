/* SPDX-License-Identifier: ISC */
/*
 * tls.h - TLS over OpenSSL under conn.c: the context and its trust
 * settings, certificate checks (chain and RFC 6125 host name, a pinned
 * fingerprint, a client certificate), the handshake, and reads and writes
 * on the connection's socket.
 *
 * The socket stays conn.c's: it is non-blocking, and every step here that
 * cannot go on yet returns TLS_AGAIN with the poll(2) event it waits for,
 * so that conn.c waits with its own deadline and calls the step again.
 * TLS never waits by itself.
 *
 * Error codes as in conn.h: SMTPC_ETLS (handshake, verification, a TLS
 * alert), SMTPC_ECONN (the peer closed or reset), SMTPC_ENOMEM.
 */
#ifndef SMTPC_TLS_H
#define SMTPC_TLS_H

#include <stddef.h>

#include "conn.h"
#include "smtpc.h"

/* A step must wait for *want (POLLIN or POLLOUT), then be called again. */
#define TLS_AGAIN	1

struct tls;

/*
 * A client TLS connection over `fd` (which stays open when it is freed),
 * set up as `cfg` says: TLS 1.2 minimum, SNI, the trust store, the checks,
 * the client certificate, a cached session to resume (tls_resume.h).
 * `host` and `port` are the server's (`host` outlives the connection);
 * `starttls` tells STARTTLS from implicit TLS.  No byte is sent yet:
 * tls_handshake() does that.
 */
int tls_new(struct tls **ret, int fd, const char *host, unsigned port,
    int starttls, const struct conn_tls_cfg *cfg, struct smtpc_error *err);

/*
 * One step of the handshake: 0 when it is done and the certificate passed
 * every check cfg asked for, TLS_AGAIN, or an error (then only
 * tls_free() is left to call).
 */
int tls_handshake(struct tls *t, short *want, struct smtpc_error *err);

/*
 * Read up to `cap` bytes: 0 with *ret_len > 0, TLS_AGAIN, or an error
 * (SMTPC_ECONN for a close, with or without close_notify).
 */
int tls_read(struct tls *t, void *buf, size_t cap, size_t *ret_len,
    short *want, struct smtpc_error *err);

/* Write some of data[0..len): 0 with *ret_len > 0, TLS_AGAIN, or an error. */
int tls_write(struct tls *t, const void *data, size_t len, size_t *ret_len,
    short *want, struct smtpc_error *err);

/* The version, cipher and certificate of an established connection. */
int tls_info(const struct tls *t, struct smtpc_tls_info *out);

/*
 * Send close_notify once (never after a fatal error, never waiting for
 * the peer's), save the sessions received to the cache, then free.  NULL
 * is a no-op.
 */
void tls_close(struct tls *t);

/* Free without a word more to the peer (a failed handshake).  NULL: no-op. */
void tls_free(struct tls *t);

#endif
