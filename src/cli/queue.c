/* SPDX-License-Identifier: ISC */
/*
 * queue.c - `smtpc queue list|run|show|drop|hold|release` and `mailq`.
 *
 * The commands but run only read and change the spool (spool.h); run
 * (queue_run.h) sends it.  Each entry's line says what a user needs to decide
 * what to do with it: how old, how big, from whom, to whom (the recipients
 * still to be served), its state, the last error and the next attempt.
 * --json gives the same as one JSON object per entry (report_json's
 * string rules), for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"
#include "queue_run.h"
#include "report.h"
#include "report_json.h"
#include "spool.h"

#define QUEUE_EX_USAGE	64

static const char queue_usage[] =
    "usage: smtpc queue list [--json] [--failed]\n"
    "       smtpc queue run [--all] [--resend-uncertain] [--json] [-v] [-q]\n"
    "                       [--retry-first T] [--retry-max T] [--lifetime T]\n"
    "       smtpc queue show ID\n"
    "       smtpc queue drop|hold|release ID...\n"
    "       mailq                  (the same as smtpc queue list)\n"
    "\n"
    "The queue is $XDG_STATE_HOME/smtpc/queue (~/.local/state/smtpc/queue);\n"
    "--queue-dir DIR names another.\n"
    "\n"
    "  list      every queued message: ID, age, size, sender, the\n"
    "            recipients still to be served, state, last error, next try\n"
    "  run       send what is due, one connection per server and account\n"
    "            (also sendmail -q); --all: due or not; --resend-uncertain:\n"
    "            also what the server may already have (same Message-ID);\n"
    "            -v: a line per message (-vv: the dialogue); the waits\n"
    "            between tries (default 1m doubling to 1h) and how long a\n"
    "            message is tried (default 5d): T is N, Ns, Nm, Nh or Nd\n"
    "  show      one message's envelope, every recipient's state, its\n"
    "            history\n"
    "  drop      remove it (never while it is being sent)\n"
    "  hold      put it aside: not sent until released\n"
    "  release   due at once\n"
    "\n"
    "States: queued (waits for its next try), held, sending, uncertain (the\n"
    "server may have it: the reply to its end was lost; never sent again\n"
    "unless asked), failed (given up; a report says why).\n";

struct queue_opts {
	const char *dir;
	int json;
	int failed;
	int all;
	int resend_uncertain;
	int verbose;
	int quiet;
	unsigned retry_first, retry_max;
	int64_t lifetime;
};

/* "3m", "2h", "4d": how long ago, or how long until. */
static void
queue_span(char *out, size_t cap, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, cap, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(out, cap, "%lldm", (long long)(secs / 60));
	else if (secs < 172800)
		snprintf(out, cap, "%lldh", (long long)(secs / 3600));
	else
		snprintf(out, cap, "%lldd", (long long)(secs / 86400));
}

static int
queue_fail(const struct smtpc_error *err)
{
	return report_error(err);
}

static int
queue_open(const struct queue_opts *q, struct spool **ret)
{
	struct spool_opts so;
	struct smtpc_error err;

	spool_opts_init(&so);
	so.dir = q->dir;
	if (spool_open(&so, ret, &err) != 0)
		return queue_fail(&err);
	return 0;
}

/* The recipients still to be served, comma-separated, escaped. */
static void
queue_print_pending(FILE *fp, const struct spool_entry *e)
{
	size_t i;
	int first = 1;

	for (i = 0; i < e->nrcpt; i++) {
		if (e->rcpt[i].state == SPOOL_RCPT_DONE)
			continue;
		if (!first)
			fputc(',', fp);
		first = 0;
		report_escaped(fp, e->rcpt[i].addr, strlen(e->rcpt[i].addr));
		if (e->rcpt[i].state != SPOOL_RCPT_PENDING)
			fprintf(fp, "(%s)",
			    spool_rcpt_state_name(e->rcpt[i].state));
	}
}

static const char *
queue_state(const struct spool_entry *e)
{
	if (e->interrupted)
		return "uncertain";
	return spool_state_name(e->state);
}

static void
queue_line(const struct spool_entry *e, int64_t now)
{
	char age[32], next[32];

	queue_span(age, sizeof(age), now - e->created);
	printf("%s  %5s %9llu  %-9s ", e->id, age,
	    (unsigned long long)e->size, queue_state(e));
	report_escaped(stdout, e->from[0] ? e->from : "<>",
	    strlen(e->from[0] ? e->from : "<>"));
	fputs(" -> ", stdout);
	queue_print_pending(stdout, e);
	putchar('\n');
	if (e->error != NULL) {
		fputs("        last error: ", stdout);
		report_escaped(stdout, e->error, strlen(e->error));
		putchar('\n');
	}
	if (e->state == SPOOL_QUEUED && !e->interrupted) {
		queue_span(next, sizeof(next), e->next_attempt - now);
		printf("        next try: %s\n", e->next_attempt <= now ?
		    "now" : next);
	}
}

