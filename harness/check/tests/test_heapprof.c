/*
 * test_heapprof.c - the heap profile diff, from the output of real
 * `vgdb leak_check` runs against the kit's servers under Valgrind 3.19:
 *
 *   vgdb-increased-01.txt  `leak_check full reachable increased` of case
 *                          01's leak after 3, then 8 dropped clients
 *   vgdb-changed-04a.txt   `leak_check full reachable changed` of case 04's
 *                          leak: 2 clients served and 1 held open since the
 *                          previous (summary) check
 *   vgdb-changed-04b.txt   the next check: the held client gone, 1 served
 *
 * and of `go tool pprof -traces -lines -unit=B -base` on two heap profiles
 * of case 04's Go twin (go 1.19), at 20 and at 40 clients:
 *
 *   pprof-heap-traces.txt  (the stacks whose change is 0 left out)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "check.h"
#include "measure/heapprof.h"

#define FIXTURE(name) FIXTURE_DIR "/" name

/* The whole file in a new ll_malloc'ed string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	long len;
	char *buf;

	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = ll_malloc((size_t)len + 1);
	CHECK(buf != NULL);
	CHECK_EQ((long)fread(buf, 1, (size_t)len, f), len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static int add_file(struct lc_heap_profile *p, const char *path)
{
	char *text = slurp(path);
	int err = lc_heap_profile_add(p, text);

	ll_free(text);
	return err;
}

/* The site whose stack has frame at index i, or NULL. */
static const struct lc_hp_site *find(const struct lc_heap_profile *p, size_t i, const char *frame)
{
	size_t k;

	for (k = 0; k < p->nsites; k++)
		if (p->sites[k].nframes > i && strcmp(p->sites[k].frames[i], frame) == 0)
			return &p->sites[k];
	return NULL;
}

static void test_increased(void)
{
	struct lc_heap_profile p;
	const struct lc_hp_site *s;
	bool own;

	lc_heap_profile_init(&p);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-increased-01.txt")), 0);
	CHECK_EQ(p.checks, 1);
	CHECK(!p.truncated);
	CHECK_EQ(p.nsites, 5);
	/*
	 * The records' changes add up to the LEAK SUMMARY's: definitely +1,000,
	 * indirectly +83,520, possibly +272. The definitely lost record says
	 * "135,232 (+84,520) (1,600 (+1,000) direct, ...)": only its direct
	 * bytes count, the indirect ones are in the records of their own.
	 */
	CHECK_EQ(p.total, 1000 + 83520 + 272);
	s = find(&p, 2, "ll_ws_conn_create (ws_conn.c:80)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 1000);
	CHECK_EQ(s->blocks, 5);
	CHECK_EQ(s->kinds, 1u << LC_HP_DEFINITE);
	CHECK_STR(s->frames[0], "calloc (in vgpreload_memcheck-amd64-linux.so)");
	CHECK_EQ(s->nframes, 7);
	/* The read buffer: 5 more blocks of 16 KiB. */
	s = find(&p, 2, "ll_ws_conn_create (ws_conn.c:98)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 81920);
	CHECK_EQ(s->blocks, 5);
	CHECK_EQ(s->kinds, 1u << LC_HP_INDIRECT);
	/* Not in leak.c: the naming frame is the first past ll_malloc. */
	CHECK_EQ(lc_hp_site_frame(s, "leak.c", &own), 2);
	CHECK(!own);
	/* Inlined frames keep their own line: allocate_dtv inside calloc's. */
	s = find(&p, 2, "allocate_dtv (dl-tls.c:401)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 272);
	CHECK_EQ(s->kinds, 1u << LC_HP_POSSIBLE);
	CHECK_EQ(lc_hp_site_frame(s, "leak.c", &own), 11);
	CHECK(own);
	CHECK_STR(s->frames[11], "main (leak.c:52)");

	lc_heap_profile_sort(&p);
	CHECK_EQ(p.sites[0].bytes, 81920);
	CHECK_EQ(p.sites[4].bytes, 272);
	lc_heap_profile_free(&p);
	lc_heap_profile_free(NULL);
}

/* Two checks add up by stack, decreases included: a held client comes and goes. */
static void test_changed(void)
{
	struct lc_heap_profile p;
	const struct lc_hp_site *s;
	bool own;
	int i;

	lc_heap_profile_init(&p);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04a.txt")), 0);
	CHECK_EQ(p.total, 20246 + 272);
	s = find(&p, 2, "ll_ws_conn_create (ws_conn.c:98)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 16384);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04b.txt")), 0);
	CHECK_EQ(p.checks, 2);
	CHECK_EQ(p.total, 20246 + 272 - 15854);
	/* "0 (-16,384) bytes in 0 (-1) blocks": the held client's buffer is gone. */
	s = find(&p, 2, "ll_ws_conn_create (ws_conn.c:98)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 0);
	CHECK_EQ(s->blocks, 0);
	/* The sessions: 3 then 1 more, 1,056 bytes each, allocated in leak.c. */
	s = find(&p, 1, "handle (leak.c:64)");
	CHECK(s != NULL);
	CHECK_EQ(s->bytes, 4 * 1056);
	CHECK_EQ(s->blocks, 4);
	CHECK_EQ(s->kinds, 1u << LC_HP_REACHABLE);
	i = lc_hp_site_frame(s, "leak.c", &own);
	CHECK_EQ(i, 1);
	CHECK(own);
	/* Without a source of its own the same frame names it (no wrapper before it). */
	CHECK_EQ(lc_hp_site_frame(s, NULL, &own), 1);
	CHECK(!own);
	lc_heap_profile_free(&p);
}

static char *print_to_string(const struct lc_heap_profile *p, long clients, const char *own)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	lc_heap_profile_print(f, p, clients, own, 8);
	fclose(f);
	return buf;
}

static void test_print(void)
{
	struct lc_heap_profile p;
	char *out;

	lc_heap_profile_init(&p);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04a.txt")), 0);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04b.txt")), 0);
	lc_heap_profile_sort(&p);
	CHECK_EQ(p.sites[0].bytes, 4 * 1056);
	out = print_to_string(&p, 4, "leak.c");
	CHECK(strstr(out, "  +1056.0 B/client  +4224 B in +4 blocks, still reachable\n"
			  "      calloc (in vgpreload_memcheck-amd64-linux.so)\n"
			  "    > handle (leak.c:64)\n") != NULL);
	CHECK(strstr(out, "by line of leak.c:\n  +1056.0 B/client  handle (leak.c:64)\n") != NULL);
	/* Sites that shrank or came back to zero are not growth... */
	CHECK(strstr(out, "ws_conn.c:98") == NULL);
	/* ... but the net change, the LEAK SUMMARY's, counts them. */
	CHECK(strstr(out, "so the net change is +4664 B\n") != NULL);
	free(out);
	lc_heap_profile_free(&p);

	/* Case 01: nothing in leak.c grew, and the report says so. */
	lc_heap_profile_init(&p);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-increased-01.txt")), 0);
	lc_heap_profile_sort(&p);
	out = print_to_string(&p, 5, "leak.c");
	CHECK(strstr(out, "  +16384.0 B/client  +81920 B in +5 blocks, indirectly lost\n") != NULL);
	CHECK(strstr(out, "    > ll_ws_conn_create (ws_conn.c:98)\n"
			  "      conn_thread (ws_server.c:278)\n") != NULL);
	CHECK(strstr(out, "  +54.4 B/client  main (leak.c:52)\n") != NULL);
	free(out);
	lc_heap_profile_free(&p);
}

