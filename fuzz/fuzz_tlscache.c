/* SPDX-License-Identifier: ISC */
/*
 * fuzz_tlscache.c - the TLS session cache file's parser (tls_cache.c).
 *
 * Each input is parsed twice: as it is (a whole file, checksum and all),
 * and as the lines of a file whose header and checksum line are made
 * right around it, so the entry parser behind the checksum is reached.
 * Properties: never crashes; a refusal leaves the cache empty with a
 * reason; an accepted file has at most TLS_CACHE_MAX_ENTRIES entries,
 * each within its bounds (key of 64 hex digits, printable peer, session
 * and chain sizes); formatting it and parsing that gives the same
 * entries; pruning and finding stay within the entries and bounds.
 */
#include <openssl/evp.h>

#include "buf.h"
#include "fuzz.h"
#include "tls_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_entries(const struct tls_cache *tc)
{
	const struct tls_cache_entry *e;
	size_t i, k;

	FUZZ_CHECK(tc->n <= TLS_CACHE_MAX_ENTRIES, "%zu entries", tc->n);
	for (i = 0; i < tc->n; i++) {
		e = &tc->e[i];
		FUZZ_CHECK(strlen(e->key) == 64, "key length %zu",
		    strlen(e->key));
		for (k = 0; k < 64; k++)
			FUZZ_CHECK(strchr("0123456789abcdef", e->key[k]) !=
			    NULL, "key byte %02x", (unsigned char)e->key[k]);
		FUZZ_CHECK(e->peer[0] != '\0', "empty peer");
		for (k = 0; e->peer[k] != '\0'; k++)
			FUZZ_CHECK(e->peer[k] > ' ' && e->peer[k] <= '~',
			    "peer byte %02x", (unsigned char)e->peer[k]);
		FUZZ_CHECK(e->session != NULL && e->session_len > 0 &&
		    e->session_len <= TLS_CACHE_MAX_SESSION,
		    "session of %zu bytes", e->session_len);
		FUZZ_CHECK(e->chain_len <= TLS_CACHE_MAX_CHAIN &&
		    (e->chain_len == 0) == (e->chain == NULL),
		    "chain of %zu bytes", e->chain_len);
		FUZZ_CHECK(e->stored >= 0 && e->expires >= 0, "negative time");
	}
}

static int
fuzz_same(const struct tls_cache *a, const struct tls_cache *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct tls_cache_entry *x = &a->e[i], *y = &b->e[i];

		if (x->stored != y->stored || x->expires != y->expires ||
		    strcmp(x->key, y->key) != 0 ||
		    strcmp(x->peer, y->peer) != 0 ||
		    x->session_len != y->session_len ||
		    memcmp(x->session, y->session, x->session_len) != 0 ||
		    x->chain_len != y->chain_len ||
		    (x->chain_len > 0 &&
		    memcmp(x->chain, y->chain, x->chain_len) != 0))
			return 0;
	}
	return 1;
}

static void
fuzz_one(const void *data, size_t len, int64_t now)
{
	struct tls_cache tc, back;
	struct buf out;
	const char *why = NULL;
	size_t before;
	int i;

	tls_cache_init(&tc);
	if (tls_cache_parse(&tc, data, len, &why) != 0) {
		FUZZ_CHECK(tc.n == 0 && why != NULL && why[0] != '\0',
		    "a refusal without a reason or with entries left");
		return;
	}
	fuzz_check_entries(&tc);

	buf_init(&out, TLS_CACHE_MAX_FILE * 2);
	FUZZ_CHECK(tls_cache_format(&tc, &out) == 0, "format failed");
	tls_cache_init(&back);
	FUZZ_CHECK(tls_cache_parse(&back, out.data, out.len, &why) == 0,
	    "its own output refused: %s", why);
	FUZZ_CHECK(fuzz_same(&tc, &back), "round trip changed the entries");
	tls_cache_free(&back);
	buf_free(&out);

	if (tc.n > 0) {
		i = tls_cache_find(&tc, tc.e[0].key, now);
		FUZZ_CHECK(i >= -1 && i < (int)tc.n, "find gave %d", i);
	}
	before = tc.n;
	tls_cache_prune(&tc, now);
	FUZZ_CHECK(tc.n <= before, "prune added entries");
	fuzz_check_entries(&tc);
	tls_cache_free(&tc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "smtpc-tls-sessions 1\n";
	unsigned char md[32];
	unsigned int n = 0;
	struct buf file;
	int64_t now = 1700000000;
	int k;

	if (size > TLS_CACHE_MAX_FILE + 64)
		return 0;
	fuzz_one(data, size, now);

	/* The same bytes as entry lines, in a file with a valid checksum. */
	buf_init(&file, TLS_CACHE_MAX_FILE * 2);
	buf_append_str(&file, head);
	buf_append(&file, data, size);
	if (size > 0 && data[size - 1] != '\n')
		buf_append_byte(&file, '\n');
	EVP_Digest(file.data, file.len, md, &n, EVP_sha256(), NULL);
	buf_append_str(&file, "end ");
	for (k = 0; k < 32; k++)
		buf_printf(&file, "%02x", md[k]);
	buf_append_byte(&file, '\n');
	fuzz_one(file.data, file.len, now);
	buf_free(&file);
	return 0;
}
