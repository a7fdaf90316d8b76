/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for tls_cache.c: the file format (round trip, every damage
 * refused), the bounds, the key (every trust setting changes it), and the
 * rules for reading and writing the file (ours alone, atomic).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "tap.h"
#include "tls_cache.h"
#include "tmpfiles.h"

#define NOW	((int64_t)1700000000)

static char key_a[65], key_b[65];

/* An entry with `n` session bytes and `c` chain bytes. */
static void
mk_entry(struct tls_cache_entry *e, const char *key, const char *peer,
    int64_t stored, size_t n, size_t c)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->stored = stored;
	e->expires = stored + 7200;
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->peer, sizeof(e->peer), "%s", peer);
	e->session = malloc(n);
	for (i = 0; i < n; i++)
		e->session[i] = (unsigned char)(i * 13 + stored);
	e->session_len = n;
	if (c > 0) {
		e->chain = malloc(c);
		for (i = 0; i < c; i++)
			e->chain[i] = (unsigned char)(i * 7);
		e->chain_len = c;
	}
}

/* `body` followed by its checksum line, as a writer would end it. */
static void
with_sum(const char *body, struct buf *out)
{
	unsigned char md[32];
	unsigned int n = 0;
	int i;

	buf_reset(out);
	buf_append_str(out, body);
	EVP_Digest(body, strlen(body), md, &n, EVP_sha256(), NULL);
	buf_append_str(out, "end ");
	for (i = 0; i < 32; i++)
		buf_printf(out, "%02x", md[i]);
	buf_append_byte(out, '\n');
}

static int
parses(const void *data, size_t len, const char **why)
{
	struct tls_cache tc;
	int rc;

	tls_cache_init(&tc);
	rc = tls_cache_parse(&tc, data, len, why);
	tls_cache_free(&tc);
	return rc == 0;
}

