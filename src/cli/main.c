/* SPDX-License-Identifier: ISC */
/*
 * main.c - the smtpc program: subcommands send, sendmail, batch and check;
 * queue (queue.c) is dispatched from here.
 *
 * The program only uses include/smtpc.h; it never touches sockets or MIME
 * itself.  It decides what the library reports: exit codes, messages, the
 * transcript.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "batch.h"
#include "compose.h"
#include "connect.h"
#include "enqueue.h"
#include "logfile.h"
#include "password.h"
#include "queue.h"
#include "report.h"
#include "report_json.h"
#include "sendmail.h"

/* Large enough that a file's lines are encoded straight into it. */
#define MAIN_CHUNK (256 * 1024)

static int
main_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --dry-run and -o: the exact message, to standard output or a file. */
static int
main_write_message(const struct cli_opts *o, const struct smtpc_msg *msg)
{
	struct smtpc_reader *r = NULL;
	struct smtpc_error err;
	char *chunk;
	size_t len;
	int fd = STDOUT_FILENO, rc = 0;

	if ((chunk = malloc(MAIN_CHUNK)) == NULL)
		return 71;
	if (smtpc_reader_new(msg, &r, &err) != 0) {
		rc = report_error(&err);
		goto out;
	}
	if (o->output != NULL) {
		fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		if (fd < 0) {
			fprintf(stderr, "smtpc: cannot create %s: %s\n",
			    o->output, strerror(errno));
			rc = 74;
			goto out;
		}
	}
	for (;;) {
		if (smtpc_reader_read(r, chunk, MAIN_CHUNK, &len, &err) != 0) {
			rc = report_error(&err);
			break;
		}
		if (len == 0)
			break;
		if (main_write_all(fd, chunk, len) != 0) {
			fprintf(stderr, "smtpc: cannot write %s: %s\n",
			    o->output ? o->output : "standard output",
			    strerror(errno));
			rc = 74;
			break;
		}
	}
	if (fd != STDOUT_FILENO && close(fd) != 0 && rc == 0) {
		fprintf(stderr, "smtpc: cannot write %s: %s\n", o->output,
		    strerror(errno));
		rc = 74;
	}
	if (rc != 0 && o->output != NULL)
		unlink(o->output);
out:
	smtpc_reader_free(r);
	free(chunk);
	return rc;
}

/* --queue: the spool, and the message on its way into it. */
struct main_queue {
	struct spool *sp;
	struct enqueue_msg em;
};

/*
 * A queued message keeps where its password comes from, never the
 * password: one typed at the prompt, or given in $SMTPC_PASSWORD, must be
 * there again when the queue is run (from cron, often not).
 */
static void
main_warn_transient_password(const struct cli_opts *o)
{
	int lasting = o->password_file != NULL || o->password_cmd != NULL ||
	    o->acct_password != NULL || o->acct_passwordeval != NULL;

	if (password_was_typed())
		fprintf(stderr, "smtpc: warning: the password was typed: "
		    "smtpc queue run will ask for it again, and a run from "
		    "cron or a timer cannot; give it a source (passwordeval, "
		    "--password-file, --password-cmd, the key ring)\n");
	else if (!lasting && o->env_password != NULL && o->user != NULL)
		fprintf(stderr, "smtpc: warning: the password came from "
		    "SMTPC_PASSWORD: smtpc queue run needs it in its "
		    "environment too\n");
}

/*
 * The queue takes over a failed attempt (`res`, `e`): the message is
 * committed with what the attempt did recorded, and the caller is told
 * it was accepted for delivery (0), in one line on stderr.  A queue that
 * cannot take it: its error, and what sendmail's caller must know.
 */
