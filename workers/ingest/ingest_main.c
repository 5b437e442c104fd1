/*
 * ingest_main.c - the ingest worker: NATS in-edge for every lattice.
 *
 * Runs as "wadm worker ingest --id 0". It is the only process that
 * receives from NATS: lattice events (wasmbus.evt.*.>) and the wadm API
 * (queue group wadm_server). nats.c delivers messages on its threads; the
 * callbacks only push them into a bounded queue drained by the loop, where
 * they are decoded and routed to the lattice's reconciler. It never blocks
 * the loop on NATS: setup calls that block run on the job thread.
 */
#include "workers/ingest/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/ingest/ingest_int.h"

static ingest_t ingest_g;

/* nats.c thread: hand the message to the loop or drop it. */
void
ingest_push(ingest_t *in, int kind, natsMsg *msg)
{
    ingest_item_t *it = xmalloc(sizeof(*it));
    it->kind = kind;
    it->msg = msg;
    it->lat = NULL;
    it->jsub = NULL;
    if (q_push(in->inq, it, (size_t)natsMsg_GetDataLength(msg) + 256) != 0) {
        /* the loop is far behind: the queue's drop counter shows it */
        natsMsg_Destroy(msg);
        free(it);
    }
}

static void
ingest_on_api_msg(natsConnection *conn, natsSubscription *sub, natsMsg *msg,
                  void *closure)
{
    (void)conn;
    (void)sub;
    ingest_push(closure, INGEST_ITEM_API, msg);
}

static void
ingest_on_evt_msg(natsConnection *conn, natsSubscription *sub, natsMsg *msg,
                  void *closure)
{
    (void)conn;
    (void)sub;
    ingest_push(closure, INGEST_ITEM_DISCOVER, msg);
}

static void
ingest_on_item(void *item, void *arg)
{
    ingest_t *in = arg;
    ingest_item_t *it = item;
    if (it->kind == INGEST_ITEM_JS_EVENT) {
        ingest_evt_on_js(in, it->jsub, it->msg); /* takes the message */
    } else {
        if (it->kind == INGEST_ITEM_API)
            ingest_api_handle(in, it->msg);
        else if (it->kind == INGEST_ITEM_KV)
            ingest_kv_changed(in, it->msg);
        else
            ingest_evt_discover(in, it->msg);
        natsMsg_Destroy(it->msg);
    }
    free(it);
}

static void
ingest_drop_item(void *item)
{
    ingest_item_t *it = item;
    natsMsg_Destroy(it->msg);
    free(it);
}

static int
ingest_sub_add(ingest_t *in, const char *subject, bool is_api)
{
    natsConnection *conn = nc_conn(in->nc);
    natsSubscription *sub = NULL;
    natsStatus s =
        is_api ? natsConnection_QueueSubscribe(&sub, conn, subject,
                                               "wadm_server",
                                               ingest_on_api_msg, in)
               : natsConnection_Subscribe(&sub, conn, subject,
                                          ingest_on_evt_msg, in);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, is_api ? 100000 : 1000000,
                                              256 * 1024 * 1024);
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "subscribing to \"%s\" failed: %s", subject,
                natsStatus_GetText(s));
        natsSubscription_Destroy(sub);
        return ERR_NATS;
    }
    in->subs = xrealloc(in->subs, (in->nsubs + 1) * sizeof(*in->subs));
    in->subs[in->nsubs++] = sub;
    log_msg(LL_INFO, "subscribed to \"%s\"%s", subject,
            is_api ? " (queue wadm_server)" : "");
    return 0;
}

/*
 * The API and discovery subscriptions: for every lattice, or with
 * --lattices only for those, so that a user allowed only
 * wadm.api.<lattice>.> can run this instance.
 */
static int
ingest_subscribe(ingest_t *in)
{
    const cfg_t *cfg = wk_cfg(in->w);
    const char *mt = cfg->is_multitenant ? "*." : "";
    char subj[1024];
    if (cfg->lattices == NULL || cfg->lattices[0] == '\0') {
        snprintf(subj, sizeof(subj), "%swasmbus.evt.*.host_started", mt);
        if (ingest_sub_add(in, subj, false) != 0)
            return ERR_NATS;
        snprintf(subj, sizeof(subj), "%s%s.>", mt, cfg->api_prefix);
        return ingest_sub_add(in, subj, true);
    }
    char *list = xstrdup(cfg->lattices);
    int rc = 0;
    for (char *save = NULL, *l = strtok_r(list, ",", &save); l && rc == 0;
         l = strtok_r(NULL, ",", &save)) {
        snprintf(subj, sizeof(subj), "%swasmbus.evt.%s.host_started", mt, l);
        rc = ingest_sub_add(in, subj, false);
        snprintf(subj, sizeof(subj), "%s%s.%s.>", mt, cfg->api_prefix, l);
        if (rc == 0)
            rc = ingest_sub_add(in, subj, true);
    }
    free(list);
    return rc;
}

