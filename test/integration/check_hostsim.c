/*
 * check_hostsim.c - build/hostsim against a private nats-server, driven
 * over NATS exactly as wadm drives real hosts: replies, events and their
 * order, lattice stores, faults, silent death, graceful stops, the
 * command record and bench mode. Skipped when nats-server or HOSTSIM_BIN
 * is missing. Nothing sleeps: every wait is for a message with a deadline.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clk.h"
#include "test/lib/test_hostsim.h"
#include "test/lib/test_util.h"

#define LAT "hstest"
#define REF1 "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0"
#define REF2 "ghcr.io/wasmcloud/components/http-hello-world-rust:0.2.0"
#define PREF "ghcr.io/wasmcloud/http-server:0.23.0"
#define SCALER1 "51f5a7b765665fbd56fb630960d59b2b6b5f41507ccfd5fe1eaca6b154f3c6ac"
#define ANN1                                                                 \
    "{\"wasmcloud.dev/appspec\":\"hello-simple\","                           \
    "\"wasmcloud.dev/managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\""      \
    SCALER1 "\",\"wasmcloud.dev/spread_name\":\"default\"}"
#define ANN2 "{\"wasmcloud.dev/appspec\":\"other\",\"k\":\"v\"}"
#define LINK(target, ifaces, srccfg)                                         \
    "{\"source_id\":\"http_server\",\"target\":\"" target "\","              \
    "\"name\":\"default\",\"wit_namespace\":\"wasi\",\"wit_package\":"       \
    "\"http\",\"interfaces\":" ifaces ",\"source_config\":" srccfg ","       \
    "\"target_config\":[]}"

#define HS_START(t, n, ...)                                                  \
    do {                                                                     \
        const char *args_[] = {__VA_ARGS__, NULL};                           \
        int rc_ = test_hs_start((t), LAT, (n), args_);                       \
        if (rc_ == 1)                                                        \
            return;                                                          \
        ck_assert_msg(rc_ == 0, "hostsim did not start");                    \
    } while (0)

static char body_buf[4096];

/* A component.scale body as wadm sends it (static buffer). */
static const char *
scale_body(const char *host, const char *id, const char *ref,
           const char *ann, unsigned count, const char *extra)
{
    snprintf(body_buf, sizeof(body_buf),
             "{\"component_ref\":\"%s\",\"component_id\":\"%s\","
             "\"annotations\":%s,\"count\":%u,\"host_id\":\"%s\","
             "\"config\":[],\"allow_update\":%s}",
             ref, id, ann, count, host, extra ? extra : "false");
    return body_buf;
}

static const char *
start_body(const char *host, const char *id, const char *ref,
           const char *config)
{
    snprintf(body_buf, sizeof(body_buf),
             "{\"provider_id\":\"%s\",\"provider_ref\":\"%s\","
             "\"host_id\":\"%s\",\"config\":%s,\"annotations\":" ANN1 "}",
             id, ref, host, config);
    return body_buf;
}

/* A control request that must be answered; returns the reply. */
static cJSON *
ctl(test_hs_t *t, const char *suffix, const char *body)
{
    natsStatus s;
    cJSON *r = test_hs_request(t, suffix, body, 3000, &s);
    ck_assert_msg(r != NULL, "no reply to %s (%s)", suffix,
                  natsStatus_GetText(s));
    return r;
}

static cJSON *
ctlf(test_hs_t *t, const char *body, const char *fmt, const char *arg)
{
    char suffix[256];
    snprintf(suffix, sizeof(suffix), fmt, arg);
    return ctl(t, suffix, body);
}

static void
expect_reply(cJSON *r, bool is_success, const char *message)
{
    ck_assert_msg(test_hs_ok(r) == is_success, "success %d, message \"%s\"",
                  test_hs_ok(r), test_hs_msg(r));
    ck_assert_str_eq(test_hs_msg(r), message);
    cJSON_Delete(r);
}

/*
 * Stops hostsim with SIGTERM and requires a clean exit 0, which under
 * ASan/LSan or valgrind (HOSTSIM_WRAP) also means "no leak, no error";
 * then removes everything. On failure the hostsim log is printed.
 */
static void
finish(test_hs_t *t)
{
    int st = test_hs_stop_sim(t);
    bool is_clean = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!is_clean) {
        char *log = test_read_file(t->log_path, NULL);
        fprintf(stderr, "hostsim exit status %d, log:\n%s\n", st,
                log ? log : "(none)");
        free(log);
    }
    test_hs_destroy(t);
    ck_assert_msg(is_clean, "hostsim did not exit cleanly (status %d)", st);
}

static cJSON *
event(test_hs_t *t, const char *name, const char *source)
{
    cJSON *ev = test_hs_event(t, name, source, 5000);
    ck_assert_msg(ev != NULL, "no %s event", name);
    return ev;
}

static cJSON *
data_of(cJSON *ev)
{
    return cJSON_GetObjectItem(ev, "data");
}

static double
num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    ck_assert_msg(cJSON_IsNumber(v), "\"%s\" is not a number", key);
    return v->valuedouble;
}

static bool
json_eq(const cJSON *a, const char *text)
{
    cJSON *b = cJSON_Parse(text);
    bool is_eq = cJSON_Compare(a, b, 1);
    cJSON_Delete(b);
    return is_eq;
}

static cJSON *
admin(test_hs_t *t, const char *verb, const char *body)
{
    cJSON *r = test_hs_admin(t, verb, body);
    ck_assert_msg(r != NULL, "no reply to admin %s", verb);
    return r;
}

static const cJSON *
inventory_component(const cJSON *inv, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(inv, "components"))
    {
        if (strcmp(test_hs_str(c, "id"), id) == 0)
            return c;
    }
    return NULL;
}

