/*
 * test_app.c - the command line of ll_app_main(), through a real program
 * (app_fixture, started as a child): both spellings of a value, knobs as
 * long options, --help, and every value that does not fit refused with a
 * message and exit code 2. A program that starts prints its options and
 * the ready line, and SIGTERM then stops it with exit code 0.
 */
#include <leaklab/app.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

#ifndef APP_FIXTURE
#error "APP_FIXTURE must name the fixture program (see CMakeLists.txt)"
#endif

/* How long the fixture may take to print its ready line (generous: Valgrind). */
#define READY_TIMEOUT_MS 20000

struct child {
	pid_t pid;
	int out; /* the child's stdout */
	int err; /* the child's stderr */
	char stdout_text[4096];
	char stderr_text[4096];
	size_t out_len, err_len;
};

/* Starts the fixture with args (NULL-terminated) and pipes on its stdout and stderr. */
static void spawn(struct child *c, const char *const *args)
{
	const char *argv[16];
	int out[2], err[2];
	size_t i;

	argv[0] = APP_FIXTURE;
	for (i = 0; args[i]; i++) {
		CHECK(i + 2 < sizeof(argv) / sizeof(argv[0]));
		argv[i + 1] = args[i];
	}
	argv[i + 1] = NULL;
	memset(c, 0, sizeof(*c));
	CHECK_EQ(pipe2(out, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(err, O_CLOEXEC), 0);
	c->pid = fork();
	CHECK(c->pid >= 0);
	if (c->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(APP_FIXTURE, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	c->out = out[0];
	c->err = err[0];
}

/*
 * Reads what the child writes until its stdout holds the ready line
 * (returns true) or both pipes reach end of file (false). Aborts after
 * READY_TIMEOUT_MS.
 */
static bool read_until_ready(struct child *c)
{
	long long until = now_ms() + READY_TIMEOUT_MS;

	while (c->out >= 0 || c->err >= 0) {
		struct pollfd p[2] = {{.fd = c->out, .events = POLLIN},
				      {.fd = c->err, .events = POLLIN}};
		long long left = until - now_ms();
		int i;

		CHECK_INT(left, >, 0);
		if (poll(p, 2, (int)left) < 0) {
			CHECK_EQ(errno, EINTR);
			continue;
		}
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &c->out : &c->err;
			char *buf = i == 0 ? c->stdout_text : c->stderr_text;
			size_t *len = i == 0 ? &c->out_len : &c->err_len;
			ssize_t n;

			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			CHECK(*len < 4095);
			n = read(*fd, buf + *len, 4095 - *len);
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			*len += (size_t)n;
			buf[*len] = '\0';
		}
		if (strstr(c->stdout_text, "\n" LL_APP_READY_PREFIX) &&
		    c->stdout_text[c->out_len - 1] == '\n')
			return true;
	}
	return false;
}

/* Waits for the child and returns its exit code (aborts if a signal killed it). */
static int reap(struct child *c)
{
	int status;

	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	CHECK_EQ(waitpid(c->pid, &status, 0), c->pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Runs the fixture with args; it must start, say each of want, and stop on SIGTERM. */
static void starts(const char *const *args, const char *const *want)
{
	struct child c;
	const char *line;
	unsigned port;
	size_t i;

	spawn(&c, args);
	if (!read_until_ready(&c)) {
		fprintf(stderr, "no ready line; stdout:\n%s\nstderr:\n%s\n", c.stdout_text,
			c.stderr_text);
		CHECK(!"the fixture started");
	}
	for (i = 0; want[i]; i++) {
		if (!strstr(c.stdout_text, want[i]))
			fprintf(stderr, "stdout:\n%s\n", c.stdout_text);
		CHECK(strstr(c.stdout_text, want[i]) != NULL);
	}
	line = strstr(c.stdout_text, LL_APP_READY_PREFIX);
	CHECK(line != NULL);
	CHECK_EQ(sscanf(line, LL_APP_READY_PREFIX "127.0.0.1:%u", &port), 1);
	CHECK(port > 0 && port <= 65535);
	CHECK_EQ(kill(c.pid, SIGTERM), 0);
	CHECK_EQ(reap(&c), 0);
}

/* Runs the fixture with args; it must exit with code 2 and say want on stderr. */
static void refused(const char *const *args, const char *want)
{
	struct child c;
	int code;

	spawn(&c, args);
	CHECK(!read_until_ready(&c));
	code = reap(&c);
	if (code != 2 || !strstr(c.stderr_text, want))
		fprintf(stderr, "args[0] %s: exit %d, stderr:\n%s\n", args[0], code, c.stderr_text);
	CHECK_EQ(code, 2);
	CHECK(strstr(c.stderr_text, want) != NULL);
	/* What was wrong comes first, then the usage to put it right. */
	CHECK(strstr(c.stderr_text, "usage: app-fixture [options]") != NULL);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_value_forms(void)
{
	starts(ARGS("--port=0"), ARGS("option heartbeat-ms=1000\n"));
	starts(ARGS("--port", "0"), ARGS("option burst=3\n"));
	/* Knobs are long options like the rest, in both spellings. */
	starts(ARGS("--heartbeat-ms=5", "--burst", "7"),
	       ARGS("option heartbeat-ms=5\n", "option burst=7\n"));
	starts(ARGS("--host=127.0.0.1", "--max-conns=1", "--handshake-timeout-ms", "100",
		    "--write-timeout-ms=100", "--close-timeout-ms", "100", "--no-metrics",
		    "--heartbeat-ms", "0"),
	       ARGS("option heartbeat-ms=0\n"));
	/* The largest value a knob takes: it fits an int. */
	starts(ARGS("--heartbeat-ms=2147483647"), ARGS("option heartbeat-ms=2147483647\n"));
}

static void test_help(void)
{
	static const char *const want[] = {
	    "usage: app-fixture [options]\nThe program test_app starts.\n",
	    "  --port N ",
	    "  --max-conns N ",
	    "\nOptions of app-fixture, each a whole number from 0 to 2147483647:\n",
	    "  --heartbeat-ms N  milliseconds between pings (default 1000)\n",
	    "  --burst N         messages per burst (default 3)\n",
	    "--port N or --port=N",
	    "Prints \"" LL_APP_READY_PREFIX "HOST:PORT\" when ready",
	};
	const char *const *forms[] = {ARGS("--help"), ARGS("-h"), ARGS("--port=1", "--help")};
	size_t f, i;

	for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		struct child c;

		spawn(&c, forms[f]);
		CHECK(!read_until_ready(&c));
		CHECK_EQ(reap(&c), 0);
		CHECK_EQ(c.err_len, 0);
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (!strstr(c.stdout_text, want[i]))
				fprintf(stderr, "--help said:\n%s\nnot: %s\n", c.stdout_text,
					want[i]);
			CHECK(strstr(c.stdout_text, want[i]) != NULL);
		}
	}
}

/*
 * Values that do not fit where they go. The knob's case before this test:
 * --heartbeat-ms 4294967296 fits a long, was taken, and reached the case's
 * (unsigned) cast as 0.
 */
static void test_bad_values(void)
{
	refused(ARGS("--port", "65536"),
		"--port needs a whole number from 0 to 65535, not '65536'");
	refused(ARGS("--port=-1"), "--port needs a whole number from 0 to 65535, not '-1'");
	refused(ARGS("--port=99999999999999999999"), "not '99999999999999999999'");
	refused(ARGS("--port=abc"), "not 'abc'");
	refused(ARGS("--port=9000x"), "not '9000x'");
	refused(ARGS("--port= 9000"), "not ' 9000'");
	refused(ARGS("--port="), "--port needs a whole number from 0 to 65535, not ''");
	refused(ARGS("--max-conns", "0"), "--max-conns needs a whole number from 1 to 1000000");
	refused(ARGS("--max-conns=4294967297"), "not '4294967297'");
	refused(ARGS("--handshake-timeout-ms=0"), "--handshake-timeout-ms needs a whole number");
	refused(ARGS("--write-timeout-ms=3600001"),
		"--write-timeout-ms needs a whole number from 1 to 3600000");
	refused(ARGS("--close-timeout-ms=0"),
		"--close-timeout-ms needs a whole number from 1 to 3600000");
	refused(ARGS("--heartbeat-ms", "4294967296"),
		"--heartbeat-ms needs a whole number from 0 to 2147483647, not '4294967296'");
	refused(ARGS("--heartbeat-ms=2147483648"), "not '2147483648'");
	refused(ARGS("--burst=-1"), "--burst needs a whole number from 0 to 2147483647");
	/* getopt_long() says these itself. */
	refused(ARGS("--no-such-option"), "unrecognized option '--no-such-option'");
	refused(ARGS("--port"), "option '--port' requires an argument");
	refused(ARGS("--tls=yes"), "option '--tls' doesn't allow an argument");
	refused(ARGS("--port=0", "stray"), "app-fixture: unexpected argument 'stray'");
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	/* A child that dies early must fail the test, not kill it. */
	signal(SIGPIPE, SIG_IGN);
	RUN(test_value_forms);
	RUN(test_help);
	RUN(test_bad_values);
	return check_finish();
}
