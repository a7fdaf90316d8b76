/* SPDX-License-Identifier: ISC */
/*
 * tls_resume.c - TLS session resumption across runs (see tls_resume.h):
 * offer a cached session only after checking its certificate again, keep
 * the sessions the server sends, update the cache file at the end.
 *
 * A TLS 1.3 ticket is replaced by the tickets the server sends on the
 * connection that used it (RFC 8446 C.4: a ticket used twice lets an
 * observer link the connections).  Some servers send none on a resumed
 * connection (Postfix): the ticket then stays for the next run, as a TLS
 * 1.2 session does, until it expires.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "error.h"
#include "tls_cache.h"
#include "tls_resume.h"

/* Sessions kept from one connection (servers send one or two). */
#define TLS_RESUME_FRESH	TLS_CACHE_PER_PEER
/* Certificates in a stored chain, the leaf not counted. */
#define TLS_RESUME_CHAIN_MAX	10

struct tls_resume {
	char *path;
	char shown[256];	/* the path, escaped for the trace */
	char key[65];
	char peer[TLS_CACHE_PEER_MAX];
	conn_note_fn *note;
	void *note_user;

	unsigned char *used;	/* DER of the session offered */
	size_t used_len;
	int offered;
	int drop_used;		/* remove it from the file at the end */
	int replaceable;	/* ... once a new session replaces it */
	int replace;		/* the file was not usable: write anew */
	int nosave;		/* its directory is not ours alone */

	/* The server's intermediates, for the sessions of this connection. */
	unsigned char *chain;
	size_t chain_len;
	int chain_fresh;	/* taken from this connection's handshake */

	SSL_SESSION *fresh[TLS_RESUME_FRESH];
	size_t nfresh;
};

static void tls_resume_note(struct tls_resume *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tls_resume_note(struct tls_resume *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->note(r->note_user, msg);
}

static int64_t
tls_resume_now(void)
{
	return (int64_t)time(NULL);
}

/*
 * DER of the certificates of `sk` from index `from` on, one after another;
 * none when they do not fit (the session is then offered again only if
 * the leaf alone verifies).
 */
static void
tls_resume_chain_der(STACK_OF(X509) *sk, int from, unsigned char **ret,
    size_t *ret_len)
{
	unsigned char *der, *p;
	size_t total = 0;
	int i, n;

	*ret = NULL;
	*ret_len = 0;
	for (i = from; sk != NULL && i < sk_X509_num(sk); i++) {
		n = i2d_X509(sk_X509_value(sk, i), NULL);
		if (n <= 0 || i - from >= TLS_RESUME_CHAIN_MAX ||
		    total + (size_t)n > TLS_CACHE_MAX_CHAIN)
			return;
		total += (size_t)n;
	}
	if (total == 0 || (der = malloc(total)) == NULL)
		return;
	p = der;
	for (i = from; i < sk_X509_num(sk); i++)
		i2d_X509(sk_X509_value(sk, i), &p);
	*ret = der;
	*ret_len = total;
}

/* The stored intermediates as certificates; NULL when they do not parse. */
static STACK_OF(X509) *
tls_resume_chain_x509(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len;
	STACK_OF(X509) *sk;
	X509 *x;

	if ((sk = sk_X509_new_null()) == NULL)
		return NULL;
	while (p < end) {
		if (sk_X509_num(sk) == TLS_RESUME_CHAIN_MAX ||
		    (x = d2i_X509(NULL, &p, (long)(end - p))) == NULL)
			goto fail;
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	return sk;
fail:
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/*
 * Verify the stored certificate as the handshake would now: today's trust
 * store and time, the host name and flags set on `ssl`, the server
 * purpose.
 */
static int
tls_resume_verify(SSL *ssl, X509 *leaf, const unsigned char *chain,
    size_t chain_len, char *why, size_t cap)
{
	STACK_OF(X509) *sk = NULL;
	X509_STORE_CTX *x;
	int ok = 0;

	if (chain_len > 0 &&
	    (sk = tls_resume_chain_x509(chain, chain_len)) == NULL) {
		snprintf(why, cap, "its certificate chain does not parse");
		return -1;
	}
	if ((x = X509_STORE_CTX_new()) != NULL &&
	    X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(
	    SSL_get_SSL_CTX(ssl)), leaf, sk) == 1 &&
	    X509_STORE_CTX_set_default(x, "ssl_server") == 1 &&
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(x),
	    SSL_get0_param(ssl)) == 1) {
		ok = X509_verify_cert(x) == 1;
		if (!ok)
			snprintf(why, cap, "%s", X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(x)));
	} else {
		snprintf(why, cap, "cannot check it");
	}
	X509_STORE_CTX_free(x);
	sk_X509_pop_free(sk, X509_free);
	return ok ? 0 : -1;
}

