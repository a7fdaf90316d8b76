/* SPDX-License-Identifier: ISC */
/*
 * address_list.c - RFC 5322 address lists: split at the commas that
 * separate addresses (not those in quotes, comments, <...> or [...]),
 * each address through addr_parse; and the lists of a header field, where
 * groups give their members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "error.h"

#define ADDR_FAIL(err, ...) \
	error_set((err), SMTPC_EDATA, "address", __VA_ARGS__)

static int
addr_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Where the list element starting at s[i] ends: at the next ',' outside a
 * quoted string, a comment, <...> or [...]; in a group ("name:" outside
 * those), at the first ',' after its ';', so a group stays one element
 * and addr_parse refuses it whole.  Unbalanced text runs to the end, where
 * addr_parse says what is wrong with it.
 */
static size_t
addr_element_end(const char *s, size_t i)
{
	size_t depth = 0;
	int inq = 0, angle = 0, square = 0, group = 0;

	for (; s[i] != '\0'; i++) {
		if (inq || depth > 0 || square) {
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
			else if (inq && s[i] == '"')
				inq = 0;
			else if (square && !inq && depth == 0 && s[i] == ']')
				square = 0;
			else if (depth > 0 && s[i] == '(')
				depth++;
			else if (depth > 0 && s[i] == ')')
				depth--;
			continue;
		}
		switch (s[i]) {
		case '"':
			inq = 1;
			break;
		case '(':
			depth = 1;
			break;
		case '[':
			square = 1;
			break;
		case '<':
			angle = 1;
			break;
		case '>':
			angle = 0;
			break;
		case ':':
			group |= !angle;
			break;
		case ';':
			group &= angle;
			break;
		case ',':
			if (!angle && !group)
				return i;
			break;
		}
	}
	return i;
}

/* 1 when s[0..len) holds nothing but spaces, tabs and whole comments. */
static int
addr_element_blank(const char *s, size_t len)
{
	size_t i, depth;

	for (i = 0; i < len; i++) {
		if (addr_is_ws(s[i]))
			continue;
		if (s[i] != '(')
			return 0;
		for (depth = 1, i++; i < len && depth > 0; i++) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
		}
		if (depth > 0)
			return 0;
		i--;
	}
	return 1;
}

/*
 * A bad address in a list of several: the sentence names it, unless it
 * quotes it already.  An element without '@' is most often half of a
 * display name with a comma, which must be quoted: say so.
 */
static void
addr_name_element(struct smtpc_error *err, const char *s, size_t len)
{
	char msg[sizeof(err->message)], quoted[201];
	size_t i;

	if (err == NULL)
		return;
	while (len > 0 && addr_is_ws(*s)) {
		s++;
		len--;
	}
	while (len > 0 && addr_is_ws(s[len - 1]))
		len--;
	if (len > 200)
		len = 200;
	for (i = 0; i < len && strchr("@:;<>()\"\r\n", s[i]) == NULL; i++)
		continue;
	if (i == len) {
		snprintf(err->message, sizeof(err->message), "the address "
		    "\"%.*s\" has no '@domain' (a display name with a comma "
		    "goes in quotes: \"Last, First\" <addr@domain>)", (int)len,
		    s);
		return;
	}
	memcpy(quoted, s, len);
	quoted[len] = '\0';
	if (strstr(err->message, quoted) != NULL)
		return;
	/* Cut to fit, like every error sentence. */
	if (snprintf(msg, sizeof(msg), "in \"%s\": %s", quoted,
	    err->message) >= 0)
		memcpy(err->message, msg, sizeof(msg));
}

void
addr_list_free(struct addr *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		addr_free(&list[i]);
	free(list);
}

int
addr_parse_list(const char *in, size_t max, struct addr **ret,
    size_t *ret_n, struct smtpc_error *err)
{
	struct addr *list;
	char *one;
	size_t i, end, n = 0, count = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	for (i = 0;; i = end + 1) {
		end = addr_element_end(in, i);
		if (!addr_element_blank(in + i, end - i))
			n++;
		if (in[end] == '\0')
			break;
	}
	if (n == 0)
		return ADDR_FAIL(err, strchr(in, ',') != NULL ?
		    "the address list holds no address" :
		    "the address is empty");
	if (n > max)
		return error_set(err, SMTPC_ELIMIT, "address",
		    "too many addresses (%zu; at most %zu more)", n, max);
	if ((list = calloc(n, sizeof(*list))) == NULL)
		return error_set(err, SMTPC_ENOMEM, "address", "out of memory");
	for (i = 0;; i = end + 1) {
		end = addr_element_end(in, i);
		if (!addr_element_blank(in + i, end - i)) {
			if ((one = strndup(in + i, end - i)) == NULL) {
				rc = error_set(err, SMTPC_ENOMEM, "address",
				    "out of memory");
				goto fail;
			}
			rc = addr_parse(one, &list[count], err);
			free(one);
			if (rc != 0) {
				if (n > 1 && rc == SMTPC_EDATA)
					addr_name_element(err, in + i,
					    end - i);
				goto fail;
			}
			count++;
		}
		if (in[end] == '\0')
			break;
	}
	*ret = list;
	*ret_n = count;
	return 0;
fail:
	addr_list_free(list, count);
	return rc;
}

