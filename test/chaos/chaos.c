/*
 * chaos.c - build/chaos, run by "make chaos": a 3-node JetStream cluster,
 * two simulated lattices of 10 hosts (build/hostsim), three wadm
 * instances (build/wadm) and 50 applications; then, for CHAOS_SECONDS
 * (default 120), a kill -9 every 0.5-3 s of a worker, a whole wadm
 * (restarted 1-3 s later, one always left running) or a NATS node
 * (restarted 2-6 s later; one down at a time, and not within 5 s of a
 * restart), while applications are re-versioned; then the checks of
 * chaos_check.c and the figures.
 *
 * Environment: CHAOS_SECONDS, CHAOS_SEED (printed; default from the
 * clock), CHAOS_KINDS (comma-separated subset of "worker,wadm,nats"; "none"
 * for a baseline run), CHAOS_KEEP (keep logs and stores even on success),
 * CHAOS_HOLD (on failure, keep everything running until SIGINT),
 * WADM_BIN, HOSTSIM_BIN. Exit 0 when every check passes, 1 otherwise
 * (one "FAIL:" line per failed check), 130 when interrupted.
 *
 * Safety: signals go only to processes started here, or to worker pids
 * read from the status dump of a wadm started here and checked to be that
 * supervisor's children; never to a pid <= 1. Everything is stopped and
 * reaped by pid on every exit path (atexit, SIGINT, SIGTERM).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/chaos/chaos.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"

const char *const chaos_lattices[CHAOS_LATTICES] = {"alpha", "beta"};
volatile sig_atomic_t chaos_is_interrupted;
pthread_mutex_t chaos_apps_lock = PTHREAD_MUTEX_INITIALIZER;

enum chaos_kind {
    CHAOS_KILL_WORKER = 0,
    CHAOS_KILL_WADM,
    CHAOS_KILL_NATS,
    CHAOS_KINDS,
};

static const char *const chaos_kind_names[CHAOS_KINDS] = {"worker", "wadm",
                                                          "nats"};

/* Everything this program started, for the cleanup on any exit path. */
static struct {
    test_cluster_t cluster;
    bool is_cluster_up;
    test_proc_t hostsim[CHAOS_LATTICES];
    chaos_wadm_t wadm[CHAOS_WADMS];
    char *run_dirs[64];         /* of every wadm started, for removal */
    int nrun_dirs;
    char dir[64];               /* hostsim logs */
    chaos_api_t api;
    bool is_api_open;
    chaos_rever_t rever;
    bool is_cleaned;
    bool is_keeping;            /* keep logs and stores (failure, KEEP) */
} g;

static uint64_t chaos_t0_ms;

/* ---- small helpers ------------------------------------------------------ */

uint64_t
chaos_rng_next(chaos_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned
chaos_rng_range(chaos_rng_t *r, unsigned lo, unsigned hi)
{
    return lo + (unsigned)(chaos_rng_next(r) % ((uint64_t)hi - lo + 1));
}

double
chaos_elapsed_s(void)
{
    return (double)(test_now_ms() - chaos_t0_ms) / 1000.0;
}

void
chaos_say(const char *fmt, ...)
{
    /* one write per line: the re-versioning thread prints too */
    char line[1024];
    int n = snprintf(line, sizeof(line), "[%8.3fs] ", chaos_elapsed_s());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    fputs(line, stdout);
    fflush(stdout);
}

static void
chaos_on_signal(int sig)
{
    (void)sig;
    chaos_is_interrupted = 1;
}

/* Whether env variable name is set to something (not empty, not 0). */
static bool
chaos_env_is_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static long
chaos_env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < 0) {
        fprintf(stderr, "chaos: %s=\"%s\" is not a number\n", name, v);
        exit(1);
    }
    return n;
}

/*
 * The parent pid and start time of pid from /proc/<pid>/stat; false when
 * the process is gone (or a zombie that no longer runs).
 */
