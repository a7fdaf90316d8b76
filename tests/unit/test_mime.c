/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for mime.c: the smtpc_msg_* contracts (addresses, envelope,
 * header fields, bodies, files), content types and the choice of
 * transfer encoding.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "smtpc.h"
#include "tap.h"
#include "tmpfiles.h"

static void
test_envelope(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();

	ok(smtpc_msg_envelope_from(m) == NULL &&
	    smtpc_msg_recipient_count(m) == 0 &&
	    smtpc_msg_recipient(m, 0) == NULL, "empty envelope");
	ok(smtpc_msg_set_from(m, "bad address", &err) == SMTPC_EDATA,
	    "bad From refused");
	ok(smtpc_msg_set_from(m, "Me <me@b\xc3\xbc\x63her.example>",
	    &err) == 0, "IDN From");
	eq_str(smtpc_msg_envelope_from(m), "me@xn--bcher-kva.example",
	    "envelope From in A-label form");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "A <a@example.org>",
	    &err) == 0, "To");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_CC, "a@EXAMPLE.org",
	    &err) == 0, "Cc, same mailbox");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, "b@example.org",
	    &err) == 0, "Bcc");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "B@example.org",
	    &err) == 0, "local part differs in case");
	ok(smtpc_msg_add_recipient(m, (enum smtpc_rcpt_kind)7,
	    "c@example.org", &err) == SMTPC_EINVAL, "unknown kind");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "x@y, z@w", &err) ==
	    SMTPC_EDATA, "a list is refused");
	ok(smtpc_msg_recipient_count(m) == 3, "duplicates removed");
	eq_str(smtpc_msg_recipient(m, 0), "a@example.org", "first");
	eq_str(smtpc_msg_recipient(m, 1), "b@example.org", "Bcc in envelope");
	eq_str(smtpc_msg_recipient(m, 2), "B@example.org", "third");
	ok(smtpc_msg_add_reply_to(m, "Group: a@b;", &err) == SMTPC_EDATA,
	    "group Reply-To refused");
	ok(smtpc_msg_add_reply_to(m, "r@example.org", &err) == 0,
	    "Reply-To");
	ok(smtpc_msg_recipient_count(m) == 3, "Reply-To not in envelope");
	ok(!smtpc_msg_needs_smtputf8(m), "IDN domains need no SMTPUTF8");
	ok(smtpc_msg_add_reply_to(m, "j\xc3\xb6rg@example.org", &err) == 0,
	    "UTF-8 local part (RFC 6532)");
	ok(smtpc_msg_needs_smtputf8(m), "then the message needs SMTPUTF8");
	ok(!smtpc_msg_needs_smtputf8(NULL), "NULL needs nothing");
	smtpc_msg_free(m);
	smtpc_msg_free(NULL);
}

