/*
 * twin.c - a case's twins in Go, Node.js, Python and Java (twin.h): found in
 * the manifest, checked natively with their runtime's own count, and shown
 * in the tour beside the C programs.
 */
#include "twin.h"

#include "run.h"

#include <stdlib.h>
#include <string.h>

#include <leaklab/error.h>

#include "judge/judge.h"

/* The value of "LANG.KEY=VALUE" for lang and key, or NULL. */
static const char *twin_value(const struct lc_manifest *m, const char *lang, const char *key)
{
	size_t nl = strlen(lang), nk = strlen(key), i;

	for (i = 0; i < m->ntwins; i++) {
		const char *t = m->twins[i];

		if (strncmp(t, lang, nl) == 0 && t[nl] == '.' &&
		    strncmp(t + nl + 1, key, nk) == 0 && t[nl + 1 + nk] == '=')
			return t + nl + nk + 2;
	}
	return NULL;
}

size_t lc_twin_langs(const struct lc_manifest *m, char (*langs)[16], size_t max)
{
	size_t n = 0, i, j;

	for (i = 0; i < m->ntwins && n < max; i++) {
		size_t len = strcspn(m->twins[i], ".");
		bool seen = false;

		if (len == 0 || len >= sizeof(langs[0]))
			continue;
		for (j = 0; j < n; j++)
			seen = seen ||
			       (strlen(langs[j]) == len && !strncmp(langs[j], m->twins[i], len));
		if (seen)
			continue;
		memcpy(langs[n], m->twins[i], len);
		langs[n][len] = '\0';
		n++;
	}
	return n;
}

int lc_twin_find(const struct lc_manifest *m, const char *lang, struct lc_twin *out, char *why,
		 size_t why_size)
{
	const char *v;
	long mask;

	memset(out, 0, sizeof(*out));
	if (strlen(lang) >= sizeof(out->lang) || !twin_value(m, lang, "leak"))
		return 1;
	snprintf(out->lang, sizeof(out->lang), "%s", lang);
	out->leak = twin_value(m, lang, "leak");
	out->fixed = twin_value(m, lang, "fixed");
	out->skip = twin_value(m, lang, "skip");
	v = twin_value(m, lang, "runtime");
	if (v && lc_runtime_spec_parse(v, &out->runtime, why, why_size))
		return LL_EINVAL;
	v = twin_value(m, lang, "expect");
	mask = v ? lc_parse_signals(v) : -1;
	if (mask <= 0) {
		snprintf(why, why_size, "twin %s: bad or missing expect= \"%s\"", lang, v ? v : "");
		return LL_EINVAL;
	}
	out->expect = (unsigned)mask;
	v = twin_value(m, lang, "judge");
	mask = v ? lc_parse_signals(v) : -1;
	if (mask <= 0) {
		snprintf(why, why_size, "twin %s: bad or missing judge= \"%s\"", lang, v ? v : "");
		return LL_EINVAL;
	}
	out->judged = (unsigned)mask;
	v = twin_value(m, lang, "heap_limit");
	if (v) {
		char *end;

		out->heap_limit = strtod(v, &end);
		if (end == v || *end || out->heap_limit <= 0) {
			snprintf(why, why_size, "twin %s: bad heap_limit= \"%s\"", lang, v);
			return LL_EINVAL;
		}
	}
	out->warmup = -1;
	v = twin_value(m, lang, "warmup");
	if (v && (out->warmup = strtol(v, NULL, 10)) < 0) {
		snprintf(why, why_size, "twin %s: bad warmup= \"%s\"", lang, v);
		return LL_EINVAL;
	}
	v = twin_value(m, lang, "load");
	if (v && (out->load = strtol(v, NULL, 10)) <= 0) {
		snprintf(why, why_size, "twin %s: bad load= \"%s\"", lang, v);
		return LL_EINVAL;
	}
	v = twin_value(m, lang, "verify");
	while (v && *v) {
		char name[64];
		size_t len;

		v += strspn(v, ", ");
		len = strcspn(v, ", ");
		if (len == 0)
			break;
		if (len >= sizeof(name) || out->nverify == LC_MAX_SCENARIOS)
			goto bad_verify;
		memcpy(name, v, len);
		name[len] = '\0';
		if (lc_scenario_parse(name, &out->verify[out->nverify]))
			goto bad_verify;
		out->nverify++;
		v += len;
	}
	if (!out->fixed) {
		snprintf(why, why_size, "twin %s: no fixed= program", lang);
		return LL_EINVAL;
	}
	return 0;
bad_verify:
	snprintf(why, why_size, "twin %s: bad verify= \"%s\"", lang, twin_value(m, lang, "verify"));
	return LL_EINVAL;
}

