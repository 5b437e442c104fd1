/*
 * rec_state.h - the observed state of one lattice (spec/lattice.md 3):
 * hosts, components and providers, changed by events (3.1) and by the
 * reaper (7.3), persisted as the three `wadm_state` records
 * (spec/storage.md 2.5, see rec_state_json.c).
 *
 * Records are plain structs readable by scalers; only the functions here
 * modify them. Maps are common/map.h tables keyed by id; iterate them with
 * map_first() and read values through the accessors below.
 */
#ifndef WADM_REC_STATE_H
#define WADM_REC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/map.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_smap.h"

/* Provider status on a host; the names are the stored spelling. */
#define REC_PROVIDER_STATUS_LIST(X)                                           \
    X(0, PENDING, "Pending")                                                  \
    X(1, RUNNING, "Running")                                                  \
    X(2, FAILED, "Failed")

enum rec_provider_status {
#define REC_PROVIDER_STATUS_ENUM(num, NAME, name) REC_PROVIDER_##NAME = num,
    REC_PROVIDER_STATUS_LIST(REC_PROVIDER_STATUS_ENUM)
#undef REC_PROVIDER_STATUS_ENUM
};

/* One provider in a host's set (unique by provider_id). */
typedef struct rec_host_provider {
    char *provider_id;
    char *provider_ref;
    rec_smap_t annotations;
} rec_host_provider_t;

typedef struct rec_host {
    char *id;
    char *friendly_name;
    rec_smap_t labels;
    map_t components; /* component id -> uint64_t * instance count */
    map_t providers;  /* provider id -> rec_host_provider_t * */
    uint64_t uptime_seconds;
    char *version;         /* NULL: none (a host_started host) */
    uint64_t last_seen_us; /* wall clock, microseconds since the epoch */
    /* private: the heartbeat content last applied in full, and when */
    uint64_t hb_content_id;
    uint64_t hb_gen;
} rec_host_t;

/* One entry of a component's per-host set (unique by annotations). */
typedef struct rec_instance {
    rec_smap_t annotations;
    uint64_t count;
} rec_instance_t;

typedef struct rec_instances {
    rec_instance_t *items;
    size_t n;
    size_t cap;
} rec_instances_t;

typedef struct rec_component {
    char *id;
    char *name;
    char *issuer;
    char *reference;
    map_t instances; /* host id -> rec_instances_t * */
} rec_component_t;

typedef struct rec_provider {
    char *id;
    char *name;
    char *issuer;
    char *reference;
    map_t hosts; /* host id -> int * REC_PROVIDER_* */
} rec_provider_t;

typedef struct rec_state {
    map_t hosts;      /* host id -> rec_host_t * */
    map_t components; /* component id -> rec_component_t * */
    map_t providers;  /* provider id -> rec_provider_t * */
    /*
     * Moves on every change but a host's own last_seen and uptime; code
     * that changes the records outside rec_state_apply() and the reaper
     * (loading them) must move it too.
     */
    uint64_t gen;
} rec_state_t;

/*
 * What an apply or reap touched, accumulated across calls until reset (so
 * a caller coalescing writes collects several events). Each is a set of
 * ids (map_t keys, NULL values, in first-touched order): a non-empty
 * `hosts` means the host_{lattice} record must be rewritten, and so on.
 * hosts_removed lists hosts that left (host_stopped or reaped); wadm-c
 * reconciles every application when it is non-empty.
 */
typedef struct rec_state_change {
    map_t hosts;
    map_t components;
    map_t providers;
    map_t hosts_removed;
} rec_state_change_t;

/* An empty state. */
void rec_state_init(rec_state_t *st);

/* Frees every record; st is empty afterwards. */
void rec_state_destroy(rec_state_t *st);

/*
 * Applies one decoded event as spec/lattice.md 3.1 says, quirks included,
 * with now_wall_us as `last_seen` of hosts it stores. A heartbeat uses
 * ev->u.heartbeat.claims (NULL means none) for new components' name and
 * issuer. Kinds that change nothing (link, config, manifest, *_failed)
 * return 0 untouched. Records what changed into chg (may be NULL). Returns
 * 0, or ERR_INVALID for an event without a host id where one is needed.
 */
