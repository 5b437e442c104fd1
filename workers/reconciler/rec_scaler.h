/*
 * rec_scaler.h - scalers: the pieces of desired state an application is
 * made of (spec/scalers.md), the snapshot they read, and the wrapper
 * state that keeps them from repeating themselves.
 *
 * Scalers are pure: rec_scaler_inner() and friends read a snapshot and
 * return commands and a status, and never do I/O. The engine (rec_engine.c)
 * decides when to run them and sends what they return.
 */
#ifndef WADM_REC_SCALER_H
#define WADM_REC_SCALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/manifest/mf.h"
#include "workers/reconciler/rec_cmd.h"
#include "workers/reconciler/rec_lcache.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_status.h"

#define REC_WINDOW_COMPONENT_MS 5000
#define REC_WINDOW_PROVIDER_MS 60000
#define REC_BACKOFF_EVENT_MS 5000 /* after a *_failed event (11.3) */

enum rec_skind {
    REC_SK_COMP_SPREAD = 0,
    REC_SK_COMP_DAEMON,
    REC_SK_PROV_SPREAD,
    REC_SK_PROV_DAEMON,
    REC_SK_LINK,
    REC_SK_STATUS, /* a fixed failed status (scalers.md 10) */
};

typedef struct rec_spread {
    char *name;
    rec_smap_t requirements;
    uint64_t weight;
    uint64_t target; /* spreadscalers: per-spread target (3.1) */
} rec_spread_t;

/* An attached ConfigScaler or SecretScaler (scalers.md 9). */
typedef struct rec_cfgsc {
    bool is_secret;
    char *name;          /* the config name on the lattice */
    bool has_values;     /* inline config, or a secret: wadm manages it */
    rec_smap_t values;   /* desired map */
    char *error;         /* a secret whose policy is unusable, or NULL */
} rec_cfgsc_t;

typedef struct rec_scaler {
    int kind;            /* REC_SK_* */
    char id[65];
    char *name;          /* status name */
    char *app;           /* the manifest name: appspec of its commands */
    /* spread / daemon */
    char *comp_id;       /* component or provider id */
    char *image;
    rec_strv_t config;   /* config then secret names (lattice.md 6.2) */
    uint64_t instances;
    rec_spread_t *spreads;
    size_t nspreads;
    bool has_default_spread; /* the manifest listed none */
    /* link */
    char *source_id;
    char *target;
    char *link_name;
    char *wit_namespace;
    char *wit_package;
    rec_strv_t interfaces;
    rec_strv_t source_config;
    rec_strv_t target_config;
    /* attached config and secret scalers */
    rec_cfgsc_t *cfgs;
    size_t ncfgs;
    /* fixed status (REC_SK_STATUS) */
    char *fixed_message;
    /* BackoffWrapper state (scalers.md 11) */
    uint64_t window_ms;
    rec_cmds_t expected;        /* scale/start commands awaiting echoes */
    uint64_t expect_until_ms;
    char *backoff_message;      /* failed status after a *_failed event */
    uint64_t backoff_until_ms;
    /* wadm-c: retries of failed commands with capped backoff */
    uint32_t cmd_failures;
    uint64_t retry_at_ms;
    char *last_error;
    /* last computed status */
    int stype;
    char *smsg;
    bool is_dirty;              /* wants a reconcile at the next pass */
} rec_scaler_t;

/* What scalers read: lattice state, links, configs, the clock. */
typedef struct rec_view {
    const rec_state_t *state;
    const rec_lcache_t *cache;
    uint64_t now_ms;
    bool is_cleanup;            /* reconcile with every target 0 */
} rec_view_t;

/*
 * Builds the scaler list of manifest m (scalers.md 2), in order. Returns
 * the count; *out is an array the caller frees with rec_scalers_free().
 */
size_t rec_scalers_build(const mf_manifest_t *m, rec_scaler_t ***out);
void rec_scalers_free(rec_scaler_t **v, size_t n);
void rec_scaler_free(rec_scaler_t *s);

/* Scaler kind as in status: SpreadScaler, DaemonScaler, LinkScaler. */
const char *rec_scaler_kind_name(const rec_scaler_t *s);

/*
 * The per-spread targets of scalers.md 3.1 for n instances, sorted by
 * weight (descending, stable). Updates spreads in place (order and target).
 */
void rec_spreads_targets(rec_spread_t *spreads, size_t nspreads, uint64_t n);

/* Whether labels satisfy every requirement of spread. */
bool rec_spread_matches(const rec_spread_t *spread, const rec_smap_t *labels);

/*
 * The wrapped scaler's reconcile() (scalers.md 4-8) against view: appends
 * its commands to out (may be NULL: status only) and sets *stype and *smsg
 * (caller frees). Pure.
 */
void rec_scaler_inner(const rec_scaler_t *s, const rec_view_t *view,
                      rec_cmds_t *out, int *stype, char **smsg);

/*
 * Whether event ev concerns the wrapped scaler (its handle_event() would
 * reconcile): scalers.md 4.2, 6.2, 8 tables.
 */
bool rec_scaler_wants(const rec_scaler_t *s, const rec_event_t *ev);

/*
 * Attached config and secret scalers (scalers.md 9): appends the commands
 * they need and returns true when the wrapped scaler must wait (commands
 * issued, or a configuration still being fetched). Configurations not in
 * the cache yet are added to *fetch (names to query).
 */
bool rec_scaler_configs(const rec_scaler_t *s, const rec_view_t *view,
                        rec_cmds_t *out, rec_strv_t *fetch);

/* cleanup() (scalers.md 4.3 ... 9): appends the removal commands. */
void rec_scaler_cleanup(const rec_scaler_t *s, const rec_view_t *view,
                        rec_cmds_t *out);

#endif
