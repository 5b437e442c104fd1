/*
 * hs_flood.c - bench mode: hosts preloaded with wadm-managed components
 * and a heartbeat flood to measure how fast wadm absorbs events.
 *
 * Preloaded component k of a host has id bench_app-comp<k>, image
 * ghcr.io/wasmcloud/bench/comp-<k>:0.1.0, max_instances 1 and the four
 * wadm annotations (appspec bench-app, managed-by wadm, spread_name
 * default, and a fixed 64-hex scaler id per k). The flood renders each
 * host's inventory once, then publishes --flood heartbeats round robin,
 * each with a fresh event id and time, as fast as nats.c accepts them.
 * Runs on the main thread before the loop starts.
 */
#include "test/hostsim/hs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"

/* Adds the bench components to h (before it starts). */
void
hs_flood_preload(hs_host_t *h, int components)
{
    for (int k = 0; k < components; k++) {
        char id[64];
        char ref[128];
        char scaler[65];
        snprintf(id, sizeof(id), "bench_app-comp%d", k);
        snprintf(ref, sizeof(ref), "ghcr.io/wasmcloud/bench/comp-%d:0.1.0",
                 k);
        uint64_t x = 0xb5ad4eceda1ce2a9ULL * (uint64_t)(k + 1);
        for (int i = 0; i < 64; i++) {
            x ^= x >> 33;
            x *= 0xff51afd7ed558ccdULL;
            scaler[i] = "0123456789abcdef"[(x >> 60) & 15];
        }
        scaler[64] = '\0';
        cJSON *ann = cJSON_CreateObject();
        hs_map_set(ann, "wasmcloud.dev/appspec", "bench-app");
        hs_map_set(ann, "wasmcloud.dev/managed-by", "wadm");
        hs_map_set(ann, "wasmcloud.dev/scaler", scaler);
        hs_map_set(ann, "wasmcloud.dev/spread_name", "default");
        hs_host_comp_add(h, id, ref, ann, NULL, 1);
        hs_lattice_spec_mark(h->sim, id);
        cJSON_Delete(ann);
    }
}

/*
 * Publishes count heartbeats round robin over the running hosts, flushes,
 * and prints the achieved rate on stdout. Returns 0, or ERR_NATS when a
 * publish or the flush failed. Blocks for the whole flood.
 */
int
hs_flood_run(hs_sim_t *sim, uint64_t count)
{
    size_t n = 0;
    hs_host_t **hosts = xcalloc(sim->hosts_count ? sim->hosts_count : 1,
                                sizeof(*hosts));
    char **data = xcalloc(sim->hosts_count ? sim->hosts_count : 1,
                          sizeof(*data));
    for (size_t i = 0; i < sim->hosts_count; i++) {
        if (sim->hosts[i]->state != HS_HOST_RUNNING)
            continue;
        cJSON *inv = hs_host_inventory(sim->hosts[i]);
        hosts[n] = sim->hosts[i];
        data[n++] = cJSON_PrintUnformatted(inv);
        cJSON_Delete(inv);
    }
    int rc = 0;
    uint64_t bytes = 0;
    uint64_t sent = 0;
    char *subject = xasprintf("%s.host_heartbeat", sim->evt_prefix);
    buf_t b;
    buf_init(&b, 0);
    uint64_t t0 = clk_now_us();
    for (uint64_t i = 0; n > 0 && i < count; i++) {
        size_t k = (size_t)(i % n);
        buf_reset(&b);
        hs_event_render_into(&b, hosts[k]->id, "host_heartbeat", data[k]);
        natsStatus s = natsConnection_Publish(sim->nc, subject, b.data,
                                              (int)b.len);
        if (s != NATS_OK) {
            log_msg(LL_ERROR, "flood publish failed after %" PRIu64
                    " heartbeats (%s)", i, natsStatus_GetText(s));
            rc = ERR_NATS;
            break;
        }
        bytes += b.len;
        sent++;
    }
    natsStatus s = natsConnection_FlushTimeout(sim->nc, 60000);
    uint64_t dt = clk_now_us() - t0;
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "flush after the flood failed (%s)",
                natsStatus_GetText(s));
        rc = ERR_NATS;
    }
    double secs = dt > 0 ? dt / 1e6 : 1e-6;
    printf("flood: %" PRIu64 " heartbeats from %zu hosts (%d components "
           "each) in %.3f s: %.0f msg/s, %.1f MiB/s, %" PRIu64
           " bytes/msg\n",
           sent, n, sim->opts.components, secs, sent / secs,
           bytes / secs / (1024.0 * 1024.0), sent ? bytes / sent : 0);
    fflush(stdout);
    buf_destroy(&b);
    free(subject);
    for (size_t i = 0; i < n; i++)
        cJSON_free(data[i]);
    free(data);
    free(hosts);
    return rc;
}
