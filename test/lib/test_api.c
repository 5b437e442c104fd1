/*
 * test_api.c - wadm API test helpers (see test_api.h).
 */
#include "test/lib/test_api.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/lib/test_util.h"

static test_api_t *test_api_current;

/* exit() from a failed assertion: stop what the test started. */
static void
test_api_at_exit(void)
{
    test_api_t *t = test_api_current;
    if (t == NULL)
        return;
    test_api_current = NULL;
    if (t->wadm.proc.pid > 0)
        test_wadm_stop(&t->wadm, 3000);
    if (t->wadm2.proc.pid > 0)
        test_wadm_stop(&t->wadm2, 3000);
    test_nats_destroy(&t->nats);
}

int
test_api_start(test_api_t *t, char *const extra[])
{
    memset(t, 0, sizeof(*t));
    snprintf(t->lattice, sizeof(t->lattice), "default");
    snprintf(t->prefix, sizeof(t->prefix), "wadm.api");
    if (!test_nats_available()) {
        test_skip("API tests: nats-server is not installed");
        return 1;
    }
    if (test_wadm_bin() == NULL) {
        test_skip("API tests: wadm binary not built (set WADM_BIN)");
        return 1;
    }
    static bool is_hooked;
    if (!is_hooked) {
        atexit(test_api_at_exit);
        is_hooked = true;
    }
    test_api_current = t;
    ck_assert_int_eq(test_nats_start(&t->nats, NULL), 0);
    ck_assert_msg(test_wadm_start(&t->wadm, t->nats.url, extra) == 0,
                  "wadm did not start; log in %s", t->wadm.log_path);
    t->nc = test_nc_connect(t->nats.url);
    ck_assert_ptr_nonnull(t->nc);
    ck_assert_int_eq(natsConnection_JetStream(&t->js, t->nc, NULL), NATS_OK);
    return 0;
}

void
test_api_start_second(test_api_t *t)
{
    ck_assert_msg(test_wadm_start(&t->wadm2, t->nats.url, NULL) == 0,
                  "second wadm did not start; log in %s", t->wadm2.log_path);
}

void
test_api_stop(test_api_t *t)
{
    kvStore_Destroy(t->kv);
    t->kv = NULL;
    jsCtx_Destroy(t->js);
    t->js = NULL;
    natsConnection_Destroy(t->nc);
    t->nc = NULL;
    test_wadm_cleanup(&t->wadm);
    if (t->wadm2.run_dir[0] != '\0')
        test_wadm_cleanup(&t->wadm2);
    test_nats_destroy(&t->nats);
    test_api_current = NULL;
}

char *
test_api_request(test_api_t *t, const char *subject, const void *body,
                 size_t len, const char *hname, const char *hval,
                 unsigned timeout_ms, natsStatus *st)
{
    natsMsg *req = NULL;
    natsMsg *rep = NULL;
    natsStatus s = natsMsg_Create(&req, subject, NULL, body, (int)len);
    if (s == NATS_OK && hname != NULL)
        s = natsMsgHeader_Set(req, hname, hval);
    if (s == NATS_OK)
        s = natsConnection_RequestMsg(&rep, t->nc, req, timeout_ms);
    natsMsg_Destroy(req);
    if (st)
        *st = s;
    if (s != NATS_OK)
        return NULL;
    char *out = strndup(natsMsg_GetData(rep),
                        (size_t)natsMsg_GetDataLength(rep));
    natsMsg_Destroy(rep);
    return out;
}

static cJSON *
test_api_call_h(test_api_t *t, const char *op, const char *body,
                size_t len, const char *hname, const char *hval)
{
    char subject[1024];
    snprintf(subject, sizeof(subject), "%s.%s.%s", t->prefix, t->lattice,
             op);
    natsStatus s;
    char *text = test_api_request(t, subject, body ? body : "", len, hname,
                                  hval, TEST_API_WAIT_MS, &s);
    ck_assert_msg(text != NULL, "no reply on %s: %s", subject,
                  natsStatus_GetText(s));
    cJSON *o = cJSON_Parse(text);
    ck_assert_msg(o != NULL, "reply on %s is not JSON: %.300s", subject,
                  text);
    free(text);
    return o;
}

