/*
 * manifest.c - the case model's one reader (model.h): the key=value file
 * leaklab_case() generates, turned into typed values once. The format is
 * CMake's to write and ours to read; nothing else parses it: the course,
 * the pictures and the live page ask for the plan (leaklab-check --plan).
 */
#include "model.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "judge/judge.h"

/* How leaklab_case() names a case's manifest: BUILD/cases/NN-slug.manifest. */
#define MANIFEST_SUFFIX ".manifest"

void lc_manifest_free(struct lc_manifest *m)
{
	size_t i;

	ll_free(m->name);
	ll_free(m->summary);
	ll_free(m->scenario);
	ll_free(m->load);
	ll_free(m->settle_ms);
	ll_free(m->expect);
	ll_free(m->memcheck_expect);
	ll_free(m->request);
	ll_free(m->path);
	ll_free(m->bad_path);
	ll_free(m->mode);
	ll_free(m->leak);
	ll_free(m->fixed);
	ll_free(m->verify);
	ll_free(m->source);
	ll_free(m->exercise);
	for (i = 0; i < m->nprogram_args; i++)
		ll_free(m->program_args[i]);
	ll_free(m->program_args);
	for (i = 0; i < m->nbehaviours; i++)
		ll_free(m->behaviours[i]);
	ll_free(m->behaviours);
	for (i = 0; i < m->ntwins; i++)
		ll_free(m->twins[i]);
	ll_free(m->twins);
	memset(m, 0, sizeof(*m));
}

/* Stores a copy of value in *slot, replacing an earlier one. */
static int set(char **slot, const char *value, size_t len)
{
	char *copy = ll_malloc(len + 1);

	if (!copy)
		return LL_ENOMEM;
	memcpy(copy, value, len);
	copy[len] = '\0';
	ll_free(*slot);
	*slot = copy;
	return 0;
}

/* Appends a copy of value to the list *items of *n strings. */
static int add_item(char ***items, size_t *n, const char *value, size_t len)
{
	char **bigger = ll_realloc(*items, (*n + 1) * sizeof(*bigger));

	if (!bigger)
		return LL_ENOMEM;
	*items = bigger;
	bigger[*n] = NULL;
	if (set(&bigger[*n], value, len))
		return LL_ENOMEM;
	(*n)++;
	return 0;
}

static int parse_line(struct lc_manifest *m, const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	const char *value;
	size_t klen, vlen;
	struct {
		const char *key;
		char **slot;
	} keys[] = {
	    {"name", &m->name},
	    {"summary", &m->summary},
	    {"scenario", &m->scenario},
	    {"load", &m->load},
	    {"settle_ms", &m->settle_ms},
	    {"expect", &m->expect},
	    {"memcheck_expect", &m->memcheck_expect},
	    {"request", &m->request},
	    {"leak", &m->leak},
	    {"fixed", &m->fixed},
	    {"verify", &m->verify},
	    {"source", &m->source},
	    {"exercise", &m->exercise},
	    {"path", &m->path},
	    {"bad_path", &m->bad_path},
	    {"mode", &m->mode},
	};
	size_t i;

	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (!eq)
		return LL_EPROTO;
	klen = (size_t)(eq - line);
	value = eq + 1;
	vlen = len - klen - 1;
	if (klen == 11 && memcmp(line, "program_arg", 11) == 0)
		return add_item(&m->program_args, &m->nprogram_args, value, vlen);
	if (klen == 9 && memcmp(line, "behaviour", 9) == 0)
		return add_item(&m->behaviours, &m->nbehaviours, value, vlen);
	if (klen > 5 && memcmp(line, "twin.", 5) == 0)
		return add_item(&m->twins, &m->ntwins, line + 5, len - 5);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == klen && memcmp(line, keys[i].key, klen) == 0)
			return set(keys[i].slot, value, vlen);
	return 0;
}

int lc_manifest_parse(const char *text, struct lc_manifest *m)
{
	memset(m, 0, sizeof(*m));
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		int err = parse_line(m, text, len);

		if (err) {
			lc_manifest_free(m);
			return err;
		}
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

int lc_manifest_read(const char *path, struct lc_manifest *m)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen(path, "re");
	int err;

	memset(m, 0, sizeof(*m));
	if (!f)
		return LL_EIO;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	err = ferror(f) ? LL_EIO : !feof(f) ? LL_ETOOBIG : 0;
	fclose(f);
	if (err)
		return err;
	buf[n] = '\0';
	return lc_manifest_parse(buf, m);
}

int lc_build_path(const char *rel, char *out, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int len;

	if (n <= 0)
		return LL_EIO;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return LL_EIO;
	*slash = '\0';
	len = snprintf(out, size, "%s/../%s", exe, rel);
	return len < 0 || (size_t)len >= size ? LL_ETOOBIG : 0;
}

int lc_manifest_path(const char *name, char *out, size_t size)
{
	char rel[300];

	if (snprintf(rel, sizeof(rel), "cases/%s" MANIFEST_SUFFIX, name) >= (int)sizeof(rel))
		return LL_ETOOBIG;
	return lc_build_path(rel, out, size);
}

