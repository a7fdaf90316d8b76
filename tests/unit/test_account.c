/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the mapping of an account, with the command line laid
 * over it, to the program's options (src/cli/account.c).
 */
#include <stdlib.h>

#include "account.h"
#include "args.h"
#include "config.h"
#include "tap.h"

static int
same(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

/* One run: the file's text, the account, and a command line. */
struct run {
	struct config *cfg;
	struct account ac;
	struct cli_opts o;
	struct smtpc_error err;
	int rc;
};

/*
 * Parse `text`, take account `name`, parse argv ("smtpc" first) and
 * merge.  r->rc is account_merge()'s code (or -100 when the setup fails).
 */
static void
run(struct run *r, const char *text, const char *name,
    const char *const *args)
{
	char *argv[32];
	int n = 0;

	memset(r, 0, sizeof(*r));
	r->rc = -100;
	for (; args[n] != NULL; n++)
		argv[n] = (char *)args[n];
	argv[n] = NULL;
	if (config_parse("t.conf", text, strlen(text), &r->cfg, NULL,
	    &r->err) != 0 || args_parse(n, argv, &r->o) != 0) {
		printf("# setup failed: %s\n", r->err.message);
		return;
	}
	r->ac.cfg = r->cfg;
	r->ac.acct = config_account(r->cfg, name);
	if (r->ac.acct == NULL)
		return;
	r->rc = account_merge(&r->o, r->ac.acct, &r->ac, &r->err);
	if (r->rc != 0)
		printf("# merge: %d %s\n", r->rc, r->err.message);
}

static void
done(struct run *r)
{
	args_free(&r->o);
	account_free(&r->ac);
}

/* The line config_print() gives for `key`, or "". */
static const char *
printed(struct run *r, const char *key)
{
	static char line[512];
	char *buf = NULL;
	size_t len = 0, n = strlen(key);
	const char *p;
	FILE *fp = open_memstream(&buf, &len);

	line[0] = '\0';
	config_print(fp, r->ac.acct);
	fclose(fp);
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			snprintf(line, sizeof(line), "%.*s",
			    (int)strcspn(p, "\n"), p);
			break;
		}
		if (strchr(p, '\n') == NULL)
			break;
	}
	free(buf);
	return line;
}

static const char *const send_to[] = {"smtpc", "send", "x@y.z", NULL};

static void
test_tls_modes_and_ports(void)
{
	struct run r;

	run(&r, "account a\nhost h\n", "a", send_to);
	ok(r.rc == 0 && same(r.o.host, "h") && r.o.tls_set &&
	    r.o.tls == SMTPC_TLS_NONE && r.o.port == 25,
	    "no tls key: msmtp's default, plain SMTP on port 25");
	done(&r);
	run(&r, "account a\nhost h\ntls on\n", "a", send_to);
	ok(r.rc == 0 && r.o.tls == SMTPC_TLS_STARTTLS && r.o.port == 25,
	    "tls on: STARTTLS, and msmtp's port 25");
	done(&r);
	run(&r, "account a\nhost h\ntls on\nport 587\n", "a", send_to);
	ok(r.rc == 0 && r.o.tls == SMTPC_TLS_STARTTLS && r.o.port == 587,
	    "tls on, port 587");
	done(&r);
	run(&r, "account a\nhost h\ntls on\ntls_starttls off\n", "a",
	    send_to);
	ok(r.rc == 0 && r.o.tls == SMTPC_TLS_IMPLICIT && r.o.port == 465,
	    "tls_starttls off: implicit TLS on 465");
	done(&r);
	run(&r, "defaults\ntls on\naccount a\nhost h\ntls off\n", "a",
	    send_to);
	ok(r.rc == 0 && r.o.tls == SMTPC_TLS_NONE,
	    "the account's tls off wins over defaults");
	done(&r);
}

