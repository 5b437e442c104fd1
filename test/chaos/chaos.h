/*
 * chaos.h - build/chaos (make chaos): several wadm instances, a 3-node
 * JetStream cluster and two simulated lattices, with processes killed at
 * random while applications are deployed and re-versioned; then checks
 * that nothing was lost, everything converged and no work was done twice.
 *
 * Types shared by the files of test/chaos/. The program is a test
 * harness: it blocks freely, and it signals only processes it started
 * (or pids it read from the status dump of one of them, checked against
 * the supervisor's pid), never a pid <= 1.
 */
#ifndef WADM_CHAOS_H
#define WADM_CHAOS_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test/lib/test_wadm.h"

#define CHAOS_NODES 3
#define CHAOS_WADMS 3
#define CHAOS_LATTICES 2
#define CHAOS_APPS_PER_LATTICE 25
#define CHAOS_APPS (CHAOS_LATTICES * CHAOS_APPS_PER_LATTICE)
#define CHAOS_HOSTS 10
#define CHAOS_VERSIONS_MAX 3

extern const char *const chaos_lattices[CHAOS_LATTICES];

/* Set by SIGINT/SIGTERM: every loop stops and the cleanup runs. */
extern volatile sig_atomic_t chaos_is_interrupted;

/* A seeded generator (splitmix64): the same seed, the same choices. */
typedef struct chaos_rng {
    uint64_t s;
} chaos_rng_t;

uint64_t chaos_rng_next(chaos_rng_t *r);

/* A uniform integer in [lo, hi]. */
unsigned chaos_rng_range(chaos_rng_t *r, unsigned lo, unsigned hi);

/* Milliseconds since the chaos clock started, for progress lines. */
double chaos_elapsed_s(void);

/* A progress line "[  12.345s] ..." on stdout, flushed. */
void chaos_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One application as this program stored and deployed it: versions
 * v1..v<nput> with their instance counts, deployed in order, the last
 * one being v<ndeployed>. Written only by the thread that runs its API
 * calls (under chaos_apps_lock while the re-versioner runs).
 */
typedef struct chaos_app {
    char name[16];
    int k;
    int lattice;
    int nput;
    int ndeployed;
    int count[CHAOS_VERSIONS_MAX];
    char error[320];            /* the API call that gave up, "" if none */
} chaos_app_t;

extern pthread_mutex_t chaos_apps_lock;

/* Instances the hosts had to start for app: the sum of the increases. */
int chaos_app_needed(const chaos_app_t *app);

/* Scale commands that changed something, as needed: one per change. */
int chaos_app_needed_commands(const chaos_app_t *app);

/* ---- chaos_own.c: who owns each lattice, failovers ------------------- */

/* One wadm instance slot; a killed one is restarted in a fresh run dir. */
typedef struct chaos_wadm {
    test_wadm_t tw;
    int slot;
    int incarnation;            /* 1 for the first start, +1 per restart */
    bool is_up;
    uint64_t restart_due_ms;    /* while down */
    bool owns[CHAOS_LATTICES];  /* from its last dump */
    bool is_dumped;             /* the last dump was read */
    char *dump;                 /* the last dump read, for diagnostics */
} chaos_wadm_t;

typedef struct chaos_failover {
    int lattice;
    double at_s;                /* when the new owner was seen */
    int from_slot;
    int from_inc;
    int to_slot;
    int to_inc;
    uint64_t gap_ms;
    bool is_killed;             /* the gap started with a kill of ours */
} chaos_failover_t;

#define CHAOS_FAILOVERS_MAX 1024

typedef struct chaos_own_lat {
    int slot;                   /* current owner, -1 when none seen */
    int inc;
    uint64_t last_seen_ms;
    uint64_t killed_ms;         /* its owner was killed by us, 0 if not */
    int prev_slot;              /* the owner before the gap, -1 if none */
    int prev_inc;
    uint64_t gap_from_ms;
    bool is_overlap;            /* two instances claim it right now */
    uint64_t next_diag_ms;      /* during a long gap: when to explain it */
} chaos_own_lat_t;

typedef struct chaos_own {
    chaos_own_lat_t lat[CHAOS_LATTICES];
    chaos_failover_t ev[CHAOS_FAILOVERS_MAX];
    int nev;
    int overlaps;               /* episodes of two claimants at once */
    uint64_t polls;
    uint64_t next_poll_ms;
} chaos_own_t;

void chaos_own_init(chaos_own_t *o);

/*
 * Reads the dump of every running instance (SIGUSR1) and updates who owns
 * each lattice, printing a line for every change of owner.
 */
