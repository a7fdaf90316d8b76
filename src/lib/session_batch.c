/* SPDX-License-Identifier: ISC */
/*
 * session_batch.c - many messages over one session, one round trip each:
 * the end of a message stays in the connection's buffer, the next
 * message's envelope is written behind it (RFC 2920 3.1; RFC 3030 for a
 * BDAT LAST), and the final reply of the one is read with the envelope
 * replies of the other.  Every message still goes through the one
 * transaction driver (session.c) and the one settle after a failure, so a
 * result here is what smtpc_session_send_msg would have given.
 *
 * At most four messages are held: the one whose final reply is awaited
 * (pend), the one whose envelope rides behind it (cur), the next one
 * (look), taken from the caller while the server works on the other two,
 * so that making a message overlaps the round trip, and the last one
 * accepted (waiting), reported to the caller in that same time.  Only
 * pend can be maybe delivered when the connection drops; cur had no byte
 * of its message sent, so it is sent again on the next connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "error.h"
#include "reply.h"
#include "result.h"
#include "session.h"
#include "session_int.h"

#define BATCH_SLOTS	4

struct batch_slot {
	struct smtpc_batch_item item;
	struct smtpc_result *res;
	struct smtpc_reader *r;
	const char **owned;	/* the recipients, when taken from msg */
	const char *const *rcpts;
	size_t nrcpts;
	const char *from;
	smtpc_body_read_fn *read;	/* the message's bytes */
	void *read_user;
	unsigned flags;
	uint64_t size;
	size_t accepted;
	int prepared;
	int prep_rc;		/* a prepare made ahead failed: why */
	struct smtpc_error prep_err;
	int busy;		/* taken from the caller, not yet reported */
};

struct batch_run {
	struct smtpc_session *s;
	const struct smtpc_batch *b;
	struct batch_slot slot[BATCH_SLOTS];
	struct batch_slot *pend;
	struct batch_slot *look;	/* taken ahead; NULL: none */
	struct batch_slot *waiting;	/* accepted, not yet reported */
	int eof;		/* next said there is no more */
	struct smtpc_error first;	/* the first failure */
	struct smtpc_error open_err;
	int open_failed;
	int canceled;
	unsigned on_conn;	/* messages started on this connection */
	int64_t next_ms;	/* --rate: when the next may start */
};

void
smtpc_batch_init(struct smtpc_batch *b)
{
	if (b == NULL)
		return;
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
}

static void
slot_release(struct batch_slot *sl)
{
	smtpc_reader_free(sl->r);
	free(sl->owned);
	sl->r = NULL;
	sl->owned = NULL;
	sl->rcpts = NULL;
	sl->read = NULL;
	sl->read_user = NULL;
	sl->prepared = 0;
	sl->prep_rc = 0;
	sl->busy = 0;
}

/* An item's result to the caller; the first failure kept. */
static void
batch_report_now(struct batch_run *run, struct batch_slot *sl)
{
	const struct smtpc_error *e;

	if (sl->r != NULL && smtpc_reader_message_id(sl->r) != NULL)
		(void)result_set_message_id(sl->res,
		    smtpc_reader_message_id(sl->r));
	if (smtpc_result_status(sl->res) != 0 && run->first.code == 0 &&
	    (e = smtpc_result_error(sl->res)) != NULL)
		run->first = *e;
	if (smtpc_result_status(sl->res) == SMTPC_ECANCELED)
		run->canceled = 1;
	if (run->b->done != NULL)
		run->b->done(run->b->user, sl->item.tag, sl->res);
	slot_release(sl);
}

/* The accepted message whose report waited, now. */
static void
batch_report_waiting(struct batch_run *run)
{
	struct batch_slot *w = run->waiting;

	run->waiting = NULL;
	if (w != NULL)
		batch_report_now(run, w);
}

/* An item's result to the caller, in its turn (after the one waiting). */
static void
batch_report(struct batch_run *run, struct batch_slot *sl)
{
	if (run->waiting != sl)
		batch_report_waiting(run);
	batch_report_now(run, sl);
}

/* A message that fails before any byte of it is sent. */
static void
batch_fail(struct batch_run *run, struct batch_slot *sl, int rc,
    const struct smtpc_error *e)
{
	result_clear(sl->res);
	result_set_status(sl->res, rc != 0 ? rc : SMTPC_EINTERNAL, e, 0);
	batch_report(run, sl);
}

