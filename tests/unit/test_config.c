/* SPDX-License-Identifier: ISC */
/* Unit tests for the CLI's configuration reader (src/cli/config.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"
#include "tmpfiles.h"

#define NOBODY 65534

static const char *
str(const char *s)
{
	return s != NULL ? s : "(null)";
}

/* NULL is a value here: "not set". */
static int
same(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

static struct config *
parse(const char *text, const char *what)
{
	struct config *c = NULL;
	struct smtpc_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = config_parse("t.conf", text, strlen(text), &c, NULL, &err);
	if (!ok(rc == 0 && c != NULL, what))
		printf("# rc %d: %s\n", rc, err.message);
	return c;
}

/* The text is refused with exactly `msg`. */
static void
expect_error(const char *text, const char *msg, const char *what)
{
	struct config *c = NULL;
	struct smtpc_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = config_parse("t.conf", text, strlen(text), &c, NULL, &err);
	if (!ok(rc == SMTPC_ECONFIG && err.code == SMTPC_ECONFIG && c == NULL &&
		    strcmp(err.message, msg) == 0,
		what))
		printf("# rc %d\n# got  %s\n# want %s\n", rc, err.message, msg);
	config_free(c);
}

/* The account `name` of a one-account text. */
static struct config_account *
account_of(struct config *c, const char *name)
{
	struct config_account *a = c != NULL ? config_account(c, name) : NULL;

	if (a == NULL) {
		printf("Bail out! no account %s\n", name);
		exit(1);
	}
	return a;
}

/* Parse "account a\nLINE\n" and give the account; free with config_free. */
static struct config *
one(const char *line, struct config_account **a)
{
	char text[2048];
	struct config *c;

	snprintf(text, sizeof(text), "account a\n%s\n", line);
	c = parse(text, line);
	*a = c != NULL ? account_of(c, "a") : NULL;
	return c;
}

static void
one_error(const char *line, const char *msg)
{
	char text[2048];

	snprintf(text, sizeof(text), "account a\n%s\n", line);
	expect_error(text, msg, line);
}

/* What config_print() writes for `a`. */
static char *
printed(const struct config_account *a)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	if (fp == NULL) {
		printf("Bail out! open_memstream\n");
		exit(1);
	}
	config_print(fp, a);
	fclose(fp);
	return out;
}

static void
test_syntax(void)
{
	struct config *c;
	struct config_account *a;

	c = parse("# a comment\n\n   \t\n  # indented comment\n"
		  "account a\n\thost   mail.example.org  \t\n"
		  "from x@example.org # not a comment\n",
	    "comments and blanks");
	a = account_of(c, "a");
	eq_str(str(a->host), "mail.example.org", "value without blanks");
	eq_str(str(a->from), "x@example.org # not a comment",
	    "'#' after a value is part of it, as in msmtp");
	ok(a->origin[CONFIG_HOST].line == 6 &&
		strcmp(a->origin[CONFIG_HOST].file, "t.conf") == 0,
	    "origin: file and line");
	config_free(c);

	c = parse("account a\r\nhost h\r\nuser u", "CRLF, no final newline");
	a = account_of(c, "a");
	ok(same(a->host, "h") && same(a->user, "u"), "CRLF dropped");
	config_free(c);

	c = one("password \"  two  spaces \"", &a);
	eq_str(str(a->password), "  two  spaces ", "quotes keep blanks");
	config_free(c);
	c = one("password \"a\"b\"", &a);
	eq_str(str(a->password), "a\"b", "inner quote is a character");
	config_free(c);
	c = one("password \"abc", &a);
	eq_str(str(a->password), "\"abc", "an unclosed quote is kept");
	config_free(c);
	c = one("from \"\"", &a);
	ok(same(a->from, ""), "\"\" is the empty value");
	config_free(c);
	c = one("password \"", &a);
	eq_str(str(a->password), "\"", "a lone quote is the value");
	config_free(c);
	c = one("password \\\"x\\\"", &a);
	eq_str(str(a->password), "\\\"x\\\"", "no backslash escapes");
	config_free(c);
	c = one("from \"  \"", &a);
	ok(same(a->from, "  "), "quoted blanks only");
	config_free(c);

	expect_error("account a\nHost h\n", "t.conf:2: unknown key 'Host'",
	    "keys are case-sensitive");
	expect_error("account a\nhosts h\n", "t.conf:2: unknown key 'hosts'",
	    "unknown key with file and line");
	expect_error("defaults\nport 25\nbogus_key on\n",
	    "t.conf:3: unknown key 'bogus_key'", "unknown key in defaults");
	expect_error("account a\nhost \"h\"\nport 25\n\n  xyz\n",
	    "t.conf:5: unknown key 'xyz'", "unknown key without value");
	expect_error("eval echo host h\n",
	    "t.conf:1: eval is not supported: it would run a command while the "
	    "file is read (passwordeval runs one when the password is needed)",
	    "eval refused");
	expect_error("defaults x\n", "t.conf:1: defaults takes no value",
	    "defaults with a value");
	expect_error("account a\nhost a\x01z\n",
	    "t.conf:2: control character 0x01", "control character");
	expect_error("account a\nhost a\rz\n",
	    "t.conf:2: control character 0x0d", "CR inside a line");
	{
		struct config *c2 = NULL;
		struct smtpc_error err;
		int rc = config_parse(
		    "t.conf", "account a\nhost a\0b\n", 18, &c2, NULL, &err);

		ok(rc == SMTPC_ECONFIG &&
			strcmp(err.message, "t.conf:2: NUL byte") == 0,
		    "NUL byte refused");
	}
}

