/*
 * test_hostsim.c - start hostsim against a private nats-server and talk to
 * it like wadm. Used by the integration suites; runs in the forked test.
 */
#include "test/lib/test_hostsim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/lib/test_util.h"

/*
 * The instance of this (forked) test process. A failed ck_assert exits the
 * test child without running teardown; this atexit hook then stops
 * hostsim and nats-server so that no orphan outlives the test.
 */
static test_hs_t *test_hs_current;

static void
test_hs_at_exit(void)
{
    if (test_hs_current != NULL)
        test_hs_destroy(test_hs_current);
}

static char *
test_hs_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    memcpy(d, s, n);
    return d;
}

/* Builds hostsim's argv: wrapper words, binary, base flags, args. */
static char **
test_hs_argv(test_hs_t *t, const char *bin, const char *const args[])
{
    size_t cap = 64;
    size_t n = 0;
    char **argv = calloc(cap, sizeof(*argv));
    const char *wrap = getenv("HOSTSIM_WRAP");
    if (wrap != NULL && wrap[0] != '\0') {
        char *copy = test_hs_dup(wrap);
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w && n < 16;
             w = strtok_r(NULL, " ", &save))
            argv[n++] = test_hs_dup(w);
        free(copy);
    }
    argv[n++] = test_hs_dup(bin);
    argv[n++] = test_hs_dup("--nats");
    argv[n++] = test_hs_dup(t->nats.url);
    argv[n++] = test_hs_dup("--lattice");
    argv[n++] = test_hs_dup(t->lattice);
    for (size_t i = 0; args && args[i] && n < cap - 1; i++)
        argv[n++] = test_hs_dup(args[i]);
    argv[n] = NULL;
    return argv;
}

static void
test_hs_argv_free(char **argv)
{
    for (size_t i = 0; argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

/* The wrapper must be found on PATH; test_proc_start() wants a path. */
static void
test_hs_resolve(char **argv)
{
    if (strchr(argv[0], '/') != NULL)
        return;
    const char *dirs[] = {"/usr/bin/", "/usr/local/bin/", "/bin/"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s%s", dirs[i], argv[0]);
        if (access(path, X_OK) == 0) {
            free(argv[0]);
            argv[0] = test_hs_dup(path);
            return;
        }
    }
}

int
test_hs_start(test_hs_t *t, const char *lattice, int hosts,
              const char *const args[])
{
    memset(t, 0, sizeof(*t));
    t->status = -1;
    const char *bin = getenv("HOSTSIM_BIN");
    if (!test_nats_available()) {
        test_skip("hostsim: nats-server is not installed");
        return 1;
    }
    if (bin == NULL || bin[0] == '\0') {
        test_skip("hostsim: HOSTSIM_BIN is not set (run through make test)");
        return 1;
    }
    static bool is_hooked;
    if (!is_hooked && atexit(test_hs_at_exit) == 0)
        is_hooked = true;
    test_hs_current = t;
    const char *wrap = getenv("HOSTSIM_WRAP");
    t->slow_factor = wrap && wrap[0] ? 10 : 1;
    snprintf(t->lattice, sizeof(t->lattice), "%s", lattice);
    t->backlog = cJSON_CreateArray();
    if (test_nats_start(&t->nats, NULL) != 0)
        return -1;
    natsStatus s = natsConnection_ConnectTo(&t->nc, t->nats.url);
    char subj[128];
    snprintf(subj, sizeof(subj), "wasmbus.evt.%s.>", lattice);
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&t->events, t->nc, subj);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(t->events, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(t->nc, 5000);
    if (s != NATS_OK) {
        test_hs_destroy(t);
        return -1;
    }
    snprintf(t->log_path, sizeof(t->log_path), "%s/hostsim.log",
             t->nats.dir);
    char **argv = test_hs_argv(t, bin, args);
    test_hs_resolve(argv);
    int rc = test_proc_start(&t->proc, argv, NULL, t->log_path);
    test_hs_argv_free(argv);
    if (rc != 0) {
        test_hs_destroy(t);
        return -1;
    }
    for (int i = 0; i < hosts && i < TEST_HS_MAX_HOSTS; i++) {
        cJSON *ev = test_hs_event(t, "host_started", NULL, 10000);
        if (ev == NULL) {
            test_hs_destroy(t);
            return -1;
        }
        snprintf(t->ids[i], sizeof(t->ids[i]), "%s",
                 cJSON_GetObjectItem(ev, "source")->valuestring);
        t->hosts++;
        cJSON_Delete(ev);
    }
    return 0;
}

int
test_hs_wait_sim(test_hs_t *t, unsigned timeout_ms)
{
    if (t->proc.pid <= 0)
        return t->status;
    int st = test_proc_wait(&t->proc, timeout_ms * t->slow_factor);
    if (t->proc.pid <= 0)
        t->status = st;
    return t->proc.pid <= 0 ? st : -1;
}

int
test_hs_stop_sim(test_hs_t *t)
{
    if (t->proc.pid <= 0)
        return t->status;
    test_proc_signal(&t->proc, SIGTERM);
    int st = test_hs_wait_sim(t, 10000);
    if (t->proc.pid > 0) {
        test_proc_stop(&t->proc, 1000);
        return -1;
    }
    return st;
}

void
test_hs_destroy(test_hs_t *t)
{
    if (test_hs_current == t)
        test_hs_current = NULL;
    (void)test_hs_stop_sim(t);
    if (t->events != NULL)
        natsSubscription_Destroy(t->events);
    if (t->nc != NULL)
        natsConnection_Destroy(t->nc);
    t->events = NULL;
    t->nc = NULL;
    cJSON_Delete(t->backlog);
    t->backlog = NULL;
    test_nats_destroy(&t->nats);
}

static cJSON *
test_hs_request_subject(test_hs_t *t, const char *subject, const char *body,
                        unsigned timeout_ms, natsStatus *status)
{
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_RequestString(
        &reply, t->nc, subject, body ? body : "",
        (int64_t)timeout_ms * t->slow_factor);
    if (status != NULL)
        *status = s;
    if (s != NATS_OK)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(natsMsg_GetData(reply),
                                     (size_t)natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    return j;
}

cJSON *
test_hs_request(test_hs_t *t, const char *suffix, const char *body,
                unsigned timeout_ms, natsStatus *status)
{
    char subject[512];
    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.%s", t->lattice,
             suffix);
    return test_hs_request_subject(t, subject, body, timeout_ms, status);
}

cJSON *
test_hs_admin(test_hs_t *t, const char *verb, const char *body)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "hostsim.%s.%s", t->lattice, verb);
    return test_hs_request_subject(t, subject, body, 5000, NULL);
}

