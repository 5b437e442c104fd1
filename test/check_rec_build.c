/*
 * check_rec_build.c - from a manifest to its scaler list (spec/scalers.md
 * 2, 3): per-spread targets (the 3.1 table, every row), host eligibility,
 * the scaler lists of the shared fixtures with kinds, names and ids in
 * order, the scaler-id vectors of lattice.md 6.3, config and secret names
 * and the secret reference map of 9.2.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "test/lib/test_lattice.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_scaler.h"


/* ---- 3.1 targets -------------------------------------------------------- */

typedef struct target_row {
    uint64_t n;
    const char *spreads; /* "name:weight ..." (weight "-": default 100) */
    const char *want;    /* "name target ..." in sorted order */
} target_row_t;

static const target_row_t target_rows[] = {
    {1, "Simple:100", "Simple 1"},
    {10, "One:100 Two:100", "One 5 Two 5"},
    {7, "One:30 Two:40", "Two 4 One 3"},
    {7, "One:100 Two:100", "One 4 Two 3"},
    {10, "One:- Two:-", "One 5 Two 5"},
    {103, "One:42 Two:3 Three:37 Four:384", "Four 85 One 10 Three 8 Two 0"},
    {103, "East:42 West:3 Central:37", "East 53 Central 47 West 3"},
    {4, "eastcoast:80 westcoast:20", "eastcoast 4 westcoast 0"},
    {12, "eastcoast:25 westcoast:25 realcloud:50",
     "realcloud 6 eastcoast 3 westcoast 3"},
};

/* The 3.1 table through a manifest: weights as written, defaults as built. */
START_TEST(test_rec_targets_follow_the_spec_table)
{
    const target_row_t *row = &target_rows[_i];
    char yaml[2048];
    int off = snprintf(yaml, sizeof(yaml),
                       TEST_LAT_MF_HEAD("t") "  components:\n"
                       "    - name: c\n"
                       "      type: component\n"
                       "      properties:\n"
                       "        image: img\n"
                       "      traits:\n"
                       "        - type: spreadscaler\n"
                       "          properties:\n"
                       "            instances: %llu\n"
                       "            spread:\n",
                       (unsigned long long)row->n);
    char *copy = xstrdup(row->spreads);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        off += snprintf(yaml + off, sizeof(yaml) - (size_t)off,
                        "              - name: %s\n"
                        "                requirements: {}\n", tok);
        if (strcmp(colon + 1, "-") != 0)
            off += snprintf(yaml + off, sizeof(yaml) - (size_t)off,
                            "                weight: %s\n", colon + 1);
    }
    free(copy);
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(yaml, &v);
    ck_assert_uint_eq(n, 1);
    char got[512] = "";
    size_t g = 0;
    for (size_t i = 0; i < v[0]->nspreads; i++)
        g += (size_t)snprintf(got + g, sizeof(got) - g, "%s%s %llu",
                              i ? " " : "", v[0]->spreads[i].name,
                              (unsigned long long)v[0]->spreads[i].target);
    ck_assert_str_eq(got, row->want);
    rec_scalers_free(v, n);
}
END_TEST

/* Exact arithmetic: N x weight and the sum of weights may pass 2^64. */
START_TEST(test_rec_targets_survive_huge_weights)
{
    static const struct {
        uint64_t n;
        uint64_t w1, w2;
        uint64_t t1, t2; /* in sorted order */
    } rows[] = {
        {10, 9223372036854775808ull, 9223372036854775808ull, 5, 5},
        {3, 4611686018427387904ull, 9223372036854775808ull, 2, 1},
        {18446744073709551615ull, 1, 1, 9223372036854775808ull,
         9223372036854775807ull},
        {7, 18446744073709551615ull, 18446744073709551615ull, 4, 3},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        rec_spread_t sp[2];
        memset(sp, 0, sizeof(sp));
        sp[0].weight = rows[i].w1;
        sp[1].weight = rows[i].w2;
        rec_spreads_targets(sp, 2, rows[i].n);
        ck_assert_msg(sp[0].target == rows[i].t1 &&
                          sp[1].target == rows[i].t2,
                      "row %zu: %llu %llu", i,
                      (unsigned long long)sp[0].target,
                      (unsigned long long)sp[1].target);
    }
}
END_TEST

START_TEST(test_rec_targets_without_spreads_are_one_default_spread)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(TEST_LAT_MF_HEAD("t") "  components:\n"
                                 "    - name: c\n"
                                 "      type: component\n"
                                 "      properties:\n"
                                 "        image: img\n"
                                 "      traits:\n"
                                 "        - type: spreadscaler\n"
                                 "          properties:\n"
                                 "            instances: 12\n",
                                 &v);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0]->nspreads, 1);
    ck_assert_str_eq(v[0]->spreads[0].name, "default");
    ck_assert_uint_eq(v[0]->spreads[0].requirements.n, 0);
    ck_assert_uint_eq(v[0]->spreads[0].target, 12);
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_daemon_keeps_spreads_as_listed)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(TEST_LAT_MF_HEAD("t") "  components:\n"
                                 "    - name: c\n"
                                 "      type: component\n"
                                 "      properties:\n"
                                 "        image: img\n"
                                 "      traits:\n"
                                 "        - type: daemonscaler\n"
                                 "          properties:\n"
                                 "            instances: 2\n"
                                 "            spread:\n"
                                 "              - name: light\n"
                                 "                requirements: {a: b}\n"
                                 "                weight: 1\n"
                                 "              - name: heavy\n"
                                 "                requirements: {a: c}\n"
                                 "                weight: 99\n",
                                 &v);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(rec_scaler_kind_name(v[0]), "DaemonScaler");
    ck_assert_uint_eq(v[0]->nspreads, 2);
    ck_assert_str_eq(v[0]->spreads[0].name, "light");
    ck_assert_str_eq(v[0]->spreads[1].name, "heavy");
    ck_assert_uint_eq(v[0]->instances, 2);
    rec_scalers_free(v, n);
}
END_TEST