static void
test_keys(void)
{
	struct config *c;
	struct config_account *a;

	c = parse(
	    "account a\nhost mail.example.org\nport 587\n"
	    "from me@example.org\nuser me\nauth on\npassword s3cret\n"
	    "passwordeval pass show mail\ntls on\ntls_starttls off\n"
	    "tls_trust_file /etc/ssl/ca.pem\ntls_cert_file /c.pem\n"
	    "tls_key_file /k.pem\ndomain client.example.org\ntimeout 30\n"
	    "dsn_notify failure,delay\ndsn_return headers\n"
	    "logfile /var/log/smtpc\nsyslog LOG_MAIL\nset_from_header on\n"
	    "from_full_name \"Me Myself\"\nallow_from_override off\n"
	    "tls_certcheck off\n",
	    "every key");
	a = account_of(c, "a");
	ok(same(a->host, "mail.example.org") && a->port == 587 &&
		same(a->from, "me@example.org") && same(a->user, "me") &&
		a->auth == CONFIG_AUTH_ON && same(a->password, "s3cret") &&
		same(a->passwordeval, "pass show mail"),
	    "host..passwordeval");
	ok(a->tls == 1 && a->tls_starttls == 0 &&
		same(a->tls_trust_file, "/etc/ssl/ca.pem") &&
		same(a->tls_cert_file, "/c.pem") &&
		same(a->tls_key_file, "/k.pem") && a->tls_certcheck == 0,
	    "tls keys");
	ok(same(a->domain, "client.example.org") && a->timeout == 30 &&
		a->dsn_notify == (SMTPC_DSN_FAILURE | SMTPC_DSN_DELAY) &&
		a->dsn_return == SMTPC_DSN_RET_HDRS &&
		same(a->logfile, "/var/log/smtpc") &&
		same(a->syslog, "LOG_MAIL") &&
		a->set_from_header == CONFIG_FROM_HEADER_ON &&
		same(a->from_full_name, "Me Myself") &&
		a->allow_from_override == 0,
	    "the other keys");
	ok(config_tls_mode(a) == SMTPC_TLS_IMPLICIT && config_port(a) == 587,
	    "tls on, starttls off: implicit TLS, the port set");
	config_free(c);

	/* msmtp's defaults. */
	c = one("host h", &a);
	ok(a->tls == 0 && a->tls_starttls == 1 && a->tls_certcheck == 1 &&
		a->auth == CONFIG_AUTH_OFF && a->allow_from_override == 1 &&
		a->set_from_header == CONFIG_FROM_HEADER_AUTO && a->port == 0 &&
		a->timeout == 0 && a->dsn_notify == 0 &&
		a->dsn_return == SMTPC_DSN_RET_DEFAULT &&
		a->tls_trust_file == NULL && a->user == NULL &&
		a->domain == NULL && a->syslog == NULL,
	    "msmtp's defaults");
	ok(config_tls_mode(a) == SMTPC_TLS_NONE && config_port(a) == 25,
	    "no tls: plain SMTP on 25, as msmtp");
	config_free(c);
	c = parse("account a\nhost h\ntls\n", "tls with no value");
	a = account_of(c, "a");
	ok(a->tls == 1 && config_tls_mode(a) == SMTPC_TLS_STARTTLS &&
		config_port(a) == 25,
	    "empty value is on; STARTTLS on 25");
	config_free(c);
	c = parse("account a\ntls on\ntls_starttls off\n", "implicit");
	ok(config_port(account_of(c, "a")) == 465, "implicit TLS: 465");
	config_free(c);

	/* port */
	c = one("port 65535", &a);
	ok(a->port == 65535, "port 65535");
	config_free(c);
	one_error("port 0",
	    "t.conf:2: invalid value '0' for port (it takes a "
	    "number from 1 to 65535)");
	one_error("port 65536",
	    "t.conf:2: invalid value '65536' for port (it "
	    "takes a number from 1 to 65535)");
	one_error("port 0587",
	    "t.conf:2: invalid value '0587' for port (it "
	    "takes a number from 1 to 65535)");
	one_error("port 58x",
	    "t.conf:2: invalid value '58x' for port (it "
	    "takes a number from 1 to 65535)");
	one_error("port", "t.conf:2: port needs a value");
	one_error("host", "t.conf:2: host needs a value");

	/* auth */
	{
		static const struct {
			const char *v;
			enum config_auth want;
			const char *mech;
		} t[] = {
		    {"auth on", CONFIG_AUTH_ON, NULL},
		    {"auth", CONFIG_AUTH_ON, NULL},
		    {"auth off", CONFIG_AUTH_OFF, NULL},
		    {"auth plain", CONFIG_AUTH_PLAIN, "PLAIN"},
		    {"auth login", CONFIG_AUTH_LOGIN, "LOGIN"},
		    {"auth cram-md5", CONFIG_AUTH_CRAM_MD5, "CRAM-MD5"},
		    {"auth scram-sha-1", CONFIG_AUTH_SCRAM_SHA_1,
			"SCRAM-SHA-1"},
		    {"auth scram-sha-256", CONFIG_AUTH_SCRAM_SHA_256,
			"SCRAM-SHA-256"},
		    {"auth oauthbearer", CONFIG_AUTH_OAUTHBEARER,
			"OAUTHBEARER"},
		    {"auth xoauth2", CONFIG_AUTH_XOAUTH2, "XOAUTH2"},
		    {"auth gssapi", CONFIG_AUTH_GSSAPI, NULL},
		    {"auth scram-sha-256-plus", CONFIG_AUTH_SCRAM_SHA_256_PLUS,
			NULL},
		    {"auth ntlm", CONFIG_AUTH_NTLM, NULL},
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			c = one(t[i].v, &a);
			ok(a->auth == t[i].want &&
				same(config_auth_mech(a->auth), t[i].mech),
			    t[i].v);
			config_free(c);
		}
	}
	one_error("auth PLAIN",
	    "t.conf:2: invalid value 'PLAIN' for auth (it "
	    "takes on, off or a method such as plain, login, scram-sha-256, "
	    "oauthbearer, xoauth2)");

	/* booleans: on, off and empty only, lower case */
	c = one("tls_starttls", &a);
	ok(a->tls_starttls == 1, "tls_starttls empty: on");
	config_free(c);
	one_error("tls yes",
	    "t.conf:2: invalid value 'yes' for tls (it takes on or off)");
	one_error("tls ON",
	    "t.conf:2: invalid value 'ON' for tls (it takes on or off)");
	one_error("tls_certcheck 0",
	    "t.conf:2: invalid value '0' for "
	    "tls_certcheck (it takes on or off)");
	one_error("allow_from_override",
	    "t.conf:2: allow_from_override needs a value");
	c = one("tls_nocertcheck", &a);
	ok(a->tls_certcheck == 0, "tls_nocertcheck (msmtp 1.2)");
	config_free(c);
	c = one("tls_nostarttls", &a);
	ok(a->tls_starttls == 0, "tls_nostarttls (msmtp 1.2)");
	config_free(c);
	one_error(
	    "tls_nocertcheck on", "t.conf:2: tls_nocertcheck takes no value");
	one_error(
	    "tls_nostarttls off", "t.conf:2: tls_nostarttls takes no value");

	/* empty values unset */
	c = parse("defaults\nuser u\npassword p\npasswordeval cmd\n"
		  "domain d\naccount a\nuser\npassword\npasswordeval\ndomain\n",
	    "empty values");
	a = account_of(c, "a");
	ok(a->user == NULL && a->password == NULL && a->passwordeval == NULL &&
		a->domain == NULL && a->origin[CONFIG_USER].line == 7,
	    "an empty value unsets what defaults set");
	config_free(c);

	/* tls_trust_file */
	c = one("tls_trust_file system", &a);
	ok(a->tls_trust_file == NULL &&
		a->origin[CONFIG_TLS_TRUST_FILE].line == 2,
	    "tls_trust_file system: the system's CAs");
	config_free(c);
	c = one("tls_trust_file", &a);
	ok(same(a->tls_trust_file, ""), "tls_trust_file empty: no CA");
	config_free(c);
	c = parse("defaults\ntls_trust_file\naccount a\n", "trust in defaults");
	a = account_of(c, "a");
	ok(a->tls_trust_file == NULL &&
		a->origin[CONFIG_TLS_TRUST_FILE].file == NULL,
	    "an empty tls_trust_file in defaults means system, as in msmtp");
	config_free(c);

	/* tls_fingerprint */
	c = one("tls_fingerprint 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:"
		"ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
	    &a);
	eq_str(str(a->tls_fingerprint),
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:"
	    "CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
	    "SHA-256 fingerprint, upper-cased");
	config_free(c);
	c = one("tls_fingerprint 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE "
		"FF 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF",
	    &a);
	ok(a->tls_fingerprint != NULL && a->tls_fingerprint[2] == ':',
	    "fingerprint with spaces, as msmtp takes");
	config_free(c);
	c = one("tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"
		"FF:00:11:22:33",
	    &a);
	ok(a->tls_fingerprint != NULL && strlen(a->tls_fingerprint) == 59,
	    "SHA-1 fingerprint parses (refused when chosen)");
	config_free(c);
	one_error("tls_fingerprint 00:11:22",
	    "t.conf:2: invalid value "
	    "'00:11:22' for tls_fingerprint (it takes the SHA-256 of the "
	    "certificate as 32 hex pairs, 01:23:45:...)");
	one_error("tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
		  "EE:FG:00:11:22:33",
	    "t.conf:2: invalid value '00:11:22:33:44:55:"
	    "66:77:88:99:AA:BB:CC:DD:EE:FG:00:11:22:33' for tls_fingerprint "
	    "(it "
	    "takes the SHA-256 of the certificate as 32 hex pairs, "
	    "01:23:45:...)");

	/* timeout */
	c = one("timeout off", &a);
	ok(a->timeout == 0 && a->origin[CONFIG_TIMEOUT].line == 2,
	    "timeout off");
	config_free(c);
	c = one("connect_timeout 12", &a);
	ok(a->timeout == 12, "connect_timeout is timeout (msmtp 1.4)");
	config_free(c);
	one_error("timeout 0",
	    "t.conf:2: invalid value '0' for timeout (it "
	    "takes off or a number of seconds)");
	one_error("timeout", "t.conf:2: timeout needs a value");

	/* DSN */
	c = one("dsn_notify never", &a);
	ok(a->dsn_notify == SMTPC_DSN_NEVER, "dsn_notify never");
	config_free(c);
	c = one("dsn_notify success,failure,delay", &a);
	ok(a->dsn_notify ==
		(SMTPC_DSN_SUCCESS | SMTPC_DSN_FAILURE | SMTPC_DSN_DELAY),
	    "dsn_notify, three");
	config_free(c);
	c = one("dsn_notify off", &a);
	ok(a->dsn_notify == 0, "dsn_notify off");
	config_free(c);
	one_error("dsn_notify failure,failure",
	    "t.conf:2: invalid value "
	    "'failure,failure' for dsn_notify (it takes off, never, or "
	    "failure, delay and success separated by commas)");
	one_error("dsn_notify failure, delay",
	    "t.conf:2: invalid value "
	    "'failure, delay' for dsn_notify (it takes off, never, or "
	    "failure, delay and success separated by commas)");
	one_error("dsn_notify never,delay",
	    "t.conf:2: invalid value "
	    "'never,delay' for dsn_notify (it takes off, never, or "
	    "failure, delay and success separated by commas)");
	one_error("dsn_notify FAILURE",
	    "t.conf:2: invalid value "
	    "'FAILURE' for dsn_notify (it takes off, never, or "
	    "failure, delay and success separated by commas)");
	one_error("dsn_notify", "t.conf:2: dsn_notify needs a value");
	c = one("dsn_return full", &a);
	ok(a->dsn_return == SMTPC_DSN_RET_FULL, "dsn_return full");
	config_free(c);
	c = one("dsn_return off", &a);
	ok(a->dsn_return == SMTPC_DSN_RET_DEFAULT, "dsn_return off");
	config_free(c);
	one_error("dsn_return hdrs",
	    "t.conf:2: invalid value 'hdrs' for "
	    "dsn_return (it takes off, headers or full)");
	one_error("dsn_return", "t.conf:2: dsn_return needs a value");

	/* logging */
	c = one("logfile -", &a);
	ok(same(a->logfile, "-"), "logfile - (standard output)");
	config_free(c);
	c = one("syslog", &a);
	ok(same(a->syslog, "LOG_USER"), "syslog empty: LOG_USER");
	config_free(c);
	c = one("syslog LOG_LOCAL7", &a);
	ok(same(a->syslog, "LOG_LOCAL7"), "syslog LOG_LOCAL7");
	config_free(c);
	c = one("syslog off", &a);
	ok(a->syslog == NULL, "syslog off");
	config_free(c);
	one_error("syslog LOG_LOCAL8",
	    "t.conf:2: invalid value 'LOG_LOCAL8' "
	    "for syslog (it takes on, off, LOG_USER, LOG_MAIL or LOG_LOCAL0 "
	    "to LOG_LOCAL7)");

	/* From header */
	c = one("set_from_header", &a);
	ok(a->set_from_header == CONFIG_FROM_HEADER_AUTO, "set_from_header");
	config_free(c);
	c = one("set_from_header off", &a);
	ok(a->set_from_header == CONFIG_FROM_HEADER_OFF, "set_from_header off");
	config_free(c);
	c = one("add_missing_from_header off", &a);
	ok(a->set_from_header == CONFIG_FROM_HEADER_OFF &&
		a->origin[CONFIG_SET_FROM_HEADER].line == 2,
	    "add_missing_from_header off (msmtp 1.8.7)");
	config_free(c);
	one_error("set_from_header always",
	    "t.conf:2: invalid value 'always' "
	    "for set_from_header (it takes auto, on or off)");
}

