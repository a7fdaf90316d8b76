/* SPDX-License-Identifier: ISC */
/*
 * session_config.c - smtpc_session_new and _free: the caller's server
 * configuration checked and copied (the secret into a buffer wiped on
 * free), the EHLO name chosen.
 */

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bounds.h"
#include "error.h"
#include "sasl.h"
#include "resolve.h"
#include "session_int.h"

/*
 * Configuration.
 */

/* A host name or address literal fit for EHLO (RFC 5321 4.1.1.1). */
int
session_helo_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 255)
		return 0;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEFIPv:.") == n - 2;
	if (h[0] == '-' || h[0] == '.' || h[n - 1] == '-' || h[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* No control characters (CR, LF, NUL ... would inject commands). */
static int
session_text_ok(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t == 0x7f)
			return 0;
	return 1;
}

/*
 * The EHLO name when the caller gave none.  RFC 5321 2.3.5 and 4.1.4: a
 * fully qualified name, or an address literal when the host has none;
 * never a bare short name, which leaks the machine's name and which
 * servers refuse (Postfix's reject_non_fqdn_helo_hostname: 504).  A
 * dotted host name is one already; a short one gets the canonical name
 * /etc/hosts gives it (never a DNS query: this runs outside any
 * deadline).  0 with the name in `out`, or -1.
 */
int
session_fqdn(char *out, size_t cap)
{
	unsigned char a[sizeof(struct in6_addr)];
	char name[256];

	if (resolve_own_name(name, sizeof(name)) != 0)
		return -1;
	/* An address without brackets is no name (and no literal either). */
	if (!session_helo_ok(name) || name[0] == '[' ||
	    inet_pton(AF_INET, name, a) == 1 ||
	    (size_t)snprintf(out, cap, "%s", name) >= cap)
		return -1;
	return 0;
}

int
session_strdup(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst == NULL ? SMTPC_ENOMEM : 0;
}

/* 64 hex digits, optionally with ':' between pairs, into 32 bytes. */
static int
session_parse_pin(const char *hex, unsigned char out[32])
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ':' && hi < 0 && n > 0 && hex[1] != '\0')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= 32)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

/* A file we must read later: say now, and name it, if we cannot. */
static int
session_readable(const char *path, const char *what, struct smtpc_error *err)
{
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return error_set(err, SMTPC_ENOINPUT, NULL,
		    "cannot read %s %.300s", what, path);
	fclose(fp);
	return 0;
}

/* The TLS and secret options that go together, checked before use. */
static int
session_check_auth_tls(const struct smtpc_server *cfg, unsigned char pin[32],
    int *have_pin, struct smtpc_error *err)
{
	int rc;

	if (cfg->password != NULL && cfg->oauth_token != NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "give a password or an OAuth token, not both");
	if (cfg->oauth_token != NULL && (cfg->user == NULL ||
	    strlen(cfg->oauth_token) > SESSION_PASS_MAX))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "an OAuth token needs a user and at most %d bytes",
		    SESSION_PASS_MAX);
	if (cfg->tls_fingerprint != NULL) {
		if (session_parse_pin(cfg->tls_fingerprint, pin) != 0)
			return error_set(err, SMTPC_EINVAL, NULL,
			    "the TLS fingerprint must be a SHA-256: 64 hex "
			    "digits, with or without ':'");
		*have_pin = 1;
	}
	if (cfg->key_file != NULL && cfg->cert_file == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "a client key needs its certificate");
	if (cfg->cert_file != NULL && (rc = session_readable(cfg->cert_file,
	    "client certificate", err)) != 0)
		return rc;
	if (cfg->key_file != NULL && (rc = session_readable(cfg->key_file,
	    "client key", err)) != 0)
		return rc;
	return 0;
}

void
smtpc_server_init(struct smtpc_server *srv)
{
	if (srv == NULL)
		return;
	memset(srv, 0, sizeof(*srv));
	srv->size = sizeof(*srv);
	srv->tls = SMTPC_TLS_STARTTLS;
}

int
smtpc_session_new(const struct smtpc_server *cfg,
    struct smtpc_session **ret, struct smtpc_error *err)
{
	struct smtpc_session *s;
	unsigned char pin[32];
	int rc, have_pin = 0;

