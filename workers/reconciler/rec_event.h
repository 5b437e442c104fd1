/*
 * rec_event.h - typed payloads of the lattice events (spec/lattice.md 2.4)
 * and their decoding from the `data` JSON that ingest forwards.
 *
 * Decoding applies upstream's rules exactly: required fields missing or of
 * the wrong JSON type reject the event, optional ones default, aliases
 * (`id` for `host_id`) are honoured and giving both is an error. The host
 * id comes from the envelope `source` for host, component and provider
 * events and from `data.host_id` for health checks.
 */
#ifndef WADM_REC_EVENT_H
#define WADM_REC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ce.h"
#include "workers/reconciler/rec_smap.h"

/* One entry of a claims.get reply (spec/lattice.md 5.5.1). */
typedef struct rec_claim {
    char *sub;    /* component id */
    char *name;   /* "" when absent */
    char *issuer; /* `iss`; "" when absent */
} rec_claim_t;

typedef struct rec_claims {
    rec_claim_t *items;
    size_t n;
} rec_claims_t;

/* ComponentDescription of a heartbeat / inventory (every field optional). */
typedef struct rec_component_desc {
    char *id;        /* "" default */
    char *image_ref; /* "" default */
    char *name;      /* NULL: none */
    rec_smap_t annotations;
    bool has_annotations; /* false: absent or null (treated as {}) */
    int32_t revision;
    uint32_t max_instances;
} rec_component_desc_t;

/* ProviderDescription of a heartbeat / inventory (every field optional). */
typedef struct rec_provider_desc {
    char *id;        /* "" default */
    char *image_ref; /* NULL: none (treated as "") */
    char *name;      /* NULL: none */
    int32_t revision;
    rec_smap_t annotations;
    bool has_annotations;
} rec_provider_desc_t;

/*
 * host_heartbeat data, which is also the `response` of host.get.<host>.
 * claims is an input the caller fills before rec_state_apply() with what
 * claims.get returned (borrowed; never freed by rec_event_destroy()).
 */
typedef struct rec_ev_heartbeat {
    rec_component_desc_t *components;
    size_t ncomponents;
    rec_provider_desc_t *providers;
    size_t nproviders;
    char *data_host_id; /* data `host_id` or `id`; "" when absent */
    char *issuer;       /* "" when absent */
    char *friendly_name;
    rec_smap_t labels;
    char *version; /* a valid semantic version */
    char *uptime_human;
    uint64_t uptime_seconds;
    const rec_claims_t *claims;
    /*
     * Equal for two heartbeats of a host that differ in uptime only (0:
     * not known); never reused for other content.
     */
    uint64_t content_id;
    /* private: the decode cache entry whose strings this borrows */
    struct rec_hb_cached *cached;
} rec_ev_heartbeat_t;

typedef struct rec_ev_host_started {
    rec_smap_t labels;
    char *friendly_name;
} rec_ev_host_started_t;

typedef struct rec_ev_host_stopped {
    rec_smap_t labels;
} rec_ev_host_stopped_t;

/* component_scaled and component_scale_failed (error set only there). */
typedef struct rec_ev_component_scaled {
    rec_smap_t annotations;
    char *image_ref;
    char *component_id;
    uint64_t max_instances;
    bool has_claims;
    char *claims_name;   /* "" when no claims or no name */
    char *claims_issuer; /* "" when no claims or no issuer */
    char *error;         /* component_scale_failed only, else NULL */
} rec_ev_component_scaled_t;

typedef struct rec_ev_provider_started {
    rec_smap_t annotations;
    char *image_ref;
    char *provider_id;
    bool has_claims;
    char *claims_name;
    char *claims_issuer;
} rec_ev_provider_started_t;

typedef struct rec_ev_provider_start_failed {
    char *error;
    char *provider_id;
    char *provider_ref;
} rec_ev_provider_start_failed_t;

typedef struct rec_ev_provider_stopped {
    rec_smap_t annotations;
    char *provider_id;
    char *reason;
} rec_ev_provider_stopped_t;

/* health_check_passed / _failed / _status; the host is in host_id. */
typedef struct rec_ev_health_check {
    char *provider_id;
} rec_ev_health_check_t;

