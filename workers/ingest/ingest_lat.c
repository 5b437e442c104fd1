/*
 * ingest_lat.c - the lattices ingest knows, and asking the supervisor for
 * a reconciler when a new one appears.
 *
 * Runs in ingest, on the loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "workers/ingest/ingest_int.h"

#define INGEST_LATTICE_MAX 100

static bool
ingest_lat_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > INGEST_LATTICE_MAX)
        return false;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '.' || c == '*' || c == '>' ||
            c == '/' || c == '\\')
            return false;
    }
    return true;
}

ingest_lat_t *
ingest_lat_get(ingest_t *in, const char *name, bool create)
{
    ingest_lat_t *lat = map_get(&in->lattices, name);
    if (lat != NULL || !create)
        return lat;
    if (!ingest_lat_valid(name) ||
        !cfg_lattice_allowed(wk_cfg(in->w), name)) {
        in->lattices_refused_total++;
        return NULL;
    }
    if (map_count(&in->lattices) >= wk_cfg(in->w)->max_lattices) {
        if (in->lattices_refused_total++ == 0)
            log_msg(LL_ERROR, "lattice \"%s\" refused: %zu lattices already "
                    "(--max-lattices)", name, map_count(&in->lattices));
        return NULL;
    }
    lat = xcalloc(1, sizeof(*lat));
    lat->name = xstrdup(name);
    lat->in = in;
    map_put(&in->lattices, name, lat);
    ingest_evt_lattice_known(in, lat);
    return lat;
}

void
ingest_lat_request(ingest_t *in, ingest_lat_t *lat)
{
    if (lat->is_requested)
        return;
    proto_lattice_add_t la = {0};
    la.lattice = lat->name;
    if (wk_send_sup(in->w, PROTO_MSG_LATTICE_ADD, &la) == 0) {
        lat->is_requested = true;
        log_msg(LL_INFO, "lattice \"%s\" seen, asked for its reconciler",
                lat->name);
    }
}

void
ingest_lat_free(void *p)
{
    ingest_lat_t *lat = p;
    if (lat == NULL)
        return;
    ingest_evt_lat_free(lat);
    chan_close(lat->rec);
    free(lat->name);
    free(lat);
}
