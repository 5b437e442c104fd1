/*
 * check_rec_state_json.c - the wadm_state records (spec/storage.md 2.5):
 * golden output for each record, reading upstream-style records with
 * their aliases and defaults, malformed records refused with a message,
 * and state -> JSON -> state round trips.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ce.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_json.h"

#define HOST "NCBAWBHRT6JNSQIYQEURM3AQZ74I6HTQRRCFMTVPC3OAX4BUTCNTYADZ"
#define ISSUER "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW"
#define SEEN 1705954402611283ull /* 2024-01-22T20:13:22.611283Z */
#define HTTP_REF "ghcr.io/wasmcloud/http-server:0.23.0"
#define HELLO_REF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"
#define ANN                                                                   \
    "{\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/appspec\":"       \
    "\"hello-simple\"}"
/* the same annotations as stored: keys in order */
#define ANN_SORTED                                                            \
    "{\"wasmcloud.dev/appspec\":\"hello-simple\",\"wasmcloud.dev/managed-by"  \
    "\":\"wadm\"}"

static void
apply(rec_state_t *st, int kind, const char *host, const char *data,
      uint64_t now, const rec_claims_t *claims)
{
    rec_event_t ev;
    char *err = NULL;
    int rc = rec_event_decode(kind, data, strlen(data), host, &ev, &err);
    if (rc != 0)
        ck_abort_msg("decode %s: %s", ce_kind_name(kind), err);
    if (kind == CE_KIND_HOST_HEARTBEAT)
        ev.u.heartbeat.claims = claims;
    ck_assert_int_eq(rec_state_apply(st, &ev, now, NULL), 0);
    rec_event_destroy(&ev);
}

/* The state of the storage.md examples, built from events. */
static void
build_example(rec_state_t *st)
{
    rec_claim_t items[] = {{"http_hello_world", "Hello World", ISSUER}};
    rec_claims_t claims = {items, 1};
    rec_state_init(st);
    apply(st, CE_KIND_HOST_HEARTBEAT, HOST,
          "{\"components\":[{\"id\":\"http_hello_world\",\"image_ref\":\""
          HELLO_REF "\",\"annotations\":" ANN ",\"max_instances\":4}],"
          "\"providers\":[{\"id\":\"http_server\",\"image_ref\":\"" HTTP_REF
          "\",\"name\":\"HTTP Server\",\"annotations\":" ANN "}],"
          "\"friendly_name\":\"purple-sun-1234\",\"labels\":{\"region\":"
          "\"moon\",\"hostcore.os\":\"linux\"},\"version\":\"1.2.1\","
          "\"uptime_human\":\"2m\",\"uptime_seconds\":120}",
          SEEN, &claims);
    apply(st, CE_KIND_PROVIDER_STARTED, HOST,
          "{\"annotations\":" ANN ",\"image_ref\":\"" HTTP_REF "\","
          "\"provider_id\":\"http_server\",\"claims\":{\"issuer\":\"" ISSUER
          "\",\"name\":\"HTTP Server\"}}",
          SEEN, NULL);
    char *hc = xasprintf("{\"provider_id\":\"http_server\",\"host_id\":\"%s\"}",
                         HOST);
    apply(st, CE_KIND_HEALTH_CHECK_PASSED, "x", hc, SEEN, NULL);
    free(hc);
}

