/* SPDX-License-Identifier: ISC */
/*
 * sasl.h - SASL client mechanisms (RFC 4422), without any SMTP knowledge.
 *
 * A mechanism is a name, a strength rank, the kind of secret it needs and
 * a step function that turns the server's challenge (raw bytes, already
 * base64-decoded by the caller) into the client's response (raw bytes, to
 * be base64-encoded by the caller).  The table holds:
 *
 *   SCRAM-SHA-256 (RFC 7677)  rank 40, password, verifies the server
 *   SCRAM-SHA-1   (RFC 5802)  rank 30, password, verifies the server
 *   PLAIN         (RFC 4616)  rank 20, password
 *   LOGIN         (draft)     rank 10, password
 *   CRAM-MD5      (RFC 2195)  rank 0 (only when named), password
 *   OAUTHBEARER   (RFC 7628)  rank 20, token
 *   XOAUTH2       (Google)    rank 10, token
 *
 * A password and an OAuth 2.0 bearer token are different secrets: a
 * password mechanism is never chosen with a token, nor the reverse.
 *
 * SCRAM and SASLprep: RFC 5802 wants the user name and password prepared
 * with SASLprep (RFC 4013: NFKC, non-ASCII spaces mapped to space, a list
 * of prohibited code points).  We implement "SASLprep-lite": a user name
 * or password holding an ASCII control character (0x00-0x1F, 0x7F) is
 * refused with SMTPC_EINVAL before anything is sent; every other byte,
 * UTF-8 included, goes as it is, unnormalised.  That is exact for ASCII
 * secrets (what SASLprep leaves unchanged) and for UTF-8 already in NFKC
 * form without non-ASCII spaces; other non-ASCII secrets may fail to
 * authenticate (never to be sent elsewhere).
 *
 * SCRAM limits: the server's iteration count must lie in
 * [SASL_SCRAM_ITER_MIN, SASL_SCRAM_ITER_MAX] (fewer is weak, more is a
 * denial of service on us), its nonce must extend ours, its salt must be
 * valid base64 of 1 to 256 bytes; mandatory extensions ("m=") are refused.
 * The exchange only succeeds when the server proved it knows the password
 * (its ServerSignature): sasl_client_done() tells.
 *
 * Secrets: the password or token is borrowed from the caller and never
 * copied except into the response buffer, which the caller must wipe
 * (buf_wipe_free).  The mechanism's private state (salted password, keys,
 * expected server signature) is wiped by sasl_client_free().
 *
 * Used error codes: SMTPC_ENOMECH (no usable or unknown mechanism, or one
 * that needs the other kind of secret), SMTPC_EPROTO (the server continued
 * after the mechanism ended, sent a malformed challenge, a wrong SCRAM
 * server signature, or an unacceptable iteration count or nonce),
 * SMTPC_EAUTH (the server reported a SCRAM error "e=..."), SMTPC_EINVAL (a
 * control character in the user name, password or token), SMTPC_ENOMEM,
 * SMTPC_ELIMIT, SMTPC_EINTERNAL (the random source or a hash failed).
 */
#ifndef SMTPC_SASL_H
#define SMTPC_SASL_H

#include <stddef.h>

#include "buf.h"
#include "smtpc.h"

#define SASL_SCRAM_ITER_MIN	4096
#define SASL_SCRAM_ITER_MAX	1000000

/* What the caller holds (bits for sasl_choose). */
#define SASL_HAVE_PASSWORD	0x1
#define SASL_HAVE_TOKEN		0x2

struct sasl_client;

struct sasl_mech {
	const char *name;	/* upper case, as in the EHLO AUTH list */
	int rank;		/* higher is stronger; 0: only when named */
	int client_first;	/* 1: the first step needs no challenge, so
				   its response goes with the AUTH command */
	unsigned secret;	/* SASL_HAVE_PASSWORD or SASL_HAVE_TOKEN */
	int mutual;		/* 1: success needs the server's proof */
	/*
	 * Append the response to challenge `in` (NULL, 0 for the initial
	 * response of a client-first mechanism) to `out`.
	 */
	int (*step)(struct sasl_client *c, const unsigned char *in,
	    size_t len, struct buf *out, struct smtpc_error *err);
};

struct sasl_client {
	const struct sasl_mech *mech;
	const char *user;
	const char *pass;	/* borrowed: the password or the token */
	size_t pass_len;
	const char *host;	/* OAUTHBEARER host=, NULL: left out */
	unsigned port;		/* OAUTHBEARER port=, 0: left out */
	const char *nonce;	/* SCRAM client nonce; NULL: random (tests
				   set a fixed one, printable, no ',') */
	int step;		/* steps taken so far */
	int verified;		/* the server proved itself (SCRAM) */
	void *priv;		/* the mechanism's state (SCRAM), wiped */
	size_t priv_len;
};

/* The mechanism called `name` (case-insensitive), or NULL. */
const struct sasl_mech *sasl_find(const char *name);

/*
 * Choose a mechanism from `offered` (names separated by spaces, as
 * struct reply_caps keeps them) for a caller holding `have`
 * (SASL_HAVE_*).  With `wanted` non-NULL, that one: it must be ours (else
 * SMTPC_ENOMECH "not supported"), fit what the caller holds (else
 * SMTPC_ENOMECH "needs a password" / "needs an OAuth token") and be
 * offered (else SMTPC_ENOMECH "server does not offer").  Otherwise the
 * strongest of ours with a non-zero rank that fits and the server offers
 * (SMTPC_ENOMECH when none).
 */
int sasl_choose(const char *offered, const char *wanted, unsigned have,
    const struct sasl_mech **ret, struct smtpc_error *err);

void sasl_client_init(struct sasl_client *c, const struct sasl_mech *mech,
    const char *user, const char *pass, size_t pass_len);
/* Run the next step; see struct sasl_mech. */
int sasl_client_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err);
/*
 * Call when the server says the authentication succeeded: 0 if the
 * mechanism is complete on our side too, SMTPC_EPROTO if the server
 * claimed success before proving itself (SCRAM without a verified
 * server signature) or before we sent our credentials.
 */
int sasl_client_done(const struct sasl_client *c, struct smtpc_error *err);
void sasl_client_free(struct sasl_client *c);

#endif
