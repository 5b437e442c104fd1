/*
 * chaos_check.c - build/chaos: the checks after the chaos. Every
 * application must be stored with each version this program put, be
 * deployed at the last version it deployed, report status deployed, and
 * run exactly its instances on the simulated hosts; the hosts must not
 * have started more instances than the deployments needed.
 *
 * Each failed check prints one "FAIL:" line saying what failed, on what,
 * and why (the reply or the figures seen).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/chaos/chaos.h"
#include "test/lib/test_util.h"

void
chaos_fail(chaos_report_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    r->failures++;
}

int
chaos_app_needed(const chaos_app_t *app)
{
    int needed = 0;
    int before = 0;
    for (int v = 1; v <= app->ndeployed; v++) {
        if (app->count[v - 1] > before)
            needed += app->count[v - 1] - before;
        before = app->count[v - 1];
    }
    return needed;
}

int
chaos_app_needed_commands(const chaos_app_t *app)
{
    int needed = 0;
    int before = 0;
    for (int v = 1; v <= app->ndeployed; v++) {
        if (app->count[v - 1] != before)
            needed++;
        before = app->count[v - 1];
    }
    return needed;
}

static const char *
chaos_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long
chaos_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* What the hosts of one lattice run, per application. */
typedef struct chaos_inv {
    long instances[CHAOS_APPS];
    char image[CHAOS_APPS][64];   /* the last image seen, "" if none */
    int hosts[CHAOS_APPS];        /* hosts running it */
    bool is_known;
} chaos_inv_t;

static int
chaos_app_index(const chaos_app_t *apps, const char *name)
{
    for (int i = 0; i < CHAOS_APPS; i++)
        if (strcmp(apps[i].name, name) == 0)
            return i;
    return -1;
}

static void
chaos_inventory(chaos_api_t *a, const chaos_app_t *apps, int lat,
                chaos_inv_t *inv, char *why, size_t cap)
{
    memset(inv, 0, sizeof(*inv));
    cJSON *resp = chaos_hs_admin(a, chaos_lattices[lat], "inventory", "{}",
                                 why, cap);
    if (resp == NULL)
        return;
    inv->is_known = true;
    const cJSON *host;
    cJSON_ArrayForEach(host, cJSON_GetObjectItemCaseSensitive(resp, "hosts"))
    {
        const cJSON *c;
        cJSON_ArrayForEach(c,
                           cJSON_GetObjectItemCaseSensitive(host,
                                                            "components"))
        {
            const cJSON *ann =
                cJSON_GetObjectItemCaseSensitive(c, "annotations");
            int i = chaos_app_index(apps,
                                    chaos_str(ann, "wasmcloud.dev/appspec"));
            if (i < 0)
                continue;
            inv->instances[i] += chaos_num(c, "max_instances");
            inv->hosts[i]++;
            snprintf(inv->image[i], sizeof(inv->image[i]), "%s",
                     chaos_str(c, "image_ref"));
        }
    }
    cJSON_Delete(resp);
}

/*
 * Whether app is where it must be; otherwise why says what differs.
 * One round: model.versions, model.status, and the inventory given.
 */
static bool
chaos_app_is_converged(chaos_api_t *a, const chaos_app_t *app,
                       const chaos_inv_t *inv, char *why, size_t cap)
{
    const char *lat = chaos_lattices[app->lattice];
    char op[96], err[512];
    snprintf(op, sizeof(op), "model.versions.%s", app->name);
    cJSON *j = chaos_api_request(a, lat, op, "", err, sizeof(err));
    if (j == NULL) {
        snprintf(why, cap, "model.versions got no reply (%.400s)", err);
        return false;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "versions");
    bool is_ok = strcmp(chaos_str(j, "result"), "success") == 0;
    if (!is_ok)
        snprintf(why, cap, "model.versions: result \"%s\": %s",
                 chaos_str(j, "result"), chaos_str(j, "message"));
    for (int v = 1; is_ok && v <= app->nput; v++) {
        char want[16];
        snprintf(want, sizeof(want), "v%d", v);
        const cJSON *e;
        bool is_found = false;
        bool is_deployed = false;
        cJSON_ArrayForEach(e, list)
        {
            if (strcmp(chaos_str(e, "version"), want) == 0) {
                is_found = true;
                is_deployed = cJSON_IsTrue(
                    cJSON_GetObjectItemCaseSensitive(e, "deployed"));
            }
        }
        if (!is_found) {
            snprintf(why, cap, "version %s is not stored", want);
            is_ok = false;
        } else if (is_deployed != (v == app->ndeployed)) {
            snprintf(why, cap, "version %s is %sdeployed, v%d should be",
                     want, is_deployed ? "" : "not ", app->ndeployed);
            is_ok = false;
        }
    }
    if (is_ok && cJSON_GetArraySize(list) != app->nput) {
        snprintf(why, cap, "%d versions stored, %d were put",
                 cJSON_GetArraySize(list), app->nput);
        is_ok = false;
    }
    cJSON_Delete(j);
    if (!is_ok)
        return false;
    snprintf(op, sizeof(op), "model.status.%s", app->name);
    j = chaos_api_request(a, lat, op, "", err, sizeof(err));
    if (j == NULL) {
        snprintf(why, cap, "model.status got no reply (%.400s)", err);
        return false;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "status"), "status");
    char status[256];
    snprintf(status, sizeof(status), "status %s%s%.200s%s",
             chaos_str(st, "type"), chaos_str(st, "message")[0] ? " (" : "",
             chaos_str(st, "message"),
             chaos_str(st, "message")[0] ? ")" : "");
    is_ok = strcmp(chaos_str(st, "type"), "deployed") == 0;
    cJSON_Delete(j);
    int i = app->k; /* apps[k] is app<k> */
    long want = app->count[app->ndeployed - 1];
    char image[64];
    snprintf(image, sizeof(image), "ghcr.io/chaos/app%d:0.1.0", app->k);
    if (!inv->is_known) {
        snprintf(why, cap, "%s; the hosts' inventory is unknown", status);
        return false;
    }
    if (inv->instances[i] != want || !is_ok) {
        snprintf(why, cap, "%s; the hosts run %ld instance(s) on %d host(s), "
                 "v%d wants %ld", status, inv->instances[i], inv->hosts[i],
                 app->ndeployed, want);
        return false;
    }
    if (strcmp(inv->image[i], image) != 0) {
        snprintf(why, cap, "the hosts run image \"%s\", not \"%s\"",
                 inv->image[i], image);
        return false;
    }
    return true;
}

