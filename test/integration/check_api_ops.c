/*
 * check_api_ops.c - the wadm API operations that change what is deployed
 * (spec/api.md 4.6-4.10): delete (every row of the 4.6 table that can be
 * produced), deploy, undeploy, status, history, the manifest events they
 * emit (api.md 7, observed on wadm.evt.<lattice>.>), requests without a
 * reply subject, another API prefix and multitenant mode.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_api.h"
#include "test/lib/test_util.h"

static test_api_t api;
static natsSubscription *events;

static bool
up_with(char *const extra[])
{
    if (test_api_start(&api, extra) != 0)
        return false;
    events = test_api_events(&api);
    return true;
}

static bool
up(void)
{
    return up_with(NULL);
}

static void
down(void)
{
    natsSubscription_Destroy(events);
    events = NULL;
    test_api_stop(&api);
}

#define expect(op, body, want) test_api_expect(&api, op, body, want)
#define put_ok(name, version) test_api_put_ok(&api, name, version, NULL)
#define vbody(version) test_api_vbody(version)

static void
put_text(const char *text)
{
    cJSON *r = test_api_put(&api, text, NULL);
    const char *res = test_json_str(r, "result");
    ck_assert_msg(strcmp(res, "created") == 0 ||
                      strcmp(res, "newversion") == 0,
                  "put: %s", test_json_str(r, "message"));
    cJSON_Delete(r);
}

/* The next event must be manifest_unpublished for app. */
static void
expect_unpublished(const char *app)
{
    cJSON *e = test_api_next_event(events, TEST_API_WAIT_MS);
    ck_assert_msg(e != NULL, "no manifest_unpublished event for %s", app);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"specversion\":\"1.0\",\"id\":\"<uuid>\",\"type\":"
             "\"com.wadm.manifest_unpublished\",\"source\":\"wadm\","
             "\"datacontenttype\":\"application/json\",\"time\":\"<time>\","
             "\"data\":{\"name\":\"%s\"}}", app);
    test_json_expect(e, want);
    cJSON_Delete(e);
}

/* The next event must be manifest_published carrying the stored form. */
static void
expect_published(const char *app, const char *version)
{
    cJSON *e = test_api_next_event(events, TEST_API_WAIT_MS);
    ck_assert_msg(e != NULL, "no manifest_published event for %s", app);
    char *stored = test_api_stored(app, version, NULL);
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"specversion\":\"1.0\",\"id\":\"<uuid>\",\"type\":"
             "\"com.wadm.manifest_published\",\"source\":\"wadm\","
             "\"datacontenttype\":\"application/json\",\"time\":\"<time>\","
             "\"data\":%s}", stored);
    test_json_expect(e, want);
    free(stored);
    cJSON_Delete(e);
}

static void
no_event(void)
{
    test_api_expect_no_event(&api, events);
}

/* deployed_version in the bucket record of app ("" for null). */
static void
expect_deployed_in_kv(const char *app, const char *want)
{
    char key[256];
    snprintf(key, sizeof(key), "default-%s", app);
    char *rec = test_kv_get(&api, key);
    ck_assert_ptr_nonnull(rec);
    cJSON *o = cJSON_Parse(rec);
    const cJSON *dv = cJSON_GetObjectItem(o, "deployed_version");
    ck_assert_msg(want[0] ? cJSON_IsString(dv) &&
                                strcmp(dv->valuestring, want) == 0
                          : cJSON_IsNull(dv),
                  "record %s: want deployed_version %s", rec,
                  want[0] ? want : "null");
    cJSON_Delete(o);
    free(rec);
}

#define DEPLOYED(app, v)                                                 \
    "{\"result\":\"acknowledged\",\"message\":\"Successfully deployed "    \
    "application " app " " v "\",\"name\":\"" app "\",\"version\":\"" v  \
    "\"}"

/* ---- del (4.6) -------------------------------------------------------- */

