/* SPDX-License-Identifier: ISC */
/*
 * queue_conn.h - how a queued message reaches its server, kept with it.
 *
 * A queued entry keeps the options that chose its server as they were
 * given (the command line's --server, --tls, -u, --password-file, ...),
 * the configuration file that was read and the account that was chosen,
 * as "key value" parameters of the entry (spool.h).  The runner lays
 * them out again and applies the account again, exactly as the sending
 * command did, so the message goes where it was meant to go.  No secret
 * is among them: a password comes, at each attempt, from where it came
 * the first time (the account's password or passwordeval, a password
 * file or command, the key ring, $SMTPC_PASSWORD).  File names are made
 * absolute, since the runner may start elsewhere.
 */
#ifndef SMTPC_CLI_QUEUE_CONN_H
#define SMTPC_CLI_QUEUE_CONN_H

#include "args.h"
#include "spool.h"

struct queue_conn {
	struct spool_param *param;
	size_t n;
};

/*
 * The connection options of `o` as given (before the account is
 * applied).  0, or 71 (out of memory) after a message.
 */
int queue_conn_capture(const struct cli_opts *o, struct queue_conn *c);
/* The configuration file read (NULL: none) and the account chosen. */
int queue_conn_account(
    struct queue_conn *c, const char *config_path, const char *account);
void queue_conn_free(struct queue_conn *c);
/*
 * An entry's parameters laid out in `o` (zeroed here), to be passed to
 * account_apply when *ret_has_account says an account was used.
 * o->host is malloc'ed (free it); other strings point into `param`.
 */
int queue_conn_apply(const struct spool_param *param, size_t n,
    struct cli_opts *o, int *ret_has_account);
/*
 * 1 when two entries share a connection: the same connection parameters
 * (the message's own, "smtputf8" and "8bit", are not compared).
 */
int queue_conn_same(const struct spool_param *a, size_t na,
    const struct spool_param *b, size_t nb);
/* 1 when `key` is one of the message's own parameters. */
int queue_conn_is_message_key(const char *key);

#endif