static bool
test_hs_event_matches(const cJSON *ev, const char *type, const char *source)
{
    const cJSON *ty = cJSON_GetObjectItem(ev, "type");
    const cJSON *src = cJSON_GetObjectItem(ev, "source");
    if (!cJSON_IsString(ty) || strcmp(ty->valuestring, type) != 0)
        return false;
    return source == NULL ||
           (cJSON_IsString(src) && strcmp(src->valuestring, source) == 0);
}

cJSON *
test_hs_event(test_hs_t *t, const char *name, const char *source,
              unsigned timeout_ms)
{
    char type[128];
    snprintf(type, sizeof(type), "com.wasmcloud.lattice.%s", name);
    for (cJSON *e = t->backlog->child; e != NULL; e = e->next) {
        if (test_hs_event_matches(e, type, source))
            return cJSON_DetachItemViaPointer(t->backlog, e);
    }
    uint64_t deadline = test_now_ms() + (uint64_t)timeout_ms * t->slow_factor;
    for (;;) {
        uint64_t now = test_now_ms();
        if (now >= deadline)
            return NULL;
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, t->events,
                                                (int64_t)(deadline - now));
        if (s != NATS_OK)
            return NULL;
        cJSON *ev = cJSON_ParseWithLength(natsMsg_GetData(m),
                                          (size_t)natsMsg_GetDataLength(m));
        natsMsg_Destroy(m);
        if (ev == NULL)
            continue;
        if (test_hs_event_matches(ev, type, source))
            return ev;
        if (cJSON_GetArraySize(t->backlog) < 10000)
            cJSON_AddItemToArray(t->backlog, ev);
        else
            cJSON_Delete(ev);
    }
}

void
test_hs_events_clear(test_hs_t *t)
{
    cJSON_Delete(t->backlog);
    t->backlog = cJSON_CreateArray();
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, t->events, 0) == NATS_OK) {
        natsMsg_Destroy(m);
        m = NULL;
    }
}

bool
test_hs_ok(const cJSON *reply)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(reply, "success"));
}

const char *
test_hs_msg(const cJSON *reply)
{
    const cJSON *m = cJSON_GetObjectItem(reply, "message");
    return cJSON_IsString(m) ? m->valuestring : "";
}

const char *
test_hs_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    if (v == NULL) {
        const cJSON *inner = cJSON_GetObjectItem(obj, "data");
        if (inner == NULL)
            inner = cJSON_GetObjectItem(obj, "response");
        v = cJSON_GetObjectItem(inner, key);
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
