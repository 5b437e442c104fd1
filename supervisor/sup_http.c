/*
 * sup_http.c - the HTTP admin endpoint (--http-admin ip:port): /livez,
 * /readyz and a Prometheus /metrics, served by a small HTTP/1.1 server of
 * our own on the supervisor's loop (one ev_io and one ev_timer per
 * connection, one request per connection, heads parsed by sup_http_req.c).
 * It lives in the supervisor because that is where the truth is: which
 * workers are READY (its table), whether they reach NATS (their heartbeats
 * say so), and their figures (STATUS_REP, collected every 2 s while the
 * endpoint is on, as for the SIGUSR1 dump). The supervisor still links no
 * NATS code, and no HTTP or TLS library (libmicrohttpd pulled in gnutls,
 * 2.4 MB of RSS, even with the endpoint off).
 *
 * It must never block the loop or leak an fd into a worker. Upstream
 * answers /readyz "ok" unconditionally; here it is 200 only when every
 * worker is READY and every NATS connection is up, else 503 and why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/map.h"
#include "common/xalloc.h"
#include "supervisor/sup_http_req.h"
#include "supervisor/sup_int.h"

#define SUP_HTTP_REFRESH_S 2.0
/* After the response, how long and how much a client may still send
   before we close: closing with unread bytes makes the kernel send a
   reset, which can destroy the response before the client reads it. */
#define SUP_HTTP_LINGER_S 2.0
#define SUP_HTTP_LINGER_BYTES 65536
/* accept4() out of fds or memory: how long to stop accepting */
#define SUP_HTTP_PAUSE_S 1.0

enum sup_http_cstate {
    SUP_HTTP_CFREE = 0, /* slot unused, fd -1 */
    SUP_HTTP_CREAD,     /* reading the head */
    SUP_HTTP_CWRITE,    /* sending the response */
    SUP_HTTP_CLINGER,   /* response sent, write side shut, reading to EOF */
};

typedef struct sup_http_conn {
    struct sup_http *h;
    int fd;
    int state;
    ev_io io;
    ev_timer timer;            /* SUP_HTTP_TIMEOUT_MS from accept */
    char *in;                  /* SUP_HTTP_HEAD_MAX bytes while reading */
    size_t in_len;
    buf_t out;                 /* the whole response */
    size_t out_off;            /* how much of it is sent */
    size_t drained_bytes;      /* read and dropped while lingering */
} sup_http_conn_t;

struct sup_http {
    sup_t *s;
    const char *addr;          /* the --http-admin value, for logs */
    int fd;                    /* listening socket */
    ev_io io;                  /* stopped while the slots are full */
    ev_timer pause;            /* accept4() failed for want of resources */
    ev_timer refresh;
    size_t nconns;
    uint64_t requests_total;   /* answered, bad requests included */
    sup_http_conn_t conns[SUP_HTTP_CONN_MAX];
};

static bool
sup_worker_needs_nats(const sup_worker_t *w)
{
    return w->state != SUP_WSTATE_FREE && w->state != SUP_WSTATE_DONE;
}

/*
 * Whether wadm is ready: running (not shutting down), ingest and dispatch
 * up, every worker READY and connected to NATS. When not, writes the
 * first reason found into why (cap bytes, caller's). Pure table reading.
 */
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

/* ---- requests ------------------------------------------------------------ */

typedef struct sup_http_status {
    int code;
    const char *reason;
    const char *body;          /* for the codes answered with plain text */
} sup_http_status_t;

static const sup_http_status_t sup_http_statuses[] = {
    {200, "OK", ""},
    {400, "Bad Request", "bad request\n"},
    {404, "Not Found", "not found\n"},
    {405, "Method Not Allowed", "method not allowed\n"},
    {414, "URI Too Long", "URI too long\n"},
    {431, "Request Header Fields Too Large",
     "request header fields too large\n"},
    {503, "Service Unavailable", ""},
    {505, "HTTP Version Not Supported", "HTTP version not supported\n"},
};

