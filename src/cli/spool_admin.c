/* SPDX-License-Identifier: ISC */
/*
 * spool_admin.c - the mail queue for its user: listing it (without
 * locking: 10,000 entries well under half a second), showing, dropping,
 * holding and releasing an entry, sweeping what dead processes left, and
 * the failure report for the sender.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool_int.h"

/* Listing. */

/* 1 when no process holds the entry open on `fd` (read without its lock). */
static int
spool_lock_free(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		return 0;
	flock(fd, LOCK_UN);
	return 1;
}

static int
spool_cmp_entries(const void *a, const void *b)
{
	const struct spool_entry *x = *(struct spool_entry *const *)a;
	const struct spool_entry *y = *(struct spool_entry *const *)b;
	int c = strcmp(x->id, y->id);

	/* The same ID in both: the one in failed/ sorts first and wins. */
	return c != 0 ? c : y->in_failed - x->in_failed;
}

static int
spool_bsearch_name(char **v, size_t n, const char *key)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(v[mid], key)) == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
spool_list_problem(struct spool_list *l, const char *text)
{
	char **np, *s;

	if ((s = strdup(text)) == NULL)
		return -1;
	if ((np = realloc(l->problem, (l->nproblem + 1) * sizeof(*np))) ==
	    NULL) {
		free(s);
		return -1;
	}
	l->problem = np;
	np[l->nproblem++] = s;
	return 0;
}

/*
 * Read one entry without its lock for listing or showing; an interrupted
 * send (state sending, lock free) is shown as what it now is, uncertain.
 */
static int
spool_peek(struct spool *sp, int sub, const char *id, int have_st,
    struct spool_entry **ret, struct smtpc_error *err)
{
	struct spool_entry *e;
	int fd, rc;

	fd = openat(
	    sp->sub[sub], id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return spool_fail(err, SMTPC_ENOINPUT,
			    "no entry %s in %s", id, sp->dir);
		return spool_fail_errno(err, errno, sp, "open", sub, id);
	}
	if ((e = malloc(sizeof(*e))) == NULL) {
		close(fd);
		return spool_oom(err);
	}
	spool_entry_init(e);
	if ((rc = spool_read_entry(sp, sub, id, fd, have_st, e, err)) != 0) {
		close(fd);
		spool_entry_free(e);
		return rc;
	}
	if (e->state == SPOOL_SENDING && spool_lock_free(fd))
		spool_interrupted(e);
	e->fd = fd;
	*ret = e;
	return 0;
}

int
spool_list(struct spool *sp, unsigned flags, struct spool_list *out,
    struct smtpc_error *err)
{
	struct spool_entry **ne, *e;
	struct smtpc_error one;
	char **names, stname[SPOOL_ID_SIZE + 16], msg[PATH_MAX + 80];
	size_t n, i, k, cap = 0;
	int sub, rc, have;

