/*
 * job.c - the background job thread (see job.h).
 *
 * The thread waits on a condition variable for jobs; finished jobs travel
 * back to the loop through a q_t. The loop never waits for the thread,
 * except in job_runner_free() at shutdown.
 */
#include "common/job.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/err.h"
#include "common/q.h"
#include "common/xalloc.h"

typedef struct job {
    struct job *next;
    job_fn fn;
    job_done_fn done;
    job_done_fn drop;
    void *arg;
} job_t;

struct job_runner {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *head;
    job_t *tail;
    size_t queued;
    size_t running;
    size_t max_jobs;
    bool is_stopping;
    q_t *done_q;
};

static void
job_on_done(void *item, void *arg)
{
    job_runner_t *r = arg;
    job_t *j = item;
    pthread_mutex_lock(&r->mu);
    r->running--;
    pthread_mutex_unlock(&r->mu);
    if (j->done)
        j->done(j->arg);
    free(j);
}

static void *
job_thread(void *arg)
{
    job_runner_t *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->head == NULL && !r->is_stopping)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->is_stopping) {
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        job_t *j = r->head;
        r->head = j->next;
        if (r->head == NULL)
            r->tail = NULL;
        r->queued--;
        r->running++;
        pthread_mutex_unlock(&r->mu);
        j->fn(j->arg);
        /* the done queue is sized to hold every job that can exist */
        while (q_push(r->done_q, j, 0) != 0) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

job_runner_t *
job_runner_new(struct ev_loop *loop, size_t max_jobs)
{
    job_runner_t *r = xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->max_jobs = max_jobs;
    r->done_q = q_new(loop, max_jobs + 2, (size_t)-1, job_on_done, r);
    if (pthread_create(&r->thread, NULL, job_thread, r) != 0)
        abort(); /* cannot run without it; the supervisor restarts us */
    return r;
}

void
job_runner_free(job_runner_t *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->is_stopping = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    for (job_t *j = r->head; j;) {
        job_t *next = j->next;
        if (j->drop)
            j->drop(j->arg);
        free(j);
        j = next;
    }
    r->head = r->tail = NULL;
    /* jobs that ran get their done callbacks, as they would have */
    q_drain(r->done_q);
    q_free(r->done_q, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int
job_submit(job_runner_t *r, job_fn fn, job_done_fn done, job_done_fn drop,
           void *arg)
{
    job_t *j = xmalloc(sizeof(*j));
    j->next = NULL;
    j->fn = fn;
    j->done = done;
    j->drop = drop;
    j->arg = arg;
    pthread_mutex_lock(&r->mu);
    /*
     * Stopping: a done callback run by job_runner_free()'s drain may ask
     * for more work (a resync chasing a change); nothing would run or
     * free it any more.
     */
    if (r->is_stopping) {
        pthread_mutex_unlock(&r->mu);
        free(j);
        return ERR_CLOSED;
    }
    if (r->queued + r->running >= r->max_jobs) {
        pthread_mutex_unlock(&r->mu);
        free(j);
        return ERR_FULL;
    }
    if (r->tail)
        r->tail->next = j;
    else
        r->head = j;
    r->tail = j;
    r->queued++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

size_t
job_pending(job_runner_t *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->queued + r->running;
    pthread_mutex_unlock(&r->mu);
    return n;
}
