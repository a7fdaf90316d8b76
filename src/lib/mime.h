/*
 * mime.h - the message: header values, envelope, and the parts (text and
 * HTML bodies in memory, inline and attached files by path).  Shared by
 * mime.c (which builds it through the smtpc_msg_* API) and writer.c (which
 * serialises it).
 *
 * Text and HTML bodies are kept CRLF-normalised in memory and scanned once
 * when set: the transfer encoding is chosen then (7bit: ASCII, no NUL,
 * lines <= 78; else quoted-printable or base64, whichever is smaller) and
 * the exact encoded size computed.  Files are only stat()ed when added;
 * their bytes are read by the writer.
 */
#ifndef SMTPC_MIME_H
#define SMTPC_MIME_H

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

struct mime_file {
	char *path;
	char *type;		/* "image/jpeg" */
	char *name;		/* filename= (attachments and inline) */
	char *cid;		/* Content-ID without <>, inline only */
	int is_inline;
	uint64_t size;		/* at add time; checked again when sent */
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
};

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
/* The encoding and encoded size of a CRLF-normalised UTF-8 text. */
int mime_text_scan(struct mime_text *t);
/* "message/rfc822"-style lookup by extension; NULL when unknown. */
const char *mime_type_by_ext(const char *path);

#endif
