/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ready.c (smtpc_msg_load_fd): a ready message from a
 * regular file and from a pipe, golden bytes, fields removed and added,
 * recipients from the header (Resent- too, groups), the envelope sender,
 * errors named by line, limits, 8-bit content and the 7-bit switch,
 * exact or unknown sizes, and memory that stays bounded on a 200 MB
 * message through a pipe.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "smtpc.h"
#include "tap.h"
#include "tmpfiles.h"
#include "writer.h"

#include "msgcheck.h"

/* smtpc_reader_read is a smtpc_body_read_fn: no trampoline, no cast. */
static smtpc_body_read_fn *const reader_as_source = smtpc_reader_read;

static pid_t child = -1;

static void
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, c, len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(1);
		}
		c += n;
		len -= (size_t)n;
	}
}

/*
 * The input as a regular file, or a pipe that a child process writes
 * (slowly, in pieces of `piece` bytes, when asked): the reader then sees
 * short reads and line ends split between reads.
 */
static int
open_input(const void *data, size_t len, int use_pipe, size_t piece)
{
	const char *p = data;
	size_t k;
	int fds[2];

	if (!use_pipe) {
		write_file("in.eml", data, len);
		return open(path_of("in.eml"), O_RDONLY | O_CLOEXEC);
	}
	/* A child's exit may flush stdio (valgrind runs __libc_freeres). */
	fflush(stdout);
	if (pipe(fds) != 0 || (child = fork()) == -1) {
		printf("Bail out! pipe or fork: %s\n", strerror(errno));
		exit(1);
	}
	if (child == 0) {
		close(fds[0]);
		for (k = 0; k < len; k += piece) {
			write_all(fds[1], p + k, len - k < piece ? len - k :
			    piece);
			if (piece < len)
				usleep(200);
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void
reap(void)
{
	if (child > 0)
		waitpid(child, NULL, 0);
	child = -1;
}

/* A new message loaded from the input; NULL (and *ret_rc) on failure. */
static struct smtpc_msg *
load(const char *data, size_t len, int use_pipe, unsigned flags,
    int *ret_rc, struct smtpc_error *err)
{
	struct smtpc_msg *m = smtpc_msg_new();
	int fd, rc;

	smtpc_msg_set_seed(m, 7);
	smtpc_msg_set_date(m, 1700000000);
	fd = open_input(data, len, use_pipe, len);
	memset(err, 0, sizeof(*err));
	rc = smtpc_msg_load_fd(m, fd, flags, err);
	/* The library has its own descriptor: ours may go. */
	close(fd);
	if (ret_rc != NULL)
		*ret_rc = rc;
	if (rc != 0) {
		smtpc_msg_free(m);
		reap();
		return NULL;
	}
	return m;
}

/* Pull a reader to the end in reads of `step`. */
static int
pull(struct smtpc_reader *r, size_t step, struct buf *out,
    struct smtpc_error *err)
{
	unsigned char *tmp = malloc(step);
	size_t n;
	int rc;

	for (;;) {
		if ((rc = reader_as_source(r, tmp, step, &n, err)) != 0 ||
		    n == 0)
			break;
		buf_append(out, tmp, n);
	}
	free(tmp);
	return rc;
}

static const char golden_in[] =
    "From: Zoe <zoe@example.org>\n"
    "To: Jane <jane@example.org>,\n"
    "  bob@example.org\n"
    "Bcc: hidden@example.org,\n"
    " secret@example.org\n"
    "Subject: Hello\r\n"
    "Return-Path: <bounce@example.org>\n"
    "\n"
    "Line one\n"
    ".dot line\r\n"
    "bare cr\rend\n"
    "no final newline";

static const char golden_out[] =
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "Message-ID: <qdEyoKlT84f7lkttAMO8cMXclzB1g9Qv@example.org>\r\n"
    "From: Zoe <zoe@example.org>\r\n"
    "To: Jane <jane@example.org>,\r\n"
    "  bob@example.org\r\n"
    "Subject: Hello\r\n"
    "\r\n"
    "Line one\r\n"
    ".dot line\r\n"
    "bare cr\r\n"
    "end\r\n"
    "no final newline\r\n";

static void
test_golden(void)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, 65536 };
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf out;
	uint64_t size;
	size_t k;
	int use_pipe, same;
	char what[100];

	buf_init(&out, 1 << 20);
	for (use_pipe = 0; use_pipe < 2; use_pipe++) {
		m = load(golden_in, strlen(golden_in), use_pipe,
		    SMTPC_LOAD_RECIPIENTS, NULL, &err);
		snprintf(what, sizeof(what), "%s: loaded",
		    use_pipe ? "pipe" : "file");
		ok(m != NULL, what);
		if (m == NULL)
			continue;
		eq_str(smtpc_msg_envelope_from(m) ? smtpc_msg_envelope_from(m) :
		    "(null)", "zoe@example.org", "sender from the From field");
		ok(smtpc_msg_recipient_count(m) == 4, "-t: To and Bcc, four");
		eq_str(smtpc_msg_recipient(m, 2), "hidden@example.org",
		    "Bcc in the envelope");
		eq_str(smtpc_msg_recipient(m, 3), "secret@example.org",
		    "folded Bcc in the envelope");
		ok(smtpc_reader_new(m, &r, &err) == 0, "reader");
		smtpc_reader_size(r, &size);
		buf_reset(&out);
		ok(pull(r, 5, &out, &err) == 0, "read");
		smtpc_reader_free(r);
		snprintf(what, sizeof(what), "%s: golden bytes (Bcc and "
		    "Return-Path gone, Date and Message-ID added, CRLF)",
		    use_pipe ? "pipe" : "file");
		if (!eq_mem(out.data, out.len, golden_out, strlen(golden_out),
		    what))
			fwrite(out.data, 1, out.len, stdout);
		if (use_pipe) {
			ok(size == 0, "pipe: size unknown (0)");
			ok(smtpc_msg_has_8bit(m) == -1, "pipe: 8-bit unknown");
			/* The whole body came with the header: in memory. */
			ok(smtpc_reader_new(m, &r, &err) == 0 &&
			    pull(r, 7, &out, &err) == 0,
			    "pipe: a body kept whole by the load reads again");
			smtpc_reader_free(r);
		} else {
			ok(size == out.len, "file: size exact");
			ok(smtpc_msg_has_8bit(m) == 0, "file: no 8-bit body");
			same = 1;
			for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
				smtpc_reader_new(m, &r, &err);
				buf_reset(&out);
				if (pull(r, steps[k], &out, &err) != 0 ||
				    out.len != strlen(golden_out) ||
				    memcmp(out.data, golden_out, out.len) != 0)
					same = 0;
				smtpc_reader_free(r);
			}
			ok(same, "file: read again, any read size, same bytes");
		}
		ok(!smtpc_msg_needs_smtputf8(m), "ASCII needs no SMTPUTF8");
		smtpc_msg_free(m);
		reap();
	}
	buf_free(&out);
}

