/* SPDX-License-Identifier: ISC */
/*
 * mime_name.c - file names and Content-IDs in header fields: the ASCII
 * stand-in of a name for readers without RFC 2231, made unique within a
 * message, and Content-IDs checked or made from names.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "error.h"
#include "mime.h"

/* A character that may stand in a Content-ID as we write it (msg-id). */
static int
mime_cid_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("<>\"()[]\\,;:", c) == NULL;
}

int
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

void
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

void
mime_names_free(char **names, size_t n)
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
mime_numbered(const char *base, size_t k)
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

char **
mime_names(const struct smtpc_msg *m)
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
		if (m->files[i].name == NULL)
			continue;
		if (mime_ascii_name(m->files[i].name, &b) != 0 ||
		    (names[i] = strdup(buf_cstr(&b))) == NULL)
			goto fail;
	}
	/* k[i]: the number to try first, past earlier stand-ins alike. */
	if ((k = calloc(m->nfiles + 1, sizeof(*k))) == NULL)
		goto fail;
	for (i = 0; i < m->nfiles; i++) {
		k[i] = names[i] == NULL || mime_name_plain(m->files[i].name) ?
		    0 : 1;
		for (j = 0; j < i && k[i] > 0; j++)
			if (k[j] > 0 && strcasecmp(names[j], names[i]) == 0)
				k[i]++;
	}
	for (i = 0; i < m->nfiles; i++) {
		for (c = NULL; k[i] > 0; k[i]++) {
			if (k[i] > 1 &&
			    (c = mime_numbered(names[i], k[i])) == NULL)
				goto fail;
			/* Plain names and earlier (final) stand-ins count. */
			for (j = 0, taken = 0; j < m->nfiles && !taken; j++)
				taken = j != i && names[j] != NULL &&
				    (j < i || k[j] == 0) &&
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
	mime_names_free(names, m->nfiles);
	return NULL;
}