static bool
chaos_pid_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        return false;
    const char *p = strrchr(text, ')');
    char state = 0;
    long pp = 0;
    int n = p ? sscanf(p + 2, "%c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                       "%*u %*u %*d %*d %*d %*d %*d %*d %llu",
                       &state, &pp, start) : 0;
    free(text);
    *ppid = (pid_t)pp;
    return n == 3 && state != 'Z';
}

/* ---- processes ----------------------------------------------------------- */

#define CHAOS_LEASE_TTL_MS "3000"

static char *const chaos_wadm_args[] = {
    "--replicas", "3",
    "--lease-ttl-ms", CHAOS_LEASE_TTL_MS,
    "--lease-renew-ms", "500",
    /* hosts must outlive the longest NATS gap: not reaped during chaos */
    "--cleanup-interval", "600",
    /* a worker killed often must not trip the breaker and stop wadm */
    "--restart-intensity", "1000",
    "--heartbeat-interval-ms", "1000",
    "--status-reply-timeout-ms", "300",
    /* every command in the logs, for the post-mortem of a failed run */
    "--log-level", "debug",
    NULL,
};

static int
chaos_wadm_start(chaos_wadm_t *w)
{
    int rc = test_wadm_start(&w->tw, g.cluster.urls, chaos_wadm_args);
    if (w->tw.run_dir[0] != '\0' &&
        g.nrun_dirs < (int)(sizeof(g.run_dirs) / sizeof(g.run_dirs[0])))
        g.run_dirs[g.nrun_dirs++] = strdup(w->tw.run_dir);
    if (rc != 0) {
        if (w->tw.proc.pid > 0)
            test_wadm_stop(&w->tw, 5000);
        return -1;
    }
    w->incarnation++;
    w->is_up = true;
    chaos_say("wadm%d#%d started (pid %ld, run dir %s)", w->slot,
              w->incarnation, (long)w->tw.proc.pid, w->tw.run_dir);
    return 0;
}

static int
chaos_hostsim_start(int l)
{
    const char *bin = getenv("HOSTSIM_BIN");
    if (bin == NULL || *bin == '\0')
        bin = "build/hostsim";
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "chaos: hostsim binary \"%s\" not found (set "
                "HOSTSIM_BIN)\n", bin);
        return -1;
    }
    char log[128], hosts[16], hb[16];
    snprintf(log, sizeof(log), "%s/hostsim-%s.log", g.dir, chaos_lattices[l]);
    snprintf(hosts, sizeof(hosts), "%d", CHAOS_HOSTS);
    snprintf(hb, sizeof(hb), "%d", 2000);
    char seed[16];
    snprintf(seed, sizeof(seed), "%d", l + 1);
    char *argv[] = {(char *)bin, "--nats", g.cluster.urls, "--lattice",
                    (char *)chaos_lattices[l], "--hosts", hosts,
                    "--heartbeat-ms", hb, "--seed", seed, NULL};
    if (test_proc_start(&g.hostsim[l], argv, NULL, log) != 0)
        return -1;
    uint64_t deadline = test_now_ms() + 20000;
    while (test_now_ms() < deadline && !chaos_is_interrupted) {
        char *text = test_read_file(log, NULL);
        bool is_ready = text && strstr(text, "hosts ready") != NULL;
        free(text);
        if (is_ready)
            return 0;
        if (test_proc_wait(&g.hostsim[l], 0) != -1 ||
            g.hostsim[l].pid == 0)
            break;
        test_pause_ms(20);
    }
    fprintf(stderr, "chaos: hostsim for %s did not start, log %s\n",
            chaos_lattices[l], log);
    return -1;
}

