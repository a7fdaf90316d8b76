/* SPDX-License-Identifier: ISC */
/*
 * forward_message.c - forward saved mails as attachments (message/rfc822),
 * or send a ready message from standard input as sendmail -t does
 * (send_ready_message.c does only that).  smtpc_send declares SIZE= when
 * the size is known and BODY=8BITMIME when the message may hold 8-bit
 * data.
 *
 *   SMTPC_PASSWORD=... forward_message smtp.example.org 587 me@example.org \
 *       me@example.org you@example.org saved.eml [more.eml ...]
 *   SMTPC_PASSWORD=... forward_message smtp.example.org 587 me@example.org \
 *       me@example.org - < message.eml
 *
 * With "-" as the recipient, the message on standard input is sent to the
 * addresses of its To, Cc and Bcc fields (Bcc is not sent along), from
 * the address given.  SMTPC_CAFILE, when set, names the CA file to trust
 * (a test server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <smtpc.h>

static int
fail(const char *argv0, int rc, const struct smtpc_error *err)
{
	fprintf(stderr, "%s: %s: %s%s%s\n", argv0,
	    err->stage[0] ? err->stage : smtpc_strerror(rc),
	    err->message[0] ? err->message : smtpc_strerror(rc),
	    err->server_text[0] ? " -- server said: " : "", err->server_text);
	return 1;
}

int
main(int argc, char **argv)
{
	struct smtpc_server srv;
	struct smtpc_error err = {0};
	struct smtpc_msg *msg;
	const char *text = "The messages you asked for are attached.\n";
	int i, rc;

	if (argc < 7 && !(argc == 6 && strcmp(argv[5], "-") == 0)) {
		fprintf(stderr, "usage: %s host port user from to|- "
		    "[message.eml...]\n", argv[0]);
		return 64;
	}
	smtpc_server_init(&srv);
	srv.host = argv[1];
	srv.port = (unsigned)strtoul(argv[2], NULL, 10);
	srv.tls = srv.port == 465 ? SMTPC_TLS_IMPLICIT : SMTPC_TLS_STARTTLS;
	srv.user = argv[3];
	srv.password = getenv("SMTPC_PASSWORD");
	srv.cafile = getenv("SMTPC_CAFILE");

	if ((msg = smtpc_msg_new()) == NULL)
		return 1;
	rc = smtpc_msg_set_from(msg, argv[4], &err);
	if (rc == 0 && strcmp(argv[5], "-") == 0)
		rc = smtpc_msg_load_fd(msg, STDIN_FILENO,
		    SMTPC_LOAD_RECIPIENTS, &err);
	else if (rc == 0) {
		if ((rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, argv[5],
		    &err)) == 0 && (rc = smtpc_msg_set_subject(msg,
		    "Forwarded messages", &err)) == 0)
			rc = smtpc_msg_set_text(msg, text, strlen(text), &err);
		for (i = 6; i < argc && rc == 0; i++)
			rc = smtpc_msg_add_message(msg, argv[i], NULL, &err);
	}
	if (rc == 0)
		rc = smtpc_send(&srv, msg, 0, NULL, &err);
	smtpc_msg_free(msg);
	return rc == 0 ? 0 : fail(argv[0], rc, &err);
}
