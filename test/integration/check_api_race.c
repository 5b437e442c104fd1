/*
 * check_api_race.c - concurrent API requests: two puts of the same new
 * application at once (each gets a ULID, both must be stored), against
 * one wadm and against two wadm instances sharing the requests (queue
 * group wadm_server, revision-checked writes, storage.md 2.4); and
 * deploy/undeploy racing with puts, which must leave a valid record.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsx.h"
#include "test/lib/test_api.h"
#include "test/lib/test_util.h"

#define RACE_ROUNDS 50

static test_api_t api;

/* One client thread: its own connection, a list of requests to send. */
typedef struct racer {
    natsConnection *nc;
    pthread_barrier_t *barrier;
    const char *const *ops;   /* "put:<name>" or an op suffix, NULL ends */
    const char *body;         /* body of non-put requests */
    int rounds;
    int replies;              /* requests answered */
    int ok;                   /* answered with a success result */
    char failure[800];        /* first unexpected reply */
} racer_t;

static char *
racer_request(natsConnection *nc, const char *subject, const char *body)
{
    natsMsg *m = NULL;
    if (natsConnection_Request(&m, nc, subject, body, (int)strlen(body),
                               TEST_API_WAIT_MS) != NATS_OK)
        return NULL;
    char *text = strndup(natsMsg_GetData(m),
                         (size_t)natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return text;
}

static bool
racer_is_success(const char *result)
{
    static const char *const ok[] = {"created", "newversion", "success",
                                     "acknowledged", "deleted", "ok", NULL};
    for (int i = 0; ok[i]; i++)
        if (strcmp(result, ok[i]) == 0)
            return true;
    return false;
}

/* Round r: put of a version-less manifest named <prefix>-<r>. */
static void *
racer_run(void *arg)
{
    racer_t *rc = arg;
    for (int r = 0; r < rc->rounds; r++) {
        if (rc->barrier)
            pthread_barrier_wait(rc->barrier);
        const char *op = rc->ops[r % 2 == 0 || rc->ops[1] == NULL ? 0 : 1];
        char subject[256];
        char *body;
        if (strncmp(op, "put:", 4) == 0) {
            char name[128];
            snprintf(name, sizeof(name), "%s", op + 4);
            if (strstr(name, "%d")) {
                char fmt[128];
                snprintf(fmt, sizeof(fmt), "%s", name);
                snprintf(name, sizeof(name), fmt, r);
            }
            body = test_api_manifest(name, NULL, NULL);
            snprintf(subject, sizeof(subject),
                     "wadm.api.default.model.put");
        } else {
            body = strdup(rc->body ? rc->body : "");
            snprintf(subject, sizeof(subject), "wadm.api.default.%s", op);
        }
        char *text = racer_request(rc->nc, subject, body);
        free(body);
        cJSON *o = text ? cJSON_Parse(text) : NULL;
        if (o != NULL)
            rc->replies++;
        if (o && racer_is_success(test_json_str(o, "result")))
            rc->ok++;
        else if (rc->failure[0] == '\0')
            snprintf(rc->failure, sizeof(rc->failure), "%s: %.400s", subject,
                     text ? text : "no reply");
        cJSON_Delete(o);
        free(text);
    }
    return NULL;
}

/* Runs n racers at once and waits for them. */
static void
race(racer_t *racers, int n)
{
    pthread_t th[8];
    for (int i = 0; i < n; i++) {
        racers[i].nc = test_nc_connect(api.nats.url);
        ck_assert_ptr_nonnull(racers[i].nc);
    }
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, racer_run,
                                        &racers[i]),
                         0);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++)
        natsConnection_Destroy(racers[i].nc);
}

