/* SPDX-License-Identifier: ISC */
/*
 * enqueue.c - messages into the local queue, and what an attempt made of
 * their recipients (enqueue.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enqueue.h"

#define ENQUEUE_CHUNK (256 * 1024)

static int
enqueue_oom(struct smtpc_error *err)
{
	memset(err, 0, sizeof(*err));
	err->code = SMTPC_ENOMEM;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return SMTPC_ENOMEM;
}

static int
enqueue_write_all(int fd, const char *p, size_t len, struct smtpc_error *err)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			memset(err, 0, sizeof(*err));
			err->code = errno == ENOSPC || errno == EDQUOT ?
			    SMTPC_ETEMP : SMTPC_EIO;
			snprintf(err->message, sizeof(err->message),
			    "cannot write the message into the queue: %s",
			    strerror(errno));
			return err->code;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The message's bytes as they go out, into the temp file. */
static int
enqueue_copy(const struct smtpc_msg *orig, struct enqueue_msg *em,
    struct smtpc_error *err)
{
	struct smtpc_reader *r = NULL;
	char *chunk;
	size_t n;
	int fd = spool_tmp_fd(em->tmp), rc;

	if ((chunk = malloc(ENQUEUE_CHUNK)) == NULL)
		return enqueue_oom(err);
	if ((rc = smtpc_reader_new(orig, &r, err)) != 0)
		goto out;
	while ((rc = smtpc_reader_read(r, chunk, ENQUEUE_CHUNK, &n,
	    err)) == 0 && n > 0)
		if ((rc = enqueue_write_all(fd, chunk, n, err)) != 0)
			goto out;
	if (rc == 0 && smtpc_reader_message_id(r) != NULL &&
	    (em->message_id = strdup(smtpc_reader_message_id(r))) == NULL)
		rc = enqueue_oom(err);
out:
	smtpc_reader_free(r);
	free(chunk);
	return rc;
}

/* orig's envelope, copied: the loaded copy has no Bcc to find them in. */
static int
enqueue_envelope(const struct smtpc_msg *orig, struct enqueue_msg *em,
    struct smtpc_error *err)
{
	const char *from = smtpc_msg_envelope_from(orig);
	size_t i, n = smtpc_msg_recipient_count(orig);

	if ((em->from = strdup(from != NULL ? from : "")) == NULL ||
	    (em->rcpt = calloc(n > 0 ? n : 1, sizeof(char *))) == NULL)
		return enqueue_oom(err);
	for (i = 0; i < n; i++) {
		if ((em->rcpt[i] = strdup(smtpc_msg_recipient(orig, i))) ==
		    NULL)
			return enqueue_oom(err);
		em->nrcpt++;
	}
	return 0;
}

/* The temp file loaded back, as sendmail loads a message: its bytes. */
static int
enqueue_load(struct enqueue_msg *em, struct smtpc_error *err)
{
	int fd = spool_tmp_fd(em->tmp), rc;
	size_t i;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		memset(err, 0, sizeof(*err));
		err->code = SMTPC_EIO;
		snprintf(err->message, sizeof(err->message),
		    "cannot read the queued message back: %s",
		    strerror(errno));
		return SMTPC_EIO;
	}
	if ((em->msg = smtpc_msg_new()) == NULL)
		return enqueue_oom(err);
	if (em->from[0] != '\0' &&
	    (rc = smtpc_msg_set_envelope_from(em->msg, em->from, err)) != 0)
		return rc;
	for (i = 0; i < em->nrcpt; i++)
		if ((rc = smtpc_msg_add_recipient(em->msg, SMTPC_RCPT_TO,
		    em->rcpt[i], err)) != 0)
			return rc;
	if ((rc = smtpc_msg_load_fd(em->msg, fd, 0, err)) != 0)
		return rc;
	em->smtputf8 = smtpc_msg_needs_smtputf8(em->msg);
	em->eightbit = smtpc_msg_has_8bit(em->msg) == 1;
	return 0;
}

int
enqueue_prepare(struct spool *sp, const struct smtpc_msg *orig,
    struct enqueue_msg *em, struct smtpc_error *err)
{
	int rc;

	memset(em, 0, sizeof(*em));
	if ((rc = spool_tmp_new(sp, &em->tmp, err)) != 0 ||
	    (rc = enqueue_copy(orig, em, err)) != 0 ||
	    (rc = enqueue_envelope(orig, em, err)) != 0 ||
	    (rc = enqueue_load(em, err)) != 0) {
		enqueue_discard(em);
		return rc;
	}
	return 0;
}

static void
enqueue_free_fields(struct enqueue_msg *em)
{
	size_t i;

	smtpc_msg_free(em->msg);
	for (i = 0; i < em->nrcpt; i++)
		free(em->rcpt[i]);
	free(em->rcpt);
	free(em->from);
	free(em->message_id);
	memset(em, 0, sizeof(*em));
}

void
enqueue_discard(struct enqueue_msg *em)
{
	if (em->tmp != NULL)
		spool_tmp_discard(em->tmp);
	enqueue_free_fields(em);
}

