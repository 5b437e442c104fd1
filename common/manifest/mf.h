/*
 * mf.h - the wadm application manifest: parse, validate, store form.
 *
 * One C model for manifests read from YAML (libyaml) or JSON (cJSON),
 * following spec/manifest.md. Used by the reconciler (put, deploy, scalers)
 * and by wadmctl (local validation); pure functions, no I/O, no logging.
 * The model structs are public so that readers can walk them directly;
 * everything reachable from an mf_manifest_t is owned by it and released
 * by mf_free(). Strings are NUL-terminated UTF-8; absent optional strings
 * are NULL.
 */
#ifndef WADM_MF_H
#define WADM_MF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Input formats for mf_parse(). */
#define MF_FORMAT_AUTO 0 /* YAML first, then JSON (api.md 4.1, no header) */
#define MF_FORMAT_YAML 1
#define MF_FORMAT_JSON 2

/* Limits applied to every input (ERR_TOOBIG when crossed). */
#define MF_INPUT_MAX_BYTES (1024 * 1024)
#define MF_DEPTH_MAX 64              /* nesting of maps and lists */
#define MF_ALIAS_EXPAND_MAX 100000   /* nodes added by YAML aliases */

/* Component types; the legacy "actor" is read as MF_COMP_COMPONENT. */
#define MF_COMP_COMPONENT 0
#define MF_COMP_CAPABILITY 1

/* Well-known names. */
#define MF_ANN_VERSION "version"
#define MF_ANN_DESCRIPTION "description"
#define MF_ANN_SHARED "experimental.wasmcloud.dev/shared"
#define MF_SECRET_POLICY_TYPE "policy.secret.wasmcloud.dev/v1alpha1"
#define MF_LINK_DEFAULT_NAME "default"

/* A string map. Labels, annotations, policy properties and spread
 * requirements are kept sorted by key (byte order); config properties keep
 * input order. Keys are unique. */
typedef struct mf_kv {
    char *key;
    char *value;
} mf_kv_t;

typedef struct mf_map {
    mf_kv_t *items;
    size_t len;
} mf_map_t;

/* A config item: managed by wadm when has_properties, else a reference
 * to an externally managed named config. */
typedef struct mf_config {
    char *name;
    bool has_properties;
    mf_map_t properties;
} mf_config_t;

typedef struct mf_secret {
    char *name;
    char *policy;
    char *key;
    char *field;   /* NULL when absent */
    char *version; /* NULL when absent */
} mf_secret_t;

typedef struct mf_spread {
    char *name;
    mf_map_t requirements;
    bool has_weight; /* weight absent means 100 */
    uint64_t weight;
} mf_spread_t;

/* Properties of a spreadscaler-shaped trait (spreadscaler, daemonscaler). */
typedef struct mf_scaler {
    uint64_t instances;
    mf_spread_t *spreads;
    size_t n_spreads;
} mf_scaler_t;

/* Properties of a link-shaped trait, already in the new form (deprecated
 * target string, target_config and source_config are folded in). */
typedef struct mf_link {
    char *name;         /* NULL when absent (means "default") */
    char *namespace;
    char *package;
    char **interfaces;
    size_t n_interfaces;
    bool has_source;    /* source (or source_config) was given */
    mf_config_t *source_config;
    size_t n_source_config;
    mf_secret_t *source_secrets;
    size_t n_source_secrets;
    char *target;       /* target component name; "" when absent */
    mf_config_t *target_config;
    size_t n_target_config;
    mf_secret_t *target_secrets;
    size_t n_target_secrets;
} mf_link_t;

/* A trait: exactly one of link, scaler, custom is set, decided by the
 * shape of its properties (manifest.md 5.1), never by type. */
typedef struct mf_trait {
    char *type;
    mf_link_t *link;
    mf_scaler_t *scaler;
    cJSON *custom;         /* object keys sorted, numbers as raw text */
    bool raw_source_config; /* properties had a source_config key */
    bool raw_target_config; /* properties had a target_config key */
} mf_trait_t;

/* Reference to a component of a shared application (manifest.md 6). */
typedef struct mf_shared_ref {
    char *name;      /* shared application name */
    char *component; /* component name inside it */
} mf_shared_ref_t;

