/*
 * memcheck.c - memcheck's command line and the three things it writes
 * that the harness reads: the XML report, the text log, and the interim
 * leak summary the gdbserver prints for vgdb.
 *
 * The XML (protocol version 4) is a flat list of <error> elements: leaks
 * are errors whose <kind> starts with "Leak_" and whose <xwhat> carries
 * <leakedbytes>; every other kind (InvalidRead, UninitCondition, ...) is a
 * real error, counted once per occurrence in <errorcounts>. Valgrind 3.23
 * added fd errors (FdNotClosed) to the XML; 3.19 writes them only to the
 * text log, so both are read.
 */
#include "measure/memcheck.h"
#include "measure/vgxml.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

/* ----- the command line ----- */

char *lc_valgrind_option(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 4;
	char *s = ll_malloc(len);

	if (s)
		snprintf(s, len, "--%s=%s", name, value);
	return s;
}

char **lc_valgrind_command(char **opts, size_t nopts, char *const prog_argv[])
{
	size_t nprog = 0, i;
	char **argv;

	for (i = 0; i < nopts; i++)
		if (!opts[i])
			goto out_free_opts;
	while (prog_argv[nprog])
		nprog++;
	argv = ll_calloc(nopts + nprog + 1, sizeof(*argv));
	if (!argv)
		goto out_free_opts;
	for (i = 0; i < nopts; i++)
		argv[i] = opts[i];
	for (i = 0; i < nprog; i++) {
		argv[nopts + i] = ll_strdup(prog_argv[i]);
		if (!argv[nopts + i]) {
			/* The array owns the options now; its NULLs end the free. */
			lc_valgrind_argv_free(argv);
			return NULL;
		}
	}
	return argv;

out_free_opts:
	for (i = 0; i < nopts; i++)
		ll_free(opts[i]);
	return NULL;
}

char **lc_valgrind_argv(const struct lc_valgrind_opts *o, char *const prog_argv[])
{
	enum { MAX_OPTS = 16 };
	char *opts[MAX_OPTS];
	size_t nopts = 0;

	opts[nopts++] = ll_strdup(o->valgrind);
	opts[nopts++] = ll_strdup("--tool=memcheck");
	opts[nopts++] = ll_strdup("--leak-check=full");
	opts[nopts++] = ll_strdup("--show-leak-kinds=all");
	opts[nopts++] = ll_strdup("--track-fds=yes");
	opts[nopts++] = ll_strdup("--num-callers=30");
	/*
	 * A distinct exit code tells "memcheck found errors or lost bytes"
	 * (a verdict, read from the XML) from "the program failed" (a crash).
	 */
	opts[nopts++] = ll_strdup("--error-exitcode=99");
	/* The gdbserver is how vgdb asks for a leak summary at each load point. */
	opts[nopts++] = ll_strdup(o->no_gdbserver ? "--vgdb=no" : "--vgdb=yes");
	opts[nopts++] = ll_strdup("--xml=yes");
	opts[nopts++] = lc_valgrind_option("xml-file", o->xml_file);
	opts[nopts++] = lc_valgrind_option("log-file", o->log_file);
	if (o->vgdb_prefix)
		opts[nopts++] = lc_valgrind_option("vgdb-prefix", o->vgdb_prefix);
	if (o->suppressions)
		opts[nopts++] = lc_valgrind_option("suppressions", o->suppressions);
	return lc_valgrind_command(opts, nopts, prog_argv);
}

void lc_valgrind_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		ll_free(argv[i]);
	ll_free(argv);
}

/* ----- the XML report ----- */

#define MAX_UNIQUES 256

struct xml_state {
	struct lc_memcheck *mc;
	/* Non-leak errors, by unique id, to add up their <errorcounts>. */
	unsigned long uniques[MAX_UNIQUES];
	int nuniques;
	long plain_errors; /* non-leak <error> elements */
	long counted;	   /* their occurrences from <errorcounts> */
};