START_TEST(test_rec_state_json_host_record_is_golden)
{
    rec_state_t st;
    build_example(&st);
    size_t len;
    char *json = rec_state_json_hosts_encode(&st, &len);
    ck_assert_str_eq(
        json,
        "{\"" HOST "\":{\"components\":{\"http_hello_world\":4},"
        "\"friendly_name\":\"purple-sun-1234\",\"labels\":{\"hostcore.os\":"
        "\"linux\",\"region\":\"moon\"},\"providers\":[{\"provider_id\":"
        "\"http_server\",\"provider_ref\":\"" HTTP_REF "\",\"annotations\":"
        ANN_SORTED "}],\"uptime_seconds\":120,\"version\":\"1.2.1\",\"id\":\""
        HOST "\",\"last_seen\":\"2024-01-22T20:13:22.611283Z\"}}");
    ck_assert_uint_eq(len, strlen(json));
    free(json);
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_component_record_is_golden)
{
    rec_state_t st;
    build_example(&st);
    char *json = rec_state_json_components_encode(&st, NULL);
    ck_assert_str_eq(json, "{\"http_hello_world\":{\"id\":\"http_hello_world\""
                           ",\"name\":\"Hello World\",\"issuer\":\"" ISSUER
                           "\",\"instances\":{\"" HOST "\":[{\"annotations\":"
                           ANN_SORTED ",\"count\":4}]},\"reference\":\""
                           HELLO_REF "\"}}");
    free(json);
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_provider_record_is_golden)
{
    rec_state_t st;
    build_example(&st);
    char *json = rec_state_json_providers_encode(&st, NULL);
    ck_assert_str_eq(json, "{\"http_server\":{\"id\":\"http_server\",\"name\":"
                           "\"HTTP Server\",\"issuer\":\"" ISSUER "\","
                           "\"reference\":\"" HTTP_REF "\",\"hosts\":{\""
                           HOST "\":\"Running\"}}}");
    free(json);
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_new_host_has_null_version_and_escapes)
{
    rec_state_t st;
    rec_state_init(&st);
    apply(&st, CE_KIND_HOST_STARTED, "N2",
          "{\"labels\":{},\"friendly_name\":\"q\\\"b\\\\n\\n\\u0001\\u00e9\"}",
          0, NULL);
    char *json = rec_state_json_hosts_encode(&st, NULL);
    ck_assert_str_eq(json, "{\"N2\":{\"components\":{},\"friendly_name\":"
                           "\"q\\\"b\\\\n\\n\\u0001\xC3\xA9\",\"labels\":{},"
                           "\"providers\":[],\"uptime_seconds\":0,"
                           "\"version\":null,\"id\":\"N2\",\"last_seen\":"
                           "\"1970-01-01T00:00:00.000000Z\"}}");
    free(json);
    rec_state_destroy(&st);
    rec_state_init(&st);
    json = rec_state_json_components_encode(&st, NULL);
    ck_assert_str_eq(json, "{}");
    free(json);
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_keys_name_kind_and_lattice)
{
    char *k = rec_state_json_key(REC_RECORD_HOST, "default");
    ck_assert_str_eq(k, "host_default");
    free(k);
    k = rec_state_json_key(REC_RECORD_COMPONENT, "prod");
    ck_assert_str_eq(k, "component_prod");
    free(k);
    k = rec_state_json_key(REC_RECORD_PROVIDER, "x");
    ck_assert_str_eq(k, "provider_x");
    free(k);
    ck_assert_ptr_null(rec_state_json_key(7, "x"));
}
END_TEST

/* The storage.md examples, as an upstream wadm would have stored them. */
static const char upstream_hosts[] =
    "{\"" HOST "\": {\n"
    "  \"actors\": {\"http_hello_world\": 4},\n"
    "  \"friendly_name\": \"purple-sun-1234\",\n"
    "  \"labels\": {\"hostcore.os\": \"linux\", \"region\": \"moon\"},\n"
    "  \"providers\": [\n"
    "    {\"public_key\": \"http_server\", \"provider_ref\": \"" HTTP_REF
    "\",\n     \"annotations\": {\"a\": \"b\"}},\n"
    "    {\"provider_id\": \"bare\"}\n"
    "  ],\n"
    "  \"uptime_seconds\": 120,\n"
    "  \"id\": \"" HOST "\",\n"
    "  \"last_seen\": \"2024-01-22T21:13:22.611283123+01:00\"\n"
    "}}";

