/*
 * check_job.c - the background job runner: jobs run on its thread and
 * their done callbacks on the loop; at shutdown queued jobs are dropped,
 * finished ones get their done callbacks, and a done callback that asks
 * for more work then is refused (the job would never run nor be freed;
 * a reconciler's resync leaked so under ASan). The loop is run to a
 * condition or a deadline, never slept on.
 */
#include <check.h>
#include <ev.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/job.h"
#include "test/lib/test_util.h"

typedef struct ctx {
    job_runner_t *r;
    atomic_int ran;
    int done;
    int dropped;
    int resubmit_rc;
    bool is_resubmitting;
} ctx_t;

static void
job_fn_count(void *arg)
{
    ctx_t *c = arg;
    atomic_fetch_add(&c->ran, 1);
}

static void
job_dropped(void *arg)
{
    ((ctx_t *)arg)->dropped++;
}

static void
job_done(void *arg)
{
    ctx_t *c = arg;
    c->done++;
    if (c->is_resubmitting) {
        c->is_resubmitting = false;
        c->resubmit_rc = job_submit(c->r, job_fn_count, job_done,
                                    job_dropped, c);
    }
}

static bool
has_run(void *arg)
{
    return atomic_load(&((ctx_t *)arg)->ran) > 0;
}

START_TEST(test_job_done_runs_on_the_loop)
{
    struct ev_loop *loop = ev_loop_new(0);
    ctx_t c = {0};
    c.r = job_runner_new(loop, 4);
    ck_assert_int_eq(job_submit(c.r, job_fn_count, job_done, job_dropped, &c),
                     0);
    uint64_t deadline = test_now_ms() + 5000;
    while (c.done == 0 && test_now_ms() < deadline)
        ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
    ck_assert_int_eq(c.done, 1);
    ck_assert_int_eq(atomic_load(&c.ran), 1);
    ck_assert_uint_eq(job_pending(c.r), 0);
    job_runner_free(c.r);
    ck_assert_int_eq(c.dropped, 0);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_job_full_queue_refuses)
{
    struct ev_loop *loop = ev_loop_new(0);
    ctx_t c = {0};
    c.r = job_runner_new(loop, 1);
    ck_assert_int_eq(job_submit(c.r, job_fn_count, job_done, job_dropped, &c),
                     0);
    ck_assert_int_eq(job_submit(c.r, job_fn_count, job_done, job_dropped, &c),
                     ERR_FULL);
    job_runner_free(c.r);
    /* the one accepted either ran (done) or was dropped: never both */
    ck_assert_int_eq(c.done + c.dropped, 1);
    ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_job_submit_from_the_shutdown_drain_is_refused)
{
    struct ev_loop *loop = ev_loop_new(0);
    ctx_t c = {0};
    c.r = job_runner_new(loop, 4);
    c.is_resubmitting = true;
    ck_assert_int_eq(job_submit(c.r, job_fn_count, job_done, job_dropped, &c),
                     0);
    /* the job ran on the thread; its done callback waits for the loop */
    ck_assert(test_wait_until(has_run, &c, 5000));
    job_runner_free(c.r); /* the drain runs job_done, which submits */
    ck_assert_int_eq(c.done, 1);
    ck_assert_int_eq(c.resubmit_rc, ERR_CLOSED);
    ck_assert_int_eq(atomic_load(&c.ran), 1);
    ck_assert_int_eq(c.dropped, 0);
    ev_loop_destroy(loop);
}
END_TEST

Suite *
job_suite(void)
{
    Suite *s = suite_create("job");
    TCase *tc = tcase_create("runner");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_job_done_runs_on_the_loop);
    tcase_add_test(tc, test_job_full_queue_refuses);
    tcase_add_test(tc, test_job_submit_from_the_shutdown_drain_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
