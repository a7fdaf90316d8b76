/* SPDX-License-Identifier: ISC */
/*
 * logfile.c - msmtp's log line for each message, to a file and to syslog.
 * The line is made from the library's result object; what the result
 * does not hold (the server, TLS, the login) comes from the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logfile.h"
#include "report.h"

/* sysexits names, as msmtp writes them. */
static const char *
logfile_exit_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} t[] = {
	    {0, "EX_OK"}, {64, "EX_USAGE"}, {65, "EX_DATAERR"},
	    {66, "EX_NOINPUT"}, {67, "EX_NOUSER"}, {68, "EX_NOHOST"},
	    {69, "EX_UNAVAILABLE"}, {70, "EX_SOFTWARE"}, {71, "EX_OSERR"},
	    {72, "EX_OSFILE"}, {73, "EX_CANTCREAT"}, {74, "EX_IOERR"},
	    {75, "EX_TEMPFAIL"}, {76, "EX_PROTOCOL"}, {77, "EX_NOPERM"},
	    {78, "EX_CONFIG"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return t[i].name;
	return "BUG:UNKNOWN";
}

/*
 * msmtp's sanitize_string(): a control character becomes '?'; in a
 * quoted value a single quote does too, so the line splits on quotes.
 */
static void
logfile_put(FILE *fp, const char *s, int quoted)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		fputc(c < 0x20 || c == 0x7f || (quoted && c == '\'') ? '?' : c,
		    fp);
	}
}

/* "CODE TEXT", the enhanced code once, as the server wrote the reply. */
static void
logfile_reply(FILE *fp, int code, const char *enhanced, const char *text)
{
	size_t n = strlen(enhanced);

	fprintf(fp, "smtpstatus=%d smtpmsg='%d", code, code);
	if (n > 0 && (strncmp(text, enhanced, n) != 0 ||
	    (text[n] != ' ' && text[n] != '\0'))) {
		fputc(' ', fp);
		logfile_put(fp, enhanced, 1);
	}
	if (text[0] != '\0') {
		fputc(' ', fp);
		logfile_put(fp, text, 1);
	}
	fputs("' ", fp);
}