static bool is_nonleak_unique(const struct xml_state *st, unsigned long u)
{
	int i;

	for (i = 0; i < st->nuniques; i++)
		if (st->uniques[i] == u)
			return true;
	return false;
}

/*
 * The indirect part of a leak record's bytes. A record such as
 * "152,064 (1,800 direct, 150,264 indirect) bytes in 9 blocks are
 * definitely lost" has <leakedbytes> 152064, direct and indirect together,
 * while the indirect blocks also have records of their own. Valgrind's
 * LEAK SUMMARY counts only the direct part as definitely (or possibly)
 * lost, and so do we.
 */
static long long indirect_part(const char *what)
{
	const char *p = strstr(what, " direct, ");
	long long n = 0;

	if (!p)
		return 0;
	for (p += 9; (*p >= '0' && *p <= '9') || *p == ','; p++)
		if (*p != ',')
			n = n * 10 + (*p - '0');
	return strncmp(p, " indirect", 9) == 0 ? n : 0;
}

/* One <error>: file it as a leak, an fd left open, or an error. */
static void on_error(void *user, const struct lc_vg_error *e)
{
	struct xml_state *st = user;
	struct lc_memcheck *mc = st->mc;
	char own_at[sizeof(e->own_at) + 40];

	/* Where in the program's own file: the error's own stack, or else the next ones. */
	lc_format(own_at, sizeof(own_at), "%s%s", e->own_at,
		  e->own_stack <= 1   ? ""
		  : e->own_stack == 2 ? ", where the block was freed"
				      : ", where the block was allocated");
	if (strncmp(e->kind, "Leak_", 5) == 0) {
		bool reachable = strcmp(e->kind, "Leak_StillReachable") == 0;
		long long *best = reachable ? &mc->reachable_at_bytes : &mc->lost_at_bytes;

		if (e->own_at[0] && e->leaked_bytes > *best) {
			*best = e->leaked_bytes;
			lc_format(reachable ? mc->reachable_at : mc->lost_at, sizeof(mc->lost_at),
				  "%s", own_at);
		}
		if (strcmp(e->kind, "Leak_DefinitelyLost") == 0)
			mc->definitely += e->leaked_bytes - indirect_part(e->what);
		else if (strcmp(e->kind, "Leak_IndirectlyLost") == 0)
			mc->indirectly += e->leaked_bytes;
		else if (strcmp(e->kind, "Leak_PossiblyLost") == 0)
			mc->possibly += e->leaked_bytes - indirect_part(e->what);
		else if (reachable)
			mc->reachable += e->leaked_bytes;
		if (!reachable)
			mc->leak_blocks += e->leaked_blocks;
		return;
	}
	if (strcmp(e->kind, "FdNotClosed") == 0) {
		/* Valgrind >= 3.23 reports fds left open as XML errors. */
		if (mc->fds_open < 0)
			mc->fds_open = 0;
		if (mc->fds_open++ == 0)
			lc_format(mc->first_fd, sizeof(mc->first_fd), "%s", e->what);
		return;
	}
	if (e->own_at[0] && !mc->first_error_at[0])
		lc_format(mc->first_error_at, sizeof(mc->first_error_at), "%s", own_at);
	if (st->plain_errors++ == 0) {
		/* "InvalidRead: Invalid read of size 4 at main (leak.c:50)", cut to fit. */
		if (e->fn[0] && e->file[0])
			lc_format(mc->first_error, sizeof(mc->first_error), "%s: %s at %s (%s:%s)",
				  e->kind, e->what, e->fn, e->file, e->line);
		else if (e->fn[0])
			lc_format(mc->first_error, sizeof(mc->first_error), "%s: %s at %s", e->kind,
				  e->what, e->fn);
		else
			lc_format(mc->first_error, sizeof(mc->first_error), "%s: %s", e->kind,
				  e->what);
	}
	if (st->nuniques < MAX_UNIQUES)
		st->uniques[st->nuniques++] = e->unique;
}