/* Address lists: all or none, each mailbox once per field. */
static void
test_address_lists(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	size_t i;

	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_TO, "A <a@example.org>, "
	    "\"Last, First\" <b@example.org>,, c@example.org", &err) == 0,
	    "a To list");
	ok(m->nrcpts == 3 && strcmp(m->rcpts[1].a.display, "Last, First") ==
	    0 && m->rcpts[2].kind == SMTPC_RCPT_TO, "three To addresses");
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_CC, "d@example.org, "
	    "e@", &err) == SMTPC_EDATA && strstr(err.message, "\"e@\"") !=
	    NULL, "a bad element fails the list and is named");
	ok(m->nrcpts == 3 && smtpc_msg_recipient_count(m) == 3,
	    "nothing of a bad list is added");
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_TO, "Again "
	    "<a@EXAMPLE.ORG>, f@example.org", &err) == 0 && m->nrcpts == 4,
	    "a mailbox the field has is not written twice");
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_CC, "a@example.org",
	    &err) == 0 && m->nrcpts == 5, "but may be in another field");
	ok(smtpc_msg_add_recipient(m, SMTPC_RCPT_TO, "f@example.org", &err) ==
	    0 && m->nrcpts == 5, "nor twice through the one-address call");
	ok(smtpc_msg_recipient_count(m) == 4, "envelope: each mailbox once");
	ok(smtpc_msg_add_recipient_list(m, (enum smtpc_rcpt_kind)9,
	    "g@example.org", &err) == SMTPC_EINVAL, "unknown kind");
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_BCC,
	    "undisclosed-recipients:;", &err) == SMTPC_EDATA, "group refused");
	ok(smtpc_msg_add_recipient_list(NULL, SMTPC_RCPT_TO, "a@example.org",
	    &err) == SMTPC_EINVAL && smtpc_msg_add_recipient_list(m,
	    SMTPC_RCPT_TO, NULL, &err) == SMTPC_EINVAL, "NULL arguments");
	ok(smtpc_msg_add_reply_to_list(m, "r@example.org, \"S, T\" "
	    "<s@example.org>, r@EXAMPLE.org", &err) == 0 && m->nreply_to == 2,
	    "a Reply-To list, each mailbox once");
	ok(smtpc_msg_add_reply_to_list(m, "x@example.org, y", &err) ==
	    SMTPC_EDATA && m->nreply_to == 2, "a bad Reply-To list adds none");
	ok(smtpc_msg_add_reply_to_list(NULL, "x@example.org", &err) ==
	    SMTPC_EINVAL, "NULL message");
	smtpc_msg_free(m);

	m = smtpc_msg_new();
	for (i = 0; i < 9999; i++) {
		char a[32];

		snprintf(a, sizeof(a), "u%zu@example.org", i);
		if (smtpc_msg_add_recipient(m, SMTPC_RCPT_BCC, a, &err) != 0)
			break;
	}
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_TO, "v@example.org, "
	    "w@example.org", &err) == SMTPC_ELIMIT && m->nrcpts == 9999,
	    "a list past the recipient limit adds none");
	ok(smtpc_msg_add_recipient_list(m, SMTPC_RCPT_TO, "v@example.org",
	    &err) == 0 && m->nrcpts == 10000, "up to the limit");
	smtpc_msg_free(m);
}

static void
test_fields(void)
{
	static const char *const reserved[] = { "From", "to", "CC", "Bcc",
	    "Subject", "MIME-Version", "Content-Type",
	    "content-transfer-encoding", "Reply-To" };
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		ok(smtpc_msg_add_header(m, reserved[i], "x", &err) ==
		    SMTPC_EDATA, reserved[i]);
	ok(smtpc_msg_add_header(m, "X Bad", "x", &err) == SMTPC_EDATA,
	    "bad name");
	ok(smtpc_msg_add_header(m, "X-Ok", "a\r\nBcc: x@y", &err) ==
	    SMTPC_EDATA, "injection refused");
	eq_str(err.message, "header X-Ok contains a line break",
	    "says which header");
	ok(smtpc_msg_add_header(m, "X-Ok", "fine", &err) == 0, "extra field");
	ok(smtpc_msg_add_header(m, "Date", "Mon, 1 Jan 2024 00:00:00 +0000",
	    &err) == 0, "Date may be given");
	ok(smtpc_msg_add_header(m, "Message-ID", "<a@b>", &err) == 0,
	    "Message-ID may be given");
	ok(smtpc_msg_set_subject(m, "a\nb", &err) == SMTPC_EDATA,
	    "subject with LF refused");
	eq_str(err.message, "header Subject contains a line break",
	    "subject refusal message");
	ok(smtpc_msg_set_subject(m, "\xff", &err) == SMTPC_EDATA,
	    "subject not UTF-8 refused");
	ok(smtpc_msg_set_subject(m, "ok \xc3\xa9", &err) == 0, "subject");
	smtpc_msg_free(m);
}