static void
chaos_cleanup(void)
{
    if (g.is_cleaned)
        return;
    g.is_cleaned = true;
    chaos_is_interrupted = 1; /* the re-versioner stops at its next step */
    chaos_rever_join(&g.rever);
    if (g.is_api_open)
        chaos_api_close(&g.api);
    for (int i = 0; i < CHAOS_WADMS; i++)
        if (g.wadm[i].tw.proc.pid > 0)
            test_wadm_stop(&g.wadm[i].tw, 10000);
    for (int l = 0; l < CHAOS_LATTICES; l++)
        test_proc_stop(&g.hostsim[l], 5000);
    if (g.is_keeping) {
        for (int i = 0; i < g.cluster.n; i++)
            test_proc_stop(&g.cluster.node[i].proc, 5000);
        printf("kept: %s (hostsim logs), %s (NATS stores and logs), wadm "
               "run dirs:", g.dir, g.cluster.dir);
        for (int i = 0; i < g.nrun_dirs; i++)
            printf(" %s", g.run_dirs[i]);
        printf("\n");
    } else {
        if (g.is_cluster_up)
            test_cluster_destroy(&g.cluster);
        for (int i = 0; i < g.nrun_dirs; i++)
            test_sh("rm -rf '%s'", g.run_dirs[i]);
        if (g.dir[0] != '\0')
            test_sh("rm -rf '%s'", g.dir);
    }
    for (int i = 0; i < g.nrun_dirs; i++)
        free(g.run_dirs[i]);
    g.nrun_dirs = 0;
    for (int i = 0; i < CHAOS_WADMS; i++) {
        free(g.wadm[i].dump);
        g.wadm[i].dump = NULL;
    }
    fflush(stdout);
}

/* ---- the chaos ---------------------------------------------------------- */

/* A worker of a killed supervisor: it must exit on its own (EOF on fd 3). */
typedef struct chaos_orphan {
    pid_t pid;
    unsigned long long start;
    uint64_t deadline_ms;
    char name[64];
} chaos_orphan_t;

#define CHAOS_ORPHANS_MAX 64
#define CHAOS_NATS_SETTLE_MS 5000  /* after a node restart, before a kill */
#define CHAOS_WORKERS_MAX 16

typedef struct chaos_run {
    chaos_rng_t rng;
    bool is_kind[CHAOS_KINDS];
    chaos_own_t own;
    chaos_report_t report;
    int kills[CHAOS_KINDS];
    int worker_kills_rec;
    int worker_kills_ingest;
    int worker_kills_dispatch;
    int wadm_restarts;
    int nats_restarts;
    int nats_down;              /* node index, -1 when all are up */
    uint64_t nats_due_ms;
    uint64_t nats_settled_ms;   /* no NATS kill before (catching up) */
    chaos_orphan_t orphans[CHAOS_ORPHANS_MAX];
    int norphans;
    int orphans_checked;
} chaos_run_t;

/* The worker sections of a dump: names and pids (pid > 1 only). */
static int
chaos_dump_workers(const char *dump, char names[][64], pid_t *pids, int cap)
{
    int n = 0;
    const char *p = dump;
    while (n < cap && (p = strstr(p, "\n# worker ")) != NULL) {
        p += strlen("\n# worker ");
        size_t len = strcspn(p, "\n");
        if (len == 0 || len >= 64)
            continue;
        char section[80];
        snprintf(section, sizeof(section), "worker %.*s", (int)len, p);
        long pid = test_dump_num(dump, section, "pid");
        if (pid <= 1)
            continue; /* not running: never kill(0 or -1 or 1) */
        memcpy(names[n], p, len);
        names[n][len] = '\0';
        pids[n] = (pid_t)pid;
        n++;
    }
    return n;
}

/* Picks a running instance at random; -1 when none (or < min running). */
static int
chaos_pick_wadm(chaos_run_t *run, int min_up)
{
    int up[CHAOS_WADMS];
    int n = 0;
    for (int i = 0; i < CHAOS_WADMS; i++)
        if (g.wadm[i].is_up)
            up[n++] = i;
    if (n < min_up || n == 0)
        return -1;
    return up[chaos_rng_range(&run->rng, 0, (unsigned)n - 1)];
}

