/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for session_batch.c: many messages over one session against
 * scripted servers (the scripted io of test_session.c: pairs of "what the
 * client line starts with" and "what the server then sends").  Each
 * message must cost one write: its end and the next envelope together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "bounds.h"
#include "error.h"
#include "session.h"
#include "fake_io.h"
#include "tap.h"


#define EHLO_PIPE "250-mx.test\r\n250 PIPELINING\r\n"
#define EHLO_CHUNK "250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n"

/* What the done callback saw, in its order. */
struct seen {
	size_t n;
	int status[8];
	int maybe[8];
	long tag[8];
	char qid[8][32];
	char stage[8][32];
};

/* The batch's input: message i (1-based) to rN@y.test; "bad" items. */
struct feed {
	struct smtpc_msg *msg[8];
	size_t n, next;
	int bad;		/* 1-based index of an unmade item; 0: none */
	size_t stop_after;	/* next() says "no more" after this many */
	struct seen seen;
	const struct fake *fake;
	int held;		/* next() was called with bytes unsent */
};

static int
feed_next(void *user, struct smtpc_batch_item *it)
{
	struct feed *fd = user;
	size_t i = fd->next;

	if (fd->fake != NULL && fd->fake->out.len > 0)
		fd->held = 1;
	if (i >= fd->n || (fd->stop_after != 0 && i >= fd->stop_after))
		return 0;
	fd->next++;
	it->tag = (void *)(long)(i + 1);
	if ((int)i + 1 == fd->bad) {
		error_set(&it->error, SMTPC_EDATA, "input",
		    "line %zu: not JSON", i + 1);
		return 1;
	}
	it->msg = fd->msg[i];
	return 1;
}

static void
feed_done(void *user, void *tag, const struct smtpc_result *r)
{
	struct feed *fd = user;
	struct seen *sn = &fd->seen;
	const struct smtpc_error *e = smtpc_result_error(r);

	if (sn->n >= 8)
		return;
	sn->status[sn->n] = smtpc_result_status(r);
	sn->maybe[sn->n] = smtpc_result_maybe_delivered(r);
	sn->tag[sn->n] = (long)tag;
	snprintf(sn->qid[sn->n], sizeof(sn->qid[0]), "%s",
	    smtpc_result_queue_id(r) ? smtpc_result_queue_id(r) : "");
	snprintf(sn->stage[sn->n], sizeof(sn->stage[0]), "%s",
	    e != NULL ? e->stage : "");
	sn->n++;
}

static void
feed_make(struct feed *fd, size_t n)
{
	struct smtpc_error err;
	char to[64], subj[32];
	size_t i;

	memset(fd, 0, sizeof(*fd));
	fd->n = n;
	for (i = 0; i < n; i++) {
		fd->msg[i] = smtpc_msg_new();
		snprintf(to, sizeof(to), "r%zu@y.test", i + 1);
		snprintf(subj, sizeof(subj), "m%zu", i + 1);
		smtpc_msg_set_from(fd->msg[i], "a@x.test", &err);
		smtpc_msg_add_recipient(fd->msg[i], SMTPC_RCPT_TO, to, &err);
		smtpc_msg_set_subject(fd->msg[i], subj, &err);
		smtpc_msg_set_text(fd->msg[i], "hello\n", 6, &err);
	}
}

static void
feed_free(struct feed *fd)
{
	size_t i;

	for (i = 0; i < fd->n; i++)
		smtpc_msg_free(fd->msg[i]);
}

/* Lines of the transcript starting with `prefix`. */
static size_t
count_lines(const struct buf *t, const char *prefix)
{
	const char *p = buf_cstr(t), *nl;
	size_t n = 0, len = strlen(prefix);

	for (; *p != '\0'; p = nl + 1) {
		n += strncmp(p, prefix, len) == 0;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
	}
	return n;
}

struct batch_case {
	const char *name;
	size_t nmsg;
	int bad;
	unsigned max_per_conn;
	const char *script[80];
	int rc;
	int status[8];
	int maybe[8];
	const char *qid[8];
	size_t flushes;		/* 0: not checked */
	const char *count_prefix[3];	/* lines counted in the transcript */
	size_t count[3];
	int slow_source;	/* take_ahead 0: next() may block */
};

#define MSG_OK(n, id)	"MAIL FROM:<a@x.test>", "250 ok\r\n", \
	"RCPT TO:<r" #n "@y.test>", "250 ok\r\n", "DATA", "354 go\r\n", \
	"=.", "250 2.0.0 Ok: queued as " id "\r\n"
#define OPEN		"", "220 mx.test ESMTP\r\n", "EHLO", EHLO_PIPE

static const struct batch_case cases[] = {
	{ "three messages: one write each, the dot and the next envelope "
	    "together", 3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"), MSG_OK(2, "A2"), MSG_OK(3, "A3"),
	      "QUIT", "221 bye\r\n", NULL },
	    0, { 0, 0, 0 }, { 0, 0, 0 }, { "A1", "A2", "A3" },
	    /* EHLO, the first envelope, then one per message. */
	    5, { "MAIL FROM", "RSET", "Subject: m2" }, { 3, 0, 1 }, 0 },
	{ "a recipient refused in the middle: RSET, the batch goes on",
	    3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"),
	      "MAIL FROM", "250 ok\r\n", "RCPT TO:<r2@y.test>",
	      "550 5.1.1 no such user\r\n", "DATA",
	      "554 5.5.1 no valid recipients\r\n", "RSET", "250 ok\r\n",
	      MSG_OK(3, "A3"), "QUIT", "221 bye\r\n", NULL },
	    SMTPC_EPERM, { 0, SMTPC_EPERM, 0 }, { 0, 0, 0 },
	    { "A1", "", "A3" }, 0,
	    { "RSET", "Subject: m2", "Subject: m3" }, { 1, 0, 1 }, 0 },
	{ "a final 421 in the middle: QUIT, reconnect, the next envelope "
	    "again, its message once", 3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"),
	      "MAIL FROM", "250 ok\r\n", "RCPT TO:<r2@y.test>", "250 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "421 4.3.0 shutting down\r\n",
	      "MAIL FROM", "!CLOSE", "RCPT", "!CLOSE", "DATA", "!CLOSE",
	      OPEN, MSG_OK(3, "A3"), "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ETEMP, { 0, SMTPC_ETEMP, 0 }, { 0, 0, 0 },
	    { "A1", "", "A3" }, 0,
	    { "RCPT TO:<r3@y.test>", "Subject: m3", "EHLO" }, { 2, 1, 2 }, 0 },
	{ "the connection drops with a final reply outstanding: that "
	    "message maybe delivered, the next sent on a new connection",
	    3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"),
	      "MAIL FROM", "250 ok\r\n", "RCPT TO:<r2@y.test>", "250 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "!CLOSE",
	      "MAIL FROM", "!CLOSE", "RCPT", "!CLOSE", "DATA", "!CLOSE",
	      OPEN, MSG_OK(3, "A3"), "QUIT", "221 bye\r\n", NULL },
	    SMTPC_ECONN, { 0, SMTPC_ECONN, 0 }, { 0, 1, 0 },
	    { "A1", "", "A3" }, 0,
	    { "Subject: m2", "Subject: m3", "RCPT TO:<r3@y.test>" },
	    { 1, 1, 2 }, 0 },
	{ "the last message's final reply lost: only it maybe delivered",
	    2, 0, 0,
	    { OPEN, MSG_OK(1, "A1"),
	      "MAIL FROM", "250 ok\r\n", "RCPT TO:<r2@y.test>", "250 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "!CLOSE", NULL },
	    SMTPC_ECONN, { 0, SMTPC_ECONN }, { 0, 1 }, { "A1", "" }, 0,
	    { NULL }, { 0 }, 0 },
	{ "an unmade item in the middle: its result in its turn, the "
	    "others sent", 3, 2, 0,
	    { OPEN, MSG_OK(1, "A1"), MSG_OK(3, "A3"),
	      "QUIT", "221 bye\r\n", NULL },
	    SMTPC_EDATA, { 0, SMTPC_EDATA, 0 }, { 0, 0, 0 },
	    { "A1", "", "A3" }, 0, { "MAIL FROM" }, { 2 }, 0 },
	{ "a final 5xx: that message refused, the next envelope's replies "
	    "read as they came", 3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"),
	      "MAIL FROM", "250 ok\r\n", "RCPT TO:<r2@y.test>", "250 ok\r\n",
	      "DATA", "354 go\r\n", "=.", "554 5.7.1 spam\r\n",
	      MSG_OK(3, "A3"), "QUIT", "221 bye\r\n", NULL },
	    SMTPC_EPERM, { 0, SMTPC_EPERM, 0 }, { 0, 0, 0 },
	    { "A1", "", "A3" }, 5, { "RSET", "MAIL FROM" }, { 0, 3 }, 0 },
	{ "max 2 per connection: QUIT after the second, reconnect",
	    3, 0, 2,
	    { OPEN, MSG_OK(1, "A1"), MSG_OK(2, "A2"), "QUIT", "221 bye\r\n",
	      OPEN, MSG_OK(3, "A3"), "QUIT", "221 bye\r\n", NULL },
	    0, { 0, 0, 0 }, { 0, 0, 0 }, { "A1", "A2", "A3" }, 0,
	    { "QUIT", "EHLO", "MAIL FROM" }, { 2, 2, 3 }, 0 },
	{ "BDAT: the LAST chunk and the next envelope together",
	    2, 0, 0,
	    { "", "220 mx.test ESMTP\r\n", "EHLO", EHLO_CHUNK,
	      "MAIL FROM", "250 ok\r\n", "RCPT", "250 ok\r\n",
	      "BDAT", "250 2.0.0 Ok: queued as B1\r\n",
	      "MAIL FROM", "250 ok\r\n", "RCPT", "250 ok\r\n",
	      "BDAT", "250 2.0.0 Ok: queued as B2\r\n",
	      "QUIT", "221 bye\r\n", NULL },
	    0, { 0, 0 }, { 0, 0 }, { "B1", "B2" },
	    /* EHLO, the first envelope, one per message. */
	    4, { "DATA", "BDAT" }, { 0, 2 }, 0 },
	{ "a source that may block: the end of each message is flushed "
	    "before the next is asked for", 3, 0, 0,
	    { OPEN, MSG_OK(1, "A1"), MSG_OK(2, "A2"), MSG_OK(3, "A3"),
	      "QUIT", "221 bye\r\n", NULL },
	    0, { 0, 0, 0 }, { 0, 0, 0 }, { "A1", "A2", "A3" }, 0,
	    { "MAIL FROM" }, { 3 }, 1 },
};

