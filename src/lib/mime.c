/* SPDX-License-Identifier: ISC */
/*
 * mime.c - the smtpc_msg_* API: building a message from addresses,
 * header values and text bodies, and checking all of it on the way in;
 * the envelope.  Parts other than the text bodies are in mime_part.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "bounds.h"
#include "error.h"
#include "header.h"
#include "mime.h"
#include "qp.h"
#include "ready.h"

struct smtpc_msg *
smtpc_msg_new(void)
{
	struct smtpc_msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	buf_init(&m->text.data, 2 * (size_t)LIMIT_MEMORY_BODY);
	buf_init(&m->html.data, 2 * (size_t)LIMIT_MEMORY_BODY);
	return m;
}

static void
mime_env_free(struct smtpc_msg *m)
{
	size_t i;

	for (i = 0; i < m->nenv; i++)
		free(m->env[i]);
	free(m->env);
	m->env = NULL;
	m->nenv = 0;
}

void
smtpc_msg_free(struct smtpc_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	addr_free(&m->from);
	for (i = 0; i < m->nrcpts; i++)
		addr_free(&m->rcpts[i].a);
	addr_free(&m->envelope_from);
	free(m->rcpts);
	for (i = 0; i < m->nreply_to; i++)
		addr_free(&m->reply_to[i]);
	free(m->reply_to);
	free(m->subject);
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	buf_free(&m->text.data);
	buf_free(&m->html.data);
	for (i = 0; i < m->nfiles; i++)
		mime_file_free(&m->files[i]);
	free(m->files);
	mime_env_free(m);
	ready_free(m->ready);
	free(m);
}

int
mime_composing(const struct smtpc_msg *m, const char *what,
    struct smtpc_error *err)
{
	if (m->ready != NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "a loaded message takes no %s (it is sent as it is)",
		    what);
	return 0;
}

static int
mime_oom(struct smtpc_error *err)
{
	return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
}

/* One address into `slot` of `m`, which keeps what it had on failure. */
static int
mime_set_addr(struct smtpc_msg *m, struct addr *slot, const char *address,
    struct smtpc_error *err)
{
	struct addr a;
	int rc;

	if (m == NULL || address == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = addr_parse(address, &a, err)) != 0)
		return rc;
	addr_free(slot);
	*slot = a;
	return 0;
}

int
smtpc_msg_set_from(struct smtpc_msg *m, const char *address,
    struct smtpc_error *err)
{
	return mime_set_addr(m, m != NULL ? &m->from : NULL, address, err);
}

int
smtpc_msg_set_envelope_from(struct smtpc_msg *m, const char *address,
    struct smtpc_error *err)
{
	return mime_set_addr(m, m != NULL ? &m->envelope_from : NULL,
	    address, err);
}

/* Same mailbox: local part exact, domain case-insensitive. */
static int
mime_same_spec(const char *a, const char *b)
{
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');

	if (da == NULL || db == NULL || da - a != db - b)
		return 0;
	return memcmp(a, b, (size_t)(da - a)) == 0 && strcasecmp(da, db) == 0;
}

static int
mime_env_add(struct smtpc_msg *m, const char *spec)
{
	char **n;
	size_t i;

	for (i = 0; i < m->nenv; i++)
		if (mime_same_spec(m->env[i], spec))
			return 0;
	if ((n = realloc(m->env, (m->nenv + 1) * sizeof(*n))) == NULL)
		return SMTPC_ENOMEM;
	m->env = n;
	if ((m->env[m->nenv] = strdup(spec)) == NULL)
		return SMTPC_ENOMEM;
	m->nenv++;
	return 0;
}

/*
 * Take `a` over as a recipient of `kind`.  A mailbox the field already
 * names is not written twice (the envelope has it once anyway).
 */
int
mime_rcpt_take(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    struct addr *a, struct smtpc_error *err)
{
	struct mime_rcpt *n;
	size_t i;

	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].kind == kind &&
		    mime_same_spec(m->rcpts[i].a.spec, a->spec)) {
			addr_free(a);
			return 0;
		}
	if ((n = realloc(m->rcpts, (m->nrcpts + 1) * sizeof(*n))) == NULL) {
		addr_free(a);
		return mime_oom(err);
	}
	m->rcpts = n;
	if (mime_env_add(m, a->spec) != 0) {
		addr_free(a);
		return mime_oom(err);
	}
	n[m->nrcpts].kind = kind;
	n[m->nrcpts].a = *a;
	m->nrcpts++;
	return 0;
}