static int
main_queue_take(const struct cli_opts *o, struct main_queue *mq,
    const struct smtpc_result *res, const struct smtpc_error *e)
{
	char id[SPOOL_ID_SIZE], why[SMTPC_ERROR_TEXT_MAX + 64];
	enum spool_disposition disp = SPOOL_DISP_DEFERRED;
	struct smtpc_error qerr;
	int rc;

	memset(&qerr, 0, sizeof(qerr));
	if (enqueue_commit(mq->sp, &mq->em, o->queue_conn, id, &qerr) != 0) {
		rc = report_error(&qerr);
		fprintf(stderr, "smtpc: the message could not be queued\n");
		return rc;
	}
	/* Queued whatever happens now: a lost record only means "retry". */
	if (enqueue_record(mq->sp, id, res, e, &disp, &qerr) != 0)
		(void)report_error(&qerr);
	enqueue_summary(res, e, why, sizeof(why));
	if (disp == SPOOL_DISP_UNCERTAIN)
		fprintf(stderr, "smtpc: the server may have the message (the "
		    "connection ended after all of it was sent); kept in the "
		    "queue as %s, not sent again unless asked (smtpc queue "
		    "run --resend-uncertain)\n", id);
	else
		fprintf(stderr, "smtpc: queued as %s (%s); smtpc queue run "
		    "sends it\n", id, why);
	main_warn_transient_password(o);
	if (o->json)
		report_json_spooled(stdout, res, e, 0, id,
		    spool_disposition_name(disp), NULL);
	return 0;
}

/* 1 when a sent message left recipients refused for now (4xx). */
static int
main_some_deferred(const struct smtpc_result *res)
{
	const struct smtpc_rcpt_status *st;
	size_t i;

	for (i = 0; (st = smtpc_result_rcpt(res, i)) != NULL; i++)
		if (st->accepted != 1 && st->reply_code < 500)
			return 1;
	return 0;
}

static int
main_send(const struct cli_opts *o, const struct smtpc_msg *msg,
    struct main_queue *mq)
{
	struct smtpc_session *s = NULL;
	struct smtpc_reader *r = NULL;
	struct smtpc_result *res = NULL;
	struct smtpc_error err;
	struct connect_events events;
	const char *user = NULL;
	char *netrc_login = NULL;
	unsigned flags = o->allow_partial ? SMTPC_SEND_ALLOW_PARTIAL : 0;
	size_t n, i;
	int rc;

	memset(&err, 0, sizeof(err));
	if (o->no_pipelining)
		flags |= SMTPC_SEND_NO_PIPELINING;
	if (o->no_chunking)
		flags |= SMTPC_SEND_NO_CHUNKING;
	memset(&events, 0, sizeof(events));
	events.o = o;
	progress_init(&events.progress, NULL, 0);
	/* The message is checked before any connection is made. */
	if (smtpc_reader_new(msg, &r, &err) != 0) {
		rc = report_error(&err);
		goto out;
	}
	if ((res = smtpc_result_new()) == NULL) {
		rc = 71;
		goto out;
	}
	if ((rc = connect_session(o, &events, 1, &s, &user, &netrc_login,
	    &err)) != 0) {
		/* Not reached for now: the queue keeps it. */
		if (mq != NULL && err.code != 0 &&
		    enqueue_is_temporary(NULL, &err)) {
			/* Queueing frees `msg`: nothing of it is used after. */
			logfile_send(o, user, msg, res, &err, 0, 75);
			smtpc_reader_free(r);
			r = NULL;
			rc = main_queue_take(o, mq, res, &err);
			goto done;
		}
		goto out;
	}
	connect_warn_dsn(o, s);
	rc = smtpc_session_send_msg(s, msg, flags, res, &err);
	progress_end(&events.progress);
	if (mq != NULL && (rc != 0 ? enqueue_is_temporary(res, &err) ||
	    smtpc_result_maybe_delivered(res) : main_some_deferred(res))) {
		connect_print_refusals(res, "deferred:");
		smtpc_session_quit(s, NULL);
		/* Queueing frees `msg`: nothing of it is used after. */
		logfile_send(o, user, msg, res, rc != 0 ? &err : NULL,
		    smtpc_result_size(res), rc != 0 ? 75 : 0);
		smtpc_reader_free(r);
		r = NULL;
		rc = main_queue_take(o, mq, res, rc != 0 ? &err : NULL);
		goto done;
	}
	if (rc != 0) {
		connect_print_refusals(res, "recipient refused:");
		rc = report_error(&err);
		smtpc_session_quit(s, NULL);
		goto out;
	}
	connect_print_refusals(res, "warning: not delivered to");
	smtpc_session_quit(s, NULL);
	for (i = n = 0; i < smtpc_result_rcpt_count(res); i++)
		n += smtpc_result_rcpt(res, i)->accepted == 1;
	/*
	 * Silence on success for cron and scripts; a word for people, but
	 * not from sendmail, whose callers take any output for a complaint.
	 */
	if (o->verbose || (!o->quiet && o->command != CLI_CMD_SENDMAIL &&
	    isatty(STDERR_FILENO)))
		fprintf(stderr, "smtpc: sent to %zu recipient%s via %s\n",
		    n, n == 1 ? "" : "s", o->host);
out:
	/* A program that called sendmail sees only the exit code: say it. */
	if (rc != 0 && o->command == CLI_CMD_SENDMAIL)
		fprintf(stderr, "smtpc: %s\n", smtpc_result_maybe_delivered(res)
		    == 1 ? "the server may have the message (the connection "
		    "ended after all of it was sent); check before sending it "
		    "again" : "nothing was delivered");
	logfile_send(o, user, msg, res, rc != 0 ? &err : NULL,
	    smtpc_result_size(res), rc);
	if (o->json)
		report_json(stdout, res, rc != 0 ? &err : NULL, rc, 0);
done:
	smtpc_session_free(s);
	smtpc_result_free(res);
	smtpc_reader_free(r);
	free(netrc_login);
	return rc;
}

