/* SPDX-License-Identifier: ISC */
/*
 * config.c - read an msmtp-syntax configuration file into accounts: the
 * line syntax, sections and inheritance, the file search order, msmtp's
 * permission rule for files holding a password, and the choice of an
 * account.  What each key means is config_keys.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_keys.h"

struct config {
	char *path;
	struct config_account **acct;
	size_t nacct, capacct;
	struct config_ignored *ign;
	size_t nign, capign;
};

/*
 * [*s, *s + *n) without blanks around, then without a pair of enclosing
 * double quotes (msmtp's trim_string).
 */
static void
config_trim(const char **s, size_t *n)
{
	while (*n > 0 && config_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && config_blank((*s)[*n - 1]))
		(*n)--;
	if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') {
		(*s)++;
		*n -= 2;
	}
}

static void
config_account_free(struct config_account *a)
{
	if (a != NULL) {
		config_key_clear(a);
		free(a);
	}
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nacct; i++)
		config_account_free(c->acct[i]);
	free(c->acct);
	free(c->ign);
	free(c->path);
	free(c);
}

const char *
config_path(const struct config *c)
{
	return c->path;
}

size_t
config_account_count(const struct config *c)
{
	return c == NULL ? 0 : c->nacct;
}

struct config_account *
config_account_at(const struct config *c, size_t i)
{
	return c != NULL && i < c->nacct ? c->acct[i] : NULL;
}

struct config_account *
config_account(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nacct; i++)
		if (strcmp(c->acct[i]->name, name) == 0)
			return c->acct[i];
	return NULL;
}

size_t
config_ignored_count(const struct config *c)
{
	return c == NULL ? 0 : c->nign;
}

const struct config_ignored *
config_ignored_at(const struct config *c, size_t i)
{
	return c != NULL && i < c->nign ? &c->ign[i] : NULL;
}

static int
config_note_ignored(
    struct config *c, const struct config_ctx *cx, const char *key)
{
	struct config_ignored *p;
	size_t cap;

	if (c->nign == c->capign) {
		cap = c->capign == 0 ? 8 : c->capign * 2;
		if ((p = realloc(c->ign, cap * sizeof(*p))) == NULL)
			return config_nomem(cx->err);
		c->ign = p;
		c->capign = cap;
	}
	c->ign[c->nign].key = key;
	c->ign[c->nign].file = cx->file;
	c->ign[c->nign].line = cx->line;
	c->nign++;
	return 0;
}

/* The parse in progress. */
struct config_parser {
	struct config *c;
	struct config_account defaults;
	struct config_account *cur; /* NULL before the first section */
	struct config_ctx cx;
	int has_password;
};

/*
 * A new account `name` (len n) starting from the defaults as they are
 * now; appended to the config.
 */
static int
config_new_account(struct config_parser *ps, const char *name, size_t n,
    struct config_account **ret)
{
	struct config *c = ps->c;
	struct config_account *a, **p;
	enum config_key k;
	size_t cap;

	if (c->nacct == CONFIG_ACCOUNTS_MAX)
		return config_failx(
		    &ps->cx, "more than %d accounts", CONFIG_ACCOUNTS_MAX);
	if (c->nacct == c->capacct) {
		cap = c->capacct == 0 ? 8 : c->capacct * 2;
		if ((p = realloc(c->acct, cap * sizeof(*p))) == NULL)
			return config_nomem(ps->cx.err);
		c->acct = p;
		c->capacct = cap;
	}
	if ((a = malloc(sizeof(*a))) == NULL)
		return config_nomem(ps->cx.err);
	config_key_init(a);
	if ((a->name = strndup(name, n)) == NULL) {
		free(a);
		return config_nomem(ps->cx.err);
	}
	c->acct[c->nacct++] = a;
	for (k = 0; k < CONFIG_NKEYS; k++)
		if (config_key_copy(a, &ps->defaults, k) != 0)
			return config_nomem(ps->cx.err);
	/*
	 * msmtp falls back to the system's CAs when the account itself did
	 * not set tls_trust_file, so an empty one in defaults means "system".
	 */
	if (a->tls_trust_file != NULL && a->tls_trust_file[0] == '\0') {
		free(a->tls_trust_file);
		a->tls_trust_file = NULL;
		a->origin[CONFIG_TLS_TRUST_FILE].file = NULL;
		a->origin[CONFIG_TLS_TRUST_FILE].line = 0;
	}
	*ret = a;
	return 0;
}

