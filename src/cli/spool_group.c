/* SPDX-License-Identifier: ISC */
/*
 * spool_group.c - group commit for a queue run, and what a run that the
 * computer stopped under leaves to do.
 *
 * Why.  A run that syncs every change as it makes it pays three fsyncs a
 * message ("sending" written, then the entry removed), and on a disk
 * where an fsync costs 100 us that is the whole cost of flushing a queue:
 * twenty times slower than sending the same messages straight.  Yet what
 * a process crash needs is only that each change reaches the kernel in
 * the right order (the page cache outlives a killed process); only a
 * crash of the computer itself loses what was not synced.
 *
 * How.  The run keeps a journal, run/PID.N, locked while it runs.  Before
 * it claims an entry it writes the entry's ID there ("id ID", synced, for
 * up to SPOOL_GROUP_WINDOW entries at once); its changes to entries then
 * go to the kernel unsynced, in the same order as ever; when it is done
 * with SPOOL_GROUP_WINDOW entries (or at the end) it syncs the whole file
 * system once (syncfs) and writes "done ID" for each, synced.  So per
 * window of messages: three flushes instead of three per message.
 *
 * Recovery (spool_recover, before a run collects what is due).  A
 * journal nobody holds belongs to a run that died.  When it was written
 * in this boot of the computer, the page cache kept every change: the
 * entries say the truth (a message found "sending" becomes uncertain as
 * always) and the journal is removed.  When it was written in an earlier
 * boot, any change after its last "done" may be lost, so every entry it
 * names without "done" that is still queued may have been sent: its
 * recipients not known to be done or failed become uncertain, written
 * and synced, never sent again unless asked.  Cautious (a message the run
 * had not reached yet is held too), never a blind double send.  Without a
 * boot ID (not Linux) there is no group commit: every change is synced.
 */
#define _GNU_SOURCE /* syncfs */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "spool_int.h"

#define SPOOL_GROUP_BOOT_LEN 64
#define SPOOL_JOURNAL_MAX (64u << 20)

struct spool_journal {
	int fd;
	char name[64];
	char **pending; /* released since the last commit */
	size_t npending;
};

static const char spool_journal_magic[] = "smtpc-run 1\n";

