/* SPDX-License-Identifier: ISC */
/*
 * compose.c - message options to struct smtpc_msg, through the public API.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "report.h"

/* Bodies read from standard input are held in memory; bound them. */
#define COMPOSE_STDIN_MAX (64u * 1024 * 1024)

static int
compose_read_stdin(char **ret, size_t *ret_len)
{
	size_t cap = 65536, len = 0;
	char *data = malloc(cap), *p;
	ssize_t n;

	if (data == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			if (cap >= COMPOSE_STDIN_MAX) {
				fprintf(stderr,
				    "smtpc: body on standard input "
				    "is larger than %u MiB\n",
				    COMPOSE_STDIN_MAX >> 20);
				free(data);
				return 65;
			}
			cap *= 2;
			if ((p = realloc(data, cap)) == NULL) {
				free(data);
				return 71;
			}
			data = p;
		}
		n = read(STDIN_FILENO, data + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr,
			    "smtpc: cannot read standard input: "
			    "%s\n",
			    strerror(errno));
			free(data);
			return 74;
		}
		len += (size_t)n;
	}
	*ret = data;
	*ret_len = len;
	return 0;
}

typedef int compose_mem_fn(
    struct smtpc_msg *, const char *, size_t, struct smtpc_error *);
typedef int compose_file_fn(
    struct smtpc_msg *, const char *, struct smtpc_error *);

/* One body (text or HTML) from an argument, a file or standard input. */
static int
compose_body(struct smtpc_msg *msg, const char *inline_text, const char *path,
    compose_mem_fn *set_mem, compose_file_fn *set_file, struct smtpc_error *err)
{
	char *data;
	size_t len;
	int rc;

	if (inline_text != NULL)
		return set_mem(msg, inline_text, strlen(inline_text), err)
		    ? report_error(err)
		    : 0;
	if (path == NULL)
		return 0;
	if (strcmp(path, "-") != 0)
		return set_file(msg, path, err) ? report_error(err) : 0;
	if ((rc = compose_read_stdin(&data, &len)) != 0)
		return rc;
	rc = set_mem(msg, data, len, err) ? report_error(err) : 0;
	free(data);
	return rc;
}

/* 1 when `path` names the very file or pipe that standard input is. */
static int
compose_names_stdin(const char *path, const struct stat *in)
{
	struct stat st;

	return path != NULL && strcmp(path, "-") != 0 &&
	    stat(path, &st) == 0 && st.st_dev == in->st_dev &&
	    st.st_ino == in->st_ino;
}

/*
 * Without a body option, standard input is the text body, as mailx
 * reads it, unless it is a terminal (a person would be typing with no
 * prompt: the body stays empty), closed, or named by another input.  The
 * last keeps `--password-file /dev/stdin`, a netrc or a certificate on
 * stdin out of the body.  A command (--password-cmd) run later finds
 * stdin at its end: it cannot be told apart, so the manual says so.
 */
static int
compose_stdin_is_body(const struct cli_opts *o)
{
	struct stat in;

	if (o->text || o->text_file || o->html || o->html_file)
		return 0;
	if (fstat(STDIN_FILENO, &in) != 0 || isatty(STDIN_FILENO))
		return 0;
	if (compose_names_stdin(o->password_file, &in) ||
	    compose_names_stdin(o->cafile, &in) ||
	    compose_names_stdin(o->cert_file, &in) ||
	    compose_names_stdin(o->key_file, &in) ||
	    compose_names_stdin(getenv("NETRC"), &in))
		return 0;
	for (size_t i = 0; i < o->nfiles; i++)
		if (compose_names_stdin(o->files[i].path, &in))
			return 0;
	return 1;
}

/* The body from standard input; empty input is the same as no body. */
static int
compose_stdin_body(struct smtpc_msg *msg, struct smtpc_error *err)
{
	char *data;
	size_t len;
	int rc;

	if ((rc = compose_read_stdin(&data, &len)) != 0)
		return rc;
	if (len > 0 && (rc = smtpc_msg_set_text(msg, data, len, err)) != 0) {
		/* Nobody asked for a body: say where this one came from. */
		if (rc == SMTPC_EDATA)
			snprintf(err->message, sizeof(err->message),
			    "standard input, read as the body, is not valid "
			    "UTF-8 text (attach other data with -a FILE)");
		rc = report_error(err);
	}
	free(data);
	return rc;
}

