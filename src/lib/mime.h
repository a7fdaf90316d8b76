/* SPDX-License-Identifier: ISC */
/*
 * mime.h - the message: header values, envelope, and the parts (text and
 * HTML bodies in memory; inline and attached parts from a file, from
 * memory or from the caller's read callback; forwarded messages).  Shared
 * by mime.c, mime_part.c, mime_type.c, mime_name.c (which build it
 * through the smtpc_msg_* API), ready.c (a message loaded whole) and
 * writer.c (which serialises it).
 *
 * Text and HTML bodies are kept CRLF-normalised in memory and scanned once
 * when set: the transfer encoding is chosen then (7bit: ASCII, no NUL,
 * lines <= 78; else quoted-printable or base64, whichever is smaller) and
 * the exact encoded size computed.  Files are only stat()ed when added;
 * their bytes are read by the writer.  A forwarded message (message/rfc822)
 * from a file or memory is read through once when added: its lines are
 * checked and counted then (mime_part.c).
 */
#ifndef SMTPC_MIME_H
#define SMTPC_MIME_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "address.h"
#include "buf.h"
#include "smtpc.h"

#define MIME_TEXT_LINE	78	/* longest line of a 7bit text part */

enum mime_enc {
	MIME_ENC_7BIT = 0,
	MIME_ENC_QP,
	MIME_ENC_BASE64,
};

struct mime_text {
	int set;
	struct buf data;	/* UTF-8, line breaks CRLF */
	enum mime_enc enc;
	uint64_t enc_size;	/* bytes of the encoded body */
	int enc_ends_crlf;	/* encoded body ends with CRLF (or empty) */
};

enum mime_src {
	MIME_SRC_PATH = 0,	/* a file, opened when its part is written */
	MIME_SRC_MEM,		/* a copy of the caller's bytes */
	MIME_SRC_READ,		/* the caller's smtpc_body_read_fn */
};

/* Lines "--=_..." of a forwarded message: boundaries must differ. */
#define MIME_DASH_LEN	42
#define MIME_DASH_MAX	64

/* A part that is not a text body: a file, bytes, or a forwarded message. */
struct mime_file {
	enum mime_src src;
	char *path;		/* MIME_SRC_PATH */
	unsigned char *data;	/* MIME_SRC_MEM */
	smtpc_body_read_fn *read;	/* MIME_SRC_READ */
	void *read_user;
	char *label;		/* names the part in errors: path or name */
	char *type;		/* "image/jpeg" */
	char *name;		/* filename=; NULL: none (forwarded only) */
	char *cid;		/* Content-ID without <>, inline only */
	int is_inline;
	int size_known;		/* 0: a callback of unknown size */
	uint64_t size;		/* bytes of the source: a file's when
				   added (checked when sent), or declared */
	/* message/rfc822, sent as it is (7bit or 8bit), lines checked. */
	int is_message;
	int eight;		/* 1: 8-bit bytes, 0: none, -1: unknown */
	uint64_t out_size;	/* bytes once CRLF-normalised (size_known) */
	char (*dashes)[MIME_DASH_LEN + 1];
	size_t ndashes;
};

struct mime_rcpt {
	enum smtpc_rcpt_kind kind;
	struct addr a;
};

struct mime_hdr {
	char *name;
	char *value;
};

struct smtpc_msg {
	struct addr from;	/* spec NULL when not set */
	struct addr envelope_from;	/* overrides from.spec in MAIL FROM */
	struct mime_rcpt *rcpts;
	size_t nrcpts;
	struct addr *reply_to;
	size_t nreply_to;
	char *subject;		/* NULL when not set */
	struct mime_hdr *hdrs;
	size_t nhdrs;
	struct mime_text text;
	struct mime_text html;
	struct mime_file *files;
	size_t nfiles;
	int has_date;
	time_t date;
	int has_seed;
	uint64_t seed;
	char **env;		/* envelope recipients, deduplicated */
	size_t nenv;
	struct ready *ready;	/* loaded (ready.c); NULL: composed */
};

struct ready;

/* A stand-in name= fits a folded line; a longer "extension" is none. */
#define MIME_NAME_ASCII_MAX	64
#define MIME_NAME_EXT_MAX	16

/*
 * 1 when a file name can stand as it is in a quoted name= parameter:
 * printable ASCII, no "=?" (which readers decode as an encoded-word).
 */
int mime_name_plain(const char *name);
/*
 * Append to `out` the name= of a file for readers that know no RFC 2231
 * (filename*=): the name itself when mime_name_plain(), else an ASCII
 * stand-in that keeps the extension: Latin letters lose their accents
 * ("donnees.pdf" for "données.pdf"), each run of other characters becomes
 * one '_', no leading dot, at most MIME_NAME_ASCII_MAX characters, "file"
 * when nothing readable is left.  0 or SMTPC_ENOMEM.
 */
int mime_ascii_name(const char *name, struct buf *out);
/*
 * The name= of every part (mime_ascii_name; NULL where a part has no
 * name), stand-ins numbered ("file-2.pdf") where they would repeat
 * another name= of the message, case aside: a reader that saves files
 * under name= would otherwise write one over the other, or (munpack) add
 * ".1" after the extension.  NULL when out of memory; mime_names_free.
 */
char **mime_names(const struct smtpc_msg *m);
void mime_names_free(char **names, size_t n);
/* A caller's Content-ID: id-left characters, no "=?".  SMTPC_EDATA. */
int mime_cid_check(const char *cid, struct smtpc_error *err);
/* A base name made a valid Content-ID, in place (see smtpc.h). */
void mime_cid_from_name(char *cid);

/* The encoding and encoded size of a CRLF-normalised UTF-8 text. */
int mime_text_scan(struct mime_text *t);

/* "message/rfc822"-style lookup by extension; NULL when unknown. */
const char *mime_type_by_ext(const char *path);
/* "type/subtype" with token characters only. */
int mime_type_valid(const char *t);
/*
 * 0 for the types whose body RFC 2046 forbids in base64 (message/...,
 * multipart/...): a part of such a type cannot be sent as a file is.
 */
int mime_type_base64_ok(const char *t);
/*
 * A type for a part (allocated; NULL when out of memory): by the
 * extension of `name` (may be NULL), else libmagic on the file `path` or,
 * without a path, on data[0..len), else application/octet-stream; never
 * one that mime_type_base64_ok refuses.
 */
char *mime_type_guess(const char *name, const char *path, const void *data,
    size_t len);

/* SMTPC_EINVAL when `m` is a loaded message: it takes no `what`. */
int mime_composing(const struct smtpc_msg *m, const char *what,
    struct smtpc_error *err);
/* Take `a` over as a recipient of `kind` (freed on failure). */
int mime_rcpt_take(struct smtpc_msg *m, enum smtpc_rcpt_kind kind,
    struct addr *a, struct smtpc_error *err);
void mime_file_free(struct mime_file *f);

/*
 * Open `path` for reading and fstat it into *st: the descriptor, or a
 * negative SMTPC_E* (SMTPC_ENOINPUT naming the file) with err filled.
 */
int mime_open_file(const char *path, struct stat *st,
    struct smtpc_error *err);

#endif