/* A message made by the caller: its reader and envelope as given. */
static int
batch_prepare_raw(struct batch_slot *sl, struct smtpc_error *err)
{
	const struct smtpc_batch_item *it = &sl->item;

	if (it->envelope_from == NULL || it->rcpts == NULL ||
	    it->nrcpts == 0)
		return error_set(err, SMTPC_EINVAL, NULL, "a message given "
		    "by its reader needs envelope_from and rcpts");
	sl->read = it->read;
	sl->read_user = it->read_user;
	sl->rcpts = it->rcpts;
	sl->nrcpts = it->nrcpts;
	sl->from = it->envelope_from;
	sl->flags = it->flags;
	sl->size = it->size;
	sl->prepared = 1;
	return 0;
}

/* What smtpc_session_send_msg works out before sending: its reader. */
static int
batch_prepare(struct batch_run *run, struct batch_slot *sl,
    struct smtpc_error *err)
{
	const struct smtpc_msg *msg = sl->item.msg;
	int rc;

	if (msg == NULL)
		return batch_prepare_raw(sl, err);
	if ((rc = smtpc_reader_new(msg, &sl->r, err)) != 0)
		return rc;
	sl->read = smtpc_reader_read;
	sl->read_user = sl->r;
	if (sl->item.rcpts != NULL) {
		sl->rcpts = sl->item.rcpts;
		sl->nrcpts = sl->item.nrcpts;
	} else if ((rc = send_rcpts(msg, &sl->owned, &sl->nrcpts,
	    err)) != 0)
		return rc;
	else
		sl->rcpts = sl->owned;
	sl->from = sl->item.envelope_from != NULL ? sl->item.envelope_from :
	    smtpc_msg_envelope_from(msg);
	if (sl->from == NULL)
		sl->from = "";
	sl->flags = sl->item.flags;
	if (smtpc_reader_size(sl->r, &sl->size) != 0)
		sl->size = 0;
	if (smtpc_msg_needs_smtputf8(msg))
		sl->flags |= SMTPC_SEND_SMTPUTF8;
	send_8bit(run->s, msg, sl->r, &sl->flags);
	sl->prepared = 1;
	return 0;
}

/* 1 when the caller gave no message (item->error says why). */
static int
batch_unmade(const struct smtpc_batch_item *it)
{
	return it->msg == NULL && it->read == NULL;
}

/* The next item from the caller into a free slot; NULL at the end. */
static struct batch_slot *
batch_take(struct batch_run *run)
{
	struct batch_slot *sl = NULL;
	size_t i;

	if (run->eof || run->canceled)
		return NULL;
	for (i = 0; i < BATCH_SLOTS && sl == NULL; i++)
		if (!run->slot[i].busy)
			sl = &run->slot[i];
	if (sl == NULL)
		return NULL;
	memset(&sl->item, 0, sizeof(sl->item));
	if (run->b->next(run->b->user, &sl->item) != 1) {
		run->eof = 1;
		return NULL;
	}
	sl->busy = 1;
	return sl;
}

/*
 * The final reply of the message in flight, read after whatever envelope
 * was written behind it (flushed here with its end).
 */
static void
batch_finish(struct batch_run *run)
{
	struct smtpc_session *s = run->s;
	struct batch_slot *p = run->pend;
	struct smtpc_error e;
	int rc;

	run->pend = NULL;
	memset(&e, 0, sizeof(e));
	s->res = p->res;
	s->after = SESSION_AFTER_UNSET;
	s->maybe_delivered = 0;
	rc = s->io->flush(s->conn, session_deadline(s, SESSION_T_BLOCK), &e);
	/*
	 * While the server answers: the last accepted message is reported
	 * and the next one is made.
	 */
	if (rc == 0 && run->b->take_ahead)
		batch_report_waiting(run);
	if (rc == 0 && run->look == NULL && run->b->take_ahead &&
	    (run->look = batch_take(run)) != NULL &&
	    !batch_unmade(&run->look->item)) {
		memset(&run->look->prep_err, 0, sizeof(run->look->prep_err));
		run->look->prep_rc = batch_prepare(run, run->look,
		    &run->look->prep_err);
	}
	if (rc != 0) {
		/* The end of the data did not go: nothing is delivered. */
		session_stage(&e, "message");
	} else {
		/* A 421 here: QUIT reads the envelope's replies first. */
		s->unanswered = s->prewritten;
		rc = session_final(s, p->accepted, p->nrcpts,
		    s->prewritten > 0, &e);
	}
	if (rc == 0) {
		s->unanswered = 0;
		session_set_state(s, SESSION_READY);
		result_set_status(p->res, 0, NULL, 0);
		s->res = NULL;
		if (run->b->take_ahead) {
			batch_report_waiting(run);
			run->waiting = p;
			return;
		}
	} else {
		e.code = rc;
		rc = session_settle(s, &e, NULL);
		s->unanswered = 0;
		result_set_status(p->res, rc, &e, s->maybe_delivered);
	}
	s->res = NULL;
	batch_report(run, p);
}

