/*
 * vgxml.c - the walker of Valgrind's XML report (vgxml.h), with libexpat.
 */
#include "measure/vgxml.h"
#include "text.h"

#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#define MAX_DEPTH 16
#define MAX_NAME  32

struct state {
	const struct lc_vg_walk *w;
	struct lc_vg_report *rep;
	char path[MAX_DEPTH][MAX_NAME];
	int depth;
	char text[1024];
	size_t text_len;
	struct lc_vg_error e;
	char frame_fn[128], frame_file[128], frame_line[16];
	unsigned long pair_unique;
	long pair_count;
};

static bool in(const struct state *st, int depth, const char *name)
{
	return st->depth > depth && strcmp(st->path[depth], name) == 0;
}

static void copy_text(char *dst, size_t size, const struct state *st)
{
	size_t n = st->text_len < size - 1 ? st->text_len : size - 1;

	memcpy(dst, st->text, n);
	dst[n] = '\0';
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct state *st = data;

	(void)attrs;
	if (st->depth == 0)
		st->rep->valgrind_output = strcmp(name, "valgrindoutput") == 0;
	if (st->depth < MAX_DEPTH)
		lc_format(st->path[st->depth], MAX_NAME, "%s", name);
	st->depth++;
	st->text_len = 0;
	st->text[0] = '\0';
	if (st->depth == 2 && strcmp(name, "error") == 0) {
		memset(&st->e, 0, sizeof(st->e));
	} else if (st->depth == 3 && in(st, 1, "error") && strcmp(name, "stack") == 0) {
		st->e.stacks++;
	} else if (st->depth == 4 && in(st, 1, "error") && in(st, 2, "stack") &&
		   strcmp(name, "frame") == 0) {
		st->frame_fn[0] = st->frame_file[0] = st->frame_line[0] = '\0';
	} else if (st->depth == 3 && in(st, 1, "errorcounts") && strcmp(name, "pair") == 0) {
		st->pair_unique = 0;
		st->pair_count = 0;
	}
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
	struct state *st = data;
	size_t room = sizeof(st->text) - 1 - st->text_len;
	size_t n = (size_t)len < room ? (size_t)len : room;

	memcpy(st->text + st->text_len, s, n);
	st->text_len += n;
	/* Kept terminated: strtol() on it must not run into a longer earlier text. */
	st->text[st->text_len] = '\0';
}

