/*
 * conn.c - one connection to a server: resolve and connect with a deadline,
 * buffered line reads and batched writes, and TLS over OpenSSL.
 *
 * The socket is non-blocking from the start; every wait is a poll() with
 * the time left before the caller's absolute deadline, so a server that
 * trickles one byte a second cannot stretch a call past it.
 *
 * SIGPIPE: a write to a socket the peer has reset raises SIGPIPE, which
 * kills a program that did not ignore it, and a library must not change
 * the process's signal dispositions or mask.  Plain writes use send() with
 * MSG_NOSIGNAL.  OpenSSL's socket BIO calls write(), so TLS goes through a
 * small BIO of our own (conn_bio_*) that calls send(MSG_NOSIGNAL) and
 * recv() on our descriptor.  The BIO_METHOD is made per connection: no
 * global state, nothing left allocated at exit.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ares.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "error.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate SSL_get_peer_certificate
#endif

#define CONN_IN_SIZE	(16u * 1024)
#define CONN_OUT_SIZE	(64u * 1024)
#define CONN_HOST_MAX	256

/* Not an OpenSSL type number: ours, for BIO_find_type and debugging. */
#define CONN_BIO_TYPE	((BIO_TYPE_START + 0x53) | BIO_TYPE_SOURCE_SINK | \
	BIO_TYPE_DESCRIPTOR)

struct conn {
	int fd;
	unsigned port;
	char host[CONN_HOST_MAX];

	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *biometh;
	int tls_verified;
	int tls_dead;		/* fatal TLS error: no close_notify */
	int cert_requested;	/* the server asked for a client certificate
				   we do not have */

	size_t in_off;		/* first unread byte of in[] */
	size_t in_len;		/* end of the buffered bytes */
	size_t out_len;
	unsigned char in[CONN_IN_SIZE];
	unsigned char out[CONN_OUT_SIZE];
};

int64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* XSI strerror_r: thread-safe, unlike strerror(). */
static const char *
conn_strerror(int e, char *buf, size_t cap)
{
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
}

/*
 * Wait until fd is ready for `events` or the deadline passes.  Returns 0
 * when ready (or in error: the next I/O call reports it), SMTPC_ETIMEOUT.
 */
static int
conn_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - conn_now_ms();
		if (left <= 0)
			return SMTPC_ETIMEOUT;
		if (left > INT_MAX)
			left = INT_MAX;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			continue;	/* re-check the clock, then give up */
		if (errno != EINTR)
			return 0;	/* let the I/O call report it */
	}
}

/*
 * RFC 6761 6.4: names under .invalid never resolve; answering locally also
 * keeps such a lookup (and the unit tests) off the network.
 */
static int
conn_is_invalid_tld(const char *host)
{
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 7 && strncasecmp(host, "invalid", 7) == 0)
		return 1;
	return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}

static int
conn_is_ip_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* One address to try, in the order the resolver gave. */
struct conn_addr {
	socklen_t len;
	struct sockaddr_storage ss;
};

/*
 * Append sa with `port`; IPv4 and IPv6 only (a socket for anything else
 * would not speak TCP).
 */
static void
conn_addr_add(struct conn_addr *list, size_t *n, const struct sockaddr *sa,
    socklen_t len, unsigned port)
{
	struct conn_addr *a = &list[*n];

	if (len > sizeof(a->ss) || (sa->sa_family == AF_INET &&
	    len < sizeof(struct sockaddr_in)) || (sa->sa_family == AF_INET6 &&
	    len < sizeof(struct sockaddr_in6)) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, sa, len);
	a->len = len;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port =
		    htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port =
		    htons((uint16_t)port);
	(*n)++;
}

/*
 * An address literal ("192.0.2.1", "2001:db8::1", "fe80::1%eth0"), parsed
 * by getaddrinfo with AI_NUMERICHOST, which never asks a resolver.
 * Returns 1 when host is no literal, 0 with *ret (one calloc'd array), or
 * an error.
 */
static int
conn_numeric(const char *host, unsigned port, struct conn_addr **ret,
    size_t *ret_n, struct smtpc_error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct conn_addr *list;
	size_t n = 0;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == EAI_MEMORY)
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory resolving %s", host);
	if (rc != 0)
		return 1;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	if ((list = calloc(n, sizeof(*list))) == NULL) {
		freeaddrinfo(res);
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory resolving %s", host);
	}
	n = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		conn_addr_add(list, &n, ai->ai_addr, ai->ai_addrlen, port);
	freeaddrinfo(res);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* What c-ares's callback hands over; the channel lives on our stack. */
struct conn_lookup {
	int done;
	int status;
	struct ares_addrinfo *res;
};

static void
conn_lookup_done(void *arg, int status, int timeouts,
    struct ares_addrinfo *res)
{
	struct conn_lookup *l = arg;