static void
test_tilde(void)
{
	struct config *c;
	struct config_account *a;

	setenv("HOME", "/home/joe", 1);
	c = parse("account a\ntls_trust_file ~/ca.pem\ntls_cert_file ~\n"
		  "tls_key_file ~joe/k.pem\nlogfile ~/log\n"
		  "passwordeval gpg -d ~/.pw.gpg\n",
	    "tilde");
	a = account_of(c, "a");
	ok(same(a->tls_trust_file, "/home/joe/ca.pem") &&
		same(a->tls_cert_file, "/home/joe") &&
		same(a->logfile, "/home/joe/log"),
	    "~ and ~/ are $HOME");
	ok(same(a->tls_key_file, "~joe/k.pem"), "~user is left alone");
	ok(same(a->passwordeval, "gpg -d ~/.pw.gpg"),
	    "a command is not expanded (its shell does that)");
	config_free(c);
}

static void
test_inherit(void)
{
	struct config *c;
	struct config_account *a;

	c = parse(
	    "defaults\nport 587\ntls on\n"
	    "account one\nhost h1\nfrom a@one.example\nauth plain\nuser u1\n"
	    "defaults\nport 25\n"
	    "account two : one\nfrom b@one.example\n"
	    "account three\nhost h3\nport 2525\n"
	    "account four : two, three\n"
	    "account five : three, two\n",
	    "inheritance");
	a = account_of(c, "one");
	ok(a->port == 587 && a->tls == 1 && a->origin[CONFIG_PORT].line == 2,
	    "defaults filled in");
	a = account_of(c, "two");
	ok(same(a->host, "h1") && a->port == 25 &&
		a->auth == CONFIG_AUTH_PLAIN && same(a->user, "u1") &&
		same(a->from, "b@one.example"),
	    "parent's settings over the defaults at the account's line");
	ok(a->origin[CONFIG_HOST].line == 5 &&
		a->origin[CONFIG_PORT].line == 10 &&
		a->origin[CONFIG_FROM].line == 12,
	    "inherited settings name the line that made them");
	ok(a->tls == 1 && a->origin[CONFIG_TLS].line == 3,
	    "the first defaults still hold where not changed");
	a = account_of(c, "four");
	ok(same(a->host, "h3") && a->port == 2525 && same(a->user, "u1") &&
		same(a->from, "b@one.example"),
	    "several parents: later ones win, grandparents' settings come too");
	a = account_of(c, "five");
	ok(same(a->host, "h1") && a->port == 2525,
	    "five : three, two: two's host, three's port (two set no port)");
	config_free(c);

	c = parse("account p\nhost h\naccount c : p\ndefaults\nhost other\n",
	    "defaults after");
	ok(same(account_of(c, "c")->host, "h"),
	    "later defaults change no account");
	config_free(c);

	c = parse("account p\nhost h\naccount c : \"p\"\n", "quoted parent");
	ok(same(account_of(c, "c")->host, "h"), "a parent name may be quoted");
	config_free(c);

	expect_error("account a : b\n",
	    "t.conf:1: account 'b' is not defined "
	    "(yet)",
	    "an unknown parent");
	expect_error("account a\naccount b : a,\n",
	    "t.conf:2: missing account name", "an empty parent name");
	expect_error("account a\naccount a\n",
	    "t.conf:2: account 'a' is already defined", "a duplicate");
	expect_error("account\n", "t.conf:1: missing account name",
	    "account without a name");
	expect_error("account  : x\n",
	    "t.conf:1: account 'x' is not defined "
	    "(yet)",
	    "parents are checked before the name, as msmtp");
	expect_error("account a\naccount : a\n",
	    "t.conf:2: missing account name", "empty name with a parent");
	{
		char text[400];
		size_t n, i;

		n = (size_t)snprintf(
		    text, sizeof(text), "account p\naccount c :");
		for (i = 0; i < 64; i++)
			n +=
			    (size_t)snprintf(text + n, sizeof(text) - n, " p,");
		memcpy(text + n - 1, "\n", 2);
		c = parse(text, "64 parents");
		config_free(c);
		memcpy(text + n - 1, ", p\n", 5);
		expect_error(
		    text, "t.conf:2: more than 64 parents", "65 parents");
	}
	expect_error("account a,b\n",
	    "t.conf:1: an account name must not "
	    "contain colons or commas",
	    "a comma in a name");
}

