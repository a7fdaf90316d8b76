/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for sasl.c: the choice among mechanisms, exact PLAIN, LOGIN
 * and CRAM-MD5 responses, the SCRAM exchanges of RFC 5802 and RFC 7677,
 * hostile SCRAM servers, XOAUTH2 and OAUTHBEARER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"
#include "tap.h"

#define PW SASL_HAVE_PASSWORD
#define TOK SASL_HAVE_TOKEN

struct choose_case {
	const char *offered;
	const char *wanted;
	unsigned have;
	int rc;
	const char *chosen;	/* NULL on failure */
	const char *why;	/* fragment of err.message on failure */
};

static const struct choose_case choose_cases[] = {
	{ "PLAIN LOGIN", NULL, PW, 0, "PLAIN", NULL },
	{ "LOGIN PLAIN", NULL, PW, 0, "PLAIN", NULL },
	{ "LOGIN", NULL, PW, 0, "LOGIN", NULL },
	{ "CRAM-MD5 LOGIN GSSAPI", NULL, PW, 0, "LOGIN", NULL },
	{ "XOAUTH2 PLAIN", NULL, PW, 0, "PLAIN", NULL },
	{ "PLAIN LOGIN SCRAM-SHA-1", NULL, PW, 0, "SCRAM-SHA-1", NULL },
	{ "SCRAM-SHA-1 PLAIN SCRAM-SHA-256 LOGIN", NULL, PW, 0,
	    "SCRAM-SHA-256", NULL },
	{ "scram-sha-256 plain", NULL, PW, 0, "SCRAM-SHA-256", NULL },
	{ "SCRAM-SHA-256-PLUS PLAIN", NULL, PW, 0, "PLAIN", NULL },
	{ "PLAINX LOGINX", NULL, PW, SMTPC_ENOMECH, NULL, "no supported" },
	{ "", NULL, PW, SMTPC_ENOMECH, NULL, "offers: nothing" },
	{ NULL, NULL, PW, SMTPC_ENOMECH, NULL, "offers: nothing" },
	{ "CRAM-MD5 GSSAPI", NULL, PW, SMTPC_ENOMECH, NULL,
	    "CRAM-MD5 GSSAPI" },
	{ "XOAUTH2 OAUTHBEARER", NULL, PW, SMTPC_ENOMECH, NULL,
	    "no supported" },
	{ "PLAIN LOGIN", "login", PW, 0, "LOGIN", NULL },
	{ "PLAIN LOGIN", "PLAIN", PW, 0, "PLAIN", NULL },
	{ "PLAIN", "LOGIN", PW, SMTPC_ENOMECH, NULL, "does not offer LOGIN" },
	{ "PLAIN CRAM-MD5", "CRAM-MD5", PW, 0, "CRAM-MD5", NULL },
	{ "PLAIN CRAM-MD5", "cram-md5", PW, 0, "CRAM-MD5", NULL },
	{ "SCRAM-SHA-256 PLAIN", "PLAIN", PW, 0, "PLAIN", NULL },
	{ "PLAIN", "PLAI", PW, SMTPC_ENOMECH, NULL, "not supported" },
	{ "PLAIN", "GSSAPI", PW, SMTPC_ENOMECH, NULL, "not supported" },
	/* Tokens go in token mechanisms only, and the reverse. */
	{ "PLAIN XOAUTH2 OAUTHBEARER", NULL, TOK, 0, "OAUTHBEARER", NULL },
	{ "PLAIN LOGIN XOAUTH2", NULL, TOK, 0, "XOAUTH2", NULL },
	{ "SCRAM-SHA-256 PLAIN", NULL, TOK, SMTPC_ENOMECH, NULL,
	    "for an OAuth token" },
	{ "PLAIN XOAUTH2 OAUTHBEARER", "XOAUTH2", TOK, 0, "XOAUTH2", NULL },
	{ "PLAIN XOAUTH2", "PLAIN", TOK, SMTPC_ENOMECH, NULL,
	    "needs a password" },
	{ "PLAIN XOAUTH2", "XOAUTH2", PW, SMTPC_ENOMECH, NULL,
	    "needs an OAuth token" },
	{ "PLAIN", "OAUTHBEARER", TOK, SMTPC_ENOMECH, NULL,
	    "does not offer OAUTHBEARER" },
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
		rc = sasl_choose(c->offered, c->wanted, c->have, &m, &err);
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
	ok(sasl_find("SCRAM-SHA-1") != NULL && sasl_find("GSSAPI") == NULL,
	    "SCRAM-SHA-1 found, GSSAPI not");
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

/* One SCRAM exchange as the RFCs print it. */
struct scram_vector {
	const char *mech;
	const char *user, *pass, *nonce;
	const char *client_first, *server_first, *client_final;
	const char *server_final;
};

static const struct scram_vector scram_vectors[] = {
	/* RFC 5802 section 5. */
	{ "SCRAM-SHA-1", "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL",
	    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92,i=4096",
	    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	/* RFC 7677 section 3. */
	{ "SCRAM-SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
	    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
	    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
};

static int
step_str(struct sasl_client *c, const char *in, struct buf *out,
    struct smtpc_error *err)
{
	buf_reset(out);
	memset(err, 0, sizeof(*err));
	return sasl_client_step(c, (const unsigned char *)in,
	    in ? strlen(in) : 0, out, err);
}

static void
sasl_scram_rfc(void)
{
	struct sasl_client c;
	struct smtpc_error err;
	struct buf out;
	size_t i;

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(scram_vectors) / sizeof(scram_vectors[0]);
	    i++) {
		const struct scram_vector *v = &scram_vectors[i];

		sasl_client_init(&c, sasl_find(v->mech), v->user, v->pass,
		    strlen(v->pass));
		c.nonce = v->nonce;
		ok(c.mech->client_first && c.mech->mutual, v->mech);
		ok(step_str(&c, NULL, &out, &err) == 0, "client-first");
		eq_str(buf_cstr(&out), v->client_first, "client-first bytes");
		ok(sasl_client_done(&c, &err) == SMTPC_EPROTO,
		    "235 before the exchange: refused");
		ok(step_str(&c, v->server_first, &out, &err) == 0,
		    "server-first accepted");
		eq_str(buf_cstr(&out), v->client_final, "client-final bytes");
		ok(sasl_client_done(&c, &err) == SMTPC_EPROTO &&
		    strstr(err.message, "signature") != NULL,
		    "235 without the server signature: refused");
		ok(step_str(&c, v->server_final, &out, &err) == 0 &&
		    out.len == 0, "server-final verified, empty response");
		ok(c.verified && sasl_client_done(&c, &err) == 0,
		    "done after verification");
		ok(step_str(&c, "v=x", &out, &err) == SMTPC_EPROTO,
		    "a fourth step is refused");
		sasl_client_free(&c);
		ok(c.priv == NULL && c.pass == NULL, "state wiped and freed");
	}
	buf_wipe_free(&out);
}

/* Hostile or broken SCRAM servers: each step-1 or step-2 input fails. */
struct scram_bad {
	int at;			/* 1: server-first, 2: server-final */
	const char *in;
	int rc;
	const char *why;	/* fragment of err.message */
};

#define SF_OK "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

static const struct scram_bad scram_bads[] = {
	{ 1, "", SMTPC_EPROTO, "malformed" },
	{ 1, "garbage", SMTPC_EPROTO, "malformed" },
	{ 1, "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOx,i=4096",
	    SMTPC_EPROTO, "malformed" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==",
	    SMTPC_EPROTO, "malformed" },
	{ 1, "m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=4096",
	    SMTPC_EPROTO, "extension" },
	{ 1, "r=someoneElsesNonce123,s=QSXCR+Q6sek8bf92,i=4096",
	    SMTPC_EPROTO, "does not extend" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqO,s=QSXCR+Q6sek8bf92,i=4096",
	    SMTPC_EPROTO, "does not extend" },
	{ 1, "r=rOprNGfwEbeRWgbNEkq,s=QSXCR+Q6sek8bf92,i=4096",
	    SMTPC_EPROTO, "does not extend" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqO\x7f,s=QSXCR+Q6sek8bf92,i=4096",
	    SMTPC_EPROTO, "invalid characters" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=4095",
	    SMTPC_EPROTO, "outside" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=1",
	    SMTPC_EPROTO, "outside" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=1000001",
	    SMTPC_EPROTO, "outside" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=4294967297",
	    SMTPC_EPROTO, "iteration count" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=-4096",
	    SMTPC_EPROTO, "iteration count" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=04096",
	    SMTPC_EPROTO, "iteration count" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=QSXCR+Q6sek8bf92,i=4096x",
	    SMTPC_EPROTO, "iteration count" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096", SMTPC_EPROTO, "salt" },
	{ 1, "r=rOprNGfwEbeRWgbNEkqOx,s=not*base64,i=4096", SMTPC_EPROTO,
	    "salt" },
	{ 2, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=", SMTPC_EPROTO,
	    "signature is wrong" },
	{ 2, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", SMTPC_EPROTO,
	    "signature is wrong" },
	{ 2, "v=", SMTPC_EPROTO, "signature is wrong" },
	{ 2, "v=!!!!", SMTPC_EPROTO, "signature is wrong" },
	{ 2, "", SMTPC_EPROTO, "malformed" },
	{ 2, "x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", SMTPC_EPROTO,
	    "v= expected" },
	{ 2, "e=invalid-proof", SMTPC_EAUTH, "invalid-proof" },
	{ 2, "e=other\x01" "error", SMTPC_EAUTH, "other\\x01error" },
};

static void
sasl_scram_hostile(void)
{
	struct sasl_client c;
	struct smtpc_error err;
	struct buf out;
	char what[200];
	size_t i;
	int rc;

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(scram_bads) / sizeof(scram_bads[0]); i++) {
		const struct scram_bad *b = &scram_bads[i];

		sasl_client_init(&c, sasl_find("SCRAM-SHA-256"), "user",
		    "pencil", 6);
		c.nonce = "rOprNGfwEbeRWgbNEkqO";
		rc = step_str(&c, NULL, &out, &err);
		if (b->at == 2)
			rc |= step_str(&c, SF_OK, &out, &err);
		snprintf(what, sizeof(what), "step %d \"%.60s\": rc %d", b->at,
		    b->in, b->rc);
		ok(rc == 0, "steps before the bad one");
		rc = step_str(&c, b->in, &out, &err);
		ok(rc == b->rc, what);
		ok(strstr(err.message, b->why) != NULL, b->why);
		ok(strstr(err.message, "pencil") == NULL,
		    "no password in the error");
		ok(sasl_client_done(&c, &err) != 0, "never done");
		sasl_client_free(&c);
	}

	/* The longest server-first we take: its nonce fits the reply. */
	{
		static char sf[4097];
		struct buf big;
		size_t pre = strlen("r=rOprNGfwEbeRWgbNEkqO");
		const char *tail = ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

		memcpy(sf, "r=rOprNGfwEbeRWgbNEkqO", pre);
		memset(sf + pre, 'x', 4096 - pre - strlen(tail));
		memcpy(sf + 4096 - strlen(tail), tail, strlen(tail) + 1);
		buf_init(&big, 16384);
		sasl_client_init(&c, sasl_find("SCRAM-SHA-256"), "user",
		    "pencil", 6);
		c.nonce = "rOprNGfwEbeRWgbNEkqO";
		rc = step_str(&c, NULL, &big, &err);
		buf_reset(&big);
		ok(rc == 0 && strlen(sf) == 4096 &&
		    step_str(&c, sf, &big, &err) == 0,
		    "a 4096-byte server-first with a long nonce is answered");
		sasl_client_free(&c);
		buf_wipe_free(&big);
	}

	/* Controls in the user or password (SASLprep-lite), odd names. */
	sasl_client_init(&c, sasl_find("SCRAM-SHA-1"), "us\ter", "pencil", 6);
	ok(step_str(&c, NULL, &out, &err) == SMTPC_EINVAL,
	    "tab in the user name refused");
	sasl_client_free(&c);
	sasl_client_init(&c, sasl_find("SCRAM-SHA-1"), "user", "pen\ncil", 7);
	ok(step_str(&c, NULL, &out, &err) == SMTPC_EINVAL,
	    "newline in the password refused");
	sasl_client_free(&c);
	sasl_client_init(&c, sasl_find("SCRAM-SHA-1"), "a,b=c", "pencil", 6);
	c.nonce = "abc";
	ok(step_str(&c, NULL, &out, &err) == 0, "saslname step");
	eq_str(buf_cstr(&out), "n,,n=a=2Cb=3Dc,r=abc",
	    "',' and '=' escaped in the user name");
	sasl_client_free(&c);

	/* A random nonce: 24 base64 characters, different each time. */
	{
		char first[64];

		sasl_client_init(&c, sasl_find("SCRAM-SHA-256"), "u", "p", 1);
		ok(step_str(&c, NULL, &out, &err) == 0 && out.len == 33 &&
		    strncmp(buf_cstr(&out), "n,,n=u,r=", 9) == 0,
		    "random nonce of 24 characters");
		snprintf(first, sizeof(first), "%s", buf_cstr(&out));
		sasl_client_free(&c);
		sasl_client_init(&c, sasl_find("SCRAM-SHA-256"), "u", "p", 1);
		ok(step_str(&c, NULL, &out, &err) == 0 &&
		    strcmp(first, buf_cstr(&out)) != 0, "nonce changes");
		sasl_client_free(&c);
	}

	/*
	 * Found by fuzz/fuzz_scram.c: a server-first message ending in the
	 * iteration count, in a buffer with no NUL after it, was read past
	 * its end (strspn); ASan builds caught the overread.
	 */
	{
		static const char sf[] = SF_OK;
		unsigned char *exact = malloc(sizeof(sf) - 1);

		sasl_client_init(&c, sasl_find("SCRAM-SHA-256"), "user",
		    "pencil", 6);
		c.nonce = "rOprNGfwEbeRWgbNEkqO";
		ok(exact != NULL && step_str(&c, NULL, &out, &err) == 0,
		    "unterminated server-first: first step");
		if (exact != NULL) {
			memcpy(exact, sf, sizeof(sf) - 1);
			buf_reset(&out);
			ok(sasl_client_step(&c, exact, sizeof(sf) - 1, &out,
			    &err) == 0, "unterminated server-first read "
			    "within its length");
		}
		free(exact);
		sasl_client_free(&c);
	}
	buf_wipe_free(&out);
}

static void
sasl_others(void)
{
	struct sasl_client c;
	struct smtpc_error err;
	struct buf out;

	buf_init(&out, 4096);
	/* RFC 2195 section 2 example. */
	sasl_client_init(&c, sasl_find("CRAM-MD5"), "tim", "tanstaaftanstaaf",
	    16);
	ok(!c.mech->client_first && c.mech->rank == 0,
	    "CRAM-MD5: challenge first, only by name");
	ok(step_str(&c, "<1896.697170952@postoffice.reston.mci.net>", &out,
	    &err) == 0, "CRAM-MD5 step");
	eq_str(buf_cstr(&out), "tim b913a602c7eda7a495b4e6e7334d3890",
	    "CRAM-MD5 response (RFC 2195)");
	ok(step_str(&c, "x", &out, &err) == SMTPC_EPROTO,
	    "CRAM-MD5 refuses a second step");
	sasl_client_free(&c);

	sasl_client_init(&c, sasl_find("XOAUTH2"), "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", 45);
	ok(step_str(&c, NULL, &out, &err) == 0, "XOAUTH2 step");
	eq_str(buf_cstr(&out), "user=someuser@example.com\001auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001",
	    "XOAUTH2 initial response (Google's example)");
	ok(step_str(&c, "{\"status\":\"401\",\"schemes\":\"bearer\"}", &out,
	    &err) == 0 && out.len == 0,
	    "XOAUTH2 answers the error JSON with an empty response");
	ok(step_str(&c, "{}", &out, &err) == SMTPC_EPROTO,
	    "XOAUTH2 refuses a third step");
	ok(sasl_client_done(&c, &err) == 0, "XOAUTH2 is not mutual");
	sasl_client_free(&c);

	/* RFC 7628 section 4.1, with our saslname escaping. */
	sasl_client_init(&c, sasl_find("OAUTHBEARER"), "user@example.com",
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", 42);
	c.host = "server.example.com";
	c.port = 143;
	ok(step_str(&c, NULL, &out, &err) == 0, "OAUTHBEARER step");
	eq_str(buf_cstr(&out), "n,a=user@example.com,\001"
	    "host=server.example.com\001port=143\001"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
	    "OAUTHBEARER initial response (RFC 7628 4.1)");
	ok(step_str(&c, "{\"status\":\"invalid_token\"}", &out, &err) == 0 &&
	    out.len == 1 && out.data[0] == 1,
	    "OAUTHBEARER answers the error with ^A (RFC 7628 3.2.3)");
	sasl_client_free(&c);

	sasl_client_init(&c, sasl_find("OAUTHBEARER"), "a,b", "tok", 3);
	ok(step_str(&c, NULL, &out, &err) == 0, "OAUTHBEARER no host");
	eq_str(buf_cstr(&out), "n,a=a=2Cb,\001auth=Bearer tok\001\001",
	    "authzid escaped, host and port left out");
	sasl_client_free(&c);

	sasl_client_init(&c, sasl_find("XOAUTH2"), "u", "tok en", 6);
	ok(step_str(&c, NULL, &out, &err) == SMTPC_EINVAL,
	    "a token with a space is refused");
	sasl_client_free(&c);
	sasl_client_init(&c, sasl_find("XOAUTH2"), "u", "", 0);
	ok(step_str(&c, NULL, &out, &err) == SMTPC_EINVAL,
	    "an empty token is refused");
	sasl_client_free(&c);
	sasl_client_init(&c, sasl_find("OAUTHBEARER"), "u", "t\xc3\xa9", 3);
	ok(step_str(&c, NULL, &out, &err) == SMTPC_EINVAL,
	    "a non-ASCII token is refused");
	sasl_client_free(&c);
	buf_wipe_free(&out);
}

int
main(void)
{
	sasl_choice();
	sasl_exchanges();
	sasl_scram_rfc();
	sasl_scram_hostile();
	sasl_others();
	return tap_done();
}