/* Each stored version, read back: its instance count is the one put. */
static void
chaos_check_manifests(chaos_api_t *a, const chaos_app_t *apps,
                      chaos_report_t *r)
{
    for (int i = 0; i < CHAOS_APPS; i++) {
        const chaos_app_t *app = &apps[i];
        for (int v = 1; v <= app->nput; v++) {
            char op[96], body[64], err[512];
            snprintf(op, sizeof(op), "model.get.%s", app->name);
            snprintf(body, sizeof(body), "{\"version\":\"v%d\"}", v);
            cJSON *j = chaos_api_request(a, chaos_lattices[app->lattice], op,
                                         body, err, sizeof(err));
            if (j == NULL) {
                chaos_fail(r, "%s/%s v%d: model.get got no reply (%s)",
                           chaos_lattices[app->lattice], app->name, v, err);
                continue;
            }
            const cJSON *c = cJSON_GetArrayItem(
                cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(j, "manifest"),
                        "spec"),
                    "components"),
                0);
            const cJSON *t = cJSON_GetArrayItem(
                cJSON_GetObjectItemCaseSensitive(c, "traits"), 0);
            long n = chaos_num(
                cJSON_GetObjectItemCaseSensitive(t, "properties"),
                "instances");
            if (strcmp(chaos_str(j, "result"), "success") != 0)
                chaos_fail(r, "%s/%s v%d: model.get: result \"%s\": %s",
                           chaos_lattices[app->lattice], app->name, v,
                           chaos_str(j, "result"), chaos_str(j, "message"));
            else if (n != app->count[v - 1])
                chaos_fail(r, "%s/%s v%d: stored with %ld instances, put "
                           "with %d", chaos_lattices[app->lattice],
                           app->name, v, n, app->count[v - 1]);
            cJSON_Delete(j);
        }
    }
}

void
chaos_check_converge(chaos_api_t *a, const chaos_app_t *apps,
                     unsigned timeout_ms, void (*poll)(void *), void *arg,
                     chaos_report_t *r)
{
    static char why[CHAOS_APPS][512];
    uint64_t t0 = test_now_ms();
    uint64_t deadline = t0 + timeout_ms;
    int pending = CHAOS_APPS;
    int rounds = 0;
    for (int i = 0; i < CHAOS_APPS; i++)
        if (apps[i].error[0] != '\0')
            chaos_fail(r, "%s/%s: %s", chaos_lattices[apps[i].lattice],
                       apps[i].name, apps[i].error);
    while (!chaos_is_interrupted) {
        chaos_inv_t inv[CHAOS_LATTICES];
        char err[512];
        for (int l = 0; l < CHAOS_LATTICES; l++) {
            chaos_inventory(a, apps, l, &inv[l], err, sizeof(err));
            if (!inv[l].is_known)
                chaos_say("inventory of %s: %s", chaos_lattices[l], err);
        }
        pending = 0;
        for (int i = 0; i < CHAOS_APPS; i++) {
            if (apps[i].ndeployed == 0) {
                snprintf(why[i], sizeof(why[i]), "never deployed");
                pending++;
                continue;
            }
            why[i][0] = '\0';
            if (!chaos_app_is_converged(a, &apps[i], &inv[apps[i].lattice],
                                        why[i], sizeof(why[i])))
                pending++;
        }
        rounds++;
        if (pending == 0 || test_now_ms() >= deadline)
            break;
        int first = 0;
        while (first < CHAOS_APPS - 1 && why[first][0] == '\0')
            first++;
        if (rounds % 4 == 1)
            chaos_say("converging: %d of %d apps not there yet (%s: %s)",
                      pending, CHAOS_APPS, apps[first].name, why[first]);
        if (poll != NULL)
            poll(arg);
        test_pause_ms(250);
    }
    if (pending == 0) {
        r->converge_ms = test_now_ms() - t0;
        if (r->converge_ms == 0)
            r->converge_ms = 1;
    } else {
        for (int i = 0; i < CHAOS_APPS; i++)
            if (why[i][0] != '\0')
                chaos_fail(r, "%s/%s not converged within %u ms: %s",
                           chaos_lattices[apps[i].lattice], apps[i].name,
                           timeout_ms, why[i]);
    }
    chaos_check_manifests(a, apps, r);
}

