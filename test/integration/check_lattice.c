/*
 * check_lattice.c - lattice observation under real processes: a private
 * nats-server, build/wadm and build/hostsim. The reconciler's picture of
 * a lattice (the wadm_state records read straight from the bucket, and the
 * counts in its status dump section) must equal the hosts' own inventories
 * (hostsim.<lattice>.inventory) within a bound: after starts, scales,
 * graceful stops and silent deaths, after kill -9 of ingest or of the
 * reconciler under load, and at a reconciler's start before any heartbeat.
 * Also: every fixture event and malformed variants of each, lattice
 * discovery, and reconciliation right after a host is reaped. Nothing
 * sleeps to synchronise: every wait polls a condition with a deadline.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ce.h"
#include "common/map.h"
#include "common/xalloc.h"
#include "test/lib/test_events.h"
#include "test/lib/test_hostsim.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"
#include "workers/reconciler/rec_event.h"
#include "workers/reconciler/rec_state.h"
#include "workers/reconciler/rec_state_json.h"

#define LT_STREAM "wasmbus_events"
#define LT_INGEST "worker ingest.0"
#define LT_DISPATCH "worker dispatch.0"

/* One test's processes and clients. */
typedef struct lt {
    test_hs_t hs;            /* nats-server, hostsim, a client, its events */
    test_wadm_t wadm;
    jsCtx *js;
    kvStore *kv;             /* wadm_state, once wadm created it */
    char rec[96];            /* dump section "worker rec.<lattice>" */
    char why[1024];          /* the last difference lt_state_matches() saw */
} lt_t;

/*
 * A failed ck_assert ends the forked test through exit(): this hook stops
 * wadm first (hostsim's own hook, registered earlier, runs after it and
 * stops hostsim and nats-server), so no process outlives its test.
 */
static lt_t *lt_current;

static void
lt_at_exit(void)
{
    if (lt_current != NULL && lt_current->wadm.proc.pid > 0)
        (void)test_wadm_stop(&lt_current->wadm, 5000);
}

/* Starts wadm against the test's nats-server (extra args may be NULL). */
static void
lt_wadm_start(lt_t *t, char *const wadm_args[])
{
    ck_assert_msg(test_wadm_start(&t->wadm, t->hs.nats.url, wadm_args) == 0,
                  "wadm did not start; log in %s", t->wadm.log_path);
    /* events published before the stream exists are nobody's */
    ck_assert_msg(test_wadm_wait_value(&t->wadm, LT_INGEST, "jetstream",
                                       "ready", 5000),
                  "ingest's JetStream setup did not finish");
}

/*
 * nats-server and hostsim (waiting for `hosts` host_started events), then
 * wadm unless wadm_later. Returns false when the test must be skipped.
 */
static bool
lt_begin(lt_t *t, const char *lattice, int hosts, const char *const hs_args[],
         char *const wadm_args[], bool wadm_later)
{
    memset(t, 0, sizeof(*t));
    if (test_wadm_bin() == NULL) {
        test_skip("%s: wadm binary not built (set WADM_BIN)", lattice);
        return false;
    }
    int rc = test_hs_start(&t->hs, lattice, hosts, hs_args);
    if (rc == 1)
        return false;
    ck_assert_msg(rc == 0, "hostsim did not start");
    static bool is_hooked;
    if (!is_hooked && atexit(lt_at_exit) == 0)
        is_hooked = true;
    lt_current = t;
    ck_assert_int_eq(natsConnection_JetStream(&t->js, t->hs.nc, NULL),
                     NATS_OK);
    snprintf(t->rec, sizeof(t->rec), "worker rec.%s", lattice);
    if (!wadm_later)
        lt_wadm_start(t, wadm_args);
    return true;
}

static void
lt_end(lt_t *t)
{
    test_wadm_cleanup(&t->wadm);
    kvStore_Destroy(t->kv);
    jsCtx_Destroy(t->js);
    t->kv = NULL;
    t->js = NULL;
    lt_current = NULL;
    test_hs_destroy(&t->hs);
}

/* ---- talking to hostsim and wadm -------------------------------------- */

/* A hostsim.<lattice>.<verb> request that must succeed; caller deletes. */
static cJSON *
lt_admin(lt_t *t, const char *verb, const char *body)
{
    cJSON *r = test_hs_admin(&t->hs, verb, body);
    ck_assert_msg(r != NULL, "no reply to hostsim verb %s", verb);
    ck_assert_msg(test_hs_ok(r), "hostsim verb %s failed: %s", verb,
                  test_hs_msg(r));
    return r;
}

static void
lt_admin_host(lt_t *t, const char *verb, const char *host)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"host\":\"%s\"}", host);
    cJSON_Delete(lt_admin(t, verb, body));
}

/* Starts one more simulated host with labels (JSON map); returns its id. */
static const char *
lt_add_host(lt_t *t, const char *labels)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"labels\":%s}", labels);
    cJSON *r = lt_admin(t, "start", body);
    const char *id = test_hs_str(r, "id");
    ck_assert_ptr_nonnull(id);
    ck_assert_int_lt(t->hs.hosts, TEST_HS_MAX_HOSTS);
    char *slot = t->hs.ids[t->hs.hosts++];
    snprintf(slot, sizeof(t->hs.ids[0]), "%s", id);
    cJSON_Delete(r);
    return slot;
}

/* Publishes a request whose reply nobody reads (load, not checks). */
static void
lt_send(lt_t *t, const char *subject, const char *body)
{
    ck_assert_int_eq(natsConnection_PublishRequestString(
                         t->hs.nc, subject, "lt.ignored.reply", body),
                     NATS_OK);
}

/*
 * A control-interface request as wadm sends it on
 * wasmbus.ctl.v1.<lattice>.<suffix>: it must succeed; with is_async it is
 * only published, its reply going nowhere (load, not checks).
 */
static void
lt_ctl(lt_t *t, const char *suffix, const char *body, bool is_async)
{
    if (is_async) {
        char subject[300];
        snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.%s",
                 t->hs.lattice, suffix);
        lt_send(t, subject, body);
        return;
    }
    natsStatus s;
    cJSON *r = test_hs_request(&t->hs, suffix, body, 3000, &s);
    ck_assert_msg(r != NULL, "no reply to %s (%s)", suffix,
                  natsStatus_GetText(s));
    ck_assert_msg(test_hs_ok(r), "%s failed: %s", suffix, test_hs_msg(r));
    cJSON_Delete(r);
}

#define LT_ANN                                                               \
    "{\"wasmcloud.dev/appspec\":\"lt-app\",\"wasmcloud.dev/managed-by\":"    \
    "\"wadm\",\"wasmcloud.dev/scaler\":\"scaler-%s\","                       \
    "\"wasmcloud.dev/spread_name\":\"default\"}"

/* component.scale of comp (image and annotations derived) to count. */
static void
lt_scale_req(lt_t *t, const char *host, const char *comp, unsigned count,
             bool is_async)
{
    char suffix[160], body[1024], ann[300];
    snprintf(ann, sizeof(ann), LT_ANN, comp);
    snprintf(suffix, sizeof(suffix), "component.scale.%s", host);
    snprintf(body, sizeof(body),
             "{\"component_ref\":\"ghcr.io/example/%s:0.1.0\","
             "\"component_id\":\"%s\",\"annotations\":%s,\"count\":%u,"
             "\"host_id\":\"%s\",\"config\":[],\"allow_update\":false}",
             comp, comp, ann, count, host);
    lt_ctl(t, suffix, body, is_async);
}

static void
lt_scale(lt_t *t, const char *host, const char *comp, unsigned count)
{
    lt_scale_req(t, host, comp, count, false);
}

