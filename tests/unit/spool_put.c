/* SPDX-License-Identifier: ISC */
/*
 * spool_put.c - queue a message for the integration tests of the queue
 * commands, through the spool's own API (what sendmail mode will call):
 *
 *	spool_put DIR FROM RCPT... < message	prints the new ID
 */
#include <stdio.h>

#include "spool.h"

int
main(int argc, char **argv)
{
	struct spool_opts so;
	struct spool_envelope env = { 0 };
	struct spool *sp = NULL;
	struct smtpc_error err;
	char id[SPOOL_ID_SIZE];

	if (argc < 4) {
		fprintf(stderr,
		    "usage: spool_put DIR FROM RCPT... < message\n");
		return 64;
	}
	spool_opts_init(&so);
	so.dir = argv[1];
	env.from = argv[2];
	env.rcpt = (const char *const *)(argv + 3);
	env.nrcpt = (size_t)(argc - 3);
	env.message_id = "<spool-put@example.test>";
	if (spool_open(&so, &sp, &err) != 0 ||
	    spool_enqueue_fd(sp, &env, 0, id, &err) != 0) {
		fprintf(stderr, "spool_put: %s\n", err.message);
		spool_close(sp);
		return 1;
	}
	printf("%s\n", id);
	spool_close(sp);
	return 0;
}
