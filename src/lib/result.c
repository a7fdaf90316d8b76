/* SPDX-License-Identifier: ISC */
/*
 * result.c - the result of one send: recipients with the server's answer
 * to each, the final reply and its queue ID, bytes, stage times.
 *
 * Recipients live in blocks of their own behind an array of pointers, so
 * a pointer handed out never moves while the list grows, and the list
 * grows by doubling: 10,000 recipients cost 10,000 steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "error.h"
#include "result.h"

/* Queue IDs are short tokens; anything longer is no ID we recognise. */
#define RESULT_QID_MAX	128

struct result_rcpt {
	struct smtpc_rcpt_status pub;	/* points into the fields below */
	char *address;
	char enhanced[16];
	char *text;
};

struct smtpc_result {
	int status;
	struct smtpc_error error;
	int maybe_delivered;
	char *from;
	char *message_id;
	char *host;
	unsigned port;
	char tls_version[32];
	char tls_cipher[64];
	char auth_mech[32];
	struct result_rcpt **rcpts;
	size_t nrcpts, cap;
	int have_final;
	struct smtpc_reply_info final;
	char final_enhanced[16];
	char *final_text;
	char queue_id[RESULT_QID_MAX];
	uint64_t bytes, size;
	int64_t usec[RESULT_STAGES];
};

static const char *const result_stage_names[RESULT_STAGES] = {
	"connect", "TLS", "greeting", "EHLO", "STARTTLS", "AUTH",
	"envelope", "DATA", "message", "RSET", "NOOP", "QUIT",
};

const char *
smtpc_stage_name(enum smtpc_stage stage)
{
	if ((unsigned)stage >= RESULT_STAGES)
		return "unknown";
	return result_stage_names[stage];
}

struct smtpc_result *
smtpc_result_new(void)
{
	struct smtpc_result *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	result_clear(r);
	return r;
}

static void
result_rcpt_free(struct result_rcpt *p)
{
	if (p == NULL)
		return;
	free(p->address);
	free(p->text);
	free(p);
}

void
result_clear(struct smtpc_result *r)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		result_rcpt_free(r->rcpts[i]);
	r->nrcpts = 0;
	free(r->from);
	free(r->message_id);
	free(r->final_text);
	free(r->host);
	r->from = r->message_id = r->final_text = r->host = NULL;
	r->port = 0;
	r->tls_version[0] = r->tls_cipher[0] = r->auth_mech[0] = '\0';
	r->status = 0;
	memset(&r->error, 0, sizeof(r->error));
	r->maybe_delivered = 0;
	r->have_final = 0;
	r->queue_id[0] = '\0';
	r->bytes = r->size = 0;
	for (i = 0; i < RESULT_STAGES; i++)
		r->usec[i] = -1;
}

void
smtpc_result_free(struct smtpc_result *r)
{
	if (r == NULL)
		return;
	result_clear(r);
	free(r->rcpts);
	free(r);
}

