/*
 * check_api.c - the wadm API (spec/api.md 4.1-4.5) against a real
 * nats-server and build/wadm: put, get, both lists and versions, reply by
 * reply and member by member as the spec shows them; the stored record
 * (storage.md 2.3) read from the bucket; a record written by upstream read
 * back; the upstream API scenarios of the oam/ fixtures.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_api.h"
#include "test/lib/test_util.h"

static test_api_t api;

/* Starts nats-server and wadm; false (after a visible skip) to return. */
static bool
up(void)
{
    return test_api_start(&api, NULL) == 0;
}

static void
down(void)
{
    test_api_stop(&api);
}

#define expect(op, body, want) test_api_expect(&api, op, body, want)
#define put_ok(name, version, desc) test_api_put_ok(&api, name, version, desc)
#define vbody(version) test_api_vbody(version)

static void
expect_put(const char *body, const char *ctype, const char *want)
{
    cJSON *r = test_api_put(&api, body, ctype);
    test_json_expect(r, want);
    cJSON_Delete(r);
}

/* ---- put (4.1) -------------------------------------------------------- */

START_TEST(test_api_put_yaml_created_then_newversion)
{
    if (!up())
        return;
    char *m1 = test_api_manifest("echo", "v0.0.1", NULL);
    char *m2 = test_api_manifest("echo", "v0.0.2", NULL);
    expect_put(m1, NULL,
               "{\"result\":\"created\",\"total_versions\":1,"
               "\"current_version\":\"v0.0.1\",\"message\":\"Successfully "
               "put manifest echo \",\"name\":\"echo\"}");
    expect_put(m2, NULL,
               "{\"result\":\"newversion\",\"total_versions\":2,"
               "\"current_version\":\"v0.0.2\",\"message\":\"Successfully "
               "put manifest echo v0.0.1\",\"name\":\"echo\"}");
    free(m1);
    free(m2);
    down();
}
END_TEST

START_TEST(test_api_put_json_with_and_without_content_type)
{
    if (!up())
        return;
    char *s1 = test_api_stored("echo", "v1", NULL);
    char *s2 = test_api_stored("echo", "v2", NULL);
    expect_put(s1, "application/json",
               "{\"result\":\"created\",\"total_versions\":1,"
               "\"current_version\":\"v1\",\"message\":\"Successfully put "
               "manifest echo \",\"name\":\"echo\"}");
    /* no header: read by the YAML reader, which takes JSON too */
    expect_put(s2, NULL,
               "{\"result\":\"newversion\",\"total_versions\":2,"
               "\"current_version\":\"v2\",\"message\":\"Successfully put "
               "manifest echo v1\",\"name\":\"echo\"}");
    /* what was stored is the stored form, as sent */
    cJSON *r = test_api_call(&api, "model.get.echo", vbody("v1"));
    test_json_expect(cJSON_GetObjectItem(r, "manifest"), s1);
    cJSON_Delete(r);
    free(s1);
    free(s2);
    down();
}
END_TEST

START_TEST(test_api_put_content_type_selects_the_reader)
{
    if (!up())
        return;
    char *yaml = test_api_manifest("echo", "v1", NULL);
    char *json = test_api_stored("echo", "v2", NULL);
    /* YAML declared as JSON: the JSON reader refuses it */
    expect_put(yaml, "application/json",
               "{\"message\":\"<prefix>Unable to parse manifest: \","
               "\"result\":\"error\"}");
    expect_put(yaml, "application/yaml",
               "{\"result\":\"created\",\"total_versions\":1,"
               "\"current_version\":\"v1\",\"message\":\"<str>\","
               "\"name\":\"echo\"}");
    expect_put(json, "application/yaml",
               "{\"result\":\"newversion\",\"total_versions\":2,"
               "\"current_version\":\"v2\",\"message\":\"Successfully put "
               "manifest echo v1\",\"name\":\"echo\"}");
    free(yaml);
    free(json);
    down();
}
END_TEST

START_TEST(test_api_put_other_content_type_is_refused)
{
    if (!up())
        return;
    char *m = test_api_manifest("echo", "v1", NULL);
    expect_put(m, "text/plain",
               "{\"message\":\"Unable to parse manifest: Unsupported content "
               "type text/plain given. Wadm supports YAML and JSON\","
               "\"result\":\"error\"}");
    expect_put(m, "application/json; charset=utf-8",
               "{\"message\":\"Unable to parse manifest: Unsupported content "
               "type application/json; charset=utf-8 given. Wadm supports "
               "YAML and JSON\",\"result\":\"error\"}");
    /* nothing was stored */
    expect("model.versions.echo", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name echo not found\",\"versions\":[]}");
    free(m);
    down();
}
END_TEST

