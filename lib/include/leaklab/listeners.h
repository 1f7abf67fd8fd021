/*
 * leaklab/listeners.h - a list of callbacks for one event, each with its
 * own context: Node's EventEmitter for one event name (on, off, emit), the
 * subscriber list behind a Go Subscribe()/unsubscribe pair.
 *
 * A listener's context is usually heap memory that refers to something
 * bigger (a connection, a request). The list owns it from ll_listeners_on()
 * until ll_listeners_off() or ll_listeners_destroy(), which hand it to the
 * listener's free function, so a listener that is added and never removed
 * keeps its context, and all it refers to, for the life of the list: the
 * leak of case 09. Like Node's EventEmitter, a list warns (once, on
 * stderr) when it holds more listeners than expected.
 *
 * Threads: every function is thread-safe. emit calls the listeners in the
 * order they were added, on the emitting thread, with the list locked: a
 * listener cannot add, remove or emit on the same list (from inside its
 * emit, on and off refuse with LL_EINVAL and emit calls nobody), and off waits
 * for a running emit to finish, so when off returns the listener is not
 * running and never will again.
 */
#ifndef LEAKLAB_LISTENERS_H
#define LEAKLAB_LISTENERS_H

#include <stddef.h>
#include <stdint.h>

struct ll_listeners;

/* Called by emit with the listener's context and the emitted event (not owned). */
typedef void (*ll_listener_fn)(void *ctx, const void *event);
/* Frees a listener's context when it is removed or the list is destroyed. */
typedef void (*ll_listener_free_fn)(void *ctx);

/*
 * Makes an empty list. name (copied) names it in the warning; warn_at > 0
 * prints the warning the first time the list holds more than warn_at
 * listeners (Node's setMaxListeners; 0 never warns). Returns 0 or
 * LL_ENOMEM.
 */
int ll_listeners_create(struct ll_listeners **out, const char *name, size_t warn_at);

/*
 * Frees the list and every listener still on it, calling each one's free
 * function. No thread may be emitting or still use the list. NULL is a
 * no-op.
 */
void ll_listeners_destroy(struct ll_listeners *l);

/*
 * Adds fn with its context at the end of the list. From now on the list
 * owns ctx and frees it with free_ctx (which may be NULL: ctx is then not
 * freed). *id (if id is not NULL) gets a process-unique id (never 0) for
 * ll_listeners_off. Returns 0; LL_EINVAL (fn NULL, or called from inside
 * an emit of this list); LL_ENOMEM. On failure ctx still belongs to the
 * caller.
 */
int ll_listeners_on(struct ll_listeners *l, ll_listener_fn fn, void *ctx,
		    ll_listener_free_fn free_ctx, uint64_t *id);

/*
 * Removes the listener id and frees its context with its free function.
 * Blocks while an emit is running on another thread. Returns 0; LL_EINVAL
 * (no such listener, or called from inside an emit of this list: nothing
 * is removed).
 */
int ll_listeners_off(struct ll_listeners *l, uint64_t id);

/*
 * Calls every listener with event, in the order they were added, and
 * returns how many were called. Blocks while another emit, on or off runs.
 * Called from inside an emit of the same list it calls nobody and returns 0.
 */
size_t ll_listeners_emit(struct ll_listeners *l, const void *event);

/* Listeners on the list right now. */
size_t ll_listeners_count(struct ll_listeners *l);

#endif
