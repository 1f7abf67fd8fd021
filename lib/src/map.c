/*
 * map.c - a string-keyed hash map with separate chaining.
 *
 * Buckets are a power of two so a hash picks one with a mask; the hash is
 * 64-bit FNV-1a, kept in each entry so resizing never rehashes a key. The
 * table doubles when the load passes 3/4 and halves when it drops under
 * 1/4 (never below MIN_BUCKETS), so a map that empties gives its memory
 * back. A failed resize is harmless: the map stays correct, only slower, so
 * resizing never turns a set or remove into a failure.
 *
 * Each entry is one allocation holding the entry and a copy of its key.
 * free_value is called after the lock is dropped, so a value's destructor
 * may take other locks (or even use this map) without deadlocking.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/map.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MIN_BUCKETS 8

struct entry {
	struct entry *next;
	uint64_t hash;
	void *value;
	char key[]; /* the map's own copy */
};

struct ll_map {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets; /* a power of two, >= MIN_BUCKETS */
	size_t len;
	ll_map_free_fn free_value;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The link that points at key's entry, or at the NULL ending its chain. */
static struct entry **find_link(struct ll_map *m, const char *key, uint64_t hash)
{
	struct entry **link = &m->buckets[hash & (m->nbuckets - 1)];

	while (*link && ((*link)->hash != hash || strcmp((*link)->key, key) != 0))
		link = &(*link)->next;
	return link;
}

/* Moves every entry into a table of n buckets; on ENOMEM keeps the old one. */
static void resize(struct ll_map *m, size_t n)
{
	struct entry **buckets, *e, *next;
	size_t i;

	buckets = ll_calloc(n, sizeof(*buckets));
	if (!buckets)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e; e = next) {
			next = e->next;
			e->next = buckets[e->hash & (n - 1)];
			buckets[e->hash & (n - 1)] = e;
		}
	}
	ll_free(m->buckets);
	m->buckets = buckets;
	m->nbuckets = n;
}

int ll_map_create(struct ll_map **out, ll_map_free_fn free_value)
{
	struct ll_map *m;

	*out = NULL;
	m = ll_calloc(1, sizeof(*m));
	if (!m)
		return LL_ENOMEM;
	m->buckets = ll_calloc(MIN_BUCKETS, sizeof(*m->buckets));
	if (!m->buckets)
		goto out_free_map;
	m->nbuckets = MIN_BUCKETS;
	m->free_value = free_value;
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		goto out_free_buckets;
	*out = m;
	return 0;

out_free_buckets:
	ll_free(m->buckets);
out_free_map:
	ll_free(m);
	return LL_ENOMEM;
}

void ll_map_destroy(struct ll_map *m)
{
	struct entry *e, *next;
	size_t i;

	if (!m)
		return;
	/* No other thread may use the map any more, so no lock is needed. */
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e; e = next) {
			next = e->next;
			if (m->free_value)
				m->free_value(e->value);
			ll_free(e);
		}
	}
	ll_free(m->buckets);
	pthread_mutex_destroy(&m->lock);
	ll_free(m);
}

int ll_map_set(struct ll_map *m, const char *key, void *value)
{
	struct entry **link, *e;
	uint64_t hash;
	void *old = NULL;
	bool replaced = false;
	size_t keylen;

	if (!key)
		return LL_EINVAL;
	hash = fnv1a(key);
	pthread_mutex_lock(&m->lock);
	link = find_link(m, key, hash);
	if (*link) {
		old = (*link)->value;
		(*link)->value = value;
		replaced = true;
		goto out_unlock;
	}
	keylen = strlen(key);
	e = ll_malloc(sizeof(*e) + keylen + 1);
	if (!e) {
		pthread_mutex_unlock(&m->lock);
		return LL_ENOMEM;
	}
	memcpy(e->key, key, keylen + 1);
	e->hash = hash;
	e->value = value;
	e->next = NULL;
	*link = e;
	m->len++;
	if (m->len > m->nbuckets / 4 * 3)
		resize(m, m->nbuckets * 2);
out_unlock:
	pthread_mutex_unlock(&m->lock);
	/* Setting a key to the value it already has must not free that value. */
	if (replaced && old != value && m->free_value)
		m->free_value(old);
	return 0;
}

void *ll_map_get(struct ll_map *m, const char *key)
{
	struct entry *e;
	void *value;

	if (!key)
		return NULL;
	pthread_mutex_lock(&m->lock);
	e = *find_link(m, key, fnv1a(key));
	value = e ? e->value : NULL;
	pthread_mutex_unlock(&m->lock);
	return value;
}

int ll_map_remove(struct ll_map *m, const char *key, void **value_out)
{
	struct entry **link, *e;
	void *value;

	if (!key)
		return LL_EINVAL;
	pthread_mutex_lock(&m->lock);
	link = find_link(m, key, fnv1a(key));
	e = *link;
	if (!e) {
		pthread_mutex_unlock(&m->lock);
		return LL_EINVAL;
	}
	*link = e->next;
	m->len--;
	if (m->nbuckets > MIN_BUCKETS && m->len < m->nbuckets / 4)
		resize(m, m->nbuckets / 2);
	pthread_mutex_unlock(&m->lock);

	value = e->value;
	ll_free(e);
	if (value_out)
		*value_out = value;
	else if (m->free_value)
		m->free_value(value);
	return 0;
}

size_t ll_map_len(struct ll_map *m)
{
	size_t len;

	pthread_mutex_lock(&m->lock);
	len = m->len;
	pthread_mutex_unlock(&m->lock);
	return len;
}

void ll_map_foreach(struct ll_map *m, int (*fn)(const char *key, void *value, void *arg), void *arg)
{
	struct entry *e;
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e; e = e->next) {
			if (fn(e->key, e->value, arg) != 0)
				goto out_unlock;
		}
	}
out_unlock:
	pthread_mutex_unlock(&m->lock);
}
