/*
 * disp_int.h - dispatch's private state, shared by its files.
 */
#ifndef WADM_DISP_INT_H
#define WADM_DISP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/job.h"
#include "common/map.h"
#include "common/nc.h"
#include "proto/proto.h"
#include "workers/wk.h"

#define DISP_JOBS_MAX 4096

typedef struct disp_peer {
    char *lattice;
    chan_t *chan;
    struct disp *d;
} disp_peer_t;

typedef struct disp {
    wk_t *w;
    nc_t *nc;
    job_runner_t *jobs;
    map_t peers;          /* lattice -> disp_peer_t */
    map_t last_status;    /* subject -> last published body (char *) */
    bool is_js_ready;
    uint64_t commands_in_total;
    uint64_t statuses_in_total;
    uint64_t statuses_published_total;
    uint64_t statuses_deduplicated_total;
    uint64_t statuses_failed_total;
} disp_t;

/* disp_status.c */
void disp_status_handle(disp_t *d, proto_status_t *st_take);
void disp_js_setup(disp_t *d);

#endif
