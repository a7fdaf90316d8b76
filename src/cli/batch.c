/* SPDX-License-Identifier: ISC */
/*
 * batch.c - the program's side of smtpc batch (batch.h): reading the
 * inputs one message at a time, making each message (composed from a
 * JSON line, or loaded ready), and reporting each result in its turn.
 * At most the two messages the library holds are alive at once, so
 * memory stays flat however long the input.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "jsonl.h"
#include "report.h"
#include "report_json.h"

enum batch_kind {
	BATCH_JSONL,
	BATCH_DIR,	/* .eml files, or a Maildir's new/ and cur/ */
	BATCH_MBOX,
};

struct batch_input {
	enum batch_kind kind;
	const char *path;
	FILE *fp;
	char **files;		/* BATCH_DIR: full paths, sorted */
	size_t nfiles, next;
	unsigned long line;	/* of the file: the last line read */
	char *buf;
	size_t cap;
	int pending_from;	/* BATCH_MBOX: a "From " line is read */
	unsigned long from_line;
};

/* One message between next and done. */
struct batch_item {
	struct smtpc_msg *msg;
	char *envelope_from;
	unsigned long line;	/* 1-based: the line, or the message number */
	const char *where;	/* the input's name */
	int bad;		/* the input was unusable */
};

struct batch_ctx {
	const struct cli_opts *o;
	struct batch_input in;
	size_t cur;
	unsigned long seq;
	unsigned long sent, temp, refused, bad, other;
	int other_code;
	int input_failed;	/* an input could not be opened */
};

static volatile sig_atomic_t batch_stop;

static void
batch_on_sigint(int sig)
{
	(void)sig;
	batch_stop = 1;
}

static void
batch_item_free(struct batch_item *it)
{
	if (it == NULL)
		return;
	smtpc_msg_free(it->msg);
	free(it->envelope_from);
	free(it);
}