static void
queue_json(const struct spool_entry *e)
{
	size_t i;

	printf("{\"id\":");
	report_json_string(stdout, e->id);
	printf(",\"state\":");
	report_json_string(stdout, queue_state(e));
	printf(",\"created\":%lld,\"size\":%llu,\"attempts\":%u",
	    (long long)e->created, (unsigned long long)e->size, e->attempts);
	printf(",\"next_attempt\":%lld,\"from\":", (long long)e->next_attempt);
	report_json_string(stdout, e->from);
	printf(",\"account\":");
	if (e->account != NULL)
		report_json_string(stdout, e->account);
	else
		fputs("null", stdout);
	printf(",\"message_id\":");
	if (e->message_id != NULL)
		report_json_string(stdout, e->message_id);
	else
		fputs("null", stdout);
	printf(",\"last_error\":");
	if (e->error != NULL)
		report_json_string(stdout, e->error);
	else
		fputs("null", stdout);
	printf(",\"recipients\":[");
	for (i = 0; i < e->nrcpt; i++) {
		printf(i ? ",{\"address\":" : "{\"address\":");
		report_json_string(stdout, e->rcpt[i].addr);
		printf(",\"state\":");
		report_json_string(stdout,
		    spool_rcpt_state_name(e->rcpt[i].state));
		if (e->rcpt[i].code != 0)
			printf(",\"code\":%d", e->rcpt[i].code);
		else
			printf(",\"code\":null");
		printf(",\"text\":");
		if (e->rcpt[i].text != NULL)
			report_json_string(stdout, e->rcpt[i].text);
		else
			fputs("null", stdout);
		putchar('}');
	}
	printf("]}\n");
}

static int
queue_list(const struct queue_opts *q)
{
	struct spool *sp = NULL;
	struct spool_list l;
	struct smtpc_error err;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int rc;

	if ((rc = queue_open(q, &sp)) != 0)
		return rc;
	memset(&l, 0, sizeof(l));
	if (spool_list(sp, q->failed ? SPOOL_LIST_FAILED : 0, &l, &err) != 0) {
		rc = queue_fail(&err);
		spool_close(sp);
		return rc;
	}
	if (l.n == 0 && !q->json)
		printf("The queue is empty (%s).\n", spool_dir(sp));
	for (i = 0; i < l.n; i++) {
		if (q->json)
			queue_json(l.entry[i]);
		else
			queue_line(l.entry[i], now);
	}
	/* A file that is no entry is said, not hidden: the user decides. */
	for (i = 0; i < l.nproblem; i++)
		fprintf(stderr, "smtpc: queue: %s\n", l.problem[i]);
	spool_list_free(&l);
	spool_close(sp);
	return 0;
}

static int
queue_show(const struct queue_opts *q, const char *id)
{
	struct spool *sp = NULL;
	struct spool_entry *e = NULL;
	struct smtpc_error err;
	size_t i;
	int rc;

	if ((rc = queue_open(q, &sp)) != 0)
		return rc;
	if (spool_load(sp, id, &e, &err) != 0) {
		rc = queue_fail(&err);
		spool_close(sp);
		return rc;
	}
	if (q->json) {
		queue_json(e);
	} else {
		queue_line(e, (int64_t)time(NULL));
		printf("        message-id: %s\n", e->message_id ?
		    e->message_id : "(none)");
		if (e->account != NULL)
			printf("        account: %s\n", e->account);
		printf("        attempts: %u\n", e->attempts);
		for (i = 0; i < e->nrcpt; i++) {
			printf("        to ");
			report_escaped(stdout, e->rcpt[i].addr,
			    strlen(e->rcpt[i].addr));
			printf(": %s", spool_rcpt_state_name(e->rcpt[i].state));
			if (e->rcpt[i].text != NULL) {
				printf(" (%d ", e->rcpt[i].code);
				report_escaped(stdout, e->rcpt[i].text,
				    strlen(e->rcpt[i].text));
				putchar(')');
			}
			putchar('\n');
		}
		for (i = 0; i < e->nlog; i++) {
			printf("        history: ");
			report_escaped(stdout, e->log[i].text,
			    strlen(e->log[i].text));
			putchar('\n');
		}
	}
	spool_entry_free(e);
	spool_close(sp);
	return 0;
}

