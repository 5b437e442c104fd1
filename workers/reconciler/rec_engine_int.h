/*
 * rec_engine_int.h - what rec_engine.c (state, scalers, passes, status)
 * and rec_result.c (answers from dispatch, discovery, the dump) share.
 * Private to the reconciler's engine; everything runs on its loop.
 */
#ifndef WADM_REC_ENGINE_INT_H
#define WADM_REC_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "workers/reconciler/rec_engine.h"

#define REC_PING_GATHER_MS 500

/* Frees a request in flight (NULL is fine). */
void rec_pending_free(rec_pending_t *p);

/*
 * Sends a query (empty body) on wasmbus.ctl.v1.<lattice>.<what>; name is
 * kept with it. Returns whether it is in flight: sent now, or an
 * identical one sent earlier still awaits its answer.
 */
bool rec_engine_query(rec_engine_t *e, int purpose, const char *what,
                      const char *name, uint64_t gather_ms, uint64_t now_ms);

/*
 * Notes what an event applied while its host's inventory is awaited names
 * (rec_result.c): the inventory, possibly older, must not undo it.
 */
void rec_engine_inventory_note(rec_engine_t *e, const rec_event_t *ev);

/* Forgets every awaited inventory's notes (their queries are gone). */
void rec_engine_inventory_forget(rec_engine_t *e);

/*
 * Removes from its scaler the expectation of command c (one that never
 * reached a host, or a stop the host refused).
 */
void rec_engine_unexpect(rec_engine_t *e, const rec_cmd_t *c);

/* Marks the scalers that use configuration name for the next pass. */
void rec_engine_touch_config(rec_engine_t *e, const char *name);

/* The scaler id of application app, or NULL. */
rec_scaler_t *rec_engine_scaler(rec_engine_t *e, const char *app,
                                const char *id);

/* Forgets a scaler's failed commands: it has nothing left to retry. */
void rec_scaler_retry_reset(rec_scaler_t *s);

/* Delay after n failures in a row: 1 s doubling, capped at 5 min. */
uint64_t rec_retry_nominal(uint32_t failures);

#endif