START_TEST(test_hostsim_announces_hosts)
{
    test_hs_t t;
    HS_START(&t, 2, "--seed", "42", "--host", "zone=east,region=us",
             "--hosts", "1", "--label", "tier=gold", "--label", "zone=x");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s --print-ids --seed 42 --host zone=east --hosts 1",
             getenv("HOSTSIM_BIN"));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[128];
    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
        line[strcspn(line, "\n")] = '\0';
        ck_assert_str_eq(line, t.ids[i]);
        ck_assert_int_eq(strlen(t.ids[i]), 56);
        ck_assert_int_eq(t.ids[i][0], 'N');
        ck_assert_int_eq(strspn(t.ids[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                         56);
    }
    pclose(p);
    ck_assert_str_ne(t.ids[0], t.ids[1]);
    cJSON *r = admin(&t, "hosts", NULL);
    cJSON *hosts = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"),
                                       "hosts");
    ck_assert_int_eq(cJSON_GetArraySize(hosts), 2);
    const cJSON *h0 = cJSON_GetArrayItem(hosts, 0);
    ck_assert_str_eq(test_hs_str(h0, "state"), "running");
    const cJSON *labels = cJSON_GetObjectItem(h0, "labels");
    ck_assert_str_eq(test_hs_str(labels, "zone"), "east");
    ck_assert_str_eq(test_hs_str(labels, "region"), "us");
    ck_assert_str_eq(test_hs_str(labels, "tier"), "gold");
    ck_assert_str_eq(test_hs_str(labels, "hostcore.os"), "linux");
    ck_assert_str_eq(test_hs_str(labels, "hostcore.osfamily"), "unix");
    ck_assert_ptr_nonnull(test_hs_str(labels, "hostcore.arch"));
    labels = cJSON_GetObjectItem(cJSON_GetArrayItem(hosts, 1), "labels");
    ck_assert_str_eq(test_hs_str(labels, "zone"), "x");
    cJSON_Delete(r);
    /* host_started of a host started at run time, envelope included. */
    r = admin(&t, "start", "{\"labels\":{\"zone\":\"late\"}}");
    ck_assert(test_hs_ok(r));
    const char *id = test_hs_str(r, "id");
    cJSON *ev = event(&t, "host_started", id);
    ck_assert_str_eq(test_hs_str(ev, "specversion"), "1.0");
    ck_assert_str_eq(test_hs_str(ev, "datacontenttype"), "application/json");
    ck_assert_int_eq(strlen(test_hs_str(ev, "id")), 36);
    uint64_t us;
    ck_assert_int_eq(clk_rfc3339_parse(test_hs_str(ev, "time"), &us), 0);
    cJSON *d = data_of(ev);
    ck_assert_str_eq(test_hs_str(d, "version"), "1.8.0");
    ck_assert(num(d, "uptime_seconds") == 0);
    ck_assert_ptr_nonnull(test_hs_str(d, "friendly_name"));
    ck_assert_str_eq(test_hs_str(cJSON_GetObjectItem(d, "labels"), "zone"),
                     "late");
    ck_assert_str_eq(test_hs_str(cJSON_GetObjectItem(d, "labels"), "tier"),
                     "gold");
    cJSON_Delete(ev);
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_scale_replies_before_events)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    natsSubscription *all = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(&all, t.nc, ">"), NATS_OK);
    ck_assert_int_eq(natsConnection_FlushTimeout(t.nc, 2000), NATS_OK);
    char subject[200];
    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1." LAT
             ".component.scale.%s", t.ids[0]);
    ck_assert_int_eq(natsConnection_PublishRequestString(
                         t.nc, subject, "order.reply",
                         scale_body(t.ids[0], "http_hello_world", REF1, ANN1,
                                    4, NULL)),
                     NATS_OK);
    const char *expected[] = {subject, "order.reply",
                              "wasmbus.evt." LAT ".component_scaled",
                              "wasmbus.evt." LAT ".component_scaled"};
    for (int i = 0; i < 4; i++) {
        natsMsg *m = NULL;
        ck_assert_int_eq(natsSubscription_NextMsg(&m, all, 5000), NATS_OK);
        ck_assert_str_eq(natsMsg_GetSubject(m), expected[i]);
        cJSON *j = cJSON_Parse(natsMsg_GetData(m));
        if (i == 1) {
            ck_assert(json_eq(j, "{\"success\":true,\"message\":\"\"}"));
        } else if (i >= 2) {
            ck_assert_str_eq(test_hs_str(j, "type"),
                             "com.wasmcloud.lattice.component_scaled");
            ck_assert_str_eq(test_hs_str(j, "source"), t.ids[0]);
            cJSON *d = data_of(j);
            ck_assert(json_eq(cJSON_GetObjectItem(d, "annotations"), ANN1));
            ck_assert_str_eq(test_hs_str(d, "image_ref"), REF1);
            ck_assert_str_eq(test_hs_str(d, "component_id"),
                             "http_hello_world");
            ck_assert_str_eq(test_hs_str(d, "host_id"), t.ids[0]);
            ck_assert(num(d, "max_instances") == 4);
        }
        cJSON_Delete(j);
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(all);
    cJSON *r = ctlf(&t, NULL, "host.get.%s", t.ids[0]);
    const cJSON *c = inventory_component(cJSON_GetObjectItem(r, "response"),
                                         "http_hello_world");
    ck_assert_ptr_nonnull(c);
    ck_assert(json_eq(cJSON_GetObjectItem(c, "annotations"), ANN1));
    ck_assert(num(c, "max_instances") == 4);
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_scale_existing_keeps_original)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    const char *h = t.ids[0];
    expect_reply(ctlf(&t, scale_body(h, "c1", REF1, ANN1, 4, NULL),
                      "component.scale.%s", h), true, "");
    cJSON_Delete(event(&t, "component_scaled", h));
    cJSON_Delete(event(&t, "component_scaled", h));
    char warning[1024];
    snprintf(warning, sizeof(warning),
             "Requested to scale existing component to a different image "
             "reference: %s != %s. The component will be scaled but the "
             "image reference will not be updated. If you meant to update "
             "this component to a new image ref, use the update command.",
             REF1, REF2);
    /* Same count: only an event with the original reference/annotations. */
    expect_reply(ctlf(&t, scale_body(h, "c1", REF2, ANN2, 4, NULL),
                      "component.scale.%s", h), true, warning);
    cJSON *ev = event(&t, "component_scaled", h);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN1));
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF1);
    ck_assert(num(data_of(ev), "max_instances") == 4);
    cJSON_Delete(ev);
    /* New count: the event still shows the old ones ... */
    expect_reply(ctlf(&t, scale_body(h, "c1", REF2, ANN2, 2, NULL),
                      "component.scale.%s", h), true, warning);
    ev = event(&t, "component_scaled", h);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN1));
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF1);
    ck_assert(num(data_of(ev), "max_instances") == 2);
    cJSON_Delete(ev);
    /* ... while the new instance holds the requested ones (1.8 host). */
    cJSON *r = ctlf(&t, NULL, "host.get.%s", h);
    const cJSON *c = inventory_component(cJSON_GetObjectItem(r, "response"),
                                         "c1");
    ck_assert(json_eq(cJSON_GetObjectItem(c, "annotations"), ANN2));
    ck_assert_str_eq(test_hs_str(c, "image_ref"), REF2);
    ck_assert(num(c, "max_instances") == 2);
    cJSON_Delete(r);
    /* Scale to 0 reports what the host held. */
    expect_reply(ctlf(&t, scale_body(h, "c1", REF2, ANN1, 0, NULL),
                      "component.scale.%s", h), true, "");
    ev = event(&t, "component_scaled", h);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN2));
    ck_assert(num(data_of(ev), "max_instances") == 0);
    cJSON_Delete(ev);
    /* Scale to 0 of something not running echoes the request. */
    expect_reply(ctlf(&t, scale_body(h, "c9", REF1, ANN1, 0, NULL),
                      "component.scale.%s", h), true, "");
    ev = event(&t, "component_scaled", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "component_id"), "c9");
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN1));
    ck_assert(num(data_of(ev), "max_instances") == 0);
    cJSON_Delete(ev);
    r = ctlf(&t, NULL, "host.get.%s", h);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(r, "response"), "components")),
                     0);
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_component_update)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    const char *h = t.ids[0];
    char body[512];
    snprintf(body, sizeof(body),
             "{\"component_id\":\"u1\",\"new_component_ref\":\"%s\","
             "\"host_id\":\"%s\",\"annotations\":{\"a\":\"b\"}}", REF2, h);
    expect_reply(ctlf(&t, body, "component.update.%s", h), false,
                 "component u1 not found");
    expect_reply(ctlf(&t, scale_body(h, "u1", REF1, ANN1, 3, NULL),
                      "component.scale.%s", h), true, "");
    expect_reply(ctlf(&t, body, "component.update.%s", h), true,
                 "component u1 updating from " REF1 " to " REF2);
    cJSON *ev = event(&t, "component_scaled", h);
    cJSON_Delete(event(&t, "component_scaled", h));
    cJSON_Delete(ev);
    ev = event(&t, "component_scaled", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF2);
    ck_assert(num(data_of(ev), "max_instances") == 3);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"),
                      "{\"a\":\"b\"}"));
    cJSON_Delete(ev);
    ev = event(&t, "component_scaled", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF2);
    ck_assert(num(data_of(ev), "max_instances") == 0);
    cJSON_Delete(ev);
    expect_reply(ctlf(&t, body, "component.update.%s", h), true,
                 "component u1 already updated to " REF2);
    /* allow_update: scale, then update to the requested reference. */
    expect_reply(ctlf(&t, scale_body(h, "u1", REF1, ANN1, 3, "true"),
                      "component.scale.%s", h), true,
                 "Requested to scale existing component, with a changed "
                 "image reference: " REF2 " != " REF1 ". The component will "
                 "be scaled, and the image reference will be updated "
                 "afterwards.");
    ev = event(&t, "component_scaled", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF2);
    cJSON_Delete(ev);
    ev = event(&t, "component_scaled", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), REF1);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), "{}"));
    cJSON_Delete(ev);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_provider_start_stop)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1", "--health-delay-ms", "100",
             "--heartbeat-ms", "300");
    const char *h = t.ids[0];
    cJSON *r = ctlf(&t, start_body(h, "http_server", PREF, "[]"),
                    "provider.start.%s", h);
    ck_assert(json_eq(r, "{\"success\":true,\"message\":"
                         "\"successfully started provider\"}"));
    cJSON_Delete(r);
    cJSON *ev = event(&t, "provider_started", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "provider_id"), "http_server");
    ck_assert_str_eq(test_hs_str(data_of(ev), "image_ref"), PREF);
    ck_assert_str_eq(test_hs_str(data_of(ev), "host_id"), h);
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN1));
    cJSON_Delete(ev);
    ev = event(&t, "health_check_passed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "host_id"), h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "provider_id"), "http_server");
    cJSON_Delete(ev);
    cJSON_Delete(event(&t, "health_check_status", h));
    r = ctlf(&t, start_body(h, "http_server", PREF, "[]"),
             "provider.start.%s", h);
    ck_assert(json_eq(r, "{\"success\":false,\"message\":"
                         "\"provider with that ID is already running\"}"));
    cJSON_Delete(r);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"host_id\":\"%s\",\"provider_id\":\"http_server\"}", h);
    expect_reply(ctlf(&t, body, "provider.stop.%s", h), true,
                 "successfully stopped provider");
    ev = event(&t, "provider_stopped", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "reason"), "stop");
    ck_assert(json_eq(cJSON_GetObjectItem(data_of(ev), "annotations"), ANN1));
    cJSON_Delete(ev);
    expect_reply(ctlf(&t, body, "provider.stop.%s", h), false,
                 "provider with that ID is not running");
    /* Missing config fails the start after the acknowledgement. */
    expect_reply(ctlf(&t, start_body(h, "p2", PREF, "[\"nope\"]"),
                      "provider.start.%s", h), true,
                 "successfully started provider");
    ev = event(&t, "provider_start_failed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "error"),
                     "Unable to fetch requested config: Config nope does "
                     "not exist");
    ck_assert_str_eq(test_hs_str(data_of(ev), "provider_ref"), PREF);
    cJSON_Delete(ev);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_links)
{
    test_hs_t t;
    HS_START(&t, 2, "--hosts", "2");
    const char *link = LINK("http_hello_world", "[\"incoming-handler\"]",
                            "[\"cfg1\"]");
    const char *failure = "Failed to validate configuration and secrets. "
                          "Configuration cfg1 not found in config store. ";
    expect_reply(ctl(&t, "link.put", link), false, failure);
    cJSON *ev = event(&t, "linkdef_set_failed", NULL);
    ck_assert_str_eq(test_hs_str(data_of(ev), "error"), failure);
    cJSON_Delete(ev);
    expect_reply(ctl(&t, "config.put.cfg1", "{\"address\":\"0.0.0.0:8080\"}"),
                 true, "successfully put config");
    expect_reply(ctl(&t, "link.put", link), true, "successfully set link");
    ev = event(&t, "linkdef_set", NULL);
    ck_assert(json_eq(data_of(ev), link));
    cJSON_Delete(ev);
    const char *conflict = "link already exists with different target, "
                           "consider deleting the existing link or using a "
                           "different link name";
    expect_reply(ctl(&t, "link.put",
                     LINK("other", "[\"incoming-handler\"]", "[]")),
                 false, conflict);
    cJSON_Delete(event(&t, "linkdef_set_failed", NULL));
    const char *wider = LINK("http_hello_world",
                             "[\"incoming-handler\",\"outgoing-handler\"]",
                             "[]");
    expect_reply(ctl(&t, "link.put", wider), true, "successfully set link");
    cJSON *r = ctl(&t, "link.get", NULL);
    cJSON *links = cJSON_GetObjectItem(r, "response");
    ck_assert_int_eq(cJSON_GetArraySize(links), 1);
    ck_assert(json_eq(cJSON_GetArrayItem(links, 0), wider));
    cJSON_Delete(r);
    const char *del = "{\"source_id\":\"http_server\",\"name\":\"default\","
                      "\"wit_namespace\":\"wasi\",\"wit_package\":\"http\"}";
    expect_reply(ctl(&t, "link.del", del), true, "successfully deleted link");
    ev = event(&t, "linkdef_deleted", NULL);
    ck_assert_str_eq(test_hs_str(data_of(ev), "target"), "http_hello_world");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(data_of(ev),
                                                            "interfaces")),
                     2);
    cJSON_Delete(ev);
    expect_reply(ctl(&t, "link.del", del), true, "successfully deleted link");
    ev = event(&t, "linkdef_deleted", NULL);
    ck_assert_ptr_null(cJSON_GetObjectItem(data_of(ev), "target"));
    cJSON_Delete(ev);
    expect_reply(ctl(&t, "link.del", "{\"source_id\":\"never\","
                                     "\"wit_namespace\":\"wasi\","
                                     "\"wit_package\":\"http\"}"),
                 true, "successfully deleted link (spec doesn't exist)");
    expect_reply(ctl(&t, "link.put", "{\"source_id\":\"a\",\"target\":\"b\","
                                     "\"wit_namespace\":\"wasi\","
                                     "\"interfaces\":[]}"),
                 false, "failed to deserialize wrpc link definition");
    /* link.* is a queue group: one host answers each request. */
    r = admin(&t, "commands", "{\"list\":false}");
    ck_assert(num(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"),
                                      "by_kind"), "link.get") == 1);
    cJSON_Delete(r);
    ck_assert_ptr_null(test_hs_event(&t, "linkdef_deleted", NULL, 200));
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_config)
{
    test_hs_t t;
    HS_START(&t, 3, "--hosts", "3");
    cJSON *r = ctl(&t, "config.get.c1", NULL);
    ck_assert(json_eq(r, "{\"success\":true,\"message\":"
                         "\"Configuration not found\"}"));
    cJSON_Delete(r);
    expect_reply(ctl(&t, "config.put.c1", "{\"a\":\"1\",\"b\":\"2\"}"), true,
                 "successfully put config");
    cJSON *ev = event(&t, "config_set", NULL);
    ck_assert_str_eq(test_hs_str(data_of(ev), "config_name"), "c1");
    cJSON_Delete(ev);
    r = ctl(&t, "config.get.c1", NULL);
    ck_assert(json_eq(r, "{\"success\":true,\"message\":\"\",\"response\":"
                         "{\"a\":\"1\",\"b\":\"2\"}}"));
    cJSON_Delete(r);
    const char *bad = "config data should be a map of string -> string";
    expect_reply(ctl(&t, "config.put.c1", "{\"a\":1}"), false, bad);
    expect_reply(ctl(&t, "config.put.c1", "[\"a\"]"), false, bad);
    expect_reply(ctl(&t, "config.put.c1", ""), false, bad);
    expect_reply(ctl(&t, "config.del.c1", NULL), true,
                 "successfully deleted config");
    ev = event(&t, "config_deleted", NULL);
    ck_assert_str_eq(test_hs_str(data_of(ev), "config_name"), "c1");
    cJSON_Delete(ev);
    expect_reply(ctl(&t, "config.get.c1", NULL), true,
                 "Configuration not found");
    r = admin(&t, "commands", "{\"list\":false}");
    cJSON *by_kind = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"),
                                         "by_kind");
    ck_assert(num(by_kind, "config.get") == 3);
    ck_assert(num(by_kind, "config.put") == 4);
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_ping_and_inventory)
{
    test_hs_t t;
    HS_START(&t, 3, "--hosts", "3");
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    ck_assert_int_eq(natsInbox_Create(&inbox), NATS_OK);
    ck_assert_int_eq(natsConnection_SubscribeSync(&sub, t.nc, inbox),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_PublishRequestString(
                         t.nc, "wasmbus.ctl.v1." LAT ".host.ping", inbox, ""),
                     NATS_OK);
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        natsMsg *m = NULL;
        ck_assert_int_eq(natsSubscription_NextMsg(&m, sub, 5000), NATS_OK);
        cJSON *j = cJSON_Parse(natsMsg_GetData(m));
        ck_assert(test_hs_ok(j));
        const cJSON *resp = cJSON_GetObjectItem(j, "response");
        ck_assert_str_eq(test_hs_str(resp, "lattice"), LAT);
        ck_assert_str_eq(test_hs_str(resp, "version"), "1.8.0");
        ck_assert_ptr_nonnull(test_hs_str(resp, "uptime_human"));
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(resp, "labels"));
        for (int k = 0; k < 3; k++) {
            if (strcmp(test_hs_str(resp, "id"), t.ids[k]) == 0)
                seen[k] = true;
        }
        cJSON_Delete(j);
        natsMsg_Destroy(m);
    }
    ck_assert(seen[0] && seen[1] && seen[2]);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    cJSON *r = ctlf(&t, NULL, "host.get.%s", t.ids[1]);
    const cJSON *inv = cJSON_GetObjectItem(r, "response");
    ck_assert_str_eq(test_hs_str(inv, "host_id"), t.ids[1]);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(inv,
                                                            "components")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(inv,
                                                            "providers")), 0);
    ck_assert_str_eq(test_hs_str(inv, "version"), "1.8.0");
    ck_assert_ptr_nonnull(test_hs_str(inv, "friendly_name"));
    ck_assert_ptr_nonnull(test_hs_str(inv, "uptime_human"));
    num(inv, "uptime_seconds");
    cJSON_Delete(r);
    r = ctl(&t, "claims.get", NULL);
    ck_assert(json_eq(r, "{\"success\":true,\"message\":\"\","
                         "\"response\":[]}"));
    cJSON_Delete(r);
    r = admin(&t, "inventory", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(r, "response"), "hosts")), 3);
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_heartbeat_carries_inventory)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1", "--heartbeat-ms", "250",
             "--health-delay-ms", "60000");
    const char *h = t.ids[0];
    uint64_t t0 = test_now_ms();
    cJSON *ev = event(&t, "host_heartbeat", h);
    ck_assert_uint_ge(test_now_ms() - t0, 150);
    cJSON_Delete(ev);
    expect_reply(ctlf(&t, scale_body(h, "c1", REF1, ANN1, 2, NULL),
                      "component.scale.%s", h), true, "");
    expect_reply(ctlf(&t, start_body(h, "p1", PREF, "[]"),
                      "provider.start.%s", h), true,
                 "successfully started provider");
    test_hs_events_clear(&t);
    ev = event(&t, "host_heartbeat", h);
    cJSON *d = data_of(ev);
    const cJSON *c = inventory_component(d, "c1");
    ck_assert_ptr_nonnull(c);
    ck_assert(json_eq(cJSON_GetObjectItem(c, "annotations"), ANN1));
    ck_assert(num(c, "max_instances") == 2);
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "providers"),
                                        0);
    ck_assert_str_eq(test_hs_str(p, "id"), "p1");
    ck_assert_str_eq(test_hs_str(p, "image_ref"), PREF);
    ck_assert(json_eq(cJSON_GetObjectItem(p, "annotations"), ANN1));
    ck_assert_str_eq(test_hs_str(d, "version"), "1.8.0");
    ck_assert_str_eq(test_hs_str(d, "host_id"), h);
    cJSON_Delete(ev);
    cJSON *r = admin(&t, "heartbeat", NULL);
    ck_assert(num(cJSON_GetObjectItem(r, "response"), "sent") == 1);
    cJSON_Delete(r);
    cJSON_Delete(event(&t, "host_heartbeat", h));
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_faults)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    const char *h = t.ids[0];
    cJSON *r = admin(&t, "fault", "{\"kind\":\"component_scale\",\"error\":"
                                  "\"failed to fetch component: manifest "
                                  "unknown\",\"id\":\"cf\",\"count\":1}");
    ck_assert(test_hs_ok(r));
    cJSON_Delete(r);
    expect_reply(ctlf(&t, scale_body(h, "ok", REF1, ANN1, 1, NULL),
                      "component.scale.%s", h), true, "");
    expect_reply(ctlf(&t, scale_body(h, "cf", REF1, ANN1, 3, NULL),
                      "component.scale.%s", h), true, "");
    cJSON *ev = event(&t, "component_scale_failed", h);
    cJSON *d = data_of(ev);
    ck_assert_str_eq(test_hs_str(d, "error"),
                     "failed to fetch component: manifest unknown");
    ck_assert_str_eq(test_hs_str(d, "component_id"), "cf");
    ck_assert_str_eq(test_hs_str(d, "image_ref"), REF1);
    ck_assert(num(d, "max_instances") == 3);
    ck_assert(json_eq(cJSON_GetObjectItem(d, "annotations"), ANN1));
    cJSON_Delete(ev);
    /* The fault was for one use only. */
    expect_reply(ctlf(&t, scale_body(h, "cf", REF1, ANN1, 3, NULL),
                      "component.scale.%s", h), true, "");
    test_hs_events_clear(&t);
    char body[512];
    snprintf(body, sizeof(body), "{\"kind\":\"provider_start\",\"host\":"
             "\"%s\",\"error\":\"failed to fetch provider: connection "
             "refused\"}", h);
    cJSON_Delete(admin(&t, "fault", body));
    expect_reply(ctlf(&t, start_body(h, "http_server", PREF, "[]"),
                      "provider.start.%s", h), true,
                 "successfully started provider");
    ev = event(&t, "provider_start_failed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "error"),
                     "failed to fetch provider: connection refused");
    ck_assert_str_eq(test_hs_str(data_of(ev), "provider_id"), "http_server");
    ck_assert_str_eq(test_hs_str(data_of(ev), "provider_ref"), PREF);
    cJSON_Delete(ev);
    cJSON_Delete(admin(&t, "fault", "{\"kind\":\"link_put\",\"error\":"
                                    "\"boom\"}"));
    expect_reply(ctl(&t, "link.put", LINK("x", "[\"i\"]", "[]")), false,
                 "boom");
    ev = event(&t, "linkdef_set_failed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "error"), "boom");
    cJSON_Delete(ev);
    r = admin(&t, "fault", "{\"clear\":true}");
    ck_assert(test_hs_ok(r));
    cJSON_Delete(r);
    expect_reply(ctl(&t, "link.put", LINK("x", "[\"i\"]", "[]")), true,
                 "successfully set link");
    r = admin(&t, "fault", "{\"kind\":\"nope\",\"error\":\"x\"}");
    ck_assert(!test_hs_ok(r));
    cJSON_Delete(r);
    /* Missing config fails a component start as on a host. */
    snprintf(body_buf, sizeof(body_buf),
             "{\"component_ref\":\"%s\",\"component_id\":\"cc\","
             "\"annotations\":%s,\"count\":1,\"host_id\":\"%s\","
             "\"config\":[\"missing\"]}", REF1, ANN1, h);
    expect_reply(ctlf(&t, body_buf, "component.scale.%s", h), true, "");
    ev = event(&t, "component_scale_failed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "error"),
                     "Unable to fetch requested config: Config missing does "
                     "not exist");
    cJSON_Delete(ev);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_die_is_silent)
{
    test_hs_t t;
    HS_START(&t, 2, "--hosts", "2", "--heartbeat-ms", "200");
    char body[256];
    snprintf(body, sizeof(body), "{\"host\":\"%s\"}", t.ids[0]);
    cJSON *r = admin(&t, "die", body);
    ck_assert(test_hs_ok(r));
    cJSON_Delete(r);
    natsStatus s;
    char suffix[128];
    snprintf(suffix, sizeof(suffix), "component.scale.%s", t.ids[0]);
    r = test_hs_request(&t, suffix, scale_body(t.ids[0], "c", REF1, ANN1, 1,
                                               NULL), 1000, &s);
    ck_assert_ptr_null(r);
    ck_assert_msg(s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT, "status %s",
                  natsStatus_GetText(s));
    snprintf(suffix, sizeof(suffix), "host.get.%s", t.ids[0]);
    ck_assert_ptr_null(test_hs_request(&t, suffix, NULL, 500, &s));
    test_hs_events_clear(&t);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(event(&t, "host_heartbeat", t.ids[1]));
    ck_assert_ptr_null(test_hs_event(&t, "host_heartbeat", t.ids[0], 0));
    ck_assert_ptr_null(test_hs_event(&t, "host_stopped", NULL, 0));
    /* The lattice stores still answer through the live host. */
    r = ctl(&t, "link.get", NULL);
    ck_assert(test_hs_ok(r));
    cJSON_Delete(r);
    r = admin(&t, "hosts", NULL);
    const cJSON *hosts = cJSON_GetObjectItem(cJSON_GetObjectItem(r,
                                                                 "response"),
                                             "hosts");
    ck_assert_str_eq(test_hs_str(cJSON_GetArrayItem(hosts, 0), "state"),
                     "dead");
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_graceful_stops)
{
    test_hs_t t;
    HS_START(&t, 3, "--hosts", "3", "--label", "zone=z");
    char body[256];
    snprintf(body, sizeof(body), "{\"host\":\"%s\"}", t.ids[0]);
    cJSON_Delete(admin(&t, "stop", body));
    cJSON *ev = event(&t, "host_stopped", t.ids[0]);
    const cJSON *labels = cJSON_GetObjectItem(data_of(ev), "labels");
    ck_assert_str_eq(test_hs_str(labels, "zone"), "z");
    ck_assert_str_eq(test_hs_str(labels, "hostcore.os"), "linux");
    cJSON_Delete(ev);
    snprintf(body, sizeof(body), "{\"host_id\":\"%s\"}", t.ids[2]);
    cJSON *r = ctlf(&t, body, "host.stop.%s", t.ids[1]);
    char msg[128];
    snprintf(msg, sizeof(msg), "invalid host_id [%s]", t.ids[2]);
    expect_reply(r, false, msg);
    snprintf(body, sizeof(body), "{\"host_id\":\"%s\",\"timeout\":1000}",
             t.ids[1]);
    expect_reply(ctlf(&t, body, "host.stop.%s", t.ids[1]), true,
                 "successfully handled stop host");
    cJSON_Delete(event(&t, "host_stopped", t.ids[1]));
    int st = test_hs_stop_sim(&t);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d",
                  st);
    cJSON_Delete(event(&t, "host_stopped", t.ids[2]));
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_command_record)
{
    test_hs_t t;
    char path[] = "/tmp/wadm-hs-record-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    HS_START(&t, 2, "--hosts", "2", "--record", path, "--record-max", "3");
    const char *a = t.ids[0];
    const char *b = t.ids[1];
    expect_reply(ctlf(&t, scale_body(a, "c", REF1, ANN1, 2, NULL),
                      "component.scale.%s", a), true, "");
    expect_reply(ctlf(&t, scale_body(a, "c", REF1, ANN1, 0, NULL),
                      "component.scale.%s", a), true, "");
    expect_reply(ctlf(&t, scale_body(b, "c", REF1, ANN1, 1, NULL),
                      "component.scale.%s", b), true, "");
    expect_reply(ctlf(&t, start_body(b, "p", PREF, "[]"), "provider.start.%s",
                      b), true, "successfully started provider");
    cJSON_Delete(ctl(&t, "link.get", NULL));
    cJSON *r = admin(&t, "commands", NULL);
    cJSON *resp = cJSON_GetObjectItem(r, "response");
    ck_assert(num(resp, "total") == 5);
    ck_assert(num(resp, "kept") == 3);
    ck_assert(num(resp, "dropped") == 2);
    cJSON *by_kind = cJSON_GetObjectItem(resp, "by_kind");
    ck_assert(num(by_kind, "component.scale") == 3);
    ck_assert(num(by_kind, "component.scale:count>0") == 2);
    ck_assert(num(by_kind, "component.scale:count=0") == 1);
    cJSON *by_host = cJSON_GetObjectItem(resp, "by_host");
    ck_assert(num(cJSON_GetObjectItem(by_host, a), "component.scale") == 2);
    ck_assert(num(cJSON_GetObjectItem(by_host, b), "component.scale") == 1);
    ck_assert(num(cJSON_GetObjectItem(by_host, b), "provider.start") == 1);
    cJSON *list = cJSON_GetObjectItem(resp, "commands");
    ck_assert_int_eq(cJSON_GetArraySize(list), 3);
    cJSON *last = cJSON_GetArrayItem(list, 2);
    ck_assert_str_eq(test_hs_str(last, "kind"), "link.get");
    ck_assert(num(last, "seq") == 5);
    cJSON_Delete(r);
    snprintf(body_buf, sizeof(body_buf), "{\"host\":\"%s\",\"kind\":"
             "\"provider.start\"}", b);
    r = admin(&t, "commands", body_buf);
    list = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"), "commands");
    ck_assert_int_eq(cJSON_GetArraySize(list), 1);
    cJSON *e = cJSON_GetArrayItem(list, 0);
    ck_assert_str_eq(test_hs_str(e, "host"), b);
    cJSON *sent = cJSON_Parse(test_hs_str(e, "body"));
    ck_assert_str_eq(test_hs_str(sent, "provider_id"), "p");
    cJSON_Delete(sent);
    cJSON_Delete(r);
    size_t len = 0;
    char *text = test_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_ptr_nonnull(test_hs_str(j, "subject"));
        ck_assert_ptr_nonnull(test_hs_str(j, "time"));
        cJSON_Delete(j);
        lines++;
    }
    ck_assert_int_eq(lines, 5);
    free(text);
    cJSON_Delete(admin(&t, "reset", NULL));
    r = admin(&t, "commands", NULL);
    ck_assert(num(cJSON_GetObjectItem(r, "response"), "total") == 0);
    cJSON_Delete(r);
    unlink(path);
    finish(&t);
}
END_TEST

