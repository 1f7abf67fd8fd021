/*
 * heapprof.h - a heap profile diff from memcheck's own loss records, the
 * C counterpart of `go tool pprof -base`: which allocation stacks hold
 * more live bytes at 2N clients than at N, and by how much per client.
 *
 * The data comes from memcheck's gdbserver: `vgdb --pid=P leak_check full
 * reachable changed` prints every loss record (all kinds, still reachable
 * included) whose size changed since the previous leak check, with its
 * allocation stack and the change in parentheses. The harness runs one
 * such check after each step from N to 2N (the check at N sets the
 * reference) and adds the changes up by stack. Nothing is linked into the
 * program and no allocator is wrapped: the stacks are the ones memcheck
 * recorded at each malloc.
 */
#ifndef LEAKLAB_HARNESS_HEAPPROF_H
#define LEAKLAB_HARNESS_HEAPPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The leak kinds memcheck files a loss record under. */
enum lc_hp_kind {
	LC_HP_DEFINITE,
	LC_HP_INDIRECT,
	LC_HP_POSSIBLE,
	LC_HP_REACHABLE,
	LC_HP_NKINDS,
};

/* One stack (one or more loss records) and how much it grew. */
struct lc_hp_site {
	char **frames; /* innermost (the allocator) first: "fn (file.c:12)" or "fn (in lib.so)" */
	size_t nframes;
	long long bytes;  /* the change in bytes allocated here, direct only */
	long long blocks; /* the change in blocks */
	unsigned kinds;	  /* bit per enum lc_hp_kind seen for this stack */
};

/* What a profile counts: memcheck's or a Go heap's bytes, or Go's goroutines. */
enum lc_hp_unit {
	LC_HP_BYTES,	  /* memcheck's loss records (lc_heap_profile_add) */
	LC_HP_GO_BYTES,	  /* a Go heap profile's live bytes (lc_heap_profile_add_pprof) */
	LC_HP_GOROUTINES, /* a Go goroutine profile (lc_heap_profile_add_pprof) */
};

/* The sum of the changes seen by every check added so far. */
struct lc_heap_profile {
	struct lc_hp_site *sites;
	size_t nsites, cap;
	enum lc_hp_unit unit; /* LC_HP_BYTES unless lc_heap_profile_add_pprof set it */
	int checks;	      /* leak checks added */
	bool truncated;	      /* a check failed, or its output was cut short */
	long long total;      /* the sum of every site's change in bytes */
};

void lc_heap_profile_init(struct lc_heap_profile *p);
/* Frees every site; p can be reused after lc_heap_profile_init. NULL is a no-op. */
void lc_heap_profile_free(struct lc_heap_profile *p);

/*
 * Adds the loss records in text, the output of one `leak_check full
 * reachable changed` (or `increased`): each record's change (the "(+N)"
 * after its size; a record without one counts in full) is added to the
 * site of its stack, so the same stack filed under two kinds, or a block
 * that moved from one kind to another, is one site. For a definitely or
 * possibly lost record that owns indirect blocks only the direct bytes
 * count: the indirect ones have records of their own. Returns 0, LL_ENOMEM
 * (what was added before stays), or LL_EPROTO when text has no LEAK
 * SUMMARY (not a leak check's output; nothing is added).
 */
int lc_heap_profile_add(struct lc_heap_profile *p, const char *text);

/*
 * Adds the stacks in text, the output of `go tool pprof -traces -lines
 * -unit=B -base AT_N AT_2N` on two Go profiles (the Go counterpart of two
 * leak checks): each stack's change, "20480B" for a heap profile's live
 * bytes or "5" for a goroutine profile's goroutines, is added to the site of
 * its stack, frames "fn (file.go:line)" innermost first; sets p->unit from
 * the "Type:" line (inuse_space or goroutine) and counts one check.
 * Returns 0, LL_ENOMEM (what was added before stays), or LL_EPROTO when
 * text is not pprof's traces (nothing is added).
 */
int lc_heap_profile_add_pprof(struct lc_heap_profile *p, const char *text);

/*
 * Sorts the sites by growth, largest first (ties: by their innermost frame),
 * so that reports and files come out the same for the same data.
 */
void lc_heap_profile_sort(struct lc_heap_profile *p);

/*
 * The frame that names a site: the innermost frame in the file own_source
 * (the case's "leak.c") if the stack passes through it, else the innermost
 * frame with a file:line that is not an allocation wrapper (ll_malloc and
 * friends, the C library's allocator). Sets *in_own to say which; returns
 * an index into site->frames, or -1 if no frame has a file:line.
 * own_source may be NULL.
 */
int lc_hp_site_frame(const struct lc_hp_site *s, const char *own_source, bool *in_own);

/*
 * Prints the sites that grew, largest first (call lc_heap_profile_sort
 * first), at most max_sites of them, each with its bytes per client
 * (clients: how many were served between the two points) and its stack,
 * the naming frame marked; then the growth summed by the line of
 * own_source each stack passes through.
 */
void lc_heap_profile_print(FILE *out, const struct lc_heap_profile *p, long clients,
			   const char *own_source, size_t max_sites);

/*
 * Writes the sites that grew as collapsed stacks, the text format of
 * Brendan Gregg's flamegraph.pl that speedscope also reads: one line per
 * stack, frames outermost first joined by ';', a space, the bytes.
 * Returns 0 or LL_EIO.
 */
int lc_heap_profile_write_folded(const struct lc_heap_profile *p, FILE *f);

/*
 * Writes the sites that grew as a flame graph of bytes by stack, one
 * self-contained SVG (the outermost frame at the bottom, each frame as wide
 * as the bytes allocated under it, the frames of own_source in their own
 * colour, each with a tooltip). Returns 0, LL_ENOMEM or LL_EIO.
 */
int lc_heap_profile_write_svg(const struct lc_heap_profile *p, FILE *f, const char *title,
			      const char *own_source);

#endif
