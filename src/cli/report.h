/* SPDX-License-Identifier: ISC */
/*
 * report.h - what the program says: one-line errors, exit codes, the -v
 * transcript.  The one table from library error codes to sysexits lives
 * here.
 */
#ifndef SMTPC_CLI_REPORT_H
#define SMTPC_CLI_REPORT_H

#include <stdio.h>

#include "smtpc.h"

/* The sysexits code for a library error code (0 for SMTPC_OK). */
int report_exit_code(int code);

/*
 * Print "smtpc: STAGE: MESSAGE: server said: 535 5.7.8 TEXT" on stderr and
 * return report_exit_code(err->code).
 */
int report_error(const struct smtpc_error *err);

/*
 * A line of the dialogue on stderr, for -v: "<- " what the server said,
 * "-> " what we sent (secrets masked), "-- " what happened.
 */
void report_line(enum smtpc_event_type type, const char *line, size_t len);

/* Write `len` bytes of untrusted text to `fp`, escaping non-printables. */
void report_escaped(FILE *fp, const char *text, size_t len);

#endif
