/*
 * check_failover.c - several wadm instances on one NATS (DESIGN.md
 * section 4), on real processes: a private nats-server, build/hostsim and
 * two build/wadm. Exactly one instance owns a lattice; when it dies its
 * lease lapses and the other takes over within two TTLs without
 * restarting what runs; a frozen owner that comes back sends nothing and
 * hands the lattice over; a manifest deployed through the standby is
 * reconciled by the owner; and a NATS outage longer than the reconnect
 * wait ends with everything resumed and no worker restarted. Commands are
 * counted at the simulated hosts. Every wait polls a condition with a
 * deadline; nothing sleeps to synchronise.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/lib/test_hostsim.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

#define FO_TTL_MS 2000
#define FO_INSTANCES 2
#define FO_REC "worker rec.%s"

typedef struct fo {
    test_hs_t hs;
    test_wadm_t w[2];
    char rec[96];              /* dump section of the lattice's reconciler */
} fo_t;

/* Stops the wadm instances when a failed assertion ends the test. */
static fo_t *fo_current;

static void
fo_at_exit(void)
{
    for (int i = 0; fo_current != NULL && i < 2; i++)
        if (fo_current->w[i].proc.pid > 0)
            (void)test_wadm_stop(&fo_current->w[i], 5000);
}

static bool
fo_begin(fo_t *t, const char *lattice)
{
    memset(t, 0, sizeof(*t));
    if (test_wadm_bin() == NULL) {
        test_skip("%s: wadm binary not built (set WADM_BIN)", lattice);
        return false;
    }
    const char *args[] = {"--hosts", "3", "--heartbeat-ms", "1000", NULL};
    int rc = test_hs_start(&t->hs, lattice, 3, args);
    if (rc == 1)
        return false;
    ck_assert_int_eq(rc, 0);
    snprintf(t->rec, sizeof(t->rec), FO_REC, lattice);
    fo_current = t;
    atexit(fo_at_exit);
    return true;
}

/* Starts instance i with short lease timings and extra args. */
static void
fo_start(fo_t *t, int i, const char *extra1, const char *extra2)
{
    char ttl[32], renew[32];
    snprintf(ttl, sizeof(ttl), "%d", FO_TTL_MS);
    snprintf(renew, sizeof(renew), "%d", FO_TTL_MS / 5);
    char *extra[] = {"--lease-ttl-ms", ttl, "--lease-renew-ms", renew,
                     (char *)extra1, (char *)extra2, NULL};
    ck_assert_msg(test_wadm_start(&t->w[i], t->hs.nats.url, extra) == 0,
                  "wadm %d did not start; log in %s", i, t->w[i].log_path);
}

static void
fo_end(fo_t *t)
{
    for (int i = 0; i < 2; i++)
        if (t->w[i].run_dir[0])
            test_wadm_cleanup(&t->w[i]);
    fo_current = NULL;
    test_hs_destroy(&t->hs);
}

/* An API request on the lattice; the parsed reply (NULL on no reply). */
static cJSON *
fo_api(fo_t *t, const char *op, const char *name, const char *body)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.%s%s%s",
             t->hs.lattice, op, name ? "." : "", name ? name : "");
    natsMsg *reply = NULL;
    if (natsConnection_Request(&reply, t->hs.nc, subject, body ? body : "",
                               body ? (int)strlen(body) : 0, 5000) != NATS_OK)
        return NULL;
    cJSON *o = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    return o;
}

/* Whether an API reply's result is one of want ("a|b"). */
static bool
fo_result_is(const cJSON *reply, const char *want)
{
    const char *r = test_hs_str(reply, "result");
    if (r == NULL || r[0] == '\0')
        return false;
    size_t n = strlen(r);
    for (const char *p = want; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, r, n) == 0)
            return true;
        p += len + (p[len] == '|');
    }
    return false;
}

/*
 * Puts version v of app (one component "c" with a spreadscaler of
 * instances) and deploys it, retrying a request that got no answer or an
 * error reply (a frozen instance's ingest answers with a timeout error).
 */
