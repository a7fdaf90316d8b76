/* SPDX-License-Identifier: ISC */
/*
 * config_keys.c - the keys of the configuration file, in msmtp's meaning:
 * where each value lives in an account, how each is read (msmtp's words,
 * its empty-means-on and empty-means-unset rules), copied to an inheriting
 * account, checked when the account is chosen, and the word each
 * non-string value is written with (config_print.c prints an account).
 */
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_keys.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Where each key's value lives in the account; size 0: a string. */
static const struct config_key_slot {
	const char *name;
	size_t off;
	size_t size;
	const char *why; /* unsupported keys: what would go wrong */
} config_key_slots[CONFIG_NKEYS] = {
#define STR(k, n, f) [k] = {n, offsetof(struct config_account, f), 0, NULL}
#define NUM(k, n, f)                                                           \
	[k] = {n, offsetof(struct config_account, f),                          \
	    sizeof(((struct config_account *)NULL)->f), NULL}
#define UNS(k, n, why)                                                         \
	[k] = {n,                                                              \
	    offsetof(struct config_account,                                    \
		unsupported[k - CONFIG_FIRST_UNSUPPORTED]),                    \
	    0, why}
    STR(CONFIG_HOST, "host", host),
    NUM(CONFIG_PORT, "port", port),
    NUM(CONFIG_TLS, "tls", tls),
    NUM(CONFIG_TLS_STARTTLS, "tls_starttls", tls_starttls),
    STR(CONFIG_TLS_TRUST_FILE, "tls_trust_file", tls_trust_file),
    STR(CONFIG_TLS_FINGERPRINT, "tls_fingerprint", tls_fingerprint),
    NUM(CONFIG_TLS_CERTCHECK, "tls_certcheck", tls_certcheck),
    STR(CONFIG_TLS_CERT_FILE, "tls_cert_file", tls_cert_file),
    STR(CONFIG_TLS_KEY_FILE, "tls_key_file", tls_key_file),
    NUM(CONFIG_AUTH, "auth", auth),
    STR(CONFIG_USER, "user", user),
    STR(CONFIG_PASSWORD, "password", password),
    STR(CONFIG_PASSWORDEVAL, "passwordeval", passwordeval),
    STR(CONFIG_FROM, "from", from),
    STR(CONFIG_FROM_FULL_NAME, "from_full_name", from_full_name),
    NUM(CONFIG_ALLOW_FROM_OVERRIDE, "allow_from_override", allow_from_override),
    NUM(CONFIG_SET_FROM_HEADER, "set_from_header", set_from_header),
    STR(CONFIG_DOMAIN, "domain", domain),
    NUM(CONFIG_TIMEOUT, "timeout", timeout),
    NUM(CONFIG_DSN_NOTIFY, "dsn_notify", dsn_notify),
    NUM(CONFIG_DSN_RETURN, "dsn_return", dsn_return),
    STR(CONFIG_LOGFILE, "logfile", logfile),
    STR(CONFIG_SYSLOG, "syslog", syslog),
    NUM(CONFIG_QUEUE, "queue", queue),
    UNS(CONFIG_PROTOCOL, "protocol", "smtpc speaks SMTP only"),
    UNS(CONFIG_PROXY_HOST, "proxy_host",
	"mail would go out directly, not through the proxy"),
    UNS(CONFIG_SOCKET, "socket", "smtpc connects over TCP only"),
    UNS(CONFIG_SOURCE_IP, "source_ip", "mail would leave from another address"),
    UNS(CONFIG_ALIASES, "aliases", "local recipients would not be replaced"),
    UNS(CONFIG_TLS_HOST_OVERRIDE, "tls_host_override",
	"the certificate would be checked against host instead"),
    UNS(CONFIG_SET_TO_HEADER, "set_to_header",
	"the mail's To, Cc and Bcc would stay as written"),
    UNS(CONFIG_AUTO_FROM, "auto_from", "set from instead"),
#undef STR
#undef NUM
#undef UNS
};

