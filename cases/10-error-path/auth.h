/*
 * auth.h - what both variants of 10-error-path share and do not teach:
 * reading the query string of the upgrade, the HMAC that signs a client id
 * (what a JWT's signature is, without the JSON), the session registry, and
 * the fault-injection knob the harness walks the handshake path with.
 *
 * A token is HMAC-SHA256(AUTH_SECRET, id) in 64 lowercase hex digits, sent
 * as "/?id=ID&token=HEX". A real server would load its secret from its
 * configuration; a fixed one keeps this example reproducible.
 *
 * The code is in auth.c, compiled into both variants (and the exercise).
 */
#ifndef LEAKLAB_CASE10_AUTH_H
#define LEAKLAB_CASE10_AUTH_H

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/map.h>

#include <openssl/evp.h>

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
extern struct ll_map *sessions;
extern atomic_ulong session_seq;

/* --fault-injection 1: honour "fail-alloc=N" in the query (for the harness only). */
extern long fault_injection;

/*
 * Copies the value of name in path's query string ("/?a=1&b=2") into out.
 * Returns 0, LL_EINVAL (absent or empty), LL_ETOOBIG (longer than size - 1).
 * Allocates nothing, so it cannot be what a fault makes fail.
 */
int query_param(const char *path, const char *name, char *out, size_t size);

/*
 * With --fault-injection, "fail-alloc=N" makes the Nth library allocation
 * from here fail, once (ll_alloc_fail_once): the harness's fault walk
 * counts N from the start of the handshake path, one connection at a time.
 */
void fault_arm(const char *path);

/* The handshake path ends where the handler starts: nothing may fail after it. */
void fault_disarm(void);

/* The id's copy, in *out (ll_free it). Returns 0, LL_EINVAL (no or bad id), LL_ENOMEM. */
int query_id(const char *path, char **out);

/* What checks a token: the HMAC and its OpenSSL objects. */
struct verifier {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

/* A verifier keyed with AUTH_SECRET, or NULL when memory or OpenSSL fails. */
struct verifier *verifier_new(void);

/* True if the path's token is id's HMAC. Compared in constant time. */
bool verifier_check(struct verifier *v, const char *id, const char *path);

/* Frees v and its OpenSSL objects. NULL is a no-op. */
void verifier_free(struct verifier *v);

/* Takes the session out of the registry and frees it. NULL is a no-op. */
void session_end(struct session *s);

/* The server's drop_user: a session whose connection never reached the handler. */
void drop_session(void *user, void *arg);

/* The app's setup and teardown: the registry, made and destroyed. */
int setup(void *arg);
void teardown(void *arg);

#endif
