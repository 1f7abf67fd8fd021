/*
 * plan.c - the plan of a case (plan.h): what leaklab-check would run and
 * judge, as JSON for the tools in other languages, and as the lines the
 * course shows a student. Every sentence comes from the C beside its
 * check: lc_behaviour_describe, lc_signal_says, lc_limit_says.
 */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "judge/judge.h"
#include "twin.h"

/* s as a JSON string (RFC 8259 section 7), or null. */
static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The signals of mask as a JSON list of names; runtime by its twin's name when given. */
static void json_signals(FILE *f, unsigned mask, const char *runtime_name)
{
	const char *sep = "";
	int s;

	fputc('[', f);
	for (s = 0; s < LC_NSIGNALS; s++) {
		if (!(mask & LC_SIG_BIT(s)))
			continue;
		fputs(sep, f);
		json_str(f, s == LC_RUNTIME && runtime_name && runtime_name[0]
				? runtime_name
				: lc_signal_name((enum lc_signal)s));
		sep = ", ";
	}
	fputc(']', f);
}

static void json_scenarios(FILE *f, const enum lc_scenario_kind *k, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, lc_scenario_name(k[i]));
	}
	fputc(']', f);
}

static void json_limit(FILE *f, enum lc_limit l, const char *name, double heap_limit)
{
	char says[400];

	lc_limit_says(l, heap_limit, says, sizeof(says));
	fputs("{\"name\": ", f);
	json_str(f, name);
	/* The numbers themselves, for a tool that draws or checks against them. */
	if (l == LC_LIMIT_LEAK_GROWS)
		fprintf(f,
			", \"min_per_client\": {\"threads\": %g, \"fds\": %g, \"heap\": %g}, "
			"\"ratio\": [%g, %g]",
			LC_MIN_PER_CLIENT_COUNT, LC_MIN_PER_CLIENT_COUNT, LC_MIN_PER_CLIENT_HEAP,
			LC_RATIO_MIN, LC_RATIO_MAX);
	else if (l == LC_LIMIT_FIX_FLAT)
		fprintf(f, ", \"heap_bytes_per_client\": %g",
			heap_limit > 0 ? heap_limit : LC_MAX_PER_CLIENT_HEAP_FIXED);
	fputs(", \"says\": ", f);
	json_str(f, says);
	fputc('}', f);
}

/* What a mode measures: memcheck adds lost bytes, DRD has no heap count but races. */
static unsigned measured_in(enum lc_mode md)
{
	unsigned both = LC_SIG_BIT(LC_THREADS) | LC_SIG_BIT(LC_FDS);

	switch (md) {
	case LC_NATIVE: return both | LC_SIG_BIT(LC_HEAP) | LC_SIG_BIT(LC_RACE);
	case LC_MEMCHECK: return both | LC_SIG_BIT(LC_HEAP) | LC_SIG_BIT(LC_LOST);
	case LC_DRD: return both | LC_SIG_BIT(LC_RACE);
	}
	return both;
}

/* One variant in one mode: what is driven, measured and judged. */
static void json_run(FILE *f, const struct lc_config *cfg, enum lc_variant v, enum lc_mode md)
{
	const enum lc_scenario_kind *sc = cfg->scenarios;
	size_t nsc = cfg->nscenarios;
	unsigned measured = measured_in(md), judged;
	long warmup = cfg->warmup >= 0		      ? cfg->warmup
		      : cfg->load < LC_DEFAULT_WARMUP ? cfg->load
						      : LC_DEFAULT_WARMUP;

	if (v == LC_FIXED && cfg->nfixed_scenarios > 0) {
		sc = cfg->fixed_scenarios;
		nsc = cfg->nfixed_scenarios;
	}
	if (v == LC_LEAK)
		judged = md == LC_NATIVE ? cfg->expect : cfg->memcheck_expect;
	else
		judged = measured & (cfg->judged ? cfg->judged : ~LC_SIG_BIT(LC_RUNTIME));
	fputs("{\"variant\": ", f);
	json_str(f, lc_variant_name(v));
	fputs(", \"mode\": ", f);
	json_str(f, lc_mode_name(md));
	fputs(", \"program\": ", f);
	json_str(f, v == LC_LEAK ? cfg->leak_program : cfg->fixed_program);
	fputs(", \"scenarios\": ", f);
	json_scenarios(f, sc, nsc);
	fprintf(f, ", \"load\": %ld, \"warmup\": %ld, \"unit\": ", cfg->load, warmup);
	json_str(f, lc_scenario_unit(sc[0]));
	fputs(", \"measured\": ", f);
	json_signals(f, measured, cfg->runtime.name);
	fputs(", \"judged\": ", f);
	json_signals(f, judged, cfg->runtime.name);
	fputs(", \"limits\": [", f);
	if (v == LC_LEAK) {
		json_limit(f, LC_LIMIT_LEAK_GROWS, "leak-grows", 0);
	} else {
		json_limit(f, LC_LIMIT_FIX_FLAT, "fix-flat", cfg->heap_limit);
		if (md == LC_MEMCHECK) {
			fputs(", ", f);
			json_limit(f, LC_LIMIT_MEMCHECK_EXIT, "memcheck-exit", 0);
		} else if (md == LC_DRD) {
			fputs(", ", f);
			json_limit(f, LC_LIMIT_DRD_EXIT, "drd-exit", 0);
		}
	}
	fputs("]}", f);
}

