/*
 * jsx.c - creating or reusing wadm's JetStream buckets and streams.
 *
 * Runs on a worker's job thread (every call blocks). Creation is "get,
 * else add": JetStream answers an add of an identical configuration with
 * success, so two processes doing this at once both succeed.
 */
#include "common/jsx.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/nc.h"
#include "common/xalloc.h"

static jsStorageType
jsx_storage(const cfg_t *cfg)
{
    return cfg->stream_persistence &&
                   strcmp(cfg->stream_persistence, "memory") == 0
               ? js_MemoryStorage
               : js_FileStorage;
}

int
jsx_kv_open(jsCtx *js, const cfg_t *cfg, const char *name, int64_t max_bytes,
            kvStore **kv, char *err, size_t cap)
{
    natsStatus s = js_KeyValue(kv, js, name);
    if (s == NATS_OK)
        return 0;
    if (s != NATS_NOT_FOUND) {
        snprintf(err, cap, "opening KV bucket \"%s\": %s (%s)", name,
                 natsStatus_GetText(s), nc_last_error());
        return ERR_NATS;
    }
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.Replicas = (int)cfg->replicas;
    kc.StorageType = jsx_storage(cfg);
    kc.MaxBytes = max_bytes;
    s = js_CreateKeyValue(kv, js, &kc);
    if (s != NATS_OK) {
        char why[160];
        snprintf(why, sizeof(why), "%s", nc_last_error());
        /* another process may have created it meanwhile */
        if (js_KeyValue(kv, js, name) == NATS_OK)
            return 0;
        snprintf(err, cap, "creating KV bucket \"%s\": %s (%s)", name,
                 natsStatus_GetText(s), why);
        return ERR_NATS;
    }
    log_msg(LL_INFO, "created KV bucket \"%s\"", name);
    return 0;
}

natsStatus
jsx_kv_get(jsCtx *js, kvStore *kv, const char *key, char **value,
           size_t *len, uint64_t *revision)
{
    *value = NULL;
    *len = 0;
    *revision = 0;
    char stream[256], subject[1024];
    snprintf(stream, sizeof(stream), "KV_%s", kvStore_Bucket(kv));
    snprintf(subject, sizeof(subject), "$KV.%s.%s", kvStore_Bucket(kv), key);
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetLastMsg(&m, js, stream, subject, NULL, &jerr);
    if (s != NATS_OK)
        return s;
    const char *op = NULL;
    if (natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op != NULL &&
        (strcmp(op, "DEL") == 0 || strcmp(op, "PURGE") == 0)) {
        natsMsg_Destroy(m);
        return NATS_NOT_FOUND;
    }
    int n = natsMsg_GetDataLength(m);
    *len = n > 0 ? (size_t)n : 0;
    *value = xstrndup(natsMsg_GetData(m) ? natsMsg_GetData(m) : "", *len);
    *revision = natsMsg_GetSequence(m);
    natsMsg_Destroy(m);
    return NATS_OK;
}

/* ---- many keys at once ---------------------------------------------------- */

/* JetStream's "no message found" (STREAM.MSG.GET of a subject never
   written); other 404s, such as a missing stream, are failures. */
#define JSX_ERR_NO_MESSAGE 10037

/* Whether the decoded NATS headers hdr[0..len) mark a delete or purge. */
static bool
jsx_hdrs_delete(const char *hdr, size_t len)
{
    const char *p = memchr(hdr, '\n', len); /* past "NATS/1.0\r\n" */
    while (p != NULL && (size_t)(p + 1 - hdr) < len) {
        p++;
        size_t rest = len - (size_t)(p - hdr);
        const char *eol = memchr(p, '\n', rest);
        size_t ll = eol ? (size_t)(eol - p) : rest;
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        static const char key[] = "KV-Operation:";
        if (ll > sizeof(key) - 1 && strncasecmp(p, key, sizeof(key) - 1) == 0) {
            const char *v = p + sizeof(key) - 1;
            size_t vl = ll - (sizeof(key) - 1);
            while (vl > 0 && *v == ' ') {
                v++;
                vl--;
            }
            return (vl == 3 && memcmp(v, "DEL", 3) == 0) ||
                   (vl == 5 && memcmp(v, "PURGE", 5) == 0);
        }
        p = eol;
    }
    return false;
}

