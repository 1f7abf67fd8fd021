/*
 * shutdown.c - the clients of the shutdown scenario and its verdict
 * (shutdown.h).
 *
 * Each held client has a reader thread blocked in recv, as a browser tab
 * is: it answers a close frame at once (the lib's recv does), so a clean
 * server's close handshake ends quickly, and it notes the code it got.
 */
#include "drive/shutdown.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>

struct lc_shut_client {
	struct ll_ws_conn *conn;
	pthread_t reader;
	bool started;
	int timeout_ms;
	unsigned code; /* the close code received, 1006 for none, 0 if still open */
};

static void *reader_main(void *arg)
{
	struct lc_shut_client *c = arg;

	for (;;) {
		struct ll_ws_msg msg = {0};
		int err = ll_ws_conn_recv(c->conn, &msg, c->timeout_ms);

		if (err == 0) {
			ll_ws_msg_free(&msg);
			continue;
		}
		if (err != LL_ETIMEDOUT)
			c->code = ll_ws_conn_close_code(c->conn);
		return NULL;
	}
}

static void release(struct lc_shut *s)
{
	long i;

	for (i = 0; i < s->n; i++) {
		if (s->clients[i].started) {
			ll_ws_conn_shutdown(s->clients[i].conn);
			pthread_join(s->clients[i].reader, NULL);
		}
		ll_ws_conn_destroy(s->clients[i].conn);
	}
	ll_free(s->clients);
	s->clients = NULL;
	s->n = 0;
}

int lc_shut_hold(struct lc_shut *s, const char *host, unsigned port, long n, int timeout_ms,
		 char *why, size_t why_size)
{
	struct ll_ws_client_opts opts = {
	    .path = "/",
	    .timeout_ms = timeout_ms,
	    .conn = {.close_timeout_ms = timeout_ms, .write_timeout_ms = timeout_ms},
	};
	long i;

	s->n = 0;
	s->clients = n > 0 ? ll_calloc((size_t)n, sizeof(*s->clients)) : NULL;
	if (n > 0 && !s->clients) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct lc_shut_client *c = &s->clients[i];
		struct ll_ws_msg msg = {0};
		int status = 0, err;

		err = ll_ws_client_connect(&c->conn, host, port, &opts, &status);
		if (err) {
			snprintf(why, why_size, "client %ld could not connect: %s", i,
				 ll_strerror(err));
			goto out_release;
		}
		s->n = i + 1;
		/* One echo: the server is serving this client before SIGTERM comes. */
		err = ll_ws_conn_send(c->conn, LL_WS_OP_TEXT, "hello", 5);
		if (!err)
			err = ll_ws_conn_recv(c->conn, &msg, timeout_ms);
		ll_ws_msg_free(&msg);
		if (err) {
			snprintf(why, why_size, "client %ld got no echo: %s", i, ll_strerror(err));
			goto out_release;
		}
		c->timeout_ms = timeout_ms;
		if (pthread_create(&c->reader, NULL, reader_main, c) != 0) {
			snprintf(why, why_size, "cannot start a reader thread");
			goto out_release;
		}
		c->started = true;
	}
	return 0;

out_release:
	release(s);
	return -1;
}

void lc_shut_collect(struct lc_shut *s, struct lc_shut_round *r)
{
	long i;

	r->held = s->n;
	r->got_1001 = 0;
	r->other_close = 0;
	r->first_code = 0;
	for (i = 0; i < s->n; i++) {
		struct lc_shut_client *c = &s->clients[i];

		if (c->started)
			pthread_join(c->reader, NULL);
		c->started = false;
		if (c->code == LL_WS_CLOSE_GOING_AWAY) {
			r->got_1001++;
		} else {
			r->other_close++;
			if (!r->first_code)
				r->first_code = c->code;
		}
	}
	release(s);
}

