/*
 * check_ce.c - the CloudEvent envelope scanner: every fixture event, the
 * attribute rules of spec/lattice.md 2.2, data and data_base64, and
 * truncated, garbage, deeply nested, huge and escaped input failing (or
 * passing) cleanly.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ce.h"
#include "common/err.h"
#include "test/lib/test_events.h"
#include "test/lib/test_util.h"

/* 48 plain bytes, to build long strings from */
#define TEST_AS "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define SMALL                                                                 \
    "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":"                         \
    "\"com.wasmcloud.lattice.config_set\",\"source\":\"NHOST\","              \
    "\"datacontenttype\":\"application/json\","                               \
    "\"data\":{\"config_name\":\"c\"}}"

static int
scan(const char *s, ce_envelope_t *env)
{
    return ce_scan(s, strlen(s), env);
}

/* Scans s and expects failure rc with reason containing why. */
static void
expect_fail(const char *s, int rc, const char *why)
{
    ce_envelope_t env;
    int got = scan(s, &env);
    if (got != rc || strstr(env.reason, why) == NULL)
        ck_abort_msg("scan of %.200s gave %d \"%s\", want %d \"%s\"", s, got,
                     env.reason, rc, why);
    ck_assert_ptr_null(env.data);
    ce_envelope_destroy(&env);
}

/* SMALL with its data replaced by raw text (which may be invalid JSON). */
static char *
with_raw_data(const char *data)
{
    static const char head[] =
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":"
        "\"com.wasmcloud.lattice.config_set\",\"source\":\"NHOST\","
        "\"data\":";
    size_t n = strlen(head) + strlen(data) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s%s}", head, data);
    return s;
}

static void
expect_ok(const char *s, int kind)
{
    ce_envelope_t env;
    int got = scan(s, &env);
    if (got != 0 || env.kind != kind)
        ck_abort_msg("scan of %.200s gave %d kind %d \"%s\"", s, got,
                     env.kind, env.reason);
    ce_envelope_destroy(&env);
}

/* SMALL with member name replaced by value_json (NULL: removed). */
static char *
small_with(const char *name, const char *value_json)
{
    cJSON *ev = cJSON_Parse(SMALL);
    cJSON_DeleteItemFromObjectCaseSensitive(ev, name);
    if (value_json != NULL)
        cJSON_AddItemToObject(ev, name, cJSON_Parse(value_json));
    char *s = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return s;
}

/* SMALL plus a member given as raw text (a repeated member wins). */
static char *
small_raw_member(const char *name, const char *raw)
{
    size_t n = strlen(SMALL) + strlen(name) + strlen(raw) + 8;
    char *s = malloc(n);
    snprintf(s, n, "%.*s,\"%s\":%s}", (int)strlen(SMALL) - 1, SMALL, name,
             raw);
    return s;
}

static const struct {
    const char *type;
    int kind;
} fixture_kinds[] = {
    {"com.wasmcloud.lattice.component_scaled", CE_KIND_COMPONENT_SCALED},
    {"com.wasmcloud.lattice.component_scale_failed",
     CE_KIND_COMPONENT_SCALE_FAILED},
    {"com.wasmcloud.lattice.provider_started", CE_KIND_PROVIDER_STARTED},
    {"com.wasmcloud.lattice.health_check_passed",
     CE_KIND_HEALTH_CHECK_PASSED},
    {"com.wasmcloud.lattice.health_check_failed",
     CE_KIND_HEALTH_CHECK_FAILED},
    {"com.wasmcloud.lattice.health_check_status",
     CE_KIND_HEALTH_CHECK_STATUS},
    {"com.wasmcloud.lattice.host_heartbeat", CE_KIND_HOST_HEARTBEAT},
    {"com.wasmcloud.lattice.linkdef_set", CE_KIND_LINKDEF_SET},
    {"com.wasmcloud.lattice.linkdef_deleted", CE_KIND_LINKDEF_DELETED},
    {"com.wasmcloud.lattice.config_set", CE_KIND_CONFIG_SET},
    {"com.wasmcloud.lattice.config_deleted", CE_KIND_CONFIG_DELETED},
    {"com.wasmcloud.lattice.provider_stopped", CE_KIND_PROVIDER_STOPPED},
    {"com.wasmcloud.lattice.host_stopped", CE_KIND_HOST_STOPPED},
    {"com.wasmcloud.lattice.host_started", CE_KIND_HOST_STARTED},
    {"com.wasmcloud.lattice.provider_start_failed",
     CE_KIND_PROVIDER_START_FAILED},
    {"com.wadm.manifest_published", CE_KIND_MANIFEST_PUBLISHED},
    {"com.wadm.manifest_unpublished", CE_KIND_MANIFEST_UNPUBLISHED},
};

