/*
 * rec_own.c - the lattice's lease in rec.<lattice> (see rec_own.h and,
 * for the protocol and its fencing argument, rec_lease.h).
 *
 * Runs on the reconciler's loop; each lease action runs on the lease's own
 * job thread, so a slow API request or a state load never delays a
 * renewal. A timer asks the pure state machine what is due.
 */
#include "workers/reconciler/rec_own.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/jsx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/reconciler/rec_int.h"
#include "workers/reconciler/rec_lease_kv.h"

#define REC_OWN_JOBS_MAX 4

typedef struct rec_own_job {
    rec_t *r;
    int action;
    char me[128];
    uint64_t revision;
    int outcome;
    uint64_t out_revision;
    char holder[128];
    char error[256];
} rec_own_job_t;

void
rec_own_key(const char *lattice, char *key, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)lattice;
         *p && n + 4 < cap; p++) {
        bool is_plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
                        *p == '/' || (*p == '.' && p != (const unsigned char *)
                                                             lattice &&
                                      p[1] != '\0');
        if (is_plain) {
            key[n++] = (char)*p;
        } else {
            key[n++] = '=';
            key[n++] = hex[*p >> 4];
            key[n++] = hex[*p & 15];
        }
    }
    key[n] = '\0';
}

/*
 * The lease's JetStream context waits for an answer half a TTL (0.5 s to
 * 5 s), not the 5 s of the worker's shared one. While a NATS node
 * restarts, a request sent before the bucket's stream has a new leader
 * is never answered; with 5 s per attempt a standby lost whole seconds
 * of each takeover that way (make chaos: lattices without owner for up
 * to 12 s with a 3 s TTL, standbys showing lease=unknown). Not shorter:
 * an owner fences itself half a TTL after its last renewal, and with the
 * renew interval (0.5 s) as the wait, renewals slow under load failed
 * and owners handed their lattices over for nothing.
 * Job thread. Returns it, or NULL when nats.c cannot make one.
 */
static jsCtx *
rec_own_js(rec_t *r)
{
    rec_own_t *o = &r->own;
    if (o->js != NULL)
        return o->js;
    const cfg_t *cfg = wk_cfg(r->w);
    jsOptions jo;
    jsOptions_Init(&jo);
    if (cfg->js_domain && cfg->js_domain[0])
        jo.Domain = cfg->js_domain;
    uint64_t wait = cfg->lease_ttl_ms / 2;
    jo.Wait = (int64_t)(wait < 500 ? 500 : wait > 5000 ? 5000 : wait);
    if (natsConnection_JetStream(&o->js, nc_conn(r->nc), &jo) != NATS_OK)
        o->js = NULL;
    return o->js;
}

/* Job thread. */
static void
rec_own_run(void *arg)
{
    rec_own_job_t *j = arg;
    rec_t *r = j->r;
    rec_own_t *o = &r->own;
    jsCtx *js = rec_own_js(r);
    if (js == NULL) {
        snprintf(j->error, sizeof(j->error), "no JetStream context: %s",
                 nats_GetLastError(NULL));
        j->outcome = REC_LEASE_FAILED;
        return;
    }
    if (o->kv == NULL) {
        const cfg_t *cfg = wk_cfg(r->w);
        if (jsx_kv_open(js, cfg, cfg->lease_bucket, -1, &o->kv, j->error,
                        sizeof(j->error)) != 0) {
            o->kv = NULL;
            j->outcome = REC_LEASE_FAILED;
            return;
        }
    }
    j->outcome = rec_lease_kv_run(js, o->kv, o->key, j->action,
                                  j->me, j->revision, &j->out_revision,
                                  j->holder, sizeof(j->holder));
    if (j->outcome == REC_LEASE_FAILED) {
        const char *why = nats_GetLastError(NULL);
        snprintf(j->error, sizeof(j->error), "%s",
                 why && why[0] ? why : "no answer from JetStream");
    }
}

static void
rec_own_announce(rec_t *r)
{
    rec_own_t *o = &r->own;
    if (!o->is_known || r->ingest == NULL)
        return;
    int now = o->lease.state == REC_LEASE_OWNER ? 1 : 0;
    if (now == o->announced)
        return;
    proto_ownership_t m = {0};
    m.is_owner = now == 1;
    m.holder = o->lease.holder;
    if (proto_send(r->ingest, PROTO_MSG_OWNERSHIP, &m) == 0)
        o->announced = now;
}


