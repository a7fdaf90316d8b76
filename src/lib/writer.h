/*
 * writer.h - the message as a pull stream (smtpc_reader_*): headers,
 * MIME structure and bodies serialised on demand.
 *
 * smtpc_reader_new() decides the structure, the boundaries, Message-ID and
 * Date, and lays out every header and boundary line in memory (a few KiB
 * per part).  Bodies are produced while reading: text from memory through
 * its encoder, files opened when their part starts, read in LIMIT_IO_CHUNK
 * pieces through the base64 encoder and closed when it ends.  Memory is
 * therefore bounded whatever the size of the files.
 *
 * Structure, each level only when needed:
 *   multipart/mixed(
 *     multipart/alternative(text/plain,
 *       multipart/related(text/html, inline files...)),
 *     attachments...)
 * With a text body and no HTML, inline files follow the text inside
 * multipart/mixed (Content-Disposition: inline).  No body and no files:
 * an empty text/plain body.
 *
 * The reader produces exactly smtpc_reader_size() bytes, or fails with
 * SMTPC_ENOINPUT / SMTPC_EIO (naming the file) when a file has vanished,
 * cannot be read, or changed size since it was added.  Errors are sticky:
 * once a read failed, every later read fails the same way.
 */
#ifndef SMTPC_WRITER_H
#define SMTPC_WRITER_H

#include "smtpc.h"

/* Characters of a boundary; it starts with "=_" (never in QP or base64). */
#define WRITER_BOUNDARY_LEN	40

#endif