/* Take `a` over as a Reply-To address, once per mailbox (`kind` unused). */
static int
mime_reply_to_take(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    struct addr *a, struct smtpc_error *err)
{
	struct addr *n;
	size_t i;

	for (i = 0; i < m->nreply_to; i++)
		if (mime_same_spec(m->reply_to[i].spec, a->spec)) {
			addr_free(a);
			return 0;
		}
	if ((n = realloc(m->reply_to, (m->nreply_to + 1) *
	    sizeof(*n))) == NULL) {
		addr_free(a);
		return mime_oom(err);
	}
	m->reply_to = n;
	n[m->nreply_to++] = *a;
	(void)kind;
	return 0;
}

typedef int mime_take_fn(struct smtpc_msg *, enum smtpc_rcpt_kind,
    struct addr *, struct smtpc_error *);

/*
 * An address list into a field that holds `have` addresses: every one is
 * checked before the first is taken, so a bad list adds none.
 */
static int
mime_add_list(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    const char *list, size_t have, mime_take_fn *take,
    struct smtpc_error *err)
{
	struct addr *a;
	size_t i, n;
	int rc;

	if ((rc = addr_parse_list(list, LIMIT_RECIPIENTS - have, &a, &n,
	    err)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = take(m, kind, &a[i], err);
	/* Taken (or freed) up to i; the rest is still ours. */
	for (; i < n; i++)
		addr_free(&a[i]);
	free(a);
	return rc;
}

static int
mime_check_kind(enum smtpc_rcpt_kind kind, struct smtpc_error *err)
{
	if (kind != SMTPC_RCPT_TO && kind != SMTPC_RCPT_CC &&
	    kind != SMTPC_RCPT_BCC)
		return error_set(err, SMTPC_EINVAL, "message",
		    "unknown recipient kind %d", (int)kind);
	return 0;
}

int
smtpc_msg_add_recipient(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    const char *address, struct smtpc_error *err)
{
	struct addr a;
	int rc;

	if (m == NULL || address == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = mime_check_kind(kind, err)) != 0)
		return rc;
	if (m->nrcpts >= LIMIT_RECIPIENTS)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "more than %d recipients", LIMIT_RECIPIENTS);
	if ((rc = addr_parse(address, &a, err)) != 0)
		return rc;
	return mime_rcpt_take(m, kind, &a, err);
}

int
smtpc_msg_add_recipient_list(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    const char *list, struct smtpc_error *err)
{
	int rc;

	if (m == NULL || list == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = mime_check_kind(kind, err)) != 0)
		return rc;
	return mime_add_list(m, kind, list, m->nrcpts, mime_rcpt_take, err);
}

int
smtpc_msg_add_reply_to(struct smtpc_msg *m, const char *address,
    struct smtpc_error *err)
{
	struct addr a;
	int rc;

	if (m == NULL || address == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = mime_composing(m, "Reply-To", err)) != 0)
		return rc;
	if (m->nreply_to >= LIMIT_RECIPIENTS)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "too many Reply-To addresses");
	if ((rc = addr_parse(address, &a, err)) != 0)
		return rc;
	return mime_reply_to_take(m, SMTPC_RCPT_TO, &a, err);
}

int
smtpc_msg_add_reply_to_list(struct smtpc_msg *m, const char *list,
    struct smtpc_error *err)
{
	if (m == NULL || list == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if (mime_composing(m, "Reply-To", err) != 0)
		return SMTPC_EINVAL;
	return mime_add_list(m, SMTPC_RCPT_TO, list, m->nreply_to,
	    mime_reply_to_take, err);
}

int
smtpc_msg_set_subject(struct smtpc_msg *m, const char *subject,
    struct smtpc_error *err)
{
	char *s;
	int rc;