static int
result_strdup(char **dst, const char *src)
{
	char *copy;

	if ((copy = strdup(src != NULL ? src : "")) == NULL)
		return SMTPC_ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

int
result_set_from(struct smtpc_result *r, const char *from)
{
	return result_strdup(&r->from, from);
}

int
result_set_message_id(struct smtpc_result *r, const char *id)
{
	return result_strdup(&r->message_id, id);
}

int
result_set_server(struct smtpc_result *r, const char *host, unsigned port,
    const char *tls_version, const char *tls_cipher, const char *auth_mech)
{
	if (result_strdup(&r->host, host) != 0)
		return SMTPC_ENOMEM;
	r->port = port;
	snprintf(r->tls_version, sizeof(r->tls_version), "%s",
	    tls_version != NULL ? tls_version : "");
	snprintf(r->tls_cipher, sizeof(r->tls_cipher), "%s",
	    tls_cipher != NULL ? tls_cipher : "");
	snprintf(r->auth_mech, sizeof(r->auth_mech), "%s",
	    auth_mech != NULL ? auth_mech : "");
	return 0;
}

int
result_add_rcpt(struct smtpc_result *r, const char *address,
    size_t *ret_index)
{
	struct result_rcpt **n, *p;
	size_t cap;

	if (r->nrcpts == r->cap) {
		cap = r->cap ? r->cap * 2 : 8;
		if ((n = reallocarray(r->rcpts, cap, sizeof(*n))) == NULL)
			return SMTPC_ENOMEM;
		r->rcpts = n;
		r->cap = cap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SMTPC_ENOMEM;
	if ((p->address = strdup(address)) == NULL) {
		free(p);
		return SMTPC_ENOMEM;
	}
	p->pub.address = p->address;
	p->pub.accepted = -1;
	p->pub.enhanced = p->enhanced;
	p->pub.text = "";
	r->rcpts[r->nrcpts] = p;
	*ret_index = r->nrcpts++;
	return 0;
}

/* Server text as everyone shows it: escaped, bounded, owned. */
static char *
result_escaped(const char *text, size_t len)
{
	char *out;

	if ((out = malloc(SMTPC_ERROR_TEXT_MAX)) == NULL)
		return NULL;
	error_escape(out, SMTPC_ERROR_TEXT_MAX, text, len);
	return out;
}

int
result_rcpt_reply(struct smtpc_result *r, size_t index, int accepted,
    int code, const char *enhanced, const char *text, size_t len)
{
	struct result_rcpt *p;
	char *t;

	if (index >= r->nrcpts)
		return SMTPC_EINVAL;
	p = r->rcpts[index];
	if ((t = result_escaped(text, len)) == NULL)
		return SMTPC_ENOMEM;
	free(p->text);
	p->text = t;
	p->pub.text = t;
	p->pub.accepted = accepted;
	p->pub.reply_code = code;
	snprintf(p->enhanced, sizeof(p->enhanced), "%s",
	    enhanced != NULL ? enhanced : "");
	return 0;
}

const struct smtpc_rcpt_status *
result_rcpt(const struct smtpc_result *r, size_t index)
{
	return index < r->nrcpts ? &r->rcpts[index]->pub : NULL;
}

int
result_set_final(struct smtpc_result *r, int code, const char *enhanced,
    const char *text, size_t len)
{
	char *t;

	if ((t = result_escaped(text, len)) == NULL)
		return SMTPC_ENOMEM;
	free(r->final_text);
	r->final_text = t;
	snprintf(r->final_enhanced, sizeof(r->final_enhanced), "%s",
	    enhanced != NULL ? enhanced : "");
	r->final.code = code;
	r->final.enhanced = r->final_enhanced;
	r->final.text = t;
	r->have_final = 1;
	if (code < 200 || code > 299 ||
	    result_parse_queue_id(text, len, r->queue_id,
	    sizeof(r->queue_id)) != 0)
		r->queue_id[0] = '\0';
	return 0;
}

void
result_set_size(struct smtpc_result *r, uint64_t size)
{
	r->size = size;
}

void
result_add_bytes(struct smtpc_result *r, uint64_t n)
{
	r->bytes += n;
}

void
result_add_time(struct smtpc_result *r, enum smtpc_stage stage,
    int64_t usec)
{
	if ((unsigned)stage >= RESULT_STAGES || usec < 0)
		return;
	r->usec[stage] = (r->usec[stage] < 0 ? 0 : r->usec[stage]) + usec;
}

void
result_set_status(struct smtpc_result *r, int status,
    const struct smtpc_error *err, int maybe_delivered)
{
	r->status = status;
	r->maybe_delivered = status != 0 && maybe_delivered;
	if (status != 0 && err != NULL)
		r->error = *err;
	else
		memset(&r->error, 0, sizeof(r->error));
}

/*
 * Queue IDs.  Each server writes its own way; we read the common ones and
 * take only a plain token (letters, digits and ".-_@") so that no text of
 * the server's becomes an "ID" by accident.
 */
static int
result_qid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '@';
}

/* The token at p (up to end); 0 and copied when it is one, else -1. */
static int
result_qid_token(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (p + n < end && result_qid_char(p[n]))
		n++;
	/* Trailing punctuation belongs to the sentence, not the ID. */
	while (n > 0 && (p[n - 1] == '.' || p[n - 1] == '-'))
		n--;
	if (n == 0 || n >= cap || (p + n < end && p[n] != ' ' &&
	    p[n] != ',' && p[n] != ']' && p[n] != ')' && p[n] != ';' &&
	    p[n] != '.' && p[n] != '\n'))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Case-insensitive search for `needle` in [p, end). */
static const char *
result_find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; p + n <= end; p++) {
		for (i = 0; i < n; i++) {
			char a = p[i], b = needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (i == n)
			return p;
	}
	return NULL;
}

/* The word before `at` (which starts " - gsmtp" or " Message accepted"). */
static int
result_qid_before(const char *start, const char *at, char *out, size_t cap)
{
	const char *p = at;

	while (p > start && result_qid_char(p[-1]))
		p--;
	if (p == at || (p > start && p[-1] != ' '))
		return -1;
	return result_qid_token(p, at, out, cap);
}

int
result_parse_queue_id(const char *text, size_t len, char *out, size_t cap)
{
	static const char *const after[] = {
		"queued as ",		/* Postfix, Exchange on-premises */
		"internalid=",		/* Microsoft 365 */
		" id=",			/* Exim */
		" qp ",			/* qmail */
	};
	const char *end = text + len, *p;
	size_t i;

	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		if ((p = result_find(text, end, after[i])) != NULL &&
		    result_qid_token(p + strlen(after[i]), end, out,
		    cap) == 0)
			return 0;
	if ((p = result_find(text, end, " - gsmtp")) != NULL &&
	    result_qid_before(text, p, out, cap) == 0)
		return 0;
	if ((p = result_find(text, end, " message accepted for delivery")) !=
	    NULL && result_qid_before(text, p, out, cap) == 0 &&
	    strchr(out, '.') == NULL)
		return 0;
	return -1;
}

/*
 * Getters.
 */

int
smtpc_result_status(const struct smtpc_result *r)
{
	return r != NULL ? r->status : SMTPC_EINVAL;
}

const struct smtpc_error *
smtpc_result_error(const struct smtpc_result *r)
{
	return r != NULL && r->status != 0 ? &r->error : NULL;
}

int
smtpc_result_maybe_delivered(const struct smtpc_result *r)
{
	return r != NULL && r->maybe_delivered;
}

const char *
smtpc_result_host(const struct smtpc_result *r)
{
	return r != NULL && r->host != NULL ? r->host : "";
}

unsigned
smtpc_result_port(const struct smtpc_result *r)
{
	return r != NULL ? r->port : 0;
}

const char *
smtpc_result_tls_version(const struct smtpc_result *r)
{
	return r != NULL ? r->tls_version : "";
}

const char *
smtpc_result_tls_cipher(const struct smtpc_result *r)
{
	return r != NULL ? r->tls_cipher : "";
}

const char *
smtpc_result_auth_mech(const struct smtpc_result *r)
{
	return r != NULL ? r->auth_mech : "";
}

const char *
smtpc_result_envelope_from(const struct smtpc_result *r)
{
	return r != NULL ? r->from : NULL;
}

size_t
smtpc_result_rcpt_count(const struct smtpc_result *r)
{
	return r != NULL ? r->nrcpts : 0;
}

const struct smtpc_rcpt_status *
smtpc_result_rcpt(const struct smtpc_result *r, size_t index)
{
	return r != NULL ? result_rcpt(r, index) : NULL;
}

const struct smtpc_reply_info *
smtpc_result_final_reply(const struct smtpc_result *r)
{
	return r != NULL && r->have_final ? &r->final : NULL;
}

const char *
smtpc_result_queue_id(const struct smtpc_result *r)
{
	return r != NULL && r->queue_id[0] != '\0' ? r->queue_id : NULL;
}

const char *
smtpc_result_message_id(const struct smtpc_result *r)
{
	return r != NULL ? r->message_id : NULL;
}

uint64_t
smtpc_result_bytes(const struct smtpc_result *r)
{
	return r != NULL ? r->bytes : 0;
}

uint64_t
smtpc_result_size(const struct smtpc_result *r)
{
	return r != NULL ? r->size : 0;
}

int64_t
smtpc_result_stage_usec(const struct smtpc_result *r, enum smtpc_stage stage)
{
	if (r == NULL || (unsigned)stage >= RESULT_STAGES)
		return -1;
	return r->usec[stage];
}
