/*
 * writer.c - the pull serialiser behind smtpc_reader_*: MIME structure,
 * top-level header fields, and streaming of bodies through the encoders.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "address.h"
#include "base64.h"
#include "bounds.h"
#include "error.h"
#include "header.h"
#include "mime.h"
#include "qp.h"
#include "writer.h"

/* Input bytes of a text body encoded per step (QP can triple them). */
#define WRITER_TEXT_STEP	(LIMIT_IO_CHUNK / 4)
#define WRITER_PEND_MAX		(4 * LIMIT_IO_CHUNK + 1024)
#define WRITER_SKEL_MAX		((size_t)LIMIT_MEMORY_BODY)
/* A file is read this much at a time (at most). */
#define WRITER_FILE_CHUNK	LIMIT_IO_CHUNK
/* Less room than this in an empty buffer: read a full chunk anyway. */
#define WRITER_DIRECT_MIN	(16u * 1024)
#define WRITER_LINE_IN		57	/* input bytes of a 76-column line */

enum witem_kind {
	WITEM_MEM,		/* bytes of skel: headers, boundaries */
	WITEM_TEXT,		/* a text body from memory */
	WITEM_FILE,		/* a file, base64 */
};

struct witem {
	enum witem_kind kind;
	size_t off, len;			/* WITEM_MEM */
	const struct mime_text *text;		/* WITEM_TEXT */
	int top;	/* the message's only part: end with a line break */
	const struct mime_file *file;		/* WITEM_FILE */
};

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

struct smtpc_reader {
	const struct smtpc_msg *msg;
	char message_id[LIMIT_HEADER_LINE + 1];	/* as in the header */
	struct buf skel;
	struct witem *items;
	size_t nitems;
	size_t cur;		/* the item being produced */
	int started;		/* its encoder/file is set up */
	size_t pos;		/* WITEM_MEM / WITEM_TEXT: bytes done */
	int fd;
	uint64_t nread;		/* WITEM_FILE: bytes read so far */
	struct b64_wrap b64;
	struct qp_enc qp;
	struct buf pend;	/* encoded bytes not yet handed out */
	size_t pend_off;
	unsigned char *chunk;
	uint64_t rng;		/* deterministic generator state */
	int seeded;
	int failed;		/* sticky error code */
	struct smtpc_error ferr;
	char **names;		/* name= of each file, while being built */
};

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

/* `n` random alphanumeric characters into `out`. */
static int
writer_random(struct smtpc_reader *w, char *out, size_t n)
{
	unsigned char raw[64];
	uint64_t v;
	size_t i;

	if (n > sizeof(raw))
		return SMTPC_EINTERNAL;
	if (w->seeded) {
		for (i = 0; i < n; i++) {
			v = writer_splitmix(&w->rng);
			raw[i] = (unsigned char)(v >> 32);
		}
	} else if (RAND_bytes(raw, (int)n) != 1)
		return SMTPC_EINTERNAL;
	/* 248 = 4 * 62: reject the rest to stay unbiased; rarely loops. */
	for (i = 0; i < n; i++) {
		while (raw[i] >= 248) {
			if (w->seeded)
				raw[i] = (unsigned char)(writer_splitmix(
				    &w->rng) >> 32);
			else if (RAND_bytes(raw + i, 1) != 1)
				return SMTPC_EINTERNAL;
		}
		out[i] = writer_alnum[raw[i] % 62];
	}
	return 0;
}

/* Record that skel[from..len) is the next piece of the output. */
static int
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

static int
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
	if ((rc = header_begin(&f, &w->skel, "Content-Type")) != 0 ||
	    (rc = header_atom_str(&f, " ", file->type)) != 0 ||
	    (rc = header_param_plain(&f, "name",
	    w->names[file - w->msg->files])) != 0 ||
	    (rc = header_end(&f)) != 0 ||
	    (rc = header_begin(&f, &w->skel, "Content-Disposition")) != 0 ||
	    (rc = header_atom_str(&f, " ", file->is_inline ? "inline" :
	    "attachment")) != 0 ||
	    (rc = header_param(&f, "filename", file->name)) != 0 ||
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
	if ((rc = buf_append_str(&w->skel,
	    "Content-Transfer-Encoding: base64\r\n\r\n")) != 0 ||
	    (rc = writer_mark(w, from)) != 0)
		return rc;
	return writer_body_item(w, WITEM_FILE, NULL, file, top);
}