	if (m == NULL || subject == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no subject");
	if ((rc = mime_composing(m, "Subject", err)) != 0)
		return rc;
	if ((rc = header_check_value("Subject", subject, strlen(subject),
	    err)) != 0)
		return rc;
	if ((s = strdup(subject)) == NULL)
		return mime_oom(err);
	free(m->subject);
	m->subject = s;
	return 0;
}

/* Fields the library writes itself; Date and Message-ID may be replaced. */
static const char *const mime_reserved[] = {
	"From", "To", "Cc", "Bcc", "Subject", "MIME-Version", "Reply-To",
};

int
smtpc_msg_add_header(struct smtpc_msg *m, const char *name,
    const char *value, struct smtpc_error *err)
{
	struct mime_hdr *n;
	char *nn, *vv;
	size_t i;
	int rc;

	if (m == NULL || name == NULL || value == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message, name or value");
	if ((rc = mime_composing(m, "header field", err)) != 0)
		return rc;
	if ((rc = header_check_name(name, err)) != 0)
		return rc;
	if (strncasecmp(name, "Content-", 8) == 0)
		return error_set(err, SMTPC_EDATA, "message",
		    "header %s is written by smtpc itself", name);
	for (i = 0; i < sizeof(mime_reserved) / sizeof(mime_reserved[0]);
	    i++)
		if (strcasecmp(name, mime_reserved[i]) == 0)
			return error_set(err, SMTPC_EDATA, "message",
			    "header %s is written by smtpc itself (use its "
			    "own setting)", name);
	if ((rc = header_check_value(name, value, strlen(value), err)) != 0)
		return rc;
	if (m->nhdrs >= LIMIT_PARTS)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "too many header fields");
	if ((nn = strdup(name)) == NULL || (vv = strdup(value)) == NULL) {
		free(nn);
		return mime_oom(err);
	}
	/* Date and Message-ID replace the generated field: keep one. */
	if (strcasecmp(name, "Date") == 0 ||
	    strcasecmp(name, "Message-ID") == 0)
		for (i = 0; i < m->nhdrs; i++)
			if (strcasecmp(m->hdrs[i].name, name) == 0) {
				free(m->hdrs[i].name);
				free(m->hdrs[i].value);
				m->hdrs[i].name = nn;
				m->hdrs[i].value = vv;
				return 0;
			}
	if ((n = realloc(m->hdrs, (m->nhdrs + 1) * sizeof(*n))) == NULL) {
		free(nn);
		free(vv);
		return mime_oom(err);
	}
	m->hdrs = n;
	n[m->nhdrs].name = nn;
	n[m->nhdrs].value = vv;
	m->nhdrs++;
	return 0;
}

int
mime_text_scan(struct mime_text *t)
{
	const unsigned char *p = t->data.data;
	size_t i, len = t->data.len, col = 0, chunk;
	int ascii = 1;
	struct qp_enc q;
	struct buf scratch;
	uint64_t qsize = 0, bsize;
	int rc;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			col = 0;
			continue;
		}
		if (p[i] >= 0x80 || p[i] == '\0' || p[i] == '\r' ||
		    p[i] == '\n' || ++col > MIME_TEXT_LINE)
			ascii = 0;
	}
	if (ascii) {
		t->enc = MIME_ENC_7BIT;
		t->enc_size = len;
		t->enc_ends_crlf = len == 0 || p[len - 1] == '\n';
		return 0;
	}
	/* Run the encoder once to know the QP size exactly. */
	buf_init(&scratch, 4 * LIMIT_IO_CHUNK);
	qp_init(&q);
	for (i = 0; i < len; i += chunk) {
		chunk = len - i < LIMIT_IO_CHUNK / 4 ? len - i :
		    LIMIT_IO_CHUNK / 4;
		if ((rc = qp_update(&q, p + i, chunk, &scratch)) != 0)
			goto free_scratch;
		qsize += scratch.len;
		buf_reset(&scratch);
	}
	if ((rc = qp_final(&q, &scratch)) != 0)
		goto free_scratch;
	qsize += scratch.len;
	bsize = b64_wrap_size(len);
	if (qsize <= bsize) {
		t->enc = MIME_ENC_QP;
		t->enc_size = qsize;
		t->enc_ends_crlf = qp_at_bol(&q);
	} else {
		t->enc = MIME_ENC_BASE64;
		t->enc_size = bsize;
		t->enc_ends_crlf = 1;
	}
free_scratch:
	buf_free(&scratch);
	return rc;
}

/* Validate `len` bytes of UTF-8 text and store them CRLF-normalised. */
static int
mime_set_body(struct mime_text *t, const char *what, const char *data,
    size_t len, struct smtpc_error *err)
{
	struct buf n;
	size_t i;
	int rc = 0;

	if (data == NULL && len > 0)
		return error_set(err, SMTPC_EINVAL, "message", "no %s", what);
	if (len > LIMIT_MEMORY_BODY)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "the %s is larger than %u bytes", what,
		    (unsigned)LIMIT_MEMORY_BODY);
	if (!header_utf8_valid(data, len))
		return error_set(err, SMTPC_EDATA, "message",
		    "%s is not valid UTF-8", what);
	buf_init(&n, t->data.max);
	for (i = 0; i < len && rc == 0; i++) {
		if (data[i] == '\r' || data[i] == '\n') {
			rc = buf_append(&n, "\r\n", 2);
			if (data[i] == '\r' && i + 1 < len &&
			    data[i + 1] == '\n')
				i++;
		} else
			rc = buf_append_byte(&n, (unsigned char)data[i]);
	}
	if (rc == 0)
		rc = buf_append(&n, "", 0);
	if (rc != 0) {
		buf_free(&n);
		return mime_oom(err);
	}
	buf_free(&t->data);
	t->data = n;
	t->set = 1;
	if ((rc = mime_text_scan(t)) != 0) {
		t->set = 0;
		return mime_oom(err);
	}
	return 0;
}

