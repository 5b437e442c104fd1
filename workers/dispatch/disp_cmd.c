/*
 * disp_cmd.c - running control-interface requests for reconcilers.
 *
 * Runs in dispatch, on the loop thread. Requests go out with
 * natsConnection_PublishRequest() to a reply subject under one private
 * inbox (one wildcard subscription for all of them), so nothing blocks and
 * a slow or dead host delays only the requests addressed to it. Each
 * request has its own deadline (ev_timer). A gather (host.ping) collects
 * every reply until its window closes. Identical requests in flight (same
 * subject and body) are sent once and their result goes to every asker.
 * A command with "after" waits until that earlier command of the same
 * reconciler has finished (config before the scale that uses it). A
 * command whose valid_until_ms has passed when it would go out is not
 * sent: its reconciler's lease may have lapsed by then (rec_lease.h), and
 * another instance may own the lattice. Results
 * report transport outcome and raw replies; reconcilers read the
 * control-interface envelope themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/dispatch/disp_int.h"

#define DISP_REPLIES_MAX 4096   /* replies kept per gather */
#define DISP_TIMEOUT_DEFAULT_MS 2000

typedef struct disp_waiter {
    struct disp_waiter *next;
    char *lattice;              /* the asking reconciler */
    uint64_t cmd_id;
} disp_waiter_t;

/* One request on the wire (shared by identical commands). */
typedef struct disp_req {
    uint64_t id;                /* our token, last token of the inbox */
    char *key;                  /* subject + '\0'-joined body, dedup key */
    char *subject;
    proto_bin_t body;
    uint64_t timeout_ms;
    uint64_t gather_ms;
    uint64_t valid_until_ms;    /* lease fence (monotonic), 0: none */
    uint64_t started_us;
    disp_waiter_t *waiters;
    proto_reply_t *replies;
    size_t nreplies;
    bool is_sent;
    char *after_lattice;        /* waiting for (lattice, after) */
    uint64_t after;
    ev_timer timer;
    disp_t *d;
} disp_req_t;

static char *
disp_req_key(const char *subject, const proto_bin_t *body)
{
    size_t sl = strlen(subject);
    char *k = xmalloc(sl + 1 + body->len + 1);
    memcpy(k, subject, sl);
    k[sl] = '\n';
    if (body->len)
        memcpy(k + sl + 1, body->data, body->len);
    k[sl + 1 + body->len] = '\0';
    return k;
}

/* The id of a command as the asking lattice knows it: "lattice/cmd_id". */
static void
disp_cmd_key(char *buf, size_t cap, const char *lattice, uint64_t cmd_id)
{
    snprintf(buf, cap, "%s/%llu", lattice, (unsigned long long)cmd_id);
}

static void
disp_req_free(disp_req_t *r)
{
    for (disp_waiter_t *w = r->waiters; w;) {
        disp_waiter_t *n = w->next;
        free(w->lattice);
        free(w);
        w = n;
    }
    for (size_t i = 0; i < r->nreplies; i++)
        free(r->replies[i].body.data);
    free(r->replies);
    free(r->key);
    free(r->subject);
    free(r->body.data);
    free(r->after_lattice);
    free(r);
}

static void disp_req_start(disp_t *d, disp_req_t *r);

/* Releases commands that waited for lattice/cmd_id to finish. */
static void
disp_release_after(disp_t *d, const char *lattice, uint64_t cmd_id)
{
    char key[600];
    disp_cmd_key(key, sizeof(key), lattice, cmd_id);
    /* one command waits per key; later ones wait for that one in turn */
    disp_req_t *r = map_del(&d->blocked, key);
    if (r != NULL) {
        free(r->after_lattice);
        r->after_lattice = NULL;
        disp_req_start(d, r);
    }
}