/* This boot's ID (Linux), or "" when there is none. */
static void
spool_boot_id(char *buf, size_t cap)
{
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "re");
	size_t n;

	buf[0] = '\0';
	if (fp == NULL)
		return;
	if (fgets(buf, (int)cap, fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
}

static int
spool_journal_write(struct spool *sp, const char *text, size_t len,
    struct smtpc_error *err)
{
	struct spool_journal *j = sp->journal;
	ssize_t n;

	while (len > 0) {
		if ((n = write(j->fd, text, len)) < 0) {
			if (errno == EINTR)
				continue;
			return spool_fail_errno(err, errno, sp, "write",
			    SPOOL_RUNDIR, j->name);
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
spool_journal_sync(struct spool *sp, struct smtpc_error *err)
{
	while (fdatasync(sp->journal->fd) != 0)
		if (errno != EINTR)
			return spool_fail_errno(err, errno, sp, "sync",
			    SPOOL_RUNDIR, sp->journal->name);
	return 0;
}

int
spool_group_start(struct spool *sp, struct smtpc_error *err)
{
	char boot[SPOOL_GROUP_BOOT_LEN], head[SPOOL_GROUP_BOOT_LEN + 32];
	struct spool_journal *j;
	int rc;

	if (sp->journal != NULL)
		return 0;
	spool_boot_id(boot, sizeof(boot));
	if (boot[0] == '\0')
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return spool_oom(err);
	snprintf(j->name, sizeof(j->name), "%ld.%u", (long)getpid(),
	    spool_unique());
	j->fd = openat(sp->sub[SPOOL_RUNDIR], j->name, O_WRONLY | O_CREAT |
	    O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		rc = spool_fail_errno(err, errno, sp, "create", SPOOL_RUNDIR,
		    j->name);
		free(j);
		return rc;
	}
	(void)flock(j->fd, LOCK_EX | LOCK_NB);
	sp->journal = j;
	snprintf(head, sizeof(head), "%sboot %s\n", spool_journal_magic, boot);
	if ((rc = spool_journal_write(sp, head, strlen(head), err)) != 0 ||
	    (rc = spool_journal_sync(sp, err)) != 0 ||
	    spool_fsync(sp->sub[SPOOL_RUNDIR]) != 0) {
		if (rc == 0)
			rc = spool_fail_errno(err, errno, sp, "sync",
			    SPOOL_RUNDIR, NULL);
		spool_group_free(sp);
		return rc;
	}
	sp->group = 1;
	return 0;
}

int
spool_group_note(struct spool *sp, const char *const *ids, size_t n,
    struct smtpc_error *err)
{
	char line[SPOOL_ID_SIZE + 8];
	size_t i;
	int rc;

	if (sp->journal == NULL || n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "id %s\n", ids[i]);
		if ((rc = spool_journal_write(sp, line, strlen(line),
		    err)) != 0)
			return rc;
	}
	if ((rc = spool_journal_sync(sp, err)) != 0)
		return rc;
	SPOOL_CRASH("group-noted");
	return 0;
}

int
spool_group_commit(struct spool *sp, struct smtpc_error *err)
{
	struct spool_journal *j = sp->journal;
	char line[SPOOL_ID_SIZE + 8];
	size_t i;
	int rc = 0;

	if (j == NULL || j->npending == 0)
		return 0;
	if (syncfs(sp->dfd) != 0)
		return spool_fail_errno(err, errno, sp, "sync", -1, NULL);
	SPOOL_CRASH("group-synced");
	for (i = 0; i < j->npending && rc == 0; i++) {
		snprintf(line, sizeof(line), "done %s\n", j->pending[i]);
		rc = spool_journal_write(sp, line, strlen(line), err);
	}
	if (rc == 0)
		rc = spool_journal_sync(sp, err);
	for (i = 0; i < j->npending; i++)
		free(j->pending[i]);
	j->npending = 0;
	return rc;
}

int
spool_group_release(struct spool *sp, const char *id, struct smtpc_error *err)
{
	struct spool_journal *j = sp->journal;
	char **p;

	if (j == NULL)
		return 0;
	if (j->npending % SPOOL_GROUP_WINDOW == 0) {
		p = realloc(j->pending,
		    (j->npending + SPOOL_GROUP_WINDOW) * sizeof(*p));
		if (p == NULL)
			return spool_oom(err);
		j->pending = p;
	}
	if ((j->pending[j->npending] = strdup(id)) == NULL)
		return spool_oom(err);
	j->npending++;
	if (j->npending >= SPOOL_GROUP_WINDOW)
		return spool_group_commit(sp, err);
	return 0;
}

int
spool_group_finish(struct spool *sp, struct smtpc_error *err)
{
	int rc;

	if (sp->journal == NULL)
		return 0;
	rc = spool_group_commit(sp, err);
	/* Every change is synced: the journal has nothing left to say. */
	if (rc == 0)
		unlinkat(sp->sub[SPOOL_RUNDIR], sp->journal->name, 0);
	spool_group_free(sp);
	return rc;
}

void
spool_group_free(struct spool *sp)
{
	struct spool_journal *j = sp->journal;
	size_t i;

	sp->group = 0;
	if (j == NULL)
		return;
	for (i = 0; i < j->npending; i++)
		free(j->pending[i]);
	free(j->pending);
	if (j->fd >= 0)
		close(j->fd);
	free(j);
	sp->journal = NULL;
}

/* Recovery. */

/* The journal's text (NUL-terminated), read whole. */
static int
spool_journal_read(struct spool *sp, int fd, const char *name, char **ret,
    struct smtpc_error *err)
{
	char *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (len + 4096 + 1 > cap) {
			if (cap >= SPOOL_JOURNAL_MAX) {
				free(buf);
				return spool_fail(err, SMTPC_EDATA,
				    "%s/run/%s: too large for a queue journal",
				    sp->dir, name);
			}
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(buf, cap)) == NULL) {
				free(buf);
				return spool_oom(err);
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return spool_fail_errno(err, errno, sp, "read",
			    SPOOL_RUNDIR, name);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

static int
spool_journal_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The IDs a journal names without a "done" after them: its lines split
 * in place in `text`, the "done" ones sorted once so that each "id" line
 * costs a binary search.  *ret (malloc'ed) points into `text`.
 */
static int
spool_journal_open_ids(char *text, char ***ret, size_t *ret_n,
    struct smtpc_error *err)
{
	char **ids, **done, *line, *next;
	size_t nlines = 1, nids = 0, ndone = 0, i, n = 0;

	for (line = text; *line != '\0'; line++)
		nlines += *line == '\n';
	ids = calloc(nlines, sizeof(*ids));
	done = calloc(nlines, sizeof(*done));
	if (ids == NULL || done == NULL) {
		free(ids);
		free(done);
		return spool_oom(err);
	}
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "id ", 3) == 0 && spool_id_valid(line + 3))
			ids[nids++] = line + 3;
		else if (strncmp(line, "done ", 5) == 0)
			done[ndone++] = line + 5;
	}
	qsort(done, ndone, sizeof(*done), spool_journal_cmp);
	for (i = 0; i < nids; i++)
		if (bsearch(&ids[i], done, ndone, sizeof(*done),
		    spool_journal_cmp) == NULL)
			ids[n++] = ids[i];
	free(done);
	*ret = ids;
	*ret_n = n;
	return 0;
}

/*
 * An entry a run of an earlier boot may have sent: what was not known
 * done or failed becomes uncertain (written and synced).
 */
static int
spool_recover_entry(struct spool *sp, const char *id, size_t *held,
    struct smtpc_error *err)
{
	struct spool_entry *e = NULL;
	size_t i;
	int busy, gone, rc, changed = 0;

	rc = spool_lock_entry(sp, SPOOL_QUEUE, id, &e, &busy, err);
	if (rc == SMTPC_ENOINPUT || busy)
		return 0;
	if (rc != 0)
		return rc;
	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_PENDING) {
			e->rcpt[i].state = SPOOL_RCPT_SENDING;
			changed = 1;
		}
	if (changed && e->state == SPOOL_HELD)
		e->state = SPOOL_QUEUED;
	if (changed && spool_log_add(e, spool_now(sp), "the computer stopped "
	    "during a queue run: the server may have the message") != 0) {
		spool_entry_free(e);
		return spool_oom(err);
	}
	/* "sending" recipients: uncertain, written (synced: no group). */
	rc = spool_settle(sp, e, &gone, err);
	if (rc == 0 && changed)
		(*held)++;
	spool_entry_free(e);
	return rc;
}

/* The boot ID a journal was written in ("" when it names none). */
static void
spool_journal_boot(const char *text, char *buf, size_t cap)
{
	size_t m = sizeof(spool_journal_magic) - 1, n;
	const char *p;

	buf[0] = '\0';
	if (strncmp(text, spool_journal_magic, m) != 0 ||
	    strncmp(text + m, "boot ", 5) != 0)
		return;
	p = text + m + 5;
	n = strcspn(p, "\n");
	if (n >= cap)
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* One journal nobody holds: dealt with, then removed. */
static int
spool_recover_journal(struct spool *sp, const char *name, const char *boot,
    size_t *held, struct smtpc_error *err)
{
	char *text = NULL, jboot[SPOOL_GROUP_BOOT_LEN], **ids = NULL;
	size_t i, n = 0;
	int fd, rc = 0;

	fd = openat(sp->sub[SPOOL_RUNDIR], name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : spool_fail_errno(err, errno, sp,
		    "open", SPOOL_RUNDIR, name);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd); /* a run still going: its own business */
		return 0;
	}
	if ((rc = spool_journal_read(sp, fd, name, &text, err)) != 0) {
		close(fd);
		return rc;
	}
	spool_journal_boot(text, jboot, sizeof(jboot));
	/*
	 * Written in an earlier boot (or this one cannot be told): what it
	 * changed after its last sync may be lost.  In this boot the page
	 * cache kept it all, and the entries say the truth.
	 */
	if (boot[0] == '\0' || strcmp(jboot, boot) != 0)
		rc = spool_journal_open_ids(text, &ids, &n, err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = spool_recover_entry(sp, ids[i], held, err);
	free(ids);
	if (rc == 0) {
		unlinkat(sp->sub[SPOOL_RUNDIR], name, 0);
		(void)spool_fsync(sp->sub[SPOOL_RUNDIR]);
	}
	free(text);
	close(fd);
	return rc;
}

int
spool_recover(struct spool *sp, size_t *ret_held, struct smtpc_error *err)
{
	char boot[SPOOL_GROUP_BOOT_LEN], **names = NULL;
	size_t i, n = 0, held = 0;
	int rc;

	if (ret_held != NULL)
		*ret_held = 0;
	if ((rc = spool_read_names(sp, SPOOL_RUNDIR, &names, &n, err)) != 0)
		return rc;
	spool_boot_id(boot, sizeof(boot));
	for (i = 0; i < n && rc == 0; i++)
		rc = spool_recover_journal(sp, names[i], boot, &held, err);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret_held != NULL)
		*ret_held = held;
	return rc;
}
