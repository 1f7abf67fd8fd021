/*
 * drd.h - running a program under Valgrind's DRD, the race detector, and
 * reading its XML report as strictly as memcheck's: every race report is
 * counted (once per occurrence, from <errorcounts>), the first is named
 * with its stack and its first frame in the program's own file.
 *
 * DRD rather than Helgrind: on this glibc (2.36) Helgrind misreads
 * condition variables and reports "associated lock is not held" from
 * inside pthread_cond_timedwait, while DRD is silent on them (the same
 * reason the library's own race tests use it: lib/tests/CMakeLists.txt).
 */
#ifndef LEAKLAB_HARNESS_DRD_H
#define LEAKLAB_HARNESS_DRD_H

#include <stddef.h>

#include "harness.h"

/* The exit code DRD is told to use when it found errors. */
#define LC_DRD_ERROR_EXIT 99

struct lc_drd_opts {
	const char *valgrind; /* the valgrind executable */
	const char
	    *suppressions; /* NULL or a suppressions file (harness/tools/valgrind-race.supp) */
	const char *xml_file;
	const char *log_file;
};

/*
 * Builds the argv that runs prog_argv (NULL terminated) under DRD. The
 * result is one ll_malloc'ed array whose strings it owns; free it with
 * lc_drd_argv_free. Returns NULL when out of memory.
 */
char **lc_drd_argv(const struct lc_drd_opts *o, char *const prog_argv[]);
void lc_drd_argv_free(char **argv);

/*
 * Reads DRD's XML file into *d (which it zeroes first). own_file is the
 * base name of the program's source file (or NULL) for first_race_at.
 * Returns 0, or LL_EIO (unreadable) / LL_EPROTO (not well-formed XML, e.g.
 * cut short by a crash, or not DRD's: what was read before is kept,
 * parsed stays false) / LL_ENOMEM. A report that is well formed but did
 * not reach FINISHED has finished false: the caller must not judge it.
 */
int lc_drd_parse_xml(const char *path, const char *own_file, struct lc_drd *d);
/* The same from memory, for the tests. */
int lc_drd_parse_xml_buf(const char *buf, size_t len, const char *own_file, struct lc_drd *d);

#endif
