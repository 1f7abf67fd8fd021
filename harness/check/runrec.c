/*
 * runrec.c - a check's record (runrec.h).
 *
 * One "key value" line a field, then "csv" and the run's CSV rows:
 *
 *   leaklab-run 1
 *   variant 0
 *   ...
 *   sig 2 1 0x1p+1 0x1p+1 0x1.4p+5 2
 *   csv
 *   leak,native,0,warmup,0,5,12,,,3338240,0,,
 *
 * Doubles are written in C's hexadecimal form, so they read back exactly;
 * the enums as numbers, which a record of an older build never meets
 * (it is stale).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "judge/report.h"
#include "runrec.h"

#define RUNREC_MAGIC "leaklab-run 1\n"

int lc_runrec_path(char *buf, size_t size, const char *dir, const char *args)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;
	char line[1024], hex[2 * EVP_MAX_MD_SIZE + 1];
	int n = snprintf(line, sizeof(line), "%s\n", args);

	if (n < 0 || (size_t)n >= sizeof(line) ||
	    EVP_Digest(line, (size_t)n, md, &len, EVP_sha1(), NULL) != 1)
		return LL_ETOOBIG;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * len] = '\0';
	n = snprintf(buf, size, "%s/%s.run", dir, hex);
	return n < 0 || (size_t)n >= size ? LL_ETOOBIG : 0;
}

/* "key text" on one line: a newline in text would end the field early. */
static void put_text(FILE *f, const char *key, const char *text)
{
	fprintf(f, "%s ", key);
	for (; *text; text++)
		fputc(*text == '\n' || *text == '\r' ? ' ' : *text, f);
	fputc('\n', f);
}

int lc_runrec_write(const char *path, const struct lc_run *run)
{
	const struct lc_memcheck *mc = &run->mc;
	char tmp[4096];
	FILE *f;
	int s, bad;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return LL_EIO;
	f = fopen(tmp, "we");
	if (!f)
		return LL_EIO;
	fputs(RUNREC_MAGIC, f);
	fprintf(f, "variant %d\nmode %d\nexit_code %d\njudged %d\nduration_ms %ld\n",
		(int)run->variant, (int)run->mode, run->exit_code, (int)run->judged,
		run->duration_ms);
	fprintf(f, "scenarios %zu %d\n", run->nscenarios,
		run->nscenarios ? (int)run->scenarios[0] : 0);
	put_text(f, "line", run->verdict.line);
	put_text(f, "error", run->error);
	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &run->verdict.sig[s];

		fprintf(f, "sig %d %d %a %a %a %d\n", s, (int)r->measured, r->per_client, r->ratio,
			r->at_2n, (int)r->status);
	}
	fprintf(f, "mc %d %ld %lld %lld %lld %lld %ld\n", (int)mc->parsed, mc->errors,
		mc->definitely, mc->indirectly, mc->possibly, mc->reachable, mc->fds_open);
	fprintf(f, "drd %d %ld %ld\n", (int)run->drd.parsed, run->drd.races, run->drd.other_errors);
	fputs("csv\n", f);
	lc_report_csv_rows(f, run);
	bad = fflush(f) != 0 || ferror(f);
	bad = fclose(f) != 0 || bad;
	if (bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return LL_EIO;
	}
	return 0;
}

/* True when a was modified before b. */
static bool older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Parses one "key ..." line into run; returns false on a line it does not know. */
static bool parse_line(char *line, struct lc_run *run)
{
	char *text = strchr(line, ' ');
	int a = 0, b = 0, c = 0, d = 0;
	size_t z = 0;
	double x = 0, y = 0, w = 0;
	long l1 = 0, l2 = 0, l3 = 0;
	long long q1 = 0, q2 = 0, q3 = 0, q4 = 0;

	if (!text)
		return false;
	*text++ = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (strcmp(line, "line") == 0)
		snprintf(run->verdict.line, sizeof(run->verdict.line), "%s", text);
	else if (strcmp(line, "error") == 0)
		snprintf(run->error, sizeof(run->error), "%s", text);
	else if (strcmp(line, "variant") == 0 && sscanf(text, "%d", &a) == 1)
		run->variant = (enum lc_variant)a;
	else if (strcmp(line, "mode") == 0 && sscanf(text, "%d", &a) == 1)
		run->mode = (enum lc_mode)a;
	else if (strcmp(line, "exit_code") == 0 && sscanf(text, "%d", &a) == 1)
		run->exit_code = run->verdict.exit_code = a;
	else if (strcmp(line, "judged") == 0 && sscanf(text, "%d", &a) == 1)
		run->judged = a != 0;
	else if (strcmp(line, "duration_ms") == 0 && sscanf(text, "%ld", &l1) == 1)
		run->duration_ms = l1;
	else if (strcmp(line, "scenarios") == 0 && sscanf(text, "%zu %d", &z, &a) == 2 &&
		 z <= LC_MAX_SCENARIOS) {
		run->nscenarios = z;
		if (z)
			run->scenarios[0] = (enum lc_scenario_kind)a;
	} else if (strcmp(line, "sig") == 0 &&
		   sscanf(text, "%d %d %la %la %la %d", &a, &b, &x, &y, &w, &c) == 6 && a >= 0 &&
		   a < LC_NSIGNALS) {
		struct lc_signal_result *r = &run->verdict.sig[a];

		r->measured = b != 0;
		r->per_client = x;
		r->ratio = y;
		r->at_2n = w;
		r->status = (enum lc_status)c;
	} else if (strcmp(line, "mc") == 0 && sscanf(text, "%d %ld %lld %lld %lld %lld %ld", &a,
						     &l1, &q1, &q2, &q3, &q4, &l2) == 7) {
		run->mc.parsed = a != 0;
		run->mc.errors = l1;
		run->mc.definitely = q1;
		run->mc.indirectly = q2;
		run->mc.possibly = q3;
		run->mc.reachable = q4;
		run->mc.fds_open = l2;
	} else if (strcmp(line, "drd") == 0 && sscanf(text, "%d %ld %ld", &d, &l1, &l3) == 3) {
		run->drd.parsed = d != 0;
		run->drd.races = l1;
		run->drd.other_errors = l3;
	} else {
		return false;
	}
	return true;
}

int lc_runrec_read(const char *path, const char *const *newer_than, struct lc_run *run, char **csv)
{
	char line[2048];
	struct stat st, other;
	long at;
	size_t i, n;
	FILE *f;
	int err = LL_EPROTO;

	memset(run, 0, sizeof(*run));
	*csv = NULL;
	if (stat(path, &st) != 0)
		return LL_EIO;
	for (i = 0; newer_than && newer_than[i]; i++)
		if (stat(newer_than[i], &other) != 0 || older(&st.st_mtim, &other.st_mtim))
			return LL_EIO;
	f = fopen(path, "re");
	if (!f)
		return LL_EIO;
	if (!fgets(line, sizeof(line), f) || strcmp(line, RUNREC_MAGIC) != 0)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "csv\n") == 0) {
			at = ftell(f);
			if (at < 0 || at > st.st_size)
				goto out;
			n = (size_t)(st.st_size - at);
			*csv = ll_malloc(n + 1);
			if (!*csv) {
				err = LL_ENOMEM;
				goto out;
			}
			n = fread(*csv, 1, n, f);
			(*csv)[n] = '\0';
			err = 0;
			goto out;
		}
		if (!parse_line(line, run))
			goto out;
	}
out:
	fclose(f);
	if (err) {
		ll_free(*csv);
		*csv = NULL;
	}
	return err;
}