/* provider.start / provider.stop of prov on host. */
static void
lt_provider_req(lt_t *t, const char *host, const char *prov, bool is_start,
                bool is_async)
{
    char suffix[160], body[1024], ann[300];
    snprintf(ann, sizeof(ann), LT_ANN, prov);
    snprintf(suffix, sizeof(suffix), "provider.%s.%s",
             is_start ? "start" : "stop", host);
    if (is_start)
        snprintf(body, sizeof(body),
                 "{\"provider_id\":\"%s\",\"provider_ref\":"
                 "\"ghcr.io/example/%s:0.2.0\",\"host_id\":\"%s\","
                 "\"config\":[],\"annotations\":%s}",
                 prov, prov, host, ann);
    else
        snprintf(body, sizeof(body),
                 "{\"host_id\":\"%s\",\"provider_id\":\"%s\"}", host, prov);
    lt_ctl(t, suffix, body, is_async);
}

static void
lt_provider(lt_t *t, const char *host, const char *prov, bool is_start)
{
    lt_provider_req(t, host, prov, is_start, false);
}

/* A wadm API request on wadm.api.<lattice>.<op>; the parsed reply. */
static cJSON *
lt_api(lt_t *t, const char *lattice, const char *op, const char *body)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wadm.api.%s.%s", lattice, op);
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_RequestString(&reply, t->hs.nc, subject,
                                                body ? body : "", 10000);
    ck_assert_msg(s == NATS_OK, "no reply to %s (%s)", subject,
                  natsStatus_GetText(s));
    cJSON *j = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    ck_assert_msg(j != NULL, "reply to %s is not JSON", subject);
    return j;
}

static void
lt_publish(lt_t *t, const char *subject, const char *data, size_t len)
{
    ck_assert_int_eq(natsConnection_Publish(t->hs.nc, subject, data,
                                            (int)len),
                     NATS_OK);
}

/* A number from a fresh dump (-1 when absent). */
static long
lt_dump_num(lt_t *t, const char *section, const char *key)
{
    char *d = test_wadm_dump(&t->wadm);
    ck_assert_msg(d != NULL, "no status dump");
    long v = test_dump_num(d, section, key);
    free(d);
    return v;
}

/* Polls the dump until section.key >= want; returns the last value. */
static long
lt_wait_num(lt_t *t, const char *section, const char *key, long want,
            unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    long v;
    while ((v = lt_dump_num(t, section, key)) < want &&
           test_now_ms() < deadline)
        test_pause_ms(20);
    return v;
}

/* ---- the state wadm stored against what the hosts hold ---------------- */

/* The wadm_state record <kind>_<lattice>: {} when absent, NULL on error. */
static cJSON *
lt_kv_record(lt_t *t, const char *kind)
{
    if (t->kv == NULL && js_KeyValue(&t->kv, t->js, "wadm_state") !=
                             NATS_OK) {
        t->kv = NULL;
        return NULL;
    }
    char key[160];
    snprintf(key, sizeof(key), "%s_%s", kind, t->hs.lattice);
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, t->kv, key);
    if (s == NATS_NOT_FOUND)
        return cJSON_CreateObject();
    if (s != NATS_OK)
        return NULL;
    cJSON *j = kvEntry_Operation(e) == kvOp_Put
                   ? cJSON_ParseWithLength(kvEntry_ValueString(e),
                                           (size_t)kvEntry_ValueLen(e))
                   : cJSON_CreateObject();
    kvEntry_Destroy(e);
    return j;
}

static const char *
lt_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *
lt_get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Counts one more host for id in the object seen ({id: n}). */
static void
lt_seen(cJSON *seen, const char *id)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(seen, id);
    if (n == NULL)
        cJSON_AddNumberToObject(seen, id, 1);
    else
        cJSON_SetNumberValue(n, n->valuedouble + 1);
}

#define LT_DIFF(...)                                                         \
    do {                                                                     \
        snprintf(t->why, sizeof(t->why), __VA_ARGS__);                       \
        goto out;                                                            \
    } while (0)

/* Whether host id stores as many what as it runs. */
static bool
lt_same_count(lt_t *t, const char *id, const char *what,
              const cJSON *stored, const cJSON *running)
{
    if (cJSON_GetArraySize(stored) == cJSON_GetArraySize(running))
        return true;
    snprintf(t->why, sizeof(t->why), "host %s: %d %s stored, %d running", id,
             cJSON_GetArraySize(stored), what, cJSON_GetArraySize(running));
    return false;
}

/* Whether stored host record r equals inventory inv of host id. */
static bool
lt_host_matches(lt_t *t, const char *id, const cJSON *r, const cJSON *inv)
{
    if (r == NULL) {
        snprintf(t->why, sizeof(t->why), "host %s is not stored", id);
        return false;
    }
    const cJSON *ver = lt_get(r, "version");
    bool ok = strcmp(lt_str(r, "friendly_name"),
                     lt_str(inv, "friendly_name")) == 0 &&
              cJSON_Compare(lt_get(r, "labels"), lt_get(inv, "labels"), 1) &&
              (cJSON_IsNull(ver) ||
               strcmp(lt_str(r, "version"), lt_str(inv, "version")) == 0);
    if (!ok) {
        snprintf(t->why, sizeof(t->why), "host %s: name, labels or version "
                 "differ", id);
        return false;
    }
    const cJSON *comps = lt_get(inv, "components");
    const cJSON *stored = lt_get(r, "components");
    if (!lt_same_count(t, id, "components", stored, comps))
        return false;
    const cJSON *c;
    cJSON_ArrayForEach(c, comps)
    {
        const cJSON *n = lt_get(stored, lt_str(c, "id"));
        if (!cJSON_IsNumber(n) ||
            n->valuedouble != lt_get(c, "max_instances")->valuedouble) {
            snprintf(t->why, sizeof(t->why), "host %s: component %s count "
                     "%g stored, %g running", id, lt_str(c, "id"),
                     n ? n->valuedouble : -1,
                     lt_get(c, "max_instances")->valuedouble);
            return false;
        }
    }
    const cJSON *provs = lt_get(inv, "providers");
    stored = lt_get(r, "providers");
    if (!lt_same_count(t, id, "providers", stored, provs))
        return false;
    const cJSON *p;
    cJSON_ArrayForEach(p, provs)
    {
        const cJSON *s;
        bool is_found = false;
        cJSON_ArrayForEach(s, stored)
        {
            is_found |= strcmp(lt_str(s, "provider_id"), lt_str(p, "id")) ==
                             0 &&
                         strcmp(lt_str(s, "provider_ref"),
                                lt_str(p, "image_ref")) == 0 &&
                         cJSON_Compare(lt_get(s, "annotations"),
                                       lt_get(p, "annotations"), 1);
        }
        if (!is_found) {
            snprintf(t->why, sizeof(t->why), "host %s: provider %s not "
                     "stored as running", id, lt_str(p, "id"));
            return false;
        }
    }
    return true;
}

/* Whether component record rc holds exactly what inventory comp c says. */
static bool
lt_component_matches(lt_t *t, const char *host, const cJSON *rc,
                     const cJSON *c)
{
    const char *id = lt_str(c, "id");
    const cJSON *set = lt_get(lt_get(rc, "instances"), host);
    if (rc == NULL || strcmp(lt_str(rc, "reference"),
                             lt_str(c, "image_ref")) != 0) {
        snprintf(t->why, sizeof(t->why), "component %s: no record or other "
                 "reference", id);
        return false;
    }
    if (cJSON_GetArraySize(set) != 1 ||
        lt_get(set->child, "count")->valuedouble !=
            lt_get(c, "max_instances")->valuedouble ||
        !cJSON_Compare(lt_get(set->child, "annotations"),
                       lt_get(c, "annotations"), 1)) {
        snprintf(t->why, sizeof(t->why), "component %s on host %s: %d "
                 "instance entries, or count or annotations differ", id,
                 host, cJSON_GetArraySize(set));
        return false;
    }
    return true;
}