static int
batch_err(struct smtpc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failure of ours, as the library would say it. */
static int
batch_err(struct smtpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* A line into in->buf (no newline); 0 at the end, -1 too long / error. */
static int
batch_getline(struct batch_input *in, size_t *ret_len, int *too_long)
{
	size_t len = 0;
	int c;

	*too_long = 0;
	for (;;) {
		/* One thread reads the input: no lock per byte. */
		c = getc_unlocked(in->fp);
		if (c == EOF) {
			if (len == 0 && !*too_long)
				return ferror(in->fp) ? -1 : 0;
			break;
		}
		if (c == '\n')
			break;
		if (len >= JSONL_LINE_MAX) {
			*too_long = 1;	/* read on to the line's end */
			continue;
		}
		if (len + 1 >= in->cap) {
			size_t ncap = in->cap ? in->cap * 2 : 4096;
			char *p = realloc(in->buf, ncap);

			if (p == NULL)
				return -1;
			in->buf = p;
			in->cap = ncap;
		}
		in->buf[len++] = (char)c;
	}
	in->line++;
	if (in->buf == NULL && (in->buf = malloc(in->cap = 4096)) == NULL)
		return -1;
	in->buf[len] = '\0';
	*ret_len = len;
	return 1;
}

/* A ready message from an open descriptor, envelope as sendmail -t. */
static int
batch_load(struct batch_item *it, int fd, unsigned flags,
    struct smtpc_error *err)
{
	if ((it->msg = smtpc_msg_new()) == NULL)
		return SMTPC_ENOMEM;
	return smtpc_msg_load_fd(it->msg, fd, flags, err);
}

/* A JSON value that is a string, or an array of strings: each to fn. */
typedef int batch_str_fn(struct batch_item *it, const char *key,
    const char *s, struct smtpc_error *err);

static int
batch_each(struct batch_item *it, const struct json_value *v,
    const char *key, batch_str_fn *fn, struct smtpc_error *err)
{
	size_t i;
	int rc;

	if (v->type == JSON_STRING)
		return fn(it, key, v->str, err);
	if (v->type != JSON_ARRAY)
		return batch_err(err, SMTPC_EDATA, "\"%s\" must be a string "
		    "or an array of strings", key);
	for (i = 0; i < v->n; i++) {
		if (v->items[i].type != JSON_STRING)
			return batch_err(err, SMTPC_EDATA, "\"%s\" must be a "
			    "string or an array of strings", key);
		if ((rc = fn(it, key, v->items[i].str, err)) != 0)
			return rc;
	}
	return 0;
}

static int
batch_rcpt(struct batch_item *it, const char *key, const char *s,
    struct smtpc_error *err)
{
	enum smtpc_rcpt_kind kind = strcmp(key, "cc") == 0 ? SMTPC_RCPT_CC :
	    strcmp(key, "to") == 0 ? SMTPC_RCPT_TO : SMTPC_RCPT_BCC;

	/* "rcpt" of a ready message: the envelope only, never the header. */
	if (strcmp(key, "rcpt") == 0)
		return smtpc_msg_add_recipient(it->msg, kind, s, err);
	return smtpc_msg_add_recipient_list(it->msg, kind, s, err);
}

static int
batch_reply_to(struct batch_item *it, const char *key, const char *s,
    struct smtpc_error *err)
{
	(void)key;
	return smtpc_msg_add_reply_to_list(it->msg, s, err);
}

static int
batch_file(struct batch_item *it, const char *key, const char *s,
    struct smtpc_error *err)
{
	enum cli_file_role role = strcmp(key, "inline") == 0 ?
	    CLI_FILE_INLINE : CLI_FILE_ATTACH;
	struct cli_file f;
	const char *why = NULL;
	int rc;

	memset(&f, 0, sizeof(f));
	if (args_parse_file(s, role, &f, &why) != 0)
		return batch_err(err, SMTPC_EDATA, "\"%s\": %s", key,
		    why != NULL ? why : "bad file specification");
	if (role == CLI_FILE_INLINE)
		rc = smtpc_msg_add_inline(it->msg, f.path, f.type, f.cid, err);
	else
		rc = smtpc_msg_add_attachment(it->msg, f.path, f.type, f.name,
		    err);
	free(f.path);
	free(f.type);
	free(f.name);
	free(f.cid);
	return rc;
}

static int
batch_header_line(struct batch_item *it, const char *key, const char *s,
    struct smtpc_error *err)
{
	const char *colon = strchr(s, ':'), *value;
	char *name;
	int rc;

	(void)key;
	if (colon == NULL || colon == s)
		return batch_err(err, SMTPC_EDATA, "\"headers\" takes "
		    "'Name: value', not '%.60s'", s);
	if ((name = strndup(s, (size_t)(colon - s))) == NULL)
		return SMTPC_ENOMEM;
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	rc = smtpc_msg_add_header(it->msg, name, value, err);
	free(name);
	return rc;
}

static int
batch_headers(struct batch_item *it, const struct json_value *v,
    struct smtpc_error *err)
{
	size_t i;
	int rc;

	if (v->type != JSON_OBJECT)
		return batch_each(it, v, "headers", batch_header_line, err);
	for (i = 0; i < v->n; i++) {
		if (v->items[i].type != JSON_STRING)
			return batch_err(err, SMTPC_EDATA, "\"headers\": the "
			    "value of %.60s must be a string", v->items[i].key);
		if ((rc = smtpc_msg_add_header(it->msg, v->items[i].key,
		    v->items[i].str, err)) != 0)
			return rc;
	}
	return 0;
}

static const char *const batch_keys[] = {
	"from", "to", "cc", "bcc", "reply_to", "subject", "text", "html",
	"attach", "inline", "headers", "message", "envelope_from", "rcpt",
	NULL,
};

static const char *
batch_string(const struct json_value *obj, const char *key,
    struct smtpc_error *err, int *rc)
{
	const struct json_value *v = jsonl_get(obj, key);

	if (v == NULL || *rc != 0)
		return NULL;
	if (v->type != JSON_STRING) {
		*rc = batch_err(err, SMTPC_EDATA, "\"%s\" must be a string",
		    key);
		return NULL;
	}
	return v->str;
}

/* A ready message named by "message": its envelope from its header. */
static int
batch_ready(const struct batch_ctx *ctx, struct batch_item *it,
    const struct json_value *obj, const char *path, struct smtpc_error *err)
{
	static const char *const compose_only[] = {
		"from", "to", "cc", "bcc", "reply_to", "subject", "text",
		"html", "attach", "inline", "headers", NULL,
	};
	const struct json_value *rcpt = jsonl_get(obj, "rcpt");
	size_t i;
	int fd, rc;

	(void)ctx;
	for (i = 0; compose_only[i] != NULL; i++)
		if (jsonl_get(obj, compose_only[i]) != NULL)
			return batch_err(err, SMTPC_EDATA, "\"message\" is a "
			    "ready message: \"%s\" does not go with it",
			    compose_only[i]);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return batch_err(err, errno == ENOENT ? SMTPC_ENOINPUT :
		    SMTPC_EIO, "cannot open %.200s: %s", path,
		    strerror(errno));
	rc = batch_load(it, fd, rcpt != NULL ? 0 : SMTPC_LOAD_RECIPIENTS,
	    err);
	close(fd);
	if (rc == 0 && rcpt != NULL)
		rc = batch_each(it, rcpt, "rcpt", batch_rcpt, err);
	return rc;
}

/* A message from one JSON object: composed, or ready ("message"). */
static int
batch_from_json(const struct batch_ctx *ctx, struct batch_item *it,
    const struct json_value *obj, struct smtpc_error *err)
{
	const struct cli_opts *o = ctx->o;
	const char *from, *subject, *text, *html, *path, *efrom;
	const struct json_value *v;
	size_t i, k;
	int rc = 0;

	if (obj->type != JSON_OBJECT)
		return batch_err(err, SMTPC_EDATA, "not a JSON object");
	for (i = 0; i < obj->n; i++) {
		for (k = 0; batch_keys[k] != NULL; k++)
			if (strcmp(obj->items[i].key, batch_keys[k]) == 0)
				break;
		if (batch_keys[k] == NULL)
			return batch_err(err, SMTPC_EDATA, "unknown field "
			    "\"%.60s\"", obj->items[i].key);
	}
	path = batch_string(obj, "message", err, &rc);
	efrom = batch_string(obj, "envelope_from", err, &rc);
	from = batch_string(obj, "from", err, &rc);
	subject = batch_string(obj, "subject", err, &rc);
	text = batch_string(obj, "text", err, &rc);
	html = batch_string(obj, "html", err, &rc);
	if (rc != 0)
		return rc;
	if (efrom == NULL)
		efrom = o->envelope_from;
	if (efrom != NULL && (it->envelope_from = strdup(efrom)) == NULL)
		return SMTPC_ENOMEM;
	if (path != NULL)
		return batch_ready(ctx, it, obj, path, err);
	if (jsonl_get(obj, "rcpt") != NULL)
		return batch_err(err, SMTPC_EDATA, "\"rcpt\" goes with "
		    "\"message\"; a composed message has to, cc and bcc");
	if (from == NULL)
		from = o->from;
	if (from == NULL)
		return batch_err(err, SMTPC_EDATA, "no \"from\" (and no -f)");
	if ((it->msg = smtpc_msg_new()) == NULL)
		return SMTPC_ENOMEM;
	if ((rc = smtpc_msg_set_from(it->msg, from, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "to")) != NULL &&
	    (rc = batch_each(it, v, "to", batch_rcpt, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "cc")) != NULL &&
	    (rc = batch_each(it, v, "cc", batch_rcpt, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "bcc")) != NULL &&
	    (rc = batch_each(it, v, "bcc", batch_rcpt, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "reply_to")) != NULL &&
	    (rc = batch_each(it, v, "reply_to", batch_reply_to, err)) != 0)
		return rc;
	if (smtpc_msg_recipient_count(it->msg) == 0)
		return batch_err(err, SMTPC_EDATA, "no recipient (\"to\", "
		    "\"cc\" or \"bcc\")");
	if (subject != NULL &&
	    (rc = smtpc_msg_set_subject(it->msg, subject, err)) != 0)
		return rc;
	if (text != NULL && (rc = smtpc_msg_set_text(it->msg, text,
	    strlen(text), err)) != 0)
		return rc;
	if (html != NULL && (rc = smtpc_msg_set_html(it->msg, html,
	    strlen(html), err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "attach")) != NULL &&
	    (rc = batch_each(it, v, "attach", batch_file, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "inline")) != NULL &&
	    (rc = batch_each(it, v, "inline", batch_file, err)) != 0)
		return rc;
	if ((v = jsonl_get(obj, "headers")) != NULL &&
	    (rc = batch_headers(it, v, err)) != 0)
		return rc;
	return 0;
}

/* The next JSON line (blank lines are skipped): 0 at the end. */
static int
batch_next_jsonl(struct batch_ctx *ctx, struct batch_item *it,
    struct smtpc_error *err)
{
	struct batch_input *in = &ctx->in;
	struct json_value *obj = NULL;
	char why[256];
	size_t len, i;
	int r, too_long, rc;

	for (;;) {
		if ((r = batch_getline(in, &len, &too_long)) <= 0) {
			if (r < 0)
				fprintf(stderr, "smtpc: cannot read %s: %s\n",
				    in->path, strerror(errno));
			return r < 0 ? -1 : 0;
		}
		for (i = 0; i < len && (in->buf[i] == ' ' ||
		    in->buf[i] == '\t' || in->buf[i] == '\r'); i++)
			;
		if (i < len || too_long)
			break;
	}
	it->line = in->line;
	if (too_long)
		return batch_err(err, SMTPC_EDATA, "line longer than %d bytes",
		    JSONL_LINE_MAX) != 0;
	if (jsonl_parse(in->buf, len, &obj, why, sizeof(why)) != 0) {
		batch_err(err, SMTPC_EDATA, "not valid JSON: %s", why);
		return 1;
	}
	rc = batch_from_json(ctx, it, obj, err);
	jsonl_free(obj);
	if (rc != 0 && err->code == 0)
		batch_err(err, rc, "%s", smtpc_strerror(rc));
	else if (rc == 0)
		memset(err, 0, sizeof(*err));
	return 1;
}

static int
batch_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The messages of a directory: a Maildir's new/ and cur/, else *.eml. */
static int
batch_list(struct batch_input *in, const char *dir, int all)
{
	DIR *d;
	struct dirent *e;
	size_t n, cap = in->nfiles;
	char **p;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (e->d_name[0] == '.' || (!all && (n < 5 ||
		    strcmp(e->d_name + n - 4, ".eml") != 0)))
			continue;
		if (in->nfiles == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(in->files, cap * sizeof(*p))) ==
			    NULL) {
				closedir(d);
				return -1;
			}
			in->files = p;
		}
		if ((in->files[in->nfiles] = malloc(strlen(dir) + n + 2)) ==
		    NULL) {
			closedir(d);
			return -1;
		}
		snprintf(in->files[in->nfiles], strlen(dir) + n + 2, "%s/%s",
		    dir, e->d_name);
		in->nfiles++;
	}
	closedir(d);
	return 0;
}

