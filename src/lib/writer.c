/* SPDX-License-Identifier: ISC */
/*
 * writer.c - the plan behind smtpc_reader_*: MIME structure, boundaries,
 * top-level header fields, laid out when the reader is made; the exact
 * size.  The bytes are streamed by writer_read.c.
 */
#include <sys/random.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "base64.h"
#include "bounds.h"
#include "error.h"
#include "header.h"
#include "mime.h"
#include "ready.h"
#include "writer.h"

#define WRITER_PEND_MAX		(4 * LIMIT_IO_CHUNK + 1024)
#define WRITER_SKEL_MAX		((size_t)LIMIT_MEMORY_BODY)

enum wnode_kind {
	WNODE_MULTI,
	WNODE_TEXT,
	WNODE_FILE,
};

/* The part tree, only while the reader is being built. */
struct wnode {
	enum wnode_kind kind;
	const char *sub;		/* "mixed", "alternative", "related" */
	const char *ctype;		/* "text/plain", "text/html" */
	const struct mime_text *text;
	const struct mime_file *file;
	struct wnode **kids;		/* WNODE_MULTI */
	size_t nkids;
};

_Static_assert(MIME_DASH_LEN == WRITER_BOUNDARY_LEN + 2,
    "a kept line \"--=_...\" is as long as a delimiter");

static const char writer_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* splitmix64: small, good enough for boundaries, reproducible. */
static uint64_t
writer_splitmix(uint64_t *s)
{
	uint64_t z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * `n` bytes from the kernel.  Not RAND_bytes: its first call starts
 * OpenSSL (providers, the config file, a DRBG), milliseconds that a run
 * without TLS -- a dry run, a batch to a relay on loopback -- would spend
 * on a Message-ID alone.
 */
static int
writer_entropy(unsigned char *raw, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = getrandom(raw, n, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return SMTPC_EINTERNAL;
		}
		raw += k;
		n -= (size_t)k;
	}
	return 0;
}

/* `n` random alphanumeric characters into `out`. */
static int
writer_random(struct smtpc_reader *w, char *out, size_t n)
{
	/*
	 * Bytes past the first n replace rejected ones: one system call
	 * covers nearly every string.
	 */
	enum { WRITER_SPARE = 24 };
	unsigned char raw[64 + WRITER_SPARE];
	uint64_t v;
	size_t i, next, have;

	if (n > sizeof(raw) - WRITER_SPARE)
		return SMTPC_EINTERNAL;
	have = n + WRITER_SPARE;
	if (w->seeded) {
		for (i = 0; i < n; i++) {
			v = writer_splitmix(&w->rng);
			raw[i] = (unsigned char)(v >> 32);
		}
	} else if (writer_entropy(raw, have) != 0)
		return SMTPC_EINTERNAL;
	next = n;
	/* 248 = 4 * 62: reject the rest to stay unbiased; rarely loops. */
	for (i = 0; i < n; i++) {
		while (raw[i] >= 248) {
			if (w->seeded) {
				raw[i] = (unsigned char)(writer_splitmix(
				    &w->rng) >> 32);
				continue;
			}
			if (next == have) {
				if (writer_entropy(raw + n, WRITER_SPARE) != 0)
					return SMTPC_EINTERNAL;
				next = n;
			}
			raw[i] = raw[next++];
		}
		out[i] = writer_alnum[raw[i] % 62];
	}
	return 0;
}

int
writer_mark(struct smtpc_reader *w, size_t from)
{
	struct witem *n, *last;
	size_t len = w->skel.len - from;

	if (len == 0)
		return 0;
	last = w->nitems > 0 ? &w->items[w->nitems - 1] : NULL;
	if (last != NULL && last->kind == WITEM_MEM &&
	    last->off + last->len == from) {
		last->len += len;
		return 0;
	}
	if ((n = realloc(w->items, (w->nitems + 1) * sizeof(*n))) == NULL)
		return SMTPC_ENOMEM;
	w->items = n;
	memset(&n[w->nitems], 0, sizeof(n[0]));
	n[w->nitems].kind = WITEM_MEM;
	n[w->nitems].off = from;
	n[w->nitems].len = len;
	w->nitems++;
	return 0;
}