/* Two clients put "race-<round>" at the same moment, RACE_ROUNDS times. */
static void
concurrent_first_puts(void)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    static const char *const ops[] = {"put:race-%d", NULL};
    racer_t racers[2];
    memset(racers, 0, sizeof(racers));
    for (int i = 0; i < 2; i++) {
        racers[i].barrier = &barrier;
        racers[i].ops = ops;
        racers[i].rounds = RACE_ROUNDS;
    }
    race(racers, 2);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(racers[i].ok == RACE_ROUNDS, "racer %d: %d of %d puts "
                      "succeeded; first failure %s", i, racers[i].ok,
                      RACE_ROUNDS, racers[i].failure);
    /* no version lost: both ULIDs of every round are stored */
    for (int r = 0; r < RACE_ROUNDS; r++) {
        char op[128];
        snprintf(op, sizeof(op), "model.versions.race-%d", r);
        cJSON *v = test_api_call(&api, op, NULL);
        int n = cJSON_GetArraySize(cJSON_GetObjectItem(v, "versions"));
        ck_assert_msg(n == 2, "race-%d has %d versions", r, n);
        cJSON_Delete(v);
    }
    cJSON *list = test_api_call(&api, "model.list", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(list), RACE_ROUNDS);
    cJSON_Delete(list);
}

START_TEST(test_api_concurrent_first_puts_one_instance)
{
    if (test_api_start(&api, NULL) != 0)
        return;
    concurrent_first_puts();
    test_api_stop(&api);
}
END_TEST

static long
ingest_requests(test_wadm_t *w)
{
    char *d = test_wadm_dump(w);
    long n = d ? test_dump_num(d, "worker ingest.0", "api_in_total") : -1;
    free(d);
    return n;
}

START_TEST(test_api_concurrent_first_puts_two_instances)
{
    if (test_api_start(&api, NULL) != 0)
        return;
    test_api_start_second(&api);
    concurrent_first_puts();
    /* both instances took part */
    ck_assert_int_gt(ingest_requests(&api.wadm), 0);
    ck_assert_int_gt(ingest_requests(&api.wadm2), 0);
    test_api_stop(&api);
}
END_TEST

/* The record of app is valid and its deployed version is stored. */
static void
expect_consistent_record(const char *app, int min_versions)
{
    char key[128];
    snprintf(key, sizeof(key), "default-%s", app);
    char *text = test_kv_get(&api, key);
    ck_assert_ptr_nonnull(text);
    cJSON *rec = cJSON_Parse(text);
    ck_assert_msg(rec != NULL, "record is not JSON: %.300s", text);
    cJSON *versions = cJSON_GetObjectItem(rec, "manifests");
    ck_assert(cJSON_IsObject(versions));
    ck_assert_int_ge(cJSON_GetArraySize(versions), min_versions);
    for (cJSON *v = versions->child; v; v = v->next) {
        const cJSON *ann = cJSON_GetObjectItem(
            cJSON_GetObjectItem(v, "metadata"), "annotations");
        ck_assert_str_eq(test_json_str(ann, "version"), v->string);
    }
    cJSON *dv = cJSON_GetObjectItem(rec, "deployed_version");
    ck_assert_msg(cJSON_IsNull(dv) ||
                      (cJSON_IsString(dv) &&
                       cJSON_GetObjectItem(versions, dv->valuestring)),
                  "deployed_version is not a stored version: %.300s", text);
    cJSON_Delete(rec);
    free(text);
}

static void
deploy_races_with_puts(void)
{
    /* a first version so that deploy has something to deploy */
    char *m = test_api_manifest("mix", "v0", NULL);
    cJSON *r = test_api_put(&api, m, NULL);
    ck_assert_str_eq(test_json_str(r, "result"), "created");
    cJSON_Delete(r);
    free(m);
    static const char *const puts[] = {"put:mix", NULL};
    static const char *const flips[] = {"model.deploy.mix",
                                        "model.undeploy.mix"};
    racer_t racers[3];
    memset(racers, 0, sizeof(racers));
    racers[0].ops = puts;
    racers[0].rounds = 30;
    racers[1].ops = flips;
    racers[1].rounds = 30;
    racers[2].ops = flips;
    racers[2].rounds = 30;
    racers[2].body = "{\"version\":\"v0\"}";
    race(racers, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(racers[i].replies == racers[i].rounds,
                      "racer %d: %d of %d answered (%s)", i,
                      racers[i].replies, racers[i].rounds,
                      racers[i].failure);
    /* every acknowledged put is stored */
    expect_consistent_record("mix", 1 + racers[0].ok);
    cJSON *v = test_api_call(&api, "model.versions.mix", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "versions")),
                     1 + racers[0].ok);
    cJSON_Delete(v);
}