static bool
chaos_kill_worker(chaos_run_t *run)
{
    int slot = chaos_pick_wadm(run, 1);
    if (slot < 0)
        return false;
    chaos_wadm_t *w = &g.wadm[slot];
    char *d = test_wadm_dump(&w->tw);
    if (d == NULL) {
        chaos_say("no dump from wadm%d#%d: no worker killed", slot,
                  w->incarnation);
        return false;
    }
    char names[CHAOS_WORKERS_MAX][64];
    pid_t pids[CHAOS_WORKERS_MAX];
    int n = chaos_dump_workers(d, names, pids, CHAOS_WORKERS_MAX);
    free(d);
    if (n == 0)
        return false;
    int k = (int)chaos_rng_range(&run->rng, 0, (unsigned)n - 1);
    pid_t ppid = 0;
    unsigned long long start = 0;
    /* the pid must still be this supervisor's child, not a reused one */
    if (!chaos_pid_stat(pids[k], &ppid, &start) ||
        ppid != w->tw.proc.pid) {
        chaos_say("worker %s[%ld] of wadm%d#%d is gone already", names[k],
                  (long)pids[k], slot, w->incarnation);
        return false;
    }
    if (kill(pids[k], SIGKILL) != 0)
        return false;
    chaos_say("kill -9 worker %s[%ld] of wadm%d#%d", names[k],
              (long)pids[k], slot, w->incarnation);
    run->kills[CHAOS_KILL_WORKER]++;
    if (strncmp(names[k], "rec.", 4) == 0) {
        run->worker_kills_rec++;
        for (int l = 0; l < CHAOS_LATTICES; l++)
            if (strcmp(names[k] + 4, chaos_lattices[l]) == 0)
                chaos_own_killed(&run->own, slot, l);
    } else if (strncmp(names[k], "ingest", 6) == 0) {
        run->worker_kills_ingest++;
    } else {
        run->worker_kills_dispatch++;
    }
    return true;
}

static bool
chaos_kill_wadm(chaos_run_t *run)
{
    int slot = chaos_pick_wadm(run, 2); /* one always stays up */
    if (slot < 0)
        return false;
    chaos_wadm_t *w = &g.wadm[slot];
    /* its workers, to check that they follow their supervisor */
    char *d = test_wadm_dump(&w->tw);
    char names[CHAOS_WORKERS_MAX][64];
    pid_t pids[CHAOS_WORKERS_MAX];
    int n = d ? chaos_dump_workers(d, names, pids, CHAOS_WORKERS_MAX) : 0;
    free(d);
    pid_t sup = w->tw.proc.pid;
    if (sup <= 1)
        return false;
    for (int i = 0; i < n && run->norphans < CHAOS_ORPHANS_MAX; i++) {
        chaos_orphan_t *o = &run->orphans[run->norphans];
        pid_t ppid = 0;
        if (!chaos_pid_stat(pids[i], &ppid, &o->start) || ppid != sup)
            continue;
        o->pid = pids[i];
        o->deadline_ms = 0; /* set once the supervisor is dead */
        snprintf(o->name, sizeof(o->name), "%.40s of wadm%d#%d", names[i],
                 slot, w->incarnation);
        run->norphans++;
    }
    test_proc_signal(&w->tw.proc, SIGKILL);
    (void)test_proc_wait(&w->tw.proc, 5000); /* reaped: pid cleared */
    uint64_t now = test_now_ms();
    for (int i = 0; i < run->norphans; i++)
        if (run->orphans[i].deadline_ms == 0)
            run->orphans[i].deadline_ms = now + 5000;
    w->is_up = false;
    w->restart_due_ms = now + chaos_rng_range(&run->rng, 1000, 3000);
    chaos_own_killed(&run->own, slot, -1);
    run->kills[CHAOS_KILL_WADM]++;
    chaos_say("kill -9 wadm%d#%d (supervisor %ld and its %d workers), "
              "restart in %.1f s", slot, w->incarnation, (long)sup, n,
              (double)(w->restart_due_ms - now) / 1000.0);
    return true;
}

