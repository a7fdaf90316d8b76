/* SPDX-License-Identifier: ISC */
/*
 * enqueue.h - a message from send or sendmail into the local queue, and
 * what an attempt made of its recipients (shared with the queue runner).
 *
 * With --queue on-tempfail (or always) the message is first written, as
 * it will go out (Bcc left out, Date and Message-ID added), to a temp
 * file of the spool, and the attempt sends that file loaded back: so a
 * message read from a pipe can still be queued after a failed attempt,
 * and every later attempt, and a resend of an uncertain one, sends the
 * very same bytes with the same Message-ID.  A successful attempt costs
 * one file write without any fsync; queueing adds the spool's commit
 * (one fsync of the file, a rename, one of the directory).
 */
#ifndef SMTPC_CLI_ENQUEUE_H
#define SMTPC_CLI_ENQUEUE_H

#include "queue_conn.h"
#include "smtpc.h"
#include "spool.h"

struct enqueue_msg {
	struct spool_tmp *tmp;
	struct smtpc_msg *msg; /* the temp file's bytes, loaded back */
	char *from;
	char **rcpt;
	size_t nrcpt;
	char *message_id;
	int smtputf8; /* the message needs SMTPUTF8 */
	int eightbit; /* the message has 8-bit data (BODY=8BITMIME) */
};

/*
 * Write `orig` into a temp file of `sp` and load it back into em->msg,
 * with orig's envelope.  Fails with the reader's error (a bad message),
 * or the spool's (SMTPC_EIO, SMTPC_ETEMP for a full disk).
 */
int enqueue_prepare(struct spool *sp, const struct smtpc_msg *orig,
    struct enqueue_msg *em, struct smtpc_error *err);
/*
 * Queue it: em->msg is freed first (its descriptor shares the temp
 * file's lock, which would keep the entry from being claimed), the temp
 * file committed with the envelope and `conn`'s parameters.  em keeps
 * nothing to discard after.
 */
int enqueue_commit(struct spool *sp, struct enqueue_msg *em,
    const struct queue_conn *conn, char id[SPOOL_ID_SIZE],
    struct smtpc_error *err);
/* Drop the temp file (if any) and free everything. */
void enqueue_discard(struct enqueue_msg *em);

/*
 * 1 when a failed attempt (`res`, `e`) may be tried again later: a 4xx,
 * a timeout, a lost or refused connection, a failed name lookup, an
 * attempt stopped by the user, none of the message's end having gone.
 */
int enqueue_is_temporary(const struct smtpc_result *res,
    const struct smtpc_error *e);
/*
 * This attempt's outcome for each recipient of `e` from the send's
 * result: result recipient i is entry recipient map[i] (map NULL: i).
 */
void enqueue_outcomes(struct spool_entry *e, const size_t *map,
    const struct smtpc_result *res);
/* One line for the history: "sent", or the error as report_error says. */
void enqueue_summary(const struct smtpc_result *res,
    const struct smtpc_error *e, char *buf, size_t cap);
/*
 * The first attempt, made by send or sendmail before queueing, recorded
 * on the just-committed entry `id`.
 */
int enqueue_record(struct spool *sp, const char *id,
    const struct smtpc_result *res, const struct smtpc_error *e,
    enum spool_disposition *ret, struct smtpc_error *err);

#endif
