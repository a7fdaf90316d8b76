/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for mime_part.c through the writer: parts from memory
 * (copied, type guessed), from a read callback (declared size checked,
 * unknown size), and forwarded messages (message/rfc822: 7bit or 8bit,
 * never encoded, lines CRLF and checked, boundaries that differ from the
 * forwarded message's own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mime.h"
#include "smtpc.h"
#include "tap.h"
#include "tmpfiles.h"
#include "writer.h"

#include "msgcheck.h"

static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
	'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
	0x1f, 0x15, 0xc4, 0x89 };

static struct smtpc_msg *
new_msg(uint64_t seed)
{
	struct smtpc_msg *m = smtpc_msg_new();
	struct smtpc_error err;

	if (smtpc_msg_set_from(m, "a@example.org", &err) != 0 ||
	    smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "b@example.org",
	    &err) != 0 || smtpc_msg_set_text(m, "see below\n", 10, &err) != 0) {
		printf("Bail out! %s\n", err.message);
		exit(1);
	}
	smtpc_msg_set_seed(m, seed);
	smtpc_msg_set_date(m, 1700000000);
	return m;
}

/* The part of type `want`: its decoded body into `dec`; 0 when found. */
static int
part_of(const struct buf *msg, const char *want, struct leaf *lf,
    struct buf *dec)
{
	struct buf desc;
	int rc;

	buf_init(&desc, 1 << 16);
	memset(lf, 0, sizeof(*lf));
	lf->want = want;
	rc = message_structure(msg, &desc, lf);
	buf_free(&desc);
	if (rc != 0 || lf->body == NULL)
		return -1;
	buf_reset(dec);
	return decode_leaf(lf, dec);
}

static void
test_memory(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = new_msg(1);
	struct buf out, dec;
	struct leaf lf;
	unsigned char data[3000];
	uint64_t size;
	size_t i;

	buf_init(&out, 1 << 22);
	buf_init(&dec, 1 << 22);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	ok(smtpc_msg_add_attachment_mem(m, data, sizeof(data), NULL,
	    "report.pdf", &err) == 0, "attachment from memory");
	/* The bytes were copied: the caller's buffer may change. */
	memset(data, 0, sizeof(data));
	ok(smtpc_msg_add_attachment_mem(m, png, sizeof(png), NULL, "picture",
	    &err) == 0, "a second, without extension");
	ok(smtpc_msg_add_attachment_mem(m, "\x01\x02\x03", 3, NULL, "blob",
	    &err) == 0, "a third, nothing to guess from");
	ok(read_all(m, 1000, &out, &size, &err) == 0 && size == out.len,
	    "read, size exact");
	ok(part_of(&out, "application/pdf", &lf, &dec) == 0 &&
	    dec.len == sizeof(data) && dec.data[1] == 7 && dec.data[2] == 14,
	    "type from the name's extension; the copy decodes back");
	ok(lf.disp != NULL && strcmp(lf.disp,
	    " attachment; filename=\"report.pdf\"") == 0, "its name");
	leaf_free(&lf);
	ok(part_of(&out, "image/png", &lf, &dec) == 0 &&
	    dec.len == sizeof(png), "type from the bytes (libmagic)");
	leaf_free(&lf);
	ok(part_of(&out, "application/octet-stream", &lf, &dec) == 0 &&
	    dec.len == 3, "else application/octet-stream");
	leaf_free(&lf);

	ok(smtpc_msg_add_attachment_mem(m, data, 1, NULL, NULL, &err) ==
	    SMTPC_EINVAL && smtpc_msg_add_attachment_mem(m, data, 1, NULL, "",
	    &err) == SMTPC_EINVAL, "a name is required");
	ok(smtpc_msg_add_attachment_mem(m, NULL, 5, NULL, "x", &err) ==
	    SMTPC_EINVAL, "no data");
	ok(smtpc_msg_add_attachment_mem(m, data, 1, "message/rfc822", "x.eml",
	    &err) == SMTPC_EDATA && strstr(err.message, "as a message") !=
	    NULL, "message/rfc822 in base64 refused, with a hint");
	smtpc_msg_free(m);

	/* Inline from memory, with HTML: related, Content-ID from name. */
	m = new_msg(1);
	smtpc_msg_set_html(m, "<img src=\"cid:logo.png\">", 24, &err);
	ok(smtpc_msg_add_inline_mem(m, png, sizeof(png), NULL, "logo.png",
	    NULL, &err) == 0, "inline from memory");
	ok(smtpc_msg_add_inline_mem(m, png, sizeof(png), NULL, "logo.png",
	    NULL, &err) == SMTPC_EDATA, "the same Content-ID twice refused");
	ok(smtpc_msg_add_inline_mem(m, png, sizeof(png), "image/x-test",
	    "other.png", "given@id", &err) == 0, "a given cid and type");
	buf_reset(&out);
	read_all(m, 1000, &out, NULL, &err);
	ok(part_of(&out, "image/png", &lf, &dec) == 0 && lf.cid != NULL &&
	    strcmp(lf.cid, " <logo.png>") == 0 && dec.len == sizeof(png),
	    "Content-ID <logo.png>");
	leaf_free(&lf);
	ok(part_of(&out, "image/x-test", &lf, &dec) == 0 && lf.cid != NULL &&
	    strcmp(lf.cid, " <given@id>") == 0, "Content-ID as given");
	leaf_free(&lf);
	smtpc_msg_free(m);
	buf_free(&out);
	buf_free(&dec);
}

