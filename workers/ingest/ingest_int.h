/*
 * ingest_int.h - ingest's private state, shared by its files.
 */
#ifndef WADM_INGEST_INT_H
#define WADM_INGEST_INT_H

#include <nats/nats.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/job.h"
#include "common/map.h"
#include "common/nc.h"
#include "common/q.h"
#include "proto/proto.h"
#include "workers/wk.h"

#define INGEST_Q_MAX_ITEMS 65536
#define INGEST_Q_MAX_BYTES (256u * 1024u * 1024u)

enum ingest_item_kind {
    INGEST_ITEM_DISCOVER, /* core subscription: a host started somewhere */
    INGEST_ITEM_API,
    INGEST_ITEM_JS_EVENT, /* from a lattice's JetStream consumer */
    INGEST_ITEM_KV,       /* a write to the manifest bucket */
};

struct ingest_lat;

/*
 * The closure of one JetStream subscription of a lattice. is_gap is set by
 * the nats.c thread when an event could not be queued: from then on the
 * subscription drops everything and the loop rewinds the consumer. Kept
 * until the lattice is freed, so a late delivery never sees freed memory.
 */
typedef struct ingest_jsub {
    struct ingest_lat *lat;
    atomic_bool is_gap;
    struct ingest_jsub *next;   /* every closure the lattice ever had */
} ingest_jsub_t;

/* A NATS message handed from a nats.c thread to the loop. */
typedef struct ingest_item {
    int kind;
    natsMsg *msg;
    struct ingest_lat *lat; /* for INGEST_ITEM_JS_EVENT */
    ingest_jsub_t *jsub;    /* for INGEST_ITEM_JS_EVENT */
} ingest_item_t;

/* One lattice event held until the reconciler has applied it. */
typedef struct ingest_evt {
    uint64_t ack_id;       /* its stream sequence */
    natsMsg *msg;          /* acked, then destroyed, once applied */
    struct ingest_evt *next;
    int kind;              /* CE_KIND_* */
    char *source;
    const char *data;      /* the data bytes, inside msg or data_copy */
    size_t data_len;
    char *data_copy;       /* decoded data_base64, else NULL */
} ingest_evt_t;

#define INGEST_EVT_MAX_PENDING 4096 /* consumer MaxAckPending per lattice */

#define INGEST_REQ_MAX 10000          /* API requests waiting, all lattices */
#define INGEST_REQ_LATTICE_MAX 1000   /* API requests waiting, one lattice */

struct ingest_lat;

/*
 * One API request waiting for its reply. The NATS reply subject stays
 * here (DESIGN.md section 3); the reconciler gets the request id only.
 */
typedef struct ingest_req {
    uint64_t id;
    char *reply;               /* NULL when the request had none */
    int op;                    /* API_OP_* */
    uint64_t deadline_ms;
    struct ingest_lat *lat;
    proto_api_req_t *body;     /* the frame body until it is sent */
    bool is_sent;
    struct ingest_req *prev;   /* all requests, oldest first */
    struct ingest_req *next;
} ingest_req_t;

/* What ingest knows of one lattice. */
typedef struct ingest_lat {
    char *name;
    chan_t *rec;              /* channel to rec.<name>, NULL when down */
    bool is_requested;        /* LATTICE_ADD sent */
    uint64_t events_in_total;
    uint64_t api_in_total;
    size_t reqs_waiting;      /* requests not answered yet */
    /* lattice events through JetStream (ingest_evt.c) */
    struct ingest *in;
    natsSubscription *js_sub; /* bound to the lattice's durable consumer */
    ingest_jsub_t *jsub;      /* js_sub's closure; NULL while rewinding */
    ingest_jsub_t *jsubs;     /* all closures, freed with the lattice */
    bool is_js_pending;       /* consumer setup job queued */
    bool is_owned;            /* rec.<name> holds the lattice's lease */
    bool is_takeover;         /* next binding recreates the consumer */
    uint64_t js_pending;      /* consumer backlog at the last scan */
    ingest_evt_t *evt_head;   /* received, not yet applied, oldest first */
    ingest_evt_t *evt_tail;
    ingest_evt_t *evt_unsent; /* first not sent to the reconciler, or NULL */
    size_t evt_count;
    uint64_t events_applied_total;
    uint64_t events_rewinds_total;  /* consumer rewound to its ack floor */
    uint64_t events_stale_total;    /* deliveries of a replaced consumer */
    uint64_t events_bad_total;
    uint64_t events_skipped_total;
    uint64_t events_resent_total;
} ingest_lat_t;

