/*
 * ingest_evt.c - lattice events from JetStream to the reconcilers.
 *
 * Runs in ingest. Design (also in the README's operations section):
 *
 * - Host events are captured by the stream wasmbus_events (upstream's,
 *   reused when it exists; subjects wasmbus.evt.*.>, 70 s).
 * - Each lattice has one durable push consumer, wadmc_events-<lattice>,
 *   filtered to that lattice's subjects, explicit acks, at most
 *   INGEST_EVT_MAX_PENDING unacknowledged events (the server stops
 *   delivering beyond that: the bounded in-flight window), flow control
 *   and idle heartbeats. wadm-c creates it and binds to it, so closing the
 *   subscription never deletes it: unacknowledged events survive a crash
 *   of ingest. A consumer found with unacknowledged events (or whose
 *   deliveries overflowed the queue) is created again from its ack floor,
 *   so they come again first and in stream order.
 * - An event is scanned here without building a JSON tree (common/ce.c);
 *   its data bytes go to rec.<lattice> in an EVENT frame. It is acked only
 *   when the reconciler reports it applied (APPLIED covers every event up
 *   to an ack id, the stream sequence; the reconciler skips one it applied
 *   already). If the reconciler dies, ingest still holds the events it
 *   sent and sends them again, in order, to its successor.
 * - A malformed or unknown event is counted, logged once per kind, acked
 *   and skipped.
 * - Lattices are discovered from host_started on a plain subscription, and
 *   every few seconds from the host_heartbeat subjects the stream holds,
 *   so a lattice whose hosts only heartbeat is found without a second copy
 *   of every heartbeat.
 *
 * Blocking JetStream calls run on the job thread; the loop never blocks.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ce.h"
#include "common/err.h"
#include "common/jsx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/ingest/ingest_int.h"

#define INGEST_DISC_PERIOD_S 5.0
#define INGEST_ACK_WAIT_NS (10LL * 1000 * 1000 * 1000)
#define INGEST_MAX_DELIVER 5

/* ---- consumers --------------------------------------------------------- */

static void
ingest_consumer_name(char *buf, size_t cap, const char *lattice)
{
    snprintf(buf, cap, "wadmc_events-%s", lattice);
}

typedef struct ingest_sub_job {
    ingest_t *in;
    ingest_lat_t *lat;
    char *lattice;
    bool is_multitenant;
    bool is_rewind;           /* deliver again from the first unacked event */
    natsSubscription *old;    /* the subscription a rewind replaces */
    ingest_jsub_t *jsub;      /* the new subscription's closure */
    natsSubscription *sub;
    uint64_t start_seq;       /* 0: every event the stream holds */
    int64_t unacked;          /* events the consumer had not seen acked */
    char error[512];
} ingest_sub_job_t;

/*
 * nats.c thread: a lattice event, handed to the loop. If the loop's queue
 * is full the event cannot be held back without losing the stream order
 * (a nak'ed event would come back after later ones), so this one and every
 * later one of this subscription are dropped unacknowledged; the loop then
 * rewinds the consumer to the first unacknowledged event.
 */
static void
ingest_on_js_msg(natsConnection *conn, natsSubscription *sub, natsMsg *msg,
                 void *closure)
{
    (void)conn;
    (void)sub;
    ingest_jsub_t *jsub = closure;
    if (atomic_load(&jsub->is_gap)) {
        natsMsg_Destroy(msg);
        return;
    }
    ingest_item_t *it = xmalloc(sizeof(*it));
    it->kind = INGEST_ITEM_JS_EVENT;
    it->msg = msg;
    it->lat = jsub->lat;
    it->jsub = jsub;
    if (q_push(jsub->lat->in->inq, it,
               (size_t)natsMsg_GetDataLength(msg) + 256) != 0) {
        atomic_store(&jsub->is_gap, true);
        natsMsg_Destroy(msg);
        free(it);
    }
}

