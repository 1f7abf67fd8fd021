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
 * (leaklab_threads, leaklab_open_fds, leaklab_resident_bytes,
 * leaklab_heap_bytes, each with HELP and TYPE lines) into buf, NUL
 * terminated. Returns the length written, or LL_ETOOBIG if buf is too small,
 * or LL_EIO.
 */
int ll_probe_format_metrics(char *buf, size_t size);

#endif
