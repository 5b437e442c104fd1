/*
 * check_rec_event.c - event payload decoding (spec/lattice.md 2.4): every
 * fixture event, every required field missing, null or mistyped, optional
 * fields defaulted, aliases, host id rules, claims and inventories.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ce.h"
#include "common/err.h"
#include "test/lib/test_events.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_event.h"

#define HOST "NBWU4CQ2X5Z3CNMJHLBYEXRLG4HSWGUMYX6DLJ6VRWDAC4ZEC4NOTJWQ"

static int
decode(int kind, const char *data, rec_event_t *ev, char **err)
{
    return rec_event_decode(kind, data, strlen(data), HOST, ev, err);
}

/* Decodes data of kind and expects success; the caller destroys ev. */
static void
decode_ok(int kind, const char *data, rec_event_t *ev)
{
    char *err = NULL;
    int rc = decode(kind, data, ev, &err);
    if (rc != 0)
        ck_abort_msg("%s %.300s: %s", ce_kind_name(kind), data, err);
    ck_assert_ptr_null(err);
}

/* Decodes and expects ERR_PROTO with a message containing why. */
static void
decode_fail(int kind, const char *data, const char *why)
{
    rec_event_t ev;
    char *err = NULL;
    int rc = decode(kind, data, &ev, &err);
    if (rc != ERR_PROTO || err == NULL || strstr(err, why) == NULL)
        ck_abort_msg("%s %.300s gave %d \"%s\", want \"%s\"",
                     ce_kind_name(kind), data, rc, err ? err : "", why);
    free(err);
    rec_event_destroy(&ev);
}

