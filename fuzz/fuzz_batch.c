/* SPDX-License-Identifier: ISC */
/*
 * fuzz_batch.c - smtpc_session_send_many against a server whose answers
 * come from the fuzz input, through struct session_io.
 *
 * Input: one byte of settings (how many messages, 1 to 8; PIPELINING
 * offered or not; take_ahead; max per connection), then the server's
 * answers separated by NUL bytes: every command line the client sends
 * (not message lines) gets the next one, whatever it is.  Each connection
 * opens with a fixed greeting and EHLO reply; at the end of the input the
 * server hangs up.
 *
 * Properties: never crashes or leaks; every item is reported exactly once
 * and in the order it was given; no message's end of data is ever sent
 * twice (a message is never sent again once its end went out); a message
 * reported sent had its end of data sent; a message reported maybe
 * delivered had its end of data sent and is not reported sent.
 */
#include "error.h"
#include "fuzz.h"
#include "session.h"
#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NMSG_MAX	8

struct fake {
	const uint8_t *p;	/* answers not yet given */
	size_t n;
	int pipelining;
	int greet;		/* the greeting is due at the first read */
	int ehlo_done;
	int in_data;		/* message lines until "." */
	int subject;		/* the message whose lines are coming */
	int dots[NMSG_MAX];	/* ends of data received, per message */
	int64_t clock;
	struct buf in, out;
};

static void
fake_answer(struct fake *f, const char *line)
{
	const uint8_t *z;
	size_t len;

	if (!f->ehlo_done) {
		f->ehlo_done = 1;
		buf_append_str(&f->in, f->pipelining ?
		    "250-mx\r\n250 PIPELINING\r\n" : "250 mx\r\n");
		return;
	}
	if (f->n == 0)
		return;		/* silence, then EOF */
	z = memchr(f->p, 0, f->n);
	len = z != NULL ? (size_t)(z - f->p) : f->n;
	buf_append(&f->in, f->p, len);
	buf_append_str(&f->in, "\r\n");
	if (strcmp(line, "DATA") == 0 && len >= 3 &&
	    memcmp(f->p, "354", 3) == 0)
		f->in_data = 1;
	f->p += len + (z != NULL);
	f->n -= len + (z != NULL);
}

static int
fake_open(void *user, void **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = user;

	(void)host, (void)port, (void)deadline;
	if (f->n == 0)
		return error_set(err, SMTPC_ECONN, NULL, "refused");
	buf_reset(&f->in);
	buf_reset(&f->out);
	f->greet = 1;
	f->ehlo_done = 0;
	f->in_data = 0;
	*ret = f;
	return 0;
}

static int
fake_start_tls(void *c, const struct conn_tls_cfg *cfg, int64_t deadline,
    struct smtpc_error *err)
{
	(void)c, (void)cfg, (void)deadline;
	return error_set(err, SMTPC_ETLS, NULL, "no TLS here");
}

static size_t
fake_pending(const void *c)
{
	return ((const struct fake *)c)->in.len;
}

static int
fake_read_line(void *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = c;
	const char *nl;
	size_t n;

	(void)deadline;
	if (f->greet) {
		f->greet = 0;
		buf_append_str(&f->in, "220 mx ESMTP\r\n");
	}
	nl = f->in.len ? memchr(f->in.data, '\n', f->in.len) : NULL;
	if (nl == NULL)
		return error_set(err, SMTPC_ECONN, NULL, "closed");
	n = (size_t)(nl - (const char *)f->in.data);
	if (n + 1 > cap)
		return error_set(err, SMTPC_ELIMIT, NULL, "too long");
	memcpy(out, f->in.data, n);
	buf_consume(&f->in, n + 1);
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

static int
fake_write(void *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err)
{
	(void)deadline, (void)err;
	buf_append(&((struct fake *)c)->out, data, len);
	return 0;
}

static int
fake_flush(void *c, int64_t deadline, struct smtpc_error *err)
{
	struct fake *f = c;
	char line[1100];
	const char *p, *start;
	size_t n, off = 0;

	(void)deadline, (void)err;
	while (off < f->out.len && (p = memchr(f->out.data + off, '\n',
	    f->out.len - off)) != NULL) {
		start = (const char *)f->out.data + off;
		n = (size_t)(p - start);
		off += n + 1;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, start, n);
		line[n] = '\0';
		if (f->in_data) {
			if (strncmp(line, "Subject: m", 10) == 0 &&
			    line[10] >= '0' && line[10] < '0' + NMSG_MAX &&
			    line[11] == '\0')
				f->subject = line[10] - '0';
			if (strcmp(line, ".") == 0) {
				f->in_data = 0;
				if (f->subject >= 0)
					f->dots[f->subject]++;
				f->subject = -1;
				fake_answer(f, line);
			}
			continue;
		}
		fake_answer(f, line);
	}
	buf_consume(&f->out, off);
	return 0;
}

