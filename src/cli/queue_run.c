/* SPDX-License-Identifier: ISC */
/*
 * queue_run.c - sending the queue (queue_run.h).
 *
 * Two passes.  The first walks the due entries (spool_next_due: each one
 * claimed, settled and released) and sorts their IDs into groups that
 * share a connection: the same server options, configuration file and
 * account (queue_conn.h).  The second opens one session per group and
 * gives the library's batch engine the group's entries one at a time,
 * each claimed again (another runner may have taken or finished it in
 * between: then it is skipped), with only its recipients still pending,
 * its very bytes from the spool, and SMTPC_SEND_ALLOW_PARTIAL, so that a
 * refused recipient never holds back the others.  The entry's reader
 * writes "sending" to the spool when it reaches the end of the message,
 * right before the final dot (spool.h): a runner killed after that point
 * leaves the message uncertain, never sent again blindly.  Each result
 * is recorded as it comes back, in order; the entry is released then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "connect.h"
#include "enqueue.h"
#include "logfile.h"
#include "queue_conn.h"
#include "queue_run.h"
#include "report.h"
#include "report_json.h"
#include "spool.h"

#define QR_EX_OK 0
#define QR_EX_SOFTWARE 70

/* An entry as the first pass saw it. */
struct qr_id {
	char *id;
	int64_t last_attempt; /* another attempt since: skipped */
};

struct qr_group {
	struct spool_param *param; /* the connection's, copied */
	size_t nparam;
	struct qr_id *ids;
	size_t nids, next;
	size_t noted; /* ids[0..noted) are in the run's journal */
};

/* One entry between the batch's next and done. */
struct qr_item {
	struct qr_run *run;
	struct spool_entry *e;
	const char **rcpts;
	size_t *map; /* rcpts[i] is e->rcpt[map[i]] */
	size_t n;
	int marked;  /* "sending" written */
};

struct qr_run {
	const struct queue_run_opts *q;
	struct spool *sp;
	unsigned flags; /* SPOOL_DUE_* */
	struct qr_group *groups;
	size_t ngroups;
	struct qr_group *cur;
	const struct cli_opts *o; /* the group's options */
	const char *user;	  /* the group's login, or NULL */
	char **to_report;	  /* the group's entries given up on */
	size_t nreport;
	size_t delivered, deferred, failed, uncertain, skipped;
};

static int
qr_oom(void)
{
	fprintf(stderr, "smtpc: queue: out of memory\n");
	return 71;
}

static void
qr_group_free(struct qr_group *g)
{
	size_t i;

	for (i = 0; i < g->nparam; i++) {
		free(g->param[i].key);
		free(g->param[i].value);
	}
	free(g->param);
	for (i = 0; i < g->nids; i++)
		free(g->ids[i].id);
	free(g->ids);
}

/* The group of entry `e`, made when it is the first of its kind. */
static struct qr_group *
qr_group_of(struct qr_run *run, const struct spool_entry *e)
{
	struct qr_group *g;
	size_t i;

	for (i = 0; i < run->ngroups; i++)
		if (queue_conn_same(run->groups[i].param,
		    run->groups[i].nparam, e->param, e->nparam))
			return &run->groups[i];
	if ((g = realloc(run->groups, (run->ngroups + 1) * sizeof(*g))) ==
	    NULL)
		return NULL;
	run->groups = g;
	g = &run->groups[run->ngroups];
	memset(g, 0, sizeof(*g));
	if ((g->param = calloc(e->nparam + 1, sizeof(*g->param))) == NULL)
		return NULL;
	run->ngroups++;
	for (i = 0; i < e->nparam; i++) {
		if ((g->param[i].key = strdup(e->param[i].key)) == NULL ||
		    (g->param[i].value = strdup(e->param[i].value)) == NULL) {
			free(g->param[i].key);
			return NULL;
		}
		g->nparam++;
	}
	return g;
}

static int
qr_group_add(struct qr_group *g, const struct spool_entry *e)
{
	struct qr_id *p;

	if ((p = realloc(g->ids, (g->nids + 1) * sizeof(*p))) == NULL)
		return -1;
	g->ids = p;
	if ((p[g->nids].id = strdup(e->id)) == NULL)
		return -1;
	p[g->nids++].last_attempt = e->last_attempt;
	return 0;
}