cJSON *
test_api_call(test_api_t *t, const char *op, const char *body)
{
    return test_api_call_h(t, op, body, body ? strlen(body) : 0, NULL, NULL);
}

void
test_api_expect(test_api_t *t, const char *op, const char *body,
                const char *want)
{
    cJSON *r = test_api_call(t, op, body);
    test_json_expect(r, want);
    cJSON_Delete(r);
}

void
test_api_expect_each(test_api_t *t, const char *op,
                     const char *const *bodies, const char *want)
{
    for (int i = 0; bodies[i]; i++)
        test_api_expect(t, op, bodies[i], want);
}

const char *
test_api_vbody(const char *version)
{
    static char b[256];
    snprintf(b, sizeof(b), "{\"version\":\"%s\"}", version);
    return b;
}

void
test_api_put_ok(test_api_t *t, const char *name, const char *version,
                const char *description)
{
    char *m = test_api_manifest(name, version, description);
    cJSON *r = test_api_put(t, m, NULL);
    const char *res = test_json_str(r, "result");
    ck_assert_msg(strcmp(res, "created") == 0 ||
                      strcmp(res, "newversion") == 0,
                  "put %s %s: %s", name, version ? version : "(none)",
                  test_json_str(r, "message"));
    cJSON_Delete(r);
    free(m);
}

cJSON *
test_api_put(test_api_t *t, const char *body, const char *ctype)
{
    return test_api_call_h(t, "model.put", body, strlen(body),
                           ctype ? "Content-Type" : NULL, ctype);
}

cJSON *
test_api_put_file(test_api_t *t, const char *path, const char *ctype)
{
    size_t len = 0;
    char *data = test_read_file(path, &len);
    ck_assert_msg(data != NULL, "cannot read %s", path);
    cJSON *o = test_api_call_h(t, "model.put", data, len,
                               ctype ? "Content-Type" : NULL, ctype);
    free(data);
    return o;
}

/* ---- JSON comparison ------------------------------------------------- */

bool
test_is_ulid(const char *s)
{
    static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (s == NULL || strlen(s) != 26)
        return false;
    for (const char *p = s; *p; p++)
        if (strchr(crockford, *p) == NULL)
            return false;
    return s[0] <= '7'; /* 48-bit time: the first character is 0-7 */
}

static bool
test_is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL)
            return false;
    }
    return s[14] == '4';
}

static bool
test_is_time(const char *s)
{
    /* 2024-03-05T00:14:53[.frac]Z */
    if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
        s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    return s[strlen(s) - 1] == 'Z';
}

static bool
test_json_fail(char *why, size_t cap, const char *path, const char *what)
{
    snprintf(why, cap, "at %s: %s", path[0] ? path : "(root)", what);
    return false;
}