static void
test_default(void)
{
	struct config *c;
	struct config_account *a;
	struct smtpc_error err;

	c = parse("host h0\nport 26\naccount x\nhost hx\n",
	    "settings before any account");
	a = account_of(c, "default");
	ok(same(a->host, "h0") && a->port == 26 &&
		config_account_count(c) == 2 && config_account_at(c, 0) == a,
	    "make account \"default\" (msmtp 1.2)");
	config_free(c);

	c = parse("account gmail\nhost smtp.gmail.com\nfrom me@gmail.com\n"
		  "account work\nhost w\naccount default : gmail\n",
	    "alias");
	a = account_of(c, "default");
	ok(same(a->host, "smtp.gmail.com") && same(a->from, "me@gmail.com"),
	    "account default : gmail takes gmail's settings");
	ok(config_select(c, NULL, NULL, &a, &err) == 0 && a != NULL &&
		strcmp(a->name, "default") == 0,
	    "no name, no from: default");
	ok(config_select(c, "work", NULL, &a, &err) == 0 && a != NULL &&
		same(a->host, "w"),
	    "by name");
	ok(config_select(c, "nope", NULL, &a, &err) == SMTPC_ECONFIG &&
		a == NULL &&
		strcmp(err.message,
		    "t.conf: no account 'nope' "
		    "(known: gmail, work, default)") == 0,
	    "unknown account: the known ones listed");
	ok(config_select(c, "Work", NULL, &a, &err) == SMTPC_ECONFIG,
	    "names are case-sensitive");
	config_free(c);

	c = parse("account a\nhost h\n", "no default");
	ok(config_select(c, NULL, NULL, &a, &err) == 0 && a == NULL,
	    "no default account: none chosen, no error");
	config_free(c);
	ok(config_select(NULL, NULL, "x@y", &a, &err) == 0 && a == NULL,
	    "no configuration: none chosen");
	ok(config_select(NULL, "a", NULL, &a, &err) == SMTPC_ECONFIG &&
		strcmp(err.message,
		    "account 'a' not found: no configuration "
		    "file") == 0,
	    "a name without a configuration: error");
}

static void
test_from(void)
{
	struct config *c;
	struct config_account *a;
	struct smtpc_error err;

	ok(config_from_matches("Joe@Example.ORG", "joe@example.org"),
	    "plain: ASCII case ignored");
	ok(!config_from_matches("joe@example.org.evil", "joe@example.org"),
	    "plain: whole address");
	ok(config_from_matches("anyone@example.com", "*@example.com"),
	    "wildcard *@example.com");
	ok(!config_from_matches("anyone@EXAMPLE.com", "*@example.com"),
	    "wildcards are case-sensitive (fnmatch without FNM_CASEFOLD)");
	ok(!config_from_matches("a@sub.example.com.evil", "*@*.example.com"),
	    "wildcard anchored at the end");
	ok(config_from_matches("a@sub.example.com", "*@*.example.com"),
	    "two stars");
	ok(config_from_matches("joe1@example.com", "joe?@example.com"),
	    "? is one character");
	ok(config_from_matches("joe2@example.com", "joe[0-9]@example.com") &&
		!config_from_matches(
		    "joex@example.com", "joe[0-9]@example.com"),
	    "[...] is a bracket expression");
	ok(config_from_matches("joe+lists@example.com", "joe@example.com"),
	    "subaddress: +detail ignored");
	ok(config_from_matches("joe+a+b@Example.com", "joe@example.com"),
	    "subaddress: from the first '+'");
	ok(!config_from_matches("joe+lists@example.com", "joe+x@example.com"),
	    "no subaddress rule when the pattern has a '+'");
	ok(config_from_matches("joe+lists@example.com", "joe@*"),
	    "subaddress with a wildcard pattern");
	ok(!config_from_matches("joe@ex+ample.com", "joe@ex@*"),
	    "a '+' in the domain is no detail (msmtp would try joe@ex@ex+...)");

	c = parse("account a\nfrom me@a.example\n"
		  "account b\nfrom *@b.example\n"
		  "account b2\nfrom *@b.example\n"
		  "account default\nfrom x@d.example\n",
	    "from accounts");
	ok(config_select(c, NULL, "Me@A.example", &a, &err) == 0 && a != NULL &&
		strcmp(a->name, "a") == 0,
	    "from picks the account");
	ok(config_select(c, NULL, "z@b.example", &a, &err) == 0 && a != NULL &&
		strcmp(a->name, "b") == 0,
	    "the first match in the file wins");
	ok(config_select(c, NULL, "z@c.example", &a, &err) == 0 && a != NULL &&
		strcmp(a->name, "default") == 0,
	    "no match: default");
	ok(config_select(c, "b2", "me@a.example", &a, &err) == 0 && a != NULL &&
		strcmp(a->name, "b2") == 0,
	    "a name beats from");
	config_free(c);
}

