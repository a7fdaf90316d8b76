/* SPDX-License-Identifier: ISC */
/*
 * batch.h - smtpc batch: many messages over one connection.  The engine
 * is the library's smtpc_session_send_many; this module is its message
 * source for the program (JSON Lines, a directory of .eml files, a
 * Maildir, an mbox) and its report (one JSON object per message, in
 * input order, the exit status that sums them up).
 */
#ifndef SMTPC_CLI_BATCH_H
#define SMTPC_CLI_BATCH_H

#include "args.h"
#include "smtpc.h"

/*
 * Send every message of o->inputs over `s` (open).  Returns the exit
 * status: 0 all sent, 65 some input unusable (those messages were not
 * sent; the others were), 69 some refused, 75 some failed temporarily or
 * the batch was interrupted (SIGINT: it stops after the message in
 * flight).
 */
int batch_run(const struct cli_opts *o, struct smtpc_session *s);

#endif
