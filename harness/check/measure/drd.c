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
#include "measure/vgxml.h"
#include "text.h"
#include "measure/memcheck.h"

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

#define MAX_RECORDS 1024

struct record {
	unsigned long unique;
	bool race;
	bool counted; /* a <pair> of <errorcounts> named it */
};

struct xml_state {
	struct lc_drd *d;
	struct record records[MAX_RECORDS];
	int nrecords;
	bool overflow; /* more records than MAX_RECORDS: counted, not matched */
	long overflow_races, overflow_other;
	long counted_races, counted_other;
};

static void on_error(void *user, const struct lc_vg_error *e)
{
	struct xml_state *st = user;
	struct lc_drd *d = st->d;
	bool race = strcmp(e->kind, "ConflictingAccess") == 0;

	if (race) {
		if (d->race_records++ == 0) {
			lc_format(d->first_race, sizeof(d->first_race), "%s", e->what);
			lc_format(d->first_race_stack, sizeof(d->first_race_stack), "%s", e->stack);
		}
		/* Only the access's own stack: the other segment's are not the access. */
		if (!d->first_race_at[0] && e->own_stack == 1)
			lc_format(d->first_race_at, sizeof(d->first_race_at), "%s", e->own_at);
	} else if (!d->first_other[0]) {
		if (e->stack[0])
			lc_format(d->first_other, sizeof(d->first_other), "%s: %s at %s", e->kind,
				  e->what, e->stack);
		else
			lc_format(d->first_other, sizeof(d->first_other), "%s: %s", e->kind,
				  e->what);
	}
	if (st->nrecords < MAX_RECORDS) {
		st->records[st->nrecords].unique = e->unique;
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

static void on_pair(void *user, unsigned long unique, long count)
{
	struct xml_state *st = user;
	int i;

	for (i = 0; i < st->nrecords; i++) {
		struct record *r = &st->records[i];

		if (r->unique != unique || r->counted)
			continue;
		r->counted = true;
		if (r->race)
			st->counted_races += count;
		else
			st->counted_other += count;
		return;
	}
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
	struct xml_state *st;
	struct lc_vg_walk w = {.own_file = own_file, .error = on_error, .pair = on_pair};
	struct lc_vg_report rep;
	int err;

	memset(d, 0, sizeof(*d));
	st = ll_calloc(1, sizeof(*st));
	if (!st)
		return LL_ENOMEM;
	st->d = d;
	w.user = st;
	err = lc_vgxml_walk(buf, len, &w, &rep);
	d->is_drd = strcmp(rep.tool, "drd") == 0;
	d->valgrind_version = rep.valgrind_version;
	d->finished = rep.finished;
	/* Well formed is not enough: it must be Valgrind's report, and DRD's. */
	if (err == 0 && (!rep.valgrind_output || !d->is_drd))
		err = LL_EPROTO;
	add_up(st);
	d->parsed = err == 0;
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
