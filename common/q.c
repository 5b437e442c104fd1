/*
 * q.c - bounded locked queue from library threads into a libev loop.
 *
 * The mutex is held only to link or unlink items; the loop takes the whole
 * list at once and runs the callbacks without the lock, so producers never
 * wait for the loop's work.
 */
#include "common/q.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/xalloc.h"

typedef struct q_node {
    struct q_node *next;
    void *item;
    size_t bytes;
} q_node_t;

struct q {
    struct ev_loop *loop;
    ev_async async;
    pthread_mutex_t mu;
    q_node_t *head;
    q_node_t *tail;
    size_t count;
    size_t bytes;
    size_t max_items;
    size_t max_bytes;
    size_t peak;
    uint64_t dropped_total;
    q_item_cb on_item;
    void *arg;
};

static void
q_on_async(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    q_t *q = w->data;
    pthread_mutex_lock(&q->mu);
    q_node_t *n = q->head;
    q->head = q->tail = NULL;
    q->count = 0;
    q->bytes = 0;
    pthread_mutex_unlock(&q->mu);
    while (n != NULL) {
        q_node_t *next = n->next;
        void *item = n->item;
        free(n);
        q->on_item(item, q->arg);
        n = next;
    }
}

void
q_drain(q_t *q)
{
    q_on_async(q->loop, &q->async, 0);
}

q_t *
q_new(struct ev_loop *loop, size_t max_items, size_t max_bytes,
      q_item_cb on_item, void *arg)
{
    q_t *q = xcalloc(1, sizeof(*q));
    q->loop = loop;
    q->max_items = max_items;
    q->max_bytes = max_bytes;
    q->on_item = on_item;
    q->arg = arg;
    pthread_mutex_init(&q->mu, NULL);
    ev_async_init(&q->async, q_on_async);
    q->async.data = q;
    ev_async_start(loop, &q->async);
    return q;
}

void
q_free(q_t *q, void (*drop)(void *item))
{
    if (q == NULL)
        return;
    ev_async_stop(q->loop, &q->async);
    pthread_mutex_lock(&q->mu);
    q_node_t *n = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->mu);
    while (n != NULL) {
        q_node_t *next = n->next;
        if (drop)
            drop(n->item);
        free(n);
        n = next;
    }
    pthread_mutex_destroy(&q->mu);
    free(q);
}

int
q_push(q_t *q, void *item, size_t bytes)
{
    q_node_t *n = xmalloc(sizeof(*n));
    n->next = NULL;
    n->item = item;
    n->bytes = bytes;
    pthread_mutex_lock(&q->mu);
    if (q->count + 1 > q->max_items || q->bytes + bytes > q->max_bytes) {
        q->dropped_total++;
        pthread_mutex_unlock(&q->mu);
        free(n);
        return ERR_FULL;
    }
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->count++;
    q->bytes += bytes;
    if (q->count > q->peak)
        q->peak = q->count;
    pthread_mutex_unlock(&q->mu);
    ev_async_send(q->loop, &q->async);
    return 0;
}

size_t
q_depth(q_t *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}

uint64_t
q_dropped_total(q_t *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->dropped_total;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t
q_peak(q_t *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->peak;
    pthread_mutex_unlock(&q->mu);
    return n;
}
