/*
 * bench_state.c - cost of one heartbeat on the event path: ingest's
 * envelope scan, then the reconciler's decode of the data and its state
 * apply, for a heartbeat of 20 components and 5 providers shaped like a
 * real host's (about 7 KB). The floor is a bare cJSON_Parse + cJSON_Delete
 * of the same bytes, measured in the same run; ratios are against it.
 * Each figure is the median over rounds of the mean per-iteration time.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ce.h"
#include "common/clk.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_json.h"

#define ROUNDS 31
#define ITERS 2000
#define HOST "NBWU4CQ2X5Z3CNMJHLBYEXRLG4HSWGUMYX6DLJ6VRWDAC4ZEC4NOTJWQ"
#define SCALER                                                                \
    "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac"

static rec_state_t bench_st;
static const char *bench_ev;
static size_t bench_len;

/* The annotations wadm puts on what it starts, closing the description. */
static void
bench_annotations(buf_t *b, int app)
{
    (void)buf_appendf(b, "\"annotations\":{\"wasmcloud.dev/appspec\":"
                      "\"app-%02d\",\"wasmcloud.dev/managed-by\":\"wadm\","
                      "\"wasmcloud.dev/scaler\":\"%s\","
                      "\"wasmcloud.dev/spread_name\":\"default\"}}",
                      app, SCALER);
}

/* A heartbeat CloudEvent as a host would send it. */
static char *
bench_heartbeat(void)
{
    buf_t b;
    buf_init(&b, 0);
    (void)buf_appendf(&b, "{\"specversion\":\"1.0\",\"id\":\"0193a1b2-7c3d-"
                      "0e4f-8a9b-1c2d3e4f5a6b\",\"type\":\"com.wasmcloud."
                      "lattice.host_heartbeat\",\"source\":\"%s\","
                      "\"datacontenttype\":\"application/json\",\"time\":"
                      "\"2025-04-01T12:00:30.000000Z\",\"data\":{\"host_id\":"
                      "\"%s\",\"friendly_name\":\"quiet-river-1234\","
                      "\"labels\":{\"hostcore.arch\":\"x86_64\","
                      "\"hostcore.os\":\"linux\",\"hostcore.osfamily\":"
                      "\"unix\",\"zone\":\"east\"},\"version\":\"1.8.0\","
                      "\"uptime_human\":\"1h 2m 30s\",\"uptime_seconds\":3750,"
                      "\"components\":[",
                      HOST, HOST);
    for (int i = 0; i < 20; i++) {
        (void)buf_appendf(&b, "%s{\"id\":\"app_%02d-http_component\","
                          "\"image_ref\":\"ghcr.io/wasmcloud/components/"
                          "http-hello-world-rust:0.1.%d\",\"name\":"
                          "\"http-hello-world-%d\",\"revision\":0,"
                          "\"max_instances\":%d,",
                          i ? "," : "", i, i, i, 1 + i % 5);
        bench_annotations(&b, i);
    }
    (void)buf_append_str(&b, "],\"providers\":[");
    for (int i = 0; i < 5; i++) {
        (void)buf_appendf(&b, "%s{\"id\":\"app_%02d-httpserver\",\"image_ref\":"
                          "\"ghcr.io/wasmcloud/http-server:0.23.%d\",\"name\":"
                          "\"HTTP Server\",\"revision\":0,",
                          i ? "," : "", i, i);
        bench_annotations(&b, i);
    }
    (void)buf_append_str(&b, "]}}");
    return buf_take(&b, NULL);
}

static void
bench_parse(void)
{
    cJSON *root = cJSON_ParseWithLength(bench_ev, bench_len);
    if (root == NULL)
        abort();
    cJSON_Delete(root);
}

static void
bench_scan(void)
{
    ce_envelope_t env;
    if (ce_scan(bench_ev, bench_len, &env) != 0)
        abort();
    ce_envelope_destroy(&env);
}

/* Scans the event and decodes its data, as ingest and rec.<lattice> do. */
static void
bench_decode(ce_envelope_t *env, rec_event_t *ev)
{
    char *err = NULL;
    if (ce_scan(bench_ev, bench_len, env) != 0 ||
        rec_event_decode(env->kind, env->data, env->data_len, env->source, ev,
                         &err) != 0)
        abort();
}

static void
bench_scan_decode(void)
{
    ce_envelope_t env;
    rec_event_t ev;
    bench_decode(&env, &ev);
    rec_event_destroy(&ev);
    ce_envelope_destroy(&env);
}

static void
bench_full(void)
{
    static const rec_claims_t no_claims = {NULL, 0};
    ce_envelope_t env;
    rec_event_t ev;
    bench_decode(&env, &ev);
    ev.u.heartbeat.claims = &no_claims;
    if (rec_state_apply(&bench_st, &ev, clk_wall_us(), NULL) != 0)
        abort();
    rec_event_destroy(&ev);
    ce_envelope_destroy(&env);
}

static void
bench_encode(void)
{
    free(rec_state_json_hosts_encode(&bench_st, NULL));
    free(rec_state_json_components_encode(&bench_st, NULL));
    free(rec_state_json_providers_encode(&bench_st, NULL));
}

static int
bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median over ROUNDS of the mean microseconds per call of fn. */
static double
bench_median_us(void (*fn)(void))
{
    double per[ROUNDS];
    for (int i = 0; i < ITERS / 10; i++)
        fn(); /* warm caches and the allocator */
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = clk_now_us();
        for (int i = 0; i < ITERS; i++)
            fn();
        per[r] = (double)(clk_now_us() - t0) / ITERS;
    }
    qsort(per, ROUNDS, sizeof(per[0]), bench_cmp);
    return per[ROUNDS / 2];
}

int
main(void)
{
    char *ev = bench_heartbeat();
    bench_ev = ev;
    bench_len = strlen(ev);
    rec_state_init(&bench_st);
    printf("bench_state: heartbeat of %zu bytes, 20 components, 5 providers; "
           "median of %d rounds x %d\n",
           bench_len, ROUNDS, ITERS);
    double floor_us = bench_median_us(bench_parse);
    double scan_us = bench_median_us(bench_scan);
    double decode_us = bench_median_us(bench_scan_decode);
    double full_us = bench_median_us(bench_full);
    double enc_us = bench_median_us(bench_encode);
    printf("  %-40s %8.2f us  (floor)\n", "cJSON_Parse+Delete of the event",
           floor_us);
    printf("  %-40s %8.2f us  %5.2fx floor  %6.0f MB/s\n",
           "ce_scan (ingest)", scan_us, scan_us / floor_us,
           (double)bench_len / scan_us);
    printf("  %-40s %8.2f us  %5.2fx floor\n", "scan + rec_event_decode",
           decode_us, decode_us / floor_us);
    printf("  %-40s %8.2f us  %5.2fx floor  %6.0f events/s\n",
           "scan + decode + rec_state_apply", full_us, full_us / floor_us,
           1e6 / full_us);
    printf("  %-40s %8.2f us  %5.2fx floor\n",
           "encode host+component+provider records", enc_us,
           enc_us / floor_us);
    rec_state_destroy(&bench_st);
    free(ev);
    return 0;
}
