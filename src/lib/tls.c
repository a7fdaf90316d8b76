/* SPDX-License-Identifier: ISC */
/*
 * tls.c - TLS over OpenSSL for conn.c: context and trust store,
 * verification (chain, RFC 6125 host name, pin, client certificate), a
 * BIO of our own, the handshake, read and write steps, tls_info, close.
 *
 * SIGPIPE: a write to a socket the peer has reset raises SIGPIPE, which
 * kills a program that did not ignore it, and a library must not change
 * the process's signal dispositions or mask.  OpenSSL's socket BIO calls
 * write(), so TLS goes through a small BIO of our own (tls_bio_*) that
 * calls send(MSG_NOSIGNAL) and recv() on conn.c's descriptor.  The
 * BIO_METHOD is made per connection: no global state, nothing left
 * allocated at exit.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "tls.h"
#include "tls_resume.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate SSL_get_peer_certificate
#endif

#define TLS_HOST_MAX	256

/* Not an OpenSSL type number: ours, for BIO_find_type and debugging. */
#define TLS_BIO_TYPE	((BIO_TYPE_START + 0x53) | BIO_TYPE_SOURCE_SINK | \
	BIO_TYPE_DESCRIPTOR)

struct tls {
	int fd;
	const char *host;	/* for messages; the caller's, outlives us */
	char sni[TLS_HOST_MAX];	/* the name sent and checked */
	int insecure;
	int have_pin;
	unsigned char pin[32];
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *biometh;
	struct tls_resume *resume;	/* NULL: no session cache */
	int resumed;
	int verified;
	int dead;		/* fatal TLS error: no close_notify */
	int cert_requested;	/* the server asked for a client certificate
				   we do not have */
};

/*
 * The first queued OpenSSL error as text, or `fallback`.  Drains the
 * thread's queue so a later call does not see stale errors.
 */
static const char *
tls_errstr(char *buf, size_t cap, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *p;

	if (e == 0) {
		snprintf(buf, cap, "%s", fallback);
	} else {
		ERR_error_string_n(e, buf, cap);
		/* "error:0A000086:SSL routines::reason": keep the reason. */
		p = strrchr(buf, ':');
		if (p != NULL && p[1] != '\0')
			memmove(buf, p + 1, strlen(p + 1) + 1);
	}
	ERR_clear_error();
	return buf;
}

/*
 * The peer closed the TCP connection, with or without close_notify.
 * OpenSSL 3 reports a missing close_notify as an SSL error; SMTP is
 * self-delimiting (a reply ends with its last line), so a truncation
 * cannot pass for a complete reply and the missing alert is just a close.
 */
