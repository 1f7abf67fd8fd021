/*
 * heapprof.c - the heap profile diff: memcheck's loss records, summed by
 * stack over the leak checks from N to 2N, printed like `pprof -base`,
 * and written as collapsed stacks and as a flame graph.
 *
 * A loss record, as memcheck's gdbserver prints it (one line of header,
 * then the allocation stack, then an empty line; every line starts with
 * "==PID== "):
 *
 *   135,232 (+84,520) (1,600 (+1,000) direct, 133,632 (+83,520) indirect)
 *       bytes in 8 (+5) blocks are definitely lost in loss record 641 of 641
 *      at 0x48465EF: calloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
 *      by 0x10DA72: ll_calloc (alloc.c:32)
 *      by 0x10BC2B: ll_ws_conn_create (ws_conn.c:80)
 *
 * (the header is one line). The "(+N)" is the change since the previous
 * leak check, present with `increased` or `changed`; "(-N)" is a decrease.
 */
#include "measure/heapprof.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

void lc_heap_profile_init(struct lc_heap_profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void free_frames(char **frames, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ll_free(frames[i]);
	ll_free(frames);
}

void lc_heap_profile_free(struct lc_heap_profile *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsites; i++)
		free_frames(p->sites[i].frames, p->sites[i].nframes);
	ll_free(p->sites);
	memset(p, 0, sizeof(*p));
}

/* ----- parsing ----- */

/* A number with thousands separators; false if there is no digit at *pp. */
static bool parse_num(const char **pp, long long *out)
{
	const char *p = *pp;
	long long v = 0;
	bool any = false;

	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			any = true;
		} else if (*p != ',' || !any) {
			break;
		}
	}
	if (any) {
		*out = v;
		*pp = p;
	}
	return any;
}

/* " (+1,000)" or " (-8)" after a number: the change since the last check. */
static bool parse_delta(const char **pp, long long *out)
{
	const char *p = *pp;
	long long v;
	int sign;

	while (*p == ' ')
		p++;
	if (p[0] != '(' || (p[1] != '+' && p[1] != '-'))
		return false;
	sign = p[1] == '-' ? -1 : 1;
	p += 2;
	if (!parse_num(&p, &v) || *p != ')')
		return false;
	*out = sign * v;
	*pp = p + 1;
	return true;
}

static bool skip_text(const char **pp, const char *text)
{
	size_t n = strlen(text);

	if (strncmp(*pp, text, n) != 0)
		return false;
	*pp += n;
	return true;
}

struct record {
	long long bytes, blocks; /* the change this record contributes */
	enum lc_hp_kind kind;
};

/*
 * Parses a header line (without the "==PID== " prefix). Returns false if
 * the line is not one.
 */
static bool parse_header(const char *line, struct record *r)
{
	static const char *const kinds[LC_HP_NKINDS] = {
	    [LC_HP_DEFINITE] = "definitely lost",
	    [LC_HP_INDIRECT] = "indirectly lost",
	    [LC_HP_POSSIBLE] = "possibly lost",
	    [LC_HP_REACHABLE] = "still reachable",
	};
	const char *p = line;
	long long total, d, direct, blocks;
	bool has_direct = false;
	int k;

	if (!strstr(line, " in loss record "))
		return false;
	if (!parse_num(&p, &total))
		return false;
	if (parse_delta(&p, &d))
		total = d;
	if (skip_text(&p, " (")) {
		if (!parse_num(&p, &direct))
			return false;
		if (parse_delta(&p, &d))
			direct = d;
		if (!skip_text(&p, " direct, "))
			return false;
		p = strstr(p, " indirect)");
		if (!p)
			return false;
		p += strlen(" indirect)");
		has_direct = true;
	}
	if (!skip_text(&p, " bytes in ") || !parse_num(&p, &blocks))
		return false;
	if (parse_delta(&p, &d))
		blocks = d;
	if (!skip_text(&p, " blocks are "))
		return false;
	for (k = 0; k < LC_HP_NKINDS; k++)
		if (strncmp(p, kinds[k], strlen(kinds[k])) == 0)
			break;
	if (k == LC_HP_NKINDS)
		return false;
	r->kind = (enum lc_hp_kind)k;
	r->bytes = has_direct ? direct : total;
	r->blocks = blocks;
	return true;
}