/* Growth of v against the clients held, as judge.c demands of a leak. */
static bool grows(double base, double at_n, double at_2n, long n, double min_per_client,
		  double *per_client, double *ratio)
{
	double g1 = at_n - base, g2 = at_2n - base;

	*per_client = n > 0 ? g2 / (2.0 * (double)n) : 0;
	*ratio = g1 > 0 ? g2 / g1 : 0;
	return n > 0 && g1 / (double)n >= min_per_client && *ratio >= LC_RATIO_MIN &&
	       *ratio <= LC_RATIO_MAX;
}

void lc_shut_judge(enum lc_variant variant, bool memcheck, bool want_lost,
		   const struct lc_shut_round r[LC_NPOINTS], long exit_limit_ms, long errors,
		   const char *first_error, long fds_open, const char *behaviour_failure,
		   struct lc_verdict *v)
{
	long n = r[LC_P_N].held;
	char why[384] = "";
	double pc, ratio, lpc = 0, lratio = 0;
	bool unclosed_grows, lost_grows = true;
	int i;

	memset(v, 0, sizeof(*v));
	unclosed_grows =
	    grows((double)r[LC_P_BASE].other_close, (double)r[LC_P_N].other_close,
		  (double)r[LC_P_2N].other_close, n, LC_MIN_PER_CLIENT_COUNT, &pc, &ratio);
	if (memcheck)
		lost_grows = grows((double)r[LC_P_BASE].lost, (double)r[LC_P_N].lost,
				   (double)r[LC_P_2N].lost, n, 1.0, &lpc, &lratio);

	if (variant == LC_LEAK) {
		if (!unclosed_grows)
			lc_appendf(
			    why, sizeof(why),
			    "clients without 1001 do not grow with the clients held (%ld, %ld, "
			    "%ld)",
			    r[0].other_close, r[1].other_close, r[2].other_close);
		if (memcheck && want_lost && !lost_grows)
			lc_appendf(why, sizeof(why),
				   "%slost bytes at exit do not grow with the clients held (%lld, "
				   "%lld, %lld)",
				   why[0] ? "; " : "", r[0].lost, r[1].lost, r[2].lost);
		if (errors > 0)
			lc_appendf(why, sizeof(why), "%smemcheck found %ld error(s), e.g. %s",
				   why[0] ? "; " : "", errors, first_error);
		if (behaviour_failure)
			lc_appendf(why, sizeof(why), "%sthe feature is broken: %s",
				   why[0] ? "; " : "", behaviour_failure);
		if (why[0]) {
			v->exit_code = 1;
			snprintf(v->line, sizeof(v->line), "leak NOT reproduced: %s", why);
			return;
		}
		v->passed = true;
		snprintf(v->line, sizeof(v->line),
			 "leak reproduced: clients without 1001 %+.2f/client, scales %.1fx", pc,
			 ratio);
		if (memcheck && want_lost)
			lc_appendf(v->line, sizeof(v->line),
				   "; lost at exit %+.0f bytes/client, "
				   "scales %.1fx",
				   lpc, lratio);
		return;
	}

