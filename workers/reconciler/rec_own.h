/*
 * rec_own.h - whether this instance owns the lattice: the lease of
 * rec_lease.h kept in KV by rec.<lattice> (DESIGN.md section 4).
 *
 * Every reconciler answers API requests (KV is the source of truth). Only
 * the owner loads the lattice, consumes its events (ingest binds the
 * consumer on OWNERSHIP), runs the scalers and sends commands; a standby
 * waits for the lease to lapse. An owner that loses the lease exits with
 * WK_EXIT_HANDOFF and starts again as a standby: nothing of its lattice
 * stays in memory to act on.
 */
#ifndef WADM_REC_OWN_H
#define WADM_REC_OWN_H

#include <ev.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/job.h"
#include "proto/proto.h"
#include "workers/reconciler/rec_lease.h"

typedef struct rec_own {
    rec_lease_t lease;
    job_runner_t *jobs;     /* its own thread: API work never delays it */
    jsCtx *js;              /* its own JetStream context: see rec_own_js */
    kvStore *kv;            /* the lease bucket; used on that thread only */
    char key[256];          /* the lattice's key in the bucket */
    ev_timer timer;
    bool is_known;          /* a lease action completed at least once */
    bool is_standby_noted;  /* another holder was seen and announced */
    int announced;          /* to ingest: -1 nothing, 0 standby, 1 owner */
    uint64_t owner_since_ms;
    uint64_t standby_since_ms;
    uint64_t last_takeover_wait_ms; /* standby to owner, last time */
    uint64_t failures_total;
} rec_own_t;

struct rec;

/* Starts the lease: observes the key at once, then every interval. */
void rec_own_start(struct rec *r);

/* Runs the lease action that is due now, if any (also on a timer). */
void rec_own_kick(struct rec *r);

/* Releases the lease if held (blocking, bounded), stops the thread. */
void rec_own_stop(struct rec *r);

/* Whether commands may go out now (owner with a fresh renewal). */
bool rec_own_may_act(const struct rec *r);

/* Whether this instance holds the lease (fresh or not). */
bool rec_own_is_owner(const struct rec *r);

/* The monotonic time (ms) after which a command sent now must not go out
   any more: the renewal's age reaches TTL/2 then (dispatch checks it). */
uint64_t rec_own_valid_until(const struct rec *r);

/* The ingest channel opened: tells it the ownership, if known. */
void rec_own_ingest_up(struct rec *r);

/* Status lines: lease, holder, figures. */
void rec_own_status_lines(const struct rec *r, proto_kv_t *lines);

/*
 * The lattice's key in the lease bucket: the lattice name, with any byte
 * a KV key cannot hold (and '=') written as "=XX". Pure.
 */
void rec_own_key(const char *lattice, char *key, size_t cap);

#endif
