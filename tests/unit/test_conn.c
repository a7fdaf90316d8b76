/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for conn.c: connect, deadlines, line reads, large writes and
 * TLS, against servers this test forks on loopback (127.0.0.1 and ::1).
 * Certificates are made for the run by the openssl program in a temp dir.
 */
#define _GNU_SOURCE		/* unshare(2) */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "smtpc.h"
#include "tap.h"

/* The byte at offset i of the large-write pattern. */
#define PATTERN(i)	((unsigned char)(((i) * 7u + (i) / 251u) & 0xff))
#define BIG_SIZE	(5u * 1024 * 1024)

static char certdir[64];

struct srv {
	int fd;
	SSL *ssl;
};

typedef void srv_fn(struct srv *s, const void *arg);

struct srv_spec {
	int family;		/* AF_INET (default) or AF_INET6 */
	const char *pre;	/* sent in clear right after accept */
	int tls;		/* SSL_accept before running fn */
	const char *cert;	/* base name in certdir: "srv" or "other" */
	int tls_max;		/* 0 or a maximum protocol version */
	int conns;		/* connections served in turn (0: one) */
	int nagle;		/* leave Nagle on (no TCP_NODELAY) */
	int no_ticket;		/* TLS 1.2 session IDs, no tickets */
	srv_fn *fn;
	const void *arg;
};

