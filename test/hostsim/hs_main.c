/*
 * hs_main.c - build/hostsim: simulated wasmCloud hosts of one lattice for
 * the integration tests, benchmarks and demo (a real host cannot run
 * here). See test/hostsim/README.md for flags, verbs and formats.
 *
 * Threads: nats.c delivers on its own threads; hs_inbox_on_msg() only
 * queues the message (bounded, drops counted) and wakes the libev loop,
 * which owns every host and store. SIGTERM/SIGINT arrive through a
 * signalfd (blocked in every thread) and stop all hosts gracefully
 * (host_stopped each), then exit 0. Exit 1: NATS unreachable; 2: bad
 * arguments. Nothing here may block the loop except the final flush.
 */
#include "test/hostsim/hs.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clk.h"
#include "common/err.h"
#include "common/log.h"
#include "common/nc.h"
#include "common/xalloc.h"

static void
hs_inbox_push(hs_sim_t *sim, hs_host_t *host, natsMsg *msg)
{
    hs_inmsg_t *m = xmalloc(sizeof(*m));
    m->msg = msg;
    m->host = host;
    m->next = NULL;
    bool is_dropped = false;
    uint64_t dropped = 0;
    pthread_mutex_lock(&sim->inbox_lock);
    if (sim->inbox_count >= HS_INBOX_MAX) {
        is_dropped = true;
        dropped = ++sim->inbox_dropped;
    } else {
        if (sim->inbox_tail != NULL)
            sim->inbox_tail->next = m;
        else
            sim->inbox_head = m;
        sim->inbox_tail = m;
        sim->inbox_count++;
    }
    pthread_mutex_unlock(&sim->inbox_lock);
    if (is_dropped) {
        if (dropped % 1000 == 1)
            log_msg(LL_WARN, "inbox full: %llu control messages dropped",
                    (unsigned long long)dropped);
        natsMsg_Destroy(msg);
        free(m);
        return;
    }
    ev_async_send(sim->loop, &sim->inbox_async);
}

/*
 * nats.c callback of every host subscription (closure: the host). Runs on
 * a library thread: queues msg for the loop and returns.
 */
void
hs_inbox_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
                void *closure)
{
    (void)nc;
    (void)sub;
    hs_host_t *host = closure;
    hs_inbox_push(host->sim, host, msg);
}

static void
hs_inbox_on_admin(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
                  void *closure)
{
    (void)nc;
    (void)sub;
    hs_inbox_push(closure, NULL, msg);
}

static void
hs_on_sub_complete(void *closure)
{
    hs_sim_t *sim = closure;
    pthread_mutex_lock(&sim->inbox_lock);
    sim->subs_open--;
    pthread_cond_signal(&sim->subs_done);
    pthread_mutex_unlock(&sim->inbox_lock);
}

/*
 * Counts sub until nats.c reports it closed and drained. At exit hostsim
 * waits for every one: a subscription's close travels through the
 * delivery thread, and stopping the library before it arrives leaks it.
 */
void
hs_sim_track_sub(hs_sim_t *sim, natsSubscription *sub)
{
    pthread_mutex_lock(&sim->inbox_lock);
    natsStatus s = natsSubscription_SetOnCompleteCB(sub, hs_on_sub_complete,
                                                    sim);
    if (s == NATS_OK)
        sim->subs_open++;
    pthread_mutex_unlock(&sim->inbox_lock);
    if (s != NATS_OK)
        log_msg(LL_WARN, "cannot track a subscription (%s)",
                natsStatus_GetText(s));
}

/* Waits (bounded) until every tracked subscription has completed. */
static void
hs_sim_wait_subs(hs_sim_t *sim, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sim->inbox_lock);
    while (sim->subs_open > 0) {
        if (pthread_cond_timedwait(&sim->subs_done, &sim->inbox_lock,
                                   &deadline) != 0)
            break;
    }
    if (sim->subs_open > 0)
        log_msg(LL_WARN, "%d subscriptions did not complete",
                sim->subs_open);
    pthread_mutex_unlock(&sim->inbox_lock);
}

