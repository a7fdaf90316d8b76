/* SPDX-License-Identifier: ISC */
/*
 * fuzz_scram.c - the SCRAM-SHA-256 / SCRAM-SHA-1 client (sasl.c) fed
 * arbitrary server-first and server-final messages, checked against a
 * reference computation written here from RFC 5802 with OpenSSL.
 *
 * Input: one byte of settings (bit 0: SHA-1 instead of SHA-256; bits 1-2:
 * the server-final is 0 the input's own bytes, 1 the correct "v=", 2 the
 * correct one with one bit flipped, 3 an "e=" error), then the
 * server-first message, a NUL, and the server-final message.  Messages
 * are passed in buffers of their exact size (no NUL after them).
 *
 * Properties: never crashes or reads past a message; the client-first is
 * "n,,n=user,r=NONCE"; a server-first is accepted only with our nonce
 * extended by printable characters, a valid salt and an iteration count
 * in range, and then the client-final is exactly the reference one (the
 * proof included); the exchange completes (sasl_client_done) exactly when
 * the server-final carries the correct signature.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "fuzz.h"
#include "sasl.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_USER "user"
#define FUZZ_PASS "pencil"
#define FUZZ_NONCE "rOprNGfwEbeRWgbNEkqO"

/* The attribute `name` of a SCRAM message, or NULL. */
static const char *
fuzz_attr(const char *m, size_t len, char name, size_t *ret_len)
{
	size_t i = 0, e;

	while (i < len) {
		for (e = i; e < len && m[e] != ','; e++)
			;
		if (e - i >= 2 && m[i] == name && m[i + 1] == '=') {
			*ret_len = e - i - 2;
			return m + i + 2;
		}
		i = e + 1;
	}
	return NULL;
}

/*
 * The reference: from the server-first message, the expected client-final
 * message and server signature.  -1 when the message is not acceptable.
 */
static int
fuzz_reference(const EVP_MD *md, const char *sf, size_t len, struct buf *cfinal,
    unsigned char *ssig)
{
	const char *r, *s, *i;
	size_t rl, sl, il, k, h = (size_t)EVP_MD_get_size(md);
	unsigned long iters = 0;
	unsigned char salted[EVP_MAX_MD_SIZE], ck[EVP_MAX_MD_SIZE];
	unsigned char sk[EVP_MAX_MD_SIZE], st[EVP_MAX_MD_SIZE];
	unsigned char cs[EVP_MAX_MD_SIZE], pr[EVP_MAX_MD_SIZE];
	unsigned int n;
	struct buf salt, am, wo;
	int rc = -1;

	/* r=, s=, i= must come first, in that order (RFC 5802 7). */
	if (len < 2 || memcmp(sf, "r=", 2) != 0 ||
	    (r = fuzz_attr(sf, len, 'r', &rl)) == NULL ||
	    (s = fuzz_attr(sf, len, 's', &sl)) == NULL ||
	    (i = fuzz_attr(sf, len, 'i', &il)) == NULL || s != r + rl + 3 ||
	    i != s + sl + 3)
		return -1;
	if (memchr(sf, '\0', len) != NULL)
		return -1;
	if (rl <= strlen(FUZZ_NONCE) ||
	    memcmp(r, FUZZ_NONCE, strlen(FUZZ_NONCE)) != 0)
		return -1;
	for (k = 0; k < rl; k++)
		if (r[k] < 0x21 || r[k] > 0x7e)
			return -1;
	if (il == 0 || il > 9 || i[0] == '0')
		return -1;
	for (k = 0; k < il; k++) {
		if (i[k] < '0' || i[k] > '9')
			return -1;
		iters = iters * 10 + (unsigned long)(i[k] - '0');
	}
	if (iters < SASL_SCRAM_ITER_MIN || iters > SASL_SCRAM_ITER_MAX)
		return -1;
	buf_init(&salt, 1 << 16);
	buf_init(&am, 1 << 16);
	buf_init(&wo, 1 << 16);
	if (sl == 0 || fz_b64_decode(s, sl, &salt) != 0 || salt.len == 0 ||
	    salt.len > 256)
		goto out;
	/* Canonical base64 only (unused bits zero), as RFC 4648 3.5 allows. */
	b64_encode(salt.data, salt.len, &wo);
	if (wo.len != sl || memcmp(wo.data, s, sl) != 0)
		goto out;
	buf_reset(&wo);
	buf_append_str(&wo, "c=biws,r=");
	buf_append(&wo, r, rl);
	buf_append_str(&am, "n=" FUZZ_USER ",r=" FUZZ_NONCE ",");
	buf_append(&am, sf, len);
	buf_append_byte(&am, ',');
	buf_append(&am, wo.data, wo.len);
	if (PKCS5_PBKDF2_HMAC(FUZZ_PASS, 6, salt.data, (int)salt.len,
		(int)iters, md, (int)h, salted) != 1)
		abort();
	HMAC(md, salted, (int)h, (const unsigned char *)"Client Key", 10, ck,
	    &n);
	EVP_Digest(ck, h, st, &n, md, NULL);
	HMAC(md, st, (int)h, am.data, am.len, cs, &n);
	HMAC(md, salted, (int)h, (const unsigned char *)"Server Key", 10, sk,
	    &n);
	HMAC(md, sk, (int)h, am.data, am.len, ssig, &n);
	for (k = 0; k < h; k++)
		pr[k] = ck[k] ^ cs[k];
	buf_append(cfinal, wo.data, wo.len);
	buf_append_str(cfinal, ",p=");
	b64_encode(pr, h, cfinal);
	rc = 0;
out:
	buf_free(&salt);
	buf_free(&am);
	buf_free(&wo);
	return rc;
}

