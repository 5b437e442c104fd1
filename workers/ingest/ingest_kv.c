/*
 * ingest_kv.c - writes to the manifest bucket, seen as they happen, for
 * the reconcilers (DESIGN.md section 4).
 *
 * Runs in ingest, on the loop thread. With several wadm instances, an API
 * request may be answered by an instance that does not own the lattice:
 * it stores the manifest, and the owner must act on it. A KV put or delete
 * is a publish on $KV.<bucket>.<key>, so one plain subscription sees every
 * write as it happens; each key is handed to the reconciler of every
 * lattice it may belong to (keys are "<lattice>-<app>" or "<lattice>",
 * with an "<account>-" prefix when multitenant, and ambiguous in theory:
 * spec/storage.md 2.2), which reads the record and checks it. A write
 * missed while NATS was away is caught by the reconciler's resync after
 * the reconnect and by its periodic one (rec_watch.c).
 *
 * A lattice index written for a lattice this instance does not know yet
 * (a first deploy made through another instance) starts its reconciler.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/ingest/ingest_int.h"

static void
ingest_kv_on_msg(natsConnection *conn, natsSubscription *sub, natsMsg *msg,
                 void *closure)
{
    (void)conn;
    (void)sub;
    /* dropped when the queue is full: the periodic resync catches it */
    ingest_push(closure, INGEST_ITEM_KV, msg);
}

int
ingest_kv_subscribe(ingest_t *in)
{
    char subject[300];
    snprintf(subject, sizeof(subject), "$KV.%s.>",
             wk_cfg(in->w)->manifest_bucket);
    natsSubscription *sub = NULL;
    natsStatus s = natsConnection_Subscribe(&sub, nc_conn(in->nc), subject,
                                            ingest_kv_on_msg, in);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, 100000,
                                              256 * 1024 * 1024);
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "subscribing to \"%s\" failed: %s", subject,
                natsStatus_GetText(s));
        natsSubscription_Destroy(sub);
        return -1;
    }
    in->subs = xrealloc(in->subs, (in->nsubs + 1) * sizeof(*in->subs));
    in->subs[in->nsubs++] = sub;
    log_msg(LL_INFO, "watching manifest writes on \"%s\"", subject);
    return 0;
}

/* Whether key may belong to lattice name: "<name>", "<name>-…", or the
 * same after an "<account>-" prefix. */
static bool
ingest_kv_may_belong(const char *key, const char *name, bool is_multitenant)
{
    size_t n = strlen(name);
    if (strncmp(key, name, n) == 0 && (key[n] == '\0' || key[n] == '-'))
        return true;
    if (!is_multitenant)
        return false;
    const char *dash = strchr(key, '-');
    return dash != NULL && strncmp(dash + 1, name, n) == 0 &&
           (dash[1 + n] == '\0' || dash[1 + n] == '-');
}

static bool
ingest_kv_is_index(natsMsg *msg)
{
    const char *v = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    int i = 0;
    while (i < len && (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' ||
                       v[i] == '\r'))
        i++;
    return i < len && v[i] == '[';
}

void
ingest_kv_changed(ingest_t *in, natsMsg *msg)
{
    const cfg_t *cfg = wk_cfg(in->w);
    const char *subject = natsMsg_GetSubject(msg);
    size_t skip = strlen("$KV.") + strlen(cfg->manifest_bucket) + 1;
    if (strlen(subject) <= skip)
        return;
    const char *key = subject + skip;
    const char *op = NULL;
    bool is_delete = natsMsgHeader_Get(msg, "KV-Operation", &op) ==
                         NATS_OK &&
                     op != NULL &&
                     (strcmp(op, "DEL") == 0 || strcmp(op, "PURGE") == 0);
    in->manifest_changes_total++;
    if (!is_delete && !cfg->is_multitenant && ingest_kv_is_index(msg) &&
        cfg_lattice_allowed(cfg, key)) {
        ingest_lat_t *lat = ingest_lat_get(in, key, true);
        if (lat != NULL)
            ingest_lat_request(in, lat);
    }
    proto_kv_changed_t kc = {0};
    kc.key = (char *)key;
    kc.is_delete = is_delete;
    for (map_entry_t *e = map_first(&in->lattices); e; e = e->next) {
        ingest_lat_t *lat = e->val;
        if (lat->rec == NULL ||
            !ingest_kv_may_belong(key, lat->name, cfg->is_multitenant))
            continue;
        /* lost when the channel is full: the periodic resync covers it */
        (void)proto_send(lat->rec, PROTO_MSG_KV_CHANGED, &kc);
    }
}
