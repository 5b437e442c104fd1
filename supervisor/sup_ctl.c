/*
 * sup_ctl.c - the supervisor's side of the control channels: frames from
 * workers (READY, HEARTBEAT, STATUS_REP, LATTICE_ADD), the heartbeat
 * watchdog, and the worker-to-worker channels it creates and hands out.
 *
 * Runs in the supervisor only. It never reads a data frame: the
 * worker-to-worker sockets are created here and passed on with SCM_RIGHTS
 * (nginx ngx_pass_open_channel()), and both ends leave this process at
 * once.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "proto/proto_chan.h"
#include "supervisor/sup_int.h"

typedef struct sup_link {
    const char *a;
    const char *b;
} sup_link_t;

/* Which roles talk to which: every reconciler to ingest and to dispatch. */
static const sup_link_t sup_links[] = {
    {SUP_ROLE_REC, SUP_ROLE_INGEST},
    {SUP_ROLE_REC, SUP_ROLE_DISPATCH},
};

bool
sup_lattice_is_valid(const char *lattice)
{
    size_t len = strlen(lattice);
    if (len == 0 || len > SUP_LATTICE_MAX)
        return false;
    for (const char *p = lattice; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* a NATS subject token: no separators, wildcards or spaces */
        if (c <= 0x20 || c == 0x7f || c == '.' || c == '*' || c == '>' ||
            c == '/' || c == '\\')
            return false;
    }
    return true;
}

static bool
sup_linked(const char *r1, const char *r2)
{
    for (size_t i = 0; i < sizeof(sup_links) / sizeof(sup_links[0]); i++) {
        if ((strcmp(sup_links[i].a, r1) == 0 &&
             strcmp(sup_links[i].b, r2) == 0) ||
            (strcmp(sup_links[i].a, r2) == 0 &&
             strcmp(sup_links[i].b, r1) == 0))
            return true;
    }
    return false;
}

/* Creates one socketpair and gives an end to each worker. */
static void
sup_link_open(sup_t *s, sup_worker_t *a, sup_worker_t *b)
{
    (void)s;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        log_errno(LL_ERROR, "socketpair() failed while linking %s and %s",
                  a->name, b->name);
        return;
    }
    proto_channel_open_t oa = {0, b->role, b->id};
    proto_channel_open_t ob = {0, a->role, a->id};
    int ra = proto_send_fd(a->chan, PROTO_MSG_CHANNEL_OPEN, &oa, sv[0]);
    int rb = proto_send_fd(b->chan, PROTO_MSG_CHANNEL_OPEN, &ob, sv[1]);
    if (ra != 0 || rb != 0)
        log_msg(LL_ERROR, "could not hand out the channel %s <-> %s (%s)",
                a->name, b->name, err_name(ra != 0 ? ra : rb));
    else
        log_msg(LL_DEBUG, "linked %s <-> %s", a->name, b->name);
}

void
sup_worker_on_ready(sup_t *s, sup_worker_t *w)
{
    uint64_t now = clk_now_ms();
    w->state = SUP_WSTATE_RUNNING;
    w->ready_ms = now;
    w->last_beat_ms = now;
    log_msg(LL_INFO, "worker %s[%ld] ready after %llums", w->name,
            (long)w->pid, (unsigned long long)(now - w->spawned_ms));
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *p = &s->workers[i];
        if (p == w || p->state != SUP_WSTATE_RUNNING || p->chan == NULL)
            continue;
        if (sup_linked(w->role, p->role))
            sup_link_open(s, w, p);
    }
    /* a new ingest must learn again what every reconciler needs */
    if (strcmp(w->role, SUP_ROLE_INGEST) == 0 &&
        w->restarts_total > 0) {
        for (size_t i = 0; i < s->nworkers; i++) {
            sup_worker_t *p = &s->workers[i];
            if (p->state == SUP_WSTATE_RUNNING &&
                strcmp(p->role, SUP_ROLE_REC) == 0)
                proto_send(p->chan, PROTO_MSG_RESYNC, NULL);
        }
    }
}

void
sup_peers_close(sup_t *s, sup_worker_t *w)
{
    proto_channel_close_t cc = {0, w->role, w->id};
    for (size_t i = 0; i < s->nworkers; i++) {
        sup_worker_t *p = &s->workers[i];
        if (p == w || p->chan == NULL || p->state != SUP_WSTATE_RUNNING)
            continue;
        if (sup_linked(w->role, p->role))
            proto_send(p->chan, PROTO_MSG_CHANNEL_CLOSE, &cc);
    }
}