static void json_twins(FILE *f, const struct lc_case *c)
{
	char langs[LC_MAX_TWINS][16], why[256];
	size_t i, n = lc_twin_langs(&c->raw, langs, LC_MAX_TWINS);

	fputc('[', f);
	for (i = 0; i < n; i++) {
		struct lc_twin t;

		fputs(i ? ",\n    " : "\n    ", f);
		if (lc_twin_find(&c->raw, langs[i], &t, why, sizeof(why)) != 0) {
			fputs("{\"lang\": ", f);
			json_str(f, langs[i]);
			fputs(", \"error\": ", f);
			json_str(f, why);
			fputc('}', f);
			continue;
		}
		fputs("{\"lang\": ", f);
		json_str(f, t.lang);
		fputs(", \"leak\": ", f);
		json_str(f, t.leak);
		fputs(", \"fixed\": ", f);
		json_str(f, t.fixed);
		fputs(", \"skip\": ", f);
		json_str(f, t.skip);
		fputs(", \"runtime\": ", f);
		json_str(f, t.runtime.name[0] ? t.runtime.name : NULL);
		fputs(", \"expect\": ", f);
		json_signals(f, t.expect, t.runtime.name);
		fputs(", \"judged\": ", f);
		json_signals(f, t.judged, t.runtime.name);
		fprintf(f, ", \"heap_limit\": %g, \"load\": %ld, \"warmup\": %ld}",
			t.heap_limit > 0 ? t.heap_limit : LC_MAX_PER_CLIENT_HEAP_FIXED,
			t.load > 0 ? t.load : c->load, t.warmup);
	}
	fputs(n ? "\n  ]" : "]", f);
}

/* The course's lines, in the order the JSON's "student" list holds them. */
static size_t student_lines(const struct lc_case *c, const struct lc_config *cfg, char lines[][400],
			    size_t max)
{
	char verify[200] = "", limit[300];
	size_t n = 0, i;
	int len = 0;
	const enum lc_scenario_kind *sc = c->nverify ? c->verify : c->scenarios;
	size_t nsc = c->nverify ? c->nverify : c->nscenarios;

	snprintf(lines[n++], 400,
		 "./leaklab verify %.2s judges your file, natively and under %s:", c->name,
		 c->checker == LC_CHECKER_DRD ? "DRD (the race detector)" : "memcheck");
	for (i = 0; i < c->nbehaviours && n < max; i++) {
		char what[300];

		lc_behaviour_describe(&c->behaviours[i], what, sizeof(what));
		snprintf(lines[n++], 400, "  - the feature still works: %s", what);
	}
	for (i = 0; i < nsc && len >= 0 && (size_t)len < sizeof(verify); i++)
		len += snprintf(verify + len, sizeof(verify) - (size_t)len, "%s%s", i ? " " : "",
				lc_scenario_name(sc[i]));
	if (n < max)
		snprintf(lines[n++], 400,
			 "  - clients on every way a connection ends (%s):", verify);
	lc_limit_says(LC_LIMIT_FIX_FLAT, cfg->heap_limit, limit, sizeof(limit));
	if (n < max)
		snprintf(lines[n++], 400, "    %s", limit);
	lc_limit_says(c->checker == LC_CHECKER_DRD ? LC_LIMIT_DRD_EXIT : LC_LIMIT_MEMCHECK_EXIT, 0,
		      limit, sizeof(limit));
	if (n < max)
		snprintf(lines[n++], 400, "  - %s", limit);
	return n;
}

