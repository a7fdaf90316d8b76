/* SPDX-License-Identifier: ISC */
/*
 * reply.h - SMTP replies (RFC 5321 4.2) and EHLO capabilities.
 *
 * The reply parser is a strict push parser: the session reads one line
 * (without its CRLF) and pushes it; after the last line of a reply the
 * parser reports it complete.  Grammar enforced on every line:
 *   three digits, the first 2-5; the same code on every line of a reply;
 *   then '-' (more lines follow), ' ' or the end of the line (last line);
 *   then text of printable ASCII (0x20-0x7E) and TAB only.
 * At most LIMIT_REPLY_LINE bytes per line, LIMIT_REPLY_LINES lines and
 * LIMIT_REPLY_TOTAL bytes of text per reply.  A line that breaks the
 * grammar or a limit fails with SMTPC_EPROTO, the offending line escaped
 * in err->message.
 *
 * An RFC 3463 enhanced status code ("class.subject.detail", the class
 * equal to the reply's first digit) at the start of the first line's text
 * is recorded in `enhanced`; anything else there is plain text.
 *
 * Used error codes: SMTPC_EPROTO, SMTPC_ENOMEM.
 */
#ifndef SMTPC_REPLY_H
#define SMTPC_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "smtpc.h"

struct reply {
	int code;		/* 0 until the first line is pushed */
	char enhanced[16];	/* "" when none */
	struct buf text;	/* each line's text, lines joined with '\n' */
	size_t nlines;
	int done;		/* 1 once the last line was pushed */
};

void reply_init(struct reply *r);
/* Forget the reply (keeping memory) to parse the next one. */
void reply_reset(struct reply *r);
void reply_free(struct reply *r);

/*
 * Push one line (no CRLF).  Sets *ret_done to 1 when it was the reply's
 * last line; r->code, r->enhanced and r->text are then final.  Pushing
 * onto a done reply resets it first.  On failure the reply is reset.
 */
int reply_push(struct reply *r, const char *line, size_t len, int *ret_done,
    struct smtpc_error *err);

/*
 * The text on one line, lines joined with " / " (the form error_set_reply
 * and struct smtpc_error want).  Appends to `out`.
 */
int reply_text_oneline(const struct reply *r, struct buf *out);

/* The reply's class: 2, 3, 4 or 5 (0 when no code yet). */
#define reply_class(r)	((r)->code / 100)

/*
 * Capabilities from a 250 reply to EHLO (RFC 5321 4.1.1.1).  The first
 * line (the server's name and greeting) is skipped; every other line is
 * "KEYWORD [params]" (RFC 1869 style "AUTH=PLAIN" is read as "AUTH PLAIN").
 * Keywords are matched case-insensitively and stored upper-cased; lines
 * whose keyword is not a valid ehlo-keyword are ignored.
 */
#define REPLY_CAP_STARTTLS	0x01u
#define REPLY_CAP_PIPELINING	0x02u
#define REPLY_CAP_8BITMIME	0x04u
#define REPLY_CAP_SMTPUTF8	0x08u
#define REPLY_CAP_CHUNKING	0x10u
#define REPLY_CAP_SIZE	0x20u
#define REPLY_CAP_AUTH	0x40u
#define REPLY_CAP_DSN	0x80u

struct reply_caps {
	unsigned flags;
	uint64_t size_max;	/* SIZE n; 0 when absent or no limit given */
	struct buf auth;	/* mechanisms, upper-cased, one space between */
	struct buf lines;	/* every capability line, keyword upper-cased,
				   each ended by '\n' */
};

void reply_caps_init(struct reply_caps *c);
/* Forget everything (after STARTTLS, RFC 3207 4.2). */
void reply_caps_reset(struct reply_caps *c);
void reply_caps_free(struct reply_caps *c);
/* Replace `c` with what reply `r` (a complete 250 reply) offers. */
int reply_caps_parse(struct reply_caps *c, const struct reply *r,
    struct smtpc_error *err);

#endif
