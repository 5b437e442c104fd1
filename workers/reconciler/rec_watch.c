/*
 * rec_watch.c - the owner of a lattice acts on manifests stored through
 * any instance (DESIGN.md section 4).
 *
 * Runs in rec.<lattice>, on the loop; reads go through the job thread.
 * Any instance answers API requests and stores the result in KV, but only
 * the owner's engine acts. ingest sees every write to the manifest bucket
 * (ingest_kv.c) and sends KV_CHANGED; the owner then reads the deployed
 * applications again and deploys, redeploys or undeploys what differs from
 * its engine. The same resync runs after every reconnect (writes made
 * while NATS was away) and every REC_RESYNC_PERIOD_S, which bounds how
 * late a change can be acted on even if a notice is lost.
 *
 * Reads run one at a time; notices during a read ask for one more. The
 * job thread runs in submission order, so a resync never applies a read
 * older than an API effect applied before it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "workers/reconciler/rec_int.h"

typedef struct rec_watch_job {
    rec_t *r;
    int rc;
    rec_deployed_t deployed;
} rec_watch_job_t;

static void
rec_watch_run(void *arg)
{
    rec_watch_job_t *j = arg;
    j->rc = rec_store_deployed(&j->r->store, NULL, &j->deployed);
}

static void
rec_watch_free(rec_watch_job_t *j)
{
    rec_deployed_free(&j->deployed);
    free(j);
}

/* The version of a stored manifest: metadata.annotations.version. */
static const char *
rec_watch_version(const cJSON *manifest)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(manifest, "metadata");
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(an, "version");
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void
rec_watch_apply(rec_t *r, const rec_deployed_t *d)
{
    uint64_t now = clk_now_ms();
    size_t deploys = 0, undeploys = 0;
    for (size_t i = 0; i < d->n; i++) {
        const rec_app_t *a = map_get(&r->engine.apps, d->names[i]);
        const char *version = rec_watch_version(d->manifests[i]);
        if (a != NULL && a->version != NULL &&
            strcmp(a->version, version) == 0)
            continue;
        log_msg(LL_INFO, "lattice %s: %s %s was deployed through another "
                "instance or while NATS was away; deploying it",
                wk_id(r->w), d->names[i], version);
        if (rec_engine_deploy(&r->engine, d->names[i], d->manifests[i],
                              now) == 0)
            deploys++;
    }
    /* names first: undeploying changes the map being walked */
    size_t n = 0;
    char **gone = xcalloc(map_count(&r->engine.apps) + 1, sizeof(char *));
    for (map_entry_t *e = map_first(&r->engine.apps); e; e = e->next) {
        bool is_deployed = false;
        for (size_t i = 0; i < d->n && !is_deployed; i++)
            is_deployed = strcmp(d->names[i], e->key) == 0;
        if (!is_deployed)
            gone[n++] = xstrdup(e->key);
    }
    for (size_t i = 0; i < n; i++) {
        log_msg(LL_INFO, "lattice %s: %s is no longer deployed in the "
                "manifest store; undeploying it", wk_id(r->w), gone[i]);
        rec_engine_undeploy(&r->engine, gone[i], now);
        undeploys++;
        free(gone[i]);
    }
    free(gone);
    r->resync_deploys_total += deploys;
    r->resync_undeploys_total += undeploys;
}

static void
rec_watch_done(void *arg)
{
    rec_watch_job_t *j = arg;
    rec_t *r = j->r;
    r->is_resync_running = false;
    r->resyncs_total++;
    if (j->rc != 0)
        log_msg(LL_WARN, "lattice %s: reading the deployed manifests "
                "failed (%s); trying again at the next change or in %.0fs",
                wk_id(r->w), r->store.error[0] ? r->store.error : "storage",
                REC_RESYNC_PERIOD_S);
    else if (rec_own_is_owner(r) && r->is_loaded)
        rec_watch_apply(r, &j->deployed);
    rec_watch_free(j);
    if (r->is_resync_again) {
        r->is_resync_again = false;
        rec_watch_resync(r);
    }
}

static void
rec_watch_drop(void *arg)
{
    rec_watch_free(arg);
}

void
rec_watch_resync(rec_t *r)
{
    if (!rec_own_is_owner(r) || !r->is_loaded || !nc_is_connected(r->nc))
        return;
    if (r->is_resync_running) {
        r->is_resync_again = true;
        return;
    }
    rec_watch_job_t *j = xcalloc(1, sizeof(*j));
    j->r = r;
    if (job_submit(r->jobs, rec_watch_run, rec_watch_done, rec_watch_drop,
                   j) != 0) {
        free(j); /* the queue is full: the periodic resync comes */
        return;
    }
    r->is_resync_running = true;
}

void
rec_watch_changed(rec_t *r, const proto_kv_changed_t *kc)
{
    (void)kc; /* any key of ours may change what is deployed */
    rec_watch_resync(r);
}

static void
rec_watch_on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    rec_watch_resync(t->data);
}

void
rec_watch_start(rec_t *r)
{
    ev_timer_init(&r->resync_timer, rec_watch_on_timer, REC_RESYNC_PERIOD_S,
                  REC_RESYNC_PERIOD_S);
    r->resync_timer.data = r;
    ev_timer_start(wk_loop(r->w), &r->resync_timer);
}

void
rec_watch_stop(rec_t *r)
{
    ev_timer_stop(wk_loop(r->w), &r->resync_timer);
}