static const struct {
	const char *name; /* as the file writes it */
	const char *mech; /* as the library names it; NULL: none */
} config_key_auths[] = {
    [CONFIG_AUTH_OFF] = {"off", NULL},
    [CONFIG_AUTH_ON] = {"on", NULL},
    [CONFIG_AUTH_PLAIN] = {"plain", "PLAIN"},
    [CONFIG_AUTH_LOGIN] = {"login", "LOGIN"},
    [CONFIG_AUTH_CRAM_MD5] = {"cram-md5", "CRAM-MD5"},
    [CONFIG_AUTH_SCRAM_SHA_1] = {"scram-sha-1", "SCRAM-SHA-1"},
    [CONFIG_AUTH_SCRAM_SHA_256] = {"scram-sha-256", "SCRAM-SHA-256"},
    [CONFIG_AUTH_OAUTHBEARER] = {"oauthbearer", "OAUTHBEARER"},
    [CONFIG_AUTH_XOAUTH2] = {"xoauth2", "XOAUTH2"},
    [CONFIG_AUTH_SCRAM_SHA_1_PLUS] = {"scram-sha-1-plus", NULL},
    [CONFIG_AUTH_SCRAM_SHA_256_PLUS] = {"scram-sha-256-plus", NULL},
    [CONFIG_AUTH_GSSAPI] = {"gssapi", NULL},
    [CONFIG_AUTH_EXTERNAL] = {"external", NULL},
    [CONFIG_AUTH_DIGEST_MD5] = {"digest-md5", NULL},
    [CONFIG_AUTH_NTLM] = {"ntlm", NULL},
};

static const char *const config_key_facilities[] = {"LOG_USER", "LOG_MAIL",
    "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2", "LOG_LOCAL3", "LOG_LOCAL4",
    "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7"};

/* In the order msmtp's manual lists them. */
static const struct {
	const char *name;
	unsigned bit;
} config_key_notify[] = {
    {"failure", SMTPC_DSN_FAILURE},
    {"delay", SMTPC_DSN_DELAY},
    {"success", SMTPC_DSN_SUCCESS},
};

const char *
config_key_name(enum config_key k)
{
	return (unsigned)k < CONFIG_NKEYS ? config_key_slots[k].name : "?";
}

const char *
config_auth_mech(enum config_auth a)
{
	return (unsigned)a < NELEM(config_key_auths) ? config_key_auths[a].mech
						     : NULL;
}

static int __attribute__((format(printf, 5, 0)))
config_error_v(struct smtpc_error *err, int code, const char *file,
    unsigned line, const char *fmt, va_list ap)
{
	size_t n = 0;
	int w;

	if (err == NULL)
		return code;
	memset(err, 0, sizeof(*err));
	err->code = code;
	snprintf(err->stage, sizeof(err->stage), "config");
	if (file != NULL) {
		w = line > 0 ? snprintf(err->message, sizeof(err->message),
				   "%s:%u: ", file, line)
			     : snprintf(err->message, sizeof(err->message),
				   "%s: ", file);
		n = w < 0 ? 0 : (size_t)w;
		if (n >= sizeof(err->message))
			return code;
	}
	vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
	return code;
}

/* "FILE:LINE: ..." (line 0: "FILE: ..."); returns SMTPC_ECONFIG. */
int
config_fail(struct smtpc_error *err, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_error_v(err, SMTPC_ECONFIG, file, line, fmt, ap);
	va_end(ap);
	return SMTPC_ECONFIG;
}

int
config_failx(const struct config_ctx *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_error_v(cx->err, SMTPC_ECONFIG, cx->file, cx->line, fmt, ap);
	va_end(ap);
	return SMTPC_ECONFIG;
}

int
config_nomem(struct smtpc_error *err)
{
	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		err->code = SMTPC_ENOMEM;
		snprintf(err->stage, sizeof(err->stage), "config");
		snprintf(err->message, sizeof(err->message), "out of memory");
	}
	return SMTPC_ENOMEM;
}

static int
config_key_invalid(const struct config_ctx *cx, enum config_key k,
    const char *v, const char *takes)
{
	return config_failx(cx, "invalid value '%.64s' for %s (it takes %s)", v,
	    config_key_slots[k].name, takes);
}

