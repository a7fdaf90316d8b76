/* SPDX-License-Identifier: ISC */
/*
 * crlf.c - line ends made CRLF and lines checked (NUL, 998 octets, 8-bit)
 * across chunk edges, writing or only counting.
 */
#include <string.h>

#include "bounds.h"
#include "crlf.h"
#include "error.h"

void
crlf_init(struct crlf *c, uint64_t first_line)
{
	memset(c, 0, sizeof(*c));
	c->line = first_line;
}

enum crlf_stop
crlf_run(struct crlf *c, const unsigned char *in, size_t len,
    size_t *ret_used, unsigned char *out, size_t room, size_t *ret_put)
{
	enum crlf_stop why = CRLF_OK;
	size_t i, o = 0;
	unsigned char b;

	for (i = 0; i < len; i++) {
		b = in[i];
		if (b == '\n' && c->cr) {
			/* The second half of a CRLF already written. */
			c->cr = 0;
			continue;
		}
		c->cr = 0;
		if (b == '\r' || b == '\n') {
			if (out != NULL) {
				if (room - o < 2)
					break;
				out[o] = '\r';
				out[o + 1] = '\n';
			}
			o += 2;
			c->cr = b == '\r';
			c->line++;
			c->col = 0;
			continue;
		}
		if (b == '\0')
			why = CRLF_NUL;
		else if (c->col >= LIMIT_HEADER_LINE)
			why = CRLF_LONG;
		else if (b >= 0x80 && c->only7)
			why = CRLF_8BIT;
		if (why != CRLF_OK) {
			c->bad = b;
			break;
		}
		if (out != NULL) {
			if (room - o < 1)
				break;
			out[o] = b;
		}
		o++;
		c->col++;
		c->eight |= b >= 0x80;
	}
	*ret_used = i;
	if (ret_put != NULL)
		*ret_put = o;
	c->out += o;
	return why;
}

size_t
crlf_unended(const struct crlf *c)
{
	return c->col > 0 ? 2 : 0;
}

int
crlf_error(const struct crlf *c, enum crlf_stop why, const char *what,
    struct smtpc_error *err)
{
	const char *pre = what != NULL ? what : "";
	const char *sep = what != NULL ? ", " : "";
	unsigned long long line = (unsigned long long)c->line;

	switch (why) {
	case CRLF_NUL:
		return error_set(err, SMTPC_EDATA, "message",
		    "%s%sline %llu: a NUL byte", pre, sep, line);
	case CRLF_LONG:
		return error_set(err, SMTPC_EDATA, "message",
		    "%s%sline %llu: longer than %d octets (RFC 5322 2.1.1)",
		    pre, sep, line, LIMIT_HEADER_LINE);
	case CRLF_8BIT:
		return error_set(err, SMTPC_EDATA, "message",
		    "%s%sline %llu: an 8-bit byte (0x%02X) where only 7-bit "
		    "data may go (the server does not offer 8BITMIME)", pre,
		    sep, line, c->bad);
	default:
		return error_set(err, SMTPC_EINTERNAL, "message",
		    "%s%sline %llu: unknown filter stop", pre, sep, line);
	}
}
