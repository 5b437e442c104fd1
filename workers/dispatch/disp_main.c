/*
 * disp_main.c - the dispatch worker: NATS out-edge for every lattice.
 *
 * Runs as "wadm worker dispatch --id 0". It runs the control-interface
 * requests that reconcilers ask for, reports each result to the
 * reconciler that asked, and publishes application statuses. It never
 * blocks its loop on NATS.
 */
#include "workers/dispatch/disp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/map.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/dispatch/disp_int.h"

static disp_t disp_g;

static void
disp_peer_free(void *p)
{
    disp_peer_t *peer = p;
    if (peer == NULL)
        return;
    chan_close(peer->chan);
    free(peer->lattice);
    free(peer);
}

static void
disp_on_frame(chan_t *c, const uint8_t *payload, size_t len, void *arg)
{
    disp_peer_t *peer = arg;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        log_msg(LL_ERROR, "undecodable frame from rec.%s, closing",
                peer->lattice);
        chan_close(c);
        peer->chan = NULL;
        return;
    }
    if (m.type == PROTO_MSG_COMMAND)
        disp_cmd_handle(peer->d, peer->lattice, m.body);
    else if (m.type == PROTO_MSG_STATUS)
        disp_status_handle(peer->d, m.body);
    proto_msg_destroy(&m);
}

static void
disp_on_error(chan_t *c, int err, void *arg)
{
    disp_peer_t *peer = arg;
    if (err != ERR_CLOSED)
        log_msg(LL_WARN, "channel to rec.%s failed (%s)", peer->lattice,
                err_name(err));
    chan_close(c);
    if (peer->chan == c)
        peer->chan = NULL;
}

/* nats.c thread: hand a reply to the loop */
static void
disp_on_inbox_msg(natsConnection *conn, natsSubscription *sub, natsMsg *msg,
                  void *closure)
{
    (void)conn;
    (void)sub;
    disp_t *d = closure;
    if (q_push(d->replies, msg, (size_t)natsMsg_GetDataLength(msg) + 128) !=
        0)
        natsMsg_Destroy(msg); /* the request times out instead */
}

static void
disp_on_reply_item(void *item, void *arg)
{
    disp_cmd_on_reply(arg, item);
    natsMsg_Destroy(item);
}

static void
disp_drop_reply(void *item)
{
    natsMsg_Destroy(item);
}

static void
disp_on_nats_state(nc_t *nc, int state, void *arg)
{
    disp_t *d = arg;
    if (state != NC_CONNECTED)
        return;
    if (!d->is_js_ready)
        disp_js_setup(d);
    if (d->inbox_sub == NULL) {
        char subj[160];
        snprintf(subj, sizeof(subj), "%s.*", d->inbox);
        natsStatus s = natsConnection_Subscribe(&d->inbox_sub, nc_conn(nc),
                                                subj, disp_on_inbox_msg, d);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(d->inbox_sub, 1000000,
                                                  512 * 1024 * 1024);
        if (s != NATS_OK) {
            log_msg(LL_ERROR, "subscribing to \"%s\" failed: %s", subj,
                    natsStatus_GetText(s));
            wk_exit(d->w, 1);
        }
    }
}

static int
disp_start(wk_t *w)
{
    disp_t *d = &disp_g;
    memset(d, 0, sizeof(*d));
    d->w = w;
    wk_set_ctx(w, d);
    map_init(&d->peers);
    disp_status_start(d);
    d->jobs = job_runner_new(wk_loop(w), DISP_JOBS_MAX);
    map_init(&d->inflight);
    map_init(&d->by_key);
    map_init(&d->by_cmd);
    map_init(&d->blocked);
    d->replies = q_new(wk_loop(w), 1000000, 512u * 1024u * 1024u,
                       disp_on_reply_item, d);
    natsInbox *inbox = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK) {
        log_msg(LL_ERROR, "natsInbox_Create() failed");
        return ERR_NATS;
    }
    snprintf(d->inbox, sizeof(d->inbox), "%s", inbox);
    natsInbox_Destroy(inbox);
    char *err = NULL;
    int rc = nc_open(wk_cfg(w), wk_name(w), wk_loop(w), disp_on_nats_state, d,
                     &d->nc, &err);
    if (rc != 0) {
        log_msg(LL_ERROR, "NATS setup failed: %s", err ? err : "?");
        free(err);
        return rc;
    }
    wk_set_nats(w, d->nc);
    return 0;
}