static void
skip(const char *why)
{
	tap_count++;
	printf("ok %d # skip %s\n", tap_count, why);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
srv_write(struct srv *s, const void *p, size_t n)
{
	if (s->ssl != NULL)
		return SSL_write(s->ssl, p, (int)n) == (int)n ? 0 : -1;
	return send(s->fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static ssize_t
srv_read(struct srv *s, void *p, size_t n)
{
	if (s->ssl != NULL)
		return SSL_read(s->ssl, p, (int)n);
	return recv(s->fd, p, n, 0);
}

/* Behaviours. */

/* Send the string one byte per segment, then close. */
static void
fn_tiny(struct srv *s, const void *arg)
{
	const char *p = arg;

	for (; *p != '\0'; p++) {
		if (srv_write(s, p, 1) == -1)
			return;
		usleep(300);
	}
}

/* Say nothing until the client goes away. */
static void
fn_silent(struct srv *s, const void *arg)
{
	char b[256];

	(void)arg;
	while (srv_read(s, b, sizeof(b)) > 0)
		;
}

/* One byte every 100 ms, never a newline. */
static void
fn_trickle(struct srv *s, const void *arg)
{
	(void)arg;
	for (;;) {
		if (srv_write(s, "x", 1) == -1)
			return;
		sleep_ms(100);
	}
}

/* Send the string in one write, then wait for the client to close. */
static void
fn_say(struct srv *s, const void *arg)
{
	if (srv_write(s, arg, strlen(arg)) == 0)
		fn_silent(s, NULL);
}

/* Read BIG_SIZE bytes, check the pattern, answer "OK n" or "BAD at n". */
static void
fn_sink(struct srv *s, const void *arg)
{
	static unsigned char b[65536];
	size_t total = 0, i;
	ssize_t n;
	char line[64];

	(void)arg;
	while (total < BIG_SIZE) {
		n = srv_read(s, b, sizeof(b));
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			if (b[i] != PATTERN(total + i)) {
				snprintf(line, sizeof(line), "BAD at %zu\r\n",
				    total + i);
				srv_write(s, line, strlen(line));
				return;
			}
		total += (size_t)n;
	}
	snprintf(line, sizeof(line), "OK %zu\r\n", total);
	srv_write(s, line, strlen(line));
	fn_silent(s, NULL);
}

/* Accept and neither read nor write (until killed). */
static void
fn_sleep(struct srv *s, const void *arg)
{
	(void)s;
	(void)arg;
	sleep_ms(5000);
}

/* Close at once with a reset, so the client's writes fail. */
static void
fn_reset(struct srv *s, const void *arg)
{
	struct linger l = { 1, 0 };
	char one;

	(void)arg;
	/*
	 * Reset only once the client has written: a reset right after accept
	 * can reach the client before its connect() completes, and then
	 * conn_open itself (rightly) fails.
	 */
	if (recv(s->fd, &one, 1, 0) != 1)
		return;
	setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Send the string, then drop the TCP connection without close_notify. */
static void
fn_abort(struct srv *s, const void *arg)
{
	srv_write(s, arg, strlen(arg));
	close(s->fd);
	_exit(0);
}

/*
 * NAGLE_ROUNDS times: a small segment, a pause (so it goes alone and the
 * client is waiting), a second one that Nagle holds until the first is
 * acknowledged; then wait for the client's line.
 */
#define NAGLE_ROUNDS	5

static void
fn_nagle(struct srv *s, const void *arg)
{
	char b[64];
	int i;

	(void)arg;
	for (i = 0; i < NAGLE_ROUNDS; i++) {
		if (srv_write(s, "250-a\r\n", 7) == -1)
			return;
		sleep_ms(3);
		if (srv_write(s, "250 b\r\n", 7) == -1 ||
		    srv_read(s, b, sizeof(b)) <= 0)
			return;
	}
}

/* Echo one line back, then wait. */
static void
fn_echo(struct srv *s, const void *arg)
{
	char b[512];
	size_t len = 0;
	ssize_t n;

	if (arg != NULL && srv_write(s, arg, strlen(arg)) == -1)
		return;
	while (len < sizeof(b)) {
		n = srv_read(s, b + len, sizeof(b) - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		if (memchr(b, '\n', len) != NULL)
			break;
	}
	if (srv_write(s, b, len) == 0)
		fn_silent(s, NULL);
}

static SSL_CTX *
srv_tls_ctx(const struct srv_spec *sp)
{
	char cert[128], key[128];
	SSL_CTX *ctx;

	snprintf(cert, sizeof(cert), "%s/%s.pem", certdir, sp->cert);
	snprintf(key, sizeof(key), "%s/%s.key", certdir, sp->cert);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (sp->tls_max != 0) {
		/* Old protocols need the lowest security level. */
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_min_proto_version(ctx, 0);
		if (!SSL_CTX_set_max_proto_version(ctx, sp->tls_max) ||
		    !SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0")) {
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	if (sp->no_ticket)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Listen on loopback, fork a child that serves one connection as `sp`
 * says.  Returns the child's pid (and *port), or -1 when the address family
 * is not available.
 */
static pid_t
srv_start(const struct srv_spec *sp, unsigned *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(ss);
	int family = sp->family ? sp->family : AF_INET, lfd, fd, one = 1, k;
	struct srv s = { -1, NULL };
	SSL_CTX *ctx = NULL;
	pid_t pid;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if ((lfd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(lfd, (struct sockaddr *)&ss, family == AF_INET6 ?
	    sizeof(*sin6) : sizeof(*sin)) == -1 || listen(lfd, 4) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len) == -1) {
		close(lfd);
		return -1;
	}
	*port = ntohs(family == AF_INET6 ? sin6->sin6_port : sin->sin_port);
	fflush(stdout);
	if ((pid = fork()) != 0) {
		close(lfd);
		return pid;
	}

	alarm(8);	/* never outlive a broken test */
	/* One context for every connection: its ticket keys and cache too. */
	if (sp->tls && (ctx = srv_tls_ctx(sp)) == NULL)
		_exit(2);
	for (k = 0; k < (sp->conns > 0 ? sp->conns : 1); k++) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (!sp->nagle)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		s.fd = fd;
		s.ssl = NULL;
		if (sp->pre != NULL)
			send(fd, sp->pre, strlen(sp->pre), MSG_NOSIGNAL);
		if (sp->tls) {
			if ((s.ssl = SSL_new(ctx)) == NULL)
				_exit(2);
			SSL_set_fd(s.ssl, fd);
			if (SSL_accept(s.ssl) != 1) {
				SSL_free(s.ssl);
				close(fd);
				continue;
			}
		}
		if (sp->fn != NULL)
			sp->fn(&s, sp->arg);
		if (s.ssl != NULL)
			SSL_shutdown(s.ssl);
		SSL_free(s.ssl);
		close(fd);
	}
	_exit(0);
}

static void
srv_reap(pid_t pid)
{
	int st;

	if (pid > 0)
		waitpid(pid, &st, 0);
}

/* Start a server and connect to it; NULL when either fails. */
static struct conn *
open_to(const struct srv_spec *sp, const char *host, pid_t *pid,
    struct smtpc_error *err)
{
	struct conn *c = NULL;
	unsigned port;

	if ((*pid = srv_start(sp, &port)) == -1)
		return NULL;
	if (conn_open(&c, host, port, conn_now_ms() + 2000, err) != 0)
		c = NULL;
	return c;
}

/* Lines read from a server that sends one byte per segment. */
static const struct {
	const char *name;
	const char *send;
	size_t cap;
	int rc;			/* of the last read */
	const char *lines[4];	/* expected lines, then the failing read */
} line_cases[] = {
	{ "CRLF lines split into single bytes",
	    "250-first\r\n250 second\r\n", 64, SMTPC_ECONN,
	    { "250-first", "250 second" } },
	{ "bare LF and an empty line", "a\n\r\nb\r\n", 64, SMTPC_ECONN,
	    { "a", "", "b" } },
	{ "CR inside a line is kept", "a\rb\r\n", 64, SMTPC_ECONN,
	    { "a\rb" } },
	{ "line of cap - 1 bytes fits", "abcdefg\r\n", 8, SMTPC_ECONN,
	    { "abcdefg" } },
	{ "line of cap bytes is refused", "abcdefgh\r\n", 8, SMTPC_ELIMIT,
	    { NULL } },
	{ "long line without LF is refused early",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 16,
	    SMTPC_ELIMIT, { NULL } },
	{ "EOF in the middle of a line", "250 ok\r\n250 partial", 64,
	    SMTPC_ECONN, { "250 ok" } },
};

static void
test_lines(void)
{
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn *c;
	char line[64], what[160];
	size_t i, j, len;
	pid_t pid;
	int rc;

	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		memset(&sp, 0, sizeof(sp));
		sp.fn = fn_tiny;
		sp.arg = line_cases[i].send;
		c = open_to(&sp, "127.0.0.1", &pid, &err);
		snprintf(what, sizeof(what), "%s: connected",
		    line_cases[i].name);
		if (!ok(c != NULL, what)) {
			srv_reap(pid);
			continue;
		}
		for (j = 0; line_cases[i].lines[j] != NULL; j++) {
			rc = conn_read_line(c, line, line_cases[i].cap, &len,
			    conn_now_ms() + 2000, &err);
			snprintf(what, sizeof(what), "%s: line %zu read",
			    line_cases[i].name, j + 1);
			ok(rc == 0 && len == strlen(line), what);
			snprintf(what, sizeof(what), "%s: line %zu text",
			    line_cases[i].name, j + 1);
			eq_str(rc == 0 ? line : "(failed)",
			    line_cases[i].lines[j], what);
		}
		rc = conn_read_line(c, line, line_cases[i].cap, &len,
		    conn_now_ms() + 2000, &err);
		snprintf(what, sizeof(what), "%s: then %s",
		    line_cases[i].name, smtpc_errname(line_cases[i].rc));
		ok(rc == line_cases[i].rc && err.code == rc, what);
		if (rc == SMTPC_ECONN)
			eq_str(err.message, "server closed the connection",
			    "EOF says the server closed");
		conn_close(c);
		srv_reap(pid);
	}

	/* The 16 KiB input buffer bounds a line whatever the cap. */
	{
		static char big[20003], out[65536];

		memset(big, 'a', 20000);
		memcpy(big + 20000, "\r\n", 3);
		memset(&sp, 0, sizeof(sp));
		sp.fn = fn_say;
		sp.arg = big;
		c = open_to(&sp, "127.0.0.1", &pid, &err);
		if (c != NULL) {
			rc = conn_read_line(c, out, sizeof(out), &len,
			    conn_now_ms() + 2000, &err);
			ok(rc == SMTPC_ELIMIT, "20000-byte line, 64 KiB cap: "
			    "ELIMIT");
			eq_str(err.message, "line from server longer than "
			    "16382 bytes", "buffer limit message");
			conn_close(c);
		} else {
			ok(0, "big line: connected");
		}
		srv_reap(pid);
	}
}

static void
test_deadlines(void)
{
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn *c;
	char line[64];
	int64_t t0, dt;
	pid_t pid;
	int rc;

	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_silent;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	ok(c != NULL, "silent server: connected");
	if (c != NULL) {
		t0 = conn_now_ms();
		rc = conn_read_line(c, line, sizeof(line), NULL, t0 + 300,
		    &err);
		dt = conn_now_ms() - t0;
		ok(rc == SMTPC_ETIMEOUT, "silent server: ETIMEOUT");
		ok(dt >= 295 && dt < 500, "silent server: on time (300 ms)");
		conn_close(c);
	}
	srv_reap(pid);

	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_trickle;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	ok(c != NULL, "trickling server: connected");
	if (c != NULL) {
		t0 = conn_now_ms();
		rc = conn_read_line(c, line, sizeof(line), NULL, t0 + 500,
		    &err);
		dt = conn_now_ms() - t0;
		ok(rc == SMTPC_ETIMEOUT, "trickling server: ETIMEOUT");
		ok(dt >= 495 && dt < 700,
		    "trickling server: on time (500 ms)");
		ok(conn_pending(c) >= 3, "trickled bytes were buffered");
		conn_close(c);
	}
	srv_reap(pid);

	/* A deadline already past fails at once. */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_silent;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() - 1, &err);
		ok(rc == SMTPC_ETIMEOUT, "past deadline: ETIMEOUT");
		conn_close(c);
	} else {
		ok(0, "past deadline: connected");
	}
	srv_reap(pid);
}

/*
 * A server that leaves Nagle on and writes a reply in two small segments
 * holds the second until the first is acknowledged: the client must not
 * delay that ACK (40 ms each time otherwise).
 */
static void
test_quick_ack(void)
{
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn *c;
	char line[64];
	int64_t t0, dt;
	pid_t pid;
	int i, rc = 0;

	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_nagle;
	sp.nagle = 1;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c == NULL) {
		ok(0, "Nagle server: connect");
		srv_reap(pid);
		return;
	}
	t0 = conn_now_ms();
	for (i = 0; i < NAGLE_ROUNDS && rc == 0; i++) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		if (rc == 0)
			rc = conn_read_line(c, line, sizeof(line), NULL,
			    conn_now_ms() + 2000, &err);
		if (rc == 0)
			rc = conn_write(c, "NOOP\r\n", 6,
			    conn_now_ms() + 2000, &err);
	}
	if (rc == 0)
		rc = conn_flush(c, conn_now_ms() + 2000, &err);
	dt = conn_now_ms() - t0;
	ok(rc == 0, "Nagle server: every segment read");
	/* 5 x 3 ms of pauses; a delayed ACK would add 5 x 40 ms. */
	ok(dt < 120, "Nagle server: no delayed ACK holds a reply back");
	printf("# %d rounds in %lld ms\n", NAGLE_ROUNDS, (long long)dt);
	conn_close(c);
	srv_reap(pid);
}

static void
test_connect_timeout(void)
{
	struct smtpc_error err;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct conn *held[8], *c = NULL;
	int64_t t0, dt = 0;
	int lfd, rc = 0, i, n = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || listen(lfd, 0) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1) {
		skip("cannot listen");
		skip("cannot listen");
		if (lfd != -1)
			close(lfd);
		return;
	}
	for (i = 0; i < 8; i++) {
		t0 = conn_now_ms();
		rc = conn_open(&c, "127.0.0.1", ntohs(sin.sin_port),
		    t0 + 200, &err);
		dt = conn_now_ms() - t0;
		if (rc != 0)
			break;
		held[n++] = c;
	}
	if (rc == 0) {
		skip("this kernel does not drop SYNs on a full backlog");
		skip("this kernel does not drop SYNs on a full backlog");
	} else {
		ok(rc == SMTPC_ETIMEOUT, "full backlog: connect ETIMEOUT");
		ok(dt >= 195 && dt < 400, "full backlog: on time (200 ms)");
	}
	while (n > 0)
		conn_close(held[--n]);
	close(lfd);
}

/* In a child, so that a crash is a failed case and not a lost program. */
static int
conn_close_null_survives(void)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		conn_close(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A file of `text` at dir/name; its path in out. */
static int
write_file(const char *dir, const char *name, const char *text, char *out,
    size_t cap)
{
	FILE *f;
	int bad;

	snprintf(out, cap, "%s/%s", dir, name);
	if ((f = fopen(out, "w")) == NULL)
		return -1;
	bad = fputs(text, f) == EOF;
	return fclose(f) != 0 || bad ? -1 : 0;
}

/* A listening socket on 127.0.0.1 (the kernel completes the handshake). */
static int
listen_lo(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Queries waiting on the silent name server's socket. */
static int
dns_queries(int fd)
{
	unsigned char b[512];
	int n = 0;

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/*
 * In a private network and mount namespace: a name server on 127.0.0.1:53
 * that never answers (/etc/resolv.conf names it, with the resolver's
 * default timeouts) and an /etc/hosts of our own.  Returns the TAP lines
 * printed, or 0 when the namespace cannot be had (not root).
 */
static int
resolver_child(const char *dir, int *failed)
{
	struct smtpc_error err;
	struct sockaddr_in sin;
	struct ifreq ifr;
	struct conn *c = NULL;
	char conf[256], hosts[256];
	unsigned port;
	int64_t t0, dt;
	int dfd, lfd, fd, rc, first = tap_count, nfail = tap_failed;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET) == -1 ||
	    /* Nothing of ours may reach the machine's own mounts. */
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		return 0;
	close(fd);
	if (write_file(dir, "resolv.conf", "nameserver 127.0.0.1\n", conf,
	    sizeof(conf)) == -1 || write_file(dir, "hosts",
	    "127.0.0.1 localhost\n127.0.0.1 mx.hosts-file.example\n", hosts,
	    sizeof(hosts)) == -1 ||
	    mount(conf, "/etc/resolv.conf", "none", MS_BIND, NULL) == -1 ||
	    mount(hosts, "/etc/hosts", "none", MS_BIND, NULL) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((dfd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(dfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (lfd = listen_lo(&port)) == -1)
		return 0;

	/* The name server is down: only the deadline ends the lookup. */
	t0 = conn_now_ms();
	rc = conn_open(&c, "mail.example.org", port, t0 + 1000, &err);
	dt = conn_now_ms() - t0;
	ok(rc == SMTPC_ETIMEOUT && c == NULL, "silent DNS: ETIMEOUT");
	ok(dt >= 990 && dt < 2500, "silent DNS: ends at the deadline (1 s)");
	eq_str(err.message, "cannot resolve mail.example.org: timed out "
	    "after 1 s", "silent DNS: message");
	eq_str(err.stage, "connect", "silent DNS: stage");
	ok(dns_queries(dfd) > 0, "silent DNS: the name server was asked");

	/* /etc/hosts answers before DNS would. */
	t0 = conn_now_ms();
	rc = conn_open(&c, "mx.hosts-file.example", port, t0 + 5000, &err);
	ok(rc == 0 && conn_now_ms() - t0 < 500, "/etc/hosts name: connected "
	    "at once");
	conn_close(c);
	c = NULL;
	rc = conn_open(&c, "localhost", port, conn_now_ms() + 5000, &err);
	ok(rc == 0, "localhost from /etc/hosts: connected");
	conn_close(c);
	c = NULL;

	/* An address literal needs no resolver. */
	rc = conn_open(&c, "127.0.0.1", port, conn_now_ms() + 5000, &err);
	ok(rc == 0, "127.0.0.1: connected");
	conn_close(c);
	ok(dns_queries(dfd) == 0, "hosts and literals: no DNS query");
	close(lfd);
	close(dfd);
	*failed = tap_failed - nfail;
	return tap_count - first;
}

static void
test_resolver(void)
{
	char dir[] = "/tmp/smtpc-test-conn-XXXXXX", path[300];
	int pfd[2], res[2] = { 0, 0 }, status, i;
	pid_t pid;

	if (mkdtemp(dir) == NULL || pipe(pfd) == -1) {
		skip("resolver: no temp dir");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		res[0] = resolver_child(dir, &res[1]);
		fflush(stdout);
		if (write(pfd[1], res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
		/* exit(), not _exit(): a leak checker reports at exit. */
		exit(0);
	}
	close(pfd[1]);
	if (pid == -1 || read(pfd[0], res, sizeof(res)) != (ssize_t)sizeof(res))
		res[0] = res[1] = 0;
	close(pfd[0]);
	if (pid != -1)
		waitpid(pid, &status, 0);
	tap_count += res[0];
	tap_failed += res[1];
	if (res[0] == 0) {
		for (i = 0; i < 10; i++)
			skip("no private network and mount namespace (root)");
	} else {
		ok(pid != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "resolver: the child exits cleanly (no leak report)");
	}
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_connect(void)
{
	struct smtpc_error err;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct srv_spec sp;
	struct conn *c = NULL;
	char line[64], want[96], lit[64];
	unsigned port;
	pid_t pid;
	int fd, rc;

	/* A port that was bound but is not listening refuses. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	rc = conn_open(&c, "127.0.0.1", port, conn_now_ms() + 2000, &err);
	close(fd);
	ok(rc == SMTPC_ECONN && c == NULL, "closed port: ECONN");
	snprintf(want, sizeof(want), "connection to 127.0.0.1 port %u refused",
	    port);
	eq_str(err.message, want, "closed port: message");
	eq_str(err.stage, "connect", "closed port: stage");

	/* A deadline already past: no attempt at all. */
	rc = conn_open(&c, "127.0.0.1", port, conn_now_ms() - 1, &err);
	ok(rc == SMTPC_ETIMEOUT && c == NULL, "connect past deadline: "
	    "ETIMEOUT");

	/*
	 * A listener whose backlog is full drops SYNs: the connect hangs
	 * until its deadline, without leaving loopback.
	 */
	test_connect_timeout();

	rc = conn_open(&c, "nonexistent.invalid", 25, conn_now_ms() + 2000,
	    &err);
	ok(rc == SMTPC_ENOHOST, "nonexistent.invalid: ENOHOST");
	ok(strncmp(err.message, "cannot resolve nonexistent.invalid: ",
	    36) == 0, "nonexistent.invalid: message");
	rc = conn_open(&c, "mx.INVALID.", 25, conn_now_ms() + 2000, &err);
	ok(rc == SMTPC_ENOHOST, "mx.INVALID.: ENOHOST");
	rc = conn_open(&c, "", 25, conn_now_ms() + 2000, &err);
	ok(rc == SMTPC_EINVAL, "empty host: EINVAL");
	rc = conn_open(&c, "127.0.0.1", 0, conn_now_ms() + 2000, &err);
	ok(rc == SMTPC_EINVAL, "port 0: EINVAL");

	/* "localhost" through /etc/hosts, no DNS. */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_say;
	sp.arg = "220 v4\r\n";
	c = open_to(&sp, "localhost", &pid, &err);
	ok(c != NULL, "localhost: connected");
	if (c != NULL) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : "(failed)", "220 v4",
		    "localhost: greeting");
		ok(!conn_is_tls(c), "plain connection is not TLS");
		ok(conn_local_literal(c, lit, sizeof(lit)) == 0 &&
		    (strcmp(lit, "[127.0.0.1]") == 0 ||
		    strcmp(lit, "[IPv6:::1]") == 0),
		    "localhost: our end as an EHLO address literal");
		ok(conn_local_literal(c, lit, 6) == -1,
		    "address literal too long for the buffer: -1");
		conn_close(c);
	}
	srv_reap(pid);

	sp.family = AF_INET6;
	sp.arg = "220 v6\r\n";
	if ((pid = srv_start(&sp, &port)) == -1) {
		skip("no IPv6 loopback");
		skip("no IPv6 loopback");
		skip("no IPv6 loopback");
	} else {
		rc = conn_open(&c, "::1", port, conn_now_ms() + 2000, &err);
		ok(rc == 0, "::1: connected");
		if (rc == 0) {
			rc = conn_read_line(c, line, sizeof(line), NULL,
			    conn_now_ms() + 2000, &err);
			eq_str(rc == 0 ? line : "(failed)", "220 v6",
			    "::1: greeting");
			eq_str(conn_local_literal(c, lit, sizeof(lit)) == 0 ?
			    lit : "(failed)", "[IPv6:::1]",
			    "::1: our end as an IPv6 address literal");
			conn_close(c);
		} else {
			skip("::1: no connection");
			skip("::1: no connection");
		}
		srv_reap(pid);
	}
	ok(conn_close_null_survives(), "conn_close(NULL) is a no-op");
}

/* Write BIG_SIZE pattern bytes in uneven pieces; the server checks them. */
static void
big_write(struct conn *c, const char *what)
{
	static const size_t sizes[] = { 1, 7, 1000, 65535, 65536, 70000,
	    300000, 3 };
	struct smtpc_error err;
	unsigned char *data;
	char line[64], want[64], name[96];
	size_t off = 0, n, k = 0;
	int rc = 0;

	if ((data = malloc(BIG_SIZE)) == NULL) {
		ok(0, "malloc");
		return;
	}
	for (n = 0; n < BIG_SIZE; n++)
		data[n] = PATTERN(n);
	while (off < BIG_SIZE && rc == 0) {
		n = sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))];
		if (n > BIG_SIZE - off)
			n = BIG_SIZE - off;
		rc = conn_write(c, data + off, n, conn_now_ms() + 3000, &err);
		off += n;
	}
	if (rc == 0)
		rc = conn_flush(c, conn_now_ms() + 3000, &err);
	snprintf(name, sizeof(name), "%s: 5 MB written and flushed", what);
	ok(rc == 0, name);
	if (rc == 0)
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 3000, &err);
	snprintf(want, sizeof(want), "OK %u", BIG_SIZE);
	snprintf(name, sizeof(name), "%s: 5 MB arrived intact", what);
	eq_str(rc == 0 ? line : err.message, want, name);
	free(data);
}

static void
test_writes(void)
{
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn *c;
	static unsigned char junk[1024 * 1024];
	pid_t pid;
	int rc = 0, i;

	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_sink;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	ok(c != NULL, "sink: connected");
	if (c != NULL) {
		big_write(c, "plain");
		conn_close(c);
	}
	srv_reap(pid);

	/* A read first sends what is queued. */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_echo;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		char line[64];

		rc = conn_write(c, "PING\r\n", 6, conn_now_ms() + 2000, &err);
		if (rc == 0)
			rc = conn_read_line(c, line, sizeof(line), NULL,
			    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : err.message, "PING",
		    "read flushes queued writes first");
		ok(conn_tls_info(c, &(struct smtpc_tls_info){ 0 }) ==
		    SMTPC_EINVAL, "tls_info on a plain connection: EINVAL");
		conn_close(c);
		rc = 0;
	}
	srv_reap(pid);

	/* A server that never reads: the write deadline holds. */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_sleep;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		int64_t t0 = conn_now_ms(), dt;

		for (i = 0; i < 512 && rc == 0; i++)
			rc = conn_write(c, junk, sizeof(junk), t0 + 300, &err);
		if (rc == 0)
			rc = conn_flush(c, t0 + 300, &err);
		dt = conn_now_ms() - t0;
		ok(rc == SMTPC_ETIMEOUT, "server not reading: ETIMEOUT");
		ok(dt >= 295 && dt < 500, "server not reading: on time");
		conn_close(c);
		rc = 0;
	} else {
		ok(0, "sleeper: connected");
	}
	if (pid > 0)
		kill(pid, SIGTERM);
	srv_reap(pid);

	/* A reset peer gives ECONN, not SIGPIPE (which would kill us). */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_reset;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		srv_reap(pid);
		for (i = 0; i < 20 && rc == 0; i++) {
			rc = conn_write(c, junk, sizeof(junk),
			    conn_now_ms() + 2000, &err);
			if (rc == 0)
				rc = conn_flush(c, conn_now_ms() + 2000, &err);
		}
		ok(rc == SMTPC_ECONN, "write to a reset peer: ECONN");
		conn_close(c);
	} else {
		ok(0, "reset: connected");
		printf("# %s: %s\n", smtpc_errname(err.code), err.message);
		srv_reap(pid);
	}
}