START_TEST(test_api_deploy_races_with_put_one_instance)
{
    if (test_api_start(&api, NULL) != 0)
        return;
    deploy_races_with_puts();
    test_api_stop(&api);
}
END_TEST

START_TEST(test_api_deploy_races_with_put_two_instances)
{
    if (test_api_start(&api, NULL) != 0)
        return;
    test_api_start_second(&api);
    deploy_races_with_puts();
    test_api_stop(&api);
}
END_TEST

/*
 * jsx_kv_get(): the read every decision of a reconciler rests on (the
 * lease, the deployed manifests, the lattice state) goes to the bucket
 * stream's leader, so that a read after a write sees it even when a
 * replica lags (a kvStore_Get() direct get may be answered by any
 * replica; make chaos saw an owner read v2 of an app 6 ms after it had
 * stored v3, scale down to v2's count and up again). Here its answers:
 * value and revision as kvStore_Get() gives them, not found for absent,
 * deleted and purged keys.
 */
START_TEST(test_api_kv_get_from_the_leader)
{
    if (!test_nats_available()) {
        test_skip("%s: nats-server is not installed", __func__);
        return;
    }
    test_nats_t n;
    ck_assert_int_eq(test_nats_start(&n, NULL), 0);
    natsConnection *nc = test_nc_connect(n.url);
    ck_assert_ptr_nonnull(nc);
    jsCtx *js = NULL;
    ck_assert_int_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = "kvget";
    kvStore *kv = NULL;
    ck_assert_int_eq(js_CreateKeyValue(&kv, js, &kc), NATS_OK);
    uint64_t rev = 0;
    ck_assert_int_eq(kvStore_PutString(&rev, kv, "a", "one"), NATS_OK);
    ck_assert_int_eq(kvStore_PutString(&rev, kv, "a", "two"), NATS_OK);
    char *v = NULL;
    size_t len = 0;
    uint64_t got = 0;
    ck_assert_int_eq(jsx_kv_get(js, kv, "a", &v, &len, &got), NATS_OK);
    ck_assert_str_eq(v, "two");
    ck_assert_uint_eq(len, 3);
    ck_assert_uint_eq(got, rev);
    free(v);
    ck_assert_int_eq(jsx_kv_get(js, kv, "absent", &v, &len, &got),
                     NATS_NOT_FOUND);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(kvStore_Delete(kv, "a"), NATS_OK);
    ck_assert_int_eq(jsx_kv_get(js, kv, "a", &v, &len, &got),
                     NATS_NOT_FOUND);
    ck_assert_int_eq(kvStore_PutString(&rev, kv, "b", "x"), NATS_OK);
    ck_assert_int_eq(kvStore_Purge(kv, "b", NULL), NATS_OK);
    ck_assert_int_eq(jsx_kv_get(js, kv, "b", &v, &len, &got),
                     NATS_NOT_FOUND);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    test_nats_destroy(&n);
}
END_TEST

Suite *
api_race_suite(void)
{
    Suite *s = suite_create("api_race");
    TCase *tc = tcase_create("race");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_api_concurrent_first_puts_one_instance);
    tcase_add_test(tc, test_api_concurrent_first_puts_two_instances);
    tcase_add_test(tc, test_api_deploy_races_with_put_one_instance);
    tcase_add_test(tc, test_api_deploy_races_with_put_two_instances);
    tcase_add_test(tc, test_api_kv_get_from_the_leader);
    suite_add_tcase(s, tc);
    return s;
}