static char **
config_key_strp(struct config_account *a, enum config_key k)
{
	return (char **)(void *)((char *)a + config_key_slots[k].off);
}

const char *
config_key_strv(const struct config_account *a, enum config_key k)
{
	return *(char *const *)(const void *)((const char *)a +
	    config_key_slots[k].off);
}

static void
config_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
config_key_mark(
    const struct config_ctx *cx, struct config_account *a, enum config_key k)
{
	a->origin[k].file = cx->file;
	a->origin[k].line = cx->line;
	a->own |= 1ULL << k;
}

/* Store a copy of `v` (NULL: no value) in the string slot `k`. */
static int
config_key_put(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	char **p = config_key_strp(a, k), *s = NULL;

	if (v != NULL && (s = strdup(v)) == NULL)
		return config_nomem(cx->err);
	config_wipe_free(*p);
	*p = s;
	config_key_mark(cx, a, k);
	return 0;
}

/* config_key_put_int() stores these as the int they are. */
_Static_assert(sizeof(enum config_auth) == sizeof(int) &&
	sizeof(enum config_from_header) == sizeof(int) &&
	sizeof(enum smtpc_dsn_ret) == sizeof(int),
    "enum fields are ints");

static int
config_key_put_int(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, int v)
{
	memcpy((char *)a + config_key_slots[k].off, &v, sizeof(v));
	config_key_mark(cx, a, k);
	return 0;
}

static int
config_key_put_uint(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, unsigned v)
{
	memcpy((char *)a + config_key_slots[k].off, &v, sizeof(v));
	config_key_mark(cx, a, k);
	return 0;
}

/* $HOME, else the password database; NULL if neither says. */
const char *
config_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] != '\0')
		return home;
	if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL ||
	    pw->pw_dir[0] == '\0')
		return NULL;
	return pw->pw_dir;
}

/*
 * msmtp's '~' in file names: "~" and "~/..." stand for $HOME.  ("~user"
 * is left alone: msmtp would glue the name to $HOME, which names nothing.)
 */
static int
config_key_put_file(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	const char *home;
	char *s;
	size_t n;
	int rc;

	if (v[0] != '~' || (v[1] != '\0' && v[1] != '/') ||
	    (home = config_home()) == NULL)
		return config_key_put(cx, a, k, v);
	n = strlen(home) + strlen(v);
	if ((s = malloc(n)) == NULL)
		return config_nomem(cx->err);
	snprintf(s, n, "%s%s", home, v + 1);
	rc = config_key_put(cx, a, k, s);
	free(s);
	return rc;
}

/* A decimal number in 1..max, no sign, no leading zero; else 0. */
static unsigned
config_key_number(const char *v, unsigned max)
{
	unsigned long n = 0;
	const char *p;

	if (v[0] < '1' || v[0] > '9')
		return 0;
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			return 0;
	}
	return (unsigned)n;
}

/* msmtp's on/off words are lower-case only; empty counts as on. */
static int
config_key_on(const char *v)
{
	return v[0] == '\0' || strcmp(v, "on") == 0;
}

static int
config_key_off(const char *v)
{
	return strcmp(v, "off") == 0;
}

/* Values: one function per shape, named by what the key takes. */

static int
config_key_needed(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0')
		return config_failx(
		    cx, "%s needs a value", config_key_slots[k].name);
	return config_key_put(cx, a, k, v);
}

static int
config_key_text(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	return config_key_put(cx, a, k, v);
}

/* Empty unsets: user, password, passwordeval, domain, fingerprints... */
static int
config_key_optional(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	return config_key_put(cx, a, k, v[0] == '\0' ? NULL : v);
}

static int
config_key_file(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0')
		return config_key_put(cx, a, k, NULL);
	return config_key_put_file(cx, a, k, v);
}

/* "system" (the default): the system's CAs; empty: trust no CA. */
static int
config_key_trust(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (strcmp(v, "system") == 0)
		return config_key_put(cx, a, k, NULL);
	if (v[0] == '\0')
		return config_key_put(cx, a, k, "");
	return config_key_put_file(cx, a, k, v);
}

