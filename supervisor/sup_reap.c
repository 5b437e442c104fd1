/*
 * sup_reap.c - reaping children and deciding what happens next.
 *
 * Runs in the supervisor only, from the ev_child watcher for pid 0, so
 * every child is reaped (also orphans re-parented to us when we run as
 * PID 1). The decision itself is sup_policy.c's; this file applies it,
 * logs one line per exit and never signals a pid after it was reaped.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/log.h"
#include "supervisor/sup_int.h"

static const char *
sup_signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGTRAP: return "SIGTRAP";
    default: return "signal";
    }
}

void
sup_describe_exit(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "signal %d%s", WTERMSIG(status),
                 WCOREDUMP(status) ? " core" : "");
    else
        snprintf(buf, cap, "status 0x%x", status);
}

void
sup_worker_kill(sup_t *s, sup_worker_t *w, int sig, const char *why)
{
    (void)s;
    if (w->pid <= 0)
        return; /* reaped already: the pid may belong to someone else now */
    log_msg(LL_DEBUG, "sending signal %d to %s[%ld] (%s)", sig, w->name,
            (long)w->pid, why);
    kill(w->pid, sig);
}

static void
sup_on_restart_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_worker_t *w = t->data;
    sup_t *s = w->sup;
    if (s->phase != SUP_PHASE_RUN)
        return;
    if (w->state == SUP_WSTATE_FAILED) {
        log_msg(LL_INFO, "cooldown of %s over, starting it again", w->name);
        memset(&w->history, 0, sizeof(w->history));
    }
    if (sup_worker_spawn(s, w) != 0) {
        /* fork or socketpair failed: try again later rather than spin */
        w->state = SUP_WSTATE_BACKOFF;
        ev_timer_set(&w->timer, (double)s->policy.backoff_max_ms / 1000.0,
                     0.);
        ev_timer_start(s->loop, &w->timer);
    }
}

static void
sup_arm_timer(sup_t *s, sup_worker_t *w, uint64_t delay_ms)
{
    ev_timer_stop(s->loop, &w->timer);
    ev_timer_init(&w->timer, sup_on_restart_timer, (double)delay_ms / 1000.0,
                  0.);
    w->timer.data = w;
    ev_timer_start(s->loop, &w->timer);
}