/* A pipe written in small pieces: line ends split between reads. */
static void
test_pieces(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf in, out, want;
	size_t i;
	int fd;

	buf_init(&in, 1 << 22);
	buf_init(&out, 1 << 22);
	buf_init(&want, 1 << 22);
	buf_append_str(&in, "From: a@example.org\r\nTo: b@example.org\r\r\n");
	buf_append_str(&want, "From: a@example.org\r\nTo: b@example.org\r\n"
	    "\r\n");
	for (i = 0; i < 20000; i++) {
		buf_append_str(&in, i % 3 == 0 ? "abc\r" : i % 3 == 1 ?
		    "de\r\n" : "f\n");
		buf_append_str(&want, i % 3 == 0 ? "abc\r\n" : i % 3 == 1 ?
		    "de\r\n" : "f\r\n");
	}
	m = smtpc_msg_new();
	smtpc_msg_set_seed(m, 1);
	smtpc_msg_set_date(m, 0);
	fd = open_input(in.data, in.len, 1, 4093);
	ok(smtpc_msg_load_fd(m, fd, SMTPC_LOAD_RECIPIENTS, &err) == 0,
	    "loaded from a pipe written in pieces");
	close(fd);
	ok(smtpc_reader_new(m, &r, &err) == 0, "reader");
	ok(pull(r, 1000, &out, &err) == 0, "read");
	smtpc_reader_free(r);
	/* Skip the added Date and Message-ID. */
	ok(out.len > want.len && memcmp(out.data + out.len - want.len,
	    want.data, want.len) == 0, "CR, CRLF and LF across reads: CRLF");
	smtpc_msg_free(m);
	reap();
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
}

