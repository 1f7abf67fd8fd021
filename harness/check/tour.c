/*
 * tour.c - the tour (tour.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include "tour.h"
#include "judge/judge.h"
#include "model.h"
#include "measure/proc.h"
#include "judge/report.h"
#include "run.h"
#include "drive/scenario.h"
#include "judge/teach.h"
#include "runrec.h"
#include "twin.h"

/* ----- the tour: every case, leak beside fix, one table ----- */

/*
 * The tour's checks run several at a time: each mostly waits (for a ready
 * line, for counts to settle, for Valgrind), and every check measures its
 * own program from outside, so they do not disturb each other's counts.
 * On two cores the whole tour (14 cases, 15 twins, 92 checks, 104 to
 * 123 s of CPU) took 97 s with 3 at once, 84 s with 4, 67 s with 5 and
 * 70 s with 6: twice the cores and one more. A case's lines are printed,
 * in case order, once its checks are all done.
 */
struct tour_job {
	int i;
	enum lc_variant v;
	enum lc_mode md;
	int twin; /* its index in the case's twins, or -1 for the C programs */
};

struct tour_state {
	struct lc_tour_case *tc;
	struct lc_twin_tour *tt;
	struct lc_config *cfgs; /* per case; point into the manifests */
	struct lc_config (*twin_cfgs)[LC_MAX_TWINS];
	int *pending; /* per case: checks not yet done */
	struct tour_job *jobs;
	size_t njobs, next;
	pthread_mutex_t lock;
	pthread_cond_t done;
	/*
	 * LEAKLAB_RECORDS: where the suite's case tests left their records
	 * (runrec.h), or NULL. A check with a fresh record there is not run
	 * again: the suite's tour prints the runs its case tests just made.
	 */
	const char *records;
	/* Per case, its manifest (lc_tour's path); it and this checker are a record's elders. */
	char (*case_files)[4096 + 260];
	char self[4096];
	size_t recorded; /* checks taken from their records */
};

/* The check's configuration: its case's (or twin's), with the variant's program. */
static void tour_job_config(const struct tour_state *ts, const struct tour_job *job,
			    struct lc_config *cfg)
{
	*cfg = job->twin < 0 ? ts->cfgs[job->i] : ts->twin_cfgs[job->i][job->twin];
	cfg->program = job->v == LC_LEAK ? cfg->leak_program : cfg->fixed_program;
}

/* Its mode: a race case's Valgrind column runs DRD. */
static enum lc_mode tour_job_mode(const struct tour_state *ts, const struct tour_job *job)
{
	return job->twin < 0 && job->md == LC_MEMCHECK && ts->tc[job->i].drd ? LC_DRD : job->md;
}

/*
 * Takes the record the case's test left of this very check, if it is
 * fresh (record-run's name for "--case NN-slug --variant V --MODE
 * [--twin L]"), as the check's run. DRD's run is no case test's recorded
 * command. Returns true when it did.
 */
static bool tour_take_record(struct tour_state *ts, const struct tour_job *job)
{
	struct lc_tour_case *tc = &ts->tc[job->i];
	struct lc_config cfg;
	struct lc_run *run =
	    job->twin < 0 ? &tc->runs[job->v][job->md] : &ts->tt[job->i].runs[job->twin][job->v];
	enum lc_mode md = tour_job_mode(ts, job);
	char args[512], path[4096], *csv = NULL;
	const char *elders[4];

	if (md == LC_DRD || !ts->self[0])
		return false;
	tour_job_config(ts, job, &cfg);
	/* The record must be younger than the program, its manifest and this checker. */
	elders[0] = cfg.program;
	elders[1] = ts->case_files[job->i];
	elders[2] = ts->self;
	elders[3] = NULL;
	snprintf(args, sizeof(args), "--case %s --variant %s --%s%s%s", tc->name,
		 lc_variant_name(job->v), lc_mode_name(md), job->twin < 0 ? "" : " --twin ",
		 job->twin < 0 ? "" : ts->tt[job->i].twin[job->twin].lang);
	if (lc_runrec_path(path, sizeof(path), ts->records, args) ||
	    lc_runrec_read(path, elders, run, &csv))
		return false;
	/* A record of another variant or mode under this name is no record of this check. */
	if (run->variant != job->v || run->mode != md) {
		lc_run_free(run);
		ll_free(csv);
		return false;
	}
	if (job->twin < 0) {
		tc->ran[job->v][job->md] = true;
		tc->csv[job->v][job->md] = csv;
	} else {
		ts->tt[job->i].ran[job->twin][job->v] = 1;
		ll_free(csv);
	}
	ts->pending[job->i]--;
	return true;
}

