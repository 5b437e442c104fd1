/*
 * check_api_errors.c - the wadm API when things go wrong: invalid and
 * unsupported subjects (spec/api.md 2.4), records that do not parse
 * (storage errors, api.md 3), garbage bodies for every operation, large
 * manifests and replies, and the reconciler killed with a request in
 * flight or still starting (DESIGN.md section 3: no request goes
 * unanswered).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_api.h"
#include "test/lib/test_util.h"

static test_api_t api;

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
#define put_ok(name, version) test_api_put_ok(&api, name, version, NULL)

/* A request on a full subject; the parsed reply. */
static cJSON *
call_subject(const char *subject, const char *body)
{
    natsStatus s;
    char *text = test_api_request(&api, subject, body, strlen(body), NULL,
                                  NULL, TEST_API_WAIT_MS, &s);
    ck_assert_msg(text != NULL, "no reply on %s: %s", subject,
                  natsStatus_GetText(s));
    cJSON *o = cJSON_Parse(text);
    ck_assert_msg(o != NULL, "not JSON on %s: %.200s", subject, text);
    free(text);
    return o;
}

static void
expect_subject(const char *subject, const char *want)
{
    cJSON *r = call_subject(subject, "");
    test_json_expect(r, want);
    cJSON_Delete(r);
}

/* No worker of wadm was restarted since it started. */
static void
expect_no_restarts(void)
{
    ck_assert_int_eq(test_api_restarts(&api), 0);
}

/* ---- subjects (2.4) --------------------------------------------------- */

#define EXTRA_MSG                                                        \
    "Invalid subject: Found extra components of subject, ensure your "   \
    "manifest name consists of only alphanumeric characters, dashes, "   \
    "and underscores."

START_TEST(test_api_subject_invalid)
{
    if (!up())
        return;
    expect_subject("wadm.api.default",
                   "{\"message\":\"Invalid subject: Expected to find API "
                   "category\",\"result\":\"error\"}");
    expect_subject("wadm.api.default.model",
                   "{\"message\":\"Invalid subject: Expected to find "
                   "operation\",\"result\":\"error\"}");
    expect_subject("wadm.api.default.model.get.a.b",
                   "{\"message\":\"" EXTRA_MSG "\",\"result\":\"error\"}");
    expect_subject("wadm.api.default.model.get.rust-sqldb-postgres-query.foo."
                   "bar",
                   "{\"message\":\"" EXTRA_MSG "\",\"result\":\"error\"}");
    down();
}
END_TEST

START_TEST(test_api_subject_unsupported)
{
    if (!up())
        return;
    static const char *const subjects[] = {
        "wadm.api.default.blah.get.rust-sqldb-postgres-query",
        "wadm.api.default.model.put.foo",
        "wadm.api.default.model.list.foo",
        "wadm.api.default.model.deploy",
        "wadm.api.default.model.undeploy",
        "wadm.api.default.model.del",
        "wadm.api.default.model.versions",
        "wadm.api.default.model.status",
        "wadm.api.default.model.history",
        "wadm.api.default.model.bogus",
        "wadm.api.default.model.bogus.echo",
        "wadm.api.default.MODEL.get",
        NULL};
    for (int i = 0; subjects[i]; i++) {
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"message\":\"Unsupported subject: %s\",\"result\":"
                 "\"error\"}", subjects[i]);
        expect_subject(subjects[i], want);
    }
    /* the wrapped-list and versions errors carry their arrays too */
    cJSON *r = call_subject("wadm.api.default.model.get.a.b", "");
    ck_assert_ptr_null(cJSON_GetObjectItem(r, "models"));
    cJSON_Delete(r);
    down();
}
END_TEST

/* ---- storage errors: records that do not parse ------------------------ */