/* ---- 3.2 eligibility ---------------------------------------------------- */

static bool
matches(const char *req, const char *labels)
{
    rec_spread_t sp;
    memset(&sp, 0, sizeof(sp));
    rec_smap_t lab;
    rec_smap_init(&lab);
    rec_smap_init(&sp.requirements);
    const char *srcs[2] = {req, labels};
    rec_smap_t *dst[2] = {&sp.requirements, &lab};
    for (int k = 0; k < 2; k++) {
        char *copy = xstrdup(srcs[k]);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            *eq = '\0';
            rec_smap_set(dst[k], kv, eq + 1);
        }
        free(copy);
    }
    bool r = rec_spread_matches(&sp, &lab);
    rec_smap_destroy(&sp.requirements);
    rec_smap_destroy(&lab);
    return r;
}

START_TEST(test_rec_eligible_when_every_requirement_is_an_exact_label)
{
    ck_assert(matches("", ""));
    ck_assert(matches("", "zone=east"));
    ck_assert(matches("zone=east", "zone=east,os=linux"));
    ck_assert(matches("zone=east,os=linux", "zone=east,os=linux"));
    ck_assert(!matches("zone=east,os=linux", "zone=east"));
    ck_assert(!matches("zone=east", "zone=East"));
    ck_assert(!matches("Zone=east", "zone=east"));
    ck_assert(!matches("zone=east", "zone=east "));
    ck_assert(!matches("zone=east", ""));
    ck_assert(!matches("zone=", "other=x"));
    ck_assert(matches("zone=", "zone="));
}
END_TEST

/* ---- 2: scaler lists ---------------------------------------------------- */

/* "Kind|name|id" lines for the list, compared with want (one per line). */
static void
expect_list(rec_scaler_t **v, size_t n, const char *const *want)
{
    size_t nwant = 0;
    while (want[nwant])
        nwant++;
    for (size_t i = 0; i < n && i < nwant; i++) {
        char got[512];
        snprintf(got, sizeof(got), "%s|%s|%s", rec_scaler_kind_name(v[i]),
                 v[i]->name, v[i]->id);
        ck_assert_msg(strcmp(got, want[i]) == 0,
                      "scaler %zu: got \"%s\", want \"%s\"", i, got,
                      want[i]);
    }
    ck_assert_uint_eq(n, nwant);
}

static size_t
fixture(const char *rel, rec_scaler_t ***v)
{
    size_t n = test_scalers_fixture(rel, v);
    if (*v == NULL)
        test_skip("rec_build: fixture %s absent", rel);
    return n;
}


static const char *const simple_list[] = {
    "SpreadScaler|http_hello_world|"
    "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac",
    "SpreadScaler|http_server|"
    "71e4e16aae6b1fd1cac75ad82f407ccabbba4adfcfb631c6a84da5db2eb4759b",
    "LinkScaler|http_server -(wasi:http)-> http_hello_world|"
    "0fcff01255dc1d2cf54a276555e7cf894fae75a49d273d1a0264a609e9a62aa5",
    NULL,
};

static void
expect_simple(rec_scaler_t **v, size_t n)
{
    expect_list(v, n, simple_list);
    ck_assert_int_eq(v[0]->kind, REC_SK_COMP_SPREAD);
    ck_assert_int_eq(v[1]->kind, REC_SK_PROV_SPREAD);
    ck_assert_int_eq(v[2]->kind, REC_SK_LINK);
    ck_assert_uint_eq(v[0]->window_ms, 5000);
    ck_assert_uint_eq(v[1]->window_ms, 60000);
    ck_assert_uint_eq(v[2]->window_ms, 5000);
    ck_assert_str_eq(v[0]->app, "hello-simple");
    ck_assert_uint_eq(v[0]->ncfgs, 0);
    ck_assert_uint_eq(v[1]->ncfgs, 0);
    const rec_scaler_t *l = v[2];
    ck_assert_str_eq(l->source_id, "http_server");
    ck_assert_str_eq(l->target, "http_hello_world");
    ck_assert_str_eq(l->link_name, "default");
    ck_assert_str_eq(l->wit_namespace, "wasi");
    ck_assert_str_eq(l->wit_package, "http");
    ck_assert_uint_eq(l->interfaces.n, 1);
    ck_assert_str_eq(l->interfaces.v[0], "incoming-handler");
    ck_assert_uint_eq(l->source_config.n, 1);
    ck_assert_str_eq(l->source_config.v[0], "hello_simple-httpaddr");
    ck_assert_uint_eq(l->target_config.n, 0);
    ck_assert_uint_eq(l->ncfgs, 1);
    ck_assert(!l->cfgs[0].is_secret);
    ck_assert(l->cfgs[0].has_values);
    ck_assert_str_eq(l->cfgs[0].name, "hello_simple-httpaddr");
    ck_assert_uint_eq(l->cfgs[0].values.n, 1);
    ck_assert_str_eq(rec_smap_get(&l->cfgs[0].values, "address"),
                     "0.0.0.0:8080");
}