static int
writer_put_str(struct smtpc_reader *w, const char *s)
{
	size_t from = w->skel.len;
	int rc;

	if ((rc = buf_append_str(&w->skel, s)) != 0)
		return rc;
	return writer_mark(w, from);
}

int
writer_body_item(struct smtpc_reader *w, enum witem_kind kind,
    const struct mime_text *t, const struct mime_file *f, int top)
{
	struct witem *n;

	if ((n = realloc(w->items, (w->nitems + 1) * sizeof(*n))) == NULL)
		return SMTPC_ENOMEM;
	w->items = n;
	memset(&n[w->nitems], 0, sizeof(n[0]));
	n[w->nitems].kind = kind;
	n[w->nitems].text = t;
	n[w->nitems].file = f;
	n[w->nitems].top = top;
	w->nitems++;
	return 0;
}

static const char *
writer_enc_name(enum mime_enc e)
{
	switch (e) {
	case MIME_ENC_QP:
		return "quoted-printable";
	case MIME_ENC_BASE64:
		return "base64";
	default:
		return "7bit";
	}
}

static int
writer_contains(const unsigned char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	size_t i;

	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == (unsigned char)needle[0] &&
		    memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

/* 1 when a forwarded message has a line starting with `pat` ("--b"). */
static int
writer_dash_clash(const struct mime_file *f, const char *pat)
{
	size_t i;

	for (i = 0; i < f->ndashes; i++)
		if (memcmp(f->dashes[i], pat, MIME_DASH_LEN) == 0)
			return 1;
	return 0;
}

static int
writer_boundary(struct smtpc_reader *w, char *out)
{
	const struct mime_text *t[2];
	char pat[WRITER_BOUNDARY_LEN + 3];
	size_t k;
	int rc, tries, clash;

	t[0] = &w->msg->text;
	t[1] = &w->msg->html;
	for (tries = 0; tries < 16; tries++) {
		out[0] = '=';
		out[1] = '_';
		if ((rc = writer_random(w, out + 2,
		    WRITER_BOUNDARY_LEN - 2)) != 0)
			return rc;
		out[WRITER_BOUNDARY_LEN] = '\0';
		/* Only a 7bit body could hold it; QP and base64 cannot. */
		pat[0] = '-';
		pat[1] = '-';
		memcpy(pat + 2, out, WRITER_BOUNDARY_LEN);
		clash = 0;
		for (k = 0; k < 2; k++)
			if (t[k]->enc == MIME_ENC_7BIT && t[k]->data.len > 0 &&
			    writer_contains(t[k]->data.data, t[k]->data.len,
			    pat, WRITER_BOUNDARY_LEN + 2))
				clash = 1;
		/* A forwarded message may hold delimiters of its own. */
		for (k = 0; k < w->msg->nfiles && !clash; k++)
			clash = writer_dash_clash(&w->msg->files[k], pat);
		if (!clash)
			return 0;
	}
	return SMTPC_EINTERNAL;
}

static int writer_node(struct smtpc_reader *w, const struct wnode *n, int top);

static int
writer_multi(struct smtpc_reader *w, const struct wnode *n, int top)
{
	char b[WRITER_BOUNDARY_LEN + 1], line[WRITER_BOUNDARY_LEN + 16];
	struct hfold f;
	size_t i, from = w->skel.len;
	int rc;

	if ((rc = writer_boundary(w, b)) != 0)
		return rc;
	snprintf(line, sizeof(line), " multipart/%s", n->sub);
	if ((rc = header_begin(&f, &w->skel, "Content-Type")) != 0 ||
	    (rc = header_atom_str(&f, "", line)) != 0 ||
	    /* RFC 2387 3.1: related names the type of its root part. */
	    (strcmp(n->sub, "related") == 0 &&
	    (rc = header_param(&f, "type", "text/html")) != 0) ||
	    (rc = header_param(&f, "boundary", b)) != 0 ||
	    (rc = header_end(&f)) != 0 ||
	    (rc = buf_append(&w->skel, "\r\n", 2)) != 0 ||
	    (rc = writer_mark(w, from)) != 0)
		return rc;
	for (i = 0; i < n->nkids; i++) {
		snprintf(line, sizeof(line), "%s--%s\r\n", i == 0 ? "" : "\r\n",
		    b);
		if ((rc = writer_put_str(w, line)) != 0 ||
		    (rc = writer_node(w, n->kids[i], 0)) != 0)
			return rc;
	}
	snprintf(line, sizeof(line), "\r\n--%s--%s", b, top ? "\r\n" : "");
	return writer_put_str(w, line);
}

static int
writer_node(struct smtpc_reader *w, const struct wnode *n, int top)
{
	const struct mime_file *file = n->file;
	struct hfold f;
	size_t from = w->skel.len;
	const char *name;
	char *cid = NULL;
	int rc;

	if (n->kind == WNODE_MULTI)
		return writer_multi(w, n, top);
	if (n->kind == WNODE_TEXT) {
		if ((rc = buf_printf(&w->skel, "Content-Type: %s; "
		    "charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n",
		    n->ctype, writer_enc_name(n->text->enc))) != 0 ||
		    (rc = writer_mark(w, from)) != 0)
			return rc;
		return writer_body_item(w, WITEM_TEXT, n->text, NULL, top);
	}
	name = w->names[file - w->msg->files];
	if ((rc = header_begin(&f, &w->skel, "Content-Type")) != 0 ||
	    (rc = header_atom_str(&f, " ", file->type)) != 0 ||
	    (name != NULL && (rc = header_param_plain(&f, "name",
	    name)) != 0) ||
	    (rc = header_end(&f)) != 0 ||
	    (rc = header_begin(&f, &w->skel, "Content-Disposition")) != 0 ||
	    (rc = header_atom_str(&f, " ", file->is_inline ? "inline" :
	    "attachment")) != 0 ||
	    (file->name != NULL && (rc = header_param(&f, "filename",
	    file->name)) != 0) ||
	    (rc = header_end(&f)) != 0)
		return rc;
	if (file->is_inline) {
		if ((cid = malloc(strlen(file->cid) + 3)) == NULL)
			return SMTPC_ENOMEM;
		cid[0] = '<';
		memcpy(cid + 1, file->cid, strlen(file->cid));
		memcpy(cid + 1 + strlen(file->cid), ">", 2);
		rc = header_begin(&f, &w->skel, "Content-ID");
		if (rc == 0)
			rc = header_atom_str(&f, " ", cid);
		if (rc == 0)
			rc = header_end(&f);
		free(cid);
		if (rc != 0)
			return rc;
	}
	/*
	 * RFC 2046 5.2.1: a message/rfc822 body is 7bit or 8bit, never
	 * encoded; a callback's may hold anything, so it says 8bit.
	 */
	if (file->is_message) {
		if ((rc = buf_printf(&w->skel, "Content-Transfer-Encoding: "
		    "%s\r\n\r\n", file->eight != 0 ? "8bit" : "7bit")) != 0 ||
		    (rc = writer_mark(w, from)) != 0)
			return rc;
		return writer_body_item(w, WITEM_RAW, NULL, file, top);
	}
	if ((rc = buf_append_str(&w->skel,
	    "Content-Transfer-Encoding: base64\r\n\r\n")) != 0 ||
	    (rc = writer_mark(w, from)) != 0)
		return rc;
	return writer_body_item(w, WITEM_FILE, NULL, file, top);
}

int
writer_addr_field(struct smtpc_reader *w, const char *name,
    const struct addr *const *list, size_t n)
{
	struct hfold f;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = header_begin(&f, &w->skel, name)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = addr_fold(&f, list[i], i + 1 < n ? "," : "")) != 0)
			return rc;
	return header_end(&f);
}