/* A session to mx.test over `f`, without TLS; `name` is the test's. */
static struct smtpc_session *
batch_session(struct fake *f, const char *name)
{
	struct smtpc_server cfg;
	struct smtpc_session *s = NULL;
	struct smtpc_error err;

	smtpc_server_init(&cfg);
	cfg.host = "mx.test";
	cfg.tls = SMTPC_TLS_NONE;
	cfg.helo = "test.host";
	memset(&err, 0, sizeof(err));
	ok(smtpc_session_new(&cfg, &s, &err) == 0, name);
	session_set_io(s, &fake_io, f);
	return s;
}

static void
run_case(const struct batch_case *c)
{
	struct fake f = { 0 };
	struct smtpc_session *s = NULL;
	struct smtpc_batch b;
	struct smtpc_error err, qerr;
	struct feed fd;
	size_t i;
	int rc;

	fake_init(&f, c->script);
	s = batch_session(&f, c->name);
	memset(&err, 0, sizeof(err));
	feed_make(&fd, c->nmsg);
	fd.bad = c->bad;
	smtpc_batch_init(&b);
	b.next = feed_next;
	b.done = feed_done;
	b.user = &fd;
	b.max_per_connection = c->max_per_conn;
	b.take_ahead = !c->slow_source;
	fd.fake = &f;
	rc = smtpc_session_send_many(s, &b, &err);
	if (f.flushes > 0 && c->flushes != 0 && !ok(f.flushes == c->flushes,
	    "  one write per message"))
		printf("# %zu writes, want %zu\n", f.flushes, c->flushes);
	(void)smtpc_session_quit(s, &qerr);
	if (c->slow_source)
		ok(!fd.held, "  nothing of ours unsent while next() runs");
	if (!ok(rc == c->rc, "  return code"))
		printf("# got %s (%s: %s)\n", smtpc_errname(rc), err.stage,
		    err.message);
	ok(fd.seen.n == c->nmsg, "  a result for every item");
	for (i = 0; i < fd.seen.n && i < c->nmsg; i++) {
		if (!ok(fd.seen.tag[i] == (long)i + 1 &&
		    fd.seen.status[i] == c->status[i] &&
		    fd.seen.maybe[i] == c->maybe[i] &&
		    strcmp(fd.seen.qid[i], c->qid[i]) == 0,
		    "  result in order: status, maybe delivered, queue ID"))
			printf("# %zu: tag %ld %s maybe %d qid %s (%s)\n", i,
			    fd.seen.tag[i], smtpc_errname(fd.seen.status[i]),
			    fd.seen.maybe[i], fd.seen.qid[i],
			    fd.seen.stage[i]);
	}
	for (i = 0; i < 3 && c->count_prefix[i] != NULL; i++)
		if (!ok(count_lines(&f.transcript, c->count_prefix[i]) ==
		    c->count[i], c->count_prefix[i]))
			printf("# %zu times\n", count_lines(&f.transcript,
			    c->count_prefix[i]));
	if (!ok(c->script[f.pos] == NULL, "  the whole script was played"))
		printf("# stopped at %zu (%s)\n# %s", f.pos, c->script[f.pos],
		    buf_cstr(&f.transcript));
	smtpc_session_free(s);
	feed_free(&fd);
	fake_free(&f);
}

