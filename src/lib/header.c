/* SPDX-License-Identifier: ISC */
/*
 * header.c - header fields: folding, RFC 2047 encoded-words, RFC 2231
 * parameters, injection checks.
 */
#include <string.h>

#include "bounds.h"
#include "error.h"
#include "header.h"

/* "=?UTF-8?Q?" + "?=" around at most this much payload: 75 in all. */
#define HEADER_EW_PAYLOAD	63
#define HEADER_2231_SEGMENT	48	/* encoded characters a segment */

static const char header_hex[] = "0123456789ABCDEF";
static const char header_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
header_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i < n)
			return 0;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n;
	}
	return 1;
}

int
header_check_value(const char *name, const char *value, size_t len,
    struct smtpc_error *err)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (value[i] == '\r' || value[i] == '\n')
			return error_set(err, SMTPC_EDATA, "message",
			    "header %s contains a line break", name);
		if (value[i] == '\0')
			return error_set(err, SMTPC_EDATA, "message",
			    "header %s contains a NUL byte", name);
	}
	if (len > LIMIT_HEADER_VALUE)
		return error_set(err, SMTPC_EDATA, "message",
		    "header %s is too long (%zu bytes, at most %u)", name, len,
		    (unsigned)LIMIT_HEADER_VALUE);
	if (!header_utf8_valid(value, len))
		return error_set(err, SMTPC_EDATA, "message",
		    "header %s is not valid UTF-8", name);
	return 0;
}

int
header_check_name(const char *name, struct smtpc_error *err)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 76)
		return error_set(err, SMTPC_EDATA, "message",
		    "header name must be 1 to 76 characters");
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 32 ||
		    (unsigned char)name[i] >= 127 || name[i] == ':')
			return error_set(err, SMTPC_EDATA, "message",
			    "header name contains a space, ':' or a character "
			    "that is not printable ASCII");
	return 0;
}

int
header_begin(struct hfold *f, struct buf *out, const char *name)
{
	int rc;

	f->out = out;
	f->start = out->len;
	f->empty = 1;
	if ((rc = buf_append_str(out, name)) != 0 ||
	    (rc = buf_append_byte(out, ':')) != 0) {
		header_abort(f);
		return rc;
	}
	f->col = strlen(name) + 1;
	return 0;
}

void
header_abort(struct hfold *f)
{
	buf_truncate(f->out, f->start);
}

int
header_atom(struct hfold *f, const char *sep, size_t seplen,
    const char *atom, size_t len)
{
	int rc;

	if (seplen > 0 && !f->empty && f->col + seplen + len > HEADER_FOLD) {
		if ((rc = buf_append(f->out, "\r\n", 2)) != 0)
			goto abort_field;
		f->col = 0;
	}
	if ((rc = buf_append(f->out, sep, seplen)) != 0 ||
	    (rc = buf_append(f->out, atom, len)) != 0)
		goto abort_field;
	f->col += seplen + len;
	f->empty = 0;
	if (f->col > LIMIT_HEADER_LINE) {
		rc = SMTPC_ELIMIT;
		goto abort_field;
	}
	return 0;
abort_field:
	header_abort(f);
	return rc;
}

int
header_fold(struct hfold *f)
{
	int rc;

	if (f->empty || f->col == 0)
		return 0;
	if ((rc = buf_append(f->out, "\r\n", 2)) != 0) {
		header_abort(f);
		return rc;
	}
	f->col = 0;
	return 0;
}

int
header_atom_str(struct hfold *f, const char *sep, const char *atom)
{
	return header_atom(f, sep, strlen(sep), atom, strlen(atom));
}

int
header_end(struct hfold *f)
{
	int rc;

	if ((rc = buf_append(f->out, "\r\n", 2)) != 0)
		header_abort(f);
	return rc;
}

static int
header_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int
header_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Characters a Q encoded-word may carry as they are, even in a phrase. */
static int
header_q_literal(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!*+-/", c) != NULL;
}