/* Scans one fixture element printed by print(); checks kind, source, data. */
static void
check_fixture(const cJSON *ev, size_t i, char *(*print)(const cJSON *))
{
    char *text = print(ev);
    ce_envelope_t env;
    int rc = scan(text, &env);
    ck_assert_msg(rc == 0, "event %zu: %s", i, env.reason);
    ck_assert_int_eq(env.kind, fixture_kinds[i].kind);
    ck_assert_str_eq(env.type, fixture_kinds[i].type);
    ck_assert_str_eq(env.source,
                     cJSON_GetObjectItem(ev, "source")->valuestring);
    ck_assert_uint_eq(env.source_len, strlen(env.source));
    ck_assert_str_eq(env.specversion, "1.0");
    ck_assert_str_eq(env.datacontenttype, "application/json");
    ck_assert_str_eq(env.id, cJSON_GetObjectItem(ev, "id")->valuestring);
    ck_assert_ptr_nonnull(env.time);
    cJSON *data = cJSON_ParseWithLength(env.data, env.data_len);
    ck_assert_ptr_nonnull(data);
    ck_assert(cJSON_Compare(data, cJSON_GetObjectItem(ev, "data"), 1));
    cJSON_Delete(data);
    ce_envelope_destroy(&env);
    free(text);
}

static char *
print_compact(const cJSON *ev)
{
    return cJSON_PrintUnformatted(ev);
}

static char *
print_pretty(const cJSON *ev)
{
    return cJSON_Print(ev);
}

START_TEST(test_ce_every_fixture_event_scans_with_its_kind_and_source)
{
    cJSON *arr = test_events_load();
    if (arr == NULL) {
        test_skip("ce fixtures: manifests/events.json not found");
        return;
    }
    ck_assert_int_eq(cJSON_GetArraySize(arr), 17);
    size_t i = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, arr)
    {
        check_fixture(ev, i, print_compact);
        check_fixture(ev, i, print_pretty);
        i++;
    }
    cJSON_Delete(arr);
}
END_TEST

START_TEST(test_ce_fixture_file_bytes_scan_in_place)
{
    /* the elements as they are in the file, spans taken from the raw text */
    const char *path = test_fixture_path("manifests/events.json");
    if (path == NULL) {
        test_skip("ce fixtures: manifests/events.json not found");
        return;
    }
    size_t len;
    char *text = test_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    size_t count = 0;
    int depth = 0;
    const char *start = NULL;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{') {
            if (depth++ == 0)
                start = &text[i];
        } else if (c == '}' && --depth == 0) {
            ce_envelope_t env;
            size_t n = (size_t)(&text[i] - start) + 1;
            ck_assert_msg(ce_scan(start, n, &env) == 0, "element %zu: %s",
                          count, env.reason);
            ck_assert_int_eq(env.kind, fixture_kinds[count].kind);
            ck_assert(env.data > start && env.data + env.data_len <= start + n);
            ce_envelope_destroy(&env);
            count++;
        }
    }
    ck_assert_uint_eq(count, 17);
    free(text);
}
END_TEST

START_TEST(test_ce_each_required_attribute_missing_is_rejected)
{
    static const char *const required[] = {"specversion", "id", "type",
                                           "source"};
    for (size_t i = 0; i < 4; i++) {
        char *s = small_with(required[i], NULL);
        char why[64];
        snprintf(why, sizeof(why), "missing attribute \"%s\"", required[i]);
        expect_fail(s, ERR_PROTO, why);
        free(s);
        /* null counts as absent */
        s = small_with(required[i], "null");
        expect_fail(s, ERR_PROTO, why);
        free(s);
        s = small_with(required[i], "42");
        expect_fail(s, ERR_PROTO, "is not a string");
        free(s);
    }
}
END_TEST