/*
 * Items given by their reader (msg NULL): sent as smtpc_session_send
 * sends, and each reader's end of file comes before its final dot is
 * written, while the previous message's dot has gone.
 */
struct raw_body {
	const char *text;
	size_t pos;
	struct fake *f;
	size_t dots_at_eof;	/* "." lines the server had seen at EOF */
	int dot_unsent_at_eof;	/* no ".\r\n" waiting in our buffer */
};

static int
raw_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct raw_body *rb = user;
	size_t left = strlen(rb->text) - rb->pos;

	*ret_len = left < cap ? left : cap;
	memcpy(buf, rb->text + rb->pos, *ret_len);
	rb->pos += *ret_len;
	if (*ret_len == 0) {
		/* Lines that are a lone dot: "." lines less stuffed ones. */
		rb->dots_at_eof = count_lines(&rb->f->transcript, ".") -
		    count_lines(&rb->f->transcript, "..");
		rb->dot_unsent_at_eof = rb->f->out.len < 3 ||
		    memcmp(rb->f->out.data + rb->f->out.len - 3, ".\r\n",
		    3) != 0;
	}
	return 0;
}

struct raw_feed {
	struct raw_body body[2];
	const char *rcpt[2][1];
	size_t next;
	struct seen seen;
};

static int
raw_next(void *user, struct smtpc_batch_item *it)
{
	struct raw_feed *rf = user;
	size_t i = rf->next;

	if (i >= 2)
		return 0;
	rf->next++;
	it->read = raw_read;
	it->read_user = &rf->body[i];
	it->size = strlen(rf->body[i].text);
	it->envelope_from = "q@x.test";
	it->rcpts = rf->rcpt[i];
	it->nrcpts = 1;
	it->tag = (void *)(long)(i + 1);
	return 1;
}

