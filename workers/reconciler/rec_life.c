/*
 * rec_life.c - the life of rec.<lattice>: loading state and deployed
 * manifests at start, events in, acknowledgements out, the pass and
 * reaper timers, and coalesced writes of the lattice state to wadm_state.
 *
 * Runs on the reconciler's loop; storage I/O goes through the job thread.
 * Start-up order (DESIGN.md section 3): load the last state and the
 * deployed manifests from KV, then ask the hosts for their inventories
 * (through dispatch), and only then let scalers issue commands. Events
 * that arrive before the load are held (ingest bounds how many) so that
 * the loaded snapshot cannot overwrite them. An event that changed the
 * state is reported APPLIED (and so acknowledged) only once wadm_state
 * holds that change: a reconciler killed in between gets it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/reconciler/rec_int.h"
#include "workers/reconciler/rec_state_json.h"

#define REC_DISCOVER_GIVE_UP_S 5.0
/* Events held unacknowledged for a write that make it start at once
   (stream sequences, so an upper bound; ingest's window is 4096). */
#define REC_HOLD_URGENT_EVENTS 1024

/* ---- engine I/O ----------------------------------------------------------- */

static int
rec_io_send(void *arg, const char *subject, const char *body,
            uint64_t timeout_ms, uint64_t gather_ms, uint64_t *cmd_id)
{
    rec_t *r = arg;
    if (r->dispatch == NULL)
        return ERR_CLOSED;
    /* fenced: the lease is not fresh (rec_lease.h); derived again later */
    if (!rec_own_may_act(r))
        return ERR_CONFLICT;
    proto_command_t c = {0};
    c.cmd_id = ++r->next_cmd_id;
    c.subject = (char *)subject;
    c.body.data = (uint8_t *)body;
    c.body.len = strlen(body);
    c.timeout_ms = timeout_ms;
    c.gather_ms = gather_ms;
    c.valid_until_ms = rec_own_valid_until(r);
    int rc = proto_send(r->dispatch, PROTO_MSG_COMMAND, &c);
    if (rc == 0)
        *cmd_id = c.cmd_id;
    return rc;
}

static int
rec_io_status(void *arg, const char *app, const char *json)
{
    /* fenced: offered again once the lease is fresh, or by the next owner */
    if (!rec_own_may_act(arg))
        return ERR_CONFLICT; /* held back; offered again while fresh */
    return rec_publish_status(arg, app, json);
}

/* ---- persistence of the state ------------------------------------------- */

typedef struct rec_persist_job {
    rec_t *r;
    char *key[3];
    char *value[3];
    size_t len[3];
    uint64_t rev[3];
    int rc[3];
} rec_persist_job_t;

static void rec_persist_schedule(rec_t *r);

static void
rec_persist_run(void *arg)
{
    rec_persist_job_t *j = arg;
    for (int i = 0; i < 3; i++) {
        if (j->key[i] == NULL)
            continue;
        if (rec_store_setup(&j->r->store) != 0) {
            j->rc[i] = ERR_NATS;
            continue;
        }
        j->rc[i] = rec_state_kv_put(&j->r->store, j->key[i], j->value[i],
                                    j->len[i], &j->rev[i]);
    }
}

static void
rec_persist_free(rec_persist_job_t *j)
{
    for (int i = 0; i < 3; i++) {
        free(j->key[i]);
        free(j->value[i]);
    }
    free(j);
}

static void
rec_persist_done(void *arg)
{
    rec_persist_job_t *j = arg;
    rec_t *r = j->r;
    r->is_persist_running = false;
    uint64_t *revs[3] = {&r->rev_hosts, &r->rev_components,
                         &r->rev_providers};
    bool *dirty[3] = {&r->is_hosts_dirty, &r->is_components_dirty,
                      &r->is_providers_dirty};
    bool is_stored = true;
    for (int i = 0; i < 3; i++) {
        if (j->key[i] == NULL)
            continue;
        if (j->rc[i] == 0) {
            *revs[i] = j->rev[i];
            r->state_writes_total++;
        } else {
            *dirty[i] = true; /* written again with the next change */
            r->state_write_failures_total++;
            is_stored = false;
        }
    }
    if (!is_stored && r->hold_job != 0 &&
        (r->hold_new == 0 || r->hold_job < r->hold_new))
        r->hold_new = r->hold_job; /* its events wait for the next write */
    r->hold_job = 0;
    rec_persist_free(j);
    rec_persist_schedule(r);
}

