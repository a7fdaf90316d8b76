/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the mail queue (src/cli/spool.c), built with its crash
 * points (SMTPC_SPOOL_CRASH_AT): records, every state transition, the
 * retry schedule on a clock the test turns, processes enqueueing and
 * running at once, kill -9 at each stage, a full and a read-only disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"
#include "tmpfiles.h"

static int64_t fake_now = 1700000000;
static uint32_t rng_state = 12345;

static int64_t
test_clock(void *user)
{
	(void)user;
	return fake_now;
}

static uint32_t
test_random(void *user)
{
	(void)user;
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static char spool_path[256];
static int spool_seq;

/* A fresh spool directory under the test's dir, on the fake clock. */
static struct spool *
fresh_spool(const char *where)
{
	struct spool_opts o;
	struct smtpc_error err;
	struct spool *sp;

	snprintf(spool_path, sizeof(spool_path), "%s/q%d",
	    where != NULL ? where : dir, spool_seq++);
	spool_opts_init(&o);
	o.dir = spool_path;
	o.clock = test_clock;
	o.random = test_random;
	o.tmp_grace = 0;
	if (spool_open(&o, &sp, &err) != 0) {
		printf(
		    "Bail out! spool_open %s: %s\n", spool_path, err.message);
		exit(1);
	}
	return sp;
}

static const char *rcpt3[] = {
    "a@example.org", "b@example.org", "c@example.org"};

static void
env_init(struct spool_envelope *env, const char *const *rcpt, size_t n)
{
	memset(env, 0, sizeof(*env));
	env->from = "me@example.net";
	env->rcpt = rcpt;
	env->nrcpt = n;
	env->account = "work";
	env->message_id = "<1@example.net>";
}

/* A file holding `data`, opened for reading. */
static int
data_fd(const void *data, size_t len)
{
	static int n;
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "msg%ld.%d", (long)getpid(), n++);
	write_file(name, data, len);
	fd = open(path_of(name), O_RDONLY);
	unlink(path_of(name));
	return fd;
}

static int
enqueue(struct spool *sp, const char *msg, const char *const *rcpt, size_t n,
    char id[SPOOL_ID_SIZE], struct smtpc_error *err)
{
	struct spool_envelope env;
	int fd = data_fd(msg, strlen(msg)), rc;

	env_init(&env, rcpt, n);
	rc = spool_enqueue_fd(sp, &env, fd, id, err);
	close(fd);
	return rc;
}

static void
must_enqueue(struct spool *sp, const char *msg, const char *const *rcpt,
    size_t n, char id[SPOOL_ID_SIZE])
{
	struct smtpc_error err;

	if (enqueue(sp, msg, rcpt, n, id, &err) != 0) {
		printf("Bail out! enqueue: %s\n", err.message);
		exit(1);
	}
}

/* Files in SPOOL/sub, not counting dot files. */
static int
count_files(const char *sub)
{
	char p[600];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", spool_path, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
file_exists(const char *sub, const char *name)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s", spool_path, sub, name);
	return stat(p, &st) == 0;
}

/* The whole body of an entry through spool_body_read, in small reads. */
static char *
read_body(struct spool_entry *e, size_t *ret_len)
{
	struct smtpc_error err;
	char *out;
	size_t got = 0, n;

	if (e == NULL)
		return NULL;
	out = malloc(e->size + 1);
	spool_body_rewind(e);
	for (;;) {
		if (spool_body_read(e, out + got, 7, &n, &err) != 0) {
			free(out);
			return NULL;
		}
		if (n == 0)
			break;
		got += n;
	}
	out[got] = '\0';
	*ret_len = got;
	return out;
}

static struct spool_list
list_of(struct spool *sp, unsigned flags)
{
	struct spool_list l;
	struct smtpc_error err;

	if (spool_list(sp, flags, &l, &err) != 0) {
		printf("Bail out! spool_list: %s\n", err.message);
		exit(1);
	}
	return l;
}

/* The state of entry `id` as a listing shows it, or -1 when not listed. */
static int
listed_state(struct spool *sp, const char *id)
{
	struct spool_list l = list_of(sp, SPOOL_LIST_FAILED);
	size_t i;
	int st = -1;

	for (i = 0; i < l.n; i++)
		if (strcmp(l.entry[i]->id, id) == 0)
			st = (int)l.entry[i]->state;
	spool_list_free(&l);
	return st;
}

/* A step the rest depends on failed: stop the run rather than crash. */
static void
need(const void *p, const char *what)
{
	if (p == NULL) {
		printf("Bail out! no %s\n", what);
		exit(1);
	}
}

/* The entry `id`, or NULL. */
static struct spool_entry *
load(struct spool *sp, const char *id)
{
	struct spool_entry *e;
	struct smtpc_error err;

	return spool_load(sp, id, &e, &err) == 0 ? e : NULL;
}

/* Claim the next due entry (flags), or NULL. */
static struct spool_entry *
next_due(struct spool *sp, unsigned flags)
{
	struct spool_due *d;
	struct spool_entry *e = NULL;
	struct smtpc_error err;
	int rc;

	if (spool_due_begin(sp, flags, &d, &err) != 0)
		return NULL;
	while ((rc = spool_next_due(d, &e, &err)) < 0)
		;
	spool_due_end(d);
	return rc == 1 ? e : NULL;
}

static void
test_ids(void)
{
	ok(spool_id_valid("1700000000.123456.42.0001abcdef01"), "an ID");
	ok(!spool_id_valid("1700000000.123456.42.0001abcdef0"), "short hex");
	ok(!spool_id_valid("1700000000.123456.42.0001ABCDEF01"),
	    "upper-case hex refused");
	ok(!spool_id_valid("../../etc/passwd"), "a path is no ID");
	ok(!spool_id_valid("1700000000.123456.42.0001abcdef01.st"),
	    "a state file name is no ID");
	ok(!spool_id_valid(""), "empty");
}

static char xdg_abs[] = "XDG_STATE_HOME=/x/state";
static char xdg_rel[] = "XDG_STATE_HOME=relative";
static char home[] = "HOME=/home/u";

