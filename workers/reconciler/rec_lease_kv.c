/*
 * rec_lease_kv.c - lease reads and revision-checked writes in JetStream
 * KV (see rec_lease_kv.h and rec_lease.h).
 */
#include "workers/reconciler/rec_lease_kv.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clk.h"
#include "common/jsx.h"
#include "common/log.h"
#include "workers/reconciler/rec_lease.h"

static void
rec_lease_holder(const char *value, int len, char *holder, size_t cap)
{
    holder[0] = '\0';
    cJSON *o = cJSON_ParseWithLength(value ? value : "",
                                     len > 0 ? (size_t)len : 0);
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(o, "owner");
    if (cJSON_IsString(owner))
        snprintf(holder, cap, "%s", owner->valuestring);
    cJSON_Delete(o);
}

static bool
rec_lease_is_conflict(void)
{
    const char *why = nats_GetLastError(NULL);
    return why && (strstr(why, "wrong last sequence") ||
                   strstr(why, "key exists"));
}

/*
 * Reads the key from the stream's leader (jsx_kv_get). kvStore_Get() uses
 * a direct get when the bucket allows it, which any replica answers: one
 * that lags (a node just restarted) returns an older revision, and a
 * standby that alternates between replicas sees the revision "change"
 * and waits for another TTL each time (found by make chaos: lattices
 * without owner for 40 s with a 3 s TTL).
 */
static int
rec_lease_kv_observe(jsCtx *js, kvStore *kv, const char *key,
                     uint64_t *out_revision, char *holder, size_t cap)
{
    char *v = NULL;
    size_t len = 0;
    natsStatus s = jsx_kv_get(js, kv, key, &v, &len, out_revision);
    if (s == NATS_NOT_FOUND)
        return REC_LEASE_OK;
    if (s != NATS_OK)
        return REC_LEASE_FAILED;
    rec_lease_holder(v, (int)len, holder, cap);
    free(v);
    return REC_LEASE_OK;
}

int
rec_lease_kv_run(jsCtx *js, kvStore *kv, const char *lattice, int action,
                 const char *me, uint64_t revision, uint64_t *out_revision,
                 char *holder, size_t cap)
{
    *out_revision = 0;
    holder[0] = '\0';
    if (action == REC_LEASE_OBSERVE)
        return rec_lease_kv_observe(js, kv, lattice, out_revision, holder,
                                    cap);
    char ts[CLK_RFC3339_LEN], value[512];
    clk_rfc3339(ts, sizeof(ts), clk_wall_us());
    const char *owner = action == REC_LEASE_RELEASE ? "" : me;
    snprintf(value, sizeof(value), "{\"owner\":\"%s\",\"renewed\":\"%s\"}",
             owner, ts);
    uint64_t rev = 0;
    natsStatus s = action == REC_LEASE_CREATE
                       ? kvStore_Create(&rev, kv, lattice, value,
                                        (int)strlen(value))
                       : kvStore_Update(&rev, kv, lattice, value,
                                        (int)strlen(value), revision);
    if (s == NATS_OK) {
        *out_revision = rev;
        snprintf(holder, cap, "%s", owner);
        return REC_LEASE_OK;
    }
    return rec_lease_is_conflict() ? REC_LEASE_CONFLICT : REC_LEASE_FAILED;
}