static int
config_key_port(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	unsigned n;

	if (v[0] == '\0')
		return config_failx(cx, "port needs a value");
	/*
	 * msmtp reads numbers as C does ("0587" is octal 391): a leading
	 * zero is refused rather than sent to another port.
	 */
	if ((n = config_key_number(v, 65535)) == 0)
		return config_key_invalid(cx, k, v, "a number from 1 to 65535");
	return config_key_put_uint(cx, a, k, n);
}

static int
config_key_timeout(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	unsigned n;

	if (v[0] == '\0')
		return config_failx(cx, "timeout needs a value");
	if (config_key_off(v))
		return config_key_put_uint(cx, a, k, 0);
	if ((n = config_key_number(v, INT_MAX)) == 0)
		return config_key_invalid(
		    cx, k, v, "off or a number of seconds");
	return config_key_put_uint(cx, a, k, n);
}

static int
config_key_onoff(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (config_key_on(v))
		return config_key_put_int(cx, a, k, 1);
	if (config_key_off(v))
		return config_key_put_int(cx, a, k, 0);
	return config_key_invalid(cx, k, v, "on or off");
}

/* allow_from_override: msmtp wants the word, empty is no "on" here. */
static int
config_key_onoff_strict(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0')
		return config_failx(
		    cx, "%s needs a value", config_key_slots[k].name);
	return config_key_onoff(cx, a, k, v);
}

/* msmtp 1.2's tls_nocertcheck and tls_nostarttls: "off" with no value. */
static int
config_key_negated(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] != '\0')
		return config_failx(cx, "tls_no%s takes no value",
		    config_key_slots[k].name + 4);
	return config_key_put_int(cx, a, k, 0);
}

static int
config_key_auth(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	size_t i;

	if (v[0] == '\0')
		return config_key_put_int(cx, a, k, CONFIG_AUTH_ON);
	for (i = 0; i < NELEM(config_key_auths); i++)
		if (strcmp(v, config_key_auths[i].name) == 0)
			return config_key_put_int(cx, a, k, (int)i);
	return config_key_invalid(cx, k, v,
	    "on, off or a method such as plain, login, scram-sha-256, "
	    "oauthbearer, xoauth2");
}

static int
config_key_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * msmtp's form: hex pairs separated by ':' or ' ', 32 pairs (SHA-256),
 * 20 (SHA-1) or 16 (MD5).  Kept upper-case with ':', the form the
 * library and msmtp both print.
 */
static int
config_key_fingerprint(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	static const char digits[] = "0123456789ABCDEF";
	char out[3 * 32];
	size_t len = strlen(v), pairs, i;
	int hi, lo;

	if (len == 0)
		return config_key_put(cx, a, k, NULL);
	pairs = (len + 1) / 3;
	if ((pairs != 32 && pairs != 20 && pairs != 16) || len != 3 * pairs - 1)
		goto bad;
	for (i = 0; i < pairs; i++) {
		hi = config_key_hex(v[3 * i]);
		lo = config_key_hex(v[3 * i + 1]);
		if (hi < 0 || lo < 0 ||
		    (i + 1 < pairs && v[3 * i + 2] != ':' &&
			v[3 * i + 2] != ' '))
			goto bad;
		out[3 * i] = digits[hi];
		out[3 * i + 1] = digits[lo];
		out[3 * i + 2] = i + 1 < pairs ? ':' : '\0';
	}
	return config_key_put(cx, a, k, out);
bad:
	return config_key_invalid(cx, k, v,
	    "the SHA-256 of the certificate as 32 hex pairs, 01:23:45:...");
}