static void
test_open(void)
{
	struct spool_opts o;
	struct smtpc_error err;
	struct spool *sp;
	char buf[256], p[600];
	struct stat st;

	sp = fresh_spool(NULL);
	snprintf(p, sizeof(p), "%s/queue", spool_path);
	ok(stat(spool_path, &st) == 0 && (st.st_mode & 0777) == 0700 &&
		stat(p, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "spool directories are made 0700");
	spool_close(sp);

	chmod(spool_path, 0770);
	spool_opts_init(&o);
	o.dir = spool_path;
	ok(spool_open(&o, &sp, &err) == SMTPC_ECONFIG &&
		strstr(err.message, spool_path) != NULL,
	    "a directory others may write to is refused, named");
	o.shared = 1;
	ok(spool_open(&o, &sp, &err) == 0, "... unless shared is asked for");
	spool_close(sp);
	chmod(spool_path, 0700);

	/* putenv: setenv's copies would look leaked to valgrind. */
	putenv(xdg_abs);
	ok(spool_default_dir(buf, sizeof(buf), &err) == 0 &&
		strcmp(buf, "/x/state/smtpc/queue") == 0,
	    "default: $XDG_STATE_HOME/smtpc/queue");
	putenv(xdg_rel);
	putenv(home);
	ok(spool_default_dir(buf, sizeof(buf), &err) == 0 &&
		strcmp(buf, "/home/u/.local/state/smtpc/queue") == 0,
	    "a relative XDG_STATE_HOME is ignored: ~/.local/state/smtpc/queue");
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	ok(spool_default_dir(buf, sizeof(buf), &err) == SMTPC_ECONFIG,
	    "no HOME: a configuration error");
}

static void
test_roundtrip(void)
{
	static const char msg[] =
	    "From: me@example.net\r\nSubject: hi\r\n"
	    "Message-ID: <1@example.net>\r\n\r\nbody\r\n.\r\nmore\r\n";
	static const char *odd[] = {
	    "\"a b\\\\c\"@example.org", "t\xc3\xa9st@example.org"};
	struct spool_param param[2] = {
	    {"dsn-notify", "FAILURE,DELAY"}, {"note", "tab\there \\ back"}};
	struct spool_envelope env;
	struct spool_entry *e;
	struct smtpc_error err;
	struct spool_list l;
	char id[SPOOL_ID_SIZE], p[600], *body;
	struct spool *sp = fresh_spool(NULL);
	struct stat st;
	size_t len;
	int fd;

	env_init(&env, odd, 2);
	env.param = param;
	env.nparam = 2;
	fd = data_fd(msg, sizeof(msg) - 1);
	ok(spool_enqueue_fd(sp, &env, fd, id, &err) == 0, "enqueue");
	close(fd);
	ok(spool_id_valid(id), "enqueue returns an ID");
	snprintf(p, sizeof(p), "%s/queue/%s", spool_path, id);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the entry file is 0600");
	ok(count_files("tmp") == 0 && count_files("queue") == 1,
	    "one file in queue/, none left in tmp/");

	l = list_of(sp, 0);
	ok(l.n == 1 && l.nproblem == 0, "listed once");
	if (l.n == 1) {
		e = l.entry[0];
		ok(strcmp(e->id, id) == 0 && e->state == SPOOL_QUEUED &&
			strcmp(e->from, "me@example.net") == 0 &&
			strcmp(e->account, "work") == 0 &&
			strcmp(e->message_id, "<1@example.net>") == 0 &&
			e->size == sizeof(msg) - 1 && e->created == fake_now &&
			e->attempts == 0 && e->next_attempt == fake_now,
		    "the envelope comes back");
		ok(e->nrcpt == 2 && strcmp(e->rcpt[0].addr, odd[0]) == 0 &&
			strcmp(e->rcpt[1].addr, odd[1]) == 0 &&
			e->rcpt[0].state == SPOOL_RCPT_PENDING,
		    "recipients with quotes, backslashes and UTF-8");
		ok(strcmp(spool_entry_param(e, "dsn-notify"),
		       "FAILURE,DELAY") == 0 &&
			strcmp(spool_entry_param(e, "note"), param[1].value) ==
			    0 &&
			spool_entry_param(e, "none") == NULL,
		    "parameters");
	}
	spool_list_free(&l);

	ok((e = load(sp, id)) != NULL, "load by ID");
	body = read_body(e, &len);
	ok(body != NULL && len == sizeof(msg) - 1 &&
		memcmp(body, msg, len) == 0,
	    "the message bytes come back exactly");
	free(body);
	spool_entry_free(e);
	ok(spool_load(sp, "1700000000.000000.1.000000000000", &e, &err) ==
		SMTPC_ENOINPUT,
	    "load of an unknown ID: ENOINPUT");
	ok(spool_load(sp, "../x", &e, &err) == SMTPC_ENOINPUT &&
		strstr(err.message, "not a queue ID") != NULL,
	    "load of a non-ID refused");
	spool_close(sp);
}

static void
test_tmp_commit(void)
{
	struct spool_envelope env;
	struct spool_tmp *t;
	struct spool_entry *e;
	struct smtpc_error err;
	char id[SPOOL_ID_SIZE], *body;
	struct spool *sp = fresh_spool(NULL);
	size_t len;

	env_init(&env, rcpt3, 1);
	ok(spool_tmp_new(sp, &t, &err) == 0, "a temp file in the spool");
	ok(write(spool_tmp_fd(t), "written by the caller\r\n", 23) == 23,
	    "the caller writes the message");
	ok(count_files("tmp") == 1 && count_files("queue") == 0,
	    "not queued before the commit");
	ok(spool_tmp_commit(sp, t, &env, id, &err) == 0, "commit");
	ok(count_files("tmp") == 0 && count_files("queue") == 1,
	    "moved, not copied");
	ok((e = load(sp, id)) != NULL, "the entry loads");
	body = read_body(e, &len);
	ok(body != NULL && len == 23 && e->size == 23 &&
		memcmp(body, "written by the caller\r\n", 23) == 0,
	    "its bytes are the caller's");
	free(body);
	spool_entry_free(e);

	ok(spool_tmp_new(sp, &t, &err) == 0, "another temp file");
	spool_tmp_discard(t);
	ok(count_files("tmp") == 0 && count_files("queue") == 1,
	    "discard leaves nothing");

	ok(spool_tmp_new(sp, &t, &err) == 0, "a temp file for a bad envelope");
	env.nrcpt = 0;
	ok(spool_tmp_commit(sp, t, &env, id, &err) == SMTPC_EINVAL &&
		count_files("tmp") == 0 && count_files("queue") == 1,
	    "no recipient: refused and the temp file removed");
	spool_close(sp);
}

/* Write `text` as SPOOL/sub/name. */
static void
plant(const char *sub, const char *name, const char *text, size_t len)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", spool_path, sub, name);
	f = fopen(p, "wb");
	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", p);
		exit(1);
	}
}