	memset(out, 0, sizeof(*out));
	for (sub = SPOOL_QUEUE; sub <= SPOOL_FAILDIR; sub++) {
		if (sub == SPOOL_FAILDIR && !(flags & SPOOL_LIST_FAILED))
			break;
		if ((rc = spool_read_names(sp, sub, &names, &n, err)) != 0)
			goto fail;
		for (i = 0; i < n; i++) {
			if (spool_has_suffix(names[i], ".st") ||
			    spool_has_suffix(names[i], ".sending") ||
			    spool_has_suffix(names[i], ".report"))
				continue;
			if (!spool_id_valid(names[i])) {
				snprintf(msg, sizeof(msg),
				    "%s/%s/%s: not a "
				    "queue entry (a file smtpc did not write?)",
				    sp->dir, spool_dir_names[sub], names[i]);
				if (spool_list_problem(out, msg) != 0)
					goto oom_names;
				continue;
			}
			snprintf(stname, sizeof(stname), "%s.st", names[i]);
			have = spool_bsearch_name(names, n, stname) ?
			    SPOOL_HAVE_ST : 0;
			snprintf(stname, sizeof(stname), "%s.sending",
			    names[i]);
			if (spool_bsearch_name(names, n, stname))
				have |= SPOOL_HAVE_SENDING;
			rc = spool_peek(sp, sub, names[i], have, &e, &one);
			if (rc == SMTPC_ENOINPUT)
				continue; /* sent or moved meanwhile */
			if (rc == SMTPC_ENOMEM)
				goto oom_names;
			if (rc != 0) {
				if (spool_list_problem(out, one.message) != 0)
					goto oom_names;
				continue;
			}
			/* Listing needs no file open: 10,000 entries. */
			close(e->fd);
			e->fd = -1;
			if (out->n == cap) {
				cap = cap != 0 ? cap * 2 : 64;
				ne = realloc(out->entry, cap * sizeof(*ne));
				if (ne == NULL) {
					spool_entry_free(e);
					goto oom_names;
				}
				out->entry = ne;
			}
			out->entry[out->n++] = e;
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if (out->n > 1)
		qsort(
		    out->entry, out->n, sizeof(*out->entry), spool_cmp_entries);
	/* Seen in queue/ and then in failed/ while it moved: keep one. */
	for (i = k = 0; i < out->n; i++) {
		if (k > 0 &&
		    strcmp(out->entry[k - 1]->id, out->entry[i]->id) == 0) {
			spool_entry_free(out->entry[i]);
			continue;
		}
		out->entry[k++] = out->entry[i];
	}
	out->n = k;
	return 0;
oom_names:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	rc = spool_oom(err);
fail:
	spool_list_free(out);
	return rc;
}

void
spool_list_free(struct spool_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		spool_entry_free(l->entry[i]);
	for (i = 0; i < l->nproblem; i++)
		free(l->problem[i]);
	free(l->entry);
	free(l->problem);
	memset(l, 0, sizeof(*l));
}

int
spool_load(struct spool *sp, const char *id, struct spool_entry **ret,
    struct smtpc_error *err)
{
	int rc;

	if (!spool_id_valid(id))
		return spool_fail(
		    err, SMTPC_ENOINPUT, "\"%s\" is not a queue ID", id);
	rc = spool_peek(sp, SPOOL_QUEUE, id, -1, ret, err);
	if (rc == SMTPC_ENOINPUT)
		rc = spool_peek(sp, SPOOL_FAILDIR, id, -1, ret, err);
	return rc;
}

/* The commands on one entry. */

/* Lock an entry of queue/ (or failed/ when `failed_too`) for the admin. */
static int
spool_admin_lock(struct spool *sp, const char *id, int failed_too,
    struct spool_entry **ret, struct smtpc_error *err)
{
	int busy, rc;

	rc = spool_lock_entry(sp, SPOOL_QUEUE, id, ret, &busy, err);
	if (rc == SMTPC_ENOINPUT && !busy && failed_too && spool_id_valid(id)) {
		rc = spool_lock_entry(sp, SPOOL_FAILDIR, id, ret, &busy, err);
		if (rc == SMTPC_ENOINPUT)
			return spool_fail(err, SMTPC_ENOINPUT,
			    "no entry %s in the queue %s", id, sp->dir);
	}
	return rc;
}

int
spool_drop(struct spool *sp, const char *id, struct smtpc_error *err)
{
	struct spool_entry *e;
	int rc;

	if ((rc = spool_admin_lock(sp, id, 1, &e, err)) != 0)
		return rc;
	rc = spool_remove_files(sp, e, err);
	spool_entry_free(e);
	return rc;
}

static int
spool_hold_release(
    struct spool *sp, const char *id, int hold, struct smtpc_error *err)
{
	struct spool_entry *e;
	struct stat st;
	int gone, rc;

	if ((rc = spool_admin_lock(sp, id, 0, &e, err)) != 0) {
		if (rc == SMTPC_ENOINPUT && spool_id_valid(id) &&
		    fstatat(sp->sub[SPOOL_FAILDIR], id, &st,
			AT_SYMLINK_NOFOLLOW) == 0)
			return spool_fail(err, SMTPC_EINVAL,
			    "entry %s has failed: nothing to %s (drop it "
			    "instead)",
			    id, hold ? "hold" : "release");
		return rc;
	}
	if ((rc = spool_settle(sp, e, &gone, err)) != 0 || gone) {
		if (rc == 0)
			rc = spool_fail(err, SMTPC_ENOINPUT,
			    "entry %s was finished meanwhile", id);
		goto out;
	}
	if (hold && e->state == SPOOL_HELD)
		goto out;
	if (!hold && e->state != SPOOL_HELD) {
		rc = spool_fail(err, SMTPC_EINVAL, "entry %s is not held", id);
		goto out;
	}
	if (hold)
		e->state = SPOOL_HELD;
	else {
		int done;

		e->state = spool_derive(e, &done);
		e->next_attempt = spool_now(sp);
	}
	if (spool_log_add(e, spool_now(sp), hold ? "held" : "released") != 0) {
		rc = spool_oom(err);
		goto out;
	}
	rc = spool_write_state(sp, SPOOL_QUEUE, e, err);
out:
	spool_entry_free(e);
	return rc;
}

int
spool_hold(struct spool *sp, const char *id, struct smtpc_error *err)
{
	return spool_hold_release(sp, id, 1, err);
}

int
spool_release(struct spool *sp, const char *id, struct smtpc_error *err)
{
	return spool_hold_release(sp, id, 0, err);
}

/* 1 unless DIR/name is known not to exist. */
static int
spool_exists(struct spool *sp, int sub, const char *name)
{
	struct stat st;

	return fstatat(sp->sub[sub], name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT;
}

/* A tmp/ file nobody holds and older than the grace time: unlinked. */
static int
spool_sweep_tmp(struct spool *sp, const char *name)
{
	struct stat a, b;
	struct timespec now;
	int fd, gone = 0;

	fd = openat(sp->sub[SPOOL_TMP], name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/*
	 * The fine clock, as file times are now kept (multigrain): time()
	 * may still say the second before a file's mtime.
	 */
	clock_gettime(CLOCK_REALTIME, &now);
	if (fstat(fd, &a) == 0 &&
	    (int64_t)now.tv_sec - (int64_t)a.st_mtime >= sp->tmp_grace &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(sp->sub[SPOOL_TMP], name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	    unlinkat(sp->sub[SPOOL_TMP], name, 0) == 0)
		gone = 1;
	close(fd);
	return gone;
}

int
spool_sweep(struct spool *sp, size_t *ret_removed, struct smtpc_error *err)
{
	char **names, id[SPOOL_ID_SIZE];
	size_t n, i, removed = 0, k;
	int sub, rc, orphan;

	if ((rc = spool_read_names(sp, SPOOL_TMP, &names, &n, err)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		removed += (size_t)spool_sweep_tmp(sp, names[i]);
		free(names[i]);
	}
	free(names);
	for (sub = SPOOL_QUEUE; sub <= SPOOL_FAILDIR; sub++) {
		if ((rc = spool_read_names(sp, sub, &names, &n, err)) != 0)
			return rc;
		for (i = 0; i < n; i++) {
			k = spool_has_suffix(names[i], ".st")	     ? 3
			    : spool_has_suffix(names[i], ".report")  ? 7
			    : spool_has_suffix(names[i], ".sending") ? 8
								     : 0;
			if (k == 0 || strlen(names[i]) - k >= sizeof(id))
				continue;
			snprintf(id, sizeof(id), "%.*s",
			    (int)(strlen(names[i]) - k), names[i]);
			if (!spool_id_valid(id))
				continue;
			/*
			 * Entries move from queue/ to failed/ only, so
			 * looking in that order cannot miss one moving.
			 */
			orphan = !spool_exists(sp, SPOOL_QUEUE, id) &&
			    (sub == SPOOL_QUEUE ||
				!spool_exists(sp, SPOOL_FAILDIR, id));
			if (orphan && unlinkat(sp->sub[sub], names[i], 0) == 0)
				removed++;
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if (ret_removed != NULL)
		*ret_removed = removed;
	return 0;
}

/* The failure report. */

/* Server or user text on a line of the report, control bytes escaped. */
static void
spool_report_text(FILE *fp, const char *s)
{
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
}

static void
spool_report_time(FILE *fp, int64_t t)
{
	char buf[64];
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
		fputs(buf, fp);
	else
		fprintf(fp, "%lld", (long long)t);
}

int
spool_report_write(const struct spool_entry *e, FILE *fp)
{
	size_t i, nfail = 0, ndone = 0, nunc = 0;

	for (i = 0; i < e->nrcpt; i++) {
		nfail += e->rcpt[i].state == SPOOL_RCPT_FAILED;
		ndone += e->rcpt[i].state == SPOOL_RCPT_DONE;
		nunc += e->rcpt[i].state == SPOOL_RCPT_UNCERTAIN;
	}
	fputs("This is smtpc, on this computer, about a message it had "
	      "queued.\n\n",
	    fp);
	for (i = 0; i < e->nrcpt; i++) {
		if (e->rcpt[i].state != SPOOL_RCPT_FAILED)
			continue;
		fputs("Your message to ", fp);
		spool_report_text(fp, e->rcpt[i].addr);
		fputs(" could not be delivered:\n    ", fp);
		if (e->rcpt[i].code != 0)
			fprintf(fp, "%d ", e->rcpt[i].code);
		spool_report_text(fp,
		    e->rcpt[i].text != NULL ? e->rcpt[i].text
			: e->error != NULL  ? e->error
					    : "no reason was recorded");
		fputs("\n\n", fp);
	}
	if (ndone > 0) {
		fputs("It was delivered to:", fp);
		for (i = 0; i < e->nrcpt; i++)
			if (e->rcpt[i].state == SPOOL_RCPT_DONE) {
				fputs(" ", fp);
				spool_report_text(fp, e->rcpt[i].addr);
			}
		fputs("\n", fp);
	}
	if (nunc > 0) {
		fputs("Whether it reached these is not known (the connection "
		      "was lost after the\nmessage was sent):",
		    fp);
		for (i = 0; i < e->nrcpt; i++)
			if (e->rcpt[i].state == SPOOL_RCPT_UNCERTAIN) {
				fputs(" ", fp);
				spool_report_text(fp, e->rcpt[i].addr);
			}
		fputs("\n", fp);
	}
	if (ndone > 0 || nunc > 0)
		fputs("\n", fp);
	fputs("The message:\n    queued    ", fp);
	spool_report_time(fp, e->created);
	fprintf(fp, " as %s\n    from      ", e->id);
	spool_report_text(fp, e->from[0] != '\0' ? e->from : "<>");
	if (e->account != NULL) {
		fputs("\n    account   ", fp);
		spool_report_text(fp, e->account);
	}
	if (e->message_id != NULL) {
		fputs("\n    id        ", fp);
		spool_report_text(fp, e->message_id);
	}
	fprintf(fp, "\n    size      %llu bytes, %u attempt%s\n\n",
	    (unsigned long long)e->size, e->attempts,
	    e->attempts == 1 ? "" : "s");
	fprintf(fp,
	    "It is kept until you remove it: \"smtpc queue show %s\" "
	    "prints it,\n\"smtpc queue drop %s\" removes it.\n",
	    e->id, e->id);
	(void)nfail;
	return ferror(fp) ? -1 : 0;
}

int
spool_report_save(struct spool *sp, const struct spool_entry *e, char *path,
    size_t size, struct smtpc_error *err)
{
	char tmp[SPOOL_ID_SIZE + 64], name[SPOOL_ID_SIZE + 16];
	FILE *fp;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.report.%ld.%u", e->id, (long)getpid(),
	    spool_unique());
	snprintf(name, sizeof(name), "%s.report", e->id);
	fd = openat(sp->sub[SPOOL_TMP], tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return spool_fail_errno(
		    err, errno, sp, "create", SPOOL_TMP, tmp);
	(void)flock(fd, LOCK_EX | LOCK_NB);
	if ((fp = fdopen(fd, "w")) == NULL) {
		rc = spool_fail_errno(err, errno, sp, "write", SPOOL_TMP, tmp);
		close(fd);
		goto fail;
	}
	if (spool_report_write(e, fp) != 0 || fflush(fp) != 0 ||
	    spool_sync_later(sp, fd) != 0) {
		rc = spool_fail_errno(
		    err, errno != 0 ? errno : EIO, sp, "write", SPOOL_TMP, tmp);
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0) {
		rc = spool_fail_errno(err, errno, sp, "write", SPOOL_TMP, tmp);
		goto fail;
	}
	if (renameat(sp->sub[SPOOL_TMP], tmp, sp->sub[SPOOL_FAILDIR], name) !=
	    0) {
		rc = spool_fail_errno(
		    err, errno, sp, "create", SPOOL_FAILDIR, name);
		goto fail;
	}
	if (spool_sync_later(sp, sp->sub[SPOOL_FAILDIR]) != 0)
		return spool_fail_errno(
		    err, errno, sp, "sync", SPOOL_FAILDIR, NULL);
	if (path != NULL &&
	    snprintf(path, size, "%s/failed/%s", sp->dir, name) >= (int)size)
		return spool_fail(
		    err, SMTPC_ELIMIT, "the report's path is too long");
	return 0;
fail:
	unlinkat(sp->sub[SPOOL_TMP], tmp, 0);
	return rc;
}