/* Take what `parent` set, as msmtp's override_account() does. */
static int
config_inherit(struct config_parser *ps, struct config_account *a,
    const struct config_account *parent)
{
	enum config_key k;

	for (k = 0; k < CONFIG_NKEYS; k++)
		if ((parent->own & (1ULL << k)) != 0 &&
		    config_key_copy(a, parent, k) != 0)
			return config_nomem(ps->cx.err);
	a->own |= parent->own;
	return 0;
}

/*
 * "account NAME [: PARENT[, PARENT...]]".  As msmtp does, the parents are
 * checked first and each name loses its blanks and enclosing quotes.
 */
static int
config_account_line(struct config_parser *ps, const char *v)
{
	const struct config_account *parents[64];
	struct config_account *a, *par;
	const char *colon = strchr(v, ':'), *p, *comma, *name = v;
	size_t np = 0, n, nlen = strlen(v), i;
	char *s;
	int rc;

	for (p = colon != NULL ? colon + 1 : NULL; p != NULL;
	     p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		config_trim(&p, &n);
		if (n == 0)
			return config_failx(&ps->cx, "missing account name");
		if ((s = strndup(p, n)) == NULL)
			return config_nomem(ps->cx.err);
		par = config_account(ps->c, s);
		free(s);
		if (par == NULL)
			return config_failx(&ps->cx,
			    "account '%.*s' is not defined (yet)",
			    (int)(n > 64 ? 64 : n), p);
		/* Our bound (msmtp has none); no real file comes near it. */
		if (np == sizeof(parents) / sizeof(parents[0]))
			return config_failx(&ps->cx, "more than 64 parents");
		parents[np++] = par;
	}
	if (colon != NULL) {
		nlen = (size_t)(colon - v);
		config_trim(&name, &nlen);
	}
	if (nlen == 0)
		return config_failx(&ps->cx, "missing account name");
	if (memchr(name, ':', nlen) != NULL || memchr(name, ',', nlen) != NULL)
		return config_failx(&ps->cx,
		    "an account name must not contain colons or commas");
	for (i = 0; i < ps->c->nacct; i++)
		if (strlen(ps->c->acct[i]->name) == nlen &&
		    memcmp(ps->c->acct[i]->name, name, nlen) == 0)
			return config_failx(&ps->cx,
			    "account '%.*s' is already defined",
			    (int)(nlen > 64 ? 64 : nlen), name);
	if ((rc = config_new_account(ps, name, nlen, &a)) != 0)
		return rc;
	for (i = 0; i < np; i++)
		if ((rc = config_inherit(ps, a, parents[i])) != 0)
			return rc;
	ps->cur = a;
	return 0;
}

/* One "KEY VALUE" line of a file, or config_set()'s pair. */
static int
config_setting(struct config_parser *ps, const struct config_ctx *cx,
    struct config_account *a, const char *key, size_t klen, const char *v)
{
	const struct config_keydef *kd = config_key_find(key, klen);

	if (kd == NULL)
		return config_failx(cx, "unknown key '%.*s'",
		    (int)(klen > 64 ? 64 : klen), key);
	if (kd->parse == NULL)
		return ps != NULL ? config_note_ignored(ps->c, cx, kd->name)
				  : 0;
	if (kd->key == CONFIG_PASSWORD && ps != NULL)
		ps->has_password = 1;
	return kd->parse(cx, a, kd->key, v);
}

/* A NUL would cut a value short; other controls have no place here. */
static int
config_check_bytes(const struct config_ctx *cx, const char *s, size_t n)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\0')
			return config_failx(cx, "NUL byte");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return config_failx(cx, "control character 0x%02x", ch);
	}
	return 0;
}