/*
 * Job thread. A consumer that still has unacknowledged events (ingest
 * died holding them, or dropped some on overflow) would redeliver them
 * only after its ack wait, behind newer events: the reconciler would apply
 * an old event over a newer one. So it is deleted and created again from
 * its ack floor, which delivers everything unacknowledged first, in stream
 * order. The stream keeps the events (limits retention): nothing is lost.
 */
static void
ingest_sub_run(void *arg)
{
    ingest_sub_job_t *j = arg;
    jsCtx *js = nc_js(j->in->nc);
    char name[160], filter[256], deliver[300];
    if (j->old != NULL) {
        (void)natsSubscription_Unsubscribe(j->old);
        natsSubscription_Destroy(j->old);
        j->old = NULL;
    }
    ingest_consumer_name(name, sizeof(name), j->lattice);
    snprintf(filter, sizeof(filter), "%swasmbus.evt.%s.>",
             j->is_multitenant ? "*." : "", j->lattice);
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, js, JSX_WASMBUS_STREAM, name,
                                      NULL, &jerr);
    if (s == NATS_OK && (j->is_rewind || ci->NumAckPending > 0)) {
        j->start_seq = ci->AckFloor.Stream + 1;
        j->unacked = ci->NumAckPending;
        s = js_DeleteConsumer(js, JSX_WASMBUS_STREAM, name, NULL, &jerr);
        if (s == NATS_OK)
            s = NATS_NOT_FOUND;
    }
    jsConsumerInfo_Destroy(ci);
    ci = NULL;
    if (s == NATS_NOT_FOUND) {
        natsInbox *inbox = NULL;
        natsInbox_Create(&inbox);
        snprintf(deliver, sizeof(deliver), "%s", inbox);
        natsInbox_Destroy(inbox);
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = name;
        cc.Description = "wadm-c lattice events";
        cc.DeliverSubject = deliver;
        cc.DeliverPolicy = j->start_seq > 1 ? js_DeliverByStartSequence
                                            : js_DeliverAll;
        cc.OptStartSeq = j->start_seq > 1 ? j->start_seq : 0;
        cc.AckPolicy = js_AckExplicit;
        cc.AckWait = INGEST_ACK_WAIT_NS;
        cc.MaxDeliver = INGEST_MAX_DELIVER;
        cc.FilterSubject = filter;
        cc.MaxAckPending = INGEST_EVT_MAX_PENDING;
        cc.FlowControl = true;
        cc.Heartbeat = 5LL * 1000 * 1000 * 1000;
        cc.Replicas = (int64_t)wk_cfg(j->in->w)->replicas;
        s = js_AddConsumer(&ci, js, JSX_WASMBUS_STREAM, &cc, NULL, &jerr);
    }
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
        snprintf(j->error, sizeof(j->error), "consumer \"%s\": %s (%d)", name,
                 natsStatus_GetText(s), (int)jerr);
        return;
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = JSX_WASMBUS_STREAM;
    so.Consumer = name;
    so.ManualAck = true;
    s = js_Subscribe(&j->sub, js, filter, ingest_on_js_msg, j->jsub, NULL,
                     &so, &jerr);
    if (s != NATS_OK) {
        const char *why = nats_GetLastError(NULL);
        snprintf(j->error, sizeof(j->error), "binding to consumer \"%s\": "
                 "%s (%d: %s)", name, natsStatus_GetText(s), (int)jerr,
                 why ? why : "");
        j->sub = NULL;
        return;
    }
    /* a tuning only: the consumer's window bounds what can be pending */
    (void)natsSubscription_SetPendingLimits(j->sub,
                                            INGEST_EVT_MAX_PENDING * 4,
                                            256 * 1024 * 1024);
}

static void
ingest_sub_free(ingest_sub_job_t *j)
{
    natsSubscription_Destroy(j->old);
    natsSubscription_Destroy(j->sub);
    free(j->jsub); /* still here: no subscription delivers to it */
    free(j->lattice);
    free(j);
}

