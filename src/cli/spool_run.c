/* SPDX-License-Identifier: ISC */
/*
 * spool_run.c - running the mail queue: claiming an entry (its flock),
 * settling what a process that died left half done, the scan for due
 * entries, the outcome of an attempt, the retry schedule, and removing or
 * giving up on an entry.  Why "sending" is written before the final dot
 * and why removals go in the order they do: spool.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

struct spool_due {
	struct spool *sp;
	unsigned flags;
	char **names;
	size_t n, next;
};

/* State transitions. */

/*
 * What the recipients make of the entry; *ret_done is 1 when every one is
 * done (nothing left to keep).
 */
enum spool_state
spool_derive(const struct spool_entry *e, int *ret_done)
{
	size_t i, n[5] = {0, 0, 0, 0, 0};

	for (i = 0; i < e->nrcpt; i++)
		n[e->rcpt[i].state]++;
	*ret_done = n[SPOOL_RCPT_DONE] == e->nrcpt;
	if (n[SPOOL_RCPT_SENDING])
		return SPOOL_SENDING;
	if (n[SPOOL_RCPT_PENDING])
		return SPOOL_QUEUED;
	if (n[SPOOL_RCPT_UNCERTAIN])
		return SPOOL_UNCERTAIN;
	return SPOOL_FAILED;
}

/* The entry's state after a lost send: in-flight recipients uncertain. */
void
spool_interrupted(struct spool_entry *e)
{
	size_t i;
	int done;

	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_SENDING)
			e->rcpt[i].state = SPOOL_RCPT_UNCERTAIN;
	if (e->state == SPOOL_SENDING)
		e->state = spool_derive(e, &done);
	e->interrupted = 1;
}

int
spool_remove_files(
    struct spool *sp, struct spool_entry *e, struct smtpc_error *err)
{
	int sub = e->in_failed ? SPOOL_FAILDIR : SPOOL_QUEUE;
	char name[SPOOL_ID_SIZE + 16];

	/* The entry first: a state record alone is never sent. */
	if (unlinkat(sp->sub[sub], e->id, 0) != 0 && errno != ENOENT)
		return spool_fail_errno(err, errno, sp, "remove", sub, e->id);
	SPOOL_CRASH("remove-entry-unlinked");
	snprintf(name, sizeof(name), "%s.st", e->id);
	unlinkat(sp->sub[sub], name, 0);
	if (sub == SPOOL_QUEUE)
		spool_unmark_sending(sp, e->id);
	/* Reports are written only beside entries given up on. */
	snprintf(name, sizeof(name), "%s.report", e->id);
	if (e->in_failed)
		unlinkat(sp->sub[SPOOL_FAILDIR], name, 0);
	if (spool_sync_later(sp, sp->sub[sub]) != 0)
		return spool_fail_errno(err, errno, sp, "sync", sub, NULL);
	return 0;
}

/* Give up on a claimed entry of queue/: see spool.h for the order. */
static int
spool_move_failed(
    struct spool *sp, struct spool_entry *e, struct smtpc_error *err)
{
	char name[SPOOL_ID_SIZE + 8];
	int rc;

	e->state = SPOOL_FAILED;
	if ((rc = spool_write_state(sp, SPOOL_QUEUE, e, err)) != 0)
		return rc;
	SPOOL_CRASH("fail-queue-state-written");
	if ((rc = spool_write_state(sp, SPOOL_FAILDIR, e, err)) != 0)
		return rc;
	SPOOL_CRASH("fail-failed-state-written");
	if (renameat(sp->sub[SPOOL_QUEUE], e->id, sp->sub[SPOOL_FAILDIR],
		e->id) != 0)
		return spool_fail_errno(
		    err, errno, sp, "move to failed/", SPOOL_QUEUE, e->id);
	SPOOL_CRASH("fail-entry-moved");
	if (spool_sync_later(sp, sp->sub[SPOOL_FAILDIR]) != 0 ||
	    spool_sync_later(sp, sp->sub[SPOOL_QUEUE]) != 0)
		return spool_fail_errno(
		    err, errno, sp, "sync", SPOOL_FAILDIR, NULL);
	e->in_failed = 1;
	snprintf(name, sizeof(name), "%s.st", e->id);
	unlinkat(sp->sub[SPOOL_QUEUE], name, 0);
	return 0;
}