	(void)timeouts;
	l->done = 1;
	l->status = status;
	if (status == ARES_SUCCESS)
		l->res = res;
	else
		ares_freeaddrinfo(res);	/* NULL on failure; to be sure */
}

/*
 * The split glibc's getaddrinfo makes: a name that does not exist or has
 * no address, and a server calling our query malformed (FORMERR: no retry
 * will change it), are SMTPC_ENOHOST; anything else is the resolver
 * failing for now (SERVFAIL, NOTIMP, REFUSED, no server reachable, its own
 * retries exhausted; EAI_AGAIN from glibc), SMTPC_ETEMP.
 */
static int
conn_lookup_fail(int status, const char *host, struct smtpc_error *err)
{
	switch (status) {
	case ARES_ENOMEM:
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory resolving %s", host);
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_EFORMERR:
	case ARES_EBADNAME:
		return error_set(err, SMTPC_ENOHOST, "connect",
		    "cannot resolve %s: %s", host, ares_strerror(status));
	default:
		return error_set(err, SMTPC_ETEMP, "connect",
		    "cannot resolve %s: %s", host, ares_strerror(status));
	}
}

/*
 * Wait for c-ares's sockets or its next retry, never past `deadline`,
 * and let it process what happened.  poll(), not ares_fds(): select's
 * fd_set cannot hold a descriptor above FD_SETSIZE.
 */
static void
conn_lookup_step(ares_channel ch, int64_t deadline)
{
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct timeval maxtv, tv, *tvp;
	int64_t left, wait;
	ares_socket_t rfd, wfd;
	nfds_t n = 0;
	unsigned bits;
	int i, r, rd, wr;

	/*
	 * The bits as unsigned: ARES_GETSOCK_WRITABLE shifts a signed 1 into
	 * the sign bit for the last socket.
	 */
	bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		rd = (bits & (1u << i)) != 0;
		wr = (bits & (1u << (i + ARES_GETSOCK_MAXNUM))) != 0;
		if (!rd && !wr)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = 0;
		if (rd)
			pfd[n].events |= POLLIN;
		if (wr)
			pfd[n].events |= POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	left = deadline - conn_now_ms();
	if (left <= 0)
		return;
	maxtv.tv_sec = (time_t)(left / 1000);
	maxtv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	tvp = ares_timeout(ch, &maxtv, &tv);
	/* Round up: waking early would spin until the retry is due. */
	wait = (int64_t)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
	if (wait > left)
		wait = left;
	if (wait > INT_MAX)
		wait = INT_MAX;
	r = poll(pfd, n, (int)wait);
	if (r <= 0) {
		/* Retries and timeouts only; EINTR: the caller loops. */
		if (r == 0)
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return;
	}
	for (i = 0; i < (int)n; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* An error or hang-up is for c-ares's read to find. */
		rfd = (pfd[i].revents & ~POLLOUT) != 0 ? pfd[i].fd :
		    ARES_SOCKET_BAD;
		wfd = (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)) != 0 ?
		    pfd[i].fd : ARES_SOCKET_BAD;
		ares_process_fd(ch, rfd, wfd);
	}
}

/*
 * This machine's name for EHLO: the host name when it has a dot, else the
 * canonical name /etc/hosts gives it.  The hosts file only: this runs
 * before any deadline is set, and a lookup that waits on a resolver here
 * would stretch the connect stage unbounded.
 */
int
conn_own_name(char *out, size_t cap)
{
	struct hostent *he = NULL;
	ares_channel ch;
	char name[256];
	int rc = -1;

	if (gethostname(name, sizeof(name)) != 0)
		return -1;
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.') == NULL) {
		if (ares_init(&ch) != ARES_SUCCESS)
			return -1;
		if (ares_gethostbyname_file(ch, name, AF_INET, &he) !=
		    ARES_SUCCESS && ares_gethostbyname_file(ch, name,
		    AF_INET6, &he) != ARES_SUCCESS)
			he = NULL;
		if (he != NULL && he->h_name != NULL)
			snprintf(name, sizeof(name), "%s", he->h_name);
		if (he != NULL)
			ares_free_hostent(he);
		ares_destroy(ch);
	}
	if (strchr(name, '.') != NULL &&
	    (size_t)snprintf(out, cap, "%s", name) < cap)
		rc = 0;
	return rc;
}

/*
 * Resolve a name with c-ares (/etc/hosts, then DNS as /etc/resolv.conf
 * says; c-ares follows nsswitch.conf's order), within `deadline`:
 * getaddrinfo would wait for the resolver's own timeouts and retries,
 * ten seconds with the defaults and more with several servers.
 *
 * One channel per lookup, destroyed before returning: nothing is shared
 * between threads or kept between calls.  ares_library_init() is not
 * called: it only counts its callers (unlocked, a race between threads)
 * and sets up Winsock; everywhere else c-ares works without it
 * (ares_library_init(3)).
 */
