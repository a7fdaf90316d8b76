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
#include <dlfcn.h>

#include <libsecret/secret.h>

/*
 * libsecret is opened when a password is first looked up, never at start:
 * linking it pulls in GLib, GIO and GObject, whose loading and
 * constructors cost more than the rest of a run that never asks the key
 * ring.  The headers are still used, and each pointer is checked against
 * the function's own declaration where it is filled (keyring_open).
 */
#define KEYRING_LIBRARY	"libsecret-1.so.0"

static gchar *(*keyring_lookup_fn)(const SecretSchema *, GCancellable *,
    GError **, ...);
static void (*keyring_free_fn)(gchar *);
static void (*keyring_error_free_fn)(GError *);
static const SecretSchema **keyring_compat_network;

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

/*
 * Opens libsecret once; 0 when it cannot be (not installed, or too old to
 * have a symbol), said under -v only: a key ring that cannot be reached
 * is one that has no password, as in a build without it.
 */
static int
keyring_open(int verbose)
{
	static int state;	/* 0 not tried, 1 open, -1 failed */
	void *h;

	if (state != 0)
		return state > 0;
	state = -1;
	if ((h = dlopen(KEYRING_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		if (verbose)
			fprintf(stderr, "smtpc: key ring not used: %s\n",
			    dlerror());
		return 0;
	}
	/*
	 * Never evaluated, nothing is linked: the compiler compares each
	 * pointer's type with the header's declaration (a mismatch warns).
	 */
	(void)sizeof(1 ? keyring_lookup_fn :
	    secret_password_lookup_nonpageable_sync);
	(void)sizeof(1 ? keyring_free_fn : secret_password_free);
	(void)sizeof(1 ? keyring_error_free_fn : g_error_free);
	(void)sizeof(1 ? keyring_compat_network :
	    &SECRET_SCHEMA_COMPAT_NETWORK);
	*(void **)&keyring_lookup_fn = dlsym(h,
	    "secret_password_lookup_nonpageable_sync");
	*(void **)&keyring_free_fn = dlsym(h, "secret_password_free");
	*(void **)&keyring_error_free_fn = dlsym(h, "g_error_free");
	keyring_compat_network = dlsym(h, "SECRET_SCHEMA_COMPAT_NETWORK");
	if (keyring_lookup_fn == NULL || keyring_free_fn == NULL ||
	    keyring_error_free_fn == NULL || keyring_compat_network == NULL ||
	    *keyring_compat_network == NULL) {
		if (verbose)
			fprintf(stderr, "smtpc: key ring not used: %s lacks "
			    "the functions smtpc calls\n", KEYRING_LIBRARY);
		/* GLib cannot be unloaded safely; the handle stays. */
		return 0;
	}
	state = 1;
	return 1;
}

/* The item's text, or NULL; a failure is said under -v only. */
static gchar *
keyring_try(const SecretSchema *schema, const char *k1, const char *v1,
    const char *k2, const char *v2, const char *k3, const char *v3,
    int verbose)
{
	GError *gerr = NULL;
	gchar *pw;

	pw = keyring_lookup_fn(schema, NULL, &gerr, k1, v1, k2, v2, k3, v3,
	    NULL);
	if (gerr != NULL) {
		if (verbose)
			fprintf(stderr, "smtpc: key ring not used: %s\n",
			    gerr->message);
		keyring_error_free_fn(gerr);
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
	if (!keyring_open(verbose))
		return 0;
	pw = keyring_try(&keyring_schema, "host", host, "service", "smtp",
	    "user", user, verbose);
	if (pw == NULL)
		pw = keyring_try(*keyring_compat_network, "user", user,
		    "protocol", "smtp", "server", host, verbose);
	if (pw == NULL)
		return 0;
	n = strlen(pw);
	if (n >= cap) {
		keyring_free_fn(pw);
		return -1;
	}
	memcpy(buf, pw, n + 1);
	/* Wipes it: the text lives in libsecret's non-pageable memory. */
	keyring_free_fn(pw);
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
