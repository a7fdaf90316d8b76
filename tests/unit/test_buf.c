/* SPDX-License-Identifier: ISC */
/* Unit tests for buf.c: bounds, binary safety, detach. */
#include <stdlib.h>

#include "buf.h"
#include "smtpc.h"
#include "tap.h"

int
main(void)
{
	struct buf b;
	char *p;
	size_t len;

	buf_init(&b, 8);
	eq_str(buf_cstr(&b), "", "empty buffer reads as empty string");
	ok(buf_append(&b, "abc", 3) == 0, "append within limit");
	ok(buf_append(&b, "\0de", 3) == 0, "append with NUL byte");
	ok(b.len == 6 && b.data[3] == '\0' && b.data[6] == '\0',
	    "binary-safe and NUL-terminated");
	ok(buf_append(&b, "xyz", 3) == SMTPC_ELIMIT, "append past max refused");
	ok(b.len == 6, "failed append leaves buffer unchanged");
	ok(buf_append_byte(&b, 'z') == 0 && b.len == 7, "append byte");
	buf_consume(&b, 4);
	eq_mem(b.data, b.len, "dez", 3, "consume drops the front");
	buf_reset(&b);
	ok(buf_printf(&b, "%d-%s", 42, "ok") == 0, "printf");
	eq_str(buf_cstr(&b), "42-ok", "printf contents");
	ok(buf_printf(&b, "%s", "toolong") == SMTPC_ELIMIT,
	    "printf past max refused");
	p = buf_detach(&b, &len);
	ok(p != NULL && len == 5 && strcmp(p, "42-ok") == 0, "detach");
	ok(b.data == NULL && b.len == 0, "detach empties the buffer");
	free(p);
	{
		/* Growth moves small blocks by hand (wiping the old) and
		   reallocs large ones: the contents, NULs included, survive
		   every doubling on both sides of the 64 KiB line. */
		struct buf g;
		size_t i, bad = 0, n = 200000;

		buf_init(&g, 1 << 18);
		for (i = 0; i < n; i++)
			if (buf_append_byte(&g, (unsigned char)(i % 251)) != 0)
				bad++;
		for (i = 0; i < g.len; i++)
			if (g.data[i] != (unsigned char)(i % 251))
				bad++;
		ok(bad == 0 && g.len == n && g.data[n] == '\0' &&
		    g.cap >= n + 1, "growth keeps contents and terminator");
		buf_wipe_free(&g);
	}
	buf_init(&b, 16);
	buf_truncate(&b, 0);
	ok(b.data == NULL && b.len == 0, "truncate of an empty buffer");
	buf_append_str(&b, "abcdef");
	buf_truncate(&b, 9);
	ok(b.len == 6, "truncate past the end changes nothing");
	buf_truncate(&b, 2);
	ok(b.len == 2 && strcmp(buf_cstr(&b), "ab") == 0,
	    "truncate cuts and keeps the NUL");
	buf_free(&b);
	buf_append_str(&b, "secret");
	buf_wipe_free(&b);
	ok(b.data == NULL, "wipe_free releases");
	{
		/* Writing in place: room first, then the count written. */
		unsigned char *room = NULL;

		buf_init(&b, 10);
		buf_append_str(&b, "ab");
		ok(buf_prepare(&b, 8, &room) == 0 && room == b.data + 2 &&
		    b.len == 2, "prepare gives room at the end");
		memcpy(room, "cdefgh", 6);
		buf_commit(&b, 5);
		ok(b.len == 7 && strcmp(buf_cstr(&b), "abcdefg") == 0,
		    "commit counts what was written and keeps the NUL");
		ok(buf_prepare(&b, 4, &room) == SMTPC_ELIMIT && b.len == 7,
		    "prepare past the ceiling refused, buffer unchanged");
		buf_free(&b);
	}
	return tap_done();
}