void lc_plan_text(FILE *f, const struct lc_case *c, const struct lc_config *cfg)
{
	char lines[LC_MAX_BEHAVIOURS + 8][400];
	size_t i, n = student_lines(c, cfg, lines, sizeof(lines) / sizeof(lines[0]));

	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
}

void lc_plan_json(FILE *f, const struct lc_case *c, const struct lc_config *cfg)
{
	char lines[LC_MAX_BEHAVIOURS + 8][400];
	size_t i, n;
	int v, s;
	enum lc_mode checker = c->checker == LC_CHECKER_DRD ? LC_DRD : LC_MEMCHECK;

	fputs("{\n  \"name\": ", f);
	json_str(f, c->name);
	fputs(",\n  \"summary\": ", f);
	json_str(f, c->summary);
	fputs(",\n  \"source\": ", f);
	json_str(f, c->source);
	fputs(",\n  \"checker\": ", f);
	json_str(f, lc_mode_name(checker));
	fputs(",\n  \"programs\": {\"leak\": ", f);
	json_str(f, c->leak);
	fputs(", \"fixed\": ", f);
	json_str(f, c->fixed);
	fputs(", \"exercise\": ", f);
	json_str(f, c->exercise);
	fputs("},\n  \"program_args\": [", f);
	for (i = 0; i < c->nprogram_args; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, c->program_args[i]);
	}
	fprintf(f, "],\n  \"tls\": %s,\n  \"client\": {\"path\": ", c->tls ? "true" : "false");
	json_str(f, c->path ? c->path : "/");
	fputs(", \"bad_path\": ", f);
	json_str(f, c->bad_path ? c->bad_path : "/?token=bad");
	fputs(", \"request\": ", f);
	json_str(f, c->request);
	fputs("},\n  \"scenario\": ", f);
	json_str(f, lc_scenario_name(c->scenarios[0]));
	fputs(",\n  \"scenarios\": ", f);
	json_scenarios(f, c->scenarios, c->nscenarios);
	fputs(",\n  \"verify\": ", f);
	json_scenarios(f, c->nverify ? c->verify : c->scenarios,
		       c->nverify ? c->nverify : c->nscenarios);
	fprintf(f, ",\n  \"load\": %ld,\n  \"settle_ms\": %d,\n  \"unit\": ", c->load,
		c->settle_ms);
	json_str(f, lc_scenario_unit(c->scenarios[0]));
	fputs(",\n  \"expect\": ", f);
	json_signals(f, c->expect, NULL);
	fputs(",\n  \"memcheck_expect\": ", f);
	json_signals(f, c->memcheck_expect, NULL);
	fputs(",\n  \"signals\": {", f);
	for (s = 0; s < LC_NSIGNALS; s++) {
		fputs(s ? ", " : "", f);
		json_str(f, lc_signal_name((enum lc_signal)s));
		fputs(": ", f);
		json_str(f, lc_signal_says((enum lc_signal)s));
	}
	fputs("},\n  \"behaviours\": [", f);
	for (i = 0; i < c->nbehaviours; i++) {
		char what[300];
		const char *kind;

		lc_behaviour_describe(&c->behaviours[i], what, sizeof(what));
		kind = c->raw.behaviours[i];
		fputs(i ? ",\n    {\"line\": " : "\n    {\"line\": ", f);
		json_str(f, kind);
		fprintf(f, ", \"kind\": \"%.*s\", \"says\": ", (int)strcspn(kind, " \t"), kind);
		json_str(f, what);
		fputc('}', f);
	}
	fputs(c->nbehaviours ? "\n  ],\n  \"runs\": [" : "],\n  \"runs\": [", f);
	for (v = LC_LEAK; v <= LC_FIXED; v++) {
		fputs(v == LC_LEAK ? "\n    " : ",\n    ", f);
		json_run(f, cfg, (enum lc_variant)v, LC_NATIVE);
		fputs(",\n    ", f);
		json_run(f, cfg, (enum lc_variant)v, checker);
	}
	fputs("\n  ],\n  \"twins\": ", f);
	json_twins(f, c);
	fputs(",\n  \"student\": [", f);
	n = student_lines(c, cfg, lines, sizeof(lines) / sizeof(lines[0]));
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_str(f, lines[i]);
	}
	fputs("\n  ]\n}\n", f);
}
