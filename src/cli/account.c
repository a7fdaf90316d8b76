/* SPDX-License-Identifier: ISC */
/*
 * account.c - apply the account of the configuration file to a run: the
 * command line is laid over the account with config_set() (so that
 * `check` can say where each setting came from), then the options are
 * read back from the account in smtpc's terms.  msmtp's meanings hold:
 * "tls off" is no TLS, "auth off" no AUTH even with a user, the port
 * follows the TLS mode.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "report.h"

static int
account_set(struct config_account *a, const char *key, const char *value,
    struct smtpc_error *err)
{
	int rc = config_set(a, key, value, ACCOUNT_CMDLINE, err);

	/* A bad value typed on the command line is a usage error. */
	if (rc == SMTPC_ECONFIG && err != NULL)
		err->code = rc = SMTPC_EINVAL;
	return rc;
}

/* "01:23:..": the only form a file takes; -tls-fingerprint may omit ':'. */
static void
account_fingerprint(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in != '\0' && n + 3 < cap; in++) {
		if (*in == ':')
			continue;
		if (n % 3 == 2)
			out[n++] = ':';
		out[n++] = *in;
	}
	out[n] = '\0';
}

static void
account_dsn_notify(unsigned bits, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} w[] = {
	    {SMTPC_DSN_FAILURE, "failure"},
	    {SMTPC_DSN_DELAY, "delay"},
	    {SMTPC_DSN_SUCCESS, "success"},
	};
	size_t n = 0;

	out[0] = '\0';
	if (bits == SMTPC_DSN_NEVER) {
		snprintf(out, cap, "never");
		return;
	}
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if ((bits & w[i].bit) != 0 && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
			    n > 0 ? "," : "", w[i].name);
}

/* The address alone of -f ("Name <a@b>" gives "a@b"); NULL if invalid. */
static char *
account_address(const char *from)
{
	struct smtpc_msg *m = smtpc_msg_new();
	const char *addr;
	char *copy = NULL;

	if (m != NULL && smtpc_msg_set_from(m, from, NULL) == 0 &&
	    (addr = smtpc_msg_envelope_from(m)) != NULL)
		copy = strdup(addr);
	smtpc_msg_free(m);
	return copy;
}

static int
account_is_pattern(const char *from)
{
	return strpbrk(from, "*?[") != NULL;
}

/* The command line's server settings, laid over the account. */
static int
account_lay_cmdline(const struct cli_opts *o, struct config_account *a,
    struct smtpc_error *err)
{
	char buf[128];
	char *addr;
	int rc = 0;

#define SET(k, v)                                                              \
	do {                                                                   \
		if ((rc = account_set(a, (k), (v), err)) != 0)                 \
			return rc;                                             \
	} while (0)
	if (o->host != NULL)
		SET("host", o->host);
	if (o->port != 0) {
		snprintf(buf, sizeof(buf), "%u", o->port);
		SET("port", buf);
	}
	if (o->tls_set) {
		SET("tls", o->tls == SMTPC_TLS_NONE ? "off" : "on");
		if (o->tls != SMTPC_TLS_NONE)
			SET("tls_starttls",
			    o->tls == SMTPC_TLS_STARTTLS ? "on" : "off");
	}
	if (o->cafile != NULL)
		SET("tls_trust_file", o->cafile);
	if (o->insecure) {
		SET("tls_certcheck", "off");
		SET("tls_fingerprint", "");
	}
	if (o->tls_fingerprint != NULL) {
		account_fingerprint(o->tls_fingerprint, buf, sizeof(buf));
		SET("tls_fingerprint", buf);
		SET("tls_certcheck", "on");
	}
	if (o->cert_file != NULL) {
		SET("tls_cert_file", o->cert_file);
		/* The account's key belongs to the account's certificate. */
		SET("tls_key_file", o->key_file != NULL ? o->key_file : "");
	}
	if (o->user != NULL) {
		SET("user", o->user);
		/* -u asks for AUTH, whatever the account says. */
		if (a->auth == CONFIG_AUTH_OFF)
			SET("auth", "on");
	}
	if (o->auth != NULL) {
		size_t i;

		for (i = 0; o->auth[i] != '\0' && i + 1 < sizeof(buf); i++)
			buf[i] = (char)tolower((unsigned char)o->auth[i]);
		buf[i] = '\0';
		SET("auth", buf);
	}
	if (o->helo != NULL)
		SET("domain", o->helo);
	if (o->timeout != 0) {
		snprintf(buf, sizeof(buf), "%u", o->timeout);
		SET("timeout", buf);
	}
	if (o->dsn_notify != 0) {
		account_dsn_notify(o->dsn_notify, buf, sizeof(buf));
		SET("dsn_notify", buf);
	}
	if (o->dsn_ret != SMTPC_DSN_RET_DEFAULT)
		SET("dsn_return",
		    o->dsn_ret == SMTPC_DSN_RET_FULL ? "full" : "headers");
	/* msmtp: with allow_from_override off, -f does not move the sender. */
	if (o->from != NULL && (a->allow_from_override || a->from == NULL) &&
	    (addr = account_address(o->from)) != NULL) {
		rc = account_set(a, "from", addr, err);
		free(addr);
	}
#undef SET
	return rc;
}

