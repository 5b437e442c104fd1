/*
 * sup_status.c - the SIGUSR1 status dump (STYLE.md section 8).
 *
 * Runs in the supervisor only. SIGUSR1 sends STATUS_REQ to every live
 * worker, waits in the loop for the replies (at most
 * --status-reply-timeout-ms), then writes <run_dir>/wadm.status through a
 * temporary file and rename(), and logs one line. Worker lines are
 * validated (keys [a-z0-9_], values without newlines) and copied without
 * interpretation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/log.h"
#include "proto/proto_chan.h"
#include "supervisor/sup_int.h"

const char *
sup_wstate_name(int state)
{
    switch (state) {
    case SUP_WSTATE_STARTING: return "starting";
    case SUP_WSTATE_RUNNING: return "running";
    case SUP_WSTATE_STOPPING: return "stopping";
    case SUP_WSTATE_BACKOFF: return "backoff";
    case SUP_WSTATE_FAILED: return "failed";
    case SUP_WSTATE_DONE: return "done";
    default: return "free";
    }
}

static bool
sup_status_key_ok(const char *k)
{
    if (*k == '\0')
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
              *k == '_'))
            return false;
    return true;
}

static bool
sup_status_val_ok(const char *v)
{
    return strchr(v, '\n') == NULL && strchr(v, '\r') == NULL;
}

/* Fixed order: dispatch, reconcilers by lattice, ingest (startup order). */
static int
sup_worker_cmp(const void *a, const void *b)
{
    const sup_worker_t *x = *(sup_worker_t *const *)a;
    const sup_worker_t *y = *(sup_worker_t *const *)b;
    if (x->order != y->order)
        return x->order - y->order;
    return strcmp(x->id, y->id);
}

static void
sup_status_write(sup_t *s)
{
    uint64_t now = clk_now_ms();
    buf_t b;
    buf_init(&b, 0);
    size_t failed = 0, running = 0, total = 0;
    sup_worker_t **list = calloc(s->nworkers ? s->nworkers : 1,
                                 sizeof(*list));
    size_t n = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state == SUP_WSTATE_FREE)
            continue;
        total++;
        if (w->state == SUP_WSTATE_FAILED)
            failed++;
        if (w->state == SUP_WSTATE_RUNNING)
            running++;
        if (list)
            list[n++] = w;
    }
    if (list)
        qsort(list, n, sizeof(*list), sup_worker_cmp);
    buf_appendf(&b, "# supervisor\n");
#ifdef WADM_VERSION
    buf_appendf(&b, "version:%s\n", WADM_VERSION);