static void ingest_evt_unbind(ingest_lat_t *lat);

static void
ingest_sub_done(void *arg)
{
    ingest_sub_job_t *j = arg;
    ingest_lat_t *lat = j->lat;
    lat->is_js_pending = false;
    if (j->sub == NULL) {
        log_msg(LL_WARN, "lattice %s: events not consumed yet: %s (retried "
                "in %.0fs)", lat->name, j->error, INGEST_DISC_PERIOD_S);
    } else {
        lat->is_takeover = false;
        lat->js_sub = j->sub;
        j->sub = NULL;
        j->jsub->next = lat->jsubs;
        lat->jsubs = lat->jsub = j->jsub;
        j->jsub = NULL;
        if (j->start_seq > 0) {
            lat->events_rewinds_total++;
            log_msg(LL_INFO, "lattice %s: consuming its events again from "
                    "stream sequence %llu, in order (%lld were not "
                    "acknowledged)", lat->name,
                    (unsigned long long)j->start_seq, (long long)j->unacked);
        } else {
            log_msg(LL_INFO, "lattice %s: consuming its events from stream "
                    "%s", lat->name, JSX_WASMBUS_STREAM);
        }
        if (!lat->is_owned)
            ingest_evt_unbind(lat); /* lost the lattice meanwhile */
    }
    ingest_sub_free(j);
}

static void
ingest_sub_drop(void *arg)
{
    ingest_sub_free(arg);
}

static void
ingest_sub_submit(ingest_t *in, ingest_lat_t *lat, bool is_rewind)
{
    ingest_sub_job_t *j = xcalloc(1, sizeof(*j));
    j->in = in;
    j->lat = lat;
    j->lattice = xstrdup(lat->name);
    j->is_multitenant = wk_cfg(in->w)->is_multitenant;
    j->is_rewind = is_rewind;
    j->jsub = xcalloc(1, sizeof(*j->jsub));
    j->jsub->lat = lat;
    atomic_init(&j->jsub->is_gap, false);
    /* a rewind's job unsubscribes the old one first */
    j->old = is_rewind ? lat->js_sub : NULL;
    if (job_submit(in->jobs, ingest_sub_run, ingest_sub_done, ingest_sub_drop,
                   j) != 0) {
        j->old = NULL;
        ingest_sub_free(j);
        return;
    }
    lat->is_js_pending = true;
    if (is_rewind) {
        /* what the old subscription still delivers is stale */
        lat->js_sub = NULL;
        lat->jsub = NULL;
    }
}

/*
 * Binds the lattice's consumer when this instance owns the lattice. The
 * first binding after ownership was gained creates the consumer again
 * (from its ack floor): its deliver subject becomes ours, so an instance
 * that lost the lattice but still has a subscription receives nothing
 * more. Later bindings (after a reconnect) keep the consumer.
 */
void
ingest_evt_lattice_known(ingest_t *in, ingest_lat_t *lat)
{
    lat->in = in;
    if (!lat->is_owned || lat->js_sub || lat->is_js_pending ||
        !in->is_js_ready || !nc_is_connected(in->nc))
        return;
    ingest_sub_submit(in, lat, lat->is_takeover);
}

static void ingest_evt_drop_held(ingest_lat_t *lat);

/* Stops consuming: what was received and not applied stays unacked. */
static void
ingest_evt_unbind(ingest_lat_t *lat)
{
    if (lat->js_sub != NULL) {
        (void)natsSubscription_Unsubscribe(lat->js_sub);
        natsSubscription_Destroy(lat->js_sub);
        lat->js_sub = NULL;
    }
    lat->jsub = NULL; /* what it still delivers is stale */
    ingest_evt_drop_held(lat);
}