static int
writer_rcpt_field(struct smtpc_reader *w, const char *name,
    enum smtpc_rcpt_kind kind)
{
	const struct smtpc_msg *m = w->msg;
	const struct addr **list;
	size_t i, n = 0;
	int rc;

	if ((list = calloc(m->nrcpts + 1, sizeof(*list))) == NULL)
		return SMTPC_ENOMEM;
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].kind == kind)
			list[n++] = &m->rcpts[i].a;
	rc = writer_addr_field(w, name, list, n);
	free(list);
	return rc;
}

static const char *
writer_user_field(const struct smtpc_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			return m->hdrs[i].value;
	return NULL;
}

int
writer_date_field(struct smtpc_reader *w, const char *name)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	time_t t;
	long off;
	char sign = '+';

	t = w->msg->has_date ? w->msg->date : time(NULL);
	if (localtime_r(&t, &tm) == NULL)
		return SMTPC_EINTERNAL;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	return buf_printf(&w->skel, "%s: %s, %d %s %04d %02d:%02d:%02d "
	    "%c%02ld%02ld\r\n", name, days[tm.tm_wday % 7], tm.tm_mday,
	    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, sign, off / 60, off % 60);
}

int
writer_message_id_field(struct smtpc_reader *w, const char *name,
    const char *domain)
{
	char id[33];
	int rc;

	if (domain == NULL || domain[0] == '\0')
		domain = "localhost";
	if ((rc = writer_random(w, id, 32)) != 0)
		return rc;
	id[32] = '\0';
	rc = buf_printf(&w->skel, "%s: <%s@%s>\r\n", name, id, domain);
	/* The one the message goes out with, for the send's result. */
	if (rc == 0)
		snprintf(w->message_id, sizeof(w->message_id), "<%s@%s>", id,
		    domain);
	return rc;
}