void chaos_own_poll(chaos_own_t *o, chaos_wadm_t *w, int n);

/* The owner of lattice l (-1: every lattice) in slot was just killed. */
void chaos_own_killed(chaos_own_t *o, int slot, int lattice);

/* Whether each lattice has exactly one owner among the running instances,
 * by their last dumps; why says which does not. */
bool chaos_own_is_unique(const chaos_wadm_t *w, int n, char *why,
                         size_t cap);

/* Prints the failover figures. */
void chaos_own_report(const chaos_own_t *o);

/* A lattice may be without owner this long at most (20 lease TTLs: the
   chaos may kill each new candidate in turn while NATS recovers). */
#define CHAOS_GAP_MAX_MS 60000

/* ---- chaos_api.c: the wadm API and the hostsim verbs over NATS -------- */

typedef struct chaos_api {
    natsConnection *nc;
    unsigned timeout_ms;        /* per request */
    int attempts;               /* per call, bounded */
    uint64_t requests_total;
    uint64_t retries_total;
} chaos_api_t;

/* Connects to the servers of urls (comma-separated). Returns 0 or -1. */
int chaos_api_open(chaos_api_t *a, const char *urls);
void chaos_api_close(chaos_api_t *a);

/*
 * Stores version v (1-based) of app: model.put with the JSON manifest,
 * as wash does. A reply that the version already exists means an earlier
 * attempt stored it. Returns 0, or -1 with app->error set.
 */
int chaos_api_put(chaos_api_t *a, chaos_app_t *app, int v);

/* model.deploy of version v of app. Returns 0, or -1 with app->error. */
int chaos_api_deploy(chaos_api_t *a, chaos_app_t *app, int v);

/*
 * A wadm API request {prefix}.{lattice}.{op} with retries on timeouts
 * and transport errors: the parsed reply (caller deletes) or NULL, with
 * why filled.
 */
cJSON *chaos_api_request(chaos_api_t *a, const char *lattice,
                         const char *op, const char *body, char *why,
                         size_t cap);

/* A hostsim.<lattice>.<verb> request, retried: its "response" member
 * detached (caller deletes), or NULL with why filled. */
cJSON *chaos_hs_admin(chaos_api_t *a, const char *lattice, const char *verb,
                      const char *body, char *why, size_t cap);

/*
 * Runs the re-versioning plan on its own thread: every app gets a v2 and
 * about half a v3, each with an instance count that differs from the one
 * before, spread over duration_ms. chaos_rever_join() waits for the
 * calls in flight (bounded by their retries).
 */
typedef struct chaos_rever {
    pthread_t thread;
    bool is_running;
    chaos_api_t *api;
    chaos_app_t *apps;
    chaos_rng_t rng;
    uint64_t duration_ms;
    int ops_total;
    int ops_done;
    int ops_failed;
} chaos_rever_t;

int chaos_rever_start(chaos_rever_t *rv, chaos_api_t *api, chaos_app_t *apps,
                      uint64_t seed, uint64_t duration_ms);
void chaos_rever_join(chaos_rever_t *rv);

/* ---- chaos_check.c: convergence and the figures ------------------------ */

typedef struct chaos_report {
    int failures;
    uint64_t converge_ms;       /* 0 when it did not converge */
    long started[CHAOS_LATTICES];       /* instances the hosts started */
    long needed[CHAOS_LATTICES];
    long needed_commands[CHAOS_LATTICES];
    long scales[CHAOS_LATTICES];        /* component.scale requests */
    long scale_up[CHAOS_LATTICES];
    long scale_down[CHAOS_LATTICES];
    long scale_noop[CHAOS_LATTICES];
    long scale_failed[CHAOS_LATTICES];
    long requests[CHAOS_LATTICES];      /* every control request */
} chaos_report_t;

/* Prints "FAIL: ..." and counts it in r. */
void chaos_fail(chaos_report_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Polls until every app is stored with all its versions, deployed at its
 * last deployed version with status deployed, and the hosts run exactly
 * its instances, or timeout_ms passes; then reports what is still wrong.
 * poll (may be NULL) runs between rounds (ownership tracking).
 */
void chaos_check_converge(chaos_api_t *a, const chaos_app_t *apps,
                          unsigned timeout_ms, void (*poll)(void *),
                          void *arg, chaos_report_t *r);

/* Reads the hosts' command counters and checks starts <= needed. */
void chaos_check_commands(chaos_api_t *a, const chaos_app_t *apps,
                          chaos_report_t *r);

#endif
