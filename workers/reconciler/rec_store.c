/*
 * rec_store.c - application records, lattice indexes, statuses and
 * manifest events in JetStream (see rec_store.h).
 *
 * Runs on the reconciler's job thread; every call blocks. Writes follow
 * spec/storage.md 2.4: records are revision-checked (a new record is
 * created only if it still does not exist, so two puts racing on a new
 * application cannot silently overwrite each other), index updates retry
 * on conflict. JSON member order is preserved because cJSON keeps it.
 */
#include "workers/reconciler/rec_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/jsx.h"
#include "common/log.h"
#include "common/uid.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_status.h"

#define REC_INDEX_ATTEMPTS 10
#define REC_STORE_BATCH_TIMEOUT_MS 5000 /* plus 10 ms per record */

int
rec_store_setup(rec_store_t *st)
{
    if (st->is_ready)
        return 0;
    int rc = jsx_ensure_all(st->js, st->cfg, st->error, sizeof(st->error));
    if (rc == 0 && st->manifests == NULL)
        rc = jsx_kv_open(st->js, st->cfg, st->cfg->manifest_bucket,
                         st->cfg->manifest_bucket_max_bytes, &st->manifests,
                         st->error, sizeof(st->error));
    if (rc == 0 && st->state_kv == NULL)
        rc = jsx_kv_open(st->js, st->cfg, st->cfg->state_bucket,
                         st->cfg->state_bucket_max_bytes, &st->state_kv,
                         st->error, sizeof(st->error));
    if (rc != 0)
        return rc;
    st->is_ready = true;
    st->error[0] = '\0';
    return 0;
}

void
rec_store_close(rec_store_t *st)
{
    kvStore_Destroy(st->manifests);
    st->manifests = NULL;
    kvStore_Destroy(st->state_kv);
    st->state_kv = NULL;
    st->is_ready = false;
}

char *
rec_store_key(const rec_store_t *st, const char *account, const char *name)
{
    if (st->cfg->is_multitenant && account && account[0])
        return xasprintf("%s-%s-%s", account, st->lattice, name);
    return xasprintf("%s-%s", st->lattice, name);
}

char *
rec_store_index_key(const rec_store_t *st, const char *account)
{
    if (st->cfg->is_multitenant && account && account[0])
        return xasprintf("%s-%s", account, st->lattice);
    return xstrdup(st->lattice);
}

static void
rec_record_empty(rec_record_t *rec)
{
    rec->root = cJSON_CreateObject();
    cJSON_AddItemToObject(rec->root, "manifests", cJSON_CreateObject());
    cJSON_AddItemToObject(rec->root, "deployed_version", cJSON_CreateNull());
}

/* Fills rec from what the bucket said of key (see rec_record_get()); a
   failure is logged when is_logged. */
static int
rec_record_from(rec_record_t *rec, const char *key, natsStatus s, char *v,
                size_t len, uint64_t revision, bool is_logged)
{
    if (s == NATS_NOT_FOUND) {
        /* revision 0: the write creates it (over a delete marker too) */
        rec_record_empty(rec);
        return ERR_NOTFOUND;
    }
    if (s != NATS_OK) {
        if (is_logged)
            log_msg(LL_ERROR, "reading record \"%s\" failed: %s", key,
                    natsStatus_GetText(s));
        rec_record_empty(rec);
        return ERR_NATS;
    }
    rec->revision = revision;
    cJSON *root = cJSON_ParseWithLength(v, len);
    if (root == NULL || !cJSON_IsObject(root) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root,
                                                          "manifests"))) {
        if (is_logged)
            log_msg(LL_ERROR, "record \"%s\" is not a stored manifest",
                    key);
        cJSON_Delete(root);
        rec_record_empty(rec);
        return ERR_PROTO;
    }
    rec->root = root;
    /* a missing deployed_version reads as null (storage.md 2.3) */
    if (cJSON_GetObjectItemCaseSensitive(root, "deployed_version") == NULL)
        cJSON_AddItemToObject(root, "deployed_version", cJSON_CreateNull());
    return 0;
}

int
rec_record_get(rec_store_t *st, const char *account, const char *name,
               rec_record_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    char *key = rec_store_key(st, account, name);
    char *v = NULL;
    size_t len = 0;
    uint64_t revision = 0;
    natsStatus s = jsx_kv_get(st->js, st->manifests, key, &v, &len,
                              &revision);
    int rc = rec_record_from(rec, key, s, v, len, revision, true);
    free(v);
    free(key);
    return rc;
}

/* How long a batch read may take: 5 s plus 10 ms per record. */
static int64_t
rec_store_batch_timeout_ms(size_t n)
{
    return REC_STORE_BATCH_TIMEOUT_MS + (int64_t)n * 10;
}

