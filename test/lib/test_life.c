/*
 * test_life.c - wadm, hostsim and nats-server together, driven as a
 * client would (see test_life.h). Runs in the forked test or a bench.
 */
#include "test/lib/test_life.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_util.h"

static char test_life_app[256];

/*
 * A failed ck_assert exits the forked test without its teardown: this hook
 * then stops wadm (before test_hostsim.c's own hook, registered earlier,
 * stops hostsim and nats-server), so no process outlives the test.
 */
static test_life_t *test_life_current;

static void
test_life_at_exit(void)
{
    test_life_t *t = test_life_current;
    test_life_current = NULL;
    if (t != NULL && t->wadm.proc.pid > 0) {
        test_wadm_stop(&t->wadm, 5000);
        fprintf(stderr, "wadm log kept in %s\n", t->wadm.log_path);
    }
}

int
test_life_start(test_life_t *t, const char *lattice, int hosts,
                const char *const hs_args[], char *const wadm_extra[])
{
    memset(t, 0, sizeof(*t));
    if (test_wadm_bin() == NULL) {
        test_skip("lifecycle: wadm binary not built (set WADM_BIN)");
        return 1;
    }
    int rc = test_hs_start(&t->hs, lattice, hosts, hs_args);
    if (rc != 0)
        return rc;
    static bool is_hooked;
    if (!is_hooked && atexit(test_life_at_exit) == 0)
        is_hooked = true;
    test_life_current = t;
    t->statuses = cJSON_CreateArray();
    char subj[160];
    snprintf(subj, sizeof(subj), "wadm.status.%s.>", lattice);
    if (natsConnection_SubscribeSync(&t->status_sub, t->hs.nc, subj) !=
            NATS_OK ||
        natsSubscription_SetPendingLimits(t->status_sub, -1, -1) != NATS_OK)
        return -1;
    snprintf(t->rec_section, sizeof(t->rec_section), "worker rec.%s",
             lattice);
    if (test_wadm_start(&t->wadm, t->hs.nats.url, wadm_extra) != 0) {
        fprintf(stderr, "wadm did not start; log in %s\n",
                t->wadm.log_path);
        return -1;
    }
    /*
     * hostsim announced its hosts before wadm subscribed: an API request
     * makes the lattice known at once (heartbeats would, within seconds),
     * and the reconciler's start (ping and inventory) finds every host.
     */
    cJSON_Delete(test_life_api(t, "get", NULL, ""));
    uint64_t deadline = test_now_ms() + 15000 * t->hs.slow_factor;
    while (test_now_ms() < deadline) {
        char *d = test_wadm_dump(&t->wadm);
        char engine[32] = "";
        bool is_ready =
            d && test_dump_get(d, t->rec_section, "engine", engine,
                               sizeof(engine)) &&
            strcmp(engine, "ready") == 0 &&
            test_dump_num(d, t->rec_section, "hosts") >= hosts;
        free(d);
        if (is_ready)
            return 0;
        test_pause_ms(50);
    }
    fprintf(stderr, "lattice %s never became ready; wadm log in %s\n",
            lattice, t->wadm.log_path);
    return -1;
}

void
test_life_destroy(test_life_t *t)
{
    if (t->status_sub)
        natsSubscription_Destroy(t->status_sub);
    t->status_sub = NULL;
    cJSON_Delete(t->statuses);
    t->statuses = NULL;
    /* wadm first: it must not see the hosts go and react */
    if (test_life_current == t)
        test_life_current = NULL;
    if (t->wadm.run_dir[0] && getenv("WADM_TEST_KEEP"))
        fprintf(stderr, "wadm run dir kept: %s\n", t->wadm.run_dir);
    if (t->wadm.run_dir[0])
        test_wadm_cleanup(&t->wadm);
    test_hs_destroy(&t->hs);
}

cJSON *
test_life_api(test_life_t *t, const char *op, const char *name,
              const char *body)
{
    char subject[512];
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.%s%s%s",
             t->hs.lattice, op, name ? "." : "", name ? name : "");
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_RequestString(
        &reply, t->hs.nc, subject, body ? body : "",
        10000 * (int64_t)t->hs.slow_factor);
    if (s != NATS_OK) {
        fprintf(stderr, "request on %s: %s\n", subject, natsStatus_GetText(s));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    return j;
}