/* Fills v from one STREAM.MSG.GET reply (JSON, data and headers in
   base64), with what jsx_kv_get() would say. */
static void
jsx_value_from_reply(jsx_value_t *v, const char *data, int len)
{
    cJSON *root = cJSON_ParseWithLength(data, len > 0 ? (size_t)len : 0);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    v->status = NATS_ERR;
    if (err != NULL) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "err_code");
        if (cJSON_IsNumber(code) && code->valuedouble == JSX_ERR_NO_MESSAGE)
            v->status = NATS_NOT_FOUND;
        else /* the caller says which key failed */
            log_msg(LL_DEBUG, "JetStream message get failed: %.200s", data);
        cJSON_Delete(root);
        return;
    }
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(msg, "seq");
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(msg, "data");
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(msg, "hdrs");
    if (!cJSON_IsNumber(seq) || (b64 && !cJSON_IsString(b64)) ||
        (hdrs && !cJSON_IsString(hdrs))) {
        log_msg(LL_DEBUG, "JetStream message get: unexpected reply %.200s",
                data);
        cJSON_Delete(root);
        return;
    }
    if (hdrs != NULL) {
        char *h = xstrdup(hdrs->valuestring);
        long hl = b64_decode(h, strlen(h));
        bool is_delete = hl >= 0 && jsx_hdrs_delete(h, (size_t)hl);
        free(h);
        if (hl < 0) {
            cJSON_Delete(root);
            return;
        }
        if (is_delete) {
            v->status = NATS_NOT_FOUND;
            cJSON_Delete(root);
            return;
        }
    }
    char *val = xstrdup(b64 ? b64->valuestring : "");
    long vl = b64_decode(val, strlen(val));
    if (vl < 0) {
        free(val);
        cJSON_Delete(root);
        return;
    }
    val[vl] = '\0';
    v->value = val;
    v->len = (size_t)vl;
    v->revision = (uint64_t)seq->valuedouble;
    v->status = NATS_OK;
    cJSON_Delete(root);
}

/* The body of a STREAM.MSG.GET request for subject's last message. */
static char *
jsx_msg_get_body(const char *subject)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "last_by_subj", subject);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return body;
}

void
jsx_values_free(jsx_value_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(out[i].value);
    memset(out, 0, n * sizeof(*out));
}