/* "Name: value" from -H. */
static int
compose_header(
    struct smtpc_msg *msg, const char *field, struct smtpc_error *err)
{
	const char *colon = strchr(field, ':');
	const char *value;
	char *name;
	int rc;

	if (colon == NULL || colon == field) {
		fprintf(
		    stderr, "smtpc: -H takes 'Name: value', not '%s'\n", field);
		return 64;
	}
	name = strndup(field, (size_t)(colon - field));
	if (name == NULL)
		return 71;
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	rc =
	    smtpc_msg_add_header(msg, name, value, err) ? report_error(err) : 0;
	free(name);
	return rc;
}

static int
compose_files(
    struct smtpc_msg *msg, const struct cli_opts *o, struct smtpc_error *err)
{
	for (size_t i = 0; i < o->nfiles; i++) {
		const struct cli_file *f = &o->files[i];
		int rc;

		if (f->role == CLI_FILE_INLINE)
			rc = smtpc_msg_add_inline(
			    msg, f->path, f->type, f->cid, err);
		else
			rc = smtpc_msg_add_attachment(
			    msg, f->path, f->type, f->name, err);
		if (rc != 0)
			return report_error(err);
	}
	return 0;
}

static int
compose_addresses(
    struct smtpc_msg *msg, const struct cli_opts *o, struct smtpc_error *err)
{
	if (smtpc_msg_set_from(msg, o->from, err) != 0)
		return report_error(err);
	/* Each argument is an address list: A <a@x>, "Last, First" <b@x>. */
	for (size_t i = 0; i < o->nrcpts; i++)
		if (smtpc_msg_add_recipient_list(
			msg, o->rcpts[i].kind, o->rcpts[i].address, err) != 0)
			return report_error(err);
	for (size_t i = 0; i < o->nreply_to; i++)
		if (smtpc_msg_add_reply_to_list(msg, o->reply_to[i], err) != 0)
			return report_error(err);
	return 0;
}

/*
 * Test aid, not an interface: SMTPC_TEST_SEED (a number) makes boundaries
 * and the Message-ID reproducible, SMTPC_TEST_DATE (seconds since 1970)
 * fixes the Date, so golden files and the conformance test are byte-exact.
 */
static void
compose_test_hooks(struct smtpc_msg *msg)
{
	const char *v;
	char *end;
	unsigned long long n;

	if ((v = getenv("SMTPC_TEST_SEED")) != NULL && *v != '\0') {
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno == 0 && *end == '\0')
			smtpc_msg_set_seed(msg, (uint64_t)n);
	}
	if ((v = getenv("SMTPC_TEST_DATE")) != NULL && *v != '\0') {
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno == 0 && *end == '\0')
			smtpc_msg_set_date(msg, (time_t)n);
	}
}

int
compose_message(const struct cli_opts *o, struct smtpc_msg **ret)
{
	struct smtpc_error err;
	struct smtpc_msg *msg;
	int rc;

	if ((msg = smtpc_msg_new()) == NULL) {
		fprintf(stderr, "smtpc: out of memory\n");
		return 71;
	}
	if ((rc = compose_addresses(msg, o, &err)) != 0)
		goto fail;
	if (o->subject != NULL &&
	    smtpc_msg_set_subject(msg, o->subject, &err) != 0) {
		rc = report_error(&err);
		goto fail;
	}
	for (size_t i = 0; i < o->nheaders; i++)
		if ((rc = compose_header(msg, o->headers[i], &err)) != 0)
			goto fail;
	if ((rc = compose_body(msg, o->text, o->text_file, smtpc_msg_set_text,
		 smtpc_msg_set_text_file, &err)) != 0)
		goto fail;
	if ((rc = compose_body(msg, o->html, o->html_file, smtpc_msg_set_html,
		 smtpc_msg_set_html_file, &err)) != 0)
		goto fail;
	if (compose_stdin_is_body(o) &&
	    (rc = compose_stdin_body(msg, &err)) != 0)
		goto fail;
	if ((rc = compose_files(msg, o, &err)) != 0)
		goto fail;
	compose_test_hooks(msg);
	*ret = msg;
	return 0;
fail:
	smtpc_msg_free(msg);
	return rc;
}
