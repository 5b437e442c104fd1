/*
 * bench_scaler.c - cost of the scalers: building the scaler list of
 * complex.yaml (scalers.md 2, ids included) and one reconcile pass of
 * that list (every scaler's reconcile plus its config scalers, as the
 * engine runs them) over a 100-host lattice, against a floor: a bare
 * cJSON_Parse of the same manifest's JSON form. Prints medians and p99
 * over many runs and the ratios to the floor.
 *
 * Uses the shared fixtures in place ($WADM_FIXTURES or ../shared/fixtures)
 * and prints a SKIP line when they are absent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/manifest/mf.h"
#include "test/lib/test_lattice.h"
#include "test/lib/test_bench.h"
#include "test/lib/test_util.h"

#define BENCH_RUNS 2000
#define BENCH_WARMUP 200
#define BENCH_HOSTS 100

/* Runs fn(arg) warm-up plus BENCH_RUNS times; median and p99 of the runs. */
static test_bench_stats_t
bench_run(void (*fn)(void *), void *arg)
{
    static uint64_t ns[BENCH_RUNS];
    for (int i = 0; i < BENCH_WARMUP; i++)
        fn(arg);
    for (int i = 0; i < BENCH_RUNS; i++) {
        uint64_t t0 = test_bench_now_ns();
        fn(arg);
        ns[i] = test_bench_now_ns() - t0;
    }
    return test_bench_stats(ns, BENCH_RUNS);
}

static void
bench_floor(void *arg)
{
    cJSON_Delete(cJSON_Parse(arg));
}

static void
bench_build(void *arg)
{
    rec_scaler_t **v = NULL;
    size_t n = rec_scalers_build(arg, &v);
    rec_scalers_free(v, n);
}

typedef struct bench_pass {
    rec_scaler_t **v;
    size_t n;
    test_lat_t *lat;
    size_t ncmds;
} bench_pass_t;

static void
bench_reconcile(void *arg)
{
    bench_pass_t *p = arg;
    rec_view_t view = test_lat_view(p->lat, false);
    p->ncmds = 0;
    for (size_t i = 0; i < p->n; i++) {
        rec_cmds_t cmds = {NULL, 0};
        (void)rec_scaler_configs(p->v[i], &view, &cmds, NULL);
        int t;
        char *msg = NULL;
        rec_scaler_inner(p->v[i], &view, &cmds, &t, &msg);
        free(msg);
        p->ncmds += cmds.n;
        rec_cmds_destroy(&cmds);
    }
}

/*
 * 100 hosts over the three regions of complex.yaml; every fourth runs the
 * component and every fifth the providers its region is eligible for,
 * with the app's annotations; links in place, configs stored. The pass
 * walks every spread (counting, scale-down, conflict check) and scales
 * the over-provisioned spreads down.
 */
static void
bench_lattice(test_lat_t *lat, rec_scaler_t **v, size_t n)
{
    static const char *const regions[] = {"us-brooks-east", "us-taylor-west",
                                          "moon"};
    for (int h = 0; h < BENCH_HOSTS; h++) {
        buf_t comps, provs;
        buf_init(&comps, 0);
        buf_init(&provs, 0);
        const char *region = regions[h % 3];
        for (size_t i = 0; i < n; i++) {
            const rec_scaler_t *s = v[i];
            if (s->kind == REC_SK_LINK || s->nspreads == 0)
                continue;
            const rec_spread_t *sp = NULL;
            for (size_t k = 0; k < s->nspreads && sp == NULL; k++) {
                const char *want = rec_smap_get(&s->spreads[k].requirements,
                                                "region");
                if (want && strcmp(want, region) == 0)
                    sp = &s->spreads[k];
            }
            if (sp == NULL)
                continue; /* not eligible here */
            const char *ann = test_lat_ann(lat, s->app, s->id, sp->name);
            if (s->kind == REC_SK_COMP_SPREAD && h % 4 == 0)
                buf_appendf(&comps, "%s%s", comps.len ? "," : "",
                            test_lat_comp(lat, s->comp_id, s->image, ann,
                                          1 + (unsigned)h % 3));
            else if (s->kind == REC_SK_PROV_SPREAD && h % 5 == 0)
                buf_appendf(&provs, "%s%s", provs.len ? "," : "",
                            test_lat_prov(lat, s->comp_id, s->image, ann));
        }
        char id[32];
        snprintf(id, sizeof(id), "N%03dHOST", h);
        char labels[64];
        snprintf(labels, sizeof(labels), "region=%s", region);
        test_lat_host(lat, id, labels, buf_str(&comps), buf_str(&provs));
        buf_destroy(&comps);
        buf_destroy(&provs);
    }
    for (size_t i = 0; i < n; i++) {
        const rec_scaler_t *s = v[i];
        if (s->kind == REC_SK_LINK) {
            test_lat_link(lat, s->source_id, s->target, s->link_name,
                          s->wit_namespace, s->wit_package);
        }
        for (size_t c = 0; c < s->ncfgs; c++)
            rec_lcache_config_set(&lat->cache, s->cfgs[c].name,
                                  REC_CFG_PRESENT, &s->cfgs[c].values, NULL);
    }
}

int
main(void)
{
    const char *path = test_fixture_path("manifests/complex.yaml");
    size_t len = 0;
    char *yaml = path ? test_read_file(path, &len) : NULL;
    if (yaml == NULL) {
        printf("SKIP: scaler bench: fixture manifests/complex.yaml not found "
               "(set WADM_FIXTURES)\n");
        return 0;
    }
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_parse(yaml, len, MF_FORMAT_YAML, &m, &err) != 0) {
        fprintf(stderr, "bench: complex.yaml: %s\n", err);
        return 1;
    }
    char *json = mf_to_json_string(m);
    test_bench_stats_t f = bench_run(bench_floor, json);
    test_bench_stats_t b = bench_run(bench_build, m);

    bench_pass_t p;
    p.n = rec_scalers_build(m, &p.v);
    test_lat_t lat;
    test_lat_init(&lat);
    bench_lattice(&lat, p.v, p.n);
    p.lat = &lat;
    test_bench_stats_t r = bench_run(bench_reconcile, &p);

    printf("floor cJSON_Parse+Delete complex.yaml (JSON form, %zu bytes): "
           "median %.2f us p99 %.2f us (n=%d)\n",
           strlen(json), f.p50_us, f.p99_us, BENCH_RUNS);
    printf("scalers build complex.yaml (%zu scalers, ids included): median "
           "%.2f us p99 %.2f us; %.1fx floor\n",
           p.n, b.p50_us, b.p99_us, b.p50_us / f.p50_us);
    printf("reconcile pass complex.yaml over %d hosts (%zu scalers, %zu "
           "commands): median %.2f us p99 %.2f us; %.1fx floor\n",
           BENCH_HOSTS, p.n, p.ncmds, r.p50_us, r.p99_us,
           r.p50_us / f.p50_us);

    test_lat_destroy(&lat);
    rec_scalers_free(p.v, p.n);
    free(json);
    mf_free(m);
    free(yaml);
    return 0;
}
