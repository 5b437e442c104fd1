/*
 * bench_events.c - how fast one wadm absorbs lattice events, beside how
 * fast nats-server delivers the same events to a bare JetStream consumer.
 *
 * A private nats-server and build/wadm run; `hostsim --flood N --hosts 100
 * --components 20` publishes 100 host_started events and N heartbeats of
 * 20 components each as fast as it can. Live: wadm consumes while the
 * flood runs (ingest scans, the reconciler applies, ingest acks); the
 * bench follows the consumer's ack floor (every 20 ms) for the progress
 * and the lag, and the status dump (every 250 ms) for ingest's figures. Backlog:
 * with wadm stopped the same flood lands in the stream, then wadm starts
 * and drains it: its absorption rate, without the flood taking CPU. Then
 * a nats.c push consumer inside the bench, with explicit acks and the same
 * in-flight window, reads those same stored events and acks each one. The
 * backlog rate, the bare rate and their ratio are the figures; goals:
 * >= 50000 events/s and >= 50 % of the bare rate.
 *
 * BENCH_EVENTS sets N (default 100000), BENCH_ROUNDS the backlog and bare
 * rounds whose medians are the figures (default 3). WADM_BIN and HOSTSIM_BIN name the
 * binaries (default: next to this program's directory).
 */
#include <libgen.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clk.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

#define BENCH_LATTICE "bench"
#define BENCH_HOSTS 100
#define BENCH_WINDOW 4096 /* ingest's MaxAckPending per lattice */
#define BENCH_INGEST "worker ingest.0"
#define BENCH_TIMEOUT_MS 120000

static char bench_hostsim[1024];

/* WADM_BIN and HOSTSIM_BIN default to <dir of argv[0]>/../{wadm,hostsim}. */
static void
bench_paths(const char *argv0)
{
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", argv0);
    char *dir = dirname(copy);
    char wadm[1100];
    snprintf(wadm, sizeof(wadm), "%s/../wadm", dir);
    setenv("WADM_BIN", wadm, 0);
    const char *hs = getenv("HOSTSIM_BIN");
    if (hs && *hs)
        snprintf(bench_hostsim, sizeof(bench_hostsim), "%s", hs);
    else
        snprintf(bench_hostsim, sizeof(bench_hostsim), "%s/../hostsim", dir);
}

/* The stream's last sequence (0: empty or unknown). */
static uint64_t
bench_last_seq(jsCtx *js)
{
    jsStreamInfo *si = NULL;
    if (js_GetStreamInfo(&si, js, "wasmbus_events", NULL, NULL) != NATS_OK)
        return 0;
    uint64_t seq = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return seq;
}

/* wadm's consumer: undelivered and unacknowledged events, ack floor. */
static int
bench_consumer(jsCtx *js, long *pending, long *ack_pending, uint64_t *floor)
{
    jsConsumerInfo *ci = NULL;
    if (js_GetConsumerInfo(&ci, js, "wasmbus_events",
                           "wadmc_events-" BENCH_LATTICE, NULL,
                           NULL) != NATS_OK)
        return -1;
    *pending = (long)ci->NumPending;
    *ack_pending = (long)ci->NumAckPending;
    *floor = ci->AckFloor.Stream;
    jsConsumerInfo_Destroy(ci);
    return 0;
}

typedef struct bench_wadm_run {
    long target;          /* events in the stream once the flood ended */
    uint64_t first_ms;    /* first sample with an event applied */
    uint64_t done_ms;     /* first sample with every event applied */
    long max_pending;
    long max_in_flight;
    long max_dump_lag;    /* ingest's events_lag (backlog every 5 s) */
    long resent;
    int flood_status;     /* hostsim's wait status once it ended */
} bench_wadm_run_t;

/*
 * Follows wadm's consumer every 20 ms while the flood runs and until every
 * event after stream sequence base is acknowledged (ingest acks an event
 * only once the reconciler applied it, in stream order: the ack floor is
 * the applied count). The status dump, which costs wadm's workers a status
 * reply each, is read every 250 ms only, for ingest's own lag figures.
 * target: the events to wait for, 0 = as many as the stream holds once
 * the flood ended. Returns 0 or -1.
 */
