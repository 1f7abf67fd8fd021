/*
 * memcheck.h - running a program under Valgrind memcheck and reading what
 * it says: the XML report (errors and leaks, parsed with libexpat), the
 * text log (open file descriptors: Valgrind 3.19 reports those only there)
 * and the gdbserver's interim leak summary (vgdb leak_check).
 */
#ifndef LEAKLAB_HARNESS_MEMCHECK_H
#define LEAKLAB_HARNESS_MEMCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* The exit code memcheck is told to use when it found errors or leaks. */
#define LC_MEMCHECK_ERROR_EXIT 99

struct lc_valgrind_opts {
	const char *valgrind;	  /* the valgrind executable */
	const char *suppressions; /* NULL or a suppressions file */
	const char *xml_file;
	const char *log_file;
	const char *vgdb_prefix; /* NULL or where the gdbserver puts its FIFOs */
	bool no_gdbserver;	 /* no vgdb (a run nobody asks anything while it runs) */
};

/*
 * Builds the argv that runs prog_argv (NULL terminated) under memcheck.
 * The result is one ll_malloc'ed array whose strings it owns; free it with
 * lc_valgrind_argv_free. Returns NULL when out of memory.
 */
char **lc_valgrind_argv(const struct lc_valgrind_opts *o, char *const prog_argv[]);

/*
 * Reads the whole file at path into a new ll_malloc'ed, NUL-terminated
 * buffer (*out, *out_len bytes; the caller frees it). Returns 0, LL_EIO or
 * LL_ENOMEM. memcheck's and DRD's XML reports are read with it.
 */
int lc_read_file(const char *path, char **out, size_t *out_len);

/* "--name=value" in a new ll_malloc'ed string, or NULL. */
char *lc_valgrind_option(const char *name, const char *value);

/*
 * The command line of a Valgrind tool: opts (nopts ll_malloc'ed strings,
 * valgrind itself first; any NULL means one could not be made) then a copy
 * of prog_argv, NULL-terminated. Takes the strings in opts, also on
 * failure. Free with lc_valgrind_argv_free; returns NULL when out of memory.
 */
char **lc_valgrind_command(char **opts, size_t nopts, char *const prog_argv[]);
void lc_valgrind_argv_free(char **argv);

/*
 * Reads memcheck's XML file into *mc (which it zeroes first): error count
 * and first error, lost and reachable bytes. fds_open is left at -1.
 * Returns 0, or LL_EIO (unreadable) / LL_EPROTO (not well-formed XML, e.g.
 * cut short by a crash; what was read before is kept, finished stays false)
 * / LL_ENOMEM.
 */
int lc_memcheck_parse_xml(const char *path, const char *own_file, struct lc_memcheck *mc);
/* The same from memory, for the tests. */
int lc_memcheck_parse_xml_buf(const char *buf, size_t len, const char *own_file,
			      struct lc_memcheck *mc);

/*
 * Reads memcheck's text log for the fds open at exit ("Open file
 * descriptor N: ..." / "Open AF_INET socket N: ..." blocks). Counts those
 * the program opened itself: not 0, 1, 2 and not "<inherited from
 * parent>". Sets mc->fds_open and mc->first_fd. Returns 0, or LL_EIO
 * (unreadable) / LL_ENOMEM.
 * Leaves fds_open at -1 if the log has no "FILE DESCRIPTORS:" line (no
 * --track-fds, or the program never exited normally) -- unless the XML
 * came from Valgrind 3.23 or later, whose XML carries the fd errors
 * itself: then none there means none open.
 */
int lc_memcheck_parse_log(const char *path, struct lc_memcheck *mc);
int lc_memcheck_parse_log_buf(const char *buf, struct lc_memcheck *mc);

/*
 * Parses the output of `vgdb --pid=P leak_check summary any`: the
 * "LEAK SUMMARY" lines (numbers may carry thousands separators), or
 * "All heap blocks were freed" (all zero). Returns 0 or LL_EPROTO.
 */
int lc_leak_summary_parse(const char *text, struct lc_leak_summary *out);

/* The bytes memcheck calls lost: definitely, indirectly and possibly (still reachable is not). */
long long lc_memcheck_lost(const struct lc_memcheck *mc);

/*
 * The one rule for "clean under memcheck", which the fixed variants'
 * checks and the ctest gate (memcheck-run) both apply: the report was
 * read whole, no error, no fd the program opened left open at exit, and
 * (with_lost) no lost byte. The checks leave with_lost out because their
 * lost row says it. Returns 0 clean, 1 not (why gets each reason, "; "
 * apart), 2 unknown (the report or the log could not be read).
 */
int lc_memcheck_judge(const struct lc_memcheck *mc, bool with_lost, char *why, size_t size);

#endif
