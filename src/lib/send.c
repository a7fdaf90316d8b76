/*
 * send.c - smtpc_send(): the whole path in one call, the only place where
 * the message writer and the SMTP session meet.
 */
#include <stdlib.h>

#include "bounds.h"
#include "error.h"
#include "smtpc.h"

static int
send_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	return smtpc_reader_read(user, buf, cap, ret_len, err);
}

int
smtpc_send(const struct smtpc_server *srv, const struct smtpc_msg *msg,
    struct smtpc_error *err)
{
	struct smtpc_session *s = NULL;
	struct smtpc_reader *r = NULL;
	struct smtpc_error ignored;
	const char **rcpts = NULL;
	uint64_t size;
	size_t n, i;
	int rc;

	if (srv == NULL || msg == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "no server or no message");
	/* The reader checks From and recipients before any connection. */
	if ((rc = smtpc_reader_new(msg, &r, err)) != 0)
		return rc;
	n = smtpc_msg_recipient_count(msg);
	if (n == 0 || n > LIMIT_RECIPIENTS) {
		rc = error_set(err, n ? SMTPC_ELIMIT : SMTPC_EDATA, NULL,
		    n ? "too many recipients" : "no recipient");
		goto out;
	}
	if ((rcpts = calloc(n, sizeof(*rcpts))) == NULL) {
		rc = error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		rcpts[i] = smtpc_msg_recipient(msg, i);
	if ((rc = smtpc_session_new(srv, &s, err)) != 0 ||
	    (rc = smtpc_session_open(s, err)) != 0)
		goto out;
	if (smtpc_reader_size(r, &size) == 0)
		smtpc_session_set_size(s, size);
	rc = smtpc_session_send(s, smtpc_msg_envelope_from(msg), rcpts, n,
	    send_read, r, smtpc_msg_needs_smtputf8(msg) ?
	    SMTPC_SEND_SMTPUTF8 : 0, err);
	/* The mail is sent or refused either way; QUIT is only courtesy. */
	(void)smtpc_session_quit(s, &ignored);
out:
	smtpc_session_free(s);
	smtpc_reader_free(r);
	free(rcpts);
	return rc;
}