/* drop, hold or release each ID; the first failure's code is returned. */
static int
queue_each(const struct queue_opts *q, const char *cmd, char **ids, int n)
{
	struct spool *sp = NULL;
	struct smtpc_error err;
	int i, rc, first = 0;

	if ((rc = queue_open(q, &sp)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (strcmp(cmd, "drop") == 0)
			rc = spool_drop(sp, ids[i], &err);
		else if (strcmp(cmd, "hold") == 0)
			rc = spool_hold(sp, ids[i], &err);
		else
			rc = spool_release(sp, ids[i], &err);
		if (rc != 0) {
			rc = queue_fail(&err);
			if (first == 0)
				first = rc;
		}
	}
	spool_close(sp);
	return first;
}

static int
queue_usage_error(const char *why)
{
	fprintf(stderr, "smtpc: queue: %s\n(smtpc queue --help)\n", why);
	return QUEUE_EX_USAGE;
}

/* "90", "90s", "5m", "2h", "5d": seconds, or -1. */
static int64_t
queue_duration(const char *s)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char *end;
	long long v;
	size_t i;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v <= 0 || s[0] == '-')
		return -1;
	if (*end == '\0')
		return v <= 365LL * 86400 ? (int64_t)v : -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && end[1] == '\0' &&
		    v <= 365LL * 86400 / units[i].secs)
			return (int64_t)v * units[i].secs;
	return -1;
}

static int
queue_cmd_run(const struct queue_opts *q, char *env_password)
{
	struct queue_run_opts r;

	memset(&r, 0, sizeof(r));
	r.dir = q->dir;
	r.all = q->all;
	r.resend_uncertain = q->resend_uncertain;
	r.json = q->json;
	r.verbose = q->verbose;
	r.quiet = q->quiet;
	r.env_password = env_password;
	r.retry_first = q->retry_first;
	r.retry_max = q->retry_max;
	r.lifetime = q->lifetime;
	return queue_run(&r);
}

int
queue_main(int argc, char **argv, char *env_password)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "failed", no_argument, NULL, 'F' },
		{ "queue-dir", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, 'A' },
		{ "resend-uncertain", no_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "retry-first", required_argument, NULL, 'R' },
		{ "retry-max", required_argument, NULL, 'M' },
		{ "lifetime", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_opts q;
	const char *cmd;
	int64_t secs;
	int c, mailq;

	memset(&q, 0, sizeof(q));
	mailq = strcmp(argv[0], "mailq") == 0;
	optind = 1;
	opterr = 0;
	/* GNU getopt: options anywhere, the command and IDs after them. */
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			q.all = 1;
			break;
		case 'U':
			q.resend_uncertain = 1;
			break;
		case 'v':
			q.verbose++;
			break;
		case 'q':
			q.quiet = 1;
			break;
		case 'R':
		case 'M':
		case 'L':
			if ((secs = queue_duration(optarg)) <= 0)
				return queue_usage_error("a duration is N, Ns, "
				    "Nm, Nh or Nd (at most 365d)");
			if (c == 'L')
				q.lifetime = secs;
			else if (c == 'R')
				q.retry_first = (unsigned)secs;
			else
				q.retry_max = (unsigned)secs;
			break;
		case 'j':
			q.json = 1;
			break;
		case 'F':
			q.failed = 1;
			break;
		case 'd':
			q.dir = optarg;
			break;
		case 'h':
			fputs(queue_usage, stdout);
			return 0;
		default:
			return queue_usage_error("unknown option");
		}
	}
	if (mailq)
		return optind == argc ? queue_list(&q) :
		    queue_usage_error("mailq takes no arguments");
	if (optind == argc)
		return queue_usage_error("a command is needed: list, run, "
		    "show, drop, hold or release");
	cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0)
		return optind == argc ? queue_list(&q) :
		    queue_usage_error("list takes no ID");
	if (strcmp(cmd, "show") == 0)
		return argc - optind == 1 ? queue_show(&q, argv[optind]) :
		    queue_usage_error("show takes one ID");
	if (strcmp(cmd, "drop") == 0 || strcmp(cmd, "hold") == 0 ||
	    strcmp(cmd, "release") == 0)
		return argc > optind ? queue_each(&q, cmd, argv + optind,
		    argc - optind) : queue_usage_error("an ID is needed");
	if (strcmp(cmd, "run") == 0)
		return optind == argc ? queue_cmd_run(&q, env_password) :
		    queue_usage_error("run takes no ID");
	return queue_usage_error("unknown command");
}
