/*
 * test_life.h - application lifecycles on real processes: a private
 * nats-server, build/hostsim and build/wadm, driven over NATS as a client
 * (wash) would: put, deploy, undeploy, status; and the simulated hosts'
 * command record and inventory read back to check what wadm sent.
 *
 * Used by the lifecycle suites and the deploy benchmark. Every wait is
 * for a condition with a deadline; nothing sleeps to synchronise.
 */
#ifndef WADM_TEST_LIFE_H
#define WADM_TEST_LIFE_H

#include <cjson/cJSON.h>
#include <check.h>
#include <nats/nats.h>
#include <stdbool.h>

#include "test/lib/test_hostsim.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

typedef struct test_life {
    test_hs_t hs;
    test_wadm_t wadm;
    natsSubscription *status_sub;  /* wadm.status.<lattice>.> */
    cJSON *statuses;               /* [{"app","doc"}] received since mark */
    char rec_section[96];          /* "worker rec.<lattice>" */
} test_life_t;

/*
 * Starts nats-server, hostsim (hosts hosts, args as in test_hs_start) and
 * wadm (extra args, NULL terminated, may be NULL), and waits until the
 * lattice's reconciler knows every host. Returns 0; 1 when skipped
 * (test_skip() called); -1 on failure.
 */
int test_life_start(test_life_t *t, const char *lattice, int hosts,
                    const char *const hs_args[], char *const wadm_extra[]);

/* Stops wadm (failing on a sanitizer report), hostsim and nats-server. */
void test_life_destroy(test_life_t *t);

/*
 * Request on wadm.api.<lattice>.model.<op>[.<name>] with body (may be
 * NULL); the parsed reply (caller deletes), or NULL.
 */
cJSON *test_life_api(test_life_t *t, const char *op, const char *name,
                     const char *body);

/*
 * In a test: starts lattice "default" with nhosts simulated hosts
 * (heartbeats every second, health checks 200 ms after a start; the
 * hostsim flags that follow, NULL terminated, may override them) and
 * wadm with wadm_extra (may be NULL). Returns from the test when it is
 * skipped, fails it when the lattice does not start. With needs_fixtures,
 * skips visibly when the shared fixtures are absent.
 */
#define TEST_LIFE_START(t, needs_fixtures, nhosts, wadm_extra, ...)         \
    do {                                                                     \
        if ((needs_fixtures) && test_fixtures_dir() == NULL) {               \
            test_skip("%s: fixtures absent", __func__);                      \
            return;                                                          \
        }                                                                    \
        const char *args_[] = {"--heartbeat-ms", "1000",                     \
                               "--health-delay-ms", "200", __VA_ARGS__};     \
        int rc_ = test_life_start((t), "default", (nhosts), args_,          \
                                  (wadm_extra));                             \
        if (rc_ == 1)                                                        \
            return;                                                          \
        ck_assert_msg(rc_ == 0, "lattice did not start");                    \
    } while (0)

/* Manifest text: the head of an app named name, up to its components. */
#define TEST_LIFE_MF_HEAD(name)                                              \
    "apiVersion: core.oam.dev/v1beta1\n"                                     \
    "kind: Application\n"                                                    \
    "metadata:\n"                                                            \
    "  name: " name "\n"                                                     \
    "  annotations: {}\n"                                                    \
    "spec:\n"                                                                \
    "  components:\n"

/* Manifest text: a component entry, up to its traits. */
#define TEST_LIFE_MF_COMPONENT(cname, image)                                 \
    "    - name: " cname "\n"                                                \
    "      type: component\n"                                                \
    "      properties:\n"                                                    \
    "        image: " image "\n"                                             \
    "      traits:\n"

/* App upgrade-demo of scalers.md 14.6 at image ghcr.io/example/web:ver. */
#define TEST_LIFE_UPGRADE_DEMO(ver)                                          \
    TEST_LIFE_MF_HEAD("upgrade-demo")                                        \
    TEST_LIFE_MF_COMPONENT("web", "ghcr.io/example/web:" ver)                \
    "        - type: spreadscaler\n"                                         \
    "          properties:\n"                                                \
    "            instances: 2\n"
/* Its scaler ids at 1.0.0 and 1.1.0. */
#define TEST_LIFE_UPGRADE_OLD                                                \
    "ba8d6af3c7ec245f0975d7446c72e5e58e9e05e229e88eadb534953f3bd5b9f9"
#define TEST_LIFE_UPGRADE_NEW                                                \
    "f750e91f0d47271e3a908bbdd0dd3886a465eaa11c9ba0128cead2e4ae791318"

/*
 * A manifest named name: component "web" (image, spreadscaler instances)
 * and, when bucket is not NULL, a provider "kv" (one instance) linked to
 * it with the inline source config conf = {bucket}. Caller frees.
 */
char *test_life_app_yaml(const char *name, const char *image,
                         unsigned instances, const char *bucket);

/*
 * model.put of the manifest text; fails the test unless stored. Returns
 * the version it got (static buffer, valid until the next call).
 */
const char *test_life_put(test_life_t *t, const char *text);

/*
 * model.put of the manifest text, then model.deploy of the version the
 * put returned; fails the test unless both succeed. Returns the app
 * name (static buffer, valid until the next call).
 */
const char *test_life_deploy_text(test_life_t *t, const char *text);

/* As test_life_deploy_text() with a file. */
const char *test_life_deploy_file(test_life_t *t, const char *path);

/* model.undeploy.<app>; fails the test unless acknowledged. */
void test_life_undeploy(test_life_t *t, const char *app);