static const sup_http_status_t *
sup_http_status(int code)
{
    size_t n = sizeof(sup_http_statuses) / sizeof(sup_http_statuses[0]);
    for (size_t i = 0; i < n; i++)
        if (sup_http_statuses[i].code == code)
            return &sup_http_statuses[i];
    return &sup_http_statuses[1]; /* the parser answers only these */
}

static bool
sup_http_is(const char *p, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(p, lit, len) == 0;
}

/*
 * Writes status line, headers and (unless is_head) body into c->out.
 * Content-Length is the body's length for HEAD too (RFC 9110 9.3.2).
 */
static void
sup_http_compose(sup_http_conn_t *c, int code, const char *type,
                 const char *body, bool is_head)
{
    const sup_http_status_t *st = sup_http_status(code);
    /* RFC 9110 6.6.1: an origin server with a clock sends Date */
    char date[64];
    struct tm tm;
    time_t now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n",
                 &tm) == 0)
        date[0] = '\0';
    size_t blen = strlen(body);
    buf_reset(&c->out);
    /* an uncapped buf cannot fail: xrealloc aborts first */
    (void)buf_appendf(&c->out,
                      "HTTP/1.1 %d %s\r\n"
                      "%s"
                      "Content-Type: %s\r\n"
                      "Content-Length: %zu\r\n"
                      "Connection: close\r\n"
                      "%s"
                      "\r\n",
                      code, st->reason, date, type, blen,
                      code == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (!is_head)
        (void)buf_append(&c->out, body, blen);
}

/* Builds the answer to a complete head, or to a bad one (rc != 0). */
static void
sup_http_route(sup_http_conn_t *c, int rc, const sup_http_req_t *req)
{
    sup_t *s = c->h->s;
    if (rc != 0) {
        /* the method may not be known: bad heads get a body, and the
           connection closes after it anyway */
        log_msg(LL_DEBUG, "HTTP admin request refused with %d after %zu "
                "bytes", req->status, c->in_len);
        sup_http_compose(c, req->status, "text/plain",
                         sup_http_status(req->status)->body, false);
        return;
    }
    const char *path = req->path;
    size_t plen = req->path_len;
    bool is_get = sup_http_is(req->method, req->method_len, "GET");
    bool is_head = sup_http_is(req->method, req->method_len, "HEAD");
    bool is_livez = sup_http_is(path, plen, "/livez");
    bool is_readyz = sup_http_is(path, plen, "/readyz");
    bool is_metrics = sup_http_is(path, plen, "/metrics");
    int code = 200;
    if (!is_livez && !is_readyz && !is_metrics) {
        code = 404;
        sup_http_compose(c, code, "text/plain", sup_http_status(code)->body,
                         is_head);
    } else if (!is_get && !is_head) {
        code = 405;
        sup_http_compose(c, code, "text/plain", sup_http_status(code)->body,
                         false);
    } else if (is_livez) {
        sup_http_compose(c, code, "application/json", "{\"status\":\"ok\"}",
                         is_head);
    } else if (is_readyz) {
        char why[256], body[1700];
        if (sup_is_ready(s, why, sizeof(why))) {
            snprintf(body, sizeof(body), "{\"status\":\"ok\"}");
        } else {
            /* why names workers, whose lattice ids may hold any byte */
            code = 503;
            size_t n = (size_t)snprintf(body, sizeof(body),
                                        "{\"status\":\"not ready\","
                                        "\"reason\":\"");
            n = log_json_escape(body, n, sizeof(body) - 3, why);
            snprintf(body + n, sizeof(body) - n, "\"}");
        }
        sup_http_compose(c, code, "application/json", body, is_head);
    } else {
        char *text = sup_metrics_text(s);
        sup_http_compose(c, code, "text/plain; version=0.0.4; charset=utf-8",
                         text, is_head);
        free(text);
    }
    log_msg(LL_DEBUG, "HTTP admin %.*s %.*s: %d", (int)req->method_len,
            req->method, (int)(plen > 200 ? 200 : plen), path, code);
}

