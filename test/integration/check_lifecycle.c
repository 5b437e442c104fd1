/*
 * check_lifecycle.c - the worked examples of spec/scalers.md 14 on real
 * processes: nats-server, build/wadm and build/hostsim. Each test deploys
 * through the wadm API as a client would and checks, from the simulated
 * hosts' command record, the exact subjects and bodies wadm sent, in
 * order, then the status and what runs where. Host ids H1, H2... of the
 * spec are the hosts in start order. Skipped when nats-server, wadm or
 * hostsim is missing. Nothing sleeps: every wait has a deadline.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_lattice.h"
#include "test/lib/test_life.h"
#include "test/lib/test_mf.h"
#include "test/lib/test_util.h"

#define B 2048

#define LIFE_START(t, nhosts, ...)                                           \
    TEST_LIFE_START(t, false, nhosts, NULL, __VA_ARGS__)
#define LIFE_START_FX(t, nhosts, ...)                                        \
    TEST_LIFE_START(t, true, nhosts, NULL, __VA_ARGS__)

static test_life_t life;

static const char *
H(int i)
{
    return life.hs.ids[i - 1];
}

/* Fails unless app's status is want within timeout; returns it. */
static cJSON *
status_is(const char *app, const char *want, const char *substr,
          unsigned timeout_ms)
{
    cJSON *st = test_life_wait_status(&life, app, want, substr, timeout_ms);
    ck_assert_msg(st != NULL, "%s never %s", app, want);
    return st;
}

static void
scaler_is(const cJSON *st, int i, const char *id, const char *kind,
          const char *name, const char *type)
{
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                        i);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "id")->valuestring, id);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "kind")->valuestring, kind);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "name")->valuestring, name);
    ck_assert_str_eq(test_life_stype(s), type);
}

/* ---- 14.1 simple app end to end ---------------------------------------- */

#define SIMPLE_CREF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"
#define SIMPLE_PREF "ghcr.io/wasmcloud/http-server:0.23.0"
#define SIMPLE_CSC                                                           \
    "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac"
#define SIMPLE_PSC                                                           \
    "71e4e16aae6b1fd1cac75ad82f407ccabbba4adfcfb631c6a84da5db2eb4759b"
#define SIMPLE_LSC                                                           \
    "0fcff01255dc1d2cf54a276555e7cf894fae75a49d273d1a0264a609e9a62aa5"
#define SIMPLE_LINK                                                          \
    "{\"source_id\":\"http_server\",\"target\":\"http_hello_world\","        \
    "\"name\":\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"       \
    "\"http\",\"interfaces\":[\"incoming-handler\"],\"source_config\":"      \
    "[\"hello_simple-httpaddr\"],\"target_config\":[]}"

START_TEST(test_lifecycle_14_1_simple_end_to_end)
{
    LIFE_START_FX(&life, 1, NULL);
    const char *path = test_fixture_path("manifests/simple.yaml");
    char b[4][B], s[4][256];
    long seq = test_life_last_seq(&life);
    test_life_status_mark(&life);
    test_life_deploy_file(&life, path);
    cJSON *st = status_is("hello-simple", "deployed", NULL, 15000);
    scaler_is(st, 0, SIMPLE_CSC, "SpreadScaler", "http_hello_world",
              "deployed");
    scaler_is(st, 1, SIMPLE_PSC, "SpreadScaler", "http_server", "deployed");
    scaler_is(st, 2, SIMPLE_LSC, "LinkScaler",
              "http_server -(wasi:http)-> http_hello_world", "deployed");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "scalers")),
                     3);
    ck_assert_str_eq(cJSON_GetObjectItem(st, "version")->valuestring, "");
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(st, "components")), 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "status"),
                                           "message"));
    cJSON_Delete(st);
    /* the first status published: every scaler reconciling */
    st = test_life_saw_status(&life, "hello-simple", "reconciling",
                              "Scaling component on 1 host(s), Scaling "
                              "provider on 1 host(s), Putting link "
                              "definition between http_server and "
                              "http_hello_world",
                              5000);
    ck_assert_msg(st != NULL, "no reconciling status with every scaler");
    cJSON_Delete(st);
    const char *deploy[] = {
        test_life_subject(&life, s[0], 256, "component.scale.%s", H(1)),
        test_life_scale_body(b[0], B, SIMPLE_CREF, "http_hello_world",
                             "hello-simple", SIMPLE_CSC, "default", 4, H(1),
                             NULL),
        test_life_subject(&life, s[1], 256, "provider.start.%s", H(1)),
        test_life_start_body(b[1], B, SIMPLE_PREF, "http_server",
                             "hello-simple", SIMPLE_PSC, "default", H(1),
                             NULL),
        "wasmbus.ctl.v1.default.config.put.hello_simple-httpaddr",
        "{\"address\":\"0.0.0.0:8080\"}",
        "wasmbus.ctl.v1.default.link.put", SIMPLE_LINK,
        NULL};
    test_life_expect_actions(&life, seq, deploy);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", H(1)), 4);
    ck_assert_int_eq(test_life_providers(&life, "http_server", H(1)), 1);
    ck_assert_int_eq(test_life_links(&life, "http_server"), 1);
    ck_assert(test_life_config_exists(&life, "hello_simple-httpaddr"));

    seq = test_life_last_seq(&life);
    test_life_undeploy(&life, "hello-simple");
    st = status_is("hello-simple", "undeployed",
                   "Manifest has been undeployed", 10000);
    ck_assert_ptr_null(cJSON_GetObjectItem(st, "scalers"));
    cJSON_Delete(st);
    const char *undeploy[] = {
        s[0],
        test_life_scale_body(b[2], B, SIMPLE_CREF, "http_hello_world",
                             "hello-simple", SIMPLE_CSC, "default", 0, H(1),
                             NULL),
        test_life_subject(&life, s[2], 256, "provider.stop.%s", H(1)),
        test_life_stop_body(b[3], B, "http_server", H(1)),
        "wasmbus.ctl.v1.default.link.del",
        "{\"source_id\":\"http_server\",\"name\":\"default\","
        "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}",
        "wasmbus.ctl.v1.default.config.del.hello_simple-httpaddr", "",
        NULL};
    test_life_expect_actions(&life, seq, undeploy);
    ck_assert(test_life_wait_instances(&life, "http_hello_world", 0, 5000));
    ck_assert(test_life_wait_providers(&life, "http_server", 0, 5000));
    ck_assert_int_eq(test_life_links(&life, NULL), 0);
    ck_assert(!test_life_config_exists(&life, "hello_simple-httpaddr"));
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 1);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 1);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.2 weighted spreads ---------------------------------------------- */

