/*
 * bench_deploy.c - reconciliation figures on real processes (nats-server,
 * build/wadm, build/hostsim):
 *
 * 1. latency from the deploy reply to the first control command for the
 *    application arriving on wasmbus.ctl.v1.<lattice>.> (the bench
 *    subscribes there like a host), p50 and p99 over many deploys, beside
 *    a bare NATS request/reply round trip measured in the same run, and
 *    their ratio (goal: p50 <= 3x, p99 <= 10x);
 * 2. the time until 500 applications on 200 simulated hosts are all
 *    deployed, and the RSS of the whole wadm process tree then.
 *
 * Skipped (exit 0) when nats-server, wadm or hostsim is missing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test/lib/test_bench.h"
#include "test/lib/test_life.h"
#include "test/lib/test_util.h"

#define LAT_APPS 300
#define RTT_ROUNDS 2000
#define BIG_APPS 500
#define BIG_HOSTS 200

static uint64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of v (sorted in place). */
static int64_t
pct(int64_t *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* ---- the first control command of each app, seen like a host ---------- */

static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t first_cv = PTHREAD_COND_INITIALIZER; /* any change */
static uint64_t first_cmd_us[LAT_APPS];

/* The CLOCK_REALTIME moment us microseconds from now (for first_cv). */
static struct timespec
until_us(uint64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

static void
on_ctl(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    (void)nc;
    (void)sub;
    (void)arg;
    uint64_t t = now_us();
    const char *data = natsMsg_GetData(msg);
    const char *p = data ? strstr(data, "\"wasmcloud.dev/appspec\":\"lat-")
                         : NULL;
    if (p) {
        int i = atoi(p + strlen("\"wasmcloud.dev/appspec\":\"lat-"));
        pthread_mutex_lock(&first_lock);
        if (i >= 0 && i < LAT_APPS && first_cmd_us[i] == 0) {
            first_cmd_us[i] = t;
            pthread_cond_broadcast(&first_cv);
        }
        pthread_mutex_unlock(&first_lock);
    }
    natsMsg_Destroy(msg);
}

static void
on_echo(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    (void)sub;
    (void)arg;
    natsConnection_Publish(nc, natsMsg_GetReply(msg), "{}", 2);
    natsMsg_Destroy(msg);
}

/* model.put; returns the version (static) or NULL. */
static const char *
put(test_life_t *t, const char *yaml)
{
    static char version[64];
    cJSON *r = test_life_api(t, "put", NULL, yaml);
    const cJSON *v = cJSON_GetObjectItem(r, "current_version");
    const char *out = NULL;
    if (cJSON_IsString(v)) {
        snprintf(version, sizeof(version), "%s", v->valuestring);
        out = version;
    }
    cJSON_Delete(r);
    return out;
}

/*
 * Puts n apps <prefix>-<i> (test_life_app_yaml with instances and
 * bucket), keeping their versions. Returns 0, or 1 after saying which
 * put failed (a bench reports, it does not assert).
 */
static int
put_apps(test_life_t *t, const char *prefix, int n, unsigned instances,
         const char *bucket, char (*versions)[64])
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s-%d", prefix, i);
        char *y = test_life_app_yaml(name, "ghcr.io/example/web:1.0.0",
                                     instances, bucket);
        const char *v = put(t, y);
        free(y);
        if (v == NULL) {
            fprintf(stderr, "bench_deploy: put of %s failed\n", name);
            return 1;
        }
        snprintf(versions[i], 64, "%s", v);
    }
    return 0;
}

static void
print_line(const char *what, int64_t *v, size_t n)
{
    int64_t p50 = pct(v, n, 50), p99 = pct(v, n, 99);
    printf("  %-34s p50 %6lld us   p99 %6lld us   (n=%zu)\n", what,
           (long long)p50, (long long)p99, n);
}

