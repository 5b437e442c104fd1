/*
 * check_rec_scenario.c - the worked examples of spec/scalers.md 14 that
 * need the BackoffWrapper, lifecycles and status documents (11-13), run
 * through the rec_engine API with a fake io callback playing the hosts:
 * every request is recorded with its subject and body and answered as a
 * real host would, events are fed back, statuses are captured.
 *
 * wadm-c reads configs through a cache (rec_lcache): an unknown config
 * costs one config.get round trip before the config.put of 14.1 and 14.9,
 * and a link whose configs are in place is put without waiting for the
 * next event. The bodies, subjects and final states are the spec's.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/manifest/mf.h"
#include "common/xalloc.h"
#include "test/lib/test_lattice.h"
#include "test/lib/test_util.h"
#include "workers/reconciler/rec_engine.h"

#define SENT_MAX 512
#define STORE_MAX 32

typedef struct sent {
    char *subject;
    char *body;
    uint64_t id;
    bool is_answered;
} sent_t;

static rec_engine_t eng;
static sent_t sent[SENT_MAX];
static size_t nsent;
static size_t nseen; /* sent[] entries already looked at by the test */
static uint64_t next_id;
static char *status_app;
static char *status_doc;
static bool is_status_refused; /* the publisher is fenced or down */
static size_t nstatus_refused;
/* the lattice's config store, as config.put/get/del see it */
static char *store_name[STORE_MAX];
static char *store_val[STORE_MAX];
static size_t nstore;

static int
fake_send(void *arg, const char *subject, const char *body,
          uint64_t timeout_ms, uint64_t gather_ms, uint64_t *cmd_id)
{
    (void)arg;
    (void)timeout_ms;
    (void)gather_ms;
    ck_assert_uint_lt(nsent, SENT_MAX);
    sent[nsent].subject = xstrdup(subject);
    sent[nsent].body = xstrdup(body);
    sent[nsent].id = ++next_id;
    sent[nsent].is_answered = false;
    *cmd_id = sent[nsent].id;
    nsent++;
    return 0;
}

static int
fake_status(void *arg, const char *app, const char *json)
{
    (void)arg;
    if (is_status_refused) {
        nstatus_refused++;
        return -1;
    }
    free(status_app);
    free(status_doc);
    status_app = xstrdup(app);
    status_doc = xstrdup(json);
    return 0;
}

static void
reply(size_t i, const char *envelope)
{
    proto_reply_t r;
    memset(&r, 0, sizeof(r));
    r.body.data = (uint8_t *)envelope;
    r.body.len = strlen(envelope);
    proto_result_t res;
    memset(&res, 0, sizeof(res));
    res.cmd_id = sent[i].id;
    res.is_ok = true;
    res.replies.n = 1;
    res.replies.items = &r;
    sent[i].is_answered = true;
    rec_engine_result(&eng, &res, 1);
}

static size_t
store_find(const char *name)
{
    for (size_t i = 0; i < nstore; i++)
        if (strcmp(store_name[i], name) == 0)
            return i;
    return nstore;
}

/* Answers every request not answered yet, as a host would. */
static void
answer_all(uint64_t now)
{
    for (size_t i = 0; i < nsent; i++) {
        if (sent[i].is_answered)
            continue;
        const char *sub = sent[i].subject;
        const char *cfg = strstr(sub, ".config.");
        if (cfg && strncmp(cfg, ".config.get.", 12) == 0) {
            size_t k = store_find(cfg + 12);
            if (k == nstore) {
                reply(i, "{\"success\":true,\"message\":"
                         "\"Configuration not found\"}");
            } else {
                char *env = xasprintf("{\"success\":true,\"message\":\"\","
                                      "\"response\":%s}", store_val[k]);
                reply(i, env);
                free(env);
            }
        } else if (cfg && strncmp(cfg, ".config.put.", 12) == 0) {
            size_t k = store_find(cfg + 12);
            if (k == nstore) {
                ck_assert_uint_lt(nstore, STORE_MAX);
                store_name[nstore++] = xstrdup(cfg + 12);
            } else {
                free(store_val[k]);
            }
            store_val[k] = xstrdup(sent[i].body);
            reply(i, "{\"success\":true,\"message\":\"\"}");
        } else if (strstr(sub, ".link.get")) {
            reply(i, "{\"success\":true,\"message\":\"\",\"response\":[]}");
        } else if (strstr(sub, ".host.ping")) {
            proto_result_t res;
            memset(&res, 0, sizeof(res));
            res.cmd_id = sent[i].id;
            res.is_ok = true;
            sent[i].is_answered = true;
            rec_engine_result(&eng, &res, now);
        } else {
            reply(i, "{\"success\":true,\"message\":\"\"}");
        }
    }
    rec_engine_pass(&eng, now);
}

static void
event(int kind, const char *source, const char *data, uint64_t now)
{
    rec_state_change_t chg;
    rec_state_change_init(&chg);
    ck_assert_int_eq(rec_engine_event(&eng, kind, source, data, strlen(data),
                                      now, 1700000000000000ull, &chg),
                     0);
    rec_state_change_destroy(&chg);
    rec_engine_pass(&eng, now);
}

static void
heartbeat(const char *host, const char *labels, const char *components,
          const char *providers, uint64_t now)
{
    char *hb = xasprintf("{\"components\":[%s],\"providers\":[%s],"
                         "\"friendly_name\":\"f\",\"labels\":{%s},"
                         "\"version\":\"1.8.0\",\"uptime_human\":\"1s\","
                         "\"uptime_seconds\":1}",
                         components ? components : "",
                         providers ? providers : "", labels ? labels : "");
    event(CE_KIND_HOST_HEARTBEAT, host, hb, now);
    free(hb);
}

