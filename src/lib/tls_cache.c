/* SPDX-License-Identifier: ISC */
/*
 * tls_cache.c - the TLS session cache file (format in tls_cache.h): parse
 * and format it, read it only when it is ours alone, write it atomically,
 * keep it small, and key its entries by server and trust settings.
 *
 * The file is input from disk, not from the program: anything that does
 * not parse exactly is refused whole, and every length is bounded before
 * anything is allocated.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64.h"
#include "error.h"
#include "tls_cache.h"

#define TLS_CACHE_HEADER	"smtpc-tls-sessions 1\n"
#define TLS_CACHE_END		"end "
/* "end " + 64 hex digits + LF */
#define TLS_CACHE_END_LEN	(4 + 64 + 1)
/* A decimal time: at most 18 digits, so it never overflows int64_t. */
#define TLS_CACHE_TIME_MAX	18

static const char tls_cache_hexdigits[] = "0123456789abcdef";

static void
tls_cache_hex(const unsigned char *md, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = tls_cache_hexdigits[md[i] >> 4];
		out[2 * i + 1] = tls_cache_hexdigits[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* SHA-256 of data[0..len) as 64 lowercase hex digits; -1 on failure. */
static int
tls_cache_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return -1;
	tls_cache_hex(md, 32, out);
	return 0;
}

void
tls_cache_init(struct tls_cache *tc)
{
	memset(tc, 0, sizeof(*tc));
}

static void
tls_cache_entry_free(struct tls_cache_entry *e)
{
	if (e->session != NULL)
		OPENSSL_cleanse(e->session, e->session_len);
	free(e->session);
	free(e->chain);
	memset(e, 0, sizeof(*e));
}

void
tls_cache_free(struct tls_cache *tc)
{
	size_t i;

	for (i = 0; i < tc->n; i++)
		tls_cache_entry_free(&tc->e[i]);
	tc->n = 0;
}

/* A time field: 1 to TLS_CACHE_TIME_MAX decimal digits. */
static int
tls_cache_parse_time(const char *p, size_t n, int64_t *ret)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > TLS_CACHE_TIME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*ret = v;
	return 0;
}

/*
 * A base64 field of at most `max` decoded bytes into a new block; "-"
 * (when `dash_ok`) is no data.
 */
static int
tls_cache_parse_blob(const char *p, size_t n, size_t max, int dash_ok,
    unsigned char **ret, size_t *ret_len)
{
	struct buf b;

	*ret = NULL;
	*ret_len = 0;
	if (dash_ok && n == 1 && p[0] == '-')
		return 0;
	if (n == 0 || n > (max + 2) / 3 * 4)
		return -1;
	buf_init(&b, max);
	if (b64_decode(p, n, &b) != 0 || b.len == 0) {
		buf_wipe_free(&b);
		return -1;
	}
	*ret = (unsigned char *)buf_detach(&b, ret_len);
	return 0;
}

/* One entry line (without its LF): exactly six fields. */
static int
tls_cache_parse_entry(const char *line, size_t len,
    struct tls_cache_entry *e)
{
	const char *f[6];
	size_t fl[6], i, k = 0, start = 0;