/*
 * "   at 0x48465EF: calloc (in /usr/libexec/valgrind/x.so)" -> a new string
 * "calloc (in x.so)"; "   by 0x10DA72: ll_calloc (alloc.c:32)" -> "ll_calloc
 * (alloc.c:32)". Returns NULL if the line is not a frame (*oom says if
 * that was for want of memory).
 */
static char *parse_frame(const char *line, bool *oom)
{
	const char *p = line, *colon, *in;
	size_t len;
	char *s;

	*oom = false;
	while (*p == ' ')
		p++;
	if (!skip_text(&p, "at 0x") && !skip_text(&p, "by 0x"))
		return NULL;
	colon = strstr(p, ": ");
	if (!colon)
		return NULL;
	p = colon + 2;
	len = strcspn(p, "\r\n");
	in = strstr(p, " (in /");
	if (in && (size_t)(in - p) < len) {
		/* A library without line information: keep its file name only. */
		const char *path = in + 5, *end = p + len, *base = path, *q;

		for (q = path; q < end; q++)
			if (*q == '/')
				base = q + 1;
		len = (size_t)(in - p) + 5 + (size_t)(end - base);
		s = ll_malloc(len + 1);
		if (!s) {
			*oom = true;
			return NULL;
		}
		snprintf(s, len + 1, "%.*s (in %.*s", (int)(in - p), p, (int)(end - base), base);
		return s;
	}
	s = ll_malloc(len + 1);
	if (!s) {
		*oom = true;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static bool same_stack(const struct lc_hp_site *s, char **frames, size_t n)
{
	size_t i;

	if (s->nframes != n)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(s->frames[i], frames[i]) != 0)
			return false;
	return true;
}

/* Adds one record; takes frames (freed here if the stack is known already). */
static int add_record(struct lc_heap_profile *p, const struct record *r, char **frames, size_t n)
{
	struct lc_hp_site *s;
	size_t i;

	for (i = 0; i < p->nsites; i++)
		if (same_stack(&p->sites[i], frames, n))
			break;
	if (i < p->nsites) {
		s = &p->sites[i];
		free_frames(frames, n);
	} else {
		if (p->nsites == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 32;
			struct lc_hp_site *bigger = ll_realloc(p->sites, cap * sizeof(*bigger));

			if (!bigger) {
				free_frames(frames, n);
				return LL_ENOMEM;
			}
			p->sites = bigger;
			p->cap = cap;
		}
		s = &p->sites[p->nsites++];
		memset(s, 0, sizeof(*s));
		s->frames = frames;
		s->nframes = n;
	}
	s->bytes += r->bytes;
	s->blocks += r->blocks;
	s->kinds |= 1u << r->kind;
	p->total += r->bytes;
	return 0;
}

/* The line after the "==PID== " prefix that every line of memcheck's output has. */
static const char *strip_pid(const char *line)
{
	const char *end;

	if (strncmp(line, "==", 2) != 0)
		return line;
	end = strstr(line + 2, "==");
	if (!end)
		return line;
	end += 2;
	return *end == ' ' ? end + 1 : end;
}

/* One line of text, without its newline, into buf (cut to fit). */
static const char *next_line(const char *text, char *buf, size_t size)
{
	size_t len = strcspn(text, "\n");
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(buf, text, n);
	buf[n] = '\0';
	return text[len] ? text + len + 1 : text + len;
}

int lc_heap_profile_add(struct lc_heap_profile *p, const char *text)
{
	char line[1024];
	const char *t = text;
	struct record r;
	char **frames = NULL;
	size_t nframes = 0, cap = 0;
	bool in_record = false;
	int err = 0;

	if (!strstr(text, "LEAK SUMMARY") && !strstr(text, "All heap blocks were freed"))
		return LL_EPROTO;
	while (*t && !err) {
		const char *body;
		struct record next = {0};
		bool oom, header;
		char *frame;

		t = next_line(t, line, sizeof(line));
		body = strip_pid(line);
		header = parse_header(body, &next);
		if (header || body[0] == '\0' || strstr(body, "LEAK SUMMARY")) {
			if (in_record) {
				if (nframes > 0) {
					err = add_record(p, &r, frames, nframes);
				} else {
					p->truncated = true;
					ll_free(frames);
				}
				frames = NULL;
				nframes = cap = 0;
			}
			in_record = header;
			if (header)
				r = next;
			continue;
		}
		if (!in_record)
			continue;
		frame = parse_frame(body, &oom);
		if (oom) {
			err = LL_ENOMEM;
			break;
		}
		if (!frame)
			continue;
		if (nframes == cap) {
			size_t c = cap ? cap * 2 : 16;
			char **bigger = ll_realloc(frames, c * sizeof(*bigger));

			if (!bigger) {
				ll_free(frame);
				err = LL_ENOMEM;
				break;
			}
			frames = bigger;
			cap = c;
		}
		frames[nframes++] = frame;
	}
	if (in_record && !err && nframes > 0) {
		err = add_record(p, &r, frames, nframes);
		frames = NULL;
		nframes = 0;
	} else if (in_record && !err) {
		p->truncated = true; /* the output ended inside a record */
	}
	free_frames(frames, nframes);
	p->checks++;
	return err;
}

/* ----- sorting and naming ----- */

static int by_growth(const void *a, const void *b)
{
	const struct lc_hp_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->nframes && y->nframes) {
		size_t i, n = x->nframes < y->nframes ? x->nframes : y->nframes;

		for (i = 0; i < n; i++) {
			int c = strcmp(x->frames[i], y->frames[i]);

			if (c)
				return c;
		}
	}
	return x->nframes < y->nframes ? -1 : x->nframes > y->nframes;
}

