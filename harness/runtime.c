/*
 * runtime.c - a twin's runtime count over HTTP (runtime.h): one GET, the
 * body searched for the line the twin's tool prints.
 */
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include "proc.h"

int lc_runtime_spec_parse(const char *text, struct lc_runtime_spec *out, char *why, size_t why_size)
{
	const char *c1 = strchr(text, ',');
	const char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	size_t n1, n2, n3;

	memset(out, 0, sizeof(*out));
	if (!c2)
		goto bad;
	n1 = (size_t)(c1 - text);
	n2 = (size_t)(c2 - c1 - 1);
	n3 = strlen(c2 + 1);
	if (n1 == 0 || n1 >= sizeof(out->name) || n2 < 1 || n2 >= sizeof(out->path) || n3 == 0 ||
	    n3 >= sizeof(out->line) || c1[1] != '/')
		goto bad;
	memcpy(out->name, text, n1);
	memcpy(out->path, c1 + 1, n2);
	memcpy(out->line, c2 + 1, n3);
	if (strpbrk(out->path, " \t\r\n") || strpbrk(out->line, "\r\n"))
		goto bad;
	return 0;
bad:
	snprintf(why, why_size,
		 "bad runtime signal \"%s\" (NAME,/PATH,LINE, e.g. "
		 "goroutines,/debug/pprof/goroutine?debug=1,goroutine profile: total)",
		 text);
	memset(out, 0, sizeof(*out));
	return LL_EINVAL;
}

long lc_runtime_parse(const char *body, const char *line)
{
	size_t n = strlen(line);
	const char *p = body;

	while ((p = strstr(p, line)) != NULL) {
		const char *v = p + n;
		char *end;
		long value;

		/* At the start of a line, and the number right after the text. */
		if (p != body && p[-1] != '\n') {
			p += n;
			continue;
		}
		v += strspn(v, " \t");
		if (*v >= '0' && *v <= '9') {
			value = strtol(v, &end, 10);
			if (*end == '\0' || *end == '\n' || *end == '\r' || *end == ' ')
				return value;
		}
		p += n;
	}
	return -1;
}

/* Reads the whole reply (the server closes: Connection: close) into a buffer of ours. */
static int read_reply(struct ll_transport *t, int timeout_ms, char **out)
{
	size_t len = 0, cap = 16384;
	char *buf = ll_malloc(cap);

	if (!buf)
		return LL_ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap - 1) {
			char *bigger;

			if (cap >= LC_RUNTIME_MAX_REPLY) {
				ll_free(buf);
				return LL_ETOOBIG;
			}
			bigger = ll_realloc(buf, cap * 2);
			if (!bigger) {
				ll_free(buf);
				return LL_ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = ll_transport_read(t, buf + len, cap - 1 - len, timeout_ms);
		if (n == 0)
			break;
		if (n < 0) {
			ll_free(buf);
			return (int)n;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int lc_runtime_fetch(const struct lc_runtime_spec *spec, const char *host, unsigned port,
		     int timeout_ms, long *value)
{
	struct ll_transport *t;
	char req[400], *reply = NULL;
	const char *body;
	int fd, err, n;

	*value = -1;
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", spec->path);
	if (n < 0 || (size_t)n >= sizeof(req))
		return LL_ETOOBIG;
	fd = ll_tcp_connect(host, port, timeout_ms);
	if (fd < 0)
		return fd;
	err = ll_transport_plain(&t, fd);
	if (err)
		return err;
	err = ll_transport_write(t, req, (size_t)n, timeout_ms);
	if (err)
		goto out_destroy;
	err = read_reply(t, timeout_ms, &reply);
	if (err)
		goto out_destroy;
	if (strncmp(reply, "HTTP/1.1 200", 12) != 0 && strncmp(reply, "HTTP/1.0 200", 12) != 0) {
		err = LL_EPROTO;
		goto out_free_reply;
	}
	body = strstr(reply, "\r\n\r\n");
	body = body ? body + 4 : reply;
	*value = lc_runtime_parse(body, spec->line);
	if (*value < 0)
		err = LL_EPROTO;
out_free_reply:
	ll_free(reply);
out_destroy:
	ll_transport_destroy(t);
	return err;
}

int lc_runtime_settle(const struct lc_runtime_spec *spec, const char *host, unsigned port,
		      int timeout_ms, long target, int window_ms, int max_ms, long *value)
{
	long start = lc_now_ms(), changed = start, nap = 1, prev = -1;
	int err, last_err = 0;

	*value = -1;
	for (;;) {
		long v, now;

		err = lc_runtime_fetch(spec, host, port, timeout_ms, &v);
		now = lc_now_ms();
		if (err) {
			last_err = err;
		} else {
			if (v != prev)
				changed = now;
			prev = v;
			*value = v;
			if (v == target || now - changed >= window_ms)
				return 0;
		}
		if (now - start >= window_ms + max_ms)
			return *value >= 0 ? 0 : last_err;
		lc_sleep_ms(nap);
		nap = nap * 2 > 100 ? 100 : nap * 2;
	}
}
