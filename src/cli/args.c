/* SPDX-License-Identifier: ISC */
/*
 * args.c - parse the smtpc command line (see doc/smtpc.1 for the contract).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"

#define EX_USAGE_CODE 64

enum long_only {
	OPT_TO = 256,
	OPT_REPLY_TO,
	OPT_TEXT,
	OPT_TEXT_FILE,
	OPT_HTML,
	OPT_HTML_FILE,
	OPT_INLINE,
	OPT_DRY_RUN,
	OPT_ALLOW_PARTIAL,
	OPT_DSN_NOTIFY,
	OPT_DSN_RETURN,
	OPT_DSN_ENVID,
	OPT_NO_PIPELINING,
	OPT_NO_CHUNKING,
	OPT_SERVER,
	OPT_TLS,
	OPT_CAFILE,
	OPT_INSECURE,
	OPT_AUTH,
	OPT_PASSWORD_FILE,
	OPT_PASSWORD_CMD,
	OPT_OAUTH_TOKEN_CMD,
	OPT_ALLOW_PLAINTEXT_AUTH,
	OPT_TLS_FINGERPRINT,
	OPT_NO_TLS_CACHE,
	OPT_CERT,
	OPT_KEY,
	OPT_HELO,
	OPT_TIMEOUT,
	OPT_ACCOUNT,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_JSON,
	OPT_MAX_PER_CONNECTION,
	OPT_RATE,
	OPT_QUEUE,
	OPT_QUEUE_DIR,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option send_options[] = {
    {"from", required_argument, NULL, 'f'},
    {"to", required_argument, NULL, OPT_TO},
    {"cc", required_argument, NULL, 'c'},
    {"bcc", required_argument, NULL, 'b'},
    {"reply-to", required_argument, NULL, OPT_REPLY_TO},
    {"subject", required_argument, NULL, 's'},
    {"text", required_argument, NULL, OPT_TEXT},
    {"text-file", required_argument, NULL, OPT_TEXT_FILE},
    {"html", required_argument, NULL, OPT_HTML},
    {"html-file", required_argument, NULL, OPT_HTML_FILE},
    {"attach", required_argument, NULL, 'a'},
    {"inline", required_argument, NULL, OPT_INLINE},
    {"header", required_argument, NULL, 'H'},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"output", required_argument, NULL, 'o'},
    {"allow-partial", no_argument, NULL, OPT_ALLOW_PARTIAL},
    {"dsn-notify", required_argument, NULL, OPT_DSN_NOTIFY},
    {"dsn-return", required_argument, NULL, OPT_DSN_RETURN},
    {"dsn-envid", required_argument, NULL, OPT_DSN_ENVID},
    {"no-pipelining", no_argument, NULL, OPT_NO_PIPELINING},
    {"no-chunking", no_argument, NULL, OPT_NO_CHUNKING},
    {"server", required_argument, NULL, OPT_SERVER},
    {"tls", required_argument, NULL, OPT_TLS},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"user", required_argument, NULL, 'u'},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"password-cmd", required_argument, NULL, OPT_PASSWORD_CMD},
    {"oauth-token-cmd", required_argument, NULL, OPT_OAUTH_TOKEN_CMD},
    {"allow-plaintext-auth", no_argument, NULL, OPT_ALLOW_PLAINTEXT_AUTH},
    {"tls-fingerprint", required_argument, NULL, OPT_TLS_FINGERPRINT},
    {"no-tls-cache", no_argument, NULL, OPT_NO_TLS_CACHE},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"helo", required_argument, NULL, OPT_HELO},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"config", required_argument, NULL, 'C'},
    {"account", required_argument, NULL, OPT_ACCOUNT},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"json", no_argument, NULL, OPT_JSON},
    {"max-per-connection", required_argument, NULL, OPT_MAX_PER_CONNECTION},
    {"rate", required_argument, NULL, OPT_RATE},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"queue-dir", required_argument, NULL, OPT_QUEUE_DIR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int args_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
args_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smtpc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'smtpc --help')\n");
	return EX_USAGE_CODE;
}

static int
args_push(void **arr, size_t *n, size_t size)
{
	void *p;

	if (*n >= 100000)
		return -1;
	p = realloc(*arr, (*n + 1) * size);
	if (p == NULL)
		return -1;
	*arr = p;
	(*n)++;
	return 0;
}

static int
args_add_rcpt(struct cli_opts *o, enum smtpc_rcpt_kind kind, const char *a)
{
	if (args_push((void **)&o->rcpts, &o->nrcpts, sizeof(*o->rcpts)) != 0)
		return args_usage_error("%s", "too many recipients");
	o->rcpts[o->nrcpts - 1].kind = kind;
	o->rcpts[o->nrcpts - 1].address = a;
	return 0;
}

static int
args_add_str(const char ***arr, size_t *n, const char *s)
{
	if (args_push((void **)arr, n, sizeof(**arr)) != 0)
		return args_usage_error("%s", "too many arguments");
	(*arr)[*n - 1] = s;
	return 0;
}

static int
args_parse_port(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 65535 ||
	    s[0] == '-' || s[0] == '+')
		return -1;
	*ret = (unsigned)v;
	return 0;
}

int
args_parse_server(const char *spec, struct cli_opts *o, const char **why)
{
	const char *p = spec, *colon, *host_end, *port = NULL;
	size_t hlen;

	if (strncmp(p, "smtps://", 8) == 0) {
		o->tls = SMTPC_TLS_IMPLICIT;
		o->tls_set = 1;
		p += 8;
	} else if (strncmp(p, "smtp://", 7) == 0) {
		p += 7;
	} else if (strstr(p, "://") != NULL) {
		*why = "unknown URL scheme (use smtp:// or smtps://)";
		return -1;
	}
	if (*p == '[') {
		host_end = strchr(p, ']');
		if (host_end == NULL) {
			*why = "missing ']' after IPv6 address";
			return -1;
		}
		hlen = (size_t)(host_end - p - 1);
		p++;
		if (host_end[1] == ':')
			port = host_end + 2;
		else if (host_end[1] != '\0' &&
		    strcmp(host_end + 1, "/") != 0) {
			*why = "unexpected text after ']'";
			return -1;
		}
	} else {
		colon = strchr(p, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			/* Several colons: a bare IPv6 address, no port. */
			hlen = strlen(p);
		} else if (colon != NULL) {
			hlen = (size_t)(colon - p);
			port = colon + 1;
		} else {
			hlen = strlen(p);
		}
	}
	if (hlen > 0 && port == NULL && p[hlen - 1] == '/')
		hlen--;
	if (hlen == 0 || hlen > 253) {
		*why = "missing or too long host name";
		return -1;
	}
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c == 0x7f || c == '/' || c == '@') {
			*why = "invalid character in host name";
			return -1;
		}
	}
	if (port != NULL) {
		char pbuf[8];
		size_t plen = strlen(port);

		if (plen > 0 && port[plen - 1] == '/')
			plen--;
		if (plen == 0 || plen >= sizeof(pbuf)) {
			*why = "invalid port";
			return -1;
		}
		memcpy(pbuf, port, plen);
		pbuf[plen] = '\0';
		if (args_parse_port(pbuf, &o->port) != 0) {
			*why = "invalid port";
			return -1;
		}
	}
	free(o->host);
	o->host = strndup(p, hlen);
	if (o->host == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* Find the first ";key=" of the known keys: the path ends there. */
static const char *
args_next_param(const char *s)
{
	static const char *const keys[] = {";type=", ";name=", ";cid="};
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *hit = strstr(s, keys[i]);

		if (hit != NULL && (best == NULL || hit < best))
			best = hit;
	}
	return best;
}