typedef struct ingest {
    wk_t *w;
    nc_t *nc;
    q_t *inq;
    job_runner_t *jobs;
    natsSubscription **subs;    /* API and host_started (discovery) */
    size_t nsubs;
    bool is_js_ready;           /* streams and buckets ensured */
    bool is_js_setup_queued;
    ev_timer disc_timer;        /* periodic discovery from the stream */
    uint64_t bad_kinds_logged;  /* one log line per kind of bad event */
    map_t lattices;           /* name -> ingest_lat_t */
    bool is_discovery_done;
    uint64_t events_in_total;
    uint64_t events_ignored_total;
    uint64_t api_in_total;
    uint64_t dropped_total;
    uint64_t lattices_refused_total;
    uint64_t manifest_changes_total;  /* seen on the manifest bucket */
    /* API requests in flight (ingest_api.c) */
    map_t reqs;               /* id (decimal) -> ingest_req_t */
    ingest_req_t *req_head;   /* oldest first: deadlines are in order */
    ingest_req_t *req_tail;
    uint64_t req_next_id;
    ev_timer req_timer;
    uint64_t api_replies_total;
    uint64_t api_local_errors_total;
    uint64_t api_timeouts_total;
    uint64_t api_busy_total;
    uint64_t api_results_total[11]; /* by INGEST_API_RESULTS index */
} ingest_t;

/* API results counted for /metrics, in the order of api_results_total. */
#define INGEST_API_RESULTS                                                   \
    {"created", "newversion", "success", "notfound", "deleted", "noop",      \
     "acknowledged", "ok", "error", "list", "other"}

/* ingest_main.c: hands a message from a nats.c thread to the loop (or
   drops it when the queue is full: the queue's drop counter shows it) */
void ingest_push(ingest_t *in, int kind, natsMsg *msg);

/* ingest_lat.c */
ingest_lat_t *ingest_lat_get(ingest_t *in, const char *name, bool create);
void ingest_lat_request(ingest_t *in, ingest_lat_t *lat);
void ingest_lat_free(void *p);

/* ingest_disc.c */
void ingest_disc_start(ingest_t *in);

/* ingest_kv.c */
int ingest_kv_subscribe(ingest_t *in);
void ingest_kv_changed(ingest_t *in, natsMsg *msg);

/* ingest_api.c */
void ingest_api_start(ingest_t *in);
void ingest_api_stop(ingest_t *in);
void ingest_api_handle(ingest_t *in, natsMsg *msg);
void ingest_api_on_reply(ingest_t *in, proto_api_rep_t *rep);
void ingest_api_rec_up(ingest_t *in, ingest_lat_t *lat);
void ingest_api_rec_down(ingest_t *in, ingest_lat_t *lat);
void ingest_api_status(ingest_t *in, proto_kv_t *lines);

/* ingest_evt.c */
void ingest_evt_discover(ingest_t *in, natsMsg *msg);
void ingest_evt_on_js(ingest_t *in, ingest_jsub_t *jsub, natsMsg *msg);
void ingest_evt_lattice_known(ingest_t *in, ingest_lat_t *lat);
void ingest_evt_ownership(ingest_t *in, ingest_lat_t *lat, bool is_owner,
                          const char *holder);
void ingest_evt_on_applied(ingest_t *in, ingest_lat_t *lat, uint64_t ack_id);
void ingest_evt_rec_up(ingest_t *in, ingest_lat_t *lat);
void ingest_evt_rec_down(ingest_t *in, ingest_lat_t *lat);
void ingest_evt_connected(ingest_t *in);
void ingest_evt_lat_destroy(ingest_lat_t *lat);
void ingest_evt_lat_free(ingest_lat_t *lat);

#endif
