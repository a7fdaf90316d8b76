/* SPDX-License-Identifier: ISC */
/*
 * config_keys.h - what config.c and config_keys.c share: the place a
 * setting comes from, the table of keys, an account's life (defaults,
 * copy, clear) and the error sentences.  Not for the rest of the program:
 * config.h is the module's interface.
 */
#ifndef SMTPC_CLI_CONFIG_KEYS_H
#define SMTPC_CLI_CONFIG_KEYS_H

#include <stddef.h>

#include "config.h"

/* The file and line being read (line 0: a config_set() label). */
struct config_ctx {
	const char *file;
	unsigned line;
	struct smtpc_error *err;
};

/* Read value `v` of key `k` into `a`: 0, SMTPC_ECONFIG or SMTPC_ENOMEM. */
typedef int config_parse_fn(const struct config_ctx *cx,
    struct config_account *a, enum config_key k, const char *v);

struct config_keydef {
	const char *name;
	enum config_key key;
	config_parse_fn *parse; /* NULL: an msmtp key smtpc ignores */
};

/* The key spelt [key, key + n), or NULL if msmtp has no such key. */
const struct config_keydef *config_key_find(const char *key, size_t n);

/* msmtp's defaults for everything; the account holds no memory yet. */
void config_key_init(struct config_account *a);
/* Free (wipe the password) and reset to config_key_init(). */
void config_key_clear(struct config_account *a);
/* Setting `k` and its origin from `src`: 0 or SMTPC_ENOMEM. */
int config_key_copy(struct config_account *dst,
    const struct config_account *src, enum config_key k);

/* $HOME, else the password database; NULL if neither says. */
const char *config_home(void);

/* A string setting's value in `a` (NULL: not set). */
const char *config_key_strv(const struct config_account *a,
    enum config_key k);
/*
 * The word a non-string setting is written with ("on", "587",
 * "failure,delay"; `buf` may hold it), or NULL for a string setting.
 */
const char *config_key_word(const struct config_account *a,
    enum config_key k, char *buf, size_t cap);

/* Blanks are what msmtp's is_blank() takes: space and tab. */
static inline int
config_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Fill `err` (may be NULL) with SMTPC_ECONFIG and "FILE:LINE: ..."
 * ("FILE: ..." for line 0, no prefix for file NULL); returns the code.
 */
int config_fail(struct smtpc_error *err, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int config_failx(const struct config_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* SMTPC_ENOMEM, "out of memory". */
int config_nomem(struct smtpc_error *err);

#endif
