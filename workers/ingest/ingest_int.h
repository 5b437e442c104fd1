/*
 * ingest_int.h - ingest's private state, shared by its files.
 */
#ifndef WADM_INGEST_INT_H
#define WADM_INGEST_INT_H

#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/job.h"
#include "common/map.h"
#include "common/nc.h"
#include "common/q.h"
#include "workers/wk.h"

#define INGEST_Q_MAX_ITEMS 65536
#define INGEST_Q_MAX_BYTES (256u * 1024u * 1024u)

enum ingest_item_kind {
    INGEST_ITEM_EVENT,
    INGEST_ITEM_API,
};

/* A NATS message handed from a nats.c thread to the loop. */
typedef struct ingest_item {
    int kind;
    natsMsg *msg;
} ingest_item_t;

/* What ingest knows of one lattice. */
typedef struct ingest_lat {
    char *name;
    chan_t *rec;              /* channel to rec.<name>, NULL when down */
    bool is_requested;        /* LATTICE_ADD sent */
    uint64_t events_in_total;
    uint64_t api_in_total;
} ingest_lat_t;

typedef struct ingest {
    wk_t *w;
    nc_t *nc;
    q_t *inq;
    job_runner_t *jobs;
    natsSubscription *evt_sub;
    natsSubscription *api_sub;
    map_t lattices;           /* name -> ingest_lat_t */
    bool is_discovery_done;
    uint64_t events_in_total;
    uint64_t events_ignored_total;
    uint64_t api_in_total;
    uint64_t dropped_total;
    uint64_t lattices_refused_total;
} ingest_t;

/* ingest_lat.c */
ingest_lat_t *ingest_lat_get(ingest_t *in, const char *name, bool create);
void ingest_lat_request(ingest_t *in, ingest_lat_t *lat);
void ingest_lat_free(void *p);

/* ingest_disc.c */
void ingest_disc_start(ingest_t *in);

/* ingest_api.c */
void ingest_api_handle(ingest_t *in, natsMsg *msg);

/* ingest_evt.c */
void ingest_evt_handle(ingest_t *in, natsMsg *msg);

#endif
