/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonl.c - jsonl_parse (the batch input's JSON) on arbitrary bytes.
 *
 * Properties: never crashes, leaks or reads past the input; a refusal
 * says why in a non-empty sentence naming the column (or the length
 * limit); a parsed value has only NUL-free strings whose length is
 * theirs, objects without duplicate names, nesting within the limit;
 * and written back as JSON by the independent writer here, it parses
 * again to the same tree (the writer re-escapes every string, so the
 * escapes of the input are checked against their meaning).
 */
#include "../src/cli/jsonl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_write_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	unsigned char c;

	buf_append_byte(b, '"');
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_append_byte(b, '\\');
			buf_append_byte(b, c);
		} else if (c < 0x20) {
			buf_append_str(b, "\\u00");
			buf_append_byte(b, hex[c >> 4]);
			buf_append_byte(b, hex[c & 0xf]);
		} else
			buf_append_byte(b, c);
	}
	buf_append_byte(b, '"');
}

static void
fuzz_write(struct buf *b, const struct json_value *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		buf_append_str(b, "null");
		break;
	case JSON_BOOL:
		buf_append_str(b, v->boolean ? "true" : "false");
		break;
	case JSON_NUMBER:
		buf_append(b, v->str, v->len);
		break;
	case JSON_STRING:
		fuzz_write_string(b, v->str, v->len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		buf_append_byte(b, v->type == JSON_ARRAY ? '[' : '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_append_byte(b, ',');
			if (v->type == JSON_OBJECT) {
				fuzz_write_string(b, v->items[i].key,
				    strlen(v->items[i].key));
				buf_append_byte(b, ':');
			}
			fuzz_write(b, &v->items[i]);
		}
		buf_append_byte(b, v->type == JSON_ARRAY ? ']' : '}');
		break;
	}
}

static void
fuzz_same(const struct json_value *a, const struct json_value *b, int depth)
{
	size_t i, k;

	FUZZ_CHECK(depth <= JSONL_DEPTH_MAX, "nested %d deep", depth);
	FUZZ_CHECK(a->type == b->type, "type %d != %d", a->type, b->type);
	FUZZ_CHECK(a->n == b->n, "%zu != %zu items", a->n, b->n);
	FUZZ_CHECK(a->boolean == b->boolean, "boolean differs");
	if (a->type == JSON_STRING || a->type == JSON_NUMBER) {
		FUZZ_CHECK(a->len == b->len && memcmp(a->str, b->str,
		    a->len) == 0, "text differs");
		FUZZ_CHECK(strlen(a->str) == a->len, "NUL inside a string");
	}
	for (i = 0; i < a->n; i++) {
		if (a->type == JSON_OBJECT) {
			FUZZ_CHECK(strcmp(a->items[i].key, b->items[i].key) ==
			    0, "member name differs");
			for (k = 0; k < i; k++)
				FUZZ_CHECK(strcmp(a->items[k].key,
				    a->items[i].key) != 0, "duplicate name");
			FUZZ_CHECK(jsonl_get(a, a->items[i].key) ==
			    &a->items[i], "jsonl_get finds another");
		}
		fuzz_same(&a->items[i], &b->items[i], depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v = NULL, *w = NULL;
	struct buf out;
	char why[256];
	char *copy;

	/* An exact-size copy: a read past the end is ASan's to catch. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	why[0] = '\0';
	if (jsonl_parse(copy, size, &v, why, sizeof(why)) != 0) {
		FUZZ_CHECK(v == NULL, "a refusal returned a value");
		FUZZ_CHECK(strncmp(why, "column ", 7) == 0 ||
		    strncmp(why, "line longer", 11) == 0 ||
		    strcmp(why, "out of memory") == 0, "why: %s", why);
		free(copy);
		return 0;
	}
	/* An escape of two bytes may come back as six ("\\b", "\\u0008"). */
	buf_init(&out, 6 * size + 16);
	fuzz_write(&out, v);
	if (out.len <= JSONL_LINE_MAX) {
		FUZZ_CHECK(jsonl_parse((const char *)out.data, out.len, &w,
		    why, sizeof(why)) == 0, "written back, refused: %s", why);
		fuzz_same(v, w, 0);
	}
	jsonl_free(v);
	jsonl_free(w);
	buf_free(&out);
	free(copy);
	return 0;
}