static int
conn_resolve(const char *host, unsigned port, int64_t deadline,
    struct conn_addr **ret, size_t *ret_n, struct smtpc_error *err)
{
	struct ares_addrinfo_hints hints;
	struct ares_addrinfo_node *node;
	struct conn_lookup l;
	struct conn_addr *list;
	ares_channel ch;
	int64_t t0 = conn_now_ms(), ms;
	size_t n = 0;
	int rc;

	if ((rc = ares_init(&ch)) != ARES_SUCCESS)
		return conn_lookup_fail(rc, host, err);
	memset(&l, 0, sizeof(l));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No ADDRCONFIG: it would hide ::1 on hosts whose only IPv6 is lo. */
	ares_getaddrinfo(ch, host, NULL, &hints, conn_lookup_done, &l);
	while (!l.done && conn_now_ms() < deadline)
		conn_lookup_step(ch, deadline);
	/* A lookup still running ends here, its callback with EDESTRUCTION. */
	rc = l.done;
	ares_destroy(ch);
	if (!rc) {
		ms = conn_now_ms() - t0;
		if (ms >= 1000)
			return error_set(err, SMTPC_ETIMEOUT, "connect",
			    "cannot resolve %s: timed out after %lld s", host,
			    (long long)((ms + 500) / 1000));
		return error_set(err, SMTPC_ETIMEOUT, "connect",
		    "cannot resolve %s: timed out after %lld ms", host,
		    (long long)ms);
	}
	if (l.status != ARES_SUCCESS)
		return conn_lookup_fail(l.status, host, err);