static void
account_origin(const struct config_account *a, enum config_key k, char *out,
    size_t cap)
{
	const struct config_origin *og = &a->origin[k];

	if (og->file == NULL)
		snprintf(out, cap, "default");
	else if (og->line == 0)
		snprintf(out, cap, "%s", og->file);
	else
		snprintf(out, cap, "%s:%u", og->file, og->line);
}

int
account_build_from(const char *name, const char *addr, char **ret)
{
	size_t n = strlen(name), cap = 2 * n + strlen(addr) + 6, m = 0;
	char *s;

	if ((s = malloc(cap)) == NULL)
		return SMTPC_ENOMEM;
	s[m++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '"' || name[i] == '\\')
			s[m++] = '\\';
		s[m++] = name[i];
	}
	snprintf(s + m, cap - m, "\" <%s>", addr);
	*ret = s;
	return 0;
}

static enum cli_queue
account_queue_mode(enum config_queue q)
{
	switch (q) {
	case CONFIG_QUEUE_ON_TEMPFAIL:
		return CLI_QUEUE_ON_TEMPFAIL;
	case CONFIG_QUEUE_ALWAYS:
		return CLI_QUEUE_ALWAYS;
	case CONFIG_QUEUE_BACKGROUND:
		return CLI_QUEUE_BACKGROUND;
	default:
		return CLI_QUEUE_NEVER;
	}
}

/* The account, with the command line over it, into `o`. */
static int
account_fill(struct cli_opts *o, struct config_account *a,
    struct account *ac, struct smtpc_error *err)
{
	char where[280];

	o->account_name = a->name;
	if (a->host != NULL) {
		char *h = strdup(a->host);

		if (h == NULL)
			return SMTPC_ENOMEM;
		free(o->host);
		o->host = h;
	}
	o->port = config_port(a);
	o->tls = config_tls_mode(a);
	o->tls_set = 1;
	o->tls_fingerprint = a->tls_fingerprint;
	o->insecure = !a->tls_certcheck && a->tls_fingerprint == NULL;
	o->cafile = a->tls_trust_file;
	if (o->cafile != NULL && o->cafile[0] == '\0') {
		if (a->tls_fingerprint == NULL && a->tls_certcheck &&
		    o->tls != SMTPC_TLS_NONE) {
			account_origin(a, CONFIG_TLS_TRUST_FILE, where,
			    sizeof(where));
			memset(err, 0, sizeof(*err));
			err->code = SMTPC_ECONFIG;
			snprintf(err->message, sizeof(err->message),
			    "%s: tls_trust_file is empty, so no certificate "
			    "can be trusted: set tls_fingerprint, or a file",
			    where);
			return SMTPC_ECONFIG;
		}
		o->cafile = NULL;
	}
	o->cert_file = a->tls_cert_file;
	o->key_file = a->tls_key_file;
	o->helo = a->domain;
	o->timeout = a->timeout;
	o->dsn_notify = a->dsn_notify;
	o->dsn_ret = a->dsn_return;
	o->logfile = a->logfile;
	/* The command line's --queue wins over the account's. */
	if (o->queue == CLI_QUEUE_UNSET)
		o->queue = account_queue_mode(a->queue);
	o->syslog = a->syslog;
	o->from_header_off = a->set_from_header == CONFIG_FROM_HEADER_OFF;
	if (a->set_from_header == CONFIG_FROM_HEADER_ON) {
		account_origin(a, CONFIG_SET_FROM_HEADER,
		    ac->from_header_origin, sizeof(ac->from_header_origin));
		o->from_header_on = ac->from_header_origin;
	}