#define SPREAD_DEMO                                                          \
    TEST_LIFE_MF_HEAD("spread-demo")                                         \
    TEST_LIFE_MF_COMPONENT("echo", "ghcr.io/example/echo:0.3.4")             \
    TEST_MF_SPREAD_DEMO_TRAITS
#define SPREAD_SC TEST_MF_SPREAD_DEMO_ID
#define SPREAD_REF "ghcr.io/example/echo:0.3.4"

/*
 * The variant first (no west host: conflict, no command at all), then the
 * west host starts and its host_started makes the scaler place all three
 * spreads in sorted order.
 */
START_TEST(test_lifecycle_14_2_weighted_spreads)
{
    LIFE_START(&life, 2, "--host", "zone=east", "--host", "zone=central",
               NULL);
    char b[3][B], s[3][256];
    long seq = test_life_last_seq(&life);
    test_life_deploy_text(&life, SPREAD_DEMO);
    cJSON *st = status_is("spread-demo", "failed",
                          "Spread requirement conflict: west spread requires "
                          "3 instances vs 0 computed from reconciliation "
                          "commands",
                          10000);
    cJSON_Delete(st);
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_eq(cJSON_GetArraySize(a), 0);
    cJSON_Delete(a);

    cJSON *r = test_hs_admin(&life.hs, "start", "{\"labels\":{\"zone\":"
                                                "\"west\"}}");
    ck_assert(r != NULL && test_hs_ok(r));
    char west[64];
    snprintf(west, sizeof(west), "%s", test_hs_str(r, "id"));
    cJSON_Delete(r);
    const char *want[] = {
        test_life_subject(&life, s[0], 256, "component.scale.%s", H(1)),
        test_life_scale_body(b[0], B, SPREAD_REF, "spread_demo-echo",
                             "spread-demo", SPREAD_SC, "east", 53, H(1),
                             NULL),
        test_life_subject(&life, s[1], 256, "component.scale.%s", H(2)),
        test_life_scale_body(b[1], B, SPREAD_REF, "spread_demo-echo",
                             "spread-demo", SPREAD_SC, "central", 47, H(2),
                             NULL),
        test_life_subject(&life, s[2], 256, "component.scale.%s", west),
        test_life_scale_body(b[2], B, SPREAD_REF, "spread_demo-echo",
                             "spread-demo", SPREAD_SC, "west", 3, west, NULL),
        NULL};
    test_life_expect_actions(&life, seq, want);
    st = status_is("spread-demo", "deployed", NULL, 10000);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_instances(&life, "spread_demo-echo", west), 3);
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 3);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.3 scale down across hosts --------------------------------------- */

#define SCALE_SC                                                             \
    "c11ed96a178d3a7ad79ca9a38c65061a459e838dc76ade6657805f6da09503bd"
#define SCALE_REF "ghcr.io/example/web:1.0.0"
#define SCALE_ANN                                                            \
    "{\"wasmcloud.dev/appspec\":\"scale-demo\","                             \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\""      \
    SCALE_SC "\",\"wasmcloud.dev/spread_name\":\"default\"}"

