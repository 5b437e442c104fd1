/*
 * bench_api.c - latency of the wadm API (model.put, model.get,
 * model.deploy) over 1,000 requests each against a private nats-server and
 * build/wadm, printed beside a bare NATS request/reply round trip measured
 * in the same run (a responder in this process), with the ratio.
 *
 * put is measured in a steady state: each put of a new version is followed
 * by an unmeasured delete of it, so the record keeps one version. A last
 * line shows put in a lattice of many applications (put reads every
 * application of the lattice to check shared components, api.md 4.1).
 * Prints a SKIP line when nats-server or the wadm binary is missing.
 */
#include <nats/nats.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test/lib/test_api.h"
#include "test/lib/test_bench.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

#define BENCH_N 1000
#define BENCH_WARMUP 50
#define BENCH_BIG_LATTICE 200

typedef struct bench_stats {
    double p50_ms;
    double p99_ms;
} bench_stats_t;

static natsConnection *bench_nc;

static bench_stats_t
bench_stats(uint64_t *ns, size_t n)
{
    test_bench_stats_t t = test_bench_stats(ns, n);
    bench_stats_t s = {t.p50_us / 1000.0, t.p99_us / 1000.0};
    return s;
}

/* One request; exits on failure or when the reply lacks want_result. */
static uint64_t
bench_request(const char *subject, const char *body, const char *ctype,
              const char *want_result, char **reply)
{
    natsMsg *req = NULL;
    natsMsg *rep = NULL;
    natsStatus s = natsMsg_Create(&req, subject, NULL, body,
                                  (int)strlen(body));
    if (s == NATS_OK && ctype)
        s = natsMsgHeader_Set(req, "Content-Type", ctype);
    uint64_t t0 = test_bench_now_ns();
    if (s == NATS_OK)
        s = natsConnection_RequestMsg(&rep, bench_nc, req, 10000);
    uint64_t dt = test_bench_now_ns() - t0;
    natsMsg_Destroy(req);
    if (s != NATS_OK) {
        fprintf(stderr, "bench_api: request on %s failed: %s\n", subject,
                natsStatus_GetText(s));
        exit(1);
    }
    if (want_result) {
        cJSON *o = cJSON_ParseWithLength(natsMsg_GetData(rep),
                                         (size_t)natsMsg_GetDataLength(rep));
        const cJSON *r = cJSON_GetObjectItem(o, "result");
        if (!cJSON_IsString(r) || strcmp(r->valuestring, want_result) != 0) {
            fprintf(stderr, "bench_api: %s answered %.*s\n", subject,
                    natsMsg_GetDataLength(rep), natsMsg_GetData(rep));
            exit(1);
        }
        if (reply)
            *reply = strdup(cJSON_GetObjectItem(o, "current_version")
                                ? cJSON_GetObjectItem(o, "current_version")
                                      ->valuestring
                                : "");
        cJSON_Delete(o);
    }
    natsMsg_Destroy(rep);
    return dt;
}

static void
bench_on_echo(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
              void *closure)
{
    (void)sub;
    (void)closure;
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

/*
 * A connection that writes each message at once: nats.c's flusher thread
 * otherwise sleeps 1 ms before it writes, which would hide what is measured.
 */
static natsConnection *
bench_connect(const char *url)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    if (natsOptions_Create(&o) != NATS_OK ||
        natsOptions_SetURL(o, url) != NATS_OK ||
        natsOptions_SetSendAsap(o, true) != NATS_OK ||
        natsConnection_Connect(&nc, o) != NATS_OK)
        nc = NULL;
    natsOptions_Destroy(o);
    return nc;
}

static bench_stats_t
bench_bare(const char *url, size_t body_len)
{
    natsConnection *resp = bench_connect(url);
    natsSubscription *sub = NULL;
    if (resp == NULL ||
        natsConnection_Subscribe(&sub, resp, "bench.echo", bench_on_echo,
                                 NULL) != NATS_OK ||
        natsConnection_Flush(resp) != NATS_OK) {
        fprintf(stderr, "bench_api: responder setup failed\n");
        exit(1);
    }
    char *body = malloc(body_len + 1);
    memset(body, 'x', body_len);
    body[body_len] = '\0';
    uint64_t ns[BENCH_N];
    for (int i = 0; i < BENCH_WARMUP; i++)
        bench_request("bench.echo", body, NULL, NULL, NULL);
    for (int i = 0; i < BENCH_N; i++)
        ns[i] = bench_request("bench.echo", body, NULL, NULL, NULL);
    free(body);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(resp);
    return bench_stats(ns, BENCH_N);
}