/* ---- connections --------------------------------------------------------- */

static void sup_http_on_conn_io(struct ev_loop *loop, ev_io *w, int revents);
static void sup_http_on_conn_timeout(struct ev_loop *loop, ev_timer *t,
                                     int revents);

static void
sup_http_conn_watch(sup_http_conn_t *c, int events)
{
    struct ev_loop *loop = c->h->s->loop;
    if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) ==
                                    events)
        return;
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(loop, &c->io);
}

static void
sup_http_conn_close(sup_http_conn_t *c)
{
    struct sup_http *h = c->h;
    struct ev_loop *loop = h->s->loop;
    ev_io_stop(loop, &c->io);
    ev_timer_stop(loop, &c->timer);
    /* the descriptor is released even when close() reports an error, and
       there is no one left to tell */
    (void)close(c->fd);
    c->fd = -1;
    c->state = SUP_HTTP_CFREE;
    free(c->in);
    c->in = NULL;
    buf_destroy(&c->out);
    h->nconns--;
    if (h->fd >= 0 && !ev_is_active(&h->io) && !ev_is_active(&h->pause))
        ev_io_start(loop, &h->io);
}

static void
sup_http_conn_open(struct sup_http *h, int fd)
{
    sup_http_conn_t *c = NULL;
    for (size_t i = 0; i < SUP_HTTP_CONN_MAX && c == NULL; i++)
        if (h->conns[i].state == SUP_HTTP_CFREE)
            c = &h->conns[i];
    if (c == NULL) {
        /* the caller counted wrong; refuse rather than overrun */
        log_msg(LL_ERROR, "no free HTTP admin connection slot for fd %d",
                fd);
        (void)close(fd); /* never used: nothing to lose */
        return;
    }
    c->h = h;
    c->fd = fd;
    c->state = SUP_HTTP_CREAD;
    c->in = xmalloc(SUP_HTTP_HEAD_MAX);
    c->in_len = 0;
    buf_init(&c->out, 0);
    c->out_off = 0;
    c->drained_bytes = 0;
    ev_io_init(&c->io, sup_http_on_conn_io, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->timer, sup_http_on_conn_timeout,
                  SUP_HTTP_TIMEOUT_MS / 1000.0, 0.);
    c->timer.data = c;
    ev_io_start(h->s->loop, &c->io);
    ev_timer_start(h->s->loop, &c->timer);
    h->nconns++;
}

/* The response is out: half-close, then read what the client still sends
   until it closes, for at most SUP_HTTP_LINGER_S of the time left. */
static void
sup_http_conn_linger(sup_http_conn_t *c)
{
    struct ev_loop *loop = c->h->s->loop;
    buf_destroy(&c->out);
    if (shutdown(c->fd, SHUT_WR) != 0) {
        log_errno(LL_DEBUG, "shutdown() failed on an HTTP admin connection");
        sup_http_conn_close(c);
        return;
    }
    c->state = SUP_HTTP_CLINGER;
    sup_http_conn_watch(c, EV_READ);
    ev_tstamp left = ev_timer_remaining(loop, &c->timer);
    ev_timer_stop(loop, &c->timer);
    ev_timer_set(&c->timer, left < SUP_HTTP_LINGER_S ? left : SUP_HTTP_LINGER_S,
                 0.);
    ev_timer_start(loop, &c->timer);
}

/* Sends what the socket takes; waits for EV_WRITE when it takes no more. */
static void
sup_http_conn_flush(sup_http_conn_t *c)
{
    while (c->out_off < c->out.len) {
        ssize_t r = send(c->fd, c->out.data + c->out_off,
                         c->out.len - c->out_off, MSG_NOSIGNAL);
        if (r >= 0) {
            c->out_off += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            sup_http_conn_watch(c, EV_WRITE);
            return;
        }
        log_errno(LL_DEBUG, "send() failed on an HTTP admin connection "
                  "after %zu of %zu bytes", c->out_off, c->out.len);
        sup_http_conn_close(c);
        return;
    }
    sup_http_conn_linger(c);
}