static void
test_format(void)
{
	struct tls_cache tc, back;
	struct tls_cache_entry e;
	struct buf b, bad;
	const char *why = NULL;
	size_t i, refused = 0;
	char line[512];

	tls_cache_init(&tc);
	mk_entry(&e, key_a, "mail.example.org:587", NOW, 300, 0);
	tls_cache_add(&tc, &e);
	mk_entry(&e, key_b, "[::1]:465", NOW + 1, 1200, 2500);
	tls_cache_add(&tc, &e);
	buf_init(&b, TLS_CACHE_MAX_FILE);
	ok(tls_cache_format(&tc, &b) == 0, "format");
	ok(strncmp(buf_cstr(&b), "smtpc-tls-sessions 1\n", 21) == 0,
	    "format: header line");
	tls_cache_init(&back);
	ok(tls_cache_parse(&back, b.data, b.len, &why) == 0, "parse back");
	ok(back.n == 2, "parse back: two entries");
	for (i = 0; i < back.n && i < 2; i++) {
		ok(back.e[i].stored == tc.e[i].stored &&
		    back.e[i].expires == tc.e[i].expires &&
		    strcmp(back.e[i].key, tc.e[i].key) == 0 &&
		    strcmp(back.e[i].peer, tc.e[i].peer) == 0,
		    "parse back: fields");
		eq_mem(back.e[i].session, back.e[i].session_len,
		    tc.e[i].session, tc.e[i].session_len,
		    "parse back: session bytes");
		ok(back.e[i].chain_len == tc.e[i].chain_len &&
		    (tc.e[i].chain_len == 0 || memcmp(back.e[i].chain,
		    tc.e[i].chain, tc.e[i].chain_len) == 0),
		    "parse back: chain bytes");
	}
	tls_cache_free(&back);

	/* Every truncation and every flipped byte is refused. */
	for (i = 0; i < b.len; i++)
		if (parses(b.data, i, &why))
			refused++;
	ok(refused == 0, "every truncated file refused");
	buf_init(&bad, TLS_CACHE_MAX_FILE);
	for (i = 0, refused = 0; i < b.len; i++) {
		buf_reset(&bad);
		buf_append(&bad, b.data, b.len);
		bad.data[i] ^= 0x20;
		if (parses(bad.data, bad.len, &why))
			refused++;
	}
	ok(refused == 0, "every damaged byte refused");
	ok(!parses(b.data, b.len - 1, &why) && strstr(why, "cut short"),
	    "no final LF: cut short");
	buf_reset(&bad);
	buf_append(&bad, b.data, b.len);
	bad.data[30] ^= 1;
	ok(!parses(bad.data, bad.len, &why) && strstr(why, "checksum"),
	    "damaged: says its checksum does not match");
	ok(!parses("smtpc-tls-sessions 2\n", 21, &why) &&
	    strstr(why, "version"), "another version refused");
	ok(!parses("", 0, &why), "empty file refused");

	/* Entries that do not parse, under a correct checksum. */
	with_sum("smtpc-tls-sessions 1\n", &bad);
	ok(parses(bad.data, bad.len, &why), "no entries: an empty cache");
	{
		/* KEY stands for a well-formed key. */
		static const char *const lines[] = {
		    "1 2 KEY h:1 AAAA -",	/* fine: the control */
		    "1 2 KEY h:1 AAAA",		/* five fields */
		    "1 2 KEY h:1 AAAA - x",	/* seven */
		    "1  2 KEY h:1 AAAA -",	/* an empty field */
		    "x 2 KEY h:1 AAAA -",	/* a time that is no number */
		    "1234567890123456789 2 KEY h:1 AAAA -",	/* 19 */
		    "1 2 KEYA h:1 AAAA -",	/* key too long */
		    "1 2 KEY h\x01:1 AAAA -",	/* control byte in peer */
		    "1 2 KEY h:1 A=== -",	/* bad base64 */
		    "1 2 KEY h:1 - -",		/* no session */
		    "1 2 KEY h:1 AAAA AA",	/* bad chain */
		    "1 2 KEY h:1 AAAA -\r",	/* CR */
		};
		char body[1024];
		const char *k;

		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			k = strstr(lines[i], "KEY");
			snprintf(line, sizeof(line), "%.*s%s%s",
			    (int)(k - lines[i]), lines[i], key_a, k + 3);
			snprintf(body, sizeof(body),
			    "smtpc-tls-sessions 1\n%s\n", line);
			with_sum(body, &bad);
			if (i == 0)
				ok(parses(bad.data, bad.len, &why),
				    "a minimal entry parses");
			else
				ok(!parses(bad.data, bad.len, &why) &&
				    strstr(why, "entry"), lines[i]);
		}
		snprintf(body, sizeof(body), "smtpc-tls-sessions 1\n"
		    "1 2 %s h:1 AAAA -\n\n", key_a);
		with_sum(body, &bad);
		ok(!parses(bad.data, bad.len, &why), "an empty line refused");
	}
	/* More entries than a file holds. */
	{
		struct buf big;

		buf_init(&big, TLS_CACHE_MAX_FILE);
		buf_append_str(&big, "smtpc-tls-sessions 1\n");
		for (i = 0; i <= TLS_CACHE_MAX_ENTRIES; i++)
			buf_printf(&big, "1 2 %s h:1 AAAA -\n", key_a);
		with_sum(buf_cstr(&big), &bad);
		ok(!parses(bad.data, bad.len, &why) &&
		    strstr(why, "more entries"), "33 entries refused");
		buf_free(&big);
	}
	buf_free(&bad);
	buf_free(&b);
	tls_cache_free(&tc);
}