static int
writer_top_fields(struct smtpc_reader *w)
{
	const struct smtpc_msg *m = w->msg;
	const struct addr *from = &m->from;
	const struct addr **rt;
	const char *v;
	size_t i;
	int rc;

	if ((v = writer_user_field(m, "Date")) != NULL)
		rc = header_write_text(&w->skel, "Date", v);
	else
		rc = writer_date_field(w, "Date");
	if (rc != 0 ||
	    (rc = writer_addr_field(w, "From", &from, 1)) != 0 ||
	    (rc = writer_rcpt_field(w, "To", SMTPC_RCPT_TO)) != 0 ||
	    (rc = writer_rcpt_field(w, "Cc", SMTPC_RCPT_CC)) != 0)
		return rc;
	if (m->nreply_to > 0) {
		if ((rt = calloc(m->nreply_to, sizeof(*rt))) == NULL)
			return SMTPC_ENOMEM;
		for (i = 0; i < m->nreply_to; i++)
			rt[i] = &m->reply_to[i];
		rc = writer_addr_field(w, "Reply-To", rt, m->nreply_to);
		free(rt);
		if (rc != 0)
			return rc;
	}
	if (m->subject != NULL &&
	    (rc = header_write_text(&w->skel, "Subject", m->subject)) != 0)
		return rc;
	if ((v = writer_user_field(m, "Message-ID")) != NULL) {
		snprintf(w->message_id, sizeof(w->message_id), "%s", v);
		rc = header_write_text(&w->skel, "Message-ID", v);
	} else if ((v = strrchr(m->from.spec, '@')) != NULL)
		rc = writer_message_id_field(w, "Message-ID", v + 1);
	else
		rc = writer_message_id_field(w, "Message-ID", NULL);
	if (rc != 0)
		return rc;
	for (i = 0; i < m->nhdrs; i++) {
		if (strcasecmp(m->hdrs[i].name, "Date") == 0 ||
		    strcasecmp(m->hdrs[i].name, "Message-ID") == 0)
			continue;
		if ((rc = header_write_text(&w->skel, m->hdrs[i].name,
		    m->hdrs[i].value)) != 0)
			return rc;
	}
	return buf_append_str(&w->skel, "MIME-Version: 1.0\r\n");
}