static int
make_certs(void)
{
	char cmd[2048];

	snprintf(certdir, sizeof(certdir), "/tmp/smtpc-test-conn.XXXXXX");
	if (mkdtemp(certdir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd),
	    "cd %s && exec >/dev/null 2>&1 && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca.key -out ca.pem -subj '/CN=smtpc test CA' "
	    "-days 2 && "
	    "for n in srv other; do "
	    "if [ $n = srv ]; then cn=localhost; "
	    "san='DNS:localhost,IP:127.0.0.1,IP:::1'; "
	    "else cn=other.example; san=DNS:other.example; fi; "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout $n.key -out $n.csr -subj /CN=$cn || exit 1; "
	    "printf 'subjectAltName=%%s\\n' $san > $n.ext; "
	    "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile $n.ext -out $n.pem || exit 1; "
	    "done && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca2.key -out ca2.pem -subj '/CN=another CA' "
	    "-days 2", certdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
remove_certs(void)
{
	static const char *const names[] = { "ca.key", "ca.pem", "ca.srl",
	    "srv.key", "srv.csr", "srv.ext", "srv.pem", "other.key",
	    "other.csr", "other.ext", "other.pem", "ca2.key", "ca2.pem",
	    "ca-copy.pem", "cache/tls-sessions", "cache" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", certdir, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(certdir);
}

/* Connect to a TLS server made from `sp` and run the handshake. */
static int
tls_to(const struct srv_spec *sp, const char *host, const char *name,
    const char *cafile, int insecure, pid_t *pid, struct conn **ret,
    struct smtpc_error *err)
{
	struct conn_tls_cfg cfg = { .host = name, .cafile = cafile,
	    .insecure = insecure };
	int rc;

	*ret = open_to(sp, host, pid, err);
	if (*ret == NULL)
		return SMTPC_ECONN;
	/*
	 * Generous: no caller times this, and under valgrind (scripts/valgrind)
	 * both ends of the handshake run some 30 times slower.
	 */
	rc = conn_start_tls(*ret, &cfg, conn_now_ms() + 15000, err);
	if (rc != 0) {
		conn_close(*ret);
		*ret = NULL;
	}
	return rc;
}

/* --tls-fingerprint: the pin alone decides, whatever the name or CA. */
static void
test_pin(struct srv_spec *sp)
{
	struct conn_tls_cfg cfg = { .host = "not.the.name" };
	struct smtpc_tls_info info;
	struct smtpc_error err;
	unsigned char md[32];
	unsigned int n = 0;
	char path[160], hex[96];
	struct conn *c;
	X509 *cert = NULL;
	FILE *fp;
	pid_t pid;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/srv.pem", certdir);
	if ((fp = fopen(path, "r")) != NULL) {
		cert = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &n) != 1) {
		ok(0, "pin: certificate digest");
		X509_free(cert);
		return;
	}
	X509_free(cert);
	for (i = 0; i < 32; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X%s", md[i],
		    i < 31 ? ":" : "");
	sp->fn = fn_say;
	sp->arg = "220 pinned\r\n";
	cfg.pin_sha256 = md;
	c = open_to(sp, "127.0.0.1", &pid, &err);
	rc = c ? conn_start_tls(c, &cfg, conn_now_ms() + 3000, &err) : -1;
	ok(rc == 0, "pin matches: handshake although the name is wrong");
	if (rc == 0 && conn_tls_info(c, &info) == 0) {
		ok(info.verified == 1, "pinned counts as verified");
		eq_str(info.sha256, hex, "tls_info shows the SHA-256");
	}
	conn_close(c);
	srv_reap(pid);

	md[31] ^= 1;
	c = open_to(sp, "127.0.0.1", &pid, &err);
	rc = c ? conn_start_tls(c, &cfg, conn_now_ms() + 3000, &err) : -1;
	ok(rc == SMTPC_ETLS, "pin differs: ETLS");
	ok(strstr(err.message, "fingerprint mismatch") != NULL &&
	    strstr(err.message, hex) != NULL, "both fingerprints named");
	ok(c != NULL && !conn_is_tls(c), "no TLS left after a pin mismatch");
	conn_close(c);
	srv_reap(pid);
}

/* The cache's notes, as the session's trace would show them. */
static char notes[4096];

static void
note_trace(void *user, const char *line)
{
	size_t n = strlen(notes), len = strlen(line);

	(void)user;
	if (n + len + 2 < sizeof(notes))
		snprintf(notes + n, sizeof(notes) - n, "%s\n", line);
}

/*
 * One connection to port `port` with `cfg`: handshake, one line read (the
 * server's tickets come before it), close (the cache is saved).  0 and
 * *info, or the error.
 */
static int
resume_run(unsigned port, const struct conn_tls_cfg *cfg,
    struct smtpc_tls_info *info, struct smtpc_error *err)
{
	struct conn *c = NULL;
	char line[128];
	int rc;

	notes[0] = '\0';
	memset(info, 0, sizeof(*info));
	rc = conn_open(&c, "127.0.0.1", port, conn_now_ms() + 2000, err);
	if (rc == 0)
		rc = conn_start_tls(c, cfg, conn_now_ms() + 15000, err);
	if (rc == 0)
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 5000, err);
	if (rc == 0)
		rc = conn_tls_info(c, info);
	conn_close(c);
	return rc;
}

/* TLS session resumption through the cache file. */
static void
test_resume(void)
{
	struct smtpc_tls_info info;
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn_tls_cfg cfg;
	char ca[128], ca2[128], copy[128], cache[160], cmd[512];
	unsigned port;
	pid_t pid;
	int rc;
	FILE *f;

	snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
	snprintf(ca2, sizeof(ca2), "%s/ca2.pem", certdir);
	snprintf(copy, sizeof(copy), "%s/ca-copy.pem", certdir);
	snprintf(cache, sizeof(cache), "%s/cache/tls-sessions", certdir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", ca, copy);
	if (system(cmd) != 0)
		ok(0, "copy the CA");
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "localhost";
	cfg.cafile = ca;
	cfg.cache = cache;
	cfg.note = note_trace;

	/* TLS 1.3 tickets: the second connection resumes. */
	memset(&sp, 0, sizeof(sp));
	sp.tls = 1;
	sp.cert = "srv";
	sp.fn = fn_say;
	sp.arg = "220 resume\r\n";
	sp.conns = 5;
	if ((pid = srv_start(&sp, &port)) == -1) {
		ok(0, "resume: server");
		return;
	}
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && !info.resumed && info.verified,
	    "first connection: full handshake, verified");
	ok(access(cache, F_OK) == 0, "the cache file is written");
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && info.resumed, "second connection: resumed");
	ok(info.verified && strcmp(info.version, "TLSv1.3") == 0 &&
	    strstr(info.subject, "localhost") != NULL,
	    "resumed: verified, TLS 1.3, the certificate shown");
	ok(strstr(notes, "resumed from the cache") != NULL,
	    "resumed: the trace says so");
	/* Another CA file (same contents): never the same session. */
	cfg.cafile = copy;
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && !info.resumed, "another --cafile: not resumed");
	cfg.cafile = ca;
	/* Insecure: its own sessions. */
	cfg.insecure = 1;
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && !info.resumed && !info.verified,
	    "insecure: not resumed from a verified session");
	cfg.insecure = 0;
	/* A damaged file: a warning, a full handshake, replaced. */
	if ((f = fopen(cache, "w")) != NULL) {
		fputs("smtpc-tls-sessions 1\ngarbage\n", f);
		fclose(f);
	}
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && !info.resumed, "damaged cache: full handshake");
	ok(strstr(notes, "warning: TLS session cache") != NULL &&
	    strstr(notes, "ignored") != NULL, "damaged cache: warned");
	srv_reap(pid);

	/*
	 * The trust store changed under the same settings (the system store,
	 * SSL_CERT_FILE): the cached session's certificate no longer
	 * verifies, so it is not offered, and the full handshake fails.
	 */
	unlink(cache);
	cfg.cafile = NULL;
	setenv("SSL_CERT_FILE", ca, 1);
	sp.conns = 3;
	if ((pid = srv_start(&sp, &port)) == -1) {
		ok(0, "resume: server");
		unsetenv("SSL_CERT_FILE");
		return;
	}
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && info.verified, "system store with our CA: verified");
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == 0 && info.resumed, "system store with our CA: resumed");
	setenv("SSL_CERT_FILE", ca2, 1);
	rc = resume_run(port, &cfg, &info, &err);
	ok(rc == SMTPC_ETLS, "CA gone from the store: refused, even cached");
	ok(strstr(notes, "fails the checks now") != NULL,
	    "CA gone: the cached session was not offered");
	printf("# %s\n", err.message);
	unsetenv("SSL_CERT_FILE");
	srv_reap(pid);

	/* TLS 1.2, tickets and then session IDs. */
	cfg.cafile = ca;
	sp.tls_max = TLS1_2_VERSION;
	for (sp.no_ticket = 0; sp.no_ticket <= 1; sp.no_ticket++) {
		unlink(cache);
		if ((pid = srv_start(&sp, &port)) == -1)
			continue;
		rc = resume_run(port, &cfg, &info, &err);
		ok(rc == 0 && !info.resumed, "TLS 1.2: full handshake");
		rc = resume_run(port, &cfg, &info, &err);
		ok(rc == 0 && info.resumed &&
		    strcmp(info.version, "TLSv1.2") == 0, sp.no_ticket ?
		    "TLS 1.2 session ID: resumed" :
		    "TLS 1.2 ticket: resumed");
		rc = resume_run(port, &cfg, &info, &err);
		ok(rc == 0 && info.resumed, "TLS 1.2: resumed again");
		srv_reap(pid);
	}
	unlink(cache);
}