static void
test_bounds(void)
{
	struct tls_cache tc;
	struct tls_cache_entry e;
	char peer[32];
	size_t i, n;

	tls_cache_init(&tc);
	/* Six for one server: the four newest stay. */
	for (i = 0; i < 6; i++) {
		mk_entry(&e, key_a, "a:25", NOW + (int64_t)i, 10, 0);
		tls_cache_add(&tc, &e);
	}
	tls_cache_prune(&tc, NOW + 10);
	ok(tc.n == TLS_CACHE_PER_PEER, "four entries per server");
	for (i = 0, n = 0; i < tc.n; i++)
		n += tc.e[i].stored >= NOW + 2;
	ok(n == tc.n, "the newest kept");
	ok(tls_cache_find(&tc, key_a, NOW + 10) >= 0 &&
	    tc.e[tls_cache_find(&tc, key_a, NOW + 10)].stored == NOW + 5,
	    "find: the newest");
	ok(tls_cache_find(&tc, key_b, NOW + 10) == -1, "find: other key");
	ok(tls_cache_find(&tc, key_a, NOW + 7300) == -1,
	    "find: none once expired");
	tls_cache_prune(&tc, NOW + 7300);
	ok(tc.n == 0, "expired entries pruned");

	/* Forty servers: the 32 newest stay, the slots never overflow. */
	for (i = 0; i < 40; i++) {
		snprintf(peer, sizeof(peer), "h%zu:25", i);
		mk_entry(&e, key_b, peer, NOW + (int64_t)i, 10, 0);
		tls_cache_add(&tc, &e);
	}
	tls_cache_prune(&tc, NOW + 50);
	ok(tc.n == TLS_CACHE_MAX_ENTRIES, "32 entries in all");
	for (i = 0, n = 0; i < tc.n; i++)
		n += tc.e[i].stored >= NOW + 8;
	ok(n == tc.n, "the oldest dropped first");
	/* A time from the future or a lifetime past seven days: not used. */
	tls_cache_free(&tc);
	mk_entry(&e, key_a, "a:25", NOW + 7200, 10, 0);
	tls_cache_add(&tc, &e);
	mk_entry(&e, key_a, "a:25", NOW, 10, 0);
	e.expires = NOW + 8 * 24 * 3600;
	tls_cache_add(&tc, &e);
	ok(tls_cache_find(&tc, key_a, NOW + 1) == -1,
	    "stored in the future or living too long: not used");
	tls_cache_free(&tc);
}

static void
key_of(char out[65], const char *host, unsigned port, int starttls,
    const struct conn_tls_cfg *cfg)
{
	tls_cache_key(out, host, port, starttls, cfg);
}

static void
test_key(void)
{
	struct conn_tls_cfg base = { 0 }, c;
	unsigned char pin[32] = { 1 }, pin2[32] = { 2 };
	char k0[65], k[65];
	struct timespec ts[2];

	write_file("ca.pem", "one CA\n", 7);
	write_file("ca2.pem", "one CA\n", 7);
	write_file("cert.pem", "cert\n", 5);
	base.cafile = path_of("ca.pem");
	key_of(k0, "mail.example.org", 587, 1, &base);
	ok(strlen(k0) == 64, "key: 64 hex digits");
	key_of(k, "MAIL.Example.ORG", 587, 1, &base);
	eq_str(k, k0, "key: host name case does not matter");
	key_of(k, "mail.example.org", 587, 1, &base);
	eq_str(k, k0, "key: the same settings, the same key");
	key_of(k, "smtp.example.org", 587, 1, &base);
	ok(strcmp(k, k0) != 0, "key: another host");
	key_of(k, "mail.example.org", 465, 1, &base);
	ok(strcmp(k, k0) != 0, "key: another port");
	key_of(k, "mail.example.org", 587, 0, &base);
	ok(strcmp(k, k0) != 0, "key: implicit TLS vs STARTTLS");
	c = base;
	c.insecure = 1;
	key_of(k, "mail.example.org", 587, 1, &c);
	ok(strcmp(k, k0) != 0, "key: insecure");
	c = base;
	c.pin_sha256 = pin;
	key_of(k, "mail.example.org", 587, 1, &c);
	ok(strcmp(k, k0) != 0, "key: a pin");
	{
		char kp[65];

		c.pin_sha256 = pin2;
		key_of(kp, "mail.example.org", 587, 1, &c);
		ok(strcmp(k, kp) != 0, "key: another pin");
	}
	c = base;
	c.cafile = path_of("ca2.pem");
	key_of(k, "mail.example.org", 587, 1, &c);
	ok(strcmp(k, k0) != 0, "key: another CA file, same contents");
	c = base;
	c.cafile = NULL;
	key_of(k, "mail.example.org", 587, 1, &c);
	ok(strcmp(k, k0) != 0, "key: the system store");
	c = base;
	c.cert_file = path_of("cert.pem");
	key_of(k, "mail.example.org", 587, 1, &c);
	ok(strcmp(k, k0) != 0, "key: a client certificate");
	c.key_file = path_of("cert.pem");
	{
		char kk[65];

		key_of(kk, "mail.example.org", 587, 1, &c);
		ok(strcmp(k, kk) != 0, "key: a client key");
	}
	/* The CA file changed in place (new contents, same name). */
	write_file("ca.pem", "two CA\n", 7);
	ts[0].tv_sec = ts[1].tv_sec = 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path_of("ca.pem"), ts, 0);
	key_of(k, "mail.example.org", 587, 1, &base);
	ok(strcmp(k, k0) != 0, "key: the CA file changed");
	unlink(path_of("ca.pem"));
	unlink(path_of("ca2.pem"));
	unlink(path_of("cert.pem"));
}