/* Sends the result of r to every waiter and forgets r. */
static void
disp_req_finish(disp_t *d, disp_req_t *r, bool is_ok, const char *message)
{
    ev_timer_stop(wk_loop(d->w), &r->timer);
    char idkey[32];
    snprintf(idkey, sizeof(idkey), "%llu", (unsigned long long)r->id);
    map_del(&d->inflight, idkey);
    map_del(&d->by_key, r->key);
    uint64_t elapsed_ms = (clk_now_us() - r->started_us) / 1000;
    if (is_ok)
        d->commands_ok_total++;
    else
        d->commands_failed_total++;
    proto_result_t res = {0};
    res.is_ok = is_ok;
    res.message = (char *)(message ? message : "");
    res.replies.n = r->nreplies;
    res.replies.items = r->replies;
    res.elapsed_ms = elapsed_ms;
    for (disp_waiter_t *w = r->waiters; w; w = w->next) {
        res.cmd_id = w->cmd_id;
        disp_peer_t *peer = map_get(&d->peers, w->lattice);
        if (peer && peer->chan) {
            int rc = proto_send(peer->chan, PROTO_MSG_RESULT, &res);
            if (rc != 0)
                log_msg(LL_WARN, "result of command %llu for rec.%s lost "
                        "(%s)", (unsigned long long)w->cmd_id, w->lattice,
                        err_name(rc));
        }
    }
    for (disp_waiter_t *w = r->waiters; w; w = w->next) {
        char key[600];
        disp_cmd_key(key, sizeof(key), w->lattice, w->cmd_id);
        if (map_get(&d->by_cmd, key) == r)
            map_del(&d->by_cmd, key);
    }
    for (disp_waiter_t *w = r->waiters; w; w = w->next)
        disp_release_after(d, w->lattice, w->cmd_id);
    disp_req_free(r);
}

static void
disp_on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    disp_req_t *r = t->data;
    disp_t *d = r->d;
    if (r->gather_ms > 0) {
        disp_req_finish(d, r, true, NULL);
        return;
    }
    char msg[160];
    snprintf(msg, sizeof(msg), "no reply within %llums",
             (unsigned long long)r->timeout_ms);
    d->commands_timeout_total++;
    disp_req_finish(d, r, false, msg);
}

static void
disp_req_start(disp_t *d, disp_req_t *r)
{
    char idkey[32];
    snprintf(idkey, sizeof(idkey), "%llu", (unsigned long long)r->id);
    map_put(&d->inflight, idkey, r);
    char reply[256];
    snprintf(reply, sizeof(reply), "%s.%llu", d->inbox,
             (unsigned long long)r->id);
    r->started_us = clk_now_us();
    uint64_t wait_ms = r->gather_ms > 0 ? r->gather_ms : r->timeout_ms;
    ev_timer_init(&r->timer, disp_on_timer, (double)wait_ms / 1000.0, 0.);
    r->timer.data = r;
    ev_timer_start(wk_loop(d->w), &r->timer);
    if (r->valid_until_ms != 0 && clk_now_ms() >= r->valid_until_ms) {
        d->commands_fenced_total++;
        disp_req_finish(d, r, false, "not sent: the reconciler's lease "
                        "was too old to act on when it was due");
        return;
    }
    natsStatus s = NATS_CONNECTION_CLOSED;
    if (nc_is_connected(d->nc))
        s = natsConnection_PublishRequest(nc_conn(d->nc), r->subject, reply,
                                          r->body.data, (int)r->body.len);
    if (s != NATS_OK) {
        char msg[200];
        snprintf(msg, sizeof(msg), "not sent: %s", natsStatus_GetText(s));
        disp_req_finish(d, r, false, msg);
        return;
    }
    r->is_sent = true;
    d->commands_out_total++;
}

/* Whether lattice/after is still running or waiting here. */
static bool
disp_cmd_pending(disp_t *d, const char *lattice, uint64_t after)
{
    char key[600];
    disp_cmd_key(key, sizeof(key), lattice, after);
    return map_get(&d->by_cmd, key) != NULL;
}

static void
disp_waiter_add(disp_t *d, disp_req_t *r, disp_waiter_t *w)
{
    w->next = r->waiters;
    r->waiters = w;
    char key[600];
    disp_cmd_key(key, sizeof(key), w->lattice, w->cmd_id);
    map_put(&d->by_cmd, key, r);
}

