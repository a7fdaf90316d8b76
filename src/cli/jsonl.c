/* SPDX-License-Identifier: ISC */
/*
 * jsonl.c - strict JSON for batch input lines (jsonl.h).  Recursive
 * descent over a bounded line, depth-limited so hostile input cannot
 * exhaust the stack; every allocation is freed on every failure.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

struct jp {
	const unsigned char *p, *start, *end;
	char *why;
	size_t whycap;
	int failed;
};

static int jp_fail(struct jp *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
jp_fail(struct jp *j, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (j->failed)
		return -1;
	j->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(j->why, j->whycap, "column %zu: %s",
	    (size_t)(j->p - j->start) + 1, msg);
	return -1;
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int
jp_lit(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jp_fail(j, "not a JSON value");
	j->p += n;
	return 0;
}

/* Length of the UTF-8 sequence at p (RFC 3629), 0 when invalid. */
static size_t
jp_utf8(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

static int
jp_hex4(struct jp *j, uint32_t *ret)
{
	uint32_t c = 0;
	int i, d;

	if (j->end - j->p < 4)
		return jp_fail(j, "short \\u escape");
	for (i = 0; i < 4; i++) {
		d = j->p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return jp_fail(j, "bad \\u escape");
		c = c << 4 | (uint32_t)d;
	}
	j->p += 4;
	*ret = c;
	return 0;
}

static size_t
jp_put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* A string at j->p (at its opening quote) into a new NUL-ended copy. */
static int
jp_string(struct jp *j, char **ret, size_t *ret_len)
{
	const unsigned char *q;
	char *out, *o;
	uint32_t c, lo;
	size_t n;

	j->p++;
	/* The decoded text is never longer than the rest of the line. */
	if ((out = malloc((size_t)(j->end - j->p) + 1)) == NULL)
		return jp_fail(j, "out of memory");
	o = out;
	for (;;) {
		if (j->p >= j->end) {
			free(out);
			return jp_fail(j, "unterminated string");
		}
		q = j->p;
		if (*q == '"') {
			j->p++;
			break;
		}
		if (*q < 0x20) {
			free(out);
			return jp_fail(j, "control character in a string");
		}
		if (*q != '\\') {
			if ((n = jp_utf8(q, j->end)) == 0) {
				free(out);
				return jp_fail(j, "invalid UTF-8");
			}
			memcpy(o, q, n);
			o += n;
			j->p += n;
			continue;
		}
		if (j->end - q < 2) {
			free(out);
			return jp_fail(j, "unterminated string");
		}
		j->p += 2;
		switch (q[1]) {
		case '"': *o++ = '"'; continue;
		case '\\': *o++ = '\\'; continue;
		case '/': *o++ = '/'; continue;
		case 'b': *o++ = '\b'; continue;
		case 'f': *o++ = '\f'; continue;
		case 'n': *o++ = '\n'; continue;
		case 'r': *o++ = '\r'; continue;
		case 't': *o++ = '\t'; continue;
		case 'u': break;
		default:
			free(out);
			return jp_fail(j, "bad escape \\%c", q[1]);
		}
		if (jp_hex4(j, &c) != 0) {
			free(out);
			return -1;
		}
		if (c >= 0xdc00 && c <= 0xdfff) {
			free(out);
			return jp_fail(j, "lone low surrogate");
		}
		if (c >= 0xd800 && c <= 0xdbff) {
			if (j->end - j->p < 2 || j->p[0] != '\\' ||
			    j->p[1] != 'u') {
				free(out);
				return jp_fail(j, "lone high surrogate");
			}
			j->p += 2;
			if (jp_hex4(j, &lo) != 0) {
				free(out);
				return -1;
			}
			if (lo < 0xdc00 || lo > 0xdfff) {
				free(out);
				return jp_fail(j, "bad surrogate pair");
			}
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (c == 0) {
			free(out);
			return jp_fail(j, "NUL in a string");
		}
		/* An escape is at least as long as what it stands for. */
		o += jp_put_utf8(o, c);
	}
	*o = '\0';
	*ret = out;
	*ret_len = (size_t)(o - out);
	return 0;
}

static int
jp_digits(struct jp *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : jp_fail(j, "bad number");
}

static int
jp_number(struct jp *j, struct json_value *v)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (jp_digits(j) != 0)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (jp_digits(j) != 0)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (jp_digits(j) != 0)
			return -1;
	}
	v->type = JSON_NUMBER;
	v->len = (size_t)(j->p - s);
	if ((v->str = malloc(v->len + 1)) == NULL)
		return jp_fail(j, "out of memory");
	memcpy(v->str, s, v->len);
	v->str[v->len] = '\0';
	return 0;
}

