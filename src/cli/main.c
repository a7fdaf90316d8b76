/*
 * main.c - the smtpc program: subcommands send and check.
 *
 * The program only uses include/smtpc.h; it never touches sockets or MIME
 * itself.  It decides what the library reports: exit codes, messages, the
 * transcript.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"
#include "compose.h"
#include "password.h"
#include "progress.h"
#include "report.h"
#include "smtpc.h"

/* Large enough that a file's lines are encoded straight into it. */
#define MAIN_CHUNK (256 * 1024)

static int
main_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --dry-run and -o: the exact message, to standard output or a file. */
static int
main_write_message(const struct cli_opts *o, const struct smtpc_msg *msg)
{
	struct smtpc_reader *r = NULL;
	struct smtpc_error err;
	char *chunk;
	size_t len;
	int fd = STDOUT_FILENO, rc = 0;

	if ((chunk = malloc(MAIN_CHUNK)) == NULL)
		return 71;
	if (smtpc_reader_new(msg, &r, &err) != 0) {
		rc = report_error(&err);
		goto out;
	}
	if (o->output != NULL) {
		fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		if (fd < 0) {
			fprintf(stderr, "smtpc: cannot create %s: %s\n",
			    o->output, strerror(errno));
			rc = 74;
			goto out;
		}
	}
	for (;;) {
		if (smtpc_reader_read(r, chunk, MAIN_CHUNK, &len, &err) != 0) {
			rc = report_error(&err);
			break;
		}
		if (len == 0)
			break;
		if (main_write_all(fd, chunk, len) != 0) {
			fprintf(stderr, "smtpc: cannot write %s: %s\n",
			    o->output ? o->output : "standard output",
			    strerror(errno));
			rc = 74;
			break;
		}
	}
	if (fd != STDOUT_FILENO && close(fd) != 0 && rc == 0) {
		fprintf(stderr, "smtpc: cannot write %s: %s\n", o->output,
		    strerror(errno));
		rc = 74;
	}
	if (rc != 0 && o->output != NULL)
		unlink(o->output);
out:
	smtpc_reader_free(r);
	free(chunk);
	return rc;
}

/* The message as the session pulls it, counted for the progress line. */
struct main_body {
	struct smtpc_reader *reader;
	struct progress progress;
};

/* smtpc_reader_read in the shape of smtpc_body_read_fn. */
static int
main_body_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct main_body *b = user;
	int rc;

	if ((rc = smtpc_reader_read(b->reader, buf, cap, ret_len, err)) != 0)
		return rc;
	progress_add(&b->progress, *ret_len);
	/* The whole message is out: the line ends before any reply shows. */
	if (*ret_len == 0)
		progress_end(&b->progress);
	return 0;
}

/* --progress, --no-progress, or a terminal and a big message. */
static FILE *
main_progress_out(const struct cli_opts *o, uint64_t size)
{
	if (o->progress == CLI_PROGRESS_ON)
		return stderr;
	if (o->progress == CLI_PROGRESS_OFF || o->quiet ||
	    size < PROGRESS_MIN_SIZE || !isatty(STDERR_FILENO))
		return NULL;
	return stderr;
}

/*
 * The login: -u, else the one ~/.netrc gives for the server.  Not over a
 * connection without TLS: there a netrc entry would turn a plain relay
 * into a login with the password in the clear.  *ret_netrc is the string
 * to free.
 */
static int
main_login(const struct cli_opts *o, enum smtpc_tls_mode tls,
    const char **ret_user, char **ret_netrc)
{
	int rc;

	*ret_user = o->user;
	*ret_netrc = NULL;
	if (o->user != NULL || tls == SMTPC_TLS_NONE)
		return 0;
	if ((rc = password_netrc_login(o, ret_netrc)) != 0)
		return rc;
	*ret_user = *ret_netrc;
	return 0;
}

/*
 * A server the password may reach without TLS: one on this machine, named
 * by a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) or by
 * "localhost" (RFC 6761 6.3: it never leaves the machine).  Any other name
 * is not looked up to see where it points: DNS may answer differently when
 * the library connects a moment later.
 */
static int
main_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/*
 * --tls none with a user: the secret would cross unencrypted.  Refused
 * (SMTPC_EINSECURE, before anything is read or connected) unless the
 * server is on this machine or --allow-plaintext-auth says the path is
 * trusted; when it goes, a warning that -q does not hide.  Returns 0 or
 * an exit code.
 */
