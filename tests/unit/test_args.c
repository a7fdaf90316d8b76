/* SPDX-License-Identifier: ISC */
/* Unit tests for the CLI's argument parsing (src/cli/args.c). */
#include <stdlib.h>

#include "args.h"
#include "tap.h"

struct server_case {
	const char *spec;
	int ok;
	const char *host;
	unsigned port;
	int implicit;
};

static const struct server_case server_cases[] = {
	{ "smtp.gmail.com", 1, "smtp.gmail.com", 0, 0 },
	{ "smtp.gmail.com:587", 1, "smtp.gmail.com", 587, 0 },
	{ "smtps://smtp.gmail.com", 1, "smtp.gmail.com", 0, 1 },
	{ "smtps://mail.example.org:2465/", 1, "mail.example.org", 2465, 1 },
	{ "smtp://127.0.0.1:2525", 1, "127.0.0.1", 2525, 0 },
	{ "[::1]:2525", 1, "::1", 2525, 0 },
	{ "::1", 1, "::1", 0, 0 },
	{ "host:0", 0, NULL, 0, 0 },
	{ "host:65536", 0, NULL, 0, 0 },
	{ "host:-1", 0, NULL, 0, 0 },
	{ "host:25x", 0, NULL, 0, 0 },
	{ "host:", 0, NULL, 0, 0 },
	{ ":25", 0, NULL, 0, 0 },
	{ "http://host", 0, NULL, 0, 0 },
	{ "[::1", 0, NULL, 0, 0 },
	{ "user@host", 0, NULL, 0, 0 },
	{ "ho st", 0, NULL, 0, 0 },
	{ "", 0, NULL, 0, 0 },
};

static void
test_server(void)
{
	for (size_t i = 0; i < sizeof(server_cases) / sizeof(*server_cases);
	    i++) {
		const struct server_case *c = &server_cases[i];
		struct cli_opts o = { 0 };
		const char *why = NULL;
		char what[128];
		int rc = args_parse_server(c->spec, &o, &why);

		snprintf(what, sizeof(what), "server '%s' %s", c->spec,
		    c->ok ? "accepted" : "refused");
		if (!c->ok) {
			ok(rc == -1 && why != NULL, what);
		} else {
			ok(rc == 0 && o.host && strcmp(o.host, c->host) == 0 &&
			    o.port == c->port &&
			    (o.tls == SMTPC_TLS_IMPLICIT) == c->implicit, what);
		}
		free(o.host);
	}
}

static void
test_files(void)
{
	struct cli_file f;
	const char *why = NULL;

	ok(args_parse_file("a.pdf", CLI_FILE_ATTACH, &f, &why) == 0 &&
	    strcmp(f.path, "a.pdf") == 0 && !f.type && !f.name,
	    "plain attachment");
	free(f.path);
	ok(args_parse_file("x;y.bin;type=text/plain;name=Résumé.txt",
	    CLI_FILE_ATTACH, &f, &why) == 0 && strcmp(f.path, "x;y.bin") == 0 &&
	    strcmp(f.type, "text/plain") == 0 &&
	    strcmp(f.name, "Résumé.txt") == 0,
	    "attachment with ';' in the path, type and name");
	free(f.path);
	free(f.type);
	free(f.name);
	ok(args_parse_file("p.jpg;cid=logo", CLI_FILE_INLINE, &f, &why) == 0 &&
	    strcmp(f.cid, "logo") == 0, "inline with cid");
	free(f.path);
	free(f.cid);
	ok(args_parse_file("p.jpg;cid=logo", CLI_FILE_ATTACH, &f, &why) == -1,
	    "cid refused for attachments");
	free(f.path);
	ok(args_parse_file("p.jpg;type=a;type=b", CLI_FILE_ATTACH, &f,
	    &why) == -1, "parameter given twice refused");
	free(f.path);
	free(f.type);
	ok(args_parse_file("p.jpg;name=", CLI_FILE_ATTACH, &f, &why) == -1,
	    "empty value refused");
	free(f.path);
	free(f.name);
	ok(args_parse_file(";type=x", CLI_FILE_ATTACH, &f, &why) == -1,
	    "missing path refused");
	free(f.path);
}

/* As main() does without an account: parse, then the final checks. */
static int
parse(const char *const *args, int n, struct cli_opts *o)
{
	char *argv[32];
	int rc;

	for (int i = 0; i < n; i++)
		argv[i] = (char *)args[i];
	argv[n] = NULL;
	if ((rc = args_parse(n, argv, o)) != 0 || o->command == CLI_CMD_NONE)
		return rc;
	return args_check_complete(o);
}

