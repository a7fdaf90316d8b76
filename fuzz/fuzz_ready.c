/* SPDX-License-Identifier: ISC */
/*
 * fuzz_ready.c - a ready message of arbitrary bytes loaded with
 * smtpc_msg_load_fd from a regular file (a memfd) and from a pipe, read
 * back with random read sizes; the same bytes forwarded as a
 * message/rfc822 part.
 *
 * Input: 4 bytes of seed (read sizes), 1 byte of flags (bit 0:
 * SMTPC_LOAD_RECIPIENTS, bit 1: a sender is set, bit 2: the 7-bit
 * switch), then the message.
 *
 * Properties: the file and the pipe agree (the same error, or a body
 * error the pipe only finds while reading, with the same sentence; else
 * the same bytes); the file's size is exact, the pipe's unknown (0);
 * every line of the output ends with CRLF, has no NUL and is at most 998
 * octets; no Bcc, Resent-Bcc or Return-Path field is left; an 8-bit
 * header means SMTPUTF8; smtpc_msg_has_8bit matches the body; with the
 * 7-bit switch an 8-bit body fails with SMTPC_EDATA.  Forwarded: the part
 * is the input with line ends made CRLF exactly, refused (SMTPC_EDATA)
 * exactly when a line is over 998 octets or holds a NUL.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "smtpc.h"
#include "writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Load the message from fd; the reader's bytes into `out`. */
static int
fuzz_load(int fd, unsigned flags, struct smtpc_msg **ret,
    struct smtpc_error *err)
{
	struct smtpc_msg *m = smtpc_msg_new();
	int rc;

	if (m == NULL)
		abort();
	smtpc_msg_set_seed(m, 1);
	smtpc_msg_set_date(m, 1700000000);
	memset(err, 0, sizeof(*err));
	rc = smtpc_msg_load_fd(m, fd, flags & 1 ? SMTPC_LOAD_RECIPIENTS : 0,
	    err);
	close(fd);
	FUZZ_CHECK(rc == 0 || rc == SMTPC_EDATA || rc == SMTPC_ELIMIT,
	    "load: %d (%s)", rc, err->message);
	if (rc != 0) {
		smtpc_msg_free(m);
		return rc;
	}
	if (flags & 2)
		FUZZ_CHECK(smtpc_msg_set_from(m, "Fuzz <fuzz@example.org>",
		    err) == 0, "set_from");
	FUZZ_CHECK(smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC,
	    "rcpt@example.org", err) == 0, "add_recipient");
	*ret = m;
	return 0;
}

/* Pull a reader to the end; *ret_made 0 when none could be made. */
static int
fuzz_read(struct smtpc_msg *m, int only7, uint32_t seed, struct buf *out,
    uint64_t *ret_size, int *ret_made, struct smtpc_error *err)
{
	struct smtpc_reader *r;
	unsigned char tmp[8192];
	size_t cap, got;
	int rc;

	memset(err, 0, sizeof(*err));
	*ret_made = 0;
	if ((rc = smtpc_reader_new(m, &r, err)) != 0) {
		FUZZ_CHECK(rc == SMTPC_EDATA, "reader_new: %d (%s)", rc,
		    err->message);
		return rc;
	}
	*ret_made = 1;
	if (only7)
		writer_set_7bit(r);
	FUZZ_CHECK(smtpc_reader_size(r, ret_size) == 0, "size");
	for (;;) {
		cap = fz_chunk(&seed, sizeof(tmp));
		if (cap == 0)
			cap = 1;
		if ((rc = smtpc_reader_read(r, tmp, cap, &got, err)) != 0)
			break;
		FUZZ_CHECK(got <= cap, "read more than asked");
		if (got == 0)
			break;
		FUZZ_CHECK(buf_append(out, tmp, got) == 0, "too big");
	}
	smtpc_reader_free(r);
	return rc;
}

static int
fuzz_is(const unsigned char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && p[n] == ':' && strncasecmp((const char *)p, name,
	    n) == 0;
}

/*
 * Lines, the fields left out, and 8-bit bytes: *ret_h8 in the header,
 * *ret_b8 in the body.
 */
static void
fuzz_check_output(const struct buf *o, int *ret_h8, int *ret_b8)
{
	const unsigned char *p = o->data;
	size_t i, start = 0, n;
	int header = 1;

	*ret_h8 = *ret_b8 = 0;
	FUZZ_CHECK(o->len >= 2 && p[o->len - 2] == '\r' &&
	    p[o->len - 1] == '\n', "the message does not end with CRLF");
	for (i = 0; i < o->len; i++) {
		FUZZ_CHECK(p[i] != '\0', "NUL at %zu", i);
		if (p[i] >= 0x80) {
			if (header)
				*ret_h8 = 1;
			else
				*ret_b8 = 1;
		}
		if (p[i] == '\n')
			FUZZ_CHECK(i > 0 && p[i - 1] == '\r', "bare LF at %zu",
			    i);
		if (p[i] != '\r')
			continue;
		FUZZ_CHECK(i + 1 < o->len && p[i + 1] == '\n',
		    "bare CR at %zu", i);
		n = i - start;
		FUZZ_CHECK(n <= 998, "a line of %zu octets", n);
		if (header && n == 0)
			header = 0;
		else if (header)
			FUZZ_CHECK(!fuzz_is(p + start, n, "Bcc") &&
			    !fuzz_is(p + start, n, "Resent-Bcc") &&
			    !fuzz_is(p + start, n, "Return-Path"),
			    "a field that must not go out: %.*s", (int)n,
			    (const char *)p + start);
		i++;
		start = i + 1;
	}
}