/* Pass one: the due entries, grouped by connection. */
static int
qr_collect(struct qr_run *run)
{
	struct spool_due *d = NULL;
	struct spool_entry *e;
	struct smtpc_error err;
	struct qr_group *g;
	int rc;

	memset(&err, 0, sizeof(err));
	if (spool_due_begin(run->sp, run->flags, &d, &err) != 0)
		return report_error(&err);
	for (;;) {
		rc = spool_next_due(d, &e, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			/* One entry's problem: said, and the run goes on. */
			(void)report_error(&err);
			continue;
		}
		g = qr_group_of(run, e);
		if (g == NULL || qr_group_add(g, e) != 0) {
			spool_entry_free(e);
			spool_due_end(d);
			return qr_oom();
		}
		spool_entry_free(e);
	}
	spool_due_end(d);
	return 0;
}

static void
qr_item_free(struct qr_item *it)
{
	if (it == NULL)
		return;
	spool_entry_free(it->e);
	free(it->rcpts);
	free(it->map);
	free(it);
}

/* The entry's message, and "sending" written at its end (spool.h). */
static int
qr_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct qr_item *it = user;
	int rc;

	if ((rc = spool_body_read(it->e, buf, cap, ret_len, err)) != 0)
		return rc;
	if (*ret_len > 0 || it->marked)
		return 0;
	/* No record of it, no final dot: the server must not have it. */
	if ((rc = spool_mark_sending(it->run->sp, it->e, err)) != 0)
		return rc;
	it->marked = 1;
	return 0;
}

/* An entry's pending recipients, and where each one is in the entry. */
static int
qr_item_rcpts(struct qr_item *it)
{
	size_t i;

	it->rcpts = calloc(it->e->nrcpt, sizeof(*it->rcpts));
	it->map = calloc(it->e->nrcpt, sizeof(*it->map));
	if (it->rcpts == NULL || it->map == NULL)
		return -1;
	for (i = 0; i < it->e->nrcpt; i++) {
		if (it->e->rcpt[i].state != SPOOL_RCPT_PENDING)
			continue;
		it->rcpts[it->n] = it->e->rcpt[i].addr;
		it->map[it->n++] = i;
	}
	return 0;
}

/*
 * The group's next entries written to the run's journal (synced) before
 * the first of them is claimed (spool_group.c); -1 when that fails: the
 * run stops rather than send what a crash could not account for.
 */
static int
qr_note(struct qr_run *run, struct qr_group *g)
{
	const char *ids[SPOOL_GROUP_WINDOW];
	struct smtpc_error err;
	size_t n = 0;

	while (n < SPOOL_GROUP_WINDOW && g->noted + n < g->nids) {
		ids[n] = g->ids[g->noted + n].id;
		n++;
	}
	memset(&err, 0, sizeof(err));
	if (spool_group_note(run->sp, ids, n, &err) != 0) {
		(void)report_error(&err);
		return -1;
	}
	g->noted += n;
	return 0;
}

/* The run is done with entry `id`: its changes go in the next commit. */
static void
qr_release(struct qr_run *run, const char *id)
{
	struct smtpc_error err;

	memset(&err, 0, sizeof(err));
	if (spool_group_release(run->sp, id, &err) != 0)
		(void)report_error(&err);
}

static void
qr_skip(struct qr_run *run, const char *id)
{
	run->skipped++;
	qr_release(run, id);
}

/* The batch's next: the group's next entry that can still be claimed. */
static int
qr_next(void *user, struct smtpc_batch_item *item)
{
	struct qr_run *run = user;
	struct qr_group *g = run->cur;
	struct smtpc_error err;
	struct spool_entry *e;
	struct qr_item *it;

	while (g->next < g->nids) {
		const struct qr_id *seen = &g->ids[g->next];

		if (g->next >= g->noted && qr_note(run, g) != 0)
			return 0;
		g->next++;
		memset(&err, 0, sizeof(err));
		if (spool_claim(run->sp, seen->id, run->flags, &e,
		    &err) != 0 || e == NULL) {
			/* Taken or finished by another runner meanwhile. */
			qr_skip(run, seen->id);
			continue;
		}
		/* Tried by another runner since the first pass: not due. */
		if (e->last_attempt != seen->last_attempt) {
			spool_entry_free(e);
			qr_skip(run, seen->id);
			continue;
		}
		if ((it = calloc(1, sizeof(*it))) == NULL) {
			spool_entry_free(e);
			qr_skip(run, seen->id);
			return 0;
		}
		it->run = run;
		it->e = e;
		if (qr_item_rcpts(it) != 0 || it->n == 0) {
			qr_item_free(it);
			qr_skip(run, seen->id);
			continue;
		}
		item->read = qr_read;
		item->read_user = it;
		item->size = e->size;
		item->envelope_from = e->from;
		item->rcpts = it->rcpts;
		item->nrcpts = it->n;
		item->flags = SMTPC_SEND_ALLOW_PARTIAL;
		if (spool_entry_param(e, "smtputf8") != NULL)
			item->flags |= SMTPC_SEND_SMTPUTF8;
		if (spool_entry_param(e, "8bit") != NULL)
			item->flags |= SMTPC_SEND_8BIT;
		if (run->o->no_pipelining)
			item->flags |= SMTPC_SEND_NO_PIPELINING;
		if (run->o->no_chunking)
			item->flags |= SMTPC_SEND_NO_CHUNKING;
		item->tag = it;
		return 1;
	}
	return 0;
}

