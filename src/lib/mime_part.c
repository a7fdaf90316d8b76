/* SPDX-License-Identifier: ISC */
/*
 * mime_part.c - the parts that are not text bodies: inline and attached
 * parts from a file, from memory or from the caller's read callback, and
 * forwarded messages (message/rfc822), which are read through once when
 * added to check their lines and know their size.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "crlf.h"
#include "error.h"
#include "header.h"
#include "mime.h"
#include "ready.h"

/* Where a part comes from and what it is, as the caller gave it. */
struct mime_part_in {
	enum mime_src src;
	const char *path;
	const void *data;
	size_t len;
	smtpc_body_read_fn *read;
	void *read_user;
	uint64_t size;		/* MIME_SRC_READ: exact or SMTPC_SIZE_UNKNOWN */
	const char *type;
	const char *name;
	const char *cid;
	int is_inline;
	int is_message;
};

/* Lines of a forwarded message that start like our boundaries. */
struct mime_dash_scan {
	char line[MIME_DASH_LEN];
	size_t n;
	int skip;		/* the line cannot be a delimiter */
};

void
mime_file_free(struct mime_file *f)
{
	free(f->path);
	free(f->data);
	free(f->label);
	free(f->type);
	free(f->name);
	free(f->cid);
	free(f->dashes);
}

static void
mime_dash_keep(struct mime_file *f, struct mime_dash_scan *d)
{
	if (d->skip || d->n < 4 || f->ndashes >= MIME_DASH_MAX)
		return;
	if (f->dashes == NULL &&
	    (f->dashes = calloc(MIME_DASH_MAX, sizeof(*f->dashes))) == NULL)
		return;	/* only a boundary check lost; no failure */
	memcpy(f->dashes[f->ndashes], d->line, d->n);
	f->ndashes++;
}

/*
 * Keep the first MIME_DASH_LEN bytes of each line that starts with "--=_",
 * the start of every boundary we write: a boundary must not be one of
 * them (a message written by smtpc with the same seed would hold ours).
 */
static void
mime_dash_push(struct mime_file *f, struct mime_dash_scan *d,
    const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			mime_dash_keep(f, d);
			d->n = 0;
			d->skip = 0;
			continue;
		}
		if (d->skip)
			continue;
		d->line[d->n++] = (char)p[i];
		if (d->n == 4 && memcmp(d->line, "--=_", 4) != 0)
			d->skip = 1;
		else if (d->n == MIME_DASH_LEN) {
			mime_dash_keep(f, d);
			d->skip = 1;
		}
	}
}

/*
 * Read a forwarded message from a file or memory once: its lines checked
 * (SMTPC_EDATA naming the first bad one), its size once CRLF-normalised,
 * whether it has 8-bit bytes, and the lines that could clash with a
 * boundary.  A file's size is what was read.
 */
