/* SPDX-License-Identifier: ISC */
/*
 * fuzz_spool_meta.c - the mail queue's record readers (src/cli/spool.c)
 * on arbitrary bytes: a file in the spool may be cut short, changed by
 * hand or not ours at all.
 *
 * The input is an envelope record, a NUL, and a state record (the state
 * is read only when the envelope was).  Properties: never crashes; a
 * refusal is SMTPC_EDATA (or SMTPC_ENOMEM) with a sentence in printable
 * ASCII that names the file; an accepted record written back and read
 * again gives the same text (so what the queue writes it can read, and
 * no server text can break a record's lines); the input's last 42 bytes
 * taken as an entry footer either are refused or describe lengths that
 * add up to the input's size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_refusal(int rc, const struct smtpc_error *err)
{
	const char *m = err->message;
	size_t i;

	FUZZ_CHECK(rc == SMTPC_EDATA || rc == SMTPC_ENOMEM, "rc %d", rc);
	FUZZ_CHECK(err->code == rc, "err.code %d for rc %d", err->code, rc);
	if (rc == SMTPC_ENOMEM)
		return;
	FUZZ_CHECK(strncmp(m, "FILE: ", 6) == 0, "unnamed: %s", m);
	for (i = 0; m[i] != '\0'; i++)
		FUZZ_CHECK(
		    (unsigned char)m[i] >= 0x20 && (unsigned char)m[i] < 0x7f,
		    "byte %02x in the sentence", (unsigned char)m[i]);
}

/* Format, read back, format again: the same text. */
static void
fuzz_meta_round_trip(const struct spool_entry *e, struct spool_entry *again)
{
	struct smtpc_error err;
	char *t1, *t2;
	size_t l1, l2, i;

	t1 = spool_format_meta(e, &l1);
	FUZZ_CHECK(t1 != NULL, "format_meta");
	spool_entry_init(again);
	FUZZ_CHECK(spool_parse_meta(t1, l1, "FILE", again, &err) == 0,
	    "our own envelope refused: %s", err.message);
	t2 = spool_format_meta(again, &l2);
	FUZZ_CHECK(t2 != NULL && l1 == l2 && memcmp(t1, t2, l1) == 0,
	    "envelope changed by a round trip");
	FUZZ_CHECK(
	    again->nrcpt == e->nrcpt && strcmp(again->from, e->from) == 0,
	    "envelope fields changed");
	for (i = 0; i < e->nrcpt; i++)
		FUZZ_CHECK(strcmp(again->rcpt[i].addr, e->rcpt[i].addr) == 0,
		    "recipient %zu changed", i);
	free(t1);
	free(t2);
}

static void
fuzz_state_round_trip(
    const struct spool_entry *e, const struct spool_entry *envelope)
{
	struct spool_entry again;
	struct smtpc_error err;
	char *m, *t1, *t2;
	size_t ml, l1, l2;

	t1 = spool_format_state(e, &l1);
	FUZZ_CHECK(t1 != NULL, "format_state");
	/* A fresh entry with the same envelope, then the state on it. */
	m = spool_format_meta(envelope, &ml);
	FUZZ_CHECK(m != NULL, "format_meta");
	spool_entry_init(&again);
	FUZZ_CHECK(spool_parse_meta(m, ml, "FILE", &again, &err) == 0,
	    "envelope: %s", err.message);
	FUZZ_CHECK(spool_parse_state(t1, l1, "FILE", &again, &err) == 0,
	    "our own state refused: %s", err.message);
	t2 = spool_format_state(&again, &l2);
	FUZZ_CHECK(t2 != NULL && l1 == l2 && memcmp(t1, t2, l1) == 0,
	    "state changed by a round trip");
	spool_entry_clear(&again);
	free(m);
	free(t1);
	free(t2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t mlen = nul != NULL ? (size_t)(nul - text) : size;
	struct spool_entry e, again;
	struct smtpc_error err;
	uint64_t msg_len;
	uint32_t meta_len;
	int rc;

	if (size > 1 << 20)
		return 0;
	if (size >= SPOOL_FOOTER_LEN) {
		rc = spool_parse_footer(text + size - SPOOL_FOOTER_LEN, size,
		    "FILE", &msg_len, &meta_len, &err);
		if (rc == 0)
			FUZZ_CHECK(
			    msg_len + meta_len + SPOOL_FOOTER_LEN == size,
			    "footer lengths %llu + %u do not add up to %zu",
			    (unsigned long long)msg_len, (unsigned)meta_len,
			    size);
		else
			fuzz_check_refusal(rc, &err);
	}

	spool_entry_init(&e);
	rc = spool_parse_meta(text, mlen, "FILE", &e, &err);
	if (rc != 0) {
		fuzz_check_refusal(rc, &err);
		spool_entry_clear(&e);
		return 0;
	}
	FUZZ_CHECK(spool_id_valid(e.id) && e.nrcpt > 0 && e.from != NULL,
	    "an accepted envelope without ID, sender or recipient");
	fuzz_meta_round_trip(&e, &again);
	if (nul != NULL) {
		rc = spool_parse_state(
		    nul + 1, size - mlen - 1, "FILE", &e, &err);
		if (rc != 0)
			fuzz_check_refusal(rc, &err);
		else
			fuzz_state_round_trip(&e, &again);
	}
	spool_entry_clear(&again);
	spool_entry_clear(&e);
	return 0;
}
