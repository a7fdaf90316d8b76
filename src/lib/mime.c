/*
 * mime.c - the smtpc_msg_* API: building a message from addresses,
 * header values, bodies and files, and checking all of it on the way in.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>

#include "base64.h"
#include "bounds.h"
#include "error.h"
#include "header.h"
#include "mime.h"
#include "qp.h"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "jpe", "image/jpeg" }, { "png", "image/png" },
	{ "gif", "image/gif" }, { "webp", "image/webp" },
	{ "svg", "image/svg+xml" }, { "heic", "image/heic" },
	{ "heif", "image/heif" }, { "avif", "image/avif" },
	{ "bmp", "image/bmp" }, { "tif", "image/tiff" },
	{ "tiff", "image/tiff" }, { "ico", "image/vnd.microsoft.icon" },
	{ "mp3", "audio/mpeg" }, { "wav", "audio/wav" },
	{ "ogg", "audio/ogg" }, { "oga", "audio/ogg" },
	{ "m4a", "audio/mp4" }, { "flac", "audio/flac" },
	{ "aac", "audio/aac" }, { "opus", "audio/opus" },
	{ "mid", "audio/midi" }, { "midi", "audio/midi" },
	{ "mp4", "video/mp4" }, { "m4v", "video/mp4" },
	{ "webm", "video/webm" }, { "mov", "video/quicktime" },
	{ "mkv", "video/x-matroska" }, { "avi", "video/x-msvideo" },
	{ "ogv", "video/ogg" }, { "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "pdf", "application/pdf" }, { "zip", "application/zip" },
	{ "gz", "application/gzip" }, { "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "7z", "application/x-7z-compressed" },
	{ "bz2", "application/x-bzip2" }, { "xz", "application/x-xz" },
	{ "zst", "application/zstd" }, { "rar", "application/vnd.rar" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ "doc", "application/msword" },
	{ "xls", "application/vnd.ms-excel" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "rtf", "application/rtf" }, { "epub", "application/epub+zip" },
	{ "csv", "text/csv" }, { "json", "application/json" },
	{ "xml", "application/xml" }, { "txt", "text/plain" },
	{ "text", "text/plain" }, { "log", "text/plain" },
	{ "md", "text/markdown" }, { "html", "text/html" },
	{ "htm", "text/html" }, { "ics", "text/calendar" },
	{ "vcf", "text/vcard" },
	{ "js", "text/javascript" }, { "css", "text/css" },
	{ "yaml", "application/yaml" }, { "yml", "application/yaml" },
	{ "patch", "text/x-diff" }, { "diff", "text/x-diff" },
	{ "wasm", "application/wasm" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "apk", "application/vnd.android.package-archive" },
	{ "jar", "application/java-archive" },
	{ "sig", "application/pgp-signature" },
	{ "asc", "application/pgp-keys" },
	/* Declared opaque by name: no content sniffing needed. */
	{ "bin", "application/octet-stream" },
	{ "dat", "application/octet-stream" },
	{ "img", "application/octet-stream" },
	{ "iso", "application/x-iso9660-image" },
};

const char *
mime_type_by_ext(const char *path)
{
	const char *base, *dot;
	size_t i;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return NULL;
	for (i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return NULL;
}

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
mime_file_free(struct mime_file *f)
{
	free(f->path);
	free(f->type);
	free(f->name);
	free(f->cid);
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
	free(m);
}

static int
mime_oom(struct smtpc_error *err)
{
	return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
}

int
smtpc_msg_set_from(struct smtpc_msg *m, const char *address,
    struct smtpc_error *err)
{
	struct addr a;
	int rc;

	if (m == NULL || address == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = addr_parse(address, &a, err)) != 0)
		return rc;
	addr_free(&m->from);
	m->from = a;
	return 0;
}

int
smtpc_msg_set_envelope_from(struct smtpc_msg *m, const char *address,
    struct smtpc_error *err)
{
	struct addr a;
	int rc;

	if (m == NULL || address == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no address");
	if ((rc = addr_parse(address, &a, err)) != 0)
		return rc;
	addr_free(&m->envelope_from);
	m->envelope_from = a;
	return 0;
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
static int
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

/* Read a whole text file (bounded): bodies are text, not attachments. */
static int
mime_read_text_file(const char *path, struct buf *out, struct smtpc_error *err)
{
	struct stat st;
	char chunk[8192], ebuf[128];
	ssize_t n;
	int fd, e, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot open %s: %s", path,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot read %s: %s", path,
		    error_strerror(e, ebuf, sizeof(ebuf)));
	}
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
	return mime_set_body(&m->text, "text", data, len, err);
}

