/*
 * drd.c - DRD's command line and its XML report.
 *
 * The XML (protocol version 4, <protocoltool>drd</protocoltool>) is a flat
 * list of <error> elements, as memcheck's: a race is kind
 * ConflictingAccess, whose <what> says "Conflicting store by thread 2 at
 * 0x... size 1" and whose first <stack> is where the access happened (the
 * other thread's segment follows in <other_segment_start>/_end, with stacks
 * of its own, which are not the access). Every other kind (MutexErr,
 * CondErr, GenericErr, ...) is another error. Valgrind folds repeats of one
 * error into one record and counts them in <errorcounts>, so the count of
 * a kind is the sum of its records' counts there; a report cut short
 * before <errorcounts> counts each record once.
 */
#include "measure/drd.h"
#include "text.h"
#include "measure/memcheck.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

/* ----- the command line ----- */

char **lc_drd_argv(const struct lc_drd_opts *o, char *const prog_argv[])
{
	enum { MAX_OPTS = 12 };
	char *opts[MAX_OPTS];
	size_t nopts = 0;

	opts[nopts++] = ll_strdup(o->valgrind);
	opts[nopts++] = ll_strdup("--tool=drd");
	opts[nopts++] = ll_strdup("--num-callers=30");
	/* As for memcheck: "DRD found something" is not "the program failed". */
	opts[nopts++] = ll_strdup("--error-exitcode=99");
	opts[nopts++] = ll_strdup("--xml=yes");
	opts[nopts++] = lc_valgrind_option("xml-file", o->xml_file);
	opts[nopts++] = lc_valgrind_option("log-file", o->log_file);
	if (o->suppressions)
		opts[nopts++] = lc_valgrind_option("suppressions", o->suppressions);
	return lc_valgrind_command(opts, nopts, prog_argv);
}

void lc_drd_argv_free(char **argv)
{
	lc_valgrind_argv_free(argv);
}

/* ----- the XML report ----- */

#define MAX_DEPTH   16
#define MAX_NAME    32
#define MAX_RECORDS 1024
#define MAX_SHOWN   4 /* frames of the first race's stack that are shown */

struct record {
	unsigned long unique;
	bool race;
	bool counted; /* a <pair> of <errorcounts> named it */
};

struct xml_state {
	struct lc_drd *d;
	const char *own_file;
	char path[MAX_DEPTH][MAX_NAME];
	int depth;
	char text[1024];
	size_t text_len;
	bool root_seen;

	/* The <error> being read. */
	char kind[64];
	char what[256];
	unsigned long unique;
	int stacks; /* <stack> elements directly in this error */
	int frames; /* <frame> elements of its first stack */
	char frame_fn[128], frame_file[128], frame_line[16];
	char stack[512]; /* its first stack, as shown */
	char own_at[256];

	struct record records[MAX_RECORDS];
	int nrecords;
	bool overflow; /* more records than MAX_RECORDS: counted, not matched */
	long overflow_races, overflow_other;
	bool have_counts;
	unsigned long pair_unique;
	long pair_count;
	long counted_races, counted_other;
};

static bool in(const struct xml_state *st, int depth, const char *name)
{
	return st->depth > depth && strcmp(st->path[depth], name) == 0;
}

static void copy_text(char *dst, size_t size, const struct xml_state *st)
{
	size_t n = st->text_len < size - 1 ? st->text_len : size - 1;

	memcpy(dst, st->text, n);
	dst[n] = '\0';
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_state *st = data;

	(void)attrs;
	if (st->depth == 0)
		st->root_seen = strcmp(name, "valgrindoutput") == 0;
	if (st->depth < MAX_DEPTH)
		snprintf(st->path[st->depth], MAX_NAME, "%s", name);
	st->depth++;
	st->text_len = 0;
	st->text[0] = '\0';
	if (st->depth == 2 && strcmp(name, "error") == 0) {
		st->kind[0] = st->what[0] = st->stack[0] = st->own_at[0] = '\0';
		st->unique = 0;
		st->stacks = 0;
		st->frames = 0;
	} else if (st->depth == 3 && in(st, 1, "error") && strcmp(name, "stack") == 0) {
		st->stacks++;
	} else if (st->depth == 4 && in(st, 1, "error") && in(st, 2, "stack") &&
		   strcmp(name, "frame") == 0) {
		st->frame_fn[0] = st->frame_file[0] = st->frame_line[0] = '\0';
	} else if (st->depth == 3 && in(st, 1, "errorcounts") && strcmp(name, "pair") == 0) {
		st->pair_unique = 0;
		st->pair_count = -1;
	}
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
	struct xml_state *st = data;
	size_t room = sizeof(st->text) - 1 - st->text_len;
	size_t n = (size_t)len < room ? (size_t)len : room;

	memcpy(st->text + st->text_len, s, n);
	st->text_len += n;
	st->text[st->text_len] = '\0';
}

