/*
 * sup_http.c - the HTTP admin endpoint (--http-admin ip:port): /livez,
 * /readyz and a Prometheus /metrics.
 *
 * Runs in the supervisor, on its loop: libmicrohttpd in epoll mode
 * without threads of its own, driven by an ev_io on its epoll fd and an
 * ev_timer for its timeouts (no HTTP parsing of ours). It lives in the
 * supervisor because that is where the truth is: which workers are READY
 * (its table), whether they reach NATS (their heartbeats say so), and
 * their figures (STATUS_REP, collected every 2 s while the endpoint is on,
 * as for the SIGUSR1 dump). The supervisor still links no NATS code.
 *
 * Upstream answers /livez and /readyz "ok" unconditionally; here /readyz
 * is 200 only when every worker is READY and every NATS connection is up,
 * else 503 with the reason.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/log.h"
#include "common/map.h"
#include "common/xalloc.h"
#include "supervisor/sup_int.h"

#define SUP_HTTP_REFRESH_S 2.0

struct sup_http {
    sup_t *s;
    struct MHD_Daemon *d;
    ev_io io;
    ev_timer timer;
    ev_timer refresh;
    uint64_t requests_total;
};

static bool
sup_worker_needs_nats(const sup_worker_t *w)
{
    return w->state != SUP_WSTATE_FREE && w->state != SUP_WSTATE_DONE;
}

bool
sup_is_ready(sup_t *s, char *why, size_t cap)
{
    if (s->phase != SUP_PHASE_RUN) {
        snprintf(why, cap, "shutting down");
        return false;
    }
    bool has_ingest = false, has_dispatch = false;
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (!sup_worker_needs_nats(w))
            continue;
        if (strcmp(w->role, SUP_ROLE_INGEST) == 0)
            has_ingest = true;
        if (strcmp(w->role, SUP_ROLE_DISPATCH) == 0)
            has_dispatch = true;
        if (w->state != SUP_WSTATE_RUNNING) {
            snprintf(why, cap, "worker %s is %s", w->name,
                     sup_wstate_name(w->state));
            return false;
        }
        if (strcmp(w->nats_state, "connected") != 0) {
            snprintf(why, cap, "worker %s is not connected to NATS (%s)",
                     w->name, w->nats_state[0] ? w->nats_state : "unknown");
            return false;
        }
    }
    if (!has_ingest || !has_dispatch) {
        snprintf(why, cap, "%s is not running",
                 has_ingest ? "dispatch" : "ingest");
        return false;
    }
    why[0] = '\0';
    return true;
}

/* ---- metrics ------------------------------------------------------------ */

typedef struct sup_family {
    char *type;
    buf_t samples;
} sup_family_t;

static void
sup_family_free(void *p)
{
    sup_family_t *f = p;
    free(f->type);
    buf_destroy(&f->samples);
    free(f);
}

static void
sup_metric(map_t *fams, const char *name, const char *type,
           const char *labels, const char *value)
{
    sup_family_t *f = map_get(fams, name);
    if (f == NULL) {
        f = xcalloc(1, sizeof(*f));
        f->type = xstrdup(type);
        buf_init(&f->samples, 0);
        map_put(fams, name, f);
    }
    buf_appendf(&f->samples, "%s%s%s%s %s\n", name, labels[0] ? "{" : "",
                labels, labels[0] ? "}" : "", value);
}

static bool
sup_is_number(const char *v)
{
    if (*v == '-')
        v++;
    if (*v == '\0')
        return false;
    for (; *v; v++)
        if (!((*v >= '0' && *v <= '9') || *v == '.'))
            return false;
    return true;
}

/* A worker's status line as a metric sample. */
static void
sup_metric_line(map_t *fams, const sup_worker_t *w, const char *key,
                const char *val)
{
    if (!sup_is_number(val))
        return;
    char labels[512], name[256];
    bool is_rec = strcmp(w->role, SUP_ROLE_REC) == 0;
    size_t kl = strlen(key);
    if (strncmp(key, "api_result_", 11) == 0 && kl > 17 &&
        strcmp(key + kl - 6, "_total") == 0) {
        snprintf(labels, sizeof(labels), "result=\"%.*s\"",
                 (int)(kl - 17), key + 11);
        sup_metric(fams, "wadm_api_requests_total", "counter", labels, val);
        return;
    }
    if (strncmp(key, "apps_status_", 12) == 0 && is_rec) {
        snprintf(labels, sizeof(labels), "lattice=\"%s\",status=\"%s\"",
                 w->id, key + 12);
        sup_metric(fams, "wadm_apps", "gauge", labels, val);
        return;
    }
    if (is_rec) {
        snprintf(name, sizeof(name), "wadm_lattice_%s", key);
        snprintf(labels, sizeof(labels), "lattice=\"%s\"", w->id);
    } else {
        snprintf(name, sizeof(name), "wadm_%s_%s", w->role, key);
        labels[0] = '\0';
    }
    bool is_counter = kl > 6 && strcmp(key + kl - 6, "_total") == 0;
    sup_metric(fams, name, is_counter ? "counter" : "gauge", labels, val);
}

