/* SPDX-License-Identifier: ISC */
/*
 * tls_resume.h - TLS session resumption across runs, for tls.c: which
 * cached session to offer, the sessions the server hands out (TLS 1.3
 * tickets, TLS 1.2 session IDs and tickets), and the cache file
 * (tls_cache.h) updated when the connection closes.
 *
 * A cached session is offered only when its server certificate still
 * passes, today and with today's trust store, every check a full
 * handshake would make (chain, host name; or the pin): OpenSSL itself
 * does not check again on resumption, it trusts what the session says.
 * Notes about the cache go to the caller's note callback (conn.h).
 */
#ifndef SMTPC_TLS_RESUME_H
#define SMTPC_TLS_RESUME_H

#include <openssl/ssl.h>

#include "conn.h"

struct tls_resume;

/*
 * Resumption for connections from `ctx` to host:port (`host` as sent in
 * SNI), `starttls` telling the TLS mode; cfg->cache names the file.
 * Installs the callback that collects new sessions.  0, or SMTPC_ENOMEM.
 */
int tls_resume_new(struct tls_resume **ret, SSL_CTX *ctx, const char *host,
    unsigned port, int starttls, const struct conn_tls_cfg *cfg);

/*
 * Before the handshake: offer the newest cached session for this server
 * and these settings whose certificate passes the checks `ssl` is set up
 * for (insecure: none; `pin`: that SHA-256; else chain and host name).
 */
void tls_resume_offer(struct tls_resume *r, SSL *ssl, int insecure,
    const unsigned char *pin);

/* After the handshake: 1 when the server resumed the offered session. */
int tls_resume_done(struct tls_resume *r, SSL *ssl);

/*
 * When the connection ends, or its handshake failed: update the file with
 * the sessions received (none after a fatal error, `dead`) and without
 * the one used up or found unusable.
 */
void tls_resume_save(struct tls_resume *r, int dead);

/* NULL: no-op. */
void tls_resume_free(struct tls_resume *r);

#endif
