/* SPDX-License-Identifier: ISC */
/*
 * dotstuff.c - CRLF normalisation and dot-stuffing for DATA, streaming.
 *
 * Runs of ordinary bytes are copied in one append, so the cost per byte
 * stays a comparison; only CR, LF and a '.' at the start of a line take
 * the slow path.
 */
#include <string.h>

#include "dotstuff.h"

void
dotstuff_init(struct dotstuff *d)
{
	d->bol = 1;
	d->cr = 0;
	d->crlf_only = 0;
}

void
dotstuff_init_crlf(struct dotstuff *d)
{
	dotstuff_init(d);
	d->crlf_only = 1;
}

/*
 * From p[i], an ordinary byte in the middle of a line, find where the slow
 * path must take over: a CR that does not end its line, a bare LF, the end
 * of the input, or the start of a line that begins with '.', CR or LF.
 * Whole lines already ending in CRLF are passed over with memchr, so
 * well-formed input (every base64 line) costs two vector scans per line and
 * is appended in one piece.  Sets d->bol when it stops right after a CRLF.
 */
static size_t
dotstuff_clean_span(struct dotstuff *d, const unsigned char *p, size_t i,
    size_t len)
{
	const unsigned char *lf, *cr;
	size_t end, next;

	for (;;) {
		lf = memchr(p + i, '\n', len - i);
		end = lf ? (size_t)(lf - p) : len;
		cr = memchr(p + i, '\r', end - i);
		if (lf == NULL)
			return cr ? (size_t)(cr - p) : len;
		if (cr == NULL)
			return end;		/* a bare LF */
		if (cr + 1 != lf)
			return (size_t)(cr - p); /* a CR inside the line */
		next = end + 1;
		if (next == len || p[next] == '\r' || p[next] == '\n' ||
		    (p[next] == '.' && !d->crlf_only)) {
			d->bol = 1;
			return next;
		}
		i = next;
	}
}

int
dotstuff_push(struct dotstuff *d, const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	size_t i = 0, start;
	int rc;

	while (i < len) {
		if (d->cr) {
			/* CR then anything: a line ending; CRLF is one. */
			d->cr = 0;
			d->bol = 1;
			if ((rc = buf_append(out, "\r\n", 2)) != 0)
				return rc;
			if (p[i] == '\n') {
				i++;
				continue;
			}
		}
		if (p[i] == '\r') {
			d->cr = 1;
			i++;
			continue;
		}
		if (p[i] == '\n') {
			d->bol = 1;
			if ((rc = buf_append(out, "\r\n", 2)) != 0)
				return rc;
			i++;
			continue;
		}
		if (d->bol && p[i] == '.' && !d->crlf_only &&
		    (rc = buf_append_byte(out, '.')) != 0)
			return rc;
		d->bol = 0;
		start = i;
		i = dotstuff_clean_span(d, p, i, len);
		if ((rc = buf_append(out, p + start, i - start)) != 0)
			return rc;
	}
	return 0;
}

int
dotstuff_finish(struct dotstuff *d, struct buf *out)
{
	int rc, crlf_only = d->crlf_only;

	if (d->cr || !d->bol) {
		if ((rc = buf_append(out, "\r\n", 2)) != 0)
			return rc;
	}
	if (!crlf_only && (rc = buf_append(out, ".\r\n", 3)) != 0)
		return rc;
	dotstuff_init(d);
	d->crlf_only = crlf_only;
	return 0;
}