static int
tls_is_eof(int e, int saved_errno)
{
	unsigned long q = ERR_peek_error();

	if (e == SSL_ERROR_SYSCALL && q == 0)
		return saved_errno == 0 || saved_errno == EAGAIN;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (e == SSL_ERROR_SSL && ERR_GET_LIB(q) == ERR_LIB_SSL &&
	    ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return 1;
#endif
	return 0;
}

/*
 * A failed SSL_read or SSL_write with its SSL_get_error() code `e`, as
 * our error.  WANT_* never arrive here.
 */
static int
tls_fail(struct tls *t, int e, const char *what, struct smtpc_error *err)
{
	char buf[256], ebuf[128];
	int saved = errno;

	t->dead = 1;
	/*
	 * In TLS 1.3 a server refuses a missing client certificate after
	 * the client's handshake ended: the first read or write fails, often
	 * as a plain reset.  Say what the server wanted.
	 */
	if (t->cert_requested) {
		ERR_clear_error();
		return error_set(err, SMTPC_ETLS, "TLS",
		    "server requires a client certificate (use --cert and "
		    "--key)");
	}
	if (e == SSL_ERROR_ZERO_RETURN || tls_is_eof(e, saved)) {
		ERR_clear_error();
		return error_set(err, SMTPC_ECONN, NULL,
		    "server closed the connection");
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		ERR_clear_error();
		return error_set(err, SMTPC_ECONN, NULL, "%s: %s", what,
		    error_strerror(saved, ebuf, sizeof(ebuf)));
	}
	return error_set(err, SMTPC_ETLS, NULL, "%s: %s", what,
	    tls_errstr(buf, sizeof(buf), "unknown TLS error"));
}

/*
 * The BIO under SSL: our fd, send(MSG_NOSIGNAL) so a reset peer cannot
 * raise SIGPIPE, and retry flags so SSL_get_error() reports WANT_*.
 */
static int
tls_bio_write(BIO *b, const char *data, int len)
{
	struct tls *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = send(t->fd, data, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int
tls_bio_read(BIO *b, char *data, int len)
{
	struct tls *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (data == NULL || len <= 0)
		return 0;
	do
		n = recv(t->fd, data, (size_t)len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	if (n == 0)
		errno = 0;	/* EOF: SSL_ERROR_SYSCALL with errno 0 */
	return (int)n;
}

static int
tls_bio_puts(BIO *b, const char *s)
{
	return tls_bio_write(b, s, (int)strlen(s));
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls *t = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;	/* nothing buffered here */
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = t->fd;
		return t->fd;
	default:
		return 0;
	}
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *
tls_bio_new(struct tls *t)
{
	BIO *b;

	t->biometh = BIO_meth_new(TLS_BIO_TYPE, "smtpc socket");
	if (t->biometh == NULL ||
	    !BIO_meth_set_write(t->biometh, tls_bio_write) ||
	    !BIO_meth_set_read(t->biometh, tls_bio_read) ||
	    !BIO_meth_set_puts(t->biometh, tls_bio_puts) ||
	    !BIO_meth_set_ctrl(t->biometh, tls_bio_ctrl) ||
	    !BIO_meth_set_create(t->biometh, tls_bio_create))
		return NULL;
	if ((b = BIO_new(t->biometh)) == NULL)
		return NULL;
	BIO_set_data(b, t);
	return b;
}

/*
 * A directory of certificates named by their subject's hash ("1a2b3c4d.0",
 * as c_rehash and update-ca-certificates make them)?  Any one such name
 * says so.
 */
static int
tls_dir_is_hashed(const char *dir)
{
	struct dirent *d;
	size_t i;
	DIR *dp;
	int found = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while (!found && (d = readdir(dp)) != NULL) {
		for (i = 0; i < 8 && isxdigit((unsigned char)d->d_name[i]); i++)
			;
		found = i == 8 && d->d_name[8] == '.' &&
		    isdigit((unsigned char)d->d_name[9]);
	}
	closedir(dp);
	return found;
}

/* `env` unset, or naming the same file or directory as `dflt`. */
static int
tls_env_is_default(const char *env, const char *dflt)
{
	const char *v = getenv(env);
	struct stat a, b;

	if (v == NULL)
		return 1;
	return stat(v, &a) == 0 && stat(dflt, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * The system's trust store.  SSL_CTX_set_default_verify_paths() reads the
 * whole bundle file (some 150 CAs, tens of milliseconds) on every run;
 * where the default directory is hashed (Debian and most distributions
 * keep it so, with the same CAs as the bundle), the lookup by hash reads
 * only the CA a chain needs.  SSL_CERT_FILE or SSL_CERT_DIR naming
 * anything but those defaults keeps OpenSSL's own behaviour.
 */
static int
tls_load_system_ca(SSL_CTX *ctx)
{
	const char *dir = X509_get_default_cert_dir();

	if (tls_env_is_default(X509_get_default_cert_file_env(),
	    X509_get_default_cert_file()) &&
	    tls_env_is_default(X509_get_default_cert_dir_env(), dir) &&
	    tls_dir_is_hashed(dir))
		return SSL_CTX_load_verify_locations(ctx, NULL, dir);
	return SSL_CTX_set_default_verify_paths(ctx);
}

/* Trust anchors: the system's, or cfg->cafile (a file or a directory). */
static int
tls_load_ca(SSL_CTX *ctx, const char *cafile, struct smtpc_error *err)
{
	struct stat st;
	char buf[256], ebuf[128];
	int ok;

	if (cafile == NULL) {
		if (!tls_load_system_ca(ctx))
			return error_set(err, SMTPC_ETLS, "TLS",
			    "cannot load the system trust store: %s",
			    tls_errstr(buf, sizeof(buf), "unknown"));
		return 0;
	}
	if (stat(cafile, &st) == -1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot load CA file %s: %s", cafile,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	if (S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_locations(ctx, NULL, cafile);
	else
		ok = SSL_CTX_load_verify_locations(ctx, cafile, NULL);
	if (!ok)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot load CA file %s: %s", cafile,
		    tls_errstr(buf, sizeof(buf), "no certificates"));
	return 0;
}

/* Called when the server asks for a certificate and we have none. */
static int
tls_no_client_cert(SSL *ssl, X509 **ret_cert, EVP_PKEY **ret_key)
{
	struct tls *t = SSL_get_app_data(ssl);

	(void)ret_cert;
	(void)ret_key;
	if (t != NULL)
		t->cert_requested = 1;
	return 0;
}

static int
tls_no_passphrase(char *buf, int size, int rwflag, void *user)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)user;
	return 0;
}

/* The client certificate (chain) and its key, both PEM. */
static int
tls_client_cert(SSL_CTX *ctx, const struct conn_tls_cfg *cfg,
    struct smtpc_error *err)
{
	const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
	char buf[256];

	ERR_clear_error();
	/* A library never prompts: an encrypted key fails instead. */
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot use client certificate %s: %s", cfg->cert_file,
		    tls_errstr(buf, sizeof(buf), "not a PEM certificate"));
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot use client key %s: %s", key,
		    tls_errstr(buf, sizeof(buf), "not a PEM key"));
	if (SSL_CTX_check_private_key(ctx) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "client key %s does not match certificate %s", key,
		    cfg->cert_file);
	return 0;
}

/* "AB:CD:..." of a SHA-256; `out` holds at least 96 bytes. */
static void
tls_hex_colon(const unsigned char *md, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < n && o + 3 < cap; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 0xf];
	}
	out[o] = '\0';
}

