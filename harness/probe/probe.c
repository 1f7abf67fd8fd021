/*
 * probe.c - one probe, start to verdict (probe.h).
 *
 * The server is not the kit's: it prints no ready line, serves no
 * /metrics, and may be a shell script that starts the real server, or a
 * server that forks workers. So it runs in a process group of its own,
 * every count is the sum over that group, readiness is a WebSocket
 * upgrade that succeeds, and the end kills the group and then anything
 * that left it (the probe is a child subreaper, so orphans come back to
 * it to be killed and reaped).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>
#include <leaklab/ws_handshake.h>

#include "harness.h"
#include "measure/memcheck.h"
#include "measure/proc.h"

#define MAX_BACKOFF_MS 100
/* Beyond the window, how long settling may take before the point is marked not settled. */
#define SETTLE_MAX_MS 3000
/* An upgrade refused this many times in a row, over at least a second: not a WebSocket server. */
#define REFUSALS_ENOUGH 3
/* After the server's own exit, how long the rest of its group gets before SIGKILL. */
#define GROUP_GRACE_MS 1000

/* Appended to GLIBC_TUNABLES, as leaklab-check does (docs/harness.md): a steadier heap. */
#define TUNABLES                                                                                   \
	"glibc.malloc.arena_max=1:glibc.malloc.tcache_count=0:glibc.pthread.stack_cache_size=0"

struct ctx {
	const struct pb_config *cfg;
	struct pb_result *res;
	struct lc_scenario sc;
	struct lc_held held;
	pid_t pid; /* the server (its group's leader); -1 once reaped */
	int status;
	bool exited;
	char log_path[600], xml_path[600], vlog_path[600], vgdb_prefix[600];
	char **argv, **envp, **run_argv; /* the command as started, for the port chosen */
};

const char *pb_signal_name(const struct pb_config *cfg, enum pb_signal s)
{
	static const char *const names[PB_NSIGNALS] = {
	    [PB_PROCS] = "processes",	[PB_THREADS] = "threads", [PB_FDS] = "fds",
	    [PB_RSS] = "rss (KiB)",	[PB_RUNTIME] = "runtime", [PB_HEAP] = "heap (bytes)",
	    [PB_LOST] = "lost (bytes)",
	};

	if (s == PB_RUNTIME && cfg && cfg->runtime.name[0])
		return cfg->runtime.name;
	return (unsigned)s < PB_NSIGNALS ? names[s] : "?";
}

double pb_min_slope(enum pb_signal s)
{
	switch (s) {
	case PB_RSS:
		/*
		 * A runtime's memory moves by itself (a garbage collector, an
		 * arena grown once), so resident memory counts as growing from
		 * 16 KiB a client: a thread or a connection's buffers kept.
		 */
		return 16.0;
	case PB_HEAP:
	case PB_LOST: return 256.0; /* the kit's heap threshold (judge.h) */
	default: return 0.5;	    /* a count: one thing left for every other client */
	}
}

