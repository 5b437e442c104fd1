/*
 * rec_lease_kv.h - the KV side of a lattice lease: one key per lattice in
 * the lease bucket, value {"owner": <instance id>, "renewed": <time>}.
 * Blocking: runs on the reconciler's lease job thread (its own, so that
 * slow API work never delays a renewal).
 */
#ifndef WADM_REC_LEASE_KV_H
#define WADM_REC_LEASE_KV_H

#include <nats/nats.h>
#include <stdint.h>

#include "common/cfg.h"

/*
 * Runs one lease action (REC_LEASE_* of rec_lease.h) on key lattice in
 * bucket kv: reads (from the stream leader, through js), creates, or
 * rewrites it checked against revision (an empty owner releases it).
 * Returns REC_LEASE_OK, _CONFLICT or _FAILED with the revision and
 * holder after the action.
 */
int rec_lease_kv_run(jsCtx *js, kvStore *kv, const char *lattice,
                     int action, const char *me, uint64_t revision,
                     uint64_t *out_revision, char *holder, size_t cap);

#endif
