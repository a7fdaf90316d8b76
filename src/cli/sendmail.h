/* SPDX-License-Identifier: ISC */
/*
 * sendmail.h - the command line of `smtpc sendmail` and of the program run
 * as `sendmail` or `mailq`: the flags that programs handing mail to
 * sendmail use (cron, git send-email, mutt, mailx, PHP), parsed as
 * sendmail and msmtp do.  That syntax is not getopt_long's: letters take
 * their value glued or in the next word ("-FCronDaemon", "-f ADDR"),
 * "-o" and "-B" take the rest of the word ("-oi", "-oem", "-B8BITMIME").
 */
#ifndef SMTPC_CLI_SENDMAIL_H
#define SMTPC_CLI_SENDMAIL_H

#include <stddef.h>

#include "args.h"

struct sendmail_opts {
	int read_recipients;   /* -t */
	const char *full_name; /* -F NAME: the added From's display name */
	const char **rcpts;    /* the recipients on the command line */
	size_t nrcpts;
};

/*
 * Parse argv[first..argc) (first: 1 when run as sendmail, 2 after
 * "smtpc sendmail") into `o` (command CLI_CMD_SENDMAIL; -f in o->from,
 * -C, --account, -v, -N/-R/-V, --json) and `so`.  `prog` is argv[0]'s
 * base name: "mailq" is the queue's listing.  Returns 0, or an exit code
 * after one line on stderr (64: a usage error, or an operating mode a
 * submission agent does not have); 0 with o->command CLI_CMD_NONE after
 * --help or --version.
 */
int sendmail_parse(int argc, char **argv, int first, const char *prog,
    struct cli_opts *o, struct sendmail_opts *so);
void sendmail_free(struct sendmail_opts *so);

/* 1 when the program runs under a sendmail name ("sendmail", "mailq"). */
int sendmail_is_name(const char *argv0, const char **ret_base);

/*
 * 1 when smtpc's first argument is an option, not a command: programs
 * given smtpc's own path as their sendmail ("git send-email
 * --smtp-server=/usr/bin/smtpc") run "smtpc -i RCPT" or "smtpc -f ADDR
 * ...".  --help, -h, --version and -V keep their meaning.
 */
int sendmail_is_argv(const char *arg1);

#endif
