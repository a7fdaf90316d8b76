/* SPDX-License-Identifier: ISC */
/*
 * fuzz_writer.c - a whole message described by the fuzz input (subject,
 * display names, an extra header, text and HTML bodies, up to three small
 * files written to a private temporary directory), read back through
 * smtpc_reader_read with random read sizes.
 *
 * Properties: what the library accepts it can write; the reader produces
 * exactly smtpc_reader_size() bytes, the same bytes whatever the read
 * sizes; every line ends with CRLF, has no bare CR, LF or NUL and is at
 * most 998 octets; the header section is 7-bit, every line either a
 * "Name:" field or a continuation starting with whitespace; a text-only
 * message's body decodes (7bit, quoted-printable or base64, as its
 * header says) to exactly the text.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "mime.h"
#include "smtpc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];
static char fuzz_path[3][128];
static const char *const fuzz_names[3] = {
    "photo.jpg",
    "notes.bin",
    "R\xc3\xa9sum\xc3\xa9 2026.pdf",
};

static void
fuzz_cleanup(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		unlink(fuzz_path[i]);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/smtpc-fuzz-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	for (i = 0; i < 3; i++)
		snprintf(fuzz_path[i], sizeof(fuzz_path[i]), "%s/%s", fuzz_dir,
		    fuzz_names[i]);
	atexit(fuzz_cleanup);
	return 0;
}

/* Some bytes, repeated a chosen number of times (long lines, big files). */
static char *
fuzz_blob(struct fz *f, size_t *ret_len)
{
	const uint8_t *p;
	size_t n = fz_take(f, 255, &p), rep = (fz_byte(f) & 31) + 1, i;
	char *s = malloc(n * rep + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < rep; i++)
		memcpy(s + i * n, p, n);
	s[n * rep] = '\0';
	*ret_len = n * rep;
	return s;
}

static void
fuzz_write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* An address with a display name from the input; plain if refused. */
static void
fuzz_addr(struct fz *f, struct smtpc_msg *m, int from, const char *spec)
{
	char *name = fz_str(f, 80), full[256];
	struct smtpc_error err;
	int rc;

	snprintf(full, sizeof(full), "%s <%s>", name, spec);
	rc = from ? smtpc_msg_set_from(m, full, &err)
		  : smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, full, &err);
	if (rc != 0) {
		FUZZ_CHECK(err.code == SMTPC_EDATA, "address: %d", err.code);
		rc = from
		    ? smtpc_msg_set_from(m, spec, &err)
		    : smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, spec, &err);
		FUZZ_CHECK(rc == 0, "plain address refused");
	}
	free(name);
}

static void
fuzz_check_message(const unsigned char *p, size_t n)
{
	size_t i, line = 0, start = 0;
	int headers = 1;

	FUZZ_CHECK(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n',
	    "message does not end with CRLF");
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] != '\0', "NUL at %zu", i);
		if (p[i] == '\n')
			FUZZ_CHECK(
			    i > 0 && p[i - 1] == '\r', "bare LF at %zu", i);
		if (p[i] == '\r') {
			FUZZ_CHECK(
			    i + 1 < n && p[i + 1] == '\n', "bare CR at %zu", i);
			FUZZ_CHECK(line <= 998, "line of %zu octets", line);
			if (headers && line == 0)
				headers = 0;
			else if (headers) {
				const unsigned char *c =
				    memchr(p + start, ':', line);

				FUZZ_CHECK(p[start] == ' ' ||
					p[start] == '\t' ||
					(c != NULL && c > p + start),
				    "header line without a name: %.*s",
				    (int)line, p + start);
			}
			i++;
			line = 0;
			start = i + 1;
			continue;
		}
		if (headers)
			FUZZ_CHECK(
			    p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f),
			    "header byte %02x", p[i]);
		line++;
	}
	FUZZ_CHECK(!headers, "no end of the header section");
}

/*
 * A message with a text body only: its body, decoded by the encoding its
 * header names, is the text (7bit may add the final CRLF).
 */