static int
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

static int
writer_date(struct smtpc_reader *w)
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
	return buf_printf(&w->skel, "Date: %s, %d %s %04d %02d:%02d:%02d "
	    "%c%02ld%02ld\r\n", days[tm.tm_wday % 7], tm.tm_mday,
	    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, sign, off / 60, off % 60);
}

static int
writer_message_id(struct smtpc_reader *w)
{
	const char *dom;
	char id[33];
	int rc;

	dom = strrchr(w->msg->from.spec, '@');
	dom = dom != NULL ? dom + 1 : "localhost";
	if ((rc = writer_random(w, id, 32)) != 0)
		return rc;
	id[32] = '\0';
	snprintf(w->message_id, sizeof(w->message_id), "<%s@%s>", id, dom);
	return buf_printf(&w->skel, "Message-ID: %s\r\n", w->message_id);
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
		rc = writer_date(w);
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
	} else
		rc = writer_message_id(w);
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

static void
writer_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* `base` ("x.pdf") with "-k" before its extension ("x-2.pdf"). */
static char *
writer_numbered(const char *base, size_t k)
{
	const char *dot = strrchr(base, '.');
	struct buf b;

	buf_init(&b, LIMIT_HEADER_LINE);
	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	if (buf_printf(&b, "%.*s-%zu%s", (int)(dot - base), base, k,
	    dot) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * The name= of each file (mime_ascii_name).  Stand-ins are numbered
 * ("file-2.pdf") where they would repeat another name= of the message,
 * case aside: a reader that saves files under name= would otherwise
 * write one over the other, or (munpack) add ".1" after the extension.
 */
static char **
writer_names(const struct smtpc_msg *m)
{
	struct buf b;
	char **names, *c;
	size_t i, j, *k = NULL;
	int taken;

	if ((names = calloc(m->nfiles + 1, sizeof(*names))) == NULL)
		return NULL;
	buf_init(&b, LIMIT_HEADER_VALUE);
	for (i = 0; i < m->nfiles; i++) {
		buf_reset(&b);
		if (mime_ascii_name(m->files[i].name, &b) != 0 ||
		    (names[i] = strdup(buf_cstr(&b))) == NULL)
			goto fail;
	}
	/* k[i]: the number to try first, past earlier stand-ins alike. */
	if ((k = calloc(m->nfiles + 1, sizeof(*k))) == NULL)
		goto fail;
	for (i = 0; i < m->nfiles; i++) {
		k[i] = mime_name_plain(m->files[i].name) ? 0 : 1;
		for (j = 0; j < i && k[i] > 0; j++)
			if (k[j] > 0 && strcasecmp(names[j], names[i]) == 0)
				k[i]++;
	}
	for (i = 0; i < m->nfiles; i++) {
		for (c = NULL; k[i] > 0; k[i]++) {
			if (k[i] > 1 &&
			    (c = writer_numbered(names[i], k[i])) == NULL)
				goto fail;
			/* Plain names and earlier (final) stand-ins count. */
			for (j = 0, taken = 0; j < m->nfiles && !taken; j++)
				taken = j != i && (j < i || k[j] == 0) &&
				    strcasecmp(names[j], c != NULL ? c :
				    names[i]) == 0;
			if (!taken)
				break;
			free(c);
			c = NULL;
		}
		if (c != NULL) {
			free(names[i]);
			names[i] = c;
		}
	}
	free(k);
	buf_free(&b);
	return names;
fail:
	free(k);
	buf_free(&b);
	writer_names_free(names, m->nfiles);
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

int
smtpc_reader_new(const struct smtpc_msg *m, struct smtpc_reader **ret,
    struct smtpc_error *err)
{
	struct smtpc_reader *w;
	struct wnode *tree;
	int rc;

	if (m == NULL || ret == NULL)
		return error_set(err, SMTPC_EINVAL, "message",
		    "no message or no result pointer");
	if (m->from.spec == NULL)
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
	if ((w->chunk = malloc(WRITER_FILE_CHUNK)) == NULL) {
		smtpc_reader_free(w);
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	}
	if ((tree = writer_tree(m)) == NULL ||
	    (w->names = writer_names(m)) == NULL) {
		writer_tree_free(tree);
		smtpc_reader_free(w);
		return error_set(err, SMTPC_ENOMEM, "message", "out of memory");
	}
	if ((rc = writer_top_fields(w)) == 0 &&
	    (rc = writer_mark(w, 0)) == 0)
		rc = writer_node(w, tree, 1);
	writer_tree_free(tree);
	writer_names_free(w->names, m->nfiles);
	w->names = NULL;
	if (rc != 0) {
		smtpc_reader_free(w);
		if (rc == SMTPC_ELIMIT)
			return error_set(err, rc, "message",
			    "a header field is too long to be written");
		if (rc == SMTPC_EINTERNAL)
			return error_set(err, rc, "message",
			    "no random bytes for boundaries");
		return error_set(err, rc, "message", "out of memory");
	}
	*ret = w;
	return 0;
}

static uint64_t
writer_item_size(const struct witem *it)
{
	const struct mime_text *t = it->text;

	switch (it->kind) {
	case WITEM_MEM:
		return it->len;
	case WITEM_TEXT:
		if (it->top && t->data.len > 0 && !t->enc_ends_crlf)
			return t->enc_size + (t->enc == MIME_ENC_QP ? 3 : 2);
		return t->enc_size;
	case WITEM_FILE:
		return b64_wrap_size(it->file->size);
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

	if (w == NULL || ret_size == NULL)
		return SMTPC_EINVAL;
	/*
	 * Sparse files of exabytes could wrap the sum to a small size that a
	 * server would accept; saturate so SIZE= stays an upper bound.
	 */
	for (i = 0; i < w->nitems; i++) {
		n = writer_item_size(&w->items[i]);
		total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
	}
	*ret_size = total;
	return 0;
}

static int
writer_fail(struct smtpc_reader *w, struct smtpc_error *err, int code,
    const char *what, const char *path, const char *why)
{
	if (w->fd != -1) {
		close(w->fd);
		w->fd = -1;
	}
	w->failed = error_set(&w->ferr, code, "message", "%s %s: %s", what,
	    path, why);
	if (err != NULL)
		*err = w->ferr;
	return w->failed;
}

static void
writer_next(struct smtpc_reader *w)
{
	w->cur++;
	w->started = 0;
	w->pos = 0;
}

/* Fill w->pend with the next encoded piece of a text body. */
static int
writer_step_text(struct smtpc_reader *w, const struct witem *it)
{
	const struct mime_text *t = it->text;
	size_t n;
	int rc;

	if (!w->started) {
		qp_init(&w->qp);
		b64_wrap_init(&w->b64);
		w->started = 1;
	}
	if (w->pos < t->data.len) {
		n = t->data.len - w->pos;
		if (n > WRITER_TEXT_STEP)
			n = WRITER_TEXT_STEP;
		if (t->enc == MIME_ENC_QP)
			rc = qp_update(&w->qp, t->data.data + w->pos, n,
			    &w->pend);
		else if (t->enc == MIME_ENC_BASE64)
			rc = b64_wrap_update(&w->b64, t->data.data + w->pos, n,
			    &w->pend);
		else
			rc = buf_append(&w->pend, t->data.data + w->pos, n);
		w->pos += n;
		return rc;
	}
	if (t->enc == MIME_ENC_QP)
		rc = qp_final(&w->qp, &w->pend);
	else if (t->enc == MIME_ENC_BASE64)
		rc = b64_wrap_final(&w->b64, &w->pend);
	else
		rc = 0;
	if (rc == 0 && it->top && t->data.len > 0 && !t->enc_ends_crlf)
		rc = buf_append_str(&w->pend, t->enc == MIME_ENC_QP ?
		    "=\r\n" : "\r\n");
	writer_next(w);
	return rc;
}

/*
 * Encode the file's next piece.  Whole lines that fit the caller's buffer
 * go straight there (*ret_put bytes), sparing a copy through w->pend: 57
 * input bytes make 78 characters whatever the state (a full line's worth
 * of groups ends exactly one line).  One line more is read to fill the
 * rest of the buffer through w->pend.  A small buffer from the start
 * gets a full chunk through w->pend instead, not many small reads.
 */
static int
writer_step_file(struct smtpc_reader *w, const struct witem *it,
    unsigned char *dst, size_t room, int topping, size_t *ret_put,
    struct smtpc_error *err)
{
	const struct mime_file *f = it->file;
	struct stat st;
	char ebuf[128];
	size_t want, ndirect, d;
	ssize_t n;
	int rc;

	*ret_put = 0;
	if (!w->started) {
		w->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (w->fd == -1)
			return writer_fail(w, err, SMTPC_ENOINPUT,
			    "cannot open", f->path,
			    error_strerror(errno, ebuf, sizeof(ebuf)));
		if (fstat(w->fd, &st) == -1 || !S_ISREG(st.st_mode))
			return writer_fail(w, err, SMTPC_ENOINPUT,
			    "cannot read", f->path,
			    "not a regular file any more");
		b64_wrap_init(&w->b64);
		w->nread = 0;
		w->started = 1;
	}
	ndirect = room / (B64_LINE + 2) * WRITER_LINE_IN;
	want = ndirect + WRITER_LINE_IN;
	if (room < WRITER_DIRECT_MIN && !topping) {
		ndirect = 0;
		want = WRITER_FILE_CHUNK;
	}
	if (want > WRITER_FILE_CHUNK)
		want = WRITER_FILE_CHUNK;
	do
		n = read(w->fd, w->chunk, want);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return writer_fail(w, err, SMTPC_EIO, "cannot read",
		    f->path, error_strerror(errno, ebuf, sizeof(ebuf)));
	w->nread += (uint64_t)n;
	if (w->nread > f->size || (n == 0 && w->nread != f->size))
		return writer_fail(w, err, SMTPC_EIO, "file", f->path,
		    "changed size since it was added");
	rc = 0;
	d = (size_t)n < ndirect ? (size_t)n : ndirect;
	if (d > 0)
		*ret_put = b64_wrap_encode(&w->b64, w->chunk, d, dst);
	if ((size_t)n > d)
		rc = b64_wrap_update(&w->b64, w->chunk + d, (size_t)n - d,
		    &w->pend);
	else if (n == 0) {
		rc = b64_wrap_final(&w->b64, &w->pend);
		close(w->fd);
		w->fd = -1;
		writer_next(w);
	}
	if (rc != 0)
		return writer_fail(w, err, rc, "cannot encode", f->path,
		    "out of memory");
	return 0;
}

int
smtpc_reader_read(struct smtpc_reader *w, void *buf, size_t cap,
    size_t *ret_len, struct smtpc_error *err)
{
	unsigned char *dst = buf;
	const struct witem *it;
	size_t done = 0, n;
	int rc;

	/* cap 0 would return 0 bytes, which means the end. */
	if (w == NULL || ret_len == NULL || buf == NULL || cap == 0)
		return error_set(err, SMTPC_EINVAL, "message",
		    "bad reader arguments");
	if (w->failed) {
		if (err != NULL)
			*err = w->ferr;
		return w->failed;
	}
	while (done < cap) {
		if (w->pend_off < w->pend.len) {
			n = w->pend.len - w->pend_off;
			if (n > cap - done)
				n = cap - done;
			memcpy(dst + done, w->pend.data + w->pend_off, n);
			w->pend_off += n;
			done += n;
			continue;
		}
		buf_reset(&w->pend);
		w->pend_off = 0;
		if (w->cur >= w->nitems)
			break;
		it = &w->items[w->cur];
		switch (it->kind) {
		case WITEM_MEM:
			n = it->len - w->pos;
			if (n > cap - done)
				n = cap - done;
			memcpy(dst + done, w->skel.data + it->off + w->pos, n);
			w->pos += n;
			done += n;
			if (w->pos == it->len)
				writer_next(w);
			break;
		case WITEM_TEXT:
			if ((rc = writer_step_text(w, it)) != 0)
				return writer_fail(w, err, rc, "cannot encode",
				    "the text", "out of memory");
			break;
		case WITEM_FILE:
			if ((rc = writer_step_file(w, it, dst + done,
			    cap - done, done > 0, &n, err)) != 0)
				return rc;
			done += n;
			break;
		}
	}
	*ret_len = done;
	return 0;
}
