/* SPDX-License-Identifier: ISC */
/*
 * sasl.c - the SASL mechanism table, the choice among mechanisms, and the
 * mechanisms themselves: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1/256,
 * XOAUTH2 and OAUTHBEARER.
 *
 * Adding a mechanism is one step function and one table row; the session
 * only sees names, ranks and bytes.  Hashes, HMAC, PBKDF2 and randomness
 * come from OpenSSL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base64.h"
#include "error.h"
#include "sasl.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define EVP_MD_get_size EVP_MD_size
#endif

#define SASL_SCRAM_NONCE_RAW	18	/* 24 base64 characters */
#define SASL_SCRAM_NONCE_MAX	128	/* ours, when a test sets it */
#define SASL_SCRAM_BARE_MAX	1200	/* client-first-message-bare */
#define SASL_SCRAM_SALT_MAX	256
#define SASL_SCRAM_MSG_MAX	4096	/* a server message we accept */
#define SASL_USER_MAX		320

/* No ASCII control character (see "SASLprep-lite" in sasl.h). */
static int
sasl_no_controls(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

static int
sasl_check_secrets(const struct sasl_client *c, const char *what,
    struct smtpc_error *err)
{
	if (strlen(c->user) > SASL_USER_MAX ||
	    !sasl_no_controls(c->user, strlen(c->user)))
		return error_set(err, SMTPC_EINVAL, "AUTH",
		    "the user name is too long or holds a control "
		    "character");
	if (!sasl_no_controls(c->pass, c->pass_len))
		return error_set(err, SMTPC_EINVAL, "AUTH",
		    "the %s holds a control character", what);
	return 0;
}

/*
 * RFC 5802 5.1 saslname (also RFC 7628's authzid): ',' and '=' become
 * "=2C" and "=3D".
 */
static int
sasl_append_saslname(struct buf *out, const char *name)
{
	int rc = 0;

	for (; *name != '\0' && rc == 0; name++) {
		if (*name == ',')
			rc = buf_append(out, "=2C", 3);
		else if (*name == '=')
			rc = buf_append(out, "=3D", 3);
		else
			rc = buf_append_byte(out, (unsigned char)*name);
	}
	return rc;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, in one initial response. */
static int
sasl_plain_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	(void)in;
	if (c->step > 0 || len > 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued PLAIN authentication after the "
		    "credentials were sent");
	if ((rc = buf_append_byte(out, '\0')) != 0 ||
	    (rc = buf_append_str(out, c->user)) != 0 ||
	    (rc = buf_append_byte(out, '\0')) != 0 ||
	    (rc = buf_append(out, c->pass, c->pass_len)) != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/*
 * LOGIN (draft-murchison-sasl-login): the user name, then the password,
 * whatever the server's prompts say ("Username:" in any language).
 */
static int
sasl_login_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	(void)in;
	(void)len;
	if (c->step == 0)
		rc = buf_append_str(out, c->user);
	else if (c->step == 1)
		rc = buf_append(out, c->pass, c->pass_len);
	else
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued LOGIN authentication after the "
		    "password was sent");
	if (rc != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/* RFC 2195: "user hex(HMAC-MD5(password, challenge))". */
static int
sasl_cram_md5_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	int rc;

	if (c->step > 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued CRAM-MD5 authentication after the "
		    "response was sent");
	if (in == NULL || len == 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server sent an empty CRAM-MD5 challenge");
	if (HMAC(EVP_md5(), c->pass, (int)c->pass_len, in, len, mac,
	    &maclen) == NULL)
		return error_set(err, SMTPC_EINTERNAL, "AUTH",
		    "HMAC-MD5 is not available");
	rc = buf_append_str(out, c->user);
	if (rc == 0)
		rc = buf_append_byte(out, ' ');
	for (i = 0; i < maclen && rc == 0; i++) {
		rc = buf_append_byte(out, (unsigned char)hex[mac[i] >> 4]);
		if (rc == 0)
			rc = buf_append_byte(out,
			    (unsigned char)hex[mac[i] & 0xf]);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rc != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/*
 * SCRAM (RFC 5802, RFC 7677).  The state lives in c->priv so that
 * sasl_client_free() wipes it: the client-first-message-bare (part of the
 * AuthMessage) and the ServerSignature we expect.
 */
struct sasl_scram {
	size_t bare_len;
	char bare[SASL_SCRAM_BARE_MAX];
	size_t nonce_len;	/* our nonce: bare[nonce_off..] */
	size_t nonce_off;
	unsigned char server_sig[EVP_MAX_MD_SIZE];
};

static int
sasl_scram_first(struct sasl_client *c, struct buf *out,
    struct smtpc_error *err)
{
	unsigned char raw[SASL_SCRAM_NONCE_RAW];
	struct sasl_scram *st;
	struct buf b;
	int rc;

	if ((rc = sasl_check_secrets(c, "password", err)) != 0)
		return rc;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "AUTH", "out of memory");
	c->priv = st;
	c->priv_len = sizeof(*st);
	buf_init(&b, sizeof(st->bare) - 1);
	rc = buf_append(&b, "n=", 2);
	if (rc == 0)
		rc = sasl_append_saslname(&b, c->user);
	if (rc == 0)
		rc = buf_append(&b, ",r=", 3);
	st->nonce_off = b.len;
	if (rc == 0 && c->nonce != NULL) {
		if (strlen(c->nonce) == 0 ||
		    strlen(c->nonce) > SASL_SCRAM_NONCE_MAX ||
		    strchr(c->nonce, ',') != NULL) {
			buf_free(&b);
			return error_set(err, SMTPC_EINVAL, "AUTH",
			    "invalid SCRAM client nonce");
		}
		rc = buf_append_str(&b, c->nonce);
	} else if (rc == 0) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			buf_free(&b);
			return error_set(err, SMTPC_EINTERNAL, "AUTH",
			    "no random bytes for the SCRAM nonce");
		}
		/* base64 of 18 bytes: 24 printable characters, no ','. */
		rc = b64_encode(raw, sizeof(raw), &b);
	}
	if (rc != 0) {
		buf_free(&b);
		return error_set(err, rc == SMTPC_ELIMIT ? SMTPC_EINVAL : rc,
		    "AUTH", "cannot build the SCRAM client-first message");
	}
	st->nonce_len = b.len - st->nonce_off;
	memcpy(st->bare, b.data, b.len);
	st->bare_len = b.len;
	buf_free(&b);
	/* gs2-header "n,,": no channel binding, no authzid. */
	if ((rc = buf_append(out, "n,,", 3)) != 0 ||
	    (rc = buf_append(out, st->bare, st->bare_len)) != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/*
 * The value of attribute `name` at *p ("r=...") up to the next ',' or the
 * end; advances *p past the comma.  0 or -1 when the attribute is not
 * there.
 */
static int
sasl_scram_attr(const char **p, const char *end, char name,
    const char **ret, size_t *ret_len)
{
	const char *v, *comma;

	if (end - *p < 2 || (*p)[0] != name || (*p)[1] != '=')
		return -1;
	v = *p + 2;
	comma = memchr(v, ',', (size_t)(end - v));
	*ret = v;
	*ret_len = (size_t)((comma ? comma : end) - v);
	*p = comma ? comma + 1 : end;
	return 0;
}

/* HMAC(key, data) into out; returns 0 or -1. */
static int
sasl_hmac(const EVP_MD *md, const unsigned char *key, size_t klen,
    const void *data, size_t len, unsigned char *out)
{
	unsigned int n = 0;

	return HMAC(md, key, (int)klen, data, len, out, &n) == NULL ? -1 : 0;
}

static int
sasl_scram_server_first(struct sasl_client *c, const EVP_MD *md,
    const unsigned char *in, size_t len, struct buf *out,
    struct smtpc_error *err)
{
	struct sasl_scram *st = c->priv;
	const char *p = (const char *)in, *end = p + len;
	const char *rnonce, *salt64, *iter;
	size_t rlen, slen, ilen, i, hlen = (size_t)EVP_MD_get_size(md);
	unsigned long iters = 0;
	unsigned char salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	unsigned char skey[EVP_MAX_MD_SIZE], stored[EVP_MAX_MD_SIZE];
	unsigned char csig[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE];
	struct buf salt, msg, wo_proof;
	unsigned int dlen = 0;
	int rc = 0;

	if (in == NULL || len == 0 || len > SASL_SCRAM_MSG_MAX ||
	    memchr(in, '\0', len) != NULL)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM server-first message");
	if (len >= 2 && p[0] == 'm' && p[1] == '=')
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server requires a SCRAM extension we do not know");
	if (sasl_scram_attr(&p, end, 'r', &rnonce, &rlen) != 0 ||
	    sasl_scram_attr(&p, end, 's', &salt64, &slen) != 0 ||
	    sasl_scram_attr(&p, end, 'i', &iter, &ilen) != 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM server-first message (r=, s=, i= "
		    "expected)");
	/* RFC 5802 5.1: the server appends to our nonce, printable only. */
	if (rlen <= st->nonce_len ||
	    memcmp(rnonce, st->bare + st->nonce_off, st->nonce_len) != 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "SCRAM server nonce does not extend ours");
	for (i = 0; i < rlen; i++)
		if ((unsigned char)rnonce[i] < 0x21 ||
		    (unsigned char)rnonce[i] > 0x7e)
			return error_set(err, SMTPC_EPROTO, "AUTH",
			    "SCRAM server nonce holds invalid characters");
	/* `in` is not NUL-terminated: look at the ilen bytes only. */
	for (i = 0; i < ilen && iter[i] >= '0' && iter[i] <= '9'; i++)
		;
	if (ilen == 0 || ilen > 9 || i < ilen || iter[0] == '0')
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM iteration count");
	for (i = 0; i < ilen; i++)
		iters = iters * 10 + (unsigned long)(iter[i] - '0');
	if (iters < SASL_SCRAM_ITER_MIN || iters > SASL_SCRAM_ITER_MAX)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "SCRAM iteration count %lu is outside %d..%d; refusing",
		    iters, SASL_SCRAM_ITER_MIN, SASL_SCRAM_ITER_MAX);

	buf_init(&salt, SASL_SCRAM_SALT_MAX);
	buf_init(&msg, SASL_SCRAM_BARE_MAX + 2 * SASL_SCRAM_MSG_MAX);
	buf_init(&wo_proof, SASL_SCRAM_MSG_MAX);
	if (slen == 0 || b64_decode(salt64, slen, &salt) != 0 ||
	    salt.len == 0) {
		rc = error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM salt");
		goto out;
	}
	/* client-final-message-without-proof: "c=" base64("n,,"). */
	if ((rc = buf_append_str(&wo_proof, "c=biws,r=")) != 0 ||
	    (rc = buf_append(&wo_proof, rnonce, rlen)) != 0 ||
	    (rc = buf_append(&msg, st->bare, st->bare_len)) != 0 ||
	    (rc = buf_append_byte(&msg, ',')) != 0 ||
	    (rc = buf_append(&msg, in, len)) != 0 ||
	    (rc = buf_append_byte(&msg, ',')) != 0 ||
	    (rc = buf_append(&msg, wo_proof.data, wo_proof.len)) != 0) {
		rc = error_set(err, rc, "AUTH", "cannot build the response");
		goto out;
	}
	/*
	 * SaltedPassword = Hi(password, salt, i); ClientKey, StoredKey,
	 * ClientSignature, ClientProof = ClientKey XOR ClientSignature;
	 * ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), msg).
	 */
	if (PKCS5_PBKDF2_HMAC(c->pass, (int)c->pass_len, salt.data,
	    (int)salt.len, (int)iters, md, (int)hlen, salted) != 1 ||
	    sasl_hmac(md, salted, hlen, "Client Key", 10, ckey) != 0 ||
	    EVP_Digest(ckey, hlen, stored, &dlen, md, NULL) != 1 ||
	    sasl_hmac(md, stored, hlen, msg.data, msg.len, csig) != 0 ||
	    sasl_hmac(md, salted, hlen, "Server Key", 10, skey) != 0 ||
	    sasl_hmac(md, skey, hlen, msg.data, msg.len,
	    st->server_sig) != 0) {
		rc = error_set(err, SMTPC_EINTERNAL, "AUTH",
		    "SCRAM computation failed");
		goto out;
	}
	for (i = 0; i < hlen; i++)
		proof[i] = ckey[i] ^ csig[i];
	if ((rc = buf_append(out, wo_proof.data, wo_proof.len)) != 0 ||
	    (rc = buf_append(out, ",p=", 3)) != 0 ||
	    (rc = b64_encode(proof, hlen, out)) != 0)
		rc = error_set(err, rc, "AUTH", "cannot build the response");
out:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(csig, sizeof(csig));
	OPENSSL_cleanse(proof, sizeof(proof));
	buf_wipe_free(&salt);
	buf_wipe_free(&msg);
	buf_wipe_free(&wo_proof);
	return rc;
}

static int
sasl_scram_server_final(struct sasl_client *c, const EVP_MD *md,
    const unsigned char *in, size_t len, struct smtpc_error *err)
{
	struct sasl_scram *st = c->priv;
	const char *p = (const char *)in, *end = p + len, *v;
	size_t vlen, hlen = (size_t)EVP_MD_get_size(md);
	char esc[128];
	struct buf sig;
	int rc;

	if (in == NULL || len == 0 || len > SASL_SCRAM_MSG_MAX)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM server-final message");
	if (sasl_scram_attr(&p, end, 'e', &v, &vlen) == 0) {
		error_escape(esc, sizeof(esc), v, vlen);
		return error_set(err, SMTPC_EAUTH, "AUTH",
		    "server reported a SCRAM error: %s", esc);
	}
	if (sasl_scram_attr(&p, end, 'v', &v, &vlen) != 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "malformed SCRAM server-final message (v= expected)");
	buf_init(&sig, EVP_MAX_MD_SIZE + 4);
	rc = b64_decode(v, vlen, &sig);
	if (rc != 0 || sig.len != hlen ||
	    CRYPTO_memcmp(sig.data, st->server_sig, hlen) != 0) {
		buf_wipe_free(&sig);
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "the server's SCRAM signature is wrong: it did not prove "
		    "it knows the password (impostor?); refusing");
	}
	buf_wipe_free(&sig);
	c->verified = 1;
	return 0;
}

static int
sasl_scram_step(struct sasl_client *c, const EVP_MD *md,
    const unsigned char *in, size_t len, struct buf *out,
    struct smtpc_error *err)
{
	if (md == NULL)
		return error_set(err, SMTPC_EINTERNAL, "AUTH",
		    "hash for %s is not available", c->mech->name);
	switch (c->step) {
	case 0:
		return sasl_scram_first(c, out, err);
	case 1:
		return sasl_scram_server_first(c, md, in, len, out, err);
	case 2:
		/* The response to the server-final message is empty. */
		return sasl_scram_server_final(c, md, in, len, err);
	default:
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued %s authentication after it ended",
		    c->mech->name);
	}
}

static int
sasl_scram_sha256_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err)
{
	return sasl_scram_step(c, EVP_sha256(), in, len, out, err);
}

static int
sasl_scram_sha1_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err)
{
	return sasl_scram_step(c, EVP_sha1(), in, len, out, err);
}

