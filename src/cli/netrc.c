/* SPDX-License-Identifier: ISC */
/*
 * netrc.c - read ~/.netrc (or $NETRC) for the server's login and password,
 * refusing, like BSD ftp, a password in a file others can read or change.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrc.h"

#define EX_NOINPUT_CODE 66
#define EX_OSERR_CODE 71
#define EX_CONFIG_CODE 78

struct netrc_lexer {
	const char *p, *end;
	size_t line;		/* of the current token */
	size_t len;
	char tok[NETRC_TOKEN_MAX + 1];
};

/* What the entry being read is to us. */
enum netrc_kind {
	NETRC_NONE,		/* before the first entry */
	NETRC_OTHER,		/* a machine entry for another host */
	NETRC_MACHINE,		/* a machine entry for our host */
	NETRC_DEFAULT
};

struct netrc_parse {
	const char *host, *user;
	enum netrc_kind kind;
	struct netrc_entry cur;		/* the entry being read */
	struct netrc_entry machine;	/* the chosen machine entry */
	struct netrc_entry def;		/* the chosen default entry */
	int have_machine, have_def;
};

void
netrc_entry_clear(struct netrc_entry *e)
{
	if (e->password != NULL) {
		explicit_bzero(e->password, strlen(e->password));
		free(e->password);
	}
	free(e->login);
	e->login = NULL;
	e->password = NULL;
}

static int
netrc_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* ASCII only: strcasecmp() would follow the locale. */
static int
netrc_host_eq(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return 0;
		if (ca == '\0')
			return 1;
	}
}

static int
netrc_fail(const struct netrc_lexer *lx, struct netrc_error *err,
    const char *why)
{
	err->line = lx->line;
	err->why = why;
	return -1;
}

static void
netrc_skip_space(struct netrc_lexer *lx)
{
	for (; lx->p < lx->end && netrc_is_space(*lx->p); lx->p++)
		if (*lx->p == '\n')
			lx->line++;
}

static int
netrc_put(struct netrc_lexer *lx, char c, struct netrc_error *err)
{
	/* A NUL would cut the token short where we hand it on as a string. */
	if (c == '\0')
		return netrc_fail(lx, err, "NUL byte");
	if (lx->len == NETRC_TOKEN_MAX)
		return netrc_fail(lx, err, "token longer than 4096 bytes");
	lx->tok[lx->len++] = c;
	return 0;
}

/*
 * A "..." token, escapes as curl reads them: \n \r \t, and a backslash
 * before any other character stands for that character.  A quote may not
 * span lines, so a missing one is caught on its own line.
 */
static int
netrc_quoted(struct netrc_lexer *lx, struct netrc_error *err)
{
	char c;

	for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
		c = *lx->p;
		if (c == '\n')
			break;
		if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] != '\n') {
			c = *++lx->p;
			if (c == 'n')
				c = '\n';
			else if (c == 'r')
				c = '\r';
			else if (c == 't')
				c = '\t';
		}
		if (netrc_put(lx, c, err) == -1)
			return -1;
	}
	if (lx->p == lx->end || *lx->p != '"')
		return netrc_fail(lx, err, "unterminated quote");
	lx->p++;
	return 1;
}

/* Returns 1 with the next token in lx->tok, 0 at the end, -1 malformed. */
static int
netrc_next(struct netrc_lexer *lx, struct netrc_error *err)
{
	int rc = 1;

	netrc_skip_space(lx);
	if (lx->p == lx->end)
		return 0;
	lx->len = 0;
	if (*lx->p == '"')
		rc = netrc_quoted(lx, err);
	else
		while (lx->p < lx->end && !netrc_is_space(*lx->p))
			if (netrc_put(lx, *lx->p++, err) == -1)
				return -1;
	lx->tok[lx->len] = '\0';
	return rc;
}

/*
 * The token a keyword needs after it; `why`, on the keyword's line, if the
 * file ends first.
 */
static int
netrc_value(struct netrc_lexer *lx, struct netrc_error *err, const char *why)
{
	size_t line = lx->line;
	int rc = netrc_next(lx, err);

	if (rc == 0) {
		err->line = line;
		err->why = why;
		return -1;
	}
	return rc == 1 ? 0 : -1;
}

/* A macro's body: the rest of its line, then lines up to an empty one. */
static void
netrc_skip_macro(struct netrc_lexer *lx)
{
	const char *nl;
	int first = 1;

	while (lx->p < lx->end) {
		nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
		if (!first && (nl == lx->p || (nl == lx->p + 1 &&
		    *lx->p == '\r'))) {
			lx->p = nl + 1;
			lx->line++;
			return;
		}
		first = 0;
		if (nl == NULL) {
			lx->p = lx->end;
			return;
		}
		lx->p = nl + 1;
		lx->line++;
	}
}