static void
disp_stop(wk_t *w)
{
    disp_t *d = wk_ctx(w);
    if (d->inbox_sub)
        natsSubscription_Unsubscribe(d->inbox_sub);
    disp_cmd_stop(d);
    job_runner_free(d->jobs);
    map_destroy(&d->peers, disp_peer_free);
    disp_status_stop(d);
    nc_close(d->nc);
    natsSubscription_Destroy(d->inbox_sub);
    q_free(d->replies, disp_drop_reply);
}

static void
disp_status(wk_t *w, proto_kv_t *lines)
{
    disp_t *d = wk_ctx(w);
    wk_status_nats(d->nc, lines);
    proto_kv_addf(lines, "reconcilers_connected", "%zu",
                  map_count(&d->peers));
    proto_kv_addf(lines, "commands_in_total", "%llu",
                  (unsigned long long)d->commands_in_total);
    proto_kv_addf(lines, "commands_out_total", "%llu",
                  (unsigned long long)d->commands_out_total);
    proto_kv_addf(lines, "commands_ok_total", "%llu",
                  (unsigned long long)d->commands_ok_total);
    proto_kv_addf(lines, "commands_failed_total", "%llu",
                  (unsigned long long)d->commands_failed_total);
    proto_kv_addf(lines, "commands_timeout_total", "%llu",
                  (unsigned long long)d->commands_timeout_total);
    proto_kv_addf(lines, "commands_fenced_total", "%llu",
                  (unsigned long long)d->commands_fenced_total);
    proto_kv_addf(lines, "commands_no_responders_total", "%llu",
                  (unsigned long long)d->commands_no_responders_total);
    proto_kv_addf(lines, "commands_deduplicated_total", "%llu",
                  (unsigned long long)d->commands_deduplicated_total);
    proto_kv_addf(lines, "commands_in_flight", "%zu",
                  map_count(&d->inflight));
    proto_kv_addf(lines, "commands_waiting", "%zu", map_count(&d->blocked));
    proto_kv_addf(lines, "statuses_in_total", "%llu",
                  (unsigned long long)d->statuses_in_total);
    proto_kv_addf(lines, "statuses_published_total", "%llu",
                  (unsigned long long)d->statuses_published_total);
    proto_kv_addf(lines, "statuses_deduplicated_total", "%llu",
                  (unsigned long long)d->statuses_deduplicated_total);
    proto_kv_addf(lines, "statuses_failed_total", "%llu",
                  (unsigned long long)d->statuses_failed_total);
    proto_kv_addf(lines, "statuses_retried_total", "%llu",
                  (unsigned long long)d->statuses_retried_total);
    proto_kv_addf(lines, "statuses_waiting_retry", "%zu",
                  map_count(&d->status_retry));
    proto_kv_addf(lines, "jobs_pending", "%zu", job_pending(d->jobs));
}

static void
disp_peer_open(wk_t *w, const char *role, const char *id, int fd)
{
    disp_t *d = wk_ctx(w);
    if (strcmp(role, "rec") != 0) {
        close(fd);
        return;
    }
    disp_peer_t *peer = map_get(&d->peers, id);
    if (peer == NULL) {
        peer = xcalloc(1, sizeof(*peer));
        peer->lattice = xstrdup(id);
        peer->d = d;
        map_put(&d->peers, id, peer);
    }
    chan_close(peer->chan);
    peer->chan = chan_open(wk_loop(w), fd, &proto_data_limits, disp_on_frame,
                           disp_on_error, peer);
    log_msg(LL_INFO, "connected to rec.%s", id);
}

static void
disp_peer_close(wk_t *w, const char *role, const char *id)
{
    disp_t *d = wk_ctx(w);
    if (strcmp(role, "rec") != 0)
        return;
    disp_peer_free(map_del(&d->peers, id));
}

static const wk_role_t disp_role = {
    .name = "dispatch",
    .start = disp_start,
    .stop = disp_stop,
    .status = disp_status,
    .peer_open = disp_peer_open,
    .peer_close = disp_peer_close,
    .resync = NULL,
};

int
disp_main(const char *id)
{
    return wk_main(&disp_role, id);
}