START_TEST(test_api_unreadable_record_is_a_storage_error)
{
    if (!up())
        return;
    test_kv_put(&api, "default-bad", "this is not JSON");
    test_kv_put(&api, "default-worse", "{\"manifests\":[]}");
    test_kv_put(&api, "default", "[\"bad\"]");
    static const char *const apps[] = {"bad", "worse", NULL};
    for (int i = 0; apps[i]; i++) {
        char op[128], want[512];
        snprintf(op, sizeof(op), "model.get.%s", apps[i]);
        expect(op, NULL, "{\"message\":\"Internal storage error\","
                         "\"result\":\"error\"}");
        snprintf(op, sizeof(op), "model.versions.%s", apps[i]);
        expect(op, NULL, "{\"message\":\"Internal storage error\","
                         "\"result\":\"error\",\"versions\":[]}");
        snprintf(op, sizeof(op), "model.deploy.%s", apps[i]);
        expect(op, NULL, "{\"message\":\"Internal storage error\","
                         "\"result\":\"error\"}");
        snprintf(op, sizeof(op), "model.undeploy.%s", apps[i]);
        snprintf(want, sizeof(want),
                 "{\"result\":\"error\",\"message\":\"Internal storage "
                 "error\",\"name\":\"%s\",\"version\":null}", apps[i]);
        expect(op, NULL, want);
        snprintf(op, sizeof(op), "model.del.%s", apps[i]);
        snprintf(want, sizeof(want),
                 "{\"result\":\"error\",\"message\":\"Internal storage error "
                 "while fetching manifest data for application %s\","
                 "\"undeploy\":false}", apps[i]);
        expect(op, NULL, want);
        char *m = test_api_manifest(apps[i], "v1", NULL);
        cJSON *r = test_api_put(&api, m, NULL);
        test_json_expect(r, "{\"message\":\"Internal storage error\","
                            "\"result\":\"error\"}");
        cJSON_Delete(r);
        free(m);
    }
    /* one bad record fails the whole list */
    expect("model.get", NULL,
           "{\"message\":\"Internal storage error\",\"result\":\"error\","
           "\"models\":[]}");
    expect("model.list", NULL,
           "{\"message\":\"Internal storage error\",\"result\":\"error\"}");
    /* the record is left alone */
    char *rec = test_kv_get(&api, "default-bad");
    ck_assert_str_eq(rec, "this is not JSON");
    free(rec);
    expect_no_restarts();
    down();
}
END_TEST

START_TEST(test_api_unreadable_index)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    test_kv_put(&api, "default", "{\"not\":\"an array\"}");
    expect("model.list", NULL,
           "{\"message\":\"Internal storage error\",\"result\":\"error\"}");
    /* by name the application is still there */
    expect("model.get.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\","
           "\"manifest\":\"<any>\"}");
    /* deleting needs the index: the two storage-failure rows of 4.6 */
    natsSubscription *ev = test_api_events(&api);
    expect("model.del.echo", NULL,
           "{\"result\":\"error\",\"message\":\"Internal storage error "
           "when deleting application echo\",\"undeploy\":false}");
    /* the last version: upstream says "deleted" with the error text */
    expect("model.del.echo", test_api_vbody("v1"),
           "{\"result\":\"deleted\",\"message\":\"Internal storage error "
           "when deleting v1 of application echo\",\"undeploy\":false}");
    test_api_expect_no_event(&api, ev);
    natsSubscription_Destroy(ev);
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false}]}");
    expect_no_restarts();
    down();
}
END_TEST

/* ---- garbage bodies --------------------------------------------------- */

/* Sends body to op and checks a JSON reply comes back. */
static cJSON *
garbage_call(const char *op, const char *body, size_t len)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wadm.api.default.%s", op);
    natsStatus s;
    char *text = test_api_request(&api, subject, body, len, NULL, NULL,
                                  TEST_API_WAIT_MS, &s);
    ck_assert_msg(text != NULL, "no reply on %s (%zu garbage bytes): %s",
                  subject, len, natsStatus_GetText(s));
    cJSON *o = cJSON_Parse(text);
    ck_assert_msg(o != NULL, "reply on %s is not JSON: %.200s", subject,
                  text);
    free(text);
    return o;
}

