/*
 * rec_apiq.c - API requests of one lattice through the job thread.
 *
 * Runs in rec.<lattice>. The loop hands each API_REQ to the job thread
 * (storage calls block); the reply goes back to ingest from the loop,
 * which then applies the operation's effect on the reconciler. The job
 * queue is bounded: when it is full, the request is answered at once with
 * an error rather than queued without limit.
 */
#include <stdlib.h>
#include <string.h>

#include "common/api_subj.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"
#include "workers/reconciler/rec_api.h"
#include "workers/reconciler/rec_int.h"
#include "workers/reconciler/rec_status.h"

typedef struct rec_apiq_job {
    rec_t *r;
    proto_api_req_t *req;
    rec_api_result_t res;
} rec_apiq_job_t;

static void
rec_apiq_send_reply(rec_t *r, uint64_t req_id, const char *body)
{
    if (r->ingest == NULL)
        return; /* ingest restarted: it answered the client itself */
    proto_api_rep_t rep = {0};
    rep.req_id = req_id;
    rep.body.data = (uint8_t *)body;
    rep.body.len = strlen(body);
    int rc = proto_send(r->ingest, PROTO_MSG_API_REP, &rep);
    if (rc != 0)
        log_msg(LL_WARN, "reply to API request %llu not sent (%s); ingest "
                "will answer it with a timeout", (unsigned long long)req_id,
                err_name(rc));
}

static void
rec_apiq_run(void *arg)
{
    rec_apiq_job_t *j = arg;
    rec_api_handle(&j->r->store, j->req, &j->res);
}

static void
rec_apiq_free(rec_apiq_job_t *j)
{
    proto_body_free(&proto_api_req_desc, j->req);
    rec_api_result_destroy(&j->res);
    free(j);
}

static void
rec_apiq_done(void *arg)
{
    rec_apiq_job_t *j = arg;
    rec_t *r = j->r;
    /* sent even without a reply subject: ingest forgets the request then */
    if (j->res.reply)
        rec_apiq_send_reply(r, j->req->req_id, j->res.reply);
    /*
     * Only the owner's engine acts; on a standby the owner learns of the
     * write from the manifest bucket (rec_watch.c). Before the load the
     * load reads it.
     */
    bool is_acting = rec_own_is_owner(r) && r->is_loaded;
    if (is_acting && j->res.effect == REC_EFFECT_UNDEPLOYED)
        rec_engine_undeploy(&r->engine, j->res.app, clk_now_ms());
    else if (is_acting && j->res.effect == REC_EFFECT_DEPLOYED)
        rec_engine_deploy(&r->engine, j->res.app, j->res.manifest,
                          clk_now_ms());
    else if (j->res.effect == REC_EFFECT_UNDEPLOYED)
        /* final whoever acts: said at once (the owner's is deduplicated) */
        (void)rec_publish_status(r, j->res.app, REC_STATUS_UNDEPLOYED_JSON);
    rec_apiq_free(j);
}

static void
rec_apiq_drop(void *arg)
{
    rec_apiq_free(arg);
}

void
rec_apiq_submit(rec_t *r, proto_api_req_t *req_take)
{
    r->api_requests_total++;
    wk_activity(r->w, "api %s %s", api_op_name((int)req_take->op),
                req_take->name ? req_take->name : "");
    rec_apiq_job_t *j = xcalloc(1, sizeof(*j));
    j->r = r;
    j->req = req_take;
    if (job_submit(r->jobs, rec_apiq_run, rec_apiq_done, rec_apiq_drop, j) ==
        0)
        return;
    r->api_busy_total++;
    rec_apiq_send_reply(r, req_take->req_id,
                        "{\"message\":\"wadm-c: the reconciler is busy; "
                        "please retry\",\"result\":\"error\"}");
    rec_apiq_free(j);
}

static void
rec_apiq_setup_run(void *arg)
{
    rec_t *r = arg;
    if (rec_store_setup(&r->store) != 0)
        log_msg(LL_WARN, "storage setup failed: %s (retried with the next "
                "request)", r->store.error);
}

static void
rec_apiq_setup_done(void *arg)
{
    rec_t *r = arg;
    r->is_setup_queued = false;
}

void
rec_apiq_setup(rec_t *r)
{
    if (r->is_setup_queued)
        return;
    if (job_submit(r->jobs, rec_apiq_setup_run, rec_apiq_setup_done, NULL,
                   r) == 0)
        r->is_setup_queued = true;
}