/*
 * Whether the wadm_state records of the lattice (and, with is_dump, the
 * rec's hosts/components/providers counts) equal the running hosts'
 * inventories exactly. On a difference t->why says what.
 */
static bool
lt_state_matches(lt_t *t, bool is_dump)
{
    bool ok = false;
    cJSON *inv = test_hs_admin(&t->hs, "inventory", "{}");
    cJSON *kvh = lt_kv_record(t, "host");
    cJSON *kvc = lt_kv_record(t, "component");
    cJSON *kvp = lt_kv_record(t, "provider");
    cJSON *comps = cJSON_CreateObject();
    cJSON *provs = cJSON_CreateObject();
    const cJSON *hosts = lt_get(lt_get(inv, "response"), "hosts");
    if (hosts == NULL || kvh == NULL || kvc == NULL || kvp == NULL)
        LT_DIFF("inventory or wadm_state unreadable");
    if (cJSON_GetArraySize(kvh) != cJSON_GetArraySize(hosts))
        LT_DIFF("%d hosts stored, %d running", cJSON_GetArraySize(kvh),
                cJSON_GetArraySize(hosts));
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts)
    {
        const char *id = lt_str(h, "host_id");
        if (!lt_host_matches(t, id, lt_get(kvh, id), h))
            goto out;
        const cJSON *c;
        cJSON_ArrayForEach(c, lt_get(h, "components"))
        {
            if (!lt_component_matches(t, id, lt_get(kvc, lt_str(c, "id")),
                                      c))
                goto out;
            lt_seen(comps, lt_str(c, "id"));
        }
        const cJSON *p;
        cJSON_ArrayForEach(p, lt_get(h, "providers"))
        {
            const cJSON *rp = lt_get(kvp, lt_str(p, "id"));
            if (rp == NULL || lt_get(lt_get(rp, "hosts"), id) == NULL ||
                strcmp(lt_str(rp, "reference"), lt_str(p, "image_ref")) != 0)
                LT_DIFF("provider %s on host %s: not stored", lt_str(p, "id"),
                        id);
            lt_seen(provs, lt_str(p, "id"));
        }
    }
    /* nothing more than that: no stale records, no stale hosts in them */
    const cJSON *pairs[2][3] = {{kvc, comps, NULL}, {kvp, provs, NULL}};
    for (int k = 0; k < 2; k++) {
        const cJSON *stored = pairs[k][0], *seen = pairs[k][1];
        if (cJSON_GetArraySize(stored) != cJSON_GetArraySize(seen))
            LT_DIFF("%d %s records stored, %d running",
                    cJSON_GetArraySize(stored), k ? "provider" : "component",
                    cJSON_GetArraySize(seen));
        const cJSON *r;
        cJSON_ArrayForEach(r, stored)
        {
            const cJSON *n = lt_get(seen, r->string);
            const cJSON *where = lt_get(r, k ? "hosts" : "instances");
            if (n == NULL || cJSON_GetArraySize(where) != (int)n->valuedouble)
                LT_DIFF("%s %s stored on %d host(s), runs on %d",
                        k ? "provider" : "component", r->string,
                        cJSON_GetArraySize(where),
                        n ? (int)n->valuedouble : 0);
        }
    }
    if (is_dump) {
        char *d = test_wadm_dump(&t->wadm);
        long nh = d ? test_dump_num(d, t->rec, "hosts") : -1;
        long nc = d ? test_dump_num(d, t->rec, "components") : -1;
        long np = d ? test_dump_num(d, t->rec, "providers") : -1;
        free(d);
        if (nh != cJSON_GetArraySize(hosts) ||
            nc != cJSON_GetArraySize(comps) ||
            np != cJSON_GetArraySize(provs))
            LT_DIFF("dump counts hosts %ld components %ld providers %ld, "
                    "running %d/%d/%d", nh, nc, np,
                    cJSON_GetArraySize(hosts), cJSON_GetArraySize(comps),
                    cJSON_GetArraySize(provs));
    }
    ok = true;
out:
    cJSON_Delete(inv);
    cJSON_Delete(kvh);
    cJSON_Delete(kvc);
    cJSON_Delete(kvp);
    cJSON_Delete(comps);
    cJSON_Delete(provs);
    return ok;
}

/* Waits until the state matches; fails the test after timeout_ms. */
static uint64_t
lt_expect_state(lt_t *t, unsigned timeout_ms, const char *what)
{
    uint64_t start = test_now_ms();
    uint64_t deadline = start + timeout_ms;
    while (!lt_state_matches(t, true)) {
        if (test_now_ms() >= deadline)
            ck_abort_msg("%s: state differs from the hosts' inventories "
                         "after %ums: %s (wadm log %s)", what, timeout_ms,
                         t->why, t->wadm.log_path);
        test_pause_ms(50);
    }
    return test_now_ms() - start;
}

/* No worker of wadm restarted. */
static void
lt_expect_no_restarts(lt_t *t)
{
    char *d = test_wadm_dump(&t->wadm);
    ck_assert_ptr_nonnull(d);
    const char *sections[] = {LT_INGEST, LT_DISPATCH, t->rec};
    for (int i = 0; i < 3; i++)
        ck_assert_msg(test_dump_num(d, sections[i], "restarts_total") == 0,
                      "%s restarted", sections[i]);
    free(d);
}

/* ---- hosts start, scale, stop gracefully, die silently ----------------- */

START_TEST(test_lattice_state_follows_starts_scales_and_stops)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", "--heartbeat-ms", "600000",
                             NULL};
    if (!lt_begin(&t, "ltstate", 0, hs_args, NULL, false))
        return;
    /* no heartbeat ever comes: events alone must carry the state */
    const char *h0 = lt_add_host(&t, "{\"zone\":\"a\"}");
    const char *h1 = lt_add_host(&t, "{\"zone\":\"b\"}");
    const char *h2 = lt_add_host(&t, "{\"zone\":\"c\",\"gpu\":\"yes\"}");
    lt_expect_state(&t, 8000, "three hosts started");
    lt_scale(&t, h0, "comp_a", 3);
    lt_scale(&t, h1, "comp_a", 2);
    lt_scale(&t, h0, "comp_b", 1);
    lt_provider(&t, h1, "prov_p", true);
    lt_provider(&t, h2, "prov_p", true);
    lt_expect_state(&t, 2000, "scales and provider starts");
    lt_scale(&t, h0, "comp_a", 5);
    lt_scale(&t, h0, "comp_b", 0);
    lt_provider(&t, h2, "prov_p", false);
    lt_expect_state(&t, 2000, "rescale, scale to zero, provider stop");
    lt_admin_host(&t, "stop", h1);
    lt_expect_state(&t, 2000, "graceful stop of a host");
    const char *h3 = lt_add_host(&t, "{\"zone\":\"d\"}");
    lt_scale(&t, h3, "comp_a", 1);
    lt_provider(&t, h3, "prov_p", true);
    lt_expect_state(&t, 2000, "a host joined and got work");
    char *d = test_wadm_dump(&t.wadm);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_bad_total"), 0);
    ck_assert_int_eq(test_dump_num(d, t.rec, "events_undecodable_total"), 0);
    ck_assert_int_eq(test_dump_num(d, t.rec, "hosts_reaped_total"), 0);
    free(d);
    lt_expect_no_restarts(&t);
    lt_end(&t);
}
END_TEST