static void
sup_http_conn_read(sup_http_conn_t *c)
{
    bool is_eof = false;
    while (c->in_len < SUP_HTTP_HEAD_MAX) {
        ssize_t r = recv(c->fd, c->in + c->in_len,
                         SUP_HTTP_HEAD_MAX - c->in_len, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            continue;
        }
        if (r == 0) {
            is_eof = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        log_errno(LL_DEBUG, "recv() failed on an HTTP admin connection");
        sup_http_conn_close(c);
        return;
    }
    sup_http_req_t req;
    int rc = sup_http_req_parse(c->in, c->in_len, &req);
    if (rc == ERR_AGAIN) {
        if (is_eof) {
            log_msg(LL_DEBUG, "HTTP admin client closed after %zu bytes, "
                    "before a complete request", c->in_len);
            sup_http_conn_close(c);
        }
        return;
    }
    c->h->requests_total++;
    sup_http_route(c, rc, &req);
    free(c->in); /* req points into it: done with both */
    c->in = NULL;
    c->state = SUP_HTTP_CWRITE;
    sup_http_conn_flush(c);
}

static void
sup_http_conn_drain(sup_http_conn_t *c)
{
    char scratch[4096];
    for (;;) {
        ssize_t r = recv(c->fd, scratch, sizeof(scratch), 0);
        if (r > 0) {
            c->drained_bytes += (size_t)r;
            if (c->drained_bytes <= SUP_HTTP_LINGER_BYTES)
                continue;
            log_msg(LL_DEBUG, "HTTP admin client sent more than %d bytes "
                    "after its response", SUP_HTTP_LINGER_BYTES);
            break;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break; /* EOF, or a reset: the exchange is over either way */
    }
    sup_http_conn_close(c);
}

static void
sup_http_on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    sup_http_conn_t *c = w->data;
    switch (c->state) {
    case SUP_HTTP_CREAD:
        sup_http_conn_read(c);
        break;
    case SUP_HTTP_CWRITE:
        sup_http_conn_flush(c);
        break;
    case SUP_HTTP_CLINGER:
        sup_http_conn_drain(c);
        break;
    default:
        break;
    }
}

static void
sup_http_on_conn_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_http_conn_t *c = t->data;
    if (c->state == SUP_HTTP_CREAD)
        log_msg(LL_DEBUG, "HTTP admin client sent no complete request in "
                "%d ms (%zu bytes)", SUP_HTTP_TIMEOUT_MS, c->in_len);
    else if (c->state == SUP_HTTP_CWRITE)
        log_msg(LL_DEBUG, "HTTP admin client took no more than %zu of %zu "
                "bytes in %d ms", c->out_off, c->out.len,
                SUP_HTTP_TIMEOUT_MS);
    sup_http_conn_close(c);
}

/* ---- listening ----------------------------------------------------------- */

static void
sup_http_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct sup_http *h = w->data;
    while (h->nconns < SUP_HTTP_CONN_MAX) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            sup_http_conn_open(h, fd);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EINTR:
        case ECONNABORTED:
        /* Linux reports the new connection's network errors here
           (accept(2)): that connection is gone, the next may be fine */
        case EPROTO:
        case ENOPROTOOPT:
        case ENETDOWN:
        case ENETUNREACH:
        case EHOSTDOWN:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENONET:
            continue;
        default:
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection waits in
               the backlog, and retrying now would spin */
            log_errno(LL_WARN, "accept4() failed on the HTTP admin endpoint "
                      "\"%s\", pausing %.0f s", h->addr, SUP_HTTP_PAUSE_S);
            ev_io_stop(loop, &h->io);
            ev_timer_set(&h->pause, SUP_HTTP_PAUSE_S, 0.);
            ev_timer_start(loop, &h->pause);
            return;
        }
    }
    /* every slot is taken: the rest waits in the backlog until one ends */
    ev_io_stop(loop, &h->io);
}