static void
rec_persist_drop(void *arg)
{
    rec_persist_free(arg);
}

static void
rec_on_persist_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = t->data;
    if (r->is_persist_running)
        return;
    rec_persist_job_t *j = xcalloc(1, sizeof(*j));
    j->r = r;
    const char *lat = wk_id(r->w);
    if (r->is_hosts_dirty) {
        j->key[0] = rec_state_json_key(REC_RECORD_HOST, lat);
        j->value[0] = rec_state_json_hosts_encode(&r->engine.state,
                                                  &j->len[0]);
        j->rev[0] = r->rev_hosts;
    }
    if (r->is_components_dirty) {
        j->key[1] = rec_state_json_key(REC_RECORD_COMPONENT, lat);
        j->value[1] = rec_state_json_components_encode(&r->engine.state,
                                                       &j->len[1]);
        j->rev[1] = r->rev_components;
    }
    if (r->is_providers_dirty) {
        j->key[2] = rec_state_json_key(REC_RECORD_PROVIDER, lat);
        j->value[2] = rec_state_json_providers_encode(&r->engine.state,
                                                      &j->len[2]);
        j->rev[2] = r->rev_providers;
    }
    r->is_hosts_dirty = r->is_components_dirty = r->is_providers_dirty = false;
    if (job_submit(r->jobs, rec_persist_run, rec_persist_done,
                   rec_persist_drop, j) != 0) {
        rec_persist_free(j);
        r->is_hosts_dirty = r->is_components_dirty = true;
        r->is_providers_dirty = true;
        rec_persist_schedule(r);
        return;
    }
    /* the records just encoded hold every event applied so far */
    r->hold_job = r->hold_new;
    r->hold_new = 0;
    r->is_persist_running = true;
}

static void
rec_persist_schedule(rec_t *r)
{
    if (!(r->is_hosts_dirty || r->is_components_dirty ||
          r->is_providers_dirty) ||
        r->is_persist_running || !r->is_loaded)
        return;
    /*
     * Coalesce writes, unless so many events wait for one that ingest's
     * in-flight window would soon be full of them.
     */
    bool is_urgent = r->hold_new != 0 &&
                     r->applied_id - r->hold_new >= REC_HOLD_URGENT_EVENTS;
    if (ev_is_active(&r->persist_timer)) {
        if (!is_urgent)
            return;
        ev_timer_stop(wk_loop(r->w), &r->persist_timer);
    }
    ev_timer_set(&r->persist_timer, is_urgent ? 0. : REC_PERSIST_DELAY_S,
                 0.);
    ev_timer_start(wk_loop(r->w), &r->persist_timer);
}

void
rec_life_mark_dirty(rec_t *r, const rec_state_change_t *chg)
{
    if (map_count(&chg->hosts) || map_count(&chg->hosts_removed))
        r->is_hosts_dirty = true;
    if (map_count(&chg->components))
        r->is_components_dirty = true;
    if (map_count(&chg->providers))
        r->is_providers_dirty = true;
    rec_persist_schedule(r);
}

/* ---- loading -------------------------------------------------------------- */

typedef struct rec_load_job {
    rec_t *r;
    int rc;
    char *value[3];
    size_t len[3];
    uint64_t rev[3];
    rec_deployed_t deployed;
} rec_load_job_t;

static void
rec_load_run(void *arg)
{
    rec_load_job_t *j = arg;
    rec_t *r = j->r;
    j->rc = rec_store_setup(&r->store);
    if (j->rc != 0)
        return;
    static const int kinds[3] = {REC_RECORD_HOST, REC_RECORD_COMPONENT,
                                 REC_RECORD_PROVIDER};
    for (int i = 0; i < 3 && j->rc == 0; i++) {
        char *key = rec_state_json_key(kinds[i], wk_id(r->w));
        j->rc = rec_state_kv_get(&r->store, key, &j->value[i], &j->len[i],
                                 &j->rev[i]);
        free(key);
    }
    if (j->rc == 0)
        j->rc = rec_store_deployed(&r->store, NULL, &j->deployed);
}