static void
ingest_on_nats_state(nc_t *nc, int state, void *arg)
{
    (void)nc;
    ingest_t *in = arg;
    if (state == NC_CONNECTED) {
        if (in->nsubs == 0 &&
            (ingest_subscribe(in) != 0 || ingest_kv_subscribe(in) != 0))
            wk_exit(in->w, 1);
        if (!in->is_discovery_done)
            ingest_disc_start(in);
        ingest_evt_connected(in);
    }
}

static int
ingest_start(wk_t *w)
{
    ingest_t *in = &ingest_g;
    memset(in, 0, sizeof(*in));
    in->w = w;
    wk_set_ctx(w, in);
    map_init(&in->lattices);
    in->inq = q_new(wk_loop(w), INGEST_Q_MAX_ITEMS, INGEST_Q_MAX_BYTES,
                    ingest_on_item, in);
    in->jobs = job_runner_new(wk_loop(w), 64);
    ingest_api_start(in);
    char *err = NULL;
    int rc = nc_open(wk_cfg(w), wk_name(w), wk_loop(w), ingest_on_nats_state,
                     in, &in->nc, &err);
    if (rc != 0) {
        log_msg(LL_ERROR, "NATS setup failed: %s", err ? err : "?");
        free(err);
        return rc;
    }
    wk_set_nats(w, in->nc);
    return 0;
}

static void
ingest_stop(wk_t *w)
{
    ingest_t *in = wk_ctx(w);
    for (size_t i = 0; i < in->nsubs; i++)
        natsSubscription_Unsubscribe(in->subs[i]);
    ingest_api_stop(in);
    if (ev_is_active(&in->disc_timer))
        ev_timer_stop(wk_loop(w), &in->disc_timer);
    if (nc_is_connected(in->nc))
        natsConnection_FlushTimeout(nc_conn(in->nc), 500);
    job_runner_free(in->jobs);
    for (map_entry_t *e = map_first(&in->lattices); e; e = e->next)
        ingest_evt_lat_destroy(e->val);
    for (size_t i = 0; i < in->nsubs; i++)
        natsSubscription_Destroy(in->subs[i]);
    free(in->subs);
    nc_close(in->nc);
    q_free(in->inq, ingest_drop_item);
    map_destroy(&in->lattices, ingest_lat_free);
}

static void
ingest_status(wk_t *w, proto_kv_t *lines)
{
    ingest_t *in = wk_ctx(w);
    wk_status_nats(in->nc, lines);
    proto_kv_addf(lines, "events_in_total", "%llu",
                  (unsigned long long)in->events_in_total);
    proto_kv_addf(lines, "events_ignored_total", "%llu",
                  (unsigned long long)in->events_ignored_total);
    proto_kv_addf(lines, "api_in_total", "%llu",
                  (unsigned long long)in->api_in_total);
    proto_kv_addf(lines, "queue_depth", "%zu", q_depth(in->inq));
    proto_kv_addf(lines, "queue_peak", "%zu", q_peak(in->inq));
    proto_kv_addf(lines, "queue_dropped_total", "%llu",
                  (unsigned long long)q_dropped_total(in->inq));
    proto_kv_addf(lines, "lattices", "%zu", map_count(&in->lattices));
    proto_kv_addf(lines, "lattices_refused_total", "%llu",
                  (unsigned long long)in->lattices_refused_total);
    proto_kv_addf(lines, "manifest_changes_total", "%llu",
                  (unsigned long long)in->manifest_changes_total);
    size_t connected = 0, in_flight = 0, consumers = 0, owned = 0;
    uint64_t pending = 0;
    uint64_t applied = 0, bad = 0, skipped = 0, resent = 0, rewinds = 0;
    uint64_t stale = 0;
    for (map_entry_t *e = map_first(&in->lattices); e; e = e->next) {
        ingest_lat_t *lat = e->val;
        if (lat->rec)
            connected++;
        if (lat->js_sub)
            consumers++;
        if (lat->is_owned)
            owned++;
        in_flight += lat->evt_count;
        pending += lat->js_pending;
        applied += lat->events_applied_total;
        bad += lat->events_bad_total;
        skipped += lat->events_skipped_total;
        resent += lat->events_resent_total;
        rewinds += lat->events_rewinds_total;
        stale += lat->events_stale_total;
    }
    proto_kv_addf(lines, "events_in_flight", "%zu", in_flight);
    proto_kv_addf(lines, "events_applied_total", "%llu",
                  (unsigned long long)applied);
    /* not yet delivered (as of the last scan, every 5 s) + not applied */
    proto_kv_addf(lines, "events_pending", "%llu",
                  (unsigned long long)pending);
    proto_kv_addf(lines, "events_lag", "%llu",
                  (unsigned long long)(pending + in_flight));
    proto_kv_addf(lines, "events_bad_total", "%llu",
                  (unsigned long long)bad);
    proto_kv_addf(lines, "events_skipped_total", "%llu",
                  (unsigned long long)skipped);
    proto_kv_addf(lines, "events_resent_total", "%llu",
                  (unsigned long long)resent);
    proto_kv_addf(lines, "events_rewinds_total", "%llu",
                  (unsigned long long)rewinds);
    proto_kv_addf(lines, "events_stale_total", "%llu",
                  (unsigned long long)stale);
    proto_kv_addf(lines, "event_consumers", "%zu", consumers);
    proto_kv_addf(lines, "lattices_consumed", "%zu", owned);
    proto_kv_add(lines, "jetstream", in->is_js_ready ? "ready" : "pending");
    proto_kv_addf(lines, "reconcilers_connected", "%zu", connected);
    proto_kv_add(lines, "discovery", in->is_discovery_done ? "done"
                                                           : "pending");
    proto_kv_addf(lines, "api_pending", "%zu", map_count(&in->reqs));
    proto_kv_addf(lines, "api_replies_total", "%llu",
                  (unsigned long long)in->api_replies_total);
    proto_kv_addf(lines, "api_local_errors_total", "%llu",
                  (unsigned long long)in->api_local_errors_total);
    proto_kv_addf(lines, "api_timeouts_total", "%llu",
                  (unsigned long long)in->api_timeouts_total);
    proto_kv_addf(lines, "api_busy_total", "%llu",
                  (unsigned long long)in->api_busy_total);
    ingest_api_status(in, lines);
}

