/* SPDX-License-Identifier: ISC */
/*
 * config.h - accounts from a configuration file in msmtp's syntax, so that
 * an existing ~/.msmtprc works unchanged; smtpc-config(5) is the full text.
 *
 * A line is blank, a comment (its first non-blank character is '#'), or
 * "KEY VALUE".  The value is the rest of the line without the blanks
 * around it; when it then starts and ends with '"', those two quotes are
 * dropped (msmtp has no escapes: inner quotes are ordinary characters).
 * "defaults" starts settings every later account starts from;
 * "account NAME [: PARENT[, PARENT...]]" starts an account: the defaults
 * as they are at that line, then every setting each parent made (its own
 * or its parents'), copied at that line as msmtp does.  Settings before
 * any "account" or "defaults" line make an account named "default".
 *
 * Every setting remembers the file and line it came from.  A value msmtp
 * accepts but smtpc cannot honour (a SOCKS proxy, a GSSAPI login, a SHA-1
 * pin, ...) does not stop the file from loading: the account holding it
 * is refused when it is chosen, naming the line.  msmtp keys that mean
 * nothing to smtpc are skipped and listed (config_ignored_at); any other
 * unknown key is an error.
 *
 * The library never reads a user's files: this module is the program's.
 * Errors are SMTPC_ECONFIG (SMTPC_ENOMEM out of memory) with a sentence
 * "FILE:LINE: ..." or "FILE: ..." in err->message.
 */
#ifndef SMTPC_CLI_CONFIG_H
#define SMTPC_CLI_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "smtpc.h"

#define CONFIG_LINE_MAX 1000 /* bytes of a line, without its end */
#define CONFIG_FILE_MAX (256 * 1024)
#define CONFIG_ACCOUNTS_MAX 1000
#define CONFIG_SYSTEM_FILE "/etc/smtpc.conf"

/* The settings an account holds; also the order config_print() uses. */
enum config_key {
	CONFIG_HOST,
	CONFIG_PORT,
	CONFIG_TLS,
	CONFIG_TLS_STARTTLS,
	CONFIG_TLS_TRUST_FILE,
	CONFIG_TLS_FINGERPRINT,
	CONFIG_TLS_CERTCHECK,
	CONFIG_TLS_CERT_FILE,
	CONFIG_TLS_KEY_FILE,
	CONFIG_AUTH,
	CONFIG_USER,
	CONFIG_PASSWORD,
	CONFIG_PASSWORDEVAL,
	CONFIG_FROM,
	CONFIG_FROM_FULL_NAME,
	CONFIG_ALLOW_FROM_OVERRIDE,
	CONFIG_SET_FROM_HEADER,
	CONFIG_DOMAIN,
	CONFIG_TIMEOUT,
	CONFIG_DSN_NOTIFY,
	CONFIG_DSN_RETURN,
	CONFIG_LOGFILE,
	CONFIG_SYSLOG,
	CONFIG_QUEUE, /* smtpc's own: not in msmtp */
	/* msmtp settings smtpc cannot honour: kept as written, see above. */
	CONFIG_PROTOCOL,
	CONFIG_PROXY_HOST,
	CONFIG_SOCKET,
	CONFIG_SOURCE_IP,
	CONFIG_ALIASES,
	CONFIG_TLS_HOST_OVERRIDE,
	CONFIG_SET_TO_HEADER,
	CONFIG_AUTO_FROM,
	CONFIG_NKEYS
};

#define CONFIG_FIRST_UNSUPPORTED CONFIG_PROTOCOL

/* The key's name as the file writes it ("tls_trust_file"). */
const char *config_key_name(enum config_key k);

