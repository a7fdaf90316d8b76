/* SPDX-License-Identifier: ISC */
/*
 * connect.c - opening a session as the options say (connect.h).
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "connect.h"
#include "password.h"
#include "report.h"

/* --progress, --no-progress, or a terminal and a big message. */
static FILE *connect_progress_out(const struct cli_opts *o, uint64_t size);

int
connect_event(void *user, const struct smtpc_event *ev)
{
	struct connect_events *m = user;

	switch (ev->type) {
	case SMTPC_EVENT_LINE_IN:
	case SMTPC_EVENT_LINE_OUT:
	case SMTPC_EVENT_INFO:
		if (m->o->verbose) {
			progress_end(&m->progress);
			report_line(ev->type, ev->line, ev->len);
		}
		break;
	case SMTPC_EVENT_PROGRESS:
		if (!m->progress_on) {
			progress_init(&m->progress,
			    connect_progress_out(m->o, ev->total), ev->total);
			m->progress_on = 1;
		}
		progress_add(&m->progress, ev->sent - m->progress.done);
		/* The whole message is out: end the line before the reply. */
		if (ev->total != 0 && ev->sent >= ev->total)
			progress_end(&m->progress);
		break;
	case SMTPC_EVENT_STAGE:
		if (ev->stage != SMTPC_STAGE_MESSAGE)
			progress_end(&m->progress);
		break;
	}
	return 0;
}

/* --progress, --no-progress, or a terminal and a big message. */
static FILE *
connect_progress_out(const struct cli_opts *o, uint64_t size)
{
	if (o->progress == CLI_PROGRESS_ON)
		return stderr;
	/* sendmail's callers (mutt, git) show its stderr as errors. */
	if (o->progress == CLI_PROGRESS_OFF || o->quiet ||
	    o->command == CLI_CMD_SENDMAIL ||
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
connect_login(const struct cli_opts *o, enum smtpc_tls_mode tls,
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
connect_is_loopback(const char *host)
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
connect_check_plaintext(const struct cli_opts *o, const char *user)
{
	const char *what = o->oauth_token_cmd ? "OAuth token" : "password";
	struct smtpc_error err;

	if (connect_is_loopback(o->host)) {
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
connect_tls_cache(const struct cli_opts *o, char *buf, size_t cap)
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

/* 1 when any --dsn-* option was given. */
static int
connect_wants_dsn(const struct cli_opts *o)
{
	return o->dsn_notify != 0 || o->dsn_ret != SMTPC_DSN_RET_DEFAULT ||
	    o->dsn_envid != NULL;
}

/* --dsn-*: asked of the library, which checks them before connecting. */
static int
connect_dsn(const struct cli_opts *o, struct smtpc_session *s,
    struct smtpc_error *err)
{
	if (!connect_wants_dsn(o))
		return 0;
	return smtpc_session_set_dsn(s, o->dsn_notify, o->dsn_ret,
	    o->dsn_envid, err);
}

/*
 * Open a session as the options say: password fetched (and wiped once the
 * library holds its own copy), TLS, AUTH.  Returns 0 or an exit code; on an
 * error after the session exists, *ret is still set so that `check` can
 * show what it learned.  *ret_user: the login used (NULL: none); it lives
 * in *ret_netrc when ~/.netrc gave it, which the caller frees.
 */
int
connect_session(const struct cli_opts *o, struct connect_events *events,
    int open, struct smtpc_session **ret, const char **ret_user,
    char **ret_netrc, struct smtpc_error *err)
{
	struct smtpc_server srv;
	char *password = NULL, cache[PATH_MAX];
	const char *user;
	int rc;

	smtpc_server_init(&srv);
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
	srv.tls_cache = connect_tls_cache(o, cache, sizeof(cache));
	if ((rc = connect_login(o, srv.tls, &user, ret_netrc)) != 0)
		return rc;
	*ret_user = user;
	srv.user = user;
	srv.auth_mech = o->auth;
	srv.event = connect_event;
	srv.event_user = events;
	if (o->insecure && srv.tls != SMTPC_TLS_NONE)
		fprintf(stderr, "smtpc: warning: --insecure: the server's "
		    "certificate is not checked; anyone on the network path "
		    "could read the password and the mail\n");
	if (user != NULL && srv.tls == SMTPC_TLS_NONE &&
	    (rc = connect_check_plaintext(o, user)) != 0)
		return rc;
	if (user != NULL && password_is_token(o)) {
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
	/* The library's checks, before any connection: pin, DSN, names. */
	if (rc != 0 || (rc = connect_dsn(o, *ret, err)) != 0)
		return report_error(err);
	if (open && smtpc_session_open(*ret, err) != 0)
		return report_error(err);
	return 0;
}

/* Each refused recipient of `r`, with the server's words. */
void
connect_print_refusals(const struct smtpc_result *r, const char *what)
{
	const struct smtpc_rcpt_status *st;
	size_t i, n;

	for (i = 0; (st = smtpc_result_rcpt(r, i)) != NULL; i++) {
		if (st->accepted != 0)
			continue;
		n = strlen(st->enhanced);
		fprintf(stderr, "smtpc: %s %s: server said: %d", what,
		    st->address, st->reply_code);
		/* The text usually starts with the enhanced code already. */
		if (n > 0 && (strncmp(st->text, st->enhanced, n) != 0 ||
		    (st->text[n] != ' ' && st->text[n] != '\0')))
			fprintf(stderr, " %s", st->enhanced);
		fprintf(stderr, " %s\n", st->text);
	}
}
/* 1 when the server's EHLO listed `keyword`. */
int
connect_has_capability(const struct smtpc_session *s, const char *keyword)
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
 * A server without DSN still gets the mail, as with other clients; the
 * user is told the reports will not come.
 */
void
connect_warn_dsn(const struct cli_opts *o, const struct smtpc_session *s)
{
	if (connect_wants_dsn(o) && !connect_has_capability(s, "DSN") &&
	    !o->quiet)
		fprintf(stderr, "smtpc: warning: %s does not offer DSN; "
		    "sending without delivery status notification requests\n",
		    o->host);
}