static int
config_line(struct config_parser *ps, const char *s, size_t n, char *vbuf)
{
	const char *key, *v;
	size_t klen, vlen;
	int rc;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > CONFIG_LINE_MAX)
		return config_failx(
		    &ps->cx, "line longer than %d bytes", CONFIG_LINE_MAX);
	if ((rc = config_check_bytes(&ps->cx, s, n)) != 0)
		return rc;
	while (n > 0 && config_blank(*s)) {
		s++;
		n--;
	}
	if (n == 0 || *s == '#')
		return 0;
	key = s;
	for (klen = 0; klen < n && !config_blank(key[klen]); klen++)
		;
	v = key + klen;
	vlen = n - klen;
	config_trim(&v, &vlen);
	memcpy(vbuf, v, vlen);
	vbuf[vlen] = '\0';

	if (klen == 8 && memcmp(key, "defaults", 8) == 0) {
		if (vlen != 0)
			return config_failx(&ps->cx, "defaults takes no value");
		ps->cur = &ps->defaults;
		return 0;
	}
	if (klen == 7 && memcmp(key, "account", 7) == 0)
		return config_account_line(ps, vbuf);
	if (klen == 4 && memcmp(key, "eval", 4) == 0)
		return config_failx(&ps->cx,
		    "eval is not supported: it would run a command while the "
		    "file is read (passwordeval runs one when the password is "
		    "needed)");
	/* msmtp 1.2: settings before any section make account "default". */
	if (ps->cur == NULL &&
	    (rc = config_new_account(ps, "default", 7, &ps->cur)) != 0)
		return rc;
	return config_setting(ps, &ps->cx, ps->cur, key, klen, vbuf);
}

int
config_parse(const char *path, const char *text, size_t len,
    struct config **ret, int *has_password, struct smtpc_error *err)
{
	struct config_parser ps;
	const char *p = text, *end = text + len, *nl;
	char *vbuf = NULL;
	int rc = 0;

	*ret = NULL;
	if (has_password != NULL)
		*has_password = 0;
	if (len > CONFIG_FILE_MAX)
		return config_fail(
		    err, path, 0, "larger than %d bytes", CONFIG_FILE_MAX);
	memset(&ps, 0, sizeof(ps));
	config_key_init(&ps.defaults);
	if ((ps.c = calloc(1, sizeof(*ps.c))) == NULL ||
	    (ps.c->path = strdup(path)) == NULL ||
	    (vbuf = malloc(CONFIG_LINE_MAX + 1)) == NULL) {
		config_free(ps.c);
		free(vbuf);
		return config_nomem(err);
	}
	ps.cx.file = ps.c->path;
	ps.cx.err = err;
	while (p < end) {
		ps.cx.line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((rc = config_line(
			 &ps, p, (nl != NULL ? nl : end) - p, vbuf)) != 0)
			break;
		p = nl != NULL ? nl + 1 : end;
	}
	explicit_bzero(vbuf, CONFIG_LINE_MAX + 1);
	free(vbuf);
	config_key_clear(&ps.defaults);
	if (rc != 0) {
		config_free(ps.c);
		return rc;
	}
	if (has_password != NULL)
		*has_password = ps.has_password;
	*ret = ps.c;
	return 0;
}