static char *
sup_metrics_text(sup_t *s)
{
    map_t fams;
    map_init(&fams);
    char why[256], v[64], labels[512];
    bool ready = sup_is_ready(s, why, sizeof(why));
    sup_metric(&fams, "wadm_ready", "gauge", "", ready ? "1" : "0");
    snprintf(v, sizeof(v), "%llu",
             (unsigned long long)((clk_now_ms() - s->started_ms) / 1000));
    sup_metric(&fams, "wadm_uptime_seconds", "gauge", "", v);
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *w = &s->workers[i];
        if (w->state == SUP_WSTATE_FREE)
            continue;
        snprintf(labels, sizeof(labels), "worker=\"%s\",role=\"%s\"", w->name,
                 w->role);
        sup_metric(&fams, "wadm_worker_up", "gauge", labels,
                   w->state == SUP_WSTATE_RUNNING ? "1" : "0");
        snprintf(v, sizeof(v), "%llu", (unsigned long long)w->restarts_total);
        sup_metric(&fams, "wadm_worker_restarts_total", "counter", labels, v);
        sup_metric(&fams, "wadm_worker_failed", "gauge", labels,
                   w->state == SUP_WSTATE_FAILED ? "1" : "0");
        for (size_t k = 0; k < w->last_lines.n; k++)
            sup_metric_line(&fams, w, w->last_lines.keys[k],
                            w->last_lines.vals[k]);
    }
    buf_t out;
    buf_init(&out, 0);
    for (map_entry_t *e = map_first(&fams); e; e = e->next) {
        sup_family_t *f = e->val;
        buf_appendf(&out, "# TYPE %s %s\n", e->key, f->type);
        buf_append(&out, f->samples.data, f->samples.len);
    }
    map_destroy(&fams, sup_family_free);
    return buf_take(&out, NULL);
}

/* ---- requests --------------------------------------------------------- */

static enum MHD_Result
sup_http_send(struct MHD_Connection *c, unsigned code, const char *type,
              const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result
sup_http_on_request(void *cls, struct MHD_Connection *c, const char *url,
                    const char *method, const char *version,
                    const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    struct sup_http *h = cls;
    sup_t *s = h->s;
    h->requests_total++;
    if (*upload_size != 0) {
        *upload_size = 0; /* bodies are not wanted: ignore them */
        return MHD_YES;
    }
    bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool is_head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool is_known = strcmp(url, "/livez") == 0 ||
                    strcmp(url, "/readyz") == 0 ||
                    strcmp(url, "/metrics") == 0;
    if (!is_known)
        return sup_http_send(c, MHD_HTTP_NOT_FOUND, "text/plain",
                             "not found\n");
    if (!is_get && !is_head)
        return sup_http_send(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                             "method not allowed\n");
    if (strcmp(url, "/livez") == 0)
        return sup_http_send(c, MHD_HTTP_OK, "application/json",
                             "{\"status\":\"ok\"}");
    if (strcmp(url, "/readyz") == 0) {
        char why[256], body[400];
        if (sup_is_ready(s, why, sizeof(why)))
            return sup_http_send(c, MHD_HTTP_OK, "application/json",
                                 "{\"status\":\"ok\"}");
        snprintf(body, sizeof(body),
                 "{\"status\":\"not ready\",\"reason\":\"%s\"}", why);
        return sup_http_send(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "application/json", body);
    }
    char *text = sup_metrics_text(s);
    enum MHD_Result rc = sup_http_send(
        c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text);
    free(text);
    return rc;
}

/* ---- driving libmicrohttpd from the loop --------------------------------- */

static void
sup_http_rearm(struct sup_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    ev_timer_stop(h->s->loop, &h->timer);
    if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
        ev_timer_set(&h->timer, (double)ms / 1000.0, 0.);
        ev_timer_start(h->s->loop, &h->timer);
    }
}

static void
sup_http_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct sup_http *h = w->data;
    (void)MHD_run(h->d);
    sup_http_rearm(h);
}

static void
sup_http_on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct sup_http *h = t->data;
    (void)MHD_run(h->d);
    sup_http_rearm(h);
}

static void
sup_http_on_refresh(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct sup_http *h = t->data;
    sup_status_collect(h->s, false);
}

int
sup_http_start(sup_t *s)
{
    const char *addr = s->cfg->http_admin;
    const char *colon = strrchr(addr, ':');
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0) {
        log_msg(LL_ERROR, "--http-admin \"%s\": not an ip:port (%s)", addr,
                gai_strerror(gai));
        return -1;
    }
    struct sup_http *h = xcalloc(1, sizeof(*h));
    h->s = s;
    unsigned flags = MHD_USE_EPOLL | (ai->ai_family == AF_INET6
                                          ? MHD_USE_IPv6
                                          : 0);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, sup_http_on_request, h,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (h->d == NULL) {
        log_errno(LL_ERROR, "cannot serve HTTP on \"%s\"", addr);
        free(h);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    ev_io_init(&h->io, sup_http_on_io, info->epoll_fd, EV_READ);
    h->io.data = h;
    ev_io_start(s->loop, &h->io);
    ev_init(&h->timer, sup_http_on_timer);
    h->timer.data = h;
    ev_timer_init(&h->refresh, sup_http_on_refresh, 0.1, SUP_HTTP_REFRESH_S);
    h->refresh.data = h;
    ev_timer_start(s->loop, &h->refresh);
    s->http = h;
    sup_http_rearm(h);
    log_msg(LL_INFO, "HTTP admin endpoint on %s (/livez, /readyz, /metrics)",
            addr);
    return 0;
}

void
sup_http_stop(sup_t *s)
{
    struct sup_http *h = s->http;
    if (h == NULL)
        return;
    ev_io_stop(s->loop, &h->io);
    ev_timer_stop(s->loop, &h->timer);
    ev_timer_stop(s->loop, &h->refresh);
    MHD_stop_daemon(h->d);
    free(h);
    s->http = NULL;
}
