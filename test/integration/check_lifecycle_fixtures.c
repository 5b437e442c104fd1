/*
 * check_lifecycle_fixtures.c - the shared fixtures whose README entry
 * describes a deploy outcome (simple.yaml, all_hosts.yaml, complex.yaml,
 * the outdatedapp -> upgradedapp -> upgradedapp2 sequence, the shared/
 * set) deployed through the wadm API on simulated hosts with suitable
 * labels, and the outcome checked on the hosts: instances, providers,
 * links, configs, status; with the number of starts the hosts received.
 * host_stop.yaml is check_lifecycle.c's 14.7. Fixtures are read in place;
 * a test is skipped visibly when they are absent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_life.h"
#include "test/lib/test_util.h"

/* two hosts per coast and one on the moon, as upstream's e2e lattice */
#define HS_REGIONS                                                           \
    "--host", "region=us-brooks-east", "--host", "region=us-brooks-east",    \
        "--host", "region=us-taylor-west", "--host", "region=us-taylor-west", \
        "--host", "region=moon"

#define LIFE_START(t, nhosts, ...)                                           \
    TEST_LIFE_START(t, true, nhosts, NULL, __VA_ARGS__)

static test_life_t life;

static const char *
H(int i)
{
    return life.hs.ids[i - 1];
}

static void
deployed(const char *app, unsigned timeout_ms)
{
    cJSON *st = test_life_wait_status(&life, app, "deployed", NULL,
                                      timeout_ms);
    ck_assert_msg(st != NULL, "%s never deployed", app);
    cJSON_Delete(st);
}

static void
deploy_fixture(const char *rel)
{
    test_life_deploy_file(&life, test_fixture_path(rel));
}

/* Checks the link from source named name goes to target with interfaces. */
static void
link_is(const char *source, const char *name, const char *target,
        const char *ns_pkg, const char *interfaces, const char *source_config,
        const char *target_config)
{
    cJSON *l = test_life_link(&life, source, name);
    ck_assert_msg(l != NULL, "no link %s (%s)", source, name);
    char *ifs = cJSON_PrintUnformatted(cJSON_GetObjectItem(l, "interfaces"));
    char *sc = cJSON_PrintUnformatted(cJSON_GetObjectItem(l,
                                                          "source_config"));
    char *tc = cJSON_PrintUnformatted(cJSON_GetObjectItem(l,
                                                          "target_config"));
    char nsp[128];
    snprintf(nsp, sizeof(nsp), "%s:%s",
             cJSON_GetObjectItem(l, "wit_namespace")->valuestring,
             cJSON_GetObjectItem(l, "wit_package")->valuestring);
    ck_assert_str_eq(cJSON_GetObjectItem(l, "target")->valuestring, target);
    ck_assert_str_eq(nsp, ns_pkg);
    ck_assert_str_eq(ifs, interfaces);
    ck_assert_str_eq(sc, source_config);
    ck_assert_str_eq(tc, target_config);
    free(ifs);
    free(sc);
    free(tc);
    cJSON_Delete(l);
}

/* simple.yaml on several hosts, then undeployed. */
START_TEST(test_lifecycle_fixture_simple)
{
    LIFE_START(&life, 3, "--hosts", "3", NULL);
    deploy_fixture("manifests/simple.yaml");
    deployed("hello-simple", 15000);
    ck_assert(test_life_config_is(&life, "hello_simple-httpaddr",
                                  "{\"address\":\"0.0.0.0:8080\"}"));
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 4);
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 1);
    ck_assert_str_eq(test_life_image(&life, "http_server"),
                     "ghcr.io/wasmcloud/http-server:0.23.0");
    link_is("http_server", "default", "http_hello_world", "wasi:http",
            "[\"incoming-handler\"]", "[\"hello_simple-httpaddr\"]", "[]");
    ck_assert_int_eq(test_life_links(&life, NULL), 1);
    test_life_undeploy(&life, "hello-simple");
    cJSON *st = test_life_wait_status(&life, "hello-simple", "undeployed",
                                      NULL, 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert(test_life_wait_instances(&life, "http_hello_world", 0, 5000));
    ck_assert(test_life_wait_providers(&life, "http_server", 0, 5000));
    ck_assert_int_eq(test_life_links(&life, NULL), 0);
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 1);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 1);
    test_life_destroy(&life);
}
END_TEST