/* The count>0 kinds cannot tell a needed start from a redundant one. */
START_TEST(test_hostsim_scale_effects_counted)
{
    test_hs_t t;
    HS_START(&t, 2, "--hosts", "2");
    const char *a = t.ids[0];
    const char *b = t.ids[1];
    static const struct {
        int host;
        const char *id;
        unsigned count;
    } steps[] = {
        {0, "c", 2}, /* up +2 (fresh start) */
        {0, "c", 2}, /* noop: the same count again */
        {0, "c", 3}, /* up +1 */
        {1, "c", 1}, /* up +1: another host */
        {0, "c", 1}, /* down -2 */
        {0, "c", 0}, /* down -1 (stopped) */
        {0, "c", 0}, /* noop: nothing to stop */
        {1, "d", 0}, /* noop: never started */
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *h = steps[i].host ? b : a;
        expect_reply(ctlf(&t, scale_body(h, steps[i].id, REF1, ANN1,
                                         steps[i].count, NULL),
                          "component.scale.%s", h), true, "");
    }
    cJSON_Delete(admin(&t, "fault", "{\"kind\":\"component_scale\","
                                    "\"error\":\"no\",\"count\":1}"));
    expect_reply(ctlf(&t, scale_body(b, "c", REF1, ANN1, 5, NULL),
                      "component.scale.%s", b), true, "");
    cJSON *r = admin(&t, "commands", "{\"list\":false}");
    cJSON *resp = cJSON_GetObjectItem(r, "response");
    cJSON *k = cJSON_GetObjectItem(resp, "by_kind");
    ck_assert(num(k, "component.scale") == 9);
    ck_assert(num(k, "component.scale:count>0") == 6);
    ck_assert(num(k, "component.scale:up") == 3);
    ck_assert(num(k, "component.scale:down") == 2);
    ck_assert(num(k, "component.scale:noop") == 3);
    ck_assert(num(k, "component.scale:failed") == 1);
    ck_assert(num(k, "component.instances:started") == 4);
    ck_assert(num(k, "component.instances:stopped") == 3);
    cJSON *hb = cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "by_host"), b);
    ck_assert(num(hb, "component.instances:started") == 1);
    ck_assert(num(hb, "component.scale:noop") == 1);
    ck_assert(num(hb, "component.scale:failed") == 1);
    cJSON_Delete(r);
    cJSON_Delete(admin(&t, "reset", NULL));
    r = admin(&t, "commands", "{\"list\":false}");
    k = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"), "by_kind");
    ck_assert_ptr_null(cJSON_GetObjectItem(k, "component.instances:started"));
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

