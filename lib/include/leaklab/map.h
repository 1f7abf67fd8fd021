/*
 * leaklab/map.h - a hash map from strings to pointers (Go's map guarded by
 * a mutex, or sync.Map; a JavaScript Map or Set).
 *
 * The map copies keys and stores values by pointer. If a free_value
 * function is given, the map owns the values: it frees a value when it is
 * replaced, removed without being returned, or when the map is destroyed.
 * The table grows when it fills and shrinks when it empties, so a map that
 * loses its entries really gives the memory back.
 *
 * All functions are thread-safe (one internal mutex).
 */
#ifndef LEAKLAB_MAP_H
#define LEAKLAB_MAP_H

#include <stddef.h>

struct ll_map;

typedef void (*ll_map_free_fn)(void *value);

/* Creates an empty map. free_value may be NULL. 0 or LL_ENOMEM. */
int ll_map_create(struct ll_map **out, ll_map_free_fn free_value);

/* Frees every entry (values through free_value, if set) and the map. NULL is a no-op. */
void ll_map_destroy(struct ll_map *m);

/*
 * Sets key to value, replacing (and freeing, if the map owns values) an
 * existing value. Returns 0, LL_EINVAL (NULL key) or LL_ENOMEM (the map is
 * unchanged; value still belongs to the caller).
 */
int ll_map_set(struct ll_map *m, const char *key, void *value);

/* The value for key, or NULL. The pointer is only safe to use while the entry stays. */
void *ll_map_get(struct ll_map *m, const char *key);

/*
 * Removes key. If value_out is not NULL the value is handed to the caller
 * (not freed); otherwise it is freed through free_value if set.
 * Returns 0 or LL_EINVAL if key is not present.
 */
int ll_map_remove(struct ll_map *m, const char *key, void **value_out);

/* Entries in the map. */
size_t ll_map_len(struct ll_map *m);

/*
 * Calls fn(key, value, arg) for each entry, holding the map's lock: fn must
 * not call back into the map. Iteration stops early if fn returns non-zero.
 */
void ll_map_foreach(struct ll_map *m, int (*fn)(const char *key, void *value, void *arg),
		    void *arg);

#endif