/* "never", or failure, delay and success, each at most once, by commas. */
static int
config_key_dsn_notify(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	const char *p = v, *end;
	unsigned bits = 0;
	size_t i, n;

	if (v[0] == '\0')
		return config_failx(cx, "dsn_notify needs a value");
	if (config_key_off(v))
		return config_key_put_uint(cx, a, k, 0);
	if (strcmp(v, "never") == 0)
		return config_key_put_uint(cx, a, k, SMTPC_DSN_NEVER);
	for (;;) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < NELEM(config_key_notify); i++)
			if (strlen(config_key_notify[i].name) == n &&
			    memcmp(p, config_key_notify[i].name, n) == 0)
				break;
		if (i == NELEM(config_key_notify) ||
		    (bits & config_key_notify[i].bit) != 0)
			return config_key_invalid(cx, k, v,
			    "off, never, or failure, delay and success "
			    "separated by commas");
		bits |= config_key_notify[i].bit;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return config_key_put_uint(cx, a, k, bits);
}

static int
config_key_dsn_return(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0')
		return config_failx(cx, "dsn_return needs a value");
	if (config_key_off(v))
		return config_key_put_int(cx, a, k, SMTPC_DSN_RET_DEFAULT);
	if (strcmp(v, "headers") == 0)
		return config_key_put_int(cx, a, k, SMTPC_DSN_RET_HDRS);
	if (strcmp(v, "full") == 0)
		return config_key_put_int(cx, a, k, SMTPC_DSN_RET_FULL);
	return config_key_invalid(cx, k, v, "off, headers or full");
}

static const char *const config_key_queues[] = {
    [CONFIG_QUEUE_UNSET] = "never",
    [CONFIG_QUEUE_NEVER] = "never",
    [CONFIG_QUEUE_ON_TEMPFAIL] = "on-tempfail",
    [CONFIG_QUEUE_ALWAYS] = "always",
    [CONFIG_QUEUE_BACKGROUND] = "background",
};

static int
config_key_queue(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	enum config_queue q;

	if (config_key_off(v))
		return config_key_put_int(cx, a, k, CONFIG_QUEUE_NEVER);
	for (q = CONFIG_QUEUE_NEVER; q <= CONFIG_QUEUE_BACKGROUND; q++)
		if (strcmp(v, config_key_queues[q]) == 0)
			return config_key_put_int(cx, a, k, (int)q);
	return config_key_invalid(cx, k, v,
	    "never, on-tempfail, always or background");
}

static int
config_key_syslog(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	size_t i;

	if (config_key_on(v))
		return config_key_put(cx, a, k, "LOG_USER");
	if (config_key_off(v))
		return config_key_put(cx, a, k, NULL);
	for (i = 0; i < NELEM(config_key_facilities); i++)
		if (strcmp(v, config_key_facilities[i]) == 0)
			return config_key_put(cx, a, k, v);
	return config_key_invalid(cx, k, v,
	    "on, off, LOG_USER, LOG_MAIL or LOG_LOCAL0 to LOG_LOCAL7");
}

static int
config_key_from_header(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0' || strcmp(v, "auto") == 0)
		return config_key_put_int(cx, a, k, CONFIG_FROM_HEADER_AUTO);
	if (strcmp(v, "on") == 0)
		return config_key_put_int(cx, a, k, CONFIG_FROM_HEADER_ON);
	if (config_key_off(v))
		return config_key_put_int(cx, a, k, CONFIG_FROM_HEADER_OFF);
	return config_key_invalid(cx, k, v, "auto, on or off");
}

/* msmtp 1.8.7's add_missing_from_header: on is auto. */
static int
config_key_add_from_header(const struct config_ctx *cx,
    struct config_account *a, enum config_key k, const char *v)
{
	if (config_key_on(v))
		return config_key_put_int(cx, a, k, CONFIG_FROM_HEADER_AUTO);
	if (config_key_off(v))
		return config_key_put_int(cx, a, k, CONFIG_FROM_HEADER_OFF);
	return config_key_invalid(cx, k, v, "on or off");
}

/* Unsupported keys: a value asks for the feature; empty does not. */
static int
config_key_unsupported(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	return config_key_put(cx, a, k, v[0] == '\0' ? NULL : v);
}