static int
bench_wadm_measure(test_wadm_t *tw, test_proc_t *flood, jsCtx *js,
                   bench_wadm_run_t *run, uint64_t base, long target)
{
    memset(run, 0, sizeof(*run));
    run->target = target > 0 ? target : -1;
    uint64_t deadline = test_now_ms() + BENCH_TIMEOUT_MS;
    uint64_t next_dump = 0;
    while (test_now_ms() < deadline) {
        long pending = 0, in_flight = 0;
        uint64_t floor = 0;
        uint64_t now = test_now_ms();
        if (bench_consumer(js, &pending, &in_flight, &floor) == 0) {
            if (pending > run->max_pending)
                run->max_pending = pending;
            if (in_flight > run->max_in_flight)
                run->max_in_flight = in_flight;
        }
        long applied = floor > base ? (long)(floor - base) : 0;
        if (now >= next_dump) {
            char *d = test_wadm_dump(tw);
            if (d == NULL)
                return -1;
            long lag = test_dump_num(d, BENCH_INGEST, "events_lag");
            if (lag > run->max_dump_lag)
                run->max_dump_lag = lag;
            run->resent = test_dump_num(d, BENCH_INGEST,
                                        "events_resent_total");
            free(d);
            next_dump = now + 250;
        }
        if (applied > 0 && run->first_ms == 0)
            run->first_ms = now;
        int st = flood != NULL && flood->pid > 0 ? test_proc_wait(flood, 0)
                                                 : -1;
        if (st >= 0) {
            run->flood_status = st;
            run->target = (long)(bench_last_seq(js) - base);
        }
        if (run->target > 0 && applied >= run->target) {
            run->done_ms = now;
            char *d = test_wadm_dump(tw);
            if (d != NULL)
                run->resent = test_dump_num(d, BENCH_INGEST,
                                            "events_resent_total");
            free(d);
            return 0;
        }
        test_pause_ms(20);
    }
    fprintf(stderr, "bench_events: wadm did not apply every event within "
            "%d s\n", BENCH_TIMEOUT_MS / 1000);
    return -1;
}

static int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n values (sorts a copy). */
static double
bench_median(const double *v, int n)
{
    double c[9];
    memcpy(c, v, (size_t)n * sizeof(*v));
    qsort(c, (size_t)n, sizeof(*c), bench_cmp_double);
    return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

/* The bare consumer: counts and acks on the nats.c delivery thread. */
typedef struct bench_bare {
    atomic_long count;
    atomic_ullong first_us;
    atomic_ullong last_us;
} bench_bare_t;

static void
bench_on_bare(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
              void *closure)
{
    (void)nc;
    (void)sub;
    bench_bare_t *b = closure;
    uint64_t now = clk_now_us();
    unsigned long long zero = 0;
    atomic_compare_exchange_strong(&b->first_us, &zero, now);
    (void)natsMsg_Ack(msg, NULL);
    natsMsg_Destroy(msg);
    atomic_store(&b->last_us, now);
    atomic_fetch_add(&b->count, 1);
}

/*
 * Reads target events of the lattice from the stream with a push consumer
 * configured like wadm's (explicit acks, same window, flow control).
 * Returns the rate in events/s, or -1.
 */
static double
bench_bare_measure(natsConnection *nc, jsCtx *js, uint64_t first_seq,
                   long target)
{
    bench_bare_t b;
    atomic_init(&b.count, 0);
    atomic_init(&b.first_us, 0);
    atomic_init(&b.last_us, 0);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "wasmbus_events";
    so.ManualAck = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = first_seq;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.MaxAckPending = BENCH_WINDOW;
    so.Config.FlowControl = true;
    so.Config.Heartbeat = 5LL * 1000 * 1000 * 1000;
    natsSubscription *sub = NULL;
    natsStatus s = js_Subscribe(&sub, js, "wasmbus.evt." BENCH_LATTICE ".>",
                                bench_on_bare, &b, NULL, &so, NULL);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s != NATS_OK) {
        fprintf(stderr, "bench_events: bare consumer: %s\n",
                natsStatus_GetText(s));
        natsSubscription_Destroy(sub);
        return -1;
    }
    uint64_t deadline = test_now_ms() + BENCH_TIMEOUT_MS;
    while (atomic_load(&b.count) < target && test_now_ms() < deadline)
        test_pause_ms(5);
    long n = atomic_load(&b.count);
    natsConnection_FlushTimeout(nc, 5000);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    if (n < target) {
        fprintf(stderr, "bench_events: bare consumer got %ld of %ld\n", n,
                target);
        return -1;
    }
    double secs = (atomic_load(&b.last_us) - atomic_load(&b.first_us)) / 1e6;
    return secs > 0 ? n / secs : -1;
}