#endif
    buf_appendf(&b, "proto_version:%d\n", PROTO_VERSION);
    buf_appendf(&b, "pid:%ld\n", (long)getpid());
    buf_appendf(&b, "instance_id:%s\n",
                s->cfg->host_id ? s->cfg->host_id : "");
    buf_appendf(&b, "uptime_s:%llu\n",
                (unsigned long long)((now - s->started_ms) / 1000));
    buf_appendf(&b, "workers_total:%zu\n", total);
    buf_appendf(&b, "workers_running:%zu\n", running);
    buf_appendf(&b, "workers_failed:%zu\n", failed);
    buf_appendf(&b, "nats_embedded:%s\n", s->nats_pid > 0 ? "yes" : "no");
    char *shown = cfg_url_redact(s->cfg->nats_server);
    buf_appendf(&b, "nats_url:%s\n", shown);
    free(shown);
    if (s->nats_dir[0])
        buf_appendf(&b, "nats_embedded_restarts_total:%llu\n",
                    (unsigned long long)s->nats_restarts_total);
    /* the lattices whose lease this instance holds (rec_own.c) */
    buf_appendf(&b, "lattices_owned:");
    size_t owned = 0;
    for (size_t i = 0; i < n; i++) {
        const sup_worker_t *w = list[i];
        for (size_t k = 0; w->has_status && k < w->status_lines.n; k++)
            if (strcmp(w->status_lines.keys[k], "lease") == 0 &&
                strcmp(w->status_lines.vals[k], "owner") == 0)
                buf_appendf(&b, "%s%s", owned++ ? "," : "", w->id);
    }
    buf_appendf(&b, "\nlattices_owned_count:%zu\n", owned);
    /* counts this dump, so readers can tell a new file from an old one */
    buf_appendf(&b, "dumps_total:%llu\n",
                (unsigned long long)s->dumps_total + 1);
    for (size_t i = 0; i < n; i++) {
        sup_worker_t *w = list[i];
        buf_appendf(&b, "\n# worker %s\n", w->name);
        buf_appendf(&b, "role:%s\n", w->role);
        buf_appendf(&b, "state:%s\n", sup_wstate_name(w->state));
        buf_appendf(&b, "pid:%ld\n", (long)w->pid);
        if (w->pid > 0)
            buf_appendf(&b, "uptime_ms:%llu\n",
                        (unsigned long long)(now - w->spawned_ms));
        buf_appendf(&b, "restarts_total:%llu\n",
                    (unsigned long long)w->restarts_total);
        buf_appendf(&b, "restarts_in_window:%zu\n",
                    sup_policy_in_window(&w->history, &s->policy, now));
        buf_appendf(&b, "last_exit:%s\n",
                    w->last_exit[0] ? w->last_exit : "none");
        buf_appendf(&b, "last_heartbeat_age_ms:%llu\n",
                    (unsigned long long)(w->pid > 0 ? now - w->last_beat_ms
                                                    : 0));
        const char *reply = w->has_status ? "ok"
                            : w->pid > 0 ? "timeout"
                                         : "none";
        buf_appendf(&b, "reply:%s\n", reply);
        for (size_t k = 0; w->has_status && k < w->status_lines.n; k++) {
            const char *key = w->status_lines.keys[k];
            const char *val = w->status_lines.vals[k];
            if (sup_status_key_ok(key) && sup_status_val_ok(val))
                buf_appendf(&b, "%s:%s\n", key, val);
        }
    }
    free(list);

    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/wadm.status", s->cfg->run_dir);
    snprintf(tmp, sizeof(tmp), "%s/.wadm.status.%ld", s->cfg->run_dir,
             (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = false;
    if (fd < 0) {
        log_errno(LL_ERROR, "open() failed for status dump \"%s\"", tmp);
    } else {
        size_t off = 0;
        while (off < b.len) {
            ssize_t w = write(fd, b.data + off, b.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        ok = off == b.len && close(fd) == 0;
        if (off != b.len)
            log_errno(LL_ERROR, "write() failed for status dump \"%s\"", tmp);
        if (ok && rename(tmp, path) != 0) {
            log_errno(LL_ERROR, "rename() failed for status dump \"%s\"",
                      path);
            ok = false;
        }
        if (!ok)
            unlink(tmp);
    }
    if (ok)
        log_msg(LL_INFO, "status dump written to \"%s\" (%zu workers, %zu "
                "running, %zu failed)", path, total, running, failed);
    buf_destroy(&b);
}

static void
sup_status_finish(sup_t *s)
{
    ev_timer_stop(s->loop, &s->status_timer);
    if (s->is_dump_wanted) {
        sup_status_write(s);
        s->dumps_total++;
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->has_status) {
            /* kept for /metrics until the next round */
            proto_kv_destroy(&w->last_lines);
            w->last_lines = w->status_lines;
            memset(&w->status_lines, 0, sizeof(w->status_lines));
        }
        w->is_status_pending = false;
        w->has_status = false;
        proto_kv_destroy(&w->status_lines);
    }
    s->is_collecting = false;
    s->is_dump_wanted = false;
}

static void
sup_status_check_done(sup_t *s)
{
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].is_status_pending)
            return;
    sup_status_finish(s);
}

static void
sup_on_status_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_t *s = t->data;
    sup_status_finish(s);
}

void
sup_status_reply(sup_t *s, sup_worker_t *w, proto_status_rep_t *rep)
{
    if (!s->is_collecting || !w->is_status_pending)
        return;
    proto_kv_destroy(&w->status_lines);
    w->status_lines = rep->lines;
    memset(&rep->lines, 0, sizeof(rep->lines));
    w->has_status = true;
    w->is_status_pending = false;
    sup_status_check_done(s);
}

void
sup_status_worker_gone(sup_t *s, sup_worker_t *w)
{
    if (!s->is_collecting || !w->is_status_pending)
        return;
    w->is_status_pending = false;
    sup_status_check_done(s);
}

void
sup_on_sigusr1(struct ev_loop *loop, ev_signal *sig, int revents)
{
    (void)loop;
    (void)revents;
    sup_status_collect(sig->data, true);
}

void
sup_status_collect(sup_t *s, bool is_dump)
{
    if (is_dump)
        s->is_dump_wanted = true;
    if (s->is_collecting)
        return; /* the round under way answers this request too */
    s->is_collecting = true;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        w->has_status = false;
        if (w->chan && w->pid > 0 &&
            (w->state == SUP_WSTATE_RUNNING ||
             w->state == SUP_WSTATE_STARTING) &&
            proto_send(w->chan, PROTO_MSG_STATUS_REQ, NULL) == 0)
            w->is_status_pending = true;
    }
    ev_timer_init(&s->status_timer, sup_on_status_timeout,
                  (double)s->cfg->status_reply_timeout_ms / 1000.0, 0.);
    s->status_timer.data = s;
    ev_timer_start(s->loop, &s->status_timer);
    sup_status_check_done(s);
}
