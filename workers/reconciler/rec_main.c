/*
 * rec_main.c - rec.<lattice>: the reconciler of one lattice.
 *
 * Runs as "wadm-worker rec --id <lattice>". It owns the lattice's observed
 * state, its manifests and scalers, and turns the difference between
 * desired and observed state into commands for dispatch. A crash here
 * affects this lattice only. Storage calls run on the job thread; the loop
 * never blocks on NATS.
 */
#include "workers/reconciler/rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/reconciler/rec_int.h"
#include "workers/reconciler/rec_state_json.h"

static rec_t rec_g;

int
rec_publish_status(rec_t *r, const char *app, const char *json)
{
    if (r->dispatch == NULL) {
        log_msg(LL_DEBUG, "status of %s held back: dispatch is down", app);
        return ERR_CLOSED;
    }
    char subject[512];
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", wk_id(r->w), app);
    proto_status_t st = {0};
    st.subject = subject;
    st.body.data = (uint8_t *)json;
    st.body.len = strlen(json);
    int rc = proto_send(r->dispatch, PROTO_MSG_STATUS, &st);
    if (rc == 0)
        r->statuses_out_total++;
    return rc;
}

static void
rec_chan_gone(rec_t *r, chan_t *c)
{
    if (c == r->ingest) {
        r->ingest = NULL;
        r->applied_sent_id = 0;
    }
    if (c == r->dispatch) {
        r->dispatch = NULL;
        rec_engine_requests_lost(&r->engine);
        r->is_discovering = false;
    }
    chan_close(c);
}

static void
rec_on_frame(chan_t *c, const uint8_t *payload, size_t len, void *arg)
{
    rec_t *r = arg;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        log_msg(LL_ERROR, "undecodable frame from %s, closing",
                c == r->ingest ? "ingest" : "dispatch");
        rec_chan_gone(r, c);
        return;
    }
    r->frames_in_total++;
    if (c == r->ingest && m.type == PROTO_MSG_API_REQ) {
        rec_apiq_submit(r, m.body);
        m.body = NULL;
    } else if (c == r->ingest && m.type == PROTO_MSG_EVENT) {
        rec_life_event(r, m.body);
        m.body = NULL;
    } else if (c == r->ingest && m.type == PROTO_MSG_KV_CHANGED) {
        rec_watch_changed(r, m.body);
    } else if (c == r->dispatch && m.type == PROTO_MSG_RESULT) {
        rec_engine_result(&r->engine, m.body, clk_now_ms());
    }
    proto_msg_destroy(&m);
}

static void
rec_on_error(chan_t *c, int err, void *arg)
{
    rec_t *r = arg;
    if (err != ERR_CLOSED)
        log_msg(LL_WARN, "peer channel failed (%s)", err_name(err));
    rec_chan_gone(r, c);
}

static void
rec_on_nats_state(nc_t *nc, int state, void *arg)
{
    (void)nc;
    rec_t *r = arg;
    if (state == NC_CONNECTED) {
        rec_own_kick(r);
        rec_apiq_setup(r);
        /* a standby loads nothing; the owner may have missed writes */
        if (rec_own_is_owner(r)) {
            rec_life_load(r);
            rec_watch_resync(r);
        }
    }
}

static int
rec_start(wk_t *w)
{
    rec_t *r = &rec_g;
    memset(r, 0, sizeof(*r));
    r->w = w;
    wk_set_ctx(w, r);
    r->jobs = job_runner_new(wk_loop(w), REC_JOBS_MAX);
    rec_life_start(r);
    char *err = NULL;
    int rc = nc_open(wk_cfg(w), wk_name(w), wk_loop(w), rec_on_nats_state, r,
                     &r->nc, &err);
    if (rc != 0) {
        log_msg(LL_ERROR, "NATS setup failed: %s", err ? err : "?");
        free(err);
        return rc;
    }
    wk_set_nats(w, r->nc);
    rec_own_start(r);
    rec_watch_start(r);
    r->store.cfg = wk_cfg(w);
    r->store.lattice = wk_id(w);
    r->store.conn = nc_conn(r->nc);
    r->store.js = nc_js(r->nc);
    return 0;
}

/*
 * At shutdown the latest state is written at once (blocking is fine), by
 * the owner only: a reconciler that lost the lease has nothing to write.
 */
static void
rec_flush_state(rec_t *r)
{
    if (!r->is_loaded || !r->store.is_ready || !nc_is_connected(r->nc) ||
        !rec_own_is_owner(r))
        return;
    const char *lat = wk_id(r->w);
    if (r->is_hosts_dirty) {
        char *key = rec_state_json_key(REC_RECORD_HOST, lat);
        size_t len;
        char *v = rec_state_json_hosts_encode(&r->engine.state, &len);
        (void)rec_state_kv_put(&r->store, key, v, len, &r->rev_hosts);
        free(key);
        free(v);
    }
    if (r->is_components_dirty) {
        char *key = rec_state_json_key(REC_RECORD_COMPONENT, lat);
        size_t len;
        char *v = rec_state_json_components_encode(&r->engine.state, &len);
        (void)rec_state_kv_put(&r->store, key, v, len, &r->rev_components);
        free(key);
        free(v);
    }
    if (r->is_providers_dirty) {
        char *key = rec_state_json_key(REC_RECORD_PROVIDER, lat);
        size_t len;
        char *v = rec_state_json_providers_encode(&r->engine.state, &len);
        (void)rec_state_kv_put(&r->store, key, v, len, &r->rev_providers);
        free(key);
        free(v);
    }
}