static void
setup(void)
{
    nsent = nseen = 0;
    next_id = 0;
    nstore = 0;
    status_app = status_doc = NULL;
    is_status_refused = false;
    nstatus_refused = 0;
    log_init("test", false, LL_ERROR);
    rec_engine_io_t io = {fake_send, fake_status, NULL};
    rec_engine_init(&eng, "default", &io);
    rec_engine_discover(&eng, 0);
    answer_all(0);
    ck_assert(eng.is_ready);
    nseen = nsent;
}

static void
teardown(void)
{
    rec_engine_destroy(&eng);
    for (size_t i = 0; i < nsent; i++) {
        free(sent[i].subject);
        free(sent[i].body);
    }
    for (size_t i = 0; i < nstore; i++) {
        free(store_name[i]);
        free(store_val[i]);
    }
    free(status_app);
    free(status_doc);
}

static void
deploy(const char *yaml, uint64_t now)
{
    mf_manifest_t *m = NULL;
    char *err = NULL;
    if (mf_parse(yaml, strlen(yaml), MF_FORMAT_YAML, &m, &err) != 0)
        ck_abort_msg("manifest: %s", err);
    cJSON *j = mf_to_json(m);
    ck_assert_int_eq(rec_engine_deploy(&eng, m->name, j, now), 0);
    cJSON_Delete(j);
    mf_free(m);
}

static char *
fixture_text(const char *rel)
{
    const char *path = test_fixture_path(rel);
    char *text = path ? test_read_file(path, NULL) : NULL;
    if (text == NULL)
        test_skip("rec_scenario: fixture %s absent", rel);
    return text;
}

/* Both fixtures' texts (caller frees), or false (skipped) if one is absent. */
static bool
fixture_pair(const char *a, const char *b, char **ta, char **tb)
{
    *ta = fixture_text(a);
    *tb = *ta ? fixture_text(b) : NULL;
    if (*tb != NULL)
        return true;
    free(*ta);
    return false;
}

/* The next new request must be subject (and body unless NULL). */
static void
expect_next(const char *subject, const char *body)
{
    ck_assert_msg(nseen < nsent, "no request sent; wanted %s", subject);
    ck_assert_str_eq(sent[nseen].subject, subject);
    if (body)
        ck_assert_str_eq(sent[nseen].body, body);
    nseen++;
}

static void
expect_nothing_new(void)
{
    ck_assert_msg(nseen == nsent, "unexpected request %s %s",
                  nseen < nsent ? sent[nseen].subject : "",
                  nseen < nsent ? sent[nseen].body : "");
}

/* Skips new requests until one with this subject; returns its body. */
static const char *
find_next(const char *subject)
{
    for (; nseen < nsent; nseen++)
        if (strcmp(sent[nseen].subject, subject) == 0)
            return sent[nseen++].body;
    ck_abort_msg("no request %s", subject);
    return NULL;
}

static size_t
count_sent(const char *subject)
{
    size_t n = 0;
    for (size_t i = 0; i < nsent; i++)
        n += strcmp(sent[i].subject, subject) == 0;
    return n;
}

/* ---- 14.1 --------------------------------------------------------------- */

#define HELLO_REF "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"
#define HTTP_REF "ghcr.io/wasmcloud/http-server:0.23.0"
#define ID_C "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac"
#define ID_P "71e4e16aae6b1fd1cac75ad82f407ccabbba4adfcfb631c6a84da5db2eb4759b"
#define ID_L "0fcff01255dc1d2cf54a276555e7cf894fae75a49d273d1a0264a609e9a62aa5"
#define ANN_C                                                                 \
    "{\"wasmcloud.dev/appspec\":\"hello-simple\","                            \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\"" ID_C  \
    "\",\"wasmcloud.dev/spread_name\":\"default\"}"
#define ANN_P                                                                 \
    "{\"wasmcloud.dev/appspec\":\"hello-simple\","                            \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\"" ID_P  \
    "\",\"wasmcloud.dev/spread_name\":\"default\"}"
#define SCALE_BODY(n)                                                         \
    "{\"component_ref\":\"" HELLO_REF "\",\"component_id\":"                  \
    "\"http_hello_world\",\"annotations\":" ANN_C ",\"count\":" #n            \
    ",\"host_id\":\"H1\",\"config\":[],\"allow_update\":false}"
#define START_BODY                                                            \
    "{\"provider_id\":\"http_server\",\"provider_ref\":\"" HTTP_REF "\","     \
    "\"host_id\":\"H1\",\"config\":[],\"annotations\":" ANN_P "}"
#define LINK_BODY                                                             \
    "{\"source_id\":\"http_server\",\"target\":\"http_hello_world\","         \
    "\"name\":\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"        \
    "\"http\",\"interfaces\":[\"incoming-handler\"],\"source_config\":["      \
    "\"hello_simple-httpaddr\"],\"target_config\":[]}"
#define CTL "wasmbus.ctl.v1.default."
#define UNDEPLOYED                                                            \
    "{\"status\":{\"type\":\"undeployed\",\"message\":\"Manifest has been "   \
    "undeployed\"},\"version\":\"\",\"components\":[]}"


static void
simple_echoes(uint64_t now)
{
    event(CE_KIND_COMPONENT_SCALED, "H1",
          "{\"annotations\":" ANN_C ",\"image_ref\":\"" HELLO_REF "\","
          "\"component_id\":\"http_hello_world\",\"max_instances\":4}",
          now);
    event(CE_KIND_PROVIDER_STARTED, "H1",
          "{\"annotations\":" ANN_P ",\"image_ref\":\"" HTTP_REF "\","
          "\"provider_id\":\"http_server\"}",
          now);
}

