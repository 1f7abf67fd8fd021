/*
 * report.c - what a probe tells: the table a person reads, the JSON a
 * program reads, the JUnit XML a CI job shows, and the CSV the growth
 * plot is drawn from (report.h).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const point_names[PB_NPOINTS] = {"base", "N", "2N", "4N"};

static void cell(char *buf, size_t size, double v)
{
	if (v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.0f", v);
}

/* The verdict column: a signal not judged says so, a judged one says how it went. */
static const char *verdict_text(const struct pb_result *res, int s)
{
	static char buf[64];

	if (!res->info[s])
		return pb_status_text(res->sig[s].status);
	snprintf(buf, sizeof(buf), "%s (not judged)",
		 res->sig[s].status == PB_GROWS ? "grows" : pb_status_text(res->sig[s].status));
	return buf;
}

void pb_report_table(FILE *out, const struct pb_config *cfg, const struct pb_result *res)
{
	char scen[256] = "";
	size_t len = 0;
	int i, s;

	for (i = 0; i < cfg->nscenarios; i++)
		len += (size_t)snprintf(scen + len, sizeof(scen) - len, "%s%s", i ? "," : "",
					lc_scenario_name(cfg->scenarios[i]));
	fprintf(out, "\n== %s ==\n", res->command[0] ? res->command : cfg->argv[0]);
	fprintf(out, "port %u, %s, scenarios %s, N = %ld of each\n", res->port,
		cfg->memcheck ? "under memcheck" : "native", scen, cfg->load);
	if (res->pts[PB_P_4N].load > 0) {
		char b[PB_NPOINTS + 1][24];

		fprintf(out, "%-24s %29s %10s\n", "", "-------- clients gone -------",
			"held at 4N");
		fprintf(out, "%-14s %9s %9s %9s %9s %10s  %-20s %s\n", "signal", "baseline", "at N",
			"at 2N", "at 4N", "(2N open)", "per client (spread)", "verdict");
		for (s = 0; s < PB_NSIGNALS; s++) {
			const struct pb_judged *j = &res->sig[s];
			char slope[48];

			if (!res->measured[s])
				continue;
			for (i = 0; i < PB_NPOINTS; i++)
				cell(b[i], sizeof(b[i]), res->pts[i].v[s]);
			cell(b[PB_NPOINTS], sizeof(b[PB_NPOINTS]), res->held[PB_P_4N].v[s]);
			if (res->exit_code == 2)
				snprintf(slope, sizeof(slope), "-");
			else
				snprintf(slope, sizeof(slope), "%+.2f (%.2f)", j->fit.slope,
					 j->fit.spread);
			fprintf(out, "%-14s %9s %9s %9s %9s %10s  %-20s %s\n",
				pb_signal_name(cfg, (enum pb_signal)s), b[0], b[1], b[2], b[3],
				b[4], slope, res->exit_code == 2 ? "-" : verdict_text(res, s));
		}
		fprintf(out, "settled:");
		for (i = 0; i < PB_NPOINTS; i++)
			fprintf(out, "%s %s %s (%ld ms)", i ? "," : "", point_names[i],
				res->pts[i].settled ? "yes" : "NO", res->pts[i].settle_ms);
		fprintf(out, "\n");
		fprintf(out, "clients: %ld ok, %ld failed, %ld could not connect%s%s\n",
			res->clients_ok, res->clients_failed, res->clients_refused,
			res->client_error[0] ? "; first: " : "", res->client_error);
	}
	if (res->mc_read)
		fprintf(out, "memcheck at exit: %ld errors%s%s, %lld bytes lost\n", res->mc_errors,
			res->mc_errors ? ", first: " : "",
			res->mc_errors ? res->mc_first_error : "", res->mc_lost);
	if (res->exit_text[0])
		fprintf(out, "stopped: %s%s\n", res->exit_text,
			res->killed ? " (killed: it ignored SIGTERM)" : "");
	for (i = 0; i < res->nnotes; i++)
		fprintf(out, "note: %s\n", res->notes[i]);
	if (res->exit_code != 0 && res->logdir[0])
		fprintf(out, "logs kept in %s\n", res->logdir);
	fprintf(out, "verdict: %s (exit %d)\n", res->line, res->exit_code);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* A number, or null for "not measured" (JSON has no NaN). */
static void json_num(FILE *f, double v)
{
	if (v < 0 || !isfinite(v))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", v);
}

static const char *status_key(enum pb_status st)
{
	switch (st) {
	case PB_NOT_MEASURED: return "not-measured";
	case PB_UNKNOWN: return "unknown";
	case PB_FLAT: return "flat";
	case PB_DRAINS: return "drains-back";
	case PB_GROWS: return "grows";
	}
	return "?";
}

int pb_report_json(const char *path, const struct pb_config *cfg, const struct pb_result *res)
{
	FILE *f = fopen(path, "w");
	int i, s;
	bool first = true;

	if (!f)
		return -1;
	fprintf(f, "{\n  \"command\": ");
	json_str(f, res->command);
	fprintf(f, ",\n  \"port\": %u,\n  \"mode\": \"%s\",\n  \"load\": %ld,\n  \"scenarios\": [",
		res->port, cfg->memcheck ? "memcheck" : "native", cfg->load);
	for (i = 0; i < cfg->nscenarios; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", lc_scenario_name(cfg->scenarios[i]));
	fprintf(f, "],\n  \"signals\": {");
	for (s = 0; s < PB_NSIGNALS; s++) {
		const struct pb_judged *j = &res->sig[s];

		if (!res->measured[s])
			continue;
		fprintf(f, "%s\n    ", first ? "" : ",");
		first = false;
		json_str(f, pb_signal_name(cfg, (enum pb_signal)s));
		fprintf(f, ": {\"gone\": [");
		for (i = 0; i < PB_NPOINTS; i++) {
			fprintf(f, "%s", i ? ", " : "");
			json_num(f, res->pts[i].v[s]);
		}
		fprintf(f, "], \"held\": [");
		for (i = 0; i < PB_NPOINTS; i++) {
			fprintf(f, "%s", i ? ", " : "");
			json_num(f, res->held[i].v[s]);
		}
		fprintf(f,
			"], \"per_client\": %.6g, \"spread\": %.6g, \"held_per_client\": %.6g, "
			"\"held_spread\": %.6g, \"at_4n_minus_base\": %.6g, \"verdict\": \"%s\", "
			"\"judged\": %s}",
			j->fit.slope, j->fit.spread, j->held_fit.slope, j->held_fit.spread,
			j->residual, status_key(j->status), res->info[s] ? "false" : "true");
	}
	fprintf(f, "\n  },\n  \"loads\": [");
	for (i = 0; i < PB_NPOINTS; i++)
		fprintf(f, "%s%ld", i ? ", " : "", res->pts[i].load);
	fprintf(f, "],\n  \"held_loads\": [");
	for (i = 0; i < PB_NPOINTS; i++)
		fprintf(f, "%s%ld", i ? ", " : "", res->held[i].load);
	fprintf(f, "],\n  \"settled\": [");
	for (i = 0; i < PB_NPOINTS; i++)
		fprintf(f, "%s%s", i ? ", " : "", res->pts[i].settled ? "true" : "false");
	fprintf(f,
		"],\n  \"clients\": {\"ok\": %ld, \"failed\": %ld, \"could_not_connect\": %ld, "
		"\"first_error\": ",
		res->clients_ok, res->clients_failed, res->clients_refused);
	json_str(f, res->client_error);
	fprintf(f, "},\n  \"stopped\": ");
	json_str(f, res->exit_text);
	fprintf(f, ",\n  \"killed\": %s,\n  \"leftovers_killed\": %ld,\n",
		res->killed ? "true" : "false", res->leftovers);
	if (res->mc_read)
		fprintf(f, "  \"memcheck\": {\"errors\": %ld, \"lost_bytes\": %lld},\n",
			res->mc_errors, res->mc_lost);
	fprintf(f, "  \"notes\": [");
	for (i = 0; i < res->nnotes; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, res->notes[i]);
	}
	fprintf(f, "],\n  \"exit\": %d,\n  \"verdict\": ", res->exit_code);
	json_str(f, res->line);
	fprintf(f, ",\n  \"logs\": ");
	json_str(f, res->logdir);
	fprintf(f, "\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* Text for an XML attribute or element. */
static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

/*
 * One testcase per signal (a leak is a failure), and one for the run
 * itself: a run with no verdict is an error, so a CI job never shows a
 * crashed server as green.
 */
int pb_report_junit(const char *path, const struct pb_config *cfg, const struct pb_result *res)
{
	FILE *f = fopen(path, "w");
	int s, tests = 1, failures = 0, errors = res->exit_code == 2;

	if (!f)
		return -1;
	for (s = 0; s < PB_NSIGNALS; s++) {
		if (!res->measured[s] || res->exit_code == 2)
			continue;
		tests++;
		failures += res->sig[s].status == PB_GROWS && !res->info[s];
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<testsuite name=\"leaklab-probe\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n",
		tests, failures, errors);
	fprintf(f, "  <properties><property name=\"command\" value=\"");
	xml_str(f, res->command);
	fprintf(f, "\"/></properties>\n");
	fprintf(f, "  <testcase classname=\"leaklab-probe\" name=\"run\">");
	if (res->exit_code == 2) {
		fprintf(f, "<error message=\"");
		xml_str(f, res->error);
		fprintf(f, "\">logs: ");
		xml_str(f, res->logdir);
		fprintf(f, "</error>");
	}
	fprintf(f, "<system-out>");
	xml_str(f, res->line);
	for (s = 0; s < res->nnotes; s++) {
		fprintf(f, "\nnote: ");
		xml_str(f, res->notes[s]);
	}
	fprintf(f, "</system-out></testcase>\n");
	for (s = 0; s < PB_NSIGNALS && res->exit_code != 2; s++) {
		const struct pb_judged *j = &res->sig[s];

		if (!res->measured[s])
			continue;
		fprintf(f, "  <testcase classname=\"leaklab-probe\" name=\"");
		xml_str(f, pb_signal_name(cfg, (enum pb_signal)s));
		fprintf(f, "\">");
		if (j->status == PB_GROWS && !res->info[s])
			fprintf(f,
				"<failure message=\"grows with the load: %+.2f (spread %.2f) per "
				"client, %+.0f at 4N with every client gone\"/>",
				j->fit.slope, j->fit.spread, j->residual);
		fprintf(f,
			"<system-out>%s: baseline %.0f, at 4N %.0f with every client gone, %.0f "
			"with %ld held</system-out>",
			verdict_text(res, s), res->pts[PB_P_BASE].v[s], res->pts[PB_P_4N].v[s],
			res->held[PB_P_4N].v[s], res->held[PB_P_4N].load);
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
	return fclose(f) == 0 ? 0 : -1;
}

int pb_report_csv(const char *path, const struct pb_config *cfg, const struct pb_result *res)
{
	FILE *f = fopen(path, "w");
	int i, s;

	if (!f)
		return -1;
	fprintf(f, "point,load");
	for (s = 0; s < PB_NSIGNALS; s++)
		if (res->measured[s])
			fprintf(f, ",%s", pb_signal_name(cfg, (enum pb_signal)s));
	fprintf(f, "\n");
	for (i = 0; i < 2 * PB_NPOINTS; i++) {
		const struct pb_sample *p =
		    i < PB_NPOINTS ? &res->pts[i] : &res->held[i - PB_NPOINTS];

		if (i == PB_NPOINTS)
			continue; /* the held line starts at the baseline too */
		fprintf(f, "%s%s,%ld", i < PB_NPOINTS ? "" : "held-", point_names[i % PB_NPOINTS],
			p->load);
		for (s = 0; s < PB_NSIGNALS; s++)
			if (res->measured[s])
				fprintf(f, ",%.0f", p->v[s]);
		fprintf(f, "\n");
	}
	fprintf(f, "# verdicts");
	for (s = 0; s < PB_NSIGNALS; s++)
		if (res->measured[s])
			fprintf(f, ",%s=%s%s", pb_signal_name(cfg, (enum pb_signal)s),
				status_key(res->sig[s].status), res->info[s] ? "-not-judged" : "");
	fprintf(f, "\n");
	return fclose(f) == 0 ? 0 : -1;
}