void lc_twin_apply(const struct lc_twin *t, struct lc_config *cfg, int expect_given)
{
	cfg->leak_program = t->leak;
	cfg->fixed_program = t->fixed;
	cfg->runtime = t->runtime;
	cfg->judged = t->judged;
	cfg->heap_limit = t->heap_limit;
	if (t->load > 0)
		cfg->load = t->load;
	if (t->warmup >= 0)
		cfg->warmup = t->warmup;
	if (t->nverify > 0) {
		memcpy(cfg->fixed_scenarios, t->verify, sizeof(t->verify));
		cfg->nfixed_scenarios = t->nverify;
	}
	if (!expect_given) {
		cfg->expect = t->expect;
		cfg->memcheck_expect = t->expect;
	}
	cfg->native = true;
	cfg->memcheck = false;
}

size_t lc_twin_tour_prepare(const struct lc_manifest *m, const struct lc_config *base,
			    struct lc_twin_tour *tt, struct lc_config cfgs[LC_MAX_TWINS])
{
	char langs[LC_MAX_TWINS][16], why[256];
	size_t n = lc_twin_langs(m, langs, LC_MAX_TWINS), i;

	memset(tt, 0, sizeof(*tt));
	for (i = 0; i < n; i++) {
		struct lc_twin *t = &tt->twin[tt->n];

		if (lc_twin_find(m, langs[i], t, why, sizeof(why)) != 0)
			continue;
		cfgs[tt->n] = *base;
		if (!t->skip)
			lc_twin_apply(t, &cfgs[tt->n], 0);
		tt->n++;
	}
	return tt->n;
}

void lc_twin_tour_free(struct lc_twin_tour *tt)
{
	size_t i;
	int v;

	for (i = 0; i < tt->n; i++)
		for (v = 0; v < 2; v++)
			if (tt->ran[i][v])
				lc_run_free(&tt->runs[i][v]);
	memset(tt, 0, sizeof(*tt));
}

int lc_twin_crosscheck(const struct lc_run *run, char *out, size_t size)
{
	static const char *const names[LC_NPOINTS] = {"the baseline", "N", "2N"};
	int i;

	for (i = 0; i < LC_NPOINTS; i++) {
		const struct lc_point *p = &run->points[i];

		if (run->probe_threads[i] < 0 || run->probe_fds[i] < 0) {
			snprintf(out, size, "cross-check: the program reported no threads and fds");
			return -1;
		}
		/*
		 * /proc is read just before the request and just after it; a
		 * runtime may start a thread of its own in between (Go's
		 * scheduler does, for the request). The program's view agrees if
		 * it is one of the two.
		 */
		bool threads_ok = run->probe_threads[i] == p->threads ||
				  run->probe_threads[i] == run->probe_before_threads[i];
		bool fds_ok = run->probe_fds[i] == p->fds + 1 ||
			      run->probe_fds[i] == run->probe_before_fds[i] + 1;

		if (!threads_ok || !fds_ok) {
			snprintf(out, size,
				 "cross-check: DISAGREE at %s: /proc threads %ld, fds %ld; the "
				 "program's own threads %ld, fds %ld (expected the same, and one "
				 "more fd)",
				 names[i], p->threads, p->fds, run->probe_threads[i],
				 run->probe_fds[i]);
			return 0;
		}
	}
	snprintf(out, size,
		 "cross-check: /proc and the program's /metrics agree at every point (threads "
		 "equal, fds one more: the request's socket)");
	return 1;
}