void lc_heap_profile_sort(struct lc_heap_profile *p)
{
	if (p->nsites > 1)
		qsort(p->sites, p->nsites, sizeof(*p->sites), by_growth);
}

/* "fn (file.c:12)" -> "file.c" into buf; false if the frame has no file:line. */
static bool frame_file(const char *frame, char *buf, size_t size)
{
	const char *open = strrchr(frame, '(');
	const char *colon;
	size_t n;

	if (!open || strncmp(open, "(in ", 4) == 0)
		return false;
	colon = strchr(open, ':');
	if (!colon || !isdigit((unsigned char)colon[1]))
		return false;
	n = (size_t)(colon - open - 1);
	if (n >= size)
		n = size - 1;
	memcpy(buf, open + 1, n);
	buf[n] = '\0';
	return true;
}

/* The kit's allocation wrappers (lib/src/alloc.c) and the C library's allocator. */
static bool is_alloc_wrapper(const char *frame, const char *file)
{
	static const char *const fns[] = {"malloc ",   "calloc ",    "realloc ",
					  "strdup ",   "strndup ",   "ll_malloc",
					  "ll_calloc", "ll_realloc", "ll_strdup"};
	size_t i;

	if (strcmp(file, "alloc.c") == 0 || strcmp(file, "rtld-malloc.h") == 0)
		return true;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strncmp(frame, fns[i], strlen(fns[i])) == 0)
			return true;
	return false;
}