START_TEST(test_rec_build_simple_inline_gives_spec_list)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(test_yaml_hello_simple, &v);
    expect_simple(v, n);
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_build_simple_fixture_gives_spec_list)
{
    rec_scaler_t **v;
    size_t n = fixture("manifests/simple.yaml", &v);
    if (v == NULL)
        return;
    expect_simple(v, n);
    ck_assert_uint_eq(v[0]->spreads[0].target, 4);
    ck_assert_uint_eq(v[1]->spreads[0].target, 1);
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_build_complex_fixture)
{
    static const char *const want[] = {
        "SpreadScaler|littleblobbytables|"
        "d36e09698c59c5e75ed6bf91e2ebda026b6aaa8bd247746260ea9fb6094838ce",
        "LinkScaler|littleblobbytables -(wasi:blobstore)-> fileserver|"
        "427afa799e52356ced8d4c53892162c5212ee3781dc0013b2ee3a5c29260cab5",
        "SpreadScaler|http_server|"
        "760097fd25da6411b2429bc962db8d97f15e9d1a148fd53459ee5d79d0ec07f4",
        "LinkScaler|http_server -(wasi:http)-> littleblobbytables|"
        "10a46257af7945941224be7e66be84d088ef9667203f9883fe8bbd98c3ff6e1d",
        "SpreadScaler|fileserver|"
        "97bac2d7422a7cad8ff18313a106aca2a3a8cd38b10591aa9c91e3d7e616ede2",
        NULL,
    };
    rec_scaler_t **v;
    size_t n = fixture("manifests/complex.yaml", &v);
    if (v == NULL)
        return;
    expect_list(v, n, want);
    /* blobby: config list, one inline and one external config scaler */
    ck_assert_uint_eq(v[0]->config.n, 2);
    ck_assert_str_eq(v[0]->config.v[0], "complex-defaultcode");
    ck_assert_str_eq(v[0]->config.v[1],
                     "blobby-default-configuration-values");
    ck_assert_uint_eq(v[0]->ncfgs, 2);
    ck_assert(v[0]->cfgs[0].has_values);
    ck_assert_str_eq(rec_smap_get(&v[0]->cfgs[0].values, "http"), "404");
    ck_assert(!v[0]->cfgs[1].has_values);
    ck_assert_str_eq(v[0]->spreads[0].name, "eastcoast");
    ck_assert_uint_eq(v[0]->spreads[0].target, 3);
    ck_assert_str_eq(v[0]->spreads[1].name, "westcoast");
    ck_assert_uint_eq(v[0]->spreads[1].target, 2);
    /* blobby -> fileserver: target config only */
    ck_assert_uint_eq(v[1]->source_config.n, 0);
    ck_assert_uint_eq(v[1]->target_config.n, 1);
    ck_assert_str_eq(v[1]->target_config.v[0], "complex-rootfs");
    ck_assert_uint_eq(v[1]->ncfgs, 1);
    ck_assert_str_eq(rec_smap_get(&v[1]->cfgs[0].values, "root"), "/tmp");
    /* http_server: westcoast 2, the-moon 1 */
    ck_assert_int_eq(v[2]->kind, REC_SK_PROV_SPREAD);
    ck_assert_str_eq(v[2]->spreads[0].name, "westcoast");
    ck_assert_uint_eq(v[2]->spreads[0].target, 2);
    ck_assert_uint_eq(v[2]->spreads[1].target, 1);
    ck_assert_str_eq(v[3]->source_config.v[0], "complex-httpaddr");
    /* fileserver: its own config on the provider */
    ck_assert_uint_eq(v[4]->config.n, 1);
    ck_assert_str_eq(v[4]->config.v[0], "complex-defaultfs");
    ck_assert_uint_eq(v[4]->spreads[0].target, 1);
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_build_all_hosts_fixture)
{
    static const char *const want[] = {
        "SpreadScaler|hello_all_hosts-hello|"
        "4142c4b3a48ffb9d58ddc47be3bf5e5b50b0308288fc8606b627bbe3ff54bfaf",
        "SpreadScaler|hello_all_hosts-httpserver|"
        "12a8a414aec5ba5001ab802e690870720a0670684c5297814232386cc8d3111b",
        "LinkScaler|hello_all_hosts-httpserver -(wasi:http)-> "
        "hello_all_hosts-hello|"
        "ba3e54e1b16fe3a640961115fb30dbc5e7211d8a1e4c6c83bbd05b554600c1b6",
        NULL,
    };
    rec_scaler_t **v;
    size_t n = fixture("manifests/all_hosts.yaml", &v);
    if (v == NULL)
        return;
    expect_list(v, n, want);
    for (int k = 0; k < 2; k++) {
        ck_assert_uint_eq(v[k]->nspreads, 3);
        ck_assert_str_eq(v[k]->spreads[0].name, "eastcoast");
        ck_assert_uint_eq(v[k]->spreads[0].target, 2);
        ck_assert_str_eq(v[k]->spreads[1].name, "westcoast");
        ck_assert_uint_eq(v[k]->spreads[1].target, 2);
        ck_assert_str_eq(v[k]->spreads[2].name, "the-moon");
        ck_assert_uint_eq(v[k]->spreads[2].target, 1);
    }
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_build_host_stop_fixture)
{
    static const char *const want[] = {
        "SpreadScaler|host_stop-hello|"
        "233f659b19e77b4ee39b13158a02776ae4beafa213780957556488545f13248a",
        NULL,
    };
    rec_scaler_t **v;
    size_t n = fixture("manifests/host_stop.yaml", &v);
    if (v == NULL)
        return;
    expect_list(v, n, want);
    ck_assert_str_eq(v[0]->spreads[0].name, "eastcoast");
    ck_assert_uint_eq(v[0]->spreads[0].target, 5);
    ck_assert_str_eq(rec_smap_get(&v[0]->spreads[0].requirements, "region"),
                     "us-brooks-east");
    rec_scalers_free(v, n);
}
END_TEST

