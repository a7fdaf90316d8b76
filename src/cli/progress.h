/* SPDX-License-Identifier: ISC */
/*
 * progress.h - how far the message has gone, on one terminal line:
 *
 *	smtpc: sending 64.0 MiB:  19%
 *
 * redrawn in place ("\r") each time the whole percentage changes, so at
 * most 101 times whatever the size.  Counts the bytes the session pulled
 * from the message, which run ahead of the wire by the socket buffers.
 */
#ifndef SMTPC_CLI_PROGRESS_H
#define SMTPC_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Shown by default on a terminal for messages of this size or more. */
#define PROGRESS_MIN_SIZE	(1024 * 1024)

struct progress {
	FILE *out;		/* NULL: off */
	uint64_t total;		/* the message's exact size */
	uint64_t done;
	int pct;		/* last drawn; -1: nothing drawn yet */
	int open;		/* a line without its newline is showing */
};

/* Off when `out` is NULL or `total` is 0. */
void progress_init(struct progress *p, FILE *out, uint64_t total);
/* `n` more bytes went out. */
void progress_add(struct progress *p, size_t n);
/*
 * End the line, so what is printed next starts on its own: at 100% when
 * everything went, else where it stopped.  Safe to call twice.
 */
void progress_end(struct progress *p);

#endif
