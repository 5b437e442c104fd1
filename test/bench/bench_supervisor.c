/*
 * bench_supervisor.c - supervisor figures: time from kill -9 of a worker
 * to its replacement's READY (median of 20, rotating roles), and the idle
 * memory of the whole wadm process tree (test_bench_tree_mem()). Floor for the restart: fork+exec of
 * the worker image to exit, measured in the same run.
 *
 * The stable threshold is set to 1 s and the bench waits past it before
 * each kill, so every restart is the policy's immediate one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/lib/test_bench.h"
#include "test/lib/test_proc.h"
#include "test/lib/test_util.h"
#include "test/lib/test_wadm.h"

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses "2026-...T04:25:25.273Z" at the start of line into wall ms. */
static uint64_t
line_ms(const char *line)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0;
    if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)timegm(&tm) * 1000 + (uint64_t)ms;
}

/* Finds the log line announcing READY of name[pid]; returns its time. */
static uint64_t
ready_ms(const char *log_path, const char *name, long pid)
{
    char needle[128];
    snprintf(needle, sizeof(needle), "worker %s[%ld] ready after", name, pid);
    char *log = test_read_file(log_path, NULL);
    if (log == NULL)
        return 0;
    char *p = strstr(log, needle);
    uint64_t t = 0;
    if (p) {
        while (p > log && p[-1] != '\n')
            p--;
        t = line_ms(p);
    }
    free(log);
    return t;
}

static long
dump_pid(test_wadm_t *tw, const char *name)
{
    char section[128];
    snprintf(section, sizeof(section), "worker %s", name);
    char *d = test_wadm_dump(tw);
    long pid = d ? test_dump_num(d, section, "pid") : -1;
    char st[32] = "";
    if (d)
        test_dump_get(d, section, "state", st, sizeof(st));
    free(d);
    return strcmp(st, "running") == 0 ? pid : -1;
}

/*
 * Memory of an idle process that only holds a nats.c connection on a
 * libev loop: hostsim with no hosts. The floor of a NATS-connected worker.
 */