static hs_inmsg_t *
hs_inbox_take(hs_sim_t *sim)
{
    pthread_mutex_lock(&sim->inbox_lock);
    hs_inmsg_t *head = sim->inbox_head;
    sim->inbox_head = sim->inbox_tail = NULL;
    sim->inbox_count = 0;
    pthread_mutex_unlock(&sim->inbox_lock);
    return head;
}

static void
hs_on_inbox(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    hs_sim_t *sim = w->data;
    hs_inmsg_t *m = hs_inbox_take(sim);
    while (m != NULL) {
        hs_inmsg_t *next = m->next;
        if (m->host != NULL)
            hs_ctl_handle(sim, m->host, m->msg);
        else
            hs_admin_handle(sim, m->msg);
        natsMsg_Destroy(m->msg);
        free(m);
        m = next;
    }
}

static void
hs_delay_rearm(hs_sim_t *sim)
{
    ev_timer_stop(sim->loop, &sim->delay_timer);
    if (sim->delayed == NULL)
        return;
    uint64_t now = clk_now_ms();
    uint64_t due = sim->delayed->due_ms;
    double after = due > now ? (due - now) / 1000.0 : 0.0;
    ev_timer_set(&sim->delay_timer, after, 0.0);
    ev_timer_start(sim->loop, &sim->delay_timer);
}

static void
hs_on_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hs_sim_t *sim = w->data;
    uint64_t now = clk_now_ms();
    while (sim->delayed != NULL && sim->delayed->due_ms <= now) {
        hs_out_t *o = sim->delayed;
        sim->delayed = o->next;
        hs_out_publish(sim, o);
        free(o);
    }
    hs_delay_rearm(sim);
}

/*
 * Sends out (a reply and its events, in order) for host: now, or after
 * the host's "slow" delay, keeping the order of everything host sends
 * late. Takes the messages of out and leaves it empty.
 */
void
hs_sim_emit(hs_sim_t *sim, const hs_host_t *host, hs_out_t *out)
{
    if (out->count == 0)
        return;
    if (host == NULL || host->slow_ms == 0) {
        hs_out_publish(sim, out);
        return;
    }
    hs_out_t *d = xmalloc(sizeof(*d));
    *d = *out;
    d->host = host;
    d->due_ms = clk_now_ms() + host->slow_ms;
    d->next = NULL;
    hs_out_init(out);
    hs_out_t **p = &sim->delayed;
    while (*p != NULL && (*p)->due_ms <= d->due_ms)
        p = &(*p)->next;
    d->next = *p;
    *p = d;
    hs_delay_rearm(sim);
}

/* Forgets the delayed replies of host (every host when NULL). */
void
hs_sim_drop_delayed(hs_sim_t *sim, const hs_host_t *host)
{
    hs_out_t **p = &sim->delayed;
    while (*p != NULL) {
        hs_out_t *o = *p;
        if (host == NULL || o->host == host) {
            *p = o->next;
            hs_out_free(o);
            free(o);
        } else {
            p = &o->next;
        }
    }
    hs_delay_rearm(sim);
}

/*
 * Creates, registers and starts one more host with the common labels
 * overlaid by labels (may be NULL), preloading --components. Returns the
 * host, or NULL when it could not subscribe (it stays listed as dead).
 */
hs_host_t *
hs_sim_add_host(hs_sim_t *sim, const cJSON *labels)
{
    cJSON *merged = hs_map_dup(sim->opts.common_labels);
    for (const cJSON *e = labels ? labels->child : NULL; e; e = e->next)
        hs_map_set(merged, e->string, e->valuestring);
    hs_host_t *h = hs_host_new(sim, merged);
    cJSON_Delete(merged);
    if (sim->hosts_count == sim->hosts_cap) {
        sim->hosts_cap = sim->hosts_cap ? sim->hosts_cap * 2 : 8;
        sim->hosts = xrealloc(sim->hosts, sim->hosts_cap * sizeof(*sim->hosts));
    }
    sim->hosts[sim->hosts_count++] = h;
    hs_flood_preload(h, sim->opts.components);
    return hs_host_start(h) == 0 ? h : NULL;
}

