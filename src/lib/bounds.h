/* SPDX-License-Identifier: ISC */
/*
 * bounds.h - every ceiling libsmtpc puts on what it reads or builds.
 */
#ifndef SMTPC_BOUNDS_H
#define SMTPC_BOUNDS_H

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. */
#define LIMIT_REPLY_LINE	2048
/* All lines of one multi-line reply together (EHLO can be long). */
#define LIMIT_REPLY_TOTAL	65536
#define LIMIT_REPLY_LINES	200
/* RFC 5322 2.1.1: a line is at most 998 octets plus CRLF. */
#define LIMIT_HEADER_LINE	998
#define LIMIT_HEADER_VALUE	65536
#define LIMIT_MIME_DEPTH	8
#define LIMIT_PARTS		1000
#define LIMIT_RECIPIENTS	10000
#define LIMIT_ADDRESS		998
/* Text and HTML bodies held in memory. */
#define LIMIT_MEMORY_BODY	(64u * 1024 * 1024)
/* The header of a loaded message (smtpc_msg_load_fd), held in memory. */
#define LIMIT_READY_HEADER	(1024u * 1024)
#define LIMIT_READY_LINES	10000
/* Chunk size for reading files and feeding DATA. */
#define LIMIT_IO_CHUNK		(64u * 1024)

#endif