int lc_hp_site_frame(const struct lc_hp_site *s, const char *own_source, bool *in_own)
{
	char file[256];
	int first = -1;
	size_t i;

	*in_own = false;
	for (i = 0; i < s->nframes; i++) {
		if (!frame_file(s->frames[i], file, sizeof(file)))
			continue;
		if (own_source && strcmp(file, own_source) == 0) {
			*in_own = true;
			return (int)i;
		}
		if (first < 0 && !is_alloc_wrapper(s->frames[i], file))
			first = (int)i;
	}
	return first;
}

/* ----- the report ----- */

static const char *kind_text(unsigned kinds)
{
	if (kinds == 1u << LC_HP_DEFINITE)
		return "definitely lost";
	if (kinds == 1u << LC_HP_INDIRECT)
		return "indirectly lost";
	if (kinds == 1u << LC_HP_POSSIBLE)
		return "possibly lost";
	if (kinds == 1u << LC_HP_REACHABLE)
		return "still reachable";
	return "lost under more than one kind";
}

/* Frames past these are the thread's or the process's start: not worth a line. */
static bool is_stack_bottom(const char *frame)
{
	return strncmp(frame, "start_thread ", 13) == 0 || strncmp(frame, "clone ", 6) == 0 ||
	       strncmp(frame, "(below main)", 12) == 0 ||
	       strncmp(frame, "runtime.goexit ", 15) == 0;
}

/* ----- Go's profiles, through go tool pprof ----- */

/* "main.handle /src/cases/04/go/leak.go:77 (inline)" as "main.handle (leak.go:77)". */
static char *pprof_frame(const char *line, size_t len)
{
	const char *end = line + len, *sp, *slash, *file;
	size_t fnl;
	char *out;

	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	if (end - line > 9 && strncmp(end - 9, " (inline)", 9) == 0)
		end -= 9;
	sp = memchr(line, ' ', (size_t)(end - line));
	if (!sp) {
		out = ll_malloc((size_t)(end - line) + 1);
		if (out)
			snprintf(out, (size_t)(end - line) + 1, "%s", line);
		return out;
	}
	fnl = (size_t)(sp - line);
	file = sp + 1;
	for (slash = file; slash < end; slash++)
		if (*slash == '/')
			file = slash + 1;
	out = ll_malloc(fnl + (size_t)(end - file) + 4);
	if (!out)
		return NULL;
	sprintf(out, "%.*s (%.*s)", (int)fnl, line, (int)(end - file), file);
	return out;
}

int lc_heap_profile_add_pprof(struct lc_heap_profile *p, const char *text)
{
	const char *line = text, *type = strstr(text, "\nType: ");
	char **frames = NULL;
	size_t n = 0, cap = 0;
	long long value = 0;
	bool in_stack = false;
	int err = 0;

	if (!type || !strstr(text, "-----------+"))
		return LL_EPROTO;
	p->unit = strncmp(type + 7, "goroutine", 9) == 0 ? LC_HP_GOROUTINES : LC_HP_GO_BYTES;
	p->checks++;
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n");
		const char *q = line;
		char *frame;

		if (strncmp(line, "-----------+", 12) == 0 || len == 0) {
			if (in_stack && n > 0) {
				struct record r = {.bytes = value, .kind = LC_HP_REACHABLE};

				err = add_record(p, &r, frames, n);
				frames = NULL;
				n = cap = 0;
				if (err)
					return err;
			}
			in_stack = false;
			continue;
		}
		while (*q == ' ')
			q++;
		if (strncmp(q, "bytes:", 6) == 0)
			continue; /* the label of a heap sample's size class */
		if (!in_stack) {
			char *num_end;

			if (!(isdigit((unsigned char)*q) || *q == '-'))
				continue; /* the File:, Type:, Time: header */
			value = strtoll(q, &num_end, 10);
			if (*num_end == 'B')
				num_end++;
			in_stack = true;
			q = num_end;
		}
		if (n == cap) {
			size_t bigger = cap ? cap * 2 : 16;
			char **more = ll_realloc(frames, bigger * sizeof(*more));

			if (!more) {
				free_frames(frames, n);
				return LL_ENOMEM;
			}
			frames = more;
			cap = bigger;
		}
		frame = pprof_frame(q, len - (size_t)(q - line));
		if (!frame) {
			free_frames(frames, n);
			return LL_ENOMEM;
		}
		frames[n++] = frame;
	}
	if (in_stack && n > 0) {
		struct record r = {.bytes = value, .kind = LC_HP_REACHABLE};

		return add_record(p, &r, frames, n);
	}
	free_frames(frames, n);
	return 0;
}