/* The message's header as written: up to the blank line. */
static char *
header_of(const struct smtpc_msg *m, struct smtpc_error *err, int *ret_rc)
{
	struct smtpc_reader *r;
	struct buf out;
	const char *e;
	char *h;

	buf_init(&out, 1 << 22);
	if ((*ret_rc = smtpc_reader_new(m, &r, err)) != 0) {
		buf_free(&out);
		return NULL;
	}
	*ret_rc = pull(r, 4096, &out, err);
	smtpc_reader_free(r);
	e = find((const char *)out.data, out.len, "\r\n\r\n");
	h = strndup((const char *)out.data, e != NULL ?
	    (size_t)(e - (const char *)out.data) + 2 : out.len);
	buf_free(&out);
	return h;
}

static void
test_added_fields(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	const char *in, *want;
	char *h;
	int rc;

	/* No From: the sender given, with its display name (-F, -f). */
	in = "To: b@example.org\nSubject: x\n\nbody\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(smtpc_reader_new(m, &(struct smtpc_reader *){ NULL }, &err) ==
	    SMTPC_EDATA && strstr(err.message, "no From") != NULL,
	    "no From and no sender: SMTPC_EDATA");
	ok(smtpc_msg_set_from(m, "Cron Daemon <root@host.example.org>",
	    &err) == 0, "sender set");
	h = header_of(m, &err, &rc);
	want = "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "From: Cron Daemon <root@host.example.org>\r\nMessage-ID: <";
	ok(rc == 0 && h != NULL && strncmp(h, want, strlen(want)) == 0 &&
	    strstr(h, "@host.example.org>\r\nTo: b@example.org\r\n") != NULL,
	    "Date, From, Message-ID added at the top");
	free(h);
	eq_str(smtpc_msg_envelope_from(m), "root@host.example.org",
	    "envelope sender as set");
	smtpc_msg_free(m);

	/* Given Date and Message-ID stay; the envelope: -f over From. */
	in = "Date: Mon, 1 Jan 2024 00:00:00 +0000\nmessage-id: <a@b>\n"
	    "From: Real <real@example.org>\nTo: b@example.org\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	smtpc_msg_set_from(m, "bounces@example.org", &err);
	h = header_of(m, &err, &rc);
	ok(rc == 0 && h != NULL && strcmp(h,
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "message-id: <a@b>\r\nFrom: Real <real@example.org>\r\n"
	    "To: b@example.org\r\n") == 0, "nothing added when present");
	free(h);
	eq_str(smtpc_msg_envelope_from(m), "bounces@example.org",
	    "the sender set wins over From (sendmail -f)");
	smtpc_msg_free(m);

	/* A From that is no address, no sender set: named by its line. */
	in = "To: b@example.org\nFrom: not an address\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_envelope_from(m) == NULL, "no sender");
	h = header_of(m, &err, &rc);
	ok(rc == SMTPC_EDATA && strstr(err.message, "line 2 (From)") != NULL,
	    "a bad From fails the reader, naming its line");
	free(h);
	smtpc_msg_set_from(m, "ok@example.org", &err);
	h = header_of(m, &err, &rc);
	ok(rc == 0, "with a sender set it goes as it is");
	free(h);
	smtpc_msg_free(m);

	/* "From :" is a field (obsolete syntax), not an mbox line. */
	in = "From : Spaced <spaced@example.org>\nTo: b@example.org\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_envelope_from(m) != NULL &&
	    strcmp(smtpc_msg_envelope_from(m), "spaced@example.org") == 0,
	    "\"From :\" on the first line is the From field");
	smtpc_msg_free(m);

	/* An mbox "From " line is dropped; the header may end at EOF. */
	in = "From zoe@example.org Mon Jan  1 00:00:00 2024\n"
	    "From: zoe@example.org\nTo: b@example.org";
	m = load(in, strlen(in), 1, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	h = header_of(m, &err, &rc);
	ok(rc == 0 && h != NULL && strstr(h, "From zoe") == NULL &&
	    strstr(h, "\r\nFrom: zoe@example.org\r\nTo: b@example.org\r\n") !=
	    NULL, "mbox separator dropped, header up to EOF");
	free(h);
	smtpc_msg_free(m);
	reap();
}