/* The end of one frame of an error's first stack: show it, note the program's own. */
static void end_frame(struct xml_state *st)
{
	size_t len = strlen(st->stack);

	st->frames++;
	if (st->frames <= MAX_SHOWN && len + 1 < sizeof(st->stack)) {
		if (st->frame_file[0])
			lc_format(st->stack + len, sizeof(st->stack) - len, "%s%s (%s:%s)",
				  len ? " < " : "", st->frame_fn[0] ? st->frame_fn : "???",
				  st->frame_file, st->frame_line);
		else
			lc_format(st->stack + len, sizeof(st->stack) - len, "%s%s",
				  len ? " < " : "", st->frame_fn[0] ? st->frame_fn : "???");
	}
	if (!st->own_at[0] && st->own_file && strcmp(st->frame_file, st->own_file) == 0)
		lc_format(st->own_at, sizeof(st->own_at), "%s (%s:%s)", st->frame_fn,
			  st->frame_file, st->frame_line);
}

static void end_error(struct xml_state *st)
{
	struct lc_drd *d = st->d;
	bool race = strcmp(st->kind, "ConflictingAccess") == 0;

	if (race) {
		if (d->race_records++ == 0) {
			lc_format(d->first_race, sizeof(d->first_race), "%s", st->what);
			lc_format(d->first_race_stack, sizeof(d->first_race_stack), "%s",
				  st->stack);
		}
		if (!d->first_race_at[0] && st->own_at[0])
			lc_format(d->first_race_at, sizeof(d->first_race_at), "%s", st->own_at);
	} else if (!d->first_other[0]) {
		if (st->stack[0])
			lc_format(d->first_other, sizeof(d->first_other), "%s: %s at %s", st->kind,
				  st->what, st->stack);
		else
			lc_format(d->first_other, sizeof(d->first_other), "%s: %s", st->kind,
				  st->what);
	}
	if (st->nrecords < MAX_RECORDS) {
		st->records[st->nrecords].unique = st->unique;
		st->records[st->nrecords].race = race;
		st->records[st->nrecords].counted = false;
		st->nrecords++;
	} else {
		/* Past the table: each such record counts once, as if never repeated. */
		st->overflow = true;
		if (race)
			st->overflow_races++;
		else
			st->overflow_other++;
	}
}

