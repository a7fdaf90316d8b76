/* SPDX-License-Identifier: ISC */
/*
 * spool_format.c - the mail queue's text records written: the envelope
 * and the state record, lines "key value" with control bytes, DEL and
 * backslash as \xHH (spool.h gives the format; spool_record.c reads them
 * back, and fuzz_spool_meta checks that what one writes the other reads
 * as it was).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool_int.h"

/* A growing text; a failed allocation sticks and is checked at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const void *s, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_fmt(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

/* A record value: control bytes, DEL and backslash as \xHH. */
static void
sb_esc(struct sbuf *b, const char *s)
{
	const char *run = s;
	char hex[5];
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != 0x7f && c != '\\')
			continue;
		sb_add(b, run, (size_t)(s - run));
		snprintf(hex, sizeof(hex), "\\x%02x", c);
		sb_add(b, hex, 4);
		run = s + 1;
	}
	sb_add(b, run, (size_t)(s - run));
}

/* The record writer. */

char *
spool_format_meta(const struct spool_entry *e, size_t *ret_len)
{
	struct sbuf b = {NULL, 0, 0, 0};
	size_t i;

	sb_str(&b, "smtpc-queue 1\nid ");
	sb_str(&b, e->id);
	sb_fmt(&b, "\ncreated %lld\nsize %llu\nfrom ", (long long)e->created,
	    (unsigned long long)e->size);
	sb_esc(&b, e->from != NULL ? e->from : "");
	if (e->account != NULL) {
		sb_str(&b, "\naccount ");
		sb_esc(&b, e->account);
	}
	if (e->message_id != NULL) {
		sb_str(&b, "\nmessage-id ");
		sb_esc(&b, e->message_id);
	}
	for (i = 0; i < e->nparam; i++) {
		sb_str(&b, "\nparam ");
		sb_str(&b, e->param[i].key);
		sb_str(&b, " ");
		sb_esc(&b, e->param[i].value);
	}
	for (i = 0; i < e->nrcpt; i++) {
		sb_str(&b, "\nrcpt ");
		sb_esc(&b, e->rcpt[i].addr);
	}
	sb_str(&b, "\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*ret_len = b.len;
	return b.p;
}

char *
spool_format_state(const struct spool_entry *e, size_t *ret_len)
{
	struct sbuf b = {NULL, 0, 0, 0};
	size_t i;

	sb_str(&b, "smtpc-queue-state 1\nid ");
	sb_str(&b, e->id);
	sb_fmt(&b, "\nstate %s\nattempts %u\nnext %lld\nlast %lld\n",
	    spool_state_name(e->state), e->attempts,
	    (long long)(e->next_attempt > 0 ? e->next_attempt : 0),
	    (long long)(e->last_attempt > 0 ? e->last_attempt : 0));
	if (e->error != NULL) {
		sb_str(&b, "error ");
		sb_esc(&b, e->error);
		sb_str(&b, "\n");
	}
	for (i = 0; i < e->nrcpt; i++) {
		sb_fmt(&b, "rcpt %zu %s %d", i,
		    spool_rcpt_state_name(e->rcpt[i].state),
		    e->rcpt[i].code >= 100 && e->rcpt[i].code <= 599
			? e->rcpt[i].code
			: 0);
		if (e->rcpt[i].text != NULL) {
			sb_str(&b, " ");
			sb_esc(&b, e->rcpt[i].text);
		}
		sb_str(&b, "\n");
	}
	/* Only the newest SPOOL_LOG_KEEP lines are kept. */
	for (i = e->nlog > SPOOL_LOG_KEEP ? e->nlog - SPOOL_LOG_KEEP : 0;
	     i < e->nlog; i++) {
		sb_fmt(&b, "log %lld ",
		    (long long)(e->log[i].when > 0 ? e->log[i].when : 0));
		sb_esc(&b, e->log[i].text);
		sb_str(&b, "\n");
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*ret_len = b.len;
	return b.p;
}