static int
main_check_plaintext(const struct cli_opts *o, const char *user)
{
	const char *what = o->oauth_token_cmd ? "OAuth token" : "password";
	struct smtpc_error err;

	if (main_is_loopback(o->host)) {
		fprintf(stderr, "smtpc: warning: --tls none: the %s crosses "
		    "the connection to %s unencrypted (a loopback address)\n",
		    what, o->host);
		return 0;
	}
	if (o->allow_plaintext_auth) {
		fprintf(stderr, "smtpc: warning: --tls none: the %s crosses "
		    "the network to %s unencrypted (--allow-plaintext-auth)\n",
		    what, o->host);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	err.code = SMTPC_EINSECURE;
	snprintf(err.message, sizeof(err.message), "--tls none: refusing to "
	    "send the %s for %.64s unencrypted to %.253s; use --tls starttls "
	    "or implicit, or --allow-plaintext-auth if the network path is "
	    "trusted", what, user, o->host);
	return report_error(&err);
}

/*
 * The TLS session cache: $XDG_CACHE_HOME/smtpc/tls-sessions (an absolute
 * $XDG_CACHE_HOME only, as the XDG spec says), else under ~/.cache; NULL
 * with --no-tls-cache or without a home.  `buf` holds the path.
 */
static const char *
main_tls_cache(const struct cli_opts *o, char *buf, size_t cap)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home;
	struct passwd *pw;
	int n;

	if (o->no_tls_cache)
		return NULL;
	if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(buf, cap, "%s/smtpc/tls-sessions", xdg);
	} else {
		home = getenv("HOME");
		if ((home == NULL || home[0] != '/') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] != '/')
			return NULL;
		n = snprintf(buf, cap, "%s/.cache/smtpc/tls-sessions", home);
	}
	return n > 0 && (size_t)n < cap ? buf : NULL;
}

/*
 * Open a session as the options say: password fetched (and wiped once the
 * library holds its own copy), TLS, AUTH.  Returns 0 or an exit code; on an
 * error after the session exists, *ret is still set so that `check` can
 * show what it learned.  *ret_user: the login used (NULL: none); it lives
 * in *ret_netrc when ~/.netrc gave it, which the caller frees.
 */
static int
main_open_session(const struct cli_opts *o, struct smtpc_session **ret,
    const char **ret_user, char **ret_netrc, struct smtpc_error *err)
{
	struct smtpc_server srv;
	char *password = NULL, cache[PATH_MAX];
	const char *user;
	int rc;

	memset(&srv, 0, sizeof(srv));
	srv.host = o->host;
	srv.port = o->port;
	if (o->tls_set)
		srv.tls = o->tls;
	else
		srv.tls = o->port == 465 ? SMTPC_TLS_IMPLICIT :
		    SMTPC_TLS_STARTTLS;
	srv.cafile = o->cafile;
	srv.insecure = o->insecure;
	srv.tls_fingerprint = o->tls_fingerprint;
	srv.cert_file = o->cert_file;
	srv.key_file = o->key_file;
	srv.helo = o->helo;
	srv.timeout = o->timeout;
	srv.tls_cache = main_tls_cache(o, cache, sizeof(cache));
	if ((rc = main_login(o, srv.tls, &user, ret_netrc)) != 0)
		return rc;
	*ret_user = user;
	srv.user = user;
	srv.auth_mech = o->auth;
	if (o->verbose)
		srv.trace = report_trace;
	if (o->insecure && srv.tls != SMTPC_TLS_NONE)
		fprintf(stderr, "smtpc: warning: --insecure: the server's "
		    "certificate is not checked; anyone on the network path "
		    "could read the password and the mail\n");
	if (user != NULL && srv.tls == SMTPC_TLS_NONE &&
	    (rc = main_check_plaintext(o, user)) != 0)
		return rc;
	if (user != NULL && o->oauth_token_cmd != NULL) {
		if ((rc = password_obtain_token(o, &password)) != 0)
			return rc;
		srv.oauth_token = password;
	} else if (user != NULL) {
		if ((rc = password_obtain(o, user, &password)) != 0)
			return rc;
		srv.password = password;
	}
	rc = smtpc_session_new(&srv, ret, err);
	password_free(password);
	if (rc != 0)
		return report_error(err);
	if (smtpc_session_open(*ret, err) != 0)
		return report_error(err);
	return 0;
}

