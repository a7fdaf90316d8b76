/* SPDX-License-Identifier: ISC */
/*
 * send_text_and_image.c - libsmtpc in a nutshell: a text and a picture,
 * sent over STARTTLS (implicit TLS on port 465) with a password from the
 * SMTPC_PASSWORD environment variable.
 *
 *   SMTPC_PASSWORD=... send_text_and_image smtp.example.org 587 \
 *       me@example.org me@example.org you@example.org photo.jpg
 *
 * SMTPC_CAFILE, when set, names the CA file to trust (a test server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smtpc.h>

int
main(int argc, char **argv)
{
	struct smtpc_server srv;
	struct smtpc_error err = {0};
	struct smtpc_msg *msg;
	const char *text = "Hello,\n\nthe picture is below.\n";
	int rc = SMTPC_ENOMEM;

	if (argc != 7) {
		fprintf(stderr, "usage: %s host port user from to image\n",
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

	if ((msg = smtpc_msg_new()) == NULL ||
	    (rc = smtpc_msg_set_from(msg, argv[4], &err)) != 0 ||
	    (rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, argv[5], &err)) !=
		0 ||
	    (rc = smtpc_msg_set_subject(msg, "A picture", &err)) != 0 ||
	    (rc = smtpc_msg_set_text(msg, text, strlen(text), &err)) != 0 ||
	    (rc = smtpc_msg_add_inline(msg, argv[6], NULL, NULL, &err)) != 0 ||
	    (rc = smtpc_send(&srv, msg, 0, NULL, &err)) != 0)
		fprintf(stderr, "%s: %s: %s%s%s\n", argv[0],
		    err.stage[0] ? err.stage : smtpc_strerror(rc),
		    err.message[0] ? err.message : smtpc_strerror(rc),
		    err.server_text[0] ? " -- server said: " : "",
		    err.server_text);
	smtpc_msg_free(msg);
	return rc == 0 ? 0 : 1;
}
