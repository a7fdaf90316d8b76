/* SPDX-License-Identifier: ISC */
/*
 * tls_cache.h - the TLS session cache file: sessions one run keeps for
 * the next, so that a later connection to the same server with the same
 * trust settings can resume instead of running a full handshake.
 *
 * The file is text, one entry per line, fields separated by one space:
 *
 *   smtpc-tls-sessions 1
 *   STORED EXPIRES KEY PEER SESSION CHAIN
 *   ...
 *   end SHA256
 *
 * STORED and EXPIRES are seconds since the epoch; KEY is 64 lowercase hex
 * digits (tls_cache_key); PEER is "host:port", for the bound per server;
 * SESSION is the base64 of the DER-encoded SSL_SESSION; CHAIN is the
 * base64 of the server's intermediate certificates, DER one after the
 * other, or "-".  The last line holds the SHA-256 (lowercase hex) of
 * every byte before it: a file cut short or damaged is refused whole.
 *
 * The file holds secrets (a TLS 1.2 session's master secret would decrypt
 * the connection it came from): it is written 0600 in a 0700 directory,
 * and read only from a directory and a file of our own that no one else
 * may write (nor read, for the file).  Writes go to a temporary file that
 * is renamed over the old one: a reader sees the old file or the new one;
 * of two runs saving at once the last one wins, whole.
 */
#ifndef SMTPC_TLS_CACHE_H
#define SMTPC_TLS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"

#define TLS_CACHE_MAX_FILE	(512u * 1024)
#define TLS_CACHE_MAX_ENTRIES	32	/* in the file */
#define TLS_CACHE_PER_PEER	4	/* entries for one host:port */
#define TLS_CACHE_MAX_SESSION	(8u * 1024)	/* DER bytes */
#define TLS_CACHE_MAX_CHAIN	(32u * 1024)	/* DER bytes */
#define TLS_CACHE_PEER_MAX	264	/* "host:port" and its NUL */
/* RFC 8446 4.6.1: no ticket lives longer than seven days. */
#define TLS_CACHE_MAX_AGE	(7 * 24 * 3600)

struct tls_cache_entry {
	int64_t stored;
	int64_t expires;
	char key[65];
	char peer[TLS_CACHE_PEER_MAX];
	unsigned char *session;		/* malloc'd, wiped when freed */
	size_t session_len;
	unsigned char *chain;		/* malloc'd; NULL: none */
	size_t chain_len;
};

struct tls_cache {
	struct tls_cache_entry e[TLS_CACHE_MAX_ENTRIES + TLS_CACHE_PER_PEER];
	size_t n;
};

/* What tls_cache_read found (0: the file was read, or there is none). */
enum tls_cache_status {
	TLS_CACHE_OK = 0,
	TLS_CACHE_IGNORED,	/* not used (damaged, too open, not ours);
				   a save replaces it */
	TLS_CACHE_UNSAFE,	/* its directory is not ours alone: neither
				   read nor written */
};

void tls_cache_init(struct tls_cache *tc);
/* Free (and wipe) every entry; the cache is then empty. */
void tls_cache_free(struct tls_cache *tc);

/*
 * Parse a whole file's bytes into `tc` (which must be empty).  0, or -1
 * with *why saying what is wrong (a static string) and `tc` left empty.
 */
int tls_cache_parse(struct tls_cache *tc, const void *data, size_t len,
    const char **why);
/* The file's bytes for `tc`, appended to `out`; 0 or SMTPC_ENOMEM. */
int tls_cache_format(const struct tls_cache *tc, struct buf *out);

/*
 * Read the file at `path` into `tc` (empty).  A file or directory that
 * does not exist yet is an empty cache.  Otherwise a status other than
 * TLS_CACHE_OK leaves `tc` empty with the reason in `why`.
 */
enum tls_cache_status tls_cache_read(const char *path, struct tls_cache *tc,
    char *why, size_t cap);
/*
 * Write `tc` to `path` atomically, making its directory (0700) if need
 * be.  0, or -1 with the reason in `why`.
 */
int tls_cache_write(const char *path, const struct tls_cache *tc, char *why,
    size_t cap);

/*
 * Add an entry, taking its buffers.  When every slot is used the oldest
 * entry goes first.
 */
void tls_cache_add(struct tls_cache *tc, struct tls_cache_entry *e);
/* Remove (and wipe) entry i. */
void tls_cache_remove(struct tls_cache *tc, size_t i);
/*
 * Drop what the file must not keep: entries expired at `now`, those of a
 * peer beyond its TLS_CACHE_PER_PEER newest, and beyond the
 * TLS_CACHE_MAX_ENTRIES newest in all.
 */
void tls_cache_prune(struct tls_cache *tc, int64_t now);
/* The newest entry for `key` still valid at `now`, or -1. */
int tls_cache_find(const struct tls_cache *tc, const char *key, int64_t now);

/*
 * The key of a server and the settings its sessions were made under:
 * SHA-256, as 64 hex digits, of the host, the port, the TLS mode
 * (`starttls`), the insecure flag, the pin, and the CA file and client
 * certificate and key (each by path, size and modification time), so that
 * a change to any of them never resumes a session made under the others.
 */
void tls_cache_key(char out[65], const char *host, unsigned port,
    int starttls, const struct conn_tls_cfg *cfg);

#endif
