/* SPDX-License-Identifier: ISC */
/*
 * mime_type.c - content types: checking one given, guessing one from a
 * name's extension, then from the content (libmagic, on a file or on
 * bytes in memory).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>

#include "mime.h"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "jpe", "image/jpeg" }, { "png", "image/png" },
	{ "gif", "image/gif" }, { "webp", "image/webp" },
	{ "svg", "image/svg+xml" }, { "heic", "image/heic" },
	{ "heif", "image/heif" }, { "avif", "image/avif" },
	{ "bmp", "image/bmp" }, { "tif", "image/tiff" },
	{ "tiff", "image/tiff" }, { "ico", "image/vnd.microsoft.icon" },
	{ "mp3", "audio/mpeg" }, { "wav", "audio/wav" },
	{ "ogg", "audio/ogg" }, { "oga", "audio/ogg" },
	{ "m4a", "audio/mp4" }, { "flac", "audio/flac" },
	{ "aac", "audio/aac" }, { "opus", "audio/opus" },
	{ "mid", "audio/midi" }, { "midi", "audio/midi" },
	{ "mp4", "video/mp4" }, { "m4v", "video/mp4" },
	{ "webm", "video/webm" }, { "mov", "video/quicktime" },
	{ "mkv", "video/x-matroska" }, { "avi", "video/x-msvideo" },
	{ "ogv", "video/ogg" }, { "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "pdf", "application/pdf" }, { "zip", "application/zip" },
	{ "gz", "application/gzip" }, { "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "7z", "application/x-7z-compressed" },
	{ "bz2", "application/x-bzip2" }, { "xz", "application/x-xz" },
	{ "zst", "application/zstd" }, { "rar", "application/vnd.rar" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ "doc", "application/msword" },
	{ "xls", "application/vnd.ms-excel" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "rtf", "application/rtf" }, { "epub", "application/epub+zip" },
	{ "csv", "text/csv" }, { "json", "application/json" },
	{ "xml", "application/xml" }, { "txt", "text/plain" },
	{ "text", "text/plain" }, { "log", "text/plain" },
	{ "md", "text/markdown" }, { "html", "text/html" },
	{ "htm", "text/html" }, { "ics", "text/calendar" },
	{ "vcf", "text/vcard" },
	{ "js", "text/javascript" }, { "css", "text/css" },
	{ "yaml", "application/yaml" }, { "yml", "application/yaml" },
	{ "patch", "text/x-diff" }, { "diff", "text/x-diff" },
	{ "wasm", "application/wasm" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "apk", "application/vnd.android.package-archive" },
	{ "jar", "application/java-archive" },
	{ "sig", "application/pgp-signature" },
	{ "asc", "application/pgp-keys" },
	/* Declared opaque by name: no content sniffing needed. */
	{ "bin", "application/octet-stream" },
	{ "dat", "application/octet-stream" },
	{ "img", "application/octet-stream" },
	{ "iso", "application/x-iso9660-image" },
};

const char *
mime_type_by_ext(const char *path)
{
	const char *base, *dot;
	size_t i;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return NULL;
	for (i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return NULL;
}

int
mime_type_valid(const char *t)
{
	const char *slash = strchr(t, '/');
	size_t i;

	if (slash == NULL || slash == t || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strlen(t) > 255)
		return 0;
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] <= 0x20 ||
		    (unsigned char)t[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"[]?=", t[i]) != NULL)
			return 0;
	return 1;
}

int
mime_type_base64_ok(const char *t)
{
	return strncasecmp(t, "message/", 8) != 0 &&
	    strncasecmp(t, "multipart/", 10) != 0;
}

/*
 * libmagic's guess from the file at `path`, or else from data[0..len);
 * NULL when it has none.
 */
static char *
mime_type_by_magic(const char *path, const void *data, size_t len)
{
	magic_t mg;
	const char *t = NULL;
	char *r = NULL;

	/* libmagic reads up to 7 MiB by default; the head is enough. */
	size_t bytes_max = 256 * 1024;

	if ((mg = magic_open(MAGIC_MIME_TYPE | MAGIC_SYMLINK)) == NULL)
		return NULL;
	magic_setparam(mg, MAGIC_PARAM_BYTES_MAX, &bytes_max);
	if (magic_load(mg, NULL) == 0) {
		if (path != NULL)
			t = magic_file(mg, path);
		else if (len > 0)
			t = magic_buffer(mg, data, len < bytes_max ? len :
			    bytes_max);
	}
	if (t != NULL && mime_type_valid(t) &&
	    strcmp(t, "application/x-empty") != 0 &&
	    strncmp(t, "inode/", 6) != 0)
		r = strdup(t);
	magic_close(mg);
	return r;
}

char *
mime_type_guess(const char *name, const char *path, const void *data,
    size_t len)
{
	const char *t;
	char *r;

	if (name != NULL && (t = mime_type_by_ext(name)) != NULL)
		return strdup(t);
	if ((path != NULL || data != NULL) &&
	    (r = mime_type_by_magic(path, data, len)) != NULL) {
		if (mime_type_base64_ok(r))
			return r;
		free(r);
	}
	return strdup("application/octet-stream");
}