/* all_hosts.yaml: 5 instances and 5 providers over the three regions. */
START_TEST(test_lifecycle_fixture_all_hosts)
{
    LIFE_START(&life, 5, HS_REGIONS, NULL);
    deploy_fixture("manifests/all_hosts.yaml");
    deployed("hello-all-hosts", 15000);
    /* weights 40/40/20 of 5: east 2, west 2, moon 1 */
    long east = test_life_instances(&life, "hello_all_hosts-hello", H(1)) +
                test_life_instances(&life, "hello_all_hosts-hello", H(2));
    long west = test_life_instances(&life, "hello_all_hosts-hello", H(3)) +
                test_life_instances(&life, "hello_all_hosts-hello", H(4));
    ck_assert_int_eq(east, 2);
    ck_assert_int_eq(west, 2);
    ck_assert_int_eq(test_life_instances(&life, "hello_all_hosts-hello",
                                         H(5)),
                     1);
    ck_assert_int_eq(test_life_providers(&life, "hello_all_hosts-httpserver",
                                         NULL),
                     5);
    link_is("hello_all_hosts-httpserver", "default", "hello_all_hosts-hello",
            "wasi:http", "[\"incoming-handler\"]", "[]", "[]");
    /* one start per spread for the component, one per host for the provider */
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 3);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 5);
    test_life_destroy(&life);
}
END_TEST

/* complex.yaml: configs, placement by region, two links; then undeploy. */
START_TEST(test_lifecycle_fixture_complex_and_undeploy)
{
    LIFE_START(&life, 5, HS_REGIONS, NULL);
    /* the external config the test creates before deploying (README) */
    cJSON *r = test_hs_request(&life.hs,
                               "config.put.blobby-default-configuration-"
                               "values",
                               "{\"default\":\"values\"}", 3000, NULL);
    ck_assert(r != NULL && test_hs_ok(r));
    cJSON_Delete(r);
    deploy_fixture("manifests/complex.yaml");
    deployed("complex", 15000);
    ck_assert(test_life_config_is(&life, "complex-defaultcode",
                                  "{\"http\":\"404\"}"));
    ck_assert(test_life_config_is(&life, "complex-rootfs",
                                  "{\"root\":\"/tmp\"}"));
    ck_assert(test_life_config_is(&life, "complex-httpaddr",
                                  "{\"address\":\"0.0.0.0:8081\"}"));
    ck_assert(test_life_config_is(&life, "complex-defaultfs",
                                  "{\"root\":\"/tmp/blobby\"}"));
    ck_assert_int_eq(test_life_instances(&life, "littleblobbytables", NULL),
                     5);
    ck_assert_int_eq(test_life_instances(&life, "littleblobbytables", H(5)),
                     0);
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 3);
    ck_assert_int_eq(test_life_providers(&life, "fileserver", NULL), 1);
    ck_assert_int_eq(test_life_providers(&life, "fileserver", H(5)), 1);
    link_is("http_server", "default", "littleblobbytables", "wasi:http",
            "[\"incoming-handler\"]", "[\"complex-httpaddr\"]", "[]");
    link_is("littleblobbytables", "default", "fileserver", "wasi:blobstore",
            "[\"blobstore\"]", "[]", "[\"complex-rootfs\"]");
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 2);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 4);

    /* undeploy: everything it started stops, links and its configs go */
    test_life_undeploy(&life, "complex");
    cJSON *st = test_life_wait_status(&life, "complex", "undeployed",
                                      "Manifest has been undeployed", 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert(test_life_wait_instances(&life, "littleblobbytables", 0, 5000));
    ck_assert(test_life_wait_providers(&life, "http_server", 0, 5000));
    ck_assert(test_life_wait_providers(&life, "fileserver", 0, 5000));
    ck_assert_int_eq(test_life_links(&life, NULL), 0);
    ck_assert(!test_life_config_exists(&life, "complex-defaultcode"));
    ck_assert(!test_life_config_exists(&life, "complex-rootfs"));
    ck_assert(!test_life_config_exists(&life, "complex-httpaddr"));
    ck_assert(!test_life_config_exists(&life, "complex-defaultfs"));
    /* an externally managed config is left alone */
    ck_assert(test_life_config_exists(&life,
                                      "blobby-default-configuration-values"));
    test_life_destroy(&life);
}
END_TEST