/* SHA-256 of the peer certificate's DER; -1 when there is none. */
static int
tls_peer_sha256(SSL *ssl, unsigned char md[32])
{
	unsigned int n = 0;
	X509 *cert;
	int ok;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	ok = X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32;
	X509_free(cert);
	return ok ? 0 : -1;
}

/* With a pin, the certificate must be exactly the pinned one. */
static int
tls_check_pin(struct tls *t, struct smtpc_error *err)
{
	unsigned char md[32];
	char want[96], got[96];

	tls_hex_colon(t->pin, 32, want, sizeof(want));
	if (tls_peer_sha256(t->ssl, md) != 0)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "server sent no certificate to check against the pinned "
		    "fingerprint %s", want);
	if (CRYPTO_memcmp(md, t->pin, 32) != 0) {
		tls_hex_colon(md, 32, got, sizeof(got));
		return error_set(err, SMTPC_ETLS, "TLS",
		    "certificate fingerprint mismatch: expected SHA256 %s, "
		    "server has %s", want, got);
	}
	return 0;
}

static int
tls_is_ip_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* The context: protocol floor, trust store, client certificate. */
static int
tls_ctx_setup(struct tls *t, const struct conn_tls_cfg *cfg,
    struct smtpc_error *err)
{
	int rc;

	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS context");
	if (!SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION))
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot require TLS 1.2");
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A mail client never needs TLS 1.2 renegotiation; refuse it. */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION);
	/* A pin replaces the chain and name checks (checked after). */
	if (!cfg->insecure && cfg->pin_sha256 == NULL) {
		if ((rc = tls_load_ca(t->ctx, cfg->cafile, err)) != 0)
			return rc;
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	if (cfg->cert_file != NULL &&
	    (rc = tls_client_cert(t->ctx, cfg, err)) != 0)
		return rc;
	if (cfg->cert_file == NULL)
		SSL_CTX_set_client_cert_cb(t->ctx, tls_no_client_cert);
	return 0;
}