static void
test_resent(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	const char *in, *want;
	char *h;
	int rc;

	/* Resent-To present: the resent recipients only. */
	in = "Resent-From: Fwd <fwd@example.org>\n"
	    "Resent-To: new@example.org\n"
	    "Resent-Bcc: quiet@example.org\n"
	    "From: orig@example.org\nTo: old@example.org\n"
	    "Bcc: oldbcc@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Message-ID: <orig@example.org>\n\nbody\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_recipient_count(m) == 2,
	    "-t with Resent-To: two recipients");
	eq_str(smtpc_msg_recipient(m, 0), "new@example.org", "Resent-To");
	eq_str(smtpc_msg_recipient(m, 1), "quiet@example.org", "Resent-Bcc");
	eq_str(smtpc_msg_envelope_from(m), "fwd@example.org",
	    "sender from Resent-From");
	h = header_of(m, &err, &rc);
	want = "Resent-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "Resent-Message-ID: <";
	ok(rc == 0 && h != NULL && strncmp(h, want, strlen(want)) == 0,
	    "Resent-Date and Resent-Message-ID added");
	ok(h != NULL && strstr(h, "quiet") == NULL && strstr(h, "oldbcc") ==
	    NULL && strstr(h, "Resent-From: Fwd") != NULL,
	    "Resent-Bcc and Bcc removed, the rest kept");
	ok(h != NULL && strstr(h, "\r\nDate:") != NULL &&
	    strstr(h, "\r\nMessage-ID: <orig") != NULL,
	    "the original Date and Message-ID stay");
	free(h);
	smtpc_msg_free(m);

	/* A resent block without recipient fields: To, Cc, Bcc (Postfix). */
	in = "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Resent-From: fwd@example.org\nFrom: orig@example.org\n"
	    "To: old@example.org\n\nbody\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_recipient_count(m) == 1 &&
	    strcmp(smtpc_msg_recipient(m, 0), "old@example.org") == 0,
	    "no Resent-To/Cc/Bcc: the To field");
	h = header_of(m, &err, &rc);
	ok(rc == 0 && h != NULL && strncmp(h, "Resent-Message-ID: <", 20) ==
	    0 && strstr(h, "\r\nResent-Date: Mon") != NULL,
	    "only the missing Resent- field is added");
	free(h);
	smtpc_msg_free(m);

	/* Resent- without Resent-From: the sender set makes it. */
	in = "Resent-To: new@example.org\nFrom: orig@example.org\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	h = header_of(m, &err, &rc);
	ok(rc == SMTPC_EDATA && strstr(err.message, "Resent-From") != NULL,
	    "resent without Resent-From nor a sender: SMTPC_EDATA");
	free(h);
	smtpc_msg_set_from(m, "Me <me@example.org>", &err);
	h = header_of(m, &err, &rc);
	ok(rc == 0 && h != NULL && strstr(h, "\r\nResent-From: Me "
	    "<me@example.org>\r\n") != NULL, "Resent-From added");
	free(h);
	smtpc_msg_free(m);
}

static void
test_recipients(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r = NULL;
	const char *in;
	int rc;

	/* An empty group, a group with members, a comment. */
	in = "From: a@example.org\nTo: undisclosed-recipients:;\n"
	    "Cc: Team: x@example.org, \"Y, Z\" <y@example.org>; (the team),\n"
	    "\tw@example.org\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL, "groups accepted in a loaded header");
	ok(m != NULL && smtpc_msg_recipient_count(m) == 3 &&
	    strcmp(smtpc_msg_recipient(m, 0), "x@example.org") == 0 &&
	    strcmp(smtpc_msg_recipient(m, 1), "y@example.org") == 0 &&
	    strcmp(smtpc_msg_recipient(m, 2), "w@example.org") == 0,
	    "a group gives its members, an empty one none");
	smtpc_msg_free(m);

	/* Only an empty group: no recipient, unless the caller adds one. */
	in = "From: a@example.org\nTo: undisclosed-recipients:;\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_recipient_count(m) == 0, "none");
	ok(smtpc_reader_new(m, &r, &err) == SMTPC_EDATA &&
	    strstr(err.message, "no recipient") != NULL,
	    "no recipient: SMTPC_EDATA");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "env@example.org",
	    &err) == 0 && smtpc_reader_new(m, &r, &err) == 0,
	    "an envelope recipient added by the caller");
	smtpc_reader_free(r);
	smtpc_msg_free(m);

	/* Without the flag the header gives no recipients. */
	in = "From: a@example.org\nTo: b@example.org\n\nx\n";
	m = load(in, strlen(in), 0, 0, NULL, &err);
	ok(m != NULL && smtpc_msg_recipient_count(m) == 0,
	    "without SMTPC_LOAD_RECIPIENTS, no header recipients");
	smtpc_msg_free(m);

	/* A bad address: named by its line and field. */
	in = "From: a@example.org\nSubject: s\nTo: ok@example.org,\n"
	    " broken@\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, &rc, &err);
	ok(m == NULL && rc == SMTPC_EDATA && strstr(err.message,
	    "line 3 (To)") != NULL && strstr(err.message, "broken@") != NULL,
	    err.message);
	in = "From: a@example.org\nTo: Team: x@example.org\n\nx\n";
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, &rc, &err);
	ok(m == NULL && rc == SMTPC_EDATA && strstr(err.message, "';'") !=
	    NULL, "a group without ';' refused");
	/* The header's problems come first, from a file as from a pipe. */
	{
		static const char both[] = "From: a@example.org\nTo: nobody\n"
		    "\nnul\0\n";

		m = load(both, sizeof(both) - 1, 0, SMTPC_LOAD_RECIPIENTS, &rc,
		    &err);
		ok(m == NULL && rc == SMTPC_EDATA && strstr(err.message,
		    "line 2 (To)") != NULL, "a bad To before a NUL in the "
		    "body: the To is named");
	}
}