/* base with member name set to value_json (NULL: removed), printed. */
static char *
with(const char *base, const char *name, const char *value_json)
{
    cJSON *o = cJSON_Parse(base);
    ck_assert_ptr_nonnull(o);
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    if (value_json != NULL)
        cJSON_AddItemToObject(o, name, cJSON_Parse(value_json));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

#define HEARTBEAT                                                             \
    "{\"components\":[{\"id\":\"c1\",\"image_ref\":\"r1\",\"name\":\"C1\","   \
    "\"annotations\":{\"a\":\"1\"},\"revision\":2,\"max_instances\":3}],"     \
    "\"providers\":[{\"id\":\"p1\",\"image_ref\":\"pr\",\"name\":\"P1\","     \
    "\"revision\":1,\"annotations\":{\"b\":\"2\"}}],\"friendly_name\":"       \
    "\"fn\",\"labels\":{\"zone\":\"east\"},\"version\":\"1.8.0\","            \
    "\"uptime_human\":\"30s\",\"uptime_seconds\":30}"

/* A valid payload per kind and its required fields with a mistyped value. */
static const struct {
    int kind;
    const char *base;
    const char *fields[8];
    const char *wrong[8];
} payloads[] = {
    {CE_KIND_HOST_HEARTBEAT,
     HEARTBEAT,
     {"components", "providers", "friendly_name", "labels", "version",
      "uptime_human", "uptime_seconds"},
     {"{}", "\"x\"", "1", "[]", "1", "false", "\"30\""}},
    {CE_KIND_HOST_STARTED,
     "{\"labels\":{},\"friendly_name\":\"fn\"}",
     {"labels", "friendly_name"},
     {"\"x\"", "[]"}},
    {CE_KIND_HOST_STOPPED, "{\"labels\":{\"a\":\"b\"}}", {"labels"}, {"[]"}},
    {CE_KIND_COMPONENT_SCALED,
     "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
     "\"max_instances\":1}",
     {"annotations", "image_ref", "component_id", "max_instances"},
     {"[]", "1", "{}", "-1"}},
    {CE_KIND_COMPONENT_SCALE_FAILED,
     "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
     "\"max_instances\":1,\"error\":\"e\"}",
     {"annotations", "image_ref", "component_id", "max_instances", "error"},
     {"1", "[]", "true", "1.5", "{}"}},
    {CE_KIND_PROVIDER_STARTED,
     "{\"annotations\":{},\"image_ref\":\"r\",\"provider_id\":\"p\"}",
     {"annotations", "image_ref", "provider_id"},
     {"\"a\"", "{}", "2"}},
    {CE_KIND_PROVIDER_START_FAILED,
     "{\"error\":\"e\",\"provider_id\":\"p\",\"provider_ref\":\"r\"}",
     {"error", "provider_id", "provider_ref"},
     {"1", "[]", "{}"}},
    {CE_KIND_PROVIDER_STOPPED,
     "{\"annotations\":{},\"provider_id\":\"p\",\"reason\":\"stop\"}",
     {"annotations", "provider_id", "reason"},
     {"[]", "1", "false"}},
    {CE_KIND_HEALTH_CHECK_PASSED,
     "{\"provider_id\":\"p\",\"host_id\":\"h\"}",
     {"provider_id", "host_id"},
     {"1", "[]"}},
    {CE_KIND_HEALTH_CHECK_FAILED,
     "{\"provider_id\":\"p\",\"host_id\":\"h\"}",
     {"provider_id", "host_id"},
     {"{}", "2"}},
    {CE_KIND_HEALTH_CHECK_STATUS,
     "{\"provider_id\":\"p\",\"host_id\":\"h\"}",
     {"provider_id", "host_id"},
     {"true", "3"}},
    {CE_KIND_LINKDEF_SET,
     "{\"source_id\":\"s\",\"target\":\"t\",\"wit_namespace\":\"w\","
     "\"wit_package\":\"p\",\"interfaces\":[\"i\"]}",
     {"source_id", "target", "wit_namespace", "wit_package", "interfaces"},
     {"1", "{}", "[]", "2", "[1]"}},
    {CE_KIND_LINKDEF_DELETED,
     "{\"source_id\":\"s\",\"name\":\"n\",\"wit_namespace\":\"w\","
     "\"wit_package\":\"p\"}",
     {"source_id", "name", "wit_namespace", "wit_package"},
     {"1", "2", "3", "4"}},
    {CE_KIND_CONFIG_SET, "{\"config_name\":\"c\"}", {"config_name"}, {"1"}},
    {CE_KIND_CONFIG_DELETED, "{\"config_name\":\"c\"}", {"config_name"},
     {"[]"}},
    {CE_KIND_MANIFEST_UNPUBLISHED, "{\"name\":\"app\"}", {"name"}, {"{}"}},
};

#define NPAYLOADS (sizeof(payloads) / sizeof(payloads[0]))

START_TEST(test_rec_event_every_fixture_event_decodes)
{
    cJSON *arr = test_events_load();
    if (arr == NULL) {
        test_skip("rec_event fixtures: manifests/events.json not found");
        return;
    }
    size_t n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char *text = cJSON_PrintUnformatted(item);
        ce_envelope_t env;
        ck_assert_int_eq(ce_scan(text, strlen(text), &env), 0);
        rec_event_t ev;
        char *err = NULL;
        int rc = rec_event_decode(env.kind, env.data, env.data_len,
                                  env.source, &ev, &err);
        ck_assert_msg(rc == 0, "%s: %s", env.type, err);
        ck_assert_int_eq(ev.kind, env.kind);
        if (ce_kind_is_host_sourced(env.kind))
            ck_assert_str_eq(ev.host_id, env.source);
        else if (env.kind >= CE_KIND_HEALTH_CHECK_PASSED &&
                 env.kind <= CE_KIND_HEALTH_CHECK_STATUS)
            ck_assert_str_eq(ev.host_id, "NB6PMW4RGLBP3NAVUVO2IH34VFJFSX7LF7"
                                         "TJOQCDU4GGUGF3P57SZLPX");
        else
            ck_assert_ptr_null(ev.host_id);
        rec_event_destroy(&ev);
        ce_envelope_destroy(&env);
        free(text);
        n++;
    }
    ck_assert_uint_eq(n, 17);
    cJSON_Delete(arr);
}
END_TEST

/* Scans the fixture of type and decodes its data; NULL when absent. */
static bool
fixture_event(const char *type, rec_event_t *ev)
{
    char *text = test_event_text(type);
    if (text == NULL) {
        test_skip("rec_event fixtures: no %s event", type);
        return false;
    }
    ce_envelope_t env;
    ck_assert_int_eq(ce_scan(text, strlen(text), &env), 0);
    char *err = NULL;
    ck_assert_int_eq(rec_event_decode(env.kind, env.data, env.data_len,
                                      env.source, ev, &err),
                     0);
    ce_envelope_destroy(&env);
    free(text);
    return true;
}

