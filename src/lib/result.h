/* SPDX-License-Identifier: ISC */
/*
 * result.h - what became of one message (struct smtpc_result), filled by
 * the session as the transaction goes and read through smtpc.h's getters.
 */
#ifndef SMTPC_RESULT_H
#define SMTPC_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc.h"

/* The number of enum smtpc_stage values (not public: it grows). */
#define RESULT_STAGES	12

/* Empty the result for a new send; keeps its memory. */
void result_clear(struct smtpc_result *r);
int result_set_from(struct smtpc_result *r, const char *from);
int result_set_message_id(struct smtpc_result *r, const char *id);
/* Where and how: host, port, TLS version and cipher, AUTH ("" if none). */
int result_set_server(struct smtpc_result *r, const char *host,
    unsigned port, const char *tls_version, const char *tls_cipher,
    const char *auth_mech);
/* A recipient, not yet answered; *ret_index is its place. */
int result_add_rcpt(struct smtpc_result *r, const char *address,
    size_t *ret_index);
/* The server's answer to RCPT for the recipient at `index`. */
int result_rcpt_reply(struct smtpc_result *r, size_t index, int accepted,
    int code, const char *enhanced, const char *text, size_t len);
const struct smtpc_rcpt_status *result_rcpt(const struct smtpc_result *r,
    size_t index);
/* The final reply; the queue ID is read from its text. */
int result_set_final(struct smtpc_result *r, int code, const char *enhanced,
    const char *text, size_t len);
void result_set_size(struct smtpc_result *r, uint64_t size);
void result_add_bytes(struct smtpc_result *r, uint64_t n);
void result_add_time(struct smtpc_result *r, enum smtpc_stage stage,
    int64_t usec);
/* The outcome: 0, or the code and error of the failed send. */
void result_set_status(struct smtpc_result *r, int status,
    const struct smtpc_error *err, int maybe_delivered);
/*
 * The queue ID in a final reply's text, as common servers write it, into
 * `out` (capacity `cap`); 0 when found, -1 when not.
 */
int result_parse_queue_id(const char *text, size_t len, char *out,
    size_t cap);

#endif
