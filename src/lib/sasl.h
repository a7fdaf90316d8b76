/*
 * sasl.h - SASL client mechanisms (RFC 4422), without any SMTP knowledge.
 *
 * A mechanism is a name, a strength rank and a step function that turns
 * the server's challenge (raw bytes, already base64-decoded by the caller)
 * into the client's response (raw bytes, to be base64-encoded by the
 * caller).  The table holds PLAIN (RFC 4616) and LOGIN; SCRAM-SHA-256 and
 * XOAUTH2 fit the same shape (a step function with state in `priv`).
 *
 * Secrets: the password is borrowed from the caller and never copied
 * except into the response buffer, which the caller must wipe
 * (buf_wipe_free).  The mechanism's private state is wiped by
 * sasl_client_free().
 *
 * Used error codes: SMTPC_ENOMECH (no usable or unknown mechanism),
 * SMTPC_EPROTO (the server continued after the mechanism ended),
 * SMTPC_ENOMEM, SMTPC_ELIMIT.
 */
#ifndef SMTPC_SASL_H
#define SMTPC_SASL_H

#include <stddef.h>

#include "buf.h"
#include "smtpc.h"

struct sasl_client;

struct sasl_mech {
	const char *name;	/* upper case, as in the EHLO AUTH list */
	int rank;		/* higher is stronger; 0: only when named */
	int client_first;	/* 1: the first step needs no challenge, so
				   its response goes with the AUTH command */
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
	const char *pass;	/* borrowed */
	size_t pass_len;
	int step;		/* steps taken so far */
	void *priv;		/* the mechanism's state (SCRAM), wiped */
	size_t priv_len;
};

/* The mechanism called `name` (case-insensitive), or NULL. */
const struct sasl_mech *sasl_find(const char *name);

/*
 * Choose a mechanism from `offered` (names separated by spaces, as
 * struct reply_caps keeps them).  With `wanted` non-NULL, that one: it
 * must be ours (else SMTPC_ENOMECH "not supported") and offered (else
 * SMTPC_ENOMECH "server does not offer").  Otherwise the strongest of
 * ours the server offers (SMTPC_ENOMECH when none).
 */
int sasl_choose(const char *offered, const char *wanted,
    const struct sasl_mech **ret, struct smtpc_error *err);

void sasl_client_init(struct sasl_client *c, const struct sasl_mech *mech,
    const char *user, const char *pass, size_t pass_len);
/* Run the next step; see struct sasl_mech. */
int sasl_client_step(struct sasl_client *c, const unsigned char *in,
    size_t len, struct buf *out, struct smtpc_error *err);
void sasl_client_free(struct sasl_client *c);

#endif