static void
test_command_lines(void)
{
	struct cli_opts o;
	static const char *const good[] = { "smtpc", "send", "-f", "a@b.c",
		"-s", "hi", "--server", "h:2525", "--tls", "none", "x@y.z",
		"--to", "w@y.z", "-b", "v@y.z", "-a", "f.pdf" };
	static const char *const no_rcpt[] = { "smtpc", "send", "-f", "a@b.c",
		"--dry-run" };
	static const char *const no_server[] = { "smtpc", "send", "-f", "a@b",
		"x@y" };
	static const char *const bad_tls[] = { "smtpc", "check", "--server",
		"h", "--tls", "maybe" };
	/* One name per mode: "tls" was an undocumented alias of implicit. */
	static const char *const tls_alias[] = { "smtpc", "check", "--server",
		"h", "--tls", "tls" };
	static const char *const check_msg[] = { "smtpc", "check", "--server",
		"h", "-f", "a@b" };
	static const char *const pw_no_user[] = { "smtpc", "check",
		"--server", "h", "--password-file", "p" };
	static const char *const unknown[] = { "smtpc", "send", "--password",
		"secret" };
	static const char *const bad_cmd[] = { "smtpc", "frobnicate" };

	ok(parse(good, 17, &o) == 0 && o.command == CLI_CMD_SEND &&
	    o.nrcpts == 3 && o.rcpts[1].kind == SMTPC_RCPT_BCC &&
	    strcmp(o.rcpts[0].address, "w@y.z") == 0 &&
	    strcmp(o.rcpts[2].address, "x@y.z") == 0 && o.port == 2525 &&
	    o.tls == SMTPC_TLS_NONE && o.nfiles == 1,
	    "a full send command line");
	args_free(&o);
	ok(parse(no_rcpt, 5, &o) == 64, "no recipient is a usage error");
	args_free(&o);
	ok(parse(no_server, 5, &o) == 64, "no server is a usage error");
	args_free(&o);
	ok(parse(bad_tls, 6, &o) == 64, "unknown --tls mode");
	args_free(&o);
	ok(parse(tls_alias, 6, &o) == 64, "--tls tls is no mode");
	args_free(&o);
	ok(parse(check_msg, 6, &o) == 64, "message option with check");
	args_free(&o);
	ok(parse(pw_no_user, 6, &o) == 64, "password source without user");
	args_free(&o);
	ok(parse(unknown, 4, &o) == 64, "there is no --password option");
	args_free(&o);
	ok(parse(bad_cmd, 2, &o) == 64, "unknown command");
	args_free(&o);
}

/* --tls-fingerprint, --cert, --key, --oauth-token-cmd: what goes together. */
struct tls_auth_case {
	const char *args[8];
	int rc;
	const char *what;
};

#define FP64 "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF"
#define FPC "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF:" \
	"01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF"

static const struct tls_auth_case tls_auth_cases[] = {
	{ { "--tls-fingerprint", FP64 }, 0, "pin of 64 hex digits" },
	{ { "--tls-fingerprint", FPC }, 0, "pin with colons" },
	/* The pin's form is the library's check (test_check_by_library). */
	{ { "--tls-fingerprint", "0123" }, 0, "short pin: for the library" },
	{ { "--tls-fingerprint", FP64, "--insecure" }, 64,
	    "pin and --insecure" },
	{ { "--cert", "c.pem", "--key", "k.pem" }, 0, "cert and key" },
	{ { "--cert", "both.pem" }, 0, "cert alone (key inside)" },
	{ { "--key", "k.pem" }, 64, "key without cert" },
	{ { "-u", "me", "--oauth-token-cmd", "tok" }, 0, "token command" },
	{ { "--oauth-token-cmd", "tok" }, 64, "token command without user" },
	{ { "-u", "me", "--oauth-token-cmd", "tok", "--password-file", "p" },
	    64, "token command and password file" },
	{ { "-u", "me", "--oauth-token-cmd", "tok", "--password-cmd", "p" },
	    64, "token command and password command" },
	{ { "-u", "me", "--auth", "SCRAM-SHA-256" }, 0, "--auth SCRAM" },
	{ { "--no-tls-cache" }, 0, "--no-tls-cache" },
	{ { "--no-tls-cache", "x" }, 64, "--no-tls-cache takes no value" },
};