/* A copy in a buffer of exactly `len` bytes, so ASan sees overreads. */
static unsigned char *
fuzz_exact(const void *p, size_t len)
{
	unsigned char *c = malloc(len ? len : 1);

	if (c == NULL)
		abort();
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sasl_mech *mech;
	const EVP_MD *md;
	struct sasl_client c;
	struct smtpc_error err;
	struct buf out, ref, fin;
	unsigned char ssig[EVP_MAX_MD_SIZE], *sf, *sfin;
	const uint8_t *z;
	const char *it;
	size_t sflen, finlen, il, h;
	unsigned mode;
	int rc, want;

	if (size < 1 || size > 8192)
		return 0;
	mode = (data[0] >> 1) & 3;
	mech = sasl_find(data[0] & 1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256");
	md = data[0] & 1 ? EVP_sha1() : EVP_sha256();
	FUZZ_CHECK(mech != NULL, "SCRAM not in the table");
	h = (size_t)EVP_MD_get_size(md);
	data++;
	size--;
	z = memchr(data, '\0', size);
	sflen = z != NULL ? (size_t)(z - data) : size;
	/* Keep PBKDF2 cheap: large iteration counts only cost time. */
	it = fuzz_attr((const char *)data, sflen, 'i', &il);
	if (it != NULL && il > 4)
		return 0;
	sf = fuzz_exact(data, sflen);
	buf_init(&out, 1 << 16);
	buf_init(&ref, 1 << 16);
	buf_init(&fin, 1 << 16);

	sasl_client_init(&c, mech, FUZZ_USER, FUZZ_PASS, 6);
	c.nonce = FUZZ_NONCE;
	FUZZ_CHECK(sasl_client_step(&c, NULL, 0, &out, &err) == 0, "first");
	FUZZ_CHECK(out.len == strlen("n,,n=" FUZZ_USER ",r=" FUZZ_NONCE) &&
		memcmp(out.data, "n,,n=" FUZZ_USER ",r=" FUZZ_NONCE, out.len) ==
		    0,
	    "client-first [%s]", buf_cstr(&out));
	buf_reset(&out);
	rc = sasl_client_step(&c, sf, sflen, &out, &err);
	want = fuzz_reference(md, (const char *)sf, sflen, &ref, ssig);
	FUZZ_CHECK((rc == 0) == (want == 0),
	    "server-first [%.*s]: lib %d "
	    "(%s), reference %d",
	    (int)sflen, sf, rc, err.message, want);
	if (rc != 0) {
		FUZZ_CHECK(rc == SMTPC_EPROTO, "code %d", rc);
		FUZZ_CHECK(sasl_client_done(&c, &err) != 0,
		    "done after a failed step");
		goto done;
	}
	FUZZ_CHECK(
	    out.len == ref.len && memcmp(out.data, ref.data, out.len) == 0,
	    "client-final [%s], want [%s]", buf_cstr(&out), buf_cstr(&ref));
	FUZZ_CHECK(sasl_client_done(&c, &err) != 0,
	    "done before the server signature");
	/* The server-final message. */
	switch (mode) {
	case 0:
		if (z != NULL)
			buf_append(&fin, z + 1, size - sflen - 1);
		break;
	case 1:
	case 2:
		buf_append_str(&fin, "v=");
		if (mode == 2)
			ssig[z != NULL && size > sflen + 1 ? z[1] % h : 0] ^= 1;
		b64_encode(ssig, h, &fin);
		break;
	default:
		buf_append_str(&fin, "e=invalid-proof");
		break;
	}
	finlen = fin.len;
	sfin = fuzz_exact(fin.data, finlen);
	buf_reset(&out);
	rc = sasl_client_step(&c, sfin, finlen, &out, &err);
	if (mode == 1)
		FUZZ_CHECK(rc == 0 && sasl_client_done(&c, &err) == 0,
		    "the correct signature was refused: %s", err.message);
	else if (rc == 0) {
		/* Accepted: it must be the signature, byte for byte. */
		struct buf sig;

		buf_init(&sig, 256);
		FUZZ_CHECK(finlen >= 2 && memcmp(sfin, "v=", 2) == 0,
		    "accepted a server-final without v=");
		FUZZ_CHECK(fz_b64_decode((char *)sfin + 2,
			       strcspn(buf_cstr(&fin) + 2, ","), &sig) == 0 &&
			sig.len == h && memcmp(sig.data, ssig, h) == 0,
		    "accepted a wrong signature");
		buf_free(&sig);
	} else {
		FUZZ_CHECK(
		    rc == SMTPC_EPROTO || rc == SMTPC_EAUTH, "code %d", rc);
		FUZZ_CHECK(sasl_client_done(&c, &err) != 0,
		    "done after a refused signature");
	}
	free(sfin);
done:
	sasl_client_free(&c);
	free(sf);
	buf_free(&out);
	buf_free(&ref);
	buf_free(&fin);
	return 0;
}
