/*
 * smtpc.h - the public API of libsmtpc.
 *
 * libsmtpc composes MIME messages (text, HTML, images, audio, any file) and
 * sends them to an SMTP server over STARTTLS, implicit TLS or plain TCP.
 *
 * Conventions that hold for every function below:
 *  - Functions that can fail return int: 0 on success or a negative
 *    SMTPC_E* code.  When they take a `struct smtpc_error *err` (which may be
 *    NULL), it is filled on failure with the category, the server's reply
 *    if one was involved, and a sentence; on success it is left untouched.
 *  - Whoever creates an object frees it; every *_free(NULL) is a no-op.
 *  - Strings passed in are copied; pointers returned are borrowed and valid
 *    until the object is changed or freed.
 *  - The library never prints and keeps no global mutable state: use one
 *    session per thread.
 *  - Secrets (passwords, AUTH exchanges) never reach the trace callback; the
 *    memory that held them is wiped before it is freed.
 */
#ifndef SMTPC_H
#define SMTPC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SMTPC_BUILDING)
#define SMTPC_API __attribute__((visibility("default")))
#else
#define SMTPC_API
#endif

#define SMTPC_VERSION "0.1.0"

/*
 * Error codes.  The numbers are part of the ABI: never renumber or reuse.
 */
enum smtpc_code {
	SMTPC_OK = 0,
	SMTPC_ENOMEM = -1,	 /* out of memory */
	SMTPC_EINVAL = -2,	 /* invalid argument or usage */
	SMTPC_ELIMIT = -3,	 /* a size or count limit was exceeded */
	SMTPC_EDATA = -4,	 /* bad message data: address, header, CR/LF */
	SMTPC_ENOINPUT = -5,	 /* an input file is missing or unreadable */
	SMTPC_EIO = -6,		 /* local I/O error (read/write of a file) */
	SMTPC_ENOHOST = -7,	 /* the server's host name does not exist */
	SMTPC_ECONN = -8,	 /* connection refused, reset or closed */
	SMTPC_ETIMEOUT = -9,	 /* a deadline passed */
	SMTPC_ETLS = -10,	 /* TLS handshake or certificate check failed */
	SMTPC_EPROTO = -11,	 /* the server broke the protocol */
	SMTPC_ENOSTARTTLS = -12, /* STARTTLS required but not offered */
	SMTPC_EINSECURE = -13,	 /* the action would expose a secret */
	SMTPC_EAUTH = -14,	 /* the server refused authentication */
	SMTPC_ENOMECH = -15,	 /* the server offers no AUTH we may use */
	SMTPC_ETEMP = -16,	 /* 4xx, or DNS failed for now (try later) */
	SMTPC_EPERM = -17,	 /* the server answered 5xx (refused) */
	SMTPC_ECONFIG = -18,	 /* configuration error */
	SMTPC_EINTERNAL = -19,	 /* a bug in smtpc */
};

#define SMTPC_ERROR_TEXT_MAX 512

/*
 * What went wrong.  `code` is the category; `reply_code`, `enhanced` and
 * `server_text` are set when the server's reply caused it (server_text is
 * escaped: printable ASCII only, multi-line replies joined with " / ");
 * `stage` names the step ("connect", "greeting", "EHLO", "STARTTLS", "TLS",
 * "AUTH", "MAIL FROM", "RCPT TO", "DATA", "message", "QUIT", ...);
 * `message` is our own sentence, without the server's words.
 */
struct smtpc_error {
	int code;
	int reply_code;
	char enhanced[16];
	char stage[24];
	char server_text[SMTPC_ERROR_TEXT_MAX];
	char message[SMTPC_ERROR_TEXT_MAX];
};

/* A short sentence for a code ("authentication refused"); never NULL. */
SMTPC_API const char *smtpc_strerror(int code);
/* The code's name ("SMTPC_EAUTH"); never NULL. */
SMTPC_API const char *smtpc_errname(int code);

/*
 * Messages.
 *
 * A message holds the header fields and the body parts.  Bodies of files
 * are not read here: the file is checked (exists, is readable, is a regular
 * file) and its size recorded, then read in chunks while it is sent.
 */
struct smtpc_msg;

enum smtpc_rcpt_kind {
	SMTPC_RCPT_TO = 0,
	SMTPC_RCPT_CC = 1,
	SMTPC_RCPT_BCC = 2, /* envelope only: never written into a header */
};

SMTPC_API struct smtpc_msg *smtpc_msg_new(void);
SMTPC_API void smtpc_msg_free(struct smtpc_msg *msg);

