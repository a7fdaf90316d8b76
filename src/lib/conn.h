/* SPDX-License-Identifier: ISC */
/*
 * conn.h - one connection to a server: TCP (IPv4 and IPv6) with deadlines,
 * buffered reads and writes, and TLS over OpenSSL (implicit or upgraded in
 * place for STARTTLS; tls.c does the TLS, conn.c the socket and buffers).
 *
 * Deadlines are absolute times in milliseconds on the monotonic clock
 * (conn_now_ms() + budget); every blocking call returns SMTPC_ETIMEOUT once
 * its deadline passes, however the server trickles its bytes.  The socket
 * is non-blocking internally and TCP_NODELAY is set: callers write whole
 * commands and flush, so Nagle would only add delay.
 *
 * Used error codes: SMTPC_ENOMEM, SMTPC_ENOHOST (name does not resolve),
 * SMTPC_ETEMP (the resolver failed for now: EAI_AGAIN), SMTPC_ECONN
 * (refused, reset, closed by the peer), SMTPC_ETIMEOUT,
 * SMTPC_ETLS (handshake or verification failed; err->message says why,
 * e.g. "certificate verify failed: self-signed certificate"), SMTPC_ELIMIT
 * (a line longer than the caller's limit), SMTPC_EPROTO (bytes before the
 * TLS handshake), SMTPC_EIO (no socket: out of descriptors),
 * SMTPC_EINVAL (misuse: no host, port 0, TLS already active).
 */
#ifndef SMTPC_CONN_H
#define SMTPC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc.h"

struct conn;

/* A sentence for the caller's trace ("TLS session resumed", ...). */
typedef void conn_note_fn(void *user, const char *msg);

struct conn_tls_cfg {
	const char *host;	/* for SNI and host-name verification */
	const char *cafile;	/* NULL: system default trust store */
	int insecure;		/* 1: no chain or host-name verification */
	/*
	 * NULL, or the SHA-256 (32 bytes) the server certificate's DER must
	 * have: then the pin alone decides (no chain or host-name check) and
	 * a mismatch fails with SMTPC_ETLS naming both fingerprints.
	 */
	const unsigned char *pin_sha256;
	const char *cert_file;	/* client certificate (PEM), NULL: none */
	const char *key_file;	/* its key (PEM), NULL: in cert_file */
	/*
	 * The TLS session cache file (tls_cache.h), NULL: none.  A session
	 * cached for the same host, port, TLS mode and trust settings above
	 * is offered when its certificate still passes the checks; the
	 * sessions the server sends are saved there at conn_close.
	 */
	const char *cache;
	/* Notes about the cache, a sentence each; NULL: none. */
	conn_note_fn *note;
	void *note_user;
};

/* Milliseconds on the monotonic clock. */
int64_t conn_now_ms(void);

/*
 * Resolve `host` and connect to the first address that answers, trying
 * each in turn (IPv6 and IPv4) until `deadline`, which bounds the lookup
 * too (SMTPC_ETIMEOUT when the name servers stay silent).  An address
 * literal is used without a lookup.  A name that does not exist is
 * SMTPC_ENOHOST; a resolver failing for now, SMTPC_ETEMP.  On success
 * *ret is a plain connection.
 */
int conn_open(struct conn **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err);

/*
 * Run the TLS handshake as a client (TLS 1.2 minimum, SNI, chain and
 * host-name verification unless cfg->insecure or cfg->pin_sha256, a client
 * certificate when cfg->cert_file, resumption when cfg->cache).  Used for
 * implicit TLS right after conn_open, and for STARTTLS after the server's
 * 220 (which the cache tells apart: STARTTLS follows bytes in clear).  Fails
 * with SMTPC_EPROTO if bytes the server sent before the handshake are still
 * unread in the buffer (check conn_pending() first for a clearer error).
 */
int conn_start_tls(struct conn *c, const struct conn_tls_cfg *cfg,
    int64_t deadline, struct smtpc_error *err);

/* Bytes received and buffered but not yet returned by conn_read_line. */
size_t conn_pending(const struct conn *c);

/*
 * Read one line.  On success `out` holds the line without its CRLF (or bare
 * LF), NUL-terminated, and *ret_len its length.  A line longer than
 * cap - 1 fails with SMTPC_ELIMIT; EOF before a full line fails with
 * SMTPC_ECONN.  Bytes queued by conn_write are flushed first.  Whatever
 * `cap`, the 16 KiB input buffer bounds a line to 16382 bytes.
 */
int conn_read_line(struct conn *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err);

/*
 * Queue bytes for sending; they go out when the internal buffer (64 KiB)
 * fills or on conn_flush().  Large writes go out in large chunks, so every
 * TLS record is full.
 */
int conn_write(struct conn *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err);
int conn_flush(struct conn *c, int64_t deadline, struct smtpc_error *err);

/* 1 when TLS is active. */
int conn_is_tls(const struct conn *c);
/* Fails with SMTPC_EINVAL when TLS is not active. */
int conn_tls_info(const struct conn *c, struct smtpc_tls_info *out);

/*
 * Our end's address as an EHLO address literal (RFC 5321 4.1.3):
 * "[192.0.2.1]" or "[IPv6:2001:db8::1]".  0, or -1 when it cannot be told
 * or does not fit in `cap`.
 */
int conn_local_literal(const struct conn *c, char *out, size_t cap);


/*
 * Close (TLS close_notify best effort, no waiting) and free; NULL is a
 * no-op.
 */
void conn_close(struct conn *c);

#endif