int
rec_records_get(rec_store_t *st, const char *account, char *const *names,
                size_t n, rec_record_t **recs_out, int **rcs_out)
{
    rec_record_t *recs = xcalloc(n + 1, sizeof(*recs));
    int *rcs = xcalloc(n + 1, sizeof(int));
    char **keys = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        keys[i] = rec_store_key(st, account, names[i]);
    jsx_value_t *vals = xcalloc(n + 1, sizeof(*vals));
    natsStatus s = jsx_kv_get_many(st->conn, st->cfg->js_domain,
                                   st->cfg->manifest_bucket,
                                   (const char *const *)keys, n, vals,
                                   rec_store_batch_timeout_ms(n));
    int rc = s == NATS_OK ? 0 : ERR_NATS;
    size_t failed = 0;
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (s == NATS_OK) {
            rcs[i] = rec_record_from(&recs[i], keys[i], vals[i].status,
                                     vals[i].value, vals[i].len,
                                     vals[i].revision, failed == 0);
        } else {
            rec_record_empty(&recs[i]);
            rcs[i] = ERR_NATS;
        }
        if (rcs[i] != 0 && rcs[i] != ERR_NOTFOUND && failed++ == 0) {
            first = keys[i];
            rc = rcs[i];
        }
    }
    if (s != NATS_OK)
        log_msg(LL_ERROR, "reading %zu records failed: %s", n,
                natsStatus_GetText(s));
    else if (failed > 1)
        log_msg(LL_ERROR, "%zu of %zu records could not be read (the first: "
                "\"%s\")", failed, n, first);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    jsx_values_free(vals, n);
    free(vals);
    free(keys);
    *recs_out = recs;
    *rcs_out = rcs;
    return rc;
}

void
rec_records_free(rec_record_t *recs, int *rcs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rec_record_destroy(&recs[i]);
    free(recs);
    free(rcs);
}

int
rec_record_put(rec_store_t *st, const char *account, const char *name,
               rec_record_t *rec)
{
    char *key = rec_store_key(st, account, name);
    char *text = cJSON_PrintUnformatted(rec->root);
    uint64_t rev = 0;
    natsStatus s;
    if (rec->revision == 0)
        s = kvStore_Create(&rev, st->manifests, key, text,
                           (int)strlen(text));
    else
        s = kvStore_Update(&rev, st->manifests, key, text, (int)strlen(text),
                           rec->revision);
    cJSON_free(text);
    if (s == NATS_OK) {
        rec->revision = rev;
        free(key);
        return 0;
    }
    const char *why = nats_GetLastError(NULL);
    bool is_conflict = why && (strstr(why, "wrong last sequence") ||
                               strstr(why, "key exists"));
    log_msg(is_conflict ? LL_INFO : LL_ERROR,
            "writing record \"%s\" failed: %s (%s)", key,
            natsStatus_GetText(s), why ? why : "");
    free(key);
    return is_conflict ? ERR_CONFLICT : ERR_NATS;
}

int
rec_record_purge(rec_store_t *st, const char *account, const char *name)
{
    char *key = rec_store_key(st, account, name);
    natsStatus s = kvStore_Purge(st->manifests, key, NULL);
    if (s != NATS_OK)
        log_msg(LL_ERROR, "purging record \"%s\" failed: %s", key,
                natsStatus_GetText(s));
    free(key);
    return s == NATS_OK ? 0 : ERR_NATS;
}

void
rec_record_destroy(rec_record_t *rec)
{
    cJSON_Delete(rec->root);
    rec->root = NULL;
}

cJSON *
rec_record_versions(rec_record_t *rec)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(rec->root, "manifests");
    if (m == NULL) {
        m = cJSON_CreateObject();
        cJSON_AddItemToObject(rec->root, "manifests", m);
    }
    return m;
}

cJSON *
rec_record_current(rec_record_t *rec)
{
    cJSON *m = rec_record_versions(rec);
    cJSON *last = NULL;
    for (cJSON *c = m->child; c; c = c->next)
        last = c;
    return last;
}

const char *
rec_record_deployed(rec_record_t *rec)
{
    cJSON *d = cJSON_GetObjectItemCaseSensitive(rec->root,
                                                "deployed_version");
    return cJSON_IsString(d) ? d->valuestring : NULL;
}

void
rec_record_set_deployed(rec_record_t *rec, const char *version)
{
    cJSON *v = version ? cJSON_CreateString(version) : cJSON_CreateNull();
    if (cJSON_GetObjectItemCaseSensitive(rec->root, "deployed_version"))
        cJSON_ReplaceItemInObjectCaseSensitive(rec->root, "deployed_version",
                                               v);
    else
        cJSON_AddItemToObject(rec->root, "deployed_version", v);
}

