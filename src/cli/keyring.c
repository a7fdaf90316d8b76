/* SPDX-License-Identifier: ISC */
/*
 * keyring.c - look a password up in the Secret Service as msmtp does: its
 * schema "de.marlam.msmtp.password" with attributes host, service ("smtp")
 * and user, the schema's name not matched, so items secret-tool stored
 * under the generic schema are found too; then the older gnome-keyring
 * network schema (server, protocol "smtp", user).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keyring.h"

#ifdef HAVE_LIBSECRET
#include <libsecret/secret.h>

static const SecretSchema keyring_schema = {
	"de.marlam.msmtp.password", SECRET_SCHEMA_DONT_MATCH_NAME,
	{
		{"host", SECRET_SCHEMA_ATTRIBUTE_STRING},
		{"service", SECRET_SCHEMA_ATTRIBUTE_STRING},
		{"user", SECRET_SCHEMA_ATTRIBUTE_STRING},
		{NULL, 0},
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/*
 * Without a session bus GLib would try to start one through X11
 * (dbus-launch): from cron that is slow at best.  Ask only when one is
 * there: DBUS_SESSION_BUS_ADDRESS, or the bus systemd puts in
 * $XDG_RUNTIME_DIR.
 */
static int
keyring_have_bus(void)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *run = getenv("XDG_RUNTIME_DIR");
	char path[4096];
	struct stat st;

	if (addr != NULL && addr[0] != '\0')
		return 1;
	if (run == NULL || run[0] == '\0' ||
	    (size_t)snprintf(path, sizeof(path), "%s/bus", run) >=
	    sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The item's text, or NULL; a failure is said under -v only. */
static gchar *
keyring_try(const SecretSchema *schema, const char *k1, const char *v1,
    const char *k2, const char *v2, const char *k3, const char *v3,
    int verbose)
{
	GError *gerr = NULL;
	gchar *pw;

	pw = secret_password_lookup_nonpageable_sync(schema, NULL, &gerr,
	    k1, v1, k2, v2, k3, v3, NULL);
	if (gerr != NULL) {
		if (verbose)
			fprintf(stderr, "smtpc: key ring not used: %s\n",
			    gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	return pw;
}

int
keyring_lookup(const char *host, const char *user, char *buf, size_t cap,
    int verbose)
{
	gchar *pw;
	size_t n;

	if (!keyring_have_bus()) {
		if (verbose)
			fprintf(stderr, "smtpc: key ring not used: no "
			    "session bus\n");
		return 0;
	}
	pw = keyring_try(&keyring_schema, "host", host, "service", "smtp",
	    "user", user, verbose);
	if (pw == NULL)
		pw = keyring_try(SECRET_SCHEMA_COMPAT_NETWORK, "user", user,
		    "protocol", "smtp", "server", host, verbose);
	if (pw == NULL)
		return 0;
	n = strlen(pw);
	if (n >= cap) {
		secret_password_free(pw);
		return -1;
	}
	memcpy(buf, pw, n + 1);
	/* Wipes it: the text lives in libsecret's non-pageable memory. */
	secret_password_free(pw);
	return 1;
}

#else

int
keyring_lookup(const char *host, const char *user, char *buf, size_t cap,
    int verbose)
{
	(void)host;
	(void)user;
	(void)buf;
	(void)cap;
	(void)verbose;
	return 0;
}

#endif
