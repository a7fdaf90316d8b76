/* SPDX-License-Identifier: ISC */
/* Unit tests for the CLI's netrc reader (src/cli/netrc.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrc.h"
#include "tap.h"
#include "tmpfiles.h"

/* NULL is a value here: "no login", "no password". */
static int
same(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

/* Parse `text` for host and user; expect rc, login and password. */
static void
expect(const char *text, const char *host, const char *user, int rc,
    const char *login, const char *password, const char *what)
{
	struct netrc_entry e;
	struct netrc_error err = { 0, NULL };
	int got = netrc_find(text, strlen(text), host, user, &e, &err);

	if (!ok(got == rc && same(e.login, login) &&
	    same(e.password, password), what))
		printf("# rc %d login %s password %s why %s\n", got,
		    e.login ? e.login : "(none)",
		    e.password ? e.password : "(none)",
		    err.why ? err.why : "(none)");
	netrc_entry_clear(&e);
}

/* A malformed text: refused, on `line`, with both results NULL. */
#define expect_bad(text, line, what) \
	expect_bad_len((text), strlen(text), (line), (what))

static void
expect_bad_len(const char *text, size_t len, size_t line, const char *what)
{
	struct netrc_entry e;
	struct netrc_error err = { 0, NULL };
	int got = netrc_find(text, len, "h", NULL, &e, &err);

	if (!ok(got == -1 && err.line == line && err.why != NULL &&
	    e.login == NULL && e.password == NULL, what))
		printf("# rc %d line %zu why %s\n", got, err.line,
		    err.why ? err.why : "(none)");
	netrc_entry_clear(&e);
}

static void
test_basic(void)
{
	const char *three = "machine a login la password pa\n"
	    "machine b login lb password pb\n"
	    "machine c login lc password pc\n";

	expect("machine mail.example.org login alice password s3cret\n",
	    "mail.example.org", NULL, 0, "alice", "s3cret", "one entry");
	expect("machine\tm\n\n  login\n a   password\tp", "m", NULL, 0, "a",
	    "p", "tokens split by any whitespace, no final newline");
	expect(three, "b", NULL, 0, "lb", "pb", "second of three machines");
	expect(three, "c", NULL, 0, "lc", "pc", "last of three machines");
	expect(three, "d", NULL, 0, NULL, NULL, "no entry for the host");
	expect("", "h", NULL, 0, NULL, NULL, "empty text");
	expect(" \n\t\n", "h", NULL, 0, NULL, NULL, "blank text");
	expect("machine h\r\nlogin a\r\npassword p\r\n", "h", NULL, 0, "a",
	    "p", "CRLF lines: no CR in the values");
	expect("machine h login bob\n", "h", NULL, 0, "bob", NULL,
	    "entry without a password");
	expect("machine h login a password p1 password p2\n", "h", NULL, 0,
	    "a", "p2", "the last password of an entry counts");
	expect("machine h account acct login a password p\n", "h", NULL, 0,
	    "a", "p", "account is skipped");
	expect("machine h login machine password default\n", "h", NULL, 0,
	    "machine", "default", "keyword-like values are values");
	expect("login x password y\nmachine h login a password p\n", "h",
	    NULL, 0, "a", "p", "words before the first entry are no entry");
	expect("login x password y\nmachine h login a password p\n", "z",
	    NULL, 0, NULL, NULL, "words before the first entry match nothing");
	expect("machine h port 25 login a password p\n", "h", NULL, 0, "a",
	    "p", "unknown words are skipped");
}

static void
test_host(void)
{
	const char *t = "machine Mail.Example.ORG login a password p\n";

	expect(t, "mail.example.org", NULL, 0, "a", "p",
	    "host matches whatever the case");
	expect(t, "mail.example.or", NULL, 0, NULL, NULL,
	    "a prefix of the host does not match");
	expect(t, "mail.example.org.evil", NULL, 0, NULL, NULL,
	    "a longer host does not match");
	expect("machine *.example.org login a password p\n", "x.example.org",
	    NULL, 0, NULL, NULL, "no wildcards");
}

static void
test_default(void)
{
	expect("machine a login la password pa\ndefault login ld password pd\n",
	    "z", NULL, 0, "ld", "pd", "default for an unknown host");
	expect("machine a login la password pa\ndefault login ld password pd\n",
	    "a", NULL, 0, "la", "pa", "machine before default wins");
	expect("default login ld password pd\nmachine a login la password pa\n",
	    "a", NULL, 0, "la", "pa", "machine after default still wins");
	expect("machine h login bob password pb\n"
	    "default login alice password pd\n", "h", "alice", 0, "alice",
	    "pd", "default when no machine entry fits the user");
	expect("default login d1 password p1\ndefault login d2 password p2\n",
	    "h", NULL, 0, "d1", "p1", "the first default wins");
	expect("machine h login a password p1\nmachine h login a password "
	    "p2\n", "h", "a", 0, "a", "p1", "the first machine entry wins");
	expect("default password pd\n", "h", NULL, 0, NULL, NULL,
	    "default without a login gives no login");
	expect("default password pd\n", "h", "u", 0, NULL, "pd",
	    "default without a login serves any user");
}

static void
test_user(void)
{
	const char *t = "machine h login bob password pb\n"
	    "machine h password pany\n"
	    "machine h login alice password pa\n";
	const char *t2 = "machine h login bob password pb\n"
	    "machine h login alice password pa\n";

	expect(t, "h", NULL, 0, "bob", "pb", "no user: first with a login");
	expect(t, "h", "bob", 0, "bob", "pb", "user's own entry");
	expect(t, "h", "alice", 0, NULL, "pany",
	    "an earlier entry without a login serves any user");
	expect(t2, "h", "alice", 0, "alice", "pa", "second entry by login");
	expect(t2, "h", "carol", 0, NULL, NULL, "no entry for another user");
	expect(t2, "h", "Alice", 0, NULL, NULL, "logins are case-sensitive");
	expect("machine h password p\nmachine h login a password q\n", "h",
	    NULL, 0, "a", "q", "no user: an entry without login is passed");
}

static void
test_macdef(void)
{
	expect("machine a login la\nmacdef init\nmachine evil login x "
	    "password y\n\npassword pa\n", "a", NULL, 0, "la", "pa",
	    "macdef body skipped, entry goes on after the empty line");
	expect("machine a login la\nmacdef init\nmachine evil login x "
	    "password y\n\npassword pa\n", "evil", NULL, 0, NULL, NULL,
	    "no entry from inside a macro");
	expect("machine a login la macdef m cd /\nmachine b\n\n"
	    "machine b login lb password pb\n", "b", NULL, 0, "lb", "pb",
	    "macro body starts on the next line");
	expect("machine a login la password pa\nmacdef m\nquit\n", "a", NULL,
	    0, "la", "pa", "macro up to the end of the text");
	expect("machine a login la\nmacdef m\nx\n\r\npassword pa\n", "a",
	    NULL, 0, "la", "pa", "a CRLF empty line ends the macro");
	expect("machine a login la\nmacdef m\n \nmachine a password x\n", "a",
	    NULL, 0, "la", NULL, "a blank line is not an empty one");
}

static void
test_quotes(void)
{
	expect("machine h login \"al ice\" password \"p\\\"w\\\\d #x\"\n",
	    "h", NULL, 0, "al ice", "p\"w\\d #x", "quoted tokens, \\\" \\\\");
	expect("machine h login a password \"x\\ty\\nz\\r\\q\"\n", "h", NULL,
	    0, "a", "x\ty\nz\rq", "\\t \\n \\r escapes, \\q is q");
	expect("machine \"h\" login a password \"\"\n", "h", NULL, 0, "a", "",
	    "quoted host and an empty password");
	expect("machine h login a password ab\"c\n", "h", NULL, 0, "a",
	    "ab\"c", "a quote inside a word is a character");
	expect("machine h login a password #secret\n", "h", NULL, 0, "a",
	    "#secret", "'#' starts no comment");
	expect("# machine h login x password y\nmachine h login a\n", "h",
	    NULL, 0, "x", "y", "'#' is an ordinary word before machine");
}

static void
test_malformed(void)
{
	static char big[NETRC_TOKEN_MAX + 64];
	const char *nul = "machine h login a\0b password p\n";
	size_t n;

	expect_bad("machine", 1, "machine at the end");
	expect_bad("machine h\n\nlogin a password p\nmachine   \n\n", 4,
	    "machine without a name, on its line");
	expect_bad("machine h login", 1, "login at the end");
	expect_bad("machine h login a\npassword", 2, "password at the end");
	expect_bad("machine h macdef", 1, "macdef at the end");
	expect_bad("machine h login a password \"abc\n", 1,
	    "unterminated quote");
	expect_bad("machine h\npassword \"ab\ncd\"\n", 2,
	    "a quote does not span lines");
	expect_bad_len(nul, 31, 1, "NUL byte in a token");
	n = (size_t)snprintf(big, sizeof(big), "machine h\npassword ");
	memset(big + n, 'x', NETRC_TOKEN_MAX);
	big[n + NETRC_TOKEN_MAX] = '\0';
	expect(big, "h", "u", 0, NULL, big + n, "a 4096-byte token is fine");
	memcpy(big + n + NETRC_TOKEN_MAX, "x", 2);
	expect_bad(big, 2, "a 4097-byte token is refused");
	n = (size_t)snprintf(big, sizeof(big), "machine h password \"");
	memset(big + n, 'y', NETRC_TOKEN_MAX + 1);
	memcpy(big + n + NETRC_TOKEN_MAX + 1, "\"", 2);
	expect_bad(big, 1, "a 4097-byte quoted token is refused");
	expect_bad("machine a login x password y\nmachine h login a\n"
	    "machine b login", 3, "the whole text is checked, not to the "
	    "match");
}

/*
 * netrc_lookup() with stderr sent to a file: returns the exit code and
 * leaves what it printed in `msg`.
 */
static int
lookup(const char *host, const char *user, struct netrc_entry *e, char *msg,
    size_t cap)
{
	int saved = dup(2), fd, rc;
	ssize_t n;

	fflush(stderr);
	fd = open(path_of("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	rc = netrc_lookup(host, user, e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, msg, cap - 1, 0);
	msg[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* One line, "smtpc: ...", naming `path`. */
static int
one_line(const char *msg, const char *path)
{
	const char *nl = strchr(msg, '\n');

	return strncmp(msg, "smtpc: ", 7) == 0 && strstr(msg, path) != NULL &&
	    nl != NULL && nl[1] == '\0';
}

static void
test_file(void)
{
	const char *t = "machine h login a password p\n";
	const char *nopw = "machine h login a\n";
	struct netrc_entry e;
	char msg[512], p[256], *big;
	int rc;

	/* A copy: path_of() reuses its buffers. */
	snprintf(p, sizeof(p), "%s", path_of("netrc"));
	setenv("NETRC", p, 1);
	write_file("netrc", t, strlen(t));
	chmod(p, 0600);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && same(e.login, "a") && same(e.password, "p") &&
	    msg[0] == '\0', "$NETRC file, mode 600: read, nothing printed");
	netrc_entry_clear(&e);

	chmod(p, 0644);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 78 && e.login == NULL && e.password == NULL &&
	    one_line(msg, p), "mode 644 with a password: 78, file named");
	netrc_entry_clear(&e);
	chmod(p, 0620);
	rc = lookup("h", "a", &e, msg, sizeof(msg));
	ok(rc == 78 && e.password == NULL, "group-writable: 78");
	netrc_entry_clear(&e);
	rc = lookup("z", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && e.login == NULL && msg[0] == '\0',
	    "open file, no entry for the host: no complaint");

	write_file("netrc", nopw, strlen(nopw));
	chmod(p, 0644);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && same(e.login, "a") && e.password == NULL,
	    "mode 644 without a password: the login is given");
	netrc_entry_clear(&e);

	write_file("netrc", "machine h login", 15);
	chmod(p, 0600);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 78 && one_line(msg, p) && strstr(msg, "line 1") != NULL,
	    "malformed: 78, file and line named");

	if ((big = malloc(NETRC_FILE_MAX + 1)) == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	memset(big, ' ', NETRC_FILE_MAX + 1);
	memcpy(big, t, strlen(t));
	write_file("netrc", big, NETRC_FILE_MAX);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && same(e.password, "p"), "a file of 1 MiB is read");
	netrc_entry_clear(&e);
	write_file("netrc", big, NETRC_FILE_MAX + 1);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 78 && e.password == NULL && one_line(msg, p),
	    "a file over 1 MiB: 78");
	free(big);
	unlink(p);

	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && e.login == NULL && msg[0] == '\0',
	    "no such file: no entry, nothing printed");

	mkdir(p, 0700);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 66 && one_line(msg, p), "a directory: 66");
	rmdir(p);
	mkfifo(p, 0600);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 66 && one_line(msg, p), "a FIFO: 66, without hanging");
	unlink(p);

	/* Without $NETRC: $HOME/.netrc. */
	write_file(".netrc", t, strlen(t));
	chmod(path_of(".netrc"), 0600);
	setenv("NETRC", "", 1);
	setenv("HOME", dir, 1);
	rc = lookup("h", NULL, &e, msg, sizeof(msg));
	ok(rc == 0 && same(e.password, "p"), "empty $NETRC: $HOME/.netrc");
	netrc_entry_clear(&e);
	unsetenv("NETRC");
	rc = lookup("h", "a", &e, msg, sizeof(msg));
	ok(rc == 0 && same(e.password, "p"), "no $NETRC: $HOME/.netrc");
	netrc_entry_clear(&e);
	unlink(path_of(".netrc"));
	unlink(path_of("stderr"));
}

int
main(void)
{
	tmp_setup("netrc");
	test_basic();
	test_host();
	test_default();
	test_user();
	test_macdef();
	test_quotes();
	test_malformed();
	test_file();
	rmdir(dir);
	return tap_done();
}