static size_t
header_char_len(const unsigned char *p, size_t left)
{
	size_t n = 1, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	if (n > left)
		n = left;
	for (k = 1; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return k;
	return n;
}

static size_t
header_q_len(unsigned char c)
{
	return c == ' ' || header_q_literal(c) ? 1 : 3;
}

static void
header_q_put(unsigned char c, char *w, size_t *n)
{
	if (c == ' ')
		w[(*n)++] = '_';
	else if (header_q_literal(c))
		w[(*n)++] = (char)c;
	else {
		w[(*n)++] = '=';
		w[(*n)++] = header_hex[c >> 4];
		w[(*n)++] = header_hex[c & 0xf];
	}
}

static void
header_b_put(const unsigned char *p, size_t len, char *w, size_t *n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		w[(*n)++] = header_b64[(v >> 18) & 0x3f];
		w[(*n)++] = header_b64[(v >> 12) & 0x3f];
		w[(*n)++] = i + 1 < len ? header_b64[(v >> 6) & 0x3f] : '=';
		w[(*n)++] = i + 2 < len ? header_b64[v & 0x3f] : '=';
	}
}

/*
 * Write p[i..end) as encoded-words, Q or B as `useq` says.  A B word
 * always carries a multiple of 3 bytes, so it never ends in '=' padding:
 * GMime joins the base64 of adjacent B words before decoding and loses
 * what follows a padded one (upstream #133).  Where no such cut exists
 * (say one 2-byte character followed by 3-byte ones), that word is
 * written in Q instead, which realigns the rest.  The first word of
 * the whole run (*first) is preceded by `sep` and glued to `pre`; the
 * others by one space, which decoders drop between encoded-words.  `post`
 * is glued to the last word when `last` is set.
 */
