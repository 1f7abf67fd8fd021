/*
 * leaklab-bench - how fast the kit's library is, next to memcpy and next
 * to other WebSocket servers, measured on this machine now.
 *
 * It is a program run on demand, never a timed test: timings on a shared
 * machine are evidence to read, not a verdict to enforce. CTest runs it only
 * in --smoke mode, which checks that every number is measured and
 * plausible, not how large it is.
 */
#include "bench.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_PEERS_DIR
#define BENCH_PEERS_DIR "bench/peers"
#endif

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_csv(FILE *f, const char *section, const char *peer, size_t payload, int conns,
	       const char *metric, double value, const char *unit)
{
	if (!f)
		return;
	fprintf(f, "%s,%s,%zu,%d,%s,%.6g,%s\n", section, peer, payload, conns, metric, value, unit);
	fflush(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char *bench_size_name(char *buf, size_t len, size_t bytes)
{
	if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", bytes >> 20);
	else if (bytes >= 1024 && bytes % 1024 == 0)
		snprintf(buf, len, "%zu KiB", bytes >> 10);
	else
		snprintf(buf, len, "%zu B", bytes);
	return buf;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: leaklab-bench [options]\n"
	    "\n"
	    "Measures the codec against memcpy, then echo throughput, round trip, CPU\n"
	    "and memory per idle connection of our echo-server beside libwebsockets,\n"
	    "Node.js ws and python3-websockets. Prints tables; writes every number to a\n"
	    "CSV file (bench/plot.py draws it). The harness timings are a separate\n"
	    "script: bench/harness-times.sh.\n"
	    "\n"
	    "  --csv FILE         results file (default bench-results.csv; '-' for none)\n"
	    "  --only codec|echo  run one part\n"
	    "  --peers LIST       comma list of ours,lws,node,python (default: all)\n"
	    "  --conns LIST       echo connection counts (default 1,100,1000)\n"
	    "  --sizes LIST       echo payload bytes (default 16,4096)\n"
	    "  --cell-ms N        one echo cell, after a warm-up of N/10 (default 2000)\n"
	    "  --idle-conns N     connections for the memory measurement, fresh (handshake\n"
	    "                     done, nothing sent) then used (one echo each), after one\n"
	    "                     connection used and closed (default 1000; 0 skips)\n"
	    "  --codec-ms N       one codec repetition (default 300)\n"
	    "  --reps N           codec repetitions, median reported (default 5)\n"
	    "  --rounds N         echo rounds, every peer in turn; medians reported (default 3)\n"
	    "  --server PATH      our echo-server (default: next to this program)\n"
	    "  --lws PATH         the libwebsockets peer (default: lws-echo next to this program)\n"
	    "  --node PATH        node (default: node on PATH)\n"
	    "  --python PATH      a python that imports websockets (default /usr/bin/python3)\n"
	    "  --peers-dir DIR    where ws-echo.js and py-echo.py are\n"
	    "  --smoke            a short run that checks every number is measured (CTest)\n"
	    "  --verbose          show the peers' stderr\n");
}

static int parse_list(const char *s, long *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		long v = strtol(s, &end, 10);

		if (end == s || v <= 0 || v > (1L << 24))
			return -1;
		out[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n ? n : -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* path of a program next to this one, in a static buffer, or NULL. */
static const char *sibling(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	if ((size_t)snprintf(buf, len, "%s/%s", self, name) >= len)
		return NULL;
	return access(buf, X_OK) == 0 ? buf : NULL;
}

int main(int argc, char **argv)
{
	static char server_buf[PATH_MAX], lws_buf[PATH_MAX];
	static const struct option longopts[] = {
	    {"csv", required_argument, NULL, 'c'},
	    {"only", required_argument, NULL, 'o'},
	    {"peers", required_argument, NULL, 'p'},
	    {"conns", required_argument, NULL, 'n'},
	    {"sizes", required_argument, NULL, 's'},
	    {"cell-ms", required_argument, NULL, 'C'},
	    {"idle-conns", required_argument, NULL, 'i'},
	    {"codec-ms", required_argument, NULL, 'm'},
	    {"reps", required_argument, NULL, 'r'},
	    {"rounds", required_argument, NULL, 'R'},
	    {"server", required_argument, NULL, 'S'},
	    {"lws", required_argument, NULL, 'L'},
	    {"node", required_argument, NULL, 'N'},
	    {"python", required_argument, NULL, 'P'},
	    {"peers-dir", required_argument, NULL, 'D'},
	    {"smoke", no_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench_opts o = {
	    .csv = "bench-results.csv",
	    .codec = true,
	    .echo = true,
	    .codec_ms = 300,
	    .reps = 5,
	    .rounds = 3,
	    .cell_ms = 2000,
	    .conns = {1, 100, 1000},
	    .nconns = 3,
	    .sizes = {16, 4096},
	    .nsizes = 2,
	    .idle_conns = 1000,
	    .peers = "ours,lws,node,python",
	    .node = "node",
	    .python = "/usr/bin/python3",
	    .peers_dir = BENCH_PEERS_DIR,
	};
	bool conns_set = false, sizes_set = false, idle_set = false, cell_set = false;
	FILE *csv = NULL;
	long list[8];
	int c, n, failed = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.csv = optarg; break;
		case 'o':
			o.codec = strcmp(optarg, "codec") == 0;
			o.echo = strcmp(optarg, "echo") == 0;
			if (!o.codec && !o.echo) {
				fprintf(stderr, "leaklab-bench: --only codec or echo\n");
				return 2;
			}
			break;
		case 'p': o.peers = optarg; break;
		case 'n':
		case 's':
			n = parse_list(optarg, list, 8);
			if (n < 0) {
				fprintf(stderr, "leaklab-bench: bad list \"%s\"\n", optarg);
				return 2;
			}
			for (int i = 0; i < n; i++) {
				if (c == 'n')
					o.conns[i] = (int)list[i];
				else
					o.sizes[i] = (size_t)list[i];
			}
			if (c == 'n') {
				o.nconns = n;
				conns_set = true;
			} else {
				o.nsizes = n;
				sizes_set = true;
			}
			break;
		case 'C':
		case 'i':
		case 'm':
		case 'r':
		case 'R': {
			int *dst = c == 'C'   ? &o.cell_ms
				   : c == 'i' ? &o.idle_conns
				   : c == 'm' ? &o.codec_ms
				   : c == 'r' ? &o.reps
					      : &o.rounds;

			if (parse_int(optarg, c == 'i' ? 0 : 1,
				      c == 'R' ? BENCH_MAX_ROUNDS : 1000000, dst) != 0) {
				fprintf(stderr, "leaklab-bench: bad number \"%s\"\n", optarg);
				return 2;
			}
			if (c == 'C')
				cell_set = true;
			if (c == 'i')
				idle_set = true;
			break;
		}
		case 'S': o.server = optarg; break;
		case 'L': o.lws = optarg; break;
		case 'N': o.node = optarg; break;
		case 'P': o.python = optarg; break;
		case 'D': o.peers_dir = optarg; break;
		case 'k': o.smoke = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.smoke) {
		/*
		 * About a second in all: enough to run every path once, too little to judge speed.
		 */
		o.codec_ms = 20;
		o.reps = 1;
		o.rounds = 1;
		if (!cell_set)
			o.cell_ms = 100;
		if (!conns_set) {
			o.conns[0] = 1;
			o.conns[1] = 20;
			o.nconns = 2;
		}
		if (!sizes_set) {
			o.sizes[0] = 16;
			o.sizes[1] = 4096;
			o.nsizes = 2;
		}
		if (!idle_set)
			o.idle_conns = 50;
	}
	if (!o.server)
		o.server = sibling("echo-server", server_buf, sizeof(server_buf));
	if (!o.lws)
		o.lws = sibling("lws-echo", lws_buf, sizeof(lws_buf));
	if (o.echo && !o.server) {
		fprintf(stderr, "leaklab-bench: echo-server not found: give --server PATH\n");
		return 2;
	}
	if (strcmp(o.csv, "-") != 0) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			perror(o.csv);
			return 2;
		}
		fprintf(csv, "section,peer,payload_bytes,conns,metric,value,unit\n");
	}

	{
		double load[3] = {0, 0, 0};
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		if (getloadavg(load, 3) == 3)
			printf("machine: %ld cores, load average %.2f %.2f %.2f at start\n", cores,
			       load[0], load[1], load[2]);
		bench_csv(csv, "machine", "-", 0, 0, "cores", (double)cores, "cores");
		bench_csv(csv, "machine", "-", 0, 0, "loadavg_1m_start", load[0], "load");
	}
	if (o.codec)
		failed |= bench_codec(&o, csv);
	if (o.echo)
		failed |= bench_echo(&o, csv);
	{
		double load[3] = {0, 0, 0};

		if (getloadavg(load, 3) == 3)
			printf("\nload average %.2f %.2f %.2f at the end\n", load[0], load[1],
			       load[2]);
		bench_csv(csv, "machine", "-", 0, 0, "loadavg_1m_end", load[0], "load");
	}
	if (csv && fclose(csv) != 0) {
		perror(o.csv);
		failed = 1;
	}
	if (o.smoke)
		printf("%s\n", failed ? "smoke: FAILED" : "smoke: every number measured");
	return failed ? 1 : 0;
}