typedef struct mf_component {
    char *name;
    int type;                     /* MF_COMP_* */
    char *image;                  /* NULL when absent */
    mf_shared_ref_t *application; /* NULL when absent */
    char *id;                     /* explicit id; NULL when absent */
    mf_config_t *config;
    size_t n_config;
    mf_secret_t *secrets;
    size_t n_secrets;
    bool has_traits;              /* traits key given (an empty list too) */
    mf_trait_t *traits;
    size_t n_traits;
} mf_component_t;

typedef struct mf_policy {
    char *name;
    char *type;
    mf_map_t properties;
} mf_policy_t;

typedef struct mf_manifest {
    char *api_version;
    char *kind;
    char *name;
    mf_map_t annotations;
    mf_map_t labels;
    mf_component_t *components;
    size_t n_components;
    mf_policy_t *policies;
    size_t n_policies;
} mf_manifest_t;

/* ---- parsing and the stored form (mf_parse.c, mf_store.c) ---- */

/*
 * Parses a manifest document of len bytes (need not be NUL-terminated) in
 * the given MF_FORMAT_*. On success returns 0 and *out (caller frees with
 * mf_free). On failure returns ERR_INVALID (not a manifest) or ERR_TOOBIG
 * (size, depth or alias limits) and *err holds the diagnostic without the
 * "Unable to parse manifest: " prefix (caller frees with free()). For
 * MF_FORMAT_AUTO both diagnostics are given, YAML first. Never blocks.
 */
int mf_parse(const char *data, size_t len, int format, mf_manifest_t **out,
             char **err);

/*
 * Reads a manifest object as stored by wadm (serde_json rules: strict
 * types). obj is borrowed. Returns 0 and *out, or ERR_INVALID/ERR_TOOBIG
 * and *err (caller frees both).
 */
int mf_from_json(const cJSON *obj, mf_manifest_t **out, char **err);

/*
 * The stored and returned form (manifest.md 8): exact member order and
 * omission rules, link traits in the new form, instances never replicas,
 * spread requirements always written. Caller owns the result (cJSON_Delete).
 */
cJSON *mf_to_json(const mf_manifest_t *m);

/* mf_to_json() printed compactly; caller frees with free(). */
char *mf_to_json_string(const mf_manifest_t *m);

/* ---- the model (mf_model.c) ---- */

/* Frees a manifest and everything it owns; NULL is a no-op. */
void mf_free(mf_manifest_t *m);

/* Deep copy; caller frees with mf_free(). */
mf_manifest_t *mf_dup(const mf_manifest_t *m);

/*
 * Whether two manifests hold the same model. Ignores only how deprecated
 * link keys were spelled in the source (raw_*_config).
 */
bool mf_equal(const mf_manifest_t *a, const mf_manifest_t *b);

/* Value of key in map, or NULL. */
const char *mf_map_get(const mf_map_t *map, const char *key);

/* Sets key in a sorted map (replacing any value). Strings are copied. */
void mf_map_set_sorted(mf_map_t *map, const char *key, const char *value);

/* The version annotation, or NULL when absent ("" is a version). */
const char *mf_version(const mf_manifest_t *m);

/* Sets the version annotation (the API inserts a generated ULID). */
void mf_version_set(mf_manifest_t *m, const char *version);

/* The description annotation, or NULL. */
const char *mf_description(const mf_manifest_t *m);

/* Whether the shared annotation is exactly "true" (manifest.md 3.2). */
bool mf_is_shared(const mf_manifest_t *m);

/* What a trait means to the reconciler (manifest.md 5.1 table): a link
 * is type "link" with link-shaped properties, a scaler is type
 * spreadscaler/daemonscaler with spreadscaler-shaped properties; every
 * other combination is accepted and ignored. */
#define MF_TRAIT_IGNORED 0
#define MF_TRAIT_LINK 1
#define MF_TRAIT_SPREAD 2
#define MF_TRAIT_DAEMON 3
int mf_trait_kind(const mf_trait_t *t);

/* Component by name, or NULL. */
const mf_component_t *mf_component_find(const mf_manifest_t *m,
                                        const char *name);

/* ---- identifiers (mf_ids.c, lattice.md 6.1-6.2) ---- */