/* The end of one <frame> of an error's stack. */
static void end_frame(struct state *st)
{
	struct lc_vg_error *e = &st->e;
	const char *fn = st->frame_fn[0] ? st->frame_fn : "???";

	if (e->stacks == 1) {
		size_t len = strlen(e->stack);

		if (++e->frames == 1) {
			lc_format(e->fn, sizeof(e->fn), "%s", st->frame_fn);
			lc_format(e->file, sizeof(e->file), "%s", st->frame_file);
			lc_format(e->line, sizeof(e->line), "%s", st->frame_line);
		}
		if (e->frames <= LC_VG_SHOWN && st->frame_file[0])
			lc_format(e->stack + len, sizeof(e->stack) - len, "%s%s (%s:%s)",
				  len ? " < " : "", fn, st->frame_file, st->frame_line);
		else if (e->frames <= LC_VG_SHOWN)
			lc_format(e->stack + len, sizeof(e->stack) - len, "%s%s", len ? " < " : "",
				  fn);
	}
	if (!e->own_at[0] && st->w->own_file && strcmp(st->frame_file, st->w->own_file) == 0) {
		lc_format(e->own_at, sizeof(e->own_at), "%s (%s:%s)", st->frame_fn, st->frame_file,
			  st->frame_line);
		e->own_stack = e->stacks;
	}
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
	struct state *st = data;
	struct lc_vg_error *e = &st->e;
	int d = st->depth - 1; /* the depth of the element ending */

	if (d == 1 && in(st, 1, "error")) {
		if (st->w->error)
			st->w->error(st->w->user, e);
	} else if (d == 4 && in(st, 1, "error") && in(st, 2, "stack")) {
		if (strcmp(name, "fn") == 0)
			copy_text(st->frame_fn, sizeof(st->frame_fn), st);
		else if (strcmp(name, "file") == 0)
			copy_text(st->frame_file, sizeof(st->frame_file), st);
		else if (strcmp(name, "line") == 0)
			copy_text(st->frame_line, sizeof(st->frame_line), st);
	} else if (d == 3 && in(st, 1, "error") && in(st, 2, "stack") &&
		   strcmp(name, "frame") == 0) {
		end_frame(st);
	} else if (d == 2 && in(st, 1, "error")) {
		if (strcmp(name, "kind") == 0)
			copy_text(e->kind, sizeof(e->kind), st);
		else if (strcmp(name, "what") == 0)
			copy_text(e->what, sizeof(e->what), st);
		else if (strcmp(name, "unique") == 0)
			e->unique = strtoul(st->text, NULL, 0);
	} else if (d == 3 && in(st, 1, "error") && in(st, 2, "xwhat")) {
		if (strcmp(name, "text") == 0)
			copy_text(e->what, sizeof(e->what), st);
		else if (strcmp(name, "leakedbytes") == 0)
			e->leaked_bytes = strtoll(st->text, NULL, 10);
		else if (strcmp(name, "leakedblocks") == 0)
			e->leaked_blocks = strtol(st->text, NULL, 10);
	} else if (d == 3 && in(st, 1, "errorcounts") && in(st, 2, "pair")) {
		if (strcmp(name, "count") == 0)
			st->pair_count = strtol(st->text, NULL, 10);
		else if (strcmp(name, "unique") == 0)
			st->pair_unique = strtoul(st->text, NULL, 0);
	} else if (d == 2 && in(st, 1, "errorcounts") && strcmp(name, "pair") == 0) {
		st->rep->have_counts = true;
		if (st->w->pair)
			st->w->pair(st->w->user, st->pair_unique, st->pair_count);
	} else if (d == 1 && strcmp(name, "protocoltool") == 0) {
		copy_text(st->rep->tool, sizeof(st->rep->tool), st);
	} else if (d == 2 && in(st, 1, "preamble") && strcmp(name, "line") == 0) {
		unsigned major = 0, minor = 0, patch = 0;

		if (sscanf(st->text, "Using Valgrind-%u.%u.%u", &major, &minor, &patch) >= 2)
			st->rep->valgrind_version = (int)(major * 10000 + minor * 100 + patch);
	} else if (d == 2 && in(st, 1, "status") && strcmp(name, "state") == 0) {
		if (st->text_len >= 8 && memcmp(st->text, "FINISHED", 8) == 0)
			st->rep->finished = true;
	}
	st->depth--;
	st->text_len = 0;
	st->text[0] = '\0';
}

int lc_vgxml_walk(const char *buf, size_t len, const struct lc_vg_walk *w, struct lc_vg_report *out)
{
	XML_Parser parser;
	struct state *st;
	int err = 0;

	memset(out, 0, sizeof(*out));
	st = ll_calloc(1, sizeof(*st));
	if (!st)
		return LL_ENOMEM;
	st->w = w;
	st->rep = out;
	parser = XML_ParserCreate(NULL);
	if (!parser) {
		err = LL_ENOMEM;
		goto out_free_state;
	}
	XML_SetUserData(parser, st);
	XML_SetElementHandler(parser, on_start, on_end);
	XML_SetCharacterDataHandler(parser, on_text);
	if (len > (size_t)INT32_MAX || XML_Parse(parser, buf, (int)len, 1) == XML_STATUS_ERROR)
		err = LL_EPROTO;
	XML_ParserFree(parser);
out_free_state:
	ll_free(st);
	return err;
}