static void
sup_http_on_pause(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct sup_http *h = t->data;
    if (h->nconns < SUP_HTTP_CONN_MAX)
        ev_io_start(loop, &h->io);
}

static void
sup_http_on_refresh(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct sup_http *h = t->data;
    sup_status_collect(h->s, false);
}

/* A listening socket on ai, or ERR_SYS after logging the failed call. */
static int
sup_http_listen(const struct addrinfo *ai, const char *addr)
{
    const char *call = "socket";
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (fd < 0)
        goto fail;
    call = "setsockopt(SO_REUSEADDR)";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto fail;
    /* "[::]:port" serves IPv6 only, as before, whatever the sysctl says */
    call = "setsockopt(IPV6_V6ONLY)";
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        goto fail;
    call = "bind";
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        goto fail;
    call = "listen";
    if (listen(fd, SUP_HTTP_CONN_MAX) != 0)
        goto fail;
    return fd;
fail:
    log_errno(LL_ERROR, "%s() failed, cannot serve HTTP on \"%s\"", call,
              addr);
    if (fd >= 0)
        (void)close(fd); /* never listened on: nothing to lose */
    return ERR_SYS;
}

/*
 * Starts the endpoint on s->cfg->http_admin (a numeric "ip:port", IPv6 in
 * brackets): listens, and serves from the loop until sup_http_stop().
 * Returns 0, ERR_CONFIG for an address that is not numeric, or ERR_SYS
 * when it cannot listen; both logged. Does not block.
 */
int
sup_http_start(sup_t *s)
{
    const char *addr = s->cfg->http_admin;
    const char *colon = strrchr(addr, ':');
    if (colon == NULL) {
        log_msg(LL_ERROR, "--http-admin \"%s\": not an ip:port", addr);
        return ERR_CONFIG;
    }
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0) {
        log_msg(LL_ERROR, "--http-admin \"%s\": not an ip:port (%s)", addr,
                gai_strerror(gai));
        return ERR_CONFIG;
    }
    int fd = sup_http_listen(ai, addr);
    freeaddrinfo(ai);
    if (fd < 0)
        return fd;
    struct sup_http *h = xcalloc(1, sizeof(*h));
    h->s = s;
    h->addr = addr;
    h->fd = fd;
    for (size_t i = 0; i < SUP_HTTP_CONN_MAX; i++)
        h->conns[i].fd = -1;
    ev_io_init(&h->io, sup_http_on_accept, fd, EV_READ);
    h->io.data = h;
    ev_io_start(s->loop, &h->io);
    ev_init(&h->pause, sup_http_on_pause);
    h->pause.data = h;
    ev_timer_init(&h->refresh, sup_http_on_refresh, 0.1, SUP_HTTP_REFRESH_S);
    h->refresh.data = h;
    ev_timer_start(s->loop, &h->refresh);
    s->http = h;
    log_msg(LL_INFO, "HTTP admin endpoint on %s (/livez, /readyz, /metrics)",
            addr);
    return 0;
}

/*
 * Closes every connection, answered or not, and the listening socket, and
 * frees the endpoint. A no-op when it was never started.
 */
void
sup_http_stop(sup_t *s)
{
    struct sup_http *h = s->http;
    if (h == NULL)
        return;
    ev_io_stop(s->loop, &h->io);
    ev_timer_stop(s->loop, &h->pause);
    ev_timer_stop(s->loop, &h->refresh);
    (void)close(h->fd); /* a listening socket holds no data */
    h->fd = -1;
    for (size_t i = 0; i < SUP_HTTP_CONN_MAX; i++)
        if (h->conns[i].state != SUP_HTTP_CFREE)
            sup_http_conn_close(&h->conns[i]);
    log_msg(LL_INFO, "HTTP admin endpoint stopped after %llu requests",
            (unsigned long long)h->requests_total);
    free(h);
    s->http = NULL;
}
