/*
 * wk.c - the worker skeleton (see wk.h).
 *
 * Runs in every worker process, after exec. Owns fd 3 (the control
 * channel) and the default libev loop. Must never block the loop and must
 * exit at once when the supervisor goes away (EOF on fd 3), like a
 * postmaster child noticing its death-watch pipe.
 */
#include "workers/wk.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "proto/proto_chan.h"

#define WK_CTL_FD 3

/*
 * Heap policy. A burst of events holds up to a window of 4096 payloads
 * (7 KB heartbeats: 28 MB) in ingest; with glibc's default 128 KiB trim
 * threshold the heap top was given back and faulted in again all through
 * the burst, page zeroing included (about 15 % of ingest's CPU in
 * bench_events). So up to WK_TRIM_THRESHOLD of free heap top stays for
 * reuse (8 MiB saves nearly as much as 32 MiB did), and every
 * WK_TRIM_PERIOD_S the heap is trimmed if more than WK_TRIM_MIN_FREE of it
 * is free. malloc_trim() cannot shrink the top of a thread's own arena
 * (nats.c's delivery threads allocate the messages), which is why the
 * threshold is not larger: that top is what stays after a burst.
 */
#define WK_TRIM_THRESHOLD (8 * 1024 * 1024)
#define WK_TRIM_PERIOD_S 5.0
#define WK_TRIM_MIN_FREE (1024 * 1024)

struct wk {
    const wk_role_t *role;
    struct ev_loop *loop;
    chan_t *sup;
    cfg_t cfg;
    char id[128];
    char name[160];
    char activity[160];
    void *ctx;
    nc_t *nc;
    ev_timer beat;
    ev_timer trim;
    uint64_t trims_total;
    bool is_started;
    bool is_stopping;
    int exit_code;
    uint64_t started_ms;
};

struct ev_loop *
wk_loop(wk_t *w)
{
    return w->loop;
}

const cfg_t *
wk_cfg(wk_t *w)
{
    return &w->cfg;
}

const char *
wk_id(wk_t *w)
{
    return w->id;
}

const char *
wk_name(wk_t *w)
{
    return w->name;
}

void *
wk_ctx(wk_t *w)
{
    return w->ctx;
}

void
wk_set_ctx(wk_t *w, void *ctx)
{
    w->ctx = ctx;
}

void
wk_activity(wk_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->activity, sizeof(w->activity), fmt, ap);
    va_end(ap);
}

int
wk_send_sup(wk_t *w, uint32_t type, const void *body)
{
    if (w->sup == NULL)
        return ERR_CLOSED;
    return proto_send(w->sup, type, body);
}

void
wk_set_nats(wk_t *w, nc_t *nc)
{
    w->nc = nc;
}

void
wk_status_nats(nc_t *nc, proto_kv_t *lines)
{
    if (nc == NULL) {
        proto_kv_add(lines, "nats_state", "none");
        return;
    }
    const nc_stats_t *st = nc_stats(nc);
    proto_kv_add(lines, "nats_state", nc_state_name(nc_state(nc)));
    proto_kv_addf(lines, "nats_connects_total", "%llu",
                  (unsigned long long)st->connects_total);
    proto_kv_addf(lines, "nats_disconnects_total", "%llu",
                  (unsigned long long)st->disconnects_total);
    proto_kv_addf(lines, "nats_reconnects_total", "%llu",
                  (unsigned long long)st->reconnects_total);
    proto_kv_addf(lines, "nats_async_errors_total", "%llu",
                  (unsigned long long)st->async_errors_total);
    proto_kv_add(lines, "nats_last_error",
                 st->last_error[0] ? st->last_error : "none");
}

void
wk_exit(wk_t *w, int code)
{
    if (w->is_stopping)
        return;
    w->is_stopping = true;
    w->exit_code = code;
    ev_break(w->loop, EVBREAK_ALL);
}