static void on_pair(void *user, unsigned long unique, long count)
{
	struct xml_state *st = user;

	if (is_nonleak_unique(st, unique))
		st->counted += count;
}

int lc_memcheck_parse_xml_buf(const char *buf, size_t len, const char *own_file,
			      struct lc_memcheck *mc)
{
	struct xml_state st = {.mc = mc};
	struct lc_vg_walk w = {
	    .own_file = own_file, .user = &st, .error = on_error, .pair = on_pair};
	struct lc_vg_report rep;
	int err;

	memset(mc, 0, sizeof(*mc));
	mc->fds_open = -1;
	err = lc_vgxml_walk(buf, len, &w, &rep);
	if (err == LL_ENOMEM)
		return err;
	mc->valgrind_version = rep.valgrind_version;
	mc->finished = rep.finished;
	/* Occurrences from <errorcounts> when the report got that far. */
	mc->errors = rep.have_counts && st.counted > 0 ? st.counted : st.plain_errors;
	mc->parsed = err == 0;
	return err;
}

/* Reads a whole file into a NUL terminated ll_malloc'ed buffer. */
int lc_read_file(const char *path, char **out, size_t *out_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return LL_EIO;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *bigger = ll_realloc(buf, cap ? cap * 2 : 16384);

			if (!bigger) {
				err = LL_ENOMEM;
				goto out_close;
			}
			buf = bigger;
			cap = cap ? cap * 2 : 16384;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		err = LL_EIO;
		goto out_close;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
out_close:
	ll_free(buf);
	fclose(f);
	return err;
}

int lc_memcheck_parse_xml(const char *path, const char *own_file, struct lc_memcheck *mc)
{
	char *buf;
	size_t len;
	int err;

	memset(mc, 0, sizeof(*mc));
	mc->fds_open = -1;
	err = lc_read_file(path, &buf, &len);
	if (err)
		return err;
	err = lc_memcheck_parse_xml_buf(buf, len, own_file, mc);
	ll_free(buf);
	return err;
}

/* ----- the text log ----- */

/* Skips Valgrind's "==PID== " line prefix. */
static const char *skip_prefix(const char *line)
{
	const char *p = line;

	if (p[0] == '=' && p[1] == '=') {
		const char *end = strstr(p + 2, "== ");

		if (end)
			p = end + 3;
	}
	while (*p == ' ')
		p++;
	return p;
}

/* The fd number of an "Open ..." line, or -1 if this is not one. */
static long open_fd_number(const char *text)
{
	const char *p;

	if (strncmp(text, "Open file descriptor ", 21) == 0) {
		p = text + 21;
	} else if (strncmp(text, "Open AF_", 8) == 0) {
		p = strstr(text, " socket ");
		if (!p)
			return -1;
		p += 8;
	} else {
		return -1;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	return strtol(p, NULL, 10);
}

int lc_memcheck_parse_log_buf(const char *buf, struct lc_memcheck *mc)
{
	const char *line = buf;
	char pending[256] = "";
	bool have_pending = false;

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char one[512];
		const char *text;
		long fd;

		if (n >= sizeof(one))
			n = sizeof(one) - 1;
		memcpy(one, line, n);
		one[n] = '\0';
		text = skip_prefix(one);

		if (have_pending) {
			/* The line after an "Open ..." says whether it was inherited. */
			if (!strstr(text, "<inherited from parent>")) {
				if (mc->fds_open < 0)
					mc->fds_open = 0;
				if (mc->fds_open++ == 0)
					snprintf(mc->first_fd, sizeof(mc->first_fd), "%s", pending);
			}
			have_pending = false;
		}
		if (strncmp(text, "FILE DESCRIPTORS:", 17) == 0 && mc->fds_open < 0)
			mc->fds_open = 0;
		fd = open_fd_number(text);
		if (fd > 2) {
			/* A description longer than pending is cut: it is only shown. */
			snprintf(pending, sizeof(pending), "%.*s", (int)sizeof(pending) - 1, text);
			have_pending = true;
		}
		line = eol ? eol + 1 : line + strlen(line);
	}
	if (have_pending) {
		/* The log ended right after an "Open" line: count it, to be safe. */
		if (mc->fds_open < 0)
			mc->fds_open = 0;
		if (mc->fds_open++ == 0)
			snprintf(mc->first_fd, sizeof(mc->first_fd), "%s", pending);
	}
	if (mc->fds_open < 0 && mc->valgrind_version >= 32300)
		mc->fds_open = 0; /* fd errors are in the XML since 3.23 */
	return 0;
}