static void
test_listing(void)
{
	struct spool *sp = fresh_spool(NULL);
	char id[3][SPOOL_ID_SIZE], p[600], q[600];
	struct spool_entry *e;
	struct spool_due *d;
	struct smtpc_error err;
	struct spool_list l;
	int i, rc, errors = 0, claimed = 0;

	for (i = 0; i < 3; i++)
		must_enqueue(sp, "x\r\n", rcpt3, 1, id[i]);
	ok(strcmp(id[0], id[1]) < 0 && strcmp(id[1], id[2]) < 0,
	    "IDs sort by age");
	l = list_of(sp, 0);
	ok(l.n == 3 && strcmp(l.entry[0]->id, id[0]) == 0 &&
		strcmp(l.entry[2]->id, id[2]) == 0,
	    "listed oldest first");
	spool_list_free(&l);

	plant("queue", "notes.txt", "hello\n", 6);
	/* A cut copy of an entry under a valid name. */
	snprintf(p, sizeof(p), "%s/queue/%s", spool_path, id[0]);
	{
		char buf[4096];
		int fd = open(p, O_RDONLY);
		ssize_t n = read(fd, buf, sizeof(buf));

		close(fd);
		plant("queue", "1600000000.000000.1.000000000001", buf,
		    (size_t)n - 5);
	}
	plant("queue", "1600000000.000000.1.000000000002",
	    "smtpc-queue-end 0000000000000000 00000000\n", 42);
	snprintf(q, sizeof(q), "%s.st", id[1]);
	plant("queue", q, "smtpc-queue-state 1\nid x\n", 25);

	l = list_of(sp, 0);
	ok(l.n == 2, "good entries are still listed");
	ok(l.nproblem == 4, "each bad file is one problem");
	for (i = 0; i < (int)l.nproblem; i++)
		printf("# %s\n", l.problem[i]);
	ok(l.nproblem == 4 && strstr(l.problem[0], "000000000001") &&
		strstr(l.problem[0], "footer") != NULL,
	    "a cut entry: no footer, named");
	ok(l.nproblem == 4 && strstr(l.problem[1], "000000000002") &&
		strstr(l.problem[1], "do not add up") != NULL,
	    "a footer that does not match the file, named");
	ok(l.nproblem == 4 && strstr(l.problem[2], q) != NULL &&
		strstr(l.problem[2], "line 2") != NULL,
	    "a state record of another entry, named with its line");
	ok(l.nproblem == 4 && strstr(l.problem[3], "notes.txt") != NULL,
	    "a foreign file, named");
	spool_list_free(&l);

	ok(spool_due_begin(sp, 0, &d, &err) == 0, "a run over it");
	while ((rc = spool_next_due(d, &e, &err)) != 0) {
		if (rc < 0) {
			errors++;
			ok(err.code == SMTPC_EDATA &&
				strstr(err.message, spool_path) != NULL,
			    err.message);
			continue;
		}
		claimed++;
		spool_entry_free(e);
	}
	spool_due_end(d);
	ok(errors == 4 && claimed == 2,
	    "a run reports each bad file once and goes on with the others");
	spool_close(sp);
}

/* Claim `id`, send (mark), set outcomes, record; returns disposition. */
static int
attempt(struct spool *sp, const char *id, const enum spool_outcome *out,
    const char *summary)
{
	struct spool_entry *e;
	struct smtpc_error err;
	enum spool_disposition disp;
	size_t i;

	if (spool_claim(sp, id, 0, &e, &err) != 0 || e == NULL)
		return -1;
	if (spool_mark_sending(sp, e, &err) != 0) {
		spool_entry_free(e);
		return -2;
	}
	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == SPOOL_RCPT_SENDING)
			spool_set_outcome(e, i, out[i],
			    out[i] == SPOOL_OUT_ACCEPTED   ? 250
				: out[i] == SPOOL_OUT_TEMP ? 451
				: out[i] == SPOOL_OUT_PERM ? 550
							   : 0,
			    out[i] == SPOOL_OUT_PERM ? "5.1.1 no such user"
				: out[i] == SPOOL_OUT_TEMP ? "4.2.0 try later"
							   : NULL);
	if (spool_record(sp, e, summary, &disp, &err) != 0) {
		printf("# record: %s\n", err.message);
		spool_entry_free(e);
		return -3;
	}
	spool_entry_free(e);
	return (int)disp;
}