static const char *
test_life_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *
test_life_put(test_life_t *t, const char *text)
{
    static char version[128];
    cJSON *put = test_life_api(t, "put", NULL, text);
    ck_assert_msg(put != NULL, "no reply to model.put");
    const char *res = test_life_field(put, "result");
    ck_assert_msg(strcmp(res, "created") == 0 ||
                      strcmp(res, "newversion") == 0,
                  "model.put: %s %s", res, test_life_field(put, "message"));
    snprintf(test_life_app, sizeof(test_life_app), "%s",
             test_life_field(put, "name"));
    snprintf(version, sizeof(version), "%s",
             test_life_field(put, "current_version"));
    cJSON_Delete(put);
    return version;
}

const char *
test_life_deploy_text(test_life_t *t, const char *text)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"version\":\"%s\"}",
             test_life_put(t, text));
    cJSON *dep = test_life_api(t, "deploy", test_life_app, body);
    ck_assert_msg(dep != NULL, "no reply to model.deploy");
    ck_assert_msg(strcmp(test_life_field(dep, "result"), "acknowledged") == 0,
                  "model.deploy.%s: %s", test_life_app,
                  test_life_field(dep, "message"));
    cJSON_Delete(dep);
    return test_life_app;
}

const char *
test_life_deploy_file(test_life_t *t, const char *path)
{
    char *text = test_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    test_life_deploy_text(t, text);
    free(text);
    return test_life_app;
}

void
test_life_undeploy(test_life_t *t, const char *app)
{
    cJSON *r = test_life_api(t, "undeploy", app, "");
    ck_assert_msg(r != NULL, "no reply to model.undeploy");
    ck_assert_msg(strcmp(test_life_field(r, "result"), "acknowledged") == 0,
                  "model.undeploy.%s: %s", app, test_life_field(r, "message"));
    cJSON_Delete(r);
}

const char *
test_life_stype(const cJSON *doc)
{
    return test_life_field(cJSON_GetObjectItemCaseSensitive(doc, "status"),
                           "type");
}

const char *
test_life_smsg(const cJSON *doc)
{
    return test_life_field(cJSON_GetObjectItemCaseSensitive(doc, "status"),
                           "message");
}

static bool
test_life_status_is(const cJSON *doc, const char *want, const char *substr)
{
    return strcmp(test_life_stype(doc), want) == 0 &&
           (substr == NULL || strstr(test_life_smsg(doc), substr) != NULL);
}

cJSON *
test_life_wait_status(test_life_t *t, const char *app, const char *want,
                      const char *substr, unsigned timeout_ms)
{
    uint64_t deadline =
        test_now_ms() + (uint64_t)timeout_ms * t->hs.slow_factor;
    char *last = NULL;
    for (;;) {
        cJSON *r = test_life_api(t, "status", app, "");
        cJSON *st = cJSON_DetachItemFromObject(r, "status");
        cJSON_Delete(r);
        if (st && test_life_status_is(st, want, substr)) {
            free(last);
            return st;
        }
        if (st) {
            free(last);
            last = cJSON_PrintUnformatted(st);
            cJSON_Delete(st);
        }
        if (test_now_ms() >= deadline)
            break;
        test_pause_ms(25);
    }
    fprintf(stderr, "status of %s never became %s%s%s; last: %s\n", app, want,
            substr ? " with " : "", substr ? substr : "",
            last ? last : "(none)");
    free(last);
    return NULL;
}

/* Moves every status message received into t->statuses. */
static void
test_life_status_drain(test_life_t *t, int64_t wait_ms)
{
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, t->status_sub, wait_ms) == NATS_OK) {
        const char *subj = natsMsg_GetSubject(m);
        const char *app = strrchr(subj, '.');
        cJSON *doc = cJSON_ParseWithLength(natsMsg_GetData(m),
                                           (size_t)natsMsg_GetDataLength(m));
        if (doc && app) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "app", app + 1);
            cJSON_AddItemToObject(e, "doc", doc);
            cJSON_AddItemToArray(t->statuses, e);
        } else {
            cJSON_Delete(doc);
        }
        natsMsg_Destroy(m);
        m = NULL;
        wait_ms = 0;
    }
}

void
test_life_status_mark(test_life_t *t)
{
    test_life_status_drain(t, 0);
    cJSON_Delete(t->statuses);
    t->statuses = cJSON_CreateArray();
}

