/* SPDX-License-Identifier: ISC */
/*
 * password.c - read the password from a file, a command, the environment,
 * ~/.netrc or the terminal, keeping it out of argv, core dumps and stray
 * copies.  An empty secret is refused, whatever its source, before any
 * connection: sent, it would only earn a confusing "authentication
 * failed", or log in to a server that takes anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "keyring.h"
#include "netrc.h"
#include "password.h"

/* POSIX: the application declares it. */
extern char **environ;

#define PASSWORD_MAX 4096
/* The password, the "\r\n" after it, and a NUL. */
#define PASSWORD_BUF (PASSWORD_MAX + 3)
#define EX_NOINPUT_CODE 66
#define EX_OSERR_CODE 71
#define EX_CONFIG_CODE 78

/* A netrc password must fit where password_from_netrc() copies it. */
_Static_assert(NETRC_TOKEN_MAX <= PASSWORD_MAX, "netrc token too long");

/*
 * Every password buffer is PASSWORD_BUF bytes, so it is wiped whole:
 * strlen() would stop at a NUL the source held and leave the rest.
 */
static char *
password_alloc(void)
{
	return calloc(1, PASSWORD_BUF);
}

void
password_free(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, PASSWORD_BUF);
	free(pw);
}

/*
 * A process holding a password must not leave it in a core file, nor let
 * other processes of the user read its memory (/proc/PID/mem, environ,
 * ptrace): not dumpable.  Never undone; the process ends holding it.
 */