void
rec_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Reads the index; absent = empty, revision 0. */
static int
rec_index_read(rec_store_t *st, const char *key, char ***names, size_t *n,
               uint64_t *revision)
{
    *names = NULL;
    *n = 0;
    *revision = 0;
    char *v = NULL;
    size_t len = 0;
    natsStatus s = jsx_kv_get(st->js, st->manifests, key, &v, &len,
                              revision);
    if (s == NATS_NOT_FOUND)
        return 0;
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "reading index \"%s\" failed: %s", key,
                natsStatus_GetText(s));
        return ERR_NATS;
    }
    cJSON *arr = cJSON_ParseWithLength(v, len);
    free(v);
    if (!cJSON_IsArray(arr)) {
        log_msg(LL_ERROR, "index \"%s\" is not a JSON array", key);
        cJSON_Delete(arr);
        return ERR_PROTO;
    }
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    *names = xcalloc(cnt + 1, sizeof(char *));
    for (cJSON *c = arr->child; c; c = c->next)
        if (cJSON_IsString(c))
            (*names)[(*n)++] = xstrdup(c->valuestring);
    cJSON_Delete(arr);
    return 0;
}

int
rec_index_get(rec_store_t *st, const char *account, char ***names, size_t *n)
{
    char *key = rec_store_index_key(st, account);
    uint64_t rev;
    int rc = rec_index_read(st, key, names, n, &rev);
    free(key);
    return rc;
}

static int
rec_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rec_index_update(rec_store_t *st, const char *account, const char *name,
                 bool is_add)
{
    char *key = rec_store_index_key(st, account);
    int rc = ERR_CONFLICT;
    for (int attempt = 0; attempt < REC_INDEX_ATTEMPTS; attempt++) {
        char **names;
        size_t n;
        uint64_t rev;
        rc = rec_index_read(st, key, &names, &n, &rev);
        if (rc != 0)
            break;
        size_t at = n;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], name) == 0)
                at = i;
        if ((is_add && at < n) || (!is_add && at == n)) {
            rec_names_free(names, n);
            rc = 0;
            break;
        }
        if (is_add) {
            names = xrealloc(names, (n + 1) * sizeof(char *));
            names[n++] = xstrdup(name);
        } else {
            free(names[at]);
            memmove(names + at, names + at + 1,
                    (n - at - 1) * sizeof(char *));
            n--;
        }
        qsort(names, n, sizeof(char *), rec_cmp_str);
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
        char *text = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
        rec_names_free(names, n);
        uint64_t nrev;
        natsStatus s = rev == 0
                           ? kvStore_Create(&nrev, st->manifests, key, text,
                                            (int)strlen(text))
                           : kvStore_Update(&nrev, st->manifests, key, text,
                                            (int)strlen(text), rev);
        cJSON_free(text);
        if (s == NATS_OK) {
            rc = 0;
            break;
        }
        const char *why = nats_GetLastError(NULL);
        if (!(why && (strstr(why, "wrong last sequence") ||
                      strstr(why, "key exists")))) {
            log_msg(LL_ERROR, "writing index \"%s\" failed: %s (%s)", key,
                    natsStatus_GetText(s), why ? why : "");
            rc = ERR_NATS;
            break;
        }
        rc = ERR_CONFLICT; /* someone else wrote it: read again */
    }
    free(key);
    return rc;
}

cJSON *
rec_status_get(rec_store_t *st, const char *name)
{
    char subject[512];
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", st->lattice,
             name);
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetLastMsg(&m, st->js, JSX_STATUS_STREAM, subject,
                                 NULL, &jerr);
    if (s != NATS_OK)
        return NULL;
    cJSON *status = rec_status_normalize(natsMsg_GetData(m),
                                         (size_t)natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return status;
}

void
rec_statuses_get(rec_store_t *st, char *const *names, size_t n, cJSON **out)
{
    char **subjects = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        subjects[i] = xasprintf("wadm.status.%s.%s", st->lattice, names[i]);
    jsx_value_t *vals = xcalloc(n + 1, sizeof(*vals));
    natsStatus s = jsx_last_many(st->conn, st->cfg->js_domain,
                                 JSX_STATUS_STREAM,
                                 (const char *const *)subjects, n, vals,
                                 rec_store_batch_timeout_ms(n));
    if (s != NATS_OK)
        log_msg(LL_WARN, "reading %zu statuses failed: %s", n,
                natsStatus_GetText(s));
    for (size_t i = 0; i < n; i++) {
        out[i] = s == NATS_OK && vals[i].status == NATS_OK
                     ? rec_status_normalize(vals[i].value, vals[i].len)
                     : NULL;
        free(subjects[i]);
    }
    jsx_values_free(vals, n);
    free(vals);
    free(subjects);
}