/*
 * --queue background: `smtpc queue run` started on its own (a session of
 * its own, standard streams on /dev/null), not waited for; it outlives
 * us.  A failure to start it is said: the message is queued anyway.
 */
static void
main_spawn_run(const struct cli_opts *o)
{
	char self[PATH_MAX];
	char *argv[8];
	ssize_t n;
	pid_t pid;
	int i = 0, fd;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		fprintf(stderr, "smtpc: warning: cannot start the queue run: "
		    "%s; smtpc queue run sends it\n", strerror(errno));
		return;
	}
	self[n] = '\0';
	argv[i++] = (char *)"smtpc";
	argv[i++] = (char *)"queue";
	argv[i++] = (char *)"run";
	argv[i++] = (char *)"--quiet";
	if (o->queue_dir != NULL) {
		argv[i++] = (char *)"--queue-dir";
		argv[i++] = (char *)o->queue_dir;
	}
	argv[i] = NULL;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "smtpc: warning: cannot start the queue run: "
		    "%s; smtpc queue run sends it\n", strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	/* The child: only async-signal-safe calls until exec. */
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
	}
	execv(self, argv);
	_exit(127);
}

/* --queue always (or background): into the queue, nothing sent now. */
static int
main_queue_only(const struct cli_opts *o, struct main_queue *mq)
{
	struct smtpc_error err;
	char id[SPOOL_ID_SIZE];

	memset(&err, 0, sizeof(err));
	if (enqueue_commit(mq->sp, &mq->em, o->queue_conn, id, &err) != 0)
		return report_error(&err);
	if (o->verbose || (!o->quiet && o->command != CLI_CMD_SENDMAIL &&
	    isatty(STDERR_FILENO)))
		fprintf(stderr, "smtpc: queued as %s; smtpc queue run sends "
		    "it\n", id);
	if (o->json)
		report_json_spooled(stdout, NULL, NULL, 0, id, "queued",
		    NULL);
	if (o->queue == CLI_QUEUE_BACKGROUND)
		main_spawn_run(o);
	return 0;
}

/*
 * Send `msg` as --queue says: never, straight; on-tempfail and always,
 * through a temp file of the spool (enqueue.h), so that the bytes that
 * are tried now are the ones a later attempt sends.
 */
static int
main_deliver(const struct cli_opts *o, const struct smtpc_msg *msg)
{
	struct spool_opts so;
	struct main_queue mq;
	struct smtpc_error err;
	int rc;

	if (o->queue == CLI_QUEUE_UNSET || o->queue == CLI_QUEUE_NEVER)
		return main_send(o, msg, NULL);
	memset(&mq, 0, sizeof(mq));
	memset(&err, 0, sizeof(err));
	spool_opts_init(&so);
	so.dir = o->queue_dir;
	if (spool_open(&so, &mq.sp, &err) != 0 ||
	    enqueue_prepare(mq.sp, msg, &mq.em, &err) != 0) {
		rc = report_error(&err);
		/* Not sent, not kept: sendmail's caller must hear it. */
		if (o->command == CLI_CMD_SENDMAIL)
			fprintf(stderr, "smtpc: nothing was delivered or "
			    "queued\n");
		spool_close(mq.sp);
		return rc;
	}
	if (o->queue == CLI_QUEUE_ALWAYS || o->queue == CLI_QUEUE_BACKGROUND)
		rc = main_queue_only(o, &mq);
	else
		rc = main_send(o, mq.em.msg, &mq);
	enqueue_discard(&mq.em);
	spool_close(mq.sp);
	return rc;
}