static void test_files(void)
{
	struct lc_heap_profile p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	lc_heap_profile_init(&p);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04a.txt")), 0);
	CHECK_EQ(add_file(&p, FIXTURE("vgdb-changed-04b.txt")), 0);
	lc_heap_profile_sort(&p);

	f = open_memstream(&buf, &len);
	CHECK_EQ(lc_heap_profile_write_folded(&p, f), 0);
	fclose(f);
	/* flamegraph.pl's format: outermost frame first, the count after a space. */
	{
		static const char first[] =
		    "clone (clone.S:100);start_thread (pthread_create.c:442);gthread_main "
		    "(group.c:66);conn_thread (ws_server.c:289);handle (leak.c:64);calloc (in "
		    "vgpreload_memcheck-amd64-linux.so) 4224\n";

		CHECK(strncmp(buf, first, strlen(first)) == 0);
	}
	CHECK(strstr(buf, " 0\n") == NULL);
	CHECK(strstr(buf, " -") == NULL);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK_EQ(lc_heap_profile_write_svg(&p, f, "case <04> & co", "leak.c"), 0);
	fclose(f);
	CHECK(strncmp(buf, "<?xml", 5) == 0);
	CHECK(strstr(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	CHECK(strstr(buf, "case &lt;04&gt; &amp; co") != NULL);
	CHECK(strstr(buf, "<title>handle (leak.c:64): 4224 bytes") != NULL);
	CHECK(strcmp(buf + strlen(buf) - 7, "</svg>\n") == 0);
	free(buf);
	lc_heap_profile_free(&p);
}

static void test_bad_input(void)
{
	static const char cut[] = "==1== 16,384 (+16,384) bytes in 1 (+1) blocks are still "
				  "reachable in loss record 9 of 9\n";
	struct lc_heap_profile p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	lc_heap_profile_init(&p);
	CHECK_EQ(lc_heap_profile_add(&p, "vgdb error: no process"), LL_EPROTO);
	CHECK_EQ(p.checks, 0);
	/* Output that ends inside a record: counted as cut short, nothing invented. */
	{
		char text[512];

		snprintf(text, sizeof(text), "%s==1== LEAK SUMMARY:\n", cut);
		CHECK_EQ(lc_heap_profile_add(&p, text), 0);
	}
	CHECK(p.truncated);
	CHECK_EQ(p.nsites, 0);
	CHECK_EQ(lc_heap_profile_add(&p, "==1== All heap blocks were freed -- no leaks"), 0);
	CHECK_EQ(p.total, 0);

	/* An empty profile still makes a valid SVG. */
	f = open_memstream(&buf, &len);
	CHECK_EQ(lc_heap_profile_write_svg(&p, f, "empty", NULL), 0);
	fclose(f);
	CHECK(strstr(buf, "no allocation stack grew") != NULL);
	free(buf);
	lc_heap_profile_free(&p);
}

/* Fail the 1st, 2nd, ... allocation: an error, never a leak (the memcheck run proves it). */
static void test_out_of_memory(void)
{
	char *a = slurp(FIXTURE("vgdb-changed-04a.txt"));
	int err = LL_ENOMEM;
	long n;

	for (n = 1; n < 1000 && err == LL_ENOMEM; n++) {
		struct lc_heap_profile p;
		FILE *f = fopen("/dev/null", "we");

		lc_heap_profile_init(&p);
		ll_alloc_fail_after(n);
		err = lc_heap_profile_add(&p, a);
		if (!err)
			err = lc_heap_profile_write_svg(&p, f, "t", "leak.c");
		ll_alloc_fail_after(0);
		CHECK(err == 0 || err == LL_ENOMEM);
		fclose(f);
		lc_heap_profile_free(&p);
	}
	CHECK_EQ(err, 0);
	ll_free(a);
}

static void test_pprof_heap(void)
{
	struct lc_heap_profile p;
	char *text = slurp(FIXTURE("pprof-heap-traces.txt"));
	bool in_own;

	lc_heap_profile_init(&p);
	CHECK_EQ(lc_heap_profile_add_pprof(&p, text), 0);
	CHECK_EQ(p.unit, LC_HP_GO_BYTES);
	CHECK_EQ(p.checks, 1);
	CHECK_EQ(p.total, 28848);
	lc_heap_profile_sort(&p);
	/*
	 * pprof lists the same stack once per size class (1 KiB and 80 B for
	 * the session): they are one site, 22080 bytes over 20 clients.
	 */
	CHECK_EQ(p.sites[0].bytes, 22080);
	CHECK_STR(p.sites[0].frames[0], "main.handle (leak.go:77)");
	CHECK_STR(p.sites[0].frames[1], "leaklab/twin.Upgrading.func1.1.1 (twin.go:274)");
	CHECK_EQ(lc_hp_site_frame(&p.sites[0], "leak.go", &in_own), 0);
	CHECK(in_own);
	/* A negative change is kept (the net is what the heap signal moved by). */
	CHECK(p.sites[p.nsites - 1].bytes < 0);
	lc_heap_profile_free(&p);
	ll_free(text);
}

static void test_pprof_goroutines(void)
{
	static const char text[] =
	    "File: 03-uncleared-timer-leak-go\n"
	    "Type: goroutine\n"
	    "-----------+-------------------------------------------------------\n"
	    "         5   runtime.gopark /usr/lib/go-1.19/src/runtime/proc.go:363\n"
	    "             runtime.chanrecv2 /usr/lib/go-1.19/src/runtime/chan.go:447\n"
	    "             main.heartbeat /src/cases/03-uncleared-timer/go/leak.go:36\n"
	    "             runtime.goexit /usr/lib/go-1.19/src/runtime/asm_amd64.s:1594\n"
	    "-----------+-------------------------------------------------------\n";
	struct lc_heap_profile p;
	bool in_own;

	lc_heap_profile_init(&p);
	CHECK_EQ(lc_heap_profile_add_pprof(&p, text), 0);
	CHECK_EQ(p.unit, LC_HP_GOROUTINES);
	CHECK_EQ(p.nsites, 1);
	CHECK_EQ(p.sites[0].bytes, 5);
	CHECK_EQ(p.sites[0].nframes, 4);
	CHECK_EQ(lc_hp_site_frame(&p.sites[0], "leak.go", &in_own), 2);
	CHECK(in_own);
	lc_heap_profile_free(&p);
	/* Not pprof's traces: nothing is added. */
	lc_heap_profile_init(&p);
	CHECK_EQ(lc_heap_profile_add_pprof(&p, "heap profile: 1: 2 [3: 4] @ heap/2\n"), LL_EPROTO);
	CHECK_EQ(p.nsites, 0);
	lc_heap_profile_free(&p);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_increased);
	RUN(test_changed);
	RUN(test_print);
	RUN(test_files);
	RUN(test_bad_input);
	RUN(test_out_of_memory);
	RUN(test_pprof_heap);
	RUN(test_pprof_goroutines);
	return check_finish();
}
