/* SPDX-License-Identifier: ISC */
/*
 * args.h - the smtpc command line: options parsed into one struct.
 *
 * Parsing does no I/O beyond reading argv: files are opened later by the
 * library, passwords fetched by password.c.  Every error is a one-line
 * message and exit code 64 (EX_USAGE).
 */
#ifndef SMTPC_CLI_ARGS_H
#define SMTPC_CLI_ARGS_H

#include <stddef.h>

#include "smtpc.h"

struct queue_conn;

enum cli_command {
	CLI_CMD_NONE = 0,
	CLI_CMD_SEND,
	CLI_CMD_CHECK,
	CLI_CMD_SENDMAIL, /* sendmail.c parses its command line */
	CLI_CMD_BATCH,
};

enum cli_file_role {
	CLI_FILE_ATTACH,
	CLI_FILE_INLINE,
};

/* One -a or --inline argument: FILE[;type=T][;name=N][;cid=ID]. */
struct cli_file {
	enum cli_file_role role;
	char *path;
	char *type; /* NULL: guess */
	char *name; /* attachments: shown file name */
	char *cid;  /* inline: Content-ID */
};

struct cli_rcpt {
	enum smtpc_rcpt_kind kind;
	const char *address; /* borrowed from argv */
};

/* --progress / --no-progress; AUTO: on a terminal, for big messages. */
enum cli_progress {
	CLI_PROGRESS_AUTO,
	CLI_PROGRESS_ON,
	CLI_PROGRESS_OFF,
};

/* --queue / the config key queue: when a message goes to the spool. */
enum cli_queue {
	CLI_QUEUE_UNSET = 0,	/* the account's, else never */
	CLI_QUEUE_NEVER,	/* send now or fail */
	CLI_QUEUE_ON_TEMPFAIL,	/* send now; a temporary failure queues it */
	CLI_QUEUE_ALWAYS,	/* queue it, send nothing now */
	CLI_QUEUE_BACKGROUND,	/* queue it, and start a queue run */
};

struct cli_opts {
	enum cli_command command;

	/* message */
	const char *from;
	struct cli_rcpt *rcpts;
	size_t nrcpts;
	const char **reply_to;
	size_t nreply_to;
	const char *subject;
	const char *text;
	const char *text_file; /* "-" for stdin */
	const char *html;
	const char *html_file;
	struct cli_file *files;
	size_t nfiles;
	const char **headers; /* "Name: value" */
	size_t nheaders;
	int dry_run;
	const char *output;
	int allow_partial;
	/* delivery (send only); 0 / NULL: not asked */
	unsigned dsn_notify; /* SMTPC_DSN_* bits */
	enum smtpc_dsn_ret dsn_ret;
	const char *dsn_envid;
	int no_pipelining;
	int no_chunking;

	/* server */
	char *host;
	unsigned port;
	int tls_set; /* --tls or a URL scheme chose the mode */
	enum smtpc_tls_mode tls;
	const char *cafile;
	int insecure;
	const char *user;
	const char *auth;
	const char *password_file;
	const char *password_cmd;
	const char *oauth_token_cmd; /* token instead of a password */
	int allow_plaintext_auth;    /* AUTH over --tls none, any server */
	char *env_password;	     /* $SMTPC_PASSWORD, taken by main() */
	const char *tls_fingerprint; /* SHA-256 pin of the certificate */
	int no_tls_cache;	     /* --no-tls-cache */
	const char *cert_file;	     /* client certificate (PEM) */
	const char *key_file;	     /* its key (PEM) */
	const char *helo;
	unsigned timeout;
	enum cli_queue queue;	 /* --queue */
	const char *queue_dir;	 /* --queue-dir: NULL, the per-user spool */
	/* What a queued message keeps of these options (main.c sets it). */
	const struct queue_conn *queue_conn;
	const char *config_file; /* -C FILE */
	const char *account;	 /* --account NAME */

	/*
	 * Set by account_apply() from the account in use (account.c); the
	 * strings live in its configuration.  account_name NULL: none.
	 */
	const char *account_name;
	const char *envelope_from;  /* the account's from: -f may not change */
	const char *acct_password;  /* password in the file (wiped on free) */
	const char *acct_passwordeval;
	const char *acct_secret_origin; /* "FILE:LINE" of either */
	int acct_token;		    /* they give an OAuth token */
	int no_auth;		    /* auth off: no login, not even netrc's */
	const char *auth_origin;    /* "FILE:LINE" of an auth with no user */
	const char *logfile;	    /* a line per message; "-": stdout */
	const char *syslog;	    /* "LOG_MAIL"...: a line per message */
	int from_header_off;	    /* set_from_header off (sendmail) */
	const char *from_header_on; /* "FILE:LINE" of set_from_header on */

	/* output */
	int verbose;
	int quiet;
	enum cli_progress progress;
	int json;		/* --json: the result on stdout */

	/* batch */
	const char **inputs;	/* JSON Lines files ("-"), dirs, mboxes */
	size_t ninputs;
	unsigned max_per_connection;	/* 0: no limit */
	unsigned rate_per_min;		/* 0: no limit */
};

/*
 * Parse argv (argv[0] is the program, argv[1] the command).  Returns 0 and
 * fills `o`, or an exit code: 0 with o->command == CLI_CMD_NONE when help or
 * version was printed, 64 after printing a usage error.
 */
int args_parse(int argc, char **argv, struct cli_opts *o);
void args_free(struct cli_opts *o);

/*
 * The checks an account may satisfy (a sender, a server, a user for a
 * password source), made once it is applied: 0, or 64 after a message.
 */
int args_check_complete(const struct cli_opts *o);

/*
 * Split "HOST", "HOST:PORT", "[V6]:PORT", "V6", "smtp://HOST[:PORT]" or
 * "smtps://HOST[:PORT]" into o->host, o->port and (for URLs) o->tls.
 * Returns 0, or -1 with a reason in `why`.
 */
int args_parse_server(const char *spec, struct cli_opts *o, const char **why);

/*
 * The DSN values of --dsn-notify, --dsn-return and --dsn-envid (sendmail's
 * -N, -R and -V) into `o`: 0, or 64 after a usage message.
 */
int args_set_dsn_notify(struct cli_opts *o, const char *s);
int args_set_dsn_return(struct cli_opts *o, const char *s);
int args_set_dsn_envid(struct cli_opts *o, const char *s);
/*
 * --queue never|on-tempfail|always|background into `o`: 0, or 64 after a
 * message.
 */
int args_set_queue(struct cli_opts *o, const char *s);

/* Split "FILE;type=T;name=N;cid=ID" into `f`.  Returns 0 or -1 with `why`. */
int args_parse_file(const char *spec, enum cli_file_role role,
    struct cli_file *f, const char **why);

/* The usage of `cmd` (CLI_CMD_NONE: of the program) on stdout. */
void args_print_help(enum cli_command cmd);

#endif