/* 14.10: the shared pair. */
START_TEST(test_rec_build_shared_pair_fixture)
{
    static const char *const want_shared[] = {
        "SpreadScaler|shared_http-httpclient|"
        "8514a99726d740e694e0ca1270d870f0bd1f5744d5c2ed5e168bdb42760beff3",
        "SpreadScaler|shared_http-httpserver|"
        "adfac1f23f89f40b6510bf88716e870f09622a7e60f3ccee5242b7469eea1ed7",
        NULL,
    };
    static const char *const want_dev[] = {
        "SpreadScaler|shared_http_dev-hello|"
        "4135f658a675846b248bd0f732faeb11a05d095da2446aa2fd333f4cff848a21",
        "LinkScaler|shared_http_dev-hello -(wasi:http)-> "
        "shared_http-httpclient|"
        "f8e54782d74cbde6ac2577421fc9a7a3d5578f935c9d15fafe78e3dfc79d4622",
        "LinkScaler|shared_http-httpserver -(wasi:http)-> "
        "shared_http_dev-hello|"
        "5c78d40f896817a34d2d17d50faab52a954d9d0b04d58e904dcdb3003784cebd",
        NULL,
    };
    rec_scaler_t **v;
    size_t n = fixture("manifests/shared/shared_http.yaml", &v);
    if (v == NULL)
        return;
    expect_list(v, n, want_shared);
    rec_scalers_free(v, n);
    n = fixture("manifests/shared/shared_http_dev.yaml", &v);
    if (v == NULL)
        return;
    expect_list(v, n, want_dev);
    /* both links belong to the referring app and use its config names */
    ck_assert_str_eq(v[1]->app, "shared-http-dev");
    ck_assert_str_eq(v[2]->app, "shared-http-dev");
    ck_assert_uint_eq(v[1]->source_config.n, 0);
    ck_assert_uint_eq(v[2]->source_config.n, 1);
    ck_assert_str_eq(v[2]->source_config.v[0], "shared_http_dev-httpaddr");
    ck_assert_uint_eq(v[2]->ncfgs, 1);
    ck_assert_str_eq(v[2]->cfgs[0].name, "shared_http_dev-httpaddr");
    ck_assert_str_eq(v[1]->interfaces.v[0], "outgoing-handler");
    rec_scalers_free(v, n);
}
END_TEST

static const char *const outdated_ids[] = {
    "def405827ccf0936fa58a18f9ac2b83ff19fcb0dbd30bf720d2124c259302bc0",
    "10bb2db0d7cbbff76227e4f392fa6d2b0af582065685328ea53fd3ffe9f1bae3",
    "c4d7f4f26f053987a3c055863393a98c6407904cbd0d44cd1aa7e33b4ab7c5eb",
    "4cc95f5e542ef9163b2e75b274acea60735990d49e229a68fb1803a4d0d67fdc",
    "536d9ae206eae58c3b68800a42d414021a99e80e720e46e4ff74fc88cece5251",
    "f933013006ab1814148a977232836750ea1d9c7f7fec1d0b0a8d792812285084",
    "51bc8d5f3dc5860beb9126195e6e28b9cc3916392af46fb7d15541639a32af19",
    "09819793cd0cf698afcc86b6404bc6299923c144092b5df47bf57f6ab4aa1daa",
};

