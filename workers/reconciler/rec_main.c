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

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/reconciler/rec_int.h"

static rec_t rec_g;

void
rec_publish_status(rec_t *r, const char *app, const cJSON *status)
{
    if (r->dispatch == NULL) {
        log_msg(LL_WARN, "status of %s not published: dispatch is down",
                app);
        return;
    }
    char subject[512];
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", wk_id(r->w), app);
    char *body = cJSON_PrintUnformatted(status);
    proto_status_t st = {0};
    st.subject = subject;
    st.body.data = (uint8_t *)body;
    st.body.len = strlen(body);
    if (proto_send(r->dispatch, PROTO_MSG_STATUS, &st) == 0)
        r->statuses_out_total++;
    cJSON_free(body);
}

static void
rec_on_frame(chan_t *c, const uint8_t *payload, size_t len, void *arg)
{
    rec_t *r = arg;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        log_msg(LL_ERROR, "undecodable frame from %s, closing",
                c == r->ingest ? "ingest" : "dispatch");
        if (c == r->ingest)
            r->ingest = NULL;
        if (c == r->dispatch)
            r->dispatch = NULL;
        chan_close(c);
        return;
    }
    r->frames_in_total++;
    if (m.type == PROTO_MSG_API_REQ && c == r->ingest) {
        rec_apiq_submit(r, m.body);
        m.body = NULL;
    }
    proto_msg_destroy(&m);
}

static void
rec_on_error(chan_t *c, int err, void *arg)
{
    rec_t *r = arg;
    if (err != ERR_CLOSED)
        log_msg(LL_WARN, "peer channel failed (%s)", err_name(err));
    if (c == r->ingest)
        r->ingest = NULL;
    if (c == r->dispatch)
        r->dispatch = NULL;
    chan_close(c);
}

static void
rec_on_nats_state(nc_t *nc, int state, void *arg)
{
    (void)nc;
    rec_t *r = arg;
    if (state == NC_CONNECTED)
        rec_apiq_setup(r);
}

static int
rec_start(wk_t *w)
{
    rec_t *r = &rec_g;
    memset(r, 0, sizeof(*r));
    r->w = w;
    wk_set_ctx(w, r);
    r->jobs = job_runner_new(wk_loop(w), REC_JOBS_MAX);
    char *err = NULL;
    int rc = nc_open(wk_cfg(w), wk_name(w), wk_loop(w), rec_on_nats_state, r,
                     &r->nc, &err);
    if (rc != 0) {
        log_msg(LL_ERROR, "NATS setup failed: %s", err ? err : "?");
        free(err);
        return rc;
    }
    r->store.cfg = wk_cfg(w);
    r->store.lattice = wk_id(w);
    r->store.conn = nc_conn(r->nc);
    r->store.js = nc_js(r->nc);
    return 0;
}

static void
rec_stop(wk_t *w)
{
    rec_t *r = wk_ctx(w);
    job_runner_free(r->jobs);
    rec_store_close(&r->store);
    chan_close(r->ingest);
    chan_close(r->dispatch);
    nc_close(r->nc);
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
    proto_kv_addf(lines, "frames_in_total", "%llu",
                  (unsigned long long)r->frames_in_total);
    proto_kv_addf(lines, "api_requests_total", "%llu",
                  (unsigned long long)r->api_requests_total);
    proto_kv_addf(lines, "api_busy_total", "%llu",
                  (unsigned long long)r->api_busy_total);
    proto_kv_addf(lines, "jobs_pending", "%zu", job_pending(r->jobs));
    proto_kv_addf(lines, "statuses_out_total", "%llu",
                  (unsigned long long)r->statuses_out_total);
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
    chan_close(*slot);
    *slot = chan_open(wk_loop(w), fd, &proto_data_limits, rec_on_frame,
                      rec_on_error, r);
    log_msg(LL_INFO, "connected to %s.%s", role, id);
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
