/*
 * job.h - one background thread per process for slow, blocking work
 * (JetStream management calls, KV reads and writes) so that the libev loop
 * never blocks.
 *
 * Jobs run one at a time in submission order on the job thread; each one's
 * done callback then runs on the loop thread. Ordering is the point: the
 * reconciler's storage operations for one lattice are serialised without
 * locks. The queue is bounded.
 */
#ifndef WADM_JOB_H
#define WADM_JOB_H

#include <ev.h>
#include <stddef.h>

typedef struct job_runner job_runner_t;

/* Runs on the job thread; may block. */
typedef void (*job_fn)(void *arg);
/* Runs on the loop thread after job_fn returned. */
typedef void (*job_done_fn)(void *arg);

/* Starts the thread. max_jobs bounds the queue. */
job_runner_t *job_runner_new(struct ev_loop *loop, size_t max_jobs);

/*
 * Finishes the running job (its done callback runs), drops the queued
 * ones (their drop callbacks run instead), joins the thread and frees the
 * runner. Blocks for at most the running job.
 */
void job_runner_free(job_runner_t *r);

/*
 * Queues fn(arg) then done(arg) on the loop; if the runner is freed before
 * fn runs, drop(arg) is called instead. done and drop may be NULL. Returns
 * 0, ERR_FULL, or ERR_CLOSED once job_runner_free() has begun (a done
 * callback run by its drain submitting more); on an error arg still
 * belongs to the caller.
 */
int job_submit(job_runner_t *r, job_fn fn, job_done_fn done,
               job_done_fn drop, void *arg);

/* Queued plus running jobs. */
size_t job_pending(job_runner_t *r);

#endif
