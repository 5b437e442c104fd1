/*
 * check_lifecycle_crash.c - crash safety of reconciliation on real
 * processes: kill -9 of rec.<lattice> and of dispatch in the middle of a
 * deploy of 20 applications. Every application must reach deployed, and
 * the simulated hosts must have received no more starts (scale-ups and
 * provider starts) than the final placement needs: a restarted worker
 * re-reads state and inventory and never doubles a start.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_life.h"
#include "test/lib/test_util.h"

#define NAPPS 20
#define INSTANCES 3

static test_life_t life;

static char *
app_manifest(int i)
{
    char name[32], image[64], bucket[16];
    snprintf(name, sizeof(name), "crash-%02d", i);
    snprintf(image, sizeof(image), "ghcr.io/example/web:1.%d.0", i);
    snprintf(bucket, sizeof(bucket), "b%02d", i);
    return test_life_app_yaml(name, image, INSTANCES, bucket);
}

static long
worker_pid(const char *section)
{
    char *d = test_wadm_dump(&life.wadm);
    long pid = d ? test_dump_num(d, section, "pid") : -1;
    free(d);
    return pid;
}

/* Waits until the worker runs again with a pid other than old. */
static long
wait_restarted(const char *section, long old)
{
    uint64_t deadline = test_now_ms() + 15000;
    while (test_now_ms() < deadline) {
        char *d = test_wadm_dump(&life.wadm);
        char st[32] = "";
        long pid = d ? test_dump_num(d, section, "pid") : -1;
        bool ok = d && pid > 0 && pid != old &&
                  test_dump_get(d, section, "state", st, sizeof(st)) &&
                  strcmp(st, "running") == 0;
        free(d);
        if (ok)
            return pid;
        test_pause_ms(20);
    }
    return -1;
}

static void
kill9(const char *section)
{
    long pid = worker_pid(section);
    ck_assert_int_gt(pid, 1);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert_msg(wait_restarted(section, pid) > 0, "%s not restarted",
                  section);
}

/*
 * The client side of the deploys: like wash, it deploys again when the
 * reply is an error (ingest answers for a reconciler that died with the
 * request) or when no reply comes at all.
 */
static char versions[NAPPS][64];
static natsSubscription *replies; /* crash.reply.<i> */
static bool is_acked[NAPPS];
static uint64_t sent_ms[NAPPS];
static int redeploys; /* deploys answered with an error, sent again */

/* Sends model.deploy.crash-<i> with its reply to crash.reply.<i>. */
static void
deploy_async(int i)
{
    char subject[256];
    char reply[64];
    char body[256];
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.deploy.crash-%02d",
             "default", i);
    snprintf(reply, sizeof(reply), "crash.reply.%d", i);
    snprintf(body, sizeof(body), "{\"version\":\"%s\"}", versions[i]);
    if (replies == NULL) {
        ck_assert_int_eq(natsConnection_SubscribeSync(&replies, life.hs.nc,
                                                      "crash.reply.*"),
                         NATS_OK);
        ck_assert_int_eq(natsConnection_Flush(life.hs.nc), NATS_OK);
    }
    is_acked[i] = false;
    sent_ms[i] = test_now_ms();
    ck_assert_int_eq(natsConnection_PublishRequestString(life.hs.nc, subject,
                                                         reply, body),
                     NATS_OK);
}

/* Reads the deploy replies that came; deploys again after an error. */
static void
read_replies(void)
{
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, replies, 0) == NATS_OK) {
        int i = atoi(strrchr(natsMsg_GetSubject(m), '.') + 1);
        cJSON *r = cJSON_ParseWithLength(natsMsg_GetData(m),
                                         (size_t)natsMsg_GetDataLength(m));
        const cJSON *res = cJSON_GetObjectItem(r, "result");
        if (cJSON_IsString(res) &&
            strcmp(res->valuestring, "acknowledged") == 0) {
            is_acked[i] = true;
        } else if (i >= 0 && i < NAPPS) {
            /* e.g. "the reconciler ... stopped while handling the request" */
            redeploys++;
            deploy_async(i);
        }
        cJSON_Delete(r);
        natsMsg_Destroy(m);
        m = NULL;
    }
}

