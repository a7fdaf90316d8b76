/* SPDX-License-Identifier: ISC */
/*
 * sendmail.c - the sendmail command line (see sendmail.h and the SENDMAIL
 * section of smtpc(1)).  Flags are taken as Postfix's and msmtp's
 * sendmail take them: letters may be grouped ("-ti"), a value is glued
 * or the next word, options may follow recipients (glibc getopt permutes
 * them there too), "--" ends them.  Flags that only mean something to a
 * mail server (delivery mode, error mode, body type, hop count, ...) are
 * accepted and ignored, as msmtp does; the input always ends at its end
 * of file (a lone "." ends nothing, as with -i), as with msmtp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendmail.h"

#define SENDMAIL_USAGE 64

static const char sendmail_help[] =
    "usage: smtpc sendmail [-t] [-i] [-f ADDR] [-F NAME] [-C FILE]\n"
    "                      [--account NAME] [-N DSN] [-R RET] [-V ENVID]\n"
    "                      [-v] [--json] [--] [RECIPIENT...] < message\n"
    "(also run as `sendmail`)\n"
    "\n"
    "Send the ready message on standard input through the configuration\n"
    "file's account (msmtp's syntax, smtpc-config(5)).\n"
    "  -t                  recipients also from To, Cc and Bcc (from\n"
    "                      Resent-To, Resent-Cc, Resent-Bcc when present),\n"
    "                      added to those of the command line\n"
    "  -f, -r ADDR         envelope sender (and From when it is missing)\n"
    "  -F NAME             display name of a From that is added\n"
    "  -C FILE             the configuration file\n"
    "  -a, --account NAME  the account (default: the one whose from is\n"
    "                      -f's address, else \"default\")\n"
    "  -N never|success,failure,delay   -R full|hdrs   -V ENVID   (DSN)\n"
    "  --queue MODE        never, on-tempfail (a message that cannot go\n"
    "                      now is queued: exit 0), always (queued, not\n"
    "                      sent now; -odq), background (queued, and a\n"
    "                      queue run started; -odb)\n"
    "  -q                  send the queue (smtpc queue run); -bp, mailq:\n"
    "                      list it\n"
    "  -v                  the SMTP dialogue on stderr\n"
    "  --json              the result as one JSON object on stdout\n"
    "  -i, -oi, -B..., -o..., -e..., -h N, -L TAG, -O OPT, -G, -m, -n, -U\n"
    "                      accepted and ignored (sendmail's server flags)\n";

/* "smtpc: sendmail: WORD: WHY" on stderr; 64. */
static int
sendmail_usage(const char *word, const char *why)
{
	fprintf(stderr, "smtpc: sendmail: %s: %s\n", word, why);
	return SENDMAIL_USAGE;
}

/* -q and -bp are taken before parsing (main.c); here they are misplaced. */
static int
sendmail_queue_mode(const char *what)
{
	return sendmail_usage(what, "a queue command goes alone: sendmail -q "
	    "sends the queue, sendmail -bp (mailq) lists it");
}

/* -bX: only -bm (read a message and send it) is what this program does. */
static int
sendmail_mode(const char *m)
{
	char word[16];

	if (strcmp(m, "m") == 0)
		return 0;
	if (strcmp(m, "p") == 0)
		return sendmail_queue_mode("-bp");
	snprintf(word, sizeof(word), "-b%.8s", m);
	if (strcmp(m, "s") == 0)
		return sendmail_usage(word, "SMTP on standard input is a mail "
		    "server's mode; smtpc only submits a message");
	return sendmail_usage(word, "a mail server's operating mode (daemon, "
	    "aliases, address test, ...); smtpc only submits a message "
	    "(-bm)");
}

static int
sendmail_add_rcpt(struct sendmail_opts *so, const char *a)
{
	const char **p;

	if (so->nrcpts >= 100000 ||
	    (p = realloc(so->rcpts, (so->nrcpts + 1) * sizeof(*p))) == NULL)
		return sendmail_usage(a, "too many recipients");
	so->rcpts = p;
	so->rcpts[so->nrcpts++] = a;
	return 0;
}

/* A letter's value: `letter` with its value `v` (never NULL). */
static int
sendmail_value(struct cli_opts *o, struct sendmail_opts *so, char letter,
    const char *v)
{
	static const char letters[] = "frFCa";
	const char **slots[] = {&o->from, &o->from, &so->full_name,
	    &o->config_file, &o->account};
	const char *p = strchr(letters, letter);

	if (letter != '\0' && p != NULL) {
		*slots[p - letters] = v;
		return 0;
	}
	if (letter == 'N')
		return args_set_dsn_notify(o, v);
	if (letter == 'R')
		return args_set_dsn_return(o, v);
	if (letter == 'V')
		return args_set_dsn_envid(o, v);
	if (letter == 'b')
		return sendmail_mode(v);
	/* -odq: queue only; -odb: deliver in the background (the queue). */
	if (letter == 'o' && strcmp(v, "dq") == 0)
		o->queue = CLI_QUEUE_ALWAYS;
	if (letter == 'o' && strcmp(v, "db") == 0)
		o->queue = CLI_QUEUE_BACKGROUND;
	/* -oi is -i; other -oX, -B, -h, -L, -O are a server's business. */
	return 0;
}

/* Letters that take a value, glued or in the next word. */
static int
sendmail_takes_value(char c)
{
	return strchr("frFCaNRVboBhLO", c) != NULL;
}