static void
logfile_recipients(FILE *fp, const struct smtpc_result *r,
    const struct logfile_info *li)
{
	size_t n = smtpc_result_rcpt_count(r), i;

	if (n == 0 && li->msg != NULL) {
		n = smtpc_msg_recipient_count(li->msg);
		for (i = 0; i < n; i++) {
			fputs(i > 0 ? "," : "", fp);
			logfile_put(fp, smtpc_msg_recipient(li->msg, i), 0);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		fputs(i > 0 ? "," : "", fp);
		logfile_put(fp, smtpc_result_rcpt(r, i)->address, 0);
	}
}

char *
logfile_line(const struct smtpc_result *r, const struct logfile_info *li,
    int exit_code)
{
	const struct smtpc_error *err = li->err;
	const struct smtpc_reply_info *fin = smtpc_result_final_reply(r);
	const char *from = smtpc_result_envelope_from(r);
	char *line = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&line, &len)) == NULL)
		return NULL;
	fputs("host=", fp);
	logfile_put(fp, li->host != NULL ? li->host : "", 0);
	fprintf(fp, " tls=%s auth=%s ", li->tls ? "on" : "off",
	    li->user != NULL ? "on" : "off");
	if (li->user != NULL) {
		fputs("user=", fp);
		logfile_put(fp, li->user, 0);
		fputc(' ', fp);
	}
	if (from == NULL)
		from = li->envelope_from;
	if (from == NULL && li->msg != NULL)
		from = smtpc_msg_envelope_from(li->msg);
	fputs("from=", fp);
	logfile_put(fp, from != NULL ? from : "", 0);
	fputs(" recipients=", fp);
	logfile_recipients(fp, r, li);
	fputc(' ', fp);
	if (exit_code == 0)
		fprintf(fp, "mailsize=%llu ", (unsigned long long)(r != NULL ?
		    smtpc_result_bytes(r) : li->size));
	if (r != NULL && smtpc_result_error(r) != NULL)
		err = smtpc_result_error(r);
	if (exit_code == 0 && fin != NULL)
		logfile_reply(fp, fin->code, fin->enhanced, fin->text);
	else if (exit_code != 0 && err != NULL && err->reply_code != 0)
		logfile_reply(fp, err->reply_code, err->enhanced,
		    err->server_text);
	if (exit_code != 0 && err != NULL && err->code != 0) {
		fputs("errormsg='", fp);
		if (err->stage[0] != '\0') {
			logfile_put(fp, err->stage, 1);
			fputs(": ", fp);
		}
		logfile_put(fp, err->message[0] != '\0' ? err->message :
		    smtpc_strerror(err->code), 1);
		fputs("' ", fp);
	}
	fprintf(fp, "exitcode=%s", logfile_exit_name(exit_code));
	if (fclose(fp) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

int
logfile_append(const char *path, const char *line)
{
	char stamp[64], *text;
	struct tm tm;
	time_t now = time(NULL);
	size_t n, done = 0;
	ssize_t w;
	int fd, saved;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	n = strlen(stamp) + strlen(line) + 3;
	if ((text = malloc(n)) == NULL) {
		fprintf(stderr, "smtpc: cannot log to %s: out of memory\n",
		    path);
		return -1;
	}
	n = (size_t)snprintf(text, n, "%s%s%s\n", stamp, stamp[0] ? " " : "",
	    line);
	if (strcmp(path, "-") == 0) {
		fflush(stdout);
		fd = STDOUT_FILENO;
	} else if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0600)) < 0) {
		goto fail;
	}
	/* One write: lines of several smtpc at once never interleave. */
	while (done < n) {
		if ((w = write(fd, text + done, n - done)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (size_t)w;
	}
	saved = errno;
	if (fd != STDOUT_FILENO && close(fd) != 0 && done == n) {
		saved = errno;
		done = 0;
	}
	errno = saved;
	if (done == n) {
		free(text);
		return 0;
	}
fail:
	fprintf(stderr, "smtpc: cannot log to ");
	report_escaped(stderr, path, strlen(path));
	fprintf(stderr, ": %s\n", strerror(errno));
	free(text);
	return -1;
}

void
logfile_syslog(const char *facility, const char *line, int error)
{
	static const struct {
		const char *name;
		int facility;
	} t[] = {
	    {"LOG_USER", LOG_USER}, {"LOG_MAIL", LOG_MAIL},
	    {"LOG_LOCAL0", LOG_LOCAL0}, {"LOG_LOCAL1", LOG_LOCAL1},
	    {"LOG_LOCAL2", LOG_LOCAL2}, {"LOG_LOCAL3", LOG_LOCAL3},
	    {"LOG_LOCAL4", LOG_LOCAL4}, {"LOG_LOCAL5", LOG_LOCAL5},
	    {"LOG_LOCAL6", LOG_LOCAL6}, {"LOG_LOCAL7", LOG_LOCAL7},
	};
	int fac = LOG_USER;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(facility, t[i].name) == 0)
			fac = t[i].facility;
	openlog("smtpc", LOG_PID, fac);
	syslog(error ? LOG_ERR : LOG_INFO, "%s", line);
	closelog();
}

void
logfile_send(const struct cli_opts *o, const char *user,
    const struct smtpc_msg *msg, const struct smtpc_result *r,
    const struct smtpc_error *err, uint64_t size, int exit_code)
{
	struct logfile_info li;
	char *line;

	if (o->logfile == NULL && o->syslog == NULL)
		return;
	memset(&li, 0, sizeof(li));
	li.host = o->host;
	li.tls = !o->tls_set || o->tls != SMTPC_TLS_NONE;
	li.user = user;
	li.msg = msg;
	li.envelope_from = o->envelope_from;
	li.err = err;
	li.size = size;
	if ((line = logfile_line(r, &li, exit_code)) == NULL) {
		fprintf(stderr, "smtpc: cannot log: out of memory\n");
		return;
	}
	if (o->logfile != NULL)
		logfile_append(o->logfile, line);
	if (o->syslog != NULL)
		logfile_syslog(o->syslog, line, exit_code != 0);
	free(line);
}
