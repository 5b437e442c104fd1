/*
 * ingest_api.c - wadm API requests: parsed, routed to the lattice's
 * reconciler, answered.
 *
 * Runs in ingest, on the loop thread. Subject errors are answered here
 * (spec/api.md 2.4), as is model.history, which is always an error. Every
 * other request goes to rec.<lattice> as API_REQ with an id; the NATS
 * reply subject stays here. No request goes unanswered: if the reconciler
 * is not up yet the request waits (bounded) for it; if it dies with the
 * request, or does not answer within --api-timeout-ms, ingest answers
 * with an error envelope saying so. A request without a reply subject is
 * still carried out.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/api_subj.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/ingest/ingest_int.h"

/*
 * The generic error envelope (api.md 3). versions and the wrapped list get
 * their array too, which the stock client needs to show the message.
 */
static char *
ingest_api_error_json(int op, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "result", "error");
    if (op == API_OP_VERSIONS)
        cJSON_AddItemToObject(o, "versions", cJSON_CreateArray());
    if (op == API_OP_LIST)
        cJSON_AddItemToObject(o, "models", cJSON_CreateArray());
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static const char *const ingest_api_results[] = INGEST_API_RESULTS;
#define INGEST_NRESULTS                                                      \
    (sizeof(ingest_api_results) / sizeof(ingest_api_results[0]))

/* Counts a reply by its "result" (the bare list has none). */
static void
ingest_api_count(ingest_t *in, const char *data, size_t len)
{
    size_t idx = INGEST_NRESULTS - 1;
    if (len > 0 && data[0] == '[') {
        idx = INGEST_NRESULTS - 2;
    } else {
        const char *p = memmem(data, len, "\"result\":\"", 10);
        if (p) {
            p += 10;
            const char *end = memchr(p, '"', len - (size_t)(p - data));
            for (size_t i = 0; end && i < INGEST_NRESULTS - 2; i++)
                if ((size_t)(end - p) == strlen(ingest_api_results[i]) &&
                    memcmp(p, ingest_api_results[i], (size_t)(end - p)) == 0)
                    idx = i;
        }
    }
    in->api_results_total[idx]++;
}

void
ingest_api_status(ingest_t *in, proto_kv_t *lines)
{
    for (size_t i = 0; i < INGEST_NRESULTS; i++) {
        char key[64];
        snprintf(key, sizeof(key), "api_result_%s_total",
                 ingest_api_results[i]);
        proto_kv_addf(lines, key, "%llu",
                      (unsigned long long)in->api_results_total[i]);
    }
}

static void
ingest_api_publish(ingest_t *in, const char *reply, int op, const void *data,
                   size_t len)
{
    ingest_api_count(in, data, len);
    if (reply == NULL || reply[0] == '\0')
        return;
    natsConnection *conn = nc_conn(in->nc);
    natsStatus s = natsConnection_Publish(conn, reply, data, (int)len);
    if (s == NATS_MAX_PAYLOAD) {
        /* a reply the server refuses would leave the client waiting for
         * its timeout: say why instead (a list of very large manifests) */
        char msg[256];
        snprintf(msg, sizeof(msg), "wadm-c: the reply (%zu bytes) is larger "
                 "than the NATS maximum payload (%lld bytes)", len,
                 (long long)natsConnection_GetMaxPayload(conn));
        log_msg(LL_WARN, "API reply to \"%s\" not sent: %zu bytes is over "
                "the NATS maximum payload", reply, len);
        char *body = ingest_api_error_json(op, msg);
        s = natsConnection_Publish(conn, reply, body, (int)strlen(body));
        cJSON_free(body);
    }
    if (s != NATS_OK)
        log_msg(LL_WARN, "publishing an API reply to \"%s\" failed: %s",
                reply, natsStatus_GetText(s));
}

static void
ingest_api_reply_error(ingest_t *in, const char *reply, int op,
                       const char *message)
{
    char *body = ingest_api_error_json(op, message);
    ingest_api_publish(in, reply, op, body, strlen(body));
    cJSON_free(body);
}

