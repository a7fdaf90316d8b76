/* SPDX-License-Identifier: ISC */
/*
 * resolve.h - names to addresses within a deadline (resolve.c).
 */
#ifndef SMTPC_RESOLVE_H
#define SMTPC_RESOLVE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "smtpc.h"

/* One address to try, in the order the resolver gave. */
struct resolve_addr {
	socklen_t len;
	struct sockaddr_storage ss;
};

/*
 * The addresses of `host` (a name or an address literal) for `port`, in
 * the order to try them; *ret is malloc'ed.  A name that does not exist
 * is SMTPC_ENOHOST, a resolver failing for now SMTPC_ETEMP, a resolver
 * silent until `deadline` SMTPC_ETIMEOUT.
 */
int resolve_host(const char *host, unsigned port, int64_t deadline,
    struct resolve_addr **ret, size_t *ret_n, struct smtpc_error *err);

/*
 * This machine's fully qualified name, from its host name or /etc/hosts
 * (never DNS); 0 with the name in `out`, or -1 when it has none.
 */
int resolve_own_name(char *out, size_t cap);

#endif