	for (node = l.res->nodes; node != NULL; node = node->ai_next)
		n++;
	if ((list = calloc(n > 0 ? n : 1, sizeof(*list))) == NULL) {
		ares_freeaddrinfo(l.res);
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory resolving %s", host);
	}
	n = 0;
	for (node = l.res->nodes; node != NULL; node = node->ai_next)
		conn_addr_add(list, &n, node->ai_addr, node->ai_addrlen, port);
	ares_freeaddrinfo(l.res);
	if (n == 0) {
		free(list);
		return conn_lookup_fail(ARES_ENODATA, host, err);
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

/*
 * Connect one socket to one address.  Returns the fd, or -1 with *ret_errno
 * set (ETIMEDOUT when the deadline passed).
 */
static int
conn_try_addr(const struct conn_addr *a, int64_t deadline, int *ret_errno)
{
	int fd, one = 1, soerr = 0;
	socklen_t len = sizeof(soerr);

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		*ret_errno = errno;
		return -1;
	}
	/* We write whole commands; Nagle plus delayed ACK would stall. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		*ret_errno = errno;
		close(fd);
		return -1;
	}
	if (conn_wait(fd, POLLOUT, deadline) != 0) {
		*ret_errno = ETIMEDOUT;
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr != 0) {
		*ret_errno = soerr;
		close(fd);
		return -1;
	}
	return fd;
}

int
conn_open(struct conn **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	struct conn_addr *addrs = NULL;
	struct conn *c;
	char ebuf[128];
	size_t naddr = 0, i;
	int fd = -1, rc, last_errno = 0;
	int64_t now, attempt_deadline;

	if (host == NULL || *host == '\0' || port == 0 || port > 65535)
		return error_set(err, SMTPC_EINVAL, "connect",
		    "no server host or bad port");
	if (strlen(host) >= CONN_HOST_MAX)
		return error_set(err, SMTPC_ENOHOST, "connect",
		    "cannot resolve host: name too long");
	if (conn_is_invalid_tld(host))
		return error_set(err, SMTPC_ENOHOST, "connect",
		    "cannot resolve %s: %s", host,
		    ares_strerror(ARES_ENOTFOUND));

	/* An address literal needs no resolver, and waits for none. */
	rc = conn_numeric(host, port, &addrs, &naddr, err);
	if (rc == 1)
		rc = conn_resolve(host, port, deadline, &addrs, &naddr, err);
	if (rc != 0)
		return rc;

	/*
	 * Addresses are tried in the resolver's order.  Each but the last
	 * gets an equal share of the time left, so one black-holed address
	 * cannot eat the whole budget.
	 */
	for (i = 0; i < naddr && fd == -1; i++) {
		now = conn_now_ms();
		if (now >= deadline) {
			last_errno = ETIMEDOUT;
			break;
		}
		attempt_deadline = deadline;
		if (naddr - i > 1)
			attempt_deadline = now + (deadline - now) /
			    (int64_t)(naddr - i);
		fd = conn_try_addr(&addrs[i], attempt_deadline, &last_errno);
	}
	free(addrs);

	if (fd == -1) {
		if (last_errno == ETIMEDOUT)
			return error_set(err, SMTPC_ETIMEOUT, "connect",
			    "connection to %s port %u timed out", host, port);
		if (last_errno == ECONNREFUSED)
			return error_set(err, SMTPC_ECONN, "connect",
			    "connection to %s port %u refused", host, port);
		if (last_errno == EMFILE || last_errno == ENFILE ||
		    last_errno == ENOBUFS || last_errno == ENOMEM)
			return error_set(err, SMTPC_EIO, "connect",
			    "cannot create a socket: %s",
			    conn_strerror(last_errno, ebuf, sizeof(ebuf)));
		return error_set(err, SMTPC_ECONN, "connect",
		    "connection to %s port %u failed: %s", host, port,
		    conn_strerror(last_errno, ebuf, sizeof(ebuf)));
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory");
	}
	c->fd = fd;
	c->port = port;
	snprintf(c->host, sizeof(c->host), "%s", host);
	*ret = c;
	return 0;
}

size_t
conn_pending(const struct conn *c)
{
	return c->in_len - c->in_off;
}

int
conn_is_tls(const struct conn *c)
{
	return c != NULL && c->ssl != NULL;
}

/*
 * The first queued OpenSSL error as text, or `fallback`.  Drains the
 * thread's queue so a later call does not see stale errors.
 */
static const char *
conn_ssl_errstr(char *buf, size_t cap, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *p;

	if (e == 0) {
		snprintf(buf, cap, "%s", fallback);
	} else {
		ERR_error_string_n(e, buf, cap);
		/* "error:0A000086:SSL routines::reason": keep the reason. */
		p = strrchr(buf, ':');
		if (p != NULL && p[1] != '\0')
			memmove(buf, p + 1, strlen(p + 1) + 1);
	}
	ERR_clear_error();
	return buf;
}

/*
 * The peer closed the TCP connection, with or without close_notify.
 * OpenSSL 3 reports a missing close_notify as an SSL error; SMTP is
 * self-delimiting (a reply ends with its last line), so a truncation
 * cannot pass for a complete reply and the missing alert is just a close.
 */
static int
conn_ssl_is_eof(int e, int saved_errno)
{
	unsigned long q = ERR_peek_error();

	if (e == SSL_ERROR_SYSCALL && q == 0)
		return saved_errno == 0 || saved_errno == EAGAIN;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (e == SSL_ERROR_SSL && ERR_GET_LIB(q) == ERR_LIB_SSL &&
	    ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return 1;
#endif
	return 0;
}

/*
 * A failed SSL_* call with its SSL_get_error() code `e`, as our error.
 * WANT_* never arrive here.
 */
static int
conn_ssl_fail(struct conn *c, int e, const char *what,
    struct smtpc_error *err)
{
	char buf[256], ebuf[128];
	int saved = errno;

	c->tls_dead = 1;
	/*
	 * In TLS 1.3 a server refuses a missing client certificate after
	 * the client's handshake ended: the first read or write fails, often
	 * as a plain reset.  Say what the server wanted.
	 */
	if (c->cert_requested) {
		ERR_clear_error();
		return error_set(err, SMTPC_ETLS, "TLS",
		    "server requires a client certificate (use --cert and "
		    "--key)");
	}
	if (e == SSL_ERROR_ZERO_RETURN || conn_ssl_is_eof(e, saved)) {
		ERR_clear_error();
		return error_set(err, SMTPC_ECONN, NULL,
		    "server closed the connection");
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		ERR_clear_error();
		return error_set(err, SMTPC_ECONN, NULL, "%s: %s", what,
		    conn_strerror(saved, ebuf, sizeof(ebuf)));
	}
	return error_set(err, SMTPC_ETLS, NULL, "%s: %s", what,
	    conn_ssl_errstr(buf, sizeof(buf), "unknown TLS error"));
}

/*
 * Read more bytes into in[] (which must have room).  Returns 0 when at
 * least one byte arrived.
 */
static int
conn_fill(struct conn *c, int64_t deadline, struct smtpc_error *err)
{
	unsigned char *dst = c->in + c->in_len;
	size_t room = sizeof(c->in) - c->in_len;
	char ebuf[128];
	ssize_t n;
	short ev;
	int r, e;

	for (;;) {
		ev = POLLIN;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, dst, room > INT_MAX ? INT_MAX :
			    (int)room);
			if (r > 0) {
				c->in_len += (size_t)r;
				return 0;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else if (e != SSL_ERROR_WANT_READ)
				return conn_ssl_fail(c, e, "TLS read failed",
				    err);
		} else {
			n = recv(c->fd, dst, room, 0);
			if (n > 0) {
				c->in_len += (size_t)n;
				return 0;
			}
			if (n == 0)
				return error_set(err, SMTPC_ECONN, NULL,
				    "server closed the connection");
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return error_set(err, SMTPC_ECONN, NULL,
				    "read from %s failed: %s", c->host,
				    conn_strerror(errno, ebuf, sizeof(ebuf)));
		}
		if (conn_wait(c->fd, ev, deadline) != 0)
			return error_set(err, SMTPC_ETIMEOUT, NULL,
			    "timed out waiting for %s", c->host);
	}
}

int
conn_read_line(struct conn *c, char *out, size_t cap, size_t *ret_len,
    int64_t deadline, struct smtpc_error *err)
{
	unsigned char *start, *lf;
	size_t scanned = 0, avail, len;
	int rc;

	if (cap == 0)
		return error_set(err, SMTPC_EINVAL, NULL, "%s: no room",
		    __func__);
	/* Waiting for an answer to a command still queued would deadlock. */
	if ((rc = conn_flush(c, deadline, err)) != 0)
		return rc;
	for (;;) {
		start = c->in + c->in_off;
		avail = c->in_len - c->in_off;
		lf = memchr(start + scanned, '\n', avail - scanned);
		if (lf != NULL)
			break;
		scanned = avail;
		/* cap - 1 bytes of text, and perhaps the CR of the CRLF. */
		if (avail > cap)
			return error_set(err, SMTPC_ELIMIT, NULL,
			    "line from server longer than %zu bytes",
			    cap - 1);
		if (c->in_len == sizeof(c->in)) {
			if (c->in_off == 0)
				return error_set(err, SMTPC_ELIMIT, NULL,
				    "line from server longer than %zu bytes",
				    sizeof(c->in) - 2);
			memmove(c->in, start, avail);
			c->in_off = 0;
			c->in_len = avail;
		}
		if ((rc = conn_fill(c, deadline, err)) != 0)
			return rc;
	}
	len = (size_t)(lf - start);
	c->in_off += len + 1;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (len > cap - 1)
		return error_set(err, SMTPC_ELIMIT, NULL,
		    "line from server longer than %zu bytes", cap - 1);
	memcpy(out, start, len);
	out[len] = '\0';
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

/* Send all of data[0..len) on the socket or through TLS. */
static int
conn_send_all(struct conn *c, const unsigned char *data, size_t len,
    int64_t deadline, struct smtpc_error *err)
{
	char ebuf[128];
	size_t chunk;
	ssize_t n;
	short ev;
	int r, e;

	while (len > 0) {
		ev = POLLOUT;
		chunk = len > INT_MAX ? INT_MAX : len;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, data, (int)chunk);
			if (r > 0) {
				data += r;
				len -= (size_t)r;
				continue;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (e != SSL_ERROR_WANT_WRITE)
				return conn_ssl_fail(c, e, "TLS write failed",
				    err);
		} else {
			n = send(c->fd, data, chunk, MSG_NOSIGNAL);
			if (n > 0) {
				data += n;
				len -= (size_t)n;
				continue;
			}
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				if (errno == EPIPE || errno == ECONNRESET)
					return error_set(err, SMTPC_ECONN,
					    NULL, "server closed the "
					    "connection");
				return error_set(err, SMTPC_ECONN, NULL,
				    "write to %s failed: %s", c->host,
				    conn_strerror(errno, ebuf, sizeof(ebuf)));
			}
		}
		if (conn_wait(c->fd, ev, deadline) != 0)
			return error_set(err, SMTPC_ETIMEOUT, NULL,
			    "timed out sending to %s", c->host);
	}
	return 0;
}