static void
test_unsupported(void)
{
	static const struct {
		const char *line;
		const char *msg;
	} t[] = {
	    {"proxy_host 127.0.0.1",
		"t.conf:3: proxy_host 127.0.0.1 is not "
		"supported by smtpc: mail would go out directly, not "
		"through the proxy"},
	    {"socket /run/smtp",
		"t.conf:3: socket /run/smtp is not "
		"supported by smtpc: smtpc connects over TCP only"},
	    {"source_ip 192.0.2.1",
		"t.conf:3: source_ip 192.0.2.1 is not "
		"supported by smtpc: mail would leave from another "
		"address"},
	    {"aliases /etc/aliases",
		"t.conf:3: aliases /etc/aliases is "
		"not supported by smtpc: local recipients would not be "
		"replaced"},
	    {"tls_host_override mx.example",
		"t.conf:3: tls_host_override "
		"mx.example is not supported by smtpc: the certificate "
		"would be checked against host instead"},
	    {"protocol lmtp",
		"t.conf:3: protocol lmtp is not supported "
		"by smtpc: smtpc speaks SMTP only"},
	    {"set_to_header undisclosed_recipients",
		"t.conf:3: "
		"set_to_header undisclosed_recipients is not supported by "
		"smtpc: the mail's To, Cc and Bcc would stay as written"},
	    {"set_to_header",
		"t.conf:3: set_to_header on is not "
		"supported by smtpc: the mail's To, Cc and Bcc would stay "
		"as written"},
	    {"undisclosed_recipients on",
		"t.conf:3: set_to_header "
		"undisclosed_recipients is not supported by smtpc: the "
		"mail's To, Cc and Bcc would stay as written"},
	    {"auto_from on",
		"t.conf:3: auto_from on is not supported by "
		"smtpc: set from instead"},
	    {"auth gssapi",
		"t.conf:3: auth gssapi is not supported by "
		"smtpc (it has plain, login, cram-md5, scram-sha-1, "
		"scram-sha-256, oauthbearer and xoauth2)"},
	    {"from %H-daemon@example.org",
		"t.conf:3: from: msmtp's %H substitution is not supported "
		"by smtpc; write the value out"},
	    {"from joe@%M",
		"t.conf:3: from: msmtp's %M substitution is not "
		"supported by smtpc; write the value out"},
	    {"domain %C",
		"t.conf:3: domain: msmtp's %C substitution is not "
		"supported by smtpc; write the value out"},
	    {"tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
	     "EE:FF:00:11:22:33",
		"t.conf:3: tls_fingerprint is a SHA-1 "
		"fingerprint; smtpc pins the SHA-256 of the certificate "
		"only"},
	    {"tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
	     "EE:FF",
		"t.conf:3: tls_fingerprint is a MD5 "
		"fingerprint; smtpc pins the SHA-256 of the certificate "
		"only"},
	};
	static const char *harmless[] = {"from 100%@example.org",
	    "domain %U.example.org", "from x%", "proxy_host", "socket",
	    "source_ip", "aliases", "tls_host_override", "protocol smtp",
	    "set_to_header off", "undisclosed_recipients off", "auto_from off"};
	struct config *c;
	struct config_account *a;
	struct smtpc_error err;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text),
		    "account ok\nhost h\n%s\n"
		    "account bad : ok\n",
		    t[i].line);
		c = parse(text, t[i].line);
		ok(config_select(c, "bad", NULL, &a, &err) == SMTPC_ECONFIG &&
			a == NULL && strcmp(err.message, t[i].msg) == 0 &&
			config_account_check(account_of(c, "ok"), &err) ==
			    SMTPC_ECONFIG,
		    "refused when chosen, inherited too, naming the line");
		if (strcmp(err.message, t[i].msg) != 0)
			printf("# got  %s\n# want %s\n", err.message, t[i].msg);
		config_free(c);
	}
	snprintf(text, sizeof(text),
	    "account ok\nhost h\naccount bad\n"
	    "proxy_host p\n");
	c = parse(text, "an account with proxy_host");
	ok(config_select(c, "ok", NULL, &a, &err) == 0 && a != NULL,
	    "another account of the file is still usable");
	config_free(c);
	for (i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		snprintf(text, sizeof(text),
		    "defaults\nproxy_host p\n"
		    "protocol lmtp\naccount a\n%s\n",
		    harmless[i]);
		c = parse(text, harmless[i]);
		a = account_of(c, "a");
		ok(a->unsupported[CONFIG_PROXY_HOST -
		       CONFIG_FIRST_UNSUPPORTED] != NULL ||
			a->unsupported[CONFIG_PROTOCOL -
			    CONFIG_FIRST_UNSUPPORTED] != NULL,
		    "the defaults' unsupported keys are inherited");
		config_free(c);
		snprintf(text, sizeof(text), "account a\n%s\n", harmless[i]);
		c = parse(text, harmless[i]);
		ok(config_account_check(account_of(c, "a"), &err) == 0,
		    "empty or default value: nothing asked, accepted");
		config_free(c);
	}
	one_error("protocol smtps",
	    "t.conf:2: invalid value 'smtps' for "
	    "protocol (it takes smtp or lmtp)");
	one_error("protocol", "t.conf:2: protocol needs a value");
}

static void
test_ignored(void)
{
	static const char *keys[] = {"ntlmdomain", "tls_crl_file",
	    "tls_priorities", "tls_min_dh_prime_bits", "tls_force_sslv3",
	    "proxy_port", "logfile_time_format", "set_date_header",
	    "add_missing_date_header", "set_msgid_header", "remove_bcc_headers",
	    "keepbcc", "maildomain"};
	const struct config_ignored *ig;
	struct config *c;
	char text[2048];
	size_t i, n = 0;
	int good = 1;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "defaults\n");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "%s x y\n", keys[i]);
	snprintf(text + n, sizeof(text) - n, "account a\ntls_crl_file\n");
	c = parse(text, "every ignored key");
	ok(config_ignored_count(c) == sizeof(keys) / sizeof(keys[0]) + 1,
	    "each listed, once per line");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ig = config_ignored_at(c, i);
		if (ig == NULL || strcmp(ig->key, keys[i]) != 0 ||
		    ig->line != i + 2 || strcmp(ig->file, "t.conf") != 0)
			good = 0;
	}
	ig = config_ignored_at(c, i);
	ok(good && ig != NULL && ig->line == i + 3 &&
		strcmp(ig->key, "tls_crl_file") == 0,
	    "key, file and line");
	ok(config_ignored_at(c, i + 1) == NULL, "past the end: NULL");
	config_free(c);
}