START_TEST(test_lattice_silent_death_is_reaped)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", "--heartbeat-ms", "300", NULL};
    char *wadm_args[] = {"--cleanup-interval", "2", NULL};
    if (!lt_begin(&t, "ltdie", 0, hs_args, wadm_args, false))
        return;
    const char *h[3];
    for (int i = 0; i < 3; i++) {
        h[i] = lt_add_host(&t, "{}");
        lt_scale(&t, h[i], "comp_a", (unsigned)i + 1);
    }
    lt_provider(&t, h[2], "prov_p", true);
    lt_expect_state(&t, 8000, "three hosts with work");
    uint64_t t0 = test_now_ms();
    lt_admin_host(&t, "die", h[2]);
    /* dead after 2 s without heartbeat, noticed at the next 1 s tick */
    (void)lt_expect_state(&t, 5000, "a host died silently");
    ck_assert_msg(test_now_ms() - t0 >= 1000, "host removed too early");
    ck_assert_int_eq(lt_dump_num(&t, t.rec, "hosts_reaped_total"), 1);
    lt_expect_no_restarts(&t);
    lt_end(&t);
}
END_TEST

/* ---- reconciliation right after a host is reaped ---------------------- */

#define LT_REAP_APP                                                          \
    "apiVersion: core.oam.dev/v1beta1\n"                                     \
    "kind: Application\n"                                                    \
    "metadata:\n"                                                            \
    "  name: lt-reap\n"                                                      \
    "  annotations:\n"                                                       \
    "    version: v0.0.1\n"                                                  \
    "spec:\n"                                                                \
    "  components:\n"                                                        \
    "    - name: hello\n"                                                    \
    "      type: component\n"                                                \
    "      properties:\n"                                                    \
    "        image: ghcr.io/example/hello:0.1.0\n"                             \
    "        id: lt_hello\n"                                                 \
    "      traits:\n"                                                        \
    "        - type: spreadscaler\n"                                         \
    "          properties:\n"                                                \
    "            instances: 4\n"

/* The host the inventory shows running lt_hello, or NULL. */
static char *
lt_hello_host(lt_t *t)
{
    cJSON *inv = lt_admin(t, "inventory", "{}");
    char *found = NULL;
    const cJSON *h;
    cJSON_ArrayForEach(h, lt_get(lt_get(inv, "response"), "hosts"))
    {
        const cJSON *c;
        cJSON_ArrayForEach(c, lt_get(h, "components"))
        {
            if (strcmp(lt_str(c, "id"), "lt_hello") == 0 && !found &&
                lt_get(c, "max_instances")->valuedouble == 4)
                found = strdup(lt_str(h, "host_id"));
        }
    }
    cJSON_Delete(inv);
    return found;
}

/* The first component.scale with count > 0 to a host other than not. */
static cJSON *
lt_replacement(lt_t *t, const char *not)
{
    cJSON *r = lt_admin(t, "commands", "{\"kind\":\"component.scale\"}");
    cJSON *found = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, lt_get(lt_get(r, "response"), "commands"))
    {
        cJSON *body = cJSON_Parse(lt_str(c, "body"));
        const cJSON *count = lt_get(body, "count");
        if (!found && strcmp(lt_str(c, "host"), not) != 0 &&
            cJSON_IsNumber(count) && count->valuedouble > 0)
            found = cJSON_Duplicate(c, 1);
        cJSON_Delete(body);
    }
    cJSON_Delete(r);
    return found;
}

START_TEST(test_lattice_reaped_host_is_replaced_at_once)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", "--heartbeat-ms", "600000",
                             NULL};
    /* a tick every 3 s; a host is dead after 6 s without heartbeat */
    char *wadm_args[] = {"--cleanup-interval", "6", NULL};
    if (!lt_begin(&t, "ltreap", 0, hs_args, wadm_args, false))
        return;
    for (int i = 0; i < 3; i++)
        (void)lt_add_host(&t, "{}");
    lt_expect_state(&t, 8000, "three hosts");
    cJSON *r = lt_api(&t, "ltreap", "model.put", LT_REAP_APP);
    ck_assert_msg(strcmp(lt_str(r, "result"), "created") == 0,
                  "model.put: %s", lt_str(r, "message"));
    cJSON_Delete(r);
    r = lt_api(&t, "ltreap", "model.deploy.lt-reap", "");
    ck_assert_msg(strcmp(lt_str(r, "result"), "acknowledged") == 0,
                  "model.deploy: %s", lt_str(r, "message"));
    cJSON_Delete(r);
    char *victim = NULL;
    uint64_t deadline = test_now_ms() + 8000;
    while ((victim = lt_hello_host(&t)) == NULL && test_now_ms() < deadline)
        test_pause_ms(50);
    ck_assert_msg(victim != NULL, "lt-reap was never placed");
    lt_expect_state(&t, 3000, "lt-reap placed");
    /*
     * Every host heartbeats now (last_seen t0), the victim dies, the
     * others heartbeat once more at t0+4 s. The victim is reaped at the
     * first tick after t0+6 s (by t0+9 s), the others not before t0+10 s;
     * after their heartbeats no host publishes anything, so a replacement
     * can only come from the reaper.
     */
    cJSON_Delete(lt_admin(&t, "heartbeat", "{}"));
    uint64_t t0 = test_now_ms();
    lt_admin_host(&t, "die", victim);
    cJSON_Delete(lt_admin(&t, "reset", "{}"));
    while (test_now_ms() < t0 + 4000)
        test_pause_ms(50); /* a deadline of its own, not a synchronisation */
    for (int i = 0; i < t.hs.hosts; i++)
        if (strcmp(t.hs.ids[i], victim) != 0) {
            lt_admin_host(&t, "heartbeat", t.hs.ids[i]);
            cJSON *hb = test_hs_event(&t.hs, "host_heartbeat", t.hs.ids[i],
                                      3000);
            ck_assert_ptr_nonnull(hb);
            cJSON_Delete(hb);
        }
    test_hs_events_clear(&t.hs);
    cJSON *cmd = NULL;
    while ((cmd = lt_replacement(&t, victim)) == NULL &&
           test_now_ms() < t0 + 10000)
        test_pause_ms(20);
    ck_assert_msg(cmd != NULL, "no replacement requested by t0+10s (wadm "
                  "log %s)", t.wadm.log_path);
    ck_assert_msg(test_now_ms() >= t0 + 5500, "replaced before the victim "
                  "could be dead");
    /* nothing but the replacement's own events since the heartbeats */
    cJSON *ev;
    while ((ev = test_hs_event(&t.hs, "host_heartbeat", NULL, 200)) != NULL) {
        cJSON_Delete(ev);
        ck_abort_msg("a heartbeat came before the replacement");
    }
    ck_assert_int_eq(lt_dump_num(&t, t.rec, "hosts_reaped_total"), 1);
    lt_expect_state(&t, 3000, "victim reaped and replaced");
    char *where = lt_hello_host(&t);
    ck_assert_ptr_nonnull(where);
    ck_assert_str_eq(where, lt_str(cmd, "host"));
    free(where);
    free(victim);
    cJSON_Delete(cmd);
    lt_expect_no_restarts(&t);
    lt_end(&t);
}
END_TEST

/* ---- every fixture event, and malformed variants of each ------------- */

/* The subject suffix of a CloudEvent type ("host_started"). */
static const char *
lt_suffix(const char *type)
{
    const char *dot = strrchr(type, '.');
    return dot ? dot + 1 : type;
}