START_TEST(test_api_put_lowercase_header_is_ignored)
{
    if (!up())
        return;
    char *m = test_api_manifest("echo", "v1", NULL);
    char subject[128];
    snprintf(subject, sizeof(subject), "wadm.api.default.model.put");
    char *text = test_api_request(&api, subject, m, strlen(m),
                                  "content-type", "text/plain",
                                  TEST_API_WAIT_MS, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *r = cJSON_Parse(text);
    test_json_expect(r, "{\"result\":\"created\",\"total_versions\":1,"
                        "\"current_version\":\"v1\",\"message\":\"<str>\","
                        "\"name\":\"echo\"}");
    cJSON_Delete(r);
    free(text);
    free(m);
    down();
}
END_TEST

START_TEST(test_api_put_generates_a_ulid_version)
{
    if (!up())
        return;
    char *m = test_api_manifest("hello", NULL, NULL);
    cJSON *r = test_api_put(&api, m, NULL);
    test_json_expect(r, "{\"result\":\"created\",\"total_versions\":1,"
                        "\"current_version\":\"<ulid>\",\"message\":"
                        "\"Successfully put manifest hello \","
                        "\"name\":\"hello\"}");
    char first[64];
    snprintf(first, sizeof(first), "%s", test_json_str(r, "current_version"));
    cJSON_Delete(r);
    /* the same document again is a new version with a new ULID */
    r = test_api_put(&api, m, NULL);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"result\":\"newversion\",\"total_versions\":2,"
             "\"current_version\":\"<ulid>\",\"message\":\"Successfully put "
             "manifest hello %s\",\"name\":\"hello\"}", first);
    test_json_expect(r, want);
    ck_assert_str_ne(test_json_str(r, "current_version"), first);
    cJSON_Delete(r);
    /* the ULID is written into the stored manifest */
    r = test_api_call(&api, "model.get.hello", vbody(first));
    char *stored = test_api_stored("hello", first, NULL);
    test_json_expect(cJSON_GetObjectItem(r, "manifest"), stored);
    free(stored);
    cJSON_Delete(r);
    free(m);
    down();
}
END_TEST

START_TEST(test_api_put_duplicate_version_is_an_error)
{
    if (!up())
        return;
    put_ok("echo", "v0.0.1", NULL);
    char *m = test_api_manifest("echo", "v0.0.1", "changed");
    expect_put(m, NULL,
               "{\"message\":\"Manifest version v0.0.1 already exists\","
               "\"result\":\"error\"}");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"Successfully fetched "
           "versions for application echo\",\"versions\":[{\"version\":"
           "\"v0.0.1\",\"deployed\":false}]}");
    free(m);
    down();
}
END_TEST

START_TEST(test_api_put_latest_version_is_refused)
{
    if (!up())
        return;
    char *m = test_api_manifest("echo", "latest", NULL);
    expect_put(m, NULL,
               "{\"message\":\"invalid manifest version, errors: \\\"latest "
               "is not allowed in wadm\\\"\",\"result\":\"error\"}");
    free(m);
    down();
}
END_TEST

START_TEST(test_api_put_empty_version_is_a_version)
{
    if (!up())
        return;
    put_ok("echo", "", NULL);
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"\",\"deployed\":false}]}");
    expect("model.get.echo", "{\"version\":\"\"}",
           "{\"result\":\"success\",\"message\":\"Successfully fetched "
           "application echo \",\"manifest\":\"<any>\"}");
    down();
}
END_TEST

START_TEST(test_api_put_invalid_name_is_refused)
{
    if (!up())
        return;
    char *m = test_api_manifest("my.app", "v1", NULL);
    expect_put(m, NULL,
               "{\"message\":\"Manifest name my.app contains invalid "
               "characters. Manifest names can only contain alphanumeric "
               "characters, dashes, and underscores.\",\"result\":\"error\"}");
    free(m);
    /* trimmed for the name check, but rule V1 sees the raw name */
    m = test_api_manifest("\"  spaced-name \"", "v1", NULL);
    expect_put(m, NULL,
               "{\"message\":\"manifest name [  spaced-name ] is not allowed "
               "(should match regex [^[-\\\\w]+$])\",\"result\":\"error\"}");
    free(m);
    down();
}
END_TEST

START_TEST(test_api_long_names_are_addressable)
{
    if (!up())
        return;
    /* no length limit on names (manifest.md 3.1): 300 characters */
    char name[301];
    memset(name, 'n', 300);
    name[300] = '\0';
    put_ok(name, "v1", NULL);
    char op[400], want[800];
    snprintf(op, sizeof(op), "model.get.%s", name);
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"Successfully fetched "
             "application %s\",\"manifest\":\"<any>\"}", name);
    expect(op, NULL, want);
    snprintf(op, sizeof(op), "model.del.%s", name);
    expect(op, NULL, "{\"result\":\"deleted\",\"message\":\"<str>\","
                     "\"undeploy\":true}");
    down();
}
END_TEST