static void
rec_own_changed(rec_t *r, int action, uint64_t now)
{
    rec_own_t *o = &r->own;
    const char *lat = wk_id(r->w);
    if (o->lease.state == REC_LEASE_OWNER) {
        o->owner_since_ms = now;
        o->last_takeover_wait_ms =
            o->standby_since_ms ? now - o->standby_since_ms : 0;
        log_msg(LL_INFO, "lattice %s: this instance owns it now (lease %s, "
                "revision %llu%s)", lat,
                action == REC_LEASE_CREATE ? "created" : "taken over",
                (unsigned long long)o->lease.revision,
                action == REC_LEASE_TAKEOVER && o->standby_since_ms
                    ? ", after the previous holder's lapsed"
                    : "");
        rec_own_announce(r);
        if (nc_is_connected(r->nc))
            rec_life_load(r);
        return;
    }
    /* an owner that lost its lease: nothing of the lattice may stay */
    log_msg(LL_WARN, "lattice %s: lease lost (%s%s); handing the lattice "
            "over and starting again as a standby", lat,
            o->lease.holder[0] ? "held by " : "another instance wrote it",
            o->lease.holder);
    rec_own_announce(r);
    wk_exit(r->w, WK_EXIT_HANDOFF);
}

static void
rec_own_done(void *arg)
{
    rec_own_job_t *j = arg;
    rec_t *r = j->r;
    rec_own_t *o = &r->own;
    uint64_t now = clk_now_ms();
    if (j->outcome == REC_LEASE_FAILED) {
        o->failures_total++;
        if (o->failures_total == 1 || o->lease.state == REC_LEASE_OWNER)
            log_msg(LL_WARN, "lattice %s: lease %s failed: %s",
                    wk_id(r->w),
                    j->action == REC_LEASE_RENEW ? "renewal" : "check",
                    j->error[0] ? j->error : "?");
    }
    int action = j->action;
    bool is_changed = rec_lease_done(&o->lease, action, j->outcome,
                                     j->out_revision, j->holder, now);
    if (j->outcome != REC_LEASE_FAILED)
        o->is_known = true;
    free(j);
    if (is_changed) {
        rec_own_changed(r, action, now);
    } else if (o->lease.state == REC_LEASE_STANDBY && !o->is_standby_noted &&
               o->lease.holder[0] != '\0' &&
               strcmp(o->lease.holder, o->lease.me) != 0) {
        /* someone else holds it: say so, and drop what waited for a load */
        o->is_standby_noted = true;
        o->standby_since_ms = now;
        log_msg(LL_INFO, "lattice %s: held by %s; this instance answers its "
                "API and stands by", wk_id(r->w), o->lease.holder);
        rec_life_drop_held(r);
        rec_own_announce(r);
    }
    rec_own_kick(r);
}

static void
rec_own_drop(void *arg)
{
    free(arg);
}

void
rec_own_kick(rec_t *r)
{
    rec_own_t *o = &r->own;
    if (!nc_is_connected(r->nc) || o->jobs == NULL)
        return;
    uint64_t now = clk_now_ms();
    int action = rec_lease_next(&o->lease, now);
    if (action == REC_LEASE_NONE)
        return;
    rec_own_job_t *j = xcalloc(1, sizeof(*j));
    j->r = r;
    j->action = action;
    snprintf(j->me, sizeof(j->me), "%s", o->lease.me);
    j->revision = o->lease.revision;
    if (job_submit(o->jobs, rec_own_run, rec_own_done, rec_own_drop, j) !=
        0) {
        free(j);
        return;
    }
    o->lease.is_busy = true;
}

static void
rec_own_on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_own_kick(t->data);
}