static void
raw_done(void *user, void *tag, const struct smtpc_result *r)
{
	struct raw_feed *rf = user;

	if (rf->seen.n < 8)
		rf->seen.status[rf->seen.n++] = smtpc_result_status(r);
	(void)tag;
}

static void
run_raw(void)
{
	static const char *const script[] = {
		OPEN,
		"=MAIL FROM:<q@x.test>", "250 ok\r\n",
		"RCPT TO:<r1@y.test>", "250 ok\r\n", "DATA", "354 go\r\n",
		"=.", "250 2.0.0 Ok: queued as R1\r\n",
		"=MAIL FROM:<q@x.test>", "250 ok\r\n",
		"RCPT TO:<r2@y.test>", "250 ok\r\n", "DATA", "354 go\r\n",
		"=.", "250 2.0.0 Ok: queued as R2\r\n",
		"QUIT", "221 bye\r\n", NULL,
	};
	struct fake f = { 0 };
	struct smtpc_session *s = NULL;
	struct smtpc_batch b;
	struct smtpc_error err, qerr;
	struct raw_feed rf;
	size_t i;
	int rc;

	fake_init(&f, script);
	memset(&err, 0, sizeof(err));
	memset(&rf, 0, sizeof(rf));
	rf.body[0].text = "Subject: one\r\n\r\n.dot first\r\n";
	rf.body[1].text = "Subject: two\r\n\r\nbody\r\n";
	rf.rcpt[0][0] = "r1@y.test";
	rf.rcpt[1][0] = "r2@y.test";
	for (i = 0; i < 2; i++)
		rf.body[i].f = &f;
	s = batch_session(&f, "items given by their reader");
	smtpc_batch_init(&b);
	b.next = raw_next;
	b.done = raw_done;
	b.user = &rf;
	b.take_ahead = 1;
	rc = smtpc_session_send_many(s, &b, &err);
	(void)smtpc_session_quit(s, &qerr);
	if (!ok(rc == 0 && rf.seen.n == 2 && rf.seen.status[0] == 0 &&
	    rf.seen.status[1] == 0, "  both accepted"))
		printf("# %s: %s\n", smtpc_errname(rc), err.message);
	ok(count_lines(&f.transcript, "..dot first") == 1,
	    "  the bytes dot-stuffed as given");
	for (i = 0; i < 2; i++)
		if (!ok(rf.body[i].dots_at_eof == i &&
		    rf.body[i].dot_unsent_at_eof,
		    "  end of file before its final dot, after the last"))
			printf("# message %zu: %zu dots seen\n", i + 1,
			    rf.body[i].dots_at_eof);
	if (!ok(f.script[f.pos] == NULL, "  the whole script was played"))
		printf("# %s", buf_cstr(&f.transcript));
	smtpc_session_free(s);
	fake_free(&f);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	run_raw();
	return tap_done();
}