void
ingest_evt_ownership(ingest_t *in, ingest_lat_t *lat, bool is_owner,
                     const char *holder)
{
    if (is_owner == lat->is_owned)
        return;
    lat->is_owned = is_owner;
    if (is_owner) {
        log_msg(LL_INFO, "lattice %s: this instance owns it; consuming its "
                "events", lat->name);
        lat->is_takeover = true;
        ingest_evt_lattice_known(in, lat);
        return;
    }
    log_msg(LL_INFO, "lattice %s: owned by %s; not consuming its events",
            lat->name, holder && holder[0] ? holder : "another instance");
    ingest_evt_unbind(lat);
}

/* Rewinds the lattice's consumer if its subscription dropped events. */
static void
ingest_evt_check_gap(ingest_t *in, ingest_lat_t *lat)
{
    if (lat->jsub == NULL || !atomic_load(&lat->jsub->is_gap) ||
        lat->is_js_pending || !nc_is_connected(in->nc))
        return;
    log_msg(LL_WARN, "lattice %s: events dropped while the queue was full; "
            "rewinding its consumer to the first unacknowledged one",
            lat->name);
    ingest_sub_submit(in, lat, true);
}

/* ---- setup and discovery ------------------------------------------------ */

typedef struct ingest_disc_scan {
    ingest_t *in;
    bool is_setup;        /* ensure streams and buckets first */
    int rc;
    char error[256];
    char **lattices;
    size_t n;
    char **consumed;      /* lattices with a consumer: their backlog */
    uint64_t *pending;
    size_t nconsumed;
} ingest_disc_scan_t;

static void
ingest_scan_add(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return;
    *list = xrealloc(*list, (*n + 1) * sizeof(char *));
    (*list)[(*n)++] = xstrdup(name);
}

static void
ingest_scan_run(void *arg)
{
    ingest_disc_scan_t *j = arg;
    const cfg_t *cfg = wk_cfg(j->in->w);
    jsCtx *js = nc_js(j->in->nc);
    if (j->is_setup) {
        j->rc = jsx_ensure_all(js, cfg, j->error, sizeof(j->error));
        if (j->rc != 0)
            return;
    }
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = cfg->is_multitenant
                                       ? "*.wasmbus.evt.*.host_heartbeat"
                                       : "wasmbus.evt.*.host_heartbeat";
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, JSX_WASMBUS_STREAM, &o, &jerr);
    if (s != NATS_OK) {
        snprintf(j->error, sizeof(j->error), "stream info of %s: %s (%d)",
                 JSX_WASMBUS_STREAM, natsStatus_GetText(s), (int)jerr);
        j->rc = ERR_NATS;
        return;
    }
    int base = cfg->is_multitenant ? 1 : 0;
    for (int i = 0; si->State.Subjects && i < si->State.Subjects->Count;
         i++) {
        /* [account.]wasmbus.evt.<lattice>.host_heartbeat */
        const char *p = si->State.Subjects->List[i].Subject;
        for (int t = 0; t < base + 2 && p; t++) {
            p = strchr(p, '.');
            if (p)
                p++;
        }
        const char *end = p ? strchr(p, '.') : NULL;
        if (p && end && end > p && (size_t)(end - p) < 128) {
            char lat[128];
            memcpy(lat, p, (size_t)(end - p));
            lat[end - p] = '\0';
            ingest_scan_add(&j->lattices, &j->n, lat);
        }
    }
    jsStreamInfo_Destroy(si);
    /* the backlog of each consumer, for the dump's lag */
    for (size_t i = 0; i < j->nconsumed; i++) {
        char name[160];
        jsConsumerInfo *ci = NULL;
        ingest_consumer_name(name, sizeof(name), j->consumed[i]);
        if (js_GetConsumerInfo(&ci, js, JSX_WASMBUS_STREAM, name, NULL,
                               NULL) == NATS_OK)
            j->pending[i] = ci->NumPending;
        jsConsumerInfo_Destroy(ci);
    }
    j->rc = 0;
}

