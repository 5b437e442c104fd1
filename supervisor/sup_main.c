/*
 * sup_main.c - the supervisor: startup, signals, ordered shutdown.
 *
 * Runs as the wadm process itself (possibly PID 1 in a container). It is
 * control plane only: it forks and execs the workers, reaps them, restarts
 * them under sup_policy.c, hands out their channels, answers SIGUSR1 with
 * the status dump and stops everything in order on SIGTERM/SIGINT. It
 * never links NATS code, never parses manifests and never reads a data
 * frame. It uses EV_DEFAULT because only the default loop can hold
 * ev_child.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/uid.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "supervisor/sup.h"
#include "supervisor/sup_int.h"

static int
sup_mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return ERR_SYS;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return ERR_SYS;
    return 0;
}

static void sup_on_phase_timeout(struct ev_loop *loop, ev_timer *t,
                                 int revents);

/* Workers of a shutdown phase, or -1 for phases without workers. */
static int
sup_phase_order(int phase)
{
    switch (phase) {
    case SUP_PHASE_STOP_INGEST: return 2;
    case SUP_PHASE_STOP_REC: return 1;
    case SUP_PHASE_STOP_DISPATCH: return 0;
    default: return -1;
    }
}

/* Sends SHUTDOWN to every live worker of the current phase. */
static size_t
sup_phase_signal(sup_t *s)
{
    int order = sup_phase_order(s->phase);
    size_t live = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state == SUP_WSTATE_FREE)
            continue;
        if (w->order != order)
            continue;
        if (w->pid <= 0) {
            ev_timer_stop(s->loop, &w->timer);
            if (w->state != SUP_WSTATE_FAILED)
                w->state = SUP_WSTATE_DONE;
            continue;
        }
        live++;
        if (w->state == SUP_WSTATE_STOPPING)
            continue;
        w->state = SUP_WSTATE_STOPPING;
        if (w->chan == NULL ||
            proto_send(w->chan, PROTO_MSG_SHUTDOWN, NULL) != 0)
            sup_worker_kill(s, w, SIGTERM, "shutdown without a channel");
    }
    return live;
}

static size_t
sup_phase_live(sup_t *s)
{
    int order = sup_phase_order(s->phase);
    size_t live = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state != SUP_WSTATE_FREE && w->order == order && w->pid > 0)
            live++;
    }
    return live;
}

void
sup_shutdown_advance(sup_t *s)
{
    while (s->phase != SUP_PHASE_RUN && s->phase < SUP_PHASE_STOP_NATS) {
        if (sup_phase_live(s) > 0)
            return; /* wait for the reaper or the phase timer */
        s->phase++;
        if (s->phase >= SUP_PHASE_STOP_NATS)
            break;
        if (sup_phase_signal(s) > 0) {
            ev_timer_stop(s->loop, &s->phase_timer);
            ev_timer_init(&s->phase_timer, sup_on_phase_timeout,
                          (double)s->cfg->shutdown_timeout_ms / 1000.0, 0.);
            s->phase_timer.data = s;
            ev_timer_start(s->loop, &s->phase_timer);
            return;
        }
    }
    if (s->phase >= SUP_PHASE_STOP_NATS) {
        ev_timer_stop(s->loop, &s->phase_timer);
        ev_break(s->loop, EVBREAK_ALL);
    }
}

static void
sup_on_phase_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = t->data;
    int order = sup_phase_order(s->phase);
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state != SUP_WSTATE_FREE && w->order == order && w->pid > 0) {
            log_msg(LL_WARN, "worker %s[%ld] did not stop within %llums, "
                    "killing it", w->name, (long)w->pid,
                    (unsigned long long)s->cfg->shutdown_timeout_ms);
            sup_worker_kill(s, w, SIGKILL, "shutdown timeout");
        }
    }
}

void
sup_shutdown_begin(sup_t *s, int exit_code, const char *why)
{
    if (s->phase != SUP_PHASE_RUN) {
        if (exit_code > s->exit_code)
            s->exit_code = exit_code;
        return;
    }
    s->exit_code = exit_code;
    log_msg(exit_code ? LL_CRIT : LL_INFO, "shutting down: %s", why);
    /* no more restarts: stop every pending timer */
    for (size_t i = 0; i < s->nworkers; i++)
        ev_timer_stop(s->loop, &s->workers[i].timer);
    ev_timer_stop(s->loop, &s->nats_timer);
    s->phase = SUP_PHASE_STOP_INGEST;
    if (sup_phase_signal(s) > 0) {
        ev_timer_init(&s->phase_timer, sup_on_phase_timeout,
                      (double)s->cfg->shutdown_timeout_ms / 1000.0, 0.);
        s->phase_timer.data = s;
        ev_timer_start(s->loop, &s->phase_timer);
        return;
    }
    sup_shutdown_advance(s);
}

static void
sup_on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = w->data;
    if (s->phase != SUP_PHASE_RUN) {
        log_msg(LL_INFO, "signal %d during shutdown: already stopping",
                w->signum);
        return;
    }
    sup_shutdown_begin(s, 0, w->signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void
sup_on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = w->data;
    if (s->cfg->log_file && s->cfg->log_file[0])
        (void)log_open_file(s->cfg->log_file);
    log_msg(LL_INFO, "SIGHUP: log file reopened");
}