enum config_auth {
	CONFIG_AUTH_OFF, /* no AUTH: msmtp's default, even with a user */
	CONFIG_AUTH_ON,	 /* the best mechanism both sides have */
	CONFIG_AUTH_PLAIN,
	CONFIG_AUTH_LOGIN,
	CONFIG_AUTH_CRAM_MD5,
	CONFIG_AUTH_SCRAM_SHA_1,
	CONFIG_AUTH_SCRAM_SHA_256,
	CONFIG_AUTH_OAUTHBEARER,
	CONFIG_AUTH_XOAUTH2,
	/* msmtp's others: accepted in a file, refused when chosen. */
	CONFIG_AUTH_SCRAM_SHA_1_PLUS,
	CONFIG_AUTH_SCRAM_SHA_256_PLUS,
	CONFIG_AUTH_GSSAPI,
	CONFIG_AUTH_EXTERNAL,
	CONFIG_AUTH_DIGEST_MD5,
	CONFIG_AUTH_NTLM
};

/*
 * The mechanism as the library and servers name it ("SCRAM-SHA-256"), or
 * NULL for CONFIG_AUTH_OFF and CONFIG_AUTH_ON (the library chooses).
 */
const char *config_auth_mech(enum config_auth a);

/* When a message goes to the local queue (smtpc's key; msmtp has none). */
enum config_queue {
	CONFIG_QUEUE_UNSET = 0, /* never, unless the command line says */
	CONFIG_QUEUE_NEVER,
	CONFIG_QUEUE_ON_TEMPFAIL,
	CONFIG_QUEUE_ALWAYS,
	CONFIG_QUEUE_BACKGROUND
};

enum config_from_header {
	CONFIG_FROM_HEADER_AUTO, /* add a From: when the mail has none */
	CONFIG_FROM_HEADER_ON,	 /* always, replacing the mail's */
	CONFIG_FROM_HEADER_OFF
};

/*
 * Where a setting came from.  file NULL: never set, msmtp's default
 * applies.  line 0: not a file line but a label config_set() was given,
 * e.g. "command line".  `file` lives as long as the config.
 */
struct config_origin {
	const char *file;
	unsigned line;
};

/*
 * One account, in msmtp's meaning of each key; fields not set hold
 * msmtp's default.  Owned by its struct config; read it, change it only
 * through config_set().
 */
struct config_account {
	char *name;
	char *host;
	unsigned port;	       /* 0: not set; config_port() has the default */
	int tls;	       /* 0 (the default): no TLS at all */
	int tls_starttls;      /* 1 (the default): STARTTLS; 0: implicit */
	char *tls_trust_file;  /* NULL: the system's CAs; "": no CA */
	char *tls_fingerprint; /* upper-case hex pairs and ':' */
	int tls_certcheck;     /* 0: no certificate check (--insecure) */
	char *tls_cert_file;   /* file names have '~' expanded */
	char *tls_key_file;
	enum config_auth auth;
	char *user;
	/*
	 * With OAUTHBEARER or XOAUTH2 the password (or what passwordeval
	 * prints) is the access token, as msmtp reads it.  A password wins
	 * over passwordeval; both are used only when auth is not off.
	 */
	char *password;	    /* wiped on free */
	char *passwordeval; /* a shell command; its first line */
	/*
	 * The envelope sender; a glob(7) pattern when it holds '*', '?' or
	 * '['.  msmtp's %U %H %C %M %F substitutions (and %H %C %M in
	 * domain) are not made: config_account_check() refuses them.
	 */
	char *from;
	char *from_full_name;
	int allow_from_override; /* 1 (the default): -f may change from */
	enum config_from_header set_from_header;
	char *domain;	     /* the EHLO name; NULL: smtpc's default */
	unsigned timeout;    /* seconds; 0: off, smtpc's own deadlines */
	unsigned dsn_notify; /* SMTPC_DSN_* bits; 0: off */
	enum smtpc_dsn_ret dsn_return;
	char *logfile; /* "-": standard output */
	char *syslog;  /* "LOG_USER", "LOG_MAIL", "LOG_LOCAL0".. */
	enum config_queue queue;
	/* Values of the unsupported keys that ask for something; else NULL. */
	char *unsupported[CONFIG_NKEYS - CONFIG_FIRST_UNSUPPORTED];
	struct config_origin origin[CONFIG_NKEYS];
	/* Keys this account or its parents set (not its defaults): bit k. */
	unsigned long long own;
};

/* A key of msmtp's that smtpc skips, and where it was seen. */
struct config_ignored {
	const char *key;
	const char *file;
	unsigned line;
};