/*
 * OAuth 2.0 bearer tokens (RFC 6750 b64token: printable ASCII, no space).
 * After the initial response, a server that refuses sends a 334 with an
 * error JSON; the client answers with a dummy response and the server
 * then sends its final failure reply.
 */
static int
sasl_token_ok(const struct sasl_client *c)
{
	size_t i;

	if (c->pass_len == 0)
		return 0;
	for (i = 0; i < c->pass_len; i++)
		if ((unsigned char)c->pass[i] <= 0x20 ||
		    (unsigned char)c->pass[i] >= 0x7f)
			return 0;
	return 1;
}

static int
sasl_token_after(struct sasl_client *c, const char *dummy, size_t dlen,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	if (c->step > 1)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued %s authentication after it ended",
		    c->mech->name);
	/* Step 1: the server's error JSON; answer so it sends its reply. */
	if ((rc = buf_append(out, dummy, dlen)) != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A. */
static int
sasl_xoauth2_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err)
{
	int rc;

	(void)in;
	(void)len;
	if (c->step > 0)
		return sasl_token_after(c, "", 0, out, err);
	if ((rc = sasl_check_secrets(c, "token", err)) != 0)
		return rc;
	if (!sasl_token_ok(c))
		return error_set(err, SMTPC_EINVAL, "AUTH",
		    "the OAuth token is empty or holds spaces or non-ASCII");
	if ((rc = buf_append_str(out, "user=")) != 0 ||
	    (rc = buf_append_str(out, c->user)) != 0 ||
	    (rc = buf_append_str(out, "\001auth=Bearer ")) != 0 ||
	    (rc = buf_append(out, c->pass, c->pass_len)) != 0 ||
	    (rc = buf_append(out, "\001\001", 2)) != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/*
 * OAUTHBEARER (RFC 7628 3.1): gs2 header "n,a=user," then
 * ^A host= ^A port= ^A auth=Bearer token ^A ^A; the dummy response to an
 * error is a lone ^A (3.2.3).
 */
static int
sasl_oauthbearer_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err)
{
	int rc;

	(void)in;
	(void)len;
	if (c->step > 0)
		return sasl_token_after(c, "\001", 1, out, err);
	if ((rc = sasl_check_secrets(c, "token", err)) != 0)
		return rc;
	if (!sasl_token_ok(c))
		return error_set(err, SMTPC_EINVAL, "AUTH",
		    "the OAuth token is empty or holds spaces or non-ASCII");
	if (c->host != NULL && !sasl_no_controls(c->host, strlen(c->host)))
		return error_set(err, SMTPC_EINVAL, "AUTH", "invalid host");
	if ((rc = buf_append_str(out, "n,a=")) != 0 ||
	    (rc = sasl_append_saslname(out, c->user)) != 0 ||
	    (rc = buf_append_str(out, ",\001")) != 0)
		goto fail;
	if (c->host != NULL && ((rc = buf_append_str(out, "host=")) != 0 ||
	    (rc = buf_append_str(out, c->host)) != 0 ||
	    (rc = buf_append_byte(out, 1)) != 0))
		goto fail;
	if (c->port != 0 && (rc = buf_printf(out, "port=%u\001",
	    c->port)) != 0)
		goto fail;
	if ((rc = buf_append_str(out, "auth=Bearer ")) != 0 ||
	    (rc = buf_append(out, c->pass, c->pass_len)) != 0 ||
	    (rc = buf_append(out, "\001\001", 2)) != 0)
		goto fail;
	return 0;
fail:
	return error_set(err, rc, "AUTH", "cannot build the response");
}

/* Strongest first is not required: sasl_choose compares ranks. */
static const struct sasl_mech sasl_mechs[] = {
	{ "SCRAM-SHA-256", 40, 1, SASL_HAVE_PASSWORD, 1,
	    sasl_scram_sha256_step },
	{ "SCRAM-SHA-1", 30, 1, SASL_HAVE_PASSWORD, 1, sasl_scram_sha1_step },
	{ "PLAIN", 20, 1, SASL_HAVE_PASSWORD, 0, sasl_plain_step },
	{ "LOGIN", 10, 0, SASL_HAVE_PASSWORD, 0, sasl_login_step },
	/* Rank 0: MD5, and the server must store the password in clear. */
	{ "CRAM-MD5", 0, 0, SASL_HAVE_PASSWORD, 0, sasl_cram_md5_step },
	{ "OAUTHBEARER", 20, 1, SASL_HAVE_TOKEN, 0, sasl_oauthbearer_step },
	{ "XOAUTH2", 10, 1, SASL_HAVE_TOKEN, 0, sasl_xoauth2_step },
};

#define SASL_NMECHS (sizeof(sasl_mechs) / sizeof(sasl_mechs[0]))

const struct sasl_mech *
sasl_find(const char *name)
{
	size_t i;

	for (i = 0; i < SASL_NMECHS; i++)
		if (strcasecmp(sasl_mechs[i].name, name) == 0)
			return &sasl_mechs[i];
	return NULL;
}

/* Is `name` one of the space-separated words of `list`? */
static int
sasl_offered(const char *list, const char *name)
{
	size_t n = strlen(name), w;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		w = strcspn(list, " ");
		if (w == n && strncasecmp(list, name, n) == 0)
			return 1;
		list += w;
	}
	return 0;
}