natsStatus
jsx_last_many(natsConnection *nc, const char *domain, const char *stream,
              const char *const *subjects, size_t n, jsx_value_t *out,
              int64_t timeout_ms)
{
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return NATS_OK;
    char api[300], inbox_sub[300];
    if (domain && domain[0])
        snprintf(api, sizeof(api), "$JS.%s.API.STREAM.MSG.GET.%s", domain,
                 stream);
    else
        snprintf(api, sizeof(api), "$JS.API.STREAM.MSG.GET.%s", stream);
    if (n == 1) {
        /* one request: nats.c writes a request at once, no PING needed */
        char *body = jsx_msg_get_body(subjects[0]);
        natsMsg *m = NULL;
        natsStatus s = natsConnection_Request(&m, nc, api, body,
                                              (int)strlen(body), timeout_ms);
        cJSON_free(body);
        if (s == NATS_OK)
            jsx_value_from_reply(&out[0], natsMsg_GetData(m),
                                    natsMsg_GetDataLength(m));
        natsMsg_Destroy(m);
        return s;
    }
    natsInbox *inbox = NULL;
    natsStatus s = natsInbox_Create(&inbox);
    if (s != NATS_OK)
        return s;
    snprintf(inbox_sub, sizeof(inbox_sub), "%s.*", (const char *)inbox);
    natsSubscription *sub = NULL;
    s = natsConnection_SubscribeSync(&sub, nc, inbox_sub);
    bool *is_done = xcalloc(n, sizeof(bool));
    size_t sent = 0, got = 0;
    uint64_t deadline = clk_now_ms() + (uint64_t)timeout_ms;
    while (s == NATS_OK && got < n) {
        /* refill when half the window is answered; nats.c's flusher
           thread would send the requests late, so flush them (a PING) */
        bool is_refill = sent < n && sent - got <= JSX_GET_WINDOW / 2;
        for (; is_refill && s == NATS_OK && sent < n &&
               sent - got < JSX_GET_WINDOW;
             sent++) {
            char reply[320];
            snprintf(reply, sizeof(reply), "%s.%zu", (const char *)inbox,
                     sent);
            char *body = jsx_msg_get_body(subjects[sent]);
            s = natsConnection_PublishRequest(nc, api, reply, body,
                                              (int)strlen(body));
            cJSON_free(body);
        }
        uint64_t now = clk_now_ms();
        if (s == NATS_OK && now >= deadline)
            s = NATS_TIMEOUT;
        if (s == NATS_OK && is_refill)
            s = natsConnection_FlushTimeout(nc, (int64_t)(deadline - now));
        if (s != NATS_OK)
            break;
        now = clk_now_ms();
        if (now >= deadline) {
            s = NATS_TIMEOUT;
            break;
        }
        natsMsg *m = NULL;
        /* NATS_NO_RESPONDERS: no JetStream (domain) answers at all */
        s = natsSubscription_NextMsg(&m, sub, (int64_t)(deadline - now));
        if (s != NATS_OK) {
            natsMsg_Destroy(m);
            break;
        }
        const char *subj = natsMsg_GetSubject(m);
        const char *dot = strrchr(subj, '.');
        char *end = NULL;
        unsigned long long i = dot ? strtoull(dot + 1, &end, 10) : 0;
        if (dot && end && *end == '\0' && i < sent && !is_done[i]) {
            jsx_value_from_reply(&out[i], natsMsg_GetData(m),
                                    natsMsg_GetDataLength(m));
            is_done[i] = true;
            got++;
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    free(is_done);
    if (s != NATS_OK)
        jsx_values_free(out, n);
    return s;
}

natsStatus
jsx_kv_get_many(natsConnection *nc, const char *domain, const char *bucket,
                const char *const *keys, size_t n, jsx_value_t *out,
                int64_t timeout_ms)
{
    char stream[256];
    snprintf(stream, sizeof(stream), "KV_%s", bucket);
    char **subjects = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        subjects[i] = xasprintf("$KV.%s.%s", bucket, keys[i]);
    natsStatus s = jsx_last_many(nc, domain, stream,
                                 (const char *const *)subjects, n, out,
                                 timeout_ms);
    for (size_t i = 0; i < n; i++)
        free(subjects[i]);
    free(subjects);
    return s;
}

static bool
jsx_subjects_equal(const jsStreamConfig *c, const char **subjects, int n)
{
    if (c->SubjectsLen != n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(c->Subjects[i], subjects[i]) != 0)
            return false;
    return true;
}

/*
 * Ensures one stream. With recreate_on_mismatch, an existing stream whose
 * subject list differs is deleted and created again (storage.md 3.1).
 */
static int
jsx_stream(jsCtx *js, jsStreamConfig *sc, bool recreate_on_mismatch,
           char *err, size_t cap)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, sc->Name, NULL, &jerr);
    if (s == NATS_OK) {
        bool ok = !recreate_on_mismatch ||
                  jsx_subjects_equal(si->Config, sc->Subjects,
                                     sc->SubjectsLen);
        jsStreamInfo_Destroy(si);
        if (ok)
            return 0;
        log_msg(LL_WARN, "stream \"%s\" has other subjects than wadm uses; "
                "deleting and recreating it", sc->Name);
        s = js_DeleteStream(js, sc->Name, NULL, &jerr);
        if (s != NATS_OK && s != NATS_NOT_FOUND) {
            snprintf(err, cap, "deleting stream \"%s\": %s (%d)", sc->Name,
                     natsStatus_GetText(s), (int)jerr);
            return ERR_NATS;
        }
    } else if (s != NATS_NOT_FOUND) {
        snprintf(err, cap, "looking up stream \"%s\": %s (%d)", sc->Name,
                 natsStatus_GetText(s), (int)jerr);
        return ERR_NATS;
    }
    s = js_AddStream(&si, js, sc, NULL, &jerr);
    if (s != NATS_OK) {
        /* lost a race with another process creating the same stream */
        if (js_GetStreamInfo(&si, js, sc->Name, NULL, &jerr) == NATS_OK) {
            jsStreamInfo_Destroy(si);
            return 0;
        }
        snprintf(err, cap, "creating stream \"%s\": %s (%d)", sc->Name,
                 natsStatus_GetText(s), (int)jerr);
        return ERR_NATS;
    }
    jsStreamInfo_Destroy(si);
    log_msg(LL_INFO, "created stream \"%s\"", sc->Name);
    return 0;
}