static bool
test_json_match_at(const cJSON *got, const cJSON *want, char *path,
                   char *why, size_t cap)
{
    if (cJSON_IsString(want)) {
        const char *w = want->valuestring;
        if (strcmp(w, "<any>") == 0)
            return got != NULL ? true
                               : test_json_fail(why, cap, path, "missing");
        const char *g = cJSON_IsString(got) ? got->valuestring : NULL;
        bool ok;
        if (strcmp(w, "<str>") == 0)
            ok = g != NULL;
        else if (strcmp(w, "<ulid>") == 0)
            ok = test_is_ulid(g);
        else if (strcmp(w, "<uuid>") == 0)
            ok = test_is_uuid(g);
        else if (strcmp(w, "<time>") == 0)
            ok = test_is_time(g);
        else if (strncmp(w, "<prefix>", 8) == 0)
            ok = g && strncmp(g, w + 8, strlen(w + 8)) == 0;
        else
            ok = g && strcmp(g, w) == 0;
        if (!ok) {
            char msg[600];
            snprintf(msg, sizeof(msg), "want %.250s, got %.250s", w,
                     g ? g : "a non-string");
            return test_json_fail(why, cap, path, msg);
        }
        return true;
    }
    if (got == NULL)
        return test_json_fail(why, cap, path, "missing");
    if ((want->type & 0xff) != (got->type & 0xff))
        return test_json_fail(why, cap, path, "different type");
    size_t plen = strlen(path);
    if (cJSON_IsObject(want)) {
        const cJSON *g = got->child;
        for (const cJSON *w = want->child; w; w = w->next) {
            snprintf(path + plen, 512 - plen, ".%s", w->string);
            if (g == NULL || strcmp(g->string, w->string) != 0) {
                char msg[300];
                snprintf(msg, sizeof(msg), "member expected here, found %s",
                         g ? g->string : "the end of the object");
                return test_json_fail(why, cap, path, msg);
            }
            if (!test_json_match_at(g, w, path, why, cap))
                return false;
            g = g->next;
        }
        path[plen] = '\0';
        if (g != NULL) {
            char msg[300];
            snprintf(msg, sizeof(msg), "unexpected member %s", g->string);
            return test_json_fail(why, cap, path, msg);
        }
        return true;
    }
    if (cJSON_IsArray(want)) {
        if (cJSON_GetArraySize(want) != cJSON_GetArraySize(got))
            return test_json_fail(why, cap, path, "different array length");
        const cJSON *g = got->child;
        int i = 0;
        for (const cJSON *w = want->child; w; w = w->next, g = g->next) {
            snprintf(path + plen, 512 - plen, "[%d]", i++);
            if (!test_json_match_at(g, w, path, why, cap))
                return false;
        }
        path[plen] = '\0';
        return true;
    }
    if (cJSON_IsNumber(want) && want->valuedouble != got->valuedouble)
        return test_json_fail(why, cap, path, "different number");
    return true; /* true, false, null: the type says it all */
}

bool
test_json_match(const cJSON *got, const cJSON *want, char *why, size_t cap)
{
    char path[512] = "";
    return test_json_match_at(got, want, path, why, cap);
}

void
test_json_expect(const cJSON *got, const char *want)
{
    cJSON *w = cJSON_Parse(want);
    ck_assert_msg(w != NULL, "bad expected JSON: %s", want);
    char why[1024];
    bool ok = test_json_match(got, w, why, sizeof(why));
    cJSON_Delete(w);
    if (!ok) {
        char *g = got ? cJSON_PrintUnformatted(got) : NULL;
        ck_abort_msg("reply differs %s\n  got:  %.1500s\n  want: %.1500s",
                     why, g ? g : "(nothing)", want);
    }
}

const char *
test_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- the manifest bucket --------------------------------------------- */

static kvStore *
test_api_kv(test_api_t *t)
{
    /* wadm creates the bucket once it is connected: wait for it */
    uint64_t deadline = test_now_ms() + 10000;
    while (t->kv == NULL &&
           js_KeyValue(&t->kv, t->js, "wadm_manifests") != NATS_OK &&
           test_now_ms() < deadline)
        test_pause_ms(20);
    ck_assert_msg(t->kv != NULL, "bucket wadm_manifests never appeared");
    return t->kv;
}

char *
test_kv_get(test_api_t *t, const char *key)
{
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, test_api_kv(t), key);
    if (s == NATS_NOT_FOUND)
        return NULL;
    ck_assert_msg(s == NATS_OK, "reading %s: %s", key, natsStatus_GetText(s));
    char *v = strndup(kvEntry_Value(e) ? kvEntry_Value(e) : "",
                      (size_t)kvEntry_ValueLen(e));
    kvEntry_Destroy(e);
    return v;
}

void
test_kv_put(test_api_t *t, const char *key, const char *value)
{
    uint64_t rev = 0;
    natsStatus s = kvStore_PutString(&rev, test_api_kv(t), key, value);
    ck_assert_msg(s == NATS_OK, "writing %s: %s", key, natsStatus_GetText(s));
}

/* ---- events ---------------------------------------------------------- */

natsSubscription *
test_api_events(test_api_t *t)
{
    char subject[256];
    snprintf(subject, sizeof(subject), "wadm.evt.%s.>", t->lattice);
    natsSubscription *sub = NULL;
    ck_assert_int_eq(natsConnection_SubscribeSync(&sub, t->nc, subject),
                     NATS_OK);
    ck_assert_int_eq(natsConnection_Flush(t->nc), NATS_OK);
    return sub;
}