cJSON *
test_life_saw_status(test_life_t *t, const char *app, const char *want,
                     const char *substr, unsigned timeout_ms)
{
    uint64_t deadline =
        test_now_ms() + (uint64_t)timeout_ms * t->hs.slow_factor;
    int seen = 0;
    for (;;) {
        int n = cJSON_GetArraySize(t->statuses);
        for (int i = seen; i < n; i++) {
            cJSON *e = cJSON_GetArrayItem(t->statuses, i);
            cJSON *doc = cJSON_GetObjectItem(e, "doc");
            if (strcmp(test_life_field(e, "app"), app) == 0 &&
                test_life_status_is(doc, want, substr))
                return cJSON_Duplicate(doc, true);
        }
        seen = n;
        uint64_t now = test_now_ms();
        if (now >= deadline)
            return NULL;
        test_life_status_drain(t, (int64_t)(deadline - now));
    }
}

cJSON *
test_life_commands(test_life_t *t, const char *host, const char *kind)
{
    cJSON *q = cJSON_CreateObject();
    if (host)
        cJSON_AddStringToObject(q, "host", host);
    if (kind)
        cJSON_AddStringToObject(q, "kind", kind);
    char *body = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    cJSON *r = test_hs_admin(&t->hs, "commands", body);
    free(body);
    ck_assert_msg(r != NULL && test_hs_ok(r), "hostsim commands failed");
    cJSON *resp = cJSON_DetachItemFromObject(r, "response");
    cJSON_Delete(r);
    return resp;
}

long
test_life_count(test_life_t *t, const char *kind)
{
    cJSON *q = cJSON_CreateObject();
    cJSON_AddFalseToObject(q, "list");
    char *body = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    cJSON *r = test_hs_admin(&t->hs, "commands", body);
    free(body);
    ck_assert_msg(r != NULL && test_hs_ok(r), "hostsim commands failed");
    const cJSON *by = cJSON_GetObjectItem(
        cJSON_GetObjectItem(r, "response"), "by_kind");
    const cJSON *n = cJSON_GetObjectItem(by, kind);
    long v = cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
    cJSON_Delete(r);
    return v;
}

void
test_life_reset_record(test_life_t *t)
{
    cJSON *r = test_hs_admin(&t->hs, "reset", "{}");
    ck_assert_msg(r != NULL && test_hs_ok(r), "hostsim reset failed");
    cJSON_Delete(r);
}

/* The inventory's hosts array (caller deletes the returned reply). */
static cJSON *
test_life_inventory(test_life_t *t, cJSON **hosts)
{
    cJSON *r = test_hs_admin(&t->hs, "inventory", "{}");
    ck_assert_msg(r != NULL && test_hs_ok(r), "hostsim inventory failed");
    *hosts = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "response"),
                                 "hosts");
    return r;
}

/*
 * Sums over the inventory's entries of list ("components", "providers")
 * with this id on host (NULL: every running host): max_instances when
 * the entry has it, else 1.
 */
static long
test_life_inv_count(test_life_t *t, const char *list, const char *id,
                    const char *host)
{
    cJSON *hosts;
    cJSON *r = test_life_inventory(t, &hosts);
    long n = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts)
    {
        if (host && strcmp(test_life_field(h, "host_id"), host) != 0)
            continue;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, list))
        {
            if (strcmp(test_life_field(c, "id"), id) != 0)
                continue;
            const cJSON *mi = cJSON_GetObjectItem(c, "max_instances");
            n += cJSON_IsNumber(mi) ? (long)mi->valuedouble : 1;
        }
    }
    cJSON_Delete(r);
    return n;
}

long
test_life_instances(test_life_t *t, const char *id, const char *host)
{
    return test_life_inv_count(t, "components", id, host);
}

long
test_life_providers(test_life_t *t, const char *id, const char *host)
{
    return test_life_inv_count(t, "providers", id, host);
}

long
test_life_links(test_life_t *t, const char *source_id)
{
    cJSON *r = test_hs_request(&t->hs, "link.get", "", 3000, NULL);
    ck_assert_msg(r != NULL && test_hs_ok(r), "link.get failed");
    long n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "response"))
        if (source_id == NULL ||
            strcmp(test_life_field(l, "source_id"), source_id) == 0)
            n++;
    cJSON_Delete(r);
    return n;
}