START_TEST(test_api_put_reports_the_first_validation_error)
{
    if (!up())
        return;
    const char *m =
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: dup\n  annotations: {version: v1}\n"
        "spec:\n  components:\n"
        "    - {name: ui, type: component, properties: {image: a}}\n"
        "    - {name: ui, type: component, properties: {image: b}}\n"
        "    - {name: vets, type: component, properties: {image: c}}\n"
        "    - {name: vets, type: component, properties: {image: d}}\n";
    expect_put(m, NULL,
               "{\"message\":\"Duplicate component name in manifest: ui\","
               "\"result\":\"error\"}");
    const char *path = test_fixture_path("manifests/incorrect_component.yaml");
    if (path == NULL) {
        test_skip("%s: fixtures absent", __func__);
    } else {
        cJSON *r = test_api_put_file(&api, path, NULL);
        test_json_expect(r, "{\"message\":\"Duplicate component name in "
                            "manifest: ui\",\"result\":\"error\"}");
        cJSON_Delete(r);
    }
    down();
}
END_TEST

START_TEST(test_api_put_unparsable_manifest)
{
    if (!up())
        return;
    expect_put("{{{ not a manifest", NULL,
               "{\"message\":\"<prefix>Unable to parse manifest: \","
               "\"result\":\"error\"}");
    expect_put("", NULL,
               "{\"message\":\"<prefix>Unable to parse manifest: \","
               "\"result\":\"error\"}");
    expect_put("{\"apiVersion\":1}", "application/json",
               "{\"message\":\"<prefix>Unable to parse manifest: \","
               "\"result\":\"error\"}");
    down();
}
END_TEST

START_TEST(test_api_put_with_missing_shared_components_says_so)
{
    if (!up())
        return;
    const char *m =
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
        "metadata:\n  name: dev\n  annotations: {version: v1}\n"
        "spec:\n  components:\n"
        "    - name: httpserver\n      type: capability\n"
        "      properties:\n        application:\n"
        "          name: shared-http\n          component: httpserver\n";
    expect_put(m, NULL,
               "{\"result\":\"created\",\"total_versions\":1,"
               "\"current_version\":\"v1\",\"message\":\"<prefix>"
               "Successfully put manifest dev , but some shared components "
               "are not deployed: \",\"name\":\"dev\"}");
    down();
}
END_TEST

/* ---- get (4.2) -------------------------------------------------------- */

START_TEST(test_api_get_current_and_given_versions)
{
    if (!up())
        return;
    put_ok("echo", "v0.0.1", NULL);
    put_ok("echo", "v0.0.2", "This is my app");
    char *s1 = test_api_stored("echo", "v0.0.1", NULL);
    char *s2 = test_api_stored("echo", "v0.0.2", "This is my app");
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"Successfully fetched "
             "application echo\",\"manifest\":%s}", s2);
    expect("model.get.echo", NULL, want);
    expect("model.get.echo", "{}", want);
    expect("model.get.echo", "{\"version\":null,\"other\":[1]}", want);
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"Successfully fetched "
             "application echo v0.0.1\",\"manifest\":%s}", s1);
    expect("model.get.echo", vbody("v0.0.1"), want);
    free(s1);
    free(s2);
    down();
}
END_TEST

START_TEST(test_api_get_notfound_cases)
{
    if (!up())
        return;
    expect("model.get.nope", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name nope not found\"}");
    expect("model.get.nope", vbody("v1"),
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name nope not found\"}");
    put_ok("echo", "v0.0.1", NULL);
    expect("model.get.echo", vbody("v9"),
           "{\"result\":\"notfound\",\"message\":\"Application echo with "
           "version v9 doesn't exist\"}");
    /* latest has no meaning for get */
    expect("model.get.echo", vbody("latest"),
           "{\"result\":\"notfound\",\"message\":\"Application echo with "
           "version latest doesn't exist\"}");
    down();
}
END_TEST

START_TEST(test_api_get_body_parse_errors)
{
    if (!up())
        return;
    put_ok("echo", "v0.0.1", NULL);
    static const char *const bad[] = {"not json", "[1]", "\"v1\"",
                                      "{\"version\":5}", "{", NULL};
    test_api_expect_each(&api, "model.get.echo", bad,
                         "{\"message\":\"<prefix>Unable to parse get "
                         "application request: \",\"result\":\"error\"}");
    down();
}
END_TEST

/* ---- lists (4.3, 4.4) ------------------------------------------------- */

#define WAITING_STATUS                                                   \
    "{\"status\":{\"type\":\"waiting\",\"message\":\"Waiting for status: " \
    "Lattice contains no hosts, deployment not started.\"},"           \
    "\"version\":\"\",\"components\":[]}"
#define WAITING_MESSAGE                                                  \
    "Waiting for status: Lattice contains no hosts, deployment not "   \
    "started."