static void
rec_load_free(rec_load_job_t *j)
{
    for (int i = 0; i < 3; i++)
        free(j->value[i]);
    rec_deployed_free(&j->deployed);
    free(j);
}

static void
rec_life_apply(rec_t *r, proto_event_t *ev)
{
    if (ev->ack_id <= r->applied_id) {
        /*
         * Ack ids are the events' stream sequences, delivered in stream
         * order: this one was applied already (ingest got it again after a
         * restart or a redelivery). Applying it twice could undo what
         * followed it; acknowledging it again lets ingest drop it.
         */
        if (r->applied_sent_id >= ev->ack_id)
            r->applied_sent_id = ev->ack_id - 1;
        return;
    }
    rec_state_change_t chg;
    rec_state_change_init(&chg);
    r->events_in_total++;
    wk_activity(r->w, "event %s", ce_kind_name((int)ev->kind));
    uint64_t gen = r->engine.state.gen;
    (void)rec_engine_event(&r->engine, (int)ev->kind, ev->source,
                           (const char *)ev->data.data, ev->data.len,
                           clk_now_ms(), clk_wall_us(), &chg);
    r->applied_id = ev->ack_id;
    /*
     * A change beyond a host's last_seen and uptime (the generation moved)
     * is acknowledged once stored; a steady heartbeat at once, since the
     * next one brings the same again.
     */
    if (r->engine.state.gen != gen && r->hold_new == 0)
        r->hold_new = ev->ack_id;
    rec_life_mark_dirty(r, &chg);
    rec_state_change_destroy(&chg);
}

/* Every event up to the returned id is applied and its change stored. */
static uint64_t
rec_life_ackable(const rec_t *r)
{
    uint64_t id = r->applied_id;
    if (r->hold_job != 0 && r->hold_job - 1 < id)
        id = r->hold_job - 1;
    if (r->hold_new != 0 && r->hold_new - 1 < id)
        id = r->hold_new - 1;
    return id;
}

static void
rec_load_done(void *arg)
{
    rec_load_job_t *j = arg;
    rec_t *r = j->r;
    r->is_load_queued = false;
    if (j->rc != 0) {
        /*
         * Not only at the next connect: a connection that stays up while
         * JetStream cannot answer (a stream without a leader yet, a
         * cluster node away) would leave an owner that never loads and
         * so never reconciles, holding the lease that keeps others out.
         */
        r->load_failures++;
        r->load_failures_total++;
        double delay = REC_LOAD_RETRY_S;
        for (unsigned i = 1;
             i < r->load_failures && delay < REC_LOAD_RETRY_MAX_S; i++)
            delay *= 2;
        if (delay > REC_LOAD_RETRY_MAX_S)
            delay = REC_LOAD_RETRY_MAX_S;
        log_msg(LL_WARN, "loading the lattice from KV failed (%s: %s); "
                "retrying in %.1fs", err_name(j->rc),
                r->store.error[0] ? r->store.error : "see above", delay);
        rec_load_free(j);
        ev_timer_stop(wk_loop(r->w), &r->load_timer);
        ev_timer_set(&r->load_timer, delay, 0.);
        ev_timer_start(wk_loop(r->w), &r->load_timer);
        return;
    }
    r->load_failures = 0;
    char *err = NULL;
    int (*decode[3])(rec_state_t *, const char *, size_t, char **) = {
        rec_state_json_hosts_decode, rec_state_json_components_decode,
        rec_state_json_providers_decode};
    for (int i = 0; i < 3; i++) {
        if (j->value[i] == NULL)
            continue;
        if (decode[i](&r->engine.state, j->value[i], j->len[i], &err) != 0) {
            log_msg(LL_WARN, "stored lattice state is unreadable, starting "
                    "from the hosts' inventories: %s", err ? err : "?");
            free(err);
            err = NULL;
        }
    }
    r->rev_hosts = j->rev[0];
    r->rev_components = j->rev[1];
    r->rev_providers = j->rev[2];
    uint64_t now = clk_now_ms();
    for (size_t i = 0; i < j->deployed.n; i++)
        rec_engine_deploy(&r->engine, j->deployed.names[i],
                          j->deployed.manifests[i], now);
    log_msg(LL_INFO, "loaded lattice %s: %zu host(s) from wadm_state, %zu "
            "deployed application(s)", wk_id(r->w),
            map_count(&r->engine.state.hosts), j->deployed.n);
    rec_load_free(j);
    r->is_loaded = true;
    for (size_t i = 0; i < r->nheld; i++) {
        rec_life_apply(r, r->held[i]);
        proto_body_free(&proto_event_desc, r->held[i]);
    }
    free(r->held);
    r->held = NULL;
    r->nheld = 0;
    if (r->dispatch)
        rec_life_dispatch_up(r);
}