int
smtpc_msg_set_text_file(struct smtpc_msg *m, const char *path,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	return mime_set_body_file(&m->text, "text", path, err);
}

int
smtpc_msg_set_html(struct smtpc_msg *m, const char *data, size_t len,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	return mime_set_body(&m->html, "HTML", data, len, err);
}

int
smtpc_msg_set_html_file(struct smtpc_msg *m, const char *path,
    struct smtpc_error *err)
{
	if (m == NULL)
		return error_set(err, SMTPC_EINVAL, "message", "no message");
	return mime_set_body_file(&m->html, "HTML", path, err);
}

/* "type/subtype" with token characters only. */
static int
mime_type_valid(const char *t)
{
	const char *slash = strchr(t, '/');
	size_t i;

	if (slash == NULL || slash == t || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strlen(t) > 255)
		return 0;
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] <= 0x20 ||
		    (unsigned char)t[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"[]?=", t[i]) != NULL)
			return 0;
	return 1;
}

/*
 * Files always go out in base64, which RFC 2046 forbids for message and
 * multipart bodies (an .eml guessed as message/rfc822, say).
 */
static int
mime_type_base64_ok(const char *t)
{
	return strncasecmp(t, "message/", 8) != 0 &&
	    strncasecmp(t, "multipart/", 10) != 0;
}

/* libmagic's guess from the content; NULL when it has none. */
static char *
mime_type_by_magic(const char *path)
{
	magic_t mg;
	const char *t;
	char *r = NULL;

	/* libmagic reads up to 7 MiB by default; the head is enough. */
	size_t bytes_max = 256 * 1024;

	if ((mg = magic_open(MAGIC_MIME_TYPE | MAGIC_SYMLINK)) == NULL)
		return NULL;
	magic_setparam(mg, MAGIC_PARAM_BYTES_MAX, &bytes_max);
	if (magic_load(mg, NULL) == 0 && (t = magic_file(mg, path)) != NULL &&
	    mime_type_valid(t) && strcmp(t, "application/x-empty") != 0 &&
	    strncmp(t, "inode/", 6) != 0)
		r = strdup(t);
	magic_close(mg);
	return r;
}

/* A character that may stand in a Content-ID as we write it (msg-id). */
static int
mime_cid_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("<>\"()[]\\,;:", c) == NULL;
}

/* A caller's Content-ID: id-left characters, no "=?" (see smtpc.h). */
static int
mime_cid_check(const char *cid, struct smtpc_error *err)
{
	size_t i;

	for (i = 0; cid[i] != '\0'; i++)
		if (!mime_cid_char_ok((unsigned char)cid[i]))
			return error_set(err, SMTPC_EDATA, "message",
			    "bad Content-ID \"%s\": printable ASCII without "
			    "spaces or <>\"()[]\\,;:", cid);
	if (i == 0 || i > 250)
		return error_set(err, SMTPC_EDATA, "message",
		    "bad Content-ID length");
	/* Readers would decode it as an encoded-word. */
	if (strstr(cid, "=?") != NULL)
		return error_set(err, SMTPC_EDATA, "message",
		    "bad Content-ID \"%s\": contains \"=?\"", cid);
	return 0;
}

/* A base name made a valid Content-ID, in place (see smtpc.h). */
static void
mime_cid_from_name(char *cid)
{
	size_t i;

	for (i = 0; cid[i] != '\0'; i++)
		if (!mime_cid_char_ok((unsigned char)cid[i]))
			cid[i] = '_';
	/* "=?" would be decoded as an encoded-word by readers. */
	for (i = 0; cid[i] != '\0'; i++)
		if (cid[i] == '=' && cid[i + 1] == '?')
			cid[i + 1] = '_';
}

/*
 * ASCII spellings of U+00C0..U+017F (Latin-1 letters and Latin
 * Extended-A): the base letter of an accented one, the usual digraph of a
 * ligature; "" for the two signs among them (multiplication, division).
 */