/*
 * The transaction of `sl` up to the end of its data, left unflushed; its
 * final reply comes with the next envelope (batch_finish).
 */
static void
batch_start(struct batch_run *run, struct batch_slot *sl)
{
	struct smtpc_session *s = run->s;
	struct smtpc_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	s->after = SESSION_AFTER_UNSET;
	s->maybe_delivered = 0;
	s->sent = 0;
	s->msg_size = sl->size;
	if (session_result_start(s, sl->res, sl->from, sl->rcpts,
	    sl->nrcpts) != 0)
		rc = error_set(&e, SMTPC_ENOMEM, NULL, "out of memory");
	else {
		s->defer_flush = 1;
		rc = session_transaction(s, sl->from, sl->rcpts, sl->nrcpts,
		    sl->read, sl->read_user, sl->flags, 1, &sl->accepted, &e);
		s->defer_flush = 0;
	}
	s->msg_size = 0;
	if (rc == 0) {
		run->pend = sl;
		return;
	}
	e.code = rc;
	rc = session_settle(s, &e, NULL);
	result_set_status(s->res, rc, &e, s->maybe_delivered);
	s->res = NULL;
	batch_report(run, sl);
}

/*
 * The envelope of `sl` written behind the message in flight, when it
 * fits in one pipelined write.  A check that fails is `sl`'s refusal,
 * returned with nothing written.
 */
static int
batch_prewrite(struct batch_run *run, struct batch_slot *sl,
    struct smtpc_error *err)
{
	struct smtpc_session *s = run->s;
	size_t written = 0;
	int rc, utf8 = 0, chunking;

	if ((rc = session_send_check(s, sl->from, sl->rcpts, sl->nrcpts,
	    sl->read, sl->flags, &utf8, err)) != 0)
		return rc;
	/* A cancel asked for now is seen before anything of it is out. */
	if (s->cancel)
		return 0;
	chunking = (s->caps.flags & REPLY_CAP_CHUNKING) &&
	    !(sl->flags & SMTPC_SEND_NO_CHUNKING);
	s->msg_size = sl->size;
	rc = session_envelope_write(s, sl->from, sl->rcpts, sl->nrcpts, utf8,
	    sl->flags, !chunking, &written, err);
	s->msg_size = 0;
	/* A write that failed is the connection's: the flush will say. */
	s->prewritten = rc == 0 ? written : 0;
	memset(err, 0, sizeof(*err));
	return 0;
}

static void
batch_sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --rate: wait for the next message's slot (the last reply read first). */
static void
batch_pace(struct batch_run *run)
{
	int64_t now, gap;

	if (run->b->rate_per_min == 0)
		return;
	gap = 60000 / (int64_t)run->b->rate_per_min;
	now = run->s->io->now_ms();
	if (run->next_ms > now) {
		if (run->pend != NULL)
			batch_finish(run);
		batch_sleep_ms(run->next_ms - now);
		now = run->next_ms;
	}
	run->next_ms = now + gap;
}

/* A connection for the next message; 0 when the session is ready. */
static int
batch_connect(struct batch_run *run)
{
	struct smtpc_session *s = run->s;
	struct smtpc_error ignored;

	if (run->pend != NULL || smtpc_session_is_ready(s))
		return 0;
	if (run->open_failed)
		return run->open_err.code;
	if (s->conn != NULL)
		(void)smtpc_session_quit(s, &ignored);
	run->on_conn = 0;
	memset(&run->open_err, 0, sizeof(run->open_err));
	if (smtpc_session_open(s, &run->open_err) == 0)
		return 0;
	if (run->open_err.code == 0)
		run->open_err.code = SMTPC_ECONN;
	run->open_failed = 1;
	return run->open_err.code;
}