START_TEST(test_api_garbage_bodies_get_clean_errors)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    enum { NBODIES = 6 };
    char *bodies[NBODIES];
    size_t lens[NBODIES];
    /* random bytes, NULs, truncated JSON, deep nesting, a huge string,
     * invalid UTF-8 in a string */
    lens[0] = 4096;
    bodies[0] = malloc(lens[0]);
    for (size_t i = 0; i < lens[0]; i++)
        bodies[0][i] = (char)((i * 2654435761u) >> 13);
    lens[1] = 16;
    bodies[1] = calloc(1, lens[1]);
    bodies[2] = strdup("{\"version\":");
    lens[2] = strlen(bodies[2]);
    lens[3] = 200000;
    bodies[3] = malloc(lens[3]);
    for (size_t i = 0; i < lens[3]; i++)
        bodies[3][i] = i < lens[3] / 2 ? '[' : ']';
    lens[4] = 300000;
    bodies[4] = malloc(lens[4]);
    memset(bodies[4], 'x', lens[4]);
    memcpy(bodies[4], "{\"version\":\"", 12);
    memcpy(bodies[4] + lens[4] - 2, "\"}", 2);
    bodies[5] = strdup("{\"version\":\"\xff\xfe\"}");
    lens[5] = strlen(bodies[5]);
    static const struct {
        const char *op;
        const char *result; /* expected "result", NULL: any */
    } ops[] = {
        {"model.put", "error"},
        {"model.get.echo", NULL},
        {"model.get", "success"},
        {"model.list", NULL},
        {"model.versions.echo", "success"},
        {"model.del.echo", NULL},
        {"model.deploy.echo", NULL},
        {"model.undeploy.echo", NULL},
        {"model.status.echo", "ok"},
        {"model.history.echo", "error"},
    };
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (int b = 0; b < NBODIES; b++) {
            cJSON *r = garbage_call(ops[o].op, bodies[b], lens[b]);
            if (ops[o].result)
                ck_assert_msg(strcmp(test_json_str(r, "result"),
                                     ops[o].result) == 0,
                              "%s with garbage %d: result %s", ops[o].op, b,
                              test_json_str(r, "result"));
            cJSON_Delete(r);
        }
    }
    for (int b = 0; b < NBODIES; b++)
        free(bodies[b]);
    /* the application survived all of it, and so did every worker */
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "\"<any>\"]}");
    expect_no_restarts();
    down();
}
END_TEST

/* ---- large manifests and replies -------------------------------------- */

/* A manifest of about size bytes: the echo one with a long description. */
static char *
big_manifest(const char *name, const char *version, size_t size)
{
    char *desc = malloc(size + 1);
    memset(desc, 'd', size);
    desc[size] = '\0';
    char *m = test_api_manifest(name, version, desc);
    free(desc);
    return m;
}

START_TEST(test_api_manifest_just_under_the_nats_limit)
{
    if (!up())
        return;
    /* NATS refuses payloads over 1 MiB itself; just under is ours */
    char *m = big_manifest("big", "v1", 1024 * 1024 - 2048);
    cJSON *r = test_api_put(&api, m, NULL);
    ck_assert_msg(strcmp(test_json_str(r, "result"), "created") == 0,
                  "put: %s", test_json_str(r, "message"));
    cJSON_Delete(r);
    r = test_api_call(&api, "model.get.big", NULL);
    ck_assert_str_eq(test_json_str(r, "result"), "success");
    cJSON_Delete(r);
    /* a second version cannot fit in the record: the storage error of
     * api.md 8, and nothing half-written */
    char *m2 = big_manifest("big", "v2", 1024 * 1024 - 2048);
    r = test_api_put(&api, m2, NULL);
    test_json_expect(r, "{\"message\":\"Internal storage error\","
                        "\"result\":\"error\"}");
    cJSON_Delete(r);
    r = test_api_call(&api, "model.versions.big", NULL);
    test_json_expect(r, "{\"result\":\"success\",\"message\":\"<str>\","
                        "\"versions\":[{\"version\":\"v1\",\"deployed\":"
                        "false}]}");
    cJSON_Delete(r);
    free(m);
    free(m2);
    /* and wadm is fine */
    put_ok("small", "v1");
    expect_no_restarts();
    down();
}
END_TEST