START_TEST(test_ce_optional_attributes_may_be_absent_or_null)
{
    static const char *const optional[] = {"time", "datacontenttype",
                                           "subject", "dataschema"};
    for (size_t i = 0; i < 4; i++) {
        char *s = small_with(optional[i], NULL);
        expect_ok(s, CE_KIND_CONFIG_SET);
        free(s);
        s = small_with(optional[i], "null");
        expect_ok(s, CE_KIND_CONFIG_SET);
        free(s);
        s = small_with(optional[i], "true");
        expect_fail(s, ERR_PROTO, "is not a string");
        free(s);
    }
    ce_envelope_t env;
    char *s = small_with("time", NULL);
    ck_assert_int_eq(scan(s, &env), 0);
    ck_assert_ptr_null(env.time);
    ce_envelope_destroy(&env);
    free(s);
}
END_TEST

START_TEST(test_ce_specversion_other_than_1_0_is_rejected)
{
    char *s = small_with("specversion", "\"0.3\"");
    expect_fail(s, ERR_PROTO, "unsupported specversion \"0.3\"");
    free(s);
    s = small_with("specversion", "\"1.00\"");
    expect_fail(s, ERR_PROTO, "unsupported specversion");
    free(s);
}
END_TEST

START_TEST(test_ce_time_must_be_rfc3339)
{
    char *s = small_with("time", "\"yesterday\"");
    expect_fail(s, ERR_PROTO, "\"time\" is not an RFC 3339");
    free(s);
    s = small_with("time", "\"2024-01-22T20:13:22+01:00\"");
    expect_ok(s, CE_KIND_CONFIG_SET);
    free(s);
    s = small_with("dataschema", "\"no scheme\"");
    expect_fail(s, ERR_PROTO, "\"dataschema\" is not an absolute URL");
    free(s);
    s = small_with("dataschema", "\"https://example.com/s.json\"");
    expect_ok(s, CE_KIND_CONFIG_SET);
    free(s);
}
END_TEST

START_TEST(test_ce_json_content_types_are_recognised)
{
    static const char *const json_types[] = {
        "\"application/json\"", "\"application/json; charset=utf-8\"",
        "\"text/json\"", "\"application/cloudevents+json\"",
    };
    for (size_t i = 0; i < 4; i++) {
        char *s = small_with("datacontenttype", json_types[i]);
        expect_ok(s, CE_KIND_CONFIG_SET);
        free(s);
    }
    char *s = small_with("datacontenttype", "\"text/plain\"");
    expect_fail(s, ERR_PROTO, "data of a non-JSON content type is not a "
                              "string");
    free(s);
}
END_TEST

START_TEST(test_ce_non_json_content_type_drops_a_handled_event)
{
    const char *ev =
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"N\",\"type\":"
        "\"com.wasmcloud.lattice.config_set\",\"datacontenttype\":"
        "\"text/plain\",\"data\":\"{\\\"config_name\\\":\\\"c\\\"}\"}";
    expect_fail(ev, ERR_PROTO, "datacontenttype \"text/plain\" is not JSON");
    /* the same envelope of a type wadm ignores is a valid CloudEvent */
    const char *other =
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"N\",\"type\":"
        "\"com.example.other\",\"datacontenttype\":\"text/plain\","
        "\"data\":\"hello\"}";
    expect_ok(other, CE_KIND_UNKNOWN);
}
END_TEST

START_TEST(test_ce_data_must_be_present_and_an_object)
{
    char *s = small_with("data", NULL);
    expect_fail(s, ERR_PROTO, "missing data");
    free(s);
    static const char *const bad[] = {"null", "[1]", "\"x\"", "3", "true"};
    for (size_t i = 0; i < 5; i++) {
        s = small_with("data", bad[i]);
        expect_fail(s, ERR_PROTO, "data is not a JSON object");
        free(s);
    }
    /* an unknown type needs no data */
    s = small_with("data", NULL);
    cJSON *ev = cJSON_Parse(s);
    cJSON_ReplaceItemInObject(ev, "type",
                              cJSON_CreateString("com.example.thing"));
    char *t = cJSON_PrintUnformatted(ev);
    ce_envelope_t env;
    ck_assert_int_eq(scan(t, &env), 0);
    ck_assert_int_eq(env.kind, CE_KIND_UNKNOWN);
    ck_assert_ptr_null(env.data);
    ce_envelope_destroy(&env);
    free(t);
    cJSON_Delete(ev);
    free(s);
}
END_TEST