int
sasl_choose(const char *offered, const char *wanted, unsigned have,
    const struct sasl_mech **ret, struct smtpc_error *err)
{
	const struct sasl_mech *best = NULL;
	size_t i;

	if (offered == NULL)
		offered = "";
	if (wanted != NULL) {
		best = sasl_find(wanted);
		if (best == NULL)
			return error_set(err, SMTPC_ENOMECH, "AUTH",
			    "authentication mechanism %.64s is not supported",
			    wanted);
		if (!(best->secret & have))
			return error_set(err, SMTPC_ENOMECH, "AUTH",
			    "%s needs %s", best->name,
			    best->secret == SASL_HAVE_TOKEN ?
			    "an OAuth token (--oauth-token-cmd)" :
			    "a password, not an OAuth token");
		if (!sasl_offered(offered, best->name))
			return error_set(err, SMTPC_ENOMECH, "AUTH",
			    "server does not offer %s (it offers: %.200s)",
			    best->name, *offered ? offered : "nothing");
		*ret = best;
		return 0;
	}
	for (i = 0; i < SASL_NMECHS; i++) {
		if (sasl_mechs[i].rank <= 0 ||
		    !(sasl_mechs[i].secret & have) ||
		    !sasl_offered(offered, sasl_mechs[i].name))
			continue;
		if (best == NULL || sasl_mechs[i].rank > best->rank)
			best = &sasl_mechs[i];
	}
	if (best == NULL)
		return error_set(err, SMTPC_ENOMECH, "AUTH",
		    "no supported authentication mechanism %s(server offers: "
		    "%.200s)", have == SASL_HAVE_TOKEN ? "for an OAuth token " :
		    "", *offered ? offered : "nothing");
	*ret = best;
	return 0;
}

void
sasl_client_init(struct sasl_client *c, const struct sasl_mech *mech,
    const char *user, const char *pass, size_t pass_len)
{
	c->mech = mech;
	c->user = user ? user : "";
	c->pass = pass ? pass : "";
	c->pass_len = pass ? pass_len : 0;
	c->host = NULL;
	c->port = 0;
	c->nonce = NULL;
	c->step = 0;
	c->verified = 0;
	c->priv = NULL;
	c->priv_len = 0;
}

int
sasl_client_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	if ((rc = c->mech->step(c, in, len, out, err)) != 0)
		return rc;
	c->step++;
	return 0;
}

int
sasl_client_done(const struct sasl_client *c, struct smtpc_error *err)
{
	if (c->step == 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server claimed success before any credentials were "
		    "sent");
	if (c->mech->mutual && !c->verified)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server claimed %s success without proving it knows the "
		    "password (no server signature); refusing",
		    c->mech->name);
	return 0;
}

void
sasl_client_free(struct sasl_client *c)
{
	if (c->priv != NULL) {
		OPENSSL_cleanse(c->priv, c->priv_len);
		free(c->priv);
	}
	c->priv = NULL;
	c->priv_len = 0;
	c->pass = NULL;
	c->pass_len = 0;
}