	if (cfg == NULL)
		return error_set(err, SMTPC_EINVAL, NULL, "no server");
	/* Every field of ABI 1 must be there; later ones are checked. */
	if (!SERVER_HAS(cfg, event_user))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "struct smtpc_server not initialised (smtpc_server_init)");
	if (cfg->host == NULL || cfg->host[0] == '\0')
		return error_set(err, SMTPC_EINVAL, NULL, "no server host");
	if (!session_text_ok(cfg->host) || strchr(cfg->host, ' ') != NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid server host name");
	if (cfg->port > 65535)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid port %u", cfg->port);
	if (cfg->tls != SMTPC_TLS_STARTTLS && cfg->tls != SMTPC_TLS_IMPLICIT &&
	    cfg->tls != SMTPC_TLS_NONE)
		return error_set(err, SMTPC_EINVAL, NULL, "invalid TLS mode");
	if (cfg->helo != NULL && !session_helo_ok(cfg->helo))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "invalid HELO name (a host name or [address] is needed)");
	if (cfg->user != NULL && (cfg->user[0] == '\0' ||
	    !session_text_ok(cfg->user)))
		return error_set(err, SMTPC_EINVAL, NULL, "invalid user name");
	/*
	 * A wrong --auth is the caller's to fix, not the server's: EINVAL
	 * here, ENOMECH only for what the server offers.
	 */
	if (cfg->auth_mech != NULL && sasl_find(cfg->auth_mech) == NULL)
		return error_set(err, SMTPC_EINVAL, NULL,
		    "authentication mechanism %.64s is not supported",
		    session_text_ok(cfg->auth_mech) ? cfg->auth_mech : "?");
	/* A token in a password mechanism (or the reverse): say so now. */
	if (cfg->auth_mech != NULL && cfg->user != NULL &&
	    !(sasl_find(cfg->auth_mech)->secret & (cfg->oauth_token != NULL ?
	    SASL_HAVE_TOKEN : SASL_HAVE_PASSWORD)))
		return error_set(err, SMTPC_EINVAL, NULL,
		    "%s needs %s", sasl_find(cfg->auth_mech)->name,
		    cfg->oauth_token != NULL ?
		    "a password, not an OAuth token" :
		    "an OAuth token (--oauth-token-cmd)");
	if (cfg->password != NULL && strlen(cfg->password) > SESSION_PASS_MAX)
		return error_set(err, SMTPC_ELIMIT, NULL,
		    "password longer than %d bytes", SESSION_PASS_MAX);
	if ((rc = session_check_auth_tls(cfg, pin, &have_pin, err)) != 0)
		return rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	buf_init(&s->password, SESSION_PASS_MAX);
	buf_init(&s->cmd, SESSION_CMD_MAX);
	buf_init(&s->tmp, LIMIT_REPLY_TOTAL * 2);
	reply_init(&s->reply);
	reply_caps_init(&s->caps);
	s->io = &session_io_conn;
	s->state = SESSION_INIT;
	s->tls = cfg->tls;
	s->port = cfg->port;
	if (s->port == 0)
		s->port = cfg->tls == SMTPC_TLS_IMPLICIT ? 465 :
		    cfg->tls == SMTPC_TLS_NONE ? 25 : 587;
	s->insecure = cfg->insecure;
	s->timeout = cfg->timeout;
	s->event = cfg->event;
	s->event_user = cfg->event_user;
	s->helo_given = cfg->helo != NULL;
	if ((s->scratch = smtpc_result_new()) == NULL ||
	    session_strdup(&s->host, cfg->host) != 0 ||
	    session_strdup(&s->cafile, cfg->cafile) != 0 ||
	    session_strdup(&s->helo, cfg->helo) != 0 ||
	    session_strdup(&s->user, cfg->user) != 0 ||
	    session_strdup(&s->auth_mech, cfg->auth_mech) != 0 ||
	    session_strdup(&s->cert_file, cfg->cert_file) != 0 ||
	    session_strdup(&s->key_file, cfg->key_file) != 0 ||
	    session_strdup(&s->tls_cache, SERVER_HAS(cfg, tls_cache) ?
	    cfg->tls_cache : NULL) != 0 ||
	    (cfg->password != NULL &&
	    buf_append_str(&s->password, cfg->password) != 0) ||
	    (cfg->oauth_token != NULL &&
	    buf_append_str(&s->password, cfg->oauth_token) != 0)) {
		smtpc_session_free(s);
		return error_set(err, SMTPC_ENOMEM, NULL, "out of memory");
	}
	s->secret_kind = cfg->oauth_token != NULL ? SASL_HAVE_TOKEN :
	    SASL_HAVE_PASSWORD;
	memcpy(s->pin, pin, sizeof(s->pin));
	s->have_pin = have_pin;
	OPENSSL_cleanse(pin, sizeof(pin));
	*ret = s;
	return 0;
}

void
smtpc_session_free(struct smtpc_session *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		s->io->close(s->conn);
	smtpc_result_free(s->scratch);
	buf_wipe_free(&s->password);
	buf_wipe_free(&s->cmd);
	buf_free(&s->tmp);
	reply_free(&s->reply);
	reply_caps_free(&s->caps);
	OPENSSL_cleanse(s->line, sizeof(s->line));
	free(s->host);
	free(s->cafile);
	free(s->helo);
	free(s->user);
	free(s->auth_mech);
	free(s->dsn_envid);
	free(s->cert_file);
	free(s->key_file);
	free(s->tls_cache);
	free(s);
}