START_TEST(test_ce_data_base64_carries_json)
{
    /* {"config_name":"c"} */
    char *s = small_with("data", NULL);
    cJSON *ev = cJSON_Parse(s);
    cJSON_AddStringToObject(ev, "data_base64",
                            "eyJjb25maWdfbmFtZSI6ImMifQ==");
    char *t = cJSON_PrintUnformatted(ev);
    ce_envelope_t env;
    ck_assert_int_eq(scan(t, &env), 0);
    ck_assert(env.is_data_base64);
    ck_assert_uint_eq(env.data_len, strlen("{\"config_name\":\"c\"}"));
    ck_assert(memcmp(env.data, "{\"config_name\":\"c\"}", env.data_len) == 0);
    ce_envelope_destroy(&env);
    free(t);
    /* with a non-JSON content type the bytes are still parsed as JSON */
    cJSON_ReplaceItemInObject(ev, "datacontenttype",
                              cJSON_CreateString("application/octet-stream"));
    t = cJSON_PrintUnformatted(ev);
    expect_ok(t, CE_KIND_CONFIG_SET);
    free(t);
    static const struct {
        const char *b64;
        const char *why;
    } bad[] = {
        {"eyJjb25maWdfbmFtZSI6ImMifQ", "not valid base64"},  /* no padding */
        {"eyJjb25maWdfbmFtZSI6ImMifR==", "not valid base64"}, /* bits */
        {"e$Jj", "not valid base64"},
        {"bm90IGpzb24=", "data_base64 is not JSON"}, /* "not json" */
        {"WzFd", "data is not a JSON object"},        /* [1] */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON_ReplaceItemInObject(ev, "data_base64",
                                  cJSON_CreateString(bad[i].b64));
        t = cJSON_PrintUnformatted(ev);
        expect_fail(t, ERR_PROTO, bad[i].why);
        free(t);
    }
    cJSON_ReplaceItemInObject(ev, "data_base64", cJSON_CreateNumber(1));
    t = cJSON_PrintUnformatted(ev);
    expect_fail(t, ERR_PROTO, "data_base64 is not a string");
    free(t);
    cJSON_Delete(ev);
    free(s);
    s = small_with("data_base64", "\"e30=\"");
    expect_fail(s, ERR_PROTO, "both data and data_base64");
    free(s);
}
END_TEST

START_TEST(test_ce_ignored_and_unknown_types_scan_without_error)
{
    char *s = small_with("type", "\"com.wasmcloud.lattice.labels_changed\"");
    expect_ok(s, CE_KIND_IGNORED);
    free(s);
    s = small_with("type", "\"com.wasmcloud.lattice.linkdef_set_failed\"");
    expect_ok(s, CE_KIND_IGNORED);
    free(s);
    s = small_with("type", "\"com.wasmcloud.lattice.refmap_set\"");
    expect_ok(s, CE_KIND_UNKNOWN);
    free(s);
}
END_TEST

START_TEST(test_ce_kind_names_and_types_round_trip)
{
    for (int k = 0; k < CE_KIND_COUNT; k++) {
        ck_assert_str_ne(ce_kind_name(k), "invalid");
        const char *type = ce_kind_type(k);
        if (k <= CE_KIND_IGNORED) {
            ck_assert_ptr_null(type);
            continue;
        }
        ck_assert_int_eq(ce_kind_from_type(type), k);
        /* the name is the last dotted token of the type */
        ck_assert_str_eq(strrchr(type, '.') + 1, ce_kind_name(k));
    }
    ck_assert_str_eq(ce_kind_name(CE_KIND_COUNT), "invalid");
    ck_assert_str_eq(ce_kind_name(-1), "invalid");
    ck_assert_int_eq(ce_kind_from_type(""), CE_KIND_UNKNOWN);
    ck_assert_int_eq(ce_kind_from_type("com.wasmcloud.lattice.host_"),
                     CE_KIND_UNKNOWN);
    ck_assert(ce_kind_is_host_sourced(CE_KIND_HOST_HEARTBEAT));
    ck_assert(ce_kind_is_host_sourced(CE_KIND_PROVIDER_STOPPED));
    ck_assert(!ce_kind_is_host_sourced(CE_KIND_HEALTH_CHECK_PASSED));
    ck_assert(!ce_kind_is_host_sourced(CE_KIND_CONFIG_SET));
}
END_TEST