static void
ingest_req_unlink(ingest_t *in, ingest_req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        in->req_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        in->req_tail = r->prev;
    char key[24];
    snprintf(key, sizeof(key), "%llu", (unsigned long long)r->id);
    map_del(&in->reqs, key);
    if (r->lat && r->lat->reqs_waiting > 0)
        r->lat->reqs_waiting--;
}

static void
ingest_req_free(ingest_req_t *r)
{
    if (r == NULL)
        return;
    proto_body_free(&proto_api_req_desc, r->body);
    free(r->reply);
    free(r);
}

/* Answers r with an error and forgets it. */
static void
ingest_req_fail(ingest_t *in, ingest_req_t *r, const char *message)
{
    ingest_api_reply_error(in, r->reply, r->op, message);
    in->api_local_errors_total++;
    ingest_req_unlink(in, r);
    ingest_req_free(r);
}

/*
 * Whether op only reads: such a request can be sent again to a restarted
 * reconciler without any risk of doing it twice.
 */
static bool
ingest_op_is_read_only(int op)
{
    return op == API_OP_GET || op == API_OP_LIST || op == API_OP_LIST_OLD ||
           op == API_OP_VERSIONS || op == API_OP_STATUS;
}

/* Sends r to the lattice's reconciler if it is connected. */
static void
ingest_req_send(ingest_t *in, ingest_req_t *r)
{
    if (r->is_sent || r->lat->rec == NULL)
        return;
    int rc = proto_send(r->lat->rec, PROTO_MSG_API_REQ, r->body);
    if (rc == 0) {
        r->is_sent = true;
        if (ingest_op_is_read_only(r->op))
            return; /* kept for a resend if the reconciler dies */
        proto_body_free(&proto_api_req_desc, r->body);
        r->body = NULL;
        return;
    }
    char msg[256];
    snprintf(msg, sizeof(msg), "wadm-c: the reconciler of lattice %s cannot "
             "take the request now (%s); please retry", r->lat->name,
             err_name(rc));
    if (rc == ERR_FULL)
        in->api_busy_total++;
    ingest_req_fail(in, r, msg);
}

static void
ingest_on_req_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    ingest_t *in = t->data;
    uint64_t now = clk_now_ms();
    while (in->req_head && in->req_head->deadline_ms <= now) {
        ingest_req_t *r = in->req_head;
        char msg[320];
        if (r->is_sent)
            snprintf(msg, sizeof(msg), "wadm-c: no reply from the reconciler "
                     "of lattice %s within %llums; the request may or may not "
                     "have been carried out", r->lat->name,
                     (unsigned long long)wk_cfg(in->w)->api_timeout_ms);
        else
            snprintf(msg, sizeof(msg), "wadm-c: the reconciler of lattice %s "
                     "is not running (starting or restarting); the request "
                     "was not carried out, please retry", r->lat->name);
        in->api_timeouts_total++;
        ingest_req_fail(in, r, msg);
    }
}

void
ingest_api_start(ingest_t *in)
{
    map_init(&in->reqs);
    in->req_next_id = 1;
    ev_timer_init(&in->req_timer, ingest_on_req_timer, 0.05, 0.05);
    in->req_timer.data = in;
    ev_timer_start(wk_loop(in->w), &in->req_timer);
}

void
ingest_api_stop(ingest_t *in)
{
    ev_timer_stop(wk_loop(in->w), &in->req_timer);
    /* answer what is left so that no client waits for its timeout */
    while (in->req_head)
        ingest_req_fail(in, in->req_head,
                        "wadm-c: wadm is shutting down; please retry");
    map_destroy(&in->reqs, NULL);
}

static char *
ingest_msg_header(natsMsg *msg, const char *name)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(msg, name, &v) != NATS_OK || v == NULL)
        return NULL;
    return xstrdup(v);
}