/* A callback source over memory, in pieces, that may lie or fail. */
struct src {
	const unsigned char *data;
	size_t len, pos, piece;
	int fail_at;		/* fail when pos reaches this (-1: never) */
	int overfill;		/* claim more than cap */
	int calls;
};

static int
src_read(void *user, void *buf, size_t cap, size_t *ret_len,
    struct smtpc_error *err)
{
	struct src *s = user;
	size_t n = s->len - s->pos;

	s->calls++;
	if (s->fail_at >= 0 && s->pos >= (size_t)s->fail_at) {
		snprintf(err->message, sizeof(err->message),
		    "the database went away");
		return SMTPC_ETEMP;
	}
	if (n > cap)
		n = cap;
	if (n > s->piece)
		n = s->piece;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	*ret_len = s->overfill ? cap + 1 : n;
	return 0;
}

static void
test_callbacks(void)
{
	unsigned char data[10000];
	struct src s;
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct buf out, dec;
	struct leaf lf;
	uint64_t size;
	size_t i;
	int rc;

	buf_init(&out, 1 << 22);
	buf_init(&dec, 1 << 22);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + 1);

	/* Exact size, short pieces. */
	memset(&s, 0, sizeof(s));
	s = (struct src){ data, sizeof(data), 0, 777, -1, 0, 0 };
	m = new_msg(2);
	ok(smtpc_msg_add_attachment_cb(m, src_read, &s, sizeof(data), NULL,
	    "data.bin", &err) == 0, "attachment from a callback");
	ok(read_all(m, 4096, &out, &size, &err) == 0 && size == out.len,
	    "declared size: reader size exact");
	ok(part_of(&out, "application/octet-stream", &lf, &dec) == 0 &&
	    dec.len == sizeof(data) && memcmp(dec.data, data,
	    sizeof(data)) == 0 && s.calls > 10, "decodes back, pulled in "
	    "pieces");
	leaf_free(&lf);

	/* Fewer or more bytes than declared: SMTPC_EIO. */
	s = (struct src){ data, sizeof(data) - 1, 0, 777, -1, 0, 0 };
	buf_reset(&out);
	rc = read_all(m, 4096, &out, NULL, &err);
	ok(rc == SMTPC_EIO && strstr(err.message, "data.bin") != NULL &&
	    strstr(err.message, "declared") != NULL, err.message);
	s = (struct src){ data, sizeof(data), 0, 777, -1, 0, 0 };
	smtpc_msg_free(m);
	m = new_msg(2);
	smtpc_msg_add_attachment_cb(m, src_read, &s, sizeof(data) - 5, NULL,
	    "data.bin", &err);
	buf_reset(&out);
	ok(read_all(m, 4096, &out, NULL, &err) == SMTPC_EIO,
	    "more bytes than declared: SMTPC_EIO");
	smtpc_msg_free(m);

	/* Unknown size: the reader says 0 (unknown) and still streams. */
	s = (struct src){ data, sizeof(data), 0, 4096, -1, 0, 0 };
	m = new_msg(2);
	ok(smtpc_msg_add_inline_cb(m, src_read, &s, SMTPC_SIZE_UNKNOWN,
	    "image/png", "pic.png", NULL, &err) == 0, "inline, unknown size");
	buf_reset(&out);
	size = 1;
	ok(read_all(m, 4096, &out, &size, &err) == 0 && size == 0,
	    "unknown size: reader size 0");
	ok(part_of(&out, "image/png", &lf, &dec) == 0 && dec.len ==
	    sizeof(data), "streams all of it");
	leaf_free(&lf);
	smtpc_msg_free(m);

	/* The callback's own failure, as it said it. */
	s = (struct src){ data, sizeof(data), 0, 1000, 3000, 0, 0 };
	m = new_msg(2);
	smtpc_msg_add_attachment_cb(m, src_read, &s, sizeof(data), NULL,
	    "data.bin", &err);
	buf_reset(&out);
	ok(read_all(m, 4096, &out, NULL, &err) == SMTPC_ETEMP &&
	    strcmp(err.message, "the database went away") == 0,
	    "a failing callback: its code and words");
	smtpc_msg_free(m);
	s = (struct src){ data, sizeof(data), 0, 1000, -1, 1, 0 };
	m = new_msg(2);
	smtpc_msg_add_attachment_cb(m, src_read, &s, SMTPC_SIZE_UNKNOWN, NULL,
	    "data.bin", &err);
	buf_reset(&out);
	ok(read_all(m, 4096, &out, NULL, &err) == SMTPC_EINVAL,
	    "a callback that gives more than asked: SMTPC_EINVAL");
	ok(smtpc_msg_add_attachment_cb(m, NULL, &s, 1, NULL, "x", &err) ==
	    SMTPC_EINVAL && smtpc_msg_add_attachment_cb(m, src_read, &s, 1,
	    NULL, NULL, &err) == SMTPC_EINVAL, "no callback, no name");
	smtpc_msg_free(m);
	buf_free(&out);
	buf_free(&dec);
}

