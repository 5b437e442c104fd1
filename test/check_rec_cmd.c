/*
 * check_rec_cmd.c - control commands (spec/lattice.md 5.4): the exact
 * subject and body bytes of each of the seven commands against the
 * examples of 5.4 (annotation order, managed annotations winning over a
 * scaler's own with the same key, `config: []`, `allow_update: false`),
 * and the expectation matching of scalers.md 11.1.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "test/lib/test_lattice.h"
#include "workers/reconciler/rec_cmd.h"

#define HOST "NBWU4CQ2X5Z3CNMJHLBYEXRLG4HSWGUMYX6DLJ6VRWDAC4ZEC4NOTJWQ"
#define ID_C "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac"
#define ID_P "71e4e16aae6b1fd1cac75ad82f407ccabbba4adfcfb631c6a84da5db2eb4759b"
#define HELLO_REF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"
#define HTTP_REF "ghcr.io/wasmcloud/http-server:0.23.0"

static rec_cmd_t *
scale_cmd(const char *host, uint64_t count, const char *scaler,
          const char *spread)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_SCALE, "hello-simple", ID_C);
    c->host_id = xstrdup(host);
    c->id = xstrdup("http_hello_world");
    c->reference = xstrdup(HELLO_REF);
    c->count = count;
    if (scaler) {
        rec_smap_set(&c->annotations, REC_ANN_SCALER, scaler);
        rec_smap_set(&c->annotations, REC_ANN_SPREAD, spread);
    }
    return c;
}

static rec_cmd_t *
start_cmd(const char *host)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_START, "hello-simple", ID_P);
    c->host_id = xstrdup(host);
    c->id = xstrdup("http_server");
    c->reference = xstrdup(HTTP_REF);
    rec_smap_set(&c->annotations, REC_ANN_SCALER, ID_P);
    rec_smap_set(&c->annotations, REC_ANN_SPREAD, "default");
    return c;
}

static rec_cmd_t *
link_cmd(int type)
{
    rec_cmd_t *c = rec_cmd_new(type, "hello-simple", "lid");
    c->source_id = xstrdup("http_server");
    c->target = xstrdup("http_hello_world");
    c->name = xstrdup("default");
    c->wit_namespace = xstrdup("wasi");
    c->wit_package = xstrdup("http");
    if (type == REC_CMD_PUT_LINK) {
        rec_strv_add(&c->interfaces, "incoming-handler");
        rec_strv_add(&c->source_config, "hello_simple-httpaddr");
    }
    return c;
}


/* ---- bodies (lattice.md 5.4) -------------------------------------------- */