int
rec_event_publish(rec_store_t *st, const char *what, const cJSON *data)
{
    char id[UID_UUID_LEN + 1], ts[CLK_RFC3339_LEN], type[128], subj[512];
    uid_uuid4(id);
    clk_rfc3339(ts, sizeof(ts), clk_wall_us());
    snprintf(type, sizeof(type), "com.wadm.%s", what);
    snprintf(subj, sizeof(subj), "wadm.evt.%s.%s", st->lattice, what);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "specversion", "1.0");
    cJSON_AddStringToObject(ev, "id", id);
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddStringToObject(ev, "source", "wadm");
    cJSON_AddStringToObject(ev, "datacontenttype", "application/json");
    cJSON_AddStringToObject(ev, "time", ts);
    cJSON_AddItemToObject(ev, "data", cJSON_Duplicate(data, true));
    char *text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_Publish(&ack, st->js, subj, text, (int)strlen(text),
                              NULL, &jerr);
    cJSON_free(text);
    jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "publishing %s on \"%s\" failed: %s (%d)", type,
                subj, natsStatus_GetText(s), (int)jerr);
        return ERR_NATS;
    }
    return 0;
}

int
rec_store_deployed(rec_store_t *st, const char *account, rec_deployed_t *out)
{
    memset(out, 0, sizeof(*out));
    char **names;
    size_t n;
    int rc = rec_index_get(st, account, &names, &n);
    if (rc != 0)
        return rc;
    out->names = xcalloc(n + 1, sizeof(char *));
    out->manifests = xcalloc(n + 1, sizeof(cJSON *));
    rec_record_t *recs;
    int *rcs;
    rc = rec_records_get(st, account, names, n, &recs, &rcs);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *dv = rcs[i] == 0 ? rec_record_deployed(&recs[i]) : NULL;
        cJSON *m = dv ? cJSON_DetachItemFromObjectCaseSensitive(
                            rec_record_versions(&recs[i]), dv)
                      : NULL;
        if (m) {
            out->names[out->n] = xstrdup(names[i]);
            out->manifests[out->n] = m;
            out->n++;
        }
    }
    rec_records_free(recs, rcs, n);
    rec_names_free(names, n);
    if (rc != 0)
        rec_deployed_free(out);
    return rc;
}

void
rec_deployed_free(rec_deployed_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->names[i]);
        cJSON_Delete(d->manifests[i]);
    }
    free(d->names);
    free(d->manifests);
    memset(d, 0, sizeof(*d));
}

int
rec_state_kv_get(rec_store_t *st, const char *key, char **value, size_t *len,
                 uint64_t *revision)
{
    *value = NULL;
    *len = 0;
    *revision = 0;
    natsStatus s = jsx_kv_get(st->js, st->state_kv, key, value, len,
                              revision);
    if (s == NATS_NOT_FOUND)
        return 0;
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "reading state \"%s\" failed: %s", key,
                natsStatus_GetText(s));
        return ERR_NATS;
    }
    return 0;
}

int
rec_state_kv_put(rec_store_t *st, const char *key, const char *value,
                 size_t len, uint64_t *revision)
{
    uint64_t deadline = clk_now_ms() + 1500;
    for (;;) {
        uint64_t rev = 0;
        natsStatus s = *revision == 0
                           ? kvStore_Create(&rev, st->state_kv, key, value,
                                            (int)len)
                           : kvStore_Update(&rev, st->state_kv, key, value,
                                            (int)len, *revision);
        if (s == NATS_OK) {
            *revision = rev;
            return 0;
        }
        if (clk_now_ms() >= deadline) {
            log_msg(LL_ERROR, "writing state \"%s\" failed: %s (timeout "
                    "after 1.5s)", key, natsStatus_GetText(s));
            return ERR_TIMEOUT;
        }
        /* someone else wrote it: take its revision, our map wins */
        char *v = NULL;
        size_t vlen = 0;
        natsStatus g = jsx_kv_get(st->js, st->state_kv, key, &v, &vlen,
                                  revision);
        free(v);
        if (g == NATS_OK) {
            /* *revision is the one to write over */
        } else if (g == NATS_NOT_FOUND) {
            *revision = 0;
        } else {
            log_msg(LL_ERROR, "writing state \"%s\" failed: %s", key,
                    natsStatus_GetText(g));
            return ERR_NATS;
        }
    }
}