static void
fo_deploy(fo_t *t, const char *app, int v, int instances)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":"
             "\"Application\",\"metadata\":{\"name\":\"%s\",\"annotations\":"
             "{\"version\":\"v%d\"}},\"spec\":{\"components\":[{\"name\":"
             "\"c\",\"type\":\"component\",\"properties\":{\"image\":"
             "\"ghcr.io/failover/%s:0.1.0\"},\"traits\":[{\"type\":"
             "\"spreadscaler\",\"properties\":{\"instances\":%d}}]}]}}",
             app, v, app, instances);
    bool is_put = false, is_deployed = false;
    char last[512] = "no reply";
    for (int attempt = 0; attempt < 10 && !is_deployed; attempt++) {
        cJSON *r = NULL;
        if (!is_put) {
            r = fo_api(t, "put", NULL, body);
            /* a put that was stored but whose reply was lost: "exists" */
            is_put = fo_result_is(r, "created|newversion") ||
                     (r && strstr(test_hs_str(r, "message"), "already"));
        } else {
            char vb[64];
            snprintf(vb, sizeof(vb), "{\"version\":\"v%d\"}", v);
            r = fo_api(t, "deploy", app, vb);
            is_deployed = fo_result_is(r, "acknowledged");
        }
        if (r != NULL) {
            char *text = cJSON_PrintUnformatted(r);
            snprintf(last, sizeof(last), "%s", text);
            free(text);
        }
        cJSON_Delete(r);
        if (!is_deployed)
            test_pause_ms(200); /* e.g. "no responders" while reconnecting */
    }
    ck_assert_msg(is_put && is_deployed, "%s v%d not %s after 10 attempts; "
                  "last reply: %s", app, v, is_put ? "deployed" : "stored",
                  last);
}

/* Instances of app's component "c" on the lattice's hosts. */
static long
fo_instances(fo_t *t, const char *app)
{
    char id[128];
    snprintf(id, sizeof(id), "%s-c", app);
    cJSON *r = test_hs_admin(&t->hs, "inventory", "{}");
    ck_assert_ptr_nonnull(r);
    long n = 0;
    const cJSON *hosts = cJSON_GetObjectItem(
        cJSON_GetObjectItem(r, "response"), "hosts");
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, "components")) {
            if (strcmp(test_hs_str(c, "id"), id) == 0)
                n += (long)cJSON_GetNumberValue(
                    cJSON_GetObjectItem(c, "max_instances"));
        }
    }
    cJSON_Delete(r);
    return n;
}

typedef struct fo_want {
    fo_t *t;
    const char *app;
    long n;
    int i;
} fo_want_t;

static bool
fo_has_instances(void *arg)
{
    fo_want_t *w = arg;
    return fo_instances(w->t, w->app) == w->n;
}

static bool
fo_wait_instances(fo_t *t, const char *app, long want, unsigned timeout_ms)
{
    fo_want_t w = {t, app, want, 0};
    return test_wait_until(fo_has_instances, &w, timeout_ms);
}

/* Control requests the hosts received, of kind (NULL: every kind). */
static long
fo_commands(fo_t *t, const char *kind)
{
    cJSON *r = test_hs_admin(&t->hs, "commands", "{\"list\":false}");
    ck_assert_ptr_nonnull(r);
    const cJSON *resp = cJSON_GetObjectItem(r, "response");
    const cJSON *v = kind ? cJSON_GetObjectItem(
                                cJSON_GetObjectItem(resp, "by_kind"), kind)
                          : cJSON_GetObjectItem(resp, "total");
    long n = cJSON_IsNumber(v) ? (long)cJSON_GetNumberValue(v) : 0;
    cJSON_Delete(r);
    return n;
}

/* Whether instance i's dump lists the lattice as owned. */
static bool
fo_owns(fo_t *t, int i)
{
    char *d = test_wadm_dump(&t->w[i]);
    if (d == NULL)
        return false;
    char buf[512];
    const char *owned = test_dump_get(d, "supervisor", "lattices_owned", buf,
                                      sizeof(buf));
    bool is_owner = false;
    for (const char *p = owned; p && *p && !is_owner;) {
        size_t len = strcspn(p, ",");
        is_owner = len == strlen(t->hs.lattice) &&
                   strncmp(p, t->hs.lattice, len) == 0;
        p += len + (p[len] == ',');
    }
    free(d);
    return is_owner;
}

