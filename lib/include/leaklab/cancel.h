/*
 * leaklab/cancel.h - a cancellation token with an optional deadline and
 * children (the C stand-in for Go's context.Context with cancel and
 * deadline).
 *
 * Cancelling a token cancels all its children, and their children. A
 * deadline cancels the token when it passes (checked lazily by done/wait,
 * no thread is started). A child never outlives its parent's deadline.
 */
#ifndef LEAKLAB_CANCEL_H
#define LEAKLAB_CANCEL_H

#include <stdbool.h>

struct ll_cancel;

/*
 * Creates a token. parent may be NULL; if the parent is already cancelled
 * the child starts cancelled. timeout_ms > 0 sets a deadline that far from
 * now; 0 means none. Returns 0 or LL_ENOMEM.
 * A child must be destroyed before its parent.
 */
int ll_cancel_create(struct ll_cancel **out, struct ll_cancel *parent, int timeout_ms);

/* Detaches the token from its parent and frees it. NULL is a no-op. */
void ll_cancel_destroy(struct ll_cancel *c);

/* Cancels c and every descendant and wakes their waiters. Idempotent. */
void ll_cancel_trigger(struct ll_cancel *c);

/* True once c was cancelled or its deadline passed. */
bool ll_cancel_done(struct ll_cancel *c);

/*
 * Why c is done: 0 (not done), LL_ECANCELED (cancelled), LL_ETIMEDOUT
 * (deadline exceeded), as context.Err() does.
 */
int ll_cancel_err(struct ll_cancel *c);

/*
 * Blocks until c is done or timeout_ms passes (< 0 forever, 0 polls).
 * Returns ll_cancel_err(c): 0 if the wait ran out with c still live,
 * LL_ECANCELED or LL_ETIMEDOUT (c's own deadline) if c is done.
 */
int ll_cancel_wait(struct ll_cancel *c, int timeout_ms);

#endif