/* --nats takes the servers of a cluster; the first may be down. */
START_TEST(test_hostsim_connects_through_a_server_list)
{
    const char *bin = getenv("HOSTSIM_BIN");
    if (!test_nats_available() || bin == NULL || bin[0] == '\0') {
        test_skip("%s: nats-server or HOSTSIM_BIN missing", __func__);
        return;
    }
    test_nats_t up;
    ck_assert_int_eq(test_nats_start(&up, NULL), 0);
    char list[160];
    snprintf(list, sizeof(list), "127.0.0.1:%d,%s", test_free_port(),
             up.url);
    char log[300];
    snprintf(log, sizeof(log), "%s/hostsim.log", up.dir);
    char *argv[] = {(char *)bin, "--nats", list, "--lattice", LAT,
                    "--hosts", "2", NULL};
    test_proc_t p;
    ck_assert_int_eq(test_proc_start(&p, argv, NULL, log), 0);
    bool is_ready = false;
    uint64_t deadline = test_now_ms() + 10000;
    while (!is_ready && test_now_ms() < deadline) {
        char *text = test_read_file(log, NULL);
        is_ready = text && strstr(text, "2 hosts ready") != NULL;
        free(text);
        if (!is_ready)
            test_pause_ms(20);
    }
    int st = test_proc_stop(&p, 5000);
    test_nats_destroy(&up);
    ck_assert_msg(is_ready, "hostsim did not connect through \"%s\"", list);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d",
                  st);
}
END_TEST

