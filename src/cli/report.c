/* SPDX-License-Identifier: ISC */
/*
 * report.c - error lines, exit codes and the transcript.
 */
#include <string.h>

#include "report.h"

/* sysexits.h values, spelled out so the table reads on its own. */
enum {
	EX_OK_ = 0,
	EX_USAGE_ = 64,
	EX_DATAERR_ = 65,
	EX_NOINPUT_ = 66,
	EX_NOHOST_ = 68,
	EX_UNAVAILABLE_ = 69,
	EX_SOFTWARE_ = 70,
	EX_OSERR_ = 71,
	EX_IOERR_ = 74,
	EX_TEMPFAIL_ = 75,
	EX_PROTOCOL_ = 76,
	EX_NOPERM_ = 77,
	EX_CONFIG_ = 78,
};

static const struct {
	int code;
	int exit_code;
} report_exit_table[] = {
	{ SMTPC_OK, EX_OK_ },
	{ SMTPC_ENOMEM, EX_OSERR_ },
	{ SMTPC_EINVAL, EX_USAGE_ },
	{ SMTPC_ELIMIT, EX_DATAERR_ },
	{ SMTPC_EDATA, EX_DATAERR_ },
	{ SMTPC_ENOINPUT, EX_NOINPUT_ },
	{ SMTPC_EIO, EX_IOERR_ },
	{ SMTPC_ENOHOST, EX_NOHOST_ },
	{ SMTPC_ECONN, EX_TEMPFAIL_ },
	{ SMTPC_ETIMEOUT, EX_TEMPFAIL_ },
	{ SMTPC_ETLS, EX_PROTOCOL_ },
	{ SMTPC_EPROTO, EX_PROTOCOL_ },
	{ SMTPC_ENOSTARTTLS, EX_PROTOCOL_ },
	{ SMTPC_EINSECURE, EX_PROTOCOL_ },
	/*
	 * 77 means "fix the password" to scripts; a server that offers no
	 * AUTH smtpc may use is the wrong server or port, as a missing
	 * STARTTLS is: 76.
	 */
	{ SMTPC_EAUTH, EX_NOPERM_ },
	{ SMTPC_ENOMECH, EX_PROTOCOL_ },
	{ SMTPC_ETEMP, EX_TEMPFAIL_ },
	{ SMTPC_EPERM, EX_UNAVAILABLE_ },
	{ SMTPC_ECONFIG, EX_CONFIG_ },
	{ SMTPC_EINTERNAL, EX_SOFTWARE_ },
	/* Interrupted (Ctrl-C): nothing was delivered; try again later. */
	{ SMTPC_ECANCELED, EX_TEMPFAIL_ },
};

int
report_exit_code(int code)
{
	for (size_t i = 0; i < sizeof(report_exit_table) /
	    sizeof(report_exit_table[0]); i++)
		if (report_exit_table[i].code == code)
			return report_exit_table[i].exit_code;
	return EX_SOFTWARE_;
}

void
report_escaped(FILE *fp, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f)
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

/*
 * Our sentences quote file names and addresses, which may come from
 * anywhere (a directory listing, a mail header): control characters,
 * UTF-8 C1 controls (U+0080-U+009F) included, are escaped so no such name
 * can drive the terminal; other UTF-8 is kept readable.
 */
static void
report_sentence(FILE *fp, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(fp, "\\x%02x\\x%02x", p[0], p[1]);
			p++;
		} else
			fputc(*p, fp);
	}
}

int
report_error(const struct smtpc_error *err)
{
	const char *msg = err->message[0] ? err->message :
	    smtpc_strerror(err->code);

	fputs("smtpc: ", stderr);
	if (err->stage[0]) {
		report_sentence(stderr, err->stage);
		fputs(": ", stderr);
	}
	report_sentence(stderr, msg);
	if (err->reply_code != 0) {
		const char *t = err->server_text;
		size_t n = strlen(err->enhanced);

		fprintf(stderr, ": server said: %d", err->reply_code);
		/* The text usually starts with the enhanced code: once. */
		if (n > 0 && (strncmp(t, err->enhanced, n) != 0 ||
		    (t[n] != ' ' && t[n] != '\0')))
			fprintf(stderr, " %s", err->enhanced);
		if (err->server_text[0])
			fprintf(stderr, " %s", err->server_text);
	}
	fputc('\n', stderr);
	return report_exit_code(err->code);
}

void
report_line(enum smtpc_event_type type, const char *line, size_t len)
{
	const char *prefix = type == SMTPC_EVENT_LINE_IN ? "<- " :
	    type == SMTPC_EVENT_LINE_OUT ? "-> " : "-- ";

	fputs(prefix, stderr);
	report_escaped(stderr, line, len);
	fputc('\n', stderr);
}