	for (i = LC_P_N; i < LC_NPOINTS; i++) {
		if (r[i].other_close > 0)
			lc_appendf(why, sizeof(why),
				   "%s%ld of %ld clients got no 1001 before the end (e.g. %u)",
				   why[0] ? "; " : "", r[i].other_close, r[i].held,
				   r[i].first_code);
	}
	for (i = 0; i < LC_NPOINTS; i++) {
		if (r[i].exit_ms > exit_limit_ms) {
			lc_appendf(why, sizeof(why),
				   "%sexit %ld ms after SIGTERM with %ld held (limit %ld)",
				   why[0] ? "; " : "", r[i].exit_ms, r[i].held, exit_limit_ms);
			break;
		}
	}
	for (i = 0; memcheck && i < LC_NPOINTS; i++) {
		if (r[i].lost > 0) {
			lc_appendf(why, sizeof(why),
				   "%smemcheck: %lld bytes lost at exit with %ld held",
				   why[0] ? "; " : "", r[i].lost, r[i].held);
			break;
		}
	}
	if (errors > 0)
		lc_appendf(why, sizeof(why), "%smemcheck found %ld error(s), e.g. %s",
			   why[0] ? "; " : "", errors, first_error);
	if (fds_open > 0)
		lc_appendf(why, sizeof(why), "%s%ld fd(s) left open at exit", why[0] ? "; " : "",
			   fds_open);
	if (behaviour_failure)
		lc_appendf(why, sizeof(why), "%sthe feature is broken: %s", why[0] ? "; " : "",
			   behaviour_failure);
	if (why[0]) {
		v->exit_code = 1;
		snprintf(v->line, sizeof(v->line), "NOT clean: %s", why);
		return;
	}
	v->passed = true;
	snprintf(v->line, sizeof(v->line),
		 "clean: every client got 1001, exit within %ld ms of SIGTERM%s", exit_limit_ms,
		 memcheck ? ", memcheck 0 errors 0 lost, no fd left open" : "");
}

void lc_shut_rows(enum lc_variant variant, unsigned expect, long load,
		  const struct lc_shut_round r[LC_NPOINTS],
		  const struct lc_point points[LC_NPOINTS], struct lc_verdict *verdict)
{
	int k;

	/*
	 * The table's rows (and the tour's): threads are those still running
	 * at exit, as their clients saw it (a client without 1001 is one), the
	 * signal judged; fds are counted while the clients were held, for
	 * information; lost bytes are memcheck's at exit.
	 */
	for (k = 0; k < LC_NSIGNALS; k++) {
		struct lc_signal_result *sr = &verdict->sig[k];
		double v[LC_NPOINTS];
		int p;

		/* A start that did not run (held -1: beside a native check) has no values. */
		for (p = 0; p < LC_NPOINTS; p++)
			v[p] = r[p].held < 0	 ? -1
			       : k == LC_THREADS ? (double)r[p].other_close
			       : k == LC_FDS	 ? (double)points[p].fds
			       : k == LC_LOST	 ? (double)r[p].lost
						 : -1;
		sr->measured = v[0] >= 0 && v[1] >= 0 && v[2] >= 0;
		sr->base = v[0];
		sr->at_n = v[1];
		sr->at_2n = v[2];
		sr->per_client = load > 0 ? (v[2] - v[0]) / (2.0 * (double)load) : 0;
		sr->per_client_n = load > 0 ? (v[1] - v[0]) / (double)load : 0;
		sr->ratio = v[1] > v[0] ? (v[2] - v[0]) / (v[1] - v[0]) : 0;
		sr->status = LC_ST_NA;
		if (k == LC_THREADS && variant == LC_FIXED && sr->measured)
			sr->status = v[1] + v[2] > 0 ? LC_ST_GROWS : LC_ST_FLAT;
		if (k == LC_THREADS && variant == LC_LEAK && (expect & LC_SIG_BIT(LC_THREADS))) {
			sr->expected = true;
			sr->status = sr->per_client_n >= LC_MIN_PER_CLIENT_COUNT &&
					     sr->ratio >= LC_RATIO_MIN && sr->ratio <= LC_RATIO_MAX
					 ? LC_ST_LEAKS
					 : LC_ST_MISSING;
		}
		if (k == LC_LOST && sr->measured && variant == LC_FIXED)
			sr->status = v[0] + v[1] + v[2] > 0 ? LC_ST_GROWS : LC_ST_FLAT;
		if (k == LC_LOST && sr->measured && variant == LC_LEAK &&
		    (expect & LC_SIG_BIT(LC_LOST))) {
			sr->expected = true;
			sr->status = verdict->passed ? LC_ST_LEAKS : LC_ST_MISSING;
		}
	}
}