/* The entry being read may still be chosen: its values are worth a copy. */
static int
netrc_wanted(const struct netrc_parse *ps)
{
	return (ps->kind == NETRC_MACHINE && !ps->have_machine) ||
	    (ps->kind == NETRC_DEFAULT && !ps->have_def);
}

static int
netrc_store(char **slot, const struct netrc_lexer *lx)
{
	char *s = malloc(lx->len + 1);

	if (s == NULL)
		return -2;
	memcpy(s, lx->tok, lx->len + 1);
	if (*slot != NULL) {
		explicit_bzero(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = s;
	return 0;
}

static int
netrc_fits(const struct netrc_parse *ps)
{
	if (ps->user == NULL)
		return ps->cur.login != NULL;
	return ps->cur.login == NULL || strcmp(ps->cur.login, ps->user) == 0;
}

/* The entry being read has ended: keep it if it is the first that fits. */
static void
netrc_close(struct netrc_parse *ps)
{
	if (netrc_wanted(ps) && netrc_fits(ps)) {
		if (ps->kind == NETRC_MACHINE) {
			ps->machine = ps->cur;
			ps->have_machine = 1;
		} else {
			ps->def = ps->cur;
			ps->have_def = 1;
		}
		ps->cur.login = NULL;
		ps->cur.password = NULL;
	}
	netrc_entry_clear(&ps->cur);
	ps->kind = NETRC_NONE;
}

/* One keyword and what follows it.  Returns 0, -1 malformed or -2. */
static int
netrc_keyword(struct netrc_parse *ps, struct netrc_lexer *lx,
    struct netrc_error *err)
{
	char **slot = NULL;
	const char *why;

	if (strcmp(lx->tok, "machine") == 0) {
		netrc_close(ps);
		if (netrc_value(lx, err,
		    "\"machine\" without a host name") != 0)
			return -1;
		ps->kind = netrc_host_eq(lx->tok, ps->host) ? NETRC_MACHINE :
		    NETRC_OTHER;
		return 0;
	}
	if (strcmp(lx->tok, "default") == 0) {
		netrc_close(ps);
		ps->kind = NETRC_DEFAULT;
		return 0;
	}
	if (strcmp(lx->tok, "macdef") == 0) {
		if (netrc_value(lx, err, "\"macdef\" without a name") != 0)
			return -1;
		netrc_skip_macro(lx);
		return 0;
	}
	if (strcmp(lx->tok, "login") == 0) {
		slot = &ps->cur.login;
		why = "\"login\" without a name";
	} else if (strcmp(lx->tok, "password") == 0) {
		slot = &ps->cur.password;
		why = "\"password\" without a value";
	} else if (strcmp(lx->tok, "account") == 0) {
		why = "\"account\" without a value";
	} else {
		return 0;	/* unknown words are skipped, as curl does */
	}
	if (netrc_value(lx, err, why) != 0)
		return -1;
	if (slot == NULL || !netrc_wanted(ps))
		return 0;
	return netrc_store(slot, lx);
}

int
netrc_find(const char *text, size_t len, const char *host,
    const char *user, struct netrc_entry *e, struct netrc_error *err)
{
	struct netrc_lexer *lx;
	struct netrc_parse ps;
	int rc;

	e->login = NULL;
	e->password = NULL;
	/* 4 KiB of token is too much for the stack of a small function. */
	if ((lx = malloc(sizeof(*lx))) == NULL)
		return -2;
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->len = 0;
	memset(&ps, 0, sizeof(ps));
	ps.host = host;
	ps.user = user;
	while ((rc = netrc_next(lx, err)) == 1)
		if ((rc = netrc_keyword(&ps, lx, err)) != 0)
			break;
	netrc_close(&ps);
	explicit_bzero(lx, sizeof(*lx));
	free(lx);
	if (rc == 0 && ps.have_machine) {
		*e = ps.machine;
		ps.machine.login = ps.machine.password = NULL;
	} else if (rc == 0 && ps.have_def) {
		*e = ps.def;
		ps.def.login = ps.def.password = NULL;
	}
	netrc_entry_clear(&ps.machine);
	netrc_entry_clear(&ps.def);
	return rc;
}

/* $NETRC, or ~/.netrc; *ret NULL when there is no home to look in. */
int
netrc_path(char **ret)
{
	const char *env = getenv("NETRC"), *home;
	struct passwd *pw;
	size_t n;

	*ret = NULL;
	if (env != NULL && env[0] != '\0') {
		if ((*ret = strdup(env)) == NULL)
			return EX_OSERR_CODE;
		return 0;
	}
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			return 0;
		home = pw->pw_dir;
	}
	n = strlen(home) + sizeof("/.netrc");
	if ((*ret = malloc(n)) == NULL)
		return EX_OSERR_CODE;
	snprintf(*ret, n, "%s/.netrc", home);
	return 0;
}

/* Reads up to NETRC_FILE_MAX + 1 bytes: one more tells a file too long. */
static int
netrc_slurp(int fd, const char *path, char *buf, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len <= NETRC_FILE_MAX) {
		n = read(fd, buf + *len, NETRC_FILE_MAX + 1 - *len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr,
			    "smtpc: cannot read netrc file %s: %s\n", path,
			    strerror(errno));
			return EX_NOINPUT_CODE;
		}
		*len += (size_t)n;
	}
	if (*len > NETRC_FILE_MAX) {
		fprintf(stderr, "smtpc: netrc file %s is larger than 1 MiB\n",
		    path);
		return EX_CONFIG_CODE;
	}
	return 0;
}