START_TEST(test_hostsim_malformed_bodies)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    const char *h = t.ids[0];
    static const struct {
        const char *fmt;
        const char *body;
        const char *message;
    } cases[] = {
        {"component.scale.%s", "not json",
         "failed to deserialize component scale command"},
        {"component.scale.%s", "{\"component_ref\":\"x\"}",
         "failed to deserialize component scale command"},
        {"component.scale.%s", "{\"component_id\":\"x\",\"count\":-1}",
         "failed to deserialize component scale command"},
        {"component.scale.%s", "{\"component_id\":\"x\",\"annotations\":1}",
         "failed to deserialize component scale command"},
        {"component.scale.%s", "{\"component_id\":\"x\"} trailing",
         "failed to deserialize component scale command"},
        {"component.update.%s", "[]",
         "failed to deserialize component update command"},
        {"provider.start.%s", "{}",
         "failed to deserialize provider start command"},
        {"provider.stop.%s", "{\"provider_id\":null}",
         "failed to deserialize provider stop command"},
        {"label.put.%s", "{\"key\":\"a\"}",
         "failed to deserialize put label request"},
        {"label.del.%s", "", "failed to deserialize delete label request"},
        {"host.stop.%s", "{\"timeout\":\"soon\"}",
         "failed to deserialize stop command"},
        {"registry.put%s", "{\"r\":{\"username\":5}}",
         "failed to deserialize registries put command"},
        {"link.del%s", "{\"source_id\":\"a\"}",
         "failed to deserialize wrpc link definition"},
        {"component.auction%s", "{\"component_id\":\"a\"}",
         "failed to deserialize component auction command"},
        {"component.bogus.%s", "{}", "unsupported subject"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *r = ctlf(&t, cases[i].body, cases[i].fmt,
                        strstr(cases[i].fmt, ".%s") ? h : "");
        ck_assert_msg(!test_hs_ok(r), "case %zu succeeded", i);
        ck_assert_str_eq(test_hs_msg(r), cases[i].message);
        ck_assert_ptr_null(cJSON_GetObjectItem(r, "response"));
        cJSON_Delete(r);
    }
    char junk[3000];
    for (size_t i = 0; i < sizeof(junk) - 1; i++)
        junk[i] = (char)(1 + (i * 37) % 250);
    junk[sizeof(junk) - 1] = '\0';
    cJSON_Delete(ctlf(&t, junk, "component.scale.%s", h));
    expect_reply(ctl(&t, "registry.put", "{\"ghcr.io\":{\"token\":\"t\"}}"),
                 true, "successfully put registries");
    cJSON *r = admin(&t, "nope", NULL);
    ck_assert(!test_hs_ok(r));
    cJSON_Delete(r);
    r = admin(&t, "hosts", "{oops");
    ck_assert(!test_hs_ok(r));
    cJSON_Delete(r);
    r = ctlf(&t, NULL, "host.get.%s", h);
    ck_assert(test_hs_ok(r));
    cJSON_Delete(r);
    int st = test_hs_stop_sim(&t);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d",
                  st);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_labels)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1");
    const char *h = t.ids[0];
    expect_reply(ctlf(&t, "{\"key\":\"zone\",\"value\":\"b\"}",
                      "label.put.%s", h), true, "successfully put label");
    cJSON *ev = event(&t, "labels_changed", h);
    ck_assert_str_eq(test_hs_str(data_of(ev), "host_id"), h);
    ck_assert_str_eq(test_hs_str(cJSON_GetObjectItem(data_of(ev), "labels"),
                                 "zone"), "b");
    cJSON_Delete(ev);
    expect_reply(ctlf(&t, "{\"key\":\"hostcore.os\",\"value\":\"b\"}",
                      "label.put.%s", h), false,
                 "hostcore.* labels cannot be set dynamically");
    expect_reply(ctlf(&t, "{\"key\":\"nope\"}", "label.del.%s", h), true,
                 "successfully deleted label (no such label)");
    cJSON_Delete(admin(&t, "heartbeat", NULL));
    ev = event(&t, "host_heartbeat", h);
    ck_assert_str_eq(test_hs_str(cJSON_GetObjectItem(data_of(ev), "labels"),
                                 "zone"), "b");
    cJSON_Delete(ev);
    expect_reply(ctlf(&t, "{\"key\":\"zone\"}", "label.del.%s", h), true,
                 "successfully deleted label");
    ev = event(&t, "labels_changed", h);
    ck_assert_ptr_null(test_hs_str(cJSON_GetObjectItem(data_of(ev), "labels"),
                                   "zone"));
    cJSON_Delete(ev);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_slow_and_auction)
{
    test_hs_t t;
    HS_START(&t, 2, "--host", "zone=east", "--host", "zone=west");
    char body[256];
    snprintf(body, sizeof(body), "{\"host\":\"%s\",\"ms\":400}", t.ids[0]);
    cJSON_Delete(admin(&t, "slow", body));
    uint64_t t0 = test_now_ms();
    expect_reply(ctlf(&t, scale_body(t.ids[0], "c", REF1, ANN1, 1, NULL),
                      "component.scale.%s", t.ids[0]), true, "");
    ck_assert_uint_ge(test_now_ms() - t0, 380);
    cJSON_Delete(event(&t, "component_scaled", t.ids[0]));
    snprintf(body, sizeof(body), "{\"host\":\"%s\",\"ms\":0}", t.ids[0]);
    cJSON_Delete(admin(&t, "slow", body));
    cJSON *r = ctl(&t, "component.auction",
                   "{\"component_ref\":\"r\",\"component_id\":\"a\","
                   "\"constraints\":{\"zone\":\"west\"}}");
    const cJSON *ack = cJSON_GetObjectItem(r, "response");
    ck_assert_str_eq(test_hs_str(ack, "host_id"), t.ids[1]);
    ck_assert(json_eq(cJSON_GetObjectItem(ack, "constraints"),
                      "{\"zone\":\"west\"}"));
    cJSON_Delete(r);
    natsStatus s;
    r = test_hs_request(&t, "provider.auction",
                        "{\"provider_ref\":\"r\",\"provider_id\":\"a\","
                        "\"constraints\":{\"zone\":\"north\"}}", 300, &s);
    ck_assert_ptr_null(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_survives_nats_restart)
{
    test_hs_t t;
    HS_START(&t, 1, "--hosts", "1", "--heartbeat-ms", "200");
    const char *h = t.ids[0];
    expect_reply(ctl(&t, "config.put.kept", "{\"a\":\"b\"}"), true,
                 "successfully put config");
    test_nats_stop(&t.nats);
    ck_assert_int_eq(test_nats_restart(&t.nats), 0);
    test_hs_events_clear(&t);
    /* Both sides reconnect; the host heartbeats and answers again. */
    cJSON *ev = test_hs_event(&t, "host_heartbeat", h, 15000);
    ck_assert_ptr_nonnull(ev);
    cJSON_Delete(ev);
    cJSON *r = ctl(&t, "config.get.kept", NULL);
    ck_assert(json_eq(cJSON_GetObjectItem(r, "response"), "{\"a\":\"b\"}"));
    cJSON_Delete(r);
    finish(&t);
}
END_TEST

START_TEST(test_hostsim_flood)
{
    test_hs_t t;
    HS_START(&t, 10, "--flood", "2000", "--hosts", "10", "--components",
             "20");
    int seen = 0;
    for (; seen < 2000; seen++) {
        cJSON *ev = test_hs_event(&t, "host_heartbeat", NULL, 10000);
        if (ev == NULL)
            break;
        if (seen == 0)
            ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                                 data_of(ev), "components")), 20);
        cJSON_Delete(ev);
    }
    ck_assert_int_eq(seen, 2000);
    ck_assert_int_ge(test_hs_wait_sim(&t, 10000), 0);
    char *log = test_read_file(t.log_path, NULL);
    ck_assert_ptr_nonnull(strstr(log, "flood: 2000 heartbeats from 10 hosts"));
    free(log);
    finish(&t);
}
END_TEST