/*
 * Addresses are "addr@example.org", "Name <addr@example.org>" or
 * "\"Last, First\" <addr@example.org>"; the display name may be UTF-8.
 * Invalid addresses fail with SMTPC_EDATA and say why.
 */
SMTPC_API int smtpc_msg_set_from(
    struct smtpc_msg *msg, const char *address, struct smtpc_error *err);
SMTPC_API int smtpc_msg_add_recipient(struct smtpc_msg *msg,
    enum smtpc_rcpt_kind kind, const char *address, struct smtpc_error *err);
SMTPC_API int smtpc_msg_add_reply_to(
    struct smtpc_msg *msg, const char *address, struct smtpc_error *err);

/* UTF-8 text; CR, LF or NUL in it fails with SMTPC_EDATA. */
SMTPC_API int smtpc_msg_set_subject(
    struct smtpc_msg *msg, const char *subject, struct smtpc_error *err);
/*
 * An extra header field.  The name must be printable ASCII without ':' or
 * space; the value UTF-8 without CR, LF or NUL.  Fields the library writes
 * itself (From, To, Cc, Bcc, Reply-To, Subject, Date, Message-ID,
 * MIME-Version, Content-*) are refused with SMTPC_EDATA, except Date and
 * Message-ID, which replace the generated ones (a second one replaces the
 * first).  The value is written as unstructured text: folded, with
 * encoded-words for non-ASCII words.
 */
SMTPC_API int smtpc_msg_add_header(struct smtpc_msg *msg, const char *name,
    const char *value, struct smtpc_error *err);

/* Bodies: the text and HTML are UTF-8; memory bodies are copied. */
SMTPC_API int smtpc_msg_set_text(struct smtpc_msg *msg, const char *data,
    size_t len, struct smtpc_error *err);
SMTPC_API int smtpc_msg_set_text_file(
    struct smtpc_msg *msg, const char *path, struct smtpc_error *err);
SMTPC_API int smtpc_msg_set_html(struct smtpc_msg *msg, const char *data,
    size_t len, struct smtpc_error *err);
SMTPC_API int smtpc_msg_set_html_file(
    struct smtpc_msg *msg, const char *path, struct smtpc_error *err);

/*
 * An image (or any file) shown in the body.  With an HTML body it goes into
 * multipart/related and the HTML refers to it as "cid:ID"; with a text body
 * only it follows the text as an inline part.  `type` NULL guesses from the
 * extension, then from the content; `cid` NULL uses the file's base name
 * (with spaces, non-ASCII and <>"()[]\,;: made '_', and "=?" made "=_",
 * so it is a valid Content-ID that no reader decodes as an encoded-word);
 * a given `cid` must be printable ASCII without those, and each
 * Content-ID unique in the message (else SMTPC_EDATA).  A missing or
 * unreadable file, or one that is not a regular file, fails with
 * SMTPC_ENOINPUT.  Files are sent in base64, so a type message/... or
 * multipart/... fails with SMTPC_EDATA.
 */
SMTPC_API int smtpc_msg_add_inline(struct smtpc_msg *msg, const char *path,
    const char *type, const char *cid, struct smtpc_error *err);
/*
 * A file attached with Content-Disposition: attachment.  `type` NULL
 * guesses; `name` NULL uses the file's base name.
 */
SMTPC_API int smtpc_msg_add_attachment(struct smtpc_msg *msg, const char *path,
    const char *type, const char *name, struct smtpc_error *err);

/*
 * Reproducible output (tests, golden files): a fixed Date, and a seed that
 * makes boundaries and the Message-ID come from a deterministic generator
 * instead of the operating system's random source.
 */
SMTPC_API void smtpc_msg_set_date(struct smtpc_msg *msg, time_t when);
SMTPC_API void smtpc_msg_set_seed(struct smtpc_msg *msg, uint64_t seed);

/*
 * The envelope: the From address and every To, Cc and Bcc recipient
 * (duplicates removed), as bare addr-specs with IDN domains in A-label
 * form.  NULL / 0 when not set.
 */
SMTPC_API const char *smtpc_msg_envelope_from(const struct smtpc_msg *msg);
SMTPC_API size_t smtpc_msg_recipient_count(const struct smtpc_msg *msg);
SMTPC_API const char *smtpc_msg_recipient(
    const struct smtpc_msg *msg, size_t index);
/*
 * 1 when an address of the message (From, To, Cc, Bcc, Reply-To) has a
 * UTF-8 local part: it is written raw into the header (RFC 6532) and the
 * envelope, so the message can only go to a server that offers SMTPUTF8
 * (RFC 6531); pass SMTPC_SEND_SMTPUTF8 to smtpc_session_send.  0
 * otherwise (IDN domains are sent as A-labels and need nothing).
 */