/* 13.2: which ids an upgrade keeps (and so what is cleaned up). */
START_TEST(test_rec_build_upgrade_keeps_ids_of_unchanged_scalers)
{
    static const char *const want_old[] = {
        "SpreadScaler|updateapp-dog_fetcher|"
        "def405827ccf0936fa58a18f9ac2b83ff19fcb0dbd30bf720d2124c259302bc0",
        "SpreadScaler|http_hello_world|"
        "10bb2db0d7cbbff76227e4f392fa6d2b0af582065685328ea53fd3ffe9f1bae3",
        "SpreadScaler|updateapp-kvcounter|"
        "c4d7f4f26f053987a3c055863393a98c6407904cbd0d44cd1aa7e33b4ab7c5eb",
        "LinkScaler|updateapp-kvcounter -(wasi:keyvalue)-> keyvalue_redis|"
        "4cc95f5e542ef9163b2e75b274acea60735990d49e229a68fb1803a4d0d67fdc",
        "LinkScaler|http_server -(wasi:http)-> http_hello_world|"
        "536d9ae206eae58c3b68800a42d414021a99e80e720e46e4ff74fc88cece5251",
        "LinkScaler|http_server -(wasi:http)-> updateapp-dog_fetcher|"
        "f933013006ab1814148a977232836750ea1d9c7f7fec1d0b0a8d792812285084",
        "SpreadScaler|http_server|"
        "51bc8d5f3dc5860beb9126195e6e28b9cc3916392af46fb7d15541639a32af19",
        "SpreadScaler|keyvalue_redis|"
        "09819793cd0cf698afcc86b6404bc6299923c144092b5df47bf57f6ab4aa1daa",
        NULL,
    };
    static const char *const want_new[] = {
        "SpreadScaler|updateapp-dog_fetcher|"
        "51a282d154947f30fe339258d44bb836618cea7762ee930036ed753135712067",
        "SpreadScaler|updateapp-echo_messaging|"
        "1b3bbec4f964a0d9cd464e6c7522130ba8233d00bd7b4fa090837199d62dc22d",
        "SpreadScaler|http_hello_world|"
        "10bb2db0d7cbbff76227e4f392fa6d2b0af582065685328ea53fd3ffe9f1bae3",
        "LinkScaler|http_server -(wasi:http)-> http_hello_world|"
        "536d9ae206eae58c3b68800a42d414021a99e80e720e46e4ff74fc88cece5251",
        "LinkScaler|http_server -(wasi:http)-> updateapp-dog_fetcher|"
        "f933013006ab1814148a977232836750ea1d9c7f7fec1d0b0a8d792812285084",
        "SpreadScaler|http_server|"
        "3b0b6137b669d01bbef2974326e53b05b92421374345264e356c0cdbaf32610a",
        NULL,
    };
    rec_scaler_t **old, **nw;
    size_t nold = fixture("manifests/outdatedapp.yaml", &old);
    if (old == NULL)
        return;
    size_t nnew = fixture("manifests/upgradedapp.yaml", &nw);
    if (nw == NULL) {
        rec_scalers_free(old, nold);
        return;
    }
    expect_list(old, nold, want_old);
    expect_list(nw, nnew, want_new);
    /* kept: hello-world and both http links (config content changed,
     * names did not); cleaned up: everything else of the old list */
    size_t nkept = 0;
    for (size_t i = 0; i < nold; i++) {
        bool is_kept = false;
        for (size_t k = 0; k < nnew; k++)
            is_kept |= strcmp(old[i]->id, nw[k]->id) == 0;
        ck_assert_msg(is_kept == (i == 1 || i == 4 || i == 5),
                      "old scaler %zu (%s) kept=%d", i, old[i]->name,
                      is_kept);
        ck_assert_str_eq(old[i]->id, outdated_ids[i]);
        nkept += is_kept;
    }
    ck_assert_uint_eq(nkept, 3);
    /* the hello link's inline config changed content under the same name */
    rec_scaler_t *ol = old[4], *nl = nw[3];
    ck_assert_str_eq(rec_smap_get(&ol->cfgs[0].values, "address"),
                     "0.0.0.0:8080");
    ck_assert_str_eq(rec_smap_get(&nl->cfgs[0].values, "address"),
                     "0.0.0.0:8082");
    ck_assert_str_eq(ol->link_name, "hello");
    rec_scalers_free(old, nold);
    rec_scalers_free(nw, nnew);
}
END_TEST

/* ---- lattice.md 6.3 vectors --------------------------------------------- */


START_TEST(test_rec_ids_match_lattice_vectors)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(test_yaml_hello_simple, &v);
    ck_assert_str_eq(v[0]->id, "51f5a7b765665fbd56fb630960d59b2b6b5f4150"
                               "7ccfd5fe1eaca6b154f3c6ac");
    ck_assert_str_eq(v[1]->id, "71e4e16aae6b1fd1cac75ad82f407ccabbba4adf"
                               "cfb631c6a84da5db2eb4759b");
    ck_assert_str_eq(v[2]->id, "0fcff01255dc1d2cf54a276555e7cf894fae75a4"
                               "9d273d1a0264a609e9a62aa5");
    rec_scalers_free(v, n);

    n = test_scalers_yaml(TEST_LAT_MF_HEAD("echo-app") "  components:\n"
                          "    - name: echo\n"
                          "      type: component\n"
                          "      properties:\n"
                          "        image: ghcr.io/example/echo:1.0.0\n"
                          "      traits:\n"
                          "        - type: daemonscaler\n"
                          "          properties:\n"
                          "            instances: 1\n",
                          &v);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0]->name, "echo_app-echo");
    ck_assert_str_eq(v[0]->id, "512d7bb00621ad06e664934ee04e96066c4dce9c"
                               "d4fdfabc670f6d6ee444a589");
    rec_scalers_free(v, n);

    n = test_scalers_yaml(test_yaml_cfg_demo, &v);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0]->id, "eabbd78f1f71fe00ca3ca8c1b9476d7b38b0a610"
                               "f5916ee9f25ab1108011a81b");
    rec_scalers_free(v, n);
}
END_TEST

/* Spreads and instance counts are not part of the id; the image is. */
START_TEST(test_rec_ids_ignore_spreads_and_counts)
{
    rec_scaler_t **a, **b;
    size_t na = test_scalers_yaml(TEST_LAT_MF_HEAD("upgrade-demo")
                                  "  components:\n"
                                  "    - name: web\n"
                                  "      type: component\n"
                                  "      properties:\n"
                                  "        image: ghcr.io/example/web:1.0.0\n"
                                  "      traits:\n"
                                  "        - type: spreadscaler\n"
                                  "          properties:\n"
                                  "            instances: 2\n",
                                  &a);
    size_t nb = test_scalers_yaml(TEST_LAT_MF_HEAD("upgrade-demo")
                                  "  components:\n"
                                  "    - name: web\n"
                                  "      type: component\n"
                                  "      properties:\n"
                                  "        image: ghcr.io/example/web:1.0.0\n"
                                  "      traits:\n"
                                  "        - type: spreadscaler\n"
                                  "          properties:\n"
                                  "            instances: 7\n"
                                  "            spread:\n"
                                  "              - name: x\n"
                                  "                requirements: {a: b}\n",
                                  &b);
    ck_assert_str_eq(a[0]->id, "ba8d6af3c7ec245f0975d7446c72e5e58e9e05e2"
                               "29e88eadb534953f3bd5b9f9");
    ck_assert_str_eq(a[0]->id, b[0]->id);
    rec_scalers_free(a, na);
    rec_scalers_free(b, nb);
}
END_TEST

