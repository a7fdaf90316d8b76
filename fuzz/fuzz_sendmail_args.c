/* SPDX-License-Identifier: ISC */
/*
 * fuzz_sendmail_args.c - the sendmail command line (src/cli/sendmail.c)
 * on arbitrary words: the input split at NUL bytes into at most 64
 * arguments after argv[0].
 *
 * Properties: never crashes, reads past no word, leaks nothing; the result
 * is 0 or 64; on 0, every recipient is one of the input's words (borrowed,
 * not copied), a recipient list or -t is there, and the borrowed values
 * (-f, -F, -C, --account) point into the input's words.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "sendmail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_is_word(char **argv, int argc, const char *p)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet = -1, saved = -1;
	struct cli_opts o;
	struct sendmail_opts so;
	char *copy, *argv[66];
	int argc = 1, rc;
	size_t i, start = 0;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = (char *)"sendmail";
	for (i = 0; i <= size && argc < 65; i++) {
		if (i == size || copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	/* Usage errors and --help print: not into libFuzzer's output. */
	if (quiet < 0) {
		quiet = open("/dev/null", O_WRONLY | O_CLOEXEC);
		saved = dup(STDERR_FILENO);
	}
	fflush(stdout);
	dup2(quiet, STDOUT_FILENO);
	dup2(quiet, STDERR_FILENO);
	rc = sendmail_parse(argc, argv, 1, "sendmail", &o, &so);
	fflush(stdout);
	dup2(saved, STDERR_FILENO);
	FUZZ_CHECK(rc == 0 || rc == 64, "rc %d", rc);
	if (rc == 0 && o.command == CLI_CMD_SENDMAIL) {
		FUZZ_CHECK(so.nrcpts > 0 || so.read_recipients,
		    "no recipient and no -t");
		for (i = 0; i < so.nrcpts; i++)
			FUZZ_CHECK(fuzz_is_word(argv, argc, so.rcpts[i]),
			    "recipient %zu not a word of the input", i);
		FUZZ_CHECK(o.from == NULL || fuzz_is_word(argv, argc, o.from),
		    "-f not in the input");
		FUZZ_CHECK(so.full_name == NULL ||
		    fuzz_is_word(argv, argc, so.full_name), "-F not in input");
		FUZZ_CHECK(o.config_file == NULL ||
		    fuzz_is_word(argv, argc, o.config_file), "-C not in input");
		FUZZ_CHECK(o.account == NULL ||
		    fuzz_is_word(argv, argc, o.account), "-a not in input");
	}
	args_free(&o);
	sendmail_free(&so);
	free(copy);
	return 0;
}