static const char mime_latin[192][3] = {
	/* U+00C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 */ "D", "N", "O", "O", "O", "O", "O", "",
	/* U+00D8 */ "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* U+00E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* U+00F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */ "A", "a", "A", "a", "A", "a", "C", "c",
	/* U+0108 */ "C", "c", "C", "c", "C", "c", "D", "d",
	/* U+0110 */ "D", "d", "E", "e", "E", "e", "E", "e",
	/* U+0118 */ "E", "e", "E", "e", "G", "g", "G", "g",
	/* U+0120 */ "G", "g", "G", "g", "H", "h", "H", "h",
	/* U+0128 */ "I", "i", "I", "i", "I", "i", "I", "i",
	/* U+0130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
	/* U+0138 */ "k", "L", "l", "L", "l", "L", "l", "L",
	/* U+0140 */ "l", "L", "l", "N", "n", "N", "n", "N",
	/* U+0148 */ "n", "n", "N", "n", "O", "o", "O", "o",
	/* U+0150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
	/* U+0158 */ "R", "r", "S", "s", "S", "s", "S", "s",
	/* U+0160 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* U+0168 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* U+0170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
	/* U+0178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

#define MIME_REPL	'\001'	/* a character with no ASCII spelling */

int
mime_name_plain(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f || (p[0] == '=' && p[1] == '?'))
			return 0;
	return 1;
}

/* Append the ASCII spelling of the UTF-8 s[0..len), MIME_REPL for none. */
static int
mime_ascii_spell(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	const char *t;
	size_t i = 0, n, k;
	int rc = 0;

	while (i < len && rc == 0) {
		if (p[i] < 0x80) {
			rc = buf_append_byte(out, p[i] >= 0x20 && p[i] < 0x7f ?
			    p[i] : MIME_REPL);
			i++;
			continue;
		}
		n = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
		if (n > len - i)
			n = len - i;
		cp = p[i] & (0x7fu >> n);
		for (k = 1; k < n; k++)
			cp = cp << 6 | (p[i + k] & 0x3f);
		i += n;
		/* A combining mark: the letter before it stands alone. */
		if (cp >= 0x300 && cp <= 0x36f)
			continue;
		t = "";
		if (cp == 0xa0)
			t = " ";
		else if (cp >= 0xc0 && cp <= 0x17f)
			t = mime_latin[cp - 0xc0];
		rc = *t == '\0' ? buf_append_byte(out, MIME_REPL) :
		    buf_append_str(out, t);
	}
	return rc;
}

static int
mime_trim_char(char c)
{
	return c == MIME_REPL || c == ' ' || c == '.';
}

int
mime_ascii_name(const char *name, struct buf *out)
{
	const char *dot = strrchr(name, '.');
	size_t slen = strlen(name), i, j, k, from = out->len, max;
	struct buf raw, ext;
	char *s;
	int rc, alnum = 0;

	if (mime_name_plain(name))
		return buf_append_str(out, name);
	buf_init(&raw, LIMIT_HEADER_VALUE + 1);
	buf_init(&ext, 4 * MIME_NAME_EXT_MAX);
	if (dot != NULL && dot != name && dot[1] != '\0' &&
	    strlen(dot + 1) <= MIME_NAME_EXT_MAX) {
		slen = (size_t)(dot - name);
		if ((rc = buf_append_byte(&ext, '.')) != 0 ||
		    (rc = mime_ascii_spell(dot + 1, strlen(dot + 1),
		    &ext)) != 0)
			goto free_bufs;
		for (i = 0; i < ext.len; i++)
			if (ext.data[i] == MIME_REPL)
				ext.data[i] = '_';
	}
	if ((rc = mime_ascii_spell(name, slen, &raw)) != 0 ||
	    (rc = buf_append_byte(&raw, '\0')) != 0)
		goto free_bufs;
	s = (char *)raw.data;
	/* A run of unspellable characters (and spaces between) is one. */
	for (i = j = 0; s[i] != '\0'; i++) {
		if (s[i] == MIME_REPL) {
			for (k = j; k > 0 && s[k - 1] == ' '; k--)
				;
			if (k > 0 && s[k - 1] == MIME_REPL) {
				j = k;
				continue;
			}
		}
		s[j++] = s[i];
	}
	s[j] = '\0';
	/* No leading dot (a hidden file), no edge a replacement made. */
	for (i = 0; mime_trim_char(s[i]); i++)
		;
	s += i;
	j = strlen(s);
	max = MIME_NAME_ASCII_MAX - ext.len;
	if (j > max)
		j = max;
	while (j > 0 && mime_trim_char(s[j - 1]))
		j--;
	for (i = 0; i < j; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			alnum = 1;
		if (s[i] == MIME_REPL)
			s[i] = '_';
	}
	/* Nothing left that says anything: a neutral word. */
	if ((rc = alnum ? buf_append(out, s, j) :
	    buf_append_str(out, "file")) != 0 ||
	    (rc = buf_append(out, ext.data, ext.len)) != 0)
		goto free_bufs;
	/* "=?" would be decoded as an encoded-word by readers. */
	for (i = from; i + 1 < out->len; i++)
		if (out->data[i] == '=' && out->data[i + 1] == '?')
			out->data[i + 1] = '_';
free_bufs:
	if (rc != 0)
		buf_truncate(out, from);
	buf_free(&raw);
	buf_free(&ext);
	return rc;
}

