/*
 * auth.c - what both variants of 10-error-path share and do not teach
 * (auth.h says what each part is for).
 */
#include "auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

struct ll_map *sessions;
atomic_ulong session_seq;
long fault_injection;

int query_param(const char *path, const char *name, char *out, size_t size)
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

void fault_arm(const char *path)
{
	char n[16];

	if (fault_injection && query_param(path, "fail-alloc", n, sizeof(n)) == 0)
		ll_alloc_fail_once(strtol(n, NULL, 10));
}

void fault_disarm(void)
{
	if (fault_injection)
		ll_alloc_fail_after(0);
}

int query_id(const char *path, char **out)
{
	char id[ID_MAX + 1];

	if (query_param(path, "id", id, sizeof(id)) != 0)
		return LL_EINVAL;
	*out = ll_strdup(id);
	return *out ? 0 : LL_ENOMEM;
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	EVP_MAC_CTX_free(v->ctx);
	EVP_MAC_free(v->mac);
	ll_free(v);
}

struct verifier *verifier_new(void)
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

bool verifier_check(struct verifier *v, const char *id, const char *path)
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

void session_end(struct session *s)
{
	if (!s)
		return;
	ll_map_remove(sessions, s->key, NULL);
	ll_free(s->id);
	ll_free(s);
}

void drop_session(void *user, void *arg)
{
	(void)arg;
	session_end(user);
}

int setup(void *arg)
{
	(void)arg;
	return ll_map_create(&sessions, NULL);
}

void teardown(void *arg)
{
	(void)arg;
	ll_map_destroy(sessions);
}
