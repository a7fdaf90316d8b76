/* SPDX-License-Identifier: ISC */
/*
 * spool.c - the mail queue on disk: opening it, and queueing a message
 * (one write, two fsyncs, committed by a rename).  spool.h says why the
 * layout and the orders of writes are what they are.  An entry's files
 * once queued (reading them, its state, its "sending" mark) are in
 * spool_entry.c, claims and the runner's transitions in spool_run.c,
 * listing and the other commands in spool_admin.c, the text records in
 * spool_record.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool_int.h"

#define SPOOL_COPY_BUF (64 * 1024)

const char *const spool_dir_names[SPOOL_NDIRS] = {"tmp", "queue", "failed",
    "run"};

struct spool_tmp {
	int fd;
	int dirfd; /* the spool's tmp/, borrowed */
	char id[SPOOL_ID_SIZE];
};

static unsigned spool_counter;

#ifdef SPOOL_TEST_HOOKS
void
spool_crash_point(const char *name)
{
	const char *at = getenv("SMTPC_SPOOL_CRASH_AT");
	struct timespec ts = {0, 2000000};

	if (at != NULL && strcmp(at, name) == 0)
		raise(SIGKILL);
	at = getenv("SMTPC_SPOOL_DELAY_AT");
	if (at != NULL && strcmp(at, name) == 0)
		nanosleep(&ts, NULL);
}
#endif

unsigned
spool_unique(void)
{
	return spool_counter++;
}

/* Errors and small helpers. */

/* A full disk or quota is worth retrying later; anything else is not. */
static int
spool_errno_code(int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return SMTPC_ETEMP;
	if (e == ENOMEM)
		return SMTPC_ENOMEM;
	return SMTPC_EIO;
}

/* "cannot VERB DIR/SUB/NAME: strerror" with the code errno calls for. */
int
spool_fail_errno(struct smtpc_error *err, int e, const struct spool *sp,
    const char *verb, int sub, const char *name)
{
	return spool_fail(err, spool_errno_code(e), "cannot %s %s%s%s%s%s: %s",
	    verb, sp->dir, sub >= 0 ? "/" : "",
	    sub >= 0 ? spool_dir_names[sub] : "", name != NULL ? "/" : "",
	    name != NULL ? name : "", strerror(e));
}

