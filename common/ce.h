/*
 * ce.h - the CloudEvent envelope scanner (spec/lattice.md 2.2, 2.3).
 *
 * Ingest runs it on every lattice event: it checks that the payload is one
 * well-formed JSON object carrying a valid CloudEvents 1.0 envelope, maps
 * `type` to a CE_KIND_* and finds the bytes of `data` (or decodes
 * `data_base64`), without building a JSON tree. The reconciler parses only
 * the data bytes (workers/reconciler/rec_event.h). Kind numbers travel in
 * EVENT frames: never renumber, only append.
 */
#ifndef WADM_CE_H
#define WADM_CE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * X(number, NAME, name, CloudEvent type). UNKNOWN and IGNORED have no
 * single type: IGNORED covers the types wadm acknowledges and drops
 * (labels_changed, linkdef_set_failed), UNKNOWN every other type.
 */
#define CE_KIND_LIST(X)                                                       \
    X(0, UNKNOWN, unknown, NULL)                                              \
    X(1, IGNORED, ignored, NULL)                                              \
    X(2, HOST_HEARTBEAT, host_heartbeat,                                      \
      "com.wasmcloud.lattice.host_heartbeat")                                 \
    X(3, HOST_STARTED, host_started, "com.wasmcloud.lattice.host_started")    \
    X(4, HOST_STOPPED, host_stopped, "com.wasmcloud.lattice.host_stopped")    \
    X(5, COMPONENT_SCALED, component_scaled,                                  \
      "com.wasmcloud.lattice.component_scaled")                               \
    X(6, COMPONENT_SCALE_FAILED, component_scale_failed,                      \
      "com.wasmcloud.lattice.component_scale_failed")                         \
    X(7, PROVIDER_STARTED, provider_started,                                  \
      "com.wasmcloud.lattice.provider_started")                               \
    X(8, PROVIDER_START_FAILED, provider_start_failed,                        \
      "com.wasmcloud.lattice.provider_start_failed")                          \
    X(9, PROVIDER_STOPPED, provider_stopped,                                  \
      "com.wasmcloud.lattice.provider_stopped")                               \
    X(10, HEALTH_CHECK_PASSED, health_check_passed,                           \
      "com.wasmcloud.lattice.health_check_passed")                            \
    X(11, HEALTH_CHECK_FAILED, health_check_failed,                           \
      "com.wasmcloud.lattice.health_check_failed")                            \
    X(12, HEALTH_CHECK_STATUS, health_check_status,                           \
      "com.wasmcloud.lattice.health_check_status")                            \
    X(13, LINKDEF_SET, linkdef_set, "com.wasmcloud.lattice.linkdef_set")      \
    X(14, LINKDEF_DELETED, linkdef_deleted,                                   \
      "com.wasmcloud.lattice.linkdef_deleted")                                \
    X(15, CONFIG_SET, config_set, "com.wasmcloud.lattice.config_set")         \
    X(16, CONFIG_DELETED, config_deleted,                                     \
      "com.wasmcloud.lattice.config_deleted")                                 \
    X(17, MANIFEST_PUBLISHED, manifest_published,                             \
      "com.wadm.manifest_published")                                          \
    X(18, MANIFEST_UNPUBLISHED, manifest_unpublished,                         \
      "com.wadm.manifest_unpublished")

enum ce_kind {
#define CE_KIND_ENUM(num, NAME, name, type) CE_KIND_##NAME = num,
    CE_KIND_LIST(CE_KIND_ENUM)
#undef CE_KIND_ENUM
    CE_KIND_COUNT
};

/*
 * Nesting allowed in one event, the envelope object included: serde_json
 * fails at the 128th level, so what upstream parses we parse.
 */
#define CE_DEPTH_MAX 127
#define CE_REASON_MAX 160
/* Room for the unescaped string attributes before falling back to heap. */
#define CE_SCRATCH_BYTES 512

/*
 * A scanned envelope. String attributes are unescaped, NUL-terminated and
 * owned by the envelope (they may live in its scratch array, so never copy
 * the struct by value). `data` points into the scanned input, or to the
 * decoded `data_base64` bytes owned by the envelope.
 */
typedef struct ce_envelope {
    int kind;                    /* CE_KIND_* */
    const char *specversion;     /* always "1.0" after a successful scan */
    const char *type;
    const char *source;
    const char *id;
    const char *time;            /* NULL when absent or null */
    const char *datacontenttype; /* NULL when absent or null */
    size_t source_len;
    const char *data;            /* JSON text of the payload; NULL if none */
    size_t data_len;
    bool is_data_base64;         /* data came from data_base64 */
    char reason[CE_REASON_MAX];  /* why the scan failed ("" on success) */
    /* private */
    char *heap_strings;
    char *heap_data;
    char scratch[CE_SCRATCH_BYTES];
} ce_envelope_t;

/*
 * Scans one CloudEvent of len bytes (not necessarily NUL-terminated) into
 * out, which needs no initialisation. Returns 0, ERR_PROTO (malformed JSON,
 * not an object, a missing or mistyped attribute, an unsupported
 * specversion, a bad time, a non-JSON content type or missing/non-object
 * data for a handled kind) or ERR_TOOBIG (nesting deeper than CE_DEPTH_MAX);
 * out->reason then says why in one lower-case line. An unknown or ignored
 * type is a success with kind CE_KIND_UNKNOWN or CE_KIND_IGNORED (data may
 * then be NULL). The input must outlive out when data points into it.
 * Never blocks; runs in time linear in len. Call ce_envelope_destroy()
 * afterwards whatever the result.
 */
int ce_scan(const char *json, size_t len, ce_envelope_t *out);

/*
 * Finds the top-level members names[0..n-1] of the JSON object json (len
 * bytes): off[i] and vlen[i] get the byte span of the value of names[i]
 * (quotes included for a string; vlen 0 when the member is absent; the
 * last one wins when a name repeats). Keys are compared unescaped.
 * Returns 0, or ERR_PROTO / ERR_TOOBIG when json is not one valid object.
 * Linear in len, no allocation.
 */
int ce_object_members(const char *json, size_t len, const char *const names[],
                      size_t n, size_t off[], size_t vlen[]);

/* Frees what ce_scan() allocated for env (safe to call twice). */
void ce_envelope_destroy(ce_envelope_t *env);

/*
 * Maps a CloudEvent type string to its CE_KIND_*: CE_KIND_IGNORED for the
 * acknowledged-and-dropped types, CE_KIND_UNKNOWN for anything else.
 */
int ce_kind_from_type(const char *type);

/* Static lower-case name of a kind ("host_heartbeat"); "invalid" if none. */
const char *ce_kind_name(int kind);

/* The CloudEvent type of a handled kind, or NULL (UNKNOWN, IGNORED). */
const char *ce_kind_type(int kind);

/*
 * Whether a kind takes its host id from the envelope `source` (heartbeat,
 * host, component and provider events) rather than from data or nowhere.
 */
bool ce_kind_is_host_sourced(int kind);

#endif