static double per(long long v, long clients)
{
	return clients > 0 ? (double)v / (double)clients : 0.0;
}

void lc_heap_profile_print(FILE *out, const struct lc_heap_profile *p, long clients,
			   const char *own_source, size_t max_sites)
{
	char own_frames[16][256];
	long long own_bytes[16];
	size_t nown = 0, shown = 0, i, j;
	long long grew = 0, elsewhere = 0;

	const char *u = p->unit == LC_HP_GOROUTINES ? " goroutines" : " B";
	int prec = p->unit == LC_HP_GOROUTINES ? 2 : 1; /* goroutines per client are small */

	if (p->unit == LC_HP_GOROUTINES)
		fprintf(out,
			"\ngoroutine profile: goroutines that grew over the last %ld clients, by "
			"stack\n(go tool pprof -base on /debug/pprof/goroutine at N and at 2N)\n",
			clients);
	else if (p->unit == LC_HP_GO_BYTES)
		fprintf(
		    out,
		    "\nheap profile: live bytes that grew over the last %ld clients, by "
		    "allocation stack\n(go tool pprof -base on /debug/pprof/heap at N and at 2N, "
		    "every allocation recorded)\n",
		    clients);
	else
		fprintf(out,
			"\nheap profile: live bytes that grew over the last %ld clients, by "
			"allocation stack\n(memcheck's loss records through vgdb, summed over %d "
			"leak check%s; like pprof -base)\n",
			clients, p->checks, p->checks == 1 ? "" : "s");
	for (i = 0; i < p->nsites; i++)
		if (p->sites[i].bytes > 0)
			grew += p->sites[i].bytes;
	if (grew == 0) {
		fprintf(out, "  no %s stack grew\n",
			p->unit == LC_HP_GOROUTINES ? "goroutine" : "allocation");
		return;
	}
	for (i = 0; i < p->nsites; i++) {
		const struct lc_hp_site *s = &p->sites[i];
		bool in_own;
		int mark = lc_hp_site_frame(s, own_source, &in_own);

		if (s->bytes <= 0)
			continue;
		if (in_own) {
			for (j = 0; j < nown; j++)
				if (strcmp(own_frames[j], s->frames[mark]) == 0)
					break;
			if (j == nown && nown < 16) {
				snprintf(own_frames[nown], sizeof(own_frames[nown]), "%s",
					 s->frames[mark]);
				own_bytes[nown++] = 0;
			}
			if (j < 16)
				own_bytes[j] += s->bytes;
		} else {
			elsewhere += s->bytes;
		}
		if (shown++ >= max_sites)
			continue;
		if (p->unit == LC_HP_BYTES)
			fprintf(out, "  %+.1f B/client  %+lld B in %+lld blocks, %s\n",
				per(s->bytes, clients), s->bytes, s->blocks, kind_text(s->kinds));
		else
			fprintf(out, "  %+.*f%s/client  %+lld%s\n", prec, per(s->bytes, clients), u,
				s->bytes, u);
		for (j = 0; j < s->nframes && !is_stack_bottom(s->frames[j]); j++)
			fprintf(out, "    %s %s\n", (int)j == mark ? ">" : " ", s->frames[j]);
	}
	if (shown > max_sites)
		fprintf(out, "  ... and %zu more stacks\n", shown - max_sites);
	fprintf(out, "  total: %+lld%s, %+.*f%s/client\n", grew, u, prec, per(grew, clients), u);
	/* The net change is what the LEAK SUMMARY and so the heap signal moved by. */
	if (p->total != grew)
		fprintf(out, "  shrank elsewhere: %+lld%s, so the net change is %+lld%s\n",
			p->total - grew, u, p->total, u);
	if (!own_source)
		return;
	if (nown == 0) {
		fprintf(out,
			"none of these stacks passes through %s: the library allocated the blocks "
			"(at the lines marked >) before the case's code got them\n",
			own_source);
		return;
	}
	fprintf(out, "by line of %s:\n", own_source);
	for (i = 0; i < nown; i++)
		fprintf(out, "  %+.*f%s/client  %s\n", prec, per(own_bytes[i], clients), u,
			own_frames[i]);
	if (elsewhere > 0)
		fprintf(out, "  %+.*f%s/client  in stacks that do not pass through %s\n", prec,
			per(elsewhere, clients), u, own_source);
}

