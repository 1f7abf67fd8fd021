/*
 * replay.c - a standalone driver for the fuzz targets, for builds without
 * libFuzzer (gcc, or clang without its fuzzer runtime).
 *
 * It runs LLVMFuzzerTestOneInput on every file of the seed corpus, then on
 * up to --runs mutations of them, stopping early after --max-time seconds.
 * The mutations are blind (no coverage feedback: that is libFuzzer's job
 * in the fuzz preset) but deterministic: mutation K depends only on the
 * corpus, --seed and K, never on the target or the clock. A failure
 * therefore reproduces: the driver names the seed file or mutation that
 * was running when the target aborted or a sanitizer stopped it, and
 * --dump K FILE writes mutation K out so it can be replayed alone, added
 * to the corpus, or given to a libFuzzer binary.
 *
 * Every input is handed to the target in a buffer of exactly its size, so
 * that in an ASan build a read past the end is reported.
 *
 * Usage: replay [--runs N] [--max-time S] [--seed S] [--max-len L]
 *               [--dump K FILE] [--verbose] PATH...
 * PATH is a corpus directory or a single file. Exits 0 when every input
 * ran; a failing input ends the process the way the target or sanitizer
 * ends it (abort(), or the sanitizer's exit code).
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct input {
	char *name;
	uint8_t *data;
	size_t len;
};

struct corpus {
	struct input *v;
	size_t n;
	size_t cap;
};

/*
 * What is running now, for the crash message. Written before each input,
 * read only from the abort handler or the sanitizer's death callback.
 */
static const char *current_name;
static long current_mutation = -1;
static uint64_t current_seed;

/* The sanitizers call this before they exit; absent (NULL) in plain builds. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

/* Decimal without stdio: this runs in a signal handler. */
static void say_num(unsigned long long v)
{
	char buf[24];
	size_t i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	say(buf + i);
}

static void report_current(void)
{
	if (current_mutation < 0) {
		say("replay: failed on seed file ");
		say(current_name ? current_name : "?");
		say("\n");
		return;
	}
	say("replay: failed on mutation ");
	say_num((unsigned long long)current_mutation);
	say(" (of seed file ");
	say(current_name ? current_name : "?");
	say(", --seed ");
	say_num(current_seed);
	say("); --dump ");
	say_num((unsigned long long)current_mutation);
	say(" FILE writes it out\n");
}

static void on_abort(int sig)
{
	report_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int add_input(struct corpus *c, const char *path, const char *name)
{
	struct input *grown, *in;
	FILE *f;
	long size;

	f = fopen(path, "rb");
	if (!f)
		goto out_err;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close_file;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		grown = realloc(c->v, c->cap * sizeof(*c->v));
		if (!grown)
			goto out_close_file;
		c->v = grown;
	}
	in = &c->v[c->n];
	in->len = (size_t)size;
	in->data = malloc(in->len ? in->len : 1);
	if (!in->data)
		goto out_close_file;
	if (in->len && fread(in->data, 1, in->len, f) != in->len)
		goto out_free_data;
	in->name = strdup(name);
	if (!in->name)
		goto out_free_data;
	fclose(f);
	c->n++;
	return 0;

out_free_data:
	free(in->data);
out_close_file:
	fclose(f);
out_err:
	fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno ? errno : EIO));
	return -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, in name order so that runs are reproducible. */
static int add_dir(struct corpus *c, const char *dir, DIR *d)
{
	struct dirent *e;
	char **names = NULL, **grown, path[4096];
	size_t n = 0, cap = 0, i;
	int rc = 0;

	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = -1;
				goto out_free_names;
			}
			names = grown;
		}
		names[n] = strdup(e->d_name);
		if (!names[n]) {
			rc = -1;
			goto out_free_names;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = add_input(c, path, path);
	}