/* The response of config.get.<name>, or NULL when absent. */
static cJSON *
test_life_config_get(test_life_t *t, const char *name)
{
    char suffix[300];
    snprintf(suffix, sizeof(suffix), "config.get.%s", name);
    cJSON *r = test_hs_request(&t->hs, suffix, "", 3000, NULL);
    ck_assert_msg(r != NULL, "config.get failed");
    cJSON *resp = cJSON_DetachItemFromObject(r, "response");
    bool ok = test_hs_ok(r) && cJSON_IsObject(resp);
    cJSON_Delete(r);
    if (!ok) {
        cJSON_Delete(resp);
        return NULL;
    }
    return resp;
}

bool
test_life_config_exists(test_life_t *t, const char *name)
{
    cJSON *c = test_life_config_get(t, name);
    cJSON_Delete(c);
    return c != NULL;
}

bool
test_life_config_is(test_life_t *t, const char *name, const char *want)
{
    cJSON *c = test_life_config_get(t, name);
    cJSON *w = cJSON_Parse(want);
    bool eq = c && w && cJSON_Compare(c, w, true);
    if (!eq) {
        char *s = c ? cJSON_PrintUnformatted(c) : NULL;
        fprintf(stderr, "config %s is %s, wanted %s\n", name,
                s ? s : "(absent)", want);
        free(s);
    }
    cJSON_Delete(c);
    cJSON_Delete(w);
    return eq;
}

cJSON *
test_life_link(test_life_t *t, const char *source_id, const char *name)
{
    cJSON *r = test_hs_request(&t->hs, "link.get", "", 3000, NULL);
    ck_assert_msg(r != NULL && test_hs_ok(r), "link.get failed");
    cJSON *found = NULL;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "response"))
    {
        if (found == NULL &&
            strcmp(test_life_field(l, "source_id"), source_id) == 0 &&
            strcmp(test_life_field(l, "name"), name) == 0)
            found = cJSON_Duplicate(l, true);
    }
    cJSON_Delete(r);
    return found;
}

/* Polls count(t, id, NULL) until it is want; what names the count. */
static bool
test_life_wait_count(test_life_t *t, long (*count)(test_life_t *,
                                                    const char *,
                                                    const char *),
                     const char *what, const char *id, long want,
                     unsigned timeout_ms)
{
    uint64_t deadline =
        test_now_ms() + (uint64_t)timeout_ms * t->hs.slow_factor;
    long n = -1;
    while ((n = count(t, id, NULL)) != want) {
        if (test_now_ms() >= deadline) {
            fprintf(stderr, "%s: %ld %s, wanted %ld\n", id, n, what, want);
            return false;
        }
        test_pause_ms(25);
    }
    return true;
}

bool
test_life_wait_instances(test_life_t *t, const char *id, long want,
                         unsigned timeout_ms)
{
    return test_life_wait_count(t, test_life_instances, "instance(s)", id,
                                want, timeout_ms);
}

bool
test_life_wait_providers(test_life_t *t, const char *id, long want,
                         unsigned timeout_ms)
{
    return test_life_wait_count(t, test_life_providers, "host(s)", id, want,
                                timeout_ms);
}

long
test_life_rec_num(test_life_t *t, const char *key)
{
    char *d = test_wadm_dump(&t->wadm);
    long v = d ? test_dump_num(d, t->rec_section, key) : -1;
    free(d);
    return v;
}

int
test_life_host_index(test_life_t *t, const char *id)
{
    for (int i = 0; i < t->hs.hosts; i++)
        if (strcmp(t->hs.ids[i], id) == 0)
            return i;
    return -1;
}

static bool
test_life_is_query(const char *kind)
{
    static const char *const queries[] = {"host.ping", "host.get",
                                          "link.get", "config.get",
                                          "claims.get", NULL};
    for (int i = 0; queries[i]; i++)
        if (strcmp(kind, queries[i]) == 0)
            return true;
    return false;
}

cJSON *
test_life_actions(test_life_t *t, long after)
{
    cJSON *r = test_life_commands(t, NULL, NULL);
    cJSON *out = cJSON_CreateArray();
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "commands"))
    {
        const cJSON *seq = cJSON_GetObjectItem(c, "seq");
        if (!cJSON_IsNumber(seq) || (long)seq->valuedouble <= after ||
            test_life_is_query(test_life_field(c, "kind")))
            continue;
        cJSON_AddItemToArray(out, cJSON_Duplicate(c, true));
    }
    cJSON_Delete(r);
    return out;
}

long
test_life_last_seq(test_life_t *t)
{
    cJSON *r = test_life_commands(t, NULL, NULL);
    long last = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "commands"))
    {
        const cJSON *seq = cJSON_GetObjectItem(c, "seq");
        if (cJSON_IsNumber(seq) && (long)seq->valuedouble > last)
            last = (long)seq->valuedouble;
    }
    cJSON_Delete(r);
    return last;
}

