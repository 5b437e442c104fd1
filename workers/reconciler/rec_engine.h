/*
 * rec_engine.h - the reconciliation engine of one lattice: deployed
 * applications and their scalers, the lattice state they read, commands
 * in flight, and application statuses (spec/scalers.md 11-13).
 *
 * Runs on the reconciler's loop thread. It never does I/O itself: it
 * hands commands and statuses to the sender callbacks (which frame them
 * for dispatch) and is told of results, events and time.
 */
#ifndef WADM_REC_ENGINE_H
#define WADM_REC_ENGINE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/map.h"
#include "proto/proto.h"
#include "workers/reconciler/rec_lcache.h"
#include "workers/reconciler/rec_scaler.h"
#include "workers/reconciler/rec_state.h"

typedef struct rec_engine rec_engine_t;

/* How the engine talks to the world (all may be called during any call). */
typedef struct rec_engine_io {
    /*
     * Sends a control request; returns 0 and a command id, or an error
     * (dispatch down, queue full): the engine derives the command again
     * later.
     */
    int (*send)(void *arg, const char *subject, const char *body,
                uint64_t timeout_ms, uint64_t gather_ms, uint64_t *cmd_id);
    /*
     * Publishes an application status document (JSON text); returns 0,
     * or an error when it could not be handed over (sent again later).
     */
    int (*status)(void *arg, const char *app, const char *json);
    void *arg;
} rec_engine_io_t;

typedef struct rec_app {
    char *name;
    char *version;
    mf_manifest_t *manifest;
    rec_scaler_t **scalers;
    size_t nscalers;
    char *last_status;      /* last document handed to io.status */
    bool is_status_dirty;   /* something changed: recompute its status */
} rec_app_t;

/* A request in flight. */
typedef struct rec_pending {
    uint64_t cmd_id;
    char *key;              /* subject + '\n' + body */
    int purpose;            /* REC_PURPOSE_* */
    rec_cmd_t *cmd;         /* for commands */
    char *name;             /* config name or host id for queries */
    uint64_t sent_ms;
} rec_pending_t;

enum rec_purpose {
    REC_PURPOSE_COMMAND = 0,
    REC_PURPOSE_PING,       /* host.ping gather at start */
    REC_PURPOSE_INVENTORY,  /* host.get.<id> */
    REC_PURPOSE_LINKS,      /* link.get */
    REC_PURPOSE_CONFIG,     /* config.get.<name> */
};

struct rec_engine {
    char *lattice;
    char *account;          /* multitenant prefix of control subjects */
    rec_engine_io_t io;
    rec_state_t state;
    rec_lcache_t cache;
    map_t apps;             /* name -> rec_app_t */
    map_t pending;          /* key -> rec_pending_t (dedup) */
    map_t pending_ids;      /* id (decimal) -> rec_pending_t */
    map_t undeployed;       /* app -> tag: undeployed status (un)sent */
    rec_scaler_t **retired; /* replaced or undeployed before the inventory
                               was known: cleaned up at the next pass */
    size_t nretired;
    bool is_ready;          /* initial inventory done: scalers may act */
    bool has_seen_hosts;    /* statuses are published from then on */
    size_t inventory_left;  /* host.get replies awaited at start */
    map_t inv_touched;      /* host id -> rec_inv_touch_t: what the events
                               applied while its host.get is out named */
    bool is_pass_wanted;
    uint64_t full_pass_at_ms;
    uint32_t config_failures;   /* config.get failures in a row */
    uint64_t config_retry_at_ms; /* read unreadable configs again then */
    /* figures for the status dump */
    uint64_t commands_total;
    uint64_t commands_failed_total;
    uint64_t commands_suppressed_total; /* identical one in flight */
    uint64_t passes_total;
    uint64_t reconciles_total;       /* scaler reconciles (wrapper) */
    uint64_t status_refreshes_total; /* status-only recomputations */
    uint64_t statuses_total;
    uint64_t events_total;
    uint64_t events_undecodable_total;
};

void rec_engine_init(rec_engine_t *e, const char *lattice,
                     const rec_engine_io_t *io);
void rec_engine_destroy(rec_engine_t *e);

/*
 * Starts the initial inventory: host.ping (gather), link.get, then
 * host.get of every host that answers. Until it completes (or
 * rec_engine_ready() is called) scalers issue nothing.
 */
void rec_engine_discover(rec_engine_t *e, uint64_t now_ms);

/* Marks the engine ready (inventory done or given up). */
void rec_engine_ready(rec_engine_t *e, uint64_t now_ms);

/*
 * Deploys (or redeploys) app with the stored manifest JSON (borrowed):
 * scalers rebuilt, old ones cleaned up (scalers.md 13.1). Returns 0, or
 * ERR_INVALID when the manifest cannot be read.
 */
int rec_engine_deploy(rec_engine_t *e, const char *app, const cJSON *manifest,
                      uint64_t now_ms);

/* The status document of an undeployed application (scalers.md 13.3). */
#define REC_STATUS_UNDEPLOYED_JSON                                           \
    "{\"status\":{\"type\":\"undeployed\",\"message\":"                   \
    "\"Manifest has been undeployed\"},\"version\":\"\","                    \
    "\"components\":[]}"

/*
 * Forgets which statuses were published, so that the next pass offers
 * every application's status again (the publisher may have lost what it
 * was handed, e.g. dispatch restarted; it skips what the stream holds).
 */
void rec_engine_statuses_resend(rec_engine_t *e);

/* Undeploys app: cleanup commands and the undeployed status (13.3). */
void rec_engine_undeploy(rec_engine_t *e, const char *app, uint64_t now_ms);

/*
 * Handles one lattice event: state update (lattice.md 3.1) then the
 * scalers (scalers.md 11.3, 12.1). Returns 0, or ERR_PROTO when its data
 * does not decode (it is then skipped). Reports state changes in chg.
 */
int rec_engine_event(rec_engine_t *e, int kind, const char *source,
                     const char *data, size_t len, uint64_t now_ms,
                     uint64_t now_wall_us, rec_state_change_t *chg);

/* A result from dispatch for one of our requests. */
void rec_engine_result(rec_engine_t *e, const proto_result_t *res,
                       uint64_t now_ms);

/*
 * Runs the scalers that asked for it (and all of them every full_period_ms)
 * and sends what they produce. Call after each batch of events and on a
 * timer.
 */
void rec_engine_pass(rec_engine_t *e, uint64_t now_ms);

/*
 * Forgets every request in flight (dispatch went away: no result will
 * come). Scalers derive their commands again at the next pass.
 */
void rec_engine_requests_lost(rec_engine_t *e);

/* Marks every scaler of every application for the next pass. */
void rec_engine_touch_all(rec_engine_t *e);

/* Status dump lines. */
void rec_engine_status_lines(rec_engine_t *e, proto_kv_t *lines);

#endif