START_TEST(test_ce_escaped_attributes_are_unescaped)
{
    const char *ev =
        "{\"specversion\":\"1.0\",\"id\":\"\\u0031\",\"\\u0074ype\":"
        "\"com.wasmcloud.lattice.config_set\",\"source\":"
        "\"N\\u0041\\/B\\\\C\\n\\ud83d\\ude00\\u00e9\","
        "\"data\":{\"config_name\":\"c\"}}";
    ce_envelope_t env;
    ck_assert_int_eq(scan(ev, &env), 0);
    ck_assert_int_eq(env.kind, CE_KIND_CONFIG_SET);
    ck_assert_str_eq(env.id, "1");
    ck_assert_str_eq(env.source, "NA/B\\C\n\xF0\x9F\x98\x80\xC3\xA9");
    ck_assert_uint_eq(env.source_len, strlen(env.source));
    ce_envelope_destroy(&env);
}
END_TEST

START_TEST(test_ce_long_attributes_spill_to_the_heap)
{
    size_t n = 100000;
    char *src = malloc(n + 3);
    src[0] = '"';
    memset(src + 1, 'N', n);
    src[n + 1] = '"';
    src[n + 2] = '\0';
    char *s = small_with("source", src);
    ce_envelope_t env;
    ck_assert_int_eq(scan(s, &env), 0);
    ck_assert_uint_eq(env.source_len, n);
    ck_assert_ptr_nonnull(env.heap_strings);
    ce_envelope_destroy(&env);
    ce_envelope_destroy(&env); /* twice is harmless */
    free(s);
    free(src);
}
END_TEST

START_TEST(test_ce_nul_in_an_attribute_is_rejected)
{
    char *s = small_raw_member("source", "\"N\\u0000X\"");
    expect_fail(s, ERR_PROTO, "attribute \"source\" contains NUL");
    free(s);
}
END_TEST

START_TEST(test_ce_repeated_attribute_takes_the_last_value)
{
    const char *ev =
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"x.y\","
        "\"source\":\"A\",\"source\":\"B\",\"type\":"
        "\"com.wasmcloud.lattice.config_set\",\"data\":{\"config_name\":1},"
        "\"data\":{\"config_name\":\"c\"}}";
    ce_envelope_t env;
    ck_assert_int_eq(scan(ev, &env), 0);
    ck_assert_str_eq(env.source, "B");
    ck_assert_int_eq(env.kind, CE_KIND_CONFIG_SET);
    ck_assert(strncmp(env.data, "{\"config_name\":\"c\"}", env.data_len) ==
              0);
    ce_envelope_destroy(&env);
}
END_TEST

START_TEST(test_ce_extension_attributes_must_be_scalars)
{
    static const char *const ok[] = {"\"x\"", "true", "false", "null", "12",
                                     "-9223372036854775808",
                                     "9223372036854775807"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *s = small_raw_member("traceparent", ok[i]);
        expect_ok(s, CE_KIND_CONFIG_SET);
        free(s);
    }
    static const char *const bad[] = {"{}", "[\"a\"]", "1.5", "1e3",
                                      "9223372036854775808",
                                      "-9223372036854775809"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *s = small_raw_member("traceparent", bad[i]);
        expect_fail(s, ERR_PROTO, "extension attribute \"traceparent\"");
        free(s);
    }
}
END_TEST