static void end_pair(struct xml_state *st)
{
	int i;

	st->have_counts = true;
	for (i = 0; i < st->nrecords; i++) {
		struct record *r = &st->records[i];

		if (r->unique != st->pair_unique || r->counted)
			continue;
		r->counted = true;
		if (r->race)
			st->counted_races += st->pair_count;
		else
			st->counted_other += st->pair_count;
		return;
	}
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
	struct xml_state *st = data;
	int d = st->depth - 1; /* the depth of the element ending */

	if (d == 1 && in(st, 1, "error")) {
		end_error(st);
	} else if (d >= 2 && in(st, 1, "error")) {
		if (d == 4 && in(st, 2, "stack") && st->stacks == 1) {
			if (strcmp(name, "fn") == 0)
				copy_text(st->frame_fn, sizeof(st->frame_fn), st);
			else if (strcmp(name, "file") == 0)
				copy_text(st->frame_file, sizeof(st->frame_file), st);
			else if (strcmp(name, "line") == 0)
				copy_text(st->frame_line, sizeof(st->frame_line), st);
		} else if (d == 3 && in(st, 2, "stack") && st->stacks == 1 &&
			   strcmp(name, "frame") == 0) {
			end_frame(st);
		} else if (d == 2 && strcmp(name, "kind") == 0) {
			copy_text(st->kind, sizeof(st->kind), st);
		} else if (d == 2 && strcmp(name, "what") == 0) {
			copy_text(st->what, sizeof(st->what), st);
		} else if (d == 2 && strcmp(name, "unique") == 0) {
			st->unique = strtoul(st->text, NULL, 0);
		}
	} else if (d == 3 && in(st, 1, "errorcounts") && in(st, 2, "pair")) {
		if (strcmp(name, "count") == 0)
			st->pair_count = strtol(st->text, NULL, 10);
		else if (strcmp(name, "unique") == 0)
			st->pair_unique = strtoul(st->text, NULL, 0);
	} else if (d == 2 && in(st, 1, "errorcounts") && strcmp(name, "pair") == 0) {
		end_pair(st);
	} else if (d == 1 && strcmp(name, "protocoltool") == 0) {
		st->d->is_drd = strcmp(st->text, "drd") == 0;
	} else if (d == 2 && in(st, 1, "preamble") && strcmp(name, "line") == 0) {
		unsigned major = 0, minor = 0, patch = 0;

		if (sscanf(st->text, "Using Valgrind-%u.%u.%u", &major, &minor, &patch) >= 2)
			st->d->valgrind_version = (int)(major * 10000 + minor * 100 + patch);
	} else if (d == 2 && in(st, 1, "status") && strcmp(name, "state") == 0) {
		if (st->text_len >= 8 && memcmp(st->text, "FINISHED", 8) == 0)
			st->d->finished = true;
	}
	st->depth--;
	st->text_len = 0;
	st->text[0] = '\0';
}

/*
 * The counts: from <errorcounts> where a record is named there; a record
 * it does not name (or a report cut short before it) counts once.
 */
static void add_up(struct xml_state *st)
{
	struct lc_drd *d = st->d;
	int i;

	d->races = st->counted_races + st->overflow_races;
	d->other_errors = st->counted_other + st->overflow_other;
	for (i = 0; i < st->nrecords; i++) {
		if (st->records[i].counted)
			continue;
		if (st->records[i].race)
			d->races++;
		else
			d->other_errors++;
	}
}

int lc_drd_parse_xml_buf(const char *buf, size_t len, const char *own_file, struct lc_drd *d)
{
	XML_Parser parser;
	struct xml_state *st;
	int err = 0;

	memset(d, 0, sizeof(*d));
	st = ll_calloc(1, sizeof(*st));
	if (!st)
		return LL_ENOMEM;
	st->d = d;
	st->own_file = own_file;
	parser = XML_ParserCreate(NULL);
	if (!parser) {
		err = LL_ENOMEM;
		goto out_free_state;
	}
	XML_SetUserData(parser, st);
	XML_SetElementHandler(parser, on_start, on_end);
	XML_SetCharacterDataHandler(parser, on_text);
	if (len > (size_t)INT32_MAX || XML_Parse(parser, buf, (int)len, 1) == XML_STATUS_ERROR)
		err = LL_EPROTO;
	/* Well formed is not enough: it must be Valgrind's report, and DRD's. */
	if (err == 0 && (!st->root_seen || !d->is_drd))
		err = LL_EPROTO;
	add_up(st);
	d->parsed = err == 0;
	XML_ParserFree(parser);
out_free_state:
	ll_free(st);
	return err;
}

int lc_drd_parse_xml(const char *path, const char *own_file, struct lc_drd *d)
{
	char *buf;
	size_t len;
	int err;

	memset(d, 0, sizeof(*d));
	err = lc_read_file(path, &buf, &len);
	if (err)
		return err;
	err = lc_drd_parse_xml_buf(buf, len, own_file, d);
	ll_free(buf);
	return err;
}