static void
test_tls(void)
{
	struct smtpc_tls_info info;
	struct smtpc_error err;
	struct srv_spec sp;
	struct conn *c;
	char ca[128], line[128];
	struct conn_tls_cfg lcfg = { .host = "localhost", .cafile = ca };
	size_t len;
	pid_t pid;
	int rc;

	if (make_certs() != 0) {
		skip("openssl could not make test certificates");
		remove_certs();
		return;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);

	/* Verified, by name. */
	memset(&sp, 0, sizeof(sp));
	sp.tls = 1;
	sp.cert = "srv";
	sp.fn = fn_echo;
	sp.arg = "220 tls ok\r\n";
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	ok(rc == 0, "TLS with the CA as cafile: handshake");
	if (rc != 0)
		printf("# %s\n", err.message);
	if (c != NULL) {
		ok(conn_is_tls(c), "conn_is_tls");
		ok(conn_tls_info(c, &info) == 0, "conn_tls_info");
		eq_str(info.version, "TLSv1.3", "TLS version");
		ok(info.verified == 1, "verified");
		ok(strstr(info.subject, "localhost") != NULL,
		    "subject names localhost");
		ok(strstr(info.issuer, "smtpc test CA") != NULL,
		    "issuer is the test CA");
		ok(strlen(info.cipher) > 0, "cipher named");
		ok(strlen(info.not_after) == 23 &&
		    strcmp(info.not_after + 19, " UTC") == 0 &&
		    info.not_after[4] == '-' && info.not_after[13] == ':',
		    "notAfter as YYYY-MM-DD HH:MM:SS UTC");
		rc = conn_read_line(c, line, sizeof(line), &len,
		    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : err.message, "220 tls ok",
		    "line read over TLS");
		rc = conn_write(c, "EHLO x\r\n", 8, conn_now_ms() + 2000,
		    &err);
		if (rc == 0)
			rc = conn_flush(c, conn_now_ms() + 2000, &err);
		if (rc == 0)
			rc = conn_read_line(c, line, sizeof(line), &len,
			    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : err.message, "EHLO x",
		    "write and echo over TLS");
		conn_close(c);
	}
	srv_reap(pid);

	/* Verified, by IP address (IP SAN). */
	sp.fn = fn_say;
	rc = tls_to(&sp, "127.0.0.1", "127.0.0.1", ca, 0, &pid, &c, &err);
	ok(rc == 0, "TLS to 127.0.0.1 checks the IP SAN");
	if (c != NULL) {
		conn_tls_info(c, &info);
		ok(info.verified == 1, "IP literal: verified");
		conn_close(c);
	}
	srv_reap(pid);

	/* Verified over IPv6, by IP address. */
	sp.family = AF_INET6;
	rc = tls_to(&sp, "::1", "::1", ca, 0, &pid, &c, &err);
	if (pid == -1) {
		skip("no IPv6 loopback");
	} else {
		ok(rc == 0, "TLS to ::1 checks the IPv6 SAN");
		if (c != NULL)
			conn_close(c);
		srv_reap(pid);
	}
	sp.family = 0;

	/* No cafile: the system store does not know our CA. */
	rc = tls_to(&sp, "127.0.0.1", "localhost", NULL, 0, &pid, &c, &err);
	ok(rc == SMTPC_ETLS, "TLS without the CA: ETLS");
	ok(strncmp(err.message, "certificate verify failed: ", 27) == 0,
	    "without the CA: says certificate verify failed");
	printf("# %s\n", err.message);
	srv_reap(pid);

	/* A certificate for another name. */
	sp.cert = "other";
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	ok(rc == SMTPC_ETLS, "certificate for another name: ETLS");
	eq_str(err.message, "certificate verify failed: hostname mismatch "
	    "(the certificate is for other.example)",
	    "another name: says hostname mismatch and the name");
	printf("# %s\n", err.message);
	srv_reap(pid);

	/* Insecure accepts it, and says it did not verify. */
	rc = tls_to(&sp, "127.0.0.1", "localhost", NULL, 1, &pid, &c, &err);
	ok(rc == 0, "insecure: handshake succeeds");
	if (c != NULL) {
		ok(conn_tls_info(c, &info) == 0 && info.verified == 0,
		    "insecure: verified = 0");
		conn_close(c);
	}
	srv_reap(pid);
	sp.cert = "srv";

	/* An unreadable cafile. */
	rc = tls_to(&sp, "127.0.0.1", "localhost", "/nonexistent/ca.pem", 0,
	    &pid, &c, &err);
	ok(rc == SMTPC_ETLS, "missing cafile: ETLS");
	ok(strstr(err.message, "/nonexistent/ca.pem") != NULL,
	    "missing cafile: named");
	srv_reap(pid);

	/* Bytes injected before the handshake (with the 220, or after). */
	memset(&sp, 0, sizeof(sp));
	sp.pre = "220 go ahead\r\n250 injected\r\n";
	sp.tls = 1;
	sp.cert = "srv";
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		ok(rc == 0 && conn_pending(c) > 0, "injected bytes buffered");
		rc = conn_start_tls(c, &lcfg,
		    conn_now_ms() + 2000, &err);
		ok(rc == SMTPC_EPROTO, "buffered injection: EPROTO");
		ok(!conn_is_tls(c), "no TLS after the refusal");
		conn_close(c);
	}
	srv_reap(pid);
	sp.pre = "250 injected\r\n";
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		sleep_ms(100);	/* let the bytes arrive */
		rc = conn_start_tls(c, &lcfg,
		    conn_now_ms() + 2000, &err);
		ok(rc == SMTPC_EPROTO, "bytes waiting on the socket: EPROTO");
		conn_close(c);
	}
	srv_reap(pid);

	/* A TLS 1.1 server. */
	memset(&sp, 0, sizeof(sp));
	sp.tls = 1;
	sp.cert = "srv";
	sp.tls_max = TLS1_1_VERSION;
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	ok(rc == SMTPC_ETLS, "TLS 1.1 server: ETLS");
	printf("# %s\n", err.message);
	srv_reap(pid);

	/* A TLS 1.2 server is fine. */
	sp.tls_max = TLS1_2_VERSION;
	sp.fn = fn_say;
	sp.arg = "220 tls12\r\n";
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	ok(rc == 0, "TLS 1.2 server: handshake");
	if (c != NULL) {
		conn_tls_info(c, &info);
		eq_str(info.version, "TLSv1.2", "TLS 1.2 server: version");
		ok(info.verified == 1, "TLS 1.2 server: verified");
		conn_close(c);
	}
	srv_reap(pid);

	/* A server that accepts and never answers the ClientHello. */
	memset(&sp, 0, sizeof(sp));
	sp.fn = fn_silent;
	c = open_to(&sp, "127.0.0.1", &pid, &err);
	if (c != NULL) {
		int64_t t0 = conn_now_ms();

		rc = conn_start_tls(c, &lcfg,
		    t0 + 300, &err);
		ok(rc == SMTPC_ETIMEOUT && conn_now_ms() - t0 < 500,
		    "silent TLS server: ETIMEOUT on time");
		conn_close(c);
	}
	srv_reap(pid);

	/* 5 MB through TLS. */
	memset(&sp, 0, sizeof(sp));
	sp.tls = 1;
	sp.cert = "srv";
	sp.fn = fn_sink;
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	ok(rc == 0, "TLS sink: handshake");
	if (c != NULL) {
		big_write(c, "TLS");
		conn_close(c);
	}
	srv_reap(pid);

	/* A TLS peer that resets: ECONN, no SIGPIPE. */
	sp.fn = fn_reset;
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	if (c != NULL) {
		static unsigned char junk[256 * 1024];
		int i;

		srv_reap(pid);
		pid = -1;
		for (i = 0; i < 40 && rc == 0; i++) {
			rc = conn_write(c, junk, sizeof(junk),
			    conn_now_ms() + 2000, &err);
			if (rc == 0)
				rc = conn_flush(c, conn_now_ms() + 2000, &err);
		}
		ok(rc == SMTPC_ECONN, "TLS write to a reset peer: ECONN");
		printf("# %s\n", err.message);
		conn_close(c);
	}
	srv_reap(pid);

	/* Ends of a TLS connection: close_notify or not, it is a close. */
	memset(&sp, 0, sizeof(sp));
	sp.tls = 1;
	sp.cert = "srv";
	sp.fn = fn_abort;
	sp.arg = "250 last\r\n250 cut";
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	if (c != NULL) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : err.message, "250 last",
		    "TLS line before an abrupt close");
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		ok(rc == SMTPC_ECONN, "TLS close without close_notify: ECONN");
		eq_str(err.message, "server closed the connection",
		    "no close_notify: message");
		ok(conn_start_tls(c, &lcfg,
		    conn_now_ms() + 2000, &err) == SMTPC_EINVAL,
		    "start_tls twice: EINVAL");
		conn_close(c);
	} else {
		ok(0, "abort server: handshake");
	}
	srv_reap(pid);
	sp.fn = fn_tiny;
	sp.arg = "250 bye\r\n";
	rc = tls_to(&sp, "127.0.0.1", "localhost", ca, 0, &pid, &c, &err);
	if (c != NULL) {
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		eq_str(rc == 0 ? line : err.message, "250 bye",
		    "TLS line sent in single-byte records");
		rc = conn_read_line(c, line, sizeof(line), NULL,
		    conn_now_ms() + 2000, &err);
		ok(rc == SMTPC_ECONN, "TLS close_notify: ECONN");
		conn_close(c);
	} else {
		ok(0, "tiny TLS server: handshake");
	}
	srv_reap(pid);

	test_pin(&sp);
	test_resume();
	ok(conn_tls_info(NULL, &info) == SMTPC_EINVAL, "tls_info(NULL)");
	remove_certs();
}

int
main(void)
{
	int64_t t0 = conn_now_ms();

	/* A SIGPIPE from the library must kill the test, so make it fatal. */
	signal(SIGPIPE, SIG_DFL);
	test_connect();
	test_resolver();
	test_lines();
	test_deadlines();
	test_quick_ack();
	test_writes();
	test_tls();
	printf("# took %lld ms\n", (long long)(conn_now_ms() - t0));
	return tap_done();
}