/* What the user must hear of an entry, and what -v shows. */
static void
qr_tell(struct qr_run *run, const struct qr_item *it,
    enum spool_disposition disp, const char *summary, const char *report)
{
	const struct queue_run_opts *q = run->q;

	switch (disp) {
	case SPOOL_DISP_DELIVERED:
		run->delivered++;
		if (q->verbose)
			fprintf(stderr, "smtpc: queue: %s: sent\n", it->e->id);
		break;
	case SPOOL_DISP_DEFERRED:
		run->deferred++;
		if (q->verbose)
			fprintf(stderr, "smtpc: queue: %s: deferred (%s); "
			    "next try in %llds\n", it->e->id, summary,
			    (long long)(it->e->next_attempt -
			    (int64_t)time(NULL)));
		break;
	case SPOOL_DISP_FAILED:
		run->failed++;
		if (!q->quiet)
			fprintf(stderr, "smtpc: queue: %s: given up (%s); "
			    "report: %s\n", it->e->id, summary,
			    report[0] ? report : "none written");
		break;
	case SPOOL_DISP_UNCERTAIN:
		run->uncertain++;
		if (!q->quiet)
			fprintf(stderr, "smtpc: queue: %s: the server may "
			    "have the message (the connection ended after "
			    "all of it was sent); kept, not sent again unless "
			    "asked (smtpc queue run --resend-uncertain)\n",
			    it->e->id);
		break;
	}
}

/* An entry given up on, whose sender is to get the report by mail. */
static void
qr_note_failed(struct qr_run *run, const struct spool_entry *e)
{
	char **p;

	/* No report about a report: a null sender gets none (RFC 5321). */
	if (e->from[0] == '\0')
		return;
	p = realloc(run->to_report, (run->nreport + 1) * sizeof(*p));
	if (p == NULL)
		return;
	run->to_report = p;
	if ((p[run->nreport] = strdup(e->id)) != NULL)
		run->nreport++;
}

/*
 * The report of entry `id` (in failed/) as a message from its sender to
 * its sender, which the sender's own server takes.
 */
static int
qr_report_msg(struct qr_run *run, const char *id, struct smtpc_msg **ret,
    struct spool_entry **ret_e, struct smtpc_error *err)
{
	struct spool_entry *e = NULL;
	struct smtpc_msg *msg;
	char *text = NULL, subject[SPOOL_ID_SIZE + 64];
	size_t len = 0;
	FILE *fp;
	int rc;

	*ret = NULL;
	if ((rc = spool_load(run->sp, id, &e, err)) != 0)
		return rc;
	msg = NULL;
	if ((fp = open_memstream(&text, &len)) != NULL) {
		(void)spool_report_write(e, fp);
		if (fclose(fp) == 0)
			msg = smtpc_msg_new();
	}
	if (msg == NULL) {
		free(text);
		spool_entry_free(e);
		memset(err, 0, sizeof(*err));
		err->code = SMTPC_ENOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return SMTPC_ENOMEM;
	}
	snprintf(subject, sizeof(subject), "Undelivered mail (queue entry "
	    "%s)", e->id);
	if ((rc = smtpc_msg_set_from(msg, e->from, err)) != 0 ||
	    (rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, e->from,
	    err)) != 0 ||
	    (rc = smtpc_msg_set_subject(msg, subject, err)) != 0 ||
	    (rc = smtpc_msg_set_text(msg, text, len, err)) != 0 ||
	    (rc = smtpc_msg_add_header(msg, "Auto-Submitted",
	    "auto-replied", err)) != 0) {
		smtpc_msg_free(msg);
		free(text);
		spool_entry_free(e);
		return rc;
	}
	free(text);
	*ret = msg;
	*ret_e = e;
	return 0;
}