cJSON *
test_life_wait_actions(test_life_t *t, long after, int n, unsigned timeout_ms)
{
    uint64_t deadline =
        test_now_ms() + (uint64_t)timeout_ms * t->hs.slow_factor;
    for (;;) {
        cJSON *a = test_life_actions(t, after);
        if (cJSON_GetArraySize(a) >= n)
            return a;
        if (test_now_ms() >= deadline) {
            char *s = cJSON_Print(a);
            fprintf(stderr, "wanted %d command(s) after seq %ld, got: %s\n",
                    n, after, s);
            free(s);
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_Delete(a);
        test_pause_ms(25);
    }
}

void
test_life_expect_actions(test_life_t *t, long after,
                         const char *const expected[])
{
    int n = 0;
    while (expected[2 * n])
        n++;
    cJSON *a = test_life_wait_actions(t, after, n, 10000);
    ck_assert_msg(a != NULL, "fewer commands than the %d expected", n);
    bool ok = cJSON_GetArraySize(a) == n;
    for (int i = 0; ok && i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(a, i);
        ok = strcmp(test_life_field(c, "subject"), expected[2 * i]) == 0 &&
             strcmp(test_life_field(c, "body"), expected[2 * i + 1]) == 0;
    }
    if (!ok) {
        fprintf(stderr, "expected:\n");
        for (int i = 0; i < n; i++)
            fprintf(stderr, "  %s %s\n", expected[2 * i],
                    expected[2 * i + 1]);
        fprintf(stderr, "received:\n");
        const cJSON *c;
        cJSON_ArrayForEach(c, a)
            fprintf(stderr, "  %s %s\n", test_life_field(c, "subject"),
                    test_life_field(c, "body"));
    }
    cJSON_Delete(a);
    ck_assert_msg(ok, "commands at the hosts differ from the expected ones "
                  "(see stderr)");
}

static const char *
test_life_annotations(char *buf, size_t cap, const char *app,
                      const char *scaler, const char *spread)
{
    if (scaler == NULL)
        snprintf(buf, cap,
                 "{\"wasmcloud.dev/appspec\":\"%s\","
                 "\"wasmcloud.dev/managed-by\":\"wadm\"}",
                 app);
    else
        snprintf(buf, cap,
                 "{\"wasmcloud.dev/appspec\":\"%s\","
                 "\"wasmcloud.dev/managed-by\":\"wadm\","
                 "\"wasmcloud.dev/scaler\":\"%s\","
                 "\"wasmcloud.dev/spread_name\":\"%s\"}",
                 app, scaler, spread);
    return buf;
}

const char *
test_life_scale_body(char *buf, size_t cap, const char *ref, const char *id,
                     const char *app, const char *scaler, const char *spread,
                     unsigned count, const char *host, const char *config_json)
{
    char ann[512];
    snprintf(buf, cap,
             "{\"component_ref\":\"%s\",\"component_id\":\"%s\","
             "\"annotations\":%s,\"count\":%u,\"host_id\":\"%s\","
             "\"config\":%s,\"allow_update\":false}",
             ref, id, test_life_annotations(ann, sizeof(ann), app, scaler,
                                            spread),
             count, host, config_json ? config_json : "[]");
    return buf;
}

const char *
test_life_start_body(char *buf, size_t cap, const char *ref, const char *id,
                     const char *app, const char *scaler, const char *spread,
                     const char *host, const char *config_json)
{
    char ann[512];
    snprintf(buf, cap,
             "{\"provider_id\":\"%s\",\"provider_ref\":\"%s\","
             "\"host_id\":\"%s\",\"config\":%s,\"annotations\":%s}",
             id, ref, host, config_json ? config_json : "[]",
             test_life_annotations(ann, sizeof(ann), app, scaler, spread));
    return buf;
}

const char *
test_life_stop_body(char *buf, size_t cap, const char *id, const char *host)
{
    snprintf(buf, cap, "{\"host_id\":\"%s\",\"provider_id\":\"%s\"}", host,
             id);
    return buf;
}

static void
test_life_ctl_ok(test_life_t *t, const char *suffix, const char *body)
{
    natsStatus s;
    cJSON *r = test_hs_request(&t->hs, suffix, body, 3000, &s);
    ck_assert_msg(r != NULL, "no reply to %s (%s)", suffix,
                  natsStatus_GetText(s));
    ck_assert_msg(test_hs_ok(r), "%s: %s", suffix, test_hs_msg(r));
    cJSON_Delete(r);
}

void
test_life_preload_component(test_life_t *t, const char *host, const char *id,
                            const char *ref, const char *annotations,
                            unsigned count)
{
    char body[2048];
    char suffix[256];
    snprintf(body, sizeof(body),
             "{\"component_ref\":\"%s\",\"component_id\":\"%s\","
             "\"annotations\":%s,\"count\":%u,\"host_id\":\"%s\","
             "\"config\":[],\"allow_update\":false}",
             ref, id, annotations, count, host);
    snprintf(suffix, sizeof(suffix), "component.scale.%s", host);
    test_life_ctl_ok(t, suffix, body);
}

void
test_life_preload_provider(test_life_t *t, const char *host, const char *id,
                           const char *ref, const char *annotations)
{
    char body[2048];
    char suffix[256];
    snprintf(body, sizeof(body),
             "{\"provider_id\":\"%s\",\"provider_ref\":\"%s\","
             "\"host_id\":\"%s\",\"config\":[],\"annotations\":%s}",
             id, ref, host, annotations);
    snprintf(suffix, sizeof(suffix), "provider.start.%s", host);
    test_life_ctl_ok(t, suffix, body);
}

bool
test_life_wait_rec_num(test_life_t *t, const char *key, long want,
                       unsigned timeout_ms)
{
    uint64_t deadline =
        test_now_ms() + (uint64_t)timeout_ms * t->hs.slow_factor;
    long v = -1;
    while ((v = test_life_rec_num(t, key)) != want) {
        if (test_now_ms() >= deadline) {
            fprintf(stderr, "rec %s: %ld, wanted %ld\n", key, v, want);
            return false;
        }
        test_pause_ms(25);
    }
    return true;
}

const char *
test_life_subject(test_life_t *t, char *buf, size_t cap, const char *fmt, ...)
{
    int n = snprintf(buf, cap, "wasmbus.ctl.v1.%s.", t->hs.lattice);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

const char *
test_life_image(test_life_t *t, const char *id)
{
    static char image[512];
    cJSON *hosts;
    cJSON *r = test_life_inventory(t, &hosts);
    const char *found = NULL;
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts)
    {
        static const char *const lists[] = {"components", "providers"};
        for (int i = 0; i < 2 && found == NULL; i++) {
            const cJSON *c;
            cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, lists[i]))
            {
                if (found == NULL &&
                    strcmp(test_life_field(c, "id"), id) == 0) {
                    snprintf(image, sizeof(image), "%s",
                             test_life_field(c, "image_ref"));
                    found = image;
                }
            }
        }
    }
    cJSON_Delete(r);
    return found;
}