START_TEST(test_rec_state_json_reads_upstream_records_with_aliases)
{
    rec_state_t st;
    rec_state_init(&st);
    char *err = NULL;
    ck_assert_int_eq(rec_state_json_hosts_decode(&st, upstream_hosts,
                                                 strlen(upstream_hosts), &err),
                     0);
    const rec_host_t *h = rec_state_host(&st, HOST);
    ck_assert_ptr_nonnull(h);
    uint64_t n;
    ck_assert(rec_host_component_count(h, "http_hello_world", &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(h->friendly_name, "purple-sun-1234");
    ck_assert_str_eq(rec_smap_get(&h->labels, "region"), "moon");
    const rec_host_provider_t *hp = rec_host_provider(h, "http_server");
    ck_assert_str_eq(hp->provider_ref, HTTP_REF);
    ck_assert_str_eq(rec_smap_get(&hp->annotations, "a"), "b");
    hp = rec_host_provider(h, "bare");
    ck_assert_str_eq(hp->provider_ref, "");
    ck_assert_uint_eq(hp->annotations.n, 0);
    ck_assert_ptr_null(h->version); /* absent means none */
    ck_assert_uint_eq(h->uptime_seconds, 120);
    ck_assert_uint_eq(h->last_seen_us, SEEN); /* nanoseconds truncated */
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_reads_the_spec_examples)
{
    const char *comps =
        "{\"http_hello_world\": {\"id\": \"http_hello_world\", \"name\": "
        "\"Hello World\", \"issuer\": \"" ISSUER "\", \"instances\": {\""
        HOST "\": [{\"annotations\": " ANN ", \"count\": 4}, "
        "{\"annotations\": {}, \"count\": 1}, {\"annotations\": {}, "
        "\"count\": 9}]}, \"reference\": \"" HELLO_REF "\"}}";
    const char *provs =
        "{\"http_server\": {\"id\": \"http_server\", \"name\": \"HTTP "
        "Server\", \"issuer\": \"" ISSUER "\", \"reference\": \"" HTTP_REF
        "\", \"hosts\": {\"" HOST "\": \"Running\", \"N2\": \"Pending\", "
        "\"N3\": \"Failed\"}}}";
    rec_state_t st;
    rec_state_init(&st);
    char *err = NULL;
    ck_assert_int_eq(
        rec_state_json_components_decode(&st, comps, strlen(comps), &err), 0);
    ck_assert_int_eq(
        rec_state_json_providers_decode(&st, provs, strlen(provs), &err), 0);
    const rec_component_t *c = rec_state_component(&st, "http_hello_world");
    ck_assert_str_eq(c->name, "Hello World");
    ck_assert_str_eq(c->reference, HELLO_REF);
    /* a set: the first entry with equal annotations stays */
    ck_assert_uint_eq(rec_component_count(c, HOST, NULL), 5);
    const rec_provider_t *p = rec_state_provider(&st, "http_server");
    ck_assert_int_eq(rec_provider_host_status(p, HOST), REC_PROVIDER_RUNNING);
    ck_assert_int_eq(rec_provider_host_status(p, "N2"), REC_PROVIDER_PENDING);
    ck_assert_int_eq(rec_provider_host_status(p, "N3"), REC_PROVIDER_FAILED);
    rec_state_destroy(&st);
}
END_TEST

static const struct {
    int record;
    const char *json;
    const char *why;
} malformed[] = {
    {REC_RECORD_HOST, "[]", "host records are not a JSON object"},
    {REC_RECORD_HOST, "{\"a\":", "host records are not valid JSON"},
    {REC_RECORD_HOST, "{\"N1\":3}", "host \"N1\": host is not an object"},
    {REC_RECORD_HOST,
     "{\"N1\":{\"friendly_name\":\"f\",\"labels\":{},\"providers\":[],"
     "\"uptime_seconds\":1,\"id\":\"N1\",\"last_seen\":\"2024-01-22T20:13:22Z"
     "\"}}",
     "host \"N1\": missing field \"components\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"actors\":{},\"friendly_name\":\"f\"}}",
     "duplicate field \"components\""},
    {REC_RECORD_HOST, "{\"N1\":{\"components\":{\"c\":\"4\"}}}",
     "components: field \"c\" is not a number"},
    {REC_RECORD_HOST, "{\"N1\":{\"components\":{}}}",
     "missing field \"friendly_name\""},
    {REC_RECORD_HOST, "{\"N1\":{\"components\":{},\"friendly_name\":\"f\"}}",
     "missing field \"labels\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{}}}",
     "missing field \"providers\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[{\"provider_ref\":\"r\"}]}}",
     "providers[0]: missing field \"provider_id\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[{\"provider_id\":\"a\",\"public_key\":\"b\"}]}}",
     "providers[0]: duplicate field \"provider_id\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[]}}",
     "missing field \"uptime_seconds\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[],\"uptime_seconds\":-1}}",
     "field \"uptime_seconds\" is not an integer"},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[],\"uptime_seconds\":1,\"version\":\"v1\"}}",
     "field \"version\" is not a semantic version"},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[],\"uptime_seconds\":1}}",
     "missing field \"id\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[],\"uptime_seconds\":1,\"id\":\"N1\"}}",
     "missing field \"last_seen\""},
    {REC_RECORD_HOST,
     "{\"N1\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
     "\"providers\":[],\"uptime_seconds\":1,\"id\":\"N1\",\"last_seen\":"
     "\"yesterday\"}}",
     "field \"last_seen\" is not an RFC 3339 timestamp"},
    {REC_RECORD_COMPONENT, "{\"c\":{}}", "component \"c\": missing field "
                                         "\"id\""},
    {REC_RECORD_COMPONENT,
     "{\"c\":{\"id\":\"c\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\"}}",
     "missing field \"instances\""},
    {REC_RECORD_COMPONENT,
     "{\"c\":{\"id\":\"c\",\"name\":1,\"issuer\":\"\",\"reference\":\"\","
     "\"instances\":{}}}",
     "field \"name\" is not a string"},
    {REC_RECORD_COMPONENT,
     "{\"c\":{\"id\":\"c\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"instances\":{\"N1\":{}}}}",
     "instances: host \"N1\" is not an array"},
    {REC_RECORD_COMPONENT,
     "{\"c\":{\"id\":\"c\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"instances\":{\"N1\":[{\"annotations\":{}}]}}}",
     "instances: host \"N1\"[0]: missing field \"count\""},
    {REC_RECORD_COMPONENT,
     "{\"c\":{\"id\":\"c\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"instances\":{\"N1\":[{\"count\":1}]}}}",
     "missing field \"annotations\""},
    {REC_RECORD_PROVIDER,
     "{\"p\":{\"id\":\"p\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\"}}",
     "provider \"p\": missing field \"hosts\""},
    {REC_RECORD_PROVIDER,
     "{\"p\":{\"id\":\"p\",\"name\":\"\",\"issuer\":\"\",\"hosts\":{}}}",
     "missing field \"reference\""},
    {REC_RECORD_PROVIDER,
     "{\"p\":{\"id\":\"p\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"hosts\":{\"N1\":\"running\"}}}",
     "hosts: status of \"N1\" is not"},
    {REC_RECORD_PROVIDER,
     "{\"p\":{\"id\":\"p\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"hosts\":{\"N1\":1}}}",
     "hosts: status of \"N1\" is not"},
    {REC_RECORD_PROVIDER,
     "{\"p\":{\"id\":\"p\",\"name\":\"\",\"issuer\":\"\",\"reference\":\"\","
     "\"hosts\":[]}}",
     "field \"hosts\" is not an object"},
};