START_TEST(test_ex14_1_simple_app_end_to_end)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    deploy(test_yaml_hello_simple, 1000);
    expect_next(CTL "component.scale.H1", SCALE_BODY(4));
    expect_next(CTL "provider.start.H1", START_BODY);
    expect_next(CTL "config.get.hello_simple-httpaddr", "");
    expect_nothing_new();
    ck_assert_str_eq(status_app, "hello-simple");
    ck_assert_str_eq(
        status_doc,
        "{\"status\":{\"type\":\"reconciling\",\"message\":\"Scaling "
        "component on 1 host(s), Scaling provider on 1 host(s), Putting link "
        "definition between http_server and http_hello_world\"},"
        "\"scalers\":[{\"id\":\"" ID_C "\",\"kind\":\"SpreadScaler\","
        "\"name\":\"http_hello_world\",\"status\":{\"type\":\"reconciling\","
        "\"message\":\"Scaling component on 1 host(s)\"}},{\"id\":\"" ID_P
        "\",\"kind\":\"SpreadScaler\",\"name\":\"http_server\",\"status\":{"
        "\"type\":\"reconciling\",\"message\":\"Scaling provider on 1 "
        "host(s)\"}},{\"id\":\"" ID_L "\",\"kind\":\"LinkScaler\",\"name\":"
        "\"http_server -(wasi:http)-> http_hello_world\",\"status\":{\"type\":"
        "\"reconciling\",\"message\":\"Putting link definition between "
        "http_server and http_hello_world\"}}],\"version\":\"\","
        "\"components\":[]}");
    /* the config is missing: put it (no link yet, it waits for it) */
    answer_all(1100);
    expect_next(CTL "config.put.hello_simple-httpaddr",
                "{\"address\":\"0.0.0.0:8080\"}");
    expect_nothing_new();
    answer_all(1200);
    event(CE_KIND_CONFIG_SET, NULL,
          "{\"config_name\":\"hello_simple-httpaddr\"}", 1300);
    answer_all(1300);
    simple_echoes(1400);
    answer_all(1400);
    ck_assert_str_eq(find_next(CTL "link.put"), LINK_BODY);
    answer_all(1500);
    event(CE_KIND_LINKDEF_SET, "H1", LINK_BODY, 1600);
    event(CE_KIND_HEALTH_CHECK_PASSED, "H1",
          "{\"host_id\":\"H1\",\"provider_id\":\"http_server\"}", 1700);
    heartbeat("H1", NULL,
              "{\"id\":\"http_hello_world\",\"image_ref\":\"" HELLO_REF "\","
              "\"annotations\":" ANN_C ",\"max_instances\":4}",
              "{\"id\":\"http_server\",\"image_ref\":\"" HTTP_REF "\","
              "\"annotations\":" ANN_P "}",
              31000);
    answer_all(31000);
    /* no command was ever repeated, nothing else was asked of the host */
    ck_assert_uint_eq(count_sent(CTL "component.scale.H1"), 1);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 1);
    ck_assert_uint_eq(count_sent(CTL "link.put"), 1);
    ck_assert_uint_eq(count_sent(CTL "config.put.hello_simple-httpaddr"), 1);
    ck_assert_str_eq(
        status_doc,
        "{\"status\":{\"type\":\"deployed\"},\"scalers\":[{\"id\":\"" ID_C
        "\",\"kind\":\"SpreadScaler\",\"name\":\"http_hello_world\","
        "\"status\":{\"type\":\"deployed\"}},{\"id\":\"" ID_P "\",\"kind\":"
        "\"SpreadScaler\",\"name\":\"http_server\",\"status\":{\"type\":"
        "\"deployed\"}},{\"id\":\"" ID_L "\",\"kind\":\"LinkScaler\","
        "\"name\":\"http_server -(wasi:http)-> http_hello_world\","
        "\"status\":{\"type\":\"deployed\"}}],\"version\":\"\","
        "\"components\":[]}");
    /* undeploy */
    nseen = nsent;
    rec_engine_undeploy(&eng, "hello-simple", 40000);
    expect_next(CTL "component.scale.H1", SCALE_BODY(0));
    expect_next(CTL "provider.stop.H1",
                "{\"host_id\":\"H1\",\"provider_id\":\"http_server\"}");
    expect_next(CTL "link.del",
                "{\"source_id\":\"http_server\",\"name\":\"default\","
                "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}");
    expect_next(CTL "config.del.hello_simple-httpaddr", "");
    expect_nothing_new();
    ck_assert_str_eq(status_doc, UNDEPLOYED);
}
END_TEST

/* 14.1 through the fixture file itself. */
START_TEST(test_ex14_1_fixture_deploy_sends_the_spec_bodies)
{
    char *text = fixture_text("manifests/simple.yaml");
    if (text == NULL)
        return;
    heartbeat("H1", NULL, NULL, NULL, 100);
    deploy(text, 1000);
    free(text);
    expect_next(CTL "component.scale.H1", SCALE_BODY(4));
    expect_next(CTL "provider.start.H1", START_BODY);
}
END_TEST

/* ---- 14.5 at the wrapper: a matching echo produces nothing -------------- */

#define AGENT_REF "ghcr.io/example/agent:1.0.0"
#define ID_D "9d89c3abe6ac97019667b91f3e39d84e8827163e7952e5886777b3dff2b0ff71"