static int
fake_is_tls(const void *c)
{
	(void)c;
	return 0;
}

static int
fake_tls_info(const void *c, struct smtpc_tls_info *out)
{
	(void)c, (void)out;
	return SMTPC_EINVAL;
}

static void
fake_close(void *c)
{
	struct fake *f = c;

	buf_reset(&f->out);
	buf_reset(&f->in);
	f->in_data = 0;
}

static struct fake *fake_now_of;

static int64_t
fake_now(void)
{
	return fake_now_of->clock += 10;
}

static int
fake_local_literal(const void *c, char *out, size_t cap)
{
	(void)c;
	snprintf(out, cap, "[192.0.2.25]");
	return 0;
}

static const struct session_io fake_io = {
	fake_open, fake_start_tls, fake_pending, fake_read_line, fake_write,
	fake_flush, fake_is_tls, fake_tls_info, fake_close, fake_now,
	fake_local_literal,
};

struct feed {
	struct smtpc_msg *msg[NMSG_MAX];
	int n, next, reported;
	int status[NMSG_MAX], maybe[NMSG_MAX];
};

static int
feed_next(void *user, struct smtpc_batch_item *it)
{
	struct feed *fd = user;

	if (fd->next >= fd->n)
		return 0;
	it->msg = fd->msg[fd->next];
	it->tag = (void *)(intptr_t)(fd->next + 1);
	fd->next++;
	return 1;
}

static void
feed_done(void *user, void *tag, const struct smtpc_result *r)
{
	struct feed *fd = user;
	int i = (int)(intptr_t)tag - 1;

	FUZZ_CHECK(i == fd->reported, "result %d reported in place of %d",
	    i, fd->reported);
	FUZZ_CHECK(i < fd->next, "result %d before it was given", i);
	fd->status[i] = smtpc_result_status(r);
	fd->maybe[i] = smtpc_result_maybe_delivered(r);
	fd->reported++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpc_server cfg;
	struct smtpc_session *s = NULL;
	struct smtpc_batch b;
	struct smtpc_error err;
	struct feed fd;
	struct fake f;
	char subj[16];
	int i;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	memset(&fd, 0, sizeof(fd));
	f.p = data + 1;
	f.n = size - 1;
	f.pipelining = (data[0] & 0x08) != 0;
	f.subject = -1;
	buf_init(&f.in, 1 << 20);
	buf_init(&f.out, 1 << 20);
	fake_now_of = &f;
	fd.n = 1 + (data[0] & 0x07);
	for (i = 0; i < fd.n; i++) {
		fd.msg[i] = smtpc_msg_new();
		snprintf(subj, sizeof(subj), "m%d", i);
		(void)smtpc_msg_set_from(fd.msg[i], "a@x.test", &err);
		(void)smtpc_msg_add_recipient(fd.msg[i], SMTPC_RCPT_TO,
		    "b@y.test", &err);
		(void)smtpc_msg_set_subject(fd.msg[i], subj, &err);
		(void)smtpc_msg_set_text(fd.msg[i], "hi\n.\n", 5, &err);
	}
	smtpc_server_init(&cfg);
	cfg.host = "mx.test";
	cfg.tls = SMTPC_TLS_NONE;
	cfg.helo = "client.test";
	if (smtpc_session_new(&cfg, &s, &err) != 0)
		abort();
	session_set_io(s, &fake_io, &f);
	smtpc_batch_init(&b);
	b.next = feed_next;
	b.done = feed_done;
	b.user = &fd;
	b.take_ahead = (data[0] & 0x10) != 0;
	b.max_per_connection = (data[0] >> 5) & 0x03;
	(void)smtpc_session_send_many(s, &b, &err);
	FUZZ_CHECK(fd.reported == fd.n, "%d of %d results", fd.reported,
	    fd.n);
	for (i = 0; i < fd.n; i++) {
		FUZZ_CHECK(f.dots[i] <= 1, "message %d ended %d times", i,
		    f.dots[i]);
		FUZZ_CHECK(fd.status[i] != 0 || f.dots[i] == 1,
		    "message %d reported sent, never ended", i);
		FUZZ_CHECK(!fd.maybe[i] || (f.dots[i] == 1 &&
		    fd.status[i] != 0), "message %d maybe delivered wrongly",
		    i);
	}
	(void)smtpc_session_quit(s, &err);
	smtpc_session_free(s);
	for (i = 0; i < fd.n; i++)
		smtpc_msg_free(fd.msg[i]);
	buf_free(&f.in);
	buf_free(&f.out);
	return 0;
}
