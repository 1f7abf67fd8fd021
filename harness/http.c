/*
 * http.c - the harness's one HTTP request, GET /metrics, over the lib's
 * plain transport: the program's own view of its threads, fds and heap
 * (the probe's Prometheus text format).
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/transport.h>

/* The value of a Prometheus sample line "name value", or -1. */
static long long metric(const char *body, const char *name)
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

int lc_fetch_metrics(const char *host, unsigned port, int timeout_ms, long long *heap,
		     long *threads, long *fds)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\n"
				  "Host: 127.0.0.1\r\n"
				  "Connection: close\r\n"
				  "\r\n";
	struct ll_transport *t;
	char buf[8192];
	size_t len = 0;
	const char *body;
	int fd, err;

	*heap = -1;
	*threads = -1;
	*fds = -1;
	fd = ll_tcp_connect(host, port, timeout_ms);
	if (fd < 0)
		return fd;
	err = ll_transport_plain(&t, fd);
	if (err)
		return err;
	err = ll_transport_write(t, req, sizeof(req) - 1, timeout_ms);
	if (err)
		goto out_destroy;
	for (;;) {
		ssize_t n;

		if (len == sizeof(buf) - 1) {
			err = LL_ETOOBIG;
			goto out_destroy;
		}
		n = ll_transport_read(t, buf + len, sizeof(buf) - 1 - len, timeout_ms);
		if (n == 0)
			break;
		if (n < 0) {
			err = (int)n;
			goto out_destroy;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		err = LL_EPROTO;
		goto out_destroy;
	}
	body = strstr(buf, "\r\n\r\n");
	body = body ? body + 4 : buf;
	*heap = metric(body, LL_PROBE_METRIC_HEAP_BYTES);
	*threads = (long)metric(body, LL_PROBE_METRIC_THREADS);
	*fds = (long)metric(body, LL_PROBE_METRIC_OPEN_FDS);
	if (*heap < 0)
		err = LL_EPROTO;
out_destroy:
	ll_transport_destroy(t);
	return err;
}