START_TEST(test_ex14_5_matching_echo_clears_then_next_event_fills)
{
    heartbeat("H1", "\"location\":\"edge\"",
              "{\"id\":\"daemon_demo-agent\",\"image_ref\":\"" AGENT_REF "\","
              "\"annotations\":{\"wasmcloud.dev/scaler\":\"" ID_D "\","
              "\"wasmcloud.dev/spread_name\":\"edge\"},\"max_instances\":2}",
              NULL, 100);
    heartbeat("H2", "\"location\":\"edge\"", NULL, NULL, 100);
    heartbeat("H3", "\"location\":\"cloud\"",
              "{\"id\":\"daemon_demo-agent\",\"image_ref\":\"" AGENT_REF "\","
              "\"max_instances\":1}",
              NULL, 100);
    deploy("apiVersion: core.oam.dev/v1beta1\n"
           "kind: Application\n"
           "metadata:\n"
           "  name: daemon-demo\n"
           "  annotations: {}\n"
           "spec:\n"
           "  components:\n"
           "    - name: agent\n"
           "      type: component\n"
           "      properties:\n"
           "        image: " AGENT_REF "\n"
           "      traits:\n"
           "        - type: daemonscaler\n"
           "          properties:\n"
           "            instances: 2\n"
           "            spread:\n"
           "              - name: edge\n"
           "                requirements: {location: edge}\n",
           1000);
    expect_next(CTL "component.scale.H3",
                "{\"component_ref\":\"" AGENT_REF "\",\"component_id\":"
                "\"daemon_demo-agent\",\"annotations\":{"
                "\"wasmcloud.dev/appspec\":\"daemon-demo\","
                "\"wasmcloud.dev/managed-by\":\"wadm\"},\"count\":0,"
                "\"host_id\":\"H3\",\"config\":[],\"allow_update\":false}");
    expect_nothing_new();
    ck_assert_ptr_nonnull(strstr(status_doc,
                                 "\"message\":\"Found components running on "
                                 "ineligible hosts, removing them.\""));
    answer_all(1100);
    /*
     * The echo with the expected annotations clears the expectation.
     * Upstream reconciles at the next event the scaler handles; wadm-c at
     * once, since a steady host's heartbeat reaches no scaler.
     */
    event(CE_KIND_COMPONENT_SCALED, "H3",
          "{\"annotations\":{\"wasmcloud.dev/appspec\":\"daemon-demo\","
          "\"wasmcloud.dev/managed-by\":\"wadm\"},\"image_ref\":\"" AGENT_REF
          "\",\"component_id\":\"daemon_demo-agent\",\"max_instances\":0}",
          1200);
    expect_next(CTL "component.scale.H2", NULL);
    expect_nothing_new();
    /* later heartbeats add nothing while that scale is in flight */
    heartbeat("H3", "\"location\":\"cloud\"", NULL, NULL, 1300);
    heartbeat("H2", "\"location\":\"edge\"", NULL, NULL, 1400);
    expect_nothing_new();
    ck_assert_ptr_nonnull(strstr(status_doc, "\"type\":\"reconciling\","
                                             "\"message\":\"Scaling "
                                             "component on 1 host(s)\""));
}
END_TEST

/* ---- 14.6 upgrade ------------------------------------------------------- */

static char *
upgrade_yaml(const char *version)
{
    return xasprintf("apiVersion: core.oam.dev/v1beta1\n"
                     "kind: Application\n"
                     "metadata:\n"
                     "  name: upgrade-demo\n"
                     "  annotations: {version: v%s}\n"
                     "spec:\n"
                     "  components:\n"
                     "    - name: web\n"
                     "      type: component\n"
                     "      properties:\n"
                     "        image: ghcr.io/example/web:%s\n"
                     "      traits:\n"
                     "        - type: spreadscaler\n"
                     "          properties:\n"
                     "            instances: 2\n",
                     version, version);
}

#define ID_OLD                                                                \
    "ba8d6af3c7ec245f0975d7446c72e5e58e9e05e229e88eadb534953f3bd5b9f9"
#define ID_NEW                                                                \
    "f750e91f0d47271e3a908bbdd0dd3886a465eaa11c9ba0128cead2e4ae791318"

START_TEST(test_ex14_6_upgrade_scales_new_before_old_cleanup)
{
    heartbeat("H1", NULL,
              "{\"id\":\"upgrade_demo-web\",\"image_ref\":\"ghcr.io/example/"
              "web:1.0.0\",\"annotations\":{\"wasmcloud.dev/appspec\":"
              "\"upgrade-demo\",\"wasmcloud.dev/managed-by\":\"wadm\","
              "\"wasmcloud.dev/scaler\":\"" ID_OLD "\","
              "\"wasmcloud.dev/spread_name\":\"default\"},"
              "\"max_instances\":2}",
              NULL, 100);
    char *v1 = upgrade_yaml("1.0.0");
    char *v2 = upgrade_yaml("1.1.0");
    deploy(v1, 1000);
    expect_nothing_new();
    ck_assert_ptr_nonnull(strstr(status_doc, "{\"status\":{\"type\":"
                                             "\"deployed\"}"));
    deploy(v2, 2000);
    const char *ann = "{\"wasmcloud.dev/appspec\":\"upgrade-demo\","
                      "\"wasmcloud.dev/managed-by\":\"wadm\","
                      "\"wasmcloud.dev/scaler\":\"%s\","
                      "\"wasmcloud.dev/spread_name\":\"default\"}";
    char *a_new = xasprintf(ann, ID_NEW);
    char *a_old = xasprintf(ann, ID_OLD);
    char *b1 = xasprintf("{\"component_ref\":\"ghcr.io/example/web:1.1.0\","
                         "\"component_id\":\"upgrade_demo-web\","
                         "\"annotations\":%s,\"count\":2,\"host_id\":\"H1\","
                         "\"config\":[],\"allow_update\":false}",
                         a_new);
    char *b2 = xasprintf("{\"component_ref\":\"ghcr.io/example/web:1.0.0\","
                         "\"component_id\":\"upgrade_demo-web\","
                         "\"annotations\":%s,\"count\":0,\"host_id\":\"H1\","
                         "\"config\":[],\"allow_update\":false}",
                         a_old);
    expect_next(CTL "component.scale.H1", b1);
    expect_next(CTL "component.scale.H1", b2);
    expect_nothing_new();
    ck_assert_str_eq(status_doc,
                     "{\"status\":{\"type\":\"reconciling\",\"message\":"
                     "\"Scaling component on 1 host(s)\"},\"scalers\":[{"
                     "\"id\":\"" ID_NEW "\",\"kind\":\"SpreadScaler\","
                     "\"name\":\"upgrade_demo-web\",\"status\":{\"type\":"
                     "\"reconciling\",\"message\":\"Scaling component on 1 "
                     "host(s)\"}}],\"version\":\"\",\"components\":[]}");
    free(a_new);
    free(a_old);
    free(b1);
    free(b2);
    free(v1);
    free(v2);
}
END_TEST

/* ---- 14.8 provider start failure ---------------------------------------- */