/* Waits until every app is acknowledged and deployed. */
static void
all_deployed(unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    bool is_done[NAPPS] = {false};
    int left = NAPPS;
    while (left > 0) {
        read_replies();
        for (int i = 0; i < NAPPS; i++) {
            if (is_done[i])
                continue;
            if (!is_acked[i]) {
                /* ingest answers within its API timeout (3 s) */
                if (test_now_ms() - sent_ms[i] > 10000)
                    deploy_async(i);
                continue;
            }
            char app[32];
            snprintf(app, sizeof(app), "crash-%02d", i);
            cJSON *r = test_life_api(&life, "status", app, "");
            cJSON *st = cJSON_GetObjectItem(r, "status");
            if (st && strcmp(test_life_stype(st), "deployed") == 0) {
                is_done[i] = true;
                left--;
            }
            cJSON_Delete(r);
        }
        if (left == 0)
            break;
        if (test_now_ms() >= deadline) {
            for (int i = 0; i < NAPPS; i++) {
                if (is_done[i])
                    continue;
                char app[32];
                snprintf(app, sizeof(app), "crash-%02d", i);
                cJSON *r = test_life_api(&life, "status", app, "");
                char *s = r ? cJSON_PrintUnformatted(r) : NULL;
                fprintf(stderr, "%s never deployed (%s): %s\n", app,
                        is_acked[i] ? "acknowledged" : "no reply",
                        s ? s : "no status");
                free(s);
                cJSON_Delete(r);
            }
            fprintf(stderr, "%d deploy(s) sent again after an error\n",
                    redeploys);
            char *d = test_wadm_dump(&life.wadm);
            fprintf(stderr, "%s\n", d ? d : "no dump");
            free(d);
            ck_abort_msg("%d app(s) never deployed", left);
        }
        test_pause_ms(50);
    }
    natsSubscription_Destroy(replies);
    replies = NULL;
}

static void
check_no_extra_starts(void)
{
    for (int i = 0; i < NAPPS; i++) {
        char id[64];
        snprintf(id, sizeof(id), "crash_%02d-web", i);
        ck_assert_int_eq(test_life_instances(&life, id, NULL), INSTANCES);
        snprintf(id, sizeof(id), "crash_%02d-kv", i);
        ck_assert_int_eq(test_life_providers(&life, id, NULL), 1);
    }
    ck_assert_int_eq(test_life_links(&life, NULL), NAPPS);
    cJSON *c = test_life_commands(&life, NULL, NULL);
    const cJSON *by = cJSON_GetObjectItem(c, "by_kind");
    const cJSON *ups = cJSON_GetObjectItem(by, "component.scale:count>0");
    const cJSON *starts = cJSON_GetObjectItem(by, "provider.start");
    long nups = cJSON_IsNumber(ups) ? (long)ups->valuedouble : 0;
    long nstarts = cJSON_IsNumber(starts) ? (long)starts->valuedouble : 0;
    if (nups != NAPPS || nstarts != NAPPS) {
        /* show what was doubled */
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(c, "commands"))
        {
            const char *kind = test_hs_str(e, "kind");
            if (strcmp(kind, "component.scale") == 0 ||
                strcmp(kind, "provider.start") == 0)
                fprintf(stderr, "%s %s %s\n", test_hs_str(e, "time"),
                        test_hs_str(e, "subject"), test_hs_str(e, "body"));
        }
    }
    cJSON_Delete(c);
    ck_assert_int_eq(nups, NAPPS);
    ck_assert_int_eq(nstarts, NAPPS);
}

#define CRASH_START(t)                                                       \
    TEST_LIFE_START((t), false, 4, NULL, "--hosts", "4", NULL)