static int
batch_next_file(struct batch_ctx *ctx, struct batch_item *it,
    struct smtpc_error *err)
{
	struct batch_input *in = &ctx->in;
	const char *path;
	int fd, rc;

	if (in->next >= in->nfiles)
		return 0;
	path = in->files[in->next++];
	it->line = in->next;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		batch_err(err, SMTPC_ENOINPUT, "cannot open %.200s: %s", path,
		    strerror(errno));
		return 1;
	}
	rc = batch_load(it, fd, SMTPC_LOAD_RECIPIENTS, err);
	close(fd);
	if (rc != 0)
		/* The file names the message: keep it in the sentence. */
		batch_err(err, rc, "%.200s: %.300s", path, err->message);
	else
		memset(err, 0, sizeof(*err));
	return 1;
}

/*
 * The next message of an mbox: from its "From " line to the next one,
 * the separating blank line dropped and ">From " unquoted (mboxrd), into
 * an unlinked temporary file the message is loaded from.
 */
static int
batch_next_mbox(struct batch_ctx *ctx, struct batch_item *it,
    struct smtpc_error *err)
{
	struct batch_input *in = &ctx->in;
	FILE *tmp;
	size_t len;
	int r, too_long, blank = 0, rc;
	const char *p;

	while (!in->pending_from) {
		if ((r = batch_getline(in, &len, &too_long)) <= 0)
			return r < 0 ? -1 : 0;
		if (strncmp(in->buf, "From ", 5) == 0) {
			in->pending_from = 1;
			in->from_line = in->line;
		}
	}
	in->pending_from = 0;
	it->line = in->from_line;
	if ((tmp = tmpfile()) == NULL) {
		batch_err(err, SMTPC_EIO, "cannot make a temporary file: %s",
		    strerror(errno));
		return 1;
	}
	for (;;) {
		if ((r = batch_getline(in, &len, &too_long)) < 0) {
			fclose(tmp);
			return -1;
		}
		if (r == 0)
			break;
		if (blank && strncmp(in->buf, "From ", 5) == 0) {
			in->pending_from = 1;
			in->from_line = in->line;
			blank = 0;
			break;
		}
		if (blank)
			fputs("\n", tmp);
		blank = len == 0 || (len == 1 && in->buf[0] == '\r');
		if (blank)
			continue;
		p = in->buf;
		if (*p == '>') {
			const char *q = p;

			while (*q == '>')
				q++;
			if (strncmp(q, "From ", 5) == 0)
				p++;
		}
		fwrite(p, 1, len - (size_t)(p - in->buf), tmp);
		fputs("\n", tmp);
	}
	if (fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0) {
		fclose(tmp);
		batch_err(err, SMTPC_EIO, "temporary file: %s",
		    strerror(errno));
		return 1;
	}
	rc = batch_load(it, fileno(tmp), SMTPC_LOAD_RECIPIENTS, err);
	fclose(tmp);
	if (rc == 0)
		memset(err, 0, sizeof(*err));
	return 1;
}