static bool
fo_is_owner(void *arg)
{
    fo_want_t *w = arg;
    return fo_owns(w->t, w->i);
}

static bool
fo_wait_owner(fo_t *t, int i, unsigned timeout_ms)
{
    fo_want_t w = {t, NULL, 0, i};
    return test_wait_until(fo_is_owner, &w, timeout_ms);
}

static long
fo_dump_num(fo_t *t, int i, const char *section, const char *key)
{
    char *d = test_wadm_dump(&t->w[i]);
    ck_assert_ptr_nonnull(d);
    long v = test_dump_num(d, section, key);
    free(d);
    return v;
}

/*
 * Whether instance w->i's reconciler runs with another pid than w->n and
 * says it is a standby. The old process writes "standby" in its dump
 * before it exits to hand over, so both must hold.
 */
static bool
fo_is_new_standby(void *arg)
{
    fo_want_t *w = arg;
    char *d = test_wadm_dump(&w->t->w[w->i]);
    if (d == NULL)
        return false;
    long pid = test_dump_num(d, w->t->rec, "pid");
    char lease[32];
    bool is_standby = test_dump_get(d, w->t->rec, "lease", lease,
                                    sizeof(lease)) != NULL &&
                      strcmp(lease, "standby") == 0;
    free(d);
    return pid > 1 && pid != w->n && is_standby;
}

/* Whether instance 0 deployed something it learnt of from the bucket. */
static bool
fo_owner_resynced(void *arg)
{
    return fo_dump_num(arg, 0, ((fo_t *)arg)->rec, "resync_deploys_total") >=
           1;
}

/* Starts instance 0 as the lattice's owner, then instance 1 as standby. */
static void
fo_two_instances(fo_t *t, const char *extra1, const char *extra2)
{
    fo_start(t, 0, extra1, extra2);
    cJSON_Delete(fo_api(t, "list", NULL, "")); /* starts rec.<lattice> */
    ck_assert_msg(fo_wait_owner(t, 0, 5000), "instance 0 never owned %s",
                  t->hs.lattice);
    fo_start(t, 1, NULL, NULL);
    /* it finds the lattice in wadm_state, or in the stream's heartbeats */
    ck_assert_msg(test_wadm_wait_value(&t->w[1], t->rec, "lease", "standby",
                                       15000),
                  "instance 1 has no standby reconciler for %s",
                  t->hs.lattice);
    ck_assert(!fo_owns(t, 1));
}

/*
 * kill -9 of every process of instance i at once: the supervisor is
 * stopped first so that it restarts nothing and its workers see no EOF
 * (which would make them stop cleanly and release the lease).
 */