/*
 * Open and lock DIR/id, check that the name still leads to the locked
 * file, and read it.  *ret_busy is set when another process holds it.
 */
int
spool_lock_entry(struct spool *sp, int sub, const char *id,
    struct spool_entry **ret, int *ret_busy, struct smtpc_error *err)
{
	struct spool_entry *e;
	struct stat a, b;
	int fd, rc;

	*ret_busy = 0;
	if (!spool_id_valid(id))
		return spool_fail(
		    err, SMTPC_ENOINPUT, "\"%s\" is not a queue ID", id);
	fd = openat(
	    sp->sub[sub], id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return spool_fail(err, SMTPC_ENOINPUT,
			    "no entry %s in %s/%s", id, sp->dir,
			    spool_dir_names[sub]);
		return spool_fail_errno(err, errno, sp, "open", sub, id);
	}
	SPOOL_CRASH("lock-opened");
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno;
		close(fd);
		if (rc == EWOULDBLOCK) {
			*ret_busy = 1;
			return spool_fail(err, SMTPC_ETEMP,
			    "entry %s is being handled by another smtpc "
			    "process; try again when it is done",
			    id);
		}
		return spool_fail_errno(err, rc, sp, "lock", sub, id);
	}
	/*
	 * Between our open and our lock another runner may have finished
	 * with it: delivered (unlinked) or moved to failed/.
	 */
	if (fstat(fd, &a) != 0 || a.st_nlink == 0 ||
	    fstatat(sp->sub[sub], id, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return spool_fail(err, SMTPC_ENOINPUT, "no entry %s in %s/%s",
		    id, sp->dir, spool_dir_names[sub]);
	}
	if ((e = malloc(sizeof(*e))) == NULL) {
		close(fd);
		return spool_oom(err);
	}
	spool_entry_init(e);
	if ((rc = spool_read_entry(sp, sub, id, fd, -1, e, err)) != 0) {
		close(fd);
		spool_entry_free(e);
		return rc;
	}
	e->fd = fd;
	e->locked = 1;
	*ret = e;
	return 0;
}

/*
 * A just-locked entry of queue/ made consistent and written back: an
 * interrupted send becomes uncertain; an entry whose recipients are all
 * done is removed, one given up on is moved to failed/ (both finish what a
 * process that died had started).  *ret_gone is set in those two cases.
 */
int
spool_settle(struct spool *sp, struct spool_entry *e, int *ret_gone,
    struct smtpc_error *err)
{
	enum spool_state old = e->state, st;
	size_t i;
	int done, change = 0, rc;

	*ret_gone = 0;
	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_SENDING)
			change = 1;
	if (change || old == SPOOL_SENDING) {
		spool_interrupted(e);
		if (spool_log_add(e, spool_now(sp),
			"interrupted while "
			"sending: the server may have the message") != 0)
			return spool_oom(err);
	}
	st = spool_derive(e, &done);
	if (done) {
		*ret_gone = 1;
		return spool_remove_files(sp, e, err);
	}
	if (st == SPOOL_FAILED || old == SPOOL_FAILED) {
		*ret_gone = 1;
		return spool_move_failed(sp, e, err);
	}
	if (old != SPOOL_HELD && st != old) {
		e->state = st;
		change = 1;
	}
	if (change && (rc = spool_write_state(sp, SPOOL_QUEUE, e, err)) != 0)
		return rc;
	return 0;
}

/* 1 when a settled entry is to be sent now under `flags`. */
static int
spool_is_due(
    struct spool *sp, struct spool_entry *e, unsigned flags, int any_time)
{
	size_t i;
	int unc = 0;