int lc_heap_profile_write_folded(const struct lc_heap_profile *p, FILE *f)
{
	size_t i, j;

	for (i = 0; i < p->nsites; i++) {
		const struct lc_hp_site *s = &p->sites[i];

		if (s->bytes <= 0)
			continue;
		for (j = s->nframes; j-- > 0;)
			fprintf(f, "%s%s", s->frames[j], j ? ";" : "");
		fprintf(f, " %lld\n", s->bytes);
	}
	return ferror(f) ? LL_EIO : 0;
}

/* ----- the flame graph ----- */

struct node {
	const char *name; /* borrowed from a site's frames */
	long long bytes;
	struct node *children;
	size_t nchildren, cap;
};

static void free_node(struct node *n)
{
	size_t i;

	for (i = 0; i < n->nchildren; i++)
		free_node(&n->children[i]);
	ll_free(n->children);
}

static struct node *child(struct node *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i].name, name) == 0)
			return &n->children[i];
	if (n->nchildren == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct node *bigger = ll_realloc(n->children, cap * sizeof(*bigger));

		if (!bigger)
			return NULL;
		n->children = bigger;
		n->cap = cap;
	}
	memset(&n->children[n->nchildren], 0, sizeof(struct node));
	n->children[n->nchildren].name = name;
	return &n->children[n->nchildren++];
}

static size_t depth(const struct node *n)
{
	size_t i, d = 0;

	for (i = 0; i < n->nchildren; i++) {
		size_t c = depth(&n->children[i]);

		if (c > d)
			d = c;
	}
	return d + 1;
}

static void xml_text(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

/* A warm colour from the name, as flamegraph.pl's "hot" palette does. */
static void colour(const char *name, bool own, char *buf, size_t size)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	if (own)
		snprintf(buf, size, "rgb(%u,%u,%u)", 60 + h % 40, 140 + (h >> 8) % 50, 220);
	else
		snprintf(buf, size, "rgb(%u,%u,%u)", 205 + h % 50, (h >> 8) % 200, (h >> 16) % 55);
}

#define SVG_WIDTH  1200.0
#define SVG_MARGIN 10.0
#define FRAME_H	   16.0
#define CHAR_W	   7.0

struct svg {
	FILE *f;
	double scale; /* pixels per byte */
	double bottom;
	long long total;
	const char *own_source;
	const char *unit; /* "bytes" or "goroutines" */
};