/* The forwarded message's part, its header fields and its raw body. */
static int
forwarded(const struct buf *out, struct leaf *lf)
{
	struct buf desc;
	int rc;

	buf_init(&desc, 1 << 16);
	memset(lf, 0, sizeof(*lf));
	lf->want = "message/rfc822";
	rc = message_structure(out, &desc, lf);
	rc = rc == 0 && strcmp(buf_cstr(&desc), "multipart/mixed(text/plain,"
	    "message/rfc822)") == 0 && lf->body != NULL ? 0 : -1;
	buf_free(&desc);
	return rc;
}

static const char inner[] =
    "From: Old <old@example.org>\n"
    "To: a@example.org\n"
    "Subject: the original\n"
    "\n"
    "first line\n"
    "second line\r\n"
    ".\n"
    "last";
static const char inner_crlf[] =
    "From: Old <old@example.org>\r\n"
    "To: a@example.org\r\n"
    "Subject: the original\r\n"
    "\r\n"
    "first line\r\n"
    "second line\r\n"
    ".\r\n"
    "last";

static void
test_forwarded(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf out, in8;
	struct leaf lf;
	struct src s;
	uint64_t size;
	FILE *f;
	int rc;

	buf_init(&out, 1 << 22);
	buf_init(&in8, 1 << 16);

	/* From memory, 7-bit. */
	m = new_msg(3);
	ok(smtpc_msg_add_message_mem(m, inner, strlen(inner), "original.eml",
	    &err) == 0, "a message from memory");
	ok(smtpc_msg_has_8bit(m) == 0, "7-bit: needs no 8BITMIME");
	ok(read_all(m, 333, &out, &size, &err) == 0 && size == out.len,
	    "read, size exact");
	ok(forwarded(&out, &lf) == 0, "multipart/mixed(text/plain,"
	    "message/rfc822)");
	ok(lf.cte != NULL && strcmp(lf.cte, " 7bit") == 0,
	    "Content-Transfer-Encoding: 7bit");
	ok(lf.disp != NULL && strcmp(lf.disp,
	    " attachment; filename=\"original.eml\"") == 0, "attachment");
	eq_mem(lf.body, lf.blen, inner_crlf, strlen(inner_crlf),
	    "the message as it is, lines CRLF");
	ok(lines_ok(out.data, out.len, 998), "every line CRLF");
	leaf_free(&lf);
	smtpc_msg_free(m);

	/* From a file, 8-bit, no name given: the base name. */
	buf_append_str(&in8, "From: a@example.org\nSubject: caf\xc3\xa9\n\n"
	    "Gr\xc3\xbc\xc3\x9f" "e\n");
	write_file("fwd8.eml", in8.data, in8.len);
	m = new_msg(3);
	ok(smtpc_msg_add_message(m, path_of("fwd8.eml"), NULL, &err) == 0,
	    "an 8-bit message from a file");
	ok(smtpc_msg_has_8bit(m) == 1, "8-bit: needs 8BITMIME");
	buf_reset(&out);
	ok(read_all(m, 4096, &out, &size, &err) == 0 && size == out.len,
	    "size exact");
	ok(forwarded(&out, &lf) == 0 && lf.cte != NULL &&
	    strcmp(lf.cte, " 8bit") == 0 && strstr(lf.disp, "fwd8.eml") !=
	    NULL, "8bit, named after the file");
	ok(find((char *)out.data, out.len, "base64") == NULL &&
	    find((char *)out.data, out.len, "quoted-printable") == NULL,
	    "never encoded");
	leaf_free(&lf);
	/* The 7-bit switch refuses it while reading. */
	smtpc_reader_new(m, &r, &err);
	writer_set_7bit(r);
	{
		unsigned char tmp[4096];
		size_t n;

		while ((rc = smtpc_reader_read(r, tmp, sizeof(tmp), &n,
		    &err)) == 0 && n > 0)
			;
	}
	ok(rc == SMTPC_EDATA && strstr(err.message, "fwd8.eml, line 2: an "
	    "8-bit byte") != NULL, err.message);
	smtpc_reader_free(r);
	/* Changed after it was added. */
	f = fopen(path_of("fwd8.eml"), "ab");
	fputs("more\n", f);
	fclose(f);
	buf_reset(&out);
	ok(read_all(m, 4096, &out, NULL, &err) == SMTPC_EIO,
	    "a forwarded file that changed: SMTPC_EIO");
	smtpc_msg_free(m);

	/* Bad lines: refused when added, line named, nothing added. */
	m = new_msg(3);
	ok(smtpc_msg_add_message_mem(m, "A: b\n\nx\0y\n", 10, "n.eml",
	    &err) == SMTPC_EDATA && strcmp(err.message,
	    "n.eml, line 3: a NUL byte") == 0 && m->nfiles == 0, err.message);
	buf_reset(&in8);
	buf_append_str(&in8, "A: b\n\n");
	while (in8.len < 6 + 999)
		buf_append_byte(&in8, 'l');
	write_file("long.eml", in8.data, in8.len);
	ok(smtpc_msg_add_message(m, path_of("long.eml"), NULL, &err) ==
	    SMTPC_EDATA && strstr(err.message, "line 3: longer than 998") !=
	    NULL && m->nfiles == 0, err.message);

	/* From a callback: 8bit label, unknowns, lines checked while read. */
	s = (struct src){ (const unsigned char *)inner, strlen(inner), 0, 7,
	    -1, 0, 0 };
	ok(smtpc_msg_add_message_cb(m, src_read, &s, NULL, &err) == 0,
	    "a message from a callback");
	ok(smtpc_msg_has_8bit(m) == -1, "8-bit unknown");
	buf_reset(&out);
	ok(read_all(m, 4096, &out, &size, &err) == 0 && size == 0,
	    "size unknown");
	ok(forwarded(&out, &lf) == 0 && strcmp(lf.cte, " 8bit") == 0 &&
	    strcmp(lf.disp, " attachment") == 0, "8bit, no name");
	eq_mem(lf.body, lf.blen, inner_crlf, strlen(inner_crlf),
	    "the callback's message, lines CRLF");
	leaf_free(&lf);
	smtpc_msg_free(m);
	m = new_msg(3);
	s = (struct src){ (const unsigned char *)"A: b\n\nok\nbad\0\n", 14, 0,
	    100, -1, 0, 0 };
	smtpc_msg_add_message_cb(m, src_read, &s, "cb.eml", &err);
	buf_reset(&out);
	ok(read_all(m, 4096, &out, NULL, &err) == SMTPC_EDATA &&
	    strcmp(err.message, "cb.eml, line 4: a NUL byte") == 0,
	    err.message);
	smtpc_msg_free(m);
	unlink(path_of("fwd8.eml"));
	unlink(path_of("long.eml"));
	buf_free(&out);
	buf_free(&in8);
}

