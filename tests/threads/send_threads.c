/* SPDX-License-Identifier: ISC */
/*
 * send_threads.c - the library's claim that it keeps no shared state, put
 * to work: THREADS threads start together, each opens its own session
 * and sends MESSAGES messages of its own (a text, an inline picture from
 * memory, an attachment from a callback) with its own result, and checks
 * every result: status 0, each recipient accepted, a queue ID and the
 * Message-ID it made.  Built plainly and with ThreadSanitizer
 * (scripts/tsan); tests/integration/test_threads.py runs both against
 * Postfix.
 *
 *   SMTPC_PASSWORD=... SMTPC_CAFILE=ca.pem send_threads 127.0.0.1 PORT \
 *       USER FROM THREADS MESSAGES TO [TO...]
 *
 * Prints one line per message, "T M QUEUEID MESSAGEID", and exits 0 when
 * every message of every thread was accepted.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smtpc.h>

#define MAX_THREADS 64

struct job {
	int id;
	int messages;
	const struct smtpc_server *srv;
	const char *from;
	char **to;
	int nto;
	int accepted;		/* messages whose result checked out */
	char log[8192];		/* this thread's lines, printed at the end */
	size_t loglen;
};

static pthread_barrier_t start;

static void
say(struct job *j, const char *line)
{
	int n = snprintf(j->log + j->loglen, sizeof(j->log) - j->loglen,
	    "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(j->log) - j->loglen)
		j->loglen += (size_t)n;
}

/* The attachment's bytes, made by a callback: a counter per part. */
struct counter {
	uint64_t left;
	unsigned char next;
};

static int
counter_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct counter *c = user;
	unsigned char *p = buf;
	size_t i, n = cap < c->left ? cap : (size_t)c->left;

	(void)err;
	for (i = 0; i < n; i++)
		p[i] = c->next++;
	c->left -= n;
	*ret_len = n;
	return 0;
}

static int
check(struct job *j, int m, int rc, const struct smtpc_result *res,
    const struct smtpc_error *err)
{
	const struct smtpc_rcpt_status *st;
	char line[sizeof(err->message) + 128];
	size_t i;

	if (rc != 0 || smtpc_result_status(res) != 0) {
		snprintf(line, sizeof(line), "%d %d FAILED %s: %.23s: %s",
		    j->id, m, smtpc_errname(rc), err->stage, err->message);
		say(j, line);
		return 0;
	}
	if (smtpc_result_rcpt_count(res) != (size_t)j->nto) {
		say(j, "wrong recipient count");
		return 0;
	}
	for (i = 0; i < (size_t)j->nto; i++) {
		st = smtpc_result_rcpt(res, i);
		if (st == NULL || st->accepted != 1 ||
		    strcmp(st->address, j->to[i]) != 0) {
			say(j, "a recipient not accepted");
			return 0;
		}
	}
	if (smtpc_result_queue_id(res) == NULL ||
	    smtpc_result_message_id(res) == NULL ||
	    smtpc_result_bytes(res) != smtpc_result_size(res)) {
		say(j, "no queue ID, no Message-ID, or bytes != size");
		return 0;
	}
	snprintf(line, sizeof(line), "%d %d %s %s", j->id, m,
	    smtpc_result_queue_id(res), smtpc_result_message_id(res));
	say(j, line);
	return 1;
}

static int
compose(struct job *j, struct smtpc_msg *msg, int m, struct counter *c,
    struct smtpc_error *err)
{
	char subject[64], text[128], pic[64];
	int i, rc;

	snprintf(subject, sizeof(subject), "thread %d message %d", j->id, m);
	snprintf(text, sizeof(text), "Thread %d, message %d.\n", j->id, m);
	for (i = 0; i < (int)sizeof(pic); i++)
		pic[i] = (char)(j->id * 31 + m * 7 + i);
	c->left = 3000 + (uint64_t)j->id * 100 + (uint64_t)m;
	c->next = (unsigned char)j->id;
	if ((rc = smtpc_msg_set_from(msg, j->from, err)) != 0 ||
	    (rc = smtpc_msg_set_subject(msg, subject, err)) != 0 ||
	    (rc = smtpc_msg_set_text(msg, text, strlen(text), err)) != 0 ||
	    (rc = smtpc_msg_add_inline_mem(msg, pic, sizeof(pic), NULL,
	    "pic.bin", NULL, err)) != 0 ||
	    (rc = smtpc_msg_add_attachment_cb(msg, counter_read, c,
	    c->left, NULL, "data.bin", err)) != 0)
		return rc;
	for (i = 0; i < j->nto; i++)
		if ((rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, j->to[i],
		    err)) != 0)
			return rc;
	return 0;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	struct smtpc_session *s = NULL;
	struct smtpc_result *res = smtpc_result_new();
	struct smtpc_error err;
	struct counter c;
	struct smtpc_msg *msg;
	int m, rc;

	pthread_barrier_wait(&start);
	memset(&err, 0, sizeof(err));
	if (res == NULL || (rc = smtpc_session_new(j->srv, &s, &err)) != 0 ||
	    (rc = smtpc_session_open(s, &err)) != 0) {
		say(j, res ? err.message : "out of memory");
		goto out;
	}
	for (m = 1; m <= j->messages; m++) {
		memset(&err, 0, sizeof(err));
		if ((msg = smtpc_msg_new()) == NULL)
			break;
		rc = compose(j, msg, m, &c, &err);
		if (rc == 0)
			rc = smtpc_session_send_msg(s, msg, 0, res, &err);
		else
			say(j, err.message);
		j->accepted += check(j, m, rc, res, &err);
		smtpc_msg_free(msg);
		if (!smtpc_session_is_ready(s))
			break;
	}
	(void)smtpc_session_quit(s, &err);
out:
	smtpc_session_free(s);
	smtpc_result_free(res);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct smtpc_server srv;
	long threads, messages;
	int i, total = 0;

	if (argc < 8 || (threads = strtol(argv[5], NULL, 10)) < 1 ||
	    threads > MAX_THREADS ||
	    (messages = strtol(argv[6], NULL, 10)) < 1 || messages > 1000) {
		fprintf(stderr, "usage: %s host port user from threads "
		    "messages to [to...]\n", argv[0]);
		return 64;
	}
	smtpc_server_init(&srv);
	srv.host = argv[1];
	srv.port = (unsigned)strtoul(argv[2], NULL, 10);
	srv.tls = SMTPC_TLS_STARTTLS;
	srv.user = argv[3];
	srv.password = getenv("SMTPC_PASSWORD");
	srv.cafile = getenv("SMTPC_CAFILE");

	if (pthread_barrier_init(&start, NULL, (unsigned)threads) != 0)
		return 71;
	for (i = 0; i < threads; i++) {
		jobs[i].id = i + 1;
		jobs[i].messages = (int)messages;
		jobs[i].srv = &srv;
		jobs[i].from = argv[4];
		jobs[i].to = argv + 7;
		jobs[i].nto = argc - 7;
		if (pthread_create(&tid[i], NULL, run, &jobs[i]) != 0)
			return 71;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		fwrite(jobs[i].log, 1, jobs[i].loglen, stdout);
		total += jobs[i].accepted;
	}
	pthread_barrier_destroy(&start);
	printf("%d of %ld messages accepted\n", total, threads * messages);
	return total == threads * messages ? 0 : 1;
}