static void
fo_crash(fo_t *t, int i)
{
    char *d = test_wadm_dump(&t->w[i]);
    ck_assert_ptr_nonnull(d);
    pid_t sup = t->w[i].proc.pid;
    ck_assert_int_gt(sup, 1);
    ck_assert_int_eq(kill(sup, SIGSTOP), 0);
    const char *sections[] = {"worker ingest.0", "worker dispatch.0",
                              t->rec};
    for (int k = 0; k < 3; k++) {
        long pid = test_dump_num(d, sections[k], "pid");
        if (pid > 1)
            (void)kill((pid_t)pid, SIGKILL);
    }
    free(d);
    test_proc_signal(&t->w[i].proc, SIGKILL);
    ck_assert_int_ne(test_proc_wait(&t->w[i].proc, 5000), -1);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_failover_owner_crash_other_takes_over_within_two_ttls)
{
    fo_t t;
    if (!fo_begin(&t, "focrash"))
        return;
    fo_two_instances(&t, NULL, NULL);
    fo_deploy(&t, "app1", 1, FO_INSTANCES);
    ck_assert_msg(fo_wait_instances(&t, "app1", FO_INSTANCES, 10000),
                  "app1 never ran %d instances", FO_INSTANCES);
    long starts = fo_commands(&t, "component.scale:count>0");

    uint64_t t0 = test_now_ms();
    fo_crash(&t, 0);
    ck_assert_msg(fo_wait_owner(&t, 1, 4 * FO_TTL_MS),
                  "instance 1 did not take %s over", t.hs.lattice);
    uint64_t took = test_now_ms() - t0;
    fprintf(stderr, "failover: takeover %llums after kill -9 of the owner "
            "(lease TTL %dms)\n", (unsigned long long)took, FO_TTL_MS);
    ck_assert_msg(took <= 2 * FO_TTL_MS, "takeover took %llums, more than "
                  "two lease TTLs", (unsigned long long)took);
    /* the new owner has read the lattice: what runs is not started again */
    ck_assert(test_wadm_wait_value(&t.w[1], t.rec, "engine", "ready",
                                   5000));
    ck_assert_int_eq(fo_dump_num(&t, 1, t.rec, "hosts"), 3);
    ck_assert_int_eq(fo_instances(&t, "app1"), FO_INSTANCES);
    ck_assert_int_eq(fo_commands(&t, "component.scale:count>0"), starts);
    /* and it acts: a new version is placed by the new owner */
    fo_deploy(&t, "app1", 2, FO_INSTANCES + 1);
    ck_assert(fo_wait_instances(&t, "app1", FO_INSTANCES + 1, 10000));
    ck_assert_int_ge(fo_dump_num(&t, 1, t.rec, "lease_takeovers_total"), 1);
    fo_end(&t);
}
END_TEST

START_TEST(test_failover_frozen_owner_is_fenced_and_hands_over)
{
    fo_t t;
    if (!fo_begin(&t, "fofence"))
        return;
    /* heartbeats far apart: the supervisor must not kill the frozen one */
    fo_two_instances(&t, "--heartbeat-interval-ms", "60000");
    fo_deploy(&t, "app1", 1, FO_INSTANCES);
    ck_assert(fo_wait_instances(&t, "app1", FO_INSTANCES, 10000));
    long rec_pid = fo_dump_num(&t, 0, t.rec, "pid");
    ck_assert_int_gt(rec_pid, 1);
    long out0 = fo_dump_num(&t, 0, "worker dispatch.0", "commands_out_total");

    ck_assert_int_eq(kill((pid_t)rec_pid, SIGSTOP), 0);
    ck_assert_msg(fo_wait_owner(&t, 1, 4 * FO_TTL_MS),
                  "instance 1 did not take over from a frozen owner");
    /* a change the frozen owner never heard of, made by the new one */
    fo_deploy(&t, "app1", 2, FO_INSTANCES + 1);
    ck_assert(fo_wait_instances(&t, "app1", FO_INSTANCES + 1, 10000));
    long cmds = fo_commands(&t, NULL);

    ck_assert_int_eq(kill((pid_t)rec_pid, SIGCONT), 0);
    /* it finds the lease gone, hands over, and comes back as a standby */
    fo_want_t nw = {&t, NULL, rec_pid, 0};
    ck_assert_msg(test_wait_until(fo_is_new_standby, &nw, 10000),
                  "the frozen owner did not come back as a new standby");
    ck_assert(fo_owns(&t, 1));
    ck_assert(!fo_owns(&t, 0));
    /* the old owner's dispatch sent nothing after it was frozen */
    ck_assert_int_eq(
        fo_dump_num(&t, 0, "worker dispatch.0", "commands_out_total"), out0);
    ck_assert_int_eq(fo_instances(&t, "app1"), FO_INSTANCES + 1);
    /* a settled lattice: no host heard of anything since */
    ck_assert_int_eq(fo_commands(&t, NULL), cmds);
    fo_end(&t);
}
END_TEST