START_TEST(test_api_del_app_not_stored_is_noop_and_notifies)
{
    if (!up())
        return;
    expect("model.del.ghost", NULL,
           "{\"result\":\"noop\",\"message\":\"Application ghost doesn't "
           "exist or was already deleted\",\"undeploy\":false}");
    expect_unpublished("ghost");
    expect("model.del.ghost", vbody("v1"),
           "{\"result\":\"noop\",\"message\":\"Application ghost doesn't "
           "exist or was already deleted\",\"undeploy\":false}");
    expect_unpublished("ghost");
    down();
}
END_TEST

START_TEST(test_api_del_whole_app)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    put_ok("echo", "v2");
    put_ok("keep", "v1");
    /* never deployed, yet undeploy is true (api.md 10.6) */
    expect("model.del.echo", NULL,
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
           "application echo\",\"undeploy\":true}");
    expect_unpublished("echo");
    char *rec = test_kv_get(&api, "default-echo");
    ck_assert_ptr_null(rec);
    char *idx = test_kv_get(&api, "default");
    ck_assert_str_eq(idx, "[\"keep\"]");
    free(idx);
    expect("model.get.echo", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name echo not found\"}");
    /* the last application gone: the index stays as [] */
    expect("model.del.keep", "{\"version\":null}",
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
           "application keep\",\"undeploy\":true}");
    expect_unpublished("keep");
    idx = test_kv_get(&api, "default");
    ck_assert_str_eq(idx, "[]");
    free(idx);
    expect("model.list", NULL, "[]");
    down();
}
END_TEST

START_TEST(test_api_del_missing_version_is_noop_and_notifies)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.deploy.echo", NULL, DEPLOYED("echo", "v1"));
    expect_published("echo", "v1");
    expect("model.del.echo", vbody("v9"),
           "{\"result\":\"noop\",\"message\":\"Application version v9 "
           "doesn't exist\",\"undeploy\":false}");
    /* upstream quirk kept: notifies although the record stays deployed */
    expect_unpublished("echo");
    expect_deployed_in_kv("echo", "v1");
    down();
}
END_TEST

START_TEST(test_api_del_deployed_version)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    put_ok("echo", "v2");
    expect("model.deploy.echo", vbody("v2"), DEPLOYED("echo", "v2"));
    expect_published("echo", "v2");
    expect("model.del.echo", vbody("v2"),
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
           "version v2 of application echo\",\"undeploy\":true}");
    expect_unpublished("echo");
    expect_deployed_in_kv("echo", "");
    /* the previous version is current again */
    expect("model.get.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"manifest\":{"
           "\"apiVersion\":\"<str>\",\"kind\":\"<str>\",\"metadata\":{"
           "\"name\":\"echo\",\"annotations\":{\"version\":\"v1\"}},"
           "\"spec\":\"<any>\"}}");
    down();
}
END_TEST

START_TEST(test_api_del_other_version_keeps_the_deployment)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    put_ok("echo", "v2");
    expect("model.deploy.echo", vbody("v1"), DEPLOYED("echo", "v1"));
    expect_published("echo", "v1");
    expect("model.del.echo", vbody("v2"),
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted "
           "version v2 of application echo\",\"undeploy\":false}");
    no_event();
    expect_deployed_in_kv("echo", "v1");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":true}]}");
    down();
}
END_TEST

START_TEST(test_api_del_last_version)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.del.echo", vbody("v1"),
           "{\"result\":\"deleted\",\"message\":\"Successfully deleted last "
           "version of application echo\",\"undeploy\":true}");
    expect_unpublished("echo");
    char *rec = test_kv_get(&api, "default-echo");
    ck_assert_ptr_null(rec);
    expect("model.versions.echo", NULL,
           "{\"result\":\"notfound\",\"message\":\"<str>\",\"versions\":[]}");
    /* a new put after the purge starts again at 1 */
    put_ok("echo", "v1");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false}]}");
    down();
}
END_TEST

START_TEST(test_api_del_body_parse_errors)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    static const char *const bad[] = {"nope", "[]", "{\"version\":true}",
                                      NULL};
    test_api_expect_each(&api, "model.del.echo", bad,
                         "{\"message\":\"<prefix>Unable to parse delete "
                         "application request: \",\"result\":\"error\"}");
    no_event();
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "\"<any>\"]}");
    down();
}
END_TEST