int
args_parse_file(const char *spec, enum cli_file_role role, struct cli_file *f,
    const char **why)
{
	const char *p = args_next_param(spec), *next;

	memset(f, 0, sizeof(*f));
	f->role = role;
	f->path = strndup(spec, p ? (size_t)(p - spec) : strlen(spec));
	if (f->path == NULL)
		goto nomem;
	if (f->path[0] == '\0') {
		*why = "missing file name";
		return -1;
	}
	while (p != NULL) {
		char **slot;
		const char *val;

		p++;
		if (strncmp(p, "type=", 5) == 0)
			slot = &f->type;
		else if (strncmp(p, "name=", 5) == 0 && role == CLI_FILE_ATTACH)
			slot = &f->name;
		else if (strncmp(p, "cid=", 4) == 0 && role == CLI_FILE_INLINE)
			slot = &f->cid;
		else {
			*why = role == CLI_FILE_ATTACH
			    ? "only ;type= and ;name= go with --attach"
			    : "only ;type= and ;cid= go with --inline";
			return -1;
		}
		val = strchr(p, '=') + 1;
		next = args_next_param(val);
		if (*slot != NULL) {
			*why = "a parameter is given twice";
			return -1;
		}
		*slot = strndup(val, next ? (size_t)(next - val) : strlen(val));
		if (*slot == NULL)
			goto nomem;
		if ((*slot)[0] == '\0') {
			*why = "empty parameter value";
			return -1;
		}
		p = next;
	}
	return 0;
nomem:
	*why = "out of memory";
	return -1;
}

