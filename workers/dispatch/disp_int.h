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
#include "common/q.h"
#include "proto/proto.h"
#include "workers/wk.h"

#define DISP_JOBS_MAX 4096
#define DISP_INFLIGHT_MAX 20000 /* requests in flight or waiting, in all */
#define DISP_STATUS_RETRY_S 1.0  /* a failed status publish is tried again */
#define DISP_STATUS_RETRY_MAX 100000 /* subjects waiting for a retry */

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
    map_t status_queued;  /* subject -> last body queued (char *) */
    map_t status_retry;   /* subject -> body whose publish failed */
    ev_timer status_timer;  /* retries status_retry */
    bool is_js_ready;
    bool is_js_setup_queued;
    /* control-interface requests (disp_cmd.c) */
    char inbox[128];      /* replies arrive on <inbox>.<request id> */
    natsSubscription *inbox_sub;
    q_t *replies;         /* nats.c thread -> loop */
    map_t inflight;       /* request id -> disp_req_t, on the wire */
    map_t by_key;         /* subject+body -> disp_req_t, for dedup */
    map_t by_cmd;         /* "lattice/cmd_id" -> disp_req_t, live */
    map_t blocked;        /* "lattice/after" -> disp_req_t waiting */
    uint64_t next_req_id;
    uint64_t commands_out_total;
    uint64_t commands_ok_total;
    uint64_t commands_failed_total;
    uint64_t commands_timeout_total;
    uint64_t commands_fenced_total;     /* past their lease fence */
    uint64_t commands_no_responders_total;
    uint64_t commands_deduplicated_total;
    uint64_t commands_in_total;
    uint64_t statuses_in_total;
    uint64_t statuses_published_total;
    uint64_t statuses_deduplicated_total;
    uint64_t statuses_failed_total;
    uint64_t statuses_retried_total;
} disp_t;

/* disp_cmd.c */
void disp_cmd_handle(disp_t *d, const char *lattice, proto_command_t *c);
void disp_cmd_on_reply(disp_t *d, natsMsg *msg);
void disp_cmd_stop(disp_t *d);

/* disp_status.c */
/* Queues a status from a reconciler for comparison and publish. */
void disp_status_handle(disp_t *d, proto_status_t *st_take);
/* Sets up the status maps and the retry timer (loop thread). */
void disp_status_start(disp_t *d);
/* Stops the retry timer and frees what waits; after job_runner_free(). */
void disp_status_stop(disp_t *d);
void disp_js_setup(disp_t *d);

#endif