static void
rec_load_drop(void *arg)
{
    rec_load_free(arg);
}

static void
rec_on_load_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = t->data;
    /* a standby loads nothing; without NATS the next connect loads */
    if (rec_own_is_owner(r) && nc_is_connected(r->nc))
        rec_life_load(r);
}

void
rec_life_load(rec_t *r)
{
    if (r->is_loaded || r->is_load_queued)
        return;
    rec_load_job_t *j = xcalloc(1, sizeof(*j));
    j->r = r;
    if (job_submit(r->jobs, rec_load_run, rec_load_done, rec_load_drop, j) ==
        0)
        r->is_load_queued = true;
    else
        rec_load_free(j);
}

/* ---- events ----------------------------------------------------------------- */

/* Another instance owns the lattice: what waited for a load goes. */
void
rec_life_drop_held(rec_t *r)
{
    for (size_t i = 0; i < r->nheld; i++)
        proto_body_free(&proto_event_desc, r->held[i]);
    r->events_ignored_total += r->nheld;
    free(r->held);
    r->held = NULL;
    r->nheld = 0;
}

void
rec_life_event(rec_t *r, proto_event_t *ev)
{
    if (r->own.is_standby_noted && !rec_own_is_owner(r)) {
        /* ingest unbinds once it reads our OWNERSHIP; not acknowledged,
           so the owner's consumer still has it */
        r->events_ignored_total++;
        proto_body_free(&proto_event_desc, ev);
        return;
    }
    if (!r->is_loaded) {
        if (r->nheld >= REC_HELD_EVENTS_MAX) {
            /* ingest bounds its window far below this: a protocol bug */
            log_msg(LL_ERROR, "more than %d events before the state loaded; "
                    "dropping this one (it stays unacknowledged)",
                    REC_HELD_EVENTS_MAX);
            proto_body_free(&proto_event_desc, ev);
            return;
        }
        r->held = xrealloc(r->held, (r->nheld + 1) * sizeof(*r->held));
        r->held[r->nheld++] = ev;
        return;
    }
    rec_life_apply(r, ev);
    proto_body_free(&proto_event_desc, ev);
}

/* ---- timers ------------------------------------------------------------------- */

/*
 * Whether the state known when the engine became ready was stored. The
 * hosts' answers to the start-up inventory (rec_engine_result) change the
 * state without a change set, so the three records are written as a whole
 * once, at once, instead of waiting for the next event to dirty them.
 */
static bool rec_is_inventory_stored;

static void
rec_on_persist_timer(struct ev_loop *loop, ev_timer *t, int revents);

static void
rec_on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = w->data;
    if (r->engine.is_ready && r->is_loaded && !rec_is_inventory_stored) {
        rec_is_inventory_stored = true;
        r->is_hosts_dirty = r->is_components_dirty = true;
        r->is_providers_dirty = true;
        ev_timer_stop(loop, &r->persist_timer);
        rec_on_persist_timer(loop, &r->persist_timer, 0);
    }
    /* a change the state records as "nothing to write" waits for none */
    if (r->hold_new != 0 && !r->is_persist_running && !r->is_hosts_dirty &&
        !r->is_components_dirty && !r->is_providers_dirty)
        r->hold_new = 0;
    uint64_t ackable = rec_life_ackable(r);
    if (ackable > r->applied_sent_id && r->ingest) {
        proto_applied_t a = {0};
        a.ack_id = ackable;
        if (proto_send(r->ingest, PROTO_MSG_APPLIED, &a) == 0)
            r->applied_sent_id = ackable;
    }
    if (r->engine.is_pass_wanted)
        rec_engine_pass(&r->engine, clk_now_ms());
}