static void
test_bodies(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();

	ok(smtpc_msg_set_text(m, "a\xff", 2, &err) == SMTPC_EDATA,
	    "text not UTF-8 refused");
	eq_str(err.message, "text is not valid UTF-8", "says so");
	ok(smtpc_msg_set_html(m, "\xc3", 1, &err) == SMTPC_EDATA,
	    "truncated UTF-8 refused");
	ok(smtpc_msg_set_text_file(m, path_of("nope.txt"), &err) ==
	    SMTPC_ENOINPUT, "missing text file");
	ok(strstr(err.message, "nope.txt") != NULL, "names the file");
	ok(smtpc_msg_set_text_file(m, dir, &err) == SMTPC_ENOINPUT,
	    "directory as text file");
	write_file("bad.txt", "caf\xe9\n", 5);
	ok(smtpc_msg_set_text_file(m, path_of("bad.txt"), &err) ==
	    SMTPC_EDATA, "Latin-1 text file refused");
	write_file("good.txt", "line one\r\nline two\n", 19);
	ok(smtpc_msg_set_text_file(m, path_of("good.txt"), &err) == 0,
	    "text file");
	ok(m->text.data.len == 20 && memcmp(m->text.data.data,
	    "line one\r\nline two\r\n", 20) == 0, "line breaks made CRLF");
	ok(smtpc_msg_set_html(m, "<p>x</p>", 8, &err) == 0, "HTML");
	ok(smtpc_msg_set_text(m, "", 0, &err) == 0, "empty text");
	smtpc_msg_free(m);
}

static const struct {
	const char *text;
	enum mime_enc enc;
	const char *what;
} encs[] = {
	{ "short ASCII\n", MIME_ENC_7BIT, "ASCII: 7bit" },
	{ "", MIME_ENC_7BIT, "empty: 7bit" },
	{ "78 characters xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxx\n", MIME_ENC_7BIT, "78-character line: 7bit" },
	{ "79 characters xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxx\n", MIME_ENC_QP, "79-character line: QP" },
	{ "Caf\xc3\xa9 cr\xc3\xa8me, mostly ASCII text here.\n", MIME_ENC_QP,
	    "a few accents: QP" },
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
	    "\xd1\x80\n", MIME_ENC_BASE64, "Cyrillic: base64" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n", MIME_ENC_BASE64,
	    "Japanese: base64" },
	{ "a\0b\n", MIME_ENC_QP, "NUL: not 7bit" },
};

static void
test_encodings(void)
{
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	size_t i, len;

	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		len = i == 7 ? 4 : strlen(encs[i].text);
		ok(smtpc_msg_set_text(m, encs[i].text, len, &err) == 0 &&
		    m->text.enc == encs[i].enc, encs[i].what);
	}
	smtpc_msg_free(m);
}

