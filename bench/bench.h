/*
 * bench.h - what the parts of leaklab-bench share: the clock, the results
 * file, and the three measurements (codec, echo, memory).
 */
#ifndef LEAKLAB_BENCH_H
#define LEAKLAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bench_opts {
	const char *csv;  /* results file, one measurement a row */
	bool codec, echo; /* which parts run (memory runs with echo) */
	bool smoke;	  /* tiny run for CTest: check, do not measure */
	int codec_ms;	  /* one codec repetition */
	int reps;	  /* codec repetitions; the median is reported */
	int rounds;	  /* echo rounds, every peer in turn; medians reported */
	int cell_ms;	  /* one echo cell, after its warm-up */
	int conns[8];	  /* connection counts of the echo cells */
	int nconns;
	size_t sizes[8]; /* payload sizes of the echo cells */
	int nsizes;
	int idle_conns;	       /* connections of the memory measurement; 0 skips it */
	const char *peers;     /* comma list of peers to run */
	const char *server;    /* our echo-server */
	const char *lws;       /* lws-echo, or NULL when it was not built */
	const char *node;      /* node binary */
	const char *python;    /* python that sees python3-websockets */
	const char *peers_dir; /* bench/peers, where the node and python peers live */
	bool verbose;	       /* keep the peers' stderr */
};

#define BENCH_MAX_ROUNDS 9

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/*
 * Appends one row to the results file: section, peer, payload bytes,
 * connections, metric, value, unit. f NULL is a no-op.
 */
void bench_csv(FILE *f, const char *section, const char *peer, size_t payload, int conns,
	       const char *metric, double value, const char *unit);

/* The median of v[0..n-1], n > 0. Sorts v. */
double bench_median(double *v, int n);

/* "64 B", "4 KiB", "1 MiB" into buf. */
const char *bench_size_name(char *buf, size_t len, size_t bytes);

/*
 * The three measurements. Each prints its table on stdout, writes its rows
 * to csv, and returns 0, or 1 if something did not work (a peer that did
 * not start, an echo that came back wrong; in smoke mode, any implausible
 * number).
 */
int bench_codec(const struct bench_opts *o, FILE *csv);
int bench_echo(const struct bench_opts *o, FILE *csv);

#endif