__attribute__((format(printf, 2, 3))) static void note(struct pb_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nnotes >= (int)(sizeof(res->notes) / sizeof(res->notes[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes[res->nnotes++], sizeof(res->notes[0]), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static int no_verdict(struct pb_result *res, const char *fmt,
							    ...)
{
	va_list ap;

	if (res->error[0])
		return 2; /* the first reason is the one that matters */
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return 2;
}

static void say(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->cfg->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ----- the port and the command ----- */

/* A port nobody listens on now: bind to 0, read it, let it go. */
static int free_port(const char *host, unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd, rc = LL_EIO;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return LL_EIO;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
		*port = ntohs(a.sin_port);
		rc = 0;
	}
	close(fd);
	return rc;
}

/* s with every "{port}" replaced by port, in a new ll_malloc'ed string (NULL: out of memory). */
static char *with_port(const char *s, unsigned port)
{
	char num[16];
	size_t n = 0, len = strlen(s) + 1;
	const char *p;
	char *out, *o;

	snprintf(num, sizeof(num), "%u", port);
	for (p = s; (p = strstr(p, "{port}")) != NULL; p += 6)
		n++;
	out = ll_malloc(len + n * strlen(num));
	if (!out)
		return NULL;
	for (o = out, p = s; *p;) {
		if (strncmp(p, "{port}", 6) == 0) {
			memcpy(o, num, strlen(num));
			o += strlen(num);
			p += 6;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void free_strv(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		ll_free(v[i]);
	ll_free(v);
}

/* The server's argv with {port} replaced (NULL-terminated, ll_malloc'ed), or NULL. */
static char **server_argv(const struct pb_config *cfg, unsigned port)
{
	size_t n = 0, i;
	char **v;

	while (cfg->argv[n])
		n++;
	v = ll_calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = with_port(cfg->argv[i], port);
		if (!v[i]) {
			free_strv(v);
			return NULL;
		}
	}
	return v;
}

/*
 * The probe's environment plus PORT (the way platforms hand a server its
 * port) and the kit's glibc tunables; ll_malloc'ed, or NULL.
 */
static char **server_env(unsigned port)
{
	extern char **environ;
	const char *tun = getenv("GLIBC_TUNABLES");
	size_t n = 0, i, k = 0;
	char **v;

	while (environ[n])
		n++;
	v = ll_calloc(n + 3, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "PORT=", 5) == 0 ||
		    strncmp(environ[i], "GLIBC_TUNABLES=", 15) == 0)
			continue;
		v[k] = ll_malloc(strlen(environ[i]) + 1);
		if (!v[k])
			goto out_free;
		strcpy(v[k++], environ[i]);
	}
	v[k] = ll_malloc(32);
	if (!v[k])
		goto out_free;
	snprintf(v[k++], 32, "PORT=%u", port);
	v[k] = ll_malloc(strlen(TUNABLES) + (tun ? strlen(tun) : 0) + 32);
	if (!v[k])
		goto out_free;
	sprintf(v[k++], "GLIBC_TUNABLES=%s%s%s", tun && *tun ? tun : "", tun && *tun ? ":" : "",
		TUNABLES);
	return v;

out_free:
	free_strv(v);
	return NULL;
}

/* ----- the process group ----- */

/*
 * Forks the server into a new process group of its own (so that one
 * signal reaches everything it starts), stdin from /dev/null, stdout and
 * stderr to the log. Returns 0 or LL_EIO. An exec failure shows as exit
 * status 127.
 */
static int spawn(struct ctx *c, char **argv, char **envp)
{
	pid_t parent = getpid();
	int null_fd, log_fd;
	pid_t pid;

	log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return LL_EIO;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		goto out_close_log;
	pid = fork();
	if (pid < 0)
		goto out_close_null;
	if (pid == 0) {
		sigset_t none;

		/* Only async-signal-safe calls between fork and exec. */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
			_exit(127);
		/*
		 * The server gets stdin, stdout and stderr alone: a descriptor the
		 * probe's caller left open without close-on-exec would be counted
		 * in its fds, and the table would depend on who ran the probe.
		 */
		if (close_range(3, ~0U, 0) != 0)
			_exit(127);
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
	/* Both sides set the group, so it is in place whichever runs first. */
	setpgid(pid, pid);
	close(null_fd);
	close(log_fd);
	c->pid = pid;
	return 0;

out_close_null:
	close(null_fd);
out_close_log:
	close(log_fd);
	return LL_EIO;
}

static bool server_running(struct ctx *c)
{
	int status;
	pid_t r;

	if (c->exited)
		return false;
	do
		r = waitpid(c->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return true;
	c->exited = true;
	c->status = r == c->pid ? status : LC_STATUS_UNKNOWN;
	return false;
}

/* Field 4 (ppid) and 5 (pgrp) of /proc/PID/stat, after the command in parentheses. */
static int stat_ids(pid_t pid, pid_t *ppid, pid_t *pgrp, char *state)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	int fd, pp, pg;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %d", state, &pp, &pg) != 3)
		return -1;
	*ppid = pp;
	*pgrp = pg;
	return 0;
}

/*
 * Calls fn for every process whose group is pgid (pgid > 0) or whose
 * parent is the probe (pgid 0: orphans that came back to the subreaper),
 * zombies too when asked. Returns how many there were.
 */
static long each_process(pid_t pgid, bool zombies, void (*fn)(pid_t pid, char state, void *arg),
			 void *arg)
{
	pid_t self = getpid();
	struct dirent *de;
	long n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid, ppid, pgrp;
		char state;
		char *end;

		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		if (stat_ids(pid, &ppid, &pgrp, &state) != 0)
			continue;
		if (pgid > 0 ? pgrp != pgid : ppid != self)
			continue;
		if (state == 'Z' && !zombies)
			continue; /* dead already; reap_children() collects the probe's own */
		n++;
		if (fn)
			fn(pid, state, arg);
	}
	closedir(d);
	return n;
}

static void add_sample(pid_t pid, char state, void *arg)
{
	struct pb_sample *s = arg;
	struct lc_point pt;

	/*
	 * A zombie is a child its parent never waited for: it holds no thread
	 * or fd, but a slot in the process table, and a server that forks per
	 * connection and never reaps leaks those.
	 */
	if (state == 'Z') {
		s->v[PB_PROCS] += 1;
		return;
	}
	if (lc_proc_sample(pid, &pt) != 0)
		return;
	s->v[PB_PROCS] += 1;
	s->v[PB_THREADS] += (double)pt.threads;
	s->v[PB_FDS] += (double)pt.fds;
	s->v[PB_RSS] += (double)pt.rss_kib;
}

/* Threads, fds and RSS summed over the server's group. Returns 0, or LL_ECLOSED. */
static int sample_group(struct ctx *c, struct pb_sample *s)
{
	int i;

	for (i = 0; i < PB_NSIGNALS; i++)
		s->v[i] = -1;
	s->v[PB_PROCS] = s->v[PB_THREADS] = s->v[PB_FDS] = s->v[PB_RSS] = 0;
	if (!server_running(c))
		return LL_ECLOSED;
	each_process(c->pid, true, add_sample, s);
	return s->v[PB_PROCS] > 0 ? 0 : LL_ECLOSED;
}

/* The processes a sweep killed, each counted once however many rounds it takes to go. */
struct killed {
	pid_t pids[256];
	long n;
};

static void kill_one(pid_t pid, char state, void *arg)
{
	struct killed *k = arg;
	long i;

	(void)state;
	kill(pid, SIGKILL);
	for (i = 0; i < k->n && i < 256; i++)
		if (k->pids[i] == pid)
			return;
	if (k->n < 256)
		k->pids[k->n] = pid;
	k->n++;
}

/* Reaps every child that has ended (the server's orphans, after SIGKILL). */
static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Kills what is left: the server's group, and every process that left
 * the group or lost its parent and came back to the probe (subreaper).
 * Returns how many were killed.
 */
static long sweep(struct ctx *c)
{
	struct killed k = {.n = 0};
	int round;

	for (round = 0; round < 50; round++) {
		reap_children();
		if (each_process(c->pid, false, kill_one, &k) +
			each_process(0, false, kill_one, &k) ==
		    0)
			break;
		lc_sleep_ms(10);
	}
	reap_children();
	return k.n;
}

/*
 * SIGTERM to the whole group, as a service manager stops a service; the
 * server gets stop_ms to exit, the rest of its group a moment more, and
 * then everything left is killed.
 */
static void stop_server(struct ctx *c)
{
	struct pb_result *res = c->res;
	long deadline = lc_now_ms() + c->cfg->stop_ms;
	long nap = 1;

	if (server_running(c)) {
		kill(-c->pid, SIGTERM);
		while (server_running(c) && lc_now_ms() < deadline) {
			lc_sleep_ms(nap);
			nap = nap < 20 ? nap * 2 : 20;
		}
		if (server_running(c)) {
			res->killed = true;
			kill(-c->pid, SIGKILL);
			while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
				;
			c->exited = true;
		}
	}
	deadline = lc_now_ms() + GROUP_GRACE_MS;
	while (each_process(c->pid, false, NULL, NULL) > 0 && lc_now_ms() < deadline)
		lc_sleep_ms(20);
	res->leftovers = sweep(c);
	lc_describe_status(c->status, res->exit_text, sizeof(res->exit_text));
}

/* The last lines of the server's log, on one line, for a message. */
static void log_tail(const char *path, char *out, size_t size)
{
	char buf[4096];
	ssize_t n;
	size_t i, start;
	off_t end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	start = (size_t)n > 160 ? (size_t)n - 160 : 0;
	for (i = start; i < (size_t)n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	snprintf(out, size, "%s%s", start ? "..." : "", buf + start);
}

/* "the server died ... (killed by signal 11 (SIGSEGV)); its last words: ..." */
static int died(struct ctx *c, const char *when)
{
	char st[128], tail[200];

	lc_describe_status(c->status, st, sizeof(st));
	log_tail(c->log_path, tail, sizeof(tail));
	/* The child's own exit when exec failed (and a shell's for "command not found"). */
	if (c->status != LC_STATUS_UNKNOWN && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 127)
		snprintf(st + strlen(st), sizeof(st) - strlen(st),
			 ": the command was not found or could not be run");
	return no_verdict(c->res, "the server exited %s (%s)%s%s: no verdict", when, st,
			  tail[0] ? "; its last output: " : "", tail);
}

/* ----- ready: the port upgrades ----- */

/*
 * The first line a port answers to an upgrade, for the message that says
 * it is not a WebSocket server ("HTTP/1.0 200 OK"); "" when it answered
 * nothing.
 */
static void first_reply_line(const struct ctx *c, char *out, size_t size)
{
	const struct pb_config *cfg = c->cfg;
	char req[1024], buf[256], key[25];
	struct ll_transport *t;
	size_t len = 0, i;
	int fd, n;

	out[0] = '\0';
	n = ll_ws_client_request(cfg->host, c->res->port, cfg->client.path ? cfg->client.path : "/",
				 key, req, sizeof(req));
	if (n < 0)
		return;
	fd = ll_tcp_connect(cfg->host, c->res->port, cfg->timeout_ms);
	if (fd < 0)
		return;
	if (ll_transport_plain(&t, fd) != 0)
		return; /* the transport closed fd */
	if (ll_transport_write(t, req, (size_t)n, cfg->timeout_ms) == 0) {
		while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
			ssize_t got =
			    ll_transport_read(t, buf + len, sizeof(buf) - 1 - len, cfg->timeout_ms);

			if (got <= 0)
				break;
			len += (size_t)got;
		}
	}
	ll_transport_destroy(t);
	for (i = 0; i < len && buf[i] != '\r' && buf[i] != '\n' && i + 1 < size; i++)
		out[i] = (unsigned char)buf[i] < 0x20 ? '?' : buf[i];
	out[i] = '\0';
}

/*
 * Waits until a WebSocket upgrade to the client's path succeeds. The port
 * refusing TCP means "not yet"; a port that answers the upgrade with
 * anything but 101, again and again, is not a WebSocket server (or not
 * at that path). Returns 0 or 2 (no verdict, with the reason).
 */
static int wait_ready(struct ctx *c)
{
	const struct pb_config *cfg = c->cfg;
	long start = lc_now_ms(), deadline = start + cfg->start_ms, first_refusal = 0;
	int refusals = 0, last_err = 0, last_status = 0;
	bool tcp_ok = false;
	char line[120];

	for (;;) {
		struct ll_ws_client_opts opts = {
		    .path = cfg->client.path,
		    .protocol = cfg->client.protocol,
		    .timeout_ms = cfg->timeout_ms,
		};
		struct ll_ws_conn *conn = NULL;
		int status = 0, err, fd;

		if (!server_running(c))
			return died(c, "before its port accepted a WebSocket upgrade");
		if (lc_now_ms() >= deadline)
			break;
		fd = ll_tcp_connect(cfg->host, c->res->port, 500);
		if (fd < 0) {
			lc_sleep_ms(20);
			continue;
		}
		close(fd);
		tcp_ok = true;
		err = ll_ws_client_connect(&conn, cfg->host, c->res->port, &opts, &status);
		if (err == 0) {
			/* RFC 6455 section 7.1.2: a clean close, so the server sees a polite peer.
			 */
			ll_ws_conn_close(conn, LL_WS_CLOSE_NORMAL, NULL);
			ll_ws_conn_destroy(conn);
			say(c, "ready: the port upgrades after %ld ms\n", lc_now_ms() - start);
			return 0;
		}
		last_err = err;
		last_status = status;
		if (refusals++ == 0)
			first_refusal = lc_now_ms();
		if (refusals >= REFUSALS_ENOUGH && lc_now_ms() - first_refusal >= 1000)
			break;
		lc_sleep_ms(100);
	}
	if (!tcp_ok)
		return no_verdict(c->res,
				  "nothing accepted a connection on %s:%u within %d ms: is the "
				  "port given as {port} or PORT? no verdict",
				  cfg->host, c->res->port, cfg->start_ms);
	if (last_status)
		return no_verdict(c->res,
				  "not a WebSocket server: %s:%u answered the upgrade to %s with "
				  "HTTP %d, not 101: no verdict",
				  cfg->host, c->res->port,
				  cfg->client.path ? cfg->client.path : "/", last_status);
	first_reply_line(c, line, sizeof(line));
	if (line[0])
		return no_verdict(c->res,
				  "not a WebSocket server: %s:%u answered the upgrade to %s with "
				  "\"%s\", not HTTP/1.1 101: no verdict",
				  cfg->host, c->res->port,
				  cfg->client.path ? cfg->client.path : "/", line);
	return no_verdict(c->res,
			  "not a WebSocket server: %s:%u accepted TCP but the upgrade to %s "
			  "failed (%s): no verdict",
			  cfg->host, c->res->port, cfg->client.path ? cfg->client.path : "/",
			  ll_strerror(last_err));
}

/* ----- samples ----- */

static bool same_counts(const struct pb_sample *a, const struct pb_sample *b)
{
	return a->v[PB_PROCS] == b->v[PB_PROCS] && a->v[PB_THREADS] == b->v[PB_THREADS] &&
	       a->v[PB_FDS] == b->v[PB_FDS];
}

/*
 * Polls the group until its counts equal target's (when given) or hold
 * still for the window, with backoff from 1 ms to 100 ms, as
 * leaklab-check settles (docs/harness.md). Returns 0 or LL_ECLOSED.
 */
static int settle(struct ctx *c, const struct pb_sample *target, struct pb_sample *out)
{
	long start = lc_now_ms(), changed = start, nap = 1;
	struct pb_sample cur;
	int tries = 1;

	if (sample_group(c, out))
		return LL_ECLOSED;
	for (;;) {
		long now = lc_now_ms();

		if (target && same_counts(out, target)) {
			out->settled = true;
			break;
		}
		if (now - changed >= c->cfg->window_ms) {
			out->settled = true;
			break;
		}
		if (now - start >= c->cfg->window_ms + SETTLE_MAX_MS) {
			out->settled = false;
			break;
		}
		lc_sleep_ms(nap);
		nap = nap * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : nap * 2;
		if (sample_group(c, &cur))
			return LL_ECLOSED;
		tries++;
		if (!same_counts(&cur, out))
			changed = lc_now_ms();
		*out = cur;
	}
	out->tries = tries;
	out->settle_ms = lc_now_ms() - start;
	return 0;
}

/* memcheck's bytes in use and lost, asked through its gdbserver (as leaklab-check does). */
static void memcheck_heap(struct ctx *c, struct pb_sample *s)
{
	char pid_opt[32], prefix_opt[640];
	char *argv[] = {
	    (char *)c->cfg->vgdb, prefix_opt, pid_opt, "leak_check", "summary", "any", NULL};
	struct lc_leak_summary sum;
	char out[4096];
	int status = 0, err;

	snprintf(pid_opt, sizeof(pid_opt), "--pid=%d", (int)c->pid);
	snprintf(prefix_opt, sizeof(prefix_opt), "--vgdb-prefix=%s", c->vgdb_prefix);
	err = lc_run_capture(argv, 30000, out, sizeof(out), &status);
	if (err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		err = lc_leak_summary_parse(out, &sum);
	else if (err == 0)
		err = LL_EIO;
	if (err)
		return;
	s->v[PB_LOST] = (double)(sum.definitely + sum.indirectly + sum.possibly);
	s->v[PB_HEAP] = s->v[PB_LOST] + (double)sum.reachable;
}

/*
 * One sample: settle the counts (towards target when given), ask the
 * runtime for its count (settled too, towards target's), settle again
 * (the request's own socket must be gone), then under memcheck ask
 * memcheck. Returns 0 or 2.
 */
static int sample_point(struct ctx *c, struct pb_sample *s, const struct pb_sample *target,
			long load, const char *when)
{
	long runtime = -1;

	if (settle(c, target, s))
		return died(c, when);
	if (c->cfg->runtime.name[0]) {
		long want = target ? (long)target->v[PB_RUNTIME] : -1;
		struct pb_sample again;

		lc_runtime_settle(&c->cfg->runtime, c->cfg->host, c->res->port, c->cfg->timeout_ms,
				  want, c->cfg->window_ms, SETTLE_MAX_MS, &runtime);
		if (settle(c, target, &again))
			return died(c, when);
		again.tries += s->tries;
		again.settle_ms += s->settle_ms;
		*s = again;
	}
	s->v[PB_RUNTIME] = runtime >= 0 ? (double)runtime : -1;
	if (c->cfg->memcheck)
		memcheck_heap(c, s);
	s->load = load;
	return 0;
}

/* ----- driving ----- */

static const char *unit_of(enum lc_scenario_kind k)
{
	switch (k) {
	case LC_SC_BURST:
	case LC_SC_BURST_LARGE: return "messages";
	case LC_SC_BAD_HANDSHAKE: return "attempts";
	default: return "clients";
	}
}

/* Every scenario in turn with load clients each. Returns 0 or 2. */
static int drive_all(struct ctx *c, long load, const char *what)
{
	const struct pb_config *cfg = c->cfg;
	struct pb_result *res = c->res;
	int i;

	for (i = 0; i < cfg->nscenarios; i++) {
		struct lc_drive_result dr;
		struct lc_scenario sc = c->sc;

		memset(&dr, 0, sizeof(dr));
		sc.kind = cfg->scenarios[i];
		say(c, "%s: %ld %s (%s)...\n", what, load, unit_of(sc.kind),
		    lc_scenario_name(sc.kind));
		if (lc_drive(&sc, load, &c->held, NULL, NULL, 0, &dr) != 0)
			return no_verdict(res, "could not start the client threads: no verdict");
		res->clients_ok += dr.ok;
		res->clients_failed += dr.failed;
		res->clients_refused += dr.connect_failed;
		if ((dr.failed || dr.connect_failed) && !res->client_error[0])
			snprintf(res->client_error, sizeof(res->client_error), "%s: %.200s",
				 lc_scenario_name(sc.kind), dr.first_error);
		if (!server_running(c))
			return died(c, "while clients were connected");
	}
	return 0;
}

/* ----- memcheck ----- */

static char **memcheck_argv(struct ctx *c, char **prog)
{
	struct lc_valgrind_opts o = {
	    .valgrind = c->cfg->valgrind,
	    .suppressions = c->cfg->suppressions,
	    .xml_file = c->xml_path,
	    .log_file = c->vlog_path,
	    .vgdb_prefix = c->vgdb_prefix,
	};

	return lc_valgrind_argv(&o, prog);
}

static void read_memcheck(struct ctx *c)
{
	struct pb_result *res = c->res;
	struct lc_memcheck mc;

	if (lc_memcheck_parse_xml(c->xml_path, "", &mc) != 0 || !mc.finished) {
		note(res, "memcheck's report is missing or cut short (%s)", c->xml_path);
		return;
	}
	res->mc_read = true;
	res->mc_errors = mc.errors;
	res->mc_lost = mc.definitely + mc.indirectly + mc.possibly;
	snprintf(res->mc_first_error, sizeof(res->mc_first_error), "%s", mc.first_error);
}

/* ----- the verdict ----- */

/* The signals this run reads: the table shows them, also when there is no verdict. */
static void mark_measured(struct ctx *c)
{
	const struct pb_config *cfg = c->cfg;
	int s;

	for (s = 0; s < PB_NSIGNALS; s++)
		c->res->measured[s] = (s != PB_RUNTIME || cfg->runtime.name[0]) &&
				      ((s != PB_HEAP && s != PB_LOST) || cfg->memcheck);
}

static void judge(struct ctx *c)
{
	const struct pb_config *cfg = c->cfg;
	struct pb_result *res = c->res;
	char grows[256] = "";
	int s, i;

	for (s = 0; s < PB_NSIGNALS; s++) {
		double x[PB_NLOADS], gone[PB_NLOADS], hx[PB_NLOADS], held[PB_NLOADS];
		bool all = true;

		if (!res->measured[s]) {
			res->sig[s].status = PB_NOT_MEASURED;
			continue;
		}
		for (i = 0; i < PB_NLOADS; i++) {
			x[i] = (double)res->pts[i].load;
			gone[i] = res->pts[i].v[s];
			hx[i] = (double)res->held[i].load;
			held[i] = res->held[i].v[s];
			all = all && gone[i] >= 0 && held[i] >= 0;
		}
		if (!all) {
			res->sig[s].status = PB_UNKNOWN;
			continue;
		}
		pb_judge_signal(x, gone, hx, held, pb_min_slope((enum pb_signal)s), &res->sig[s]);
		/*
		 * Resident memory is a high-water mark: a runtime keeps what its
		 * heap once held (Node's ws echo kept +55 KiB a held client after
		 * they all left), so by default it is shown and not judged.
		 */
		res->info[s] = s == PB_RSS && !cfg->judge_rss;
		if (res->sig[s].status == PB_GROWS && !res->info[s] && !grows[0])
			snprintf(grows, sizeof(grows),
				 "%s %+.2f (spread %.2f) per client, %+.0f at 4N with every "
				 "client gone",
				 pb_signal_name(cfg, (enum pb_signal)s), res->sig[s].fit.slope,
				 res->sig[s].fit.spread, res->sig[s].residual);
	}
	for (s = 0; s < PB_NSIGNALS; s++) {
		if (res->sig[s].status == PB_UNKNOWN) {
			no_verdict(res, "%s could not be measured at every point: no verdict",
				   pb_signal_name(cfg, (enum pb_signal)s));
			res->exit_code = 2;
			snprintf(res->line, sizeof(res->line), "NO VERDICT: %.480s", res->error);
			return;
		}
	}
	if (grows[0]) {
		res->exit_code = 1;
		snprintf(res->line, sizeof(res->line), "LEAK: %s", grows);
		return;
	}
	res->exit_code = 0;
	snprintf(res->line, sizeof(res->line),
		 "clean: every signal flat or back to its baseline once the clients left");
}

/* ----- one run ----- */

/*
 * Removes a run's log folder, which is flat: the server's log, memcheck's
 * report and log, vgdb's FIFOs. Returns 0, or -1 when it is still there.
 */
static int remove_dir(const char *dir)
{
	struct dirent *de;
	char path[1024];
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

/* The log folders of earlier probes kept: the newest this many. */
#define KEEP_LOGS 20

static int is_probe_log(const struct dirent *d)
{
	return strncmp(d->d_name, "leaklab-probe.", 14) == 0;
}

/* Removes all but the newest KEEP_LOGS - 1 probe folders in dir (their names sort by time). */
static void prune_logs(const char *dir)
{
	struct dirent **names = NULL;
	int n, i;

	n = scandir(dir, &names, is_probe_log, alphasort);
	for (i = 0; i < n; i++) {
		if (i < n - (KEEP_LOGS - 1)) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			remove_dir(path);
		}
		free(names[i]);
	}
	free(names);
}

static int make_logdir(struct ctx *c)
{
	struct pb_result *res = c->res;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	mkdir(c->cfg->logs, 0755);
	prune_logs(c->cfg->logs);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(res->logdir, sizeof(res->logdir), "%s/leaklab-probe.%s.%d.XXXXXX", c->cfg->logs,
		 stamp, (int)getpid());
	if (!mkdtemp(res->logdir))
		return no_verdict(res, "cannot make a log folder in %s: %s", c->cfg->logs,
				  strerror(errno));
	snprintf(c->log_path, sizeof(c->log_path), "%s/server.log", res->logdir);
	snprintf(c->xml_path, sizeof(c->xml_path), "%s/memcheck.xml", res->logdir);
	snprintf(c->vlog_path, sizeof(c->vlog_path), "%s/memcheck.log", res->logdir);
	snprintf(c->vgdb_prefix, sizeof(c->vgdb_prefix), "%s/vgdb", res->logdir);
	return 0;
}

static void command_text(struct pb_result *res, char **argv)
{
	size_t len = 0;
	int i;

	for (i = 0; argv[i] && len < sizeof(res->command); i++)
		len += (size_t)snprintf(res->command + len, sizeof(res->command) - len, "%s%s",
					i ? " " : "", argv[i]);
}

/* Everything between a started server and its stop. Returns 0 or 2. */
static int measure(struct ctx *c)
{
	const struct pb_config *cfg = c->cfg;
	struct pb_result *res = c->res;
	static const long mult[PB_NLOADS] = {0, 1, 2, 4};
	long done = 0, prev = 0;
	int rc, i;

	if (cfg->warmup > 0) {
		rc = drive_all(c, cfg->warmup, "warming up");
		if (rc)
			return rc;
		lc_held_release(&c->held, &c->sc, &(struct lc_drive_result){0});
	}
	rc = sample_point(c, &res->pts[PB_P_BASE], NULL, 0, "before the baseline");
	if (rc)
		return rc;
	res->held[PB_P_BASE] = res->pts[PB_P_BASE];
	for (i = PB_P_N; i <= PB_P_4N; i++) {
		char what[64];

		snprintf(what, sizeof(what), "driving to %ldN", mult[i]);
		rc = drive_all(c, cfg->load * mult[i] - done, mult[i] == 1 ? "driving N" : what);
		if (rc)
			return rc;
		prev = done;
		done = cfg->load * mult[i];
		/* x of the held line: the clients this step connected (N, N, 2N). */
		rc = sample_point(c, &res->held[i], NULL, done - prev,
				  "while clients were connected");
		if (rc)
			return rc;
		/* The clients this step held open go; what they leave behind is what stays. */
		lc_held_release(&c->held, &c->sc, &(struct lc_drive_result){0});
		rc = sample_point(c, &res->pts[i], &res->pts[PB_P_BASE], done,
				  "after its clients left");
		if (rc)
			return rc;
	}
	if (res->clients_ok == 0)
		return no_verdict(res, "no client got through (%s): no verdict",
				  res->client_error[0] ? res->client_error : "?");
	return 0;
}

/* How many times a free port is chosen again when the server found it taken. */
#define PORT_ATTEMPTS 3

static void free_command(struct ctx *c)
{
	lc_valgrind_argv_free(c->run_argv);
	free_strv(c->envp);
	free_strv(c->argv);
	c->run_argv = c->envp = c->argv = NULL;
}

/* Chooses the port, makes the command and its environment, and starts it. Returns 0 or 2. */
static int launch(struct ctx *c)
{
	const struct pb_config *cfg = c->cfg;
	struct pb_result *res = c->res;

	res->port = cfg->port;
	if (!res->port && free_port(cfg->host, &res->port) != 0)
		return no_verdict(res, "no free port on %s: no verdict", cfg->host);
	c->sc.port = res->port;
	c->argv = server_argv(cfg, res->port);
	c->envp = server_env(res->port);
	c->run_argv = c->argv && cfg->memcheck ? memcheck_argv(c, c->argv) : NULL;
	if (!c->argv || !c->envp || (cfg->memcheck && !c->run_argv))
		return no_verdict(res, "out of memory: no verdict");
	command_text(res, c->argv);
	say(c, "leaklab-probe: starting %s (port %u)%s\n", res->command, res->port,
	    cfg->memcheck ? " under memcheck" : "");
	if (spawn(c, c->run_argv ? c->run_argv : c->argv, c->envp) != 0)
		return no_verdict(res, "cannot start %s: %s: no verdict", c->argv[0],
				  strerror(errno));
	return 0;
}

/*
 * Whether the server exited because its port was taken: the free port is
 * only free until it is let go, and another program (a test beside this
 * one) may bind it before the server does.
 */
static bool port_taken(const struct ctx *c)
{
	char tail[200];

	if (c->cfg->port || !c->exited)
		return false;
	log_tail(c->log_path, tail, sizeof(tail));
	return strcasestr(tail, "in use") || strstr(tail, "EADDRINUSE");
}

/* Forgets a start that failed on a taken port, so that the next one starts clean. */
static void forget_start(struct ctx *c)
{
	struct pb_result *res = c->res;

	say(c, "port %u was taken before the server bound it: trying another\n", res->port);
	stop_server(c);
	free_command(c);
	unlink(c->log_path);
	c->pid = -1;
	c->exited = false;
	res->error[0] = '\0';
	res->exit_text[0] = '\0';
	res->leftovers = 0;
}

int pb_run(const struct pb_config *cfg, struct pb_result *res)
{
	struct ctx c = {.cfg = cfg, .res = res, .pid = -1};
	int rc, attempt;

	memset(res, 0, sizeof(*res));
	c.sc.client = &cfg->client;
	c.sc.host = cfg->host;
	c.sc.timeout_ms = cfg->timeout_ms;
	c.sc.concurrency = cfg->concurrency;
	/* A server may keep an HTTP connection open after its 400: the client hangs up. */
	c.sc.reply_only = true;
	/* Orphans of the server come back to the probe, which kills and reaps them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	rc = make_logdir(&c);
	if (rc)
		goto out;
	if (lc_held_init(&c.held) != 0) {
		rc = no_verdict(res, "out of memory: no verdict");
		goto out;
	}
	for (attempt = 1;; attempt++) {
		rc = launch(&c);
		if (rc)
			goto out_free_command;
		rc = wait_ready(&c);
		if (rc == 0 || attempt == PORT_ATTEMPTS || !port_taken(&c))
			break;
		forget_start(&c);
	}
	if (rc == 0)
		rc = measure(&c);
	lc_held_close_all(&c.held);
	if (rc == 0 && !server_running(&c))
		rc = died(&c, "before the probe stopped it");
	say(&c, "stopping (SIGTERM to its process group)...\n");
	stop_server(&c);
	if (res->killed)
		rc = no_verdict(res,
				"the server did not stop within %d ms of SIGTERM: killed it and "
				"everything it started; no verdict",
				cfg->stop_ms);
	if (res->leftovers)
		note(res, "%ld process%s it started still ran after it stopped: killed",
		     res->leftovers, res->leftovers == 1 ? "" : "es");
	if (cfg->memcheck && !res->killed)
		read_memcheck(&c);
	if (cfg->memcheck && c.status != LC_STATUS_UNKNOWN && WIFEXITED(c.status) &&
	    WEXITSTATUS(c.status) == LC_MEMCHECK_ERROR_EXIT)
		snprintf(res->exit_text + strlen(res->exit_text),
			 sizeof(res->exit_text) - strlen(res->exit_text),
			 " (memcheck's: it found leaks or errors)");
	mark_measured(&c);
	if (rc == 0)
		judge(&c);

out_free_command:
	free_command(&c);
	lc_held_destroy(&c.held);
out:
	if (c.pid > 0 && !c.exited)
		stop_server(&c);
	if (rc) {
		res->exit_code = 2;
		snprintf(res->line, sizeof(res->line), "NO VERDICT: %.480s", res->error);
	}
	return res->exit_code;
}

void pb_remove_logs(struct pb_result *res)
{
	if (res->logdir[0] && remove_dir(res->logdir) == 0)
		res->logdir[0] = '\0';
}