out_free_names:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int add_path(struct corpus *c, const char *path)
{
	DIR *d;
	int rc;

	d = opendir(path);
	if (!d)
		return add_input(c, path, path);
	rc = add_dir(c, path, d);
	closedir(d);
	return rc;
}

/* ----- mutations ----- */

static const uint8_t interesting8[] = {0x00, 0x01, 0x0a, 0x0d, 0x20, 0x3a, 0x7d,
				       0x7e, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xff};
static const uint64_t interesting64[] = {0,	  1,	    125,      126,   127,	0xffff,
					 0x10000, 1u << 24, 1u << 31, ~0ull, 1ull << 63};

/*
 * Applies 1 to 4 random edits to buf (len bytes, room for cap) and
 * returns the new length. other is another seed, for splicing.
 */
static size_t mutate(uint64_t *rng, uint8_t *buf, size_t len, size_t cap, const struct input *other)
{
	size_t edits = 1 + (size_t)(fuzz_rand(rng) % 4), e, pos, n, k;
	uint64_t v;

	for (e = 0; e < edits; e++) {
		pos = len ? (size_t)(fuzz_rand(rng) % len) : 0;
		switch (fuzz_rand(rng) % 9) {
		case 0: /* flip a bit */
			if (len)
				buf[pos] ^= (uint8_t)(1u << (fuzz_rand(rng) % 8));
			break;
		case 1: /* a random byte */
			if (len)
				buf[pos] = (uint8_t)fuzz_rand(rng);
			break;
		case 2: /* an interesting byte: lengths, CR/LF, UTF-8 boundaries */
			if (len)
				buf[pos] = interesting8[fuzz_rand(rng) % sizeof(interesting8)];
			break;
		case 3: /* an interesting big-endian integer of 2 or 8 bytes */
			n = fuzz_rand(rng) % 2 ? 2 : 8;
			v = interesting64[fuzz_rand(rng) % (sizeof(interesting64) / sizeof(v))];
			for (k = 0; k < n && pos + k < len; k++)
				buf[pos + k] = (uint8_t)(v >> (8 * (n - 1 - k)));
			break;
		case 4: /* insert random bytes */
			n = 1 + (size_t)(fuzz_rand(rng) % 8);
			if (len + n > cap)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			for (k = 0; k < n; k++)
				buf[pos + k] = (uint8_t)fuzz_rand(rng);
			len += n;
			break;
		case 5: /* erase a range */
			if (!len)
				break;
			n = 1 + (size_t)(fuzz_rand(rng) % (len - pos < 16 ? len - pos : 16));
			memmove(buf + pos, buf + pos + n, len - pos - n);
			len -= n;
			break;
		case 6: /* duplicate a range */
			n = len - pos < 32 ? len - pos : 32;
			if (!n || len + n > cap)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			len += n;
			break;
		case 7: /* splice: keep a prefix, continue with the tail of another seed */
			if (!other->len)
				break;
			k = (size_t)(fuzz_rand(rng) % other->len);
			n = other->len - k;
			if (pos + n > cap)
				n = cap - pos;
			memcpy(buf + pos, other->data + k, n);
			len = pos + n;
			break;
		default: /* truncate */ len = pos; break;
		}
	}
	return len;
}

/*
 * Makes mutation number k into buf (cap bytes) and returns its length;
 * *from gets the seed it started from. Depends only on the corpus, seed
 * and k.
 */
static size_t make_mutation(const struct corpus *c, uint64_t seed, long k, uint8_t *buf, size_t cap,
			    size_t *from)
{
	uint64_t rng = seed ^ ((uint64_t)k + 1) * UINT64_C(0x9e3779b97f4a7c15);
	const struct input *base, *other;
	size_t len;

	fuzz_rand(&rng);
	*from = (size_t)(fuzz_rand(&rng) % c->n);
	base = &c->v[*from];
	other = &c->v[fuzz_rand(&rng) % c->n];
	len = base->len < cap ? base->len : cap;
	memcpy(buf, base->data, len);
	return mutate(&rng, buf, len, cap, other);
}