START_TEST(test_ex14_8_start_failure_backs_off_then_retries)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    deploy(test_yaml_hello_simple, 1000);
    answer_all(1000);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 1);
    event(CE_KIND_PROVIDER_START_FAILED, "H1",
          "{\"provider_ref\":\"" HTTP_REF "\",\"provider_id\":\"http_server\","
          "\"host_id\":\"H1\",\"error\":\"failed to fetch provider: "
          "connection refused\",\"link_name\":\"default\"}",
          2000);
    ck_assert_ptr_nonnull(strstr(status_doc, "{\"status\":{\"type\":"
                                             "\"failed\""));
    ck_assert_ptr_nonnull(
        strstr(status_doc, "\"name\":\"http_server\",\"status\":{\"type\":"
                           "\"failed\",\"message\":\"failed to fetch "
                           "provider: connection refused\"}}"));
    /* deaf for 5 s */
    heartbeat("H1", NULL, NULL, NULL, 4000);
    answer_all(4000);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 1);
    /* then it sends the same start again */
    heartbeat("H1", NULL, NULL, NULL, 7100);
    answer_all(7100);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 2);
    size_t last = 0;
    for (size_t i = 0; i < nsent; i++)
        if (strcmp(sent[i].subject, CTL "provider.start.H1") == 0)
            last = i;
    ck_assert_str_eq(sent[last].body, START_BODY);
}
END_TEST

/* ---- 14.9 configs gate the scale ---------------------------------------- */

#define SECRET_NAME "SECRET_cfg_demo-db_password"

START_TEST(test_ex14_9_config_puts_precede_the_scale)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    deploy(test_yaml_cfg_demo, 1000);
    expect_next(CTL "config.get.cfg_demo-settings", "");
    expect_next(CTL "config.get.shared-settings", "");
    expect_next(CTL "config.get." SECRET_NAME, "");
    expect_nothing_new();
    answer_all(1100);
    expect_next(CTL "config.put.cfg_demo-settings", "{\"mode\":\"prod\"}");
    const char *secret = find_next(CTL "config.put." SECRET_NAME);
    cJSON *got = cJSON_Parse(secret);
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(got, "policy");
    ck_assert(cJSON_IsString(pol));
    ck_assert_str_eq(pol->valuestring,
                     "{\"type\":\"properties.secret.wasmcloud.dev/v1alpha1\","
                     "\"properties\":{\"role_name\":\"app\"}}");
    cJSON_Delete(got);
    expect_nothing_new();
    ck_assert_uint_eq(count_sent(CTL "component.scale.H1"), 0);
    answer_all(1200);
    event(CE_KIND_CONFIG_SET, NULL, "{\"config_name\":\"cfg_demo-settings\"}",
          1300);
    event(CE_KIND_CONFIG_SET, NULL, "{\"config_name\":\"" SECRET_NAME "\"}",
          1300);
    answer_all(1400);
    answer_all(1500);
    const char *scale = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(scale, "\"count\":1,\"host_id\":\"H1\","
                                        "\"config\":[\"cfg_demo-settings\","
                                        "\"shared-settings\",\"" SECRET_NAME
                                        "\"],\"allow_update\":false}"));
    ck_assert_ptr_nonnull(strstr(scale, "\"wasmcloud.dev/scaler\":\"eabbd78f"
                                        "1f71fe00ca3ca8c1b9476d7b38b0a610f59"
                                        "16ee9f25ab1108011a81b\""));
    ck_assert_uint_eq(count_sent(CTL "config.put.cfg_demo-settings"), 1);
    ck_assert_uint_eq(count_sent(CTL "config.put." SECRET_NAME), 1);
}
END_TEST

/* ---- 14.10 shared provider ---------------------------------------------- */

