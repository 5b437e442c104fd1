/*
 * rec_int.h - the reconciler's private state, shared by its files.
 */
#ifndef WADM_REC_INT_H
#define WADM_REC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/job.h"
#include "common/nc.h"
#include "workers/reconciler/rec_engine.h"
#include "workers/reconciler/rec_own.h"
#include "workers/reconciler/rec_store.h"
#include "workers/wk.h"

#define REC_JOBS_MAX 256
#define REC_HELD_EVENTS_MAX 65536 /* events held until the state is loaded */
#define REC_PERSIST_DELAY_S 0.3   /* coalescing of wadm_state writes */
#define REC_PASS_PERIOD_S 1.0
#define REC_RESYNC_PERIOD_S 30.0  /* manifests re-read by the owner */
#define REC_LOAD_RETRY_S 0.5      /* first retry of a failed load, doubling */
#define REC_LOAD_RETRY_MAX_S 8.0

typedef struct rec {
    wk_t *w;
    nc_t *nc;
    job_runner_t *jobs;
    rec_store_t store;
    chan_t *ingest;
    chan_t *dispatch;
    rec_engine_t engine;
    rec_own_t own;              /* the lattice's lease (rec_own.c) */
    bool is_loaded;             /* state and manifests read from KV */
    bool is_load_queued;
    ev_timer load_timer;        /* retries a failed load */
    unsigned load_failures;     /* consecutive, for the backoff */
    uint64_t load_failures_total;
    bool is_discovering;
    proto_event_t **held;       /* events that came before the load */
    size_t nheld;
    uint64_t applied_id;        /* last event applied */
    uint64_t applied_sent_id;   /* last APPLIED sent to ingest */
    /*
     * The first event whose change of the state is not stored yet: in
     * the running write (hold_job) or in none (hold_new); 0 for none.
     * APPLIED stops short of them (rec_life.c).
     */
    uint64_t hold_job;
    uint64_t hold_new;
    uint64_t next_cmd_id;
    ev_prepare prepare;         /* per loop iteration: APPLIED, passes */
    ev_timer pass_timer;
    ev_timer reap_timer;
    ev_timer persist_timer;
    /* wadm_state persistence */
    bool is_hosts_dirty;
    bool is_components_dirty;
    bool is_providers_dirty;
    bool is_persist_running;
    uint64_t rev_hosts;
    uint64_t rev_components;
    uint64_t rev_providers;
    /* figures */
    uint64_t frames_in_total;
    uint64_t api_requests_total;
    uint64_t api_busy_total;
    uint64_t statuses_out_total;
    uint64_t events_in_total;
    uint64_t state_writes_total;
    uint64_t state_write_failures_total;
    uint64_t hosts_reaped_total;
    bool is_setup_queued;
    /* manifests written through other instances (rec_watch.c) */
    ev_timer resync_timer;
    bool is_resync_running;
    bool is_resync_again;
    uint64_t resyncs_total;
    uint64_t resync_deploys_total;
    uint64_t resync_undeploys_total;
    uint64_t events_ignored_total;  /* came while standing by */
} rec_t;

/* rec_apiq.c: API requests through the job thread */
void rec_apiq_submit(rec_t *r, proto_api_req_t *req_take);
void rec_apiq_setup(rec_t *r);

/* rec_life.c: loading, persisting, timers, events */
void rec_life_start(rec_t *r);
void rec_life_stop(rec_t *r);
void rec_life_load(rec_t *r);
void rec_life_event(rec_t *r, proto_event_t *ev_take);
void rec_life_dispatch_up(rec_t *r);
void rec_life_mark_dirty(rec_t *r, const rec_state_change_t *chg);
void rec_life_drop_held(rec_t *r);

/* rec_watch.c: manifests changed through any instance reach the owner */
void rec_watch_start(rec_t *r);
void rec_watch_stop(rec_t *r);
void rec_watch_changed(rec_t *r, const proto_kv_changed_t *kc);
void rec_watch_resync(rec_t *r);

/* rec_main.c */
/* Hands a status to dispatch; returns 0, or an error (dispatch down). */
int rec_publish_status(rec_t *r, const char *app, const char *json);

#endif