#define BYTES(s)	s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t len;
	int code;
	const char *says;
} bad[] = {
	{ BYTES("From: a@example.org\nno colon here\n\nx\n"), SMTPC_EDATA,
	    "line 2: not a header field" },
	{ BYTES(" continued\nFrom: a@example.org\n\nx\n"), SMTPC_EDATA,
	    "line 1: a continuation line" },
	{ BYTES("From: a@example.org\nX Bad: y\n\nx\n"), SMTPC_EDATA,
	    "line 2: the field name \"X Bad\"" },
	{ BYTES("From: a@example.org\nX-\xc3\xa9: y\n\nx\n"), SMTPC_EDATA,
	    "line 2: the field name" },
	{ BYTES(": no name\n\nx\n"), SMTPC_EDATA, "line 1: the field name" },
	{ BYTES("From: a@example.org\nX-Nul: a\0b\n\nx\n"), SMTPC_EDATA,
	    "line 2: a NUL byte" },
	{ BYTES("From: a@example.org\nTo: b@example.org\n\nline\nnul\0\n"),
	    SMTPC_EDATA, "line 5: a NUL byte" },
	{ BYTES("From: a@example.org\rTo: b@example.org\r\rone\rtwo\0\r"),
	    SMTPC_EDATA, "line 5: a NUL byte" },
};

static void
test_bad_input(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct buf in;
	char what[300];
	size_t i, k, len;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len;
		m = load(bad[i].in, len, 0, 0, &rc, &err);
		snprintf(what, sizeof(what), "refused: %s (%.120s)",
		    bad[i].says, err.message);
		ok(m == NULL && rc == bad[i].code &&
		    strstr(err.message, bad[i].says) != NULL, what);
		smtpc_msg_free(m);
	}

	/* Lines of 998 octets pass, 999 do not, in header and body. */
	buf_init(&in, 1 << 22);
	buf_append_str(&in, "From: a@example.org\nX-Long: ");
	for (k = 0; k < 998 - 8; k++)
		buf_append_byte(&in, 'h');
	buf_append_str(&in, "\nTo: b@example.org\n\n");
	for (k = 0; k < 998; k++)
		buf_append_byte(&in, 'b');
	buf_append_str(&in, "\n");
	m = load((char *)in.data, in.len, 0, 0, &rc, &err);
	ok(m != NULL, "998 octets: fine");
	smtpc_msg_free(m);
	buf_truncate(&in, in.len - 1);
	buf_append_str(&in, "b\n");
	m = load((char *)in.data, in.len, 0, 0, &rc, &err);
	ok(m == NULL && rc == SMTPC_EDATA && strstr(err.message,
	    "line 5: longer than 998") != NULL, "999 in the body of a file: "
	    "refused at load, line named");
	buf_reset(&in);
	buf_append_str(&in, "From: a@example.org\nX-Long: ");
	for (k = 0; k < 998 - 7; k++)
		buf_append_byte(&in, 'h');
	buf_append_str(&in, "\n\nx\n");
	m = load((char *)in.data, in.len, 0, 0, &rc, &err);
	ok(m == NULL && rc == SMTPC_EDATA && strstr(err.message,
	    "line 2: longer than 998") != NULL, "999 in the header refused");

	/* Limits: 10000 lines (the blank one aside), 1 MiB. */
	buf_reset(&in);
	for (k = 0; k < 10000; k++)
		buf_append_str(&in, "X-A: b\n");
	buf_append_str(&in, "\nx\n");
	m = load((char *)in.data, in.len, 0, 0, &rc, &err);
	ok(m != NULL, "10000 header lines: fine");
	smtpc_msg_free(m);
	buf_truncate(&in, in.len - 3);
	buf_append_str(&in, "X-A: b\n\nx\n");
	m = load((char *)in.data, in.len, 0, 0, &rc, &err);
	ok(m == NULL && rc == SMTPC_ELIMIT && strstr(err.message, "10000") !=
	    NULL, "more than 10000 header lines: SMTPC_ELIMIT");
	buf_reset(&in);
	for (k = 0; k < 1100; k++) {
		buf_append_str(&in, "X-A: ");
		for (i = 0; i < 990; i++)
			buf_append_byte(&in, 'v');
		buf_append_str(&in, "\n");
	}
	buf_append_str(&in, "\nx\n");
	m = load((char *)in.data, in.len, 1, 0, &rc, &err);
	ok(m == NULL && rc == SMTPC_ELIMIT && strstr(err.message,
	    "1048576") != NULL, "a header over 1 MiB: SMTPC_ELIMIT");
	reap();
	buf_free(&in);
}