static void
test_tls_auth_options(void)
{
	for (size_t i = 0; i < sizeof(tls_auth_cases) /
	    sizeof(tls_auth_cases[0]); i++) {
		const struct tls_auth_case *c = &tls_auth_cases[i];
		const char *argv[16] = { "smtpc", "check", "--server", "h" };
		struct cli_opts o;
		int n = 4;

		for (size_t k = 0; k < 8 && c->args[k] != NULL; k++)
			argv[n++] = c->args[k];
		ok(parse(argv, n, &o) == c->rc, c->what);
		if (c->rc == 0 && strcmp(c->args[0], "--tls-fingerprint") == 0)
			ok(o.tls_fingerprint == c->args[1], "pin kept");
		if (c->rc == 0)
			ok(o.no_tls_cache == (strcmp(c->args[0],
			    "--no-tls-cache") == 0), "TLS cache on unless "
			    "--no-tls-cache");
		if (c->rc == 0 && strcmp(c->args[0], "--cert") == 0)
			ok(strcmp(o.cert_file, c->args[1]) == 0 &&
			    (c->args[2] == NULL) == (o.key_file == NULL),
			    "cert and key kept");
		args_free(&o);
	}
}

/* --dsn-*, --no-pipelining, --no-chunking (send only). */
struct delivery_case {
	const char *args[6];
	int rc;
	unsigned notify;
	enum smtpc_dsn_ret ret;
	const char *what;
};

static const struct delivery_case delivery_cases[] = {
	{ { "--dsn-notify", "never" }, 0, SMTPC_DSN_NEVER, 0, "notify never" },
	{ { "--dsn-notify", "success,FAILURE,delay" }, 0, SMTPC_DSN_SUCCESS |
	    SMTPC_DSN_FAILURE | SMTPC_DSN_DELAY, 0, "notify list, any case" },
	{ { "--dsn-notify", "never,success" }, 0, SMTPC_DSN_NEVER |
	    SMTPC_DSN_SUCCESS, 0, "never with others: the library refuses" },
	{ { "--dsn-notify", "success," }, 64, 0, 0, "empty list item" },
	{ { "--dsn-notify", "sometimes" }, 64, 0, 0, "unknown notify word" },
	{ { "--dsn-return", "hdrs" }, 0, 0, SMTPC_DSN_RET_HDRS, "return hdrs" },
	{ { "--dsn-return", "full" }, 0, 0, SMTPC_DSN_RET_FULL, "return full" },
	{ { "--dsn-return", "body" }, 64, 0, 0, "unknown return" },
	{ { "--dsn-envid", "id-1 a+b=c" }, 0, 0, 0, "envid with specials" },
	/* RFC 3461's rules for the ID are the library's (integration). */
	{ { "--dsn-envid", "" }, 0, 0, 0, "empty envid: for the library" },
	{ { "--no-pipelining", "--no-chunking" }, 0, 0, 0, "no-* switches" },
};

static void
test_delivery_options(void)
{
	static const char *const check[] = { "smtpc", "check", "--server",
		"h", "--no-chunking" };
	struct cli_opts o;

	for (size_t i = 0; i < sizeof(delivery_cases) /
	    sizeof(delivery_cases[0]); i++) {
		const struct delivery_case *c = &delivery_cases[i];
		const char *argv[16] = { "smtpc", "send", "-f", "a@b.c",
		    "--server", "h", "x@y.z" };
		int n = 7;

		for (size_t k = 0; k < 6 && c->args[k] != NULL; k++)
			argv[n++] = c->args[k];
		ok(parse(argv, n, &o) == c->rc, c->what);
		if (c->rc == 0)
			ok(o.dsn_notify == c->notify && o.dsn_ret == c->ret &&
			    o.no_pipelining == (strcmp(c->args[0],
			    "--no-pipelining") == 0) && o.no_chunking ==
			    o.no_pipelining && (o.dsn_envid != NULL) ==
			    (strcmp(c->args[0], "--dsn-envid") == 0),
			    "  parsed into the options");
		args_free(&o);
	}
	ok(parse(check, 5, &o) == 64, "delivery options go with send only");
	args_free(&o);
}

