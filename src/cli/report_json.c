/* SPDX-License-Identifier: ISC */
/*
 * report_json.c - a send's result as one line of JSON (report_json.h).
 *
 * Everything comes from the library's result object; nothing is
 * recomputed here.  Strings from the server were escaped by the library
 * already (\xNN for bytes outside printable ASCII); here they are only
 * made valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report_json.h"

void
report_json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	fputc('"', fp);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* "key":"value" or "key":null, with a leading comma unless first. */
static void
json_str(FILE *fp, const char *key, const char *value, int nullable)
{
	fprintf(fp, ",\"%s\":", key);
	if (nullable && (value == NULL || value[0] == '\0'))
		fputs("null", fp);
	else
		report_json_string(fp, value);
}

static void
json_error(FILE *fp, const struct smtpc_error *e)
{
	if (e == NULL || e->code == 0) {
		fputs(",\"error\":null", fp);
		return;
	}
	fputs(",\"error\":{\"code\":", fp);
	report_json_string(fp, smtpc_errname(e->code));
	json_str(fp, "stage", e->stage, 1);
	json_str(fp, "message", e->message[0] ? e->message :
	    smtpc_strerror(e->code), 0);
	if (e->reply_code != 0) {
		fprintf(fp, ",\"reply\":{\"code\":%d", e->reply_code);
		json_str(fp, "enhanced", e->enhanced, 1);
		json_str(fp, "text", e->server_text, 0);
		fputc('}', fp);
	} else {
		fputs(",\"reply\":null", fp);
	}
	fputc('}', fp);
}

static void
json_recipients(FILE *fp, const struct smtpc_result *r)
{
	const struct smtpc_rcpt_status *st;
	size_t i;

	fputs(",\"recipients\":[", fp);
	for (i = 0; r != NULL && (st = smtpc_result_rcpt(r, i)) != NULL;
	    i++) {
		fputs(i ? ",{\"address\":" : "{\"address\":", fp);
		report_json_string(fp, st->address);
		fprintf(fp, ",\"accepted\":%s", st->accepted == 1 ? "true" :
		    st->accepted == 0 ? "false" : "null");
		if (st->reply_code != 0) {
			fprintf(fp, ",\"code\":%d", st->reply_code);
			json_str(fp, "enhanced", st->enhanced, 1);
			json_str(fp, "text", st->text, 0);
		} else {
			fputs(",\"code\":null,\"enhanced\":null,\"text\":null",
			    fp);
		}
		fputc('}', fp);
	}
	fputc(']', fp);
}

static void
json_stages(FILE *fp, const struct smtpc_result *r)
{
	int64_t us;
	int st, first = 1;

	fputs(",\"stages_ms\":{", fp);
	/* Every stage smtpc_stage_name knows; unknown ones end the list. */
	for (st = 0; r != NULL && strcmp(smtpc_stage_name(
	    (enum smtpc_stage)st), "unknown") != 0; st++) {
		if ((us = smtpc_result_stage_usec(r, (enum smtpc_stage)st)) < 0)
			continue;
		if (!first)
			fputc(',', fp);
		first = 0;
		report_json_string(fp, smtpc_stage_name((enum smtpc_stage)st));
		fprintf(fp, ":%.3f", (double)us / 1000.0);
	}
	fputc('}', fp);
}

static void
report_json_any(FILE *fp, const struct smtpc_result *r,
    const struct smtpc_error *err, int exit_code, unsigned long line,
    const char *spool_id, const char *spool_state, const char *message_id)
{
	const struct smtpc_reply_info *fin = r ? smtpc_result_final_reply(r) :
	    NULL;
	const struct smtpc_error *e = r && smtpc_result_error(r) ?
	    smtpc_result_error(r) : err;
	/* The exit code is the truth: a send may fail before it starts. */
	const char *outcome = exit_code == 0 ? "sent" :
	    r != NULL && smtpc_result_maybe_delivered(r) ? "uncertain" :
	    "failed";

	fprintf(fp, "{\"schema\":%d", REPORT_JSON_SCHEMA);
	if (line != 0)
		fprintf(fp, ",\"line\":%lu", line);
	/* Queued: the attempt's own outcome, and why it did not go. */
	if (spool_state != NULL && r != NULL && smtpc_result_status(r) != 0)
		outcome = smtpc_result_maybe_delivered(r) ? "uncertain" :
		    strcmp(spool_state, "queued") == 0 ? "queued" : "failed";
	else if (spool_state != NULL && strcmp(spool_state, "queued") == 0)
		outcome = "queued";
	json_str(fp, "outcome", outcome, 0);
	fprintf(fp, ",\"exit_code\":%d", exit_code);
	json_error(fp, exit_code == 0 && strcmp(outcome, "sent") == 0 ?
	    NULL : e);
	fputs(",\"server\":{\"host\":", fp);
	report_json_string(fp, r ? smtpc_result_host(r) : "");
	fprintf(fp, ",\"port\":%u", r ? smtpc_result_port(r) : 0);
	if (r != NULL && smtpc_result_tls_version(r)[0] != '\0') {
		fputs(",\"tls\":{\"version\":", fp);
		report_json_string(fp, smtpc_result_tls_version(r));
		json_str(fp, "cipher", smtpc_result_tls_cipher(r), 0);
		fputc('}', fp);
	} else {
		fputs(",\"tls\":null", fp);
	}
	json_str(fp, "auth", r ? smtpc_result_auth_mech(r) : NULL, 1);
	fputc('}', fp);
	fputs(",\"envelope\":{\"from\":", fp);
	if (r != NULL && smtpc_result_envelope_from(r) != NULL)
		report_json_string(fp, smtpc_result_envelope_from(r));
	else
		fputs("null", fp);
	fputc('}', fp);
	if (r != NULL && smtpc_result_message_id(r) != NULL)
		message_id = smtpc_result_message_id(r);
	json_str(fp, "message_id", message_id, 1);
	fprintf(fp, ",\"size\":%llu,\"bytes\":%llu",
	    (unsigned long long)(r ? smtpc_result_size(r) : 0),
	    (unsigned long long)(r ? smtpc_result_bytes(r) : 0));
	json_recipients(fp, r);
	if (fin != NULL) {
		fprintf(fp, ",\"final_reply\":{\"code\":%d", fin->code);
		json_str(fp, "enhanced", fin->enhanced, 1);
		json_str(fp, "text", fin->text, 0);
		fputc('}', fp);
	} else {
		fputs(",\"final_reply\":null", fp);
	}
	json_str(fp, "queue_id", r ? smtpc_result_queue_id(r) : NULL, 1);
	fprintf(fp, ",\"maybe_delivered\":%s", r != NULL &&
	    smtpc_result_maybe_delivered(r) ? "true" : "false");
	json_stages(fp, r);
	if (spool_id != NULL) {
		fputs(",\"spool\":{\"id\":", fp);
		report_json_string(fp, spool_id);
		json_str(fp, "state", spool_state, 0);
		fputc('}', fp);
	}
	fputs("}\n", fp);
	fflush(fp);
}

void
report_json(FILE *fp, const struct smtpc_result *r,
    const struct smtpc_error *err, int exit_code, unsigned long line)
{
	report_json_any(fp, r, err, exit_code, line, NULL, NULL, NULL);
}

void
report_json_spooled(FILE *fp, const struct smtpc_result *r,
    const struct smtpc_error *err, int exit_code, const char *spool_id,
    const char *spool_state, const char *message_id)
{
	report_json_any(fp, r, err, exit_code, 0, spool_id, spool_state,
	    message_id);
}
