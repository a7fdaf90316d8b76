/* SPDX-License-Identifier: ISC */
/*
 * account.h - the account of the configuration file (config.h) that a
 * run of smtpc uses, laid under its command line: the command line wins,
 * then the account, then msmtp's defaults.  smtpc-config(5) is the full
 * text; this module only maps settings, it reads no secret itself.
 */
#ifndef SMTPC_CLI_ACCOUNT_H
#define SMTPC_CLI_ACCOUNT_H

#include <stdio.h>

#include "args.h"
#include "config.h"

/* The origin config_print() shows for what the command line set. */
#define ACCOUNT_CMDLINE "command line"

/* What a run keeps of its account; zero it before use. */
struct account {
	struct config *cfg;	     /* NULL: no file */
	struct config_account *acct; /* NULL: no account in use */
	char *from;		     /* "from_full_name <from>" */
	char secret_origin[300];     /* "passwordeval (FILE:LINE)" */
	char auth_origin[300];	     /* "FILE:LINE" */
	char from_header_origin[300]; /* "FILE:LINE" of set_from_header */
};

/*
 * Find and load the file (config_open: o->config_file, else the usual
 * places), choose the account (config_select: o->account, else the one
 * whose from matches -f's address, else "default") and apply it to `o`.
 * 0, or an exit code after one line on stderr: 78 for the file or the
 * account, 64 for a command-line value the account cannot take.  No
 * file, or no account that fits: 0 and `o` unchanged.
 */
int account_apply(struct cli_opts *o, struct account *ac);

/*
 * The mapping alone, for an account already chosen: lay the command
 * line's server settings over `a` (config_set(), origin ACCOUNT_CMDLINE,
 * so config_print() shows them) and fill `o` from the result.  0, or
 * SMTPC_ECONFIG / SMTPC_EINVAL (a command-line value) / SMTPC_ENOMEM with
 * `err` set.
 */
int account_merge(struct cli_opts *o, struct config_account *a,
    struct account *ac, struct smtpc_error *err);

/*
 * The effective settings for `check`: the account, each setting with
 * where it came from (password masked), the command line's password
 * source, and the msmtp keys the file has that smtpc skips.
 */
void account_print(FILE *fp, const struct account *ac,
    const struct cli_opts *o);

/*
 * "\"Full Name\" <addr>", the name quoted as RFC 5322 wants it (the
 * account's from_full_name, sendmail's -F): 0 with *ret malloc'ed, or
 * SMTPC_ENOMEM.
 */
int account_build_from(const char *name, const char *addr, char **ret);

void account_free(struct account *ac);

#endif