static void
sup_worker_exited(sup_t *s, sup_worker_t *w, int status)
{
    uint64_t now = clk_now_ms();
    double up_s = (double)(now - w->spawned_ms) / 1000.0;
    ev_timer_stop(s->loop, &w->watchdog);
    if (w->chan) {
        chan_close(w->chan);
        w->chan = NULL;
    }
    pid_t pid = w->pid;
    w->pid = 0;
    w->nats_state[0] = '\0';
    if (s->cfg->nats_seed) {
        /* a worker killed or crashed left its copy of the seed behind */
        char *creds = cfg_creds_tmp_path(s->cfg, w->name, (long)pid);
        (void)unlink(creds); /* usually gone already: nc_close() did it */
        free(creds);
    }
    proto_kv_destroy(&w->last_lines);
    sup_describe_exit(status, w->last_exit, sizeof(w->last_exit));
    if (w->is_hung) {
        size_t l = strlen(w->last_exit);
        snprintf(w->last_exit + l, sizeof(w->last_exit) - l, " hung");
    }
    sup_status_worker_gone(s, w);
    sup_peers_close(s, w);

    if (s->phase != SUP_PHASE_RUN || w->state == SUP_WSTATE_STOPPING) {
        log_msg(LL_INFO, "worker %s[%ld] stopped (%s) after %.1fs", w->name,
                (long)pid, w->last_exit, up_s);
        ev_timer_stop(s->loop, &w->timer);
        w->state = SUP_WSTATE_DONE;
        if (s->phase != SUP_PHASE_RUN)
            sup_shutdown_advance(s);
        return;
    }

    sup_exit_t ex = {0};
    ex.is_signaled = WIFSIGNALED(status);
    ex.code = ex.is_signaled ? WTERMSIG(status) : WEXITSTATUS(status);
    ex.is_core = ex.is_signaled && WCOREDUMP(status);
    ex.was_ready = w->ready_ms != 0;
    ex.ready_ms = w->ready_ms;
    sup_decision_t d = sup_policy_decide(&w->history, &s->policy,
                                         w->restart_type, &ex, now,
                                         (uint32_t)random() | 1u);
    size_t in_window = sup_policy_in_window(&w->history, &s->policy, now);

    char how[128];
    if (ex.is_signaled)
        snprintf(how, sizeof(how), "killed by signal %d (%s%s)", ex.code,
                 sup_signame(ex.code), ex.is_core ? ", core" : "");
    else
        snprintf(how, sizeof(how), "exited with status %d", ex.code);
    if (w->is_hung)
        snprintf(how + strlen(how), sizeof(how) - strlen(how),
                 " after a hang");

    bool is_handoff = !ex.is_signaled && ex.code == SUP_EXIT_HANDOFF &&
                      w->restart_type == SUP_TRANSIENT;
    if (is_handoff)
        snprintf(how, sizeof(how), "handed its lattice over (status %d)",
                 ex.code);
    char next[96];
    int level = (ex.is_signaled || ex.code != 0) && !is_handoff ? LL_WARN
                                                                : LL_INFO;
    switch (d.action) {
    case SUP_RESTART_NOW:
        snprintf(next, sizeof(next), "restarting now");
        break;
    case SUP_RESTART_AFTER:
        snprintf(next, sizeof(next), "next start in %llums",
                 (unsigned long long)d.delay_ms);
        break;
    case SUP_NO_RESTART:
        snprintf(next, sizeof(next), "not restarted (%s)", d.reason);
        break;
    case SUP_GIVE_UP:
        snprintf(next, sizeof(next), "marked failed (%s); cooldown %llus",
                 d.reason, (unsigned long long)s->cfg->rec_failed_cooldown_s);
        level = LL_CRIT;
        break;
    default:
        snprintf(next, sizeof(next), "escalating (%s)", d.reason);
        level = LL_CRIT;
        break;
    }
    log_msg(level, "worker %s[%ld] %s after %.1fs; last activity \"%s\"; "
            "restart %zu/%llu in %llus; %s", w->name, (long)pid, how, up_s,
            w->activity, in_window, (unsigned long long)s->policy.intensity,
            (unsigned long long)(s->policy.period_ms / 1000), next);

    switch (d.action) {
    case SUP_RESTART_NOW:
        w->restarts_total++;
        if (sup_worker_spawn(s, w) != 0) {
            w->state = SUP_WSTATE_BACKOFF;
            sup_arm_timer(s, w, s->policy.backoff_max_ms);
        }
        break;
    case SUP_RESTART_AFTER:
        w->restarts_total++;
        w->state = SUP_WSTATE_BACKOFF;
        sup_arm_timer(s, w, d.delay_ms);
        break;
    case SUP_NO_RESTART:
        w->state = SUP_WSTATE_FREE;
        break;
    case SUP_GIVE_UP:
        w->state = SUP_WSTATE_FAILED;
        sup_arm_timer(s, w, s->cfg->rec_failed_cooldown_s * 1000);
        break;
    default:
        w->state = SUP_WSTATE_FAILED;
        sup_shutdown_begin(s, 1, "a permanent worker failed for good");
        break;
    }
}

void
sup_on_sigchld(struct ev_loop *loop, ev_child *c, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = c->data;
    pid_t pid = c->rpid;
    int status = c->rstatus;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state != SUP_WSTATE_FREE && w->pid == pid) {
            sup_worker_exited(s, w, status);
            return;
        }
    }
    if (sup_nats_on_exit(s, pid, status))
        return;
    char desc[64];
    sup_describe_exit(status, desc, sizeof(desc));
    log_msg(LL_DEBUG, "reaped process %ld (%s), not one of ours", (long)pid,
            desc);
}