static void
main_print_refusals(const struct smtpc_session *s, const char *what)
{
	for (size_t i = 0; i < smtpc_session_refused_count(s); i++) {
		const struct smtpc_refusal *r = smtpc_session_refused(s, i);
		size_t n = strlen(r->enhanced);

		fprintf(stderr, "smtpc: %s %s: server said: %d", what,
		    r->address, r->reply_code);
		/* The text usually starts with the enhanced code already. */
		if (n > 0 && (strncmp(r->text, r->enhanced, n) != 0 ||
		    (r->text[n] != ' ' && r->text[n] != '\0')))
			fprintf(stderr, " %s", r->enhanced);
		fprintf(stderr, " %s\n", r->text);
	}
}

/* 1 when the server's EHLO listed `keyword`. */
static int
main_has_capability(const struct smtpc_session *s, const char *keyword)
{
	const char *line = smtpc_session_capabilities(s);
	size_t n = strlen(keyword);

	while (*line != '\0') {
		if (strncmp(line, keyword, n) == 0 &&
		    (line[n] == '\0' || line[n] == ' ' || line[n] == '\n'))
			return 1;
		if ((line = strchr(line, '\n')) == NULL)
			break;
		line++;
	}
	return 0;
}

/*
 * --dsn-*: asked of the library, which sends them only when the server
 * offers DSN.  Like other clients, a server without DSN still gets the
 * mail; the user is told the reports will not come.
 */
static int
main_set_dsn(const struct cli_opts *o, struct smtpc_session *s)
{
	struct smtpc_dsn dsn;
	struct smtpc_error err;

	if (o->dsn_notify == 0 && o->dsn_ret == SMTPC_DSN_RET_DEFAULT &&
	    o->dsn_envid == NULL)
		return 0;
	dsn.notify = o->dsn_notify;
	dsn.ret = o->dsn_ret;
	dsn.envid = o->dsn_envid;
	if (smtpc_session_set_dsn(s, &dsn, &err) != 0)
		return report_error(&err);
	if (!main_has_capability(s, "DSN") && !o->quiet)
		fprintf(stderr, "smtpc: warning: %s does not offer DSN; "
		    "sending without delivery status notification requests\n",
		    o->host);
	return 0;
}

static int
main_send(const struct cli_opts *o, const struct smtpc_msg *msg)
{
	struct smtpc_session *s = NULL;
	struct smtpc_reader *r = NULL;
	struct smtpc_error err;
	struct main_body body;
	const char **rcpts = NULL, *user = NULL;
	char *netrc_login = NULL;
	size_t n = smtpc_msg_recipient_count(msg);
	unsigned flags = o->allow_partial ? SMTPC_SEND_ALLOW_PARTIAL : 0;
	uint64_t size = 0;
	int rc;

	if (o->no_pipelining)
		flags |= SMTPC_SEND_NO_PIPELINING;
	if (o->no_chunking)
		flags |= SMTPC_SEND_NO_CHUNKING;
	if (smtpc_msg_needs_smtputf8(msg))
		flags |= SMTPC_SEND_SMTPUTF8;

	if ((rcpts = calloc(n, sizeof(*rcpts))) == NULL)
		return 71;
	for (size_t i = 0; i < n; i++)
		rcpts[i] = smtpc_msg_recipient(msg, i);
	/* The reader checks the message before any connection is made. */
	if (smtpc_reader_new(msg, &r, &err) != 0) {
		rc = report_error(&err);
		goto out;
	}
	if ((rc = main_open_session(o, &s, &user, &netrc_login, &err)) != 0)
		goto out;
	if (smtpc_reader_size(r, &size) == 0)
		smtpc_session_set_size(s, size);
	if ((rc = main_set_dsn(o, s)) != 0) {
		smtpc_session_quit(s, NULL);
		goto out;
	}
	body.reader = r;
	progress_init(&body.progress, main_progress_out(o, size), size);
	if (smtpc_session_send(s, smtpc_msg_envelope_from(msg), rcpts, n,
	    main_body_read, &body, flags, &err) != 0) {
		progress_end(&body.progress);
		main_print_refusals(s, "recipient refused:");
		rc = report_error(&err);
		smtpc_session_quit(s, NULL);
		goto out;
	}
	main_print_refusals(s, "warning: not delivered to");
	smtpc_session_quit(s, NULL);
	n -= smtpc_session_refused_count(s);
	/* Silence on success for cron and scripts; a word for people. */
	if (o->verbose || (!o->quiet && isatty(STDERR_FILENO)))
		fprintf(stderr, "smtpc: sent to %zu recipient%s via %s\n",
		    n, n == 1 ? "" : "s", o->host);
out:
	smtpc_session_free(s);
	smtpc_reader_free(r);
	free(rcpts);
	free(netrc_login);
	return rc;
}