/* outdatedapp -> upgradedapp -> upgradedapp2 (upstream e2e upgrade). */
START_TEST(test_lifecycle_fixture_upgrade_sequence)
{
    LIFE_START(&life, 2, "--hosts", "2", NULL);
    test_life_status_mark(&life);
    deploy_fixture("manifests/outdatedapp.yaml");
    cJSON *st = test_life_saw_status(&life, "updateapp", "reconciling", NULL,
                                     10000);
    ck_assert_msg(st != NULL, "step 1: no reconciling status");
    cJSON_Delete(st);
    deployed("updateapp", 15000);
    ck_assert_int_eq(test_life_instances(&life, "updateapp-dog_fetcher",
                                         NULL),
                     5);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 3);
    ck_assert_int_eq(test_life_instances(&life, "updateapp-kvcounter", NULL),
                     3);
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 1);
    ck_assert_str_eq(test_life_image(&life, "http_server"),
                     "ghcr.io/wasmcloud/http-server:0.20.1");
    ck_assert_int_eq(test_life_providers(&life, "keyvalue_redis", NULL), 1);
    link_is("http_server", "hello", "http_hello_world", "wasi:http",
            "[\"incoming-handler\"]", "[\"updateapp-hello_world_address\"]",
            "[]");
    link_is("http_server", "dog", "updateapp-dog_fetcher", "wasi:http",
            "[\"incoming-handler\"]", "[\"updateapp-dog_fetcher_address\"]",
            "[]");
    link_is("updateapp-kvcounter", "default", "keyvalue_redis",
            "wasi:keyvalue", "[\"atomics\",\"store\"]", "[]",
            "[\"updateapp-kvconfig\"]");
    ck_assert(test_life_config_is(&life, "updateapp-hello_world_address",
                                  "{\"address\":\"0.0.0.0:8080\"}"));
    ck_assert(test_life_config_is(&life, "updateapp-kvconfig",
                                  "{\"URL\":\"redis://127.0.0.1:6379\"}"));
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 3);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 2);

    /* step 2: new dog-fetcher image, new component, kvcounter and redis
     * gone, new http-server image, hello link config changed */
    test_life_status_mark(&life);
    deploy_fixture("manifests/upgradedapp.yaml");
    st = test_life_saw_status(&life, "updateapp", "reconciling", NULL, 10000);
    ck_assert_msg(st != NULL, "step 2: no reconciling status");
    cJSON_Delete(st);
    deployed("updateapp", 20000);
    ck_assert_int_eq(test_life_instances(&life, "updateapp-dog_fetcher",
                                         NULL),
                     5);
    ck_assert_str_eq(test_life_image(&life, "updateapp-dog_fetcher"),
                     "ghcr.io/wasmcloud/components/dog-fetcher-rust:0.1.1");
    ck_assert_int_eq(test_life_instances(&life, "updateapp-echo_messaging",
                                         NULL),
                     1);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 3);
    ck_assert(test_life_wait_instances(&life, "updateapp-kvcounter", 0,
                                       5000));
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 1);
    ck_assert_str_eq(test_life_image(&life, "http_server"),
                     "ghcr.io/wasmcloud/http-server:0.23.0");
    ck_assert(test_life_wait_providers(&life, "keyvalue_redis", 0, 5000));
    ck_assert(test_life_config_is(&life, "updateapp-hello_world_address",
                                  "{\"address\":\"0.0.0.0:8082\"}"));
    cJSON *l = test_life_link(&life, "updateapp-kvcounter", "default");
    ck_assert_ptr_null(l);
    ck_assert_int_eq(test_life_links(&life, NULL), 2);
    /* dog-fetcher: the documented re-scale (13.2); echo-messaging: one */
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 6);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 3);

    /* step 3: provider config added, hello link back on 8080 */
    test_life_status_mark(&life);
    deploy_fixture("manifests/upgradedapp2.yaml");
    st = test_life_saw_status(&life, "updateapp", "reconciling", NULL, 10000);
    ck_assert_msg(st != NULL, "step 3: no reconciling status");
    cJSON_Delete(st);
    deployed("updateapp", 20000);
    ck_assert(test_life_config_is(&life, "updateapp-hello_world_address",
                                  "{\"address\":\"0.0.0.0:8080\"}"));
    ck_assert(test_life_config_is(&life, "updateapp-dog_fetcher_address",
                                  "{\"address\":\"0.0.0.0:8081\"}"));
    ck_assert(test_life_config_is(&life, "updateapp-http_config",
                                  "{\"number\":\"1\"}"));
    ck_assert_int_eq(test_life_instances(&life, "updateapp-dog_fetcher",
                                         NULL),
                     5);
    ck_assert_int_eq(test_life_instances(&life, "updateapp-echo_messaging",
                                         NULL),
                     1);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 3);
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 1);
    ck_assert_int_eq(test_life_links(&life, NULL), 2);
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 6);
    /* the provider's scaler id changed with its config: stop, start */
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 4);
    test_life_destroy(&life);
}
END_TEST

