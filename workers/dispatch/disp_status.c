/*
 * disp_status.c - publishing application statuses (spec/api.md 6).
 *
 * Runs in dispatch. A status is published with a JetStream publish (so
 * the wadm_status stream keeps it) and skipped when it equals the last
 * one handed to the publisher for its subject. That memory is updated
 * when a status is queued, not when its publish completes: a status
 * equal to the last published one but queued behind a different one
 * must still go out, or the stream keeps the one in between. When
 * nothing is known for a subject (first status, or after a failure) the
 * last stored message is read first (the stream may hold one from
 * before a restart, or from another wadm). A failed publish forgets the
 * subject and is tried again every DISP_STATUS_RETRY_S until it goes out
 * or a newer status replaces it. The blocking publish and read run on
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
    bool is_last_known;  /* else the stream's last message is compared */
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

bool
disp_status_note(map_t *last, const char *subject, const char *body)
{
    const char *prev = map_get(last, subject);
    if (prev != NULL && disp_json_equal(prev, body))
        return false;
    free(map_put(last, subject, xstrdup(body)));
    return true;
}

void
disp_status_forget(map_t *last, const char *subject, const char *body)
{
    const char *prev = map_get(last, subject);
    if (prev != NULL && strcmp(prev, body) == 0)
        free(map_del(last, subject));
}

static void
disp_status_run(void *arg)
{
    disp_status_job_t *j = arg;
    jsCtx *js = nc_js(j->d->nc);
    if (!j->is_last_known) {
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        if (js_GetLastMsg(&m, js, JSX_STATUS_STREAM, j->subject, NULL,
                          &jerr) == NATS_OK) {
            char *last = xstrndup(natsMsg_GetData(m),
                                  (size_t)natsMsg_GetDataLength(m));
            natsMsg_Destroy(m);
            j->is_duplicate = disp_json_equal(last, j->body);
            free(last);
            if (j->is_duplicate)
                return;
        }
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
    free(j);
}

/* Keeps subject's body for the retry timer (a newer one replaces it). */
static void
disp_status_retry_later(disp_t *d, const char *subject, const char *body)
{
    disp_status_forget(&d->last_status, subject, body);
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
    if (j->is_duplicate) {
        d->statuses_deduplicated_total++;
    } else if (j->is_published) {
        d->statuses_published_total++;
    } else {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "publishing status on \"%s\" failed: %s; retrying "
                "in %.0fs", j->subject, j->error, DISP_STATUS_RETRY_S);
        /* unless a newer status for the subject is queued already */
        const char *now = map_get(&d->last_status, j->subject);
        if (now != NULL && strcmp(now, j->body) == 0)
            disp_status_retry_later(d, j->subject, j->body);
    }
    disp_status_free(j);
}

static void
disp_status_drop(void *arg)
{
    disp_status_free(arg);
}

/* Queues the publish of body on subject unless it is the last queued. */
static void
disp_status_submit(disp_t *d, const char *subject, const char *body)
{
    bool is_known = map_get(&d->last_status, subject) != NULL;
    if (!disp_status_note(&d->last_status, subject, body)) {
        d->statuses_deduplicated_total++;
        return;
    }
    disp_status_job_t *j = xcalloc(1, sizeof(*j));
    j->d = d;
    j->subject = xstrdup(subject);
    j->body = xstrdup(body);
    j->is_last_known = is_known;
    if (job_submit(d->jobs, disp_status_run, disp_status_done,
                   disp_status_drop, j) != 0) {
        d->statuses_failed_total++;
        log_msg(LL_WARN, "status on \"%s\" not queued: publish queue full; "
                "retrying in %.0fs", subject, DISP_STATUS_RETRY_S);
        disp_status_retry_later(d, subject, body);
        disp_status_free(j);
    }
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
    map_init(&d->last_status);
    map_init(&d->status_retry);
    ev_init(&d->status_timer, disp_on_status_timer);
    d->status_timer.repeat = DISP_STATUS_RETRY_S;
    d->status_timer.data = d;
}

void
disp_status_stop(disp_t *d)
{
    ev_timer_stop(wk_loop(d->w), &d->status_timer);
    map_destroy(&d->last_status, free);
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