/* The connection: SNI, the name to check, our BIO. */
static int
tls_ssl_setup(struct tls *t, const struct conn_tls_cfg *cfg,
    struct smtpc_error *err)
{
	X509_VERIFY_PARAM *param;
	int ip = tls_is_ip_literal(t->sni);
	BIO *bio;

	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS connection");
	SSL_set_app_data(t->ssl, t);
	/* SNI carries names only (RFC 6066 3). */
	if (!ip && !SSL_set_tlsext_host_name(t->ssl, t->sni))
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot set the server name %s", t->sni);
	if (!cfg->insecure && cfg->pin_sha256 == NULL) {
		param = SSL_get0_param(t->ssl);
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ip ? !X509_VERIFY_PARAM_set1_ip_asc(param, t->sni) :
		    !X509_VERIFY_PARAM_set1_host(param, t->sni, 0))
			return error_set(err, SMTPC_ETLS, "TLS",
			    "cannot check the certificate against %s", t->sni);
	}
	if ((bio = tls_bio_new(t)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS transport");
	SSL_set_bio(t->ssl, bio, bio);
	return 0;
}

int
tls_new(struct tls **ret, int fd, const char *host, unsigned port,
    int starttls, const struct conn_tls_cfg *cfg, struct smtpc_error *err)
{
	struct tls *t;
	size_t n;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS", "out of memory");
	t->fd = fd;
	t->host = host;
	t->insecure = cfg->insecure;
	if (cfg->pin_sha256 != NULL) {
		memcpy(t->pin, cfg->pin_sha256, sizeof(t->pin));
		t->have_pin = 1;
	}
	/* "example.org." is the same name; SNI carries it without the dot. */
	snprintf(t->sni, sizeof(t->sni), "%s",
	    cfg->host != NULL ? cfg->host : host);
	n = strlen(t->sni);
	if (n > 1 && t->sni[n - 1] == '.')
		t->sni[n - 1] = '\0';
	if ((rc = tls_ctx_setup(t, cfg, err)) == 0 && cfg->cache != NULL &&
	    cfg->cache[0] != '\0' &&
	    tls_resume_new(&t->resume, t->ctx, t->sni, port, starttls,
	    cfg) != 0)
		rc = error_set(err, SMTPC_ENOMEM, "TLS", "out of memory");
	if (rc == 0)
		rc = tls_ssl_setup(t, cfg, err);
	if (rc != 0) {
		tls_free(t);
		return rc;
	}
	if (t->resume != NULL)
		tls_resume_offer(t->resume, t->ssl, t->insecure,
		    t->have_pin ? t->pin : NULL);
	*ret = t;
	return 0;
}

/*
 * For a host-name mismatch, " (the certificate is for NAME)" with the
 * certificate's first DNS name, IP address or else its common name, so the
 * user sees which server answered; "" otherwise.
 */
static void
tls_cert_for(SSL *ssl, long vr, char *out, size_t cap)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *g;
	const unsigned char *d;
	STACK_OF(X509) *chain;
	X509 *cert;
	char name[128] = "", ip[INET6_ADDRSTRLEN];
	int i, len;

	out[0] = '\0';
	if (vr != X509_V_ERR_HOSTNAME_MISMATCH &&
	    vr != X509_V_ERR_IP_ADDRESS_MISMATCH)
		return;
	/*
	 * The peer certificate is only recorded once verified; the chain
	 * (leaf first on a client) is kept before that.
	 */
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain == NULL || sk_X509_num(chain) < 1 ||
	    (cert = sk_X509_value(chain, 0)) == NULL)
		return;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			error_escape(name, sizeof(name), (const char *)d,
			    (size_t)len);
			break;
		}
		if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len == 4 && inet_ntop(AF_INET, d, ip,
			    sizeof(ip)) != NULL) || (len == 16 &&
			    inet_ntop(AF_INET6, d, ip, sizeof(ip)) != NULL)) {
				snprintf(name, sizeof(name), "%s", ip);
				break;
			}
		}
	}
	GENERAL_NAMES_free(gens);
	if (name[0] == '\0') {
		len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
		    NID_commonName, ip, sizeof(ip));
		if (len > 0)
			error_escape(name, sizeof(name), ip, (size_t)len);
	}
	if (name[0] != '\0')
		snprintf(out, cap, " (the certificate is for %s)", name);
}

