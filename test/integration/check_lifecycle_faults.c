/*
 * check_lifecycle_faults.c - lifecycles when things go wrong, on real
 * processes: a host that dies silently (reaped after a short
 * --cleanup-interval, its instances re-placed), a component that fails
 * to start (failed with the host's error, then recovery), commands the
 * hosts refuse (a link conflict) or do not answer in time (a slow host),
 * retried with back-off that shows in the status and in the dump, and
 * statuses that are not republished while nothing changes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_life.h"
#include "test/lib/test_util.h"

#define HELLO_REF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"

static test_life_t life;

static const char *
H(int i)
{
    return life.hs.ids[i - 1];
}

static void
admin_ok(const char *verb, const char *body)
{
    cJSON *r = test_hs_admin(&life.hs, verb, body);
    ck_assert_msg(r != NULL && test_hs_ok(r), "hostsim %s %s failed", verb,
                  body);
    cJSON_Delete(r);
}

/* The host holding the (single) scale-up among the commands after seq. */
static int
scaled_host(long seq)
{
    cJSON *a = test_life_wait_actions(&life, seq, 1, 5000);
    ck_assert_ptr_nonnull(a);
    int i = test_life_host_index(&life,
                                 test_hs_str(cJSON_GetArrayItem(a, 0),
                                             "host"));
    cJSON_Delete(a);
    ck_assert_int_ge(i, 0);
    return i + 1;
}

/*
 * A host dies without host_stopped: the reaper (cleanup interval 2 s)
 * removes it and wadm re-places its instances on the other eligible host
 * at once, with one command.
 */
START_TEST(test_lifecycle_host_dies_silently)
{
    char *extra[] = {"--cleanup-interval", "2", NULL};
    TEST_LIFE_START(&life, true, 3, extra, "--heartbeat-ms", "400", "--host",
                    "region=us-brooks-east", "--host",
                    "region=us-brooks-east", "--host", "region=moon", NULL);
    long seq = test_life_last_seq(&life);
    test_life_deploy_file(&life,
                          test_fixture_path("manifests/host_stop.yaml"));
    cJSON *st = test_life_wait_status(&life, "host-stop", "deployed", NULL,
                                      10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    int first = scaled_host(seq);
    int other = 3 - first;
    ck_assert_int_eq(test_life_instances(&life, "host_stop-hello", H(first)),
                     5);

    seq = test_life_last_seq(&life);
    uint64_t t0 = test_now_ms();
    char body[128];
    snprintf(body, sizeof(body), "{\"host\":\"%s\"}", H(first));
    admin_ok("die", body);
    ck_assert(test_life_wait_instances(&life, "host_stop-hello", 5, 10000));
    uint64_t took = test_now_ms() - t0;
    cJSON *a = test_life_actions(&life, seq);
    ck_assert_int_eq(cJSON_GetArraySize(a), 1);
    const cJSON *c = cJSON_GetArrayItem(a, 0);
    char want[256];
    test_life_subject(&life, want, sizeof(want), "component.scale.%s",
                      H(other));
    ck_assert_str_eq(test_hs_str(c, "subject"), want);
    ck_assert(strstr(test_hs_str(c, "body"), "\"count\":5") != NULL);
    cJSON_Delete(a);
    ck_assert_msg(took < 8000, "re-placed after %llums",
                  (unsigned long long)took);
    ck_assert(test_life_wait_rec_num(&life, "hosts", 2, 5000));
    st = test_life_wait_status(&life, "host-stop", "deployed", NULL, 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    test_life_destroy(&life);
}
END_TEST

/* component_scale_failed: failed with the host's text; then recovery. */
START_TEST(test_lifecycle_component_start_failure)
{
    TEST_LIFE_START(&life, true, 1, NULL, NULL);
    admin_ok("fault", "{\"kind\":\"component_scale\",\"error\":\"failed to "
                      "fetch component: manifest unknown\"}");
    test_life_deploy_file(&life, test_fixture_path("manifests/simple.yaml"));
    cJSON *st = test_life_wait_status(
        &life, "hello-simple", "failed",
        "failed to fetch component: manifest unknown", 10000);
    ck_assert_ptr_nonnull(st);
    const cJSON *cs = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                         0);
    ck_assert_str_eq(test_life_stype(cs), "failed");
    ck_assert_str_eq(test_life_smsg(cs),
                     "failed to fetch component: manifest unknown");
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 0);
    admin_ok("fault", "{\"clear\":true}");
    st = test_life_wait_status(&life, "hello-simple", "deployed", NULL,
                               15000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 4);
    /* the failure puts the scaler in a 5 s back-off: no storm of retries */
    long scales = test_life_count(&life, "component.scale:count>0");
    ck_assert_int_ge(scales, 2);
    ck_assert_int_le(scales, 4);
    test_life_destroy(&life);
}
END_TEST

/*
 * A link put the host refuses (an existing link with another target):
 * retried with back-off, visible in the status message and the dump;
 * once the conflicting link is gone, the next retry succeeds.
 */