	if (e->state == SPOOL_HELD)
		return 0;
	if (flags & SPOOL_DUE_UNCERTAIN) {
		for (i = 0; i < e->nrcpt; i++)
			if (e->rcpt[i].state == SPOOL_RCPT_UNCERTAIN) {
				e->rcpt[i].state = SPOOL_RCPT_PENDING;
				unc = 1;
			}
		if (unc) {
			/* Kept in memory: written only if the runner sends. */
			e->state = SPOOL_QUEUED;
			e->interrupted = 0;
			if (spool_log_add(e, spool_now(sp),
				"sent again "
				"although it may have been delivered (asked "
				"for)") != 0)
				return 0;
			return 1;
		}
	}
	if (e->state != SPOOL_QUEUED)
		return 0;
	return any_time || (flags & SPOOL_DUE_ALL) ||
	    e->next_attempt <= spool_now(sp);
}

int
spool_claim(struct spool *sp, const char *id, unsigned flags,
    struct spool_entry **ret, struct smtpc_error *err)
{
	struct spool_entry *e;
	int busy, gone, rc;

	*ret = NULL;
	if ((rc = spool_lock_entry(sp, SPOOL_QUEUE, id, &e, &busy, err)) != 0)
		return rc;
	if ((rc = spool_settle(sp, e, &gone, err)) != 0 || gone ||
	    !spool_is_due(sp, e, flags, 1)) {
		spool_entry_free(e);
		return rc;
	}
	*ret = e;
	return 0;
}

/* Running the queue. */

int
spool_due_begin(struct spool *sp, unsigned flags, struct spool_due **ret,
    struct smtpc_error *err)
{
	struct spool_due *d;
	int rc;

	/* What runs the computer stopped under left: first. */
	if ((rc = spool_recover(sp, NULL, err)) != 0)
		return rc;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return spool_oom(err);
	d->sp = sp;
	d->flags = flags;
	if ((rc = spool_read_names(sp, SPOOL_QUEUE, &d->names, &d->n, err)) !=
	    0) {
		free(d);
		return rc;
	}
	*ret = d;
	return 0;
}

int
spool_next_due(
    struct spool_due *d, struct spool_entry **ret, struct smtpc_error *err)
{
	struct spool *sp = d->sp;
	struct spool_entry *e;
	const char *name;
	int busy, gone, rc;

	*ret = NULL;
	while (d->next < d->n) {
		name = d->names[d->next++];
		if (spool_has_suffix(name, ".st") ||
		    spool_has_suffix(name, ".sending") ||
		    spool_has_suffix(name, ".report"))
			continue;
		if (!spool_id_valid(name))
			return spool_fail(err, SMTPC_EDATA,
			    "%s/queue/%s: not a queue entry (a file smtpc did "
			    "not write?)",
			    sp->dir, name);
		rc = spool_lock_entry(sp, SPOOL_QUEUE, name, &e, &busy, err);
		if (rc == SMTPC_ENOINPUT || busy)
			continue;
		if (rc != 0)
			return rc;
		if ((rc = spool_settle(sp, e, &gone, err)) != 0) {
			spool_entry_free(e);
			return rc;
		}
		if (gone || !spool_is_due(sp, e, d->flags, 0)) {
			spool_entry_free(e);
			continue;
		}
		SPOOL_CRASH("claimed");
		*ret = e;
		return 1;
	}
	return 0;
}

void
spool_due_end(struct spool_due *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d);
}

