/*
 * dotstuff.c - CRLF normalisation and dot-stuffing for DATA, streaming.
 *
 * Runs of ordinary bytes are copied in one append, so the cost per byte
 * stays a comparison; only CR, LF and a '.' at the start of a line take
 * the slow path.
 */
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
		while (i < len && p[i] != '\r' && p[i] != '\n')
			i++;
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