/* One required data field of each host event type (lattice.md 2.4). */
static const char *
lt_required_field(int kind)
{
    switch (kind) {
    case CE_KIND_HOST_HEARTBEAT:
    case CE_KIND_HOST_STARTED:
        return "friendly_name";
    case CE_KIND_HOST_STOPPED:
        return "labels";
    case CE_KIND_COMPONENT_SCALED:
        return "component_id";
    case CE_KIND_COMPONENT_SCALE_FAILED:
    case CE_KIND_PROVIDER_START_FAILED:
        return "error";
    case CE_KIND_PROVIDER_STARTED:
    case CE_KIND_HEALTH_CHECK_PASSED:
    case CE_KIND_HEALTH_CHECK_FAILED:
    case CE_KIND_HEALTH_CHECK_STATUS:
        return "provider_id";
    case CE_KIND_PROVIDER_STOPPED:
        return "reason";
    case CE_KIND_LINKDEF_SET:
        return "wit_namespace";
    case CE_KIND_LINKDEF_DELETED:
        return "wit_package";
    case CE_KIND_CONFIG_SET:
    case CE_KIND_CONFIG_DELETED:
        return "config_name";
    default:
        return NULL;
    }
}

/* Applies a fixture event to the expected state as the reconciler must. */
static void
lt_expect_apply(rec_state_t *st, const cJSON *ev)
{
    int kind = ce_kind_from_type(lt_str(ev, "type"));
    char *data = cJSON_PrintUnformatted(lt_get(ev, "data"));
    rec_event_t re;
    char *err = NULL;
    ck_assert_msg(rec_event_decode(kind, data, strlen(data),
                                   lt_str(ev, "source"), &re, &err) == 0,
                  "fixture %s does not decode: %s", lt_str(ev, "type"), err);
    ck_assert_int_eq(rec_state_apply(st, &re, 1, NULL), 0);
    rec_event_destroy(&re);
    free(data);
}

/* Whether the stored state equals want, last_seen aside. */
static bool
lt_kv_state_equals(lt_t *t, rec_state_t *want)
{
    rec_state_t got;
    rec_state_init(&got);
    const char *kinds[] = {"host", "component", "provider"};
    int (*decode[3])(rec_state_t *, const char *, size_t, char **) = {
        rec_state_json_hosts_decode, rec_state_json_components_decode,
        rec_state_json_providers_decode};
    bool ok = true;
    for (int i = 0; i < 3 && ok; i++) {
        cJSON *j = lt_kv_record(t, kinds[i]);
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;
        char *err = NULL;
        ok = text && decode[i](&got, text, strlen(text), &err) == 0;
        free(err);
        free(text);
        cJSON_Delete(j);
    }
    rec_state_t *both[2] = {&got, want};
    for (int k = 0; k < 2; k++)
        for (map_entry_t *e = map_first(&both[k]->hosts); e; e = e->next)
            ((rec_host_t *)e->val)->last_seen_us = 0;
    ok = ok && rec_state_equal(&got, want);
    rec_state_destroy(&got);
    return ok;
}

/* Publishes one variant of a fixture event on its subject. */
static void
lt_publish_variant(lt_t *t, const cJSON *ev, cJSON *variant)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wasmbus.evt.%s.%s", t->hs.lattice,
             lt_suffix(lt_str(ev, "type")));
    char *text = cJSON_PrintUnformatted(variant);
    lt_publish(t, subject, text, strlen(text));
    free(text);
    cJSON_Delete(variant);
}

START_TEST(test_lattice_fixture_events_apply_and_malformed_are_counted)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", NULL};
    if (!lt_begin(&t, "ltfix", 0, hs_args, NULL, false))
        return;
    cJSON *events = test_events_load();
    if (events == NULL) {
        test_skip("ltfix: fixtures/manifests/events.json is missing");
        lt_end(&t);
        return;
    }
    /* the API request makes the lattice managed before any event */
    cJSON_Delete(lt_api(&t, "ltfix", "model.list", ""));
    ck_assert(test_wadm_wait_value(&t.wadm, t.rec, "engine", "ready", 5000));
    rec_state_t want;
    rec_state_init(&want);
    long host_events = 0, wadm_events = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const char *type = lt_str(ev, "type");
        char subject[256];
        bool is_wadm = strncmp(type, "com.wadm.", 9) == 0;
        snprintf(subject, sizeof(subject), "%s.evt.%s.%s",
                 is_wadm ? "wadm" : "wasmbus", t.hs.lattice,
                 lt_suffix(type));
        char *text = cJSON_PrintUnformatted(ev);
        lt_publish(&t, subject, text, strlen(text));
        free(text);
        if (is_wadm) {
            wadm_events++;
            continue;
        }
        host_events++;
        lt_expect_apply(&want, ev);
    }
    ck_assert_int_eq(host_events + wadm_events, cJSON_GetArraySize(events));
    ck_assert_int_eq(lt_wait_num(&t, LT_INGEST, "events_applied_total",
                                 host_events, 5000),
                     host_events);
    uint64_t deadline = test_now_ms() + 3000;
    while (!lt_kv_state_equals(&t, &want) && test_now_ms() < deadline)
        test_pause_ms(50);
    ck_assert_msg(lt_kv_state_equals(&t, &want), "stored state is not the "
                  "fixture events applied in order");
    char *d = test_wadm_dump(&t.wadm);
    ck_assert_int_eq(test_dump_num(d, t.rec, "events_in_total"), host_events);
    ck_assert_int_eq(test_dump_num(d, t.rec, "events_undecodable_total"), 0);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_bad_total"), 0);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_skipped_total"), 0);
    free(d);

    /* malformed variants of every host event: none may change the state */
    long bad = 0, skipped = 0, undecodable = 0;
    unsigned kinds = 0;
    cJSON_ArrayForEach(ev, events)
    {
        int kind = ce_kind_from_type(lt_str(ev, "type"));
        const char *field = lt_required_field(kind);
        if (field == NULL)
            continue;
        kinds |= 1u << kind;
        char subject[256];
        snprintf(subject, sizeof(subject), "wasmbus.evt.%s.%s", t.hs.lattice,
                 lt_suffix(lt_str(ev, "type")));
        char *text = cJSON_PrintUnformatted(ev);
        lt_publish(&t, subject, text, strlen(text) / 2); /* truncated */
        lt_publish(&t, subject, "not json {", 10);
        free(text);
        cJSON *v = cJSON_Duplicate(ev, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(v, "source");
        lt_publish_variant(&t, ev, v);
        v = cJSON_Duplicate(ev, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(v, "data",
                                               cJSON_CreateNumber(5));
        lt_publish_variant(&t, ev, v);
        bad += 4;
        v = cJSON_Duplicate(ev, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(
            v, "type", cJSON_CreateString("com.wasmcloud.lattice.no_such"));
        lt_publish_variant(&t, ev, v);
        skipped++;
        v = cJSON_Duplicate(ev, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(v, "data"), field);
        lt_publish_variant(&t, ev, v);
        v = cJSON_Duplicate(ev, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(v, "data"), field,
            cJSON_Parse("[1]"));
        lt_publish_variant(&t, ev, v);
        undecodable += 2;
    }
    ck_assert_int_eq(lt_wait_num(&t, t.rec, "events_undecodable_total",
                                 undecodable, 5000),
                     undecodable);
    d = test_wadm_dump(&t.wadm);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_bad_total"), bad);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_skipped_total"),
                     skipped);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_applied_total"),
                     host_events + undecodable);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_in_flight"), 0);
    free(d);
    /* logged once per kind: each kind's bad data, plus unreadable ones */
    char *log = test_read_file(t.wadm.log_path, NULL);
    int lines = 0;
    for (const char *p = log; p && (p = strstr(p, "malformed ")); p++)
        lines++;
    free(log);
    ck_assert_int_eq(lines, __builtin_popcount(kinds) + 1);
    /* a good event still goes through after the bad ones */
    const char *src =
        "NAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char *late = test_event_wrap("com.wasmcloud.lattice.host_started", src,
                                 "{\"friendly_name\":\"late-host\","
                                 "\"labels\":{}}");
    cJSON *late_ev = cJSON_Parse(late);
    lt_publish_variant(&t, late_ev, cJSON_Duplicate(late_ev, 1));
    lt_expect_apply(&want, late_ev);
    cJSON_Delete(late_ev);
    free(late);
    deadline = test_now_ms() + 3000;
    while (!lt_kv_state_equals(&t, &want) && test_now_ms() < deadline)
        test_pause_ms(50);
    ck_assert_msg(lt_kv_state_equals(&t, &want), "malformed events changed "
                  "the state, or the good one after them was lost");
    rec_state_destroy(&want);
    cJSON_Delete(events);
    lt_expect_no_restarts(&t);
    lt_end(&t);
}
END_TEST

