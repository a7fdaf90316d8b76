/* SPDX-License-Identifier: ISC */
/* Unit tests for error.c: the code table and escaping of server text. */
#include "error.h"
#include "tap.h"

int
main(void)
{
	struct smtpc_error e;
	char out[16];

	eq_str(smtpc_errname(SMTPC_EAUTH), "SMTPC_EAUTH", "name of EAUTH");
	eq_str(smtpc_strerror(SMTPC_EINTERNAL), "internal error",
	    "last code has a sentence");
	eq_str(smtpc_strerror(-999), "unknown error", "unknown code");
	eq_str(smtpc_strerror(5), "unknown error", "positive code");
	ok(error_set(&e, SMTPC_ETLS, "TLS", "bad %s", "cert") == SMTPC_ETLS,
	    "error_set returns the code");
	eq_str(e.message, "bad cert", "message formatted");
	eq_str(e.stage, "TLS", "stage kept");
	ok(error_set(NULL, SMTPC_EIO, NULL, "x") == SMTPC_EIO, "NULL err ok");
	error_set_reply(&e, 535, "5.7.8", "bad\r\npass\x01", 10);
	eq_str(e.server_text, "bad\\x0d\\x0apass\\x01", "server text escaped");
	eq_str(e.enhanced, "5.7.8", "enhanced code kept");
	ok(e.reply_code == 535, "reply code kept");
	error_escape(out, sizeof(out), "abcdefghijklmnopqrstuvwxyz", 26);
	ok(strlen(out) == 15, "escape truncates to fit");
	error_escape(out, 6, "\x01\x02", 2);
	eq_str(out, "\\x01", "escape never splits an escape sequence");
	return tap_done();
}
