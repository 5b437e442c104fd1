/*
 * ingest_api.c - wadm API requests: routed to the lattice's reconciler.
 *
 * Runs in ingest, on the loop thread.
 */
#include <string.h>

#include "common/log.h"
#include "workers/ingest/ingest_int.h"

void
ingest_api_handle(ingest_t *in, natsMsg *msg)
{
    const cfg_t *cfg = wk_cfg(in->w);
    in->api_in_total++;
    const char *subject = natsMsg_GetSubject(msg);
    const char *rest = subject;
    if (cfg->is_multitenant) {
        const char *dot = strchr(rest, '.');
        if (dot == NULL)
            return;
        rest = dot + 1;
    }
    size_t plen = strlen(cfg->api_prefix);
    if (strncmp(rest, cfg->api_prefix, plen) != 0 || rest[plen] != '.')
        return;
    rest += plen + 1;
    const char *dot = strchr(rest, '.');
    size_t llen = dot ? (size_t)(dot - rest) : strlen(rest);
    char lattice[128];
    if (llen == 0 || llen >= sizeof(lattice))
        return;
    memcpy(lattice, rest, llen);
    lattice[llen] = '\0';
    ingest_lat_t *lat = ingest_lat_get(in, lattice, true);
    if (lat == NULL)
        return;
    lat->api_in_total++;
    ingest_lat_request(in, lat);
    const char *reply = natsMsg_GetReply(msg);
    if (reply && reply[0]) {
        static const char body[] =
            "{\"message\":\"wadm-c: the API of lattice reconcilers is not "
            "served yet\",\"result\":\"error\"}";
        natsConnection_Publish(nc_conn(in->nc), reply, body,
                               (int)sizeof(body) - 1);
    }
}
