/* Unit tests for sasl.c: exact PLAIN/LOGIN responses and the choice. */
#include <stdio.h>
#include <string.h>

#include "sasl.h"
#include "tap.h"

struct choose_case {
	const char *offered;
	const char *wanted;
	int rc;
	const char *chosen;	/* NULL on failure */
	const char *why;	/* fragment of err.message on failure */
};

static const struct choose_case choose_cases[] = {
	{ "PLAIN LOGIN", NULL, 0, "PLAIN", NULL },
	{ "LOGIN PLAIN", NULL, 0, "PLAIN", NULL },
	{ "LOGIN", NULL, 0, "LOGIN", NULL },
	{ "CRAM-MD5 LOGIN GSSAPI", NULL, 0, "LOGIN", NULL },
	{ "XOAUTH2 PLAIN", NULL, 0, "PLAIN", NULL },
	{ "PLAINX LOGINX", NULL, SMTPC_ENOMECH, NULL, "no supported" },
	{ "", NULL, SMTPC_ENOMECH, NULL, "offers: nothing" },
	{ NULL, NULL, SMTPC_ENOMECH, NULL, "offers: nothing" },
	{ "CRAM-MD5 GSSAPI", NULL, SMTPC_ENOMECH, NULL, "CRAM-MD5 GSSAPI" },
	{ "PLAIN LOGIN", "login", 0, "LOGIN", NULL },
	{ "PLAIN LOGIN", "PLAIN", 0, "PLAIN", NULL },
	{ "PLAIN", "LOGIN", SMTPC_ENOMECH, NULL, "does not offer LOGIN" },
	{ "PLAIN CRAM-MD5", "CRAM-MD5", SMTPC_ENOMECH, NULL,
	    "not supported" },
	{ "PLAIN", "PLAI", SMTPC_ENOMECH, NULL, "not supported" },
};

static void
sasl_choice(void)
{
	const struct sasl_mech *m;
	struct smtpc_error err;
	char what[160];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *c = &choose_cases[i];

		m = NULL;
		memset(&err, 0, sizeof(err));
		rc = sasl_choose(c->offered, c->wanted, &m, &err);
		snprintf(what, sizeof(what), "choose \"%s\" want %s: rc %d",
		    c->offered ? c->offered : "(null)",
		    c->wanted ? c->wanted : "(any)", c->rc);
		ok(rc == c->rc, what);
		if (c->rc == 0) {
			ok(m != NULL && strcmp(m->name, c->chosen) == 0,
			    c->chosen);
		} else {
			ok(m == NULL, "nothing chosen on failure");
			ok(err.code == SMTPC_ENOMECH &&
			    strstr(err.message, c->why) != NULL, c->why);
		}
	}
	ok(sasl_find("plain") == sasl_find("PLAIN") && sasl_find("PLAIN"),
	    "find is case-insensitive");
	ok(sasl_find("SCRAM-SHA-1") == NULL, "unknown mechanism not found");
}

static void
sasl_exchanges(void)
{
	struct sasl_client c;
	struct smtpc_error err;
	struct buf out;

	buf_init(&out, 4096);

	/* RFC 4616 section 4 example, without authzid. */
	sasl_client_init(&c, sasl_find("PLAIN"), "tim", "tanstaaftanstaaf",
	    16);
	ok(c.mech->client_first, "PLAIN is client-first");
	ok(sasl_client_step(&c, NULL, 0, &out, &err) == 0, "PLAIN step");
	eq_mem(out.data, out.len, "\0tim\0tanstaaftanstaaf", 21,
	    "PLAIN response");
	buf_reset(&out);
	ok(sasl_client_step(&c, (const unsigned char *)"x", 1, &out,
	    &err) == SMTPC_EPROTO && out.len == 0,
	    "PLAIN refuses a second step");
	sasl_client_free(&c);
	ok(c.pass == NULL, "client forgets the password");

	/* A password with a NUL-free but 8-bit value, length-delimited. */
	buf_reset(&out);
	sasl_client_init(&c, sasl_find("PLAIN"), "u\xc3\xa9", "p\xc3\xa9w",
	    3);
	ok(sasl_client_step(&c, NULL, 0, &out, &err) == 0, "PLAIN UTF-8");
	eq_mem(out.data, out.len, "\0u\xc3\xa9\0p\xc3\xa9", 8,
	    "password length respected");
	sasl_client_free(&c);

	sasl_client_init(&c, sasl_find("LOGIN"), "alice", "s3cret", 6);
	ok(!c.mech->client_first, "LOGIN waits for a challenge");
	buf_reset(&out);
	ok(sasl_client_step(&c, (const unsigned char *)"Username:", 9, &out,
	    &err) == 0, "LOGIN step 1");
	eq_mem(out.data, out.len, "alice", 5, "LOGIN sends the user");
	buf_reset(&out);
	ok(sasl_client_step(&c, (const unsigned char *)"Benutzer:", 9, &out,
	    &err) == 0, "LOGIN step 2 (prompt text ignored)");
	eq_mem(out.data, out.len, "s3cret", 6, "LOGIN sends the password");
	buf_reset(&out);
	ok(sasl_client_step(&c, (const unsigned char *)"?", 1, &out,
	    &err) == SMTPC_EPROTO, "LOGIN refuses a third step");
	ok(strstr(err.message, "s3cret") == NULL,
	    "error never holds the password");
	sasl_client_free(&c);
	buf_wipe_free(&out);
}

int
main(void)
{
	sasl_choice();
	sasl_exchanges();
	return tap_done();
}