/* Why SSL_connect failed (`e` from SSL_get_error, errno `saved`). */
static int
tls_handshake_fail(struct tls *t, int e, int saved, struct smtpc_error *err)
{
	char buf[256], name[192];
	long vr;
	int rc;

	if (!t->insecure &&
	    (vr = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
		ERR_clear_error();
		tls_cert_for(t->ssl, vr, name, sizeof(name));
		rc = error_set(err, SMTPC_ETLS, "TLS",
		    "certificate verify failed: %s%s",
		    X509_verify_cert_error_string(vr), name);
	} else if (t->cert_requested) {
		rc = error_set(err, SMTPC_ETLS, "TLS",
		    "server requires a client certificate (use --cert "
		    "and --key)");
	} else if (tls_is_eof(e, saved)) {
		rc = error_set(err, SMTPC_ETLS, "TLS",
		    "server closed the connection during the TLS "
		    "handshake");
	} else {
		rc = error_set(err, SMTPC_ETLS, "TLS",
		    "TLS handshake with %s failed: %s", t->host,
		    tls_errstr(buf, sizeof(buf), "unknown"));
	}
	ERR_clear_error();
	t->dead = 1;
	/* A cached session found unusable leaves the file all the same. */
	tls_resume_save(t->resume, 1);
	return rc;
}

int
tls_handshake(struct tls *t, short *want, struct smtpc_error *err)
{
	int r, e, saved, rc;

	ERR_clear_error();
	r = SSL_connect(t->ssl);
	if (r != 1) {
		saved = errno;
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return TLS_AGAIN;
		}
		return tls_handshake_fail(t, e, saved, err);
	}
	if (t->resume != NULL)
		t->resumed = tls_resume_done(t->resume, t->ssl);
	if (t->have_pin) {
		if ((rc = tls_check_pin(t, err)) != 0) {
			/* Leave without a word more to that server. */
			t->dead = 1;
			return rc;
		}
		t->verified = 1;
		return 0;
	}
	/*
	 * A resumed session's certificate is not sent again: it was checked
	 * as this handshake would check it before it was offered.
	 */
	t->verified = !t->insecure && (t->resumed ||
	    SSL_get_verify_result(t->ssl) == X509_V_OK);
	return 0;
}

int
tls_read(struct tls *t, void *buf, size_t cap, size_t *ret_len, short *want,
    struct smtpc_error *err)
{
	int r, e;

	ERR_clear_error();
	r = SSL_read(t->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
	if (r > 0) {
		*ret_len = (size_t)r;
		return 0;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return TLS_AGAIN;
	}
	return tls_fail(t, e, "TLS read failed", err);
}

int
tls_write(struct tls *t, const void *data, size_t len, size_t *ret_len,
    short *want, struct smtpc_error *err)
{
	int r, e;

	ERR_clear_error();
	r = SSL_write(t->ssl, data, len > INT_MAX ? INT_MAX : (int)len);
	if (r > 0) {
		*ret_len = (size_t)r;
		return 0;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return TLS_AGAIN;
	}
	return tls_fail(t, e, "TLS write failed", err);
}

/* A certificate name on one line, escaped (it is the server's text). */
static void
tls_name_oneline(X509_NAME *name, char *out, size_t cap)
{
	BIO *mem;
	char *p;
	long n;

	out[0] = '\0';
	if (name == NULL || (mem = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_ONELINE) >= 0) {
		n = BIO_get_mem_data(mem, &p);
		if (n > 0)
			error_escape(out, cap, p, (size_t)n);
	}
	BIO_free(mem);
}

int
tls_info(const struct tls *t, struct smtpc_tls_info *out)
{
	const ASN1_TIME *na;
	unsigned char md[32];
	struct tm tm;
	X509 *cert;

	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%s",
	    SSL_get_version(t->ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
	    SSL_get_cipher_name(t->ssl));
	out->verified = t->verified;
	out->resumed = t->resumed;
	if (tls_peer_sha256(t->ssl, md) == 0)
		tls_hex_colon(md, sizeof(md), out->sha256, sizeof(out->sha256));
	cert = SSL_get1_peer_certificate(t->ssl);
	if (cert == NULL)
		return 0;
	tls_name_oneline(X509_get_subject_name(cert), out->subject,
	    sizeof(out->subject));
	tls_name_oneline(X509_get_issuer_name(cert), out->issuer,
	    sizeof(out->issuer));
	na = X509_get0_notAfter(cert);
	memset(&tm, 0, sizeof(tm));
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(out->not_after, sizeof(out->not_after),
		    "%Y-%m-%d %H:%M:%S UTC", &tm);
	X509_free(cert);
	return 0;
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL && !t->dead) {
		/* One try at close_notify; never wait for the peer's. */
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
	tls_resume_save(t->resume, t->dead);
	tls_free(t);
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);	/* frees the BIO too */
	SSL_CTX_free(t->ctx);
	tls_resume_free(t->resume);
	BIO_meth_free(t->biometh);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}
