/*
 * listeners.c - a listener list (listeners.h): an array in the order the
 * listeners were added, grown by doubling and shrunk by halving, under one
 * mutex held across emit, so off() can promise that a removed listener is
 * not running and never will again.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/listeners.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct listener {
	uint64_t id;
	ll_listener_fn fn;
	void *ctx;
	ll_listener_free_fn free_ctx;
};

struct ll_listeners {
	pthread_mutex_t lock;
	struct listener *items;
	size_t len, cap;
	size_t warn_at;
	bool warned;
	char *name;
};

static atomic_uint_fast64_t next_id = 1;

/*
 * The list this thread is emitting on (innermost), so on and off can refuse
 * to run inside its own emit, which holds the lock they need. Per thread,
 * so reading it needs no lock.
 */
static _Thread_local const struct ll_listeners *emitting_here;

int ll_listeners_create(struct ll_listeners **out, const char *name, size_t warn_at)
{
	struct ll_listeners *l = ll_calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return LL_ENOMEM;
	l->name = ll_strdup(name ? name : "listeners");
	if (!l->name)
		goto out_free_list;
	if (pthread_mutex_init(&l->lock, NULL) != 0)
		goto out_free_name;
	l->warn_at = warn_at;
	*out = l;
	return 0;
out_free_name:
	ll_free(l->name);
out_free_list:
	ll_free(l);
	return LL_ENOMEM;
}

void ll_listeners_destroy(struct ll_listeners *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->len; i++)
		if (l->items[i].free_ctx)
			l->items[i].free_ctx(l->items[i].ctx);
	ll_free(l->items);
	pthread_mutex_destroy(&l->lock);
	ll_free(l->name);
	ll_free(l);
}

int ll_listeners_on(struct ll_listeners *l, ll_listener_fn fn, void *ctx,
		    ll_listener_free_fn free_ctx, uint64_t *id)
{
	int err = 0;

	/* From inside its own emit a listener would deadlock on the lock: say so instead. */
	if (!fn || emitting_here == l)
		return LL_EINVAL;
	pthread_mutex_lock(&l->lock);
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct listener *bigger = ll_realloc(l->items, cap * sizeof(*bigger));

		if (!bigger) {
			err = LL_ENOMEM;
			goto out_unlock;
		}
		l->items = bigger;
		l->cap = cap;
	}
	l->items[l->len] = (struct listener){
	    .id = atomic_fetch_add(&next_id, 1), .fn = fn, .ctx = ctx, .free_ctx = free_ctx};
	if (id)
		*id = l->items[l->len].id;
	l->len++;
	/* Node's MaxListenersExceededWarning: once, since it is a hint, not an error. */
	if (l->warn_at && l->len > l->warn_at && !l->warned) {
		l->warned = true;
		fprintf(stderr,
			"leaklab: possible listener leak: %zu listeners on \"%s\" (more than "
			"%zu); is one added per message and never removed?\n",
			l->len, l->name, l->warn_at);
	}
out_unlock:
	pthread_mutex_unlock(&l->lock);
	return err;
}

int ll_listeners_off(struct ll_listeners *l, uint64_t id)
{
	struct listener gone = {0};
	size_t i;

	if (emitting_here == l)
		return LL_EINVAL;
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->len && l->items[i].id != id; i++)
		;
	if (i == l->len) {
		pthread_mutex_unlock(&l->lock);
		return LL_EINVAL;
	}
	gone = l->items[i];
	memmove(&l->items[i], &l->items[i + 1], (l->len - i - 1) * sizeof(l->items[0]));
	l->len--;
	/*
	 * Shrink as the list empties, so its memory follows the listeners it
	 * holds now, not the most it ever held: a list that keeps its peak
	 * would look like a small leak to anyone measuring the heap. A failed
	 * shrink keeps the bigger array, which is still correct.
	 */
	if (l->len == 0) {
		ll_free(l->items);
		l->items = NULL;
		l->cap = 0;
	} else if (l->cap > 8 && l->len < l->cap / 4) {
		struct listener *smaller = ll_realloc(l->items, l->cap / 2 * sizeof(*smaller));

		if (smaller) {
			l->items = smaller;
			l->cap /= 2;
		}
	}
	pthread_mutex_unlock(&l->lock);
	/* Outside the lock: the free function may take locks of its own. */
	if (gone.free_ctx)
		gone.free_ctx(gone.ctx);
	return 0;
}

size_t ll_listeners_emit(struct ll_listeners *l, const void *event)
{
	const struct ll_listeners *outer = emitting_here;
	size_t i, n;

	if (emitting_here == l)
		return 0;
	pthread_mutex_lock(&l->lock);
	emitting_here = l;
	for (i = 0; i < l->len; i++)
		l->items[i].fn(l->items[i].ctx, event);
	n = l->len;
	emitting_here = outer;
	pthread_mutex_unlock(&l->lock);
	return n;
}

size_t ll_listeners_count(struct ll_listeners *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->len;
	pthread_mutex_unlock(&l->lock);
	return n;
}