START_TEST(test_cmd_scale_body_matches_5_4_1)
{
    rec_cmd_t *c = scale_cmd(HOST, 4, ID_C, "default");
    test_expect_cmd(c, "wasmbus.ctl.v1.default.component.scale." HOST,
               "{\"component_ref\":\"" HELLO_REF "\",\"component_id\":"
               "\"http_hello_world\",\"annotations\":{"
               "\"wasmcloud.dev/appspec\":\"hello-simple\","
               "\"wasmcloud.dev/managed-by\":\"wadm\","
               "\"wasmcloud.dev/scaler\":\"" ID_C "\","
               "\"wasmcloud.dev/spread_name\":\"default\"},\"count\":4,"
               "\"host_id\":\"" HOST "\",\"config\":[],"
               "\"allow_update\":false}");
    /* with configs, in list order */
    rec_strv_add(&c->config, "b-config");
    rec_strv_add(&c->config, "SECRET_a");
    char *b = rec_cmd_body(c);
    ck_assert_ptr_nonnull(strstr(b, ",\"config\":[\"b-config\","
                                    "\"SECRET_a\"],\"allow_update\":false}"));
    free(b);
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_start_body_matches_5_4_2)
{
    rec_cmd_t *c = start_cmd(HOST);
    test_expect_cmd(c, "wasmbus.ctl.v1.default.provider.start." HOST,
               "{\"provider_id\":\"http_server\",\"provider_ref\":\"" HTTP_REF
               "\",\"host_id\":\"" HOST "\",\"config\":[],\"annotations\":{"
               "\"wasmcloud.dev/appspec\":\"hello-simple\","
               "\"wasmcloud.dev/managed-by\":\"wadm\","
               "\"wasmcloud.dev/scaler\":\"" ID_P "\","
               "\"wasmcloud.dev/spread_name\":\"default\"}}");
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_stop_body_matches_5_4_3)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_STOP, "hello-simple", ID_P);
    c->host_id = xstrdup(HOST);
    c->id = xstrdup("http_server");
    c->reference = xstrdup(HTTP_REF);
    rec_smap_set(&c->annotations, REC_ANN_SCALER, ID_P);
    test_expect_cmd(c, "wasmbus.ctl.v1.default.provider.stop." HOST,
               "{\"host_id\":\"" HOST "\",\"provider_id\":\"http_server\"}");
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_link_bodies_match_5_4_4_and_5_4_5)
{
    rec_cmd_t *c = link_cmd(REC_CMD_PUT_LINK);
    test_expect_cmd(c, "wasmbus.ctl.v1.default.link.put",
               "{\"source_id\":\"http_server\",\"target\":"
               "\"http_hello_world\",\"name\":\"default\",\"wit_namespace\":"
               "\"wasi\",\"wit_package\":\"http\",\"interfaces\":["
               "\"incoming-handler\"],\"source_config\":["
               "\"hello_simple-httpaddr\"],\"target_config\":[]}");
    rec_cmd_free(c);
    c = link_cmd(REC_CMD_DEL_LINK);
    test_expect_cmd(c, "wasmbus.ctl.v1.default.link.del",
               "{\"source_id\":\"http_server\",\"name\":\"default\","
               "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}");
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_config_bodies_match_5_4_6_and_5_4_7)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_PUT_CONFIG, "hello-simple", "x");
    c->config_name = xstrdup("hello_simple-httpaddr");
    rec_smap_set(&c->values, "address", "0.0.0.0:8080");
    test_expect_cmd(c,
                    "wasmbus.ctl.v1.default.config.put.hello_simple-httpaddr",
               "{\"address\":\"0.0.0.0:8080\"}");
    rec_cmd_free(c);
    c = rec_cmd_new(REC_CMD_PUT_CONFIG, "a", "x");
    c->config_name = xstrdup("empty");
    test_expect_cmd(c, "wasmbus.ctl.v1.default.config.put.empty", "{}");
    rec_cmd_free(c);
    c = rec_cmd_new(REC_CMD_DEL_CONFIG, "hello-simple", "x");
    c->config_name = xstrdup("hello_simple-httpaddr");
    test_expect_cmd(c,
                    "wasmbus.ctl.v1.default.config.del.hello_simple-httpaddr",
               "");
    rec_cmd_free(c);
}
END_TEST

/* lattice.md 4.1: the executor adds managed-by and appspec last. */
START_TEST(test_cmd_managed_annotations_win_and_keys_are_sorted)
{
    rec_cmd_t *c = scale_cmd("H1", 1, ID_C, "default");
    rec_smap_set(&c->annotations, REC_ANN_APPSPEC, "someone-else");
    rec_smap_set(&c->annotations, REC_ANN_MANAGED_BY, "helm");
    rec_smap_set(&c->annotations, "zzz", "last");
    rec_smap_set(&c->annotations, "aaa", "first");
    char *b = rec_cmd_body(c);
    ck_assert_ptr_nonnull(strstr(b, "\"annotations\":{\"aaa\":\"first\","
                                    "\"wasmcloud.dev/appspec\":"
                                    "\"hello-simple\","
                                    "\"wasmcloud.dev/managed-by\":\"wadm\","
                                    "\"wasmcloud.dev/scaler\":\"" ID_C "\","
                                    "\"wasmcloud.dev/spread_name\":"
                                    "\"default\",\"zzz\":\"last\"},"));
    free(b);
    /* the command's own annotations are left as the scaler made them */
    ck_assert_str_eq(rec_smap_get(&c->annotations, REC_ANN_APPSPEC),
                     "someone-else");
    rec_cmd_free(c);
}
END_TEST