static void
test_limits(void)
{
	struct config *c;
	char *big;
	size_t n, i;

	if ((big = malloc(CONFIG_FILE_MAX + 2)) == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	n = (size_t)snprintf(big, 64, "account a\nhost ");
	memset(big + n, 'h', CONFIG_LINE_MAX - 5);
	memcpy(big + n + CONFIG_LINE_MAX - 5, "\n", 2);
	c = parse(big, "a line of 1000 bytes");
	ok(c != NULL && strlen(account_of(c, "a")->host) == CONFIG_LINE_MAX - 5,
	    "its value whole");
	config_free(c);
	memcpy(big + n + CONFIG_LINE_MAX - 5, "h\r\n", 4);
	expect_error(big, "t.conf:2: line longer than 1000 bytes",
	    "a line of 1001 bytes");

	n = 0;
	for (i = 0; i < CONFIG_ACCOUNTS_MAX; i++)
		n += (size_t)snprintf(big + n, 32, "account a%zu\n", i);
	c = parse(big, "1000 accounts");
	ok(config_account_count(c) == CONFIG_ACCOUNTS_MAX, "all there");
	config_free(c);
	snprintf(big + n, 32, "account z\n");
	expect_error(
	    big, "t.conf:1001: more than 1000 accounts", "1001 accounts");

	memset(big, '#', CONFIG_FILE_MAX + 1);
	for (i = 999; i < CONFIG_FILE_MAX + 1; i += 1000)
		big[i] = '\n';
	{
		struct smtpc_error err;

		ok(config_parse(
		       "t.conf", big, CONFIG_FILE_MAX, &c, NULL, &err) == 0,
		    "a file of 256 KiB");
		config_free(c);
		ok(config_parse("t.conf", big, CONFIG_FILE_MAX + 1, &c, NULL,
		       &err) == SMTPC_ECONFIG &&
			strcmp(err.message,
			    "t.conf: larger than 262144 bytes") == 0,
		    "one byte more: refused");
	}
	free(big);
}

static void
test_print(void)
{
	struct config *c;
	struct config_account *a;
	struct smtpc_error err;
	char *out;

	c = parse("defaults\ntls on\n\naccount gmail\nhost smtp.gmail.com\n"
		  "port 587\nauth on\nuser me@gmail.com\npassword hunter2\n"
		  "passwordeval pass show gmail\nfrom me@gmail.com\n"
		  "domain \" spaced \"\n",
	    "for print");
	a = account_of(c, "gmail");
	out = printed(a);
	eq_str(out,
	    "host smtp.gmail.com  (t.conf:5)\n"
	    "port 587  (t.conf:6)\n"
	    "tls on  (t.conf:2)\n"
	    "tls_starttls on  (default)\n"
	    "tls_trust_file system  (default)\n"
	    "tls_certcheck on  (default)\n"
	    "auth on  (t.conf:7)\n"
	    "user me@gmail.com  (t.conf:8)\n"
	    "password ****  (t.conf:9)\n"
	    "passwordeval pass show gmail  (t.conf:10)\n"
	    "from me@gmail.com  (t.conf:11)\n"
	    "domain \" spaced \"  (t.conf:12)\n",
	    "effective settings, password masked");
	ok(strstr(out, "hunter2") == NULL, "the password never shows");
	free(out);

	ok(config_set(a, "port", "465", "command line", &err) == 0 &&
		config_set(a, "tls_starttls", "off", "command line", &err) ==
		    0 &&
		config_set(a, "password", "", "command line", &err) == 0 &&
		config_set(a, "tls_crl_file", "x", "command line", &err) == 0,
	    "config_set");
	out = printed(a);
	ok(strstr(out, "port 465  (command line)\n") != NULL &&
		strstr(out, "tls_starttls off  (command line)\n") != NULL &&
		strstr(out, "password \"\"  (command line)\n") != NULL,
	    "config_set's label shows as the origin");
	free(out);
	ok(config_set(a, "port", "x", "command line", &err) == SMTPC_ECONFIG &&
		strcmp(err.message,
		    "command line: invalid value 'x' for port (it "
		    "takes a number from 1 to 65535)") == 0,
	    "config_set: bad value");
	ok(config_set(a, "nope", "x", "command line", &err) == SMTPC_ECONFIG &&
		strcmp(err.message, "command line: unknown key 'nope'") == 0,
	    "config_set: unknown key");
	ok(config_set(a, "host", "a\nb", "command line", &err) ==
		    SMTPC_ECONFIG &&
		strcmp(err.message,
		    "command line: control "
		    "character 0x0a") == 0,
	    "config_set: a newline refused");
	config_free(c);

	c = parse("account a\ndsn_notify delay,success\ndsn_return headers\n"
		  "timeout 9\nsyslog\nset_from_header off\nauth xoauth2\n"
		  "allow_from_override off\ntls_trust_file\nproxy_host p\n",
	    "more print");
	out = printed(account_of(c, "a"));
	eq_str(out,
	    "port 25  (default)\n"
	    "tls off  (default)\n"
	    "tls_starttls on  (default)\n"
	    "tls_trust_file \"\"  (t.conf:9)\n"
	    "tls_certcheck on  (default)\n"
	    "auth xoauth2  (t.conf:7)\n"
	    "allow_from_override off  (t.conf:8)\n"
	    "set_from_header off  (t.conf:6)\n"
	    "timeout 9  (t.conf:4)\n"
	    "dsn_notify delay,success  (t.conf:2)\n"
	    "dsn_return headers  (t.conf:3)\n"
	    "syslog LOG_USER  (t.conf:5)\n"
	    "proxy_host p  (t.conf:10)\n",
	    "typed values printed in the file's words");
	free(out);
	config_free(c);
}

/* The examples msmtp ships (doc/), verbatim: see data/README. */
static void
test_msmtp_examples(void)
{
	struct config *c = NULL;
	struct config_account *a;
	struct smtpc_error err;
	int rc;

	rc = config_load("data/msmtprc-user.example", 0, &c, &err);
	if (!ok(rc == 0 && c != NULL, "msmtp's user example loads"))
		printf("# %s\n", err.message);
	if (c == NULL)
		return;
	ok(config_account_count(c) == 4, "four accounts");
	a = account_of(c, "freemail2");
	ok(same(a->host, "smtp.freemail.example") && a->port == 587 &&
		a->tls == 1 && a->tls_starttls == 1 &&
		a->auth == CONFIG_AUTH_ON && same(a->user, "joe.smith") &&
		same(a->from, "joey@freemail.example") &&
		a->passwordeval != NULL,
	    "freemail2 inherits freemail");
	a = account_of(c, "company");
	ok(same(a->host, "mail.company.example") && a->port == 587 &&
		a->passwordeval == NULL && same(a->user, "company12345"),
	    "company");
	ok(config_select(c, NULL, NULL, &a, &err) == 0 && a != NULL &&
		same(a->from, "joe_smith@freemail.example"),
	    "default is freemail");
	ok(config_select(c, NULL, "smithjoe@company.example", &a, &err) == 0 &&
		a != NULL && strcmp(a->name, "company") == 0,
	    "from picks company");
	config_free(c);

	rc = config_load("data/msmtprc-system.example", 1, &c, &err);
	if (!ok(rc == 0 && c != NULL, "msmtp's system example loads"))
		printf("# %s\n", err.message);
	if (c == NULL)
		return;
	ok(config_select(c, NULL, NULL, &a, &err) == SMTPC_ECONFIG &&
		strcmp(err.message,
		    "data/msmtprc-system.example:17: from: msmtp's %U "
		    "substitution is not supported by smtpc; write the value "
		    "out") == 0,
	    "choosing its account: from %U@... refused, naming the line");
	a = account_of(c, "default");
	ok(same(a->host, "mail.oursite.example") && config_port(a) == 465 &&
		config_tls_mode(a) == SMTPC_TLS_IMPLICIT &&
		same(a->from, "%U@oursite.example") &&
		!a->allow_from_override &&
		a->set_from_header == CONFIG_FROM_HEADER_ON &&
		same(a->syslog, "LOG_MAIL"),
	    "its settings");
	config_free(c);
}

/* The literal blocks of smtpc-config(5)'s EXAMPLES, as one file. */
static void
test_man_examples(void)
{
	struct config *c = NULL;
	struct config_account *a;
	struct smtpc_error err;
	char line[512], text[4096];
	size_t n = 0;
	int in = 0, examples = 0;
	FILE *fp = fopen("../../doc/smtpc-config.5", "r");

	if (fp == NULL) {
		printf("Bail out! cannot read doc/smtpc-config.5\n");
		exit(1);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, ".Sh ", 4) == 0)
			examples = strcmp(line, ".Sh EXAMPLES\n") == 0;
		else if (examples && strncmp(line, ".Bd -literal", 12) == 0)
			in = 1;
		else if (in && strcmp(line, ".Ed\n") == 0)
			in = 0;
		else if (in && n + strlen(line) < sizeof(text))
			n += (size_t)snprintf(
			    text + n, sizeof(text) - n, "%s", line);
	}
	fclose(fp);
	ok(config_parse("smtpc-config.5", text, n, &c, NULL, &err) == 0,
	    "the man page's examples parse");
	if (c == NULL) {
		printf("# %s\n", err.message);
		return;
	}
	ok(config_select(c, NULL, NULL, &a, &err) == 0 && a != NULL &&
		same(a->host, "smtp.gmail.com") && a->tls == 1 &&
		a->auth == CONFIG_AUTH_ON &&
		same(a->passwordeval, "pass show gmail-app") &&
		config_port(a) == 587,
	    "default: gmail over STARTTLS with an app password");
	ok(config_select(c, NULL, "me.too@gmail.com", &a, &err) == 0 &&
		a != NULL && strcmp(a->name, "gmail-alias") == 0,
	    "the alias chosen by its sender");
	ok(config_select(c, "gmail-oauth", NULL, &a, &err) == 0 && a != NULL &&
		a->auth == CONFIG_AUTH_OAUTHBEARER &&
		same(a->passwordeval, "oauth2-token --user me@gmail.com") &&
		same(a->user, "me@gmail.com"),
	    "OAuth: oauthbearer, the token command, gmail's user");
	ok(config_select(c, "work", NULL, &a, &err) == 0 && a != NULL &&
		config_tls_mode(a) == SMTPC_TLS_STARTTLS &&
		a->auth == CONFIG_AUTH_LOGIN,
	    "Office 365");
	ok(config_select(c, "relay", NULL, &a, &err) == 0 && a != NULL &&
		config_tls_mode(a) == SMTPC_TLS_NONE && config_port(a) == 25 &&
		a->auth == CONFIG_AUTH_OFF,
	    "the relay: plain SMTP on 25, no login");
	config_free(c);
}