START_TEST(test_lifecycle_refused_command_backs_off)
{
    TEST_LIFE_START(&life, true, 1, NULL, NULL);
    cJSON *r = test_hs_request(
        &life.hs, "link.put",
        "{\"source_id\":\"http_server\",\"target\":\"someone_else\","
        "\"name\":\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"
        "\"http\",\"interfaces\":[\"incoming-handler\"],\"source_config\":[],"
        "\"target_config\":[]}",
        3000, NULL);
    ck_assert(r != NULL && test_hs_ok(r));
    cJSON_Delete(r);
    test_life_status_mark(&life);
    test_life_deploy_file(&life, test_fixture_path("manifests/simple.yaml"));
    cJSON *st = test_life_wait_status(&life, "hello-simple", "reconciling",
                                      "link already exists with different "
                                      "target",
                                      10000);
    ck_assert_ptr_nonnull(st);
    const cJSON *ls = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "scalers"),
                                         2);
    ck_assert_msg(strstr(test_life_smsg(ls), "retry") != NULL,
                  "link scaler status: %s", test_life_smsg(ls));
    cJSON_Delete(st);
    /* the back-off doubles: 1 s, 2 s, 4 s... at most a handful of puts */
    st = test_life_wait_status(&life, "hello-simple", "reconciling",
                               "attempt 3", 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    /* the status changes once per failure, not with every pass */
    test_life_status_mark(&life);
    st = test_life_saw_status(&life, "hello-simple", "reconciling",
                              "attempt 4", 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert_int_le(test_life_status_count(&life, "hello-simple"), 1);
    char *d = test_wadm_dump(&life.wadm);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_ge(test_dump_num(d, life.rec_section, "scalers_retrying"),
                     1);
    ck_assert_int_ge(
        test_dump_num(d, life.rec_section, "commands_failed_total"), 2);
    char why[512];
    ck_assert_msg(test_dump_get(d, life.rec_section, "retry_first", why,
                                sizeof(why)) != NULL &&
                      strstr(why, "link already exists") != NULL,
                  "dump lacks the retry: %s", d);
    free(d);
    long puts = test_life_count(&life, "link.put");
    ck_assert_int_le(puts, 4);
    /* the conflict goes away: the next retry puts the link */
    r = test_hs_request(&life.hs, "link.del",
                        "{\"source_id\":\"http_server\",\"name\":\"default\","
                        "\"wit_namespace\":\"wasi\",\"wit_package\":"
                        "\"http\"}",
                        3000, NULL);
    ck_assert(r != NULL && test_hs_ok(r));
    cJSON_Delete(r);
    st = test_life_wait_status(&life, "hello-simple", "deployed", NULL,
                               15000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    cJSON *l = test_life_link(&life, "http_server", "default");
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(cJSON_GetObjectItem(l, "target")->valuestring,
                     "http_hello_world");
    cJSON_Delete(l);
    test_life_destroy(&life);
}
END_TEST

/*
 * A host slower than the 2 s command timeout: the commands time out, are
 * retried with back-off shown in the status, and the app converges
 * without extra instances once the host answers in time again.
 */
START_TEST(test_lifecycle_slow_host_times_out)
{
    TEST_LIFE_START(&life, true, 2, NULL, "--hosts", "2", NULL);
    /* both hosts slow: whichever is chosen, the first commands time out */
    admin_ok("slow", "{\"ms\":2500}");
    test_life_deploy_file(&life, test_fixture_path("manifests/simple.yaml"));
    cJSON *st = test_life_wait_status(&life, "hello-simple", "reconciling",
                                      "no reply within 2000ms", 15000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    long failed = test_life_rec_num(&life, "commands_failed_total");
    ck_assert_int_ge(failed, 1);
    admin_ok("slow", "{\"ms\":0}");
    st = test_life_wait_status(&life, "hello-simple", "deployed", NULL,
                               30000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert(test_life_wait_instances(&life, "http_hello_world", 4, 5000));
    ck_assert(test_life_wait_providers(&life, "http_server", 1, 5000));
    ck_assert_int_eq(test_life_links(&life, NULL), 1);
    test_life_destroy(&life);
}
END_TEST

/* Once deployed, heartbeats and passes publish no further status. */
START_TEST(test_lifecycle_status_is_quiet_when_stable)
{
    TEST_LIFE_START(&life, true, 1, NULL, "--heartbeat-ms", "300",
                    "--health-delay-ms", "100", NULL);
    test_life_deploy_file(&life, test_fixture_path("manifests/simple.yaml"));
    cJSON *st = test_life_wait_status(&life, "hello-simple", "deployed", NULL,
                                      10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    test_life_status_mark(&life);
    /* a few heartbeats and passes later, nothing new was published */
    st = test_life_saw_status(&life, "hello-simple", "deployed", NULL, 2500);
    if (st == NULL)
        st = test_life_saw_status(&life, "hello-simple", "reconciling", NULL,
                                  0);
    if (st == NULL)
        st = test_life_saw_status(&life, "hello-simple", "failed", NULL, 0);
    ck_assert_msg(st == NULL, "status republished while stable");
    test_life_destroy(&life);
}
END_TEST

#define ADD(n, secs) test_life_add(s, #n, test_lifecycle_##n, secs)

Suite *
lifecycle_faults_suite(void)
{
    Suite *s = suite_create("lifecycle_faults");
    ADD(host_dies_silently, 60);
    ADD(component_start_failure, 60);
    ADD(refused_command_backs_off, 60);
    ADD(slow_host_times_out, 60);
    ADD(status_is_quiet_when_stable, 60);
    return s;
}