/* Body problems of a pipe show while reading, and stick. */
static void
test_pipe_body_errors(void)
{
	static const char in[] = "From: a@example.org\nTo: b@example.org\n"
	    "\nfine\nstill fine\nhere\0a NUL\nafter\n";
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf out;
	char tmp[16];
	size_t n;
	int rc;

	buf_init(&out, 1 << 20);
	m = load(in, sizeof(in) - 1, 1, SMTPC_LOAD_RECIPIENTS, &rc, &err);
	ok(m != NULL, "a pipe with a NUL in the body loads");
	smtpc_reader_new(m, &r, &err);
	rc = pull(r, 8, &out, &err);
	ok(rc == SMTPC_EDATA && strstr(err.message, "line 6: a NUL byte") !=
	    NULL, "reading fails at the NUL, naming line 6");
	ok(find((char *)out.data, out.len, "after") == NULL &&
	    memchr(out.data, '\0', out.len) == NULL,
	    "nothing from the NUL on went out");
	memset(&err, 0, sizeof(err));
	ok(smtpc_reader_read(r, tmp, sizeof(tmp), &n, &err) == SMTPC_EDATA &&
	    strstr(err.message, "line 6") != NULL, "the failure sticks");
	smtpc_reader_free(r);
	smtpc_msg_free(m);
	reap();
	buf_free(&out);
}