	if (a->auth == CONFIG_AUTH_OFF) {
		o->no_auth = 1;
		o->user = NULL;
		o->auth = NULL;
	} else {
		o->user = a->user;
		o->auth = a->user != NULL ? config_auth_mech(a->auth) : NULL;
		o->acct_token = a->auth == CONFIG_AUTH_OAUTHBEARER ||
		    a->auth == CONFIG_AUTH_XOAUTH2;
		if (a->user == NULL) {
			account_origin(a, CONFIG_AUTH, ac->auth_origin,
			    sizeof(ac->auth_origin));
			o->auth_origin = ac->auth_origin;
		}
		/* A source on the command line wins over the file's. */
		if (o->password_file == NULL && o->password_cmd == NULL &&
		    o->oauth_token_cmd == NULL) {
			o->acct_password = a->password;
			o->acct_passwordeval = a->passwordeval;
			account_origin(a, a->password != NULL ?
			    CONFIG_PASSWORD : CONFIG_PASSWORDEVAL, where,
			    sizeof(where));
			snprintf(ac->secret_origin, sizeof(ac->secret_origin),
			    "%s (%s)", a->password != NULL ? "password" :
			    "passwordeval", where);
			o->acct_secret_origin = ac->secret_origin;
		} else {
			o->acct_token = 0;
		}
	}

	if (a->from != NULL && !account_is_pattern(a->from)) {
		if (o->from == NULL) {
			if (a->from_full_name != NULL &&
			    a->from_full_name[0] != '\0') {
				if (account_build_from(a->from_full_name,
				    a->from, &ac->from) != 0)
					return SMTPC_ENOMEM;
				o->from = ac->from;
			} else {
				o->from = a->from;
			}
		} else if (!a->allow_from_override) {
			o->envelope_from = a->from;
		}
	}
	return 0;
}

int
account_merge(struct cli_opts *o, struct config_account *a,
    struct account *ac, struct smtpc_error *err)
{
	int rc;

	if ((rc = account_lay_cmdline(o, a, err)) != 0)
		return rc;
	if ((rc = config_account_check(a, err)) != 0)
		return rc;
	if ((rc = account_fill(o, a, ac, err)) == SMTPC_ENOMEM) {
		memset(err, 0, sizeof(*err));
		err->code = rc;
	}
	return rc;
}

int
account_apply(struct cli_opts *o, struct account *ac)
{
	struct smtpc_error err;
	char *addr = NULL;
	int rc;

	memset(&err, 0, sizeof(err));
	if (config_open(o->config_file, &ac->cfg, &err) != 0)
		return report_error(&err);
	if (o->from != NULL)
		addr = account_address(o->from);
	rc = config_select(ac->cfg, o->account, addr, &ac->acct, &err);
	free(addr);
	if (rc != 0)
		return report_error(&err);
	if (ac->acct == NULL)
		return 0;
	if (account_merge(o, ac->acct, ac, &err) != 0)
		return report_error(&err);
	return 0;
}

static void
account_print_cmd(FILE *fp, const char *key, const char *value)
{
	fprintf(fp, "%s ", key);
	report_escaped(fp, value, strlen(value));
	fprintf(fp, "  (%s)\n", ACCOUNT_CMDLINE);
}

void
account_print(FILE *fp, const struct account *ac, const struct cli_opts *o)
{
	const struct config_ignored *ig;

	if (ac->acct == NULL)
		return;
	fprintf(fp, "account %s  (", ac->acct->name);
	report_escaped(fp, config_path(ac->cfg), strlen(config_path(ac->cfg)));
	fputs(")\n", fp);
	config_print(fp, ac->acct);
	if (o->password_file != NULL)
		account_print_cmd(fp, "password-file", o->password_file);
	if (o->password_cmd != NULL)
		account_print_cmd(fp, "password-cmd", o->password_cmd);
	if (o->oauth_token_cmd != NULL)
		account_print_cmd(fp, "oauth-token-cmd", o->oauth_token_cmd);
	for (size_t i = 0; i < config_ignored_count(ac->cfg); i++) {
		ig = config_ignored_at(ac->cfg, i);
		fprintf(fp, "ignored %s  (", ig->key);
		report_escaped(fp, ig->file, strlen(ig->file));
		fprintf(fp, ":%u)\n", ig->line);
	}
	fputc('\n', fp);
}

void
account_free(struct account *ac)
{
	config_free(ac->cfg);
	free(ac->from);
	memset(ac, 0, sizeof(*ac));
}