static bool
chaos_kill_nats(chaos_run_t *run)
{
    /*
     * At most one node down at a time, and a restarted node gets time to
     * catch up first: a node that has not caught up counts as down for
     * the replicated streams, and two of three down is an outage of the
     * cluster, not something wadm can be tested against.
     */
    if (run->nats_down >= 0 || test_now_ms() < run->nats_settled_ms)
        return false;
    int i = (int)chaos_rng_range(&run->rng, 0, CHAOS_NODES - 1);
    test_nats_t *node = &g.cluster.node[i];
    pid_t pid = node->proc.pid;
    if (pid <= 1)
        return false;
    test_proc_signal(&node->proc, SIGKILL);
    (void)test_proc_wait(&node->proc, 5000);
    run->nats_down = i;
    uint64_t now = test_now_ms();
    run->nats_due_ms = now + chaos_rng_range(&run->rng, 2000, 6000);
    run->kills[CHAOS_KILL_NATS]++;
    chaos_say("kill -9 NATS node%d (pid %ld, port %d), restart in %.1f s", i,
              (long)pid, node->port,
              (double)(run->nats_due_ms - now) / 1000.0);
    return true;
}

static void
chaos_act(chaos_run_t *run)
{
    /* weights: workers 2, wadm 1, NATS 1, among the enabled kinds */
    static const int weight[CHAOS_KINDS] = {2, 1, 1};
    for (int tries = 0; tries < 4; tries++) {
        int total = 0;
        for (int k = 0; k < CHAOS_KINDS; k++)
            total += run->is_kind[k] ? weight[k] : 0;
        if (total == 0)
            return;
        int r = (int)chaos_rng_range(&run->rng, 0, (unsigned)total - 1);
        int kind = 0;
        while (!run->is_kind[kind] || r >= weight[kind]) {
            if (run->is_kind[kind])
                r -= weight[kind];
            kind++;
        }
        bool is_done = kind == CHAOS_KILL_WORKER ? chaos_kill_worker(run)
                       : kind == CHAOS_KILL_WADM ? chaos_kill_wadm(run)
                                                 : chaos_kill_nats(run);
        if (is_done)
            return;
    }
}

/* Restarts what is due (everything when is_all), notices what died. */
static void
chaos_tend(chaos_run_t *run, bool is_all)
{
    uint64_t now = test_now_ms();
    for (int i = 0; i < CHAOS_WADMS; i++) {
        chaos_wadm_t *w = &g.wadm[i];
        if (w->is_up && test_proc_wait(&w->tw.proc, 0) != -1) {
            chaos_fail(&run->report, "wadm%d#%d exited by itself (log %s)",
                       i, w->incarnation, w->tw.log_path);
            w->is_up = false;
            w->restart_due_ms = now;
        }
        if (!w->is_up && (is_all || now >= w->restart_due_ms)) {
            if (chaos_wadm_start(w) == 0) {
                run->wadm_restarts++;
            } else {
                chaos_fail(&run->report, "wadm%d did not start again (log "
                           "%s); retrying", i, w->tw.log_path);
                w->restart_due_ms = now + 1000;
            }
        }
    }
    for (int i = 0; i < CHAOS_NODES; i++) {
        test_nats_t *node = &g.cluster.node[i];
        if (i != run->nats_down && test_proc_wait(&node->proc, 0) != -1) {
            chaos_fail(&run->report, "NATS node%d exited by itself (log "
                       "%s/nats.log)", i, node->dir);
            if (run->nats_down < 0) {
                run->nats_down = i;
                run->nats_due_ms = now;
            }
        }
    }
    if (run->nats_down >= 0 && (is_all || now >= run->nats_due_ms)) {
        int i = run->nats_down;
        if (test_cluster_restart_node(&g.cluster, i) == 0) {
            chaos_say("NATS node%d restarted (pid %ld)", i,
                      (long)g.cluster.node[i].proc.pid);
            run->nats_down = -1;
            run->nats_restarts++;
            run->nats_settled_ms = test_now_ms() + CHAOS_NATS_SETTLE_MS;
        } else {
            chaos_fail(&run->report, "NATS node%d did not start again (log "
                       "%s/nats.log); retrying", i, g.cluster.node[i].dir);
            run->nats_due_ms = now + 1000;
        }
    }
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        if (g.hostsim[l].pid > 0 && test_proc_wait(&g.hostsim[l], 0) != -1) {
            chaos_fail(&run->report, "hostsim of %s exited (log %s)",
                       chaos_lattices[l], g.hostsim[l].log_path);
            chaos_is_interrupted = 1;
        }
    }
    /* the workers of killed supervisors must be gone within 5 s */
    for (int i = 0; i < run->norphans; i++) {
        chaos_orphan_t *o = &run->orphans[i];
        pid_t ppid = 0;
        unsigned long long start = 0;
        bool is_alive = chaos_pid_stat(o->pid, &ppid, &start) &&
                        start == o->start;
        if (is_alive && now < o->deadline_ms)
            continue;
        if (is_alive) {
            chaos_fail(&run->report, "worker %s [%ld] outlived its "
                       "supervisor by 5 s; killing it", o->name,
                       (long)o->pid);
            if (o->pid > 1)
                kill(o->pid, SIGKILL);
        }
        run->orphans_checked++;
        run->orphans[i] = run->orphans[--run->norphans];
        i--;
    }
}

