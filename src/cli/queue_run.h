/* SPDX-License-Identifier: ISC */
/*
 * queue_run.h - `smtpc queue run` (also sendmail -q): send what the queue
 * holds that is due, over one connection per server and account,
 * pipelined by the library's batch engine (smtpc_session_send_many),
 * recording each message's outcome in the spool.
 */
#ifndef SMTPC_CLI_QUEUE_RUN_H
#define SMTPC_CLI_QUEUE_RUN_H

#include <stdint.h>

struct queue_run_opts {
	const char *dir;     /* NULL: the per-user spool */
	int all;	     /* --all: every queued message, due or not */
	int resend_uncertain; /* --resend-uncertain */
	int json;	     /* one JSON object per message on stdout */
	int verbose;	     /* a line per message; -vv: the dialogue */
	int quiet;
	char *env_password;  /* $SMTPC_PASSWORD, taken by main() */
	/* 0: the spool's defaults (spool.h) */
	unsigned retry_first; /* seconds before the first retry */
	unsigned retry_max;   /* the longest wait between tries */
	int64_t lifetime;     /* then the pending recipients fail */
};

/*
 * Returns 0 when the run went through, whatever became of each message
 * (deferred and failed ones are recorded, and said on stderr when they
 * need the user); 74/75 when the spool cannot be used.
 */
int queue_run(const struct queue_run_opts *q);

#endif
