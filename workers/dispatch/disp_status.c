/*
 * disp_status.c - publishing application statuses (spec/api.md 6).
 *
 * Runs in dispatch. A status is published with a JetStream publish (so
 * the wadm_status stream keeps it) unless it equals the last message the
 * stream holds for its subject, read from the stream leader just before.
 * Not from a memory of what this process queued last: another wadm
 * instance, owner of the lattice for a while, may have written since,
 * and a status skipped for equalling our own old one leaves the other
 * instance's in place for good. The blocking read and publish run on the
 * job thread, one job at a time, so statuses of one subject stay in
 * order and each is compared with the one published before it. A failed
 * publish is tried again every DISP_STATUS_RETRY_S until it goes out or
 * a newer status for the subject replaces it.
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
    bool is_published;
    bool is_duplicate;
    char error[160];
} disp_status_job_t;

/* Deep equality of two JSON documents (member order ignored). */
static bool
disp_json_equal(const char *a, size_t alen, const char *b)
{
    cJSON *x = cJSON_ParseWithLength(a, alen);
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
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    if (js_GetLastMsg(&m, js, JSX_STATUS_STREAM, j->subject, NULL, &jerr) ==
        NATS_OK) {
        j->is_duplicate = disp_json_equal(natsMsg_GetData(m),
                                          (size_t)natsMsg_GetDataLength(m),
                                          j->body);
        natsMsg_Destroy(m);
        if (j->is_duplicate)
            return;
    }
    jsPubAck *ack = NULL;
    jerr = 0;
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
    free(j);
}

/* Keeps subject's body for the retry timer (a newer one replaces it). */
static void
disp_status_retry_later(disp_t *d, const char *subject, const char *body)
{
    if (map_get(&d->status_retry, subject) == NULL &&
        map_count(&d->status_retry) >= DISP_STATUS_RETRY_MAX) {
        d->statuses_failed_total++; /* dropped for good */
        return;
    }
    free(map_put(&d->status_retry, subject, xstrdup(body)));
    if (!ev_is_active(&d->status_timer))
        ev_timer_again(wk_loop(d->w), &d->status_timer);
}

static void
disp_status_done(void *arg)
{
    disp_status_job_t *j = arg;
    disp_t *d = j->d;
    /* whether no newer status for the subject was queued after this one */
    const char *queued = map_get(&d->status_queued, j->subject);
    bool is_newest = queued != NULL && strcmp(queued, j->body) == 0;
    if (is_newest)
        free(map_del(&d->status_queued, j->subject));
    if (j->is_duplicate) {
        d->statuses_deduplicated_total++;
    } else if (j->is_published) {
        d->statuses_published_total++;
    } else {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "publishing status on \"%s\" failed: %s%s",
                j->subject, j->error,
                is_newest ? "; retrying in 1s" : " (a newer one follows)");
        if (is_newest)
            disp_status_retry_later(d, j->subject, j->body);
    }
    disp_status_free(j);
}

static void
disp_status_drop(void *arg)
{
    disp_status_free(arg);
}

/* Queues the comparison with the stream and the publish of body. */
static void
disp_status_submit(disp_t *d, const char *subject, const char *body)
{
    disp_status_job_t *j = xcalloc(1, sizeof(*j));
    j->d = d;
    j->subject = xstrdup(subject);
    j->body = xstrdup(body);
    if (job_submit(d->jobs, disp_status_run, disp_status_done,
                   disp_status_drop, j) != 0) {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "status on \"%s\" not queued: publish queue full; "
                "retrying in 1s", subject);
        disp_status_retry_later(d, subject, body);
        disp_status_free(j);
        return;
    }
    free(map_put(&d->status_queued, subject, xstrdup(body)));
}

void
disp_status_handle(disp_t *d, proto_status_t *st)
{
    d->statuses_in_total++;
    char *body = xstrndup((const char *)st->body.data, st->body.len);
    free(map_del(&d->status_retry, st->subject)); /* superseded */
    disp_status_submit(d, st->subject, body);
    free(body);
}

static void
disp_on_status_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    disp_t *d = t->data;
    if (!nc_is_connected(d->nc))
        return; /* the timer repeats */
    /* a publish may fail for want of the stream a failed setup left out */
    if (!d->is_js_ready)
        disp_js_setup(d);
    map_t due = d->status_retry;
    map_init(&d->status_retry);
    for (map_entry_t *e = map_first(&due); e; e = e->next) {
        d->statuses_retried_total++;
        disp_status_submit(d, e->key, e->val);
    }
    map_destroy(&due, free);
    if (map_count(&d->status_retry) == 0)
        ev_timer_stop(loop, t);
}

void
disp_status_start(disp_t *d)
{
    map_init(&d->status_queued);
    map_init(&d->status_retry);
    ev_init(&d->status_timer, disp_on_status_timer);
    d->status_timer.repeat = DISP_STATUS_RETRY_S;
    d->status_timer.data = d;
}

void
disp_status_stop(disp_t *d)
{
    ev_timer_stop(wk_loop(d->w), &d->status_timer);
    map_destroy(&d->status_queued, free);
    map_destroy(&d->status_retry, free);
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
    j->d->is_js_setup_queued = false;
    if (j->rc == 0)
        j->d->is_js_ready = true;
    else
        log_msg(LL_WARN, "JetStream setup failed: %s (retried at the next "
                "connect, or with the next status publish that fails)",
                j->error);
    free(j);
}

void
disp_js_setup(disp_t *d)
{
    if (d->is_js_setup_queued)
        return;
    disp_setup_job_t *j = xcalloc(1, sizeof(*j));
    j->d = d;
    if (job_submit(d->jobs, disp_setup_run, disp_setup_done, free, j) != 0)
        free(j);
    else
        d->is_js_setup_queued = true;
}