static void
ingest_scan_free(ingest_disc_scan_t *j)
{
    for (size_t i = 0; i < j->n; i++)
        free(j->lattices[i]);
    free(j->lattices);
    for (size_t i = 0; i < j->nconsumed; i++)
        free(j->consumed[i]);
    free(j->consumed);
    free(j->pending);
    free(j);
}

static void
ingest_scan_done(void *arg)
{
    ingest_disc_scan_t *j = arg;
    ingest_t *in = j->in;
    if (j->is_setup) {
        in->is_js_setup_queued = false;
        if (j->rc != 0 && !in->is_js_ready) {
            log_msg(LL_WARN, "JetStream setup failed: %s (retried in %.0fs)",
                    j->error, INGEST_DISC_PERIOD_S);
            ingest_scan_free(j);
            return;
        }
        in->is_js_ready = true;
    }
    for (size_t i = 0; i < j->nconsumed; i++) {
        ingest_lat_t *lat = ingest_lat_get(in, j->consumed[i], false);
        if (lat != NULL)
            lat->js_pending = j->pending[i];
    }
    for (size_t i = 0; i < j->n; i++) {
        ingest_lat_t *lat = ingest_lat_get(in, j->lattices[i], true);
        if (lat)
            ingest_lat_request(in, lat);
    }
    /* lattices known before JetStream was ready get their consumers now */
    for (map_entry_t *e = map_first(&in->lattices); e; e = e->next) {
        ingest_evt_lattice_known(in, e->val);
        ingest_evt_check_gap(in, e->val);
    }
    ingest_scan_free(j);
}

static void
ingest_scan_drop(void *arg)
{
    ingest_scan_free(arg);
}

static void
ingest_scan_submit(ingest_t *in)
{
    if (!nc_is_connected(in->nc) || in->is_js_setup_queued)
        return;
    ingest_disc_scan_t *j = xcalloc(1, sizeof(*j));
    j->in = in;
    j->is_setup = !in->is_js_ready;
    j->consumed = xcalloc(map_count(&in->lattices) + 1, sizeof(char *));
    j->pending = xcalloc(map_count(&in->lattices) + 1, sizeof(uint64_t));
    for (map_entry_t *e = map_first(&in->lattices); e; e = e->next) {
        ingest_lat_t *lat = e->val;
        if (lat->js_sub != NULL)
            j->consumed[j->nconsumed++] = xstrdup(lat->name);
    }
    if (job_submit(in->jobs, ingest_scan_run, ingest_scan_done,
                   ingest_scan_drop, j) != 0) {
        ingest_scan_free(j);
        return;
    }
    if (j->is_setup)
        in->is_js_setup_queued = true;
}

static void
ingest_on_disc_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    ingest_scan_submit(t->data);
}

void
ingest_evt_connected(ingest_t *in)
{
    if (!ev_is_active(&in->disc_timer)) {
        ev_timer_init(&in->disc_timer, ingest_on_disc_timer,
                      INGEST_DISC_PERIOD_S, INGEST_DISC_PERIOD_S);
        in->disc_timer.data = in;
        ev_timer_start(wk_loop(in->w), &in->disc_timer);
    }
    ingest_scan_submit(in);
}

void
ingest_evt_discover(ingest_t *in, natsMsg *msg)
{
    const cfg_t *cfg = wk_cfg(in->w);
    /* [account.]wasmbus.evt.<lattice>.host_started */
    const char *p = natsMsg_GetSubject(msg);
    int skip = cfg->is_multitenant ? 3 : 2;
    if (cfg->is_multitenant && p[0] != 'A')
        return;
    for (int t = 0; t < skip && p; t++) {
        p = strchr(p, '.');
        if (p)
            p++;
    }
    const char *end = p ? strchr(p, '.') : NULL;
    if (p == NULL || end == NULL || end == p || strchr(end + 1, '.') ||
        (size_t)(end - p) >= 128)
        return;
    char name[128];
    memcpy(name, p, (size_t)(end - p));
    name[end - p] = '\0';
    ingest_lat_t *lat = ingest_lat_get(in, name, true);
    if (lat != NULL)
        ingest_lat_request(in, lat);
}