START_TEST(test_api_reply_over_the_nats_limit_is_an_error)
{
    if (!up())
        return;
    /* two apps of 600 KB each: the list reply cannot be sent whole */
    char *a = big_manifest("big-a", "v1", 600 * 1024);
    char *b = big_manifest("big-b", "v1", 600 * 1024);
    cJSON *r = test_api_put(&api, a, NULL);
    ck_assert_msg(strcmp(test_json_str(r, "result"), "created") == 0,
                  "put: %s", test_json_str(r, "message"));
    cJSON_Delete(r);
    r = test_api_put(&api, b, NULL);
    ck_assert_msg(strcmp(test_json_str(r, "result"), "created") == 0,
                  "put: %s", test_json_str(r, "message"));
    cJSON_Delete(r);
    free(a);
    free(b);
    uint64_t t0 = test_now_ms();
    expect("model.get", NULL,
           "{\"message\":\"<str>\",\"result\":\"error\",\"models\":[]}");
    expect("model.list", NULL,
           "{\"message\":\"<str>\",\"result\":\"error\"}");
    /* answered at once, not at the client's timeout */
    ck_assert_uint_lt(test_now_ms() - t0, 2000);
    expect_no_restarts();
    down();
}
END_TEST

/* ---- the reconciler dies or is starting ------------------------------- */

/* Sends a request whose reply will arrive on *sub. */
static natsSubscription *
send_async(const char *subject, const char *body)
{
    natsInbox *inbox = NULL;
    ck_assert_int_eq(natsInbox_Create(&inbox), NATS_OK);
    natsSubscription *sub = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(&sub, api.nc, inbox),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_PublishRequestString(api.nc, subject,
                                                         inbox, body),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_Flush(api.nc), NATS_OK);
    natsInbox_Destroy(inbox);
    return sub;
}

static long
ingest_api_in(void)
{
    char *d = test_wadm_dump(&api.wadm);
    long n = d ? test_dump_num(d, "worker ingest.0", "api_in_total") : -1;
    free(d);
    return n;
}

/*
 * Whether ingest took in more requests than *arg. Not "api_pending is
 * 1": that holds only until the deadline reply, and a dump taken while a
 * worker is stopped waits for its status reply, so under ASan the test
 * could poll past the whole window.
 */
static bool
ingest_took_more(void *arg)
{
    return ingest_api_in() > *(const long *)arg;
}

START_TEST(test_api_reconciler_killed_with_a_request_in_flight)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    long pid = test_api_rec_pid(&api);
    ck_assert_int_gt(pid, 0);
    long before = ingest_api_in();
    ck_assert_int_ge(before, 1);
    /* stopped: the request reaches its channel but is never handled */
    kill((pid_t)pid, SIGSTOP);
    uint64_t t0 = test_now_ms();
    natsSubscription *sub = send_async("wadm.api.default.model.deploy.echo",
                                       "");
    ck_assert(test_wait_until(ingest_took_more, &before, 3000));
    kill((pid_t)pid, SIGKILL);
    natsMsg *m = NULL;
    ck_assert_int_eq(natsSubscription_NextMsg(&m, sub, TEST_API_WAIT_MS),
                     NATS_OK);
    /* within wadm's own deadline (--api-timeout-ms 3000) */
    ck_assert_uint_le(test_now_ms() - t0, 3000 + 500);
    cJSON *r = cJSON_ParseWithLength(natsMsg_GetData(m),
                                     (size_t)natsMsg_GetDataLength(m));
    test_json_expect(r, "{\"message\":\"<prefix>wadm-c: the reconciler of "
                        "lattice default \",\"result\":\"error\"}");
    cJSON_Delete(r);
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
    /* the next request waits for the restarted reconciler */
    expect("model.deploy.echo", NULL,
           "{\"result\":\"acknowledged\",\"message\":\"<str>\",\"name\":"
           "\"echo\",\"version\":\"v1\"}");
    long pid2 = test_api_rec_pid(&api);
    ck_assert_int_gt(pid2, 0);
    ck_assert_int_ne(pid2, pid);
    down();
}
END_TEST

