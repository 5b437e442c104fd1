/*
 * rec_state_json.h - the three `wadm_state` records of a lattice
 * (spec/storage.md 2.5): host_{lattice}, component_{lattice} and
 * provider_{lattice}, each a JSON object mapping an id to a record.
 *
 * Encoding writes what upstream writes (field names and order, `version`
 * null, `last_seen` RFC 3339 UTC with `Z`, capitalised provider statuses);
 * decoding reads what upstream reads (the `actors` and `public_key` aliases,
 * defaults for provider_ref and annotations, every other field required).
 * The KV I/O is the caller's; these functions only convert.
 */
#ifndef WADM_REC_STATE_JSON_H
#define WADM_REC_STATE_JSON_H

#include <stddef.h>

#include "workers/reconciler/rec_state.h"

enum rec_record {
    REC_RECORD_HOST,
    REC_RECORD_COMPONENT,
    REC_RECORD_PROVIDER,
};

/* The KV key of a record kind for a lattice ("host_default"); caller frees. */
char *rec_state_json_key(int record, const char *lattice);

/*
 * Serialises all hosts of st as the value of host_{lattice}. Returns a new
 * NUL-terminated string (caller frees); *len (may be NULL) gets its
 * length. Never fails; pure CPU.
 */
char *rec_state_json_hosts_encode(const rec_state_t *st, size_t *len);

/* As rec_state_json_hosts_encode(), for component_{lattice}. */
char *rec_state_json_components_encode(const rec_state_t *st, size_t *len);

/* As rec_state_json_hosts_encode(), for provider_{lattice}. */
char *rec_state_json_providers_encode(const rec_state_t *st, size_t *len);

/*
 * Parses a stored host_{lattice} value (len bytes) and replaces st's hosts
 * with it. Returns 0, or ERR_PROTO with *err a new one-line message
 * (caller frees) naming the record and field; st is then unchanged. An
 * absent key is the caller's empty map, not an input here. Pure CPU.
 */
int rec_state_json_hosts_decode(rec_state_t *st, const char *json, size_t len,
                                char **err);

/* As rec_state_json_hosts_decode(), for component_{lattice}. */
int rec_state_json_components_decode(rec_state_t *st, const char *json,
                                     size_t len, char **err);

/* As rec_state_json_hosts_decode(), for provider_{lattice}. */
int rec_state_json_providers_decode(rec_state_t *st, const char *json,
                                    size_t len, char **err);

#endif