/* Steady-state put: a new version, then its (unmeasured) delete. */
static bench_stats_t
bench_put(const char *app, int n)
{
    char *m = test_api_manifest(app, NULL, NULL);
    char del_subject[256];
    snprintf(del_subject, sizeof(del_subject),
             "wadm.api.default.model.del.%s", app);
    uint64_t *ns = calloc((size_t)n, sizeof(uint64_t));
    for (int i = -BENCH_WARMUP; i < n; i++) {
        char *version = NULL;
        uint64_t dt = bench_request("wadm.api.default.model.put", m, NULL,
                                    "newversion", &version);
        if (i >= 0)
            ns[i] = dt;
        char body[128];
        snprintf(body, sizeof(body), "{\"version\":\"%s\"}", version);
        bench_request(del_subject, body, NULL, "deleted", NULL);
        free(version);
    }
    free(m);
    bench_stats_t s = bench_stats(ns, (size_t)n);
    free(ns);
    return s;
}

static bench_stats_t
bench_same(const char *subject, const char *body, const char *want, int n)
{
    uint64_t *ns = calloc((size_t)n, sizeof(uint64_t));
    for (int i = 0; i < BENCH_WARMUP; i++)
        bench_request(subject, body, NULL, want, NULL);
    for (int i = 0; i < n; i++)
        ns[i] = bench_request(subject, body, NULL, want, NULL);
    bench_stats_t s = bench_stats(ns, (size_t)n);
    free(ns);
    return s;
}

static void
bench_print(const char *what, bench_stats_t s, bench_stats_t bare)
{
    printf("  %-30s p50 %7.3f ms  p99 %7.3f ms   %5.1fx / %5.1fx bare\n",
           what, s.p50_ms, s.p99_ms, s.p50_ms / bare.p50_ms,
           s.p99_ms / bare.p99_ms);
}

static void
bench_put_base(const char *app)
{
    char *m = test_api_manifest(app, "base", NULL);
    bench_request("wadm.api.default.model.put", m, NULL, "created", NULL);
    free(m);
}

/* A failed request exits (bench_request): nats-server and wadm must not
   outlive the bench. */
static test_nats_t bench_nats;
static test_wadm_t bench_wadm;
static bool bench_is_up;

static void
bench_at_exit(void)
{
    if (!bench_is_up)
        return;
    bench_is_up = false;
    test_wadm_stop(&bench_wadm, 5000);
    if (bench_wadm.run_dir[0] != '\0')
        test_sh("rm -rf '%s'", bench_wadm.run_dir);
    test_nats_destroy(&bench_nats);
}

int
main(void)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        printf("SKIP: bench_api needs nats-server and build/wadm "
               "(WADM_BIN)\n");
        return 0;
    }
    test_nats_t *nats = &bench_nats;
    test_wadm_t *wadm = &bench_wadm;
    atexit(bench_at_exit);
    bench_is_up = true; /* the hook copes with what did not start */
    if (test_nats_start(nats, NULL) != 0 ||
        test_wadm_start(wadm, nats->url, NULL) != 0) {
        fprintf(stderr, "bench_api: cannot start nats-server and wadm\n");
        return 1;
    }
    bench_nc = bench_connect(nats->url);
    if (bench_nc == NULL)
        return 1;
    bench_put_base("bench");
    char *m = test_api_manifest("bench", "base", NULL);
    size_t manifest_len = strlen(m);
    free(m);
    bench_stats_t bare = bench_bare(nats->url, manifest_len);
    bench_stats_t put = bench_put("bench", BENCH_N);
    bench_stats_t get = bench_same("wadm.api.default.model.get.bench", "",
                                   "success", BENCH_N);
    bench_stats_t dep = bench_same("wadm.api.default.model.deploy.bench",
                                   "{\"version\":\"base\"}", "acknowledged",
                                   BENCH_N);
    /* put again with many applications in the lattice */
    for (int i = 0; i < BENCH_BIG_LATTICE; i++) {
        char app[64];
        snprintf(app, sizeof(app), "filler-%03d", i);
        bench_put_base(app);
    }
    bench_stats_t put_big = bench_put("bench", BENCH_N / 5);
    bench_stats_t list_big = bench_same("wadm.api.default.model.get", "",
                                        "success", BENCH_N / 10);
    printf("bench_api: %d requests each (put: %d new versions, each "
           "deleted after), %zu-byte manifest, loopback\n",
           BENCH_N, BENCH_N, manifest_len);
    printf("  %-30s p50 %7.3f ms  p99 %7.3f ms\n",
           "nats request/reply (bare)", bare.p50_ms, bare.p99_ms);
    bench_print("model.put", put, bare);
    bench_print("model.get", get, bare);
    bench_print("model.deploy", dep, bare);
    char what[64];
    snprintf(what, sizeof(what), "model.put, %d apps in lattice",
             BENCH_BIG_LATTICE + 1);
    bench_print(what, put_big, bare);
    snprintf(what, sizeof(what), "model.list, %d apps in lattice",
             BENCH_BIG_LATTICE + 1);
    bench_print(what, list_big, bare);
    natsConnection_Destroy(bench_nc);
    test_wadm_stop(wadm, 5000);
    char why[400];
    int rc = 0;
    if (!test_wadm_log_is_clean(wadm, why, sizeof(why))) {
        fprintf(stderr, "bench_api: sanitizer report: %s\n", why);
        rc = 1;
    }
    bench_at_exit();
    return rc;
}