static int
bench_latency(void)
{
    test_life_t t;
    const char *hs[] = {"--hosts", "3", NULL};
    int rc = test_life_start(&t, "lat", 3, hs, NULL);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    natsConnection *nc = NULL;
    natsSubscription *ctl = NULL, *echo = NULL;
    if (natsConnection_ConnectTo(&nc, t.hs.nats.url) != NATS_OK ||
        natsConnection_Subscribe(&ctl, nc, "wasmbus.ctl.v1.lat.>", on_ctl,
                                 NULL) != NATS_OK ||
        natsConnection_Subscribe(&echo, nc, "bench.echo", on_echo, NULL) !=
            NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK) {
        fprintf(stderr, "bench_deploy: NATS setup failed\n");
        return 1;
    }
    /* bare round trip: the bench's client connection to a responder */
    static int64_t rtt[RTT_ROUNDS];
    for (int i = 0; i < RTT_ROUNDS; i++) {
        natsMsg *m = NULL;
        uint64_t t0 = now_us();
        if (natsConnection_RequestString(&m, t.hs.nc, "bench.echo", "{}",
                                         2000) != NATS_OK) {
            fprintf(stderr, "bench_deploy: echo request failed\n");
            return 1;
        }
        rtt[i] = (int64_t)(now_us() - t0);
        natsMsg_Destroy(m);
    }
    static char versions[LAT_APPS][64];
    if (put_apps(&t, "lat", LAT_APPS, 1, NULL, versions) != 0)
        return 1;
    static int64_t rep_to_cmd[LAT_APPS], req_to_cmd[LAT_APPS],
        req_to_rep[LAT_APPS];
    size_t n = 0, before_reply = 0;
    for (int i = 0; i < LAT_APPS; i++) {
        char name[32], body[128];
        snprintf(name, sizeof(name), "lat-%d", i);
        snprintf(body, sizeof(body), "{\"version\":\"%.63s\"}", versions[i]);
        uint64_t t_req = now_us();
        cJSON *r = test_life_api(&t, "deploy", name, body);
        uint64_t t_rep = now_us();
        cJSON_Delete(r);
        /* woken by on_ctl; 2 s at most */
        struct timespec until = until_us(2000000);
        pthread_mutex_lock(&first_lock);
        while (first_cmd_us[i] == 0 &&
               pthread_cond_timedwait(&first_cv, &first_lock, &until) == 0)
            ;
        uint64_t t_cmd = first_cmd_us[i];
        pthread_mutex_unlock(&first_lock);
        if (t_cmd == 0) {
            fprintf(stderr, "bench_deploy: no command for %s\n", name);
            continue;
        }
        if (t_cmd < t_rep)
            before_reply++;
        rep_to_cmd[n] = t_cmd > t_rep ? (int64_t)(t_cmd - t_rep) : 0;
        req_to_cmd[n] = (int64_t)(t_cmd - t_req);
        req_to_rep[n] = (int64_t)(t_rep - t_req);
        n++;
    }
    printf("deploy latency: %d deploys one after another, 3 simulated "
           "hosts, loopback nats-server\n",
           LAT_APPS);
    if (n == 0)
        return 1;
    int64_t rtt50 = pct(rtt, RTT_ROUNDS, 50), rtt99 = pct(rtt, RTT_ROUNDS, 99);
    print_line("bare NATS request/reply", rtt, RTT_ROUNDS);
    print_line("deploy request -> reply", req_to_rep, n);
    print_line("deploy request -> first command", req_to_cmd, n);
    int64_t c50 = pct(rep_to_cmd, n, 50), c99 = pct(rep_to_cmd, n, 99);
    print_line("deploy reply -> first command", rep_to_cmd, n);
    printf("  (%zu of %zu first commands arrived before the reply: "
           "counted as 0)\n",
           before_reply, n);
    double r50 = rtt50 > 0 ? (double)c50 / (double)rtt50 : 0;
    double r99 = rtt99 > 0 ? (double)c99 / (double)rtt99 : 0;
    printf("  reply -> first command / bare round trip: p50 %.2fx (goal "
           "<= 3x: %s), p99 %.2fx (goal <= 10x: %s)\n",
           r50, r50 <= 3.0 ? "met" : "MISSED", r99,
           r99 <= 10.0 ? "met" : "MISSED");
    natsSubscription_Destroy(ctl);
    natsSubscription_Destroy(echo);
    natsConnection_Destroy(nc);
    test_life_destroy(&t);
    return 0;
}