START_TEST(test_rec_event_fixture_fields_decode_to_their_values)
{
    rec_event_t ev;
    if (!fixture_event("com.wasmcloud.lattice.component_scaled", &ev))
        return;
    rec_ev_component_scaled_t *cs = &ev.u.component_scaled;
    ck_assert_str_eq(cs->component_id, "wasmcloud_azurecr_io_echo_0_3_4");
    ck_assert_str_eq(cs->image_ref, "wasmcloud.azurecr.io/echo:0.3.4");
    ck_assert_uint_eq(cs->max_instances, 10);
    ck_assert(cs->has_claims);
    ck_assert_str_eq(cs->claims_name, "Echo");
    ck_assert_str_eq(cs->claims_issuer, "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56"
                                        "XVKYK4BEJWGVAOOQHZMCW");
    ck_assert_uint_eq(cs->annotations.n, 0);
    ck_assert_ptr_null(cs->error);
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wasmcloud.lattice.host_heartbeat", &ev));
    rec_ev_heartbeat_t *hb = &ev.u.heartbeat;
    ck_assert_uint_eq(hb->ncomponents, 1);
    ck_assert_str_eq(hb->components[0].id, "hello_world");
    ck_assert_str_eq(hb->components[0].name, "http-hello-world");
    ck_assert_uint_eq(hb->components[0].max_instances, 1);
    ck_assert(hb->components[0].has_annotations);
    ck_assert_uint_eq(hb->nproviders, 1);
    ck_assert_str_eq(hb->providers[0].id, "httpserver");
    ck_assert_str_eq(hb->providers[0].image_ref,
                     "wasmcloud.azurecr.io/httpserver:0.19.1");
    ck_assert_str_eq(hb->friendly_name, "floral-forest-3510");
    ck_assert_str_eq(rec_smap_get(&hb->labels, "hostcore.os"), "macos");
    ck_assert_str_eq(hb->version, "0.82.0");
    ck_assert_str_eq(hb->uptime_human, "30s");
    ck_assert_uint_eq(hb->uptime_seconds, 30);
    ck_assert_str_eq(hb->issuer, "CDCCCTSNYF7RV4HAODDDAUMH2RLUXSKU6NJNBXMEKUJ"
                                 "WAPTD5AUH5GGB");
    ck_assert_str_eq(hb->data_host_id, ev.host_id);
    ck_assert_ptr_null(hb->claims);
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wasmcloud.lattice.provider_started", &ev));
    ck_assert_str_eq(ev.u.provider_started.claims_name, "HTTP Server");
    ck_assert_str_eq(ev.u.provider_started.provider_id,
                     "wasmcloud_azurecr_io_httpserver_0_16_0");
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wasmcloud.lattice.linkdef_set", &ev));
    rec_ev_linkdef_set_t *ls = &ev.u.linkdef_set;
    ck_assert_uint_eq(ls->ninterfaces, 2);
    ck_assert_str_eq(ls->interfaces[1], "busybox");
    ck_assert_ptr_null(ls->interfaces[2]);
    ck_assert_uint_eq(ls->nsource_config, 0);
    ck_assert_str_eq(ls->name, "default");
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wasmcloud.lattice.provider_start_failed",
                            &ev));
    ck_assert_str_eq(ev.u.provider_start_failed.provider_ref,
                     "wasmcloud.azurecr.io/httpserver");
    ck_assert(strstr(ev.u.provider_start_failed.error, "OCI API errors"));
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wadm.manifest_published", &ev));
    cJSON *m = cJSON_Parse(ev.u.manifest_published.json);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metadata"),
                                         "name")
                         ->valuestring,
                     "my-example-app");
    cJSON_Delete(m);
    rec_event_destroy(&ev);

    ck_assert(fixture_event("com.wadm.manifest_unpublished", &ev));
    ck_assert_str_eq(ev.u.manifest_unpublished.name, "foobar");
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_each_required_field_missing_null_or_mistyped_fails)
{
    for (size_t i = 0; i < NPAYLOADS; i++) {
        rec_event_t ev;
        decode_ok(payloads[i].kind, payloads[i].base, &ev);
        rec_event_destroy(&ev);
        for (size_t f = 0; f < 8 && payloads[i].fields[f]; f++) {
            const char *name = payloads[i].fields[f];
            char want[64];
            snprintf(want, sizeof(want), "missing field \"%s\"", name);
            char *s = with(payloads[i].base, name, NULL);
            decode_fail(payloads[i].kind, s, want);
            free(s);
            s = with(payloads[i].base, name, "null");
            decode_fail(payloads[i].kind, s, want);
            free(s);
            snprintf(want, sizeof(want), "\"%s\"", name);
            s = with(payloads[i].base, name, payloads[i].wrong[f]);
            decode_fail(payloads[i].kind, s, want);
            free(s);
        }
    }
}
END_TEST

START_TEST(test_rec_event_data_that_is_not_an_object_fails)
{
    for (size_t i = 0; i < NPAYLOADS; i++) {
        decode_fail(payloads[i].kind, "[]", "data is not an object");
        decode_fail(payloads[i].kind, "{\"a\":", "data is not valid JSON");
    }
    decode_fail(CE_KIND_MANIFEST_PUBLISHED, "[1]", "data is not an object");
}
END_TEST