/* --progress / --no-progress: send only, the last one wins. */
static void
test_progress_options(void)
{
	static const struct {
		const char *args[2];
		enum cli_progress want;
		const char *what;
	} cases[] = {
		{ { NULL, NULL }, CLI_PROGRESS_AUTO, "no option: auto" },
		{ { "--progress", NULL }, CLI_PROGRESS_ON, "--progress: on" },
		{ { "--no-progress", NULL }, CLI_PROGRESS_OFF,
		    "--no-progress: off" },
		{ { "--progress", "--no-progress" }, CLI_PROGRESS_OFF,
		    "the last one wins" },
	};
	static const char *const check[] = { "smtpc", "check", "--server",
		"h", "--progress" };
	struct cli_opts o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16] = { "smtpc", "send", "-f", "a@b.c",
		    "--server", "h", "x@y.z" };
		int n = 7;

		for (size_t k = 0; k < 2 && cases[i].args[k] != NULL; k++)
			argv[n++] = cases[i].args[k];
		ok(parse(argv, n, &o) == 0 && o.progress == cases[i].want,
		    cases[i].what);
		args_free(&o);
	}
	ok(parse(check, 5, &o) == 64, "--progress goes with send only");
	args_free(&o);
}

/* -o FILE writes a file; "-o -" standard output, like --dry-run. */
static void
test_output_options(void)
{
	static const char *const to_file[] = { "smtpc", "send", "-f", "a@b.c",
		"-o", "msg.eml", "x@y.z" };
	static const char *const to_stdout[] = { "smtpc", "send", "-f",
		"a@b.c", "-o", "-", "x@y.z" };
	static const char *const long_form[] = { "smtpc", "send", "-f",
		"a@b.c", "--output=-", "--text-file", "-", "x@y.z" };
	static const char *const dotslash[] = { "smtpc", "send", "-f",
		"a@b.c", "-o", "./-", "x@y.z" };
	struct cli_opts o;

	ok(parse(to_file, 7, &o) == 0 && o.dry_run && o.output != NULL &&
	    strcmp(o.output, "msg.eml") == 0, "-o FILE: a file, no server");
	args_free(&o);
	ok(parse(to_stdout, 7, &o) == 0 && o.dry_run && o.output == NULL,
	    "-o -: standard output, no file named -");
	args_free(&o);
	ok(parse(long_form, 8, &o) == 0 && o.dry_run && o.output == NULL &&
	    strcmp(o.text_file, "-") == 0, "--output=- with a body on stdin");
	args_free(&o);
	ok(parse(dotslash, 7, &o) == 0 && o.output != NULL &&
	    strcmp(o.output, "./-") == 0, "-o ./- is the file named -");
	args_free(&o);
}

/* batch: inputs, --rate and --max-per-connection, no compose options. */
static void
test_batch_options(void)
{
	static const char *const good[] = { "smtpc", "batch", "--server",
		"mx.test", "--rate", "20/min", "--max-per-connection", "100",
		"a.jsonl", "-", "maildir" };
	static const char *const per_s[] = { "smtpc", "batch", "--server",
		"mx.test", "--rate", "2/s", "a.jsonl" };
	static const char *const bad_rate[] = { "smtpc", "batch", "--server",
		"mx.test", "--rate", "2/hour", "a.jsonl" };
	static const char *const compose[] = { "smtpc", "batch", "--server",
		"mx.test", "-s", "subject", "a.jsonl" };
	static const char *const no_input[] = { "smtpc", "batch", "--server",
		"mx.test" };
	static const char *const no_server[] = { "smtpc", "batch",
		"a.jsonl" };
	static const char *const send_rate[] = { "smtpc", "send", "-f",
		"a@b.c", "--server", "mx.test", "--rate", "1/s", "x@y.z" };
	struct cli_opts o;

	ok(parse(good, 11, &o) == 0 && o.command == CLI_CMD_BATCH &&
	    o.ninputs == 3 && strcmp(o.inputs[1], "-") == 0 &&
	    o.rate_per_min == 20 && o.max_per_connection == 100,
	    "batch: inputs, --rate N/min, --max-per-connection");
	args_free(&o);
	ok(parse(per_s, 7, &o) == 0 && o.rate_per_min == 120,
	    "--rate N/s is 60 N a minute");
	args_free(&o);
	ok(parse(bad_rate, 7, &o) == 64, "--rate takes /min or /s only");
	args_free(&o);
	ok(parse(compose, 7, &o) == 64, "batch takes no compose option");
	args_free(&o);
	ok(parse(no_input, 4, &o) == 64, "batch needs an input");
	args_free(&o);
	ok(parse(no_server, 3, &o) == 64, "batch needs a server");
	args_free(&o);
	ok(parse(send_rate, 9, &o) == 64, "--rate goes with batch only");
	args_free(&o);
}

int
main(void)
{
	test_server();
	test_files();
	test_command_lines();
	test_tls_auth_options();
	test_delivery_options();
	test_progress_options();
	test_output_options();
	test_batch_options();
	return tap_done();
}
