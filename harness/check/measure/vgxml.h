/*
 * vgxml.h - one walker for Valgrind's XML report (protocol version 4), as
 * memcheck and DRD both write it: a preamble, a flat list of <error>
 * elements, then <errorcounts> with a <pair> (unique, count) for each
 * error record that repeated. The walker reads each <error> into a
 * struct lc_vg_error and hands it over; what an error means (a leak, a
 * race) is the tool's reader's business (memcheck.c, drd.c).
 */
#ifndef LEAKLAB_HARNESS_VGXML_H
#define LEAKLAB_HARNESS_VGXML_H

#include <stdbool.h>
#include <stddef.h>

#define LC_VG_SHOWN 4 /* frames of an error's first stack shown in lc_vg_error.stack */

struct lc_vg_error {
	char kind[64];		/* <kind>: Leak_DefinitelyLost, ConflictingAccess, ... */
	char what[256];		/* <what>, or <xwhat><text> */
	unsigned long unique;	/* <unique>, the key of its <errorcounts> pair */
	long long leaked_bytes; /* <xwhat><leakedbytes>: leaks only */
	long leaked_blocks;	/* <xwhat><leakedblocks> */
	int stacks;		/* <stack> elements directly in the error */
	int frames;		/* <frame> elements of its first stack */
	/* The first frame of the first stack. */
	char fn[128], file[128], line[16];
	/* The first stack's first LC_VG_SHOWN frames: "f (a.c:1) < g (a.c:9)". */
	char stack[512];
	/*
	 * The first frame in the program's own file (own_file, a base name):
	 * "fn (file:line)", from stack own_stack (1 the error's own; for an
	 * invalid access 2 is where the block was freed, 3 where it was
	 * allocated), or "" and 0.
	 */
	char own_at[256];
	int own_stack;
};

struct lc_vg_report {
	bool valgrind_output; /* the root element is <valgrindoutput> */
	char tool[16];	      /* <protocoltool>: "memcheck", "drd" */
	int valgrind_version; /* 31900 for 3.19.0; 0 unknown */
	bool finished;	      /* <status><state>FINISHED: the report is whole */
	bool have_counts;     /* an <errorcounts> <pair> was read */
};

struct lc_vg_walk {
	const char *own_file; /* NULL, or the program's own source file */
	void *user;
	void (*error)(void *user, const struct lc_vg_error *e);
	void (*pair)(void *user, unsigned long unique, long count);
};

/* Walks buf (len bytes); 0, LL_ENOMEM, or LL_EPROTO when not well formed. */
int lc_vgxml_walk(const char *buf, size_t len, const struct lc_vg_walk *w,
		  struct lc_vg_report *out);

#endif