START_TEST(test_rec_event_repeated_field_is_a_duplicate)
{
    decode_fail(CE_KIND_CONFIG_SET,
                "{\"config_name\":\"a\",\"config_name\":\"b\"}",
                "duplicate field \"config_name\"");
    decode_fail(CE_KIND_HOST_HEARTBEAT,
                "{\"components\":[{\"id\":\"a\",\"id\":\"b\"}]}",
                "components[0]: duplicate field \"id\"");
}
END_TEST

START_TEST(test_rec_event_unknown_fields_are_ignored)
{
    rec_event_t ev;
    decode_ok(CE_KIND_PROVIDER_STARTED,
              "{\"annotations\":{},\"image_ref\":\"r\",\"provider_id\":\"p\","
              "\"instance_id\":5,\"public_key\":[],\"link_name\":{}}",
              &ev);
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_COMPONENT_SCALED,
              "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
              "\"max_instances\":0,\"public_key\":1,\"error\":2}",
              &ev);
    ck_assert_ptr_null(ev.u.component_scaled.error);
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_HOST_STARTED,
              "{\"labels\":{},\"friendly_name\":\"f\",\"uptime_seconds\":\"x\","
              "\"version\":\"not semver\"}",
              &ev);
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_declared_but_ignored_fields_are_type_checked)
{
    decode_fail(CE_KIND_COMPONENT_SCALED,
                "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":"
                "\"c\",\"max_instances\":1,\"host_id\":5}",
                "field \"host_id\" is not a string");
    decode_fail(CE_KIND_HOST_STOPPED, "{\"labels\":{},\"id\":[]}",
                "field \"id\" is not a string");
    char *s = with(HEARTBEAT, "issuer", "1");
    decode_fail(CE_KIND_HOST_HEARTBEAT, s, "field \"issuer\"");
    free(s);
}
END_TEST