SMTPC_API int smtpc_msg_needs_smtputf8(const struct smtpc_msg *msg);

/*
 * The message as a stream of bytes, pulled in chunks.  Lines end in CRLF;
 * the stream is not dot-stuffed (the session does that).  Files are opened
 * when their part starts and closed when it ends, so memory stays bounded
 * whatever their size.  The message must not change while a reader is
 * open on it.  smtpc_reader_new fails with SMTPC_EDATA when the message has
 * no From or no recipient.
 */
struct smtpc_reader;

SMTPC_API int smtpc_reader_new(const struct smtpc_msg *msg,
    struct smtpc_reader **ret, struct smtpc_error *err);
/*
 * Copies up to `cap` bytes into `buf`; *ret_len == 0 means the end.  Fails
 * with SMTPC_EINVAL when `cap` is 0, with SMTPC_ENOINPUT or SMTPC_EIO
 * (naming the file) when a file vanished, cannot be read or changed size;
 * a failure sticks: later calls fail the same way.
 */
SMTPC_API int smtpc_reader_read(struct smtpc_reader *r, void *buf, size_t cap,
    size_t *ret_len, struct smtpc_error *err);
SMTPC_API void smtpc_reader_free(struct smtpc_reader *r);
/*
 * The exact number of bytes this reader produces in all, computed without
 * reading any file (for SIZE= and progress).  It holds as long as the
 * files keep the size they had when added; if one changed, reading fails
 * with SMTPC_EIO instead of producing a different size.  Fails with
 * SMTPC_EINVAL on NULL arguments.
 */
SMTPC_API int smtpc_reader_size(struct smtpc_reader *r, uint64_t *ret_size);

/*
 * Sessions.
 */
enum smtpc_tls_mode {
	SMTPC_TLS_STARTTLS = 0, /* required: never silently skipped */
	SMTPC_TLS_IMPLICIT = 1, /* TLS from the first byte (port 465) */
	SMTPC_TLS_NONE = 2,	/* plain TCP (a local relay) */
};

enum smtpc_trace_dir {
	SMTPC_TRACE_IN = 0,   /* a line the server sent */
	SMTPC_TRACE_OUT = 1,  /* a line we sent (secrets masked) */
	SMTPC_TRACE_INFO = 2, /* an event: "connected to ...", "TLS ..." */
};

/* `line` has no CRLF and is not NUL-terminated. */
typedef void smtpc_trace_fn(
    void *user, enum smtpc_trace_dir dir, const char *line, size_t len);

/*
 * A message body source: copy up to `cap` bytes into `buf`, set *ret_len
 * (0 at the end) and return 0, or return a negative SMTPC_E* code (and fill
 * err).  smtpc_reader_read has this shape.
 */
typedef int smtpc_body_read_fn(void *user, void *buf, size_t cap,
    size_t *ret_len, struct smtpc_error *err);

struct smtpc_server {
	const char *host; /* name or address; required */
	unsigned port;	  /* 0: 465 for implicit TLS, 25 for none, else 587 */
	enum smtpc_tls_mode tls;
	const char *cafile; /* NULL: the system's trust store */
	int insecure;	    /* 1: skip certificate and host-name checks */
	/*
	 * Pin: the SHA-256 of the server certificate's DER encoding, 64 hex
	 * digits with or without ':' between pairs.  When set, the pin alone
	 * decides (chain and host name are not checked, as msmtp does); a
	 * different certificate fails with SMTPC_ETLS naming both
	 * fingerprints.  Malformed: SMTPC_EINVAL from smtpc_session_new.
	 */
	const char *tls_fingerprint;
	/*
	 * Client certificate (PEM; the chain may follow the certificate) and
	 * its private key (PEM, unencrypted; NULL: in cert_file too).  A file
	 * that cannot be read fails with SMTPC_ENOINPUT from
	 * smtpc_session_new; one OpenSSL cannot use, or a key that does not
	 * match, with SMTPC_ETLS during the handshake.  key_file without
	 * cert_file is SMTPC_EINVAL.
	 */
	const char *cert_file;
	const char *key_file;
	/*
	 * The EHLO name.  NULL: this machine's fully qualified name (its host
	 * name when dotted, else the resolver's canonical name for it), else
	 * the address literal of our end of the connection ("[192.0.2.1]",
	 * RFC 5321 4.1.4); never a bare short host name.
	 */
	const char *helo;
	unsigned timeout;     /* seconds for each stage; 0: the defaults */
	const char *user;     /* NULL: no AUTH */
	const char *password; /* copied, wiped on free */
	/*
	 * NULL: the strongest the server offers, SCRAM-SHA-256 > SCRAM-SHA-1
	 * > PLAIN > LOGIN (CRAM-MD5 only when named here).
	 */
	const char *auth_mech;
	/*
	 * An OAuth 2.0 access token (RFC 6750), used instead of the password
	 * with OAUTHBEARER (RFC 7628) or XOAUTH2; copied, wiped on free.
	 * Needs `user`.  With a token, only those two mechanisms are chosen
	 * (the token goes in no password mechanism), OAUTHBEARER first; with
	 * a password, never those two.  Setting both password and token, an
	 * auth_mech smtpc does not know, or one that does not take the secret
	 * given, is SMTPC_EINVAL from smtpc_session_new; a server offering
	 * none that fits fails the open with SMTPC_ENOMECH.
	 */
	const char *oauth_token;
	smtpc_trace_fn *trace; /* NULL: no trace */
	void *trace_user;
};