static int
args_add_file(struct cli_opts *o, const char *spec, enum cli_file_role role)
{
	const char *why = NULL;
	struct cli_file f;

	if (args_parse_file(spec, role, &f, &why) != 0)
		goto free_file;
	if (args_push((void **)&o->files, &o->nfiles, sizeof(*o->files)) != 0) {
		why = "too many files";
		goto free_file;
	}
	o->files[o->nfiles - 1] = f;
	return 0;
free_file:
	free(f.path);
	free(f.type);
	free(f.name);
	free(f.cid);
	return args_usage_error("%s", why);
}

static int
args_set_tls(struct cli_opts *o, const char *mode)
{
	if (strcmp(mode, "starttls") == 0)
		o->tls = SMTPC_TLS_STARTTLS;
	else if (strcmp(mode, "implicit") == 0)
		o->tls = SMTPC_TLS_IMPLICIT;
	else if (strcmp(mode, "none") == 0)
		o->tls = SMTPC_TLS_NONE;
	else
		return args_usage_error(
		    "--tls takes starttls, implicit or none, not '%s'", mode);
	o->tls_set = 1;
	return 0;
}

static int
args_set_timeout(struct cli_opts *o, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 86400 ||
	    s[0] == '-')
		return args_usage_error(
		    "--timeout takes whole seconds from 1 to 86400, not '%s'",
		    s);
	o->timeout = (unsigned)v;
	return 0;
}

static int
args_set_max_per_connection(struct cli_opts *o, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 ||
	    v > 1000000 || s[0] == '-')
		return args_usage_error("--max-per-connection takes a number "
		    "from 1 to 1000000, not '%s'", s);
	o->max_per_connection = (unsigned)v;
	return 0;
}

/* N/min or N/s (a whole number of messages per minute in the end). */
static int
args_set_rate(struct cli_opts *o, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || v == 0 || v > 1000000 || s[0] == '-')
		goto bad;
	if (strcmp(end, "/s") == 0)
		v *= 60;
	else if (strcmp(end, "/min") != 0 && strcmp(end, "/m") != 0 &&
	    *end != '\0')
		goto bad;
	o->rate_per_min = (unsigned)v;
	return 0;
bad:
	return args_usage_error("--rate takes N/min or N/s, not '%s'", s);
}

/* "never", or a comma list of success, failure, delay. */
int
args_set_dsn_notify(struct cli_opts *o, const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} words[] = {
	    {"never", SMTPC_DSN_NEVER},
	    {"success", SMTPC_DSN_SUCCESS},
	    {"failure", SMTPC_DSN_FAILURE},
	    {"delay", SMTPC_DSN_DELAY},
	};
	const char *p = s, *end;
	unsigned bits = 0;
	size_t i, n;

	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == n &&
			    strncasecmp(p, words[i].name, n) == 0)
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			goto bad;
		bits |= words[i].bit;
		if (end == NULL)
			break;
		p = end + 1;
	}
	/* "never" with others: the library's check says no (64). */
	o->dsn_notify = bits;
	return 0;
bad:
	return args_usage_error(
	    "--dsn-notify takes never, or any of "
	    "success,failure,delay separated by commas, not '%s'",
	    s);
}

int
args_set_dsn_return(struct cli_opts *o, const char *s)
{
	if (strcasecmp(s, "full") == 0)
		o->dsn_ret = SMTPC_DSN_RET_FULL;
	else if (strcasecmp(s, "hdrs") == 0 || strcasecmp(s, "headers") == 0)
		o->dsn_ret = SMTPC_DSN_RET_HDRS;
	else
		return args_usage_error(
		    "--dsn-return takes full or hdrs, not '%s'", s);
	return 0;
}

