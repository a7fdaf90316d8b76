/* SPDX-License-Identifier: ISC */
/*
 * address.h - RFC 5322 addresses: parse one or a list, validate, write
 * into a header.
 *
 * Accepted forms: "addr@dom", "Name <addr@dom>", "\"Last, First\"
 * <addr@dom>"; comments "(...)" are dropped; quoted local parts
 * ("\"a b\"@dom") and domain literals ("[192.0.2.1]", "[IPv6:...]") are
 * kept as written.  Refused by addr_parse with SMTPC_EDATA and a sentence
 * saying why: groups, lists (addr_parse_list takes those), line breaks,
 * a display name with a bare ',' '@' ':' ';', a bad local part or domain.
 * A non-ASCII domain is converted to its A-label form (libidn2, IDNA 2008
 * / TR46 non-transitional).  A local part may be UTF-8 (RFC 6532 3.2):
 * then `spec` is not ASCII, goes into header fields as raw UTF-8, and the
 * message needs SMTPUTF8 (RFC 6531) to be sent (smtpc_msg_needs_smtputf8;
 * the session refuses it otherwise).
 */
#ifndef SMTPC_ADDRESS_H
#define SMTPC_ADDRESS_H

#include "header.h"
#include "smtpc.h"

struct addr {
	char *display;	/* UTF-8 display name, NULL when there is none */
	char *spec;	/* local@domain, ASCII, domain in A-label form */
};

/*
 * Parse one address.  On success `ret` owns two allocated strings (free
 * with addr_free); on failure it is left zeroed.  Used error codes:
 * SMTPC_EDATA, SMTPC_ENOMEM.
 */
int addr_parse(const char *in, struct addr *ret, struct smtpc_error *err);
void addr_free(struct addr *a);

/*
 * Parse an RFC 5322 address-list: addresses separated by commas; a comma
 * in a quoted string, a comment, <...> or [...] belongs to its address.
 * Empty elements (", ,", a leading or trailing comma) are skipped, as RFC
 * 5322 4.4 (obs-addr-list) asks of a reader; a list without any address
 * is refused.  A group ("name: a@x, b@y;", "undisclosed-recipients:;")
 * stays one element and is refused like any group.  Each address goes
 * through addr_parse; when the list has several, the error of a bad one
 * names it.  At most `max` addresses (else SMTPC_ELIMIT).  On success
 * *ret is an array of *ret_n addresses (addr_list_free).  Used error
 * codes: SMTPC_EDATA, SMTPC_ELIMIT, SMTPC_ENOMEM.
 */
int addr_parse_list(const char *in, size_t max, struct addr **ret,
    size_t *ret_n, struct smtpc_error *err);
void addr_list_free(struct addr *list, size_t n);
/*
 * An address list as a header field of a ready message holds it (To, Cc,
 * Bcc and their Resent- forms): as addr_parse_list, but a group
 * ("Team: a@x, b@y;") gives its members and an empty one
 * ("undisclosed-recipients:;") none, and a field without any address is
 * no error (*ret_n 0, *ret NULL).  Groups do not nest.  Used error codes:
 * SMTPC_EDATA, SMTPC_ELIMIT, SMTPC_ENOMEM.
 */
int addr_parse_field(const char *in, size_t max, struct addr **ret,
    size_t *ret_n, struct smtpc_error *err);
/* Deep copy. */
int addr_copy(struct addr *dst, const struct addr *src);

/*
 * Append the address to a header being folded: "Name <spec>" (the name
 * quoted or encoded as needed) or "spec", preceded by one space and
 * followed by `post` ("" or the "," of a list, kept on the same line).
 */
int addr_fold(struct hfold *f, const struct addr *a, const char *post);

#endif