START_TEST(test_api_request_waits_for_a_starting_reconciler)
{
    if (!up())
        return;
    /* a lattice never seen: its reconciler starts for this request */
    snprintf(api.lattice, sizeof(api.lattice), "fresh");
    ck_assert_int_eq(test_api_rec_pid(&api), -1);
    put_ok("echo", "v1");
    long pid = test_api_rec_pid(&api);
    ck_assert_int_gt(pid, 0);
    /* killed and asked again at once, maybe before ingest saw the death:
     * a read-only request is sent again to the restarted reconciler */
    kill((pid_t)pid, SIGKILL);
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false}]}");
    down();
}
END_TEST

START_TEST(test_api_flood_every_request_is_answered)
{
    if (!up())
        return;
    put_ok("echo", "v1");
    /* far more than ingest (1000 per lattice) and the reconciler's job
     * queue (256) hold: each gets its reply or a "retry" error */
    enum { FLOOD = 3000 };
    natsInbox *inbox = NULL;
    ck_assert_int_eq(natsInbox_Create(&inbox), NATS_OK);
    char wildcard[128];
    snprintf(wildcard, sizeof(wildcard), "%s.*", inbox);
    natsSubscription *sub = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(&sub, api.nc, wildcard),
                     NATS_OK);
    ck_assert_int_eq(natsSubscription_SetPendingLimits(sub, -1, -1),
                     NATS_OK);
    for (int i = 0; i < FLOOD; i++) {
        char reply[128];
        snprintf(reply, sizeof(reply), "%s.%d", inbox, i);
        const char *subject = i % 2 ? "wadm.api.default.model.get.echo"
                                    : "wadm.api.default.model.versions.echo";
        ck_assert_int_eq(natsConnection_PublishRequestString(api.nc, subject,
                                                             reply, ""),
                         NATS_OK);
    }
    ck_assert_int_eq(natsConnection_Flush(api.nc), NATS_OK);
    int ok = 0, busy = 0;
    for (int i = 0; i < FLOOD; i++) {
        natsMsg *m = NULL;
        ck_assert_msg(natsSubscription_NextMsg(&m, sub, TEST_API_WAIT_MS) ==
                          NATS_OK,
                      "only %d of %d requests answered", i, FLOOD);
        cJSON *r = cJSON_ParseWithLength(natsMsg_GetData(m),
                                         (size_t)natsMsg_GetDataLength(m));
        ck_assert_ptr_nonnull(r);
        if (strcmp(test_json_str(r, "result"), "success") == 0)
            ok++;
        else if (strncmp(test_json_str(r, "message"), "wadm-c: ", 8) == 0)
            busy++;
        else
            ck_abort_msg("unexpected reply %.*s", natsMsg_GetDataLength(m),
                         natsMsg_GetData(m));
        cJSON_Delete(r);
        natsMsg_Destroy(m);
    }
    ck_assert_int_eq(ok + busy, FLOOD);
    ck_assert_int_gt(ok, 0);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    /* and the next request is served normally */
    expect("model.versions.echo", NULL,
           "{\"result\":\"success\",\"message\":\"<str>\",\"versions\":["
           "{\"version\":\"v1\",\"deployed\":false}]}");
    expect_no_restarts();
    down();
}
END_TEST

Suite *
api_errors_suite(void)
{
    Suite *s = suite_create("api_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_subject_invalid);
    tcase_add_test(tc, test_api_subject_unsupported);
    tcase_add_test(tc, test_api_unreadable_record_is_a_storage_error);
    tcase_add_test(tc, test_api_unreadable_index);
    tcase_add_test(tc, test_api_garbage_bodies_get_clean_errors);
    tcase_add_test(tc, test_api_manifest_just_under_the_nats_limit);
    tcase_add_test(tc, test_api_reply_over_the_nats_limit_is_an_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("crash");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api_reconciler_killed_with_a_request_in_flight);
    tcase_add_test(tc, test_api_request_waits_for_a_starting_reconciler);
    tcase_add_test(tc, test_api_flood_every_request_is_answered);
    suite_add_tcase(s, tc);
    return s;
}
