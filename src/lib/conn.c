/* SPDX-License-Identifier: ISC */
/*
 * conn.c - one connection to a server: connect with a deadline to the
 * addresses resolve.c gives, buffered line reads and batched writes; TLS
 * (tls.c) slots in under the same buffers.
 *
 * The socket is non-blocking from the start; every wait is a poll() with
 * the time left before the caller's absolute deadline, so a server that
 * trickles one byte a second cannot stretch a call past it.  TLS steps say
 * which event they wait for and come back here to wait for it.
 *
 * SIGPIPE: a write to a socket the peer has reset raises SIGPIPE, and a
 * library must not change the process's signal dispositions: plain writes
 * use send() with MSG_NOSIGNAL (tls.c does the same under OpenSSL).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conn.h"
#include "error.h"
#include "resolve.h"
#include "session.h"
#include "tls.h"

#define CONN_IN_SIZE	(16u * 1024)
#define CONN_OUT_SIZE	(64u * 1024)
#define CONN_HOST_MAX	256

struct conn {
	int fd;
	unsigned port;
	char host[CONN_HOST_MAX];
	struct tls *tls;	/* NULL: plain */
	int clear;		/* bytes went either way before TLS */

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

/*
 * Wait until fd is ready for `events` or the deadline passes.  Returns 0
 * when ready (or in error: the next I/O call reports it), SMTPC_ETIMEOUT.
 *
 * Before waiting for data, acknowledge what arrived at once: a server
 * that writes two small segments in a row (a TLS 1.3 ticket, then its
 * EHLO reply; replies to pipelined commands one by one) without
 * TCP_NODELAY holds the second until the first is acknowledged, and a
 * delayed ACK makes that 40 ms.  Linux leaves quick-ACK mode by itself,
 * hence every time.
 */
static int
conn_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;
#ifdef TCP_QUICKACK
	int one = 1;

	if (events & POLLIN)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
#endif

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
 * Connect one socket to one address.  Returns the fd, or -1 with *ret_errno
 * set (ETIMEDOUT when the deadline passed).
 */
static int
conn_try_addr(const struct resolve_addr *a, int64_t deadline, int *ret_errno)
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
	struct resolve_addr *addrs = NULL;
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
	if ((rc = resolve_host(host, port, deadline, &addrs, &naddr,
	    err)) != 0)
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
			    error_strerror(last_errno, ebuf, sizeof(ebuf)));
		return error_set(err, SMTPC_ECONN, "connect",
		    "connection to %s port %u failed: %s", host, port,
		    error_strerror(last_errno, ebuf, sizeof(ebuf)));
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
	return c != NULL && c->tls != NULL;
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
	size_t got;
	ssize_t n;
	short ev;
	int rc;

	for (;;) {
		ev = POLLIN;
		if (c->tls != NULL) {
			rc = tls_read(c->tls, dst, room, &got, &ev, err);
			if (rc == 0) {
				c->in_len += got;
				return 0;
			}
			if (rc != TLS_AGAIN)
				return rc;
		} else {
			n = recv(c->fd, dst, room, 0);
			if (n > 0) {
				c->in_len += (size_t)n;
				c->clear = 1;
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
				    error_strerror(errno, ebuf, sizeof(ebuf)));
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
	size_t chunk, put;
	ssize_t n;
	short ev;
	int rc;

	while (len > 0) {
		ev = POLLOUT;
		chunk = len > INT_MAX ? INT_MAX : len;
		if (c->tls != NULL) {
			rc = tls_write(c->tls, data, chunk, &put, &ev, err);
			if (rc == 0) {
				data += put;
				len -= put;
				continue;
			}
			if (rc != TLS_AGAIN)
				return rc;
		} else {
			n = send(c->fd, data, chunk, MSG_NOSIGNAL);
			if (n > 0) {
				c->clear = 1;
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
				    error_strerror(errno, ebuf, sizeof(ebuf)));
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

int
conn_start_tls(struct conn *c, const struct conn_tls_cfg *cfg,
    int64_t deadline, struct smtpc_error *err)
{
	unsigned char peek;
	ssize_t n;
	short ev;
	int rc;

	if (cfg == NULL)
		return error_set(err, SMTPC_EINVAL, "TLS", "%s: no config",
		    __func__);
	if (c->tls != NULL)
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
	rc = tls_new(&c->tls, c->fd, c->host, c->port, c->clear, cfg, err);
	if (rc != 0)
		return rc;
	while ((rc = tls_handshake(c->tls, &ev, err)) == TLS_AGAIN) {
		if (conn_wait(c->fd, ev, deadline) != 0) {
			rc = error_set(err, SMTPC_ETIMEOUT, "TLS",
			    "TLS handshake with %s timed out", c->host);
			break;
		}
	}
	if (rc != 0) {
		tls_free(c->tls);
		c->tls = NULL;
	}
	return rc;
}

int
conn_tls_info(const struct conn *c, struct smtpc_tls_info *out)
{
	if (c == NULL || c->tls == NULL)
		return SMTPC_EINVAL;
	return tls_info(c->tls, out);
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
	tls_close(c->tls);
	if (c->fd != -1)
		close(c->fd);
	/* The buffers may hold AUTH exchanges. */
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/*
 * The table the session reaches the network through (session.h): conn's
 * own functions, and open, which has no use for the session's pointer.
 */
static int
conn_io_open(void *user, struct conn **ret, const char *host, unsigned port,
    int64_t deadline, struct smtpc_error *err)
{
	(void)user;
	return conn_open(ret, host, port, deadline, err);
}

const struct session_io session_io_conn = {
	conn_io_open, conn_start_tls, conn_pending, conn_read_line,
	conn_write, conn_flush, conn_is_tls, conn_tls_info, conn_close,
	conn_now_ms, conn_local_literal,
};
