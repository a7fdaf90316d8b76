/* SPDX-License-Identifier: ISC */
/*
 * queue_conn.c - the connection options of a queued message, kept and
 * laid out again (queue_conn.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_conn.h"

#define QC_ENOMEM 71

static int
qc_add(struct queue_conn *c, const char *key, const char *value)
{
	struct spool_param *p;

	if ((p = realloc(c->param, (c->n + 1) * sizeof(*p))) == NULL)
		return -1;
	c->param = p;
	p[c->n].key = strdup(key);
	p[c->n].value = strdup(value);
	if (p[c->n].key == NULL || p[c->n].value == NULL) {
		free(p[c->n].key);
		free(p[c->n].value);
		return -1;
	}
	c->n++;
	return 0;
}

/* A file name made absolute against the current directory. */
static int
qc_add_path(struct queue_conn *c, const char *key, const char *path)
{
	char cwd[PATH_MAX], buf[2 * PATH_MAX + 2];

	if (path == NULL)
		return 0;
	if (path[0] == '/' || path[0] == '~' || strcmp(path, "-") == 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return qc_add(c, key, path);
	snprintf(buf, sizeof(buf), "%s/%s", cwd, path);
	return qc_add(c, key, buf);
}

static int
qc_add_num(struct queue_conn *c, const char *key, unsigned long v, int set)
{
	char buf[32];

	if (!set)
		return 0;
	snprintf(buf, sizeof(buf), "%lu", v);
	return qc_add(c, key, buf);
}

static int
qc_add_str(struct queue_conn *c, const char *key, const char *v)
{
	return v != NULL ? qc_add(c, key, v) : 0;
}

int
queue_conn_capture(const struct cli_opts *o, struct queue_conn *c)
{
	memset(c, 0, sizeof(*c));
	if (qc_add_str(c, "host", o->host) != 0 ||
	    qc_add_num(c, "port", o->port, o->port != 0) != 0 ||
	    qc_add_num(c, "tls", (unsigned long)o->tls, o->tls_set) != 0 ||
	    qc_add_path(c, "cafile", o->cafile) != 0 ||
	    qc_add_num(c, "insecure", 1, o->insecure) != 0 ||
	    qc_add_str(c, "user", o->user) != 0 ||
	    qc_add_str(c, "auth", o->auth) != 0 ||
	    qc_add_path(c, "password-file", o->password_file) != 0 ||
	    qc_add_str(c, "password-cmd", o->password_cmd) != 0 ||
	    qc_add_str(c, "oauth-token-cmd", o->oauth_token_cmd) != 0 ||
	    qc_add_num(c, "allow-plaintext-auth", 1,
	    o->allow_plaintext_auth) != 0 ||
	    qc_add_str(c, "tls-fingerprint", o->tls_fingerprint) != 0 ||
	    qc_add_num(c, "no-tls-cache", 1, o->no_tls_cache) != 0 ||
	    qc_add_path(c, "cert", o->cert_file) != 0 ||
	    qc_add_path(c, "key", o->key_file) != 0 ||
	    qc_add_str(c, "helo", o->helo) != 0 ||
	    qc_add_num(c, "timeout", o->timeout, o->timeout != 0) != 0 ||
	    qc_add_num(c, "no-pipelining", 1, o->no_pipelining) != 0 ||
	    qc_add_num(c, "no-chunking", 1, o->no_chunking) != 0 ||
	    qc_add_num(c, "dsn-notify", o->dsn_notify,
	    o->dsn_notify != 0) != 0 ||
	    qc_add_num(c, "dsn-ret", (unsigned long)o->dsn_ret,
	    o->dsn_ret != SMTPC_DSN_RET_DEFAULT) != 0 ||
	    qc_add_str(c, "dsn-envid", o->dsn_envid) != 0) {
		queue_conn_free(c);
		fprintf(stderr, "smtpc: out of memory\n");
		return QC_ENOMEM;
	}
	return 0;
}

int
queue_conn_account(
    struct queue_conn *c, const char *config_path, const char *account)
{
	if (account == NULL)
		return 0;
	if (qc_add_path(c, "config", config_path) != 0 ||
	    qc_add(c, "account", account) != 0) {
		fprintf(stderr, "smtpc: out of memory\n");
		return QC_ENOMEM;
	}
	return 0;
}

void
queue_conn_free(struct queue_conn *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->param[i].key);
		free(c->param[i].value);
	}
	free(c->param);
	memset(c, 0, sizeof(*c));
}