void
ingest_api_handle(ingest_t *in, natsMsg *msg)
{
    const cfg_t *cfg = wk_cfg(in->w);
    in->api_in_total++;
    const char *subject = natsMsg_GetSubject(msg);
    const char *reply = natsMsg_GetReply(msg);
    api_subj_t as;
    char *emsg = NULL;
    int rc = api_subj_parse(subject, cfg->api_prefix, cfg->is_multitenant,
                            &as, &emsg);
    if (rc == ERR_NOTFOUND)
        return;
    if (rc != 0) {
        in->api_local_errors_total++;
        ingest_api_reply_error(in, reply, 0, emsg);
        free(emsg);
        return;
    }
    if (as.op == API_OP_HISTORY) {
        in->api_local_errors_total++;
        ingest_api_reply_error(in, reply, as.op,
                               "Model deployment history is not currently "
                               "supported. It may be added in a future "
                               "version");
        return;
    }
    ingest_lat_t *lat = ingest_lat_get(in, as.lattice, true);
    if (lat == NULL) {
        char m[200];
        snprintf(m, sizeof(m), "wadm-c: lattice %.100s cannot be managed by "
                 "this wadm (invalid id or --max-lattices reached)",
                 as.lattice);
        in->api_local_errors_total++;
        ingest_api_reply_error(in, reply, as.op, m);
        return;
    }
    lat->api_in_total++;
    if (map_count(&in->reqs) >= INGEST_REQ_MAX ||
        lat->reqs_waiting >= INGEST_REQ_LATTICE_MAX) {
        in->api_busy_total++;
        in->api_local_errors_total++;
        ingest_api_reply_error(in, reply, as.op,
                               "wadm-c: too many API requests in flight; "
                               "please retry");
        return;
    }
    ingest_req_t *r = xcalloc(1, sizeof(*r));
    r->id = in->req_next_id++;
    r->reply = reply && reply[0] ? xstrdup(reply) : NULL;
    r->op = as.op;
    r->lat = lat;
    r->deadline_ms = clk_now_ms() + cfg->api_timeout_ms;
    r->body = xcalloc(1, sizeof(*r->body));
    r->body->req_id = r->id;
    r->body->op = (uint64_t)as.op;
    r->body->name = as.name[0] ? xstrdup(as.name) : NULL;
    r->body->account = as.account[0] ? xstrdup(as.account) : NULL;
    const void *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    proto_bin_set(&r->body->body, data ? data : "", len > 0 ? (size_t)len : 0);
    r->body->content_type = ingest_msg_header(msg, "Content-Type");
    r->body->has_reply = r->reply != NULL;
    r->body->subject = xstrdup(subject);
    r->body->deadline_ms = cfg->api_timeout_ms;
    char key[24];
    snprintf(key, sizeof(key), "%llu", (unsigned long long)r->id);
    map_put(&in->reqs, key, r);
    r->prev = in->req_tail;
    if (in->req_tail)
        in->req_tail->next = r;
    else
        in->req_head = r;
    in->req_tail = r;
    lat->reqs_waiting++;
    ingest_lat_request(in, lat);
    ingest_req_send(in, r);
}

void
ingest_api_on_reply(ingest_t *in, proto_api_rep_t *rep)
{
    char key[24];
    snprintf(key, sizeof(key), "%llu", (unsigned long long)rep->req_id);
    ingest_req_t *r = map_get(&in->reqs, key);
    if (r == NULL)
        return; /* answered already (timed out) */
    ingest_api_publish(in, r->reply, r->op, rep->body.data,
                       rep->body.len);
    in->api_replies_total++;
    ingest_req_unlink(in, r);
    ingest_req_free(r);
}

void
ingest_api_rec_up(ingest_t *in, ingest_lat_t *lat)
{
    for (ingest_req_t *r = in->req_head, *next; r; r = next) {
        next = r->next;
        if (r->lat == lat)
            ingest_req_send(in, r);
    }
}

void
ingest_api_rec_down(ingest_t *in, ingest_lat_t *lat)
{
    for (ingest_req_t *r = in->req_head, *next; r; r = next) {
        next = r->next;
        if (r->lat != lat || !r->is_sent)
            continue;
        if (r->body != NULL) {
            /* read-only: it waits for the restarted reconciler (or its
             * deadline) instead of failing */
            r->is_sent = false;
            continue;
        }
        char msg[256];
        snprintf(msg, sizeof(msg), "wadm-c: the reconciler of lattice %s "
                 "stopped while handling the request; it may or may not have "
                 "been carried out, please check and retry", lat->name);
        ingest_req_fail(in, r, msg);
    }
}
