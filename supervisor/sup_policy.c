/*
 * sup_policy.c - restart decisions (see sup_policy.h).
 *
 * Pure code: the supervisor passes in the clock and the exit; tests pass
 * in whatever they like. The rules, in order:
 *   exit 2                 -> never restart (GIVE_UP or ESCALATE)
 *   exit 0, transient      -> NO_RESTART (the lattice is done)
 *   anything else          -> restart, counted in the intensity window;
 *                             over the limit -> GIVE_UP or ESCALATE;
 *                             after a stable READY run -> NOW;
 *                             otherwise backoff base*2^(n-1), capped,
 *                             +/-10% jitter, never NOW before READY.
 */
#include "supervisor/sup_policy.h"

uint64_t
sup_policy_backoff_ms(const sup_policy_cfg_t *cfg, uint32_t n)
{
    if (n == 0)
        n = 1;
    uint64_t d = cfg->backoff_base_ms;
    for (uint32_t i = 1; i < n && d < cfg->backoff_max_ms; i++)
        d *= 2;
    return d < cfg->backoff_max_ms ? d : cfg->backoff_max_ms;
}

size_t
sup_policy_in_window(const sup_history_t *h, const sup_policy_cfg_t *cfg,
                     uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++) {
        size_t idx = (h->head + SUP_HIST_MAX - 1 - i) % SUP_HIST_MAX;
        uint64_t t = h->restart_ms[idx];
        if (now_ms >= t && now_ms - t < cfg->period_ms)
            n++;
    }
    return n;
}

static void
sup_history_add(sup_history_t *h, uint64_t now_ms)
{
    h->restart_ms[h->head] = now_ms;
    h->head = (h->head + 1) % SUP_HIST_MAX;
    if (h->count < SUP_HIST_MAX)
        h->count++;
}

static sup_decision_t
sup_decision(int action, uint64_t delay_ms, const char *reason)
{
    sup_decision_t d = {action, delay_ms, reason};
    return d;
}

sup_decision_t
sup_policy_decide(sup_history_t *h, const sup_policy_cfg_t *cfg,
                  int restart_type, const sup_exit_t *ex, uint64_t now_ms,
                  uint32_t jitter_seed)
{
    int give_up = restart_type == SUP_PERMANENT ? SUP_ESCALATE : SUP_GIVE_UP;
    if (!ex->is_signaled && ex->code == 2)
        return sup_decision(give_up, 0, "exit status 2 means fatal");
    if (!ex->is_signaled && ex->code == 0 && restart_type == SUP_TRANSIENT)
        return sup_decision(SUP_NO_RESTART, 0, "finished");
    /* not a failure: a reconciler that lost its lattice's lease starts
       again as a standby (rec_own.c); another instance holds the lease,
       so this cannot repeat faster than a lease TTL */
    if (!ex->is_signaled && ex->code == SUP_EXIT_HANDOFF &&
        restart_type == SUP_TRANSIENT)
        return sup_decision(SUP_RESTART_NOW, 0, "handed its lattice over");

    bool is_stable = ex->was_ready && now_ms >= ex->ready_ms &&
                     now_ms - ex->ready_ms >= cfg->stable_ms;
    if (is_stable)
        h->consecutive_failures = 0;
    h->consecutive_failures++;

    sup_history_add(h, now_ms);
    if (sup_policy_in_window(h, cfg, now_ms) > cfg->intensity)
        return sup_decision(give_up, 0, "restart intensity exceeded");

    if (is_stable)
        return sup_decision(SUP_RESTART_NOW, 0, "after a stable run");

    uint64_t d = sup_policy_backoff_ms(cfg, h->consecutive_failures);
    if (jitter_seed != 0 && d >= 10) {
        /* +/-10%: spread restarts of many workers failing together */
        uint64_t span = d / 5;
        uint64_t off = (uint64_t)jitter_seed % (span + 1);
        d = d - d / 10 + off;
    }
    if (d == 0)
        d = 1; /* a worker that died before READY always waits */
    return sup_decision(SUP_RESTART_AFTER, d, "backoff");
}