/*
 * config_load() as a user other than root when we are root, since
 * msmtp's rule (and ours) exempts root: in a child that became `nobody`.
 * Returns the code; the message in msg.
 */
static int
load_as(const char *path, int as_nobody, char *msg, size_t cap)
{
	struct config *c = NULL;
	struct smtpc_error err;
	int fds[2], rc, status;
	ssize_t n;
	pid_t pid;

	memset(&err, 0, sizeof(err));
	if (!as_nobody) {
		rc = config_load(path, 0, &c, &err);
		snprintf(msg, cap, "%s", err.message);
		config_free(c);
		return rc;
	}
	/* The child must not write out what the parent has buffered. */
	fflush(stdout);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		printf("Bail out! pipe/fork\n");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(99);
		rc = config_load(path, 0, &c, &err);
		if (write(fds[1], err.message, strlen(err.message)) < 0)
			_exit(98);
		_exit(rc == 0 ? 0 : -rc);
	}
	close(fds[1]);
	n = read(fds[0], msg, cap - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -100;
}

static void
test_permissions(void)
{
	const char *pw = "account a\nhost h\npassword s3cret\n";
	const char *nopw = "account a\nhost h\npasswordeval cat pw\n";
	int root = geteuid() == 0;
	char p[256], msg[600], want[600];
	int rc;

	snprintf(p, sizeof(p), "%s", path_of("msmtprc"));
	if (root) {
		/* nobody must reach the file, and own it for the mode tests */
		chmod(dir, 0711);
	}
	write_file("msmtprc", pw, strlen(pw));
	if (root && chown(p, NOBODY, NOBODY) != 0)
		printf("# chown failed\n");
	chmod(p, 0600);
	rc = load_as(p, root, msg, sizeof(msg));
	ok(rc == 0, "password in a mode 600 file of ours: read");
	chmod(p, 0400);
	ok(load_as(p, root, msg, sizeof(msg)) == 0, "mode 400: read");

	chmod(p, 0644);
	rc = load_as(p, root, msg, sizeof(msg));
	snprintf(want, sizeof(want),
	    "%s: holds a password but its mode is "
	    "0644; only you may read it: chmod 600 %s",
	    p, p);
	if (!ok(rc == SMTPC_ECONFIG && strcmp(msg, want) == 0,
		"mode 644 with a password: refused, chmod 600 named"))
		printf("# rc %d: %s\n", rc, msg);
	chmod(p, 0640);
	ok(load_as(p, root, msg, sizeof(msg)) == SMTPC_ECONFIG &&
		strstr(msg, "chmod 600") != NULL,
	    "group-readable: refused");
	chmod(p, 0602);
	ok(load_as(p, root, msg, sizeof(msg)) == SMTPC_ECONFIG,
	    "others may write: refused");
	chmod(p, 0700);
	ok(load_as(p, root, msg, sizeof(msg)) == SMTPC_ECONFIG &&
		strstr(msg, "0700") != NULL,
	    "owner-executable: refused, as msmtp does");

	write_file("msmtprc", nopw, strlen(nopw));
	chmod(p, 0644);
	ok(load_as(p, root, msg, sizeof(msg)) == 0,
	    "mode 644 without a password line: read");

	if (root) {
		write_file("msmtprc", pw, strlen(pw));
		if (chown(p, 0, 0) != 0)
			printf("# chown failed\n");
		chmod(p, 0604);
		rc = load_as(p, 1, msg, sizeof(msg));
		snprintf(want, sizeof(want),
		    "%s: holds a password but belongs "
		    "to another user; it must be yours, with chmod 600",
		    p);
		ok(rc == SMTPC_ECONFIG && strcmp(msg, want) == 0,
		    "another user's file with a password: refused");
		chmod(p, 0644);
		ok(load_as(p, 0, msg, sizeof(msg)) == 0,
		    "root is not refused, as in msmtp");
	} else {
		ok(1, "# SKIP another owner needs root");
		ok(1, "# SKIP root's exemption needs root");
	}
	{
		struct config *c = NULL;
		struct smtpc_error err;

		write_file("msmtprc", pw, strlen(pw));
		chmod(p, 0644);
		ok(config_load(p, 1, &c, &err) == 0 && c != NULL,
		    "a system file is not checked, as msmtp's is not");
		config_free(c);
	}
	unlink(p);
	chmod(dir, 0700);
}

