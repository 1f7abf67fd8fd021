/* test_probe.c - /proc sampling of threads, fds, memory, and the /metrics text. */
#include <leaklab/error.h>
#include <leaklab/probe.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

/* Samples until pred holds, for up to about a second; a thread's exit settles asynchronously. */
static long settled_threads(long want)
{
	struct ll_probe_sample s;
	int i;

	for (i = 0; i < 100; i++) {
		CHECK_EQ(ll_probe_sample(0, &s), 0);
		if (s.threads == want)
			break;
		sleep_ms(10);
	}
	return s.threads;
}

static void *block_on_pipe(void *arg)
{
	char c;
	int fd = *(int *)arg;

	while (read(fd, &c, 1) < 0)
		;
	return NULL;
}

static void test_threads(void)
{
	struct ll_probe_sample before;
	pthread_t th;
	int p[2];

	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	/*
	 * ThreadSanitizer starts a helper thread of its own at the first
	 * pthread_create; one thread started and joined first keeps it out of
	 * the count below.
	 */
	CHECK_EQ(pthread_create(&th, NULL, block_on_pipe, &p[0]), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(ll_probe_sample(0, &before), 0);
	CHECK(before.threads >= 1);
	CHECK_EQ(pthread_create(&th, NULL, block_on_pipe, &p[0]), 0);
	CHECK_EQ(settled_threads(before.threads + 1), before.threads + 1);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(settled_threads(before.threads), before.threads);
	close(p[0]);
	close(p[1]);
}

static void test_fds(void)
{
	struct ll_probe_sample a, b, c;
	int fd;

	CHECK_EQ(ll_probe_sample(0, &a), 0);
	CHECK(a.fds >= 3);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(ll_probe_sample(0, &b), 0);
	CHECK_EQ(b.fds, a.fds + 1);
	close(fd);
	CHECK_EQ(ll_probe_sample(0, &c), 0);
	CHECK_EQ(c.fds, a.fds);
	/* Sampling itself opens and closes descriptors: it must not leave one behind. */
	CHECK_EQ(ll_probe_sample(0, &c), 0);
	CHECK_EQ(c.fds, a.fds);
}

static void test_memory(void)
{
	struct ll_probe_sample a, b, c;
	void *blocks[256];
	int i;

	CHECK_EQ(ll_probe_sample(0, &a), 0);
	CHECK(a.rss_kib > 0);
	/*
	 * Natively this is mallinfo2(); under Valgrind 3.19, which does not
	 * intercept mallinfo2(), the probe falls back to mallinfo(), which
	 * Valgrind answers from its own allocator. Either way 1 MiB in small
	 * blocks must show.
	 */
	CHECK(a.heap_bytes > 0);
	for (i = 0; i < 256; i++) {
		blocks[i] = malloc(4096);
		CHECK(blocks[i] != NULL);
		memset(blocks[i], i, 4096);
	}
	CHECK_EQ(ll_probe_sample(0, &b), 0);
	CHECK_INT(b.heap_bytes - a.heap_bytes, >=, 256 * 4096);
	for (i = 0; i < 256; i++)
		free(blocks[i]);
	CHECK_EQ(ll_probe_sample(0, &c), 0);
	CHECK_INT(b.heap_bytes - c.heap_bytes, >=, 256 * 4096);
}

/* Has process pid exec'd cat yet? */
static bool is_cat(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strcmp(comm, "cat\n") == 0;
}

static void test_other_process(void)
{
	struct ll_probe_sample s;
	pid_t child;
	int p[2], status, tries;

	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		/*
		 * cat sleeps in read() on the pipe until the parent closes
		 * it. exec rather than plain code, so that under Valgrind the
		 * child is not a second memcheck run reporting at its exit.
		 */
		if (dup2(p[0], 0) == 0)
			execlp("cat", "cat", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	/*
	 * Until exec the child is a copy of this process, with whatever
	 * helper threads a sanitizer runtime starts: wait (bounded) until it
	 * is cat.
	 */
	for (tries = 0; tries < 400 && !is_cat(child); tries++)
		usleep(5000);
	CHECK(is_cat(child));
	CHECK_EQ(ll_probe_sample(child, &s), 0);
	CHECK_EQ(s.threads, 1);
	CHECK(s.fds >= 1);
	CHECK(s.rss_kib > 0);
	CHECK_EQ(s.heap_bytes, -1);
	close(p[1]);
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Reaped: the pid is gone. */
	CHECK_EQ(ll_probe_sample(child, &s), LL_EIO);
	CHECK_EQ(ll_probe_sample(-1, &s), LL_EINVAL);
}

/* The value of the sample line "name VALUE" in text, checking its HELP and TYPE lines. */
static long metric(const char *text, const char *name)
{
	char want[128];
	const char *line;
	long v;

	snprintf(want, sizeof(want), "# HELP %s ", name);
	CHECK(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), "\n# TYPE %s gauge\n%s ", name, name);
	line = strstr(text, want);
	CHECK(line != NULL);
	line += strlen(want);
	CHECK(sscanf(line, "%ld\n", &v) == 1);
	return v;
}

static void test_metrics(void)
{
	struct ll_probe_sample s;
	char buf[2048];
	int n, lines = 0;

	CHECK_EQ(ll_probe_sample(0, &s), 0);
	n = ll_probe_format_metrics(buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(n, strlen(buf));
	CHECK(buf[n - 1] == '\n');
	for (int i = 0; i < n; i++)
		lines += buf[i] == '\n';
	CHECK_EQ(lines, 12);
	/* The names the harness, the alert rules and the dashboard read. */
	CHECK(strcmp(LL_PROBE_METRIC_THREADS, "leaklab_threads") == 0);
	CHECK(strcmp(LL_PROBE_METRIC_OPEN_FDS, "leaklab_open_fds") == 0);
	CHECK(strcmp(LL_PROBE_METRIC_HEAP_BYTES, "leaklab_heap_bytes") == 0);
	CHECK_EQ(metric(buf, LL_PROBE_METRIC_THREADS), s.threads);
	CHECK_EQ(metric(buf, LL_PROBE_METRIC_OPEN_FDS), s.fds);
	/* Memory moves a little between two samples; the units must agree. */
	CHECK_INT(metric(buf, LL_PROBE_METRIC_RESIDENT_BYTES), >, s.rss_kib * 1024 / 2);
	CHECK_INT(metric(buf, LL_PROBE_METRIC_RESIDENT_BYTES), <, s.rss_kib * 1024 * 2);
	CHECK_INT(metric(buf, LL_PROBE_METRIC_HEAP_BYTES), >, 0);
	/* The values may change by a digit between calls, so the short buffer is well short. */
	CHECK_EQ(ll_probe_format_metrics(buf, (size_t)n / 2), LL_ETOOBIG);
	CHECK_EQ(ll_probe_format_metrics(buf, 1), LL_ETOOBIG);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_threads);
	RUN(test_fds);
	RUN(test_memory);
	RUN(test_other_process);
	RUN(test_metrics);
	return check_finish();
}