/* 0 when hostsim exited 0, else says how it ended and returns -1. */
static int
bench_flood_ok(int status, int phase)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr, "bench_events: hostsim --flood of phase %d %s %d (its "
            "log: flood%d.log)\n", phase,
            WIFSIGNALED(status) ? "died of signal" : "exited with",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
            phase);
    return -1;
}

/* Runs hostsim --flood to the end; prints its figure line. Returns 0/-1. */
static int
bench_flood(const char *url, const char *dir, long events, int phase,
            test_proc_t *flood)
{
    char count[32], hosts[16], log_path[400];
    snprintf(count, sizeof(count), "%ld", events);
    snprintf(hosts, sizeof(hosts), "%d", BENCH_HOSTS);
    snprintf(log_path, sizeof(log_path), "%s/flood%d.log", dir, phase);
    char *argv[] = {bench_hostsim, "--nats", (char *)url, "--lattice",
                    BENCH_LATTICE, "--flood", count, "--hosts", hosts,
                    "--components", "20", NULL};
    return test_proc_start(flood, argv, NULL, log_path);
}

static void
bench_flood_line(const char *dir, int phase)
{
    char log_path[400];
    snprintf(log_path, sizeof(log_path), "%s/flood%d.log", dir, phase);
    char *log = test_read_file(log_path, NULL);
    char *line = log ? strstr(log, "flood:") : NULL;
    if (line)
        printf("  %.*s\n", (int)strcspn(line, "\n"), line);
    free(log);
}

static bool
bench_wadm_start(test_wadm_t *tw, const char *url)
{
    return test_wadm_start(tw, url, NULL) == 0 &&
           test_wadm_wait_value(tw, BENCH_INGEST, "jetstream", "ready",
                                10000);
}