static void
test_transitions(void)
{
	static const enum spool_outcome all_ok[3] = {
	    SPOOL_OUT_ACCEPTED, SPOOL_OUT_ACCEPTED, SPOOL_OUT_ACCEPTED};
	static const enum spool_outcome mixed[3] = {
	    SPOOL_OUT_ACCEPTED, SPOOL_OUT_TEMP, SPOOL_OUT_PERM};
	static const enum spool_outcome all_perm[3] = {
	    SPOOL_OUT_PERM, SPOOL_OUT_PERM, SPOOL_OUT_PERM};
	static const enum spool_outcome all_temp[3] = {
	    SPOOL_OUT_TEMP, SPOOL_OUT_TEMP, SPOOL_OUT_TEMP};
	struct spool *sp = fresh_spool(NULL);
	char id[SPOOL_ID_SIZE], path[512];
	struct spool_entry *e, *e2;
	struct smtpc_error err;
	enum spool_disposition disp;
	FILE *fp;
	char *text = NULL;
	size_t tlen = 0;
	int64_t t0 = fake_now;

	/* queued -> sending -> delivered */
	must_enqueue(sp, "m\r\n", rcpt3, 3, id);
	ok(attempt(sp, id, all_ok, "250 ok") == SPOOL_DISP_DELIVERED,
	    "all accepted: delivered");
	ok(count_files("queue") == 0, "... and removed, state record too");

	/* queued -> deferred -> (not due) -> due */
	must_enqueue(sp, "m\r\n", rcpt3, 3, id);
	ok(attempt(sp, id, all_temp, "451 later") == SPOOL_DISP_DEFERRED,
	    "4xx for all: deferred");
	ok((e = load(sp, id)) != NULL && e->attempts == 1 &&
		e->next_attempt >= fake_now + 45 &&
		e->next_attempt <= fake_now + 75 && e->state == SPOOL_QUEUED &&
		e->rcpt[1].code == 451 &&
		strcmp(e->rcpt[1].text, "4.2.0 try later") == 0 &&
		strcmp(e->error, "451 later") == 0 && e->nlog == 1,
	    "one attempt, the next in about a minute, the reply kept");
	spool_entry_free(e);
	ok(next_due(sp, 0) == NULL, "not due before its time");
	e = next_due(sp, SPOOL_DUE_ALL);
	ok(e != NULL && strcmp(e->id, id) == 0,
	    "SPOOL_DUE_ALL ignores the time");
	spool_entry_free(e);
	fake_now += 80;
	e = next_due(sp, 0);
	ok(e != NULL && strcmp(e->id, id) == 0, "due after its time");

	/* claimed: others are kept out */
	ok(spool_claim(sp, id, 0, &e2, &err) == SMTPC_ETEMP &&
		strstr(err.message, "another") != NULL,
	    "a claimed entry cannot be claimed again");
	ok(spool_drop(sp, id, &err) == SMTPC_ETEMP, "... nor dropped");
	ok(spool_hold(sp, id, &err) == SMTPC_ETEMP, "... nor held");
	ok(listed_state(sp, id) == SPOOL_QUEUED, "... but listed");
	spool_entry_free(e);

	/* hold / release */
	ok(spool_hold(sp, id, &err) == 0 && listed_state(sp, id) == SPOOL_HELD,
	    "held");
	ok(next_due(sp, SPOOL_DUE_ALL | SPOOL_DUE_UNCERTAIN) == NULL,
	    "a held entry is never due");
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e == NULL,
	    "nor claimed by ID");
	ok(spool_release(sp, id, &err) == 0 &&
		listed_state(sp, id) == SPOOL_QUEUED,
	    "released");
	e = next_due(sp, 0);
	ok(e != NULL, "a released entry is due at once");
	spool_entry_free(e);
	ok(spool_release(sp, id, &err) == SMTPC_EINVAL,
	    "release of an entry not held: refused");

	/* partial: a done, b pending, c failed; then b alone */
	ok(attempt(sp, id, mixed, "partly") == SPOOL_DISP_DEFERRED,
	    "one accepted, one 4xx, one 5xx: deferred");
	ok((e = load(sp, id)) != NULL && e->rcpt[0].state == SPOOL_RCPT_DONE &&
		e->rcpt[1].state == SPOOL_RCPT_PENDING &&
		e->rcpt[2].state == SPOOL_RCPT_FAILED && e->attempts == 2,
	    "per-recipient states remembered");
	spool_entry_free(e);
	fake_now += 200;
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e != NULL &&
		spool_mark_sending(sp, e, &err) == 0 &&
		e->rcpt[0].state == SPOOL_RCPT_DONE &&
		e->rcpt[1].state == SPOOL_RCPT_SENDING &&
		e->rcpt[2].state == SPOOL_RCPT_FAILED,
	    "the retry sends to the pending recipient only");
	need(e, "a claimed entry");
	spool_set_outcome(e, 1, SPOOL_OUT_ACCEPTED, 250, "ok");
	ok(spool_record(sp, e, "250 ok", &disp, &err) == 0 &&
		disp == SPOOL_DISP_FAILED && e->in_failed,
	    "nothing pending, one failed: moved to failed/");
	ok(spool_report_save(sp, e, path, sizeof(path), &err) == 0,
	    "a failure report is written");
	spool_entry_free(e);
	ok(count_files("queue") == 0 && file_exists("failed", id),
	    "the entry is in failed/");
	fp = fopen(path, "r");
	if (fp != NULL) {
		text = calloc(1, 8192);
		tlen = fread(text, 1, 8191, fp);
		fclose(fp);
	}
	ok(text != NULL && tlen > 0 &&
		strstr(text,
		    "Your message to c@example.org could not be "
		    "delivered:\n    550 5.1.1 no such user") != NULL &&
		strstr(
		    text, "It was delivered to: a@example.org b@example.org") !=
		    NULL &&
		strstr(text, "<1@example.net>") != NULL,
	    "the report names the failed recipient, the reply, the others");
	free(text);
	ok(listed_state(sp, id) == SPOOL_FAILED, "listed as failed");
	ok(spool_hold(sp, id, &err) == SMTPC_EINVAL &&
		strstr(err.message, "failed") != NULL,
	    "a failed entry cannot be held");
	ok(spool_drop(sp, id, &err) == 0 && count_files("failed") == 0,
	    "drop removes a failed entry, state and report");

	/* 5xx for everyone on the first try: failed at once */
	must_enqueue(sp, "m\r\n", rcpt3, 3, id);
	ok(attempt(sp, id, all_perm, "550 no") == SPOOL_DISP_FAILED &&
		file_exists("failed", id) && !file_exists("queue", id),
	    "5xx for all: failed/ at once, never retried");
	ok(spool_drop(sp, id, &err) == 0, "dropped");

	/* uncertain: the reply to the dot lost */
	must_enqueue(sp, "m\r\n", rcpt3, 2, id);
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e != NULL &&
		spool_mark_sending(sp, e, &err) == 0,
	    "sending");
	ok(listed_state(sp, id) == SPOOL_SENDING,
	    "listed as sending while the runner holds it");
	need(e, "a claimed entry");
	spool_set_outcome_all(
	    e, SPOOL_OUT_UNCERTAIN, 0, "connection lost after the final dot");
	ok(spool_record(sp, e, "no reply to the final dot", &disp, &err) == 0 &&
		disp == SPOOL_DISP_UNCERTAIN,
	    "reply lost: uncertain");
	spool_entry_free(e);
	ok(listed_state(sp, id) == SPOOL_UNCERTAIN, "listed as uncertain");
	fake_now += 86400;
	ok(next_due(sp, SPOOL_DUE_ALL) == NULL,
	    "an uncertain entry is never sent again unasked");
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e == NULL,
	    "nor when claimed by ID without the flag");
	e = next_due(sp, SPOOL_DUE_UNCERTAIN);
	ok(e != NULL && e->rcpt[0].state == SPOOL_RCPT_PENDING &&
		strcmp(e->message_id, "<1@example.net>") == 0,
	    "asked for: resent, same message (same Message-ID)");
	ok(e != NULL && spool_mark_sending(sp, e, &err) == 0, "sending again");
	need(e, "a claimed entry");
	spool_set_outcome_all(e, SPOOL_OUT_ACCEPTED, 250, "ok");
	ok(e != NULL && spool_record(sp, e, "250", &disp, &err) == 0 &&
		disp == SPOOL_DISP_DELIVERED,
	    "delivered");
	spool_entry_free(e);

	/* a runner that says nothing about the dot: uncertain */
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e != NULL &&
		spool_mark_sending(sp, e, &err) == 0 &&
		spool_record(sp, e, NULL, &disp, &err) == 0 &&
		disp == SPOOL_DISP_UNCERTAIN,
	    "no outcome for a recipient being sent: uncertain");
	spool_entry_free(e);
	ok(spool_drop(sp, id, &err) == 0, "an uncertain entry can be dropped");

	/* a runner that failed before the dot: back to pending */
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e != NULL &&
		spool_mark_sending(sp, e, &err) == 0,
	    "marked early");
	need(e, "a claimed entry");
	spool_set_outcome_all(e, SPOOL_OUT_TEMP, 0, "connection refused");
	ok(spool_record(sp, e, "connection refused", &disp, &err) == 0 &&
		disp == SPOOL_DISP_DEFERRED &&
		e->rcpt[0].state == SPOOL_RCPT_PENDING,
	    "never reached the dot: pending again");
	spool_entry_free(e);

	/* recipients refused at RCPT are not marked as being sent */
	fake_now += 3600;
	ok(spool_claim(sp, id, 0, &e, &err) == 0 && e != NULL, "claimed again");
	need(e, "a claimed entry");
	spool_set_outcome(e, 0, SPOOL_OUT_PERM, 550, "no");
	ok(spool_mark_sending(sp, e, &err) == SMTPC_EINVAL,
	    "nobody left to send to: no dot");
	ok(spool_record(sp, e, "550", &disp, &err) == 0 &&
		disp == SPOOL_DISP_FAILED,
	    "then failed");
	spool_entry_free(e);
	spool_close(sp);
	fake_now = t0;
}

