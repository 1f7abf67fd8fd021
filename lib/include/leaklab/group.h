/*
 * leaklab/group.h - a group of threads that are all joined (Go's
 * sync.WaitGroup with the goroutines it waits for; errgroup without the
 * error).
 *
 * Threads that finish are joined and forgotten by the next ll_group_go()
 * or ll_group_reap(), so a long-running server does not pile up finished,
 * unjoined threads (each of which keeps its stack until joined).
 */
#ifndef LEAKLAB_GROUP_H
#define LEAKLAB_GROUP_H

#include <stddef.h>

struct ll_group;

typedef void (*ll_group_fn)(void *arg);

/* Creates an empty group. 0 or LL_ENOMEM. */
int ll_group_create(struct ll_group **out);

/*
 * Starts a thread running fn(arg) in the group, after reaping threads that
 * have finished. Returns 0, LL_ENOMEM, or LL_EIO if the thread could not be
 * created (fn will not run; arg still belongs to the caller).
 */
int ll_group_go(struct ll_group *g, ll_group_fn fn, void *arg);

/* Joins the threads that have already finished. Never blocks on a running one. */
void ll_group_reap(struct ll_group *g);

/* Threads started and not yet finished. */
size_t ll_group_running(struct ll_group *g);

/* Blocks until every thread of the group has finished, and joins them all. */
void ll_group_wait(struct ll_group *g);

/* ll_group_wait(), then frees the group. NULL is a no-op. */
void ll_group_destroy(struct ll_group *g);

#endif