static int
header_ew_seg(struct hfold *f, int *first, const char *sep, size_t seplen,
    const unsigned char *p, size_t i, size_t end, int useq, const char *pre,
    const char *post, int last)
{
	char w[128];
	size_t j, k, n, qlen, cl, enc, cut, cut3, lim, extra, room;
	int rc, q;

	extra = strlen(pre) + strlen(post);
	for (; i < end || (*first && i == end); i = j) {
		lim = HEADER_EW_PAYLOAD - extra;
		/* Right after "Name:" there is no folding: fit the line. */
		if (*first && f->empty) {
			room = 8;
			if (f->col + seplen + 12 + extra + 8 <= HEADER_FOLD)
				room = HEADER_FOLD - f->col - seplen - 12 -
				    extra;
			if (room < lim)
				lim = room;
		}
		q = useq;
		cut = cut3 = 0;
		if (!q) {
			for (j = i; j < end; j += cl) {
				cl = header_char_len(p + j, end - j);
				if (j + cl - i > lim / 4 * 3)
					break;
				cut = j + cl - i;
				if (cut % 3 == 0)
					cut3 = cut;
			}
			if (cut3 == 0)
				q = 1;
		}
		n = 0;
		if (*first) {
			memcpy(w, pre, strlen(pre));
			n = strlen(pre);
		}
		memcpy(w + n, q ? "=?UTF-8?Q?" : "=?UTF-8?B?", 10);
		n += 10;
		if (q) {
			for (j = i, enc = 0; j < end; j += cl) {
				cl = header_char_len(p + j, end - j);
				for (k = 0, qlen = 0; k < cl; k++)
					qlen += header_q_len(p[j + k]);
				if (enc + qlen > lim && j > i)
					break;
				enc += qlen;
				for (k = 0; k < cl; k++)
					header_q_put(p[j + k], w, &n);
			}
		} else {
			header_b_put(p + i, cut3, w, &n);
			j = i + cut3;
		}
		w[n++] = '?';
		w[n++] = '=';
		if (last && j >= end) {
			memcpy(w + n, post, strlen(post));
			n += strlen(post);
		}
		if (*first)
			rc = header_atom(f, sep, seplen, w, n);
		else
			rc = header_atom(f, " ", 1, w, n);
		*first = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Write `len` bytes of text as encoded-words: Q or B, whichever is
 * shorter.  With B, a tail of whole characters that would need padding
 * goes into a Q word instead, so no B word of the field ends in '='.
 */
static int
header_ew(struct hfold *f, const char *sep, size_t seplen, const char *text,
    size_t len, const char *pre, const char *post, int phrase)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i, qlen = 0, blen, split, cl;
	int useq, first = 1, rc;

	if (strlen(pre) + strlen(post) > 32)
		return SMTPC_EINTERNAL;
	/* The last character boundary that is a multiple of 3. */
	split = 0;
	for (i = 0; i < len; i += cl) {
		if (i % 3 == 0)
			split = i;
		cl = header_char_len(p + i, len - i);
	}
	if (len % 3 == 0)
		split = len;
	for (i = 0; i < len; i++)
		qlen += header_q_len(p[i]);
	/* Sizes with one word's overhead (12) per segment. */
	for (i = split, blen = 0; i < len; i++)
		blen += header_q_len(p[i]);
	blen += (split > 0 ? 12 + split / 3 * 4 : 0) +
	    (split < len ? 13 : 0);
	useq = qlen + 12 <= blen;
	/*
	 * In a display name one word beats a shorter pair: Python's address
	 * parser puts a space between adjacent encoded-words.
	 */
	if (phrase && !useq && split < len && qlen + 12 + strlen(pre) +
	    strlen(post) <= 75 - (f->empty ? f->col + seplen : 1))
		useq = 1;
	if (useq)
		return header_ew_seg(f, &first, sep, seplen, p, 0, len, 1, pre,
		    post, 1);
	if (split > 0 && (rc = header_ew_seg(f, &first, sep, seplen, p, 0,
	    split, 0, pre, post, split == len)) != 0)
		return rc;
	if (split < len)
		return header_ew_seg(f, &first, sep, seplen, p, split, len, 1,
		    pre, post, 1);
	return 0;
}

/* 1 when a word must be encoded rather than written as it is. */
static int
header_word_needs(const char *w, size_t len, size_t max_plain)
{
	size_t i;

	if (len > max_plain)
		return 1;
	for (i = 0; i < len; i++) {
		if ((unsigned char)w[i] < 0x20 || (unsigned char)w[i] >= 0x7f)
			return 1;
		/* It would be decoded as if it were one. */
		if (w[i] == '=' && i + 1 < len && w[i + 1] == '?')
			return 1;
	}
	return 0;
}

/*
 * Walk the words of `text`: plain words are written as they are; a run of
 * words that need encoding (with the whitespace between them) becomes
 * encoded-words.  Leading and trailing whitespace is dropped.
 */
static int
header_words(struct hfold *f, const char *text, size_t len)
{
	size_t i = 0, ss, se, ws, we, rs = 0, re = 0, rss = 0, rse = 0, lim;
	int run = 0, rc;
	const char *sep;
	size_t seplen;

	for (;;) {
		ss = i;
		while (i < len && header_is_ws(text[i]))
			i++;
		se = i;
		if (i == len)
			break;
		ws = i;
		while (i < len && !header_is_ws(text[i]))
			i++;
		we = i;
		/*
		 * A plain word must fit on a line with its separator, after
		 * "Name:" when nothing can fold before it; a longer one is
		 * encoded, since encoded-words can be split and folded.
		 */
		lim = LIMIT_HEADER_LINE - (se > ss ? se - ss : 1);
		if (f->empty && !run && lim > f->col)
			lim -= f->col;
		if (header_word_needs(text + ws, we - ws, lim)) {
			if (!run) {
				run = 1;
				rss = ss;
				rse = se;
				rs = ws;
			}
			re = we;
			continue;
		}
		if (run) {
			sep = rss == 0 ? " " : text + rss;
			seplen = rss == 0 ? 1 : rse - rss;
			if ((rc = header_ew(f, sep, seplen, text + rs, re - rs,
			    "", "", 0)) != 0)
				return rc;
			run = 0;
		}
		sep = ss == 0 ? " " : text + ss;
		seplen = ss == 0 ? 1 : se - ss;
		if ((rc = header_atom(f, sep, seplen, text + ws, we - ws)) != 0)
			return rc;
	}
	if (run) {
		sep = rss == 0 ? " " : text + rss;
		seplen = rss == 0 ? 1 : rse - rss;
		if ((rc = header_ew(f, sep, seplen, text + rs, re - rs, "",
		    "", 0)) != 0)
			return rc;
	}
	return 0;
}

/* Append `s` as a quoted-string ("" around, \ before " and \). */
static int
header_quote(struct buf *b, const char *s, size_t len)
{
	size_t i;
	int rc;

	if ((rc = buf_append_byte(b, '"')) != 0)
		return rc;
	for (i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    (rc = buf_append_byte(b, '\\')) != 0)
			return rc;
		if ((rc = buf_append_byte(b, (unsigned char)s[i])) != 0)
			return rc;
	}
	return buf_append_byte(b, '"');
}