START_TEST(test_lifecycle_14_3_scale_down_across_hosts)
{
    LIFE_START(&life, 2, "--hosts", "2", NULL);
    /* what an earlier wadm left running: 10 on each host */
    test_life_preload_component(&life, H(1), "scale_demo-web", SCALE_REF,
                                SCALE_ANN, 10);
    test_life_preload_component(&life, H(2), "scale_demo-web", SCALE_REF,
                                SCALE_ANN, 10);
    ck_assert(test_life_wait_rec_num(&life, "component_instances", 20,
                                     10000));
    long seq = test_life_last_seq(&life);
    test_life_status_mark(&life);
    test_life_deploy_text(&life,
                          TEST_LIFE_MF_HEAD("scale-demo")
                          TEST_LIFE_MF_COMPONENT(
                              "web", "ghcr.io/example/web:1.0.0")
                          "        - type: spreadscaler\n"
                          "          properties:\n"
                          "            instances: 9\n");
    cJSON *st = status_is("scale-demo", "deployed", NULL, 10000);
    cJSON_Delete(st);
    st = test_life_saw_status(&life, "scale-demo", "reconciling",
                              "Scaling component on 2 host(s)", 1000);
    ck_assert_msg(st != NULL, "no reconciling status on 2 hosts");
    cJSON_Delete(st);
    /* H1 then H2 (recommended order), or the other way round (choice) */
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_eq(cJSON_GetArraySize(a), 2);
    char b[2][B], s[2][256];
    for (int first = 1; first <= 2; first++) {
        int second = 3 - first;
        test_life_subject(&life, s[0], 256, "component.scale.%s", H(first));
        test_life_scale_body(b[0], B, SCALE_REF, "scale_demo-web",
                             "scale-demo", SCALE_SC, "default", 0, H(first),
                             NULL);
        test_life_subject(&life, s[1], 256, "component.scale.%s", H(second));
        test_life_scale_body(b[1], B, SCALE_REF, "scale_demo-web",
                             "scale-demo", SCALE_SC, "default", 9, H(second),
                             NULL);
        const cJSON *c0 = cJSON_GetArrayItem(a, 0);
        if (strcmp(test_hs_str(c0, "subject"), s[0]) != 0)
            continue;
        const char *want[] = {s[0], b[0], s[1], b[1], NULL};
        test_life_expect_actions(&life, seq, want);
        ck_assert_int_eq(
            test_life_instances(&life, "scale_demo-web", H(second)), 9);
        ck_assert_int_eq(
            test_life_instances(&life, "scale_demo-web", H(first)), 0);
        break;
    }
    cJSON_Delete(a);
    ck_assert(test_life_wait_instances(&life, "scale_demo-web", 9, 5000));
    /* no start was needed: only the two preloads */
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 3);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.4 provider spread with stop and starts -------------------------- */

#define PROV_SC                                                              \
    "e79ff4ee9df03895ba374fc55e2750c626e05df7c7ea5e6e4daa6eadfcb4ebe6"
#define PROV_REF "ghcr.io/example/kv-provider:3.2.1"
#define PROV_ANN                                                             \
    "{\"wasmcloud.dev/appspec\":\"prov-demo\","                              \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\""      \
    PROV_SC "\",\"wasmcloud.dev/spread_name\":\"ComplexOne\"}"
#define PROV_DEMO(instances, spreads)                                        \
    TEST_LIFE_MF_HEAD("prov-demo")                                           \
    "    - name: kv\n"                                                       \
    "      type: capability\n"                                               \
    "      properties:\n"                                                    \
    "        image: ghcr.io/example/kv-provider:3.2.1\n"                     \
    "      traits:\n"                                                        \
    "        - type: spreadscaler\n"                                         \
    "          properties:\n"                                                \
    "            instances: " instances "\n"                                 \
    "            spread:\n" spreads