/* ---- config and secret names, the 9.2 reference map --------------------- */

START_TEST(test_rec_cfg_demo_config_list_and_secret_map)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(test_yaml_cfg_demo, &v);
    const rec_scaler_t *s = v[0];
    ck_assert_uint_eq(s->config.n, 3);
    ck_assert_str_eq(s->config.v[0], "cfg_demo-settings");
    ck_assert_str_eq(s->config.v[1], "shared-settings");
    ck_assert_str_eq(s->config.v[2], "SECRET_cfg_demo-db_password");
    ck_assert_uint_eq(s->ncfgs, 3);
    ck_assert(!s->cfgs[0].is_secret && s->cfgs[0].has_values);
    ck_assert_str_eq(rec_smap_get(&s->cfgs[0].values, "mode"), "prod");
    ck_assert(!s->cfgs[1].is_secret && !s->cfgs[1].has_values);
    ck_assert_str_eq(s->cfgs[1].name, "shared-settings");
    const rec_cfgsc_t *sec = &s->cfgs[2];
    ck_assert(sec->is_secret && sec->has_values);
    ck_assert_ptr_null(sec->error);
    ck_assert_str_eq(sec->name, "SECRET_cfg_demo-db_password");
    ck_assert_uint_eq(sec->values.n, 5);
    ck_assert_str_eq(rec_smap_get(&sec->values, "name"), "db-password");
    ck_assert_str_eq(rec_smap_get(&sec->values, "type"),
                     "secret.wasmcloud.dev/v1alpha1");
    ck_assert_str_eq(rec_smap_get(&sec->values, "backend"), "baobun");
    ck_assert_str_eq(rec_smap_get(&sec->values, "key"), "/app/db");
    ck_assert_ptr_null(rec_smap_get(&sec->values, "field"));
    ck_assert_ptr_null(rec_smap_get(&sec->values, "version"));
    ck_assert_str_eq(rec_smap_get(&sec->values, "policy"),
                     "{\"type\":\"properties.secret.wasmcloud.dev/v1alpha1\","
                     "\"properties\":{\"role_name\":\"app\"}}");
    rec_scalers_free(v, n);
}
END_TEST

START_TEST(test_rec_secret_policy_holds_every_property_but_backend)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        TEST_LAT_MF_HEAD("Sec App") "  policies:\n"
        "    - name: p\n"
        "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
        "      properties:\n"
        "        zeta: \"1\"\n"
        "        backend: nats-kv\n"
        "        alpha: a \"quoted\" value\n"
        "  components:\n"
        "    - name: c\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: img\n"
        "        secrets:\n"
        "          - name: Tok.En\n"
        "            properties:\n"
        "              policy: p\n"
        "              key: k\n"
        "              field: password\n"
        "              version: \"3\"\n",
        &v);
    ck_assert_uint_eq(n, 1); /* the implicit provider spread */
    const rec_cfgsc_t *sec = &v[0]->cfgs[0];
    ck_assert_str_eq(sec->name, "SECRET_sec_app-tok_en");
    ck_assert_str_eq(v[0]->config.v[0], "SECRET_sec_app-tok_en");
    ck_assert_str_eq(rec_smap_get(&sec->values, "name"), "Tok.En");
    ck_assert_str_eq(rec_smap_get(&sec->values, "version"), "3");
    ck_assert_str_eq(rec_smap_get(&sec->values, "field"), "password");
    cJSON *pol = cJSON_Parse(rec_smap_get(&sec->values, "policy"));
    cJSON *want = cJSON_Parse(
        "{\"type\":\"properties.secret.wasmcloud.dev/v1alpha1\","
        "\"properties\":{\"alpha\":\"a \\\"quoted\\\" value\","
        "\"zeta\":\"1\"}}");
    ck_assert(cJSON_Compare(pol, want, true));
    cJSON_Delete(pol);
    cJSON_Delete(want);
    rec_scalers_free(v, n);
}
END_TEST

/* manifest.md 4.4: duplicate policy names, the last definition wins. */
START_TEST(test_rec_secret_uses_last_policy_of_a_name)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        TEST_LAT_MF_HEAD("dup") "  policies:\n"
        "    - name: p\n"
        "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
        "      properties: {backend: first}\n"
        "    - name: p\n"
        "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
        "      properties: {backend: second, role: r}\n"
        "  components:\n"
        "    - name: c\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: img\n"
        "        secrets:\n"
        "          - name: s\n"
        "            properties: {policy: p, key: k}\n",
        &v);
    const rec_cfgsc_t *sec = &v[0]->cfgs[0];
    ck_assert_str_eq(rec_smap_get(&sec->values, "backend"), "second");
    rec_scalers_free(v, n);
}
END_TEST

/* Link configs: source configs then secrets, target likewise; attached:
 * source configs, target configs, source secrets, target secrets. */