int
mime_open_file(const char *path, struct stat *st, struct smtpc_error *err)
{
	char ebuf[128];
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot open %s: %s", path,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	if (fstat(fd, st) == -1) {
		e = errno;
		close(fd);
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot read %s: %s", path,
		    error_strerror(e, ebuf, sizeof(ebuf)));
	}
	return fd;
}

/* Read a whole text file (bounded): bodies are text, not attachments. */
static int
mime_read_text_file(const char *path, struct buf *out, struct smtpc_error *err)
{
	struct stat st;
	char chunk[8192], ebuf[128];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = mime_open_file(path, &st, err)) < 0)
		return fd;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot read %s: is a directory", path);
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = error_set(err, SMTPC_EIO, "message",
			    "cannot read %s: %s", path,
			    error_strerror(errno, ebuf, sizeof(ebuf)));
			break;
		}
		if (n == 0)
			break;
		if ((rc = buf_append(out, chunk, (size_t)n)) != 0) {
			rc = rc == SMTPC_ELIMIT ? error_set(err, SMTPC_ELIMIT,
			    "message", "%s is larger than %u bytes", path,
			    (unsigned)LIMIT_MEMORY_BODY) : mime_oom(err);
			break;
		}
	}
	close(fd);
	return rc;
}

static int
mime_set_body_file(struct mime_text *t, const char *what, const char *path,
    struct smtpc_error *err)
{
	struct buf raw;
	int rc;

	if (path == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no file name");
	buf_init(&raw, LIMIT_MEMORY_BODY);
	if ((rc = mime_read_text_file(path, &raw, err)) == 0) {
		if (!header_utf8_valid(raw.data, raw.len))
			rc = error_set(err, SMTPC_EDATA, "message",
			    "%s (%s) is not valid UTF-8", what, path);
		else
			rc = mime_set_body(t, what, (char *)raw.data, raw.len,
			    err);
	}
	buf_free(&raw);
	return rc;
}

int
smtpc_msg_set_text(struct smtpc_msg *m, const char *data, size_t len,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	if (mime_composing(m, "text body", err) != 0)
		return SMTPC_EINVAL;
	return mime_set_body(&m->text, "text", data, len, err);
}

int
smtpc_msg_set_text_file(struct smtpc_msg *m, const char *path,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	if (mime_composing(m, "text body", err) != 0)
		return SMTPC_EINVAL;
	return mime_set_body_file(&m->text, "text", path, err);
}

int
smtpc_msg_set_html(struct smtpc_msg *m, const char *data, size_t len,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	if (mime_composing(m, "HTML body", err) != 0)
		return SMTPC_EINVAL;
	return mime_set_body(&m->html, "HTML", data, len, err);
}

int
smtpc_msg_set_html_file(struct smtpc_msg *m, const char *path,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	if (mime_composing(m, "HTML body", err) != 0)
		return SMTPC_EINVAL;
	return mime_set_body_file(&m->html, "HTML", path, err);
}

void
smtpc_msg_set_date(struct smtpc_msg *m, time_t when)
{
	if (m == NULL)
		return;
	m->has_date = 1;
	m->date = when;
}

void
smtpc_msg_set_seed(struct smtpc_msg *m, uint64_t seed)
{
	if (m == NULL)
		return;
	m->has_seed = 1;
	m->seed = seed;
}

const char *
smtpc_msg_envelope_from(const struct smtpc_msg *m)
{
	if (m == NULL)
		return NULL;
	if (m->envelope_from.spec != NULL)
		return m->envelope_from.spec;
	if (m->from.spec == NULL && m->ready != NULL)
		return ready_sender(m->ready);
	return m->from.spec;
}

size_t
smtpc_msg_recipient_count(const struct smtpc_msg *m)
{
	return m != NULL ? m->nenv : 0;
}

const char *
smtpc_msg_recipient(const struct smtpc_msg *m, size_t index)
{
	if (m == NULL || index >= m->nenv)
		return NULL;
	return m->env[index];
}

static int
mime_spec_utf8(const char *spec)
{
	for (; spec != NULL && *spec != '\0'; spec++)
		if ((unsigned char)*spec >= 0x80)
			return 1;
	return 0;
}

int
smtpc_msg_needs_smtputf8(const struct smtpc_msg *m)
{
	size_t i;

	if (m == NULL)
		return 0;
	if (mime_spec_utf8(m->from.spec))
		return 1;
	/* A loaded header with UTF-8 in it, or a sender taken from it. */
	if (m->ready != NULL && (ready_header_8bit(m->ready) ||
	    mime_spec_utf8(ready_sender(m->ready))))
		return 1;
	for (i = 0; i < m->nrcpts; i++)
		if (mime_spec_utf8(m->rcpts[i].a.spec))
			return 1;
	for (i = 0; i < m->nreply_to; i++)
		if (mime_spec_utf8(m->reply_to[i].spec))
			return 1;
	return 0;
}