int
conn_flush(struct conn *c, int64_t deadline, struct smtpc_error *err)
{
	int rc;

	if (c->out_len == 0)
		return 0;
	rc = conn_send_all(c, c->out, c->out_len, deadline, err);
	/* Sent or not, what was queued may hold AUTH data. */
	OPENSSL_cleanse(c->out, c->out_len);
	c->out_len = 0;
	return rc;
}

int
conn_write(struct conn *c, const void *data, size_t len, int64_t deadline,
    struct smtpc_error *err)
{
	const unsigned char *p = data;
	size_t room;
	int rc;

	if (len <= sizeof(c->out) - c->out_len) {
		memcpy(c->out + c->out_len, p, len);
		c->out_len += len;
		return 0;
	}
	/* Top the buffer up so it goes out as full records, then send it. */
	if (c->out_len > 0) {
		room = sizeof(c->out) - c->out_len;
		memcpy(c->out + c->out_len, p, room);
		c->out_len += room;
		p += room;
		len -= room;
		if ((rc = conn_flush(c, deadline, err)) != 0)
			return rc;
	}
	/* Whole buffers' worth straight from the caller's memory. */
	if (len >= sizeof(c->out)) {
		size_t direct = len - len % sizeof(c->out);

		if ((rc = conn_send_all(c, p, direct, deadline, err)) != 0)
			return rc;
		p += direct;
		len -= direct;
	}
	memcpy(c->out, p, len);
	c->out_len = len;
	return 0;
}

/*
 * The BIO under SSL: our fd, send(MSG_NOSIGNAL) so a reset peer cannot
 * raise SIGPIPE, and retry flags so SSL_get_error() reports WANT_*.
 */