static int
decode_record(rec_state_t *st, int record, const char *json, char **err)
{
    size_t len = strlen(json);
    switch (record) {
    case REC_RECORD_HOST:
        return rec_state_json_hosts_decode(st, json, len, err);
    case REC_RECORD_COMPONENT:
        return rec_state_json_components_decode(st, json, len, err);
    default:
        return rec_state_json_providers_decode(st, json, len, err);
    }
}

START_TEST(test_rec_state_json_malformed_records_are_refused_and_named)
{
    rec_state_t st;
    build_example(&st);
    char *before[3] = {rec_state_json_hosts_encode(&st, NULL),
                       rec_state_json_components_encode(&st, NULL),
                       rec_state_json_providers_encode(&st, NULL)};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        char *err = NULL;
        int rc = decode_record(&st, malformed[i].record, malformed[i].json,
                               &err);
        if (rc != ERR_PROTO || err == NULL ||
            strstr(err, malformed[i].why) == NULL)
            ck_abort_msg("%s gave %d \"%s\", want \"%s\"", malformed[i].json,
                         rc, err ? err : "", malformed[i].why);
        free(err);
    }
    /* nothing was half-loaded */
    char *after[3] = {rec_state_json_hosts_encode(&st, NULL),
                      rec_state_json_components_encode(&st, NULL),
                      rec_state_json_providers_encode(&st, NULL)};
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(before[i], after[i]);
        free(before[i]);
        free(after[i]);
    }
    rec_state_destroy(&st);
}
END_TEST

/* Encodes all three records of a into b (fresh) and returns the texts. */
static void
round_trip(const rec_state_t *a, rec_state_t *b, char *texts[3])
{
    texts[0] = rec_state_json_hosts_encode(a, NULL);
    texts[1] = rec_state_json_components_encode(a, NULL);
    texts[2] = rec_state_json_providers_encode(a, NULL);
    rec_state_init(b);
    for (int i = 0; i < 3; i++) {
        char *err = NULL;
        int rc = decode_record(b, i, texts[i], &err);
        ck_assert_msg(rc == 0, "%s: %s", texts[i], err);
    }
}

