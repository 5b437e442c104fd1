/*
 * chaos_api.c - build/chaos: the wadm API over NATS as wash drives it
 * (model.put with a JSON manifest, then model.deploy), the hostsim admin
 * verbs, and the re-versioning thread that changes applications while
 * processes are being killed.
 *
 * Every call is retried a bounded number of times: during the chaos a
 * request may time out, find no responder or get "Internal storage error"
 * while JetStream elects a new leader. A put and a deploy can be repeated
 * safely: a put of a version that an earlier attempt stored answers
 * "Manifest version ... already exists" (spec/api.md 4.1 step 8), and
 * deploying the deployed version again changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nc.h"
#include "common/xalloc.h"
#include "test/chaos/chaos.h"
#include "test/lib/test_util.h"

#define CHAOS_API_PREFIX "wadm.api"

int
chaos_api_open(chaos_api_t *a, const char *urls)
{
    memset(a, 0, sizeof(*a));
    a->timeout_ms = 5000;  /* wadm answers within its own 3000 ms */
    a->attempts = 10;
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = nc_options_set_servers(o, urls);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "chaos");
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, 100);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 2000);
    if (s == NATS_OK)
        s = natsConnection_Connect(&a->nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        fprintf(stderr, "chaos: cannot connect to %s: %s\n", urls,
                natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

void
chaos_api_close(chaos_api_t *a)
{
    natsConnection_Destroy(a->nc);
    a->nc = NULL;
}

/* Pause before attempt i (1-based): 200 ms doubling, at most 2 s. */
static void
chaos_api_backoff(chaos_api_t *a, int i)
{
    unsigned ms = 200u << (i < 4 ? i - 1 : 3);
    __atomic_add_fetch(&a->retries_total, 1, __ATOMIC_RELAXED);
    test_pause_ms(ms > 2000 ? 2000 : ms);
}

/*
 * One request on subject; the reply parsed, or NULL with why set. ctype
 * (may be NULL) is sent as Content-Type.
 */
static cJSON *
chaos_api_try(chaos_api_t *a, const char *subject, const char *body,
              const char *ctype, char *why, size_t cap)
{
    natsMsg *m = NULL;
    natsMsg *reply = NULL;
    size_t len = body ? strlen(body) : 0;
    natsStatus s = natsMsg_Create(&m, subject, NULL, body ? body : "",
                                  (int)len);
    if (s == NATS_OK && ctype != NULL)
        s = natsMsgHeader_Set(m, "Content-Type", ctype);
    if (s == NATS_OK)
        s = natsConnection_RequestMsg(&reply, a->nc, m, a->timeout_ms);
    __atomic_add_fetch(&a->requests_total, 1, __ATOMIC_RELAXED);
    natsMsg_Destroy(m);
    if (s != NATS_OK) {
        snprintf(why, cap, "%s: %s", subject, natsStatus_GetText(s));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    if (j == NULL)
        snprintf(why, cap, "%s: reply is not JSON: %.*s", subject,
                 natsMsg_GetDataLength(reply) > 200
                     ? 200
                     : natsMsg_GetDataLength(reply),
                 natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    return j;
}

static const char *
chaos_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

cJSON *
chaos_api_request(chaos_api_t *a, const char *lattice, const char *op,
                  const char *body, char *why, size_t cap)
{
    char subject[256];
    snprintf(subject, sizeof(subject), CHAOS_API_PREFIX ".%s.%s", lattice,
             op);
    for (int i = 1; i <= a->attempts && !chaos_is_interrupted; i++) {
        if (i > 1)
            chaos_api_backoff(a, i - 1);
        cJSON *j = chaos_api_try(a, subject, body, NULL, why, cap);
        if (j != NULL)
            return j;
    }
    return NULL;
}

/* The manifest of version v of app, as JSON text (caller frees). */
static char *
chaos_manifest(const chaos_app_t *app, int v)
{
    return xasprintf(
        "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","
        "\"metadata\":{\"name\":\"%s\",\"annotations\":"
        "{\"version\":\"v%d\",\"description\":\"chaos app %d\"}},"
        "\"spec\":{\"components\":[{\"name\":\"%s\","
        "\"type\":\"component\",\"properties\":"
        "{\"image\":\"ghcr.io/chaos/app%d:0.1.0\"},"
        "\"traits\":[{\"type\":\"spreadscaler\",\"properties\":"
        "{\"instances\":%d}}]}]}}",
        app->name, v, app->k, app->name, app->k, app->count[v - 1]);
}

static void
chaos_app_error(chaos_app_t *app, const char *fmt, const char *a,
                const char *b)
{
    pthread_mutex_lock(&chaos_apps_lock);
    if (app->error[0] == '\0')
        snprintf(app->error, sizeof(app->error), fmt, a, b);
    pthread_mutex_unlock(&chaos_apps_lock);
}

int
chaos_api_put(chaos_api_t *a, chaos_app_t *app, int v)
{
    char subject[256], why[512] = "no attempt made", want[64];
    snprintf(subject, sizeof(subject), CHAOS_API_PREFIX ".%s.model.put",
             chaos_lattices[app->lattice]);
    snprintf(want, sizeof(want), "Manifest version v%d already exists", v);
    char *body = chaos_manifest(app, v);
    int rc = -1;
    for (int i = 1; i <= a->attempts && rc != 0 && !chaos_is_interrupted;
         i++) {
        if (i > 1)
            chaos_api_backoff(a, i - 1);
        cJSON *j = chaos_api_try(a, subject, body, "application/json", why,
                                 sizeof(why));
        if (j == NULL)
            continue;
        const char *res = chaos_json_str(j, "result");
        if (strcmp(res, "created") == 0 || strcmp(res, "newversion") == 0 ||
            (strcmp(res, "error") == 0 &&
             strcmp(chaos_json_str(j, "message"), want) == 0))
            rc = 0;
        else
            snprintf(why, sizeof(why), "%s: result \"%s\": %s", subject, res,
                     chaos_json_str(j, "message"));
        cJSON_Delete(j);
    }
    free(body);
    if (rc == 0) {
        pthread_mutex_lock(&chaos_apps_lock);
        if (app->nput < v)
            app->nput = v;
        pthread_mutex_unlock(&chaos_apps_lock);
    } else {
        char what[32];
        snprintf(what, sizeof(what), "v%d", v);
        chaos_app_error(app, "put of %s gave up: %s", what, why);
    }
    return rc;
}

int
chaos_api_deploy(chaos_api_t *a, chaos_app_t *app, int v)
{
    char subject[256], why[512] = "no attempt made", body[64];
    snprintf(subject, sizeof(subject),
             CHAOS_API_PREFIX ".%s.model.deploy.%s",
             chaos_lattices[app->lattice], app->name);
    snprintf(body, sizeof(body), "{\"version\":\"v%d\"}", v);
    int rc = -1;
    for (int i = 1; i <= a->attempts && rc != 0 && !chaos_is_interrupted;
         i++) {
        if (i > 1)
            chaos_api_backoff(a, i - 1);
        cJSON *j = chaos_api_try(a, subject, body, NULL, why, sizeof(why));
        if (j == NULL)
            continue;
        const char *res = chaos_json_str(j, "result");
        if (strcmp(res, "acknowledged") == 0)
            rc = 0;
        else
            snprintf(why, sizeof(why), "%s: result \"%s\": %s", subject, res,
                     chaos_json_str(j, "message"));
        cJSON_Delete(j);
    }
    if (rc == 0) {
        pthread_mutex_lock(&chaos_apps_lock);
        app->ndeployed = v;
        pthread_mutex_unlock(&chaos_apps_lock);
    } else {
        char what[32];
        snprintf(what, sizeof(what), "v%d", v);
        chaos_app_error(app, "deploy of %s gave up: %s", what, why);
    }
    return rc;
}

cJSON *
chaos_hs_admin(chaos_api_t *a, const char *lattice, const char *verb,
               const char *body, char *why, size_t cap)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "hostsim.%s.%s", lattice, verb);
    for (int i = 1; i <= a->attempts && !chaos_is_interrupted; i++) {
        if (i > 1)
            chaos_api_backoff(a, i - 1);
        cJSON *j = chaos_api_try(a, subject, body ? body : "{}", NULL, why,
                                 cap);
        if (j == NULL)
            continue;
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "success");
        cJSON *resp = cJSON_DetachItemFromObjectCaseSensitive(j, "response");
        if (cJSON_IsTrue(ok) && resp != NULL) {
            cJSON_Delete(j);
            return resp;
        }
        snprintf(why, cap, "%s: %s", subject, chaos_json_str(j, "message"));
        cJSON_Delete(resp);
        cJSON_Delete(j);
        return NULL;
    }
    return NULL;
}

/* ---- re-versioning ------------------------------------------------------ */

typedef struct chaos_op {
    int app;
    int version;
} chaos_op_t;

static void
chaos_ops_shuffle(chaos_op_t *ops, int n, chaos_rng_t *rng)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)chaos_rng_range(rng, 0, (unsigned)i);
        chaos_op_t t = ops[i];
        ops[i] = ops[j];
        ops[j] = t;
    }
}

