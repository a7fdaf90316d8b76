/* SPDX-License-Identifier: ISC */
/*
 * connect.h - a session opened as the command line and the account say:
 * the login (-u or ~/.netrc), the password fetched and wiped, the TLS
 * session cache, DSN, the plaintext-AUTH check; and what the library
 * tells the program while it works (-v, progress).  Used by send,
 * sendmail, batch, check and queue run alike.
 */
#ifndef SMTPC_CLI_CONNECT_H
#define SMTPC_CLI_CONNECT_H

#include "args.h"
#include "progress.h"
#include "smtpc.h"

/* What the library tells the program while it works: -v and progress. */
struct connect_events {
	const struct cli_opts *o;
	struct progress progress;
	int progress_on;	/* progress_init was called */
};

/* The event callback a session opened here reports to (user: events). */
int connect_event(void *user, const struct smtpc_event *ev);
/*
 * A session as `o` says, opened when `open` is 1.  Returns 0 or an exit
 * code (the error printed); on an error after the session exists, *ret is
 * still set so that `check` can show what it learned.  *ret_user: the
 * login used (NULL: none), living in *ret_netrc when ~/.netrc gave it,
 * which the caller frees.
 */
int connect_session(const struct cli_opts *o, struct connect_events *events,
    int open, struct smtpc_session **ret, const char **ret_user,
    char **ret_netrc, struct smtpc_error *err);
/* Each refused recipient of `r` on stderr, with the server's words. */
void connect_print_refusals(const struct smtpc_result *r, const char *what);
/* 1 when the server's EHLO listed `keyword`. */
int connect_has_capability(const struct smtpc_session *s,
    const char *keyword);
/*
 * --dsn-* to a server without DSN: it still gets the mail, as with other
 * clients; the user is told the reports will not come.
 */
void connect_warn_dsn(const struct cli_opts *o, const struct smtpc_session *s);

#endif