static void
jsx_delete_legacy(jsCtx *js, const char *name)
{
    jsErrCode jerr = 0;
    natsStatus s = js_DeleteStream(js, name, NULL, &jerr);
    if (s == NATS_OK)
        log_msg(LL_INFO, "deleted legacy stream \"%s\"", name);
}

int
jsx_ensure_all(jsCtx *js, const cfg_t *cfg, char *err, size_t cap)
{
    kvStore *kv = NULL;
    int rc = jsx_kv_open(js, cfg, cfg->state_bucket,
                         cfg->state_bucket_max_bytes, &kv, err, cap);
    kvStore_Destroy(kv);
    kv = NULL;
    if (rc != 0)
        return rc;
    rc = jsx_kv_open(js, cfg, cfg->manifest_bucket,
                     cfg->manifest_bucket_max_bytes, &kv, err, cap);
    kvStore_Destroy(kv);
    if (rc != 0)
        return rc;

    jsStreamConfig sc;
    const char *evt_subj[] = {"wadm.evt.*.>"};
    jsStreamConfig_Init(&sc);
    sc.Name = JSX_EVENTS_STREAM;
    sc.Description = "wadm manifest events";
    sc.Subjects = evt_subj;
    sc.SubjectsLen = 1;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = JSX_MAX_AGE_NS;
    sc.Storage = jsx_storage(cfg);
    sc.Replicas = (int64_t)cfg->replicas;
    sc.MaxBytes = cfg->event_stream_max_bytes;
    sc.AllowRollup = false;
    if ((rc = jsx_stream(js, &sc, true, err, cap)) != 0)
        return rc;

    const char *status_subj[] = {"wadm.status.*.*"};
    jsStreamConfig_Init(&sc);
    sc.Name = JSX_STATUS_STREAM;
    sc.Description = "wadm application statuses";
    sc.Subjects = status_subj;
    sc.SubjectsLen = 1;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = 0;
    sc.MaxMsgsPerSubject = 10;
    sc.Storage = jsx_storage(cfg);
    sc.Replicas = (int64_t)cfg->replicas;
    sc.MaxBytes = cfg->status_stream_max_bytes;
    sc.AllowDirect = true;
    if ((rc = jsx_stream(js, &sc, false, err, cap)) != 0)
        return rc;

    jsx_delete_legacy(js, "wadm_mirror");
    jsx_delete_legacy(js, "wadm_multitenant_mirror");

    const char *wb_subj[] = {cfg->is_multitenant ? "*.wasmbus.evt.*.>"
                                                  : "wasmbus.evt.*.>"};
    jsStreamConfig_Init(&sc);
    sc.Name = JSX_WASMBUS_STREAM;
    sc.Description = "wasmCloud host events";
    sc.Subjects = wb_subj;
    sc.SubjectsLen = 1;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = JSX_MAX_AGE_NS;
    sc.Storage = jsx_storage(cfg);
    sc.Replicas = (int64_t)cfg->replicas;
    sc.MaxBytes = cfg->wasmbus_event_stream_max_bytes;
    sc.AllowRollup = false;
    return jsx_stream(js, &sc, true, err, cap);
}