typedef struct rec_ev_linkdef_set {
    char *source_id;
    char *target;
    char *name; /* "default" when absent */
    char *wit_namespace;
    char *wit_package;
    char **interfaces; /* NULL-terminated */
    size_t ninterfaces;
    char **source_config; /* NULL-terminated, empty when absent */
    size_t nsource_config;
    char **target_config;
    size_t ntarget_config;
} rec_ev_linkdef_set_t;

typedef struct rec_ev_linkdef_deleted {
    char *source_id;
    char *name;
    char *wit_namespace;
    char *wit_package;
} rec_ev_linkdef_deleted_t;

typedef struct rec_ev_config {
    char *config_name;
} rec_ev_config_t;

/* The manifest module parses the manifest; here it stays JSON text. */
typedef struct rec_ev_manifest_published {
    char *json; /* NUL-terminated copy of the data object */
    size_t len;
} rec_ev_manifest_published_t;

typedef struct rec_ev_manifest_unpublished {
    char *name;
} rec_ev_manifest_unpublished_t;

typedef struct rec_event {
    int kind;      /* CE_KIND_* */
    char *host_id; /* source or data.host_id; NULL for link/config/manifest */
    union {
        rec_ev_heartbeat_t heartbeat;
        rec_ev_host_started_t host_started;
        rec_ev_host_stopped_t host_stopped;
        rec_ev_component_scaled_t component_scaled; /* also scale_failed */
        rec_ev_provider_started_t provider_started;
        rec_ev_provider_start_failed_t provider_start_failed;
        rec_ev_provider_stopped_t provider_stopped;
        rec_ev_health_check_t health_check;
        rec_ev_linkdef_set_t linkdef_set;
        rec_ev_linkdef_deleted_t linkdef_deleted;
        rec_ev_config_t config; /* config_set and config_deleted */
        rec_ev_manifest_published_t manifest_published;
        rec_ev_manifest_unpublished_t manifest_unpublished;
    } u;
} rec_event_t;

/*
 * Decodes the data JSON (len bytes, not necessarily NUL-terminated) of an
 * event of the given kind into out (needs no initialisation). source is the
 * envelope source (borrowed; required for host-sourced kinds). Returns 0,
 * or ERR_PROTO with *err a new one-line message (caller frees) naming the
 * offending field; ERR_INVALID for a kind without payload (UNKNOWN,
 * IGNORED). Call rec_event_destroy(out) after either result. Pure CPU,
 * never blocks.
 *
 * Heartbeats go through a per-process cache of each host's last decoded
 * heartbeat: one equal to it but for the uptime values is not parsed
 * again, and out then shares the cached strings (rec_event_destroy() knows).
 * So this function is for one thread only (the reconciler's loop).
 */
int rec_event_decode(int kind, const char *data, size_t len,
                     const char *source, rec_event_t *out, char **err);

/*
 * Decodes a host inventory (the `response` of host.get.<host>, the same
 * shape as heartbeat data) into a CE_KIND_HOST_HEARTBEAT event whose host
 * id is the inventory's own `host_id` (or `id`). Lets the reconciler seed
 * state at start through rec_state_apply(). Results as rec_event_decode().
 */
int rec_event_inventory_decode(const char *json, size_t len,
                               rec_event_t *out, char **err);

/* Frees everything out owns (claims are borrowed); safe on a failed decode. */
void rec_event_destroy(rec_event_t *ev);

/*
 * The application an event is routed to (spec/lattice.md 2.3 "hint"): the
 * `wasmcloud.dev/appspec` annotation of a component_scaled or
 * provider_started event, borrowed; NULL means every application.
 */
const char *rec_event_app_hint(const rec_event_t *ev);

/*
 * Decodes the `response` array of a claims.get reply (array of string
 * maps; entries without `sub` are skipped, a non-string value is an error).
 * Returns 0 or ERR_PROTO with *err set. Free with rec_event_claims_destroy().
 */
int rec_event_claims_decode(const char *json, size_t len, rec_claims_t *out,
                            char **err);

/* Frees what rec_event_claims_decode() filled (safe on a failed decode). */
void rec_event_claims_destroy(rec_claims_t *claims);

/* Whether s is a semantic version as the semver crate parses it. */
bool rec_event_is_semver(const char *s);

#endif