int
enqueue_commit(struct spool *sp, struct enqueue_msg *em,
    const struct queue_conn *conn, char id[SPOOL_ID_SIZE],
    struct smtpc_error *err)
{
	struct spool_envelope env;
	struct spool_param *p;
	size_t i, n = 0;
	int rc;

	smtpc_msg_free(em->msg);
	em->msg = NULL;
	if ((p = calloc(conn->n + 2, sizeof(*p))) == NULL) {
		enqueue_discard(em);
		return enqueue_oom(err);
	}
	memset(&env, 0, sizeof(env));
	for (i = 0; i < conn->n; i++) {
		p[n++] = conn->param[i];
		if (strcmp(conn->param[i].key, "account") == 0)
			env.account = conn->param[i].value;
	}
	if (em->smtputf8)
		p[n++] = (struct spool_param){ "smtputf8", "1" };
	if (em->eightbit)
		p[n++] = (struct spool_param){ "8bit", "1" };
	env.from = em->from;
	env.rcpt = (const char *const *)em->rcpt;
	env.nrcpt = em->nrcpt;
	env.message_id = em->message_id;
	env.param = p;
	env.nparam = n;
	rc = spool_tmp_commit(sp, em->tmp, &env, id, err);
	em->tmp = NULL;
	free(p);
	enqueue_free_fields(em);
	return rc;
}

int
enqueue_is_temporary(const struct smtpc_result *res,
    const struct smtpc_error *e)
{
	if (res != NULL && smtpc_result_maybe_delivered(res))
		return 0;
	return e->code == SMTPC_ETEMP || e->code == SMTPC_ETIMEOUT ||
	    e->code == SMTPC_ECONN || e->code == SMTPC_ECANCELED;
}

/* A refusal of the message itself (not of the server or our setup). */
static int
enqueue_refused_for_good(const struct smtpc_error *e)
{
	static const char *const stages[] = { "MAIL FROM", "DATA", "BDAT",
	    "message" };
	size_t i;

	if (e == NULL || e->code != SMTPC_EPERM)
		return 0;
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(e->stage, stages[i]) == 0)
			return 1;
	return 0;
}

void
enqueue_outcomes(struct spool_entry *e, const size_t *map,
    const struct smtpc_result *res)
{
	const struct smtpc_rcpt_status *st;
	const struct smtpc_error *err = smtpc_result_error(res);
	int ok = smtpc_result_status(res) == 0;
	int maybe = smtpc_result_maybe_delivered(res);
	enum spool_outcome out;
	size_t i, idx;

	for (i = 0; (st = smtpc_result_rcpt(res, i)) != NULL; i++) {
		idx = map != NULL ? map[i] : i;
		if (st->accepted == 0)
			out = st->reply_code >= 500 ? SPOOL_OUT_PERM :
			    SPOOL_OUT_TEMP;
		else if (ok)
			out = st->accepted == 1 ? SPOOL_OUT_ACCEPTED :
			    SPOOL_OUT_TEMP;
		else if (maybe && st->accepted == 1)
			out = SPOOL_OUT_UNCERTAIN;
		else if (enqueue_refused_for_good(err))
			out = SPOOL_OUT_PERM;
		else
			out = SPOOL_OUT_TEMP;
		spool_set_outcome(e, idx, out, st->reply_code,
		    st->reply_code != 0 ? st->text : NULL);
	}
	/* The final reply says why the accepted ones did not get it. */
	if (!ok && err != NULL && err->reply_code != 0)
		for (i = 0; (st = smtpc_result_rcpt(res, i)) != NULL; i++) {
			idx = map != NULL ? map[i] : i;
			if (st->accepted == 1 && idx < e->nrcpt)
				spool_set_outcome(e, idx, e->rcpt[idx].out,
				    err->reply_code, err->server_text);
		}
}

void
enqueue_summary(const struct smtpc_result *res,
    const struct smtpc_error *e, char *buf, size_t cap)
{
	const char *msg;
	int n;

	if (e == NULL || e->code == 0) {
		snprintf(buf, cap, "sent");
		return;
	}
	msg = e->message[0] ? e->message : smtpc_strerror(e->code);
	n = snprintf(buf, cap, "%s%s%s", e->stage, e->stage[0] ? ": " : "",
	    msg);
	if (n > 0 && (size_t)n < cap && e->reply_code != 0)
		snprintf(buf + n, cap - (size_t)n, ": server said: %d %s",
		    e->reply_code, e->server_text);
	(void)res;
}

int
enqueue_record(struct spool *sp, const char *id,
    const struct smtpc_result *res, const struct smtpc_error *e,
    enum spool_disposition *ret, struct smtpc_error *err)
{
	struct spool_entry *ent = NULL;
	char summary[SMTPC_ERROR_TEXT_MAX + 64];
	int rc;

	if ((rc = spool_claim(sp, id, 0, &ent, err)) != 0)
		return rc;
	if (ent == NULL)
		return 0;
	if (res != NULL)
		enqueue_outcomes(ent, NULL, res);
	enqueue_summary(res, e, summary, sizeof(summary));
	rc = spool_record(sp, ent, summary, ret, err);
	spool_entry_free(ent);
	return rc;
}