/* Reads up to CONFIG_FILE_MAX + 1 bytes: one more tells a file too big. */
static int
config_slurp(
    int fd, const char *path, char *buf, size_t *len, struct smtpc_error *err)
{
	ssize_t n;

	*len = 0;
	while (*len <= CONFIG_FILE_MAX) {
		n = read(fd, buf + *len, CONFIG_FILE_MAX + 1 - *len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return config_fail(
			    err, path, 0, "cannot read: %s", strerror(errno));
		*len += (size_t)n;
	}
	if (*len > CONFIG_FILE_MAX)
		return config_fail(
		    err, path, 0, "larger than %d bytes", CONFIG_FILE_MAX);
	return 0;
}

/*
 * msmtp's rule for a file with a password (its check_secure()): ours, and
 * no permission beyond the owner's read and write.  Checked on the file
 * read (fstat), not on a path that may have changed since.
 */
static int
config_check_private(
    const char *path, const struct stat *st, struct smtpc_error *err)
{
	if (st->st_uid != geteuid())
		return config_fail(err, path, 0,
		    "holds a password but belongs to another user; it must be "
		    "yours, with chmod 600");
	if ((st->st_mode & (S_IXUSR | S_IRWXG | S_IRWXO)) != 0)
		return config_fail(err, path, 0,
		    "holds a password but its mode is %04o; only you may read "
		    "it: chmod 600 %s",
		    (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int
config_load(
    const char *path, int system, struct config **ret, struct smtpc_error *err)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd, rc, has_password;

	*ret = NULL;
	/*
	 * O_NONBLOCK: a FIFO put there must not hang the open; the S_ISREG
	 * check then refuses it.  Symlinks are followed: dotfiles often
	 * are ones, and the checks apply to the file actually read.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return config_fail(
		    err, path, 0, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = config_fail(
		    err, path, 0, "cannot read: %s", strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return config_fail(err, path, 0, "not a regular file");
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		close(fd);
		return config_nomem(err);
	}
	rc = config_slurp(fd, path, buf, &len, err);
	close(fd);
	if (rc == 0)
		rc = config_parse(path, buf, len, ret, &has_password, err);
	explicit_bzero(buf, len);
	free(buf);
	if (rc == 0 && has_password && !system && geteuid() != 0 &&
	    (rc = config_check_private(path, &st, err)) != 0) {
		config_free(*ret);
		*ret = NULL;
	}
	return rc;
}

/* "DIR/NAME" malloc'ed into *ret; 0 or SMTPC_ENOMEM. */
static int
config_join(const char *dir, const char *name, char **ret)
{
	size_t n = strlen(dir) + strlen(name) + 2;

	if ((*ret = malloc(n)) == NULL)
		return SMTPC_ENOMEM;
	snprintf(*ret, n, "%s/%s", dir, name);
	return 0;
}

/*
 * $XDG_CONFIG_HOME/NAME, or ~/.config/NAME when it is unset or empty (the
 * XDG spec's rule; msmtp takes an empty one as it is); NULL without a home.
 */
static int
config_xdg(const char *home, const char *name, char **ret)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *dir;
	int rc;

	*ret = NULL;
	if (xdg != NULL && xdg[0] != '\0')
		return config_join(xdg, name, ret);
	if (home == NULL)
		return 0;
	if (config_join(home, ".config", &dir) != 0)
		return SMTPC_ENOMEM;
	rc = config_join(dir, name, ret);
	free(dir);
	return rc;
}

/*
 * There, as far as we can tell: a file we may not stat for another reason
 * (a loop, an I/O error) is still the one meant, and loading it will say
 * why it cannot be read.  One in a directory we may not search is not:
 * as msmtp skips a user file it cannot open, a HOME left pointing at
 * another user's (sudo, a daemon's cron job) means no file.
 */
static int
config_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ||
	    (errno != ENOENT && errno != ENOTDIR && errno != EACCES);
}

int
config_find(const char *explicit, char **ret, struct smtpc_error *err)
{
	const char *home;
	char *cand[4] = {NULL, NULL, NULL, NULL};
	size_t i;
	int rc = 0;

	*ret = NULL;
	if (explicit != NULL)
		return (*ret = strdup(explicit)) == NULL ? config_nomem(err)
							 : 0;
	home = config_home();
	if (config_xdg(home, "smtpc/config", &cand[0]) != 0 ||
	    (home != NULL && config_join(home, ".msmtprc", &cand[1]) != 0) ||
	    config_xdg(home, "msmtp/config", &cand[2]) != 0 ||
	    (cand[3] = strdup(CONFIG_SYSTEM_FILE)) == NULL)
		rc = config_nomem(err);
	for (i = 0; i < 4; i++) {
		if (rc == 0 && *ret == NULL && cand[i] != NULL &&
		    config_exists(cand[i]))
			*ret = cand[i];
		else
			free(cand[i]);
	}
	return rc;
}

int
config_open(const char *explicit, struct config **ret, struct smtpc_error *err)
{
	char *path;
	int rc;

	*ret = NULL;
	if ((rc = config_find(explicit, &path, err)) != 0 || path == NULL)
		return rc;
	rc = config_load(path,
	    explicit == NULL && strcmp(path, CONFIG_SYSTEM_FILE) == 0, ret,
	    err);
	free(path);
	return rc;
}

/* (msmtp also takes an fnmatch() error for a match; here it is none.) */
static int
config_from_match1(const char *address, const char *pattern)
{
	if (strpbrk(pattern, "?*[") != NULL)
		return fnmatch(pattern, address, 0) == 0;
	/* As msmtp; ASCII letters only, since smtpc keeps the C locale. */
	return strcasecmp(address, pattern) == 0;
}

/*
 * msmtp's subaddress rule drops "+detail" from "user+detail@domain".
 * (msmtp also cuts at a '+' after the '@', giving a string no sane
 * pattern matches; only a '+' in the local part counts here.)
 */
int
config_from_matches(const char *address, const char *pattern)
{
	const char *plus = strchr(address, '+'), *at = strchr(address, '@');
	char *bare;
	size_t n;
	int m;

	if (config_from_match1(address, pattern))
		return 1;
	if (plus == NULL || at == NULL || plus > at ||
	    strchr(pattern, '+') != NULL)
		return 0;
	n = strlen(address);
	if ((bare = malloc(n + 1)) == NULL)
		return 0; /* out of memory: no match, the default is used */
	memcpy(bare, address, (size_t)(plus - address));
	memcpy(bare + (plus - address), at, n - (size_t)(at - address) + 1);
	m = config_from_match1(bare, pattern);
	free(bare);
	return m;
}

/* "a, b, c" into buf, cut with "..." when it does not fit. */
static void
config_names(const struct config *c, char *buf, size_t cap)
{
	size_t i, n = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < c->nacct; i++) {
		w = snprintf(buf + n, cap - n, "%s%s", i > 0 ? ", " : "",
		    c->acct[i]->name);
		if (w < 0 || (size_t)w >= cap - n) {
			memcpy(buf + cap - 4, "...", 4);
			return;
		}
		n += (size_t)w;
	}
}

int
config_select(const struct config *c, const char *name,
    const char *envelope_from, struct config_account **ret,
    struct smtpc_error *err)
{
	struct config_account *a = NULL;
	char names[200];
	size_t i;

	*ret = NULL;
	if (name != NULL) {
		if (c == NULL)
			return config_fail(err, NULL, 0,
			    "account '%.64s' not found: no configuration file",
			    name);
		if ((a = config_account(c, name)) == NULL) {
			if (c->nacct == 0)
				return config_fail(err, c->path, 0,
				    "no account '%.64s' (the file defines "
				    "none)",
				    name);
			config_names(c, names, sizeof(names));
			return config_fail(err, c->path, 0,
			    "no account '%.64s' (known: %s)", name, names);
		}
	}
	for (i = 0;
	     a == NULL && envelope_from != NULL && c != NULL && i < c->nacct;
	     i++)
		if (c->acct[i]->from != NULL &&
		    config_from_matches(envelope_from, c->acct[i]->from))
			a = c->acct[i];
	if (a == NULL)
		a = config_account(c, "default");
	if (a == NULL)
		return 0;
	if (config_account_check(a, err) != 0)
		return SMTPC_ECONFIG;
	*ret = a;
	return 0;
}

int
config_set(struct config_account *a, const char *key, const char *value,
    const char *label, struct smtpc_error *err)
{
	struct config_ctx cx = {label, 0, err};
	int rc;

	if ((rc = config_check_bytes(&cx, value, strlen(value))) != 0)
		return rc;
	return config_setting(NULL, &cx, a, key, strlen(key), value);
}

enum smtpc_tls_mode
config_tls_mode(const struct config_account *a)
{
	if (!a->tls)
		return SMTPC_TLS_NONE;
	return a->tls_starttls ? SMTPC_TLS_STARTTLS : SMTPC_TLS_IMPLICIT;
}

unsigned
config_port(const struct config_account *a)
{
	if (a->port != 0)
		return a->port;
	return a->tls && !a->tls_starttls ? 465 : 25;
}