/* Temp failures on a turned clock: the schedule over days, then expiry. */
static void
test_backoff(void)
{
	static const enum spool_outcome temp[1] = {SPOOL_OUT_TEMP};
	struct spool *sp = fresh_spool(NULL);
	struct spool_entry *e;
	char id[SPOOL_ID_SIZE];
	int64_t created = fake_now, prev = fake_now, wait, d;
	int n = 0, in_day = 0, bad = 0, disp = SPOOL_DISP_DEFERRED;
	unsigned k;

	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	while (disp == SPOOL_DISP_DEFERRED && n < 1000) {
		disp = attempt(sp, id, temp, "451 try later");
		n++;
		if (fake_now - created < 86400)
			in_day++;
		if (disp != SPOOL_DISP_DEFERRED)
			break;
		if ((e = load(sp, id)) == NULL)
			break;
		wait = e->next_attempt - fake_now;
		/* The n-th wait: 60 s doubled n-1 times, at most an hour. */
		for (d = 60, k = 1; k < (unsigned)n && d < 3600; k++)
			d *= 2;
		if (d > 3600)
			d = 3600;
		if (wait < d - d / 4 || wait > d + d / 4 || wait > 3600) {
			bad++;
			printf(
			    "# attempt %d: waited %lld, expected about %lld\n",
			    n, (long long)wait, (long long)d);
		}
		/* A runner a little late, as cron would be. */
		prev = fake_now;
		fake_now = e->next_attempt + 7;
		spool_entry_free(e);
		/* Not due a second before its time. */
		if (n == 3) {
			fake_now -= 8;
			ok(next_due(sp, 0) == NULL,
			    "not due before next_attempt");
			fake_now += 8;
		}
	}
	(void)prev;
	ok(bad == 0,
	    "every wait within 25% of 1, 2, 4 ... minutes, capped "
	    "at an hour");
	printf("# %d attempts in the first day, %d in all\n", in_day, n);
	ok(in_day >= 28 && in_day <= 38, "28..38 attempts in the first day");
	ok(disp == SPOOL_DISP_FAILED && fake_now - created >= SPOOL_LIFETIME &&
		fake_now - created < SPOOL_LIFETIME + 3600 + 60,
	    "given up at the first attempt past 5 days");
	ok((e = load(sp, id)) != NULL && e->in_failed &&
		e->rcpt[0].state == SPOOL_RCPT_FAILED &&
		strstr(e->rcpt[0].text, "not delivered within 5 days") !=
		    NULL &&
		strstr(e->rcpt[0].text, "4.2.0 try later") != NULL &&
		e->nlog == SPOOL_LOG_KEEP && e->attempts == (unsigned)n,
	    "the recipient failed with the lifetime and the last reply; "
	    "history capped");
	spool_entry_free(e);
	spool_close(sp);
	fake_now = 1700000000;
}

/*
 * Processes at once: enqueuers and runners over one spool.  Every
 * message must be sent exactly once, none lost; a lister running beside
 * them must never see a half entry.
 */
#define CONC_ENQ 4
#define CONC_RUN 4
#define CONC_EACH 60

static void
conc_enqueuer(struct spool *sp, int k, const char *log)
{
	char id[SPOOL_ID_SIZE], msg[64], line[SPOOL_ID_SIZE + 2];
	struct smtpc_error err;
	int i, fd = open(log, O_WRONLY | O_APPEND);

	for (i = 0; i < CONC_EACH; i++) {
		snprintf(msg, sizeof(msg), "message %d.%d\r\n", k, i);
		if (enqueue(sp, msg, rcpt3, 2, id, &err) != 0)
			_exit(2);
		snprintf(line, sizeof(line), "%s\n", id);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			_exit(3);
	}
	_exit(0);
}

static void
conc_runner(struct spool *sp, const char *log, const char *done)
{
	char line[SPOOL_ID_SIZE + 2];
	struct spool_due *d;
	struct spool_entry *e;
	struct smtpc_error err;
	enum spool_disposition disp;
	struct stat st;
	int fd = open(log, O_WRONLY | O_APPEND), rc, found, finished;

	/* Between opening an entry and locking it, others finish it. */
	setenv("SMTPC_SPOOL_DELAY_AT", "lock-opened", 1);
	for (;;) {
		finished = stat(done, &st) == 0;
		found = 0;
		if (spool_due_begin(sp, SPOOL_DUE_ALL, &d, &err) != 0)
			_exit(2);
		while ((rc = spool_next_due(d, &e, &err)) != 0) {
			if (rc < 0)
				_exit(3);
			found = 1;
			if (spool_mark_sending(sp, e, &err) != 0)
				_exit(4);
			/* "Sending": the log is what the server received. */
			snprintf(line, sizeof(line), "%s\n", e->id);
			if (write(fd, line, strlen(line)) !=
			    (ssize_t)strlen(line))
				_exit(5);
			spool_set_outcome_all(e, SPOOL_OUT_ACCEPTED, 250, "ok");
			if (spool_record(sp, e, "250 ok", &disp, &err) != 0 ||
			    disp != SPOOL_DISP_DELIVERED)
				_exit(6);
			spool_entry_free(e);
		}
		spool_due_end(d);
		if (finished && !found)
			break;
	}
	_exit(0);
}

static void
conc_lister(struct spool *sp, const char *done)
{
	struct spool_list l;
	struct smtpc_error err;
	struct stat st;
	size_t i;

	while (stat(done, &st) != 0) {
		if (spool_list(sp, 0, &l, &err) != 0 || l.nproblem != 0) {
			if (l.nproblem > 0)
				fprintf(stderr, "lister: %s\n", l.problem[0]);
			_exit(2);
		}
		for (i = 0; i < l.n; i++)
			if (l.entry[i]->size != strlen("message 0.0\r\n") &&
			    l.entry[i]->size != strlen("message 0.10\r\n"))
				_exit(3);
		spool_list_free(&l);
	}
	_exit(0);
}