void lc_case_free(struct lc_case *c)
{
	lc_manifest_free(&c->raw);
	memset(c, 0, sizeof(*c));
}

/* "connect-close connect-drop" (or with commas) into a list of at most LC_MAX_SCENARIOS. */
int lc_scenarios_parse(const char *text, enum lc_scenario_kind *out, size_t *n)
{
	char name[64];

	*n = 0;
	while (*text) {
		size_t len;

		text += strspn(text, ", ");
		len = strcspn(text, ", ");
		if (len == 0)
			break;
		if (len >= sizeof(name) || *n == LC_MAX_SCENARIOS)
			return LL_EINVAL;
		memcpy(name, text, len);
		name[len] = '\0';
		if (lc_scenario_parse(name, &out[*n]))
			return LL_EINVAL;
		(*n)++;
		text += len;
	}
	return *n > 0 ? 0 : LL_EINVAL;
}

static int to_typed(struct lc_case *c, char *why, size_t why_size)
{
	const struct lc_manifest *m = &c->raw;
	long mask;
	char *end;
	size_t i;

	if (!m->name)
		return lc_say(LL_EINVAL, why, why_size, "no name= line");
	c->name = m->name;
	c->summary = m->summary;
	c->source = m->source;
	c->leak = m->leak;
	c->fixed = m->fixed;
	c->exercise = m->exercise;
	c->request = m->request;
	c->path = m->path;
	c->bad_path = m->bad_path;
	c->program_args = (const char *const *)m->program_args;
	c->nprogram_args = m->nprogram_args;
	for (i = 0; i < m->nprogram_args; i++)
		c->tls = c->tls || strcmp(m->program_args[i], "--tls") == 0;
	if (m->mode && strcmp(m->mode, "drd") != 0 && strcmp(m->mode, "memcheck") != 0)
		return lc_say(LL_EINVAL, why, why_size, "mode=%s: memcheck or drd", m->mode);
	c->checker = m->mode && strcmp(m->mode, "drd") == 0 ? LC_CHECKER_DRD : LC_CHECKER_MEMCHECK;
	if (m->scenario && lc_scenarios_parse(m->scenario, c->scenarios, &c->nscenarios))
		return lc_say(LL_EINVAL, why, why_size, "bad scenario=%s", m->scenario);
	if (m->verify && lc_scenarios_parse(m->verify, c->verify, &c->nverify))
		return lc_say(LL_EINVAL, why, why_size, "bad verify=%s", m->verify);
	if (m->load) {
		errno = 0;
		c->load = strtol(m->load, &end, 10);
		if (errno || end == m->load || *end || c->load < 1)
			return lc_say(LL_EINVAL, why, why_size, "bad load=%s", m->load);
	}
	if (m->settle_ms) {
		errno = 0;
		c->settle_ms = (int)strtol(m->settle_ms, &end, 10);
		if (errno || end == m->settle_ms || *end || c->settle_ms < 1 ||
		    c->settle_ms > 60000)
			return lc_say(LL_EINVAL, why, why_size, "bad settle_ms=%s", m->settle_ms);
	}
	if (m->expect) {
		mask = lc_parse_signals(m->expect);
		if (mask < 0)
			return lc_say(LL_EINVAL, why, why_size, "unknown signal in expect=%s",
				      m->expect);
		c->expect = (unsigned)mask;
	}
	c->memcheck_expect = c->expect;
	if (m->memcheck_expect) {
		mask = lc_parse_signals(m->memcheck_expect);
		if (mask < 0)
			return lc_say(LL_EINVAL, why, why_size,
				      "unknown signal in memcheck_expect=%s", m->memcheck_expect);
		c->memcheck_expect = (unsigned)mask;
	}
	if (m->nbehaviours > LC_MAX_BEHAVIOURS)
		return lc_say(LL_EINVAL, why, why_size, "too many behaviour= lines (at most %d)",
			      LC_MAX_BEHAVIOURS);
	for (i = 0; i < m->nbehaviours; i++)
		if (lc_behaviour_parse(m->behaviours[i], &c->behaviours[i], why, why_size))
			return LL_EINVAL;
	c->nbehaviours = m->nbehaviours;
	return 0;
}

int lc_case_read(const char *path, struct lc_case *c, char *why, size_t why_size)
{
	int err;

	memset(c, 0, sizeof(*c));
	snprintf(why, why_size, "cannot read %s", path);
	err = lc_manifest_read(path, &c->raw);
	if (err == LL_EPROTO)
		snprintf(why, why_size, "%s: a line without \"=\"", path);
	if (err)
		return err;
	return to_typed(c, why, why_size);
}

int lc_is_manifest(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > strlen(MANIFEST_SUFFIX) &&
	       strcmp(d->d_name + n - strlen(MANIFEST_SUFFIX), MANIFEST_SUFFIX) == 0;
}

/* The folder of the case manifests (BUILD/cases), found from this executable. */
int lc_manifest_dir(char *dir, size_t size)
{
	char *slash;

	if (lc_manifest_path("x", dir, size))
		return LL_EIO;
	slash = strrchr(dir, '/');
	*slash = '\0';
	return 0;
}
