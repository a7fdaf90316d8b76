/* SPDX-License-Identifier: ISC */
/*
 * keyring.h - the password msmtp users keep in the desktop key ring, read
 * through libsecret (the Secret Service on the session bus): the items
 * msmtp finds, so one stored with
 *
 *	secret-tool store --label=smtp host HOST service smtp user USER
 *
 * serves both programs.  Built without libsecret (meson -Dkeyring=disabled)
 * the key ring is never asked; built with it, libsecret is loaded at the
 * first lookup, and where it cannot be the key ring has no password.
 */
#ifndef SMTPC_CLI_KEYRING_H
#define SMTPC_CLI_KEYRING_H

#include <stddef.h>

/*
 * The password for `user` at `host`: 1 with it copied into buf (cap
 * bytes, NUL-terminated), 0 when the key ring has none, is not running
 * or no session bus is there to reach it (a note on stderr when `verbose`
 * says why), -1 when it is longer than cap - 1 bytes.
 */
int keyring_lookup(const char *host, const char *user, char *buf,
    size_t cap, int verbose);

#endif
