/*
 * bench_manifest.c - time to parse and validate a manifest, as the put
 * handler does, against a floor: a bare cJSON_Parse of the same manifest's
 * JSON form. Prints median and p99 per fixture.
 *
 * Uses the shared fixtures in place ($WADM_FIXTURES or ../shared/fixtures)
 * and prints a SKIP line when they are absent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/manifest/mf.h"
#include "test/lib/test_util.h"

#define BENCH_RUNS 2000
#define BENCH_WARMUP 200

typedef struct bench_stats {
    double median_us;
    double p99_us;
} bench_stats_t;

static uint64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bench_stats_t
bench_stats(uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof(*ns), bench_cmp);
    bench_stats_t s;
    s.median_us = (double)ns[n / 2] / 1000.0;
    s.p99_us = (double)ns[(n * 99) / 100] / 1000.0;
    return s;
}

/* One parse + validate, as model.put does; aborts on a broken fixture. */
static void
bench_put(const char *data, size_t len, int format)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_parse(data, len, format, &m, &err) != 0) {
        fprintf(stderr, "bench: parse failed: %s\n", err);
        exit(1);
    }
    mf_report_t r;
    (void)mf_validate(m, MF_VALIDATE_API, &r);
    mf_report_destroy(&r);
    mf_free(m);
}

static bench_stats_t
bench_run_put(const char *data, size_t len, int format)
{
    static uint64_t ns[BENCH_RUNS];
    for (int i = 0; i < BENCH_WARMUP; i++)
        bench_put(data, len, format);
    for (int i = 0; i < BENCH_RUNS; i++) {
        uint64_t t0 = bench_now_ns();
        bench_put(data, len, format);
        ns[i] = bench_now_ns() - t0;
    }
    return bench_stats(ns, BENCH_RUNS);
}

static bench_stats_t
bench_run_floor(const char *json)
{
    static uint64_t ns[BENCH_RUNS];
    for (int i = 0; i < BENCH_WARMUP + BENCH_RUNS; i++) {
        uint64_t t0 = bench_now_ns();
        cJSON *j = cJSON_Parse(json);
        cJSON_Delete(j);
        if (i >= BENCH_WARMUP)
            ns[i - BENCH_WARMUP] = bench_now_ns() - t0;
    }
    return bench_stats(ns, BENCH_RUNS);
}

static void
bench_fixture(const char *rel, const char *label)
{
    const char *path = test_fixture_path(rel);
    size_t len = 0;
    char *data = path ? test_read_file(path, &len) : NULL;
    if (data == NULL) {
        printf("SKIP: manifest bench %s: fixture not found (set "
               "WADM_FIXTURES)\n", label);
        return;
    }
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_parse(data, len, MF_FORMAT_YAML, &m, &err) != 0) {
        fprintf(stderr, "bench: %s: %s\n", label, err);
        exit(1);
    }
    mf_version_set(m, "v1");
    char *json = mf_to_json_string(m);
    mf_free(m);
    bench_stats_t y = bench_run_put(data, len, MF_FORMAT_YAML);
    bench_stats_t j = bench_run_put(json, strlen(json), MF_FORMAT_JSON);
    bench_stats_t f = bench_run_floor(json);
    printf("manifest parse+validate %s (YAML, %zu bytes): median %.1f us "
           "p99 %.1f us (n=%d)\n",
           label, len, y.median_us, y.p99_us, BENCH_RUNS);
    printf("manifest parse+validate %s (JSON, %zu bytes): median %.1f us "
           "p99 %.1f us (n=%d)\n",
           label, strlen(json), j.median_us, j.p99_us, BENCH_RUNS);
    printf("floor cJSON_Parse+Delete %s (JSON form): median %.1f us "
           "p99 %.1f us; ratio YAML %.1fx, JSON %.1fx\n",
           label, f.median_us, f.p99_us, y.median_us / f.median_us,
           j.median_us / f.median_us);
    free(json);
    free(data);
}

int
main(void)
{
    bench_fixture("manifests/complex.yaml", "complex.yaml");
    bench_fixture("manifests/lotta_components.yaml", "lotta_components.yaml");
    return 0;
}
