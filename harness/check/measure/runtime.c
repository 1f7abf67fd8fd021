/*
 * runtime.c - a twin's runtime count over HTTP (runtime.h): one GET, the
 * body searched for the line the twin's tool prints.
 */
#include "measure/runtime.h"

#include "drive/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "measure/heapprof.h"
#include "measure/proc.h"

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

int lc_runtime_fetch(const struct lc_runtime_spec *spec, const char *host, unsigned port,
		     int timeout_ms, long *value)
{
	const char *body;
	char *reply;
	int err;

	*value = -1;
	err = lc_http_get(host, port, NULL, spec->path, timeout_ms, LC_RUNTIME_MAX_REPLY, &reply,
			  &body);
	if (err)
		return err;
	*value = lc_runtime_parse(body, spec->line);
	if (*value < 0)
		err = LL_EPROTO;
	ll_free(reply);
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

bool lc_runtime_is_go(const struct lc_runtime_spec *spec)
{
	return strncmp(spec->path, "/debug/pprof/", 13) == 0;
}

/*
 * Writes an HTTP body to f: as it came, or without its chunk sizes when the
 * headers (reply up to body) say it is chunked, as net/http sends anything
 * longer than its buffer. Returns 0, LL_EPROTO (a broken chunk) or LL_EIO.
 */
static int write_body(FILE *f, const char *reply, const char *body)
{
	const char *p = body;
	bool chunked = false;
	const char *h;

	for (h = reply; h < body; h++)
		if (strncasecmp(h, "transfer-encoding: chunked", 26) == 0)
			chunked = true;
	if (!chunked)
		return fputs(body, f) == EOF ? LL_EIO : 0;
	for (;;) {
		char *end;
		unsigned long n = strtoul(p, &end, 16);

		if (end == p || strncmp(end + strcspn(end, "\n") - 1, "\r\n", 2) != 0)
			return LL_EPROTO;
		p = end + strcspn(end, "\n") + 1;
		if (n == 0)
			return 0;
		if (strlen(p) < n || fwrite(p, 1, n, f) != n)
			return strlen(p) < n ? LL_EPROTO : LL_EIO;
		p += n;
		if (strncmp(p, "\r\n", 2) != 0)
			return LL_EPROTO;
		p += 2;
	}
}

int lc_go_profile_save(const char *host, unsigned port, const char *path, int timeout_ms,
		       const char *out_path)
{
	const char *body;
	char *reply;
	FILE *f;
	int err;

	err = lc_http_get(host, port, NULL, path, timeout_ms, LC_RUNTIME_MAX_REPLY, &reply, &body);
	if (err)
		return err;
	f = fopen(out_path, "we");
	if (!f) {
		err = LL_EIO;
		goto out_free_reply;
	}
	err = write_body(f, reply, body);
	if (fclose(f) != 0)
		err = LL_EIO;
out_free_reply:
	ll_free(reply);
	return err;
}

/* pprof's traces of a goroutine leak of a few hundred clients fit well. */
#define PPROF_MAX_OUTPUT (8 << 20)

int lc_go_profile_diff(const char *program, const char *base, const char *at, int timeout_ms,
		       struct lc_heap_profile *p, char *why, size_t why_size)
{
	char base_arg[700];
	char *argv[] = {"go",	   "tool",   "pprof",	      "-traces",  "-lines",
			"-unit=B", base_arg, (char *)program, (char *)at, NULL};
	char *out;
	int status = 0, err;

	snprintf(base_arg, sizeof(base_arg), "-base=%s", base);
	out = ll_malloc(PPROF_MAX_OUTPUT);
	if (!out)
		return LL_ENOMEM;
	err = lc_run_capture(argv, timeout_ms, out, PPROF_MAX_OUTPUT, &status);
	if (err) {
		snprintf(why, why_size, "go tool pprof: %s", ll_strerror(err));
		goto out_free_out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, why_size, "go tool pprof failed (%s)",
			 WIFEXITED(status) && WEXITSTATUS(status) == 127
			     ? "go not found: Debian package golang-go"
			     : "see its output by running it by hand");
		err = LL_EIO;
		goto out_free_out;
	}
	err = lc_heap_profile_add_pprof(p, out);
	if (err == LL_EPROTO) {
		snprintf(why, why_size, "go tool pprof printed no traces");
		err = LL_EIO;
	}
out_free_out:
	ll_free(out);
	return err;
}
