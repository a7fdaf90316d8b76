/* SPDX-License-Identifier: ISC */
/*
 * compose.h - turn the message options into a struct smtpc_msg.
 */
#ifndef SMTPC_CLI_COMPOSE_H
#define SMTPC_CLI_COMPOSE_H

#include "args.h"

/*
 * Build the message.  Returns 0 with *ret set, or an exit code after
 * printing one line (65 bad address or header, 66 missing file, ...).
 * Files are checked here, before any connection is made.
 */
int compose_message(const struct cli_opts *o, struct smtpc_msg **ret);

#endif