START_TEST(test_rec_event_descriptions_default_every_field)
{
    rec_event_t ev;
    decode_ok(CE_KIND_HOST_HEARTBEAT,
              "{\"components\":[{}],\"providers\":[{\"annotations\":null,"
              "\"name\":null,\"image_ref\":null}],\"friendly_name\":\"f\","
              "\"labels\":{},\"version\":\"1.0.0\",\"uptime_human\":\"1s\","
              "\"uptime_seconds\":1}",
              &ev);
    rec_ev_heartbeat_t *hb = &ev.u.heartbeat;
    ck_assert_str_eq(hb->components[0].id, "");
    ck_assert_str_eq(hb->components[0].image_ref, "");
    ck_assert_ptr_null(hb->components[0].name);
    ck_assert(!hb->components[0].has_annotations);
    ck_assert_uint_eq(hb->components[0].annotations.n, 0);
    ck_assert_int_eq(hb->components[0].revision, 0);
    ck_assert_uint_eq(hb->components[0].max_instances, 0);
    ck_assert_str_eq(hb->providers[0].id, "");
    ck_assert_ptr_null(hb->providers[0].image_ref);
    ck_assert_ptr_null(hb->providers[0].name);
    ck_assert(!hb->providers[0].has_annotations);
    ck_assert_str_eq(hb->data_host_id, "");
    ck_assert_str_eq(hb->issuer, "");
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_description_fields_are_range_checked)
{
    static const struct {
        const char *desc;
        const char *why;
    } bad[] = {
        {"{\"max_instances\":4294967296}", "\"max_instances\""},
        {"{\"max_instances\":-1}", "\"max_instances\""},
        {"{\"max_instances\":1.5}", "\"max_instances\""},
        {"{\"revision\":2147483648}", "\"revision\""},
        {"{\"revision\":\"1\"}", "\"revision\""},
        {"{\"id\":1}", "\"id\""},
        {"{\"annotations\":{\"a\":1}}", "value of \"a\" is not a string"},
        {"3", "component is not an object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char arr[128];
        snprintf(arr, sizeof(arr), "[{},%s]", bad[i].desc);
        char *s = with(HEARTBEAT, "components", arr);
        decode_fail(CE_KIND_HOST_HEARTBEAT, s, bad[i].why);
        free(s);
    }
    char *s = with(HEARTBEAT, "components",
                   "[{\"max_instances\":4294967295,\"revision\":-2147483648}]");
    rec_event_t ev;
    decode_ok(CE_KIND_HOST_HEARTBEAT, s, &ev);
    ck_assert_uint_eq(ev.u.heartbeat.components[0].max_instances, UINT32_MAX);
    ck_assert_int_eq(ev.u.heartbeat.components[0].revision, INT32_MIN);
    rec_event_destroy(&ev);
    free(s);
    s = with(HEARTBEAT, "providers", "[{\"revision\":0.5}]");
    decode_fail(CE_KIND_HOST_HEARTBEAT, s, "providers[0]: field \"revision\"");
    free(s);
}
END_TEST

START_TEST(test_rec_event_heartbeat_version_must_be_semver)
{
    static const char *const good[] = {"1.8.0", "0.82.0", "1.8.0-rc.1",
                                       "1.0.0-alpha-1.x", "1.2.3+build.01",
                                       "1.2.3-0.a+b"};
    static const char *const bad[] = {"v1.8.0", "1.8", "01.2.3", "1.2.3-01",
                                      "1.2.3-", "1.2.3+", "1.2.3 ", "",
                                      "1.2.3-a..b", "18446744073709551616.0.0"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(rec_event_is_semver(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!rec_event_is_semver(bad[i]), "%s", bad[i]);
        char v[64];
        snprintf(v, sizeof(v), "\"%s\"", bad[i]);
        char *s = with(HEARTBEAT, "version", v);
        decode_fail(CE_KIND_HOST_HEARTBEAT, s, "not a semantic version");
        free(s);
    }
}
END_TEST

START_TEST(test_rec_event_heartbeat_accepts_id_as_host_id_alias)
{
    rec_event_t ev;
    char *s = with(HEARTBEAT, "id", "\"NALIAS\"");
    decode_ok(CE_KIND_HOST_HEARTBEAT, s, &ev);
    ck_assert_str_eq(ev.u.heartbeat.data_host_id, "NALIAS");
    ck_assert_str_eq(ev.host_id, HOST); /* the source wins */
    rec_event_destroy(&ev);
    char *both = with(s, "host_id", "\"NOTHER\"");
    decode_fail(CE_KIND_HOST_HEARTBEAT, both, "duplicate field \"host_id\"");
    free(both);
    free(s);
}
END_TEST

START_TEST(test_rec_event_host_id_comes_from_source_or_data)
{
    rec_event_t ev;
    decode_ok(CE_KIND_COMPONENT_SCALED,
              "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
              "\"max_instances\":1,\"host_id\":\"NDATA\"}",
              &ev);
    ck_assert_str_eq(ev.host_id, HOST);
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_HEALTH_CHECK_STATUS,
              "{\"provider_id\":\"p\",\"host_id\":\"NDATA\"}", &ev);
    ck_assert_str_eq(ev.host_id, "NDATA");
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_CONFIG_SET, "{\"config_name\":\"c\"}", &ev);
    ck_assert_ptr_null(ev.host_id);
    rec_event_destroy(&ev);
    char *err = NULL;
    const char *hs = "{\"labels\":{}}";
    ck_assert_int_eq(rec_event_decode(CE_KIND_HOST_STOPPED, hs, strlen(hs),
                                      NULL, &ev, &err),
                     ERR_PROTO);
    ck_assert(strstr(err, "source") != NULL);
    free(err);
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_optional_fields_take_their_defaults)
{
    rec_event_t ev;
    decode_ok(CE_KIND_LINKDEF_SET,
              "{\"source_id\":\"s\",\"target\":\"t\",\"wit_namespace\":\"w\","
              "\"wit_package\":\"p\",\"interfaces\":[],\"name\":null,"
              "\"target_config\":null}",
              &ev);
    ck_assert_str_eq(ev.u.linkdef_set.name, "default");
    ck_assert_uint_eq(ev.u.linkdef_set.nsource_config, 0);
    ck_assert_ptr_null(ev.u.linkdef_set.source_config[0]);
    ck_assert_ptr_null(ev.u.linkdef_set.target_config[0]);
    ck_assert_uint_eq(ev.u.linkdef_set.ninterfaces, 0);
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_COMPONENT_SCALED,
              "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
              "\"max_instances\":1,\"claims\":null}",
              &ev);
    ck_assert(!ev.u.component_scaled.has_claims);
    ck_assert_str_eq(ev.u.component_scaled.claims_name, "");
    ck_assert_str_eq(ev.u.component_scaled.claims_issuer, "");
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_component_claims_are_typed)
{
    const char *base = "{\"annotations\":{},\"image_ref\":\"r\","
                       "\"component_id\":\"c\",\"max_instances\":1}";
    rec_event_t ev;
    char *s = with(base, "claims",
                   "{\"name\":\"N\",\"call_alias\":null,\"revision\":null,"
                   "\"tags\":null,\"version\":null,\"caps\":[\"x\"]}");
    decode_ok(CE_KIND_COMPONENT_SCALED, s, &ev);
    ck_assert_str_eq(ev.u.component_scaled.claims_name, "N");
    ck_assert_str_eq(ev.u.component_scaled.claims_issuer, "");
    rec_event_destroy(&ev);
    free(s);
    static const char *const bad[] = {
        "{\"issuer\":1}", "{\"name\":[]}", "{\"revision\":-1}",
        "{\"tags\":[1]}", "{\"tags\":\"a,b\"}", "{\"version\":2}",
        "{\"expires_human\":{}}", "\"claims\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = with(base, "claims", bad[i]);
        decode_fail(CE_KIND_COMPONENT_SCALED, s, "claims");
        free(s);
    }
}
END_TEST