static void
sup_lattice_add(sup_t *s, sup_worker_t *from, const char *lattice)
{
    if (s->phase != SUP_PHASE_RUN)
        return;
    if (!sup_lattice_is_valid(lattice)) {
        log_msg(LL_WARN, "%s asked for lattice \"%.100s\": not a valid "
                "lattice id, ignored", from->name, lattice);
        return;
    }
    sup_worker_t *w = sup_worker_find(s, SUP_ROLE_REC, lattice);
    if (w != NULL && w->state != SUP_WSTATE_DONE)
        return; /* running, starting, backing off or cooling down */
    if (w == NULL) {
        size_t recs = 0;
        for (size_t i = 0; i < s->nworkers; i++)
            if (s->workers[i].state != SUP_WSTATE_FREE &&
                strcmp(s->workers[i].role, SUP_ROLE_REC) == 0)
                recs++;
        if (recs >= s->cfg->max_lattices ||
            (w = sup_worker_add(s, SUP_ROLE_REC, lattice)) == NULL) {
            log_msg(LL_ERROR, "cannot manage lattice \"%s\": %llu lattices "
                    "already (--max-lattices)", lattice,
                    (unsigned long long)s->cfg->max_lattices);
            return;
        }
    }
    log_msg(LL_INFO, "lattice \"%s\" discovered by %s, starting its "
            "reconciler", lattice, from->name);
    if (sup_worker_spawn(s, w) != 0) {
        w->state = SUP_WSTATE_FREE;
    }
}

static void
sup_on_worker_frame(chan_t *c, const uint8_t *payload, size_t len,
                    void *arg)
{
    (void)c;
    sup_worker_t *w = arg;
    sup_t *s = w->sup;
    proto_msg_t m;
    if (proto_msg_decode(payload, len, &m) != 0) {
        log_msg(LL_ERROR, "undecodable control frame (%zu bytes) from %s, "
                "closing its channel", len, w->name);
        chan_close(w->chan);
        w->chan = NULL;
        sup_worker_kill(s, w, SIGKILL, "protocol error");
        return;
    }
    if (!(proto_msg_dirs(m.type) & PROTO_DIR_UP)) {
        log_msg(LL_WARN, "unexpected %s from %s, ignored",
                proto_msg_name(m.type), w->name);
        proto_msg_destroy(&m);
        return;
    }
    w->last_beat_ms = clk_now_ms();
    switch (m.type) {
    case PROTO_MSG_READY:
        if (w->state == SUP_WSTATE_STARTING)
            sup_worker_on_ready(s, w);
        break;
    case PROTO_MSG_HEARTBEAT: {
        proto_heartbeat_t *hb = m.body;
        if (hb->activity)
            snprintf(w->activity, sizeof(w->activity), "%s", hb->activity);
        if (hb->nats_state)
            snprintf(w->nats_state, sizeof(w->nats_state), "%s",
                     hb->nats_state);
        break;
    }
    case PROTO_MSG_STATUS_REP:
        sup_status_reply(s, w, m.body);
        break;
    case PROTO_MSG_LATTICE_ADD: {
        proto_lattice_add_t *la = m.body;
        sup_lattice_add(s, w, la->lattice);
        break;
    }
    default:
        break;
    }
    proto_msg_destroy(&m);
}

static void
sup_on_worker_error(chan_t *c, int err, void *arg)
{
    sup_worker_t *w = arg;
    if (err != ERR_CLOSED)
        log_msg(LL_WARN, "control channel of %s failed (%s)", w->name,
                err_name(err));
    /* the exit itself is handled when the process is reaped */
    chan_close(c);
    w->chan = NULL;
}

/* Heartbeat watchdog: three missed beats mean a hang. */
static void
sup_on_watchdog(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    sup_worker_t *w = t->data;
    sup_t *s = w->sup;
    if (w->pid <= 0 || w->is_hung)
        return;
    uint64_t limit = 3 * s->cfg->heartbeat_interval_ms;
    /* a worker gets longer to come up than to answer once running */
    if (w->state == SUP_WSTATE_STARTING)
        limit += 10000;
    uint64_t now = clk_now_ms();
    if (now - w->last_beat_ms > limit) {
        log_msg(LL_WARN, "worker %s[%ld] missed heartbeats for %llums "
                "(last activity \"%s\"), killing it as hung", w->name,
                (long)w->pid, (unsigned long long)(now - w->last_beat_ms),
                w->activity);
        w->is_hung = true;
        sup_worker_kill(s, w, SIGKILL, "hung");
    }
}

void
sup_worker_chan_open(sup_t *s, sup_worker_t *w, int fd)
{
    w->sup = s;
    w->chan = chan_open(s->loop, fd, &proto_ctl_limits, sup_on_worker_frame,
                        sup_on_worker_error, w);
    double period = (double)s->cfg->heartbeat_interval_ms / 1000.0;
    ev_timer_init(&w->watchdog, sup_on_watchdog, period, period);
    w->watchdog.data = w;
    ev_timer_start(s->loop, &w->watchdog);
}