/* ---- events ------------------------------------------------------------- */

/* Logs the first malformed event of each kind (-1: no kind known). */
static void
ingest_evt_bad_log(ingest_t *in, ingest_lat_t *lat, natsMsg *msg, int kind,
                   const char *why)
{
    uint64_t bit = (uint64_t)1 << (kind >= 0 && kind < 63 ? kind : 63);
    if (!(in->bad_kinds_logged & bit)) {
        in->bad_kinds_logged |= bit;
        log_msg(LL_WARN, "lattice %s: malformed %s event on \"%s\" skipped "
                "(%s); further ones of this kind are only counted",
                lat->name, kind > 0 ? ce_kind_name(kind) : "lattice",
                natsMsg_GetSubject(msg), why);
    }
}

static void
ingest_evt_bad(ingest_t *in, ingest_lat_t *lat, natsMsg *msg, int kind,
               const char *why)
{
    lat->events_bad_total++;
    ingest_evt_bad_log(in, lat, msg, kind, why);
    (void)natsMsg_Ack(msg, NULL);
}

static int
ingest_evt_send(ingest_lat_t *lat, ingest_evt_t *e)
{
    proto_event_t ev = {0};
    ev.ack_id = e->ack_id;
    ev.kind = (uint64_t)e->kind;
    ev.source = e->source;
    if (e->data) {
        ev.data.data = (uint8_t *)e->data;
        ev.data.len = e->data_len;
    }
    return proto_send(lat->rec, PROTO_MSG_EVENT, &ev);
}

static void
ingest_evt_free(ingest_evt_t *e)
{
    natsMsg_Destroy(e->msg);
    free(e->source);
    free(e->data_copy);
    free(e);
}

/*
 * Sends the held events not yet sent, oldest first. They are a suffix of
 * the list starting at evt_unsent, so each event is looked at once (a scan
 * from the head cost the whole window per event). Sending stops at the
 * first that cannot go now: the reconciler must see them in stream order.
 */
static void
ingest_evt_flush(ingest_t *in, ingest_lat_t *lat)
{
    while (lat->evt_unsent && lat->rec) {
        ingest_evt_t *e = lat->evt_unsent;
        int rc = ingest_evt_send(lat, e);
        if (rc == ERR_FULL || rc == ERR_CLOSED)
            break; /* the channel drains (or comes back): retried then */
        if (rc != 0) {
            /* no frame can carry it: skipped, acked with what follows */
            lat->events_bad_total++;
            ingest_evt_bad_log(in, lat, e->msg, e->kind,
                               "does not fit in a frame");
        }
        lat->evt_unsent = e->next;
    }
}

/* The stream sequence of a JetStream message, 0 if it has none. */
static uint64_t
ingest_evt_seq(natsMsg *msg)
{
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
        return 0;
    uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    return seq;
}

