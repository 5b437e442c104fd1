/*
 * ingest_disc.c - at start, every lattice that has stored manifests or
 * state gets its reconciler (DESIGN.md section 2).
 *
 * Runs in ingest. The KV listing blocks, so it runs on the job thread; the
 * lattice names come back to the loop, which asks the supervisor for a
 * reconciler per lattice. Lattice index keys of wadm_manifests hold a
 * JSON array (spec/storage.md 2.2); state keys are host_<lattice>.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "workers/ingest/ingest_int.h"

typedef struct ingest_disc_job {
    ingest_t *in;
    char *manifest_bucket;
    char *state_bucket;
    char **names;
    size_t n;
    bool is_ok;
    char error[160];
} ingest_disc_job_t;

static void
ingest_disc_add(ingest_disc_job_t *j, const char *name)
{
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->names[i], name) == 0)
            return;
    j->names = xrealloc(j->names, (j->n + 1) * sizeof(char *));
    j->names[j->n++] = xstrdup(name);
}

/* Lists keys of bucket; NATS_NOT_FOUND when the bucket does not exist. */
static natsStatus
ingest_disc_keys(jsCtx *js, const char *bucket, kvKeysList *keys,
                 kvStore **kv)
{
    natsStatus s = js_KeyValue(kv, js, bucket);
    if (s != NATS_OK)
        return s;
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.Timeout = 5000;
    s = kvStore_Keys(keys, *kv, &o);
    /* an empty bucket answers "not found"; the bucket itself exists */
    if (s == NATS_NOT_FOUND)
        s = NATS_OK;
    return s;
}

static void
ingest_disc_run(void *arg)
{
    ingest_disc_job_t *j = arg;
    jsCtx *js = nc_js(j->in->nc);
    kvKeysList keys = {0};
    kvStore *kv = NULL;
    natsStatus s = ingest_disc_keys(js, j->manifest_bucket, &keys, &kv);
    if (s == NATS_OK) {
        for (int i = 0; i < keys.Count; i++) {
            kvEntry *e = NULL;
            if (kvStore_Get(&e, kv, keys.Keys[i]) != NATS_OK)
                continue;
            const char *v = kvEntry_ValueString(e);
            while (v && (*v == ' ' || *v == '\n' || *v == '\t'))
                v++;
            if (v && *v == '[')
                ingest_disc_add(j, keys.Keys[i]);
            kvEntry_Destroy(e);
        }
        kvKeysList_Destroy(&keys);
    } else if (s != NATS_NOT_FOUND) {
        snprintf(j->error, sizeof(j->error), "listing \"%s\": %s (%s)",
                 j->manifest_bucket, natsStatus_GetText(s), nc_last_error());
        kvStore_Destroy(kv);
        return;
    }
    kvStore_Destroy(kv);
    kv = NULL;
    s = ingest_disc_keys(js, j->state_bucket, &keys, &kv);
    if (s == NATS_OK) {
        for (int i = 0; i < keys.Count; i++)
            if (strncmp(keys.Keys[i], "host_", 5) == 0 && keys.Keys[i][5])
                ingest_disc_add(j, keys.Keys[i] + 5);
        kvKeysList_Destroy(&keys);
    } else if (s != NATS_NOT_FOUND) {
        snprintf(j->error, sizeof(j->error), "listing \"%s\": %s (%s)",
                 j->state_bucket, natsStatus_GetText(s), nc_last_error());
        kvStore_Destroy(kv);
        return;
    }
    kvStore_Destroy(kv);
    j->is_ok = true;
}

static void
ingest_disc_free(ingest_disc_job_t *j)
{
    for (size_t i = 0; i < j->n; i++)
        free(j->names[i]);
    free(j->names);
    free(j->manifest_bucket);
    free(j->state_bucket);
    free(j);
}

static void
ingest_disc_done(void *arg)
{
    ingest_disc_job_t *j = arg;
    ingest_t *in = j->in;
    if (!j->is_ok) {
        /* tried again at the next (re)connect */
        log_msg(LL_WARN, "lattice discovery failed: %s", j->error);
        ingest_disc_free(j);
        return;
    }
    in->is_discovery_done = true;
    log_msg(LL_INFO, "lattice discovery: %zu lattice(s) with stored "
            "manifests or state", j->n);
    for (size_t i = 0; i < j->n; i++) {
        ingest_lat_t *lat = ingest_lat_get(in, j->names[i], true);
        if (lat != NULL)
            ingest_lat_request(in, lat);
    }
    ingest_disc_free(j);
}

static void
ingest_disc_drop(void *arg)
{
    ingest_disc_free(arg);
}

void
ingest_disc_start(ingest_t *in)
{
    ingest_disc_job_t *j = xcalloc(1, sizeof(*j));
    j->in = in;
    j->manifest_bucket = xstrdup(wk_cfg(in->w)->manifest_bucket);
    j->state_bucket = xstrdup(wk_cfg(in->w)->state_bucket);
    if (job_submit(in->jobs, ingest_disc_run, ingest_disc_done,
                   ingest_disc_drop, j) != 0)
        ingest_disc_drop(j);
}
