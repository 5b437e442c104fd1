/*
 * q.h - a bounded, locked queue that carries work from library threads
 * (nats.c callbacks, the job thread) into a libev loop.
 *
 * Producers push from any thread; the push wakes the loop with
 * ev_async_send(), which libev documents as safe from other threads. The
 * loop drains the queue in its async callback. The queue has a count and a
 * byte limit; a push beyond them fails with ERR_FULL and the producer
 * applies its own overflow action (drop and count, or leave a JetStream
 * message unacked so it is redelivered).
 */
#ifndef WADM_Q_H
#define WADM_Q_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

typedef struct q q_t;

/* Called on the loop for each item popped; the item belongs to it. */
typedef void (*q_item_cb)(void *item, void *arg);

/*
 * Creates a queue bound to loop; on_item runs on the loop thread for every
 * item. max_items and max_bytes bound it (bytes are what producers declare
 * for each item).
 */
q_t *q_new(struct ev_loop *loop, size_t max_items, size_t max_bytes,
           q_item_cb on_item, void *arg);

/* Stops the watcher and frees the queue; items left are passed to drop. */
void q_free(q_t *q, void (*drop)(void *item));

/*
 * From any thread: appends item (declared size bytes) and wakes the loop.
 * Returns 0 or ERR_FULL (the item stays the caller's). Never blocks beyond
 * a short mutex hold.
 */
int q_push(q_t *q, void *item, size_t bytes);

/* Runs the callback for every queued item now (on the loop thread). */
void q_drain(q_t *q);

/* Current depth and counters (approximate when read off-thread). */
size_t q_depth(q_t *q);
uint64_t q_dropped_total(q_t *q);
size_t q_peak(q_t *q);

#endif