START_TEST(test_failover_deploy_through_standby_is_reconciled_by_owner)
{
    fo_t t;
    if (!fo_begin(&t, "fostandby"))
        return;
    fo_two_instances(&t, NULL, NULL);
    /* The API is a queue group: keep deploying until the standby served a
     * deploy, which the owner learns of only through the bucket (its put
     * alone, served by the standby, would change nothing deployed). */
    int apps = 0;
    char app[32];
    bool is_learnt = false;
    while (apps < 40 && !is_learnt) {
        snprintf(app, sizeof(app), "app%d", ++apps);
        long before = fo_dump_num(&t, 1, t.rec, "api_requests_total");
        fo_deploy(&t, app, 1, 1);
        /* the standby served part of it: the owner's watch follows */
        if (fo_dump_num(&t, 1, t.rec, "api_requests_total") > before)
            is_learnt = test_wait_until(fo_owner_resynced, &t, 2000);
    }
    ck_assert_int_ge(fo_dump_num(&t, 1, t.rec, "api_requests_total"), 1);
    ck_assert_int_ge(fo_dump_num(&t, 0, t.rec, "resync_deploys_total"), 1);
    for (int k = 1; k <= apps; k++) {
        snprintf(app, sizeof(app), "app%d", k);
        ck_assert_msg(fo_wait_instances(&t, app, 1, 10000),
                      "%s was not placed by the owner", app);
    }
    ck_assert(!fo_owns(&t, 1));
    ck_assert_int_eq(fo_dump_num(&t, 1, "worker dispatch.0",
                                 "commands_out_total"),
                     0);
    fo_end(&t);
}
END_TEST

START_TEST(test_failover_nats_outage_resumes_without_worker_restarts)
{
    fo_t t;
    if (!fo_begin(&t, "fooutage"))
        return;
    fo_start(&t, 0, NULL, NULL);
    fo_deploy(&t, "app1", 1, 1);
    ck_assert(fo_wait_instances(&t, "app1", 1, 10000));

    /* longer than the reconnect wait (1 s) and than a lease TTL */
    test_nats_stop(&t.hs.nats);
    test_pause_ms(2 * FO_TTL_MS + 1000);
    ck_assert(fo_api(&t, "list", NULL, "") == NULL); /* no wrong answer */
    ck_assert_int_eq(test_nats_restart(&t.hs.nats), 0);

    const char *sections[] = {"worker ingest.0", "worker dispatch.0",
                              t.rec};
    for (int k = 0; k < 3; k++)
        ck_assert_msg(test_wadm_wait_value(&t.w[0], sections[k], "nats_state",
                                           "connected", 15000),
                      "%s did not reconnect", sections[k]);
    ck_assert(fo_wait_owner(&t, 0, 10000));
    fo_deploy(&t, "app2", 1, 2);
    ck_assert_msg(fo_wait_instances(&t, "app2", 2, 15000),
                  "nothing was reconciled after the outage");
    ck_assert_int_eq(fo_instances(&t, "app1"), 1);
    cJSON *list = fo_api(&t, "list", NULL, "");
    ck_assert_ptr_nonnull(list);
    char *text = cJSON_PrintUnformatted(list);
    ck_assert_msg(strstr(text, "\"app1\"") && strstr(text, "\"app2\""),
                  "a manifest is missing after the outage: %s", text);
    free(text);
    cJSON_Delete(list);
    char *d = test_wadm_dump(&t.w[0]);
    ck_assert_ptr_nonnull(d);
    for (int k = 0; k < 3; k++)
        ck_assert_msg(test_dump_num(d, sections[k], "restarts_total") == 0,
                      "%s restarted during the outage", sections[k]);
    free(d);
    fo_end(&t);
}
END_TEST

Suite *
failover_suite(void)
{
    Suite *s = suite_create("failover");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc,
                   test_failover_owner_crash_other_takes_over_within_two_ttls);
    suite_add_tcase(s, tc);
    tc = tcase_create("fence");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_failover_frozen_owner_is_fenced_and_hands_over);
    suite_add_tcase(s, tc);
    tc = tcase_create("standby");
    tcase_set_timeout(tc, 120);
    tcase_add_test(
        tc, test_failover_deploy_through_standby_is_reconciled_by_owner);
    suite_add_tcase(s, tc);
    tc = tcase_create("outage");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc,
                   test_failover_nats_outage_resumes_without_worker_restarts);
    suite_add_tcase(s, tc);
    return s;
}