/* A removal from an ineligible host: only the managed annotations. */
START_TEST(test_cmd_unannotated_scale_carries_managed_ones_only)
{
    rec_cmd_t *c = scale_cmd("H3", 0, NULL, NULL);
    char *b = rec_cmd_body(c);
    ck_assert_ptr_nonnull(strstr(b, "\"annotations\":{"
                                    "\"wasmcloud.dev/appspec\":"
                                    "\"hello-simple\","
                                    "\"wasmcloud.dev/managed-by\":\"wadm\"},"
                                    "\"count\":0,"));
    free(b);
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_bodies_escape_strings)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_PUT_CONFIG, "a", "x");
    c->config_name = xstrdup("n");
    rec_smap_set(&c->values, "q\"uote", "back\\slash\nnew\x01line");
    char *b = rec_cmd_body(c);
    ck_assert_str_eq(b, "{\"q\\\"uote\":\"back\\\\slash\\nnew\\u0001line\"}");
    cJSON *j = cJSON_Parse(b);
    ck_assert_ptr_nonnull(j);
    cJSON_Delete(j);
    free(b);
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_subjects_with_lattice_and_account)
{
    rec_cmd_t *c = scale_cmd("H1", 1, ID_C, "default");
    char *s = rec_cmd_subject(c, "prod", "ACCT");
    ck_assert_str_eq(s, "ACCT.wasmbus.ctl.v1.prod.component.scale.H1");
    free(s);
    s = rec_cmd_subject(c, "prod", "");
    ck_assert_str_eq(s, "wasmbus.ctl.v1.prod.component.scale.H1");
    free(s);
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_cmd_dup_is_an_equal_deep_copy)
{
    rec_cmd_t *c = link_cmd(REC_CMD_PUT_LINK);
    rec_cmd_t *d = rec_cmd_dup(c);
    char *b1 = rec_cmd_body(c);
    rec_cmd_free(c);
    char *b2 = rec_cmd_body(d);
    ck_assert_str_eq(b1, b2);
    ck_assert_str_eq(d->scaler_id, "lid");
    ck_assert_str_eq(d->app, "hello-simple");
    free(b1);
    free(b2);
    rec_cmd_free(d);
    c = scale_cmd("H1", 3, ID_C, "x");
    rec_strv_add(&c->config, "cfg");
    d = rec_cmd_dup(c);
    b1 = rec_cmd_body(c);
    b2 = rec_cmd_body(d);
    ck_assert_str_eq(b1, b2);
    free(b1);
    free(b2);
    rec_cmd_free(c);
    rec_cmd_free(d);
}
END_TEST

/* ---- expectations (scalers.md 11.1) ------------------------------------- */

#define ANN_FULL                                                              \
    "{\"wasmcloud.dev/appspec\":\"hello-simple\","                            \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\"" ID_C  \
    "\",\"wasmcloud.dev/spread_name\":\"default\"}"

static bool
scaled_matches(const rec_cmd_t *c, int kind, const char *host,
               const char *ann, const char *ref, const char *id,
               unsigned count, bool *is_failure)
{
    char *data = xasprintf("{\"annotations\":%s,\"image_ref\":\"%s\","
                           "\"component_id\":\"%s\",\"max_instances\":%u%s}",
                           ann, ref, id, count,
                           kind == CE_KIND_COMPONENT_SCALE_FAILED
                               ? ",\"error\":\"boom\""
                               : "");
    rec_event_t ev;
    test_event_decode(kind, host, data, &ev);
    bool ok = rec_cmd_confirmed_by(c, &ev);
    *is_failure = rec_cmd_failed_by(c, &ev);
    rec_event_destroy(&ev);
    free(data);
    return ok;
}

START_TEST(test_expect_component_scaled_compares_four_fields)
{
    rec_cmd_t *c = scale_cmd("H1", 4, ID_C, "default");
    ck_assert(rec_cmd_has_expectation(c));
    bool f;
    /* max_instances is ignored */
    ck_assert(scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1", ANN_FULL,
                             HELLO_REF, "http_hello_world", 4, &f));
    ck_assert(!f);
    ck_assert(scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1", ANN_FULL,
                             HELLO_REF, "http_hello_world", 1, &f));
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H2", ANN_FULL,
                              HELLO_REF, "http_hello_world", 4, &f));
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1", ANN_FULL,
                              "ghcr.io/other:1", "http_hello_world", 4, &f));
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1", ANN_FULL,
                              HELLO_REF, "other", 4, &f));
    /* the whole annotation map: without the managed ones, or with more */
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1",
                              "{\"wasmcloud.dev/scaler\":\"" ID_C "\","
                              "\"wasmcloud.dev/spread_name\":\"default\"}",
                              HELLO_REF, "http_hello_world", 4, &f));
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H1",
                              "{\"wasmcloud.dev/appspec\":\"hello-simple\","
                              "\"wasmcloud.dev/managed-by\":\"wadm\","
                              "\"wasmcloud.dev/scaler\":\"" ID_C "\","
                              "\"wasmcloud.dev/spread_name\":\"default\","
                              "\"extra\":\"x\"}",
                              HELLO_REF, "http_hello_world", 4, &f));
    /* the failure twin compares the same four values */
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALE_FAILED, "H1",
                              ANN_FULL, HELLO_REF, "http_hello_world", 4,
                              &f));
    ck_assert(f);
    scaled_matches(c, CE_KIND_COMPONENT_SCALE_FAILED, "H1",
                   "{\"wasmcloud.dev/appspec\":\"hello-simple\","
                   "\"wasmcloud.dev/managed-by\":\"wadm\"}",
                   HELLO_REF, "http_hello_world", 4, &f);
    ck_assert(!f);
    scaled_matches(c, CE_KIND_COMPONENT_SCALE_FAILED, "H2", ANN_FULL,
                   HELLO_REF, "http_hello_world", 4, &f);
    ck_assert(!f);
    rec_cmd_free(c);
}
END_TEST

