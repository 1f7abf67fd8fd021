/*
 * steady.c - a steady load from the judge's own clients (steady.h).
 */
#include "drive/steady.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include <leaklab/error.h>

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until t (monotonic seconds), or less when a signal ends the load. */
static void sleep_until(double t)
{
	double left = t - now_s();
	struct timespec ts;

	if (left <= 0 || stopping)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void json_error(FILE *out, const char *s)
{
	if (!s[0]) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	fputc('"', out);
}

static void sample(FILE *out, double t, const struct lc_drive_result *res, bool done)
{
	fprintf(out, "{\"t\": %.2f, \"served\": %ld, \"failed\": %ld, \"connect_failed\": %ld, ", t,
		res->ok, res->failed, res->connect_failed);
	fputs("\"last_error\": ", out);
	json_error(out, res->first_error);
	fprintf(out, "%s}\n", done ? ", \"done\": true" : "");
	fflush(out);
}

int lc_steady_run(const struct lc_steady *st, FILE *out)
{
	struct sigaction sa;
	struct lc_drive_result res = {0};
	struct lc_held held;
	double t0 = now_s(), next_sample = t0 + 1.0, owed = 0;
	long started = 0;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (lc_held_init(&held))
		return 2;
	/*
	 * Each tick of a tenth of a second drives what the rate owes by then,
	 * as one batch of the scenario (its own threads, sc->concurrency at a
	 * time): the same lc_drive a check's steps call.
	 */
	while (!stopping) {
		double now = now_s();
		long batch;

		if (st->seconds > 0 && now - t0 >= st->seconds)
			break;
		if (st->clients > 0 && started >= st->clients)
			break;
		owed += st->rate / 10.0;
		batch = (long)owed;
		if (st->clients > 0 && batch > st->clients - started)
			batch = st->clients - started;
		if (batch > 0) {
			owed -= (double)batch;
			err = lc_drive(st->sc, batch, &held, NULL, NULL, 100, &res);
			if (err) {
				snprintf(res.first_error, sizeof(res.first_error),
					 "could not start client threads: %s", ll_strerror(err));
				sample(out, now_s() - t0, &res, true);
				lc_held_release(&held, st->sc, &res);
				lc_held_destroy(&held);
				return 2;
			}
			started += batch;
		}
		if (now_s() >= next_sample) {
			sample(out, now_s() - t0, &res, false);
			next_sample += 1.0;
		}
		sleep_until(now + 0.1);
	}
	lc_held_release(&held, st->sc, &res);
	lc_held_destroy(&held);
	sample(out, now_s() - t0, &res, true);
	return res.failed || res.connect_failed ? 1 : 0;
}