START_TEST(test_lifecycle_14_4_provider_spread)
{
    LIFE_START(&life, 4, "--host",
               "cloud=fake,region=us-noneofyourbusiness-1", "--host",
               "cloud=real,region=us-yourhouse-1", "--host",
               "cloud=inthemiddle,region=us-yourhouse-1", "--host",
               "cloud=fake,region=us-east-1", NULL);
    test_life_preload_provider(&life, H(1), "prov_demo-kv", PROV_REF,
                               PROV_ANN);
    test_life_preload_provider(&life, H(4), "prov_demo-kv", PROV_REF,
                               PROV_ANN);
    ck_assert(test_life_wait_rec_num(&life, "provider_instances", 2, 10000));
    long seq = test_life_last_seq(&life);
    test_life_status_mark(&life);
    test_life_deploy_text(
        &life, PROV_DEMO("3", "              - name: ComplexOne\n"
                              "                requirements: {cloud: fake}\n"
                              "                weight: 1\n"
                              "              - name: ComplexTwo\n"
                              "                requirements:\n"
                              "                  region: us-yourhouse-1\n"
                              "                weight: 2\n"));
    cJSON *st = status_is("prov-demo", "deployed", NULL, 10000);
    cJSON_Delete(st);
    st = test_life_saw_status(&life, "prov-demo", "reconciling",
                              "Scaling provider on 3 host(s)", 1000);
    ck_assert_msg(st != NULL, "no reconciling status on 3 hosts");
    cJSON_Delete(st);
    /* ComplexTwo first (weight 2): starts on H2, H3; then one stop */
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_ge(cJSON_GetArraySize(a), 3);
    const char *stopped =
        strstr(test_hs_str(cJSON_GetArrayItem(a, 2), "subject"), H(1))
            ? H(1)
            : H(4);
    /* H2 and H3 in either order (choice; recommended: ascending id) */
    int h2 = strstr(test_hs_str(cJSON_GetArrayItem(a, 0), "subject"), H(2))
                 ? 2
                 : 3;
    int h3 = 5 - h2;
    cJSON_Delete(a);
    char b[3][B], s[3][256];
    const char *want[] = {
        test_life_subject(&life, s[0], 256, "provider.start.%s", H(h2)),
        test_life_start_body(b[0], B, PROV_REF, "prov_demo-kv", "prov-demo",
                             PROV_SC, "ComplexTwo", H(h2), NULL),
        test_life_subject(&life, s[1], 256, "provider.start.%s", H(h3)),
        test_life_start_body(b[1], B, PROV_REF, "prov_demo-kv", "prov-demo",
                             PROV_SC, "ComplexTwo", H(h3), NULL),
        test_life_subject(&life, s[2], 256, "provider.stop.%s", stopped),
        test_life_stop_body(b[2], B, "prov_demo-kv", stopped),
        NULL};
    test_life_expect_actions(&life, seq, want);
    ck_assert(test_life_wait_providers(&life, "prov_demo-kv", 3, 5000));
    ck_assert_int_eq(test_life_providers(&life, "prov_demo-kv", stopped), 0);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 4);
    test_life_destroy(&life);
}
END_TEST

/* Variant "too few hosts": a foreign copy counts for its spread. */
START_TEST(test_lifecycle_14_4_provider_too_few_hosts)
{
    LIFE_START(&life, 2, "--host", "cloud=fake", "--host", "cloud=real",
               NULL);
    test_life_preload_provider(&life, H(2), "prov_demo-kv", PROV_REF, "{}");
    ck_assert(test_life_wait_rec_num(&life, "provider_instances", 1, 10000));
    long seq = test_life_last_seq(&life);
    test_life_deploy_text(
        &life, PROV_DEMO("2", "              - name: SimpleOne\n"
                              "                requirements: {cloud: fake}\n"
                              "                weight: 100\n"
                              "              - name: SimpleTwo\n"
                              "                requirements: {cloud: real}\n"
                              "                weight: 100\n"));
    cJSON *st = status_is("prov-demo", "deployed", NULL, 10000);
    const char *sc = cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                            0),
                         "id")
                         ->valuestring;
    char b[B], s[256];
    const char *want[] = {
        test_life_subject(&life, s, 256, "provider.start.%s", H(1)),
        test_life_start_body(b, B, PROV_REF, "prov_demo-kv", "prov-demo", sc,
                             "SimpleOne", H(1), NULL),
        NULL};
    test_life_expect_actions(&life, seq, want);
    cJSON_Delete(st);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.5 daemon scaler with an ineligible host ------------------------- */

#define DAEMON_SC                                                            \
    "9d89c3abe6ac97019667b91f3e39d84e8827163e7952e5886777b3dff2b0ff71"
#define DAEMON_REF "ghcr.io/example/agent:1.0.0"