START_TEST(test_rec_link_config_lists_and_attached_order)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        TEST_LAT_MF_HEAD("lk") "  policies:\n"
        "    - name: p\n"
        "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
        "      properties: {backend: b}\n"
        "  components:\n"
        "    - name: a\n"
        "      type: component\n"
        "      properties:\n"
        "        image: ia\n"
        "      traits:\n"
        "        - type: link\n"
        "          properties:\n"
        "            name: ln\n"
        "            namespace: ns\n"
        "            package: pk\n"
        "            interfaces: [i1, i2]\n"
        "            source:\n"
        "              config:\n"
        "                - name: sc\n"
        "                  properties: {x: \"1\"}\n"
        "                - name: ext\n"
        "              secrets:\n"
        "                - name: ss\n"
        "                  properties: {policy: p, key: k1}\n"
        "            target:\n"
        "              name: b\n"
        "              config:\n"
        "                - name: tc\n"
        "                  properties: {y: \"2\"}\n"
        "              secrets:\n"
        "                - name: ts\n"
        "                  properties: {policy: p, key: k2}\n"
        "    - name: b\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: ib\n"
        "        id: bee\n",
        &v);
    ck_assert_uint_eq(n, 2);
    const rec_scaler_t *l = v[0];
    ck_assert_int_eq(l->kind, REC_SK_LINK);
    ck_assert_str_eq(l->name, "lk-a -(ns:pk)-> bee");
    ck_assert_str_eq(l->link_name, "ln");
    ck_assert_uint_eq(l->source_config.n, 3);
    ck_assert_str_eq(l->source_config.v[0], "lk-sc");
    ck_assert_str_eq(l->source_config.v[1], "ext");
    ck_assert_str_eq(l->source_config.v[2], "SECRET_lk-ss");
    ck_assert_uint_eq(l->target_config.n, 2);
    ck_assert_str_eq(l->target_config.v[0], "lk-tc");
    ck_assert_str_eq(l->target_config.v[1], "SECRET_lk-ts");
    ck_assert_uint_eq(l->ncfgs, 5);
    const char *order[] = {"lk-sc", "ext", "lk-tc", "SECRET_lk-ss",
                           "SECRET_lk-ts"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(l->cfgs[i].name, order[i]);
    ck_assert(l->cfgs[3].is_secret && l->cfgs[4].is_secret);
    /* the capability got its implicit spread after the component's link */
    ck_assert_int_eq(v[1]->kind, REC_SK_PROV_SPREAD);
    ck_assert_str_eq(v[1]->name, "bee");
    ck_assert_uint_eq(v[1]->instances, 1);
    rec_scalers_free(v, n);
}
END_TEST

/* ---- 2: the rules of the trait tables ----------------------------------- */

START_TEST(test_rec_build_trait_table_rules)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        TEST_LAT_MF_HEAD("rules") "  components:\n"
        /* no scaler trait: never started, no scaler */
        "    - name: idle\n"
        "      type: component\n"
        "      properties:\n"
        "        image: i-idle\n"
        /* link-only capability: link, then the implicit spread */
        "    - name: cap\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: i-cap\n"
        "      traits:\n"
        "        - type: link\n"
        "          properties:\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: idle}\n"
        /* provider -> provider: no link scaler */
        "        - type: link\n"
        "          properties:\n"
        "            name: self\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: cap}\n"
        /* target missing: nothing */
        "        - type: link\n"
        "          properties:\n"
        "            name: gone\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: nowhere}\n"
        /* a custom trait: nothing */
        "        - type: customscaler\n"
        "          properties: {what: ever}\n"
        /* daemon capability: no implicit spread */
        "    - name: dcap\n"
        "      type: capability\n"
        "      properties:\n"
        "        image: i-dcap\n"
        "      traits:\n"
        "        - type: daemonscaler\n"
        "          properties:\n"
        "            instances: 1\n"
        /* component source may target a capability */
        "    - name: comp\n"
        "      type: component\n"
        "      properties:\n"
        "        image: i-comp\n"
        "      traits:\n"
        "        - type: link\n"
        "          properties:\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: dcap}\n"
        /* shared reference: no scaler for its scaler traits */
        "    - name: ref\n"
        "      type: capability\n"
        "      properties:\n"
        "        application: {name: Other App, component: thing}\n"
        "      traits:\n"
        "        - type: spreadscaler\n"
        "          properties:\n"
        "            instances: 3\n"
        "        - type: link\n"
        "          properties:\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: comp}\n",
        &v);
    static const char *const want[] = {
        "LinkScaler|rules-cap -(n:p)-> rules-idle|",
        "SpreadScaler|rules-cap|",
        "DaemonScaler|rules-dcap|",
        "LinkScaler|rules-comp -(n:p)-> rules-dcap|",
        "LinkScaler|other_app-thing -(n:p)-> rules-comp|",
        NULL,
    };
    for (size_t i = 0; i < n && want[i]; i++) {
        char got[256];
        snprintf(got, sizeof(got), "%s|%s|", rec_scaler_kind_name(v[i]),
                 v[i]->name);
        ck_assert_str_eq(got, want[i]);
        ck_assert_uint_eq(strlen(v[i]->id), 64);
    }
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(v[2]->kind, REC_SK_PROV_DAEMON);
    ck_assert_uint_eq(v[2]->window_ms, 60000);
    ck_assert_str_eq(v[4]->app, "rules");
    rec_scalers_free(v, n);
}
END_TEST