int
spool_body_read(
    void *user, void *buf, size_t cap, size_t *ret_len, struct smtpc_error *err)
{
	struct spool_entry *e = user;
	uint64_t left = e->size - e->body_pos;
	size_t want = left < cap ? (size_t)left : cap;
	ssize_t n;

	*ret_len = 0;
	if (want == 0)
		return 0;
	/* Part of the message has gone to the server, not its end. */
	if (e->body_pos > 0)
		SPOOL_CRASH("body-middle");
	do
		n = pread(e->fd, buf, want, (off_t)e->body_pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return spool_fail(err, SMTPC_EIO,
		    "cannot read queued message %s: %s", e->id,
		    n < 0 ? strerror(errno) : "it is shorter than recorded");
	e->body_pos += (uint64_t)n;
	*ret_len = (size_t)n;
	return 0;
}

void
spool_body_rewind(struct spool_entry *e)
{
	e->body_pos = 0;
}

void
spool_set_outcome(struct spool_entry *e, size_t i, enum spool_outcome out,
    int code, const char *text)
{
	struct spool_rcpt *r;

	if (i >= e->nrcpt)
		return;
	r = &e->rcpt[i];
	r->out = out;
	if (code != 0 || text != NULL) {
		r->code = code;
		/* Out of memory: the old text stays; the state is what counts.
		 */
		(void)spool_set_str(&r->text, text);
	}
}

void
spool_set_outcome_all(
    struct spool_entry *e, enum spool_outcome out, int code, const char *text)
{
	size_t i;

	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_PENDING ||
		    e->rcpt[i].state == SPOOL_RCPT_SENDING)
			spool_set_outcome(e, i, out, code, text);
}

int
spool_mark_sending(
    struct spool *sp, struct spool_entry *e, struct smtpc_error *err)
{
	enum spool_state old = e->state;
	char name[SPOOL_ID_SIZE + 16];
	size_t i, n = 0;
	int rc;

	if (!e->locked || e->in_failed)
		return spool_fail(err, SMTPC_EINVAL,
		    "entry %s is not claimed for sending", e->id);
	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_PENDING &&
		    e->rcpt[i].out == SPOOL_OUT_NONE) {
			e->rcpt[i].state = SPOOL_RCPT_SENDING;
			n++;
		}
	if (n == 0)
		return spool_fail(err, SMTPC_EINVAL,
		    "entry %s has no recipient to send to", e->id);
	e->state = SPOOL_SENDING;
	/*
	 * The mark is a second name of the entry file, queue/ID.sending:
	 * one link, no file to create and write (which is what costs, on a
	 * disk that does it slowly), read as "the pending were being sent".
	 */
	snprintf(name, sizeof(name), "%s.sending", e->id);
	if ((linkat(sp->sub[SPOOL_QUEUE], e->id, sp->sub[SPOOL_QUEUE], name,
	    0) != 0 && errno != EEXIST) ||
	    spool_sync_later(sp, sp->sub[SPOOL_QUEUE]) != 0) {
		rc = spool_fail_errno(err, errno, sp, "mark", SPOOL_QUEUE,
		    name);
		for (i = 0; i < e->nrcpt; i++)
			if (e->rcpt[i].state == SPOOL_RCPT_SENDING)
				e->rcpt[i].state = SPOOL_RCPT_PENDING;
		e->state = old;
		return rc;
	}
	SPOOL_CRASH("sending-written");
	return 0;
}

int64_t
spool_backoff(struct spool *sp, unsigned n)
{
	int64_t d = sp->backoff_first, lo, hi;
	unsigned i;

	for (i = 1; i < n && d < sp->backoff_max; i++)
		d *= 2;
	if (d > sp->backoff_max)
		d = sp->backoff_max;
	/* -25%..+25%, never beyond the maximum: runners drift apart. */
	lo = d - d / 4;
	hi = d + d / 4;
	if (hi > sp->backoff_max)
		hi = sp->backoff_max;
	if (lo < 1)
		lo = 1;
	if (hi < lo)
		hi = lo;
	return lo + (int64_t)(spool_rand(sp) % (uint64_t)(hi - lo + 1));
}