static void
rec_stop(wk_t *w)
{
    rec_t *r = wk_ctx(w);
    job_runner_free(r->jobs);
    rec_flush_state(r);
    rec_own_stop(r); /* after the flush: the next owner reads it */
    rec_watch_stop(r);
    rec_life_stop(r);
    rec_store_close(&r->store);
    chan_close(r->ingest);
    chan_close(r->dispatch);
    nc_close(r->nc);
}

/*
 * apps_status_<type> lines: the owner's deployed applications by the type
 * of the status last published (wadm_apps{lattice,status} in /metrics).
 * Every document starts {"status":{"type":"<type>" (rec_engine.c).
 */
static void
rec_status_apps(const rec_t *r, proto_kv_t *lines)
{
    static const char prefix[] = "{\"status\":{\"type\":\"";
    map_t counts;
    map_init(&counts);
    for (const map_entry_t *e = map_first(&r->engine.apps); e; e = e->next) {
        const rec_app_t *a = e->val;
        const char *doc = a->last_status;
        if (doc == NULL || strncmp(doc, prefix, sizeof(prefix) - 1) != 0)
            continue;
        char type[32];
        const char *t = doc + sizeof(prefix) - 1;
        size_t len = strcspn(t, "\"");
        if (len == 0 || len >= sizeof(type))
            continue;
        memcpy(type, t, len);
        type[len] = '\0';
        size_t *n = map_get(&counts, type);
        if (n == NULL) {
            n = xcalloc(1, sizeof(*n));
            (void)map_put(&counts, type, n);
        }
        (*n)++;
    }
    for (const map_entry_t *e = map_first(&counts); e; e = e->next) {
        char key[64];
        snprintf(key, sizeof(key), "apps_status_%s", e->key);
        proto_kv_addf(lines, key, "%zu", *(const size_t *)e->val);
    }
    map_destroy(&counts, free);
}

static void
rec_status(wk_t *w, proto_kv_t *lines)
{
    rec_t *r = wk_ctx(w);
    wk_status_nats(r->nc, lines);
    proto_kv_add(lines, "lattice", wk_id(w));
    proto_kv_add(lines, "ingest_channel", r->ingest ? "up" : "down");
    proto_kv_add(lines, "dispatch_channel", r->dispatch ? "up" : "down");
    proto_kv_add(lines, "storage", r->store.is_ready ? "ready" : "pending");
    proto_kv_add(lines, "loaded", r->is_loaded ? "yes" : "no");
    proto_kv_addf(lines, "load_failures_total", "%llu",
                  (unsigned long long)r->load_failures_total);
    rec_own_status_lines(r, lines);
    proto_kv_addf(lines, "resyncs_total", "%llu",
                  (unsigned long long)r->resyncs_total);
    proto_kv_addf(lines, "resync_deploys_total", "%llu",
                  (unsigned long long)r->resync_deploys_total);
    proto_kv_addf(lines, "resync_undeploys_total", "%llu",
                  (unsigned long long)r->resync_undeploys_total);
    proto_kv_addf(lines, "events_ignored_total", "%llu",
                  (unsigned long long)r->events_ignored_total);
    proto_kv_addf(lines, "frames_in_total", "%llu",
                  (unsigned long long)r->frames_in_total);
    proto_kv_addf(lines, "events_in_total", "%llu",
                  (unsigned long long)r->events_in_total);
    proto_kv_addf(lines, "events_held", "%zu", r->nheld);
    proto_kv_addf(lines, "events_applied_id", "%llu",
                  (unsigned long long)r->applied_id);
    proto_kv_addf(lines, "api_requests_total", "%llu",
                  (unsigned long long)r->api_requests_total);
    proto_kv_addf(lines, "api_busy_total", "%llu",
                  (unsigned long long)r->api_busy_total);
    proto_kv_addf(lines, "jobs_pending", "%zu", job_pending(r->jobs));
    proto_kv_addf(lines, "statuses_out_total", "%llu",
                  (unsigned long long)r->statuses_out_total);
    proto_kv_addf(lines, "state_writes_total", "%llu",
                  (unsigned long long)r->state_writes_total);
    proto_kv_addf(lines, "state_write_failures_total", "%llu",
                  (unsigned long long)r->state_write_failures_total);
    proto_kv_addf(lines, "hosts_reaped_total", "%llu",
                  (unsigned long long)r->hosts_reaped_total);
    rec_engine_status_lines(&r->engine, lines);
    rec_status_apps(r, lines);
}

static void
rec_peer_open(wk_t *w, const char *role, const char *id, int fd)
{
    rec_t *r = wk_ctx(w);
    chan_t **slot = strcmp(role, "ingest") == 0     ? &r->ingest
                    : strcmp(role, "dispatch") == 0 ? &r->dispatch
                                                    : NULL;
    if (slot == NULL) {
        log_msg(LL_WARN, "unexpected channel from %s.%s, closed", role, id);
        close(fd);
        return;
    }
    if (*slot)
        rec_chan_gone(r, *slot);
    *slot = chan_open(wk_loop(w), fd, &proto_data_limits, rec_on_frame,
                      rec_on_error, r);
    log_msg(LL_INFO, "connected to %s.%s", role, id);
    if (slot == &r->dispatch)
        rec_life_dispatch_up(r);
    else
        rec_own_ingest_up(r);
}

static const wk_role_t rec_role = {
    .name = "rec",
    .start = rec_start,
    .stop = rec_stop,
    .status = rec_status,
    .peer_open = rec_peer_open,
    .peer_close = NULL,
    .resync = NULL,
};

int
rec_main(const char *lattice)
{
    return wk_main(&rec_role, lattice);
}