static int
netrc_unreadable(const char *path, const char *why, int fd)
{
	fprintf(stderr, "smtpc: cannot read netrc file %s: %s\n", path, why);
	if (fd >= 0)
		close(fd);
	return EX_NOINPUT_CODE;
}

/*
 * The file's text into *text (NULL if there is no such file) and what
 * fstat() says of it.
 *
 * No O_NOFOLLOW: dotfiles are often symlinks into a managed directory, and
 * refusing those would push people to weaker sources.  What matters is
 * the file actually read, so its owner and mode come from fstat() on the
 * descriptor, never from the path.  O_NONBLOCK keeps a FIFO put there from
 * hanging the open; the S_ISREG check then refuses it.
 */
static int
netrc_read(const char *path, char **text, size_t *len, struct stat *st)
{
	char *buf;
	int fd, rc;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return netrc_unreadable(path, strerror(errno), -1);
	if (fstat(fd, st) != 0)
		return netrc_unreadable(path, strerror(errno), fd);
	if (!S_ISREG(st->st_mode))
		return netrc_unreadable(path, "not a regular file", fd);
	if ((buf = malloc(NETRC_FILE_MAX + 1)) == NULL) {
		close(fd);
		return EX_OSERR_CODE;
	}
	rc = netrc_slurp(fd, path, buf, len);
	close(fd);
	if (rc != 0) {
		explicit_bzero(buf, *len);
		free(buf);
		return rc;
	}
	*text = buf;
	return 0;
}

/* A password may only sit in a file that is ours and closed to others. */
static int
netrc_check_safe(const char *path, const struct stat *st)
{
	if (st->st_uid != getuid()) {
		fprintf(stderr, "smtpc: netrc file %s holds a password but "
		    "belongs to another user\n", path);
		return EX_CONFIG_CODE;
	}
	if ((st->st_mode & 077) != 0) {
		fprintf(stderr, "smtpc: netrc file %s holds a password others "
		    "can read or change; chmod 600 it\n", path);
		return EX_CONFIG_CODE;
	}
	return 0;
}

static int
netrc_parse_file(const char *path, const char *host, const char *user,
    struct netrc_entry *e)
{
	struct netrc_error err = { 0, NULL };
	struct stat st;
	char *text;
	size_t len;
	int rc;

	if ((rc = netrc_read(path, &text, &len, &st)) != 0 || text == NULL)
		return rc;
	rc = netrc_find(text, len, host, user, e, &err);
	explicit_bzero(text, len);
	free(text);
	if (rc == -2)
		return EX_OSERR_CODE;
	if (rc == -1) {
		fprintf(stderr, "smtpc: netrc file %s, line %zu: %s\n", path,
		    err.line, err.why);
		return EX_CONFIG_CODE;
	}
	if (e->password != NULL && (rc = netrc_check_safe(path, &st)) != 0)
		netrc_entry_clear(e);
	return rc;
}

int
netrc_lookup(const char *host, const char *user, struct netrc_entry *e)
{
	char *path;
	int rc;

	e->login = NULL;
	e->password = NULL;
	if ((rc = netrc_path(&path)) != 0 || path == NULL)
		return rc;
	rc = netrc_parse_file(path, host, user, e);
	free(path);
	return rc;
}