static int
config_key_protocol(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (v[0] == '\0')
		return config_failx(cx, "protocol needs a value");
	if (strcmp(v, "smtp") == 0)
		return config_key_put(cx, a, k, NULL);
	if (strcmp(v, "lmtp") == 0)
		return config_key_put(cx, a, k, v);
	return config_key_invalid(cx, k, v, "smtp or lmtp");
}

static int
config_key_set_to_header(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (config_key_off(v))
		return config_key_put(cx, a, k, NULL);
	if (config_key_on(v))
		return config_key_put(cx, a, k, "on");
	if (strcmp(v, "undisclosed_recipients") == 0)
		return config_key_put(cx, a, k, v);
	return config_key_invalid(
	    cx, k, v, "on, off or undisclosed_recipients");
}

/* msmtp 1.8.28's undisclosed_recipients: on is set_to_header's word. */
static int
config_key_undisclosed(const struct config_ctx *cx, struct config_account *a,
    enum config_key k, const char *v)
{
	if (config_key_off(v))
		return config_key_put(cx, a, k, NULL);
	if (config_key_on(v))
		return config_key_put(cx, a, k, "undisclosed_recipients");
	return config_key_invalid(cx, k, v, "on or off");
}

static int
config_key_onoff_unsupported(const struct config_ctx *cx,
    struct config_account *a, enum config_key k, const char *v)
{
	if (config_key_off(v))
		return config_key_put(cx, a, k, NULL);
	if (config_key_on(v))
		return config_key_put(cx, a, k, "on");
	return config_key_invalid(cx, k, v, "on or off");
}

/* Every key msmtp knows; parse NULL: skipped and listed as ignored. */
static const struct config_keydef config_key_defs[] = {
    {"host", CONFIG_HOST, config_key_needed},
    {"port", CONFIG_PORT, config_key_port},
    {"timeout", CONFIG_TIMEOUT, config_key_timeout},
    {"connect_timeout", CONFIG_TIMEOUT, config_key_timeout},
    {"domain", CONFIG_DOMAIN, config_key_optional},
    {"from", CONFIG_FROM, config_key_text},
    {"from_full_name", CONFIG_FROM_FULL_NAME, config_key_text},
    {"allow_from_override", CONFIG_ALLOW_FROM_OVERRIDE,
	config_key_onoff_strict},
    {"set_from_header", CONFIG_SET_FROM_HEADER, config_key_from_header},
    {"add_missing_from_header", CONFIG_SET_FROM_HEADER,
	config_key_add_from_header},
    {"auth", CONFIG_AUTH, config_key_auth},
    {"user", CONFIG_USER, config_key_optional},
    {"password", CONFIG_PASSWORD, config_key_optional},
    {"passwordeval", CONFIG_PASSWORDEVAL, config_key_optional},
    {"tls", CONFIG_TLS, config_key_onoff},
    {"tls_starttls", CONFIG_TLS_STARTTLS, config_key_onoff},
    {"tls_nostarttls", CONFIG_TLS_STARTTLS, config_key_negated},
    {"tls_trust_file", CONFIG_TLS_TRUST_FILE, config_key_trust},
    {"tls_fingerprint", CONFIG_TLS_FINGERPRINT, config_key_fingerprint},
    {"tls_certcheck", CONFIG_TLS_CERTCHECK, config_key_onoff},
    {"tls_nocertcheck", CONFIG_TLS_CERTCHECK, config_key_negated},
    {"tls_cert_file", CONFIG_TLS_CERT_FILE, config_key_file},
    {"tls_key_file", CONFIG_TLS_KEY_FILE, config_key_file},
    {"dsn_notify", CONFIG_DSN_NOTIFY, config_key_dsn_notify},
    {"dsn_return", CONFIG_DSN_RETURN, config_key_dsn_return},
    {"logfile", CONFIG_LOGFILE, config_key_file},
    {"syslog", CONFIG_SYSLOG, config_key_syslog},
    {"queue", CONFIG_QUEUE, config_key_queue},
    {"protocol", CONFIG_PROTOCOL, config_key_protocol},
    {"proxy_host", CONFIG_PROXY_HOST, config_key_unsupported},
    {"socket", CONFIG_SOCKET, config_key_unsupported},
    {"source_ip", CONFIG_SOURCE_IP, config_key_unsupported},
    {"aliases", CONFIG_ALIASES, config_key_unsupported},
    {"tls_host_override", CONFIG_TLS_HOST_OVERRIDE, config_key_unsupported},
    {"set_to_header", CONFIG_SET_TO_HEADER, config_key_set_to_header},
    {"undisclosed_recipients", CONFIG_SET_TO_HEADER, config_key_undisclosed},
    {"auto_from", CONFIG_AUTO_FROM, config_key_onoff_unsupported},
    /* Nothing to do for smtpc; see smtpc-config(5). */
    {"ntlmdomain", CONFIG_NKEYS, NULL},
    {"tls_crl_file", CONFIG_NKEYS, NULL},
    {"tls_priorities", CONFIG_NKEYS, NULL},
    {"tls_min_dh_prime_bits", CONFIG_NKEYS, NULL},
    {"tls_force_sslv3", CONFIG_NKEYS, NULL},
    {"proxy_port", CONFIG_NKEYS, NULL},
    {"logfile_time_format", CONFIG_NKEYS, NULL},
    {"set_date_header", CONFIG_NKEYS, NULL},
    {"add_missing_date_header", CONFIG_NKEYS, NULL},
    {"set_msgid_header", CONFIG_NKEYS, NULL},
    {"remove_bcc_headers", CONFIG_NKEYS, NULL},
    {"keepbcc", CONFIG_NKEYS, NULL},
    {"maildomain", CONFIG_NKEYS, NULL},
};

