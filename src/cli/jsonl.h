/* SPDX-License-Identifier: ISC */
/*
 * jsonl.h - a small strict JSON parser for one line of a JSON Lines file
 * (RFC 8259): objects, arrays, strings, numbers, true, false, null.
 * Bounded: a line of at most JSONL_LINE_MAX bytes, nesting of at most
 * JSONL_DEPTH_MAX, objects of at most JSONL_MEMBERS_MAX members; strings
 * are UTF-8 without NUL; an object may not name a key twice.  What it
 * refuses it says in one sentence with the column.
 */
#ifndef SMTPC_CLI_JSONL_H
#define SMTPC_CLI_JSONL_H

#include <stddef.h>

#define JSONL_LINE_MAX	(1024 * 1024)
#define JSONL_DEPTH_MAX	16
#define JSONL_MEMBERS_MAX	256

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	char *key;		/* a member of an object: its name */
	char *str;		/* STRING: the text; NUMBER: as written */
	size_t len;
	int boolean;
	struct json_value *items;	/* ARRAY, OBJECT */
	size_t n;
};

/*
 * Parse `len` bytes (one line, without its newline) into *ret, or return
 * -1 with a sentence in `why`.  Free with jsonl_free.
 */
int jsonl_parse(const char *text, size_t len, struct json_value **ret,
    char *why, size_t whycap);
void jsonl_free(struct json_value *v);

/* The member `key` of object `obj`, or NULL. */
const struct json_value *jsonl_get(const struct json_value *obj,
    const char *key);

#endif
