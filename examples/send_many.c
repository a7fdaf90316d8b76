/* SPDX-License-Identifier: ISC */
/*
 * send_many.c - many messages over one connection, with what became of
 * each: one session is opened once, smtpc_session_send_msg sends each
 * message and fills a result (every recipient's answer, the queue ID),
 * and after a failure smtpc_session_is_ready() says whether the session
 * can go on or must be opened again.
 *
 *   SMTPC_PASSWORD=... send_many smtp.example.org 587 me@example.org \
 *       me@example.org 10 you@example.org other@example.org
 *
 * sends 10 messages, each to every recipient given.  A message some
 * recipients refuse still goes to the others (SMTPC_SEND_ALLOW_PARTIAL);
 * each recipient's answer is printed.  The exit status is 0 when every
 * message was accepted.  SMTPC_CAFILE, when set, names the CA file to
 * trust (a test server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smtpc.h>

static void
print_error(const char *what, int rc, const struct smtpc_error *err)
{
	printf("%s: failed: %s: %s%s%s\n", what,
	    err->stage[0] ? err->stage : smtpc_errname(rc),
	    err->message[0] ? err->message : smtpc_strerror(rc),
	    err->server_text[0] ? " -- server said: " : "", err->server_text);
}

static void
print_result(const char *what, const struct smtpc_result *res)
{
	const struct smtpc_rcpt_status *st;
	size_t i;

	if (smtpc_result_status(res) == 0)
		printf("%s: accepted, queue ID %s, Message-ID %s\n", what,
		    smtpc_result_queue_id(res) ? smtpc_result_queue_id(res) :
		    "(not named)", smtpc_result_message_id(res));
	else
		print_error(what, smtpc_result_status(res),
		    smtpc_result_error(res));
	for (i = 0; i < smtpc_result_rcpt_count(res); i++) {
		st = smtpc_result_rcpt(res, i);
		/* The text starts with the enhanced code, when one came. */
		printf("  %s: %s %d %s\n", st->address,
		    st->accepted == 1 ? "accepted" :
		    st->accepted == 0 ? "refused" : "not-answered",
		    st->reply_code, st->text);
	}
}

/* One message of the series, composed afresh. */
static int
compose(struct smtpc_msg *msg, const char *from, char **rcpts, int nrcpts,
    int i, int count, struct smtpc_error *err)
{
	char subject[64], text[128];
	int j, rc;

	snprintf(subject, sizeof(subject), "Message %d of %d", i, count);
	snprintf(text, sizeof(text), "This is message %d of %d.\n", i, count);
	if ((rc = smtpc_msg_set_from(msg, from, err)) != 0 ||
	    (rc = smtpc_msg_set_subject(msg, subject, err)) != 0 ||
	    (rc = smtpc_msg_set_text(msg, text, strlen(text), err)) != 0)
		return rc;
	for (j = 0; j < nrcpts; j++)
		if ((rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, rcpts[j],
		    err)) != 0)
			return rc;
	return 0;
}

int
main(int argc, char **argv)
{
	struct smtpc_server srv;
	struct smtpc_error err = {0};
	struct smtpc_session *s = NULL;
	struct smtpc_result *res = NULL;
	struct smtpc_msg *msg;
	char what[32];
	int i, count, rc, failed = 0;

	if (argc < 7 || (count = (int)strtol(argv[5], NULL, 10)) < 1 ||
	    count > 100000) {
		fprintf(stderr, "usage: %s host port user from count to "
		    "[to...]\n", argv[0]);
		return 64;
	}
	smtpc_server_init(&srv);
	srv.host = argv[1];
	srv.port = (unsigned)strtoul(argv[2], NULL, 10);
	srv.tls = srv.port == 465 ? SMTPC_TLS_IMPLICIT : SMTPC_TLS_STARTTLS;
	srv.user = argv[3];
	srv.password = getenv("SMTPC_PASSWORD");
	srv.cafile = getenv("SMTPC_CAFILE");

	if ((res = smtpc_result_new()) == NULL ||
	    (rc = smtpc_session_new(&srv, &s, &err)) != 0 ||
	    (rc = smtpc_session_open(s, &err)) != 0) {
		print_error("open", res ? rc : SMTPC_ENOMEM, &err);
		smtpc_session_free(s);
		smtpc_result_free(res);
		return 1;
	}
	for (i = 1; i <= count; i++) {
		snprintf(what, sizeof(what), "message %d/%d", i, count);
		if ((msg = smtpc_msg_new()) == NULL) {
			failed++;
			break;
		}
		if ((rc = compose(msg, argv[4], argv + 6, argc - 6, i, count,
		    &err)) != 0)
			print_error(what, rc, &err);
		else {
			rc = smtpc_session_send_msg(s, msg,
			    SMTPC_SEND_ALLOW_PARTIAL, res, &err);
			print_result(what, res);
		}
		smtpc_msg_free(msg);
		if (rc == 0)
			continue;
		failed++;
		/*
		 * A refusal leaves the session ready for the next message; a
		 * lost connection, a timeout or a 421 closes it, and only a
		 * new open (TLS and AUTH again) goes on.
		 */
		if (!smtpc_session_is_ready(s)) {
			printf("session closed; opening it again\n");
			if ((rc = smtpc_session_open(s, &err)) != 0) {
				print_error("reopen", rc, &err);
				break;
			}
		}
	}
	(void)smtpc_session_quit(s, &err);
	smtpc_session_free(s);
	smtpc_result_free(res);
	printf("%d of %d messages accepted\n", count - failed, count);
	return failed == 0 ? 0 : 1;
}