/*
 * Lower-cases s and replaces every character that is not an ASCII letter
 * or digit by one '_' per Unicode character. Caller frees.
 */
char *mf_sanitize(const char *s);

/* sanitize(app) "-" sanitize(item); caller frees. */
char *mf_managed_name(const char *app, const char *item);

/*
 * The lattice id of a component: its explicit id, else for a shared
 * reference sanitize(app.name)-sanitize(app.component), else
 * sanitize(manifest name)-sanitize(component name). Caller frees.
 */
char *mf_component_id(const mf_manifest_t *m, const mf_component_t *c);

/* Config name on the lattice: managed name when the item has properties,
 * else its name verbatim. Caller frees. */
char *mf_config_name(const mf_manifest_t *m, const mf_config_t *cfg);

/* Secret reference config name: "SECRET_" + managed name. Caller frees. */
char *mf_secret_name(const mf_manifest_t *m, const mf_secret_t *s);

/* ---- validation (mf_validate.c, manifest.md 7) ---- */

#define MF_LEVEL_ERROR 0
#define MF_LEVEL_WARNING 1

/* Validation flags: the API runs MF_VALIDATE_API; wadmctl adds the
 * local-only warnings about deprecated link keys (V17, V18). */
#define MF_VALIDATE_API 0u
#define MF_VALIDATE_LOCAL 1u

typedef struct mf_issue {
    int level; /* MF_LEVEL_* */
    char *message;
} mf_issue_t;

typedef struct mf_report {
    mf_issue_t *items; /* in upstream rule order */
    size_t len;
    size_t cap;
} mf_report_t;

/* An empty report in caller storage; mf_report_destroy() frees its items
 * and leaves it empty. */
void mf_report_init(mf_report_t *r);
void mf_report_destroy(mf_report_t *r);

/* Message of the first error, or NULL. Borrowed from r. */
const char *mf_report_first_error(const mf_report_t *r);

/* Number of issues of a level. */
size_t mf_report_count(const mf_report_t *r, int level);

/*
 * Runs every rule of manifest.md 7 in upstream order with the exact
 * messages. Initialises *r (caller destroys it). Returns 0 when there is no
 * error (warnings allowed), ERR_INVALID otherwise.
 */
int mf_validate(const mf_manifest_t *m, unsigned flags, mf_report_t *r);

/*
 * The put handler's own checks before validation (api.md 4.1 steps 2-3):
 * version "latest", then the name after trimming surrounding whitespace
 * (ASCII letters, digits, '_' and '-' only: storage keys are ASCII, see
 * manifest.md 3.1). Returns 0, or ERR_INVALID with the exact reply
 * message in *msg (caller frees).
 */
int mf_put_check(const mf_manifest_t *m, char **msg);

/* name without surrounding Unicode white space (Rust's trim()), as the
 * put reply's "name" carries it. Caller frees. */
char *mf_name_trimmed(const char *name);

/* Whether name matches ^[-\w]+$ with Unicode \w (rule V1). */
bool mf_name_is_valid(const char *name);

/* ---- deploy-time checks across applications (mf_shared.c) ---- */

/*
 * Local names of the components of m whose shared-application reference
 * is not satisfied (manifest.md 6) by apps: for every application of the
 * lattice that has a deployed version, its current (latest put) version.
 * Returns the count; *names (caller frees the array only, the strings are
 * borrowed from m) is NULL when the count is 0.
 */
size_t mf_shared_missing(const mf_manifest_t *m,
                         const mf_manifest_t *const *apps, size_t n_apps,
                         const char ***names);

/*
 * Component-id clash (api.md 4.7 step 5). deployed holds the deployed
 * version of every deployed application of the lattice; those named like
 * m are skipped. Returns true for the first component of m whose explicit
 * id is used by another one, with *id and *app (the last such application
 * in deployed order) borrowed from the inputs.
 */
bool mf_id_clash(const mf_manifest_t *m,
                 const mf_manifest_t *const *deployed, size_t n_deployed,
                 const char **id, const char **app);

/*
 * Renders names as a Rust debug list, ["a", "b"], as used in the API's
 * messages. Caller frees.
 */
char *mf_debug_list(const char *const *names, size_t n);

#endif