static void
test_command_line_wins(void)
{
	static const char *const server[] = {"smtpc", "send", "--server",
	    "smtps://other:2465", "--helo", "me.example", "--timeout", "9",
	    "x@y.z", NULL};
	static const char *const tls_none[] = {"smtpc", "send", "--tls",
	    "none", "x@y.z", NULL};
	static const char *const user[] = {"smtpc", "send", "-u", "cli",
	    "--auth", "SCRAM-SHA-256", "x@y.z", NULL};
	static const char *const insecure[] = {"smtpc", "check",
	    "--insecure", NULL};
	static const char *const pin[] = {"smtpc", "check",
	    "--tls-fingerprint",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    NULL};
	static const char *const text = "account a\nhost h\nport 587\n"
	    "tls on\ndomain file.example\ntimeout 30\nuser u\nauth off\n"
	    "tls_certcheck off\n";
	struct run r;

	run(&r, text, "a", server);
	ok(r.rc == 0 && same(r.o.host, "other") && r.o.port == 2465 &&
	    r.o.tls == SMTPC_TLS_IMPLICIT && same(r.o.helo, "me.example") &&
	    r.o.timeout == 9, "--server, --helo, --timeout win");
	eq_str(printed(&r, "host"), "host other  (command line)",
	    "check shows host from the command line");
	eq_str(printed(&r, "domain"), "domain me.example  (command line)",
	    "check shows domain from the command line");
	eq_str(printed(&r, "timeout"), "timeout 9  (command line)",
	    "check shows timeout from the command line");
	eq_str(printed(&r, "user"), "user u  (t.conf:7)",
	    "check shows the file's line for the rest");
	done(&r);
	run(&r, text, "a", tls_none);
	ok(r.rc == 0 && r.o.tls == SMTPC_TLS_NONE && r.o.port == 587,
	    "--tls none wins; the account's port stays");
	done(&r);
	run(&r, text, "a", user);
	ok(r.rc == 0 && same(r.o.user, "cli") && !r.o.no_auth &&
	    same(r.o.auth, "SCRAM-SHA-256"),
	    "-u turns the account's auth off into AUTH; --auth maps");
	done(&r);
	run(&r, "account a\nhost h\ntls on\ntls_fingerprint 01:23:45:67:89:"
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"
	    "45:67:89:AB:CD:EF\n", "a", insecure);
	ok(r.rc == 0 && r.o.insecure && r.o.tls_fingerprint == NULL,
	    "--insecure drops the account's pin");
	done(&r);
	run(&r, text, "a", pin);
	ok(r.rc == 0 && !r.o.insecure && same(r.o.tls_fingerprint,
	    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF"),
	    "--tls-fingerprint (no colons) pins, over tls_certcheck off");
	done(&r);
}

static void
test_bad_command_line_value(void)
{
	static const char *const gss[] = {"smtpc", "check", "-u", "me",
	    "--auth", "NO-SUCH-MECH", NULL};
	struct run r;

	run(&r, "account a\nhost h\n", "a", gss);
	ok(r.rc == SMTPC_EINVAL && r.err.code == SMTPC_EINVAL &&
	    strstr(r.err.message, "command line") != NULL,
	    "a command-line value the account refuses is a usage error");
	done(&r);
}

static void
test_auth_and_secrets(void)
{
	static const char *const pwfile[] = {"smtpc", "send",
	    "--password-file", "pw", "x@y.z", NULL};
	struct run r;

	run(&r, "account a\nhost h\nuser u\npassword p\n", "a", send_to);
	ok(r.rc == 0 && r.o.user == NULL && r.o.no_auth &&
	    r.o.acct_password == NULL,
	    "auth off (msmtp's default): no login even with a user");
	done(&r);
	run(&r, "account a\nhost h\nauth on\nuser u\npassword p\n"
	    "passwordeval cmd\n", "a", send_to);
	ok(r.rc == 0 && same(r.o.user, "u") && r.o.auth == NULL &&
	    same(r.o.acct_password, "p") &&
	    same(r.o.acct_passwordeval, "cmd") &&
	    same(r.o.acct_secret_origin, "password (t.conf:5)") &&
	    !r.o.acct_token, "auth on: user, password before passwordeval");
	done(&r);
	run(&r, "account a\nhost h\nauth scram-sha-256\nuser u\n"
	    "passwordeval pass show x\n", "a", send_to);
	ok(r.rc == 0 && same(r.o.auth, "SCRAM-SHA-256") &&
	    same(r.o.acct_passwordeval, "pass show x") &&
	    same(r.o.acct_secret_origin, "passwordeval (t.conf:5)"),
	    "auth METHOD and passwordeval");
	done(&r);
	run(&r, "account a\nhost h\nauth on\nuser u\npasswordeval x\n", "a",
	    pwfile);
	ok(r.rc == 0 && r.o.acct_password == NULL &&
	    r.o.acct_passwordeval == NULL && same(r.o.password_file, "pw"),
	    "--password-file wins over passwordeval");
	done(&r);
	run(&r, "account a\nhost h\nauth oauthbearer\nuser u\n"
	    "passwordeval token-helper\n", "a", send_to);
	ok(r.rc == 0 && r.o.acct_token && same(r.o.auth, "OAUTHBEARER") &&
	    same(r.o.acct_passwordeval, "token-helper"),
	    "auth oauthbearer: passwordeval prints the token");
	done(&r);
	run(&r, "account a\nhost h\nauth on\n", "a", send_to);
	ok(r.rc == 0 && r.o.user == NULL &&
	    same(r.o.auth_origin, "t.conf:3"),
	    "auth on without user: the line is kept for the error");
	done(&r);
}

static void
test_tls_files(void)
{
	struct run r;

	run(&r, "account a\nhost h\ntls on\ntls_trust_file /ca.pem\n"
	    "tls_cert_file /c.pem\ntls_key_file /k.pem\n", "a", send_to);
	ok(r.rc == 0 && same(r.o.cafile, "/ca.pem") &&
	    same(r.o.cert_file, "/c.pem") && same(r.o.key_file, "/k.pem") &&
	    !r.o.insecure, "trust, certificate and key files");
	done(&r);
	run(&r, "account a\nhost h\ntls on\ntls_certcheck off\n", "a",
	    send_to);
	ok(r.rc == 0 && r.o.insecure, "tls_certcheck off is --insecure");
	done(&r);
	run(&r, "account a\nhost h\ntls on\ntls_trust_file\n", "a", send_to);
	ok(r.rc == SMTPC_ECONFIG &&
	    strstr(r.err.message, "t.conf:4: tls_trust_file is empty") ==
	    r.err.message, "an empty trust file and no pin: refused");
	done(&r);
	{
		static const char *const cert[] = {"smtpc", "check", "--cert",
		    "/mine.pem", NULL};

		run(&r, "account a\nhost h\ntls on\ntls_cert_file /c.pem\n"
		    "tls_key_file /k.pem\n", "a", cert);
		ok(r.rc == 0 && same(r.o.cert_file, "/mine.pem") &&
		    r.o.key_file == NULL,
		    "--cert replaces the account's certificate and key");
		done(&r);
	}
}

static void
test_sender_and_delivery(void)
{
	static const char *const dash_f[] = {"smtpc", "send", "-f",
	    "Me <me@cli.example>", "x@y.z", NULL};
	struct run r;

	run(&r, "account a\nhost h\nfrom joe@x.example\n"
	    "from_full_name Joe \"Q\" Public\n", "a", send_to);
	ok(r.rc == 0 && same(r.o.from, "\"Joe \\\"Q\\\" Public\" "
	    "<joe@x.example>") && r.o.envelope_from == NULL,
	    "from and from_full_name make the sender");
	done(&r);
	run(&r, "account a\nhost h\nfrom joe@x.example\n", "a", dash_f);
	ok(r.rc == 0 && same(r.o.from, "Me <me@cli.example>") &&
	    r.o.envelope_from == NULL, "-f wins over from");
	eq_str(printed(&r, "from"), "from me@cli.example  (command line)",
	    "check shows -f's address");
	done(&r);
	run(&r, "account a\nhost h\nfrom joe@x.example\n"
	    "allow_from_override off\n", "a", dash_f);
	ok(r.rc == 0 && same(r.o.from, "Me <me@cli.example>") &&
	    same(r.o.envelope_from, "joe@x.example"),
	    "allow_from_override off: the envelope stays the account's");
	done(&r);
	run(&r, "account a\nhost h\nfrom *@x.example\n", "a", send_to);
	ok(r.rc == 0 && r.o.from == NULL,
	    "a from pattern is no sender");
	ok(args_check_complete(&r.o) == 64, "so -f is still missing");
	done(&r);
	run(&r, "account a\nhost h\ndsn_notify failure,delay\n"
	    "dsn_return headers\nlogfile /l.log\nsyslog LOG_MAIL\n", "a",
	    send_to);
	ok(r.rc == 0 &&
	    r.o.dsn_notify == (SMTPC_DSN_FAILURE | SMTPC_DSN_DELAY) &&
	    r.o.dsn_ret == SMTPC_DSN_RET_HDRS && same(r.o.logfile, "/l.log") &&
	    same(r.o.syslog, "LOG_MAIL"),
	    "dsn_notify, dsn_return, logfile, syslog");
	done(&r);
	{
		static const char *const dsn[] = {"smtpc", "send",
		    "--dsn-notify", "success", "--dsn-return", "full",
		    "x@y.z", NULL};

		run(&r, "account a\nhost h\ndsn_notify never\n", "a", dsn);
		ok(r.rc == 0 && r.o.dsn_notify == SMTPC_DSN_SUCCESS &&
		    r.o.dsn_ret == SMTPC_DSN_RET_FULL,
		    "--dsn-notify and --dsn-return win");
		done(&r);
	}
}

static void
test_unsupported_refused(void)
{
	static const char *const gss[] = {"smtpc", "check", "--auth",
	    "gssapi", "-u", "me", NULL};
	struct run r;

	run(&r, "account a\nhost h\n", "a", gss);
	ok(r.rc != 0, "an auth smtpc lacks, asked on the command line");
	done(&r);
	run(&r, "account a\nhost h\nproxy_host p\n", "a", send_to);
	ok(r.rc == SMTPC_ECONFIG && strstr(r.err.message, "t.conf:3") != NULL,
	    "an account asking for a proxy is refused, naming the line");
	done(&r);
}

int
main(void)
{
	test_tls_modes_and_ports();
	test_command_line_wins();
	test_bad_command_line_value();
	test_auth_and_secrets();
	test_tls_files();
	test_sender_and_delivery();
	test_unsupported_refused();
	return tap_done();
}