static int
main_cmd_send(const struct cli_opts *o)
{
	struct smtpc_msg *msg = NULL;
	struct smtpc_error err;
	int rc;

	if ((rc = compose_message(o, &msg)) != 0)
		return rc;
	/* An account whose provider wants its own address in MAIL FROM. */
	if (o->envelope_from != NULL &&
	    smtpc_msg_set_envelope_from(msg, o->envelope_from, &err) != 0) {
		smtpc_msg_free(msg);
		return report_error(&err);
	}
	if (o->dry_run)
		rc = main_write_message(o, msg);
	else
		rc = main_deliver(o, msg);
	smtpc_msg_free(msg);
	return rc;
}

/*
 * sendmail failed before any connection: its caller sees only the exit
 * code, so say that nothing went, in words, the log and --json.  `msg`
 * and `err` may be NULL (an error already printed).
 */
static int
main_sendmail_unsent(const struct cli_opts *o, const struct smtpc_msg *msg,
    const struct smtpc_error *err, int rc)
{
	fprintf(stderr, "smtpc: nothing was delivered\n");
	logfile_send(o, NULL, msg, NULL, err, 0, rc);
	if (o->json)
		report_json(stdout, NULL, err, rc, 0);
	return rc;
}

/*
 * sendmail: the ready message on standard input, streamed.  The sender
 * is -f (or the account's from), which an added From also shows, with
 * -F's name; recipients are the command line's, plus the message's with
 * -t (Postfix's rule: both, not one instead of the other).
 */
static int
main_cmd_sendmail(const struct cli_opts *o, const struct sendmail_opts *so)
{
	struct smtpc_msg *msg;
	struct smtpc_error err;
	char *named = NULL, *addr = NULL;
	int rc = 0;

	memset(&err, 0, sizeof(err));
	/* A ready message's own From is never rewritten. */
	if (o->from_header_on != NULL) {
		fprintf(stderr, "smtpc: %s: set_from_header on: smtpc does not "
		    "replace a message's From; use auto (add one when missing) "
		    "or off\n", o->from_header_on);
		return main_sendmail_unsent(o, NULL, NULL, 78);
	}
	if ((msg = smtpc_msg_new()) == NULL)
		return main_sendmail_unsent(o, NULL, NULL, 71);
	/* set_from_header off: the sender only; a From must be there. */
	if (o->from != NULL && o->from_header_off &&
	    smtpc_msg_set_envelope_from(msg, o->from, &err) != 0)
		goto fail;
	if (o->from != NULL && !o->from_header_off &&
	    smtpc_msg_set_from(msg, o->from, &err) != 0)
		goto fail;
	if (o->from != NULL && !o->from_header_off && so->full_name != NULL) {
		if ((addr = strdup(smtpc_msg_envelope_from(msg))) == NULL ||
		    account_build_from(so->full_name, addr, &named) != 0) {
			rc = main_sendmail_unsent(o, msg, NULL, 71);
			goto out;
		}
		if (smtpc_msg_set_from(msg, named, &err) != 0)
			goto fail;
	}
	if (o->envelope_from != NULL &&
	    smtpc_msg_set_envelope_from(msg, o->envelope_from, &err) != 0)
		goto fail;
	for (size_t i = 0; i < so->nrcpts; i++)
		if (smtpc_msg_add_recipient_list(msg, SMTPC_RCPT_TO,
		    so->rcpts[i], &err) != 0)
			goto fail;
	if (smtpc_msg_load_fd(msg, STDIN_FILENO, so->read_recipients ?
	    SMTPC_LOAD_RECIPIENTS : 0, &err) != 0)
		goto fail;
	rc = main_deliver(o, msg);
	goto out;
fail:
	rc = main_sendmail_unsent(o, msg, &err, report_error(&err));
out:
	smtpc_msg_free(msg);
	free(named);
	free(addr);
	return rc;
}

/*
 * batch: the session opened as for send, then the library's batch engine
 * over the inputs (batch.c).  Nothing is read before the connection: a
 * server that cannot be reached fails the batch at once.
 */
