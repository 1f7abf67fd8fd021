/*
 * http.h - the harness's only HTTP client: a GET to the program under
 * test, and GET /metrics read.
 */
#ifndef LEAKLAB_HARNESS_HTTP_H
#define LEAKLAB_HARNESS_HTTP_H

#include <stddef.h>

struct ll_tls_ctx;

/*
 * GET path from host:port (over TLS with tls, a client context; NULL:
 * plain) with Connection: close, reading the reply to
 * the end (at most max bytes). On 0, *reply is the whole reply (the
 * caller frees it with ll_free) and *body points into it, past the
 * headers. Blocks for at most about timeout_ms per step. Returns 0, or a
 * negative ll_err: the connect's or transport's error, LL_ETOOBIG (a path
 * or reply too long), LL_EPROTO (no 200), LL_ENOMEM.
 */
int lc_http_get(const char *host, unsigned port, struct ll_tls_ctx *tls, const char *path,
		int timeout_ms, size_t max, char **reply, const char **body);

/*
 * GET /metrics from the program (over TLS with tls, as above): its own view of threads, fds and
 * heap (the probe's Prometheus text). Values not present are set to -1. Blocks for at most about
 * timeout_ms per step (connect, write, each read). Allocates nothing the caller must free. Returns
 * 0, or a negative ll_err: the connect's or transport's error, LL_ETOOBIG (a reply over 8 KiB),
 * LL_EPROTO (no 200 reply, or no leaklab_heap_bytes in it).
 */
int lc_fetch_metrics(const char *host, unsigned port, struct ll_tls_ctx *tls, int timeout_ms,
		     long long *heap, long *threads, long *fds);

/* The value of the Prometheus sample line "name value" in body, or -1 if there is none. */
long long lc_http_metric(const char *body, const char *name);

#endif
