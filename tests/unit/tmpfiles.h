/* SPDX-License-Identifier: ISC */
/*
 * tmpfiles.h - a private temporary directory for unit tests that need real
 * files (attachments, bodies): tmp_setup() makes it, path_of() names a file
 * in it, write_file() fills one; the test unlinks what it made.
 */
#ifndef SMTPC_TMPFILES_H
#define SMTPC_TMPFILES_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];

/* Make /tmp/smtpc-test-NAME-XXXXXX, or bail out of the TAP run. */
static void __attribute__((unused))
tmp_setup(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/smtpc-test-%s-XXXXXX", name);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
}

/* The path of `name` in the directory; eight results stay valid at once. */
static char * __attribute__((unused))
path_of(const char *name)
{
	static char p[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void __attribute__((unused))
write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
}

#endif