static int
sup_start_worker(sup_t *s, const char *role, const char *id)
{
    sup_worker_t *w = sup_worker_add(s, role, id);
    if (w == NULL)
        return ERR_FULL;
    int rc = sup_worker_spawn(s, w);
    if (rc != 0)
        w->state = SUP_WSTATE_FREE;
    return rc;
}

int
sup_main(cfg_t *cfg)
{
    sup_t s;
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.started_ms = clk_now_ms();
    s.policy.backoff_base_ms = cfg->backoff_base_ms;
    s.policy.backoff_max_ms = cfg->backoff_max_ms;
    s.policy.intensity = cfg->restart_intensity;
    s.policy.period_ms = cfg->restart_period_s * 1000;
    s.policy.stable_ms = cfg->stable_s * 1000;
    srandom((unsigned)(clk_wall_us() ^ (uint64_t)getpid()));

    if (sup_worker_exe(s.self_exe, sizeof(s.self_exe)) != 0) {
        log_msg(LL_CRIT, "the wadm-worker binary is not next to wadm (or at "
                "$WADM_WORKER_BIN): \"%s\"", s.self_exe);
        return 1;
    }
    if (sup_mkdir_p(cfg->run_dir) != 0) {
        log_errno(LL_CRIT, "cannot create run directory \"%s\"",
                  cfg->run_dir);
        return 1;
    }
    /* the table is sized once: every lattice plus ingest and dispatch */
    s.nworkers = (size_t)cfg->max_lattices + 2;
    s.workers = xcalloc(s.nworkers, sizeof(sup_worker_t));

    signal(SIGPIPE, SIG_IGN);
    s.loop = EV_DEFAULT;
    ev_signal_init(&s.sig_term, sup_on_stop_signal, SIGTERM);
    ev_signal_init(&s.sig_int, sup_on_stop_signal, SIGINT);
    ev_signal_init(&s.sig_hup, sup_on_sighup, SIGHUP);
    ev_signal_init(&s.sig_usr1, sup_on_sigusr1, SIGUSR1);
    s.sig_term.data = s.sig_int.data = s.sig_hup.data = s.sig_usr1.data = &s;
    ev_signal_start(s.loop, &s.sig_term);
    ev_signal_start(s.loop, &s.sig_int);
    ev_signal_start(s.loop, &s.sig_hup);
    ev_signal_start(s.loop, &s.sig_usr1);
    ev_child_init(&s.child, sup_on_sigchld, 0, 0);
    s.child.data = &s;
    ev_child_start(s.loop, &s.child);
    ev_init(&s.phase_timer, NULL);
    ev_init(&s.status_timer, NULL);
    ev_init(&s.nats_timer, NULL);

    log_msg(LL_INFO, "wadm-c %s starting (pid %ld, run dir \"%s\")",
#ifdef WADM_VERSION
            WADM_VERSION,
#else
            "dev",
#endif
            (long)getpid(), cfg->run_dir);
    /* the instance's id names it in lattice leases: random unless given */
    if (cfg->host_id == NULL || cfg->host_id[0] == '\0') {
        char id[UID_UUID_LEN + 1], *err = NULL;
        uid_uuid4(id);
        (void)cfg_set(cfg, "host-id", id, &err);
        free(err);
    }
    log_msg(LL_INFO, "instance id %s", cfg->host_id);
    if (sup_nats_start(&s) != 0) {
        log_msg(LL_CRIT, "no NATS server: giving up");
        free(s.workers);
        return 1;
    }
    /* consumers first: dispatch, reconcilers (asked for by ingest), ingest */
    if (sup_start_worker(&s, SUP_ROLE_DISPATCH, "0") != 0 ||
        sup_start_worker(&s, SUP_ROLE_INGEST, "0") != 0) {
        log_msg(LL_CRIT, "could not start the workers");
        s.exit_code = 1;
        sup_shutdown_begin(&s, 1, "startup failed");
    }
    if (cfg->http_admin && cfg->http_admin[0] && sup_http_start(&s) != 0) {
        s.exit_code = 1;
        sup_shutdown_begin(&s, 1, "the HTTP admin endpoint could not start");
    }
    ev_run(s.loop, 0);
    sup_http_stop(&s);

    /* every worker is gone (or was killed and reaped) by now */
    for (size_t i = 0; i < s.nworkers; i++) {
        sup_worker_t *w = &s.workers[i];
        if (w->chan)
            chan_close(w->chan);
        ev_timer_stop(s.loop, &w->timer);
        ev_timer_stop(s.loop, &w->watchdog);
        proto_kv_destroy(&w->status_lines);
        proto_kv_destroy(&w->last_lines);
    }
    sup_nats_stop(&s);
    ev_child_stop(s.loop, &s.child);
    ev_signal_stop(s.loop, &s.sig_term);
    ev_signal_stop(s.loop, &s.sig_int);
    ev_signal_stop(s.loop, &s.sig_hup);
    ev_signal_stop(s.loop, &s.sig_usr1);
    ev_timer_stop(s.loop, &s.status_timer);
    ev_timer_stop(s.loop, &s.phase_timer);
    free(s.workers);
    log_msg(LL_INFO, "wadm-c stopped (exit status %d)", s.exit_code);
    return s.exit_code;
}
