/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for msmtp's log line made from a result object
 * (src/cli/logfile.c); the results are filled with the library's own
 * internal functions, as a send fills them.
 */
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"
#include "result.h"
#include "tap.h"

static struct smtpc_result *
sent(void)
{
	struct smtpc_result *r = smtpc_result_new();
	size_t i;
	static const char fin[] = "2.0.0 Ok: queued as 4XyZ1";

	result_set_from(r, "alice@example.test");
	result_add_rcpt(r, "bob@example.test", &i);
	result_rcpt_reply(r, i, 1, 250, "2.1.5", "2.1.5 Ok", 8);
	result_add_rcpt(r, "carol@example.test", &i);
	result_rcpt_reply(r, i, 1, 250, "2.1.5", "2.1.5 Ok", 8);
	result_set_size(r, 1234);
	result_add_bytes(r, 1234);
	result_set_final(r, 250, "2.0.0", fin, sizeof(fin) - 1);
	result_set_status(r, 0, NULL, 0);
	return r;
}

static void
test_sent(void)
{
	struct smtpc_result *r = sent();
	struct logfile_info li;
	char *line;

	memset(&li, 0, sizeof(li));
	li.host = "smtp.example.org";
	li.tls = 1;
	li.user = "alice";
	line = logfile_line(r, &li, 0);
	eq_str(line, "host=smtp.example.org tls=on auth=on user=alice "
	    "from=alice@example.test "
	    "recipients=bob@example.test,carol@example.test mailsize=1234 "
	    "smtpstatus=250 smtpmsg='250 2.0.0 Ok: queued as 4XyZ1' "
	    "exitcode=EX_OK", "a message sent: msmtp's fields, final reply");
	free(line);
	li.tls = 0;
	li.user = NULL;
	line = logfile_line(r, &li, 0);
	ok(strstr(line, "tls=off auth=off from=") != NULL &&
	    strstr(line, "user=") == NULL, "no TLS, no AUTH: no user=");
	free(line);
	smtpc_result_free(r);
}

static void
test_refused(void)
{
	struct smtpc_result *r = smtpc_result_new();
	struct smtpc_error err;
	struct logfile_info li;
	static const char txt[] =
	    "5.1.1 <nobody@example.test>: Recipient 'unknown'\r\x1b[31m";
	char *line;
	size_t i;

	memset(&err, 0, sizeof(err));
	err.code = SMTPC_EPERM;
	err.reply_code = 550;
	snprintf(err.enhanced, sizeof(err.enhanced), "5.1.1");
	snprintf(err.stage, sizeof(err.stage), "RCPT TO");
	snprintf(err.message, sizeof(err.message), "recipient 'refused'");
	snprintf(err.server_text, sizeof(err.server_text), "%s",
	    "5.1.1 <nobody@example.test>: it's\tunknown");
	result_set_from(r, "");
	result_add_rcpt(r, "nobody@example.test", &i);
	result_rcpt_reply(r, i, 0, 550, "5.1.1", txt, sizeof(txt) - 1);
	result_set_status(r, SMTPC_EPERM, &err, 0);
	memset(&li, 0, sizeof(li));
	li.host = "h\x01st";
	li.tls = 1;
	line = logfile_line(r, &li, 69);
	eq_str(line, "host=h?st tls=on auth=off from= "
	    "recipients=nobody@example.test smtpstatus=550 "
	    "smtpmsg='550 5.1.1 <nobody@example.test>: it?s?unknown' "
	    "errormsg='RCPT TO: recipient ?refused?' exitcode=EX_UNAVAILABLE",
	    "a refusal: no mailsize, the server's words sanitised");
	free(line);
	smtpc_result_free(r);
}

/* No result (or one the send never filled): the message and err say. */
static void
test_without_result(void)
{
	struct smtpc_msg *m = smtpc_msg_new();
	struct smtpc_result *empty = smtpc_result_new();
	struct smtpc_error err;
	struct logfile_info li;
	char *line;

	smtpc_msg_set_from(m, "Me <me@example.test>", NULL);
	smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "a@example.test", NULL);
	smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "b@example.test", NULL);
	memset(&li, 0, sizeof(li));
	li.host = "h";
	li.tls = 1;
	li.user = "me";
	li.msg = m;
	line = logfile_line(NULL, &li, 78);
	eq_str(line, "host=h tls=on auth=on user=me from=me@example.test "
	    "recipients=a@example.test,b@example.test exitcode=EX_CONFIG",
	    "no result: the envelope of the message");
	free(line);
	memset(&err, 0, sizeof(err));
	err.code = SMTPC_ETIMEOUT;
	snprintf(err.stage, sizeof(err.stage), "connect");
	li.err = &err;
	li.envelope_from = "forced@example.test";
	line = logfile_line(empty, &li, 75);
	eq_str(line, "host=h tls=on auth=on user=me from=forced@example.test "
	    "recipients=a@example.test,b@example.test "
	    "errormsg='connect: timed out' exitcode=EX_TEMPFAIL",
	    "an empty result: the envelope, the sender forced, the error");
	free(line);
	li.err = NULL;
	li.size = 77;
	line = logfile_line(NULL, &li, 0);
	ok(strstr(line, " mailsize=77 exitcode=EX_OK") != NULL,
	    "no result, sent: the message's size");
	free(line);
	smtpc_result_free(empty);
	smtpc_msg_free(m);
}

static void
test_append(void)
{
	char dir[] = "/tmp/smtpc-logXXXXXX", path[64], buf[256];
	regex_t re;
	struct stat st;
	FILE *fp;
	int lines = 0, good = 1;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	regcomp(&re, "^[A-Z][a-z][a-z] [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:"
	    "[0-6][0-9] host=x exitcode=EX_OK\n$", REG_EXTENDED | REG_NOSUB);
	ok(logfile_append(path, "host=x exitcode=EX_OK") == 0 &&
	    logfile_append(path, "host=x exitcode=EX_OK") == 0,
	    "two lines appended");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "a new log file is mode 600");
	if ((fp = fopen(path, "r")) != NULL) {
		while (fgets(buf, sizeof(buf), fp) != NULL) {
			lines++;
			good &= regexec(&re, buf, 0, NULL, 0) == 0;
		}
		fclose(fp);
	}
	ok(lines == 2 && good, "each line starts with the local time");
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	ok(logfile_append(path, "x") == -1, "a log that cannot be opened");
	regfree(&re);
	snprintf(path, sizeof(path), "%s/log", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_sent();
	test_refused();
	test_without_result();
	test_append();
	return tap_done();
}