/* ---- kill -9 under load ------------------------------------------------ */

/* The durable consumer has nothing pending or unacknowledged. */
static bool
lt_consumer_drained(lt_t *t, char *why, size_t cap)
{
    char name[160];
    snprintf(name, sizeof(name), "wadmc_events-%s", t->hs.lattice);
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, t->js, LT_STREAM, name, NULL,
                                      &jerr);
    if (s != NATS_OK) {
        snprintf(why, cap, "consumer info: %s", natsStatus_GetText(s));
        return false;
    }
    bool ok = ci->NumAckPending == 0 && ci->NumPending == 0;
    snprintf(why, cap, "ack pending %lld, pending %llu, redelivered %lld",
             (long long)ci->NumAckPending, (unsigned long long)ci->NumPending,
             (long long)ci->NumRedelivered);
    jsConsumerInfo_Destroy(ci);
    return ok;
}

/* The last sequence number of the event stream (0 when unknown). */
static uint64_t
lt_stream_last_seq(lt_t *t)
{
    jsStreamInfo *si = NULL;
    if (js_GetStreamInfo(&si, t->js, LT_STREAM, NULL, NULL) != NATS_OK)
        return 0;
    uint64_t seq = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return seq;
}

/* Rounds of load before a kill whose events only a stalled reconciler
   would have applied: more than the channel's socket buffer holds. */
#define LT_STALL_ROUNDS 400

/* Waits (at most timeout_ms) until the stream holds sequence seq. */
static void
lt_wait_stream(lt_t *t, uint64_t seq, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    while (lt_stream_last_seq(t) < seq && test_now_ms() < deadline)
        test_pause_ms(2);
}

/* Makes the quiet hosts (h[5..9]) answer ms late (0: at once). */
static void
lt_slow_quiet(lt_t *t, const char *const h[], unsigned ms)
{
    for (int q = 5; q < 10; q++) {
        char body[160];
        snprintf(body, sizeof(body), "{\"host\":\"%s\",\"ms\":%u}", h[q], ms);
        cJSON_Delete(lt_admin(t, "slow", body));
    }
}

/*
 * Ten hosts: five "noisy" ones heartbeat as fast as hostsim can be asked
 * to, five "quiet" ones never heartbeat and are scaled over and over, so
 * their state comes from events alone and a lost or misordered event
 * shows. Requests go out without waiting, so hundreds of events are in
 * flight when ingest or the reconciler gets SIGKILL halfway through. A
 * restarted reconciler would heal from the hosts' inventories, so from
 * the kill on the quiet hosts answer later than its ping window: their
 * state must come from the stored records and the events ingest sends
 * again. (They stay slow to the end: hostsim would publish a reply made
 * after "slow 0" before the delayed ones.) Before ingest is killed the
 * reconciler is stopped (SIGSTOP) for a few hundred events, so ingest dies
 * holding events it received but nobody applied: acknowledged early, they
 * would be lost. The stop stays under three worker heartbeats (the
 * supervisor would take the reconciler for hung).
 */
static void
lt_kill_under_load(const char *lattice, bool is_ingest)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", "--heartbeat-ms", "600000",
                             NULL};
    /* a stopped worker is taken for hung after three missed heartbeats */
    char *wadm_args[] = {"--heartbeat-interval-ms", "1000", NULL};
    if (!lt_begin(&t, lattice, 0, hs_args, wadm_args, false))
        return;
    natsSubscription *adv = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(
                         &adv, t.hs.nc,
                         "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"),
                     NATS_OK);
    const char *h[10];
    for (int i = 0; i < 10; i++)
        h[i] = lt_add_host(&t, i < 5 ? "{\"kind\":\"noisy\"}"
                                     : "{\"kind\":\"quiet\"}");
    lt_expect_state(&t, 8000, "ten hosts");
    const char *victim = is_ingest ? LT_INGEST : t.rec;
    long old_pid = lt_dump_num(&t, victim, "pid");
    long rec_pid = lt_dump_num(&t, t.rec, "pid");
    ck_assert_int_gt(old_pid, 0);
    char hb_subject[160], comp[32];
    snprintf(hb_subject, sizeof(hb_subject), "hostsim.%s.heartbeat", lattice);
    const int rounds = 1500;
    uint64_t stall_seq = 0;
    for (int r = 0; r < rounds; r++) {
        if (is_ingest && r == rounds / 2 - LT_STALL_ROUNDS) {
            ck_assert_int_eq(natsConnection_FlushTimeout(t.hs.nc, 5000),
                             NATS_OK);
            stall_seq = lt_stream_last_seq(&t);
            ck_assert_int_eq(kill((pid_t)rec_pid, SIGSTOP), 0);
        }
        if (r == rounds / 2) {
            if (!is_ingest)
                lt_slow_quiet(&t, h, 800); /* the ping window is 500 ms */
            ck_assert_int_eq(natsConnection_FlushTimeout(t.hs.nc, 5000),
                             NATS_OK);
            if (is_ingest)
                lt_wait_stream(&t, stall_seq + 3 * LT_STALL_ROUNDS, 800);
            ck_assert_int_eq(kill((pid_t)old_pid, SIGKILL), 0);
            if (is_ingest)
                ck_assert_int_eq(kill((pid_t)rec_pid, SIGCONT), 0);
        }
        char body[128];
        snprintf(body, sizeof(body), "{\"host\":\"%s\"}", h[r % 5]);
        lt_send(&t, hb_subject, body);
        /* just before the kill, components nothing scales again: their
           events alone carry them, a lost one cannot be papered over */
        if (r >= rounds / 2 - LT_STALL_ROUNDS && r < rounds / 2)
            snprintf(comp, sizeof(comp), "late_%d", r);
        else
            snprintf(comp, sizeof(comp), "comp_%d", r % 3);
        lt_scale_req(&t, h[5 + r % 5], comp, 1 + (unsigned)((r * 7) % 4),
                     true);
    }
    /* the victim is back (new pid) */
    uint64_t deadline = test_now_ms() + 10000;
    long pid;
    while (((pid = lt_dump_num(&t, victim, "pid")) <= 0 || pid == old_pid) &&
           test_now_ms() < deadline)
        test_pause_ms(20);
    ck_assert_msg(pid > 0 && pid != old_pid, "%s was not restarted", victim);
    if (!is_ingest)
        ck_assert(test_wadm_wait_value(&t.wadm, t.rec, "engine", "ready",
                                       8000));
    /* a host emits in order: once its last event is out, all of them are */
    test_hs_events_clear(&t.hs);
    for (int q = 5; q < 10; q++) {
        lt_scale_req(&t, h[q], "comp_0", (unsigned)q, true);
        lt_provider_req(&t, h[q], "prov_p", true, true);
    }
    for (int q = 5; q < 10; q++) {
        cJSON *ev = test_hs_event(&t.hs, "provider_started", h[q], 10000);
        ck_assert_msg(ev != NULL, "host %d never started prov_p", q);
        cJSON_Delete(ev);
    }
    /* everything the victim missed is applied */
    lt_expect_state(&t, 8000, "after kill -9 under load");
    /*
     * Every event is acknowledged at the latest after one redelivery: a
     * few (7 of about 1,500, once under ASan) stayed unacknowledged for
     * more than 5 s with the state already right, so the wait covers the
     * consumer's ack wait (10 s) plus margin. Why those were not acked at
     * once is not known yet (see the issue notes).
     */
    char why[256] = "";
    deadline = test_now_ms() + 15000;
    while (!lt_consumer_drained(&t, why, sizeof(why)) &&
           test_now_ms() < deadline)
        test_pause_ms(50);
    ck_assert_msg(lt_consumer_drained(&t, why, sizeof(why)),
                  "events left unacknowledged: %s", why);
    /* and it stays equal once every event is acknowledged */
    lt_expect_state(&t, 1000, "after every event was acknowledged");
    natsMsg *m = NULL;
    ck_assert_msg(natsSubscription_NextMsg(&m, adv, 0) != NATS_OK,
                  "an event reached its max deliveries: %.300s",
                  m ? natsMsg_GetData(m) : "");
    natsSubscription_Destroy(adv);
    char *d = test_wadm_dump(&t.wadm);
    ck_assert_int_eq(test_dump_num(d, victim, "restarts_total"), 1);
    ck_assert_int_eq(test_dump_num(d, is_ingest ? t.rec : LT_INGEST,
                                   "restarts_total"),
                     0);
    ck_assert_int_eq(test_dump_num(d, LT_INGEST, "events_bad_total"), 0);
    if (is_ingest)
        ck_assert_int_ge(test_dump_num(d, LT_INGEST, "events_rewinds_total"),
                         1);
    free(d);
    lt_end(&t);
}

