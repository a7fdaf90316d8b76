/*
 * password.h - where the AUTH password comes from.
 *
 * Sources, first that applies: --password-file, --password-cmd,
 * $SMTPC_PASSWORD, a prompt on the controlling terminal (no echo).  Never
 * argv.  The password lives in one heap buffer that password_free() wipes.
 */
#ifndef SMTPC_CLI_PASSWORD_H
#define SMTPC_CLI_PASSWORD_H

#include "args.h"

/*
 * Returns 0 with *ret set, or a sysexits code after printing one line
 * (66 file unreadable, 78 no source or the command failed).
 */
int password_obtain(const struct cli_opts *o, char **ret);
/*
 * The OAuth token: the first line --oauth-token-cmd prints (one trailing
 * newline dropped).  Same return codes; free with password_free().
 */
int password_obtain_token(const struct cli_opts *o, char **ret);
void password_free(char *pw);

#endif