static void
test_8bit(void)
{
	static const char in8[] = "From: a@example.org\nTo: b@example.org\n"
	    "\nplain\ncaf\xc3\xa9\n";
	static const char inh[] = "From: J\xc3\xb6rg <a@example.org>\n"
	    "To: b@example.org\n\nplain\n";
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf out;
	int use_pipe, rc;

	buf_init(&out, 1 << 20);
	m = load(inh, strlen(inh), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	ok(m != NULL && smtpc_msg_needs_smtputf8(m) &&
	    smtpc_msg_has_8bit(m) == 0, "UTF-8 in the header: SMTPUTF8, "
	    "body 7-bit");
	smtpc_msg_free(m);
	for (use_pipe = 0; use_pipe < 2; use_pipe++) {
		m = load(in8, strlen(in8), use_pipe, SMTPC_LOAD_RECIPIENTS,
		    NULL, &err);
		ok(smtpc_msg_has_8bit(m) == (use_pipe ? -1 : 1),
		    use_pipe ? "pipe: 8-bit unknown" : "file: 8-bit body");
		ok(!smtpc_msg_needs_smtputf8(m), "an 8-bit body is not "
		    "SMTPUTF8");
		smtpc_reader_new(m, &r, &err);
		writer_set_7bit(r);
		buf_reset(&out);
		rc = pull(r, 4096, &out, &err);
		ok(rc == SMTPC_EDATA && strstr(err.message,
		    "line 5: an 8-bit byte (0xC3)") != NULL,
		    "7-bit switch: SMTPC_EDATA at the first 8-bit byte");
		ok(out.len == 0 || memchr(out.data, 0xc3, out.len) == NULL,
		    "the 8-bit byte did not go out");
		smtpc_reader_free(r);
		smtpc_msg_free(m);
		reap();
	}
	buf_free(&out);
}

static void
test_changed_file(void)
{
	static const char in[] = "From: a@example.org\nTo: b@example.org\n"
	    "\nbody line\n";
	struct smtpc_error err;
	struct smtpc_msg *m;
	struct smtpc_reader *r;
	struct buf out;
	FILE *f;
	int rc;

	buf_init(&out, 1 << 20);
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	f = fopen(path_of("in.eml"), "ab");
	fputs("more\n", f);
	fclose(f);
	smtpc_reader_new(m, &r, &err);
	rc = pull(r, 4096, &out, &err);
	ok(rc == SMTPC_EIO && strstr(err.message, "changed") != NULL,
	    "a file that grew after loading: SMTPC_EIO");
	smtpc_reader_free(r);
	smtpc_msg_free(m);

	/* Same size, other line ends: the size would be wrong. */
	m = load(in, strlen(in), 0, SMTPC_LOAD_RECIPIENTS, NULL, &err);
	f = fopen(path_of("in.eml"), "r+b");
	fseek(f, -5, SEEK_END);
	fputs("\n\n\n\n", f);
	fclose(f);
	smtpc_reader_new(m, &r, &err);
	buf_reset(&out);
	rc = pull(r, 4096, &out, &err);
	ok(rc == SMTPC_EIO, "a file changed in place: SMTPC_EIO");
	smtpc_reader_free(r);
	smtpc_msg_free(m);
	buf_free(&out);
}

static void
test_api(void)
{
	static const char in[] = "From: a@example.org\nTo: b@example.org\n"
	    "\nx\n";
	struct smtpc_error err;
	struct smtpc_msg *m;
	int fd;

	m = load(in, strlen(in), 0, 0, NULL, &err);
	ok(smtpc_msg_set_subject(m, "s", &err) == SMTPC_EINVAL &&
	    smtpc_msg_set_text(m, "t", 1, &err) == SMTPC_EINVAL &&
	    smtpc_msg_add_header(m, "X-A", "b", &err) == SMTPC_EINVAL &&
	    smtpc_msg_add_attachment_mem(m, "x", 1, NULL, "x.txt", &err) ==
	    SMTPC_EINVAL && smtpc_msg_add_reply_to(m, "r@example.org",
	    &err) == SMTPC_EINVAL, "a loaded message takes nothing composed");
	fd = open(path_of("in.eml"), O_RDONLY);
	ok(smtpc_msg_load_fd(m, fd, 0, &err) == SMTPC_EINVAL,
	    "loading twice refused");
	smtpc_msg_free(m);
	m = smtpc_msg_new();
	smtpc_msg_set_subject(m, "s", &err);
	ok(smtpc_msg_load_fd(m, fd, 0, &err) == SMTPC_EINVAL,
	    "loading into a composed message refused");
	smtpc_msg_free(m);
	m = smtpc_msg_new();
	ok(smtpc_msg_load_fd(m, fd, 0x100, &err) == SMTPC_EINVAL,
	    "unknown flags refused");
	ok(smtpc_msg_load_fd(m, -1, 0, &err) == SMTPC_EINVAL,
	    "a bad descriptor refused");
	/* The offset of a regular file is where the message starts. */
	lseek(fd, 0, SEEK_SET);
	write_file("off.eml", "junk line\nFrom: a@example.org\n\nx\n", 33);
	close(fd);
	fd = open(path_of("off.eml"), O_RDONLY);
	lseek(fd, 10, SEEK_SET);
	ok(smtpc_msg_load_fd(m, fd, 0, &err) == 0 &&
	    lseek(fd, 0, SEEK_CUR) == 10, "a file from its offset, which "
	    "does not move");
	close(fd);
	smtpc_msg_free(m);
	unlink(path_of("off.eml"));
}

/*
 * 200 MB through a pipe in a child process: the whole message comes out
 * (size counted), and the child's peak memory grows by a few MB at most
 * while it does (growth, not the peak itself: under valgrind the process
 * starts at tens of MB).
 */
static void
test_bounded_memory(void)
{
	const size_t lines = 2u * 1000 * 1000, linelen = 100;
	struct rusage ru;
	int status, fds[2], out[2];
	long maxrss = -1, base = 0;
	uint64_t total = 0;
	pid_t gen, reader;

	if (pipe(fds) != 0 || pipe(out) != 0)
		return;
	fflush(stdout);
	if ((gen = fork()) == 0) {
		char line[128];
		size_t i;

		close(fds[0]);
		close(out[0]);
		close(out[1]);
		write_all(fds[1], "From: a@example.org\nTo: b@example.org\n"
		    "Subject: big\n\n", 52);
		memset(line, 'x', linelen);
		line[linelen] = '\n';
		for (i = 0; i < lines; i++)
			write_all(fds[1], line, linelen + 1);
		_exit(0);
	}
	close(fds[1]);
	if ((reader = fork()) == 0) {
		struct smtpc_error err;
		struct smtpc_msg *m = smtpc_msg_new();
		struct smtpc_reader *r;
		unsigned char *buf = malloc(256 * 1024);
		uint64_t n64 = 0;
		size_t n;

		close(out[0]);
		getrusage(RUSAGE_SELF, &ru);
		base = ru.ru_maxrss;
		if (smtpc_msg_load_fd(m, fds[0], SMTPC_LOAD_RECIPIENTS,
		    &err) != 0 || smtpc_reader_new(m, &r, &err) != 0)
			_exit(2);
		while (smtpc_reader_read(r, buf, 256 * 1024, &n, &err) == 0 &&
		    n > 0)
			n64 += n;
		smtpc_reader_free(r);
		smtpc_msg_free(m);
		getrusage(RUSAGE_SELF, &ru);
		write_all(out[1], &n64, sizeof(n64));
		write_all(out[1], &ru.ru_maxrss, sizeof(ru.ru_maxrss));
		write_all(out[1], &base, sizeof(base));
		_exit(0);
	}
	close(fds[0]);
	close(out[1]);
	if (read(out[0], &total, sizeof(total)) != sizeof(total) ||
	    read(out[0], &maxrss, sizeof(maxrss)) != sizeof(maxrss) ||
	    read(out[0], &base, sizeof(base)) != sizeof(base))
		maxrss = -1;
	close(out[0]);
	waitpid(reader, &status, 0);
	waitpid(gen, NULL, 0);
	printf("# 200 MB through a pipe: %llu bytes out, peak RSS %ld KiB "
	    "(%ld before)\n", (unsigned long long)total, maxrss, base);
	/* The body's 101-byte lines become 102 bytes. */
	ok(total > (uint64_t)lines * (linelen + 2) &&
	    total < (uint64_t)lines * (linelen + 2) + 200,
	    "200 MB streamed through a pipe, all of it");
	ok(maxrss > 0 && maxrss - base < 16 * 1024,
	    "peak RSS grew by less than 16 MiB");
}

/*
 * A pipe gives its bytes once: readers may be made and freed before any
 * reads past what the load kept (the send path makes one to check the
 * message first); once one has read on, no other may.
 */
static void
test_pipe_read_once(void)
{
	struct smtpc_msg *m;
	struct smtpc_reader *r = NULL, *r2 = NULL;
	struct smtpc_error err;
	struct buf in, out;
	size_t i;
	int rc;

	buf_init(&in, 1 << 22);
	buf_init(&out, 1 << 22);
	buf_append_str(&in, "From: a@example.org\nTo: b@example.org\n"
	    "Subject: big\n\n");
	for (i = 0; i < 20000; i++)
		buf_append_str(&in, "0123456789 0123456789 0123456789\n");
	m = load((const char *)in.data, in.len, 1, SMTPC_LOAD_RECIPIENTS, &rc,
	    &err);
	ok(m != NULL, "pipe: a 660 KB message loads");
	if (m == NULL)
		goto out;
	ok(smtpc_reader_new(m, &r, &err) == 0, "pipe: a reader to check it");
	smtpc_reader_free(r);
	ok(smtpc_reader_new(m, &r, &err) == 0 &&
	    smtpc_reader_new(m, &r2, &err) == 0,
	    "pipe: more readers, none has read yet");
	ok(pull(r, 65536, &out, &err) == 0 && out.len > in.len,
	    "pipe: one reads it all");
	buf_reset(&out);
	ok(pull(r2, 65536, &out, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "once") != NULL,
	    "pipe: the other cannot read past what the load kept");
	smtpc_reader_free(r);
	smtpc_reader_free(r2);
	ok(smtpc_reader_new(m, &r, &err) == SMTPC_EINVAL &&
	    strstr(err.message, "once") != NULL,
	    "pipe: a reader made after it was read is refused");
	smtpc_msg_free(m);
	reap();
out:
	buf_free(&in);
	buf_free(&out);
}

int
main(void)
{
	test_pipe_read_once();
	setenv("TZ", "UTC", 1);
	tzset();
	signal(SIGPIPE, SIG_IGN);
	tmp_setup("ready");

	test_bounded_memory();
	test_golden();
	test_pieces();
	test_added_fields();
	test_resent();
	test_recipients();
	test_bad_input();
	test_pipe_body_errors();
	test_8bit();
	test_changed_file();
	test_api();

	unlink(path_of("in.eml"));
	rmdir(dir);
	return tap_done();
}