static int
mime_add_file(struct smtpc_msg *m, const char *path, const char *type,
    const char *name, const char *cid, int is_inline,
    struct smtpc_error *err)
{
	struct mime_file f, *n;
	struct stat st;
	const char *base, *t;
	char ebuf[128];
	size_t i;
	int fd, e;

	if (m == NULL || path == NULL || path[0] == '\0')
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no file name");
	if (m->nfiles >= LIMIT_PARTS)
		return error_set(err, SMTPC_ELIMIT, "message",
		    "more than %d files", LIMIT_PARTS);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot open %s: %s", path,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "cannot read %s: %s", path,
		    error_strerror(e, ebuf, sizeof(ebuf)));
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return error_set(err, SMTPC_ENOINPUT, "message",
		    "%s is not a regular file", path);
	if (type != NULL && !mime_type_valid(type))
		return error_set(err, SMTPC_EDATA, "message",
		    "bad content type \"%s\" for %s (want type/subtype)",
		    type, path);
	if (type != NULL && !mime_type_base64_ok(type))
		return error_set(err, SMTPC_EDATA, "message",
		    "a file cannot be sent as %s (files are base64, which "
		    "RFC 2046 forbids there); use application/octet-stream",
		    type);
	base = strrchr(path, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : path;
	if (name == NULL)
		name = base;
	if (header_check_value("filename", name, strlen(name), err) != 0)
		return error_set(err, SMTPC_EDATA, "message",
		    "the file name \"%s\" contains a line break or is not "
		    "UTF-8", name);
	if (cid != NULL && mime_cid_check(cid, err) != 0)
		return SMTPC_EDATA;
	memset(&f, 0, sizeof(f));
	f.is_inline = is_inline;
	f.size = (uint64_t)st.st_size;
	if ((f.path = strdup(path)) == NULL || (f.name = strdup(name)) == NULL)
		goto free_file;
	if (is_inline) {
		if ((f.cid = strdup(cid != NULL ? cid : base)) == NULL)
			goto free_file;
		/* A base name is not always a valid msg-id: make it one. */
		if (cid == NULL)
			mime_cid_from_name(f.cid);
	}
	/* The HTML refers to parts by Content-ID: each must be unique. */
	for (i = 0; is_inline && i < m->nfiles; i++)
		if (m->files[i].is_inline &&
		    strcmp(m->files[i].cid, f.cid) == 0) {
			mime_file_free(&f);
			return error_set(err, SMTPC_EDATA, "message",
			    "Content-ID %s is already used by %s (give another "
			    "cid)", m->files[i].cid, m->files[i].path);
		}
	if (type != NULL)
		f.type = strdup(type);
	else if ((t = mime_type_by_ext(path)) != NULL)
		f.type = strdup(t);
	else if ((f.type = mime_type_by_magic(path)) == NULL ||
	    !mime_type_base64_ok(f.type)) {
		free(f.type);
		f.type = strdup("application/octet-stream");
	}
	if (f.type == NULL)
		goto free_file;
	if ((n = realloc(m->files, (m->nfiles + 1) * sizeof(*n))) == NULL)
		goto free_file;
	m->files = n;
	n[m->nfiles++] = f;
	return 0;
free_file:
	mime_file_free(&f);
	return mime_oom(err);
}

int
smtpc_msg_add_inline(struct smtpc_msg *m, const char *path, const char *type,
    const char *cid, struct smtpc_error *err)
{
	return mime_add_file(m, path, type, NULL, cid, 1, err);
}

int
smtpc_msg_add_attachment(struct smtpc_msg *m, const char *path,
    const char *type, const char *name, struct smtpc_error *err)
{
	return mime_add_file(m, path, type, name, NULL, 0, err);
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
	if (m != NULL && m->envelope_from.spec != NULL)
		return m->envelope_from.spec;
	return m != NULL ? m->from.spec : NULL;
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
	for (i = 0; i < m->nrcpts; i++)
		if (mime_spec_utf8(m->rcpts[i].a.spec))
			return 1;
	for (i = 0; i < m->nreply_to; i++)
		if (mime_spec_utf8(m->reply_to[i].spec))
			return 1;
	return 0;
}