START_TEST(test_lifecycle_14_5_daemon_ineligible_host)
{
    LIFE_START(&life, 3, "--host", "location=edge", "--host",
               "location=edge", "--host", "location=cloud", NULL);
    test_life_preload_component(
        &life, H(1), "daemon_demo-agent", DAEMON_REF,
        "{\"wasmcloud.dev/appspec\":\"daemon-demo\","
        "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\""
        DAEMON_SC "\",\"wasmcloud.dev/spread_name\":\"edge\"}",
        2);
    test_life_preload_component(&life, H(3), "daemon_demo-agent", DAEMON_REF,
                                "{\"owner\":\"someone-else\"}", 1);
    ck_assert(test_life_wait_rec_num(&life, "component_instances", 3,
                                     10000));
    long seq = test_life_last_seq(&life);
    test_life_status_mark(&life);
    test_life_deploy_text(&life,
                          TEST_LIFE_MF_HEAD("daemon-demo")
                          TEST_LIFE_MF_COMPONENT(
                              "agent", "ghcr.io/example/agent:1.0.0")
                          "        - type: daemonscaler\n"
                          "          properties:\n"
                          "            instances: 2\n"
                          "            spread:\n"
                          "              - name: edge\n"
                          "                requirements:\n"
                          "                  location: edge\n");
    cJSON *st = test_life_saw_status(&life, "daemon-demo", "reconciling",
                                     "Found components running on "
                                     "ineligible hosts, removing them.",
                                     10000);
    ck_assert_msg(st != NULL, "no ineligible-host status");
    cJSON_Delete(st);
    st = status_is("daemon-demo", "deployed", NULL, 15000);
    cJSON_Delete(st);
    char b[2][B], s[2][256];
    const char *want[] = {
        test_life_subject(&life, s[0], 256, "component.scale.%s", H(3)),
        test_life_scale_body(b[0], B, DAEMON_REF, "daemon_demo-agent",
                             "daemon-demo", NULL, NULL, 0, H(3), NULL),
        test_life_subject(&life, s[1], 256, "component.scale.%s", H(2)),
        test_life_scale_body(b[1], B, DAEMON_REF, "daemon_demo-agent",
                             "daemon-demo", DAEMON_SC, "edge", 2, H(2), NULL),
        NULL};
    test_life_expect_actions(&life, seq, want);
    ck_assert_int_eq(test_life_instances(&life, "daemon_demo-agent", H(1)),
                     2);
    ck_assert_int_eq(test_life_instances(&life, "daemon_demo-agent", H(2)),
                     2);
    ck_assert_int_eq(test_life_instances(&life, "daemon_demo-agent", H(3)),
                     0);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.6 upgrade of a component image ---------------------------------- */

#define UPGRADE_DEMO TEST_LIFE_UPGRADE_DEMO
#define UPGRADE_OLD TEST_LIFE_UPGRADE_OLD
#define UPGRADE_NEW TEST_LIFE_UPGRADE_NEW

START_TEST(test_lifecycle_14_6_upgrade_component_image)
{
    LIFE_START(&life, 1, NULL);
    test_life_deploy_text(&life, UPGRADE_DEMO("1.0.0"));
    cJSON *st = status_is("upgrade-demo", "deployed", NULL, 10000);
    scaler_is(st, 0, UPGRADE_OLD, "SpreadScaler", "upgrade_demo-web",
              "deployed");
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_instances(&life, "upgrade_demo-web", H(1)), 2);

    long seq = test_life_last_seq(&life);
    test_life_status_mark(&life);
    test_life_deploy_text(&life, UPGRADE_DEMO("1.1.0"));
    char b[3][B], s[256];
    test_life_subject(&life, s, 256, "component.scale.%s", H(1));
    const char *first[] = {
        s,
        test_life_scale_body(b[0], B, "ghcr.io/example/web:1.1.0",
                             "upgrade_demo-web", "upgrade-demo", UPGRADE_NEW,
                             "default", 2, H(1), NULL),
        s,
        test_life_scale_body(b[1], B, "ghcr.io/example/web:1.0.0",
                             "upgrade_demo-web", "upgrade-demo", UPGRADE_OLD,
                             "default", 0, H(1), NULL),
        NULL};
    /* new scalers' commands first, the old one's cleanup after */
    cJSON *a = test_life_wait_actions(&life, seq, 2, 5000);
    ck_assert_ptr_nonnull(a);
    cJSON_Delete(a);
    st = test_life_saw_status(&life, "upgrade-demo", "reconciling",
                              "Scaling component on 1 host(s)", 5000);
    ck_assert_msg(st != NULL, "no reconciling status after the upgrade");
    cJSON_Delete(st);
    /* the host kept the old image on command 1; the new scaler re-scales */
    st = status_is("upgrade-demo", "deployed", NULL, 20000);
    scaler_is(st, 0, UPGRADE_NEW, "SpreadScaler", "upgrade_demo-web",
              "deployed");
    cJSON_Delete(st);
    const char *all[] = {
        first[0], first[1], first[2], first[3], s,
        test_life_scale_body(b[2], B, "ghcr.io/example/web:1.1.0",
                             "upgrade_demo-web", "upgrade-demo", UPGRADE_NEW,
                             "default", 2, H(1), NULL),
        NULL};
    test_life_expect_actions(&life, seq, all);
    cJSON *inv = test_life_commands(&life, NULL, "component.scale");
    cJSON_Delete(inv);
    ck_assert_int_eq(test_life_instances(&life, "upgrade_demo-web", H(1)), 2);
    /* the documented re-scale of 13.2, nothing more */
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 3);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.7 host loss and rebalancing ------------------------------------- */

#define HELLO_REF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"