int
main(int argc, char **argv)
{
    (void)argc;
    bench_paths(argv[0]);
    long events = getenv("BENCH_EVENTS") ? atol(getenv("BENCH_EVENTS"))
                                         : 100000;
    if (!test_nats_available() || test_wadm_bin() == NULL ||
        access(bench_hostsim, X_OK) != 0) {
        printf("SKIP bench_events: needs nats-server, %s and %s\n",
               getenv("WADM_BIN"), bench_hostsim);
        return 0;
    }
    test_nats_t nats;
    test_wadm_t tw;
    if (test_nats_start(&nats, NULL) != 0 || !bench_wadm_start(&tw, nats.url)) {
        fprintf(stderr, "bench_events: nats-server or wadm did not start\n");
        return 1;
    }
    natsConnection *nc = test_nc_connect(nats.url);
    jsCtx *js = NULL;
    if (nc == NULL || natsConnection_JetStream(&js, nc, NULL) != NATS_OK)
        return 1;

    /* 1. live: wadm consumes while the flood runs */
    printf("live: wadm running while hostsim floods\n");
    test_proc_t flood;
    bench_wadm_run_t live;
    uint64_t live_base = bench_last_seq(js);
    int rc = bench_flood(nats.url, nats.dir, events, 1, &flood);
    if (rc == 0)
        rc = bench_wadm_measure(&tw, &flood, js, &live, live_base, 0);
    if (rc == 0)
        rc = bench_flood_ok(live.flood_status, 1);
    if (flood.pid > 0)
        test_proc_stop(&flood, 5000);
    bench_flood_line(nats.dir, 1);
    test_wadm_stop(&tw, 10000);
    test_wadm_cleanup(&tw);
    if (rc != 0)
        goto out;
    double live_s = (live.done_ms - live.first_ms) / 1000.0;
    printf("  wadm: %ld events applied in %.2f s: %.0f events/s; lag: "
           "stream backlog up to %ld, in flight up to %ld (window %d), "
           "dump events_lag up to %ld\n",
           live.target, live_s, live_s > 0 ? live.target / live_s : 0.0,
           live.max_pending, live.max_in_flight, BENCH_WINDOW,
           live.max_dump_lag);

    /*
     * 2. backlog: the flood lands in the stream, then wadm drains it; 3.
     * the same stored events to a bare consumer. BENCH_ROUNDS rounds (3):
     * a drain lasts about two seconds, and on a shared machine one round
     * can differ from the next by a quarter, so the medians are the
     * figures.
     */
    int rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 3;
    if (rounds < 1 || rounds > 9)
        rounds = 3;
    double wadm_rates[9], bare_rates[9];
    for (int r = 0; r < rounds; r++) {
        printf("backlog round %d/%d: the same flood stored first, then "
               "consumed\n", r + 1, rounds);
        uint64_t first_seq = bench_last_seq(js) + 1;
        rc = bench_flood(nats.url, nats.dir, events, 2, &flood);
        if (rc == 0) {
            int st = test_proc_wait(&flood, BENCH_TIMEOUT_MS);
            rc = st < 0 ? -1 : bench_flood_ok(st, 2);
        }
        bench_flood_line(nats.dir, 2);
        long stored = (long)(bench_last_seq(js) - first_seq + 1);
        bench_wadm_run_t drain;
        if (rc == 0 && !bench_wadm_start(&tw, nats.url))
            rc = -1;
        if (rc == 0)
            rc = bench_wadm_measure(&tw, NULL, js, &drain, first_seq - 1,
                                    stored);
        test_wadm_stop(&tw, 10000);
        test_wadm_cleanup(&tw);
        if (rc != 0)
            goto out;
        double drain_s = (drain.done_ms - drain.first_ms) / 1000.0;
        wadm_rates[r] = drain_s > 0 ? stored / drain_s : 0;
        printf("  wadm: %ld events applied in %.2f s: %.0f events/s; lag: "
               "stream backlog %ld at start, in flight up to %ld (window "
               "%d), resent %ld\n",
               stored, drain_s, wadm_rates[r], drain.max_pending,
               drain.max_in_flight, BENCH_WINDOW, drain.resent);
        bare_rates[r] = bench_bare_measure(nc, js, first_seq, stored);
        if (bare_rates[r] <= 0) {
            rc = -1;
            goto out;
        }
        printf("  bare: the same %ld events to a nats.c push consumer with "
               "explicit acks (window %d): %.0f events/s (wadm %.0f %%)\n",
               stored, BENCH_WINDOW, bare_rates[r],
               100 * wadm_rates[r] / bare_rates[r]);
    }
    double wadm_rate = bench_median(wadm_rates, rounds);
    double bare_rate = bench_median(bare_rates, rounds);
    double ratio = wadm_rate / bare_rate;
    printf("events: wadm %.0f events/s = %.0f %% of bare %.0f events/s "
           "(medians of %d rounds; goals: >= 50000 events/s %s, >= 50 %% "
           "%s)\n", wadm_rate, ratio * 100, bare_rate, rounds,
           wadm_rate >= 50000 ? "met" : "MISSED",
           ratio >= 0.5 ? "met" : "MISSED");
out:
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    test_nats_destroy(&nats);
    return rc == 0 ? 0 : 1;
}
