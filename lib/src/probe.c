/*
 * probe.c - threads, fds, resident memory and heap of a process, read from
 * /proc and from malloc's own statistics.
 *
 * The harness reads the same /proc files from outside, so what a server
 * serves at /metrics can be compared with what the harness sees.
 */
#include <leaklab/error.h>
#include <leaklab/probe.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads a whole small /proc file into buf, NUL terminated. Returns 0 or LL_EIO. */
static int read_small_file(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return LL_EIO;
	while (used < size - 1) {
		ssize_t n = read(fd, buf + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = LL_EIO;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return rc;
}

/* The number after "key" at the start of a line of /proc/PID/status, or -1. */
static long status_field(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0)
			return strtol(p + klen, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * Counts the entries of /proc/PID/fd. When sampling ourselves the
 * directory's own descriptor is among them; it exists only because we
 * are looking, so it is not counted.
 */
static long count_fds(const char *dir_path, bool self)
{
	struct dirent *e;
	long n = 0;
	DIR *d;
	int own;

	d = opendir(dir_path);
	if (!d)
		return -1;
	own = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (self && strtol(e->d_name, NULL, 10) == own)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Under AddressSanitizer or ThreadSanitizer malloc is the sanitizer's own,
 * and glibc's statistics stay at 0; the sanitizer runtime keeps the count.
 * Its header ships with clang only, so the one function is declared here.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZER_MALLOC 1
#endif
#endif
#ifdef SANITIZER_MALLOC
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/*
 * Bytes the calling process has in use from malloc: small blocks from the
 * arenas (uordblks) plus large blocks served by mmap (hblkhd).
 *
 * Under Valgrind, glibc's allocator is replaced and its arenas stay empty,
 * so mallinfo2() reports 0: Valgrind 3.19 does not intercept mallinfo2()
 * (later releases do). It does intercept the older mallinfo() and answers
 * it from its own allocator, so that is the fallback when mallinfo2() says
 * nothing is in use, which natively cannot happen once the program has
 * allocated anything. mallinfo()'s int fields wrap above 2 GiB, which the
 * kit's programs never reach under Valgrind.
 */
static long heap_in_use(void)
{
#ifdef SANITIZER_MALLOC
	return (long)__sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi2 = mallinfo2();
	struct mallinfo mi;

	if (mi2.uordblks + mi2.hblkhd > 0)
		return (long)(mi2.uordblks + mi2.hblkhd);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	mi = mallinfo();
#pragma GCC diagnostic pop
	return (long)((unsigned)mi.uordblks + (unsigned)mi.hblkhd);
#endif
}

int ll_probe_sample(pid_t pid, struct ll_probe_sample *out)
{
	char path[64], status[4096];
	bool self = pid == 0 || pid == getpid();
	int rc;

	if (!out || pid < 0)
		return LL_EINVAL;
	if (self)
		snprintf(path, sizeof(path), "/proc/self/status");
	else
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	rc = read_small_file(path, status, sizeof(status));
	if (rc)
		return rc;
	out->threads = status_field(status, "Threads:");
	if (out->threads < 0)
		return LL_EIO;
	/* A zombie has no memory and no VmRSS line. */
	out->rss_kib = status_field(status, "VmRSS:");
	if (out->rss_kib < 0)
		out->rss_kib = 0;

	if (self)
		snprintf(path, sizeof(path), "/proc/self/fd");
	else
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	out->fds = count_fds(path, self);
	if (out->fds < 0)
		return LL_EIO;
	/* Last, so that opendir()'s buffer has been freed again. */
	out->heap_bytes = self ? heap_in_use() : -1;
	return 0;
}

/*
 * The /metrics text, one gauge per sample field in the order threads, fds,
 * resident bytes, heap bytes, each with the HELP and TYPE lines that
 * Prometheus's text exposition format 0.0.4 puts before a sample.
 */
#define GAUGE(name, help) "# HELP " name " " help "\n# TYPE " name " gauge\n" name " %ld\n"
#define METRICS_FORMAT                                                                             \
	GAUGE(LL_PROBE_METRIC_THREADS, "Threads in this process.")                                 \
	GAUGE(LL_PROBE_METRIC_OPEN_FDS, "Open file descriptors of this process.")                  \
	GAUGE(LL_PROBE_METRIC_RESIDENT_BYTES, "Resident set size in bytes.")                       \
	GAUGE(LL_PROBE_METRIC_HEAP_BYTES, "Bytes in use from malloc.")

int ll_probe_format_metrics(char *buf, size_t size)
{
	struct ll_probe_sample s;
	int rc, n;

	if (!buf)
		return LL_EINVAL;
	rc = ll_probe_sample(0, &s);
	if (rc)
		return rc;
	n = snprintf(buf, size, METRICS_FORMAT, s.threads, s.fds, s.rss_kib * 1024, s.heap_bytes);
	if (n < 0)
		return LL_EIO;
	if ((size_t)n >= size)
		return LL_ETOOBIG;
	return n;
}