/* One report mailed over `s`: 0, or the failure in `err`. */
static int
qr_mail_report(struct qr_run *run, struct smtpc_session *s, const char *id,
    struct smtpc_error *err)
{
	struct smtpc_reader *r = NULL;
	struct smtpc_msg *msg;
	struct spool_entry *e;
	const char *to;
	int rc;

	if ((rc = qr_report_msg(run, id, &msg, &e, err)) != 0)
		return rc;
	to = e->from;
	if ((smtpc_session_is_ready(s) ||
	    (rc = smtpc_session_open(s, err)) == 0) &&
	    (rc = smtpc_reader_new(msg, &r, err)) == 0)
		rc = smtpc_session_send(s, "", &to, 1, smtpc_reader_read, r, 0,
		    NULL, err);
	if (rc == 0 && run->q->verbose)
		fprintf(stderr, "smtpc: queue: %s: report mailed to %s\n", id,
		    e->from);
	smtpc_reader_free(r);
	smtpc_msg_free(msg);
	spool_entry_free(e);
	return rc;
}

/*
 * Each report of the group mailed to its sender with a null envelope
 * sender (RFC 5321 4.5.5: no report about it may come back), over the
 * group's session.  The file in failed/ stays either way; a server that
 * will not take it is said on stderr.
 */
static void
qr_mail_reports(struct qr_run *run, struct smtpc_session *s)
{
	struct smtpc_error err;
	size_t i;

	for (i = 0; i < run->nreport; i++) {
		memset(&err, 0, sizeof(err));
		if (qr_mail_report(run, s, run->to_report[i], &err) != 0 &&
		    !run->q->quiet)
			fprintf(stderr, "smtpc: queue: %s: report not mailed "
			    "(%s); it is in the queue's failed/\n",
			    run->to_report[i], err.message);
		free(run->to_report[i]);
	}
	free(run->to_report);
	run->to_report = NULL;
	run->nreport = 0;
}

/*
 * An attempt on `it` recorded (its recipients' outcomes set already):
 * the entry written, its report saved when it was given up on (and
 * mailed later when `mail`: the group has a session), the user told,
 * the log and --json written, the entry released.  `res` is NULL for a
 * group that could not start (`e` says why).
 */
static void
qr_record(struct qr_run *run, struct qr_item *it,
    const struct smtpc_result *res, const struct smtpc_error *e,
    int exit_code, int mail)
{
	enum spool_disposition disp = SPOOL_DISP_DEFERRED;
	char summary[SMTPC_ERROR_TEXT_MAX + 64], report[4096];
	struct smtpc_error err;

	memset(&err, 0, sizeof(err));
	report[0] = '\0';
	enqueue_summary(res, e, summary, sizeof(summary));
	if (spool_record(run->sp, it->e, summary, &disp, &err) != 0) {
		/* The state stays as it was: sending → uncertain later. */
		(void)report_error(&err);
		qr_release(run, it->e->id);
		qr_item_free(it);
		return;
	}
	qr_release(run, it->e->id);
	if (disp == SPOOL_DISP_FAILED &&
	    spool_report_save(run->sp, it->e, report, sizeof(report),
	    &err) != 0)
		(void)report_error(&err);
	if (disp == SPOOL_DISP_FAILED && mail)
		qr_note_failed(run, it->e);
	qr_tell(run, it, disp, summary, report);
	/* The account's logfile and syslog get msmtp's line, as for send. */
	if (res != NULL)
		logfile_send(run->o, run->user, NULL, res, e,
		    smtpc_result_size(res), exit_code);
	if (run->q->json)
		report_json_spooled(stdout, res, e, exit_code, it->e->id,
		    spool_disposition_name(disp), it->e->message_id);
	qr_item_free(it);
}

/* The batch's done: what the server said, recorded. */
static void
qr_done(void *user, void *tag, const struct smtpc_result *res)
{
	struct qr_item *it = tag;
	int status = smtpc_result_status(res);

	enqueue_outcomes(it->e, it->map, res);
	qr_record(user, it, res, smtpc_result_error(res),
	    status == 0 ? 0 : report_exit_code(status), 1);
}

/*
 * The group in run->cur cannot even start (its account is gone, its
 * password cannot be had): each entry's attempt recorded as failed for
 * now.
 */