/*
 * 1 when `s` holds "=?": readers decode what looks like an encoded-word
 * even in a quoted string or a parameter value (GMime, Python), so such
 * text is always encoded.
 */
static int
header_has_ew_open(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '=' && s[i + 1] == '?')
			return 1;
	return 0;
}

/*
 * The length of header_quote's output: escapes count, so a value of
 * quotes and backslashes does not pass the fold column once quoted.
 */
static size_t
header_quoted_len(const char *s, size_t len)
{
	size_t i, n = len + 2;

	for (i = 0; i < len; i++)
		if (s[i] == '"' || s[i] == '\\')
			n++;
	return n;
}

static int
header_is_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int
header_text(struct hfold *f, const char *text, size_t len)
{
	return header_words(f, text, len);
}

/*
 * A display name is folded nowhere but between two encoded-words: GMime
 * keeps any other fold inside a phrase (between atoms, in a quoted
 * string, or between an atom and an encoded-word) as a line break in the
 * decoded name, where Python and RFC 5322 unfold it.  So an ASCII name is
 * one unbreakable atom or quoted-string, and a name with anything that
 * needs encoding is encoded whole: decoders drop the whitespace between
 * encoded-words (RFC 2047 6.2), so no fold there shows, and a name that
 * fits in one encoded-word gives no reader anything to choose.
 */
int
header_phrase(struct hfold *f, const char *name, size_t len)
{
	struct buf q;
	size_t i, s, e, n, room;
	int plain = 1, special = 0, rc;

	for (s = 0; s < len && header_is_ws(name[s]); s++)
		;
	for (e = len; e > s && header_is_ws(name[e - 1]); e--)
		;
	if (s == e)
		return 0;
	for (i = s; i < e; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c >= 0x7f)
			plain = 0;
		else if (!header_is_atext(c) && c != ' ')
			special = 1;
	}
	/* Against RFC 2047 5, readers decode "=?" in a quoted string. */
	if (header_has_ew_open(name + s, e - s))
		plain = 0;
	n = special ? header_quoted_len(name + s, e - s) : e - s;
	room = LIMIT_HEADER_LINE - 1 - (f->empty ? f->col : 0);
	/* Too long for any line, it is encoded so that it can fold. */
	if (plain && n <= room) {
		buf_init(&q, LIMIT_HEADER_LINE);
		rc = special ? header_quote(&q, name + s, e - s) :
		    buf_append(&q, name + s, e - s);
		if (rc == 0)
			rc = header_atom(f, " ", 1, (char *)q.data, q.len);
		else
			header_abort(f);
		buf_free(&q);
		return rc;
	}
	return header_ew(f, " ", 1, name + s, e - s, "", "", 1);
}