static void *tour_worker(void *arg)
{
	struct tour_state *ts = arg;

	for (;;) {
		struct lc_config cfg;
		struct tour_job job;
		struct lc_run *run;

		pthread_mutex_lock(&ts->lock);
		if (ts->next == ts->njobs) {
			pthread_mutex_unlock(&ts->lock);
			return NULL;
		}
		job = ts->jobs[ts->next++];
		pthread_mutex_unlock(&ts->lock);

		tour_job_config(ts, &job, &cfg);
		run = job.twin < 0 ? &ts->tc[job.i].runs[job.v][job.md]
				   : &ts->tt[job.i].runs[job.twin][job.v];
		lc_run_check(&cfg, job.v, tour_job_mode(ts, &job), run);

		pthread_mutex_lock(&ts->lock);
		if (job.twin < 0)
			ts->tc[job.i].ran[job.v][job.md] = true;
		else
			ts->tt[job.i].ran[job.twin][job.v] = 1;
		ts->pending[job.i]--;
		pthread_cond_broadcast(&ts->done);
		pthread_mutex_unlock(&ts->lock);
	}
}

/* The most checks the tour runs at once: the size of its thread array. */
#define TOUR_MAX_JOBS 16

/*
 * How many checks at once: --jobs, else 2 x LEAKLAB_JOBS + 1, else
 * 2 x cores + 1 (the checks mostly wait), never more than TOUR_MAX_JOBS.
 */
static int tour_jobs(const struct lc_cli *cli)
{
	const char *env = getenv("LEAKLAB_JOBS");
	long n = 0;

	if (cli->jobs && lc_parse_long(cli->jobs, 1, TOUR_MAX_JOBS, &n))
		return (int)n;
	if (!env || !lc_parse_long(env, 1, 4096, &n))
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 3;
	return n < TOUR_MAX_JOBS / 2 ? (int)(2 * n + 1) : TOUR_MAX_JOBS;
}

/* With --tour --csv DIR: the case's runs as DIR/NN-slug.csv, for the summary plot. */
static int tour_csv(const char *dir, const struct lc_tour_case *tc)
{
	char path[4096];
	FILE *f;
	int v, md, bad;

	snprintf(path, sizeof(path), "%s/%s.csv", dir, tc->name);
	f = fopen(path, "we");
	if (!f)
		return LL_EIO;
	lc_report_csv_head(f);
	for (v = LC_LEAK; v <= LC_FIXED; v++)
		for (md = LC_NATIVE; md <= LC_MEMCHECK; md++) {
			if (!tc->ran[v][md])
				continue;
			if (tc->csv[v][md])
				fputs(tc->csv[v][md], f); /* a recorded run's rows */
			else
				lc_report_csv_rows(f, &tc->runs[v][md]);
		}
	bad = fflush(f) != 0 || ferror(f);
	bad = fclose(f) != 0 || bad;
	return bad ? LL_EIO : 0;
}

static void tour_print_run(const char *variant, const char *mode, const struct lc_config *cfg,
			   const struct lc_run *run, int *worst, int *failures)
{
	printf("  %-5s %-8s driving %ld + %ld clients (%s)... %s (%.1f s)\n", variant, mode,
	       cfg->load, cfg->load,
	       lc_scenario_name(run->nscenarios ? run->scenarios[0] : cfg->scenario),
	       run->exit_code == 2 ? run->error : run->verdict.line, run->duration_ms / 1000.0);
	if (run->exit_code > *worst)
		*worst = run->exit_code;
	*failures += run->exit_code != 0;
}

static void tour_print_case(const struct lc_tour_case *t, const struct lc_config *cfg,
			    const struct lc_twin_tour *tt, const struct lc_config *twin_cfgs,
			    const char *summary, bool native, bool memcheck, int *worst,
			    int *failures)
{
	size_t k;
	int v, md;

	printf("\n%s: %s\n", t->name, summary ? summary : "");
	for (md = LC_NATIVE; md <= LC_MEMCHECK; md++) {
		if ((md == LC_NATIVE && !native) || (md == LC_MEMCHECK && !memcheck))
			continue;
		for (v = LC_LEAK; v <= LC_FIXED; v++)
			tour_print_run(lc_variant_name((enum lc_variant)v),
				       lc_mode_name(t->runs[v][md].mode), cfg, &t->runs[v][md],
				       worst, failures);
	}
	/* The twins (natively): the same leak in Go, Node.js and Python. */
	for (k = 0; k < tt->n; k++) {
		if (tt->twin[k].skip) {
			printf("  %-5s %-8s skipped: %s\n", "", tt->twin[k].lang, tt->twin[k].skip);
			continue;
		}
		for (v = LC_LEAK; v <= LC_FIXED; v++)
			if (tt->ran[k][v])
				tour_print_run(lc_variant_name((enum lc_variant)v),
					       tt->twin[k].lang, &twin_cfgs[k], &tt->runs[k][v],
					       worst, failures);
	}
	fflush(stdout);
}