/* Letters accepted and ignored that take no value. */
static int
sendmail_is_flag(char c)
{
	return strchr("tivmnGUd", c) != NULL;
}

/* One word of letters: "-ti", "-FCronDaemon", "-f" (value next). */
static int
sendmail_letters(int argc, char **argv, int *i, struct cli_opts *o,
    struct sendmail_opts *so)
{
	const char *w = argv[*i] + 1;
	char c;

	for (; (c = *w) != '\0'; w++) {
		if (c == 'q')
			return sendmail_queue_mode("-q");
		/* -e takes the rest of the word and may have none. */
		if (c == 'e')
			return 0;
		if (sendmail_takes_value(c)) {
			if (w[1] != '\0')
				return sendmail_value(o, so, c, w + 1);
			if (*i + 1 >= argc)
				return sendmail_usage(argv[*i],
				    "needs a value");
			(*i)++;
			return sendmail_value(o, so, c, argv[*i]);
		}
		if (!sendmail_is_flag(c))
			return sendmail_usage(argv[*i], "unknown option");
		if (c == 't')
			so->read_recipients = 1;
		else if (c == 'v' || c == 'd')
			o->verbose = 1;
	}
	return 0;
}

/* The long options msmtp has in sendmail mode, and --json. */
static int
sendmail_long(int argc, char **argv, int *i, struct cli_opts *o,
    struct sendmail_opts *so)
{
	static const struct {
		const char *name;
		char letter; /* 0: no value */
	} longs[] = {
	    {"account", 'a'}, {"file", 'C'}, {"from", 'f'},
	    {"dsn-notify", 'N'}, {"dsn-return", 'R'},
	};
	const char *w = argv[*i] + 2, *eq = strchr(w, '=');
	size_t n = eq != NULL ? (size_t)(eq - w) : strlen(w);

	if (eq == NULL && strcmp(w, "json") == 0) {
		o->json = 1;
		return 0;
	}
	if (eq == NULL && strcmp(w, "read-recipients") == 0) {
		so->read_recipients = 1;
		return 0;
	}
	if (eq == NULL && strcmp(w, "verbose") == 0) {
		o->verbose = 1;
		return 0;
	}
	/* smtpc's own: --queue=MODE, --queue-dir=DIR (or the next word). */
	if ((n == 5 && strncmp(w, "queue", 5) == 0) ||
	    (n == 9 && strncmp(w, "queue-dir", 9) == 0)) {
		const char *v = eq != NULL ? eq + 1 : NULL;

		if (v == NULL && *i + 1 >= argc)
			return sendmail_usage(argv[*i], "needs a value");
		if (v == NULL)
			v = argv[++(*i)];
		if (n == 9) {
			o->queue_dir = v;
			return 0;
		}
		return args_set_queue(o, v);
	}
	for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]); k++) {
		if (strlen(longs[k].name) != n ||
		    strncmp(w, longs[k].name, n) != 0)
			continue;
		if (eq != NULL)
			return sendmail_value(o, so, longs[k].letter, eq + 1);
		if (*i + 1 >= argc)
			return sendmail_usage(argv[*i], "needs a value");
		(*i)++;
		return sendmail_value(o, so, longs[k].letter, argv[*i]);
	}
	return sendmail_usage(argv[*i], "unknown option");
}

int
sendmail_parse(int argc, char **argv, int first, const char *prog,
    struct cli_opts *o, struct sendmail_opts *so)
{
	int i, rc, options = 1;

	memset(o, 0, sizeof(*o));
	memset(so, 0, sizeof(*so));
	o->command = CLI_CMD_SENDMAIL;
	if (prog != NULL && strcmp(prog, "mailq") == 0)
		return sendmail_queue_mode("mailq");
	for (i = first; i < argc; i++) {
		const char *w = argv[i];

		if (options && strcmp(w, "--") == 0) {
			options = 0;
			continue;
		}
		if (options && strcmp(w, "--help") == 0) {
			fputs(sendmail_help, stdout);
			o->command = CLI_CMD_NONE;
			return 0;
		}
		if (options && strcmp(w, "--version") == 0) {
			printf("smtpc %s\n", SMTPC_VERSION);
			o->command = CLI_CMD_NONE;
			return 0;
		}
		if (options && w[0] == '-' && w[1] == '-')
			rc = sendmail_long(argc, argv, &i, o, so);
		else if (options && w[0] == '-' && w[1] != '\0')
			rc = sendmail_letters(argc, argv, &i, o, so);
		else
			rc = sendmail_add_rcpt(so, w);
		if (rc != 0)
			return rc;
	}
	if (so->nrcpts == 0 && !so->read_recipients)
		return sendmail_usage("no recipient", "give addresses, or -t "
		    "to take them from the message");
	return 0;
}

void
sendmail_free(struct sendmail_opts *so)
{
	free(so->rcpts);
	memset(so, 0, sizeof(*so));
}

int
sendmail_is_name(const char *argv0, const char **ret_base)
{
	const char *base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	*ret_base = base;
	return strcmp(base, "sendmail") == 0 || strcmp(base, "mailq") == 0;
}

int
sendmail_is_argv(const char *arg1)
{
	return arg1[0] == '-' && strcmp(arg1, "--help") != 0 &&
	    strcmp(arg1, "-h") != 0 && strcmp(arg1, "--version") != 0 &&
	    strcmp(arg1, "-V") != 0;
}
