/*
 * sup_policy.h - the restart policy of STYLE.md section 7 as pure
 * functions of (history, exit status, now_ms): no processes, no clocks, no
 * I/O, so every rule is testable with an injected time (as OTP's
 * add_restart(Restarts, Now, Period) is).
 */
#ifndef WADM_SUP_POLICY_H
#define WADM_SUP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUP_HIST_MAX 64

enum sup_restart_type {
    SUP_PERMANENT, /* always restarted (ingest, dispatch) */
    SUP_TRANSIENT, /* restarted unless it exits 0 (reconcilers) */
};

/* Exit status of a worker that gave up its role on purpose (a reconciler
   whose lease went to another instance): restarted at once, not counted.
   Same value as WK_EXIT_HANDOFF (workers/wk.h). */
#define SUP_EXIT_HANDOFF 3

enum sup_action {
    SUP_RESTART_NOW,
    SUP_RESTART_AFTER, /* after delay_ms */
    SUP_NO_RESTART,    /* a transient worker finished (exit 0) */
    SUP_GIVE_UP,       /* transient worker failed for good: cooldown */
    SUP_ESCALATE,      /* permanent worker failed for good: stop all, exit 1 */
};

typedef struct sup_policy_cfg {
    uint64_t backoff_base_ms;
    uint64_t backoff_max_ms;
    uint64_t intensity;     /* restarts allowed within period_ms */
    uint64_t period_ms;
    uint64_t stable_ms;     /* READY this long resets the backoff */
} sup_policy_cfg_t;

/* What happened to one worker process. */
typedef struct sup_exit {
    bool is_signaled;
    int code;          /* exit status, or signal number */
    bool is_core;
    bool was_ready;
    uint64_t ready_ms; /* when it became READY (valid if was_ready) */
} sup_exit_t;

/* Restart history of one worker slot; zero-initialise. */
typedef struct sup_history {
    uint64_t restart_ms[SUP_HIST_MAX]; /* ring of restart decision times */
    size_t head;
    size_t count;
    uint32_t consecutive_failures;
} sup_history_t;

typedef struct sup_decision {
    int action;
    uint64_t delay_ms;
    const char *reason; /* static text for the log line */
} sup_decision_t;

/*
 * Decides what to do after a worker exit at now_ms, and records the
 * restart in h when one is decided. jitter_seed varies the +/-10% jitter
 * of the backoff (pass random bits; 0 gives no jitter). Pure.
 */
sup_decision_t sup_policy_decide(sup_history_t *h, const sup_policy_cfg_t *cfg,
                                 int restart_type, const sup_exit_t *ex,
                                 uint64_t now_ms, uint32_t jitter_seed);

/* Restarts recorded within the window ending at now_ms. Pure. */
size_t sup_policy_in_window(const sup_history_t *h,
                            const sup_policy_cfg_t *cfg, uint64_t now_ms);

/* Backoff before restart number n (n >= 1), without jitter. Pure. */
uint64_t sup_policy_backoff_ms(const sup_policy_cfg_t *cfg, uint32_t n);

#endif