START_TEST(test_ce_not_an_object_is_rejected)
{
    expect_fail("", ERR_PROTO, "empty payload");
    expect_fail("   \n", ERR_PROTO, "empty payload");
    expect_fail("[]", ERR_PROTO, "not a JSON object");
    expect_fail("\"event\"", ERR_PROTO, "not a JSON object");
    expect_fail("\xEF\xBB\xBF{}", ERR_PROTO, "not a JSON object"); /* BOM */
    expect_fail("{}", ERR_PROTO, "missing attribute");
    expect_fail(SMALL " {}", ERR_PROTO, "trailing data after the event");
    expect_ok(" \t\r\n" SMALL " \n", CE_KIND_CONFIG_SET);
    ce_envelope_t env;
    ck_assert_int_eq(ce_scan(NULL, 0, &env), ERR_PROTO);
    ce_envelope_destroy(&env);
}
END_TEST

START_TEST(test_ce_every_truncation_fails_cleanly)
{
    char *text = test_event_text("com.wasmcloud.lattice.host_heartbeat");
    if (text == NULL)
        text = strdup(SMALL);
    size_t len = strlen(text);
    for (size_t n = 0; n < len; n++) {
        ce_envelope_t env;
        /* a copy of exactly n bytes, so a read past it is caught by ASan */
        char *cut = malloc(n ? n : 1);
        memcpy(cut, text, n);
        ck_assert_int_eq(ce_scan(cut, n, &env), ERR_PROTO);
        ck_assert(env.reason[0] != '\0');
        ce_envelope_destroy(&env);
        free(cut);
    }
    free(text);
}
END_TEST

