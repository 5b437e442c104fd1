/*
 * check_sup_policy.c - the restart policy as pure functions with an
 * injected clock: backoff growth, cap and reset, intensity breaker, exit 2,
 * transient and permanent workers.
 */
#include <check.h>
#include <string.h>

#include "supervisor/sup_policy.h"

static const sup_policy_cfg_t cfg = {
    .backoff_base_ms = 500,
    .backoff_max_ms = 30000,
    .intensity = 5,
    .period_ms = 60000,
    .stable_ms = 10000,
};

static sup_exit_t
crash(uint64_t ready_ms)
{
    sup_exit_t e = {0};
    e.is_signaled = true;
    e.code = 11;
    e.was_ready = ready_ms != 0;
    e.ready_ms = ready_ms;
    return e;
}

static sup_exit_t
exited(int code)
{
    sup_exit_t e = {0};
    e.code = code;
    return e;
}

START_TEST(test_sup_policy_backoff_doubles_up_to_the_cap)
{
    ck_assert_uint_eq(sup_policy_backoff_ms(&cfg, 1), 500);
    ck_assert_uint_eq(sup_policy_backoff_ms(&cfg, 2), 1000);
    ck_assert_uint_eq(sup_policy_backoff_ms(&cfg, 3), 2000);
    ck_assert_uint_eq(sup_policy_backoff_ms(&cfg, 7), 30000);
    ck_assert_uint_eq(sup_policy_backoff_ms(&cfg, 60), 30000);
}
END_TEST

START_TEST(test_sup_policy_consecutive_crashes_back_off)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = crash(0);
    uint64_t now = 1000000;
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, now, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    ck_assert_uint_eq(d.delay_ms, 500);
    d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, now + 1000, 0);
    ck_assert_uint_eq(d.delay_ms, 1000);
    d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, now + 3000, 0);
    ck_assert_uint_eq(d.delay_ms, 2000);
}
END_TEST

START_TEST(test_sup_policy_stable_run_resets_backoff_and_restarts_now)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = crash(0);
    sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 1000, 0);
    sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 2000, 0);
    ck_assert_uint_eq(h.consecutive_failures, 2);
    /* READY at 3000, crash at 100000: a stable run */
    e = crash(3000);
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e,
                                         100000, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_NOW);
    ck_assert_uint_eq(h.consecutive_failures, 1);
    /* the next quick crash starts the backoff from the base again */
    e = crash(100010);
    d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 100500, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    ck_assert_uint_eq(d.delay_ms, 1000);
}
END_TEST

START_TEST(test_sup_policy_dies_before_ready_always_waits)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_policy_cfg_t c = cfg;
    c.stable_ms = 0;
    sup_exit_t e = crash(0);
    sup_decision_t d = sup_policy_decide(&h, &c, SUP_PERMANENT, &e, 5000, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    ck_assert_uint_gt(d.delay_ms, 0);
}
END_TEST

START_TEST(test_sup_policy_trips_after_intensity)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = crash(0);
    uint64_t t = 50000;
    for (int i = 0; i < 5; i++) {
        sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e,
                                             t + (uint64_t)i * 1000, 0);
        ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    }
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e,
                                         t + 5000, 0);
    ck_assert_int_eq(d.action, SUP_ESCALATE);
    /* a transient worker is given up instead */
    memset(&h, 0, sizeof(h));
    for (int i = 0; i < 5; i++)
        sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, t + (uint64_t)i, 0);
    d = sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, t + 6, 0);
    ck_assert_int_eq(d.action, SUP_GIVE_UP);
}
END_TEST

START_TEST(test_sup_policy_old_restarts_leave_the_window)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = crash(0);
    for (int i = 0; i < 5; i++)
        sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, (uint64_t)i * 1000, 0);
    ck_assert_uint_eq(sup_policy_in_window(&h, &cfg, 5000), 5);
    /* 61 s later all five are out of the 60 s window */
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e,
                                         66000, 0);
    ck_assert_int_ne(d.action, SUP_ESCALATE);
    ck_assert_uint_eq(sup_policy_in_window(&h, &cfg, 66000), 1);
}
END_TEST

START_TEST(test_sup_policy_exit_2_never_restarts)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = exited(2);
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 1, 0);
    ck_assert_int_eq(d.action, SUP_ESCALATE);
    d = sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, 1, 0);
    ck_assert_int_eq(d.action, SUP_GIVE_UP);
    ck_assert_uint_eq(h.count, 0);
}
END_TEST

START_TEST(test_sup_policy_transient_exit_0_is_done_permanent_restarts)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = exited(0);
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, 1, 0);
    ck_assert_int_eq(d.action, SUP_NO_RESTART);
    d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 1, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    e = exited(1);
    d = sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, 2, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
}
END_TEST

START_TEST(test_sup_policy_handoff_restarts_a_reconciler_at_once_uncounted)
{
    sup_history_t h;
    memset(&h, 0, sizeof(h));
    sup_exit_t e = exited(SUP_EXIT_HANDOFF);
    /* far more often than the intensity allows failures: never gives up */
    for (uint64_t i = 0; i < 3 * cfg.intensity; i++) {
        sup_decision_t d =
            sup_policy_decide(&h, &cfg, SUP_TRANSIENT, &e, 1 + i, 0);
        ck_assert_int_eq(d.action, SUP_RESTART_NOW);
        ck_assert_uint_eq(d.delay_ms, 0);
    }
    ck_assert_uint_eq(h.count, 0);
    ck_assert_uint_eq(h.consecutive_failures, 0);
    /* a permanent worker has no lease to hand over: an ordinary failure */
    sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e, 100, 0);
    ck_assert_int_eq(d.action, SUP_RESTART_AFTER);
    ck_assert_uint_eq(h.count, 1);
}
END_TEST

START_TEST(test_sup_policy_jitter_stays_within_ten_percent)
{
    for (uint32_t seed = 1; seed < 5000; seed += 7) {
        sup_history_t h;
        memset(&h, 0, sizeof(h));
        sup_exit_t e = crash(0);
        sup_decision_t d = sup_policy_decide(&h, &cfg, SUP_PERMANENT, &e,
                                             1000, seed);
        ck_assert_uint_ge(d.delay_ms, 450);
        ck_assert_uint_le(d.delay_ms, 550);
    }
}
END_TEST

Suite *
sup_policy_suite(void)
{
    Suite *s = suite_create("sup_policy");
    TCase *tc = tcase_create("decide");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_sup_policy_backoff_doubles_up_to_the_cap);
    tcase_add_test(tc, test_sup_policy_consecutive_crashes_back_off);
    tcase_add_test(tc, test_sup_policy_stable_run_resets_backoff_and_restarts_now);
    tcase_add_test(tc, test_sup_policy_dies_before_ready_always_waits);
    tcase_add_test(tc, test_sup_policy_trips_after_intensity);
    tcase_add_test(tc, test_sup_policy_old_restarts_leave_the_window);
    tcase_add_test(tc, test_sup_policy_exit_2_never_restarts);
    tcase_add_test(tc, test_sup_policy_transient_exit_0_is_done_permanent_restarts);
    tcase_add_test(
        tc, test_sup_policy_handoff_restarts_a_reconciler_at_once_uncounted);
    tcase_add_test(tc, test_sup_policy_jitter_stays_within_ten_percent);
    suite_add_tcase(s, tc);
    return s;
}