int
spool_pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, c, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Exactly `len` bytes at `off`; a short file is EIO (set in errno). */
int
spool_pread_all(int fd, void *p, size_t len, uint64_t off)
{
	char *c = p;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, c, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		c += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int
spool_fsync(int fd)
{
	while (fsync(fd) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
spool_sync_later(const struct spool *sp, int fd)
{
	return sp->group ? 0 : spool_fsync(fd);
}

int64_t
spool_now(const struct spool *sp)
{
#ifdef SPOOL_TEST_HOOKS
	/* A clock the tests set: a day of retries without a day of waiting. */
	const char *now = getenv("SMTPC_SPOOL_NOW");

	if (now != NULL && sp->clock == NULL)
		return (int64_t)strtoll(now, NULL, 10);
#endif
	return sp->clock != NULL ? sp->clock(sp->user) : (int64_t)time(NULL);
}

uint32_t
spool_rand(const struct spool *sp)
{
	uint32_t r;

	if (sp->random != NULL)
		return sp->random(sp->user);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
	return r;
}

int
spool_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

static void
spool_make_id(char id[SPOOL_ID_SIZE])
{
	struct timespec ts;
	char buf[128];
	uint32_t r;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)getpid();
	/* Wide enough for any value the types allow; real ones are short. */
	snprintf(buf, sizeof(buf), "%010lld.%06ld.%ld.%04x%08x",
	    (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000), (long)getpid(),
	    spool_unique() & 0xffffu, (unsigned)r);
	snprintf(id, SPOOL_ID_SIZE, "%.*s", SPOOL_ID_SIZE - 1, buf);
}

/* Opening. */

void
spool_opts_init(struct spool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tmp_grace = -1;
}

int
spool_default_dir(char *buf, size_t size, struct smtpc_error *err)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative path in the variable is to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "%s/smtpc/queue", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/smtpc/queue", home);
	else
		return spool_fail(err, SMTPC_ECONFIG,
		    "no place for the mail queue: neither XDG_STATE_HOME nor "
		    "HOME is set to an absolute path");
	if (n < 0 || (size_t)n >= size)
		return spool_fail(
		    err, SMTPC_ELIMIT, "the mail queue's path is too long");
	return 0;
}

/* mkdir -p with mode 0700 for what it creates; 1 if it made the last. */
static int
spool_mkdirs(const char *path, struct smtpc_error *err)
{
	char p[PATH_MAX];
	size_t i, len = strlen(path);
	int made = 0;

	if (len == 0 || len >= sizeof(p))
		return spool_fail(err, SMTPC_ELIMIT,
		    "the mail queue's path is empty or too long");
	memcpy(p, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		made = 0;
		if (mkdir(p, 0700) == 0)
			made = 1;
		else if (errno != EEXIST)
			return spool_fail(err, spool_errno_code(errno),
			    "cannot create the queue directory %s: %s", p,
			    strerror(errno));
		if (i < len)
			p[i] = '/';
	}
	return made;
}

static int
spool_check_dir(
    const struct spool *sp, int fd, const char *path, struct smtpc_error *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return spool_fail(err, spool_errno_code(errno),
		    "cannot examine %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return spool_fail(
		    err, SMTPC_ECONFIG, "%s is not a directory", path);
	if (!sp->shared && (st.st_uid != geteuid() || (st.st_mode & 022)))
		return spool_fail(err, SMTPC_ECONFIG,
		    "%s belongs to another user or others may write to it: "
		    "refused, since whoever can write there could send mail "
		    "as you",
		    path);
	return 0;
}

int
spool_open(
    const struct spool_opts *o, struct spool **ret, struct smtpc_error *err)
{
	char def[PATH_MAX], path[PATH_MAX + 16];
	struct spool *sp;
	int rc, k, made;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return spool_oom(err);
	sp->dfd = -1;
	for (k = 0; k < SPOOL_NDIRS; k++)
		sp->sub[k] = -1;
	sp->backoff_first =
	    o->backoff_first ? o->backoff_first : SPOOL_BACKOFF_FIRST;
	sp->backoff_max = o->backoff_max ? o->backoff_max : SPOOL_BACKOFF_MAX;
	if (sp->backoff_max < sp->backoff_first)
		sp->backoff_max = sp->backoff_first;
	sp->lifetime = o->lifetime > 0 ? o->lifetime : SPOOL_LIFETIME;
	sp->tmp_grace = o->tmp_grace >= 0 ? o->tmp_grace : SPOOL_TMP_GRACE;
	sp->shared = o->shared;
	sp->clock = o->clock;
	sp->random = o->random;
	sp->user = o->user;
	if (o->dir == NULL &&
	    (rc = spool_default_dir(def, sizeof(def), err)) != 0)
		goto fail;
	if ((sp->dir = strdup(o->dir != NULL ? o->dir : def)) == NULL) {
		rc = spool_oom(err);
		goto fail;
	}
	if ((rc = spool_mkdirs(sp->dir, err)) < 0)
		goto fail;
	if ((sp->dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = spool_fail(err, spool_errno_code(errno),
		    "cannot open the queue directory %s: %s", sp->dir,
		    strerror(errno));
		goto fail;
	}
	if ((rc = spool_check_dir(sp, sp->dfd, sp->dir, err)) != 0)
		goto fail;
	made = 0;
	for (k = 0; k < SPOOL_NDIRS; k++) {
		snprintf(
		    path, sizeof(path), "%s/%s", sp->dir, spool_dir_names[k]);
		if (mkdirat(sp->dfd, spool_dir_names[k], 0700) == 0)
			made = 1;
		else if (errno != EEXIST) {
			rc = spool_fail(err, spool_errno_code(errno),
			    "cannot create the queue directory %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		sp->sub[k] = openat(sp->dfd, spool_dir_names[k],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sp->sub[k] < 0) {
			rc = spool_fail(err, spool_errno_code(errno),
			    "cannot open the queue directory %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if ((rc = spool_check_dir(sp, sp->sub[k], path, err)) != 0)
			goto fail;
	}
	if (made && spool_fsync(sp->dfd) != 0) {
		rc = spool_fail(err, spool_errno_code(errno),
		    "cannot sync the queue directory %s: %s", sp->dir,
		    strerror(errno));
		goto fail;
	}
	*ret = sp;
	return 0;
fail:
	spool_close(sp);
	return rc;
}

void
spool_close(struct spool *sp)
{
	int k;

	if (sp == NULL)
		return;
	spool_group_free(sp);
	for (k = 0; k < SPOOL_NDIRS; k++)
		if (sp->sub[k] >= 0)
			close(sp->sub[k]);
	if (sp->dfd >= 0)
		close(sp->dfd);
	free(sp->dir);
	free(sp);
}

const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

/* Queueing. */

int
spool_tmp_new(struct spool *sp, struct spool_tmp **ret, struct smtpc_error *err)
{
	struct spool_tmp *t;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return spool_oom(err);
	spool_make_id(t->id);
	t->dirfd = sp->sub[SPOOL_TMP];
	t->fd = openat(sp->sub[SPOOL_TMP], t->id,
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		rc = spool_fail_errno(
		    err, errno, sp, "create", SPOOL_TMP, t->id);
		free(t);
		return rc;
	}
	/* Held until the commit: spool_sweep leaves a locked file alone. */
	if (flock(t->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = spool_fail_errno(err, errno, sp, "lock", SPOOL_TMP, t->id);
		unlinkat(sp->sub[SPOOL_TMP], t->id, 0);
		close(t->fd);
		free(t);
		return rc;
	}
	SPOOL_CRASH("enqueue-tmp-created");
	*ret = t;
	return 0;
}

int
spool_tmp_fd(const struct spool_tmp *t)
{
	return t->fd;
}

/* Closes the temp file, keeping its name (after a commit). */
static void
spool_tmp_close(struct spool_tmp *t)
{
	close(t->fd);
	free(t);
}

void
spool_tmp_discard(struct spool_tmp *t)
{
	if (t == NULL)
		return;
	unlinkat(t->dirfd, t->id, 0);
	spool_tmp_close(t);
}

static int
spool_check_envelope(const struct spool_envelope *env, struct smtpc_error *err)
{
	size_t i;

	if (env == NULL || env->from == NULL || env->nrcpt == 0 ||
	    env->rcpt == NULL)
		return spool_fail(err, SMTPC_EINVAL,
		    "a queued message needs a sender and a recipient");
	if (env->nrcpt > SPOOL_RCPT_MAX)
		return spool_fail(err, SMTPC_ELIMIT,
		    "more than %u recipients for one queued message",
		    SPOOL_RCPT_MAX);
	for (i = 0; i < env->nrcpt; i++)
		if (env->rcpt[i] == NULL || env->rcpt[i][0] == '\0')
			return spool_fail(err, SMTPC_EINVAL,
			    "an empty recipient for a queued message");
	if (env->nparam > SPOOL_PARAM_MAX)
		return spool_fail(err, SMTPC_ELIMIT,
		    "too many parameters for a queued message");
	for (i = 0; i < env->nparam; i++)
		if (env->param[i].key == NULL ||
		    !spool_param_key_valid(
			env->param[i].key, strlen(env->param[i].key)) ||
		    env->param[i].value == NULL)
			return spool_fail(err, SMTPC_EINVAL,
			    "a bad parameter for a queued message");
	return 0;
}

/* An entry holding copies of `env`'s fields, for the one record writer. */
static int
spool_entry_from_env(const struct spool_envelope *env, const char *id,
    int64_t created, uint64_t size, struct spool_entry *e)
{
	size_t i;

	spool_entry_init(e);
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->created = created;
	e->size = size;
	if ((e->rcpt = calloc(env->nrcpt, sizeof(*e->rcpt))) == NULL ||
	    (env->nparam > 0 &&
		(e->param = calloc(env->nparam, sizeof(*e->param))) == NULL))
		return -1;
	e->nrcpt = env->nrcpt;
	e->nparam = env->nparam;
	if (spool_set_str(&e->from, env->from) != 0 ||
	    spool_set_str(&e->account, env->account) != 0 ||
	    spool_set_str(&e->message_id, env->message_id) != 0)
		return -1;
	for (i = 0; i < env->nrcpt; i++)
		if (spool_set_str(&e->rcpt[i].addr, env->rcpt[i]) != 0)
			return -1;
	for (i = 0; i < env->nparam; i++)
		if (spool_set_str(&e->param[i].key, env->param[i].key) != 0 ||
		    spool_set_str(&e->param[i].value, env->param[i].value) != 0)
			return -1;
	return 0;
}

int
spool_tmp_commit(struct spool *sp, struct spool_tmp *t,
    const struct spool_envelope *env, char ret_id[SPOOL_ID_SIZE],
    struct smtpc_error *err)
{
	struct spool_entry e;
	struct stat st;
	char *meta = NULL, *rec = NULL;
	size_t mlen;
	int rc;

	if ((rc = spool_check_envelope(env, err)) != 0)
		goto fail;
	if (fstat(t->fd, &st) != 0) {
		rc = spool_fail_errno(
		    err, errno, sp, "examine", SPOOL_TMP, t->id);
		goto fail;
	}
	if (spool_entry_from_env(
		env, t->id, spool_now(sp), (uint64_t)st.st_size, &e) == 0)
		meta = spool_format_meta(&e, &mlen);
	spool_entry_clear(&e);
	if (meta == NULL || mlen > SPOOL_RECORD_MAX) {
		rc = meta == NULL ? spool_oom(err)
				  : spool_fail(err, SMTPC_ELIMIT,
					"the envelope of a queued message is "
					"longer than %u bytes",
					SPOOL_RECORD_MAX);
		goto fail;
	}
	if ((rec = realloc(meta, mlen + SPOOL_FOOTER_LEN + 1)) == NULL) {
		rc = spool_oom(err);
		goto fail;
	}
	meta = NULL;
	snprintf(rec + mlen, SPOOL_FOOTER_LEN + 1,
	    "smtpc-queue-end %016llx %08x\n", (unsigned long long)st.st_size,
	    (unsigned)mlen);
	if (spool_pwrite_all(t->fd, rec, mlen + SPOOL_FOOTER_LEN,
		(uint64_t)st.st_size) != 0) {
		rc =
		    spool_fail_errno(err, errno, sp, "write", SPOOL_TMP, t->id);
		goto fail;
	}
	SPOOL_CRASH("enqueue-written");
	if (spool_fsync(t->fd) != 0) {
		rc =
		    spool_fail_errno(err, errno, sp, "write", SPOOL_TMP, t->id);
		goto fail;
	}
	SPOOL_CRASH("enqueue-synced");
	if (renameat(sp->sub[SPOOL_TMP], t->id, sp->sub[SPOOL_QUEUE], t->id) !=
	    0) {
		rc = spool_fail_errno(
		    err, errno, sp, "move into the queue", SPOOL_TMP, t->id);
		goto fail;
	}
	SPOOL_CRASH("enqueue-renamed");
	if (spool_fsync(sp->sub[SPOOL_QUEUE]) != 0) {
		/*
		 * Not known to be on disk: take it back.  We still hold the
		 * lock, so no runner can have claimed it meanwhile.
		 */
		rc =
		    spool_fail_errno(err, errno, sp, "sync", SPOOL_QUEUE, NULL);
		unlinkat(sp->sub[SPOOL_QUEUE], t->id, 0);
		free(rec);
		spool_tmp_close(t);
		return rc;
	}
	snprintf(ret_id, SPOOL_ID_SIZE, "%s", t->id);
	free(rec);
	spool_tmp_close(t);
	SPOOL_CRASH("enqueue-done");
	return 0;
fail:
	free(meta);
	free(rec);
	spool_tmp_discard(t);
	return rc;
}

int
spool_enqueue_fd(struct spool *sp, const struct spool_envelope *env, int fd,
    char ret_id[SPOOL_ID_SIZE], struct smtpc_error *err)
{
	struct spool_tmp *t;
	char *buf;
	ssize_t n;
	uint64_t off = 0;
	int rc;

	if ((rc = spool_check_envelope(env, err)) != 0)
		return rc;
	if ((buf = malloc(SPOOL_COPY_BUF)) == NULL)
		return spool_oom(err);
	if ((rc = spool_tmp_new(sp, &t, err)) != 0) {
		free(buf);
		return rc;
	}
	for (;;) {
		n = read(fd, buf, SPOOL_COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = spool_fail(err, SMTPC_EIO,
			    "cannot read the message to queue: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (spool_pwrite_all(t->fd, buf, (size_t)n, off) != 0) {
			rc = spool_fail_errno(
			    err, errno, sp, "write", SPOOL_TMP, t->id);
			goto fail;
		}
		off += (uint64_t)n;
	}
	free(buf);
	SPOOL_CRASH("enqueue-copied");
	return spool_tmp_commit(sp, t, env, ret_id, err);
fail:
	free(buf);
	spool_tmp_discard(t);
	return rc;
}