START_TEST(test_lifecycle_14_7_host_stopped_rebalances)
{
    LIFE_START_FX(&life, 2, "--host", "region=us-brooks-east", "--host",
                  "region=us-brooks-east", NULL);
    const char *path = test_fixture_path("manifests/host_stop.yaml");
    long seq = test_life_last_seq(&life);
    test_life_deploy_file(&life, path);
    cJSON *st = status_is("host-stop", "deployed", NULL, 10000);
    const char *sc = cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                            0),
                         "id")
                         ->valuestring;
    char scaler[80];
    snprintf(scaler, sizeof(scaler), "%s", sc);
    cJSON_Delete(st);
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_eq(cJSON_GetArraySize(a), 1);
    const char *h = test_hs_str(cJSON_GetArrayItem(a, 0), "host");
    int first = test_life_host_index(&life, h) + 1;
    cJSON_Delete(a);
    ck_assert_int_gt(first, 0);
    int other = 3 - first;
    ck_assert_int_eq(test_life_instances(&life, "host_stop-hello", H(first)),
                     5);

    seq = test_life_last_seq(&life);
    char body[128];
    snprintf(body, sizeof(body), "{\"host\":\"%s\"}", H(first));
    cJSON_Delete(test_hs_admin(&life.hs, "stop", body));
    char b[B], s[256];
    const char *want[] = {
        test_life_subject(&life, s, 256, "component.scale.%s", H(other)),
        test_life_scale_body(b, B, HELLO_REF, "host_stop-hello", "host-stop",
                             scaler, "eastcoast", 5, H(other), NULL),
        NULL};
    test_life_expect_actions(&life, seq, want);
    ck_assert(test_life_wait_instances(&life, "host_stop-hello", 5, 5000));
    st = status_is("host-stop", "deployed", NULL, 10000);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 2);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.8 provider start failure ---------------------------------------- */

START_TEST(test_lifecycle_14_8_provider_start_failure)
{
    LIFE_START_FX(&life, 1, NULL);
    const char *path = test_fixture_path("manifests/simple.yaml");
    cJSON *r = test_hs_admin(&life.hs, "fault",
                             "{\"kind\":\"provider_start\",\"error\":"
                             "\"failed to fetch provider: connection "
                             "refused\"}");
    ck_assert(r != NULL && test_hs_ok(r));
    cJSON_Delete(r);
    long seq = test_life_last_seq(&life);
    test_life_deploy_file(&life, path);
    cJSON *st = status_is("hello-simple", "failed",
                          "failed to fetch provider: connection refused",
                          10000);
    const cJSON *ps = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                         1);
    ck_assert_str_eq(test_life_stype(ps), "failed");
    ck_assert_str_eq(test_life_smsg(ps),
                     "failed to fetch provider: connection refused");
    cJSON_Delete(st);
    /* the same start again after the 5 s back-off, still failing */
    char b[B], s[256];
    test_life_subject(&life, s, 256, "provider.start.%s", H(1));
    test_life_start_body(b, B, SIMPLE_PREF, "http_server", "hello-simple",
                         SIMPLE_PSC, "default", H(1), NULL);
    uint64_t deadline = test_now_ms() + 15000;
    while (test_life_count(&life, "provider.start") < 2 &&
           test_now_ms() < deadline)
        test_pause_ms(50);
    ck_assert_int_ge(test_life_count(&life, "provider.start"), 2);
    cJSON *starts = test_life_commands(&life, NULL, "provider.start");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(starts, "commands"))
    {
        ck_assert_str_eq(test_hs_str(c, "subject"), s);
        ck_assert_str_eq(test_hs_str(c, "body"), b);
    }
    cJSON_Delete(starts);
    r = test_hs_admin(&life.hs, "fault", "{\"clear\":true}");
    cJSON_Delete(r);
    st = status_is("hello-simple", "deployed", NULL, 20000);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_providers(&life, "http_server", H(1)), 1);
    /* every start but the last one failed */
    long starts_n = test_life_count(&life, "provider.start");
    (void)seq;
    ck_assert_int_ge(starts_n, 2);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.9 config and secrets in the scale command ----------------------- */

#define CFG_SC                                                               \
    "eabbd78f1f71fe00ca3ca8c1b9476d7b38b0a610f5916ee9f25ab1108011a81b"

