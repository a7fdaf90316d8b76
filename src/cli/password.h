/* SPDX-License-Identifier: ISC */
/*
 * password.h - where the AUTH password comes from.
 *
 * Sources, first that applies: --password-file, --password-cmd, the
 * account's password, its passwordeval, $SMTPC_PASSWORD, the desktop key
 * ring (keyring.h), ~/.netrc (or $NETRC), a prompt on the controlling
 * terminal (no echo).  Never argv.  The password lives in one heap buffer
 * that password_free() wipes.
 */
#ifndef SMTPC_CLI_PASSWORD_H
#define SMTPC_CLI_PASSWORD_H

#include "args.h"

/*
 * The login ~/.netrc (or the file $NETRC names) gives for the server host
 * o->host, for use when -u was not given: 0 with *ret malloc'ed, or *ret
 * NULL when there is no such file or no entry with a login; or an exit code
 * after one line on stderr (66 unreadable, 71 out of memory, 78 the file is
 * unsafe or malformed).
 */
int password_netrc_login(const struct cli_opts *o, char **ret);
/*
 * Take $SMTPC_PASSWORD out of the environment, first thing in main():
 * *ret is its value in a buffer for password_free() (NULL when unset; an
 * empty string when set but empty), the bytes the environment held are
 * wiped in place (what /proc/PID/environ reads), the variable dropped so
 * no command we run inherits it, and the process made non-dumpable.
 * Returns 0, or 71 out of memory (the value wiped all the same).
 */
int password_take_env(char **ret);
/*
 * The password for `user` (o->user, or the netrc login) at o->host: from
 * --password-file, --password-cmd, the account's password or passwordeval,
 * $SMTPC_PASSWORD (o->env_password), the key ring's item for o->host and
 * `user`, then the netrc entry for o->host whose login is `user` (or one
 * without a login), then the terminal.  Returns 0 with *ret set, or a
 * sysexits code
 * after printing one line (66 file unreadable, 71 out of memory, 78 no
 * source, an empty password from the first source that gives one, the
 * command failed, or the netrc file is unsafe or malformed).
 */
int password_obtain(const struct cli_opts *o, const char *user, char **ret);
/*
 * The OAuth token: the first line --oauth-token-cmd prints (one trailing
 * newline dropped), else the account's password or what its passwordeval
 * prints (auth oauthbearer or xoauth2).  Same return codes; free with
 * password_free().
 */
int password_obtain_token(const struct cli_opts *o, char **ret);
void password_free(char *pw);
/* 1 once a password was typed at the terminal prompt in this run. */
int password_was_typed(void);
/* 1 when the secret to fetch is an OAuth token, not a password. */
int password_is_token(const struct cli_opts *o);

#endif