static void
jp_clear(struct json_value *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		jp_clear(&v->items[i]);
	free(v->items);
	free(v->str);
	free(v->key);
}

static int jp_value(struct jp *j, struct json_value *v, int depth);

/* One more element in v->items, zeroed. */
static struct json_value *
jp_push(struct jp *j, struct json_value *v, size_t *cap)
{
	struct json_value *p;
	size_t ncap;

	if (v->n == *cap) {
		ncap = *cap ? *cap * 2 : 4;
		if ((p = realloc(v->items, ncap * sizeof(*p))) == NULL) {
			jp_fail(j, "out of memory");
			return NULL;
		}
		v->items = p;
		*cap = ncap;
	}
	p = &v->items[v->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int
jp_container(struct jp *j, struct json_value *v, int depth)
{
	int obj = *j->p == '{';
	unsigned char close = obj ? '}' : ']';
	struct json_value *e;
	size_t cap = 0, i;
	char *key;
	size_t klen;

	if (depth >= JSONL_DEPTH_MAX)
		return jp_fail(j, "nested more than %d deep", JSONL_DEPTH_MAX);
	v->type = obj ? JSON_OBJECT : JSON_ARRAY;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		jp_ws(j);
		key = NULL;
		/* Keys are checked against each other: keep that bounded. */
		if (obj && v->n >= JSONL_MEMBERS_MAX)
			return jp_fail(j, "more than %d members",
			    JSONL_MEMBERS_MAX);
		if (obj) {
			if (j->p >= j->end || *j->p != '"')
				return jp_fail(j, "expected a member name");
			if (jp_string(j, &key, &klen) != 0)
				return -1;
			for (i = 0; i < v->n; i++)
				if (strcmp(v->items[i].key, key) == 0) {
					free(key);
					return jp_fail(j, "duplicate member "
					    "name");
				}
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return jp_fail(j, "expected ':'");
			}
			j->p++;
		}
		if ((e = jp_push(j, v, &cap)) == NULL) {
			free(key);
			return -1;
		}
		e->key = key;
		if (jp_value(j, e, depth + 1) != 0)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return jp_fail(j, "expected ',' or '%c'", close);
	}
}

static int
jp_value(struct jp *j, struct json_value *v, int depth)
{
	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "expected a value");
	switch (*j->p) {
	case '{':
	case '[':
		return jp_container(j, v, depth);
	case '"':
		v->type = JSON_STRING;
		return jp_string(j, &v->str, &v->len);
	case 't':
		v->type = JSON_BOOL;
		v->boolean = 1;
		return jp_lit(j, "true");
	case 'f':
		v->type = JSON_BOOL;
		return jp_lit(j, "false");
	case 'n':
		v->type = JSON_NULL;
		return jp_lit(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return jp_number(j, v);
		return jp_fail(j, "not a JSON value");
	}
}

int
jsonl_parse(const char *text, size_t len, struct json_value **ret,
    char *why, size_t whycap)
{
	struct json_value *v;
	struct jp j;

	*ret = NULL;
	memset(&j, 0, sizeof(j));
	j.p = j.start = (const unsigned char *)text;
	j.end = j.p + len;
	j.why = why;
	j.whycap = whycap;
	if (len > JSONL_LINE_MAX) {
		snprintf(why, whycap, "line longer than %d bytes",
		    JSONL_LINE_MAX);
		return -1;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(why, whycap, "out of memory");
		return -1;
	}
	if (jp_value(&j, v, 0) == 0) {
		jp_ws(&j);
		if (j.p != j.end)
			jp_fail(&j, "more after the value");
	}
	if (j.failed) {
		jsonl_free(v);
		return -1;
	}
	*ret = v;
	return 0;
}

void
jsonl_free(struct json_value *v)
{
	if (v == NULL)
		return;
	jp_clear(v);
	free(v);
}

const struct json_value *
jsonl_get(const struct json_value *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->items[i].key, key) == 0)
			return &obj->items[i];
	return NULL;
}