cJSON *
test_api_next_event(natsSubscription *sub, unsigned timeout_ms)
{
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, sub, timeout_ms) != NATS_OK)
        return NULL;
    cJSON *o = cJSON_ParseWithLength(natsMsg_GetData(m),
                                     (size_t)natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return o;
}

void
test_api_expect_no_event(test_api_t *t, natsSubscription *sub)
{
    cJSON *r = test_api_call(t, "model.del.zz-no-event-marker", NULL);
    ck_assert_str_eq(test_json_str(r, "result"), "noop");
    cJSON_Delete(r);
    cJSON *ev = test_api_next_event(sub, TEST_API_WAIT_MS);
    ck_assert_msg(ev != NULL, "no event at all (marker expected)");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
    char *text = cJSON_PrintUnformatted(ev);
    ck_assert_msg(strcmp(test_json_str(data, "name"),
                         "zz-no-event-marker") == 0,
                  "unexpected event before the marker: %.500s", text);
    free(text);
    cJSON_Delete(ev);
}

/* ---- the status dump ------------------------------------------------- */

long
test_api_rec_pid(test_api_t *t)
{
    char section[128], state[32];
    snprintf(section, sizeof(section), "worker rec.%s", t->lattice);
    char *d = test_wadm_dump(&t->wadm);
    if (d == NULL)
        return -1;
    long pid = test_dump_num(d, section, "pid");
    bool running = test_dump_get(d, section, "state", state,
                                 sizeof(state)) &&
                   strcmp(state, "running") == 0;
    free(d);
    return running ? pid : -1;
}

long
test_api_restarts(test_api_t *t)
{
    char *d = test_wadm_dump(&t->wadm);
    if (d == NULL)
        return -1;
    long total = 0;
    for (const char *p = strstr(d, "\nrestarts_total:"); p;
         p = strstr(p + 1, "\nrestarts_total:"))
        total += strtol(p + 16, NULL, 10);
    free(d);
    return total;
}

/* ---- manifests ------------------------------------------------------- */

char *
test_api_manifest(const char *name, const char *version,
                  const char *description)
{
    char *ann = NULL;
    if (asprintf(&ann, "%s%s%s%s%s%s",
                 description ? "    description: \"" : "",
                 description ? description : "", description ? "\"\n" : "",
                 version ? "    version: \"" : "", version ? version : "",
                 version ? "\"\n" : "") < 0)
        abort();
    char *out = NULL;
    int n = asprintf(&out,
                     "apiVersion: core.oam.dev/v1beta1\n"
                     "kind: Application\n"
                     "metadata:\n"
                     "  name: %s\n"
                     "  annotations:%s\n%s"
                     "spec:\n"
                     "  components:\n"
                     "    - name: echo\n"
                     "      type: component\n"
                     "      properties:\n"
                     "        image: " TEST_API_IMAGE "\n"
                     "      traits:\n"
                     "        - type: spreadscaler\n"
                     "          properties:\n"
                     "            instances: 1\n",
                     name, ann[0] ? "" : " {}", ann);
    if (n < 0)
        abort(); /* no Check here: the bench uses it too */
    free(ann);
    return out;
}

char *
test_api_stored(const char *name, const char *version,
                const char *description)
{
    char ann[512] = "";
    if (description)
        snprintf(ann, sizeof(ann), "\"description\":\"%s\"", description);
    if (version)
        snprintf(ann + strlen(ann), sizeof(ann) - strlen(ann),
                 "%s\"version\":\"%s\"", description ? "," : "", version);
    char *out = NULL;
    int n = asprintf(&out,
                     "{\"apiVersion\":\"core.oam.dev/v1beta1\","
                     "\"kind\":\"Application\","
                     "\"metadata\":{\"name\":\"%s\",\"annotations\":{%s}},"
                     "\"spec\":{\"components\":[{\"name\":\"echo\","
                     "\"type\":\"component\",\"properties\":{\"image\":\""
                     TEST_API_IMAGE "\"},\"traits\":[{\"type\":"
                     "\"spreadscaler\",\"properties\":{\"instances\":1}}]}]}}",
                     name, ann);
    if (n < 0)
        abort();
    return out;
}