int rec_state_apply(rec_state_t *st, const rec_event_t *ev,
                    uint64_t now_wall_us, rec_state_change_t *chg);

/*
 * Whether applying heartbeat hb of host_id would leave that host's record
 * as it is, its uptime and last_seen aside (so what it lists of components
 * and providers, and its labels, stay). False for an unknown host.
 */
bool rec_state_heartbeat_is_steady(const rec_state_t *st, const char *host_id,
                                   const rec_ev_heartbeat_t *hb);

/* Ids of a host's components and providers an inventory must not set. */
typedef struct rec_state_keep {
    const map_t *components; /* keys: component ids (values unused) */
    const map_t *providers;  /* keys: provider ids */
} rec_state_keep_t;

/*
 * Applies a host's inventory (a host.get answer, decoded as a heartbeat)
 * like its heartbeat, except for the ids in keep: for those the host's
 * record keeps what it held and their component and provider records are
 * not touched. An inventory answered while events of the host were on
 * their way may be older than some of them; the caller keeps what those
 * events named (rec_result.c). keep NULL: as rec_state_apply().
 */
int rec_state_apply_inventory(rec_state_t *st, const rec_event_t *ev,
                              uint64_t now_wall_us,
                              const rec_state_keep_t *keep,
                              rec_state_change_t *chg);

/*
 * One reaper tick (spec/lattice.md 7.3): deletes hosts whose last_seen is
 * more than two ticks (tick = cleanup_interval_s / 2 whole seconds) before
 * now_wall_us, then keeps only component instances on hosts that exist and
 * list the component, and provider hosts that exist; records left empty
 * are deleted. Removed hosts go to chg->hosts_removed (chg may be NULL).
 * Ages are wall-clock differences on purpose: last_seen is a stored
 * timestamp shared with other wadm instances, as upstream compares it.
 */
void rec_state_reap(rec_state_t *st, uint64_t now_wall_us,
                    uint64_t cleanup_interval_s, rec_state_change_t *chg);

/* The host record of id (borrowed), or NULL. */
const rec_host_t *rec_state_host(const rec_state_t *st, const char *id);

/* The component record of id (borrowed), or NULL. */
const rec_component_t *rec_state_component(const rec_state_t *st,
                                           const char *id);

/* The provider record of id (borrowed), or NULL. */
const rec_provider_t *rec_state_provider(const rec_state_t *st,
                                         const char *id);

/* Whether two states hold equal records (sets compared as sets). */
bool rec_state_equal(const rec_state_t *a, const rec_state_t *b);

/* The instance count of component_id on h; false when h does not list it. */
bool rec_host_component_count(const rec_host_t *h, const char *component_id,
                              uint64_t *count);

/* The provider_id entry of h's provider set (borrowed), or NULL. */
const rec_host_provider_t *rec_host_provider(const rec_host_t *h,
                                             const char *provider_id);

/*
 * Sum of the counts of c's instances on host_id (NULL: every host) whose
 * annotations contain every entry of match (NULL: any annotations). This
 * is how scalers count "their" instances (scaler id and spread name).
 */
uint64_t rec_component_count(const rec_component_t *c, const char *host_id,
                             const rec_smap_t *match);

/* The REC_PROVIDER_* status of p on host_id, or -1 when not there. */
int rec_provider_host_status(const rec_provider_t *p, const char *host_id);

/* "Pending", "Running", "Failed"; NULL for anything else. */
const char *rec_provider_status_name(int status);

/* Parses a stored status name (exact case); -1 when unknown. */
int rec_provider_status_parse(const char *name);

/* An empty change set. */
void rec_state_change_init(rec_state_change_t *chg);

/* Empties chg for the next batch. */
void rec_state_change_reset(rec_state_change_t *chg);

/* Frees chg. */
void rec_state_change_destroy(rec_state_change_t *chg);

/* Whether nothing was recorded. */
bool rec_state_change_is_empty(const rec_state_change_t *chg);

#endif