static void
wk_on_beat(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    wk_t *w = t->data;
    /*
     * nats.c closes a connection only when retrying cannot help (the
     * server refused the credentials twice, or a fatal -ERR) and never
     * reopens it: a worker without NATS is useless, so exit 1 and let the
     * supervisor's backoff and intensity decide (a restart rereads the
     * credentials files). nc.c has logged why.
     */
    if (w->nc && nc_state(w->nc) == NC_CLOSED && !w->is_stopping) {
        log_msg(LL_ERROR, "NATS connection closed for good; exiting");
        wk_exit(w, 1);
        return;
    }
    proto_heartbeat_t hb = {0};
    hb.activity = w->activity;
    if (w->nc)
        hb.nats_state = (char *)nc_state_name(nc_state(w->nc));
    if (proto_send(w->sup, PROTO_MSG_HEARTBEAT, &hb) == ERR_FULL)
        log_msg(LL_WARN, "control channel full, heartbeat dropped");
}

/* Gives free heap memory back to the system when there is much of it. */
static void
wk_on_trim(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    wk_t *w = t->data;
    struct mallinfo2 mi = mallinfo2();
    if (mi.fordblks > WK_TRIM_MIN_FREE && malloc_trim(0))
        w->trims_total++;
}

/* Open fds, from /proc/self/fd (one directory read per status reply);
   without /proc, by probing the first 4096. */
static long
wk_count_fds(void)
{
    long n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        for (int fd = 0; fd < 4096; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                n++;
        return n;
    }
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) != own)
            n++;
    closedir(d);
    return n;
}

static long
wk_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    if (f == NULL)
        return -1;
    long size = 0, resident = 0;
    int n = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    if (n != 2)
        return -1;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
wk_handle_hello(wk_t *w, proto_hello_t *h)
{
    if (w->is_started) {
        log_msg(LL_WARN, "second HELLO ignored");
        return;
    }
    if (strcmp(h->role, w->role->name) != 0 || strcmp(h->id, w->id) != 0) {
        log_msg(LL_CRIT, "HELLO for \"%s.%s\" received by %s", h->role, h->id,
                w->name);
        wk_exit(w, 2);
        return;
    }
    for (size_t i = 0; i < h->config.n; i++) {
        char *err = NULL;
        if (cfg_set(&w->cfg, h->config.keys[i], h->config.vals[i], &err) !=
            0) {
            log_msg(LL_CRIT, "bad configuration from supervisor: %s", err);
            free(err);
            wk_exit(w, 2);
            return;
        }
    }
    char *err = NULL;
    if (cfg_finish(&w->cfg, &err) != 0) {
        log_msg(LL_CRIT, "bad configuration from supervisor: %s", err);
        free(err);
        wk_exit(w, 2);
        return;
    }
    int level = LL_INFO;
    (void)log_level_parse(w->cfg.log_level ? w->cfg.log_level : "info",
                          &level);
    log_init(w->name, w->cfg.is_structured_logging, level);
    wk_activity(w, "starting");
    int rc = w->role->start(w);
    if (rc != 0) {
        log_msg(LL_CRIT, "%s failed to start (%s)", w->name, err_name(rc));
        wk_exit(w, rc == ERR_CONFIG ? 2 : 1);
        return;
    }
    w->is_started = true;
    wk_activity(w, "idle");
    proto_send(w->sup, PROTO_MSG_READY, NULL);
    double period = (double)w->cfg.heartbeat_interval_ms / 1000.0;
    ev_timer_init(&w->beat, wk_on_beat, period, period);
    w->beat.data = w;
    ev_timer_start(w->loop, &w->beat);
    ev_timer_init(&w->trim, wk_on_trim, WK_TRIM_PERIOD_S, WK_TRIM_PERIOD_S);
    w->trim.data = w;
    ev_timer_start(w->loop, &w->trim);
}

static void
wk_handle_status(wk_t *w)
{
    proto_status_rep_t rep = {0};
    proto_kv_addf(&rep.lines, "rss_kb", "%ld", wk_rss_kb());
    struct mallinfo2 mi = mallinfo2();
    proto_kv_addf(&rep.lines, "heap_free_kb", "%zu", mi.fordblks / 1024);
    proto_kv_addf(&rep.lines, "heap_trims_total", "%llu",
                  (unsigned long long)w->trims_total);
    proto_kv_addf(&rep.lines, "fds_open", "%ld", wk_count_fds());
    proto_kv_addf(&rep.lines, "activity", "%s", w->activity);
    if (w->is_started && w->role->status)
        w->role->status(w, &rep.lines);
    proto_send(w->sup, PROTO_MSG_STATUS_REP, &rep);
    proto_kv_destroy(&rep.lines);
}

