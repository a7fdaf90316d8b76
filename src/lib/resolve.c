/* SPDX-License-Identifier: ISC */
/*
 * resolve.c - a server's name to the addresses to try, within the connect
 * deadline: address literals without any resolver, names through c-ares
 * (/etc/hosts, then DNS as /etc/resolv.conf says) driven by our own
 * poll(), so a name server that never answers costs the deadline and no
 * more; and this machine's own name, from /etc/hosts only.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ares.h>

#include "conn.h"
#include "error.h"
#include "resolve.h"

/*
 * RFC 6761 6.4: names under .invalid never resolve; answering locally also
 * keeps such a lookup (and the unit tests) off the network.
 */
static int
resolve_is_invalid_tld(const char *host)
{
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 7 && strncasecmp(host, "invalid", 7) == 0)
		return 1;
	return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}


/*
 * Append sa with `port`; IPv4 and IPv6 only (a socket for anything else
 * would not speak TCP).
 */
static void
resolve_addr_add(struct resolve_addr *list, size_t *n,
    const struct sockaddr *sa, socklen_t len, unsigned port)
{
	struct resolve_addr *a = &list[*n];

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
resolve_numeric(const char *host, unsigned port, struct resolve_addr **ret,
    size_t *ret_n, struct smtpc_error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct resolve_addr *list;
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
		resolve_addr_add(list, &n, ai->ai_addr, ai->ai_addrlen, port);
	freeaddrinfo(res);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* What c-ares's callback hands over; the channel lives on our stack. */
struct resolve_lookup {
	int done;
	int status;
	struct ares_addrinfo *res;
};

static void
resolve_lookup_done(void *arg, int status, int timeouts,
    struct ares_addrinfo *res)
{
	struct resolve_lookup *l = arg;

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
resolve_lookup_fail(int status, const char *host, struct smtpc_error *err)
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
resolve_lookup_step(ares_channel ch, int64_t deadline)
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
resolve_own_name(char *out, size_t cap)
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
resolve_lookup(const char *host, unsigned port, int64_t deadline,
    struct resolve_addr **ret, size_t *ret_n, struct smtpc_error *err)
{
	struct ares_addrinfo_hints hints;
	struct ares_addrinfo_node *node;
	struct resolve_lookup l;
	struct resolve_addr *list;
	ares_channel ch;
	int64_t t0 = conn_now_ms(), ms;
	size_t n = 0;
	int rc;

	if ((rc = ares_init(&ch)) != ARES_SUCCESS)
		return resolve_lookup_fail(rc, host, err);
	memset(&l, 0, sizeof(l));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No ADDRCONFIG: it would hide ::1 on hosts whose only IPv6 is lo. */
	ares_getaddrinfo(ch, host, NULL, &hints, resolve_lookup_done, &l);
	while (!l.done && conn_now_ms() < deadline)
		resolve_lookup_step(ch, deadline);
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
		return resolve_lookup_fail(l.status, host, err);

	for (node = l.res->nodes; node != NULL; node = node->ai_next)
		n++;
	if ((list = calloc(n > 0 ? n : 1, sizeof(*list))) == NULL) {
		ares_freeaddrinfo(l.res);
		return error_set(err, SMTPC_ENOMEM, "connect",
		    "out of memory resolving %s", host);
	}
	n = 0;
	for (node = l.res->nodes; node != NULL; node = node->ai_next)
		resolve_addr_add(list, &n, node->ai_addr, node->ai_addrlen,
		    port);
	ares_freeaddrinfo(l.res);
	if (n == 0) {
		free(list);
		return resolve_lookup_fail(ARES_ENODATA, host, err);
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int
resolve_host(const char *host, unsigned port, int64_t deadline,
    struct resolve_addr **ret, size_t *ret_n, struct smtpc_error *err)
{
	int rc;

	if (resolve_is_invalid_tld(host))
		return error_set(err, SMTPC_ENOHOST, "connect",
		    "cannot resolve %s: %s", host,
		    ares_strerror(ARES_ENOTFOUND));
	/* An address literal needs no resolver, and waits for none. */
	rc = resolve_numeric(host, port, ret, ret_n, err);
	if (rc == 1)
		rc = resolve_lookup(host, port, deadline, ret, ret_n, err);
	return rc;
}