static void
rec_on_pass_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = t->data;
    rec_engine_pass(&r->engine, clk_now_ms());
}

static void
rec_on_reap_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = t->data;
    if (!r->is_loaded)
        return;
    rec_state_change_t chg;
    rec_state_change_init(&chg);
    rec_state_reap(&r->engine.state, clk_wall_us(),
                   wk_cfg(r->w)->cleanup_interval_s, &chg);
    size_t removed = map_count(&chg.hosts_removed);
    if (removed > 0) {
        r->hosts_reaped_total += removed;
        log_msg(LL_INFO, "lattice %s: %zu host(s) without heartbeat for "
                "%llus removed; reconciling", wk_id(r->w), removed,
                (unsigned long long)wk_cfg(r->w)->cleanup_interval_s);
        /* upstream waits for the next event; wadm-c re-places at once */
        rec_engine_touch_all(&r->engine);
    }
    rec_life_mark_dirty(r, &chg);
    rec_state_change_destroy(&chg);
}

static void
rec_on_discover_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_t *r = t->data;
    if (!r->engine.is_ready) {
        log_msg(LL_WARN, "lattice %s: not every host answered within %.0fs; "
                "going on with what is known", wk_id(r->w),
                REC_DISCOVER_GIVE_UP_S);
        rec_engine_ready(&r->engine, clk_now_ms());
    }
}

static ev_timer rec_discover_timer;

void
rec_life_dispatch_up(rec_t *r)
{
    /* (statuses a dead dispatch lost were marked by requests_lost) */
    if (!r->is_loaded || r->engine.is_ready || r->is_discovering)
        return;
    r->is_discovering = true;
    rec_engine_discover(&r->engine, clk_now_ms());
    /*
     * Dispatch may have died during an earlier discovery whose give-up
     * timer still runs: re-initialising an active watcher corrupts
     * libev's timer heap, so stop it first.
     */
    ev_timer_stop(wk_loop(r->w), &rec_discover_timer);
    ev_timer_set(&rec_discover_timer, REC_DISCOVER_GIVE_UP_S, 0.);
    rec_discover_timer.data = r;
    ev_timer_start(wk_loop(r->w), &rec_discover_timer);
}

void
rec_life_start(rec_t *r)
{
    rec_engine_io_t io = {rec_io_send, rec_io_status, r};
    rec_engine_init(&r->engine, wk_id(r->w), &io);
    /* command ids never repeat across restarts of this reconciler */
    r->next_cmd_id = clk_wall_us();
    struct ev_loop *loop = wk_loop(r->w);
    ev_prepare_init(&r->prepare, rec_on_prepare);
    r->prepare.data = r;
    ev_prepare_start(loop, &r->prepare);
    ev_timer_init(&r->pass_timer, rec_on_pass_timer, REC_PASS_PERIOD_S,
                  REC_PASS_PERIOD_S);
    r->pass_timer.data = r;
    ev_timer_start(loop, &r->pass_timer);
    double reap = (double)(wk_cfg(r->w)->cleanup_interval_s / 2);
    if (reap < 1.0)
        reap = 1.0;
    ev_timer_init(&r->reap_timer, rec_on_reap_timer, reap, reap);
    r->reap_timer.data = r;
    ev_timer_start(loop, &r->reap_timer);
    ev_timer_init(&r->persist_timer, rec_on_persist_timer,
                  REC_PERSIST_DELAY_S, 0.);
    r->persist_timer.data = r;
    ev_init(&rec_discover_timer, rec_on_discover_timer);
    ev_init(&r->load_timer, rec_on_load_timer);
    r->load_timer.data = r;
}

void
rec_life_stop(rec_t *r)
{
    struct ev_loop *loop = wk_loop(r->w);
    ev_prepare_stop(loop, &r->prepare);
    ev_timer_stop(loop, &r->pass_timer);
    ev_timer_stop(loop, &r->reap_timer);
    ev_timer_stop(loop, &r->persist_timer);
    ev_timer_stop(loop, &rec_discover_timer);
    ev_timer_stop(loop, &r->load_timer);
    for (size_t i = 0; i < r->nheld; i++)
        proto_body_free(&proto_event_desc, r->held[i]);
    free(r->held);
    r->held = NULL;
    r->nheld = 0;
    rec_engine_destroy(&r->engine);
}