/* Puts every app, keeping the versions the puts gave. */
static void
put_all(void)
{
    for (int i = 0; i < NAPPS; i++) {
        char *text = app_manifest(i);
        snprintf(versions[i], 64, "%s", test_life_put(&life, text));
        free(text);
    }
}

/*
 * Puts and deploys every app without waiting, and waits until commands
 * reached the hosts.
 */
static void
deploy_all(int commands)
{
    put_all();
    for (int i = 0; i < NAPPS; i++)
        deploy_async(i);
    ck_assert_int_eq(natsConnection_Flush(life.hs.nc), NATS_OK);
    cJSON *a = test_life_wait_actions(&life, 0, commands, 5000);
    ck_assert_ptr_nonnull(a);
    cJSON_Delete(a);
}

/* kill -9 of rec.default, then of dispatch, while 20 deploys go on. */
START_TEST(test_lifecycle_crash_kill9_during_deploys)
{
    CRASH_START(&life);
    put_all();
    for (int i = 0; i < NAPPS; i++) {
        deploy_async(i);
        if (i == 7) {
            ck_assert_int_eq(natsConnection_Flush(life.hs.nc), NATS_OK);
            /* wait for the first commands to reach the hosts */
            cJSON *a = test_life_wait_actions(&life, 0, 3, 5000);
            ck_assert_ptr_nonnull(a);
            cJSON_Delete(a);
            kill9(life.rec_section);
        }
        if (i == 13) {
            ck_assert_int_eq(natsConnection_Flush(life.hs.nc), NATS_OK);
            long before = test_life_count(&life, "component.scale");
            uint64_t until = test_now_ms() + 5000;
            while (test_life_count(&life, "component.scale") == before &&
                   test_now_ms() < until)
                test_pause_ms(5);
            kill9("worker dispatch.0");
        }
    }
    all_deployed(90000);
    check_no_extra_starts();
    test_life_destroy(&life);
}
END_TEST

/* Both killed at once right after the deploys, then each once more. */
START_TEST(test_lifecycle_crash_kill9_both_while_converging)
{
    CRASH_START(&life);
    deploy_all(10);
    long rec = worker_pid(life.rec_section);
    long disp = worker_pid("worker dispatch.0");
    ck_assert_int_gt(rec, 1);
    ck_assert_int_gt(disp, 1);
    kill((pid_t)disp, SIGKILL);
    kill((pid_t)rec, SIGKILL);
    ck_assert(wait_restarted(life.rec_section, rec) > 0);
    ck_assert(wait_restarted("worker dispatch.0", disp) > 0);
    kill9(life.rec_section);
    kill9("worker dispatch.0");
    all_deployed(90000);
    check_no_extra_starts();
    test_life_destroy(&life);
}
END_TEST

/*
 * dispatch killed while a restarted reconciler is still discovering the
 * hosts (its ping gathers for half a second): the reconciler discovers
 * again with the new dispatch, then converges.
 */
START_TEST(test_lifecycle_crash_kill9_dispatch_during_discovery)
{
    CRASH_START(&life);
    deploy_all(5);
    for (int round = 0; round < 2; round++) {
        long rec = worker_pid(life.rec_section);
        ck_assert_int_gt(rec, 1);
        kill((pid_t)rec, SIGKILL);
        ck_assert(wait_restarted(life.rec_section, rec) > 0);
        kill9("worker dispatch.0");
    }
    all_deployed(90000);
    check_no_extra_starts();
    char *d = test_wadm_dump(&life.wadm);
    ck_assert_ptr_nonnull(d);
    char engine[32];
    ck_assert_ptr_nonnull(test_dump_get(d, life.rec_section, "engine", engine,
                                        sizeof(engine)));
    ck_assert_str_eq(engine, "ready");
    free(d);
    test_life_destroy(&life);
}
END_TEST

#define UPGRADE_NEW TEST_LIFE_UPGRADE_NEW
#define UPGRADE_DEMO TEST_LIFE_UPGRADE_DEMO