int lc_memcheck_parse_log(const char *path, struct lc_memcheck *mc)
{
	char *buf;
	size_t len;
	int err;

	err = lc_read_file(path, &buf, &len);
	if (err)
		return err;
	err = lc_memcheck_parse_log_buf(buf, mc);
	ll_free(buf);
	return err;
}

/* ----- vgdb leak_check summary ----- */

/* The number after label, skipping thousands separators; -1 if absent. */
static long long number_after(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	long long v = 0;
	bool any = false;

	if (!p)
		return -1;
	p += strlen(label);
	while (*p == ' ')
		p++;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			any = true;
		} else if (*p != ',') {
			break;
		}
	}
	return any ? v : -1;
}

int lc_leak_summary_parse(const char *text, struct lc_leak_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (!strstr(text, "LEAK SUMMARY")) {
		/* Nothing allocated at all: memcheck says so instead of a summary. */
		return strstr(text, "All heap blocks were freed") ? 0 : LL_EPROTO;
	}
	out->definitely = number_after(text, "definitely lost:");
	out->indirectly = number_after(text, "indirectly lost:");
	out->possibly = number_after(text, "possibly lost:");
	out->reachable = number_after(text, "still reachable:");
	out->suppressed = number_after(text, "suppressed:");
	if (out->definitely < 0 || out->indirectly < 0 || out->possibly < 0 || out->reachable < 0)
		return LL_EPROTO;
	if (out->suppressed < 0)
		out->suppressed = 0;
	return 0;
}

/* ----- the rule ----- */

long long lc_memcheck_lost(const struct lc_memcheck *mc)
{
	return mc->definitely + mc->indirectly + mc->possibly;
}

int lc_memcheck_judge(const struct lc_memcheck *mc, bool with_lost, char *why, size_t size)
{
	int rc = 0;

	why[0] = '\0';
	if (!mc->parsed) {
		lc_appendf(why, size, "memcheck's XML report could not be read");
		return 2;
	}
	if (mc->errors > 0) {
		rc = 1;
		lc_appendf(why, size, "memcheck found %ld error(s), e.g. %s", mc->errors,
			   mc->first_error);
	}
	if (with_lost && lc_memcheck_lost(mc) > 0) {
		rc = 1;
		lc_appendf(
		    why, size,
		    "%s%lld bytes lost at exit (definitely %lld, indirectly %lld, possibly %lld)",
		    why[0] ? "; " : "", lc_memcheck_lost(mc), mc->definitely, mc->indirectly,
		    mc->possibly);
		if (mc->lost_at[0])
			lc_appendf(why, size, ", most at %s", mc->lost_at);
	}
	if (mc->fds_open < 0) {
		lc_appendf(why, size, "%sfds left open at exit unknown (no Valgrind log)",
			   why[0] ? "; " : "");
		return 2;
	}
	if (mc->fds_open > 0) {
		rc = 1;
		lc_appendf(why, size, "%s%ld fd(s) left open at exit, e.g. %s", why[0] ? "; " : "",
			   mc->fds_open, mc->first_fd);
	}
	return rc;
}