static enum tls_cache_status
read_status(const char *path, size_t *n, char *why, size_t cap)
{
	struct tls_cache tc;
	enum tls_cache_status st;

	tls_cache_init(&tc);
	st = tls_cache_read(path, &tc, why, cap);
	*n = tc.n;
	tls_cache_free(&tc);
	return st;
}

/* Files in `d` other than `keep`: temporary files left behind. */
static int
stray_files(const char *d, const char *keep)
{
	struct dirent *de;
	DIR *dp = opendir(d);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, keep) != 0)
			n++;
	closedir(dp);
	return n;
}

static void
test_files(void)
{
	struct tls_cache tc;
	struct tls_cache_entry e;
	struct stat st;
	char why[256], sub[256], path[300], link[300];
	size_t n;
	int fd;

	snprintf(sub, sizeof(sub), "%s/deep/smtpc", dir);
	snprintf(path, sizeof(path), "%s/tls-sessions", sub);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_OK && n == 0,
	    "no directory yet: an empty cache");

	tls_cache_init(&tc);
	mk_entry(&e, key_a, "a:25", NOW, 100, 50);
	tls_cache_add(&tc, &e);
	ok(tls_cache_write(path, &tc, why, sizeof(why)) == 0,
	    "write makes the directories");
	ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "directory made 0700");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "file made 0600");
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_OK && n == 1,
	    "read back");
	ok(tls_cache_write(path, &tc, why, sizeof(why)) == 0 &&
	    stray_files(sub, "tls-sessions") == 0,
	    "rewritten in place, no temporary file left");

	chmod(path, 0644);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_IGNORED &&
	    n == 0 && strstr(why, "others may read"),
	    "a file others may read: ignored");
	chmod(path, 0620);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_IGNORED,
	    "a file others may write: ignored");
	chmod(path, 0600);
	chmod(sub, 0777);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_UNSAFE &&
	    strstr(why, "directory"), "a directory others may write: unsafe");
	ok(tls_cache_write(path, &tc, why, sizeof(why)) != 0,
	    "... and never written to");
	chmod(sub, 0700);
	if (geteuid() == 0) {
		ok(chown(path, 65534, 65534) == 0 &&
		    read_status(path, &n, why, sizeof(why)) ==
		    TLS_CACHE_IGNORED && strstr(why, "another user"),
		    "a file of another user: ignored");
		ok(chown(path, 0, 0) == 0 && chown(sub, 65534, 65534) == 0 &&
		    read_status(path, &n, why, sizeof(why)) ==
		    TLS_CACHE_UNSAFE, "a directory of another user: unsafe");
		chown(sub, 0, 0);
	} else {
		tap_count += 2;
		printf("ok %d # skip not root\nok %d # skip not root\n",
		    tap_count - 1, tap_count);
	}
	/* A symbolic link is not followed. */
	snprintf(link, sizeof(link), "%s/elsewhere", sub);
	rename(path, link);
	symlink(link, path);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_IGNORED &&
	    strstr(why, "symbolic link"), "a symbolic link: ignored");
	ok(tls_cache_write(path, &tc, why, sizeof(why)) == 0 &&
	    lstat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "a save replaces the link itself");
	unlink(link);
	/* Damaged: ignored, then replaced by a save. */
	fd = open(path, O_WRONLY | O_TRUNC);
	write(fd, "smtpc-tls-sessions 1\ngarbage", 28);
	close(fd);
	ok(read_status(path, &n, why, sizeof(why)) == TLS_CACHE_IGNORED,
	    "damaged: ignored");
	ok(tls_cache_write(path, &tc, why, sizeof(why)) == 0 &&
	    read_status(path, &n, why, sizeof(why)) == TLS_CACHE_OK && n == 1,
	    "damaged: replaced by a save");
	unlink(path);
	tls_cache_free(&tc);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/deep", dir);
	rmdir(sub);
}

int
main(void)
{
	memset(key_a, 'a', 64);
	memset(key_b, 'b', 64);
	tmp_setup("tlscache");
	umask(022);
	test_format();
	test_bounds();
	test_key();
	test_files();
	rmdir(dir);
	return tap_done();
}