Suite *
hostsim_suite(void)
{
    Suite *s = suite_create("hostsim");
    TCase *tc = tcase_create("protocol");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hostsim_announces_hosts);
    tcase_add_test(tc, test_hostsim_scale_replies_before_events);
    tcase_add_test(tc, test_hostsim_scale_existing_keeps_original);
    tcase_add_test(tc, test_hostsim_component_update);
    tcase_add_test(tc, test_hostsim_provider_start_stop);
    tcase_add_test(tc, test_hostsim_links);
    tcase_add_test(tc, test_hostsim_config);
    tcase_add_test(tc, test_hostsim_ping_and_inventory);
    tcase_add_test(tc, test_hostsim_heartbeat_carries_inventory);
    tcase_add_test(tc, test_hostsim_labels);
    suite_add_tcase(s, tc);
    tc = tcase_create("control");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hostsim_faults);
    tcase_add_test(tc, test_hostsim_die_is_silent);
    tcase_add_test(tc, test_hostsim_graceful_stops);
    tcase_add_test(tc, test_hostsim_command_record);
    tcase_add_test(tc, test_hostsim_scale_effects_counted);
    tcase_add_test(tc, test_hostsim_connects_through_a_server_list);
    tcase_add_test(tc, test_hostsim_malformed_bodies);
    tcase_add_test(tc, test_hostsim_slow_and_auction);
    tcase_add_test(tc, test_hostsim_survives_nats_restart);
    suite_add_tcase(s, tc);
    tc = tcase_create("bench");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hostsim_flood);
    suite_add_tcase(s, tc);
    return s;
}
