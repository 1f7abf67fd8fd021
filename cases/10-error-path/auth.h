/*
 * auth.h - what both variants of 10-error-path share and do not teach:
 * reading the query string of the upgrade, the HMAC that signs a client id
 * (what a JWT's signature is, without the JSON), the session registry, and
 * the fault-injection knob the harness walks the handshake path with.
 *
 * A token is HMAC-SHA256(AUTH_SECRET, id) in 64 lowercase hex digits, sent
 * as "/?id=ID&token=HEX". A real server would load its secret from its
 * configuration; a fixed one keeps this example reproducible.
 */
#ifndef LEAKLAB_CASE10_AUTH_H
#define LEAKLAB_CASE10_AUTH_H

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/map.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_SECRET "leaklab-case-10-secret"
#define MAC_LEN	    32 /* SHA-256 */
#define ID_MAX	    64

/* A client with a valid token, from the check that let it in until its handler ends. */
struct session {
	char *id;
	char key[ID_MAX + 24]; /* "ID#SEQ": a client may connect more than once */
};

/* Every session of a connected client, keyed by session key. */
static struct ll_map *sessions;
static atomic_ulong session_seq;

/* --fault-injection 1: honour "fail-alloc=N" in the query (for the harness only). */
static long fault_injection;

/*
 * Copies the value of name in path's query string ("/?a=1&b=2") into out.
 * Returns 0, LL_EINVAL (absent or empty), LL_ETOOBIG (longer than size - 1).
 * Allocates nothing, so it cannot be what a fault makes fail.
 */
static int query_param(const char *path, const char *name, char *out, size_t size)
{
	const char *p = strchr(path, '?');
	size_t nlen = strlen(name);

	while (p) {
		size_t vlen;

		p++;
		vlen = strcspn(p, "&");
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			vlen -= nlen + 1;
			if (vlen == 0)
				return LL_EINVAL;
			if (vlen >= size)
				return LL_ETOOBIG;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = strchr(p, '&');
	}
	return LL_EINVAL;
}

/*
 * With --fault-injection, "fail-alloc=N" makes the Nth library allocation
 * from here fail, once (ll_alloc_fail_once): the harness's fault walk
 * counts N from the start of the handshake path, one connection at a time.
 */
static void fault_arm(const char *path)
{
	char n[16];

	if (fault_injection && query_param(path, "fail-alloc", n, sizeof(n)) == 0)
		ll_alloc_fail_once(strtol(n, NULL, 10));
}

/* The handshake path ends where the handler starts: nothing may fail after it. */
static void fault_disarm(void)
{
	if (fault_injection)
		ll_alloc_fail_after(0);
}

/* The id's copy, in *out (ll_free it). Returns 0, LL_EINVAL (no or bad id), LL_ENOMEM. */
static int query_id(const char *path, char **out)
{
	char id[ID_MAX + 1];

	if (query_param(path, "id", id, sizeof(id)) != 0)
		return LL_EINVAL;
	*out = ll_strdup(id);
	return *out ? 0 : LL_ENOMEM;
}

/* What checks a token: the HMAC and its OpenSSL objects. */
struct verifier {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

/* Frees v and its OpenSSL objects. NULL is a no-op. */
static void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	EVP_MAC_CTX_free(v->ctx);
	EVP_MAC_free(v->mac);
	ll_free(v);
}

/* A verifier keyed with AUTH_SECRET, or NULL when memory or OpenSSL fails. */
static struct verifier *verifier_new(void)
{
	OSSL_PARAM params[2];
	struct verifier *v = ll_calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	v->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	v->ctx = v->mac ? EVP_MAC_CTX_new(v->mac) : NULL;
	if (!v->ctx || !EVP_MAC_init(v->ctx, (const unsigned char *)AUTH_SECRET,
				     strlen(AUTH_SECRET), params)) {
		verifier_free(v);
		return NULL;
	}
	return v;
}

/* True if the path's token is id's HMAC. Compared in constant time. */
static bool verifier_check(struct verifier *v, const char *id, const char *path)
{
	unsigned char want[MAC_LEN], got[MAC_LEN];
	char hex[2 * MAC_LEN + 1];
	size_t len = 0, i;

	if (query_param(path, "token", hex, sizeof(hex)) != 0 || strlen(hex) != 2 * MAC_LEN ||
	    strspn(hex, "0123456789abcdef") != 2 * MAC_LEN)
		return false;
	for (i = 0; i < MAC_LEN; i++) {
		unsigned byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return false;
		got[i] = (unsigned char)byte;
	}
	if (!EVP_MAC_update(v->ctx, (const unsigned char *)id, strlen(id)) ||
	    !EVP_MAC_final(v->ctx, want, &len, sizeof(want)) || len != MAC_LEN)
		return false;
	return CRYPTO_memcmp(want, got, MAC_LEN) == 0;
}

/* Takes the session out of the registry and frees it. NULL is a no-op. */
static void session_end(struct session *s)
{
	if (!s)
		return;
	ll_map_remove(sessions, s->key, NULL);
	ll_free(s->id);
	ll_free(s);
}

/* The server's drop_user: a session whose connection never reached the handler. */
static void drop_session(void *user, void *arg)
{
	(void)arg;
	session_end(user);
}

static int setup(void *arg)
{
	(void)arg;
	return ll_map_create(&sessions, NULL);
}

static void teardown(void *arg)
{
	(void)arg;
	ll_map_destroy(sessions);
}

#endif