START_TEST(test_api_list_empty_lattice)
{
    if (!up())
        return;
    expect("model.get", NULL,
           "{\"result\":\"success\",\"message\":\"Successfully fetched list "
           "of applications\",\"models\":[]}");
    expect("model.list", NULL, "[]");
    /* the body is not looked at */
    expect("model.list", "garbage", "[]");
    down();
}
END_TEST

START_TEST(test_api_list_wrapped_and_bare)
{
    if (!up())
        return;
    put_ok("zeta", "v1", NULL);
    put_ok("echo", "v0.0.1", NULL);
    put_ok("echo", "v0.0.2", "This is my app");
    expect("model.deploy.echo", vbody("v0.0.1"),
           "{\"result\":\"acknowledged\",\"message\":\"<str>\","
           "\"name\":\"echo\",\"version\":\"v0.0.1\"}");
    const char *models =
        "[{\"name\":\"echo\",\"version\":\"v0.0.2\",\"description\":"
        "\"This is my app\",\"deployed_version\":\"v0.0.1\","
        "\"detailed_status\":\"<any>\",\"status\":\"<str>\","
        "\"status_message\":\"<str>\"},"
        "{\"name\":\"zeta\",\"version\":\"v1\",\"description\":null,"
        "\"deployed_version\":null,\"detailed_status\":" WAITING_STATUS ","
        "\"status\":\"undeployed\",\"status_message\":\"" WAITING_MESSAGE
        "\"}]";
    char want[4096];
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"Successfully fetched list "
             "of applications\",\"models\":%s}", models);
    expect("model.get", NULL, want);
    expect("model.list", NULL, models);
    down();
}
END_TEST

/* Publishes a status for app into wadm_status as wadm would. */
static void
store_status(const char *app, const char *json)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", api.lattice,
             app);
    jsPubAck *ack = NULL;
    ck_assert_int_eq(js_Publish(&ack, api.js, subject, json,
                                (int)strlen(json), NULL, NULL),
                     NATS_OK);
    jsPubAck_Destroy(ack);
}

START_TEST(test_api_list_reads_the_status_stream)
{
    if (!up())
        return;
    put_ok("echo", "v1", NULL);
    put_ok("fail", "v1", NULL);
    put_ok("wait", "v1", NULL);
    /* unknown fields dropped, defaults filled, aliases read */
    store_status("echo", "{\"status\":{\"type\":\"ready\"},\"scalers\":[{"
                         "\"id\":\"s1\",\"kind\":\"SpreadScaler\",\"name\":"
                         "\"echo\",\"status\":{\"type\":\"compensating\"},"
                         "\"extra\":1}],\"future\":true}");
    store_status("fail", "{\"status\":{\"type\":\"failed\",\"message\":"
                         "\"no host\"},\"version\":\"\",\"components\":[]}");
    store_status("wait", "{\"status\":{\"type\":\"waiting\",\"message\":"
                         "\"hold on\"}}");
    expect("model.list", NULL,
           "[{\"name\":\"echo\",\"version\":\"v1\",\"description\":null,"
           "\"deployed_version\":null,\"detailed_status\":{\"status\":{"
           "\"type\":\"deployed\"},\"scalers\":[{\"id\":\"s1\",\"kind\":"
           "\"SpreadScaler\",\"name\":\"echo\",\"status\":{\"type\":"
           "\"reconciling\"}}],\"version\":\"\",\"components\":[]},"
           "\"status\":\"deployed\",\"status_message\":\"\"},"
           "{\"name\":\"fail\",\"version\":\"v1\",\"description\":null,"
           "\"deployed_version\":null,\"detailed_status\":{\"status\":{"
           "\"type\":\"failed\",\"message\":\"no host\"},\"version\":\"\","
           "\"components\":[]},\"status\":\"failed\",\"status_message\":"
           "\"no host\"},"
           "{\"name\":\"wait\",\"version\":\"v1\",\"description\":null,"
           "\"deployed_version\":null,\"detailed_status\":{\"status\":{"
           "\"type\":\"waiting\",\"message\":\"hold on\"},\"version\":\"\","
           "\"components\":[]},\"status\":\"undeployed\","
           "\"status_message\":\"hold on\"}]");
    /* status answers with the same normalised document */
    expect("model.status.fail", NULL,
           "{\"result\":\"ok\",\"message\":\"Successfully fetched status for "
           "application fail\",\"status\":{\"status\":{\"type\":\"failed\","
           "\"message\":\"no host\"},\"version\":\"\",\"components\":[]}}");
    /* a status that does not parse counts as none */
    store_status("fail", "{\"status\":{\"type\":\"sleepy\"}}");
    expect("model.get", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"models\":["
           "\"<any>\",{\"name\":\"fail\",\"version\":\"v1\",\"description\":"
           "null,\"deployed_version\":null,\"detailed_status\":"
           WAITING_STATUS ",\"status\":\"undeployed\",\"status_message\":\""
           WAITING_MESSAGE "\"},\"<any>\"]}");
    down();
}
END_TEST