/* ---- deploy (4.7) ----------------------------------------------------- */

START_TEST(test_api_deploy_current_explicit_and_latest)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    put_ok("echo", "v2");
    expect("model.deploy.echo", NULL, DEPLOYED("echo", "v2"));
    expect_published("echo", "v2");
    expect_deployed_in_kv("echo", "v2");
    expect("model.deploy.echo", vbody("v1"), DEPLOYED("echo", "v1"));
    expect_published("echo", "v1");
    expect_deployed_in_kv("echo", "v1");
    expect("model.deploy.echo", vbody("latest"), DEPLOYED("echo", "v2"));
    expect_published("echo", "v2");
    expect("model.deploy.echo", "{\"version\":null,\"x\":1}",
           DEPLOYED("echo", "v2"));
    expect_published("echo", "v2");
    /* deploying the deployed version again is allowed */
    expect("model.deploy.echo", "{}", DEPLOYED("echo", "v2"));
    expect_published("echo", "v2");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false},"
           "{\"version\":\"v2\",\"deployed\":true}]}");
    down();
}
END_TEST

START_TEST(test_api_deploy_missing_and_empty_versions)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.deploy.echo", vbody("v7"),
           "{\"result\":\"error\",\"message\":\"Application with the name "
           "'echo' does not have a version 'v7' to deploy\",\"name\":"
           "\"echo\",\"version\":\"v7\"}");
    /* the empty string is looked up literally */
    expect("model.deploy.echo", vbody(""),
           "{\"result\":\"error\",\"message\":\"Application with the name "
           "'echo' does not have a version '' to deploy\",\"name\":"
           "\"echo\",\"version\":\"\"}");
    no_event();
    expect_deployed_in_kv("echo", "");
    down();
}
END_TEST

START_TEST(test_api_deploy_notfound)
{
    if (!up())
        return;
    expect("model.deploy.ghost", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name ghost not found\",\"name\":\"ghost\",\"version\":null}");
    expect("model.deploy.ghost", vbody("v1"),
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name ghost not found\",\"name\":\"ghost\",\"version\":\"v1\"}");
    no_event();
    down();
}
END_TEST

/* An app with one component carrying an explicit id. */
static void
put_with_id(const char *app, const char *version, const char *id)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"
             "metadata:\n  name: %s\n  annotations: {version: %s}\n"
             "spec:\n  components:\n"
             "    - name: web\n      type: component\n"
             "      properties: {image: img, id: %s}\n",
             app, version, id);
    put_text(text);
}

START_TEST(test_api_deploy_component_id_clash)
{
    if (!up())
        return;
    put_with_id("first", "v1", "shared-id");
    put_with_id("second", "v1", "shared-id");
    expect("model.deploy.first", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"first\",\"version\":\"v1\"}");
    cJSON_Delete(test_api_next_event(events, TEST_API_WAIT_MS));
    expect("model.deploy.second", NULL,
           "{\"message\":\"Component identifier 'shared-id' is already "
           "deployed in a different application 'first'.\","
           "\"result\":\"error\"}");
    no_event();
    /* the same application may keep its ids across versions */
    put_with_id("first", "v2", "shared-id");
    expect("model.deploy.first", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"first\",\"version\":\"v2\"}");
    cJSON_Delete(test_api_next_event(events, TEST_API_WAIT_MS));
    /* once first is undeployed the id is free */
    expect("model.undeploy.first", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"first\",\"version\":null}");
    expect_unpublished("first");
    expect("model.deploy.second", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"second\",\"version\":\"v1\"}");
    down();
}
END_TEST

#define SHARED_APP                                                       \
    "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"              \
    "metadata:\n  name: shared-http\n  annotations:\n"                   \
    "    version: v1\n    experimental.wasmcloud.dev/shared: 'true'\n"   \
    "spec:\n  components:\n"                                             \
    "    - name: httpserver\n      type: capability\n"                   \
    "      properties: {image: 'ghcr.io/wasmcloud/http-server:0.23.0'}\n"

