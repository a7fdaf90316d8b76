/* SPDX-License-Identifier: ISC */
/*
 * spool_entry.c - an entry's files once it is queued: reading the entry
 * and its state record, the "sending" mark (queue/ID.sending), replacing
 * a state record atomically, and the sorted names of a spool directory.
 * spool.h says why each is written the way it is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_int.h"

#define SPOOL_HEAD_READ (16 * 1024)

/* Reading entries. */

/* Read all of a small file (a state record) into a malloc'ed buffer. */
static int
spool_slurp(struct spool *sp, int fd, int sub, const char *name, char **ret,
    size_t *ret_len, struct smtpc_error *err)
{
	struct stat st;
	char *buf;

	if (fstat(fd, &st) != 0)
		return spool_fail_errno(err, errno, sp, "examine", sub, name);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SPOOL_RECORD_MAX)
		return spool_fail(err, SMTPC_EDATA,
		    "%s/%s/%s: not a queue state record (%s)", sp->dir,
		    spool_dir_names[sub], name,
		    !S_ISREG(st.st_mode) ? "not a regular file" : "too large");
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return spool_oom(err);
	if (spool_pread_all(fd, buf, (size_t)st.st_size, 0) != 0) {
		free(buf);
		return spool_fail_errno(err, errno, sp, "read", sub, name);
	}
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

