/*
 * leaklab/chan.h - a bounded blocking queue of pointers with Go channel
 * semantics (the C stand-in for `chan T`).
 *
 * Capacity 0 is a rendezvous: ll_chan_send() blocks until a receiver has
 * taken the item, as an unbuffered Go channel does. Capacity N buffers up to
 * N items; a send blocks only while the buffer is full.
 *
 * ll_chan_close() wakes every waiter. After close, a send fails with
 * LL_ECLOSED (Go panics; we return an error so cleanup stays visible), and
 * a receive keeps returning buffered items until the buffer is empty, then
 * LL_ECLOSED (Go's `v, ok := <-ch` with ok == false).
 *
 * The queue stores pointers and never frees them: whoever sends an item
 * owns it until a receiver takes it. A sender that gets an error still owns
 * its item. All functions are thread-safe.
 *
 * Timeouts: timeout_ms < 0 waits forever, 0 does not wait, > 0 waits at most
 * that many milliseconds (CLOCK_MONOTONIC).
 */
#ifndef LEAKLAB_CHAN_H
#define LEAKLAB_CHAN_H

#include <stddef.h>

struct ll_chan;

/* Creates a queue of the given capacity. 0 or LL_ENOMEM. */
int ll_chan_create(struct ll_chan **out, size_t capacity);

/*
 * Frees the queue. Items still buffered are not freed (the queue does not
 * own them). No thread may be blocked in or still use the queue. NULL is a
 * no-op.
 */
void ll_chan_destroy(struct ll_chan *ch);

/*
 * Sends item. Blocks as described above. Returns 0 once the item is
 * buffered (capacity > 0) or taken by a receiver (capacity 0);
 * LL_ECLOSED if the queue is or becomes closed before that (the item was
 * not delivered and still belongs to the caller); LL_ETIMEDOUT.
 */
int ll_chan_send(struct ll_chan *ch, void *item, int timeout_ms);

/*
 * Receives one item into *item. Returns 0, LL_ECLOSED when the queue is
 * closed and empty, or LL_ETIMEDOUT.
 */
int ll_chan_recv(struct ll_chan *ch, void **item, int timeout_ms);

/*
 * Closes the queue and wakes every blocked sender and receiver. Returns 0,
 * or LL_ECLOSED if it was already closed (a second close is harmless).
 */
int ll_chan_close(struct ll_chan *ch);

/* Items buffered right now (always 0 for a rendezvous queue). */
size_t ll_chan_len(struct ll_chan *ch);

#endif