/* ---- versions (4.5) --------------------------------------------------- */

START_TEST(test_api_versions_in_creation_order)
{
    if (!up())
        return;
    expect("model.versions.echo", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name echo not found\",\"versions\":[]}");
    put_ok("echo", "v0.0.2", NULL);
    put_ok("echo", "v0.0.1", NULL);
    put_ok("echo", "v0.0.3", NULL);
    expect("model.deploy.echo", vbody("v0.0.1"),
           "{\"result\":\"acknowledged\",\"message\":\"<str>\","
           "\"name\":\"echo\",\"version\":\"v0.0.1\"}");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"Successfully fetched "
           "versions for application echo\",\"versions\":["
           "{\"version\":\"v0.0.2\",\"deployed\":false},"
           "{\"version\":\"v0.0.1\",\"deployed\":true},"
           "{\"version\":\"v0.0.3\",\"deployed\":false}]}");
    /* deleted and put again: it moves to the end */
    expect("model.del.echo", vbody("v0.0.2"),
           "{\"result\":\"deleted\",\"message\":\"<str>\","
           "\"undeploy\":false}");
    put_ok("echo", "v0.0.2", NULL);
    expect("model.versions.echo", "ignored body",
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v0.0.1\",\"deployed\":true},"
           "{\"version\":\"v0.0.3\",\"deployed\":false},"
           "{\"version\":\"v0.0.2\",\"deployed\":false}]}");
    down();
}
END_TEST

/* ---- the stored record (storage.md 2.2, 2.3) --------------------------- */

START_TEST(test_api_record_format_in_the_bucket)
{
    if (!up())
        return;
    put_ok("echo", "v0.0.2", NULL);
    put_ok("echo", "v0.0.1", "d");
    put_ok("alpha", "1", NULL);
    char *s2 = test_api_stored("echo", "v0.0.2", NULL);
    char *s1 = test_api_stored("echo", "v0.0.1", "d");
    char want[4096];
    snprintf(want, sizeof(want),
             "{\"manifests\":{\"v0.0.2\":%s,\"v0.0.1\":%s},"
             "\"deployed_version\":null}", s2, s1);
    char *rec = test_kv_get(&api, "default-echo");
    ck_assert_ptr_nonnull(rec);
    cJSON *o = cJSON_Parse(rec);
    test_json_expect(o, want);
    cJSON_Delete(o);
    free(rec);
    /* the lattice index: sorted names, compact JSON */
    char *idx = test_kv_get(&api, "default");
    ck_assert_str_eq(idx, "[\"alpha\",\"echo\"]");
    free(idx);
    expect("model.deploy.echo", vbody("v0.0.2"),
           "{\"result\":\"acknowledged\",\"message\":\"<str>\","
           "\"name\":\"echo\",\"version\":\"v0.0.2\"}");
    snprintf(want, sizeof(want),
             "{\"manifests\":{\"v0.0.2\":%s,\"v0.0.1\":%s},"
             "\"deployed_version\":\"v0.0.2\"}", s2, s1);
    rec = test_kv_get(&api, "default-echo");
    o = cJSON_Parse(rec);
    test_json_expect(o, want);
    cJSON_Delete(o);
    free(rec);
    free(s1);
    free(s2);
    down();
}
END_TEST

/* storage.md 2.3's example, as upstream writes it. */
#define UPSTREAM_MANIFEST(v)                                             \
    "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\","  \
    "\"metadata\":{\"name\":\"rust-sqldb-postgres-query\",\"annotations\"" \
    ":{\"description\":\"Demo\\n\",\"version\":\"" v "\"}},\"spec\":{"    \
    "\"components\":[{\"name\":\"querier\",\"type\":\"component\","      \
    "\"properties\":{\"image\":\"ghcr.io/wasmcloud/components/sqldb-"    \
    "postgres-query-rust:0.1.0\"},\"traits\":[{\"type\":\"spreadscaler\"," \
    "\"properties\":{\"instances\":1}},{\"type\":\"link\",\"properties\"" \
    ":{\"namespace\":\"wasmcloud\",\"package\":\"postgres\","            \
    "\"interfaces\":[\"query\"],\"target\":{\"name\":\"sqldb-postgres\"," \
    "\"config\":[{\"name\":\"default-postgres\"}]}}}]},{\"name\":"       \
    "\"sqldb-postgres\",\"type\":\"capability\",\"properties\":{"        \
    "\"image\":\"ghcr.io/wasmcloud/sqldb-postgres:0.2.0\",\"config\":[{"  \
    "\"name\":\"default-postgres\"}]}}]}}"

