/*
 * gorace.c - Go's race detector's report, read into the struct DRD's
 * fills (gorace.h).
 */
#include "gorace.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#define BANNER "WARNING: DATA RACE"

/* Appends "s" to buf (size size), cutting it short rather than overflowing. */
static void append(char *buf, size_t size, const char *s, size_t n)
{
	size_t len = strlen(buf);

	if (len + 1 >= size)
		return;
	if (n > size - 1 - len)
		n = size - 1 - len;
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
}

/* The last c in s[0..n), or NULL (memrchr is a GNU extension). */
static const char *last_of(const char *s, char c, size_t n)
{
	while (n-- > 0)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/* The length of the line at p, without its newline. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

/* The next line after p, or NULL at the end. */
static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : NULL;
}

/* Whether file (a path) has the stem of own ("leak.go" for "leak.c"). */
static bool same_stem(const char *file, size_t flen, const char *own)
{
	const char *base = file, *dot;
	size_t i, stem, own_stem;

	for (i = 0; i < flen; i++)
		if (file[i] == '/')
			base = file + i + 1;
	flen -= (size_t)(base - file);
	dot = memchr(base, '.', flen);
	stem = dot ? (size_t)(dot - base) : flen;
	own_stem = strcspn(own, ".");
	return stem == own_stem && strncmp(base, own, stem) == 0;
}

/*
 * Reads the first access's stack, starting at the line after "Write at
 * ... by goroutine N:": pairs of a function line ("  main.f()") and a
 * file line ("      /path/leak.go:54 +0x64"), until a blank line.
 */
static void read_stack(const char *p, const char *own, struct lc_drd *d)
{
	int frames = 0;

	while (p && *p == ' ') {
		const char *fn = p, *file = next_line(p);
		size_t fnl = line_len(fn), fl;
		const char *colon, *plus, *slash;
		char frame[256];

		if (!file || *file != ' ')
			return;
		while (*fn == ' ')
			fn++, fnl--;
		if (fnl >= 2 && fn[fnl - 1] == ')' && fn[fnl - 2] == '(')
			fnl -= 2; /* "main.f()" is named "main.f" */
		while (*file == ' ' || *file == '\t')
			file++;
		fl = line_len(file);
		plus = memchr(file, ' ', fl);
		if (plus)
			fl = (size_t)(plus - file); /* drop " +0x64" */
		colon = last_of(file, ':', fl);
		slash = last_of(file, '/', fl);
		slash = slash ? slash + 1 : file;
		snprintf(frame, sizeof(frame), "%.*s (%.*s)", (int)fnl, fn,
			 (int)(file + fl - slash), slash);
		if (frames++ > 0)
			append(d->first_race_stack, sizeof(d->first_race_stack), " < ", 3);
		append(d->first_race_stack, sizeof(d->first_race_stack), frame, strlen(frame));
		if (!d->first_race_at[0] && own && colon &&
		    same_stem(file, (size_t)(colon - file), own))
			snprintf(d->first_race_at, sizeof(d->first_race_at), "%s", frame);
		p = next_line(file);
	}
}

int lc_gorace_parse(const char *text, const char *own_file, struct lc_drd *d)
{
	const char *p;

	memset(d, 0, sizeof(*d));
	for (p = text; p; p = next_line(p)) {
		long n;

		if (strncmp(p, BANNER, sizeof(BANNER) - 1) == 0) {
			const char *access = next_line(p);

			d->parsed = true;
			d->races++;
			d->race_records++;
			if (d->races == 1 && access) {
				size_t len = line_len(access);

				if (len && access[len - 1] == ':')
					len--;
				snprintf(d->first_race, sizeof(d->first_race), "%.*s", (int)len,
					 access);
				read_stack(next_line(access), own_file, d);
			}
		} else if (sscanf(p, "Found %ld data race(s)", &n) == 1) {
			d->parsed = true;
			d->finished = true;
		}
	}
	return 0;
}

int lc_gorace_parse_file(const char *path, const char *own_file, struct lc_drd *d)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!f)
		return LL_EIO;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *more = ll_realloc(buf, cap + 65536);

			if (!more) {
				err = LL_ENOMEM;
				goto out_free_buf;
			}
			buf = more;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	err = lc_gorace_parse(buf, own_file, d);
out_free_buf:
	ll_free(buf);
	fclose(f);
	return err;
}