/* 1 when queue/ID.sending exists: a runner was at the end of it. */
static int
spool_marked_sending(struct spool *sp, int sub, const char *id, int have)
{
	char name[SPOOL_ID_SIZE + 16];
	struct stat sb;

	if (sub != SPOOL_QUEUE)
		return 0;
	if (have != SPOOL_HAVE_UNKNOWN)
		return (have & SPOOL_HAVE_SENDING) != 0;
	snprintf(name, sizeof(name), "%s.sending", id);
	return fstatat(sp->sub[sub], name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * The mark read: every recipient still pending when it was made was
 * being sent (spool.h, No blind double send).
 */
static void
spool_apply_sending(struct spool_entry *e)
{
	size_t i;
	int any = 0;

	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_PENDING) {
			e->rcpt[i].state = SPOOL_RCPT_SENDING;
			any = 1;
		}
	if (any)
		e->state = SPOOL_SENDING;
}

void
spool_unmark_sending(struct spool *sp, const char *id)
{
	char name[SPOOL_ID_SIZE + 16];

	snprintf(name, sizeof(name), "%s.sending", id);
	unlinkat(sp->sub[SPOOL_QUEUE], name, 0);
}

/*
 * Fill `e` from the entry file open on `fd` (DIR/id), its state record
 * (opened unless `have_st` says there is none) and its "sending" mark.
 * e->fd is left to the caller.
 */
int
spool_read_entry(struct spool *sp, int sub, const char *id, int fd, int have_st,
    struct spool_entry *e, struct smtpc_error *err)
{
	char what[PATH_MAX + 64], head[SPOOL_HEAD_READ], *buf = NULL, *meta;
	char *st = NULL;
	struct stat sb;
	uint64_t msg_len, size, chunk;
	uint32_t meta_len;
	size_t stlen = 0;
	ssize_t n;
	int rc, sfd;

	snprintf(
	    what, sizeof(what), "%s/%s/%s", sp->dir, spool_dir_names[sub], id);
	/*
	 * Listing is bound by system calls: a small entry is read whole from
	 * its start (a short read of a regular file is its end), which saves
	 * asking for its size.
	 */
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return spool_fail_errno(err, errno, sp, "read", sub, id);
	if ((size_t)n < sizeof(head))
		chunk = size = (uint64_t)n;
	else {
		if (fstat(fd, &sb) != 0)
			return spool_fail_errno(
			    err, errno, sp, "examine", sub, id);
		if (!S_ISREG(sb.st_mode))
			return spool_fail(err, SMTPC_EDATA,
			    "%s: not a queue entry (not a regular file)", what);
		size = (uint64_t)sb.st_size;
		chunk = size < sizeof(head) ? size : sizeof(head);
		if (spool_pread_all(fd, head, (size_t)chunk, size - chunk) != 0)
			return spool_fail_errno(
			    err, errno, sp, "read", sub, id);
	}
	if (size < SPOOL_FOOTER_LEN)
		return spool_fail(err, SMTPC_EDATA,
		    "%s: not a smtpc queue entry (too short)", what);
	if ((rc = spool_parse_footer(head + chunk - SPOOL_FOOTER_LEN, size,
		 what, &msg_len, &meta_len, err)) != 0)
		return rc;
	if (meta_len + SPOOL_FOOTER_LEN <= chunk)
		meta = head + chunk - SPOOL_FOOTER_LEN - meta_len;
	else {
		if ((buf = malloc(meta_len)) == NULL)
			return spool_oom(err);
		if (spool_pread_all(fd, buf, meta_len, msg_len) != 0) {
			rc = spool_fail_errno(err, errno, sp, "read", sub, id);
			goto out;
		}
		meta = buf;
	}
	if ((rc = spool_parse_meta(meta, meta_len, what, e, err)) != 0)
		goto out;
	if (strcmp(e->id, id) != 0 || e->size != msg_len) {
		rc = spool_fail(err, SMTPC_EDATA,
		    "%s: the envelope names another entry or size", what);
		goto out;
	}
	e->in_failed = sub == SPOOL_FAILDIR;
	e->state = e->in_failed ? SPOOL_FAILED : SPOOL_QUEUED;
	if (have_st != SPOOL_HAVE_UNKNOWN && !(have_st & SPOOL_HAVE_ST))
		goto mark;
	snprintf(what, sizeof(what), "%s.st", id);
	sfd = openat(
	    sp->sub[sub], what, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (sfd < 0) {
		if (errno != ENOENT) {
			rc =
			    spool_fail_errno(err, errno, sp, "open", sub, what);
			goto out;
		}
		goto mark;
	}
	rc = spool_slurp(sp, sfd, sub, what, &st, &stlen, err);
	close(sfd);
	if (rc != 0)
		goto out;
	snprintf(what, sizeof(what), "%s/%s/%s.st", sp->dir,
	    spool_dir_names[sub], id);
	if ((rc = spool_parse_state(st, stlen, what, e, err)) != 0)
		goto out;
mark:
	if (spool_marked_sending(sp, sub, id, have_st))
		spool_apply_sending(e);
out:
	free(buf);
	free(st);
	return rc;
}

/* Writing state records. */

int
spool_write_state(
    struct spool *sp, int sub, struct spool_entry *e, struct smtpc_error *err)
{
	char tmp[SPOOL_ID_SIZE + 64], name[SPOOL_ID_SIZE + 8], *text;
	size_t len;
	int fd, rc;

	if ((text = spool_format_state(e, &len)) == NULL)
		return spool_oom(err);
	snprintf(tmp, sizeof(tmp), "%s.st.%ld.%u", e->id, (long)getpid(),
	    spool_unique());
	snprintf(name, sizeof(name), "%s.st", e->id);
	fd = openat(sp->sub[SPOOL_TMP], tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = spool_fail_errno(err, errno, sp, "create", SPOOL_TMP, tmp);
		free(text);
		return rc;
	}
	(void)flock(fd, LOCK_EX | LOCK_NB);
	if (spool_pwrite_all(fd, text, len, 0) != 0 ||
	    spool_sync_later(sp, fd) != 0) {
		rc = spool_fail_errno(err, errno, sp, "write", SPOOL_TMP, tmp);
		goto fail;
	}
	SPOOL_CRASH("state-synced");
	if (renameat(sp->sub[SPOOL_TMP], tmp, sp->sub[sub], name) != 0) {
		rc = spool_fail_errno(err, errno, sp, "replace", sub, name);
		goto fail;
	}
	SPOOL_CRASH("state-renamed");
	/* The state now says what the mark said, or what came after. */
	if (sub == SPOOL_QUEUE)
		spool_unmark_sending(sp, e->id);
	if (spool_sync_later(sp, sp->sub[sub]) != 0) {
		rc = spool_fail_errno(err, errno, sp, "sync", sub, NULL);
		close(fd);
		free(text);
		return rc;
	}
	close(fd);
	free(text);
	return 0;
fail:
	unlinkat(sp->sub[SPOOL_TMP], tmp, 0);
	close(fd);
	free(text);
	return rc;
}

static int
spool_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in DIR, sorted; a fresh descriptor so no offset is shared. */
int
spool_read_names(struct spool *sp, int sub, char ***ret, size_t *ret_n,
    struct smtpc_error *err)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	DIR *d;
	int fd;

	fd = openat(sp->sub[sub], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return spool_fail_errno(err, errno, sp, "read", sub, NULL);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto oom;
		n++;
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		while (n > 0)
			free(v[--n]);
		free(v);
		return spool_fail_errno(err, e, sp, "read", sub, NULL);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), spool_cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	closedir(d);
	while (n > 0)
		free(v[--n]);
	free(v);
	return spool_oom(err);
}