/*
 * Polls model.status.<app> until its type is want (and, when not NULL,
 * its message contains substr), up to timeout_ms. Returns the status
 * object {"status","scalers"...} (caller deletes) or NULL; on timeout the
 * last one seen is printed to stderr.
 */
cJSON *test_life_wait_status(test_life_t *t, const char *app,
                             const char *want, const char *substr,
                             unsigned timeout_ms);

/* Forgets the status documents received so far. */
void test_life_status_mark(test_life_t *t);

/*
 * Waits up to timeout_ms for a status document of app published since the
 * last mark with type want (message containing substr when not NULL).
 * Returns a copy (caller deletes) or NULL.
 */
cJSON *test_life_saw_status(test_life_t *t, const char *app,
                            const char *want, const char *substr,
                            unsigned timeout_ms);

/* How many status documents of app were published since the mark. */
int test_life_status_count(test_life_t *t, const char *app);

/* The type and message of a status document ("" when absent). */
const char *test_life_stype(const cJSON *doc);
const char *test_life_smsg(const cJSON *doc);

/*
 * hostsim's command record ("commands" verb) filtered by host and kind
 * (NULL: all); the response object (caller deletes).
 */
cJSON *test_life_commands(test_life_t *t, const char *host,
                          const char *kind);

/* Count of recorded requests of kind (e.g. "provider.start"). */
long test_life_count(test_life_t *t, const char *kind);

/*
 * The commands (not queries: no host.ping, host.get, link.get, config.get,
 * claims.get) recorded with seq > after, in arrival order: an array of
 * {"seq","subject","kind","host","body"} (caller deletes).
 */
cJSON *test_life_actions(test_life_t *t, long after);

/* The seq of the last recorded request (0 when none). */
long test_life_last_seq(test_life_t *t);

/* Clears hostsim's command record. */
void test_life_reset_record(test_life_t *t);

/*
 * Instances of component id running on host (NULL: all running hosts),
 * from hostsim's inventory.
 */
long test_life_instances(test_life_t *t, const char *id, const char *host);

/* Hosts running provider id (host NULL: all), from the inventory. */
long test_life_providers(test_life_t *t, const char *id, const char *host);

/*
 * The image reference a host runs component or provider id from (static
 * buffer), or NULL when no host runs it.
 */
const char *test_life_image(test_life_t *t, const char *id);

/* Links in the lattice (link.get) with source_id (NULL: all). */
long test_life_links(test_life_t *t, const char *source_id);

/* Whether config name exists (config.get). */
bool test_life_config_exists(test_life_t *t, const char *name);

/* Whether config name exists holding exactly the JSON object want. */
bool test_life_config_is(test_life_t *t, const char *name, const char *want);

/*
 * The link from source_id named name in the lattice (link.get), or NULL;
 * caller deletes.
 */
cJSON *test_life_link(test_life_t *t, const char *source_id,
                      const char *name);

/*
 * Waits until the inventory shows want instances of component id in all
 * (and no more), up to timeout_ms. Returns whether it did.
 */
bool test_life_wait_instances(test_life_t *t, const char *id, long want,
                              unsigned timeout_ms);

/* The same for the number of hosts running provider id. */
bool test_life_wait_providers(test_life_t *t, const char *id, long want,
                              unsigned timeout_ms);

/* A dump value of the lattice's reconciler (-1 when absent). */
long test_life_rec_num(test_life_t *t, const char *key);

/* Index of host id in t->hs.ids, or -1. */
int test_life_host_index(test_life_t *t, const char *id);

/*
 * Waits until at least n commands (test_life_actions) were recorded after
 * seq after, up to timeout_ms; returns them (caller deletes) or NULL.
 */
cJSON *test_life_wait_actions(test_life_t *t, long after, int n,
                              unsigned timeout_ms);

/*
 * Checks that the commands recorded after seq after are exactly the
 * expected ones in order: expected alternates subject and body strings
 * and ends with NULL. On mismatch the test fails showing both lists.
 */
void test_life_expect_actions(test_life_t *t, long after,
                              const char *const expected[]);

/* Bodies of lattice.md 5.4 as wadm sends them, into buf (returned). */
const char *test_life_scale_body(char *buf, size_t cap, const char *ref,
                                 const char *id, const char *app,
                                 const char *scaler, const char *spread,
                                 unsigned count, const char *host,
                                 const char *config_json);
const char *test_life_start_body(char *buf, size_t cap, const char *ref,
                                 const char *id, const char *app,
                                 const char *scaler, const char *spread,
                                 const char *host, const char *config_json);
const char *test_life_stop_body(char *buf, size_t cap, const char *id,
                                const char *host);

/*
 * Sends component.scale (or provider.start) straight to host with the
 * given annotations (JSON object text), as an earlier wadm would have,
 * and requires success.
 */
void test_life_preload_component(test_life_t *t, const char *host,
                                 const char *id, const char *ref,
                                 const char *annotations, unsigned count);
void test_life_preload_provider(test_life_t *t, const char *host,
                                const char *id, const char *ref,
                                const char *annotations);

/* Polls the reconciler's dump until key equals want; returns whether. */
bool test_life_wait_rec_num(test_life_t *t, const char *key, long want,
                            unsigned timeout_ms);

/*
 * Adds test to s in a TCase of its own named name (so that CK_RUN_CASE
 * runs it alone) with a timeout of timeout_s seconds.
 */
void test_life_add(Suite *s, const char *name, const TTest *test,
                   int timeout_s);

/* Control subject of the test lattice: wasmbus.ctl.v1.<lattice>.<rest>. */
const char *test_life_subject(test_life_t *t, char *buf, size_t cap,
                              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
