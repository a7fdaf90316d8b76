/* SPDX-License-Identifier: ISC */
/*
 * fuzz_config.c - config_parse on arbitrary bytes, then everything the
 * program does with a parsed file: each account chosen by name and by a
 * `from` taken from the input, checked and printed.
 *
 * Properties: never crashes or leaks; a refusal is SMTPC_ECONFIG with
 * "fuzz:LINE: ..." naming a line of the input (or "fuzz: ..." for the
 * whole file); a parsed file has at most CONFIG_ACCOUNTS_MAX accounts with
 * distinct non-empty names without ',' or ':'; every origin and ignored
 * key names a line of the input; choosing an account by name gives that
 * account (or a refusal naming the line that asks for what smtpc lacks);
 * and, against a reference reading of the line syntax written here from
 * msmtp's manual, the values of host, user, password, passwordeval, from
 * and from_full_name are the text of the line their origin names.
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Line `n` (from 1) of the input, without its LF and one CR before it. */
static size_t
fuzz_line(const char *in, size_t len, unsigned n, const char **ret)
{
	const char *p = in, *end = in + len, *nl;
	size_t l;

	while (--n > 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(nl != NULL, "origin past the last line");
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	l = (size_t)((nl != NULL ? nl : end) - p);
	if (l > 0 && p[l - 1] == '\r')
		l--;
	*ret = p;
	return l;
}

static int
fuzz_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The reference: the key is the first word; the value the rest without
 * blanks around, then without one pair of enclosing double quotes.
 */
static void
fuzz_check_value(const char *in, size_t len, const struct config_account *a,
    enum config_key k, const char *got, int empty_unsets)
{
	const char *p, *key = config_key_name(k);
	size_t n, kl = strlen(key);

	if (a->origin[k].file == NULL)
		return;
	n = fuzz_line(in, len, a->origin[k].line, &p);
	while (n > 0 && fuzz_blank(*p))
		p++, n--;
	FUZZ_CHECK(n >= kl && memcmp(p, key, kl) == 0 &&
		(n == kl || fuzz_blank(p[kl])),
	    "%s: line %u is not a %s line", key, a->origin[k].line, key);
	p += kl;
	n -= kl;
	while (n > 0 && fuzz_blank(*p))
		p++, n--;
	while (n > 0 && fuzz_blank(p[n - 1]))
		n--;
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"')
		p++, n -= 2;
	if (n == 0 && empty_unsets) {
		FUZZ_CHECK(got == NULL, "%s: empty value kept", key);
		return;
	}
	FUZZ_CHECK(got != NULL && strlen(got) == n && memcmp(got, p, n) == 0,
	    "%s: value '%s' is not line %u's", key, got ? got : "(null)",
	    a->origin[k].line);
}

static void
fuzz_check_account(const char *in, size_t len, unsigned lines,
    const struct config *c, struct config_account *a)
{
	struct config_account *b;
	struct smtpc_error err;
	char *out = NULL;
	size_t n = 0;
	FILE *fp;
	int k;

	FUZZ_CHECK(a->name[0] != '\0' && strpbrk(a->name, ",:") == NULL,
	    "bad name '%s'", a->name);
	FUZZ_CHECK(
	    config_account(c, a->name) == a, "name '%s' not unique", a->name);
	for (k = 0; k < CONFIG_NKEYS; k++)
		FUZZ_CHECK(a->origin[k].file == NULL ||
			(strcmp(a->origin[k].file, "fuzz") == 0 &&
			    a->origin[k].line >= 1 &&
			    a->origin[k].line <= lines),
		    "origin of %s", config_key_name((enum config_key)k));
	fuzz_check_value(in, len, a, CONFIG_HOST, a->host, 0);
	fuzz_check_value(in, len, a, CONFIG_USER, a->user, 1);
	fuzz_check_value(in, len, a, CONFIG_PASSWORD, a->password, 1);
	fuzz_check_value(in, len, a, CONFIG_PASSWORDEVAL, a->passwordeval, 1);
	fuzz_check_value(in, len, a, CONFIG_FROM, a->from, 0);
	fuzz_check_value(
	    in, len, a, CONFIG_FROM_FULL_NAME, a->from_full_name, 0);

	if (config_select(c, a->name, NULL, &b, &err) == 0)
		FUZZ_CHECK(b == a, "chosen by name: another account");
	else
		FUZZ_CHECK(b == NULL && err.code == SMTPC_ECONFIG &&
			strncmp(err.message, "fuzz:", 5) == 0,
		    "refusal: %s", err.message);
	if (a->from != NULL) {
		memset(&err, 0, sizeof(err));
		(void)config_select(c, NULL, a->from, &b, &err);
		(void)config_from_matches(a->name, a->from);
	}
	if ((fp = open_memstream(&out, &n)) == NULL)
		abort();
	config_print(fp, a);
	fclose(fp);
	FUZZ_CHECK(a->password == NULL || a->password[0] == '\0' ||
		strstr(out, "password ****") != NULL,
	    "password not masked");
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	struct smtpc_error err;
	const struct config_ignored *ig;
	const char *in = (const char *)data;
	unsigned lines = 1;
	size_t i;
	char *end;
	unsigned long at;

	if (size > 65536)
		return 0;
	for (i = 0; i < size; i++)
		if (in[i] == '\n' && i + 1 < size)
			lines++;
	memset(&err, 0, sizeof(err));
	if (config_parse("fuzz", in, size, &c, NULL, &err) != 0) {
		FUZZ_CHECK(c == NULL && err.code == SMTPC_ECONFIG, "code %d",
		    err.code);
		FUZZ_CHECK(strncmp(err.message, "fuzz:", 5) == 0,
		    "message '%s'", err.message);
		if (err.message[5] != ' ') {
			at = strtoul(err.message + 5, &end, 10);
			FUZZ_CHECK(at >= 1 && at <= lines && *end == ':',
			    "line in '%s'", err.message);
		}
		return 0;
	}
	FUZZ_CHECK(config_account_count(c) <= CONFIG_ACCOUNTS_MAX, "%zu",
	    config_account_count(c));
	for (i = 0; i < config_account_count(c); i++)
		fuzz_check_account(in, size, lines, c, config_account_at(c, i));
	for (i = 0; i < config_ignored_count(c); i++) {
		ig = config_ignored_at(c, i);
		FUZZ_CHECK(ig->line >= 1 && ig->line <= lines, "ignored line");
	}
	config_free(c);
	return 0;
}