static void
hs_on_signal(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    hs_sim_t *sim = w->data;
    struct signalfd_siginfo si;
    ssize_t n = read(sim->signal_fd, &si, sizeof(si));
    if (n != (ssize_t)sizeof(si))
        return;
    log_msg(LL_INFO, "signal %u: stopping every host", si.ssi_signo);
    ev_break(loop, EVBREAK_ALL);
}

static void
hs_on_nats_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
                 void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    log_msg(LL_WARN, "nats: asynchronous error (%s)", natsStatus_GetText(err));
}

static void
hs_on_nats_disconnected(natsConnection *nc, void *closure)
{
    (void)closure;
    if (natsConnection_IsClosed(nc))
        return; /* our own close at exit */
    log_msg(LL_WARN, "nats: disconnected");
}

static void
hs_on_nats_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    log_msg(LL_INFO, "nats: reconnected, subscriptions restored");
}

static int
hs_sim_connect(hs_sim_t *sim)
{
    natsOptions *opts = NULL;
    (void)nc_rand_install(); /* as wadm's workers do (common/nc.c) */
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = nc_options_set_servers(opts, sim->opts.nats_url);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, "hostsim");
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 200);
    /* One delivery thread for all subscriptions, not one per host sub. */
    if (s == NATS_OK)
        s = natsOptions_UseGlobalMessageDelivery(opts, true);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(opts, hs_on_nats_error, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(opts, hs_on_nats_disconnected, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(opts, hs_on_nats_reconnected, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&sim->nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "connect to \"%s\" failed (%s)", sim->opts.nats_url,
                natsStatus_GetText(s));
        return ERR_NATS;
    }
    char *subj = xasprintf("hostsim.%s.*", sim->opts.lattice);
    s = natsConnection_Subscribe(&sim->admin_sub, sim->nc, subj,
                                 hs_inbox_on_admin, sim);
    free(subj);
    if (s == NATS_OK)
        hs_sim_track_sub(sim, sim->admin_sub);
    if (s != NATS_OK) {
        log_msg(LL_ERROR, "subscribe to the hostsim verbs failed (%s)",
                natsStatus_GetText(s));
        return ERR_NATS;
    }
    return 0;
}

static int
hs_sim_init(hs_sim_t *sim)
{
    const hs_opts_t *o = &sim->opts;
    sim->ctl_prefix = xasprintf("wasmbus.ctl.v1.%s", o->lattice);
    sim->evt_prefix = xasprintf("wasmbus.evt.%s", o->lattice);
    sim->links = cJSON_CreateArray();
    sim->configs = cJSON_CreateObject();
    sim->specs = cJSON_CreateObject();
    sim->signal_fd = -1;
    pthread_mutex_init(&sim->inbox_lock, NULL);
    pthread_cond_init(&sim->subs_done, NULL);
    if (hs_record_init(&sim->record, o->record_max, o->record_path) != 0)
        return ERR_CONFIG;
    sim->loop = ev_default_loop(0);
    ev_async_init(&sim->inbox_async, hs_on_inbox);
    sim->inbox_async.data = sim;
    ev_async_start(sim->loop, &sim->inbox_async);
    ev_init(&sim->delay_timer, hs_on_delay);
    sim->delay_timer.data = sim;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sim->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sim->signal_fd < 0) {
        log_errno(LL_ERROR, "signalfd() failed");
        return ERR_SYS;
    }
    ev_io_init(&sim->signal_io, hs_on_signal, sim->signal_fd, EV_READ);
    sim->signal_io.data = sim;
    ev_io_start(sim->loop, &sim->signal_io);
    return 0;
}

static int
hs_sim_start_hosts(hs_sim_t *sim)
{
    const hs_opts_t *o = &sim->opts;
    for (int i = 0; i < o->host_labels_count; i++) {
        cJSON *labels = cJSON_CreateObject();
        (void)hs_labels_parse(o->host_labels[i], labels); /* checked */
        hs_host_t *h = hs_sim_add_host(sim, labels);
        cJSON_Delete(labels);
        if (h == NULL)
            return ERR_NATS;
    }
    for (int i = 0; i < o->plain_hosts; i++) {
        if (hs_sim_add_host(sim, NULL) == NULL)
            return ERR_NATS;
    }
    printf("hostsim: lattice %s, %zu hosts ready\n", o->lattice,
           sim->hosts_count);
    for (size_t i = 0; i < sim->hosts_count; i++)
        printf("host %s %s\n", sim->hosts[i]->id,
               sim->hosts[i]->friendly_name);
    fflush(stdout);
    return 0;
}