static void
test_files(void)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0,
	    1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89 };
	static const struct {
		const char *name;
		const char *type;
	} ext[] = {
		{ "a.jpg", "image/jpeg" }, { "a.JPEG", "image/jpeg" },
		{ "a.png", "image/png" }, { "a.pdf", "application/pdf" },
		{ "a.tar.gz", "application/gzip" }, { "a.mp3", "audio/mpeg" },
		{ "a.docx", "application/vnd.openxmlformats-officedocument."
		    "wordprocessingml.document" },
		{ "a.csv", "text/csv" }, { "a.ics", "text/calendar" },
		{ "a.webm", "video/webm" }, { "a.opus", "audio/opus" },
		{ "dir.d/noext", NULL }, { ".hidden", NULL }, { "a.", NULL },
	};
	struct smtpc_error err;
	struct smtpc_msg *m = smtpc_msg_new();
	const char *t;
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		t = mime_type_by_ext(ext[i].name);
		if (ext[i].type == NULL)
			ok(t == NULL, ext[i].name);
		else
			ok(t != NULL && strcmp(t, ext[i].type) == 0,
			    ext[i].name);
	}
	write_file("pic.png", png, sizeof(png));
	write_file("pic.unknown", png, sizeof(png));
	write_file("blob.unknown", "\x01\x02\x03\xff\xfe\x00\x10", 7);
	write_file("naïve photo.jpg", png, sizeof(png));
	write_file("mail.eml", "From: a@b\r\nTo: c@d\r\nSubject: x\r\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n", 77);
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), NULL, NULL,
	    &err) == 0, "attach");
	ok(m->files[0].size == sizeof(png), "size recorded");
	eq_str(m->files[0].type, "image/png", "type from the extension");
	eq_str(m->files[0].name, "pic.png", "name is the base name");
	ok(smtpc_msg_add_attachment(m, path_of("pic.unknown"), NULL,
	    "shown.png", &err) == 0, "attach with a name");
	eq_str(m->files[1].type, "image/png", "type from libmagic");
	eq_str(m->files[1].name, "shown.png", "given name");
	ok(smtpc_msg_add_attachment(m, path_of("blob.unknown"), NULL, NULL,
	    &err) == 0, "attach blob");
	eq_str(m->files[2].type, "application/octet-stream",
	    "octet-stream last");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), "text/x-mine",
	    NULL, &err) == 0, "explicit type");
	eq_str(m->files[3].type, "text/x-mine", "explicit type wins");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), "nonsense", NULL,
	    &err) == SMTPC_EDATA, "bad type refused");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), "message/rfc822",
	    NULL, &err) == SMTPC_EDATA, "message/* refused (no base64)");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), "multipart/mixed",
	    NULL, &err) == SMTPC_EDATA, "multipart/* refused");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), "a/b\r\nX: y",
	    NULL, &err) == SMTPC_EDATA, "type with CRLF refused");
	ok(smtpc_msg_add_attachment(m, path_of("pic.png"), NULL, "a\nb",
	    &err) == SMTPC_EDATA, "name with LF refused");
	ok(smtpc_msg_add_attachment(m, path_of("missing.pdf"), NULL, NULL,
	    &err) == SMTPC_ENOINPUT, "missing file");
	ok(strstr(err.message, "missing.pdf") != NULL, "names the file");
	ok(smtpc_msg_add_attachment(m, dir, NULL, NULL, &err) ==
	    SMTPC_ENOINPUT, "directory refused");
	ok(smtpc_msg_add_inline(m, "/dev/null", NULL, NULL, &err) ==
	    SMTPC_ENOINPUT, "device refused");
	ok(smtpc_msg_add_inline(m, path_of("pic.png"), NULL, NULL, &err) == 0,
	    "inline");
	eq_str(m->files[4].cid, "pic.png", "cid is the base name");
	ok(m->files[4].is_inline, "inline flag");
	ok(smtpc_msg_add_inline(m, path_of("pic.png"), NULL, "logo@x", &err)
	    == 0, "inline with cid");
	eq_str(m->files[5].cid, "logo@x", "given cid");
	ok(smtpc_msg_add_inline(m, path_of("pic.png"), NULL, NULL, &err) ==
	    SMTPC_EDATA, "duplicate Content-ID refused");
	ok(strstr(err.message, "pic.png") != NULL, "names the Content-ID");
	ok(smtpc_msg_add_inline(m, path_of("pic.png"), NULL, "a b", &err) ==
	    SMTPC_EDATA, "cid with space refused");
	ok(smtpc_msg_add_inline(m, path_of("pic.png"), NULL, "<x>", &err) ==
	    SMTPC_EDATA, "cid with <> refused");
	ok(smtpc_msg_add_inline(m, path_of("naïve photo.jpg"), NULL, NULL,
	    &err) == 0, "inline with an odd name");
	eq_str(m->files[6].cid, "na__ve_photo.jpg",
	    "default cid made a valid msg-id");
	eq_str(m->files[6].name, "naïve photo.jpg", "name kept");
	/* Conformance test: readers decoded "<=?x?=.png>" as "<x.png>". */
	write_file("=?x?=.png", png, sizeof(png));
	ok(smtpc_msg_add_inline(m, path_of("=?x?=.png"), NULL, NULL,
	    &err) == 0, "inline named like an encoded-word");
	eq_str(m->files[7].cid, "=_x?=.png", "default cid without \"=?\"");
	ok(smtpc_msg_add_inline(m, path_of("=?x?=.png"), NULL, "a=?b", &err)
	    == SMTPC_EDATA, "given cid with \"=?\" refused");
	unlink(path_of("=?x?=.png"));
	ok(smtpc_msg_add_attachment(m, path_of("mail.eml"), NULL, NULL,
	    &err) == 0, "attach a mail");
	eq_str(m->files[8].type, "application/octet-stream",
	    "a guessed message/rfc822 becomes octet-stream");
	unlink(path_of("mail.eml"));
	if (getuid() != 0) {
		write_file("secret.pdf", "x", 1);
		chmod(path_of("secret.pdf"), 0);
		ok(smtpc_msg_add_attachment(m, path_of("secret.pdf"), NULL,
		    NULL, &err) == SMTPC_ENOINPUT, "unreadable file");
		unlink(path_of("secret.pdf"));
	}
	unlink(path_of("pic.png"));
	unlink(path_of("pic.unknown"));
	unlink(path_of("blob.unknown"));
	unlink(path_of("naïve photo.jpg"));
	smtpc_msg_free(m);
}

