/*
 * ingest_evt.c - lattice events: discovery of new lattices.
 *
 * Runs in ingest, on the loop thread. A lattice is discovered as upstream
 * does (spec/storage.md 4.2): a message on wasmbus.evt.<lattice>.<type>
 * (exactly four tokens; multitenant: an account token starting with 'A'
 * in front) whose payload mentions host_started, host_heartbeat or
 * manifest_published.
 */
#include <string.h>

#include "common/log.h"
#include "workers/ingest/ingest_int.h"

/* Splits subject into at most max tokens; returns the count (max+1 if more). */
static int
ingest_tokens(const char *subject, char tok[][128], int max)
{
    int n = 0;
    const char *p = subject;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= max)
            return max + 1;
        if (len >= 128)
            len = 127;
        memcpy(tok[n], p, len);
        tok[n][len] = '\0';
        n++;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    return n;
}

void
ingest_evt_handle(ingest_t *in, natsMsg *msg)
{
    const cfg_t *cfg = wk_cfg(in->w);
    const char *subject = natsMsg_GetSubject(msg);
    char tok[6][128];
    int n = ingest_tokens(subject, tok, 5);
    int base = 0;
    if (cfg->is_multitenant) {
        if (n != 5 || tok[0][0] != 'A') {
            in->events_ignored_total++;
            return;
        }
        base = 1;
    } else if (n != 4) {
        in->events_ignored_total++;
        return;
    }
    if (strcmp(tok[base], "wasmbus") != 0 || strcmp(tok[base + 1], "evt") != 0) {
        in->events_ignored_total++;
        return;
    }
    in->events_in_total++;
    const char *lattice = tok[base + 2];
    ingest_lat_t *lat = ingest_lat_get(in, lattice, false);
    if (lat != NULL)
        lat->events_in_total++;
    if (lat != NULL && (lat->rec != NULL || lat->is_requested))
        return;
    const char *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    if (data == NULL || len <= 0 ||
        (memmem(data, (size_t)len, "com.wasmcloud.lattice.host_started", 34) ==
             NULL &&
         memmem(data, (size_t)len, "com.wasmcloud.lattice.host_heartbeat",
                36) == NULL &&
         memmem(data, (size_t)len, "com.wadm.manifest_published", 27) ==
             NULL))
        return;
    lat = ingest_lat_get(in, lattice, true);
    if (lat != NULL)
        ingest_lat_request(in, lat);
}
