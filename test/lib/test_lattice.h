/*
 * test_lattice.h - building lattice snapshots and scaler lists for the
 * scaler suites and the scaler benchmark: hosts from heartbeat JSON
 * (decoded and applied as the reconciler does), scalers from manifest
 * YAML, and command lists rendered as short comparable text.
 */
#ifndef WADM_TEST_LATTICE_H
#define WADM_TEST_LATTICE_H

#include <stdbool.h>
#include <stddef.h>

#include "workers/reconciler/rec_scaler.h"

/* The head of a manifest named name, up to and including "spec:". */
#define TEST_LAT_MF_HEAD(name)                                                \
    "apiVersion: core.oam.dev/v1beta1\n"                                      \
    "kind: Application\n"                                                     \
    "metadata:\n"                                                             \
    "  name: " name "\n"                                                      \
    "  annotations: {}\n"                                                     \
    "spec:\n"

/* fixtures/manifests/simple.yaml as scalers.md 14.1 describes it. */
extern const char test_yaml_hello_simple[];

/* The cfg-demo application of scalers.md 14.9 (policy "vault" with
 * backend baobun and role_name app; secret without field or version). */
extern const char test_yaml_cfg_demo[];

/* A snapshot: state, link/config cache, and strings to free with it. */
typedef struct test_lat {
    rec_state_t state;
    rec_lcache_t cache;
    char **strs;
    size_t nstrs;
} test_lat_t;

/* An empty lattice whose link list is known (and empty). */
void test_lat_init(test_lat_t *l);
void test_lat_destroy(test_lat_t *l);

/* printf into a string owned by l (freed by test_lat_destroy). */
const char *test_lat_fmt(test_lat_t *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Applies a heartbeat of host id with labels "k=v,k2=v2" ("" for none;
 * the hostcore.* labels are added), components and providers given as the
 * inner text of JSON arrays (NULL or "" for none). Fails the test when
 * the heartbeat does not decode or apply.
 */
void test_lat_host(test_lat_t *l, const char *id, const char *labels,
                   const char *components, const char *providers);

/*
 * Decodes data as an event of kind from host (NULL for events without a
 * source) and applies it to the state; the event is returned in *ev when
 * ev is not NULL (caller destroys), else destroyed.
 */
void test_lat_event(test_lat_t *l, int kind, const char *host,
                    const char *data, rec_event_t *ev);

/* s as a JSON string literal, quotes included (owned by l). */
const char *test_lat_q(test_lat_t *l, const char *s);

/* A decoded event (caller destroys with rec_event_destroy). */
void test_event_decode(int kind, const char *host, const char *data,
                       rec_event_t *ev);

/*
 * Annotations JSON as a host reports them for app/scaler/spread: managed
 * ones plus scaler and spread_name (scaler NULL: managed ones only; app
 * NULL: {}). Owned by l.
 */
const char *test_lat_ann(test_lat_t *l, const char *app, const char *scaler,
                         const char *spread);

/* A heartbeat ComponentDescription / ProviderDescription (owned by l). */
const char *test_lat_comp(test_lat_t *l, const char *id, const char *ref,
                          const char *ann_json, unsigned count);
const char *test_lat_prov(test_lat_t *l, const char *id, const char *ref,
                          const char *ann_json);

/* Puts a link (no interfaces or configs) into l's link cache. */
void test_lat_link(test_lat_t *l, const char *source_id, const char *target,
                   const char *name, const char *ns, const char *pkg);

/* The view scalers read (cleanup: every target 0). */
rec_view_t test_lat_view(test_lat_t *l, bool is_cleanup);

/*
 * Parses YAML and builds its scaler list (fails the test when the text
 * does not parse). Returns the count; free *out with rec_scalers_free().
 */
size_t test_scalers_yaml(const char *yaml, rec_scaler_t ***out);

/* The same for a fixture; returns 0 and *out NULL when it is absent. */
size_t test_scalers_fixture(const char *rel, rec_scaler_t ***out);

/* The scaler whose name is name (fails the test when none). */
rec_scaler_t *test_scaler_named(rec_scaler_t **v, size_t n,
                                const char *name);

/*
 * Commands as text, one token per command separated by spaces:
 * Scale(H1,4,east) (spread "-" when the command has no annotations),
 * Start(H2,one), Stop(H1), PutLink(src,tgt,name),
 * DelLink(src,name,ns,pkg), PutConfig(name), DelConfig(name). A scaler
 * annotation other than the command's scaler id shows as "!scaler".
 * Caller frees.
 */
char *test_cmds_render(const rec_cmds_t *cmds);

/*
 * Runs the wrapped scaler's reconcile, or its cleanup, against l: returns
 * the rendered commands, keeps them in *cmds when cmds is not NULL
 * (caller destroys), and the status in *type and *msg when not NULL (*msg
 * owned by l).
 */
const char *test_reconcile(const rec_scaler_t *s, test_lat_t *l,
                           rec_cmds_t *cmds, int *type, const char **msg);
const char *test_cleanup(const rec_scaler_t *s, test_lat_t *l,
                         rec_cmds_t *cmds);

/* Command c's subject in lattice "default" and body must be exactly these. */
void test_expect_cmd(const rec_cmd_t *c, const char *subject,
                     const char *body);

#endif