/* Stops what runs, flushes, and frees everything (also on error paths). */
static void
hs_sim_destroy(hs_sim_t *sim, bool is_graceful)
{
    for (size_t i = 0; i < sim->hosts_count; i++)
        hs_host_halt(sim->hosts[i], is_graceful, NULL);
    hs_sim_drop_delayed(sim, NULL);
    if (sim->admin_sub != NULL) {
        (void)natsSubscription_Unsubscribe(sim->admin_sub); /* closing */
        natsSubscription_Destroy(sim->admin_sub);
    }
    if (sim->nc != NULL) {
        natsStatus s = natsConnection_FlushTimeout(sim->nc, 2000);
        if (s != NATS_OK)
            log_msg(LL_WARN, "final flush failed (%s)",
                    natsStatus_GetText(s));
        natsConnection_Destroy(sim->nc);
    }
    /* once every subscription completed, no callback queues anything */
    hs_sim_wait_subs(sim, 5000);
    /*
     * Requests never served, freed while nats.c is still open (after
     * nats_CloseAndWait() natsMsg_Destroy() crashes). Should a
     * subscription not complete in time, what it queued later is not freed.
     */
    for (hs_inmsg_t *m = hs_inbox_take(sim); m != NULL;) {
        hs_inmsg_t *next = m->next;
        natsMsg_Destroy(m->msg);
        free(m);
        m = next;
    }
    (void)nats_CloseAndWait(5000);
    for (size_t i = 0; i < sim->hosts_count; i++)
        hs_host_free(sim->hosts[i]);
    free(sim->hosts);
    hs_faults_clear(sim);
    hs_record_destroy(&sim->record);
    cJSON_Delete(sim->links);
    cJSON_Delete(sim->configs);
    cJSON_Delete(sim->specs);
    free(sim->ctl_prefix);
    free(sim->evt_prefix);
    if (sim->signal_fd >= 0)
        close(sim->signal_fd);
    if (sim->loop != NULL)
        ev_loop_destroy(sim->loop);
    pthread_cond_destroy(&sim->subs_done);
    pthread_mutex_destroy(&sim->inbox_lock);
    hs_opts_destroy(&sim->opts);
}

int
main(int argc, char **argv)
{
    static hs_sim_t sim;
    int rc = hs_opts_parse(&sim.opts, argc, argv);
    if (rc != 0) {
        hs_opts_destroy(&sim.opts);
        return rc == 1 ? 0 : 2;
    }
    log_init("hostsim", false, sim.opts.log_level);
    if (sim.opts.is_printing_ids) {
        int total = sim.opts.host_labels_count + sim.opts.plain_hosts;
        for (int i = 0; i < total; i++) {
            char id[HS_ID_LEN + 1];
            hs_host_id_make(sim.opts.seed, i, id);
            printf("%s\n", id);
        }
        hs_opts_destroy(&sim.opts);
        return 0;
    }
    /* Before any thread exists, so that every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    hs_event_seed(sim.opts.seed ^ clk_wall_us() ^ (uint64_t)getpid());
    rc = hs_sim_init(&sim);
    if (rc == 0)
        rc = hs_sim_connect(&sim);
    if (rc == 0)
        rc = hs_sim_start_hosts(&sim);
    if (rc != 0) {
        hs_sim_destroy(&sim, false);
        return rc == ERR_NATS ? 1 : 2;
    }
    if (sim.opts.flood > 0) {
        rc = hs_flood_run(&sim, sim.opts.flood);
        if (rc != 0 || !sim.opts.is_serving_after_flood) {
            /* Bench: the tail of the flood stays heartbeats only. */
            hs_sim_destroy(&sim, false);
            return rc == 0 ? 0 : 1;
        }
    }
    ev_run(sim.loop, 0);
    hs_sim_destroy(&sim, true);
    log_msg(LL_INFO, "exiting");
    return 0;
}