/*
 * An upgrade that reaches a reconciler still starting up (loading state,
 * asking hosts for their inventory): the old version is cleaned up once
 * the inventory is known, and the new one runs.
 */
START_TEST(test_lifecycle_crash_upgrade_during_restart)
{
    CRASH_START(&life);
    test_life_deploy_text(&life, UPGRADE_DEMO("1.0.0"));
    cJSON *st = test_life_wait_status(&life, "upgrade-demo", "deployed",
                                      NULL, 10000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    long rec = worker_pid(life.rec_section);
    ck_assert_int_gt(rec, 1);
    kill((pid_t)rec, SIGKILL);
    ck_assert(wait_restarted(life.rec_section, rec) > 0);
    test_life_deploy_text(&life, UPGRADE_DEMO("1.1.0"));
    /* deployed with the new version's scaler (14.6) */
    uint64_t deadline = test_now_ms() + 20000;
    bool is_new = false;
    while (!is_new && test_now_ms() < deadline) {
        st = test_life_wait_status(&life, "upgrade-demo", "deployed", NULL,
                                   20000);
        ck_assert_ptr_nonnull(st);
        const cJSON *sc = cJSON_GetArrayItem(
            cJSON_GetObjectItem(st, "scalers"), 0);
        is_new = strcmp(test_hs_str(sc, "id"), UPGRADE_NEW) == 0;
        cJSON_Delete(st);
        if (!is_new)
            test_pause_ms(50);
    }
    ck_assert_msg(is_new, "the new version never deployed");
    ck_assert(test_life_wait_instances(&life, "upgrade_demo-web", 2, 5000));
    ck_assert_str_eq(test_life_image(&life, "upgrade_demo-web"),
                     "ghcr.io/example/web:1.1.0");
    test_life_destroy(&life);
}
END_TEST

/*
 * Commands written to a dispatch that dies before reading them: they
 * were never sent, so nothing confirms them. The reconciler reads the
 * hosts' inventory again and sends what is missing, instead of waiting
 * out the expected-event windows (60 s for a provider).
 */
START_TEST(test_lifecycle_crash_dispatch_dies_with_unsent_commands)
{
    CRASH_START(&life);
    const char *path = test_fixture_path("manifests/simple.yaml");
    if (path == NULL) {
        test_skip("%s: fixtures absent", __func__);
        test_life_destroy(&life);
        return;
    }
    long disp = worker_pid("worker dispatch.0");
    ck_assert_int_gt(disp, 1);
    ck_assert_int_eq(kill((pid_t)disp, SIGSTOP), 0);
    test_life_deploy_file(&life, path);
    ck_assert_int_eq(kill((pid_t)disp, SIGKILL), 0);
    ck_assert(wait_restarted("worker dispatch.0", disp) > 0);
    cJSON *st = test_life_wait_status(&life, "hello-simple", "deployed", NULL,
                                      15000);
    ck_assert_ptr_nonnull(st);
    cJSON_Delete(st);
    ck_assert_int_eq(test_life_instances(&life, "http_hello_world", NULL), 4);
    ck_assert_int_eq(test_life_providers(&life, "http_server", NULL), 1);
    ck_assert_int_eq(test_life_count(&life, "component.scale:count>0"), 1);
    ck_assert_int_eq(test_life_count(&life, "provider.start"), 1);
    test_life_destroy(&life);
}
END_TEST

#define ADD(n, secs) test_life_add(s, #n, test_lifecycle_##n, secs)

Suite *
lifecycle_crash_suite(void)
{
    Suite *s = suite_create("lifecycle_crash");
    ADD(crash_kill9_during_deploys, 120);
    ADD(crash_kill9_both_while_converging, 120);
    ADD(crash_kill9_dispatch_during_discovery, 120);
    ADD(crash_upgrade_during_restart, 60);
    ADD(crash_dispatch_dies_with_unsent_commands, 60);
    return s;
}