static void *
chaos_rever_main(void *arg)
{
    chaos_rever_t *rv = arg;
    /* every v2 (shuffled), then the v3 of about half the apps */
    chaos_op_t ops[CHAOS_APPS * 2];
    int n = 0;
    for (int i = 0; i < CHAOS_APPS; i++)
        ops[n++] = (chaos_op_t){i, 2};
    chaos_ops_shuffle(ops, n, &rv->rng);
    int first_v3 = n;
    for (int i = 0; i < CHAOS_APPS; i++)
        if (chaos_rng_range(&rv->rng, 0, 1) == 1)
            ops[n++] = (chaos_op_t){i, 3};
    chaos_ops_shuffle(ops + first_v3, n - first_v3, &rv->rng);
    rv->ops_total = n;
    uint64_t t0 = test_now_ms();
    for (int i = 0; i < n && !chaos_is_interrupted; i++) {
        uint64_t due = t0 + rv->duration_ms * (uint64_t)(i + 1) /
                                (uint64_t)(n + 1);
        while (test_now_ms() < due && !chaos_is_interrupted)
            test_pause_ms(20);
        chaos_app_t *app = &rv->apps[ops[i].app];
        int v = ops[i].version;
        if (app->error[0] != '\0' || app->ndeployed != v - 1)
            continue; /* an earlier call gave up: already a failure */
        int prev = app->count[v - 2];
        int next = (int)chaos_rng_range(&rv->rng, 1, 2);
        pthread_mutex_lock(&chaos_apps_lock);
        app->count[v - 1] = next >= prev ? next + 1 : next;
        pthread_mutex_unlock(&chaos_apps_lock);
        uint64_t started = test_now_ms();
        int rc = chaos_api_put(rv->api, app, v);
        if (rc == 0)
            rc = chaos_api_deploy(rv->api, app, v);
        if (rc == 0)
            rv->ops_done++;
        else
            rv->ops_failed++;
        chaos_say("%s %s v%d (%d -> %d instances) %s in %llu ms",
                  chaos_lattices[app->lattice], app->name, v, prev,
                  app->count[v - 1], rc == 0 ? "put+deployed" : "FAILED",
                  (unsigned long long)(test_now_ms() - started));
    }
    return NULL;
}

int
chaos_rever_start(chaos_rever_t *rv, chaos_api_t *api, chaos_app_t *apps,
                  uint64_t seed, uint64_t duration_ms)
{
    memset(rv, 0, sizeof(*rv));
    rv->api = api;
    rv->apps = apps;
    rv->rng.s = seed ^ 0x5eed5eed5eed5eedULL;
    rv->duration_ms = duration_ms;
    if (pthread_create(&rv->thread, NULL, chaos_rever_main, rv) != 0)
        return -1;
    rv->is_running = true;
    return 0;
}

void
chaos_rever_join(chaos_rever_t *rv)
{
    if (!rv->is_running)
        return;
    (void)pthread_join(rv->thread, NULL); /* only fails on misuse */
    rv->is_running = false;
}