static int
count_lines(const char *path, char ***ret)
{
	FILE *f = fopen(path, "r");
	char line[256], **v = NULL;
	int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		v = realloc(v, (size_t)(n + 1) * sizeof(*v));
		line[strcspn(line, "\n")] = '\0';
		v[n++] = strdup(line);
	}
	if (f != NULL)
		fclose(f);
	*ret = v;
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_concurrency(void)
{
	struct spool *sp = fresh_spool(NULL);
	char enq_log[600], sent_log[600], done[600], **enq, **sent;
	pid_t enq_pid[CONC_ENQ], run_pid[CONC_RUN + 1];
	int i, st, failures = 0, n_enq, n_sent, dups = 0, lost = 0;

	snprintf(enq_log, sizeof(enq_log), "%s/enq.log", dir);
	snprintf(sent_log, sizeof(sent_log), "%s/sent.log", dir);
	snprintf(done, sizeof(done), "%s/enq.done", dir);
	close(open(enq_log, O_CREAT | O_WRONLY | O_TRUNC, 0600));
	close(open(sent_log, O_CREAT | O_WRONLY | O_TRUNC, 0600));
	unlink(done);
	fflush(stdout);
	for (i = 0; i < CONC_RUN; i++)
		if ((run_pid[i] = fork()) == 0)
			conc_runner(sp, sent_log, done);
	if ((run_pid[CONC_RUN] = fork()) == 0)
		conc_lister(sp, done);
	for (i = 0; i < CONC_ENQ; i++)
		if ((enq_pid[i] = fork()) == 0)
			conc_enqueuer(sp, i, enq_log);
	for (i = 0; i < CONC_ENQ; i++)
		if (waitpid(enq_pid[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failures++;
	close(open(done, O_CREAT | O_WRONLY, 0600));
	for (i = 0; i <= CONC_RUN; i++)
		if (waitpid(run_pid[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			printf("# process %d: status %d\n", i, st);
			failures++;
		}
	ok(failures == 0,
	    "4 enqueuers, 4 runners and a lister at once: all "
	    "ran cleanly, the lister never saw a half entry");
	n_enq = count_lines(enq_log, &enq);
	n_sent = count_lines(sent_log, &sent);
	qsort(enq, (size_t)n_enq, sizeof(*enq), cmp_str);
	qsort(sent, (size_t)n_sent, sizeof(*sent), cmp_str);
	for (i = 1; i < n_sent; i++)
		dups += strcmp(sent[i - 1], sent[i]) == 0;
	for (i = 0; i < n_enq; i++)
		lost += bsearch(&enq[i], sent, (size_t)n_sent, sizeof(*sent),
			    cmp_str) == NULL;
	printf("# %d queued, %d sent\n", n_enq, n_sent);
	ok(n_enq == CONC_ENQ * CONC_EACH, "every message queued");
	ok(dups == 0 && n_sent == n_enq, "none sent twice");
	ok(lost == 0, "none lost");
	ok(count_files("queue") == 0 && count_files("tmp") == 0,
	    "the queue is empty afterwards");
	for (i = 0; i < n_enq; i++)
		free(enq[i]);
	for (i = 0; i < n_sent; i++)
		free(sent[i]);
	free(enq);
	free(sent);
	spool_close(sp);
}

/* Run `fn` in a child with SMTPC_SPOOL_CRASH_AT=point: 1 if it was killed. */
static int
crash_at(const char *point, void (*fn)(struct spool *, char *),
    struct spool *sp, char *id)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		setenv("SMTPC_SPOOL_CRASH_AT", point, 1);
		fn(sp, id);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return 0;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

static void
child_enqueue(struct spool *sp, char *id)
{
	struct smtpc_error err;

	(void)id;
	(void)enqueue(sp, "crash test\r\n", rcpt3, 2, id, &err);
}

static void
child_send(struct spool *sp, char *id, const enum spool_outcome out)
{
	struct spool_entry *e = next_due(sp, 0);
	struct smtpc_error err;
	enum spool_disposition disp;

	(void)id;
	if (e == NULL || spool_mark_sending(sp, e, &err) != 0)
		_exit(1);
	spool_set_outcome_all(e, out, out == SPOOL_OUT_PERM ? 550 : 250, "x");
	(void)spool_record(sp, e, "x", &disp, &err);
}

static void
child_deliver(struct spool *sp, char *id)
{
	child_send(sp, id, SPOOL_OUT_ACCEPTED);
}

static void
child_fail(struct spool *sp, char *id)
{
	child_send(sp, id, SPOOL_OUT_PERM);
}

/* How many times a runner (not asking for uncertain ones) would send it. */
static int
sends_after(struct spool *sp)
{
	struct spool_entry *e;
	struct smtpc_error err;
	enum spool_disposition disp;
	int n = 0;

	while (n < 5 && (e = next_due(sp, SPOOL_DUE_ALL)) != NULL) {
		n++;
		spool_mark_sending(sp, e, &err);
		spool_set_outcome_all(e, SPOOL_OUT_ACCEPTED, 250, "ok");
		spool_record(sp, e, "ok", &disp, &err);
		spool_entry_free(e);
	}
	return n;
}

static void
test_crash(void)
{
	static const char *const before[] = {"enqueue-tmp-created",
	    "enqueue-copied", "enqueue-written", "enqueue-synced"};
	static const char *const after[] = {"enqueue-renamed", "enqueue-done"};
	static const char *const sending[] = {
	    "sending-written", "record-start"};
	static const char *const failing[] = {"fail-queue-state-written",
	    "fail-failed-state-written", "fail-entry-moved"};
	char id[SPOOL_ID_SIZE], what[160];
	struct smtpc_error err;
	struct spool_list l;
	struct spool_entry *e;
	struct spool *sp;
	size_t i, removed, body_len;
	char *body;

	for (i = 0; i < sizeof(before) / sizeof(*before); i++) {
		sp = fresh_spool(NULL);
		snprintf(what, sizeof(what), "kill -9 at %s", before[i]);
		ok(crash_at(before[i], child_enqueue, sp, id), what);
		l = list_of(sp, SPOOL_LIST_FAILED);
		ok(l.n == 0 && l.nproblem == 0 && count_files("queue") == 0,
		    "... nothing queued, nothing half-listed");
		spool_list_free(&l);
		ok(spool_sweep(sp, &removed, &err) == 0 && removed == 1 &&
			count_files("tmp") == 0,
		    "... the temp file swept");
		spool_close(sp);
	}
	for (i = 0; i < sizeof(after) / sizeof(*after); i++) {
		sp = fresh_spool(NULL);
		snprintf(what, sizeof(what), "kill -9 at %s", after[i]);
		ok(crash_at(after[i], child_enqueue, sp, id), what);
		l = list_of(sp, 0);
		ok(l.n == 1 && l.nproblem == 0 && l.entry[0]->nrcpt == 2,
		    "... queued, whole");
		if (l.n == 1 && spool_load(sp, l.entry[0]->id, &e, &err) == 0) {
			body = read_body(e, &body_len);
			ok(body != NULL && strcmp(body, "crash test\r\n") == 0,
			    "... with its message");
			free(body);
			spool_entry_free(e);
		} else
			ok(0, "... with its message");
		spool_list_free(&l);
		ok(sends_after(sp) == 1, "... and sent once");
		spool_close(sp);
	}

	/* Killed holding a claim, before any dot: free to send again. */
	sp = fresh_spool(NULL);
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	ok(crash_at("claimed", child_deliver, sp, id), "kill -9 at claimed");
	ok(listed_state(sp, id) == SPOOL_QUEUED && sends_after(sp) == 1,
	    "... the lock died with it: queued, sent once");
	spool_close(sp);

	/*
	 * Killed as the mark goes in ("sending" is a second name of the
	 * entry, made in one step): before it, queued and sent once.
	 */
	sp = fresh_spool(NULL);
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	ok(crash_at("lock-opened", child_deliver, sp, id),
	    "kill -9 at lock-opened (before \"sending\" is in place)");
	ok(listed_state(sp, id) == SPOOL_QUEUED && sends_after(sp) == 1,
	    "... queued, sent once");
	ok(spool_sweep(sp, &removed, &err) == 0 && count_files("tmp") == 0,
	    "... nothing left in tmp/");
	spool_close(sp);

	/* Killed at or after the dot: uncertain, never sent again unasked. */
	for (i = 0; i < sizeof(sending) / sizeof(*sending); i++) {
		sp = fresh_spool(NULL);
		must_enqueue(sp, "m\r\n", rcpt3, 2, id);
		snprintf(what, sizeof(what), "kill -9 at %s", sending[i]);
		ok(crash_at(sending[i], child_deliver, sp, id), what);
		l = list_of(sp, 0);
		ok(l.n == 1 && l.entry[0]->state == SPOOL_UNCERTAIN &&
			l.entry[0]->interrupted &&
			l.entry[0]->rcpt[1].state == SPOOL_RCPT_UNCERTAIN,
		    "... listed as uncertain (interrupted)");
		spool_list_free(&l);
		ok(sends_after(sp) == 0, "... not sent again");
		ok(listed_state(sp, id) == SPOOL_UNCERTAIN,
		    "... and written back as uncertain");
		e = next_due(sp, SPOOL_DUE_UNCERTAIN);
		ok(e != NULL, "... resent only when asked");
		spool_entry_free(e);
		spool_close(sp);
	}

	/* Killed while removing a delivered entry. */
	sp = fresh_spool(NULL);
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	ok(crash_at("remove-entry-unlinked", child_deliver, sp, id),
	    "kill -9 at remove-entry-unlinked");
	l = list_of(sp, SPOOL_LIST_FAILED);
	ok(l.n == 0 && l.nproblem == 0, "... gone from the listing");
	spool_list_free(&l);
	ok(sends_after(sp) == 0, "... never sent again");
	ok(spool_sweep(sp, &removed, &err) == 0 && removed == 1 &&
		count_files("queue") == 0,
	    "... its state record swept");
	spool_close(sp);

	/* Killed while giving up. */
	for (i = 0; i < sizeof(failing) / sizeof(*failing); i++) {
		sp = fresh_spool(NULL);
		must_enqueue(sp, "m\r\n", rcpt3, 1, id);
		snprintf(what, sizeof(what), "kill -9 at %s", failing[i]);
		ok(crash_at(failing[i], child_fail, sp, id), what);
		ok(listed_state(sp, id) == SPOOL_FAILED,
		    "... listed as failed");
		ok(sends_after(sp) == 0, "... never sent again");
		spool_sweep(sp, &removed, &err);
		ok(file_exists("failed", id) && count_files("queue") == 0 &&
			(e = load(sp, id)) != NULL && e->in_failed &&
			e->rcpt[0].state == SPOOL_RCPT_FAILED,
		    "... the move is finished, its state kept");
		spool_entry_free(e);
		spool_close(sp);
	}
}

/* The bounded copy: a 64 MiB message, peak memory in a child. */
static void
test_big_message(void)
{
	struct spool *sp = fresh_spool(NULL);
	struct spool_envelope env;
	struct smtpc_error err;
	struct rusage ru;
	char id[SPOOL_ID_SIZE], p[600];
	pid_t pid;
	int fd, st;

	snprintf(p, sizeof(p), "%s/big", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 64 << 20) != 0) {
		ok(0, "a 64 MiB file");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		long before;

		env_init(&env, rcpt3, 1);
		/* Growth, not the peak: sanitizers bring their own memory. */
		getrusage(RUSAGE_SELF, &ru);
		before = ru.ru_maxrss;
		if (spool_enqueue_fd(sp, &env, fd, id, &err) != 0)
			_exit(2);
		getrusage(RUSAGE_SELF, &ru);
		printf("# peak RSS while queueing 64 MiB: %ld KiB, %ld KiB "
		       "more than before\n",
		    ru.ru_maxrss, ru.ru_maxrss - before);
		fflush(stdout);
		spool_close(sp);
		_exit(ru.ru_maxrss - before < 16 * 1024 ? 0 : 3);
	}
	close(fd);
	unlink(p);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a 64 MiB message queued with < 16 MiB "
	    "of memory");
	{
		struct spool_list l = list_of(sp, 0);

		ok(l.n == 1 && l.entry[0]->size == (uint64_t)64 << 20,
		    "... whole");
		spool_list_free(&l);
	}
	spool_close(sp);
}

static int
mount_tmpfs(const char *where, const char *opts)
{
	mkdir(where, 0700);
	return mount("tmpfs", where, "tmpfs", 0, opts);
}

static void
test_full_disk(void)
{
	char mnt[600], id[SPOOL_ID_SIZE], filler[700], *big;
	struct spool *sp;
	struct spool_envelope env;
	struct spool_entry *e;
	struct smtpc_error err;
	struct spool_list l;
	size_t size, successes = 0, failures = 0, partial = 0;
	int fd, rc, ffd;

	snprintf(mnt, sizeof(mnt), "%s/tiny", dir);
	if (mount_tmpfs(mnt, "size=64k,mode=0700") != 0) {
		printf("ok %d # SKIP cannot mount a tmpfs: %s\n", ++tap_count,
		    strerror(errno));
		rmdir(mnt);
		return;
	}
	sp = fresh_spool(mnt);
	big = malloc(256 * 1024);
	memset(big, 'x', 256 * 1024);
	env_init(&env, rcpt3, 3);
	fd = data_fd(big, 256 * 1024);
	rc = spool_enqueue_fd(sp, &env, fd, id, &err);
	close(fd);
	printf("# %s\n", err.message);
	ok(rc == SMTPC_ETEMP && strstr(err.message, "No space left") != NULL &&
		strstr(err.message, spool_path) != NULL,
	    "a message larger than the disk: ETEMP (exit 75), the path named");
	ok(count_files("queue") == 0 && count_files("tmp") == 0,
	    "... no entry, no temp file left");

	/* The disk fills at every point of the write in turn. */
	for (size = 30000; size < 70000; size += 1500) {
		fd = data_fd(big, size);
		rc = spool_enqueue_fd(sp, &env, fd, id, &err);
		close(fd);
		if (rc == 0) {
			successes++;
			spool_drop(sp, id, &err);
		} else if (rc == SMTPC_ETEMP)
			failures++;
		if (count_files("queue") != 0 || count_files("tmp") != 0)
			partial++;
		l = list_of(sp, 0);
		spool_list_free(&l);
	}
	printf("# %zu fitted, %zu did not\n", successes, failures);
	ok(successes > 0 && failures > 0 && partial == 0,
	    "messages around the disk's size: each queued whole or not at "
	    "all, nothing left behind");

	/* A full disk when the state must be written: no dot. */
	must_enqueue(sp, "m\r\n", rcpt3, 1, id);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	ffd = open(filler, O_WRONLY | O_CREAT, 0600);
	while (write(ffd, big, 4096) == 4096)
		;
	close(ffd);
	e = next_due(sp, 0);
	rc = e != NULL ? spool_mark_sending(sp, e, &err) : -1;
	ok(rc == 0, "full disk: \"sending\" (a link, no data) still goes in");
	spool_entry_free(e);
	ok(listed_state(sp, id) == SPOOL_UNCERTAIN && count_files("tmp") == 0,
	    "... and counts: released unrecorded, the entry is uncertain");
	unlink(filler);
	spool_close(sp);
	free(big);
	umount(mnt);
	rmdir(mnt);
}

static void
test_unwritable(void)
{
	char mnt[400], id[SPOOL_ID_SIZE], p[600];
	struct spool_opts o;
	struct spool *sp;
	struct smtpc_error err;
	pid_t pid;
	int st, rc;

	snprintf(mnt, sizeof(mnt), "%s/ro", dir);
	if (mount_tmpfs(mnt, "size=1m,mode=0700") != 0) {
		printf("ok %d # SKIP cannot mount a tmpfs: %s\n", ++tap_count,
		    strerror(errno));
		rmdir(mnt);
		return;
	}
	sp = fresh_spool(mnt);
	spool_close(sp);
	if (mount("tmpfs", mnt, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		printf("ok %d # SKIP cannot remount read-only: %s\n",
		    ++tap_count, strerror(errno));
		umount(mnt);
		rmdir(mnt);
		return;
	}
	spool_opts_init(&o);
	o.dir = spool_path;
	ok(spool_open(&o, &sp, &err) == 0, "a read-only spool opens (to list)");
	rc = enqueue(sp, "m\r\n", rcpt3, 1, id, &err);
	printf("# %s\n", err.message);
	ok(rc == SMTPC_EIO && strstr(err.message, "Read-only") != NULL &&
		strstr(err.message, spool_path) != NULL,
	    "queueing on a read-only disk: EIO (exit 74), the path named");
	spool_close(sp);
	snprintf(p, sizeof(p), "%s/new", mnt);
	o.dir = p;
	ok(spool_open(&o, &sp, &err) == SMTPC_EIO &&
		strstr(err.message, p) != NULL,
	    "a spool that cannot be created: EIO, named");
	umount(mnt);
	rmdir(mnt);

	/* Permission: another user, where only root may write. */
	snprintf(p, sizeof(p), "%s/rootonly", dir);
	mkdir(p, 0755);
	chmod(dir, 0755);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(9);
		snprintf(p, sizeof(p), "%s/rootonly/q", dir);
		o.dir = p;
		rc = spool_open(&o, &sp, &err);
		_exit(rc == SMTPC_EIO && strstr(err.message, "Permission") &&
			    strstr(err.message, p) != NULL
			? 0
			: 1);
	}
	waitpid(pid, &st, 0);
	chmod(dir, 0700);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 9)
		printf("ok %d # SKIP cannot change user\n", ++tap_count);
	else
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "a place without permission: EIO (exit 74), named");
	rmdir(path_of("rootonly"));
}

/* The record parser on hostile text. */
static void
bad_meta(const char *text, const char *want, const char *what)
{
	struct spool_entry e;
	struct smtpc_error err;
	int rc;

	spool_entry_init(&e);
	rc = spool_parse_meta(text, strlen(text), "F", &e, &err);
	if (!ok(rc == SMTPC_EDATA && strncmp(err.message, "F: ", 3) == 0 &&
		    strstr(err.message, want) != NULL,
		what))
		printf("# rc %d: %s\n", rc, err.message);
	spool_entry_clear(&e);
}

#define META_HEAD                                                              \
	"smtpc-queue 1\nid 1700000000.000000.1.000000000000\n"                 \
	"created 1\nsize 3\nfrom a@b\n"

static void
test_parser(void)
{
	struct spool_entry e;
	struct smtpc_error err;
	const char *text;
	char *out;
	size_t len;
	uint64_t m;
	uint32_t k;
	static const char st_text[] =
	    "smtpc-queue-state 1\n"
	    "id 1700000000.000000.1.000000000000\nstate queued\nattempts 2\n"
	    "next 5\nlast 4\nerror 451\\x0d\\x0aline two \\x5c\n"
	    "rcpt 0 failed 550 5.1.1 \\x1b[31mred\xc3\xa9\n"
	    "log 4 attempt 2: 451\n";

	bad_meta("", "empty", "empty text");
	bad_meta("From x\n", "not a smtpc queue entry", "another file");
	bad_meta("smtpc-queue 2\n", "newer", "a newer format");
	bad_meta(META_HEAD "rcpt x\nbogus 1\n",
	    "line 7: unknown field "
	    "\"bogus\"",
	    "an unknown field, with its line");
	bad_meta(META_HEAD "rcpt x", "not ended", "a last line cut short");
	bad_meta(META_HEAD, "recipients", "no recipient");
	bad_meta(META_HEAD "rcpt a\\x0\n", "escape", "a short escape");
	bad_meta(META_HEAD "rcpt a\\x00b\n", "escape", "an escaped NUL");
	bad_meta(META_HEAD "rcpt a\rb\n", "control", "a raw CR");
	bad_meta(META_HEAD "from c@d\nrcpt x\n", "twice", "a field twice");
	bad_meta(META_HEAD "created 1\nrcpt x\n", "twice", "created twice");
	bad_meta("smtpc-queue 1\nid ../../x\n", "not a queue ID",
	    "an ID that is a path");
	bad_meta("smtpc-queue 1\nsize 99999999999999999999\n", "range",
	    "a number out of range");
	bad_meta("smtpc-queue 1\nsize -1\n", "number", "a negative number");
	bad_meta(META_HEAD "param BAD x\nrcpt x\n", "parameter name",
	    "a bad parameter name");
	bad_meta("smtpc-queue 1\n\xff\x01\n", "unknown field \"\\xff\\x01\"",
	    "foreign bytes are escaped in the sentence");

	spool_entry_init(&e);
	ok(spool_parse_meta(META_HEAD "rcpt x@y\n", strlen(META_HEAD) + 9, "F",
	       &e, &err) == 0 &&
		e.nrcpt == 1,
	    "a minimal envelope");
	ok(spool_parse_state(st_text, sizeof(st_text) - 1, "S", &e, &err) == 0,
	    "a state record");
	ok(e.attempts == 2 && e.next_attempt == 5 && e.last_attempt == 4 &&
		strcmp(e.error, "451\r\nline two \\") == 0 &&
		e.rcpt[0].state == SPOOL_RCPT_FAILED && e.rcpt[0].code == 550 &&
		strcmp(e.rcpt[0].text, "5.1.1 \x1b[31mred\xc3\xa9") == 0 &&
		e.nlog == 1,
	    "server text with CR, LF, ESC, backslash, UTF-8");
	out = spool_format_state(&e, &len);
	ok(out != NULL && len == sizeof(st_text) - 1 &&
		memcmp(out, st_text, len) == 0,
	    "written back byte for byte");
	free(out);
	text = "smtpc-queue-state 1\nid 1700000000.000000.1.000000000000\n"
	       "state queued\nrcpt 1 done 250\n";
	ok(spool_parse_state(text, strlen(text), "S", &e, &err) ==
		    SMTPC_EDATA &&
		strstr(err.message, "S: line 4") != NULL,
	    "a recipient index beyond the envelope");
	text = "smtpc-queue-state 1\nid 1700000000.000000.1.000000000000\n"
	       "state lost\n";
	ok(spool_parse_state(text, strlen(text), "S", &e, &err) ==
		    SMTPC_EDATA &&
		strstr(err.message, "unknown state") != NULL,
	    "an unknown state");
	spool_entry_clear(&e);

	ok(spool_parse_footer("smtpc-queue-end 0000000000000010 00000020\n",
	       16 + 32 + 42, "F", &m, &k, &err) == 0 &&
		m == 16 && k == 32,
	    "a footer");
	ok(spool_parse_footer("smtpc-queue-end 0000000000000010 00000020\n",
	       16 + 32 + 43, "F", &m, &k, &err) == SMTPC_EDATA,
	    "a footer that does not match the size");
	ok(spool_parse_footer("smtpc-queue-end 00000000000000G0 00000020\n",
	       16 + 32 + 42, "F", &m, &k, &err) == SMTPC_EDATA,
	    "bad hex");
	ok(spool_parse_footer("smtpc-queue-end ffffffffffffffff 00000020\n",
	       16 + 32 + 42, "F", &m, &k, &err) == SMTPC_EDATA,
	    "a length beyond the file");
}

int
main(void)
{
	tmp_setup("spool");
	test_ids();
	test_parser();
	test_open();
	test_roundtrip();
	test_tmp_commit();
	test_listing();
	test_transitions();
	test_backoff();
	test_concurrency();
	test_crash();
	test_big_message();
	test_full_disk();
	test_unwritable();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