static void
ingest_rec_gone(ingest_lat_t *lat)
{
    chan_close(lat->rec);
    lat->rec = NULL;
    ingest_api_rec_down(&ingest_g, lat);
    ingest_evt_rec_down(&ingest_g, lat);
}

static void
ingest_on_rec_frame(chan_t *c, const uint8_t *payload, size_t len, void *arg)
{
    (void)c;
    ingest_lat_t *lat = arg;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        log_msg(LL_ERROR, "undecodable frame from rec.%s, closing", lat->name);
        ingest_rec_gone(lat);
        return;
    }
    if (m.type == PROTO_MSG_API_REP)
        ingest_api_on_reply(&ingest_g, m.body);
    else if (m.type == PROTO_MSG_APPLIED)
        ingest_evt_on_applied(&ingest_g, lat,
                              ((proto_applied_t *)m.body)->ack_id);
    else if (m.type == PROTO_MSG_OWNERSHIP)
        ingest_evt_ownership(&ingest_g, lat,
                             ((proto_ownership_t *)m.body)->is_owner,
                             ((proto_ownership_t *)m.body)->holder);
    proto_msg_destroy(&m);
}

static void
ingest_on_rec_error(chan_t *c, int err, void *arg)
{
    ingest_lat_t *lat = arg;
    if (err != ERR_CLOSED)
        log_msg(LL_WARN, "channel to rec.%s failed (%s)", lat->name,
                err_name(err));
    if (lat->rec == c)
        ingest_rec_gone(lat);
    else
        chan_close(c);
}

static void
ingest_peer_open(wk_t *w, const char *role, const char *id, int fd)
{
    ingest_t *in = wk_ctx(w);
    ingest_lat_t *lat = strcmp(role, "rec") == 0
                            ? ingest_lat_get(in, id, true)
                            : NULL;
    if (lat == NULL) {
        log_msg(LL_WARN, "unexpected channel from %s.%s, closed", role, id);
        close(fd);
        return;
    }
    if (lat->rec)
        ingest_rec_gone(lat);
    lat->is_requested = true;
    lat->rec = chan_open(wk_loop(w), fd, &proto_data_limits,
                         ingest_on_rec_frame, ingest_on_rec_error, lat);
    log_msg(LL_INFO, "connected to rec.%s", id);
    ingest_api_rec_up(in, lat);
    ingest_evt_rec_up(in, lat);
}

static void
ingest_peer_close(wk_t *w, const char *role, const char *id)
{
    ingest_t *in = wk_ctx(w);
    if (strcmp(role, "rec") != 0)
        return;
    ingest_lat_t *lat = ingest_lat_get(in, id, false);
    if (lat == NULL)
        return;
    if (lat->rec)
        ingest_rec_gone(lat);
    /* ask again at the next sign of life of the lattice */
    lat->is_requested = false;
}

static const wk_role_t ingest_role = {
    .name = "ingest",
    .start = ingest_start,
    .stop = ingest_stop,
    .status = ingest_status,
    .peer_open = ingest_peer_open,
    .peer_close = ingest_peer_close,
    .resync = NULL,
};

int
ingest_main(const char *id)
{
    return wk_main(&ingest_role, id);
}