START_TEST(test_lifecycle_14_9_config_and_secrets)
{
    LIFE_START(&life, 1, NULL);
    /* the external config the manifest names must exist on the lattice */
    cJSON *r = test_hs_request(&life.hs, "config.put.shared-settings",
                               "{\"level\":\"info\"}", 3000, NULL);
    ck_assert(r != NULL && test_hs_ok(r));
    cJSON_Delete(r);
    long seq = test_life_last_seq(&life);
    test_life_deploy_text(&life, test_yaml_cfg_demo);
    cJSON *st = status_is("cfg-demo", "deployed", NULL, 10000);
    scaler_is(st, 0, CFG_SC, "SpreadScaler", "cfg_demo-api", "deployed");
    cJSON_Delete(st);
    cJSON *a = test_life_actions(&life, seq);
    if (cJSON_GetArraySize(a) != 3) {
        char *dump = cJSON_Print(a);
        fprintf(stderr, "commands: %s\n", dump);
        free(dump);
    }
    ck_assert_int_eq(cJSON_GetArraySize(a), 3);
    const cJSON *c0 = cJSON_GetArrayItem(a, 0);
    const cJSON *c1 = cJSON_GetArrayItem(a, 1);
    ck_assert_str_eq(test_hs_str(c0, "subject"),
                     "wasmbus.ctl.v1.default.config.put.cfg_demo-settings");
    ck_assert_str_eq(test_hs_str(c0, "body"), "{\"mode\":\"prod\"}");
    ck_assert_str_eq(
        test_hs_str(c1, "subject"),
        "wasmbus.ctl.v1.default.config.put.SECRET_cfg_demo-db_password");
    /* the reference map of scalers.md 9.2, compared as values */
    cJSON *got = cJSON_Parse(test_hs_str(c1, "body"));
    cJSON *exp = cJSON_Parse(
        "{\"name\":\"db-password\",\"type\":\"secret.wasmcloud.dev/v1alpha1\","
        "\"backend\":\"baobun\",\"key\":\"/app/db\",\"policy\":\"{\\\"type\\\":"
        "\\\"properties.secret.wasmcloud.dev/v1alpha1\\\",\\\"properties\\\":"
        "{\\\"role_name\\\":\\\"app\\\"}}\"}");
    ck_assert_msg(cJSON_Compare(got, exp, true), "secret body %s",
                  test_hs_str(c1, "body"));
    cJSON_Delete(got);
    cJSON_Delete(exp);
    char b[B], s[256];
    test_life_subject(&life, s, 256, "component.scale.%s", H(1));
    test_life_scale_body(b, B, "ghcr.io/example/api:2.0.0", "cfg_demo-api",
                         "cfg-demo", CFG_SC, "default", 1, H(1),
                         "[\"cfg_demo-settings\",\"shared-settings\","
                         "\"SECRET_cfg_demo-db_password\"]");
    const cJSON *c2 = cJSON_GetArrayItem(a, 2);
    ck_assert_str_eq(test_hs_str(c2, "subject"), s);
    ck_assert_str_eq(test_hs_str(c2, "body"), b);
    cJSON_Delete(a);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.10 shared provider ---------------------------------------------- */

#define SH_HELLO_SC                                                          \
    "4135f658a675846b248bd0f732faeb11a05d095da2446aa2fd333f4cff848a21"

START_TEST(test_lifecycle_14_10_shared_provider)
{
    LIFE_START_FX(&life, 1, NULL);
    const char *p1 = test_fixture_path("manifests/shared/shared_http.yaml");
    test_life_deploy_file(&life, p1);
    cJSON *st = status_is("shared-http", "deployed", NULL, 10000);
    scaler_is(st, 0,
              "8514a99726d740e694e0ca1270d870f0"
              "bd1f5744d5c2ed5e168bdb42760beff3",
              "SpreadScaler", "shared_http-httpclient", "deployed");
    scaler_is(st, 1,
              "adfac1f23f89f40b6510bf88716e870f"
              "09622a7e60f3ccee5242b7469eea1ed7",
              "SpreadScaler", "shared_http-httpserver", "deployed");
    cJSON_Delete(st);
    long seq = test_life_last_seq(&life);
    test_life_deploy_file(
        &life, test_fixture_path("manifests/shared/shared_http_dev.yaml"));
    st = status_is("shared-http-dev", "deployed", NULL, 10000);
    scaler_is(st, 0, SH_HELLO_SC, "SpreadScaler", "shared_http_dev-hello",
              "deployed");
    scaler_is(st, 1,
              "f8e54782d74cbde6ac2577421fc9a7a3"
              "d5578f935c9d15fafe78e3dfc79d4622",
              "LinkScaler",
              "shared_http_dev-hello -(wasi:http)-> shared_http-httpclient",
              "deployed");
    scaler_is(st, 2,
              "5c78d40f896817a34d2d17d50faab52a"
              "954d9d0b04d58e904dcdb3003784cebd",
              "LinkScaler",
              "shared_http-httpserver -(wasi:http)-> shared_http_dev-hello",
              "deployed");
    cJSON_Delete(st);
    char b[2][B], s[2][256];
    const char *want[] = {
        test_life_subject(&life, s[0], 256, "component.scale.%s", H(1)),
        test_life_scale_body(b[0], B, HELLO_REF, "shared_http_dev-hello",
                             "shared-http-dev", SH_HELLO_SC, "default", 12,
                             H(1), NULL),
        "wasmbus.ctl.v1.default.link.put",
        "{\"source_id\":\"shared_http_dev-hello\",\"target\":"
        "\"shared_http-httpclient\",\"name\":\"default\",\"wit_namespace\":"
        "\"wasi\",\"wit_package\":\"http\",\"interfaces\":"
        "[\"outgoing-handler\"],\"source_config\":[],\"target_config\":[]}",
        "wasmbus.ctl.v1.default.config.put.shared_http_dev-httpaddr",
        "{\"address\":\"0.0.0.0:8080\"}",
        "wasmbus.ctl.v1.default.link.put",
        "{\"source_id\":\"shared_http-httpserver\",\"target\":"
        "\"shared_http_dev-hello\",\"name\":\"default\",\"wit_namespace\":"
        "\"wasi\",\"wit_package\":\"http\",\"interfaces\":"
        "[\"incoming-handler\"],\"source_config\":"
        "[\"shared_http_dev-httpaddr\"],\"target_config\":[]}",
        NULL};
    test_life_expect_actions(&life, seq, want);
    ck_assert_int_eq(test_life_providers(&life, "shared_http-httpclient",
                                         NULL),
                     1);
    ck_assert_int_eq(test_life_providers(&life, "shared_http-httpserver",
                                         NULL),
                     1);

    seq = test_life_last_seq(&life);
    test_life_undeploy(&life, "shared-http-dev");
    st = status_is("shared-http-dev", "undeployed", NULL, 10000);
    cJSON_Delete(st);
    const char *undeploy[] = {
        s[0],
        test_life_scale_body(b[1], B, HELLO_REF, "shared_http_dev-hello",
                             "shared-http-dev", SH_HELLO_SC, "default", 0,
                             H(1), NULL),
        "wasmbus.ctl.v1.default.link.del",
        "{\"source_id\":\"shared_http_dev-hello\",\"name\":\"default\","
        "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}",
        "wasmbus.ctl.v1.default.link.del",
        "{\"source_id\":\"shared_http-httpserver\",\"name\":\"default\","
        "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}",
        "wasmbus.ctl.v1.default.config.del.shared_http_dev-httpaddr", "",
        NULL};
    test_life_expect_actions(&life, seq, undeploy);
    /* the shared providers keep running, their app stays deployed */
    ck_assert_int_eq(test_life_providers(&life, "shared_http-httpclient",
                                         NULL),
                     1);
    ck_assert_int_eq(test_life_providers(&life, "shared_http-httpserver",
                                         NULL),
                     1);
    ck_assert(test_life_wait_instances(&life, "shared_http_dev-hello", 0,
                                       5000));
    st = status_is("shared-http", "deployed", NULL, 1000);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 2);
    test_life_destroy(&life);
}
END_TEST