START_TEST(test_api_reads_a_record_written_by_upstream)
{
    if (!up())
        return;
    /* versions deliberately not in sorted order: member order counts */
    test_kv_put(&api, "default-rust-sqldb-postgres-query",
                "{\"manifests\":{\"v0.0.2\":" UPSTREAM_MANIFEST("v0.0.2")
                ",\"v0.0.1\":" UPSTREAM_MANIFEST("v0.0.1")
                "},\"deployed_version\":\"v0.0.2\"}");
    /* a record without deployed_version reads as not deployed */
    test_kv_put(&api, "default-other",
                "{\"manifests\":{\"1\":" UPSTREAM_MANIFEST("1") "}}");
    test_kv_put(&api, "default", "[\"other\",\"rust-sqldb-postgres-query\"]");
    expect("model.get.rust-sqldb-postgres-query", NULL,
           "{\"result\":\"success\",\"message\":\"Successfully fetched "
           "application rust-sqldb-postgres-query\",\"manifest\":"
           UPSTREAM_MANIFEST("v0.0.1") "}");
    expect("model.versions.rust-sqldb-postgres-query", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v0.0.2\",\"deployed\":true},"
           "{\"version\":\"v0.0.1\",\"deployed\":false}]}");
    expect("model.list", NULL,
           "[{\"name\":\"other\",\"version\":\"1\",\"description\":"
           "\"Demo\\n\",\"deployed_version\":null,\"detailed_status\":"
           "\"<any>\",\"status\":\"undeployed\",\"status_message\":\"<str>\"},"
           "{\"name\":\"rust-sqldb-postgres-query\",\"version\":\"v0.0.1\","
           "\"description\":\"Demo\\n\",\"deployed_version\":\"v0.0.2\","
           "\"detailed_status\":\"<any>\",\"status\":\"<str>\","
           "\"status_message\":\"<str>\"}]");
    expect("model.deploy.rust-sqldb-postgres-query", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"Successfully deployed "
           "application rust-sqldb-postgres-query v0.0.1\",\"name\":"
           "\"rust-sqldb-postgres-query\",\"version\":\"v0.0.1\"}");
    expect("model.deploy.other", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"other\",\"version\":\"1\"}");
    /* rewritten with the same member order and manifests untouched */
    char *rec = test_kv_get(&api, "default-rust-sqldb-postgres-query");
    cJSON *o = cJSON_Parse(rec);
    test_json_expect(o, "{\"manifests\":{\"v0.0.2\":"
                        UPSTREAM_MANIFEST("v0.0.2") ",\"v0.0.1\":"
                        UPSTREAM_MANIFEST("v0.0.1") "},\"deployed_version\":"
                        "\"v0.0.1\"}");
    cJSON_Delete(o);
    free(rec);
    /* a new put appends after upstream's versions */
    char *m = test_api_manifest("other", "2", NULL);
    expect_put(m, NULL,
               "{\"result\":\"newversion\",\"total_versions\":2,"
               "\"current_version\":\"2\",\"message\":\"Successfully put "
               "manifest other 1\",\"name\":\"other\"}");
    free(m);
    down();
}
END_TEST

/* ---- the upstream API scenarios of fixtures/oam ----------------------- */

/* The fixture's path, or NULL after a visible skip. */
static const char *
fixture(const char *rel)
{
    const char *p = test_fixture_path(rel);
    if (p == NULL)
        test_skip("%s: shared fixtures absent (set WADM_FIXTURES)", rel);
    return p;
}