/* The first signal of mask, in the order the table prefers (the count first). */
static int main_signal(unsigned mask)
{
	static const enum lc_signal order[] = {LC_RUNTIME, LC_THREADS, LC_FDS, LC_HEAP, LC_RACE};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (mask & LC_SIG_BIT(order[i]))
			return (int)order[i];
	return -1;
}

/*
 * "goroutines +2.00", "heap +1208 B", "race 3" (reports or broken clients
 * at exit), "no 1001 +1.00" (a shutdown run: clients that got no close
 * frame, in every language), "-" when not run or not judged.
 */
static void cell_text(char *buf, size_t size, const struct lc_run *run, int s, const char *name)
{
	const struct lc_signal_result *r;

	if (!run->judged) {
		snprintf(buf, size, "no verdict");
		return;
	}
	if (run->nscenarios > 0 && run->scenarios[0] == LC_SC_SHUTDOWN) {
		r = &run->verdict.sig[LC_THREADS];
		snprintf(buf, size, "no 1001 %+.2f", r->per_client);
		return;
	}
	if (s < 0) {
		snprintf(buf, size, "-");
		return;
	}
	r = &run->verdict.sig[s];
	if (s == LC_RACE)
		snprintf(buf, size, "race %.0f", r->at_2n);
	else if (!r->measured)
		snprintf(buf, size, "%s -", name);
	else if (s == LC_HEAP)
		snprintf(buf, size, "%s %+.0f B", name, lc_round_shown(r->per_client));
	else
		snprintf(buf, size, "%s %+.2f", name, r->per_client);
}

void lc_twin_tour_table(FILE *out, const struct lc_tour_case *tc, const struct lc_twin_tour *tt,
			size_t n)
{
	static const char *const cols[] = {"go", "node", "python", "java"};
	size_t i, k, j;
	int v;
	bool any = false;

	for (i = 0; i < n; i++)
		any = any || tt[i].n > 0;
	if (!any)
		return;
	fprintf(out, "\nthe same leak across languages (native): growth per client at 2N of the "
		     "signal each leak shows\n");
	fprintf(out, "%-24s %-6s %-20s %-20s %-20s %-20s %-20s\n", "case", "", "C", "Go", "Node.js",
		"Python", "Java");
	for (i = 0; i < n; i++) {
		int cs = main_signal(tc[i].signals);

		if (tt[i].n == 0)
			continue;
		for (v = LC_LEAK; v <= LC_FIXED; v++) {
			char cells[5][40];

			if (tc[i].ran[v][LC_NATIVE])
				cell_text(cells[0], sizeof(cells[0]), &tc[i].runs[v][LC_NATIVE], cs,
					  cs >= 0 ? lc_signal_name((enum lc_signal)cs) : "");
			else
				snprintf(cells[0], sizeof(cells[0]), "-");
			for (k = 0; k < 4; k++) {
				snprintf(cells[k + 1], sizeof(cells[k + 1]), "-");
				for (j = 0; j < tt[i].n; j++) {
					const struct lc_twin *t = &tt[i].twin[j];
					int s = main_signal(t->expect);

					if (strcmp(t->lang, cols[k]) != 0)
						continue;
					if (t->skip)
						snprintf(cells[k + 1], sizeof(cells[k + 1]),
							 "skipped");
					else if (tt[i].ran[j][v])
						cell_text(cells[k + 1], sizeof(cells[k + 1]),
							  &tt[i].runs[j][v], s,
							  s == LC_RUNTIME
							      ? t->runtime.name
							      : lc_signal_name((enum lc_signal)s));
				}
			}
			fprintf(out, "%-24s %-6s %-20s %-20s %-20s %-20s %-20s\n",
				v == LC_LEAK ? tc[i].name : "", lc_variant_name((enum lc_variant)v),
				cells[0], cells[1], cells[2], cells[3], cells[4]);
		}
	}
}
