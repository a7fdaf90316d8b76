/*
 * base64.c - base64 encoding (one-shot and line-wrapped streaming) and a
 * strict decoder.
 */
#include <string.h>

#include "base64.h"
#include "smtpc.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_group(const unsigned char *in, size_t n, char *out)
{
	unsigned v;

	v = (unsigned)in[0] << 16;
	if (n > 1)
		v |= (unsigned)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = b64_alphabet[(v >> 18) & 0x3f];
	out[1] = b64_alphabet[(v >> 12) & 0x3f];
	out[2] = n > 1 ? b64_alphabet[(v >> 6) & 0x3f] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 0x3f] : '=';
}

int
b64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	size_t i, start = out->len;
	char g[4];
	int rc;

	for (i = 0; i < len; i += 3) {
		b64_group(p + i, len - i >= 3 ? 3 : len - i, g);
		if ((rc = buf_append(out, g, 4)) != 0) {
			buf_truncate(out, start);
			return rc;
		}
	}
	return 0;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, start = out->len;
	unsigned char o[3];
	int v[4], k, npad, rc;

	if (len % 4 != 0)
		return SMTPC_EDATA;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		for (k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == len && k >= 2) {
				npad++;
				v[k] = 0;
				continue;
			}
			if (npad > 0 || (v[k] = b64_value(p[i + k])) < 0)
				goto rollback;
		}
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		o[2] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
		/* Canonical form: the bits dropped by padding must be zero. */
		if ((npad == 2 && (v[1] & 0xf) != 0) ||
		    (npad == 1 && (v[2] & 0x3) != 0))
			goto rollback;
		if ((rc = buf_append(out, o, 3 - (size_t)npad)) != 0) {
			buf_truncate(out, start);
			return rc;
		}
	}
	return 0;
rollback:
	buf_truncate(out, start);
	return SMTPC_EDATA;
}

void
b64_wrap_init(struct b64_wrap *w)
{
	memset(w, 0, sizeof(*w));
}

/* Append one 4-character group, breaking the line first when it is full. */
static int
b64_wrap_emit(struct b64_wrap *w, const char *g, struct buf *out)
{
	int rc;

	if (w->col == B64_LINE) {
		if ((rc = buf_append(out, "\r\n", 2)) != 0)
			return rc;
		w->col = 0;
	}
	if ((rc = buf_append(out, g, 4)) != 0)
		return rc;
	w->col += 4;
	return 0;
}

int
b64_wrap_update(struct b64_wrap *w, const void *in, size_t len,
    struct buf *out)
{
	const unsigned char *p = in;
	struct b64_wrap save = *w;
	size_t start = out->len, n = 0;
	char blk[4096];
	int rc;

	/* Finish a group begun by an earlier call, byte by byte. */
	while (len > 0 && w->ncarry > 0) {
		w->carry[w->ncarry++] = *p++;
		len--;
		if (w->ncarry == 3) {
			w->ncarry = 0;
			if (w->col == B64_LINE) {
				blk[n++] = '\r';
				blk[n++] = '\n';
				w->col = 0;
			}
			b64_group(w->carry, 3, blk + n);
			n += 4;
			w->col += 4;
		}
	}
	/* Whole groups, gathered in a block to append in one go. */
	for (; len >= 3; p += 3, len -= 3) {
		if (n + 6 > sizeof(blk)) {
			if ((rc = buf_append(out, blk, n)) != 0)
				goto rollback;
			n = 0;
		}
		if (w->col == B64_LINE) {
			blk[n++] = '\r';
			blk[n++] = '\n';
			w->col = 0;
		}
		b64_group(p, 3, blk + n);
		n += 4;
		w->col += 4;
	}
	if (n > 0 && (rc = buf_append(out, blk, n)) != 0)
		goto rollback;
	while (len > 0) {
		w->carry[w->ncarry++] = *p++;
		len--;
	}
	return 0;
rollback:
	*w = save;
	buf_truncate(out, start);
	return rc;
}

int
b64_wrap_final(struct b64_wrap *w, struct buf *out)
{
	size_t start = out->len;
	char g[4];
	int rc;

	if (w->ncarry > 0) {
		b64_group(w->carry, w->ncarry, g);
		if ((rc = b64_wrap_emit(w, g, out)) != 0)
			goto rollback;
	}
	if (w->col > 0 && (rc = buf_append(out, "\r\n", 2)) != 0)
		goto rollback;
	b64_wrap_init(w);
	return 0;
rollback:
	buf_truncate(out, start);
	return rc;
}

uint64_t
b64_wrap_size(uint64_t n)
{
	uint64_t chars, lines;

	chars = (n + 2) / 3 * 4;
	lines = (chars + B64_LINE - 1) / B64_LINE;
	return chars + 2 * lines;
}