START_TEST(test_api_fixture_simple1_yaml)
{
    const char *path = fixture("oam/simple1.yaml");
    if (path == NULL || !up())
        return;
    cJSON *r = test_api_put_file(&api, path, NULL);
    test_json_expect(r, "{\"result\":\"created\",\"total_versions\":1,"
                        "\"current_version\":\"<ulid>\",\"message\":\"<str>\","
                        "\"name\":\"<str>\"}");
    char ulid[64], name[128];
    snprintf(ulid, sizeof(ulid), "%s", test_json_str(r, "current_version"));
    snprintf(name, sizeof(name), "%s", test_json_str(r, "name"));
    cJSON_Delete(r);
    char op[256];
    snprintf(op, sizeof(op), "model.get.%s", name);
    r = test_api_call(&api, op, NULL);
    ck_assert_str_eq(test_json_str(r, "result"), "success");
    const cJSON *md = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "manifest"),
                                          "metadata");
    ck_assert_str_eq(test_json_str(cJSON_GetObjectItem(md, "annotations"),
                                   "version"),
                     ulid);
    /* legacy actor is stored as component */
    char *text = cJSON_PrintUnformatted(r);
    ck_assert_ptr_null(strstr(text, "\"actor\""));
    free(text);
    /* the same manifest as v0.0.2 and v0.0.3 */
    cJSON *man = cJSON_DetachItemFromObject(r, "manifest");
    cJSON_Delete(r);
    const char *vs[] = {"v0.0.2", "v0.0.3"};
    for (int i = 0; i < 2; i++) {
        cJSON *ann = cJSON_GetObjectItem(
            cJSON_GetObjectItem(man, "metadata"), "annotations");
        cJSON_ReplaceItemInObject(ann, "version", cJSON_CreateString(vs[i]));
        char *body = cJSON_PrintUnformatted(man);
        r = test_api_put(&api, body, "application/json");
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"result\":\"newversion\",\"total_versions\":%d,"
                 "\"current_version\":\"%s\",\"message\":\"<str>\","
                 "\"name\":\"%s\"}", i + 2, vs[i], name);
        test_json_expect(r, want);
        cJSON_Delete(r);
        free(body);
    }
    cJSON_Delete(man);
    char want[1024];
    snprintf(op, sizeof(op), "model.versions.%s", name);
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
             "{\"version\":\"%s\",\"deployed\":false},{\"version\":"
             "\"v0.0.2\",\"deployed\":false},{\"version\":\"v0.0.3\","
             "\"deployed\":false}]}", ulid);
    expect(op, NULL, want);
    snprintf(op, sizeof(op), "model.del.%s", name);
    expect(op, vbody("v0.0.2"),
           "{\"result\":\"deleted\",\"message\":\"<str>\","
           "\"undeploy\":false}");
    snprintf(op, sizeof(op), "model.versions.%s", name);
    snprintf(want, sizeof(want),
             "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
             "{\"version\":\"%s\",\"deployed\":false},{\"version\":"
             "\"v0.0.3\",\"deployed\":false}]}", ulid);
    expect(op, NULL, want);
    snprintf(op, sizeof(op), "model.del.%s", name);
    expect(op, NULL,
           "{\"result\":\"deleted\",\"message\":\"<str>\","
           "\"undeploy\":true}");
    snprintf(op, sizeof(op), "model.get.%s", name);
    expect(op, NULL, "{\"result\":\"notfound\",\"message\":\"<str>\"}");
    down();
}
END_TEST

START_TEST(test_api_fixture_simple1_json)
{
    const char *path = fixture("oam/simple1.json");
    if (path == NULL || !up())
        return;
    cJSON *r = test_api_put_file(&api, path, NULL);
    test_json_expect(r, "{\"result\":\"created\",\"total_versions\":1,"
                        "\"current_version\":\"<ulid>\",\"message\":\"<str>\","
                        "\"name\":\"<str>\"}");
    cJSON_Delete(r);
    /* again, with the JSON header and a version */
    char *text = test_read_file(path, NULL);
    cJSON *man = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(man);
    cJSON *md = cJSON_GetObjectItem(man, "metadata");
    cJSON *ann = cJSON_GetObjectItem(md, "annotations");
    if (ann == NULL)
        ann = cJSON_AddObjectToObject(md, "annotations");
    cJSON_DeleteItemFromObject(ann, "version");
    cJSON_AddStringToObject(ann, "version", "v0.0.2");
    char *body = cJSON_PrintUnformatted(man);
    cJSON_Delete(man);
    r = test_api_put(&api, body, "application/json");
    test_json_expect(r, "{\"result\":\"newversion\",\"total_versions\":2,"
                        "\"current_version\":\"v0.0.2\",\"message\":"
                        "\"<str>\",\"name\":\"<str>\"}");
    cJSON_Delete(r);
    free(body);
    down();
}
END_TEST