void
rec_own_start(rec_t *r)
{
    rec_own_t *o = &r->own;
    const cfg_t *cfg = wk_cfg(r->w);
    memset(o, 0, sizeof(*o));
    o->announced = -1;
    /*
     * Who holds it: the instance id (random unless --host-id), the host
     * and the supervisor's pid, so two instances given the same
     * --host-id still differ, and a reconciler restarted by the same
     * supervisor recognises its predecessor's lease and keeps it.
     */
    char host[64] = "";
    (void)gethostname(host, sizeof(host) - 1);
    char me[128];
    snprintf(me, sizeof(me), "%.60s@%.40s/%ld",
             cfg->host_id ? cfg->host_id : "", host, (long)getppid());
    uint64_t now = clk_now_ms();
    rec_lease_init(&o->lease, me, cfg->lease_ttl_ms, cfg->lease_renew_ms,
                   now);
    o->standby_since_ms = 0;
    rec_own_key(wk_id(r->w), o->key, sizeof(o->key));
    o->jobs = job_runner_new(wk_loop(r->w), REC_OWN_JOBS_MAX);
    double period = (double)cfg->lease_renew_ms / 4000.0;
    if (period < 0.01)
        period = 0.01;
    ev_timer_init(&o->timer, rec_own_on_timer, period, period);
    o->timer.data = r;
    ev_timer_start(wk_loop(r->w), &o->timer);
}

void
rec_own_stop(rec_t *r)
{
    rec_own_t *o = &r->own;
    if (o->jobs == NULL)
        return;
    ev_timer_stop(wk_loop(r->w), &o->timer);
    job_runner_free(o->jobs); /* waits for the running action */
    o->jobs = NULL;
    /* a clean stop hands the lattice over at once, not after a TTL */
    if (o->lease.state == REC_LEASE_OWNER && o->kv != NULL &&
        nc_is_connected(r->nc)) {
        uint64_t rev = 0;
        char holder[128];
        int rc = rec_lease_kv_run(o->js, o->kv, o->key,
                                  REC_LEASE_RELEASE, o->lease.me,
                                  o->lease.revision, &rev, holder,
                                  sizeof(holder));
        (void)rec_lease_done(&o->lease, REC_LEASE_RELEASE, rc, rev, holder,
                             clk_now_ms());
        log_msg(rc == REC_LEASE_OK ? LL_INFO : LL_WARN,
                "lattice %s: lease %s", wk_id(r->w),
                rc == REC_LEASE_OK ? "released" : "not released (it lapses "
                                                  "after its TTL)");
    }
    kvStore_Destroy(o->kv);
    o->kv = NULL;
    if (o->js != NULL)
        jsCtx_Destroy(o->js);
    o->js = NULL;
}

bool
rec_own_may_act(const rec_t *r)
{
    return rec_lease_may_act(&r->own.lease, clk_now_ms());
}

bool
rec_own_is_owner(const rec_t *r)
{
    return r->own.lease.state == REC_LEASE_OWNER;
}

uint64_t
rec_own_valid_until(const rec_t *r)
{
    return r->own.lease.renewed_ms + r->own.lease.ttl_ms / 2;
}

void
rec_own_ingest_up(rec_t *r)
{
    r->own.announced = -1;
    rec_own_announce(r);
}

void
rec_own_status_lines(const rec_t *r, proto_kv_t *lines)
{
    const rec_own_t *o = &r->own;
    uint64_t now = clk_now_ms();
    proto_kv_add(lines, "lease",
                 !o->is_known ? "unknown"
                              : rec_lease_state_name(o->lease.state));
    proto_kv_addf(lines, "lease_is_owner", "%d",
                  o->lease.state == REC_LEASE_OWNER ? 1 : 0);
    proto_kv_add(lines, "lease_holder", o->lease.holder);
    proto_kv_add(lines, "lease_me", o->lease.me);
    proto_kv_addf(lines, "lease_revision", "%llu",
                  (unsigned long long)o->lease.revision);
    if (o->lease.state == REC_LEASE_OWNER) {
        proto_kv_addf(lines, "lease_renewal_age_ms", "%llu",
                      (unsigned long long)(now - o->lease.renewed_ms));
        proto_kv_addf(lines, "lease_owner_for_s", "%llu",
                      (unsigned long long)((now - o->owner_since_ms) /
                                           1000));
    }
    proto_kv_addf(lines, "lease_takeovers_total", "%llu",
                  (unsigned long long)o->lease.takeovers_total);
    proto_kv_addf(lines, "lease_last_takeover_wait_ms", "%llu",
                  (unsigned long long)o->last_takeover_wait_ms);
    proto_kv_addf(lines, "lease_failures_total", "%llu",
                  (unsigned long long)o->failures_total);
}