void
disp_cmd_handle(disp_t *d, const char *lattice, proto_command_t *c)
{
    d->commands_in_total++;
    disp_waiter_t *w = xcalloc(1, sizeof(*w));
    w->lattice = xstrdup(lattice);
    w->cmd_id = c->cmd_id;
    char *key = disp_req_key(c->subject, &c->body);
    disp_req_t *same = c->gather_ms == 0 ? map_get(&d->by_key, key) : NULL;
    if (same != NULL) {
        /* identical request in flight: one answer serves both */
        disp_waiter_add(d, same, w);
        d->commands_deduplicated_total++;
        free(key);
        return;
    }
    if (map_count(&d->inflight) + map_count(&d->blocked) >=
        DISP_INFLIGHT_MAX) {
        proto_result_t res = {0};
        res.cmd_id = c->cmd_id;
        res.message = "dispatch has too many requests in flight";
        disp_peer_t *peer = map_get(&d->peers, lattice);
        if (peer && peer->chan)
            proto_send(peer->chan, PROTO_MSG_RESULT, &res);
        d->commands_failed_total++;
        free(w->lattice);
        free(w);
        free(key);
        return;
    }
    disp_req_t *r = xcalloc(1, sizeof(*r));
    r->d = d;
    r->id = ++d->next_req_id;
    r->key = key;
    r->subject = xstrdup(c->subject);
    proto_bin_set(&r->body, c->body.data ? c->body.data : (uint8_t *)"",
                  c->body.len);
    r->timeout_ms = c->timeout_ms ? c->timeout_ms : DISP_TIMEOUT_DEFAULT_MS;
    r->gather_ms = c->gather_ms;
    r->valid_until_ms = c->valid_until_ms;
    bool must_wait = c->after != 0 && disp_cmd_pending(d, lattice, c->after);
    disp_waiter_add(d, r, w);
    if (c->gather_ms == 0)
        map_put(&d->by_key, key, r);
    if (must_wait) {
        char bkey[600];
        disp_cmd_key(bkey, sizeof(bkey), lattice, c->after);
        r->after_lattice = xstrdup(lattice);
        r->after = c->after;
        /* one blocked command per key: chain later ones after this one */
        disp_req_t *prev = map_get(&d->blocked, bkey);
        if (prev == NULL) {
            map_put(&d->blocked, bkey, r);
            return;
        }
        char ckey[600];
        disp_cmd_key(ckey, sizeof(ckey), lattice, prev->waiters->cmd_id);
        while (map_get(&d->blocked, ckey) != NULL) {
            prev = map_get(&d->blocked, ckey);
            disp_cmd_key(ckey, sizeof(ckey), lattice, prev->waiters->cmd_id);
        }
        map_put(&d->blocked, ckey, r);
        return;
    }
    disp_req_start(d, r);
}

/* A reply from the inbox subscription, on the loop. */
void
disp_cmd_on_reply(disp_t *d, natsMsg *msg)
{
    const char *subj = natsMsg_GetSubject(msg);
    const char *dot = strrchr(subj, '.');
    if (dot == NULL)
        return;
    disp_req_t *r = map_get(&d->inflight, dot + 1);
    if (r == NULL)
        return; /* late reply after the deadline */
    if (natsMsg_IsNoResponders(msg)) {
        if (r->gather_ms > 0)
            return; /* nobody there: the window just ends empty */
        d->commands_no_responders_total++;
        disp_req_finish(d, r, false, "no responders");
        return;
    }
    if (r->nreplies >= DISP_REPLIES_MAX)
        return;
    r->replies = xrealloc(r->replies, (r->nreplies + 1) * sizeof(*r->replies));
    memset(&r->replies[r->nreplies], 0, sizeof(r->replies[0]));
    const char *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    proto_bin_set(&r->replies[r->nreplies].body, data ? data : "",
                  len > 0 ? (size_t)len : 0);
    r->nreplies++;
    if (r->gather_ms == 0)
        disp_req_finish(d, r, true, NULL);
}

void
disp_cmd_stop(disp_t *d)
{
    while (map_first(&d->inflight)) {
        disp_req_t *r = map_first(&d->inflight)->val;
        disp_req_finish(d, r, false, "dispatch is stopping");
    }
    for (map_entry_t *e = map_first(&d->blocked); e; e = e->next)
        disp_req_free(e->val);
    map_destroy(&d->blocked, NULL);
    map_destroy(&d->inflight, NULL);
    map_destroy(&d->by_key, NULL);
    map_destroy(&d->by_cmd, NULL);
}