struct smtpc_session;

/* Copies `cfg` (strings included).  Fails with SMTPC_EINVAL without a host. */
SMTPC_API int smtpc_session_new(const struct smtpc_server *cfg,
    struct smtpc_session **ret, struct smtpc_error *err);
SMTPC_API void smtpc_session_free(struct smtpc_session *s);

/*
 * Connect, read the greeting, EHLO (HELO if EHLO is refused), TLS as
 * configured (EHLO again after STARTTLS, forgetting what came before), and
 * AUTH when a user is set.  Credentials never leave over a connection
 * without TLS unless the mode is SMTPC_TLS_NONE.
 */
SMTPC_API int smtpc_session_open(
    struct smtpc_session *s, struct smtpc_error *err);

/*
 * Flags for smtpc_session_send.
 *
 * SMTPC_SEND_ALLOW_PARTIAL: send when some recipients are refused.
 * SMTPC_SEND_8BIT: the body has 8-bit bytes (a message the caller wrote,
 *   with Content-Transfer-Encoding: 8bit; messages from smtpc_reader_* are
 *   always 7-bit and never need it).  MAIL FROM then declares
 *   BODY=8BITMIME (RFC 6152); a server that does not offer 8BITMIME makes
 *   the send fail with SMTPC_EDATA before anything is sent, rather than
 *   deliver a message the server may mangle.  Without the flag the body
 *   is sent as given and no check is made.
 * SMTPC_SEND_NO_PIPELINING: one command at a time even if the server
 *   offers PIPELINING (RFC 2920), for servers that get it wrong.
 * SMTPC_SEND_NO_CHUNKING: DATA even if the server offers CHUNKING
 *   (RFC 3030).
 * SMTPC_SEND_SMTPUTF8: the message has UTF-8 in its header fields
 *   (smtpc_msg_needs_smtputf8).  MAIL FROM then carries SMTPUTF8; a server
 *   that does not offer it makes the send fail with SMTPC_EDATA before
 *   MAIL FROM is sent.  (Non-ASCII envelope addresses set it by
 *   themselves.)
 */
#define SMTPC_SEND_ALLOW_PARTIAL 0x1
#define SMTPC_SEND_8BIT 0x2
#define SMTPC_SEND_NO_PIPELINING 0x4
#define SMTPC_SEND_NO_CHUNKING 0x8
#define SMTPC_SEND_SMTPUTF8 0x10

/*
 * One mail transaction: MAIL FROM, RCPT TO for each recipient, then the
 * body pulled from `read`: with BDAT chunks of 1 MiB when the server offers
 * CHUNKING (CRLF normalised; each chunk waits for its 250), else with DATA
 * (CRLF normalised and dot-stuffed on the fly).  When the server offers
 * PIPELINING, MAIL, the RCPTs and DATA go in one write.
 * When a recipient is refused and SMTPC_SEND_ALLOW_PARTIAL is not set,
 * nothing is sent: the transaction is reset (RSET), or, when the server
 * took the pipelined DATA for the other recipients, the connection is
 * closed before the end of the data so that the server discards it (the
 * session is then closed).  The refusals are listed by
 * smtpc_session_refused().  Returns 0 when the server accepted the
 * message for at least one recipient.
 *
 * Failures name their stage in err->stage ("MAIL FROM", "RCPT TO",
 * "DATA", "BDAT", "message" for the body and the final reply).  A 4xx
 * reply or a timeout gives SMTPC_ETEMP / SMTPC_ETIMEOUT, a 5xx
 * SMTPC_EPERM, a lost connection SMTPC_ECONN; when the connection was
 * lost or timed out after the whole message was sent, err->message says
 * the server may have accepted it.  A 421 at any point ends the session
 * (QUIT is tried, then the connection is closed).
 */