static void
chaos_poll_cb(void *arg)
{
    chaos_run_t *run = arg;
    chaos_tend(run, false);
    if (test_now_ms() >= run->own.next_poll_ms) {
        chaos_own_poll(&run->own, g.wadm, CHAOS_WADMS);
        run->own.next_poll_ms = test_now_ms() + 200;
    }
}

static void
chaos_loop(chaos_run_t *run, uint64_t seconds)
{
    uint64_t end = test_now_ms() + seconds * 1000;
    uint64_t next = test_now_ms() + chaos_rng_range(&run->rng, 500, 3000);
    while (!chaos_is_interrupted && test_now_ms() < end) {
        chaos_poll_cb(run);
        if (test_now_ms() >= next && test_now_ms() < end) {
            chaos_act(run);
            next = test_now_ms() + chaos_rng_range(&run->rng, 500, 3000);
        }
        test_pause_ms(20); /* pacing of the schedule */
    }
}

/* ---- main --------------------------------------------------------------- */

static void
chaos_kinds_parse(chaos_run_t *run)
{
    const char *v = getenv("CHAOS_KINDS");
    char list[128];
    snprintf(list, sizeof(list), "%s", v && *v ? v : "worker,wadm,nats");
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        bool is_known = strcmp(t, "none") == 0;
        for (int k = 0; k < CHAOS_KINDS; k++) {
            if (strcmp(t, chaos_kind_names[k]) == 0) {
                run->is_kind[k] = true;
                is_known = true;
            }
        }
        if (!is_known) {
            fprintf(stderr, "chaos: CHAOS_KINDS: unknown kind \"%s\" (want "
                    "worker, wadm, nats or none)\n", t);
            exit(1);
        }
    }
}

/* Waits until each lattice has an owner (the lattices were discovered). */
static bool
chaos_wait_owners(chaos_run_t *run, unsigned timeout_ms)
{
    uint64_t deadline = test_now_ms() + timeout_ms;
    while (!chaos_is_interrupted && test_now_ms() < deadline) {
        chaos_own_poll(&run->own, g.wadm, CHAOS_WADMS);
        bool is_all = true;
        for (int l = 0; l < CHAOS_LATTICES; l++)
            is_all = is_all && run->own.lat[l].slot >= 0;
        if (is_all)
            return true;
        test_pause_ms(200);
    }
    return false;
}

static int
chaos_deploy_initial(chaos_run_t *run, chaos_app_t *apps)
{
    int failed = 0;
    for (int i = 0; i < CHAOS_APPS && !chaos_is_interrupted; i++) {
        chaos_app_t *app = &apps[i];
        app->count[0] = (int)chaos_rng_range(&run->rng, 1, 3);
        if (chaos_api_put(&g.api, app, 1) != 0 ||
            chaos_api_deploy(&g.api, app, 1) != 0)
            failed++;
    }
    return failed;
}