void
test_life_add(Suite *s, const char *name, const TTest *test, int timeout_s)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout_s);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

int
test_life_status_count(test_life_t *t, const char *app)
{
    test_life_status_drain(t, 0);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, t->statuses)
        if (strcmp(test_life_field(e, "app"), app) == 0)
            n++;
    return n;
}

char *
test_life_app_yaml(const char *name, const char *image, unsigned instances,
                   const char *bucket)
{
    char *provider = NULL;
    if (bucket &&
        asprintf(&provider,
                 "    - name: kv\n"
                 "      type: capability\n"
                 "      properties:\n"
                 "        image: ghcr.io/example/kv:1.0.0\n"
                 "      traits:\n"
                 "        - type: link\n"
                 "          properties:\n"
                 "            target:\n"
                 "              name: web\n"
                 "            namespace: wasi\n"
                 "            package: keyvalue\n"
                 "            interfaces: [store]\n"
                 "            source:\n"
                 "              config:\n"
                 "                - name: conf\n"
                 "                  properties:\n"
                 "                    bucket: %s\n",
                 bucket) < 0)
        provider = NULL;
    char *text = NULL;
    if (asprintf(&text,
                 TEST_LIFE_MF_HEAD("%s")
                 TEST_LIFE_MF_COMPONENT("web", "%s")
                 "        - type: spreadscaler\n"
                 "          properties:\n"
                 "            instances: %u\n"
                 "%s",
                 name, image, instances, provider ? provider : "") < 0)
        text = NULL;
    free(provider);
    if (text == NULL)
        abort(); /* out of memory; also used outside Check (bench) */
    return text;
}