START_TEST(test_api_fixture_sqldbpostgres)
{
    const char *path = fixture("oam/sqldbpostgres.yaml");
    if (path == NULL || !up())
        return;
    const char *app = "rust-sqldb-postgres-query";
    natsSubscription *ev = test_api_events(&api);
    cJSON *r = test_api_put_file(&api, path, "application/yaml");
    test_json_expect(r, "{\"result\":\"created\",\"total_versions\":1,"
                        "\"current_version\":\"v0.0.1\",\"message\":"
                        "\"Successfully put manifest "
                        "rust-sqldb-postgres-query \",\"name\":"
                        "\"rust-sqldb-postgres-query\"}");
    cJSON_Delete(r);
    expect("model.status.rust-sqldb-postgres-query", NULL,
           "{\"result\":\"ok\",\"message\":\"<str>\",\"status\":{\"status\":"
           "{\"type\":\"undeployed\"},\"version\":\"\",\"components\":[]}}");
    r = test_api_put_file(&api, path, NULL);
    test_json_expect(r, "{\"message\":\"Manifest version v0.0.1 already "
                        "exists\",\"result\":\"error\"}");
    cJSON_Delete(r);
    /* v0.0.2: the same document with the version replaced */
    char *text = test_read_file(path, NULL);
    char *at = strstr(text, "v0.0.1");
    ck_assert_ptr_nonnull(at);
    at[5] = '2';
    r = test_api_put(&api, text, NULL);
    test_json_expect(r, "{\"result\":\"newversion\",\"total_versions\":2,"
                        "\"current_version\":\"v0.0.2\",\"message\":"
                        "\"<str>\",\"name\":\"rust-sqldb-postgres-query\"}");
    cJSON_Delete(r);
    free(text);
    char op[128];
    static const struct {
        const char *body;
        const char *version;
    } deploys[] = {{NULL, "v0.0.2"}, {"{\"version\":\"v0.0.1\"}", "v0.0.1"},
                   {"{\"version\":\"latest\"}", "v0.0.2"}};
    for (int i = 0; i < 3; i++) {
        snprintf(op, sizeof(op), "model.deploy.%s", app);
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"result\":\"acknowledged\",\"message\":\"Successfully "
                 "deployed application %s %s\",\"name\":\"%s\",\"version\":"
                 "\"%s\"}", app, deploys[i].version, app, deploys[i].version);
        expect(op, deploys[i].body, want);
        cJSON *e = test_api_next_event(ev, TEST_API_WAIT_MS);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(test_json_str(e, "type"),
                         "com.wadm.manifest_published");
        cJSON *ann = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(e, "data"), "metadata"),
            "annotations");
        ck_assert_str_eq(test_json_str(ann, "version"), deploys[i].version);
        cJSON_Delete(e);
    }
    snprintf(op, sizeof(op), "model.undeploy.%s", app);
    expect(op, NULL,
           "{\"result\":\"acknowledged\",\"message\":\"Successfully "
           "undeployed application rust-sqldb-postgres-query\",\"name\":"
           "\"rust-sqldb-postgres-query\",\"version\":null}");
    cJSON *e = test_api_next_event(ev, TEST_API_WAIT_MS);
    ck_assert_str_eq(test_json_str(e, "type"),
                     "com.wadm.manifest_unpublished");
    cJSON_Delete(e);
    snprintf(op, sizeof(op), "model.versions.%s", app);
    expect(op, NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v0.0.1\",\"deployed\":false},"
           "{\"version\":\"v0.0.2\",\"deployed\":false}]}");
    /* deleting the deployed version */
    snprintf(op, sizeof(op), "model.deploy.%s", app);
    expect(op, NULL, "{\"result\":\"acknowledged\",\"message\":\"<str>\","
                     "\"name\":\"<str>\",\"version\":\"v0.0.2\"}");
    e = test_api_next_event(ev, TEST_API_WAIT_MS);
    cJSON_Delete(e);
    snprintf(op, sizeof(op), "model.del.%s", app);
    expect(op, vbody("v0.0.2"),
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
           "version v0.0.2 of application rust-sqldb-postgres-query\","
           "\"undeploy\":true}");
    e = test_api_next_event(ev, TEST_API_WAIT_MS);
    ck_assert_str_eq(test_json_str(e, "type"),
                     "com.wadm.manifest_unpublished");
    cJSON_Delete(e);
    expect(op, vbody("v0.0.2"),
           "{\"result\":\"noop\",\"message\":\"Application version v0.0.2 "
           "doesn't exist\",\"undeploy\":false}");
    natsSubscription_Destroy(ev);
    down();
}
END_TEST

Suite *
api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_put_yaml_created_then_newversion);
    tcase_add_test(tc, test_api_put_json_with_and_without_content_type);
    tcase_add_test(tc, test_api_put_content_type_selects_the_reader);
    tcase_add_test(tc, test_api_put_other_content_type_is_refused);
    tcase_add_test(tc, test_api_put_lowercase_header_is_ignored);
    tcase_add_test(tc, test_api_put_generates_a_ulid_version);
    tcase_add_test(tc, test_api_put_duplicate_version_is_an_error);
    tcase_add_test(tc, test_api_put_latest_version_is_refused);
    tcase_add_test(tc, test_api_put_empty_version_is_a_version);
    tcase_add_test(tc, test_api_put_invalid_name_is_refused);
    tcase_add_test(tc, test_api_long_names_are_addressable);
    tcase_add_test(tc, test_api_put_reports_the_first_validation_error);
    tcase_add_test(tc, test_api_put_unparsable_manifest);
    tcase_add_test(tc, test_api_put_with_missing_shared_components_says_so);
    tcase_add_test(tc, test_api_get_current_and_given_versions);
    tcase_add_test(tc, test_api_get_notfound_cases);
    tcase_add_test(tc, test_api_get_body_parse_errors);
    tcase_add_test(tc, test_api_list_empty_lattice);
    tcase_add_test(tc, test_api_list_wrapped_and_bare);
    tcase_add_test(tc, test_api_list_reads_the_status_stream);
    tcase_add_test(tc, test_api_versions_in_creation_order);
    tcase_add_test(tc, test_api_record_format_in_the_bucket);
    tcase_add_test(tc, test_api_reads_a_record_written_by_upstream);
    suite_add_tcase(s, tc);
    tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_fixture_simple1_yaml);
    tcase_add_test(tc, test_api_fixture_simple1_json);
    tcase_add_test(tc, test_api_fixture_sqldbpostgres);
    suite_add_tcase(s, tc);
    return s;
}