START_TEST(test_ex14_10_shared_dev_links_to_shared_providers)
{
    char *shared, *dev;
    if (!fixture_pair("manifests/shared/shared_http.yaml",
                      "manifests/shared/shared_http_dev.yaml", &shared, &dev))
        return;
    heartbeat("H1", NULL, NULL,
              "{\"id\":\"shared_http-httpclient\",\"image_ref\":\"ghcr.io/"
              "wasmcloud/http-client:0.12.0\",\"annotations\":{"
              "\"wasmcloud.dev/appspec\":\"shared-http\","
              "\"wasmcloud.dev/managed-by\":\"wadm\","
              "\"wasmcloud.dev/scaler\":\"8514a99726d740e694e0ca1270d870f0bd"
              "1f5744d5c2ed5e168bdb42760beff3\","
              "\"wasmcloud.dev/spread_name\":\"default\"}},"
              "{\"id\":\"shared_http-httpserver\",\"image_ref\":\"ghcr.io/"
              "wasmcloud/http-server:0.23.0\",\"annotations\":{"
              "\"wasmcloud.dev/appspec\":\"shared-http\","
              "\"wasmcloud.dev/managed-by\":\"wadm\","
              "\"wasmcloud.dev/scaler\":\"adfac1f23f89f40b6510bf88716e870f09"
              "622a7e60f3ccee5242b7469eea1ed7\","
              "\"wasmcloud.dev/spread_name\":\"default\"}}",
              100);
    deploy(shared, 500);
    expect_nothing_new();
    ck_assert_ptr_nonnull(strstr(status_doc, "{\"status\":{\"type\":"
                                             "\"deployed\"}"));
    deploy(dev, 1000);
    const char *scale = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(scale, "\"component_id\":"
                                        "\"shared_http_dev-hello\""));
    ck_assert_ptr_nonnull(strstr(scale, "\"count\":12,"));
    nseen = 0;
    ck_assert_str_eq(find_next(CTL "link.put"),
                     "{\"source_id\":\"shared_http_dev-hello\",\"target\":"
                     "\"shared_http-httpclient\",\"name\":\"default\","
                     "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\","
                     "\"interfaces\":[\"outgoing-handler\"],\"source_config\":"
                     "[],\"target_config\":[]}");
    answer_all(1100);
    ck_assert_str_eq(find_next(CTL "config.put.shared_http_dev-httpaddr"),
                     "{\"address\":\"0.0.0.0:8080\"}");
    answer_all(1200);
    event(CE_KIND_COMPONENT_SCALED, "H1",
          "{\"annotations\":{\"wasmcloud.dev/appspec\":\"shared-http-dev\","
          "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":"
          "\"4135f658a675846b248bd0f732faeb11a05d095da2446aa2fd333f4cff848a21"
          "\",\"wasmcloud.dev/spread_name\":\"default\"},\"image_ref\":"
          "\"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0\","
          "\"component_id\":\"shared_http_dev-hello\",\"max_instances\":12}",
          1300);
    answer_all(1400);
    nseen = 0;
    const char *want3 = "{\"source_id\":\"shared_http-httpserver\","
                        "\"target\":\"shared_http_dev-hello\",\"name\":"
                        "\"default\",\"wit_namespace\":\"wasi\","
                        "\"wit_package\":\"http\",\"interfaces\":["
                        "\"incoming-handler\"],\"source_config\":["
                        "\"shared_http_dev-httpaddr\"],\"target_config\":[]}";
    bool is_put = false;
    for (size_t i = 0; i < nsent; i++)
        is_put |= strcmp(sent[i].subject, CTL "link.put") == 0 &&
                  strcmp(sent[i].body, want3) == 0;
    ck_assert_msg(is_put, "no link.put from the shared server");
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 0);
    /* undeploy: the shared providers keep running */
    nseen = nsent;
    rec_engine_undeploy(&eng, "shared-http-dev", 2000);
    expect_next(CTL "component.scale.H1", NULL);
    ck_assert_ptr_nonnull(strstr(sent[nseen - 1].body, "\"count\":0,"));
    expect_next(CTL "link.del",
                "{\"source_id\":\"shared_http_dev-hello\",\"name\":"
                "\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"
                "\"http\"}");
    expect_next(CTL "link.del",
                "{\"source_id\":\"shared_http-httpserver\",\"name\":"
                "\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"
                "\"http\"}");
    expect_next(CTL "config.del.shared_http_dev-httpaddr", "");
    expect_nothing_new();
    ck_assert_str_eq(status_doc, UNDEPLOYED);
    free(shared);
    free(dev);
}
END_TEST

/* ---- 13.2 upgrade of outdatedapp to upgradedapp ------------------------- */

#define UPD_ANN(id)                                                           \
    "{\"wasmcloud.dev/appspec\":\"updateapp\",\"wasmcloud.dev/managed-by\":" \
    "\"wadm\",\"wasmcloud.dev/scaler\":\"" id "\","                          \
    "\"wasmcloud.dev/spread_name\":\"default\"}"
#define UPD_DOG_OLD                                                           \
    "def405827ccf0936fa58a18f9ac2b83ff19fcb0dbd30bf720d2124c259302bc0"
#define UPD_HELLO                                                             \
    "10bb2db0d7cbbff76227e4f392fa6d2b0af582065685328ea53fd3ffe9f1bae3"
#define UPD_KV                                                                \
    "c4d7f4f26f053987a3c055863393a98c6407904cbd0d44cd1aa7e33b4ab7c5eb"
#define UPD_HTTP_OLD                                                          \
    "51bc8d5f3dc5860beb9126195e6e28b9cc3916392af46fb7d15541639a32af19"
#define UPD_REDIS                                                             \
    "09819793cd0cf698afcc86b6404bc6299923c144092b5df47bf57f6ab4aa1daa"
#define UPD_DOG_NEW                                                           \
    "51a282d154947f30fe339258d44bb836618cea7762ee930036ed753135712067"
#define UPD_HTTP_NEW                                                          \
    "3b0b6137b669d01bbef2974326e53b05b92421374345264e356c0cdbaf32610a"
#define DOG_REF "ghcr.io/wasmcloud/components/dog-fetcher-rust:0.1."

static void
store_put(const char *name, const char *json)
{
    store_name[nstore] = xstrdup(name);
    store_val[nstore++] = xstrdup(json);
}

static void
linkdef_set(const char *src, const char *tgt, const char *name,
            const char *pkg)
{
    char *d = xasprintf("{\"source_id\":\"%s\",\"target\":\"%s\","
                        "\"name\":\"%s\",\"wit_namespace\":\"wasi\","
                        "\"wit_package\":\"%s\",\"interfaces\":[]}",
                        src, tgt, name, pkg);
    event(CE_KIND_LINKDEF_SET, "H1", d, 50);
    free(d);
}