/* A removal (no scaler annotations) expects the managed ones only. */
START_TEST(test_expect_removal_echo_has_managed_annotations_only)
{
    rec_cmd_t *c = scale_cmd("H3", 0, NULL, NULL);
    bool f;
    ck_assert(scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H3",
                             "{\"wasmcloud.dev/appspec\":\"hello-simple\","
                             "\"wasmcloud.dev/managed-by\":\"wadm\"}",
                             HELLO_REF, "http_hello_world", 0, &f));
    ck_assert(!scaled_matches(c, CE_KIND_COMPONENT_SCALED, "H3", "{}",
                              HELLO_REF, "http_hello_world", 0, &f));
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_expect_provider_events)
{
    rec_cmd_t *c = start_cmd("H1");
    ck_assert(rec_cmd_has_expectation(c));
    const char *ann = "{\"wasmcloud.dev/appspec\":\"hello-simple\","
                      "\"wasmcloud.dev/managed-by\":\"wadm\","
                      "\"wasmcloud.dev/scaler\":\"" ID_P "\","
                      "\"wasmcloud.dev/spread_name\":\"default\"}";
    struct {
        int kind;
        const char *host;
        const char *fmt;
        const char *a1;
        const char *a2;
        bool ok;
        bool bad;
    } rows[] = {
        {CE_KIND_PROVIDER_STARTED, "H1",
         "{\"annotations\":%s,\"image_ref\":\"%s\",\"provider_id\":"
         "\"http_server\"}",
         ann, HTTP_REF, true, false},
        {CE_KIND_PROVIDER_STARTED, "H2",
         "{\"annotations\":%s,\"image_ref\":\"%s\",\"provider_id\":"
         "\"http_server\"}",
         ann, HTTP_REF, false, false},
        {CE_KIND_PROVIDER_STARTED, "H1",
         "{\"annotations\":%s,\"image_ref\":\"%s\",\"provider_id\":"
         "\"http_server\"}",
         "{}", HTTP_REF, false, false},
        {CE_KIND_PROVIDER_STARTED, "H1",
         "{\"annotations\":%s,\"image_ref\":\"%s\",\"provider_id\":"
         "\"http_server\"}",
         ann, "ghcr.io/other:2", false, false},
        /* failure: provider_id, host and provider_ref only */
        {CE_KIND_PROVIDER_START_FAILED, "H1",
         "{\"error\":\"e\",\"provider_id\":\"http_server\","
         "\"provider_ref\":\"%s\"%s}",
         HTTP_REF, "", false, true},
        {CE_KIND_PROVIDER_START_FAILED, "H1",
         "{\"error\":\"e\",\"provider_id\":\"http_server\","
         "\"provider_ref\":\"%s\"%s}",
         "ghcr.io/other:2", "", false, false},
        {CE_KIND_PROVIDER_START_FAILED, "H2",
         "{\"error\":\"e\",\"provider_id\":\"http_server\","
         "\"provider_ref\":\"%s\"%s}",
         HTTP_REF, "", false, false},
        /* no other event type ever matches */
        {CE_KIND_PROVIDER_STOPPED, "H1",
         "{\"annotations\":%s,\"provider_id\":\"http_server\","
         "\"reason\":\"stop\"%s}",
         ann, "", false, false},
        {CE_KIND_COMPONENT_SCALED, "H1",
         "{\"annotations\":%s,\"image_ref\":\"%s\",\"component_id\":"
         "\"http_server\",\"max_instances\":1}",
         ann, HTTP_REF, false, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *data = xasprintf(rows[i].fmt, rows[i].a1, rows[i].a2);
        rec_event_t ev;
        test_event_decode(rows[i].kind, rows[i].host, data, &ev);
        ck_assert_msg(rec_cmd_confirmed_by(c, &ev) == rows[i].ok,
                      "row %zu success", i);
        ck_assert_msg(rec_cmd_failed_by(c, &ev) == rows[i].bad,
                      "row %zu failure", i);
        rec_event_destroy(&ev);
        free(data);
    }
    rec_cmd_free(c);
}
END_TEST

/*
 * A provider stop expects its provider_stopped (wadm-c only, see
 * rec_cmd_has_expectation): same provider on the same host confirms it,
 * annotations aside; nothing reports its failure.
 */
START_TEST(test_expect_provider_stop_confirmed_by_its_stopped_event)
{
    rec_cmd_t *c = rec_cmd_new(REC_CMD_STOP, "a", "s");
    c->id = xstrdup("http_server");
    c->host_id = xstrdup("H1");
    ck_assert(rec_cmd_has_expectation(c));
    static const struct {
        const char *host;
        int kind;
        const char *data;
        bool ok;
    } rows[] = {
        {"H1", CE_KIND_PROVIDER_STOPPED,
         "{\"provider_id\":\"http_server\",\"annotations\":{\"x\":\"y\"},"
         "\"reason\":\"stop\"}",
         true},
        {"H2", CE_KIND_PROVIDER_STOPPED,
         "{\"provider_id\":\"http_server\",\"annotations\":{},"
         "\"reason\":\"stop\"}",
         false},
        {"H1", CE_KIND_PROVIDER_STOPPED,
         "{\"provider_id\":\"other\",\"annotations\":{},"
         "\"reason\":\"stop\"}",
         false},
        {"H1", CE_KIND_PROVIDER_STARTED,
         "{\"provider_id\":\"http_server\",\"image_ref\":\"r\","
         "\"annotations\":{}}",
         false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        rec_event_t ev;
        test_event_decode(rows[i].kind, rows[i].host, rows[i].data, &ev);
        ck_assert_msg(rec_cmd_confirmed_by(c, &ev) == rows[i].ok, "row %zu",
                      i);
        ck_assert(!rec_cmd_failed_by(c, &ev));
        rec_event_destroy(&ev);
    }
    rec_cmd_free(c);
}
END_TEST

START_TEST(test_expect_links_and_configs_have_no_expectations)
{
    static const int none[] = {REC_CMD_PUT_LINK, REC_CMD_DEL_LINK,
                               REC_CMD_PUT_CONFIG, REC_CMD_DEL_CONFIG};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        rec_cmd_t *c = rec_cmd_new(none[i], "a", "s");
        ck_assert(!rec_cmd_has_expectation(c));
        rec_cmd_free(c);
    }
    /* a scale never matches provider events, nor a start component ones */
    rec_cmd_t *c = scale_cmd("H1", 1, ID_C, "default");
    rec_event_t ev;
    test_event_decode(CE_KIND_PROVIDER_START_FAILED, "H1",
                      "{\"error\":\"e\",\"provider_id\":\"http_hello_world\","
                      "\"provider_ref\":\"" HELLO_REF "\"}",
                      &ev);
    ck_assert(!rec_cmd_confirmed_by(c, &ev));
    ck_assert(!rec_cmd_failed_by(c, &ev));
    rec_event_destroy(&ev);
    rec_cmd_free(c);
}
END_TEST

Suite *
rec_cmd_suite(void)
{
    Suite *s = suite_create("rec_cmd");
    TCase *tc = tcase_create("bodies");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_cmd_scale_body_matches_5_4_1);
    tcase_add_test(tc, test_cmd_start_body_matches_5_4_2);
    tcase_add_test(tc, test_cmd_stop_body_matches_5_4_3);
    tcase_add_test(tc, test_cmd_link_bodies_match_5_4_4_and_5_4_5);
    tcase_add_test(tc, test_cmd_config_bodies_match_5_4_6_and_5_4_7);
    tcase_add_test(tc, test_cmd_managed_annotations_win_and_keys_are_sorted);
    tcase_add_test(tc, test_cmd_unannotated_scale_carries_managed_ones_only);
    tcase_add_test(tc, test_cmd_bodies_escape_strings);
    tcase_add_test(tc, test_cmd_subjects_with_lattice_and_account);
    tcase_add_test(tc, test_cmd_dup_is_an_equal_deep_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("expectations");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_expect_component_scaled_compares_four_fields);
    tcase_add_test(tc, test_expect_removal_echo_has_managed_annotations_only);
    tcase_add_test(tc, test_expect_provider_events);
    tcase_add_test(tc, test_expect_links_and_configs_have_no_expectations);
    tcase_add_test(tc, test_expect_provider_stop_confirmed_by_its_stopped_event);
    suite_add_tcase(s, tc);
    return s;
}
