/*
 * manifest.h - a case's manifest, as leaklab_case() (cmake/LeaklabCase.cmake)
 * writes it to BUILD/cases/NN-slug.manifest: one "key=value" per line, the
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
#ifndef LEAKLAB_HARNESS_MANIFEST_H
#define LEAKLAB_HARNESS_MANIFEST_H

#include <stddef.h>

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

#endif