	for (i = 0; i <= len && k < 6; i++) {
		if (i < len && line[i] != ' ')
			continue;
		f[k] = line + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	if (k != 6 || i <= len)
		return -1;	/* fewer fields, or more */
	memset(e, 0, sizeof(*e));
	if (tls_cache_parse_time(f[0], fl[0], &e->stored) != 0 ||
	    tls_cache_parse_time(f[1], fl[1], &e->expires) != 0)
		return -1;
	if (fl[2] != 64)
		return -1;
	for (i = 0; i < 64; i++)
		if (strchr(tls_cache_hexdigits, f[2][i]) == NULL ||
		    f[2][i] == '\0')
			return -1;
	memcpy(e->key, f[2], 64);
	if (fl[3] == 0 || fl[3] >= sizeof(e->peer))
		return -1;
	for (i = 0; i < fl[3]; i++)
		if (f[3][i] <= ' ' || f[3][i] > '~')
			return -1;
	memcpy(e->peer, f[3], fl[3]);
	if (tls_cache_parse_blob(f[4], fl[4], TLS_CACHE_MAX_SESSION, 0,
	    &e->session, &e->session_len) != 0)
		return -1;
	if (tls_cache_parse_blob(f[5], fl[5], TLS_CACHE_MAX_CHAIN, 1,
	    &e->chain, &e->chain_len) != 0) {
		tls_cache_entry_free(e);
		return -1;
	}
	return 0;
}

int
tls_cache_parse(struct tls_cache *tc, const void *data, size_t len,
    const char **why)
{
	const char *p = data, *line, *nl, *end;
	char sum[65];
	size_t hlen = strlen(TLS_CACHE_HEADER);

	if (len > TLS_CACHE_MAX_FILE) {
		*why = "larger than a cache file can be";
		return -1;
	}
	if (len < hlen || memcmp(p, TLS_CACHE_HEADER, hlen) != 0) {
		*why = "not a smtpc TLS session cache of this version";
		return -1;
	}
	/* The checksum line ends the file; without it the file is cut. */
	if (len < hlen + TLS_CACHE_END_LEN || p[len - 1] != '\n' ||
	    memcmp(p + len - TLS_CACHE_END_LEN, TLS_CACHE_END, 4) != 0 ||
	    (len > hlen + TLS_CACHE_END_LEN &&
	    p[len - TLS_CACHE_END_LEN - 1] != '\n')) {
		*why = "cut short (no checksum line at its end)";
		return -1;
	}
	end = p + len - TLS_CACHE_END_LEN;
	if (tls_cache_sha256_hex(p, (size_t)(end - p), sum) != 0 ||
	    memcmp(sum, end + 4, 64) != 0) {
		*why = "damaged (its checksum does not match)";
		return -1;
	}
	for (line = p + hlen; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (tc->n == TLS_CACHE_MAX_ENTRIES) {
			*why = "more entries than a cache file holds";
			tls_cache_free(tc);
			return -1;
		}
		/* end[-1] is a LF (checked above): nl is never NULL. */
		if (nl == NULL || tls_cache_parse_entry(line,
		    (size_t)(nl - line), &tc->e[tc->n]) != 0) {
			*why = "an entry does not parse";
			tls_cache_free(tc);
			return -1;
		}
		tc->n++;
	}
	return 0;
}

static int
tls_cache_format_entry(const struct tls_cache_entry *e, struct buf *out)
{
	if (buf_printf(out, "%lld %lld %s %s ", (long long)e->stored,
	    (long long)e->expires, e->key, e->peer) != 0 ||
	    b64_encode(e->session, e->session_len, out) != 0)
		return SMTPC_ENOMEM;
	if (e->chain_len == 0)
		return buf_append_str(out, " -\n") != 0 ? SMTPC_ENOMEM : 0;
	if (buf_append_byte(out, ' ') != 0 ||
	    b64_encode(e->chain, e->chain_len, out) != 0 ||
	    buf_append_byte(out, '\n') != 0)
		return SMTPC_ENOMEM;
	return 0;
}

int
tls_cache_format(const struct tls_cache *tc, struct buf *out)
{
	size_t start = out->len, i;
	char sum[65];

	if (buf_append_str(out, TLS_CACHE_HEADER) != 0)
		return SMTPC_ENOMEM;
	for (i = 0; i < tc->n; i++)
		if (tls_cache_format_entry(&tc->e[i], out) != 0)
			goto fail;
	if (tls_cache_sha256_hex(out->data + start, out->len - start,
	    sum) != 0 || buf_printf(out, "%s%s\n", TLS_CACHE_END, sum) != 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return SMTPC_ENOMEM;
}

/* The directory part of `path` ("." when it has none). */
static int
tls_cache_dirname(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return (size_t)snprintf(out, cap, ".") < cap ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

/*
 * The directory must be ours and writable by us alone: anyone else who
 * can write there could plant a file for us to trust.  1: it does not
 * exist; 0: fine; -1: not usable (why in `why`).
 */
static int
tls_cache_dir_check(const char *dir, char *why, size_t cap)
{
	struct stat st;
	char ebuf[128];

	if (stat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, cap, "cannot look at its directory: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, cap, "its directory is not a directory");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, cap, "its directory belongs to another user");
		return -1;
	}
	if ((st.st_mode & 022) != 0) {
		snprintf(why, cap, "others may write in its directory "
		    "(mode %03o)", (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

/* The open file must be a regular file of ours that only we can use. */
static int
tls_cache_file_check(int fd, char *why, size_t cap)
{
	struct stat st;
	char ebuf[128];

	if (fstat(fd, &st) == -1) {
		snprintf(why, cap, "%s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, cap, "not a regular file");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, cap, "it belongs to another user");
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(why, cap, "others may read or write it (mode %03o)",
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (st.st_size > (off_t)TLS_CACHE_MAX_FILE) {
		snprintf(why, cap, "larger than a cache file can be");
		return -1;
	}
	return 0;
}

/* Read all of fd (at most TLS_CACHE_MAX_FILE + 1 bytes) into `out`. */
static int
tls_cache_slurp(int fd, struct buf *out, char *why, size_t cap)
{
	unsigned char *p;
	char ebuf[128];
	ssize_t n;

	for (;;) {
		if (buf_prepare(out, 16384, &p) != 0) {
			snprintf(why, cap, "larger than a cache file can be");
			return -1;
		}
		n = read(fd, p, 16384);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, cap, "cannot read it: %s",
			    error_strerror(errno, ebuf, sizeof(ebuf)));
			return -1;
		}
		if (n == 0)
			return 0;
		buf_commit(out, (size_t)n);
	}
}

enum tls_cache_status
tls_cache_read(const char *path, struct tls_cache *tc, char *why, size_t cap)
{
	char dir[PATH_MAX], ebuf[128];
	const char *reason = NULL;
	struct buf data;
	int fd, rc;

	if (tls_cache_dirname(path, dir, sizeof(dir)) != 0) {
		snprintf(why, cap, "its name is too long");
		return TLS_CACHE_UNSAFE;
	}
	if ((rc = tls_cache_dir_check(dir, why, cap)) != 0)
		return rc > 0 ? TLS_CACHE_OK : TLS_CACHE_UNSAFE;
	/* No link to follow elsewhere; no FIFO to wait on. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return TLS_CACHE_OK;
	if (fd == -1) {
		snprintf(why, cap, "%s", errno == ELOOP ?
		    "it is a symbolic link" :
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		return TLS_CACHE_IGNORED;
	}
	/* One byte over the bound: a file that grew past it is refused. */
	buf_init(&data, TLS_CACHE_MAX_FILE + 16384);
	rc = tls_cache_file_check(fd, why, cap);
	if (rc == 0)
		rc = tls_cache_slurp(fd, &data, why, cap);
	close(fd);
	if (rc == 0 && tls_cache_parse(tc, data.data, data.len,
	    &reason) != 0) {
		snprintf(why, cap, "%s", reason);
		rc = -1;
	}
	buf_wipe_free(&data);
	return rc == 0 ? TLS_CACHE_OK : TLS_CACHE_IGNORED;
}

/* Make `dir` and its missing parents, each 0700. */
static int
tls_cache_mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(p))
		return -1;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* Create a new temporary file beside `path`; its name goes to `tmp`. */
static int
tls_cache_tmpfile(const char *path, char *tmp, size_t cap)
{
	unsigned char rnd[6];
	char hex[13];
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		tls_cache_hex(rnd, sizeof(rnd), hex);
		if ((size_t)snprintf(tmp, cap, "%s.%s.tmp", path, hex) >= cap)
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int
tls_cache_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tls_cache_write(const char *path, const struct tls_cache *tc, char *why,
    size_t cap)
{
	char dir[PATH_MAX], tmp[PATH_MAX], ebuf[128];
	struct buf data;
	int fd, rc = -1;

	if (tls_cache_dirname(path, dir, sizeof(dir)) != 0) {
		snprintf(why, cap, "its name is too long");
		return -1;
	}
	if (tls_cache_mkdirs(dir) != 0) {
		snprintf(why, cap, "cannot make %s: %s", dir,
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (tls_cache_dir_check(dir, why, cap) != 0)
		return -1;
	buf_init(&data, TLS_CACHE_MAX_FILE);
	if (tls_cache_format(tc, &data) != 0) {
		snprintf(why, cap, "out of memory");
		buf_wipe_free(&data);
		return -1;
	}
	if ((fd = tls_cache_tmpfile(path, tmp, sizeof(tmp))) == -1) {
		snprintf(why, cap, "cannot create a file beside it: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
		buf_wipe_free(&data);
		return -1;
	}
	/*
	 * No fsync: this is a cache; after a crash the file is the old one,
	 * the new one, or one that fails its checksum and is not used.
	 */
	if (tls_cache_write_all(fd, data.data, data.len) != 0 ||
	    close(fd) != 0)
		snprintf(why, cap, "cannot write it: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	else if (rename(tmp, path) != 0)
		snprintf(why, cap, "cannot replace it: %s",
		    error_strerror(errno, ebuf, sizeof(ebuf)));
	else
		rc = 0;
	if (rc != 0)
		unlink(tmp);
	buf_wipe_free(&data);
	return rc;
}

void
tls_cache_remove(struct tls_cache *tc, size_t i)
{
	if (i >= tc->n)
		return;
	tls_cache_entry_free(&tc->e[i]);
	memmove(&tc->e[i], &tc->e[i + 1], (tc->n - i - 1) * sizeof(tc->e[0]));
	tc->n--;
	memset(&tc->e[tc->n], 0, sizeof(tc->e[0]));
}

/* The index of the oldest entry (the first of equals); tc->n > 0. */
static size_t
tls_cache_oldest(const struct tls_cache *tc)
{
	size_t i, o = 0;

	for (i = 1; i < tc->n; i++)
		if (tc->e[i].stored < tc->e[o].stored)
			o = i;
	return o;
}

void
tls_cache_add(struct tls_cache *tc, struct tls_cache_entry *e)
{
	if (tc->n == sizeof(tc->e) / sizeof(tc->e[0]))
		tls_cache_remove(tc, tls_cache_oldest(tc));
	tc->e[tc->n++] = *e;
	memset(e, 0, sizeof(*e));
}

/* Usable at `now`: not expired, not from the future, not too long-lived. */
static int
tls_cache_valid(const struct tls_cache_entry *e, int64_t now)
{
	return e->expires > now && e->stored <= now + 3600 &&
	    e->expires - e->stored <= TLS_CACHE_MAX_AGE;
}

/* Entries newer than e[i] (ties: those after it) for the same peer. */
static size_t
tls_cache_newer(const struct tls_cache *tc, size_t i, int same_peer)
{
	size_t j, n = 0;

	for (j = 0; j < tc->n; j++) {
		if (j == i || (same_peer &&
		    strcmp(tc->e[j].peer, tc->e[i].peer) != 0))
			continue;
		if (tc->e[j].stored > tc->e[i].stored ||
		    (tc->e[j].stored == tc->e[i].stored && j > i))
			n++;
	}
	return n;
}

void
tls_cache_prune(struct tls_cache *tc, int64_t now)
{
	size_t i = 0;

	while (i < tc->n) {
		if (!tls_cache_valid(&tc->e[i], now) ||
		    tls_cache_newer(tc, i, 1) >= TLS_CACHE_PER_PEER ||
		    tls_cache_newer(tc, i, 0) >= TLS_CACHE_MAX_ENTRIES)
			tls_cache_remove(tc, i);
		else
			i++;
	}
}

int
tls_cache_find(const struct tls_cache *tc, const char *key, int64_t now)
{
	size_t i;
	int best = -1;

	for (i = 0; i < tc->n; i++) {
		if (strcmp(tc->e[i].key, key) != 0 ||
		    !tls_cache_valid(&tc->e[i], now))
			continue;
		if (best < 0 || tc->e[i].stored >= tc->e[best].stored)
			best = (int)i;
	}
	return best;
}

/* A file named in the settings: its path and which file it is now. */
static void
tls_cache_key_file(EVP_MD_CTX *md, const char *what, const char *path)
{
	struct stat st;
	char id[160];

	if (path == NULL) {
		EVP_DigestUpdate(md, what, strlen(what));
		EVP_DigestUpdate(md, " none", 6);
		return;
	}
	if (stat(path, &st) == 0)
		snprintf(id, sizeof(id), "%llu %llu %lld %lld.%09ld",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	else
		snprintf(id, sizeof(id), "missing");
	EVP_DigestUpdate(md, what, strlen(what));
	EVP_DigestUpdate(md, " ", 1);
	EVP_DigestUpdate(md, path, strlen(path) + 1);
	EVP_DigestUpdate(md, id, strlen(id) + 1);
}

void
tls_cache_key(char out[65], const char *host, unsigned port, int starttls,
    const struct conn_tls_cfg *cfg)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	unsigned char c;
	EVP_MD_CTX *ctx;
	char head[64];
	size_t i;

	out[0] = '\0';
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	/* Host names are case-insensitive (RFC 4343). */
	for (i = 0; host[i] != '\0'; i++) {
		c = (unsigned char)tolower((unsigned char)host[i]);
		EVP_DigestUpdate(ctx, &c, 1);
	}
	snprintf(head, sizeof(head), "%u %s %d", port,
	    starttls ? "starttls" : "implicit", cfg->insecure ? 1 : 0);
	EVP_DigestUpdate(ctx, "", 1);
	EVP_DigestUpdate(ctx, head, strlen(head) + 1);
	if (cfg->pin_sha256 != NULL)
		EVP_DigestUpdate(ctx, cfg->pin_sha256, 32);
	else
		EVP_DigestUpdate(ctx, "no pin", 7);
	tls_cache_key_file(ctx, "cafile", cfg->cafile);
	tls_cache_key_file(ctx, "cert", cfg->cert_file);
	tls_cache_key_file(ctx, "key", cfg->key_file);
	if (EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 32)
		tls_cache_hex(md, 32, out);
	EVP_MD_CTX_free(ctx);
}