int lc_tour(const struct lc_cli *cli, struct lc_config *base)
{
	char dir[4096];
	struct dirent **names = NULL;
	struct tour_state ts = {0};
	struct lc_case *ms = NULL;
	pthread_t threads[TOUR_MAX_JOBS];
	int count, i, v, md, worst = 0, failures = 0, nthreads = 0, want, printed = 0;
	bool native = base->native, memcheck = base->memcheck, *usable = NULL;
	long t0 = lc_now_ms();

	if (!native && !memcheck)
		native = memcheck = true;
#ifdef LEAKLAB_SANITIZED
	/* Valgrind cannot run a program built with a sanitizer's runtime. */
	if (memcheck && !base->memcheck) {
		memcheck = false;
		native = true;
		fprintf(stderr,
			"leaklab-check: the programs are sanitizer builds (%s): the tour runs "
			"them natively; memcheck cannot run them\n",
			LEAKLAB_SANITIZED);
	}
#endif
	if (lc_manifest_dir(dir, sizeof(dir)))
		return lc_bad("cannot locate the case manifests");
	count = scandir(dir, &names, lc_is_manifest, alphasort);
	if (count <= 0) {
		fprintf(stderr, "leaklab-check: no cases built in %s\n", dir);
		return 2;
	}
	ts.tc = ll_calloc((size_t)count, sizeof(*ts.tc));
	ts.tt = ll_calloc((size_t)count, sizeof(*ts.tt));
	ts.twin_cfgs = ll_calloc((size_t)count, sizeof(*ts.twin_cfgs));
	ts.cfgs = ll_calloc((size_t)count, sizeof(*ts.cfgs));
	ts.pending = ll_calloc((size_t)count, sizeof(*ts.pending));
	ts.jobs = ll_calloc((size_t)count * (4 + 2 * LC_MAX_TWINS), sizeof(*ts.jobs));
	ms = ll_calloc((size_t)count, sizeof(*ms));
	usable = ll_calloc((size_t)count, sizeof(*usable));
	ts.case_files = ll_calloc((size_t)count, sizeof(*ts.case_files));
	if (!ts.tc || !ts.tt || !ts.twin_cfgs || !ts.cfgs || !ts.pending || !ts.jobs || !ms ||
	    !usable || !ts.case_files) {
		worst = 2;
		goto out_free;
	}
	for (i = 0; i < count; i++) {
		struct lc_config *cfg = &ts.cfgs[i];
		struct lc_cli one = *cli;
		char path[sizeof(dir) + 260];

		*cfg = *base;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		snprintf(ts.case_files[i], sizeof(ts.case_files[i]), "%s", path);
		one.tour = false;
		one.case_file = path;
		one.case_name = NULL;
		one.variant = NULL;
		if (lc_options_load_case(&one, &ms[i]) || lc_options_configure(&one, &ms[i], cfg)) {
			worst = 2;
			continue;
		}
		usable[i] = true;
		cfg->case_name = ms[i].name;
		cfg->quiet = true;
		snprintf(ts.tc[i].name, sizeof(ts.tc[i].name), "%s", ms[i].name);
		ts.tc[i].signals = (cfg->expect | cfg->memcheck_expect) & ~LC_SIG_BIT(LC_LOST);
		/* Its Valgrind column runs the case's own tool: DRD for a race (MODE drd). */
		ts.tc[i].drd = ms[i].checker == LC_CHECKER_DRD;
		for (md = LC_NATIVE; md <= LC_MEMCHECK; md++) {
			if ((md == LC_NATIVE && !native) || (md == LC_MEMCHECK && !memcheck))
				continue;
			for (v = LC_LEAK; v <= LC_FIXED; v++) {
				ts.jobs[ts.njobs++] =
				    (struct tour_job){i, (enum lc_variant)v, (enum lc_mode)md, -1};
				ts.pending[i]++;
			}
		}
		/* The twins run natively only: Valgrind does not see into a runtime. */
		if (native) {
			size_t k,
			    n = lc_twin_tour_prepare(&ms[i].raw, cfg, &ts.tt[i], ts.twin_cfgs[i]);

			for (k = 0; k < n; k++) {
				if (ts.tt[i].twin[k].skip)
					continue;
				for (v = LC_LEAK; v <= LC_FIXED; v++) {
					ts.jobs[ts.njobs++] = (struct tour_job){
					    i, (enum lc_variant)v, LC_NATIVE, (int)k};
					ts.pending[i]++;
				}
			}
		}
	}
	/* The checks the suite's case tests made already are taken, not run again. */
	ts.records = getenv("LEAKLAB_RECORDS");
	if (ts.records && *ts.records) {
		ssize_t n = readlink("/proc/self/exe", ts.self, sizeof(ts.self) - 1);
		size_t j, kept = 0;

		ts.self[n > 0 ? n : 0] = '\0';
		for (j = 0; j < ts.njobs; j++) {
			if (tour_take_record(&ts, &ts.jobs[j]))
				ts.recorded++;
			else
				ts.jobs[kept++] = ts.jobs[j];
		}
		ts.njobs = kept;
	}
	want = tour_jobs(cli);
	printf("leaklab tour: %d cases, each leak beside its fix%s (%d checks at a time", count,
	       native && memcheck ? ", natively and under memcheck" : "", want);
	if (ts.recorded)
		printf("; %zu of the %zu checks are the case tests' runs of this build, from "
		       "LEAKLAB_RECORDS",
		       ts.recorded, ts.recorded + ts.njobs);
	printf(")\n");
	fflush(stdout);
	if (pthread_mutex_init(&ts.lock, NULL) != 0) {
		worst = 2;
		goto out_free;
	}
	if (pthread_cond_init(&ts.done, NULL) != 0) {
		worst = 2;
		goto out_destroy_lock;
	}
	while (nthreads < want && (size_t)nthreads < ts.njobs &&
	       pthread_create(&threads[nthreads], NULL, tour_worker, &ts) == 0)
		nthreads++;
	if (nthreads == 0 && ts.njobs > 0) {
		fprintf(stderr, "leaklab-check: cannot start the tour's threads\n");
		worst = 2;
		goto out_destroy_cond;
	}
	/* Each case's lines, in order, as soon as its checks are done. */
	pthread_mutex_lock(&ts.lock);
	while (printed < count) {
		if (usable[printed] && ts.pending[printed] > 0) {
			pthread_cond_wait(&ts.done, &ts.lock);
			continue;
		}
		if (usable[printed]) {
			pthread_mutex_unlock(&ts.lock);
			tour_print_case(&ts.tc[printed], &ts.cfgs[printed], &ts.tt[printed],
					ts.twin_cfgs[printed], ms[printed].summary, native,
					memcheck, &worst, &failures);
			if (base->csv_path && tour_csv(base->csv_path, &ts.tc[printed])) {
				fprintf(stderr, "leaklab-check: cannot write %s/%s.csv: %s\n",
					base->csv_path, ts.tc[printed].name, strerror(errno));
				worst = 2;
			}
			pthread_mutex_lock(&ts.lock);
		}
		printed++;
	}
	pthread_mutex_unlock(&ts.lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);

	lc_report_tour_growth(stdout, ts.tc, (size_t)count, native ? LC_NATIVE : LC_MEMCHECK);
	if (memcheck)
		lc_report_tour_memcheck(stdout, ts.tc, (size_t)count);
	if (native)
		lc_twin_tour_table(stdout, ts.tc, ts.tt, (size_t)count);
	if (failures == 0 && worst == 0)
		printf("\nevery leak reproduced, every fix clean (%d cases, %.0f s)\n", count,
		       (double)(lc_now_ms() - t0) / 1000.0);
	else
		printf("\n%d check(s) did not pass: run ./leaklab check NN for the details\n",
		       failures);
out_destroy_cond:
	pthread_cond_destroy(&ts.done);
out_destroy_lock:
	pthread_mutex_destroy(&ts.lock);
out_free:
	for (i = 0; i < count; i++) {
		for (v = 0; v < 2; v++)
			for (md = 0; md < 2; md++)
				if (ts.tc && ts.tc[i].ran[v][md]) {
					lc_run_free(&ts.tc[i].runs[v][md]);
					ll_free(ts.tc[i].csv[v][md]);
				}
		if (ts.tt)
			lc_twin_tour_free(&ts.tt[i]);
		if (ms)
			lc_case_free(&ms[i]);
	}
	ll_free(ts.case_files);
	ll_free(ts.twin_cfgs);
	ll_free(ts.tt);
	ll_free(usable);
	ll_free(ms);
	ll_free(ts.jobs);
	ll_free(ts.pending);
	ll_free(ts.cfgs);
	ll_free(ts.tc);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return worst;
}