START_TEST(test_lattice_ingest_kill9_loses_no_event)
{
    lt_kill_under_load("ltkilli", true);
}
END_TEST

START_TEST(test_lattice_reconciler_kill9_loses_no_event)
{
    lt_kill_under_load("ltkillr", false);
}
END_TEST

/* ---- inventory at start, before any heartbeat ------------------------- */

START_TEST(test_lattice_inventory_within_a_second_of_start)
{
    lt_t t;
    /* hosts run (with work) before wadm exists; none will heartbeat */
    const char *hs_args[] = {"--hosts", "5", "--heartbeat-ms", "600000",
                             "--components", "3", NULL};
    if (!lt_begin(&t, "ltinv", 5, hs_args, NULL, true))
        return;
    lt_scale(&t, t.hs.ids[0], "comp_extra", 2);
    lt_provider(&t, t.hs.ids[1], "prov_p", true);
    lt_wadm_start(&t, NULL);
    /* no event of this lattice is in the stream: an API call manages it */
    uint64_t t0 = test_now_ms();
    cJSON_Delete(lt_api(&t, "ltinv", "model.list", ""));
    while (!lt_state_matches(&t, false) && test_now_ms() < t0 + 3000)
        test_pause_ms(10);
    uint64_t took = test_now_ms() - t0;
    ck_assert_msg(lt_state_matches(&t, false), "no inventory after 3 s: %s",
                  t.why);
    ck_assert_msg(took <= 1000, "inventory stored %llums after the "
                  "reconciler was asked for", (unsigned long long)took);
    lt_expect_state(&t, 1000, "inventory at start");
    char *d = test_wadm_dump(&t.wadm);
    ck_assert_int_eq(test_dump_num(d, t.rec, "events_in_total"), 0);
    ck_assert_int_eq(test_dump_num(d, t.rec, "hosts"), 5);
    free(d);
    lt_end(&t);
}
END_TEST

/* ---- lattice discovery ------------------------------------------------- */

static void
lt_expect_rec(lt_t *t, const char *lattice, unsigned timeout_ms)
{
    char section[160];
    snprintf(section, sizeof(section), "worker rec.%s", lattice);
    ck_assert_msg(test_wadm_wait_value(&t->wadm, section, "state", "running",
                                       timeout_ms),
                  "no reconciler for %s", lattice);
}

static int
lt_count_recs(lt_t *t)
{
    char *d = test_wadm_dump(&t->wadm);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (const char *p = d; (p = strstr(p, "# worker rec.")) != NULL; p++)
        n++;
    free(d);
    return n;
}

START_TEST(test_lattice_discovery)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "0", NULL};
    if (!lt_begin(&t, "ltdisc", 0, hs_args, NULL, false))
        return;
    ck_assert(test_wadm_wait_value(&t.wadm, LT_INGEST, "jetstream", "ready",
                                   5000));
    /* first event: host_started */
    (void)lt_add_host(&t, "{}");
    lt_expect_rec(&t, "ltdisc", 5000);
    /* heartbeats only: found by the periodic scan of the stream */
    char *hb = test_event_text("com.wasmcloud.lattice.host_heartbeat");
    ck_assert_ptr_nonnull(hb);
    lt_publish(&t, "wasmbus.evt.lthb.host_heartbeat", hb, strlen(hb));
    free(hb);
    lt_expect_rec(&t, "lthb", 8000);
    /* an API request */
    cJSON_Delete(lt_api(&t, "ltapi", "model.list", ""));
    lt_expect_rec(&t, "ltapi", 5000);
    cJSON *r = lt_api(&t, "ltmf", "model.put", LT_REAP_APP);
    ck_assert_str_eq(lt_str(r, "result"), "created");
    cJSON_Delete(r);
    lt_expect_rec(&t, "ltmf", 5000);
    ck_assert_int_eq(lt_count_recs(&t), 4);
    /* wait until the state of the two event lattices is stored */
    ck_assert_int_eq(lt_wait_num(&t, "worker rec.lthb", "state_writes_total",
                                 1, 5000) >= 1, 1);
    ck_assert_int_eq(lt_wait_num(&t, t.rec, "state_writes_total", 1,
                                 5000) >= 1, 1);
    lt_expect_no_restarts(&t);
    /* at start: every lattice with stored state or manifests */
    test_wadm_cleanup(&t.wadm);
    lt_wadm_start(&t, NULL);
    lt_expect_rec(&t, "ltdisc", 3000);
    lt_expect_rec(&t, "lthb", 3000);
    lt_expect_rec(&t, "ltmf", 3000);
    ck_assert_int_eq(lt_count_recs(&t), 3); /* ltapi stored nothing */
    lt_end(&t);
}
END_TEST

/* ---- memory after a burst ---------------------------------------------- */

/*
 * Workers keep freed heap for reuse while busy (workers/wk.c): a burst
 * held in ingest must still be given back once it is over. The reconciler
 * is stopped while 2,500 heartbeats of 20 components (7 KB each) arrive,
 * so ingest holds them all; then it applies them, and ingest's RSS must
 * come back near what it was before.
 */
