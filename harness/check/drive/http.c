/*
 * http.c - the harness's one HTTP client, a GET over the lib's plain or
 * TLS transport: GET /metrics for the program's own view of its threads, fds
 * and heap (the probe's Prometheus text format), and the twins' runtime
 * counts (runtime.c).
 */
#include "drive/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/transport.h>

long long lc_http_metric(const char *body, const char *name)
{
	size_t n = strlen(name);
	const char *p = body;

	while ((p = strstr(p, name)) != NULL) {
		/* At the start of a line and followed by a space: not a HELP/TYPE line. */
		if ((p == body || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

int lc_http_get(const char *host, unsigned port, struct ll_tls_ctx *tls, const char *path,
		int timeout_ms, size_t max, char **reply, const char **body)
{
	struct ll_transport *t;
	size_t len = 0, cap = 8192;
	char req[400], *buf = NULL;
	int fd, err, n;

	*reply = NULL;
	*body = NULL;
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof(req))
		return LL_ETOOBIG;
	fd = ll_tcp_connect(host, port, timeout_ms);
	if (fd < 0)
		return fd;
	err = tls ? ll_transport_tls(&t, fd, tls, false, timeout_ms) : ll_transport_plain(&t, fd);
	if (err)
		return err;
	err = ll_transport_write(t, req, (size_t)n, timeout_ms);
	if (err)
		goto out_destroy;
	buf = ll_malloc(cap);
	if (!buf) {
		err = LL_ENOMEM;
		goto out_destroy;
	}
	/* The server closes after its reply (Connection: close): read to the end. */
	for (;;) {
		ssize_t got;

		if (len == cap - 1) {
			char *bigger;

			if (cap >= max) {
				err = LL_ETOOBIG;
				goto out_free_buf;
			}
			bigger = ll_realloc(buf, cap * 2);
			if (!bigger) {
				err = LL_ENOMEM;
				goto out_free_buf;
			}
			buf = bigger;
			cap *= 2;
		}
		got = ll_transport_read(t, buf + len, cap - 1 - len, timeout_ms);
		if (got == 0)
			break;
		if (got < 0) {
			err = (int)got;
			goto out_free_buf;
		}
		len += (size_t)got;
	}
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0 && strncmp(buf, "HTTP/1.0 200", 12) != 0) {
		err = LL_EPROTO;
		goto out_free_buf;
	}
	*body = strstr(buf, "\r\n\r\n");
	*body = *body ? *body + 4 : buf;
	*reply = buf;
	ll_transport_destroy(t);
	return 0;

out_free_buf:
	ll_free(buf);
out_destroy:
	ll_transport_destroy(t);
	return err;
}

int lc_fetch_metrics(const char *host, unsigned port, struct ll_tls_ctx *tls, int timeout_ms,
		     long long *heap, long *threads, long *fds)
{
	const char *body;
	char *reply;
	int err;

	*heap = -1;
	*threads = -1;
	*fds = -1;
	err = lc_http_get(host, port, tls, "/metrics", timeout_ms, 8192, &reply, &body);
	if (err)
		return err;
	*heap = lc_http_metric(body, LL_PROBE_METRIC_HEAP_BYTES);
	*threads = (long)lc_http_metric(body, LL_PROBE_METRIC_THREADS);
	*fds = (long)lc_http_metric(body, LL_PROBE_METRIC_OPEN_FDS);
	if (*heap < 0)
		err = LL_EPROTO;
	ll_free(reply);
	return err;
}
