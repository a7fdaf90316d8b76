/* SPDX-License-Identifier: ISC */
/*
 * send_ready_message.c - what a program that hands mail to sendmail -t
 * needs: a ready message (header, empty line, body) on standard input,
 * sent to the addresses of its To, Cc and Bcc fields.  The Bcc field is
 * left out of what the server receives; Date and Message-ID are added
 * when missing.  The message is streamed from the pipe, never held whole.
 *
 *   SMTPC_PASSWORD=... send_ready_message smtp.example.org 587 \
 *       me@example.org me@example.org < message.eml
 *
 * The fourth argument is the envelope sender (sendmail -f); it is also
 * the From added to a message that has none.  The queue ID the server
 * gave is printed.  SMTPC_CAFILE, when set, names the CA file to trust
 * (a test server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <smtpc.h>

int
main(int argc, char **argv)
{
	struct smtpc_server srv;
	struct smtpc_error err = {0};
	struct smtpc_msg *msg;
	struct smtpc_result *res;
	int rc = SMTPC_ENOMEM;

	if (argc != 5) {
		fprintf(stderr, "usage: %s host port user from < message\n",
		    argv[0]);
		return 64;
	}
	smtpc_server_init(&srv);
	srv.host = argv[1];
	srv.port = (unsigned)strtoul(argv[2], NULL, 10);
	srv.tls = srv.port == 465 ? SMTPC_TLS_IMPLICIT : SMTPC_TLS_STARTTLS;
	srv.user = argv[3];
	srv.password = getenv("SMTPC_PASSWORD");
	srv.cafile = getenv("SMTPC_CAFILE");

	/*
	 * The load reads and checks the header now; the body follows from
	 * the pipe while the message is sent.  smtpc_send works out BODY=
	 * 8BITMIME for a body it has not seen yet.
	 */
	if ((msg = smtpc_msg_new()) != NULL &&
	    (res = smtpc_result_new()) != NULL) {
		if ((rc = smtpc_msg_set_from(msg, argv[4], &err)) == 0 &&
		    (rc = smtpc_msg_load_fd(msg, STDIN_FILENO,
		    SMTPC_LOAD_RECIPIENTS, &err)) == 0 &&
		    (rc = smtpc_send(&srv, msg, 0, res, &err)) == 0)
			printf("sent to %zu recipients, queued as %s\n",
			    smtpc_result_rcpt_count(res),
			    smtpc_result_queue_id(res) ?
			    smtpc_result_queue_id(res) : "(not named)");
		smtpc_result_free(res);
	}
	if (rc != 0)
		fprintf(stderr, "%s: %s: %s%s%s\n", argv[0],
		    err.stage[0] ? err.stage : smtpc_strerror(rc),
		    err.message[0] ? err.message : smtpc_strerror(rc),
		    err.server_text[0] ? " -- server said: " : "",
		    err.server_text);
	smtpc_msg_free(msg);
	return rc == 0 ? 0 : 1;
}