static int
main_cmd_send(const struct cli_opts *o)
{
	struct smtpc_msg *msg = NULL;
	int rc;

	if ((rc = compose_message(o, &msg)) != 0)
		return rc;
	if (o->dry_run)
		rc = main_write_message(o, msg);
	else
		rc = main_send(o, msg);
	smtpc_msg_free(msg);
	return rc;
}

static void
main_print_capabilities(const struct smtpc_session *s)
{
	const char *caps = smtpc_session_capabilities(s);
	const char *line = caps, *nl;
	int first = 1;

	while (*line != '\0') {
		nl = strchr(line, '\n');
		printf("%-14s", first ? "capabilities:" : "");
		report_escaped(stdout, line, nl ? (size_t)(nl - line) :
		    strlen(line));
		putchar('\n');
		first = 0;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (first)
		printf("%-14s(none)\n", "capabilities:");
}

static int
main_cmd_check(const struct cli_opts *o)
{
	struct smtpc_session *s = NULL;
	struct smtpc_tls_info tls;
	struct smtpc_error err;
	const char *mech, *user = NULL;
	char *netrc_login = NULL;
	int rc;

	rc = main_open_session(o, &s, &user, &netrc_login, &err);
	if (s == NULL) {
		free(netrc_login);
		return rc;
	}
	printf("%-14s%s\n", "server:", o->host);
	if (smtpc_session_tls_info(s, &tls) == 0) {
		printf("%-14s%s, %s\n", "TLS:", tls.version, tls.cipher);
		printf("%-14s%s\n", "certificate:", tls.subject);
		printf("%-14s%s\n", "issuer:", tls.issuer);
		printf("%-14s%s\n", "expires:", tls.not_after);
		printf("%-14s%s\n", "sha256:", tls.sha256);
		printf("%-14s%s\n", "verified:", !tls.verified ?
		    "NO (--insecure)" : o->tls_fingerprint ?
		    "yes (pinned fingerprint)" : "yes");
		printf("%-14s%s\n", "resumed:", tls.resumed ?
		    "yes (a TLS session kept from an earlier run)" :
		    "no (full handshake)");
	} else {
		printf("%-14s%s\n", "TLS:", "none");
	}
	main_print_capabilities(s);
	mech = smtpc_session_auth_mech(s);
	if (user == NULL)
		printf("%-14s%s\n", "auth:", "not tried (no -u, no ~/.netrc "
		    "entry)");
	else if (mech != NULL)
		printf("%-14sok as %s (%s)\n", "auth:", user, mech);
	else
		printf("%-14sFAILED as %s\n", "auth:", user);
	if (rc == 0)
		smtpc_session_quit(s, NULL);
	smtpc_session_free(s);
	free(netrc_login);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli_opts o;
	char *env_password;
	int rc;

	/* Before anything else: the environment's secret out of sight. */
	if ((rc = password_take_env(&env_password)) != 0)
		return rc;
	/* A write to a closed socket must be an error, not a killed program. */
	signal(SIGPIPE, SIG_IGN);
	rc = args_parse(argc, argv, &o);
	if (rc != 0 || o.command == CLI_CMD_NONE) {
		args_free(&o);
		password_free(env_password);
		return rc;
	}
	o.env_password = env_password;
	if (o.command == CLI_CMD_SEND)
		rc = main_cmd_send(&o);
	else
		rc = main_cmd_check(&o);
	args_free(&o);
	password_free(env_password);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "smtpc: cannot write standard output: %s\n",
		    strerror(errno));
		rc = 74;
	}
	return rc;
}