static void
fuzz_check_text_body(const unsigned char *p, size_t n, const struct buf *text)
{
	/* Anchored at a line start: a user header may quote the name. */
	const char *h = "\r\nContent-Transfer-Encoding: ", *e;
	const unsigned char *end, *body, *l, *nl;
	struct buf dec, flat;
	size_t i, hl = strlen(h), len;
	int a, b;

	for (end = p; end + 4 <= p + n && memcmp(end, "\r\n\r\n", 4) != 0;
	     end++)
		;
	FUZZ_CHECK(end + 4 <= p + n, "no header end");
	body = end + 4;
	for (e = (const char *)p;
	     e + hl < (const char *)end && memcmp(e, h, hl) != 0; e++)
		;
	FUZZ_CHECK(e + hl < (const char *)end, "no Content-Transfer-Encoding");
	e += hl;
	buf_init(&dec, (size_t)1 << 26);
	buf_init(&flat, (size_t)1 << 26);
	len = (size_t)(p + n - body);
	if (strncmp(e, "7bit\r\n", 6) == 0) {
		buf_append(&dec, body, len);
		if (dec.len == text->len + 2 && len >= 2)
			dec.len -= 2;
	} else if (strncmp(e, "base64\r\n", 8) == 0) {
		for (i = 0; i < len; i++)
			if (body[i] != '\r' && body[i] != '\n')
				buf_append_byte(&flat, body[i]);
		FUZZ_CHECK(fz_b64_decode(buf_cstr(&flat), flat.len, &dec) == 0,
		    "base64 body does not decode");
	} else {
		FUZZ_CHECK(strncmp(e, "quoted-printable\r\n", 18) == 0,
		    "encoding %.20s", e);
		for (l = body; l < p + n; l = nl + 2) {
			nl = l;
			while (
			    nl + 1 < p + n && !(nl[0] == '\r' && nl[1] == '\n'))
				nl++;
			FUZZ_CHECK(nl + 1 < p + n, "QP body not CRLF-ended");
			for (i = 0; l + i < nl; i++) {
				if (l[i] != '=') {
					buf_append_byte(&dec, l[i]);
					continue;
				}
				if (l + i + 1 == nl)
					break;
				FUZZ_CHECK(l + i + 2 < nl &&
					(a = fz_hex(l[i + 1])) >= 0 &&
					(b = fz_hex(l[i + 2])) >= 0,
				    "QP escape");
				buf_append_byte(
				    &dec, (unsigned char)(a << 4 | b));
				i += 2;
			}
			if (l + i == nl)
				buf_append(&dec, "\r\n", 2);
		}
	}
	FUZZ_CHECK(dec.len == text->len &&
		memcmp(buf_cstr(&dec), buf_cstr(text), dec.len) == 0,
	    "text body (%zu bytes) decodes to "
	    "%zu different bytes",
	    text->len, dec.len);
	if (getenv("SMTPC_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "text body of %zu bytes checked: %.16s\n",
		    text->len, e);
	buf_free(&dec);
	buf_free(&flat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	struct smtpc_msg *m;
	struct smtpc_reader *r = NULL;
	struct smtpc_error err;
	struct buf a, b;
	unsigned flags, nfiles, i;
	uint32_t seed;
	uint64_t total;
	size_t len, got, cap;
	char *s, *s2, tmp[4096];
	int rc;

	if (size > 16384)
		return 0;
	flags = fz_byte(&f);
	seed = fz_byte(&f) | fz_byte(&f) << 8;
	if ((m = smtpc_msg_new()) == NULL)
		return 0;
	smtpc_msg_set_date(m, 1764367200);
	smtpc_msg_set_seed(m, seed);
	if (flags & 1)
		fuzz_addr(&f, m, 1, "a@x.test");
	else
		FUZZ_CHECK(
		    smtpc_msg_set_from(m, "a@x.test", &err) == 0, "from");
	fuzz_addr(&f, m, 0, "b@y.test");
	if (flags & 2) {
		s = fz_str(&f, 255);
		rc = smtpc_msg_set_subject(m, s, &err);
		FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA, "subject: %d", rc);
		free(s);
	}
	if (flags & 4) {
		s = fz_str(&f, 40);
		s2 = fz_str(&f, 255);
		rc = smtpc_msg_add_header(m, s, s2, &err);
		FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA, "header: %d", rc);
		free(s);
		free(s2);
	}
	if (flags & 8) {
		s = fuzz_blob(&f, &len);
		rc = smtpc_msg_set_text(m, s, len, &err);
		FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA, "text: %d", rc);
		free(s);
	}
	if (flags & 16) {
		s = fuzz_blob(&f, &len);
		rc = smtpc_msg_set_html(m, s, len, &err);
		FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA, "html: %d", rc);
		free(s);
	}
	nfiles = (flags >> 5) & 3;
	for (i = 0; i < nfiles; i++) {
		s = fuzz_blob(&f, &len);
		fuzz_write_file(fuzz_path[i], s, len);
		free(s);
		s = fz_str(&f, 60);
		if (fz_byte(&f) & 1)
			rc = smtpc_msg_add_inline(m, fuzz_path[i],
			    i == 1 ? "application/octet-stream" : NULL,
			    s[0] != '\0' ? s : NULL, &err);
		else
			rc = smtpc_msg_add_attachment(m, fuzz_path[i],
			    i == 1 ? "application/octet-stream" : NULL,
			    s[0] != '\0' ? s : NULL, &err);
		FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA, "file: %d (%s)", rc,
		    err.message);
		free(s);
	}

	rc = smtpc_reader_new(m, &r, &err);
	FUZZ_CHECK(rc == 0, "reader_new: %d (%s)", rc, err.message);
	FUZZ_CHECK(smtpc_reader_size(r, &total) == 0, "size");
	buf_init(&a, (size_t)1 << 26);
	buf_init(&b, (size_t)1 << 26);
	/* Random read sizes. */
	for (;;) {
		cap = fz_chunk(&seed, sizeof(tmp));
		if (cap == 0)
			cap = 1;
		rc = smtpc_reader_read(r, tmp, cap, &got, &err);
		FUZZ_CHECK(rc == 0, "read: %d (%s)", rc, err.message);
		FUZZ_CHECK(got <= cap, "read more than asked");
		if (got == 0)
			break;
		FUZZ_CHECK(buf_append(&a, tmp, got) == 0, "too big");
	}
	FUZZ_CHECK(smtpc_reader_read(r, tmp, 1, &got, &err) == 0 && got == 0,
	    "data after the end");
	FUZZ_CHECK(a.len == total, "read %zu bytes, size said %llu", a.len,
	    (unsigned long long)total);
	smtpc_reader_free(r);
	/* A second reader, read in big pieces: the same bytes. */
	FUZZ_CHECK(smtpc_reader_new(m, &r, &err) == 0, "second reader");
	do {
		rc = smtpc_reader_read(r, tmp, sizeof(tmp), &got, &err);
		FUZZ_CHECK(rc == 0, "read: %d", rc);
		FUZZ_CHECK(buf_append(&b, tmp, got) == 0, "too big");
	} while (got > 0);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "read sizes changed the message");
	fuzz_check_message(a.data, a.len);
	if (m->text.set && !m->html.set && m->nfiles == 0)
		fuzz_check_text_body(a.data, a.len, &m->text.data);
	smtpc_reader_free(r);
	smtpc_msg_free(m);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