static void
test_files(void)
{
	struct config *c = NULL;
	struct smtpc_error err;
	char p[256], want[400];

	snprintf(p, sizeof(p), "%s", path_of("missing"));
	ok(config_open(p, &c, &err) == SMTPC_ECONFIG && c == NULL,
	    "a missing -C file is an error");
	snprintf(want, sizeof(want),
	    "%s: cannot open: No such file or "
	    "directory",
	    p);
	eq_str(err.message, want, "naming it");
	mkdir(p, 0700);
	snprintf(want, sizeof(want), "%s: not a regular file", p);
	ok(config_load(p, 0, &c, &err) == SMTPC_ECONFIG &&
		strcmp(err.message, want) == 0,
	    "a directory is refused");
	rmdir(p);
	mkfifo(p, 0600);
	ok(config_load(p, 0, &c, &err) == SMTPC_ECONFIG &&
		strcmp(err.message, want) == 0,
	    "a FIFO is refused, no hang");
	unlink(p);

	write_file("bad", "account a\nport x\n", 17);
	snprintf(p, sizeof(p), "%s", path_of("bad"));
	snprintf(want, sizeof(want),
	    "%s:2: invalid value 'x' for port (it "
	    "takes a number from 1 to 65535)",
	    p);
	ok(config_load(p, 0, &c, &err) == SMTPC_ECONFIG &&
		strcmp(err.message, want) == 0,
	    "a file's errors name it");
	unlink(p);
}

/* mkdir -p for the search test's files. */
static void
put(const char *rel, const char *text)
{
	char p[512], *s;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	write_file(rel, text, strlen(text));
	chmod(p, 0600);
}

static void
expect_found(const char *rel, const char *what)
{
	struct config *c = NULL;
	struct smtpc_error err;
	char want[512];
	char *got = NULL;

	if (rel == NULL && access(CONFIG_SYSTEM_FILE, F_OK) == 0) {
		ok(1, "# SKIP " CONFIG_SYSTEM_FILE " exists here");
		return;
	}
	snprintf(want, sizeof(want), "%s/%s", dir, rel != NULL ? rel : "");
	ok(config_find(NULL, &got, &err) == 0 &&
		(rel == NULL ? got == NULL
			     : got != NULL && strcmp(got, want) == 0),
	    what);
	if (rel != NULL && (got == NULL || strcmp(got, want) != 0))
		printf("# got %s\n", str(got));
	if (rel != NULL) {
		ok(config_open(NULL, &c, &err) == 0 && c != NULL &&
			strcmp(config_path(c), want) == 0 &&
			config_account(c, "a") != NULL,
		    "config_open reads it");
		config_free(c);
	}
	free(got);
}

/*
 * A home the user may not even search (HOME left pointing at root's by
 * sudo, say): its files cannot be meant, as msmtp skips a user file it
 * cannot open; smtpc goes on without them.  Only root can test it.
 */
static void
test_search_unreachable(void)
{
	char *got = (char *)1;
	struct smtpc_error err;
	int status;
	pid_t pid;

	if (geteuid() != 0 || access(CONFIG_SYSTEM_FILE, F_OK) == 0) {
		ok(1, "# SKIP needs root and no " CONFIG_SYSTEM_FILE);
		return;
	}
	chmod(dir, 0700);
	fflush(stdout);
	if ((pid = fork()) < 0) {
		printf("Bail out! fork\n");
		exit(1);
	}
	if (pid == 0) {
		if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(99);
		_exit(config_find(NULL, &got, &err) == 0 && got == NULL ? 0 :
		    1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a home the user cannot search: no configuration, no error");
}

static void
test_search(void)
{
	char xdg[300], *got = NULL;
	struct config *c = (struct config *)1;
	struct smtpc_error err;

	setenv("HOME", dir, 1);
	unsetenv("XDG_CONFIG_HOME");
	expect_found(NULL, "nothing: no configuration");
	ok((config_open(NULL, &c, &err) == 0 && c == NULL) ||
		access(CONFIG_SYSTEM_FILE, F_OK) == 0,
	    "config_open: no file is no error");

	put(".config/msmtp/config", "account a\n");
	expect_found(".config/msmtp/config", "~/.config/msmtp/config");
	put(".msmtprc", "account a\n");
	expect_found(".msmtprc", "~/.msmtprc before it");
	put(".config/smtpc/config", "account a\n");
	expect_found(".config/smtpc/config", "~/.config/smtpc/config first");

	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	expect_found(".msmtprc",
	    "$XDG_CONFIG_HOME set: ~/.config/smtpc no longer looked at");
	put("xdg/msmtp/config", "account a\n");
	unlink(path_of(".msmtprc"));
	expect_found("xdg/msmtp/config", "$XDG_CONFIG_HOME/msmtp/config");
	put("xdg/smtpc/config", "account a\n");
	expect_found("xdg/smtpc/config", "$XDG_CONFIG_HOME/smtpc/config");
	setenv("XDG_CONFIG_HOME", "", 1);
	expect_found(".config/smtpc/config", "empty $XDG_CONFIG_HOME: unset");

	ok(config_find("/some/where", &got, &err) == 0 &&
		same(got, "/some/where"),
	    "-C FILE is taken as given");
	free(got);

	unlink(path_of("xdg/smtpc/config"));
	unlink(path_of("xdg/msmtp/config"));
	rmdir(path_of("xdg/smtpc"));
	rmdir(path_of("xdg/msmtp"));
	rmdir(path_of("xdg"));
	test_search_unreachable();
	unlink(path_of(".config/smtpc/config"));
	unlink(path_of(".config/msmtp/config"));
	rmdir(path_of(".config/smtpc"));
	rmdir(path_of(".config/msmtp"));
	rmdir(path_of(".config"));
	unsetenv("XDG_CONFIG_HOME");
}

int
main(void)
{
	tmp_setup("config");
	test_syntax();
	test_keys();
	test_tilde();
	test_inherit();
	test_default();
	test_from();
	test_unsupported();
	test_ignored();
	test_limits();
	test_print();
	test_msmtp_examples();
	test_man_examples();
	test_permissions();
	test_files();
	test_search();
	rmdir(dir);
	return tap_done();
}