static int
mime_message_scan(struct mime_file *f, struct smtpc_error *err)
{
	struct mime_dash_scan d;
	struct crlf c;
	enum crlf_stop why = CRLF_OK;
	unsigned char *chunk = NULL;
	const unsigned char *p;
	char ebuf[128];
	size_t used;
	ssize_t n;
	int fd = -1, rc = 0;

	memset(&d, 0, sizeof(d));
	crlf_init(&c, 1);
	if (f->src == MIME_SRC_MEM) {
		why = crlf_run(&c, f->data, (size_t)f->size, &used, NULL, 0,
		    NULL);
		mime_dash_push(f, &d, f->data, used);
		goto done;
	}
	if ((chunk = malloc(LIMIT_IO_CHUNK)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message",
		    "out of memory");
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot open %s: %s", f->path,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	f->size = 0;
	for (;;) {
		do
			n = read(fd, chunk, LIMIT_IO_CHUNK);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			rc = error_set(err, SMTPC_EIO, "message",
			    "cannot read %s: %s", f->path,
			    error_strerror(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (n == 0)
			break;
		p = chunk;
		why = crlf_run(&c, p, (size_t)n, &used, NULL, 0, NULL);
		mime_dash_push(f, &d, p, used);
		f->size += (uint64_t)n;
		if (why != CRLF_OK)
			break;
	}
done:
	mime_dash_keep(f, &d);
	if (why != CRLF_OK)
		rc = crlf_error(&c, why, f->label, err);
	f->out_size = c.out;
	f->eight = c.eight;
out:
	if (fd != -1)
		close(fd);
	free(chunk);
	return rc;
}

/* The file of a part: there, readable, regular; its size. */
static int
mime_stat_path(const char *path, uint64_t *ret_size, struct smtpc_error *err)
{
	struct stat st;
	int fd;

	if ((fd = mime_open_file(path, &st, err)) < 0)
		return fd;
	close(fd);
	if (!S_ISREG(st.st_mode))
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "%s is not a regular file", path);
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

/* Arguments of a part that need no copy yet: source, type, name, cid. */
static int
mime_part_check(const struct smtpc_msg *m, const struct mime_part_in *in,
    struct smtpc_error *err)
{
	const char *what = in->path != NULL ? in->path : in->name;
	int rc;

	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	if ((rc = mime_composing(m, "parts", err)) != 0)
		return rc;
	if ((in->src == MIME_SRC_PATH && (in->path == NULL ||
	    in->path[0] == '\0')) ||
	    (in->src == MIME_SRC_MEM && in->data == NULL && in->len > 0) ||
	    (in->src == MIME_SRC_READ && in->read == NULL))
		return error_set(err, SMTPC_EINVAL, "message",
		    "no file name, data or read function");
	/* A file has its base name; bytes must be given one. */
	if (in->src != MIME_SRC_PATH && !in->is_message &&
	    (in->name == NULL || in->name[0] == '\0'))
		return error_set(err, SMTPC_EINVAL, "message",
		    "a part from memory or a callback needs a name");
	if (m->nfiles >= LIMIT_PARTS)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "more than %d parts", LIMIT_PARTS);
	if (what == NULL)
		what = "the forwarded message";
	if (in->type != NULL && !mime_type_valid(in->type))
		return error_set(err, SMTPC_EDATA, "message",
		    "bad content type \"%s\" for %s (want type/subtype)",
		    in->type, what);
	if (in->type != NULL && !mime_type_base64_ok(in->type))
		return error_set(err, SMTPC_EDATA, "message",
		    "a file cannot be sent as %s (files are base64, which "
		    "RFC 2046 forbids there); use application/octet-stream%s",
		    in->type, strncmp(in->type, "message/", 8) == 0 ?
		    ", or attach it as a message" : "");
	if (in->cid != NULL && mime_cid_check(in->cid, err) != 0)
		return SMTPC_EDATA;
	return 0;
}

static int
mime_add_part(struct smtpc_msg *m, const struct mime_part_in *in,
    struct smtpc_error *err)
{
	struct mime_file f, *n;
	const char *base = NULL, *name = in->name;
	size_t i;
	int rc;

	if ((rc = mime_part_check(m, in, err)) != 0)
		return rc;
	memset(&f, 0, sizeof(f));
	f.src = in->src;
	f.is_inline = in->is_inline;
	f.is_message = in->is_message;
	f.size_known = 1;
	switch (in->src) {
	case MIME_SRC_PATH:
		if ((rc = mime_stat_path(in->path, &f.size, err)) != 0)
			return rc;
		base = strrchr(in->path, '/');
		base = base != NULL && base[1] != '\0' ? base + 1 : in->path;
		if (name == NULL)
			name = base;
		break;
	case MIME_SRC_MEM:
		f.size = in->len;
		break;
	case MIME_SRC_READ:
		f.read = in->read;
		f.read_user = in->read_user;
		f.size_known = in->is_message ? 0 :
		    in->size != SMTPC_SIZE_UNKNOWN;
		f.size = f.size_known ? in->size : 0;
		f.eight = -1;
		break;
	}
	if (name != NULL && header_check_value("filename", name, strlen(name),
	    err) != 0)
		return error_set(err, SMTPC_EDATA, "message",
		    "the file name \"%s\" contains a line break or is not "
		    "UTF-8", name);
	if ((in->path != NULL && (f.path = strdup(in->path)) == NULL) ||
	    (name != NULL && (f.name = strdup(name)) == NULL) ||
	    (f.label = strdup(in->path != NULL ? in->path : name != NULL ?
	    name : "the forwarded message")) == NULL)
		goto oom;
	if (in->src == MIME_SRC_MEM && (f.data = malloc(in->len + 1)) == NULL)
		goto oom;
	if (in->src == MIME_SRC_MEM && in->len > 0)
		memcpy(f.data, in->data, in->len);
	if (in->is_inline) {
		if ((f.cid = strdup(in->cid != NULL ? in->cid : base != NULL ?
		    base : name)) == NULL)
			goto oom;
		/* A name is not always a valid msg-id: make it one. */
		if (in->cid == NULL)
			mime_cid_from_name(f.cid);
	}
	/* The HTML refers to parts by Content-ID: each must be unique. */
	for (i = 0; in->is_inline && i < m->nfiles; i++)
		if (m->files[i].is_inline &&
		    strcmp(m->files[i].cid, f.cid) == 0) {
			rc = error_set(err, SMTPC_EDATA, "message",
			    "Content-ID %s is already used by %s (give another "
			    "cid)", m->files[i].cid, m->files[i].label);
			goto fail;
		}
	if (in->is_message)
		f.type = strdup("message/rfc822");
	else if (in->type != NULL)
		f.type = strdup(in->type);
	else
		f.type = mime_type_guess(in->src == MIME_SRC_PATH ? in->path :
		    name, in->path, in->src == MIME_SRC_MEM ? in->data : NULL,
		    in->len);
	if (f.type == NULL)
		goto oom;
	if (in->is_message && in->src != MIME_SRC_READ &&
	    (rc = mime_message_scan(&f, err)) != 0)
		goto fail;
	if ((n = realloc(m->files, (m->nfiles + 1) * sizeof(*n))) == NULL)
		goto oom;
	m->files = n;
	n[m->nfiles++] = f;
	return 0;
oom:
	rc = error_set(err, SMTPC_ENOMEM, "message", "out of memory");
fail:
	mime_file_free(&f);
	return rc;
}

int
smtpc_msg_add_inline(struct smtpc_msg *m, const char *path, const char *type,
    const char *cid, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_PATH, .path = path,
	    .type = type, .cid = cid, .is_inline = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_attachment(struct smtpc_msg *m, const char *path,
    const char *type, const char *name, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_PATH, .path = path,
	    .type = type, .name = name };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_inline_mem(struct smtpc_msg *m, const void *data, size_t len,
    const char *type, const char *name, const char *cid,
    struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_MEM, .data = data,
	    .len = len, .type = type, .name = name, .cid = cid,
	    .is_inline = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_attachment_mem(struct smtpc_msg *m, const void *data,
    size_t len, const char *type, const char *name, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_MEM, .data = data,
	    .len = len, .type = type, .name = name };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_inline_cb(struct smtpc_msg *m, smtpc_body_read_fn *read,
    void *user, uint64_t size, const char *type, const char *name,
    const char *cid, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_READ, .read = read,
	    .read_user = user, .size = size, .type = type, .name = name,
	    .cid = cid, .is_inline = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_attachment_cb(struct smtpc_msg *m, smtpc_body_read_fn *read,
    void *user, uint64_t size, const char *type, const char *name,
    struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_READ, .read = read,
	    .read_user = user, .size = size, .type = type, .name = name };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_message(struct smtpc_msg *m, const char *path, const char *name,
    struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_PATH, .path = path,
	    .name = name, .is_message = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_message_mem(struct smtpc_msg *m, const void *data, size_t len,
    const char *name, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_MEM, .data = data,
	    .len = len, .name = name, .is_message = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_add_message_cb(struct smtpc_msg *m, smtpc_body_read_fn *read,
    void *user, const char *name, struct smtpc_error *err)
{
	struct mime_part_in in = { .src = MIME_SRC_READ, .read = read,
	    .read_user = user, .name = name, .is_message = 1 };

	return mime_add_part(m, &in, err);
}

int
smtpc_msg_has_8bit(const struct smtpc_msg *m)
{
	size_t i;
	int unknown = 0;

	if (m == NULL)
		return 0;
	if (m->ready != NULL)
		return ready_body_8bit(m->ready);
	for (i = 0; i < m->nfiles; i++) {
		if (!m->files[i].is_message)
			continue;
		if (m->files[i].eight > 0)
			return 1;
		if (m->files[i].eight < 0)
			unknown = 1;
	}
	return unknown ? -1 : 0;
}