/* The ID's RFC 3461 rules are the library's (smtpc_session_set_dsn). */
int
args_set_dsn_envid(struct cli_opts *o, const char *s)
{
	o->dsn_envid = s;
	return 0;
}

static int
args_one_body(const char *a, const char *b, const char *what)
{
	if (a != NULL && b != NULL)
		return args_usage_error("%s", what);
	return 0;
}

/* Options that only `send` takes: refuse them for `check`. */
static int
args_is_message_option(int c)
{
	switch (c) {
	case 'f':
	case OPT_TO:
	case 'c':
	case 'b':
	case OPT_REPLY_TO:
	case 's':
	case OPT_TEXT:
	case OPT_TEXT_FILE:
	case OPT_HTML:
	case OPT_HTML_FILE:
	case 'a':
	case OPT_INLINE:
	case 'H':
	case OPT_DRY_RUN:
	case 'o':
	case OPT_ALLOW_PARTIAL:
	case OPT_DSN_NOTIFY:
	case OPT_DSN_RETURN:
	case OPT_DSN_ENVID:
	case OPT_NO_PIPELINING:
	case OPT_NO_CHUNKING:
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
	case OPT_JSON:
		return 1;
	default:
		return 0;
	}
}

/* Options that compose one message: `batch` takes them per JSON line. */
static int
args_is_compose_option(int c)
{
	switch (c) {
	case OPT_TO:
	case 'c':
	case 'b':
	case OPT_REPLY_TO:
	case 's':
	case OPT_TEXT:
	case OPT_TEXT_FILE:
	case OPT_HTML:
	case OPT_HTML_FILE:
	case 'a':
	case OPT_INLINE:
	case 'H':
	case OPT_DRY_RUN:
	case 'o':
		return 1;
	default:
		return 0;
	}
}

static int
args_option(struct cli_opts *o, int c, const char *arg)
{
	const char *why = NULL;

	switch (c) {
	case 'f':
		o->from = arg;
		return 0;
	case OPT_TO:
		return args_add_rcpt(o, SMTPC_RCPT_TO, arg);
	case 'c':
		return args_add_rcpt(o, SMTPC_RCPT_CC, arg);
	case 'b':
		return args_add_rcpt(o, SMTPC_RCPT_BCC, arg);
	case OPT_REPLY_TO:
		return args_add_str(&o->reply_to, &o->nreply_to, arg);
	case 's':
		o->subject = arg;
		return 0;
	case OPT_TEXT:
		o->text = arg;
		return 0;
	case OPT_TEXT_FILE:
		o->text_file = arg;
		return 0;
	case OPT_HTML:
		o->html = arg;
		return 0;
	case OPT_HTML_FILE:
		o->html_file = arg;
		return 0;
	case 'a':
		return args_add_file(o, arg, CLI_FILE_ATTACH);
	case OPT_INLINE:
		return args_add_file(o, arg, CLI_FILE_INLINE);
	case 'H':
		return args_add_str(&o->headers, &o->nheaders, arg);
	case OPT_DRY_RUN:
		o->dry_run = 1;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_ALLOW_PARTIAL:
		o->allow_partial = 1;
		return 0;
	case OPT_DSN_NOTIFY:
		return args_set_dsn_notify(o, arg);
	case OPT_DSN_RETURN:
		return args_set_dsn_return(o, arg);
	case OPT_DSN_ENVID:
		return args_set_dsn_envid(o, arg);
	case OPT_NO_PIPELINING:
		o->no_pipelining = 1;
		return 0;
	case OPT_NO_CHUNKING:
		o->no_chunking = 1;
		return 0;
	case OPT_SERVER:
		if (args_parse_server(arg, o, &why) != 0)
			return args_usage_error("bad --server: %s", why);
		return 0;
	case OPT_TLS:
		return args_set_tls(o, arg);
	case OPT_CAFILE:
		o->cafile = arg;
		return 0;
	case OPT_INSECURE:
		o->insecure = 1;
		return 0;
	case 'u':
		o->user = arg;
		return 0;
	case OPT_AUTH:
		o->auth = arg;
		return 0;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		return 0;
	case OPT_PASSWORD_CMD:
		o->password_cmd = arg;
		return 0;
	case OPT_OAUTH_TOKEN_CMD:
		o->oauth_token_cmd = arg;
		return 0;
	case OPT_ALLOW_PLAINTEXT_AUTH:
		o->allow_plaintext_auth = 1;
		return 0;
	case OPT_TLS_FINGERPRINT:
		/* Its form is the library's to check (smtpc_session_new). */
		o->tls_fingerprint = arg;
		return 0;
	case OPT_NO_TLS_CACHE:
		o->no_tls_cache = 1;
		return 0;
	case OPT_CERT:
		o->cert_file = arg;
		return 0;
	case OPT_KEY:
		o->key_file = arg;
		return 0;
	case OPT_HELO:
		o->helo = arg;
		return 0;
	case OPT_TIMEOUT:
		return args_set_timeout(o, arg);
	case 'C':
		o->config_file = arg;
		return 0;
	case OPT_ACCOUNT:
		o->account = arg;
		return 0;
	case 'v':
		o->verbose = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case OPT_PROGRESS:
		o->progress = CLI_PROGRESS_ON;
		return 0;
	case OPT_NO_PROGRESS:
		o->progress = CLI_PROGRESS_OFF;
		return 0;
	case OPT_JSON:
		o->json = 1;
		return 0;
	case OPT_MAX_PER_CONNECTION:
		return args_set_max_per_connection(o, arg);
	case OPT_RATE:
		return args_set_rate(o, arg);
	case OPT_QUEUE:
		return args_set_queue(o, arg);
	case OPT_QUEUE_DIR:
		o->queue_dir = arg;
		return 0;
	default:
		return EX_USAGE_CODE;
	}
}

