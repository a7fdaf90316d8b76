/* SPDX-License-Identifier: ISC */
/*
 * report_json.h - a send's result as one JSON object on one line, for
 * --json (send, sendmail, batch, queue run).  The schema is smtpc(1)'s
 * RESULTS section and stable: fields are added, never renamed or removed;
 * "schema" says which version a reader sees.
 */
#ifndef SMTPC_CLI_REPORT_JSON_H
#define SMTPC_CLI_REPORT_JSON_H

#include <stdio.h>

#include "smtpc.h"

#define REPORT_JSON_SCHEMA	1

/*
 * Write `r` (which may be NULL when the send never began: then `err`
 * says why) as one line to `fp`, with the program's `exit_code` and, for
 * batch, the input's `line` (0: none).  Server text is escaped as JSON
 * requires; no secret is part of a result.
 */
void report_json(FILE *fp, const struct smtpc_result *r,
    const struct smtpc_error *err, int exit_code, unsigned long line);

/*
 * The same for a message the queue holds: "spool":{"id","state"} added,
 * the outcome "queued" when the queue keeps it for a later attempt
 * (state "queued"), and `message_id` (the queued message's, may be NULL)
 * when the result has none.
 */
void report_json_spooled(FILE *fp, const struct smtpc_result *r,
    const struct smtpc_error *err, int exit_code, const char *spool_id,
    const char *spool_state, const char *message_id);

/* A JSON string literal for `s` (UTF-8 kept, controls escaped). */
void report_json_string(FILE *fp, const char *s);

#endif