/*
 * When s[0..len) is a group ("name: members;"), the offsets of its ':'
 * and its ';' (len when missing, which addr_parse_field refuses); 0 when
 * it is not a group.  The ':' counts outside quotes, comments, <...> and
 * [...], and before any '<'.
 */
static int
addr_group_split(const char *s, size_t len, size_t *ret_colon,
    size_t *ret_semi)
{
	size_t i, depth = 0, colon = len;
	int inq = 0, square = 0;

	for (i = 0; i < len; i++) {
		if (inq || depth > 0 || square) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (inq && s[i] == '"')
				inq = 0;
			else if (square && !inq && depth == 0 && s[i] == ']')
				square = 0;
			else if (depth > 0 && s[i] == '(')
				depth++;
			else if (depth > 0 && s[i] == ')')
				depth--;
			continue;
		}
		if (s[i] == '"')
			inq = 1;
		else if (s[i] == '(')
			depth = 1;
		else if (s[i] == '[')
			square = 1;
		else if (s[i] == '<' && colon == len)
			return 0;
		else if (s[i] == ':' && colon == len)
			colon = i;
		else if (s[i] == ';' && colon < len) {
			*ret_colon = colon;
			*ret_semi = i;
			return 1;
		}
	}
	if (colon == len)
		return 0;
	*ret_colon = colon;
	*ret_semi = len;
	return 1;
}

/* Append list[0..n) to *all (of *all_n), taking the addresses over. */
static int
addr_list_append(struct addr **all, size_t *all_n, struct addr *list,
    size_t n, struct smtpc_error *err)
{
	struct addr *grown;

	if (n == 0) {
		free(list);
		return 0;
	}
	if ((grown = realloc(*all, (*all_n + n) * sizeof(*grown))) == NULL) {
		addr_list_free(list, n);
		return error_set(err, SMTPC_ENOMEM, "address",
		    "out of memory");
	}
	memcpy(grown + *all_n, list, n * sizeof(*list));
	free(list);
	*all = grown;
	*all_n += n;
	return 0;
}

/* One element of a field that is not a group: a list of one address. */
static int
addr_parse_one(const char *s, size_t len, size_t room, struct addr **ret,
    size_t *ret_n, struct smtpc_error *err)
{
	struct addr *a;
	char *one;
	int rc;

	if (room == 0)
		return error_set(err, SMTPC_ELIMIT, "address",
		    "too many addresses");
	if ((one = strndup(s, len)) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		free(one);
		return error_set(err, SMTPC_ENOMEM, "address",
		    "out of memory");
	}
	rc = addr_parse(one, a, err);
	free(one);
	if (rc != 0) {
		free(a);
		if (rc == SMTPC_EDATA)
			addr_name_element(err, s, len);
		return rc;
	}
	*ret = a;
	*ret_n = 1;
	return 0;
}

int
addr_parse_field(const char *in, size_t max, struct addr **ret,
    size_t *ret_n, struct smtpc_error *err)
{
	struct addr *all = NULL, *list;
	const char *e;
	size_t i, end, colon, semi, n, all_n = 0;
	char *members;
	int rc = 0;

	*ret = NULL;
	*ret_n = 0;
	for (i = 0; rc == 0; i = end + 1) {
		end = addr_element_end(in, i);
		e = in + i;
		list = NULL;
		n = 0;
		if (addr_element_blank(e, end - i))
			;
		else if (!addr_group_split(e, end - i, &colon, &semi))
			rc = addr_parse_one(e, end - i, max - all_n, &list, &n,
			    err);
		else if (semi == end - i || !addr_element_blank(e + semi + 1,
		    end - i - semi - 1))
			rc = ADDR_FAIL(err, "the group \"%.*s\" lacks its ';' "
			    "or has text after it", (int)(end - i), e);
		else if (!addr_element_blank(e + colon + 1, semi - colon - 1)) {
			/* The members: a plain list (groups do not nest). */
			if ((members = strndup(e + colon + 1,
			    semi - colon - 1)) == NULL)
				rc = error_set(err, SMTPC_ENOMEM, "address",
				    "out of memory");
			else
				rc = addr_parse_list(members, max - all_n,
				    &list, &n, err);
			free(members);
		}
		if (rc == 0)
			rc = addr_list_append(&all, &all_n, list, n, err);
		if (in[end] == '\0')
			break;
	}
	if (rc != 0) {
		addr_list_free(all, all_n);
		return rc;
	}
	*ret = all;
	*ret_n = all_n;
	return 0;
}