#define DEV_APP                                                          \
    "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"              \
    "metadata:\n  name: dev\n  annotations: {version: v1}\n"             \
    "spec:\n  components:\n"                                             \
    "    - name: httpserver\n      type: capability\n"                   \
    "      properties:\n        application:\n"                          \
    "          name: shared-http\n          component: httpserver\n"

START_TEST(test_api_deploy_needs_shared_components)
{
    if (!up())
        return;
    put_text(DEV_APP);
    expect("model.deploy.dev", NULL,
           "{\"message\":\"Application contains shared components that are "
           "not deployed in other applications: [\\\"httpserver\\\"]\","
           "\"result\":\"error\"}");
    /* stored but not deployed: still missing */
    put_text(SHARED_APP);
    expect("model.deploy.dev", NULL,
           "{\"message\":\"<prefix>Application contains shared components\","
           "\"result\":\"error\"}");
    no_event();
    expect("model.deploy.shared-http", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"shared-http\",\"version\":\"v1\"}");
    cJSON_Delete(test_api_next_event(events, TEST_API_WAIT_MS));
    expect("model.deploy.dev", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"dev\",\"version\":\"v1\"}");
    /* now a put of the dev app has nothing to report */
    char *v2 = strdup(DEV_APP);
    v2[strstr(v2, "version: v1") - v2 + 10] = '2';
    cJSON *r = test_api_put(&api, v2, NULL);
    test_json_expect(r, "{\"result\":\"newversion\",\"total_versions\":2,"
                        "\"current_version\":\"v2\",\"message\":"
                        "\"Successfully put manifest dev v1\","
                        "\"name\":\"dev\"}");
    cJSON_Delete(r);
    free(v2);
    down();
}
END_TEST

START_TEST(test_api_deploy_body_parse_errors)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    static const char *const bad[] = {"v1", "[\"v1\"]", "{\"version\":1}",
                                      NULL};
    test_api_expect_each(&api, "model.deploy.echo", bad,
                         "{\"message\":\"<prefix>Unable to parse deploy "
                         "application request: \",\"result\":\"error\"}");
    no_event();
    down();
}
END_TEST

/* ---- undeploy (4.8) and status (4.9) ---------------------------------- */

/* Polls model.status.<app> until it answers want (a deadline, no sleep). */
static bool
status_is(const char *app, const char *want)
{
    char op[256];
    snprintf(op, sizeof(op), "model.status.%s", app);
    cJSON *w = cJSON_Parse(want);
    ck_assert_ptr_nonnull(w);
    uint64_t deadline = test_now_ms() + 5000;
    bool ok = false;
    while (!ok && test_now_ms() < deadline) {
        cJSON *r = test_api_call(&api, op, NULL);
        char why[512];
        ok = test_json_match(r, w, why, sizeof(why));
        cJSON_Delete(r);
        if (!ok)
            test_pause_ms(20);
    }
    cJSON_Delete(w);
    return ok;
}

#define UNDEPLOYED_STATUS(app)                                           \
    "{\"result\":\"ok\",\"message\":\"Successfully fetched status for "   \
    "application " app "\",\"status\":{\"status\":{\"type\":"            \
    "\"undeployed\",\"message\":\"Manifest has been undeployed\"},"      \
    "\"version\":\"\",\"components\":[]}}"

START_TEST(test_api_undeploy_deployed_then_again)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.deploy.echo", NULL, DEPLOYED("echo", "v1"));
    expect_published("echo", "v1");
    expect("model.undeploy.echo", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"Successfully "
           "undeployed application echo\",\"name\":\"echo\",\"version\":"
           "null}");
    expect_unpublished("echo");
    expect_deployed_in_kv("echo", "");
    ck_assert_msg(status_is("echo", UNDEPLOYED_STATUS("echo")),
                  "status never became undeployed");
    /* again: acknowledged, and the notification is sent again */
    expect("model.undeploy.echo", "{\"non_destructive\":true}",
           "{\"result\":\"acknowledged\",\"message\":\"Application echo was "
           "already undeployed\",\"name\":\"echo\",\"version\":null}");
    expect_unpublished("echo");
    /* versions are all kept */
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false}]}");
    down();
}
END_TEST