static void
chaos_figures(const chaos_run_t *run, const chaos_app_t *apps,
              uint64_t seed, long seconds)
{
    const chaos_report_t *r = &run->report;
    printf("\n== chaos figures (seed %llu, %ld s, CHAOS_SEED=%llu "
           "CHAOS_SECONDS=%ld to repeat the choices)\n",
           (unsigned long long)seed, seconds, (unsigned long long)seed,
           seconds);
    printf("kills survived: %d workers (rec %d, ingest %d, dispatch %d), "
           "%d whole wadm instances, %d NATS nodes\n",
           run->kills[CHAOS_KILL_WORKER], run->worker_kills_rec,
           run->worker_kills_ingest, run->worker_kills_dispatch,
           run->kills[CHAOS_KILL_WADM], run->kills[CHAOS_KILL_NATS]);
    printf("restarts by this program: %d wadm, %d NATS node; workers of "
           "killed supervisors checked gone: %d\n", run->wadm_restarts,
           run->nats_restarts, run->orphans_checked);
    chaos_own_report(&run->own);
    printf("api: %llu requests, %llu retries\n",
           (unsigned long long)g.api.requests_total,
           (unsigned long long)g.api.retries_total);
    int versions = 0;
    for (int i = 0; i < CHAOS_APPS; i++)
        versions += apps[i].ndeployed;
    printf("apps: %d, versions deployed: %d (re-versions during chaos: %d "
           "done, %d failed)\n", CHAOS_APPS, versions, g.rever.ops_done,
           g.rever.ops_failed);
    for (int l = 0; l < CHAOS_LATTICES; l++)
        printf("commands %s: %ld control requests at the hosts, %ld "
               "component.scale (up %ld, down %ld, no-op %ld, failed %ld), "
               "%ld scale changes needed; instances started %ld, needed "
               "%ld\n", chaos_lattices[l], r->requests[l], r->scales[l],
               r->scale_up[l], r->scale_down[l], r->scale_noop[l],
               r->scale_failed[l], r->needed_commands[l], r->started[l],
               r->needed[l]);
    if (r->converge_ms)
        printf("converged %.2f s after the chaos stopped (everything "
               "running again, last API call answered)\n",
               (double)r->converge_ms / 1000.0);
    else
        printf("did not converge\n");
}