/* The session passes the checks a full handshake would make. */
static int
tls_resume_check(SSL *ssl, SSL_SESSION *sess, const unsigned char *chain,
    size_t chain_len, int insecure, const unsigned char *pin, char *why,
    size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	X509 *leaf;

	if (SSL_SESSION_get_protocol_version(sess) < TLS1_2_VERSION) {
		snprintf(why, cap, "older than TLS 1.2");
		return -1;
	}
	if (insecure)
		return 0;
	if ((leaf = SSL_SESSION_get0_peer(sess)) == NULL) {
		snprintf(why, cap, "it holds no server certificate");
		return -1;
	}
	if (pin != NULL) {
		if (X509_digest(leaf, EVP_sha256(), md, &n) != 1 || n != 32 ||
		    CRYPTO_memcmp(md, pin, 32) != 0) {
			snprintf(why, cap, "not the pinned certificate");
			return -1;
		}
		return 0;
	}
	return tls_resume_verify(ssl, leaf, chain, chain_len, why, cap);
}

/*
 * OpenSSL hands each new session here: a TLS 1.2 session at the end of
 * the handshake, TLS 1.3 tickets when they are read, after it.
 */
static int
tls_resume_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_resume *r = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (r == NULL || r->nfresh == TLS_RESUME_FRESH ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	/*
	 * A resumed connection has no chain of its own: its sessions keep
	 * the one stored with the session it resumed.
	 */
	if (!SSL_session_reused(ssl) && !r->chain_fresh) {
		free(r->chain);
		tls_resume_chain_der(SSL_get_peer_cert_chain(ssl), 1,
		    &r->chain, &r->chain_len);
		r->chain_fresh = 1;
	}
	r->fresh[r->nfresh++] = sess;
	return 1;	/* the reference is ours now */
}

int
tls_resume_new(struct tls_resume **ret, SSL_CTX *ctx, const char *host,
    unsigned port, int starttls, const struct conn_tls_cfg *cfg)
{
	struct tls_resume *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(cfg->cache)) == NULL) {
		free(r);
		return SMTPC_ENOMEM;
	}
	error_escape(r->shown, sizeof(r->shown), cfg->cache,
	    strlen(cfg->cache));
	tls_cache_key(r->key, host, port, starttls, cfg);
	snprintf(r->peer, sizeof(r->peer), "%s:%u", host, port);
	r->note = cfg->note;
	r->note_user = cfg->note_user;
	SSL_CTX_set_app_data(ctx, r);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_resume_new_session);
	*ret = r;
	return 0;
}

/* Read the file; 0 with `tc` filled, -1 when there is nothing to use. */
static int
tls_resume_load(struct tls_resume *r, struct tls_cache *tc)
{
	char why[256];

	switch (tls_cache_read(r->path, tc, why, sizeof(why))) {
	case TLS_CACHE_OK:
		return 0;
	case TLS_CACHE_IGNORED:
		tls_resume_note(r, "warning: TLS session cache %s ignored: "
		    "%s; it will be replaced", r->shown, why);
		r->replace = 1;
		return -1;
	default:
		tls_resume_note(r, "warning: TLS session cache %s not used: "
		    "%s", r->shown, why);
		r->nosave = 1;
		return -1;
	}
}

/* Offer entry `e`: decode it, check it, hand it to `ssl`. */
static void
tls_resume_try(struct tls_resume *r, SSL *ssl, struct tls_cache_entry *e,
    int insecure, const unsigned char *pin)
{
	const unsigned char *p = e->session;
	SSL_SESSION *sess;
	char why[256];

	if ((r->used = malloc(e->session_len)) == NULL)
		return;
	memcpy(r->used, e->session, e->session_len);
	r->used_len = e->session_len;
	/* Not usable now means not usable later: it goes either way. */
	r->drop_used = 1;
	sess = d2i_SSL_SESSION(NULL, &p, (long)e->session_len);
	if (sess == NULL || p != e->session + e->session_len ||
	    !SSL_SESSION_is_resumable(sess)) {
		tls_resume_note(r, "cached TLS session for %s does not "
		    "decode; full handshake", r->peer);
	} else if (tls_resume_check(ssl, sess, e->chain, e->chain_len,
	    insecure, pin, why, sizeof(why)) != 0) {
		tls_resume_note(r, "cached TLS session for %s not used: its "
		    "certificate fails the checks now (%s); full handshake",
		    r->peer, why);
	} else if (SSL_set_session(ssl, sess) == 1) {
		r->offered = 1;
		r->drop_used = 0;
		r->chain = e->chain;
		r->chain_len = e->chain_len;
		e->chain = NULL;
		e->chain_len = 0;
	}
	SSL_SESSION_free(sess);
}