/* Runs the target on an exactly sized copy, so ASan sees any over-read. */
static int run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	if (len)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dump(const struct corpus *c, uint64_t seed, long k, size_t max_len, const char *file)
{
	uint8_t *buf = malloc(max_len);
	size_t from, len;
	FILE *f;
	int rc = -1;

	if (!buf)
		return -1;
	len = make_mutation(c, seed, k, buf, max_len, &from);
	f = fopen(file, "wb");
	if (!f)
		goto out_free_buf;
	if (fwrite(buf, 1, len, f) == len)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0)
		printf("replay: mutation %ld (of %s, %zu bytes) written to %s\n", k,
		       c->v[from].name, len, file);
out_free_buf:
	free(buf);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: replay [--runs N] [--max-time S] [--seed S] [--max-len L]\n"
			"              [--dump K FILE] [--verbose] CORPUS_DIR_OR_FILE...\n");
}

int main(int argc, char **argv)
{
	struct corpus c = {0};
	long runs = 1000000, k, dump_k = -1, done = 0;
	double max_time = 5, start;
	uint64_t seed = 1;
	size_t max_len = 4096, i, from, len;
	const char *dump_file = NULL;
	uint8_t *buf = NULL;
	int verbose = 0, status = 1, a;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--runs") == 0 && a + 1 < argc) {
			runs = strtol(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "--max-time") == 0 && a + 1 < argc) {
			max_time = strtod(argv[++a], NULL);
		} else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
			seed = strtoull(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "--max-len") == 0 && a + 1 < argc) {
			max_len = strtoul(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "--dump") == 0 && a + 2 < argc) {
			dump_k = strtol(argv[++a], NULL, 10);
			dump_file = argv[++a];
		} else if (strcmp(argv[a], "--verbose") == 0) {
			verbose = 1;
		} else {
			usage();
			return 2;
		}
	}
	if (a == argc || runs < 0 || max_len == 0) {
		usage();
		return 2;
	}
	for (; a < argc; a++) {
		if (add_path(&c, argv[a]) != 0)
			goto out_free_corpus;
	}
	if (c.n == 0) {
		fprintf(stderr, "replay: the corpus is empty\n");
		goto out_free_corpus;
	}
	if (dump_file) {
		status = dump(&c, seed, dump_k, max_len, dump_file) == 0 ? 0 : 1;
		goto out_free_corpus;
	}

	signal(SIGABRT, on_abort);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(report_current);
	buf = malloc(max_len);
	if (!buf)
		goto out_free_corpus;

	start = now();
	current_seed = seed;
	for (i = 0; i < c.n; i++) {
		current_name = c.v[i].name;
		if (verbose)
			fprintf(stderr, "replay: %s\n", current_name);
		if (run_one(c.v[i].data, c.v[i].len) != 0)
			goto out_free_buf;
	}
	for (k = 0; k < runs; k++) {
		/* The clock is read every 64 runs: cheap, and bounds the overrun. */
		if (k % 64 == 0 && now() - start > max_time)
			break;
		len = make_mutation(&c, seed, k, buf, max_len, &from);
		current_name = c.v[from].name;
		current_mutation = k;
		if (verbose)
			fprintf(stderr, "replay: mutation %ld of %s\n", k, current_name);
		if (run_one(buf, len) != 0)
			goto out_free_buf;
		done++;
	}
	printf(
	    "replay: %zu seed files and %ld of %ld mutations (--seed %llu) in %.1f s, no failure\n",
	    c.n, done, runs, (unsigned long long)seed, now() - start);
	status = 0;

out_free_buf:
	free(buf);
out_free_corpus:
	for (i = 0; i < c.n; i++) {
		free(c.v[i].name);
		free(c.v[i].data);
	}
	free(c.v);
	return status;
}