START_TEST(test_api_undeploy_notfound_and_bad_body)
{
    if (!up())
        return;
    expect("model.undeploy.ghost", NULL,
           "{\"result\":\"notfound\",\"message\":\"Application with the "
           "name ghost not found\",\"name\":\"ghost\",\"version\":null}");
    no_event();
    put_ok("echo", "v1");
    expect("model.undeploy.echo", "not json",
           "{\"message\":\"<prefix>Unable to parse undeploy application "
           "request: \",\"result\":\"error\"}");
    expect("model.undeploy.echo", "[1]",
           "{\"message\":\"<prefix>Unable to parse undeploy application "
           "request: \",\"result\":\"error\"}");
    no_event();
    down();
}
END_TEST

START_TEST(test_api_status_default_for_unknown_app)
{
    if (!up())
        return;
    expect("model.status.foo", NULL,
           "{\"result\":\"ok\",\"message\":\"Successfully fetched status for "
           "application foo\",\"status\":{\"status\":{\"type\":"
           "\"undeployed\"},\"version\":\"\",\"components\":[]}}");
    expect("model.status.foo", "body is ignored",
           "{\"result\":\"ok\",\"message\":\"<str>\",\"status\":\"<any>\"}");
    down();
}
END_TEST

START_TEST(test_api_status_kept_after_delete)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.deploy.echo", NULL, DEPLOYED("echo", "v1"));
    expect("model.del.echo", NULL,
           "{\"result\":\"deleted\",\"message\":\"<str>\",\"undeploy\":true}");
    ck_assert(status_is("echo", UNDEPLOYED_STATUS("echo")));
    down();
}
END_TEST

START_TEST(test_api_history_is_always_an_error)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    expect("model.history.echo", NULL,
           "{\"message\":\"Model deployment history is not currently "
           "supported. It may be added in a future version\","
           "\"result\":\"error\"}");
    expect("model.history.ghost", "{}",
           "{\"message\":\"<prefix>Model deployment history is not\","
           "\"result\":\"error\"}");
    down();
}
END_TEST

/* ---- transport (1, 2.1, 2.3) ------------------------------------------ */

static bool
get_found(void *arg)
{
    char op[256];
    snprintf(op, sizeof(op), "model.get.%s", (const char *)arg);
    cJSON *r = test_api_call(&api, op, NULL);
    bool ok = strcmp(test_json_str(r, "result"), "success") == 0;
    cJSON_Delete(r);
    return ok;
}

static bool
echo_deployed(void *arg)
{
    (void)arg;
    cJSON *r = test_api_call(&api, "model.versions.echo", NULL);
    char *t = cJSON_PrintUnformatted(r);
    bool ok = strstr(t, "\"deployed\":true") != NULL;
    free(t);
    cJSON_Delete(r);
    return ok;
}

START_TEST(test_api_request_without_reply_is_carried_out)
{
    if (!up())
        return;
    char *m = test_api_manifest("echo", "v1", NULL);
    ck_assert_int_eq(natsConnection_PublishString(
                         api.nc, "wadm.api.default.model.put", m),
                     NATS_OK);
    free(m);
    ck_assert(test_wait_until(get_found, "echo", 5000));
    ck_assert_int_eq(natsConnection_PublishString(
                         api.nc, "wadm.api.default.model.deploy.echo", ""),
                     NATS_OK);
    ck_assert(test_wait_until(echo_deployed, NULL, 5000));
    expect_published("echo", "v1");
    /* and wadm has nothing left waiting for it */
    char *d = test_wadm_dump(&api.wadm);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(test_dump_num(d, "worker ingest.0", "api_pending"), 0);
    free(d);
    down();
}
END_TEST