/* Past its lifetime: the pending recipients fail with what they last got. */
static int
spool_expire(struct spool *sp, struct spool_entry *e, int64_t now)
{
	char text[SMTPC_ERROR_TEXT_MAX];
	size_t i;
	long days = (long)(sp->lifetime / 86400);

	for (i = 0; i < e->nrcpt; i++) {
		if (e->rcpt[i].state != SPOOL_RCPT_PENDING)
			continue;
		if (days >= 1)
			snprintf(text, sizeof(text),
			    "not delivered within %ld "
			    "day%s; the last try said: %s",
			    days, days == 1 ? "" : "s",
			    e->rcpt[i].text != NULL ? e->rcpt[i].text
				: e->error != NULL  ? e->error
						    : "nothing");
		else
			snprintf(text, sizeof(text),
			    "not delivered within "
			    "%lld seconds; the last try said: %s",
			    (long long)sp->lifetime,
			    e->rcpt[i].text != NULL ? e->rcpt[i].text
				: e->error != NULL  ? e->error
						    : "nothing");
		e->rcpt[i].state = SPOOL_RCPT_FAILED;
		if (spool_set_str(&e->rcpt[i].text, text) != 0)
			return -1;
	}
	return spool_log_add(e, now, "gave up: the queue lifetime is over");
}

int
spool_record(struct spool *sp, struct spool_entry *e, const char *summary,
    enum spool_disposition *ret, struct smtpc_error *err)
{
	char line[SMTPC_ERROR_TEXT_MAX + 32];
	int64_t now = spool_now(sp);
	struct spool_rcpt *r;
	enum spool_state st;
	size_t i;
	int done, rc;

	if (!e->locked || e->in_failed)
		return spool_fail(err, SMTPC_EINVAL,
		    "entry %s is not claimed for sending", e->id);
	SPOOL_CRASH("record-start");
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		if (r->state == SPOOL_RCPT_DONE ||
		    r->state == SPOOL_RCPT_FAILED) {
			r->out = SPOOL_OUT_NONE;
			continue;
		}
		switch (r->out) {
		case SPOOL_OUT_ACCEPTED:
			r->state = SPOOL_RCPT_DONE;
			break;
		case SPOOL_OUT_TEMP:
			r->state = SPOOL_RCPT_PENDING;
			break;
		case SPOOL_OUT_PERM:
			r->state = SPOOL_RCPT_FAILED;
			break;
		case SPOOL_OUT_UNCERTAIN:
			r->state = SPOOL_RCPT_UNCERTAIN;
			break;
		case SPOOL_OUT_NONE:
		default:
			/* Nobody said what became of the dot: assume it went.
			 */
			if (r->state == SPOOL_RCPT_SENDING)
				r->state = SPOOL_RCPT_UNCERTAIN;
			break;
		}
		r->out = SPOOL_OUT_NONE;
	}
	e->attempts++;
	e->last_attempt = now;
	if (spool_set_str(&e->error, summary) != 0)
		return spool_oom(err);
	snprintf(line, sizeof(line), "attempt %u: %s", e->attempts,
	    summary != NULL ? summary : "no summary");
	if (spool_log_add(e, now, line) != 0)
		return spool_oom(err);
	st = spool_derive(e, &done);
	if (done) {
		if ((rc = spool_remove_files(sp, e, err)) != 0)
			return rc;
		*ret = SPOOL_DISP_DELIVERED;
		return 0;
	}
	if (st == SPOOL_QUEUED && now - e->created >= sp->lifetime) {
		if (spool_expire(sp, e, now) != 0)
			return spool_oom(err);
		st = spool_derive(e, &done);
	}
	if (st == SPOOL_FAILED) {
		if ((rc = spool_move_failed(sp, e, err)) != 0)
			return rc;
		*ret = SPOOL_DISP_FAILED;
		return 0;
	}
	if (st == SPOOL_QUEUED)
		e->next_attempt = now + spool_backoff(sp, e->attempts);
	e->state = st;
	if ((rc = spool_write_state(sp, SPOOL_QUEUE, e, err)) != 0)
		return rc;
	*ret = st == SPOOL_QUEUED ? SPOOL_DISP_DEFERRED : SPOOL_DISP_UNCERTAIN;
	return 0;
}