static void
wk_on_sup_frame(chan_t *c, const uint8_t *payload, size_t len, void *arg)
{
    (void)c;
    wk_t *w = arg;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        if (m.version != 0 && m.version != PROTO_VERSION) {
            log_msg(LL_CRIT, "protocol version %u from supervisor, this "
                    "binary speaks %u (binary replaced on disk?)",
                    m.version, PROTO_VERSION);
            wk_exit(w, 2);
            return;
        }
        log_msg(LL_ERROR, "undecodable frame from supervisor (%zu bytes)",
                len);
        wk_exit(w, 1);
        return;
    }
    if (!(proto_msg_dirs(m.type) & PROTO_DIR_DOWN)) {
        log_msg(LL_ERROR, "unexpected %s from supervisor",
                proto_msg_name(m.type));
        proto_msg_destroy(&m);
        return;
    }
    switch (m.type) {
    case PROTO_MSG_HELLO:
        wk_handle_hello(w, m.body);
        break;
    case PROTO_MSG_STATUS_REQ:
        wk_handle_status(w);
        break;
    case PROTO_MSG_SHUTDOWN:
        log_msg(LL_INFO, "shutdown requested");
        wk_exit(w, 0);
        break;
    case PROTO_MSG_RESYNC:
        if (w->is_started && w->role->resync)
            w->role->resync(w);
        break;
    case PROTO_MSG_CHANNEL_OPEN: {
        proto_channel_open_t *co = m.body;
        int fd = chan_take_fd(w->sup);
        if (fd < 0) {
            log_msg(LL_ERROR, "CHANNEL_OPEN to %s.%s without a descriptor",
                    co->peer_role, co->peer_id);
        } else if (!w->is_started || w->role->peer_open == NULL) {
            close(fd);
        } else {
            w->role->peer_open(w, co->peer_role, co->peer_id, fd);
        }
        break;
    }
    case PROTO_MSG_CHANNEL_CLOSE: {
        proto_channel_close_t *cc = m.body;
        if (w->is_started && w->role->peer_close)
            w->role->peer_close(w, cc->peer_role, cc->peer_id);
        break;
    }
    default:
        break;
    }
    proto_msg_destroy(&m);
}

static void
wk_on_sup_error(chan_t *c, int err, void *arg)
{
    (void)c;
    wk_t *w = arg;
    /* the supervisor is gone (or talks garbage): never outlive it */
    if (err == ERR_CLOSED)
        log_msg(LL_INFO, "supervisor closed the control channel, exiting");
    else
        log_msg(LL_ERROR, "control channel failed (%s), exiting",
                err_name(err));
    wk_exit(w, 0);
}

int
wk_main(const wk_role_t *role, const char *id)
{
    wk_t w;
    memset(&w, 0, sizeof(w));
    w.role = role;
    snprintf(w.id, sizeof(w.id), "%s", id);
    snprintf(w.name, sizeof(w.name), "%s.%s", role->name, id);
    w.started_ms = clk_now_ms();
    cfg_init(&w.cfg);
    log_init(w.name, false, LL_INFO);

    struct stat st;
    if (fstat(WK_CTL_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        log_msg(LL_CRIT, "no control socket on fd %d: workers are started "
                "by the wadm supervisor", WK_CTL_FD);
        cfg_destroy(&w.cfg);
        return 2;
    }
    (void)fcntl(WK_CTL_FD, F_SETFD, FD_CLOEXEC);
    /* terminal signals are for the supervisor, which stops us in order */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    (void)mallopt(M_TRIM_THRESHOLD, WK_TRIM_THRESHOLD);
    w.loop = EV_DEFAULT;
    w.sup = chan_open(w.loop, WK_CTL_FD, &proto_ctl_limits, wk_on_sup_frame,
                      wk_on_sup_error, &w);
    ev_run(w.loop, 0);

    if (w.is_started && w.role->stop)
        w.role->stop(&w);
    w.nc = NULL;
    if (ev_is_active(&w.beat))
        ev_timer_stop(w.loop, &w.beat);
    if (ev_is_active(&w.trim))
        ev_timer_stop(w.loop, &w.trim);
    chan_flush(w.sup, 200);
    chan_close(w.sup);
    log_msg(LL_INFO, "exiting with status %d", w.exit_code);
    cfg_destroy(&w.cfg);
    ev_loop_destroy(w.loop);
    return w.exit_code;
}