static int
bare_client_mem(const char *url, test_bench_mem_t *mem)
{
    const char *bin = getenv("HOSTSIM_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        bin = "build/hostsim";
    if (access(bin, X_OK) != 0)
        return -1;
    char log[] = "/tmp/bench-floor-XXXXXX";
    int fd = mkstemp(log);
    if (fd < 0)
        return -1;
    close(fd);
    char *argv[] = {(char *)bin, "--nats", (char *)url, "--hosts", "0",
                    "--lattice", "benchfloor", NULL};
    test_proc_t p;
    int rc = -1;
    if (test_proc_start(&p, argv, NULL, log) == 0) {
        uint64_t until = test_now_ms() + 5000;
        bool is_ready = false;
        while (!is_ready && test_now_ms() < until) {
            char *t = test_read_file(log, NULL);
            is_ready = t && strstr(t, "ready");
            free(t);
            if (!is_ready)
                test_pause_ms(20);
        }
        test_pause_ms(1500); /* idle, as the tree was */
        if (is_ready && p.pid > 1)
            rc = test_bench_tree_mem(p.pid, mem);
        test_proc_stop(&p, 3000);
    }
    unlink(log);
    return rc;
}

int
main(void)
{
    if (!test_nats_available() || test_wadm_bin() == NULL) {
        printf("SKIP bench_supervisor: nats-server or build/wadm missing\n");
        return 0;
    }
    test_nats_t nats;
    test_wadm_t tw;
    if (test_nats_start(&nats, NULL) != 0) {
        printf("FAIL bench_supervisor: nats-server did not start\n");
        return 1;
    }
    char *extra[] = {"--stable-s", "1", "--restart-intensity", "1000",
                     "--heartbeat-interval-ms", "1000", NULL};
    if (test_wadm_start(&tw, nats.url, extra) != 0) {
        printf("FAIL bench_supervisor: wadm did not start\n");
        test_nats_destroy(&nats);
        return 1;
    }
    /* a host starting in lattice "bench" makes wadm run its reconciler */
    bool has_rec = test_wadm_wake_lattice(&tw, nats.url, "bench", 10000);

    /* idle: let the workers settle, then measure the tree */
    test_pause_ms(1500);
    test_bench_mem_t mem;
    int mem_rc = test_bench_tree_mem(tw.proc.pid, &mem);

    const char *names[] = {"ingest.0", "dispatch.0", "rec.bench"};
    uint64_t samples[20];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        const char *name = names[i % 3];
        long pid = dump_pid(&tw, name);
        if (pid <= 1)
            continue; /* never signal anything but a known worker */
        test_pause_ms(1100); /* past --stable-s: the restart is immediate */
        uint64_t t0 = wall_ms();
        kill((pid_t)pid, SIGKILL);
        long npid = -1;
        uint64_t deadline = test_now_ms() + 10000;
        while (test_now_ms() < deadline) {
            npid = dump_pid(&tw, name);
            if (npid > 0 && npid != pid)
                break;
            test_pause_ms(2);
        }
        uint64_t t1 = npid > 0 ? ready_ms(tw.log_path, name, npid) : 0;
        if (t1 >= t0)
            samples[n++] = t1 - t0;
    }

    /* floor: fork + exec of the worker image until it exits (its usage
     * error): what a restart costs before any worker code runs */
    char worker[4096];
    snprintf(worker, sizeof(worker), "%s", test_wadm_bin());
    char *slash = strrchr(worker, '/');
    snprintf(slash ? slash + 1 : worker,
             sizeof(worker) - (size_t)(slash ? slash + 1 - worker : 0),
             "wadm-worker");
    uint64_t floor_s[20];
    for (int i = 0; i < 20; i++) {
        uint64_t t0 = test_now_ms() * 1000;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid_t p = fork();
        if (p == 0) {
            int nul = open("/dev/null", O_WRONLY);
            dup2(nul, 1);
            dup2(nul, 2);
            execl(worker, "wadm-worker", (char *)NULL);
            _exit(127);
        }
        waitpid(p, NULL, 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        (void)t0;
        floor_s[i] = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000 +
                                (b.tv_nsec - a.tv_nsec) / 1000);
    }
    qsort(samples, (size_t)n, sizeof(uint64_t), cmp_u64);
    qsort(floor_s, 20, sizeof(uint64_t), cmp_u64);
    double floor_ms = (double)floor_s[10] / 1000.0;
    if (n > 0) {
        uint64_t med = samples[n / 2];
        printf("supervisor: kill -9 to READY: median %llu ms, max %llu ms "
               "(n=%d, ingest/dispatch/rec rotating; target <= 50 ms)\n",
               (unsigned long long)med, (unsigned long long)samples[n - 1],
               n);
        printf("supervisor: floor fork+exec of wadm-worker (no work): median %.2f ms;"
               " ratio %.1fx\n", floor_ms,
               floor_ms > 0 ? (double)med / floor_ms : 0.0);
    } else {
        printf("FAIL supervisor: no restart measured\n");
    }
    if (mem_rc == 0 && has_rec && mem.nproc == 4)
        printf("supervisor: idle memory of the process tree (supervisor, "
               "ingest, dispatch, 1 reconciler): resident %ld kB, each page "
               "counted once (private %ld kB + file-backed %ld kB); "
               "target <= 15360 kB. Per process added up: RSS sum %ld kB "
               "(shared library pages once per process), PSS sum %ld kB\n",
               mem.unique_kb, mem.unique_private_kb, mem.unique_file_kb,
               mem.rss_sum_kb, mem.pss_sum_kb);
    else
        printf("FAIL supervisor: idle memory not measured (%d processes, "
               "reconciler %s)\n", mem.nproc,
               has_rec ? "running" : "never started");
    test_bench_mem_t fl;
    if (bare_client_mem(nats.url, &fl) == 0 && mem_rc == 0)
        printf("supervisor: floor: one idle nats.c client process (hostsim "
               "without hosts): RSS %ld kB; the tree's 3 NATS workers as "
               "3 such clients: RSS sum %ld kB; tree RSS sum / that %.2fx\n",
               fl.rss_sum_kb, 3 * fl.rss_sum_kb,
               (double)mem.rss_sum_kb / (double)(3 * fl.rss_sum_kb));
    test_wadm_stop(&tw, 10000);
    test_wadm_cleanup(&tw);
    test_nats_destroy(&nats);
    return n > 0 && mem_rc == 0 ? 0 : 1;
}
