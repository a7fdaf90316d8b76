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
	buf_append_str(&b, "secret");
	buf_wipe_free(&b);
	ok(b.data == NULL, "wipe_free releases");
	return tap_done();
}