static int
conn_bio_write(BIO *b, const char *data, int len)
{
	struct conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = send(c->fd, data, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int
conn_bio_read(BIO *b, char *data, int len)
{
	struct conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (data == NULL || len <= 0)
		return 0;
	do
		n = recv(c->fd, data, (size_t)len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	if (n == 0)
		errno = 0;	/* EOF: SSL_ERROR_SYSCALL with errno 0 */
	return (int)n;
}

static int
conn_bio_puts(BIO *b, const char *s)
{
	return conn_bio_write(b, s, (int)strlen(s));
}

static long
conn_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct conn *c = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;	/* nothing buffered here */
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = c->fd;
		return c->fd;
	default:
		return 0;
	}
}

static int
conn_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *
conn_bio_new(struct conn *c)
{
	BIO *b;

	c->biometh = BIO_meth_new(CONN_BIO_TYPE, "smtpc socket");
	if (c->biometh == NULL ||
	    !BIO_meth_set_write(c->biometh, conn_bio_write) ||
	    !BIO_meth_set_read(c->biometh, conn_bio_read) ||
	    !BIO_meth_set_puts(c->biometh, conn_bio_puts) ||
	    !BIO_meth_set_ctrl(c->biometh, conn_bio_ctrl) ||
	    !BIO_meth_set_create(c->biometh, conn_bio_create))
		return NULL;
	if ((b = BIO_new(c->biometh)) == NULL)
		return NULL;
	BIO_set_data(b, c);
	return b;
}

/* Trust anchors: the system's, or cfg->cafile (a file or a directory). */
static int
conn_tls_load_ca(SSL_CTX *ctx, const char *cafile, struct smtpc_error *err)
{
	struct stat st;
	char buf[256], ebuf[128];
	int ok;

	if (cafile == NULL) {
		if (!SSL_CTX_set_default_verify_paths(ctx))
			return error_set(err, SMTPC_ETLS, "TLS",
			    "cannot load the system trust store: %s",
			    conn_ssl_errstr(buf, sizeof(buf), "unknown"));
		return 0;
	}
	if (stat(cafile, &st) == -1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot load CA file %s: %s", cafile,
		    conn_strerror(errno, ebuf, sizeof(ebuf)));
	if (S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_locations(ctx, NULL, cafile);
	else
		ok = SSL_CTX_load_verify_locations(ctx, cafile, NULL);
	if (!ok)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot load CA file %s: %s", cafile,
		    conn_ssl_errstr(buf, sizeof(buf), "no certificates"));
	return 0;
}

/* Called when the server asks for a certificate and we have none. */
static int
conn_no_client_cert(SSL *ssl, X509 **ret_cert, EVP_PKEY **ret_key)
{
	struct conn *c = SSL_get_app_data(ssl);

	(void)ret_cert;
	(void)ret_key;
	if (c != NULL)
		c->cert_requested = 1;
	return 0;
}

static int
conn_no_passphrase(char *buf, int size, int rwflag, void *user)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)user;
	return 0;
}

/* The client certificate (chain) and its key, both PEM. */
static int
conn_tls_client_cert(SSL_CTX *ctx, const struct conn_tls_cfg *cfg,
    struct smtpc_error *err)
{
	const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
	char buf[256];

	ERR_clear_error();
	/* A library never prompts: an encrypted key fails instead. */
	SSL_CTX_set_default_passwd_cb(ctx, conn_no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot use client certificate %s: %s", cfg->cert_file,
		    conn_ssl_errstr(buf, sizeof(buf), "not a PEM certificate"));
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot use client key %s: %s", key,
		    conn_ssl_errstr(buf, sizeof(buf), "not a PEM key"));
	if (SSL_CTX_check_private_key(ctx) != 1)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "client key %s does not match certificate %s", key,
		    cfg->cert_file);
	return 0;
}

/* "AB:CD:..." of a SHA-256; `out` holds at least 96 bytes. */
static void
conn_hex_colon(const unsigned char *md, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < n && o + 3 < cap; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 0xf];
	}
	out[o] = '\0';
}

/* SHA-256 of the peer certificate's DER; -1 when there is none. */
static int
conn_peer_sha256(SSL *ssl, unsigned char md[32])
{
	unsigned int n = 0;
	X509 *cert;
	int ok;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	ok = X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32;
	X509_free(cert);
	return ok ? 0 : -1;
}

/* With a pin, the certificate must be exactly the pinned one. */
static int
conn_check_pin(struct conn *c, const unsigned char *pin,
    struct smtpc_error *err)
{
	unsigned char md[32];
	char want[96], got[96];

	conn_hex_colon(pin, 32, want, sizeof(want));
	if (conn_peer_sha256(c->ssl, md) != 0)
		return error_set(err, SMTPC_ETLS, "TLS",
		    "server sent no certificate to check against the pinned "
		    "fingerprint %s", want);
	if (CRYPTO_memcmp(md, pin, 32) != 0) {
		conn_hex_colon(md, 32, got, sizeof(got));
		return error_set(err, SMTPC_ETLS, "TLS",
		    "certificate fingerprint mismatch: expected SHA256 %s, "
		    "server has %s", want, got);
	}
	return 0;
}