START_TEST(test_rec_state_json_state_round_trips_exactly)
{
    rec_state_t a;
    build_example(&a);
    apply(&a, CE_KIND_HOST_STARTED, "N\"2\\",
          "{\"labels\":{\"k\\n\":\"v\\u0000x\"},\"friendly_name\":\"\\u00e9\"}",
          SEEN + 1, NULL);
    apply(&a, CE_KIND_COMPONENT_SCALED, HOST,
          "{\"annotations\":{\"x\":\"1\"},\"image_ref\":\"r\",\"component_id\":"
          "\"http_hello_world\",\"max_instances\":18446744073709549568}",
          SEEN, NULL);
    apply(&a, CE_KIND_COMPONENT_SCALED, "N\"2\\",
          "{\"annotations\":{},\"image_ref\":\"r\",\"component_id\":"
          "\"http_hello_world\",\"max_instances\":0}",
          SEEN, NULL);
    apply(&a, CE_KIND_HEALTH_CHECK_FAILED, "x",
          "{\"provider_id\":\"p2\",\"host_id\":\"N3\"}", SEEN, NULL);
    apply(&a, CE_KIND_PROVIDER_STARTED, "N\"2\\",
          "{\"annotations\":{},\"image_ref\":\"r2\",\"provider_id\":\"p2\"}",
          SEEN, NULL);
    rec_state_t b;
    char *texts[3];
    round_trip(&a, &b, texts);
    ck_assert(rec_state_equal(&a, &b));
    rec_state_t c;
    char *again[3];
    round_trip(&b, &c, again);
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(texts[i], again[i]);
        free(texts[i]);
        free(again[i]);
    }
    /* equality notices a difference */
    apply(&c, CE_KIND_HEALTH_CHECK_PASSED, "x",
          "{\"provider_id\":\"p2\",\"host_id\":\"N3\"}", SEEN, NULL);
    ck_assert(!rec_state_equal(&b, &c));
    rec_state_destroy(&a);
    rec_state_destroy(&b);
    rec_state_destroy(&c);
}
END_TEST

START_TEST(test_rec_state_json_record_key_and_id_may_differ)
{
    const char *json =
        "{\"KEY\":{\"components\":{},\"friendly_name\":\"f\",\"labels\":{},"
        "\"providers\":[],\"uptime_seconds\":1,\"version\":null,\"id\":"
        "\"OTHER\",\"last_seen\":\"2024-01-22T20:13:22.611283Z\"}}";
    rec_state_t st;
    rec_state_init(&st);
    char *err = NULL;
    ck_assert_int_eq(rec_state_json_hosts_decode(&st, json, strlen(json),
                                                 &err),
                     0);
    ck_assert_str_eq(rec_state_host(&st, "KEY")->id, "OTHER");
    char *out = rec_state_json_hosts_encode(&st, NULL);
    ck_assert_str_eq(out, json);
    free(out);
    rec_state_destroy(&st);
}
END_TEST

START_TEST(test_rec_state_json_big_instance_sets_decode_in_n_log_n)
{
    /* 50k distinct annotation maps on one host, each listed twice */
    size_t n = 50000;
    buf_t b;
    buf_init(&b, 0);
    (void)buf_append_str(&b, "{\"c\":{\"id\":\"c\",\"name\":\"\",\"issuer\":"
                             "\"\",\"reference\":\"\",\"instances\":{\"N1\":[");
    for (size_t i = 0; i < 2 * n; i++)
        (void)buf_appendf(&b, "%s{\"annotations\":{\"k\":\"%zu\"},"
                          "\"count\":%d}",
                          i ? "," : "", (n - 1) - i % n, i < n ? 1 : 100);
    (void)buf_append_str(&b, "]}}}");
    rec_state_t st;
    rec_state_init(&st);
    char *err = NULL;
    uint64_t t0 = test_now_ms();
    ck_assert_int_eq(rec_state_json_components_decode(&st, buf_str(&b), b.len,
                                                      &err),
                     0);
    ck_assert_uint_lt(test_now_ms() - t0, 5000);
    const rec_component_t *c = rec_state_component(&st, "c");
    ck_assert_uint_eq(rec_component_count(c, "N1", NULL), n); /* firsts */
    rec_state_destroy(&st);
    buf_destroy(&b);
}
END_TEST

Suite *
rec_state_json_suite(void)
{
    Suite *s = suite_create("rec_state_json");
    TCase *tc = tcase_create("records");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rec_state_json_host_record_is_golden);
    tcase_add_test(tc, test_rec_state_json_component_record_is_golden);
    tcase_add_test(tc, test_rec_state_json_provider_record_is_golden);
    tcase_add_test(tc,
                   test_rec_state_json_new_host_has_null_version_and_escapes);
    tcase_add_test(tc, test_rec_state_json_keys_name_kind_and_lattice);
    tcase_add_test(tc, test_rec_state_json_reads_upstream_records_with_aliases);
    tcase_add_test(tc, test_rec_state_json_reads_the_spec_examples);
    tcase_add_test(tc,
                   test_rec_state_json_malformed_records_are_refused_and_named);
    tcase_add_test(tc, test_rec_state_json_state_round_trips_exactly);
    tcase_add_test(tc, test_rec_state_json_record_key_and_id_may_differ);
    tcase_add_test(tc,
                   test_rec_state_json_big_instance_sets_decode_in_n_log_n);
    suite_add_tcase(s, tc);
    return s;
}