START_TEST(test_upgrade_of_outdatedapp_follows_13_2)
{
    char *v1, *v2;
    if (!fixture_pair("manifests/outdatedapp.yaml",
                      "manifests/upgradedapp.yaml", &v1, &v2))
        return;
    /* v1 converged on H1 */
    heartbeat("H1", NULL,
              "{\"id\":\"updateapp-dog_fetcher\",\"image_ref\":\"" DOG_REF
              "0\",\"annotations\":" UPD_ANN(UPD_DOG_OLD) ","
              "\"max_instances\":5},"
              "{\"id\":\"http_hello_world\",\"image_ref\":\"" HELLO_REF
              "\",\"annotations\":" UPD_ANN(UPD_HELLO) ",\"max_instances\":3},"
              "{\"id\":\"updateapp-kvcounter\",\"image_ref\":\"ghcr.io/"
              "wasmcloud/components/http-keyvalue-counter-rust:0.1.0\","
              "\"annotations\":" UPD_ANN(UPD_KV) ",\"max_instances\":3}",
              "{\"id\":\"http_server\",\"image_ref\":\"ghcr.io/wasmcloud/"
              "http-server:0.20.1\",\"annotations\":" UPD_ANN(UPD_HTTP_OLD)
              "},{\"id\":\"keyvalue_redis\",\"image_ref\":\"ghcr.io/"
              "wasmcloud/keyvalue-redis:0.26.0\",\"annotations\":"
              UPD_ANN(UPD_REDIS) "}",
              50);
    linkdef_set("updateapp-kvcounter", "keyvalue_redis", "default",
                "keyvalue");
    linkdef_set("http_server", "http_hello_world", "hello", "http");
    linkdef_set("http_server", "updateapp-dog_fetcher", "dog", "http");
    store_put("updateapp-hello_world_address",
              "{\"address\":\"0.0.0.0:8080\"}");
    store_put("updateapp-dog_fetcher_address",
              "{\"address\":\"0.0.0.0:8081\"}");
    store_put("updateapp-kvconfig", "{\"URL\":\"redis://127.0.0.1:6379\"}");
    deploy(v1, 1000);
    answer_all(1100);
    ck_assert_uint_eq(count_sent(CTL "component.scale.H1"), 0);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 0);
    ck_assert_ptr_nonnull(strstr(status_doc, "{\"status\":{\"type\":"
                                             "\"deployed\"}"));
    /* v2: new scalers act first, then the old ones clean up */
    nseen = nsent;
    deploy(v2, 2000);
    const char *b = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(b, DOG_REF "1\""));
    ck_assert_ptr_nonnull(strstr(b, UPD_DOG_NEW));
    ck_assert_ptr_nonnull(strstr(b, "\"count\":5,"));
    b = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(b, "\"updateapp-echo_messaging\""));
    expect_next(CTL "config.put.updateapp-hello_world_address",
                "{\"address\":\"0.0.0.0:8082\"}");
    b = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(b, UPD_DOG_OLD));
    ck_assert_ptr_nonnull(strstr(b, "\"count\":0,"));
    b = find_next(CTL "component.scale.H1");
    ck_assert_ptr_nonnull(strstr(b, UPD_KV));
    ck_assert_ptr_nonnull(strstr(b, "\"count\":0,"));
    expect_next(CTL "link.del",
                "{\"source_id\":\"updateapp-kvcounter\",\"name\":"
                "\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"
                "\"keyvalue\"}");
    expect_next(CTL "config.del.updateapp-kvconfig", "");
    expect_next(CTL "provider.stop.H1",
                "{\"host_id\":\"H1\",\"provider_id\":\"http_server\"}");
    expect_next(CTL "provider.stop.H1",
                "{\"host_id\":\"H1\",\"provider_id\":\"keyvalue_redis\"}");
    expect_nothing_new();
    /* the old http_server counts as foreign until it stops */
    answer_all(2100);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 0);
    event(CE_KIND_PROVIDER_STOPPED, "H1",
          "{\"annotations\":" UPD_ANN(UPD_HTTP_OLD) ",\"provider_id\":"
          "\"http_server\",\"reason\":\"stop\"}",
          2200);
    b = find_next(CTL "provider.start.H1");
    ck_assert_ptr_nonnull(strstr(b, "\"provider_ref\":\"ghcr.io/wasmcloud/"
                                    "http-server:0.23.0\""));
    ck_assert_ptr_nonnull(strstr(b, UPD_HTTP_NEW));
    free(v1);
    free(v2);
}
END_TEST

/* 12.2: failed wins; messages trimmed, empty ones dropped, ", " joined. */
START_TEST(test_status_document_aggregates_scalers)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    deploy("apiVersion: core.oam.dev/v1beta1\n"
           "kind: Application\n"
           "metadata:\n"
           "  name: agg\n"
           "  annotations: {}\n"
           "spec:\n"
           "  components:\n"
           "    - name: a\n"
           "      type: component\n"
           "      properties: {image: ia}\n"
           "      traits:\n"
           "        - type: spreadscaler\n"
           "          properties:\n"
           "            instances: 1\n"
           "            spread:\n"
           "              - name: s\n"
           "                requirements: {zone: none}\n"
           "    - name: b\n"
           "      type: component\n"
           "      properties: {image: ib}\n"
           "      traits:\n"
           "        - type: spreadscaler\n"
           "          properties: {instances: 0}\n"
           "    - name: p\n"
           "      type: capability\n"
           "      properties: {image: ip}\n",
           1000);
    answer_all(1000);
    ck_assert_uint_eq(count_sent(CTL "provider.start.H1"), 1);
    event(CE_KIND_PROVIDER_START_FAILED, "H1",
          "{\"provider_ref\":\"ip\",\"provider_id\":\"agg-p\","
          "\"error\":\"  disk full \\n\"}",
          1100);
    char *doc = xstrdup(status_doc);
    cJSON *j = cJSON_Parse(doc);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(st, "type")->valuestring,
                     "failed");
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(st, "message")->valuestring,
        "Spread requirement conflict: s spread requires 1 instances vs 0 "
        "computed from reconciliation commands, disk full");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scalers");
    ck_assert_int_eq(cJSON_GetArraySize(sc), 3);
    const cJSON *b = cJSON_GetArrayItem(sc, 1);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "name")->valuestring,
                     "agg-b");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(b, "status"), "message"));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(sc, 2), "status");
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(p, "message")->valuestring,
        "  disk full \n");
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(j, "version")->valuestring, "");
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "components")),
        0);
    cJSON_Delete(j);
    free(doc);
}
END_TEST

/* 13.3: an app without scalers still gets the undeployed status. */
START_TEST(test_undeploy_of_unknown_app_publishes_undeployed)
{
    rec_engine_undeploy(&eng, "never-deployed", 10);
    expect_nothing_new();
    ck_assert_str_eq(status_app, "never-deployed");
    ck_assert_str_eq(status_doc, UNDEPLOYED);
}
END_TEST

/*
 * A status the publisher did not take (a fenced owner, dispatch down) is
 * offered again at the next pass instead of being taken as published,
 * and rec_engine_statuses_resend() (dispatch restarted) offers every one
 * again. Before, the engine remembered a refused status as published and
 * the stream kept the one before it until the next change.
 */
