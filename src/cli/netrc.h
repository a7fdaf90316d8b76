/* SPDX-License-Identifier: ISC */
/*
 * netrc.h - the login and password ~/.netrc gives for a server.
 *
 * The format is ftp(1)'s, as curl reads it: whitespace-separated tokens,
 * "machine NAME" or "default" opening an entry, "login NAME",
 * "password PASS", "account X" (ignored) and "macdef NAME" (skipped up to
 * and including the next empty line).  A token may be double-quoted with
 * backslash escapes.  '#' is an ordinary character, not a comment.
 */
#ifndef SMTPC_CLI_NETRC_H
#define SMTPC_CLI_NETRC_H

#include <stddef.h>

#define NETRC_TOKEN_MAX 4096
#define NETRC_FILE_MAX (1024 * 1024)

/* What an entry holds; either may be NULL.  Free with netrc_entry_clear(). */
struct netrc_entry {
	char *login;
	char *password;
};

/* Why netrc_find() refused a text, and where. */
struct netrc_error {
	size_t line;
	const char *why;
};

/*
 * Find the entry for `host` (case-insensitive, exact) in the netrc text
 * [text, text + len).  With `user`, the first entry whose login is `user`
 * or that has no login; without, the first that has a login.  "default"
 * entries count only when no "machine" entry qualifies.  Returns 0 with *e
 * filled (both NULL: no entry), -1 for a malformed text with *err set, -2
 * out of memory.  The whole text is checked, not only up to the match.
 */
int netrc_find(const char *text, size_t len, const char *host,
    const char *user, struct netrc_entry *e, struct netrc_error *err);
/*
 * The same from the file $NETRC names, or ~/.netrc: 0 with *e filled (both
 * NULL: no file or no entry), or an exit code after one line on stderr (66
 * unreadable, 71 out of memory, 78 malformed, or unsafe: a password in a
 * file others can read or change).
 */
int netrc_lookup(const char *host, const char *user, struct netrc_entry *e);
/*
 * The file netrc_lookup() reads: $NETRC, else ~/.netrc.  0 with *ret
 * malloc'ed (NULL: no home directory), or 71 out of memory.
 */
int netrc_path(char **ret);
/* Wipes the password and frees both. */
void netrc_entry_clear(struct netrc_entry *e);

#endif