static void
ingest_evt_take(ingest_t *in, ingest_jsub_t *jsub, natsMsg *msg)
{
    ingest_lat_t *lat = jsub->lat;
    if (jsub != lat->jsub) {
        /* from a subscription a rewind replaced: it comes again in order */
        lat->events_stale_total++;
        natsMsg_Destroy(msg);
        return;
    }
    in->events_in_total++;
    lat->events_in_total++;
    uint64_t seq = ingest_evt_seq(msg);
    const char *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    ce_envelope_t env;
    int rc = ce_scan(data ? data : "", len > 0 ? (size_t)len : 0, &env);
    int kind = env.type != NULL ? env.kind : -1;
    if (rc != 0) {
        ingest_evt_bad(in, lat, msg, kind, env.reason);
        ce_envelope_destroy(&env);
        natsMsg_Destroy(msg);
        return;
    }
    if (kind == CE_KIND_UNKNOWN || kind == CE_KIND_IGNORED) {
        ce_envelope_destroy(&env);
        lat->events_skipped_total++;
        (void)natsMsg_Ack(msg, NULL);
        natsMsg_Destroy(msg);
        return;
    }
    if (seq == 0) {
        /* only a JetStream delivery can be acknowledged and ordered */
        ingest_evt_bad(in, lat, msg, kind, "no stream sequence");
        natsMsg_Destroy(msg);
        return;
    }
    ingest_evt_t *e = xcalloc(1, sizeof(*e));
    /*
     * The ack id is the stream sequence: it never repeats across restarts
     * of ingest, so the reconciler can tell an event it applied already
     * (delivered again after a rewind or an ack wait) from a new one.
     */
    e->ack_id = seq;
    e->msg = msg;
    e->kind = kind;
    e->source = xstrdup(env.source ? env.source : "");
    if (env.data && env.is_data_base64) {
        e->data_copy = xstrndup(env.data, env.data_len);
        e->data = e->data_copy;
    } else {
        e->data = env.data; /* points into msg, which e keeps */
    }
    e->data_len = env.data ? env.data_len : 0;
    ce_envelope_destroy(&env);
    if (lat->evt_tail)
        lat->evt_tail->next = e;
    else
        lat->evt_head = e;
    lat->evt_tail = e;
    if (lat->evt_unsent == NULL)
        lat->evt_unsent = e;
    lat->evt_count++;
    if (lat->rec)
        ingest_evt_flush(in, lat);
    else
        ingest_lat_request(in, lat);
}

void
ingest_evt_on_js(ingest_t *in, ingest_jsub_t *jsub, natsMsg *msg)
{
    ingest_evt_take(in, jsub, msg);
    ingest_evt_check_gap(in, jsub->lat);
}

void
ingest_evt_on_applied(ingest_t *in, ingest_lat_t *lat, uint64_t ack_id)
{
    while (lat->evt_head && lat->evt_head->ack_id <= ack_id) {
        ingest_evt_t *e = lat->evt_head;
        lat->evt_head = e->next;
        if (lat->evt_head == NULL)
            lat->evt_tail = NULL;
        if (lat->evt_unsent == e) /* a copy of one applied already */
            lat->evt_unsent = e->next;
        lat->evt_count--;
        lat->events_applied_total++;
        (void)natsMsg_Ack(e->msg, NULL);
        ingest_evt_free(e);
    }
    ingest_evt_flush(in, lat);
}

void
ingest_evt_rec_up(ingest_t *in, ingest_lat_t *lat)
{
    ingest_evt_flush(in, lat);
}

void
ingest_evt_rec_down(ingest_t *in, ingest_lat_t *lat)
{
    (void)in;
    /* what the dead reconciler did not report applied goes again */
    for (ingest_evt_t *e = lat->evt_head; e && e != lat->evt_unsent;
         e = e->next)
        lat->events_resent_total++;
    lat->evt_unsent = lat->evt_head;
}

/* Forgets the events held for the reconciler (not acknowledged). */
static void
ingest_evt_drop_held(ingest_lat_t *lat)
{
    while (lat->evt_head) {
        ingest_evt_t *e = lat->evt_head;
        lat->evt_head = e->next;
        ingest_evt_free(e);
    }
    lat->evt_tail = NULL;
    lat->evt_unsent = NULL;
    lat->evt_count = 0;
}

void
ingest_evt_lat_destroy(ingest_lat_t *lat)
{
    /* the consumer stays: it keeps what we did not ack for the next run */
    natsSubscription_Destroy(lat->js_sub);
    lat->js_sub = NULL;
    ingest_evt_drop_held(lat);
}

void
ingest_evt_lat_free(ingest_lat_t *lat)
{
    ingest_evt_lat_destroy(lat);
    while (lat->jsubs) {
        ingest_jsub_t *j = lat->jsubs;
        lat->jsubs = j->next;
        free(j);
    }
    lat->jsub = NULL;
}