void
tls_resume_offer(struct tls_resume *r, SSL *ssl, int insecure,
    const unsigned char *pin)
{
	struct tls_cache *tc;
	int i;

	if ((tc = malloc(sizeof(*tc))) == NULL)
		return;
	tls_cache_init(tc);
	if (tls_resume_load(r, tc) == 0) {
		i = tls_cache_find(tc, r->key, tls_resume_now());
		if (i < 0)
			tls_resume_note(r, "no cached TLS session for %s",
			    r->peer);
		else
			tls_resume_try(r, ssl, &tc->e[i], insecure, pin);
	}
	tls_cache_free(tc);
	free(tc);
}

int
tls_resume_done(struct tls_resume *r, SSL *ssl)
{
	if (!r->offered)
		return 0;
	if (!SSL_session_reused(ssl)) {
		tls_resume_note(r, "server did not resume the cached TLS "
		    "session for %s; full handshake", r->peer);
		r->drop_used = 1;
		return 0;
	}
	tls_resume_note(r, "TLS session for %s resumed from the cache",
	    r->peer);
	r->replaceable = SSL_version(ssl) >= TLS1_3_VERSION;
	return 1;
}

/* A cache entry for `sess`; -1 when it cannot be stored. */
static int
tls_resume_entry(const struct tls_resume *r, SSL_SESSION *sess, int64_t now,
    struct tls_cache_entry *e)
{
	unsigned char *p;
	int64_t expires;
	int n;

	memset(e, 0, sizeof(*e));
	n = i2d_SSL_SESSION(sess, NULL);
	expires = (int64_t)SSL_SESSION_get_time(sess) +
	    (int64_t)SSL_SESSION_get_timeout(sess);
	if (expires > now + TLS_CACHE_MAX_AGE)
		expires = now + TLS_CACHE_MAX_AGE;
	if (n <= 0 || (size_t)n > TLS_CACHE_MAX_SESSION || expires <= now ||
	    (e->session = malloc((size_t)n)) == NULL)
		return -1;
	p = e->session;
	e->session_len = (size_t)i2d_SSL_SESSION(sess, &p);
	if (r->chain_len > 0 && (e->chain = malloc(r->chain_len)) == NULL) {
		OPENSSL_cleanse(e->session, e->session_len);
		free(e->session);
		return -1;
	}
	if (r->chain_len > 0)
		memcpy(e->chain, r->chain, r->chain_len);
	e->chain_len = r->chain_len;
	e->stored = now;
	e->expires = expires;
	memcpy(e->key, r->key, sizeof(e->key));
	memcpy(e->peer, r->peer, sizeof(e->peer));
	return 0;
}

/* Apply this connection's changes to the file's entries. */
static void
tls_resume_merge(struct tls_resume *r, struct tls_cache *tc, int64_t now)
{
	struct tls_cache_entry e;
	size_t i;

	if (r->replaceable && r->nfresh > 0)
		r->drop_used = 1;
	for (i = 0; r->drop_used && i < tc->n; i++) {
		if (tc->e[i].session_len == r->used_len &&
		    memcmp(tc->e[i].session, r->used, r->used_len) == 0)
			tls_cache_remove(tc, i--);
	}
	for (i = 0; i < r->nfresh; i++)
		if (tls_resume_entry(r, r->fresh[i], now, &e) == 0)
			tls_cache_add(tc, &e);
	tls_cache_prune(tc, now);
}

void
tls_resume_save(struct tls_resume *r, int dead)
{
	struct tls_cache *tc;
	int64_t now = tls_resume_now();
	char why[256];

	if (r == NULL || r->nosave)
		return;
	if (dead)
		r->nfresh = 0;	/* freed in tls_resume_free */
	if (r->nfresh == 0 && !r->drop_used && !r->replace)
		return;	/* nothing changed: no write */
	if ((tc = malloc(sizeof(*tc))) == NULL)
		return;
	tls_cache_init(tc);
	/* Read again: another run may have saved since we read it. */
	if (tls_cache_read(r->path, tc, why, sizeof(why)) != TLS_CACHE_UNSAFE) {
		tls_resume_merge(r, tc, now);
		if (tls_cache_write(r->path, tc, why, sizeof(why)) != 0)
			tls_resume_note(r, "warning: cannot save TLS sessions "
			    "to %s: %s", r->shown, why);
		else if (r->nfresh > 0)
			tls_resume_note(r, "TLS session for %s saved in %s",
			    r->peer, r->shown);
	}
	tls_cache_free(tc);
	free(tc);
}

void
tls_resume_free(struct tls_resume *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < TLS_RESUME_FRESH; i++)
		SSL_SESSION_free(r->fresh[i]);
	if (r->used != NULL)
		OPENSSL_cleanse(r->used, r->used_len);
	free(r->used);
	free(r->chain);
	free(r->path);
	free(r);
}
