/*
 * rec_store.h - the reconciler's JetStream storage: application records
 * and lattice indexes in wadm_manifests (spec/storage.md 2.2-2.4), status
 * reads from wadm_status, and wadm's manifest CloudEvents (api.md 7).
 *
 * Every function blocks on NATS: they run on the reconciler's job thread
 * only, which also serialises the lattice's storage operations.
 */
#ifndef WADM_REC_STORE_H
#define WADM_REC_STORE_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

typedef struct rec_store {
    const cfg_t *cfg;
    const char *lattice;
    natsConnection *conn;
    jsCtx *js;
    kvStore *manifests;
    kvStore *state_kv;  /* wadm_state */
    bool is_ready;
    char error[256];  /* why the last setup failed */
} rec_store_t;

/*
 * A StoredManifest record (storage.md 2.3) as a cJSON tree, so that the
 * member order of "manifests" (creation order of versions) and versions
 * written by another implementation are kept exactly.
 */
typedef struct rec_stored {
    cJSON *root;       /* {"manifests":{...},"deployed_version":...} */
    uint64_t revision; /* 0 when the record does not exist */
} rec_record_t;

/*
 * Creates or reuses the buckets and streams and opens the manifest bucket
 * (idempotent). Returns 0 or ERR_NATS with st->error set.
 */
int rec_store_setup(rec_store_t *st);

/* Closes what rec_store_setup() opened. */
void rec_store_close(rec_store_t *st);

/* Record and index keys ("{account}-" in multitenant mode). Caller frees. */
char *rec_store_key(const rec_store_t *st, const char *account,
                    const char *name);
char *rec_store_index_key(const rec_store_t *st, const char *account);

/*
 * Reads the record of app name. Returns 0 (found), ERR_NOTFOUND (absent:
 * rec holds an empty record with the revision of any delete marker) or
 * ERR_NATS/ERR_PROTO (storage or parse error). rec is always initialised;
 * free it with rec_record_destroy().
 */
int rec_record_get(rec_store_t *st, const char *account, const char *name,
                   rec_record_t *rec);

/*
 * Reads the records of names[0..n) with the requests pipelined (one
 * round trip per JSX_GET_WINDOW records, not per record): (*recs)[i] and
 * (*rcs)[i] are what rec_record_get() gives for names[i]. Returns 0 when
 * every record was read or is absent, else the first failure (ERR_NATS,
 * ERR_PROTO). The arrays are always set; free them with
 * rec_records_free().
 */
int rec_records_get(rec_store_t *st, const char *account, char *const *names,
                    size_t n, rec_record_t **recs, int **rcs);

void rec_records_free(rec_record_t *recs, int *rcs, size_t n);

/*
 * Writes rec with a revision check (create when rec->revision is 0), and
 * updates rec->revision. Returns 0, ERR_CONFLICT or ERR_NATS.
 */
int rec_record_put(rec_store_t *st, const char *account, const char *name,
                   rec_record_t *rec);

/* Purges the record of name. Returns 0 or ERR_NATS. */
int rec_record_purge(rec_store_t *st, const char *account, const char *name);

void rec_record_destroy(rec_record_t *rec);

/* The "manifests" object (created if missing). */
cJSON *rec_record_versions(rec_record_t *rec);
/* The current (last) version's manifest object, or NULL. */
cJSON *rec_record_current(rec_record_t *rec);
/* The deployed version string, or NULL. */
const char *rec_record_deployed(rec_record_t *rec);
/* Sets (or clears with NULL) the deployed version. */
void rec_record_set_deployed(rec_record_t *rec, const char *version);

/*
 * Adds or removes name in the lattice index with revision-checked writes,
 * retrying on conflict. Returns 0 or ERR_NATS/ERR_CONFLICT.
 */
int rec_index_update(rec_store_t *st, const char *account, const char *name,
                     bool is_add);

/*
 * The lattice index: sorted application names. Returns 0 (an absent
 * index is empty) or an error. Caller frees with rec_names_free().
 */
int rec_index_get(rec_store_t *st, const char *account, char ***names,
                  size_t *n);
void rec_names_free(char **names, size_t n);

/*
 * The last status stored for app name in wadm_status, normalised
 * (api.md 5.1), or NULL when there is none or it does not parse.
 */
cJSON *rec_status_get(rec_store_t *st, const char *name);

/* The same for names[0..n) in one pipelined batch: out[i] as
   rec_status_get() gives it for names[i] (NULL on any failure). */
void rec_statuses_get(rec_store_t *st, char *const *names, size_t n,
                      cJSON **out);

/*
 * Loads the deployed applications of the lattice: for each record with a
 * deployed_version, its name and that version's manifest (a detached
 * cJSON). Returns 0 or a storage error. Caller frees with
 * rec_deployed_free().
 */
typedef struct rec_deployed {
    char **names;
    cJSON **manifests;
    size_t n;
} rec_deployed_t;
int rec_store_deployed(rec_store_t *st, const char *account,
                       rec_deployed_t *out);
void rec_deployed_free(rec_deployed_t *d);

/*
 * Reads a wadm_state key (storage.md 2.5): its value (caller frees; NULL
 * when absent) and revision (0 when absent). Returns 0 or ERR_NATS.
 */
int rec_state_kv_get(rec_store_t *st, const char *key, char **value,
                     size_t *len, uint64_t *revision);

/*
 * Writes a wadm_state key with a revision check on *revision, re-reading
 * the revision and retrying on conflict for at most 1.5 s (we own the
 * lattice, so our whole map wins). Returns 0 or an error.
 */
int rec_state_kv_put(rec_store_t *st, const char *key, const char *value,
                     size_t len, uint64_t *revision);

/*
 * Publishes a wadm CloudEvent (com.wadm.<what>) on
 * wadm.evt.<lattice>.<what> with a JetStream acknowledgement. data is
 * borrowed. Returns 0 or ERR_NATS.
 */
int rec_event_publish(rec_store_t *st, const char *what, const cJSON *data);

#endif