/* Open o->inputs[ctx->cur]; -1 (said) when it cannot be read. */
static int
batch_open_input(struct batch_ctx *ctx)
{
	struct batch_input *in = &ctx->in;
	const char *path = ctx->o->inputs[ctx->cur];
	struct stat st;
	char sub[4096];
	int c, rc = 0;

	memset(in, 0, sizeof(*in));
	in->path = path;
	if (strcmp(path, "-") == 0) {
		in->kind = BATCH_JSONL;
		in->fp = stdin;
		return 0;
	}
	if (stat(path, &st) != 0) {
		fprintf(stderr, "smtpc: batch: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		in->kind = BATCH_DIR;
		snprintf(sub, sizeof(sub), "%s/cur", path);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(sub, sizeof(sub), "%s/new", path);
			rc = batch_list(in, sub, 1);
			snprintf(sub, sizeof(sub), "%s/cur", path);
			if (rc == 0)
				rc = batch_list(in, sub, 1);
		} else
			rc = batch_list(in, path, 0);
		if (rc != 0) {
			fprintf(stderr, "smtpc: batch: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		qsort(in->files, in->nfiles, sizeof(*in->files), batch_cmp);
		return 0;
	}
	if ((in->fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "smtpc: batch: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	/* An mbox starts with "From "; anything else is JSON Lines. */
	c = getc(in->fp);
	in->kind = c == 'F' ? BATCH_MBOX : BATCH_JSONL;
	if (c != EOF)
		ungetc(c, in->fp);
	return 0;
}

static void
batch_close_input(struct batch_ctx *ctx)
{
	struct batch_input *in = &ctx->in;
	size_t i;

	if (in->fp != NULL && in->fp != stdin)
		fclose(in->fp);
	for (i = 0; i < in->nfiles; i++)
		free(in->files[i]);
	free(in->files);
	free(in->buf);
	memset(in, 0, sizeof(*in));
}

static int
batch_next(void *user, struct smtpc_batch_item *item)
{
	struct batch_ctx *ctx = user;
	struct batch_item *it;
	int r;

	for (;;) {
		if (batch_stop || ctx->cur >= ctx->o->ninputs)
			return 0;
		if ((it = calloc(1, sizeof(*it))) == NULL)
			return 0;
		it->where = ctx->o->inputs[ctx->cur];
		if (ctx->in.path == NULL && batch_open_input(ctx) != 0) {
			ctx->input_failed = 1;
			r = 0;
		} else if (ctx->in.kind == BATCH_JSONL)
			r = batch_next_jsonl(ctx, it, &item->error);
		else if (ctx->in.kind == BATCH_DIR)
			r = batch_next_file(ctx, it, &item->error);
		else
			r = batch_next_mbox(ctx, it, &item->error);
		if (batch_stop) {
			/* Ctrl-C: what was read is not sent. */
			batch_item_free(it);
			memset(&item->error, 0, sizeof(item->error));
			return 0;
		}
		if (r == 1)
			break;
		/* This input is done (or unreadable): the next one. */
		batch_item_free(it);
		if (r < 0)
			ctx->input_failed = 1;
		batch_close_input(ctx);
		ctx->cur++;
	}
	item->tag = it;
	if (item->error.code != 0) {
		smtpc_msg_free(it->msg);
		it->msg = NULL;
		it->bad = 1;
		if (item->error.stage[0] == '\0')
			snprintf(item->error.stage, sizeof(item->error.stage),
			    "input");
		return 1;
	}
	item->msg = it->msg;
	item->envelope_from = it->envelope_from;
	item->flags = (ctx->o->allow_partial ? SMTPC_SEND_ALLOW_PARTIAL : 0) |
	    (ctx->o->no_pipelining ? SMTPC_SEND_NO_PIPELINING : 0) |
	    (ctx->o->no_chunking ? SMTPC_SEND_NO_CHUNKING : 0);
	return 1;
}

static void
batch_done(void *user, void *tag, const struct smtpc_result *r)
{
	struct batch_ctx *ctx = user;
	struct batch_item *it = tag;
	const struct smtpc_error *e = smtpc_result_error(r);
	int code = smtpc_result_status(r), ex = report_exit_code(code);

	if (code == 0)
		ctx->sent++;
	else if (it->bad)
		ctx->bad++;
	else if (ex == 75)
		ctx->temp++;
	else if (ex == 69)
		ctx->refused++;
	else if (ctx->other++ == 0)
		ctx->other_code = ex;
	if (ctx->o->json)
		report_json(stdout, r, NULL, ex, it->line);
	if (code != 0 && !ctx->o->quiet && e != NULL) {
		fprintf(stderr, "smtpc: %s:%lu: ", it->where, it->line);
		if (e->stage[0] != '\0' && strcmp(e->stage, "input") != 0)
			fprintf(stderr, "%s: ", e->stage);
		report_escaped(stderr, e->message, strlen(e->message));
		if (e->reply_code != 0) {
			fprintf(stderr, ": server said: %d ", e->reply_code);
			report_escaped(stderr, e->server_text,
			    strlen(e->server_text));
		}
		if (smtpc_result_maybe_delivered(r))
			fputs(" (it may have been delivered)", stderr);
		fputc('\n', stderr);
	}
	batch_item_free(it);
}

/* Inputs that never make the library wait: no pipe, no terminal. */
static int
batch_inputs_are_files(const struct cli_opts *o)
{
	struct stat st;
	size_t i;

	for (i = 0; i < o->ninputs; i++)
		if (strcmp(o->inputs[i], "-") == 0 &&
		    (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)))
			return 0;
	return 1;
}

int
batch_run(const struct cli_opts *o, struct smtpc_session *s)
{
	struct batch_ctx ctx;
	struct smtpc_batch b;
	struct smtpc_error err;
	struct sigaction sa, old;
	unsigned long total;

	memset(&ctx, 0, sizeof(ctx));
	ctx.o = o;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = batch_on_sigint;
	/*
	 * No SA_RESTART: a read of the input waiting on a pipe returns; the
	 * connection's own I/O retries (conn.c), so the message in flight
	 * goes on.
	 */
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	smtpc_batch_init(&b);
	b.next = batch_next;
	b.done = batch_done;
	b.user = &ctx;
	b.max_per_connection = o->max_per_connection;
	b.rate_per_min = o->rate_per_min;
	b.take_ahead = batch_inputs_are_files(o);
	memset(&err, 0, sizeof(err));
	(void)smtpc_session_send_many(s, &b, &err);
	sigaction(SIGINT, &old, NULL);
	if (ctx.in.path != NULL)
		batch_close_input(&ctx);
	total = ctx.sent + ctx.temp + ctx.refused + ctx.bad + ctx.other;
	if (batch_stop)
		fprintf(stderr, "smtpc: batch interrupted: %lu of %lu sent; "
		    "the rest of the input was not read\n", ctx.sent, total);
	else if (!o->quiet && (o->verbose || total != ctx.sent ||
	    isatty(STDERR_FILENO)))
		fprintf(stderr, "smtpc: batch: %lu sent, %lu failed "
		    "temporarily, %lu refused, %lu unusable input, %lu other "
		    "failures\n", ctx.sent, ctx.temp, ctx.refused, ctx.bad,
		    ctx.other);
	if (batch_stop)
		return 75;
	if (ctx.bad > 0 || ctx.input_failed)
		return 65;
	if (ctx.refused > 0)
		return 69;
	if (ctx.other > 0)
		return ctx.other_code;
	if (ctx.temp > 0)
		return 75;
	return 0;
}
