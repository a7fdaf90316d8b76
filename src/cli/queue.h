/* SPDX-License-Identifier: ISC */
/*
 * queue.h - `smtpc queue` and `mailq`: the local mail queue as the user
 * sees it (list, run, show, drop, hold, release).  The spool itself is
 * spool.h's.
 */
#ifndef SMTPC_CLI_QUEUE_H
#define SMTPC_CLI_QUEUE_H

/*
 * argv[0] is "queue" (or "mailq", which lists); returns the exit code.
 * `env_password` ($SMTPC_PASSWORD, or NULL) serves queue run's logins.
 */
int queue_main(int argc, char **argv, char *env_password);

#endif
