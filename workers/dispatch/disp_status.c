/*
 * disp_status.c - publishing application statuses (spec/api.md 6).
 *
 * Runs in dispatch. A status is published with a JetStream publish (so
 * the wadm_status stream keeps it) and skipped when it equals the last
 * one stored for its subject. The last stored one is read once per
 * subject (the stream may hold one from before a restart, or from
 * another wadm), then remembered. The blocking publish and read run on
 * the job thread, one at a time, so statuses of one subject stay in order.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsx.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "workers/dispatch/disp_int.h"

typedef struct disp_status_job {
    disp_t *d;
    char *subject;
    char *body;
    char *last;          /* last stored body known on the loop, or NULL */
    bool is_published;
    bool is_duplicate;
    char error[160];
} disp_status_job_t;

/* Deep equality of two JSON documents (member order ignored). */
static bool
disp_json_equal(const char *a, const char *b)
{
    cJSON *x = cJSON_Parse(a);
    cJSON *y = cJSON_Parse(b);
    bool eq = x && y && cJSON_Compare(x, y, true);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return eq;
}

static void
disp_status_run(void *arg)
{
    disp_status_job_t *j = arg;
    jsCtx *js = nc_js(j->d->nc);
    if (j->last == NULL) {
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        if (js_GetLastMsg(&m, js, JSX_STATUS_STREAM, j->subject, NULL,
                          &jerr) == NATS_OK) {
            j->last = xstrndup(natsMsg_GetData(m),
                               (size_t)natsMsg_GetDataLength(m));
            natsMsg_Destroy(m);
        }
    }
    if (j->last && disp_json_equal(j->last, j->body)) {
        j->is_duplicate = true;
        return;
    }
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_Publish(&ack, js, j->subject, j->body,
                              (int)strlen(j->body), NULL, &jerr);
    jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
        snprintf(j->error, sizeof(j->error), "%s (%d)", natsStatus_GetText(s),
                 (int)jerr);
        return;
    }
    j->is_published = true;
}

static void
disp_status_free(disp_status_job_t *j)
{
    free(j->subject);
    free(j->body);
    free(j->last);
    free(j);
}

static void
disp_status_done(void *arg)
{
    disp_status_job_t *j = arg;
    disp_t *d = j->d;
    if (j->is_duplicate) {
        d->statuses_deduplicated_total++;
        free(map_put(&d->last_status, j->subject, j->body));
        j->body = NULL;
    } else if (j->is_published) {
        d->statuses_published_total++;
        free(map_put(&d->last_status, j->subject, j->body));
        j->body = NULL;
    } else {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "publishing status on \"%s\" failed: %s", j->subject,
                j->error);
    }
    disp_status_free(j);
}

static void
disp_status_drop(void *arg)
{
    disp_status_free(arg);
}

void
disp_status_handle(disp_t *d, proto_status_t *st)
{
    d->statuses_in_total++;
    const char *last = map_get(&d->last_status, st->subject);
    if (last && disp_json_equal(last, (const char *)st->body.data)) {
        d->statuses_deduplicated_total++;
        return;
    }
    disp_status_job_t *j = xcalloc(1, sizeof(*j));
    j->d = d;
    j->subject = xstrdup(st->subject);
    j->body = xstrndup((const char *)st->body.data, st->body.len);
    j->last = last ? xstrdup(last) : NULL;
    if (job_submit(d->jobs, disp_status_run, disp_status_done,
                   disp_status_drop, j) != 0) {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "status on \"%s\" dropped: publish queue full",
                j->subject);
        disp_status_free(j);
    }
}

typedef struct disp_setup_job {
    disp_t *d;
    int rc;
    char error[256];
} disp_setup_job_t;

static void
disp_setup_run(void *arg)
{
    disp_setup_job_t *j = arg;
    j->rc = jsx_ensure_all(nc_js(j->d->nc), wk_cfg(j->d->w), j->error,
                           sizeof(j->error));
}

static void
disp_setup_done(void *arg)
{
    disp_setup_job_t *j = arg;
    if (j->rc == 0)
        j->d->is_js_ready = true;
    else
        log_msg(LL_WARN, "JetStream setup failed: %s (retried at the next "
                "connect)", j->error);
    free(j);
}

void
disp_js_setup(disp_t *d)
{
    disp_setup_job_t *j = xcalloc(1, sizeof(*j));
    j->d = d;
    if (job_submit(d->jobs, disp_setup_run, disp_setup_done, free, j) != 0)
        free(j);
}