const struct config_keydef *
config_key_find(const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < NELEM(config_key_defs); i++)
		if (strlen(config_key_defs[i].name) == n &&
		    memcmp(config_key_defs[i].name, key, n) == 0)
			return &config_key_defs[i];
	return NULL;
}

/* msmtp's defaults for what is not set. */
void
config_key_init(struct config_account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls_starttls = 1;
	a->tls_certcheck = 1;
	a->allow_from_override = 1;
	a->auth = CONFIG_AUTH_OFF;
	a->set_from_header = CONFIG_FROM_HEADER_AUTO;
	a->dsn_return = SMTPC_DSN_RET_DEFAULT;
}

void
config_key_clear(struct config_account *a)
{
	enum config_key k;

	free(a->name);
	for (k = 0; k < CONFIG_NKEYS; k++)
		if (config_key_slots[k].size == 0)
			config_wipe_free(*config_key_strp(a, k));
	config_key_init(a);
}

/* Copy slot `k` from `src` with its origin; 0 or SMTPC_ENOMEM. */
int
config_key_copy(struct config_account *dst, const struct config_account *src,
    enum config_key k)
{
	const struct config_key_slot *sl = &config_key_slots[k];
	char *s = NULL, **d;
	const char *v;

	if (sl->size != 0) {
		memcpy((char *)dst + sl->off, (const char *)src + sl->off,
		    sl->size);
	} else {
		d = config_key_strp(dst, k);
		v = config_key_strv(src, k);
		if (v != NULL && (s = strdup(v)) == NULL)
			return SMTPC_ENOMEM;
		config_wipe_free(*d);
		*d = s;
	}
	dst->origin[k] = src->origin[k];
	return 0;
}

/* The first of msmtp's substitutions in `s` (%U %H %C %M %F), or NULL. */
static const char *
config_key_pattern(const char *s, const char *letters)
{
	for (; (s = strchr(s, '%')) != NULL; s++)
		if (s[1] != '\0' && strchr(letters, s[1]) != NULL)
			return s;
	return NULL;
}