/* shared-component + shared-component-dev: three links, both deployed. */
START_TEST(test_lifecycle_fixture_shared_component)
{
    LIFE_START(&life, 1, NULL);
    deploy_fixture("manifests/shared/shared_component.yaml");
    deployed("shared-component", 10000);
    ck_assert_int_eq(test_life_instances(&life,
                                         "shared_component-link_to_meee",
                                         NULL),
                     1);
    ck_assert(test_life_config_is(&life, "shared_component-defaults",
                                  "{\"left\":\"right\"}"));
    ck_assert_int_eq(test_life_links(&life, NULL), 0);
    deploy_fixture("manifests/shared/shared_component_dev.yaml");
    deployed("shared-component-dev", 15000);
    deployed("shared-component", 1000);
    ck_assert_int_eq(test_life_instances(&life, "shared_component_dev-hello",
                                         NULL),
                     12);
    ck_assert_int_eq(test_life_providers(&life,
                                         "shared_component_dev-httpserver",
                                         NULL),
                     1);
    ck_assert(test_life_config_is(&life, "shared_component_dev-someconfig",
                                  "{\"foo\":\"bar\"}"));
    ck_assert_int_eq(test_life_links(&life, NULL), 3);
    link_is("shared_component_dev-hello", "default",
            "shared_component-link_to_meee", "custom:package",
            "[\"inter\",\"face\"]", "[]", "[]");
    link_is("shared_component-link_to_meee", "default",
            "shared_component_dev-hello", "custom:package",
            "[\"inter\",\"face\"]", "[]",
            "[\"shared_component_dev-someconfig\"]");
    link_is("shared_component_dev-httpserver", "default",
            "shared_component-link_to_meee", "wasi:http",
            "[\"incoming-handler\"]", "[]", "[]");
    /* undeploying the referring app keeps the shared component running */
    test_life_undeploy(&life, "shared-component-dev");
    cJSON *st = test_life_wait_status(&life, "shared-component-dev",
                                      "undeployed", NULL, 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert(test_life_wait_instances(&life, "shared_component_dev-hello", 0,
                                       5000));
    ck_assert_int_eq(test_life_links(&life, NULL), 0);
    ck_assert_int_eq(test_life_instances(&life,
                                         "shared_component-link_to_meee",
                                         NULL),
                     1);
    ck_assert(test_life_config_exists(&life, "shared_component-defaults"));
    deployed("shared-component", 1000);
    test_life_destroy(&life);
}
END_TEST

/* The reply of model.put or model.deploy for a fixture (caller deletes). */
static cJSON *
api_fixture(const char *op, const char *name, const char *rel)
{
    char *text = rel ? test_read_file(test_fixture_path(rel), NULL) : NULL;
    cJSON *r = test_life_api(&life, op, name, text ? text : "");
    free(text);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void
reply_is(cJSON *r, const char *result, const char *message)
{
    ck_assert_str_eq(cJSON_GetObjectItem(r, "result")->valuestring, result);
    ck_assert_str_eq(cJSON_GetObjectItem(r, "message")->valuestring, message);
    cJSON_Delete(r);
}

#define NOT_DEPLOYED                                                         \
    "Application contains shared components that are not deployed in "      \
    "other applications: [\"httpserver\"]"

/* The refusals of the shared/ set, and the deploys that work. */
START_TEST(test_lifecycle_fixture_shared_refusals)
{
    LIFE_START(&life, 1, NULL);
    reply_is(api_fixture("put", NULL, "manifests/shared/both_properties.yaml"),
             "error",
             "Component cannot have both 'image' and 'application' "
             "properties");
    reply_is(api_fixture("put", NULL, "manifests/shared/no_properties.yaml"),
             "error",
             "Component must have either 'image' or 'application' property");
    cJSON_Delete(
        api_fixture("put", NULL, "manifests/shared/no_matching_app.yaml"));
    reply_is(api_fixture("deploy", "some-nonexistant-app", NULL), "error",
             NOT_DEPLOYED);
    cJSON_Delete(api_fixture("put", NULL,
                             "manifests/shared/no_matching_component.yaml"));
    reply_is(api_fixture("deploy", "no-matching-component", NULL), "error",
             NOT_DEPLOYED);
    deploy_fixture("manifests/shared/notshared_http.yaml");
    deployed("not-shared-http", 10000);
    ck_assert_int_eq(test_life_providers(&life, "not_shared_http-httpserver",
                                         NULL),
                     1);
    cJSON_Delete(
        api_fixture("put", NULL, "manifests/shared/notshared_http_dev.yaml"));
    reply_is(api_fixture("deploy", "not-shared-http-dev", NULL), "error",
             NOT_DEPLOYED);
    /* with shared-http deployed, no-matching-component still lacks its
     * component */
    deploy_fixture("manifests/shared/shared_http.yaml");
    deployed("shared-http", 10000);
    reply_is(api_fixture("deploy", "no-matching-component", NULL), "error",
             NOT_DEPLOYED);
    /* nothing of the refused apps ever reached a host */
    ck_assert_int_eq(test_life_instances(&life, "some_nonexistant_app-hello",
                                         NULL),
                     0);
    ck_assert_int_eq(test_life_count(&life, "component.scale"), 0);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 3);
    test_life_destroy(&life);
}
END_TEST

#define ADD(n, secs) test_life_add(s, #n, test_lifecycle_fixture_##n, secs)

Suite *
lifecycle_fixtures_suite(void)
{
    Suite *s = suite_create("lifecycle_fixtures");
    ADD(simple, 90);
    ADD(all_hosts, 90);
    ADD(complex_and_undeploy, 90);
    ADD(upgrade_sequence, 90);
    ADD(shared_component, 90);
    ADD(shared_refusals, 90);
    return s;
}