static void
qr_group_fail(struct qr_run *run, int code, const char *why)
{
	struct smtpc_batch_item item;
	struct smtpc_error e;

	memset(&e, 0, sizeof(e));
	e.code = SMTPC_ECONFIG;
	snprintf(e.message, sizeof(e.message), "%.*s",
	    (int)sizeof(e.message) - 1, why);
	for (;;) {
		memset(&item, 0, sizeof(item));
		if (qr_next(run, &item) != 1)
			break;
		qr_record(run, item.tag, NULL, &e, code, 0);
	}
}

/* The options of group `g`, its account applied as when it was queued. */
static int
qr_group_opts(struct qr_run *run, struct qr_group *g, struct cli_opts *o,
    struct account *ac)
{
	int has_account, rc;

	if (queue_conn_apply(g->param, g->nparam, o, &has_account) != 0)
		return qr_oom();
	o->verbose = run->q->verbose > 1;
	o->quiet = 1;
	o->progress = CLI_PROGRESS_OFF;
	o->env_password = run->q->env_password;
	if (has_account && (rc = account_apply(o, ac)) != 0)
		return rc;
	if (o->host == NULL) {
		fprintf(stderr, "smtpc: queue: entries with no server\n");
		return 78;
	}
	return 0;
}

/* Pass two for one group: one session, the batch engine over it. */
static void
qr_send_group(struct qr_run *run, struct qr_group *g)
{
	struct cli_opts o;
	struct account ac;
	struct connect_events events;
	struct smtpc_session *s = NULL;
	struct smtpc_batch b;
	struct smtpc_error err;
	const char *user = NULL;
	char *netrc = NULL, why[SMTPC_ERROR_TEXT_MAX + 64];
	int rc;

	memset(&ac, 0, sizeof(ac));
	memset(&err, 0, sizeof(err));
	memset(&events, 0, sizeof(events));
	run->cur = g;
	run->o = &o;
	if ((rc = qr_group_opts(run, g, &o, &ac)) == 0) {
		events.o = &o;
		progress_init(&events.progress, NULL, 0);
		rc = connect_session(&o, &events, 0, &s, &user, &netrc, &err);
		run->user = user;
	}
	if (rc != 0) {
		snprintf(why, sizeof(why), "could not start: %s (exit %d)",
		    err.message[0] ? err.message : "see the error above", rc);
		qr_group_fail(run, rc, why);
	} else {
		smtpc_batch_init(&b);
		b.next = qr_next;
		b.done = qr_done;
		b.user = run;
		b.take_ahead = 1;
		(void)smtpc_session_send_many(s, &b, &err);
		qr_mail_reports(run, s);
		(void)smtpc_session_quit(s, &err);
	}
	smtpc_session_free(s);
	free(netrc);
	free(o.host);
	account_free(&ac);
	run->o = NULL;
	run->user = NULL;
}

int
queue_run(const struct queue_run_opts *q)
{
	struct spool_opts so;
	struct qr_run run;
	struct smtpc_error err;
	size_t i;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(&err, 0, sizeof(err));
	run.q = q;
	run.flags = (q->all ? SPOOL_DUE_ALL : 0) |
	    (q->resend_uncertain ? SPOOL_DUE_UNCERTAIN : 0);
	spool_opts_init(&so);
	so.dir = q->dir;
	so.backoff_first = q->retry_first;
	so.backoff_max = q->retry_max;
	so.lifetime = q->lifetime;
	if (spool_open(&so, &run.sp, &err) != 0)
		return report_error(&err);
	/* Leftovers of runs that died: cheap, and keeps tmp/ clean. */
	(void)spool_sweep(run.sp, NULL, &err);
	rc = qr_collect(&run);
	/* No journal: every change synced as it is made, slower, as safe. */
	if (rc == 0 && run.ngroups > 0 &&
	    spool_group_start(run.sp, &err) != 0)
		(void)report_error(&err);
	for (i = 0; rc == 0 && i < run.ngroups; i++)
		qr_send_group(&run, &run.groups[i]);
	if (spool_group_finish(run.sp, &err) != 0)
		rc = report_error(&err);
	if (q->verbose)
		fprintf(stderr, "smtpc: queue: %zu sent, %zu deferred, %zu "
		    "given up, %zu uncertain\n", run.delivered, run.deferred,
		    run.failed, run.uncertain);
	for (i = 0; i < run.ngroups; i++)
		qr_group_free(&run.groups[i]);
	free(run.groups);
	spool_close(run.sp);
	return rc;
}