START_TEST(test_rec_event_provider_claims_are_read_leniently)
{
    const char *base = "{\"annotations\":{},\"image_ref\":\"r\","
                       "\"provider_id\":\"p\"}";
    rec_event_t ev;
    /* upstream would drop this incomplete claims object; we keep the name */
    char *s = with(base, "claims", "{\"name\":\"HTTP\",\"version\":null}");
    decode_ok(CE_KIND_PROVIDER_STARTED, s, &ev);
    ck_assert(ev.u.provider_started.has_claims);
    ck_assert_str_eq(ev.u.provider_started.claims_name, "HTTP");
    ck_assert_str_eq(ev.u.provider_started.claims_issuer, "");
    rec_event_destroy(&ev);
    free(s);
    s = with(base, "claims", "{\"issuer\":7}");
    decode_fail(CE_KIND_PROVIDER_STARTED, s, "claims: field \"issuer\"");
    free(s);
    s = with(base, "claims", "[]");
    decode_fail(CE_KIND_PROVIDER_STARTED, s, "field \"claims\" is not an "
                                             "object");
    free(s);
}
END_TEST

START_TEST(test_rec_event_kinds_without_payload_are_invalid)
{
    rec_event_t ev;
    char *err = NULL;
    ck_assert_int_eq(decode(CE_KIND_UNKNOWN, "{}", &ev, &err), ERR_INVALID);
    free(err);
    rec_event_destroy(&ev);
    ck_assert_int_eq(decode(CE_KIND_IGNORED, "{}", &ev, &err), ERR_INVALID);
    free(err);
    rec_event_destroy(&ev);
    ck_assert_int_eq(decode(99, "{}", &ev, &err), ERR_INVALID);
    free(err);
    rec_event_destroy(&ev);
    ck_assert_int_eq(rec_event_decode(CE_KIND_CONFIG_SET, NULL, 0, HOST, &ev,
                                      &err),
                     ERR_PROTO);
    free(err);
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_app_hint_routes_scaled_and_started_only)
{
    rec_event_t ev;
    decode_ok(CE_KIND_COMPONENT_SCALED,
              "{\"annotations\":{\"wasmcloud.dev/appspec\":\"hello\"},"
              "\"image_ref\":\"r\",\"component_id\":\"c\",\"max_instances\":1}",
              &ev);
    ck_assert_str_eq(rec_event_app_hint(&ev), "hello");
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_PROVIDER_STARTED,
              "{\"annotations\":{\"wasmcloud.dev/appspec\":\"app\"},"
              "\"image_ref\":\"r\",\"provider_id\":\"p\"}",
              &ev);
    ck_assert_str_eq(rec_event_app_hint(&ev), "app");
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_PROVIDER_STOPPED,
              "{\"annotations\":{\"wasmcloud.dev/appspec\":\"app\"},"
              "\"provider_id\":\"p\",\"reason\":\"stop\"}",
              &ev);
    ck_assert_ptr_null(rec_event_app_hint(&ev));
    rec_event_destroy(&ev);
    decode_ok(CE_KIND_COMPONENT_SCALED,
              "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":\"c\","
              "\"max_instances\":1}",
              &ev);
    ck_assert_ptr_null(rec_event_app_hint(&ev));
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_inventory_takes_its_own_host_id)
{
    rec_event_t ev;
    char *err = NULL;
    char *s = with(HEARTBEAT, "host_id", "\"NINV\"");
    ck_assert_int_eq(rec_event_inventory_decode(s, strlen(s), &ev, &err), 0);
    ck_assert_int_eq(ev.kind, CE_KIND_HOST_HEARTBEAT);
    ck_assert_str_eq(ev.host_id, "NINV");
    ck_assert_uint_eq(ev.u.heartbeat.ncomponents, 1);
    rec_event_destroy(&ev);
    free(s);
    s = with(HEARTBEAT, "id", "\"NINV2\"");
    ck_assert_int_eq(rec_event_inventory_decode(s, strlen(s), &ev, &err), 0);
    ck_assert_str_eq(ev.host_id, "NINV2");
    rec_event_destroy(&ev);
    free(s);
    ck_assert_int_eq(rec_event_inventory_decode(HEARTBEAT, strlen(HEARTBEAT),
                                                &ev, &err),
                     ERR_PROTO);
    ck_assert_str_eq(err, "missing field \"host_id\"");
    free(err);
    rec_event_destroy(&ev);
    ck_assert_int_eq(rec_event_inventory_decode("nope", 4, &ev, &err),
                     ERR_PROTO);
    free(err);
    rec_event_destroy(&ev);
}
END_TEST

