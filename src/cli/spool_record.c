/* SPDX-License-Identifier: ISC */
/*
 * spool_record.c - the mail queue's text records read back: the envelope
 * written after each message, the state record beside it, and the entry
 * footer, with a sentence naming the file and the line for anything that
 * is not ours (spool.h gives the format; spool_format.c writes them).
 * Also the entry in memory.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool_int.h"

#define SPOOL_LOG_MAX 1000 /* history lines accepted when reading */

static const char *const spool_state_names[] = {
    "queued", "held", "sending", "uncertain", "failed"};
static const char *const spool_rcpt_state_names[] = {
    "pending", "sending", "done", "failed", "uncertain"};

/* Errors. */

int
spool_fail(struct smtpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		snprintf(err->stage, sizeof(err->stage), "queue");
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

int
spool_oom(struct smtpc_error *err)
{
	return spool_fail(err, SMTPC_ENOMEM, "out of memory");
}

/*
 * Text for an error sentence: printable ASCII, at most `max` bytes of the
 * source, the rest escaped or cut.
 */
static const char *
spool_show(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0, i;
	unsigned char c;

	for (i = 0; i < len && o + 5 < size; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else {
			snprintf(out + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < len && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* IDs. */

int
spool_id_valid(const char *s)
{
	/* 10 digits . 6 digits . 1-10 digits . 12 lowercase hex digits */
	static const unsigned char field[4][2] = {
	    {10, 10}, {6, 6}, {1, 10}, {12, 12}};
	size_t f, n;

	for (f = 0; f < 4; f++) {
		for (n = 0; (s[n] >= '0' && s[n] <= '9') ||
		     (f == 3 && s[n] >= 'a' && s[n] <= 'f');
		     n++)
			;
		if (n < field[f][0] || n > field[f][1])
			return 0;
		s += n;
		if (f < 3 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

const char *
spool_state_name(enum spool_state s)
{
	if ((unsigned)s <
	    sizeof(spool_state_names) / sizeof(*spool_state_names))
		return spool_state_names[s];
	return "?";
}

const char *
spool_disposition_name(enum spool_disposition d)
{
	static const char *const names[] = {"delivered", "queued", "failed",
	    "uncertain"};

	if ((unsigned)d < sizeof(names) / sizeof(*names))
		return names[d];
	return "?";
}

const char *
spool_rcpt_state_name(enum spool_rcpt_state s)
{
	if ((unsigned)s <
	    sizeof(spool_rcpt_state_names) / sizeof(*spool_rcpt_state_names))
		return spool_rcpt_state_names[s];
	return "?";
}

/* Entries in memory. */

void
spool_entry_init(struct spool_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

void
spool_entry_clear(struct spool_entry *e)
{
	size_t i;

	if (e->fd >= 0)
		close(e->fd);
	for (i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].addr);
		free(e->rcpt[i].text);
	}
	for (i = 0; i < e->nparam; i++) {
		free(e->param[i].key);
		free(e->param[i].value);
	}
	for (i = 0; i < e->nlog; i++)
		free(e->log[i].text);
	free(e->rcpt);
	free(e->param);
	free(e->log);
	free(e->from);
	free(e->account);
	free(e->message_id);
	free(e->error);
	spool_entry_init(e);
}

void
spool_entry_free(struct spool_entry *e)
{
	if (e == NULL)
		return;
	spool_entry_clear(e);
	free(e);
}

const char *
spool_entry_param(const struct spool_entry *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->nparam; i++)
		if (strcmp(e->param[i].key, key) == 0)
			return e->param[i].value;
	return NULL;
}

/* Replace *dst with a copy of src (NULL clears); -1 out of memory. */
int
spool_set_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src != NULL && (c = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

/* Append a history line, dropping the oldest beyond SPOOL_LOG_KEEP. */
int
spool_log_add(struct spool_entry *e, int64_t when, const char *text)
{
	struct spool_log *nl;
	char *t;

	if ((t = strdup(text)) == NULL)
		return -1;
	if (e->nlog >= SPOOL_LOG_KEEP) {
		free(e->log[0].text);
		memmove(e->log, e->log + 1, (e->nlog - 1) * sizeof(*e->log));
		e->nlog--;
	} else {
		nl = realloc(e->log, (e->nlog + 1) * sizeof(*e->log));
		if (nl == NULL) {
			free(t);
			return -1;
		}
		e->log = nl;
	}
	e->log[e->nlog].when = when;
	e->log[e->nlog].text = t;
	e->nlog++;
	return 0;
}

/* The record parser. */

struct spool_lines {
	const char *p, *end;
	size_t lineno;
	const char *what;
	struct smtpc_error *err;
};

/*
 * The next line without its LF: 1, 0 at the end, or an error (a line not
 * ended by LF, or too long).
 */
static int
spool_next_line(struct spool_lines *l, const char **ret, size_t *ret_len)
{
	const char *nl;

	if (l->p == l->end)
		return 0;
	l->lineno++;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (nl == NULL)
		return spool_fail(l->err, SMTPC_EDATA,
		    "%s: line %zu: not ended by a line break (cut short?)",
		    l->what, l->lineno);
	if ((size_t)(nl - l->p) > SPOOL_LINE_MAX)
		return spool_fail(l->err, SMTPC_EDATA,
		    "%s: line %zu: longer than %u bytes", l->what, l->lineno,
		    SPOOL_LINE_MAX);
	*ret = l->p;
	*ret_len = (size_t)(nl - l->p);
	l->p = nl + 1;
	return 1;
}

static int
spool_bad_line(struct spool_lines *l, const char *why)
{
	return spool_fail(
	    l->err, SMTPC_EDATA, "%s: line %zu: %s", l->what, l->lineno, why);
}

static int
spool_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo sb_esc into a new string; NUL and unknown escapes are refused. */
static int
spool_unescape(struct spool_lines *l, const char *s, size_t len, char **ret)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if ((out = malloc(len + 1)) == NULL)
		return spool_oom(l->err);
	for (o = out, i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			free(out);
			return spool_bad_line(l, "a control byte not escaped");
		}
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (len - i < 4 || s[i + 1] != 'x' ||
		    (hi = spool_hexval(s[i + 2])) < 0 ||
		    (lo = spool_hexval(s[i + 3])) < 0 || (hi | lo) == 0) {
			free(out);
			return spool_bad_line(l, "a bad \\x escape");
		}
		*o++ = (char)(hi << 4 | lo);
		i += 3;
	}
	*o = '\0';
	*ret = out;
	return 0;
}

/* A decimal number 0..max, digits only. */
static int
spool_number(struct spool_lines *l, const char *s, size_t len, uint64_t max,
    uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return spool_bad_line(l, "a number was expected");
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return spool_bad_line(l, "a number was expected");
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return spool_bad_line(l, "a number out of range");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Split "key value" (or "key" alone, value empty). */
static void
spool_split(const char *line, size_t len, size_t *ret_klen, const char **ret_v,
    size_t *ret_vlen)
{
	const char *sp = memchr(line, ' ', len);

	if (sp == NULL) {
		*ret_klen = len;
		*ret_v = line + len;
		*ret_vlen = 0;
	} else {
		*ret_klen = (size_t)(sp - line);
		*ret_v = sp + 1;
		*ret_vlen = len - *ret_klen - 1;
	}
}

static int
spool_key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

/*
 * The first line: "MAGIC 1".  Another version or another file gets a
 * sentence saying which.
 */
static int
spool_check_magic(struct spool_lines *l, const char *magic, const char *kind)
{
	const char *line, *v;
	size_t len, klen, vlen;
	char show[64];
	int rc;

	if ((rc = spool_next_line(l, &line, &len)) < 0)
		return rc;
	if (rc == 0)
		return spool_fail(
		    l->err, SMTPC_EDATA, "%s: empty, not a %s", l->what, kind);
	spool_split(line, len, &klen, &v, &vlen);
	if (!spool_key_is(line, klen, magic))
		return spool_fail(l->err, SMTPC_EDATA,
		    "%s: not a %s (it starts \"%s\")", l->what, kind,
		    spool_show(show, sizeof(show), line, len));
	if (vlen != 1 || v[0] != '1')
		return spool_fail(l->err, SMTPC_EDATA,
		    "%s: a %s in format \"%s\", which this smtpc does not know "
		    "(written by a newer one?)",
		    l->what, kind, spool_show(show, sizeof(show), v, vlen));
	return 0;
}

static int
spool_once(struct spool_lines *l, int *seen, const char *k, size_t klen)
{
	char show[64], why[128];

	if (!*seen) {
		*seen = 1;
		return 0;
	}
	snprintf(why, sizeof(why), "\"%s\" given twice",
	    spool_show(show, sizeof(show), k, klen));
	return spool_bad_line(l, why);
}

static int
spool_unknown(struct spool_lines *l, const char *k, size_t klen)
{
	char show[64], why[128];

	snprintf(why, sizeof(why), "unknown field \"%s\"",
	    spool_show(show, sizeof(show), k, klen));
	return spool_bad_line(l, why);
}

int
spool_param_key_valid(const char *k, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
			(k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
			return 0;
	return 1;
}

int
spool_parse_meta(const char *text, size_t len, const char *what,
    struct spool_entry *e, struct smtpc_error *err)
{
	struct spool_lines l = {text, text + len, 0, what, err};
	int seen_id = 0, seen_created = 0, seen_size = 0, seen_from = 0;
	int seen_account = 0, seen_mid = 0, rc;
	const char *line, *v, *pv;
	size_t llen, klen, vlen, pvlen;
	struct spool_rcpt *nr;
	struct spool_param *np;
	uint64_t n;
	size_t cap = 0;
	char *s, *id;

	if (len > SPOOL_RECORD_MAX)
		return spool_fail(err, SMTPC_EDATA,
		    "%s: the envelope is longer than %u bytes", what,
		    SPOOL_RECORD_MAX);
	if ((rc = spool_check_magic(&l, "smtpc-queue", "smtpc queue entry")))
		return rc;
	while ((rc = spool_next_line(&l, &line, &llen)) > 0) {
		spool_split(line, llen, &klen, &v, &vlen);
		if (spool_key_is(line, klen, "id")) {
			if ((rc = spool_once(&l, &seen_id, line, klen)) != 0)
				return rc;
			if ((rc = spool_unescape(&l, v, vlen, &id)) != 0)
				return rc;
			if (!spool_id_valid(id)) {
				free(id);
				return spool_bad_line(&l, "not a queue ID");
			}
			snprintf(e->id, sizeof(e->id), "%s", id);
			free(id);
		} else if (spool_key_is(line, klen, "created")) {
			if ((rc = spool_once(&l, &seen_created, line, klen)) ||
			    (rc = spool_number(&l, v, vlen, INT64_MAX, &n)))
				return rc;
			e->created = (int64_t)n;
		} else if (spool_key_is(line, klen, "size")) {
			if ((rc = spool_once(&l, &seen_size, line, klen)) ||
			    (rc = spool_number(&l, v, vlen, INT64_MAX, &n)))
				return rc;
			e->size = n;
		} else if (spool_key_is(line, klen, "from")) {
			if ((rc = spool_once(&l, &seen_from, line, klen)) ||
			    (rc = spool_unescape(&l, v, vlen, &e->from)))
				return rc;
		} else if (spool_key_is(line, klen, "account")) {
			if ((rc = spool_once(&l, &seen_account, line, klen)) ||
			    (rc = spool_unescape(&l, v, vlen, &e->account)))
				return rc;
		} else if (spool_key_is(line, klen, "message-id")) {
			if ((rc = spool_once(&l, &seen_mid, line, klen)) ||
			    (rc = spool_unescape(&l, v, vlen, &e->message_id)))
				return rc;
		} else if (spool_key_is(line, klen, "rcpt")) {
			if (vlen == 0)
				return spool_bad_line(&l, "an empty recipient");
			if (e->nrcpt >= SPOOL_RCPT_MAX)
				return spool_bad_line(
				    &l, "too many recipients");
			if (e->nrcpt == cap) {
				cap = cap != 0 ? cap * 2 : 4;
				nr = realloc(e->rcpt, cap * sizeof(*nr));
				if (nr == NULL)
					return spool_oom(err);
				e->rcpt = nr;
			}
			if ((rc = spool_unescape(&l, v, vlen, &s)) != 0)
				return rc;
			memset(&e->rcpt[e->nrcpt], 0, sizeof(*e->rcpt));
			e->rcpt[e->nrcpt++].addr = s;
		} else if (spool_key_is(line, klen, "param")) {
			/* "param KEY VALUE" */
			spool_split(v, vlen, &klen, &pv, &pvlen);
			if (!spool_param_key_valid(v, klen))
				return spool_bad_line(
				    &l, "a bad parameter name");
			if (e->nparam >= SPOOL_PARAM_MAX)
				return spool_bad_line(
				    &l, "too many parameters");
			np = realloc(e->param, (e->nparam + 1) * sizeof(*np));
			if (np == NULL)
				return spool_oom(err);
			e->param = np;
			np += e->nparam++;
			memset(np, 0, sizeof(*np));
			if ((np->key = strndup(v, klen)) == NULL)
				return spool_oom(err);
			if ((rc = spool_unescape(&l, pv, pvlen, &np->value)))
				return rc;
		} else
			return spool_unknown(&l, line, klen);
	}
	if (rc < 0)
		return rc;
	if (!seen_id || !seen_created || !seen_size || !seen_from ||
	    e->nrcpt == 0)
		return spool_fail(err, SMTPC_EDATA, "%s: the envelope lacks %s",
		    what,
		    !seen_id		? "its ID"
			: !seen_created ? "its creation time"
			: !seen_size	? "the message size"
			: !seen_from	? "the sender"
					: "recipients");
	e->next_attempt = e->created;
	return 0;
}

static int
spool_state_by_name(
    const char *s, size_t len, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* "INDEX STATE CODE[ TEXT]" */
static int
spool_parse_rcpt_state(struct spool_lines *l, struct spool_entry *e,
    unsigned char *seen, const char *v, size_t vlen)
{
	const char *f[3], *end = v + vlen, *sp;
	size_t flen[3], k;
	uint64_t idx, code;
	int st, rc;
	struct spool_rcpt *r;

	for (k = 0; k < 3; k++) {
		f[k] = v;
		sp = memchr(v, ' ', (size_t)(end - v));
		flen[k] = (size_t)((sp != NULL ? sp : end) - v);
		if (sp == NULL && k < 2)
			return spool_bad_line(l,
			    "a recipient line needs "
			    "an index, a state and a code");
		v = sp != NULL ? sp + 1 : end;
		if (sp == NULL)
			break;
	}
	if ((rc = spool_number(l, f[0], flen[0], SIZE_MAX, &idx)) != 0)
		return rc;
	if (idx >= e->nrcpt)
		return spool_bad_line(l,
		    "a recipient index beyond the "
		    "envelope's recipients");
	if (seen[idx])
		return spool_bad_line(l, "a recipient given twice");
	seen[idx] = 1;
	st = spool_state_by_name(f[1], flen[1], spool_rcpt_state_names,
	    sizeof(spool_rcpt_state_names) / sizeof(*spool_rcpt_state_names));
	if (st < 0)
		return spool_bad_line(l, "an unknown recipient state");
	if ((rc = spool_number(l, f[2], flen[2], 599, &code)) != 0)
		return rc;
	if (code != 0 && code < 100)
		return spool_bad_line(l, "a reply code out of range");
	r = &e->rcpt[idx];
	r->state = (enum spool_rcpt_state)st;
	r->code = (int)code;
	free(r->text);
	r->text = NULL;
	if (f[2] + flen[2] < end)
		return spool_unescape(l, v, (size_t)(end - v), &r->text);
	return 0;
}

int
spool_parse_state(const char *text, size_t len, const char *what,
    struct spool_entry *e, struct smtpc_error *err)
{
	struct spool_lines l = {text, text + len, 0, what, err};
	int seen_id = 0, seen_state = 0, seen_attempts = 0, seen_next = 0;
	int seen_last = 0, seen_error = 0, st, rc;
	const char *line, *v, *tv;
	size_t llen, klen, vlen, tvlen;
	unsigned char *seen;
	struct spool_log *nl;
	uint64_t n;
	char *s;

	if (len > SPOOL_RECORD_MAX)
		return spool_fail(err, SMTPC_EDATA,
		    "%s: the state is longer than %u bytes", what,
		    SPOOL_RECORD_MAX);
	if ((rc = spool_check_magic(
		 &l, "smtpc-queue-state", "smtpc queue state record")) != 0)
		return rc;
	if ((seen = calloc(e->nrcpt + 1, 1)) == NULL)
		return spool_oom(err);
	while ((rc = spool_next_line(&l, &line, &llen)) > 0) {
		spool_split(line, llen, &klen, &v, &vlen);
		if (spool_key_is(line, klen, "id")) {
			if ((rc = spool_once(&l, &seen_id, line, klen)) != 0)
				break;
			if (vlen != strlen(e->id) ||
			    memcmp(v, e->id, vlen) != 0) {
				rc = spool_bad_line(
				    &l, "the state of another entry");
				break;
			}
		} else if (spool_key_is(line, klen, "state")) {
			if ((rc = spool_once(&l, &seen_state, line, klen)))
				break;
			st = spool_state_by_name(v, vlen, spool_state_names,
			    sizeof(spool_state_names) /
				sizeof(*spool_state_names));
			if (st < 0) {
				rc = spool_bad_line(&l, "an unknown state");
				break;
			}
			e->state = (enum spool_state)st;
		} else if (spool_key_is(line, klen, "attempts")) {
			if ((rc = spool_once(&l, &seen_attempts, line, klen)) ||
			    (rc = spool_number(&l, v, vlen, UINT_MAX, &n)))
				break;
			e->attempts = (unsigned)n;
		} else if (spool_key_is(line, klen, "next")) {
			if ((rc = spool_once(&l, &seen_next, line, klen)) ||
			    (rc = spool_number(&l, v, vlen, INT64_MAX, &n)))
				break;
			e->next_attempt = (int64_t)n;
		} else if (spool_key_is(line, klen, "last")) {
			if ((rc = spool_once(&l, &seen_last, line, klen)) ||
			    (rc = spool_number(&l, v, vlen, INT64_MAX, &n)))
				break;
			e->last_attempt = (int64_t)n;
		} else if (spool_key_is(line, klen, "error")) {
			if ((rc = spool_once(&l, &seen_error, line, klen)))
				break;
			free(e->error);
			e->error = NULL;
			if ((rc = spool_unescape(&l, v, vlen, &e->error)))
				break;
		} else if (spool_key_is(line, klen, "rcpt")) {
			if ((rc = spool_parse_rcpt_state(
				 &l, e, seen, v, vlen)) != 0)
				break;
		} else if (spool_key_is(line, klen, "log")) {
			/* "log WHEN TEXT" */
			if (e->nlog >= SPOOL_LOG_MAX) {
				rc = spool_bad_line(
				    &l, "too many history lines");
				break;
			}
			spool_split(v, vlen, &klen, &tv, &tvlen);
			if ((rc = spool_number(&l, v, klen, INT64_MAX, &n)) ||
			    (rc = spool_unescape(&l, tv, tvlen, &s)))
				break;
			nl = realloc(e->log, (e->nlog + 1) * sizeof(*nl));
			if (nl == NULL) {
				free(s);
				rc = spool_oom(err);
				break;
			}
			e->log = nl;
			nl[e->nlog].when = (int64_t)n;
			nl[e->nlog++].text = s;
		} else {
			rc = spool_unknown(&l, line, klen);
			break;
		}
	}
	free(seen);
	if (rc < 0)
		return rc;
	if (!seen_id || !seen_state)
		return spool_fail(err, SMTPC_EDATA, "%s: the state lacks %s",
		    what, !seen_id ? "the entry's ID" : "the state");
	return 0;
}

int
spool_parse_footer(const char *f, uint64_t file_size, const char *what,
    uint64_t *ret_msg_len, uint32_t *ret_meta_len, struct smtpc_error *err)
{
	static const char magic[] = "smtpc-queue-end ";
	uint64_t m = 0;
	uint32_t k = 0;
	size_t i;
	int h;

	if (file_size < SPOOL_FOOTER_LEN ||
	    memcmp(f, magic, sizeof(magic) - 1) != 0)
		goto bad;
	for (i = 16; i < 32; i++) {
		if ((h = spool_hexval(f[i])) < 0 ||
		    (f[i] >= 'A' && f[i] <= 'F'))
			goto bad;
		m = m << 4 | (uint64_t)h;
	}
	if (f[32] != ' ')
		goto bad;
	for (i = 33; i < 41; i++) {
		if ((h = spool_hexval(f[i])) < 0 ||
		    (f[i] >= 'A' && f[i] <= 'F'))
			goto bad;
		k = k << 4 | (uint32_t)h;
	}
	if (f[41] != '\n')
		goto bad;
	if (k == 0 || k > SPOOL_RECORD_MAX ||
	    m > file_size - SPOOL_FOOTER_LEN ||
	    k != file_size - SPOOL_FOOTER_LEN - m)
		return spool_fail(err, SMTPC_EDATA,
		    "%s: a queue entry whose lengths do not add up (cut "
		    "short or changed?)",
		    what);
	*ret_msg_len = m;
	*ret_meta_len = k;
	return 0;
bad:
	return spool_fail(err, SMTPC_EDATA,
	    "%s: not a smtpc queue entry (no entry footer at its end)", what);
}