/* The ready message through a file and through a pipe. */
static void
fuzz_ready(const uint8_t *data, size_t size, unsigned flags, uint32_t seed)
{
	struct smtpc_error ef, ep, e2;
	struct smtpc_msg *mf = NULL, *mp = NULL;
	struct buf a, b;
	uint64_t sa = 0, sb = 1;
	int fd, fds[2], rf, rp, ra, rb, h8, b8, made;

	if ((fd = memfd_create("fuzz_ready", MFD_CLOEXEC)) == -1 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	rf = fuzz_load(fd, flags, &mf, &ef);
	/* The input fits the pipe's buffer (64 KiB): no writer needed. */
	if (pipe(fds) != 0 ||
	    (size > 0 && write(fds[1], data, size) != (ssize_t)size))
		abort();
	close(fds[1]);
	rp = fuzz_load(fds[0], flags, &mp, &ep);
	if (rf != 0 && rp != 0) {
		FUZZ_CHECK(rf == rp && strcmp(ef.message, ep.message) == 0,
		    "file: %s / pipe: %s", ef.message, ep.message);
		return;
	}
	FUZZ_CHECK(rp == 0, "only the pipe failed: %s", ep.message);
	buf_init(&a, (size_t)1 << 24);
	buf_init(&b, (size_t)1 << 24);
	rb = fuzz_read(mp, 0, seed, &b, &sb, &made, &ep);
	if (rf != 0) {
		/* A body error: the pipe meets it while reading. */
		FUZZ_CHECK(!made || (rb == rf && strcmp(ef.message,
		    ep.message) == 0), "file: %s / pipe read: %d %s",
		    ef.message, rb, ep.message);
		goto out;
	}
	ra = fuzz_read(mf, 0, seed ^ 0x5555, &a, &sa, &made, &ef);
	FUZZ_CHECK(ra == rb && (ra == 0 || strcmp(ef.message,
	    ep.message) == 0), "file: %d %s / pipe: %d %s", ra, ef.message,
	    rb, ep.message);
	if (ra != 0)
		goto out;
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "file and pipe differ");
	FUZZ_CHECK(sa == a.len, "size %llu, read %zu",
	    (unsigned long long)sa, a.len);
	FUZZ_CHECK(sb == 0, "a pipe's size is unknown");
	fuzz_check_output(&a, &h8, &b8);
	FUZZ_CHECK(!h8 || smtpc_msg_needs_smtputf8(mf),
	    "an 8-bit header without SMTPUTF8");
	FUZZ_CHECK(smtpc_msg_has_8bit(mf) == b8, "has_8bit %d, body %d",
	    smtpc_msg_has_8bit(mf), b8);
	FUZZ_CHECK(smtpc_msg_has_8bit(mp) == -1, "pipe: 8-bit unknown");
	if (flags & 4) {
		buf_reset(&b);
		rb = fuzz_read(mf, 1, seed, &b, &sb, &made, &e2);
		FUZZ_CHECK(b8 ? rb == SMTPC_EDATA : rb == 0,
		    "7-bit switch: %d with 8-bit %d", rb, b8);
	}
out:
	smtpc_msg_free(mf);
	smtpc_msg_free(mp);
	buf_free(&a);
	buf_free(&b);
}

/* The input forwarded: CRLF-normalised exactly, or refused. */
static void
fuzz_forward(const uint8_t *data, size_t size, uint32_t seed)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	struct buf ref, out;
	const unsigned char *p;
	size_t i, col = 0;
	uint64_t total;
	int valid = 1, rc, made;

	buf_init(&ref, (size_t)1 << 20);
	for (i = 0; i < size; i++) {
		if (data[i] == '\r' || data[i] == '\n') {
			buf_append(&ref, "\r\n", 2);
			if (data[i] == '\r' && i + 1 < size &&
			    data[i + 1] == '\n')
				i++;
			col = 0;
			continue;
		}
		if (data[i] == '\0' || ++col > 998)
			valid = 0;
		buf_append_byte(&ref, data[i]);
	}
	smtpc_msg_set_seed(m, seed);
	smtpc_msg_set_date(m, 0);
	if (smtpc_msg_set_from(m, "a@example.org", &err) != 0 ||
	    smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "b@example.org",
	    &err) != 0 || smtpc_msg_set_text(m, "fwd\n", 4, &err) != 0)
		abort();
	rc = smtpc_msg_add_message_mem(m, data, size, "f.eml", &err);
	FUZZ_CHECK(valid ? rc == 0 : rc == SMTPC_EDATA,
	    "forward: %d (%s), valid %d", rc, err.message, valid);
	if (rc == 0) {
		buf_init(&out, (size_t)1 << 22);
		FUZZ_CHECK(fuzz_read(m, 0, seed, &out, &total, &made,
		    &err) == 0,
		    "forward read: %s", err.message);
		FUZZ_CHECK(total == out.len, "forward size");
		p = (const unsigned char *)strstr(buf_cstr(&out),
		    "Content-Type: message/rfc822");
		FUZZ_CHECK(p != NULL, "no message/rfc822 part");
		p = (const unsigned char *)strstr((const char *)p,
		    "\r\n\r\n");
		FUZZ_CHECK(p != NULL, "no end of the part's header");
		p += 4;
		FUZZ_CHECK((size_t)(out.data + out.len - p) >= ref.len + 6 &&
		    (ref.len == 0 || memcmp(p, ref.data, ref.len) == 0) &&
		    memcmp(p + ref.len, "\r\n--=_", 6) == 0,
		    "the forwarded message changed");
		buf_free(&out);
	}
	smtpc_msg_free(m);
	buf_free(&ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed;
	unsigned flags;

	if (!fz_seed(&data, &size, &seed) || size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	fuzz_ready(data, size, flags, seed);
	fuzz_forward(data, size, seed);
	return 0;
}
