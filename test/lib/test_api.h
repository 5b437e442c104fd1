/*
 * test_api.h - helpers for tests of the wadm NATS API (spec/api.md): a
 * private nats-server and build/wadm, requests sent with nats.c, replies
 * compared with the spec's JSON, direct access to the manifest bucket and
 * the wadm.evt.<lattice>.> events.
 *
 * Every process started here is also stopped at exit(), so a failing
 * assertion (which exits the forked test) leaves nothing running.
 */
#ifndef WADM_TEST_API_H
#define WADM_TEST_API_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>

#include "test/lib/test_proc.h"
#include "test/lib/test_wadm.h"

/* Long enough for wadm's own 3000 ms API deadline to answer first. */
#define TEST_API_WAIT_MS 6000

typedef struct test_api {
    test_nats_t nats;
    test_wadm_t wadm;
    test_wadm_t wadm2;      /* a second instance, see test_api_start_second */
    natsConnection *nc;
    jsCtx *js;
    kvStore *kv;            /* wadm_manifests, opened on first use */
    char lattice[64];       /* "default" unless changed by the test */
    char prefix[128];       /* "wadm.api", or "ACCOUNT.wadm.api" */
} test_api_t;

/*
 * Starts nats-server and wadm (extra args NULL terminated, may be NULL)
 * and connects a client. Returns 0; 1 after test_skip() when nats-server
 * or the wadm binary is missing; fails the test otherwise.
 */
int test_api_start(test_api_t *t, char *const extra[]);

/*
 * Starts a second wadm on the same nats-server (own run directory), so
 * that API requests are shared between two instances (queue group).
 */
void test_api_start_second(test_api_t *t);

/* Stops everything; fails the test if wadm's log has a sanitizer report. */
void test_api_stop(test_api_t *t);

/*
 * Sends body (len bytes) to subject, with header hname: hval when hname is
 * not NULL, and waits up to timeout_ms. Returns the reply body (caller
 * frees) or NULL, with the nats.c status in *st when st is not NULL.
 */
char *test_api_request(test_api_t *t, const char *subject, const void *body,
                       size_t len, const char *hname, const char *hval,
                       unsigned timeout_ms, natsStatus *st);

/*
 * Request on {prefix}.{lattice}.{op} (e.g. "model.get.echo") with body
 * (NULL: empty). Fails the test unless a JSON reply comes within
 * TEST_API_WAIT_MS. Caller deletes the result.
 */
cJSON *test_api_call(test_api_t *t, const char *op, const char *body);

/* test_api_call(), then test_json_expect() of the reply against want. */
void test_api_expect(test_api_t *t, const char *op, const char *body,
                     const char *want);

/* test_api_expect() for each of bodies (NULL terminated). */
void test_api_expect_each(test_api_t *t, const char *op,
                          const char *const *bodies, const char *want);

/* {"version":"<version>"} in a static buffer (overwritten by each call). */
const char *test_api_vbody(const char *version);

/*
 * Puts test_api_manifest(name, version, description) and fails the test
 * unless it is stored (created or newversion).
 */
void test_api_put_ok(test_api_t *t, const char *name, const char *version,
                     const char *description);

/* model.put with an optional Content-Type header (NULL: none). */
cJSON *test_api_put(test_api_t *t, const char *body, const char *ctype);

/* As test_api_put() with a fixture file read in place. */
cJSON *test_api_put_file(test_api_t *t, const char *path, const char *ctype);

/*
 * Compares got with the JSON text want, member order included, and fails
 * the test showing both on a difference. In want, these strings match
 * more than themselves: "<any>" any value, "<str>" any string, "<ulid>" a
 * ULID (26 Crockford base32 characters), "<uuid>" a UUID, "<time>" an RFC
 * 3339 UTC time, and "<prefix>TEXT" any string starting with TEXT.
 */
void test_json_expect(const cJSON *got, const char *want);

/* The same without failing: true on a match, else why holds the path. */
bool test_json_match(const cJSON *got, const cJSON *want, char *why,
                     size_t cap);

/* Whether s is a ULID (26 characters of Crockford base32, upper case). */
bool test_is_ulid(const char *s);

/* A string member of obj ("" when absent or not a string). */
const char *test_json_str(const cJSON *obj, const char *key);

/*
 * The value of key in the wadm_manifests bucket (caller frees), or NULL
 * when absent (or deleted/purged).
 */
char *test_kv_get(test_api_t *t, const char *key);

/* Writes value under key in wadm_manifests. Fails the test on error. */
void test_kv_put(test_api_t *t, const char *key, const char *value);

/* A subscription to wadm.evt.{lattice}.> (flushed before return). */
natsSubscription *test_api_events(test_api_t *t);

/* The next event on sub within timeout_ms, parsed (caller deletes). */
cJSON *test_api_next_event(natsSubscription *sub, unsigned timeout_ms);

/*
 * Proves that no event was published since the last one read: deletes a
 * marker application (which always emits manifest_unpublished for it)
 * and fails the test unless that marker event is the next one.
 */
void test_api_expect_no_event(test_api_t *t, natsSubscription *sub);

/* The pid of rec.{lattice} from the status dump, -1 if not running. */
long test_api_rec_pid(test_api_t *t);

/* Total restarts recorded in the dump for every worker (-1 on error). */
long test_api_restarts(test_api_t *t);

/* The image of the manifests below (the spec's echo example). */
#define TEST_API_IMAGE \
    "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"

/*
 * The spec's echo manifest (api.md 4.1) as YAML, named name, with a
 * version annotation when version is not NULL and a description when
 * description is not NULL. Caller frees. Usable outside Check tests.
 */
char *test_api_manifest(const char *name, const char *version,
                        const char *description);

/*
 * The stored form (manifest.md 8) of test_api_manifest(name, version,
 * description) as JSON text, for test_json_expect(). Caller frees.
 */
char *test_api_stored(const char *name, const char *version,
                      const char *description);

#endif