static void
password_protect_process(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Drop one trailing "\n" (or "\r\n"): editors add it, passwords lack it. */
static void
password_chomp(char *pw, size_t *len)
{
	if (*len > 0 && pw[*len - 1] == '\n')
		pw[--*len] = '\0';
	if (*len > 0 && pw[*len - 1] == '\r')
		pw[--*len] = '\0';
}

static int
password_from_file(const char *path, char **ret)
{
	char *pw = password_alloc(), extra;
	size_t len = 0;
	ssize_t n;
	int fd, toolong = 0;

	if (pw == NULL)
		return EX_OSERR_CODE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "smtpc: cannot read password file %s: %s\n",
		    path, strerror(errno));
		free(pw);
		return EX_NOINPUT_CODE;
	}
	/* One byte past the buffer tells a long file from a full one. */
	while ((n = len < PASSWORD_BUF - 1 ? read(fd, pw + len,
	    PASSWORD_BUF - 1 - len) : read(fd, &extra, 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "smtpc: cannot read password file "
			    "%s: %s\n", path, strerror(errno));
			close(fd);
			password_free(pw);
			return EX_NOINPUT_CODE;
		}
		if (len == PASSWORD_BUF - 1) {
			explicit_bzero(&extra, sizeof(extra));
			toolong = 1;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	password_chomp(pw, &len);
	if (len == 0 && !toolong) {
		fprintf(stderr, "smtpc: password file %s is empty\n", path);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (toolong || len > PASSWORD_MAX) {
		fprintf(stderr, "smtpc: password file %s is longer than %d "
		    "bytes\n", path, PASSWORD_MAX);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (strlen(pw) != len || strchr(pw, '\n') != NULL) {
		fprintf(stderr, "smtpc: password file %s must hold the "
		    "password alone on one line\n", path);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	*ret = pw;
	return 0;
}

/* The first line `cmd` prints; `opt` names the option in messages. */
static int
password_from_command(const char *cmd, const char *opt, const char *what,
    char **ret)
{
	char *pw = password_alloc(), iobuf[BUFSIZ];
	size_t len;
	FILE *fp;
	int status, toolong, c;

	if (pw == NULL)
		return EX_OSERR_CODE;
	fp = popen(cmd, "r");
	if (fp == NULL) {
		fprintf(stderr, "smtpc: cannot run %s: %s\n", opt,
		    strerror(errno));
		free(pw);
		return EX_CONFIG_CODE;
	}
	/* stdio's own buffer would be freed with the secret still in it. */
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	if (fgets(pw, PASSWORD_BUF, fp) == NULL)
		pw[0] = '\0';
	len = strlen(pw);
	/* A line cut at the limit would be a wrong password, not an error. */
	toolong = len == PASSWORD_BUF - 1 && pw[len - 1] != '\n' &&
	    (c = getc(fp)) != EOF;
	/* Drain the rest so the command does not die of SIGPIPE. */
	{
		char sink[256];

		while (fread(sink, 1, sizeof(sink), fp) > 0)
			explicit_bzero(sink, sizeof(sink));
	}
	status = pclose(fp);
	explicit_bzero(iobuf, sizeof(iobuf));
	password_chomp(pw, &len);
	if (toolong || len > PASSWORD_MAX) {
		fprintf(stderr, "smtpc: %s printed a %s longer than %d bytes\n",
		    opt, what, PASSWORD_MAX);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (status != 0) {
		fprintf(stderr, "smtpc: %s failed (%s %d)\n", opt,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (len == 0) {
		fprintf(stderr, "smtpc: %s printed no %s\n", opt, what);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	*ret = pw;
	return 0;
}

/* A password typed at the prompt: a queued message cannot have it again. */
static int password_typed;

int
password_was_typed(void)
{
	return password_typed;
}

static int
password_from_terminal(const struct cli_opts *o, const char *user, char **ret)
{
	struct termios saved, quiet;
	char *pw, iobuf[BUFSIZ];
	size_t len;
	FILE *tty;
	int got;

	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		fprintf(stderr, "smtpc: no password for %s: use "
		    "--password-file, --password-cmd, passwordeval in the "
		    "account, SMTPC_PASSWORD, the key ring or ~/.netrc (no "
		    "terminal to ask on)\n", user);
		return EX_CONFIG_CODE;
	}
	pw = password_alloc();
	if (pw == NULL) {
		fclose(tty);
		return EX_OSERR_CODE;
	}
	/* Our buffer, wiped below: stdio's would keep the typed password. */
	setvbuf(tty, iobuf, _IOFBF, sizeof(iobuf));
	fprintf(tty, "Password for %s at %s: ", user, o->host);
	fflush(tty);
	if (tcgetattr(fileno(tty), &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		got = fgets(pw, PASSWORD_BUF, tty) != NULL;
		tcsetattr(fileno(tty), TCSAFLUSH, &saved);
	} else {
		got = fgets(pw, PASSWORD_BUF, tty) != NULL;
	}
	fclose(tty);
	explicit_bzero(iobuf, sizeof(iobuf));
	len = strlen(pw);
	password_chomp(pw, &len);
	if (!got || len == 0) {
		fprintf(stderr, "smtpc: no password entered at the terminal "
		    "prompt (an empty password is refused)\n");
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	password_typed = 1;
	*ret = pw;
	return 0;
}

/*
 * The netrc entry's password, copied into a buffer of our own so that
 * password_free() can wipe it; *ret stays NULL when the entry has none.
 */
static int
password_from_netrc(const struct cli_opts *o, const char *user, char **ret)
{
	struct netrc_entry e;
	int rc;

	*ret = NULL;
	if ((rc = netrc_lookup(o->host, user, &e)) != 0)
		return rc;
	if (e.password != NULL && e.password[0] == '\0') {
		char *path = NULL;

		rc = netrc_path(&path);
		fprintf(stderr, "smtpc: netrc file %s: the entry for %s has an "
		    "empty password\n", path != NULL ? path : "~/.netrc",
		    o->host);
		free(path);
		rc = rc != 0 ? rc : EX_CONFIG_CODE;
	} else if (e.password != NULL && (*ret = password_alloc()) != NULL)
		memcpy(*ret, e.password, strlen(e.password));
	else if (e.password != NULL)
		rc = EX_OSERR_CODE;
	netrc_entry_clear(&e);
	return rc;
}

int
password_netrc_login(const struct cli_opts *o, char **ret)
{
	struct netrc_entry e;
	int rc;

	*ret = NULL;
	/* An account's "auth off": no AUTH, whatever ~/.netrc holds. */
	if (o->no_auth)
		return 0;
	/* The file read may hold passwords, whichever entry we take. */
	password_protect_process();
	if ((rc = netrc_lookup(o->host, NULL, &e)) != 0)
		return rc;
	*ret = e.login;
	e.login = NULL;
	netrc_entry_clear(&e);
	if (*ret == NULL && o->auth_origin != NULL) {
		fprintf(stderr, "smtpc: %s: auth is on but the account has no "
		    "user (set user, give -u, or a ~/.netrc login for %s)\n",
		    o->auth_origin, o->host);
		return EX_CONFIG_CODE;
	}
	return 0;
}

int
password_take_env(char **ret)
{
	static const char name[] = "SMTPC_PASSWORD=";
	const size_t nlen = sizeof(name) - 1;
	int rc = 0;

	*ret = NULL;
	for (char **e = environ; e != NULL && *e != NULL; e++) {
		char *value = *e + nlen;
		size_t n;

		if (strncmp(*e, name, nlen) != 0)
			continue;
		n = strlen(value);
		if (*ret == NULL && rc == 0) {
			password_protect_process();
			if ((*ret = password_alloc()) == NULL)
				rc = EX_OSERR_CODE;
			else	/* One byte past the limit tells a long one. */
				memcpy(*ret, value, n > PASSWORD_MAX ?
				    PASSWORD_MAX + 1 : n);
		}
		/*
		 * These bytes are what /proc/PID/environ shows (ps e, to
		 * root and monitoring agents) for as long as we run:
		 * unsetenv() only drops the pointer to them.  An execve()
		 * may pass the name twice; wipe every copy.
		 */
		explicit_bzero(value, n);
	}
	if (*ret != NULL || rc != 0)
		unsetenv("SMTPC_PASSWORD");
	return rc;
}

/* The account's password, as written in the file. */
static int
password_from_account(const struct cli_opts *o, char **ret)
{
	size_t n = strlen(o->acct_password);

	if (n > PASSWORD_MAX) {
		fprintf(stderr, "smtpc: %s is longer than %d bytes\n",
		    o->acct_secret_origin, PASSWORD_MAX);
		return EX_CONFIG_CODE;
	}
	if ((*ret = password_alloc()) == NULL)
		return EX_OSERR_CODE;
	memcpy(*ret, o->acct_password, n);
	return 0;
}

/* The key ring's password for `user` at the server, or *ret NULL. */
static int
password_from_keyring(const struct cli_opts *o, const char *user, char **ret)
{
	char *pw;
	int found;

	*ret = NULL;
	if ((pw = password_alloc()) == NULL)
		return EX_OSERR_CODE;
	found = keyring_lookup(o->host, user, pw, PASSWORD_MAX + 1,
	    o->verbose);
	if (found < 0) {
		fprintf(stderr, "smtpc: the key ring's password for %s at %s "
		    "is longer than %d bytes\n", user, o->host, PASSWORD_MAX);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (found && pw[0] == '\0') {
		fprintf(stderr, "smtpc: the key ring's password for %s at %s "
		    "is empty\n", user, o->host);
		password_free(pw);
		return EX_CONFIG_CODE;
	}
	if (found)
		*ret = pw;
	else
		password_free(pw);
	return 0;
}

int
password_is_token(const struct cli_opts *o)
{
	return o->oauth_token_cmd != NULL || o->acct_token;
}

int
password_obtain(const struct cli_opts *o, const char *user, char **ret)
{
	size_t n;
	int rc;

	password_protect_process();
	if (o->password_file != NULL)
		return password_from_file(o->password_file, ret);
	if (o->password_cmd != NULL)
		return password_from_command(o->password_cmd, "--password-cmd",
		    "password", ret);
	/* Named for this server by the account: before the general ones. */
	if (o->acct_password != NULL)
		return password_from_account(o, ret);
	if (o->acct_passwordeval != NULL)
		return password_from_command(o->acct_passwordeval,
		    o->acct_secret_origin, "password", ret);
	if (o->env_password != NULL) {
		n = strlen(o->env_password);
		if (n == 0) {
			fprintf(stderr, "smtpc: SMTPC_PASSWORD is set but "
			    "empty\n");
			return EX_CONFIG_CODE;
		}
		if (n > PASSWORD_MAX) {
			fprintf(stderr, "smtpc: SMTPC_PASSWORD is longer than "
			    "%d bytes\n", PASSWORD_MAX);
			return EX_CONFIG_CODE;
		}
		if ((*ret = password_alloc()) == NULL)
			return EX_OSERR_CODE;
		memcpy(*ret, o->env_password, n);
		return 0;
	}
	if ((rc = password_from_keyring(o, user, ret)) != 0 || *ret != NULL)
		return rc;
	if ((rc = password_from_netrc(o, user, ret)) != 0 || *ret != NULL)
		return rc;
	return password_from_terminal(o, user, ret);
}

int
password_obtain_token(const struct cli_opts *o, char **ret)
{
	password_protect_process();
	if (o->oauth_token_cmd != NULL)
		return password_from_command(o->oauth_token_cmd,
		    "--oauth-token-cmd", "token", ret);
	if (o->acct_password != NULL)
		return password_from_account(o, ret);
	if (o->acct_passwordeval != NULL)
		return password_from_command(o->acct_passwordeval,
		    o->acct_secret_origin, "token", ret);
	fprintf(stderr, "smtpc: no OAuth token: the account's auth takes "
	    "one from password or passwordeval, or --oauth-token-cmd\n");
	return EX_CONFIG_CODE;
}
