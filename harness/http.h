/*
 * http.h - GET /metrics from the program under test, the harness's only
 * HTTP client.
 */
#ifndef LEAKLAB_HARNESS_HTTP_H
#define LEAKLAB_HARNESS_HTTP_H

/*
 * GET /metrics from the program: its own view of threads, fds and heap
 * (the probe's Prometheus text). Values not present are set to -1.
 * Blocks for at most about timeout_ms per step (connect, write, each
 * read). Allocates nothing the caller must free. Returns 0, or a negative
 * ll_err: the connect's or transport's error, LL_ETOOBIG (a reply over
 * 8 KiB), LL_EPROTO (no 200 reply, or no leaklab_heap_bytes in it).
 */
int lc_fetch_metrics(const char *host, unsigned port, int timeout_ms, long long *heap,
		     long *threads, long *fds);

#endif
