/* SPDX-License-Identifier: ISC */
/*
 * send_html_inline.c - an HTML mail with its pictures inside it: each
 * image is added with smtpc_msg_add_inline and a Content-ID the HTML
 * refers to as "cid:ID"; the library puts them in multipart/related
 * together with the HTML and a plain-text alternative for readers that
 * show no HTML.
 *
 *   SMTPC_PASSWORD=... send_html_inline smtp.example.org 587 \
 *       me@example.org me@example.org you@example.org logo.png chart.jpg
 *
 * The Content-IDs are "image1", "image2", ... in the order given.
 * SMTPC_CAFILE, when set, names the CA file to trust (a test server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smtpc.h>

#define MAX_IMAGES 16

int
main(int argc, char **argv)
{
	struct smtpc_server srv;
	struct smtpc_error err = {0};
	struct smtpc_msg *msg;
	const char *text = "Hello,\n\nthis mail is best read as HTML: it "
	    "shows the pictures in the text.\n";
	char html[256 + MAX_IMAGES * 64], cid[16];
	size_t len;
	int i, rc = SMTPC_ENOMEM;

	if (argc < 7 || argc - 6 > MAX_IMAGES) {
		fprintf(stderr, "usage: %s host port user from to image "
		    "[image...] (at most %d)\n", argv[0], MAX_IMAGES);
		return 64;
	}
	smtpc_server_init(&srv);
	srv.host = argv[1];
	srv.port = (unsigned)strtoul(argv[2], NULL, 10);
	srv.tls = srv.port == 465 ? SMTPC_TLS_IMPLICIT : SMTPC_TLS_STARTTLS;
	srv.user = argv[3];
	srv.password = getenv("SMTPC_PASSWORD");
	srv.cafile = getenv("SMTPC_CAFILE");

	/* The HTML names each picture by the Content-ID given below. */
	len = (size_t)snprintf(html, sizeof(html),
	    "<html><body><p>Hello,</p>\n");
	for (i = 6; i < argc; i++)
		len += (size_t)snprintf(html + len, sizeof(html) - len,
		    "<p><img src=\"cid:image%d\" alt=\"picture %d\"></p>\n",
		    i - 5, i - 5);
	len += (size_t)snprintf(html + len, sizeof(html) - len,
	    "</body></html>\n");

	if ((msg = smtpc_msg_new()) == NULL ||
	    (rc = smtpc_msg_set_from(msg, argv[4], &err)) != 0 ||
	    (rc = smtpc_msg_add_recipient(msg, SMTPC_RCPT_TO, argv[5], &err)) !=
		0 ||
	    (rc = smtpc_msg_set_subject(msg, "Pictures", &err)) != 0 ||
	    (rc = smtpc_msg_set_text(msg, text, strlen(text), &err)) != 0 ||
	    (rc = smtpc_msg_set_html(msg, html, len, &err)) != 0)
		goto out;
	for (i = 6; i < argc && rc == 0; i++) {
		snprintf(cid, sizeof(cid), "image%d", i - 5);
		rc = smtpc_msg_add_inline(msg, argv[i], NULL, cid, &err);
	}
	if (rc == 0)
		rc = smtpc_send(&srv, msg, 0, NULL, &err);
out:
	if (rc != 0)
		fprintf(stderr, "%s: %s: %s%s%s\n", argv[0],
		    err.stage[0] ? err.stage : smtpc_strerror(rc),
		    err.message[0] ? err.message : smtpc_strerror(rc),
		    err.server_text[0] ? " -- server said: " : "",
		    err.server_text);
	smtpc_msg_free(msg);
	return rc == 0 ? 0 : 1;
}