static void
writer_tree_free(struct wnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		writer_tree_free(n->kids[i]);
	free(n->kids);
	free(n);
}

/* A node; a multipart gets room for `nkids` children. */
static struct wnode *
writer_leaf(enum wnode_kind kind, const char *sub, size_t nkids)
{
	struct wnode *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->sub = sub;
	if (kind == WNODE_MULTI &&
	    (n->kids = calloc(nkids, sizeof(*n->kids))) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static void
writer_adopt(struct wnode *parent, struct wnode *kid)
{
	parent->kids[parent->nkids++] = kid;
}

/* Build the part tree; NULL when out of memory. */
static struct wnode *
writer_tree(const struct smtpc_msg *m)
{
	struct wnode *body = NULL, *n, *mixed = NULL, *rel;
	size_t i, nin = 0, natt = 0;
	int ok = 1;

	for (i = 0; i < m->nfiles; i++) {
		if (m->files[i].is_inline)
			nin++;
		else
			natt++;
	}
	if (m->html.set) {
		if ((body = writer_leaf(WNODE_TEXT, NULL, 0)) == NULL)
			return NULL;
		body->ctype = "text/html";
		body->text = &m->html;
		if (nin > 0) {
			if ((rel = writer_leaf(WNODE_MULTI, "related",
			    nin + 1)) == NULL)
				goto free_tree;
			writer_adopt(rel, body);
			body = rel;
			for (i = 0; i < m->nfiles && ok; i++) {
				if (!m->files[i].is_inline)
					continue;
				if ((n = writer_leaf(WNODE_FILE, NULL,
				    0)) == NULL)
					goto free_tree;
				n->file = &m->files[i];
				writer_adopt(rel, n);
			}
		}
		if (m->text.set) {
			if ((n = writer_leaf(WNODE_MULTI,
			    "alternative", 2)) == NULL)
				goto free_tree;
			if ((n->kids[0] = writer_leaf(WNODE_TEXT,
			    NULL, 0)) == NULL) {
				writer_tree_free(n);
				goto free_tree;
			}
			n->kids[0]->ctype = "text/plain";
			n->kids[0]->text = &m->text;
			n->kids[1] = body;
			n->nkids = 2;
			body = n;
		}
	} else if (m->text.set || m->nfiles == 0) {
		if ((body = writer_leaf(WNODE_TEXT, NULL, 0)) == NULL)
			return NULL;
		body->ctype = "text/plain";
		body->text = &m->text;
	}
	if (natt == 0 && (m->html.set || nin == 0))
		return body;
	if ((mixed = writer_leaf(WNODE_MULTI, "mixed", m->nfiles + 1)) == NULL)
		goto free_tree;
	if (body != NULL)
		writer_adopt(mixed, body);
	body = mixed;
	for (i = 0; i < m->nfiles; i++) {
		if (m->files[i].is_inline && m->html.set)
			continue;
		if ((n = writer_leaf(WNODE_FILE, NULL, 0)) == NULL)
			goto free_tree;
		n->file = &m->files[i];
		writer_adopt(mixed, n);
	}
	return mixed;
free_tree:
	writer_tree_free(body);
	return NULL;
}

void
smtpc_reader_free(struct smtpc_reader *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	buf_free(&w->skel);
	buf_free(&w->pend);
	free(w->items);
	free(w->chunk);
	free(w);
}

/* The plan of a composed message: top fields, then the part tree. */
static int
writer_plan(struct smtpc_reader *w, struct smtpc_error *err)
{
	const struct smtpc_msg *m = w->msg;
	struct wnode *tree;
	int rc;

	if ((tree = writer_tree(m)) == NULL ||
	    (w->names = mime_names(m)) == NULL) {
		writer_tree_free(tree);
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	}
	if ((rc = writer_top_fields(w)) == 0 &&
	    (rc = writer_mark(w, 0)) == 0)
		rc = writer_node(w, tree, 1);
	writer_tree_free(tree);
	mime_names_free(w->names, m->nfiles);
	w->names = NULL;
	if (rc == SMTPC_ELIMIT)
		return error_set(err, rc, "message",
		    "a header field is too long to be written");
	if (rc == SMTPC_EINTERNAL)
		return error_set(err, rc, "message",
		    "no random bytes for boundaries");
	if (rc != 0)
		return error_set(err, rc, "message", "out of memory");
	return 0;
}

int
smtpc_reader_new(const struct smtpc_msg *m, struct smtpc_reader **ret,
    struct smtpc_error *err)
{
	struct smtpc_reader *w;
	int rc;

	if (m == NULL || ret == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no result pointer");
	if (m->from.spec == NULL && m->ready == NULL)
		return error_set(err, SMTPC_EDATA, "message",
		    "the message has no From address");
	if (m->nenv == 0)
		return error_set(err, SMTPC_EDATA, "message",
		    "the message has no recipient");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	w->msg = m;
	w->fd = -1;
	buf_init(&w->skel, WRITER_SKEL_MAX);
	buf_init(&w->pend, WRITER_PEND_MAX);
	if (m->has_seed) {
		w->seeded = 1;
		w->rng = m->seed;
	}
	if ((w->chunk = malloc(LIMIT_IO_CHUNK)) == NULL) {
		smtpc_reader_free(w);
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	}
	rc = m->ready != NULL ? ready_plan(w, err) : writer_plan(w, err);
	if (rc != 0) {
		smtpc_reader_free(w);
		return rc;
	}
	*ret = w;
	return 0;
}

/* The bytes an item produces; 0 and *ret_known 0 when not known. */
static uint64_t
writer_item_size(const struct smtpc_reader *w, const struct witem *it,
    int *ret_known)
{
	const struct mime_text *t = it->text;
	const struct mime_file *f = it->file;
	uint64_t n = 0;

	*ret_known = 1;
	switch (it->kind) {
	case WITEM_MEM:
		return it->len;
	case WITEM_TEXT:
		if (it->top && t->data.len > 0 && !t->enc_ends_crlf)
			return t->enc_size + (t->enc == MIME_ENC_QP ? 3 : 2);
		return t->enc_size;
	case WITEM_FILE:
		*ret_known = f->size_known;
		return f->size_known ? b64_wrap_size(f->size) : 0;
	case WITEM_RAW:
		*ret_known = f->size_known;
		return f->size_known ? f->out_size : 0;
	case WITEM_READY:
		*ret_known = ready_body_size(w->msg->ready, &n);
		return n;
	}
	return 0;
}

const char *
smtpc_reader_message_id(const struct smtpc_reader *w)
{
	return w != NULL && w->message_id[0] != '\0' ? w->message_id : NULL;
}

int
smtpc_reader_size(struct smtpc_reader *w, uint64_t *ret_size)
{
	uint64_t total = 0, n;
	size_t i;
	int known;

	if (w == NULL || ret_size == NULL)
		return SMTPC_EINVAL;
	/*
	 * Sparse files of exabytes could wrap the sum to a small size that a
	 * server would accept; saturate so SIZE= stays an upper bound.
	 */
	for (i = 0; i < w->nitems; i++) {
		n = writer_item_size(w, &w->items[i], &known);
		if (!known) {
			/* A message is never empty: 0 says "unknown". */
			*ret_size = 0;
			return 0;
		}
		total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
	}
	*ret_size = total;
	return 0;
}

void
writer_set_7bit(struct smtpc_reader *w)
{
	w->only7 = 1;
}