static int
conn_tls_setup(struct conn *c, const struct conn_tls_cfg *cfg,
    struct smtpc_error *err)
{
	X509_VERIFY_PARAM *param;
	char host[CONN_HOST_MAX];
	size_t n;
	BIO *bio;
	int rc, ip;

	/* "example.org." is the same name; SNI carries it without the dot. */
	snprintf(host, sizeof(host), "%s",
	    cfg->host != NULL ? cfg->host : c->host);
	n = strlen(host);
	if (n > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	ip = conn_is_ip_literal(host);

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS context");
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot require TLS 1.2");
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A mail client never needs TLS 1.2 renegotiation; refuse it. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
	/* A pin replaces the chain and name checks (checked after). */
	if (!cfg->insecure && cfg->pin_sha256 == NULL) {
		if ((rc = conn_tls_load_ca(c->ctx, cfg->cafile, err)) != 0)
			return rc;
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	}
	if (cfg->cert_file != NULL &&
	    (rc = conn_tls_client_cert(c->ctx, cfg, err)) != 0)
		return rc;
	if (cfg->cert_file == NULL)
		SSL_CTX_set_client_cert_cb(c->ctx, conn_no_client_cert);

	if ((c->ssl = SSL_new(c->ctx)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS connection");
	SSL_set_app_data(c->ssl, c);
	c->cert_requested = 0;
	/* SNI carries names only (RFC 6066 3). */
	if (!ip && !SSL_set_tlsext_host_name(c->ssl, host))
		return error_set(err, SMTPC_ETLS, "TLS",
		    "cannot set the server name %s", host);
	if (!cfg->insecure && cfg->pin_sha256 == NULL) {
		param = SSL_get0_param(c->ssl);
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ip ? !X509_VERIFY_PARAM_set1_ip_asc(param, host) :
		    !X509_VERIFY_PARAM_set1_host(param, host, 0))
			return error_set(err, SMTPC_ETLS, "TLS",
			    "cannot check the certificate against %s", host);
	}
	if ((bio = conn_bio_new(c)) == NULL)
		return error_set(err, SMTPC_ENOMEM, "TLS",
		    "cannot create a TLS transport");
	SSL_set_bio(c->ssl, bio, bio);
	return 0;
}

static void
conn_tls_teardown(struct conn *c)
{
	SSL_free(c->ssl);	/* frees the BIO too */
	c->ssl = NULL;
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	BIO_meth_free(c->biometh);
	c->biometh = NULL;
}

/*
 * For a host-name mismatch, " (the certificate is for NAME)" with the
 * certificate's first DNS name, IP address or else its common name, so the
 * user sees which server answered; "" otherwise.
 */
static void
conn_cert_for(SSL *ssl, long vr, char *out, size_t cap)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *g;
	const unsigned char *d;
	STACK_OF(X509) *chain;
	X509 *cert;
	char name[128] = "", ip[INET6_ADDRSTRLEN];
	int i, len;

	out[0] = '\0';
	if (vr != X509_V_ERR_HOSTNAME_MISMATCH &&
	    vr != X509_V_ERR_IP_ADDRESS_MISMATCH)
		return;
	/*
	 * The peer certificate is only recorded once verified; the chain
	 * (leaf first on a client) is kept before that.
	 */
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain == NULL || sk_X509_num(chain) < 1 ||
	    (cert = sk_X509_value(chain, 0)) == NULL)
		return;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			error_escape(name, sizeof(name), (const char *)d,
			    (size_t)len);
			break;
		}
		if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len == 4 && inet_ntop(AF_INET, d, ip,
			    sizeof(ip)) != NULL) || (len == 16 &&
			    inet_ntop(AF_INET6, d, ip, sizeof(ip)) != NULL)) {
				snprintf(name, sizeof(name), "%s", ip);
				break;
			}
		}
	}
	GENERAL_NAMES_free(gens);
	if (name[0] == '\0') {
		len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
		    NID_commonName, ip, sizeof(ip));
		if (len > 0)
			error_escape(name, sizeof(name), ip, (size_t)len);
	}
	if (name[0] != '\0')
		snprintf(out, cap, " (the certificate is for %s)", name);
}