SMTPC_API int smtpc_session_send(struct smtpc_session *s, const char *from,
    const char *const *rcpts, size_t nrcpts, smtpc_body_read_fn *read,
    void *read_user, unsigned flags, struct smtpc_error *err);

/*
 * The exact size in bytes of the message the next smtpc_session_send will
 * send (smtpc_reader_size gives it); 0 means unknown.  When the server
 * offers SIZE (RFC 1870) it is declared in MAIL FROM, and a message larger
 * than the server's limit fails with SMTPC_EPERM before anything is sent.
 * Applies to the next send only.
 */
SMTPC_API int smtpc_session_set_size(struct smtpc_session *s, uint64_t size);

/*
 * Delivery status notifications (RFC 3461).  `notify` is 0 (no NOTIFY=,
 * the server's default), SMTPC_DSN_NEVER alone, or any of SUCCESS,
 * FAILURE and DELAY; `ret` asks for the full message or its headers only
 * in a failure report; `envid` (NULL: none) is an identifier of printable
 * ASCII that comes back in the reports, at most 100 bytes once
 * xtext-encoded.
 */
#define SMTPC_DSN_NEVER 0x1
#define SMTPC_DSN_SUCCESS 0x2
#define SMTPC_DSN_FAILURE 0x4
#define SMTPC_DSN_DELAY 0x8

enum smtpc_dsn_ret {
	SMTPC_DSN_RET_DEFAULT = 0, /* no RET=: the server decides */
	SMTPC_DSN_RET_FULL = 1,
	SMTPC_DSN_RET_HDRS = 2,
};

struct smtpc_dsn {
	unsigned notify;
	enum smtpc_dsn_ret ret;
	const char *envid;
};

/*
 * Ask for DSNs in every following send (NULL: stop asking): RET= and
 * ENVID= (xtext) in MAIL FROM, NOTIFY= in each RCPT TO.  They are sent
 * only when the server offers DSN; otherwise the mail goes out without
 * them, as other clients do (a missing report is better than a mail not
 * sent) -- smtpc_session_capabilities() tells the caller, who may warn.
 * Fails with SMTPC_EINVAL (nothing changed) on NEVER combined with other
 * notify bits, unknown bits or `ret`, or an envid that is empty, not
 * printable ASCII or too long.  `envid` is copied.
 */
SMTPC_API int smtpc_session_set_dsn(struct smtpc_session *s,
    const struct smtpc_dsn *dsn, struct smtpc_error *err);

struct smtpc_refusal {
	const char *address;
	int reply_code;
	const char *enhanced; /* "" when the server gave none */
	const char *text;     /* escaped server text */
};

/* Recipients refused in the last smtpc_session_send, in order. */
SMTPC_API size_t smtpc_session_refused_count(const struct smtpc_session *s);
SMTPC_API const struct smtpc_refusal *smtpc_session_refused(
    const struct smtpc_session *s, size_t index);

/* Polite end: QUIT and wait briefly for the reply; then closes. */
SMTPC_API int smtpc_session_quit(
    struct smtpc_session *s, struct smtpc_error *err);

struct smtpc_tls_info {
	char version[32];  /* "TLSv1.3" */
	char cipher[64];   /* "TLS_AES_256_GCM_SHA384" */
	char subject[256]; /* certificate subject, one line */
	char issuer[256];
	char not_after[64]; /* "2027-11-28 21:58:05 UTC" */
	int verified;	    /* 1 when chain and host name were checked,
			       or the pinned fingerprint matched */
	char sha256[96];    /* the certificate's SHA-256, "AB:CD:..." */
};

/* Fails with SMTPC_EINVAL when the connection is not (yet) TLS. */
SMTPC_API int smtpc_session_tls_info(
    const struct smtpc_session *s, struct smtpc_tls_info *out);
/* The EHLO keywords of the current connection, one per line; "" if none. */
SMTPC_API const char *smtpc_session_capabilities(const struct smtpc_session *s);
/* The mechanism that authenticated, or NULL when not authenticated. */
SMTPC_API const char *smtpc_session_auth_mech(const struct smtpc_session *s);

/*
 * Everything in one call: open a session, send `msg` to its envelope, quit.
 * A refused recipient fails the send (nothing is delivered).
 */
SMTPC_API int smtpc_send(const struct smtpc_server *srv,
    const struct smtpc_msg *msg, struct smtpc_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_H */