static void draw(const struct svg *g, const struct node *n, double x, size_t level)
{
	double w = (double)n->bytes * g->scale, y = g->bottom - (double)(level + 1) * FRAME_H;
	char file[256], fill[32], bytes[32];
	bool own = g->own_source && frame_file(n->name, file, sizeof(file)) &&
		   strcmp(file, g->own_source) == 0;
	size_t i, fit;

	if (w < 0.1)
		return;
	colour(n->name, own, fill, sizeof(fill));
	fprintf(g->f, "<g><title>");
	xml_text(g->f, n->name, SIZE_MAX);
	fprintf(g->f, ": %lld %s (%.1f%%)</title>", n->bytes, g->unit,
		100.0 * (double)n->bytes / (double)g->total);
	fprintf(g->f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		"rx=\"2\"/>",
		x, y, w, FRAME_H - 1, fill);
	fit = w > 2 * CHAR_W ? (size_t)((w - 6) / CHAR_W) : 0;
	snprintf(bytes, sizeof(bytes), ", %lld%s", n->bytes,
		 strcmp(g->unit, "bytes") == 0 ? " B" : "");
	if (fit >= 3) {
		fprintf(g->f, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
		if (strlen(n->name) + strlen(bytes) <= fit) {
			xml_text(g->f, n->name, SIZE_MAX);
			fputs(bytes, g->f);
		} else if (strlen(n->name) <= fit) {
			xml_text(g->f, n->name, SIZE_MAX);
		} else {
			xml_text(g->f, n->name, fit - 2);
			fputs("..", g->f);
		}
		fputs("</text>", g->f);
	}
	fputs("</g>\n", g->f);
	for (i = 0; i < n->nchildren; i++) {
		draw(g, &n->children[i], x, level + 1);
		x += (double)n->children[i].bytes * g->scale;
	}
}

int lc_heap_profile_write_svg(const struct lc_heap_profile *p, FILE *f, const char *title,
			      const char *own_source)
{
	struct node root = {.name = "all"};
	struct svg g = {.f = f,
			.own_source = own_source,
			.unit = p->unit == LC_HP_GOROUTINES ? "goroutines" : "bytes"};
	char label[64];
	size_t i, j, levels;
	double height;
	int err = 0;

	for (i = 0; i < p->nsites && !err; i++) {
		const struct lc_hp_site *s = &p->sites[i];
		struct node *n = &root;

		if (s->bytes <= 0)
			continue;
		root.bytes += s->bytes;
		for (j = s->nframes; j-- > 0;) {
			n = child(n, s->frames[j]);
			if (!n) {
				err = LL_ENOMEM;
				break;
			}
			n->bytes += s->bytes;
		}
	}
	if (err)
		goto out_free_tree;
	levels = depth(&root);
	height = 60.0 + (double)levels * FRAME_H + 30.0;
	g.total = root.bytes > 0 ? root.bytes : 1;
	g.scale = (SVG_WIDTH - 2 * SVG_MARGIN) / (double)g.total;
	g.bottom = height - 30.0;
	snprintf(label, sizeof(label), "all");
	fprintf(f,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"Verdana, sans-serif\" font-size=\"11\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfdf6\"/>\n"
		"<text x=\"%.0f\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">",
		SVG_WIDTH, height, SVG_WIDTH, height, SVG_WIDTH / 2);
	xml_text(f, title, SIZE_MAX);
	fprintf(f,
		"</text>\n<text x=\"%.0f\" y=\"44\" text-anchor=\"middle\" fill=\"#555\">"
		"%s",
		SVG_WIDTH / 2,
		p->unit == LC_HP_GOROUTINES
		    ? "width: goroutines under a frame that were live at 2N and not at N; bottom: "
		      "where the goroutine started"
		    : "width: bytes allocated under a frame that were still live at 2N and not at "
		      "N; bottom: where the thread started");
	if (own_source) {
		fputs("; blue: ", f);
		xml_text(f, own_source, SIZE_MAX);
	}
	fputs("</text>\n", f);
	if (root.bytes == 0) {
		fprintf(f,
			"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no allocation stack "
			"grew</text>\n",
			SVG_WIDTH / 2, g.bottom - FRAME_H);
	} else {
		root.name = label;
		draw(&g, &root, SVG_MARGIN, 0);
	}
	fputs("</svg>\n", f);
	if (ferror(f))
		err = LL_EIO;
out_free_tree:
	free_node(&root);
	return err;
}