START_TEST(test_lattice_burst_memory_is_given_back)
{
#if defined(__SANITIZE_ADDRESS__)
    test_skip("burst memory: under ASan the heap is ASan's allocator, whose "
              "quarantine keeps freed memory on purpose");
    return;
#endif
    lt_t t;
    /* the reconciler is stopped for seconds: not a hang to the supervisor */
    char *wadm_args[] = {"--heartbeat-interval-ms", "10000", NULL};
    if (!lt_begin(&t, "ltheap", 1, NULL, wadm_args, false))
        return;
    const int n = 2500;
    buf_t comps;
    buf_init(&comps, 0);
    for (int i = 0; i < 20; i++)
        buf_appendf(&comps, "%s{\"id\":\"burst_app-comp%d\",\"image_ref\":"
                    "\"ghcr.io/wasmcloud/burst/comp-%d:0.1.0\",\"annotations\":"
                    "{\"wasmcloud.dev/appspec\":\"burst-app\",\"wasmcloud.dev/"
                    "managed-by\":\"wadm\",\"wasmcloud.dev/scaler\":\"%064d\","
                    "\"wasmcloud.dev/spread_name\":\"default\"},\"revision\":0,"
                    "\"max_instances\":1}", i ? "," : "", i, i, i);
    char *data = xasprintf("{\"components\":[%s],\"providers\":[],"
                           "\"friendly_name\":\"burst\",\"labels\":{},"
                           "\"version\":\"1.8.0\",\"uptime_human\":\"1s\","
                           "\"uptime_seconds\":1}", buf_str(&comps));
    buf_destroy(&comps);
    char *ev = test_event_wrap("com.wasmcloud.lattice.host_heartbeat",
                               "NBURSTHOST", data);
    free(data);
    /* the first one makes the lattice known: its reconciler starts */
    lt_publish(&t, "wasmbus.evt.ltheap.host_heartbeat", ev, strlen(ev));
    lt_expect_rec(&t, "ltheap", 15000);
    ck_assert_int_ge(lt_wait_num(&t, LT_INGEST, "events_applied_total", 1,
                                 10000),
                     1);
    long applied0 = lt_dump_num(&t, LT_INGEST, "events_applied_total");
    long rss0 = lt_dump_num(&t, LT_INGEST, "rss_kb");
    long rec_pid = lt_dump_num(&t, t.rec, "pid");
    ck_assert_int_gt(rss0, 0);
    ck_assert_int_gt(rec_pid, 0);
    ck_assert_int_eq(kill((pid_t)rec_pid, SIGSTOP), 0);
    for (int i = 0; i < n; i++)
        lt_publish(&t, "wasmbus.evt.ltheap.host_heartbeat", ev, strlen(ev));
    free(ev);
    ck_assert_int_eq(natsConnection_FlushTimeout(t.hs.nc, 5000), NATS_OK);
    long held = lt_wait_num(&t, LT_INGEST, "events_in_flight", n, 20000);
    long rss_peak = lt_dump_num(&t, LT_INGEST, "rss_kb");
    ck_assert_int_eq(kill((pid_t)rec_pid, SIGCONT), 0);
    ck_assert_msg(held >= n, "ingest holds %ld of %d events", held, n);
    /* the burst did grow ingest (2,500 events of 7 KB are 17 MB) */
    ck_assert_msg(rss_peak > rss0 + 16 * 1024,
                  "ingest RSS %ld kB before, %ld kB holding the burst", rss0,
                  rss_peak);
    long applied = lt_wait_num(&t, LT_INGEST, "events_applied_total",
                               applied0 + n, 30000);
    ck_assert_int_ge(applied, applied0 + n);
    /* a worker keeps at most 8 MiB of free heap for reuse (wk.c) */
    long rss_given_back = rss0 + 10 * 1024;
    uint64_t deadline = test_now_ms() + 20000;
    long rss;
    while ((rss = lt_dump_num(&t, LT_INGEST, "rss_kb")) > rss_given_back &&
           test_now_ms() < deadline)
        test_pause_ms(200);
    ck_assert_msg(rss <= rss_given_back,
                  "ingest RSS %ld kB before the burst, %ld kB holding it, "
                  "still %ld kB 20 s after (heap_free_kb %ld, "
                  "heap_trims_total %ld)",
                  rss0, rss_peak, rss,
                  lt_dump_num(&t, LT_INGEST, "heap_free_kb"),
                  lt_dump_num(&t, LT_INGEST, "heap_trims_total"));
    lt_end(&t);
}
END_TEST

/* ---- statuses ------------------------------------------------------------ */

#define LT_STAT_APP                                                          \
    "apiVersion: core.oam.dev/v1beta1\n"                                     \
    "kind: Application\n"                                                    \
    "metadata:\n"                                                            \
    "  name: lt-stat\n"                                                      \
    "  annotations: {version: v1}\n"                                         \
    "spec:\n"                                                                \
    "  components:\n"                                                        \
    "    - name: hello\n"                                                    \
    "      type: component\n"                                                \
    "      properties: {image: ghcr.io/example/hello:0.1.0}\n"                \
    "      traits:\n"                                                        \
    "        - type: spreadscaler\n"                                         \
    "          properties: {instances: 1}\n"

/* Polls model.status of lt-stat until its type is want. */
static bool
lt_stat_is(lt_t *t, const char *want, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    for (;;) {
        cJSON *r = lt_api(t, "ltstat", "model.status.lt-stat", "");
        bool is_it = strcmp(lt_str(lt_get(lt_get(r, "status"), "status"),
                                   "type"),
                            want) == 0;
        cJSON_Delete(r);
        if (is_it)
            return true;
        if (test_now_ms() >= deadline)
            return false;
        test_pause_ms(50);
    }
}

/*
 * Another wadm instance, owner for a while, left a different status for
 * an application in the status stream. When this instance's reconciler
 * publishes the application's status again (here: restarted after kill
 * -9, with the same dispatch), it must land in the stream. Dispatch used
 * to skip it as equal to the last status *it* had queued, which was no
 * longer the last in the stream (found by make chaos: apps showed
 * "reconciling" for good after failovers).
 */
START_TEST(test_lattice_status_written_elsewhere_is_corrected)
{
    lt_t t;
    const char *hs_args[] = {"--hosts", "1", NULL};
    if (!lt_begin(&t, "ltstat", 1, hs_args, NULL, false))
        return;
    cJSON *r = lt_api(&t, "ltstat", "model.put", LT_STAT_APP);
    ck_assert_msg(strcmp(lt_str(r, "result"), "created") == 0,
                  "model.put: %s", lt_str(r, "message"));
    cJSON_Delete(r);
    r = lt_api(&t, "ltstat", "model.deploy.lt-stat", "");
    ck_assert_msg(strcmp(lt_str(r, "result"), "acknowledged") == 0,
                  "model.deploy: %s", lt_str(r, "message"));
    cJSON_Delete(r);
    ck_assert_msg(lt_stat_is(&t, "deployed", 10000), "never deployed");
    const char *other = "{\"status\":{\"type\":\"reconciling\",\"message\":"
                        "\"from another instance\"},\"version\":\"\","
                        "\"components\":[]}";
    ck_assert_int_eq(js_Publish(NULL, t.js, "wadm.status.ltstat.lt-stat",
                                other, (int)strlen(other), NULL, NULL),
                     NATS_OK);
    ck_assert(lt_stat_is(&t, "reconciling", 2000));
    long pid = lt_dump_num(&t, t.rec, "pid");
    ck_assert_msg(pid > 1, "no pid for %s", t.rec);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert_int_ge(lt_wait_num(&t, t.rec, "restarts_total", 1, 5000), 1);
    ck_assert_msg(lt_stat_is(&t, "deployed", 10000),
                  "the status left by another instance stayed (log %s)",
                  t.wadm.log_path);
    lt_end(&t);
}
END_TEST

Suite *
lattice_suite(void)
{
    Suite *s = suite_create("lattice");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lattice_state_follows_starts_scales_and_stops);
    tcase_add_test(tc, test_lattice_silent_death_is_reaped);
    tcase_add_test(tc, test_lattice_reaped_host_is_replaced_at_once);
    suite_add_tcase(s, tc);
    tc = tcase_create("events");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_lattice_fixture_events_apply_and_malformed_are_counted);
    suite_add_tcase(s, tc);
    tc = tcase_create("crashes");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_lattice_ingest_kill9_loses_no_event);
    tcase_add_test(tc, test_lattice_reconciler_kill9_loses_no_event);
    suite_add_tcase(s, tc);
    tc = tcase_create("start");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lattice_inventory_within_a_second_of_start);
    tcase_add_test(tc, test_lattice_discovery);
    suite_add_tcase(s, tc);
    tc = tcase_create("memory");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_lattice_burst_memory_is_given_back);
    suite_add_tcase(s, tc);
    tc = tcase_create("status");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lattice_status_written_elsewhere_is_corrected);
    suite_add_tcase(s, tc);
    return s;
}
