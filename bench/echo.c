/*
 * echo.c - closed-loop echo load against our echo-server and other
 * servers, and the memory each keeps per idle connection.
 *
 * The client is the library's own (ll_ws_client_connect, ll_ws_conn_send,
 * ll_ws_conn_recv), the same for every server, so its cost is a constant
 * that the ratios cancel. Each connection keeps exactly one message in
 * flight: send, wait for the echo, send again. ll_ws_conn_recv blocks, so
 * a client thread drives its connections round-robin: send one message on
 * each, then collect the echoes in the same order. Up to 100 connections
 * get one thread each (the round trip of one connection is then not held
 * up by another's); beyond that 100 threads share them (10 each at 1000),
 * so the client does not swamp two cores with a thousand threads of its
 * own and every server sees the same offered load: M messages in flight.
 *
 * Each server runs alone, started fresh for each round, with nothing else
 * of ours running; CPU is its utime + stime from /proc/PID/stat over the
 * measured window, memory its VmRSS from /proc/PID/status.
 */
#include "bench.h"

#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PEER_OURS, PEER_LWS, PEER_NODE, PEER_PYTHON, NPEERS };
static const char *const peer_keys[NPEERS] = {"ours", "lws", "node", "python"};
static const char *const peer_labels[NPEERS] = {"echo-server", "libwebsockets", "node ws",
						"python websockets"};

/* A client thread never drives more than this many connections. */
#define MAX_WORKERS 100
/* Latency samples kept per cell, all workers together (4 bytes each). */
#define MAX_SAMPLES (1u << 21)

struct server {
	pid_t pid;
	unsigned port;
};

struct result {
	bool done;
	double msgs_per_s, p50_us, p99_us, cpu_s_per_m;
	uint64_t msgs;
	int errors;
};

struct cell {
	atomic_int phase; /* 0 warm-up, 1 measuring, 2 stop */
	const uint8_t *payload;
	size_t len;
};