static int
main_cmd_batch(const struct cli_opts *o)
{
	struct smtpc_session *s = NULL;
	struct smtpc_error err;
	struct connect_events events;
	const char *user = NULL;
	char *netrc_login = NULL;
	int rc;

	memset(&events, 0, sizeof(events));
	events.o = o;
	progress_init(&events.progress, NULL, 0);
	memset(&err, 0, sizeof(err));
	if ((rc = connect_session(o, &events, 1, &s, &user, &netrc_login,
	    &err)) == 0) {
		connect_warn_dsn(o, s);
		rc = batch_run(o, s);
	}
	if (s != NULL)
		smtpc_session_quit(s, NULL);
	smtpc_session_free(s);
	free(netrc_login);
	return rc;
}

static void
main_print_capabilities(const struct smtpc_session *s)
{
	const char *caps = smtpc_session_capabilities(s);
	const char *line = caps, *nl;
	int first = 1;

	while (*line != '\0') {
		nl = strchr(line, '\n');
		printf("%-14s", first ? "capabilities:" : "");
		report_escaped(stdout, line, nl ? (size_t)(nl - line) :
		    strlen(line));
		putchar('\n');
		first = 0;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (first)
		printf("%-14s(none)\n", "capabilities:");
}

static int
main_cmd_check(const struct cli_opts *o)
{
	struct smtpc_session *s = NULL;
	const struct smtpc_tls_info *tls;
	struct smtpc_error err;
	struct connect_events events;
	const char *mech, *user = NULL;
	char *netrc_login = NULL;
	int rc;

	memset(&events, 0, sizeof(events));
	events.o = o;
	progress_init(&events.progress, NULL, 0);
	rc = connect_session(o, &events, 1, &s, &user, &netrc_login, &err);
	if (s == NULL) {
		free(netrc_login);
		return rc;
	}
	printf("%-14s%s\n", "server:", o->host);
	if ((tls = smtpc_session_tls(s)) != NULL) {
		printf("%-14s%s, %s\n", "TLS:", tls->version, tls->cipher);
		printf("%-14s%s\n", "certificate:", tls->subject);
		printf("%-14s%s\n", "issuer:", tls->issuer);
		printf("%-14s%s\n", "expires:", tls->not_after);
		printf("%-14s%s\n", "sha256:", tls->sha256);
		printf("%-14s%s\n", "verified:", !tls->verified ?
		    "NO (--insecure)" : o->tls_fingerprint ?
		    "yes (pinned fingerprint)" : "yes");
		printf("%-14s%s\n", "resumed:", tls->resumed ?
		    "yes (a TLS session kept from an earlier run)" :
		    "no (full handshake)");
	} else {
		printf("%-14s%s\n", "TLS:", "none");
	}
	main_print_capabilities(s);
	mech = smtpc_session_auth_mech(s);
	if (user == NULL)
		printf("%-14s%s\n", "auth:", "not tried (no -u, no ~/.netrc "
		    "entry)");
	else if (mech != NULL)
		printf("%-14sok as %s (%s)\n", "auth:", user, mech);
	else
		printf("%-14sFAILED as %s\n", "auth:", user);
	if (rc == 0)
		smtpc_session_quit(s, NULL);
	smtpc_session_free(s);
	free(netrc_login);
	return rc;
}

/*
 * Where sendmail's flags start when the program runs as sendmail: run as
 * `sendmail` or `mailq` (1; *ret_base is that name), as `smtpc sendmail`
 * (2), or as smtpc followed by a flag (1, git send-email's way); 0 when
 * it does not run as sendmail.
 */
static int
main_sendmail_first(int argc, char **argv, const char **ret_base)
{
	*ret_base = NULL;
	if (argc > 0 && sendmail_is_name(argv[0], ret_base))
		return 1;
	*ret_base = NULL;
	if (argc > 1 && strcmp(argv[1], "sendmail") == 0)
		return 2;
	if (argc > 1 && sendmail_is_argv(argv[1]))
		return 1;
	return 0;
}

enum main_queue_flag {
	MAIN_QUEUE_NONE,
	MAIN_QUEUE_LIST, /* mailq, sendmail -bp */
	MAIN_QUEUE_RUN,	 /* sendmail -q, and -qINTERVAL run once: a timer
			    or cron repeats it (smtpc(1), QUEUE) */
};

/* sendmail's ways to the queue; *ret_verbose: -v was given too. */
static enum main_queue_flag
main_queue_flag(int argc, char **argv, int *ret_verbose)
{
	enum main_queue_flag q = MAIN_QUEUE_NONE;
	const char *base;
	int i, first = main_sendmail_first(argc, argv, &base);

	*ret_verbose = 0;
	if (base != NULL && strcmp(base, "mailq") == 0)
		return MAIN_QUEUE_LIST;
	for (i = first; first > 0 && i < argc && strcmp(argv[i], "--") != 0;
	    i++) {
		if (strcmp(argv[i], "-bp") == 0)
			return MAIN_QUEUE_LIST;
		if (strncmp(argv[i], "-q", 2) == 0)
			q = MAIN_QUEUE_RUN;
		else if (strcmp(argv[i], "-v") == 0)
			*ret_verbose = 1;
	}
	return q;
}

/* What went to standard output must have gone: else 74. */
static int
main_flush(int rc)
{
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "smtpc: cannot write standard output: %s\n",
		    strerror(errno));
		rc = 74;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static char mailq_name[] = "mailq";
	static char *mailq_argv[] = { mailq_name, NULL };
	static char queue_name[] = "queue", run_name[] = "run", v_name[] = "-v";
	static char *run_argv[] = { queue_name, run_name, NULL };
	static char *run_v_argv[] = { queue_name, run_name, v_name, NULL };
	struct cli_opts o;
	struct sendmail_opts so;
	struct account acct;
	struct queue_conn qc;
	const char *base;
	enum main_queue_flag flag;
	char *env_password;
	int rc, verbose, first;

	/* Before anything else: the environment's secret out of sight. */
	if ((rc = password_take_env(&env_password)) != 0)
		return rc;
	/* A write to a closed socket must be an error, not a killed program. */
	signal(SIGPIPE, SIG_IGN);
	/* `smtpc queue ...`, and mailq (also as sendmail -bp). */
	if (argc > 1 && strcmp(argv[1], "queue") == 0)
		rc = queue_main(argc - 1, argv + 1, env_password);
	else if ((flag = main_queue_flag(argc, argv, &verbose)) ==
	    MAIN_QUEUE_LIST)
		rc = queue_main(1, mailq_argv, NULL);
	else if (flag == MAIN_QUEUE_RUN)
		rc = queue_main(verbose ? 3 : 2, verbose ? run_v_argv :
		    run_argv, env_password);
	else
		rc = -1;
	if (rc >= 0) {
		password_free(env_password);
		return main_flush(rc);
	}
	memset(&so, 0, sizeof(so));
	if ((first = main_sendmail_first(argc, argv, &base)) > 0)
		rc = sendmail_parse(argc, argv, first, base, &o, &so);
	else
		rc = args_parse(argc, argv, &o);
	if (rc != 0 && o.command == CLI_CMD_SENDMAIL)
		main_sendmail_unsent(&o, NULL, NULL, rc);
	if (rc != 0 || o.command == CLI_CMD_NONE) {
		args_free(&o);
		sendmail_free(&so);
		password_free(env_password);
		return rc;
	}
	o.env_password = env_password;
	memset(&acct, 0, sizeof(acct));
	memset(&qc, 0, sizeof(qc));
	o.queue_conn = &qc;
	if ((rc = queue_conn_capture(&o, &qc)) == 0 &&
	    (rc = account_apply(&o, &acct)) == 0 &&
	    (rc = queue_conn_account(&qc, acct.cfg != NULL ?
	    config_path(acct.cfg) : NULL, o.account_name)) == 0 &&
	    (rc = args_check_complete(&o)) == 0) {
		if (o.command == CLI_CMD_SEND)
			rc = main_cmd_send(&o);
		else if (o.command == CLI_CMD_SENDMAIL)
			rc = main_cmd_sendmail(&o, &so);
		else if (o.command == CLI_CMD_BATCH)
			rc = main_cmd_batch(&o);
		else {
			account_print(stdout, &acct, &o);
			rc = main_cmd_check(&o);
		}
	} else if (o.command == CLI_CMD_SENDMAIL) {
		main_sendmail_unsent(&o, NULL, NULL, rc);
	}
	args_free(&o);
	sendmail_free(&so);
	account_free(&acct);
	queue_conn_free(&qc);
	password_free(env_password);
	return main_flush(rc);
}