/* Scaler and daemon on one entry: each gets its own config scalers. */
START_TEST(test_rec_build_each_scaler_gets_its_own_configs)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(TEST_LAT_MF_HEAD("two") "  components:\n"
                                 "    - name: c\n"
                                 "      type: component\n"
                                 "      properties:\n"
                                 "        image: i\n"
                                 "        config:\n"
                                 "          - name: cf\n"
                                 "            properties: {k: v}\n"
                                 "      traits:\n"
                                 "        - type: spreadscaler\n"
                                 "          properties: {instances: 1}\n"
                                 "        - type: daemonscaler\n"
                                 "          properties: {instances: 1}\n",
                                 &v);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(rec_scaler_kind_name(v[0]), "SpreadScaler");
    ck_assert_str_eq(rec_scaler_kind_name(v[1]), "DaemonScaler");
    ck_assert_str_ne(v[0]->id, v[1]->id);
    ck_assert_uint_eq(v[0]->ncfgs, 1);
    ck_assert_uint_eq(v[1]->ncfgs, 1);
    ck_assert_ptr_ne(v[0]->cfgs, v[1]->cfgs);
    ck_assert_str_eq(v[1]->cfgs[0].name, "two-cf");
    rec_scalers_free(v, n);
}
END_TEST

/* 2 step 1: a StatusScaler for an entry with neither or both. */
START_TEST(test_rec_build_status_scaler_for_bad_entries)
{
    rec_scaler_t **v;
    size_t n = test_scalers_yaml(
        TEST_LAT_MF_HEAD("bad") "  components:\n"
        "    - name: neither\n"
        "      type: capability\n"
        "      properties: {}\n"
        "    - name: both\n"
        "      type: component\n"
        "      properties:\n"
        "        image: i\n"
        "        application: {name: x, component: y}\n"
        "      traits:\n"
        "        - type: spreadscaler\n"
        "          properties: {instances: 1}\n"
        "    - name: good\n"
        "      type: component\n"
        "      properties:\n"
        "        image: i\n"
        "      traits:\n"
        "        - type: link\n"
        "          properties:\n"
        "            namespace: n\n"
        "            package: p\n"
        "            interfaces: [i]\n"
        "            target: {name: neither}\n",
        &v);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(v[0]->kind, REC_SK_STATUS);
    ck_assert_str_eq(rec_scaler_kind_name(v[0]), "SpreadScaler");
    ck_assert_str_eq(v[0]->name, "neither");
    ck_assert_uint_eq(strlen(v[0]->id), 36);
    ck_assert_int_eq(v[0]->id[14], '4'); /* UUID version 4 */
    ck_assert_str_eq(v[1]->name, "both");
    ck_assert_str_eq(rec_scaler_kind_name(v[2]), "LinkScaler");
    ck_assert_str_eq(v[2]->name, "neither -(n:p)-> neither");
    ck_assert_int_eq(v[2]->kind, REC_SK_STATUS);
    ck_assert_str_ne(v[0]->id, v[1]->id);
    test_lat_t l;
    test_lat_init(&l);
    int t;
    const char *msg;
    ck_assert_str_eq(test_reconcile(v[0], &l, NULL, &t, &msg), "");
    ck_assert_int_eq(t, REC_ST_FAILED);
    ck_assert_str_eq(msg, "Application did not specify an image or shared "
                          "application reference");
    test_reconcile(v[1], &l, NULL, &t, &msg);
    ck_assert_int_eq(t, REC_ST_FAILED);
    ck_assert_str_eq(msg, "Application specified both an image and a "
                          "shared application reference");
    test_reconcile(v[2], &l, NULL, &t, &msg);
    ck_assert_int_eq(t, REC_ST_FAILED);
    ck_assert_str_eq(test_cleanup(v[0], &l, NULL), "");
    test_lat_destroy(&l);
    rec_scalers_free(v, n);
}
END_TEST

Suite *
rec_build_suite(void)
{
    Suite *s = suite_create("rec_build");
    TCase *tc = tcase_create("targets");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_rec_targets_follow_the_spec_table, 0,
                        (int)(sizeof(target_rows) / sizeof(target_rows[0])));
    tcase_add_test(tc, test_rec_targets_without_spreads_are_one_default_spread);
    tcase_add_test(tc, test_rec_targets_survive_huge_weights);
    tcase_add_test(tc, test_rec_daemon_keeps_spreads_as_listed);
    tcase_add_test(tc,
                   test_rec_eligible_when_every_requirement_is_an_exact_label);
    suite_add_tcase(s, tc);

    tc = tcase_create("lists");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_rec_build_simple_inline_gives_spec_list);
    tcase_add_test(tc, test_rec_build_simple_fixture_gives_spec_list);
    tcase_add_test(tc, test_rec_build_complex_fixture);
    tcase_add_test(tc, test_rec_build_all_hosts_fixture);
    tcase_add_test(tc, test_rec_build_host_stop_fixture);
    tcase_add_test(tc, test_rec_build_shared_pair_fixture);
    tcase_add_test(tc, test_rec_build_upgrade_keeps_ids_of_unchanged_scalers);
    tcase_add_test(tc, test_rec_build_trait_table_rules);
    tcase_add_test(tc, test_rec_build_each_scaler_gets_its_own_configs);
    tcase_add_test(tc, test_rec_build_status_scaler_for_bad_entries);
    suite_add_tcase(s, tc);

    tc = tcase_create("ids_and_names");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_rec_ids_match_lattice_vectors);
    tcase_add_test(tc, test_rec_ids_ignore_spreads_and_counts);
    tcase_add_test(tc, test_rec_cfg_demo_config_list_and_secret_map);
    tcase_add_test(tc, test_rec_secret_policy_holds_every_property_but_backend);
    tcase_add_test(tc, test_rec_secret_uses_last_policy_of_a_name);
    tcase_add_test(tc, test_rec_link_config_lists_and_attached_order);
    suite_add_tcase(s, tc);
    return s;
}
