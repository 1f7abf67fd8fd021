/*
 * leaklab/probe.h - what a process holds right now: threads, open file
 * descriptors, resident memory and (for the calling process) heap in use.
 * The pprof/expvar of the kit. The harness reads the same /proc files from
 * outside; the probe lets a server serve its own view at GET /metrics so
 * the two can be compared.
 */
#ifndef LEAKLAB_PROBE_H
#define LEAKLAB_PROBE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The metric names GET /metrics serves, defined once: the harness's metrics
 * client, the alert rules (harness/pictures/prometheus/leaklab.rules.yml) and the
 * live dashboard read these exact strings. Counts carry no unit; memory is
 * in bytes, as Prometheus's naming rules ask (a base unit in the name).
 */
#define LL_PROBE_METRIC_THREADS	       "leaklab_threads"
#define LL_PROBE_METRIC_OPEN_FDS       "leaklab_open_fds"
#define LL_PROBE_METRIC_RESIDENT_BYTES "leaklab_resident_bytes"
#define LL_PROBE_METRIC_HEAP_BYTES     "leaklab_heap_bytes"
/*
 * Served by a WebSocket server (ws_server.h) after the four above: the
 * connections it holds, each with its thread, from accept until that
 * thread ends (the request for /metrics itself is one; with park_fresh,
 * a parked connection has none until it sends). Read before the
 * threads are, so a thread above the connections is one that no
 * connection accounts for.
 */
#define LL_PROBE_METRIC_CONNECTIONS "leaklab_connections"

struct ll_probe_sample {
	long threads;	 /* /proc/PID/status Threads: */
	long fds;	 /* entries of /proc/PID/fd */
	long rss_kib;	 /* /proc/PID/status VmRSS: */
	long heap_bytes; /* bytes in use by malloc (mallinfo2), or -1 for another process */
};

/*
 * Samples process pid (0 = the calling process). Returns 0, LL_EIO if the
 * process is gone or /proc cannot be read.
 */
int ll_probe_sample(pid_t pid, struct ll_probe_sample *out);

/*
 * Writes the calling process's sample in Prometheus text exposition format
 * 0.0.4 (the four process gauges above, each with HELP and TYPE lines,
 * as `promtool check metrics` asks) into buf, NUL terminated. Does not
 * block beyond reading /proc. Returns the length written, or LL_ETOOBIG if buf is too small,
 * or LL_EIO.
 */
int ll_probe_format_metrics(char *buf, size_t size);

#endif
