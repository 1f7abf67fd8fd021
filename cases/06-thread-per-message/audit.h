/*
 * audit.h - the audit trail of case 06, shared by leak.c and fixed.c: a
 * slow audit sink, and a shipper thread per record (the leak's way; the
 * fix's bounded pool of workers is in fixed.c, as it is the lesson).
 *
 * The sink stands for a remote audit collector that has become slow: it
 * takes every record at once (so it counts as audited), but its
 * acknowledgement comes only after --sink-ms. A shipper waits for that
 * acknowledgement, at most SHIP_TIMEOUT_MS, or until it is cancelled (Go:
 * an HTTP POST with a context). The collector lives in this process so
 * that the case needs no second server; the waiting is the same as on a
 * socket.
 */
#ifndef LEAKLAB_CASE06_AUDIT_H
#define LEAKLAB_CASE06_AUDIT_H

#include <leaklab/cancel.h>
#include <leaklab/error.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The long timeout of one shipment: a generous one, as audit clients have. */
#define SHIP_TIMEOUT_MS 30000
/* Audit records longer than this are cut. */
#define RECORD_MAX 200

struct audit_sink {
	pthread_mutex_t lock;
	long received; /* records the collector has taken */
	long ack_ms;   /* how long its acknowledgement takes */
};

/* A sink whose acknowledgements take ack_ms. Returns 0 or LL_ENOMEM. */
static inline int audit_sink_init(struct audit_sink *s, long ack_ms)
{
	s->received = 0;
	s->ack_ms = ack_ms;
	return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : LL_ENOMEM;
}

static inline void audit_sink_destroy(struct audit_sink *s)
{
	pthread_mutex_destroy(&s->lock);
}

/* Records the collector has taken so far. */
static inline long audit_sink_received(struct audit_sink *s)
{
	long n;

	pthread_mutex_lock(&s->lock);
	n = s->received;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Ships one record: the collector takes it at once, then the call blocks
 * until its acknowledgement (ack_ms), the timeout, or until stop (may be
 * NULL) is cancelled. Returns 0 (acknowledged), LL_ETIMEDOUT,
 * LL_ECANCELED or LL_ENOMEM (not shipped). The record is copied by the
 * collector; the caller keeps its buffer.
 */
static inline int audit_ship(struct audit_sink *s, const char *record, size_t len,
			     struct ll_cancel *stop)
{
	long wait_ms = s->ack_ms < SHIP_TIMEOUT_MS ? s->ack_ms : SHIP_TIMEOUT_MS;
	struct ll_cancel *own = NULL;
	int err;

	(void)record;
	(void)len;
	if (!stop) {
		/* No caller's context (Go: context.Background()): only the timeout ends the wait.
		 */
		if (ll_cancel_create(&own, NULL, 0) != 0)
			return LL_ENOMEM;
		stop = own;
	}
	pthread_mutex_lock(&s->lock);
	s->received++;
	pthread_mutex_unlock(&s->lock);
	err = ll_cancel_wait(stop, (int)wait_ms);
	ll_cancel_destroy(own);
	if (err)
		return LL_ECANCELED;
	return s->ack_ms < SHIP_TIMEOUT_MS ? 0 : LL_ETIMEDOUT;
}

/* ----- one detached shipper per record (Go: go func() { ship(rec) }()) ----- */

struct audit_job {
	struct audit_sink *sink;
	size_t len;
	char record[RECORD_MAX];
};

static inline void *audit_job_main(void *arg)
{
	struct audit_job *job = arg;

	audit_ship(job->sink, job->record, job->len, NULL);
	free(job);
	return NULL;
}

/*
 * Starts a detached thread that ships a copy of the record and ends when
 * the shipment does. Never blocks. Returns 0, LL_ENOMEM, or LL_EIO if the
 * thread could not be started (the record is then not audited).
 */
static inline int audit_go(struct audit_sink *s, const void *data, size_t len)
{
	struct audit_job *job = malloc(sizeof(*job));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (!job)
		return LL_ENOMEM;
	job->sink = s;
	job->len = len < RECORD_MAX ? len : RECORD_MAX;
	memcpy(job->record, data, job->len);
	if (pthread_attr_init(&attr) != 0) {
		free(job);
		return LL_EIO;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, audit_job_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(job);
		return LL_EIO;
	}
	return 0;
}

#endif