START_TEST(test_rec_event_claims_reply_skips_entries_without_sub)
{
    const char *json =
        "[{\"sub\":\"MB1\",\"name\":\"Echo\",\"iss\":\"AC1\",\"rev\":\"4\"},"
        "{\"name\":\"nosub\"},{\"sub\":\"MB2\"}]";
    rec_claims_t cl;
    char *err = NULL;
    ck_assert_int_eq(rec_event_claims_decode(json, strlen(json), &cl, &err),
                     0);
    ck_assert_uint_eq(cl.n, 2);
    ck_assert_str_eq(cl.items[0].sub, "MB1");
    ck_assert_str_eq(cl.items[0].name, "Echo");
    ck_assert_str_eq(cl.items[0].issuer, "AC1");
    ck_assert_str_eq(cl.items[1].name, "");
    ck_assert_str_eq(cl.items[1].issuer, "");
    rec_event_claims_destroy(&cl);
    static const char *const bad[] = {"{}", "[1]", "[{\"sub\":1}]", "[",
                                      "[{\"sub\":\"x\",\"rev\":4}]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(
            rec_event_claims_decode(bad[i], strlen(bad[i]), &cl, &err),
            ERR_PROTO);
        ck_assert_ptr_nonnull(err);
        free(err);
        rec_event_claims_destroy(&cl);
    }
}
END_TEST

START_TEST(test_rec_event_big_maps_decode_fast_and_last_key_wins)
{
    /* 200k labels in descending order, each key twice: n log n, not n^2 */
    size_t n = 200000;
    buf_t b;
    buf_init(&b, 0);
    (void)buf_append_str(&b, "{\"labels\":{");
    for (size_t i = n; i > 0; i--)
        (void)buf_appendf(&b, "%s\"k%07zu\":\"a\",\"k%07zu\":\"%zu\"",
                          i == n ? "" : ",", i, i, i);
    (void)buf_append_str(&b, "}}");
    rec_event_t ev;
    decode_ok(CE_KIND_HOST_STOPPED, buf_str(&b), &ev);
    const rec_smap_t *labels = &ev.u.host_stopped.labels;
    ck_assert_uint_eq(labels->n, n);
    ck_assert_str_eq(labels->items[0].key, "k0000001");
    ck_assert_str_eq(rec_smap_get(labels, "k0000007"), "7");
    for (size_t i = 1; i < labels->n; i++)
        ck_assert(strcmp(labels->items[i - 1].key, labels->items[i].key) < 0);
    rec_event_destroy(&ev);
    buf_destroy(&b);
}
END_TEST

/* HEARTBEAT with other uptime values (raw JSON text of each). */
static char *
with_uptime(const char *human_json, const char *seconds_json)
{
    char *a = with(HEARTBEAT, "uptime_human", human_json);
    char *b = with(a, "uptime_seconds", seconds_json);
    free(a);
    return b;
}

