/*
 * sasl.c - the SASL mechanism table and the choice among mechanisms.
 *
 * Adding a mechanism is one step function and one table row; the session
 * only sees names, ranks and bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "error.h"
#include "sasl.h"

/* RFC 4616: [authzid] NUL authcid NUL passwd, in one initial response. */
static int
sasl_plain_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	if (c->step > 0 || len > 0)
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued PLAIN authentication after the "
		    "credentials were sent");
	if ((rc = buf_append_byte(out, '\0')) != 0 ||
	    (rc = buf_append_str(out, c->user)) != 0 ||
	    (rc = buf_append_byte(out, '\0')) != 0 ||
	    (rc = buf_append(out, c->pass, c->pass_len)) != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/*
 * LOGIN (draft-murchison-sasl-login): the user name, then the password,
 * whatever the server's prompts say ("Username:" in any language).
 */
static int
sasl_login_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	if (c->step == 0)
		rc = buf_append_str(out, c->user);
	else if (c->step == 1)
		rc = buf_append(out, c->pass, c->pass_len);
	else
		return error_set(err, SMTPC_EPROTO, "AUTH",
		    "server continued LOGIN authentication after the "
		    "password was sent");
	if (rc != 0)
		return error_set(err, rc, "AUTH", "cannot build the response");
	return 0;
}

/* Strongest first is not required: sasl_choose compares ranks. */
static const struct sasl_mech sasl_mechs[] = {
	{ "PLAIN", 20, 1, sasl_plain_step },
	{ "LOGIN", 10, 0, sasl_login_step },
	/*
	 * Planned: { "SCRAM-SHA-256", 40, 1, sasl_scram_step } and
	 * { "XOAUTH2", 0, 1, sasl_xoauth2_step } (rank 0: a token is not a
	 * password, so only when named).
	 */
};

#define SASL_NMECHS (sizeof(sasl_mechs) / sizeof(sasl_mechs[0]))

const struct sasl_mech *
sasl_find(const char *name)
{
	size_t i;

	for (i = 0; i < SASL_NMECHS; i++)
		if (strcasecmp(sasl_mechs[i].name, name) == 0)
			return &sasl_mechs[i];
	return NULL;
}

/* Is `name` one of the space-separated words of `list`? */
static int
sasl_offered(const char *list, const char *name)
{
	size_t n = strlen(name), w;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		w = strcspn(list, " ");
		if (w == n && strncasecmp(list, name, n) == 0)
			return 1;
		list += w;
	}
	return 0;
}

int
sasl_choose(const char *offered, const char *wanted,
    const struct sasl_mech **ret, struct smtpc_error *err)
{
	const struct sasl_mech *best = NULL;
	size_t i;

	if (offered == NULL)
		offered = "";
	if (wanted != NULL) {
		best = sasl_find(wanted);
		if (best == NULL)
			return error_set(err, SMTPC_ENOMECH, "AUTH",
			    "authentication mechanism %.64s is not supported",
			    wanted);
		if (!sasl_offered(offered, best->name))
			return error_set(err, SMTPC_ENOMECH, "AUTH",
			    "server does not offer %s (it offers: %.200s)",
			    best->name, *offered ? offered : "nothing");
		*ret = best;
		return 0;
	}
	for (i = 0; i < SASL_NMECHS; i++) {
		if (sasl_mechs[i].rank <= 0 ||
		    !sasl_offered(offered, sasl_mechs[i].name))
			continue;
		if (best == NULL || sasl_mechs[i].rank > best->rank)
			best = &sasl_mechs[i];
	}
	if (best == NULL)
		return error_set(err, SMTPC_ENOMECH, "AUTH",
		    "no supported authentication mechanism (server offers: "
		    "%.200s)", *offered ? offered : "nothing");
	*ret = best;
	return 0;
}

void
sasl_client_init(struct sasl_client *c, const struct sasl_mech *mech,
    const char *user, const char *pass, size_t pass_len)
{
	c->mech = mech;
	c->user = user ? user : "";
	c->pass = pass ? pass : "";
	c->pass_len = pass ? pass_len : 0;
	c->step = 0;
	c->priv = NULL;
	c->priv_len = 0;
}

int
sasl_client_step(struct sasl_client *c, const unsigned char *in, size_t len,
    struct buf *out, struct smtpc_error *err)
{
	int rc;

	if ((rc = c->mech->step(c, in, len, out, err)) != 0)
		return rc;
	c->step++;
	return 0;
}

void
sasl_client_free(struct sasl_client *c)
{
	if (c->priv != NULL) {
		OPENSSL_cleanse(c->priv, c->priv_len);
		free(c->priv);
	}
	c->priv = NULL;
	c->priv_len = 0;
	c->pass = NULL;
	c->pass_len = 0;
}
