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

#include <cjson/cJSON.h>

#include "common/manifest/mf.h"
#include "test/lib/test_bench.h"
#include "test/lib/test_util.h"

#define BENCH_RUNS 2000
#define BENCH_WARMUP 200

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

static test_bench_stats_t
bench_run_put(const char *data, size_t len, int format)
{
    static uint64_t ns[BENCH_RUNS];
    for (int i = 0; i < BENCH_WARMUP; i++)
        bench_put(data, len, format);
    for (int i = 0; i < BENCH_RUNS; i++) {
        uint64_t t0 = test_bench_now_ns();
        bench_put(data, len, format);
        ns[i] = test_bench_now_ns() - t0;
    }
    return test_bench_stats(ns, BENCH_RUNS);
}

static test_bench_stats_t
bench_run_floor(const char *json)
{
    static uint64_t ns[BENCH_RUNS];
    for (int i = 0; i < BENCH_WARMUP + BENCH_RUNS; i++) {
        uint64_t t0 = test_bench_now_ns();
        cJSON *j = cJSON_Parse(json);
        cJSON_Delete(j);
        if (i >= BENCH_WARMUP)
            ns[i - BENCH_WARMUP] = test_bench_now_ns() - t0;
    }
    return test_bench_stats(ns, BENCH_RUNS);
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
    test_bench_stats_t y = bench_run_put(data, len, MF_FORMAT_YAML);
    test_bench_stats_t j = bench_run_put(json, strlen(json), MF_FORMAT_JSON);
    test_bench_stats_t f = bench_run_floor(json);
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