int
args_set_queue(struct cli_opts *o, const char *s)
{
	if (strcmp(s, "never") == 0 || strcmp(s, "off") == 0)
		o->queue = CLI_QUEUE_NEVER;
	else if (strcmp(s, "on-tempfail") == 0)
		o->queue = CLI_QUEUE_ON_TEMPFAIL;
	else if (strcmp(s, "always") == 0)
		o->queue = CLI_QUEUE_ALWAYS;
	else if (strcmp(s, "background") == 0)
		o->queue = CLI_QUEUE_BACKGROUND;
	else
		return args_usage_error("bad --queue \"%s\": never, "
		    "on-tempfail, always or background", s);
	return 0;
}

static int
args_check_send(struct cli_opts *o)
{
	int rc;

	if ((rc = args_one_body(o->text, o->text_file,
		 "give --text or --text-file, not both")) != 0)
		return rc;
	if ((rc = args_one_body(o->html, o->html_file,
		 "give --html or --html-file, not both")) != 0)
		return rc;
	if (o->text_file && o->html_file && strcmp(o->text_file, "-") == 0 &&
	    strcmp(o->html_file, "-") == 0)
		return args_usage_error(
		    "%s", "only one body can come from standard input");
	if (o->nrcpts == 0)
		return args_usage_error("%s",
		    "no recipient: use --to ADDR or name them after the "
		    "options");
	if (o->output != NULL)
		o->dry_run = 1;
	/* "-o -" is standard output, as for --dry-run, not a file named "-". */
	if (o->output != NULL && strcmp(o->output, "-") == 0)
		o->output = NULL;
	return 0;
}

static int
args_check_common(struct cli_opts *o)
{
	if (o->verbose && o->quiet)
		return args_usage_error("%s", "-v and -q exclude each other");
	if (o->password_file && o->password_cmd)
		return args_usage_error(
		    "%s", "give --password-file or --password-cmd, not both");
	if (o->oauth_token_cmd && (o->password_file || o->password_cmd))
		return args_usage_error("%s",
		    "--oauth-token-cmd replaces the password: give no "
		    "password source with it");
	if (o->key_file && !o->cert_file)
		return args_usage_error("%s", "--key needs --cert");
	if (o->tls_fingerprint && o->insecure)
		return args_usage_error("%s",
		    "--tls-fingerprint and --insecure exclude each other");
	return 0;
}

/*
 * What an account may still supply (sender, server, user) is checked
 * once the account has been applied.
 */