START_TEST(test_status_not_taken_is_offered_again)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    is_status_refused = true;
    deploy(TEST_LAT_MF_HEAD("st") "  components:\n"
           "    - name: c\n"
           "      type: component\n"
           "      properties: {image: ic}\n"
           "      traits:\n"
           "        - type: spreadscaler\n"
           "          properties: {instances: 1}\n",
           1000);
    answer_all(1000);
    ck_assert_uint_gt(nstatus_refused, 0);
    ck_assert_ptr_null(status_doc);
    is_status_refused = false;
    rec_engine_pass(&eng, 1100);
    ck_assert_ptr_nonnull(status_doc);
    ck_assert_str_eq(status_app, "st");
    /* taken: not offered twice */
    free(status_doc);
    status_doc = NULL;
    rec_engine_pass(&eng, 1200);
    ck_assert_ptr_null(status_doc);
    rec_engine_statuses_resend(&eng);
    rec_engine_pass(&eng, 1300);
    ck_assert_ptr_nonnull(status_doc);
}
END_TEST

/*
 * Discovery asks H1 for its inventory; events of H1 may be applied before
 * the answer arrives and be newer than it (they come through JetStream
 * and ingest, the answer through dispatch). The answer must not undo what
 * they set, and still fills in what they did not name. Before, the answer
 * was applied whole: under load after an ingest restart the stored state
 * kept an old instance count for good (lattice/crashes under ASan).
 */
static size_t
ask_inventory_of_h1(uint64_t now)
{
    rec_engine_discover(&eng, now);
    size_t ping = nsent;
    for (size_t i = nseen; i < nsent; i++)
        if (strstr(sent[i].subject, ".host.ping"))
            ping = i;
    ck_assert_uint_lt(ping, nsent);
    reply(ping, "{\"success\":true,\"message\":\"\",\"response\":"
                "{\"id\":\"H1\"}}");
    for (size_t i = nseen; i < nsent; i++)
        if (!sent[i].is_answered && strstr(sent[i].subject, ".host.get.H1"))
            return i;
    ck_abort_msg("no host.get for H1 after the ping");
    return 0;
}

static void
answer_inventory(size_t i)
{
    reply(i, "{\"success\":true,\"message\":\"\",\"response\":{"
             "\"host_id\":\"H1\",\"friendly_name\":\"f\",\"labels\":{},"
             "\"version\":\"1.8.0\",\"uptime_human\":\"1s\","
             "\"uptime_seconds\":1,\"components\":["
             "{\"id\":\"c1\",\"image_ref\":\"i1\",\"max_instances\":4},"
             "{\"id\":\"c2\",\"image_ref\":\"i2\",\"max_instances\":1}],"
             "\"providers\":[{\"id\":\"p1\",\"image_ref\":\"pi\"}]}}");
}

static uint64_t
h1_count(const char *component)
{
    uint64_t n = 0;
    const rec_host_t *h = rec_state_host(&eng.state, "H1");
    ck_assert_ptr_nonnull(h);
    return rec_host_component_count(h, component, &n) ? n : 0;
}

START_TEST(test_inventory_does_not_undo_events_applied_before_it)
{
    heartbeat("H1", NULL, NULL, NULL, 100);
    size_t get = ask_inventory_of_h1(200);
    event(CE_KIND_COMPONENT_SCALED, "H1",
          "{\"annotations\":{},\"image_ref\":\"i1\",\"component_id\":\"c1\","
          "\"max_instances\":5}",
          300);
    event(CE_KIND_PROVIDER_STOPPED, "H1",
          "{\"annotations\":{},\"provider_id\":\"p1\",\"reason\":\"x\"}",
          300);
    answer_inventory(get);
    ck_assert_uint_eq(h1_count("c1"), 5); /* the event's, not 4 */
    ck_assert_uint_eq(h1_count("c2"), 1); /* filled in by the answer */
    const rec_host_t *h = rec_state_host(&eng.state, "H1");
    ck_assert_ptr_null(rec_host_provider(h, "p1")); /* stays stopped */

    /* with no event in between, the answer is taken whole */
    get = ask_inventory_of_h1(400);
    answer_inventory(get);
    ck_assert_uint_eq(h1_count("c1"), 4);
    ck_assert_ptr_nonnull(
        rec_host_provider(rec_state_host(&eng.state, "H1"), "p1"));

    /* a heartbeat in between says everything of the host: no answer */
    get = ask_inventory_of_h1(500);
    heartbeat("H1", NULL,
              "{\"id\":\"c1\",\"image_ref\":\"i1\",\"max_instances\":7}",
              NULL, 600);
    answer_inventory(get);
    ck_assert_uint_eq(h1_count("c1"), 7);
    ck_assert_uint_eq(h1_count("c2"), 0);
}
END_TEST

Suite *
rec_scenario_suite(void)
{
    Suite *s = suite_create("rec_scenario");
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ex14_1_simple_app_end_to_end);
    tcase_add_test(tc, test_ex14_1_fixture_deploy_sends_the_spec_bodies);
    tcase_add_test(tc, test_ex14_5_matching_echo_clears_then_next_event_fills);
    tcase_add_test(tc, test_ex14_6_upgrade_scales_new_before_old_cleanup);
    tcase_add_test(tc, test_ex14_8_start_failure_backs_off_then_retries);
    tcase_add_test(tc, test_ex14_9_config_puts_precede_the_scale);
    tcase_add_test(tc, test_ex14_10_shared_dev_links_to_shared_providers);
    tcase_add_test(tc, test_upgrade_of_outdatedapp_follows_13_2);
    tcase_add_test(tc, test_status_document_aggregates_scalers);
    tcase_add_test(tc, test_undeploy_of_unknown_app_publishes_undeployed);
    tcase_add_test(tc, test_status_not_taken_is_offered_again);
    tcase_add_test(tc, test_inventory_does_not_undo_events_applied_before_it);
    suite_add_tcase(s, tc);
    return s;
}
