/*
 * rec_int.h - the reconciler's private state, shared by its files.
 */
#ifndef WADM_REC_INT_H
#define WADM_REC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/job.h"
#include "common/nc.h"
#include "workers/reconciler/rec_store.h"
#include "workers/wk.h"

#define REC_JOBS_MAX 256

typedef struct rec {
    wk_t *w;
    nc_t *nc;
    job_runner_t *jobs;
    rec_store_t store;
    chan_t *ingest;
    chan_t *dispatch;
    uint64_t frames_in_total;
    uint64_t api_requests_total;
    uint64_t api_busy_total;
    uint64_t statuses_out_total;
    bool is_setup_queued;
} rec_t;

/* rec_apiq.c: API requests through the job thread */
void rec_apiq_submit(rec_t *r, proto_api_req_t *req_take);
void rec_apiq_setup(rec_t *r);

/* rec_main.c */
void rec_publish_status(rec_t *r, const char *app, const cJSON *status);

#endif