int
args_check_complete(const struct cli_opts *o)
{
	const char *in = o->account_name != NULL ? " (not in the account "
	    "either)" : "";

	if (o->command == CLI_CMD_BATCH && o->host == NULL)
		return args_usage_error("missing --server%s", in);
	if (o->command == CLI_CMD_SEND && o->from == NULL)
		return args_usage_error("missing sender: use -f ADDR%s", in);
	/* sendmail has no --server: the file's account is the server. */
	if (o->command == CLI_CMD_SENDMAIL && o->host == NULL) {
		fprintf(stderr, "smtpc: no server to send to: %s\n",
		    o->account_name != NULL ? "the account has no host" :
		    "no configuration file with an account (use -C FILE or "
		    "~/.msmtprc, see smtpc-config(5))");
		return 78;
	}
	if (o->host == NULL && (o->command == CLI_CMD_CHECK || !o->dry_run))
		return args_usage_error("missing --server%s%s", in,
		    o->command == CLI_CMD_SEND ? " (or use --dry-run)" : "");
	if ((o->password_file || o->password_cmd || o->auth ||
		o->oauth_token_cmd) &&
	    !o->user)
		return args_usage_error("%s",
		    "a password source, --oauth-token-cmd or --auth needs "
		    "-u/--user");
	return 0;
}

int
args_parse(int argc, char **argv, struct cli_opts *o)
{
	const char *cmd;
	char **av = argv + 1;
	int c, rc;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		return args_usage_error("%s", "missing command");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		args_print_help(CLI_CMD_NONE);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("smtpc %s\n", SMTPC_VERSION);
		return 0;
	}
	if (strcmp(cmd, "send") == 0)
		o->command = CLI_CMD_SEND;
	else if (strcmp(cmd, "check") == 0)
		o->command = CLI_CMD_CHECK;
	else if (strcmp(cmd, "batch") == 0)
		o->command = CLI_CMD_BATCH;
	else
		return args_usage_error("unknown command '%s'", cmd);

	optind = 0; /* glibc: 0 re-initialises getopt completely */
	opterr = 0;
	while ((c = getopt_long(argc - 1, av, ":f:c:b:s:a:H:o:u:vqC:",
		    send_options, NULL)) != -1) {
		if (c == OPT_HELP) {
			args_print_help(o->command);
			o->command = CLI_CMD_NONE;
			return 0;
		}
		if (c == '?')
			return args_usage_error(
			    "unknown option '%s'", av[optind - 1]);
		if (c == ':')
			return args_usage_error(
			    "option '%s' needs a value", av[optind - 1]);
		if (o->command == CLI_CMD_CHECK && args_is_message_option(c))
			return args_usage_error(
			    "%s", "message options go with send, not check");
		if (o->command == CLI_CMD_BATCH && args_is_compose_option(c))
			return args_usage_error("%s", "batch composes each "
			    "message from its JSON line: that option goes "
			    "with send");
		/* batch and check send nothing through the queue. */
		if (o->command != CLI_CMD_SEND &&
		    (c == OPT_QUEUE || c == OPT_QUEUE_DIR))
			return args_usage_error("%s", "--queue and --queue-dir "
			    "go with send (and sendmail)");
		if (o->command != CLI_CMD_BATCH &&
		    (c == OPT_MAX_PER_CONNECTION || c == OPT_RATE))
			return args_usage_error("%s", "--max-per-connection "
			    "and --rate go with batch");
		if ((rc = args_option(o, c, optarg)) != 0)
			return rc;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (o->command == CLI_CMD_CHECK)
			return args_usage_error(
			    "unexpected argument '%s'", argv[i]);
		if (o->command == CLI_CMD_BATCH) {
			if ((rc = args_add_str(&o->inputs, &o->ninputs,
			    argv[i])) != 0)
				return rc;
			continue;
		}
		if ((rc = args_add_rcpt(o, SMTPC_RCPT_TO, argv[i])) != 0)
			return rc;
	}
	if ((rc = args_check_common(o)) != 0)
		return rc;
	if (o->command == CLI_CMD_SEND)
		return args_check_send(o);
	if (o->command == CLI_CMD_BATCH && o->ninputs == 0)
		return args_usage_error("%s", "batch: name an input (a JSON "
		    "Lines file or -, a directory, an mbox)");
	return 0;
}

void
args_free(struct cli_opts *o)
{
	for (size_t i = 0; i < o->nfiles; i++) {
		free(o->files[i].path);
		free(o->files[i].type);
		free(o->files[i].name);
		free(o->files[i].cid);
	}
	free(o->files);
	free(o->rcpts);
	free(o->reply_to);
	free(o->headers);
	free(o->inputs);
	free(o->host);
	memset(o, 0, sizeof(*o));
}