/* ---- 500 apps on 200 hosts ---------------------------------------------- */

/* RSS (kB) of pid from /proc, 0 when gone. */
static long
rss_kb(long pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Prints and returns the RSS sum of root and its children. */
static long
tree_rss_kb(long root)
{
    long sum = rss_kb(root);
    char parts[1024];
    int len = snprintf(parts, sizeof(parts), "supervisor %.1f MiB",
                       (double)sum / 1024.0);
    pid_t pids[64];
    int np = test_bench_tree_pids((pid_t)root, pids, 64);
    for (int k = 1; k < np; k++) {
        long pid = (long)pids[k];
        char path[64], stat[512];
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t got = fread(stat, 1, sizeof(stat) - 1, f);
        fclose(f);
        stat[got] = '\0';
        char *rp = strrchr(stat, ')');
        unsigned long ut = 0, stt = 0;
        char comm[64] = "";
        if (rp == NULL ||
            sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &ut, &stt) != 2)
            continue;
        double cpu_s = (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        f = fopen(path, "r");
        if (f) {
            char cl[256];
            size_t n = fread(cl, 1, sizeof(cl) - 1, f);
            fclose(f);
            cl[n] = '\0';
            /* "wadm-worker\0rec\0--id\0big" -> "rec.big" */
            const char *role = cl + strlen(cl) + 1;
            const char *id = n > strlen(cl) + 1 ? role + strlen(role) + 1 : "";
            id = *id ? id + strlen(id) + 1 : "";
            snprintf(comm, sizeof(comm), "%s.%s", role, id);
        }
        long kb = rss_kb(pid);
        sum += kb;
        len += snprintf(parts + len, sizeof(parts) - (size_t)len,
                        ", %s %.1f MiB/%.1f s CPU", comm, (double)kb / 1024.0,
                        cpu_s);
        if (len >= (int)sizeof(parts))
            len = (int)sizeof(parts) - 1;
    }
    printf("  wadm process tree RSS %.1f MiB (%s)\n", (double)sum / 1024.0,
           parts);
    return sum;
}

/* Whether each big-<i> app's latest published status is deployed. */
static bool big_deployed[BIG_APPS];

static void
on_status(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
    (void)nc;
    (void)sub;
    (void)arg;
    const char *app = strrchr(natsMsg_GetSubject(msg), '.');
    int i = app && strncmp(app, ".big-", 5) == 0 ? atoi(app + 5) : -1;
    const char *data = natsMsg_GetData(msg);
    bool is_deployed =
        data && strncmp(data, "{\"status\":{\"type\":\"deployed\"", 28) == 0;
    if (i >= 0 && i < BIG_APPS) {
        pthread_mutex_lock(&first_lock);
        big_deployed[i] = is_deployed;
        pthread_cond_broadcast(&first_cv);
        pthread_mutex_unlock(&first_lock);
    }
    natsMsg_Destroy(msg);
}

/* Apps whose last status is deployed; first_lock held. */
static int
deployed_count_locked(void)
{
    int n = 0;
    for (int i = 0; i < BIG_APPS; i++)
        n += big_deployed[i];
    return n;
}

static int
bench_scale(void)
{
    test_life_t t;
    char hosts[16];
    snprintf(hosts, sizeof(hosts), "%d", BIG_HOSTS);
    const char *hs[] = {"--hosts", hosts, NULL};
    int rc = test_life_start(&t, "big", TEST_HS_MAX_HOSTS, hs, NULL);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    if (!test_life_wait_rec_num(&t, "hosts", BIG_HOSTS, 30000)) {
        fprintf(stderr, "bench_deploy: wadm never saw %d hosts\n",
                BIG_HOSTS);
        return 1;
    }
    static char versions[BIG_APPS][64];
    uint64_t t0 = now_us();
    if (put_apps(&t, "big", BIG_APPS, 3, "b", versions) != 0)
        return 1;
    uint64_t t_put = now_us();
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    if (natsConnection_ConnectTo(&nc, t.hs.nats.url) != NATS_OK ||
        natsConnection_Subscribe(&sub, nc, "wadm.status.big.*", on_status,
                                 NULL) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK) {
        fprintf(stderr, "bench_deploy: NATS setup failed\n");
        return 1;
    }
    for (int i = 0; i < BIG_APPS; i++) {
        char name[32], body[128];
        snprintf(name, sizeof(name), "big-%d", i);
        snprintf(body, sizeof(body), "{\"version\":\"%.63s\"}", versions[i]);
        cJSON *r = test_life_api(&t, "deploy", name, body);
        const cJSON *res = cJSON_GetObjectItem(r, "result");
        if (!cJSON_IsString(res) ||
            strcmp(res->valuestring, "acknowledged") != 0) {
            fprintf(stderr, "bench_deploy: deploy of big-%d failed\n", i);
            return 1;
        }
        cJSON_Delete(r);
    }
    uint64_t t_dep = now_us();
    /* every app's latest status, from the status subject */
    struct timespec until = until_us(120 * 1000000ULL);
    int done = 0;
    pthread_mutex_lock(&first_lock);
    while ((done = deployed_count_locked()) < BIG_APPS &&
           pthread_cond_timedwait(&first_cv, &first_lock, &until) == 0)
        ;
    done = deployed_count_locked();
    pthread_mutex_unlock(&first_lock);
    uint64_t t_end = now_us();
    printf("%d apps (a component x3, a provider, a link with config each) "
           "on %d simulated hosts:\n",
           BIG_APPS, BIG_HOSTS);
    printf("  puts %.2f s; deploys (one after another) %.2f s; first deploy "
           "to all deployed %.2f s (%d/%d deployed)\n",
           (double)(t_put - t0) / 1e6, (double)(t_dep - t_put) / 1e6,
           (double)(t_end - t_put) / 1e6, done, BIG_APPS);
    tree_rss_kb(t.wadm.proc.pid);
    long inst = test_life_rec_num(&t, "component_instances");
    long prov = test_life_rec_num(&t, "provider_instances");
    printf("  wadm's state: %ld component instances, %ld providers; "
           "%ld passes, %ld scaler reconciles, %ld status refreshes, %ld "
           "events\n",
           inst, prov, test_life_rec_num(&t, "passes_total"),
           test_life_rec_num(&t, "reconciles_total"),
           test_life_rec_num(&t, "status_refreshes_total"),
           test_life_rec_num(&t, "events_total"));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    test_life_destroy(&t);
    return done == BIG_APPS ? 0 : 1;
}

/* WADM_BIN and HOSTSIM_BIN default to the build this bench belongs to. */
static void
default_bins(void)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 64);
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/'); /* .../BUILD/bench/bench_deploy */
    if (slash == NULL)
        return;
    *slash = '\0';
    slash = strrchr(self, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    char path[1100];
    snprintf(path, sizeof(path), "%s/wadm", self);
    setenv("WADM_BIN", path, 0);
    snprintf(path, sizeof(path), "%s/hostsim", self);
    setenv("HOSTSIM_BIN", path, 0);
}

int
main(void)
{
    default_bins();
    if (!test_nats_available() || test_wadm_bin() == NULL ||
        access(getenv("HOSTSIM_BIN"), X_OK) != 0) {
        printf("SKIP bench_deploy: nats-server, wadm or HOSTSIM_BIN "
               "missing\n");
        return 0;
    }
    int rc = bench_latency();
    if (rc == 0)
        rc = bench_scale();
    return rc;
}