struct config;

/*
 * The file to read: `explicit` (-C FILE) when not NULL, else the first
 * that exists of $XDG_CONFIG_HOME/smtpc/config, ~/.msmtprc,
 * $XDG_CONFIG_HOME/msmtp/config and CONFIG_SYSTEM_FILE ($XDG_CONFIG_HOME
 * unset or empty: ~/.config).  0 with *ret malloc'ed, or NULL when none
 * exists -- no configuration, which is not an error.
 */
int config_find(const char *explicit, char **ret, struct smtpc_error *err);

/*
 * Read and parse `path`.  Unless `system` is set or we run as root, a
 * file with a `password` line must be ours and closed to everyone else
 * (mode 600 or 400), as msmtp demands.
 */
int config_load(
    const char *path, int system, struct config **ret, struct smtpc_error *err);

/*
 * config_find() then config_load(): 0 with *ret NULL when there is no
 * file (`explicit` missing is an error naming it).
 */
int config_open(
    const char *explicit, struct config **ret, struct smtpc_error *err);

/*
 * Parse a text held in memory; `path` names it in messages and origins.
 * *has_password (may be NULL) tells whether a `password` line was seen.
 */
int config_parse(const char *path, const char *text, size_t len,
    struct config **ret, int *has_password, struct smtpc_error *err);

/* Wipes every password; NULL is a no-op. */
void config_free(struct config *c);

/* The file read. */
const char *config_path(const struct config *c);

/* The accounts in file order. */
size_t config_account_count(const struct config *c);
struct config_account *config_account_at(const struct config *c, size_t i);
/* The account called `name`, or NULL. */
struct config_account *config_account(const struct config *c, const char *name);

/* The ignored keys seen, in file order. */
size_t config_ignored_count(const struct config *c);
const struct config_ignored *config_ignored_at(
    const struct config *c, size_t i);

/*
 * msmtp's choice: the account `name` (unknown: an error listing the
 * known ones); else, with `envelope_from`, the first account in the file
 * whose `from` matches it (see config_from_matches); else the account
 * "default".  0 with *ret NULL when no name was given and nothing fits
 * (`c` may be NULL: no configuration).  A chosen account that fails
 * config_account_check() is that error, *ret NULL.
 */
int config_select(const struct config *c, const char *name,
    const char *envelope_from, struct config_account **ret,
    struct smtpc_error *err);

/*
 * msmtp's rule: a pattern with '*', '?' or '[' is a case-sensitive
 * fnmatch(3); else the addresses are compared ignoring ASCII case.  When
 * that fails and the address has a "+detail" in its local part and the
 * pattern no '+', the address without the detail is tried.
 */
int config_from_matches(const char *address, const char *pattern);

/*
 * Refuse an account that asks for something smtpc cannot do, naming the
 * line: an unsupported key, an auth mechanism smtpc lacks, msmtp's %
 * substitutions in from or domain, a SHA-1 or MD5 fingerprint.
 */
int config_account_check(
    const struct config_account *a, struct smtpc_error *err);

/*
 * Set `key` as if the line "KEY VALUE" stood in the account, with origin
 * `label` (line 0), e.g. "command line"; `label` must outlive the config.
 * The key and value rules are the file's; an msmtp key smtpc ignores is
 * accepted and does nothing.  Check the account again afterwards.
 */
int config_set(struct config_account *a, const char *key, const char *value,
    const char *label, struct smtpc_error *err);

/* TLS mode, and the port msmtp uses when none is set (465 or 25). */
enum smtpc_tls_mode config_tls_mode(const struct config_account *a);
unsigned config_port(const struct config_account *a);

/*
 * The effective settings, one line each: "key value  (FILE:LINE)" for a
 * setting (inherited ones name the line that made them), "(LABEL)" for
 * config_set(), "(default)" for msmtp's defaults that matter.  The
 * password shows as ****; passwordeval shows as written: it is a command,
 * not a secret, and seeing which command runs is the point.  Control
 * characters (only a file name can hold them) show as \xNN.
 */
void config_print(FILE *fp, const struct config_account *a);

#endif