/* RFC 2231 attribute-char: what may stand in a value without %XX. */
static int
header_attr_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL;
}

int
header_param(struct hfold *f, const char *attr, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t i, k, cl, enc, len = strlen(value);
	struct buf a, t;
	int rc, nseg, single;

	if ((rc = header_atom(f, "", 0, ";", 1)) != 0)
		return rc;
	buf_init(&a, LIMIT_HEADER_LINE);
	buf_init(&t, LIMIT_HEADER_LINE);
	if (header_quoted_len(value, len) <= 62 &&
	    header_is_ascii(value, len) && !header_has_ew_open(value, len)) {
		if ((rc = buf_printf(&t, "%s=", attr)) == 0 &&
		    (rc = header_quote(&t, value, len)) == 0)
			rc = header_atom(f, " ", 1, (char *)t.data, t.len);
		goto free_bufs;
	}
	/* Percent-encode; cut segments between whole characters. */
	nseg = 0;
	i = 0;
	do {
		buf_reset(&a);
		rc = 0;
		while (i < len && rc == 0) {
			cl = header_char_len(p + i, len - i);
			enc = cl == 1 && header_attr_char(p[i]) ? 1 : 3 * cl;
			if (a.len > 0 && a.len + enc > HEADER_2231_SEGMENT)
				break;
			if (enc == 1)
				rc = buf_append_byte(&a, p[i]);
			else
				for (k = 0; k < cl && rc == 0; k++)
					rc = buf_printf(&a, "%%%c%c",
					    header_hex[p[i + k] >> 4],
					    header_hex[p[i + k] & 0xf]);
			i += cl;
		}
		if (rc != 0)
			break;
		single = nseg == 0 && i >= len;
		buf_reset(&t);
		if (single)
			rc = buf_printf(&t, "%s*=UTF-8''%s", attr,
			    buf_cstr(&a));
		else
			rc = buf_printf(&t, "%s*%d*=%s%s", attr, nseg,
			    nseg == 0 ? "UTF-8''" : "", buf_cstr(&a));
		if (rc == 0 && nseg > 0)
			rc = header_atom(f, "", 0, ";", 1);
		if (rc == 0)
			rc = header_atom(f, " ", 1, (char *)t.data, t.len);
		nseg++;
	} while (rc == 0 && i < len);
free_bufs:
	if (rc != 0)
		header_abort(f);
	buf_free(&a);
	buf_free(&t);
	return rc;
}

int
header_param_plain(struct hfold *f, const char *attr, const char *value)
{
	size_t len = strlen(value);
	struct buf a;
	int rc;

	/*
	 * RFC 2047 5: no encoded-word in a quoted-string; the caller gives
	 * an ASCII stand-in (mime_ascii_name) for what is not.
	 */
	if (!header_is_ascii(value, len) || header_has_ew_open(value, len)) {
		header_abort(f);
		return SMTPC_EINTERNAL;
	}
	if ((rc = header_atom(f, "", 0, ";", 1)) != 0)
		return rc;
	buf_init(&a, LIMIT_HEADER_LINE);
	if ((rc = buf_printf(&a, "%s=", attr)) == 0 &&
	    (rc = header_quote(&a, value, len)) == 0)
		rc = header_atom(f, " ", 1, (char *)a.data, a.len);
	if (rc != 0)
		header_abort(f);
	buf_free(&a);
	return rc;
}

int
header_write_text(struct buf *out, const char *name, const char *text)
{
	struct hfold f;
	int rc;

	if ((rc = header_begin(&f, out, name)) != 0)
		return rc;
	if ((rc = header_text(&f, text, strlen(text))) != 0)
		return rc;
	return header_end(&f);
}
