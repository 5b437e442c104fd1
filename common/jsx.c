/*
 * jsx.c - creating or reusing wadm's JetStream buckets and streams.
 *
 * Runs on a worker's job thread (every call blocks). Creation is "get,
 * else add": JetStream answers an add of an identical configuration with
 * success, so two processes doing this at once both succeed.
 */
#include "common/jsx.h"

#include <stdio.h>
#include <string.h>

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
