/*
 * model.h - the case model: what a case is, in typed values, read once by
 * manifest.c from the manifest leaklab_case() (cmake/LeaklabCase.cmake)
 * writes to BUILD/cases/NN-slug.manifest: one "key=value" per line, the
 * value running to the end of the line; "#" starts a comment line.
 *
 *   name=01-unclosed-connection
 *   summary=handler returns on EOF without closing the socket
 *   scenario=connect-drop
 *   load=20
 *   settle_ms=500            (optional: the case's deadlines need longer)
 *   expect=fds heap
 *   memcheck_expect=fds heap lost
 *   mode=drd                 (optional: the case's checker is DRD, not memcheck)
 *   request=...              (optional)
 *   path=/?id=...            (optional: every client's upgrade)
 *   bad_path=/?token=...     (optional: bad-token's upgrade)
 *   program_arg=--knob       (repeated, in order)
 *   behaviour=echo           (repeated: the case's behaviour checks)
 *   verify=connect-drop connect-close burst bad-handshake
 *   source=/abs/path/cases/01-unclosed-connection
 *   exercise=/abs/path/build/bin/01-unclosed-connection-exercise
 *   leak=/abs/path/build/bin/01-unclosed-connection-leak
 *   fixed=/abs/path/build/bin/01-unclosed-connection-fixed
 *   twin.go.leak=/abs/path/build/bin/01-unclosed-connection-leak-go
 *                            (repeated: the twins, harness/check/twin.h)
 */
#ifndef LEAKLAB_HARNESS_MODEL_H
#define LEAKLAB_HARNESS_MODEL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "drive/behaviour.h"
#include "drive/scenario.h"
#include "harness.h"

#define LC_MAX_SCENARIOS  8
#define LC_MAX_BEHAVIOURS 8

/* The manifest's lines as written: the strings the typed model points into. */
struct lc_manifest {
	char *name, *summary, *scenario, *load, *expect, *memcheck_expect, *request;
	char *path, *bad_path;
	char *settle_ms; /* how long counts must hold still, at least; or NULL */
	char *mode;	 /* NULL (memcheck) or "drd": the case's Valgrind tool */
	char *leak, *fixed;
	char *verify;	/* the exit paths a fix must be clean on, space-separated */
	char *source;	/* the case's folder */
	char *exercise; /* the course's build of the student's file */
	char **program_args;
	size_t nprogram_args;
	char **behaviours;
	size_t nbehaviours;
	char **twins; /* "LANG.KEY=VALUE", from the twin.* lines, in order */
	size_t ntwins;
};

/*
 * Reads path into *m (zeroed first; strings are ll_malloc'ed and freed by
 * lc_manifest_free). Unknown keys are ignored, so newer manifests still
 * load. Returns 0, LL_EIO (unreadable), LL_ETOOBIG (over 16 KiB),
 * LL_EPROTO (a line without "="), LL_ENOMEM.
 */
int lc_manifest_read(const char *path, struct lc_manifest *m);
int lc_manifest_parse(const char *text, struct lc_manifest *m);
void lc_manifest_free(struct lc_manifest *m);

/*
 * The manifest path of a case, found relative to this executable:
 * dirname(/proc/self/exe)/../cases/NAME.manifest. Returns 0 or LL_EIO /
 * LL_ETOOBIG.
 */
int lc_manifest_path(const char *name, char *out, size_t size);

/*
 * A path in the build tree, found the same way: dirname(/proc/self/exe)
 * /../REL (this executable lives in BUILD/bin). Returns 0, LL_EIO or
 * LL_ETOOBIG.
 */
int lc_build_path(const char *rel, char *out, size_t size);

/* scandir's filter for the manifests, and their folder (BUILD/cases). */
int lc_is_manifest(const struct dirent *d);
int lc_manifest_dir(char *dir, size_t size);

/* The Valgrind tool a case is checked with: memcheck, or DRD for a race (mode=drd). */
enum lc_checker { LC_CHECKER_MEMCHECK, LC_CHECKER_DRD };

/*
 * A case, typed: everything the checker, the plan (--plan) and through it
 * the course, the pictures and the live page know of it. The strings
 * point into raw, which the case owns.
 */
struct lc_case {
	struct lc_manifest raw;
	const char *name, *summary, *source;
	const char *leak, *fixed, *exercise; /* the programs; exercise may be NULL */
	enum lc_checker checker;
	/* What the leak variant is driven through (scenario=), in order. */
	enum lc_scenario_kind scenarios[LC_MAX_SCENARIOS];
	size_t nscenarios;
	/* The exit paths a fix must be clean on (verify=); 0: the scenarios. */
	enum lc_scenario_kind verify[LC_MAX_SCENARIOS];
	size_t nverify;
	long load;		  /* clients per step */
	int settle_ms;		  /* how long counts must hold still; 0: the mode's default */
	unsigned expect;	  /* LC_SIG_BIT mask: what the leak shows natively */
	unsigned memcheck_expect; /* ... and under the case's checker */
	const char *request, *path, *bad_path; /* or NULL */
	const char *const *program_args;
	size_t nprogram_args;
	bool tls; /* the programs serve wss (--tls among their arguments) */
	struct lc_behaviour behaviours[LC_MAX_BEHAVIOURS];
	size_t nbehaviours;
};

/*
 * Reads the manifest at path into *c (zeroed first; free it with
 * lc_case_free, which also frees what a failed read left). Returns 0,
 * LL_EIO (unreadable), LL_ETOOBIG, LL_ENOMEM, or LL_EPROTO / LL_EINVAL
 * with why saying which line is bad.
 */
int lc_case_read(const char *path, struct lc_case *c, char *why, size_t why_size);
void lc_case_free(struct lc_case *c);

/*
 * "connect-close connect-drop" (spaces or commas) into out, at most
 * LC_MAX_SCENARIOS; returns 0 or LL_EINVAL (an unknown name, or none).
 */
int lc_scenarios_parse(const char *text, enum lc_scenario_kind *out, size_t *n);

#endif