int
config_account_check(const struct config_account *a, struct smtpc_error *err)
{
	static const struct {
		enum config_key key;
		const char *letters;
	} subst[] = {{CONFIG_FROM, "UHCMF"}, {CONFIG_DOMAIN, "HCM"}};
	const struct config_origin *o;
	enum config_key k;
	const char *v;
	size_t i;

	for (k = CONFIG_FIRST_UNSUPPORTED; k < CONFIG_NKEYS; k++) {
		v = a->unsupported[k - CONFIG_FIRST_UNSUPPORTED];
		if (v == NULL)
			continue;
		o = &a->origin[k];
		return config_fail(err, o->file, o->line,
		    "%s %.64s is not supported by smtpc: %s",
		    config_key_slots[k].name, v, config_key_slots[k].why);
	}
	if (a->auth > CONFIG_AUTH_ON &&
	    config_key_auths[a->auth].mech == NULL) {
		o = &a->origin[CONFIG_AUTH];
		return config_fail(err, o->file, o->line,
		    "auth %s is not supported by smtpc (it has plain, login, "
		    "cram-md5, scram-sha-1, scram-sha-256, oauthbearer and "
		    "xoauth2)",
		    config_key_auths[a->auth].name);
	}
	/*
	 * msmtp fills these in when it sends; taken as written, "%U@host"
	 * would become the envelope sender itself.
	 */
	for (i = 0; i < NELEM(subst); i++) {
		v = config_key_strv(a, subst[i].key);
		if (v == NULL ||
		    (v = config_key_pattern(v, subst[i].letters)) == NULL)
			continue;
		o = &a->origin[subst[i].key];
		return config_fail(err, o->file, o->line,
		    "%s: msmtp's %.2s substitution is not supported by smtpc; "
		    "write the value out",
		    config_key_slots[subst[i].key].name, v);
	}
	if (a->tls_fingerprint != NULL && strlen(a->tls_fingerprint) != 95) {
		o = &a->origin[CONFIG_TLS_FINGERPRINT];
		return config_fail(err, o->file, o->line,
		    "tls_fingerprint is a %s fingerprint; smtpc pins the "
		    "SHA-256 of the certificate only",
		    strlen(a->tls_fingerprint) == 59 ? "SHA-1" : "MD5");
	}
	return 0;
}

const char *
config_key_word(
    const struct config_account *a, enum config_key k, char *buf, size_t cap)
{
	size_t i, n = 0;

	switch (k) {
	case CONFIG_PORT:
		snprintf(buf, cap, "%u", config_port(a));
		return buf;
	case CONFIG_TIMEOUT:
		if (a->timeout == 0)
			return "off";
		snprintf(buf, cap, "%u", a->timeout);
		return buf;
	case CONFIG_TLS:
		return a->tls ? "on" : "off";
	case CONFIG_TLS_STARTTLS:
		return a->tls_starttls ? "on" : "off";
	case CONFIG_TLS_CERTCHECK:
		return a->tls_certcheck ? "on" : "off";
	case CONFIG_ALLOW_FROM_OVERRIDE:
		return a->allow_from_override ? "on" : "off";
	case CONFIG_AUTH:
		return config_key_auths[a->auth].name;
	case CONFIG_SET_FROM_HEADER:
		return a->set_from_header == CONFIG_FROM_HEADER_ON ? "on"
		    : a->set_from_header == CONFIG_FROM_HEADER_OFF ? "off"
								   : "auto";
	case CONFIG_DSN_RETURN:
		return a->dsn_return == SMTPC_DSN_RET_FULL ? "full"
		    : a->dsn_return == SMTPC_DSN_RET_HDRS  ? "headers"
							   : "off";
	case CONFIG_DSN_NOTIFY:
		if (a->dsn_notify == 0)
			return "off";
		if (a->dsn_notify == SMTPC_DSN_NEVER)
			return "never";
		buf[0] = '\0';
		for (i = 0; i < NELEM(config_key_notify); i++)
			if ((a->dsn_notify & config_key_notify[i].bit) != 0 &&
			    n < cap)
				n += (size_t)snprintf(buf + n, cap - n, "%s%s",
				    n > 0 ? "," : "",
				    config_key_notify[i].name);
		return buf;
	case CONFIG_TLS_TRUST_FILE:
		return a->tls_trust_file == NULL ? "system" : NULL;
	case CONFIG_SYSLOG:
		return a->syslog == NULL ? "off" : NULL;
	case CONFIG_QUEUE:
		return config_key_queues[a->queue];
	default:
		return NULL;
	}
}