static unsigned long
qc_num(const char *v)
{
	return strtoul(v, NULL, 10);
}

int
queue_conn_apply(const struct spool_param *param, size_t n,
    struct cli_opts *o, int *ret_has_account)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->command = CLI_CMD_SEND;
	o->queue = CLI_QUEUE_NEVER;
	*ret_has_account = 0;
	for (i = 0; i < n; i++) {
		const char *k = param[i].key, *v = param[i].value;

		if (strcmp(k, "host") == 0) {
			free(o->host);
			if ((o->host = strdup(v)) == NULL)
				return -1;
		} else if (strcmp(k, "port") == 0)
			o->port = (unsigned)qc_num(v);
		else if (strcmp(k, "tls") == 0) {
			o->tls = (enum smtpc_tls_mode)qc_num(v);
			o->tls_set = 1;
		} else if (strcmp(k, "cafile") == 0)
			o->cafile = v;
		else if (strcmp(k, "insecure") == 0)
			o->insecure = 1;
		else if (strcmp(k, "user") == 0)
			o->user = v;
		else if (strcmp(k, "auth") == 0)
			o->auth = v;
		else if (strcmp(k, "password-file") == 0)
			o->password_file = v;
		else if (strcmp(k, "password-cmd") == 0)
			o->password_cmd = v;
		else if (strcmp(k, "oauth-token-cmd") == 0)
			o->oauth_token_cmd = v;
		else if (strcmp(k, "allow-plaintext-auth") == 0)
			o->allow_plaintext_auth = 1;
		else if (strcmp(k, "tls-fingerprint") == 0)
			o->tls_fingerprint = v;
		else if (strcmp(k, "no-tls-cache") == 0)
			o->no_tls_cache = 1;
		else if (strcmp(k, "cert") == 0)
			o->cert_file = v;
		else if (strcmp(k, "key") == 0)
			o->key_file = v;
		else if (strcmp(k, "helo") == 0)
			o->helo = v;
		else if (strcmp(k, "timeout") == 0)
			o->timeout = (unsigned)qc_num(v);
		else if (strcmp(k, "no-pipelining") == 0)
			o->no_pipelining = 1;
		else if (strcmp(k, "no-chunking") == 0)
			o->no_chunking = 1;
		else if (strcmp(k, "dsn-notify") == 0)
			o->dsn_notify = (unsigned)qc_num(v);
		else if (strcmp(k, "dsn-ret") == 0)
			o->dsn_ret = (enum smtpc_dsn_ret)qc_num(v);
		else if (strcmp(k, "dsn-envid") == 0)
			o->dsn_envid = v;
		else if (strcmp(k, "config") == 0)
			o->config_file = v;
		else if (strcmp(k, "account") == 0) {
			o->account = v;
			*ret_has_account = 1;
		}
	}
	return 0;
}

int
queue_conn_is_message_key(const char *key)
{
	return strcmp(key, "smtputf8") == 0 || strcmp(key, "8bit") == 0;
}

/* The value of connection key `key` in a parameter list, or NULL. */
static const char *
qc_find(const struct spool_param *p, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* Every connection key of `a` is in `b` with the same value. */
static int
qc_within(const struct spool_param *a, size_t na,
    const struct spool_param *b, size_t nb)
{
	const char *v;
	size_t i;

	for (i = 0; i < na; i++) {
		if (queue_conn_is_message_key(a[i].key))
			continue;
		if ((v = qc_find(b, nb, a[i].key)) == NULL ||
		    strcmp(v, a[i].value) != 0)
			return 0;
	}
	return 1;
}

int
queue_conn_same(const struct spool_param *a, size_t na,
    const struct spool_param *b, size_t nb)
{
	return qc_within(a, na, b, nb) && qc_within(b, nb, a, na);
}
