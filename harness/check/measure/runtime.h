/*
 * runtime.h - the runtime signal of a twin: a count that the twin's own
 * runtime keeps and its standard tool reports, read over HTTP from the
 * program's port. Go: goroutines, from net/http/pprof's
 * GET /debug/pprof/goroutine?debug=1 ("goroutine profile: total 12").
 * Node: live timers, from process.getActiveResourcesInfo() on /metrics
 * ("leaklab_timers 3"). Python: live asyncio tasks on /metrics
 * ("leaklab_tasks 4").
 *
 * The count is judged like threads and fds (harness/check/judge/judge.c, LC_RUNTIME):
 * a leak grows with the load, a fix returns to its baseline exactly.
 */
#ifndef LEAKLAB_HARNESS_RUNTIME_H
#define LEAKLAB_HARNESS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include <stddef.h>

/* Where a twin's count is: its name, the HTTP path, the line it starts. */
struct lc_runtime_spec {
	char name[32];	/* "goroutines", "timers", "tasks" */
	char path[200]; /* "/debug/pprof/goroutine?debug=1" */
	char line[100]; /* "goroutine profile: total" */
};

/* Replies longer than this are an error (a goroutine dump of a big leak fits). */
#define LC_RUNTIME_MAX_REPLY (4 << 20)

/*
 * Parses "NAME,PATH,LINE" (e.g. "goroutines,/debug/pprof/goroutine?debug=1,
 * goroutine profile: total") into *out. The path must start with "/" and
 * hold no blank; LINE is the text a line starts with, the count following
 * it after optional blanks. Returns 0 or LL_EINVAL (why says what).
 */
int lc_runtime_spec_parse(const char *text, struct lc_runtime_spec *out, char *why,
			  size_t why_size);

/*
 * The count in an HTTP body: the integer after the first line that starts
 * with line (and then a blank or the number). Returns it, or -1 when no
 * line has it.
 */
long lc_runtime_parse(const char *body, const char *line);

/*
 * GET spec->path from host:port and parses the count into *value (-1 on
 * failure). Blocks for at most about timeout_ms per step (connect, write,
 * each read). Allocates nothing the caller frees. Returns 0, or a negative
 * ll_err: the connect's or transport's error, LL_ENOMEM, LL_ETOOBIG (a reply
 * over LC_RUNTIME_MAX_REPLY), LL_EPROTO (no 200 reply, or no such line).
 */
int lc_runtime_fetch(const struct lc_runtime_spec *spec, const char *host, unsigned port,
		     int timeout_ms, long *value);

/*
 * Fetches the count until it equals target (-1: no target) or has held
 * still for window_ms, giving up after window_ms + max_ms with the last
 * value; naps with backoff from 1 ms to 100 ms, as the harness settles
 * threads and fds. *value gets the count (-1 if no fetch worked). Returns
 * 0, or the last fetch's error when none worked.
 */
int lc_runtime_settle(const struct lc_runtime_spec *spec, const char *host, unsigned port,
		      int timeout_ms, long target, int window_ms, int max_ms, long *value);

/* ----- Go's own profiles, for --heap-profile on a Go twin ----- */

struct lc_heap_profile;

/* Whether spec is a Go twin's (its count comes from net/http/pprof). */
bool lc_runtime_is_go(const struct lc_runtime_spec *spec);

/*
 * GETs the Go profile at path ("/debug/pprof/heap?gc=1&debug=1", after a
 * collection, or "/debug/pprof/goroutine?debug=1": the text forms, which
 * go tool pprof reads) from host:port and writes its body to the file
 * out_path. Returns 0, a fetch's ll_err (as lc_runtime_fetch), or LL_EIO.
 */
int lc_go_profile_save(const char *host, unsigned port, const char *path, int timeout_ms,
		       const char *out_path);

/*
 * Runs `go tool pprof -traces -lines -unit=B -base BASE PROGRAM AT` (the
 * go found in PATH, offline: golang-go) on two saved profiles of program
 * and adds what grew from base to at, by stack, into *p
 * (lc_heap_profile_add_pprof). Returns 0, LL_ENOMEM, LL_ETIMEDOUT, or
 * LL_EIO with why filled (go not found, pprof failed).
 */
int lc_go_profile_diff(const char *program, const char *base, const char *at, int timeout_ms,
		       struct lc_heap_profile *p, char *why, size_t why_size);

#endif