START_TEST(test_api_custom_prefix_is_trimmed)
{
    char *extra[] = {"--api-prefix", " .custom.api. ", NULL};
    if (!up_with(extra))
        return;
    snprintf(api.prefix, sizeof(api.prefix), "custom.api");
    put_ok("echo", "v1");
    expect("model.list", NULL,
           "[{\"name\":\"echo\",\"version\":\"v1\",\"description\":null,"
           "\"deployed_version\":null,\"detailed_status\":\"<any>\","
           "\"status\":\"undeployed\",\"status_message\":\"<str>\"}]");
    natsStatus s;
    char *text = test_api_request(&api, "wadm.api.default.model.list", "",
                                  0, NULL, NULL, 1000, &s);
    ck_assert_ptr_null(text);
    down();
}
END_TEST

START_TEST(test_api_multitenant_keys_by_account)
{
    char *extra[] = {"--multitenant", NULL};
    if (!up_with(extra))
        return;
    snprintf(api.prefix, sizeof(api.prefix), "Axxx.wadm.api");
    put_ok("echo", "v1");
    put_ok("echo", "v2");
    expect("model.deploy.echo", vbody("v1"), DEPLOYED("echo", "v1"));
    /* events are not account-scoped */
    expect_published("echo", "v1");
    char *rec = test_kv_get(&api, "Axxx-default-echo");
    ck_assert_ptr_nonnull(rec);
    cJSON *o = cJSON_Parse(rec);
    test_json_expect(o, "{\"manifests\":{\"v1\":\"<any>\",\"v2\":\"<any>\"},"
                        "\"deployed_version\":\"v1\"}");
    cJSON_Delete(o);
    free(rec);
    char *idx = test_kv_get(&api, "Axxx-default");
    ck_assert_str_eq(idx, "[\"echo\"]");
    free(idx);
    ck_assert_ptr_null(test_kv_get(&api, "default-echo"));
    ck_assert_ptr_null(test_kv_get(&api, "default"));
    /* another account sees nothing */
    snprintf(api.prefix, sizeof(api.prefix), "Byyy.wadm.api");
    expect("model.get.echo", NULL,
           "{\"result\":\"notfound\",\"message\":\"<str>\"}");
    expect("model.list", NULL, "[]");
    expect("model.del.echo", NULL,
           "{\"result\":\"noop\",\"message\":\"<str>\",\"undeploy\":false}");
    snprintf(api.prefix, sizeof(api.prefix), "Axxx.wadm.api");
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":true},"
           "{\"version\":\"v2\",\"deployed\":false}]}");
    /* without the account token the subject is not wadm's */
    natsStatus s;
    char *text = test_api_request(&api, "wadm.api.default.model.list", "",
                                  0, NULL, NULL, 1000, &s);
    ck_assert_ptr_null(text);
    down();
}
END_TEST

Suite *
api_ops_suite(void)
{
    Suite *s = suite_create("api_ops");
    TCase *tc = tcase_create("del");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_del_app_not_stored_is_noop_and_notifies);
    tcase_add_test(tc, test_api_del_whole_app);
    tcase_add_test(tc, test_api_del_missing_version_is_noop_and_notifies);
    tcase_add_test(tc, test_api_del_deployed_version);
    tcase_add_test(tc, test_api_del_other_version_keeps_the_deployment);
    tcase_add_test(tc, test_api_del_last_version);
    tcase_add_test(tc, test_api_del_body_parse_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("deploy");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_deploy_current_explicit_and_latest);
    tcase_add_test(tc, test_api_deploy_missing_and_empty_versions);
    tcase_add_test(tc, test_api_deploy_notfound);
    tcase_add_test(tc, test_api_deploy_component_id_clash);
    tcase_add_test(tc, test_api_deploy_needs_shared_components);
    tcase_add_test(tc, test_api_deploy_body_parse_errors);
    tcase_add_test(tc, test_api_undeploy_deployed_then_again);
    tcase_add_test(tc, test_api_undeploy_notfound_and_bad_body);
    tcase_add_test(tc, test_api_status_default_for_unknown_app);
    tcase_add_test(tc, test_api_status_kept_after_delete);
    tcase_add_test(tc, test_api_history_is_always_an_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("transport");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_request_without_reply_is_carried_out);
    tcase_add_test(tc, test_api_custom_prefix_is_trimmed);
    tcase_add_test(tc, test_api_multitenant_keys_by_account);
    suite_add_tcase(s, tc);
    return s;
}