/*
 * A message written with seed S forwarded in one with seed S: the same
 * generator would give the same boundary; the forwarded lines must make
 * the outer message pick another.
 */
static void
test_boundary_clash(void)
{
	struct smtpc_error err;
	struct smtpc_msg *a, *b;
	struct buf ain, out;
	struct leaf lf;

	buf_init(&ain, 1 << 20);
	buf_init(&out, 1 << 20);
	a = new_msg(9);
	smtpc_msg_add_attachment_mem(a, png, sizeof(png), NULL, "x.png", &err);
	read_all(a, 4096, &ain, NULL, &err);
	b = new_msg(9);
	ok(smtpc_msg_add_message_mem(b, ain.data, ain.len, "a.eml", &err) == 0,
	    "forwarding a message written with the same seed");
	read_all(b, 4096, &out, NULL, &err);
	ok(forwarded(&out, &lf) == 0 && lf.blen == ain.len &&
	    memcmp(lf.body, ain.data, ain.len) == 0,
	    "the outer boundary differs: the forwarded message comes whole");
	leaf_free(&lf);
	smtpc_msg_free(a);
	smtpc_msg_free(b);
	buf_free(&ain);
	buf_free(&out);
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	tmp_setup("parts");

	test_memory();
	test_callbacks();
	test_forwarded();
	test_boundary_clash();

	rmdir(dir);
	return tap_done();
}