static const struct {
	const char *name;
	const char *want;
} ascii_names[] = {
	{ "report.pdf", "report.pdf" },
	{ "a \"b\" (1).txt", "a \"b\" (1).txt" },
	{ "donn\xc3\xa9" "es.pdf", "donnees.pdf" },
	{ "R\xc3\xa9sum\xc3\xa9 2026.pdf", "Resume 2026.pdf" },
	{ "Stra\xc3\x9f" "e \xc3\x86sir \xc5\x92uvre "
	    "\xc5\x81\xc3\xb3" "d\xc5\xba.docx",
	    "Strasse AEsir OEuvre Lodz.docx" },
	/* Decomposed accents: the combining marks go. */
	{ "e\xcc\x81te\xcc\x81.txt", "ete.txt" },
	{ "na\xc3\xafve\xc2\xa0" "caf\xc3\xa9.csv", "naive cafe.csv" },
	/* No spelling: one '_' a run, none at the edges. */
	{ "\xf0\x9f\x98\x80 emoji 3.png", "emoji 3.png" },
	{ "Plan \xe6\x97\xa5 \xe6\x9c\xac v2.pdf", "Plan _ v2.pdf" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae.txt", "file.txt" },
	{ "\xd7\xa9\xd7\x9d \xd7\xa7\xd7\x95\xd7\x91\xd7\xa5", "file" },
	{ "(\xe6\x97\xa5).zip", "file.zip" },
	/* Controls, "=?", a leading dot. */
	{ "tab\there.txt", "tab_here.txt" },
	{ "=?utf-8?q?x?=.pdf", "=_utf-8?q?x?=.pdf" },
	{ ".\xc3\xa9t\xc3\xa9.ics", "ete.ics" },
	/* The extension always stays, even a non-Latin stem's. */
	{ "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac"
	    ".tar.gz", "tar.gz" },
	{ "caf\xc3\xa9.r\xc3\xa9sum\xc3\xa9", "cafe.resume" },
};

static void
test_ascii_names(void)
{
	struct buf out;
	char longn[400];
	size_t i;

	buf_init(&out, 1 << 16);
	for (i = 0; i < sizeof(ascii_names) / sizeof(ascii_names[0]); i++) {
		buf_reset(&out);
		ok(mime_ascii_name(ascii_names[i].name, &out) == 0,
		    "stand-in made");
		eq_str(buf_cstr(&out), ascii_names[i].want,
		    ascii_names[i].want);
	}
	ok(mime_name_plain("a b.pdf") && !mime_name_plain("a=?b.pdf") &&
	    !mime_name_plain("\xc3\xa9.pdf") && !mime_name_plain("a\tb"),
	    "plain names: printable ASCII without \"=?\"");
	/* A long name: cut to fit one folded line, the extension kept. */
	for (i = 0; i + 2 <= 300; i += 2)
		memcpy(longn + i, "\xc3\xa9", 2);
	memcpy(longn + i, ".jpeg", 6);
	buf_reset(&out);
	ok(mime_ascii_name(longn, &out) == 0 &&
	    out.len == MIME_NAME_ASCII_MAX &&
	    strcmp(buf_cstr(&out) + out.len - 5, ".jpeg") == 0 &&
	    strspn(buf_cstr(&out), "e") == MIME_NAME_ASCII_MAX - 5,
	    "long name cut before its extension");
	buf_free(&out);
}

int
main(void)
{
	tmp_setup("mime");
	test_envelope();
	test_address_lists();
	test_fields();
	test_bodies();
	test_encodings();
	test_files();
	test_ascii_names();
	unlink(path_of("bad.txt"));
	unlink(path_of("good.txt"));
	rmdir(dir);
	return tap_done();
}