/* ---- 14.11 overlapping spreads conflict --------------------------------- */

START_TEST(test_lifecycle_14_11_overlapping_spreads)
{
    LIFE_START(&life, 4, "--host", "region=us-east-1,cloud=real", "--host",
               "region=us-east-2,cloud=real", "--host",
               "region=us-west-1,cloud=real", "--host",
               "region=us-west-2,cloud=real", NULL);
    long seq = test_life_last_seq(&life);
    test_life_deploy_text(&life,
                          TEST_LIFE_MF_HEAD("overlap")
                          TEST_LIFE_MF_COMPONENT(
                              "web", "ghcr.io/example/web:1.0.0")
                          "        - type: spreadscaler\n"
                          "          properties:\n"
                          "            instances: 12\n"
                          "            spread:\n"
                          "              - name: eastcoast\n"
                          "                requirements: {region: us-east-1}\n"
                          "                weight: 25\n"
                          "              - name: westcoast\n"
                          "                requirements: {region: us-west-1}\n"
                          "                weight: 25\n"
                          "              - name: realcloud\n"
                          "                requirements: {cloud: real}\n"
                          "                weight: 50\n");
    cJSON *st = status_is("overlap", "failed",
                          "Spread requirement conflict: realcloud spread "
                          "requires 6 instances",
                          10000);
    cJSON_Delete(st);
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_eq(cJSON_GetArraySize(a), 0);
    cJSON_Delete(a);
    test_life_destroy(&life);
}
END_TEST

#define ADD(n, secs) test_life_add(s, #n, test_lifecycle_##n, secs)

Suite *
lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    ADD(14_1_simple_end_to_end, 60);
    ADD(14_2_weighted_spreads, 60);
    ADD(14_3_scale_down_across_hosts, 60);
    ADD(14_4_provider_spread, 60);
    ADD(14_4_provider_too_few_hosts, 60);
    ADD(14_5_daemon_ineligible_host, 60);
    ADD(14_6_upgrade_component_image, 60);
    ADD(14_7_host_stopped_rebalances, 60);
    ADD(14_8_provider_start_failure, 60);
    ADD(14_9_config_and_secrets, 60);
    ADD(14_10_shared_provider, 60);
    ADD(14_11_overlapping_spreads, 60);
    return s;
}
