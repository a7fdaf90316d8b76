/* SPDX-License-Identifier: ISC */
/*
 * config_print.c - an account's settings as `smtpc check` shows them:
 * each key as the file would write it, the password masked, and where it
 * came from (the file and line, the command line, or msmtp's default).
 */
#include <stdio.h>
#include <string.h>

#include "config_keys.h"

/* Untrusted text: printable ASCII and bytes of UTF-8 as they are. */
static void
config_print_text(FILE *fp, const char *s)
{
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f)
			fprintf(fp, "\\x%02x", ch);
		else
			fputc(ch, fp);
	}
}

/* A value as the file would write it: quoted when blanks would be lost. */
static void
config_print_value(FILE *fp, const char *v)
{
	size_t n = strlen(v);
	int quote = n == 0 || config_blank(v[0]) || config_blank(v[n - 1]) ||
	    (n >= 2 && v[0] == '"' && v[n - 1] == '"');

	if (quote)
		fputc('"', fp);
	config_print_text(fp, v);
	if (quote)
		fputc('"', fp);
}

/* Unset keys whose msmtp default is worth showing. */
static int
config_default_shown(enum config_key k)
{
	return k == CONFIG_PORT || k == CONFIG_TLS ||
	    k == CONFIG_TLS_STARTTLS || k == CONFIG_TLS_TRUST_FILE ||
	    k == CONFIG_TLS_CERTCHECK || k == CONFIG_AUTH;
}

void
config_print(FILE *fp, const struct config_account *a)
{
	const struct config_origin *o;
	const char *word, *v;
	enum config_key k;
	char buf[64];

	for (k = 0; k < CONFIG_NKEYS; k++) {
		o = &a->origin[k];
		if (o->file == NULL && !config_default_shown(k))
			continue;
		fprintf(fp, "%s ", config_key_name(k));
		word = config_key_word(a, k, buf, sizeof(buf));
		v = word == NULL ? config_key_strv(a, k) : NULL;
		if (word != NULL)
			fputs(word, fp);
		else if (k == CONFIG_PASSWORD && v != NULL)
			fputs("****", fp);
		else
			config_print_value(fp, v != NULL ? v : "");
		if (o->file == NULL)
			fputs("  (default)\n", fp);
		else {
			fputs("  (", fp);
			config_print_text(fp, o->file);
			if (o->line > 0)
				fprintf(fp, ":%u", o->line);
			fputs(")\n", fp);
		}
	}
}
