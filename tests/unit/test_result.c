/* SPDX-License-Identifier: ISC */
/* Unit tests for result.c: recipients, the final reply, queue IDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "smtpc.h"
#include "tap.h"

static const struct {
	const char *text;
	const char *id;	/* NULL: none */
} qid_cases[] = {
	{ "2.0.0 Ok: queued as 4XyZ1b2C3dz9", "4XyZ1b2C3dz9" },
	{ "2.0.0 Ok: queued as 4XyZ1b2C3dz9.", "4XyZ1b2C3dz9" },
	{ "OK id=1qXyZa-0003Ab-Cd", "1qXyZa-0003Ab-Cd" },
	{ "2.6.0 <a@b> [InternalId=12345678, Hostname=x.outlook.com] "
	  "1234 bytes in 0.1, 10 KB/sec Queued mail for delivery",
	  "12345678" },
	{ "2.0.0 OK  1700000000 a1b2c3d4e5-1234.56 - gsmtp",
	  "a1b2c3d4e5-1234.56" },
	{ "ok 1700000000 qp 4242", "4242" },
	{ "2.0.0 3f2a1b2c Message accepted for delivery", "3f2a1b2c" },
	{ "2.0.0 x1BNx5Ab012345 Message accepted for delivery",
	  "x1BNx5Ab012345" },
	{ "OK", NULL },
	{ "2.0.0 Ok", NULL },
	{ "2.0.0 queued as ", NULL },
	{ "2.0.0 queued as <not-an-id>", NULL },
	{ "queued as \x1b[2Jx", NULL },
	{ "2.0.0 Message accepted for delivery", NULL },
	{ "id=nospace", NULL },
};

static void
test_queue_ids(void)
{
	char out[128], what[160];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(qid_cases) / sizeof(qid_cases[0]); i++) {
		rc = result_parse_queue_id(qid_cases[i].text,
		    strlen(qid_cases[i].text), out, sizeof(out));
		snprintf(what, sizeof(what), "queue id in \"%.60s\"",
		    qid_cases[i].text);
		if (qid_cases[i].id == NULL)
			ok(rc == -1, what);
		else if (ok(rc == 0, what))
			eq_str(out, qid_cases[i].id, "  the id");
	}
	/* An ID longer than the room is no ID. */
	ok(result_parse_queue_id("queued as ABCDEFGH", 18, out, 4) == -1,
	    "too long for the room");
}

static void
test_recipients(void)
{
	struct smtpc_result *r = smtpc_result_new();
	const struct smtpc_rcpt_status *first, *st;
	char addr[64];
	size_t i, idx, bad = 0;

	ok(r != NULL, "result_new");
	ok(smtpc_result_status(r) == 0 && smtpc_result_error(r) == NULL &&
	    smtpc_result_final_reply(r) == NULL &&
	    smtpc_result_queue_id(r) == NULL &&
	    smtpc_result_rcpt_count(r) == 0 &&
	    smtpc_result_stage_usec(r, SMTPC_STAGE_ENVELOPE) == -1,
	    "a new result is empty");
	ok(result_add_rcpt(r, "a@x.test", &idx) == 0 && idx == 0, "first");
	first = smtpc_result_rcpt(r, 0);
	ok(first->accepted == -1 && first->reply_code == 0 &&
	    strcmp(first->text, "") == 0, "not answered yet");
	/* 10,000 more: the first entry's pointer stays valid throughout. */
	for (i = 1; i <= 10000; i++) {
		snprintf(addr, sizeof(addr), "r%zu@y.test", i);
		if (result_add_rcpt(r, addr, &idx) != 0 || idx != i)
			bad++;
		if (result_rcpt_reply(r, idx, i % 2, i % 2 ? 250 : 550,
		    i % 2 ? "2.1.5" : "5.1.1", "ok\x1b", 3) != 0)
			bad++;
	}
	ok(bad == 0, "10,000 recipients added and answered");
	ok(smtpc_result_rcpt_count(r) == 10001, "count");
	ok(smtpc_result_rcpt(r, 0) == first &&
	    strcmp(first->address, "a@x.test") == 0,
	    "an entry never moves");
	st = smtpc_result_rcpt(r, 10000);
	ok(st != NULL && strcmp(st->address, "r10000@y.test") == 0 &&
	    st->accepted == 0 && st->reply_code == 550 &&
	    strcmp(st->enhanced, "5.1.1") == 0, "the last entry");
	eq_str(st->text, "ok\\x1b", "server text escaped");
	ok(smtpc_result_rcpt(r, 10001) == NULL, "out of range: NULL");
	ok(result_rcpt_reply(r, 10001, 1, 250, "", "", 0) == SMTPC_EINVAL,
	    "reply out of range refused");

	ok(result_set_final(r, 250, "2.0.0", "2.0.0 Ok: queued as ABC123",
	    26) == 0, "final reply");
	ok(smtpc_result_final_reply(r)->code == 250 &&
	    strcmp(smtpc_result_final_reply(r)->enhanced, "2.0.0") == 0,
	    "final reply kept");
	eq_str(smtpc_result_queue_id(r), "ABC123", "queue id from it");
	result_set_final(r, 550, "5.7.1", "queued as NOPE", 14);
	ok(smtpc_result_queue_id(r) == NULL, "no queue id from a refusal");

	result_add_time(r, SMTPC_STAGE_ENVELOPE, 5);
	result_add_time(r, SMTPC_STAGE_ENVELOPE, 7);
	result_add_time(r, (enum smtpc_stage)99, 7);
	ok(smtpc_result_stage_usec(r, SMTPC_STAGE_ENVELOPE) == 12,
	    "a stage entered twice: the sum");
	ok(smtpc_result_stage_usec(r, (enum smtpc_stage)99) == -1,
	    "unknown stage: -1");
	eq_str(smtpc_stage_name(SMTPC_STAGE_ENVELOPE), "envelope",
	    "stage name");
	eq_str(smtpc_stage_name((enum smtpc_stage)99), "unknown",
	    "unknown stage name");

	result_clear(r);
	ok(smtpc_result_rcpt_count(r) == 0 &&
	    smtpc_result_final_reply(r) == NULL &&
	    smtpc_result_stage_usec(r, SMTPC_STAGE_ENVELOPE) == -1,
	    "cleared for the next send");
	smtpc_result_free(r);
	smtpc_result_free(NULL);
}

static void
test_status(void)
{
	struct smtpc_result *r = smtpc_result_new();
	struct smtpc_error e;

	memset(&e, 0, sizeof(e));
	e.code = SMTPC_ECONN;
	snprintf(e.message, sizeof(e.message), "lost");
	result_set_status(r, SMTPC_ECONN, &e, 1);
	ok(smtpc_result_status(r) == SMTPC_ECONN &&
	    smtpc_result_maybe_delivered(r) == 1 &&
	    strcmp(smtpc_result_error(r)->message, "lost") == 0,
	    "a failure keeps its error and the maybe-delivered flag");
	result_set_status(r, 0, &e, 1);
	ok(smtpc_result_status(r) == 0 && smtpc_result_error(r) == NULL &&
	    smtpc_result_maybe_delivered(r) == 0,
	    "a success has no error and is not 'maybe'");
	ok(smtpc_result_status(NULL) == SMTPC_EINVAL &&
	    smtpc_result_rcpt_count(NULL) == 0 &&
	    smtpc_result_envelope_from(NULL) == NULL, "NULL result");
	smtpc_result_free(r);
}

int
main(void)
{
	test_queue_ids();
	test_recipients();
	test_status();
	return tap_done();
}
