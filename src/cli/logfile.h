/* SPDX-License-Identifier: ISC */
/*
 * logfile.h - one line per message for the account's `logfile` and
 * `syslog`, in msmtp's format so that existing log readers keep working:
 *
 *   host=H tls=on|off auth=on|off [user=U] from=F recipients=A,B
 *   [mailsize=N] [smtpstatus=CODE smtpmsg='TEXT'] [errormsg='TEXT']
 *   exitcode=EX_...
 *
 * In the file each line starts with the local time ("Dec 01 10:00:00 ").
 * Unlike msmtp, a message sent also has smtpstatus and smtpmsg: the final
 * reply, which names the server's queue ID.  Values are sanitised as
 * msmtp does (control characters become '?', and in the quoted ones '
 * does too); no secret is ever part of a line.
 */
#ifndef SMTPC_CLI_LOGFILE_H
#define SMTPC_CLI_LOGFILE_H

#include <stdint.h>

#include "args.h"
#include "smtpc.h"

/* What the line says beyond the result object. */
struct logfile_info {
	const char *host;
	int tls;	  /* 1: STARTTLS or implicit TLS */
	const char *user; /* the login; NULL: no AUTH */
	/*
	 * Used where the result has nothing to say (no result, or the send
	 * never began): the envelope of `msg` (envelope_from, when set,
	 * replaces its sender), the failure `err` (NULL or code 0: none)
	 * and the message's `size`.
	 */
	const struct smtpc_msg *msg;
	const char *envelope_from;
	const struct smtpc_error *err;
	uint64_t size;
};

/*
 * The line (no time, no newline) for a send that ended with `exit_code`
 * (a sysexits value); `r` may be NULL.  malloc'ed; NULL out of memory.
 */
char *logfile_line(const struct smtpc_result *r,
    const struct logfile_info *li, int exit_code);

/*
 * Append `line` to `path` ("-": standard output) after the local time,
 * in one write (O_APPEND; a new file has mode 600).  0, or -1 with a
 * line on stderr (a log that cannot be written does not fail the send).
 */
int logfile_append(const char *path, const char *line);

/* syslog(3) as "smtpc" with `facility` ("LOG_MAIL"), LOG_ERR if `error`. */
void logfile_syslog(const char *facility, const char *line, int error);

/*
 * main's call after a send: the line for the account's logfile and
 * syslog settings (o->logfile, o->syslog), if any.
 */
void logfile_send(const struct cli_opts *o, const char *user,
    const struct smtpc_msg *msg, const struct smtpc_result *r,
    const struct smtpc_error *err, uint64_t size, int exit_code);

#endif