int
conn_start_tls(struct conn *c, const struct conn_tls_cfg *cfg,
    int64_t deadline, struct smtpc_error *err)
{
	unsigned char peek;
	char buf[256], name[192];
	long vr;
	ssize_t n;
	short ev;
	int rc, r, e, saved;

	if (cfg == NULL)
		return error_set(err, SMTPC_EINVAL, "TLS", "%s: no config",
		    __func__);
	if (c->ssl != NULL)
		return error_set(err, SMTPC_EINVAL, "TLS",
		    "TLS is already active");
	/*
	 * Whatever the server sent before the handshake was sent in clear
	 * and could be an attacker's (STARTTLS command injection): it would
	 * be read later as if it came over TLS.  In TLS the client speaks
	 * first, so any byte already waiting on the socket is such a byte.
	 */
	n = recv(c->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
	if (conn_pending(c) > 0 || n > 0)
		return error_set(err, SMTPC_EPROTO, "TLS",
		    "the server sent data before the TLS handshake");
	if ((rc = conn_flush(c, deadline, err)) != 0)
		return rc;

	if ((rc = conn_tls_setup(c, cfg, err)) != 0) {
		conn_tls_teardown(c);
		return rc;
	}
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		saved = errno;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			if (conn_wait(c->fd, ev, deadline) == 0)
				continue;
			rc = error_set(err, SMTPC_ETIMEOUT, "TLS",
			    "TLS handshake with %s timed out", c->host);
		} else if (!cfg->insecure &&
		    (vr = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
			ERR_clear_error();
			conn_cert_for(c->ssl, vr, name, sizeof(name));
			rc = error_set(err, SMTPC_ETLS, "TLS",
			    "certificate verify failed: %s%s",
			    X509_verify_cert_error_string(vr), name);
		} else if (c->cert_requested) {
			rc = error_set(err, SMTPC_ETLS, "TLS",
			    "server requires a client certificate (use --cert "
			    "and --key)");
		} else if (conn_ssl_is_eof(e, saved)) {
			rc = error_set(err, SMTPC_ETLS, "TLS",
			    "server closed the connection during the TLS "
			    "handshake");
		} else {
			rc = error_set(err, SMTPC_ETLS, "TLS",
			    "TLS handshake with %s failed: %s", c->host,
			    conn_ssl_errstr(buf, sizeof(buf), "unknown"));
		}
		ERR_clear_error();
		conn_tls_teardown(c);
		return rc;
	}
	if (cfg->pin_sha256 != NULL) {
		if ((rc = conn_check_pin(c, cfg->pin_sha256, err)) != 0) {
			/* Leave without a word more to that server. */
			c->tls_dead = 1;
			conn_tls_teardown(c);
			return rc;
		}
		c->tls_verified = 1;
		return 0;
	}
	c->tls_verified = !cfg->insecure &&
	    SSL_get_verify_result(c->ssl) == X509_V_OK;
	return 0;
}

/* A certificate name on one line, escaped (it is the server's text). */
static void
conn_name_oneline(X509_NAME *name, char *out, size_t cap)
{
	BIO *mem;
	char *p;
	long n;

	out[0] = '\0';
	if (name == NULL || (mem = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_ONELINE) >= 0) {
		n = BIO_get_mem_data(mem, &p);
		if (n > 0)
			error_escape(out, cap, p, (size_t)n);
	}
	BIO_free(mem);
}

int
conn_tls_info(const struct conn *c, struct smtpc_tls_info *out)
{
	const ASN1_TIME *na;
	unsigned char md[32];
	struct tm tm;
	X509 *cert;

	if (c == NULL || c->ssl == NULL)
		return SMTPC_EINVAL;
	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%s",
	    SSL_get_version(c->ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
	    SSL_get_cipher_name(c->ssl));
	out->verified = c->tls_verified;
	if (conn_peer_sha256(c->ssl, md) == 0)
		conn_hex_colon(md, sizeof(md), out->sha256,
		    sizeof(out->sha256));
	cert = SSL_get1_peer_certificate(c->ssl);
	if (cert == NULL)
		return 0;
	conn_name_oneline(X509_get_subject_name(cert), out->subject,
	    sizeof(out->subject));
	conn_name_oneline(X509_get_issuer_name(cert), out->issuer,
	    sizeof(out->issuer));
	na = X509_get0_notAfter(cert);
	memset(&tm, 0, sizeof(tm));
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(out->not_after, sizeof(out->not_after),
		    "%Y-%m-%d %H:%M:%S UTC", &tm);
	X509_free(cert);
	return 0;
}

int
conn_local_literal(const struct conn *c, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
	char a[INET6_ADDRSTRLEN];
	int n;

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		if (inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a)) == NULL)
			return -1;
		n = snprintf(out, cap, "[%s]", a);
	} else if (ss.ss_family == AF_INET6) {
		/* An IPv4 peer reached over an IPv6 socket: say it as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			if (inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, a,
			    sizeof(a)) == NULL)
				return -1;
			n = snprintf(out, cap, "[%s]", a);
		} else {
			if (inet_ntop(AF_INET6, &s6->sin6_addr, a,
			    sizeof(a)) == NULL)
				return -1;
			n = snprintf(out, cap, "[IPv6:%s]", a);
		}
	} else {
		return -1;
	}
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL && !c->tls_dead) {
		/* One try at close_notify; never wait for the peer's. */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	conn_tls_teardown(c);
	if (c->fd != -1)
		close(c->fd);
	/* The buffers may hold AUTH exchanges. */
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
