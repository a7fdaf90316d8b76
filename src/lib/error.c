/* SPDX-License-Identifier: ISC */
/*
 * error.c - the one table of error codes, their names and sentences.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

struct error_entry {
	const char *name;
	const char *text;
};

/* Indexed by -code. */
static const struct error_entry error_table[] = {
	{ "SMTPC_OK", "success" },
	{ "SMTPC_ENOMEM", "out of memory" },
	{ "SMTPC_EINVAL", "invalid argument" },
	{ "SMTPC_ELIMIT", "limit exceeded" },
	{ "SMTPC_EDATA", "bad message data" },
	{ "SMTPC_ENOINPUT", "input file missing or unreadable" },
	{ "SMTPC_EIO", "local I/O error" },
	{ "SMTPC_ENOHOST", "unknown host" },
	{ "SMTPC_ECONN", "connection failed" },
	{ "SMTPC_ETIMEOUT", "timed out" },
	{ "SMTPC_ETLS", "TLS failure" },
	{ "SMTPC_EPROTO", "protocol error" },
	{ "SMTPC_ENOSTARTTLS", "server does not offer STARTTLS" },
	{ "SMTPC_EINSECURE", "refused to act insecurely" },
	{ "SMTPC_EAUTH", "authentication refused" },
	{ "SMTPC_ENOMECH", "no usable authentication mechanism" },
	{ "SMTPC_ETEMP", "temporary failure" },
	{ "SMTPC_EPERM", "permanent server refusal" },
	{ "SMTPC_ECONFIG", "configuration error" },
	{ "SMTPC_EINTERNAL", "internal error" },
	{ "SMTPC_ECANCELED", "canceled" },
};

static_assert(sizeof(error_table) / sizeof(error_table[0]) ==
    (size_t)-SMTPC_ECANCELED + 1, "error_table must cover every code");

static const struct error_entry *
error_lookup(int code)
{
	if (code > 0 || code < SMTPC_ECANCELED)
		return NULL;
	return &error_table[-code];
}

const char *
smtpc_strerror(int code)
{
	const struct error_entry *e = error_lookup(code);

	return e ? e->text : "unknown error";
}

const char *
smtpc_errname(int code)
{
	const struct error_entry *e = error_lookup(code);

	return e ? e->name : "SMTPC_E?";
}

int
error_set(struct smtpc_error *err, int code, const char *stage,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	memset(err, 0, sizeof(*err));
	err->code = code;
	if (stage != NULL)
		snprintf(err->stage, sizeof(err->stage), "%s", stage);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void
error_escape(char *out, size_t cap, const char *text, size_t len)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			snprintf(out + o, cap - o, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
}

const char *
error_strerror(int e, char *buf, size_t cap)
{
	/* XSI strerror_r (no _GNU_SOURCE here): 0 or an error number. */
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
}

void
error_set_reply(struct smtpc_error *err, int reply_code, const char *enhanced,
    const char *text, size_t len)
{
	if (err == NULL)
		return;
	err->reply_code = reply_code;
	snprintf(err->enhanced, sizeof(err->enhanced), "%s",
	    enhanced ? enhanced : "");
	error_escape(err->server_text, sizeof(err->server_text), text, len);
}