START_TEST(test_rec_event_heartbeat_differing_in_uptime_only_shares_content)
{
    rec_event_t a, b, c;
    decode_ok(CE_KIND_HOST_HEARTBEAT, HEARTBEAT, &a);
    char *s = with_uptime("\"1m 31s\"", "91");
    decode_ok(CE_KIND_HOST_HEARTBEAT, s, &b);
    free(s);
    ck_assert_uint_ne(a.u.heartbeat.content_id, 0);
    ck_assert_uint_eq(a.u.heartbeat.content_id, b.u.heartbeat.content_id);
    ck_assert_str_eq(b.u.heartbeat.uptime_human, "1m 31s");
    ck_assert_uint_eq(b.u.heartbeat.uptime_seconds, 91);
    ck_assert_str_eq(a.u.heartbeat.uptime_human, "30s");
    ck_assert_uint_eq(a.u.heartbeat.uptime_seconds, 30);
    ck_assert_str_eq(b.host_id, HOST);
    ck_assert_uint_eq(b.u.heartbeat.ncomponents, 1);
    ck_assert_str_eq(b.u.heartbeat.components[0].image_ref, "r1");
    /* any other difference is other content */
    s = with(HEARTBEAT, "labels", "{\"zone\":\"west\"}");
    decode_ok(CE_KIND_HOST_HEARTBEAT, s, &c);
    free(s);
    ck_assert_uint_ne(c.u.heartbeat.content_id, a.u.heartbeat.content_id);
    ck_assert_str_eq(rec_smap_get(&c.u.heartbeat.labels, "zone"), "west");
    /* the first two still read their (replaced) entry */
    ck_assert_str_eq(rec_smap_get(&a.u.heartbeat.labels, "zone"), "east");
    ck_assert_str_eq(b.u.heartbeat.components[0].id, "c1");
    rec_event_destroy(&a);
    rec_event_destroy(&b);
    rec_event_destroy(&c);
}
END_TEST

START_TEST(test_rec_event_heartbeat_uptime_is_decoded_as_strictly_when_cached)
{
    rec_event_t a, b;
    decode_ok(CE_KIND_HOST_HEARTBEAT, HEARTBEAT, &a);
    /* an escaped uptime text takes the full decoder, with the same result */
    char *s = with_uptime("\"3\\u0031s\"", "31");
    decode_ok(CE_KIND_HOST_HEARTBEAT, s, &b);
    free(s);
    ck_assert_str_eq(b.u.heartbeat.uptime_human, "31s");
    rec_event_destroy(&b);
    static const char *const bad_seconds[] = {"-1", "1.5", "\"31\"", "null",
                                              "18446744073709551616"};
    for (size_t i = 0; i < sizeof(bad_seconds) / sizeof(bad_seconds[0]);
         i++) {
        s = with_uptime("\"31s\"", bad_seconds[i]);
        decode_fail(CE_KIND_HOST_HEARTBEAT, s, "uptime_seconds");
        free(s);
    }
    s = with_uptime("31", "31");
    decode_fail(CE_KIND_HOST_HEARTBEAT, s, "uptime_human");
    free(s);
    rec_event_destroy(&a);
}
END_TEST

Suite *
rec_event_suite(void)
{
    Suite *s = suite_create("rec_event");
    TCase *tc = tcase_create("decode");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rec_event_every_fixture_event_decodes);
    tcase_add_test(tc, test_rec_event_fixture_fields_decode_to_their_values);
    tcase_add_test(
        tc, test_rec_event_each_required_field_missing_null_or_mistyped_fails);
    tcase_add_test(tc, test_rec_event_data_that_is_not_an_object_fails);
    tcase_add_test(tc, test_rec_event_repeated_field_is_a_duplicate);
    tcase_add_test(tc, test_rec_event_unknown_fields_are_ignored);
    tcase_add_test(tc,
                   test_rec_event_declared_but_ignored_fields_are_type_checked);
    tcase_add_test(tc, test_rec_event_descriptions_default_every_field);
    tcase_add_test(tc, test_rec_event_description_fields_are_range_checked);
    tcase_add_test(tc, test_rec_event_heartbeat_version_must_be_semver);
    tcase_add_test(tc, test_rec_event_heartbeat_accepts_id_as_host_id_alias);
    tcase_add_test(tc, test_rec_event_host_id_comes_from_source_or_data);
    tcase_add_test(tc, test_rec_event_optional_fields_take_their_defaults);
    tcase_add_test(tc, test_rec_event_component_claims_are_typed);
    tcase_add_test(tc, test_rec_event_provider_claims_are_read_leniently);
    tcase_add_test(tc, test_rec_event_kinds_without_payload_are_invalid);
    tcase_add_test(tc, test_rec_event_app_hint_routes_scaled_and_started_only);
    tcase_add_test(tc, test_rec_event_inventory_takes_its_own_host_id);
    tcase_add_test(tc, test_rec_event_claims_reply_skips_entries_without_sub);
    tcase_add_test(tc, test_rec_event_big_maps_decode_fast_and_last_key_wins);
    tcase_add_test(
        tc, test_rec_event_heartbeat_differing_in_uptime_only_shares_content);
    tcase_add_test(
        tc, test_rec_event_heartbeat_uptime_is_decoded_as_strictly_when_cached);
    suite_add_tcase(s, tc);
    return s;
}