/* One item through: prepared, paced, pipelined behind the last one. */
static void
batch_one(struct batch_run *run, struct batch_slot *cur)
{
	struct smtpc_session *s = run->s;
	struct smtpc_error ignored, e;
	int rc;

	for (;;) {
		memset(&e, 0, sizeof(e));
		if ((rc = batch_connect(run)) != 0) {
			batch_fail(run, cur, rc, &run->open_err);
			return;
		}
		if (cur->prep_rc != 0 || (!cur->prepared &&
		    (rc = batch_prepare(run, cur, &e)) != 0)) {
			if (cur->prep_rc != 0) {
				rc = cur->prep_rc;
				e = cur->prep_err;
			}
			if (run->pend != NULL)
				batch_finish(run);
			batch_fail(run, cur, rc, &e);
			return;
		}
		if (run->b->max_per_connection != 0 &&
		    run->on_conn >= run->b->max_per_connection) {
			if (run->pend != NULL)
				batch_finish(run);
			(void)smtpc_session_quit(s, &ignored);
			continue;
		}
		if (run->pend == NULL)
			break;
		if ((rc = batch_prewrite(run, cur, &e)) != 0) {
			batch_finish(run);
			batch_fail(run, cur, rc, &e);
			return;
		}
		batch_finish(run);
		if (smtpc_session_is_ready(s))
			break;
		/* Closed under it: its envelope was never answered. */
		s->prewritten = 0;
	}
	run->on_conn++;
	batch_start(run, cur);
}

int
smtpc_session_send_many(struct smtpc_session *s, const struct smtpc_batch *b,
    struct smtpc_error *err)
{
	struct batch_run run;
	struct batch_slot *cur;
	int i, rc;

	if (s == NULL || b == NULL || b->size == 0 || b->next == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "no session or no batch (smtpc_batch_init)");
	if (s->state != SESSION_INIT && s->state != SESSION_CLOSED &&
	    !smtpc_session_is_ready(s))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "session is busy");
	memset(&run, 0, sizeof(run));
	run.s = s;
	run.b = b;
	for (i = 0; i < BATCH_SLOTS; i++)
		if ((run.slot[i].res = smtpc_result_new()) == NULL) {
			while (i-- > 0)
				smtpc_result_free(run.slot[i].res);
			return error_set(err, SMTPC_ENOMEM, NULL,
			    "out of memory");
		}
	while (!run.canceled) {
		/*
		 * A source that may block (a pipe) must not hold the end of
		 * the message in flight in our buffer while it waits.
		 */
		if (run.look == NULL && run.pend != NULL && !b->take_ahead) {
			struct smtpc_error ignored;

			(void)s->io->flush(s->conn, session_deadline(s,
			    SESSION_T_BLOCK), &ignored);
		}
		if ((cur = run.look) != NULL)
			run.look = NULL;
		else if ((cur = batch_take(&run)) == NULL)
			break;
		if (batch_unmade(&cur->item)) {
			/* Unmade: its result, in its turn. */
			if (run.pend != NULL)
				batch_finish(&run);
			batch_fail(&run, cur, cur->item.error.code != 0 ?
			    cur->item.error.code : SMTPC_EINVAL,
			    &cur->item.error);
			continue;
		}
		batch_pace(&run);
		batch_one(&run, cur);
	}
	if (run.pend != NULL)
		batch_finish(&run);
	batch_report_waiting(&run);
	/* Taken ahead, then canceled: its result says it was not sent. */
	if (run.look != NULL) {
		struct smtpc_error e;

		memset(&e, 0, sizeof(e));
		e.code = SMTPC_ECANCELED;
		snprintf(e.message, sizeof(e.message),
		    "not sent: the batch was canceled");
		batch_fail(&run, run.look, SMTPC_ECANCELED, &e);
	}
	for (i = 0; i < BATCH_SLOTS; i++)
		smtpc_result_free(run.slot[i].res);
	rc = run.canceled ? SMTPC_ECANCELED : run.first.code;
	if (rc != 0 && err != NULL) {
		*err = run.first;
		err->code = rc;
	}
	return rc;
}
