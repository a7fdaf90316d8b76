/* SPDX-License-Identifier: ISC */
/*
 * send.c - where the message writer and the SMTP session meet:
 * smtpc_session_send_msg (a composed message over an open session) and
 * smtpc_send (the whole path in one call).  The program and the library
 * share this one glue.
 */
#include <stdlib.h>

#include "bounds.h"
#include "error.h"
#include "reply.h"
#include "result.h"
#include "session.h"
#include "session_int.h"
#include "smtpc.h"
#include "writer.h"

/* The message's envelope recipients, borrowed from it. */
int
send_rcpts(const struct smtpc_msg *msg, const char ***ret, size_t *ret_n,
    struct smtpc_error *err)
{
	const char **rcpts;
	size_t n, i;

	n = smtpc_msg_recipient_count(msg);
	if (n == 0)
		return error_set(err, SMTPC_EDATA, NULL, "no recipient");
	if (n > LIMIT_RECIPIENTS)
		return error_set(err, SMTPC_ELIMIT, NULL,
		    "more than %d recipients", LIMIT_RECIPIENTS);
	if ((rcpts = calloc(n, sizeof(*rcpts))) == NULL)
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	for (i = 0; i < n; i++)
		rcpts[i] = smtpc_msg_recipient(msg, i);
	*ret = rcpts;
	*ret_n = n;
	return 0;
}

/*
 * 8-bit data goes with BODY=8BITMIME (RFC 6152).  Known 8-bit data to a
 * server without it is refused by the session before MAIL.  Maybe-8-bit
 * data (a pipe, a callback) to such a server goes as 7-bit, and the
 * reader fails at the first 8-bit byte, before the end of the message:
 * refused, never mangled or delivered cut short.
 */
void
send_8bit(const struct smtpc_session *s, const struct smtpc_msg *msg,
    struct smtpc_reader *r, unsigned *flags)
{
	int eight = smtpc_msg_has_8bit(msg);

	if (eight == 0)
		return;
	if (eight == 1 || session_offers(s, REPLY_CAP_8BITMIME))
		*flags |= SMTPC_SEND_8BIT;
	else
		writer_set_7bit(r);
}

int
smtpc_session_send_msg(struct smtpc_session *s, const struct smtpc_msg *msg,
    unsigned flags, struct smtpc_result *result, struct smtpc_error *err)
{
	struct smtpc_reader *r = NULL;
	const char **rcpts = NULL;
	uint64_t size;
	size_t n = 0;
	int rc;

	if (s == NULL || msg == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "no session or no message");
	/* The reader checks From and recipients before any command. */
	if ((rc = smtpc_reader_new(msg, &r, err)) != 0 ||
	    (rc = send_rcpts(msg, &rcpts, &n, err)) != 0) {
		if (result != NULL) {
			result_clear(result);
			result_set_status(result, rc, err, 0);
		}
		goto out;
	}
	if (smtpc_reader_size(r, &size) == 0)
		smtpc_session_set_size(s, size);
	if (smtpc_msg_needs_smtputf8(msg))
		flags |= SMTPC_SEND_SMTPUTF8;
	send_8bit(s, msg, r, &flags);
	rc = smtpc_session_send(s, smtpc_msg_envelope_from(msg), rcpts, n,
	    smtpc_reader_read, r, flags, result, err);
	if (result != NULL && smtpc_reader_message_id(r) != NULL)
		(void)result_set_message_id(result,
		    smtpc_reader_message_id(r));
out:
	smtpc_reader_free(r);
	free(rcpts);
	return rc;
}

int
smtpc_send(const struct smtpc_server *srv, const struct smtpc_msg *msg,
    unsigned flags, struct smtpc_result *result, struct smtpc_error *err)
{
	struct smtpc_session *s = NULL;
	struct smtpc_reader *r = NULL;
	struct smtpc_error ignored;
	int rc;

	if (srv == NULL || msg == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "no server or no message");
	/* A message that cannot go out is found before connecting. */
	if ((rc = smtpc_reader_new(msg, &r, err)) != 0) {
		if (result != NULL) {
			result_clear(result);
			result_set_status(result, rc, err, 0);
		}
		return rc;
	}
	smtpc_reader_free(r);
	if ((rc = smtpc_session_new(srv, &s, err)) != 0 ||
	    (rc = smtpc_session_open(s, err)) != 0) {
		if (result != NULL) {
			result_clear(result);
			result_set_status(result, rc, err, 0);
		}
		goto out;
	}
	rc = smtpc_session_send_msg(s, msg, flags, result, err);
	/* The mail is sent or refused either way; QUIT is only courtesy. */
	(void)smtpc_session_quit(s, &ignored);
out:
	smtpc_session_free(s);
	return rc;
}
