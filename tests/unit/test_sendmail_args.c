/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the sendmail command line (src/cli/sendmail.c): the
 * argv that cron, git send-email, mutt, mailx and PHP pass.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sendmail.h"
#include "tap.h"

static struct cli_opts o;
static struct sendmail_opts so;

/* argv[0] is "sendmail": the flags start at argv[1]. */
static int
parse_as(const char *prog, const char *const *args, int n)
{
	char *argv[32];

	args_free(&o);
	sendmail_free(&so);
	argv[0] = (char *)prog;
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	return sendmail_parse(n + 1, argv, 1, prog, &o, &so);
}

#define PARSE(...)                                                             \
	parse_as("sendmail", (const char *const[]){__VA_ARGS__},               \
	    (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)))

/* --help prints the usage to standard output: not into the TAP stream. */
static int
quiet_parse_help(void)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dup2(null, STDOUT_FILENO);
	rc = PARSE("--help");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return rc;
}

static int
rcpt_is(size_t i, const char *want)
{
	return i < so.nrcpts && strcmp(so.rcpts[i], want) == 0;
}

static void
test_callers(void)
{
	ok(PARSE("-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root") == 0,
	    "cron's argv");
	ok(so.full_name && strcmp(so.full_name, "CronDaemon") == 0,
	    "cron: -F glued");
	ok(so.nrcpts == 1 && rcpt_is(0, "root"), "cron: one recipient");
	ok(!so.read_recipients && o.command == CLI_CMD_SENDMAIL,
	    "cron: no -t");

	ok(PARSE("-oi", "-t") == 0 && so.read_recipients && so.nrcpts == 0,
	    "mailx/PHP: -oi -t");
	ok(PARSE("-ti") == 0 && so.read_recipients, "grouped -ti");
	ok(PARSE("-i", "-f", "a@example.org", "--", "b@example.org",
	    "-c@example.org") == 0, "git send-email style");
	ok(o.from && strcmp(o.from, "a@example.org") == 0, "-f ADDR");
	ok(so.nrcpts == 2 && rcpt_is(1, "-c@example.org"),
	    "after --: a recipient even with a dash");
	ok(PARSE("-oem", "-oi", "--", "x@example.org") == 0 && so.nrcpts == 1,
	    "mutt's argv");
}

static void
test_values(void)
{
	ok(PARSE("-fa@example.org", "-t") == 0 &&
	    strcmp(o.from, "a@example.org") == 0, "-f glued");
	ok(PARSE("-r", "r@example.org", "-t") == 0 &&
	    strcmp(o.from, "r@example.org") == 0, "-r is -f");
	ok(PARSE("-C", "/tmp/c", "-a", "acct", "-t") == 0 &&
	    strcmp(o.config_file, "/tmp/c") == 0 &&
	    strcmp(o.account, "acct") == 0, "-C FILE -a NAME");
	ok(PARSE("-C/tmp/d", "--account=x", "-t") == 0 &&
	    strcmp(o.config_file, "/tmp/d") == 0 &&
	    strcmp(o.account, "x") == 0, "-CFILE --account=NAME");
	ok(PARSE("--account", "y", "--json", "-v", "-t") == 0 &&
	    strcmp(o.account, "y") == 0 && o.json && o.verbose,
	    "--account NAME --json -v");
	ok(PARSE("-N", "success,failure", "-R", "hdrs", "-V", "id1", "-t") ==
	    0, "DSN flags");
	ok(o.dsn_notify == (SMTPC_DSN_SUCCESS | SMTPC_DSN_FAILURE),
	    "-N bits");
	ok(o.dsn_ret == SMTPC_DSN_RET_HDRS, "-R hdrs");
	ok(o.dsn_envid && strcmp(o.dsn_envid, "id1") == 0, "-V ENVID");
	ok(PARSE("-Nnever", "-t") == 0 && o.dsn_notify == SMTPC_DSN_NEVER,
	    "-N glued");
	ok(PARSE("-N", "sometimes", "-t") == 64, "bad -N");
	ok(PARSE("-F", "Full Name", "x@example.org") == 0 &&
	    strcmp(so.full_name, "Full Name") == 0, "-F NAME");
}

static void
test_ignored(void)
{
	ok(PARSE("-B", "8BITMIME", "-h", "17", "-L", "tag", "-O", "a=b",
	    "-odi", "-oQ/var/q", "-em", "-m", "-n", "-U", "-G", "-bm",
	    "x@example.org") == 0, "server flags accepted");
	ok(so.nrcpts == 1 && rcpt_is(0, "x@example.org"),
	    "their values are not recipients");
	ok(PARSE("x@example.org", "-i", "-F", "N") == 0 && so.nrcpts == 1 &&
	    strcmp(so.full_name, "N") == 0, "options after a recipient");
}

static void
test_refused(void)
{
	static const char *const modes[] = {"-bd", "-bi", "-bs", "-bt",
	    "-bv", "-bp", "-q", "-q15m", "-bD"};

	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		const char *args[] = {modes[i], "x@example.org"};

		ok(parse_as("sendmail", args, 2) == 64, modes[i]);
	}
	ok(parse_as("mailq", NULL, 0) == 64, "mailq: the queue's");
	ok(PARSE("-Z", "x@example.org") == 64, "unknown letter");
	ok(PARSE("--nope", "x@example.org") == 64, "unknown long option");
	ok(PARSE("x@example.org", "-f") == 64, "-f without a value");
	ok(PARSE("--account") == 64, "--account without a value");
	ok(PARSE("-i") == 64, "no recipient and no -t");
	ok(quiet_parse_help() == 0 && o.command == CLI_CMD_NONE, "--help");
}

static void
test_names(void)
{
	const char *base;

	ok(sendmail_is_name("/usr/sbin/sendmail", &base) &&
	    strcmp(base, "sendmail") == 0, "/usr/sbin/sendmail");
	ok(sendmail_is_name("mailq", &base), "mailq");
	ok(!sendmail_is_name("/usr/bin/smtpc", &base), "smtpc");
	ok(!sendmail_is_name("sendmail.real", &base), "sendmail.real");
	ok(sendmail_is_argv("-i") && sendmail_is_argv("-f") &&
	    sendmail_is_argv("-oi"), "smtpc -i: sendmail's flags");
	ok(!sendmail_is_argv("send") && !sendmail_is_argv("--help") &&
	    !sendmail_is_argv("-V") && !sendmail_is_argv("--version"),
	    "smtpc's commands, help and version");
}

int
main(void)
{
	test_callers();
	test_values();
	test_ignored();
	test_refused();
	test_names();
	args_free(&o);
	sendmail_free(&so);
	return tap_done();
}