int
main(void)
{
    static chaos_run_t run;
    static chaos_app_t apps[CHAOS_APPS];
    chaos_t0_ms = test_now_ms();
    long seconds = chaos_env_long("CHAOS_SECONDS", 120);
    uint64_t seed = (uint64_t)chaos_env_long(
        "CHAOS_SEED", (long)((uint64_t)time(NULL) ^ (uint64_t)getpid()) &
                          0x7fffffff);
    run.rng.s = seed;
    run.nats_down = -1;
    chaos_kinds_parse(&run);
    chaos_own_init(&run.own);
    printf("chaos: seed %llu, %ld s, kinds:%s%s%s (CHAOS_SEED, "
           "CHAOS_SECONDS, CHAOS_KINDS)\n", (unsigned long long)seed,
           seconds, run.is_kind[0] ? " worker" : "",
           run.is_kind[1] ? " wadm" : "", run.is_kind[2] ? " nats" : "");
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = chaos_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    g.is_keeping = chaos_env_is_set("CHAOS_KEEP");
    if (atexit(chaos_cleanup) != 0)
        return 1;
    if (test_wadm_bin() == NULL || !test_nats_available()) {
        fprintf(stderr, "chaos: needs nats-server and build/wadm (WADM_BIN)"
                "\n");
        return 1;
    }
    snprintf(g.dir, sizeof(g.dir), "/tmp/wadm-chaos-XXXXXX");
    if (mkdtemp(g.dir) == NULL) {
        g.dir[0] = '\0';
        perror("chaos: mkdtemp");
        return 1;
    }
    for (int i = 0; i < CHAOS_APPS; i++) {
        snprintf(apps[i].name, sizeof(apps[i].name), "app%d", i);
        apps[i].k = i;
        apps[i].lattice = i / CHAOS_APPS_PER_LATTICE;
    }
    chaos_report_t *rep = &run.report;
    g.is_cluster_up = test_cluster_start(&g.cluster, CHAOS_NODES) == 0;
    if (!g.is_cluster_up) {
        chaos_fail(rep, "the 3-node NATS cluster did not start (in %s)",
                   g.cluster.dir);
        g.is_keeping = true;
        return 1;
    }
    chaos_say("NATS cluster up: %s", g.cluster.urls);
    for (int i = 0; i < CHAOS_WADMS; i++) {
        g.wadm[i].slot = i;
        if (chaos_wadm_start(&g.wadm[i]) != 0) {
            chaos_fail(rep, "wadm%d did not start (log %s)", i,
                       g.wadm[i].tw.log_path);
            g.is_keeping = true;
            return 1;
        }
    }
    for (int l = 0; l < CHAOS_LATTICES; l++) {
        if (chaos_hostsim_start(l) != 0) {
            g.is_keeping = true;
            return 1;
        }
        chaos_say("hostsim %s: %d hosts", chaos_lattices[l], CHAOS_HOSTS);
    }
    if (chaos_api_open(&g.api, g.cluster.urls) != 0) {
        g.is_keeping = true;
        return 1;
    }
    g.is_api_open = true;
    if (!chaos_wait_owners(&run, 60000)) {
        chaos_fail(rep, "no owner for every lattice within 60 s");
        g.is_keeping = true;
        return chaos_is_interrupted ? 130 : 1;
    }
    int failed = chaos_deploy_initial(&run, apps);
    chaos_say("%d apps put and deployed (v1), %d failed", CHAOS_APPS - failed,
              failed);

    chaos_say("chaos for %ld s", seconds);
    if (chaos_rever_start(&g.rever, &g.api, apps, seed,
                          (uint64_t)seconds * 1000) != 0) {
        chaos_fail(rep, "cannot start the re-versioning thread");
        return 1;
    }
    chaos_loop(&run, (uint64_t)seconds);
    if (chaos_is_interrupted)
        return 130; /* the cleanup runs at exit */
    chaos_say("chaos over: restarting what is down");
    chaos_tend(&run, true);
    chaos_rever_join(&g.rever);
    chaos_say("every process running, every API call answered; checking");
    if (chaos_is_interrupted)
        return 130;

    chaos_check_converge(&g.api, apps, 30000, chaos_poll_cb, &run, rep);
    /* ownership: fresh dumps until each lattice has one owner (15 s) */
    char why[512] = "";
    uint64_t deadline = test_now_ms() + 15000;
    bool is_unique = false;
    while (!chaos_is_interrupted && !is_unique) {
        chaos_own_poll(&run.own, g.wadm, CHAOS_WADMS);
        is_unique = chaos_own_is_unique(g.wadm, CHAOS_WADMS, why,
                                        sizeof(why));
        if (is_unique || test_now_ms() >= deadline)
            break;
        test_pause_ms(200);
    }
    if (!is_unique)
        chaos_fail(rep, "lattice ownership at the end: %s", why);
    /* the workers of killed supervisors: gone within their 5 s */
    deadline = test_now_ms() + 6000;
    while (run.norphans > 0 && test_now_ms() < deadline) {
        chaos_tend(&run, false);
        test_pause_ms(50);
    }
    for (int i = 0; i < run.own.nev; i++) {
        const chaos_failover_t *e = &run.own.ev[i];
        if (e->gap_ms > CHAOS_GAP_MAX_MS)
            chaos_fail(rep, "%s had no owner for %.1f s (until %.1f s), "
                       "more than %d s with a " CHAOS_LEASE_TTL_MS " ms "
                       "lease TTL", chaos_lattices[e->lattice],
                       (double)e->gap_ms / 1000.0, e->at_s,
                       CHAOS_GAP_MAX_MS / 1000);
    }
    chaos_check_commands(&g.api, apps, rep);
    chaos_figures(&run, apps, seed, seconds);
    if (chaos_is_interrupted)
        return 130;
    if (rep->failures > 0) {
        g.is_keeping = true;
        if (chaos_env_is_set("CHAOS_HOLD")) {
            chaos_say("CHAOS_HOLD: everything stays up for inspection "
                      "(NATS %s) until SIGINT", g.cluster.urls);
            while (!chaos_is_interrupted)
                test_pause_ms(200);
        }
        printf("chaos: %d check(s) FAILED (seed %llu)\n", rep->failures,
               (unsigned long long)seed);
        return 1;
    }
    printf("chaos: every check passed (seed %llu)\n",
           (unsigned long long)seed);
    return 0;
}