START_TEST(test_ce_malformed_json_inside_data_is_rejected)
{
    static const struct {
        const char *data;
        const char *why;
    } bad[] = {
        {"{\"a\":[1,2}", "expected ',' or ']'"},
        {"{\"a\":\"\\x\"}", "invalid escape"},
        {"{\"a\":\"\\u12g4\"}", "invalid \\u escape"},
        {"{\"a\":\"\\ud800\"}", "lone surrogate"},
        {"{\"a\":\"\\udc00\"}", "lone surrogate"},
        {"{\"a\":\"\\ud800\\u0041\"}", "lone surrogate"},
        {"{\"a\":\"tab\there\"}", "control character"},
        {"{\"a\":\"\xFF\"}", "invalid UTF-8"},
        {"{\"a\":\"\xC0\xAF\"}", "invalid UTF-8"},
        {"{\"a\":\"\xED\xA0\x80\"}", "invalid UTF-8"},
        {"{\"a\":\"\xF4\x90\x80\x80\"}", "invalid UTF-8"},
        {"{\"a\":\"\xE2\x82\"}", "invalid UTF-8"},
        {"{\"a\":01}", "expected ',' or '}'"},
        {"{\"a\":1.}", "invalid number"},
        {"{\"a\":-}", "invalid number"},
        {"{\"a\":1e}", "invalid number"},
        {"{\"a\":+1}", "unexpected character '+'"},
        {"{\"a\":[1,]}", "unexpected character ']'"},
        {"{\"a\" 1}", "expected ':'"},
        {"{\"a\":tru}", "invalid literal"},
        {"{\"a\":nul}", "invalid literal"},
        {"{\"a\":1,}", "expected a member name"},
        {"{1:2}", "expected a member name"},
        {"{\"a\":'x'}", "unexpected character"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *s = with_raw_data(bad[i].data);
        expect_fail(s, ERR_PROTO, bad[i].why);
        free(s);
    }
    /* the same characters are fine where JSON allows them */
    char *s = with_raw_data("{\"a\":[1,-0.5e+3,0,true,false,null,{},[]],"
                            "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\":"
                            "\"\\ud83d\\ude00\\\"\\/\\b\\f\\n\\r\\t\"}");
    expect_ok(s, CE_KIND_CONFIG_SET);
    free(s);
}
END_TEST

/*
 * The string scan steps over plain bytes 16 and 8 at a time: a special
 * byte is found wherever it falls in a long string, at each offset of a
 * 16-byte block, of the 8-byte steps and of the tail after them.
 */
START_TEST(test_ce_special_bytes_are_found_at_every_offset)
{
    enum { LEN = 48 };
    static const struct {
        const char *bytes;
        const char *why; /* NULL: valid */
        const char *unescaped;
    } cases[] = {
        {"\t", "control character", NULL},
        {"\x01", "control character", NULL},
        {"\xFF", "invalid UTF-8", NULL},
        {"\x80", "invalid UTF-8", NULL},
        {"\xC3", "invalid UTF-8", NULL},
        {"\\x", "invalid escape", NULL},
        {"\xC3\xA9", NULL, "\xC3\xA9"},
        {"\\\"", NULL, "\""},
        {"\\u0041", NULL, "A"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        for (int off = 0; off <= LEN; off++) {
            char src[2 * LEN + 16], want[2 * LEN + 16];
            snprintf(src, sizeof(src), "%.*s%s%.*s", off, TEST_AS,
                     cases[c].bytes, LEN - off, TEST_AS);
            char *ev = small_with("source", "\"x\"");
            char *at = strstr(ev, "\"x\"");
            ck_assert_ptr_nonnull(at);
            size_t n = strlen(ev) + sizeof(src);
            char *doc = malloc(n);
            snprintf(doc, n, "%.*s\"%s\"%s", (int)(at - ev), ev, src, at + 3);
            free(ev);
            if (cases[c].why != NULL) {
                expect_fail(doc, ERR_PROTO, cases[c].why);
            } else {
                ce_envelope_t env;
                ck_assert_int_eq(scan(doc, &env), 0);
                snprintf(want, sizeof(want), "%.*s%s%.*s", off, TEST_AS,
                         cases[c].unescaped, LEN - off, TEST_AS);
                ck_assert_str_eq(env.source, want);
                ce_envelope_destroy(&env);
            }
            free(doc);
        }
}
END_TEST

START_TEST(test_ce_nesting_is_capped_at_upstreams_depth)
{
    /* envelope (1) + data object (2) + k arrays: 127 levels are allowed */
    for (int k = 124; k <= 127; k++) {
        size_t n = 16 + 2 * (size_t)k;
        char *data = malloc(n);
        char *p = data;
        p += sprintf(p, "{\"a\":");
        for (int i = 0; i < k; i++)
            *p++ = '[';
        for (int i = 0; i < k; i++)
            *p++ = ']';
        strcpy(p, "}");
        char *s = with_raw_data(data);
        if (k <= 125)
            expect_ok(s, CE_KIND_CONFIG_SET);
        else
            expect_fail(s, ERR_TOOBIG, "nesting deeper than 127");
        free(s);
        free(data);
    }
}
END_TEST

START_TEST(test_ce_hostile_nesting_fails_without_recursion)
{
    size_t n = 1000000;
    char *data = malloc(n + 8);
    memset(data, '[', n);
    strcpy(data + n, "]");
    char *s = with_raw_data(data);
    expect_fail(s, ERR_TOOBIG, "nesting deeper");
    free(s);
    memset(data, '{', n);
    strcpy(data + n, "}");
    s = with_raw_data(data);
    expect_fail(s, ERR_PROTO, "expected a member name");
    free(s);
    free(data);
}
END_TEST

START_TEST(test_ce_huge_payloads_scan_in_linear_time)
{
    /* a 16 MiB string and a 1M-element array in data */
    size_t n = 16u << 20;
    char *data = malloc(n + 64);
    char *p = data;
    p += sprintf(p, "{\"s\":\"");
    memset(p, 'x', n);
    p += n;
    strcpy(p, "\"}");
    char *s = with_raw_data(data);
    uint64_t t0 = test_now_ms();
    expect_ok(s, CE_KIND_CONFIG_SET);
    free(s);
    p = data;
    p += sprintf(p, "{\"a\":[");
    for (int i = 0; i < 1000000; i++)
        p += sprintf(p, i ? ",%d" : "%d", i % 10);
    strcpy(p, "]}");
    s = with_raw_data(data);
    expect_ok(s, CE_KIND_CONFIG_SET);
    free(s);
    free(data);
    ck_assert_uint_lt(test_now_ms() - t0, 5000);
}
END_TEST

START_TEST(test_ce_garbage_never_crashes)
{
    /* deterministic xorshift bytes, biased towards JSON punctuation */
    static const char alphabet[] = "{}[]\":,\\ \n0123456789-+.eEtrufalsn"
                                   "\x80\xC3\xFFu";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char buf[512];
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % (int)sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (x & 1) ? (char)(x >> 8)
                             : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
        }
        ce_envelope_t env;
        int rc = ce_scan(buf, len, &env);
        ck_assert(rc == 0 || rc == ERR_PROTO || rc == ERR_TOOBIG);
        ck_assert(rc != 0 || env.kind >= 0);
        ce_envelope_destroy(&env);
    }
}
END_TEST

START_TEST(test_ce_object_members_finds_top_level_spans)
{
    static const char *const names[] = {"a", "b", "c", "x"};
    size_t off[4], vlen[4];
    const char *j = "{ \"x\" : {\"a\":1}, \"a\":\"s\\\"q\" ,\"\\u0062\": "
                    "-1.5e3,\"c\":[1,{\"b\":2}]}";
    ck_assert_int_eq(ce_object_members(j, strlen(j), names, 4, off, vlen), 0);
    ck_assert_int_eq((int)vlen[0], 6); /* "s\"q" with its quotes */
    ck_assert(strncmp(j + off[0], "\"s\\\"q\"", vlen[0]) == 0);
    ck_assert(strncmp(j + off[1], "-1.5e3", vlen[1]) == 0);
    ck_assert(strncmp(j + off[2], "[1,{\"b\":2}]", vlen[2]) == 0);
    ck_assert(strncmp(j + off[3], "{\"a\":1}", vlen[3]) == 0);
    const char *absent = "{\"y\":{\"a\":1}}";
    ck_assert_int_eq(ce_object_members(absent, strlen(absent), names, 4, off,
                                       vlen),
                     0);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(vlen[i], 0);
    static const char *const bad[] = {"[]", "{\"a\":}", "{\"a\":1", "{} x",
                                      "{\"a\":1,}", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_ne(ce_object_members(bad[i], strlen(bad[i]), names, 4,
                                           off, vlen),
                         0);
}
END_TEST

Suite *
ce_suite(void)
{
    Suite *s = suite_create("ce");
    TCase *tc = tcase_create("envelope");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc,
                   test_ce_every_fixture_event_scans_with_its_kind_and_source);
    tcase_add_test(tc, test_ce_fixture_file_bytes_scan_in_place);
    tcase_add_test(tc, test_ce_each_required_attribute_missing_is_rejected);
    tcase_add_test(tc, test_ce_optional_attributes_may_be_absent_or_null);
    tcase_add_test(tc, test_ce_specversion_other_than_1_0_is_rejected);
    tcase_add_test(tc, test_ce_time_must_be_rfc3339);
    tcase_add_test(tc, test_ce_json_content_types_are_recognised);
    tcase_add_test(tc, test_ce_non_json_content_type_drops_a_handled_event);
    tcase_add_test(tc, test_ce_data_must_be_present_and_an_object);
    tcase_add_test(tc, test_ce_data_base64_carries_json);
    tcase_add_test(tc, test_ce_ignored_and_unknown_types_scan_without_error);
    tcase_add_test(tc, test_ce_kind_names_and_types_round_trip);
    tcase_add_test(tc, test_ce_escaped_attributes_are_unescaped);
    tcase_add_test(tc, test_ce_long_attributes_spill_to_the_heap);
    tcase_add_test(tc, test_ce_nul_in_an_attribute_is_rejected);
    tcase_add_test(tc, test_ce_repeated_attribute_takes_the_last_value);
    tcase_add_test(tc, test_ce_extension_attributes_must_be_scalars);
    suite_add_tcase(s, tc);
    TCase *bad = tcase_create("malformed");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, test_ce_not_an_object_is_rejected);
    tcase_add_test(bad, test_ce_every_truncation_fails_cleanly);
    tcase_add_test(bad, test_ce_malformed_json_inside_data_is_rejected);
    tcase_add_test(bad, test_ce_special_bytes_are_found_at_every_offset);
    tcase_add_test(bad, test_ce_nesting_is_capped_at_upstreams_depth);
    tcase_add_test(bad, test_ce_hostile_nesting_fails_without_recursion);
    tcase_add_test(bad, test_ce_huge_payloads_scan_in_linear_time);
    tcase_add_test(bad, test_ce_garbage_never_crashes);
    tcase_add_test(bad, test_ce_object_members_finds_top_level_spans);
    suite_add_tcase(s, bad);
    return s;
}
