/*
 * probe.h - the harness pointed at anyone's WebSocket server: start it in
 * a process group of its own with a free port, wait until the port
 * upgrades, drive the kit's scenarios at N, 2N and 4N clients, measure
 * the whole group from /proc (and the runtime's own count, and memcheck's
 * heap for a native program), release every client, measure again, stop
 * the group and leave nothing running.
 *
 * Names carry pb_ (the probe), beside leaklab-check's lc_ parts it links.
 */
#ifndef LEAKLAB_PROBE_H
#define LEAKLAB_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "drive/scenario.h"
#include "fit.h"
#include "measure/runtime.h"

#define PB_MAX_SCENARIOS 8

/* The signals the probe reads. */
enum pb_signal {
	PB_PROCS,   /* processes in the server's group, zombies included */
	PB_THREADS, /* their threads (/proc/PID/status Threads:) */
	PB_FDS,	    /* their open fds (/proc/PID/fd) */
	PB_RSS,	    /* their resident memory, KiB (VmRSS:) */
	PB_RUNTIME, /* the runtime's own count (--runtime) */
	PB_HEAP,    /* memcheck's bytes in use (--memcheck) */
	PB_LOST,    /* memcheck's bytes lost while running (--memcheck) */
	PB_NSIGNALS,
};

/*
 * The load points: the baseline, then N, 2N and 4N clients of each
 * scenario in all. Each is sampled twice: while that step's clients are
 * still connected (held), and once every one of them is gone.
 */
enum { PB_P_BASE, PB_P_N, PB_P_2N, PB_P_4N, PB_NPOINTS };

struct pb_config {
	char **argv;		 /* the server's command, {port} not yet replaced */
	const char *host;	 /* where it listens: 127.0.0.1 */
	unsigned port;		 /* 0: a free port */
	struct lc_client client; /* path and subprotocol of every client */
	enum lc_scenario_kind scenarios[PB_MAX_SCENARIOS];
	int nscenarios;
	long load;			/* N: clients of each scenario */
	long warmup;			/* clients of each scenario before the baseline */
	int concurrency;		/* clients at once */
	int timeout_ms;			/* every client operation */
	int start_ms;			/* until the port upgrades */
	int stop_ms;			/* from SIGTERM to exit */
	int window_ms;			/* counts must hold still this long to be settled */
	struct lc_runtime_spec runtime; /* name[0] == 0: none */
	bool memcheck;
	bool judge_rss; /* resident memory judged too, not only shown */
	const char *valgrind, *vgdb, *suppressions;
	const char *logs; /* where the run's logs go (a folder it makes) */
	bool quiet;
};

struct pb_sample {
	long load;
	double v[PB_NSIGNALS]; /* -1: not measured */
	bool settled;
	int tries;
	long settle_ms;
};

struct pb_result {
	struct pb_sample pts[PB_NPOINTS];  /* every client gone (the judged line) */
	struct pb_sample held[PB_NPOINTS]; /* the step's clients connected; [0] is the baseline */
	struct pb_judged sig[PB_NSIGNALS];
	bool measured[PB_NSIGNALS];
	bool info[PB_NSIGNALS]; /* shown, with its verdict, but not judged (rss unless --judge-rss)
				 */
	unsigned port;
	char command[512]; /* the command as run, {port} replaced */
	char logdir[512];  /* the run's logs */
	long clients_ok, clients_failed, clients_refused;
	char client_error[256];
	/* How the server ended: its wait status, and what the stop took. */
	bool killed;	/* it ignored SIGTERM for stop_ms */
	long leftovers; /* processes of its group or forked from it killed after it stopped */
	char exit_text[128];
	/* memcheck at exit */
	bool mc_read;
	long mc_errors;
	long long mc_lost; /* definitely + indirectly + possibly lost at exit */
	char mc_first_error[256];
	/* The verdict. */
	int exit_code;	 /* 0 clean, 1 grows with the load, 2 no verdict */
	char error[512]; /* why there is no verdict */
	char line[512];	 /* the verdict line */
	char notes[4][256];
	int nnotes;
};

/*
 * Runs one probe. Everything the server started is gone when it returns,
 * in every outcome. Fills *res (zeroed first). Returns the exit code
 * (also in res->exit_code).
 */
int pb_run(const struct pb_config *cfg, struct pb_result *res);

/*
 * Removes the run's log folder (kept when a run is not clean, for its
 * server.log and memcheck's files) and clears res->logdir. Best effort.
 */
void pb_remove_logs(struct pb_result *res);

const char *pb_signal_name(const struct pb_config *cfg, enum pb_signal s);

/* The growth per client that counts as growing, for signal s. */
double pb_min_slope(enum pb_signal s);

#endif