/*
 * Which applications of lattice l got more starts than they needed:
 * replays the hosts' record of component.scale requests (the count asked
 * of each host for each component) and prints each such application
 * with its requests, oldest first.
 */
static void
chaos_explain_starts(chaos_api_t *a, const chaos_app_t *apps, int l)
{
    char why[512];
    cJSON *resp = chaos_hs_admin(a, chaos_lattices[l], "commands",
                                 "{\"kind\":\"component.scale\"}", why,
                                 sizeof(why));
    if (resp == NULL) {
        printf("  (the hosts' command record is unavailable: %s)\n", why);
        return;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(resp, "commands");
    cJSON *count_at = cJSON_CreateObject(); /* "host/component" -> count */
    long started[CHAOS_APPS] = {0};
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        cJSON *body = cJSON_Parse(chaos_str(c, "body"));
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(body,
                                                            "annotations");
        int i = chaos_app_index(apps, chaos_str(ann, "wasmcloud.dev/appspec"));
        char key[256];
        snprintf(key, sizeof(key), "%.64s/%.128s", chaos_str(c, "host"),
                 chaos_str(body, "component_id"));
        long now = chaos_num(body, "count");
        long before = chaos_num(count_at, key);
        if (cJSON_GetObjectItemCaseSensitive(count_at, key) == NULL)
            cJSON_AddNumberToObject(count_at, key, (double)now);
        else
            cJSON_SetNumberValue(
                cJSON_GetObjectItemCaseSensitive(count_at, key), (double)now);
        if (i >= 0 && now > before)
            started[i] += now - before;
        cJSON_Delete(body);
    }
    for (int i = 0; i < CHAOS_APPS; i++) {
        if (apps[i].lattice != l || started[i] <= chaos_app_needed(&apps[i]))
            continue;
        printf("  %s: %ld instance(s) started, %d needed (versions:",
               apps[i].name, started[i], chaos_app_needed(&apps[i]));
        for (int v = 1; v <= apps[i].ndeployed; v++)
            printf(" v%d=%d", v, apps[i].count[v - 1]);
        printf("); its component.scale requests:\n");
        cJSON_ArrayForEach(c, list)
        {
            cJSON *body = cJSON_Parse(chaos_str(c, "body"));
            const cJSON *ann =
                cJSON_GetObjectItemCaseSensitive(body, "annotations");
            if (strcmp(chaos_str(ann, "wasmcloud.dev/appspec"),
                       apps[i].name) == 0)
                printf("    %s host %.8s count %ld\n", chaos_str(c, "time"),
                       chaos_str(c, "host"), chaos_num(body, "count"));
            cJSON_Delete(body);
        }
    }
    fflush(stdout);
    cJSON_Delete(count_at);
    cJSON_Delete(resp);
}

void
chaos_check_commands(chaos_api_t *a, const chaos_app_t *apps,
                     chaos_report_t *r)
{
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        r->needed[l] = 0;
        r->needed_commands[l] = 0;
        for (int i = 0; i < CHAOS_APPS; i++) {
            if (apps[i].lattice != l)
                continue;
            r->needed[l] += chaos_app_needed(&apps[i]);
            r->needed_commands[l] += chaos_app_needed_commands(&apps[i]);
        }
        char why[512];
        cJSON *resp = chaos_hs_admin(a, chaos_lattices[l], "commands",
                                     "{\"list\":false}", why, sizeof(why));
        if (resp == NULL) {
            chaos_fail(r, "%s: hostsim commands counters unavailable: %s",
                       chaos_lattices[l], why);
            continue;
        }
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(resp, "by_kind");
        r->requests[l] = chaos_num(resp, "total");
        r->scales[l] = chaos_num(k, "component.scale");
        r->scale_up[l] = chaos_num(k, "component.scale:up");
        r->scale_down[l] = chaos_num(k, "component.scale:down");
        r->scale_noop[l] = chaos_num(k, "component.scale:noop");
        r->scale_failed[l] = chaos_num(k, "component.scale:failed");
        r->started[l] = chaos_num(k, "component.instances:started");
        cJSON_Delete(resp);
        if (r->started[l] > r->needed[l]) {
            chaos_fail(r, "%s: the hosts started %ld instances, the "
                       "deployments needed %ld: work was done twice",
                       chaos_lattices[l], r->started[l], r->needed[l]);
            chaos_explain_starts(a, apps, l);
        }
    }
}