struct worker {
	pthread_t tid;
	struct cell *cell;
	struct ll_ws_conn **conns;
	int n;
	uint64_t *sent_at;
	uint32_t *lat;
	size_t nlat, cap;
	uint64_t msgs;
	int errors;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool in_list(const char *list, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == klen && strncmp(p, key, len) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

/* utime + stime of the whole process in seconds, or -1. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The name in parentheses may hold spaces; fields are counted after its ')'. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS in bytes, or -1. */
static long long proc_rss(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static void stop_server(struct server *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	/* Bounded: a server that ignores SIGTERM for 5 s is killed. */
	for (int i = 0; i < 500; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return;
		}
		sleep_ms(10);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = -1;
}

/*
 * Starts a server and waits (at most 15 s) for its ready line,
 * "leaklab: listening on HOST:PORT", which every peer prints. Its stdout
 * goes to an unlinked temporary file rather than a pipe, so a server that
 * writes more later can never block on a pipe nobody reads.
 */
static int start_server(char *const argv[], bool verbose, struct server *s)
{
	char path[] = "/tmp/leaklab-bench-XXXXXX";
	int fd = mkstemp(path);
	int rc = -1;

	s->pid = -1;
	if (fd < 0)
		return -1;
	unlink(path);
	s->pid = fork();
	if (s->pid < 0)
		goto out_close_fd;
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fd, STDOUT_FILENO);
		if (!verbose && null >= 0)
			dup2(null, STDERR_FILENO);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 1500; i++) {
		char buf[4096];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		const char *line, *colon, *nl;
		int status;

		if (n > 0) {
			buf[n] = 0;
			line = strstr(buf, "listening on ");
			nl = line ? strchr(line, '\n') : NULL;
			if (nl) {
				colon = line;
				for (const char *p = line; p < nl; p++)
					if (*p == ':')
						colon = p;
				s->port = (unsigned)strtoul(colon + 1, NULL, 10);
				rc = s->port ? 0 : -1;
				break;
			}
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			break;
		}
		sleep_ms(10);
	}
	if (rc != 0)
		stop_server(s);
out_close_fd:
	close(fd);
	return rc;
}

static void close_all(struct ll_ws_conn **conns, int n)
{
	/* A close frame first, so that every server sees a clean end, not a reset. */
	for (int i = 0; i < n; i++) {
		if (!conns[i])
			continue;
		ll_ws_conn_close_start(conns[i], LL_WS_CLOSE_NORMAL, NULL);
		ll_ws_conn_destroy(conns[i]);
		conns[i] = NULL;
	}
}

static int connect_all(unsigned port, struct ll_ws_conn **conns, int n)
{
	struct ll_ws_client_opts copts = {.timeout_ms = 10000};

	for (int i = 0; i < n; i++) {
		int status = 0;
		int err = ll_ws_client_connect(&conns[i], "127.0.0.1", port, &copts, &status);

		if (err) {
			fprintf(stderr, "leaklab-bench: connection %d of %d: %s (HTTP %d)\n", i + 1,
				n, ll_strerror(err), status);
			conns[i] = NULL;
			close_all(conns, i);
			return -1;
		}
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cell *c = w->cell;

	while (atomic_load(&c->phase) != 2) {
		for (int i = 0; i < w->n; i++) {
			w->sent_at[i] = bench_now_ns();
			if (ll_ws_conn_send(w->conns[i], LL_WS_OP_BINARY, c->payload, c->len) !=
			    0) {
				w->errors++;
				return NULL;
			}
		}
		for (int i = 0; i < w->n; i++) {
			struct ll_ws_msg msg;
			uint64_t t;

			/* Generous: only a server that lost the message takes this long. */
			if (ll_ws_conn_recv(w->conns[i], &msg, 10000) != 0) {
				w->errors++;
				return NULL;
			}
			t = bench_now_ns() - w->sent_at[i];
			if (msg.len != c->len || memcmp(msg.data, c->payload, c->len) != 0)
				w->errors++;
			ll_ws_msg_free(&msg);
			if (atomic_load(&c->phase) == 1) {
				w->msgs++;
				if (w->nlat < w->cap)
					w->lat[w->nlat++] =
					    t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
			}
		}
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Runs one cell on n open connections; fills r. Returns 0, or -1 if it could not run. */
static int run_cell(const struct bench_opts *o, const struct server *s, struct ll_ws_conn **conns,
		    int n, size_t len, struct result *r)
{
	int nworkers = n < MAX_WORKERS ? n : MAX_WORKERS;
	struct worker *w = calloc((size_t)nworkers, sizeof(*w));
	uint64_t *sent_at = calloc((size_t)n, sizeof(*sent_at));
	uint32_t *lat = malloc((size_t)MAX_SAMPLES * sizeof(*lat));
	uint8_t *payload = malloc(len);
	struct cell c = {.payload = payload, .len = len};
	size_t cap = MAX_SAMPLES / (size_t)nworkers, nlat = 0;
	double cpu0 = -1, cpu1 = -1;
	uint64_t t0 = 0, t1 = 1;
	int started = 0, first = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	if (!w || !sent_at || !lat || !payload)
		goto out_free;
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	atomic_init(&c.phase, 0);
	for (int i = 0; i < nworkers; i++) {
		int k = n / nworkers + (i < n % nworkers);

		w[i].cell = &c;
		w[i].conns = conns + first;
		w[i].sent_at = sent_at + first;
		w[i].n = k;
		w[i].lat = lat + (size_t)i * cap;
		w[i].cap = cap;
		first += k;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	if (started == nworkers) {
		/* A warm-up lets every connection reach its steady state before counting. */
		sleep_ms(o->cell_ms / 10 > 0 ? o->cell_ms / 10 : 1);
		cpu0 = proc_cpu_s(s->pid);
		t0 = bench_now_ns();
		atomic_store(&c.phase, 1);
		sleep_ms(o->cell_ms);
		atomic_store(&c.phase, 2);
		t1 = bench_now_ns();
		cpu1 = proc_cpu_s(s->pid);
	}
	atomic_store(&c.phase, 2);
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		r->msgs += w[i].msgs;
		r->errors += w[i].errors;
		memmove(lat + nlat, w[i].lat, w[i].nlat * sizeof(*lat));
		nlat += w[i].nlat;
	}
	if (started != nworkers) {
		fprintf(stderr, "leaklab-bench: could not start %d client threads\n", nworkers);
		goto out_free;
	}
	r->msgs_per_s = (double)r->msgs * 1e9 / (double)(t1 - t0);
	if (nlat) {
		qsort(lat, nlat, sizeof(*lat), cmp_u32);
		r->p50_us = lat[nlat / 2] / 1e3;
		r->p99_us = lat[(size_t)((double)nlat * 0.99)] / 1e3;
	}
	r->cpu_s_per_m =
	    r->msgs && cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) * 1e6 / (double)r->msgs : -1;
	r->done = true;
	rc = 0;
out_free:
	free(payload);
	free(lat);
	free(sent_at);
	free(w);
	return rc;
}

/* One echo on each connection, so every server has set up what a used connection holds. */
static int touch_all(struct ll_ws_conn **conns, int n)
{
	static const uint8_t hello[16] = "leaklab-bench...";

	for (int i = 0; i < n; i++) {
		struct ll_ws_msg msg;
		int err = ll_ws_conn_send(conns[i], LL_WS_OP_BINARY, hello, sizeof(hello));

		if (!err)
			err = ll_ws_conn_recv(conns[i], &msg, 10000);
		if (err) {
			fprintf(stderr, "leaklab-bench: idle connection %d: %s\n", i + 1,
				ll_strerror(err));
			return -1;
		}
		ll_ws_msg_free(&msg);
	}
	return 0;
}

/* RSS once it holds still (two readings 100 ms apart within 1%), at most 2 s. */
static long long settled_rss(pid_t pid)
{
	long long prev = proc_rss(pid), cur = prev;

	for (int i = 0; i < 20; i++) {
		sleep_ms(100);
		cur = proc_rss(pid);
		if (cur < 0 || llabs(cur - prev) * 100 <= prev)
			break;
		prev = cur;
	}
	return cur;
}

struct peer_run {
	struct result res[8][8]; /* [size][conns] */
	/* VmRSS before, with the connections fresh, and once each echoed one message. */
	double rss_before, rss_fresh, rss_after;
	double fresh_per_conn, rss_per_conn;
	bool mem_done;
	const char *skipped;
};

static void build_argv(const struct bench_opts *o, int p, char *argv[4], char *script, size_t len)
{
	argv[1] = argv[2] = argv[3] = NULL;
	switch (p) {
	case PEER_OURS: argv[0] = (char *)o->server; break;
	case PEER_LWS: argv[0] = (char *)o->lws; break;
	case PEER_NODE:
		snprintf(script, len, "%s/ws-echo.js", o->peers_dir);
		argv[0] = (char *)o->node;
		argv[1] = script;
		break;
	default:
		snprintf(script, len, "%s/py-echo.py", o->peers_dir);
		argv[0] = (char *)o->python;
		argv[1] = script;
		break;
	}
}

/*
 * One round for one peer, on a fresh server of its own: the memory
 * measurement with nidle connections (none: skip it), then every cell.
 * Returns -1 if the peer failed.
 */
static int run_peer(const struct bench_opts *o, int p, int nidle, struct peer_run *pr)
{
	char script[PATH_MAX], *argv[4];
	struct ll_ws_conn **idle = NULL;
	struct server s;
	int rc = -1;

	build_argv(o, p, argv, script, sizeof(script));
	if (start_server(argv, o->verbose, &s) != 0) {
		pr->skipped = "did not start (run with --verbose to see why)";
		return -1;
	}
	if (nidle > 0) {
		struct ll_ws_conn *first;

		/*
		 * One connection first, used once and closed: what a server sets
		 * up once, for its first client (code paged in, OpenSSL's
		 * provider tables in ours, the handshake compiled in node), is
		 * not a cost per connection. One, not more: the thread stacks a
		 * thread-per-connection server caches would come back resident.
		 */
		if (connect_all(s.port, &first, 1) != 0)
			goto out_stop;
		if (touch_all(&first, 1) != 0) {
			close_all(&first, 1);
			goto out_stop;
		}
		close_all(&first, 1);
		/*
		 * Two kinds of idle connection, on the same connections: fresh
		 * (handshake done, nothing sent yet) and used (one echo each).
		 */
		idle = calloc((size_t)nidle, sizeof(*idle));
		pr->rss_before = (double)settled_rss(s.pid);
		if (!idle || connect_all(s.port, idle, nidle) != 0)
			goto out_stop;
		pr->rss_fresh = (double)settled_rss(s.pid);
		pr->fresh_per_conn = (pr->rss_fresh - pr->rss_before) / nidle;
		if (touch_all(idle, nidle) != 0)
			goto out_stop;
		pr->rss_after = (double)settled_rss(s.pid);
		pr->rss_per_conn = (pr->rss_after - pr->rss_before) / nidle;
		pr->mem_done = true;
	}
	/*
	 * The cells with as many connections as the idle set reuse it, before
	 * it is closed; every other cell gets connections of its own, so no
	 * cell runs beside a thousand idle connections it did not ask for.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (int ci = 0; ci < o->nconns; ci++) {
			int m = o->conns[ci];
			bool reuse = idle && m == nidle;
			struct ll_ws_conn **conns = reuse ? idle : NULL;

			if (reuse != (pass == 0))
				continue;
			if (!reuse) {
				conns = calloc((size_t)m, sizeof(*conns));
				if (!conns || connect_all(s.port, conns, m) != 0) {
					free(conns);
					goto out_stop;
				}
			}
			for (int si = 0; si < o->nsizes; si++) {
				struct result *r = &pr->res[si][ci];

				if (run_cell(o, &s, conns, m, o->sizes[si], r) != 0 || r->errors) {
					fprintf(stderr,
						"leaklab-bench: %s: %d conns, %zu B: %d errors\n",
						peer_labels[p], m, o->sizes[si], r->errors);
					if (!reuse) {
						close_all(conns, m);
						free(conns);
					}
					goto out_stop;
				}
			}
			if (!reuse) {
				close_all(conns, m);
				free(conns);
			}
		}
		if (idle) {
			close_all(idle, nidle);
			free(idle);
			idle = NULL;
		}
	}
	rc = 0;
out_stop:
	if (idle) {
		close_all(idle, nidle);
		free(idle);
	}
	stop_server(&s);
	return rc;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	/*
	 * A thousand connections need a thousand fds here, and as many in the server (inherited).
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* One cell of one peer over every round that measured it (n of them). */
struct summary {
	double msgs_per_s, p50_us, p99_us, cpu_s_per_m;
	double ratio, ratio_lo, ratio_hi;
	int n;
	bool implausible; /* for --smoke: a round with no messages or p99 < p50 */
};

/*
 * The median of each figure, and the median, lowest and highest of the
 * peer's ratio to our server measured in the same round.
 */
static void summarise(const struct bench_opts *o, struct peer_run runs[][NPEERS], int p, int si,
		      int ci, struct summary *sm)
{
	double rate[BENCH_MAX_ROUNDS], p50[BENCH_MAX_ROUNDS], p99[BENCH_MAX_ROUNDS];
	double cpu[BENCH_MAX_ROUNDS], ratio[BENCH_MAX_ROUNDS];
	int nr = 0;

	memset(sm, 0, sizeof(*sm));
	for (int round = 0; round < o->rounds; round++) {
		const struct result *r = &runs[round][p].res[si][ci];
		const struct result *ours = &runs[round][PEER_OURS].res[si][ci];

		if (!r->done)
			continue;
		if (r->msgs == 0 || r->p50_us <= 0 || r->p99_us < r->p50_us)
			sm->implausible = true;
		rate[sm->n] = r->msgs_per_s;
		p50[sm->n] = r->p50_us;
		p99[sm->n] = r->p99_us;
		cpu[sm->n] = r->cpu_s_per_m;
		sm->n++;
		if (ours->done && ours->msgs_per_s > 0)
			ratio[nr++] = r->msgs_per_s / ours->msgs_per_s;
	}
	if (sm->n == 0)
		return;
	sm->msgs_per_s = bench_median(rate, sm->n);
	sm->p50_us = bench_median(p50, sm->n);
	sm->p99_us = bench_median(p99, sm->n);
	sm->cpu_s_per_m = bench_median(cpu, sm->n);
	if (nr > 0) {
		sm->ratio = bench_median(ratio, nr); /* sorted now */
		sm->ratio_lo = ratio[0];
		sm->ratio_hi = ratio[nr - 1];
	}
}

int bench_echo(const struct bench_opts *o, FILE *csv)
{
	static struct peer_run runs[BENCH_MAX_ROUNDS][NPEERS];
	const char *peers = o->peers, *skipped[NPEERS] = {0};
	int failed = 0;

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (o->smoke && strcmp(peers, "ours,lws,node,python") == 0)
		peers = "ours"; /* the smoke test must not depend on other servers */
	memset(runs, 0, sizeof(runs));
	/*
	 * Rounds, not one long run per peer: every peer takes its turn in each
	 * round, so a burst of load from elsewhere lands on one round of
	 * several peers rather than on every cell of one of them, and the
	 * ratio of each round compares servers measured seconds apart.
	 */
	for (int round = 0; round < o->rounds; round++) {
		for (int p = 0; p < NPEERS; p++) {
			struct peer_run *pr = &runs[round][p];

			if (!in_list(peers, peer_keys[p]) || skipped[p])
				continue;
			if (p == PEER_LWS && !o->lws) {
				skipped[p] =
				    "not built: libwebsockets-dev was not found by pkg-config";
				continue;
			}
			fprintf(stderr, "leaklab-bench: echo round %d of %d against %s...\n",
				round + 1, o->rounds, peer_labels[p]);
			/* Memory is measured once, in the first round. */
			if (run_peer(o, p, round == 0 ? o->idle_conns : 0, pr) != 0) {
				skipped[p] =
				    pr->skipped ? pr->skipped : "failed part-way (see above)";
				if (p == PEER_OURS)
					failed = 1;
			}
		}
	}

	printf("\necho: closed loop over loopback, one %s message in flight per connection, "
	       "%d ms per cell;\n"
	       "median of %d round%s; the ratio to echo-server is taken within each round\n",
	       "binary", o->cell_ms, o->rounds, o->rounds == 1 ? "" : "s");
	printf("%-8s %5s  %-18s %10s %6s %11s %9s %9s %9s\n", "payload", "conns", "server",
	       "msgs/s", "ratio", "range", "p50 us", "p99 us", "cpu s/M");
	for (int si = 0; si < o->nsizes; si++) {
		for (int ci = 0; ci < o->nconns; ci++) {
			char name[32];

			bench_size_name(name, sizeof(name), o->sizes[si]);
			for (int p = 0; p < NPEERS; p++) {
				size_t sz = o->sizes[si];
				int m = o->conns[ci];
				struct summary sm;
				char range[32] = "-";

				summarise(o, runs, p, si, ci, &sm);
				if (sm.n == 0)
					continue;
				if (p != PEER_OURS && sm.ratio_hi > sm.ratio_lo)
					snprintf(range, sizeof(range), "%.2f-%.2f", sm.ratio_lo,
						 sm.ratio_hi);
				printf("%-8s %5d  %-18s %10.0f %5.2fx %11s %9.1f %9.1f %9.2f\n",
				       name, m, peer_labels[p], sm.msgs_per_s, sm.ratio, range,
				       sm.p50_us, sm.p99_us, sm.cpu_s_per_m);
				bench_csv(csv, "echo", peer_keys[p], sz, m, "msgs_per_s",
					  sm.msgs_per_s, "msg/s");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "ratio_to_ours",
					  sm.ratio, "x");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "ratio_to_ours_min",
					  sm.ratio_lo, "x");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "ratio_to_ours_max",
					  sm.ratio_hi, "x");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "p50_rtt", sm.p50_us,
					  "us");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "p99_rtt", sm.p99_us,
					  "us");
				bench_csv(csv, "echo", peer_keys[p], sz, m, "cpu_per_million",
					  sm.cpu_s_per_m, "s");
				if (o->smoke && sm.implausible)
					failed = 1;
			}
		}
	}
	if (o->idle_conns > 0) {
		printf("\nmemory: VmRSS with %d idle connections minus before: fresh (handshake "
		       "done, nothing sent),\nthen used (one 16 B echo each); per connection, "
		       "and the ratio to node ws's\n",
		       o->idle_conns);
		printf("%-18s %10s %10s %10s %10s %6s %10s %6s\n", "server", "before", "fresh",
		       "used", "fresh/conn", "ratio", "used/conn", "ratio");
		for (int p = 0; p < NPEERS; p++) {
			const struct peer_run *pr = &runs[0][p];
			const struct peer_run *node = &runs[0][PEER_NODE];
			char rf[16] = "-", ru[16] = "-";

			if (!pr->mem_done)
				continue;
			if (node->mem_done && node->fresh_per_conn > 0 && node->rss_per_conn > 0) {
				snprintf(rf, sizeof(rf), "%.2fx",
					 pr->fresh_per_conn / node->fresh_per_conn);
				snprintf(ru, sizeof(ru), "%.2fx",
					 pr->rss_per_conn / node->rss_per_conn);
			}
			printf("%-18s %6.1f MiB %6.1f MiB %6.1f MiB %6.1f KiB %6s %6.1f KiB %6s\n",
			       peer_labels[p], pr->rss_before / 1048576, pr->rss_fresh / 1048576,
			       pr->rss_after / 1048576, pr->fresh_per_conn / 1024, rf,
			       pr->rss_per_conn / 1024, ru);
			bench_csv(csv, "memory", peer_keys[p], 0, o->idle_conns,
				  "rss_per_conn_fresh", pr->fresh_per_conn, "B");
			bench_csv(csv, "memory", peer_keys[p], 0, o->idle_conns, "rss_per_conn",
				  pr->rss_per_conn, "B");
			bench_csv(csv, "memory", peer_keys[p], 0, o->idle_conns, "rss_before",
				  pr->rss_before, "B");
			if (o->smoke && (pr->rss_after <= 0 || pr->rss_fresh <= 0))
				failed = 1;
		}
		if (o->smoke && !runs[0][PEER_OURS].mem_done)
			failed = 1;
	}
	for (int p = 0; p < NPEERS; p++)
		if (in_list(peers, peer_keys[p]) && skipped[p])
			printf("skipped %s: %s\n", peer_labels[p], skipped[p]);
	return failed;
}
